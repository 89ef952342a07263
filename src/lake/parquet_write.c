/*
 * parquet_write.c: the Parquet writer (parquet.h). Rows are encoded column by column as they
 * come (PLAIN values, definition levels, a dictionary kept beside them while it stays small);
 * a row group is written when it is full: per column an optional dictionary page and one
 * data page, each compressed; the footer (Thrift compact FileMetaData) at close.
 */
#include "lake/parquet.h"

#include <errno.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "columnar/value.h"
#include "common/common.h"
#include "common/crc32c.h"
#include "lake/thrift.h"

enum { PQ_BOOLEAN = 0, PQ_INT32 = 1, PQ_INT64 = 2, PQ_FLOAT = 4, PQ_DOUBLE = 5,
       PQ_BYTE_ARRAY = 6, PQ_FLBA = 7 };
enum { ENC_PLAIN = 0, ENC_RLE = 3, ENC_RLE_DICTIONARY = 8 };
#define DICT_MAX_ENTRIES 65536
#define DICT_MAX_BYTES (1u << 20)
#define STAT_MAX_BYTES 64 /* longer string bounds are left out */

/* The dictionary of a column chunk: distinct PLAIN-encoded values -> index. */
typedef struct pq_dict {
    strom_buf values;        /* PLAIN encoding of the entries, in index order (the page) */
    uint32_t *slot;          /* open addressing: entry index + 1 */
    size_t nslots;
    size_t *off;             /* entry -> offset of its PLAIN bytes in values */
    uint32_t *len;
    uint32_t n, cap;
    uint32_t *idx;           /* per non-null value: its entry */
    size_t nidx, capidx;
    bool dead;               /* too big or useless: PLAIN for this chunk */
} pq_dict;

typedef struct pq_col {
    strom_type t;
    bool nullable;
    const char *name;
    int phys, type_length;
    strom_buf values;        /* PLAIN values of the non-null rows */
    uint8_t bits;            /* BOOLEAN: the byte being filled ... */
    int nbits;               /* ... and its bits so far */
    strom_buf defs;          /* one byte per row: 1 present, 0 null (nullable columns) */
    int64_t nnulls;
    bool has_minmax, stats_ok;
    strom_value min, max;
    strom_buf minb, maxb;    /* owned bytes of string bounds */
    pq_dict dict;
} pq_col;

/* What the footer needs of a written column chunk. */
typedef struct pq_chunk {
    int64_t num_values, total_uncompressed, total_compressed, data_off, dict_off;
    bool dict;
    bool bounds, signed_order; /* statistics: min/max known; legacy fields wanted too */
    int64_t nulls;
    strom_buf mn, mx;        /* PLAIN bytes of the bounds */
} pq_chunk;

typedef struct pq_group {
    int64_t rows, total_uncompressed, total_compressed, file_offset;
    pq_chunk *chunks;
} pq_group;

struct strom_pq_writer {
    int fd;
    uint64_t pos;
    strom_pq_opts o;
    char created_by[128];
    strom_schema *schema;
    int ncols;
    pq_col *cols;
    int64_t rows, group_rows, total_rows;
    pq_group *groups;
    int ngroups, capgroups;
    strom_buf page, comp, head;
    ZSTD_CCtx *zc;
    int32_t *own_ids;
};

void strom_pq_opts_default(strom_pq_opts *o)
{
    memset(o, 0, sizeof *o);
    o->codec = STROM_PQ_ZSTD;
    o->dictionary = true;
    o->row_group_rows = 1 << 20;
    o->row_group_bytes = 128u << 20;
}

/* ---- output ------------------------------------------------------------------------------ */

