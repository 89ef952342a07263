/*
 * handlers_kv.c: the requests of primary-key tables (docs/protocol.md): PutKv (upserts and
 * deletes through the bucket's state, src/kv), Lookup (rows by key or bucket-key prefix)
 * and KvScan (the current state of a bucket, page by page, as of one changelog offset).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/ipc.h"
#include "columnar/predicate.h"
#include "common/common.h"
#include "common/fs.h"
#include "kv/kv.h"
#include "log/record.h"
#include "protocol/msg.h"
#include "server/handlers_kv.h"
#include "server/slog.h"

static int copy_partition(strom_msg_str s, char *dst, strom_error *err)
{
    int rc = strom_msg_str_copy(s, dst, STROM_PARTITION_MAX + 1, "partition", err);
    return rc < 0 || !dst[0] ? rc : strom_partition_check(dst, strlen(dst), err);
}

/* The table by id, which must have a primary key. */
static srv_table *pk_table(srv_server *s, uint64_t id, strom_table_desc *d, strom_error *err)
{
    srv_table *t = srv_table_by_id(srv_server_catalog(s), id, err);
    if (!t)
        return NULL;
    srv_table_kv_desc(t, d);
    if (d->npk == 0) {
        strom_error_set(err, STROM_EINVAL, "table %s.%s has no primary key (a log table: "
                        "write with Produce, read with Fetch)", d->database, d->table);
        srv_table_unref(t);
        return NULL;
    }
    return t;
}

/* Column names -> indexes of schema `s` (a fresh array, or NULL for none). */
static int column_list(const strom_schema *s, const strom_msg_str *names, uint32_t n, int **out,
                       strom_error *err)
{
    *out = NULL;
    if (n == 0)
        return 0;
    int *v = malloc(sizeof(int) * n);
    if (!v)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++)
        if ((v[i] = strom_schema_find(s, names[i].p, names[i].len)) < 0) {
            free(v);
            return strom_error_set(err, STROM_ENOTFOUND, "column '%.*s' is not in the table",
                                   (int)names[i].len, names[i].p);
        }
    *out = v;
    return 0;
}

/* ---- PutKv --------------------------------------------------------------------------------- */

typedef struct part_check {
    int col;
    const char *partition;
} part_check;

/* Every row of an entry must belong to the entry's partition. */
static int check_partition(void *ctx, const strom_batch *b, int64_t row, strom_error *err)
{
    const part_check *pc = ctx;
    strom_value v;
    char text[STROM_PARTITION_MAX + 8];
    strom_col_get(&b->cols[pc->col], strom_schema_col_type(b->schema, pc->col), row, &v);
    STROM_TRY(strom_partition_text(&v, text, sizeof text, err));
    if (strcmp(text, pc->partition) != 0)
        return strom_error_set(err, STROM_EINVAL, "row %lld has partition value '%s', sent to "
                               "partition '%s'", (long long)row, text, pc->partition);
    return 0;
}

