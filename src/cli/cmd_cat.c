/*
 * cmd_cat.c: `strom cat FILE`: reads an Arrow IPC stream or file (autodetected) and prints
 * it as an aligned table, CSV or JSON Lines, or writes it again as Arrow; with a column
 * projection (--columns), a row predicate (--where, strom's textual predicate form) and
 * per-batch statistics (--stats).
 *
 * Per batch:  decode ─▶ [--stats: compute stats, predicate vs stats → NONE: skip the batch,
 *             ALL: take every row] ─▶ predicate vs rows → selection ─▶ print or re-encode
 * Arrow files carry no strom statistics, so --stats computes them from the decoded batch:
 * it shows what the server's pruning would decide, not a saving of `cat` itself.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"

static void cat_usage(FILE *f)
{
    fprintf(f,
            "usage: strom cat [options] FILE\n"
            "\n"
            "Reads an Arrow IPC stream or file (told apart by the ARROW1 magic; FILE '-' is\n"
            "stdin) and prints its rows.\n"
            "\n"
            "options:\n"
            "  -F, --format F      table (default), csv, jsonl, or arrow (an Arrow stream, or a\n"
            "                      file when -o ends in .arrow)\n"
            "  -c, --columns LIST  only these columns, in this order: sym,price\n"
            "  -w, --where EXPR    only rows where EXPR is true, e.g.\n"
            "                        \"price > 10 AND sym IN ('A','B')\"\n"
            "                        \"note IS NULL OR ts >= TIMESTAMP '2023-11-14 22:30:00'\"\n"
            "  -s, --stats         per-batch statistics (min, max, nulls) and, with --where,\n"
            "                      how many batches the statistics alone rule out\n"
            "  -n, --limit N       print at most N rows (table default 100, others unlimited)\n"
            "  -o, --output FILE   write to FILE instead of stdout\n"
            "      --codec C       compression of --format arrow output: none, lz4, zstd\n"
            "      --schema        print the schema and exit\n"
            "  -h, --help          this help\n");
}

typedef struct cat_opts {
    cli_format fmt;
    const char *columns, *where, *output, *path;
    bool stats, schema_only;
    int64_t limit;
    strom_seal_opts seal;
} cat_opts;

typedef struct cat_state {
    const cat_opts *o;
    const strom_schema *s;     /* the file's schema */
    strom_schema *out_schema;  /* the projected schema */
    int *cols;
    int ncols;
    strom_pred *pred;
    FILE *out, *info;          /* rows; statistics and summary */
    cli_printer *printer;
    strom_ipc_writer *writer;
    strom_buf arrow, msg;
    int64_t batches, rows_in, rows_out, skipped, whole, filtered;
} cat_state;

/* Shows where in the expression a parse error is: the text and a caret under it. */
static void cat_show_position(const char *expr, const strom_error *err)
{
    const char *at = strstr(err->msg, "position ");
    if (!at)
        return;
    long pos = strtol(at + 9, NULL, 10);
    if (pos < 0 || (size_t)pos > strlen(expr))
        return;
    fprintf(stderr, "  %s\n  %*s^\n", expr, (int)pos, "");
}

static void cat_print_stats(cat_state *st, const strom_batch_stats *bs, strom_pred_match m)
{
    static const char *const names[] = {"NONE: skipped", "SOME: filtered", "ALL: taken whole"};
    strom_buf t = STROM_BUF_INIT;
    fprintf(st->info, "batch %" PRId64 ": %" PRId64 " rows", st->batches, bs->rows);
    if (st->pred)
        fprintf(st->info, ", predicate vs stats = %s", names[m]);
    fputc('\n', st->info);
    for (int c = 0; c < bs->ncols && c < strom_schema_ncols(st->s); c++) {
        const strom_col_stats *cs = &bs->cols[c];
        strom_type ty = strom_schema_col_type(st->s, c);
        fprintf(st->info, "  %-12s nulls=%-6" PRId64, strom_schema_col_name(st->s, c),
                cs->null_count);
        if (cs->has_min) {
            strom_buf_reset(&t);
            if (cli_value_text(&cs->min, ty, &t) == 0)
                fprintf(st->info, " min%s%s", cs->min_exact ? "=" : ">=", (char *)t.data);
        }
        if (cs->has_max) {
            strom_buf_reset(&t);
            if (cli_value_text(&cs->max, ty, &t) == 0)
                fprintf(st->info, " max%s%s", cs->max_exact ? "=" : "<", (char *)t.data);
        }
        fputc('\n', st->info);
    }
    strom_buf_free(&t);
}

