/*
 * utf8.h: UTF-8 validation (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
 */
#ifndef STROM_COMMON_UTF8_H
#define STROM_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when p[0..n) is valid UTF-8; otherwise *bad (may be NULL) = offset of the first bad
 * byte. ASCII runs are checked 8 bytes at a time. */
bool strom_utf8_valid(const uint8_t *p, size_t n, size_t *bad);

#endif /* STROM_COMMON_UTF8_H */
