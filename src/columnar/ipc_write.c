/*
 * ipc_write.c: Arrow IPC encoding: Schema and RecordBatch messages, EOS, stream and file
 * writers (see ipc.h and docs/format.md).
 *
 * Flatbuffers are built with fb_build in the object order and field order Arrow C++ uses
 * (../shared/specs/arrow-ipc.md §3.4), so the bytes equal pyarrow's; tests/unit/test_ipc_write.c
 * reproduces tests/vectors/example.arrows and example.arrow byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include "columnar/fb_build.h"
#include "columnar/ipc.h"
#include "common/common.h"

/* Arrow enum values used here (Schema.fbs / Message.fbs). */
enum {
    MD_V5 = 4,
    HDR_SCHEMA = 1, HDR_RECORD_BATCH = 3,
    T_INT = 2, T_FLOAT = 3, T_BINARY = 4, T_UTF8 = 5, T_BOOL = 6, T_DECIMAL = 7, T_DATE = 8,
    T_TIME = 9, T_TIMESTAMP = 10,
    PREC_SINGLE = 1, PREC_DOUBLE = 2,
    DATE_DAY = 0, UNIT_MICRO = 2,
    CODEC_LZ4_FRAME = 0, CODEC_ZSTD = 1,
};

/* Type table of one column; sets *tag to the Type union tag. */
static fb_ref type_table(fb_builder *b, strom_type t, uint8_t *tag)
{
    fb_ref tz = 0;
    switch (t.id) {
    case STROM_TYPE_BOOLEAN: *tag = T_BOOL; fb_start_table(b); break;
    case STROM_TYPE_TINYINT:
    case STROM_TYPE_SMALLINT:
    case STROM_TYPE_INT:
    case STROM_TYPE_BIGINT:
        *tag = T_INT;
        fb_start_table(b);
        fb_add_i32(b, 0, 8 * strom_type_width(t.id), 0); /* bitWidth */
        fb_add_u8(b, 1, 1, 0);                           /* is_signed */
        break;
    case STROM_TYPE_FLOAT:
    case STROM_TYPE_DOUBLE:
        *tag = T_FLOAT;
        fb_start_table(b);
        fb_add_i16(b, 0, t.id == STROM_TYPE_FLOAT ? PREC_SINGLE : PREC_DOUBLE, 0);
        break;
    case STROM_TYPE_DECIMAL:
        *tag = T_DECIMAL;
        fb_start_table(b);
        fb_add_i32(b, 2, 128, 128);       /* bitWidth */
        fb_add_i32(b, 1, t.scale, 0);     /* scale */
        fb_add_i32(b, 0, t.precision, 0); /* precision */
        break;
    case STROM_TYPE_STRING: *tag = T_UTF8; fb_start_table(b); break;
    case STROM_TYPE_BYTES: *tag = T_BINARY; fb_start_table(b); break;
    case STROM_TYPE_DATE:
        *tag = T_DATE;
        fb_start_table(b);
        fb_add_i16(b, 0, DATE_DAY, 1);
        break;
    case STROM_TYPE_TIME:
        *tag = T_TIME;
        fb_start_table(b);
        fb_add_i32(b, 1, 64, 32);         /* bitWidth */
        fb_add_i16(b, 0, UNIT_MICRO, 1);  /* unit */
        break;
    case STROM_TYPE_TIMESTAMP:
    case STROM_TYPE_TIMESTAMP_LTZ:
        *tag = T_TIMESTAMP;
        if (t.id == STROM_TYPE_TIMESTAMP_LTZ)
            tz = fb_string(b, "UTC", 3);
        fb_start_table(b);
        fb_add_ref(b, 1, tz);
        fb_add_i16(b, 0, UNIT_MICRO, 0);
        break;
    }
    return fb_end_table(b);
}

/* The Schema table (without the Message around it). */
static fb_ref schema_table(fb_builder *b, const strom_schema *s)
{
    int n = strom_schema_ncols(s);
    fb_ref *fields = malloc(sizeof(fb_ref) * (size_t)(n ? n : 1));
    if (!fields) {
        b->oom = true;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        uint8_t tag = 0;
        fb_ref type = type_table(b, strom_schema_col_type(s, i), &tag);
        const char *name = strom_schema_col_name(s, i);
        fb_ref nm = fb_string(b, name, strlen(name));
        fb_ref children = fb_vector_refs(b, NULL, 0);
        fb_start_table(b);
        fb_add_ref(b, 5, children);
        fb_add_ref(b, 3, type);
        fb_add_ref(b, 0, nm);
        fb_add_u8(b, 2, tag, 0);
        fb_add_u8(b, 1, strom_schema_col_nullable(s, i) ? 1 : 0, 0);
        fields[i] = fb_end_table(b);
    }
    fb_ref vec = fb_vector_refs(b, fields, (size_t)n);
    free(fields);
    fb_start_table(b);
    fb_add_ref(b, 1, vec); /* fields; endianness Little is the default */
    return fb_end_table(b);
}

