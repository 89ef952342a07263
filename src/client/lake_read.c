/*
 * lake_read.c: the lake half of a union read (client_internal.h, cl_lake_*).
 *
 * At open, the newest snapshot of the table's Paimon table gives the live data files and, in
 * its strom.offsets property, the log offset each bucket was copied up to: the scanner reads
 * these files, then each bucket's log from that offset, so every row is read exactly once.
 *
 * Files are mapped, not read: only the footer and the column chunks a scan needs are touched.
 * Pruning: files by partition and by their manifest statistics, row groups by their chunk
 * statistics; rows that remain are filtered by the predicate, and only the chosen columns are
 * decoded (the predicate's too).
 *
 * Row groups are decoded by worker threads (2, started at the first read), each taking the
 * next row group in file order; results are handed out in that same order (a window of
 * slots bounds how far the workers run ahead), so a bucket's rows come in offset order.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "columnar/batch.h"
#include "columnar/ipc.h"
#include "columnar/predicate.h"
#include "columnar/value.h"
#include "lake/paimon.h"
#include "lake/parquet.h"
#include "lake/pkfold.h"
#include "lake/tier.h"
#include "log/record.h"

#define LAKE_THREADS 2
#define LAKE_WINDOW 6                 /* row groups decoded ahead of the reader at most */

/* An open data file, shared by the tasks of its row groups. */
typedef struct lfile {
    int refs;                         /* under the reader's mutex */
    int index;                        /* in files[] */
    uint8_t *map;
    size_t maplen;
    strom_pq_file *pf;
    int *fcol;                        /* per table column: file column, or -1 */
} lfile;

/* One decoding thread's buffers. */
typedef struct lworker {
    struct cl_lake *l;
    pthread_t th;
    bool started;
    strom_batch_builder *bb;
    strom_buf msg;
    uint8_t *sel;
    strom_col_view *wide_cols;        /* a batch of the table's width over the needed columns */
    strom_codec_ctx *codec;
    strom_batch_stats st;             /* scratch for pruning, table width */
} lworker;

typedef struct lslot {
    bool ready;
    int rc;
    strom_error err;
    strom_result *res;                /* NULL: the row group had no row left */
} lslot;

struct cl_lake {
    strom_lake *lk;
    const strom_table_desc *t;        /* the scanner's (latest schema) */
    const strom_pred *pred;
    const int *cols;
    int ncols;
    const strom_schema *out_schema;
    int nlatest;
    uint8_t *need;                    /* per table column: chosen or read by the predicate */
    uint8_t *pcols;                   /* per table column: read by the predicate */
    int *needcols;                    /* the needed table columns, in table order */
    int nneed;
    strom_schema *need_schema;        /* those columns */
    bool as_is;                       /* no predicate and the chosen columns are needcols in
                                         order: the decoded batch is the result */
    strom_lake_file *files;
    int nfiles;
    strom_tier_source *offs;          /* tiered offsets per bucket */
    int noffs;
    bool (*part_ok)(void *, const char *);
    void *part_ctx;
    /* shared by the workers and the reader, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool started, stop, exhausted;    /* no row group left to hand out */
    int next_file;
    lfile *cur;                       /* the file whose row groups are being handed out */
    int next_group;
    int64_t seq_out;                  /* tasks handed to workers */
    int64_t seq_in;                   /* the next result the reader takes */
    lslot slots[LAKE_WINDOW];
    int failed;                       /* an error while handing out (opening a file) */
    strom_error fail_err;
    int64_t fail_seq;                 /* ... taking effect at this sequence number */
    lworker workers[LAKE_THREADS];
    uint64_t bytes_read, bytes_total; /* atomic */
    int64_t files_skipped, groups_skipped;
};

static int nomem(strom_error *err)
{
    return strom_error_set(err, STROM_ENOMEM, "out of memory");
}

