/** @file
 *
 * Unit tests for the firmware's string functions
 *
 * The host build links the C library's versions, so the firmware's own
 * are compiled into this test under fw_ names and checked against the C
 * library's as the reference, for every small length and offset.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

/* The firmware's string.c, renamed so both sets coexist */
#define memset fw_memset
#define memcpy fw_memcpy
#define memmove fw_memmove
#define memcmp fw_memcmp
#define strlen fw_strlen
#include "../../firmware/string.c"
#undef memset
#undef memcpy
#undef memmove
#undef memcmp
#undef strlen

enum { BUF = 96, MAXLEN = 40 };

static void pattern(uint8_t *buf, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 13 + 1);
}

static void test_memset(void **state)
{
	uint8_t got[BUF], want[BUF];

	(void)state;
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; len <= MAXLEN; len++) {
			pattern(got, BUF, len);
			pattern(want, BUF, len);
			/* Only the low byte of c counts */
			assert_ptr_equal(fw_memset(got + off, 0x1a5, len),
					 got + off);
			memset(want + off, 0x1a5, len);
			assert_memory_equal(got, want, BUF);
		}
	}
}

static void test_memcpy(void **state)
{
	uint8_t src[BUF], got[BUF], want[BUF];

	(void)state;
	pattern(src, BUF, 3);
	for (size_t soff = 0; soff < 4; soff++) {
		for (size_t doff = 0; doff < 4; doff++) {
			for (size_t len = 0; len <= MAXLEN; len++) {
				memset(got, 0xee, BUF);
				memset(want, 0xee, BUF);
				assert_ptr_equal(fw_memcpy(got + doff,
							   src + soff, len),
						 got + doff);
				memcpy(want + doff, src + soff, len);
				assert_memory_equal(got, want, BUF);
			}
		}
	}
}

/** Overlap in both directions, every distance */
static void test_memmove_overlap(void **state)
{
	uint8_t got[BUF], want[BUF];

	(void)state;
	for (size_t src = 0; src < 24; src++) {
		for (size_t dst = 0; dst < 24; dst++) {
			for (size_t len = 0; len <= MAXLEN; len++) {
				pattern(got, BUF, len);
				pattern(want, BUF, len);
				assert_ptr_equal(fw_memmove(got + dst,
							    got + src, len),
						 got + dst);
				memmove(want + dst, want + src, len);
				assert_memory_equal(got, want, BUF);
			}
		}
	}
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void test_memcmp(void **state)
{
	uint8_t a[BUF], b[BUF];

	(void)state;
	pattern(a, BUF, 5);
	for (size_t len = 0; len <= MAXLEN; len++) {
		assert_int_equal(fw_memcmp(a, a, len), 0);
		for (size_t pos = 0; pos < len; pos++) {
			static const uint8_t values[] = { 0x00, 0x01, 0x7f,
							  0x80, 0xff };

			for (size_t v = 0; v < sizeof(values); v++) {
				memcpy(b, a, BUF);
				b[pos] = values[v];
				assert_int_equal(sign(fw_memcmp(a, b, len)),
						 sign(memcmp(a, b, len)));
				assert_int_equal(sign(fw_memcmp(b, a, len)),
						 sign(memcmp(b, a, len)));
			}
		}
	}
	/* Bytes compare as unsigned: 0x80 is greater than 0x01 */
	assert_true(fw_memcmp("\x80", "\x01", 1) > 0);
	/* Only the first difference counts */
	assert_true(fw_memcmp("ab\xff", "ac\x00", 3) < 0);
}

static void test_strlen(void **state)
{
	char buf[BUF];

	(void)state;
	for (size_t len = 0; len < BUF - 1; len++) {
		memset(buf, 'x', len);
		buf[len] = '\0';
		buf[len + 1] = 'y';
		assert_int_equal(fw_strlen(buf), len);
	}
	assert_int_equal(fw_strlen("\x80\xff"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memset),
		cmocka_unit_test(test_memcpy),
		cmocka_unit_test(test_memmove_overlap),
		cmocka_unit_test(test_memcmp),
		cmocka_unit_test(test_strlen),
	};

	return cmocka_run_group_tests_name("string", tests, NULL, NULL);
}