static int out(strom_pq_writer *w, const void *p, size_t n, strom_error *err)
{
    const uint8_t *q = p;
    while (n > 0) {
        ssize_t k = write(w->fd, q, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return strom_error_set(err, errno == ENOSPC ? STROM_ENOSPACE : STROM_EIO,
                                   "writing the Parquet file: %s", strerror(errno));
        q += k;
        n -= (size_t)k;
        w->pos += (uint64_t)k;
    }
    return 0;
}

/* ---- values ------------------------------------------------------------------------------- */

static int decimal_bytes(int precision)
{
    strom_i128 p10 = 1;
    for (int i = 0; i < precision && i < 38; i++)
        p10 *= 10;
    for (int n = 1; n < 16; n++) /* smallest n with 2^(8n-1) >= 10^p (n = 16 fits p <= 38) */
        if (((strom_i128)1 << (8 * n - 1)) >= p10)
            return n;
    return 16;
}

static void map_type(pq_col *c)
{
    switch (c->t.id) {
    case STROM_TYPE_BOOLEAN: c->phys = PQ_BOOLEAN; break;
    case STROM_TYPE_TINYINT:
    case STROM_TYPE_SMALLINT:
    case STROM_TYPE_INT:
    case STROM_TYPE_DATE: c->phys = PQ_INT32; break;
    case STROM_TYPE_FLOAT: c->phys = PQ_FLOAT; break;
    case STROM_TYPE_DOUBLE: c->phys = PQ_DOUBLE; break;
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES: c->phys = PQ_BYTE_ARRAY; break;
    case STROM_TYPE_DECIMAL:
        c->phys = c->t.precision <= 9 ? PQ_INT32 : c->t.precision <= 18 ? PQ_INT64 : PQ_FLBA;
        if (c->phys == PQ_FLBA)
            c->type_length = decimal_bytes(c->t.precision);
        break;
    default: c->phys = PQ_INT64; break; /* BIGINT, TIME, TIMESTAMP[_LTZ] */
    }
}

/* One value's PLAIN bytes (BYTE_ARRAY without its length prefix) into x; returns the size. */
static size_t plain_value(const pq_col *c, const strom_value *v, uint8_t *x)
{
    switch (c->phys) {
    case PQ_BOOLEAN:
        x[0] = v->u.b ? 1 : 0;
        return 1;
    case PQ_INT32: {
        int32_t i = c->t.id == STROM_TYPE_DECIMAL ? (int32_t)v->u.d : (int32_t)v->u.i;
        memcpy(x, &i, 4);
        return 4;
    }
    case PQ_INT64: {
        int64_t i = c->t.id == STROM_TYPE_DECIMAL ? (int64_t)v->u.d : v->u.i;
        memcpy(x, &i, 8);
        return 8;
    }
    case PQ_FLOAT: {
        float f = (float)v->u.f;
        memcpy(x, &f, 4);
        return 4;
    }
    case PQ_DOUBLE:
        memcpy(x, &v->u.f, 8);
        return 8;
    case PQ_FLBA: { /* big-endian two's complement, type_length bytes */
        strom_i128 d = v->u.d;
        for (int i = c->type_length - 1; i >= 0; i--, d >>= 8)
            x[i] = (uint8_t)d;
        return (size_t)c->type_length;
    }
    default:
        return 0; /* BYTE_ARRAY: the bytes themselves */
    }
}

static int dict_add(pq_dict *d, const uint8_t *p, size_t n, bool prefixed)
{
    if (d->dead)
        return 0;
    if (d->nidx == 4096 && d->n * 2 > d->nidx) {
        d->dead = true; /* most values distinct so far: a dictionary would not pay */
        return 0;
    }
    if (!d->slot) {
        d->nslots = 1024;
        if (!(d->slot = calloc(d->nslots, sizeof *d->slot)))
            return STROM_ENOMEM;
    }
    uint32_t h = strom_crc32c(0, p, n);
    size_t i = h & (d->nslots - 1);
    const uint8_t *base = d->values.data;
    size_t pre = prefixed ? 4 : 0;
    while (d->slot[i]) {
        uint32_t e = d->slot[i] - 1;
        if (d->len[e] == n && !memcmp(base + d->off[e] + pre, p, n))
            break;
        i = (i + 1) & (d->nslots - 1);
    }
    uint32_t e;
    if (d->slot[i]) {
        e = d->slot[i] - 1;
    } else {
        if (d->n == DICT_MAX_ENTRIES || d->values.len + n + pre > DICT_MAX_BYTES) {
            d->dead = true;
            return 0;
        }
        if (d->n == d->cap) {
            uint32_t cap = d->cap ? d->cap * 2 : 256;
            size_t *o = realloc(d->off, sizeof *o * cap);
            uint32_t *l = o ? realloc(d->len, sizeof *l * cap) : NULL;
            if (o)
                d->off = o;
            if (!l)
                return STROM_ENOMEM;
            d->len = l;
            d->cap = cap;
        }
        e = d->n++;
        d->off[e] = d->values.len;
        d->len[e] = (uint32_t)n;
        uint32_t n32 = (uint32_t)n;
        if ((prefixed && strom_buf_append(&d->values, &n32, 4) != 0) ||
            strom_buf_append(&d->values, p, n) != 0)
            return STROM_ENOMEM;
        d->slot[i] = e + 1;
        if (d->n * 2 > d->nslots) { /* rehash */
            size_t ns = d->nslots * 2;
            uint32_t *sl = calloc(ns, sizeof *sl);
            if (!sl)
                return STROM_ENOMEM;
            for (uint32_t k = 0; k < d->n; k++) {
                const uint8_t *q = d->values.data + d->off[k] + pre;
                size_t j = strom_crc32c(0, q, d->len[k]) & (ns - 1);
                while (sl[j])
                    j = (j + 1) & (ns - 1);
                sl[j] = k + 1;
            }
            free(d->slot);
            d->slot = sl;
            d->nslots = ns;
        }
    }
    if (strom_array_grow_z(&d->idx, d->nidx, &d->capidx, sizeof *d->idx, 1024) != 0)
        return STROM_ENOMEM;
    d->idx[d->nidx++] = e;
    return 0;
}

static void dict_reset(pq_dict *d)
{
    strom_buf_reset(&d->values);
    if (d->slot)
        memset(d->slot, 0, sizeof *d->slot * d->nslots);
    d->n = 0;
    d->nidx = 0;
    d->dead = false;
}

static void dict_free(pq_dict *d)
{
    strom_buf_free(&d->values);
    free(d->slot);
    free(d->off);
    free(d->len);
    free(d->idx);
}

/* Keeps the chunk's min and max (NaN left out; string bounds over STAT_MAX_BYTES drop the
 * chunk's bounds). */
static int track_stats(pq_col *c, const strom_value *v)
{
    if (!c->stats_ok)
        return 0;
    if ((c->t.id == STROM_TYPE_FLOAT || c->t.id == STROM_TYPE_DOUBLE) && v->u.f != v->u.f)
        return 0;
    bool str = c->phys == PQ_BYTE_ARRAY;
    if (str && v->u.s.len > STAT_MAX_BYTES) {
        c->stats_ok = false;
        return 0;
    }
    bool lo = !c->has_minmax || strom_value_cmp(v, &c->min) < 0;
    bool hi = !c->has_minmax || strom_value_cmp(v, &c->max) > 0;
    if (lo) {
        c->min = *v;
        if (str) {
            strom_buf_reset(&c->minb);
            if (strom_buf_append(&c->minb, v->u.s.ptr, v->u.s.len) != 0)
                return STROM_ENOMEM;
            c->min.u.s.ptr = c->minb.data;
        }
    }
    if (hi) {
        c->max = *v;
        if (str) {
            strom_buf_reset(&c->maxb);
            if (strom_buf_append(&c->maxb, v->u.s.ptr, v->u.s.len) != 0)
                return STROM_ENOMEM;
            c->max.u.s.ptr = c->maxb.data;
        }
    }
    c->has_minmax = true;
    return 0;
}

static int add_value(strom_pq_writer *w, pq_col *c, const strom_value *v)
{
    if (v->is_null) {
        c->nnulls++;
        uint8_t z = 0;
        return strom_buf_append(&c->defs, &z, 1) ? STROM_ENOMEM : 0;
    }
    uint8_t one = 1, x[16];
    if (c->nullable && strom_buf_append(&c->defs, &one, 1) != 0)
        return STROM_ENOMEM;
    STROM_TRY(track_stats(c, v));
    if (c->phys == PQ_BOOLEAN) { /* bit-packed, LSB first */
        if (v->u.b)
            c->bits |= (uint8_t)(1u << c->nbits);
        if (++c->nbits == 8) {
            if (strom_buf_append(&c->values, &c->bits, 1) != 0)
                return STROM_ENOMEM;
            c->bits = 0;
            c->nbits = 0;
        }
        return 0;
    }
    if (c->phys == PQ_BYTE_ARRAY) {
        uint32_t n = v->u.s.len;
        if (strom_buf_append(&c->values, &n, 4) != 0 ||
            (n && strom_buf_append(&c->values, v->u.s.ptr, n) != 0))
            return STROM_ENOMEM;
        return w->o.dictionary ? dict_add(&c->dict, v->u.s.ptr, n, true) : 0;
    }
    size_t n = plain_value(c, v, x);
    if (strom_buf_append(&c->values, x, n) != 0)
        return STROM_ENOMEM;
    return w->o.dictionary ? dict_add(&c->dict, x, n, false) : 0;
}

/* ---- pages ------------------------------------------------------------------------------- */

/* The RLE / bit-packing hybrid of n values of `width` bits: one RLE run when all are equal,
 * else one bit-packed run. */
static int rle_hybrid(strom_buf *b, const uint32_t *v32, const uint8_t *v8, size_t n, int width)
{
    bool same = true;
    uint32_t first = n ? (v32 ? v32[0] : v8[0]) : 0;
    for (size_t i = 1; i < n && same; i++)
        same = (v32 ? v32[i] : v8[i]) == first;
    uint8_t x[10];
    int k = 0;
    uint64_t h = same ? (uint64_t)n << 1 : (((n + 7) / 8) << 1) | 1;
    do {
        x[k] = (uint8_t)(h & 0x7F);
        h >>= 7;
        if (h)
            x[k] |= 0x80;
        k++;
    } while (h);
    if (strom_buf_append(b, x, (size_t)k) != 0)
        return STROM_ENOMEM;
    if (same) {
        int bytes = (width + 7) / 8;
        for (int i = 0; i < bytes; i++)
            x[i] = (uint8_t)(first >> (8 * i));
        return strom_buf_append(b, x, (size_t)bytes) ? STROM_ENOMEM : 0;
    }
    size_t groups = (n + 7) / 8, total = groups * (size_t)width;
    if (strom_buf_reserve(b, total) != 0)
        return STROM_ENOMEM;
    uint8_t *p = b->data + b->len;
    memset(p, 0, total);
    uint64_t bit = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = v32 ? v32[i] : v8[i];
        for (int j = 0; j < width; j++, bit++)
            if ((v >> j) & 1)
                p[bit >> 3] |= (uint8_t)(1u << (bit & 7));
    }
    b->len += total;
    return 0;
}

