#ifndef HIDEMEM_H
#define HIDEMEM_H

/** @file
 *
 * Hidden memory regions: what INT 15h must never report as usable
 *
 * One slot per hidden thing, set whenever the thing moves or changes
 * size; the INT 15h hook passes the whole table to e820_mangle(),
 * e820_clip_e801() and e820_clip_88().
 */

#include "e820.h"

/** One slot per hidden thing; a slot is empty when start == end */
enum hidemem_slot {
	HIDE_IMAGE,	/**< The firmware image (code, data, bss) */
	HIDE_HEAP,	/**< The internal heap pool */
	HIDE_UMALLOC,	/**< External memory handed out by umalloc() */
	HIDE_SLOTS
};

/** Page size to which hidden regions are rounded outward */
#define HIDEMEM_PAGE 4096

extern struct hidden_region hidden_regions[HIDE_SLOTS];

void hide_region(enum hidemem_slot slot, uint64_t start, uint64_t end);

#endif /* HIDEMEM_H */
