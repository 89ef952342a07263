/*
 * kv.c: primary-key bucket state in RocksDB, derived from the changelog (kv.h).
 */
#include "kv/kv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "columnar/ipc.h"
#include "common/common.h"
#include "common/crc32c.h"
#include "common/fs.h"
#include "kv/kv_cache.h"
#include "kv/kv_codec.h"
#include "kv/kv_merge.h"
#include "log/record.h"

#define ROW_PREFIX 0x01
#define META_APPLIED "\x00" "applied"
#define META_APPLIED_LEN 8

struct strom_kv {
    char dir[PATH_MAX];           /* <bucket>/kv */
    strom_kv_config cfg;
    strom_log *log;
    rocksdb_t *db;
    rocksdb_column_family_handle_t *cf; /* the default column family (batched MultiGet) */
    rocksdb_options_t *opts;
    rocksdb_block_based_table_options_t *topts;
    rocksdb_writeoptions_t *wo;
    rocksdb_readoptions_t *ro;
    pthread_mutex_t mu;           /* one write or checkpoint at a time */
    int64_t applied;              /* the state reflects the changelog below this offset */
    int64_t snap_offset;          /* the latest checkpoint's offset (-1: none) */
    int64_t snap_ms;              /* when it was taken (monotonic) */
    uint64_t since_snap;          /* changelog bytes appended since */
    bool failed;                  /* RocksDB refused a write: the state is behind the log */
    kv_cache cache;               /* rows looked up, in front of RocksDB */
    char failed_msg[200];
};

void strom_kv_config_default(strom_kv_config *c)
{
    c->snapshot_bytes = 256u << 20;
    c->snapshot_ms = 10 * 60 * 1000;
    c->cache_bytes = 64u << 20;
    c->row_cache_bytes = 32u << 20;
}

/* ---- shared RocksDB resources ------------------------------------------------------------ */

static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static rocksdb_cache_t *g_cache;
static uint64_t g_cache_bytes = 64u << 20;

static void cache_init(void)
{
    g_cache = rocksdb_cache_create_lru((size_t)g_cache_bytes);
}

/* A RocksDB error string as a strom error (frees it). */
static int rdb_error(strom_error *err, int code, char *e, const char *what, const char *path)
{
    strom_error_set(err, code, "%s %s: %s", what, path, e ? e : "?");
    free(e);
    return code;
}

/* ---- keys -------------------------------------------------------------------------------- */

/* The key columns in key order: bucket key first, then the rest of the primary key. */
static int key_order(const strom_table_desc *d, int *order)
{
    int n = 0;
    for (int i = 0; i < d->nbucket_key; i++)
        order[n++] = d->bucket_key[i];
    for (int i = 0; i < d->npk; i++) {
        bool seen = false;
        for (int j = 0; j < d->nbucket_key; j++)
            seen = seen || d->bucket_key[j] == d->pk[i];
        if (!seen)
            order[n++] = d->pk[i];
    }
    return n;
}

int strom_kv_row_key(const strom_table_desc *d, const strom_value *row, strom_buf *key)
{
    int order[STROM_PK_MAX * 2];
    int n = key_order(d, order);
    uint8_t p = ROW_PREFIX;
    strom_buf_reset(key);
    int rc = strom_buf_append(key, &p, 1);
    for (int i = 0; i < n && rc == 0; i++)
        rc = strom_kv_key_put(key, &row[order[i]]);
    return rc;
}

/* ---- files -------------------------------------------------------------------------------- */

/* Copies checkpoint `src` into the new directory `dst`: SST files are hard links (immutable),
 * the few others (MANIFEST, CURRENT, OPTIONS) are copied. */
static int restore_dir(const char *src, const char *dst, strom_error *err)
{
    STROM_TRY(strom_mkdirs(dst, err));
    DIR *dir = opendir(src);
    if (!dir)
        return strom_error_set(err, STROM_EIO, "open %s: %s", src, strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue;
        char a[PATH_MAX + 300], b[PATH_MAX + 300];
        snprintf(a, sizeof a, "%s/%s", src, e->d_name);
        snprintf(b, sizeof b, "%s/%s", dst, e->d_name);
        size_t n = strlen(e->d_name);
        if (n > 4 && !strcmp(e->d_name + n - 4, ".sst") && link(a, b) == 0)
            continue;
        char *data = NULL;
        size_t len = 0;
        if ((rc = strom_read_file(a, 1u << 30, &data, &len, err)) == 0) {
            int fd = open(b, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0)
                rc = strom_error_set(err, STROM_EIO, "write %s: %s", b, strerror(errno));
            if (fd >= 0)
                close(fd);
        }
        free(data);
    }
    closedir(dir);
    return rc ? rc : strom_fsync_dir(dst, err);
}

/* Offsets of the checkpoints in kv->dir, highest first (up to cap). */
static int list_snapshots(const char *kvdir, int64_t *v, int cap)
{
    DIR *dir = opendir(kvdir);
    int n = 0;
    struct dirent *e;
    while (dir && (e = readdir(dir))) {
        char *end;
        if (strncmp(e->d_name, "snap-", 5) != 0)
            continue;
        long long off = strtoll(e->d_name + 5, &end, 10);
        if (*end || off < 0 || strlen(e->d_name) != 25)
            continue;
        int at;
        if (n < cap) {
            at = n++;
        } else if (v[cap - 1] < off) { /* full: it replaces the lowest kept */
            at = cap - 1;
        } else {
            continue;
        }
        v[at] = off;
        for (int i = at; i > 0 && v[i] > v[i - 1]; i--) {
            int64_t t = v[i];
            v[i] = v[i - 1];
            v[i - 1] = t;
        }
    }
    if (dir)
        closedir(dir);
    return n;
}

static void snap_path(const strom_kv *kv, int64_t off, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/snap-%020" PRId64, kv->dir, off);
}

/* Removes every directory entry of kv->dir except live/ and the checkpoint `keep`. */
static void remove_others(strom_kv *kv, int64_t keep)
{
    DIR *dir = opendir(kv->dir);
    struct dirent *e;
    char keepname[40];
    snprintf(keepname, sizeof keepname, "snap-%020" PRId64, keep);
    while (dir && (e = readdir(dir))) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "live") || !strcmp(e->d_name, keepname))
            continue;
        char p[PATH_MAX + 300];
        snprintf(p, sizeof p, "%s/%s", kv->dir, e->d_name);
        strom_rmtree(p, NULL);
    }
    if (dir)
        closedir(dir);
}

