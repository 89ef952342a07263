/*
 * cmd_table.c: the catalog commands of `strom`, over libstrom: create-database, databases,
 * create-table, tables, describe, drop-table, add-column, create-partition, drop-partition,
 * offsets.
 */
#include "cli/cli.h"

#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client_internal.h"
#include "common/units.h"
#include "lake/paimon.h"
#include "lake/tier.h"
#include "strom/client.h"

const char *cli_server_addr(const char *flag)
{
    if (flag)
        return flag;
    const char *env = getenv("STROM_SERVER");
    return env && *env ? env : "127.0.0.1:7070";
}

int cli_connect(const char *cmd, const char *addr, strom_client **c)
{
    strom_error err;
    if (strom_client_connect(addr, NULL, c, &err) < 0)
        return cli_fail(cmd, &err, "cannot reach the server (start it with `stromd`, or point "
                                   "--server / STROM_SERVER at it)");
    return 0;
}

/* Parses "name TYPE [NOT NULL|NULL], ..." into a schema (commas inside parentheses belong to
 * the type). */
int cli_parse_schema(const char *text, strom_schema **out, strom_error *err)
{
    strom_schema *s = strom_schema_new(1);
    if (!s)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    const char *p = text;
    int rc = 0, ncol = 0;
    while (rc == 0 && *p) {
        const char *start = p;
        int depth = 0;
        while (*p && (depth > 0 || *p != ',')) {
            depth += *p == '(';
            depth -= *p == ')';
            p++;
        }
        char item[512];
        size_t len = (size_t)(p - start);
        if (*p == ',')
            p++;
        while (len && isspace((unsigned char)*start))
            start++, len--;
        while (len && isspace((unsigned char)start[len - 1]))
            len--;
        ncol++;
        if (len == 0 || len >= sizeof item) {
            rc = strom_error_set(err, STROM_EPARSE, "column %d: expected 'name TYPE [NOT NULL]'",
                                 ncol);
            break;
        }
        memcpy(item, start, len);
        item[len] = 0;
        char *sp = item;
        while (*sp && !isspace((unsigned char)*sp))
            sp++;
        if (!*sp) {
            rc = strom_error_set(err, STROM_EPARSE, "column %d '%s': no type", ncol, item);
            break;
        }
        *sp++ = 0;
        while (isspace((unsigned char)*sp))
            sp++;
        bool nullable = true;
        size_t tl = strlen(sp);
        if (tl > 8 && !strcasecmp(sp + tl - 8, "NOT NULL") && isspace((unsigned char)sp[tl - 9])) {
            nullable = false;
            tl -= 9;
        } else if (tl > 4 && !strcasecmp(sp + tl - 4, "NULL") && isspace((unsigned char)sp[tl - 5])) {
            tl -= 5;
        }
        while (tl && isspace((unsigned char)sp[tl - 1]))
            tl--;
        strom_type t;
        if ((rc = strom_type_parse(sp, tl, &t, err)) < 0 ||
            (rc = strom_schema_add(s, item, t, nullable, err)) < 0)
            strom_error_prefix(err, "column %d '%s'", ncol, item);
    }
    if (rc == 0 && strom_schema_ncols(s) == 0)
        rc = strom_error_set(err, STROM_EPARSE, "no columns");
    if (rc < 0) {
        strom_schema_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static bool want_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return true;
    return false;
}

/* ---- create-table ----------------------------------------------------------------------- */

static void create_table_usage(FILE *f)
{
    fprintf(f,
            "usage: strom create-table DB.TABLE --columns \"name TYPE [NOT NULL], ...\" [options]\n"
            "\n"
            "Creates a table (and its database, if it does not exist yet): a log table, or with\n"
            "--primary-key a primary-key table (upserts and deletes; its log is the changelog).\n"
            "\n"
            "options:\n"
            "  -c, --columns LIST        the schema: name TYPE [NOT NULL], comma separated; types:\n"
            "                            BOOLEAN TINYINT SMALLINT INT BIGINT FLOAT DOUBLE\n"
            "                            DECIMAL(p,s) STRING BYTES DATE TIME TIMESTAMP TIMESTAMP_LTZ\n"
            "  -b, --buckets N           buckets (parallel logs) of the table (default 1)\n"
            "  -k, --bucket-key COLS     columns whose values choose the bucket (default: none,\n"
            "                            batches go round robin)\n"
            "  -p, --partition-by COL    partition by a NOT NULL STRING/INT/BIGINT/DATE column;\n"
            "                            partitions are created on write\n"
            "      --partition-retention N  keep the newest N partitions\n"
            "      --retention AGE       delete log segments older than AGE (e.g. 7d, 12h)\n"
            "      --retention-bytes N   keep at most N bytes per bucket (e.g. 10g)\n"
            "      --segment-bytes N     roll log segments at N bytes (e.g. 256m)\n"
            "      --primary-key COLS    primary key (NOT NULL columns): rows are upserted and\n"
            "                            deleted by key (strom upsert/delete/lookup/scan); the\n"
            "                            bucket key defaults to the key minus the partition column\n"
            "      --merge-engine E      how a write meets the stored row: last_row (default),\n"
            "                            first_row, versioned (with --version-column), aggregate\n"
            "      --version-column COL  versioned: the row with the highest COL stays\n"
            "      --aggregate LIST      aggregate: COL=FUNCTION,... with sum, min, max, last,\n"
            "                            last_non_null (the default), first_non_null\n"
            "      --no-update-before    the changelog carries no -U rows (after-images only)\n"
            "      --tiering             copy the table into the lake (a Paimon table of Parquet\n"
            "                            files under the server's lake_dir; log tables)\n"
            "      --freshness AGE       how far the lake may lag the log (default: the server's\n"
            "                            tier_freshness, 60s)\n"
            "      --warehouse DIR       the table's lake warehouse, an absolute directory on the\n"
            "                            server (default: the server's lake_dir)\n"
            "      --if-not-exists       an existing table is not an error\n"
            "  -s, --server HOST:PORT    the server (default $STROM_SERVER or 127.0.0.1:7070)\n"
            "\n"
            "examples:\n"
            "  strom create-table market.trades --buckets 4 --bucket-key sym \\\n"
            "      --columns \"ts TIMESTAMP NOT NULL, sym STRING NOT NULL, price DECIMAL(10,2), qty INT\"\n"
            "  strom create-table shop.stock --primary-key item --buckets 4 \\\n"
            "      --columns \"item STRING NOT NULL, qty BIGINT, updated TIMESTAMP\"\n"
            "  strom create-table shop.totals --primary-key day,item --merge-engine aggregate \\\n"
            "      --aggregate qty=sum,last_sale=max \\\n"
            "      --columns \"day DATE NOT NULL, item STRING NOT NULL, qty BIGINT, last_sale TIMESTAMP\"\n");
}

/* "col=fn,col=fn" into d->agg (every column; unnamed ones last_non_null). */
static int parse_aggregates(const char *text, strom_table_desc *d, strom_error *err)
{
    int n = strom_schema_ncols(d->schema);
    if (!(d->agg = calloc((size_t)n, 1)))
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    d->nagg = n;
    char *copy = strdup(text), *save = NULL;
    int rc = copy ? 0 : strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (char *item = copy ? strtok_r(copy, ",", &save) : NULL; item && rc == 0;
         item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        while (*item == ' ')
            item++;
        if (!eq)
            rc = strom_error_set(err, STROM_EINVAL, "'%s' is not COLUMN=FUNCTION", item);
        else {
            *eq = 0;
            char *fn = eq + 1;
            size_t l = strlen(item);
            while (l && item[l - 1] == ' ')
                item[--l] = 0;
            while (*fn == ' ')
                fn++;
            int c = strom_schema_find(d->schema, item, strlen(item));
            strom_agg_fn f;
            if (c < 0)
                rc = strom_error_set(err, STROM_ENOTFOUND, "no column '%s'", item);
            else if (strom_agg_fn_parse(fn, &f) != 0)
                rc = strom_error_set(err, STROM_EINVAL, "'%s' is not sum, min, max, last, "
                                     "last_non_null or first_non_null", fn);
            else
                d->agg[c] = (uint8_t)f;
        }
    }
    free(copy);
    return rc;
}

int cli_cmd_create_table(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"columns", required_argument, NULL, 'c'},   {"buckets", required_argument, NULL, 'b'},
        {"bucket-key", required_argument, NULL, 'k'}, {"partition-by", required_argument, NULL, 'p'},
        {"partition-retention", required_argument, NULL, 'P'},
        {"retention", required_argument, NULL, 'r'}, {"retention-bytes", required_argument, NULL, 'R'},
        {"segment-bytes", required_argument, NULL, 'S'}, {"if-not-exists", no_argument, NULL, 'i'},
        {"primary-key", required_argument, NULL, 'K'}, {"merge-engine", required_argument, NULL, 'E'},
        {"version-column", required_argument, NULL, 'V'}, {"aggregate", required_argument, NULL, 'A'},
        {"no-update-before", no_argument, NULL, 'N'},
        {"tiering", no_argument, NULL, 'T'}, {"freshness", required_argument, NULL, 'F'},
        {"warehouse", required_argument, NULL, 'W'},
        {"server", required_argument, NULL, 's'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = "create-table", *columns = NULL, *key = NULL, *pcol = NULL, *server = NULL,
               *pk = NULL, *vcol = NULL, *agg = NULL;
    strom_table_desc d;
    strom_table_desc_init(&d);
    bool ine = false;
    int64_t v;
    int o;
    strom_error err;
    optind = 1;
    while ((o = getopt_long(argc, argv, "c:b:k:p:s:h", longopts, NULL)) != -1) {
        switch (o) {
        case 'c': columns = optarg; break;
        case 'k': key = optarg; break;
        case 'p': pcol = optarg; break;
        case 's': server = optarg; break;
        case 'i': ine = true; break;
        case 'K': pk = optarg; break;
        case 'V': vcol = optarg; break;
        case 'A': agg = optarg; break;
        case 'N': d.no_update_before = true; break;
        case 'T': d.tiering = true; break;
        case 'W':
            if (strlen(optarg) >= sizeof d.warehouse)
                return fprintf(stderr, "strom %s: --warehouse is too long\n", cmd), 2;
            snprintf(d.warehouse, sizeof d.warehouse, "%s", optarg);
            break;
        case 'F':
            if (!strom_parse_scaled(optarg, true, &v) || v < 100)
                return fprintf(stderr, "strom %s: --freshness '%s' is not a duration of at least "
                               "100ms (e.g. 30s, 5m)\n", cmd, optarg), 2;
            d.tier_freshness_ms = v;
            break;
        case 'E':
            if (strom_merge_engine_parse(optarg, &d.merge_engine) != 0)
                return fprintf(stderr, "strom %s: --merge-engine '%s' is not last_row, first_row, "
                               "versioned or aggregate\n", cmd, optarg), 2;
            break;
        case 'b':
            if (!cli_parse_i64(optarg, 1, STROM_MAX_BUCKETS, &v))
                return fprintf(stderr, "strom %s: --buckets '%s' is not in 1..%d\n", cmd, optarg,
                               STROM_MAX_BUCKETS), 2;
            d.buckets = (uint32_t)v;
            break;
        case 'P':
            if (!cli_parse_i64(optarg, 0, 1000000, &v))
                return fprintf(stderr, "strom %s: --partition-retention '%s' is not a count\n",
                               cmd, optarg), 2;
            d.partition_retention = (int32_t)v;
            break;
        case 'r':
        case 'R':
        case 'S':
            if (!strom_parse_scaled(optarg, o == 'r', &v))
                return fprintf(stderr, "strom %s: '%s' is not a %s\n", cmd, optarg,
                               o == 'r' ? "duration (7d, 12h, 30m, 10s)" : "size (64m, 10g)"), 2;
            if (o == 'r')
                d.retention_ms = v;
            else if (o == 'R')
                d.retention_bytes = v;
            else
                d.segment_bytes = v;
            break;
        case 'h': create_table_usage(stdout); return 0;
        default: create_table_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !columns) {
        create_table_usage(stderr);
        return 2;
    }
    if (strom_table_name_parse(argv[optind], d.database, d.table, &err) < 0)
        return cli_fail(cmd, &err, "table name");
    if (cli_parse_schema(columns, &d.schema, &err) < 0)
        return cli_fail(cmd, &err, "--columns");
    if (key && cli_parse_columns(key, d.schema, &d.bucket_key, &d.nbucket_key, &err) < 0) {
        strom_table_desc_free(&d);
        return cli_fail(cmd, &err, "--bucket-key");
    }
    if (pcol && (d.partition_col = strom_schema_find(d.schema, pcol, strlen(pcol))) < 0) {
        strom_table_desc_free(&d);
        return fprintf(stderr, "strom %s: --partition-by: no column '%s'\n", cmd, pcol), 1;
    }
    if (pk && cli_parse_columns(pk, d.schema, &d.pk, &d.npk, &err) < 0) {
        strom_table_desc_free(&d);
        return cli_fail(cmd, &err, "--primary-key");
    }
    if (vcol && (d.version_col = strom_schema_find(d.schema, vcol, strlen(vcol))) < 0) {
        strom_table_desc_free(&d);
        return fprintf(stderr, "strom %s: --version-column: no column '%s'\n", cmd, vcol), 1;
    }
    if (agg && parse_aggregates(agg, &d, &err) < 0) {
        strom_table_desc_free(&d);
        return cli_fail(cmd, &err, "--aggregate");
    }
    strom_client *c;
    if (cli_connect(cmd, cli_server_addr(server), &c)) {
        strom_table_desc_free(&d);
        return 1;
    }
    int rc = strom_create_database(c, d.database, true, &err);
    if (rc == 0)
        rc = strom_create_table(c, &d, ine, &err);
    if (rc == 0)
        printf("created %stable %s.%s (id %" PRIu64 ", %d columns, %u bucket%s)\n",
               d.npk ? "primary-key " : "", d.database, d.table, d.table_id,
               strom_schema_ncols(d.schema), d.buckets, d.buckets == 1 ? "" : "s");
    strom_client_close(c);
    strom_table_desc_free(&d);
    return rc < 0 ? cli_fail(cmd, &err, "create table") : 0;
}

/* ---- the small ones ------------------------------------------------------------------------ */

static int simple_usage(const char *cmd, const char *args, const char *what, bool err)
{
    fprintf(err ? stderr : stdout,
            "usage: strom %s %s [--server HOST:PORT]\n\n%s\n\n"
            "  -s, --server HOST:PORT  the server (default $STROM_SERVER or 127.0.0.1:7070)\n",
            cmd, args, what);
    return err ? 2 : 0;
}

/* Parses [--server X] [--if-exists] and the positional arguments of a simple command. */
static int simple_args(int argc, char **argv, const char **server, bool *flag, char **pos,
                       int npos)
{
    int k = 0;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "--server") || !strcmp(argv[i], "-s")) && i + 1 < argc)
            *server = argv[++i];
        else if (!strncmp(argv[i], "--server=", 9))
            *server = argv[i] + 9;
        else if (flag && (!strcmp(argv[i], "--if-exists") || !strcmp(argv[i], "--if-not-exists")))
            *flag = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return -1;
        else if (k < npos)
            pos[k++] = argv[i];
        else
            return -1;
    }
    return k == npos ? 0 : -1;
}