/* strom's text of a lake partition value ("" when unpartitioned). */
static void part_text(const strom_lake_file *f, char *buf, size_t cap)
{
    buf[0] = 0;
    if (!f->has_partition || f->partition.is_null)
        return;
    if (f->partition.type == STROM_TYPE_STRING) {
        snprintf(buf, cap, "%.*s", (int)f->partition.u.s.len, (const char *)f->part_bytes);
        return;
    }
    char tmp[64];
    strom_value_format(&f->partition, 0, tmp, sizeof tmp);
    size_t n = strlen(tmp);
    if (n >= 2 && tmp[0] == '\'' && tmp[n - 1] == '\'') { /* DATE '2026-12-01' */
        tmp[n - 1] = 0;
        snprintf(buf, cap, "%s", tmp + 1);
    } else {
        snprintf(buf, cap, "%s", tmp);
    }
}

/* The offsets of every bucket the snapshot names, from its strom.offsets property. */
static int load_offsets(cl_lake *l, const strom_lake_snapshot *s, strom_error *err)
{
    const char *text = strom_lake_snapshot_prop(s, "strom.offsets");
    if (!text)
        return 0;
    /* "{"part/b":n,...}": parsed by strom_tier_offsets per source; the sources are every key */
    const char *p = text;
    while ((p = strchr(p, '"')) != NULL) {
        const char *end = strchr(p + 1, '"');
        if (!end)
            break;
        const char *slash = NULL;
        for (const char *q = p + 1; q < end; q++)
            if (*q == '/')
                slash = q;
        if (slash) {
            strom_tier_source *o = realloc(l->offs, sizeof *o * (size_t)(l->noffs + 1));
            if (!o)
                return nomem(err);
            l->offs = o;
            char *part = strndup(p + 1, (size_t)(slash - p - 1));
            if (!part)
                return nomem(err);
            memset(&o[l->noffs], 0, sizeof *o);
            o[l->noffs].partition = part;
            o[l->noffs].bucket = (uint32_t)strtoul(slash + 1, NULL, 10);
            l->noffs++;
        }
        p = end + 1;
    }
    return strom_tier_offsets(s, l->t->table_id, l->offs, l->noffs, err);
}

int cl_lake_open(const strom_table_desc *t, const strom_pred *pred, const int *cols, int ncols,
                 const strom_schema *out_schema, cl_lake **out, strom_error *err)
{
    *out = NULL;
    cl_lake *l = calloc(1, sizeof *l);
    if (!l)
        return nomem(err);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->t = t;
    l->pred = pred;
    l->cols = cols;
    l->ncols = ncols;
    l->out_schema = out_schema;
    l->nlatest = strom_schema_ncols(t->schema);
    l->need = calloc((size_t)l->nlatest, 1);
    l->pcols = calloc((size_t)l->nlatest, 1);
    l->needcols = calloc((size_t)l->nlatest + 1, sizeof *l->needcols);
    if (!l->need || !l->pcols || !l->needcols) {
        cl_lake_close(l);
        return nomem(err);
    }
    if (pred)
        strom_pred_columns(pred, l->pcols, l->nlatest);
    for (int i = 0; i < l->nlatest; i++)
        l->need[i] = l->pcols[i];
    for (int i = 0; i < ncols; i++)
        l->need[cols[i]] = 1;
    for (int c = 0; c < l->nlatest; c++)
        if (l->need[c])
            l->needcols[l->nneed++] = c;
    l->as_is = !pred && ncols == l->nneed;
    for (int i = 0; l->as_is && i < ncols; i++)
        l->as_is = cols[i] == l->needcols[i];
    if (!(l->need_schema = strom_schema_project(t->schema, l->needcols, l->nneed))) {
        cl_lake_close(l);
        return nomem(err);
    }
    for (int i = 0; i < LAKE_THREADS; i++) {
        lworker *w = &l->workers[i];
        w->l = l;
        w->bb = strom_bb_new(l->need_schema);
        w->wide_cols = calloc((size_t)l->nlatest + 1, sizeof *w->wide_cols);
        w->st.cols = calloc((size_t)l->nlatest + 1, sizeof *w->st.cols);
        w->codec = strom_codec_ctx_new();
        if (!w->bb || !w->wide_cols || !w->st.cols || !w->codec) {
            cl_lake_close(l);
            return nomem(err);
        }
    }
    int rc = 0;
    strom_lake_snapshot s = {0};
    if (!t->lake_dir[0] || strom_lake_open(t->lake_dir, false, &l->lk, NULL) != 0) {
        *out = l; /* no lake table (yet): the log is all there is */
        return 0;
    }
    if ((rc = strom_lake_latest(l->lk, &s, err)) == 0 && s.id > 0 &&
        (rc = load_offsets(l, &s, err)) == 0)
        rc = strom_lake_files(l->lk, &s, &l->files, &l->nfiles, err);
    strom_lake_snapshot_free(&s);
    if (rc != 0) {
        strom_error_prefix(err, "lake table %s", t->lake_dir);
        cl_lake_close(l);
        return rc;
    }
    *out = l;
    return 0;
}

