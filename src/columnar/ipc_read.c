/*
 * ipc_read.c: Arrow IPC decoding for hostile input: message framing, Schema messages,
 * RecordBatch metadata and bodies, with schema evolution (see ipc.h, docs/format.md §7).
 *
 * Order of checks for a record batch:
 *   framing      prefix, metadata size (bounded, 8-aligned), flatbuffer verified field by field
 *   metadata     version V4/V5, header type, node and buffer counts from the schema, node
 *                lengths = row count, 0 <= null_count <= rows (0 for NOT NULL columns), every
 *                non-empty buffer 8-aligned inside the body
 *   body         buffer sizes against the row count, compressed buffers decoded to exactly the
 *                size they declare (bounded by what the column needs), validity popcount equal
 *                to null_count, string offsets first >= 0, non-decreasing, last <= data length
 * Only then are column views handed out. Uncompressed buffers that are aligned in memory are
 * viewed in place; anything else is copied into memory the batch owns.
 */
#include <stdlib.h>
#include <string.h>

#include "columnar/ipc_internal.h"
#include "common/common.h"

/* ---- framing --------------------------------------------------------------------------- */

static int read_msg(const uint8_t *p, size_t n, strom_ipc_msg *msg, bool body,
                    strom_error *err)
{
    memset(msg, 0, sizeof *msg);
    size_t prefix = 8;
    if (n < 4) {
        msg->total_len = 8;
        return 1;
    }
    uint32_t first = strom_ld32(p), meta_len;
    if (first == 0xFFFFFFFFu) {
        if (n < 8) {
            msg->total_len = 8;
            return 1;
        }
        meta_len = strom_ld32(p + 4);
    } else {
        prefix = 4; /* legacy format before Arrow 0.15: no continuation marker */
        meta_len = first;
    }
    if (meta_len == 0) {
        msg->type = STROM_IPC_EOS;
        msg->total_len = prefix;
        return 0;
    }
    if (meta_len > STROM_IPC_MAX_METADATA)
        return strom_error_set(err, STROM_ECORRUPT,
                               "message metadata size %u exceeds the %u limit", meta_len,
                               STROM_IPC_MAX_METADATA);
    if ((prefix + meta_len) % 8)
        return strom_error_set(err, STROM_ECORRUPT,
                               "message metadata size %u is not padded to 8 bytes", meta_len);
    if (n < prefix + meta_len) {
        msg->total_len = prefix + meta_len;
        return 1;
    }
    const uint8_t *meta = p + prefix;
    fb_table root, hdr;
    int16_t version;
    uint8_t htype;
    int64_t body_len;
    bool has_hdr;
    STROM_TRY(fb_root(meta, meta_len, &root, "Message", err));
    STROM_TRY(fb_i16(&root, 0, 0, &version, "Message.version", err));
    STROM_TRY(fb_u8(&root, 1, 0, &htype, "Message.header_type", err));
    STROM_TRY(fb_table_field(&root, 2, &hdr, &has_hdr, "Message.header", err));
    STROM_TRY(fb_i64(&root, 3, 0, &body_len, "Message.bodyLength", err));
    if (version < 3 || version > 4)
        return strom_error_set(err, STROM_EUNSUPPORTED,
                               "Message.version %d: only metadata V4 and V5 are supported",
                               version);
    if (htype < 1 || htype > 3)
        return strom_error_set(err, STROM_EUNSUPPORTED,
                               "Message.header_type %u is not Schema, DictionaryBatch or "
                               "RecordBatch", htype);
    if (!has_hdr)
        return strom_error_set(err, STROM_ECORRUPT, "Message.header is missing");
    if (body_len < 0 || body_len > STROM_IPC_MAX_BODY)
        return strom_error_set(err, STROM_ECORRUPT, "Message.bodyLength %lld out of range",
                               (long long)body_len);
    msg->type = htype;
    msg->meta = meta;
    msg->meta_len = meta_len;
    msg->body_len = (uint64_t)body_len;
    msg->total_len = prefix + meta_len + (uint64_t)body_len;
    if (!body)
        return 0;
    if (n < msg->total_len)
        return 1;
    msg->body = meta + meta_len;
    return 0;
}

int strom_ipc_read_msg(const uint8_t *p, size_t n, strom_ipc_msg *msg, strom_error *err)
{
    return read_msg(p, n, msg, true, err);
}

