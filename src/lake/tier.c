/*
 * tier.c: log table -> Paimon append table (tier.h).
 */
#include "lake/tier.h"

#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "columnar/ipc.h"
#include "columnar/value.h"
#include "common/fs.h"
#include "common/buf.h"
#include "common/common.h"
#include "common/crc32c.h"
#include "kv/kv_codec.h"
#include "lake/pkfold.h"
#include "log/record.h"

#define PROP_OFFSETS "strom.offsets"
#define PROP_TABLE "strom.table_id"

void strom_tier_opts_default(strom_tier_opts *o)
{
    memset(o, 0, sizeof *o);
    strom_pq_opts_default(&o->parquet);
    o->max_file_bytes = 256u << 20;
    o->commit_user = "strom";
    o->threads = 1;
}

static void source_key(const strom_tier_source *s, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%u", s->partition ? s->partition : "", s->bucket);
}

int strom_tier_offsets(const strom_lake_snapshot *s, uint64_t table_id,
                       strom_tier_source *sources, int n, strom_error *err)
{
    for (int i = 0; i < n; i++)
        sources[i].tiered = 0;
    if (s->id == 0)
        return 0;
    const char *tid = strom_lake_snapshot_prop(s, PROP_TABLE);
    if (tid && strtoull(tid, NULL, 10) != table_id)
        return strom_error_set(err, STROM_ESTATE, "the lake table holds table id %s, not %llu: "
                               "a table of the same name was dropped; remove its lake "
                               "directory first", tid, (unsigned long long)table_id);
    const char *text = strom_lake_snapshot_prop(s, PROP_OFFSETS);
    if (!text)
        return 0;
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return strom_error_set(err, STROM_ECORRUPT, "lake snapshot %lld: property %s is not a "
                               "JSON object", (long long)s->id, PROP_OFFSETS);
    }
    for (int i = 0; i < n; i++) {
        char key[STROM_PARTITION_MAX + 16];
        source_key(&sources[i], key, sizeof key);
        json_t *v = json_object_get(j, key);
        if (v && (!json_is_integer(v) || json_integer_value(v) < 0)) {
            json_decref(j);
            return strom_error_set(err, STROM_ECORRUPT, "lake snapshot %lld: offset of %s is "
                                   "not a non-negative integer", (long long)s->id, key);
        }
        sources[i].tiered = v ? json_integer_value(v) : 0;
    }
    json_decref(j);
    return 0;
}

/* ---- statistics over a file ------------------------------------------------------------- */

static void stat_min(strom_col_stats *a, const strom_col_stats *b)
{
    a->min = b->min;
    a->min_exact = b->min_exact;
    memcpy(a->min_bytes, b->min_bytes, sizeof a->min_bytes);
    a->has_min = true;
}

static void stat_max(strom_col_stats *a, const strom_col_stats *b)
{
    a->max = b->max;
    a->max_exact = b->max_exact;
    memcpy(a->max_bytes, b->max_bytes, sizeof a->max_bytes);
    a->has_max = true;
}

/* Folds the stats of one batch (columns 0..b->ncols of the file's schema) into acc. */
static void stats_merge(strom_batch_stats *acc, const strom_batch_stats *b, int64_t rows)
{
    acc->rows += rows;
    for (int c = 0; c < acc->ncols; c++) {
        strom_col_stats *a = &acc->cols[c];
        if (c >= b->ncols) {            /* a column the record's schema did not have */
            a->null_count += rows;
            continue;
        }
        const strom_col_stats *s = &b->cols[c];
        a->null_count += s->null_count;
        if (s->has_min && (!a->has_min || strom_value_cmp(&s->min, &a->min) < 0))
            stat_min(a, s);
        if (s->has_max && (!a->has_max || strom_value_cmp(&s->max, &a->max) > 0))
            stat_max(a, s);
        strom_col_stats_fix(a);
    }
}

/* ---- primary-key tables: the changes of a run folded to one row per key ---------------- */

#define PK_KEY_ID_START 1073741823  /* Paimon's _KEY_ field ids: this + the column's id */
#define PK_SEQ_ID 2147483646        /* _SEQUENCE_NUMBER */
#define PK_KIND_ID 2147483645       /* _VALUE_KIND */

/* The Parquet schema of a primary-key file: _KEY_<trimmed key>, _SEQUENCE_NUMBER,
 * _VALUE_KIND, then the table's columns; field ids as Paimon's. */
static strom_schema *pk_file_schema(const strom_pkfold *f, const strom_schema *s,
                                    int32_t *ids)
{
    strom_schema *x = strom_schema_new(strom_schema_id(s));
    int at = 0;
    for (int k = 0; x && k < f->nkey; k++) {
        char name[STROM_NAME_MAX + 8];
        snprintf(name, sizeof name, "_KEY_%s", strom_schema_col_name(s, f->key[k]));
        if (strom_schema_add(x, name, strom_schema_col_type(s, f->key[k]), false, NULL) < 0)
            goto fail;
        ids[at++] = PK_KEY_ID_START + f->key[k];
    }
    if (!x || strom_schema_add(x, "_SEQUENCE_NUMBER", strom_type_of(STROM_TYPE_BIGINT), false,
                               NULL) < 0 ||
        strom_schema_add(x, "_VALUE_KIND", strom_type_of(STROM_TYPE_TINYINT), false, NULL) < 0)
        goto fail;
    ids[at++] = PK_SEQ_ID;
    ids[at++] = PK_KIND_ID;
    for (int c = 0; c < strom_schema_ncols(s); c++) {
        if (strom_schema_add(x, strom_schema_col_name(s, c), strom_schema_col_type(s, c),
                             strom_schema_col_nullable(s, c), NULL) < 0)
            goto fail;
        ids[at++] = c;
    }
    return x;
fail:
    strom_schema_free(x);
    return NULL;
}

/* Writes the folded rows sorted by key into w (schema fs) and fills the file's stats, key
 * stats, first and last key, sequence range and delete count. */
