/*
 * test_kv.c: primary-key state (src/kv): codecs, and for every merge engine a randomized
 * stream of upserts, partial updates and deletes checked against an in-memory model (by
 * lookup, by scan, and by folding the changelog), bad batches that must change nothing,
 * retries, and recovery from a checkpoint plus changelog replay.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "columnar/batch.h"
#include "columnar/ipc.h"
#include "columnar/value.h"
#include "common/fs.h"
#include "kv/kv.h"
#include "kv/kv_codec.h"
#include "log/log.h"
#include "log/record.h"
#include "test.h"

/* ---- codecs -------------------------------------------------------------------------------- */

static strom_value vint(strom_type_id t, int64_t i)
{
    strom_value v = {t, false, {0}};
    v.u.i = i;
    return v;
}

static strom_value vstr(const char *s, size_t n)
{
    strom_value v = {STROM_TYPE_STRING, false, {0}};
    v.u.s.ptr = (const uint8_t *)s;
    v.u.s.len = (uint32_t)n;
    return v;
}

static strom_value vdbl(double d)
{
    strom_value v = {STROM_TYPE_DOUBLE, false, {0}};
    v.u.f = d;
    return v;
}

static int keycmp(strom_value av, strom_value bv)
{
    const strom_value *a = &av, *b = &bv;
    strom_buf x = STROM_BUF_INIT, y = STROM_BUF_INIT;
    CHECK_OK(strom_kv_key_put(&x, a), &(strom_error){0});
    CHECK_OK(strom_kv_key_put(&y, b), &(strom_error){0});
    size_t n = x.len < y.len ? x.len : y.len;
    int c = memcmp(x.data, y.data, n);
    if (c == 0)
        c = x.len < y.len ? -1 : x.len > y.len;
    strom_buf_free(&x);
    strom_buf_free(&y);
    return c < 0 ? -1 : c > 0;
}

TEST(key_form_keeps_value_order)
{
    int64_t ints[] = {INT64_MIN, -1000000, -1, 0, 1, 255, 256, INT64_MAX};
    for (size_t i = 0; i + 1 < sizeof ints / sizeof *ints; i++)
        CHECK_EQ(keycmp(vint(STROM_TYPE_BIGINT, ints[i]),
                        vint(STROM_TYPE_BIGINT, ints[i + 1])),
                 -1);
    double ds[] = {-INFINITY, -1e300, -2.5, -0.0, 1e-300, 3.0, INFINITY};
    for (size_t i = 0; i + 1 < sizeof ds / sizeof *ds; i++)
        CHECK_EQ(keycmp(vdbl(ds[i]), vdbl(ds[i + 1])), -1);
    CHECK_EQ(keycmp(vdbl(-0.0), vdbl(0.0)), 0);
    /* strings with zero bytes: order kept, and no key is a prefix of another's form */
    const char *s[] = {"", "\0", "\0\0", "\0a", "a", "a\0", "ab", "b"};
    size_t sl[] = {0, 1, 2, 2, 1, 2, 2, 1};
    for (int i = 0; i + 1 < 8; i++)
        CHECK_EQ(keycmp(vstr(s[i], sl[i]),
                        vstr(s[i + 1], sl[i + 1])),
                 -1);
    strom_value d1 = {STROM_TYPE_DECIMAL, false, {0}}, d2 = d1;
    d1.u.d = -5;
    d2.u.d = 3;
    CHECK_EQ(keycmp(d1, d2), -1);
}