int srv_h_put_kv(srv_server *s, srv_req *r, strom_wire_reader *rd, strom_error *err)
{
    strom_msg_put_kv m;
    int rc = strom_msg_put_kv_decode(rd, &m, err);
    if (rc < 0)
        return rc;
    strom_table_desc d;
    srv_table *t = pk_table(s, m.table_id, &d, err);
    bool *written = NULL;
    int *cols = NULL;
    if (!t) {
        strom_msg_put_kv_free(&m);
        return err->code;
    }
    r->table_id = m.table_id;
    int ncols = strom_schema_ncols(d.schema);
    if (m.ncolumns) {
        if ((rc = column_list(d.schema, m.columns, m.ncolumns, &cols, err)) < 0)
            goto done;
        if (!(written = calloc((size_t)ncols, sizeof *written))) {
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
            goto done;
        }
        for (uint32_t i = 0; i < m.ncolumns; i++)
            written[cols[i]] = true;
    }
    if ((rc = srv_resp_begin(r)) == 0)
        rc = strom_wire_put_u32(&r->resp, m.n) ? STROM_ENOMEM : 0;
    for (uint32_t i = 0; rc == 0 && i < m.n; i++) {
        const strom_msg_produce_entry *e = &m.e[i];
        strom_error ee;
        strom_error_clear(&ee);
        char part[STROM_PARTITION_MAX + 1];
        srv_bucket *bk = NULL;
        int64_t first = -1;
        int erc = copy_partition(e->partition, part, &ee);
        if (erc == 0)
            erc = srv_bucket_get(srv_server_catalog(s), t, part, e->bucket, true, &bk, &ee);
        part_check pc = {d.partition_col, part};
        /* the entry's records, one after another, each applied whole */
        const uint8_t *p = e->records;
        uint32_t left = e->size;
        for (int k = 0; erc == 0 && left > 0; k++) {
            int64_t b0;
            uint32_t len;
            strom_kv_write_result res;
            if (left < 12 || strom_record_peek(p, left, &b0, &len, &ee) != 0 || len > left) {
                erc = strom_error_set(&ee, STROM_ECORRUPT, "record %d: length does not fit the "
                                      "%u bytes left", k, left);
                break;
            }
            erc = strom_kv_write(bk->kv, &d, p, len, written,
                                 d.partition_col >= 0 ? check_partition : NULL, &pc, &res, &ee);
            if (erc < 0) {
                strom_error_prefix(&ee, "record %d", k);
                break;
            }
            if (first < 0)
                first = res.base_offset;
            if (res.changes > 0)
                r->appended = true;
            p += len;
            left -= len;
        }
        if (erc == 0 && e->size == 0)
            erc = strom_error_set(&ee, STROM_EINVAL, "entry holds no record");
        srv_bucket_unref(bk);
        if (erc < 0)
            srv_log(erc == STROM_EIO || erc == STROM_ENOSPACE ? SRV_ERROR : SRV_INFO,
                    "put_kv rejected", "table=%s.%s bucket=%u error=\"%s\"", d.database, d.table,
                    e->bucket, ee.msg);
        rc = strom_msg_result_put(&r->resp, e->partition.p, e->partition.len, e->bucket, erc,
                                  ee.msg, first);
    }
    if (rc == 0)
        rc = srv_resp_end(r);
done:
    free(written);
    free(cols);
    srv_table_unref(t);
    strom_msg_put_kv_free(&m);
    return rc;
}

/* ---- records of result rows ------------------------------------------------------------------ */

/* Seals the builder's rows (schema `s`, `cols` of the table's latest schema `ts`) into one
 * record appended to out; nothing when empty. Returns the bytes appended. */
static int64_t seal_record(strom_batch_builder *bb, const strom_schema *ts, strom_buf *out,
                           strom_error *err)
{
    int64_t rows = strom_bb_rows(bb);
    if (rows == 0)
        return 0;
    strom_buf arrow = STROM_BUF_INIT;
    strom_batch_stats st;
    int rc = strom_bb_seal(bb, NULL, &arrow, &st, err);
    if (rc == 0) {
        strom_record_info info = {0, (int32_t)(rows - 1), 0, strom_now_ms(), 0,
                                  strom_schema_id(ts), -1, -1, (int32_t)rows};
        size_t at = out->len;
        rc = strom_record_write(out, &info, &st, NULL, arrow.data, arrow.len, err);
        strom_batch_stats_free(&st);
        strom_buf_free(&arrow);
        strom_bb_reset(bb);
        return rc < 0 ? rc : (int64_t)(out->len - at);
    }
    strom_buf_free(&arrow);
    return rc;
}

/* Response records kept until the response is sent. */
typedef struct recs_state {
    strom_buf b;
} recs_state;

static void recs_free(void *p)
{
    recs_state *st = p;
    if (st)
        strom_buf_free(&st->b);
    free(st);
}

/* ---- Lookup -------------------------------------------------------------------------------- */

/* Keys a Lookup may have to be answered on the loop thread (from memory). */
#define INLINE_KEYS 4

