/*
 * cmd_stream.c: `strom produce` (CSV, JSON Lines or Arrow IPC into a table) and
 * `strom consume` (a table out, with projection, filter, start position, follow), over
 * libstrom.
 */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/ingest.h"
#include "client/client_internal.h"
#include "columnar/arrow_c_export.h"
#include "common/fs.h"
#include "strom/client.h"

int cli_parse_start(const char *s, int *kind, int64_t *value, strom_error *err)
{
    if (!strcmp(s, "earliest")) {
        *kind = STROM_START_EARLIEST;
        *value = 0;
        return 0;
    }
    if (!strcmp(s, "latest")) {
        *kind = STROM_START_LATEST;
        *value = 0;
        return 0;
    }
    if (cli_parse_i64(s, 0, INT64_MAX, value)) {
        *kind = STROM_START_OFFSET;
        return 0;
    }
    int64_t us;
    int rc = strom_parse_timestamp(s, strlen(s), true, &us, err);
    if (rc < 0) {
        strom_error_set(err, STROM_EPARSE, "'%s' is not earliest, latest, an offset or a "
                        "timestamp (2026-12-01T10:00:00Z)", s);
        return rc;
    }
    *kind = STROM_START_TIMESTAMP;
    *value = us / 1000;
    return 0;
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* ---- produce ---------------------------------------------------------------------------------- */

static void produce_usage_text(FILE *f)
{
    fprintf(f,
            "usage: strom produce DB.TABLE [FILE] [options]\n"
            "\n"
            "Writes rows from FILE (default: stdin) into a table. The input is CSV with a\n"
            "header row naming the columns (any order; missing nullable columns are NULL),\n"
            "JSON Lines (one object per line, keys = column names), or an Arrow IPC stream or\n"
            "file whose columns match the table's by name. The first bad row stops the load\n"
            "with its line and column; rows before it are kept (they were sent).\n"
            "\n"
            "options:\n"
            "  -f, --format F        csv, jsonl or arrow (default: by FILE's extension, else csv)\n"
            "  -d, --delimiter C     CSV field separator (default ',')\n"
            "      --no-header       CSV without a header: fields are the columns in order\n"
            "      --null TEXT       CSV: an unquoted field equal to TEXT is NULL (default: empty)\n"
            "  -c, --compression C   batch compression: none, lz4, zstd (default none)\n"
            "      --batch-bytes N   send a bucket's batch at N bytes (default 1048576)\n"
            "      --linger MS       ...or MS milliseconds after its first row (default 5)\n"
            "      --in-flight N     requests sent and not yet acknowledged (1..64, default 8);\n"
            "                        while all are out, rows join the next batch\n"
            "      --acks MODE       durable (default: wait until the server fsync'ed) or none\n"
            "  -q, --quiet           no progress line and no summary\n"
            "  -s, --server H:P      the server (default $STROM_SERVER or 127.0.0.1:7070)\n"
            "\n"
            "examples:\n"
            "  strom produce market.trades trades.csv\n"
            "  printf 'sym,price\\nABC,12.5\\n' | strom produce market.trades\n"
            "  strom gen -n 100000 | strom produce demo.all --format arrow\n");
}

static void upsert_usage(FILE *f)
{
    fprintf(f,
            "usage: strom upsert DB.TABLE [FILE] [options]\n"
            "\n"
            "Upserts rows into a primary-key table: each row is merged with the row stored under\n"
            "its key by the table's merge engine, and the change goes to the table's changelog\n"
            "(+I for a new key, -U/+U for an update). Input as for strom produce: CSV with a\n"
            "header, JSON Lines or Arrow. A batch with a bad row (a null key, say) is refused\n"
            "whole, with the reason.\n"
            "\n"
            "options:\n"
            "      --columns A,B,..  a partial update: write only these columns (the key among\n"
            "                        them); the others keep their stored values\n"
            "  -f, --format F        csv, jsonl or arrow (default: by FILE's extension, else csv)\n"
            "  -d, --delimiter C     CSV field separator (default ',')\n"
            "      --no-header       CSV without a header: fields are the columns in order\n"
            "      --null TEXT       CSV: an unquoted field equal to TEXT is NULL (default: empty)\n"
            "      --batch-bytes N   send a bucket's batch at N bytes (default 1048576)\n"
            "      --linger MS       ...or MS milliseconds after its first row (default 5)\n"
            "  -q, --quiet           no progress line and no summary\n"
            "  -s, --server H:P      the server (default $STROM_SERVER or 127.0.0.1:7070)\n"
            "\n"
            "examples:\n"
            "  printf 'item,qty\\nbolt,40\\nnut,7\\n' | strom upsert shop.stock\n"
            "  printf 'item,qty\\nbolt,38\\n' | strom upsert shop.stock --columns item,qty\n");
}

static void delete_usage(FILE *f)
{
    fprintf(f,
            "usage: strom delete DB.TABLE [FILE] [options]\n"
            "\n"
            "Deletes keys from a primary-key table. The input holds the key columns (CSV with a\n"
            "header, JSON Lines or Arrow) and, for a versioned table, the version column (the\n"
            "delete wins over a stored row of the same or a lower version); each deleted row\n"
            "goes to the changelog as -D.\n"
            "\n"
            "options:\n"
            "  -f, --format F        csv, jsonl or arrow (default: by FILE's extension, else csv)\n"
            "  -d, --delimiter C     CSV field separator (default ',')\n"
            "      --no-header       CSV without a header: the key columns in key order\n"
            "  -q, --quiet           no progress line and no summary\n"
            "  -s, --server H:P      the server (default $STROM_SERVER or 127.0.0.1:7070)\n"
            "\n"
            "example:\n"
            "  printf 'item\\nnut\\n' | strom delete shop.stock\n");
}

typedef enum write_mode { W_PRODUCE, W_UPSERT, W_DELETE } write_mode;

typedef struct produce_state {
    strom_writer *w;
    const strom_schema *s;
    struct ArrowSchema as;   /* s, exported once for the writer's Arrow input */
    int64_t rows, t0, last_report;
    bool progress;
    strom_buf msg;
    write_mode mode;
} produce_state;

static void produce_report(produce_state *ps, bool final)
{
    int64_t now = strom_mono_ms();
    if (!ps->progress || (!final && now - ps->last_report < 500))
        return;
    ps->last_report = now;
    double secs = (double)(now - ps->t0) / 1000.0;
    fprintf(stderr, "\r%" PRId64 " rows sent, %" PRId64 " acknowledged, %.0f rows/s   %s",
            ps->rows, strom_writer_rows_acked(ps->w), secs > 0 ? (double)ps->rows / secs : 0.0,
            final ? "\n" : "");
}

/* Hands a decoded batch (consumed) to the writer through the Arrow C Data Interface: the
 * writer takes whole columns, or routes the rows when the table needs it. */
static int produce_batch(produce_state *ps, strom_batch *b, struct ArrowSchema *as,
                         strom_error *err)
{
    int64_t rows = b->rows;
    struct ArrowArray aa;
    int rc = strom_arrow_export_batch(b, NULL, NULL, &aa, err);
    if (rc < 0) {
        strom_batch_free(b);
        return rc;
    }
    if ((rc = ps->mode == W_DELETE ? strom_writer_delete_arrow(ps->w, &aa, as, err)
                                   : strom_writer_write_arrow(ps->w, &aa, as, err)) == 0) {
        ps->rows += rows;
        produce_report(ps, false);
    }
    return rc;
}

/* Moves the rows of a builder to the writer (seal, decode, route). */
static int produce_drain(produce_state *ps, strom_batch_builder *bb, strom_error *err)
{
    if (strom_bb_rows(bb) == 0)
        return 0;
    strom_buf_reset(&ps->msg);
    strom_seal_opts so = {STROM_CODEC_NONE, 0};
    strom_ipc_msg m;
    strom_batch *b = NULL;
    int rc = strom_bb_seal(bb, &so, &ps->msg, NULL, err);
    strom_bb_reset(bb);
    if (rc == 0 && (rc = strom_ipc_read_msg(ps->msg.data, ps->msg.len, &m, err)) == 0 &&
        (rc = strom_ipc_decode_batch(&m, ps->s, ps->s, NULL, &b, err)) == 0)
        rc = produce_batch(ps, b, &ps->as, err);
    return rc;
}

static int produce_text(produce_state *ps, int fd, cli_ingest_format fmt,
                        const cli_ingest_opts *io, strom_error *err)
{
    cli_ingest *in = cli_ingest_new(fmt, ps->s, io);
    strom_batch_builder *bb = strom_bb_new(ps->s);
    uint8_t *chunk = malloc(1 << 20);
    int rc = 0;
    if (!in || !bb || !chunk)
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    while (rc == 0 && !interrupted) {
        ssize_t n = read(fd, chunk, 1 << 20);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = strom_error_set(err, STROM_EIO, "reading the input: %s", strerror(errno));
            break;
        }
        int frc = n == 0 ? cli_ingest_finish(in, bb, err)
                         : cli_ingest_feed(in, chunk, (size_t)n, bb, err);
        strom_error derr;
        int drc = produce_drain(ps, bb, &derr); /* rows before a bad one are still sent */
        if (frc < 0)
            rc = frc;
        else if (drc < 0) {
            *err = derr;
            rc = drc;
        }
        if (n == 0)
            break;
    }
    free(chunk);
    strom_bb_free(bb);
    cli_ingest_free(in);
    return rc;
}