TEST(row_form_round_trips_and_rejects_damage)
{
    strom_schema *s = strom_schema_new(1);
    strom_schema_add(s, "a", strom_type_of(STROM_TYPE_TINYINT), true, NULL);
    strom_schema_add(s, "b", strom_type_of(STROM_TYPE_STRING), true, NULL);
    strom_schema_add(s, "c", strom_type_of(STROM_TYPE_FLOAT), true, NULL);
    strom_schema_add(s, "d", strom_type_decimal(20, 2), true, NULL);
    strom_schema_add(s, "e", strom_type_of(STROM_TYPE_BOOLEAN), true, NULL);
    strom_value in[5] = {vint(STROM_TYPE_TINYINT, -7), vstr("hi\0x", 4),
                         {STROM_TYPE_FLOAT, false, {0}}, {STROM_TYPE_DECIMAL, false, {0}},
                         {STROM_TYPE_BOOLEAN, true, {0}}};
    in[2].u.f = 1.5;
    in[3].u.d = -((strom_i128)1 << 70);
    strom_buf b = STROM_BUF_INIT;
    CHECK_OK(strom_kv_row_put(&b, in, 5), &(strom_error){0});
    strom_value out[5];
    strom_error err;
    CHECK_OK(strom_kv_row_get(b.data, b.len, s, out, &err), &err);
    CHECK_EQ(out[0].u.i, -7);
    CHECK_EQ(out[1].u.s.len, 4);
    CHECK_MEM(out[1].u.s.ptr, "hi\0x", 4);
    CHECK(out[2].u.f == 1.5);
    CHECK(out[3].u.d == in[3].u.d);
    CHECK(out[4].is_null);
    /* a row of an older schema (2 columns) reads the added ones as null */
    strom_buf old = STROM_BUF_INIT;
    CHECK_OK(strom_kv_row_put(&old, in, 2), &err);
    CHECK_OK(strom_kv_row_get(old.data, old.len, s, out, &err), &err);
    CHECK(!out[1].is_null && out[2].is_null && out[3].is_null);
    /* a row of a newer schema (5 columns) read under an older one (2): its first columns */
    strom_schema *s2 = strom_schema_new(1);
    strom_schema_add(s2, "a", strom_type_of(STROM_TYPE_TINYINT), true, NULL);
    strom_schema_add(s2, "b", strom_type_of(STROM_TYPE_STRING), true, NULL);
    CHECK_OK(strom_kv_row_get(b.data, b.len, s2, out, &err), &err);
    CHECK_EQ(out[0].u.i, -7);
    CHECK_EQ(out[1].u.s.len, 4);
    strom_schema_free(s2);
    /* every truncation and a trailing byte are errors, never overreads */
    for (size_t n = 0; n < b.len; n++)
        CHECK(strom_kv_row_get(b.data, n, s, out, &err) < 0);
    strom_buf_append(&b, "x", 1);
    CHECK_EQ(strom_kv_row_get(b.data, b.len, s, out, &err), STROM_ECORRUPT);
    strom_buf_free(&b);
    strom_buf_free(&old);
    strom_schema_free(s);
}

/* ---- the model test ------------------------------------------------------------------------ */

/* Table: k1 INT NOT NULL, k2 STRING NOT NULL, v BIGINT, s STRING, ver BIGINT, x DOUBLE;
 * primary key (k1, k2), bucket key (k1). */
enum { K1, K2, V, S, VER, X, NCOL };
#define NK1 6
#define NK2 5
#define NKEYS (NK1 * NK2)

typedef struct mrow {
    bool present;
    bool null[NCOL];
    int64_t v, ver;
    double x;
    char s[16];
} mrow;

static strom_table_desc make_desc(strom_merge_engine e)
{
    strom_table_desc d;
    strom_table_desc_init(&d);
    snprintf(d.database, sizeof d.database, "t");
    snprintf(d.table, sizeof d.table, "kv");
    d.schema = strom_schema_new(1);
    strom_schema_add(d.schema, "k1", strom_type_of(STROM_TYPE_INT), false, NULL);
    strom_schema_add(d.schema, "k2", strom_type_of(STROM_TYPE_STRING), false, NULL);
    strom_schema_add(d.schema, "v", strom_type_of(STROM_TYPE_BIGINT), true, NULL);
    strom_schema_add(d.schema, "s", strom_type_of(STROM_TYPE_STRING), true, NULL);
    strom_schema_add(d.schema, "ver", strom_type_of(STROM_TYPE_BIGINT), true, NULL);
    strom_schema_add(d.schema, "x", strom_type_of(STROM_TYPE_DOUBLE), true, NULL);
    d.npk = 2;
    d.pk = malloc(2 * sizeof(int));
    d.pk[0] = K1;
    d.pk[1] = K2;
    d.nbucket_key = 1;
    d.bucket_key = malloc(sizeof(int));
    d.bucket_key[0] = K1;
    d.merge_engine = e;
    if (e == STROM_MERGE_VERSIONED)
        d.version_col = VER;
    if (e == STROM_MERGE_AGGREGATE) {
        d.nagg = NCOL;
        d.agg = calloc(NCOL, 1);
        d.agg[V] = STROM_AGG_SUM;
        d.agg[VER] = STROM_AGG_MIN;
        d.agg[X] = STROM_AGG_MAX;
        d.agg[S] = STROM_AGG_LAST_NON_NULL;
    }
    strom_error err;
    CHECK_OK(strom_table_desc_check(&d, &err), &err);
    return d;
}

