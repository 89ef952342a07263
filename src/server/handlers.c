/*
 * handlers.c: one function per request (docs/protocol.md), run on a worker thread. Each
 * decodes its message with the protocol decoders, does the work, and leaves a complete
 * response in the request (srv_resp_*), or an error response naming what was wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>

#include "columnar/ipc.h"
#include "columnar/predicate.h"
#include "common/common.h"
#include "common/fs.h"
#include "log/record.h"
#include "protocol/msg.h"
#include "server/server.h"
#include "server/handlers_kv.h"
#include "server/slog.h"
#include "server/tiering.h"
#include "strom/strom.h"

#define FAIL(code_expr)   \
    do {                  \
        rc = (code_expr); \
        goto done;        \
    } while (0)

static int copy_name(strom_msg_str s, char *dst, const char *what, strom_error *err)
{
    int rc = strom_msg_str_copy(s, dst, STROM_IDENT_MAX + 1, what, err);
    return rc < 0 ? rc : strom_ident_check(what, dst, strlen(dst), err);
}

static int copy_partition(strom_msg_str s, char *dst, strom_error *err)
{
    int rc = strom_msg_str_copy(s, dst, STROM_PARTITION_MAX + 1, "partition", err);
    return rc < 0 || !dst[0] ? rc : strom_partition_check(dst, strlen(dst), err);
}

static int end_ok(srv_req *r)
{
    return srv_resp_end(r);
}

/* ---- DDL ------------------------------------------------------------------------------------ */

static int h_names(srv_server *s, srv_req *r, strom_wire_reader *rd, strom_error *err)
{
    srv_catalog *c = srv_server_catalog(s);
    strom_msg_names m;
    char db[STROM_IDENT_MAX + 1] = "", tb[STROM_IDENT_MAX + 1] = "",
         part[STROM_PARTITION_MAX + 1] = "";
    int rc = strom_msg_names_decode(r->h.api_key, rd, &m, err);
    int f = strom_msg_names_fields(r->h.api_key);
    if (rc == 0 && (f & STROM_NAMES_DB))
        rc = copy_name(m.database, db, "database", err);
    if (rc == 0 && (f & STROM_NAMES_TABLE))
        rc = copy_name(m.table, tb, "table", err);
    if (rc == 0 && (f & STROM_NAMES_PARTITION))
        rc = copy_partition(m.partition, part, err);
    if (rc < 0)
        return rc;
    bool flag = m.flag != 0;
    char **names = NULL;
    int n = 0;
    srv_table *t = NULL;
    strom_tier_result tres;
    switch (r->h.api_key) {
    case STROM_API_CREATE_DATABASE:
        rc = srv_db_create(c, db, flag, err);
        break;
    case STROM_API_DROP_DATABASE:
        rc = srv_db_drop(c, db, flag, err);
        break;
    case STROM_API_DROP_TABLE:
        rc = srv_table_drop(c, db, tb, flag, err);
        if (rc == 0)
            srv_log(SRV_INFO, "table dropped", "table=%s.%s", db, tb);
        break;
    case STROM_API_LIST_TABLES:
        rc = srv_table_list(c, db, &names, &n, err);
        break;
    case STROM_API_GET_TABLE_INFO:
    case STROM_API_CREATE_PARTITION:
    case STROM_API_DROP_PARTITION:
    case STROM_API_TIER:
        if (!(t = srv_table_get(c, db, tb, err)))
            return err->code;
        if (r->h.api_key == STROM_API_TIER)
            rc = srv_tiering_run(srv_server_tiering(s), t, &tres, err);
        if (r->h.api_key == STROM_API_CREATE_PARTITION)
            rc = srv_partition_create(c, t, part, flag, err);
        else if (r->h.api_key == STROM_API_DROP_PARTITION)
            rc = srv_partition_drop(c, t, part, flag, err);
        break;
    }
    if (rc == 0)
        rc = srv_resp_begin(r);
    if (rc == 0 && names)
        rc = strom_msg_strings_put(&r->resp, (const char *const *)names, (uint32_t)n);
    if (rc == 0 && t && r->h.api_key == STROM_API_GET_TABLE_INFO) {
        strom_table_desc d;
        if ((rc = srv_table_describe(t, &d, err)) == 0) {
            rc = strom_msg_table_put(&r->resp, &d);
            strom_table_desc_free(&d);
        }
    }
    if (rc == 0 && r->h.api_key == STROM_API_TIER)
        rc = strom_wire_put_u64(&r->resp, (uint64_t)tres.snapshot_id) |
             strom_wire_put_u64(&r->resp, (uint64_t)tres.rows) |
             strom_wire_put_u64(&r->resp, (uint64_t)tres.files) |
             strom_wire_put_u64(&r->resp, tres.bytes_read) |
             strom_wire_put_u64(&r->resp, tres.bytes_written) ? STROM_ENOMEM : 0;
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    srv_table_unref(t);
    return rc < 0 ? rc : end_ok(r);
}

