/** @file
 *
 * External memory tests
 *
 * Each test maps a buffer of its own at a chosen physical address
 * (host_phys_offset), with guard bytes on both sides, builds an E820
 * map around it and checks the blocks, the hidden region and the
 * guards after every operation.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include "umalloc.h"
#include "hidemem.h"
#include "test_support.h"

#define PAGE 4096ULL
#define MB 0x100000ULL
#define GB 0x40000000ULL
#define GUARD 4096
/** The heap engine's block header: one granule, malloc.h's HEAP_ALIGN
 * (not included here: it renames free() on the host) */
#define HEAP_ALIGN (2 * sizeof(size_t))
#define GUARD_BYTE 0xa5

#define E(s, l, t) { .start = (s), .len = (l), .type = (t), .size = 20 }
#define RAM(s, l) E(s, l, E820_TYPE_RAM)

/** The simulated physical memory */
static uint8_t *arena;
static uint64_t arena_phys;
static size_t arena_len;

/**
 * Back [phys, phys + len) with a guarded buffer
 *
 * The buffer is page-aligned, as the firmware's identity mapping is:
 * the heap engine aligns virtual addresses.
 */
static void map_arena(uint64_t phys, size_t len)
{
	free(arena);
	arena = aligned_alloc(PAGE, len + 2 * GUARD);
	assert_non_null(arena);
	memset(arena, GUARD_BYTE, len + 2 * GUARD);
	arena_phys = phys;
	arena_len = len;
	host_phys_offset = ((intptr_t)(arena + GUARD) - (intptr_t)phys);
}

/** Nothing was written outside the mapped memory */
static void check_guards(void)
{
	size_t i;

	for (i = 0; i < GUARD; i++) {
		assert_int_equal(arena[i], GUARD_BYTE);
		assert_int_equal(arena[GUARD + arena_len + i], GUARD_BYTE);
	}
}

static uint64_t phys(const void *ptr)
{
	return virt_to_phys(ptr);
}

/** Assert the umalloc hidden region */
static void check_hidden(uint64_t start, uint64_t end)
{
	assert_int_equal(hidden_regions[HIDE_UMALLOC].start, start);
	assert_int_equal(hidden_regions[HIDE_UMALLOC].end, end);
}

static void check_hidden_empty(void)
{
	assert_int_equal(hidden_regions[HIDE_UMALLOC].start,
			 hidden_regions[HIDE_UMALLOC].end);
}

static int setup(void **state)
{
	(void)state;
	memset(hidden_regions, 0, sizeof(hidden_regions));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(arena);
	arena = NULL;
	return 0;
}

/** The largest block fills the region exactly; one byte more fails */
static void test_exact_fill(void **state)
{
	static const struct e820_entry map[] = { RAM(MB, 16 * PAGE) };
	uint8_t *block;

	(void)state;
	map_arena(MB, 16 * PAGE);
	assert_int_equal(umalloc_init(map, 1), 0);
	check_hidden_empty();

	/* One page holds the header */
	assert_null(umalloc(15 * PAGE + 1));
	check_hidden_empty();
	block = umalloc(15 * PAGE);
	assert_non_null(block);
	assert_int_equal(phys(block), MB + PAGE);
	memset(block, 0x11, 15 * PAGE);
	check_hidden(MB, MB + 16 * PAGE);
	assert_null(umalloc(0));
	assert_null(umalloc(1));
	check_hidden(MB, MB + 16 * PAGE);
	check_guards();

	ufree(block);
	check_hidden_empty();
	check_guards();
}

/** An unaligned map entry gives whole pages inside it only */
static void test_unaligned_region(void **state)
{
	static const struct e820_entry map[] = { RAM(MB + 0x10, 4 * PAGE) };
	uint8_t *block;

	(void)state;
	map_arena(MB, 5 * PAGE);
	assert_int_equal(umalloc_init(map, 1), 0);
	assert_null(umalloc(2 * PAGE + 1));
	block = umalloc(2 * PAGE);
	assert_non_null(block);
	assert_int_equal(phys(block), MB + 2 * PAGE);
	memset(block, 0x22, 2 * PAGE);
	check_hidden(MB + PAGE, MB + 4 * PAGE);
	check_guards();
	ufree(block);
}

