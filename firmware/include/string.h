#ifndef FW_STRING_H
#define FW_STRING_H

/** @file
 *
 * The few string functions the firmware core needs
 *
 * The host build uses its C library's (instrumented) versions instead.
 */

#ifdef HOST_BUILD
#include_next <string.h>
#else
#include "compiler.h"

void *memset(void *dest, int c, size_t len);
void *memcpy(void *dest, const void *src, size_t len);
void *memmove(void *dest, const void *src, size_t len);
int memcmp(const void *a, const void *b, size_t len);
size_t strlen(const char *s);
#endif

#endif /* FW_STRING_H */