static int h_list_databases(srv_server *s, srv_req *r, strom_wire_reader *rd, strom_error *err)
{
    char **names;
    int n;
    int rc = strom_wire_finish(rd, err);
    if (rc < 0 || (rc = srv_db_list(srv_server_catalog(s), &names, &n, err)) < 0)
        return rc;
    rc = srv_resp_begin(r);
    if (rc == 0)
        rc = strom_msg_strings_put(&r->resp, (const char *const *)names, (uint32_t)n);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc < 0 ? rc : end_ok(r);
}

static int h_create_table(srv_server *s, srv_req *r, strom_wire_reader *rd, strom_error *err)
{
    uint8_t flag = strom_wire_u8(rd, "if not exists");
    strom_table_desc d;
    int rc = strom_wire_check(rd, err);
    if (rc < 0 || (rc = strom_msg_table_read(rd, &d, err)) < 0)
        return rc;
    if ((rc = strom_wire_finish(rd, err)) == 0 &&
        (rc = srv_table_create(srv_server_catalog(s), &d, flag != 0, err)) == 0 &&
        (rc = srv_resp_begin(r)) == 0) {
        srv_log(SRV_INFO, "table created", "table=%s.%s id=%llu buckets=%u columns=%d",
                d.database, d.table, (unsigned long long)d.table_id, d.buckets,
                strom_schema_ncols(d.schema));
        if (d.tiering)
            srv_tiering_kick(srv_server_tiering(s));
        rc = strom_wire_put_u64(&r->resp, d.table_id) ? STROM_ENOMEM : end_ok(r);
    }
    strom_table_desc_free(&d);
    return rc;
}

static int h_alter_table(srv_server *s, srv_req *r, strom_wire_reader *rd, strom_error *err)
{
    strom_msg_alter m;
    char db[STROM_IDENT_MAX + 1], tb[STROM_IDENT_MAX + 1], col[STROM_NAME_MAX + 1];
    int rc = strom_msg_alter_decode(rd, &m, err);
    if (rc == 0)
        rc = copy_name(m.database, db, "database", err);
    if (rc == 0)
        rc = copy_name(m.table, tb, "table", err);
    if (rc == 0 && m.op == STROM_ALTER_SET_TIERING) {
        if ((rc = srv_table_set_tiering(srv_server_catalog(s), db, tb, m.tiering,
                                        m.tier_freshness_ms, err)) == 0 &&
            (rc = srv_resp_begin(r)) == 0) {
            srv_tiering_kick(srv_server_tiering(s));
            srv_log(SRV_INFO, "tiering set", "table=%s.%s on=%d freshness_ms=%lld", db, tb,
                    m.tiering, (long long)m.tier_freshness_ms);
            rc = strom_wire_put_u64(&r->resp, 0) ? STROM_ENOMEM : end_ok(r);
        }
        return rc;
    }
    if (rc == 0)
        rc = strom_msg_str_copy(m.column, col, sizeof col, "column name", err);
    if (rc == 0 && !m.nullable)
        rc = strom_error_set(err, STROM_EINVAL, "an added column must be nullable (old rows "
                             "read it as null)");
    uint32_t id = 0;
    if (rc == 0)
        rc = srv_table_add_column(srv_server_catalog(s), db, tb, col, m.type, err, &id);
    if (rc == 0)
        rc = srv_resp_begin(r);
    if (rc == 0) {
        srv_log(SRV_INFO, "column added", "table=%s.%s column=%s schema_id=%u", db, tb, col, id);
        rc = strom_wire_put_u64(&r->resp, id) ? STROM_ENOMEM : end_ok(r);
    }
    return rc;
}

