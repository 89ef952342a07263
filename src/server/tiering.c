/*
 * tiering.c: the tiering service (tiering.h).
 */
#include "server/tiering.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/fs.h"
#include "server/slog.h"

typedef struct due {
    uint64_t table_id;
    int64_t next_ms;        /* monotonic */
} due;

struct srv_tiering {
    srv_catalog *cat;
    srv_tiering_opts o;
    pthread_t th;
    bool started;
    pthread_mutex_t mu;     /* stop, kicked, dues */
    pthread_cond_t cv;
    bool stop, kicked, reset;
    due *dues;
    int ndues, capdues;
    pthread_mutex_t run_mu; /* one run at a time */
};

static const strom_schema *schema_of(void *ctx, uint32_t id)
{
    return srv_table_schema(ctx, id);
}

/* Records that the lake holds b below `off` from now on, and moves the retention hold to the
 * newest offset held for at least `grace` ms (a union read that took an older snapshot still
 * finds the log after it). */
static void note_tiered(srv_bucket *b, int64_t off, int64_t grace)
{
    int64_t now = strom_mono_ms();
    if (b->tier_n == 0 || b->tier_off[b->tier_n - 1] != off) {
        if (b->tier_n == 4) { /* full: the oldest goes (holds stay conservative) */
            memmove(b->tier_ms, b->tier_ms + 1, 3 * sizeof *b->tier_ms);
            memmove(b->tier_off, b->tier_off + 1, 3 * sizeof *b->tier_off);
            b->tier_n = 3;
        }
        b->tier_ms[b->tier_n] = now;
        b->tier_off[b->tier_n++] = off;
    }
    int64_t hold = __atomic_load_n(&b->tiered, __ATOMIC_ACQUIRE);
    int keep = 0;
    for (int i = 0; i < b->tier_n; i++)
        if (now - b->tier_ms[i] >= grace) {
            if (b->tier_off[i] > hold)
                hold = b->tier_off[i];
            keep = i; /* entries before the newest old-enough one are not needed */
        }
    if (keep > 0) {
        memmove(b->tier_ms, b->tier_ms + keep, (size_t)(b->tier_n - keep) * sizeof *b->tier_ms);
        memmove(b->tier_off, b->tier_off + keep, (size_t)(b->tier_n - keep) * sizeof *b->tier_off);
        b->tier_n -= keep;
    }
    __atomic_store_n(&b->tiered, hold, __ATOMIC_RELEASE);
}

/* The table's buckets (referenced) and a tiering source for each (log, partition, bucket). */
static int bucket_sources(srv_table *table, srv_bucket ***v, int *n, strom_tier_source **src,
                          strom_error *err)
{
    if (srv_table_buckets(table, v, n) < 0 || !(*src = calloc((size_t)*n + 1, sizeof **src)))
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (int i = 0; i < *n; i++)
        (*src)[i] = (strom_tier_source){.log = (*v)[i]->log, .partition = (*v)[i]->partition,
                                        .bucket = (*v)[i]->bucket};
    return 0;
}

static void bucket_sources_free(srv_bucket **v, int n, strom_tier_source *src)
{
    for (int i = 0; i < n; i++)
        srv_bucket_unref(v[i]);
    free(v);
    free(src);
}

/* External tiering: the buckets' holds from the lake's newest snapshot (written by another
 * process), nothing written. */