/* One written row of the test's stream. */
typedef struct op {
    int key;
    bool del;
    bool null[NCOL];
    int64_t v, ver;
    double x;
    char s[16];
} op;

static void key_vals(int key, int32_t *k1, char *k2)
{
    *k1 = key / NK2 - 2; /* some negative */
    k2[0] = (char)('a' + key % NK2);
    k2[1] = key % 2 ? '\0' : 'z';
    k2[2] = 0;
}

static size_t k2len(int key)
{
    (void)key;
    return 2; /* "a\0" or "az": a zero byte inside some keys */
}

/* The model's merge of one op (the engines' definitions, written independently). */
static void model_apply(const strom_table_desc *d, mrow *m, const op *o, bool partial)
{
    mrow *r = &m[o->key];
    if (o->del) {
        if (r->present && (d->merge_engine != STROM_MERGE_VERSIONED || o->ver >= r->ver))
            r->present = false;
        return;
    }
    bool w[NCOL];
    for (int c = 0; c < NCOL; c++)
        w[c] = !partial || c == K1 || c == K2 || c == V;
    if (!r->present) {
        memset(r, 0, sizeof *r);
        r->present = true;
        for (int c = 0; c < NCOL; c++)
            r->null[c] = !w[c] || o->null[c];
        r->v = o->v;
        r->ver = o->ver;
        r->x = o->x;
        memcpy(r->s, o->s, sizeof r->s);
        return;
    }
    switch (d->merge_engine) {
    case STROM_MERGE_FIRST_ROW:
        return;
    case STROM_MERGE_VERSIONED:
        if (o->ver < r->ver)
            return;
        __attribute__((fallthrough)); /* the whole row */
    case STROM_MERGE_LAST_ROW:
        for (int c = V; c < NCOL; c++) {
            if (!w[c])
                continue;
            r->null[c] = o->null[c];
            if (c == V)
                r->v = o->v;
            else if (c == VER)
                r->ver = o->ver;
            else if (c == X)
                r->x = o->x;
            else
                memcpy(r->s, o->s, sizeof r->s);
        }
        return;
    default: /* AGGREGATE: v sum, ver min, x max, s last non-null */
        if (w[V] && !o->null[V]) {
            r->v = r->null[V] ? o->v : r->v + o->v;
            r->null[V] = false;
        }
        if (w[VER] && !o->null[VER]) {
            r->ver = r->null[VER] || o->ver < r->ver ? o->ver : r->ver;
            r->null[VER] = false;
        }
        if (w[X] && !o->null[X]) {
            r->x = r->null[X] || o->x > r->x ? o->x : r->x;
            r->null[X] = false;
        }
        if (w[S] && !o->null[S]) {
            memcpy(r->s, o->s, sizeof r->s);
            r->null[S] = false;
        }
        return;
    }
}

/* A write record of ops (full rows; partial ones carry only the written columns). */
static void build_record(const strom_table_desc *d, const op *ops, int n, int64_t wid,
                         int32_t seq, strom_buf *out)
{
    strom_batch_builder *bb = strom_bb_new(d->schema);
    uint8_t *types = malloc((size_t)n + 1);
    strom_error err;
    for (int i = 0; i < n; i++) {
        const op *o = &ops[i];
        int32_t k1;
        char k2[3];
        key_vals(o->key, &k1, k2);
        strom_value row[NCOL] = {vint(STROM_TYPE_INT, k1), vstr(k2, k2len(o->key)),
                                 vint(STROM_TYPE_BIGINT, o->v), vstr(o->s, strlen(o->s)),
                                 vint(STROM_TYPE_BIGINT, o->ver), vdbl(o->x)};
        for (int c = V; c < NCOL; c++)
            row[c].is_null = o->null[c];
        CHECK_OK(strom_bb_append_row(bb, row, &err), &err);
        types[i] = o->del ? STROM_CHANGE_DELETE : STROM_CHANGE_UPDATE_AFTER;
    }
    strom_buf arrow = STROM_BUF_INIT;
    strom_batch_stats st;
    strom_seal_opts so = {STROM_CODEC_NONE, 0};
    CHECK_OK(strom_bb_seal(bb, &so, &arrow, &st, &err), &err);
    strom_record_info info = {0, n - 1, STROM_RECORD_CHANGELOG, 1, 0, 1, wid, seq, n};
    strom_buf_reset(out);
    CHECK_OK(strom_record_write(out, &info, &st, types, arrow.data, arrow.len, &err), &err);
    strom_batch_stats_free(&st);
    strom_buf_free(&arrow);
    strom_bb_free(bb);
    free(types);
}