static int h_init_writer(srv_server *s, srv_req *r, strom_wire_reader *rd, strom_error *err)
{
    int64_t id;
    int rc = strom_wire_finish(rd, err);
    if (rc == 0)
        rc = srv_writer_id_next(srv_server_catalog(s), &id, err);
    if (rc == 0)
        rc = srv_resp_begin(r);
    if (rc == 0)
        rc = strom_wire_put_u64(&r->resp, (uint64_t)id) ? STROM_ENOMEM : end_ok(r);
    return rc;
}

/* ---- Produce ---------------------------------------------------------------------------------- */

/* Declared statistics must be true bounds of the data: the same null counts, and a declared
 * min/max no tighter than the real ones (a lying producer would make readers skip rows). */
static int check_stats(const strom_batch_stats *declared, const strom_batch_stats *real,
                       const strom_schema *sc, strom_error *err)
{
    /* every column needs statistics: readers prune by them, and a projected read sends
     * them with the columns it keeps (a record without them could not be projected) */
    if (declared->ncols != real->ncols || declared->rows != real->rows)
        return strom_error_set(err, STROM_ECORRUPT, "statistics describe %d columns and %lld "
                               "rows, the batch has %d and %lld", declared->ncols,
                               (long long)declared->rows, real->ncols, (long long)real->rows);
    for (int i = 0; i < real->ncols; i++) {
        const strom_col_stats *d = &declared->cols[i], *a = &real->cols[i];
        const char *name = strom_schema_col_name(sc, i);
        if (d->null_count != a->null_count)
            return strom_error_set(err, STROM_ECORRUPT, "column '%s': statistics say %lld nulls, "
                                   "the batch has %lld", name, (long long)d->null_count,
                                   (long long)a->null_count);
        if (a->has_min && d->has_min && strom_value_cmp(&d->min, &a->min) > 0)
            return strom_error_set(err, STROM_ECORRUPT, "column '%s': statistics min is above "
                                   "the smallest value", name);
        if (a->has_max && d->has_max && strom_value_cmp(&d->max, &a->max) < 0)
            return strom_error_set(err, STROM_ECORRUPT, "column '%s': statistics max is below "
                                   "the largest value", name);
        if (!a->has_min && (d->has_min || d->has_max))
            return strom_error_set(err, STROM_ECORRUPT, "column '%s': statistics give bounds "
                                   "for a column without values", name);
    }
    return 0;
}

/* Checks one record from a producer before it is appended: structure and CRC, a schema
 * version of the table, an Arrow batch valid under it, true statistics and buffer CRCs, and
 * (partitioned tables) that every row belongs to the named partition. */
static int check_record(srv_table *t, const char *partition, uint8_t *p, uint32_t len,
                        strom_error *err)
{
    strom_record rec;
    int rc = strom_record_parse(p, len, &rec, err);
    if (rc != 0)
        return rc < 0 ? rc : strom_error_set(err, STROM_ECORRUPT, "truncated record");
    if (rec.info.attributes != 0)
        return strom_error_set(err, STROM_EINVAL, "record attributes 0x%x: a log table takes "
                               "plain append-only records", rec.info.attributes);
    const strom_schema *sc = srv_table_schema(t, rec.info.schema_id);
    if (!sc)
        return strom_error_set(err, STROM_EINVAL, "record has schema id %u; the table has "
                               "schemas 1..%u", rec.info.schema_id,
                               strom_schema_id(srv_table_latest_schema(t)));
    strom_ipc_msg m;
    strom_batch *b = NULL;
    strom_batch_stats declared = {0}, real = {0};
    if ((rc = strom_ipc_read_msg(rec.arrow, rec.arrow_len, &m, err)) != 0)
        return rc < 0 ? rc : strom_error_set(err, STROM_ECORRUPT, "truncated Arrow message");
    if ((rc = strom_ipc_decode_batch(&m, sc, sc, NULL, &b, err)) < 0)
        return rc;
    if (b->rows != rec.info.record_count)
        rc = strom_error_set(err, STROM_ECORRUPT, "record count %d, Arrow batch has %lld rows",
                             rec.info.record_count, (long long)b->rows);
    if (rc == 0)
        rc = strom_record_stats(&rec, &declared, err);
    if (rc == 0)
        rc = strom_batch_compute_stats(b, &real, err);
    if (rc == 0)
        rc = check_stats(&declared, &real, sc, err);
    if (rc == 0 && declared.nbuffers == 0)
        rc = strom_error_set(err, STROM_ECORRUPT, "the statistics block has no buffer CRCs");
    if (rc == 0)
        rc = strom_record_verify_buffers(&rec, sc, err);
    int pc = srv_table_partition_col(t);
    if (rc == 0 && pc >= 0 && b->rows > 0) {
        const strom_col_stats *cs = &real.cols[pc];
        char text[STROM_PARTITION_MAX + 8];
        if (cs->null_count || !cs->has_min || strom_value_cmp(&cs->min, &cs->max) != 0)
            rc = strom_error_set(err, STROM_EINVAL, "rows of partition '%s' must all have the "
                                 "same partition value", partition);
        else if ((rc = strom_partition_text(&cs->min, text, sizeof text, err)) == 0 &&
                 strcmp(text, partition) != 0)
            rc = strom_error_set(err, STROM_EINVAL, "rows with partition value '%s' were sent "
                                 "to partition '%s'", text, partition);
    }
    strom_batch_stats_free(&declared);
    strom_batch_stats_free(&real);
    strom_batch_free(b);
    return rc;
}

