/** @file
 *
 * Internal heap
 *
 * A fixed pool of HEAP_SIZE bytes serves malloc(), zalloc(), realloc(),
 * free() and (through dma.c) malloc_dma() and free_dma().
 *
 * Memory allocation assumes that all input parameters are untrusted: any
 * size or alignment, including SIZE_MAX, either succeeds or fails cleanly
 * with NULL.  Memory deallocation trusts the caller to pass a pointer from
 * the matching allocator (and, for free_dma(), the same size), or NULL.
 *
 * Free blocks sit in a singly linked list sorted by address and are
 * merged with both neighbours on free, so no two free blocks ever touch.
 * Every block, free or allocated, is aligned to and a multiple of
 * HEAP_ALIGN, the size of a free-block header: any split therefore
 * leaves fragments that can hold a header and keep the list aligned.
 *
 * malloc() prefixes each block with a HEAP_ALIGN-sized header holding the
 * block's size, so its results stay HEAP_ALIGN-aligned.  Once the block
 * is freed, the free-list header overlays exactly that header: the
 * object's own first words (typically a reference count) survive free(),
 * which is what iPXE's padded block header achieves.  malloc_dma() blocks
 * have no header, and their first HEAP_ALIGN bytes become list pointers.
 */

#include "malloc.h"
#include "string.h"

/** A free block, at its own start */
struct heap_block {
	/** Size in bytes, this header included */
	size_t size;
	/** Next free block, at a higher address, or NULL */
	struct heap_block *next;
};

_Static_assert(sizeof(struct heap_block) == HEAP_ALIGN,
	       "a free-block header is one granule");
_Static_assert((HEAP_ALIGN & (HEAP_ALIGN - 1)) == 0,
	       "the granularity is a power of two");
_Static_assert(HEAP_SIZE % HEAP_ALIGN == 0 && HEAP_SIZE >= HEAP_ALIGN,
	       "HEAP_SIZE must be a non-zero multiple of HEAP_ALIGN");
/* Sizes are capped at HEAP_SIZE before any addition, so such sums of two
 * cannot wrap */
_Static_assert(HEAP_SIZE <= SIZE_MAX / 4, "HEAP_SIZE too large");

/** The pool */
static char heap_pool[HEAP_SIZE] __attribute__((aligned(HEAP_ALIGN)));

/**
 * Head of the free list, by ascending address
 *
 * A sentinel block of size zero outside the pool: every free block has a
 * predecessor, and the sentinel never touches a pool block, so searches
 * and merges need no special case for the first block.
 */
static struct heap_block heap_head;

/** Counters (the free-byte fields are computed from the list) */
static struct heap_stats heap_counters;

#ifdef DEBUG
/* Debug builds verify every invariant after every change */
#define heap_debug_check() assert(heap_check() == HEAP_OK)
#else
#define heap_debug_check() ((void)0)
#endif

/**
 * Initialise the heap: one free block covering the pool, counters zeroed
 *
 * Forgets every allocation; tests use it to start afresh.
 */
void heap_init(void)
{
	struct heap_block *block = (struct heap_block *)heap_pool;

	block->size = HEAP_SIZE;
	block->next = NULL;
	heap_head.next = block;
	memset(&heap_counters, 0, sizeof(heap_counters));
}

/**
 * Round a block size up to the granularity
 *
 * @v size		Size in bytes, at most HEAP_SIZE
 * @ret size		Block size
 */
static size_t heap_round(size_t size)
{
	return ALIGN_UP(size, HEAP_ALIGN);
}

/**
 * Find the last free block below an address
 *
 * @v addr		Address within the pool
 * @ret prev		Last free block below @c addr, or the sentinel head;
 *			its successor is the first free block at or above
 */
static struct heap_block *heap_find(void *addr)
{
	struct heap_block *prev = &heap_head;

	while (prev->next && (void *)prev->next < addr)
		prev = prev->next;
	return prev;
}

/**
 * Ask cache discarders, in table order, to free memory
 *
 * @ret discarded	Objects freed by the first discarder that freed any
 */
static unsigned int heap_discard(void)
{
	struct cache_discarder *discarder;
	unsigned int discarded;

	for_each_table_entry(discarder, cache_discarders) {
		/* Stop at the first success: the caller retries */
		discarded = discarder->discard();
		if (discarded)
			return discarded;
	}
	return 0;
}

