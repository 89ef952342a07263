/*
 * paimon.h: Apache Paimon table metadata as strom writes and reads it (../shared/specs/
 * paimon.md): BinaryRow, schema-N and snapshot-N JSON, manifest lists and manifests in Avro
 * (Debian's avro-c), the commit protocol (a new snapshot written to a temporary file and
 * linked to its name, which fails if another commit took it), and the list of live data files
 * of a snapshot.
 *
 *   <warehouse>/<db>.db/<table>/schema/schema-<id>            strom schema version id + 1 -> id
 *                               snapshot/snapshot-<n>, LATEST, EARLIEST
 *                               manifest/manifest-list-<uuid>-<n>, manifest-<uuid>-<n>
 *                               [<col>=<value>/]bucket-<b>/data-<uuid>-<n>.parquet
 *
 * strom writes the Java 1.1/1.2 manifest field set (the richest that every reader since 1.1
 * reads), codec deflate, full value statistics of every column (min, max as BinaryRows of the
 * column types, null counts), and fixed buckets (the table's `bucket` option = strom's bucket
 * count, so bucket-N directories are strom's buckets). Readers match manifest fields by name,
 * so tables written by Paimon itself (older or newer field sets) read too.
 *
 * Everything read is hostile: every length and type is checked, and damage is STROM_ECORRUPT
 * naming the file and the field.
 */
#ifndef STROM_LAKE_PAIMON_H
#define STROM_LAKE_PAIMON_H

#include <stdbool.h>
#include <stdint.h>

#include "columnar/batch.h"
#include "common/buf.h"
#include "strom/error.h"
#include "strom/table.h"

/* ---- BinaryRow ------------------------------------------------------------------------------ */

/* Appends the manifest form of a BinaryRow: a 4-byte big-endian arity, then the row (header
 * and null bits, 8-byte slots, variable part). vals[i] has type types[i] (strom's physical
 * forms: TIMESTAMP micros become Paimon's millis + nanos of the millisecond, TIME micros its
 * millis of the day). */
int strom_binrow_encode(strom_buf *out, const strom_type *types, const strom_value *vals, int n,
                        strom_error *err);
/* Reads a row written as above into vals[0..min(arity, n)) (strings point into p; fields past
 * the arity are not touched). *arity is the row's own arity. */
int strom_binrow_decode(const uint8_t *p, size_t len, const strom_type *types, int n,
                        strom_value *vals, int *arity, strom_error *err);

/* ---- tables ------------------------------------------------------------------------------ */

typedef struct strom_lake strom_lake;

/* Opens the Paimon table directory `dir` (<warehouse>/<db>.db/<table>); with `create` its
 * directories are made. The table need not have a schema yet. */
int strom_lake_open(const char *dir, bool create, strom_lake **out, strom_error *err);
void strom_lake_close(strom_lake *t);
const char *strom_lake_dir(const strom_lake *t);

/* Writes schema/schema-<id> for schema `s` of table `d` (id = strom schema id - 1) unless it
 * exists: field ids = column indexes, options bucket / bucket-key / file.format parquet /
 * file.compression, partition and primary keys. `compression` is "zstd", "snappy" or "none". */
int strom_lake_write_schema(strom_lake *t, const strom_table_desc *d, const strom_schema *s,
                            const char *compression, strom_error *err);

/* A lake schema read back: the columns as strom types (Paimon ids must be 0..n-1 in order:
 * a table strom wrote; other layouts are refused), partition keys, bucket count. */
typedef struct strom_lake_schema {
    int64_t id;
    strom_schema *schema;       /* owned; strom schema id = id + 1 */
    int partition_col;          /* -1 none (strom reads tables of at most one partition key) */
    int32_t buckets;            /* the `bucket` option (-1: unaware) */
    int npk;
    int pk[STROM_PK_MAX];
    bool compact_ts;            /* a TIMESTAMP(p <= 3) column: its BinaryRow stats are skipped */
} strom_lake_schema;
int strom_lake_read_schema(strom_lake *t, int64_t id, strom_lake_schema *out, strom_error *err);
/* The highest schema id present, -1 when none. */
int strom_lake_latest_schema_id(strom_lake *t, int64_t *id, strom_error *err);
void strom_lake_schema_free(strom_lake_schema *s);

/* ---- snapshots ---------------------------------------------------------------------------- */