/* One decoded batch through statistics, predicate and output. */
static int cat_batch(cat_state *st, const strom_batch *b, strom_error *err)
{
    strom_pred_match m = st->pred ? STROM_MATCH_SOME : STROM_MATCH_ALL;
    uint8_t *sel = NULL;
    int rc = 0;

    st->rows_in += b->rows;
    if (st->o->stats) {
        strom_batch_stats bs = {0};
        STROM_TRY(strom_batch_compute_stats(b, &bs, err));
        if (st->pred)
            m = strom_pred_eval_stats(st->pred, &bs);
        cat_print_stats(st, &bs, m);
        strom_batch_stats_free(&bs);
    }
    if (m == STROM_MATCH_NONE) {
        st->skipped++;
        return 0;
    }
    int64_t nsel = b->rows;
    if (m == STROM_MATCH_SOME) {
        st->filtered++;
        sel = malloc((size_t)(b->rows + 7) / 8 + 1);
        if (!sel)
            return strom_error_set(err, STROM_ENOMEM, "selection of %" PRId64 " rows", b->rows);
        STROM_TRY_GOTO(rc, strom_pred_eval_rows(st->pred, b, sel, &nsel, err), cleanup);
    } else {
        st->whole++;
    }
    st->rows_out += nsel;
    if (st->o->fmt == CLI_FMT_ARROW) {
        strom_buf_reset(&st->msg);
        STROM_TRY_GOTO(rc, strom_batch_select(b, sel, st->cols, st->ncols, st->out_schema,
                                              &st->o->seal, &st->msg, NULL, err), cleanup);
        STROM_TRY_GOTO(rc, strom_ipc_writer_add(st->writer, st->msg.data, st->msg.len,
                                                &st->arrow, err), cleanup);
    } else {
        rc = cli_printer_rows(st->printer, b, sel, st->cols, st->ncols);
        if (rc < 0)
            strom_error_set(err, rc, "printing rows");
    }
cleanup:
    free(sel);
    return rc;
}

/* Sets up projection, predicate and output for the file's schema. */
static int cat_prepare(cat_state *st, strom_error *err)
{
    const cat_opts *o = st->o;
    int n = strom_schema_ncols(st->s);
    if (o->columns) {
        STROM_TRY(cli_parse_columns(o->columns, st->s, &st->cols, &st->ncols, err));
    } else {
        st->cols = malloc(((size_t)n + 1) * sizeof *st->cols);
        if (!st->cols)
            return strom_error_set(err, STROM_ENOMEM, "columns");
        for (int c = 0; c < n; c++)
            st->cols[c] = c;
        st->ncols = n;
    }
    st->out_schema = strom_schema_project(st->s, st->cols, st->ncols);
    if (!st->out_schema)
        return strom_error_set(err, STROM_EINVAL, "--columns: cannot project (repeated column?)");
    if (o->where) {
        int rc = strom_pred_parse(o->where, strlen(o->where), st->s, &st->pred, err);
        if (rc < 0) {
            strom_error_prefix(err, "--where");
            return rc;
        }
    }
    if (o->fmt == CLI_FMT_ARROW) {
        size_t len = strlen(o->output);
        bool file = len > 6 && strcmp(o->output + len - 6, ".arrow") == 0;
        return strom_ipc_writer_new(st->out_schema, file, &st->arrow, &st->writer, err);
    }
    st->printer = cli_printer_new(st->out, o->fmt, st->out_schema,
                                  o->limit >= 0 ? o->limit : o->fmt == CLI_FMT_TABLE ? 100 : -1);
    return st->printer ? 0 : strom_error_set(err, STROM_ENOMEM, "printer");
}

static void cat_summary(cat_state *st)
{
    fprintf(st->info, "%" PRId64 " batch%s, %" PRId64 " rows read, %" PRId64 " rows matched",
            st->batches, st->batches == 1 ? "" : "es", st->rows_in, st->rows_out);
    if (st->pred && st->o->stats)
        fprintf(st->info, "; by statistics: %" PRId64 " skipped, %" PRId64
                " taken whole, %" PRId64 " filtered row by row",
                st->skipped, st->whole, st->filtered);
    fputc('\n', st->info);
}