static void print_names(char **names, int n, const char *none)
{
    if (n == 0)
        fprintf(stderr, "%s\n", none);
    for (int i = 0; i < n; i++)
        printf("%s\n", names[i]);
}

int cli_cmd_databases(int argc, char **argv)
{
    const char *server = NULL, *cmd = "databases";
    if (want_help(argc, argv))
        return simple_usage(cmd, "", "Lists the databases.", false);
    if (simple_args(argc, argv, &server, NULL, NULL, 0) < 0)
        return simple_usage(cmd, "", "Lists the databases.", true);
    strom_client *c;
    strom_error err;
    if (cli_connect(cmd, cli_server_addr(server), &c))
        return 1;
    char **names;
    int n;
    int rc = strom_list_databases(c, &names, &n, &err);
    strom_client_close(c);
    if (rc < 0)
        return cli_fail(cmd, &err, "list databases");
    print_names(names, n, "(no databases)");
    strom_free_names(names, n);
    return 0;
}

/* create-database and drop-database: DB and one --if-... flag, then one call. */
static int database_command(int argc, char **argv, const char *cmd, const char *usage,
                            const char *what,
                            int (*fn)(strom_client *, const char *, bool, strom_error *))
{
    const char *server = NULL;
    char *pos[1];
    bool flag = false;
    if (want_help(argc, argv))
        return simple_usage(cmd, usage, what, false);
    if (simple_args(argc, argv, &server, &flag, pos, 1) < 0)
        return simple_usage(cmd, usage, what, true);
    strom_client *c;
    strom_error err;
    if (cli_connect(cmd, cli_server_addr(server), &c))
        return 1;
    int rc = fn(c, pos[0], flag, &err);
    strom_client_close(c);
    return rc < 0 ? cli_fail(cmd, &err, "%s", pos[0]) : 0;
}

