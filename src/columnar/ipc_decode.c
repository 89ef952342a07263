/*
 * ipc_decode.c: RecordBatch bodies into column views (zero-copy when possible), schema
 * evolution on read, and the stream and file readers (see ipc.h). Metadata was validated by
 * strom_ipc_parse_batch_meta (ipc_read.c); this file validates the body against it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/ipc_internal.h"
#include "common/common.h"

/* Memory a decoded batch owns (decompressed or realigned buffers, null columns). */
struct strom_batch_mem {
    int n, cap;
    void **blocks;
};

void strom_batch_free(strom_batch *b)
{
    if (!b)
        return;
    if (b->mem) {
        for (int i = 0; i < b->mem->n; i++)
            free(b->mem->blocks[i]);
        free(b->mem->blocks);
        free(b->mem);
    }
    free(b->cols);
    free(b);
}

static void *owned(strom_batch *b, size_t n)
{
    struct strom_batch_mem *m = b->mem;
    if (m->n == m->cap) {
        int ncap = m->cap ? 2 * m->cap : 16;
        void **nb = realloc(m->blocks, sizeof(void *) * (size_t)ncap);
        if (!nb)
            return NULL;
        m->blocks = nb;
        m->cap = ncap;
    }
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? n : 8) != 0)
        return NULL;
    memset(p, 0, n ? n : 8);
    m->blocks[m->n++] = p;
    return p;
}

typedef struct decode_ctx {
    const strom_ipc_msg *m;
    const strom_ipc_batch_meta *bm;
    strom_codec_ctx *codec;
    strom_batch *b;
    strom_buf scratch;
    const char *col;
} decode_ctx;

/* Returns buffer i as a pointer to at least `need` bytes (aligned to `align` in memory),
 * decompressing or copying when necessary; *len = its real length. */
static int get_buffer(decode_ctx *d, int i, uint64_t need, size_t max, size_t align,
                      const uint8_t **out, uint64_t *len, strom_error *err)
{
    const strom_ipc_buffer *bf = &d->bm->buffers[i];
    uint64_t n = (uint64_t)bf->length;
    /* an empty buffer may carry any offset: do not even form the pointer */
    const uint8_t *src = n ? d->m->body + bf->offset : d->m->body;
    if (d->bm->codec != STROM_CODEC_NONE && n > 0) {
        strom_buf_reset(&d->scratch);
        int rc = strom_decompress_buffer(d->codec, d->bm->codec, src, n, max, &d->scratch, err);
        if (rc != 0) {
            strom_error_prefix(err, "column '%s', buffer %d", d->col, i);
            return rc;
        }
        n = d->scratch.len;
        src = d->scratch.data;
    }
    if (n < need)
        return strom_error_set(err, STROM_ECORRUPT,
                               "column '%s': buffer %d has %llu bytes, %llu needed for %lld rows",
                               d->col, i, (unsigned long long)n, (unsigned long long)need,
                               (long long)d->bm->rows);
    *len = n;
    if (n == 0) {
        static const uint64_t empty[2]; /* views never hold NULL data pointers */
        *out = (const uint8_t *)empty;
        return 0;
    }
    if (src != d->scratch.data && (uintptr_t)src % align == 0) {
        *out = src; /* zero-copy view */
        return 0;
    }
    uint8_t *p = owned(d->b, (size_t)n);
    if (!p)
        return strom_error_set(err, STROM_ENOMEM, "out of memory for %llu bytes",
                               (unsigned long long)n);
    memcpy(p, src, (size_t)n);
    *out = p;
    return 0;
}

