/** @file
 *
 * Heaps: the block engine, and the internal heap on top of it
 *
 * A heap (struct heap) is a list of free blocks plus a rule for making
 * room when an allocation fails.  The internal heap, a fixed pool of
 * HEAP_SIZE bytes, serves malloc(), zalloc(), realloc(), free() and
 * (through dma.c) malloc_dma() and free_dma(); umalloc.c runs external
 * memory on the same engine as a second heap that grows down from the
 * top of RAM.  This is iPXE's design: one block manager, two instances.
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
 * heap_realloc() prefixes each block with a HEAP_ALIGN-sized header
 * holding the block's size, placed so that the pointer after it has the
 * heap's pointer alignment (HEAP_ALIGN for malloc(), a page for
 * umalloc()).  Once the block is freed, the free-list header overlays
 * exactly that header: the object's own first words (typically a
 * reference count) survive free(), which is what iPXE's padded block
 * header achieves.  malloc_dma() blocks have no header, and their first
 * HEAP_ALIGN bytes become list pointers.
 */

#include "malloc.h"
#include "string.h"

_Static_assert(sizeof(struct heap_block) == HEAP_ALIGN,
	       "a free-block header is one granule");
_Static_assert((HEAP_ALIGN & (HEAP_ALIGN - 1)) == 0,
	       "the granularity is a power of two");
_Static_assert(HEAP_SIZE % HEAP_ALIGN == 0 && HEAP_SIZE >= HEAP_ALIGN,
	       "HEAP_SIZE must be a non-zero multiple of HEAP_ALIGN");

/**
 * Largest request the engine does any arithmetic on
 *
 * No heap comes near it (the address space also holds the firmware), so
 * clamping to it fails exactly where the real size would, and adding a
 * header and rounding up to a granule cannot wrap.
 */
#define HEAP_MAX_SIZE ((size_t)-(4 * HEAP_ALIGN))

#ifndef HOST_BUILD
/** The internal heap's pool */
static char heap_pool[HEAP_SIZE] __attribute__((aligned(HEAP_ALIGN)));
#else
/*
 * On the host the pool lies inside a larger space, so that a simulator can
 * put it where the firmware's lies modulo HEAP_HOST_PLACE: aligned requests
 * (malloc_dma()) then leave the same slack, and fail or succeed alike.  The
 * space is aligned at run time: a 64 KiB-aligned .bss keeps valgrind from
 * reading the program's symbols.
 */
static char heap_space[HEAP_SIZE + 2 * HEAP_HOST_PLACE];
static char *heap_pool;

/**
 * Place the internal heap's pool (host builds only), before heap_init()
 *
 * @v address		The firmware's pool address, a multiple of HEAP_ALIGN;
 *			the pool starts at the same offset from a
 *			HEAP_HOST_PLACE boundary
 *
 * Unplaced, heap_init() puts it HEAP_ALIGN past a boundary: aligned to no
 * more than the firmware promises, and the same in every run whatever
 * ASLR does.
 */
void heap_place(uintptr_t address)
{
	heap_pool = (char *)ALIGN_UP((uintptr_t)heap_space, HEAP_HOST_PLACE) +
		    (address & (HEAP_HOST_PLACE - HEAP_ALIGN));
}
#endif

static unsigned int heap_discard(size_t size);

/**
 * The internal heap
 *
 * Its head is a sentinel block of size zero outside the pool: every free
 * block has a predecessor, and the sentinel never touches a pool block,
 * so searches and merges need no special case for the first block.
 */
struct heap malloc_heap = {
	.ptr_align = HEAP_ALIGN,
	.grow = heap_discard,
};

#ifdef DEBUG
/* Debug builds verify the internal heap's invariants after every change */
#define heap_debug_check(heap)                                                 \
	assert((heap) != &malloc_heap || heap_check() == HEAP_OK)
#else
#define heap_debug_check(heap) ((void)0)
#endif

/**
 * Initialise the internal heap: one free block covering the pool,
 * counters zeroed
 *
 * Forgets every allocation; tests use it to start afresh.
 */