static int bit_width(uint32_t maxv)
{
    int w = 0;
    while (maxv) {
        w++;
        maxv >>= 1;
    }
    return w;
}

/* Compresses w->page into w->comp with the chunk codec. */
static int compress_page(strom_pq_writer *w, strom_error *err)
{
    strom_buf_reset(&w->comp);
    size_t n = w->page.len;
    if (w->o.codec == STROM_PQ_UNCOMPRESSED)
        return strom_buf_append(&w->comp, w->page.data, n) ? STROM_ENOMEM : 0;
    if (w->o.codec == STROM_PQ_SNAPPY) {
        size_t cap = snappy_max_compressed_length(n);
        if (strom_buf_reserve(&w->comp, cap) != 0)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        if (snappy_compress((const char *)w->page.data, n, (char *)w->comp.data, &cap) !=
            SNAPPY_OK)
            return strom_error_set(err, STROM_ECOMPRESS, "snappy failed");
        w->comp.len = cap;
        return 0;
    }
    size_t cap = ZSTD_compressBound(n);
    if (strom_buf_reserve(&w->comp, cap) != 0)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    size_t r = ZSTD_compressCCtx(w->zc, w->comp.data, cap, w->page.data, n,
                                 w->o.zstd_level ? w->o.zstd_level : ZSTD_CLEVEL_DEFAULT);
    if (ZSTD_isError(r))
        return strom_error_set(err, STROM_ECOMPRESS, "zstd: %s", ZSTD_getErrorName(r));
    w->comp.len = r;
    return 0;
}

