/** @file
 *
 * Unit tests for the internal heap: malloc(), zalloc(), realloc(), free(),
 * statistics, heap_check() and cache discarders
 *
 * Every test starts from heap_init().  Sizes adapt to HEAP_SIZE so the
 * suite holds for any `make HEAP_SIZE=...`.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "malloc.h"
#include "test_support.h"

/** Sizes that wrap any careless size arithmetic */
static const size_t hostile[] = HOSTILE_OFFSETS;

/** Bytes a malloc()ed block of @c size occupies, header included
 * (a zero size still takes a granule) */
static size_t block_bytes(size_t size)
{
	size += !size;
	return (size + HEAP_ALIGN + HEAP_ALIGN - 1) & ~(HEAP_ALIGN - 1);
}


static int setup(void **state)
{
	(void)state;
	heap_init();
	return 0;
}

/* ------------------------------------------------------------------ */
/* Cache discarders: each holds cached blocks and frees one per call   */

#define CACHE_MAX 8

struct test_cache {
	void *blocks[CACHE_MAX];
	unsigned int count;
};

static struct test_cache caches[3];
static char discard_log[64];
static unsigned int discard_log_len;

static unsigned int discard_one(unsigned int index)
{
	struct test_cache *cache = &caches[index];

	if (discard_log_len < sizeof(discard_log) - 1)
		discard_log[discard_log_len++] = (char)('a' + index);
	if (!cache->count)
		return 0;
	free(cache->blocks[--cache->count]);
	return 1;
}

static unsigned int discard_a(void)
{
	return discard_one(0);
}

static unsigned int discard_b(void)
{
	return discard_one(1);
}

static unsigned int discard_c(void)
{
	return discard_one(2);
}

struct cache_discarder test_discarder_a __cache_discarder(1) = { discard_a };
struct cache_discarder test_discarder_b __cache_discarder(2) = { discard_b };
struct cache_discarder test_discarder_c __cache_discarder(3) = { discard_c };

/** Names of the discarders in table order, e.g. "abc" */
static const char *table_order(void)
{
	static char order[8];
	struct cache_discarder *discarder;
	unsigned int n = 0;

	for_each_table_entry(discarder, cache_discarders) {
		order[n++] = (discarder->discard == discard_a) ? 'a' :
			     (discarder->discard == discard_b) ? 'b' : 'c';
	}
	order[n] = '\0';
	return order;
}

static void reset_log(void)
{
	memset(discard_log, 0, sizeof(discard_log));
	discard_log_len = 0;
}

/* ------------------------------------------------------------------ */

static void test_init(void **state)
{
	struct heap_stats st = stats();

	(void)state;
	assert_pristine();
	assert_int_equal(st.peak_used, 0);
	assert_int_equal(st.failures, 0);
}

/** Every pointer aligned, inside the pool's bytes, and no two overlap */
static void test_alignment_and_overlap(void **state)
{
	enum { N = 256 };
	uint8_t *ptrs[N];
	size_t sizes[N];
	unsigned int n;
	size_t used = 0;

	(void)state;
	rng_state = 1;
	for (n = 0; n < N; n++) {
		sizes[n] = rng() % 300;
		ptrs[n] = malloc(sizes[n]);
		if (!ptrs[n])
			break;
		assert_int_equal((uintptr_t)ptrs[n] % HEAP_ALIGN, 0);
		fill(ptrs[n], sizes[n], n);
		used += block_bytes(sizes[n]);
	}
	assert_true(n > 16);
	assert_int_equal(stats().used, used);
	for (unsigned int i = 0; i < n; i++) {
		verify(ptrs[i], sizes[i], i);
		for (unsigned int j = i + 1; j < n; j++) {
			assert_true(ptrs[i] + sizes[i] <= ptrs[j] ||
				    ptrs[j] + sizes[j] <= ptrs[i]);
		}
	}
	for (unsigned int i = 0; i < n; i++)
		free(ptrs[i]);
	assert_pristine();
}

static void test_zero_sizes(void **state)
{
	void *a, *b, *c, *d;

	(void)state;
	a = malloc(0);
	b = malloc(0);
	c = zalloc(0);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_ptr_not_equal(a, b);
	assert_ptr_not_equal(b, c);
	/* Header plus one granule each, so no pointer is another block's */
	assert_int_equal(stats().used, 3 * 2 * HEAP_ALIGN);
	d = malloc_dma(0, 0);
	assert_ptr_not_equal(c, d);
	free_dma(d, 0);

	/* realloc(p, 0) frees and returns NULL */
	assert_null(realloc(a, 0));
	assert_int_equal(stats().used, 2 * 2 * HEAP_ALIGN);
	/* realloc(NULL, 0) is malloc(0) */
	a = realloc(NULL, 0);
	assert_non_null(a);
	free(a);
	free(b);
	free(c);
	free(NULL);
	assert_pristine();
	assert_int_equal(stats().failures, 0);
}