/* ---- applying changelog rows ---------------------------------------------------------------- */

static int meta_applied_put(rocksdb_writebatch_t *wb, int64_t applied)
{
    uint8_t v[8];
    strom_st64(v, (uint64_t)applied);
    rocksdb_writebatch_put(wb, META_APPLIED, META_APPLIED_LEN, (const char *)v, 8);
    return 0;
}

/* Folds one changelog record (already verified) into the write batch: +I/+U put the row,
 * -D removes it, -U is skipped. */
static int replay_record(strom_kv *kv, const strom_table_desc *d, strom_kv_schema_fn schema_for,
                         void *ctx, const strom_record *r, rocksdb_writebatch_t *wb,
                         strom_error *err)
{
    const strom_schema *rs = r->info.schema_id == strom_schema_id(d->schema)
                                 ? d->schema
                                 : schema_for ? schema_for(ctx, r->info.schema_id) : NULL;
    if (!rs)
        return strom_error_set(err, STROM_ECORRUPT, "changelog record at offset %lld has "
                               "unknown schema %u", (long long)r->info.base_offset,
                               r->info.schema_id);
    strom_ipc_msg m;
    strom_batch *b = NULL;
    int rc = strom_ipc_read_msg(r->arrow, r->arrow_len, &m, err);
    if (rc == 0)
        rc = strom_ipc_decode_batch(&m, rs, d->schema, NULL, &b, err);
    if (rc != 0)
        return rc > 0 ? strom_error_set(err, STROM_ECORRUPT, "truncated changelog record") : rc;
    int ncols = b->ncols;
    strom_value *row = calloc((size_t)ncols + 1, sizeof *row);
    strom_buf key = STROM_BUF_INIT, val = STROM_BUF_INIT;
    if (!row)
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (int64_t i = 0; rc == 0 && i < b->rows; i++) {
        uint8_t ct = r->changes && (uint32_t)i < r->changes_len ? r->changes[i]
                                                                : STROM_CHANGE_INSERT;
        if (ct == STROM_CHANGE_UPDATE_BEFORE)
            continue;
        for (int c = 0; c < ncols; c++)
            strom_col_get(&b->cols[c], strom_schema_col_type(d->schema, c), i, &row[c]);
        if ((rc = strom_kv_row_key(d, row, &key)) != 0)
            break;
        if (ct == STROM_CHANGE_DELETE) {
            rocksdb_writebatch_delete(wb, (const char *)key.data, key.len);
            continue;
        }
        strom_buf_reset(&val);
        if ((rc = strom_kv_row_put(&val, row, ncols)) != 0)
            break;
        rocksdb_writebatch_put(wb, (const char *)key.data, key.len, (const char *)val.data,
                               val.len);
    }
    if (rc == STROM_ENOMEM)
        strom_error_set(err, rc, "out of memory");
    free(row);
    strom_buf_free(&key);
    strom_buf_free(&val);
    strom_batch_free(b);
    (void)kv;
    return rc;
}

/* Replays the changelog from kv->applied to the log's end. */
static int replay(strom_kv *kv, const strom_table_desc *d, strom_kv_schema_fn schema_for,
                  void *ctx, strom_error *err)
{
    strom_buf buf = STROM_BUF_INIT;
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    int rc = 0;
    while (rc == 0 && kv->applied < strom_log_high_watermark(kv->log)) {
        strom_log_slice sl;
        if ((rc = strom_log_read(kv->log, kv->applied, 16u << 20, &sl, err)) != 0)
            break;
        strom_buf_reset(&buf);
        rc = strom_log_slice_copy(&sl, &buf, err);
        int64_t next = sl.next_offset;
        strom_log_slice_release(&sl);
        if (rc != 0 || next <= kv->applied)
            break;
        rocksdb_writebatch_clear(wb);
        for (size_t at = 0; rc == 0 && at < buf.len;) {
            strom_record r;
            if ((rc = strom_record_parse(buf.data + at, buf.len - at, &r, err)) != 0) {
                rc = rc > 0 ? strom_error_set(err, STROM_ECORRUPT, "truncated record") : rc;
                break;
            }
            if (r.info.base_offset >= kv->applied)
                rc = replay_record(kv, d, schema_for, ctx, &r, wb, err);
            at += r.total_len;
        }
        if (rc != 0)
            break;
        meta_applied_put(wb, next);
        char *e = NULL;
        rocksdb_write(kv->db, kv->wo, wb, &e);
        if (e) {
            rc = rdb_error(err, STROM_EIO, e, "replay into", kv->dir);
            break;
        }
        kv->since_snap += buf.len;
        kv->applied = next;
    }
    rocksdb_writebatch_destroy(wb);
    strom_buf_free(&buf);
    if (rc < 0)
        strom_error_prefix(err, "replaying the changelog of %s", kv->dir);
    return rc;
}

/* ---- open and close ------------------------------------------------------------------------ */

static void kv_free(strom_kv *kv, bool checkpoint);

