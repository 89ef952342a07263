/*
 * writer.c: strom_writer: rows -> per-(partition, bucket) Arrow batches -> Produce requests
 * with an idempotent writer id and per-bucket batch sequences (strom/client.h).
 *
 * A row is staged column by column, checked whole at end_row, routed (partition value, then
 * bucket by the bucket key's hash, or round robin per batch without a key) and appended to
 * the batch builder of its destination. A destination is sent when its data reaches
 * batch_bytes, when linger_ms has passed since its first row (checked at every row and by
 * strom_writer_poll), and by strom_writer_flush. One Produce request carries every batch that
 * is due; it is retried over a new connection after a connection failure, and the server
 * acknowledges a resent batch (same writer id and sequence) with its original offset instead
 * of appending it again.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client_internal.h"
#include "columnar/arrow_c_export.h"
#include "columnar/batch.h"
#include "columnar/value.h"
#include "common/common.h"
#include "common/fs.h"
#include "log/record.h"

#define MAX_IN_FLIGHT 64 /* the largest max_in_flight */

typedef struct wdest {
    char partition[STROM_PARTITION_MAX + 1];
    uint32_t bucket;
    strom_batch_builder *bb;
    strom_buf types;         /* primary-key tables: change type per row (+U upsert, -D) */
    int64_t first_ms;        /* monotonic time of the first buffered row, 0 = empty */
    int32_t seq;             /* sequence of the next batch */
} wdest;

/* A Produce request sent and not yet answered: kept whole, to resend after a reconnect. */
typedef struct wreq {
    strom_buf head;          /* frame size, request header, fields */
    strom_buf recs;          /* the records, in entry order */
    int n;
    int *dest;               /* entry -> destination index */
    int64_t *rows;           /* entry -> rows */
    uint32_t corr;
    struct wreq *next;
} wreq;

struct strom_writer {
    strom_client *c;
    strom_table_desc t;
    strom_writer_opts o;
    int64_t writer_id;
    int ncols;
    strom_type *types;       /* column types, cached (the setters run per value) */
    strom_value *row;
    size_t *row_off;         /* STRING/BYTES: offset of the value in row_data */
    bool *row_set;
    int nset;                /* columns of the staged row set (row_set true) */
    int64_t coarse_res_ms;   /* resolution of the coarse clock (linger checks) */
    bool has_var;            /* the table has STRING/BYTES columns */
    strom_buf row_data;
    wdest *d;
    int nd, capd;
    uint32_t rr;
    int64_t acked, pending, dropped;
    wreq *fly_head, *fly_tail; /* in flight, oldest first */
    int nfly;
    bool renew_id;           /* a batch was refused: sequences restart under a new writer id */
    bool pk;                 /* a primary-key table: PutKv with change types */
    bool *written;           /* pk partial updates: the columns written (NULL = all) */
    strom_msg_str *colnames; /* ... and their names for the request */
    strom_error async_err;   /* the first error of a batch found after its call returned */
};

void strom_writer_opts_default(strom_writer_opts *o)
{
    memset(o, 0, sizeof *o);
    o->linger_ms = 5;
    o->batch_bytes = 1u << 20;
    o->compression = STROM_COMPRESSION_NONE;
    o->acks = true;
    o->max_in_flight = 8;
}

const strom_schema *strom_writer_schema(const strom_writer *w)
{
    return w->t.schema;
}

const strom_table_desc *strom_writer_table(const strom_writer *w)
{
    return &w->t;
}

int64_t strom_writer_rows_acked(const strom_writer *w)
{
    return w->acked;
}

int64_t strom_writer_rows_pending(const strom_writer *w)
{
    return w->pending;
}

int64_t strom_writer_rows_dropped(const strom_writer *w)
{
    return w->dropped;
}

static void row_clear(strom_writer *w)
{
    memset(w->row_set, 0, sizeof *w->row_set * (size_t)w->ncols);
    w->nset = 0;
    strom_buf_reset(&w->row_data);
}

/* The partial-update column list (opts.columns) as a mask and request names. */
static int written_columns(strom_writer *w, strom_error *err)
{
    int n = strom_schema_ncols(w->t.schema);
    if (!w->pk)
        return strom_error_set(err, STROM_EINVAL, "a column list (partial update) needs a "
                               "primary-key table; %s.%s is a log table", w->t.database,
                               w->t.table);
    w->written = calloc((size_t)n, sizeof *w->written);
    w->colnames = calloc((size_t)w->o.ncolumns, sizeof *w->colnames);
    if (!w->written || !w->colnames)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (int i = 0; i < w->o.ncolumns; i++) {
        const char *name = w->o.columns[i];
        int c = name ? strom_schema_find(w->t.schema, name, strlen(name)) : -1;
        if (c < 0)
            return strom_error_set(err, STROM_ENOTFOUND, "column '%s' is not in %s.%s",
                                   name ? name : "(null)", w->t.database, w->t.table);
        w->written[c] = true;
        w->colnames[i] = (strom_msg_str){strom_schema_col_name(w->t.schema, c),
                                         (uint16_t)strlen(name)};
    }
    for (int i = 0; i < w->t.npk; i++)
        if (!w->written[w->t.pk[i]])
            return strom_error_set(err, STROM_EINVAL, "a partial update must write key column "
                                   "'%s'", strom_schema_col_name(w->t.schema, w->t.pk[i]));
    for (int c = 0; c < n; c++)
        if (!w->written[c] && !strom_schema_col_nullable(w->t.schema, c))
            return strom_error_set(err, STROM_EINVAL, "a partial update must write NOT NULL "
                                   "column '%s'", strom_schema_col_name(w->t.schema, c));
    return 0;
}