/* A Produce's entries between writing and waiting for durability. */
typedef struct produce_entry_state {
    srv_bucket *bk;
    int64_t base, until;
    int error;
    char msg[STROM_ERROR_MSG_MAX];
} produce_entry_state;

typedef struct produce_state {
    strom_msg_produce m;
    srv_table *t;
    produce_entry_state *e;
} produce_state;

static void produce_state_free(void *p)
{
    produce_state *ps = p;
    if (!ps)
        return;
    for (uint32_t i = 0; ps->e && i < ps->m.n; i++)
        srv_bucket_unref(ps->e[i].bk);
    free(ps->e);
    srv_table_unref(ps->t);
    strom_msg_produce_free(&ps->m);
    free(ps);
}

/* Stage 1 of one entry: check every record, then write them (no fsync wait). */
static int produce_entry(srv_server *s, srv_table *t, const strom_msg_produce_entry *e,
                         produce_entry_state *st, strom_error *err)
{
    char part[STROM_PARTITION_MAX + 1];
    int rc = copy_partition(e->partition, part, err);
    if (rc < 0)
        return rc;
    /* the entry's records, back to back: all are checked before any is appended (and before
     * a partition is created for them) */
    uint8_t *p = (uint8_t *)e->records;
    uint32_t left = e->size;
    int nrec = 0;
    while (rc == 0 && left > 0) {
        int64_t b0;
        uint32_t len;
        if (left < 12 || strom_record_peek(p, left, &b0, &len, err) != 0 || len > left) {
            rc = strom_error_set(err, STROM_ECORRUPT, "record %d: length does not fit the %u "
                                 "bytes left", nrec, left);
            break;
        }
        if ((rc = check_record(t, part, p, len, err)) < 0)
            strom_error_prefix(err, "record %d", nrec);
        p += len;
        left -= len;
        nrec++;
    }
    if (rc == 0 && nrec == 0)
        rc = strom_error_set(err, STROM_EINVAL, "entry holds no record");
    if (rc == 0)
        rc = srv_bucket_get(srv_server_catalog(s), t, part, e->bucket, true, &st->bk, err);
    p = (uint8_t *)e->records;
    left = e->size;
    for (int i = 0; rc == 0 && i < nrec; i++) {
        int64_t b0, off;
        uint32_t len;
        strom_record_peek(p, left, &b0, &len, NULL);
        rc = strom_log_append_nowait(st->bk->log, p, len, true, &off, &st->until, err);
        if (i == 0)
            st->base = off;
        p += len;
        left -= len;
    }
    return rc;
}