int64_t cl_lake_offset(const cl_lake *l, const char *partition, uint32_t bucket)
{
    for (int i = 0; l && i < l->noffs; i++)
        if (l->offs[i].bucket == bucket && !strcmp(l->offs[i].partition, partition))
            return l->offs[i].tiered;
    return 0;
}

void cl_lake_bytes(const cl_lake *l, uint64_t *read, uint64_t *total)
{
    *read = l ? __atomic_load_n(&l->bytes_read, __ATOMIC_ACQUIRE) : 0;
    *total = l ? __atomic_load_n(&l->bytes_total, __ATOMIC_ACQUIRE) : 0;
}

static void file_unref(cl_lake *l, lfile *f)
{
    (void)l;
    if (!f || --f->refs > 0)
        return;
    strom_pq_close(f->pf);
    if (f->map)
        munmap(f->map, f->maplen);
    free(f->fcol);
    free(f);
}

/* Stats of the table's columns for a file (its manifest stats) or a row group (its chunk
 * stats); false when a column the predicate reads has unknown stats (nothing is pruned). */
static bool stats_for_pred(const cl_lake *l, strom_batch_stats *st, int64_t rows,
                           const strom_batch_stats *file, const lfile *lf, int g)
{
    st->rows = rows;
    st->ncols = l->nlatest;
    for (int c = 0; c < l->nlatest; c++) {
        strom_col_stats *cs = &st->cols[c];
        memset(cs, 0, sizeof *cs);
        cs->min.type = cs->max.type = strom_schema_col_type(l->t->schema, c).id;
        if (!l->pcols[c])
            continue;
        if (file) {
            if (c >= file->ncols) { /* a column added after the file was written: null */
                cs->null_count = rows;
                continue;
            }
            if (file->cols[c].null_count < 0)
                return false;
            *cs = file->cols[c];
            strom_col_stats_fix(cs);
        } else {
            if (lf->fcol[c] < 0) {
                cs->null_count = rows;
                continue;
            }
            if (!strom_pq_chunk_stats(lf->pf, g, lf->fcol[c], cs))
                return false;
            if (cs->has_min && cs->min.type != strom_schema_col_type(l->t->schema, c).id)
                return false;
        }
    }
    return true;
}