void heap_init(void)
{
	struct heap_block *block;

#ifdef HOST_BUILD
	if (!heap_pool)
		heap_place(HEAP_ALIGN);
#endif
	block = (struct heap_block *)heap_pool;
	block->size = HEAP_SIZE;
	block->next = NULL;
	malloc_heap.head.next = block;
	memset(&malloc_heap.stats, 0, sizeof(malloc_heap.stats));
}

/**
 * Round a block size up to the granularity
 *
 * @v size		Size in bytes, at most HEAP_MAX_SIZE
 * @ret size		Block size
 */
static size_t heap_round(size_t size)
{
	return ALIGN_UP(size, HEAP_ALIGN);
}

/**
 * Find the last free block below an address
 *
 * @v heap		Heap
 * @v addr		Address
 * @ret prev		Last free block below @c addr, or the sentinel head;
 *			its successor is the first free block at or above
 */
static struct heap_block *heap_find(struct heap *heap, void *addr)
{
	struct heap_block *prev = &heap->head;

	while (prev->next && (void *)prev->next < addr)
		prev = prev->next;
	return prev;
}

/**
 * Ask cache discarders, in table order, to free memory
 *
 * @v size		Size of the failed allocation (unused: any object
 *			freed may be what it needed)
 * @ret discarded	Objects freed by the first discarder that freed any
 *
 * The internal heap's way to make room.
 */
static unsigned int heap_discard(size_t size __attribute__((unused)))
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
	while (heap_discard(0))
		;
}

/**
 * Take part of a free block
 *
 * @v heap		Heap
 * @v prev		Predecessor of the free block
 * @v offset		Offset of the part, a multiple of HEAP_ALIGN
 * @v size		Size of the part, a multiple of HEAP_ALIGN, which
 *			must fit within the block after @c offset
 * @ret ptr		The part
 */
static void *heap_take(struct heap *heap, struct heap_block *prev,
		       size_t offset, size_t size)
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

	heap->stats.used += size;
	if (heap->stats.peak_used < heap->stats.used)
		heap->stats.peak_used = heap->stats.used;
	heap_debug_check(heap);
	return (char *)block + offset;
}

/**
 * Allocate a block (first fit)
 *
 * @v heap		Heap
 * @v size		Size in bytes, non-zero (untrusted)
 * @v align		Alignment: a power of two, or 0 for none (untrusted)
 * @v offset		Offset within the block of the point to align
 * @ret ptr		Block, or NULL
 *
 * On failure the heap's grow() makes room (the internal heap asks cache
 * discarders to free memory, one at a time) and the search repeats
 * until it succeeds or grow() can do nothing more.
 */
void *heap_alloc(struct heap *heap, size_t size, size_t align, size_t offset)
{
	struct heap_block *prev;
	struct heap_block *block;
	size_t skip;

	/* Reject misuse, and sizes whose rounding would wrap */
	if ((align & (align - 1)) || size > HEAP_MAX_SIZE)
		goto fail;
	size = heap_round(size);
	if (align < HEAP_ALIGN)
		align = HEAP_ALIGN;

	do {
		for (prev = &heap->head; (block = prev->next); prev = block) {
			/* Compared apart: skip + size may wrap */
			skip = -((uintptr_t)block + offset) & (align - 1);
			if (size <= block->size && skip <= block->size - size)
				return heap_take(heap, prev, skip, size);
		}
	} while (heap->grow(size));

fail:
	heap->stats.failures++;
	return NULL;
}

/**
 * Free a block
 *
 * @v heap		Heap
 * @v ptr		Block from heap_alloc(), or NULL
 * @v size		Size it was allocated with
 *
 * Also gives a heap new memory: a grow() hook frees the room it adds.
 */
void heap_free(struct heap *heap, void *ptr, size_t size)
{
	struct heap_block *block = ptr;
	struct heap_block *prev;
	struct heap_block *next;

	if (!ptr)
		return;
	size = heap_round(size);
	heap->stats.used -= size;

	/* Find the free neighbours */
	prev = heap_find(heap, block);
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
	heap_debug_check(heap);
}

