/*
 * parquet_read.c: the Parquet reader strom needs (parquet.h): flat files of the types strom
 * writes (and the common variants: TIMESTAMP in millis, plain INT32/INT64 without
 * annotations), data pages v1, PLAIN and dictionary encodings, UNCOMPRESSED / SNAPPY / ZSTD.
 * Every length and offset read from the file is checked before use: a damaged file is an
 * error naming what was wrong, never a wild read (fuzz target fuzz_parquet).
 */
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "columnar/value.h"
#include "common/common.h"
#include "lake/parquet.h"

/* ---- Thrift compact reading --------------------------------------------------------------- */

typedef struct trd {
    const uint8_t *p;
    size_t n, pos;
    int16_t last[16];
    int depth;
    bool bad;
} trd;

static uint64_t rd_varint(trd *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->pos >= r->n) {
            r->bad = true;
            return 0;
        }
        uint8_t b = r->p[r->pos++];
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80))
            return v;
    }
    r->bad = true;
    return 0;
}

static int64_t rd_zigzag(trd *r)
{
    uint64_t u = rd_varint(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* The next field of the current struct: false at its stop byte (or on damage). */
static bool rd_field(trd *r, int16_t *id, int *type)
{
    if (r->bad || r->pos >= r->n) {
        r->bad = true;
        return false;
    }
    uint8_t h = r->p[r->pos++];
    if (h == 0)
        return false;
    *type = h & 0x0F;
    int delta = h >> 4;
    *id = delta ? (int16_t)(r->last[r->depth] + delta) : (int16_t)rd_zigzag(r);
    r->last[r->depth] = *id;
    return !r->bad;
}

static void rd_struct_begin(trd *r)
{
    if (r->depth + 1 >= 16) {
        r->bad = true;
        return;
    }
    r->last[++r->depth] = 0;
}

static void rd_struct_end(trd *r)
{
    if (r->depth > 0)
        r->depth--;
}

static const uint8_t *rd_binary(trd *r, size_t *len)
{
    uint64_t n = rd_varint(r);
    if (r->bad || n > r->n - r->pos) {
        r->bad = true;
        *len = 0;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += (size_t)n;
    *len = (size_t)n;
    return p;
}

static uint32_t rd_list(trd *r, int *etype)
{
    if (r->pos >= r->n) {
        r->bad = true;
        return 0;
    }
    uint8_t h = r->p[r->pos++];
    *etype = h & 0x0F;
    uint64_t n = h >> 4;
    if (n == 15)
        n = rd_varint(r);
    if (n > r->n - r->pos) { /* every element takes at least one byte */
        r->bad = true;
        return 0;
    }
    return (uint32_t)n;
}

static void rd_skip(trd *r, int type, int depth);

static void rd_skip_struct(trd *r, int depth)
{
    int16_t id;
    int t;
    rd_struct_begin(r);
    while (!r->bad && rd_field(r, &id, &t))
        rd_skip(r, t, depth + 1);
    rd_struct_end(r);
}

static void rd_skip(trd *r, int type, int depth)
{
    if (depth > 32) {
        r->bad = true;
        return;
    }
    size_t len;
    switch (type) {
    case 1: case 2: break; /* bools live in the header */
    case 3: r->pos < r->n ? (void)r->pos++ : (void)(r->bad = true); break;
    case 4: case 5: case 6: rd_varint(r); break;
    case 7: if (r->n - r->pos < 8) r->bad = true; else r->pos += 8; break;
    case 8: rd_binary(r, &len); break;
    case 9: case 10: {
        int et;
        uint32_t n = rd_list(r, &et);
        for (uint32_t i = 0; i < n && !r->bad; i++)
            et == 1 || et == 2 ? (void)(r->pos < r->n ? r->pos++ : (r->bad = true, 0))
                               : rd_skip(r, et, depth + 1);
        break;
    }
    case 12: rd_skip_struct(r, depth); break;
    default: r->bad = true; break;
    }
}

/* ---- the file model ------------------------------------------------------------------------ */

typedef struct pq_rcol {
    char name[256];
    int phys, type_length, converted, repetition;
    int scale, precision;
    int logical;              /* LogicalType union field, 0 = none */
    bool ts_utc, ts_millis;
    strom_type t;
} pq_rcol;

typedef struct pq_rchunk {
    int64_t data_off, dict_off, total_compressed, num_values;
    int codec;
    /* statistics (pointers into the footer): min_value/max_value, or the legacy min/max */
    const uint8_t *mn, *mx;
    size_t mnl, mxl;
    bool new_bounds;          /* min_value/max_value (well-defined order) */
    int64_t nulls;            /* -1: unknown */
} pq_rchunk;

struct strom_pq_file {
    const uint8_t *p;
    size_t n;
    int ncols;
    pq_rcol *cols;
    strom_schema *schema;
    int64_t rows;
    int ngroups;
    int64_t *group_rows;
    pq_rchunk *chunks;        /* ngroups * ncols */
};

static int bad(strom_error *err, const char *what)
{
    return strom_error_set(err, STROM_ECORRUPT, "Parquet: %s", what);
}

/* A SchemaElement (the root or a leaf). */
static void read_schema_element(trd *r, pq_rcol *c, int *children)
{
    int16_t id;
    int t;
    memset(c, 0, sizeof *c);
    c->phys = -1;
    c->converted = -1;
    *children = 0;
    rd_struct_begin(r);
    while (rd_field(r, &id, &t)) {
        if (id == 1 && t == 5) c->phys = (int)rd_zigzag(r);
        else if (id == 2 && t == 5) c->type_length = (int)rd_zigzag(r);
        else if (id == 3 && t == 5) c->repetition = (int)rd_zigzag(r);
        else if (id == 4 && t == 8) {
            size_t len;
            const uint8_t *s = rd_binary(r, &len);
            snprintf(c->name, sizeof c->name, "%.*s", (int)(len < 255 ? len : 255),
                     s ? (const char *)s : "");
        } else if (id == 5 && t == 5) *children = (int)rd_zigzag(r);
        else if (id == 6 && t == 5) c->converted = (int)rd_zigzag(r);
        else if (id == 7 && t == 5) c->scale = (int)rd_zigzag(r);
        else if (id == 8 && t == 5) c->precision = (int)rd_zigzag(r);
        else if (id == 10 && t == 12) { /* LogicalType union */
            int16_t lid;
            int lt;
            rd_struct_begin(r);
            while (rd_field(r, &lid, &lt)) {
                c->logical = lid;
                if ((lid == 7 || lid == 8) && lt == 12) { /* TIME / TIMESTAMP */
                    int16_t fid;
                    int ft;
                    rd_struct_begin(r);
                    while (rd_field(r, &fid, &ft)) {
                        if (fid == 1 && (ft == 1 || ft == 2))
                            c->ts_utc = ft == 1;
                        else if (fid == 2 && ft == 12) {
                            int16_t uid;
                            int ut;
                            rd_struct_begin(r);
                            while (rd_field(r, &uid, &ut)) {
                                c->ts_millis = uid == 1;
                                rd_skip(r, ut, 0);
                            }
                            rd_struct_end(r);
                        } else {
                            rd_skip(r, ft, 0);
                        }
                    }
                    rd_struct_end(r);
                } else if (lid == 5 && lt == 12) { /* DECIMAL */
                    int16_t fid;
                    int ft;
                    rd_struct_begin(r);
                    while (rd_field(r, &fid, &ft)) {
                        if (fid == 1 && ft == 5) c->scale = (int)rd_zigzag(r);
                        else if (fid == 2 && ft == 5) c->precision = (int)rd_zigzag(r);
                        else rd_skip(r, ft, 0);
                    }
                    rd_struct_end(r);
                } else {
                    rd_skip(r, lt, 0);
                }
            }
            rd_struct_end(r);
        } else {
            rd_skip(r, t, 0);
        }
    }
    rd_struct_end(r);
}

/* The strom type of a leaf, or an error naming what is not supported. */
static int leaf_type(pq_rcol *c, strom_error *err)
{
    switch (c->phys) {
    case 0: c->t = strom_type_of(STROM_TYPE_BOOLEAN); return 0;
    case 4: c->t = strom_type_of(STROM_TYPE_FLOAT); return 0;
    case 5: c->t = strom_type_of(STROM_TYPE_DOUBLE); return 0;
    case 6:
        c->t = strom_type_of(c->converted == 0 || c->logical == 1 ? STROM_TYPE_STRING
                                                                  : STROM_TYPE_BYTES);
        return 0;
    default: break;
    }
    bool dec = c->converted == 5 || c->logical == 5;
    if (dec) {
        if (c->precision < 1 || c->precision > 38 || c->scale < 0 || c->scale > c->precision ||
            (c->phys == 7 && (c->type_length < 1 || c->type_length > 16)) ||
            (c->phys != 1 && c->phys != 2 && c->phys != 7))
            return strom_error_set(err, STROM_EUNSUPPORTED, "Parquet: column '%s': DECIMAL(%d,%d) "
                                   "stored as type %d", c->name, c->precision, c->scale, c->phys);
        c->t = strom_type_decimal((uint8_t)c->precision, (uint8_t)c->scale);
        return 0;
    }
    if (c->phys == 1) {
        strom_type_id id = c->converted == 15 ? STROM_TYPE_TINYINT
                           : c->converted == 16 ? STROM_TYPE_SMALLINT
                           : c->converted == 6 || c->logical == 6 ? STROM_TYPE_DATE
                                                                  : STROM_TYPE_INT;
        c->t = strom_type_of(id);
        return 0;
    }
    if (c->phys == 2) {
        strom_type_id id = STROM_TYPE_BIGINT;
        if (c->logical == 8 || c->converted == 9 || c->converted == 10) {
            id = c->ts_utc ? STROM_TYPE_TIMESTAMP_LTZ : STROM_TYPE_TIMESTAMP;
            c->ts_millis = c->ts_millis || c->converted == 9;
        } else if (c->logical == 7 || c->converted == 8) {
            id = STROM_TYPE_TIME;
        }
        c->t = strom_type_of(id);
        return 0;
    }
    return strom_error_set(err, STROM_EUNSUPPORTED, "Parquet: column '%s' has physical type %d "
                           "(INT96 and others are not read)", c->name, c->phys);
}

static void read_statistics(trd *r, pq_rchunk *ch)
{
    int16_t id;
    int t;
    const uint8_t *omn = NULL, *omx = NULL;
    size_t omnl = 0, omxl = 0;
    rd_struct_begin(r);
    while (rd_field(r, &id, &t)) {
        if (id == 1 && t == 8) omx = rd_binary(r, &omxl);
        else if (id == 2 && t == 8) omn = rd_binary(r, &omnl);
        else if (id == 3 && t == 6) ch->nulls = rd_zigzag(r);
        else if (id == 5 && t == 8) ch->mx = rd_binary(r, &ch->mxl);
        else if (id == 6 && t == 8) ch->mn = rd_binary(r, &ch->mnl);
        else rd_skip(r, t, 0);
    }
    rd_struct_end(r);
    ch->new_bounds = ch->mn && ch->mx;
    if (!ch->new_bounds) { /* legacy bounds: signed order for the numeric types only */
        ch->mn = omn, ch->mnl = omnl;
        ch->mx = omx, ch->mxl = omxl;
    }
}

static void read_column_chunk(trd *r, pq_rchunk *ch)
{
    int16_t id, mid;
    int t, mt;
    rd_struct_begin(r);
    while (rd_field(r, &id, &t)) {
        if (id != 3 || t != 12) {
            rd_skip(r, t, 0);
            continue;
        }
        rd_struct_begin(r);
        while (rd_field(r, &mid, &mt)) {
            if (mid == 4 && mt == 5) ch->codec = (int)rd_zigzag(r);
            else if (mid == 5 && mt == 6) ch->num_values = rd_zigzag(r);
            else if (mid == 7 && mt == 6) ch->total_compressed = rd_zigzag(r);
            else if (mid == 9 && mt == 6) ch->data_off = rd_zigzag(r);
            else if (mid == 11 && mt == 6) ch->dict_off = rd_zigzag(r);
            else if (mid == 12 && mt == 12) read_statistics(r, ch);
            else rd_skip(r, mt, 0);
        }
        rd_struct_end(r);
    }
    rd_struct_end(r);
}

int strom_pq_open(const uint8_t *p, size_t n, strom_pq_file **out, strom_error *err)
{
    *out = NULL;
    if (n < 12 || memcmp(p, "PAR1", 4) != 0 || memcmp(p + n - 4, "PAR1", 4) != 0)
        return bad(err, "not a Parquet file (no PAR1 at both ends)");
    uint32_t flen;
    memcpy(&flen, p + n - 8, 4);
    if (flen > n - 12)
        return bad(err, "footer length past the file");
    strom_pq_file *f = calloc(1, sizeof *f);
    if (!f)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    f->p = p;
    f->n = n;
    trd r = {p + n - 8 - flen, flen, 0, {0}, 0, false};
    int16_t id;
    int t, rc = 0;
    rd_struct_begin(&r);
    while (rc == 0 && rd_field(&r, &id, &t)) {
        if (id == 2 && t == 9) { /* schema */
            int et = 0;
            uint32_t ne = rd_list(&r, &et);
            if (ne < 1 || et != 12 || f->cols) {
                rc = bad(err, "no schema, or two");
                break;
            }
            pq_rcol root;
            int children;
            read_schema_element(&r, &root, &children);
            if (children != (int)ne - 1) {
                rc = strom_error_set(err, STROM_EUNSUPPORTED, "Parquet: nested schemas are not "
                                     "read (%d top-level fields, %u elements)", children, ne);
                break;
            }
            f->ncols = (int)ne - 1;
            f->cols = calloc((size_t)f->ncols + 1, sizeof *f->cols);
            if (!f->cols) {
                rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
                break;
            }
            for (int i = 0; i < f->ncols && !r.bad; i++) {
                int k;
                read_schema_element(&r, &f->cols[i], &k);
                if (k != 0 || f->cols[i].repetition == 2)
                    rc = strom_error_set(err, STROM_EUNSUPPORTED, "Parquet: column '%s' is "
                                         "nested or repeated", f->cols[i].name);
            }
        } else if (id == 3 && t == 6) {
            f->rows = rd_zigzag(&r);
        } else if (id == 4 && t == 9) { /* row groups */
            int et = 0;
            uint32_t ng = rd_list(&r, &et);
            if (et != 12 && ng > 0) {
                rc = bad(err, "row groups");
                break;
            }
            if (f->group_rows || !f->cols) { /* twice, or before the schema */
                rc = bad(err, "row groups repeated or before the schema");
                break;
            }
            f->group_rows = calloc((size_t)ng + 1, sizeof *f->group_rows);
            f->chunks = calloc(((size_t)ng + 1) * ((size_t)f->ncols + 1), sizeof *f->chunks);
            if (!f->group_rows || !f->chunks) {
                rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
                break;
            }
            for (uint32_t g = 0; g < ng && !r.bad && rc == 0; g++) {
                int16_t gid;
                int gt;
                rd_struct_begin(&r);
                while (rd_field(&r, &gid, &gt)) {
                    if (gid == 1 && gt == 9) {
                        int ct = 0;
                        uint32_t nc = rd_list(&r, &ct);
                        if (nc != (uint32_t)f->ncols || ct != 12) {
                            rc = bad(err, "a row group's column count");
                            r.bad = true;
                            break;
                        }
                        for (uint32_t c = 0; c < nc && !r.bad; c++) {
                            pq_rchunk *ch = &f->chunks[(size_t)g * (size_t)f->ncols + c];
                            ch->dict_off = -1;
                            ch->nulls = -1;
                            read_column_chunk(&r, ch);
                        }
                    } else if (gid == 3 && gt == 6) {
                        f->group_rows[g] = rd_zigzag(&r);
                    } else {
                        rd_skip(&r, gt, 0);
                    }
                }
                rd_struct_end(&r);
                f->ngroups = (int)g + 1;
            }
        } else {
            rd_skip(&r, t, 0);
        }
    }
    if (rc == 0 && (r.bad || !f->cols))
        rc = bad(err, "damaged footer");
    if (rc == 0 && !(f->schema = strom_schema_new(1)))
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < f->ncols; i++)
        if ((rc = leaf_type(&f->cols[i], err)) == 0)
            rc = strom_schema_add(f->schema, f->cols[i].name, f->cols[i].t,
                                  f->cols[i].repetition != 0, err);
    for (int g = 0; rc == 0 && g < f->ngroups; g++)
        if (f->group_rows[g] < 0 || f->group_rows[g] > INT32_MAX)
            rc = bad(err, "a row group's row count");
    if (rc < 0) {
        strom_pq_close(f);
        return rc;
    }
    *out = f;
    return 0;
}

void strom_pq_close(strom_pq_file *f)
{
    if (!f)
        return;
    free(f->cols);
    free(f->group_rows);
    free(f->chunks);
    strom_schema_free(f->schema);
    free(f);
}

const strom_schema *strom_pq_schema(const strom_pq_file *f)
{
    return f->schema;
}

int strom_pq_groups(const strom_pq_file *f)
{
    return f->ngroups;
}

int64_t strom_pq_file_rows(const strom_pq_file *f)
{
    return f->rows;
}

/* ---- pages ---------------------------------------------------------------------------------- */

typedef struct page {
    int type, encoding;
    int64_t num_values, uncompressed, compressed;
    size_t header_len;
} page;

static bool read_page_header(const uint8_t *p, size_t n, page *pg)
{
    trd r = {p, n, 0, {0}, 0, false};
    int16_t id, sid;
    int t, st;
    memset(pg, 0, sizeof *pg);
    pg->type = -1;
    rd_struct_begin(&r);
    while (rd_field(&r, &id, &t)) {
        if (id == 1 && t == 5) pg->type = (int)rd_zigzag(&r);
        else if (id == 2 && t == 5) pg->uncompressed = rd_zigzag(&r);
        else if (id == 3 && t == 5) pg->compressed = rd_zigzag(&r);
        else if ((id == 5 || id == 7) && t == 12) {
            rd_struct_begin(&r);
            while (rd_field(&r, &sid, &st)) {
                if (sid == 1 && st == 5) pg->num_values = rd_zigzag(&r);
                else if (sid == 2 && st == 5) pg->encoding = (int)rd_zigzag(&r);
                else rd_skip(&r, st, 0);
            }
            rd_struct_end(&r);
        } else {
            rd_skip(&r, t, 0);
        }
    }
    pg->header_len = r.pos;
    return !r.bad && pg->compressed >= 0 && pg->uncompressed >= 0 &&
           pg->uncompressed <= (1 << 30) && pg->num_values >= 0;
}

/* The page payload, decompressed into buf. */
static int page_payload(const uint8_t *p, size_t n, int codec, int64_t size, strom_buf *buf,
                        strom_error *err)
{
    strom_buf_reset(buf);
    if (strom_buf_reserve(buf, (size_t)size + 1) != 0)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    if (codec == 0) {
        if ((int64_t)n != size)
            return bad(err, "an uncompressed page's sizes differ");
        memcpy(buf->data, p, n);
    } else if (codec == 1) {
        size_t len;
        if (snappy_uncompressed_length((const char *)p, n, &len) != SNAPPY_OK ||
            (int64_t)len != size ||
            snappy_uncompress((const char *)p, n, (char *)buf->data, &len) != SNAPPY_OK)
            return bad(err, "a SNAPPY page does not decompress to its size");
    } else if (codec == 6) {
        size_t r = ZSTD_decompress(buf->data, (size_t)size, p, n);
        if (ZSTD_isError(r) || (int64_t)r != size)
            return bad(err, "a ZSTD page does not decompress to its size");
    } else {
        return strom_error_set(err, STROM_EUNSUPPORTED, "Parquet: compression codec %d", codec);
    }
    buf->len = (size_t)size;
    return 0;
}

/* Decodes n values of an RLE / bit-packed hybrid of `width` bits. */
static int rle_decode(const uint8_t *p, size_t len, int width, uint32_t *out, int64_t n,
                      strom_error *err)
{
    trd r = {p, len, 0, {0}, 0, false};
    int64_t k = 0;
    int bytes = (width + 7) / 8;
    while (k < n) {
        uint64_t h = rd_varint(&r);
        if (r.bad)
            return bad(err, "levels or indices end early");
        if (h & 1) { /* bit-packed groups of 8 */
            uint64_t groups = h >> 1;
            if (groups == 0 || groups > (r.n - r.pos) / (width ? (uint64_t)width : 1) + 1)
                return bad(err, "a bit-packed run past its page");
            uint64_t bit = 0, total = groups * 8;
            if ((uint64_t)width * groups > r.n - r.pos)
                return bad(err, "a bit-packed run past its page");
            for (uint64_t i = 0; i < total; i++) {
                uint32_t v = 0;
                for (int j = 0; j < width; j++, bit++)
                    v |= (uint32_t)((r.p[r.pos + (bit >> 3)] >> (bit & 7)) & 1) << j;
                if (k < n)
                    out[k++] = v;
            }
            r.pos += (size_t)(width * groups);
        } else {
            uint64_t count = h >> 1;
            if (count == 0 || (size_t)bytes > r.n - r.pos)
                return bad(err, "an RLE run past its page");
            uint32_t v = 0;
            for (int i = 0; i < bytes; i++)
                v |= (uint32_t)r.p[r.pos + (size_t)i] << (8 * i);
            r.pos += (size_t)bytes;
            for (uint64_t i = 0; i < count && k < n; i++)
                out[k++] = v;
        }
    }
    return 0;
}

/* One PLAIN value at *pos of p[0..n) into v (strings point into p). */
static int plain_get(const pq_rcol *c, const uint8_t *p, size_t n, size_t *pos, int64_t index,
                     strom_value *v, strom_error *err)
{
    memset(v, 0, sizeof *v);
    v->type = c->t.id;
    size_t at = *pos;
    int w = c->phys == 1 || c->phys == 4 ? 4 : c->phys == 2 || c->phys == 5 ? 8
                                             : c->phys == 7 ? c->type_length : 0;
    if (c->phys == 0) { /* bit-packed booleans */
        if ((size_t)(index >> 3) >= n)
            return bad(err, "booleans past their page");
        v->u.b = (p[index >> 3] >> (index & 7)) & 1;
        return 0;
    }
    if (c->phys == 6) {
        if (n - at < 4)
            return bad(err, "a byte array past its page");
        uint32_t len;
        memcpy(&len, p + at, 4);
        if (len > n - at - 4)
            return bad(err, "a byte array past its page");
        v->u.s.ptr = p + at + 4;
        v->u.s.len = len;
        *pos = at + 4 + len;
        return 0;
    }
    if ((size_t)w > n - at)
        return bad(err, "a value past its page");
    *pos = at + (size_t)w;
    if (c->phys == 7) { /* big-endian two's complement decimal, sign-extended */
        uint8_t le[16];
        memset(le, (p[at] & 0x80) ? 0xFF : 0x00, sizeof le);
        for (int i = 0; i < w; i++)
            le[i] = p[at + (size_t)(w - 1 - i)];
        memcpy(&v->u.d, le, 16);
        return 0;
    }
    if (c->phys == 4) {
        float f;
        memcpy(&f, p + at, 4);
        v->u.f = f;
    } else if (c->phys == 5) {
        memcpy(&v->u.f, p + at, 8);
    } else if (c->phys == 1) {
        int32_t i;
        memcpy(&i, p + at, 4);
        if (c->t.id == STROM_TYPE_DECIMAL)
            v->u.d = i;
        else
            v->u.i = i;
    } else {
        int64_t i;
        memcpy(&i, p + at, 8);
        if (c->t.id == STROM_TYPE_DECIMAL)
            v->u.d = i;
        else if (!c->ts_millis)
            v->u.i = i;
        else if (__builtin_mul_overflow(i, 1000, &v->u.i))
            return bad(err, "a millisecond timestamp out of the microsecond range");
    }
    return 0;
}

/* The width of a column whose stored PLAIN values are its Arrow values byte for byte (INT32
 * as INT or DATE, INT64 as BIGINT or microsecond temporals, FLOAT, DOUBLE), else 0. */
static int direct_width(const pq_rcol *c)
{
    switch (c->t.id) {
    case STROM_TYPE_INT:
    case STROM_TYPE_DATE:
        return c->phys == 1 ? 4 : 0;
    case STROM_TYPE_BIGINT:
        return c->phys == 2 ? 8 : 0;
    case STROM_TYPE_TIME:
    case STROM_TYPE_TIMESTAMP:
    case STROM_TYPE_TIMESTAMP_LTZ:
        return c->phys == 2 && !c->ts_millis ? 8 : 0;
    case STROM_TYPE_FLOAT:
        return c->phys == 4 ? 4 : 0;
    case STROM_TYPE_DOUBLE:
        return c->phys == 5 ? 8 : 0;
    default:
        return 0;
    }
}

/* Appends a page of a direct-width column: PLAIN values (vals) or dictionary indices into
 * dict (ndict entries of w bytes); nulls where levels[i] == 0. */
static int append_direct(const pq_rcol *c, strom_batch_builder *bb, int col, int w,
                         const uint32_t *levels, int64_t n, int64_t present,
                         const uint8_t *vals, size_t vlen, const uint32_t *idx,
                         const uint8_t *dict, int64_t ndict, strom_buf *scratch,
                         strom_error *err)
{
    (void)c;
    strom_col_view v = {.length = n, .null_count = n - present};
    size_t vbytes = (size_t)n * (size_t)w, vmap = ((size_t)n + 7) / 8;
    if (!idx && present == n) { /* PLAIN without nulls: the page itself */
        if (vbytes > vlen)
            return bad(err, "values past their page");
        v.values = vals;
        v.values_len = (int64_t)vbytes;
    } else {
        strom_buf_reset(scratch);
        if (strom_buf_zeros(scratch, vbytes + vmap) != 0)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        uint8_t *out = scratch->data, *valid = scratch->data + vbytes;
        if (!idx && (size_t)present * (size_t)w > vlen)
            return bad(err, "values past their page");
        int64_t k = 0;
        for (int64_t i = 0; i < n; i++) {
            if (!levels[i])
                continue;
            valid[i >> 3] |= (uint8_t)(1u << (i & 7));
            const uint8_t *from;
            if (idx) {
                if (idx[k] >= (uint64_t)ndict)
                    return bad(err, "a dictionary index past the dictionary");
                from = dict + (size_t)idx[k] * (size_t)w;
            } else {
                from = vals + (size_t)k * (size_t)w;
            }
            memcpy(out + (size_t)i * (size_t)w, from, (size_t)w);
            k++;
        }
        v.values = out;
        v.values_len = (int64_t)vbytes;
        v.validity = present < n ? valid : NULL;
    }
    int rc = strom_bb_append_column(bb, col, &v, 0, n);
    return rc == 0 ? 0 : bad(err, rc == STROM_ENOMEM ? "out of memory"
                                                      : "a null in a NOT NULL column");
}

/* Reads column chunk ch of a row group (rows values) into column `col` of bb. */
static int read_chunk(const strom_pq_file *f, const pq_rcol *c, const pq_rchunk *ch,
                      int64_t rows, strom_batch_builder *bb, int col, strom_error *err)
{
    int64_t start = ch->dict_off >= 0 && ch->dict_off < ch->data_off ? ch->dict_off : ch->data_off;
    if (start < 4 || ch->total_compressed < 0 || (uint64_t)start > f->n ||
        (uint64_t)ch->total_compressed > f->n - (uint64_t)start)
        return bad(err, "a column chunk past the file");
    const uint8_t *p = f->p + start, *end = p + ch->total_compressed;
    strom_buf payload = STROM_BUF_INIT, dict = STROM_BUF_INIT, scratch = STROM_BUF_INIT;
    size_t *doff = NULL;
    int64_t ndict = 0, done = 0;
    uint32_t *levels = malloc(sizeof *levels * (size_t)(rows + 1));
    uint32_t *idx = malloc(sizeof *idx * (size_t)(rows + 1));
    int rc = levels && idx ? 0 : strom_error_set(err, STROM_ENOMEM, "out of memory");
    while (rc == 0 && done < rows) {
        page pg;
        if (p >= end || !read_page_header(p, (size_t)(end - p), &pg) ||
            pg.compressed > end - p - (ptrdiff_t)pg.header_len) {
            rc = bad(err, "a page header");
            break;
        }
        const uint8_t *body = p + pg.header_len;
        p = body + pg.compressed;
        if ((rc = page_payload(body, (size_t)pg.compressed, ch->codec, pg.uncompressed,
                               pg.type == 2 ? &dict : &payload, err)) < 0)
            break;
        if (pg.type == 2) { /* the dictionary: PLAIN values */
            free(doff);
            if (pg.num_values > (int64_t)dict.len + 1 ||
                !(doff = malloc(sizeof *doff * (size_t)(pg.num_values + 1)))) {
                rc = bad(err, "a dictionary page");
                break;
            }
            size_t at = 0;
            strom_value v;
            for (int64_t i = 0; rc == 0 && i < pg.num_values; i++) {
                doff[i] = at;
                rc = plain_get(c, dict.data, dict.len, &at, i, &v, err);
            }
            ndict = pg.num_values;
            continue;
        }
        if (pg.type != 0) { /* index pages and others: skipped; v2 pages: not read */
            if (pg.type == 3)
                rc = strom_error_set(err, STROM_EUNSUPPORTED, "Parquet: data page v2");
            continue;
        }
        int64_t n = pg.num_values;
        if (n > rows - done) {
            rc = bad(err, "pages hold more values than the row group");
            break;
        }
        size_t at = 0;
        if (c->repetition == 1) { /* u32 length + definition levels */
            uint32_t len;
            if (payload.len < 4 || (memcpy(&len, payload.data, 4), len > payload.len - 4)) {
                rc = bad(err, "definition levels");
                break;
            }
            if ((rc = rle_decode(payload.data + 4, len, 1, levels, n, err)) < 0)
                break;
            at = 4 + len;
        } else {
            for (int64_t i = 0; i < n; i++)
                levels[i] = 1;
        }
        int64_t present = 0;
        for (int64_t i = 0; i < n; i++)
            present += levels[i] != 0;
        if (pg.encoding == 8 || pg.encoding == 2) { /* RLE_DICTIONARY / PLAIN_DICTIONARY */
            if (!doff || at >= payload.len) {
                rc = bad(err, "dictionary indices without a dictionary");
                break;
            }
            int width = payload.data[at];
            if (width > 32) {
                rc = bad(err, "dictionary index width");
                break;
            }
            if (width == 0)
                memset(idx, 0, sizeof *idx * (size_t)(present + 1));
            else if ((rc = rle_decode(payload.data + at + 1, payload.len - at - 1, width, idx,
                                      present, err)) < 0)
                break;
        } else if (pg.encoding != 0) {
            rc = strom_error_set(err, STROM_EUNSUPPORTED, "Parquet: encoding %d", pg.encoding);
            break;
        }
        int64_t k = 0;
        const uint8_t *vals = payload.data + at;
        size_t vlen = payload.len - at, vpos = 0;
        int w = direct_width(c);
        if (w > 0) { /* the stored values are the Arrow values: whole runs, no per-value work */
            bool dictp = pg.encoding == 8 || pg.encoding == 2;
            rc = append_direct(c, bb, col, w, levels, n, present, dictp ? NULL : vals, vlen,
                               dictp ? idx : NULL, dictp ? dict.data : NULL, ndict, &scratch,
                               err);
            done += n;
            continue;
        }
        for (int64_t i = 0; rc == 0 && i < n; i++) {
            strom_value v;
            if (!levels[i]) {
                rc = strom_bb_append_null(bb, col) ? bad(err, "a null in a NOT NULL column") : 0;
                continue;
            }
            if (pg.encoding == 8 || pg.encoding == 2) {
                if (idx[k] >= (uint64_t)ndict) {
                    rc = bad(err, "a dictionary index past the dictionary");
                    break;
                }
                size_t dat = doff[idx[k]];
                rc = plain_get(c, dict.data, dict.len, &dat, idx[k], &v, err);
            } else {
                rc = plain_get(c, vals, vlen, &vpos, k, &v, err); /* booleans: by index k */
            }
            k++;
            if (rc == 0 && strom_bb_append_value(bb, col, &v) != 0)
                rc = bad(err, "a value that does not fit its column");
        }
        done += n;
    }
    free(levels);
    free(idx);
    free(doff);
    strom_buf_free(&payload);
    strom_buf_free(&dict);
    strom_buf_free(&scratch);
    if (rc < 0)
        strom_error_prefix(err, "column '%s'", c->name);
    return rc;
}

int strom_pq_read_group_cols(const strom_pq_file *f, int g, const int *cols, const int *to,
                             int n, strom_batch_builder *bb, strom_error *err)
{
    if (g < 0 || g >= f->ngroups)
        return strom_error_set(err, STROM_ERANGE, "row group %d of %d", g, f->ngroups);
    for (int i = 0; i < n; i++) {
        if (cols[i] < 0 || cols[i] >= f->ncols)
            return strom_error_set(err, STROM_ERANGE, "column %d of %d", cols[i], f->ncols);
        STROM_TRY(read_chunk(f, &f->cols[cols[i]],
                             &f->chunks[(size_t)g * (size_t)f->ncols + cols[i]],
                             f->group_rows[g], bb, to[i], err));
    }
    return 0;
}

int64_t strom_pq_group_rows(const strom_pq_file *f, int g)
{
    return g >= 0 && g < f->ngroups ? f->group_rows[g] : 0;
}

uint64_t strom_pq_chunk_bytes(const strom_pq_file *f, int g, int col)
{
    if (g < 0 || g >= f->ngroups || col < 0 || col >= f->ncols)
        return 0;
    const pq_rchunk *ch = &f->chunks[(size_t)g * (size_t)f->ncols + col];
    return ch->total_compressed > 0 ? (uint64_t)ch->total_compressed : 0;
}

bool strom_pq_chunk_stats(const strom_pq_file *f, int g, int col, strom_col_stats *out)
{
    memset(out, 0, sizeof *out);
    if (g < 0 || g >= f->ngroups || col < 0 || col >= f->ncols)
        return false;
    const pq_rchunk *ch = &f->chunks[(size_t)g * (size_t)f->ncols + col];
    const pq_rcol *c = &f->cols[col];
    out->min.type = out->max.type = c->t.id;
    out->min_exact = out->max_exact = true; /* inclusive bounds */
    if (ch->nulls < 0)
        return false;
    out->null_count = ch->nulls;
    if (ch->nulls >= f->group_rows[g])
        return true; /* all null: no bounds */
    if (!ch->mn || !ch->mx || c->phys == 0)
        return false;
    if (c->phys == 6 || c->phys == 7) {
        if (!ch->new_bounds)
            return false; /* the legacy order of byte arrays is signed: useless */
        if (c->phys == 6) {
            if (ch->mnl > STROM_STATS_BOUND_MAX || ch->mxl > STROM_STATS_BOUND_MAX)
                return false;
            memcpy(out->min_bytes, ch->mn, ch->mnl);
            memcpy(out->max_bytes, ch->mx, ch->mxl);
            out->min.u.s.len = (uint32_t)ch->mnl;
            out->max.u.s.len = (uint32_t)ch->mxl;
            out->has_min = out->has_max = true;
            strom_col_stats_fix(out);
            return true;
        }
    }
    size_t pos = 0;
    if (plain_get(c, ch->mn, ch->mnl, &pos, 0, &out->min, NULL) != 0)
        return false;
    pos = 0;
    if (plain_get(c, ch->mx, ch->mxl, &pos, 0, &out->max, NULL) != 0)
        return false;
    out->has_min = out->has_max = true;
    return true;
}

int strom_pq_read_group(const strom_pq_file *f, int g, strom_batch_builder *bb,
                        strom_error *err)
{
    if (g < 0 || g >= f->ngroups)
        return strom_error_set(err, STROM_ERANGE, "row group %d of %d", g, f->ngroups);
    for (int i = 0; i < f->ncols; i++)
        STROM_TRY(read_chunk(f, &f->cols[i], &f->chunks[(size_t)g * (size_t)f->ncols + i],
                             f->group_rows[g], bb, i, err));
    return 0;
}
