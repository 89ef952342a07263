/*
 * cmd_kv.c: strom lookup: rows of a primary-key table by key or by bucket-key prefix.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "client/client_internal.h"
#include "columnar/batch.h"
#include "strom/client.h"

static void lookup_usage(FILE *f)
{
    fprintf(f,
            "usage: strom lookup DB.TABLE KEY... [options]\n"
            "\n"
            "Prints the current rows of a primary-key table by key. A KEY gives the key columns'\n"
            "values in key order, comma separated, in the text form strom consume prints\n"
            "(\"42\", \"2026-12-01,bolt\"). All keys go in one request. Keys not found are named\n"
            "on stderr and the exit status is 3.\n"
            "\n"
            "options:\n"
            "      --prefix          a KEY gives bucket-key values (a partitioned table: the\n"
            "                        partition value first): every row under it\n"
            "      --limit N         --prefix: at most N rows per key (default 1000)\n"
            "  -c, --columns A,B,..  columns to print (default: all)\n"
            "  -o, --format F        table (default on a terminal), csv, jsonl\n"
            "  -s, --server H:P      the server (default $STROM_SERVER or 127.0.0.1:7070)\n"
            "\n"
            "examples:\n"
            "  strom lookup shop.stock bolt nut\n"
            "  strom lookup shop.totals 2026-12-01,bolt --columns qty --format jsonl\n");
}

/* Splits "a,b,c" into the key's columns. */
static int set_key(strom_lookup *l, const char *text, strom_error *err)
{
    int n = strom_lookup_key_count(l), k = 0;
    const char *p = text;
    while (k < n) {
        const char *comma = k + 1 < n ? strchr(p, ',') : NULL;
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (k + 1 < n && !comma)
            return strom_error_set(err, STROM_EINVAL, "key '%s' has %d value%s; the key is %d "
                                   "columns (%s, ...)", text, k + 1, k ? "s" : "", n,
                                   strom_lookup_key_name(l, 0));
        int rc = strom_lookup_set_text(l, k, p, len, err);
        if (rc < 0) {
            strom_error_prefix(err, "key '%s'", text);
            return rc;
        }
        k++;
        p = comma ? comma + 1 : p + len;
    }
    return strom_lookup_add(l, err);
}

int cli_cmd_lookup(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"prefix", no_argument, NULL, 'P'},     {"limit", required_argument, NULL, 'n'},
        {"columns", required_argument, NULL, 'c'}, {"format", required_argument, NULL, 'o'},
        {"server", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = "lookup", *server = NULL, *columns = NULL;
    cli_format fmt = isatty(STDOUT_FILENO) ? CLI_FMT_TABLE : CLI_FMT_CSV;
    strom_lookup_opts lo;
    strom_lookup_opts_default(&lo);
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "c:o:s:h", longopts, NULL)) != -1) {
        switch (o) {
        case 'P': lo.prefix = true; break;
        case 'n':
            if (!cli_parse_i64(optarg, 1, 1000000000, &lo.limit))
                return fprintf(stderr, "strom %s: --limit '%s' is not a count\n", cmd, optarg), 2;
            break;
        case 'c': columns = optarg; break;
        case 'o':
            if (cli_format_parse(optarg, &fmt) < 0 || fmt == CLI_FMT_ARROW)
                return fprintf(stderr, "strom %s: --format '%s' is not table, csv or jsonl\n",
                               cmd, optarg), 2;
            break;
        case 's': server = optarg; break;
        case 'h': lookup_usage(stdout); return 0;
        default: lookup_usage(stderr); return 2;
        }
    }
    if (argc - optind < 2) {
        lookup_usage(stderr);
        return 2;
    }
    strom_error err;
    char db[STROM_IDENT_MAX + 1], tb[STROM_IDENT_MAX + 1];
    if (strom_table_name_parse(argv[optind], db, tb, &err) < 0)
        return cli_fail(cmd, &err, "table name");
    char *colbuf;
    const char *names[STROM_MAX_COLUMNS];
    int ncols = cli_split_names(columns, &colbuf, names, STROM_MAX_COLUMNS);
    lo.columns = colbuf ? names : NULL;
    lo.ncolumns = ncols;
    strom_lookup *l;
    int rc = strom_lookup_open(cli_server_addr(server), NULL, db, tb, &lo, &l, &err);
    free(colbuf);
    if (rc < 0)
        return cli_fail(cmd, &err, "%s", argv[optind]);
    int nkeys = argc - optind - 1;
    for (int i = 0; rc == 0 && i < nkeys; i++)
        rc = set_key(l, argv[optind + 1 + i], &err);
    strom_result *rows = NULL;
    if (rc == 0)
        rc = strom_lookup_run(l, &rows, &err);
    int missing = 0;
    if (rc == 0) {
        const strom_schema *os = strom_lookup_schema(l);
        int n = strom_schema_ncols(os);
        int *all = malloc(sizeof(int) * (size_t)(n + 1));
        for (int i = 0; all && i < n; i++)
            all[i] = i;
        cli_printer *pr = cli_printer_new(stdout, fmt, os, -1);
        const strom_batch *b = rows ? cl_result_batch(rows) : NULL;
        uint8_t *sel = b ? calloc((size_t)(b->rows + 7) / 8 + 1, 1) : NULL;
        for (int i = 0; pr && sel && i < nkeys; i++) { /* in the order the keys were given */
            int64_t first = 0, found = strom_lookup_found(l, i, &first);
            if (found > lo.limit)
                found = lo.limit;
            if (found == 0)
                continue;
            memset(sel, 0, (size_t)(b->rows + 7) / 8 + 1);
            for (int64_t r = first; r < first + found; r++)
                sel[r >> 3] |= (uint8_t)(1u << (r & 7));
            cli_printer_rows(pr, b, sel, all, n);
        }
        free(sel);
        if (pr) {
            cli_printer_finish(pr);
            cli_printer_free(pr);
        }
        free(all);
        for (int i = 0; i < nkeys; i++) {
            int64_t found = strom_lookup_found(l, i, NULL);
            if (found == 0) {
                fprintf(stderr, "strom %s: not found: %s\n", cmd, argv[optind + 1 + i]);
                missing++;
            } else if (lo.prefix && found > lo.limit) {
                fprintf(stderr, "strom %s: %s has more than %lld rows (--limit)\n", cmd,
                        argv[optind + 1 + i], (long long)lo.limit);
            }
        }
    }
    strom_result_free(rows);
    strom_lookup_close(l);
    if (rc < 0)
        return cli_fail(cmd, &err, "%s", argv[optind]);
    return missing ? 3 : 0;
}
