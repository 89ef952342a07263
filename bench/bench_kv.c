/*
 * bench_kv.c: strom-kv-bench, the primary-key benchmark: upserts, single-key lookups and
 * batched lookups on the same keys and values through stromd (libstrom) and Redis (hashes:
 * HSET / HGETALL), one system and one phase per run; bench/kv_bench.sh runs them side by
 * side.
 *
 *   strom-kv-bench strom ADDR upsert --keys N [--batch 1000]
 *   strom-kv-bench strom ADDR lookup --keys N --seconds S           (one key per request)
 *   strom-kv-bench strom ADDR lookup --keys N --seconds S --batch 100
 *   (redis HOST:PORT takes the same phases: HSET pipelined --batch deep; HGETALL one per
 *    round trip, or --batch pipelined)
 *
 * Rows: id BIGINT (the key), a BIGINT, b BIGINT, c DOUBLE, s STRING (16 bytes); in Redis the
 * hash "k:<id>" with the fields a, b, c, s. Each run prints one line of JSON.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "bench_common.h"
#include "strom/client.h"

static const char *g_addr;
static bool g_warmup;
static char g_host[256];
static int g_port;

static void die(const char *what, const strom_error *e)
{
    fprintf(stderr, "strom-kv-bench: %s: %s\n", what, e ? e->msg : "");
    exit(1);
}

static void row_values(int64_t id, int64_t round, int64_t *a, int64_t *b, double *c, char *s)
{
    *a = id + round;
    *b = id * 31;
    *c = (double)id / 8;
    snprintf(s, 17, "v%015lld", (long long)(id ^ round));
}

/* One line of JSON for a lookup phase (sorts lat). */
static void print_lookups(const char *sys, int batch, int64_t n, int64_t looked, int64_t found,
                          double secs, int64_t *lat)
{
    double p50 = per_mille_us(lat, n, 500, 0), p99 = per_mille_us(lat, n, 990, 1),
           p999 = per_mille_us(lat, n, 999, 1);
    printf("{\"system\":\"%s\",\"phase\":\"lookup\",\"batch\":%d,\"requests\":%" PRId64
           ",\"keys_s\":%.0f,\"found\":%" PRId64 ",\"p50_us\":%.1f,\"p99_us\":%.1f,"
           "\"p999_us\":%.1f}\n",
           sys, batch, n, (double)looked / secs, found, p50, p99, p999);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static int64_t next_key(int64_t keys)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (int64_t)(rng % (uint64_t)keys);
}

/* ---- strom ------------------------------------------------------------------------------ */

static void strom_setup(void)
{
    strom_client *c;
    strom_error err;
    if (strom_client_connect(g_addr, NULL, &c, &err) < 0)
        die("connect", &err);
    strom_create_database(c, "bench", true, &err);
    strom_table_desc d;
    strom_table_desc_init(&d);
    snprintf(d.database, sizeof d.database, "bench");
    snprintf(d.table, sizeof d.table, "kv");
    d.schema = strom_schema_new(1);
    strom_schema_add(d.schema, "id", strom_type_of(STROM_TYPE_BIGINT), false, NULL);
    strom_schema_add(d.schema, "a", strom_type_of(STROM_TYPE_BIGINT), true, NULL);
    strom_schema_add(d.schema, "b", strom_type_of(STROM_TYPE_BIGINT), true, NULL);
    strom_schema_add(d.schema, "c", strom_type_of(STROM_TYPE_DOUBLE), true, NULL);
    strom_schema_add(d.schema, "s", strom_type_of(STROM_TYPE_STRING), true, NULL);
    d.buckets = 4;
    d.npk = 1;
    d.pk = malloc(sizeof(int));
    d.pk[0] = 0;
    if (strom_create_table(c, &d, true, &err) < 0)
        die("create table", &err);
    strom_table_desc_free(&d);
    strom_client_close(c);
}

