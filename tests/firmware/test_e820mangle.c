/** @file
 *
 * E820 mangler tests: hand cases and a brute-force model on random maps
 *
 * The model cuts the address space at every boundary any entry or region
 * has, so each elementary interval is uniform, and checks one byte of
 * each: the output reports it usable exactly when the BIOS did and no
 * hidden region covers it.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include "e820.h"
#include "test_support.h"

/*
 * Addresses up to 2^64 inclusive: a 128-bit integer where there is one;
 * on i386, the x87 long double, whose 64-bit mantissa holds every
 * uint64_t and 2^64 exactly (a sum beyond 2^64 rounds but stays beyond
 * it, and the model clips it to 2^64 anyway)
 */
#ifdef __SIZEOF_INT128__
typedef unsigned __int128 wide;
#else
typedef long double wide;
#endif

#define MB 0x100000ULL
#define GB 0x40000000ULL

/** A 20-byte usable or other entry */
#define E(s, l, t) { .start = (s), .len = (l), .type = (t), .size = 20 }
/** A 24-byte entry with attributes */
#define EA(s, l, t, a)                                                         \
	{ .start = (s), .len = (l), .type = (t), .attrs = (a), .size = 24 }
/** A hidden region */
#define H(s, e) { .start = (s), .end = (e) }

#define MAX_OUT 256

/** Run the mangler and compare with the expected map */
static void check_map(const struct e820_entry *bios, unsigned int count,
		      const struct hidden_region *hide, unsigned int nhide,
		      const struct e820_entry *expect, unsigned int nexpect)
{
	struct e820_entry out[MAX_OUT];
	unsigned int n, i;

	n = e820_mangle(bios, count, hide, nhide, out, MAX_OUT);
	for (i = 0; i < n && i < nexpect; i++) {
		assert_int_equal(out[i].start, expect[i].start);
		assert_int_equal(out[i].len, expect[i].len);
		assert_int_equal(out[i].type, expect[i].type);
		assert_int_equal(out[i].attrs, expect[i].attrs);
		assert_int_equal(out[i].size, expect[i].size);
	}
	assert_int_equal(n, nexpect);
}

#define CHECK(bios, hide, expect)                                              \
	check_map(bios, ARRAY_SIZE(bios), hide, ARRAY_SIZE(hide), expect,      \
		  ARRAY_SIZE(expect))

/** The issue's example: the top 2 MiB of a 128 MiB machine hidden */
static void test_issue_example(void **state)
{
	static const struct e820_entry bios[] = {
		E(0, 0x9fc00, 1),
		E(0x100000, 0x7f00000, 1),
	};
	static const struct hidden_region hide[] = { H(0x7e00000, 0x8000000) };
	static const struct e820_entry expect[] = {
		E(0, 0x9fc00, 1),
		E(0x100000, 0x7d00000, 1),
	};

	(void)state;
	CHECK(bios, hide, expect);
}

/** A region in the middle splits an entry; at an end it trims it */
static void test_split_and_trim(void **state)
{
	static const struct e820_entry bios[] = {
		E(0x100000, 0x100000, 1),
		E(0x300000, 0x100000, 1),
		E(0x500000, 0x100000, 1),
		E(0x700000, 0x100000, 1),
	};
	static const struct hidden_region hide[] = {
		H(0x140000, 0x150000),	/* middle of the first */
		H(0x300000, 0x310000),	/* very start of the second */
		H(0x5f0000, 0x600000),	/* very end of the third */
		H(0x6ff000, 0x801000),	/* all of the fourth and beyond */
	};
	static const struct e820_entry expect[] = {
		E(0x100000, 0x40000, 1),
		E(0x150000, 0xb0000, 1),
		E(0x310000, 0xf0000, 1),
		E(0x500000, 0xf0000, 1),
	};

	(void)state;
	CHECK(bios, hide, expect);
}

/** Several regions, unsorted and overlapping each other */
static void test_regions_any_order(void **state)
{
	static const struct e820_entry bios[] = { E(0, 0x100000, 1) };
	static const struct hidden_region hide[] = {
		H(0x80000, 0x90000),
		H(0x10000, 0x30000),
		H(0x20000, 0x40000),	/* overlaps the previous one */
		H(0x40000, 0x41000),	/* touches it */
		H(0x85000, 0x86000),	/* inside the first */
		H(0x50000, 0x50000),	/* empty: no split */
	};
	static const struct e820_entry expect[] = {
		E(0, 0x10000, 1),
		E(0x41000, 0x3f000, 1),
		E(0x90000, 0x70000, 1),
	};

	(void)state;
	CHECK(bios, hide, expect);
}

