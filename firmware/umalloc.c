/** @file
 *
 * External memory allocation
 *
 * umalloc() runs a second heap (heap.c's engine) in the largest usable
 * E820 region below 4 GiB that is not already hidden (the image, the
 * heap pool).  The heap starts empty at the top of that region and grows
 * down, one block at a time, when nothing free fits; free memory at its
 * bottom is given back.  The heap, [ustart, uend), is exactly what the
 * HIDE_UMALLOC slot hides.  Sizes are untrusted; pointers passed to
 * urealloc() and ufree() are trusted to come from umalloc().
 *
 * Historically, umalloc() has produced page-aligned allocations.  Keep
 * that: a block's data starts on a page, so the blocks and the hidden
 * region stay easy to read in a memory map.  The engine's header sits
 * just below the data, at the end of the page below, which the block
 * underneath may share; a block's data is never at address 0.
 */

#include "umalloc.h"
#include "malloc.h"
#include "hidemem.h"

#ifdef HOST_BUILD
/** Host tests map a buffer of their own at a chosen physical address */
intptr_t host_phys_offset;
#endif

/** Page size of the blocks' alignment */
#define UPAGE HIDEMEM_PAGE

/** Lowest address the heap may grow down to (page-aligned) */
static uint32_t ulimit;

/** Lowest address in the heap: the lowest live block's header, or uend */
static uint32_t ustart;

/** Top of the region (page-aligned, below 4 GiB) */
static uint32_t uend;

static unsigned int ugrow(size_t size);

/** The external heap */
static struct heap uheap = {
	.ptr_align = UPAGE,
	.grow = ugrow,
};

/**
 * Grow the heap down by just enough for one block
 *
 * @v size		Block size (header included)
 * @ret grown		Non-zero if the block now fits
 *
 * The new memory ends at the heap's bottom and starts at the header
 * below the highest page that leaves room for the block: the engine puts
 * the block there.  The bottom is never free (uhide() gives free memory
 * there back), so the new memory is the lowest free block and merges
 * with nothing.
 */
static unsigned int ugrow(size_t size)
{
	struct heap_block *block;
	uint32_t data = ((ustart - size + HEAP_ALIGN) & ~(UPAGE - 1));

	/* Room for the block, with its header above ulimit (both on pages) */
	if ((size > (ustart - ulimit)) || (data <= ulimit))
		return 0;
	block = phys_to_virt(data - HEAP_ALIGN);
	block->size = (ustart - (data - HEAP_ALIGN));
	block->next = uheap.head.next;
	uheap.head.next = block;
	ustart = (data - HEAP_ALIGN);
	return 1;
}

/**
 * Give back free memory at the heap's bottom; hide the rest
 */
static void uhide(void)
{
	struct heap_block *bottom = uheap.head.next;

	if (bottom && (virt_to_phys(bottom) == ustart)) {
		ustart += bottom->size;
		uheap.head.next = bottom->next;
	}
	hide_region(HIDE_UMALLOC, ustart, uend);
}

/**
 * Reallocate external memory
 *
 * @v ptr		Block to resize, or NULL to allocate
 * @v size		New size (0 frees @c ptr)
 * @ret new_ptr		Resized block, or NULL (the old block is intact)
 */
void *urealloc(void *ptr, size_t size)
{
	ptr = heap_realloc(&uheap, ptr, size);
	uhide();
	return ptr;
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
	if (ptr)
		urealloc(ptr, 0);
}

/**
 * Choose the region for external memory
 *
 * @v map		E820 map (usable entries may overlap hidden regions)
 * @v count		Number of entries
 * @ret rc		0, or -1 if no usable page exists below 4 GiB
 *
 * Takes the largest run of whole usable pages below 4 GiB that no other
 * hidden region touches, so the image and the heap stay hidden whatever
 * their order and placement.  Forgets any earlier region and its blocks.
 */
int umalloc_init(const struct e820_entry *map, unsigned int count)
{
	uint32_t len;

	/* Every hidden region but our own (the last slot) */
	_Static_assert((HIDE_UMALLOC == (HIDE_SLOTS - 1)), "umalloc slot");
	_Static_assert((HIDE_UMALLOC <= E820_LARGEST_NHIDE), "e820_largest");
	len = e820_largest(map, count, hidden_regions, HIDE_UMALLOC, &ulimit);
	ustart = uend = (ulimit + len);
	uheap.head.next = NULL;
	uhide();
	return (len ? 0 : -1);
}
