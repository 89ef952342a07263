/*
 * msg.h: strom's messages (docs/protocol.md): api keys, and one encoder and one decoder per
 * request and per response, shared by the server and the client.
 *
 * Decoders read from a frame that the caller keeps alive: strings in the decoded structs
 * (strom_msg_str) point into it; record bytes are located, never copied. A decoder checks
 * every field and, on failure, returns STROM_EPARSE with a message naming the field
 * (strom_wire_check). Decoded structs with owned parts have a _free function.
 *
 * Encoders append the fields of a message to a strom_buf after the caller's
 * strom_frame_begin + header; the caller ends the frame (and, for Produce requests and Fetch
 * responses, writes the raw records after the fields and counts them in the frame size).
 */
#ifndef STROM_PROTOCOL_MSG_H
#define STROM_PROTOCOL_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol/wire.h"
#include "strom/table.h"

/* X(name, key, version) : the api keys and the newest version of each. */
#define STROM_API_TABLE(X)          \
    X(API_VERSIONS, 0, 0)           \
    X(CREATE_DATABASE, 1, 0)        \
    X(DROP_DATABASE, 2, 0)          \
    X(LIST_DATABASES, 3, 0)         \
    X(CREATE_TABLE, 4, 0)           \
    X(DROP_TABLE, 5, 0)             \
    X(ALTER_TABLE, 6, 0)            \
    X(LIST_TABLES, 7, 0)            \
    X(GET_TABLE_INFO, 8, 0)         \
    X(CREATE_PARTITION, 9, 0)       \
    X(DROP_PARTITION, 10, 0)        \
    X(INIT_WRITER, 11, 0)           \
    X(PRODUCE, 12, 0)               \
    X(FETCH, 13, 1)                 \
    X(LIST_OFFSETS, 14, 0)          \
    X(PUT_KV, 15, 0)                \
    X(LOOKUP, 16, 0)                \
    X(KV_SCAN, 17, 0)               \
    X(TIER, 18, 0)

enum {
#define STROM_API_ENUM_(name, key, ver) STROM_API_##name = (key),
    STROM_API_TABLE(STROM_API_ENUM_)
#undef STROM_API_ENUM_
    STROM_API_COUNT
};

/* "PRODUCE", or NULL for an unknown key. */
const char *strom_api_name(int key);
/* Newest version of an api, -1 for an unknown key. */
int strom_api_max_version(int key);

/* A string field: points into the frame, not NUL-terminated. */
typedef struct strom_msg_str {
    const char *p;
    uint16_t len;
} strom_msg_str;

/* Copies a string field into a NUL-terminated buffer of `cap` bytes; STROM_EINVAL (naming
 * `what`) when it does not fit or holds a NUL. */
int strom_msg_str_copy(strom_msg_str s, char *dst, size_t cap, const char *what,
                       strom_error *err);

/* ---- names (CreateDatabase, DropDatabase, DropTable, ListTables, GetTableInfo,
 *      CreatePartition, DropPartition) ------------------------------------------------------ */

/* The fields of the small DDL requests, all optional by message: database, table, partition,
 * and a flag (if_not_exists / if_exists). */
typedef struct strom_msg_names {
    strom_msg_str database, table, partition;
    uint8_t flag;
} strom_msg_names;

/* Which of the fields a message carries, in this order: database, table, partition, flag. */
enum { STROM_NAMES_DB = 1, STROM_NAMES_TABLE = 2, STROM_NAMES_PARTITION = 4, STROM_NAMES_FLAG = 8 };
int strom_msg_names_fields(int api_key); /* the STROM_NAMES_* set of a message */
int strom_msg_names_decode(int api_key, strom_wire_reader *r, strom_msg_names *m,
                           strom_error *err);
int strom_msg_names_encode(int api_key, strom_buf *b, const strom_msg_names *m);