/* A row of the state (values from a decoded batch row) against the model. */
static bool row_matches(const mrow *r, const strom_value *v)
{
    if (!r->present)
        return false;
    for (int c = V; c < NCOL; c++)
        if (v[c].is_null != r->null[c])
            return false;
    return (r->null[V] || v[V].u.i == r->v) && (r->null[VER] || v[VER].u.i == r->ver) &&
           (r->null[X] || v[X].u.f == r->x) &&
           (r->null[S] || (v[S].u.s.len == strlen(r->s) && !memcmp(v[S].u.s.ptr, r->s,
                                                                     v[S].u.s.len)));
}

static int key_of_row(const strom_value *v)
{
    int key = (int)(v[K1].u.i + 2) * NK2 + (v[K2].u.s.ptr[0] - 'a');
    return key;
}

/* Every key looked up (one batch of all keys), the scan, against the model. */
static void check_state(strom_kv *kv, const strom_table_desc *d, const mrow *m)
{
    strom_error err;
    int pkc[2] = {K1, K2};
    strom_schema *ks = strom_schema_project(d->schema, pkc, 2);
    strom_batch_builder *kb = strom_bb_new(ks);
    for (int key = 0; key < NKEYS; key++) {
        int32_t k1;
        char k2[3];
        key_vals(key, &k1, k2);
        strom_value row[2] = {vint(STROM_TYPE_INT, k1), vstr(k2, k2len(key))};
        CHECK_OK(strom_bb_append_row(kb, row, &err), &err);
    }
    strom_buf arrow = STROM_BUF_INIT;
    strom_batch_stats st;
    CHECK_OK(strom_bb_seal(kb, NULL, &arrow, &st, &err), &err);
    strom_batch_stats_free(&st);
    strom_ipc_msg msg;
    strom_batch *keys = NULL;
    CHECK_OK(strom_ipc_read_msg(arrow.data, arrow.len, &msg, &err), &err);
    CHECK_OK(strom_ipc_decode_batch(&msg, ks, ks, NULL, &keys, &err), &err);
    strom_batch_builder *out = strom_bb_new(d->schema);
    uint32_t counts[NKEYS];
    CHECK_OK(strom_kv_lookup(kv, d, keys, false, 1, NULL, 0, false, out, counts, &err), &err);
    strom_buf ra = STROM_BUF_INIT;
    CHECK_OK(strom_bb_seal(out, NULL, &ra, &st, &err), &err);
    strom_batch_stats_free(&st);
    strom_batch *rows = NULL;
    CHECK_OK(strom_ipc_read_msg(ra.data, ra.len, &msg, &err), &err);
    CHECK_OK(strom_ipc_decode_batch(&msg, d->schema, d->schema, NULL, &rows, &err), &err);
    int64_t at = 0, bad = 0;
    strom_value v[NCOL];
    for (int key = 0; key < NKEYS; key++) {
        bad += counts[key] != (m[key].present ? 1u : 0u);
        if (!counts[key])
            continue;
        for (int c = 0; c < NCOL; c++)
            strom_col_get(&rows->cols[c], strom_schema_col_type(d->schema, c), at, &v[c]);
        bad += key_of_row(v) != key || !row_matches(&m[key], v);
        at++;
    }
    CHECK_EQ(bad, 0);
    strom_batch_free(rows);
    strom_buf_free(&ra);
    /* the scan: every present key once, in key order, nothing else */
    strom_kv_scan *sc;
    int64_t off;
    CHECK_OK(strom_kv_scan_open(kv, &sc, &off, &err), &err);
    CHECK_EQ(off, strom_kv_applied_offset(kv));
    strom_bb_reset(out);
    bool done = false;
    while (!done)
        CHECK_OK(strom_kv_scan_next(sc, d, 7, out, &done, &err), &err);
    strom_kv_scan_close(sc);
    int64_t n = strom_bb_rows(out), present = 0;
    for (int key = 0; key < NKEYS; key++)
        present += m[key].present;
    CHECK_EQ(n, present);
    if (n > 0) {
        CHECK_OK(strom_bb_seal(out, NULL, &ra, &st, &err), &err);
        strom_batch_stats_free(&st);
        CHECK_OK(strom_ipc_read_msg(ra.data, ra.len, &msg, &err), &err);
        CHECK_OK(strom_ipc_decode_batch(&msg, d->schema, d->schema, NULL, &rows, &err), &err);
        int prev_k1 = INT32_MIN;
        for (int64_t i = 0; i < rows->rows; i++) {
            for (int c = 0; c < NCOL; c++)
                strom_col_get(&rows->cols[c], strom_schema_col_type(d->schema, c), i, &v[c]);
            bad += !row_matches(&m[key_of_row(v)], v);
            bad += v[K1].u.i < prev_k1; /* bucket key first in the key order */
            prev_k1 = (int)v[K1].u.i;
        }
        CHECK_EQ(bad, 0);
        strom_batch_free(rows);
        strom_buf_free(&ra);
    }
    strom_bb_free(out);
    strom_batch_free(keys);
    strom_buf_free(&arrow);
    strom_bb_free(kb);
    strom_schema_free(ks);
}