int strom_ipc_read_msg_meta(const uint8_t *p, size_t n, strom_ipc_msg *msg, strom_error *err)
{
    return read_msg(p, n, msg, false, err);
}

/* The header table of a verified message (read_msg already checked it exists). */
static int header(const strom_ipc_msg *m, int type, fb_table *hdr, strom_error *err)
{
    fb_table root;
    bool present;
    if (m->type != type || !m->meta)
        return strom_error_set(err, STROM_EINVAL, "expected a %s message",
                               type == STROM_IPC_SCHEMA ? "Schema" : "RecordBatch");
    STROM_TRY(fb_root(m->meta, m->meta_len, &root, "Message", err));
    return fb_table_field(&root, 2, hdr, &present, "Message.header", err);
}

/* ---- schema ---------------------------------------------------------------------------- */

/* Arrow Type union tags and enum values used here. */
enum {
    T_INT = 2, T_FLOAT = 3, T_BINARY = 4, T_UTF8 = 5, T_BOOL = 6, T_DECIMAL = 7, T_DATE = 8,
    T_TIME = 9, T_TIMESTAMP = 10,
};

static int field_type(const fb_table *f, const char *name, strom_type *out, strom_error *err)
{
    uint8_t tag;
    fb_table ty;
    bool present;
    STROM_TRY(fb_u8(f, 2, 0, &tag, "Field.type_type", err));
    STROM_TRY(fb_table_field(f, 3, &ty, &present, "Field.type", err));
    if (!present)
        return strom_error_set(err, STROM_ECORRUPT, "field '%s' has no type", name);
    *out = (strom_type){0, 0, 0};
    int32_t bw = 0, prec = 0, scale = 0;
    int16_t unit = 0;
    uint8_t sign = 0;
    switch (tag) {
    case T_BOOL: out->id = STROM_TYPE_BOOLEAN; return 0;
    case T_UTF8: out->id = STROM_TYPE_STRING; return 0;
    case T_BINARY: out->id = STROM_TYPE_BYTES; return 0;
    case T_INT:
        STROM_TRY(fb_i32(&ty, 0, 0, &bw, "Int.bitWidth", err));
        STROM_TRY(fb_u8(&ty, 1, 0, &sign, "Int.is_signed", err));
        if (!sign)
            break;
        out->id = bw == 8 ? STROM_TYPE_TINYINT : bw == 16 ? STROM_TYPE_SMALLINT
                : bw == 32 ? STROM_TYPE_INT : bw == 64 ? STROM_TYPE_BIGINT : 0;
        if (out->id)
            return 0;
        break;
    case T_FLOAT:
        STROM_TRY(fb_i16(&ty, 0, 0, &unit, "FloatingPoint.precision", err));
        if (unit == 1 || unit == 2) {
            out->id = unit == 1 ? STROM_TYPE_FLOAT : STROM_TYPE_DOUBLE;
            return 0;
        }
        break;
    case T_DECIMAL:
        STROM_TRY(fb_i32(&ty, 0, 0, &prec, "Decimal.precision", err));
        STROM_TRY(fb_i32(&ty, 1, 0, &scale, "Decimal.scale", err));
        STROM_TRY(fb_i32(&ty, 2, 128, &bw, "Decimal.bitWidth", err));
        if (bw == 128 && prec >= 1 && prec <= STROM_DECIMAL_MAX_PRECISION && scale >= 0 &&
            scale <= prec) {
            *out = (strom_type){STROM_TYPE_DECIMAL, (uint8_t)prec, (uint8_t)scale};
            return 0;
        }
        break;
    case T_DATE:
        STROM_TRY(fb_i16(&ty, 0, 1, &unit, "Date.unit", err));
        if (unit == 0) {
            out->id = STROM_TYPE_DATE;
            return 0;
        }
        break;
    case T_TIME:
        STROM_TRY(fb_i16(&ty, 0, 1, &unit, "Time.unit", err));
        STROM_TRY(fb_i32(&ty, 1, 32, &bw, "Time.bitWidth", err));
        if (unit == 2 && bw == 64) {
            out->id = STROM_TYPE_TIME;
            return 0;
        }
        break;
    case T_TIMESTAMP: {
        const char *tz;
        uint32_t tzlen;
        STROM_TRY(fb_i16(&ty, 0, 0, &unit, "Timestamp.unit", err));
        STROM_TRY(fb_string_field(&ty, 1, &tz, &tzlen, "Timestamp.timezone", err));
        if (unit == 2) {
            /* any zone: the values are UTC instants; the zone only affects display */
            out->id = tzlen ? STROM_TYPE_TIMESTAMP_LTZ : STROM_TYPE_TIMESTAMP;
            return 0;
        }
        break;
    }
    default: break;
    }
    return strom_error_set(err, STROM_EUNSUPPORTED,
                           "field '%s': Arrow type (tag %u, width/unit %d/%d, precision %d, "
                           "scale %d, signed %u) has no strom type (see docs/format.md)",
                           name, tag, (int)bw, (int)unit, (int)prec, (int)scale, sign);
}

