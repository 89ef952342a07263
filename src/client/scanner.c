/*
 * scanner.c: strom_scanner and strom_result (strom/client.h).
 *
 * The scanner resolves the table, the columns and the predicate once (errors are reported
 * before anything is read), prunes partitions whose value the predicate rules out, finds a
 * start offset per bucket (ListOffsets), and then fetches every bucket in one Fetch request
 * at a time, long-polling when following. Each record received is verified (its CRC, and for
 * projected records the CRC of every buffer) and decoded without copying: the results of one
 * response share its bytes.
 *
 * Schema versions: a record written before columns were added carries only the requested
 * columns that existed then (its statistics say how many: they are the requested columns of
 * the lowest indexes); the scanner fills the others with nulls, so every result has the
 * scanner's schema.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client_internal.h"
#include "columnar/arrow_c_export.h"
#include "columnar/batch.h"
#include "columnar/ipc.h"
#include "columnar/predicate.h"
#include "columnar/value.h"
#include "common/fs.h"
#include "lake/pkfold.h"
#include "log/record.h"

/* The bytes of one Fetch response, shared by the results decoded from it (their views point
 * into it). Atomic: an exported batch may be released on another thread. The scanner keeps a
 * reference to the last one and reuses its memory for the next response once every result
 * of it is gone (no new allocation and page faults per response). */
typedef struct blob {
    int refs;
    uint8_t *data;
    size_t cap;
} blob;

static void blob_unref(void *p)
{
    blob *b = p;
    if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        free(b->data);
        free(b);
    }
}

static void blob_ref(blob *b)
{
    __atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
}

typedef struct sbucket {
    char partition[STROM_PARTITION_MAX + 1];
    uint32_t bucket;
    int64_t next;
    int64_t end;   /* stop here when not following */
    bool done;
    bool snap;     /* snapshot mode: still reading the bucket's state (KvScan) */
    uint64_t scan_id;
} sbucket;

struct strom_result {
    strom_batch *b;          /* schema = the scanner's */
    blob *bl;                /* the response bytes the batch views (refcounted) */
    uint8_t *own;            /* a re-encoded message (old schema versions), or NULL */
    char partition[STROM_PARTITION_MAX + 1];
    uint32_t bucket;
    int64_t base_offset, commit_ms;
    const strom_schema *schema;
    const uint8_t *changes;  /* change type per row (into the response), NULL: inserts */
};

/* A queued result, or a record of the last Fetch answer (in s->spare) still to be verified and
 * decoded: records are decoded one at a time as the caller takes them, so a record's bytes
 * are still in the cache from its checksum when the caller reads them, and a damaged record
 * fails the scanner after every record before it was returned. With neither, the failure in
 * s->deferred (a response that could not be read past this point). */
typedef struct qitem {
    strom_result *r;    /* NULL: the record below */
    const uint8_t *rec; /* the record, in the response s->spare holds */
    uint32_t len;
    int bucket;         /* its bucket: an index into s->b */
} qitem;

/* The first Fetch's byte limit (then doubled per Fetch up to strom_scan_opts.max_bytes): a
 * projected read of 8 MiB answers had its first rows after ~4-5 ms, ~1 ms with this. */
#define FIRST_FETCH_BYTES (1u << 20)

struct strom_scanner {
    strom_client *c;
    strom_table_desc t;
    strom_scan_opts o;
    char *where;
    char **colnames;
    int *cols;               /* requested columns (latest schema indexes) */
    int ncols;
    strom_schema *out_schema;
    strom_pred *pred;        /* bound to the latest schema (partition pruning) */
    sbucket *b;
    int nb;
    qitem *q;                /* what the last response or page holds, not yet returned */
    int qhead, qn, qcap;
    uint64_t received, stored;
    int64_t last_refresh;
    strom_codec_ctx *codec;
    blob *spare;             /* the last response, reused when its results are gone */
    strom_error failed;      /* a snapshot that failed part way: every later call says so */
    strom_error deferred;    /* the failure queued behind the records before it */
    bool pf;                 /* a Fetch is in flight (sent ahead of the caller's need) */
    int pf_active;           /* its buckets: scanner bucket index of each */
    int *pf_map;
    int pf_version;          /* the Fetch version it was sent in */
    bool prepared;           /* the receive buffer was made ready (reads to the end) */
    uint32_t fetch_bytes;    /* the next Fetch's byte limit: doubles up to o.max_bytes */
    cl_lake *lake;           /* union read: the lake part, read before the log */
    struct pku *pku;         /* union read of a primary-key table (below) */
    const cl_lake *offsets_from; /* internal: start each bucket where this lake ends */
    bool lake_bound;         /* the log must continue exactly where a lake snapshot ends */
    const cl_start *starts;  /* internal: per-bucket start offsets (partitions not named
                                start at their earliest) */
    int nstarts;
    uint64_t lake_read, lake_total; /* its column chunk bytes read / of the groups seen */
};

/* The first Fetch's byte limit. */
static uint32_t first_fetch_bytes(const strom_scanner *s)
{
    return s->o.max_bytes < FIRST_FETCH_BYTES ? s->o.max_bytes : FIRST_FETCH_BYTES;
}

void strom_scan_opts_default(strom_scan_opts *o)
{
    memset(o, 0, sizeof *o);
    o->start = STROM_START_EARLIEST;
    o->max_wait_ms = 500;
    o->max_bytes = 8u << 20;
}

const strom_schema *strom_scanner_schema(const strom_scanner *s)
{
    return s->out_schema;
}

void strom_scanner_bytes(const strom_scanner *s, uint64_t *received, uint64_t *stored)
{
    *received = s->received + s->lake_read;
    *stored = s->stored + s->lake_total;
}

/* Does the predicate leave any row in partition `value`? */
static bool partition_may_match(strom_scanner *s, const char *value)
{
    if (!s->pred || s->t.partition_col < 0)
        return true;
    int n = strom_schema_ncols(s->t.schema), pc = s->t.partition_col;
    strom_col_stats *cs = calloc((size_t)n, sizeof *cs);
    if (!cs)
        return true;
    for (int i = 0; i < n; i++)
        cs[i].null_count = -1; /* unknown: anything is possible */
    strom_type t = strom_schema_col_type(s->t.schema, pc);
    strom_value v = {t.id, false, {0}};
    bool ok = true;
    if (t.id == STROM_TYPE_STRING) {
        v.u.s.ptr = (const uint8_t *)value;
        v.u.s.len = (uint32_t)strlen(value);
    } else if (t.id == STROM_TYPE_DATE) {
        int32_t d;
        ok = strom_parse_date(value, strlen(value), &d, NULL) == 0;
        v.u.i = d;
    } else {
        char *end;
        v.u.i = strtoll(value, &end, 10);
        ok = !*end;
    }
    bool r = true;
    if (ok) {
        cs[pc].null_count = 0;
        cs[pc].has_min = cs[pc].has_max = cs[pc].min_exact = cs[pc].max_exact = true;
        cs[pc].min = cs[pc].max = v;
        strom_batch_stats st = {1, n, cs, 0, NULL};
        r = strom_pred_eval_stats(s->pred, &st) != STROM_MATCH_NONE;
    }
    free(cs);
    return r;
}

