/** @file
 *
 * Boot-time bring-up of the firmware core
 *
 * Called once by the real-mode boot path (prefix.S) through prot_call(),
 * after int15_read_bios() has filled int15_bios_map and before the
 * INT 15h hook is installed.  It brings the core up, hides what the
 * firmware occupies, and exercises every allocator so that each is
 * linked, measured and live by the time an OS loader asks for the
 * memory map.
 *
 * The image is [__image_start, __mb_heap_bss_start): code, data and all
 * .bss but the heap pool, which is hidden in its own slot.  Building
 * with BREAK_HIDE_HEAP leaves the heap visible, and with BREAK_OVERHIDE
 * hides one page beyond the pool, so the boot test can prove that it
 * notices either.
 */

#include "malloc.h"
#include "umalloc.h"
#include "hidemem.h"
#include "string.h"
#include "io.h"
#include "int15.h"
#include "boot.h"

/** Sizes of the umalloc() exercise: a few MiB, grown once */
#define BOOT_USIZE_A (1024 * 1024)
#define BOOT_USIZE_B (512 * 1024)
#define BOOT_USIZE_B_GROWN (3 * 1024 * 1024)

/** More than any free memory below 4 GiB */
#define BOOT_USIZE_BIG 0xf0000000UL

struct boot_report boot_report;

/**
 * Exercise the internal heap
 *
 * @ret ok		Every allocation behaved (and, in a debug build, the
 *			heap is consistent)
 */
static int boot_heap(void)
{
	uint8_t *small = malloc(100);
	uint8_t *zeroed = zalloc(200);
	void *dma = malloc_dma(4096, 4096);
	int ok = (small && zeroed && dma);
	unsigned int i;

	if (ok) {
		for (i = 0; i < 200; i++)
			ok &= (zeroed[i] == 0);
		memset(small, 0x5a, 100);
		small = realloc(small, 1000);
		ok &= (small && small[99] == 0x5a);
		ok &= ((virt_to_phys(dma) & 4095) == 0);
	}
	free(small);
	free(zeroed);
	free_dma(dma, 4096);
	/* As at shutdown: caches give everything back, so what is left is a leak */
	heap_discard_all();
#ifdef DEBUG
	ok &= (heap_check() == HEAP_OK);
#endif
	return ok;
}

/**
 * Mark the first and last word of a block
 *
 * @v block		Block
 * @v size		Size (a multiple of 4)
 * @v mark		Value written
 */
static void boot_mark(uint32_t *block, size_t size, uint32_t mark)
{
	block[0] = mark;
	block[size / 4 - 1] = ~mark;
}

/**
 * Check the marks boot_mark() wrote
 *
 * @v block		Block
 * @v size		Size when marked
 * @v mark		Value written
 * @ret ok		Marks intact
 */
static int boot_marked(const uint32_t *block, size_t size, uint32_t mark)
{
	return (block[0] == mark && block[size / 4 - 1] == ~mark);
}

/**
 * Exercise external memory, including a request that must fail
 */
static void boot_umalloc(void)
{
	struct boot_report *report = &boot_report;
	struct hidden_region before[HIDE_SLOTS];
	uint32_t *a;
	uint32_t *b;
	void *big;

	report->umalloc_rc = umalloc_init(int15_bios_map, int15_bios_count);
	a = umalloc(BOOT_USIZE_A);
	b = umalloc(BOOT_USIZE_B);
	if (!a || !b)
		return;
	boot_mark(a, BOOT_USIZE_A, 0xa5a5f00d);
	boot_mark(b, BOOT_USIZE_B, 0x5a5af00d);
	b = urealloc(b, BOOT_USIZE_B_GROWN);
	if (!b)
		return;
	report->ublock_ok = (boot_marked(a, BOOT_USIZE_A, 0xa5a5f00d) &&
			     boot_marked(b, BOOT_USIZE_B, 0x5a5af00d));
	report->ublock[0].start = virt_to_phys(a);
	report->ublock[0].size = BOOT_USIZE_A;
	report->ublock[1].start = virt_to_phys(b);
	report->ublock[1].size = BOOT_USIZE_B_GROWN;

	/* Too big: must fail and leave the memory map alone */
	memcpy(before, hidden_regions, sizeof(before));
	big = umalloc(BOOT_USIZE_BIG);
	report->big_size = BOOT_USIZE_BIG;
	report->big_ptr = virt_to_phys(big);
	report->big_unchanged =
		(memcmp(before, hidden_regions, sizeof(before)) == 0);
}

/**
 * Bring up the firmware core
 */
void boot_main(void)
{
	heap_init();
	hide_region(HIDE_IMAGE, virt_to_phys(__image_start),
		    virt_to_phys(__mb_heap_bss_start));
#if defined(BREAK_OVERHIDE)
	hide_region(HIDE_HEAP, virt_to_phys(__mb_heap_bss_start),
		    virt_to_phys(__mb_heap_bss_end) + HIDEMEM_PAGE);
#elif !defined(BREAK_HIDE_HEAP)
	hide_region(HIDE_HEAP, virt_to_phys(__mb_heap_bss_start),
		    virt_to_phys(__mb_heap_bss_end));
#endif
	boot_report.heap_ok = boot_heap();
	boot_umalloc();
}
