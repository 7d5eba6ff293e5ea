/** @file
 *
 * libFuzzer harness: the E820 mangler against a brute-force interval model
 *
 * Input bytes become a BIOS map (any order, overlaps, zero lengths,
 * entries above 4 GiB and at the top of the address space) and a set of
 * hidden regions set through hide_region().  The mangled map must report
 * as usable exactly the usable bytes of the BIOS map that are not hidden,
 * pass every other entry through unchanged and in order, and never
 * contain an empty entry.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "e820.h"
#include "hidemem.h"

#define MAX_BIOS 24
#define MAX_OUT (MAX_BIOS * (HIDE_SLOTS + 1))

typedef unsigned __int128 u128;

/** An interval [start, end) in 65-bit address space */
struct interval {
	u128 start;
	u128 end;
};

struct cursor {
	const uint8_t *data;
	size_t len;
};

static uint64_t next_bytes(struct cursor *c, unsigned int n)
{
	uint64_t value = 0;

	while (n--) {
		value = (value << 8) | (c->len ? *c->data : 0);
		if (c->len) {
			c->data++;
			c->len--;
		}
	}
	return value;
}

/** An address: mostly on a small page grid so ranges collide */
static uint64_t next_addr(struct cursor *c, unsigned int mode)
{
	switch (mode & 3) {
	case 0:
		return next_bytes(c, 1) << 12;
	case 1:
		return next_bytes(c, 2) * 0x1000 + next_bytes(c, 1);
	case 2:
		return UINT64_MAX - (next_bytes(c, 2) << 12);
	default:
		return next_bytes(c, 8);
	}
}

static int by_start(const void *a, const void *b)
{
	const struct interval *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/** Sort and merge touching or overlapping intervals; return the new count */
static unsigned int normalise(struct interval *set, unsigned int n)
{
	unsigned int out = 0;

	qsort(set, n, sizeof(set[0]), by_start);
	for (unsigned int i = 0; i < n; i++) {
		if (set[i].start >= set[i].end)
			continue;
		if (out && set[i].start <= set[out - 1].end) {
			if (set[i].end > set[out - 1].end)
				set[out - 1].end = set[i].end;
		} else {
			set[out++] = set[i];
		}
	}
	return out;
}

/** Subtract normalised set @c cut from normalised set @c set into @c out */
static unsigned int subtract(const struct interval *set, unsigned int n,
			     const struct interval *cut, unsigned int ncut,
			     struct interval *out)
{
	unsigned int count = 0;

	for (unsigned int i = 0; i < n; i++) {
		u128 pos = set[i].start;

		for (unsigned int j = 0; j < ncut && pos < set[i].end; j++) {
			if (cut[j].end <= pos || cut[j].start >= set[i].end)
				continue;
			if (cut[j].start > pos)
				out[count++] = (struct interval){ pos, cut[j].start };
			pos = cut[j].end;
		}
		if (pos < set[i].end)
			out[count++] = (struct interval){ pos, set[i].end };
	}
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct cursor c = { data, len };
	struct e820_entry bios[MAX_BIOS], out[MAX_OUT];
	struct interval usable[MAX_BIOS], hidden[HIDE_SLOTS];
	struct interval expect[MAX_BIOS * (HIDE_SLOTS + 1)], got[MAX_OUT];
	unsigned int nbios, nout, nusable = 0, nhidden = 0, nexpect, ngot = 0;
	unsigned int other = 0;

	/* Hidden regions, as the firmware sets them */
	for (unsigned int slot = 0; slot < HIDE_SLOTS; slot++) {
		unsigned int mode = next_bytes(&c, 1);
		uint64_t start = next_addr(&c, mode);
		uint64_t end = (mode & 4) ? start : next_addr(&c, mode >> 3);

		if (end < start) {
			uint64_t tmp = start;
			start = end;
			end = tmp;
		}
		hide_region(slot, start, end);
		hidden[nhidden++] = (struct interval){
			hidden_regions[slot].start, hidden_regions[slot].end };
		/* Rounding outward must cover what was asked for */
		if (start < end && (hidden_regions[slot].start > start ||
				    hidden_regions[slot].end < end))
			abort();
	}
	nhidden = normalise(hidden, nhidden);

	/* The BIOS map */
	nbios = next_bytes(&c, 1) % (MAX_BIOS + 1);
	for (unsigned int i = 0; i < nbios; i++) {
		unsigned int mode = next_bytes(&c, 1);

		bios[i].start = next_addr(&c, mode);
		bios[i].len = (mode & 0x10) ? 0 : next_addr(&c, mode >> 2);
		bios[i].type = (mode >> 5) ? (mode >> 5) % 5 : E820_TYPE_RAM;
		bios[i].attrs = next_bytes(&c, 1);
	}

	nout = e820_mangle(bios, nbios, hidden_regions, HIDE_SLOTS, out, MAX_OUT);
	if (nout > MAX_OUT)
		abort();

	/* Model: usable bytes of the BIOS map, clipped to the address space */
	for (unsigned int i = 0; i < nbios; i++) {
		u128 end = (u128)bios[i].start + bios[i].len;

		if (end > (u128)UINT64_MAX + 1)
			end = (u128)UINT64_MAX + 1;
		if (bios[i].type == E820_TYPE_RAM && bios[i].len)
			usable[nusable++] = (struct interval){ bios[i].start, end };
	}
	nusable = normalise(usable, nusable);
	nexpect = subtract(usable, nusable, hidden, nhidden, expect);

	/* What the caller sees */
	for (unsigned int i = 0; i < nout; i++) {
		if (!out[i].len)
			abort(); /* never an empty entry */
		if (out[i].type == E820_TYPE_RAM) {
			got[ngot++] = (struct interval){
				out[i].start, (u128)out[i].start + out[i].len };
			continue;
		}
		/* Non-usable entries pass through unchanged, in order */
		while (other < nbios && (bios[other].type == E820_TYPE_RAM ||
					 !bios[other].len))
			other++;
		if (other == nbios || memcmp(&bios[other], &out[i], sizeof(out[i])))
			abort();
		other++;
	}
	while (other < nbios && (bios[other].type == E820_TYPE_RAM ||
				 !bios[other].len))
		other++;
	if (other != nbios)
		abort(); /* a non-usable entry went missing */

	ngot = normalise(got, ngot);
	if (ngot != nexpect)
		abort();
	for (unsigned int i = 0; i < ngot; i++) {
		if (got[i].start != expect[i].start || got[i].end != expect[i].end)
			abort();
	}
	return 0;
}
