#ifndef E820_H
#define E820_H

/** @file
 *
 * BIOS memory map (INT 15h, AX=E820h) and its mangling
 *
 * Portable C: the host tests, the simulator and the INT 15h hook all run
 * the same functions.
 */

#include "compiler.h"

/** Address-range types */
#define E820_TYPE_RAM 1

/** Size of a BIOS entry without / with extended attributes */
#define E820_MIN_SIZE 20
#define E820_MAX_SIZE 24

/** An E820 entry exactly as the BIOS writes it */
struct e820_entry {
	uint64_t start;
	uint64_t len;
	uint32_t type;
	uint32_t attrs;		/**< ACPI 3.0 extended attributes (24-byte form) */
} __attribute__((packed));

/** A hidden region [start, end), already rounded outward to 4 KiB pages */
struct hidden_region {
	uint64_t start;
	uint64_t end;
};

unsigned int e820_mangle(const struct e820_entry *bios, unsigned int count,
			 const struct hidden_region *hide, unsigned int nhide,
			 struct e820_entry *out, unsigned int max_out);
void e820_clip_e801(const struct hidden_region *hide, unsigned int nhide,
		    uint32_t *kib_1m_16m, uint32_t *blocks_above_16m);
void e820_clip_88(const struct hidden_region *hide, unsigned int nhide,
		  uint32_t *kib_above_1m);

#endif /* E820_H */
