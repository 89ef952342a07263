/*
 * kv_codec.c: key and row byte forms (kv_codec.h).
 */
#include "kv/kv_codec.h"

#include <math.h>
#include <string.h>

#include "common/common.h"

static int put_be64(strom_buf *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 7; i >= 0; i--, v >>= 8)
        x[i] = (uint8_t)v;
    return strom_buf_append(b, x, 8);
}

int strom_kv_key_put(strom_buf *b, const strom_value *v)
{
    switch (v->type) {
    case STROM_TYPE_BOOLEAN: {
        uint8_t x = v->u.b ? 1 : 0;
        return strom_buf_append(b, &x, 1);
    }
    case STROM_TYPE_TINYINT:
    case STROM_TYPE_SMALLINT:
    case STROM_TYPE_INT:
    case STROM_TYPE_BIGINT:
    case STROM_TYPE_DATE:
    case STROM_TYPE_TIME:
    case STROM_TYPE_TIMESTAMP:
    case STROM_TYPE_TIMESTAMP_LTZ:
        return put_be64(b, (uint64_t)v->u.i ^ (1ull << 63));
    case STROM_TYPE_FLOAT:
    case STROM_TYPE_DOUBLE: {
        double d = v->u.f;
        if (d == 0)
            d = 0; /* -0.0 and 0.0 are one key */
        if (isnan(d))
            d = NAN;
        uint64_t bits;
        memcpy(&bits, &d, 8);
        bits = (bits >> 63) ? ~bits : bits | (1ull << 63);
        return put_be64(b, bits);
    }
    case STROM_TYPE_DECIMAL: {
        /* two's complement, high word sign-flipped: big-endian bytes sort like values */
        uint64_t hi = (uint64_t)(v->u.d >> 64) ^ (1ull << 63), lo = (uint64_t)v->u.d;
        return put_be64(b, hi) || put_be64(b, lo) ? STROM_ENOMEM : 0;
    }
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES: {
        const uint8_t *p = v->u.s.ptr;
        uint32_t n = v->u.s.len, from = 0;
        static const uint8_t esc[2] = {0x00, 0xFF}, end[2] = {0x00, 0x01};
        for (uint32_t i = 0; i < n; i++) {
            if (p[i] != 0)
                continue;
            if (strom_buf_append(b, p + from, i - from) || strom_buf_append(b, esc, 2))
                return STROM_ENOMEM;
            from = i + 1;
        }
        return strom_buf_append(b, p + from, n - from) || strom_buf_append(b, end, 2)
                   ? STROM_ENOMEM
                   : 0;
    }
    }
    return STROM_EINVAL;
}

/* Bytes of a non-null value in a row; 0 for STRING/BYTES (length-prefixed). */
static int row_width(strom_type_id t)
{
    switch (t) {
    case STROM_TYPE_BOOLEAN:
    case STROM_TYPE_TINYINT:
        return 1;
    case STROM_TYPE_SMALLINT:
        return 2;
    case STROM_TYPE_INT:
    case STROM_TYPE_DATE:
    case STROM_TYPE_FLOAT:
        return 4;
    case STROM_TYPE_DECIMAL:
        return 16;
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES:
        return 0;
    default:
        return 8;
    }
}

