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
 * next header up (or usize).  A freed block stays in place and may be
 * reused by a request that fits it; free blocks at the bottom are
 * released.
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

/** Largest region size: a region offset must fit in a size_t */
#define UMAX_SIZE ((size_t)-UPAGE)

/** Physical base address of the region */
static physaddr_t ubase;

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
 * Release free blocks at the bottom and hide what remains
 */
static void ucollect(void)
{
	struct ublock *block;

	while (ubottom < usize) {
		block = ublock(ubottom);
		if (block->size != UBLOCK_FREE)
			break;
		ubottom = block->next;
	}
	hide_region(HIDE_UMALLOC, (ubase + ubottom), (ubase + usize));
}

/**
 * Find a free block with room for a size, merging free neighbours
 *
 * @v size		Size wanted
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
 * Reallocate external memory
 *
 * @v ptr		Block to resize, or NULL to allocate
 * @v size		New size
 * @ret new_ptr		Resized block, or NULL (the old block is intact)
 *
 * The lowest block grows or shrinks in place, keeping its top; another
 * block stays put while it has room, else moves.
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
			/* The lowest block keeps its top; its header moves */
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
		/* Reuse a free block */
		new = (block + 1);
		if (ptr)
			memcpy(new, ptr, copy);
	} else {
		/* Carve a block below the limit, data on a page and the
		 * header (at least one word below) inside the region */
		if (size > limit)
			return NULL;
		offset = ((limit - size) & ~(UPAGE - 1));
		if (!offset)
			return NULL;
		new = phys_to_virt(ubase + offset);
		if (ptr)
			memmove(new, ptr, copy);
		block = (((struct ublock *)new) - 1);
		block->next = limit;
		ubottom = (offset - sizeof(*block));
	}
	if (old)
		old->size = UBLOCK_FREE;
	block->size = size;
	ucollect();
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
		ucollect();
	}
}

/**
 * Choose the region for external memory
 *
 * @v map		E820 map (usable entries may overlap hidden regions)
 * @v count		Number of entries
 * @ret rc		0, or -1 if no usable page exists below 4 GiB
 *
 * Takes the largest page-aligned usable range below 4 GiB that no
 * hidden region touches, so the image and the heap stay hidden
 * whatever their order and placement.  Forgets any earlier region.
 */
int umalloc_init(const struct e820_entry *map, unsigned int count)
{
	struct e820_entry pieces[HIDE_SLOTS + 1];
	uint64_t start;
	uint64_t end;
	unsigned int n;

	hide_region(HIDE_UMALLOC, 0, 0);
	usize = 0;
	for (; count; count--, map++) {
		n = e820_mangle(map, 1, hidden_regions, HIDE_SLOTS, pieces,
				ARRAY_SIZE(pieces));
		while (n--) {
			start = pieces[n].start;
			end = 0x100000000ULL;
			if ((pieces[n].type != E820_TYPE_RAM) || (start >= end))
				continue;
			if (pieces[n].len < (end - start))
				end = (start + pieces[n].len);
			start = ALIGN_UP(start, UPAGE);
			end = ALIGN_DOWN(end, UPAGE);
			if (end <= start)
				continue;
			if ((end - start) > UMAX_SIZE)
				start = (end - UMAX_SIZE);
			if ((end - start) > usize) {
				ubase = start;
				usize = (end - start);
			}
		}
	}
	ubottom = usize;
	return (usize ? 0 : -1);
}
