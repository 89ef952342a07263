/*
 * bench_log.c: the bucket log beside the disk, in one run (docs/benchmarks.md).
 *
 *   fio        sequential writes with an fdatasync after each write (bs 1 MiB and 64 KiB) in the
 *              same directory: the disk's durable write bandwidth
 *   append     strom_log_append with FSYNC_ALWAYS: 1 MiB records from 1 appender, 64 KiB
 *              records from 1 and from 8 appenders (group commit); FSYNC_NEVER for reference
 *   read       the whole log through strom_log_read + pread from the page cache, beside
 *              `dd bs=1M` of the same segment files
 *   recovery   strom_log_open of a log whose active segment is --active-mib large, and of a
 *              log of many segments (--total-mib) with a small active one
 *   small      latency of small durable appends (2 KiB records, 4000 a second, one appender)
 *              with and without the runway of zeros (preallocate_bytes), alternately, three
 *              times each: p50/p99/p99.9 of strom_log_append (write + fdatasync)
 *
 * Usage: strom_log_bench --dir DIR [--mib N] [--active-mib N] [--total-mib N] [--small-only]
 * DIR must be on the disk to measure; it is emptied first and at the end.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "columnar/batch.h"
#include "log/log.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const strom_error *err)
{
    fprintf(stderr, "strom_log_bench: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

__attribute__((format(printf, 1, 2))) static void run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fprintf(stderr, "strom_log_bench: command failed: %s\n", cmd);
}

/* One record of about `bytes` bytes: a table of BIGINT/DOUBLE columns, encoded once. */
static void make_record(strom_buf *rec, size_t bytes)
{
    strom_schema *s = strom_schema_new(1);
    strom_schema_add(s, "id", (strom_type){STROM_TYPE_BIGINT, 0, 0}, false, NULL);
    strom_schema_add(s, "px", (strom_type){STROM_TYPE_DOUBLE, 0, 0}, false, NULL);
    int64_t rows = (int64_t)(bytes / 16);
    int64_t *ids = malloc(8 * (size_t)rows);
    double *px = malloc(8 * (size_t)rows);
    for (int64_t i = 0; i < rows; i++) {
        ids[i] = i;
        px[i] = (double)(i % 1000) / 7.0;
    }
    strom_col_view v[2] = {{rows, 0, NULL, (const uint8_t *)ids, NULL, 8 * rows},
                           {rows, 0, NULL, (const uint8_t *)px, NULL, 8 * rows}};
    strom_buf msg = STROM_BUF_INIT;
    strom_batch_stats st;
    strom_error err;
    if (strom_batch_encode(s, v, rows, NULL, &msg, &st, &err) != 0)
        die("encode", &err);
    strom_record_info info = {0, (int32_t)rows - 1, 0, 1700000000000, 0, 1, -1, -1,
                              (int32_t)rows};
    strom_buf_reset(rec);
    if (strom_record_write(rec, &info, &st, NULL, msg.data, msg.len, &err) != 0)
        die("record", &err);
    strom_batch_stats_free(&st);
    strom_buf_free(&msg);
    free(ids);
    free(px);
    strom_schema_free(s);
}

/* fio's write bandwidth in MB/s (1e6 B/s), 0 when fio is missing or fails. */
static double fio_mbps(const char *dir, const char *bs, int mib)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "fio --name=seqw --directory=%s --rw=write --bs=%s --size=%dM "
             "--fdatasync=1 --ioengine=psync --output-format=json 2>/dev/null", dir, bs, mib);
    FILE *f = popen(cmd, "r");
    if (!f)
        return 0;
    json_error_t je;
    json_t *j = json_loadf(f, 0, &je);
    pclose(f);
    run("rm -f %s/seqw*%s", dir, "");
    double bw = 0;
    json_t *jobs = j ? json_object_get(j, "jobs") : NULL;
    if (json_is_array(jobs) && json_array_size(jobs) > 0)
        bw = (double)json_integer_value(json_object_get(
                 json_object_get(json_array_get(jobs, 0), "write"), "bw_bytes")) / 1e6;
    json_decref(j);
    return bw;
}