int strom_kv_row_put(strom_buf *b, const strom_value *v, int n)
{
    size_t nb = ((size_t)n + 7) / 8, need = 3 + nb;
    for (int i = 0; i < n; i++)
        if (!v[i].is_null)
            need += row_width(v[i].type) ? (size_t)row_width(v[i].type) : 4 + v[i].u.s.len;
    if (n > UINT16_MAX || strom_buf_reserve(b, need) != 0)
        return STROM_ENOMEM;
    uint8_t *p = b->data + b->len;
    p[0] = 1;
    strom_st16(p + 1, (uint16_t)n);
    uint8_t *bits = p + 3;
    memset(bits, 0, nb);
    uint8_t *w = bits + nb;
    for (int i = 0; i < n; i++) {
        const strom_value *x = &v[i];
        if (x->is_null)
            continue;
        bits[i >> 3] |= (uint8_t)(1u << (i & 7));
        switch (row_width(x->type)) {
        case 1:
            *w = x->type == STROM_TYPE_BOOLEAN ? (uint8_t)x->u.b : (uint8_t)(int8_t)x->u.i;
            break;
        case 2:
            strom_st16(w, (uint16_t)(int16_t)x->u.i);
            break;
        case 4:
            if (x->type == STROM_TYPE_FLOAT) {
                float f = (float)x->u.f;
                memcpy(w, &f, 4);
            } else {
                strom_st32(w, (uint32_t)(int32_t)x->u.i);
            }
            break;
        case 16:
            memcpy(w, &x->u.d, 16);
            break;
        case 0:
            strom_st32(w, x->u.s.len);
            if (x->u.s.len)
                memcpy(w + 4, x->u.s.ptr, x->u.s.len);
            w += 4 + x->u.s.len;
            continue;
        default:
            if (x->type == STROM_TYPE_DOUBLE)
                memcpy(w, &x->u.f, 8);
            else
                strom_st64(w, (uint64_t)x->u.i);
            break;
        }
        w += row_width(x->type);
    }
    b->len += (size_t)(w - p);
    return 0;
}

int strom_kv_row_get(const uint8_t *p, size_t n, const strom_schema *schema, strom_value *out,
                     strom_error *err)
{
    int ncols = strom_schema_ncols(schema);
    if (n < 3 || p[0] != 1)
        return strom_error_set(err, STROM_ECORRUPT, "kv row: unknown version");
    int have = strom_ld16(p + 1);
    size_t nb = ((size_t)have + 7) / 8;
    if (3 + nb > n)
        return strom_error_set(err, STROM_ECORRUPT, "kv row: %d columns do not fit %zu bytes",
                               have, n);
    const uint8_t *bits = p + 3, *r = bits + nb, *end = p + n;
    for (int i = 0; i < ncols; i++) {
        strom_value *x = &out[i];
        memset(x, 0, sizeof *x);
        x->type = strom_schema_col_type(schema, i).id;
        x->is_null = i >= have || !((bits[i >> 3] >> (i & 7)) & 1);
        if (x->is_null)
            continue;
        int wd = row_width(x->type);
        if (wd == 0) {
            if (end - r < 4 || (size_t)(end - r - 4) < strom_ld32(r))
                return strom_error_set(err, STROM_ECORRUPT, "kv row: column %d overruns", i);
            x->u.s.len = strom_ld32(r);
            x->u.s.ptr = r + 4;
            r += 4 + x->u.s.len;
            continue;
        }
        if (end - r < wd)
            return strom_error_set(err, STROM_ECORRUPT, "kv row: column %d overruns", i);
        switch (wd) {
        case 1:
            if (x->type == STROM_TYPE_BOOLEAN)
                x->u.b = *r != 0;
            else
                x->u.i = (int8_t)*r;
            break;
        case 2:
            x->u.i = (int16_t)strom_ld16(r);
            break;
        case 4:
            if (x->type == STROM_TYPE_FLOAT) {
                float f;
                memcpy(&f, r, 4);
                x->u.f = f;
            } else {
                x->u.i = (int32_t)strom_ld32(r);
            }
            break;
        case 16:
            memcpy(&x->u.d, r, 16);
            break;
        default:
            if (x->type == STROM_TYPE_DOUBLE)
                memcpy(&x->u.f, r, 8);
            else
                x->u.i = (int64_t)strom_ld64(r);
            break;
        }
        r += wd;
    }
    /* a row of a newer schema than the reader's (a column added meanwhile) has more values
     * after these: the reader does not know their types and does not need them */
    if (r != end && have <= ncols)
        return strom_error_set(err, STROM_ECORRUPT, "kv row: %zu bytes left over",
                               (size_t)(end - r));
    return 0;
}