/* Writes a page (header + w->comp) and adds its sizes to the chunk. */
static int write_page(strom_pq_writer *w, pq_chunk *ch, int type, int64_t num_values,
                      int encoding, strom_error *err)
{
    strom_buf_reset(&w->head);
    thr_writer t;
    thr_init(&t, &w->head);
    thr_struct_begin(&t, 0);
    thr_i32(&t, 1, type);
    thr_i32(&t, 2, (int32_t)w->page.len);
    thr_i32(&t, 3, (int32_t)w->comp.len);
    if (type == 0) { /* DataPageHeader */
        thr_struct_begin(&t, 5);
        thr_i32(&t, 1, (int32_t)num_values);
        thr_i32(&t, 2, encoding);
        thr_i32(&t, 3, ENC_RLE);
        thr_i32(&t, 4, ENC_RLE);
        thr_struct_end(&t);
    } else { /* DictionaryPageHeader */
        thr_struct_begin(&t, 7);
        thr_i32(&t, 1, (int32_t)num_values);
        thr_i32(&t, 2, ENC_PLAIN);
        thr_struct_end(&t);
    }
    thr_struct_end(&t);
    if (thr_failed(&t))
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    if (w->page.len > INT32_MAX || w->comp.len > INT32_MAX)
        return strom_error_set(err, STROM_ELIMIT, "a Parquet page over 2 GiB");
    ch->total_uncompressed += (int64_t)(w->head.len + w->page.len);
    ch->total_compressed += (int64_t)(w->head.len + w->comp.len);
    STROM_TRY(out(w, w->head.data, w->head.len, err));
    return out(w, w->comp.data, w->comp.len, err);
}

/* Keeps what the footer's Statistics of a chunk need. */
static int chunk_stats(const pq_col *c, pq_chunk *ch)
{
    ch->nulls = c->nnulls;
    ch->bounds = c->has_minmax && c->stats_ok;
    ch->signed_order = c->phys != PQ_BYTE_ARRAY && c->phys != PQ_FLBA;
    if (!ch->bounds)
        return 0;
    strom_value lo = c->min, hi = c->max;
    if (c->t.id == STROM_TYPE_FLOAT || c->t.id == STROM_TYPE_DOUBLE) {
        if (lo.u.f == 0)
            lo.u.f = -0.0; /* the spec's rule for zero bounds */
        if (hi.u.f == 0)
            hi.u.f = 0.0;
    }
    if (c->phys == PQ_BYTE_ARRAY)
        return strom_buf_append(&ch->mn, lo.u.s.ptr, lo.u.s.len) ||
                       strom_buf_append(&ch->mx, hi.u.s.ptr, hi.u.s.len)
                   ? STROM_ENOMEM
                   : 0;
    uint8_t x[16];
    size_t n = plain_value(c, &lo, x);
    if (strom_buf_append(&ch->mn, x, n) != 0)
        return STROM_ENOMEM;
    n = plain_value(c, &hi, x);
    return strom_buf_append(&ch->mx, x, n) ? STROM_ENOMEM : 0;
}

/* ColumnMetaData field 12. */
static void write_stats(thr_writer *t, const pq_chunk *ch)
{
    thr_struct_begin(t, 12);
    if (ch->bounds && ch->signed_order) { /* the legacy fields too, for readers that use them */
        thr_binary(t, 1, ch->mx.data, ch->mx.len);
        thr_binary(t, 2, ch->mn.data, ch->mn.len);
    }
    thr_i64(t, 3, ch->nulls);
    if (ch->bounds) {
        thr_binary(t, 5, ch->mx.data, ch->mx.len);
        thr_binary(t, 6, ch->mn.data, ch->mn.len);
    }
    thr_struct_end(t);
}

