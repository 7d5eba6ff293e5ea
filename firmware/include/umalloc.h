#ifndef UMALLOC_H
#define UMALLOC_H

/** @file
 *
 * External memory: umalloc(), urealloc(), ufree()
 *
 * A second heap on heap.c's engine, in the largest run of whole usable
 * pages below 4 GiB that no hidden region (image, heap) touches: it
 * starts empty at the top and grows down; the heap is kept hidden from
 * INT 15h callers through the HIDE_UMALLOC slot.  Blocks are
 * page-aligned.  Sizes are untrusted (any value fails cleanly); pointers
 * are trusted to come from umalloc() or urealloc() (or be NULL).
 * urealloc(ptr, 0) frees, as ufree() does.
 *
 * Call umalloc_init() once the image and the heap are hidden and before
 * the first allocation; until then every allocation fails.
 */

#include "e820.h"
#include "io.h"

int umalloc_init(const struct e820_entry *map, unsigned int count);
void *umalloc(size_t size);
void *urealloc(void *ptr, size_t size);
void ufree(void *ptr);

#endif /* UMALLOC_H */