/* A list of strings (ListDatabases and ListTables responses). */
typedef struct strom_msg_strings {
    uint32_t n;
    strom_msg_str *v; /* owned array (the strings point into the frame) */
} strom_msg_strings;
int strom_msg_strings_decode(strom_wire_reader *r, strom_msg_strings *m, strom_error *err);
void strom_msg_strings_free(strom_msg_strings *m);
int strom_msg_strings_put(strom_buf *b, const char *const *v, uint32_t n);

/* ---- schema and table descriptions --------------------------------------------------- */

int strom_msg_schema_put(strom_buf *b, const strom_schema *s);
int strom_msg_schema_read(strom_wire_reader *r, uint32_t schema_id, strom_schema **out,
                          strom_error *err);
/* A full table description (CreateTable request, GetTableInfo response). */
int strom_msg_table_put(strom_buf *b, const strom_table_desc *d);
int strom_msg_table_read(strom_wire_reader *r, strom_table_desc *d, strom_error *err);

/* ---- AlterTable --------------------------------------------------------------------- */

enum { STROM_ALTER_ADD_COLUMN = 1, STROM_ALTER_SET_TIERING = 2 };
typedef struct strom_msg_alter {
    strom_msg_str database, table;
    uint8_t op;
    strom_msg_str column;       /* ADD_COLUMN */
    strom_type type;
    bool nullable;
    bool tiering;               /* SET_TIERING (the column flags byte), then a u64 freshness */
    int64_t tier_freshness_ms;
} strom_msg_alter;
int strom_msg_alter_decode(strom_wire_reader *r, strom_msg_alter *m, strom_error *err);
int strom_msg_alter_encode(strom_buf *b, const strom_msg_alter *m);

/* ---- Produce ------------------------------------------------------------------------- */

enum { STROM_ACKS_NONE = 0, STROM_ACKS_DURABLE = 1 };

typedef struct strom_msg_produce_entry {
    strom_msg_str partition;  /* empty for an unpartitioned table */
    uint32_t bucket;
    uint32_t size;            /* bytes of this entry's records */
    const uint8_t *records;   /* decode: located in the frame after the fields */
} strom_msg_produce_entry;

typedef struct strom_msg_produce {
    uint64_t table_id;
    uint8_t acks;
    uint32_t timeout_ms;
    uint32_t n;
    strom_msg_produce_entry *e; /* owned array */
} strom_msg_produce;

int strom_msg_produce_decode(strom_wire_reader *r, strom_msg_produce *m, strom_error *err);
/* Encodes the fields; the caller appends each entry's `size` record bytes in order. */
int strom_msg_produce_encode(strom_buf *b, const strom_msg_produce *m);
void strom_msg_produce_free(strom_msg_produce *m);

/* Per-bucket result of Produce and ListOffsets. */
typedef struct strom_msg_result {
    strom_msg_str partition;
    uint32_t bucket;
    int16_t error;            /* 0 or a strom error code (negative) */
    strom_msg_str message;
    int64_t offset;           /* Produce: base offset; ListOffsets: the offset */
} strom_msg_result;

typedef struct strom_msg_results {
    uint32_t n;
    strom_msg_result *v;      /* owned array */
} strom_msg_results;
int strom_msg_results_decode(strom_wire_reader *r, strom_msg_results *m, strom_error *err);
int strom_msg_result_put(strom_buf *b, const char *partition, size_t plen, uint32_t bucket,
                         int error, const char *message, int64_t offset);
void strom_msg_results_free(strom_msg_results *m);

/* ---- Fetch --------------------------------------------------------------------------- */

typedef struct strom_msg_fetch_bucket {
    strom_msg_str partition;
    uint32_t bucket;
    int64_t offset;
    uint32_t max_bytes;
} strom_msg_fetch_bucket;

typedef struct strom_msg_fetch {
    uint64_t table_id;
    uint32_t max_wait_ms, min_bytes, max_bytes;
    uint32_t ncolumns;
    strom_msg_str *columns;   /* owned array; 0 = every column */
    strom_msg_str predicate;  /* textual form; empty = every row */
    uint32_t n;
    strom_msg_fetch_bucket *b; /* owned array */
} strom_msg_fetch;
int strom_msg_fetch_decode(strom_wire_reader *r, strom_msg_fetch *m, strom_error *err);
int strom_msg_fetch_encode(strom_buf *b, const strom_msg_fetch *m);
void strom_msg_fetch_free(strom_msg_fetch *m);