static int produce_arrow(produce_state *ps, const char *path, strom_error *err)
{
    strom_buf data = STROM_BUF_INIT;
    cli_reader *r = NULL;
    bool is_file;
    int rc = cli_read_file(path, &data, err);
    if (rc == 0)
        rc = cli_reader_open(data.data, data.len, &r, &is_file, err);
    int n = strom_schema_ncols(ps->s);
    int *map = calloc((size_t)n + 1, sizeof *map);
    if (rc == 0 && !map)
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    if (rc == 0) {
        const strom_schema *fs = cli_reader_schema(r);
        for (int i = 0; rc == 0 && i < n; i++) {
            const char *name = strom_schema_col_name(ps->s, i);
            map[i] = strom_schema_find(fs, name, strlen(name));
            if (map[i] < 0 && !strom_schema_col_nullable(ps->s, i))
                rc = strom_error_set(err, STROM_EINVAL, "the input has no column '%s' (NOT NULL "
                                     "in the table)", name);
            else if (map[i] >= 0) {
                strom_type a = strom_schema_col_type(ps->s, i), b = strom_schema_col_type(fs, map[i]);
                if (a.id != b.id || a.precision != b.precision || a.scale != b.scale) {
                    char ta[48], tb[48];
                    rc = strom_error_set(err, STROM_ETYPE, "column '%s' is %s in the input and %s "
                                         "in the table", name, strom_type_format(b, tb, sizeof tb),
                                         strom_type_format(a, ta, sizeof ta));
                }
            }
        }
        for (int j = 0; rc == 0 && j < strom_schema_ncols(fs); j++) {
            const char *name = strom_schema_col_name(fs, j);
            if (strom_schema_find(ps->s, name, strlen(name)) < 0)
                rc = strom_error_set(err, STROM_EINVAL, "the input column '%s' is not in the "
                                     "table", name);
        }
    }
    struct ArrowSchema as = {0};
    if (rc == 0)
        rc = strom_arrow_export_schema(cli_reader_schema(r), &as, err);
    while (rc == 0 && !interrupted) {
        strom_batch *b;
        int k = cli_reader_next(r, &b, err);
        if (k <= 0) {
            rc = k;
            break;
        }
        if ((rc = produce_batch(ps, b, &as, err)) < 0)
            strom_error_prefix(err, "batch %" PRId64, cli_reader_index(r));
    }
    if (as.release)
        as.release(&as);
    free(map);
    cli_reader_close(r);
    strom_buf_free(&data);
    return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* strom produce, upsert and delete: rows from a file into a writer. */
static int write_table(int argc, char **argv, write_mode mode)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},      {"delimiter", required_argument, NULL, 'd'},
        {"no-header", no_argument, NULL, 'H'},         {"null", required_argument, NULL, 'N'},
        {"compression", required_argument, NULL, 'c'}, {"batch-bytes", required_argument, NULL, 'B'},
        {"linger", required_argument, NULL, 'L'},      {"acks", required_argument, NULL, 'A'},
        {"in-flight", required_argument, NULL, 'I'},   {"quiet", no_argument, NULL, 'q'},
        {"server", required_argument, NULL, 's'},      {"help", no_argument, NULL, 'h'},
        {"columns", required_argument, NULL, 'C'},     {NULL, 0, NULL, 0}};
    const char *cmd = mode == W_PRODUCE ? "produce" : mode == W_UPSERT ? "upsert" : "delete",
               *format = NULL, *server = NULL, *partial = NULL;
    void (*produce_usage)(FILE *) = mode == W_PRODUCE  ? produce_usage_text
                                    : mode == W_UPSERT ? upsert_usage
                                                       : delete_usage;
    cli_ingest_opts io;
    cli_ingest_opts_init(&io);
    strom_writer_opts wo;
    strom_writer_opts_default(&wo);
    bool quiet = false;
    int64_t v;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "f:d:c:qs:h", longopts, NULL)) != -1) {
        switch (o) {
        case 'f': format = optarg; break;
        case 'd':
            if (strlen(optarg) != 1)
                return fprintf(stderr, "strom %s: --delimiter takes one character\n", cmd), 2;
            io.delimiter = optarg[0];
            break;
        case 'H': io.header = false; break;
        case 'N': io.null_text = optarg; break;
        case 'c':
            if (!strcmp(optarg, "none"))
                wo.compression = STROM_COMPRESSION_NONE;
            else if (!strcmp(optarg, "lz4"))
                wo.compression = STROM_COMPRESSION_LZ4;
            else if (!strcmp(optarg, "zstd"))
                wo.compression = STROM_COMPRESSION_ZSTD;
            else
                return fprintf(stderr, "strom %s: --compression '%s' is not none, lz4 or zstd\n",
                               cmd, optarg), 2;
            break;
        case 'B':
            if (!cli_parse_i64(optarg, 1024, 32 << 20, &v))
                return fprintf(stderr, "strom %s: --batch-bytes '%s' is not in 1024..%d\n", cmd,
                               optarg, 32 << 20), 2;
            wo.batch_bytes = (size_t)v;
            break;
        case 'L':
            if (!cli_parse_i64(optarg, 0, 60000, &v))
                return fprintf(stderr, "strom %s: --linger '%s' is not in 0..60000\n", cmd,
                               optarg), 2;
            wo.linger_ms = (int)v;
            break;
        case 'I':
            if (!cli_parse_i64(optarg, 1, 64, &v))
                return fprintf(stderr, "strom %s: --in-flight '%s' is not in 1..64\n", cmd,
                               optarg), 2;
            wo.max_in_flight = (int)v;
            break;
        case 'A':
            if (strcmp(optarg, "durable") && strcmp(optarg, "none"))
                return fprintf(stderr, "strom %s: --acks '%s' is not durable or none\n", cmd,
                               optarg), 2;
            wo.acks = !strcmp(optarg, "durable");
            break;
        case 'q': quiet = true; break;
        case 's': server = optarg; break;
        case 'C':
            if (mode != W_UPSERT)
                return fprintf(stderr, "strom %s: --columns is an option of strom upsert\n",
                               cmd), 2;
            partial = optarg;
            break;
        case 'h': produce_usage(stdout); return 0;
        default: produce_usage(stderr); return 2;
        }
    }
    if (optind >= argc || argc - optind > 2) {
        produce_usage(stderr);
        return 2;
    }
    const char *table = argv[optind], *path = optind + 1 < argc ? argv[optind + 1] : "-";
    if (!format)
        format = ends_with(path, ".jsonl") || ends_with(path, ".json") ? "jsonl"
                 : ends_with(path, ".arrow") || ends_with(path, ".arrows") ? "arrow"
                                                                             : "csv";
    if (strcmp(format, "csv") && strcmp(format, "jsonl") && strcmp(format, "arrow"))
        return fprintf(stderr, "strom %s: --format '%s' is not csv, jsonl or arrow\n", cmd,
                       format), 2;
    strom_error err;
    char db[STROM_IDENT_MAX + 1], tb[STROM_IDENT_MAX + 1];
    if (strom_table_name_parse(table, db, tb, &err) < 0)
        return cli_fail(cmd, &err, "table name");
    int fd = 0;
    if (strcmp(format, "arrow") && strcmp(path, "-") && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return fprintf(stderr, "strom %s: cannot open %s: %s\n", cmd, path, strerror(errno)), 1;
    produce_state ps = {0};
    ps.mode = mode;
    /* a partial update's column list */
    char *colbuf;
    const char *names[STROM_MAX_COLUMNS];
    int nnames = cli_split_names(partial, &colbuf, names, STROM_MAX_COLUMNS);
    wo.columns = colbuf ? names : NULL;
    wo.ncolumns = nnames;
    int orc = strom_writer_open(cli_server_addr(server), NULL, db, tb, &wo, &ps.w, &err);
    free(colbuf);
    if (orc == 0 && mode != W_PRODUCE && strom_writer_table(ps.w)->npk == 0) {
        strom_writer_close(ps.w, NULL);
        orc = strom_error_set(&err, STROM_EINVAL, "%s is a log table: %s needs a primary key "
                              "(write rows with strom produce)", table, cmd);
    }
    if (orc < 0) {
        if (fd > 0)
            close(fd);
        return cli_fail(cmd, &err, "%s", table);
    }
    ps.s = strom_writer_schema(ps.w);
    strom_schema *key_s = NULL;
    if (mode == W_DELETE) { /* the input holds the key columns (and a version column) */
        const strom_table_desc *td = strom_writer_table(ps.w);
        int kc[STROM_PK_MAX + 1], nk = 0;
        for (int i = 0; i < td->npk; i++)
            kc[nk++] = td->pk[i];
        if (td->version_col >= 0)
            kc[nk++] = td->version_col;
        key_s = strom_schema_project(td->schema, kc, nk);
        ps.s = key_s;
    }
    strom_error serr;
    if (strom_arrow_export_schema(ps.s, &ps.as, &serr) < 0) {
        strom_writer_close(ps.w, NULL);
        if (fd > 0)
            close(fd);
        return cli_fail(cmd, &serr, "%s", table);
    }
    ps.t0 = ps.last_report = strom_mono_ms();
    ps.progress = !quiet && isatty(STDERR_FILENO);
    signal(SIGINT, on_sigint);
    int rc = !strcmp(format, "arrow")
                 ? produce_arrow(&ps, path, &err)
                 : produce_text(&ps, fd, !strcmp(format, "csv") ? CLI_INGEST_CSV : CLI_INGEST_JSONL,
                                &io, &err);
    strom_error cerr;
    int crc = strom_writer_flush(ps.w, &cerr);
    int64_t acked = strom_writer_rows_acked(ps.w), dropped = strom_writer_rows_dropped(ps.w);
    int xrc = strom_writer_close(ps.w, crc == 0 ? &cerr : NULL);
    if (crc == 0)
        crc = xrc;
    if (crc < 0 && rc == 0)
        err = cerr, rc = crc;
    strom_buf_free(&ps.msg);
    ps.as.release(&ps.as);
    strom_schema_free(key_s);
    if (fd > 0)
        close(fd);
    ps.progress = ps.progress && rc == 0;
    if (!quiet) {
        double secs = (double)(strom_mono_ms() - ps.t0) / 1000.0;
        if (ps.progress)
            fprintf(stderr, "\r\033[K");
        if (rc == 0) {
            char rate[48] = ""; /* a rate over a few milliseconds means nothing */
            if (secs >= 0.05)
                snprintf(rate, sizeof rate, " (%.0f rows/s)", (double)acked / secs);
            fprintf(stderr, "%s %" PRId64 " %s %s %s in %.2f s%s\n",
                    mode == W_PRODUCE ? "produced" : mode == W_UPSERT ? "upserted" : "deleted",
                    acked, mode == W_DELETE ? "keys" : "rows", mode == W_DELETE ? "from" : "to",
                    table, secs, rate);
        } else if (acked > 0 || dropped > 0) {
            fprintf(stderr, "%" PRId64 " rows acknowledged, %" PRId64 " dropped\n", acked,
                    dropped);
        }
    }
    if (rc < 0)
        return cli_fail(cmd, &err, "%s", strcmp(path, "-") ? path : "stdin");
    return interrupted ? 130 : 0;
}