/* Adds a bucket to scan from the start position of the options; a bucket of a partition
 * that appeared after the scanner opened starts at its earliest offset instead (all its rows
 * are newer than the scanner's start). */
static int add_bucket(strom_scanner *s, const char *partition, uint32_t bucket, bool discovered,
                      strom_error *err)
{
    sbucket *nb = realloc(s->b, sizeof *nb * (size_t)(s->nb + 1));
    if (!nb)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    s->b = nb;
    sbucket *b = &s->b[s->nb];
    memset(b, 0, sizeof *b);
    snprintf(b->partition, sizeof b->partition, "%s", partition);
    b->bucket = bucket;
    b->end = -1;
    if (s->o.snapshot && !discovered) { /* the state first; offsets come with it */
        b->snap = true;
        s->nb++;
        return 0;
    }
    int64_t spec = discovered                            ? STROM_OFFSET_SPEC_EARLIEST
                   : s->o.start == STROM_START_LATEST    ? STROM_OFFSET_SPEC_LATEST
                   : s->o.start == STROM_START_TIMESTAMP ? s->o.start_value
                                                         : STROM_OFFSET_SPEC_EARLIEST;
    int rc = strom_list_offset(s->c, &s->t, partition, bucket, spec, &b->next, err);
    if (rc == 0 && !discovered && s->o.start == STROM_START_OFFSET && s->o.start_value > b->next)
        b->next = s->o.start_value;
    for (int i = 0; rc == 0 && !discovered && i < s->nstarts; i++)
        if (s->starts[i].bucket == bucket && !strcmp(s->starts[i].partition, partition) &&
            s->starts[i].offset > b->next)
            b->next = s->starts[i].offset;
    const cl_lake *ol = s->lake ? s->lake : s->offsets_from;
    if (rc == 0 && ol) { /* the lake holds what is below its offset */
        int64_t lo = cl_lake_offset(ol, partition, bucket), hw = 0;
        if (lo > 0 && (rc = strom_list_offset(s->c, &s->t, partition, bucket,
                                              STROM_OFFSET_SPEC_LATEST, &hw, err)) < 0)
            return rc;
        if (lo > hw) /* the partition was dropped and written again: its log is new */
            lo = 0;
        if (lo > 0 && lo < b->next && !discovered && s->t.tiering)
            return strom_error_set(err, STROM_ESTATE, "%s%sbucket %u: the log now starts at "
                                   "%lld, past the lake snapshot this read took (offset %lld): "
                                   "tiering and retention moved on while the read started",
                                   partition, partition[0] ? " " : "", bucket,
                                   (long long)b->next, (long long)lo);
        if (lo > b->next)
            b->next = lo;
    }
    if (rc == 0 && !s->o.follow)
        rc = strom_list_offset(s->c, &s->t, partition, bucket, STROM_OFFSET_SPEC_LATEST, &b->end,
                               err);
    if (rc < 0) {
        strom_error_prefix(err, "%s%sbucket %u", partition, partition[0] ? " " : "", bucket);
        return rc;
    }
    b->done = !s->o.follow && b->next >= b->end;
    s->nb++;
    return 0;
}

/* Adds the buckets of partitions not yet scanned (all of them at open; new ones later, when
 * `discovered`). */
static int add_partitions(strom_scanner *s, const strom_table_desc *t, bool discovered,
                          strom_error *err)
{
    int rc = 0;
    if (t->partition_col < 0) {
        for (uint32_t i = 0; rc == 0 && i < t->buckets && s->nb < (int)t->buckets; i++)
            rc = add_bucket(s, "", i, false, err);
        return rc;
    }
    for (int p = 0; rc == 0 && p < t->npartitions; p++) {
        bool known = false;
        for (int i = 0; i < s->nb && !known; i++)
            known = !strcmp(s->b[i].partition, t->partitions[p]);
        if (known || !partition_may_match(s, t->partitions[p]))
            continue;
        for (uint32_t i = 0; rc == 0 && i < t->buckets; i++)
            rc = add_bucket(s, t->partitions[p], i, discovered, err);
    }
    return rc;
}

static int pku_open(strom_scanner *s, const char *addr, const strom_client_opts *copts,
                    strom_error *err);

/* The scanner; the internal scanners of a primary-key union read pass `offsets_from` (start
 * each bucket where that lake snapshot ends) or explicit per-bucket `starts`. */
static int scanner_open(const char *addr, const strom_client_opts *copts, const char *db,
                        const char *table, const strom_scan_opts *o,
                        const cl_lake *offsets_from, const cl_start *starts, int nstarts,
                        strom_scanner **out, strom_error *err)
{
    strom_scanner *s = calloc(1, sizeof *s);
    if (!s)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    s->offsets_from = offsets_from;
    s->lake_bound = offsets_from != NULL || (o && o->lake) || nstarts > 0;
    s->starts = starts;
    s->nstarts = nstarts;
    strom_table_desc_init(&s->t);
    if (o)
        s->o = *o;
    else
        strom_scan_opts_default(&s->o);
    s->o.columns = NULL;
    s->o.where = NULL;
    /* the first Fetch asks for little, so the first rows are out after a short answer; each
     * next one for twice as much up to max_bytes, while the caller works through the last */
    s->fetch_bytes = first_fetch_bytes(s);
    int rc = strom_client_connect(addr, copts, &s->c, err);
    if (rc == 0)
        rc = cl_get_table(s->c, db, table, &s->t, err);
    int n = rc == 0 ? strom_schema_ncols(s->t.schema) : 0;
    if (rc == 0) {
        s->ncols = o && o->columns ? o->ncolumns : n;
        s->cols = malloc(sizeof(int) * (size_t)(s->ncols + 1));
        s->colnames = calloc((size_t)s->ncols + 1, sizeof(char *));
        s->codec = strom_codec_ctx_new();
        if (!s->cols || !s->colnames || !s->codec)
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    }
    for (int i = 0; rc == 0 && i < s->ncols; i++) {
        const char *name = o && o->columns ? o->columns[i] : strom_schema_col_name(s->t.schema, i);
        s->cols[i] = strom_schema_find(s->t.schema, name, strlen(name));
        if (s->cols[i] < 0)
            rc = strom_error_set(err, STROM_ENOTFOUND, "column '%s' is not in %s.%s", name, db,
                                 table);
        for (int j = 0; rc == 0 && j < i; j++)
            if (s->cols[j] == s->cols[i])
                rc = strom_error_set(err, STROM_EINVAL, "column '%s' is named twice", name);
        if (rc == 0 && !(s->colnames[i] = strdup(name)))
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    }
    if (rc == 0 && s->ncols == 0)
        rc = strom_error_set(err, STROM_EINVAL, "no columns chosen");
    if (rc == 0 && !(s->out_schema = strom_schema_project(s->t.schema, s->cols, s->ncols)))
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    if (rc == 0 && o && o->where && o->where[0]) {
        if (!(s->where = strdup(o->where)))
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        else if ((rc = strom_pred_parse(s->where, strlen(s->where), s->t.schema, &s->pred, err)) < 0)
            strom_error_prefix(err, "--where");
    }
    if (rc == 0 && s->o.snapshot && s->t.npk == 0)
        rc = strom_error_set(err, STROM_EINVAL, "%s.%s is a log table: a snapshot needs a "
                             "primary key (read the log from an offset instead)", db, table);
    if (rc == 0 && s->o.lake && (s->o.snapshot || s->o.start != STROM_START_EARLIEST))
        rc = strom_error_set(err, STROM_EINVAL, "a union read with the lake starts at the "
                             "earliest row (no --from, no snapshot)");
    if (rc == 0 && s->o.lake && s->t.npk > 0) {
        /* a primary-key table: the lake's rows merged by key with the log's later changes */
        if ((rc = pku_open(s, addr, copts, err)) < 0) {
            strom_scanner_close(s);
            return rc;
        }
        s->last_refresh = strom_mono_ms();
        *out = s;
        return 0;
    }
    if (rc == 0 && s->o.lake)
        rc = cl_lake_open(&s->t, s->pred, s->cols, s->ncols, s->out_schema, &s->lake, err);
    if (rc == 0)
        rc = add_partitions(s, &s->t, false, err);
    if (rc == STROM_ESTATE && s->lake) { /* a newer lake snapshot holds the gap: once more */
        cl_lake_close(s->lake);
        s->lake = NULL;
        s->nb = 0;
        rc = cl_lake_open(&s->t, s->pred, s->cols, s->ncols, s->out_schema, &s->lake, err);
        if (rc == 0)
            rc = add_partitions(s, &s->t, false, err);
    }
    if (rc < 0) {
        strom_scanner_close(s);
        return rc;
    }
    s->last_refresh = strom_mono_ms();
    *out = s;
    return 0;
}

