/*
 * common.h: small macros every module uses: error propagation, alignment, checked
 * arithmetic and little-endian loads/stores that are safe on unaligned hostile bytes.
 */
#ifndef STROM_COMMON_H
#define STROM_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "strom/error.h"

/* Propagate a negative return code. */
#define STROM_TRY(expr)                 \
    do {                                \
        int strom_try_rc_ = (expr);     \
        if (strom_try_rc_ < 0)          \
            return strom_try_rc_;       \
    } while (0)

/* Set rc and jump to cleanup on failure (for functions holding resources). */
#define STROM_TRY_GOTO(rc, expr, label) \
    do {                                \
        (rc) = (expr);                  \
        if ((rc) < 0)                   \
            goto label;                 \
    } while (0)

#define STROM_LIKELY(x)   __builtin_expect(!!(x), 1)
#define STROM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define STROM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define STROM_MIN(a, b) ((a) < (b) ? (a) : (b))
#define STROM_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Round up to a multiple of a power of two. Callers check overflow first where the value
 * comes from outside (use strom_align8_checked). */
static inline uint64_t strom_align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

static inline bool strom_align8_checked(uint64_t v, uint64_t *out)
{
    if (v > UINT64_MAX - 7)
        return false;
    *out = (v + 7) & ~(uint64_t)7;
    return true;
}

/* true if [off, off+len) lies within [0, size), without overflow. */
static inline bool strom_range_ok(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

/* Little-endian loads and stores through memcpy: correct for any alignment, and compiled to
 * a single move on x86-64. strom only builds for little-endian hosts (checked below). */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "strom currently supports little-endian hosts only"
#endif
static inline uint16_t strom_ld16(const void *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t strom_ld32(const void *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t strom_ld64(const void *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void strom_st16(void *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void strom_st32(void *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void strom_st64(void *p, uint64_t v) { memcpy(p, &v, 8); }

/* Validity / boolean bitmaps: LSB-first, as in Arrow. */
static inline bool strom_bit_get(const uint8_t *bits, int64_t i)
{
    return (bits[i >> 3] >> (i & 7)) & 1;
}
static inline void strom_bit_set(uint8_t *bits, int64_t i, bool v)
{
    uint8_t m = (uint8_t)(1u << (i & 7));
    bits[i >> 3] = v ? (uint8_t)(bits[i >> 3] | m) : (uint8_t)(bits[i >> 3] & ~m);
}

/* Counts set bits in the first `nbits` bits of `bits`. */
int64_t strom_popcount_bits(const uint8_t *bits, int64_t nbits);

#endif /* STROM_COMMON_H */
