#ifndef COMPILER_H
#define COMPILER_H

/** @file
 *
 * Compiler helpers shared by the firmware and its host build
 *
 * The same C sources build twice: freestanding for i386 (the image we
 * measure and boot) and hosted for x86-64 with sanitizers (the image we
 * test).  HOST_BUILD selects the second.
 */

#include <stddef.h>
#include <stdint.h>

/** Number of elements of an array */
#define ARRAY_SIZE(array) (sizeof(array) / sizeof((array)[0]))

/** Round up to a power-of-two multiple (caller checks for overflow) */
#define ALIGN_UP(value, align) (((value) + (align) - 1) & ~((align) - 1))

/** Round down to a power-of-two multiple */
#define ALIGN_DOWN(value, align) ((value) & ~((align) - 1))

/* Assertions cost bytes: only debug builds (DEBUG) keep them */
#ifdef DEBUG
#define assert(cond)                                                           \
	do {                                                                   \
		if (!(cond))                                                   \
			__builtin_trap();                                      \
	} while (0)
#else
#define assert(cond) ((void)0)
#endif

#endif /* COMPILER_H */