int cli_cmd_create_database(int argc, char **argv)
{
    return database_command(argc, argv, "create-database", "DB [--if-not-exists]",
                            "Creates a database.", strom_create_database);
}

int cli_cmd_drop_database(int argc, char **argv)
{
    return database_command(argc, argv, "drop-database", "DB [--if-exists]",
                            "Drops an empty database (drop its tables first).",
                            strom_drop_database);
}

int cli_cmd_tables(int argc, char **argv)
{
    const char *server = NULL, *cmd = "tables", *what = "Lists the tables of a database.";
    char *pos[1];
    if (want_help(argc, argv))
        return simple_usage(cmd, "DB", what, false);
    if (simple_args(argc, argv, &server, NULL, pos, 1) < 0)
        return simple_usage(cmd, "DB", what, true);
    strom_client *c;
    strom_error err;
    if (cli_connect(cmd, cli_server_addr(server), &c))
        return 1;
    char **names;
    int n;
    int rc = strom_list_tables(c, pos[0], &names, &n, &err);
    strom_client_close(c);
    if (rc < 0)
        return cli_fail(cmd, &err, "%s", pos[0]);
    print_names(names, n, "(no tables)");
    strom_free_names(names, n);
    return 0;
}

int cli_cmd_drop_table(int argc, char **argv)
{
    const char *server = NULL, *cmd = "drop-table",
               *what = "Drops a table and deletes its data.";
    char *pos[1], db[STROM_IDENT_MAX + 1], tb[STROM_IDENT_MAX + 1];
    bool ie = false;
    if (want_help(argc, argv))
        return simple_usage(cmd, "DB.TABLE [--if-exists]", what, false);
    if (simple_args(argc, argv, &server, &ie, pos, 1) < 0)
        return simple_usage(cmd, "DB.TABLE [--if-exists]", what, true);
    strom_error err;
    if (strom_table_name_parse(pos[0], db, tb, &err) < 0)
        return cli_fail(cmd, &err, "table name");
    strom_client *c;
    if (cli_connect(cmd, cli_server_addr(server), &c))
        return 1;
    int rc = strom_drop_table(c, db, tb, ie, &err);
    strom_client_close(c);
    if (rc < 0)
        return cli_fail(cmd, &err, "%s", pos[0]);
    printf("dropped %s\n", pos[0]);
    return 0;
}

