/*
 * batch.c: the batch builder (rows or whole columns in, one Arrow RecordBatch message out)
 * and its statistics, kept while appending (see batch.h).
 *
 * Each column buffers its Arrow layout directly: values (fixed width, or bit-packed booleans,
 * or string bytes), int32 offsets for STRING/BYTES, and a validity bitmap that exists only
 * once the first null arrives (all earlier rows marked valid). Sealing lays the buffers out
 * as the Arrow body (8-byte aligned, zero padded), compresses each one if asked, computes the
 * CRC32C of each stored buffer in the same pass as the copy, and writes the metadata in front.
 *
 * Statistics: min and max of the non-null values in strom_value_cmp order, tracked per append
 * (bulk appends run one tight loop per type). STRING/BYTES keep exact copies of the current
 * min and max; the 64-byte truncation happens when the stats are handed out.
 */
#include <float.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/batch.h"
#include "columnar/ipc.h"
#include "common/common.h"
#include "common/crc32c.h"
#include "common/utf8.h"

typedef struct bb_stats {
    bool has;        /* a non-null value was seen */
    bool nan;        /* FLOAT/DOUBLE: a NaN was seen (NaN is the greatest value) */
    bool has_num;    /* FLOAT/DOUBLE: a non-NaN value was seen */
    int64_t imin, imax;
    double fmin, fmax;
    strom_i128 dmin, dmax;
    strom_buf smin, smax; /* STRING/BYTES: exact copies */
} bb_stats;

typedef struct bb_col {
    strom_type type;
    bool nullable;
    int width;          /* bytes per value; 0 for BOOLEAN and STRING/BYTES */
    int64_t rows, nulls;
    bool free8;         /* 8 bytes that any value of the type fits (BIGINT, TIMESTAMP*,
                           DOUBLE): the fast row path needs no check beyond the type */
    bool has_validity;  /* false until the first null: then a bitmap of all rows */
    strom_buf validity; /* ceil(rows/8) bytes (may run ahead by zeroed bytes) */
    strom_buf values;
    strom_buf offsets;  /* STRING/BYTES: rows+1 int32 */
    bb_stats st;
} bb_col;

struct strom_batch_builder {
    const strom_schema *schema;
    int ncols;
    bb_col *cols;
    bool all_free8;     /* every column is free8 (strom_bb_append_row's fast path) */
    strom_buf scratch;  /* compressed body */
    strom_codec_ctx *codec;
};

static inline bool is_varlen(const bb_col *c)
{
    return c->type.id == STROM_TYPE_STRING || c->type.id == STROM_TYPE_BYTES;
}

static int col_init_offsets(bb_col *c)
{
    int32_t zero = 0;
    strom_buf_reset(&c->offsets);
    return is_varlen(c) ? strom_buf_append(&c->offsets, &zero, 4) : 0;
}

static void stats_reset(bb_stats *s)
{
    strom_buf smin = s->smin, smax = s->smax;
    memset(s, 0, sizeof *s);
    s->smin = smin;
    s->smax = smax;
    strom_buf_reset(&s->smin);
    strom_buf_reset(&s->smax);
}

strom_batch_builder *strom_bb_new(const strom_schema *schema)
{
    strom_batch_builder *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->schema = schema;
    b->ncols = strom_schema_ncols(schema);
    b->cols = calloc((size_t)(b->ncols ? b->ncols : 1), sizeof *b->cols);
    if (!b->cols) {
        free(b);
        return NULL;
    }
    for (int i = 0; i < b->ncols; i++) {
        bb_col *c = &b->cols[i];
        c->type = strom_schema_col_type(schema, i);
        c->nullable = strom_schema_col_nullable(schema, i);
        c->width = strom_type_width(c->type.id);
        c->free8 = c->type.id == STROM_TYPE_BIGINT || c->type.id == STROM_TYPE_TIMESTAMP ||
                   c->type.id == STROM_TYPE_TIMESTAMP_LTZ || c->type.id == STROM_TYPE_DOUBLE;
        /* data pointers are never NULL, even for empty buffers */
        if (col_init_offsets(c) != 0 || strom_buf_reserve(&c->values, 64) != 0 ||
            strom_buf_reserve(&c->validity, 64) != 0) {
            strom_bb_free(b);
            return NULL;
        }
    }
    b->all_free8 = b->ncols > 0;
    for (int i = 0; i < b->ncols; i++)
        b->all_free8 = b->all_free8 && b->cols[i].free8;
    return b;
}

void strom_bb_free(strom_batch_builder *b)
{
    if (!b)
        return;
    for (int i = 0; i < b->ncols; i++) {
        bb_col *c = &b->cols[i];
        strom_buf_free(&c->validity);
        strom_buf_free(&c->values);
        strom_buf_free(&c->offsets);
        strom_buf_free(&c->st.smin);
        strom_buf_free(&c->st.smax);
    }
    free(b->cols);
    strom_buf_free(&b->scratch);
    strom_codec_ctx_free(b->codec);
    free(b);
}

void strom_bb_reset(strom_batch_builder *b)
{
    for (int i = 0; i < b->ncols; i++) {
        bb_col *c = &b->cols[i];
        c->rows = c->nulls = 0;
        c->has_validity = false;
        strom_buf_reset(&c->validity);
        strom_buf_reset(&c->values);
        col_init_offsets(c); /* capacity exists: cannot fail */
        stats_reset(&c->st);
    }
}

int64_t strom_bb_rows(const strom_batch_builder *b)
{
    return b->ncols ? b->cols[0].rows : 0;
}

size_t strom_bb_bytes(const strom_batch_builder *b)
{
    size_t n = 0;
    for (int i = 0; i < b->ncols; i++)
        n += b->cols[i].validity.len + b->cols[i].values.len + b->cols[i].offsets.len;
    return n;
}

/* ---- validity -------------------------------------------------------------------------- */

/* Room for `more` rows in the bitmap (zeroed = null); creates it, all valid, if `make`. */
static int validity_grow(bb_col *c, int64_t more, bool make)
{
    if (!c->has_validity && !make)
        return 0;
    size_t need = (size_t)((c->rows + more + 7) / 8);
    if (!c->has_validity) {
        STROM_TRY(strom_buf_reserve(&c->validity, need + 1));
        strom_buf_reset(&c->validity);
        memset(c->validity.data, 0xFF, (size_t)(c->rows / 8));
        c->validity.len = (size_t)(c->rows / 8);
        if (c->rows % 8)
            c->validity.data[c->validity.len++] = (uint8_t)((1u << (c->rows % 8)) - 1);
        c->has_validity = true;
    }
    if (need > c->validity.len) {
        STROM_TRY(strom_buf_reserve(&c->validity, need - c->validity.len));
        memset(c->validity.data + c->validity.len, 0, need - c->validity.len);
        c->validity.len = need;
    }
    return 0;
}

static inline void validity_set(bb_col *c, int64_t row)
{
    c->validity.data[row >> 3] |= (uint8_t)(1u << (row & 7));
}

/* Bit-packed BOOLEAN values: room for one more row, new bytes zeroed. */
static int bits_grow(strom_buf *v, int64_t rows, int64_t more)
{
    size_t need = (size_t)((rows + more + 7) / 8);
    if (need > v->len) {
        STROM_TRY(strom_buf_reserve(v, need - v->len));
        memset(v->data + v->len, 0, need - v->len);
        v->len = need;
    }
    return 0;
}

/* ---- statistics while appending -------------------------------------------------------- */

static inline void st_int(bb_stats *s, int64_t v)
{
    if (!s->has) {
        s->has = true;
        s->imin = s->imax = v;
        return;
    }
    if (v < s->imin)
        s->imin = v;
    if (v > s->imax)
        s->imax = v;
}

static inline void st_float(bb_stats *s, double v)
{
    s->has = true;
    if (isnan(v)) {
        s->nan = true;
        return;
    }
    if (!s->has_num) {
        s->has_num = true;
        s->fmin = s->fmax = v;
        return;
    }
    if (v < s->fmin)
        s->fmin = v;
    if (v > s->fmax)
        s->fmax = v;
}

static inline void st_dec(bb_stats *s, strom_i128 v)
{
    if (!s->has) {
        s->has = true;
        s->dmin = s->dmax = v;
        return;
    }
    if (v < s->dmin)
        s->dmin = v;
    if (v > s->dmax)
        s->dmax = v;
}

