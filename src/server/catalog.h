/*
 * catalog.h: the server's catalog: databases, tables (schemas and their versions, buckets,
 * partitions) and the bucket logs behind them, persisted crash-safely.
 *
 *   <data>/catalog.json                         the catalog (atomically replaced, fsync'ed)
 *   <data>/data/<db>/<table>-<id>/<bucket>/      bucket logs of an unpartitioned table
 *   <data>/data/<db>/<table>-<id>/p=<value>/<bucket>/   ... of a partition
 *
 * The catalog file is the truth: a change is written to it first, directories follow (a log
 * directory is created when its log opens; a dropped table's directory is removed after the
 * catalog no longer names it, and any directory the catalog does not name is removed at
 * open). The table id in the directory name keeps a re-created table apart from a dropped
 * one whose files are still being removed.
 *
 * Lifetimes: srv_table and srv_bucket are reference counted. A handler takes a reference for
 * the duration of a request; a dropped table or partition stays usable by requests already
 * holding it, and its logs close when the last reference goes.
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef STROM_SERVER_CATALOG_H
#define STROM_SERVER_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "kv/kv.h"
#include "log/log.h"
#include "strom/table.h"

typedef struct srv_catalog srv_catalog;
typedef struct srv_table srv_table;

/* A bucket log (and, for a primary-key table, its state) and the table it belongs to. */
typedef struct srv_bucket {
    strom_log *log;
    strom_kv *kv;            /* primary-key tables only */
    srv_table *table;        /* referenced while the bucket is */
    int refs;
    char partition[STROM_PARTITION_MAX + 1];
    uint32_t bucket;
    int64_t tiered;          /* tables with tiering: the retention hold: the lake has held
                                the records below this offset for at least the read grace
                                (atomic; 0 until the tiering service has looked) */
    /* the tiering service's own (its runs are serialized): recent lake offsets and when
     * they were committed, newest last */
    int64_t tier_ms[4], tier_off[4];
    int tier_n;
} srv_bucket;

typedef struct srv_catalog_opts {
    const char *data_dir;
    strom_log_config log;    /* defaults for every bucket log (tables may override sizes) */
    strom_kv_config kv;      /* primary-key state */
    const char *lake_dir;    /* the warehouse of lake tables (NULL: no tiering) */
} srv_catalog_opts;

/* Loads the catalog (creating an empty one) and opens every bucket log (recovery). */
int srv_catalog_open(const srv_catalog_opts *o, srv_catalog **out, strom_error *err);
/* Closes every log (flushing it). No request may be running. */
void srv_catalog_close(srv_catalog *c);

int srv_db_create(srv_catalog *c, const char *db, bool if_not_exists, strom_error *err);
/* Only an empty database can be dropped. */
int srv_db_drop(srv_catalog *c, const char *db, bool if_exists, strom_error *err);
/* Sorted names (caller frees each and the array). */
int srv_db_list(srv_catalog *c, char ***names, int *n, strom_error *err);
int srv_table_list(srv_catalog *c, const char *db, char ***names, int *n, strom_error *err);

/* Creates a table from d (checked); on success d->table_id and d->created_ms are set. With
 * if_not_exists an existing table is not an error (its id is returned, the description is not
 * compared). */
int srv_table_create(srv_catalog *c, strom_table_desc *d, bool if_not_exists, strom_error *err);
int srv_table_drop(srv_catalog *c, const char *db, const char *table, bool if_exists,
                   strom_error *err);
/* Appends a nullable column: a new schema version; *schema_id is its id. */
int srv_table_add_column(srv_catalog *c, const char *db, const char *table, const char *col,
                         strom_type type, strom_error *err, uint32_t *schema_id);

/* Turns tiering on or off (freshness_ms > 0 replaces the table's freshness). */
int srv_table_set_tiering(srv_catalog *c, const char *db, const char *table, bool on,
                          int64_t freshness_ms, strom_error *err);
/* Referenced buckets of every partition of a table (unref each, free the array). */
int srv_table_buckets(srv_table *t, srv_bucket ***out, int *n);
/* Referenced tables (unref each, free the array). */
int srv_catalog_tables(srv_catalog *c, srv_table ***out, int *n);

/* A referenced table, by name or by id; NULL with STROM_ENOTFOUND. */
srv_table *srv_table_get(srv_catalog *c, const char *db, const char *table, strom_error *err);
srv_table *srv_table_by_id(srv_catalog *c, uint64_t id, strom_error *err);
void srv_table_unref(srv_table *t);
/* A copy of the table's description (latest schema, partitions). */
int srv_table_describe(srv_table *t, strom_table_desc *out, strom_error *err);
/* A shallow view of the description for primary-key work: the latest schema and the key,
 * bucket key and engine arrays point into the table (valid while it is referenced; they
 * never change), no partitions. Nothing to free. */
void srv_table_kv_desc(srv_table *t, strom_table_desc *out);
/* The schema with the given id (1 = as created), or NULL. Schemas never change or go away
 * while the table is referenced. */
const strom_schema *srv_table_schema(srv_table *t, uint32_t schema_id);
const strom_schema *srv_table_latest_schema(srv_table *t);
uint64_t srv_table_id(const srv_table *t);
int srv_table_partition_col(const srv_table *t);

int srv_partition_create(srv_catalog *c, srv_table *t, const char *partition, bool if_not_exists,
                         strom_error *err);
int srv_partition_drop(srv_catalog *c, srv_table *t, const char *partition, bool if_exists,
                       strom_error *err);

/* A referenced bucket of a table (partition "" for an unpartitioned table). With `create`, a
 * missing partition of a partitioned table is created (on write). */
int srv_bucket_get(srv_catalog *c, srv_table *t, const char *partition, uint32_t bucket,
                   bool create, srv_bucket **out, strom_error *err);
void srv_bucket_unref(srv_bucket *b);

/* Writer ids for idempotent producers: unique for the life of the data directory. */
int srv_writer_id_next(srv_catalog *c, int64_t *id, strom_error *err);

/* Retention: deletes old segments of every bucket and drops partitions beyond a table's
 * partition retention. Returns the number of segments deleted + partitions dropped. */
int srv_catalog_retain(srv_catalog *c, int64_t now_ms, strom_error *err);
/* fsync every log (shutdown under the interval policies). */
void srv_catalog_flush(srv_catalog *c);

#endif /* STROM_SERVER_CATALOG_H */
