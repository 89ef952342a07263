/*
 * config.c: defaults, `key = value` files and overrides (config.h).
 */
#include "server/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/units.h"
#include "server/slog.h"

void srv_config_default(srv_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->data_dir, sizeof c->data_dir, "strom-data");
    snprintf(c->host, sizeof c->host, "127.0.0.1");
    c->port = 7070;
    c->workers = 8;
    strom_log_config_default(&c->log);
    strom_kv_config_default(&c->kv);
    c->retention_check_ms = 60000;
    c->max_connections = 1024;
    c->max_inflight = 64;
    c->memory_limit = 512u << 20;
    c->max_frame = 64u << 20;
    c->fetch_scan_bytes = 64u << 20;
    c->shutdown_timeout_ms = 10000;
    c->log_level = SRV_INFO;
    c->tier_freshness_ms = 60000;
    c->tier_codec = 6; /* ZSTD */
    c->tier_read_grace_ms = 60000;
    c->tier_threads = 1;
}

/* A number with a size or duration suffix (common/units.h), checked against [min, max]. */
static int parse_num(const char *key, const char *v, bool time, int64_t min, int64_t max,
                     int64_t *out, strom_error *err)
{
    int64_t n;
    if (!strom_parse_scaled(v, time, &n))
        return strom_error_set(err, STROM_EINVAL, "%s = '%s' is not a %s", key, v,
                               time ? "duration (e.g. 500ms, 30s, 7d)"
                                    : "size (e.g. 4096, 64k, 1g)");
    if (n < min || n > max)
        return strom_error_set(err, STROM_EINVAL, "%s = %s is out of range (%lld..%lld)", key, v,
                               (long long)min, (long long)max);
    *out = n;
    return 0;
}

