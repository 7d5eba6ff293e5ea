#ifndef FUZZ_CURSOR_H
#define FUZZ_CURSOR_H

/** @file
 *
 * The fuzz harnesses' input cursor: libFuzzer's bytes read one at a time,
 * zeros once they run out, so every input is a complete program.
 */

#include <stddef.h>
#include <stdint.h>

/** Input cursor: reads past the end yield zeros */
struct cursor {
	const uint8_t *data;
	size_t len;
};

/**
 * Take the next input byte
 *
 * @v c			Cursor
 * @ret byte		The byte, or 0 past the end
 */
static inline unsigned int next_byte(struct cursor *c)
{
	if (!c->len)
		return 0;
	c->len--;
	return *c->data++;
}

#endif /* FUZZ_CURSOR_H */
