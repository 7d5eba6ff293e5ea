#ifndef MALLOC_H
#define MALLOC_H

/** @file
 *
 * Internal heap: malloc(), zalloc(), realloc(), free() and malloc_dma()
 *
 * All sizes and alignments are untrusted: any value, including SIZE_MAX,
 * fails cleanly with NULL.  Deallocation trusts the caller: free() and
 * free_dma() take a pointer returned by the matching allocator (or NULL).
 */

#include "compiler.h"
#include "tables.h"

#ifdef HOST_BUILD
/* Keep the host's own allocator intact under the sanitizers */
#define malloc fw_malloc
#define zalloc fw_zalloc
#define realloc fw_realloc
#define free fw_free
#endif

/** Heap pool size in bytes (a build option) */
#ifndef HEAP_SIZE
#define HEAP_SIZE (128 * 1024)
#endif

/**
 * Heap granularity: the size of a free-block header (two words)
 *
 * Every block, free or allocated, is aligned to and a multiple of this, so
 * it differs between i386 (8) and x86-64 hosts (16).  malloc(), zalloc()
 * and realloc() return pointers aligned to it.
 */
#define HEAP_ALIGN (2 * sizeof(size_t))

/** heap_check() results: the first broken invariant */
enum heap_check_error {
	HEAP_OK = 0,		/**< All invariants hold */
	HEAP_ERR_RANGE = 1,	/**< A free block lies outside the pool or wraps */
	HEAP_ERR_ALIGN = 2,	/**< A free block is empty or not granular */
	HEAP_ERR_ORDER = 3,	/**< Free list unsorted or blocks overlap */
	HEAP_ERR_MERGE = 4,	/**< Two free blocks touch (missed merge) */
	HEAP_ERR_TOTAL = 5,	/**< Free + used bytes != pool size */
	HEAP_ERR_PEAK = 6,	/**< Peak below current use */
};

/** Heap statistics (bytes unless noted) */
struct heap_stats {
	size_t free;		/**< Bytes in free blocks */
	size_t used;		/**< Bytes in allocated blocks, headers included */
	size_t peak_used;	/**< Highest value of @c used since heap_init() */
	size_t largest_free;	/**< Largest single free block */
	unsigned long failures;	/**< Allocations that returned NULL */
};

/** A free block, at its own start */
struct heap_block {
	/** Size in bytes, this header included */
	size_t size;
	/** Next free block, at a higher address, or NULL */
	struct heap_block *next;
};

/**
 * A heap: free blocks and a way to make room (heap.c)
 *
 * The internal heap (malloc_heap) and umalloc's external heap are two
 * instances of it.
 */
struct heap {
	/** Free-list head: a sentinel of size zero, never in the heap */
	struct heap_block head;
	/** Alignment of heap_realloc()'s pointers (a power of two) */
	size_t ptr_align;
	/**
	 * Make room after a failed allocation
	 *
	 * @v size		Block size wanted (header and rounding
	 *			included), possibly beyond any room
	 * @ret progress	Non-zero if the allocation is worth retrying
	 */
	unsigned int (*grow)(size_t size);
	/** Counters (free and largest_free only from heap_stats()) */
	struct heap_stats stats;
};

extern struct heap malloc_heap;

/** A cache discarder: frees some cached memory, returns how many objects */
struct cache_discarder {
	unsigned int (*discard)(void);
};

TABLE_DECLARE(struct cache_discarder, cache_discarders);

/** Register a cache discarder */
#define __cache_discarder(order) __table_entry(cache_discarders, order)

void heap_init(void);
void *malloc(size_t size);
void *zalloc(size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);
void *malloc_dma(size_t size, size_t phys_align);
void free_dma(void *ptr, size_t size);
void heap_stats(struct heap_stats *stats);
#ifdef DEBUG
int heap_check(void);
#endif
void heap_discard_all(void);

#ifdef HOST_BUILD
/** Alignment whose multiples heap_place() keeps (the traces' largest is 16 KiB) */
#define HEAP_HOST_PLACE 0x10000
void heap_place(uintptr_t address);
#endif

/* The block engine under every heap */
void *heap_alloc(struct heap *heap, size_t size, size_t align, size_t offset);
void heap_free(struct heap *heap, void *ptr, size_t size);
void *heap_realloc(struct heap *heap, void *old_ptr, size_t new_size);

#endif /* MALLOC_H */