typedef struct strom_msg_fetched {
    strom_msg_str partition;
    uint32_t bucket;
    int16_t error;
    strom_msg_str message;
    int64_t high_watermark, start_offset, next_offset;
    uint64_t bytes_stored;    /* what a plain read of the same records would have moved */
    uint32_t size;            /* bytes of records that follow */
    const uint8_t *records;   /* decode: located after the fields */
} strom_msg_fetched;

typedef struct strom_msg_fetch_resp {
    uint32_t schema_id;       /* the table schema the columns and predicate were bound to */
    uint32_t n;
    strom_msg_fetched *v;     /* owned array */
} strom_msg_fetch_resp;
/* r reads a response frame from just after its size prefix. Version 1 responses have 0-7
 * zero bytes after the fields, so that the records start 8-aligned from the frame's start:
 * a reader that receives the frame at an 8-aligned address decodes their buffers in place. */
int strom_msg_fetch_resp_decode(strom_wire_reader *r, int version, strom_msg_fetch_resp *m,
                                strom_error *err);
int strom_msg_fetch_resp_head_put(strom_buf *b, uint32_t schema_id, uint32_t n);
int strom_msg_fetched_put(strom_buf *b, const strom_msg_fetched *f);
/* Version 1: zero bytes after the fields, up to a multiple of 8 of the frame b (which begins
 * with its size prefix). */
int strom_msg_fetch_resp_pad(strom_buf *b);
void strom_msg_fetch_resp_free(strom_msg_fetch_resp *m);

/* ---- ListOffsets --------------------------------------------------------------------- */

enum { STROM_OFFSET_LATEST = -1, STROM_OFFSET_EARLIEST = -2 }; /* else a timestamp, ms */

typedef struct strom_msg_offsets_entry {
    strom_msg_str partition;
    uint32_t bucket;
    int64_t spec;
} strom_msg_offsets_entry;

typedef struct strom_msg_offsets {
    uint64_t table_id;
    uint32_t n;
    strom_msg_offsets_entry *e;
} strom_msg_offsets;
int strom_msg_offsets_decode(strom_wire_reader *r, strom_msg_offsets *m, strom_error *err);
int strom_msg_offsets_encode(strom_buf *b, const strom_msg_offsets *m);
void strom_msg_offsets_free(strom_msg_offsets *m);

/* ---- PutKv: upserts and deletes of a primary-key table ---------------------------------- */

typedef struct strom_msg_put_kv {
    uint64_t table_id;
    uint32_t timeout_ms;
    uint32_t ncolumns;
    strom_msg_str *columns;   /* owned array: the columns written (partial update); 0 = all */
    uint32_t n;
    strom_msg_produce_entry *e; /* owned array; each entry's records follow the fields */
} strom_msg_put_kv;
int strom_msg_put_kv_decode(strom_wire_reader *r, strom_msg_put_kv *m, strom_error *err);
int strom_msg_put_kv_encode(strom_buf *b, const strom_msg_put_kv *m);
void strom_msg_put_kv_free(strom_msg_put_kv *m);
/* The response is strom_msg_results: per entry the changelog record's offset (-1: the write
 * changed nothing). */

/* ---- Lookup: rows by key, or by bucket-key prefix ----------------------------------------- */

typedef struct strom_msg_lookup {
    uint64_t table_id;
    uint8_t prefix;           /* 1: the keys are bucket-key values (every row under each) */
    uint32_t limit;           /* prefix: at most this many rows per key */
    uint32_t ncolumns;
    strom_msg_str *columns;   /* owned array; 0 = every column */
    uint32_t n;
    strom_msg_produce_entry *e; /* per bucket: a record of key rows */
} strom_msg_lookup;
int strom_msg_lookup_decode(strom_wire_reader *r, strom_msg_lookup *m, strom_error *err);
int strom_msg_lookup_encode(strom_buf *b, const strom_msg_lookup *m);
void strom_msg_lookup_free(strom_msg_lookup *m);

