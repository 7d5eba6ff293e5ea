/** @file
 *
 * libFuzzer harness: the internal heap under arbitrary operation sequences
 *
 * Input bytes drive malloc/zalloc/realloc/free/malloc_dma/free_dma on a
 * small table of slots.  After every operation heap_check() must pass;
 * a new block must not overlap any live one (checked exactly), and the
 * head and tail of every block carry a pattern derived from its
 * generation, verified before it is freed or moved.  Only head and tail:
 * filling whole 100 KiB blocks made each run 50 times slower.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "malloc.h"
#include "cursor.h"

#define SLOTS 32

struct slot {
	uint8_t *ptr;
	size_t size;
	size_t align;	/* 0: malloc family, else malloc_dma alignment */
	uint8_t seed;
};

static struct slot slots[SLOTS];

/** Pick a size: mostly small, sometimes large, sometimes hostile */
static size_t next_size(struct cursor *c)
{
	static const size_t hostile[] = { 0, 1, 7, 8, 100, 4095 };
	unsigned int mode = next_byte(c);
	unsigned int lo = next_byte(c);

	switch (mode >> 6) {
	case 0:
		return lo;
	case 1:
		return (lo << 4) | (mode & 0xf);
	case 2:
		return ((size_t)((mode & 0x3f) << 8) | lo) * 4;
	default:
		return SIZE_MAX - hostile[lo % 6];
	}
}

/** Bytes patterned at each end of a block */
#define PATTERN_LEN 128

/** Pattern byte at offset @c i of a block of generation @c seed */
static uint8_t pattern(uint8_t seed, size_t i)
{
	return (uint8_t)(seed + i * 7);
}

/** Offsets patterned in the first @c len bytes of a block of @c size */
static int patterned(size_t i, size_t size)
{
	return i < PATTERN_LEN || i >= size - PATTERN_LEN;
}

static void fill(struct slot *s)
{
	for (size_t i = 0; i < s->size; i++) {
		if (patterned(i, s->size))
			s->ptr[i] = pattern(s->seed, i);
		else if (i == PATTERN_LEN && s->size > 2 * PATTERN_LEN)
			i = s->size - PATTERN_LEN - 1;
	}
}

/** Verify the pattern of the first @c len bytes (a prefix kept by realloc) */
static void verify(const struct slot *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (patterned(i, s->size) && s->ptr[i] != pattern(s->seed, i))
			abort();
		if (i == PATTERN_LEN && s->size > 2 * PATTERN_LEN)
			i = s->size - PATTERN_LEN - 1;
	}
}

/** A new block must not overlap any other live block */
static void check_overlap(const struct slot *s)
{
	for (unsigned int i = 0; i < SLOTS; i++) {
		const struct slot *o = &slots[i];

		if (o == s || !o->ptr)
			continue;
		/* Zero-size blocks still own at least one byte */
		if (s->ptr < o->ptr + (o->size ? o->size : 1) &&
		    o->ptr < s->ptr + (s->size ? s->size : 1))
			abort();
	}
}

static void release(struct slot *s)
{
	if (!s->ptr)
		return;
	verify(s, s->size);
	if (s->align)
		free_dma(s->ptr, s->size);
	else
		free(s->ptr);
	*s = (struct slot){ NULL, 0, 0, 0 };
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct cursor c = { data, len };
	struct heap_stats stats;
	size_t peak = 0;
	uint8_t generation = 0;

	heap_init();
	memset(slots, 0, sizeof(slots));

	while (c.len) {
		unsigned int op = next_byte(&c);
		struct slot *s = &slots[next_byte(&c) % SLOTS];
		size_t size = next_size(&c);
		size_t align;
		void *ptr;

		switch (op % 6) {
		case 0: /* malloc */
		case 1: /* zalloc */
			release(s);
			ptr = (op % 6) ? zalloc(size) : malloc(size);
			if (!ptr)
				break;
			if ((op % 6) == 1) {
				for (size_t i = 0; i < size; i++)
					if (((uint8_t *)ptr)[i])
						abort();
			}
			*s = (struct slot){ ptr, size, 0, ++generation };
			check_overlap(s);
			fill(s);
			break;
		case 2: /* realloc (only malloc-family blocks) */
			if (s->align)
				break;
			ptr = realloc(s->ptr, size);
			if (!size && s->ptr) {
				/* realloc(p, 0) frees */
				if (ptr)
					abort();
				*s = (struct slot){ NULL, 0, 0, 0 };
				break;
			}
			if (!ptr) {
				/* The old block must be intact */
				if (s->ptr)
					verify(s, s->size);
				break;
			}
			s->ptr = ptr;
			verify(s, size < s->size ? size : s->size);
			s->size = size;
			s->seed = ++generation;
			check_overlap(s);
			fill(s);
			break;
		case 3: /* free */
		case 4:
			release(s);
			break;
		case 5: /* malloc_dma: power-of-two alignments, and some that are not */
			release(s);
			align = (size_t)1 << (op >> 4);
			if (op & 0x8)
				align += 3;
			ptr = malloc_dma(size, align);
			if (!ptr)
				break;
			if (align & (align - 1))
				abort(); /* non-power-of-two must fail */
			if ((uintptr_t)ptr & (align - 1))
				abort();
			*s = (struct slot){ ptr, size, align, ++generation };
			check_overlap(s);
			fill(s);
			break;
		}

		if (heap_check() != 0)
			abort();
		heap_stats(&stats);
		if (stats.peak_used < peak || stats.peak_used < stats.used)
			abort();
		peak = stats.peak_used;
	}

	/* Freeing everything must merge the pool back into one block */
	for (unsigned int i = 0; i < SLOTS; i++)
		release(&slots[i]);
	heap_stats(&stats);
	if (heap_check() != 0 || stats.used != 0 ||
	    stats.largest_free != stats.free)
		abort();
	return 0;
}