static bool group_full(const strom_pq_writer *w)
{
    if (w->group_rows >= w->o.row_group_rows)
        return true;
    uint64_t bytes = 0;
    for (int i = 0; i < w->ncols; i++)
        bytes += w->cols[i].values.len;
    return bytes >= w->o.row_group_bytes;
}

static int flush_group(strom_pq_writer *w, strom_error *err)
{
    if (w->group_rows == 0)
        return 0;
    if (w->ngroups == w->capgroups) {
        int cap = w->capgroups ? w->capgroups * 2 : 8;
        pq_group *g = realloc(w->groups, sizeof *g * (size_t)cap);
        if (!g)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        w->groups = g;
        w->capgroups = cap;
    }
    pq_group *g = &w->groups[w->ngroups];
    memset(g, 0, sizeof *g);
    if (!(g->chunks = calloc((size_t)w->ncols, sizeof *g->chunks)))
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    w->ngroups++;
    g->rows = w->group_rows;
    g->file_offset = (int64_t)w->pos;
    for (int i = 0; i < w->ncols; i++) {
        pq_col *c = &w->cols[i];
        pq_chunk *ch = &g->chunks[i];
        ch->num_values = w->group_rows;
        ch->dict_off = -1;
        if (c->phys == PQ_BOOLEAN && c->nbits > 0) { /* the last partial byte */
            if (strom_buf_append(&c->values, &c->bits, 1) != 0)
                return strom_error_set(err, STROM_ENOMEM, "out of memory");
            c->bits = 0;
            c->nbits = 0;
        }
        /* dictionary when it is smaller than the plain values */
        size_t nonnull = (size_t)(w->group_rows - c->nnulls);
        int width = bit_width(c->dict.n ? c->dict.n - 1 : 0);
        bool dict = w->o.dictionary && c->phys != PQ_BOOLEAN && !c->dict.dead &&
                    nonnull > 0 && c->dict.nidx == nonnull &&
                    c->dict.values.len + (nonnull * (size_t)width + 7) / 8 + 16 < c->values.len;
        if (dict) {
            strom_buf_reset(&w->page);
            if (strom_buf_append(&w->page, c->dict.values.data, c->dict.values.len) != 0)
                return strom_error_set(err, STROM_ENOMEM, "out of memory");
            STROM_TRY(compress_page(w, err));
            ch->dict_off = (int64_t)w->pos;
            ch->dict = true;
            STROM_TRY(write_page(w, ch, 2, c->dict.n, ENC_PLAIN, err));
        }
        /* the data page: [u32 len + definition levels] then the values */
        strom_buf_reset(&w->page);
        if (c->nullable) {
            uint32_t len = 0;
            if (strom_buf_append(&w->page, &len, 4) != 0 ||
                rle_hybrid(&w->page, NULL, c->defs.data, c->defs.len, 1) != 0)
                return strom_error_set(err, STROM_ENOMEM, "out of memory");
            len = (uint32_t)(w->page.len - 4);
            memcpy(w->page.data, &len, 4);
        }
        int rc = 0;
        if (dict) {
            uint8_t wb = (uint8_t)width;
            rc = strom_buf_append(&w->page, &wb, 1);
            if (rc == 0 && width > 0)
                rc = rle_hybrid(&w->page, c->dict.idx, NULL, c->dict.nidx, width);
        } else {
            rc = strom_buf_append(&w->page, c->values.data, c->values.len);
        }
        if (rc != 0)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        STROM_TRY(compress_page(w, err));
        ch->data_off = (int64_t)w->pos;
        STROM_TRY(write_page(w, ch, 0, w->group_rows, dict ? ENC_RLE_DICTIONARY : ENC_PLAIN,
                             err));
        if (chunk_stats(c, ch) != 0)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        g->total_uncompressed += ch->total_uncompressed;
        g->total_compressed += ch->total_compressed;
        /* the next row group starts empty */
        strom_buf_reset(&c->values);
        strom_buf_reset(&c->defs);
        c->nnulls = 0;
        c->has_minmax = false;
        c->stats_ok = true;
        dict_reset(&c->dict);
    }
    w->group_rows = 0;
    return 0;
}

/* ---- the footer -------------------------------------------------------------------------- */

