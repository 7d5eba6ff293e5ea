/** @file
 *
 * INT 15h hook: the C half
 *
 * int15_trap() runs in flat protected mode, called through prot_call()
 * by int15_hook (int15.S) with the caller's saved registers.  It trusts
 * nothing the caller passed except the buffer address ES:DI and the
 * entry index EBX, which it range-checks.  The BIOS map was read by the
 * glue into int15_bios_map; the mangled map is computed once per E820
 * sequence (on EBX=0) and served from int15_map afterwards, so the
 * continuation value is simply the next index.
 */

#include "e820.h"
#include "hidemem.h"
#include "io.h"
#include "string.h"
#include "int15.h"

/** 'SMAP', the E820 signature */
#define SMAP 0x534d4150

/** Carry flag in FLAGS */
#define CF 0x0001

/** Entries of the mangled map: each hidden region may split one entry */
#define INT15_MAP_MAX (INT15_BIOS_MAX + 2 * HIDE_SLOTS)

/** BIOS map as last read by int15_read_bios (int15.S) */
struct e820_entry int15_bios_map[INT15_BIOS_MAX];

/** Entries in int15_bios_map */
uint16_t int15_bios_count;

/** The map INT 15h callers see, and its length */
static struct e820_entry int15_map[INT15_MAP_MAX];
static unsigned int int15_map_count;

/**
 * Answer one E820h call
 *
 * @v frame		Caller's registers
 */
static void int15_e820(struct int15_frame *frame)
{
	uint32_t index = frame->ebx;
	size_t len = E820_MIN_SIZE;

	if (index == 0) {
		int15_map_count = e820_mangle(int15_bios_map, int15_bios_count,
					      hidden_regions, HIDE_SLOTS,
					      int15_map, INT15_MAP_MAX);
		/* Truncation loses memory but never shows a hidden byte */
		if (int15_map_count > INT15_MAP_MAX)
			int15_map_count = INT15_MAP_MAX;
	}
	if (index >= int15_map_count) {
		/* No E820 at all, or a continuation value we never gave */
		frame->flags |= CF;
		return;
	}

	/* Extended attributes only if both the caller and the BIOS do */
	if (frame->ecx >= E820_MAX_SIZE &&
	    int15_map[index].size >= E820_MAX_SIZE)
		len = E820_MAX_SIZE;
	memcpy(phys_to_virt(frame->es * 16 + (frame->edi & 0xffff)),
	       &int15_map[index], len);
	frame->eax = SMAP;
	frame->ecx = len;
	frame->ebx = (index + 1 < int15_map_count) ? index + 1 : 0;
	frame->flags &= ~CF;
}

/**
 * Replace the low 16 bits of a saved register
 *
 * @v reg		Saved register
 * @v value		New low half (fits in 16 bits)
 */
static void int15_set16(uint32_t *reg, uint32_t value)
{
	*reg = (*reg & 0xffff0000UL) | value;
}

/**
 * Clip one E801h register pair (AX/BX or CX/DX)
 *
 * @v kib		KiB between 1 MiB and 16 MiB, in the low half
 * @v blocks		64 KiB blocks above 16 MiB, in the low half
 */
static void int15_clip_e801(uint32_t *kib, uint32_t *blocks)
{
	uint32_t lo = *kib & 0xffff;
	uint32_t hi = *blocks & 0xffff;

	e820_clip_e801(hidden_regions, HIDE_SLOTS, &lo, &hi);
	int15_set16(kib, lo);
	int15_set16(blocks, hi);
}

/**
 * Handle a trapped INT 15h call
 *
 * @v frame		Caller's registers (BIOS results for E801h, 88h)
 */
void int15_trap(struct int15_frame *frame)
{
	uint32_t kib;

	if (frame->function == 0xe820) {
		int15_e820(frame);
		return;
	}

	/* E801h or 88h, already answered by the BIOS: pass its CF on */
	frame->flags = (frame->flags & ~CF) | (frame->bios_flags & CF);
	if (frame->bios_flags & CF)
		return;
	if (frame->function == 0xe801) {
		int15_clip_e801(&frame->eax, &frame->ebx);
		int15_clip_e801(&frame->ecx, &frame->edx);
	} else {
		kib = frame->eax & 0xffff;
		e820_clip_88(hidden_regions, HIDE_SLOTS, &kib);
		int15_set16(&frame->eax, kib);
	}
}
