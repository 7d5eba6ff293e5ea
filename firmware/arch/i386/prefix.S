/** @file
 *
 * Boot sector and real-mode boot path
 *
 * build/firmware.img is a raw disk image: the BIOS loads its first
 * sector at 0x7c00 and jumps to it in real mode with the boot drive in
 * %dl.  The image is linked to run at 0x7c00, so the boot sector reads
 * the rest of it (sector 1 onwards) to 0x7e00 with the INT 13h
 * extensions, and all code and data except the heap pool sit below
 * 64 KiB, where real mode reaches them with segment 0.
 *
 * The whole real-mode boot path fits in the boot sector.
 *
 * Boot sequence: load, clear .bss, enable A20, record the original
 * INT 15h vector and read the BIOS E820 map, run boot_main() in
 * protected mode, install the INT 15h hook, then enter the test payload
 * (the stand-in OS loader) in real mode.
 */

	.code16

/* RM_STACK_SIZE, PM_STACK_SIZE, STACK_PAINT */
#include "boot.h"

/** Top of the loading stack (grows down below the boot sector): until
 * .bss is cleared, when the boot path moves to rm_stack (.bss cannot hold
 * a stack while the last sector read may spill into it) */
#define RM_STACK_TOP 0x7c00

/** QEMU isa-debug-exit port: QEMU exits with status (value << 1) | 1 */
#define DEBUG_EXIT_PORT 0xf4

	.section ".prefix", "ax", @progbits
	.globl	_start
_start:
	/* Some BIOSes enter at 07c0:0000: normalise to CS=0 */
	ljmp	$0, $1f
1:	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$RM_STACK_TOP, %sp
	sti
	cld

	/* Read the rest of the image (the BIOS left the drive in %dl) */
	movw	$disk_packet, %si
	movb	$0x42, %ah
	int	$0x13
	jc	boot_fail

	/* Clear .bss, one 16-byte paragraph at a time (it passes 64 KiB) */
	xorw	%ax, %ax
	movw	$__bss_seg, %bx
	movw	$__bss_paras, %dx
1:	movw	%bx, %es
	xorw	%di, %di
	movw	$8, %cx
	rep stosw
	incw	%bx
	decw	%dx
	jnz	1b
	movw	%ax, %es

	/* Our own stack from here on (nothing on the old one is live); the
	 * protected-mode stack painted before boot_main() uses it */
	movw	$rm_stack_top, %sp
	movw	$pm_stack, %di
	movw	$(PM_STACK_SIZE / 2), %cx
	movw	$STACK_PAINT, %ax
	rep stosw

	/* Fast A20 gate: umalloc() memory lies in odd megabytes too */
	inb	$0x92, %al
	orb	$0x02, %al
	andb	$0xfe, %al
	outb	%al, $0x92

	/* The BIOS's own map, read through the vector we will chain to */
	movl	(0x15 * 4), %eax
	movl	%eax, int15_orig
	call	int15_read_bios

	movl	$boot_main, %ebx
	call	prot_call

	/* Hook INT 15h; the payload is the first caller to see it */
	cli
	movw	$int15_hook, (0x15 * 4)
	movw	%ds, (0x15 * 4 + 2)
	sti
	/* Paint the real-mode stack, all below %sp, for the payload's mark */
	movw	$rm_stack, %di
	movw	$(RM_STACK_SIZE / 2), %cx
	movw	$STACK_PAINT, %ax
	rep stosw
	calll	payload_main

	/* The payload exits QEMU itself; returning is a failure too */
	movb	$2, %al
	jmp	boot_exit
boot_fail:
	movb	$1, %al
boot_exit:
	outb	%al, $DEBUG_EXIT_PORT
1:	hlt
	jmp	1b

/* INT 13h extended read packet: sectors 1.. to 0000:7e00 */
disk_packet:
	.byte	0x10, 0
	.word	_load_sectors
	.word	0x7e00, 0
	.quad	1

	.org	510
	.byte	0x55, 0xaa

	/* The real-mode stack of the boot path and the payload (the INT 15h
	 * hook and the BIOS push onto it too) */
	.section ".bss.rm_stack", "aw", @nobits
	.balign	16
	.globl	rm_stack
	.type	rm_stack, @object
	.size	rm_stack, RM_STACK_SIZE
rm_stack:
	.space	RM_STACK_SIZE
	.globl	rm_stack_top
rm_stack_top:

	/* No executable stack needed (silences ld) */
	.section ".note.GNU-stack", "", @progbits