static void schema_element(thr_writer *t, const pq_col *c, const int32_t *field_id)
{
    thr_struct_begin(t, 0);
    thr_i32(t, 1, c->phys);
    if (c->phys == PQ_FLBA)
        thr_i32(t, 2, c->type_length);
    thr_i32(t, 3, c->nullable ? 1 : 0);
    thr_string(t, 4, c->name);
    int converted = -1;
    switch (c->t.id) {
    case STROM_TYPE_STRING: converted = 0; break;
    case STROM_TYPE_TINYINT: converted = 15; break;
    case STROM_TYPE_SMALLINT: converted = 16; break;
    case STROM_TYPE_DECIMAL: converted = 5; break;
    case STROM_TYPE_DATE: converted = 6; break;
    case STROM_TYPE_TIME: converted = 8; break;
    case STROM_TYPE_TIMESTAMP:
    case STROM_TYPE_TIMESTAMP_LTZ: converted = 10; break;
    default: break;
    }
    if (converted >= 0)
        thr_i32(t, 6, converted);
    if (c->t.id == STROM_TYPE_DECIMAL) {
        thr_i32(t, 7, c->t.scale);
        thr_i32(t, 8, c->t.precision);
    }
    if (field_id)
        thr_i32(t, 9, *field_id);
    switch (c->t.id) { /* logicalType */
    case STROM_TYPE_STRING:
        thr_struct_begin(t, 10);
        thr_struct_begin(t, 1);
        thr_struct_end(t);
        thr_struct_end(t);
        break;
    case STROM_TYPE_TINYINT:
    case STROM_TYPE_SMALLINT:
        thr_struct_begin(t, 10);
        thr_struct_begin(t, 10);
        thr_i8(t, 1, c->t.id == STROM_TYPE_TINYINT ? 8 : 16);
        thr_bool(t, 2, true);
        thr_struct_end(t);
        thr_struct_end(t);
        break;
    case STROM_TYPE_DECIMAL:
        thr_struct_begin(t, 10);
        thr_struct_begin(t, 5);
        thr_i32(t, 1, c->t.scale);
        thr_i32(t, 2, c->t.precision);
        thr_struct_end(t);
        thr_struct_end(t);
        break;
    case STROM_TYPE_DATE:
        thr_struct_begin(t, 10);
        thr_struct_begin(t, 6);
        thr_struct_end(t);
        thr_struct_end(t);
        break;
    case STROM_TYPE_TIME:
    case STROM_TYPE_TIMESTAMP:
    case STROM_TYPE_TIMESTAMP_LTZ:
        thr_struct_begin(t, 10);
        thr_struct_begin(t, c->t.id == STROM_TYPE_TIME ? 7 : 8);
        thr_bool(t, 1, c->t.id == STROM_TYPE_TIMESTAMP_LTZ); /* isAdjustedToUTC: instants */
        thr_struct_begin(t, 2);                           /* unit: MICROS */
        thr_struct_begin(t, 2);
        thr_struct_end(t);
        thr_struct_end(t);
        thr_struct_end(t);
        thr_struct_end(t);
        break;
    default:
        break;
    }
    thr_struct_end(t);
}

static int write_footer(strom_pq_writer *w, strom_error *err)
{
    strom_buf b = STROM_BUF_INIT;
    thr_writer t;
    thr_init(&t, &b);
    thr_struct_begin(&t, 0);
    thr_i32(&t, 1, 1);
    thr_list(&t, 2, THR_STRUCT, (uint32_t)w->ncols + 1);
    thr_struct_begin(&t, 0); /* the root */
    thr_string(&t, 4, "schema");
    thr_i32(&t, 5, w->ncols);
    thr_struct_end(&t);
    for (int i = 0; i < w->ncols; i++)
        schema_element(&t, &w->cols[i], w->o.field_ids ? &w->o.field_ids[i] : NULL);
    thr_i64(&t, 3, w->total_rows);
    thr_list(&t, 4, THR_STRUCT, (uint32_t)w->ngroups);
    for (int g = 0; g < w->ngroups; g++) {
        const pq_group *rg = &w->groups[g];
        thr_struct_begin(&t, 0);
        thr_list(&t, 1, THR_STRUCT, (uint32_t)w->ncols);
        for (int i = 0; i < w->ncols; i++) {
            const pq_col *c = &w->cols[i];
            const pq_chunk *ch = &rg->chunks[i];
            thr_struct_begin(&t, 0);
            thr_i64(&t, 2, 0); /* file_offset: required, deprecated */
            thr_struct_begin(&t, 3);
            thr_i32(&t, 1, c->phys);
            int nenc = 0, encs[3];
            encs[nenc++] = ENC_PLAIN;
            encs[nenc++] = ENC_RLE;
            if (ch->dict)
                encs[nenc++] = ENC_RLE_DICTIONARY;
            thr_list(&t, 2, THR_I32, (uint32_t)nenc);
            for (int k = 0; k < nenc; k++)
                thr_elem_i32(&t, encs[k]);
            thr_list(&t, 3, THR_BINARY, 1);
            thr_elem_binary(&t, c->name, strlen(c->name));
            thr_i32(&t, 4, (int32_t)w->o.codec);
            thr_i64(&t, 5, ch->num_values);
            thr_i64(&t, 6, ch->total_uncompressed);
            thr_i64(&t, 7, ch->total_compressed);
            thr_i64(&t, 9, ch->data_off);
            if (ch->dict)
                thr_i64(&t, 11, ch->dict_off);
            write_stats(&t, ch);
            thr_struct_end(&t); /* ColumnMetaData */
            thr_struct_end(&t); /* ColumnChunk */
        }
        thr_i64(&t, 2, rg->total_uncompressed);
        thr_i64(&t, 3, rg->rows);
        thr_i64(&t, 5, rg->file_offset);
        thr_i64(&t, 6, rg->total_compressed);
        thr_i16(&t, 7, (int16_t)g);
        thr_struct_end(&t);
    }
    thr_string(&t, 6, w->created_by);
    thr_list(&t, 7, THR_STRUCT, (uint32_t)w->ncols);
    for (int i = 0; i < w->ncols; i++) { /* TYPE_ORDER for every column */
        thr_struct_begin(&t, 0);
        thr_struct_begin(&t, 1);
        thr_struct_end(&t);
        thr_struct_end(&t);
    }
    thr_struct_end(&t);
    int rc = thr_failed(&t) ? strom_error_set(err, STROM_ENOMEM, "out of memory") : 0;
    uint32_t len = (uint32_t)b.len;
    if (rc == 0)
        rc = out(w, b.data, b.len, err);
    if (rc == 0)
        rc = out(w, &len, 4, err);
    if (rc == 0)
        rc = out(w, "PAR1", 4, err);
    strom_buf_free(&b);
    return rc;
}