/* Upserts keys 0..keys-1 (round `round`) with batches of about `batch` rows per bucket. */
static void strom_upsert(int64_t keys, int batch, int64_t round)
{
    strom_writer *w;
    strom_error err;
    strom_writer_opts o;
    strom_writer_opts_default(&o);
    o.batch_bytes = (size_t)batch * 52; /* ~52 bytes of Arrow data per row */
    o.linger_ms = 50;
    if (strom_writer_open(g_addr, NULL, "bench", "kv", &o, &w, &err) < 0)
        die("writer", &err);
    int64_t t0 = now_ns(), a, b;
    double c;
    char s[24];
    for (int64_t id = 0; id < keys; id++) {
        row_values(id, round, &a, &b, &c, s);
        if (strom_writer_set_int(w, 0, id, &err) < 0 || strom_writer_set_int(w, 1, a, &err) < 0 ||
            strom_writer_set_int(w, 2, b, &err) < 0 || strom_writer_set_double(w, 3, c, &err) < 0 ||
            strom_writer_set_bytes(w, 4, s, 16, &err) < 0 || strom_writer_end_row(w, &err) < 0)
            die("upsert", &err);
    }
    if (strom_writer_close(w, &err) < 0)
        die("flush", &err);
    double secs = (double)(now_ns() - t0) / 1e9;
    printf("{\"system\":\"strom\",\"phase\":\"upsert\",\"round\":%" PRId64 ",\"keys\":%" PRId64
           ",\"batch\":%d,\"secs\":%.3f,\"upserts_s\":%.0f}\n",
           round, keys, batch, secs, (double)keys / secs);
}

static void strom_lookups(int64_t keys, int batch, double seconds)
{
    strom_lookup *l;
    strom_error err;
    if (strom_lookup_open(g_addr, NULL, "bench", "kv", NULL, &l, &err) < 0)
        die("lookup", &err);
    if (g_warmup) /* every key once, 1 000 per run: the state as a long-running reader sees it */
        for (int64_t first = 0; first < keys; first += 1000) {
            for (int64_t id = first; id < first + 1000 && id < keys; id++)
                if (strom_lookup_set_int(l, 0, id, &err) < 0 || strom_lookup_add(l, &err) < 0)
                    die("key", &err);
            strom_result *r;
            if (strom_lookup_run(l, &r, &err) < 0)
                die("run", &err);
            strom_result_free(r);
        }
    int64_t cap = (int64_t)(seconds * 200000) + 16, n = 0, found = 0, looked = 0;
    int64_t *lat = malloc(sizeof *lat * (size_t)cap);
    int64_t t0 = now_ns(), end = t0 + (int64_t)(seconds * 1e9);
    while (now_ns() < end && n < cap) {
        int64_t s0 = now_ns();
        for (int k = 0; k < batch; k++) {
            if (strom_lookup_set_int(l, 0, next_key(keys), &err) < 0 ||
                strom_lookup_add(l, &err) < 0)
                die("key", &err);
        }
        strom_result *r;
        if (strom_lookup_run(l, &r, &err) < 0)
            die("run", &err);
        lat[n++] = now_ns() - s0;
        found += r ? strom_result_rows(r) : 0;
        looked += batch;
        strom_result_free(r);
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    print_lookups("strom", batch, n, looked, found, secs, lat);
    free(lat);
    strom_lookup_close(l);
}

/* ---- redis ------------------------------------------------------------------------------- */

static void redis_upsert(int64_t keys, int batch, int64_t round)
{
    redisContext *c = bench_redis_connect(g_host, g_port);
    int64_t t0 = now_ns(), a, b;
    double cv;
    char s[24];
    for (int64_t first = 0; first < keys; first += batch) {
        int64_t n = keys - first < batch ? keys - first : batch;
        for (int64_t id = first; id < first + n; id++) {
            row_values(id, round, &a, &b, &cv, s);
            redisAppendCommand(c, "HSET k:%lld a %lld b %lld c %.17g s %b", (long long)id,
                               (long long)a, (long long)b, cv, s, (size_t)16);
        }
        for (int64_t i = 0; i < n; i++) {
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK || r->type == REDIS_REPLY_ERROR) {
                fprintf(stderr, "strom-kv-bench: HSET failed\n");
                exit(1);
            }
            freeReplyObject(r);
        }
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    printf("{\"system\":\"redis\",\"phase\":\"upsert\",\"round\":%" PRId64 ",\"keys\":%" PRId64
           ",\"batch\":%d,\"secs\":%.3f,\"upserts_s\":%.0f}\n",
           round, keys, batch, secs, (double)keys / secs);
    redisFree(c);
}

static void redis_lookup(int64_t keys, int batch, double seconds)
{
    redisContext *c = bench_redis_connect(g_host, g_port);
    for (int64_t first = 0; g_warmup && first < keys; first += 1000) { /* as for strom */
        int64_t m = keys - first < 1000 ? keys - first : 1000;
        for (int64_t id = first; id < first + m; id++)
            redisAppendCommand(c, "HGETALL k:%lld", (long long)id);
        for (int64_t k = 0; k < m; k++) {
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK)
                exit(1);
            freeReplyObject(r);
        }
    }
    int64_t cap = (int64_t)(seconds * 200000) + 16, n = 0, found = 0, looked = 0;
    int64_t *lat = malloc(sizeof *lat * (size_t)cap);
    int64_t t0 = now_ns(), end = t0 + (int64_t)(seconds * 1e9);
    while (now_ns() < end && n < cap) {
        int64_t s0 = now_ns();
        for (int k = 0; k < batch; k++)
            redisAppendCommand(c, "HGETALL k:%lld", (long long)next_key(keys));
        for (int k = 0; k < batch; k++) {
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK) {
                fprintf(stderr, "strom-kv-bench: HGETALL failed\n");
                exit(1);
            }
            found += r->type == REDIS_REPLY_ARRAY && r->elements > 0;
            freeReplyObject(r);
        }
        lat[n++] = now_ns() - s0;
        looked += batch;
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    print_lookups("redis", batch, n, looked, found, secs, lat);
    free(lat);
    redisFree(c);
}

