/** @file
 *
 * INT 15h trap glue
 *
 * int15_hook is installed as the INT 15h vector.  It runs in real mode,
 * is entered by any caller with any segment registers and the caller's
 * stack, and only ever touches that stack, its own data (below 64 KiB,
 * reached with segment 0) and the caller's ES:DI buffer.
 *
 * - AX=E820h, EDX='SMAP': on EBX=0 the whole BIOS map is re-read, always
 *   into int15_bios_map; then int15_trap() (C, protected mode) answers
 *   entry EBX of the mangled map.
 * - AX=E801h and AH=88h: the original handler answers first, then
 *   int15_trap() clips its answer.
 * - Anything else goes to the original handler untouched.
 *
 * int15_trap() sees the whole register frame (struct int15_frame) and
 * sets results, including CF in the interrupt frame's FLAGS, in place;
 * iret then returns them.
 */

	.code16

#define SMAP 0x534d4150

/* INT15_BIOS_MAX, INT15_ENTRY_* */
#include "int15.h"

/**
 * INT 15h handler
 *
 * Frame built on the caller's stack (lowest address first), matching
 * struct int15_frame: %es, %ds, pushal, FLAGS returned by the BIOS,
 * AX on entry, then the interrupt frame IP, CS, FLAGS.
 */
	.section ".text.int15_hook", "ax", @progbits
	.globl	int15_hook
int15_hook:
	cmpw	$0xe820, %ax
	je	e820
	cmpw	$0xe801, %ax
	je	bios_first
	cmpb	$0x88, %ah
	je	bios_first
chain:
	ljmp	*%cs:int15_orig

e820:
	cmpl	$SMAP, %edx
	jne	chain
	pushw	%ax
	pushfw
	jmp	trap

bios_first:
	pushw	%ax
	pushfw
	lcallw	*%cs:int15_orig
	pushfw

trap:
	pushal
	pushw	%ds
	pushw	%es
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	/* A new E820 sequence: fetch the BIOS map afresh */
	movw	%sp, %bp
	cmpw	$0xe820, 38(%bp)
	jne	1f
	testl	%ebx, %ebx
	jnz	1f
	call	int15_read_bios
	/* int15_trap(linear address of the frame) */
1:	movzwl	%sp, %eax
	movw	%ss, %dx
	movzwl	%dx, %edx
	shll	$4, %edx
	addl	%edx, %eax
	movl	$int15_trap, %ebx
	call	prot_call
	popw	%es
	popw	%ds
	popal
	/* Drop the BIOS FLAGS and AX slots; iret restores the flags */
	addw	$4, %sp
	iret
	.size	int15_hook, . - int15_hook

/**
 * Read the whole BIOS E820 map into int15_bios_map
 *
 * Must be called with DS=ES=0.  Clobbers every general register but
 * %esp.  Stops at EBX=0, at CF set, at a missing 'SMAP' signature or
 * when the buffer is full; the BIOS always gets the same buffer and
 * ECX=24; each entry notes the ECX the BIOS returned with it, and
 * entries returned in 20 bytes keep attributes 1 ("valid"), as ACPI 3.0
 * defines for them.
 */
	.section ".text.int15_read_bios", "ax", @progbits
	.globl	int15_read_bios
int15_read_bios:
	xorl	%ebx, %ebx
	movw	%bx, int15_bios_count
1:	imulw	$INT15_ENTRY_SIZE, int15_bios_count, %di
	addw	$int15_bios_map, %di
	movl	$1, 20(%di)
	movl	$0xe820, %eax
	movl	$24, %ecx
	movl	$SMAP, %edx
	/* Some BIOSes clobber %es and %di */
	pushw	%ds
	popw	%es
	pushw	%di
	pushfw
	lcallw	*%cs:int15_orig
	popw	%di
	jc	2f
	cmpl	$SMAP, %eax
	jne	2f
	movl	%ecx, INT15_ENTRY_ECX(%di)
	incw	int15_bios_count
	cmpw	$INT15_BIOS_MAX, int15_bios_count
	jae	2f
	testl	%ebx, %ebx
	jnz	1b
2:	pushw	%ds
	popw	%es
	ret
	.size	int15_read_bios, . - int15_read_bios

	.section ".data.int15_orig", "aw", @progbits
	.balign	4
	/** Original INT 15h vector (offset, segment) */
	.globl	int15_orig
int15_orig:
	.long	0

	/* No executable stack needed (silences ld) */
	.section ".note.GNU-stack", "", @progbits