int strom_kv_open(const char *dir, strom_log *log, const strom_table_desc *d,
                  strom_kv_schema_fn schema_for, void *schema_ctx, const strom_kv_config *cfg,
                  strom_kv **out, strom_error *err)
{
    *out = NULL;
    strom_kv *kv = calloc(1, sizeof *kv);
    if (!kv)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    snprintf(kv->dir, sizeof kv->dir, "%s", dir);
    if (cfg)
        kv->cfg = *cfg;
    else
        strom_kv_config_default(&kv->cfg);
    kv->log = log;
    kv->snap_offset = -1;
    kv->snap_ms = strom_mono_ms();
    pthread_mutex_init(&kv->mu, NULL);
    if (kv_cache_init(&kv->cache, kv->cfg.row_cache_bytes) != 0) {
        kv_cache_free(&kv->cache);
        pthread_mutex_destroy(&kv->mu);
        free(kv);
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    }
    g_cache_bytes = kv->cfg.cache_bytes ? kv->cfg.cache_bytes : g_cache_bytes;
    pthread_once(&cache_once, cache_init);

    char live[PATH_MAX + 16], snap[PATH_MAX + 40] = "";
    snprintf(live, sizeof live, "%s/live", dir);
    int rc = strom_mkdirs(dir, err);
    if (rc == 0)
        rc = strom_rmtree(live, err); /* never trusted: it may hold what the log lost */
    int64_t snaps[4];
    int nsnaps = rc == 0 ? list_snapshots(dir, snaps, 4) : 0;
    int64_t start = strom_log_start_offset(log);
    if (rc == 0 && nsnaps > 0) {
        kv->snap_offset = snaps[0];
        snap_path(kv, snaps[0], snap, sizeof snap);
        if (snaps[0] < start || snaps[0] > strom_log_end_offset(log))
            rc = strom_error_set(err, STROM_ECORRUPT, "checkpoint %s is at offset %lld, outside "
                                 "the log (%lld..%lld)", snap, (long long)snaps[0],
                                 (long long)start, (long long)strom_log_end_offset(log));
        else
            rc = restore_dir(snap, live, err);
    } else if (rc == 0 && start > 0) {
        rc = strom_error_set(err, STROM_ECORRUPT, "no checkpoint in %s, and the log starts at "
                             "offset %lld: the state cannot be rebuilt", dir, (long long)start);
    }
    if (rc == 0) {
        kv->topts = rocksdb_block_based_options_create();
        rocksdb_block_based_options_set_block_cache(kv->topts, g_cache);
        /* point lookups: a bloom filter per SST file and one over the memtable skip a file
         * (or the memtable) that cannot hold the key */
        rocksdb_block_based_options_set_filter_policy(kv->topts,
                                                      rocksdb_filterpolicy_create_bloom_full(10));
        rocksdb_block_based_options_set_whole_key_filtering(kv->topts, 1);
        /* and a hash index inside each data block: a key is found without a binary search */
        rocksdb_block_based_options_set_data_block_index_type(
            kv->topts, rocksdb_block_based_table_data_block_index_type_binary_search_and_hash);
        rocksdb_block_based_options_set_data_block_hash_ratio(kv->topts, 0.75);
        kv->opts = rocksdb_options_create();
        rocksdb_options_set_create_if_missing(kv->opts, 1);
        rocksdb_options_set_block_based_table_factory(kv->opts, kv->topts);
        rocksdb_options_set_compression(kv->opts, rocksdb_lz4_compression);
        rocksdb_options_set_write_buffer_size(kv->opts, 4u << 20);
        rocksdb_options_set_max_write_buffer_number(kv->opts, 4); /* fewer write stalls */
        rocksdb_options_set_max_open_files(kv->opts, 256);
        rocksdb_options_set_info_log_level(kv->opts, 3); /* errors only in RocksDB's LOG */
        rocksdb_options_set_memtable_whole_key_filtering(kv->opts, 1);
        rocksdb_options_set_level0_file_num_compaction_trigger(kv->opts, 2); /* fewer files
                                                                                 per lookup */
        rocksdb_options_set_memtable_prefix_bloom_size_ratio(kv->opts, 0.05);
        kv->wo = rocksdb_writeoptions_create();
        rocksdb_writeoptions_disable_WAL(kv->wo, 1); /* the changelog is the WAL */
        kv->ro = rocksdb_readoptions_create();
        char *e = NULL;
        const char *cfname = "default";
        const rocksdb_options_t *cfopts = kv->opts;
        kv->db = rocksdb_open_column_families(kv->opts, live, 1, &cfname, &cfopts, &kv->cf, &e);
        if (e)
            rc = rdb_error(err, STROM_EIO, e, "open RocksDB", live);
    }
    if (rc == 0) {
        size_t vl = 0;
        char *e = NULL;
        char *v = rocksdb_get(kv->db, kv->ro, META_APPLIED, META_APPLIED_LEN, &vl, &e);
        if (e)
            rc = rdb_error(err, STROM_EIO, e, "read", live);
        else if (v && vl == 8)
            kv->applied = (int64_t)strom_ld64(v);
        else
            kv->applied = kv->snap_offset > 0 ? kv->snap_offset : start;
        rocksdb_free(v);
        if (rc == 0 && nsnaps > 0 && kv->applied != kv->snap_offset)
            rc = strom_error_set(err, STROM_ECORRUPT, "checkpoint %s holds offset %lld",
                                 snap, (long long)kv->applied);
    }
    if (rc == 0)
        rc = replay(kv, d, schema_for, schema_ctx, err);
    if (rc == 0 && nsnaps > 0)
        remove_others(kv, kv->snap_offset); /* older checkpoints, torn temporary ones */
    if (rc != 0) {
        kv_free(kv, false);
        return rc;
    }
    *out = kv;
    return 0;
}

int64_t strom_kv_snapshot_offset(strom_kv *kv)
{
    pthread_mutex_lock(&kv->mu);
    int64_t v = kv->snap_offset < 0 ? 0 : kv->snap_offset;
    pthread_mutex_unlock(&kv->mu);
    return v;
}

int64_t strom_kv_applied_offset(strom_kv *kv)
{
    pthread_mutex_lock(&kv->mu);
    int64_t v = kv->applied;
    pthread_mutex_unlock(&kv->mu);
    return v;
}

/* Under kv->mu. */
static int checkpoint_locked(strom_kv *kv, strom_error *err)
{
    char tmp[PATH_MAX + 40], snap[PATH_MAX + 40];
    snprintf(tmp, sizeof tmp, "%s/tmp-%020" PRId64, kv->dir, kv->applied);
    snap_path(kv, kv->applied, snap, sizeof snap);
    strom_rmtree(tmp, NULL);
    char *e = NULL;
    rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(kv->db, &e);
    if (!e)
        rocksdb_checkpoint_create(cp, tmp, 0, &e); /* 0: flush the memtable into it first */
    if (cp)
        rocksdb_checkpoint_object_destroy(cp);
    if (e)
        return rdb_error(err, STROM_EIO, e, "checkpoint", tmp);
    if (rename(tmp, snap) != 0)
        return strom_error_set(err, STROM_EIO, "rename %s: %s", tmp, strerror(errno));
    STROM_TRY(strom_fsync_dir(kv->dir, err));
    kv->snap_offset = kv->applied;
    kv->snap_ms = strom_mono_ms();
    kv->since_snap = 0;
    remove_others(kv, kv->snap_offset);
    return 1;
}

int strom_kv_maybe_checkpoint(strom_kv *kv, bool force, strom_error *err)
{
    pthread_mutex_lock(&kv->mu);
    int rc = 0;
    bool changed = kv->applied != kv->snap_offset;
    bool due = kv->since_snap >= kv->cfg.snapshot_bytes ||
               (kv->cfg.snapshot_ms > 0 && strom_mono_ms() - kv->snap_ms >= kv->cfg.snapshot_ms);
    if (!kv->failed && changed && (force || due))
        rc = checkpoint_locked(kv, err);
    pthread_mutex_unlock(&kv->mu);
    return rc;
}

