/*
 * bench_codec.c: throughput of the columnar codec beside memcpy of the same bytes, measured in
 * one process, one run, so the ratios hold on a noisy shared machine.
 *
 * Workloads (20-column tables, generated deterministically from a seed):
 *   fixed  20 fixed-width columns (BIGINT, DOUBLE, INT, TIMESTAMP_LTZ, DATE, SMALLINT), no nulls
 *   mixed  14 fixed-width columns + 4 STRING + DECIMAL(18,4) + BOOLEAN, 5% nulls
 *
 * Each measurement is repeated and the median is reported:
 *   memcpy     copy of the table's column bytes into a warm buffer (the yardstick)
 *   encode     strom_bb_append_column of every column + strom_bb_seal (none / lz4 / zstd)
 *   decode     strom_ipc_read_msg + strom_ipc_decode_batch (zero-copy views when uncompressed,
 *              with every validation) + free
 *   project    2 of 20 columns of a 64 KiB and a 64 MiB batch: metadata only
 *   filter     strom_pred_eval_rows at 1% selectivity on a BIGINT column (GB/s of that
 *              column), and eval + strom_batch_select of all 20 columns (GB/s of the batch)
 *   cli        lz4 -b / zstd -b on the same bytes, beside strom's per-buffer compression
 *
 * Usage: strom_bench [--rows N] [--reps N] [--no-cli]; prints Markdown tables.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "columnar/batch.h"
#include "columnar/compress.h"
#include "columnar/ipc.h"
#include "columnar/predicate.h"
#include "common/buf.h"

#define NCOLS 20
#define MAX_REPS 101

typedef struct table {
    strom_schema *schema;
    int64_t rows;
    strom_col_view cols[NCOLS];
    void *mem[NCOLS * 3];
    int nmem;
    size_t bytes; /* sum of the column buffers (validity + values + offsets) */
} table;

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* splitmix64: fast, deterministic, good enough for benchmark data */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void *xalloc(table *t, size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? n : 64) != 0) {
        fprintf(stderr, "strom_bench: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    memset(p, 0, n);
    t->mem[t->nmem++] = p;
    t->bytes += n;
    return p;
}

static void die(const char *what, const strom_error *err)
{
    fprintf(stderr, "strom_bench: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

static const strom_type_id fixed_types[NCOLS] = {
    STROM_TYPE_BIGINT, STROM_TYPE_BIGINT, STROM_TYPE_BIGINT, STROM_TYPE_BIGINT,
    STROM_TYPE_BIGINT, STROM_TYPE_BIGINT, STROM_TYPE_DOUBLE, STROM_TYPE_DOUBLE,
    STROM_TYPE_DOUBLE, STROM_TYPE_DOUBLE, STROM_TYPE_INT, STROM_TYPE_INT,
    STROM_TYPE_INT, STROM_TYPE_INT, STROM_TYPE_TIMESTAMP_LTZ, STROM_TYPE_TIMESTAMP_LTZ,
    STROM_TYPE_DATE, STROM_TYPE_DATE, STROM_TYPE_SMALLINT, STROM_TYPE_SMALLINT,
};

static const strom_type_id mixed_types[NCOLS] = {
    STROM_TYPE_BIGINT, STROM_TYPE_BIGINT, STROM_TYPE_BIGINT, STROM_TYPE_BIGINT,
    STROM_TYPE_DOUBLE, STROM_TYPE_DOUBLE, STROM_TYPE_DOUBLE, STROM_TYPE_INT,
    STROM_TYPE_INT, STROM_TYPE_INT, STROM_TYPE_TIMESTAMP_LTZ, STROM_TYPE_DATE,
    STROM_TYPE_SMALLINT, STROM_TYPE_TINYINT, STROM_TYPE_STRING, STROM_TYPE_STRING,
    STROM_TYPE_STRING, STROM_TYPE_STRING, STROM_TYPE_DECIMAL, STROM_TYPE_BOOLEAN,
};

/* Values with some structure (ids, prices, timestamps), so compression has work to do. */
static void fill_fixed(table *t, int c, strom_type_id id)
{
    int64_t n = t->rows;
    int w = strom_type_width(id);
    uint8_t *v = xalloc(t, (size_t)(w * n));
    for (int64_t r = 0; r < n; r++) {
        uint64_t x = rng();
        switch (id) {
        case STROM_TYPE_BIGINT:
            /* column 0 uniform (the filter column), the others id-like */
            ((int64_t *)v)[r] = c == 0 ? (int64_t)(x % 1000000) : r * 7 + (int64_t)(x % 5);
            break;
        case STROM_TYPE_TIMESTAMP_LTZ:
            ((int64_t *)v)[r] = INT64_C(1795000000000000) + r * 1000 + (int64_t)(x % 1000);
            break;
        case STROM_TYPE_DOUBLE: ((double *)v)[r] = 100.0 + (double)(x % 100000) / 100.0; break;
        case STROM_TYPE_INT: ((int32_t *)v)[r] = (int32_t)(x % 5000); break;
        case STROM_TYPE_DATE: ((int32_t *)v)[r] = 20000 + (int32_t)(r / 100000); break;
        case STROM_TYPE_SMALLINT: ((int16_t *)v)[r] = (int16_t)(x % 300); break;
        case STROM_TYPE_TINYINT: ((int8_t *)v)[r] = (int8_t)(x % 100); break;
        case STROM_TYPE_DECIMAL: {
            strom_i128 d = (strom_i128)(x % 100000000);
            memcpy(v + 16 * r, &d, 16);
            break;
        }
        default: break;
        }
    }
    t->cols[c].values = v;
    t->cols[c].values_len = w * n;
}

static void fill_string(table *t, int c)
{
    static const char *syms[] = {"AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META", "TSLA", "IBM"};
    int64_t n = t->rows;
    int32_t *off = xalloc(t, (size_t)(4 * (n + 1)));
    uint8_t *data = xalloc(t, (size_t)(24 * n));
    int32_t pos = 0;
    for (int64_t r = 0; r < n; r++) {
        off[r] = pos;
        if (c % 2) {
            const char *s = syms[rng() % 8];
            memcpy(data + pos, s, strlen(s));
            pos += (int32_t)strlen(s);
        } else {
            pos += sprintf((char *)data + pos, "order-%" PRId64, r);
        }
    }
    off[n] = pos;
    t->cols[c].offsets = off;
    t->cols[c].values = data;
    t->cols[c].values_len = pos;
}

static void add_nulls(table *t, int c, int percent)
{
    int64_t n = t->rows, nulls = 0;
    uint8_t *bm = xalloc(t, (size_t)((n + 7) / 8));
    for (int64_t r = 0; r < n; r++) {
        if ((int)(rng() % 100) >= percent)
            bm[r >> 3] |= (uint8_t)(1u << (r & 7));
        else
            nulls++;
    }
    t->cols[c].validity = nulls ? bm : NULL;
    t->cols[c].null_count = nulls;
}

static void make_table(table *t, const strom_type_id *types, int64_t rows, int null_pct)
{
    memset(t, 0, sizeof *t);
    t->rows = rows;
    t->schema = strom_schema_new(1);
    rng_state = 42;
    for (int c = 0; c < NCOLS; c++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", c);
        strom_type ty = {types[c], 0, 0};
        if (types[c] == STROM_TYPE_DECIMAL) {
            ty.precision = 18;
            ty.scale = 4;
        }
        if (strom_schema_add(t->schema, name, ty, true, NULL) != 0)
            die("schema", NULL);
        t->cols[c].length = rows;
        if (types[c] == STROM_TYPE_STRING) {
            fill_string(t, c);
        } else if (types[c] == STROM_TYPE_BOOLEAN) {
            uint8_t *v = xalloc(t, (size_t)((rows + 7) / 8));
            for (int64_t i = 0; i < (rows + 7) / 8; i++)
                v[i] = (uint8_t)rng();
            t->cols[c].values = v;
            t->cols[c].values_len = (rows + 7) / 8;
        } else {
            fill_fixed(t, c, types[c]);
        }
        if (null_pct && c != 0)
            add_nulls(t, c, null_pct);
    }
}

static void free_table(table *t)
{
    for (int i = 0; i < t->nmem; i++)
        free(t->mem[i]);
    strom_schema_free(t->schema);
}

/* ---- measurements ---------------------------------------------------------------------- */

typedef struct result {
    const char *name;
    double ns;      /* median per operation */
    double bytes;   /* input bytes per operation */
    double rows;
    double ratio;   /* median over the runs of (throughput / memcpy throughput), paired */
} result;

static volatile uint64_t sink;

/* Result names live for the whole run. */
static const char *keep_name(const char *name)
{
    static char names[64][96];
    static int n;
    char *slot = names[n++ % 64];
    snprintf(slot, sizeof names[0], "%s", name);
    return slot;
}

/* via_builder: strom_bb_append_column of each column + strom_bb_seal; otherwise
 * strom_batch_encode (one pass). Both compute the statistics and the buffer CRCs. */
static void encode(strom_batch_builder *bb, const table *t, strom_codec codec, strom_buf *out,
                   bool via_builder)
{
    strom_error err;
    strom_seal_opts opts = {codec, 0};
    strom_batch_stats st;
    strom_buf_reset(out);
    if (!via_builder) {
        if (strom_batch_encode(t->schema, t->cols, t->rows, &opts, out, &st, &err) != 0)
            die("encode", &err);
        strom_batch_stats_free(&st);
        return;
    }
    strom_bb_reset(bb);
    for (int c = 0; c < NCOLS; c++)
        if (strom_bb_append_column(bb, c, &t->cols[c], 0, t->rows) != 0)
            die("append_column", NULL);
    if (strom_bb_seal(bb, &opts, out, &st, &err) != 0)
        die("seal", &err);
    strom_batch_stats_free(&st);
}

static strom_batch *decode(const strom_buf *msg, const strom_schema *s, strom_codec_ctx *cc)
{
    strom_error err;
    strom_ipc_msg m;
    strom_batch *b = NULL;
    if (strom_ipc_read_msg(msg->data, msg->len, &m, &err) != 0)
        die("read_msg", &err);
    if (strom_ipc_decode_batch(&m, s, s, cc, &b, &err) != 0)
        die("decode_batch", &err);
    return b;
}

/* One memcpy of the table's column buffers into a warm buffer; returns nanoseconds. Every
 * operation below is timed right after one of these, and its ratio to memcpy is taken per
 * pair, so a noisy neighbour slows both sides of a ratio alike. */
static double memcpy_once(const table *t)
{
    static uint8_t *dst;
    static size_t cap;
    if (cap < t->bytes) {
        free(dst);
        cap = t->bytes;
        if (!(dst = malloc(cap)))
            die("memcpy buffer", NULL);
        memset(dst, 1, cap);
    }
    double t0 = now_ns();
    size_t pos = 0;
    for (int c = 0; c < NCOLS; c++) {
        const strom_col_view *v = &t->cols[c];
        memcpy(dst + pos, v->values, (size_t)v->values_len);
        pos += (size_t)v->values_len;
        if (v->offsets) {
            memcpy(dst + pos, v->offsets, (size_t)(4 * (v->length + 1)));
            pos += (size_t)(4 * (v->length + 1));
        }
        if (v->validity) {
            memcpy(dst + pos, v->validity, (size_t)((v->length + 7) / 8));
            pos += (size_t)((v->length + 7) / 8);
        }
    }
    double ns = now_ns() - t0;
    sink += dst[pos / 2];
    return ns;
}

/* Throughput of an operation on `bytes` relative to memcpy of the table, for one pair. */
static double pair_ratio(const table *t, double mc_ns, double op_ns, double bytes)
{
    return (bytes / op_ns) / ((double)t->bytes / mc_ns);
}

static result bench_memcpy(const table *t, int reps)
{
    double ns[MAX_REPS];
    memcpy_once(t);
    for (int i = 0; i < reps; i++)
        ns[i] = memcpy_once(t);
    return (result){"memcpy of the column bytes", median(ns, reps), (double)t->bytes,
                    (double)t->rows, 1.0};
}

static result bench_encode(const table *t, strom_codec codec, int reps, strom_buf *keep,
                           bool via_builder)
{
    char name[96];
    double ns[MAX_REPS];
    strom_batch_builder *bb = strom_bb_new(t->schema);
    strom_buf out;
    strom_buf_init(&out);
    double ratio[MAX_REPS];
    encode(bb, t, codec, &out, via_builder); /* warm-up: allocations reach their size */
    for (int i = 0; i < reps; i++) {
        double mc = memcpy_once(t);
        double t0 = now_ns();
        encode(bb, t, codec, &out, via_builder);
        ns[i] = now_ns() - t0;
        ratio[i] = pair_ratio(t, mc, ns[i], (double)t->bytes);
    }
    if (keep) {
        strom_buf_reset(keep);
        strom_buf_append(keep, out.data, out.len);
    }
    strom_buf_free(&out);
    strom_bb_free(bb);
    snprintf(name, sizeof name, "encode %s (%s)", strom_codec_name(codec),
             via_builder ? "append_column + seal" : "strom_batch_encode");
    return (result){keep_name(name), median(ns, reps), (double)t->bytes, (double)t->rows,
                    median(ratio, reps)};
}

static result bench_decode(const table *t, strom_codec codec, const strom_buf *msg, int reps)
{
    char name[64];
    double ns[MAX_REPS];
    double ratio[MAX_REPS];
    strom_codec_ctx *cc = strom_codec_ctx_new();
    for (int i = 0; i < reps; i++) {
        double mc = memcpy_once(t);
        double t0 = now_ns();
        strom_batch *b = decode(msg, t->schema, cc);
        ns[i] = now_ns() - t0;
        ratio[i] = pair_ratio(t, mc, ns[i], (double)t->bytes);
        sink += (uint64_t)b->rows;
        strom_batch_free(b);
    }
    strom_codec_ctx_free(cc);
    snprintf(name, sizeof name, "decode %s%s", strom_codec_name(codec),
             codec == STROM_CODEC_NONE ? " (zero-copy views)" : "");
    return (result){keep_name(name), median(ns, reps), (double)t->bytes, (double)t->rows,
                    median(ratio, reps)};
}

/* Per-call time of projecting 2 of 20 columns; only the metadata is passed. */
static double bench_project(const strom_buf *msg, const strom_schema *s, int reps)
{
    double ns[MAX_REPS];
    static const int cols[2] = {3, 11};
    strom_error err;
    enum { INNER = 200 };
    for (int i = 0; i < reps; i++) {
        double t0 = now_ns();
        for (int k = 0; k < INNER; k++) {
            strom_ipc_msg m;
            strom_ipc_projection p;
            if (strom_ipc_read_msg_meta(msg->data, msg->len, &m, &err) != 0)
                die("read_msg_meta", &err);
            if (strom_ipc_project(&m, s, cols, 2, &p, &err) != 0)
                die("project", &err);
            sink += p.body_len;
            strom_ipc_projection_free(&p);
        }
        ns[i] = (now_ns() - t0) / INNER;
    }
    return median(ns, reps);
}

static void bench_filter(const table *t, const strom_buf *msg, int reps, result *eval,
                         result *select)
{
    double ns_eval[MAX_REPS], ns_sel[MAX_REPS];
    strom_error err;
    strom_pred *p = NULL;
    const char *text = "c0 < 10000"; /* c0 uniform in [0, 1e6): 1% of rows */
    if (strom_pred_parse(text, strlen(text), t->schema, &p, &err) != 0)
        die("pred_parse", &err);
    strom_batch *b = decode(msg, t->schema, NULL);
    uint8_t *sel = malloc((size_t)((t->rows + 7) / 8));
    int all[NCOLS];
    for (int c = 0; c < NCOLS; c++)
        all[c] = c;
    strom_buf out;
    strom_buf_init(&out);
    int64_t nsel = 0;
    double r_eval[MAX_REPS], r_sel[MAX_REPS];
    for (int i = 0; i < reps; i++) {
        double mc = memcpy_once(t);
        double t0 = now_ns();
        if (strom_pred_eval_rows(p, b, sel, &nsel, &err) != 0)
            die("eval_rows", &err);
        double t1 = now_ns();
        strom_buf_reset(&out);
        strom_seal_opts opts = {STROM_CODEC_NONE, 0};
        if (strom_batch_select(b, sel, all, NCOLS, t->schema, &opts, &out, NULL, &err) != 0)
            die("batch_select", &err);
        double t2 = now_ns();
        ns_eval[i] = t1 - t0;
        ns_sel[i] = t2 - t0;
        r_eval[i] = pair_ratio(t, mc, ns_eval[i], (double)(8 * t->rows));
        r_sel[i] = pair_ratio(t, mc, ns_sel[i], (double)t->bytes);
    }
    fprintf(stderr, "filter selected %" PRId64 " of %" PRId64 " rows\n", nsel, t->rows);
    *eval = (result){"filter: predicate on 1 BIGINT column (1%)", median(ns_eval, reps),
                     (double)(8 * t->rows), (double)t->rows, median(r_eval, reps)};
    *select = (result){"filter: predicate + build 20-column result", median(ns_sel, reps),
                       (double)t->bytes, (double)t->rows, median(r_sel, reps)};
    strom_buf_free(&out);
    free(sel);
    strom_batch_free(b);
    strom_pred_free(p);
}

static void print_results(const char *title, const result *r, int n)
{
    printf("\n### %s\n\n", title);
    printf("| operation | median time | GB/s | Mrows/s | vs memcpy (paired median) |\n");
    printf("|---|---:|---:|---:|---:|\n");
    for (int i = 0; i < n; i++) {
        double gbs = r[i].bytes / r[i].ns, mrs = r[i].rows / r[i].ns * 1e3;
        printf("| %s | %.3f ms | %.2f | %.1f | %.2f |\n", r[i].name, r[i].ns / 1e6, gbs, mrs,
               r[i].ratio);
    }
}

/* ---- compression beside the CLIs ------------------------------------------------------- */

/* Runs a CLI benchmark and returns its compression speed in MB/s (0 if unavailable). The
 * CLIs print "...: N -> M (ratio), C MB/s, D MB/s" (with carriage-return progress lines). */
static void cli_speed(const char *cmd, double *comp, double *decomp)
{
    *comp = *decomp = 0;
    FILE *f = popen(cmd, "r");
    if (!f)
        return;
    char line[4096], last[4096] = "";
    size_t n = fread(line, 1, sizeof line - 1, f);
    while (n > 0) {
        line[n] = 0;
        /* keep the tail: the final result is the last record */
        size_t l = strlen(last), k = strlen(line);
        if (l + k >= sizeof last) {
            memmove(last, last + l / 2, l - l / 2 + 1);
            l = strlen(last);
        }
        memcpy(last + l, line, k + 1);
        n = fread(line, 1, sizeof line - 1, f);
    }
    pclose(f);
    char *p = strrchr(last, ':'); /* the last "name :" of the final record */
    if (!p)
        return;
    char *mb = strstr(p, "MB/s");
    if (!mb)
        return;
    char *q = mb;
    while (q > p && q[-1] == ' ')
        q--;
    while (q > p && (q[-1] == '.' || (q[-1] >= '0' && q[-1] <= '9')))
        q--;
    *comp = atof(q);
    char *mb2 = strstr(mb + 4, "MB/s");
    if (mb2) {
        q = mb2;
        while (q > mb && q[-1] == ' ')
            q--;
        while (q > mb && (q[-1] == '.' || (q[-1] >= '0' && q[-1] <= '9')))
            q--;
        *decomp = atof(q);
    }
}

static void bench_cli(const table *t, int reps)
{
    char path[] = "/tmp/strom-bench-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return;
    /* the same bytes strom compresses: the column buffers, one after another */
    for (int c = 0; c < NCOLS; c++)
        if (write(fd, t->cols[c].values, (size_t)t->cols[c].values_len) < 0)
            die("write temp file", NULL);
    close(fd);

    strom_codec_ctx *cc = strom_codec_ctx_new();
    strom_buf out;
    strom_buf_init(&out);
    printf("\n### Compression of the same bytes: strom (per buffer) beside the CLI benchmark\n\n");
    printf("| codec | strom compress MB/s | CLI compress MB/s | ratio | strom stored/raw |\n");
    printf("|---|---:|---:|---:|---:|\n");
    struct {
        strom_codec codec;
        int level;
        const char *cli;
    } runs[] = {{STROM_CODEC_LZ4_FRAME, 1, "lz4 -b1 -i2"},
                {STROM_CODEC_ZSTD, 1, "zstd -b1 -i2"},
                {STROM_CODEC_ZSTD, 3, "zstd -b3 -i2"}};
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
        double ns[MAX_REPS];
        for (int i = 0; i < reps; i++) {
            strom_error err;
            strom_buf_reset(&out);
            double t0 = now_ns();
            for (int c = 0; c < NCOLS; c++)
                if (strom_compress_buffer(cc, runs[k].codec, runs[k].level, t->cols[c].values,
                                          (size_t)t->cols[c].values_len, &out, &err) != 0)
                    die("compress", &err);
            ns[i] = now_ns() - t0;
        }
        size_t raw = 0;
        for (int c = 0; c < NCOLS; c++)
            raw += (size_t)t->cols[c].values_len;
        double ours = (double)raw / median(ns, reps) * 1e3; /* MB/s, 1 MB = 1e6 B */
        char cmd[512];
        snprintf(cmd, sizeof cmd, "%s %s 2>&1", runs[k].cli, path);
        double cli_c, cli_d;
        cli_speed(cmd, &cli_c, &cli_d);
        printf("| %s level %d | %.0f | %.0f | %.2f | %.3f |\n", strom_codec_name(runs[k].codec),
               runs[k].level, ours, cli_c, cli_c > 0 ? ours / cli_c : 0.0,
               (double)out.len / (double)raw);
    }
    strom_buf_free(&out);
    strom_codec_ctx_free(cc);
    unlink(path);
}

int main(int argc, char **argv)
{
    int64_t rows = 65536;
    int reps = 15;
    int cli = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            rows = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-cli"))
            cli = 0;
        else {
            fprintf(stderr, "usage: strom_bench [--rows N] [--reps N (1..%d)] [--no-cli]\n"
                            "  Measures codec throughput beside memcpy; prints Markdown.\n",
                    MAX_REPS);
            return strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    if (rows < 1000 || reps < 1 || reps > MAX_REPS) {
        fprintf(stderr, "strom_bench: --rows must be >= 1000 and --reps 1..%d\n", MAX_REPS);
        return 2;
    }
    printf("## strom_bench: %" PRId64 " rows x %d columns, median of %d runs\n", rows, NCOLS,
           reps);

    for (int w = 0; w < 2; w++) {
        table t;
        make_table(&t, w == 0 ? fixed_types : mixed_types, rows, w == 0 ? 0 : 5);
        strom_buf msg[3];
        result r[16];
        int n = 0;
        r[n++] = bench_memcpy(&t, reps);
        for (int k = 0; k < 3; k++) {
            strom_buf_init(&msg[k]);
            r[n++] = bench_encode(&t, (strom_codec)k, reps, &msg[k], false);
        }
        r[n++] = bench_encode(&t, STROM_CODEC_NONE, reps, NULL, true);
        for (int k = 0; k < 3; k++)
            r[n++] = bench_decode(&t, (strom_codec)k, &msg[k], reps);
        bench_filter(&t, &msg[0], reps, &r[n], &r[n + 1]);
        n += 2;
        char title[160];
        snprintf(title, sizeof title, "%s table: %.1f MiB of column data, %" PRId64
                 " rows (uncompressed message %.1f MiB, lz4 %.1f MiB, zstd %.1f MiB)",
                 w == 0 ? "Fixed-width" : "Mixed (strings, decimal, boolean, 5% nulls)",
                 (double)t.bytes / 1048576.0, rows, (double)msg[0].len / 1048576.0,
                 (double)msg[1].len / 1048576.0, (double)msg[2].len / 1048576.0);
        print_results(title, r, n);
        for (int k = 0; k < 3; k++)
            strom_buf_free(&msg[k]);
        if (w == 0 && cli)
            bench_cli(&t, reps);
        free_table(&t);
    }

    /* Projection: same work for a 64 KiB and a 64 MiB batch (row width 124 bytes). */
    printf("\n### Projection of 2 of 20 columns (metadata only)\n\n");
    printf("| batch size | rows | median per projection |\n|---|---:|---:|\n");
    int64_t sizes[2] = {(64 << 10) / 124, (INT64_C(64) << 20) / 124};
    for (int k = 0; k < 2; k++) {
        table t;
        make_table(&t, fixed_types, sizes[k], 0);
        strom_buf msg;
        strom_buf_init(&msg);
        bench_encode(&t, STROM_CODEC_NONE, 1, &msg, false);
        double ns = bench_project(&msg, t.schema, reps);
        printf("| %.1f MiB | %" PRId64 " | %.0f ns |\n", (double)msg.len / 1048576.0,
               sizes[k], ns);
        strom_buf_free(&msg);
        free_table(&t);
    }
    return (int)(sink & 0);
}