/** A block whose header page is at address 0 is a block, not NULL */
static void test_block_at_zero(void **state)
{
	static const struct e820_entry map[] = { RAM(0, 4 * PAGE) };
	uint8_t *block;

	(void)state;
	map_arena(0, 4 * PAGE);
	assert_int_equal(umalloc_init(map, 1), 0);
	block = umalloc(3 * PAGE);
	assert_non_null(block);
	assert_int_equal(phys(block), PAGE);
	memset(block, 0x33, 3 * PAGE);
	check_hidden(0, 4 * PAGE);
	check_guards();

	/* Shrinking happens in place; the freed tail stays in the heap */
	assert_ptr_equal(urealloc(block, PAGE), block);
	assert_int_equal(block[PAGE - 1], 0x33);
	check_hidden(0, 4 * PAGE);
	ufree(block);
	check_hidden_empty();
	check_guards();
}

/**
 * A region ending exactly at 4 GiB gives up its top page (a pointer to
 * its end would wrap to 0 in 32 bits); memory above it is ignored
 */
static void test_top_at_4g(void **state)
{
	static const struct e820_entry map[] = {
		RAM(0x100000000ULL, 4 * GB),	/* above: unusable */
		RAM(3 * GB, GB),		/* ends at 4 GiB */
		RAM(MB, 64 * MB),
	};
	uint8_t *block;

	(void)state;
	map_arena(4 * GB - 16 * PAGE, 16 * PAGE);
	assert_int_equal(umalloc_init(map, ARRAY_SIZE(map)), 0);
	block = umalloc(PAGE);
	assert_non_null(block);
	assert_int_equal(phys(block), 4 * GB - 2 * PAGE);
	memset(block, 0x44, PAGE);
	check_hidden(4 * GB - 3 * PAGE, 4 * GB - PAGE);
	check_guards();
	ufree(block);
	check_hidden_empty();
}

/** An entry straddling 4 GiB is clipped below 4 GiB's top page */
static void test_straddling_4g(void **state)
{
	static const struct e820_entry map[] = {
		RAM(MB, 64 * MB),
		RAM(4 * GB - 128 * MB, 2 * GB),
	};
	uint8_t *block;

	(void)state;
	map_arena(4 * GB - 16 * PAGE, 16 * PAGE);
	assert_int_equal(umalloc_init(map, ARRAY_SIZE(map)), 0);
	block = umalloc(3 * PAGE);
	assert_non_null(block);
	assert_int_equal(phys(block), 4 * GB - 4 * PAGE);
	check_hidden(4 * GB - 5 * PAGE, 4 * GB - PAGE);
	check_guards();
	ufree(block);
}

/** Entries starting at or above 4 GiB are ignored, whatever their length */
static void test_ignores_above_4g(void **state)
{
	static const struct e820_entry map[] = {
		RAM(4 * GB, GB),		/* would wrap to [0, 1 GiB) */
		RAM(5 * GB + 0x123000, 2 * GB),	/* would wrap to 1 GiB up */
		RAM(MB, 16 * PAGE),
	};
	uint8_t *block;

	(void)state;
	map_arena(MB, 16 * PAGE);
	assert_int_equal(umalloc_init(map, ARRAY_SIZE(map)), 0);
	block = umalloc(PAGE);
	assert_non_null(block);
	assert_int_equal(phys(block), MB + 15 * PAGE);
	check_hidden(MB + 14 * PAGE, MB + 16 * PAGE);
	ufree(block);
	check_guards();
}

/** No usable page below 4 GiB: every allocation fails, nothing hidden */
static void test_no_region(void **state)
{
	static const struct e820_entry map[] = {
		RAM(4 * GB, 4 * GB),
		E(MB, 64 * MB, 2),
		RAM(0x1000, 0xfff),
		RAM(0x1800, 0x100),	/* inside one page, not at its start */
	};

	(void)state;
	assert_int_not_equal(umalloc_init(map, ARRAY_SIZE(map)), 0);
	assert_null(umalloc(0));
	assert_null(umalloc(1));
	check_hidden_empty();
	assert_int_not_equal(umalloc_init(map, 0), 0);
}