/**
 * Resize a block that records its own size
 *
 * @v heap		Heap
 * @v old_ptr		Memory from heap_realloc() on this heap, or NULL
 * @v new_size		New size in bytes (untrusted)
 * @ret new_ptr		Resized memory, aligned to the heap's ptr_align,
 *			or NULL
 *
 * heap_realloc(heap, NULL, size) allocates, even for size 0 (a distinct
 * block); heap_realloc(heap, ptr, 0) frees and returns NULL.  Shrinking,
 * and growing into a directly following free block, happen in place;
 * otherwise the contents move.  If NULL is returned for a non-zero size,
 * the old memory is untouched and still allocated.
 */
void *heap_realloc(struct heap *heap, void *old_ptr, size_t new_size)
{
	size_t *old_header = NULL;
	size_t *header;
	struct heap_block *prev;
	size_t old_block = 0;
	size_t new_block;
	char *end;

	/* Nothing this large fits; clamping keeps the sums from wrapping.
	 * A zero size still takes a granule, or the pointer would be the
	 * address of the next block. */
	if (new_size > HEAP_MAX_SIZE)
		new_size = HEAP_MAX_SIZE;
	new_block = heap_round(new_size + HEAP_ALIGN + !new_size);

	if (old_ptr) {
		old_header = (void *)((char *)old_ptr - HEAP_ALIGN);
		old_block = *old_header;
		if (!new_size) {
			heap_free(heap, old_header, old_block);
			return NULL;
		}

		/* Shrink in place, freeing the tail */
		if (new_block <= old_block) {
			if (new_block < old_block)
				heap_free(heap, (char *)old_header + new_block,
					  old_block - new_block);
			header = old_header;
			goto done;
		}

		/* Grow in place into a directly following free block */
		end = (char *)old_header + old_block;
		prev = heap_find(heap, end);
		if ((char *)prev->next == end &&
		    new_block - old_block <= prev->next->size) {
			heap_take(heap, prev, 0, new_block - old_block);
			header = old_header;
			goto done;
		}
	}

	/* Move; on failure the old block stays as it was */
	header = heap_alloc(heap, new_block, heap->ptr_align, HEAP_ALIGN);
	if (!header)
		return NULL;
	if (old_ptr) {
		memcpy((char *)header + HEAP_ALIGN, old_ptr, old_block - HEAP_ALIGN);
		heap_free(heap, old_header, old_block);
	}
done:
	*header = new_block;
	return (char *)header + HEAP_ALIGN;
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
	return heap_realloc(&malloc_heap, NULL, size);
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
	if (ptr)
		heap_realloc(&malloc_heap, ptr, 0);
}

/**
 * Resize memory
 *
 * @v old_ptr		Memory from malloc(), zalloc() or realloc(), or NULL
 * @v new_size		New size in bytes (untrusted)
 * @ret new_ptr		Resized memory, or NULL (see heap_realloc())
 */
void *realloc(void *old_ptr, size_t new_size)
{
	return heap_realloc(&malloc_heap, old_ptr, new_size);
}

/**
 * Read the internal heap's statistics
 *
 * @v stats		Statistics to fill in
 */
void heap_stats(struct heap_stats *stats)
{
	struct heap_block *block;

	*stats = malloc_heap.stats;
	for (block = malloc_heap.head.next; block; block = block->next) {
		stats->free += block->size;
		if (stats->largest_free < block->size)
			stats->largest_free = block->size;
	}
}

/**
 * Check the internal heap's invariants
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

	for (block = malloc_heap.head.next; block; block = block->next) {
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
	if (free + malloc_heap.stats.used != HEAP_SIZE)
		return HEAP_ERR_TOTAL;
	if (malloc_heap.stats.peak_used < malloc_heap.stats.used)
		return HEAP_ERR_PEAK;
	return HEAP_OK;
}
#endif /* DEBUG */
