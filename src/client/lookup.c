/*
 * lookup.c: strom_lookup: point and prefix lookups on primary-key tables (strom/client.h).
 *
 * Keys are staged value by value, routed like the writer routes rows (partition value, then
 * bucket by the CRC32C of the bucket-key values) and kept per (partition, bucket) in a batch
 * of the key columns. A run sends one Lookup request with one entry per destination; the
 * answer gives, per entry, the row count of each key and one record of the rows found, which
 * are put back in the order the keys were added.
 */
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "columnar/batch.h"
#include "columnar/ipc.h"
#include "columnar/value.h"
#include "common/common.h"
#include "common/fs.h"
#include "log/record.h"

typedef struct ldest {
    char partition[STROM_PARTITION_MAX + 1];
    uint32_t bucket;
    strom_batch_builder *bb;   /* key rows sent (the primary key, or the bucket key) */
    int64_t nkeys;
    uint32_t *counts;          /* after a run: rows per key */
    int64_t *first;            /* after a run: row of the entry's batch where key i starts */
    strom_batch *rows;         /* after a run: the rows found */
    strom_buf req;             /* this run's request: frame head, then the key record */
    size_t head_len;
    uint32_t corr;
    bool answered;
    strom_buf resp;            /* the answer's frame (rows point into it) */
} ldest;

struct strom_lookup {
    strom_client *c;
    strom_table_desc t;
    strom_lookup_opts o;
    char **colnames;
    int ncols;
    strom_schema *out_schema;  /* the rows returned */
    int nkey;                  /* key columns a caller gives */
    int *key_cols;             /* their table columns */
    int nsent;                 /* key columns sent: the last nsent of key_cols */
    strom_schema *sent_schema;
    strom_value *key;          /* the key being staged */
    bool *key_set;
    strom_buf key_data;        /* its string bytes */
    size_t *key_off;
    ldest *d;
    int nd, capd;
    int64_t *order_dest, *order_idx; /* key i -> destination, index within it */
    int64_t nkeys, capkeys;
    int64_t *found, *first;    /* after a run, per key */
};

void strom_lookup_opts_default(strom_lookup_opts *o)
{
    memset(o, 0, sizeof *o);
    o->limit = 1000;
}

static int nomem(strom_error *err)
{
    return strom_error_set(err, STROM_ENOMEM, "out of memory");
}

int strom_lookup_open(const char *addr, const strom_client_opts *copts, const char *db,
                      const char *table, const strom_lookup_opts *o, strom_lookup **out,
                      strom_error *err)
{
    *out = NULL;
    strom_lookup *l = calloc(1, sizeof *l);
    if (!l)
        return nomem(err);
    strom_table_desc_init(&l->t);
    if (o)
        l->o = *o;
    else
        strom_lookup_opts_default(&l->o);
    l->o.columns = NULL;
    int rc = strom_client_connect(addr, copts, &l->c, err);
    if (rc == 0)
        rc = cl_get_table(l->c, db, table, &l->t, err);
    if (rc == 0 && l->t.npk == 0)
        rc = strom_error_set(err, STROM_EINVAL, "%s.%s has no primary key: lookups need a "
                             "primary-key table", db, table);
    if (rc == 0 && l->o.prefix && l->t.nbucket_key == 0)
        rc = strom_error_set(err, STROM_EINVAL, "%s.%s has no bucket key to look up by", db,
                             table);
    if (rc == 0 && l->o.limit <= 0)
        l->o.limit = 1000;
    int n = rc == 0 ? strom_schema_ncols(l->t.schema) : 0;
    /* the returned columns */
    if (rc == 0) {
        l->ncols = o && o->columns ? o->ncolumns : n;
        int *cols = malloc(sizeof(int) * (size_t)(l->ncols + 1));
        l->colnames = calloc((size_t)l->ncols + 1, sizeof(char *));
        if (!cols || !l->colnames)
            rc = nomem(err);
        for (int i = 0; rc == 0 && i < l->ncols; i++) {
            const char *name = o && o->columns ? o->columns[i]
                                               : strom_schema_col_name(l->t.schema, i);
            if ((cols[i] = strom_schema_find(l->t.schema, name, strlen(name))) < 0)
                rc = strom_error_set(err, STROM_ENOTFOUND, "column '%s' is not in %s.%s", name,
                                     db, table);
            else if (!(l->colnames[i] = strdup(name)))
                rc = nomem(err);
        }
        if (rc == 0 && !(l->out_schema = strom_schema_project(l->t.schema, cols, l->ncols)))
            rc = nomem(err);
        free(cols);
    }
    /* the key columns: given (with the partition column first for a prefix of a partitioned
     * table) and sent */
    if (rc == 0) {
        bool part_first = l->o.prefix && l->t.partition_col >= 0;
        l->nsent = l->o.prefix ? l->t.nbucket_key : l->t.npk;
        l->nkey = l->nsent + (part_first ? 1 : 0);
        l->key_cols = calloc((size_t)l->nkey + 1, sizeof(int));
        l->key = calloc((size_t)l->nkey + 1, sizeof *l->key);
        l->key_set = calloc((size_t)l->nkey + 1, sizeof *l->key_set);
        l->key_off = calloc((size_t)l->nkey + 1, sizeof *l->key_off);
        if (!l->key_cols || !l->key || !l->key_set || !l->key_off)
            rc = nomem(err);
        for (int k = 0; rc == 0 && k < l->nsent; k++)
            l->key_cols[k + (part_first ? 1 : 0)] =
                l->o.prefix ? l->t.bucket_key[k] : l->t.pk[k];
        if (rc == 0 && part_first)
            l->key_cols[0] = l->t.partition_col;
        if (rc == 0 && !(l->sent_schema = strom_schema_project(
                             l->t.schema, l->key_cols + (part_first ? 1 : 0), l->nsent)))
            rc = nomem(err);
    }
    if (rc < 0) {
        strom_lookup_close(l);
        return rc;
    }
    *out = l;
    return 0;
}