int cli_cmd_add_column(int argc, char **argv)
{
    const char *server = NULL, *cmd = "add-column",
               *what = "Adds a nullable column to a table (rows written before read it as "
                       "NULL).\nexample: strom add-column market.trades \"venue STRING\"";
    char *pos[2], db[STROM_IDENT_MAX + 1], tb[STROM_IDENT_MAX + 1];
    if (want_help(argc, argv))
        return simple_usage(cmd, "DB.TABLE \"name TYPE\"", what, false);
    if (simple_args(argc, argv, &server, NULL, pos, 2) < 0)
        return simple_usage(cmd, "DB.TABLE \"name TYPE\"", what, true);
    strom_error err;
    strom_schema *s;
    if (strom_table_name_parse(pos[0], db, tb, &err) < 0)
        return cli_fail(cmd, &err, "table name");
    if (cli_parse_schema(pos[1], &s, &err) < 0)
        return cli_fail(cmd, &err, "column");
    if (strom_schema_ncols(s) != 1 || !strom_schema_col_nullable(s, 0)) {
        strom_schema_free(s);
        return fprintf(stderr, "strom %s: give one nullable column: \"name TYPE\"\n", cmd), 2;
    }
    strom_client *c;
    if (cli_connect(cmd, cli_server_addr(server), &c)) {
        strom_schema_free(s);
        return 1;
    }
    uint32_t id = 0;
    int rc = strom_add_column(c, db, tb, strom_schema_col_name(s, 0), strom_schema_col_type(s, 0),
                              &id, &err);
    strom_client_close(c);
    strom_schema_free(s);
    if (rc < 0)
        return cli_fail(cmd, &err, "%s", pos[0]);
    printf("added column to %s (schema version %u)\n", pos[0], id);
    return 0;
}

