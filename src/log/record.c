/*
 * record.c: encoding and verified decoding of strom's batch format (record.h,
 * docs/format.md §9). All integers little-endian.
 */
#include "log/record.h"

#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "common/crc32c.h"
#include "columnar/ipc.h"

enum {
    H_BASE = 0, H_LEN = 8, H_MAGIC = 12, H_CRC = 13, H_ATTR = 17, H_DELTA = 19, H_TS = 23,
    H_EPOCH = 31, H_SCHEMA = 35, H_WRITER = 39, H_SEQ = 47, H_COUNT = 51, H_STATS = 55,
    H_CHANGES = 59, H_RESERVED = 63,
};

/* Stats block flags per column. */
enum { F_HAS_MIN = 1, F_HAS_MAX = 2, F_MIN_EXACT = 4, F_MAX_EXACT = 8 };

static int put_value(strom_buf *b, const strom_value *v)
{
    uint8_t tmp[16];
    switch (v->type) {
    case STROM_TYPE_BOOLEAN:
        tmp[0] = v->u.b ? 1 : 0;
        return strom_buf_append(b, tmp, 1);
    case STROM_TYPE_FLOAT:
    case STROM_TYPE_DOUBLE:
        memcpy(tmp, &v->u.f, 8);
        return strom_buf_append(b, tmp, 8);
    case STROM_TYPE_DECIMAL:
        memcpy(tmp, &v->u.d, 16);
        return strom_buf_append(b, tmp, 16);
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES:
        strom_st16(tmp, (uint16_t)v->u.s.len);
        STROM_TRY(strom_buf_append(b, tmp, 2));
        return strom_buf_append(b, v->u.s.ptr, v->u.s.len);
    default:
        strom_st64(tmp, (uint64_t)v->u.i);
        return strom_buf_append(b, tmp, 8);
    }
}

static int put_stats(strom_buf *b, const strom_batch_stats *st)
{
    uint8_t h[8];
    strom_st16(h, (uint16_t)st->ncols);
    strom_st16(h + 2, (uint16_t)st->nbuffers);
    strom_st32(h + 4, 0);
    STROM_TRY(strom_buf_append(b, h, 8));
    for (int c = 0; c < st->ncols; c++) {
        const strom_col_stats *cs = &st->cols[c];
        uint8_t ch[10];
        strom_st64(ch, (uint64_t)cs->null_count);
        ch[8] = (uint8_t)((cs->has_min ? F_HAS_MIN : 0) | (cs->has_max ? F_HAS_MAX : 0) |
                          (cs->min_exact ? F_MIN_EXACT : 0) | (cs->max_exact ? F_MAX_EXACT : 0));
        ch[9] = (uint8_t)cs->min.type;
        STROM_TRY(strom_buf_append(b, ch, 10));
        if (cs->has_min)
            STROM_TRY(put_value(b, &cs->min));
        if (cs->has_max)
            STROM_TRY(put_value(b, &cs->max));
    }
    for (int k = 0; k < st->nbuffers; k++) {
        uint8_t crc[4];
        strom_st32(crc, st->buffer_crc[k]);
        STROM_TRY(strom_buf_append(b, crc, 4));
    }
    return 0;
}

/* The record front (header, stats, changes, padding) and `arrow` (a whole message, or only
 * its metadata when body_len > 0 follows separately). The CRC covers everything written
 * after the CRC field; with body_len > 0 the record is PROJECTED. */
