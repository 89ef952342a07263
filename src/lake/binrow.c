/*
 * binrow.c: Paimon's BinaryRow in its manifest form (paimon.h; ../shared/specs/paimon.md §7).
 *
 *   [arity: 4 bytes big-endian][header + null bits: W][n slots of 8 bytes][variable part]
 *   W = ((n + 63 + 8) / 64) * 8; null bit of field i = bit i + 8, LSB first; slots and the
 *   variable part little-endian; variable offsets count from the row (after the arity).
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "lake/paimon.h"

static size_t header_width(int n) { return (size_t)(((n + 63 + 8) / 64) * 8); }

/* Bytes of the big-endian two's complement minimal form of v (Java BigInteger.toByteArray). */
static int decimal_be(strom_i128 v, uint8_t out[16])
{
    uint8_t be[16];
    __extension__ unsigned __int128 u = (unsigned __int128)v;
    for (int i = 15; i >= 0; i--) {
        be[i] = (uint8_t)u;
        u >>= 8;
    }
    int skip = 0;
    while (skip < 15 && ((be[skip] == 0x00 && !(be[skip + 1] & 0x80)) ||
                         (be[skip] == 0xFF && (be[skip + 1] & 0x80))))
        skip++;
    memcpy(out, be + skip, (size_t)(16 - skip));
    return 16 - skip;
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

int strom_binrow_encode(strom_buf *out, const strom_type *types, const strom_value *vals, int n,
                        strom_error *err)
{
    size_t w = header_width(n), fixed = w + 8u * (size_t)n;
    size_t var = 0;
    for (int i = 0; i < n; i++) {
        if (vals[i].is_null)
            continue;
        switch (types[i].id) {
        case STROM_TYPE_STRING:
        case STROM_TYPE_BYTES:
            if (vals[i].u.s.len > 7)
                var += ((size_t)vals[i].u.s.len + 7) & ~(size_t)7;
            break;
        case STROM_TYPE_DECIMAL:
            if (types[i].precision > 18)
                var += 16;
            break;
        case STROM_TYPE_TIMESTAMP:
        case STROM_TYPE_TIMESTAMP_LTZ:
            var += 8;
            break;
        default:
            break;
        }
    }
    size_t start = out->len;
    if (strom_buf_zeros(out, 4 + fixed + var) != 0)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    uint8_t *p = out->data + start;
    p[0] = (uint8_t)(n >> 24), p[1] = (uint8_t)(n >> 16), p[2] = (uint8_t)(n >> 8),
    p[3] = (uint8_t)n;
    uint8_t *row = p + 4;
    size_t voff = fixed;
    for (int i = 0; i < n; i++) {
        uint8_t *slot = row + w + 8u * (size_t)i;
        const strom_value *v = &vals[i];
        if (v->is_null) {
            row[(i + 8) / 8] |= (uint8_t)(1u << ((i + 8) % 8));
            continue;
        }
        switch (types[i].id) {
        case STROM_TYPE_BOOLEAN:
            slot[0] = v->u.b ? 1 : 0;
            break;
        case STROM_TYPE_TINYINT:
            slot[0] = (uint8_t)v->u.i;
            break;
        case STROM_TYPE_SMALLINT:
            strom_st16(slot, (uint16_t)v->u.i);
            break;
        case STROM_TYPE_INT:
        case STROM_TYPE_DATE:
            strom_st32(slot, (uint32_t)v->u.i);
            break;
        case STROM_TYPE_TIME:
            strom_st32(slot, (uint32_t)floor_div(v->u.i, 1000));
            break;
        case STROM_TYPE_BIGINT:
            strom_st64(slot, (uint64_t)v->u.i);
            break;
        case STROM_TYPE_FLOAT: {
            float f = (float)v->u.f;
            memcpy(slot, &f, 4);
            break;
        }
        case STROM_TYPE_DOUBLE:
            memcpy(slot, &v->u.f, 8);
            break;
        case STROM_TYPE_DECIMAL:
            if (types[i].precision <= 18) {
                strom_st64(slot, (uint64_t)(int64_t)v->u.d);
            } else {
                uint8_t be[16];
                int len = decimal_be(v->u.d, be);
                memcpy(row + voff, be, (size_t)len);
                strom_st64(slot, ((uint64_t)voff << 32) | (uint32_t)len);
                voff += 16;
            }
            break;
        case STROM_TYPE_STRING:
        case STROM_TYPE_BYTES:
            if (v->u.s.len <= 7) {
                if (v->u.s.len)
                    memcpy(slot, v->u.s.ptr, v->u.s.len);
                slot[7] = (uint8_t)(0x80u | v->u.s.len);
            } else {
                memcpy(row + voff, v->u.s.ptr, v->u.s.len);
                strom_st64(slot, ((uint64_t)voff << 32) | v->u.s.len);
                voff += ((size_t)v->u.s.len + 7) & ~(size_t)7;
            }
            break;
        case STROM_TYPE_TIMESTAMP:
        case STROM_TYPE_TIMESTAMP_LTZ: {
            int64_t ms = floor_div(v->u.i, 1000);
            int64_t nanos = (v->u.i - ms * 1000) * 1000;
            strom_st64(row + voff, (uint64_t)ms);
            strom_st64(slot, ((uint64_t)voff << 32) | (uint32_t)nanos);
            voff += 8;
            break;
        }
        }
    }
    return 0;
}

int strom_binrow_decode(const uint8_t *p, size_t len, const strom_type *types, int n,
                        strom_value *vals, int *arity, strom_error *err)
{
    if (len < 4)
        return strom_error_set(err, STROM_ECORRUPT, "BinaryRow of %zu bytes (no arity)", len);
    uint32_t a = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (a > 65535)
        return strom_error_set(err, STROM_ECORRUPT, "BinaryRow arity %u", a);
    const uint8_t *row = p + 4;
    size_t rlen = len - 4, w = header_width((int)a), fixed = w + 8u * a;
    if (rlen < fixed)
        return strom_error_set(err, STROM_ECORRUPT, "BinaryRow of arity %u in %zu bytes", a,
                               rlen);
    *arity = (int)a;
    int m = (int)a < n ? (int)a : n;
    for (int i = 0; i < m; i++) {
        strom_value *v = &vals[i];
        memset(v, 0, sizeof *v);
        v->type = types[i].id;
        if (row[(i + 8) / 8] & (1u << ((i + 8) % 8))) {
            v->is_null = true;
            continue;
        }
        const uint8_t *slot = row + w + 8u * (size_t)i;
        uint64_t s64 = strom_ld64(slot);
        switch (types[i].id) {
        case STROM_TYPE_BOOLEAN:
            v->u.b = slot[0] != 0;
            break;
        case STROM_TYPE_TINYINT:
            v->u.i = (int8_t)slot[0];
            break;
        case STROM_TYPE_SMALLINT:
            v->u.i = (int16_t)strom_ld16(slot);
            break;
        case STROM_TYPE_INT:
        case STROM_TYPE_DATE:
            v->u.i = (int32_t)strom_ld32(slot);
            break;
        case STROM_TYPE_TIME:
            v->u.i = (int64_t)(int32_t)strom_ld32(slot) * 1000;
            break;
        case STROM_TYPE_BIGINT:
            v->u.i = (int64_t)s64;
            break;
        case STROM_TYPE_FLOAT: {
            float f;
            memcpy(&f, slot, 4);
            v->u.f = f;
            break;
        }
        case STROM_TYPE_DOUBLE:
            memcpy(&v->u.f, slot, 8);
            break;
        case STROM_TYPE_DECIMAL:
            if (types[i].precision <= 18) {
                v->u.d = (int64_t)s64;
            } else {
                size_t off = (size_t)(s64 >> 32), bl = (uint32_t)s64;
                if (bl == 0 || bl > 16 || off < fixed || off > rlen || rlen - off < bl)
                    return strom_error_set(err, STROM_ECORRUPT, "BinaryRow field %d: decimal "
                                           "of %zu bytes at %zu in a row of %zu", i, bl, off,
                                           rlen);
                __extension__ unsigned __int128 u = (row[off] & 0x80) ? ~(unsigned __int128)0 : 0;
                for (size_t k = 0; k < bl; k++)
                    u = (u << 8) | row[off + k];
                v->u.d = (strom_i128)u;
            }
            break;
        case STROM_TYPE_STRING:
        case STROM_TYPE_BYTES:
            if (slot[7] & 0x80) {
                uint32_t sl = slot[7] & 0x7F;
                if (sl > 7)
                    return strom_error_set(err, STROM_ECORRUPT, "BinaryRow field %d: inline "
                                           "string of %u bytes", i, sl);
                v->u.s.ptr = slot;
                v->u.s.len = sl;
            } else {
                size_t off = (size_t)(s64 >> 32), sl = (uint32_t)s64;
                if (off < fixed || off > rlen || rlen - off < sl)
                    return strom_error_set(err, STROM_ECORRUPT, "BinaryRow field %d: %zu bytes "
                                           "at %zu in a row of %zu", i, sl, off, rlen);
                v->u.s.ptr = row + off;
                v->u.s.len = (uint32_t)sl;
            }
            break;
        case STROM_TYPE_TIMESTAMP:
        case STROM_TYPE_TIMESTAMP_LTZ: {
            size_t off = (size_t)(s64 >> 32);
            uint32_t nanos = (uint32_t)s64;
            if (off < fixed || off > rlen || rlen - off < 8 || nanos > 999999)
                return strom_error_set(err, STROM_ECORRUPT, "BinaryRow field %d: timestamp at "
                                       "%zu in a row of %zu", i, off, rlen);
            int64_t ms = (int64_t)strom_ld64(row + off);
            if (ms > (INT64_MAX - 999) / 1000 || ms < INT64_MIN / 1000)
                return strom_error_set(err, STROM_ECORRUPT, "BinaryRow field %d: timestamp "
                                       "out of range", i);
            v->u.i = ms * 1000 + nanos / 1000;
            break;
        }
        }
    }
    return 0;
}