int cli_cmd_tiering(int argc, char **argv)
{
    const char *server = NULL, *cmd = "tiering", *fresh = NULL;
    const char *what = "Turns tiering into the lake on or off for a log table: the server copies\n"
                       "the log into a Paimon table (Parquet files) under its lake_dir, which\n"
                       "other engines read; strom query reads lake and log as one table.\n"
                       "options: --freshness AGE (how far the lake may lag, e.g. 30s)\n"
                       "example: strom tiering market.trades on --freshness 30s";
    char *pos[2], db[STROM_IDENT_MAX + 1], tb[STROM_IDENT_MAX + 1];
    if (want_help(argc, argv))
        return simple_usage(cmd, "DB.TABLE on|off [--freshness AGE]", what, false);
    /* --freshness is taken out before the common argument parser sees the rest */
    char *args[16];
    int n = 0;
    for (int i = 0; i < argc && n < 15; i++) {
        if (!strcmp(argv[i], "--freshness") && i + 1 < argc) {
            fresh = argv[++i];
            continue;
        }
        args[n++] = argv[i];
    }
    args[n] = NULL;
    if (simple_args(n, args, &server, NULL, pos, 2) < 0 ||
        (strcmp(pos[1], "on") != 0 && strcmp(pos[1], "off") != 0))
        return simple_usage(cmd, "DB.TABLE on|off [--freshness AGE]", what, true);
    int64_t ms = 0;
    if (fresh && (!strom_parse_scaled(fresh, true, &ms) || ms < 100))
        return fprintf(stderr, "strom %s: --freshness '%s' is not a duration of at least 100ms\n",
                       cmd, fresh), 2;
    strom_error err;
    if (strom_table_name_parse(pos[0], db, tb, &err) < 0)
        return cli_fail(cmd, &err, "table name");
    strom_client *c;
    if (cli_connect(cmd, cli_server_addr(server), &c))
        return 1;
    int rc = strom_set_tiering(c, db, tb, !strcmp(pos[1], "on"), ms, &err);
    strom_client_close(c);
    if (rc < 0)
        return cli_fail(cmd, &err, "%s", pos[0]);
    printf("tiering %s for %s\n", pos[1], pos[0]);
    return 0;
}

/* One tiering run in this process: the log read through libstrom from where the lake's
 * newest snapshot ends, Parquet files and a snapshot written into the table's lake directory
 * (which this process must see at the same path). */