int srv_h_lookup(srv_server *s, srv_req *r, strom_wire_reader *rd, bool memory_only,
                 strom_error *err)
{
    strom_msg_lookup m;
    int rc = strom_msg_lookup_decode(rd, &m, err);
    if (rc < 0)
        return rc;
    if (memory_only) {
        /* the keys: each entry's record count (a malformed record goes to a worker, which
         * answers with the error) */
        uint64_t nkeys = 0;
        for (uint32_t i = 0; i < m.n; i++)
            nkeys += m.e[i].size >= STROM_RECORD_HEADER ? strom_ld32(m.e[i].records + 51)
                                                        : INLINE_KEYS + 1;
        if (m.prefix || nkeys > INLINE_KEYS) { /* not small: a worker's job */
            strom_msg_lookup_free(&m);
            return 1;
        }
    }
    strom_table_desc d;
    srv_table *t = pk_table(s, m.table_id, &d, err);
    if (!t) {
        strom_msg_lookup_free(&m);
        return err->code;
    }
    int *cols = NULL;
    strom_schema *out_s = NULL, *key_s = NULL;
    strom_batch_builder *bb = NULL;
    recs_state *st = calloc(1, sizeof *st);
    uint32_t *counts = NULL;
    size_t *sizes = calloc(m.n + 1, sizeof *sizes);
    if (!st || !sizes) {
        free(st);
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        goto done;
    }
    r->hstate = st;
    r->hstate_free = recs_free;
    if (m.prefix && d.nbucket_key == 0) {
        rc = strom_error_set(err, STROM_EINVAL, "table %s.%s has no bucket key to look up by",
                             d.database, d.table);
        goto done;
    }
    if ((rc = column_list(d.schema, m.columns, m.ncolumns, &cols, err)) < 0)
        goto done;
    out_s = cols ? strom_schema_project(d.schema, cols, (int)m.ncolumns)
                 : strom_schema_copy(d.schema, strom_schema_id(d.schema));
    key_s = m.prefix ? strom_schema_project(d.schema, d.bucket_key, d.nbucket_key)
                     : strom_schema_project(d.schema, d.pk, d.npk);
    if (!out_s || !key_s || !(bb = strom_bb_new(out_s))) {
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = srv_resp_begin(r)) == 0)
        rc = strom_msg_lookup_resp_head_put(&r->resp, strom_schema_id(d.schema), m.n);
    for (uint32_t i = 0; rc == 0 && i < m.n; i++) {
        const strom_msg_produce_entry *e = &m.e[i];
        strom_error ee;
        strom_error_clear(&ee);
        char part[STROM_PARTITION_MAX + 1];
        srv_bucket *bk = NULL;
        strom_record rec;
        strom_ipc_msg msg;
        strom_batch *keys = NULL;
        uint32_t nkeys = 0;
        int erc = copy_partition(e->partition, part, &ee);
        if (erc == 0 && (erc = strom_record_parse(e->records, e->size, &rec, &ee)) > 0)
            erc = strom_error_set(&ee, STROM_ECORRUPT, "truncated key record");
        if (erc == 0 && rec.total_len != e->size)
            erc = strom_error_set(&ee, STROM_ECORRUPT, "an entry holds one key record");
        if (erc == 0 && (erc = strom_ipc_read_msg(rec.arrow, rec.arrow_len, &msg, &ee)) == 0)
            erc = strom_ipc_decode_batch(&msg, key_s, key_s, NULL, &keys, &ee);
        if (erc > 0)
            erc = strom_error_set(&ee, STROM_ECORRUPT, "truncated key batch");
        if (erc == 0) {
            nkeys = (uint32_t)keys->rows;
            free(counts);
            if (!(counts = calloc(nkeys + 1, sizeof *counts)))
                erc = strom_error_set(&ee, STROM_ENOMEM, "out of memory");
        }
        if (erc == 0) {
            int g = srv_bucket_get(srv_server_catalog(s), t, part, e->bucket, false, &bk, &ee);
            if (g == STROM_ENOTFOUND && part[0]) {
                /* a partition that does not exist holds no rows */
            } else if ((erc = g) == 0) {
                erc = strom_kv_lookup(bk->kv, &d, keys, m.prefix, m.limit ? m.limit : 1000,
                                      cols, (int)m.ncolumns, memory_only, bb, counts, &ee);
            }
            if (erc == 1 || (memory_only && keys->rows > INLINE_KEYS)) {
                srv_bucket_unref(bk);
                strom_batch_free(keys);
                rc = 1; /* a disk read would be needed: the request goes to a worker */
                break;
            }
        }
        int64_t size = 0;
        if (erc == 0 && (size = seal_record(bb, d.schema, &st->b, &ee)) < 0)
            erc = (int)size;
        if (erc < 0) {
            nkeys = 0;
            size = 0;
            strom_bb_reset(bb);
        }
        sizes[i] = (size_t)size;
        strom_msg_looked l = {e->partition, e->bucket, (int16_t)erc,
                              {ee.msg, (uint16_t)(erc ? strlen(ee.msg) : 0)}, nkeys, counts,
                              (uint32_t)size, NULL};
        rc = strom_msg_looked_put(&r->resp, &l);
        srv_bucket_unref(bk);
        strom_batch_free(keys);
    }
    for (uint32_t i = 0, at = 0; rc == 0 && i < m.n; at += (uint32_t)sizes[i], i++)
        rc = srv_resp_add(r, st->b.data + at, -1, 0, sizes[i]);
    if (rc == 1) { /* declined: nothing of this attempt is kept */
        r->hstate = NULL;
        r->hstate_free = NULL;
        recs_free(st);
        st = NULL;
        strom_buf_reset(&r->resp);
        r->nouts = 0;
    }
    if (rc == 0)
        rc = srv_resp_end(r);