int strom_lookup_key_count(const strom_lookup *l)
{
    return l->nkey;
}

const char *strom_lookup_key_name(const strom_lookup *l, int k)
{
    return k >= 0 && k < l->nkey ? strom_schema_col_name(l->t.schema, l->key_cols[k]) : NULL;
}

const strom_schema *strom_lookup_schema(const strom_lookup *l)
{
    return l->out_schema;
}

static int key_check(strom_lookup *l, int k, strom_error *err)
{
    if (k < 0 || k >= l->nkey)
        return strom_error_set(err, STROM_EINVAL, "key column %d is not in 0..%d", k,
                               l->nkey - 1);
    return 0;
}

int strom_lookup_set_int(strom_lookup *l, int k, int64_t v, strom_error *err)
{
    STROM_TRY(key_check(l, k, err));
    strom_type t = strom_schema_col_type(l->t.schema, l->key_cols[k]);
    int64_t lo, hi;
    strom_int_range(t.id, &lo, &hi);
    if (t.id == STROM_TYPE_BOOLEAN || t.id == STROM_TYPE_FLOAT || t.id == STROM_TYPE_DOUBLE ||
        t.id == STROM_TYPE_DECIMAL || strom_type_is_varlen(t.id))
        return strom_error_set(err, STROM_ETYPE, "key column '%s' is %s, not an integer",
                               strom_lookup_key_name(l, k), strom_type_name(t.id));
    if (v < lo || v > hi)
        return strom_error_set(err, STROM_ERANGE, "%lld is out of range for key column '%s'",
                               (long long)v, strom_lookup_key_name(l, k));
    l->key[k] = (strom_value){t.id, false, {.i = v}};
    l->key_set[k] = true;
    return 0;
}

int strom_lookup_set_bytes(strom_lookup *l, int k, const void *p, size_t n, strom_error *err)
{
    STROM_TRY(key_check(l, k, err));
    strom_type t = strom_schema_col_type(l->t.schema, l->key_cols[k]);
    if (!strom_type_is_varlen(t.id) || n > UINT32_MAX)
        return strom_error_set(err, STROM_ETYPE, "key column '%s' is %s, not STRING or BYTES",
                               strom_lookup_key_name(l, k), strom_type_name(t.id));
    l->key_off[k] = l->key_data.len;
    if (strom_buf_append(&l->key_data, p, n) != 0)
        return nomem(err);
    l->key[k] = (strom_value){t.id, false, {.s = {NULL, (uint32_t)n}}};
    l->key_set[k] = true;
    return 0;
}