static int tier_here(const char *addr, const char *db, const char *tb, strom_tier_info *ti,
                     strom_error *err)
{
    memset(ti, 0, sizeof *ti);
    strom_client *c;
    strom_table_desc d;
    strom_table_desc_init(&d);
    int rc = strom_client_connect(addr, NULL, &c, err);
    if (rc == 0) {
        rc = strom_get_table(c, db, tb, &d, err);
        strom_client_close(c);
    }
    if (rc == 0 && !d.lake_dir[0])
        rc = strom_error_set(err, STROM_ESTATE, "the server has no lake directory");
    strom_lake *lk = NULL;
    strom_tier_stream *ts = NULL;
    strom_scanner *sc = NULL;
    cl_start *starts = NULL;
    uint8_t *changes = NULL;
    if (rc == 0)
        rc = strom_lake_open(d.lake_dir, true, &lk, err);
    strom_tier_opts o;
    strom_tier_opts_default(&o);
    o.parquet.row_group_rows = 65536; /* a file per bucket is open at once: bounded memory */
    o.commit_user = "strom-tier";
    if (rc == 0)
        rc = strom_tier_stream_begin(lk, &d, &o, &ts, err);
    const strom_tier_source *src = NULL;
    int n = rc == 0 ? strom_tier_stream_offsets(ts, &src) : 0;
    if (rc == 0 && !(starts = calloc((size_t)n + 1, sizeof *starts)))
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < n; i++) {
        snprintf(starts[i].partition, sizeof starts[i].partition, "%s", src[i].partition);
        starts[i].bucket = src[i].bucket;
        starts[i].offset = src[i].tiered;
    }
    /* a bucket whose log ends below the lake's offset belongs to a partition dropped and
     * written again: its new log is tiered from its start */
    strom_client *oc = NULL;
    if (rc == 0 && n > 0)
        rc = strom_client_connect(addr, NULL, &oc, err);
    for (int i = 0; rc == 0 && i < n; i++) {
        int64_t hw = 0;
        if (strom_list_offset(oc, &d, starts[i].partition, starts[i].bucket,
                              STROM_OFFSET_SPEC_LATEST, &hw, NULL) == 0 &&
            starts[i].offset > hw) {
            starts[i].offset = 0;
            rc = strom_tier_stream_reset(ts, starts[i].partition, starts[i].bucket, 0);
        }
    }
    strom_client_close(oc);
    strom_scan_opts so;
    strom_scan_opts_default(&so);
    if (rc == 0)
        rc = cl_scanner_open_at(addr, NULL, db, tb, &so, starts, n, &sc, err);
    strom_result *r;
    int k = 0;
    while (rc == 0 && (k = strom_scanner_next(sc, &r, err)) == 1) {
        int64_t rows = strom_result_rows(r);
        uint8_t *nc = d.npk > 0 ? realloc(changes, (size_t)rows + 1) : changes;
        if (d.npk > 0 && !nc) {
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        } else {
            changes = nc;
            for (int64_t i = 0; d.npk > 0 && i < rows; i++)
                changes[i] = (uint8_t)strom_result_change(r, i);
            rc = strom_tier_stream_add(ts, strom_result_partition(r), strom_result_bucket(r),
                                       cl_result_batch(r), d.npk > 0 ? changes : NULL,
                                       strom_result_base_offset(r), err);
        }
        strom_result_free(r);
    }
    if (rc == 0 && k < 0)
        rc = k;
    strom_tier_result res;
    if (rc == 0 && (rc = strom_tier_stream_commit(ts, &res, err)) == 0) {
        ti->snapshot_id = res.snapshot_id;
        ti->rows = res.rows;
        ti->files = res.files;
        ti->bytes_written = res.bytes_written;
    }
    if (sc) {
        uint64_t got, full;
        strom_scanner_bytes(sc, &got, &full);
        ti->bytes_read = got;
    }
    strom_scanner_close(sc);
    strom_tier_stream_free(ts);
    strom_lake_close(lk);
    free(starts);
    free(changes);
    strom_table_desc_free(&d);
    return rc;
}