static void kv_free(strom_kv *kv, bool checkpoint)
{
    if (!kv)
        return;
    if (kv->db) {
        if (checkpoint)
            strom_kv_maybe_checkpoint(kv, true, NULL); /* a clean restart needs no replay */
        if (kv->cf)
            rocksdb_column_family_handle_destroy(kv->cf);
        rocksdb_close(kv->db);
    }
    if (kv->wo)
        rocksdb_writeoptions_destroy(kv->wo);
    if (kv->ro)
        rocksdb_readoptions_destroy(kv->ro);
    if (kv->opts)
        rocksdb_options_destroy(kv->opts);
    if (kv->topts)
        rocksdb_block_based_options_destroy(kv->topts);
    pthread_mutex_destroy(&kv->mu);
    kv_cache_free(&kv->cache);
    free(kv);
}

void strom_kv_close(strom_kv *kv)
{
    kv_free(kv, true);
}

void strom_kv_abandon(strom_kv *kv)
{
    kv_free(kv, false);
}

/* ---- writes -------------------------------------------------------------------------------- */

/* The rows a batch has written so far, by key: later rows of the same key see them. */
typedef struct ov_entry {
    size_t key_off, val_off;      /* in the arena; val_off SIZE_MAX = deleted */
    uint32_t key_len, val_len;
} ov_entry;

typedef struct overlay {
    strom_buf arena;
    ov_entry *e;
    int n, cap;
    int32_t *slots;               /* open addressing: entry index + 1, 0 = empty */
    size_t nslots;
} overlay;

static uint32_t key_hash(const uint8_t *p, size_t n)
{
    return strom_crc32c(0x9747b28c, p, n);
}

static int ov_init(overlay *o, int64_t rows)
{
    memset(o, 0, sizeof *o);
    o->nslots = 16;
    while (o->nslots < (size_t)rows * 2)
        o->nslots *= 2;
    o->slots = calloc(o->nslots, sizeof *o->slots);
    return o->slots ? 0 : STROM_ENOMEM;
}

static void ov_free(overlay *o)
{
    strom_buf_free(&o->arena);
    free(o->e);
    free(o->slots);
}

/* The slot of key (its entry, or the empty slot where it would go). */
static size_t ov_slot(const overlay *o, const uint8_t *k, size_t n)
{
    size_t i = key_hash(k, n) & (o->nslots - 1);
    while (o->slots[i]) {
        const ov_entry *e = &o->e[o->slots[i] - 1];
        if (e->key_len == n && !memcmp(o->arena.data + e->key_off, k, n))
            break;
        i = (i + 1) & (o->nslots - 1);
    }
    return i;
}

/* Sets key -> val (val NULL: deleted). */
static int ov_set(overlay *o, const uint8_t *k, size_t kn, const uint8_t *v, size_t vn)
{
    size_t s = ov_slot(o, k, kn);
    if (!o->slots[s]) {
        if (strom_array_grow(&o->e, o->n, &o->cap, sizeof *o->e, 64) != 0)
            return STROM_ENOMEM;
        ov_entry *e = &o->e[o->n];
        e->key_off = o->arena.len;
        e->key_len = (uint32_t)kn;
        if (strom_buf_append(&o->arena, k, kn) != 0)
            return STROM_ENOMEM;
        o->slots[s] = ++o->n;
    }
    ov_entry *e = &o->e[o->slots[s] - 1];
    if (!v) {
        e->val_off = SIZE_MAX;
        e->val_len = 0;
        return 0;
    }
    e->val_off = o->arena.len;
    e->val_len = (uint32_t)vn;
    return strom_buf_append(&o->arena, v, vn) ? STROM_ENOMEM : 0;
}

/* Checks a decoded input batch whole before anything is done with it. */
static int check_batch(const strom_table_desc *d, const strom_batch *b, const uint8_t *changes,
                       const bool *written, strom_kv_row_check check, void *ctx,
                       strom_error *err)
{
    const strom_schema *s = d->schema;
    bool partial = false;
    for (int c = 0; written && c < b->ncols; c++)
        partial = partial || !written[c];
    if (partial) {
        if (d->merge_engine == STROM_MERGE_FIRST_ROW || d->merge_engine == STROM_MERGE_VERSIONED)
            return strom_error_set(err, STROM_EINVAL, "the %s merge engine does not take "
                                   "partial updates", strom_merge_engine_name(d->merge_engine));
        for (int i = 0; i < d->npk; i++)
            if (!written[d->pk[i]])
                return strom_error_set(err, STROM_EINVAL, "a partial update must write key "
                                       "column '%s'", strom_schema_col_name(s, d->pk[i]));
        for (int c = 0; c < b->ncols; c++)
            if (!written[c] && !strom_schema_col_nullable(s, c))
                return strom_error_set(err, STROM_EINVAL, "a partial update must write NOT "
                                       "NULL column '%s'", strom_schema_col_name(s, c));
    }
    for (int64_t i = 0; i < b->rows; i++) {
        uint8_t ct = changes ? changes[i] : STROM_CHANGE_INSERT;
        if (check)
            STROM_TRY(check(ctx, b, i, err));
        if (ct == STROM_CHANGE_UPDATE_BEFORE || ct > STROM_CHANGE_DELETE)
            return strom_error_set(err, STROM_EINVAL, "row %lld: change type %u (a write takes "
                                   "+I or +U to upsert, -D to delete)", (long long)i, ct);
        if (ct == STROM_CHANGE_DELETE && d->merge_engine == STROM_MERGE_FIRST_ROW)
            return strom_error_set(err, STROM_EINVAL, "row %lld: the first_row merge engine "
                                   "does not take deletes", (long long)i);
        for (int k = 0; k < d->npk; k++)
            if (strom_col_is_null(&b->cols[d->pk[k]], i))
                return strom_error_set(err, STROM_EINVAL, "row %lld: key column '%s' is null",
                                       (long long)i, strom_schema_col_name(s, d->pk[k]));
        if (d->merge_engine == STROM_MERGE_VERSIONED &&
            strom_col_is_null(&b->cols[d->version_col], i))
            return strom_error_set(err, STROM_EINVAL, "row %lld: version column '%s' is null",
                                   (long long)i, strom_schema_col_name(s, d->version_col));
        if (ct == STROM_CHANGE_DELETE)
            continue;
        for (int c = 0; c < b->ncols; c++)
            if ((!written || written[c]) && !strom_schema_col_nullable(s, c) &&
                strom_col_is_null(&b->cols[c], i))
                return strom_error_set(err, STROM_EINVAL, "row %lld: column '%s' is NOT NULL",
                                       (long long)i, strom_schema_col_name(s, c));
    }
    return 0;
}

