#ifndef E820_H
#define E820_H

/** @file
 *
 * BIOS memory map (INT 15h, AX=E820h) and its mangling
 *
 * Portable C: the host tests, the simulator and the INT 15h hook all run
 * the same functions.  Nothing here divides 64-bit numbers or needs a C
 * library, so it also builds freestanding (-m32, or -m16 for real mode).
 *
 * Rules of e820_mangle(), the whole contract of the hook's E820 answer:
 *
 * - Every entry is the range [start, start + len).  An entry whose end
 *   would pass 2^64 is clipped at 2^64: the wrapped part does not exist.
 * - A usable entry (type 1) is trimmed or split around the hidden
 *   regions; its pieces keep its type, attributes and size, in ascending
 *   order, in the place of the entry.  Hidden regions may come in any
 *   order and overlap each other.
 * - Every other entry is copied unchanged, attributes included.
 * - No output entry is empty: zero-length BIOS entries (usable or not)
 *   and wholly hidden usable entries vanish.
 * - The BIOS's order is kept; unsorted or overlapping entries stay so
 *   (the OS sanitises the map, as it does without the hook).
 * - At most @c max_out entries are written.  The return value is the
 *   number the whole map needs (as snprintf() does): a result above
 *   @c max_out means the output is truncated to its first @c max_out
 *   entries, which loses usable memory but never exposes a hidden byte.
 *   A result of 0 means there is nothing to report: the hook then fails
 *   the first call (CF set), as a BIOS without E820 does.
 */

#include "compiler.h"

/** Address-range types */
#define E820_TYPE_RAM 1

/** Size of a BIOS entry without / with extended attributes */
#define E820_MIN_SIZE 20
#define E820_MAX_SIZE 24

/**
 * An E820 entry as the BIOS writes it, plus the size it wrote
 *
 * The first 24 bytes are the BIOS's layout, so the hook can hand the
 * entry itself to the original INT 15h.  @c size is the hook's own note
 * of ECX: a caller must get back exactly the bytes the BIOS gave,
 * whatever buffer it offered.
 */
struct e820_entry {
	uint64_t start;		/**< Physical start address */
	uint64_t len;		/**< Length in bytes */
	uint32_t type;		/**< Address-range type */
	uint32_t attrs;		/**< ACPI 3.0 extended attributes (24-byte form) */
	uint32_t size;		/**< Bytes the BIOS wrote (20 or 24); not BIOS data */
} __attribute__((packed));

/**
 * A hidden region [start, end)
 *
 * Empty when start == end.  hide_region() rounds regions outward to
 * 4 KiB pages; e820_mangle() itself takes any byte range with
 * start <= end.  The last byte of the address space (2^64 - 1) cannot
 * be inside a region, so it is never hidden.
 */
struct hidden_region {
	uint64_t start;
	uint64_t end;
};

/** E801h and 88h report memory from here up */
#define E820_1MB 0x100000ULL
/** E801h reports KiB up to here, then 64 KiB blocks */
#define E820_16MB 0x1000000ULL

/** End of e820_largest()'s search in 4 KiB pages: 4 GiB less one page */
#define E820_LARGEST_PAGES 0xfffffU
/** Most hidden regions e820_largest() accepts */
#define E820_LARGEST_NHIDE 2

unsigned int e820_mangle(const struct e820_entry *bios, unsigned int count,
			 const struct hidden_region *hide, unsigned int nhide,
			 struct e820_entry *out, unsigned int max_out);
void e820_clip_e801(const struct hidden_region *hide, unsigned int nhide,
		    uint32_t *kib_1m_16m, uint32_t *blocks_above_16m);
void e820_clip_88(const struct hidden_region *hide, unsigned int nhide,
		  uint32_t *kib_above_1m);
uint32_t e820_largest(const struct e820_entry *bios, unsigned int count,
		      const struct hidden_region *hide, unsigned int nhide,
		      uint32_t *start);

#endif /* E820_H */