/** Non-usable entries pass through, hidden or not, attributes intact */
static void test_other_types_untouched(void **state)
{
	static const struct e820_entry bios[] = {
		EA(0, 0x9fc00, 1, 1),
		EA(0x9fc00, 0x400, 2, 3),
		EA(0xf0000, 0x10000, 2, 1),
		EA(0x100000, 0x3ff00000, 1, 1),
		EA(0x3ff00000, 0x100000, 3, 1),
		EA(0x3ff00000, 0x100000, 4, 0),
	};
	static const struct hidden_region hide[] = { H(0x3f000000, 0x40000000) };
	static const struct e820_entry expect[] = {
		EA(0, 0x9fc00, 1, 1),
		EA(0x9fc00, 0x400, 2, 3),
		EA(0xf0000, 0x10000, 2, 1),
		EA(0x100000, 0x3ef00000, 1, 1),
		EA(0x3ff00000, 0x100000, 3, 1),
		EA(0x3ff00000, 0x100000, 4, 0),
	};

	(void)state;
	CHECK(bios, hide, expect);
}

/** Split pieces keep the 24-byte form and its attributes */
static void test_attrs_on_pieces(void **state)
{
	static const struct e820_entry bios[] = {
		EA(0x100000, 0x100000, 1, 0x5),
		E(0x200000, 0x100000, 1),
	};
	static const struct hidden_region hide[] = { H(0x1ff000, 0x201000) };
	static const struct e820_entry expect[] = {
		EA(0x100000, 0xff000, 1, 0x5),
		E(0x201000, 0xff000, 1),
	};

	(void)state;
	CHECK(bios, hide, expect);
}

/** Overlapping and unsorted BIOS entries stay as they are, minus holes */
static void test_overlapping_unsorted(void **state)
{
	static const struct e820_entry bios[] = {
		E(0x200000, 0x200000, 1),
		E(0x100000, 0x200000, 1),
		E(0x180000, 0x10000, 2),
		E(0, 0xa0000, 1),
	};
	static const struct hidden_region hide[] = { H(0x180000, 0x280000) };
	static const struct e820_entry expect[] = {
		E(0x280000, 0x180000, 1),
		E(0x100000, 0x80000, 1),
		E(0x280000, 0x80000, 1),
		E(0x180000, 0x10000, 2),
		E(0, 0xa0000, 1),
	};

	(void)state;
	CHECK(bios, hide, expect);
}

/** Memory above and across 4 GiB is split, never dropped */
static void test_above_4g(void **state)
{
	static const struct e820_entry bios[] = {
		E(0x100000, 0xbff00000, 1),
		E(0x100000000ULL, 0x40000000, 1),
		E(0xc0000000ULL, 0x80000000ULL, 1),	/* straddles 4 GiB */
	};
	static const struct hidden_region hide[] = {
		H(0x120000000ULL, 0x120001000ULL),
		H(0xfffff000ULL, 0x100001000ULL),
	};
	static const struct e820_entry expect[] = {
		E(0x100000, 0xbff00000, 1),
		E(0x100001000ULL, 0x1ffff000, 1),
		E(0x120001000ULL, 0x1ffff000, 1),
		E(0xc0000000ULL, 0x3ffff000, 1),
		E(0x100001000ULL, 0x1ffff000, 1),
		E(0x120001000ULL, 0x1ffff000, 1),
	};

	(void)state;
	CHECK(bios, hide, expect);
}

/** Zero-length entries vanish, wherever they are */
static void test_zero_length(void **state)
{
	static const struct e820_entry bios[] = {
		E(0, 0, 1),
		E(0, 0x9fc00, 1),
		E(0x9fc00, 0, 2),
		E(0x100000, 0x100000, 1),
		E(0x100000, 0, 1),	/* trailing */
	};
	static const struct hidden_region hide[] = { H(0x100000, 0x200000) };
	static const struct e820_entry expect[] = { E(0, 0x9fc00, 1) };

	(void)state;
	CHECK(bios, hide, expect);
}