static int decode_column(decode_ctx *d, int c, int first_buf, strom_type t, strom_col_view *v,
                         strom_error *err)
{
    int64_t rows = d->bm->rows;
    uint64_t bits = (uint64_t)(rows + 7) / 8, len;
    const uint8_t *p;
    *v = (strom_col_view){rows, d->bm->nodes[c].null_count, NULL, NULL, NULL, 0};
    if (v->null_count > 0) {
        STROM_TRY(get_buffer(d, first_buf, bits, bits + 64, 1, &p, &len, err));
        if (strom_popcount_bits(p, rows) != rows - v->null_count)
            return strom_error_set(err, STROM_ECORRUPT,
                                   "column '%s': validity bitmap disagrees with null count %lld",
                                   d->col, (long long)v->null_count);
        v->validity = p;
    }
    if (t.id == STROM_TYPE_BOOLEAN) {
        STROM_TRY(get_buffer(d, first_buf + 1, bits, bits + 64, 1, &p, &len, err));
        v->values = p;
        v->values_len = (int64_t)len;
        return 0;
    }
    if (!strom_type_is_varlen(t.id)) {
        uint64_t w = (uint64_t)strom_type_width(t.id), need = w * (uint64_t)rows;
        STROM_TRY(get_buffer(d, first_buf + 1, need, need + 64, w > 8 ? 8 : w, &p, &len, err));
        v->values = p;
        v->values_len = (int64_t)len;
        return 0;
    }
    /* STRING / BYTES: offsets, then data. A 0-row column may have an empty offsets buffer. */
    static const int32_t zero_offset[1] = {0};
    uint64_t need = rows ? 4 * (uint64_t)(rows + 1) : 0;
    STROM_TRY(get_buffer(d, first_buf + 1, need, need + 64, 4, &p, &len, err));
    const int32_t *off = len ? (const int32_t *)(const void *)p : zero_offset;
    if (off[0] < 0)
        return strom_error_set(err, STROM_ECORRUPT, "column '%s': first offset %d is negative",
                               d->col, off[0]);
    for (int64_t r = 0; r < rows; r++)
        if (off[r + 1] < off[r])
            return strom_error_set(err, STROM_ECORRUPT,
                                   "column '%s': offsets decrease at row %lld (%d > %d)", d->col,
                                   (long long)r, off[r], off[r + 1]);
    uint64_t last = (uint64_t)off[rows];
    STROM_TRY(get_buffer(d, first_buf + 2, last, last + 64, 1, &p, &len, err));
    v->offsets = off;
    v->values = p;
    v->values_len = (int64_t)len;
    return 0;
}

/* An all-null column of `rows` rows (schema evolution: added after the batch was written). */
static int null_column(strom_batch *b, strom_type t, int64_t rows, strom_col_view *v)
{
    size_t bits = (size_t)(rows + 7) / 8;
    size_t vals = t.id == STROM_TYPE_BOOLEAN ? bits
                : strom_type_is_varlen(t.id) ? 0 : (size_t)strom_type_width(t.id) * (size_t)rows;
    *v = (strom_col_view){rows, rows, NULL, NULL, NULL, 0};
    if (rows && !(v->validity = owned(b, bits)))
        return STROM_ENOMEM;
    if (!rows)
        v->null_count = 0;
    uint8_t *p = owned(b, vals);
    if (!p)
        return STROM_ENOMEM;
    v->values = p;
    v->values_len = (int64_t)vals;
    if (strom_type_is_varlen(t.id)) {
        int32_t *off = owned(b, 4 * (size_t)(rows + 1));
        if (!off)
            return STROM_ENOMEM;
        v->offsets = off;
    }
    return 0;
}

int strom_ipc_decode_batch(const strom_ipc_msg *m, const strom_schema *batch_schema,
                           const strom_schema *read_schema, strom_codec_ctx *codec,
                           strom_batch **out, strom_error *err)
{
    *out = NULL;
    if (!m->body)
        return strom_error_set(err, STROM_EINVAL, "decode: the message body is not present");
    if (read_schema != batch_schema && !strom_schema_equal(read_schema, batch_schema))
        STROM_TRY(strom_schema_check_evolution(batch_schema, read_schema, err));
    strom_ipc_batch_meta bm;
    STROM_TRY(strom_ipc_parse_batch_meta(m, batch_schema, &bm, err));
    int ncols = strom_schema_ncols(read_schema), nb = strom_schema_ncols(batch_schema);
    strom_batch *b = calloc(1, sizeof *b);
    strom_codec_ctx *own_codec = NULL;
    int rc = 0;
    if (b) {
        b->mem = calloc(1, sizeof *b->mem);
        b->cols = calloc((size_t)(ncols ? ncols : 1), sizeof *b->cols);
    }
    if (bm.codec != STROM_CODEC_NONE && !codec)
        codec = own_codec = strom_codec_ctx_new();
    if (!b || !b->mem || !b->cols || (bm.codec != STROM_CODEC_NONE && !codec)) {
        rc = strom_error_set(err, STROM_ENOMEM, "decode: out of memory");
        goto done;
    }
    b->schema = read_schema;
    b->rows = bm.rows;
    b->ncols = ncols;
    decode_ctx d = {m, &bm, codec, b, STROM_BUF_INIT, NULL};
    for (int c = 0, buf = 0; c < nb && rc == 0; c++) {
        strom_type t = strom_schema_col_type(batch_schema, c);
        d.col = strom_schema_col_name(batch_schema, c);
        rc = decode_column(&d, c, buf, t, &b->cols[c], err);
        buf += strom_type_is_varlen(t.id) ? 3 : 2;
    }
    strom_buf_free(&d.scratch);
    for (int c = nb; c < ncols && rc == 0; c++)
        if (null_column(b, strom_schema_col_type(read_schema, c), bm.rows, &b->cols[c]) != 0)
            rc = strom_error_set(err, STROM_ENOMEM, "decode: out of memory");
done:
    strom_codec_ctx_free(own_codec);
    strom_ipc_batch_meta_free(&bm);
    if (rc != 0) {
        strom_batch_free(b);
        return rc;
    }
    *out = b;
    return 0;
}