int strom_scanner_open(const char *addr, const strom_client_opts *copts, const char *db,
                       const char *table, const strom_scan_opts *o, strom_scanner **out,
                       strom_error *err)
{
    return scanner_open(addr, copts, db, table, o, NULL, NULL, 0, out, err);
}

int cl_scanner_open_at(const char *addr, const strom_client_opts *copts, const char *db,
                       const char *table, const strom_scan_opts *o, const cl_start *starts,
                       int nstarts, strom_scanner **out, strom_error *err)
{
    return scanner_open(addr, copts, db, table, o, NULL, starts, nstarts, out, err);
}

/* ---- results ------------------------------------------------------------------------------ */

void strom_result_free(strom_result *r)
{
    if (!r)
        return;
    strom_batch_free(r->b);
    blob_unref(r->bl);
    free(r->own);
    free(r);
}

/* Decodes one verified record into a result with the scanner's schema. */
static int decode_record(strom_scanner *s, const sbucket *sb, blob *bl, const uint8_t *p,
                         uint32_t len, strom_result **out, strom_error *err)
{
    strom_record rec;
    strom_ipc_msg m;
    strom_schema *rs = NULL;
    strom_batch *b = NULL;
    strom_result *r = NULL;
    int *have = NULL;
    memset(&rec, 0, sizeof rec);
    int rc = strom_record_parse(p, len, &rec, err);
    if (rc != 0)
        return rc < 0 ? rc : strom_error_set(err, STROM_ECORRUPT, "truncated record");
    /* the columns the record carries: the requested ones of lowest index, as many as its
     * stats describe */
    int k = strom_record_stats_ncols(&rec);
    if (k < 0) {
        rc = strom_error_set(err, STROM_ECORRUPT, "record at offset %lld: malformed statistics "
                             "block", (long long)rec.info.base_offset);
        goto done;
    }
    if (k > s->ncols || k == 0) {
        rc = strom_error_set(err, STROM_ECORRUPT, "record at offset %lld carries %d columns, "
                             "%d were asked for", (long long)rec.info.base_offset, k, s->ncols);
        goto done;
    }
    int nh = 0;
    const strom_schema *recs = s->out_schema; /* the record's columns: all asked for ... */
    if (k < s->ncols) {                       /* ... or, from an older schema, fewer */
        if (!(have = malloc(sizeof(int) * (size_t)s->ncols))) {
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
            goto done;
        }
        for (int i = 0; i < s->ncols; i++) {
            int rank = 0;
            for (int j = 0; j < s->ncols; j++)
                rank += s->cols[j] < s->cols[i];
            if (rank < k)
                have[nh++] = s->cols[i];
        }
        if (!(rs = strom_schema_project(s->t.schema, have, nh))) {
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
            goto done;
        }
        recs = rs;
    } else {
        nh = s->ncols;
    }
    if ((rec.info.attributes & STROM_RECORD_PROJECTED) &&
        (rc = strom_record_verify_buffers(&rec, recs, err)) < 0)
        goto done;
    if ((rc = strom_ipc_read_msg(rec.arrow, rec.arrow_len, &m, err)) != 0) {
        rc = rc < 0 ? rc : strom_error_set(err, STROM_ECORRUPT, "truncated Arrow message");
        goto done;
    }
    r = calloc(1, sizeof *r);
    if (!r) {
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        goto done;
    }
    if (nh == s->ncols) {
        rc = strom_ipc_decode_batch(&m, s->out_schema, s->out_schema, s->codec, &r->b, err);
    } else {
        /* an older schema version: decode, then re-encode with the missing columns null */
        if ((rc = strom_ipc_decode_batch(&m, rs, rs, s->codec, &b, err)) < 0)
            goto done;
        strom_col_view *views = calloc((size_t)s->ncols, sizeof *views);
        size_t zlen = (size_t)(b->rows + 1) * 16 + 16;
        void *zeros = calloc(1, zlen); /* validity (all null), values and offsets of 0 */
        strom_buf msg = STROM_BUF_INIT;
        strom_batch_stats est;
        if (!views || !zeros) {
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        } else {
            int hi = 0;
            for (int i = 0; i < s->ncols; i++) {
                if (hi < nh && have[hi] == s->cols[i]) {
                    views[i] = b->cols[hi++];
                } else {
                    views[i] = (strom_col_view){b->rows, b->rows, zeros, zeros, zeros, 0};
                }
            }
            rc = strom_batch_encode(s->out_schema, views, b->rows, NULL, &msg, &est, err);
            if (rc == 0) {
                strom_batch_stats_free(&est);
                size_t mlen;
                r->own = strom_buf_detach(&msg, &mlen);
                strom_ipc_msg m2;
                if ((rc = strom_ipc_read_msg(r->own, mlen, &m2, err)) == 0)
                    rc = strom_ipc_decode_batch(&m2, s->out_schema, s->out_schema, s->codec,
                                                &r->b, err);
                else if (rc > 0)
                    rc = strom_error_set(err, STROM_ECORRUPT, "re-encoded batch is truncated");
            }
        }
        strom_buf_free(&msg);
        free(views);
        free(zeros);
    }
    if (rc < 0)
        goto done;
    r->bl = bl;
    blob_ref(bl);
    _Static_assert(sizeof r->partition == sizeof sb->partition, "partition names");
    memcpy(r->partition, sb->partition, strlen(sb->partition) + 1);
    r->bucket = sb->bucket;
    r->base_offset = rec.info.base_offset;
    r->commit_ms = rec.info.commit_ts;
    r->schema = s->out_schema;
    r->changes = rec.changes && rec.changes_len == (uint32_t)r->b->rows ? rec.changes : NULL;
    *out = r;
    r = NULL;
done:
    if (rc < 0 && err)
        strom_error_prefix(err, "%s%sbucket %u offset %lld", sb->partition,
                           sb->partition[0] ? " " : "", sb->bucket, (long long)rec.info.base_offset);
    strom_result_free(r);
    strom_batch_free(b);
    strom_schema_free(rs);
    free(have);
    return rc;
}

