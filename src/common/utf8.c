/* utf8.c: UTF-8 validation (see utf8.h). */
#include "common/utf8.h"

#include <string.h>

/* Length of the valid sequence at p (1..4), 0 if invalid. */
static size_t seq_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2 || c > 0xF4)
        return 0; /* continuation byte, overlong 2-byte lead, or beyond U+10FFFF */
    size_t len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (c == 0xE0 && p[1] < 0xA0)
        return 0; /* overlong 3-byte */
    if (c == 0xED && p[1] > 0x9F)
        return 0; /* surrogates */
    if (c == 0xF0 && p[1] < 0x90)
        return 0; /* overlong 4-byte */
    if (c == 0xF4 && p[1] > 0x8F)
        return 0; /* beyond U+10FFFF */
    return len;
}

bool strom_utf8_valid(const uint8_t *p, size_t n, size_t *bad)
{
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        size_t l = seq_len(p + i, n - i);
        if (!l) {
            if (bad)
                *bad = i;
            return false;
        }
        i += l;
    }
    return true;
}