int strom_lookup_set_text(strom_lookup *l, int k, const char *s, size_t n, strom_error *err)
{
    STROM_TRY(key_check(l, k, err));
    strom_type t = strom_schema_col_type(l->t.schema, l->key_cols[k]);
    if (t.id == STROM_TYPE_STRING)
        return strom_lookup_set_bytes(l, k, s, n, err);
    size_t at = l->key_data.len;
    strom_value v;
    int rc = strom_value_parse_text(t, s, n, &l->key_data, &v, err);
    if (rc < 0) {
        strom_error_prefix(err, "key column '%s'", strom_lookup_key_name(l, k));
        return rc;
    }
    if (t.id == STROM_TYPE_BYTES)
        l->key_off[k] = at;
    l->key[k] = v;
    l->key_set[k] = true;
    return 0;
}

static ldest *dest_for(strom_lookup *l, const char *part, uint32_t bucket)
{
    for (int i = 0; i < l->nd; i++)
        if (l->d[i].bucket == bucket && !strcmp(l->d[i].partition, part))
            return &l->d[i];
    if (strom_array_grow(&l->d, l->nd, &l->capd, sizeof *l->d, 4) != 0)
        return NULL;
    ldest *d = &l->d[l->nd];
    memset(d, 0, sizeof *d);
    snprintf(d->partition, sizeof d->partition, "%s", part);
    d->bucket = bucket;
    if (!(d->bb = strom_bb_new(l->sent_schema)))
        return NULL;
    l->nd++;
    return d;
}

int strom_lookup_add(strom_lookup *l, strom_error *err)
{
    int rc = 0;
    for (int k = 0; k < l->nkey && rc == 0; k++) {
        if (!l->key_set[k])
            rc = strom_error_set(err, STROM_EINVAL, "key column '%s' was not set",
                                 strom_lookup_key_name(l, k));
        else if (strom_type_is_varlen(l->key[k].type))
            l->key[k].u.s.ptr = l->key_data.data ? l->key_data.data + l->key_off[k]
                                                 : (const uint8_t *)"";
    }
    /* route: the partition value (a key column), then the bucket-key values */
    char part[STROM_PARTITION_MAX + 8] = "";
    strom_value bk[STROM_PK_MAX + 1];
    int nbk = 0;
    for (int k = 0; rc == 0 && k < l->nkey; k++) {
        int col = l->key_cols[k];
        if (col == l->t.partition_col)
            rc = strom_partition_text(&l->key[k], part, sizeof part, err);
    }
    for (int b = 0; rc == 0 && b < l->t.nbucket_key; b++)
        for (int k = 0; k < l->nkey; k++)
            if (l->key_cols[k] == l->t.bucket_key[b])
                bk[nbk++] = l->key[k];
    ldest *d = NULL;
    if (rc == 0) {
        uint32_t bucket = nbk ? cl_bucket_of(bk, nbk, l->t.buckets) : 0;
        if (!(d = dest_for(l, part, bucket)))
            rc = nomem(err);
    }
    if (rc == 0 && l->nkeys == l->capkeys) {
        int64_t cap = l->capkeys ? l->capkeys * 2 : 64;
        int64_t *a = realloc(l->order_dest, sizeof *a * (size_t)cap);
        int64_t *b = a ? realloc(l->order_idx, sizeof *b * (size_t)cap) : NULL;
        if (a)
            l->order_dest = a;
        if (b)
            l->order_idx = b;
        if (!a || !b)
            rc = nomem(err);
        else
            l->capkeys = cap;
    }
    if (rc == 0)
        rc = strom_bb_append_row(d->bb, l->key + (l->nkey - l->nsent), err);
    if (rc == 0) {
        l->order_dest[l->nkeys] = d - l->d;
        l->order_idx[l->nkeys] = d->nkeys++;
        l->nkeys++;
    }
    memset(l->key_set, 0, sizeof *l->key_set * (size_t)l->nkey);
    strom_buf_reset(&l->key_data);
    return rc;
}

