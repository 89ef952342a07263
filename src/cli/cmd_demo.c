/*
 * cmd_demo.c: `strom demo`: the columnar codec end to end, what scripts/run.sh starts until
 * the server exists.
 *
 *   1. encode   the demo table (gen.c) as an Arrow stream with each body compression (none,
 *               lz4, zstd): sizes, encode and decode speed, and a check that every codec
 *               decodes to the same number of rows
 *   2. pushdown what a consumer asking for 2 columns and a predicate would be sent:
 *               per batch, the predicate against the batch statistics (NONE: skip the
 *               batch, ALL: send it, SOME: filter row by row), projection of the encoded
 *               batch without decoding it (new metadata + byte ranges of the original body,
 *               compressed buffers untouched), then the row filter on what remains
 *   3. result   the rows the consumer gets, and the bytes saved against sending everything
 */
#include "cli/cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"

typedef struct demo_opts {
    cli_gen_opts gen;
    const char *columns, *where;
    int64_t show;
} demo_opts;

typedef struct demo_pushdown {
    const strom_schema *s;     /* the table */
    strom_schema *ps;          /* projected schema */
    int *cols;
    int ncols;
    strom_pred *pred_full;     /* against s: for statistics */
    strom_pred *pred_proj;     /* against ps: for rows */
    cli_printer *printer;
    strom_codec_ctx *codec;
    strom_buf wire, filtered;
    uint64_t bytes_all, bytes_sent;
    int64_t batches, skipped, whole, filtered_n, rows_all, rows_sent;
} demo_pushdown;

static double demo_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void demo_usage(FILE *f)
{
    fprintf(f,
            "usage: strom demo [options]\n"
            "\n"
            "Shows strom's columnar codec end to end: encodes a demo table (see `strom gen`) as\n"
            "Arrow IPC with each body compression, then plays a consumer that wants two columns\n"
            "and a predicate: statistics skip whole batches, projection picks byte ranges of\n"
            "the encoded batches without decoding them, a row filter does the rest.\n"
            "\n"
            "options:\n"
            "  -n, --rows N        rows (default 100000)\n"
            "  -b, --batch-rows N  rows per batch (default 10000)\n"
            "      --seed N        random seed (default 1)\n"
            "  -c, --columns LIST  the consumer's columns (default sym,price)\n"
            "  -w, --where EXPR    the consumer's predicate\n"
            "                      (default \"price > 6500 AND sym IN ('AAPL', 'MSFT')\")\n"
            "      --show N        result rows to print (default 15)\n"
            "  -h, --help          this help\n");
}

/* Part 1: the whole table with each codec. */
static int demo_encode(const strom_schema *s, const demo_opts *o, strom_error *err)
{
    static const strom_codec codecs[] = {STROM_CODEC_NONE, STROM_CODEC_LZ4_FRAME, STROM_CODEC_ZSTD};
    uint64_t base = 0;
    char h[32];

    printf("1. encode %" PRId64 " rows x %d columns (every strom type) in batches of %" PRId64
           " rows, as an Arrow IPC stream\n\n", o->gen.rows, strom_schema_ncols(s),
           o->gen.batch_rows);
    printf("   %-6s %12s %8s %12s %12s\n", "codec", "size", "vs none", "encode", "decode");
    for (size_t i = 0; i < STROM_ARRAY_LEN(codecs); i++) {
        cli_gen_opts g = o->gen;
        strom_buf out = STROM_BUF_INIT;
        cli_reader *r = NULL;
        strom_batch *b;
        bool is_file;
        int64_t rows = 0;
        int rc;
        g.seal.codec = codecs[i];
        double t0 = demo_now();
        STROM_TRY_GOTO(rc, cli_gen_table(s, &g, false, &out, err), next);
        double t1 = demo_now();
        STROM_TRY_GOTO(rc, cli_reader_open(out.data, out.len, &r, &is_file, err), next);
        while ((rc = cli_reader_next(r, &b, err)) > 0) {
            rows += b->rows;
            strom_batch_free(b);
        }
        if (rc == 0 && rows != o->gen.rows)
            rc = strom_error_set(err, STROM_ECORRUPT, "decoded %" PRId64 " rows, wrote %" PRId64,
                                 rows, o->gen.rows);
        double t2 = demo_now();
        if (rc == 0) {
            if (i == 0)
                base = out.len;
            printf("   %-6s %12s %7.1f%% %9.1f ms %9.1f ms\n", strom_codec_name(codecs[i]),
                   cli_human_bytes(out.len, h, sizeof h), base ? 100.0 * (double)out.len / (double)base : 0,
                   (t1 - t0) * 1e3, (t2 - t1) * 1e3);
        }
next:
        cli_reader_close(r);
        strom_buf_free(&out);
        if (rc < 0) {
            strom_error_prefix(err, "codec %s", strom_codec_name(codecs[i]));
            return rc;
        }
    }
    printf("\n   (encode includes generating the values; decode checks every row count)\n\n");
    return 0;
}

