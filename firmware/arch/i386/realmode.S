/** @file
 *
 * Calls from real mode into flat 32-bit protected mode
 *
 * The firmware's C runs flat (virtual == physical) in 32-bit protected
 * mode; the boot path and the INT 15h hook run in real mode with CS=0.
 * prot_call() is the one bridge between them.  Callers must run with
 * CS=0 (all real-mode code is linked below 64 KiB) and may have any
 * other segment registers and any stack.  The C runs with interrupts
 * disabled on a private stack inside the image, so a caller's small
 * stack is never at risk.
 *
 * Real-mode segment caches are reloaded with 64 KiB limits on the way
 * back: a caller running in "unreal" mode loses its large limits.
 */

	.code16

#define CODE32	0x08
#define DATA32	0x10
#define CODE16	0x18
#define DATA16	0x20

/* PM_STACK_SIZE, the size of the private protected-mode stack (boot.h):
 * budgets/firmware.toml's [stack] checks it against the deepest path */
#include "boot.h"

/**
 * Call a 32-bit C function in flat protected mode
 *
 * @v %ebx		Function (regparm: takes its arguments in %eax, %edx)
 * @v %eax		First argument
 * @v %edx		Second argument
 * @ret %eax		Function's return value
 *
 * Preserves all segment registers, %ss:%sp, flags, %ebx, %esi, %edi
 * and %ebp; clobbers %ecx and %edx.  Called with a near 16-bit call.
 */
	.section ".text.prot_call", "ax", @progbits
	.globl	prot_call
prot_call:
	pushfl
	pushw	%ds
	pushw	%es
	pushw	%fs
	pushw	%gs
	cli
	movw	%ss, %cs:rm_ss
	movw	%sp, %cs:rm_sp
	/* Keep the caller's GDT: a real-mode OS loader may have loaded one */
	sgdtl	%cs:rm_gdtr
	lgdtl	%cs:pm_gdtr
	movl	%cr0, %ecx
	orb	$1, %cl
	movl	%ecx, %cr0
	ljmpl	$CODE32, $1f
	.code32
1:	movw	$DATA32, %cx
	movw	%cx, %ds
	movw	%cx, %es
	movw	%cx, %fs
	movw	%cx, %gs
	movw	%cx, %ss
	movl	$pm_stack_top, %esp
	/* C assumes DF clear; the caller's DF comes back with its flags */
	cld
	call	*%ebx
	ljmp	$CODE16, $2f
	.code16
	/* Real-mode-sized limits in every segment cache before leaving */
2:	movw	$DATA16, %cx
	movw	%cx, %ds
	movw	%cx, %es
	movw	%cx, %fs
	movw	%cx, %gs
	movw	%cx, %ss
	movl	%cr0, %ecx
	andb	$0xfe, %cl
	movl	%ecx, %cr0
	ljmp	$0, $3f
3:	movw	%cs:rm_ss, %ss
	movw	%cs:rm_sp, %sp
	lgdtl	%cs:rm_gdtr
	popw	%gs
	popw	%fs
	popw	%es
	popw	%ds
	popfl
	ret
	.size	prot_call, . - prot_call

	.section ".data.prot_call", "aw", @progbits
	.balign	8
/* Flat 4 GiB code and data, and 64 KiB 16-bit code and data for the
 * way back; the null descriptor's space holds the GDTR image.
 */
gdt:
pm_gdtr:
	.word	gdt_end - gdt - 1
	.long	gdt
	.word	0
	.quad	0x00cf9a000000ffff	/* CODE32 */
	.quad	0x00cf92000000ffff	/* DATA32 */
	.quad	0x00009a000000ffff	/* CODE16 */
	.quad	0x000092000000ffff	/* DATA16 */
gdt_end:

	.section ".bss.prot_call", "aw", @nobits
rm_gdtr:
	.space	6
rm_ss:
	.space	2
rm_sp:
	.space	2
	.balign	16
	/* Sized, so `membudget check` compares it with its entries' bounds;
	 * global, so the payload can read its high-water mark */
	.globl	pm_stack
	.type	pm_stack, @object
	.size	pm_stack, PM_STACK_SIZE
pm_stack:
	.space	PM_STACK_SIZE
	.globl	pm_stack_top
pm_stack_top:

	/* No executable stack needed (silences ld) */
	.section ".note.GNU-stack", "", @progbits