static void dest_reset(ldest *d)
{
    strom_bb_reset(d->bb);
    d->nkeys = 0;
    d->answered = false;
    strom_buf_reset(&d->req);
    free(d->counts);
    free(d->first);
    strom_batch_free(d->rows);
    d->counts = NULL;
    d->first = NULL;
    d->rows = NULL;
}

/* Decodes one entry of the answer into d (counts, rows under out_schema). */
static int take_entry(strom_lookup *l, ldest *d, const strom_msg_looked *e, strom_error *err)
{
    if (e->error)
        return strom_error_set(err, e->error, "%s%sbucket %u: %.*s", d->partition,
                               d->partition[0] ? " " : "", d->bucket, (int)e->message.len,
                               e->message.p);
    if (e->nkeys != (uint32_t)d->nkeys)
        return strom_error_set(err, STROM_ECORRUPT, "Lookup answered %u of %lld keys",
                               e->nkeys, (long long)d->nkeys);
    d->counts = malloc(sizeof *d->counts * ((size_t)d->nkeys + 1));
    d->first = malloc(sizeof *d->first * ((size_t)d->nkeys + 1));
    if (!d->counts || !d->first)
        return nomem(err);
    int64_t total = 0;
    for (int64_t i = 0; i < d->nkeys; i++) {
        d->counts[i] = e->counts[i];
        d->first[i] = total;
        total += e->counts[i] > (uint64_t)l->o.limit ? l->o.limit : e->counts[i];
    }
    if (e->size == 0)
        return total == 0 ? 0 : strom_error_set(err, STROM_ECORRUPT, "rows counted, none sent");
    strom_record rec;
    int rc = strom_record_parse(e->records, e->size, &rec, err);
    if (rc != 0)
        return rc < 0 ? rc : strom_error_set(err, STROM_ECORRUPT, "truncated record");
    strom_ipc_msg m;
    if ((rc = strom_ipc_read_msg(rec.arrow, rec.arrow_len, &m, err)) == 0)
        rc = strom_ipc_decode_batch(&m, l->out_schema, l->out_schema, NULL, &d->rows, err);
    if (rc != 0)
        return rc < 0 ? rc : strom_error_set(err, STROM_ECORRUPT, "truncated record");
    if (d->rows->rows != total)
        return strom_error_set(err, STROM_ECORRUPT, "%lld rows counted, %lld sent",
                               (long long)total, (long long)d->rows->rows);
    return 0;
}

/* The rows of every destination as one result (grouped by destination; found/first say
 * where each key's rows are). */
static int assemble(strom_lookup *l, strom_result **out, strom_error *err)
{
    free(l->found);
    free(l->first);
    l->found = malloc(sizeof *l->found * ((size_t)l->nkeys + 1));
    l->first = malloc(sizeof *l->first * ((size_t)l->nkeys + 1));
    int64_t *base = malloc(sizeof *base * ((size_t)l->nd + 1));
    if (!l->found || !l->first || !base) {
        free(base);
        return nomem(err);
    }
    int64_t total = 0;
    int with_rows = 0, only = -1;
    for (int i = 0; i < l->nd; i++) {
        base[i] = total;
        if (l->d[i].rows && l->d[i].rows->rows > 0) {
            total += l->d[i].rows->rows;
            with_rows++;
            only = i;
        }
    }
    for (int64_t i = 0; i < l->nkeys; i++) {
        const ldest *d = &l->d[l->order_dest[i]];
        int64_t j = l->order_idx[i];
        l->found[i] = d->counts[j];
        l->first[i] = base[l->order_dest[i]] + d->first[j];
    }
    free(base);
    *out = NULL;
    if (total == 0)
        return 0;
    if (with_rows == 1) { /* one destination found rows: its batch as it came, no copy */
        ldest *d = &l->d[only];
        size_t n;
        uint8_t *own = strom_buf_detach(&d->resp, &n);
        if (!(*out = cl_result_own(d->rows, own, l->out_schema, d->partition, d->bucket))) {
            free(own);
            return nomem(err);
        }
        d->rows = NULL;
        return 0;
    }
    /* several: their columns appended one after another (buffer copies, no row work) */
    strom_batch_builder *bb = strom_bb_new(l->out_schema);
    int rc = bb ? 0 : nomem(err);
    for (int i = 0; rc == 0 && i < l->nd; i++) {
        const strom_batch *r = l->d[i].rows;
        for (int c = 0; rc == 0 && r && r->rows > 0 && c < l->ncols; c++)
            if ((rc = strom_bb_append_column(bb, c, &r->cols[c], 0, r->rows)) < 0)
                strom_error_set(err, rc, "joining the rows of the buckets");
    }
    strom_buf msg = STROM_BUF_INIT;
    strom_batch_stats st;
    strom_batch *b = NULL;
    if (rc == 0 && (rc = strom_bb_seal(bb, NULL, &msg, &st, err)) == 0) {
        strom_batch_stats_free(&st);
        strom_ipc_msg m;
        if ((rc = strom_ipc_read_msg(msg.data, msg.len, &m, err)) == 0)
            rc = strom_ipc_decode_batch(&m, l->out_schema, l->out_schema, NULL, &b, err);
        if (rc > 0)
            rc = strom_error_set(err, STROM_ECORRUPT, "truncated batch");
    }
    if (rc == 0) {
        size_t n;
        uint8_t *own = strom_buf_detach(&msg, &n);
        if (!(*out = cl_result_own(b, own, l->out_schema, "", 0))) {
            free(own);
            strom_batch_free(b);
            rc = nomem(err);
        }
    }
    strom_buf_free(&msg);
    strom_bb_free(bb);
    return rc;
}

