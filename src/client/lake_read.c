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
 */
#include <errno.h>
#include <fcntl.h>
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
#include "lake/tier.h"

struct cl_lake {
    strom_lake *lk;
    const strom_table_desc *t;        /* the scanner's (latest schema) */
    const strom_pred *pred;
    const int *cols;
    int ncols;
    const strom_schema *out_schema;
    int nlatest;
    uint8_t *need;                    /* per latest column: chosen or read by the predicate */
    uint8_t *pcols;                   /* per latest column: read by the predicate */
    strom_lake_file *files;
    int nfiles, next;
    strom_tier_source *offs;          /* tiered offsets per bucket */
    int noffs;
    /* the file being read */
    int cur;
    uint8_t *map;
    size_t maplen;
    strom_pq_file *pf;
    int group;
    int *fcol;                        /* per latest column: file column, or -1 */
    int *needcols;                    /* the needed latest columns, in table order */
    int nneed;
    strom_schema *need_schema;        /* those columns */
    strom_col_view *wide_cols;        /* a batch of the table's width over them */
    bool as_is;                       /* no predicate and the chosen columns are needcols in
                                         order: the decoded batch is the result */
    strom_batch_builder *bb;
    strom_buf msg;
    uint8_t *sel;
    strom_codec_ctx *codec;
    uint64_t bytes_read, bytes_total;
    int64_t files_skipped, groups_skipped, rows_read;
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

void cl_lake_close(cl_lake *l)
{
    if (!l)
        return;
    strom_pq_close(l->pf);
    if (l->map)
        munmap(l->map, l->maplen);
    strom_lake_files_free(l->files, l->nfiles);
    for (int i = 0; i < l->noffs; i++)
        free((char *)l->offs[i].partition);
    free(l->offs);
    free(l->need);
    free(l->pcols);
    free(l->fcol);
    free(l->needcols);
    free(l->wide_cols);
    strom_schema_free(l->need_schema);
    free(l->sel);
    strom_bb_free(l->bb);
    strom_buf_free(&l->msg);
    strom_codec_ctx_free(l->codec);
    strom_lake_close(l->lk);
    free(l);
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
    l->t = t;
    l->pred = pred;
    l->cols = cols;
    l->ncols = ncols;
    l->out_schema = out_schema;
    l->nlatest = strom_schema_ncols(t->schema);
    l->cur = -1;
    l->msg = (strom_buf)STROM_BUF_INIT;
    l->need = calloc((size_t)l->nlatest, 1);
    l->pcols = calloc((size_t)l->nlatest, 1);
    l->fcol = calloc((size_t)l->nlatest, sizeof *l->fcol);
    l->needcols = calloc((size_t)l->nlatest + 1, sizeof *l->needcols);
    l->wide_cols = calloc((size_t)l->nlatest + 1, sizeof *l->wide_cols);
    l->codec = strom_codec_ctx_new();
    if (!l->need || !l->pcols || !l->fcol || !l->needcols || !l->wide_cols || !l->codec) {
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
    if (!(l->need_schema = strom_schema_project(t->schema, l->needcols, l->nneed)) ||
        !(l->bb = strom_bb_new(l->need_schema))) {
        cl_lake_close(l);
        return nomem(err);
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
    *read = l ? l->bytes_read : 0;
    *total = l ? l->bytes_total : 0;
}

/* Stats of the latest schema's columns for a file or a row group: NULL-safe pruning. Returns
 * false when a column the predicate reads has unknown stats (then nothing is pruned). */
static bool stats_for_pred(cl_lake *l, strom_batch_stats *st, int64_t rows,
                           const strom_batch_stats *file, int g)
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
            if (l->fcol[c] < 0) {
                cs->null_count = rows;
                continue;
            }
            if (!strom_pq_chunk_stats(l->pf, g, l->fcol[c], cs))
                return false;
            if (cs->has_min && cs->min.type != strom_schema_col_type(l->t->schema, c).id)
                return false;
        }
    }
    return true;
}

static void close_file(cl_lake *l)
{
    strom_pq_close(l->pf);
    l->pf = NULL;
    if (l->map)
        munmap(l->map, l->maplen);
    l->map = NULL;
    l->cur = -1;
}