static int h_produce(srv_server *s, srv_req *r, strom_wire_reader *rd, strom_error *err)
{
    produce_state *ps;
    if (!(ps = calloc(1, sizeof *ps)))
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    int rc = strom_msg_produce_decode(rd, &ps->m, err);
    if (rc < 0) {
        free(ps);
        return rc;
    }
    r->hstate = ps;
    r->hstate_free = produce_state_free;
    if (!(ps->t = srv_table_by_id(srv_server_catalog(s), ps->m.table_id, err)))
        return err->code;
    strom_table_desc kd;
    srv_table_kv_desc(ps->t, &kd);
    if (kd.npk > 0)
        return strom_error_set(err, STROM_EINVAL, "table %s.%s has a primary key: write with "
                               "PutKv (upserts and deletes); its log is the changelog",
                               kd.database, kd.table);
    if (!(ps->e = calloc(ps->m.n ? ps->m.n : 1, sizeof *ps->e)))
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    r->table_id = ps->m.table_id;
    r->no_response = ps->m.acks == STROM_ACKS_NONE;
    for (uint32_t i = 0; i < ps->m.n; i++) {
        strom_error e;
        strom_error_clear(&e);
        produce_entry_state *st = &ps->e[i];
        st->base = -1;
        st->error = produce_entry(s, ps->t, &ps->m.e[i], st, &e);
        if (st->error == 0) {
            r->appended = true;
            r->appended_bytes += ps->m.e[i].size;
        } else
            snprintf(st->msg, sizeof st->msg, "%s", e.msg);
    }
    srv_release_order(s, r); /* the connection's next Produce is written meanwhile */
    for (uint32_t i = 0; i < ps->m.n; i++) {
        produce_entry_state *st = &ps->e[i];
        strom_error e;
        if (st->error == 0 && strom_log_wait_durable(st->bk->log, st->until, &e) < 0) {
            st->error = e.code;
            snprintf(st->msg, sizeof st->msg, "%s", e.msg);
        }
        if (st->error == STROM_EIO || st->error == STROM_ENOSPACE)
            srv_log(SRV_ERROR, "bucket write failed", "table_id=%llu bucket=%u error=\"%s\"",
                    (unsigned long long)ps->m.table_id, ps->m.e[i].bucket, st->msg);
        else if (st->error)
            srv_log(SRV_INFO, "produce rejected", "table_id=%llu bucket=%u error=\"%s\"",
                    (unsigned long long)ps->m.table_id, ps->m.e[i].bucket, st->msg);
    }
    rc = srv_resp_begin(r);
    if (rc == 0)
        rc = strom_wire_put_u32(&r->resp, ps->m.n) ? STROM_ENOMEM : 0;
    for (uint32_t i = 0; rc == 0 && i < ps->m.n; i++)
        rc = strom_msg_result_put(&r->resp, ps->m.e[i].partition.p, ps->m.e[i].partition.len,
                                  ps->m.e[i].bucket, ps->e[i].error, ps->e[i].msg,
                                  ps->e[i].base);
    return rc < 0 ? rc : end_ok(r);
}

/* ---- Fetch ------------------------------------------------------------------------------------ */

static const strom_schema *schema_lookup(void *ctx, uint32_t id)
{
    return srv_table_schema(ctx, id);
}

/* Brings the file ranges of a Fetch answer into the page cache, on the worker, and waits for
 * them: the loop's sendfile then copies from memory instead of waiting for the disk (for
 * every connection). The reads of all the ranges not cached start together. */
static void resident(srv_req *r, const strom_msg_fetched *res, uint32_t n)
{
    int nr = 0;
    for (uint32_t i = 0; i < n; i++)
        for (int k = 0; !res[i].error && res[i].size && k < r->views[i].nparts; k++)
            nr += r->views[i].parts[k].mem_off == SIZE_MAX;
    strom_fs_range one, *rg = nr <= 1 ? &one : malloc(sizeof *rg * (size_t)nr);
    int j = 0;
    for (uint32_t i = 0; i < n; i++)
        for (int k = 0; !res[i].error && res[i].size && k < r->views[i].nparts; k++) {
            const strom_log_part *pp = &r->views[i].parts[k];
            if (pp->mem_off != SIZE_MAX)
                continue;
            if (rg)
                rg[j++] = (strom_fs_range){pp->fd, pp->pos, pp->len};
            else /* no memory for the list: one at a time */
                strom_fs_make_resident(pp->fd, pp->pos, pp->len);
        }
    if (rg)
        strom_fs_make_resident_all(rg, j);
    if (rg != &one)
        free(rg);
}