/* Builds dest d's Lookup request (one entry: its keys) into d->req. */
static int build_request(strom_lookup *l, ldest *d, const strom_msg_str *cols, strom_error *err)
{
    strom_buf arrow = STROM_BUF_INIT, rec = STROM_BUF_INIT;
    strom_batch_stats st;
    int rc = strom_bb_seal(d->bb, NULL, &arrow, &st, err);
    if (rc == 0) {
        strom_record_info info = {0, (int32_t)(d->nkeys - 1), 0, strom_now_ms(), 0,
                                  strom_schema_id(l->t.schema), -1, -1, (int32_t)d->nkeys};
        rc = strom_record_write(&rec, &info, &st, NULL, arrow.data, arrow.len, err);
        strom_batch_stats_free(&st);
    }
    strom_msg_produce_entry e = {{d->partition, (uint16_t)strlen(d->partition)}, d->bucket,
                                 (uint32_t)rec.len, NULL};
    strom_msg_lookup m = {l->t.table_id, l->o.prefix ? 1 : 0, (uint32_t)l->o.limit,
                          (uint32_t)l->ncols, (strom_msg_str *)cols, 1, &e};
    if (rc == 0 && ((rc = cl_begin(l->c, STROM_API_LOOKUP)) < 0 ||
                    (rc = strom_msg_lookup_encode(&l->c->req, &m)) < 0))
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    strom_buf_reset(&d->req);
    if (rc == 0 && (strom_buf_append(&d->req, l->c->req.data, l->c->req.len) != 0 ||
                    strom_buf_append(&d->req, rec.data, rec.len) != 0))
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    if (rc == 0) {
        d->head_len = l->c->req.len;
        strom_st32(d->req.data, (uint32_t)(d->req.len - 4));
        d->corr = strom_ld32(d->req.data + 8);
    }
    strom_buf_free(&arrow);
    strom_buf_free(&rec);
    return rc;
}

/* Sends the requests of every destination not answered yet. */
static int send_pending(strom_lookup *l, strom_error *err)
{
    for (int i = 0; i < l->nd; i++) {
        ldest *d = &l->d[i];
        if (d->nkeys == 0 || d->answered)
            continue;
        STROM_TRY(cl_send(l->c, d->req.data, d->req.len, NULL, 0, err));
    }
    return 0;
}