/* The consumer's columns: the requested ones, then any the predicate needs that are missing. */
static int demo_setup(demo_pushdown *d, const demo_opts *o, strom_error *err)
{
    int n = strom_schema_ncols(d->s);
    uint8_t *need = calloc((size_t)n, 1);
    int rc = 0;
    if (!need)
        return strom_error_set(err, STROM_ENOMEM, "demo");
    STROM_TRY_GOTO(rc, cli_parse_columns(o->columns, d->s, &d->cols, &d->ncols, err), cleanup);
    rc = strom_pred_parse(o->where, strlen(o->where), d->s, &d->pred_full, err);
    if (rc < 0) {
        strom_error_prefix(err, "--where \"%s\"", o->where);
        goto cleanup;
    }
    strom_pred_columns(d->pred_full, need, n);
    for (int i = 0; i < d->ncols; i++)
        need[d->cols[i]] = 0;
    int *grown = realloc(d->cols, ((size_t)d->ncols + (size_t)n) * sizeof *grown);
    if (!grown) {
        rc = strom_error_set(err, STROM_ENOMEM, "demo");
        goto cleanup;
    }
    d->cols = grown;
    for (int c = 0; c < n; c++)
        if (need[c])
            d->cols[d->ncols++] = c;
    d->ps = strom_schema_project(d->s, d->cols, d->ncols);
    if (!d->ps) {
        rc = strom_error_set(err, STROM_EINVAL, "--columns: cannot project (repeated column?)");
        goto cleanup;
    }
    STROM_TRY_GOTO(rc, strom_pred_parse(o->where, strlen(o->where), d->ps, &d->pred_proj, err),
                   cleanup);
    d->codec = strom_codec_ctx_new();
    d->printer = cli_printer_new(stdout, CLI_FMT_TABLE, d->ps, o->show);
    if (!d->codec || !d->printer)
        rc = strom_error_set(err, STROM_ENOMEM, "demo");
cleanup:
    free(need);
    return rc;
}

/* Assembles what would go on the wire for a projected batch: header + body ranges. */
static int demo_project(demo_pushdown *d, const strom_ipc_msg *m, strom_error *err)
{
    strom_ipc_projection pj = {0};
    int rc;
    strom_buf_reset(&d->wire);
    STROM_TRY_GOTO(rc, strom_ipc_project(m, d->s, d->cols, d->ncols, &pj, err), cleanup);
    STROM_TRY_GOTO(rc, strom_buf_append(&d->wire, pj.header.data, pj.header.len), cleanup);
    for (int i = 0; i < pj.nranges; i++) {
        if (!strom_range_ok(pj.ranges[i].offset, pj.ranges[i].length, m->body_len)) {
            rc = strom_error_set(err, STROM_ECORRUPT, "projection range %d outside the body", i);
            goto cleanup;
        }
        STROM_TRY_GOTO(rc, strom_buf_append(&d->wire, m->body + pj.ranges[i].offset,
                                            pj.ranges[i].length), cleanup);
    }
cleanup:
    strom_ipc_projection_free(&pj);
    return rc;
}