/** Untrusted sizes near SIZE_MAX fail cleanly and count as failures */
static void test_overflow_sizes(void **state)
{
	uint8_t *keep;
	struct heap_stats before;
	unsigned long expected;
	size_t size;

	(void)state;
	keep = malloc(64);
	fill(keep, 64, 5);
	before = stats();
	expected = before.failures;

	for (unsigned int i = 0; i < ARRAY_SIZE(hostile); i++) {
		size = SIZE_MAX - hostile[i];
		assert_null(malloc(size));
		assert_null(zalloc(size));
		assert_null(realloc(NULL, size));
		assert_null(realloc(keep, size));
		expected += 4;
		verify(keep, 64, 5);
	}
	/* Just beyond what the pool can hold */
	assert_null(malloc(HEAP_SIZE));
	assert_null(malloc(HEAP_SIZE - HEAP_ALIGN + 1));
	assert_null(realloc(keep, HEAP_SIZE));
	expected += 3;

	struct heap_stats after = stats();
	assert_int_equal(after.failures, expected);
	assert_int_equal(after.used, before.used);
	assert_int_equal(after.largest_free, before.largest_free);
	verify(keep, 64, 5);
	free(keep);
	assert_pristine();
}

/** The whole pool in one allocation, exactly */
static void test_exact_fill(void **state)
{
	uint8_t *all;

	(void)state;
	all = malloc(HEAP_SIZE - HEAP_ALIGN);
	assert_non_null(all);
	fill(all, HEAP_SIZE - HEAP_ALIGN, 9);
	assert_int_equal(stats().free, 0);
	assert_int_equal(stats().largest_free, 0);
	assert_int_equal(heap_check(), HEAP_OK);
	assert_null(malloc(0));
	verify(all, HEAP_SIZE - HEAP_ALIGN, 9);
	free(all);
	assert_pristine();
}

/** Freeing everything, in any order, merges back into one block */
static void test_merge_restores_pool(void **state)
{
	enum { N = 64 };
	void *ptrs[N];
	unsigned int order[N];
	unsigned int n;

	(void)state;
	for (uint32_t seed = 1; seed <= 20; seed++) {
		rng_state = seed;
		for (n = 0; n < N; n++) {
			ptrs[n] = malloc(rng() % (HEAP_SIZE / (2 * N)));
			assert_non_null(ptrs[n]);
			order[n] = n;
		}
		/* Fisher-Yates shuffle of the free order */
		for (n = N - 1; n > 0; n--) {
			unsigned int j = rng() % (n + 1);
			unsigned int t = order[n];
			order[n] = order[j];
			order[j] = t;
		}
		for (n = 0; n < N; n++) {
			free(ptrs[order[n]]);
			assert_int_equal(heap_check(), HEAP_OK);
		}
		assert_pristine();
	}
}

static void test_realloc_contents(void **state)
{
	uint8_t *a, *b, *c, *p;
	size_t used;

	(void)state;
	/* Grow in place: nothing follows a */
	a = malloc(100);
	fill(a, 100, 1);
	p = realloc(a, 1000);
	assert_ptr_equal(p, a);
	verify(a, 100, 1);
	assert_int_equal(stats().used, block_bytes(1000));
	fill(a, 1000, 2);

	/* Grow by moving: b sits right after a */
	b = malloc(50);
	fill(b, 50, 3);
	p = realloc(a, 3000);
	assert_non_null(p);
	assert_ptr_not_equal(p, a);
	verify(p, 1000, 2);
	verify(b, 50, 3);
	a = p;
	assert_int_equal(stats().used, block_bytes(3000) + block_bytes(50));

	/* Shrink in place; the tail is free again and reusable */
	fill(a, 3000, 4);
	p = realloc(a, 10);
	assert_ptr_equal(p, a);
	verify(a, 10, 4);
	assert_int_equal(stats().used, block_bytes(10) + block_bytes(50));
	c = malloc(2000);
	assert_ptr_equal(c, a + block_bytes(10));
	verify(a, 10, 4);
	verify(b, 50, 3);

	/* Same size: nothing moves */
	assert_ptr_equal(realloc(a, 10), a);

	/* Grow in place into a free block that follows */
	free(c);
	used = stats().used;
	p = realloc(a, 500);
	assert_ptr_equal(p, a);
	verify(a, 10, 4);
	assert_int_equal(stats().used, used - block_bytes(10) + block_bytes(500));

	/* A growth that cannot succeed leaves the block intact */
	fill(a, 500, 6);
	used = stats().used;
	assert_null(realloc(a, HEAP_SIZE - HEAP_ALIGN));
	verify(a, 500, 6);
	assert_int_equal(stats().used, used);

	free(a);
	free(b);
	assert_pristine();
}

