/** @file
 *
 * E820 mangler: the BIOS memory map minus the hidden regions
 *
 * The INT 15h hook reads the BIOS's whole E820 map, runs e820_mangle()
 * over it and answers its callers from the result; E801h and 88h results
 * go through e820_clip_e801() and e820_clip_88().  The rules are in
 * e820.h.  All functions are pure: they read their arguments and write
 * only through their output pointers.
 *
 * Ranges are handled as [start, last] (last byte inclusive) so that an
 * entry reaching the top of the address space needs no 65th bit.
 */

#include "e820.h"

/**
 * Mangle a BIOS memory map
 *
 * @v bios		BIOS entries, in the BIOS's order
 * @v count		Number of BIOS entries
 * @v hide		Hidden regions, any order, may overlap
 * @v nhide		Number of hidden regions
 * @v out		Output entries (must not overlap @c bios)
 * @v max_out		Room in @c out
 * @ret needed		Entries in the whole mangled map (> @c max_out if
 *			truncated)
 */
unsigned int e820_mangle(const struct e820_entry *bios, unsigned int count,
			 const struct hidden_region *hide, unsigned int nhide,
			 struct e820_entry *out, unsigned int max_out)
{
	const struct hidden_region *region;
	unsigned int needed = 0;
	uint64_t start;
	uint64_t last;
	uint64_t piece_last;

	for (; count; count--, bios++) {

		/* Never report an empty entry */
		if (!bios->len)
			continue;

		/* Clip at the top of the address space */
		start = bios->start;
		last = (start + bios->len - 1);
		if (last < start)
			last = UINT64_MAX;

		/* Emit the unhidden pieces, lowest first */
		while (1) {
		rescan:
			piece_last = last;
			if (bios->type == E820_TYPE_RAM) {
				for (region = hide; region < (hide + nhide);
				     region++) {
					if (region->end <= region->start)
						continue;
					if ((region->start <= start) &&
					    (start < region->end)) {
						/* Skip hidden bytes; an
						 * earlier region may start
						 * where this one ends */
						if (region->end > last)
							goto next_entry;
						start = region->end;
						goto rescan;
					}
					if ((start < region->start) &&
					    (region->start <= piece_last))
						piece_last = (region->start - 1);
				}
			}
			if (needed < max_out) {
				out[needed] = *bios;
				if (bios->type == E820_TYPE_RAM) {
					out[needed].start = start;
					out[needed].len =
						(piece_last - start + 1);
				}
			}
			needed++;
			if (piece_last == last)
				break;
			start = (piece_last + 1);
		}
	next_entry:;
	}
	return needed;
}

/**
 * Find how much memory from 1 MiB up lies below every hidden region
 *
 * @v hide		Hidden regions
 * @v nhide		Number of hidden regions
 * @ret kib		KiB from 1 MiB to the first hidden byte (saturated)
 */
static uint32_t e820_unhidden_kib(const struct hidden_region *hide,
				  unsigned int nhide)
{
	uint64_t limit = UINT64_MAX;
	uint64_t start;

	for (; nhide; nhide--, hide++) {
		if ((hide->end <= hide->start) || (hide->end <= E820_1MB))
			continue;
		start = ((hide->start > E820_1MB) ? hide->start : E820_1MB);
		if (start < limit)
			limit = start;
	}
	limit = ((limit - E820_1MB) >> 10);
	return ((limit >> 32) ? 0xffffffffUL : limit);
}

/**
 * Reduce a memory count to a maximum
 *
 * @v count		Count (updated)
 * @v max		Maximum
 */
static void e820_clip(uint32_t *count, uint32_t max)
{
	if (*count > max)
		*count = max;
}

/**
 * Clip an E801h result to the first hidden region above 1 MiB
 *
 * @v hide		Hidden regions
 * @v nhide		Number of hidden regions
 * @v kib_1m_16m	KiB from 1 MiB up to 16 MiB (AX/CX, updated)
 * @v blocks_above_16m	64 KiB blocks from 16 MiB up (BX/DX, updated)
 *
 * Memory from the first hidden byte up disappears; a hidden byte below
 * 16 MiB therefore also removes all memory above 16 MiB.
 */
void e820_clip_e801(const struct hidden_region *hide, unsigned int nhide,
		    uint32_t *kib_1m_16m, uint32_t *blocks_above_16m)
{
	uint32_t kib = e820_unhidden_kib(hide, nhide);
	uint32_t kib_16m = ((E820_16MB - E820_1MB) >> 10);

	e820_clip(kib_1m_16m, kib);
	e820_clip(blocks_above_16m, ((kib < kib_16m) ? 0 :
				     ((kib - kib_16m) >> 6)));
}

/**
 * Clip an 88h result to the first hidden region above 1 MiB
 *
 * @v hide		Hidden regions
 * @v nhide		Number of hidden regions
 * @v kib_above_1m	KiB from 1 MiB up (AX, updated)
 */
void e820_clip_88(const struct hidden_region *hide, unsigned int nhide,
		  uint32_t *kib_above_1m)
{
	e820_clip(kib_above_1m, e820_unhidden_kib(hide, nhide));
}

/**
 * Find the largest run of whole usable pages below 4 GiB
 *
 * @v bios		BIOS entries (usable ones may overlap hidden regions)
 * @v count		Number of BIOS entries
 * @v hide		Hidden regions the run must not touch
 * @v nhide		Number of hidden regions (at most E820_LARGEST_NHIDE)
 * @v start		Start of the run (written only if one is found)
 * @ret len		Length of the run in bytes, or 0 if there is none
 *
 * The page just below 4 GiB is never taken, so that start + len fits in
 * 32 bits and pointers to the end of the run do not wrap to 0, as in
 * iPXE.  Each entry is mangled on its own, so the hidden regions may lie
 * anywhere, in any order.  Works in pages, so 32 bits suffice.
 */
uint32_t e820_largest(const struct e820_entry *bios, unsigned int count,
		      const struct hidden_region *hide, unsigned int nhide,
		      uint32_t *start)
{
	struct e820_entry pieces[E820_LARGEST_NHIDE + 1];
	struct e820_entry *piece;
	uint32_t first;
	uint32_t end;
	uint32_t best = 0;
	unsigned int n;

	for (; count; count--, bios++) {
		n = e820_mangle(bios, 1, hide, nhide, pieces,
				ARRAY_SIZE(pieces));
		for (piece = pieces; n; n--, piece++) {
			if ((piece->type != E820_TYPE_RAM) ||
			    (piece->start >> 32))
				continue;
			/* Page numbers of whole pages, below the top page */
			first = piece->start;
			end = E820_LARGEST_PAGES;
			if (piece->len < (((uint64_t)end << 12) - first))
				end = ((first + (uint32_t)piece->len) >> 12);
			first = ((first >> 12) + !!(first & 0xfff));
			if ((end > first) && ((end - first) > best)) {
				*start = (first << 12);
				best = (end - first);
			}
		}
	}
	return (best << 12);
}
