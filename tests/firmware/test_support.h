#ifndef TEST_SUPPORT_H
#define TEST_SUPPORT_H

/** @file
 *
 * Helpers shared by the firmware's cmocka tests
 *
 * Include after <cmocka.h> (and after malloc.h for the heap helpers).  Everything is static inline, so a test
 * that uses only part of it builds without unused-function warnings.
 */

#include <stddef.h>
#include <stdint.h>

/** Offsets below SIZE_MAX that broke iPXE's size arithmetic (PITFALLS.md) */
#define HOSTILE_OFFSETS { 0, 1, 7, 8, 100, 4095 }

/** State of rng(): set it to a seed, so a failure replays */
static uint64_t rng_state;

/** xorshift64*: reproducible without the C library's rand() */
static inline uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/** Pattern byte of block @c seed at offset @c i */
static inline uint8_t pattern(unsigned int seed, size_t i)
{
	return (uint8_t)(seed * 29 + i * 7 + (i >> 8));
}

/** Fill @c len bytes with the pattern of block @c seed */
static inline void fill(void *ptr, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)ptr)[i] = pattern(seed, i);
}

/** Assert that @c len bytes still hold the pattern of block @c seed */
static inline void verify(const void *ptr, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		assert_int_equal(((const uint8_t *)ptr)[i], pattern(seed, i));
}

#ifdef MALLOC_H
/** The heap's statistics, by value */
static inline struct heap_stats stats(void)
{
	struct heap_stats st;

	heap_stats(&st);
	return st;
}

/** Assert the heap is back to one free block covering the whole pool */
static inline void assert_pristine(void)
{
	struct heap_stats st = stats();

	assert_int_equal(heap_check(), HEAP_OK);
	assert_int_equal(st.used, 0);
	assert_int_equal(st.free, HEAP_SIZE);
	assert_int_equal(st.largest_free, HEAP_SIZE);
}
#endif /* MALLOC_H */

#endif /* TEST_SUPPORT_H */