/** The region avoids hidden regions wherever they are */
static void test_skips_hidden(void **state)
{
	static const struct e820_entry map[] = {
		RAM(0, 0x9fc00),
		RAM(MB, 127 * MB),
		E(128 * MB, 16 * MB, 2),
	};
	static const struct {
		uint64_t image_start, image_end, heap_start, heap_end, top;
	} cases[] = {
		/* Image low, heap high: the gap between them wins */
		{ MB, 2 * MB, 100 * MB, 101 * MB, 100 * MB },
		/* Heap low, image high */
		{ 120 * MB, 121 * MB, 2 * MB, 3 * MB, 120 * MB },
		/* Image at the very top of RAM, heap just below it */
		{ 127 * MB, 128 * MB, 126 * MB + 0x10, 127 * MB, 126 * MB },
		/* Unaligned image in the middle: its pages stay hidden */
		{ 60 * MB + 0x123, 61 * MB - 1, 0x90000, 0x9f000, 128 * MB },
		/* Overlapping image and heap covering most of RAM */
		{ 10 * MB, 100 * MB, 50 * MB, 120 * MB, 10 * MB },
	};
	unsigned int i;
	uint8_t *block;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		hide_region(HIDE_IMAGE, cases[i].image_start,
			    cases[i].image_end);
		hide_region(HIDE_HEAP, cases[i].heap_start, cases[i].heap_end);
		map_arena(cases[i].top - 4 * PAGE, 4 * PAGE);
		assert_int_equal(umalloc_init(map, ARRAY_SIZE(map)), 0);
		block = umalloc(PAGE);
		assert_non_null(block);
		assert_int_equal(phys(block), cases[i].top - PAGE);
		memset(block, 0x55, PAGE);
		check_guards();
		ufree(block);
	}
}

/** Oversized requests fail and change nothing */
static void test_huge_sizes(void **state)
{
	static const struct e820_entry map[] = { RAM(MB, 64 * PAGE) };
	static const size_t minus[] = HOSTILE_OFFSETS;
	uint8_t *block;
	unsigned int i, j;

	(void)state;
	map_arena(MB, 64 * PAGE);
	assert_int_equal(umalloc_init(map, 1), 0);
	block = umalloc(100);
	assert_non_null(block);
	memset(block, 0x66, 100);
	for (i = 0; i < ARRAY_SIZE(minus); i++) {
		assert_null(umalloc(SIZE_MAX - minus[i]));
		assert_null(urealloc(block, SIZE_MAX - minus[i]));
		assert_null(urealloc(NULL, SIZE_MAX - minus[i]));
		check_hidden(MB + 62 * PAGE, MB + 64 * PAGE);
	}
	assert_null(umalloc(64 * PAGE));
	assert_null(urealloc(block, 63 * PAGE + 1));
	for (j = 0; j < 100; j++)
		assert_int_equal(block[j], 0x66);
	check_hidden(MB + 62 * PAGE, MB + 64 * PAGE);
	check_guards();
	ufree(block);
	check_hidden_empty();
}