int strom_writer_open(const char *addr, const strom_client_opts *copts, const char *db,
                      const char *table, const strom_writer_opts *o, strom_writer **out,
                      strom_error *err)
{
    strom_writer *w = calloc(1, sizeof *w);
    if (!w)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    strom_table_desc_init(&w->t);
    if (o)
        w->o = *o;
    else
        strom_writer_opts_default(&w->o);
    if (w->o.max_in_flight < 1 || w->o.max_in_flight > MAX_IN_FLIGHT) {
        int n = w->o.max_in_flight;
        free(w);
        return strom_error_set(err, STROM_EINVAL, "writer option max_in_flight is %d; it must "
                               "be 1..%d", n, MAX_IN_FLIGHT);
    }
    int rc = strom_client_connect(addr, copts, &w->c, err);
    if (rc == 0)
        rc = cl_get_table(w->c, db, table, &w->t, err);
    if (rc == 0 && w->o.acks) {
        strom_wire_reader rd;
        if ((rc = cl_begin(w->c, STROM_API_INIT_WRITER)) == 0 &&
            (rc = cl_call(w->c, NULL, 0, false, 0, false, &rd, err)) == 0) {
            w->writer_id = (int64_t)strom_wire_u64(&rd, "writer id");
            rc = strom_wire_finish(&rd, err);
        }
    } else {
        w->writer_id = -1;
    }
    w->pk = rc == 0 && w->t.npk > 0;
    if (rc == 0 && w->pk && !w->o.acks)
        rc = strom_error_set(err, STROM_EINVAL, "table %s.%s has a primary key: its writes are "
                             "always acknowledged (acks none is for log tables)", db, table);
    if (rc == 0 && w->o.ncolumns > 0)
        rc = written_columns(w, err);
    if (rc == 0) {
        w->ncols = strom_schema_ncols(w->t.schema);
        w->types = calloc((size_t)w->ncols + 1, sizeof *w->types);
        for (int i = 0; w->types && i < w->ncols; i++) {
            w->types[i] = strom_schema_col_type(w->t.schema, i);
            w->has_var = w->has_var || strom_type_is_varlen(w->types[i].id);
        }
        w->row = calloc((size_t)w->ncols, sizeof *w->row);
        w->row_off = calloc((size_t)w->ncols, sizeof *w->row_off);
        w->row_set = calloc((size_t)w->ncols, sizeof *w->row_set);
        if (!w->types || !w->row || !w->row_off || !w->row_set)
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    }
    if (rc < 0) {
        strom_client_close(w->c);
        w->c = NULL;
        strom_writer_close(w, NULL);
        return rc;
    }
    w->rr = (uint32_t)(strom_now_ms() % w->t.buckets);
    w->coarse_res_ms = strom_mono_coarse_res_ms();
    *out = w;
    return 0;
}

/* ---- staging a row ------------------------------------------------------------------------- */

static int col_check(strom_writer *w, int col, strom_error *err)
{
    if (col < 0 || col >= w->ncols)
        return strom_error_set(err, STROM_EINVAL, "column %d is not in the table (0..%d)", col,
                               w->ncols - 1);
    return 0;
}

static int type_err(strom_writer *w, int col, const char *what, strom_error *err)
{
    return strom_error_set(err, STROM_ETYPE, "column '%s' is %s, not %s",
                           strom_schema_col_name(w->t.schema, col),
                           strom_type_name(strom_schema_col_type(w->t.schema, col).id), what);
}

static void stage(strom_writer *w, int col, const strom_value *v)
{
    w->row[col] = *v;
    w->nset += !w->row_set[col];
    w->row_set[col] = true;
}

int strom_writer_set_null(strom_writer *w, int col, strom_error *err)
{
    int rc = col_check(w, col, err);
    if (rc < 0)
        return rc;
    if (!strom_schema_col_nullable(w->t.schema, col))
        return strom_error_set(err, STROM_EINVAL, "column '%s' is NOT NULL",
                               strom_schema_col_name(w->t.schema, col));
    strom_value v = {strom_schema_col_type(w->t.schema, col).id, true, {0}};
    stage(w, col, &v);
    return 0;
}

int strom_writer_set_bool(strom_writer *w, int col, bool b, strom_error *err)
{
    int rc = col_check(w, col, err);
    if (rc < 0)
        return rc;
    if (strom_schema_col_type(w->t.schema, col).id != STROM_TYPE_BOOLEAN)
        return type_err(w, col, "BOOLEAN", err);
    strom_value v = {STROM_TYPE_BOOLEAN, false, {.b = b}};
    stage(w, col, &v);
    return 0;
}

/* set_int for every type but BIGINT (range checks, DECIMAL scaling, type errors) */
static __attribute__((noinline)) int set_int_checked(strom_writer *w, int col, int64_t i,
                                                     strom_error *err)
{
    int rc = col_check(w, col, err);
    if (rc < 0)
        return rc;
    strom_type t = w->types[col];
    strom_value v = {t.id, false, {.i = i}};
    int64_t lo, hi;
    strom_int_range(t.id, &lo, &hi);
    switch (t.id) {
    case STROM_TYPE_BIGINT:
    case STROM_TYPE_TINYINT:
    case STROM_TYPE_SMALLINT:
    case STROM_TYPE_INT:
    case STROM_TYPE_DATE:
    case STROM_TYPE_TIME:
    case STROM_TYPE_TIMESTAMP:
    case STROM_TYPE_TIMESTAMP_LTZ:
        break;
    case STROM_TYPE_DECIMAL:
        v.u.d = (strom_i128)i;
        for (int k = 0; k < t.scale; k++)
            v.u.d *= 10;
        if (!strom_decimal_fits(v.u.d, t.precision))
            return strom_error_set(err, STROM_ERANGE, "%lld does not fit column '%s' (%s)",
                                   (long long)i, strom_schema_col_name(w->t.schema, col),
                                   "DECIMAL precision");
        stage(w, col, &v);
        return 0;
    default:
        return type_err(w, col, "an integer", err);
    }
    if (i < lo || i > hi)
        return strom_error_set(err, STROM_ERANGE, "%lld is out of range for column '%s' (%s)",
                               (long long)i, strom_schema_col_name(w->t.schema, col),
                               strom_type_name(t.id));
    stage(w, col, &v);
    return 0;
}