/** Entries past the top are clipped; the last byte stays reportable */
static void test_top_of_address_space(void **state)
{
	static const struct e820_entry bios[] = {
		E(0xfffffffffff00000ULL, 0x200000, 1),	/* wraps: clipped */
		E(0xffffffff00000000ULL, 0x100000000ULL, 1),	/* ends at 2^64 */
		E(0xfffffffffff00000ULL, 0x200000, 2),	/* other: untouched */
		E(0, UINT64_MAX, 1),
	};
	static const struct hidden_region hide[] = {
		H(0xfffffffffff80000ULL, UINT64_MAX),
		H(0x1000, 0x2000),
	};
	static const struct e820_entry expect[] = {
		E(0xfffffffffff00000ULL, 0x80000, 1),
		E(UINT64_MAX, 1, 1),
		E(0xffffffff00000000ULL, 0xfff80000ULL, 1),
		E(UINT64_MAX, 1, 1),
		E(0xfffffffffff00000ULL, 0x200000, 2),
		E(0, 0x1000, 1),
		E(0x2000, 0xfffffffffff7e000ULL, 1),
	};

	(void)state;
	CHECK(bios, hide, expect);
}

/** Truncation: never past max_out, and the true count comes back */
static void test_truncation(void **state)
{
	static const struct e820_entry bios[] = {
		E(0, 0x100000, 1),
		E(0x100000, 0x100000, 2),
	};
	static const struct hidden_region hide[] = {
		H(0x10000, 0x20000), H(0x30000, 0x40000),
	};
	struct e820_entry out[4];
	unsigned int n;

	(void)state;
	memset(out, 0xa5, sizeof(out));
	n = e820_mangle(bios, 2, hide, 2, out, 2);
	assert_int_equal(n, 4);
	assert_int_equal(out[0].start, 0);
	assert_int_equal(out[1].start, 0x20000);
	assert_int_equal(out[2].start, 0xa5a5a5a5a5a5a5a5ULL);
	assert_int_equal(out[3].type, 0xa5a5a5a5);
	assert_int_equal(e820_mangle(bios, 2, hide, 2, NULL, 0), 4);
	assert_int_equal(e820_mangle(bios, 0, hide, 2, NULL, 0), 0);
}

/** Wholly hidden maps, and no regions at all */
static void test_all_or_nothing_hidden(void **state)
{
	static const struct e820_entry bios[] = {
		E(0x1000, 0x1000, 1),
		E(0x3000, 0x1000, 1),
	};
	static const struct hidden_region all[] = { H(0, 0x10000) };
	struct e820_entry out[2];

	(void)state;
	assert_int_equal(e820_mangle(bios, 2, all, 1, out, 2), 0);
	assert_int_equal(e820_mangle(bios, 2, all, 0, out, 2), 2);
	assert_memory_equal(out, bios, sizeof(bios));
}

/** E801h: clip at the first hidden byte above 1 MiB */
static void test_e801(void **state)
{
	struct hidden_region hide[3] = {
		H(0x7e00000, 0x8000000),	/* 126 MiB */
		H(0x90000, 0xa0000),		/* below 1 MiB: ignored */
		H(0x9000000, 0x9000000),	/* empty: ignored */
	};
	uint32_t kib = 15360, blocks = 0x7000;

	(void)state;
	e820_clip_e801(hide, 3, &kib, &blocks);
	assert_int_equal(kib, 15360);
	assert_int_equal(blocks, (126 - 16) * 16);

	/* Below 16 MiB: nothing above survives */
	hide[2] = (struct hidden_region)H(0x800000, 0x801000);
	kib = 15360, blocks = 0x7000;
	e820_clip_e801(hide, 3, &kib, &blocks);
	assert_int_equal(kib, 7 * 1024);
	assert_int_equal(blocks, 0);

	/* Straddling 1 MiB: nothing left */
	hide[1] = (struct hidden_region)H(0xff000, 0x101000);
	kib = 15360, blocks = 0x7000;
	e820_clip_e801(hide, 3, &kib, &blocks);
	assert_int_equal(kib, 0);
	assert_int_equal(blocks, 0);

	/* Above everything reported: unchanged */
	hide[0] = (struct hidden_region)H(0x200000000ULL, 0x200001000ULL);
	kib = 1024, blocks = 5;
	e820_clip_e801(hide, 1, &kib, &blocks);
	assert_int_equal(kib, 1024);
	assert_int_equal(blocks, 5);
	e820_clip_e801(hide, 0, &kib, &blocks);
	assert_int_equal(blocks, 5);

	/* A partial 64 KiB block above 16 MiB does not count */
	hide[0] = (struct hidden_region)H(0x1008000, 0x1009000);
	kib = 15360, blocks = 0x7000;
	e820_clip_e801(hide, 1, &kib, &blocks);
	assert_int_equal(kib, 15360);
	assert_int_equal(blocks, 0);
	hide[0] = (struct hidden_region)H(0x101f000, 0x1020000);
	kib = 15360, blocks = 0x7000;
	e820_clip_e801(hide, 1, &kib, &blocks);
	assert_int_equal(blocks, 1);
}

