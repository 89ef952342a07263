/*
 * strom/table.h: what a table is: its name, schema, buckets, bucket key, partition column and
 * storage properties. Shared by the client API (DDL, table descriptions), the wire protocol
 * and the server's catalog.
 *
 * Names of databases and tables are identifiers: 1..128 bytes of [A-Za-z0-9_], not starting
 * with a digit (they become directory names, so nothing else is accepted). Partition values
 * are the text of the partition column's value (docs/protocol.md): 1..128 bytes of
 * [A-Za-z0-9_.:+-], not starting with '.'.
 *
 * Ownership: a strom_table_desc owns its schema and its arrays; strom_table_desc_free
 * releases them (not the struct itself).
 */
#ifndef STROM_TABLE_H
#define STROM_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strom/error.h"
#include "strom/types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define STROM_IDENT_MAX 128
#define STROM_MAX_BUCKETS 1024
#define STROM_PARTITION_MAX 128
#define STROM_PK_MAX 16

/* How a primary-key table combines a write with the row already stored under its key. */
typedef enum strom_merge_engine {
    STROM_MERGE_LAST_ROW = 0,   /* the write replaces the row (partial updates keep the rest) */
    STROM_MERGE_FIRST_ROW = 1,  /* the first row of a key stays; later writes are ignored */
    STROM_MERGE_VERSIONED = 2,  /* the row with the highest version column stays (ties: the
                                   later write) */
    STROM_MERGE_AGGREGATE = 3,  /* each column combines old and new by its function */
} strom_merge_engine;

/* Per-column functions of the AGGREGATE engine (nulls: an input null changes nothing, except
 * for LAST). Key columns do not aggregate. */
typedef enum strom_agg_fn {
    STROM_AGG_LAST_NON_NULL = 0, /* the default */
    STROM_AGG_LAST = 1,
    STROM_AGG_FIRST_NON_NULL = 2,
    STROM_AGG_SUM = 3,           /* numeric columns; an overflow refuses the write */
    STROM_AGG_MIN = 4,
    STROM_AGG_MAX = 5,
} strom_agg_fn;

typedef struct strom_table_desc {
    char database[STROM_IDENT_MAX + 1];
    char table[STROM_IDENT_MAX + 1];
    uint64_t table_id;          /* assigned by the server; 0 in a create request */
    strom_schema *schema;       /* owned; the latest schema (its id counts from 1) */
    uint32_t buckets;           /* 1..STROM_MAX_BUCKETS */
    int nbucket_key;            /* columns whose values choose the bucket; 0 = any bucket */
    int *bucket_key;            /* column indexes, owned */
    int partition_col;          /* -1 = not partitioned */
    /* storage properties, 0 = the server's default */
    int64_t retention_ms;       /* delete log segments older than this */
    int64_t retention_bytes;    /* keep at most this many bytes per bucket */
    int64_t segment_bytes;      /* roll segments at this size */
    int32_t partition_retention; /* keep the newest N partitions (0 = all) */
    int64_t created_ms;         /* set by the server */
    /* primary-key tables (npk > 0); a log table has npk 0 and the defaults below */
    int npk;                    /* 1..STROM_PK_MAX key columns, NOT NULL */
    int *pk;                    /* column indexes in key order, owned */
    strom_merge_engine merge_engine;
    int version_col;            /* VERSIONED: the version column (integer or temporal), else
                                   -1 */
    int nagg;                   /* AGGREGATE: functions of columns 0..nagg-1 (later columns,
                                   and all when 0, are LAST_NON_NULL) */
    uint8_t *agg;               /* strom_agg_fn per column, owned */
    bool no_update_before;      /* the changelog omits -U rows (after-images only) */
    /* lakehouse: tiering into a Apache Paimon table (Parquet files) */
    bool tiering;               /* the server copies the log into the lake table */
    int64_t tier_freshness_ms;  /* the lake lags the log by about this at most (0: the
                                   server's default) */
    char lake_dir[1024];        /* set by the server: the lake table's directory ("" if the
                                   server has no warehouse) */
    char warehouse[1024];       /* the table's own lake warehouse (an absolute directory on
                                   the server): "" = the server's lake_dir; set at creation */
    int npartitions;            /* partitions that exist (partitioned tables), sorted */
    char **partitions;          /* owned */
} strom_table_desc;

void strom_table_desc_init(strom_table_desc *d);
void strom_table_desc_free(strom_table_desc *d);
/* Deep copy into *dst (initialized by this call). */
int strom_table_desc_copy(strom_table_desc *dst, const strom_table_desc *src);

/* 0 when `s` (len bytes) is a valid identifier, else STROM_EINVAL naming `what` and why. */
int strom_ident_check(const char *what, const char *s, size_t len, strom_error *err);
/* 0 when `s` is a valid partition value text, else STROM_EINVAL saying why. */
int strom_partition_check(const char *s, size_t len, strom_error *err);
/* Checks a whole description: names, schema, buckets, bucket key and partition column
 * (a partition column is NOT NULL, of type STRING, INT, BIGINT or DATE) and, for primary-key
 * tables, the key (NOT NULL columns; the bucket key and the partition column are among
 * them), the merge engine, its version column and aggregate functions. */
int strom_table_desc_check(const strom_table_desc *d, strom_error *err);

/* "last_row", "first_row", "versioned", "aggregate"; and back (case-insensitive). */
const char *strom_merge_engine_name(strom_merge_engine e);
int strom_merge_engine_parse(const char *s, strom_merge_engine *out);
/* "last_non_null", "last", "first_non_null", "sum", "min", "max"; and back. */
const char *strom_agg_fn_name(strom_agg_fn f);
int strom_agg_fn_parse(const char *s, strom_agg_fn *out);
/* The aggregate function of column `col` (LAST_NON_NULL past nagg). */
strom_agg_fn strom_table_agg(const strom_table_desc *d, int col);

/* Splits "db.table" (len bytes) into the two identifiers. */
int strom_table_name_parse(const char *s, char db[STROM_IDENT_MAX + 1],
                           char table[STROM_IDENT_MAX + 1], strom_error *err);

#ifdef __cplusplus
}
#endif
#endif /* STROM_TABLE_H */
