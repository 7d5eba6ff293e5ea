/** @file
 *
 * DMA-able memory
 *
 * malloc_dma() hands out blocks of a caller-known size from the internal
 * heap (heap.c), aligned to any power of two.  The firmware runs flat,
 * so a physical alignment is a virtual one.  As in iPXE, the caller
 * keeps the size and passes it back to free_dma(); there is no header,
 * so a device sees exactly the bytes it was given.
 *
 * Alignment 0 or 1 means "no constraint" (the heap's own HEAP_ALIGN).
 * Any other non-power-of-two alignment, and any size that cannot fit,
 * fails cleanly with NULL and counts as a failed allocation.
 * malloc_dma(0, align) returns a distinct block that free_dma(ptr, 0)
 * accepts.
 */

#include "malloc.h"

/**
 * Allocate DMA-able memory
 *
 * @v size		Size in bytes (untrusted)
 * @v phys_align	Physical alignment: a power of two, or 0 (untrusted)
 * @ret ptr		Aligned memory, or NULL
 */
void *malloc_dma(size_t size, size_t phys_align)
{
	/* A zero size still takes a granule: the block must be distinct */
	return heap_alloc(&malloc_heap, size + !size, phys_align, 0);
}

/**
 * Free DMA-able memory
 *
 * @v ptr		Memory from malloc_dma(), or NULL
 * @v size		Size passed to malloc_dma()
 */
void free_dma(void *ptr, size_t size)
{
	heap_free(&malloc_heap, ptr, size + !size);
}
