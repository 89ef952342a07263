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
        fprintf(f, "  %-6s %s\n", cli_cmds[i].name, cli_cmds[i].summary);
    fprintf(f,
            "\n"
            "`strom <command> --help` describes a command. The server commands arrive with\n"
            "the server; today strom offers its Arrow columnar codec as tools.\n"
            "\n"
            "examples:\n"
            "  strom gen --rows 100000 --codec zstd -o trades.arrows\n"
            "  strom cat trades.arrows --columns sym,price --where \"price > 6500\" --stats\n"
            "  strom demo\n");
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