/* ---- stream reader --------------------------------------------------------------------- */

struct strom_ipc_stream_reader {
    const uint8_t *p;
    size_t n, pos;
    strom_schema *schema;
    strom_codec_ctx *codec;
    bool done;
};

void strom_ipc_stream_close(strom_ipc_stream_reader *r)
{
    if (!r)
        return;
    strom_schema_free(r->schema);
    strom_codec_ctx_free(r->codec);
    free(r);
}

int strom_ipc_stream_open(const uint8_t *p, size_t n, strom_ipc_stream_reader **rp,
                          strom_error *err)
{
    strom_ipc_msg m;
    *rp = NULL;
    int rc = strom_ipc_read_msg(p, n, &m, err);
    if (rc > 0)
        return strom_error_set(err, STROM_ECORRUPT, "stream: truncated Schema message "
                               "(%zu of %llu bytes)", n, (unsigned long long)m.total_len);
    if (rc < 0)
        return rc;
    if (m.type != STROM_IPC_SCHEMA)
        return strom_error_set(err, STROM_ECORRUPT, "stream: does not start with a Schema");
    strom_ipc_stream_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->codec = strom_codec_ctx_new())) {
        free(r);
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    }
    if ((rc = strom_ipc_decode_schema(&m, 0, &r->schema, err)) != 0) {
        strom_ipc_stream_close(r);
        return rc;
    }
    r->p = p;
    r->n = n;
    r->pos = (size_t)m.total_len;
    *rp = r;
    return 0;
}

const strom_schema *strom_ipc_stream_schema(const strom_ipc_stream_reader *r)
{
    return r->schema;
}

int strom_ipc_stream_next(strom_ipc_stream_reader *r, strom_batch **out, strom_error *err)
{
    *out = NULL;
    if (r->done || r->pos == r->n)
        return 0;
    strom_ipc_msg m;
    int rc = strom_ipc_read_msg(r->p + r->pos, r->n - r->pos, &m, err);
    if (rc > 0)
        return strom_error_set(err, STROM_ECORRUPT,
                               "stream: truncated message at byte %zu (%zu bytes left, %llu "
                               "needed)", r->pos, r->n - r->pos,
                               (unsigned long long)m.total_len);
    if (rc < 0) {
        strom_error_prefix(err, "stream: message at byte %zu", r->pos);
        return rc;
    }
    if (m.type == STROM_IPC_EOS) {
        r->done = true;
        return 0;
    }
    if (m.type != STROM_IPC_RECORD_BATCH)
        return strom_error_set(err, STROM_EUNSUPPORTED,
                               "stream: message at byte %zu is a %s, not a RecordBatch", r->pos,
                               m.type == STROM_IPC_SCHEMA ? "second Schema" : "DictionaryBatch");
    rc = strom_ipc_decode_batch(&m, r->schema, r->schema, r->codec, out, err);
    if (rc != 0) {
        strom_error_prefix(err, "stream: batch at byte %zu", r->pos);
        return rc;
    }
    r->pos += (size_t)m.total_len;
    return 1;
}

/* ---- file reader ----------------------------------------------------------------------- */

typedef struct file_block {
    int64_t offset, body_len;
    int32_t meta_len;
} file_block;

struct strom_ipc_file_reader {
    const uint8_t *p;
    size_t n;
    strom_schema *schema;
    strom_codec_ctx *codec;
    int nblocks;
    file_block *blocks;
};