/* The changelog being built by one write. */
typedef struct changelog {
    strom_batch_builder *bb;
    strom_buf types;
} changelog;

static int cl_add(changelog *cl, const strom_value *row, uint8_t type, strom_error *err)
{
    int rc = strom_bb_append_row(cl->bb, row, err);
    if (rc == 0 && strom_buf_append(&cl->types, &type, 1) != 0)
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    return rc;
}

/* Reads the stored row of `key` (overlay first) into old[] (strings into *hold or the
 * arena). Returns 1 when found. */
static int stored_row(strom_kv *kv, const strom_table_desc *d, overlay *ov, const strom_buf *key,
                      char **hold, strom_value *old, strom_error *err)
{
    size_t s = ov_slot(ov, key->data, key->len);
    if (ov->slots[s]) {
        const ov_entry *e = &ov->e[ov->slots[s] - 1];
        if (e->val_off == SIZE_MAX)
            return 0;
        STROM_TRY(strom_kv_row_get(ov->arena.data + e->val_off, e->val_len, d->schema, old, err));
        return 1;
    }
    char *e = NULL;
    size_t vl = 0;
    rocksdb_free(*hold);
    *hold = rocksdb_get(kv->db, kv->ro, (const char *)key->data, key->len, &vl, &e);
    if (e)
        return rdb_error(err, STROM_EIO, e, "read", kv->dir);
    if (!*hold)
        return 0;
    STROM_TRY(strom_kv_row_get((const uint8_t *)*hold, vl, d->schema, old, err));
    return 1;
}

/* Merges every row of b into the overlay, appending the changelog. Under kv->mu. */
static int merge_rows(strom_kv *kv, const strom_table_desc *d, const strom_batch *b,
                      const uint8_t *changes, const bool *written, overlay *ov, changelog *cl,
                      strom_error *err)
{
    int ncols = b->ncols, rc = 0;
    strom_value *in = calloc((size_t)ncols * 3 + 1, sizeof *in);
    strom_value *old = in + ncols, *out = in + 2 * ncols;
    strom_buf key = STROM_BUF_INIT, val = STROM_BUF_INIT;
    char *hold = NULL;
    if (!in)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (int64_t i = 0; rc == 0 && i < b->rows; i++) {
        for (int c = 0; c < ncols; c++)
            strom_col_get(&b->cols[c], strom_schema_col_type(d->schema, c), i, &in[c]);
        bool del = changes && changes[i] == STROM_CHANGE_DELETE;
        if ((rc = strom_kv_row_key(d, in, &key)) != 0) {
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
            break;
        }
        int found = stored_row(kv, d, ov, &key, &hold, old, err);
        if (found < 0) {
            rc = found;
            break;
        }
        strom_kv_effect fx;
        if ((rc = strom_kv_merge(d, written, found ? old : NULL, in, del, out, &fx, err)) != 0) {
            strom_error_prefix(err, "row %lld", (long long)i);
            break;
        }
        if (fx == STROM_KV_DEL) {
            rc = cl_add(cl, old, STROM_CHANGE_DELETE, err);
            if (rc == 0 && ov_set(ov, key.data, key.len, NULL, 0) != 0)
                rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        } else if (fx == STROM_KV_PUT) {
            if (found && !d->no_update_before)
                rc = cl_add(cl, old, STROM_CHANGE_UPDATE_BEFORE, err);
            if (rc == 0)
                rc = cl_add(cl, out, found ? STROM_CHANGE_UPDATE_AFTER : STROM_CHANGE_INSERT,
                            err);
            strom_buf_reset(&val);
            if (rc == 0 && (strom_kv_row_put(&val, out, ncols) != 0 ||
                            ov_set(ov, key.data, key.len, val.data, val.len) != 0))
                rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        }
    }
    rocksdb_free(hold);
    strom_buf_free(&key);
    strom_buf_free(&val);
    free(in);
    return rc;
}

/* Applies the overlay and the new applied offset to RocksDB in one atomic batch. */
static int apply_overlay(strom_kv *kv, const overlay *ov, int64_t applied, strom_error *err)
{
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    for (int i = 0; i < ov->n; i++) {
        const ov_entry *e = &ov->e[i];
        const char *k = (const char *)ov->arena.data + e->key_off;
        if (e->val_off == SIZE_MAX)
            rocksdb_writebatch_delete(wb, k, e->key_len);
        else
            rocksdb_writebatch_put(wb, k, e->key_len,
                                   (const char *)ov->arena.data + e->val_off, e->val_len);
    }
    meta_applied_put(wb, applied);
    char *e = NULL;
    /* RocksDB and the row cache change together: a lookup holding the cache's read lock
     * sees this write whole or not at all */
    kv_cache_write_lock(&kv->cache);
    rocksdb_write(kv->db, kv->wo, wb, &e);
    for (int i = 0; !e && i < ov->n; i++) {
        const ov_entry *x = &ov->e[i];
        kv_cache_update(&kv->cache, ov->arena.data + x->key_off, x->key_len,
                        x->val_off == SIZE_MAX ? NULL : ov->arena.data + x->val_off,
                        x->val_len);
    }
    kv_cache_write_unlock(&kv->cache);
    rocksdb_writebatch_destroy(wb);
    return e ? rdb_error(err, STROM_EIO, e, "write to", kv->dir) : 0;
}