/** realloc() moves when the following free block is too small */
static void test_realloc_gap_too_small(void **state)
{
	uint8_t *a, *gap, *b, *p;

	(void)state;
	a = malloc(64);
	gap = malloc(64);
	b = malloc(64);
	fill(a, 64, 7);
	fill(b, 64, 8);
	free(gap);
	p = realloc(a, 64 + 64 + HEAP_ALIGN + 1);
	assert_non_null(p);
	assert_ptr_not_equal(p, a);
	verify(p, 64, 7);
	verify(b, 64, 8);
	free(p);
	free(b);
	assert_pristine();
}

/** realloc() grows in place into a following free block that fits exactly */
static void test_realloc_exact_fit_in_place(void **state)
{
	uint8_t *a, *gap, *b, *p;
	size_t used;

	(void)state;
	a = malloc(64);
	gap = malloc(64);
	b = malloc(64);
	fill(a, 64, 7);
	fill(b, 64, 8);
	free(gap);
	used = stats().used;
	/* a's block plus the whole gap, not a byte more */
	p = realloc(a, 64 + block_bytes(64));
	assert_ptr_equal(p, a);
	verify(a, 64, 7);
	verify(b, 64, 8);
	assert_int_equal(stats().used, used + block_bytes(64));
	free(a);
	free(b);
	assert_pristine();
}

/** Shrinking by a single granule gives that granule back */
static void test_realloc_shrink_one_granule(void **state)
{
	uint8_t *a, *b;

	(void)state;
	a = malloc(100);
	fill(a, 100, 9);
	assert_ptr_equal(realloc(a, 100 - HEAP_ALIGN), a);
	verify(a, 100 - HEAP_ALIGN, 9);
	assert_int_equal(stats().used, block_bytes(100 - HEAP_ALIGN));
	b = malloc(1);
	assert_ptr_equal(b, a + block_bytes(100 - HEAP_ALIGN));
	free(b);
	free(a);
	assert_pristine();
}

static void test_zalloc_zeroes(void **state)
{
	uint8_t *a, *z;

	(void)state;
	/* Dirty memory first, so zeroes are zalloc()'s doing */
	a = malloc(4000);
	memset(a, 0xa5, 4000);
	free(a);
	z = zalloc(4000);
	assert_ptr_equal(z, a);
	for (size_t i = 0; i < 4000; i++)
		assert_int_equal(z[i], 0);
	free(z);
}

static void test_peak_and_failures(void **state)
{
	void *a, *b;
	struct heap_stats st;

	(void)state;
	a = malloc(1000);
	b = malloc(2000);
	free(a);
	st = stats();
	assert_int_equal(st.used, block_bytes(2000));
	assert_int_equal(st.peak_used, block_bytes(1000) + block_bytes(2000));
	free(b);
	assert_int_equal(stats().peak_used, st.peak_used);
	assert_null(malloc(HEAP_SIZE));
	assert_null(malloc(SIZE_MAX));
	assert_int_equal(stats().failures, 2);
	heap_init();
	assert_int_equal(stats().peak_used, 0);
	assert_int_equal(stats().failures, 0);
}

/** Fill the heap with 1 KiB blocks; returns how many */
static unsigned int fill_heap(void **ptrs, unsigned int max)
{
	unsigned int n = 0;

	while (n < max && (ptrs[n] = malloc(1024 - HEAP_ALIGN)))
		n++;
	return n;
}

