/** @file
 *
 * Hidden-region table tests: page rounding, emptiness, saturation, and
 * the table driving the mangler as the INT 15h hook uses it
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include "hidemem.h"

/** Reset the table between tests */
static int clear_table(void **state)
{
	(void)state;
	memset(hidden_regions, 0, sizeof(hidden_regions));
	return 0;
}

/** Regions are rounded outward to whole pages */
static void test_round_outward(void **state)
{
	(void)state;
	hide_region(HIDE_IMAGE, 0x9a123, 0x9b001);
	assert_int_equal(hidden_regions[HIDE_IMAGE].start, 0x9a000);
	assert_int_equal(hidden_regions[HIDE_IMAGE].end, 0x9c000);

	/* Aligned regions stay as they are */
	hide_region(HIDE_HEAP, 0x100000, 0x120000);
	assert_int_equal(hidden_regions[HIDE_HEAP].start, 0x100000);
	assert_int_equal(hidden_regions[HIDE_HEAP].end, 0x120000);

	/* One byte hides its page */
	hide_region(HIDE_UMALLOC, 0x7ffffff, 0x8000000);
	assert_int_equal(hidden_regions[HIDE_UMALLOC].start, 0x7fff000);
	assert_int_equal(hidden_regions[HIDE_UMALLOC].end, 0x8000000);

	/* Slots are independent */
	assert_int_equal(hidden_regions[HIDE_IMAGE].start, 0x9a000);
}

/** start == end empties a slot, even off a page boundary */
static void test_empty(void **state)
{
	(void)state;
	hide_region(HIDE_UMALLOC, 0x1000, 0x5000);
	hide_region(HIDE_UMALLOC, 0x3456, 0x3456);
	assert_int_equal(hidden_regions[HIDE_UMALLOC].start,
			 hidden_regions[HIDE_UMALLOC].end);
	hide_region(HIDE_UMALLOC, 0x100000000ULL, 0x100000000ULL);
	assert_int_equal(hidden_regions[HIDE_UMALLOC].start,
			 hidden_regions[HIDE_UMALLOC].end);
}

/** Regions at and above 4 GiB keep all 64 bits; the end never wraps */
static void test_high_addresses(void **state)
{
	(void)state;
	hide_region(HIDE_UMALLOC, 0xfffff000, 0x100000000ULL);
	assert_int_equal(hidden_regions[HIDE_UMALLOC].start, 0xfffff000);
	assert_int_equal(hidden_regions[HIDE_UMALLOC].end, 0x100000000ULL);

	hide_region(HIDE_HEAP, 0xfffffffffffff001ULL, UINT64_MAX);
	assert_int_equal(hidden_regions[HIDE_HEAP].start,
			 0xfffffffffffff000ULL);
	assert_int_equal(hidden_regions[HIDE_HEAP].end, UINT64_MAX);

	hide_region(HIDE_HEAP, 0x10, 0xfffffffffffff001ULL);
	assert_int_equal(hidden_regions[HIDE_HEAP].start, 0);
	assert_int_equal(hidden_regions[HIDE_HEAP].end, UINT64_MAX);
}

/** The table as the hook uses it: unaligned pieces still fully hidden */
static void test_table_hides(void **state)
{
	static const struct e820_entry bios[] = {
		{ .start = 0, .len = 0x9fc00, .type = 1, .size = 20 },
		{ .start = 0x100000, .len = 0x7f00000, .type = 1, .size = 20 },
	};
	struct e820_entry out[8];
	unsigned int n;

	(void)state;
	hide_region(HIDE_IMAGE, 0x9e800, 0x9f7ff);	/* base memory */
	hide_region(HIDE_HEAP, 0x7fc0010, 0x7fe0010);
	hide_region(HIDE_UMALLOC, 0x7e00000, 0x7fc0010);
	n = e820_mangle(bios, 2, hidden_regions, HIDE_SLOTS, out, 8);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].start, 0);
	assert_int_equal(out[0].len, 0x9e000);
	assert_int_equal(out[1].start, 0x100000);
	assert_int_equal(out[1].len, 0x7d00000);
	assert_int_equal(out[2].start, 0x7fe1000);
	assert_int_equal(out[2].len, 0x1f000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_round_outward, clear_table),
		cmocka_unit_test_setup(test_empty, clear_table),
		cmocka_unit_test_setup(test_high_addresses, clear_table),
		cmocka_unit_test_setup(test_table_hides, clear_table),
	};

	return cmocka_run_group_tests_name("hidemem", tests, NULL, NULL);
}