static int q_push(strom_scanner *s, qitem it)
{
    if (strom_array_grow(&s->q, s->qn, &s->qcap, sizeof *s->q, 16) != 0)
        return STROM_ENOMEM;
    s->q[s->qn++] = it;
    return 0;
}

static int refresh_partitions(strom_scanner *s, strom_error *err)
{
    strom_table_desc t;
    int rc = cl_get_table(s->c, s->t.database, s->t.table, &t, err);
    if (rc < 0)
        return rc;
    if (t.table_id != s->t.table_id)
        rc = strom_error_set(err, STROM_ESTATE, "table %s.%s was dropped and created again",
                             t.database, t.table);
    else
        rc = add_partitions(s, &t, true, err);
    strom_table_desc_free(&t);
    return rc;
}

/* The scanner fails for good with rc (and err's message, when there is one): every later
 * call returns it. Returns rc. */
static int fail_for_good(strom_scanner *s, int rc, const strom_error *err)
{
    if (err)
        s->failed = *err;
    s->failed.code = rc;
    return rc;
}

/* A response fails part way (its records are queued up to there): the caller gets them,
 * then rc on that call and every later one. Returns 0, or rc when it could not be queued
 * (the scanner fails for good at once). */
static int fail_after_queued(strom_scanner *s, int rc, const strom_error *err)
{
    strom_error_clear(&s->deferred);
    if (err)
        s->deferred = *err;
    s->deferred.code = rc;
    if (q_push(s, (qitem){NULL, NULL, 0, 0}) != 0)
        return fail_for_good(s, rc, err);
    return 0;
}

/* Whether the scanner reads every column of the table, in order (no projection). */
static bool all_columns(const strom_scanner *s)
{
    if (s->ncols != strom_schema_ncols(s->t.schema))
        return false;
    for (int i = 0; i < s->ncols; i++)
        if (s->cols[i] != i)
            return false;
    return true;
}

/* Sends one Fetch of every active bucket (none: nothing is sent). */
static int fetch_send(strom_scanner *s, strom_error *err)
{
    int active = 0;
    for (int i = 0; i < s->nb; i++)
        active += !s->b[i].done;
    if (active == 0)
        return 0;
    strom_msg_fetch_bucket *fb = calloc((size_t)active, sizeof *fb);
    strom_msg_str *cols = calloc((size_t)s->ncols + 1, sizeof *cols);
    int *map = calloc((size_t)active, sizeof *map);
    if (!fb || !cols || !map) {
        free(fb);
        free(cols);
        free(map);
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    }
    int k = 0;
    uint32_t per = s->fetch_bytes / (uint32_t)active;
    for (int i = 0; i < s->nb; i++) {
        if (s->b[i].done)
            continue;
        fb[k] = (strom_msg_fetch_bucket){{s->b[i].partition, (uint16_t)strlen(s->b[i].partition)},
                                         s->b[i].bucket, s->b[i].next, per ? per : 1};
        map[k++] = i;
    }
    for (int i = 0; i < s->ncols; i++)
        cols[i] = (strom_msg_str){s->colnames[i], (uint16_t)strlen(s->colnames[i])};
    bool all_cols = all_columns(s);
    int wait = s->o.follow ? s->o.max_wait_ms : 0;
    strom_msg_fetch m = {s->t.table_id, (uint32_t)wait, 1, s->fetch_bytes,
                         all_cols ? 0 : (uint32_t)s->ncols, cols,
                         {s->where ? s->where : "", (uint16_t)(s->where ? strlen(s->where) : 0)},
                         (uint32_t)active, fb};
    s->pf_version = cl_api_version(s->c, STROM_API_FETCH); /* how its answer is laid out */
    int rc = cl_begin(s->c, STROM_API_FETCH);
    if (rc == 0)
        rc = strom_msg_fetch_encode(&s->c->req, &m);
    if (rc == 0)
        rc = cl_call_start(s->c, NULL, 0, true, wait, err);
    free(fb);
    free(cols);
    if (rc < 0) {
        free(map);
        return rc;
    }
    s->pf = true;
    if (s->fetch_bytes < s->o.max_bytes)
        s->fetch_bytes = s->fetch_bytes > s->o.max_bytes / 2 ? s->o.max_bytes : 2 * s->fetch_bytes;
    s->pf_active = active;
    s->pf_map = map;
    return 0;
}

static int fetch_once(strom_scanner *s, strom_error *err);