static int write_record(strom_buf *out, const strom_record_info *info,
                        const strom_batch_stats *stats, const uint8_t *changes,
                        const uint8_t *arrow, size_t arrow_len, uint64_t body_len,
                        strom_error *err)
{
    size_t start = out->len;
    bool changelog = info->attributes & STROM_RECORD_CHANGELOG;
    uint32_t changes_len = changelog ? (uint32_t)info->record_count : 0;
    if (info->record_count < 0 || (changelog && !changes) || (stats && stats->ncols > 65535) ||
        body_len % 8)
        return strom_error_set(err, STROM_EINVAL, "record: bad arguments");
    if (strom_buf_zeros(out, STROM_RECORD_HEADER) != 0)
        goto oom;
    if (stats && put_stats(out, stats) != 0)
        goto oom;
    uint32_t stats_len = (uint32_t)(out->len - start - STROM_RECORD_HEADER);
    if ((changes_len && strom_buf_append(out, changes, changes_len) != 0) ||
        strom_buf_zeros(out, (size_t)(strom_align_up(out->len - start, 8) - (out->len - start))) != 0 ||
        strom_buf_append(out, arrow, arrow_len) != 0 ||
        strom_buf_zeros(out, (size_t)(strom_align_up(out->len - start, 8) - (out->len - start))) != 0)
        goto oom;
    size_t front = out->len - start;
    uint64_t total = front + body_len;
    if (total > STROM_RECORD_MAX) {
        out->len = start;
        return strom_error_set(err, STROM_ELIMIT, "record: %llu bytes exceed the %u limit",
                               (unsigned long long)total, STROM_RECORD_MAX);
    }
    uint8_t *h = out->data + start;
    uint16_t attr = (uint16_t)(info->attributes & ~STROM_RECORD_PROJECTED);
    strom_st64(h + H_BASE, (uint64_t)info->base_offset);
    strom_st32(h + H_LEN, (uint32_t)(total - 12));
    h[H_MAGIC] = STROM_RECORD_MAGIC;
    strom_st16(h + H_ATTR, (uint16_t)(attr | (body_len ? STROM_RECORD_PROJECTED : 0)));
    strom_st32(h + H_DELTA, (uint32_t)info->last_offset_delta);
    strom_st64(h + H_TS, (uint64_t)info->commit_ts);
    strom_st32(h + H_EPOCH, (uint32_t)info->leader_epoch);
    strom_st32(h + H_SCHEMA, info->schema_id);
    strom_st64(h + H_WRITER, (uint64_t)info->writer_id);
    strom_st32(h + H_SEQ, (uint32_t)info->batch_seq);
    strom_st32(h + H_COUNT, (uint32_t)info->record_count);
    strom_st32(h + H_STATS, stats_len);
    strom_st32(h + H_CHANGES, changes_len);
    h[H_RESERVED] = 0;
    strom_st32(h + H_CRC, strom_crc32c(0, h + H_ATTR, front - H_ATTR));
    return 0;
oom:
    out->len = start;
    return strom_error_set(err, STROM_ENOMEM, "record: out of memory");
}

int strom_record_write(strom_buf *out, const strom_record_info *info,
                       const strom_batch_stats *stats, const uint8_t *changes,
                       const uint8_t *arrow, size_t arrow_len, strom_error *err)
{
    return write_record(out, info, stats, changes, arrow, arrow_len, 0, err);
}

int strom_record_write_projected(strom_buf *out, const strom_record_info *info,
                                 const strom_batch_stats *stats, const uint8_t *changes,
                                 const uint8_t *arrow_head, size_t head_len, uint64_t body_len,
                                 strom_error *err)
{
    if (body_len == 0) /* nothing to project away: an ordinary record */
        return write_record(out, info, stats, changes, arrow_head, head_len, 0, err);
    return write_record(out, info, stats, changes, arrow_head, head_len, body_len, err);
}

void strom_record_set_base(uint8_t *p, int64_t base_offset)
{
    strom_st64(p + H_BASE, (uint64_t)base_offset);
}

int strom_record_peek(const uint8_t *p, size_t n, int64_t *base_offset, uint32_t *total_len,
                      strom_error *err)
{
    if (n < 12)
        return strom_error_set(err, STROM_EINVAL, "record: need 12 bytes to peek");
    uint32_t len = strom_ld32(p + H_LEN);
    *base_offset = (int64_t)strom_ld64(p + H_BASE);
    if (len < STROM_RECORD_HEADER - 12 || len > STROM_RECORD_MAX - 12 || (len + 12) % 8)
        return strom_error_set(err, STROM_ECORRUPT, "record: impossible length %u", len);
    *total_len = len + 12;
    return 0;
}