void strom_ipc_file_close(strom_ipc_file_reader *r)
{
    if (!r)
        return;
    strom_schema_free(r->schema);
    strom_codec_ctx_free(r->codec);
    free(r->blocks);
    free(r);
}

static int parse_footer(strom_ipc_file_reader *r, const uint8_t *fb, size_t len, size_t limit,
                        strom_error *err)
{
    fb_table footer, sch;
    fb_vec blocks;
    bool has_schema;
    STROM_TRY(fb_root(fb, len, &footer, "Footer", err));
    STROM_TRY(fb_table_field(&footer, 1, &sch, &has_schema, "Footer.schema", err));
    if (!has_schema)
        return strom_error_set(err, STROM_ECORRUPT, "file: the footer has no schema");
    STROM_TRY(strom_ipc_schema_from_fb(&sch, 0, &r->schema, err));
    STROM_TRY(fb_vector(&footer, 3, 24, 8, &blocks, "Footer.recordBatches", err));
    r->blocks = calloc(blocks.count ? blocks.count : 1, sizeof *r->blocks);
    if (!r->blocks)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < blocks.count; i++) {
        const uint8_t *e = blocks.elems + 24 * i;
        file_block *b = &r->blocks[i];
        b->offset = (int64_t)strom_ld64(e);
        b->meta_len = (int32_t)strom_ld32(e + 8);
        b->body_len = (int64_t)strom_ld64(e + 16);
        if (b->offset < 8 || b->meta_len < 8 || b->body_len < 0 ||
            !strom_range_ok((uint64_t)b->offset, (uint64_t)b->meta_len, limit) ||
            !strom_range_ok((uint64_t)b->offset + (uint64_t)b->meta_len, (uint64_t)b->body_len,
                            limit))
            return strom_error_set(err, STROM_ECORRUPT,
                                   "file: block %u (offset %lld, metadata %d, body %lld) lies "
                                   "outside the file", i, (long long)b->offset, b->meta_len,
                                   (long long)b->body_len);
    }
    r->nblocks = (int)blocks.count;
    return 0;
}

int strom_ipc_file_open(const uint8_t *p, size_t n, strom_ipc_file_reader **rp,
                        strom_error *err)
{
    *rp = NULL;
    if (n < 8 + 8 + 10 || memcmp(p, "ARROW1", 6) != 0 || memcmp(p + n - 6, "ARROW1", 6) != 0)
        return strom_error_set(err, STROM_ECORRUPT,
                               "file: no ARROW1 magic at both ends (%zu bytes)", n);
    uint32_t flen = strom_ld32(p + n - 10);
    if (flen == 0 || flen > n - 10 - 8)
        return strom_error_set(err, STROM_ECORRUPT, "file: footer length %u out of range", flen);
    strom_ipc_file_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->codec = strom_codec_ctx_new())) {
        free(r);
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    }
    r->p = p;
    r->n = n;
    size_t fstart = n - 10 - flen;
    int rc = parse_footer(r, p + fstart, flen, fstart, err);
    if (rc != 0) {
        strom_ipc_file_close(r);
        return rc;
    }
    *rp = r;
    return 0;
}

const strom_schema *strom_ipc_file_schema(const strom_ipc_file_reader *r)
{
    return r->schema;
}

int strom_ipc_file_nbatches(const strom_ipc_file_reader *r)
{
    return r->nblocks;
}

int strom_ipc_file_batch(strom_ipc_file_reader *r, int i, strom_batch **out, strom_error *err)
{
    *out = NULL;
    if (i < 0 || i >= r->nblocks)
        return strom_error_set(err, STROM_ERANGE, "file: batch %d of %d", i, r->nblocks);
    const file_block *b = &r->blocks[i];
    size_t len = (size_t)b->meta_len + (size_t)b->body_len;
    strom_ipc_msg m;
    int rc = strom_ipc_read_msg(r->p + b->offset, len, &m, err);
    if (rc == 0 && (m.type != STROM_IPC_RECORD_BATCH || m.total_len != len))
        rc = strom_error_set(err, STROM_ECORRUPT,
                             "the block does not hold exactly one RecordBatch message");
    if (rc > 0)
        rc = strom_error_set(err, STROM_ECORRUPT, "the message is longer than its block");
    if (rc == 0)
        rc = strom_ipc_decode_batch(&m, r->schema, r->schema, r->codec, out, err);
    if (rc != 0)
        strom_error_prefix(err, "file: batch %d at byte %lld", i, (long long)b->offset);
    return rc;
}