int strom_ipc_schema_from_fb(const fb_table *sch, uint32_t id, strom_schema **out,
                             strom_error *err)
{
    int16_t endian;
    fb_vec fields;
    *out = NULL;
    STROM_TRY(fb_i16(sch, 0, 0, &endian, "Schema.endianness", err));
    if (endian != 0)
        return strom_error_set(err, STROM_EUNSUPPORTED, "big-endian schemas are not supported");
    STROM_TRY(fb_vector(sch, 1, 4, 4, &fields, "Schema.fields", err));
    strom_schema *s = strom_schema_new(id);
    if (!s)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    int rc = 0;
    for (uint32_t i = 0; i < fields.count && rc == 0; i++) {
        fb_table f, dict;
        fb_vec kids;
        const char *name;
        uint32_t nlen;
        uint8_t nullable;
        bool has_dict;
        strom_type t;
        char nm[256];
        if ((rc = fb_vector_table(sch, &fields, i, &f, "Schema.fields", err)) ||
            (rc = fb_string_field(&f, 0, &name, &nlen, "Field.name", err)) ||
            (rc = fb_u8(&f, 1, 0, &nullable, "Field.nullable", err)) ||
            (rc = fb_table_field(&f, 4, &dict, &has_dict, "Field.dictionary", err)) ||
            (rc = fb_vector(&f, 5, 4, 4, &kids, "Field.children", err)))
            break;
        if (!name || nlen == 0 || nlen >= sizeof nm || memchr(name, 0, nlen)) {
            rc = strom_error_set(err, STROM_EUNSUPPORTED,
                                 "field %u: names must be 1..255 bytes without NUL", i);
            break;
        }
        memcpy(nm, name, nlen);
        nm[nlen] = 0;
        if (has_dict || kids.count) {
            rc = strom_error_set(err, STROM_EUNSUPPORTED, "field '%s': %s are not supported", nm,
                                 has_dict ? "dictionary-encoded fields" : "nested types");
            break;
        }
        if ((rc = field_type(&f, nm, &t, err)) != 0)
            break;
        rc = strom_schema_add(s, nm, t, nullable != 0, err);
    }
    if (rc != 0) {
        strom_schema_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int strom_ipc_decode_schema(const strom_ipc_msg *m, uint32_t schema_id, strom_schema **out,
                            strom_error *err)
{
    fb_table sch;
    *out = NULL;
    STROM_TRY(header(m, STROM_IPC_SCHEMA, &sch, err));
    return strom_ipc_schema_from_fb(&sch, schema_id, out, err);
}

/* ---- record batch metadata ------------------------------------------------------------- */

static int nbufs_of(strom_type_id id)
{
    return strom_type_is_varlen(id) ? 3 : 2;
}

void strom_ipc_batch_meta_free(strom_ipc_batch_meta *bm)
{
    free(bm->nodes);
    free(bm->buffers);
    memset(bm, 0, sizeof *bm);
}

int strom_ipc_parse_batch_meta(const strom_ipc_msg *m, const strom_schema *s,
                               strom_ipc_batch_meta *out, strom_error *err)
{
    fb_table rb, comp;
    fb_vec nodes, bufs;
    bool has_comp;
    memset(out, 0, sizeof *out);
    STROM_TRY(header(m, STROM_IPC_RECORD_BATCH, &rb, err));
    STROM_TRY(fb_i64(&rb, 0, 0, &out->rows, "RecordBatch.length", err));
    STROM_TRY(fb_vector(&rb, 1, 16, 8, &nodes, "RecordBatch.nodes", err));
    STROM_TRY(fb_vector(&rb, 2, 16, 8, &bufs, "RecordBatch.buffers", err));
    STROM_TRY(fb_table_field(&rb, 3, &comp, &has_comp, "RecordBatch.compression", err));
    out->codec = STROM_CODEC_NONE;
    if (has_comp) {
        uint8_t codec, method;
        STROM_TRY(fb_u8(&comp, 0, 0, &codec, "BodyCompression.codec", err));
        STROM_TRY(fb_u8(&comp, 1, 0, &method, "BodyCompression.method", err));
        if (codec > 1 || method != 0)
            return strom_error_set(err, STROM_EUNSUPPORTED,
                                   "BodyCompression codec %u method %u is not supported", codec,
                                   method);
        out->codec = codec == 0 ? STROM_CODEC_LZ4_FRAME : STROM_CODEC_ZSTD;
    }
    int ncols = strom_schema_ncols(s), want_bufs = 0;
    for (int c = 0; c < ncols; c++)
        want_bufs += nbufs_of(strom_schema_col_type(s, c).id);
    if (out->rows < 0 || out->rows > INT32_MAX)
        return strom_error_set(err, STROM_ECORRUPT, "RecordBatch.length %lld out of range",
                               (long long)out->rows);
    if (nodes.count != (uint32_t)ncols || bufs.count != (uint32_t)want_bufs)
        return strom_error_set(err, STROM_ECORRUPT,
                               "RecordBatch has %u nodes and %u buffers; the schema needs %d "
                               "and %d", nodes.count, bufs.count, ncols, want_bufs);
    if (m->body_len % 8)
        return strom_error_set(err, STROM_ECORRUPT, "Message.bodyLength %llu is not padded to 8",
                               (unsigned long long)m->body_len);
    out->body_len = m->body_len;
    out->nnodes = ncols;
    out->nbuffers = want_bufs;
    out->nodes = malloc(sizeof(strom_ipc_node) * (size_t)(ncols ? ncols : 1));
    out->buffers = malloc(sizeof(strom_ipc_buffer) * (size_t)(want_bufs ? want_bufs : 1));
    if (!out->nodes || !out->buffers) {
        strom_ipc_batch_meta_free(out);
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    }
    for (int c = 0; c < ncols; c++) {
        strom_ipc_node *nd = &out->nodes[c];
        nd->length = (int64_t)strom_ld64(nodes.elems + 16 * c);
        nd->null_count = (int64_t)strom_ld64(nodes.elems + 16 * c + 8);
        const char *name = strom_schema_col_name(s, c);
        if (nd->length != out->rows || nd->null_count < 0 || nd->null_count > nd->length ||
            (nd->null_count && !strom_schema_col_nullable(s, c))) {
            int64_t len = nd->length, nulls = nd->null_count, rows = out->rows;
            strom_ipc_batch_meta_free(out);
            return strom_error_set(err, STROM_ECORRUPT,
                                   "column '%s'%s: node length %lld and null count %lld do not "
                                   "fit a %lld-row batch", name,
                                   strom_schema_col_nullable(s, c) ? "" : " (NOT NULL)",
                                   (long long)len, (long long)nulls, (long long)rows);
        }
    }
    for (int i = 0; i < want_bufs; i++) {
        strom_ipc_buffer *b = &out->buffers[i];
        b->offset = (int64_t)strom_ld64(bufs.elems + 16 * i);
        b->length = (int64_t)strom_ld64(bufs.elems + 16 * i + 8);
        if (b->length == 0)
            continue; /* an empty buffer may carry any offset */
        if (b->offset < 0 || b->length < 0 || b->offset % 8 ||
            !strom_range_ok((uint64_t)b->offset, (uint64_t)b->length, m->body_len)) {
            long long o = b->offset, l = b->length;
            strom_ipc_batch_meta_free(out);
            return strom_error_set(err, STROM_ECORRUPT,
                                   "buffer %d (offset %lld, length %lld) is misaligned or "
                                   "outside the %llu-byte body", i, o, l,
                                   (unsigned long long)m->body_len);
        }
    }
    return 0;
}
