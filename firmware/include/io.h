#ifndef IO_H
#define IO_H

/** @file
 *
 * Physical and virtual addresses
 *
 * The firmware runs flat (virtual == physical).  The host build maps a
 * test-owned buffer at a chosen physical address by setting
 * host_phys_offset, so umalloc() can be tested on a simulated E820 map.
 */

#include "compiler.h"

typedef uint64_t physaddr_t;

#ifdef HOST_BUILD
extern intptr_t host_phys_offset;
#define PHYS_OFFSET host_phys_offset
#else
#define PHYS_OFFSET 0
#endif

static inline void *phys_to_virt(physaddr_t phys)
{
	return (void *)(uintptr_t)(phys + PHYS_OFFSET);
}

static inline physaddr_t virt_to_phys(const void *virt)
{
	return (physaddr_t)((uintptr_t)virt - PHYS_OFFSET);
}

#endif /* IO_H */