int strom_kv_write(strom_kv *kv, const strom_table_desc *d, const uint8_t *rec, size_t len,
                   const bool *written, strom_kv_row_check check, void *check_ctx,
                   strom_kv_write_result *res, strom_error *err)
{
    *res = (strom_kv_write_result){-1, 0, false};
    strom_record r;
    int rc = strom_record_parse(rec, len, &r, err);
    if (rc != 0)
        return rc > 0 ? strom_error_set(err, STROM_ECORRUPT, "truncated record") : rc;
    if (r.total_len != len)
        return strom_error_set(err, STROM_ECORRUPT, "%zu bytes do not hold exactly one record",
                               len);
    if (r.info.attributes & ~(uint16_t)STROM_RECORD_CHANGELOG)
        return strom_error_set(err, STROM_EINVAL, "record attributes 0x%x (a write takes a "
                               "plain record, with change types or without)",
                               r.info.attributes);
    if (r.info.schema_id != strom_schema_id(d->schema))
        return strom_error_set(err, STROM_EINVAL, "the batch has schema %u; the table's is %u "
                               "(describe the table again)", r.info.schema_id,
                               strom_schema_id(d->schema));
    strom_ipc_msg m;
    strom_batch *b = NULL;
    if ((rc = strom_ipc_read_msg(r.arrow, r.arrow_len, &m, err)) == 0)
        rc = strom_ipc_decode_batch(&m, d->schema, d->schema, NULL, &b, err);
    if (rc != 0)
        return rc > 0 ? strom_error_set(err, STROM_ECORRUPT, "truncated Arrow message") : rc;
    if (b->rows != r.info.record_count || (r.changes && r.changes_len != (uint32_t)b->rows)) {
        strom_batch_free(b);
        return strom_error_set(err, STROM_ECORRUPT, "the record says %d rows, its batch has "
                               "%lld", r.info.record_count, (long long)b->rows);
    }
    if ((rc = check_batch(d, b, r.changes, written, check, check_ctx, err)) != 0) {
        strom_batch_free(b);
        return rc;
    }
    overlay ov;
    changelog cl = {strom_bb_new(d->schema), STROM_BUF_INIT};
    if (ov_init(&ov, b->rows) != 0 || !cl.bb) {
        ov_free(&ov);
        strom_bb_free(cl.bb);
        strom_batch_free(b);
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    }
    strom_buf out = STROM_BUF_INIT, arrow = STROM_BUF_INIT;
    pthread_mutex_lock(&kv->mu);
    int64_t dup = 0;
    if (kv->failed) {
        rc = strom_error_set(err, STROM_EIO, "%s", kv->failed_msg);
        goto unlock;
    }
    rc = strom_log_writer_check(kv->log, r.info.writer_id, r.info.batch_seq, &dup, err);
    if (rc == 1) { /* a retry: answered with what the first attempt did */
        res->duplicate = true;
        res->base_offset = dup;
        rc = 0;
        goto unlock;
    }
    if (rc != 0 || (rc = merge_rows(kv, d, b, r.changes, written, &ov, &cl, err)) != 0)
        goto unlock;
    int64_t rows = strom_bb_rows(cl.bb), until = kv->applied;
    if (rows > 0) {
        strom_batch_stats st;
        strom_seal_opts so = {STROM_CODEC_NONE, 0};
        if ((rc = strom_bb_seal(cl.bb, &so, &arrow, &st, err)) != 0)
            goto unlock;
        strom_record_info info = {0, (int32_t)(rows - 1), STROM_RECORD_CHANGELOG,
                                  strom_now_ms(), 0, strom_schema_id(d->schema),
                                  r.info.writer_id, r.info.batch_seq, (int32_t)rows};
        rc = strom_record_write(&out, &info, &st, cl.types.data, arrow.data, arrow.len, err);
        strom_batch_stats_free(&st);
        int64_t base = -1;
        if (rc == 0)
            rc = strom_log_append_nowait(kv->log, out.data, out.len, true, &base, &until, err);
        if (rc == 0)
            rc = strom_log_wait_durable(kv->log, until, err);
        if (rc != 0)
            goto unlock; /* nothing applied: the log refuses further appends anyway */
        res->base_offset = base;
        res->changes = (int32_t)rows;
        kv->since_snap += out.len;
    } else if ((rc = strom_log_note_writer(kv->log, r.info.writer_id, r.info.batch_seq)) != 0) {
        rc = strom_error_set(err, rc, "out of memory");
        goto unlock;
    }
    if (ov.n > 0 && (rc = apply_overlay(kv, &ov, until, err)) != 0) {
        /* the changelog has changes the state lacks: refuse writes until a restart
         * replays them */
        kv->failed = true;
        snprintf(kv->failed_msg, sizeof kv->failed_msg, "the bucket's state failed (%.120s); "
                 "restart to recover it from the changelog", err ? err->msg : "");
        strom_error_set(err, STROM_EIO, "the write is durable in the changelog but the state "
                        "could not take it (%.100s); the server applies it when restarted, and "
                        "a retry of the same batch is recognized", kv->failed_msg);
        goto unlock;
    }
    kv->applied = until;
    if (kv->since_snap >= kv->cfg.snapshot_bytes)
        (void)checkpoint_locked(kv, NULL); /* a failure is retried at the next one */
unlock:
    pthread_mutex_unlock(&kv->mu);
    strom_buf_free(&out);
    strom_buf_free(&arrow);
    strom_buf_free(&cl.types);
    strom_bb_free(cl.bb);
    ov_free(&ov);
    strom_batch_free(b);
    return rc;
}

/* ---- reads --------------------------------------------------------------------------------- */

/* Appends the stored row bytes v (full schema) projected to cols onto out. */
static int emit_row(const strom_table_desc *d, const uint8_t *v, size_t n, const int *cols,
                    int ncols, strom_value *tmp, strom_value *proj, strom_batch_builder *out,
                    strom_error *err)
{
    STROM_TRY(strom_kv_row_get(v, n, d->schema, tmp, err));
    int nc = cols ? ncols : strom_schema_ncols(d->schema);
    for (int c = 0; c < nc; c++)
        proj[c] = tmp[cols ? cols[c] : c];
    return strom_bb_append_row(out, proj, err);
}

/* The RocksDB key of row i of `keys`: the key columns in key order (src: key position ->
 * column of keys). */
static int lookup_key(const strom_batch *keys, int64_t i, const int *src, int n, strom_buf *key,
                      strom_error *err)
{
    uint8_t p = ROW_PREFIX;
    if (strom_buf_append(key, &p, 1) != 0)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (int k = 0; k < n; k++) {
        strom_value v;
        strom_col_get(&keys->cols[src[k]], strom_schema_col_type(keys->schema, src[k]), i, &v);
        if (v.is_null)
            return strom_error_set(err, STROM_EINVAL, "key %lld: column '%s' is null",
                                   (long long)i, strom_schema_col_name(keys->schema, src[k]));
        if (strom_kv_key_put(key, &v) != 0)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
    }
    return 0;
}