/**
 * Discard every cache, e.g. before a shutdown leak check
 */
void heap_discard_all(void)
{
	while (heap_discard())
		;
}

/**
 * Take part of a free block
 *
 * @v prev		Predecessor of the free block
 * @v offset		Offset of the part, a multiple of HEAP_ALIGN
 * @v size		Size of the part, a multiple of HEAP_ALIGN, which
 *			must fit within the block after @c offset
 * @ret ptr		The part
 */
static void *heap_take(struct heap_block *prev, size_t offset, size_t size)
{
	struct heap_block *block = prev->next;
	struct heap_block *next = block->next;
	struct heap_block *tail;
	size_t tail_size = block->size - offset - size;

	/* Leave the tail free */
	if (tail_size) {
		tail = (void *)((char *)block + offset + size);
		tail->size = tail_size;
		tail->next = next;
		next = tail;
	}

	/* Leave the head free, or unlink the block */
	if (offset) {
		block->size = offset;
		prev = block;
	}
	prev->next = next;

	heap_counters.used += size;
	if (heap_counters.peak_used < heap_counters.used)
		heap_counters.peak_used = heap_counters.used;
	heap_debug_check();
	return (char *)block + offset;
}

/**
 * Allocate a block (first fit)
 *
 * @v size		Size in bytes, non-zero (untrusted)
 * @v align		Alignment: a power of two, or 0 for none (untrusted)
 * @ret ptr		Block, or NULL
 *
 * On failure, cache discarders free memory one at a time and the search
 * repeats until it succeeds or none frees anything.
 */
void *alloc_memblock(size_t size, size_t align)
{
	struct heap_block *prev;
	struct heap_block *block;
	size_t offset;

	/* Reject misuse, and sizes that can never fit before rounding */
	if ((align & (align - 1)) || size > HEAP_SIZE)
		goto fail;
	size = heap_round(size);
	if (align < HEAP_ALIGN)
		align = HEAP_ALIGN;

	do {
		for (prev = &heap_head; (block = prev->next); prev = block) {
			/* Both terms are below SIZE_MAX / 2: no wrap */
			offset = -(uintptr_t)block & (align - 1);
			if (offset + size <= block->size)
				return heap_take(prev, offset, size);
		}
	} while (heap_discard());

fail:
	heap_counters.failures++;
	return NULL;
}

/**
 * Free a block
 *
 * @v ptr		Block from alloc_memblock(), or NULL
 * @v size		Size it was allocated with
 */
void free_memblock(void *ptr, size_t size)
{
	struct heap_block *block = ptr;
	struct heap_block *prev;
	struct heap_block *next;

	if (!ptr)
		return;
	size = heap_round(size);
	heap_counters.used -= size;

	/* Find the free neighbours */
	prev = heap_find(block);
	next = prev->next;

	/* Absorb a free block that follows directly */
	if ((char *)block + size == (char *)next) {
		size += next->size;
		next = next->next;
	}

	/* Extend a free block that precedes directly, or link in */
	if ((char *)prev + prev->size == (char *)block) {
		size += prev->size;
		block = prev;
	} else {
		prev->next = block;
	}
	block->size = size;
	block->next = next;
	heap_debug_check();
}

/**
 * Allocate memory
 *
 * @v size		Size in bytes (untrusted)
 * @ret ptr		HEAP_ALIGN-aligned memory, or NULL; malloc(0)
 *			returns a distinct pointer that free() accepts
 */
void *malloc(size_t size)
{
	size_t *header;

	/* Beyond the pool it fails anyway; clamping keeps the header
	 * addition from wrapping */
	if (size > HEAP_SIZE)
		size = HEAP_SIZE;
	/* A zero size still takes a granule, or the pointer would be the
	 * address of the next block */
	size += HEAP_ALIGN + !size;

	header = alloc_memblock(size, 0);
	if (!header)
		return NULL;
	*header = size;
	return (char *)header + HEAP_ALIGN;
}

/**
 * Allocate zeroed memory
 *
 * @v size		Size in bytes (untrusted)
 * @ret ptr		Zeroed memory, or NULL
 */