static int h_fetch(srv_server *s, srv_req *r, strom_wire_reader *rd, strom_error *err)
{
    strom_msg_fetch m;
    int rc = strom_msg_fetch_decode(rd, &m, err);
    if (rc < 0)
        return rc;
    int *cols = NULL;
    strom_pred *pred = NULL;
    srv_table *t = srv_table_by_id(srv_server_catalog(s), m.table_id, err);
    if (!t) {
        strom_msg_fetch_free(&m);
        return err->code;
    }
    const strom_schema *sc = srv_table_latest_schema(t);
    r->table_id = m.table_id;
    if (r->deadline_ms == 0)
        r->deadline_ms = strom_mono_ms() + m.max_wait_ms;
    if (m.ncolumns) {
        if (!(cols = malloc(sizeof(int) * m.ncolumns)))
            FAIL(strom_error_set(err, STROM_ENOMEM, "out of memory"));
        for (uint32_t i = 0; i < m.ncolumns; i++) {
            cols[i] = strom_schema_find(sc, m.columns[i].p, m.columns[i].len);
            if (cols[i] < 0)
                FAIL(strom_error_set(err, STROM_ENOTFOUND, "column '%.*s' is not in %s",
                                     (int)m.columns[i].len, m.columns[i].p, "the table"));
        }
    }
    if (m.predicate.len &&
        (rc = strom_pred_parse(m.predicate.p, m.predicate.len, sc, &pred, err)) < 0) {
        strom_error_prefix(err, "predicate");
        goto done;
    }
    for (int i = 0; i < r->nviews; i++) /* a long-poll run after an earlier one */
        strom_log_view_release(&r->views[i]);
    free(r->views);
    r->nviews = 0;
    if (!(r->views = calloc(m.n ? m.n : 1, sizeof *r->views)))
        FAIL(strom_error_set(err, STROM_ENOMEM, "out of memory"));
    r->nviews = (int)m.n; /* one per bucket, index i; unused ones stay empty */
    strom_msg_fetched *res = calloc(m.n ? m.n : 1, sizeof *res);
    strom_error *errs = calloc(m.n ? m.n : 1, sizeof *errs);
    if (!res || !errs) {
        free(res);
        free(errs);
        FAIL(strom_error_set(err, STROM_ENOMEM, "out of memory"));
    }
    uint64_t total = 0;
    bool any_error = false;
    const srv_config *cfg = srv_server_config(s);
    strom_log_view_opts o = {sc, cols, (int)m.ncolumns, pred, schema_lookup, t,
                             cfg->fetch_scan_bytes};
    if (m.max_bytes > cfg->max_frame - 4096) /* the answer is a frame too (its fields within) */
        m.max_bytes = cfg->max_frame - 4096;
    /* an answer built in memory (rows filtered, small records projected) is held before the
     * loop counts it against memory_limit: it gets a worker's share of what is left */
    uint64_t share = srv_fetch_memory(s);
    if ((pred || cols) && m.max_bytes > share)
        m.max_bytes = (uint32_t)share;
    bool caught_up = true; /* every bucket read to its high watermark */
    for (uint32_t i = 0; i < m.n; i++) {
        strom_msg_fetch_bucket *fb = &m.b[i];
        strom_msg_fetched *f = &res[i];
        strom_log_view *v = &r->views[i];
        char part[STROM_PARTITION_MAX + 1];
        srv_bucket *bk = NULL;
        /* a run after a park reads on from where the last one found nothing to send */
        int64_t from = fb->offset;
        uint64_t skipped = 0;
        f->partition = fb->partition;
        f->bucket = fb->bucket;
        f->next_offset = from;
        f->high_watermark = f->start_offset = -1;
        int erc = copy_partition(fb->partition, part, &errs[i]);
        if (erc == 0)
            erc = srv_bucket_get(srv_server_catalog(s), t, part, fb->bucket, false, &bk, &errs[i]);
        if (erc == 0) {
            f->high_watermark = strom_log_high_watermark(bk->log);
            f->start_offset = strom_log_start_offset(bk->log);
            /* past the high watermark, the resume point is from a log since dropped (its
             * partition created again): then the bucket is read from the requested offset */
            if (r->resume && i < r->nresume && r->resume[i].offset > from &&
                r->resume[i].offset <= f->high_watermark) {
                from = r->resume[i].offset;
                skipped = r->resume[i].stored;
                f->next_offset = from;
            }
            uint64_t room = m.max_bytes > total ? m.max_bytes - total : 0;
            size_t lim = (size_t)(fb->max_bytes < room ? fb->max_bytes : room);
            if (lim == 0)
                lim = 1; /* still at least one record, as the log promises */
            if (from < f->start_offset)
                erc = strom_error_set(&errs[i], STROM_ERANGE, "offset %lld is below the log "
                                      "start offset %lld (deleted by retention)",
                                      (long long)from, (long long)f->start_offset);
            else if (from < f->high_watermark &&
                     (erc = strom_log_read_view(bk->log, from, lim, &o, v, &errs[i])) == 0) {
                f->next_offset = v->next_offset;
                f->bytes_stored = v->bytes_stored;
                f->size = (uint32_t)v->bytes_out;
                total += v->bytes_out;
                srv_count_fetch(s, v->bytes_stored, v->bytes_out);
                caught_up = caught_up && v->next_offset >= f->high_watermark;
            }
            if (erc == 0)
                f->bytes_stored += skipped;
        }
        srv_bucket_unref(bk);
        if (erc < 0) {
            f->error = (int16_t)erc;
            f->message.p = errs[i].msg;
            f->message.len = (uint16_t)strlen(errs[i].msg);
            f->size = 0;
            any_error = true;
        } else {
            f->message.p = "";
        }
    }
    /* waits only when nothing unread is left: a filter that read through fetch_scan_bytes
     * and found too little answers at once, and the reader asks again from the next offset */
    if (total < m.min_bytes && caught_up && !any_error && !r->final && m.max_wait_ms > 0) {
        r->park = true; /* the loop keeps it until an append to the table or the deadline */
        /* a bucket that sent nothing continues past the records it read (a selective filter
         * would otherwise read them all again on every wake); one that sent some reads
         * them again, as the response is rebuilt */
        if (!r->resume && (r->resume = calloc(m.n ? m.n : 1, sizeof *r->resume)))
            r->nresume = m.n;
        for (uint32_t i = 0; r->resume && i < m.n; i++)
            if (res[i].size == 0 && res[i].next_offset > r->resume[i].offset)
                r->resume[i] = (srv_resume){res[i].next_offset, res[i].bytes_stored};
    }
    r->wait_min_bytes = m.min_bytes;
    rc = srv_resp_begin(r);
    if (rc == 0)
        rc = strom_msg_fetch_resp_head_put(&r->resp, strom_schema_id(sc), m.n) ? STROM_ENOMEM : 0;
    for (uint32_t i = 0; rc == 0 && i < m.n; i++)
        rc = strom_msg_fetched_put(&r->resp, &res[i]) ? STROM_ENOMEM : 0;
    if (rc == 0 && r->h.api_version >= 1) /* records 8-aligned in the frame: decoded in place */
        rc = strom_msg_fetch_resp_pad(&r->resp);
    if (rc == 0) /* also when parking: a closing connection or shutdown sends it as built */
        resident(r, res, m.n);
    for (uint32_t i = 0; rc == 0 && i < m.n; i++) {
        if (res[i].error || res[i].size == 0)
            continue;
        strom_log_view *v = &r->views[i];
        for (int k = 0; rc == 0 && k < v->nparts; k++) {
            const strom_log_part *pp = &v->parts[k];
            if (pp->mem_off == SIZE_MAX) {
                rc = srv_resp_add(r, NULL, pp->fd, pp->pos, pp->len);
            } else {
                rc = srv_resp_add(r, v->mem.data + pp->mem_off, -1, 0, pp->len);
            }
        }
    }
    free(res);
    free(errs);
    if (rc == 0)
        rc = end_ok(r);
done:
    free(cols);
    strom_pred_free(pred);
    srv_table_unref(t);
    strom_msg_fetch_free(&m);
    return rc;
}