done:
    free(counts);
    free(sizes);
    free(cols);
    strom_bb_free(bb);
    strom_schema_free(out_s);
    strom_schema_free(key_s);
    srv_table_unref(t);
    strom_msg_lookup_free(&m);
    return rc;
}

/* ---- KvScan -------------------------------------------------------------------------------- */

#define SCAN_IDLE_MS 60000   /* an untouched scan is closed after this long */
#define SCAN_ROWS 8192       /* rows per record of a scan page */

typedef struct scan_session {
    uint64_t id;
    strom_kv_scan *sc;
    srv_bucket *bk;
    srv_table *t;
    int64_t offset;
    int64_t used_ms;
    bool busy;
    struct scan_session *next;
} scan_session;

static pthread_mutex_t scans_mu = PTHREAD_MUTEX_INITIALIZER;
static scan_session *scans;
static uint64_t next_scan_id;

static void session_free(scan_session *ss)
{
    strom_kv_scan_close(ss->sc);
    srv_bucket_unref(ss->bk);
    srv_table_unref(ss->t);
    free(ss);
}

/* Closes idle scans (every scan with `all`, at shutdown). */
void srv_kv_scans_expire(bool all)
{
    int64_t now = strom_mono_ms();
    scan_session *dead = NULL;
    pthread_mutex_lock(&scans_mu);
    for (scan_session **pp = &scans; *pp;) {
        scan_session *ss = *pp;
        if (!ss->busy && (all || now - ss->used_ms > SCAN_IDLE_MS)) {
            *pp = ss->next;
            ss->next = dead;
            dead = ss;
        } else {
            pp = &ss->next;
        }
    }
    pthread_mutex_unlock(&scans_mu);
    while (dead) {
        scan_session *n = dead->next;
        session_free(dead);
        dead = n;
    }
}

/* Takes the session `id` for one request (busy), or NULL. */
static scan_session *session_take(uint64_t id)
{
    pthread_mutex_lock(&scans_mu);
    scan_session *ss = scans;
    while (ss && ss->id != id)
        ss = ss->next;
    if (ss && ss->busy)
        ss = NULL;
    if (ss)
        ss->busy = true;
    pthread_mutex_unlock(&scans_mu);
    return ss;
}