typedef struct strom_msg_looked {
    strom_msg_str partition;
    uint32_t bucket;
    int16_t error;
    strom_msg_str message;
    uint32_t nkeys;
    uint32_t *counts;         /* rows found per key (limit + 1: more than the limit); owned
                                 when decoded */
    uint32_t size;            /* bytes of the record of found rows that follows */
    const uint8_t *records;
} strom_msg_looked;

typedef struct strom_msg_lookup_resp {
    uint32_t schema_id;
    uint32_t n;
    strom_msg_looked *v;      /* owned array */
} strom_msg_lookup_resp;
int strom_msg_lookup_resp_decode(strom_wire_reader *r, strom_msg_lookup_resp *m,
                                 strom_error *err);
int strom_msg_lookup_resp_head_put(strom_buf *b, uint32_t schema_id, uint32_t n);
int strom_msg_looked_put(strom_buf *b, const strom_msg_looked *l);
void strom_msg_lookup_resp_free(strom_msg_lookup_resp *m);

/* ---- KvScan: the current state of one bucket, in pages ------------------------------------- */

typedef struct strom_msg_kv_scan {
    uint64_t table_id;
    strom_msg_str partition;
    uint32_t bucket;
    uint64_t scan_id;         /* 0: start a scan; else continue it */
    uint32_t max_bytes;
    uint32_t ncolumns;
    strom_msg_str *columns;   /* owned array; 0 = every column */
    strom_msg_str predicate;
} strom_msg_kv_scan;
int strom_msg_kv_scan_decode(strom_wire_reader *r, strom_msg_kv_scan *m, strom_error *err);
int strom_msg_kv_scan_encode(strom_buf *b, const strom_msg_kv_scan *m);
void strom_msg_kv_scan_free(strom_msg_kv_scan *m);

typedef struct strom_msg_kv_scanned {
    uint32_t schema_id;
    uint64_t scan_id;         /* continue with this id; 0: the scan is complete */
    int64_t offset;           /* the changelog offset the scan's state reflects */
    uint32_t size;            /* bytes of the record that follows (0: no rows) */
    const uint8_t *records;
} strom_msg_kv_scanned;
int strom_msg_kv_scanned_decode(strom_wire_reader *r, strom_msg_kv_scanned *m,
                                strom_error *err);
int strom_msg_kv_scanned_put(strom_buf *b, const strom_msg_kv_scanned *m);

/* ---- ApiVersions response ------------------------------------------------------------ */

typedef struct strom_msg_versions {
    strom_msg_str server;     /* "stromd 0.1.0" */
    uint32_t n;
    struct strom_msg_api {
        uint16_t key, min, max;
    } *v;                     /* owned */
} strom_msg_versions;
int strom_msg_versions_put(strom_buf *b, const char *server);
int strom_msg_versions_decode(strom_wire_reader *r, strom_msg_versions *m, strom_error *err);
void strom_msg_versions_free(strom_msg_versions *m);

/* Decodes a whole request frame (size field included) as the server would: header, then the
 * message. For the fuzz target and tests. Returns 0, or an error naming what was wrong. */
int strom_msg_decode_request(const uint8_t *frame, size_t n, strom_error *err);
/* The same for a response to `api_key`. */
int strom_msg_decode_response(int api_key, const uint8_t *frame, size_t n, strom_error *err);

/* ---- partition values ------------------------------------------------------------------- */

struct strom_value;
/* The partition text of a value of the partition column: INT/BIGINT in decimal, DATE as
 * YYYY-MM-DD, STRING as is. Checked with strom_partition_check. */
int strom_partition_text(const struct strom_value *v, char *buf, size_t cap, strom_error *err);

#endif /* STROM_PROTOCOL_MSG_H */