static void test_discarders(void **state)
{
	void *ptrs[HEAP_SIZE / 1024];
	const char *order = table_order();
	char expect[16];
	unsigned long failures;
	unsigned int n;
	void *p, *q;

	(void)state;
	assert_int_equal(strlen(order), 3);
	n = fill_heap(ptrs, ARRAY_SIZE(ptrs));
	assert_int_equal(n, HEAP_SIZE / 1024);

	/* In table order: the first discarder holds nothing, the second
	 * the last two blocks, the third the one before */
	struct test_cache *second = &caches[order[1] - 'a'];
	struct test_cache *third = &caches[order[2] - 'a'];
	second->blocks[second->count++] = ptrs[--n];
	second->blocks[second->count++] = ptrs[--n];
	third->blocks[third->count++] = ptrs[--n];

	/* One round, stopping at the first discarder that freed something */
	reset_log();
	p = malloc(100);
	assert_non_null(p);
	snprintf(expect, sizeof(expect), "%.2s", order);
	assert_string_equal(discard_log, expect);
	assert_int_equal(second->count, 1);
	assert_int_equal(third->count, 1);

	/* Rounds repeat until no discarder frees anything: the two freed
	 * blocks are not adjacent, so 2 KiB never fits */
	reset_log();
	failures = stats().failures;
	assert_null(malloc(2048 - HEAP_ALIGN));
	snprintf(expect, sizeof(expect), "%.2s%s%s", order, order, order);
	assert_string_equal(discard_log, expect);
	assert_int_equal(second->count + third->count, 0);
	assert_int_equal(stats().failures, failures + 1);

	/* Enough room: no discarder is asked */
	free(p);
	reset_log();
	q = malloc(2048 - HEAP_ALIGN);
	assert_non_null(q);
	assert_int_equal(discard_log_len, 0);

	free(q);
	while (n)
		free(ptrs[--n]);
	assert_pristine();
}

/** heap_discard_all() empties every cache, then stops */
static void test_discard_all(void **state)
{
	const char *order = table_order();
	unsigned int left[3];
	char expect[64];
	unsigned int len = 0;
	unsigned int freed;

	(void)state;
	for (unsigned int i = 0; i < 3; i++) {
		caches[i].count = 0;
		for (unsigned int j = 0; j <= i; j++)
			caches[i].blocks[caches[i].count++] = malloc(10 * j);
		left[i] = caches[i].count;
	}
	assert_int_not_equal(stats().used, 0);

	/* Expected calls: each round asks in table order up to the first
	 * discarder holding something; the last round asks all three */
	do {
		freed = 0;
		for (unsigned int k = 0; k < 3 && !freed; k++) {
			expect[len++] = order[k];
			if (left[order[k] - 'a']) {
				left[order[k] - 'a']--;
				freed = 1;
			}
		}
	} while (freed);
	expect[len] = '\0';

	reset_log();
	heap_discard_all();
	assert_string_equal(discard_log, expect);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(caches[i].count, 0);
	assert_pristine();
}

/**
 * A freed object's first words survive free(), whichever neighbours it
 * merges with: the free-list header overlays only the allocator's own
 * header (iPXE pads its header for the same reason, 13e4b9ec4)
 */
static void test_freed_object_keeps_first_words(void **state)
{
	size_t *obj[4];

	(void)state;
	/* Free the third, first, second, fourth: no merge, merge with
	 * the following block, with both, with the preceding block */
	for (unsigned int i = 0; i < 4; i++) {
		obj[i] = malloc(64);
		obj[i][0] = 0x7e57c0de + i;
		obj[i][1] = 0x5eed + i;
	}
	static const unsigned int order[] = { 2, 0, 1, 3 };
	for (unsigned int k = 0; k < 4; k++) {
		free(obj[order[k]]);
		for (unsigned int j = 0; j <= k; j++) {
			assert_int_equal(obj[order[j]][0], 0x7e57c0de + order[j]);
			assert_int_equal(obj[order[j]][1], 0x5eed + order[j]);
		}
	}
	assert_pristine();
}

/** A view of a free block's header, for deliberate corruption */
struct free_view {
	size_t size;
	void *next;
};

static void test_check_catches_corruption(void **state)
{
	uint8_t *a, *b, *c, *d;
	struct free_view *fa;
	struct free_view saved;
	size_t local;

	(void)state;
	a = malloc(100);
	b = malloc(100);
	c = malloc(100);
	d = malloc(100);
	free(a);
	free(c);
	assert_int_equal(heap_check(), HEAP_OK);

	/* a's block is the first free block; its header replaced a's */
	fa = (struct free_view *)(a - HEAP_ALIGN);
	saved = *fa;
	assert_int_equal(fa->size, block_bytes(100));
	assert_ptr_equal(fa->next, c - HEAP_ALIGN);

	fa->next = &local;
	assert_int_equal(heap_check(), HEAP_ERR_RANGE);
	*fa = saved;
	fa->size = HEAP_SIZE + HEAP_ALIGN;
	assert_int_equal(heap_check(), HEAP_ERR_RANGE);
	*fa = saved;
	fa->size += 1;
	assert_int_equal(heap_check(), HEAP_ERR_ALIGN);
	*fa = saved;
	fa->size = 0;
	assert_int_equal(heap_check(), HEAP_ERR_ALIGN);
	*fa = saved;
	fa->next = fa;
	assert_int_equal(heap_check(), HEAP_ERR_ORDER);
	*fa = saved;
	fa->size = (size_t)(c - a);
	assert_int_equal(heap_check(), HEAP_ERR_MERGE);
	*fa = saved;
	fa->size -= HEAP_ALIGN;
	assert_int_equal(heap_check(), HEAP_ERR_TOTAL);
	*fa = saved;
	assert_int_equal(heap_check(), HEAP_OK);

	free(b);
	free(d);
	assert_pristine();
}