int srv_config_set(srv_config *c, const char *key, const char *v, strom_error *err)
{
    int64_t n = 0;
    int rc = 0;
#define NUM(k, time, lo, hi, dst)                                     \
    if (!strcmp(key, k)) {                                            \
        if ((rc = parse_num(key, v, time, lo, hi, &n, err)) == 0)     \
            dst = n;                                                  \
        return rc;                                                    \
    }
    if (!strcmp(key, "data_dir")) {
        if (!*v || strlen(v) >= sizeof c->data_dir)
            return strom_error_set(err, STROM_EINVAL, "data_dir '%s' is empty or too long", v);
        snprintf(c->data_dir, sizeof c->data_dir, "%s", v);
        return 0;
    }
    if (!strcmp(key, "listen")) {
        const char *colon = strrchr(v, ':');
        char *end;
        long port = colon ? strtol(colon + 1, &end, 10) : -1;
        if (!colon || colon == v || *end || port < 0 || port > 65535 ||
            (size_t)(colon - v) >= sizeof c->host)
            return strom_error_set(err, STROM_EINVAL, "listen = '%s' is not HOST:PORT", v);
        snprintf(c->host, sizeof c->host, "%.*s", (int)(colon - v), v);
        c->port = (int)port;
        return 0;
    }
    if (!strcmp(key, "fsync")) {
        if (!strcmp(v, "always"))
            c->log.fsync = STROM_LOG_FSYNC_ALWAYS;
        else if (!strcmp(v, "interval"))
            c->log.fsync = STROM_LOG_FSYNC_INTERVAL;
        else if (!strcmp(v, "never"))
            c->log.fsync = STROM_LOG_FSYNC_NEVER;
        else
            return strom_error_set(err, STROM_EINVAL,
                                   "fsync = '%s' is not always, interval or never", v);
        return 0;
    }
    if (!strcmp(key, "lake_dir")) {
        if (!*v || strlen(v) >= sizeof c->lake_dir)
            return strom_error_set(err, STROM_EINVAL, "lake_dir '%s' is empty or too long", v);
        snprintf(c->lake_dir, sizeof c->lake_dir, "%s", v);
        return 0;
    }
    if (!strcmp(key, "tier_service")) {
        if (strcmp(v, "local") && strcmp(v, "external"))
            return strom_error_set(err, STROM_EINVAL,
                                   "tier_service = '%s' is not local or external", v);
        c->tier_external = !strcmp(v, "external");
        return 0;
    }
    if (!strcmp(key, "tier_codec")) {
        if (!strcmp(v, "zstd"))
            c->tier_codec = 6;
        else if (!strcmp(v, "snappy"))
            c->tier_codec = 1;
        else if (!strcmp(v, "none"))
            c->tier_codec = 0;
        else
            return strom_error_set(err, STROM_EINVAL,
                                   "tier_codec = '%s' is not zstd, snappy or none", v);
        return 0;
    }
    if (!strcmp(key, "log_level")) {
        int l = srv_log_level_parse(v);
        if (l < 0)
            return strom_error_set(err, STROM_EINVAL,
                                   "log_level = '%s' is not debug, info, warn or error", v);
        c->log_level = l;
        return 0;
    }
    NUM("workers", false, 1, 256, c->workers)
    NUM("fsync_interval", true, 1, 3600000, c->log.fsync_interval_ms)
    NUM("segment_bytes", false, 4096, 1ll << 30, c->log.segment_bytes)
    NUM("segment_age", true, 0, INT64_MAX / 2, c->log.segment_ms)
    NUM("segment_preallocate", false, 0, 1ll << 30, c->log.preallocate_bytes)
    NUM("retention_bytes", false, 0, INT64_MAX / 2, c->log.retention_bytes)
    NUM("retention_age", true, 0, INT64_MAX / 2, c->log.retention_ms)
    NUM("retention_check", true, 10, 86400000, c->retention_check_ms)
    NUM("kv_snapshot_bytes", false, 1 << 20, 1ll << 40, c->kv.snapshot_bytes)
    NUM("kv_snapshot_age", true, 0, INT64_MAX / 2, c->kv.snapshot_ms)
    NUM("kv_cache_bytes", false, 1 << 20, 1ll << 40, c->kv.cache_bytes)
    NUM("kv_row_cache_bytes", false, 0, 1ll << 40, c->kv.row_cache_bytes)
    NUM("max_connections", false, 1, 1000000, c->max_connections)
    NUM("max_inflight", false, 1, 4096, c->max_inflight)
    NUM("memory_limit", false, 1 << 20, 1ll << 40, c->memory_limit)
    NUM("max_frame", false, 4096, 1 << 30, c->max_frame)
    NUM("fetch_scan_bytes", false, 64 << 10, 1 << 30, c->fetch_scan_bytes)
    NUM("shutdown_timeout", true, 0, 3600000, c->shutdown_timeout_ms)
    NUM("tier_freshness", true, 100, 86400000, c->tier_freshness_ms)
    NUM("tier_read_grace", true, 0, 86400000, c->tier_read_grace_ms)
    NUM("tier_threads", false, 1, 16, c->tier_threads)
#undef NUM
    return strom_error_set(err, STROM_EINVAL, "unknown configuration key '%s'", key);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

int srv_config_load(srv_config *c, const char *path, strom_error *err)
{
    char *text;
    size_t n;
    int rc = strom_read_file(path, 1 << 20, &text, &n, err);
    if (rc < 0)
        return rc;
    int lineno = 0;
    char *save = NULL;
    for (char *line = text; line && rc == 0; line = save) {
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = 0;
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char *t = trim(line);
        if (!*t)
            continue;
        char *eq = strchr(t, '=');
        if (!eq) {
            rc = strom_error_set(err, STROM_EINVAL, "%s line %d: expected 'key = value'", path,
                                 lineno);
            break;
        }
        *eq = 0;
        if ((rc = srv_config_set(c, trim(t), trim(eq + 1), err)) < 0)
            strom_error_prefix(err, "%s line %d", path, lineno);
    }
    free(text);
    return rc;
}

void srv_config_print(const srv_config *c, void *file)
{
    FILE *f = file;
    static const char *fsyncs[] = {"always", "interval", "never"};
    static const char *levels[] = {"debug", "info", "warn", "error"};
    fprintf(f, "data_dir = %s\nlisten = %s:%d\nworkers = %d\nfsync = %s\nfsync_interval = %dms\n"
               "segment_bytes = %llu\nsegment_age = %lldms\nsegment_preallocate = %llu\n"
               "retention_bytes = %llu\n"
               "retention_age = %lldms\nretention_check = %lldms\nmax_connections = %d\n"
               "max_inflight = %d\nmemory_limit = %llu\nmax_frame = %u\n"
               "fetch_scan_bytes = %llu\n"
               "shutdown_timeout = %lldms\nlog_level = %s\nkv_snapshot_bytes = %llu\n"
               "kv_snapshot_age = %lldms\nkv_cache_bytes = %llu\nkv_row_cache_bytes = %llu\n"
               "lake_dir = %s\ntier_freshness = %lldms\ntier_codec = %s\n"
               "tier_read_grace = %lldms\ntier_threads = %d\ntier_service = %s\n",
            c->data_dir, c->host, c->port, c->workers, fsyncs[c->log.fsync],
            c->log.fsync_interval_ms, (unsigned long long)c->log.segment_bytes,
            (long long)c->log.segment_ms, (unsigned long long)c->log.preallocate_bytes,
            (unsigned long long)c->log.retention_bytes,
            (long long)c->log.retention_ms, (long long)c->retention_check_ms, c->max_connections,
            c->max_inflight, (unsigned long long)c->memory_limit, c->max_frame,
            (unsigned long long)c->fetch_scan_bytes, (long long)c->shutdown_timeout_ms,
            levels[c->log_level],
            (unsigned long long)c->kv.snapshot_bytes, (long long)c->kv.snapshot_ms,
            (unsigned long long)c->kv.cache_bytes, (unsigned long long)c->kv.row_cache_bytes,
            c->lake_dir[0] ? c->lake_dir : "(data_dir/lake)", (long long)c->tier_freshness_ms,
            c->tier_codec == 6 ? "zstd" : c->tier_codec == 1 ? "snappy" : "none",
            (long long)c->tier_read_grace_ms, c->tier_threads,
            c->tier_external ? "external" : "local");
}
