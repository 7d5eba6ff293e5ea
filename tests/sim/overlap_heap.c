/** @file
 *
 * A broken heap for testing heapsim itself: each allocation starts one
 * granule (8 bytes) after the previous one, whatever its size, as a heap
 * that lost track of its blocks would.  heapsim linked with it must notice
 * the overlap when it checks a block's contents (tests/sim/test_heapsim.py).
 */

#include <string.h>
#include "malloc.h"

static char arena[4096] __attribute__((aligned(4096)));
static size_t next;

void heap_init(void)
{
	next = 0;
}

void *malloc(size_t size)
{
	void *ptr = arena + next;

	if (size > sizeof(arena) - next)
		return NULL;
	next += 8;
	return ptr;
}

void *zalloc(size_t size)
{
	void *ptr = malloc(size);

	if (ptr)
		memset(ptr, 0, size);
	return ptr;
}

void *realloc(void *ptr, size_t size)
{
	(void)ptr;
	return malloc(size);
}

void free(void *ptr)
{
	(void)ptr;
}

void *malloc_dma(size_t size, size_t align)
{
	return align <= 8 ? malloc(size) : NULL;
}

void free_dma(void *ptr, size_t size)
{
	(void)ptr;
	(void)size;
}

void heap_stats(struct heap_stats *stats)
{
	/* Nothing is counted as used: heapsim's end-of-trace totals hold */
	memset(stats, 0, sizeof(*stats));
	stats->free = stats->largest_free = HEAP_SIZE;
}