/* memcmp order, a prefix before its extensions; an empty string may have a NULL pointer. */
static int bytes_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    return c ? c : (an > bn) - (an < bn);
}

/* Capacity for st_bytes to copy n bytes without allocating. */
static int st_bytes_reserve(bb_stats *s, size_t n)
{
    if (s->smin.cap < n + 1)
        STROM_TRY(strom_buf_reserve(&s->smin, n + 1 - s->smin.len));
    if (s->smax.cap < n + 1)
        STROM_TRY(strom_buf_reserve(&s->smax, n + 1 - s->smax.len));
    return 0;
}

static inline void st_bytes(bb_stats *s, const uint8_t *p, size_t n)
{
    if (!s->has || bytes_cmp(p, n, s->smin.data, s->smin.len) < 0) {
        if (n)
            memcpy(s->smin.data, p, n);
        s->smin.len = n;
    }
    if (!s->has || bytes_cmp(p, n, s->smax.data, s->smax.len) > 0) {
        if (n)
            memcpy(s->smax.data, p, n);
        s->smax.len = n;
    }
    s->has = true;
}

/* Statistics of n strings (rows first..first+n of a view): the smallest and largest are found
 * by pointer first and copied once at the end. */
/* The first 8 bytes as a big-endian number (zero padded): orders like memcmp on them. */
static inline uint64_t prefix_key(const uint8_t *p, size_t len)
{
    uint64_t k = 0;
    memcpy(&k, p, len < 8 ? len : 8);
    return __builtin_bswap64(k);
}

static int stats_strings(bb_stats *st, const uint8_t *vals, const int32_t *off,
                         const uint8_t *valid, int64_t first, int64_t n)
{
    int64_t lo = -1, hi = -1;
    uint64_t klo = 0, khi = 0;
    for (int64_t r = first; r < first + n; r++) {
        if (valid && !strom_bit_get(valid, r))
            continue;
        const uint8_t *p = vals + off[r];
        size_t len = (size_t)(off[r + 1] - off[r]);
        uint64_t k = prefix_key(p, len);
        if (lo < 0) {
            lo = hi = r;
            klo = khi = k;
            continue;
        }
        /* the 8-byte prefix decides almost always; equal prefixes fall back to memcmp */
        if (k < klo || (k == klo && bytes_cmp(p, len, vals + off[lo],
                                              (size_t)(off[lo + 1] - off[lo])) < 0)) {
            lo = r;
            klo = k;
        } else if (k > khi || (k == khi && bytes_cmp(p, len, vals + off[hi],
                                                     (size_t)(off[hi + 1] - off[hi])) > 0)) {
            hi = r;
            khi = k;
        }
    }
    if (lo < 0)
        return 0;
    size_t llen = (size_t)(off[lo + 1] - off[lo]), hlen = (size_t)(off[hi + 1] - off[hi]);
    STROM_TRY(st_bytes_reserve(st, llen > hlen ? llen : hlen));
    st_bytes(st, vals + off[lo], llen);
    st_bytes(st, vals + off[hi], hlen);
    return 0;
}

/* Bulk statistics over n fixed-width values, skipping nulls when `valid` is given (bit i of
 * valid at bit offset voff + i). One loop per physical type so it vectorizes. */
#define STATS_LOOP(name, T, update)                                                            \
    static void name(bb_stats *s, const uint8_t *raw, int64_t n, const uint8_t *valid,         \
                     int64_t voff)                                                             \
    {                                                                                          \
        for (int64_t i = 0; i < n; i++) {                                                      \
            if (valid && !strom_bit_get(valid, voff + i))                                      \
                continue;                                                                      \
            T v;                                                                               \
            memcpy(&v, raw + (size_t)i * sizeof(T), sizeof(T));                                \
            update(s, v);                                                                      \
        }                                                                                      \
    }

/* Null-free columns: reductions over four independent lanes (no loop-carried dependency
 * through one accumulator), compiled twice so AVX2 machines get vector min/max. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define STATS_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define STATS_CLONES
#endif

#define STATS_INT_DENSE(name, T)                                                               \
    STATS_CLONES static void name(bb_stats *s, const uint8_t *raw, int64_t n)                  \
    {                                                                                          \
        if (n == 0)                                                                            \
            return;                                                                            \
        T mn[4], mx[4];                                                                        \
        memcpy(&mn[0], raw, sizeof(T));                                                        \
        for (int l = 0; l < 4; l++)                                                            \
            mn[l] = mx[l] = mn[0];                                                             \
        int64_t i = 0;                                                                         \
        for (; i + 4 <= n; i += 4)                                                             \
            for (int l = 0; l < 4; l++) {                                                      \
                T v;                                                                           \
                memcpy(&v, raw + (size_t)(i + l) * sizeof(T), sizeof(T));                      \
                mn[l] = v < mn[l] ? v : mn[l];                                                 \
                mx[l] = v > mx[l] ? v : mx[l];                                                 \
            }                                                                                  \
        for (; i < n; i++) {                                                                   \
            T v;                                                                               \
            memcpy(&v, raw + (size_t)i * sizeof(T), sizeof(T));                                \
            mn[0] = v < mn[0] ? v : mn[0];                                                     \
            mx[0] = v > mx[0] ? v : mx[0];                                                     \
        }                                                                                      \
        for (int l = 0; l < 4; l++) {                                                          \
            st_int(s, (int64_t)mn[l]);                                                         \
            st_int(s, (int64_t)mx[l]);                                                         \
        }                                                                                      \
    }

STATS_LOOP(stats_i8, int8_t, st_int)
STATS_LOOP(stats_i16, int16_t, st_int)
STATS_LOOP(stats_i32, int32_t, st_int)
STATS_LOOP(stats_i64, int64_t, st_int)
STATS_LOOP(stats_f32, float, st_float)
STATS_LOOP(stats_f64, double, st_float)
STATS_LOOP(stats_dec, strom_i128, st_dec)
/* Null-free floating point: NaN never becomes min or max here (x86 min/max return the
 * second operand when one is NaN, and the scalar fallback compares false); it is counted
 * instead, NaN being the greatest value in strom's order. */
static void float_result(bb_stats *s, double mn, double mx, int64_t nans, int64_t n)
{
    if (nans)
        st_float(s, NAN);
    if (nans < n) {
        st_float(s, mn);
        st_float(s, mx);
    }
}

