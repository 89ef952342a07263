/*
 * main.c: the `strom` command: dispatch to a subcommand, global help and version.
 *
 * Until the server and client library exist, the subcommands are codec tools over Arrow IPC
 * files (stream or file format). Every subcommand answers --help. Exit status: 0 success,
 * 1 failure (one line on stderr saying what and where), 2 usage error.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "strom/strom.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_cmds[] = {
    {"create-table", cli_cmd_create_table, "create a log or primary-key table (and its database)"},
    {"tables", cli_cmd_tables, "list the tables of a database"},
    {"describe", cli_cmd_describe, "show a table: columns, buckets, partitions, offsets"},
    {"drop-table", cli_cmd_drop_table, "drop a table and its data"},
    {"add-column", cli_cmd_add_column, "add a nullable column to a table"},
    {"produce", cli_cmd_produce, "write rows from CSV, JSON Lines or Arrow into a table"},
    {"consume", cli_cmd_consume, "read a table: columns, filter, start position, follow"},
    {"query", cli_cmd_query, "SELECT ... FROM a table: lake and live log as one, batch or follow"},
    {"upsert", cli_cmd_upsert, "upsert rows into a primary-key table"},
    {"delete", cli_cmd_delete, "delete keys from a primary-key table"},
    {"lookup", cli_cmd_lookup, "rows of a primary-key table by key (or key prefix)"},
    {"scan", cli_cmd_scan, "the current state of a primary-key table, then its changes"},
    {"tiering", cli_cmd_tiering, "turn tiering into the lake (Paimon) on or off for a table"},
    {"tier", cli_cmd_tier, "run tiering for a table now"},
    {"offsets", cli_cmd_offsets, "earliest/latest offsets, or the offset at a time"},
    {"create-database", cli_cmd_create_database, "create a database"},
    {"databases", cli_cmd_databases, "list the databases"},
    {"drop-database", cli_cmd_drop_database, "drop an empty database"},
    {"create-partition", cli_cmd_partition, "create a partition of a partitioned table"},
    {"drop-partition", cli_cmd_partition, "drop a partition and its data"},
    {"gen", cli_cmd_gen, "write a demo table (every strom type) as an Arrow stream or file"},
    {"cat", cli_cmd_cat, "read an Arrow stream or file: print, project, filter, show stats"},
    {"demo", cli_cmd_demo, "the codec end to end: encode, compress, project, filter"},
};

static void cli_usage(FILE *f)
{
    fprintf(f,
            "strom %s: a streaming storage server that treats streams as tables.\n"
            "\n"
            "usage: strom <command> [options]\n"
            "\n"
            "commands:\n",
            STROM_VERSION_STRING);
    for (size_t i = 0; i < sizeof cli_cmds / sizeof cli_cmds[0]; i++)
        fprintf(f, "  %-16s %s\n", cli_cmds[i].name, cli_cmds[i].summary);
    fprintf(f,
            "\n"
            "`strom <command> --help` describes a command. Server commands reach stromd at\n"
            "--server HOST:PORT, else $STROM_SERVER, else 127.0.0.1:7070. gen, cat and demo\n"
            "work on Arrow files and need no server.\n"
            "\n"
            "examples:\n"
            "  strom create-table market.trades --columns \"sym STRING NOT NULL, price DOUBLE\"\n"
            "  printf 'sym,price\\nABC,12.5\\nXYZ,7\\n' | strom produce market.trades\n"
            "  strom consume market.trades --columns price --where \"price > 10\" --stats\n"
            "  strom consume market.trades --from latest --follow --format jsonl\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            char help[] = "--help";
            char *args[] = {argv[2], help, NULL};
            for (size_t i = 0; i < sizeof cli_cmds / sizeof cli_cmds[0]; i++)
                if (strcmp(argv[2], cli_cmds[i].name) == 0)
                    return cli_cmds[i].run(2, args);
        }
        cli_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("strom %s\n", STROM_VERSION_STRING);
        return 0;
    }
    for (size_t i = 0; i < sizeof cli_cmds / sizeof cli_cmds[0]; i++)
        if (strcmp(argv[1], cli_cmds[i].name) == 0)
            return cli_cmds[i].run(argc - 1, argv + 1);
    fprintf(stderr, "strom: unknown command '%s' (try `strom --help`)\n", argv[1]);
    return 2;
}