/* One sealed batch through statistics, projection and the row filter. */
static int demo_batch(demo_pushdown *d, const strom_buf *msgbuf, const strom_batch_stats *st,
                      strom_error *err)
{
    strom_ipc_msg m, pm;
    strom_batch *b = NULL;
    uint8_t *sel = NULL;
    int64_t nsel;
    int rc;

    d->batches++;
    d->bytes_all += msgbuf->len;
    d->rows_all += st->rows;
    strom_pred_match match = strom_pred_eval_stats(d->pred_full, st);
    if (match == STROM_MATCH_NONE) {
        d->skipped++;
        return 0;
    }
    STROM_TRY(strom_ipc_read_msg(msgbuf->data, msgbuf->len, &m, err) == 0
                  ? 0 : strom_error_set(err, STROM_ECORRUPT, "incomplete sealed batch"));
    STROM_TRY(demo_project(d, &m, err));
    STROM_TRY(strom_ipc_read_msg(d->wire.data, d->wire.len, &pm, err) == 0
                  ? 0 : strom_error_set(err, STROM_ECORRUPT, "incomplete projected batch"));
    STROM_TRY(strom_ipc_decode_batch(&pm, d->ps, d->ps, d->codec, &b, err));
    nsel = b->rows;
    if (match == STROM_MATCH_ALL) {
        d->whole++;
        d->bytes_sent += d->wire.len;
    } else {
        d->filtered_n++;
        sel = malloc((size_t)(b->rows + 7) / 8 + 1);
        if (!sel) {
            rc = strom_error_set(err, STROM_ENOMEM, "selection");
            goto cleanup;
        }
        STROM_TRY_GOTO(rc, strom_pred_eval_rows(d->pred_proj, b, sel, &nsel, err), cleanup);
        if (nsel > 0) { /* the server re-encodes the surviving rows; none: nothing is sent */
            strom_seal_opts so = {STROM_CODEC_ZSTD, 0};
            int *all = malloc(((size_t)d->ncols + 1) * sizeof *all);
            if (!all) {
                rc = strom_error_set(err, STROM_ENOMEM, "columns");
                goto cleanup;
            }
            for (int i = 0; i < d->ncols; i++)
                all[i] = i;
            strom_buf_reset(&d->filtered);
            rc = strom_batch_select(b, sel, all, d->ncols, d->ps, &so, &d->filtered, NULL, err);
            free(all);
            if (rc < 0)
                goto cleanup;
            d->bytes_sent += d->filtered.len;
        }
    }
    d->rows_sent += nsel;
    int *ident = NULL;
    rc = 0;
    ident = malloc(((size_t)d->ncols + 1) * sizeof *ident);
    if (!ident) {
        rc = strom_error_set(err, STROM_ENOMEM, "columns");
        goto cleanup;
    }
    for (int i = 0; i < d->ncols; i++)
        ident[i] = i;
    rc = cli_printer_rows(d->printer, b, sel, ident, d->ncols);
    free(ident);
cleanup:
    free(sel);
    strom_batch_free(b);
    return rc;
}

static void demo_report(const demo_pushdown *d, const demo_opts *o)
{
    char a[32], b[32];
    printf("\n3. what the consumer was sent\n\n");
    printf("   batches: %" PRId64 " in the table, %" PRId64 " skipped by statistics, %" PRId64
           " sent whole (projected), %" PRId64 " filtered row by row\n",
           d->batches, d->skipped, d->whole, d->filtered_n);
    printf("   rows:    %" PRId64 " of %" PRId64 "\n", d->rows_sent, d->rows_all);
    printf("   columns: %d of %d\n", d->ncols, strom_schema_ncols(d->s));
    printf("   bytes:   %s sent instead of %s (zstd batches): %.2f%% saved\n",
           cli_human_bytes(d->bytes_sent, a, sizeof a), cli_human_bytes(d->bytes_all, b, sizeof b),
           d->bytes_all ? 100.0 - 100.0 * (double)d->bytes_sent / (double)d->bytes_all : 0.0);
    (void)o;
}

