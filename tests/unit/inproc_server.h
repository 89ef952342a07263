/*
 * inproc_server.h: stromd in-process on a free loopback port, for the tests that drive it
 * through libstrom (test_server, test_lake). One server per test executable.
 */
#ifndef STROM_TEST_INPROC_SERVER_H
#define STROM_TEST_INPROC_SERVER_H

#include <pthread.h>
#include <stdio.h>

#include "common/fs.h"
#include "server/server.h"
#include "server/slog.h"
#include "strom/client.h"
#include "test.h"

static srv_server *server;
static pthread_t server_thread;
static char addr[64];

static void *run_server(void *arg)
{
    (void)arg;
    srv_server_run(server);
    return NULL;
}

/* Starts the server on <test tmp>/<name> (emptied first unless restart) at `port` (0: any);
 * `tune` (may be NULL) adjusts the configuration. */
static void start_server(const char *name, bool restart, int port, void (*tune)(srv_config *))
{
    srv_config cfg;
    srv_config_default(&cfg);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s/%s", STROM_TEST_TMP, name);
    if (!restart)
        strom_rmtree(cfg.data_dir, NULL);
    cfg.port = port;
    cfg.workers = 4;
    cfg.log_level = SRV_WARN;
    if (tune)
        tune(&cfg);
    strom_error err;
    CHECK_OK(srv_server_new(&cfg, &server, &err), &err);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", srv_server_port(server));
    pthread_create(&server_thread, NULL, run_server, NULL);
}

/* A description of t.<table> to fill (schema of id 1, nothing else set). */
static strom_table_desc test_desc(const char *table)
{
    strom_table_desc d;
    strom_table_desc_init(&d);
    snprintf(d.database, sizeof d.database, "t");
    snprintf(d.table, sizeof d.table, "%s", table);
    d.schema = strom_schema_new(1);
    return d;
}

/* Creates the table d describes (and database t), then frees d. */
static void test_create(strom_table_desc *d)
{
    strom_error err;
    strom_client *c;
    CHECK_OK(strom_client_connect(addr, NULL, &c, &err), &err);
    strom_create_database(c, "t", true, &err);
    CHECK_OK(strom_create_table(c, d, false, &err), &err);
    strom_table_desc_free(d);
    strom_client_close(c);
}

static void stop(void)
{
    srv_server_stop(server);
    pthread_join(server_thread, NULL);
    srv_server_free(server);
}

#endif /* STROM_TEST_INPROC_SERVER_H */