/* Gives a session back (or closes it when the scan is complete). */
static void session_put(scan_session *ss, bool done)
{
    pthread_mutex_lock(&scans_mu);
    if (done) {
        for (scan_session **pp = &scans; *pp; pp = &(*pp)->next)
            if (*pp == ss) {
                *pp = ss->next;
                break;
            }
    } else {
        ss->busy = false;
        ss->used_ms = strom_mono_ms();
    }
    pthread_mutex_unlock(&scans_mu);
    if (done)
        session_free(ss);
}

static int session_new(srv_server *s, srv_table *t, const char *part, uint32_t bucket,
                       scan_session **out, strom_error *err)
{
    scan_session *ss = calloc(1, sizeof *ss);
    if (!ss)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    int rc = srv_bucket_get(srv_server_catalog(s), t, part, bucket, false, &ss->bk, err);
    if (rc == 0)
        rc = strom_kv_scan_open(ss->bk->kv, &ss->sc, &ss->offset, err);
    if (rc < 0) {
        srv_bucket_unref(ss->bk);
        free(ss);
        return rc;
    }
    ss->t = t; /* the caller's reference moves to the session */
    ss->busy = true;
    ss->used_ms = strom_mono_ms();
    pthread_mutex_lock(&scans_mu);
    /* ids: a counter mixed with the clock, so an id from before a restart is not reused */
    ss->id = (++next_scan_id << 20) ^ ((uint64_t)strom_now_ms() & 0xFFFFF);
    if (ss->id == 0)
        ss->id = 1;
    ss->next = scans;
    scans = ss;
    pthread_mutex_unlock(&scans_mu);
    *out = ss;
    return 0;
}

/* One page: up to max_bytes of rows (projected, filtered), as records into out. */
static int scan_page(scan_session *ss, const strom_table_desc *d, const int *cols, int ncols,
                     const strom_pred *pred, uint32_t max_bytes, strom_buf *out, bool *done,
                     strom_error *err)
{
    int total = strom_schema_ncols(d->schema);
    strom_schema *out_s = cols ? strom_schema_project(d->schema, cols, ncols)
                               : strom_schema_copy(d->schema, strom_schema_id(d->schema));
    strom_batch_builder *bb = strom_bb_new(d->schema);
    int *all = malloc(sizeof(int) * (size_t)total);
    strom_buf arrow = STROM_BUF_INIT, sel_arrow = STROM_BUF_INIT;
    uint8_t *sel = NULL;
    int rc = out_s && bb && all ? 0 : strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (int c = 0; all && c < total; c++)
        all[c] = c;
    *done = false;
    while (rc == 0 && !*done && out->len < max_bytes) {
        strom_bb_reset(bb);
        if ((rc = strom_kv_scan_next(ss->sc, d, SCAN_ROWS, bb, done, err)) < 0)
            break;
        int64_t rows = strom_bb_rows(bb);
        if (rows == 0)
            break;
        strom_batch_stats st;
        strom_ipc_msg msg;
        strom_batch *b = NULL;
        strom_buf_reset(&arrow);
        if ((rc = strom_bb_seal(bb, NULL, &arrow, &st, err)) < 0)
            break;
        strom_batch_stats_free(&st);
        if ((rc = strom_ipc_read_msg(arrow.data, arrow.len, &msg, err)) == 0)
            rc = strom_ipc_decode_batch(&msg, d->schema, d->schema, NULL, &b, err);
        if (rc != 0) {
            rc = rc > 0 ? strom_error_set(err, STROM_ECORRUPT, "scan batch") : rc;
            break;
        }
        int64_t nsel = rows;
        free(sel);
        sel = NULL;
        if (pred) {
            if (!(sel = malloc((size_t)(rows + 7) / 8))) {
                strom_batch_free(b);
                rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
                break;
            }
            rc = strom_pred_eval_rows(pred, b, sel, &nsel, err);
        }
        if (rc == 0 && nsel > 0) {
            strom_buf_reset(&sel_arrow);
            rc = strom_batch_select(b, sel, cols ? cols : all, cols ? ncols : total, out_s, NULL,
                                    &sel_arrow, &st, err);
            if (rc == 0) {
                strom_record_info info = {0, (int32_t)(nsel - 1), 0, strom_now_ms(), 0,
                                          strom_schema_id(d->schema), -1, -1, (int32_t)nsel};
                rc = strom_record_write(out, &info, &st, NULL, sel_arrow.data, sel_arrow.len,
                                        err);
                strom_batch_stats_free(&st);
            }
        }
        strom_batch_free(b);
    }
    free(sel);
    free(all);
    strom_buf_free(&arrow);
    strom_buf_free(&sel_arrow);
    strom_bb_free(bb);
    strom_schema_free(out_s);
    return rc;
}

