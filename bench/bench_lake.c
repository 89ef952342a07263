/*
 * bench_lake.c: strom-lake-bench, the lakehouse path on its own: a bucket log of N rows of 20
 * BIGINT columns (the server benchmark's rows: c0 = id, c1 = id * 7919 % 100, c2..c19 =
 * id * k) in records of 8192 rows, then
 *   tier   one tiering run of the whole log into a Paimon table (log read and checked,
 *          batches decoded, Parquet written and fsync'ed, manifests and snapshot committed)
 *   scan   the union read's lake half over that table: every column; 2 of 20 columns; a 1%
 *          filter (c1 = 7) with 2 columns; bytes of column chunks read vs all of them
 * Each prints one JSON line. The same rows through DuckDB (COPY ... TO parquet, and scans
 * of strom's files): bench/lake_bench.mjs; both from bench/lake_bench.sh.
 *
 *   strom-lake-bench DIR [--rows N] [--codec none|snappy|zstd] [--buckets B] [--threads T]
 *                        [--repeat K]
 * (B bucket logs, records dealt round robin; tiering runs T buckets at once.)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client_internal.h"
#include "columnar/batch.h"
#include "columnar/ipc.h"
#include "columnar/predicate.h"
#include "common/fs.h"
#include "lake/tier.h"
#include "log/record.h"

#define NCOLS 20
#define BATCH 8192

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what, const strom_error *err)
{
    fprintf(stderr, "strom-lake-bench: %s: %s\n", what, err->msg);
    exit(1);
}

static const strom_schema *no_older(void *ctx, uint32_t id)
{
    (void)ctx;
    (void)id;
    return NULL;
}

/* One scan of the lake half: rows seen, sum of the first chosen column, bytes read / all. */
static void scan(const strom_table_desc *d, const char *label, const int *cols, int ncols,
                 const char *where, int64_t rows_total)
{
    strom_error err;
    strom_pred *pred = NULL;
    if (where && strom_pred_parse(where, strlen(where), d->schema, &pred, &err) < 0)
        die("predicate", &err);
    strom_schema *os = strom_schema_project(d->schema, cols, ncols);
    int64_t t0 = now_ns(), rows = 0, sum = 0;
    cl_lake *l;
    if (cl_lake_open(d, pred, cols, ncols, os, &l, &err) < 0)
        die("lake open", &err);
    strom_result *r;
    int k;
    while ((k = cl_lake_next(l, NULL, NULL, &r, &err)) == 1) {
        const strom_batch *b = cl_result_batch(r);
        const int64_t *v = (const int64_t *)b->cols[0].values;
        for (int64_t i = 0; i < b->rows; i++)
            sum += v[i];
        rows += b->rows;
        strom_result_free(r);
    }
    if (k < 0)
        die("lake scan", &err);
    double secs = (double)(now_ns() - t0) / 1e9;
    uint64_t rd, all;
    cl_lake_bytes(l, &rd, &all);
    cl_lake_close(l);
    printf("{\"system\":\"strom\",\"op\":\"scan\",\"case\":\"%s\",\"rows\":%" PRId64
           ",\"of\":%" PRId64 ",\"secs\":%.3f,\"rows_s\":%.0f,\"bytes_read\":%" PRIu64
           ",\"bytes_all\":%" PRIu64 ",\"read_pct\":%.1f,\"sum\":%" PRId64 "}\n",
           label, rows, rows_total, secs, (double)rows_total / secs, rd, all,
           all ? 100.0 * (double)rd / (double)all : 0, sum);
    strom_schema_free(os);
    strom_pred_free(pred);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: strom-lake-bench DIR [--rows N] [--codec none|snappy|zstd] "
                        "[--repeat K]\n");
        return 2;
    }
    const char *dir = argv[1], *codec = "zstd";
    int64_t rows = 5000000;
    int repeat = 1, buckets = 1, threads = 1;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rows"))
            rows = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--codec"))
            codec = argv[i + 1];
        else if (!strcmp(argv[i], "--repeat"))
            repeat = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--buckets"))
            buckets = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
    }
    if (buckets < 1 || buckets > 64 || threads < 1) {
        fprintf(stderr, "strom-lake-bench: --buckets 1..64, --threads >= 1\n");
        return 2;
    }
    strom_error err;
    strom_table_desc d;
    strom_table_desc_init(&d);
    snprintf(d.database, sizeof d.database, "bench");
    snprintf(d.table, sizeof d.table, "lake");
    d.table_id = 1;
    d.buckets = (uint32_t)buckets;
    d.schema = strom_schema_new(1);
    for (int c = 0; c < NCOLS; c++) {
        char name[8];
        snprintf(name, sizeof name, "c%d", c);
        strom_schema_add(d.schema, name, strom_type_of(STROM_TYPE_BIGINT), false, NULL);
    }
    char path[4096];
    for (int run = 0; run < repeat; run++) {
        /* the logs: not timed */
        strom_rmtree(dir, NULL);
        strom_log_config lc;
        strom_log_config_default(&lc);
        lc.fsync = STROM_LOG_FSYNC_NEVER;
        strom_log *logs[64];
        for (int b = 0; b < buckets; b++) {
            snprintf(path, sizeof path, "%s/log/%d", dir, b);
            if (strom_mkdirs(path, &err) < 0 || strom_log_open(path, &lc, &logs[b], &err) < 0)
                die("log", &err);
        }
        strom_batch_builder *bb = strom_bb_new(d.schema);
        strom_buf msg = STROM_BUF_INIT, rec = STROM_BUF_INIT;
        for (int64_t first = 0; first < rows; first += BATCH) {
            int64_t n = rows - first < BATCH ? rows - first : BATCH;
            for (int64_t id = first; id < first + n; id++)
                for (int c = 0; c < NCOLS; c++)
                    strom_bb_append_int(bb, c, c == 0 ? id : c == 1 ? id * 7919 % 100 : id * c);
            strom_batch_stats st;
            strom_buf_reset(&msg);
            strom_buf_reset(&rec);
            strom_record_info info = {0, (int32_t)n - 1, 0, strom_now_ms(), 0, 1, -1, -1,
                                      (int32_t)n};
            int64_t base;
            if (strom_bb_seal(bb, NULL, &msg, &st, &err) < 0 ||
                strom_record_write(&rec, &info, &st, NULL, msg.data, msg.len, &err) < 0 ||
                strom_log_append(logs[(first / BATCH) % buckets], rec.data, rec.len, &base,
                                 &err) < 0)
                die("append", &err);
            strom_batch_stats_free(&st);
            strom_bb_reset(bb);
        }
        for (int b = 0; b < buckets; b++)
            strom_log_flush(logs[b], NULL);
        strom_buf_free(&msg);
        strom_buf_free(&rec);
        strom_bb_free(bb);
        /* tier */
        snprintf(d.lake_dir, sizeof d.lake_dir, "%s/lake/bench.db/lake", dir);
        strom_lake *lk;
        if (strom_lake_open(d.lake_dir, true, &lk, &err) < 0)
            die("lake", &err);
        strom_tier_source src[64];
        for (int b = 0; b < buckets; b++)
            src[b] = (strom_tier_source){logs[b], "", (uint32_t)b, 0};
        strom_tier_opts to;
        strom_tier_opts_default(&to);
        to.parquet.codec = !strcmp(codec, "none")     ? STROM_PQ_UNCOMPRESSED
                           : !strcmp(codec, "snappy") ? STROM_PQ_SNAPPY
                                                      : STROM_PQ_ZSTD;
        to.max_file_bytes = UINT64_MAX;
        to.threads = threads;
        strom_tier_result res;
        int64_t t0 = now_ns();
        if (strom_tier_run(lk, &d, no_older, NULL, src, buckets, &to, &res, &err) < 0)
            die("tier", &err);
        double secs = (double)(now_ns() - t0) / 1e9;
        printf("{\"system\":\"strom\",\"op\":\"tier\",\"codec\":\"%s\",\"buckets\":%d,"
               "\"threads\":%d,\"rows\":%" PRId64
               ",\"secs\":%.3f,\"rows_s\":%.0f,\"mb_s\":%.1f,\"log_bytes\":%" PRIu64
               ",\"file_bytes\":%" PRIu64 "}\n",
               codec, buckets, threads, res.rows, secs, (double)res.rows / secs,
               (double)res.rows * NCOLS * 8 / secs / 1e6, res.bytes_read, res.bytes_written);
        strom_lake_close(lk);
        for (int b = 0; b < buckets; b++)
            strom_log_close(logs[b]);
        /* scans of the lake half */
        int all[NCOLS];
        for (int c = 0; c < NCOLS; c++)
            all[c] = c;
        static const int two[2] = {0, 1};
        scan(&d, "all_columns", all, NCOLS, NULL, rows);
        scan(&d, "2_of_20", two, 2, NULL, rows);
        scan(&d, "filter_1pct", two, 2, "c1 = 7", rows);
        fflush(stdout);
    }
    strom_table_desc_free(&d);
    return 0;
}