/* Reads the answer to the Fetch in flight; its results go to the queue. */
static int fetch_recv(strom_scanner *s, strom_error *err)
{
    int active = s->pf_active, *map = s->pf_map;
    s->pf = false;
    s->pf_map = NULL;
    strom_wire_reader rd;
    strom_msg_fetch_resp resp = {0};
    blob *bl = NULL;
    if (s->spare) {
        /* every result of the previous response gone: its memory takes the next one */
        if (__atomic_load_n(&s->spare->refs, __ATOMIC_ACQUIRE) == 1 && !s->c->resp.data) {
            s->c->resp.data = s->spare->data;
            s->c->resp.cap = s->spare->cap;
            s->c->resp.len = 0;
            free(s->spare);
        } else {
            blob_unref(s->spare);
        }
        s->spare = NULL;
    }
    int rc = cl_call_finish(s->c, &rd, err);
    if (rc == STROM_EUNSUPPORTED && s->pf_version > 0) {
        /* an older server: ask for its versions and, when it has an older Fetch, send this
         * one again in that version (the request is the same; the answer's layout differs) */
        strom_error e2;
        strom_error_clear(&e2);
        int d = cl_downgrade(s->c, STROM_API_FETCH, s->pf_version, &e2);
        if (d == 1) {
            free(map);
            return fetch_once(s, err);
        }
        if (d < 0 && err)
            *err = e2;
        rc = d < 0 ? d : rc;
    }
    if (rc == 0)
        rc = strom_msg_fetch_resp_decode(&rd, s->pf_version, &resp, err);
    if (rc == 0 && resp.n != (uint32_t)active)
        rc = strom_error_set(err, STROM_ECORRUPT, "Fetch answered %u of %d buckets", resp.n,
                             active);
    if (rc == 0) {
        if (!(bl = calloc(1, sizeof *bl))) {
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        } else {
            bl->refs = 1;
            bl->data = s->c->resp.data; /* the records point into it */
            bl->cap = s->c->resp.cap;
            strom_buf_init(&s->c->resp);
        }
    }
    /* first the buckets' errors, before anything moves: a refused bucket fails this call with
     * every offset where it was, so a later call asks again for all of it */
    for (uint32_t i = 0; rc == 0 && i < resp.n; i++) {
        strom_msg_fetched *f = &resp.v[i];
        sbucket *sb = &s->b[map[i]];
        if (!f->error)
            continue;
        if (f->error == STROM_ERANGE && f->start_offset > sb->next && s->lake_bound &&
            s->t.tiering)
            /* a union read: the rows retention deleted are in a newer lake snapshot than the
             * one this read took; skipping them would lose them */
            rc = strom_error_set(err, STROM_ESTATE, "%s%sbucket %u: the log was deleted up to "
                                 "%lld while this union read was at %lld (it took longer than "
                                 "tier_read_grace): run it again", sb->partition,
                                 sb->partition[0] ? " " : "", sb->bucket,
                                 (long long)f->start_offset, (long long)sb->next);
        else if (f->error != STROM_ERANGE || f->start_offset <= sb->next)
            rc = strom_error_set(err, f->error, "%s%sbucket %u: %.*s", sb->partition,
                                 sb->partition[0] ? " " : "", sb->bucket, (int)f->message.len,
                                 f->message.p);
    }
    /* then where every bucket goes next: the next Fetch leaves before these records are
     * verified and decoded, so the server prepares it meanwhile */
    for (uint32_t i = 0; rc == 0 && i < resp.n; i++) {
        strom_msg_fetched *f = &resp.v[i];
        sbucket *sb = &s->b[map[i]];
        if (f->error) { /* retention passed us: continue from the start */
            sb->next = f->start_offset;
            continue;
        }
        s->received += f->size;
        s->stored += f->bytes_stored;
        sb->next = f->next_offset > sb->next ? f->next_offset : sb->next;
        /* a read to the end is done with a bucket at its end, or at its high watermark when
         * that is lower (the log is not the one the read began on: its partition was dropped
         * and created again) */
        if (!s->o.follow && (sb->next >= sb->end || f->high_watermark <= sb->next))
            sb->done = true;
    }
    if (rc == 0 && !s->o.follow) {
        strom_error ahead;
        (void)fetch_send(s, &ahead); /* a failure shows again at the next fetch_once */
    }
    for (uint32_t i = 0; rc == 0 && i < resp.n; i++) {
        strom_msg_fetched *f = &resp.v[i];
        sbucket *sb = &s->b[map[i]];
        const uint8_t *p = f->records;
        uint32_t left = f->error ? 0 : f->size;
        while (rc == 0 && left > 0) {
            int64_t b0;
            uint32_t len;
            if (left < 12 || strom_record_peek(p, left, &b0, &len, err) != 0 || len > left) {
                rc = strom_error_set(err, STROM_ECORRUPT, "%s%sbucket %u: a record overruns "
                                     "the response", sb->partition, sb->partition[0] ? " " : "",
                                     sb->bucket);
                break;
            }
            if (q_push(s, (qitem){NULL, p, len, map[i]}) != 0)
                rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
            p += len;
            left -= len;
        }
        if (rc < 0) { /* the offsets have moved past these records: after the ones queued,
                         every later call fails */
            rc = fail_after_queued(s, rc, err);
            break;
        }
    }
    s->spare = bl; /* keeps fetch_recv's reference */
    strom_msg_fetch_resp_free(&resp);
    free(map);
    return rc;
}

/* One Fetch of every active bucket (the one sent ahead, if any); results go to the queue.
 * A read to the end (not following) sends the next Fetch as soon as this one's answer is in
 * (fetch_recv), so the server prepares and sends it while this side verifies and decodes the
 * records and the caller works through them. */
static int fetch_once(strom_scanner *s, strom_error *err)
{
    int rc = 0;
    if (!s->pf && ((rc = fetch_send(s, err)) < 0 || !s->pf))
        return rc;
    if (!s->o.follow && !s->prepared) { /* the first answer is being prepared meanwhile */
        s->prepared = true;
        cl_prepare_recv(s->c, (size_t)first_fetch_bytes(s) + 4096); /* + the answer's fields */
    }
    return fetch_recv(s, err);
}



/* One page of the state of bucket sb (snapshot mode); its rows go to the queue. When the
 * bucket's scan is complete, the bucket continues (following) with its changelog from the
 * offset the state reflects. */
static int snapshot_page(strom_scanner *s, sbucket *sb, strom_error *err)
{
    strom_msg_str *cols = calloc((size_t)s->ncols + 1, sizeof *cols);
    if (!cols)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (int i = 0; i < s->ncols; i++)
        cols[i] = (strom_msg_str){s->colnames[i], (uint16_t)strlen(s->colnames[i])};
    strom_msg_kv_scan m = {s->t.table_id,
                           {sb->partition, (uint16_t)strlen(sb->partition)},
                           sb->bucket, sb->scan_id, s->o.max_bytes, (uint32_t)s->ncols, cols,
                           {s->where ? s->where : "", (uint16_t)(s->where ? strlen(s->where) : 0)}};
    strom_wire_reader rd;
    strom_msg_kv_scanned res;
    int rc = cl_begin(s->c, STROM_API_KV_SCAN);
    if (rc == 0)
        rc = strom_msg_kv_scan_encode(&s->c->req, &m);
    /* never resent: a page the server has already served would be skipped (and a resent
     * start would leave a session behind); a failed snapshot fails the scanner for good */
    if (rc == 0)
        rc = cl_call(s->c, NULL, 0, false, 0, false, &rd, err);
    if (rc == 0)
        rc = strom_msg_kv_scanned_decode(&rd, &res, err);
    free(cols);
    blob *bl = NULL;
    if (rc == 0 && !(bl = calloc(1, sizeof *bl)))
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    if (rc == 0) {
        bl->refs = 1;
        bl->data = s->c->resp.data;
        bl->cap = s->c->resp.cap;
        strom_buf_init(&s->c->resp);
        s->received += res.size;
        s->stored += res.size;
    }
    const uint8_t *p = rc == 0 ? res.records : NULL;
    uint32_t left = rc == 0 ? res.size : 0;
    while (rc == 0 && left > 0) {
        int64_t b0;
        uint32_t len;
        strom_result *r = NULL;
        if (left < 12 || strom_record_peek(p, left, &b0, &len, err) != 0 || len > left) {
            rc = strom_error_set(err, STROM_ECORRUPT, "snapshot record overruns the response");
            break;
        }
        if ((rc = decode_record(s, sb, bl, p, len, &r, err)) == 0) {
            r->base_offset = res.offset; /* the changelog offset this state reflects */
            r->changes = NULL;
            if (q_push(s, (qitem){r, NULL, 0, 0}) != 0) {
                strom_result_free(r);
                rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
            }
        }
        p += len;
        left -= len;
    }
    blob_unref(bl);
    if (rc < 0) { /* after the rows queued (a page may have been served), every later call
                     fails */
        strom_error_prefix(err, "snapshot of %s%sbucket %u (open the scanner again)",
                           sb->partition, sb->partition[0] ? " " : "", sb->bucket);
        return fail_after_queued(s, rc, err);
    }
    sb->scan_id = res.scan_id;
    if (res.scan_id == 0) { /* complete: the changelog continues from here */
        sb->snap = false;
        sb->next = res.offset;
        sb->end = res.offset;
        sb->done = !s->o.follow;
    }
    return 0;
}