typedef struct appender {
    strom_log *log;
    const strom_buf *rec;
    int n;
} appender;

static void *append_main(void *p)
{
    appender *a = p;
    uint8_t *copy = malloc(a->rec->len);
    strom_error err;
    for (int i = 0; i < a->n; i++) {
        int64_t base;
        memcpy(copy, a->rec->data, a->rec->len);
        if (strom_log_append(a->log, copy, a->rec->len, &base, &err) != 0)
            die("append", &err);
    }
    free(copy);
    return NULL;
}

/* MB/s of appending `mib` MiB of `rec_bytes` records from `threads` appenders. */
static double append_mbps(const char *dir, size_t rec_bytes, int threads, int mib,
                          strom_log_fsync fs)
{
    run("rm -rf %s/log; mkdir -p %s/log", dir, dir);
    char path[1024];
    snprintf(path, sizeof path, "%s/log", dir);
    strom_log_config cfg;
    strom_log_config_default(&cfg);
    cfg.fsync = fs;
    cfg.segment_bytes = UINT64_C(256) << 20;
    strom_log *l;
    strom_error err;
    if (strom_log_open(path, &cfg, &l, &err) != 0)
        die("open", &err);
    strom_buf rec = STROM_BUF_INIT;
    make_record(&rec, rec_bytes);
    int total = (int)(((size_t)mib << 20) / rec.len);
    appender a[8];
    pthread_t th[8];
    double t0 = now_s();
    for (int t = 0; t < threads; t++) {
        a[t] = (appender){l, &rec, total / threads};
        pthread_create(&th[t], NULL, append_main, &a[t]);
    }
    for (int t = 0; t < threads; t++)
        pthread_join(th[t], NULL);
    double dt = now_s() - t0;
    double mb = (double)rec.len * (double)(total / threads * threads) / 1e6;
    strom_log_close(l);
    strom_buf_free(&rec);
    return mb / dt;
}

/* GB/s of reading the whole log at dir/log through slices, from the page cache. */
static double read_gbps(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/log", dir);
    strom_log_config cfg;
    strom_log_config_default(&cfg);
    cfg.fsync = STROM_LOG_FSYNC_NEVER;
    strom_log *l;
    strom_error err;
    if (strom_log_open(path, &cfg, &l, &err) != 0)
        die("open", &err);
    strom_buf buf = STROM_BUF_INIT;
    double best = 0;
    for (int rep = 0; rep < 3; rep++) { /* the first pass also verifies older segments */
        int64_t off = strom_log_start_offset(l);
        uint64_t bytes = 0;
        double t0 = now_s();
        while (off < strom_log_high_watermark(l)) {
            strom_log_slice sl;
            if (strom_log_read(l, off, 8u << 20, &sl, &err) != 0)
                die("read", &err);
            strom_buf_reset(&buf);
            if (strom_log_slice_copy(&sl, &buf, &err) != 0)
                die("copy", &err);
            bytes += buf.len;
            off = sl.next_offset;
            strom_log_slice_release(&sl);
        }
        double gbps = (double)bytes / (now_s() - t0) / 1e9;
        best = gbps > best ? gbps : best;
    }
    strom_buf_free(&buf);
    strom_log_close(l);
    return best;
}

static double dd_gbps(const char *dir, int mib)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "for f in %s/log/*.log; do dd if=$f of=/dev/null bs=1M "
             "status=none; done", dir);
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_s();
        if (system(cmd) != 0)
            return 0;
        double gbps = (double)mib * 1048576.0 / (now_s() - t0) / 1e9;
        best = gbps > best ? gbps : best;
    }
    return best;
}

/* Seconds to open (recover) the log at path. */
static double open_seconds(const char *path, bool drop_caches)
{
    if (drop_caches) {
        sync();
        FILE *f = fopen("/proc/sys/vm/drop_caches", "w");
        if (f) {
            fputs("3\n", f);
            fclose(f);
        }
    }
    strom_log_config cfg;
    strom_log_config_default(&cfg);
    cfg.segment_bytes = UINT64_C(64) << 30;
    strom_log *l;
    strom_error err;
    double t0 = now_s();
    if (strom_log_open(path, &cfg, &l, &err) != 0)
        die("open", &err);
    double dt = now_s() - t0;
    strom_log_close(l);
    return dt;
}

