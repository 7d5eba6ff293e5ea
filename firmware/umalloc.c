/** @file
 *
 * External memory allocation
 *
 * umalloc() hands out blocks from the top of the largest usable E820
 * region below 4 GiB that is not already hidden (the image, the heap),
 * growing down, and keeps exactly the live blocks hidden from INT 15h
 * callers.  Sizes are untrusted and every size is checked; pointers
 * passed to urealloc() and ufree() are trusted to come from umalloc().
 *
 * Historically, umalloc() has produced page-aligned allocations.  Keep
 * that: a block's data starts on a page, so the blocks and the hidden
 * region stay easy to read in a memory map.  Each block's header sits
 * just below its data, in the page that may hold the tail of the block
 * below; a block's data is never at address 0 (that would be NULL).
 *
 * All offsets are from the page-aligned region base and fit in a
 * size_t, so a region whose top is exactly 4 GiB needs no 33rd bit.
 * Blocks tile [ubottom, usize): each header records the offset of the
 * next header up (or usize).  A freed block stays in place, merges with
 * free neighbours above it and is reused by the first request that fits
 * (lowest first); free blocks at the bottom are released.
 */

#include "umalloc.h"
#include "hidemem.h"
#include "string.h"

#ifdef HOST_BUILD
/** Host tests map a buffer of their own at a chosen physical address */
intptr_t host_phys_offset;
#endif

/** A block header, just below the block's data */
struct ublock {
	/** Requested size, or UBLOCK_FREE */
	size_t size;
	/** Offset of the next header up, or of the region top */
	size_t next;
};

/** Size value of a free block (larger than any region) */
#define UBLOCK_FREE ((size_t)-1)

/** Page size of the blocks' alignment */
#define UPAGE HIDEMEM_PAGE

/** Largest region in pages: its size must fit in 32 bits */
#define UMAX_PAGES ((size_t)0xfffff)

/** Physical base address of the region (below 4 GiB) */
static uint32_t ubase;

/** Size of the region */
static size_t usize;

/** Offset of the lowest live header, or usize when nothing is allocated */
static size_t ubottom;

/**
 * Get the header at a region offset
 *
 * @v offset		Offset of the header
 * @ret block		Header
 */
static struct ublock *ublock(size_t offset)
{
	return phys_to_virt(ubase + offset);
}

/**
 * Find a free block with room, merging free neighbours on the way
 *
 * @v size		Room wanted
 * @ret block		Free block, or NULL
 */
static struct ublock *ufind_free(size_t size)
{
	struct ublock *block;
	struct ublock *above;
	size_t offset;

	for (offset = ubottom; offset < usize; offset = block->next) {
		block = ublock(offset);
		if (block->size != UBLOCK_FREE)
			continue;
		while ((block->next < usize) &&
		       ((above = ublock(block->next))->size == UBLOCK_FREE))
			block->next = above->next;
		if ((block->next - offset - sizeof(*block)) >= size)
			return block;
	}
	return NULL;
}

/**
 * Release free blocks at the bottom; hide the live blocks, page-rounded
 */
static void uhide(void)
{
	struct ublock *block;
	size_t bottom = ubottom;

	while ((bottom < usize) &&
	       ((block = ublock(bottom))->size == UBLOCK_FREE))
		bottom = block->next;
	ubottom = bottom;
	hide_region(HIDE_UMALLOC, ((uint64_t)ubase + bottom),
		    ((uint64_t)ubase + usize));
}

/**
 * Reallocate external memory
 *
 * @v ptr		Block to resize, or NULL to allocate
 * @v size		New size
 * @ret new_ptr		Resized block, or NULL (the old block is intact)
 *
 * The lowest block grows or shrinks in place below its top (its data
 * moves); another block stays put while it has room, else moves to a
 * free block that fits or below the lowest block.
 */
void *urealloc(void *ptr, size_t size)
{
	struct ublock *old = NULL;
	struct ublock *block = NULL;
	size_t limit = ubottom;
	size_t offset;
	size_t copy = 0;
	void *new;

	if (ptr) {
		old = (((struct ublock *)ptr) - 1);
		offset = (virt_to_phys(ptr) - ubase);
		copy = ((old->size < size) ? old->size : size);
		if ((offset - sizeof(*old)) == ubottom) {
			limit = old->next;
			old = NULL;
		} else if ((old->next - offset) >= size) {
			old->size = size;
			return ptr;
		}
	}

	if (limit == ubottom)
		block = ufind_free(size);
	if (block) {
		new = (block + 1);
		limit = block->next;
	} else {
		/* Data on a page, its header (below it) inside the region */
		if (size > limit)
			return NULL;
		offset = ((limit - size) & ~(UPAGE - 1));
		if (!offset)
			return NULL;
		new = phys_to_virt(ubase + offset);
		block = (((struct ublock *)new) - 1);
		ubottom = (offset - sizeof(*block));
	}
	/* Move the data before writing a header that may overlap it */
	if (ptr)
		memmove(new, ptr, copy);
	if (old)
		old->size = UBLOCK_FREE;
	block->size = size;
	block->next = limit;
	uhide();
	return new;
}

/**
 * Allocate external memory
 *
 * @v size		Size
 * @ret ptr		Page-aligned block, or NULL
 */
void *umalloc(size_t size)
{
	return urealloc(NULL, size);
}

/**
 * Free external memory
 *
 * @v ptr		Block from umalloc() or urealloc(), or NULL
 */
void ufree(void *ptr)
{
	if (ptr) {
		(((struct ublock *)ptr) - 1)->size = UBLOCK_FREE;
		uhide();
	}
}

/**
 * Choose the region for external memory
 *
 * @v map		E820 map (usable entries may overlap hidden regions)
 * @v count		Number of entries
 * @ret rc		0, or -1 if no usable page exists below 4 GiB
 *
 * Takes the largest run of whole usable pages below 4 GiB that no
 * hidden region touches, so the image and the heap stay hidden
 * whatever their order and placement.  A run of the whole 4 GiB would
 * not fit the 32-bit size and is not taken (the image lies below 4 GiB,
 * so it never happens).  Forgets any earlier region and its blocks.
 */
int umalloc_init(const struct e820_entry *map, unsigned int count)
{
	struct e820_entry pieces[HIDE_UMALLOC + 1];
	struct e820_entry *piece;
	uint32_t first;
	uint32_t end;
	uint32_t pages;
	uint32_t best = 0;
	unsigned int n;

	/* Every hidden region but our own (the last slot) */
	_Static_assert((HIDE_UMALLOC == (HIDE_SLOTS - 1)), "umalloc slot");
	for (; count; count--, map++) {
		n = e820_mangle(map, 1, hidden_regions, HIDE_UMALLOC, pieces,
				ARRAY_SIZE(pieces));
		for (piece = pieces; n; n--, piece++) {
			if ((piece->type != E820_TYPE_RAM) ||
			    (piece->start >> 32))
				continue;
			/* Whole pages, clipped at 4 GiB */
			first = piece->start;
			end = 0x100000;
			if (piece->len < (0x100000000ULL - first))
				end = ((first + (uint32_t)piece->len) >> 12);
			first = ((first >> 12) + !!(first & (UPAGE - 1)));
			pages = (end - first);
			if (((pages - 1) < UMAX_PAGES) && (pages > best)) {
				ubase = (first << 12);
				best = pages;
			}
		}
	}
	usize = ubottom = (best << 12);
	uhide();
	return (best ? 0 : -1);
}