static bool lake_part_ok(void *ctx, const char *partition)
{
    return partition_may_match(ctx, partition);
}

static int pku_next(strom_scanner *s, strom_result **out, strom_error *err);

int strom_scanner_next(strom_scanner *s, strom_result **out, strom_error *err)
{
    if (s->pku)
        return pku_next(s, out, err);
    if (s->failed.code) {
        if (err)
            *err = s->failed;
        return s->failed.code;
    }
    for (;;) {
        if (s->qhead < s->qn) {
            qitem *it = &s->q[s->qhead++];
            if (!it->r && !it->rec) { /* a response failed here */
                if (err)
                    *err = s->deferred;
                return fail_for_good(s, s->deferred.code, &s->deferred);
            }
            if (!it->r) {
                int rc = decode_record(s, &s->b[it->bucket], s->spare, it->rec, it->len,
                                       &it->r, err);
                if (rc < 0) /* its offset is behind us: every later call fails */
                    return fail_for_good(s, rc, err);
            }
            *out = it->r;
            it->r = NULL;
            return 1;
        }
        s->qhead = s->qn = 0;
        if (s->lake) {
            int rc = cl_lake_next(s->lake, lake_part_ok, s, out, err);
            if (rc < 0) /* a row group was lost: every later call says so */
                fail_for_good(s, rc, err);
            if (rc != 0)
                return rc;
            cl_lake_bytes(s->lake, &s->lake_read, &s->lake_total);
            cl_lake_close(s->lake); /* the lake part is done */
            s->lake = NULL;
        }
        sbucket *snap = NULL;
        for (int i = 0; i < s->nb && !snap; i++)
            if (s->b[i].snap)
                snap = &s->b[i];
        if (snap) {
            int rc = snapshot_page(s, snap, err);
            if (rc < 0)
                return rc;
            continue;
        }
        bool any = false;
        for (int i = 0; i < s->nb; i++)
            any = any || !s->b[i].done;
        if (!any && !s->o.follow)
            return 0;
        if (s->o.follow && (s->t.partition_col >= 0 || s->nb == 0) &&
            strom_mono_ms() - s->last_refresh > 1000) {
            int rc = refresh_partitions(s, err);
            if (rc < 0)
                return rc;
            s->last_refresh = strom_mono_ms();
        }
        if (s->nb == 0) {
            struct timespec ts = {0, 200 * 1000000};
            nanosleep(&ts, NULL); /* a partitioned table with no partition yet */
            return 2;
        }
        int rc = fetch_once(s, err);
        if (rc < 0)
            return rc;
        if (s->o.follow && s->qn == 0)
            return 2; /* a wait passed with nothing new: let the caller look around */
    }
}

static void pku_free(struct pku *u);

void strom_scanner_close(strom_scanner *s)
{
    if (!s)
        return;
    for (int i = s->qhead; i < s->qn; i++)
        strom_result_free(s->q[i].r);
    free(s->q);
    free(s->b);
    for (int i = 0; s->colnames && i < s->ncols; i++)
        free(s->colnames[i]);
    free(s->colnames);
    free(s->cols);
    free(s->where);
    strom_pred_free(s->pred);
    strom_schema_free(s->out_schema);
    strom_codec_ctx_free(s->codec);
    blob_unref(s->spare);
    free(s->pf_map);
    pku_free(s->pku);
    cl_lake_close(s->lake);
    strom_table_desc_free(&s->t);
    strom_client_close(s->c);
    free(s);
}

/* ---- union reads of primary-key tables ------------------------------------------------------
 *
 * The lake's files hold, per bucket, one row per key and tiering run (with its sequence
 * number, the changelog offset, and its value kind); the log holds the changes after the
 * snapshot's offsets. Both are folded by key (the newest change wins; a delete removes the
 * key), then the rows left are filtered and projected and handed out as inserts. Following,
 * the changelog goes on from where the fold stopped, with the caller's columns and predicate
 * pushed down as usual: no change missed or seen twice. The fold holds the table's current
 * rows in memory (in their compact row form).
 */
typedef struct pku {
    strom_pkfold fold;
    cl_lake *lake;
    int *allcols;
    strom_scanner *logs;     /* the log after the lake: every column, no predicate, to the end */
    strom_scanner *follow;   /* then, following: the caller's columns and predicate */
    uint32_t *order;
    size_t at;
    int phase;               /* 0 fold, 1 hand out the rows, 2 follow, 3 done */
    strom_batch_builder *bb; /* the table's latest schema */
    strom_buf msg;
    uint8_t *sel;
    cl_start *ends;
    int nends;
} pku;

static void pku_free(pku *u)
{
    if (!u)
        return;
    strom_pkfold_free(&u->fold);
    cl_lake_close(u->lake);
    strom_scanner_close(u->logs);
    strom_scanner_close(u->follow);
    free(u->allcols);
    free(u->order);
    strom_bb_free(u->bb);
    strom_buf_free(&u->msg);
    free(u->sel);
    free(u->ends);
    free(u);
}

static int pku_open(strom_scanner *s, const char *addr, const strom_client_opts *copts,
                    strom_error *err)
{
    pku *u = calloc(1, sizeof *u);
    if (!u)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    s->pku = u;
    int n = strom_schema_ncols(s->t.schema);
    u->allcols = malloc(sizeof(int) * (size_t)(n + 1));
    u->bb = strom_bb_new(s->t.schema);
    if (!u->allcols || !u->bb || strom_pkfold_init(&u->fold, s->t.schema, s->t.pk, s->t.npk) != 0)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (int c = 0; c < n; c++)
        u->allcols[c] = c;
    /* the lake's newest snapshot, and the log from where it ends (every column, to the end
     * now); once more if retention moved past that snapshot meanwhile */
    strom_scan_opts lo;
    strom_scan_opts_default(&lo);
    lo.max_bytes = s->o.max_bytes;
    int rc = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        cl_lake_close(u->lake);
        u->lake = NULL;
        if ((rc = cl_lake_open(&s->t, NULL, u->allcols, n, s->t.schema, &u->lake, err)) < 0)
            return rc;
        rc = scanner_open(addr, copts, s->t.database, s->t.table, &lo, u->lake, NULL, 0,
                          &u->logs, err);
        if (rc == 0)
            u->logs->offsets_from = NULL; /* read at open only; the lake goes before the log */
        if (rc != STROM_ESTATE)
            break;
    }
    return rc;
}