int cli_cmd_produce(int argc, char **argv)
{
    return write_table(argc, argv, W_PRODUCE);
}

int cli_cmd_upsert(int argc, char **argv)
{
    return write_table(argc, argv, W_UPSERT);
}

int cli_cmd_delete(int argc, char **argv)
{
    return write_table(argc, argv, W_DELETE);
}

/* ---- consume ------------------------------------------------------------------------------ */

static void consume_usage(FILE *f)
{
    fprintf(f,
            "usage: strom consume DB.TABLE [options]\n"
            "\n"
            "Reads a table. Only the chosen columns and the matching rows leave the server: it\n"
            "skips batches by their statistics, sends the chosen column buffers straight from\n"
            "its files, and filters partly matching batches row by row.\n"
            "\n"
            "options:\n"
            "  -c, --columns A,B,..  columns to read, in this order (default: all)\n"
            "  -w, --where PRED      rows to read: comparisons (= <> < <= > >=), IS [NOT] NULL,\n"
            "                        IN (...), AND, OR, NOT, e.g. \"price > 10 AND sym = 'ABC'\"\n"
            "      --from POS        earliest (default), latest, an offset, or a timestamp\n"
            "                        (2026-12-01T10:00:00Z): the first record committed then\n"
            "  -F, --follow          keep waiting for new rows (Ctrl-C stops)\n"
            "  -n, --limit N         stop after N rows\n"
            "  -o, --format F        table (default on a terminal), csv, jsonl, arrow (an Arrow\n"
            "                        IPC stream on stdout)\n"
            "      --stats           print to stderr the bytes received, and the bytes a full\n"
            "                        read of the same records would have moved\n"
            "      --changelog       a first column _change with each row's change type: +I\n"
            "                        (insert), -U/+U (before/after an update), -D (delete); the\n"
            "                        log of a primary-key table is its changelog\n"
            "  -s, --server H:P      the server (default $STROM_SERVER or 127.0.0.1:7070)\n"
            "\n"
            "examples:\n"
            "  strom consume market.trades --columns sym,price --where \"price > 10\" --stats\n"
            "  strom consume market.trades --from latest --follow --format jsonl\n"
            "  strom consume shop.stock --changelog --follow\n");
}