/* Opens file i (NULL in *out when its partition or statistics rule it out). */
static int open_file(cl_lake *l, int i, strom_batch_stats *scratch, lfile **out,
                     strom_error *err)
{
    strom_lake_file *f = &l->files[i];
    char part[STROM_PARTITION_MAX + 1];
    part_text(f, part, sizeof part);
    *out = NULL;
    if (l->part_ok && f->has_partition && !l->part_ok(l->part_ctx, part))
        return 0;
    if (l->pred && f->stats.ncols > 0 && stats_for_pred(l, scratch, f->rows, &f->stats, NULL, 0) &&
        strom_pred_eval_stats(l->pred, scratch) == STROM_MATCH_NONE)
        return 0;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", strom_lake_dir(l->lk), f->path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return strom_error_set(err, errno == ENOENT ? STROM_ENOTFOUND : STROM_EIO,
                               "lake file %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || sb.st_size != f->size) {
        close(fd);
        return strom_error_set(err, STROM_ECORRUPT, "lake file %s is %lld bytes, its manifest "
                               "says %lld", path, (long long)sb.st_size, (long long)f->size);
    }
    lfile *lf = calloc(1, sizeof *lf);
    if (lf)
        lf->fcol = calloc((size_t)l->nlatest + 1, sizeof *lf->fcol);
    if (!lf || !lf->fcol) {
        close(fd);
        free(lf);
        return nomem(err);
    }
    lf->refs = 1;
    lf->index = i;
    lf->maplen = (size_t)sb.st_size;
    lf->map = lf->maplen ? mmap(NULL, lf->maplen, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    int rc = 0;
    if (lf->map == MAP_FAILED) {
        lf->map = NULL;
        rc = strom_error_set(err, STROM_EIO, "mmap %s: %s", path, strerror(errno));
    } else if ((rc = strom_pq_open(lf->map, lf->maplen, &lf->pf, err)) != 0) {
        strom_error_prefix(err, "lake file %s", path);
    }
    const strom_schema *fs = rc == 0 ? strom_pq_schema(lf->pf) : NULL;
    for (int c = 0; rc == 0 && c < l->nlatest; c++) {
        const char *nm = strom_schema_col_name(l->t->schema, c);
        lf->fcol[c] = strom_schema_find(fs, nm, strlen(nm));
        if (lf->fcol[c] >= 0 && l->need[c] &&
            strom_schema_col_type(fs, lf->fcol[c]).id != strom_schema_col_type(l->t->schema, c).id)
            rc = strom_error_set(err, STROM_ECORRUPT, "lake file %s: column %s has another "
                                 "type than the table's", path, nm);
    }
    if (rc != 0) {
        file_unref(l, lf);
        return rc;
    }
    *out = lf;
    return 0;
}

/* Decodes row group g of lf into a result (NULL when no row is left): the needed columns
 * only, decoded into a batch of those; the predicate and the projection then see them at
 * their table positions. */