int strom_lookup_run(strom_lookup *l, strom_result **rows, strom_error *err)
{
    /* one request per bucket, all sent before any answer is read: the server looks them up
     * on several workers at once */
    *rows = NULL;
    strom_msg_str *cols = calloc((size_t)l->ncols + 1, sizeof *cols);
    int rc = cols ? 0 : nomem(err), pending = 0;
    for (int i = 0; i < l->ncols && rc == 0; i++)
        cols[i] = (strom_msg_str){l->colnames[i], (uint16_t)strlen(l->colnames[i])};
    for (int i = 0; rc == 0 && i < l->nd; i++)
        if (l->d[i].nkeys > 0) {
            rc = build_request(l, &l->d[i], cols, err);
            pending++;
        }
    int attempt = 0, backoff = l->c->o.retry_backoff_ms;
    bool sent = false;
    while (rc == 0 && pending > 0) {
        if (!sent) {
            if (l->c->fd < 0 && (rc = cl_reconnect(l->c, err)) < 0) {
                if (attempt++ < l->c->o.retries) {
                    struct timespec ts = {backoff / 1000, (long)(backoff % 1000) * 1000000};
                    nanosleep(&ts, NULL);
                    backoff *= 2;
                    rc = 0;
                }
                continue;
            }
            if ((rc = send_pending(l, err)) < 0) {
                rc = attempt++ < l->c->o.retries ? 0 : rc; /* reconnect and send again */
                continue;
            }
            sent = true;
        }
        strom_wire_reader rd;
        strom_response_header h;
        if ((rc = cl_recv(l->c, l->c->o.request_timeout_ms, &rd, &h, err)) < 0) {
            if (rc == STROM_EIO && attempt++ < l->c->o.retries) {
                rc = 0; /* lookups are idempotent: ask again for the unanswered ones */
                sent = false;
            }
            continue;
        }
        ldest *d = NULL;
        for (int i = 0; i < l->nd && !d; i++)
            if (l->d[i].nkeys > 0 && !l->d[i].answered && l->d[i].corr == h.correlation_id)
                d = &l->d[i];
        if (!d) {
            rc = strom_error_set(err, STROM_ECORRUPT, "an answer to request %u, which is not "
                                 "in flight", h.correlation_id);
            break;
        }
        d->answered = true;
        pending--;
        if (h.error_code) {
            strom_msg_str msg;
            msg.p = strom_wire_str(&rd, &msg.len, "error message");
            rc = strom_error_set(err, -(int)h.error_code, "%.*s", msg.p ? (int)msg.len : 0,
                                 msg.p ? msg.p : "");
            break;
        }
        /* the rows will point into the frame: it moves to the destination */
        strom_buf_free(&d->resp);
        size_t at = (size_t)(rd.p + rd.pos - l->c->resp.data), n = rd.n - rd.pos;
        d->resp = l->c->resp;
        strom_buf_init(&l->c->resp);
        strom_wire_reader_init(&rd, d->resp.data + at, n);
        strom_msg_lookup_resp resp;
        if ((rc = strom_msg_lookup_resp_decode(&rd, &resp, err)) < 0)
            break;
        if (resp.n != 1)
            rc = strom_error_set(err, STROM_ECORRUPT, "Lookup answered %u buckets of 1", resp.n);
        else
            rc = take_entry(l, d, &resp.v[0], err);
        strom_msg_lookup_resp_free(&resp);
    }
    if (rc == 0)
        rc = assemble(l, rows, err);
    if (rc < 0 && pending > 0)
        cl_disconnect(l->c); /* answers still due would be taken for the next run's */
    for (int i = 0; i < l->nd; i++)
        dest_reset(&l->d[i]);
    l->nkeys = 0;
    free(cols);
    return rc;
}

int64_t strom_lookup_found(const strom_lookup *l, int64_t key, int64_t *first)
{
    if (!l->found || key < 0)
        return 0;
    if (first)
        *first = l->first[key];
    return l->found[key];
}

void strom_lookup_close(strom_lookup *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->nd; i++) {
        dest_reset(&l->d[i]);
        strom_bb_free(l->d[i].bb);
        strom_buf_free(&l->d[i].req);
        strom_buf_free(&l->d[i].resp);
    }
    free(l->d);
    for (int i = 0; l->colnames && i < l->ncols; i++)
        free(l->colnames[i]);
    free(l->colnames);
    strom_schema_free(l->out_schema);
    strom_schema_free(l->sent_schema);
    free(l->key_cols);
    free(l->key);
    free(l->key_set);
    free(l->key_off);
    strom_buf_free(&l->key_data);
    free(l->order_dest);
    free(l->order_idx);
    free(l->found);
    free(l->first);
    strom_table_desc_free(&l->t);
    strom_client_close(l->c);
    free(l);
}