static void scan_usage(FILE *f)
{
    fprintf(f,
            "usage: strom scan DB.TABLE [options]\n"
            "\n"
            "Reads the current state of a primary-key table: every row once, from a consistent\n"
            "snapshot of each bucket. With --follow it then reads each bucket's changelog from\n"
            "the offset its snapshot reflects, so no change is missed or seen twice (a _change\n"
            "column tells inserts, updates and deletes apart).\n"
            "\n"
            "options:\n"
            "  -c, --columns A,B,..  columns to read, in this order (default: all)\n"
            "  -w, --where PRED      rows to read (as for strom consume)\n"
            "  -F, --follow          then follow the changelog (Ctrl-C stops)\n"
            "  -n, --limit N         stop after N rows\n"
            "  -o, --format F        table (default on a terminal), csv, jsonl, arrow\n"
            "      --changelog       the _change column (always with --follow)\n"
            "      --stats           print to stderr the bytes received\n"
            "  -s, --server H:P      the server (default $STROM_SERVER or 127.0.0.1:7070)\n"
            "\n"
            "examples:\n"
            "  strom scan shop.stock --where \"qty < 10\"\n"
            "  strom scan shop.stock --follow --format jsonl\n");
}

/* A batch with a first column _change (STRING: +I -U +U -D) before b's columns. */
typedef struct change_batch {
    strom_schema *schema;
    strom_batch b;
    strom_col_view *cols;
    int32_t *offsets;
    uint8_t *text;
} change_batch;

