/** @file
 *
 * Unit tests for malloc_dma() and free_dma()
 *
 * Alignment of every block for every power of two (beyond 4 KiB too),
 * clean failure of misuse and hostile sizes, fragments left aligned, and
 * coexistence with malloc() blocks.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "malloc.h"
#include "test_support.h"

static const size_t hostile[] = HOSTILE_OFFSETS;

/** Bytes a malloc_dma() block of @c size occupies */
static size_t dma_bytes(size_t size)
{
	size_t bytes = (size + HEAP_ALIGN - 1) & ~(HEAP_ALIGN - 1);

	return bytes ? bytes : HEAP_ALIGN;
}

/** Bytes a malloc() block of @c size occupies: a header, and at least a
 * granule after it */
static size_t malloc_bytes(size_t size)
{
	return dma_bytes(size) + HEAP_ALIGN;
}


static int setup(void **state)
{
	(void)state;
	heap_init();
	return 0;
}

/** Every power of two up to half the pool, on an empty heap */
static void test_every_power_of_two(void **state)
{
	(void)state;
	for (size_t align = 1; align <= HEAP_SIZE / 2; align <<= 1) {
		uint8_t *p = malloc_dma(HEAP_SIZE / 4, align);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % align, 0);
		assert_int_equal(heap_check(), HEAP_OK);
		assert_int_equal(stats().used, HEAP_SIZE / 4);
		fill(p, HEAP_SIZE / 4, 1);
		free_dma(p, HEAP_SIZE / 4);
		assert_pristine();
	}
	/* 0 means no constraint */
	uint8_t *p = malloc_dma(100, 0);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % HEAP_ALIGN, 0);
	free_dma(p, 100);
	assert_pristine();
	assert_int_equal(stats().failures, 0);
}

/** Huge power-of-two alignments: aligned if they succeed, never a crash */
static void test_huge_alignment(void **state)
{
	(void)state;
	for (unsigned int bit = 12; bit < 8 * sizeof(size_t); bit++) {
		size_t align = (size_t)1 << bit;
		uint8_t *p = malloc_dma(64, align);

		if (p) {
			assert_int_equal((uintptr_t)p % align, 0);
			free_dma(p, 64);
		}
		assert_pristine();
	}
	/* Beyond any address the pool can hold: must fail */
	assert_null(malloc_dma(64, (size_t)1 << (8 * sizeof(size_t) - 1)));
}

static void test_non_power_of_two_fails(void **state)
{
	static const size_t bad[] = {
		3, 5, 6, 12, 100, 4097, 4096 + 2048, SIZE_MAX,
		SIZE_MAX - 1, ((size_t)1 << (8 * sizeof(size_t) - 1)) + 1,
	};
	unsigned long failures = 0;

	(void)state;
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_null(malloc_dma(64, bad[i]));
		assert_null(malloc_dma(0, bad[i]));
		failures += 2;
		assert_int_equal(stats().failures, failures);
		assert_pristine();
	}
}

static void test_overflow_sizes(void **state)
{
	static const size_t aligns[] = { 0, 1, 8, 4096, 65536 };
	unsigned long failures = 0;

	(void)state;
	for (unsigned int i = 0; i < ARRAY_SIZE(hostile); i++) {
		for (unsigned int j = 0; j < ARRAY_SIZE(aligns); j++) {
			assert_null(malloc_dma(SIZE_MAX - hostile[i],
					       aligns[j]));
			failures++;
		}
	}
	assert_null(malloc_dma(HEAP_SIZE + 1, 0));
	assert_null(malloc_dma(HEAP_SIZE, 2 * HEAP_SIZE));
	failures += 2;
	assert_int_equal(stats().failures, failures);
	assert_pristine();
}

/** The whole pool as one DMA block */
static void test_exact_fill(void **state)
{
	uint8_t *p;

	(void)state;
	p = malloc_dma(HEAP_SIZE, 0);
	assert_non_null(p);
	fill(p, HEAP_SIZE, 3);
	assert_int_equal(stats().free, 0);
	assert_null(malloc_dma(1, 0));
	verify(p, HEAP_SIZE, 3);
	free_dma(p, HEAP_SIZE);
	assert_pristine();
}