/* Folds the whole changelog; checks each change against the fold so far (+I only for an
 * absent key, -U/-D carry the current row, +U follows its -U), then the fold against the
 * model. */
static void check_changelog(strom_log *l, const strom_table_desc *d, const mrow *m)
{
    mrow fold[NKEYS];
    memset(fold, 0, sizeof fold);
    strom_error err;
    strom_log_slice sl;
    CHECK_OK(strom_log_read(l, 0, 1u << 30, &sl, &err), &err);
    strom_buf buf = STROM_BUF_INIT;
    CHECK_OK(strom_log_slice_copy(&sl, &buf, &err), &err);
    strom_log_slice_release(&sl);
    int64_t bad = 0, rowsn = 0;
    int pending_before = -1;
    for (size_t at = 0; at < buf.len;) {
        strom_record r;
        CHECK_OK(strom_record_parse(buf.data + at, buf.len - at, &r, &err), &err);
        CHECK(r.info.attributes & STROM_RECORD_CHANGELOG);
        strom_ipc_msg msg;
        strom_batch *b = NULL;
        CHECK_OK(strom_ipc_read_msg(r.arrow, r.arrow_len, &msg, &err), &err);
        CHECK_OK(strom_ipc_decode_batch(&msg, d->schema, d->schema, NULL, &b, &err), &err);
        for (int64_t i = 0; b && i < b->rows; i++) {
            strom_value v[NCOL];
            for (int c = 0; c < NCOL; c++)
                strom_col_get(&b->cols[c], strom_schema_col_type(d->schema, c), i, &v[c]);
            int key = key_of_row(v);
            mrow *f = &fold[key];
            uint8_t ct = r.changes[i];
            rowsn++;
            if (d->no_update_before && ct == STROM_CHANGE_UPDATE_BEFORE)
                bad++;
            switch (ct) {
            case STROM_CHANGE_INSERT:
                bad += f->present;
                break;
            case STROM_CHANGE_UPDATE_BEFORE:
                bad += !row_matches(f, v);
                pending_before = key;
                continue;
            case STROM_CHANGE_UPDATE_AFTER:
                bad += !f->present || (!d->no_update_before && pending_before != key);
                break;
            case STROM_CHANGE_DELETE:
                bad += !row_matches(f, v);
                f->present = false;
                pending_before = -1;
                continue;
            }
            pending_before = -1;
            memset(f, 0, sizeof *f);
            f->present = true;
            for (int c = V; c < NCOL; c++)
                f->null[c] = v[c].is_null;
            f->v = v[V].u.i;
            f->ver = v[VER].u.i;
            f->x = v[X].u.f;
            if (!v[S].is_null)
                memcpy(f->s, v[S].u.s.ptr, v[S].u.s.len);
        }
        strom_batch_free(b);
        at += r.total_len;
    }
    CHECK_EQ(bad, 0);
    CHECK(rowsn > 0);
    for (int key = 0; key < NKEYS; key++) {
        bool same = fold[key].present == m[key].present;
        if (same && m[key].present) {
            same = !memcmp(fold[key].null, m[key].null, sizeof m[key].null) &&
                   (m[key].null[V] || fold[key].v == m[key].v) &&
                   (m[key].null[VER] || fold[key].ver == m[key].ver) &&
                   (m[key].null[X] || fold[key].x == m[key].x) &&
                   (m[key].null[S] || !strcmp(fold[key].s, m[key].s));
        }
        if (!same)
            bad++;
    }
    CHECK_EQ(bad, 0);
    strom_buf_free(&buf);
}