/** A region ending exactly at 1 MiB hides nothing E801h or 88h report */
static void test_region_ending_at_1m(void **state)
{
	struct hidden_region hide[1] = { H(0x9f000, 0x100000) };
	uint32_t kib = 15360, blocks = 0x7000, kib88 = 0xffff;

	(void)state;
	e820_clip_e801(hide, 1, &kib, &blocks);
	assert_int_equal(kib, 15360);
	assert_int_equal(blocks, 0x7000);
	e820_clip_88(hide, 1, &kib88);
	assert_int_equal(kib88, 0xffff);
}

/** 88h: KiB above 1 MiB, clipped */
static void test_88(void **state)
{
	struct hidden_region hide[2] = {
		H(0x2000000, 0x2100000),	/* 32 MiB */
		H(0x5000000, 0x5001000),
	};
	uint32_t kib = 0xffff;

	(void)state;
	e820_clip_88(hide, 2, &kib);
	assert_int_equal(kib, 31 * 1024);
	kib = 1000;
	e820_clip_88(hide, 2, &kib);
	assert_int_equal(kib, 1000);
	kib = 0xffff;
	e820_clip_88(hide, 0, &kib);
	assert_int_equal(kib, 0xffff);
}

/** Model ------------------------------------------------------------ */

/** End of an entry, clipped at 2^64 */
static wide entry_end(const struct e820_entry *entry)
{
	wide end = ((wide)entry->start + entry->len);
	wide top = ((wide)UINT64_MAX + 1);

	return ((end > top) ? top : end);
}

static int cmp_wide(const void *a, const void *b)
{
	const wide *x = a, *y = b;

	return ((*x > *y) - (*x < *y));
}

/** Check one mangled map against the model; return a message or NULL */
static const char *model_check(const struct e820_entry *bios,
			       unsigned int count,
			       const struct hidden_region *hide,
			       unsigned int nhide,
			       const struct e820_entry *out, unsigned int nout)
{
	static wide cuts[2 * (MAX_OUT + 64 + 16)];
	unsigned int ncuts = 0, i, j, k;

	/* Non-usable entries unchanged and in order; usable pieces inside
	 * their entry, ascending, with its attributes */
	for (i = 0, j = 0; i < count; i++) {
		wide prev_end = 0;

		if (!bios[i].len)
			continue;
		if (bios[i].type != E820_TYPE_RAM) {
			if (j >= nout ||
			    memcmp(&out[j], &bios[i], sizeof(out[j])))
				return "non-usable entry changed or lost";
			j++;
			continue;
		}
		while (j < nout && out[j].type == E820_TYPE_RAM &&
		       out[j].start >= bios[i].start &&
		       entry_end(&out[j]) <= entry_end(&bios[i]) &&
		       out[j].start >= prev_end &&
		       out[j].attrs == bios[i].attrs &&
		       out[j].size == bios[i].size) {
			prev_end = entry_end(&out[j]);
			j++;
		}
	}
	if (j != nout)
		return "output entry not from its BIOS entry";
	for (i = 0; i < nout; i++) {
		if (!out[i].len)
			return "empty entry";
	}

	/* Cut the address space at every boundary */
	for (i = 0; i < count; i++) {
		if (bios[i].type == E820_TYPE_RAM) {
			cuts[ncuts++] = bios[i].start;
			cuts[ncuts++] = entry_end(&bios[i]);
		}
	}
	for (i = 0; i < nhide; i++) {
		cuts[ncuts++] = hide[i].start;
		cuts[ncuts++] = hide[i].end;
	}
	for (i = 0; i < nout; i++) {
		cuts[ncuts++] = out[i].start;
		cuts[ncuts++] = entry_end(&out[i]);
	}
	qsort(cuts, ncuts, sizeof(cuts[0]), cmp_wide);

	/* One byte per elementary interval */
	for (k = 0; k + 1 < ncuts; k++) {
		wide byte = cuts[k];
		int usable = 0, hidden = 0, reported = 0;

		if (cuts[k + 1] == byte)
			continue;
		for (i = 0; i < count; i++) {
			if (bios[i].type == E820_TYPE_RAM &&
			    bios[i].start <= byte && byte < entry_end(&bios[i]))
				usable = 1;
		}
		for (i = 0; i < nhide; i++) {
			if (hide[i].start <= byte && byte < hide[i].end)
				hidden = 1;
		}
		for (i = 0; i < nout; i++) {
			if (out[i].type == E820_TYPE_RAM &&
			    out[i].start <= byte && byte < entry_end(&out[i]))
				reported = 1;
		}
		if (reported && hidden)
			return "hidden byte reported usable";
		if (reported && !usable)
			return "unusable byte reported usable";
		if (usable && !hidden && !reported)
			return "usable byte lost";
	}
	return NULL;
}