static int pk_write(strom_pkfold *f, const strom_schema *s, const strom_schema *fs,
                    strom_pq_writer *w, strom_lake_file *lf, strom_error *err)
{
    int ncols = strom_schema_ncols(s), nf = strom_schema_ncols(fs), rc = 0;
    uint32_t *order = strom_pkfold_sorted(f);
    strom_value *row = calloc((size_t)nf + 1, sizeof *row);
    strom_batch_builder *bb = strom_bb_new(fs);
    strom_buf msg = STROM_BUF_INIT;
    strom_type ktypes[STROM_PK_MAX];
    strom_value kv[STROM_PK_MAX];
    if (!order || !row || !bb) {
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        goto out;
    }
    int nk = f->nkey;
    lf->key_stats.ncols = nk;
    lf->key_stats.cols = calloc((size_t)nk + 1, sizeof *lf->key_stats.cols);
    if (!lf->key_stats.cols) {
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        goto out;
    }
    for (int k = 0; k < nk; k++) {
        ktypes[k] = strom_schema_col_type(s, f->key[k]);
        lf->key_stats.cols[k].min.type = lf->key_stats.cols[k].max.type = ktypes[k].id;
    }
    lf->min_seq = INT64_MAX;
    lf->max_seq = -1;
    for (size_t at = 0; rc == 0 && at < f->n;) {
        size_t end = f->n - at > 8192 ? at + 8192 : f->n;
        strom_bb_reset(bb);
        for (size_t i = at; rc == 0 && i < end; i++) {
            const strom_pkfold_entry *e = &f->e[order[i]];
            if ((rc = strom_pkfold_row(f, e, row + nk + 2, err)) != 0)
                break;
            for (int k = 0; k < nk; k++)
                row[k] = row[nk + 2 + f->key[k]];
            row[nk] = (strom_value){ .type = STROM_TYPE_BIGINT, .u.i = e->seq };
            row[nk + 1] = (strom_value){ .type = STROM_TYPE_TINYINT, .u.i = e->kind };
            rc = strom_bb_append_row(bb, row, err);
            lf->min_seq = e->seq < lf->min_seq ? e->seq : lf->min_seq;
            lf->max_seq = e->seq > lf->max_seq ? e->seq : lf->max_seq;
            lf->delete_rows += e->kind == 3;
            if (i == 0 || i == f->n - 1) { /* the first and the last key */
                for (int k = 0; k < nk; k++)
                    kv[k] = row[k];
                strom_buf kb = STROM_BUF_INIT;
                if ((rc = strom_binrow_encode(&kb, ktypes, kv, nk, err)) != 0)
                    break;
                size_t n;
                uint8_t *p = strom_buf_detach(&kb, &n);
                if (i == 0) {
                    lf->min_key = p;
                    lf->min_key_len = (uint32_t)n;
                } else {
                    free(lf->max_key);
                    lf->max_key = p;
                    lf->max_key_len = (uint32_t)n;
                }
                if (f->n == 1) { /* one row: first and last */
                    lf->max_key = malloc(n);
                    if (lf->max_key)
                        memcpy(lf->max_key, p, n);
                    lf->max_key_len = (uint32_t)n;
                }
            }
        }
        strom_batch_stats st = {0};
        strom_ipc_msg m;
        strom_batch *b = NULL;
        strom_buf_reset(&msg);
        if (rc == 0 && (rc = strom_bb_seal(bb, NULL, &msg, &st, err)) == 0 &&
            (rc = strom_ipc_read_msg(msg.data, msg.len, &m, err)) == 0 &&
            (rc = strom_ipc_decode_batch(&m, fs, fs, NULL, &b, err)) == 0 &&
            (rc = strom_pq_write(w, b, err)) == 0) {
            /* value stats: the table's columns; key stats: the _KEY_ columns */
            strom_batch_stats vs = {st.rows, ncols, st.cols + nk + 2, 0, NULL};
            strom_batch_stats ks = {st.rows, nk, st.cols, 0, NULL};
            stats_merge(&lf->stats, &vs, b->rows);
            stats_merge(&lf->key_stats, &ks, b->rows);
            lf->rows += b->rows;
        }
        if (rc > 0)
            rc = strom_error_set(err, STROM_ECORRUPT, "truncated batch");
        strom_batch_free(b);
        strom_batch_stats_free(&st);
        at = end;
    }
out:
    strom_buf_free(&msg);
    strom_bb_free(bb);
    free(row);
    free(order);
    return rc;
}

/* ---- one bucket -------------------------------------------------------------------------- */

typedef struct tier_file {
    strom_lake_file f;
    char tmp[PATH_MAX];
    bool made;                  /* a file was written */
    uint64_t bytes_read;
    /* primary-key tables: the changelog file (Paimon's changelog-producer input: every
     * change of the run, -U rows too, in offset order) */
    strom_lake_file cf;
    char ctmp[PATH_MAX];
    bool cmade;
} tier_file;

static void lake_file_free(strom_lake_file *f)
{
    strom_batch_stats_free(&f->stats);
    strom_batch_stats_free(&f->key_stats);
    free(f->min_key);
    free(f->max_key);
    f->min_key = f->max_key = NULL;
}

/* One bucket's new file of a run, filled batch by batch. */
typedef struct tier_out {
    tier_file *tf;
    const strom_table_desc *d;
    const char *partition;
    uint32_t bucket;
    int fd;
    strom_pq_writer *w;
    strom_pkfold pk;
    strom_schema *pk_schema;
    int32_t *pk_ids;
    strom_buf pbytes;
    char dir[PATH_MAX];
    bool failed;
    /* the changelog file of a primary-key table */
    int cfd;
    strom_pq_writer *cw;
    strom_batch_builder *cbb;
    strom_buf cmsg, ckmin, ckmax, kbuf;
    strom_value *crow;
} tier_out;