static int read_group(cl_lake *l, lworker *w, const lfile *lf, int g, strom_result **out,
                      strom_error *err)
{
    *out = NULL;
    int64_t rows = strom_pq_group_rows(lf->pf, g);
    const strom_lake_file *f = &l->files[lf->index];
    uint64_t all = 0, used = 0;
    for (int c = 0; c < strom_schema_ncols(strom_pq_schema(lf->pf)); c++)
        all += strom_pq_chunk_bytes(lf->pf, g, c);
    __atomic_add_fetch(&l->bytes_total, all, __ATOMIC_ACQ_REL);
    if (l->pred && stats_for_pred(l, &w->st, rows, NULL, lf, g) &&
        strom_pred_eval_stats(l->pred, &w->st) == STROM_MATCH_NONE) {
        __atomic_add_fetch(&l->groups_skipped, 1, __ATOMIC_ACQ_REL);
        return 0;
    }
    strom_bb_reset(w->bb);
    int rc = 0;
    for (int i = 0; rc == 0 && i < l->nneed; i++) {
        int c = l->needcols[i];
        if (lf->fcol[c] >= 0) {
            rc = strom_pq_read_group_cols(lf->pf, g, &lf->fcol[c], &i, 1, w->bb, err);
            used += strom_pq_chunk_bytes(lf->pf, g, lf->fcol[c]);
            continue;
        }
        for (int64_t r = 0; rc == 0 && r < rows; r++) /* added after the file: null */
            if (strom_bb_append_null(w->bb, i) != 0)
                rc = strom_error_set(err, STROM_ECORRUPT, "lake file %s: column %s is missing "
                                     "and NOT NULL", f->path,
                                     strom_schema_col_name(l->t->schema, c));
    }
    __atomic_add_fetch(&l->bytes_read, used, __ATOMIC_ACQ_REL);
    strom_batch *nb = NULL, *ob = NULL;
    strom_ipc_msg m;
    strom_buf omsg = STROM_BUF_INIT;
    strom_buf_reset(&w->msg);
    if (rc == 0 && (rc = strom_bb_seal(w->bb, NULL, &w->msg, NULL, err)) == 0 &&
        (rc = strom_ipc_read_msg(w->msg.data, w->msg.len, &m, err)) == 0)
        rc = strom_ipc_decode_batch(&m, l->need_schema, l->need_schema, w->codec, &nb, err);
    strom_batch wide = {l->t->schema, rows, l->nlatest, w->wide_cols, NULL};
    if (rc == 0) {
        memset(w->wide_cols, 0, sizeof *w->wide_cols * (size_t)l->nlatest);
        for (int c = 0; c < l->nlatest; c++)
            w->wide_cols[c].length = rows;
        for (int i = 0; i < l->nneed; i++)
            w->wide_cols[l->needcols[i]] = nb->cols[i];
    }
    int64_t nsel = rows;
    if (rc == 0 && l->pred) {
        uint8_t *sel = realloc(w->sel, (size_t)(rows + 7) / 8 + 1);
        if (!sel)
            rc = nomem(err);
        else
            w->sel = sel;
        if (rc == 0)
            rc = strom_pred_eval_rows(l->pred, &wide, w->sel, &nsel, err);
    }
    uint8_t *own = NULL;
    size_t ownlen;
    if (rc == 0 && nsel > 0 && l->as_is && nsel == rows) {
        ob = nb; /* the decoded batch is the result: its message is the memory it views */
        nb = NULL;
        own = strom_buf_detach(&w->msg, &ownlen);
    } else if (rc == 0 && nsel > 0) {
        if ((rc = strom_batch_select(&wide, l->pred ? w->sel : NULL, l->cols, l->ncols,
                                     l->out_schema, NULL, &omsg, NULL, err)) == 0 &&
            (rc = strom_ipc_read_msg(omsg.data, omsg.len, &m, err)) == 0)
            rc = strom_ipc_decode_batch(&m, l->out_schema, l->out_schema, NULL, &ob, err);
        own = strom_buf_detach(&omsg, &ownlen);
    }
    if (rc > 0)
        rc = strom_error_set(err, STROM_ECORRUPT, "truncated batch");
    if (rc == 0 && ob) {
        char part[STROM_PARTITION_MAX + 1];
        part_text(f, part, sizeof part);
        if (!(*out = cl_result_own(ob, own, l->out_schema, part, (uint32_t)f->bucket))) {
            free(own);
            strom_batch_free(ob);
            rc = nomem(err);
        }
    } else {
        free(own);
        strom_batch_free(ob);
    }
    strom_batch_free(nb);
    strom_buf_free(&omsg);
    if (rc != 0)
        strom_error_prefix(err, "lake file %s row group %d", f->path, g);
    return rc;
}

/* Under mu: the next task (file + row group + sequence number), opening files as needed.
 * False when there is none left, or after an error (recorded for the reader). */
static bool next_task(cl_lake *l, lworker *w, lfile **lf, int *g, int64_t *seq)
{
    for (;;) {
        if (l->stop || l->exhausted || l->failed)
            return false;
        if (l->cur && l->next_group < strom_pq_groups(l->cur->pf)) {
            *lf = l->cur;
            l->cur->refs++;
            *g = l->next_group++;
            *seq = l->seq_out++;
            return true;
        }
        file_unref(l, l->cur);
        l->cur = NULL;
        if (l->next_file >= l->nfiles) {
            l->exhausted = true;
            pthread_cond_broadcast(&l->cv);
            return false;
        }
        strom_error e;
        strom_error_clear(&e);
        int rc = open_file(l, l->next_file++, &w->st, &l->cur, &e);
        if (rc != 0) {
            l->failed = rc;
            l->fail_err = e;
            l->fail_seq = l->seq_out;
            pthread_cond_broadcast(&l->cv);
            return false;
        }
        if (!l->cur)
            l->files_skipped++;
        l->next_group = 0;
    }
}