/* Writes `mib` MiB of 1 MiB records into dir/name with the given segment size. */
static void fill(const char *dir, const char *name, int mib, uint64_t seg_bytes)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    run("rm -rf %s/%s", dir, name);
    strom_log_config cfg;
    strom_log_config_default(&cfg);
    cfg.fsync = STROM_LOG_FSYNC_NEVER;
    cfg.segment_bytes = seg_bytes;
    strom_log *l;
    strom_error err;
    if (strom_log_open(path, &cfg, &l, &err) != 0)
        die("open", &err);
    strom_buf rec = STROM_BUF_INIT;
    make_record(&rec, 1 << 20);
    for (int i = 0; i < mib; i++) {
        int64_t base;
        if (strom_log_append(l, rec.data, rec.len, &base, &err) != 0)
            die("append", &err);
    }
    strom_log_close(l);
    strom_buf_free(&rec);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* p50, p99, p99.9 (µs) of 20000 appends of 2 KiB records at 4000/s, runway on or off. */
static void small_appends(const char *dir, bool runway, double q[3])
{
    enum { N = 20000 };
    static double lat[N];
    char p[1024];
    snprintf(p, sizeof p, "%s/small", dir);
    run("rm -rf %s", p);
    strom_log_config cfg;
    strom_log_config_default(&cfg);
    cfg.fsync = STROM_LOG_FSYNC_ALWAYS;
    cfg.preallocate_bytes = runway ? UINT64_C(1) << 20 : 0;
    strom_log *l;
    strom_error err;
    if (strom_log_open(p, &cfg, &l, &err) != 0)
        die("open", &err);
    strom_buf rec = STROM_BUF_INIT;
    make_record(&rec, 2048);
    double t0 = now_s() + 0.2; /* the runway's first step is written meanwhile */
    for (int i = 0; i < N; i++) {
        double at = t0 + i * 250e-6;
        struct timespec ts = {(time_t)at, (long)((at - (double)(time_t)at) * 1e9)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        double t = now_s();
        int64_t base;
        if (strom_log_append(l, rec.data, rec.len, &base, &err) != 0)
            die("append", &err);
        lat[i] = (now_s() - t) * 1e6;
    }
    strom_log_close(l);
    strom_buf_free(&rec);
    run("rm -rf %s", p);
    qsort(lat, N, sizeof *lat, cmp_d);
    q[0] = lat[N / 2];
    q[1] = lat[N * 99 / 100];
    q[2] = lat[N * 999 / 1000];
}

static void small_table(const char *dir)
{
    double on[3][3], off[3][3];
    for (int r = 0; r < 3; r++) {
        small_appends(dir, false, off[r]);
        small_appends(dir, true, on[r]);
    }
    printf("\n| small durable appends (2 KiB, 4000/s), µs | p50 | p99 | p99.9 |\n"
           "|---|---:|---:|---:|\n");
    for (int k = 0; k < 2; k++) {
        double med[3];
        for (int j = 0; j < 3; j++) {
            double v[3] = {k ? on[0][j] : off[0][j], k ? on[1][j] : off[1][j],
                           k ? on[2][j] : off[2][j]};
            qsort(v, 3, sizeof *v, cmp_d);
            med[j] = v[1];
        }
        printf("| %s (median of 3 runs) | %.0f | %.0f | %.0f |\n",
               k ? "runway of zeros ahead (preallocate 1 MiB)" : "plain appends (preallocate 0)",
               med[0], med[1], med[2]);
    }
    printf("\nper run, off/on p99: ");
    for (int r = 0; r < 3; r++)
        printf("%.0f/%.0f ", off[r][1], on[r][1]);
    printf("\n");
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int mib = 256, active_mib = 1024, total_mib = 4096;
    bool small_only = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--small-only"))
            small_only = true;
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--mib") && i + 1 < argc)
            mib = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--active-mib") && i + 1 < argc)
            active_mib = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--total-mib") && i + 1 < argc)
            total_mib = atoi(argv[++i]);
        else
            dir = NULL, i = argc;
    }
    if (!dir || mib < 16 || active_mib < 16 || total_mib < 128) {
        fprintf(stderr, "usage: strom_log_bench --dir DIR [--mib N (>=16, default 256)] "
                        "[--active-mib N (default 1024)] [--total-mib N (default 4096)] "
                        "[--small-only]\n"
                        "  Measures the bucket log beside fio and dd on the disk of DIR.\n");
        return 2;
    }
    run("mkdir -p %s%s", dir, "");
    if (small_only) {
        small_table(dir);
        return 0;
    }
    printf("## strom_log_bench: %d MiB per write test, in %s\n\n", mib, dir);
    double fio1m = fio_mbps(dir, "1M", mib), fio64k = fio_mbps(dir, "64k", mib / 4);
    printf("| workload | MB/s | vs fio 1 MiB + fdatasync |\n|---|---:|---:|\n");
    printf("| fio, 1 MiB writes, fdatasync each | %.0f | 1.00 |\n", fio1m);
    printf("| fio, 64 KiB writes, fdatasync each | %.0f | %.2f |\n", fio64k, fio64k / fio1m);
    struct {
        const char *name;
        size_t bytes;
        int threads, mib;
        strom_log_fsync fs;
    } w[] = {{"strom, 1 MiB records, 1 appender, fsync before ack", 1 << 20, 1, mib, 0},
             {"strom, 64 KiB records, 1 appender, fsync before ack", 64 << 10, 1, mib / 4, 0},
             {"strom, 64 KiB records, 8 appenders, fsync before ack (group commit)", 64 << 10,
              8, mib, 0},
             {"strom, 1 MiB records, 1 appender, no fsync", 1 << 20, 1, mib, 2}};
    for (size_t k = 0; k < sizeof w / sizeof w[0]; k++) {
        double mbps = append_mbps(dir, w[k].bytes, w[k].threads, w[k].mib, w[k].fs);
        printf("| %s | %.0f | %.2f |\n", w[k].name, mbps, fio1m > 0 ? mbps / fio1m : 0);
    }
    /* the last run left `mib` MiB of 1 MiB records in dir/log */
    double rg = read_gbps(dir), dg = dd_gbps(dir, mib);
    printf("\n| read from the page cache | GB/s |\n|---|---:|\n");
    printf("| strom_log_read + pread of every record | %.2f |\n| dd bs=1M of the segment files "
           "| %.2f |\n", rg, dg);

    fill(dir, "active", active_mib, UINT64_C(64) << 30);
    fill(dir, "many", total_mib, UINT64_C(256) << 20);
    char p1[1024], p2[1024], p3[1024];
    snprintf(p1, sizeof p1, "%s/active", dir);
    snprintf(p2, sizeof p2, "%s/many", dir);
    snprintf(p3, sizeof p3, "%s/lastonly", dir);
    /* the many-segment log's last segment, alone, in a log of its own */
    run("rm -rf %s; mkdir -p %s", p3, p3);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "f=$(ls %s/*.log | tail -1); cp $f %s/", p2, p3);
    if (system(cmd) != 0)
        fprintf(stderr, "copy failed\n");
    printf("\n| recovery (strom_log_open) | page cache warm | caches dropped |\n|---|---:|---:|\n");
    printf("| active segment of %d MiB | %.3f s | %.3f s |\n", active_mib, open_seconds(p1, false),
           open_seconds(p1, true));
    printf("| %d MiB in 256 MiB segments | %.3f s | %.3f s |\n", total_mib,
           open_seconds(p2, false), open_seconds(p2, true));
    printf("| its last segment alone | %.3f s | %.3f s |\n", open_seconds(p3, false),
           open_seconds(p3, true));
    run("rm -rf %s/log %s/active", dir, dir);
    run("rm -rf %s/many %s/lastonly", dir, dir);
    small_table(dir);
    return 0;
}