/** urealloc keeps contents, moving or not */
static void test_urealloc(void **state)
{
	static const struct e820_entry map[] = { RAM(MB, 64 * PAGE) };
	uint8_t *a, *b, *a2, *b2;
	unsigned int i;

	(void)state;
	map_arena(MB, 64 * PAGE);
	assert_int_equal(umalloc_init(map, 1), 0);
	a = umalloc(PAGE);
	b = umalloc(PAGE);
	assert_non_null(a);
	assert_non_null(b);
	memset(a, 0xaa, PAGE);
	memset(b, 0xbb, PAGE);

	/* b sits below a's header page */
	assert_int_equal(phys(a), MB + 63 * PAGE);
	assert_int_equal(phys(b), MB + 61 * PAGE);

	/* The lowest block moves below itself; its old place stays free */
	b2 = urealloc(b, 5 * PAGE);
	assert_int_equal(phys(b2), MB + 55 * PAGE);
	for (i = 0; i < PAGE; i++)
		assert_int_equal(b2[i], 0xbb);
	memset(b2, 0xbc, 5 * PAGE);
	check_hidden(phys(b2) - PAGE, MB + 64 * PAGE);

	/* A block above grows within its slack in place, else moves */
	assert_ptr_equal(urealloc(a, PAGE - 16), a);
	a2 = urealloc(a, 3 * PAGE);
	assert_non_null(a2);
	assert_true(phys(a2) < phys(b2));
	for (i = 0; i < PAGE - 16; i++)
		assert_int_equal(a2[i], 0xaa);
	check_hidden(phys(a2) - PAGE, MB + 64 * PAGE);

	/* Shrinking happens in place, even for the lowest block */
	a = urealloc(a2, 10);
	assert_ptr_equal(a, a2);
	assert_int_equal(a[9], 0xaa);
	check_hidden(phys(a) - PAGE, MB + 64 * PAGE);
	for (i = 0; i < 5 * PAGE; i++)
		assert_int_equal(b2[i], 0xbc);

	/* NULL allocates; failure keeps the block */
	b = urealloc(NULL, 2 * PAGE);
	assert_non_null(b);
	assert_null(urealloc(a, 64 * PAGE));
	assert_int_equal(a[9], 0xaa);
	ufree(b);
	ufree(a);
	ufree(b2);
	check_hidden_empty();
	check_guards();
}

/** urealloc() stays in place when the room is exact, either way */
static void test_urealloc_exact_room(void **state)
{
	static const struct e820_entry map[] = { RAM(MB, 32 * PAGE) };
	uint8_t *a, *b, *c;
	size_t room;

	(void)state;
	map_arena(MB, 32 * PAGE);
	assert_int_equal(umalloc_init(map, 1), 0);
	a = umalloc(PAGE);
	b = umalloc(PAGE);
	/* Header and data fill exactly one page, right below b's header */
	c = umalloc(PAGE - HEAP_ALIGN);
	assert_int_equal(phys(c), phys(b) - PAGE);
	memset(c, 0xcc, 100);

	/* The same size again: no free neighbour, and no move */
	assert_ptr_equal(urealloc(c, PAGE - HEAP_ALIGN), c);
	assert_int_equal(c[99], 0xcc);

	/* Growing into a free neighbour that fits exactly: c up to a's
	 * header, through b's block and the gap above it */
	ufree(b);
	room = (phys(a) - phys(c) - HEAP_ALIGN);
	assert_ptr_equal(urealloc(c, room), c);
	assert_int_equal(c[99], 0xcc);
	memset(c, 0xcd, room);
	check_hidden(phys(c) - PAGE, MB + 32 * PAGE);
	ufree(c);
	ufree(a);
	check_hidden_empty();
	check_guards();
}

/** Freed blocks above the bottom are reused, merged with free neighbours */
static void test_reuse(void **state)
{
	static const struct e820_entry map[] = { RAM(MB, 32 * PAGE) };
	uint8_t *a, *b, *c, *d;

	(void)state;
	map_arena(MB, 32 * PAGE);
	assert_int_equal(umalloc_init(map, 1), 0);
	/* Headers take the end of the page below each block */
	a = umalloc(2 * PAGE);
	b = umalloc(3 * PAGE);
	c = umalloc(PAGE);
	assert_int_equal(phys(a), MB + 30 * PAGE);
	assert_int_equal(phys(b), MB + 26 * PAGE);
	assert_int_equal(phys(c), MB + 24 * PAGE);
	check_hidden(MB + 23 * PAGE, MB + 32 * PAGE);

	/* Freeing above the bottom keeps the region */
	ufree(b);
	check_hidden(MB + 23 * PAGE, MB + 32 * PAGE);
	d = umalloc(2 * PAGE);
	assert_ptr_equal(d, b);
	ufree(d);
	ufree(a);

	/* a and b merge into one free block of four pages and more */
	d = umalloc(4 * PAGE);
	assert_ptr_equal(d, b);
	memset(d, 0xdd, 4 * PAGE);
	check_hidden(MB + 23 * PAGE, MB + 32 * PAGE);

	/* Freeing the bottom releases everything free above it too */
	ufree(d);
	ufree(c);
	check_hidden_empty();
	assert_ptr_equal(umalloc(31 * PAGE), phys_to_virt(MB + PAGE));
	check_guards();
}