int strom_writer_set_int(strom_writer *w, int col, int64_t i, strom_error *err)
{
    if (col >= 0 && col < w->ncols && w->types[col].id == STROM_TYPE_BIGINT) {
        /* the common case, without a stack frame */
        w->row[col] = (strom_value){STROM_TYPE_BIGINT, false, {.i = i}};
        w->nset += !w->row_set[col];
        w->row_set[col] = true;
        return 0;
    }
    return set_int_checked(w, col, i, err);
}

int strom_writer_set_double(strom_writer *w, int col, double f, strom_error *err)
{
    int rc = col_check(w, col, err);
    if (rc < 0)
        return rc;
    strom_type_id t = strom_schema_col_type(w->t.schema, col).id;
    if (t != STROM_TYPE_FLOAT && t != STROM_TYPE_DOUBLE)
        return type_err(w, col, "FLOAT or DOUBLE", err);
    strom_value v = {t, false, {.f = t == STROM_TYPE_FLOAT ? (double)(float)f : f}};
    stage(w, col, &v);
    return 0;
}

int strom_writer_set_bytes(strom_writer *w, int col, const void *p, size_t n, strom_error *err)
{
    int rc = col_check(w, col, err);
    if (rc < 0)
        return rc;
    strom_type_id t = strom_schema_col_type(w->t.schema, col).id;
    if (t != STROM_TYPE_STRING && t != STROM_TYPE_BYTES)
        return type_err(w, col, "STRING or BYTES", err);
    if (n > UINT32_MAX)
        return strom_error_set(err, STROM_ELIMIT, "value of %zu bytes", n);
    w->row_off[col] = w->row_data.len;
    if (strom_buf_append(&w->row_data, p, n) != 0)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    strom_value v = {t, false, {.s = {NULL, (uint32_t)n}}};
    stage(w, col, &v);
    return 0;
}

int strom_writer_set_text(strom_writer *w, int col, const char *s, size_t n, strom_error *err)
{
    int rc = col_check(w, col, err);
    if (rc < 0)
        return rc;
    strom_type t = w->types[col];
    if (t.id == STROM_TYPE_STRING) /* kept as given: copied into the row */
        return strom_writer_set_bytes(w, col, s, n, err);
    /* the one parser of the text form (columnar/value.h); decoded BYTES go to the row's data */
    size_t at = w->row_data.len;
    if (strom_buf_reserve(&w->row_data, n / 2 + 1) != 0)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    strom_value v;
    if ((rc = strom_value_parse_text(t, s, n, &w->row_data, &v, err)) < 0) {
        strom_error_prefix(err, "column '%s'", strom_schema_col_name(w->t.schema, col));
        return rc;
    }
    if (t.id == STROM_TYPE_BYTES)
        w->row_off[col] = at; /* the pointer is set at end_row: row_data may still move */
    stage(w, col, &v);
    return 0;
}

/* ---- routing and sending ------------------------------------------------------------------------- */

static wdest *dest_for(strom_writer *w, const char *partition, uint32_t bucket)
{
    for (int i = 0; i < w->nd; i++)
        if (w->d[i].bucket == bucket && !strcmp(w->d[i].partition, partition))
            return &w->d[i];
    if (strom_array_grow(&w->d, w->nd, &w->capd, sizeof *w->d, 8) != 0)
        return NULL;
    wdest *d = &w->d[w->nd];
    memset(d, 0, sizeof *d);
    snprintf(d->partition, sizeof d->partition, "%s", partition);
    d->bucket = bucket;
    if (!(d->bb = strom_bb_new(w->t.schema)))
        return NULL;
    w->nd++;
    return d;
}

#define MAX_ENTRIES 60 /* batches per Produce request (and iovecs per writev) */

static void wreq_free(wreq *q)
{
    if (!q)
        return;
    strom_buf_free(&q->head);
    strom_buf_free(&q->recs);
    free(q->dest);
    free(q->rows);
    free(q);
}