static char g_dir[512];

static strom_log *open_log(const char *dir)
{
    strom_log_config cfg;
    strom_log_config_default(&cfg);
    cfg.fsync = STROM_LOG_FSYNC_NEVER;
    cfg.writer_gaps = true;
    cfg.segment_bytes = 64 << 10; /* several segments */
    strom_log *l;
    strom_error err;
    char ld[600];
    snprintf(ld, sizeof ld, "%s/log", dir);
    CHECK_OK(strom_log_open(ld, &cfg, &l, &err), &err);
    return l;
}

static uint64_t g_row_cache = 32u << 20;

static strom_kv *open_kv(const char *dir, strom_log *l, const strom_table_desc *d)
{
    strom_kv_config kc;
    strom_kv_config_default(&kc);
    kc.snapshot_bytes = 20 << 10; /* checkpoints along the way */
    kc.row_cache_bytes = g_row_cache;
    char kd[600];
    snprintf(kd, sizeof kd, "%s/kv", dir);
    strom_kv *kv = NULL;
    strom_error err;
    CHECK_OK(strom_kv_open(kd, l, d, NULL, NULL, &kc, &kv, &err), &err);
    return kv;
}

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

static void random_op(const strom_table_desc *d, op *o)
{
    memset(o, 0, sizeof *o);
    o->key = (int)(rnd() % NKEYS);
    o->del = d->merge_engine != STROM_MERGE_FIRST_ROW && rnd() % 5 == 0;
    o->v = (int64_t)(rnd() % 2000) - 1000;
    o->ver = (int64_t)(rnd() % 50);
    o->x = (double)(rnd() % 10000) / 8;
    snprintf(o->s, sizeof o->s, "s%u", rnd() % 1000);
    for (int c = V; c < NCOL; c++)
        o->null[c] = rnd() % 6 == 0;
    if (d->merge_engine == STROM_MERGE_VERSIONED)
        o->null[VER] = false;
}

