/*
 * config.h: stromd's configuration: defaults, a config file of `key = value` lines, and
 * command-line flags that override the file. Every key is listed in docs/operations.md.
 */
#ifndef STROM_SERVER_CONFIG_H
#define STROM_SERVER_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "kv/kv.h"
#include "log/log.h"
#include "strom/error.h"

typedef struct srv_config {
    char data_dir[1024];
    char host[256];
    int port;
    int workers;                 /* threads for disk work (appends, reads, DDL) */
    strom_log_config log;        /* fsync policy, segment size/age, retention defaults */
    strom_kv_config kv;          /* primary-key state: checkpoint interval, block cache */
    int64_t retention_check_ms;  /* how often retention runs */
    int max_connections;
    int max_inflight;            /* requests in flight per connection before reads pause */
    uint64_t memory_limit;       /* bytes of requests and responses in flight, in total */
    uint32_t max_frame;          /* largest request frame, and a Fetch answer's most bytes */
    uint64_t fetch_scan_bytes;   /* stored bytes a Fetch reads per bucket at most */
    int64_t shutdown_timeout_ms; /* how long a clean shutdown waits for in-flight work */
    int log_level;
    char lake_dir[1024];         /* the lake warehouse ("": <data_dir>/lake) */
    int64_t tier_freshness_ms;   /* tables with tiering that name no freshness */
    int tier_codec;              /* strom_pq_codec of tiered Parquet files */
    int64_t tier_read_grace_ms;  /* tiered log segments outlive their snapshot this long */
    int tier_threads;            /* buckets of a table tiered at once */
    bool tier_external;          /* tier_service = external: another process tiers */
} srv_config;

void srv_config_default(srv_config *c);
/* Sets one key from its text value; STROM_EINVAL naming the key and the value. */
int srv_config_set(srv_config *c, const char *key, const char *value, strom_error *err);
/* Reads a config file; errors name the file and line. */
int srv_config_load(srv_config *c, const char *path, strom_error *err);
/* Prints every key with its current value, as a config file would hold it. */
void srv_config_print(const srv_config *c, void *file);

#endif /* STROM_SERVER_CONFIG_H */