static int pku_fold(strom_scanner *s, pku *u, strom_error *err)
{
    int rc = cl_lake_fold(u->lake, lake_part_ok, s, &u->fold, err);
    if (rc < 0)
        return rc;
    cl_lake_close(u->lake);
    u->lake = NULL;
    uint8_t *changes = NULL;
    strom_result *r;
    int k;
    while (rc == 0 && (k = strom_scanner_next(u->logs, &r, err)) == 1) {
        int64_t rows = strom_result_rows(r);
        uint8_t *nc = realloc(changes, (size_t)rows + 1);
        if (!nc) {
            strom_result_free(r);
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
            break;
        }
        changes = nc;
        for (int64_t i = 0; i < rows; i++)
            changes[i] = (uint8_t)strom_result_change(r, i);
        if (strom_pkfold_batch(&u->fold, cl_result_batch(r), changes,
                               strom_result_base_offset(r)) != 0)
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        strom_result_free(r);
    }
    free(changes);
    if (rc == 0 && k < 0)
        rc = k;
    if (rc < 0)
        return rc;
    /* where each bucket's log was read up to: the follow scanner starts there */
    strom_scanner *ls = u->logs;
    u->ends = calloc((size_t)ls->nb + 1, sizeof *u->ends);
    if (!u->ends)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (int i = 0; i < ls->nb; i++) {
        snprintf(u->ends[i].partition, sizeof u->ends[i].partition, "%s", ls->b[i].partition);
        u->ends[i].bucket = ls->b[i].bucket;
        u->ends[i].offset = ls->b[i].next;
    }
    u->nends = ls->nb;
    strom_scanner_close(u->logs);
    u->logs = NULL;
    if (!(u->order = strom_pkfold_sorted(&u->fold)))
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    u->phase = 1;
    return 0;
}

/* The next batch of current rows (filtered and projected), NULL when none is left. */
static int pku_rows(strom_scanner *s, pku *u, strom_result **out, strom_error *err)
{
    *out = NULL;
    int n = strom_schema_ncols(s->t.schema), rc = 0;
    bool every_col = all_columns(s); /* and no predicate: the folded batch is the result */
    strom_value *vals = calloc((size_t)n + 1, sizeof *vals);
    if (!vals)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    while (rc == 0 && !*out && u->at < u->fold.n) {
        strom_bb_reset(u->bb);
        int64_t rows = 0;
        for (; rc == 0 && u->at < u->fold.n && rows < 8192; u->at++) {
            const strom_pkfold_entry *e = &u->fold.e[u->order[u->at]];
            if (e->kind == 3)
                continue; /* deleted */
            if ((rc = strom_pkfold_row(&u->fold, e, vals, err)) == 0)
                rc = strom_bb_append_row(u->bb, vals, err);
            rows++;
        }
        if (rc != 0 || rows == 0)
            break;
        strom_batch *b = NULL, *ob = NULL;
        strom_ipc_msg m;
        strom_buf omsg = STROM_BUF_INIT;
        strom_buf_reset(&u->msg);
        int64_t nsel = rows;
        if ((rc = strom_bb_seal(u->bb, NULL, &u->msg, NULL, err)) == 0 &&
            (rc = strom_ipc_read_msg(u->msg.data, u->msg.len, &m, err)) == 0)
            rc = strom_ipc_decode_batch(&m, s->t.schema, s->t.schema, NULL, &b, err);
        if (rc == 0 && !s->pred && every_col) {
            /* every row and column: the batch just decoded is the result, no selection */
            size_t len;
            uint8_t *own = strom_buf_detach(&u->msg, &len);
            if (!(*out = cl_result_own(b, own, s->out_schema, "", 0))) {
                free(own);
                strom_batch_free(b);
                rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
            }
            break;
        }
        if (rc == 0 && s->pred) {
            uint8_t *sel = realloc(u->sel, (size_t)(rows + 7) / 8 + 1);
            if (!sel)
                rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
            else
                u->sel = sel;
            if (rc == 0)
                rc = strom_pred_eval_rows(s->pred, b, u->sel, &nsel, err);
        }
        if (rc == 0 && nsel > 0 &&
            (rc = strom_batch_select(b, s->pred ? u->sel : NULL, s->cols, s->ncols,
                                     s->out_schema, NULL, &omsg, NULL, err)) == 0 &&
            (rc = strom_ipc_read_msg(omsg.data, omsg.len, &m, err)) == 0 &&
            (rc = strom_ipc_decode_batch(&m, s->out_schema, s->out_schema, NULL, &ob, err)) == 0) {
            size_t len;
            uint8_t *own = strom_buf_detach(&omsg, &len);
            if (!(*out = cl_result_own(ob, own, s->out_schema, "", 0))) {
                free(own);
                strom_batch_free(ob);
                rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
            }
        }
        if (rc > 0)
            rc = strom_error_set(err, STROM_ECORRUPT, "truncated batch");
        strom_batch_free(b);
        strom_buf_free(&omsg);
    }
    free(vals);
    return rc;
}

static int pku_next(strom_scanner *s, strom_result **out, strom_error *err)
{
    pku *u = s->pku;
    int rc;
    if (s->failed.code) {
        if (err)
            *err = s->failed;
        return s->failed.code;
    }
    if (u->phase == 0 && (rc = pku_fold(s, u, err)) < 0)
        return fail_for_good(s, rc, err);
    if (u->phase == 1) {
        if ((rc = pku_rows(s, u, out, err)) < 0)
            return rc;
        if (*out)
            return 1;
        strom_pkfold_free(&u->fold); /* handed out: the memory goes */
        u->phase = s->o.follow ? 2 : 3;
    }
    if (u->phase == 3)
        return 0;
    if (!u->follow) {
        strom_scan_opts fo = s->o;
        fo.lake = false;
        fo.snapshot = false;
        fo.start = STROM_START_EARLIEST;
        fo.columns = (const char *const *)s->colnames;
        fo.ncolumns = s->ncols;
        fo.where = s->where;
        /* the follower connects where this scanner did, with its options */
        if ((rc = scanner_open(s->c->addr, &s->c->o, s->t.database, s->t.table, &fo, NULL,
                               u->ends, u->nends, &u->follow, err)) < 0)
            return rc;
    }
    return strom_scanner_next(u->follow, out, err);
}

/* ---- row access ---------------------------------------------------------------------------- */

int64_t strom_result_rows(const strom_result *r)
{
    return r->b->rows;
}

const char *strom_result_partition(const strom_result *r)
{
    return r->partition;
}

uint32_t strom_result_bucket(const strom_result *r)
{
    return r->bucket;
}

int64_t strom_result_base_offset(const strom_result *r)
{
    return r->base_offset;
}

int64_t strom_result_commit_ms(const strom_result *r)
{
    return r->commit_ms;
}

strom_change strom_result_change(const strom_result *r, int64_t row)
{
    if (!r->changes || row < 0 || row >= r->b->rows || r->changes[row] > STROM_ROW_DELETE)
        return STROM_ROW_INSERT;
    return (strom_change)r->changes[row];
}

const char *strom_change_name(strom_change c)
{
    static const char *const names[] = {"+I", "-U", "+U", "-D"};
    return (unsigned)c <= STROM_ROW_DELETE ? names[c] : "?";
}