/* Parts 2 and 3: the consumer's view of the zstd-encoded table. */
static int demo_pushdown_run(const strom_schema *s, const demo_opts *o, strom_error *err)
{
    demo_pushdown d = {.s = s};
    strom_batch_builder *bb = strom_bb_new(s);
    strom_buf msg = STROM_BUF_INIT;
    cli_gen_opts g = o->gen;
    int rc;

    g.seal.codec = STROM_CODEC_ZSTD;
    if (!bb)
        return strom_error_set(err, STROM_ENOMEM, "batch builder");
    STROM_TRY_GOTO(rc, demo_setup(&d, o, err), cleanup);
    printf("2. a consumer asks for columns (");
    for (int i = 0; i < d.ncols; i++)
        printf("%s%s", i ? ", " : "", strom_schema_col_name(s, d.cols[i]));
    printf(") where %s\n\n", o->where);
    for (int64_t first = 0; first < g.rows; first += g.batch_rows) {
        strom_batch_stats st = {0};
        strom_buf_reset(&msg);
        rc = cli_gen_batch(bb, s, &g, first, STROM_MIN(g.batch_rows, g.rows - first), &msg,
                           &st, err);
        if (rc == 0)
            rc = demo_batch(&d, &msg, &st, err);
        strom_batch_stats_free(&st);
        if (rc < 0) {
            strom_error_prefix(err, "batch %" PRId64, d.batches - 1);
            goto cleanup;
        }
    }
    STROM_TRY_GOTO(rc, cli_printer_finish(d.printer), cleanup);
    demo_report(&d, o);
cleanup:
    cli_printer_free(d.printer);
    strom_codec_ctx_free(d.codec);
    strom_pred_free(d.pred_full);
    strom_pred_free(d.pred_proj);
    strom_schema_free(d.ps);
    free(d.cols);
    strom_buf_free(&d.wire);
    strom_buf_free(&d.filtered);
    strom_buf_free(&msg);
    strom_bb_free(bb);
    return rc;
}

int cli_cmd_demo(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"rows", required_argument, NULL, 'n'}, {"batch-rows", required_argument, NULL, 'b'},
        {"seed", required_argument, NULL, 'S'}, {"columns", required_argument, NULL, 'c'},
        {"where", required_argument, NULL, 'w'}, {"show", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    demo_opts o = {
        .gen = {.rows = 100000, .batch_rows = 10000, .null_ratio = 0.05, .seed = 1},
        .columns = "sym,price",
        .where = "price > 6500 AND sym IN ('AAPL', 'MSFT')",
        .show = 15,
    };
    strom_error err = {0};
    int64_t v;
    int opt;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "n:b:c:w:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (!cli_parse_i64(optarg, 0, 100000000, &o.gen.rows))
                return fprintf(stderr, "strom demo: --rows: '%s' is not 0..1e8\n", optarg), 2;
            break;
        case 'b':
            if (!cli_parse_i64(optarg, 1, 10000000, &o.gen.batch_rows))
                return fprintf(stderr, "strom demo: --batch-rows: '%s' is not 1..1e7\n", optarg), 2;
            break;
        case 'S':
            if (!cli_parse_i64(optarg, 0, INT64_MAX, &v))
                return fprintf(stderr, "strom demo: --seed: '%s' is not a number >= 0\n", optarg), 2;
            o.gen.seed = (uint64_t)v;
            break;
        case 'c': o.columns = optarg; break;
        case 'w': o.where = optarg; break;
        case 's':
            if (!cli_parse_i64(optarg, 0, 1000000, &o.show))
                return fprintf(stderr, "strom demo: --show: '%s' is not 0..1e6\n", optarg), 2;
            break;
        case 'h': demo_usage(stdout); return 0;
        default: demo_usage(stderr); return 2;
        }
    }
    if (optind < argc)
        return fprintf(stderr, "strom demo: unexpected argument '%s'\n", argv[optind]), 2;

    strom_schema *s = cli_gen_schema();
    int rc = 0;
    if (!s)
        return cli_fail("demo", NULL, "out of memory");
    printf("strom demo: the Arrow columnar codec end to end\n\n");
    if (demo_encode(s, &o, &err) < 0 || demo_pushdown_run(s, &o, &err) < 0)
        rc = cli_fail("demo", &err, "failed");
    strom_schema_free(s);
    return rc;
}