/* Point lookups of every key of `keys`: from the row cache, and the others in one batched
 * MultiGet (RocksDB sorts them and walks the memtable and files once). The cache's hits are
 * copied and a RocksDB snapshot taken under its read lock, i.e. between two writes; the
 * MultiGet then reads that snapshot with no lock held (it may wait for the disk). Rows read
 * from RocksDB join the cache. With `memory_only` (the server's loop thread) nothing waits:
 * a lock held by a write, or a key not in memory, returns 1. */
static int point_lookups(strom_kv *kv, const strom_table_desc *d, const strom_batch *keys,
                         const int *src, int n, const int *cols, int ncols, bool memory_only,
                         strom_value *tmp, strom_batch_builder *out, uint32_t *counts,
                         strom_error *err)
{
    size_t nk = (size_t)keys->rows, nmiss = 0;
    int total = strom_schema_ncols(d->schema), rc = 0;
    strom_buf kb = STROM_BUF_INIT, hits = STROM_BUF_INIT;
    size_t *off = malloc(sizeof *off * (nk + 1)), *len = malloc(sizeof *len * (nk + 1));
    size_t *voff = malloc(sizeof *voff * (nk + 1)), *vlen = malloc(sizeof *vlen * (nk + 1));
    size_t *miss = malloc(sizeof *miss * (nk + 1));
    const char **mk = malloc(sizeof *mk * (nk + 1));
    const uint8_t **row = calloc(nk + 1, sizeof *row);
    const uint8_t **fk = malloc(sizeof *fk * (nk + 1)), **fv = malloc(sizeof *fv * (nk + 1));
    size_t *fkl = malloc(sizeof *fkl * (nk + 1)), *fvl = malloc(sizeof *fvl * (nk + 1));
    rocksdb_pinnableslice_t **vals = calloc(nk + 1, sizeof *vals);
    char **errs = calloc(nk + 1, sizeof *errs);
    const rocksdb_snapshot_t *snap = NULL;
    rocksdb_readoptions_t *ro = NULL;
    if (!off || !len || !voff || !vlen || !miss || !mk || !row || !fk || !fv || !fkl || !fvl ||
        !vals || !errs)
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < nk; i++) {
        off[i] = kb.len;
        rc = lookup_key(keys, (int64_t)i, src, n, &kb, err);
        len[i] = kb.len - off[i];
    }
    if (rc != 0)
        goto done;
    if (memory_only) {
        if (!kv_cache_try_read_lock(&kv->cache)) {
            rc = 1; /* a write holds it: not the loop thread's to wait for */
            goto done;
        }
    } else {
        kv_cache_read_lock(&kv->cache);
    }
    uint64_t gen = kv_cache_generation(&kv->cache);
    for (size_t i = 0; rc == 0 && i < nk; i++) {
        size_t vl;
        const uint8_t *v = kv_cache_get(&kv->cache, kb.data + off[i], len[i], &vl);
        voff[i] = SIZE_MAX;
        if (!v) {
            miss[nmiss++] = i;
        } else if (strom_buf_append(&hits, v, vl) != 0) {
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        } else {
            voff[i] = hits.len - vl;
            vlen[i] = vl;
        }
    }
    if (rc == 0 && nmiss > 0)
        snap = rocksdb_create_snapshot(kv->db);
    kv_cache_read_unlock(&kv->cache);
    if (rc == 0 && nmiss > 0) {
        ro = rocksdb_readoptions_create();
        rocksdb_readoptions_set_snapshot(ro, snap);
        if (memory_only)
            rocksdb_readoptions_set_read_tier(ro, 1); /* kBlockCacheTier: no disk */
        for (size_t j = 0; j < nmiss; j++) {
            mk[j] = (const char *)kb.data + off[miss[j]];
            fkl[j] = len[miss[j]];
        }
        rocksdb_batched_multi_get_cf(kv->db, ro, kv->cf, nmiss, mk, fkl, vals, errs, false);
    }
    for (size_t j = 0; rc == 0 && j < nmiss; j++) {
        if (errs[j]) {
            if (memory_only)
                rc = 1; /* not in memory ("Incomplete"): ask again where a disk read may wait */
            else
                rc = rdb_error(err, STROM_EIO, errs[j], "read", kv->dir);
            if (!memory_only)
                errs[j] = NULL; /* freed by rdb_error */
        } else if (vals[j]) {
            size_t vl;
            row[miss[j]] = (const uint8_t *)rocksdb_pinnableslice_value(vals[j], &vl);
            vlen[miss[j]] = vl;
        }
    }
    for (size_t i = 0; rc == 0 && i < nk; i++) {
        if (voff[i] != SIZE_MAX)
            row[i] = hits.data + voff[i];
        counts[i] = 0;
        if (row[i] && (rc = emit_row(d, row[i], vlen[i], cols, ncols, tmp, tmp + total, out,
                                     err)) == 0)
            counts[i] = 1;
    }
    if (rc == 0 && nmiss > 0 && !memory_only) { /* the loop thread does not wait for the lock */
        size_t nf = 0;
        for (size_t j = 0; j < nmiss; j++)
            if (vals[j]) {
                fk[nf] = kb.data + off[miss[j]];
                fkl[nf] = len[miss[j]];
                fv[nf] = row[miss[j]];
                fvl[nf] = vlen[miss[j]];
                nf++;
            }
        kv_cache_fill(&kv->cache, gen, fk, fkl, fv, fvl, nf);
    }
done:
    for (size_t j = 0; vals && errs && j < nmiss; j++) {
        if (vals[j])
            rocksdb_pinnableslice_destroy(vals[j]);
        free(errs[j]);
    }
    if (ro)
        rocksdb_readoptions_destroy(ro);
    if (snap)
        rocksdb_release_snapshot(kv->db, snap);
    free(off);
    free(len);
    free(voff);
    free(vlen);
    free(miss);
    free(mk);
    free(row);
    free(fk);
    free(fv);
    free(fkl);
    free(fvl);
    free(vals);
    free(errs);
    strom_buf_free(&kb);
    strom_buf_free(&hits);
    return rc;
}