/* ---- ListOffsets ----------------------------------------------------------------------------- */

static int h_list_offsets(srv_server *s, srv_req *r, strom_wire_reader *rd, strom_error *err)
{
    strom_msg_offsets m;
    int rc = strom_msg_offsets_decode(rd, &m, err);
    if (rc < 0)
        return rc;
    srv_table *t = srv_table_by_id(srv_server_catalog(s), m.table_id, err);
    if (!t) {
        strom_msg_offsets_free(&m);
        return err->code;
    }
    rc = srv_resp_begin(r);
    if (rc == 0)
        rc = strom_wire_put_u32(&r->resp, m.n) ? STROM_ENOMEM : 0;
    for (uint32_t i = 0; rc == 0 && i < m.n; i++) {
        strom_error e;
        strom_error_clear(&e);
        char part[STROM_PARTITION_MAX + 1];
        srv_bucket *bk = NULL;
        int64_t off = -1;
        int erc = copy_partition(m.e[i].partition, part, &e);
        if (erc == 0)
            erc = srv_bucket_get(srv_server_catalog(s), t, part, m.e[i].bucket, false, &bk, &e);
        if (erc == 0) {
            if (m.e[i].spec == STROM_OFFSET_LATEST)
                off = strom_log_high_watermark(bk->log);
            else if (m.e[i].spec == STROM_OFFSET_EARLIEST)
                off = strom_log_start_offset(bk->log);
            else if (m.e[i].spec >= 0)
                erc = strom_log_offset_for_time(bk->log, m.e[i].spec, &off, &e);
            else
                erc = strom_error_set(&e, STROM_EINVAL, "offset spec %lld is not -1 (latest), "
                                      "-2 (earliest) or a timestamp", (long long)m.e[i].spec);
        }
        srv_bucket_unref(bk);
        rc = strom_msg_result_put(&r->resp, m.e[i].partition.p, m.e[i].partition.len,
                                  m.e[i].bucket, erc, e.msg, off);
    }
    srv_table_unref(t);
    strom_msg_offsets_free(&m);
    return rc < 0 ? rc : end_ok(r);
}

