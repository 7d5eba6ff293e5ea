/** @file
 *
 * Test payload: INT 15h calls with chosen registers, and a fake BIOS
 *
 * Part of the payload (the stand-in OS loader), not of the firmware.
 * Real mode, DS=ES=SS=0 (the stack above 4 KiB), called from payload.c (built with -m16, so
 * with a 32-bit call and return).
 */

	.code16

/** sizeof(struct payload_regs) in payload.c: pushal, ES, DS, FLAGS */
#define REGS_SIZE 38

#define SMAP 0x534d4150

/** Stack segment of the call: the hook must not assume SS=0 */
#define CALLER_SS 0x0100

/**
 * Call INT 15h with every register chosen, and record every register
 *
 * @v %eax		struct payload_regs (below 64 KiB), in and out
 * @v %edx		Nonzero to call the original vector, bypassing the hook
 */
	.section ".text.payload_int15", "ax", @progbits
	.globl	payload_int15
payload_int15:
	pushal
	pushw	%ds
	pushw	%es
	movw	%ax, payload_regs
	movb	%dl, payload_orig
	/* Load the registers from a copy on the stack */
	subw	$REGS_SIZE, %sp
	movw	%ax, %si
	movw	%sp, %di
	movw	$REGS_SIZE, %cx
	cld
	rep movsb
	/* Same stack memory, but SS=0100h, as a loader with its own stack
	 * segment calls (mov to %ss holds interrupts off one instruction)
	 */
	movw	$CALLER_SS, %ax
	movw	%ax, %ss
	subw	$(CALLER_SS * 16), %sp
	popal
	popw	%es
	popw	%ds
	cmpb	$0, %cs:payload_orig
	jne	1f
	popfw
	int	$0x15
	jmp	2f
1:	popfw
	pushfw
	lcallw	*%cs:int15_orig
	/* Store the registers through a copy on the stack */
2:	pushfw
	pushw	%ds
	pushw	%es
	pushal
	xorw	%ax, %ax
	movw	%ax, %ss
	addw	$(CALLER_SS * 16), %sp
	movw	%ax, %ds
	movw	%ax, %es
	cld
	movw	%sp, %si
	movw	payload_regs, %di
	movw	$REGS_SIZE, %cx
	rep movsb
	addw	$REGS_SIZE, %sp
	popw	%es
	popw	%ds
	popal
	retl
	.size	payload_int15, . - payload_int15

/**
 * A fake BIOS INT 15h handler
 *
 * Installed by payload.c as the hook's "original" vector.  E820h: entry
 * EBX of payload_fake_map, always 24 bytes, EBX = index + 1 even after
 * the last entry, and CF set for an index past the end, as some BIOSes
 * end their maps.  Everything else goes to the real BIOS.
 */
	.section ".text.payload_fake_bios", "ax", @progbits
	.globl	payload_fake_bios
payload_fake_bios:
	cmpw	$0xe820, %ax
	jne	2f
	cmpl	%cs:payload_fake_count, %ebx
	jae	1f
	pushw	%ds
	pushw	%si
	pushw	%di
	pushw	%cs
	popw	%ds
	imulw	$24, %bx, %si
	addw	$payload_fake_map, %si
	movl	$24, %ecx
	cld
	rep movsb
	popw	%di
	popw	%si
	popw	%ds
	movb	$24, %cl
	incl	%ebx
	movl	$SMAP, %eax
	clc
	lret	$2
1:	movb	$0x86, %ah
	stc
	lret	$2
2:	ljmp	*%cs:payload_bios_vector
	.size	payload_fake_bios, . - payload_fake_bios

	.section ".bss.payload_fake_bios", "aw", @nobits
	.balign	4
	.globl	payload_bios_vector
payload_bios_vector:
	.space	4

	.section ".bss.payload_int15", "aw", @nobits
payload_regs:
	.space	2
payload_orig:
	.space	1

	/* No executable stack needed (silences ld) */
	.section ".note.GNU-stack", "", @progbits