int strom_kv_lookup(strom_kv *kv, const strom_table_desc *d, const strom_batch *keys,
                    bool prefix, int64_t limit, const int *cols, int ncols, bool memory_only,
                    strom_batch_builder *out, uint32_t *counts, strom_error *err)
{
    int order[STROM_PK_MAX * 2], n = key_order(d, order);
    int want = prefix ? d->nbucket_key : d->npk;
    if (prefix && d->nbucket_key == 0)
        return strom_error_set(err, STROM_EINVAL, "the table has no bucket key to look up by");
    if (keys->ncols != want)
        return strom_error_set(err, STROM_EINVAL, "%d key columns given, %s lookup needs %d",
                               keys->ncols, prefix ? "a prefix" : "a", want);
    /* key position k (key order) -> column of `keys` */
    int src[STROM_PK_MAX * 2];
    for (int k = 0; k < (prefix ? d->nbucket_key : n); k++) {
        src[k] = -1;
        for (int j = 0; j < want; j++)
            if ((prefix ? d->bucket_key[j] : d->pk[j]) == order[k])
                src[k] = j;
    }
    int total = strom_schema_ncols(d->schema);
    strom_value *tmp = calloc((size_t)total * 2 + 1, sizeof *tmp);
    strom_buf key = STROM_BUF_INIT;
    rocksdb_readoptions_t *ro = NULL;
    int rc = tmp ? 0 : strom_error_set(err, STROM_ENOMEM, "out of memory");
    if (rc == 0 && !prefix) {
        rc = point_lookups(kv, d, keys, src, n, cols, ncols, memory_only, tmp, out, counts, err);
        free(tmp);
        return rc;
    }
    for (int64_t i = 0; rc == 0 && i < keys->rows; i++) {
        uint8_t p = ROW_PREFIX;
        strom_buf_reset(&key);
        rc = strom_buf_append(&key, &p, 1);
        for (int k = 0; rc == 0 && k < (prefix ? d->nbucket_key : n); k++) {
            strom_value v;
            strom_col_get(&keys->cols[src[k]], strom_schema_col_type(keys->schema, src[k]), i,
                          &v);
            if (v.is_null) {
                rc = strom_error_set(err, STROM_EINVAL, "key %lld: column '%s' is null",
                                     (long long)i, strom_schema_col_name(keys->schema, src[k]));
                break;
            }
            rc = strom_kv_key_put(&key, &v);
        }
        if (rc != 0)
            break;
        counts[i] = 0;
        if (!prefix) {
            char *e = NULL;
            size_t vl = 0;
            char *v = rocksdb_get(kv->db, kv->ro, (const char *)key.data, key.len, &vl, &e);
            if (e)
                rc = rdb_error(err, STROM_EIO, e, "read", kv->dir);
            else if (v && (rc = emit_row(d, (const uint8_t *)v, vl, cols, ncols, tmp,
                                         tmp + total, out, err)) == 0)
                counts[i] = 1;
            rocksdb_free(v);
            continue;
        }
        if (!ro)
            ro = rocksdb_readoptions_create();
        rocksdb_iterator_t *it = rocksdb_create_iterator(kv->db, ro);
        rocksdb_iter_seek(it, (const char *)key.data, key.len);
        for (; rc == 0 && rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
            size_t kl, vl;
            const char *k = rocksdb_iter_key(it, &kl);
            if (kl < key.len || memcmp(k, key.data, key.len) != 0)
                break;
            if (counts[i] == limit) {
                counts[i]++; /* there are more */
                break;
            }
            const char *v = rocksdb_iter_value(it, &vl);
            if ((rc = emit_row(d, (const uint8_t *)v, vl, cols, ncols, tmp, tmp + total, out,
                               err)) == 0)
                counts[i]++;
        }
        char *e = NULL;
        rocksdb_iter_get_error(it, &e);
        if (e && rc == 0)
            rc = rdb_error(err, STROM_EIO, e, "read", kv->dir);
        else
            free(e);
        rocksdb_iter_destroy(it);
    }
    if (rc == STROM_ENOMEM)
        strom_error_set(err, rc, "out of memory");
    if (ro)
        rocksdb_readoptions_destroy(ro);
    strom_buf_free(&key);
    free(tmp);
    return rc;
}

struct strom_kv_scan {
    strom_kv *kv;
    const rocksdb_snapshot_t *snap;
    rocksdb_readoptions_t *ro;
    rocksdb_iterator_t *it;
    char upper[1];
};

int strom_kv_scan_open(strom_kv *kv, strom_kv_scan **out, int64_t *offset, strom_error *err)
{
    strom_kv_scan *sc = calloc(1, sizeof *sc);
    if (!sc)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    sc->kv = kv;
    sc->ro = rocksdb_readoptions_create();
    sc->upper[0] = ROW_PREFIX + 1;
    rocksdb_readoptions_set_iterate_upper_bound(sc->ro, sc->upper, 1);
    pthread_mutex_lock(&kv->mu); /* between writes: the snapshot matches `applied` */
    sc->snap = rocksdb_create_snapshot(kv->db);
    *offset = kv->applied;
    pthread_mutex_unlock(&kv->mu);
    rocksdb_readoptions_set_snapshot(sc->ro, sc->snap);
    sc->it = rocksdb_create_iterator(kv->db, sc->ro);
    char first = ROW_PREFIX;
    rocksdb_iter_seek(sc->it, &first, 1);
    *out = sc;
    return 0;
}

int strom_kv_scan_next(strom_kv_scan *sc, const strom_table_desc *d, int64_t max_rows,
                       strom_batch_builder *out, bool *done, strom_error *err)
{
    int total = strom_schema_ncols(d->schema), rc = 0;
    strom_value *tmp = calloc((size_t)total * 2 + 1, sizeof *tmp);
    if (!tmp)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    int64_t n = 0;
    for (; rc == 0 && n < max_rows && rocksdb_iter_valid(sc->it); rocksdb_iter_next(sc->it)) {
        size_t vl;
        const char *v = rocksdb_iter_value(sc->it, &vl);
        if ((rc = emit_row(d, (const uint8_t *)v, vl, NULL, 0, tmp, tmp + total, out, err)) == 0)
            n++;
    }
    char *e = NULL;
    rocksdb_iter_get_error(sc->it, &e);
    if (e && rc == 0)
        rc = rdb_error(err, STROM_EIO, e, "scan", sc->kv->dir);
    else
        free(e);
    *done = !rocksdb_iter_valid(sc->it);
    free(tmp);
    return rc;
}

void strom_kv_scan_close(strom_kv_scan *sc)
{
    if (!sc)
        return;
    rocksdb_iter_destroy(sc->it);
    rocksdb_readoptions_destroy(sc->ro);
    rocksdb_release_snapshot(sc->kv->db, sc->snap);
    free(sc);
}
