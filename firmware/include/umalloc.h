#ifndef UMALLOC_H
#define UMALLOC_H

/** @file
 *
 * External memory: umalloc(), urealloc(), ufree()
 *
 * Blocks are carved from the top of the largest run of whole usable
 * pages below 4 GiB that no hidden region (image, heap) touches, growing
 * down; the live blocks are kept hidden from INT 15h callers through the
 * HIDE_UMALLOC slot.  Blocks are page-aligned.  Sizes are untrusted (any
 * value fails cleanly); pointers are trusted to come from umalloc() or
 * urealloc() (or be NULL).
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