static int parse_fields(const uint8_t *p, size_t n, int64_t base, uint32_t total,
                        strom_record *r, strom_error *err)
{
    strom_record_info *i = &r->info;
    i->base_offset = base;
    i->attributes = strom_ld16(p + H_ATTR);
    i->last_offset_delta = (int32_t)strom_ld32(p + H_DELTA);
    i->commit_ts = (int64_t)strom_ld64(p + H_TS);
    i->leader_epoch = (int32_t)strom_ld32(p + H_EPOCH);
    i->schema_id = strom_ld32(p + H_SCHEMA);
    i->writer_id = (int64_t)strom_ld64(p + H_WRITER);
    i->batch_seq = (int32_t)strom_ld32(p + H_SEQ);
    i->record_count = (int32_t)strom_ld32(p + H_COUNT);
    r->stats_len = strom_ld32(p + H_STATS);
    r->changes_len = strom_ld32(p + H_CHANGES);
    uint64_t arrow_at = strom_align_up((uint64_t)STROM_RECORD_HEADER + r->stats_len +
                                       r->changes_len, 8);
    bool changelog = i->attributes & STROM_RECORD_CHANGELOG;
    if (arrow_at > total || arrow_at > n || i->record_count < 0 || i->last_offset_delta < 0 ||
        (changelog ? r->changes_len != (uint32_t)i->record_count : r->changes_len != 0))
        return strom_error_set(err, STROM_ECORRUPT, "record at offset %lld: inconsistent "
                               "lengths (stats %u, changes %u, rows %d, total %u)",
                               (long long)base, r->stats_len, r->changes_len, i->record_count,
                               total);
    r->total_len = total;
    r->stats = p + STROM_RECORD_HEADER;
    r->changes = r->changes_len ? r->stats + r->stats_len : NULL;
    r->arrow = p + arrow_at;
    r->arrow_len = (uint32_t)(total - arrow_at);
    return 0;
}

uint32_t strom_record_header_schema(const uint8_t *header)
{
    return strom_ld32(header + H_SCHEMA);
}

int strom_record_parse_front(const uint8_t *p, size_t n, strom_record *r, strom_error *err)
{
    int64_t base = 0;
    uint32_t total = 0;
    memset(r, 0, sizeof *r);
    if (n < STROM_RECORD_HEADER)
        return strom_error_set(err, STROM_EINVAL, "record: front shorter than the header");
    STROM_TRY(strom_record_peek(p, n, &base, &total, err));
    return parse_fields(p, n, base, total, r, err);
}

int strom_record_parse(const uint8_t *p, size_t n, strom_record *r, strom_error *err)
{
    int64_t base = 0;
    uint32_t total = 0;
    memset(r, 0, sizeof *r);
    if (n < 12)
        return 1;
    STROM_TRY(strom_record_peek(p, n, &base, &total, err));
    if (n < total)
        return 1;
    if (p[H_MAGIC] != STROM_RECORD_MAGIC)
        return strom_error_set(err, STROM_EUNSUPPORTED, "record at offset %lld: version %u is "
                               "not supported", (long long)base, p[H_MAGIC]);
    uint32_t crc_end = total;
    if (strom_ld16(p + H_ATTR) & STROM_RECORD_PROJECTED) {
        /* the CRC stops at the end of the Arrow metadata; the body has per-buffer CRCs */
        uint64_t at = strom_align_up((uint64_t)STROM_RECORD_HEADER + strom_ld32(p + H_STATS) +
                                     strom_ld32(p + H_CHANGES), 8);
        uint64_t head = 0;
        if (at + 8 <= total)
            head = strom_ld32(p + at) == 0xFFFFFFFFu ? 8 + (uint64_t)strom_ld32(p + at + 4)
                                                     : 4 + (uint64_t)strom_ld32(p + at);
        if (at + 8 > total || at + head > total)
            return strom_error_set(err, STROM_ECORRUPT, "record at offset %lld: projected "
                                   "record without room for its Arrow metadata",
                                   (long long)base);
        crc_end = (uint32_t)(at + head);
    }
    uint32_t crc = strom_crc32c(0, p + H_ATTR, crc_end - H_ATTR);
    if (crc != strom_ld32(p + H_CRC))
        return strom_error_set(err, STROM_ECHECKSUM, "record at offset %lld: CRC32C %08x, "
                               "stored %08x", (long long)base, crc, strom_ld32(p + H_CRC));
    return parse_fields(p, n, base, total, r, err);
}