static void run_engine(strom_merge_engine e, bool no_before)
{
    strom_table_desc d = make_desc(e);
    d.no_update_before = no_before;
    snprintf(g_dir, sizeof g_dir, "%s/kv-%s%s-%d", STROM_TEST_TMP, strom_merge_engine_name(e),
             no_before ? "-nb" : "", (int)getpid());
    strom_rmtree(g_dir, NULL);
    strom_mkdirs(g_dir, NULL);
    strom_log *l = open_log(g_dir);
    strom_kv *kv = open_kv(g_dir, l, &d);
    mrow m[NKEYS];
    memset(m, 0, sizeof m);
    rng_state = 12345 + (uint64_t)e * 7 + no_before;
    strom_buf rec = STROM_BUF_INIT;
    strom_error err;
    bool partial_ok = e == STROM_MERGE_LAST_ROW || e == STROM_MERGE_AGGREGATE;
    bool written[NCOL] = {true, true, true, false, false, false};
    int32_t seq = 0;
    int64_t wid = 77;
    for (int batch = 0; batch < 300; batch++) {
        op ops[40];
        int n = 1 + (int)(rnd() % 40);
        bool partial = partial_ok && rnd() % 4 == 0;
        for (int i = 0; i < n; i++)
            random_op(&d, &ops[i]);
        build_record(&d, ops, n, wid, seq, &rec);
        strom_kv_write_result res;
        int64_t end = strom_log_end_offset(l);
        CHECK_OK(strom_kv_write(kv, &d, rec.data, rec.len, partial ? written : NULL, NULL, NULL, &res, &err),
                 &err);
        CHECK(!res.duplicate);
        for (int i = 0; i < n; i++)
            model_apply(&d, m, &ops[i], partial);
        CHECK_EQ(strom_log_end_offset(l), end + res.changes);
        CHECK_EQ(strom_kv_applied_offset(kv), strom_log_end_offset(l));
        /* the same batch again (a retry): acknowledged, nothing applied */
        if (batch % 17 == 0) {
            int64_t before = strom_log_end_offset(l);
            CHECK_OK(strom_kv_write(kv, &d, rec.data, rec.len, partial ? written : NULL, NULL, NULL, &res,
                                    &err), &err);
            CHECK(res.duplicate);
            CHECK_EQ(strom_log_end_offset(l), before);
        }
        seq++;
        if (batch % 50 == 49)
            check_state(kv, &d, m);
        if (batch == 150) { /* a crash: no checkpoint at close; reopen replays */
            strom_kv_abandon(kv);
            strom_log_close(l);
            l = open_log(g_dir);
            kv = open_kv(g_dir, l, &d);
            check_state(kv, &d, m);
        }
    }
    check_state(kv, &d, m);
    check_changelog(l, &d, m);
    /* a clean close and reopen */
    strom_kv_close(kv);
    strom_log_close(l);
    l = open_log(g_dir);
    kv = open_kv(g_dir, l, &d);
    check_state(kv, &d, m);
    strom_kv_close(kv);
    strom_log_close(l);
    strom_buf_free(&rec);
    strom_table_desc_free(&d);
    strom_rmtree(g_dir, NULL);
}

TEST(last_row_matches_the_model)
{
    run_engine(STROM_MERGE_LAST_ROW, false);
}

TEST(last_row_without_update_before)
{
    run_engine(STROM_MERGE_LAST_ROW, true);
}

TEST(first_row_matches_the_model)
{
    run_engine(STROM_MERGE_FIRST_ROW, false);
}

TEST(versioned_matches_the_model)
{
    run_engine(STROM_MERGE_VERSIONED, false);
}

TEST(aggregate_matches_the_model)
{
    run_engine(STROM_MERGE_AGGREGATE, false);
}

/* A row cache far smaller than the rows: lookups fill it, writes update and drop its rows,
 * CLOCK evicts all the time; what lookups return must not change. And none at all. */
TEST(last_row_with_a_tiny_row_cache_and_none)
{
    g_row_cache = 2048;
    run_engine(STROM_MERGE_LAST_ROW, false);
    g_row_cache = 0;
    run_engine(STROM_MERGE_VERSIONED, false);
    g_row_cache = 32u << 20;
}