/* ---- the writer --------------------------------------------------------------------------- */

int strom_pq_writer_open(int fd, const strom_schema *s, const strom_pq_opts *o,
                         strom_pq_writer **out_w, strom_error *err)
{
    *out_w = NULL;
    strom_pq_writer *w = calloc(1, sizeof *w);
    if (!w)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    w->fd = fd;
    if (o)
        w->o = *o;
    else
        strom_pq_opts_default(&w->o);
    if (w->o.row_group_rows <= 0)
        w->o.row_group_rows = 1 << 20;
    if (w->o.row_group_bytes == 0)
        w->o.row_group_bytes = 128u << 20;
    snprintf(w->created_by, sizeof w->created_by, "%s",
             w->o.created_by ? w->o.created_by : "strom version 0.1.0");
    w->o.created_by = NULL; /* the copy above is used */
    if (w->o.field_ids) { /* copied too: the caller's array need not outlive the call */
        int32_t *ids = malloc(sizeof *ids * (size_t)(strom_schema_ncols(s) + 1));
        if (ids)
            memcpy(ids, w->o.field_ids, sizeof *ids * (size_t)strom_schema_ncols(s));
        w->o.field_ids = ids;
        w->own_ids = ids;
    }
    w->schema = strom_schema_copy(s, strom_schema_id(s));
    w->ncols = strom_schema_ncols(s);
    w->cols = calloc((size_t)w->ncols + 1, sizeof *w->cols);
    w->zc = ZSTD_createCCtx();
    int rc = w->schema && w->cols && w->zc ? 0
                                           : strom_error_set(err, STROM_ENOMEM, "out of memory");
    if (rc == 0 && w->o.codec != STROM_PQ_UNCOMPRESSED && w->o.codec != STROM_PQ_SNAPPY &&
        w->o.codec != STROM_PQ_ZSTD)
        rc = strom_error_set(err, STROM_EUNSUPPORTED, "Parquet codec %d", w->o.codec);
    for (int i = 0; rc == 0 && i < w->ncols; i++) {
        pq_col *c = &w->cols[i];
        c->t = strom_schema_col_type(w->schema, i);
        c->nullable = strom_schema_col_nullable(w->schema, i);
        c->name = strom_schema_col_name(w->schema, i);
        c->stats_ok = true;
        map_type(c);
    }
    if (rc == 0)
        rc = out(w, "PAR1", 4, err);
    if (rc < 0) {
        strom_pq_writer_abort(w);
        return rc;
    }
    *out_w = w;
    return 0;
}

/* Columns whose in-memory values are their PLAIN bytes (int32, int64, float, double): a run
 * of rows is copied whole, and its statistics and dictionary kept in tight loops. */
static bool plain_as_is(const pq_col *c)
{
    switch (c->t.id) {
    case STROM_TYPE_INT:
    case STROM_TYPE_DATE:
    case STROM_TYPE_BIGINT:
    case STROM_TYPE_TIME:
    case STROM_TYPE_TIMESTAMP:
    case STROM_TYPE_TIMESTAMP_LTZ:
    case STROM_TYPE_FLOAT:
    case STROM_TYPE_DOUBLE:
        return true;
    default:
        return false;
    }
}

/* The bounds of a run of n non-null fixed-width values (a plain_as_is type) in one pass over
 * the typed values, then folded into the chunk's like any two values. */
#define RUN_MINMAX(T, LOAD)                                                                  \
    do {                                                                                     \
        bool any = false;                                                                    \
        T lo = 0, hi = 0;                                                                    \
        for (int64_t i = 0; i < n; i++) {                                                    \
            T x;                                                                             \
            memcpy(&x, p + (size_t)i * sizeof(T), sizeof(T));                                \
            if (x != x)                                                                      \
                continue; /* NaN: left out of the bounds */                                  \
            if (!any || x < lo)                                                              \
                lo = x;                                                                      \
            if (!any || x > hi)                                                              \
                hi = x;                                                                      \
            any = true;                                                                      \
        }                                                                                    \
        if (any) {                                                                           \
            strom_value a = {.type = c->t.id}, b = {.type = c->t.id};                        \
            LOAD(a, lo);                                                                     \
            LOAD(b, hi);                                                                     \
            (void)track_stats(c, &a);                                                        \
            (void)track_stats(c, &b);                                                        \
        }                                                                                    \
    } while (0)