/* Wraps a header table into a Message, finishes, and appends the encapsulated prefix +
 * flatbuffer + padding to out. */
static int finish_message(fb_builder *b, uint8_t hdr_type, fb_ref hdr, int64_t body_len,
                          strom_buf *out, strom_error *err)
{
    fb_start_table(b);
    fb_add_i64(b, 3, body_len, 0);
    fb_add_ref(b, 2, hdr);
    fb_add_i16(b, 0, MD_V5, 0);
    fb_add_u8(b, 1, hdr_type, 0);
    fb_ref msg = fb_end_table(b);
    fb_finish(b, msg);
    if (fb_error(b))
        return strom_error_set(err, STROM_ENOMEM, "ipc: out of memory building metadata");
    size_t meta = strom_align_up(b->size + 8, 8) - 8;
    uint8_t prefix[8];
    strom_st32(prefix, 0xFFFFFFFFu);
    strom_st32(prefix + 4, (uint32_t)meta);
    if (strom_buf_append(out, prefix, 8) != 0 || strom_buf_append(out, fb_data(b), b->size) != 0 ||
        strom_buf_zeros(out, meta - b->size) != 0)
        return strom_error_set(err, STROM_ENOMEM, "ipc: out of memory");
    return 0;
}

int strom_ipc_write_schema(const strom_schema *s, strom_buf *out, strom_error *err)
{
    fb_builder b;
    fb_init(&b);
    fb_ref sch = schema_table(&b, s);
    int rc = finish_message(&b, HDR_SCHEMA, sch, 0, out, err);
    fb_free(&b);
    return rc;
}

int strom_ipc_write_batch_header(strom_buf *out, int64_t rows, const strom_ipc_node *nodes,
                                 int nnodes, const strom_ipc_buffer *bufs, int nbufs,
                                 strom_codec codec, int64_t body_len, strom_error *err)
{
    if (nnodes < 0 || nbufs < 0 || rows < 0 || body_len < 0 || body_len % 8)
        return strom_error_set(err, STROM_EINVAL, "ipc: bad batch header arguments");
    fb_builder b;
    fb_init(&b);
    /* FieldNode and Buffer are two little-endian int64 each, like the C structs here. */
    fb_ref vn = fb_vector_inline(&b, nodes, (size_t)nnodes, 16, 8);
    fb_ref vb = fb_vector_inline(&b, bufs, (size_t)nbufs, 16, 8);
    fb_ref comp = 0;
    if (codec != STROM_CODEC_NONE) {
        fb_start_table(&b);
        fb_add_u8(&b, 1, 0, 0); /* method BUFFER */
        fb_add_u8(&b, 0, codec == STROM_CODEC_ZSTD ? CODEC_ZSTD : CODEC_LZ4_FRAME, 0);
        comp = fb_end_table(&b);
    }
    fb_start_table(&b);
    fb_add_i64(&b, 0, rows, 0);
    fb_add_ref(&b, 3, comp);
    fb_add_ref(&b, 2, vb);
    fb_add_ref(&b, 1, vn);
    fb_ref rb = fb_end_table(&b);
    int rc = finish_message(&b, HDR_RECORD_BATCH, rb, body_len, out, err);
    fb_free(&b);
    return rc;
}

int strom_ipc_write_eos(strom_buf *out)
{
    static const uint8_t eos[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0};
    return strom_buf_append(out, eos, 8);
}

/* ---- stream and file writer ------------------------------------------------------------ */

typedef struct block {
    int64_t offset;
    int32_t meta_len;
    int32_t pad;
    int64_t body_len;
} block;

struct strom_ipc_writer {
    strom_schema *schema;
    bool file;
    uint64_t pos; /* bytes written so far (absolute) */
    block *blocks;
    size_t nblocks, cap;
};

void strom_ipc_writer_free(strom_ipc_writer *w)
{
    if (!w)
        return;
    strom_schema_free(w->schema);
    free(w->blocks);
    free(w);
}