/** Does a usable entry of a map touch [start, end)? */
static int map_exposes(const struct e820_entry *map, unsigned int count,
		       uint64_t start, uint64_t end)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (map[i].type == E820_TYPE_RAM && map[i].start < end &&
		    start < map[i].start + map[i].len)
			return 1;
	}
	return 0;
}

/** The hook's map hides image, heap and blocks wherever they lie */
static void test_hook_hides_everything(void **state)
{
	static const struct e820_entry map[] = {
		RAM(0, 0x9fc00),
		E(0x9fc00, 0x400, 2),
		RAM(MB, 63 * MB),
	};
	struct e820_entry out[16];
	uint8_t *a, *b;
	unsigned int n;

	(void)state;
	/* The image in the largest region, the heap below it: umalloc
	 * lands between them, above the heap and below the image */
	hide_region(HIDE_IMAGE, 40 * MB + 0x234, 41 * MB);
	hide_region(HIDE_HEAP, 8 * MB, 8 * MB + 0x20000);
	map_arena(40 * MB - 16 * PAGE, 16 * PAGE);
	assert_int_equal(umalloc_init(map, ARRAY_SIZE(map)), 0);
	a = umalloc(3 * PAGE);
	b = umalloc(PAGE + 1);
	assert_int_equal(phys(a), 40 * MB - 3 * PAGE);
	n = e820_mangle(map, ARRAY_SIZE(map), hidden_regions, HIDE_SLOTS, out,
			ARRAY_SIZE(out));
	assert_true(n <= ARRAY_SIZE(out));
	assert_false(map_exposes(out, n, 40 * MB + 0x234, 41 * MB));
	assert_false(map_exposes(out, n, 8 * MB, 8 * MB + 0x20000));
	assert_false(map_exposes(out, n, phys(b) - PAGE, 40 * MB));
	/* ... and nothing else */
	assert_true(map_exposes(out, n, phys(b) - PAGE - 1, phys(b) - PAGE));
	assert_true(map_exposes(out, n, 41 * MB, 41 * MB + 1));
	assert_true(map_exposes(out, n, 8 * MB - 1, 8 * MB));
	assert_true(map_exposes(out, n, 8 * MB + 0x20000, 8 * MB + 0x20001));
	ufree(a);
	ufree(b);
	n = e820_mangle(map, ARRAY_SIZE(map), hidden_regions, HIDE_SLOTS, out,
			ARRAY_SIZE(out));
	assert_true(map_exposes(out, n, 40 * MB - PAGE, 40 * MB));
	check_guards();
}

/** Initialising again forgets the old blocks and their hidden region */
static void test_reinit(void **state)
{
	static const struct e820_entry map[] = { RAM(MB, 16 * PAGE) };

	(void)state;
	map_arena(MB, 16 * PAGE);
	assert_int_equal(umalloc_init(map, 1), 0);
	assert_non_null(umalloc(4 * PAGE));
	check_hidden(MB + 11 * PAGE, MB + 16 * PAGE);

	/* Our own stale slot must not push the region elsewhere */
	assert_int_equal(umalloc_init(map, 1), 0);
	check_hidden_empty();
	assert_ptr_equal(umalloc(15 * PAGE), phys_to_virt(MB + PAGE));
	check_hidden(MB, MB + 16 * PAGE);
	check_guards();
}