int cli_cmd_tier(int argc, char **argv)
{
    const char *server = NULL, *cmd = "tier", *every = NULL;
    const char *what = "Runs tiering for a table now and prints what it copied into the lake. By\n"
                       "default the server runs it (it also tiers by itself, about twice per\n"
                       "freshness interval). With --local this process does it: it reads the\n"
                       "log through the protocol and writes the Parquet files and the snapshot\n"
                       "into the table's lake directory, which it must see at the same path\n"
                       "(set tier_service = external in stromd to leave tiering to it).\n"
                       "options: --local, --every AGE (with --local: again and again, e.g. 30s;\n"
                       "Ctrl-C stops)\n"
                       "examples: strom tier market.trades\n"
                       "          strom tier market.trades --local --every 30s";
    char *pos[1], db[STROM_IDENT_MAX + 1], tb[STROM_IDENT_MAX + 1];
    if (want_help(argc, argv))
        return simple_usage(cmd, "DB.TABLE [--local [--every AGE]]", what, false);
    char *args[16];
    int n = 0;
    bool local = false;
    for (int i = 0; i < argc && n < 15; i++) {
        if (!strcmp(argv[i], "--local")) {
            local = true;
            continue;
        }
        if (!strcmp(argv[i], "--every") && i + 1 < argc) {
            every = argv[++i];
            continue;
        }
        args[n++] = argv[i];
    }
    args[n] = NULL;
    if (simple_args(n, args, &server, NULL, pos, 1) < 0)
        return simple_usage(cmd, "DB.TABLE [--local [--every AGE]]", what, true);
    int64_t every_ms = 0;
    if (every && (!local || !strom_parse_scaled(every, true, &every_ms) || every_ms < 100))
        return fprintf(stderr, "strom %s: --every needs --local and a duration of at least "
                       "100ms (e.g. 30s)\n", cmd), 2;
    strom_error err;
    if (strom_table_name_parse(pos[0], db, tb, &err) < 0)
        return cli_fail(cmd, &err, "table name");
    for (;;) {
        strom_tier_info ti;
        int rc;
        if (local) {
            rc = tier_here(cli_server_addr(server), db, tb, &ti, &err);
        } else {
            strom_client *c;
            if (cli_connect(cmd, cli_server_addr(server), &c))
                return 1;
            rc = strom_tier_now(c, db, tb, &ti, &err);
            strom_client_close(c);
        }
        if (rc < 0)
            return cli_fail(cmd, &err, "%s", pos[0]);
        if (ti.snapshot_id == 0)
            printf("%s: nothing new to tier\n", pos[0]);
        else
            printf("%s: lake snapshot %" PRId64 ": %" PRId64 " rows in %" PRId64 " files, %"
                   PRIu64 " log bytes read, %" PRIu64 " Parquet bytes written\n", pos[0],
                   ti.snapshot_id, ti.rows, ti.files, ti.bytes_read, ti.bytes_written);
        fflush(stdout);
        if (!every_ms)
            return 0;
        struct timespec ts = {every_ms / 1000, (every_ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
}

int cli_cmd_partition(int argc, char **argv)
{
    bool create = !strcmp(argv[0], "create-partition");
    const char *server = NULL, *cmd = argv[0],
               *what = create ? "Creates a partition ahead of time (writes create them too)."
                              : "Drops a partition and deletes its data.";
    char *pos[2], db[STROM_IDENT_MAX + 1], tb[STROM_IDENT_MAX + 1];
    bool flag = false;
    if (want_help(argc, argv))
        return simple_usage(cmd, "DB.TABLE VALUE", what, false);
    if (simple_args(argc, argv, &server, &flag, pos, 2) < 0)
        return simple_usage(cmd, "DB.TABLE VALUE", what, true);
    strom_error err;
    if (strom_table_name_parse(pos[0], db, tb, &err) < 0)
        return cli_fail(cmd, &err, "table name");
    strom_client *c;
    if (cli_connect(cmd, cli_server_addr(server), &c))
        return 1;
    int rc = create ? strom_create_partition(c, db, tb, pos[1], flag, &err)
                    : strom_drop_partition(c, db, tb, pos[1], flag, &err);
    strom_client_close(c);
    return rc < 0 ? cli_fail(cmd, &err, "%s %s", pos[0], pos[1]) : 0;
}

/* ---- describe and offsets -------------------------------------------------------------------- */

/* The offsets table of every partition and bucket: earliest and latest, or (at) the offset
 * for `spec`. */
static int print_offsets(strom_client *c, const strom_table_desc *d, bool at, int64_t spec,
                         strom_error *err)
{
    if (at)
        printf("%-16s %6s %14s\n", "partition", "bucket", "offset");
    else
        printf("%-16s %6s %14s %14s\n", "partition", "bucket", "earliest", "latest");
    int rc = 0, nparts = d->partition_col >= 0 ? d->npartitions : 1;
    for (int p = 0; p < nparts && rc == 0; p++)
        for (uint32_t b = 0; b < d->buckets && rc == 0; b++) {
            const char *part = d->partition_col >= 0 ? d->partitions[p] : "";
            int64_t lo = 0, hi = 0;
            if (at) {
                if ((rc = strom_list_offset(c, d, part, b, spec, &lo, err)) == 0)
                    printf("%-16s %6u %14" PRId64 "\n", part[0] ? part : "-", b, lo);
            } else if ((rc = strom_list_offset(c, d, part, b, STROM_OFFSET_SPEC_EARLIEST, &lo,
                                               err)) == 0 &&
                       (rc = strom_list_offset(c, d, part, b, STROM_OFFSET_SPEC_LATEST, &hi,
                                               err)) == 0) {
                printf("%-16s %6u %14" PRId64 " %14" PRId64 "\n", part[0] ? part : "-", b, lo, hi);
            }
        }
    return rc;
}

int cli_cmd_describe(int argc, char **argv)
{
    const char *server = NULL, *cmd = "describe",
               *what = "Shows a table: columns, buckets, partitions, storage settings, and the\n"
                       "offsets of every bucket.";
    char *pos[1], db[STROM_IDENT_MAX + 1], tb[STROM_IDENT_MAX + 1];
    if (want_help(argc, argv))
        return simple_usage(cmd, "DB.TABLE", what, false);
    if (simple_args(argc, argv, &server, NULL, pos, 1) < 0)
        return simple_usage(cmd, "DB.TABLE", what, true);
    strom_error err;
    if (strom_table_name_parse(pos[0], db, tb, &err) < 0)
        return cli_fail(cmd, &err, "table name");
    strom_client *c;
    if (cli_connect(cmd, cli_server_addr(server), &c))
        return 1;
    strom_table_desc d;
    int rc = strom_get_table(c, db, tb, &d, &err);
    if (rc < 0) {
        strom_client_close(c);
        return cli_fail(cmd, &err, "%s", pos[0]);
    }
    printf("table    %s.%s (id %" PRIu64 ", schema version %u)\n", d.database, d.table,
           d.table_id, strom_schema_id(d.schema));
    printf("columns\n");
    for (int i = 0; i < strom_schema_ncols(d.schema); i++) {
        char t[48];
        printf("  %-24s %s%s\n", strom_schema_col_name(d.schema, i),
               strom_type_format(strom_schema_col_type(d.schema, i), t, sizeof t),
               strom_schema_col_nullable(d.schema, i) ? "" : " NOT NULL");
    }
    printf("buckets  %u", d.buckets);
    for (int i = 0; i < d.nbucket_key; i++)
        printf("%s%s", i ? ", " : " by ", strom_schema_col_name(d.schema, d.bucket_key[i]));
    printf("\n");
    if (d.partition_col >= 0)
        printf("partitioned by %s (%d partition%s%s)\n",
               strom_schema_col_name(d.schema, d.partition_col), d.npartitions,
               d.npartitions == 1 ? "" : "s", d.partition_retention ? ", newest kept" : "");
    if (d.npk > 0) {
        printf("primary key");
        for (int i = 0; i < d.npk; i++)
            printf("%s%s", i ? ", " : " ", strom_schema_col_name(d.schema, d.pk[i]));
        printf("; merge engine %s", strom_merge_engine_name(d.merge_engine));
        if (d.version_col >= 0)
            printf(" by %s", strom_schema_col_name(d.schema, d.version_col));
        for (int i = 0, n = 0; i < d.nagg; i++)
            if (d.agg[i] != STROM_AGG_LAST_NON_NULL)
                printf("%s%s=%s", n++ ? "," : " (", strom_schema_col_name(d.schema, i),
                       strom_agg_fn_name((strom_agg_fn)d.agg[i]));
        for (int i = 0; i < d.nagg; i++)
            if (d.agg[i] != STROM_AGG_LAST_NON_NULL) {
                printf(")");
                break;
            }
        printf("%s\n", d.no_update_before ? "; changelog without -U" : "");
    }
    if (d.tiering && d.tier_freshness_ms)
        printf("tiering  on, freshness %" PRId64 " ms; lake table %s\n", d.tier_freshness_ms,
               d.lake_dir);
    else if (d.tiering)
        printf("tiering  on (the server's freshness); lake table %s\n", d.lake_dir);
    if (d.retention_ms || d.retention_bytes || d.segment_bytes)
        printf("storage  retention %" PRId64 " ms, %" PRId64 " bytes; segments %" PRId64
               " bytes (0 = server default)\n",
               d.retention_ms, d.retention_bytes, d.segment_bytes);
    printf("\n");
    rc = print_offsets(c, &d, false, 0, &err);
    strom_table_desc_free(&d);
    strom_client_close(c);
    return rc < 0 ? cli_fail(cmd, &err, "offsets") : 0;
}

int cli_cmd_offsets(int argc, char **argv)
{
    const char *cmd = "offsets";
    const char *server = NULL, *at = NULL;
    char *pos[1] = {NULL};
    int k = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: strom offsets DB.TABLE [--at earliest|latest|TIMESTAMP] [--server H:P]\n"
                   "\nPrints, per partition and bucket, the earliest and latest offsets, or with\n"
                   "--at the offset of the first record committed at or after TIMESTAMP (ISO 8601\n"
                   "like 2026-12-01T10:00:00Z, or milliseconds since the epoch).\n");
            return 0;
        }
        if ((!strcmp(argv[i], "--server") || !strcmp(argv[i], "-s")) && i + 1 < argc)
            server = argv[++i];
        else if (!strcmp(argv[i], "--at") && i + 1 < argc)
            at = argv[++i];
        else if (argv[i][0] != '-' && k < 1)
            pos[k++] = argv[i];
        else
            return fprintf(stderr, "strom %s: unexpected '%s' (see --help)\n", cmd, argv[i]), 2;
    }
    if (k != 1)
        return fprintf(stderr, "usage: strom offsets DB.TABLE [--at ...]\n"), 2;
    int64_t spec = 0;
    int kind = 0;
    strom_error err;
    if (at && cli_parse_start(at, &kind, &spec, &err) < 0)
        return cli_fail(cmd, &err, "--at");
    if (at && kind == STROM_START_EARLIEST)
        spec = STROM_OFFSET_SPEC_EARLIEST;
    else if (at && kind == STROM_START_LATEST)
        spec = STROM_OFFSET_SPEC_LATEST; /* an integer is taken as milliseconds */
    char db[STROM_IDENT_MAX + 1], tb[STROM_IDENT_MAX + 1];
    if (strom_table_name_parse(pos[0], db, tb, &err) < 0)
        return cli_fail(cmd, &err, "table name");
    strom_client *c;
    if (cli_connect(cmd, cli_server_addr(server), &c))
        return 1;
    strom_table_desc d;
    int rc = strom_get_table(c, db, tb, &d, &err);
    if (rc == 0) {
        rc = print_offsets(c, &d, at != NULL, spec, &err);
        strom_table_desc_free(&d);
    }
    strom_client_close(c);
    return rc < 0 ? cli_fail(cmd, &err, "%s", pos[0]) : 0;
}