/* Creates the bucket's new file (not yet named in any snapshot). */
static int out_open(tier_out *t, strom_lake *lk, const strom_table_desc *d, const char *partition,
                    uint32_t bucket, const strom_tier_opts *o, const int32_t *field_ids,
                    tier_file *tf, strom_error *err)
{
    const strom_schema *s = d->schema;
    int ncols = strom_schema_ncols(s), pcol = d->partition_col, rc = 0;
    strom_lake_file *f = &tf->f;
    memset(t, 0, sizeof *t);
    memset(tf, 0, sizeof *tf);
    t->cfd = -1;
    t->tf = tf;
    t->d = d;
    t->partition = partition ? partition : "";
    t->bucket = bucket;
    t->fd = -1;
    t->pbytes = (strom_buf)STROM_BUF_INIT;
    if (pcol >= 0) {
        strom_type pt = strom_schema_col_type(s, pcol);
        strom_value pv;
        if ((rc = strom_value_parse_text(pt, t->partition, strlen(t->partition), &t->pbytes, &pv,
                                         err)) != 0)
            return rc;
        f->has_partition = true;
        f->partition = pv;
        if (pv.type == STROM_TYPE_STRING) {
            memcpy(f->part_bytes, pv.u.s.ptr, pv.u.s.len);
            f->partition.u.s.ptr = f->part_bytes;
        }
    }
    char bdir[400];
    if ((rc = strom_lake_bucket_dir(pcol >= 0 ? strom_schema_col_name(s, pcol) : NULL,
                                    pcol >= 0 ? &f->partition : NULL, (int32_t)bucket, bdir,
                                    sizeof bdir, err)) != 0)
        return rc;
    snprintf(t->dir, sizeof t->dir, "%s/%s", strom_lake_dir(lk), bdir);
    if ((rc = strom_mkdirs(t->dir, err)) != 0)
        return rc;
    strom_lake_data_file_name(f->name, sizeof f->name);
    if ((size_t)snprintf(f->path, sizeof f->path, "%.380s/%.127s", bdir, f->name) >=
        sizeof f->path)
        return strom_error_set(err, STROM_ELIMIT, "lake file path too long");
    snprintf(tf->tmp, sizeof tf->tmp, "%s/%s", strom_lake_dir(lk), f->path);
    t->fd = open(tf->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (t->fd < 0)
        return strom_sys_error(err, "create", tf->tmp);
    strom_pq_opts po = o->parquet;
    po.field_ids = field_ids;
    if (d->npk > 0) { /* a primary-key file: its own schema and field ids */
        int trim[STROM_PK_MAX], ntrim = 0; /* the key without the partition column */
        for (int k = 0; k < d->npk; k++)
            if (d->pk[k] != pcol)
                trim[ntrim++] = d->pk[k];
        t->pk_ids = calloc((size_t)ncols + STROM_PK_MAX + 3, sizeof *t->pk_ids);
        if (!t->pk_ids || strom_pkfold_init(&t->pk, s, trim, ntrim) != 0 ||
            !(t->pk_schema = pk_file_schema(&t->pk, s, t->pk_ids)))
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        po.field_ids = t->pk_ids;
    }
    if ((rc = strom_pq_writer_open(t->fd, t->pk_schema ? t->pk_schema : s, &po, &t->w, err)) != 0)
        return rc;
    if (t->pk_schema) { /* the changelog file beside it */
        strom_lake_file *cf = &tf->cf;
        char u[128];
        strom_lake_data_file_name(u, sizeof u); /* "data-<uuid>-0.parquet" */
        snprintf(cf->name, sizeof cf->name, "changelog-%.100s", u + 5);
        snprintf(cf->path, sizeof cf->path, "%.380s/%.127s", bdir, cf->name);
        snprintf(tf->ctmp, sizeof tf->ctmp, "%s/%s", strom_lake_dir(lk), cf->path);
        cf->has_partition = f->has_partition;
        cf->partition = f->partition;
        memcpy(cf->part_bytes, f->part_bytes, sizeof cf->part_bytes);
        cf->min_seq = -1;
        t->cfd = open(tf->ctmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (t->cfd < 0)
            return strom_sys_error(err, "create", tf->ctmp);
        int nf = strom_schema_ncols(t->pk_schema);
        t->crow = calloc((size_t)nf + 1, sizeof *t->crow);
        t->cbb = strom_bb_new(t->pk_schema);
        cf->stats.ncols = ncols;
        cf->stats.cols = calloc((size_t)ncols + 1, sizeof *cf->stats.cols);
        cf->key_stats.ncols = t->pk.nkey;
        cf->key_stats.cols = calloc((size_t)t->pk.nkey + 1, sizeof *cf->key_stats.cols);
        if (!t->crow || !t->cbb || !cf->stats.cols || !cf->key_stats.cols)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        for (int c = 0; c < ncols; c++)
            cf->stats.cols[c].min.type = cf->stats.cols[c].max.type =
                strom_schema_col_type(s, c).id;
        for (int k = 0; k < t->pk.nkey; k++)
            cf->key_stats.cols[k].min.type = cf->key_stats.cols[k].max.type =
                strom_schema_col_type(s, t->pk.key[k]).id;
        if ((rc = strom_pq_writer_open(t->cfd, t->pk_schema, &po, &t->cw, err)) != 0)
            return rc;
    }
    f->stats.ncols = ncols;
    f->stats.cols = calloc((size_t)ncols, sizeof *f->stats.cols);
    if (!f->stats.cols)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (int c = 0; c < ncols; c++)
        f->stats.cols[c].min.type = f->stats.cols[c].max.type = strom_schema_col_type(s, c).id;
    f->min_seq = -1;
    return 0;
}

/* Appends every change of a batch to the changelog file (Paimon's value kinds: 0 +I, 1 -U,
 * 2 +U, 3 -D), keeping its stats, first and last key and sequence range. */
static int changelog_add(tier_out *t, const strom_batch *b, const uint8_t *changes,
                         int64_t base, strom_error *err)
{
    strom_lake_file *cf = &t->tf->cf;
    const strom_schema *s = t->d->schema;
    int nk = t->pk.nkey, ncols = b->ncols, rc = 0;
    strom_type ktypes[STROM_PK_MAX];
    for (int k = 0; k < nk; k++)
        ktypes[k] = strom_schema_col_type(s, t->pk.key[k]);
    strom_bb_reset(t->cbb);
    for (int64_t i = 0; rc == 0 && i < b->rows; i++) {
        strom_value *row = t->crow, *vals = t->crow + nk + 2;
        for (int c = 0; c < ncols; c++)
            strom_col_get(&b->cols[c], strom_schema_col_type(b->schema, c), i, &vals[c]);
        for (int k = 0; k < nk; k++)
            row[k] = vals[t->pk.key[k]];
        uint8_t ct = changes ? changes[i] : STROM_CHANGE_INSERT;
        row[nk] = (strom_value){.type = STROM_TYPE_BIGINT, .u.i = base + i};
        row[nk + 1] = (strom_value){.type = STROM_TYPE_TINYINT, .u.i = ct <= 3 ? ct : 0};
        if ((rc = strom_bb_append_row(t->cbb, row, err)) != 0)
            break;
        if (cf->min_seq < 0)
            cf->min_seq = base + i;
        cf->max_seq = base + i;
        cf->delete_rows += ct == STROM_CHANGE_DELETE || ct == STROM_CHANGE_UPDATE_BEFORE;
        /* the smallest and the largest key, by their order-preserving forms */
        strom_buf_reset(&t->kbuf);
        for (int k = 0; k < nk; k++)
            if (strom_kv_key_put(&t->kbuf, &row[k]) != 0)
                return strom_error_set(err, STROM_ENOMEM, "out of memory");
        for (int side = 0; side < 2; side++) {
            strom_buf *cur = side ? &t->ckmax : &t->ckmin;
            size_t n = cur->len < t->kbuf.len ? cur->len : t->kbuf.len;
            int c = cur->len ? memcmp(t->kbuf.data, cur->data, n) : 0;
            if (!c)
                c = (t->kbuf.len > cur->len) - (t->kbuf.len < cur->len);
            if (cur->len && (side ? c <= 0 : c >= 0))
                continue;
            strom_buf_reset(cur);
            strom_buf kb = STROM_BUF_INIT;
            if (strom_buf_append(cur, t->kbuf.data, t->kbuf.len) != 0 ||
                strom_binrow_encode(&kb, ktypes, row, nk, err) != 0) {
                strom_buf_free(&kb);
                return strom_error_set(err, STROM_ENOMEM, "out of memory");
            }
            uint8_t **dst = side ? &cf->max_key : &cf->min_key;
            uint32_t *dl = side ? &cf->max_key_len : &cf->min_key_len;
            free(*dst);
            size_t len;
            *dst = strom_buf_detach(&kb, &len);
            *dl = (uint32_t)len;
        }
    }
    strom_batch_stats st = {0};
    strom_ipc_msg m;
    strom_batch *cb = NULL;
    strom_buf_reset(&t->cmsg);
    const strom_schema *fs = t->pk_schema;
    if (rc == 0 && (rc = strom_bb_seal(t->cbb, NULL, &t->cmsg, &st, err)) == 0 &&
        (rc = strom_ipc_read_msg(t->cmsg.data, t->cmsg.len, &m, err)) == 0 &&
        (rc = strom_ipc_decode_batch(&m, fs, fs, NULL, &cb, err)) == 0 &&
        (rc = strom_pq_write(t->cw, cb, err)) == 0) {
        strom_batch_stats vs = {st.rows, strom_schema_ncols(s), st.cols + nk + 2, 0, NULL};
        strom_batch_stats ks = {st.rows, nk, st.cols, 0, NULL};
        stats_merge(&cf->stats, &vs, cb->rows);
        stats_merge(&cf->key_stats, &ks, cb->rows);
        cf->rows += cb->rows;
    }
    if (rc > 0)
        rc = strom_error_set(err, STROM_ECORRUPT, "truncated batch");
    strom_batch_free(cb);
    strom_batch_stats_free(&st);
    return rc;
}

/* Adds a batch (under the table's latest schema) whose rows have the offsets base.. : written
 * (log tables; `st` its statistics) or folded by key (primary-key tables; `changes` its change
 * types, NULL: inserts). */
static int out_add(tier_out *t, const strom_batch *b, const strom_batch_stats *st,
                   const uint8_t *changes, int64_t base, int64_t last, strom_error *err)
{
    strom_lake_file *f = &t->tf->f;
    if (b->rows == 0)
        return 0;
    if (t->pk_schema) {
        if (strom_pkfold_batch(&t->pk, b, changes, base) != 0)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        return changelog_add(t, b, changes, base, err);
    }
    int rc = strom_pq_write(t->w, b, err);
    if (rc != 0)
        return rc;
    stats_merge(&f->stats, st, b->rows);
    if (f->min_seq < 0)
        f->min_seq = base;
    f->max_seq = last;
    f->rows += b->rows;
    return 0;
}

/* Closes a Parquet writer, makes its file durable and fills in f's size, bucket, schema and
 * creation time; *made once all that succeeded. */
static int close_file(tier_out *t, strom_pq_writer **w, int fd, const char *tmp,
                      strom_lake_file *f, bool *made, strom_error *err)
{
    int rc = strom_pq_writer_close(*w, err);
    *w = NULL;
    struct stat sb;
    if (rc == 0 && (fdatasync(fd) != 0 || fstat(fd, &sb) != 0))
        rc = strom_sys_error(err, "fsync", tmp);
    if (rc == 0) {
        f->size = sb.st_size;
        f->bucket = (int32_t)t->bucket;
        f->schema_id = (int64_t)strom_schema_id(t->d->schema) - 1;
        f->creation_ms = strom_now_ms();
        *made = true;
    }
    return rc;
}

/* Finishes the file (primary keys: the folded rows, sorted); tf->made when it holds rows. */
static int out_finish(tier_out *t, strom_error *err)
{
    strom_lake_file *f = &t->tf->f;
    int rc = 0;
    if (t->pk_schema && t->pk.n > 0)
        rc = pk_write(&t->pk, t->d->schema, t->pk_schema, t->w, f, err);
    if (rc == 0 && t->cw && t->tf->cf.rows > 0) /* the changelog file */
        rc = close_file(t, &t->cw, t->cfd, t->tf->ctmp, &t->tf->cf, &t->tf->cmade, err);
    if (rc != 0 || f->rows == 0) /* an error, or only empty records: no file */
        return rc;
    rc = close_file(t, &t->w, t->fd, t->tf->tmp, f, &t->tf->made, err);
    if (rc == 0)
        rc = strom_fsync_dir(t->dir, err);
    if (rc != 0)
        t->tf->made = false;
    return rc;
}

/* Releases what the file's writing holds; a file not made (or after an error) is removed. */
static void out_free(tier_out *t, bool failed)
{
    strom_lake_file *f = &t->tf->f;
    if (t->w)
        strom_pq_writer_abort(t->w);
    if (t->fd >= 0)
        close(t->fd);
    if (t->cw)
        strom_pq_writer_abort(t->cw);
    if (t->cfd >= 0)
        close(t->cfd);
    if (failed || !t->tf->made)
        t->tf->cmade = false; /* a changelog file goes with its data file */
    if (!t->tf->cmade) {
        if (t->tf->ctmp[0])
            unlink(t->tf->ctmp);
        lake_file_free(&t->tf->cf);
    }
    strom_bb_free(t->cbb);
    strom_buf_free(&t->cmsg);
    strom_buf_free(&t->ckmin);
    strom_buf_free(&t->ckmax);
    strom_buf_free(&t->kbuf);
    free(t->crow);
    t->cbb = NULL;
    t->crow = NULL;
    t->cw = NULL;
    t->cfd = -1;
    if (failed)
        t->tf->made = false;
    if (!t->tf->made) {
        if (t->tf->tmp[0])
            unlink(t->tf->tmp);
        strom_batch_stats_free(&f->stats);
        strom_batch_stats_free(&f->key_stats);
        free(f->min_key);
        free(f->max_key);
        f->min_key = f->max_key = NULL;
    }
    strom_pkfold_free(&t->pk);
    strom_schema_free(t->pk_schema);
    free(t->pk_ids);
    strom_buf_free(&t->pbytes);
    t->w = NULL;
    t->fd = -1;
    t->pk_schema = NULL;
    t->pk_ids = NULL;
}

/* Copies src's records from src->tiered up to `until` (or max_file_bytes) into one new
 * Parquet file. tf->made is false when there was nothing to copy. */
static int tier_bucket(strom_lake *lk, const strom_table_desc *d, strom_tier_schema_fn schema_for,
                       void *ctx, strom_tier_source *src, int64_t until,
                       const strom_tier_opts *o, const int32_t *field_ids, tier_file *tf,
                       int64_t *next, strom_error *err)
{
    const strom_schema *s = d->schema;
    memset(tf, 0, sizeof *tf);
    int64_t off = src->tiered, start = strom_log_start_offset(src->log);
    if (off > until) /* a partition dropped and written again: a new log, from its start */
        off = start;
    if (off < start) /* deleted while tiering was off (or before it was on): gone */
        off = start;
    *next = off;
    if (off >= until)
        return 0;
    strom_buf buf = STROM_BUF_INIT;
    strom_codec_ctx *codec = strom_codec_ctx_new();
    tier_out t;
    int rc = codec ? out_open(&t, lk, d, src->partition, src->bucket, o, field_ids, tf, err)
                   : strom_error_set(err, STROM_ENOMEM, "out of memory");
    uint64_t copied = 0;
    while (rc == 0 && off < until && copied < o->max_file_bytes) {
        strom_log_slice sl;
        if ((rc = strom_log_read(src->log, off, 16u << 20, &sl, err)) != 0)
            break;
        strom_buf_reset(&buf);
        rc = strom_log_slice_copy(&sl, &buf, err);
        int64_t after = sl.next_offset;
        strom_log_slice_release(&sl);
        if (rc != 0 || after <= off)
            break;
        for (size_t at = 0; rc == 0 && at < buf.len;) {
            strom_record r;
            if ((rc = strom_record_parse(buf.data + at, buf.len - at, &r, err)) != 0) {
                rc = rc > 0 ? strom_error_set(err, STROM_ECORRUPT, "truncated record") : rc;
                break;
            }
            at += r.total_len;
            int64_t last = r.info.base_offset + r.info.last_offset_delta;
            if (last < off)
                continue;
            if (r.info.base_offset >= until)
                break;
            const strom_schema *rs = r.info.schema_id == strom_schema_id(s)
                                         ? s : schema_for(ctx, r.info.schema_id);
            if (!rs) {
                rc = strom_error_set(err, STROM_ECORRUPT, "record at offset %lld has unknown "
                                     "schema %u", (long long)r.info.base_offset,
                                     r.info.schema_id);
                break;
            }
            strom_ipc_msg m;
            strom_batch *b = NULL;
            strom_batch_stats st = { 0 };
            if ((rc = strom_ipc_read_msg(r.arrow, r.arrow_len, &m, err)) == 0 &&
                (rc = strom_ipc_decode_batch(&m, rs, s, codec, &b, err)) == 0 && d->npk == 0) {
                /* the record's own stats when it has the file's schema, else computed */
                if (rs == s)
                    rc = strom_record_stats(&r, &st, err);
                else
                    rc = strom_batch_compute_stats(b, &st, err);
            }
            if (rc == 0 && d->npk > 0 && r.changes && r.changes_len < (uint64_t)b->rows)
                rc = strom_error_set(err, STROM_ECORRUPT, "a changelog record with fewer "
                                     "change types than rows");
            if (rc == 0)
                rc = out_add(&t, b, &st, r.changes, r.info.base_offset, last, err);
            strom_batch_stats_free(&st);
            strom_batch_free(b);
            if (rc != 0) {
                if (rc > 0)
                    rc = strom_error_set(err, STROM_ECORRUPT, "truncated record");
                strom_error_prefix(err, "record at offset %lld", (long long)r.info.base_offset);
                break;
            }
            off = last + 1;
        }
        copied += buf.len;
    }
    if (rc == 0)
        rc = out_finish(&t, err);
    if (codec)
        out_free(&t, rc != 0);
    if (rc == 0) {
        tf->bytes_read = copied;
        *next = off;
    }
    strom_codec_ctx_free(codec);
    strom_buf_free(&buf);
    if (rc != 0)
        strom_error_prefix(err, "tiering %s.%s bucket %s/%u", d->database, d->table,
                           src->partition ? src->partition : "", src->bucket);
    return rc;
}

/* Commits a run: its files and every bucket's new offset (sources[i] -> next[i]; buckets the
 * previous snapshot names and the run did not touch keep theirs) after snapshot prev. */
static int tier_commit(strom_lake *lk, const strom_table_desc *d, const strom_tier_opts *o,
                       const strom_lake_snapshot *prevp, const strom_tier_source *sources,
                       const int64_t *next, int n, strom_lake_file *files, int nfiles,
                       const strom_lake_file *cl, int ncl, strom_tier_result *res,
                       strom_error *err)
{
    const strom_schema *s = d->schema;
    const strom_lake_snapshot prev = *prevp;
    int rc = 0;
    /* the offsets after this run, as one property */
    json_t *offs = json_object();
    for (int i = 0; i < n; i++) {
        char key[STROM_PARTITION_MAX + 16];
        source_key(&sources[i], key, sizeof key);
        json_object_set_new(offs, key, json_integer(next[i]));
    }
    /* buckets not among the sources (a dropped partition) keep their entries */
    const char *old = strom_lake_snapshot_prop(&prev, PROP_OFFSETS);
    json_t *oj = old ? json_loads(old, 0, NULL) : NULL;
    if (json_is_object(oj)) {
        const char *k;
        json_t *v;
        json_object_foreach(oj, k, v)
            if (!json_object_get(offs, k))
                json_object_set(offs, k, v);
    }
    json_decref(oj);
    char *otext = json_dumps(offs, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(offs);
    char tid[32];
    snprintf(tid, sizeof tid, "%llu", (unsigned long long)d->table_id);
    strom_lake_prop props[2] = { { (char *)PROP_OFFSETS, otext }, { (char *)PROP_TABLE, tid } };
    strom_lake_commit c = { .files = files, .nfiles = nfiles, .schema = s,
                            .schema_id = (int64_t)strom_schema_id(s) - 1,
                            .partition_col = d->partition_col, .total_buckets = (int32_t)d->buckets,
                            .props = props, .nprops = 2, .commit_user = o->commit_user,
                            .commit_id = prev.id + 1 };
    strom_type ktypes[STROM_PK_MAX];
    for (int k = 0; k < d->npk; k++)
        if (d->pk[k] != d->partition_col)
            ktypes[c.nkey++] = strom_schema_col_type(s, d->pk[k]);
    c.key_types = ktypes;
    c.changelog = cl;
    c.nchangelog = ncl;
    if (!otext)
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    else
        rc = strom_lake_commit_files(lk, &prev, &c, &res->snapshot_id, err);
    free(otext);
    return rc;
}

/* The buckets of one run, taken one at a time by each thread. */
typedef struct tier_job {
    strom_lake *lk;
    const strom_table_desc *d;
    strom_tier_schema_fn schema_for;
    void *ctx;
    strom_tier_source *sources;
    int n;
    const strom_tier_opts *o;
    const int32_t *ids;
    tier_file *tf;
    int64_t *next;
    int taken;                  /* atomic */
    int rc;                     /* the first error (under mu) */
    strom_error err;
    pthread_mutex_t mu;
} tier_job;

static void *tier_worker(void *arg)
{
    tier_job *j = arg;
    for (;;) {
        int i = __atomic_fetch_add(&j->taken, 1, __ATOMIC_ACQ_REL);
        if (i >= j->n)
            return NULL;
        pthread_mutex_lock(&j->mu);
        bool failed = j->rc != 0;
        pthread_mutex_unlock(&j->mu);
        if (failed)
            return NULL;
        strom_error e;
        strom_error_clear(&e);
        int64_t until = strom_log_high_watermark(j->sources[i].log);
        int rc = tier_bucket(j->lk, j->d, j->schema_for, j->ctx, &j->sources[i], until, j->o,
                             j->ids, &j->tf[i], &j->next[i], &e);
        if (rc != 0) {
            pthread_mutex_lock(&j->mu);
            if (j->rc == 0) {
                j->rc = rc;
                j->err = e;
            }
            pthread_mutex_unlock(&j->mu);
        }
    }
}

int strom_tier_run(strom_lake *lk, const strom_table_desc *d, strom_tier_schema_fn schema_for,
                   void *ctx, strom_tier_source *sources, int n, const strom_tier_opts *o,
                   strom_tier_result *res, strom_error *err)
{
    memset(res, 0, sizeof *res);
    const strom_schema *s = d->schema;
    int ncols = strom_schema_ncols(s), rc = 0;
    /* every schema version has its file (older files name theirs) */
    for (uint32_t v = 1; rc == 0 && v <= strom_schema_id(s); v++) {
        const strom_schema *vs = v == strom_schema_id(s) ? s : schema_for(ctx, v);
        if (vs)
            rc = strom_lake_write_schema(lk, d, vs, o->parquet.codec == STROM_PQ_SNAPPY ? "snappy"
                                         : o->parquet.codec == STROM_PQ_ZSTD ? "zstd" : "none",
                                         err);
    }
    if (rc != 0)
        return rc;
    strom_lake_snapshot prev;
    if ((rc = strom_lake_latest(lk, &prev, err)) != 0)
        return rc;
    if ((rc = strom_tier_offsets(&prev, d->table_id, sources, n, err)) != 0) {
        strom_lake_snapshot_free(&prev);
        return rc;
    }
    int nfiles = 0;
    int32_t *ids = calloc((size_t)ncols + 1, sizeof *ids);
    tier_file *tf = calloc((size_t)n + 1, sizeof *tf);
    strom_lake_file *files = calloc((size_t)n + 1, sizeof *files);
    int64_t *next = calloc((size_t)n + 1, sizeof *next);
    if (!ids || !tf || !files || !next) {
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        goto out;
    }
    for (int c = 0; c < ncols; c++)
        ids[c] = c;
    bool moved = false;
    /* the buckets, on up to o->threads threads */
    tier_job job = {lk, d, schema_for, ctx, sources, n, o, ids, tf, next, 0, 0, {0, {0}},
                    PTHREAD_MUTEX_INITIALIZER};
    int nth = o->threads > 1 ? (o->threads < n ? o->threads : n) : 1;
    pthread_t th[16];
    int started = 0;
    for (int t = 1; t < nth && t < 16; t++)
        if (pthread_create(&th[started], NULL, tier_worker, &job) == 0)
            started++;
    tier_worker(&job);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&job.mu);
    if ((rc = job.rc) != 0) {
        if (err)
            *err = job.err;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        if (next[i] != sources[i].tiered)
            moved = true;
        res->bytes_read += tf[i].bytes_read;
        if (tf[i].made) {
            files[nfiles] = tf[i].f;
            res->rows += files[nfiles].rows;
            res->bytes_written += (uint64_t)files[nfiles].size;
            nfiles++;
        }
    }
    if (!moved)
        goto out;
    strom_lake_file *cl = calloc((size_t)n + 1, sizeof *cl);
    int ncl = 0;
    for (int i = 0; cl && i < n; i++)
        if (tf[i].cmade)
            cl[ncl++] = tf[i].cf;
    rc = cl ? tier_commit(lk, d, o, &prev, sources, next, n, files, nfiles, cl, ncl, res, err)
            : strom_error_set(err, STROM_ENOMEM, "out of memory");
    free(cl);
    if (rc == 0) {
        for (int i = 0; i < n; i++)
            sources[i].tiered = next[i];
        res->files = nfiles;
    }
out:
    for (int i = 0; tf && i < n; i++) {
        if (rc != 0 && tf[i].made)
            unlink(tf[i].tmp);
        if (rc != 0 && tf[i].cmade)
            unlink(tf[i].ctmp);
        if (tf[i].made)
            lake_file_free(&tf[i].f);
        if (tf[i].cmade)
            lake_file_free(&tf[i].cf);
    }
    if (rc != 0) {
        res->rows = res->files = 0;
        res->bytes_written = 0;
    }
    free(ids);
    free(tf);
    free(files);
    free(next);
    strom_lake_snapshot_free(&prev);
    return rc;
}

/* ---- tiering from a stream of batches -------------------------------------------------------- */

typedef struct stream_bucket {
    strom_tier_source src;      /* partition (owned), bucket, the lake's offset */
    int64_t next;               /* the offset after the last row added */
    bool open;
    tier_out out;
    tier_file tf;
} stream_bucket;

struct strom_tier_stream {
    strom_lake *lk;
    const strom_table_desc *d;
    strom_tier_opts o;
    strom_lake_snapshot prev;
    int32_t *ids;
    stream_bucket *b;
    int n, cap;
    strom_tier_source *view;    /* for strom_tier_stream_offsets */
};

void strom_tier_stream_free(strom_tier_stream *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->n; i++) {
        if (t->b[i].open)
            out_free(&t->b[i].out, true);
        free((char *)t->b[i].src.partition);
    }
    free(t->b);
    free(t->view);
    free(t->ids);
    strom_lake_snapshot_free(&t->prev);
    free(t);
}

static stream_bucket *stream_find(strom_tier_stream *t, const char *partition, uint32_t bucket,
                                  bool add)
{
    for (int i = 0; i < t->n; i++)
        if (t->b[i].src.bucket == bucket && !strcmp(t->b[i].src.partition, partition))
            return &t->b[i];
    if (!add || strom_array_grow(&t->b, t->n + 1, &t->cap, sizeof *t->b, 16) != 0)
        return NULL;
    stream_bucket *sb = &t->b[t->n];
    memset(sb, 0, sizeof *sb);
    if (!(sb->src.partition = strdup(partition)))
        return NULL;
    sb->src.bucket = bucket;
    t->n++;
    return sb;
}

int strom_tier_stream_begin(strom_lake *lk, const strom_table_desc *d, const strom_tier_opts *o,
                            strom_tier_stream **out, strom_error *err)
{
    *out = NULL;
    strom_tier_stream *t = calloc(1, sizeof *t);
    int ncols = strom_schema_ncols(d->schema), rc = 0;
    if (!t || !(t->ids = calloc((size_t)ncols + 1, sizeof *t->ids))) {
        free(t);
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    }
    t->lk = lk;
    t->d = d;
    t->o = *o;
    for (int c = 0; c < ncols; c++)
        t->ids[c] = c;
    if ((rc = strom_lake_write_schema(lk, d, d->schema, o->parquet.codec == STROM_PQ_SNAPPY
                                      ? "snappy" : o->parquet.codec == STROM_PQ_ZSTD ? "zstd"
                                      : "none", err)) == 0)
        rc = strom_lake_latest(lk, &t->prev, err);
    /* every bucket the snapshot names, with its offset */
    const char *text = rc == 0 ? strom_lake_snapshot_prop(&t->prev, PROP_OFFSETS) : NULL;
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    const char *k;
    json_t *v;
    if (json_is_object(j)) {
        json_object_foreach(j, k, v) {
            const char *slash = strrchr(k, '/');
            if (!slash)
                continue;
            char part[STROM_PARTITION_MAX + 1];
            snprintf(part, sizeof part, "%.*s", (int)(slash - k), k);
            if (!stream_find(t, part, (uint32_t)strtoul(slash + 1, NULL, 10), true)) {
                rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
                break;
            }
        }
    }
    json_decref(j);
    if (rc == 0 && t->n > 0) { /* their offsets, checked, through the one parser */
        strom_tier_source *srcs = calloc((size_t)t->n, sizeof *srcs);
        if (!srcs)
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        for (int i = 0; rc == 0 && i < t->n; i++)
            srcs[i] = t->b[i].src;
        if (rc == 0 && (rc = strom_tier_offsets(&t->prev, d->table_id, srcs, t->n, err)) == 0)
            for (int i = 0; i < t->n; i++)
                t->b[i].src.tiered = t->b[i].next = srcs[i].tiered;
        free(srcs);
    } else if (rc == 0) {
        strom_tier_source none;
        rc = strom_tier_offsets(&t->prev, d->table_id, &none, 0, err); /* the table id check */
    }
    if (rc != 0) {
        strom_tier_stream_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int strom_tier_stream_offsets(const strom_tier_stream *t, const strom_tier_source **srcs)
{
    strom_tier_stream *m = (strom_tier_stream *)t;
    free(m->view);
    m->view = calloc((size_t)t->n + 1, sizeof *m->view);
    if (!m->view) {
        *srcs = NULL;
        return 0;
    }
    for (int i = 0; i < t->n; i++)
        m->view[i] = t->b[i].src;
    *srcs = m->view;
    return t->n;
}

int strom_tier_stream_reset(strom_tier_stream *t, const char *partition, uint32_t bucket,
                            int64_t offset)
{
    stream_bucket *sb = stream_find(t, partition ? partition : "", bucket, true);
    if (!sb)
        return STROM_ENOMEM;
    sb->src.tiered = sb->next = offset;
    return 0;
}

int strom_tier_stream_add(strom_tier_stream *t, const char *partition, uint32_t bucket,
                          const strom_batch *b, const uint8_t *changes, int64_t base,
                          strom_error *err)
{
    if (!b || b->rows == 0)
        return 0;
    stream_bucket *sb = stream_find(t, partition ? partition : "", bucket, true);
    if (!sb)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    int64_t last = base + b->rows - 1;
    if (last < sb->src.tiered)
        return 0; /* the lake has it */
    if (!sb->open && base > sb->next && sb->next == sb->src.tiered)
        sb->next = base; /* the log starts later (deleted while tiering was off) */
    if (base != sb->next)
        return strom_error_set(err, STROM_ESTATE, "bucket %s/%u: rows from offset %lld, the "
                               "lake (or the rows before) end at %lld", sb->src.partition, bucket,
                               (long long)base, (long long)sb->next);
    int rc = 0;
    if (!sb->open) {
        if ((rc = out_open(&sb->out, t->lk, t->d, sb->src.partition, bucket, &t->o, t->ids,
                           &sb->tf, err)) != 0) {
            out_free(&sb->out, true);
            return rc;
        }
        sb->open = true;
    }
    strom_batch_stats st = {0};
    if (t->d->npk == 0)
        rc = strom_batch_compute_stats(b, &st, err);
    if (rc == 0)
        rc = out_add(&sb->out, b, &st, changes, base, last, err);
    strom_batch_stats_free(&st);
    if (rc == 0)
        sb->next = last + 1;
    return rc;
}

int strom_tier_stream_commit(strom_tier_stream *t, strom_tier_result *res, strom_error *err)
{
    memset(res, 0, sizeof *res);
    int rc = 0, nfiles = 0;
    strom_lake_file *files = calloc((size_t)t->n + 1, sizeof *files);
    strom_tier_source *srcs = calloc((size_t)t->n + 1, sizeof *srcs);
    int64_t *next = calloc((size_t)t->n + 1, sizeof *next);
    strom_lake_file *cl = calloc((size_t)t->n + 1, sizeof *cl);
    int ncl = 0;
    bool moved = false;
    if (!files || !srcs || !next || !cl)
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < t->n; i++) {
        stream_bucket *sb = &t->b[i];
        srcs[i] = sb->src;
        next[i] = sb->next;
        moved = moved || sb->next != sb->src.tiered;
        if (sb->open && (rc = out_finish(&sb->out, err)) == 0 && sb->tf.made) {
            if (sb->tf.cmade)
                cl[ncl++] = sb->tf.cf;
            files[nfiles++] = sb->tf.f;
            res->rows += sb->tf.f.rows;
            res->bytes_written += (uint64_t)sb->tf.f.size;
        }
    }
    if (rc == 0 && moved)
        rc = tier_commit(t->lk, t->d, &t->o, &t->prev, srcs, next, t->n, files, nfiles, cl, ncl,
                         res, err);
    if (rc == 0)
        res->files = nfiles;
    for (int i = 0; i < t->n; i++) { /* committed files stay; the others go */
        if (!t->b[i].open)
            continue;
        if (rc != 0 && t->b[i].tf.made) { /* made but not committed: removed */
            unlink(t->b[i].tf.tmp);
            if (t->b[i].tf.cmade)
                unlink(t->b[i].tf.ctmp);
        }
        out_free(&t->b[i].out, rc != 0);
        if (t->b[i].tf.made)
            lake_file_free(&t->b[i].tf.f);
        if (t->b[i].tf.cmade)
            lake_file_free(&t->b[i].tf.cf);
        t->b[i].open = false;
    }
    if (rc != 0) {
        res->rows = res->files = 0;
        res->bytes_written = 0;
    }
    free(files);
    free(srcs);
    free(next);
    free(cl);
    return rc;
}