static int follow_lake(srv_tiering *tg, srv_table *table, strom_error *err)
{
    strom_table_desc d;
    int rc = srv_table_describe(table, &d, err);
    if (rc < 0)
        return rc;
    srv_bucket **v = NULL;
    int n = 0;
    strom_tier_source *src = NULL;
    strom_lake *lk = NULL;
    strom_lake_snapshot snap = {0};
    if (!d.lake_dir[0] || strom_lake_open(d.lake_dir, false, &lk, NULL) != 0)
        goto out; /* nothing tiered yet */
    if ((rc = bucket_sources(table, &v, &n, &src, err)) < 0)
        goto out;
    if ((rc = strom_lake_latest(lk, &snap, err)) == 0 &&
        (rc = strom_tier_offsets(&snap, d.table_id, src, n, err)) == 0) {
        pthread_mutex_lock(&tg->run_mu);
        for (int i = 0; i < n; i++) {
            note_tiered(v[i], src[i].tiered, tg->o.read_grace_ms);
            srv_log(SRV_DEBUG, "lake followed", "table=%s.%s partition=%s bucket=%u "
                    "snapshot=%lld lake_offset=%lld hold=%lld", d.database, d.table,
                    v[i]->partition, v[i]->bucket, (long long)snap.id,
                    (long long)src[i].tiered, (long long)v[i]->tiered);
        }
        pthread_mutex_unlock(&tg->run_mu);
    }
out:
    strom_lake_snapshot_free(&snap);
    strom_lake_close(lk);
    bucket_sources_free(v, n, src);
    strom_table_desc_free(&d);
    return rc;
}

int srv_tiering_run(srv_tiering *tg, srv_table *table, strom_tier_result *res, strom_error *err)
{
    memset(res, 0, sizeof *res);
    if (tg->o.external)
        return strom_error_set(err, STROM_ESTATE, "tiering runs outside the server "
                               "(tier_service = external): run strom tier --local");
    strom_table_desc d;
    int rc = srv_table_describe(table, &d, err);
    if (rc < 0)
        return rc;
    if (!d.lake_dir[0] || !d.tiering) {
        rc = !d.lake_dir[0] ? strom_error_set(err, STROM_ESTATE, "the server has no lake "
                                              "directory")
                            : strom_error_set(err, STROM_ESTATE, "tiering is off for %s.%s "
                                              "(turn it on: strom tiering %s.%s on)", d.database,
                                              d.table, d.database, d.table);
        strom_table_desc_free(&d);
        return rc;
    }
    srv_bucket **v = NULL;
    int n = 0;
    strom_tier_source *src = NULL;
    strom_lake *lk = NULL;
    pthread_mutex_lock(&tg->run_mu);
    int64_t t0 = strom_mono_ms();
    if ((rc = bucket_sources(table, &v, &n, &src, err)) < 0)
        goto out;
    if ((rc = strom_lake_open(d.lake_dir, true, &lk, err)) < 0)
        goto out;
    strom_tier_opts o;
    strom_tier_opts_default(&o);
    o.parquet.codec = tg->o.codec;
    o.commit_user = tg->o.commit_user;
    o.threads = tg->o.threads;
    if ((rc = strom_tier_run(lk, &d, schema_of, table, src, n, &o, res, err)) < 0)
        goto out;
    for (int i = 0; i < n; i++)
        note_tiered(v[i], src[i].tiered, tg->o.read_grace_ms);
    if (res->snapshot_id > 0)
        srv_log(SRV_INFO, "tiered", "table=%s.%s snapshot=%lld rows=%lld files=%lld "
                "bytes_read=%llu bytes_written=%llu ms=%lld", d.database, d.table,
                (long long)res->snapshot_id, (long long)res->rows, (long long)res->files,
                (unsigned long long)res->bytes_read, (unsigned long long)res->bytes_written,
                (long long)(strom_mono_ms() - t0));
out:
    pthread_mutex_unlock(&tg->run_mu);
    strom_lake_close(lk);
    bucket_sources_free(v, n, src);
    strom_table_desc_free(&d);
    return rc;
}

static due *due_for(srv_tiering *tg, uint64_t id)
{
    for (int i = 0; i < tg->ndues; i++)
        if (tg->dues[i].table_id == id)
            return &tg->dues[i];
    if (strom_array_grow(&tg->dues, tg->ndues + 1, &tg->capdues, sizeof *tg->dues, 8) != 0)
        return NULL;
    tg->dues[tg->ndues] = (due){ id, 0 };
    return &tg->dues[tg->ndues++];
}

