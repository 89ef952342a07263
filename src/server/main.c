/*
 * main.c: stromd, the strom server. Configuration comes from defaults, then a config file
 * (--config), then flags; see docs/operations.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/server.h"
#include "server/slog.h"
#include "strom/strom.h"

static void usage(FILE *f)
{
    fprintf(f,
            "stromd %s: the strom server (log tables over the network, with projection and\n"
            "filter pushdown).\n"
            "\n"
            "usage: stromd [options]\n"
            "\n"
            "options (override the config file, which overrides the defaults):\n"
            "  -c, --config FILE      read `key = value` lines from FILE\n"
            "  -d, --data-dir DIR     where the catalog and the logs live (default strom-data)\n"
            "  -l, --listen HOST:PORT address to listen on (default 127.0.0.1:7070; port 0 picks\n"
            "                         a free port and prints it)\n"
            "      --fsync POLICY     always (default: acknowledge after fsync, group commit),\n"
            "                         interval (fsync every fsync_interval), never\n"
            "  -w, --workers N        threads for disk work (default 8)\n"
            "      --log-level LEVEL  debug, info (default), warn, error\n"
            "  -s, --set KEY=VALUE    any configuration key (see --print-config)\n"
            "      --print-config     print the resulting configuration and exit\n"
            "  -h, --help             this help\n"
            "  -V, --version          print the version\n"
            "\n"
            "Log lines go to stderr in logfmt. SIGTERM or SIGINT shut down cleanly: in-flight\n"
            "requests are answered and every log is flushed. docs/operations.md has the details.\n",
            STROM_VERSION_STRING);
}

int main(int argc, char **argv)
{
    srv_config cfg;
    srv_config_default(&cfg);
    strom_error err;
    strom_error_clear(&err);
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},   {"data-dir", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},   {"fsync", required_argument, NULL, 'F'},
        {"workers", required_argument, NULL, 'w'},  {"log-level", required_argument, NULL, 'L'},
        {"set", required_argument, NULL, 's'},      {"print-config", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},           {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    /* the config file first, so flags override it whatever their order */
    for (int i = 1; i < argc; i++) {
        const char *path = NULL;
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
            path = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9))
            path = argv[i] + 9;
        if (path && srv_config_load(&cfg, path, &err) < 0) {
            fprintf(stderr, "stromd: %s\n", err.msg);
            return 2;
        }
    }
    bool print = false;
    int o;
    while ((o = getopt_long(argc, argv, "c:d:l:w:s:hV", opts, NULL)) != -1) {
        int rc = 0;
        char *eq;
        switch (o) {
        case 'c':
            break;
        case 'd':
            rc = srv_config_set(&cfg, "data_dir", optarg, &err);
            break;
        case 'l':
            rc = srv_config_set(&cfg, "listen", optarg, &err);
            break;
        case 'F':
            rc = srv_config_set(&cfg, "fsync", optarg, &err);
            break;
        case 'w':
            rc = srv_config_set(&cfg, "workers", optarg, &err);
            break;
        case 'L':
            rc = srv_config_set(&cfg, "log_level", optarg, &err);
            break;
        case 's':
            if (!(eq = strchr(optarg, '='))) {
                fprintf(stderr, "stromd: --set %s: expected KEY=VALUE\n", optarg);
                return 2;
            }
            *eq = 0;
            rc = srv_config_set(&cfg, optarg, eq + 1, &err);
            break;
        case 'P':
            print = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("stromd %s\n", STROM_VERSION_STRING);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (rc < 0) {
            fprintf(stderr, "stromd: %s\n", err.msg);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "stromd: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    if (print) {
        srv_config_print(&cfg, stdout);
        return 0;
    }
    srv_server *s;
    if (srv_server_new(&cfg, &s, &err) < 0) {
        srv_log(SRV_ERROR, "startup failed", "error=\"%s\"", err.msg);
        return 1;
    }
    int rc = srv_server_run(s);
    srv_server_free(s);
    return rc == 0 ? 0 : 1;
}