int strom_ipc_writer_new(const strom_schema *s, bool file_format, strom_buf *out,
                         strom_ipc_writer **wp, strom_error *err)
{
    *wp = NULL;
    strom_ipc_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->schema = strom_schema_copy(s, strom_schema_id(s)))) {
        free(w);
        return strom_error_set(err, STROM_ENOMEM, "ipc writer: out of memory");
    }
    w->file = file_format;
    size_t start = out->len;
    if (file_format && strom_buf_append(out, "ARROW1\0\0", 8) != 0) {
        strom_ipc_writer_free(w);
        return strom_error_set(err, STROM_ENOMEM, "ipc writer: out of memory");
    }
    int rc = strom_ipc_write_schema(s, out, err);
    if (rc != 0) {
        out->len = start;
        strom_ipc_writer_free(w);
        return rc;
    }
    w->pos = out->len - start;
    *wp = w;
    return 0;
}

int strom_ipc_writer_add(strom_ipc_writer *w, const uint8_t *msg, size_t len, strom_buf *out,
                         strom_error *err)
{
    strom_ipc_msg m;
    int rc = strom_ipc_read_msg_meta(msg, len, &m, err);
    if (rc != 0)
        return rc > 0 ? strom_error_set(err, STROM_EINVAL, "ipc writer: incomplete message") : rc;
    if (m.type != STROM_IPC_RECORD_BATCH)
        return strom_error_set(err, STROM_EINVAL, "ipc writer: not a RecordBatch message");
    uint64_t head = 8 + (uint64_t)m.meta_len;
    if (head + m.body_len != len)
        return strom_error_set(err, STROM_EINVAL,
                               "ipc writer: message is %zu bytes, its header says %llu", len,
                               (unsigned long long)(head + m.body_len));
    if (w->file && w->nblocks == w->cap) {
        size_t ncap = w->cap ? 2 * w->cap : 16;
        block *nb = realloc(w->blocks, ncap * sizeof *nb);
        if (!nb)
            return strom_error_set(err, STROM_ENOMEM, "ipc writer: out of memory");
        w->blocks = nb;
        w->cap = ncap;
    }
    if (strom_buf_append(out, msg, len) != 0)
        return strom_error_set(err, STROM_ENOMEM, "ipc writer: out of memory");
    if (w->file)
        w->blocks[w->nblocks++] = (block){(int64_t)w->pos, (int32_t)head, 0, (int64_t)m.body_len};
    w->pos += len;
    return 0;
}

static int write_footer(strom_ipc_writer *w, strom_buf *out, strom_error *err)
{
    fb_builder b;
    fb_init(&b);
    fb_ref sch = schema_table(&b, w->schema);
    fb_ref dicts = fb_vector_inline(&b, NULL, 0, 24, 8);
    uint8_t *raw = malloc(24 * (w->nblocks ? w->nblocks : 1));
    if (!raw) {
        fb_free(&b);
        return strom_error_set(err, STROM_ENOMEM, "ipc writer: out of memory");
    }
    for (size_t i = 0; i < w->nblocks; i++) {
        strom_st64(raw + 24 * i, (uint64_t)w->blocks[i].offset);
        strom_st32(raw + 24 * i + 8, (uint32_t)w->blocks[i].meta_len);
        strom_st32(raw + 24 * i + 12, 0);
        strom_st64(raw + 24 * i + 16, (uint64_t)w->blocks[i].body_len);
    }
    fb_ref batches = fb_vector_inline(&b, raw, w->nblocks, 24, 8);
    free(raw);
    fb_start_table(&b);
    fb_add_ref(&b, 3, batches);
    fb_add_ref(&b, 2, dicts);
    fb_add_ref(&b, 1, sch);
    fb_add_i16(&b, 0, MD_V5, 0);
    fb_ref footer = fb_end_table(&b);
    fb_finish(&b, footer);
    int rc = 0;
    uint8_t len[4];
    strom_st32(len, (uint32_t)b.size);
    if (fb_error(&b) || strom_buf_append(out, fb_data(&b), b.size) != 0 ||
        strom_buf_append(out, len, 4) != 0 || strom_buf_append(out, "ARROW1", 6) != 0)
        rc = strom_error_set(err, STROM_ENOMEM, "ipc writer: out of memory");
    fb_free(&b);
    return rc;
}

int strom_ipc_writer_finish(strom_ipc_writer *w, strom_buf *out, strom_error *err)
{
    int rc = strom_ipc_write_eos(out) == 0
                 ? 0
                 : strom_error_set(err, STROM_ENOMEM, "ipc writer: out of memory");
    if (rc == 0 && w->file)
        rc = write_footer(w, out, err);
    strom_ipc_writer_free(w);
    return rc;
}
