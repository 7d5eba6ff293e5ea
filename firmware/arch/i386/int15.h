#ifndef INT15_H
#define INT15_H

/** @file
 *
 * INT 15h hook: the real-mode glue (int15.S) and its C half (int15trap.c)
 *
 * Included by assembly too: only macros outside __ASSEMBLER__.
 */

/** BIOS E820 entries the hook keeps (QEMU's SeaBIOS reports under 10) */
#define INT15_BIOS_MAX 32

/** sizeof(struct e820_entry): the BIOS's 24 bytes and the ECX it gave */
#define INT15_ENTRY_SIZE 28
#define INT15_ENTRY_ECX 24

#ifndef __ASSEMBLER__

#include "e820.h"

/** The registers of an INT 15h call, as int15_hook saves them */
struct int15_frame {
	uint16_t es;
	uint16_t ds;
	uint32_t edi;
	uint32_t esi;
	uint32_t ebp;
	uint32_t esp;
	uint32_t ebx;
	uint32_t edx;
	uint32_t ecx;
	uint32_t eax;
	uint16_t bios_flags;	/**< FLAGS returned by the BIOS (E801h, 88h) */
	uint16_t function;	/**< AX on entry */
	uint16_t ip;		/**< Interrupt frame: return address... */
	uint16_t cs;
	uint16_t flags;		/**< ...and the FLAGS iret restores */
};

/* int15_hook finds AX here; the layout is the glue's push order */
_Static_assert(offsetof(struct int15_frame, function) == 38,
	       "struct int15_frame must match int15_hook's pushes");
_Static_assert(sizeof(struct e820_entry) == INT15_ENTRY_SIZE &&
		       offsetof(struct e820_entry, size) == INT15_ENTRY_ECX,
	       "int15_read_bios must know struct e820_entry");

extern struct e820_entry int15_bios_map[INT15_BIOS_MAX];
extern uint16_t int15_bios_count;
extern uint32_t int15_orig;

void int15_trap(struct int15_frame *frame);

#endif /* __ASSEMBLER__ */

#endif /* INT15_H */