static int change_batch_init(change_batch *cb, const strom_schema *os)
{
    memset(cb, 0, sizeof *cb);
    cb->schema = strom_schema_new(strom_schema_id(os));
    if (!cb->schema || strom_schema_add(cb->schema, "_change", strom_type_of(STROM_TYPE_STRING),
                                        false, NULL) < 0)
        return STROM_ENOMEM;
    for (int i = 0; i < strom_schema_ncols(os); i++)
        if (strom_schema_add(cb->schema, strom_schema_col_name(os, i),
                             strom_schema_col_type(os, i), strom_schema_col_nullable(os, i),
                             NULL) < 0)
            return STROM_EINVAL; /* a column named _change */
    return 0;
}

static const strom_batch *change_batch_of(change_batch *cb, const strom_result *r)
{
    const strom_batch *b = cl_result_batch(r);
    int n = b->ncols + 1;
    free(cb->cols);
    free(cb->offsets);
    free(cb->text);
    cb->cols = calloc((size_t)n, sizeof *cb->cols);
    cb->offsets = malloc(sizeof(int32_t) * (size_t)(b->rows + 1));
    cb->text = malloc((size_t)b->rows * 2 + 1);
    if (!cb->cols || !cb->offsets || !cb->text)
        return NULL;
    for (int64_t i = 0; i < b->rows; i++) {
        memcpy(cb->text + 2 * i, strom_change_name(strom_result_change(r, i)), 2);
        cb->offsets[i] = (int32_t)(2 * i);
    }
    cb->offsets[b->rows] = (int32_t)(2 * b->rows);
    cb->cols[0] = (strom_col_view){b->rows, 0, NULL, cb->text, cb->offsets, 2 * b->rows};
    memcpy(cb->cols + 1, b->cols, sizeof *cb->cols * (size_t)b->ncols);
    cb->b = (strom_batch){cb->schema, b->rows, n, cb->cols, NULL};
    return &cb->b;
}

