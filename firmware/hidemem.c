/** @file
 *
 * Hidden memory regions
 *
 * The table holds one region per slot.  Callers pass byte ranges;
 * regions are stored rounded outward to whole pages, because an OS uses
 * the memory map at page granularity and a partially hidden page is not
 * hidden at all (iPXE learnt this the hard way).
 */

#include "hidemem.h"

/** The hidden regions, all empty until someone hides something */
struct hidden_region hidden_regions[HIDE_SLOTS];

/**
 * Hide a region from INT 15h callers
 *
 * @v slot		Slot to set (replaces what it held)
 * @v start		Start address
 * @v end		End address (exclusive, >= @c start); @c start
 *			empties the slot
 *
 * The end saturates at 2^64 - 1 rather than wrapping when rounded up.
 */
void hide_region(enum hidemem_slot slot, uint64_t start, uint64_t end)
{
	struct hidden_region *region = &hidden_regions[slot];
	uint64_t mask = (HIDEMEM_PAGE - 1);
	uint64_t up = (end + mask);

	region->start = (start & ~mask);
	region->end = region->start;
	if (start != end)
		region->end = ((up < end) ? UINT64_MAX : (up & ~mask));
}