static strom_value get(const strom_result *r, int64_t row, int col)
{
    strom_value v;
    if (col < 0 || col >= r->b->ncols || row < 0 || row >= r->b->rows) {
        memset(&v, 0, sizeof v);
        v.is_null = true;
        return v;
    }
    strom_col_get(&r->b->cols[col], strom_schema_col_type(r->schema, col), row, &v);
    return v;
}

bool strom_result_is_null(const strom_result *r, int64_t row, int col)
{
    return get(r, row, col).is_null;
}

bool strom_result_bool(const strom_result *r, int64_t row, int col)
{
    strom_value v = get(r, row, col);
    return !v.is_null && v.type == STROM_TYPE_BOOLEAN && v.u.b;
}

int64_t strom_result_int(const strom_result *r, int64_t row, int col)
{
    strom_value v = get(r, row, col);
    if (v.is_null)
        return 0;
    if (v.type == STROM_TYPE_FLOAT || v.type == STROM_TYPE_DOUBLE)
        return (int64_t)v.u.f;
    if (v.type == STROM_TYPE_BOOLEAN)
        return v.u.b;
    if (v.type == STROM_TYPE_DECIMAL || v.type == STROM_TYPE_STRING || v.type == STROM_TYPE_BYTES)
        return 0;
    return v.u.i;
}

double strom_result_double(const strom_result *r, int64_t row, int col)
{
    strom_value v = get(r, row, col);
    if (v.is_null)
        return 0;
    if (v.type == STROM_TYPE_FLOAT || v.type == STROM_TYPE_DOUBLE)
        return v.u.f;
    if (v.type == STROM_TYPE_DECIMAL) {
        double d = (double)v.u.d;
        for (int i = 0; i < strom_schema_col_type(r->schema, col).scale; i++)
            d /= 10;
        return d;
    }
    return (double)strom_result_int(r, row, col);
}

const uint8_t *strom_result_bytes(const strom_result *r, int64_t row, int col, size_t *len)
{
    strom_value v = get(r, row, col);
    if (v.is_null || (v.type != STROM_TYPE_STRING && v.type != STROM_TYPE_BYTES)) {
        *len = 0;
        return NULL;
    }
    *len = v.u.s.len;
    return v.u.s.ptr;
}

int strom_result_text(const strom_result *r, int64_t row, int col, char *buf, size_t cap)
{
    strom_value v = get(r, row, col);
    if (!v.is_null && (v.type == STROM_TYPE_STRING))
        return snprintf(buf, cap, "%.*s", (int)v.u.s.len, (const char *)v.u.s.ptr);
    int scale = col >= 0 && col < r->b->ncols ? strom_schema_col_type(r->schema, col).scale : 0;
    int n = strom_value_format(&v, scale, buf, cap);
    /* temporal literals are quoted in the predicate form; plain text drops the quotes */
    if (n >= 2 && (size_t)n < cap && buf[0] == '\'' && buf[n - 1] == '\'') {
        memmove(buf, buf + 1, (size_t)n - 2);
        buf[n - 2] = 0;
        n -= 2;
    }
    return n;
}

/* Owner of what an exported batch views: the response blob and a re-encoded message. */
typedef struct export_owner {
    blob *bl;
    uint8_t *own;
} export_owner;

static void export_owner_free(void *p)
{
    export_owner *o = p;
    blob_unref(o->bl);
    free(o->own);
    free(o);
}

int strom_result_export(strom_result *r, struct ArrowArray *array, struct ArrowSchema *schema,
                        strom_error *err)
{
    export_owner *o = malloc(sizeof *o);
    if (!o)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    int rc = schema ? strom_arrow_export_schema(r->schema, schema, err) : 0;
    if (rc < 0) {
        free(o);
        return rc;
    }
    o->bl = r->bl;
    o->own = r->own;
    if ((rc = strom_arrow_export_batch(r->b, o, export_owner_free, array, err)) < 0) {
        if (schema)
            schema->release(schema);
        free(o);
        return rc;
    }
    free(r); /* the batch, the blob reference and the message now belong to the export */
    return 0;
}

/* ---- the scanner as an ArrowArrayStream ------------------------------------------------ */

typedef struct scan_stream {
    strom_scanner *s;
    strom_error err; /* of the last failure */
    int failed;      /* its errno value: every later get_next gives it again */
} scan_stream;

/* The errno value the C Stream Interface asks for. */
static int stream_errno(int rc)
{
    switch (rc) {
    case STROM_ENOMEM: return ENOMEM;
    case STROM_EINVAL:
    case STROM_EPARSE:
    case STROM_ETYPE:
    case STROM_ERANGE: return EINVAL;
    default: return EIO;
    }
}

static int stream_get_schema(struct ArrowArrayStream *st, struct ArrowSchema *out)
{
    scan_stream *ss = st->private_data;
    int rc = strom_arrow_export_schema(strom_scanner_schema(ss->s), out, &ss->err);
    return rc < 0 ? stream_errno(rc) : 0;
}

static int stream_get_next(struct ArrowArrayStream *st, struct ArrowArray *out)
{
    scan_stream *ss = st->private_data;
    strom_result *r;
    int k;
    if (ss->failed)
        return ss->failed;
    while ((k = strom_scanner_next(ss->s, &r, &ss->err)) == 2) {
        /* following, and no rows within max_wait_ms: a stream waits on (without a long
         * poll, at most a Fetch a millisecond) */
        if (ss->s->o.max_wait_ms == 0)
            nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    if (k == 0) { /* the end: a released array */
        memset(out, 0, sizeof *out);
        return 0;
    }
    if (k == 1 && (k = strom_result_export(r, out, NULL, &ss->err)) < 0)
        strom_result_free(r); /* its rows are lost: the stream fails for good */
    if (k < 0)
        ss->failed = stream_errno(k);
    return k < 0 ? ss->failed : 0;
}

static const char *stream_last_error(struct ArrowArrayStream *st)
{
    scan_stream *ss = st->private_data;
    return ss->err.code ? ss->err.msg : NULL;
}

static void stream_release(struct ArrowArrayStream *st)
{
    scan_stream *ss = st->private_data;
    strom_scanner_close(ss->s);
    free(ss);
    st->release = NULL;
}

int strom_scanner_export_stream(strom_scanner *s, struct ArrowArrayStream *out,
                                strom_error *err)
{
    scan_stream *ss = calloc(1, sizeof *ss);
    if (!ss)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    ss->s = s;
    *out = (struct ArrowArrayStream){stream_get_schema, stream_get_next, stream_last_error,
                                     stream_release, ss};
    return 0;
}

const strom_batch *cl_result_batch(const strom_result *r)
{
    return r->b;
}

strom_result *cl_result_own(strom_batch *b, uint8_t *own, const strom_schema *schema,
                            const char *partition, uint32_t bucket)
{
    strom_result *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->b = b;
    r->own = own;
    r->schema = schema;
    r->base_offset = -1;
    snprintf(r->partition, sizeof r->partition, "%s", partition ? partition : "");
    r->bucket = bucket;
    return r;
}