/* Opens file i unless its partition or statistics rule it out (*skip). */
static int open_file(cl_lake *l, int i, bool (*part_ok)(void *, const char *), void *ctx,
                     bool *skip, strom_error *err)
{
    strom_lake_file *f = &l->files[i];
    char part[STROM_PARTITION_MAX + 1];
    part_text(f, part, sizeof part);
    *skip = false;
    if (part_ok && f->has_partition && !part_ok(ctx, part)) {
        *skip = true;
        return 0;
    }
    if (l->pred && f->stats.ncols > 0) {
        strom_batch_stats st = {0};
        st.cols = calloc((size_t)l->nlatest, sizeof *st.cols);
        if (!st.cols)
            return nomem(err);
        bool ok = stats_for_pred(l, &st, f->rows, &f->stats, -1);
        *skip = ok && strom_pred_eval_stats(l->pred, &st) == STROM_MATCH_NONE;
        free(st.cols);
        if (*skip)
            return 0;
    }
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
    l->maplen = (size_t)sb.st_size;
    l->map = l->maplen ? mmap(NULL, l->maplen, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (l->map == MAP_FAILED) {
        l->map = NULL;
        return strom_error_set(err, STROM_EIO, "mmap %s: %s", path, strerror(errno));
    }
    int rc = strom_pq_open(l->map, l->maplen, &l->pf, err);
    if (rc != 0) {
        close_file(l);
        return strom_error_prefix(err, "lake file %s", path), rc;
    }
    const strom_schema *fs = strom_pq_schema(l->pf);
    for (int c = 0; c < l->nlatest; c++) {
        const char *nm = strom_schema_col_name(l->t->schema, c);
        l->fcol[c] = strom_schema_find(fs, nm, strlen(nm));
        if (l->fcol[c] >= 0 && l->need[c] &&
            strom_schema_col_type(fs, l->fcol[c]).id != strom_schema_col_type(l->t->schema, c).id) {
            close_file(l);
            return strom_error_set(err, STROM_ECORRUPT, "lake file %s: column %s has another "
                                   "type than the table's", path, nm);
        }
    }
    l->cur = i;
    l->group = 0;
    return 0;
}

/* Reads row group g of the open file into a result (NULL when no row is left): the needed
 * columns only (chosen + predicate), decoded into a batch of those; the predicate and the
 * projection then see them at their table positions. */
static int read_group(cl_lake *l, int g, strom_result **out, strom_error *err)
{
    *out = NULL;
    int64_t rows = strom_pq_group_rows(l->pf, g);
    const strom_lake_file *f = &l->files[l->cur];
    uint64_t all = 0, used = 0;
    for (int c = 0; c < strom_schema_ncols(strom_pq_schema(l->pf)); c++)
        all += strom_pq_chunk_bytes(l->pf, g, c);
    l->bytes_total += all;
    if (l->pred) {
        strom_batch_stats st = {0};
        st.cols = calloc((size_t)l->nlatest, sizeof *st.cols);
        if (!st.cols)
            return nomem(err);
        bool ok = stats_for_pred(l, &st, rows, NULL, g);
        bool none = ok && strom_pred_eval_stats(l->pred, &st) == STROM_MATCH_NONE;
        free(st.cols);
        if (none) {
            l->groups_skipped++;
            return 0;
        }
    }
    strom_bb_reset(l->bb);
    int rc = 0;
    for (int i = 0; rc == 0 && i < l->nneed; i++) {
        int c = l->needcols[i];
        if (l->fcol[c] >= 0) {
            rc = strom_pq_read_group_cols(l->pf, g, &l->fcol[c], &i, 1, l->bb, err);
            used += strom_pq_chunk_bytes(l->pf, g, l->fcol[c]);
            continue;
        }
        for (int64_t r = 0; rc == 0 && r < rows; r++) /* added after the file: null */
            if (strom_bb_append_null(l->bb, i) != 0)
                rc = strom_error_set(err, STROM_ECORRUPT, "lake file %s: column %s is missing "
                                     "and NOT NULL", f->path,
                                     strom_schema_col_name(l->t->schema, c));
    }
    l->bytes_read += used;
    strom_batch *nb = NULL, *ob = NULL;
    strom_ipc_msg m;
    strom_buf omsg = STROM_BUF_INIT;
    strom_buf_reset(&l->msg);
    if (rc == 0 && (rc = strom_bb_seal(l->bb, NULL, &l->msg, NULL, err)) == 0 &&
        (rc = strom_ipc_read_msg(l->msg.data, l->msg.len, &m, err)) == 0)
        rc = strom_ipc_decode_batch(&m, l->need_schema, l->need_schema, l->codec, &nb, err);
    /* the needed columns at their table positions (the others are never looked at) */
    strom_batch wide = {l->t->schema, rows, l->nlatest, l->wide_cols, NULL};
    if (rc == 0) {
        memset(l->wide_cols, 0, sizeof *l->wide_cols * (size_t)l->nlatest);
        for (int c = 0; c < l->nlatest; c++)
            l->wide_cols[c].length = rows;
        for (int i = 0; i < l->nneed; i++)
            l->wide_cols[l->needcols[i]] = nb->cols[i];
    }
    int64_t nsel = rows;
    if (rc == 0 && l->pred) {
        uint8_t *sel = realloc(l->sel, (size_t)(rows + 7) / 8 + 1);
        if (!sel)
            rc = nomem(err);
        else
            l->sel = sel;
        if (rc == 0)
            rc = strom_pred_eval_rows(l->pred, &wide, l->sel, &nsel, err);
    }
    uint8_t *own = NULL;
    if (rc == 0 && nsel > 0 && l->as_is && nsel == rows) {
        ob = nb; /* the decoded batch is the result: its message is the memory it views */
        nb = NULL;
        size_t n;
        own = strom_buf_detach(&l->msg, &n);
    } else if (rc == 0 && nsel > 0) {
        if ((rc = strom_batch_select(&wide, l->pred ? l->sel : NULL, l->cols, l->ncols,
                                     l->out_schema, NULL, &omsg, NULL, err)) == 0 &&
            (rc = strom_ipc_read_msg(omsg.data, omsg.len, &m, err)) == 0)
            rc = strom_ipc_decode_batch(&m, l->out_schema, l->out_schema, NULL, &ob, err);
        size_t n;
        own = strom_buf_detach(&omsg, &n);
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
        } else {
            l->rows_read += ob->rows;
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

int cl_lake_next(cl_lake *l, bool (*part_ok)(void *, const char *), void *ctx,
                 strom_result **out, strom_error *err)
{
    *out = NULL;
    if (!l)
        return 0;
    for (;;) {
        if (l->cur < 0) {
            if (l->next >= l->nfiles)
                return 0;
            bool skip;
            int rc = open_file(l, l->next++, part_ok, ctx, &skip, err);
            if (rc != 0)
                return rc;
            if (skip) {
                l->files_skipped++;
                continue;
            }
        }
        while (l->group < strom_pq_groups(l->pf)) {
            int rc = read_group(l, l->group++, out, err);
            if (rc != 0)
                return rc;
            if (*out)
                return 1;
        }
        close_file(l);
    }
}