int srv_h_kv_scan(srv_server *s, srv_req *r, strom_wire_reader *rd, strom_error *err)
{
    strom_msg_kv_scan m;
    int rc = strom_msg_kv_scan_decode(rd, &m, err);
    if (rc < 0)
        return rc;
    srv_kv_scans_expire(false);
    strom_table_desc d;
    srv_table *t = pk_table(s, m.table_id, &d, err);
    int *cols = NULL;
    strom_pred *pred = NULL;
    scan_session *ss = NULL;
    recs_state *st = NULL;
    bool done = false;
    char part[STROM_PARTITION_MAX + 1];
    if (!t) {
        strom_msg_kv_scan_free(&m);
        return err->code;
    }
    if ((rc = column_list(d.schema, m.columns, m.ncolumns, &cols, err)) < 0 ||
        (rc = copy_partition(m.partition, part, err)) < 0)
        goto done;
    if (m.predicate.len &&
        (rc = strom_pred_parse(m.predicate.p, m.predicate.len, d.schema, &pred, err)) < 0) {
        strom_error_prefix(err, "predicate");
        goto done;
    }
    if (!(st = calloc(1, sizeof *st))) {
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        goto done;
    }
    r->hstate = st;
    r->hstate_free = recs_free;
    if (m.scan_id == 0) {
        if ((rc = session_new(s, t, part, m.bucket, &ss, err)) < 0)
            goto done;
        t = NULL; /* the session holds the reference now */
    } else if (!(ss = session_take(m.scan_id))) {
        rc = strom_error_set(err, STROM_ENOTFOUND, "scan %llu is unknown, finished or expired "
                             "(idle for %d s): start it again",
                             (unsigned long long)m.scan_id, SCAN_IDLE_MS / 1000);
        goto done;
    } else if (ss->bk->table != t || ss->bk->bucket != m.bucket ||
               strcmp(ss->bk->partition, part) != 0) {
        session_put(ss, false);
        ss = NULL;
        rc = strom_error_set(err, STROM_EINVAL, "scan %llu belongs to another bucket",
                             (unsigned long long)m.scan_id);
        goto done;
    }
    rc = scan_page(ss, &d, cols, (int)m.ncolumns, pred, m.max_bytes ? m.max_bytes : 1, &st->b,
                   &done, err);
    strom_msg_kv_scanned res = {strom_schema_id(d.schema), done || rc < 0 ? 0 : ss->id,
                                ss->offset, (uint32_t)st->b.len, NULL};
    session_put(ss, done || rc < 0);
    if (rc == 0 && (rc = srv_resp_begin(r)) == 0 &&
        (rc = strom_msg_kv_scanned_put(&r->resp, &res)) == 0 &&
        (rc = srv_resp_add(r, st->b.data, -1, 0, st->b.len)) == 0)
        rc = srv_resp_end(r);
done:
    free(cols);
    strom_pred_free(pred);
    srv_table_unref(t);
    strom_msg_kv_scan_free(&m);
    return rc;
}
