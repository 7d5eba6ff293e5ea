#ifndef UMALLOC_H
#define UMALLOC_H

/** @file
 *
 * External memory: umalloc(), urealloc(), ufree()
 *
 * Blocks are carved from the top of the largest usable E820 region below
 * 4 GiB that is not already hidden, growing down; the live blocks are kept
 * hidden from INT 15h callers.  Sizes are untrusted; pointers are trusted.
 */

#include "e820.h"
#include "io.h"

int umalloc_init(const struct e820_entry *map, unsigned int count);
void *umalloc(size_t size);
void *urealloc(void *ptr, size_t size);
void ufree(void *ptr);

#endif /* UMALLOC_H */