static int cat_run(const cat_opts *o, const uint8_t *data, size_t len, strom_error *err)
{
    cat_state st = {.o = o, .out = stdout, .info = stderr};
    cli_reader *r = NULL;
    strom_batch *b = NULL;
    bool is_file;
    int rc;

    if (len == 0)
        return strom_error_set(err, STROM_ECORRUPT, "empty input (not an Arrow stream or file)");
    STROM_TRY_GOTO(rc, cli_reader_open(data, len, &r, &is_file, err), cleanup);
    st.s = cli_reader_schema(r);
    if (o->schema_only) {
        for (int c = 0; c < strom_schema_ncols(st.s); c++) {
            char t[32];
            printf("%s %s%s\n", strom_schema_col_name(st.s, c),
                   strom_type_format(strom_schema_col_type(st.s, c), t, sizeof t),
                   strom_schema_col_nullable(st.s, c) ? "" : " NOT NULL");
        }
        goto cleanup;
    }
    if (strcmp(o->output, "-") != 0 && o->fmt != CLI_FMT_ARROW) {
        st.out = fopen(o->output, "w");
        if (!st.out) {
            rc = strom_error_set(err, STROM_EIO, "%s: cannot open for writing", o->output);
            goto cleanup;
        }
    }
    if (o->fmt == CLI_FMT_TABLE && st.out == stdout)
        st.info = stdout; /* the table prints at the end: stats above it, summary below */
    STROM_TRY_GOTO(rc, cat_prepare(&st, err), cleanup);
    while ((rc = cli_reader_next(r, &b, err)) > 0) {
        rc = cat_batch(&st, b, err);
        strom_batch_free(b);
        if (rc < 0) {
            strom_error_prefix(err, "batch %" PRId64, st.batches);
            goto cleanup;
        }
        st.batches++;
    }
    if (rc < 0)
        goto cleanup;
    if (o->fmt == CLI_FMT_ARROW) {
        rc = strom_ipc_writer_finish(st.writer, &st.arrow, err);
        st.writer = NULL;
        if (rc < 0)
            goto cleanup;
        STROM_TRY_GOTO(rc, cli_write_file(o->output, st.arrow.data, st.arrow.len, err), cleanup);
    } else {
        STROM_TRY_GOTO(rc, cli_printer_finish(st.printer), cleanup);
    }
    if (o->fmt == CLI_FMT_TABLE || o->stats)
        cat_summary(&st);
cleanup:
    if (st.out && st.out != stdout)
        fclose(st.out);
    if (st.writer)
        strom_ipc_writer_free(st.writer);
    cli_printer_free(st.printer);
    strom_pred_free(st.pred);
    strom_schema_free(st.out_schema);
    free(st.cols);
    strom_buf_free(&st.arrow);
    strom_buf_free(&st.msg);
    cli_reader_close(r);
    return rc;
}

static int cat_parse_args(int argc, char **argv, cat_opts *o)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'F'}, {"columns", required_argument, NULL, 'c'},
        {"where", required_argument, NULL, 'w'}, {"stats", no_argument, NULL, 's'},
        {"limit", required_argument, NULL, 'n'}, {"output", required_argument, NULL, 'o'},
        {"codec", required_argument, NULL, 'C'}, {"schema", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "F:c:w:sn:o:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'F':
            if (cli_format_parse(optarg, &o->fmt) < 0)
                return fprintf(stderr, "strom cat: --format: '%s' is not table, csv, jsonl or arrow\n", optarg), 2;
            break;
        case 'c': o->columns = optarg; break;
        case 'w': o->where = optarg; break;
        case 's': o->stats = true; break;
        case 'n':
            if (!cli_parse_i64(optarg, 0, INT64_MAX, &o->limit))
                return fprintf(stderr, "strom cat: --limit: '%s' is not a number >= 0\n", optarg), 2;
            break;
        case 'o': o->output = optarg; break;
        case 'C':
            if (strom_codec_parse(optarg, &o->seal.codec) < 0)
                return fprintf(stderr, "strom cat: --codec: '%s' is not none, lz4 or zstd\n", optarg), 2;
            break;
        case 'S': o->schema_only = true; break;
        case 'h': cat_usage(stdout); return 0;
        default: cat_usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "strom cat: expected one FILE (try --help)\n");
        return 2;
    }
    o->path = argv[optind];
    return -1; /* go on */
}

int cli_cmd_cat(int argc, char **argv)
{
    cat_opts o = {.fmt = CLI_FMT_TABLE, .output = "-", .limit = -1};
    strom_buf data = STROM_BUF_INIT;
    strom_error err = {0};
    int rc = cat_parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (o.fmt == CLI_FMT_ARROW && strcmp(o.output, "-") == 0 && isatty(STDOUT_FILENO))
        return cli_fail("cat", NULL, "refusing to write binary Arrow data to a terminal; use -o FILE"), 2;
    rc = 0;
    if (cli_read_file(o.path, &data, &err) < 0) {
        rc = cli_fail("cat", &err, "reading");
    } else if (cat_run(&o, data.data, data.len, &err) < 0) {
        rc = cli_fail("cat", NULL, "%s: %s", o.path,
                      err.msg[0] ? err.msg : strom_strerror(err.code));
        if (o.where && err.code != 0 && strstr(err.msg, "--where"))
            cat_show_position(o.where, &err);
    }
    strom_buf_free(&data);
    return rc;
}