static void test_zero_size(void **state)
{
	void *a, *b;

	(void)state;
	a = malloc_dma(0, 64);
	b = malloc_dma(0, 64);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_equal((uintptr_t)a % 64, 0);
	assert_int_equal(stats().used, 2 * HEAP_ALIGN);
	free_dma(a, 0);
	free_dma(b, 0);
	free_dma(NULL, 100);
	assert_pristine();
}

/**
 * Aligned blocks leave fragments before and after them; those must stay
 * granular, so later allocations and merges keep every invariant
 */
static void test_fragments_stay_aligned(void **state)
{
	enum { N = 48 };
	void *ptrs[N];
	size_t sizes[N];
	unsigned int n = 0;

	(void)state;
	rng_state = 7;
	for (unsigned int i = 0; i < N; i++) {
		/* Odd sizes, alignments from 16 B to 8 KiB, interleaved
		 * with small malloc() blocks that fill the fragments */
		sizes[n] = 1 + rng() % 777;
		ptrs[n] = malloc_dma(sizes[n], (size_t)16 << (rng() % 10));
		if (!ptrs[n])
			break;
		n++;
		void *small = malloc(1 + rng() % 40);
		assert_non_null(small);
		assert_int_equal((uintptr_t)small % HEAP_ALIGN, 0);
		free(small);
		assert_int_equal(heap_check(), HEAP_OK);
	}
	assert_true(n > 8);
	for (unsigned int i = 0; i < n; i += 2)
		free_dma(ptrs[i], sizes[i]);
	assert_int_equal(heap_check(), HEAP_OK);
	for (unsigned int i = 1; i < n; i += 2)
		free_dma(ptrs[i], sizes[i]);
	assert_pristine();
}

/** DMA and malloc() blocks mixed at random, contents and counts checked */
static void test_random_mixed(void **state)
{
	enum { SLOTS = 64, OPS = 3000 };
	struct {
		uint8_t *ptr;
		size_t size;
		size_t align;	/* 0: a malloc() block */
		unsigned int seed;
	} slot[SLOTS] = { 0 };
	size_t model_used = 0;
	unsigned int seed = 0;

	(void)state;
	rng_state = 0x9e3779b9;
	for (unsigned int op = 0; op < OPS; op++) {
		unsigned int s = rng() % SLOTS;
		uint32_t r = rng();

		if (slot[s].ptr) {
			verify(slot[s].ptr, slot[s].size, slot[s].seed);
			if (slot[s].align) {
				free_dma(slot[s].ptr, slot[s].size);
				model_used -= dma_bytes(slot[s].size);
			} else {
				free(slot[s].ptr);
				model_used -= malloc_bytes(slot[s].size);
			}
			slot[s].ptr = NULL;
		} else {
			size_t size = (r >> 8) % ((r & 1) ? 4096 : 200);
			size_t align = (r & 2) ? (size_t)1 << ((r >> 2) % 15) :
				       0;
			uint8_t *p = align ? malloc_dma(size, align) :
					     malloc(size);

			if (p) {
				assert_int_equal((uintptr_t)p %
						 (align ? align : HEAP_ALIGN), 0);
				slot[s].ptr = p;
				slot[s].size = size;
				slot[s].align = align;
				slot[s].seed = ++seed;
				fill(p, size, seed);
				model_used += align ? dma_bytes(size) :
						      malloc_bytes(size);
			}
		}
		assert_int_equal(heap_check(), HEAP_OK);
		assert_int_equal(stats().used, model_used);
	}
	for (unsigned int s = 0; s < SLOTS; s++) {
		if (!slot[s].ptr)
			continue;
		verify(slot[s].ptr, slot[s].size, slot[s].seed);
		if (slot[s].align)
			free_dma(slot[s].ptr, slot[s].size);
		else
			free(slot[s].ptr);
	}
	assert_pristine();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_every_power_of_two, setup),
		cmocka_unit_test_setup(test_huge_alignment, setup),
		cmocka_unit_test_setup(test_non_power_of_two_fails, setup),
		cmocka_unit_test_setup(test_overflow_sizes, setup),
		cmocka_unit_test_setup(test_exact_fill, setup),
		cmocka_unit_test_setup(test_zero_size, setup),
		cmocka_unit_test_setup(test_fragments_stay_aligned, setup),
		cmocka_unit_test_setup(test_random_mixed, setup),
	};

	return cmocka_run_group_tests_name("dma", tests, NULL, NULL);
}