typedef struct strom_lake_prop {
    char *key, *value;
} strom_lake_prop;

typedef struct strom_lake_snapshot {
    int64_t id;                 /* 0: no snapshot (an empty table) */
    int64_t schema_id;
    char base_list[128], delta_list[128];
    int64_t total_rows, delta_rows, time_ms, commit_id;
    char commit_user[64];
    int nprops;
    strom_lake_prop *props;     /* owned */
} strom_lake_snapshot;

/* The newest snapshot (LATEST checked as Paimon does: trusted only when snapshot-(LATEST+1)
 * is absent, else the directory is listed). out->id == 0 when there is none. */
int strom_lake_latest(strom_lake *t, strom_lake_snapshot *out, strom_error *err);
int strom_lake_snapshot_read(strom_lake *t, int64_t id, strom_lake_snapshot *out,
                             strom_error *err);
void strom_lake_snapshot_free(strom_lake_snapshot *s);
/* A property's value, or NULL. */
const char *strom_lake_snapshot_prop(const strom_lake_snapshot *s, const char *key);

/* ---- data files ---------------------------------------------------------------------------- */

typedef struct strom_lake_file {
    char path[512];             /* relative to the table directory */
    char name[128];
    int32_t bucket;
    bool has_partition;
    strom_value partition;      /* the partition column's value (strings: the bytes are in
                                   part_bytes; the pointer is set when the struct is made and
                                   is stale after a copy) */
    uint8_t part_bytes[STROM_PARTITION_MAX];
    int64_t rows, size, min_seq, max_seq, schema_id, creation_ms;
    strom_batch_stats stats;    /* per column of schema_id's schema; ncols 0 when the manifest
                                   carries none strom can use */
    /* primary-key tables (written by tiering; not read back) */
    int64_t delete_rows;        /* rows of value kind -D */
    strom_batch_stats key_stats; /* per trimmed key column */
    uint8_t *min_key, *max_key; /* BinaryRows (manifest form) of the first and last key, owned */
    uint32_t min_key_len, max_key_len;
} strom_lake_file;

/* The relative directory of a bucket: "[<col>=<value>/]bucket-<b>" (Paimon's legacy partition
 * names: DATE as its epoch day, %XX escapes). `part` is NULL for unpartitioned tables. */
int strom_lake_bucket_dir(const char *col, const strom_value *part, int32_t bucket, char *buf,
                          size_t cap, strom_error *err);

/* A fresh data file name "data-<uuid>-0.parquet". */
void strom_lake_data_file_name(char *buf, size_t cap);

/* What a commit adds. */
typedef struct strom_lake_commit {
    const strom_lake_file *files;   /* new data files (name, path, bucket, partition, rows, size,
                                       sequence range, schema id, stats) */
    int nfiles;
    const strom_schema *schema;     /* schema of schema_id (stats types) */
    int64_t schema_id;
    int partition_col;              /* -1: none */
    int32_t total_buckets;
    const strom_lake_prop *props;   /* snapshot properties (replace the previous ones) */
    int nprops;
    const char *commit_user;
    int64_t commit_id;
    const strom_type *key_types;    /* primary-key tables: the trimmed key's column types */
    int nkey;                       /* 0: an append table */
    const strom_lake_file *changelog; /* primary-key tables: changelog files of this commit
                                       (listed in the snapshot's changelog manifest list) */
    int nchangelog;
} strom_lake_commit;

/* Commits a new snapshot after `prev` (id 0 for the first): manifest, delta and base manifest
 * lists, snapshot-<prev+1> written to a temporary file, fsync'ed and linked into place (no
 * overwrite: STROM_EEXISTS if another writer took the id), then the LATEST hint. Data files
 * must be durable already. *snap_id gets the new id. */
int strom_lake_commit_files(strom_lake *t, const strom_lake_snapshot *prev,
                            const strom_lake_commit *c, int64_t *snap_id, strom_error *err);

/* The live data files of snapshot s (base + delta manifests, DELETE entries cancelling ADDs).
 * Stats are decoded with the file's schema (read from schema/). Free with
 * strom_lake_files_free. */
int strom_lake_files(strom_lake *t, const strom_lake_snapshot *s, strom_lake_file **files,
                     int *n, strom_error *err);
void strom_lake_files_free(strom_lake_file *files, int n);

#endif /* STROM_LAKE_PAIMON_H */