/** Initialising again forgets free blocks too, even outside the new region */
static void test_reinit_forgets_free_blocks(void **state)
{
	static const struct e820_entry big[] = { RAM(MB, 32 * PAGE) };
	static const struct e820_entry small[] = { RAM(MB, 16 * PAGE) };
	uint8_t *a, *b;

	(void)state;
	map_arena(MB, 32 * PAGE);
	assert_int_equal(umalloc_init(big, 1), 0);
	a = umalloc(PAGE);
	b = umalloc(PAGE);
	assert_non_null(b);
	ufree(a);	/* free, above b: stays in the heap */
	assert_int_equal(umalloc_init(small, 1), 0);
	check_hidden_empty();
	a = umalloc(PAGE);
	assert_int_equal(phys(a), MB + 15 * PAGE);
	check_hidden(MB + 14 * PAGE, MB + 16 * PAGE);
	ufree(a);
	check_hidden_empty();
	check_guards();
}

/** umalloc(0) is a real block */
static void test_zero_size(void **state)
{
	static const struct e820_entry map[] = { RAM(MB, 8 * PAGE) };
	void *a, *b;

	(void)state;
	map_arena(MB, 8 * PAGE);
	assert_int_equal(umalloc_init(map, 1), 0);
	a = umalloc(0);
	b = umalloc(0);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_equal(phys(a) % PAGE, 0);
	ufree(b);
	ufree(a);
	ufree(NULL);
	check_hidden_empty();
}


#define SLOTS 12

/** Random operations: blocks intact and disjoint, hidden == live blocks */
static void test_random_ops(void **state)
{
	static const struct e820_entry map[] = { RAM(MB, 256 * PAGE) };
	uint8_t *ptr[SLOTS] = { NULL };
	size_t size[SLOTS] = { 0 };
	unsigned int op, i, j;
	uint64_t lowest;
	size_t k, want;
	uint8_t *got;

	(void)state;
	rng_state = 0x756d616c6c6f6321ULL;
	map_arena(MB, 256 * PAGE);
	assert_int_equal(umalloc_init(map, 1), 0);
	for (op = 0; op < 2000; op++) {
		i = rng() % SLOTS;
		want = ((rng() % 4) ? rng() % (4 * PAGE) : rng() % 64);
		if (ptr[i] && (rng() % 2)) {
			ufree(ptr[i]);
			ptr[i] = NULL;
			size[i] = 0;
		} else {
			got = urealloc(ptr[i], want);
			if (ptr[i] && !want) {
				/* urealloc(ptr, 0) frees */
				assert_null(got);
				ptr[i] = NULL;
				size[i] = 0;
			} else if (got) {
				if (want > size[i])
					memset(got + size[i], i, want - size[i]);
				ptr[i] = got;
				size[i] = want;
			}
		}

		/* Every live block: page-aligned, intact, inside, disjoint */
		lowest = 0;
		for (i = 0; i < SLOTS; i++) {
			if (!ptr[i])
				continue;
			assert_int_equal(phys(ptr[i]) % PAGE, 0);
			assert_true(phys(ptr[i]) >= MB + PAGE);
			assert_true(phys(ptr[i]) + size[i] <= MB + 256 * PAGE);
			for (k = 0; k < size[i]; k++) {
				if (ptr[i][k] != i)
					fail_msg("op %u: block %u corrupt", op, i);
			}
			for (j = 0; j < i; j++) {
				if (ptr[j])
					assert_true(ptr[i] + size[i] <= ptr[j] ||
						    ptr[j] + size[j] <= ptr[i]);
			}
			if (!lowest || phys(ptr[i]) < lowest)
				lowest = phys(ptr[i]);
		}
		if (lowest)
			check_hidden(lowest - PAGE, MB + 256 * PAGE);
		else
			check_hidden_empty();
	}
	for (i = 0; i < SLOTS; i++)
		ufree(ptr[i]);
	check_hidden_empty();
	check_guards();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exact_fill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unaligned_region, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_block_at_zero, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_top_at_4g, setup, teardown),
		cmocka_unit_test_setup_teardown(test_straddling_4g, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ignores_above_4g, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_region, setup, teardown),
		cmocka_unit_test_setup_teardown(test_urealloc_exact_room, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_skips_hidden, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_huge_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_urealloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hook_hides_everything, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reinit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reinit_forgets_free_blocks,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_ops, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("umalloc", tests, NULL, NULL);
}