static void change_batch_free(change_batch *cb)
{
    strom_schema_free(cb->schema);
    free(cb->cols);
    free(cb->offsets);
    free(cb->text);
}

/* strom consume, and strom scan (`snapshot`): the rows of a scanner, printed. */
static void query_usage(FILE *f)
{
    fprintf(f,
            "usage: strom query \"SELECT cols FROM db.table [WHERE pred] [LIMIT n]\" [options]\n"
            "\n"
            "Reads a table as one: the rows tiering has moved to the lake (its Paimon table of\n"
            "Parquet files, read straight from disk with the same projection and filter), then\n"
            "the log from where the lake ends. The same query gives the same rows whatever has\n"
            "been tiered. Batch mode returns the rows written before the query started;\n"
            "--follow goes on into the live log with no row missed or repeated.\n"
            "\n"
            "  cols    * or a comma-separated list of columns\n"
            "  pred    as consume --where: comparisons, IS [NOT] NULL, IN, AND, OR, NOT\n"
            "\n"
            "options:\n"
            "  -F, --follow          streaming: keep waiting for new rows (Ctrl-C stops)\n"
            "  -o, --format F        table (default on a terminal), csv, jsonl, arrow\n"
            "      --stats           print to stderr the bytes read and the bytes a full read\n"
            "                        would have moved (lake column chunks + log batches)\n"
            "  -s, --server H:P      the server (default $STROM_SERVER or 127.0.0.1:7070)\n"
            "\n"
            "examples:\n"
            "  strom query \"SELECT sym, price FROM market.trades WHERE price > 10 LIMIT 20\"\n"
            "  strom query \"SELECT * FROM market.trades WHERE sym = 'ABC'\" --follow -o jsonl\n");
}