static void *lake_worker(void *arg)
{
    lworker *w = arg;
    cl_lake *l = w->l;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        lfile *lf;
        int g;
        int64_t seq;
        if (!next_task(l, w, &lf, &g, &seq))
            break;
        while (!l->stop && seq >= l->seq_in + LAKE_WINDOW) /* too far ahead of the reader */
            pthread_cond_wait(&l->cv, &l->mu);
        if (l->stop) {
            file_unref(l, lf);
            break;
        }
        pthread_mutex_unlock(&l->mu);
        strom_result *res = NULL;
        strom_error e;
        strom_error_clear(&e);
        int rc = read_group(l, w, lf, g, &res, &e);
        pthread_mutex_lock(&l->mu);
        file_unref(l, lf);
        lslot *sl = &l->slots[seq % LAKE_WINDOW];
        sl->ready = true;
        sl->rc = rc;
        sl->err = e;
        sl->res = res;
        pthread_cond_broadcast(&l->cv);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

static void worker_free(lworker *w)
{
    strom_bb_free(w->bb);
    strom_buf_free(&w->msg);
    free(w->sel);
    free(w->wide_cols);
    free(w->st.cols);
    strom_codec_ctx_free(w->codec);
}

void cl_lake_close(cl_lake *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    l->stop = true;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    for (int i = 0; i < LAKE_THREADS; i++) {
        if (l->workers[i].started)
            pthread_join(l->workers[i].th, NULL);
        worker_free(&l->workers[i]);
    }
    for (int i = 0; i < LAKE_WINDOW; i++)
        strom_result_free(l->slots[i].res);
    file_unref(l, l->cur);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    strom_lake_files_free(l->files, l->nfiles);
    for (int i = 0; i < l->noffs; i++)
        free((char *)l->offs[i].partition);
    free(l->offs);
    free(l->need);
    free(l->pcols);
    free(l->needcols);
    strom_schema_free(l->need_schema);
    strom_lake_close(l->lk);
    free(l);
}

int cl_lake_next(cl_lake *l, bool (*part_ok)(void *, const char *), void *ctx,
                 strom_result **out, strom_error *err)
{
    *out = NULL;
    if (!l || l->nfiles == 0)
        return 0;
    pthread_mutex_lock(&l->mu);
    if (!l->started) {
        l->started = true;
        l->part_ok = part_ok;
        l->part_ctx = ctx;
        for (int i = 0; i < LAKE_THREADS; i++)
            l->workers[i].started =
                pthread_create(&l->workers[i].th, NULL, lake_worker, &l->workers[i]) == 0;
        if (!l->workers[0].started && !l->workers[1].started) {
            pthread_mutex_unlock(&l->mu);
            return strom_error_set(err, STROM_ENOMEM, "cannot start the lake readers");
        }
    }
    int rc = 0;
    for (;;) {
        lslot *sl = &l->slots[l->seq_in % LAKE_WINDOW];
        if (sl->ready) {
            sl->ready = false;
            l->seq_in++;
            pthread_cond_broadcast(&l->cv);
            if (sl->rc != 0) {
                rc = sl->rc;
                if (err)
                    *err = sl->err;
                break;
            }
            if (sl->res) {
                *out = sl->res;
                sl->res = NULL;
                rc = 1;
                break;
            }
            continue; /* a pruned or emptied row group */
        }
        if (l->failed && l->seq_in >= l->fail_seq) {
            rc = l->failed;
            if (err)
                *err = l->fail_err;
            break;
        }
        if (l->exhausted && l->seq_in >= l->seq_out)
            break; /* every row group handed out has been taken */
        pthread_cond_wait(&l->cv, &l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int cl_lake_fold(cl_lake *l, bool (*part_ok)(void *, const char *), void *ctx,
                 strom_pkfold *f, strom_error *err)
{
    if (!l)
        return 0;
    l->part_ok = part_ok;
    l->part_ctx = ctx;
    int n = l->nlatest, rc = 0;
    strom_value *vals = calloc((size_t)n + 1, sizeof *vals);
    strom_batch_stats scratch = {0};
    scratch.cols = calloc((size_t)n + 1, sizeof *scratch.cols);
    strom_buf msg = STROM_BUF_INIT;
    if (!vals || !scratch.cols)
        rc = nomem(err);
    for (int i = 0; rc == 0 && i < l->nfiles; i++) {
        lfile *lf = NULL;
        if ((rc = open_file(l, i, &scratch, &lf, err)) != 0 || !lf)
            continue;
        const strom_schema *fs = strom_pq_schema(lf->pf);
        int seqc = strom_schema_find(fs, "_SEQUENCE_NUMBER", 16);
        int kindc = strom_schema_find(fs, "_VALUE_KIND", 11);
        if (seqc < 0 || kindc < 0)
            rc = strom_error_set(err, STROM_ECORRUPT, "lake file %s of a primary-key table has "
                                 "no _SEQUENCE_NUMBER or _VALUE_KIND", l->files[i].path);
        strom_batch_builder *bb = rc == 0 ? strom_bb_new(fs) : NULL;
        if (rc == 0 && !bb)
            rc = nomem(err);
        for (int g = 0; rc == 0 && g < strom_pq_groups(lf->pf); g++) {
            strom_batch *b = NULL;
            strom_ipc_msg m;
            strom_bb_reset(bb);
            strom_buf_reset(&msg);
            if ((rc = strom_pq_read_group(lf->pf, g, bb, err)) == 0 &&
                (rc = strom_bb_seal(bb, NULL, &msg, NULL, err)) == 0 &&
                (rc = strom_ipc_read_msg(msg.data, msg.len, &m, err)) == 0)
                rc = strom_ipc_decode_batch(&m, fs, fs, NULL, &b, err);
            for (int64_t r = 0; rc == 0 && r < b->rows; r++) {
                for (int c = 0; c < n; c++) {
                    if (lf->fcol[c] < 0) {
                        vals[c] = (strom_value){.type = strom_schema_col_type(l->t->schema, c).id,
                                                .is_null = true};
                        continue;
                    }
                    strom_col_get(&b->cols[lf->fcol[c]], strom_schema_col_type(fs, lf->fcol[c]), r,
                                  &vals[c]);
                }
                strom_value sv, kv;
                strom_col_get(&b->cols[seqc], strom_schema_col_type(fs, seqc), r, &sv);
                strom_col_get(&b->cols[kindc], strom_schema_col_type(fs, kindc), r, &kv);
                if (sv.is_null || kv.is_null || kv.u.i < 0 || kv.u.i > 3) {
                    rc = strom_error_set(err, STROM_ECORRUPT, "lake file %s: a row without a "
                                         "sequence number or value kind", l->files[i].path);
                    break;
                }
                static const uint8_t ct[4] = {STROM_CHANGE_INSERT, STROM_CHANGE_UPDATE_BEFORE,
                                              STROM_CHANGE_UPDATE_AFTER, STROM_CHANGE_DELETE};
                if (strom_pkfold_add(f, vals, ct[kv.u.i], sv.u.i) != 0)
                    rc = nomem(err);
            }
            if (rc > 0)
                rc = strom_error_set(err, STROM_ECORRUPT, "truncated batch");
            strom_batch_free(b);
        }
        strom_bb_free(bb);
        file_unref(l, lf);
    }
    free(vals);
    free(scratch.cols);
    strom_buf_free(&msg);
    return rc;
}