/* ---- stats block ----------------------------------------------------------------------- */

typedef struct reader {
    const uint8_t *p;
    uint32_t n, pos;
} reader;

static bool take(reader *r, uint32_t k, const uint8_t **out)
{
    if (r->n - r->pos < k)
        return false;
    *out = r->p + r->pos;
    r->pos += k;
    return true;
}

static bool get_value(reader *r, strom_type_id t, strom_col_stats *cs, bool is_max)
{
    strom_value *v = is_max ? &cs->max : &cs->min;
    const uint8_t *q;
    v->type = t;
    switch (t) {
    case STROM_TYPE_BOOLEAN:
        if (!take(r, 1, &q) || q[0] > 1)
            return false;
        v->u.b = q[0];
        return true;
    case STROM_TYPE_FLOAT:
    case STROM_TYPE_DOUBLE:
        if (!take(r, 8, &q))
            return false;
        memcpy(&v->u.f, q, 8);
        return true;
    case STROM_TYPE_DECIMAL:
        if (!take(r, 16, &q))
            return false;
        memcpy(&v->u.d, q, 16);
        return true;
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES: {
        if (!take(r, 2, &q))
            return false;
        uint16_t len = strom_ld16(q);
        if (len > STROM_STATS_BOUND_MAX || !take(r, len, &q))
            return false;
        uint8_t *dst = is_max ? cs->max_bytes : cs->min_bytes;
        memcpy(dst, q, len);
        v->u.s.ptr = dst;
        v->u.s.len = len;
        return true;
    }
    default: {
        if (t < STROM_TYPE_BOOLEAN || t > STROM_TYPE_TIMESTAMP_LTZ || !take(r, 8, &q))
            return false;
        int64_t i = (int64_t)strom_ld64(q);
        v->u.i = i;
        /* a bound must be a value of its type */
        switch (t) {
        case STROM_TYPE_TINYINT: return i >= INT8_MIN && i <= INT8_MAX;
        case STROM_TYPE_SMALLINT: return i >= INT16_MIN && i <= INT16_MAX;
        case STROM_TYPE_INT:
        case STROM_TYPE_DATE: return i >= INT32_MIN && i <= INT32_MAX;
        case STROM_TYPE_TIME: return i >= 0 && i < INT64_C(86400000000);
        default: return true;
        }
    }
    }
}

int strom_record_stats_ncols(const strom_record *r)
{
    return r->stats_len == 0 ? 0 : r->stats_len >= 8 ? strom_ld16(r->stats) : -1;
}

int strom_record_stats(const strom_record *rec, strom_batch_stats *out, strom_error *err)
{
    memset(out, 0, sizeof *out);
    int cols_cap = 0, crc_cap = 0;
    int rc = strom_record_stats_into(rec, out, &cols_cap, &crc_cap, err);
    if (rc != 0)
        strom_batch_stats_free(out);
    return rc;
}