/**
 * Random operations against a reference model
 *
 * The model knows each live block's size and pattern, so it predicts
 * the exact bytes in use; malloc() is first fit over blocks of exact
 * alignment, so an allocation must fail exactly when no free block is
 * large enough.
 */
static void test_random_against_model(void **state)
{
	enum { SLOTS = 96, OPS = 4000 };
	struct {
		uint8_t *ptr;
		size_t size;
		unsigned int seed;
	} slot[SLOTS] = { 0 };
	size_t model_used = 0;
	unsigned int seed = 0;
	unsigned long failures = 0;

	(void)state;
	rng_state = 0x2545f491;
	for (unsigned int op = 0; op < OPS; op++) {
		unsigned int s = rng() % SLOTS;
		uint32_t r = rng();
		size_t size = (r & 3) ? (r >> 8) % 512 :
			      (r >> 8) % (HEAP_SIZE / 8);
		size_t largest = stats().largest_free;
		uint8_t *p;

		if (r & 0x10 && slot[s].ptr) {
			/* realloc */
			size_t keep = size < slot[s].size ? size : slot[s].size;

			p = realloc(slot[s].ptr, size);
			if (!size) {
				assert_null(p);
			} else if (!p) {
				failures++;
				verify(slot[s].ptr, slot[s].size, slot[s].seed);
				/* Neither room to move nor to grow */
				assert_true(block_bytes(size) > largest);
				continue;
			} else {
				verify(p, keep, slot[s].seed);
			}
			model_used -= block_bytes(slot[s].size);
			slot[s].ptr = NULL;
		} else if (slot[s].ptr) {
			verify(slot[s].ptr, slot[s].size, slot[s].seed);
			free(slot[s].ptr);
			model_used -= block_bytes(slot[s].size);
			slot[s].ptr = NULL;
			p = NULL;
		} else {
			p = (r & 0x20) ? zalloc(size) : malloc(size);
			if (!p) {
				failures++;
				assert_true(block_bytes(size) > largest);
			} else {
				assert_true(block_bytes(size) <= largest);
				if (r & 0x20) {
					for (size_t i = 0; i < size; i++)
						assert_int_equal(p[i], 0);
				}
			}
		}
		if (p) {
			assert_int_equal((uintptr_t)p % HEAP_ALIGN, 0);
			slot[s].ptr = p;
			slot[s].size = size;
			slot[s].seed = ++seed;
			fill(p, size, seed);
			model_used += block_bytes(size);
		}
		assert_int_equal(heap_check(), HEAP_OK);
		assert_int_equal(stats().used, model_used);
		assert_int_equal(stats().failures, failures);
	}
	assert_true(failures > 0);
	for (unsigned int s = 0; s < SLOTS; s++) {
		if (slot[s].ptr) {
			verify(slot[s].ptr, slot[s].size, slot[s].seed);
			free(slot[s].ptr);
		}
	}
	assert_pristine();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init, setup),
		cmocka_unit_test_setup(test_alignment_and_overlap, setup),
		cmocka_unit_test_setup(test_zero_sizes, setup),
		cmocka_unit_test_setup(test_overflow_sizes, setup),
		cmocka_unit_test_setup(test_exact_fill, setup),
		cmocka_unit_test_setup(test_merge_restores_pool, setup),
		cmocka_unit_test_setup(test_realloc_contents, setup),
		cmocka_unit_test_setup(test_realloc_gap_too_small, setup),
		cmocka_unit_test_setup(test_realloc_exact_fit_in_place, setup),
		cmocka_unit_test_setup(test_realloc_shrink_one_granule, setup),
		cmocka_unit_test_setup(test_zalloc_zeroes, setup),
		cmocka_unit_test_setup(test_peak_and_failures, setup),
		cmocka_unit_test_setup(test_discarders, setup),
		cmocka_unit_test_setup(test_discard_all, setup),
		cmocka_unit_test_setup(test_freed_object_keeps_first_words, setup),
		cmocka_unit_test_setup(test_check_catches_corruption, setup),
		cmocka_unit_test_setup(test_random_against_model, setup),
	};

	return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