static uint64_t rng_below(uint64_t n)
{
	return (rng() % n);
}

/** A random address near a base, on a small grid so ranges collide */
static uint64_t random_addr(uint64_t base, uint64_t unit)
{
	return (base + rng_below(48) * unit);
}

/** Thousands of random maps against the model, including truncation */
static void test_random_maps(void **state)
{
	static const uint64_t bases[] = {
		0, 0xfff00000ULL, 0x10000000000ULL, 0xfffffffffff00000ULL,
	};
	static const uint64_t units[] = { 1, 0x400, 0x1000, 0x10000 };
	struct e820_entry bios[16], out[MAX_OUT], part[MAX_OUT + 1];
	struct hidden_region hide[6];
	unsigned int iter, count, nhide, n, max, i;
	const char *error;

	(void)state;
	rng_state = 0x6d656d6275646765ULL;
	for (iter = 0; iter < 5000; iter++) {
		uint64_t base = bases[rng_below(ARRAY_SIZE(bases))];
		uint64_t unit = units[rng_below(ARRAY_SIZE(units))];

		count = rng_below(ARRAY_SIZE(bios) + 1);
		for (i = 0; i < count; i++) {
			bios[i].start = random_addr(base, unit);
			bios[i].len = (rng_below(4) ? rng_below(40) * unit :
				       rng_below(4) ? 0 : rng());
			bios[i].type = (rng_below(3) ? E820_TYPE_RAM :
					1 + rng_below(5));
			bios[i].size = (rng_below(2) ? 20 : 24);
			bios[i].attrs = ((bios[i].size == 24) ?
					 (uint32_t)rng_below(4) : 0);
		}
		nhide = rng_below(ARRAY_SIZE(hide) + 1);
		for (i = 0; i < nhide; i++) {
			uint64_t a = random_addr(base, unit);
			uint64_t b = (rng_below(8) ? random_addr(base, unit) :
				      UINT64_MAX);

			hide[i].start = (a < b ? a : b);
			hide[i].end = (a < b ? b : a);
		}

		n = e820_mangle(bios, count, hide, nhide, out, MAX_OUT);
		assert_true(n <= MAX_OUT);
		error = model_check(bios, count, hide, nhide, out, n);
		if (error) {
			print_error("iteration %u: %s\n", iter, error);
			fail();
		}

		/* A smaller buffer gets a prefix, and nothing past it */
		max = rng_below(n + 1);
		memset(part, 0x5a, sizeof(part));
		assert_int_equal(e820_mangle(bios, count, hide, nhide, part,
					     max), n);
		assert_memory_equal(part, out, max * sizeof(out[0]));
		for (i = max * sizeof(out[0]); i < sizeof(part); i++)
			assert_int_equal(((uint8_t *)part)[i], 0x5a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_example),
		cmocka_unit_test(test_split_and_trim),
		cmocka_unit_test(test_regions_any_order),
		cmocka_unit_test(test_other_types_untouched),
		cmocka_unit_test(test_attrs_on_pieces),
		cmocka_unit_test(test_overlapping_unsorted),
		cmocka_unit_test(test_above_4g),
		cmocka_unit_test(test_zero_length),
		cmocka_unit_test(test_top_of_address_space),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_all_or_nothing_hidden),
		cmocka_unit_test(test_e801),
		cmocka_unit_test(test_region_ending_at_1m),
		cmocka_unit_test(test_88),
		cmocka_unit_test(test_random_maps),
	};

	return cmocka_run_group_tests_name("e820mangle", tests, NULL, NULL);
}