/* ---- dispatch --------------------------------------------------------------------------------- */

bool srv_handle_inline(srv_server *s, srv_req *r)
{
    if (r->h.api_key != STROM_API_LOOKUP)
        return false;
    strom_error err;
    strom_error_clear(&err);
    strom_wire_reader rd;
    strom_wire_reader_init(&rd, r->body, r->body_len);
    int rc = srv_h_lookup(s, r, &rd, true, &err);
    if (rc == 1)
        return false;
    if (rc < 0) {
        if (rc == STROM_ENOMEM && !err.msg[0])
            strom_error_set(&err, rc, "out of memory");
        srv_resp_error(r, rc, err.msg[0] ? err.msg : strom_strerror(rc));
    }
    return true;
}


void srv_handle(srv_server *s, srv_req *r)
{
    strom_error err;
    strom_error_clear(&err);
    strom_wire_reader rd;
    strom_wire_reader_init(&rd, r->body, r->body_len);
    int rc;
    switch (r->h.api_key) {
    case STROM_API_API_VERSIONS:
        rc = strom_wire_finish(&rd, &err);
        if (rc == 0 && (rc = srv_resp_begin(r)) == 0)
            rc = strom_msg_versions_put(&r->resp, "stromd " STROM_VERSION_STRING) ? STROM_ENOMEM
                                                                                 : end_ok(r);
        break;
    case STROM_API_LIST_DATABASES:
        rc = h_list_databases(s, r, &rd, &err);
        break;
    case STROM_API_CREATE_TABLE:
        rc = h_create_table(s, r, &rd, &err);
        break;
    case STROM_API_ALTER_TABLE:
        rc = h_alter_table(s, r, &rd, &err);
        break;
    case STROM_API_INIT_WRITER:
        rc = h_init_writer(s, r, &rd, &err);
        break;
    case STROM_API_PRODUCE:
        rc = h_produce(s, r, &rd, &err);
        break;
    case STROM_API_FETCH:
        rc = h_fetch(s, r, &rd, &err);
        break;
    case STROM_API_LIST_OFFSETS:
        rc = h_list_offsets(s, r, &rd, &err);
        break;
    case STROM_API_PUT_KV:
        rc = srv_h_put_kv(s, r, &rd, &err);
        break;
    case STROM_API_LOOKUP:
        rc = srv_h_lookup(s, r, &rd, false, &err);
        break;
    case STROM_API_KV_SCAN:
        rc = srv_h_kv_scan(s, r, &rd, &err);
        break;
    default:
        rc = h_names(s, r, &rd, &err);
        break;
    }
    if (rc < 0) {
        r->park = false;
        if (rc == STROM_ENOMEM && !err.msg[0])
            strom_error_set(&err, rc, "out of memory");
        srv_resp_error(r, rc, err.msg[0] ? err.msg : strom_strerror(rc));
        if (rc != STROM_ENOTFOUND && rc != STROM_EEXISTS)
            srv_log(SRV_INFO, "request failed", "api=%s corr=%u error=%s msg=\"%s\"",
                    strom_api_name(r->h.api_key), r->h.correlation_id, strom_error_name(rc),
                    err.msg);
    }
}