int strom_record_stats_into(const strom_record *rec, strom_batch_stats *out, int *cols_cap,
                            int *crc_cap, strom_error *err)
{
    out->rows = rec->info.record_count;
    out->ncols = out->nbuffers = 0;
    if (rec->stats_len == 0)
        return 0;
    reader r = {rec->stats, rec->stats_len, 0};
    const uint8_t *q;
    if (!take(&r, 8, &q))
        goto bad;
    int ncols = strom_ld16(q), nbufs = strom_ld16(q + 2);
    if (strom_batch_stats_reserve(out, ncols, nbufs, cols_cap, crc_cap) != 0)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    memset(out->cols, 0, sizeof *out->cols * (size_t)ncols); /* nothing of a record before */
    out->ncols = ncols;
    out->nbuffers = nbufs;
    for (int c = 0; c < ncols; c++) {
        strom_col_stats *cs = &out->cols[c];
        if (!take(&r, 10, &q))
            goto bad;
        cs->null_count = (int64_t)strom_ld64(q);
        uint8_t flags = q[8];
        strom_type_id t = (strom_type_id)q[9];
        cs->min.type = cs->max.type = t;
        cs->has_min = flags & F_HAS_MIN;
        cs->has_max = flags & F_HAS_MAX;
        cs->min_exact = flags & F_MIN_EXACT;
        cs->max_exact = flags & F_MAX_EXACT;
        if (cs->null_count < 0 || cs->null_count > out->rows || flags > 15 ||
            (cs->has_min && !get_value(&r, t, cs, false)) ||
            (cs->has_max && !get_value(&r, t, cs, true)))
            goto bad;
    }
    for (int k = 0; k < nbufs; k++) {
        if (!take(&r, 4, &q))
            goto bad;
        out->buffer_crc[k] = strom_ld32(q);
    }
    if (r.pos != r.n)
        goto bad;
    return 0;
bad:
    out->ncols = out->nbuffers = 0;
    return strom_error_set(err, STROM_ECORRUPT, "record at offset %lld: malformed statistics "
                           "block near byte %u", (long long)rec->info.base_offset, r.pos);
}

int strom_record_check_buffers(const strom_ipc_msg *m, const strom_ipc_batch_meta *bm,
                               const uint32_t *crcs, int ncrcs, const int *src, int64_t base,
                               strom_error *err)
{
    for (int k = 0; k < bm->nbuffers; k++) {
        int i = src ? src[k] : k;
        uint32_t crc = strom_crc32c(0, m->body + bm->buffers[k].offset,
                                    (size_t)bm->buffers[k].length);
        if (i < 0 || i >= ncrcs || crc != crcs[i])
            return strom_error_set(err, STROM_ECHECKSUM, "record at offset %lld: body buffer "
                                   "%d CRC32C %08x, expected %08x", (long long)base, i, crc,
                                   i >= 0 && i < ncrcs ? crcs[i] : 0);
    }
    return 0;
}

int strom_record_verify_buffers(const strom_record *r, const strom_schema *s, strom_error *err)
{
    strom_ipc_msg m;
    strom_ipc_batch_meta bm;
    strom_batch_stats st;
    int rc = strom_ipc_read_msg(r->arrow, r->arrow_len, &m, err);
    if (rc != 0)
        return rc > 0 ? strom_error_set(err, STROM_ECORRUPT, "record: truncated Arrow message")
                      : rc;
    STROM_TRY(strom_ipc_parse_batch_meta(&m, s, &bm, err));
    if ((rc = strom_record_stats(r, &st, err)) != 0) {
        strom_ipc_batch_meta_free(&bm);
        return rc;
    }
    if (st.nbuffers != bm.nbuffers)
        rc = strom_error_set(err, STROM_ECORRUPT, "record at offset %lld: %d buffer CRCs for %d "
                             "buffers", (long long)r->info.base_offset, st.nbuffers,
                             bm.nbuffers);
    if (rc == 0)
        rc = strom_record_check_buffers(&m, &bm, st.buffer_crc, st.nbuffers, NULL,
                                        r->info.base_offset, err);
    strom_batch_stats_free(&st);
    strom_ipc_batch_meta_free(&bm);
    return rc;
}