/* Batches that must be refused whole: nothing of them in the state or the changelog. */
TEST(bad_batches_change_nothing)
{
    strom_error err;
    for (int e = 0; e <= STROM_MERGE_AGGREGATE; e++) {
        strom_table_desc d = make_desc((strom_merge_engine)e);
        snprintf(g_dir, sizeof g_dir, "%s/kv-bad-%d-%d", STROM_TEST_TMP, e, (int)getpid());
        strom_rmtree(g_dir, NULL);
        strom_mkdirs(g_dir, NULL);
        strom_log *l = open_log(g_dir);
        strom_kv *kv = open_kv(g_dir, l, &d);
        strom_buf rec = STROM_BUF_INIT;
        strom_kv_write_result res;
        op ops[3];
        rng_state = 99;
        for (int i = 0; i < 3; i++) {
            random_op(&d, &ops[i]);
            ops[i].del = false;
            ops[i].key = i;
        }
        build_record(&d, ops, 3, 5, 0, &rec);
        CHECK_OK(strom_kv_write(kv, &d, rec.data, rec.len, NULL, NULL, NULL, &res, &err), &err);
        int64_t end = strom_log_end_offset(l);
        /* a delete on first_row; a partial update on first_row/versioned */
        ops[1].del = true;
        build_record(&d, ops, 3, 5, 1, &rec);
        int rc = strom_kv_write(kv, &d, rec.data, rec.len, NULL, NULL, NULL, &res, &err);
        if (e == STROM_MERGE_FIRST_ROW) {
            CHECK_EQ(rc, STROM_EINVAL);
            CHECK(strstr(err.msg, "row 1") && strstr(err.msg, "delete"));
        } else {
            CHECK_OK(rc, &err);
        }
        end = strom_log_end_offset(l);
        bool written[NCOL] = {true, true, true, false, false, false};
        ops[1].del = false;
        build_record(&d, ops, 3, 5, 2, &rec);
        rc = strom_kv_write(kv, &d, rec.data, rec.len, written, NULL, NULL, &res, &err);
        if (e == STROM_MERGE_FIRST_ROW || e == STROM_MERGE_VERSIONED) {
            CHECK_EQ(rc, STROM_EINVAL);
            CHECK(strstr(err.msg, "partial") != NULL);
        } else {
            CHECK_OK(rc, &err);
        }
        end = strom_log_end_offset(l);
        /* a partial update that leaves out a key column */
        bool nokey[NCOL] = {true, false, true, true, true, true};
        rc = strom_kv_write(kv, &d, rec.data, rec.len, nokey, NULL, NULL, &res, &err);
        CHECK(rc < 0);
        /* a record of another schema id */
        {
            strom_record r;
            CHECK_OK(strom_record_parse(rec.data, rec.len, &r, &err), &err);
            strom_buf other = STROM_BUF_INIT;
            strom_record_info info = r.info;
            info.schema_id = 2;
            info.batch_seq = 3;
            strom_batch_stats st;
            CHECK_OK(strom_record_stats(&r, &st, &err), &err);
            CHECK_OK(strom_record_write(&other, &info, &st, r.changes, r.arrow, r.arrow_len,
                                        &err), &err);
            strom_batch_stats_free(&st);
            CHECK_EQ(strom_kv_write(kv, &d, other.data, other.len, NULL, NULL, NULL, &res, &err),
                     STROM_EINVAL);
            CHECK(strstr(err.msg, "schema 2") != NULL);
            /* a flipped byte: the CRC */
            other.data[other.len - 3] ^= 1;
            CHECK(strom_kv_write(kv, &d, other.data, other.len, NULL, NULL, NULL, &res, &err) < 0);
            strom_buf_free(&other);
        }
        CHECK_EQ(strom_log_end_offset(l), end);
        /* a SUM overflow in the last row refuses the whole batch (aggregate) */
        if (e == STROM_MERGE_AGGREGATE) {
            op big[2];
            memcpy(big, ops, sizeof big);
            big[0].key = big[1].key = 10; /* a fresh key, twice */
            big[0].null[V] = big[1].null[V] = false;
            big[0].v = 5;
            big[1].v = INT64_MAX;
            build_record(&d, big, 2, 5, 4, &rec);
            CHECK_EQ(strom_kv_write(kv, &d, rec.data, rec.len, NULL, NULL, NULL, &res, &err), STROM_ERANGE);
            CHECK(strstr(err.msg, "row 1") && strstr(err.msg, "'v'"));
            CHECK_EQ(strom_log_end_offset(l), end);
            /* key 10 was not written: a lookup finds nothing */
            mrow m[NKEYS];
            memset(m, 0, sizeof m);
            for (int i = 0; i < 3; i++) /* batch 0 */
                model_apply(&d, m, &ops[i], false);
            for (int i = 0; i < 3; i++) { /* batch 1: row 1 a delete */
                op o = ops[i];
                o.del = i == 1;
                model_apply(&d, m, &o, false);
            }
            for (int i = 0; i < 3; i++) /* batch 2: the partial update */
                model_apply(&d, m, &ops[i], true);
            check_state(kv, &d, m);
        }
        strom_kv_close(kv);
        strom_log_close(l);
        strom_buf_free(&rec);
        strom_table_desc_free(&d);
        strom_rmtree(g_dir, NULL);
    }
}

int main(void)
{
    RUN_TEST(key_form_keeps_value_order);
    RUN_TEST(row_form_round_trips_and_rejects_damage);
    RUN_TEST(last_row_matches_the_model);
    RUN_TEST(last_row_without_update_before);
    RUN_TEST(first_row_matches_the_model);
    RUN_TEST(versioned_matches_the_model);
    RUN_TEST(aggregate_matches_the_model);
    RUN_TEST(last_row_with_a_tiny_row_cache_and_none);
    RUN_TEST(bad_batches_change_nothing);
    return TEST_EXIT();
}