static int read_table(int argc, char **argv, bool snapshot, bool query)
{
    static const struct option longopts[] = {
        {"columns", required_argument, NULL, 'c'}, {"where", required_argument, NULL, 'w'},
        {"from", required_argument, NULL, 'S'},    {"follow", no_argument, NULL, 'F'},
        {"limit", required_argument, NULL, 'n'},   {"format", required_argument, NULL, 'o'},
        {"stats", no_argument, NULL, 'T'},         {"server", required_argument, NULL, 's'},
        {"changelog", no_argument, NULL, 'C'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = query ? "query" : snapshot ? "scan" : "consume", *columns = NULL,
               *where = NULL, *from = NULL, *server = NULL;
    void (*usage)(FILE *) = query ? query_usage : snapshot ? scan_usage : consume_usage;
    cli_format fmt = isatty(STDOUT_FILENO) ? CLI_FMT_TABLE : CLI_FMT_CSV;
    int64_t limit = -1;
    bool follow = false, stats = false, changelog = false;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "c:w:Fn:o:s:h", longopts, NULL)) != -1) {
        switch (o) {
        case 'c': columns = optarg; break;
        case 'w': where = optarg; break;
        case 'S': from = optarg; break;
        case 'F': follow = true; break;
        case 'n':
            if (!cli_parse_i64(optarg, 0, INT64_MAX, &limit))
                return fprintf(stderr, "strom %s: --limit '%s' is not a count\n", cmd, optarg), 2;
            break;
        case 'o':
            if (cli_format_parse(optarg, &fmt) < 0)
                return fprintf(stderr, "strom %s: --format '%s' is not table, csv, jsonl or "
                               "arrow\n", cmd, optarg), 2;
            break;
        case 'T': stats = true; break;
        case 'C': changelog = true; break;
        case 's': server = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    if (snapshot && from)
        return fprintf(stderr, "strom %s: --from does not apply: a scan starts from the current "
                       "state\n", cmd), 2;
    char *sql = NULL;
    const char *tname = argv[optind];
    if (query) {
        char *qcols = NULL, *qtable = NULL, *qwhere = NULL;
        strom_error perr;
        if (columns || where || from || limit >= 0 || changelog)
            return fprintf(stderr, "strom %s: columns, filter and limit go in the query; --from "
                           "and --changelog do not apply\n", cmd), 2;
        if (!(sql = strdup(argv[optind])))
            return 1;
        if (cl_query_parse(sql, &qcols, &qtable, &qwhere, &limit, &perr) < 0) {
            free(sql);
            return cli_fail(cmd, &perr, "query");
        }
        columns = qcols;
        where = qwhere;
        tname = qtable;
    }
    changelog = changelog || (snapshot && follow);
    if (fmt == CLI_FMT_ARROW && isatty(STDOUT_FILENO))
        return fprintf(stderr, "strom %s: not writing Arrow bytes to a terminal (redirect "
                       "stdout)\n", cmd), 2;
    strom_error err;
    char db[STROM_IDENT_MAX + 1], tb[STROM_IDENT_MAX + 1];
    if (strom_table_name_parse(tname, db, tb, &err) < 0) {
        free(sql);
        return cli_fail(cmd, &err, "table name");
    }
    strom_scan_opts so;
    strom_scan_opts_default(&so);
    so.follow = follow;
    so.where = where;
    so.snapshot = snapshot;
    so.lake = query;
    int kind = STROM_START_EARLIEST;
    if (from && cli_parse_start(from, &kind, &so.start_value, &err) < 0)
        return cli_fail(cmd, &err, "--from");
    so.start = (strom_start)kind;
    /* split the column list */
    char *colbuf;
    const char *names[STROM_MAX_COLUMNS];
    int ncols = cli_split_names(columns, &colbuf, names, STROM_MAX_COLUMNS);
    so.columns = colbuf ? names : NULL;
    so.ncolumns = ncols;
    strom_scanner *sc;
    if (strom_scanner_open(cli_server_addr(server), NULL, db, tb, &so, &sc, &err) < 0) {
        free(colbuf);
        free(sql);
        return cli_fail(cmd, &err, "%s.%s", db, tb);
    }
    free(colbuf);
    free(sql);
    const strom_schema *os = strom_scanner_schema(sc);
    change_batch cb;
    memset(&cb, 0, sizeof cb);
    if (changelog) {
        if (change_batch_init(&cb, os) < 0) {
            change_batch_free(&cb);
            strom_scanner_close(sc);
            return fprintf(stderr, "strom %s: --changelog: the table has a column named "
                           "_change\n", cmd), 1;
        }
        os = cb.schema;
    }
    int n = strom_schema_ncols(os);
    int *all = malloc(sizeof(int) * (size_t)(n + 1));
    for (int i = 0; all && i < n; i++)
        all[i] = i;
    cli_printer *pr = NULL;
    strom_buf arrow = STROM_BUF_INIT, msg = STROM_BUF_INIT;
    strom_ipc_writer *aw = NULL;
    int rc = 0;
    if (fmt == CLI_FMT_ARROW)
        rc = strom_ipc_writer_new(os, false, &arrow, &aw, &err);
    else if (!(follow && fmt == CLI_FMT_TABLE))
        pr = cli_printer_new(stdout, fmt, os, limit >= 0 ? limit : fmt == CLI_FMT_TABLE && !follow ? 1000 : -1);
    signal(SIGINT, on_sigint);
    int64_t rows = 0, batches = 0;
    while (rc == 0 && !interrupted && (limit < 0 || rows < limit)) {
        strom_result *r;
        int k = strom_scanner_next(sc, &r, &err);
        if (k == 2)
            continue; /* following, nothing new yet */
        if (k <= 0) {
            rc = k;
            break;
        }
        const strom_batch *b = changelog ? change_batch_of(&cb, r) : cl_result_batch(r);
        if (!b) {
            strom_result_free(r);
            rc = strom_error_set(&err, STROM_ENOMEM, "out of memory");
            break;
        }
        int64_t take = limit >= 0 && b->rows > limit - rows ? limit - rows : b->rows;
        uint8_t *sel = NULL;
        if (take < b->rows && (sel = calloc((size_t)(b->rows + 7) / 8 + 1, 1)))
            for (int64_t i = 0; i < take; i++)
                sel[i >> 3] |= (uint8_t)(1u << (i & 7));
        if (aw) {
            strom_buf_reset(&msg);
            strom_seal_opts seal = {STROM_CODEC_NONE, 0};
            if ((rc = strom_batch_select(b, sel, all, n, os, &seal, &msg, NULL, &err)) == 0 &&
                (rc = strom_ipc_writer_add(aw, msg.data, msg.len, &arrow, &err)) == 0) {
                fwrite(arrow.data, 1, arrow.len, stdout);
                strom_buf_reset(&arrow);
            }
        } else if (pr) {
            int prc = cli_printer_rows(pr, b, sel, all, n);
            if (prc < 0 && prc != STROM_ELIMIT)
                rc = strom_error_set(&err, prc, "printing rows");
        } else {
            cli_printer *bp = cli_printer_new(stdout, fmt, os, -1);
            if (bp) {
                cli_printer_rows(bp, b, sel, all, n);
                cli_printer_finish(bp);
                cli_printer_free(bp);
            }
        }
        fflush(stdout);
        free(sel);
        rows += take;
        batches++;
        strom_result_free(r);
    }
    if (aw && rc == 0) { /* finish frees the writer */
        if ((rc = strom_ipc_writer_finish(aw, &arrow, &err)) == 0)
            fwrite(arrow.data, 1, arrow.len, stdout);
    } else if (aw) {
        strom_ipc_writer_free(aw);
    }
    if (pr) {
        cli_printer_finish(pr);
        cli_printer_free(pr);
    }
    fflush(stdout);
    if (stats) {
        uint64_t got, full;
        strom_scanner_bytes(sc, &got, &full);
        char a[32], b2[32];
        fprintf(stderr, "%" PRId64 " rows in %" PRId64 " batches; received %s of record "
                "batches, a full read would have moved %s (%.1f%%)\n",
                rows, batches, cli_human_bytes(got, a, sizeof a),
                cli_human_bytes(full, b2, sizeof b2), full ? 100.0 * (double)got / (double)full : 100.0);
    }
    strom_buf_free(&arrow);
    strom_buf_free(&msg);
    free(all);
    strom_scanner_close(sc);
    change_batch_free(&cb);
    if (rc < 0)
        return cli_fail(cmd, &err, "%s.%s", db, tb);
    return 0;
}

int cli_cmd_consume(int argc, char **argv)
{
    return read_table(argc, argv, false, false);
}

int cli_cmd_scan(int argc, char **argv)
{
    return read_table(argc, argv, true, false);
}

int cli_cmd_query(int argc, char **argv)
{
    return read_table(argc, argv, false, true);
}
