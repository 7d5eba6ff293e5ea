/** @file
 *
 * String functions
 *
 * Only what the firmware core needs, written for size: byte loops, no
 * word-at-a-time tricks.  The compiler may still emit calls to memset()
 * and memcpy() for structure operations, so these are the only
 * definitions in a freestanding image.
 *
 * Loop pattern recognition is switched off for this file: GCC would turn
 * the loops back into calls to the very functions they implement.
 */

#include "string.h"

#if !defined(__clang__)
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#endif

/**
 * Fill memory
 *
 * @v dest		Destination
 * @v c			Byte value
 * @v len		Length
 * @ret dest		Destination
 */
void *memset(void *dest, int c, size_t len)
{
	unsigned char *d = dest;

	while (len--)
		*d++ = c;
	return dest;
}

/**
 * Copy memory (regions may overlap)
 *
 * @v dest		Destination
 * @v src		Source
 * @v len		Length
 * @ret dest		Destination
 */
void *memmove(void *dest, const void *src, size_t len)
{
	unsigned char *d = dest;
	const unsigned char *s = src;

	/* Copy downwards when the destination is above the source, so an
	 * overlapping tail is read before it is overwritten */
	if (d > s) {
		while (len--)
			d[len] = s[len];
		return dest;
	}
	while (len--)
		*d++ = *s++;
	return dest;
}

/**
 * Copy memory (regions must not overlap)
 *
 * @v dest		Destination
 * @v src		Source
 * @v len		Length
 * @ret dest		Destination
 *
 * A forward copy is a valid memcpy(); sharing memmove() saves its bytes.
 */
void *memcpy(void *dest, const void *src, size_t len)
{
	return memmove(dest, src, len);
}

/**
 * Compare memory
 *
 * @v a			First region
 * @v b			Second region
 * @v len		Length
 * @ret diff		Difference of the first differing bytes (as
 *			unsigned char), or zero
 */
int memcmp(const void *a, const void *b, size_t len)
{
	const unsigned char *x = a;
	const unsigned char *y = b;
	int diff;

	while (len--) {
		diff = *x++ - *y++;
		if (diff)
			return diff;
	}
	return 0;
}

/**
 * Get string length
 *
 * @v s			String
 * @ret len		Length, excluding the terminating NUL
 */
size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return p - s;
}