#if defined(__SSE2__)
static void dense_f64(bb_stats *s, const uint8_t *raw, int64_t n)
{
    __m128d mn = _mm_set1_pd(INFINITY), mx = _mm_set1_pd(-INFINITY);
    __m128i nans = _mm_setzero_si128();
    int64_t i = 0;
    for (; i + 2 <= n; i += 2) {
        __m128d v = _mm_loadu_pd((const double *)(const void *)(raw + 8 * i));
        mn = _mm_min_pd(v, mn);
        mx = _mm_max_pd(v, mx);
        nans = _mm_sub_epi64(nans, _mm_castpd_si128(_mm_cmpunord_pd(v, v)));
    }
    double a[2], z[2];
    int64_t c[2];
    _mm_storeu_pd(a, mn);
    _mm_storeu_pd(z, mx);
    _mm_storeu_si128((__m128i *)(void *)c, nans);
    double lo = a[0] < a[1] ? a[0] : a[1], hi = z[0] > z[1] ? z[0] : z[1];
    int64_t nn = c[0] + c[1];
    for (; i < n; i++) {
        double v;
        memcpy(&v, raw + 8 * i, 8);
        nn += v != v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    float_result(s, lo, hi, nn, n);
}

static void dense_f32(bb_stats *s, const uint8_t *raw, int64_t n)
{
    __m128 mn = _mm_set1_ps(INFINITY), mx = _mm_set1_ps(-INFINITY);
    __m128i nans = _mm_setzero_si128();
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 v = _mm_loadu_ps((const float *)(const void *)(raw + 4 * i));
        mn = _mm_min_ps(v, mn);
        mx = _mm_max_ps(v, mx);
        nans = _mm_sub_epi32(nans, _mm_castps_si128(_mm_cmpunord_ps(v, v)));
    }
    float a[4], z[4];
    int32_t c[4];
    _mm_storeu_ps(a, mn);
    _mm_storeu_ps(z, mx);
    _mm_storeu_si128((__m128i *)(void *)c, nans);
    float lo = a[0], hi = z[0];
    int64_t nn = 0;
    for (int l = 0; l < 4; l++) {
        lo = a[l] < lo ? a[l] : lo;
        hi = z[l] > hi ? z[l] : hi;
        nn += c[l];
    }
    for (; i < n; i++) {
        float v;
        memcpy(&v, raw + 4 * i, 4);
        nn += v != v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    float_result(s, lo, hi, nn, n);
}
#else
#define STATS_FLOAT_DENSE(name, T)                                                             \
    static void name(bb_stats *s, const uint8_t *raw, int64_t n)                               \
    {                                                                                          \
        T lo = (T)INFINITY, hi = (T)-INFINITY;                                                 \
        int64_t nn = 0;                                                                        \
        for (int64_t i = 0; i < n; i++) {                                                      \
            T v;                                                                               \
            memcpy(&v, raw + (size_t)i * sizeof(T), sizeof(T));                                \
            nn += v != v;                                                                      \
            lo = v < lo ? v : lo;                                                              \
            hi = v > hi ? v : hi;                                                              \
        }                                                                                      \
        float_result(s, lo, hi, nn, n);                                                        \
    }
STATS_FLOAT_DENSE(dense_f32, float)
STATS_FLOAT_DENSE(dense_f64, double)
#endif
STATS_INT_DENSE(dense_i8, int8_t)
STATS_INT_DENSE(dense_i16, int16_t)
STATS_INT_DENSE(dense_i32, int32_t)
STATS_INT_DENSE(dense_i64, int64_t)

static void stats_fixed(bb_stats *s, strom_type_id id, const uint8_t *raw, int64_t n,
                        const uint8_t *valid, int64_t voff)
{
    int w = strom_type_width(id);
    if (id == STROM_TYPE_FLOAT)
        valid ? stats_f32(s, raw, n, valid, voff) : dense_f32(s, raw, n);
    else if (id == STROM_TYPE_DOUBLE)
        valid ? stats_f64(s, raw, n, valid, voff) : dense_f64(s, raw, n);
    else if (id == STROM_TYPE_DECIMAL)
        stats_dec(s, raw, n, valid, voff);
    else if (!valid)
        (w == 1 ? dense_i8 : w == 2 ? dense_i16 : w == 4 ? dense_i32 : dense_i64)(s, raw, n);
    else
        (w == 1 ? stats_i8 : w == 2 ? stats_i16 : w == 4 ? stats_i32 : stats_i64)(s, raw, n,
                                                                                  valid, voff);
}

/* ---- single values --------------------------------------------------------------------- */

static strom_i128 pow10_i128(int p)
{
    strom_i128 v = 1;
    while (p-- > 0)
        v *= 10;
    return v;
}

static bool decimal_fits(strom_i128 v, int precision)
{
    strom_i128 lim = pow10_i128(precision);
    return v < lim && v > -lim;
}

/* Index of the first non-null value of a DECIMAL(p) buffer out of range, or -1. */
static int64_t decimal_first_bad(const uint8_t *vals, const uint8_t *valid, int64_t off,
                                 int64_t n, int precision)
{
    strom_i128 lim = pow10_i128(precision);
    for (int64_t i = 0; i < n; i++) {
        strom_i128 d;
        memcpy(&d, vals + 16 * (off + i), 16);
        if ((d >= lim || d <= -lim) && (!valid || strom_bit_get(valid, off + i)))
            return i;
    }
    return -1;
}

/* BOOLEAN statistics by popcount: min is false iff a valid false exists, max true iff a
 * valid true exists. */
static void stats_bool(bb_stats *st, const uint8_t *vals, const uint8_t *valid, int64_t off,
                       int64_t n)
{
    int64_t trues = 0, count = 0;
    if (!valid && off % 8 == 0) {
        trues = strom_popcount_bits(vals + off / 8, n);
        count = n;
    } else {
        for (int64_t i = 0; i < n; i++)
            if (!valid || strom_bit_get(valid, off + i)) {
                count++;
                trues += strom_bit_get(vals, off + i);
            }
    }
    if (count == 0)
        return;
    st_int(st, trues == count);
    st_int(st, trues > 0);
}

/* Checks that v can go into column c (without appending). */
static int check_value(const bb_col *c, int col, const strom_value *v, strom_error *err)
{
    char tn[40];
    if (v->is_null)
        return c->nullable ? 0
                           : strom_error_set(err, STROM_EINVAL,
                                             "column %d is NOT NULL: a null cannot be appended",
                                             col);
    if (v->type != c->type.id)
        return strom_error_set(err, STROM_EINVAL, "column %d is %s, the value is %s", col,
                               strom_type_format(c->type, tn, sizeof tn),
                               strom_type_name(v->type));
    int64_t i = v->u.i;
    switch (c->type.id) {
    case STROM_TYPE_TINYINT:
        if (i < INT8_MIN || i > INT8_MAX)
            goto range;
        break;
    case STROM_TYPE_SMALLINT:
        if (i < INT16_MIN || i > INT16_MAX)
            goto range;
        break;
    case STROM_TYPE_INT:
    case STROM_TYPE_DATE:
        if (i < INT32_MIN || i > INT32_MAX)
            goto range;
        break;
    case STROM_TYPE_TIME:
        if (i < 0 || i >= INT64_C(86400000000))
            goto range;
        break;
    case STROM_TYPE_FLOAT:
        if (isfinite(v->u.f) && fabs(v->u.f) > FLT_MAX)
            goto range;
        break;
    case STROM_TYPE_DECIMAL:
        if (!decimal_fits(v->u.d, c->type.precision))
            return strom_error_set(err, STROM_ERANGE,
                                   "column %d: the value has more than %d digits", col,
                                   c->type.precision);
        break;
    case STROM_TYPE_STRING: {
        size_t bad;
        if (!strom_utf8_valid(v->u.s.ptr, v->u.s.len, &bad))
            return strom_error_set(err, STROM_EINVAL,
                                   "column %d: invalid UTF-8 at byte %zu of the string", col,
                                   bad);
    }
        /* fall through */
    case STROM_TYPE_BYTES:
        if ((uint64_t)v->u.s.len + (c->values.len) > INT32_MAX)
            return strom_error_set(err, STROM_ELIMIT,
                                   "column %d: more than 2 GiB of data in one batch", col);
        break;
    default: break;
    }
    return 0;
range:
    return strom_error_set(err, STROM_ERANGE, "column %d: the value does not fit %s", col,
                           strom_type_format(c->type, tn, sizeof tn));
}

/* Capacity for one more value, so that write_value cannot fail. */
static inline int reserve_value(bb_col *c, const strom_value *v)
{
    if ((c->has_validity || v->is_null) && validity_grow(c, 1, v->is_null) != 0)
        return STROM_ENOMEM;
    if (c->width > 0) /* fixed width: the common case, without a call while there is room */
        return c->values.cap - c->values.len >= (size_t)c->width
                   ? 0
                   : strom_buf_reserve(&c->values, (size_t)c->width);
    if (c->type.id == STROM_TYPE_BOOLEAN)
        return strom_buf_reserve(&c->values, 1);
    STROM_TRY(strom_buf_reserve(&c->offsets, 4));
    if (v->is_null)
        return 0;
    STROM_TRY(strom_buf_reserve(&c->values, v->u.s.len));
    return st_bytes_reserve(&c->st, v->u.s.len);
}

static inline void write_value(bb_col *c, const strom_value *v)
{
    if (c->type.id == STROM_TYPE_BOOLEAN)
        bits_grow(&c->values, c->rows, 1); /* reserved: cannot fail */
    if (v->is_null) {
        c->nulls++;
        if (!is_varlen(c) && c->type.id != STROM_TYPE_BOOLEAN) {
            memset(c->values.data + c->values.len, 0, (size_t)c->width);
            c->values.len += (size_t)c->width;
        }
    } else {
        if (c->has_validity)
            validity_set(c, c->rows);
        uint8_t *dst = c->values.data + c->values.len;
        int64_t i = v->u.i;
        switch (c->type.id) {
        case STROM_TYPE_BOOLEAN:
            if (v->u.b)
                c->values.data[c->rows >> 3] |= (uint8_t)(1u << (c->rows & 7));
            st_int(&c->st, v->u.b);
            break;
        case STROM_TYPE_TINYINT: { int8_t x = (int8_t)i; memcpy(dst, &x, 1); st_int(&c->st, i); break; }
        case STROM_TYPE_SMALLINT: { int16_t x = (int16_t)i; memcpy(dst, &x, 2); st_int(&c->st, i); break; }
        case STROM_TYPE_INT:
        case STROM_TYPE_DATE: { int32_t x = (int32_t)i; memcpy(dst, &x, 4); st_int(&c->st, i); break; }
        case STROM_TYPE_FLOAT: {
            float x = (float)v->u.f;
            memcpy(dst, &x, 4);
            st_float(&c->st, x);
            break;
        }
        case STROM_TYPE_DOUBLE: memcpy(dst, &v->u.f, 8); st_float(&c->st, v->u.f); break;
        case STROM_TYPE_DECIMAL: memcpy(dst, &v->u.d, 16); st_dec(&c->st, v->u.d); break;
        case STROM_TYPE_STRING:
        case STROM_TYPE_BYTES:
            if (v->u.s.len)
                memcpy(dst, v->u.s.ptr, v->u.s.len);
            c->values.len += v->u.s.len;
            st_bytes(&c->st, v->u.s.ptr, v->u.s.len);
            break;
        default: memcpy(dst, &i, 8); st_int(&c->st, i); break; /* BIGINT, TIME, TIMESTAMP* */
        }
        if (!is_varlen(c) && c->type.id != STROM_TYPE_BOOLEAN)
            c->values.len += (size_t)c->width;
    }
    if (is_varlen(c)) {
        int32_t end = (int32_t)c->values.len;
        memcpy(c->offsets.data + c->offsets.len, &end, 4);
        c->offsets.len += 4;
    }
    c->rows++;
}

static int append_one(strom_batch_builder *b, int col, const strom_value *v, strom_error *err)
{
    if (col < 0 || col >= b->ncols)
        return strom_error_set(err, STROM_EINVAL, "column %d of %d", col, b->ncols);
    bb_col *c = &b->cols[col];
    STROM_TRY(check_value(c, col, v, err));
    if (reserve_value(c, v) != 0)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    write_value(c, v);
    return 0;
}

int strom_bb_append_value(strom_batch_builder *b, int col, const strom_value *v)
{
    return append_one(b, col, v, NULL);
}

int strom_bb_append_null(strom_batch_builder *b, int col)
{
    strom_value v = {.is_null = true};
    return append_one(b, col, &v, NULL);
}

static strom_type_id col_type(const strom_batch_builder *b, int col)
{
    return col >= 0 && col < b->ncols ? b->cols[col].type.id : (strom_type_id)0;
}

int strom_bb_append_bool(strom_batch_builder *b, int col, bool x)
{
    strom_value v = {.type = STROM_TYPE_BOOLEAN, .u.b = x};
    return append_one(b, col, &v, NULL);
}

int strom_bb_append_int(strom_batch_builder *b, int col, int64_t x)
{
    strom_type_id t = col_type(b, col);
    bool ok = t == STROM_TYPE_TINYINT || t == STROM_TYPE_SMALLINT || t == STROM_TYPE_INT ||
              t == STROM_TYPE_BIGINT || t == STROM_TYPE_DATE || t == STROM_TYPE_TIME ||
              t == STROM_TYPE_TIMESTAMP || t == STROM_TYPE_TIMESTAMP_LTZ;
    strom_value v = {.type = ok ? t : STROM_TYPE_BIGINT, .u.i = x};
    return append_one(b, col, &v, NULL);
}

int strom_bb_append_double(strom_batch_builder *b, int col, double x)
{
    strom_type_id t = col_type(b, col);
    strom_value v = {.type = t == STROM_TYPE_FLOAT ? t : STROM_TYPE_DOUBLE, .u.f = x};
    return append_one(b, col, &v, NULL);
}

int strom_bb_append_decimal(strom_batch_builder *b, int col, strom_i128 unscaled)
{
    strom_value v = {.type = STROM_TYPE_DECIMAL, .u.d = unscaled};
    return append_one(b, col, &v, NULL);
}

int strom_bb_append_bytes(strom_batch_builder *b, int col, const void *p, size_t n)
{
    strom_type_id t = col_type(b, col);
    if (n > INT32_MAX)
        return STROM_ELIMIT;
    strom_value v = {.type = t == STROM_TYPE_BYTES ? t : STROM_TYPE_STRING,
                     .u.s = {(const uint8_t *)p, (uint32_t)n}};
    return append_one(b, col, &v, NULL);
}

/* A row of non-null 8-byte values that need no check beyond their type, into columns
 * without a validity bitmap and with room: the producer's common case, in one pass. Returns
 * 1 (nothing appended) when the general path must take the row. */
static int append_row_free8(strom_batch_builder *b, const strom_value *vals)
{
    for (int i = 0; i < b->ncols; i++) {
        const bb_col *c = &b->cols[i];
        if (vals[i].is_null || vals[i].type != c->type.id || c->has_validity ||
            c->values.cap - c->values.len < 8)
            return 1;
    }
    for (int i = 0; i < b->ncols; i++) {
        bb_col *c = &b->cols[i];
        memcpy(c->values.data + c->values.len, &vals[i].u, 8);
        c->values.len += 8;
        if (c->type.id == STROM_TYPE_DOUBLE)
            st_float(&c->st, vals[i].u.f);
        else
            st_int(&c->st, vals[i].u.i);
        c->rows++;
    }
    return 0;
}

int strom_bb_append_row(strom_batch_builder *b, const strom_value *vals, strom_error *err)
{
    if (b->all_free8 && append_row_free8(b, vals) == 0)
        return 0;
    for (int i = 0; i < b->ncols; i++)
        STROM_TRY(check_value(&b->cols[i], i, &vals[i], err));
    for (int i = 0; i < b->ncols; i++)
        if (reserve_value(&b->cols[i], &vals[i]) != 0)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (int i = 0; i < b->ncols; i++)
        write_value(&b->cols[i], &vals[i]);
    return 0;
}

/* ---- whole columns --------------------------------------------------------------------- *
 *
 * Bulk appends check every row first (NOT NULL, DECIMAL precision, UTF-8, the 2 GiB string
 * limit), then reserve all the memory they need, and only then copy: on any error the
 * builder is left exactly as it was. Views are trusted to be well formed (the decoder
 * verified them); only the few fields that would crash the copy are checked here. */

/* Copies n bits of src (from bit soff) into dst at bit doff; dst bits there must be zero. */
static void copy_bits(uint8_t *dst, int64_t doff, const uint8_t *src, int64_t soff, int64_t n)
{
    if (doff % 8 == 0 && soff % 8 == 0) {
        memcpy(dst + doff / 8, src + soff / 8, (size_t)(n / 8));
        for (int64_t i = n - n % 8; i < n; i++)
            if (strom_bit_get(src, soff + i))
                dst[(doff + i) >> 3] |= (uint8_t)(1u << ((doff + i) & 7));
        return;
    }
    for (int64_t i = 0; i < n; i++)
        if (strom_bit_get(src, soff + i))
            dst[(doff + i) >> 3] |= (uint8_t)(1u << ((doff + i) & 7));
}

/* Sets bits [from, from+n). */
static void set_bits(uint8_t *bits, int64_t from, int64_t n)
{
    int64_t i = from, end = from + n;
    for (; i < end && (i & 7); i++)
        bits[i >> 3] |= (uint8_t)(1u << (i & 7));
    int64_t bytes = (end - i) / 8;
    if (bytes > 0) {
        memset(bits + i / 8, 0xFF, (size_t)bytes);
        i += 8 * bytes;
    }
    for (; i < end; i++)
        bits[i >> 3] |= (uint8_t)(1u << (i & 7));
}

/* Nulls among rows [off, off+n) of a view (by popcount, 64 rows at a time). */
static int64_t count_nulls(const strom_col_view *v, int64_t off, int64_t n)
{
    if (!v->validity || v->null_count == 0)
        return 0;
    int64_t valid = 0, i = 0;
    for (; i < n && (off + i) % 8; i++)
        valid += strom_bit_get(v->validity, off + i);
    if (i < n)
        valid += strom_popcount_bits(v->validity + (off + i) / 8, n - i);
    return n - valid;
}

/* The view fields a copy relies on. */
static bool view_usable(const strom_col_view *v, const bb_col *c)
{
    if (!v || v->length < 0 || v->null_count < 0 || (v->null_count && !v->validity))
        return false;
    return v->length == 0 || (v->values && (!is_varlen(c) || v->offsets));
}

/* UTF-8 of the non-null strings in rows [off, off+n); a valid whole range is the fast path
 * (the bytes of null slots may be anything, so only a failure is looked at row by row). */
static int check_utf8_rows(int col, const strom_col_view *src, const uint8_t *valid,
                           int64_t off, int64_t n, strom_error *err)
{
    int32_t lo = src->offsets[off], hi = src->offsets[off + n];
    if (strom_utf8_valid(src->values + lo, (size_t)(hi - lo), NULL))
        return 0;
    for (int64_t i = off; i < off + n; i++) {
        int32_t a = src->offsets[i], z = src->offsets[i + 1];
        size_t bad;
        if ((!valid || strom_bit_get(valid, i)) &&
            !strom_utf8_valid(src->values + a, (size_t)(z - a), &bad))
            return strom_error_set(err, STROM_EINVAL,
                                   "column %d, row %lld: invalid UTF-8 at byte %zu", col,
                                   (long long)i, bad);
    }
    return 0;
}

/* Copies rows [off, off+n) of a checked STRING/BYTES view; memory was reserved. */
static void copy_varlen(bb_col *c, const strom_col_view *src, int64_t off, int64_t n)
{
    int32_t lo = src->offsets[off], hi = src->offsets[off + n];
    size_t len = (size_t)(hi - lo);
    int32_t base = (int32_t)c->values.len - lo;
    int32_t *o = (int32_t *)(void *)(c->offsets.data + c->offsets.len);
    for (int64_t i = 0; i < n; i++)
        o[i] = base + src->offsets[off + i + 1];
    if (len)
        memcpy(c->values.data + c->values.len, src->values + lo, len);
    c->values.len += len;
    c->offsets.len += 4 * (size_t)n;
}

/* All checks of an append_column, before anything changes. */
static int check_column(const bb_col *c, int col, const strom_col_view *src, int64_t off,
                        int64_t n, int64_t nulls, strom_error *err)
{
    const uint8_t *valid = nulls ? src->validity : NULL;
    if (nulls && !c->nullable)
        return strom_error_set(err, STROM_EINVAL, "column %d is NOT NULL: %lld nulls given",
                               col, (long long)nulls);
    int64_t bad;
    if (c->type.id == STROM_TYPE_DECIMAL &&
        (bad = decimal_first_bad(src->values, valid, off, n, c->type.precision)) >= 0)
        return strom_error_set(err, STROM_ERANGE, "column %d, row %lld: more than %d digits",
                               col, (long long)(off + bad), c->type.precision);
    if (!is_varlen(c))
        return 0;
    if ((uint64_t)(src->offsets[off + n] - src->offsets[off]) + c->values.len > INT32_MAX)
        return strom_error_set(err, STROM_ELIMIT, "column %d: more than 2 GiB in one batch",
                               col);
    if (c->type.id == STROM_TYPE_STRING)
        return check_utf8_rows(col, src, valid, off, n, err);
    return 0;
}

/* Memory for `n` more rows of which `nulls` are null and `bytes` are string data, so that
 * the copy that follows cannot fail. */
static int reserve_rows(bb_col *c, int64_t n, int64_t nulls, size_t bytes, size_t maxlen)
{
    STROM_TRY(validity_grow(c, n, nulls > 0));
    if (c->type.id == STROM_TYPE_BOOLEAN)
        return bits_grow(&c->values, c->rows, n);
    if (!is_varlen(c))
        return strom_buf_reserve(&c->values, (size_t)c->width * (size_t)n);
    STROM_TRY(strom_buf_reserve(&c->values, bytes));
    STROM_TRY(strom_buf_reserve(&c->offsets, 4 * (size_t)n));
    return st_bytes_reserve(&c->st, maxlen);
}

int strom_bb_append_column(strom_batch_builder *b, int col, const strom_col_view *src,
                           int64_t offset, int64_t count)
{
    if (col < 0 || col >= b->ncols || !view_usable(src, &b->cols[col]) || offset < 0 ||
        count < 0 || offset > src->length || count > src->length - offset)
        return STROM_EINVAL;
    bb_col *c = &b->cols[col];
    int64_t nulls = count_nulls(src, offset, count);
    const uint8_t *valid = nulls ? src->validity : NULL;
    STROM_TRY(check_column(c, col, src, offset, count, nulls, NULL));
    if (count == 0)
        return 0;
    /* string statistics first: they need memory of their own */
    bool var = is_varlen(c);
    size_t bytes = var ? (size_t)(src->offsets[offset + count] - src->offsets[offset]) : 0;
    if (reserve_rows(c, count, nulls, bytes, 0) != 0 ||
        (var && stats_strings(&c->st, src->values, src->offsets, valid, offset, count) != 0))
        return STROM_ENOMEM;
    if (var) {
        copy_varlen(c, src, offset, count);
    } else if (c->type.id == STROM_TYPE_BOOLEAN) {
        copy_bits(c->values.data, c->rows, src->values, offset, count);
        stats_bool(&c->st, src->values, valid, offset, count);
    } else {
        size_t n = (size_t)c->width * (size_t)count;
        const uint8_t *from = src->values + (size_t)c->width * (size_t)offset;
        memcpy(c->values.data + c->values.len, from, n);
        c->values.len += n;
        stats_fixed(&c->st, c->type.id, from, count, valid, offset);
    }
    if (c->has_validity) {
        if (valid)
            copy_bits(c->validity.data, c->rows, valid, offset, count);
        else
            set_bits(c->validity.data, c->rows, count);
    }
    c->rows += count;
    c->nulls += nulls;
    return 0;
}

/* Bits [base, base+64) of a bitmap of `length` bits, those past the end cleared. */
static inline uint64_t bits_word(const uint8_t *bits, int64_t base, int64_t length)
{
    uint64_t word = 0;
    int64_t nbytes = (length - base + 7) / 8;
    memcpy(&word, bits + base / 8, (size_t)(nbytes < 8 ? nbytes : 8));
    if (length - base < 64)
        word &= (UINT64_C(1) << (length - base)) - 1;
    return word;
}

typedef struct sel_info {
    int64_t rows, nulls; /* selected rows, and how many of them are null */
    size_t bytes, maxlen; /* STRING/BYTES: data bytes of the selected values, the longest */
} sel_info;

/* Checks of one selected, non-null row (DECIMAL precision, UTF-8), and its string size. */
static int check_selected_row(const bb_col *c, int col, const strom_col_view *src, int64_t r,
                              sel_info *si)
{
    if (c->type.id == STROM_TYPE_DECIMAL) {
        strom_i128 d;
        memcpy(&d, src->values + 16 * (size_t)r, 16);
        if (!decimal_fits(d, c->type.precision))
            return STROM_ERANGE;
    } else if (is_varlen(c)) {
        size_t len = (size_t)(src->offsets[r + 1] - src->offsets[r]);
        si->bytes += len;
        si->maxlen = len > si->maxlen ? len : si->maxlen;
        if (c->type.id == STROM_TYPE_STRING &&
            !strom_utf8_valid(src->values + src->offsets[r], len, NULL))
            return STROM_EINVAL;
    }
    return 0;
}

/* All checks of an append_selected, before anything changes; counts what to reserve. */
static int check_selected(const bb_col *c, int col, const strom_col_view *src,
                          const uint8_t *sel, sel_info *si)
{
    const uint8_t *valid = src->null_count ? src->validity : NULL;
    bool per_row = c->type.id == STROM_TYPE_DECIMAL || is_varlen(c);
    memset(si, 0, sizeof *si);
    for (int64_t base = 0; base < src->length; base += 64) {
        uint64_t word = bits_word(sel, base, src->length);
        if (!word)
            continue;
        uint64_t ok = valid ? word & bits_word(valid, base, src->length) : word;
        si->rows += __builtin_popcountll(word);
        si->nulls += __builtin_popcountll(word & ~ok);
        for (; per_row && ok; ok &= ok - 1)
            STROM_TRY(check_selected_row(c, col, src, base + __builtin_ctzll(ok), si));
    }
    if (si->nulls && !c->nullable)
        return STROM_EINVAL;
    if (si->bytes + c->values.len > INT32_MAX)
        return STROM_ELIMIT;
    return 0;
}

/* Gathers the selected fixed-width values: one word of the selection at a time. */
static void gather_fixed(bb_col *c, const strom_col_view *src, const uint8_t *sel)
{
    size_t w = (size_t)c->width;
    uint8_t *dst = c->values.data + c->values.len;
    const uint8_t *valid = src->null_count ? src->validity : NULL;
    for (int64_t base = 0; base < src->length; base += 64) {
        uint64_t word = bits_word(sel, base, src->length);
        while (word) {
            int64_t r = base + __builtin_ctzll(word);
            word &= word - 1;
            const uint8_t *v = src->values + w * (size_t)r;
            memcpy(dst, v, w);
            dst += w;
            if (!valid || strom_bit_get(valid, r)) {
                if (c->has_validity)
                    validity_set(c, c->rows);
                stats_fixed(&c->st, c->type.id, v, 1, NULL, 0);
            } else {
                c->nulls++;
            }
            c->rows++;
        }
    }
    c->values.len = (size_t)(dst - c->values.data);
}

/* Gathers the selected values of any type one by one (checked and reserved already). */
static void gather_values(bb_col *c, const strom_col_view *src, const uint8_t *sel)
{
    for (int64_t base = 0; base < src->length; base += 64) {
        uint64_t word = bits_word(sel, base, src->length);
        for (; word; word &= word - 1) {
            strom_value v;
            strom_col_get(src, c->type, base + __builtin_ctzll(word), &v);
            write_value(c, &v);
        }
    }
}

int strom_bb_append_selected(strom_batch_builder *b, int col, const strom_col_view *src,
                             const uint8_t *sel)
{
    if (col < 0 || col >= b->ncols || !view_usable(src, &b->cols[col]) ||
        (!sel && src->length))
        return STROM_EINVAL;
    bb_col *c = &b->cols[col];
    sel_info si;
    STROM_TRY(check_selected(c, col, src, sel, &si));
    if (si.rows == 0)
        return 0;
    if (reserve_rows(c, si.rows, si.nulls, si.bytes, si.maxlen) != 0)
        return STROM_ENOMEM;
    if (c->width > 0 && c->type.id != STROM_TYPE_DECIMAL)
        gather_fixed(c, src, sel);
    else
        gather_values(c, src, sel);
    return 0;
}

/* ---- reading a view -------------------------------------------------------------------- */

void strom_col_get(const strom_col_view *c, strom_type t, int64_t row, strom_value *out)
{
    memset(out, 0, sizeof *out);
    out->type = t.id;
    if (strom_col_is_null(c, row)) {
        out->is_null = true;
        return;
    }
    const uint8_t *p = c->values + (size_t)strom_type_width(t.id) * (size_t)row;
    switch (t.id) {
    case STROM_TYPE_BOOLEAN: out->u.b = strom_bit_get(c->values, row); break;
    case STROM_TYPE_TINYINT: out->u.i = (int8_t)p[0]; break;
    case STROM_TYPE_SMALLINT: out->u.i = (int16_t)strom_ld16(p); break;
    case STROM_TYPE_INT:
    case STROM_TYPE_DATE: out->u.i = (int32_t)strom_ld32(p); break;
    case STROM_TYPE_FLOAT: {
        float f;
        memcpy(&f, p, 4);
        out->u.f = f;
        break;
    }
    case STROM_TYPE_DOUBLE: memcpy(&out->u.f, p, 8); break;
    case STROM_TYPE_DECIMAL: memcpy(&out->u.d, p, 16); break;
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES:
        out->u.s.ptr = c->values + c->offsets[row];
        out->u.s.len = (uint32_t)(c->offsets[row + 1] - c->offsets[row]);
        break;
    default: out->u.i = (int64_t)strom_ld64(p); break;
    }
}

/* ---- statistics out -------------------------------------------------------------------- */

void strom_col_stats_fix(strom_col_stats *s)
{
    if (s->min.type == STROM_TYPE_STRING || s->min.type == STROM_TYPE_BYTES) {
        s->min.u.s.ptr = s->min_bytes;
        s->max.u.s.ptr = s->max_bytes;
    }
}

void strom_batch_stats_free(strom_batch_stats *st)
{
    if (!st)
        return;
    free(st->cols);
    free(st->buffer_crc);
    memset(st, 0, sizeof *st);
}

int strom_batch_stats_reserve(strom_batch_stats *st, int ncols, int nbufs, int *cols_cap,
                              int *crc_cap)
{
    if (ncols > *cols_cap || !st->cols) {
        size_t n = ncols > 0 ? (size_t)ncols : 1;
        strom_col_stats *c = realloc(st->cols, sizeof *c * n);
        if (!c)
            return STROM_ENOMEM;
        if (c != st->cols) /* string bounds point into the entries */
            for (int i = 0; i < st->ncols; i++)
                strom_col_stats_fix(&c[i]);
        st->cols = c;
        *cols_cap = (int)n;
    }
    if (nbufs > *crc_cap || !st->buffer_crc) {
        size_t n = nbufs > 0 ? (size_t)nbufs : 1;
        uint32_t *b = realloc(st->buffer_crc, sizeof *b * n);
        if (!b)
            return STROM_ENOMEM;
        st->buffer_crc = b;
        *crc_cap = (int)n;
    }
    return 0;
}

static void stats_out(strom_type t, int64_t nulls, const bb_stats *s, strom_col_stats *o)
{
    memset(o, 0, sizeof *o);
    o->null_count = nulls;
    o->min.type = o->max.type = t.id;
    if (!s->has)
        return;
    o->has_min = o->has_max = o->min_exact = o->max_exact = true;
    switch (t.id) {
    case STROM_TYPE_BOOLEAN:
        o->min.u.b = s->imin != 0;
        o->max.u.b = s->imax != 0;
        break;
    case STROM_TYPE_FLOAT:
    case STROM_TYPE_DOUBLE:
        o->min.u.f = s->has_num ? s->fmin : NAN;
        o->max.u.f = s->nan ? NAN : s->fmax;
        break;
    case STROM_TYPE_DECIMAL:
        o->min.u.d = s->dmin;
        o->max.u.d = s->dmax;
        break;
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES: {
        size_t n = s->smin.len < STROM_STATS_BOUND_MAX ? s->smin.len : STROM_STATS_BOUND_MAX;
        if (n)
            memcpy(o->min_bytes, s->smin.data, n);
        o->min.u.s.len = (uint32_t)n;
        o->min_exact = n == s->smin.len;
        n = s->smax.len;
        if (n <= STROM_STATS_BOUND_MAX) {
            if (n)
                memcpy(o->max_bytes, s->smax.data, n);
        } else {
            /* a strict upper bound: the longest prefix whose last byte can be incremented */
            n = STROM_STATS_BOUND_MAX;
            while (n > 0 && s->smax.data[n - 1] == 0xFF)
                n--;
            memcpy(o->max_bytes, s->smax.data, n);
            if (n)
                o->max_bytes[n - 1]++;
            o->has_max = n > 0;
            o->max_exact = false;
        }
        o->max.u.s.len = (uint32_t)n;
        strom_col_stats_fix(o);
        break;
    }
    default:
        o->min.u.i = s->imin;
        o->max.u.i = s->imax;
        break;
    }
}

int strom_batch_compute_stats(const strom_batch *b, strom_batch_stats *out, strom_error *err)
{
    memset(out, 0, sizeof *out);
    out->rows = b->rows;
    out->ncols = b->ncols;
    out->cols = calloc((size_t)(b->ncols ? b->ncols : 1), sizeof *out->cols);
    if (!out->cols)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    bb_stats s;
    memset(&s, 0, sizeof s);
    int rc = 0;
    for (int c = 0; c < b->ncols && rc == 0; c++) {
        strom_type t = strom_schema_col_type(b->schema, c);
        const strom_col_view *v = &b->cols[c];
        const uint8_t *valid = v->null_count ? v->validity : NULL;
        stats_reset(&s);
        if (strom_type_is_varlen(t.id)) {
            if (stats_strings(&s, v->values, v->offsets, valid, 0, v->length) != 0) {
                rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
                break;
            }
        } else if (t.id == STROM_TYPE_BOOLEAN) {
            stats_bool(&s, v->values, valid, 0, v->length);
        } else {
            stats_fixed(&s, t.id, v->values, v->length, valid, 0);
        }
        stats_out(t, v->null_count, &s, &out->cols[c]);
    }
    strom_buf_free(&s.smin);
    strom_buf_free(&s.smax);
    if (rc != 0)
        strom_batch_stats_free(out);
    return rc;
}

/* ---- sealing --------------------------------------------------------------------------- */

typedef struct seal_buf {
    const uint8_t *p;
    size_t len;
    bb_stats *fuse; /* fixed-width values whose stats are computed during the copy, or NULL */
    const bb_col *col;
} seal_buf;

/* The Arrow buffers of column c in order (validity, [offsets,] values). */
static int col_buffers(const bb_col *c, seal_buf *out)
{
    size_t bits = (size_t)(c->rows + 7) / 8;
    int n = 0;
    out[n++] = (seal_buf){c->validity.data, c->nulls ? bits : 0, NULL, c};
    if (c->type.id == STROM_TYPE_BOOLEAN) {
        out[n++] = (seal_buf){c->values.data, bits, NULL, c};
    } else if (is_varlen(c)) {
        out[n++] = (seal_buf){c->offsets.data, 4 * (size_t)(c->rows + 1), NULL, c};
        out[n++] = (seal_buf){c->values.data, c->values.len, NULL, c};
    } else {
        out[n++] = (seal_buf){c->values.data, c->values.len, NULL, c};
    }
    return n;
}

/* Appends the buffer to out with zero padding to 8 and returns the CRC32C of the bytes,
 * computed in cache-sized pieces right after each piece is copied; with sb->fuse, the
 * statistics of the piece's values are taken at the same time, so the source is read once. */
static uint32_t copy_crc(strom_buf *out, const seal_buf *sb)
{
    enum { PIECE = 64 << 10 }; /* a multiple of every value width; fits L2 */
    const uint8_t *src = sb->p;
    size_t n = sb->len;
    uint32_t crc = 0;
    uint8_t *dst = out->data + out->len;
    size_t w = sb->fuse ? (size_t)sb->col->width : 1;
    const uint8_t *valid = sb->col->nulls ? sb->col->validity.data : NULL;
    for (size_t i = 0; i < n; i += PIECE) {
        size_t k = n - i < PIECE ? n - i : PIECE;
        memcpy(dst + i, src + i, k);
        if (sb->fuse)
            stats_fixed(sb->fuse, sb->col->type.id, src + i, (int64_t)(k / w), valid,
                        (int64_t)(i / w));
        crc = strom_crc32c(crc, dst + i, k);
    }
    size_t padded = (size_t)strom_align_up(n, 8);
    memset(dst + n, 0, padded - n);
    out->len += padded;
    return crc;
}

/* Writes the message for the builder's columns (which may be borrowed views). With
 * fuse_stats, the statistics of fixed-width columns are computed while copying (uncompressed)
 * or before compressing; the others must be in the columns already. */
static int seal_body(strom_batch_builder *b, const strom_seal_opts *opts, strom_buf *out,
                     strom_batch_stats *stats, bool fuse_stats, strom_error *err)
{
    strom_codec codec = opts ? opts->codec : STROM_CODEC_NONE;
    int level = opts ? opts->level : 0;
    int64_t rows = strom_bb_rows(b);
    int nbufs = 0;
    for (int i = 0; i < b->ncols; i++) {
        if (b->cols[i].rows != rows)
            return strom_error_set(err, STROM_EINVAL,
                                   "seal: column %d has %lld rows, column 0 has %lld", i,
                                   (long long)b->cols[i].rows, (long long)rows);
        nbufs += is_varlen(&b->cols[i]) ? 3 : 2;
    }
    strom_ipc_node *nodes = malloc(sizeof *nodes * (size_t)(b->ncols + 1));
    strom_ipc_buffer *bufs = malloc(sizeof *bufs * (size_t)(nbufs + 1));
    uint32_t *crc = malloc(sizeof *crc * (size_t)(nbufs + 1));
    seal_buf *src = malloc(sizeof *src * (size_t)(nbufs + 1));
    size_t start = out->len;
    int rc = 0;
    if (!nodes || !bufs || !crc || !src) {
        rc = strom_error_set(err, STROM_ENOMEM, "seal: out of memory");
        goto done;
    }
    for (int i = 0, k = 0; i < b->ncols; i++) {
        bb_col *c = &b->cols[i];
        nodes[i] = (strom_ipc_node){rows, c->nulls};
        int nb = col_buffers(c, src + k);
        if (fuse_stats && c->width > 0) {
            if (codec == STROM_CODEC_NONE)
                src[k + 1].fuse = &c->st; /* the values buffer */
            else
                stats_fixed(&c->st, c->type.id, c->values.data, c->rows,
                            c->nulls ? c->validity.data : NULL, 0);
        }
        k += nb;
    }
    if (codec != STROM_CODEC_NONE && !b->codec && !(b->codec = strom_codec_ctx_new())) {
        rc = strom_error_set(err, STROM_ENOMEM, "seal: out of memory");
        goto done;
    }
    /* body: straight into `out` after the header when uncompressed, else via scratch */
    strom_buf_reset(&b->scratch);
    uint64_t body = 0;
    for (int k = 0; k < nbufs; k++) {
        size_t len = src[k].len;
        crc[k] = 0;
        if (codec != STROM_CODEC_NONE && len) {
            size_t at = b->scratch.len;
            if ((rc = strom_compress_buffer(b->codec, codec, level, src[k].p, len, &b->scratch,
                                            err)) != 0)
                goto done;
            len = b->scratch.len - at;
            crc[k] = strom_crc32c(0, b->scratch.data + at, len);
            if (strom_buf_pad(&b->scratch, 8) != 0) {
                rc = strom_error_set(err, STROM_ENOMEM, "seal: out of memory");
                goto done;
            }
        }
        bufs[k] = (strom_ipc_buffer){(int64_t)body, (int64_t)len};
        body += strom_align_up(len, 8);
    }
    if ((rc = strom_ipc_write_batch_header(out, rows, nodes, b->ncols, bufs, nbufs, codec,
                                           (int64_t)body, err)) != 0)
        goto done;
    if (strom_buf_reserve(out, body) != 0) {
        rc = strom_error_set(err, STROM_ENOMEM, "seal: out of memory for %llu bytes",
                             (unsigned long long)body);
        goto done;
    }
    if (codec == STROM_CODEC_NONE) {
        for (int k = 0; k < nbufs; k++)
            crc[k] = src[k].len ? copy_crc(out, &src[k]) : 0;
    } else if (b->scratch.len) {
        memcpy(out->data + out->len, b->scratch.data, b->scratch.len);
        out->len += b->scratch.len;
    }
    if (stats) {
        memset(stats, 0, sizeof *stats);
        stats->rows = rows;
        stats->ncols = b->ncols;
        stats->nbuffers = nbufs;
        stats->buffer_crc = crc;
        crc = NULL;
        stats->cols = calloc((size_t)(b->ncols ? b->ncols : 1), sizeof *stats->cols);
        if (!stats->cols) {
            strom_batch_stats_free(stats);
            rc = strom_error_set(err, STROM_ENOMEM, "seal: out of memory");
            goto done;
        }
        for (int i = 0; i < b->ncols; i++)
            stats_out(b->cols[i].type, b->cols[i].nulls, &b->cols[i].st, &stats->cols[i]);
    }
done:
    if (rc != 0)
        out->len = start;
    free(nodes);
    free(bufs);
    free(crc);
    free(src);
    return rc;
}

/* ---- one-pass encoding of whole columns ------------------------------------------------ */

/* Column checks of strom_bb_append_column, without copying. */
static int check_view(const strom_schema *s, int c, const strom_col_view *v, int64_t rows,
                      strom_error *err)
{
    strom_type t = strom_schema_col_type(s, c);
    const uint8_t *valid = v->null_count ? v->validity : NULL;
    if (v->length != rows || v->null_count < 0 || v->null_count > rows ||
        (v->null_count && !v->validity))
        return strom_error_set(err, STROM_EINVAL, "encode: column %d has a bad view", c);
    if (v->null_count && !strom_schema_col_nullable(s, c))
        return strom_error_set(err, STROM_EINVAL, "encode: column %d is NOT NULL but has %lld "
                               "nulls", c, (long long)v->null_count);
    int64_t bad_row;
    if (t.id == STROM_TYPE_DECIMAL &&
        (bad_row = decimal_first_bad(v->values, valid, 0, rows, t.precision)) >= 0)
        return strom_error_set(err, STROM_ERANGE, "encode: column %d, row %lld: more than %d "
                               "digits", c, (long long)bad_row, t.precision);
    if (t.id == STROM_TYPE_STRING &&
        !strom_utf8_valid(v->values, (size_t)v->offsets[rows], NULL))
        for (int64_t i = 0; i < rows; i++) {
            size_t bad;
            if ((!valid || strom_bit_get(valid, i)) &&
                !strom_utf8_valid(v->values + v->offsets[i],
                                  (size_t)(v->offsets[i + 1] - v->offsets[i]), &bad))
                return strom_error_set(err, STROM_EINVAL, "encode: column %d, row %lld: "
                                       "invalid UTF-8 at byte %zu", c, (long long)i, bad);
        }
    return 0;
}

/* Statistics of a whole view (the same rules as while appending). */
static int view_stats(strom_type t, const strom_col_view *v, bb_stats *st)
{
    const uint8_t *valid = v->null_count ? v->validity : NULL;
    if (strom_type_is_varlen(t.id)) {
        STROM_TRY(stats_strings(st, v->values, v->offsets, valid, 0, v->length));
    } else if (t.id == STROM_TYPE_BOOLEAN) {
        stats_bool(st, v->values, valid, 0, v->length);
    } else {
        stats_fixed(st, t.id, v->values, v->length, valid, 0);
    }
    return 0;
}

int strom_batch_encode(const strom_schema *s, const strom_col_view *cols, int64_t rows,
                       const strom_seal_opts *opts, strom_buf *out, strom_batch_stats *stats,
                       strom_error *err)
{
    int ncols = strom_schema_ncols(s);
    bool rebase = false;
    for (int c = 0; c < ncols; c++) {
        STROM_TRY(check_view(s, c, &cols[c], rows, err));
        if (strom_type_is_varlen(strom_schema_col_type(s, c).id) && cols[c].offsets[0] != 0)
            rebase = true;
    }
    /* The builder owns everything except the buffers: they are borrowed from the views. */
    strom_batch_builder *bb = strom_bb_new(s);
    if (!bb)
        return strom_error_set(err, STROM_ENOMEM, "encode: out of memory");
    int rc = 0;
    if (rebase) { /* offsets that do not start at 0: copy through the builder */
        for (int c = 0; c < ncols && rc == 0; c++)
            if ((rc = strom_bb_append_column(bb, c, &cols[c], 0, rows)) != 0)
                rc = strom_error_set(err, rc, "encode: column %d", c);
        if (rc == 0)
            rc = strom_bb_seal(bb, opts, out, stats, err);
        strom_bb_free(bb);
        return rc;
    }
    for (int c = 0; c < ncols && rc == 0; c++) {
        bb_col *bc = &bb->cols[c];
        const strom_col_view *v = &cols[c];
        if (stats && bc->width == 0 && view_stats(bc->type, v, &bc->st) != 0)
            rc = strom_error_set(err, STROM_ENOMEM, "encode: out of memory");
        /* borrowed buffers: seal reads them through the builder's column */
        strom_buf_free(&bc->validity);
        strom_buf_free(&bc->values);
        strom_buf_free(&bc->offsets);
        bc->rows = rows;
        bc->nulls = v->null_count;
        bc->validity = (strom_buf){(uint8_t *)(uintptr_t)v->validity, (size_t)(rows + 7) / 8, 0};
        size_t vlen = is_varlen(bc) ? (size_t)v->offsets[rows]
                    : bc->type.id == STROM_TYPE_BOOLEAN ? (size_t)(rows + 7) / 8
                    : (size_t)bc->width * (size_t)rows;
        bc->values = (strom_buf){(uint8_t *)(uintptr_t)v->values, vlen, 0};
        if (is_varlen(bc))
            bc->offsets = (strom_buf){(uint8_t *)(uintptr_t)v->offsets, 4 * (size_t)(rows + 1),
                                      0};
    }
    if (rc == 0)
        rc = seal_body(bb, opts, out, stats, stats != NULL, err);
    /* give the borrowed buffers back before the builder frees its own */
    for (int c = 0; c < ncols; c++)
        bb->cols[c].validity = bb->cols[c].values = bb->cols[c].offsets = (strom_buf)STROM_BUF_INIT;
    strom_bb_free(bb);
    return rc;
}

int strom_bb_seal(strom_batch_builder *b, const strom_seal_opts *opts, strom_buf *out,
                  strom_batch_stats *stats, strom_error *err)
{
    int rc = seal_body(b, opts, out, stats, false, err);
    if (rc == 0)
        strom_bb_reset(b);
    return rc;
}

/* The output schema must describe the selected columns: same types (a view is read as the
 * output column's type), any nullability (nulls into NOT NULL fail when appended). */
static int check_select(const strom_batch *src, const int *cols, int ncols,
                        const strom_schema *out_schema, strom_error *err)
{
    if (ncols < 0 || strom_schema_ncols(out_schema) != ncols)
        return strom_error_set(err, STROM_EINVAL, "select: the output schema has %d columns, "
                               "%d selected", strom_schema_ncols(out_schema), ncols);
    for (int i = 0; i < ncols; i++) {
        if (cols[i] < 0 || cols[i] >= src->ncols)
            return strom_error_set(err, STROM_ERANGE, "select: column %d of %d", cols[i],
                                   src->ncols);
        strom_type a = strom_schema_col_type(src->schema, cols[i]);
        strom_type o = strom_schema_col_type(out_schema, i);
        char an[40], on[40];
        if (a.id != o.id || a.precision != o.precision || a.scale != o.scale)
            return strom_error_set(err, STROM_EINVAL, "select: column %d ('%s') is %s, output "
                                   "column %d is %s", cols[i],
                                   strom_schema_col_name(src->schema, cols[i]),
                                   strom_type_format(a, an, sizeof an), i,
                                   strom_type_format(o, on, sizeof on));
    }
    return 0;
}

int strom_batch_select(const strom_batch *src, const uint8_t *sel, const int *cols, int ncols,
                       const strom_schema *out_schema, const strom_seal_opts *opts,
                       strom_buf *out, strom_batch_stats *stats, strom_error *err)
{
    STROM_TRY(check_select(src, cols, ncols, out_schema, err));
    if (!sel) { /* projection only: encode the views in one pass */
        strom_col_view *views = malloc(sizeof *views * (size_t)(ncols ? ncols : 1));
        if (!views)
            return strom_error_set(err, STROM_ENOMEM, "select: out of memory");
        for (int i = 0; i < ncols; i++)
            views[i] = src->cols[cols[i]];
        int rc = strom_batch_encode(out_schema, views, src->rows, opts, out, stats, err);
        free(views);
        return rc;
    }
    strom_batch_builder *bb = strom_bb_new(out_schema);
    if (!bb)
        return strom_error_set(err, STROM_ENOMEM, "select: out of memory");
    int rc = 0;
    for (int i = 0; i < ncols && rc == 0; i++) {
        if ((rc = strom_bb_append_selected(bb, i, &src->cols[cols[i]], sel)) != 0)
            rc = strom_error_set(err, rc, "select: column %d ('%s') does not fit the output "
                                 "schema (%s)", cols[i], strom_schema_col_name(out_schema, i),
                                 strom_strerror(rc));
    }
    if (rc == 0)
        rc = strom_bb_seal(bb, opts, out, stats, err);
    strom_bb_free(bb);
    return rc;
}