void *zalloc(size_t size)
{
	void *ptr = malloc(size);

	if (ptr)
		memset(ptr, 0, size);
	return ptr;
}

/**
 * Free memory
 *
 * @v ptr		Memory from malloc(), zalloc() or realloc(), or NULL
 */
void free(void *ptr)
{
	size_t *header;

	if (ptr) {
		header = (void *)((char *)ptr - HEAP_ALIGN);
		free_memblock(header, *header);
	}
}

/**
 * Resize memory
 *
 * @v old_ptr		Memory from malloc(), zalloc() or realloc(), or NULL
 * @v new_size		New size in bytes (untrusted)
 * @ret new_ptr		Resized memory, or NULL
 *
 * realloc(NULL, size) is malloc(size), even for size 0; realloc(ptr, 0)
 * frees and returns NULL.  Shrinking, and growing into a directly following free block,
 * happen in place; otherwise the contents move.  If NULL is returned for
 * a non-zero size, the old memory is untouched and still allocated.
 */
void *realloc(void *old_ptr, size_t new_size)
{
	size_t *header;
	struct heap_block *prev;
	char *end;
	size_t old_block;
	size_t new_block;
	void *new_ptr;

	if (!old_ptr)
		return malloc(new_size);
	if (!new_size) {
		free(old_ptr);
		return NULL;
	}

	header = (void *)((char *)old_ptr - HEAP_ALIGN);
	old_block = heap_round(*header);
	end = (char *)header + old_block;
	/* As in malloc(): nothing beyond the pool fits, and no wrap */
	if (new_size > HEAP_SIZE)
		new_size = HEAP_SIZE;
	new_block = heap_round(new_size + HEAP_ALIGN);

	if (new_block <= old_block) {
		/* Shrink in place, freeing the tail */
		if (new_block < old_block)
			free_memblock((char *)header + new_block,
				      old_block - new_block);
	} else {
		/* Grow in place into a directly following free block */
		prev = heap_find(end);
		if ((char *)prev->next != end ||
		    new_block - old_block > prev->next->size)
			goto move;
		heap_take(prev, 0, new_block - old_block);
	}
	*header = new_block;
	return old_ptr;

move:
	/* On failure the old block stays as it was */
	new_ptr = malloc(new_size);
	if (new_ptr) {
		memcpy(new_ptr, old_ptr, old_block - HEAP_ALIGN);
		free(old_ptr);
	}
	return new_ptr;
}

/**
 * Read the heap statistics
 *
 * @v stats		Statistics to fill in
 */
void heap_stats(struct heap_stats *stats)
{
	struct heap_block *block;

	*stats = heap_counters;
	for (block = heap_head.next; block; block = block->next) {
		stats->free += block->size;
		if (stats->largest_free < block->size)
			stats->largest_free = block->size;
	}
}

/**
 * Check the heap's invariants
 *
 * @ret rc		HEAP_OK, or the first broken invariant (enum
 *			heap_check_error)
 *
 * Safe on a corrupted list: each pointer is range-checked before it is
 * followed, and addresses must strictly increase, so the walk ends.
 * Only in debug builds: the release image carries no self-tests.
 */
#ifdef DEBUG
int heap_check(void)
{
	struct heap_block *block;
	uintptr_t prev_end = 0;
	uintptr_t offset;
	size_t free = 0;

	for (block = heap_head.next; block; block = block->next) {
		offset = (uintptr_t)block - (uintptr_t)heap_pool;
		if (offset >= HEAP_SIZE || block->size > HEAP_SIZE - offset)
			return HEAP_ERR_RANGE;
		if ((offset | block->size) & (HEAP_ALIGN - 1) || !block->size)
			return HEAP_ERR_ALIGN;
		if ((uintptr_t)block < prev_end)
			return HEAP_ERR_ORDER;
		if ((uintptr_t)block == prev_end)
			return HEAP_ERR_MERGE;
		prev_end = (uintptr_t)block + block->size;
		free += block->size;
	}
	if (free + heap_counters.used != HEAP_SIZE)
		return HEAP_ERR_TOTAL;
	if (heap_counters.peak_used < heap_counters.used)
		return HEAP_ERR_PEAK;
	return HEAP_OK;
}
#endif /* DEBUG */