/* ---- main ------------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: strom-kv-bench SYSTEM ADDR PHASE [options]\n"
            "  SYSTEM ADDR: strom HOST:PORT | redis HOST:PORT\n"
            "  PHASE: upsert [--keys N] [--batch ROWS] [--round R]\n"
            "         lookup [--keys N] [--batch KEYS] [--seconds S] [--warmup 1] (first every\n"
            "                key once, 1000 per request, not timed)\n"
            "bench/kv_bench.sh starts both servers and runs every phase.\n");
    exit(2);
}

int main(int argc, char **argv)
{
    prctl(PR_SET_TIMERSLACK, 1UL);
    if (argc < 4)
        usage();
    const char *sys = argv[1], *phase = argv[3];
    int64_t keys = 1000000, round = 0;
    int batch = 0;
    double seconds = 5;
    for (int i = 4; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--keys"))
            keys = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch"))
            batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--round"))
            round = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup"))
            g_warmup = atoi(argv[i + 1]) != 0;
        else
            usage();
    }
    bool is_strom = !strcmp(sys, "strom"), is_redis = !strcmp(sys, "redis");
    if ((!is_strom && !is_redis) || keys < 1 || seconds <= 0 || batch < 0)
        usage();
    g_addr = argv[2];
    const char *colon = strrchr(g_addr, ':');
    if (!colon)
        usage();
    snprintf(g_host, sizeof g_host, "%.*s", (int)(colon - g_addr), g_addr);
    g_port = atoi(colon + 1);
    if (is_strom)
        strom_setup();
    if (!strcmp(phase, "upsert")) {
        batch = batch ? batch : 1000;
        if (is_strom)
            strom_upsert(keys, batch, round);
        else
            redis_upsert(keys, batch, round);
    } else if (!strcmp(phase, "lookup")) {
        batch = batch ? batch : 1;
        if (is_strom)
            strom_lookups(keys, batch, seconds);
        else
            redis_lookup(keys, batch, seconds);
    } else {
        usage();
    }
    return 0;
}