#define AS_INT(v, x) ((v).u.i = (int64_t)(x))
#define AS_REAL(v, x) ((v).u.f = (double)(x))

static void run_stats(pq_col *c, const uint8_t *p, int64_t n)
{
    if (!c->stats_ok)
        return;
    switch (c->t.id) {
    case STROM_TYPE_INT:
    case STROM_TYPE_DATE:
        RUN_MINMAX(int32_t, AS_INT);
        break;
    case STROM_TYPE_FLOAT:
        RUN_MINMAX(float, AS_REAL);
        break;
    case STROM_TYPE_DOUBLE:
        RUN_MINMAX(double, AS_REAL);
        break;
    default: /* BIGINT and the 64-bit temporals */
        RUN_MINMAX(int64_t, AS_INT);
        break;
    }
}

/* Rows [r0, r0 + n) of column view v into column c. */
static int add_range(strom_pq_writer *w, pq_col *c, const strom_col_view *v, int64_t r0,
                     int64_t n, strom_error *err)
{
    bool nulls = v->null_count > 0 && v->validity;
    if (nulls && !c->nullable)
        for (int64_t r = r0; r < r0 + n; r++)
            if (strom_col_is_null(v, r))
                return strom_error_set(err, STROM_EINVAL, "row %lld: null in NOT NULL column "
                                       "'%s'", (long long)r, c->name);
    if (!plain_as_is(c) || nulls) { /* value by value */
        for (int64_t r = r0; r < r0 + n; r++) {
            strom_value x;
            strom_col_get(v, c->t, r, &x);
            if (add_value(w, c, &x) != 0)
                return strom_error_set(err, STROM_ENOMEM, "out of memory");
        }
        return 0;
    }
    int width = strom_type_width(c->t.id);
    const uint8_t *p = v->values + (size_t)r0 * (size_t)width;
    if (c->nullable) { /* all present */
        if (strom_buf_reserve(&c->defs, (size_t)n) != 0)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        memset(c->defs.data + c->defs.len, 1, (size_t)n);
        c->defs.len += (size_t)n;
    }
    if (strom_buf_append(&c->values, p, (size_t)n * (size_t)width) != 0)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    run_stats(c, p, n);
    for (int64_t r = 0; w->o.dictionary && !c->dict.dead && r < n; r++)
        if (dict_add(&c->dict, p + (size_t)r * (size_t)width, (size_t)width, false) != 0)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
    return 0;
}

int strom_pq_write(strom_pq_writer *w, const strom_batch *b, strom_error *err)
{
    if (b->ncols != w->ncols)
        return strom_error_set(err, STROM_EINVAL, "a batch of %d columns for a Parquet file of "
                               "%d", b->ncols, w->ncols);
    /* column by column, in runs that end where a row group is full */
    for (int64_t r0 = 0; r0 < b->rows;) {
        int64_t n = b->rows - r0, room = w->o.row_group_rows - w->group_rows;
        if (n > room)
            n = room;
        if (n > 8192)
            n = 8192; /* the byte limit is looked at between runs */
        for (int i = 0; i < w->ncols; i++)
            STROM_TRY(add_range(w, &w->cols[i], &b->cols[i], r0, n, err));
        w->group_rows += n;
        w->total_rows += n;
        r0 += n;
        if (group_full(w))
            STROM_TRY(flush_group(w, err));
    }
    return 0;
}

int strom_pq_writer_close(strom_pq_writer *w, strom_error *err)
{
    int rc = flush_group(w, err);
    if (rc == 0)
        rc = write_footer(w, err);
    strom_pq_writer_abort(w);
    return rc;
}

void strom_pq_writer_abort(strom_pq_writer *w)
{
    if (!w)
        return;
    for (int i = 0; w->cols && i < w->ncols; i++) {
        strom_buf_free(&w->cols[i].values);
        strom_buf_free(&w->cols[i].defs);
        strom_buf_free(&w->cols[i].minb);
        strom_buf_free(&w->cols[i].maxb);
        dict_free(&w->cols[i].dict);
    }
    for (int g = 0; g < w->ngroups; g++) {
        for (int i = 0; w->groups[g].chunks && i < w->ncols; i++) {
            strom_buf_free(&w->groups[g].chunks[i].mn);
            strom_buf_free(&w->groups[g].chunks[i].mx);
        }
        free(w->groups[g].chunks);
    }
    free(w->groups);
    free(w->cols);
    strom_schema_free(w->schema);
    strom_buf_free(&w->page);
    strom_buf_free(&w->comp);
    strom_buf_free(&w->head);
    ZSTD_freeCCtx(w->zc);
    free(w->own_ids);
    free(w);
}

int64_t strom_pq_rows(const strom_pq_writer *w)
{
    return w->total_rows;
}

uint64_t strom_pq_bytes(const strom_pq_writer *w)
{
    return w->pos;
}
