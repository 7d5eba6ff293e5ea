#ifndef BOOT_H
#define BOOT_H

/** @file
 *
 * What boot_main() leaves for the test payload
 *
 * The payload (payload.c, real mode) prints this next to what INT 15h
 * tells it, so the boot test can check the hook against the firmware's
 * own view.  Nothing in the firmware reads it back.
 */

/** Stacks (bytes): protected mode (realmode.S, for boot_main() and the
 * INT 15h hook's C) and real mode (prefix.S, for the payload) */
#define PM_STACK_SIZE 1024
#define RM_STACK_SIZE 1024

/** What an unused stack byte holds: painted before use, so the payload can
 * report each stack's high-water mark */
#define STACK_PAINT 0xa5a5

#ifndef __ASSEMBLER__

#include "compiler.h"

/** umalloc() blocks the boot path keeps alive */
#define BOOT_UBLOCKS 2

/** A live umalloc() block */
struct boot_ublock {
	uint32_t start;
	uint32_t size;
};

/** Results of the boot-time exercise */
struct boot_report {
	/** Live umalloc() blocks */
	struct boot_ublock ublock[BOOT_UBLOCKS];
	/** Size of the request larger than free memory */
	uint32_t big_size;
	/** What umalloc() returned for it (0 = NULL) */
	uint32_t big_ptr;
	/** Hidden regions unchanged by the failed request */
	uint8_t big_unchanged;
	/** umalloc_init() result */
	int8_t umalloc_rc;
	/** Heap and block contents checked out */
	uint8_t heap_ok;
	uint8_t ublock_ok;
};

extern struct boot_report boot_report;

/* Linker script symbols (firmware.lds; the __mb_ ones from the placement
 * that budgets/firmware.toml generates) */
extern char __image_start[];
extern char __mb_heap_bss_start[];
extern char __mb_heap_bss_end[];

/* The stacks, lowest byte first, and their tops */
extern uint8_t pm_stack[];
extern uint8_t pm_stack_top[];
extern uint8_t rm_stack[];
extern uint8_t rm_stack_top[];

#endif /* __ASSEMBLER__ */

#endif /* BOOT_H */
