/*
 * buf.c: growable byte buffer (see buf.h). Growth doubles, so appends are amortised O(1).
 * Buffers are 64-byte aligned so that typed access to columns built in them is aligned; large
 * ones for network answers (strom_buf_reserve_large) 2 MiB-aligned, in huge pages.
 */
#include "common/buf.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/common.h"

void strom_buf_init(strom_buf *b) { b->data = NULL; b->len = b->cap = 0; }

void strom_buf_free(strom_buf *b)
{
    free(b->data);
    strom_buf_init(b);
}

/* Moves the buffer's bytes to a new allocation of cap bytes aligned to `align`. */
static int buf_move(strom_buf *b, size_t cap, size_t align, bool huge)
{
    uint8_t *p = aligned_alloc(align, cap);
    if (!p)
        return STROM_ENOMEM;
    if (huge)
        (void)madvise(p, cap, MADV_HUGEPAGE); /* a hint: without it, 4 KiB pages */
    if (b->len)
        memcpy(p, b->data, b->len);
    free(b->data);
    b->data = p;
    b->cap = cap;
    return 0;
}

int strom_buf_reserve(strom_buf *b, size_t extra)
{
    if (extra <= b->cap - b->len)
        return 0;
    if (extra > SIZE_MAX / 2 - b->len)
        return STROM_ELIMIT;
    size_t need = b->len + extra;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    return buf_move(b, (size_t)strom_align_up(cap, 64), 64, false);
}

int strom_buf_reserve_large(strom_buf *b, size_t extra)
{
    if (extra <= b->cap - b->len)
        return 0;
    if (extra > SIZE_MAX / 4 - b->len)
        return STROM_ELIMIT;
    if (b->len + extra < STROM_BUF_HUGE)
        return strom_buf_reserve(b, extra);
    size_t cap = (size_t)strom_align_up(b->len + extra, STROM_BUF_HUGE);
    return buf_move(b, cap, STROM_BUF_HUGE, true);
}

int strom_buf_append(strom_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    STROM_TRY(strom_buf_reserve(b, n));
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int strom_buf_zeros(strom_buf *b, size_t n)
{
    if (n == 0)
        return 0;
    STROM_TRY(strom_buf_reserve(b, n));
    memset(b->data + b->len, 0, n);
    b->len += n;
    return 0;
}

int strom_buf_pad(strom_buf *b, size_t align)
{
    size_t pad = (size_t)(strom_align_up(b->len, align) - b->len);
    return strom_buf_zeros(b, pad);
}

uint8_t *strom_buf_detach(strom_buf *b, size_t *len)
{
    uint8_t *p = b->data;
    if (len)
        *len = b->len;
    strom_buf_init(b);
    return p;
}

int64_t strom_popcount_bits(const uint8_t *bits, int64_t nbits)
{
    int64_t n = 0, i = 0;
    for (; i + 64 <= nbits; i += 64)
        n += __builtin_popcountll(strom_ld64(bits + i / 8));
    for (; i < nbits; i++)
        n += strom_bit_get(bits, i);
    return n;
}

int strom_array_grow_z(void *arrp, size_t n, size_t *cap, size_t elem, size_t first)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? 2 * *cap : first;
    if (elem == 0 || ncap <= *cap || ncap > SIZE_MAX / elem)
        return STROM_ENOMEM; /* overflow */
    void **pp = arrp;
    void *np = realloc(*pp, elem * ncap);
    if (!np)
        return STROM_ENOMEM;
    *pp = np;
    *cap = ncap;
    return 0;
}

int strom_array_grow(void *arrp, int n, int *cap, size_t elem, int first)
{
    if (n < *cap)
        return 0;
    if (*cap > INT_MAX / 2)
        return STROM_ENOMEM; /* the doubled capacity would not fit an int */
    size_t zcap = (size_t)*cap;
    int rc = strom_array_grow_z(arrp, (size_t)n, &zcap, elem, (size_t)first);
    if (rc == 0)
        *cap = (int)zcap;
    return rc;
}