static void *tier_main(void *arg)
{
    srv_tiering *tg = arg;
    for (;;) {
        pthread_mutex_lock(&tg->mu);
        bool stop = tg->stop;
        tg->kicked = false;
        for (int i = 0; tg->reset && i < tg->ndues; i++)
            tg->dues[i].next_ms = 0;
        tg->reset = false;
        pthread_mutex_unlock(&tg->mu);
        if (stop)
            break;
        int64_t now = strom_mono_ms(), next = now + 1000;
        srv_table **tables = NULL;
        int n = 0;
        srv_catalog_tables(tg->cat, &tables, &n);
        for (int i = 0; i < n; i++) {
            strom_table_desc d;
            srv_table_kv_desc(tables[i], &d); /* a shallow view: tiering fields only */
            if (d.tiering) {
                int64_t fresh = d.tier_freshness_ms > 0 ? d.tier_freshness_ms
                                                         : tg->o.default_freshness_ms;
                int64_t every = fresh / 2 > 50 ? fresh / 2 : 50;
                due *u = due_for(tg, d.table_id);
                if (u && now >= u->next_ms) {
                    strom_tier_result res;
                    strom_error err;
                    strom_error_clear(&err);
                    if ((tg->o.external ? follow_lake(tg, tables[i], &err)
                                        : srv_tiering_run(tg, tables[i], &res, &err)) < 0)
                        srv_log(SRV_WARN, "tiering failed", "table=%s.%s error=%s msg=\"%s\"",
                                d.database, d.table, strom_error_name(err.code), err.msg);
                    now = strom_mono_ms();
                    u->next_ms = now + every;
                }
                if (u && u->next_ms < next)
                    next = u->next_ms;
            }
            srv_table_unref(tables[i]);
        }
        free(tables);
        pthread_mutex_lock(&tg->mu);
        if (!tg->stop && !tg->kicked) {
            int64_t wait = next - strom_mono_ms();
            if (wait > 0) {
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                ts.tv_sec += wait / 1000;
                ts.tv_nsec += (wait % 1000) * 1000000;
                if (ts.tv_nsec >= 1000000000) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000;
                }
                pthread_cond_timedwait(&tg->cv, &tg->mu, &ts);
            }
        }
        pthread_mutex_unlock(&tg->mu);
    }
    return NULL;
}

int srv_tiering_start(srv_catalog *c, const srv_tiering_opts *o, srv_tiering **out,
                      strom_error *err)
{
    srv_tiering *tg = calloc(1, sizeof *tg);
    if (!tg)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    tg->cat = c;
    tg->o = *o;
    pthread_mutex_init(&tg->mu, NULL);
    pthread_mutex_init(&tg->run_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&tg->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&tg->th, NULL, tier_main, tg) != 0) {
        srv_tiering_stop(tg);
        return strom_error_set(err, STROM_ENOMEM, "cannot start the tiering thread");
    }
    tg->started = true;
    *out = tg;
    return 0;
}

void srv_tiering_kick(srv_tiering *tg)
{
    if (!tg)
        return;
    pthread_mutex_lock(&tg->mu);
    tg->kicked = tg->reset = true;
    pthread_cond_signal(&tg->cv);
    pthread_mutex_unlock(&tg->mu);
}

void srv_tiering_stop(srv_tiering *tg)
{
    if (!tg)
        return;
    pthread_mutex_lock(&tg->mu);
    tg->stop = true;
    pthread_cond_signal(&tg->cv);
    pthread_mutex_unlock(&tg->mu);
    if (tg->started)
        pthread_join(tg->th, NULL);
    pthread_mutex_destroy(&tg->mu);
    pthread_mutex_destroy(&tg->run_mu);
    pthread_cond_destroy(&tg->cv);
    free(tg->dues);
    free(tg);
}