/* Records the first asynchronous error (reported by flush, poll and close). */
static void async_error(strom_writer *w, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void async_error(strom_writer *w, int code, const char *fmt, ...)
{
    if (w->async_err.code)
        return;
    va_list ap;
    va_start(ap, fmt);
    w->async_err.code = code;
    vsnprintf(w->async_err.msg, sizeof w->async_err.msg, fmt, ap);
    va_end(ap);
}

/* Reconnects and resends every request in flight, in order (the server acknowledges a batch
 * it already has with its original offset: same writer id and sequence). */
static int resend_all(strom_writer *w, strom_error *err)
{
    int backoff = w->c->o.retry_backoff_ms, rc = STROM_EIO;
    for (int a = 0; a <= w->c->o.retries; a++) {
        if (a > 0) {
            struct timespec ts = {backoff / 1000, (long)(backoff % 1000) * 1000000};
            nanosleep(&ts, NULL);
            backoff *= 2;
        }
        if ((rc = cl_reconnect(w->c, err)) < 0)
            continue;
        rc = 0;
        for (wreq *q = w->fly_head; q && rc == 0; q = q->next) {
            struct iovec iov = {q->recs.data, q->recs.len};
            rc = cl_send(w->c, q->head.data, q->head.len, &iov, 1, err);
        }
        if (rc == 0)
            return 0;
    }
    return rc;
}

/* Reads one answer and settles its request. */
static int read_one(strom_writer *w, strom_error *err)
{
    strom_wire_reader rd;
    strom_response_header h;
    int rc;
    while ((rc = cl_recv(w->c, w->c->o.request_timeout_ms, &rd, &h, err)) == STROM_EIO ||
           rc == STROM_ECORRUPT) {
        if ((rc = resend_all(w, err)) < 0)
            return rc;
    }
    if (rc < 0)
        return rc;
    wreq **pp = &w->fly_head, *prev = NULL;
    while (*pp && (*pp)->corr != h.correlation_id) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    wreq *q = *pp;
    if (!q)
        return strom_error_set(err, STROM_ECORRUPT, "an answer to request %u, which is not in "
                               "flight", h.correlation_id);
    *pp = q->next;
    if (w->fly_tail == q)
        w->fly_tail = prev;
    w->nfly--;
    strom_msg_results res = {0, NULL};
    if (h.error_code) {
        strom_msg_str m;
        m.p = strom_wire_str(&rd, &m.len, "error message");
        int code = -(int)h.error_code;
        for (int k = 0; k < q->n; k++) {
            w->pending -= q->rows[k];
            w->dropped += q->rows[k];
        }
        async_error(w, code, "Produce refused: %.*s", m.p ? (int)m.len : 0, m.p ? m.p : "");
        w->renew_id = true;
    } else if ((rc = strom_msg_results_decode(&rd, &res, err)) < 0 || res.n != (uint32_t)q->n) {
        if (rc == 0)
            rc = strom_error_set(err, STROM_ECORRUPT, "Produce answered %u of %d entries",
                                 res.n, q->n);
        strom_msg_results_free(&res);
        wreq_free(q);
        return rc;
    } else {
        for (int k = 0; k < q->n; k++) {
            wdest *d = &w->d[q->dest[k]];
            w->pending -= q->rows[k];
            if (res.v[k].error) {
                /* refused: nothing of the batch was appended; its rows are dropped and
                 * reported, and later sequences restart under a new writer id */
                w->dropped += q->rows[k];
                w->renew_id = true;
                async_error(w, res.v[k].error, "%s%s%sbucket %u: %.*s (%lld rows dropped)",
                            d->partition[0] ? "partition " : "", d->partition,
                            d->partition[0] ? ", " : "", d->bucket, (int)res.v[k].message.len,
                            res.v[k].message.p, (long long)q->rows[k]);
            } else {
                w->acked += q->rows[k];
            }
        }
    }
    strom_msg_results_free(&res);
    wreq_free(q);
    return 0;
}

static int drain(strom_writer *w, int keep, strom_error *err)
{
    int rc = 0;
    while (rc == 0 && w->nfly > keep)
        rc = read_one(w, err);
    return rc;
}

/* After a refused batch: wait for what is in flight, then take a new writer id. */
static int renew_writer_id(strom_writer *w, strom_error *err)
{
    int rc = drain(w, 0, err);
    strom_wire_reader rd;
    if (rc == 0 && (rc = cl_begin(w->c, STROM_API_INIT_WRITER)) == 0 &&
        (rc = cl_call(w->c, NULL, 0, false, 0, false, &rd, err)) == 0) {
        w->writer_id = (int64_t)strom_wire_u64(&rd, "writer id");
        for (int i = 0; i < w->nd; i++)
            w->d[i].seq = 0;
        w->renew_id = false;
    }
    return rc;
}

/* Seals d's buffered rows as one record (the destination's next sequence) onto q. */
static int seal_into(strom_writer *w, wdest *d, wreq *q, strom_error *err)
{
    int64_t rows = strom_bb_rows(d->bb);
    strom_seal_opts so = {(strom_codec)w->o.compression, 0};
    strom_buf arrow = STROM_BUF_INIT;
    strom_batch_stats st;
    int rc = strom_bb_seal(d->bb, &so, &arrow, &st, err);
    if (rc < 0)
        return rc;
    strom_record_info info = {0, (int32_t)(rows - 1), w->pk ? STROM_RECORD_CHANGELOG : 0,
                              strom_now_ms(), 0, strom_schema_id(w->t.schema), w->writer_id,
                              w->writer_id >= 0 ? d->seq++ : -1, (int32_t)rows};
    rc = strom_record_write(&q->recs, &info, &st, w->pk ? d->types.data : NULL, arrow.data,
                            arrow.len, err);
    strom_batch_stats_free(&st);
    strom_buf_free(&arrow);
    strom_bb_reset(d->bb);
    strom_buf_reset(&d->types);
    d->first_ms = 0;
    q->rows[q->n] = rows;
    return rc;
}

/* Sends one Produce request with up to MAX_ENTRIES due destinations (all non-empty ones with
 * `all`), without waiting for its answer; *more tells whether some were left. */
static int send_some(strom_writer *w, bool all, bool *more, strom_error *err)
{
    int64_t now = strom_mono_ms();
    int rc = 0;
    if (w->renew_id && w->writer_id >= 0 && (rc = renew_writer_id(w, err)) < 0)
        return rc;
    /* settle the answers already there; with every slot taken, due batches keep collecting
     * rows (adaptive batching) unless one has reached batch_bytes or this is a flush */
    while (w->nfly > 0 && cl_wait_readable(w->c, 0))
        if ((rc = read_one(w, err)) < 0)
            return rc;
    if (w->nfly >= w->o.max_in_flight) {
        bool full = all;
        for (int i = 0; i < w->nd && !full; i++)
            full = strom_bb_bytes(w->d[i].bb) >= w->o.batch_bytes;
        if (!full)
            return 0;
        if ((rc = drain(w, w->o.max_in_flight - 1, err)) < 0)
            return rc;
    }
    wreq *q = calloc(1, sizeof *q);
    strom_msg_produce_entry *e = calloc((size_t)w->nd + 1, sizeof *e);
    if (q) {
        q->dest = malloc(sizeof(int) * (size_t)(w->nd + 1));
        q->rows = malloc(sizeof(int64_t) * (size_t)(w->nd + 1));
    }
    if (!q || !e || !q->dest || !q->rows) {
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < w->nd && rc == 0; i++) {
        wdest *d = &w->d[i];
        if (strom_bb_rows(d->bb) == 0)
            continue;
        if (!all && strom_bb_bytes(d->bb) < w->o.batch_bytes &&
            now - d->first_ms < w->o.linger_ms)
            continue;
        if (q->n == MAX_ENTRIES || q->recs.len > (STROM_FRAME_MAX / 4) * 3) {
            *more = true;
            break;
        }
        size_t at = q->recs.len;
        if ((rc = seal_into(w, d, q, err)) < 0)
            break;
        e[q->n].partition = (strom_msg_str){d->partition, (uint16_t)strlen(d->partition)};
        e[q->n].bucket = d->bucket;
        e[q->n].size = (uint32_t)(q->recs.len - at);
        q->dest[q->n++] = i;
    }
    if (rc < 0 || q->n == 0)
        goto done;
    strom_msg_produce m = {w->t.table_id, w->o.acks ? STROM_ACKS_DURABLE : STROM_ACKS_NONE,
                           (uint32_t)w->c->o.request_timeout_ms, (uint32_t)q->n, e};
    strom_msg_put_kv pm = {w->t.table_id, (uint32_t)w->c->o.request_timeout_ms,
                           w->written ? (uint32_t)w->o.ncolumns : 0, w->colnames,
                           (uint32_t)q->n, e};
    if ((rc = cl_begin(w->c, w->pk ? STROM_API_PUT_KV : STROM_API_PRODUCE)) < 0 ||
        (rc = w->pk ? strom_msg_put_kv_encode(&w->c->req, &pm)
                    : strom_msg_produce_encode(&w->c->req, &m)) < 0 ||
        strom_buf_append(&q->head, w->c->req.data, w->c->req.len) != 0) {
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        goto done;
    }
    size_t total = q->head.len - 4 + q->recs.len;
    strom_st32(q->head.data, (uint32_t)total);
    q->corr = strom_ld32(q->head.data + 8);
    if (w->t.nbucket_key == 0)
        w->rr = (w->rr + 1) % w->t.buckets; /* the next batches go to the next bucket */
    struct iovec iov = {q->recs.data, q->recs.len};
    if (!w->o.acks) {
        /* fire and forget: no answer comes, nothing to resend */
        if ((rc = cl_send(w->c, q->head.data, q->head.len, &iov, 1, err)) < 0 &&
            (rc = cl_reconnect(w->c, err)) == 0)
            rc = cl_send(w->c, q->head.data, q->head.len, &iov, 1, err);
        for (int k = 0; k < q->n; k++) {
            w->pending -= q->rows[k];
            if (rc == 0)
                w->acked += q->rows[k];
            else
                w->dropped += q->rows[k];
        }
        q->n = 0; /* settled */
        goto done;
    }
    /* in flight from here on: resent after a reconnect until answered */
    q->next = NULL;
    if (w->fly_tail)
        w->fly_tail->next = q;
    else
        w->fly_head = q;
    w->fly_tail = q;
    w->nfly++;
    wreq *sent = q;
    q = NULL;
    if (cl_send(w->c, sent->head.data, sent->head.len, &iov, 1, err) < 0 &&
        (rc = resend_all(w, err)) < 0)
        goto done;
done:
    if (q && q->n > 0) {
        /* sealed but never sent (out of memory while building the request): the rows are
         * gone from their builders, so they are counted as dropped and said so */
        int64_t lost = 0;
        for (int k = 0; k < q->n; k++)
            lost += q->rows[k];
        w->pending -= lost;
        w->dropped += lost;
        if (rc < 0 && err)
            strom_error_prefix(err, "%lld rows dropped", (long long)lost);
    }
    wreq_free(q);
    free(e);
    return rc;
}

/* Returns (and clears) the first asynchronous error. */
static int take_async_error(strom_writer *w, strom_error *err)
{
    if (!w->async_err.code)
        return 0;
    int code = w->async_err.code;
    if (err)
        *err = w->async_err;
    strom_error_clear(&w->async_err);
    return code;
}

static int send_due(strom_writer *w, bool all, strom_error *err)
{
    bool more = true;
    int rc = 0;
    while (rc == 0 && more) {
        more = false;
        rc = send_some(w, all, &more, err);
    }
    return rc;
}

static int write_values(strom_writer *w, const strom_value *row, uint8_t type,
                        strom_error *err);

static bool is_key_col(const strom_writer *w, int col)
{
    for (int i = 0; i < w->t.npk; i++)
        if (w->t.pk[i] == col)
            return true;
    return false;
}

/* Ends the staged row as an upsert (or a plain row) or, with `del`, a delete. */
static int end_row(strom_writer *w, bool del, strom_error *err)
{
    int rc = 0;
    if (!del && !w->written && !w->has_var && w->nset == w->ncols) {
        /* every column set, no strings to point into row_data: the row is ready as it is */
        rc = write_values(w, w->row, STROM_CHANGE_UPDATE_AFTER, err);
        row_clear(w);
        return rc;
    }
    if (del && !w->pk) {
        row_clear(w);
        return strom_error_set(err, STROM_EINVAL, "%s.%s is a log table: rows cannot be "
                               "deleted", w->t.database, w->t.table);
    }
    for (int i = 0; i < w->ncols; i++) {
        /* a delete sends its key (and, versioned, its version: the delete wins only over a
         * stored row of the same or a lower version) */
        bool skip = (del && !is_key_col(w, i) && i != w->t.version_col) ||
                    (w->written && !w->written[i]);
        if (del && i == w->t.version_col && !w->row_set[i]) {
            rc = strom_error_set(err, STROM_EINVAL, "a delete from versioned table %s.%s needs "
                                 "the version column '%s'", w->t.database, w->t.table,
                                 strom_schema_col_name(w->t.schema, i));
            break;
        }
        if (skip) { /* not sent: null, or a zero value where NOT NULL (a delete's non-key) */
            strom_value z = {strom_schema_col_type(w->t.schema, i).id, false, {0}};
            z.is_null = strom_schema_col_nullable(w->t.schema, i);
            if (z.type == STROM_TYPE_STRING || z.type == STROM_TYPE_BYTES)
                z.u.s.ptr = (const uint8_t *)"";
            w->row[i] = z;
            continue;
        }
        if (!w->row_set[i]) {
            if (!strom_schema_col_nullable(w->t.schema, i)) {
                rc = strom_error_set(err, STROM_EINVAL, "column '%s' is NOT NULL and was not set",
                                     strom_schema_col_name(w->t.schema, i));
                break;
            }
            w->row[i] = (strom_value){strom_schema_col_type(w->t.schema, i).id, true, {0}};
        } else if (!w->row[i].is_null && (w->row[i].type == STROM_TYPE_STRING ||
                                          w->row[i].type == STROM_TYPE_BYTES)) {
            w->row[i].u.s.ptr = w->row_data.data ? w->row_data.data + w->row_off[i]
                                                  : (const uint8_t *)"";
        }
    }
    if (rc < 0) {
        row_clear(w);
        return rc;
    }
    rc = write_values(w, w->row, del ? STROM_CHANGE_DELETE : STROM_CHANGE_UPDATE_AFTER, err);
    row_clear(w);
    return rc;
}

int strom_writer_end_row(strom_writer *w, strom_error *err)
{
    return end_row(w, false, err);
}

int strom_writer_end_delete(strom_writer *w, strom_error *err)
{
    return end_row(w, true, err);
}

/* Routes a whole row of values (strings pointing anywhere) to its destination's batch. */
static int write_values(strom_writer *w, const strom_value *row, uint8_t type,
                        strom_error *err)
{
    int rc = 0;
    char part[STROM_PARTITION_MAX + 8] = "";
    if (rc == 0 && w->t.partition_col >= 0)
        rc = strom_partition_text(&row[w->t.partition_col], part, sizeof part, err);
    uint32_t bucket = w->rr;
    if (rc == 0 && w->t.nbucket_key > 0) {
        strom_value keys[16];
        int nk = w->t.nbucket_key > 16 ? 16 : w->t.nbucket_key;
        for (int k = 0; k < nk; k++)
            keys[k] = row[w->t.bucket_key[k]];
        bucket = cl_bucket_of(keys, nk, w->t.buckets);
    }
    wdest *d = rc == 0 ? dest_for(w, part, bucket) : NULL;
    if (rc == 0 && !d)
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    if (rc == 0 && (rc = strom_bb_append_row(d->bb, row, err)) == 0) {
        if (w->pk && strom_buf_append(&d->types, &type, 1) != 0)
            return strom_error_set(err, STROM_ENOMEM, "out of memory"); /* cannot happen */
        if (d->first_ms == 0)
            d->first_ms = strom_mono_ms();
        w->pending++;
    }
    if (rc < 0)
        return rc;
    /* the batch size is summed over the columns: looked at every 16 rows (a batch may pass
     * batch_bytes by 15 rows). The linger time is looked at with the coarse clock, which is
     * behind by less than a tick, and confirmed with the precise one: a fast producer does
     * not pay for a precise clock per row, and a batch leaves at most a tick late. A linger
     * time within a tick is looked at with the precise clock at every row. */
    int64_t rows = strom_bb_rows(d->bb);
    bool due = w->o.linger_ms == 0 || rows >= INT32_MAX / 2 ||
               ((rows & 15) == 0 && strom_bb_bytes(d->bb) >= w->o.batch_bytes);
    if (!due && (w->o.linger_ms <= w->coarse_res_ms ||
                 strom_mono_coarse_ms() - d->first_ms >= w->o.linger_ms))
        due = strom_mono_ms() - d->first_ms >= w->o.linger_ms;
    return due ? send_due(w, false, err) : 0;
}

int strom_writer_poll(strom_writer *w, strom_error *err)
{
    int rc = send_due(w, false, err);
    while (rc == 0 && w->nfly > 0 && cl_wait_readable(w->c, 0))
        rc = read_one(w, err);
    return rc < 0 ? rc : take_async_error(w, err);
}

int strom_writer_wait(strom_writer *w, int64_t timeout_us, strom_error *err)
{
    int64_t deadline = strom_mono_us() + (timeout_us > 0 ? timeout_us : 0);
    int rc = 0;
    for (;;) {
        if ((rc = send_due(w, false, err)) < 0) /* settles the answers already here first */
            break;
        int64_t now = strom_mono_us(), until = deadline;
        if (now >= deadline)
            break;
        int64_t first = 0; /* the oldest buffered row: when its batch becomes due */
        for (int i = 0; i < w->nd; i++)
            if (w->d[i].first_ms && (!first || w->d[i].first_ms < first))
                first = w->d[i].first_ms;
        if (w->nfly == 0 && !first)
            break; /* nothing in flight, nothing buffered */
        if (first && w->nfly < w->o.max_in_flight) {
            int64_t due = (first + w->o.linger_ms) * 1000; /* send_due looks in ms */
            if (due < until)
                until = due + 1000;
        }
        if (w->nfly == 0) {
            struct timespec ts = {(time_t)((until - now) / 1000000),
                                  (long)((until - now) % 1000000) * 1000};
            nanosleep(&ts, NULL);
        } else if (cl_wait_readable(w->c, until - now) && (rc = read_one(w, err)) < 0) {
            break;
        }
    }
    return rc < 0 ? rc : take_async_error(w, err);
}

int strom_writer_flush(strom_writer *w, strom_error *err)
{
    int rc = send_due(w, true, err);
    if (rc == 0)
        rc = drain(w, 0, err);
    return rc < 0 ? rc : take_async_error(w, err);
}

int strom_writer_close(strom_writer *w, strom_error *err)
{
    if (!w)
        return 0;
    int rc = w->c ? strom_writer_flush(w, err) : 0;
    for (int i = 0; i < w->nd; i++) {
        strom_bb_free(w->d[i].bb);
        strom_buf_free(&w->d[i].types);
    }
    free(w->written);
    free(w->colnames);
    while (w->fly_head) {
        wreq *q = w->fly_head;
        w->fly_head = q->next;
        wreq_free(q);
    }
    free(w->d);
    free(w->types);
    free(w->row);
    free(w->row_off);
    free(w->row_set);
    strom_buf_free(&w->row_data);
    strom_table_desc_free(&w->t);
    strom_client_close(w->c);
    free(w);
    return rc;
}

/* ---- columnar input: Arrow C Data Interface -------------------------------------------------- */

/* A column view over an imported Arrow child array (zero-copy), checked against `t`. */
static int import_child(const struct ArrowSchema *cs, const struct ArrowArray *ca, strom_type t,
                        int64_t rows, strom_col_view *v, strom_error *err)
{
    char want[48];
    strom_arrow_format(t, want, sizeof want);
    if (strcmp(cs->format, want) != 0)
        return strom_error_set(err, STROM_ETYPE, "column '%s' has Arrow format '%s', the "
                               "table's type needs '%s'", cs->name ? cs->name : "?", cs->format,
                               want);
    if (ca->length != rows || ca->offset != 0)
        return strom_error_set(err, STROM_EUNSUPPORTED, "column '%s': length %lld offset %lld "
                               "(length %lld and offset 0 are supported)", cs->name,
                               (long long)ca->length, (long long)ca->offset, (long long)rows);
    bool varlen = strom_type_is_varlen(t.id);
    if (ca->n_buffers != (varlen ? 3 : 2))
        return strom_error_set(err, STROM_ECORRUPT, "column '%s' has %lld buffers", cs->name,
                               (long long)ca->n_buffers);
    memset(v, 0, sizeof *v);
    v->length = rows;
    v->validity = ca->buffers[0];
    int64_t nulls = ca->null_count;
    if (!v->validity)
        nulls = 0;
    else if (nulls < 0) { /* unknown: count them */
        nulls = 0;
        for (int64_t i = 0; i < rows; i++)
            nulls += !((v->validity[i >> 3] >> (i & 7)) & 1);
    }
    v->null_count = nulls;
    if (nulls == 0)
        v->validity = NULL;
    if (varlen) {
        v->offsets = ca->buffers[1];
        v->values = ca->buffers[2];
        if (!v->offsets && rows > 0)
            return strom_error_set(err, STROM_ECORRUPT, "column '%s' has no offsets", cs->name);
        v->values_len = v->offsets ? v->offsets[rows] : 0;
        static const uint8_t empty[1];
        if (!v->values)
            v->values = empty;
    } else {
        v->values = ca->buffers[1];
        int w = strom_type_width(t.id);
        v->values_len = w ? rows * w : (rows + 7) / 8;
        if (!v->values && rows > 0)
            return strom_error_set(err, STROM_ECORRUPT, "column '%s' has no values", cs->name);
    }
    return 0;
}

int strom_writer_write_arrow(strom_writer *w, struct ArrowArray *batch,
                             struct ArrowSchema *schema, strom_error *err)
{
    if (!schema || !batch || strcmp(schema->format, "+s") != 0 ||
        schema->n_children != batch->n_children)
        return strom_error_set(err, STROM_EINVAL, "expected a struct array (format \"+s\") with "
                               "one child per column");
    if (batch->offset != 0 || batch->null_count > 0)
        return strom_error_set(err, STROM_EUNSUPPORTED, "a struct array with an offset or null "
                               "rows");
    int64_t rows = batch->length;
    int rc = 0;
    strom_col_view *views = calloc((size_t)w->ncols + 1, sizeof *views);
    static const uint8_t zeros[16];
    void *nullmem = NULL;
    if (!views)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (int64_t j = 0; rc == 0 && j < schema->n_children; j++)
        if (!schema->children[j]->name ||
            strom_schema_find(w->t.schema, schema->children[j]->name,
                              strlen(schema->children[j]->name)) < 0)
            rc = strom_error_set(err, STROM_EINVAL, "column '%s' is not in the table",
                                 schema->children[j]->name ? schema->children[j]->name : "");
    for (int i = 0; rc == 0 && i < w->ncols; i++) {
        const char *name = strom_schema_col_name(w->t.schema, i);
        strom_type t = strom_schema_col_type(w->t.schema, i);
        int64_t j = 0;
        while (j < schema->n_children && strcmp(schema->children[j]->name, name) != 0)
            j++;
        if (j < schema->n_children) {
            rc = import_child(schema->children[j], batch->children[j], t, rows, &views[i], err);
            continue;
        }
        if (!strom_schema_col_nullable(w->t.schema, i)) {
            rc = strom_error_set(err, STROM_EINVAL, "column '%s' is NOT NULL and missing", name);
            break;
        }
        /* an absent nullable column: all null */
        if (!nullmem && !(nullmem = calloc(1, (size_t)(rows + 1) * 16 + 16))) {
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
            break;
        }
        views[i] = (strom_col_view){rows, rows, nullmem, nullmem, nullmem, 0};
    }
    (void)zeros;
    if (rc == 0 && rows > 0) {
        if (w->t.partition_col < 0 && w->t.nbucket_key == 0) {
            /* whole columns into one destination's batch: a copy per buffer */
            wdest *d = dest_for(w, "", w->rr);
            if (!d)
                rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
            if (rc == 0 && strom_bb_rows(d->bb) > 0) /* keep appends all-or-nothing */
                rc = send_due(w, true, err);
            for (int i = 0; rc == 0 && i < w->ncols; i++)
                if ((rc = strom_bb_append_column(d->bb, i, &views[i], 0, rows)) < 0) {
                    strom_bb_reset(d->bb);
                    strom_error_set(err, rc, "column '%s': values do not fit the column",
                                    strom_schema_col_name(w->t.schema, i));
                }
            for (int64_t k = 0; rc == 0 && w->pk && k < rows; k++) {
                uint8_t up = STROM_CHANGE_UPDATE_AFTER;
                if (strom_buf_append(&d->types, &up, 1) != 0)
                    rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
            }
            if (rc == 0) {
                w->pending += rows;
                d->first_ms = strom_mono_ms();
                if (strom_bb_bytes(d->bb) >= w->o.batch_bytes || w->o.linger_ms == 0)
                    rc = send_due(w, false, err);
            }
        } else {
            /* rows go to partitions and buckets by their values */
            strom_value *vals = calloc((size_t)w->ncols + 1, sizeof *vals);
            if (!vals)
                rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
            for (int64_t r = 0; rc == 0 && r < rows; r++) {
                for (int i = 0; i < w->ncols; i++)
                    strom_col_get(&views[i], strom_schema_col_type(w->t.schema, i), r, &vals[i]);
                if ((rc = write_values(w, vals, STROM_CHANGE_UPDATE_AFTER, err)) < 0)
                    strom_error_prefix(err, "row %lld", (long long)r);
            }
            free(vals);
        }
    }
    free(nullmem);
    free(views);
    if (batch->release)
        batch->release(batch);
    return rc;
}

int strom_writer_delete_arrow(strom_writer *w, struct ArrowArray *batch,
                              struct ArrowSchema *schema, strom_error *err)
{
    int rc = 0;
    strom_col_view *views = NULL;
    int *src = NULL;
    strom_value *vals = NULL;
    if (!w->pk)
        rc = strom_error_set(err, STROM_EINVAL, "%s.%s is a log table: rows cannot be deleted",
                             w->t.database, w->t.table);
    else if (!schema || !batch || strcmp(schema->format, "+s") != 0 ||
             schema->n_children != batch->n_children || batch->offset != 0)
        rc = strom_error_set(err, STROM_EINVAL, "expected a struct array (format \"+s\") with "
                             "one child per column");
    if (rc == 0) {
        views = calloc((size_t)w->ncols + 1, sizeof *views);
        src = calloc((size_t)w->ncols + 1, sizeof *src);
        vals = calloc((size_t)w->ncols + 1, sizeof *vals);
        if (!views || !src || !vals)
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    }
    for (int i = 0; rc == 0 && i < w->ncols; i++) {
        src[i] = -1;
        if (!is_key_col(w, i) && i != w->t.version_col)
            continue;
        const char *name = strom_schema_col_name(w->t.schema, i);
        for (int64_t j = 0; j < schema->n_children; j++)
            if (schema->children[j]->name && !strcmp(schema->children[j]->name, name))
                src[i] = (int)j;
        if (src[i] < 0)
            rc = strom_error_set(err, STROM_EINVAL, "%s column '%s' is missing",
                                 is_key_col(w, i) ? "key" : "version", name);
        else
            rc = import_child(schema->children[src[i]], batch->children[src[i]],
                              w->types[i], batch->length, &views[i], err);
    }
    for (int64_t r = 0; rc == 0 && r < batch->length; r++) {
        for (int i = 0; i < w->ncols; i++) {
            if (src[i] >= 0) {
                strom_col_get(&views[i], w->types[i], r, &vals[i]);
                continue;
            }
            strom_value z = {w->types[i].id, strom_schema_col_nullable(w->t.schema, i), {0}};
            if (z.type == STROM_TYPE_STRING || z.type == STROM_TYPE_BYTES)
                z.u.s.ptr = (const uint8_t *)"";
            vals[i] = z;
        }
        if ((rc = write_values(w, vals, STROM_CHANGE_DELETE, err)) < 0)
            strom_error_prefix(err, "row %lld", (long long)r);
    }
    free(views);
    free(src);
    free(vals);
    if (batch && batch->release)
        batch->release(batch);
    return rc;
}
