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
 * (a partition column is NOT NULL, of type STRING, INT, BIGINT or DATE). */
int strom_table_desc_check(const strom_table_desc *d, strom_error *err);

/* Splits "db.table" (len bytes) into the two identifiers. */
int strom_table_name_parse(const char *s, char db[STROM_IDENT_MAX + 1],
                           char table[STROM_IDENT_MAX + 1], strom_error *err);

#ifdef __cplusplus
}
#endif
#endif /* STROM_TABLE_H */
