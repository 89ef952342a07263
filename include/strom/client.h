/*
 * strom/client.h: libstrom, the C client of stromd.
 *
 *   strom_client   one connection (timeouts, reconnect and retry of idempotent requests)
 *                  + DDL, table descriptions, offsets
 *   strom_writer   rows in, Arrow batches out: batches rows per partition and bucket (linger
 *                  time, batch size, compression), sends them with an idempotent writer id
 *                  so a retried batch is never appended twice
 *   strom_scanner  batches out: projection, predicate, start at earliest / latest /
 *                  timestamp / offset, follow or stop at the end; each batch through the
 *                  Arrow C Data Interface or simple row accessors
 *
 * Every function returns 0 or a negative STROM_E* code and fills an optional strom_error with
 * a message that names what failed (the server's message for server-side errors).
 * Objects are not thread safe: use one per thread (a writer and a scanner each hold their
 * own connection).
 */
#ifndef STROM_CLIENT_H
#define STROM_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strom/arrow_c.h"
#include "strom/error.h"
#include "strom/table.h"
#include "strom/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- connection ------------------------------------------------------------------------- */

typedef struct strom_client strom_client;

typedef struct strom_client_opts {
    int connect_timeout_ms;  /* default 5000 */
    int request_timeout_ms;  /* default 30000 (long-poll waits are added to it) */
    int retries;             /* reconnect + resend attempts for idempotent requests (default 3) */
    int retry_backoff_ms;    /* first backoff, doubled per attempt (default 100) */
} strom_client_opts;

void strom_client_opts_default(strom_client_opts *o);
/* addr is "host:port" (IPv4 or a name); NULL opts = defaults. */
int strom_client_connect(const char *addr, const strom_client_opts *o, strom_client **out,
                         strom_error *err);
void strom_client_close(strom_client *c);
/* "stromd 0.1.0" */
int strom_client_server_version(strom_client *c, char *buf, size_t cap, strom_error *err);

/* ---- DDL ------------------------------------------------------------------------------- */

int strom_create_database(strom_client *c, const char *db, bool if_not_exists, strom_error *err);
int strom_drop_database(strom_client *c, const char *db, bool if_exists, strom_error *err);
/* Sorted names; free with strom_free_names. */
int strom_list_databases(strom_client *c, char ***names, int *n, strom_error *err);
int strom_list_tables(strom_client *c, const char *db, char ***names, int *n, strom_error *err);
void strom_free_names(char **names, int n);

/* Creates d->database.d->table; on success d->table_id is set. */
int strom_create_table(strom_client *c, strom_table_desc *d, bool if_not_exists,
                       strom_error *err);
int strom_drop_table(strom_client *c, const char *db, const char *table, bool if_exists,
                     strom_error *err);
/* Adds a nullable column; *schema_id (may be NULL) receives the new schema version. */
int strom_add_column(strom_client *c, const char *db, const char *table, const char *column,
                     strom_type type, uint32_t *schema_id, strom_error *err);
/* Turns tiering into the lake (an Apache Paimon table under the server's lake_dir) on or off;
 * freshness_ms > 0 sets how far the lake may lag the log. */
int strom_set_tiering(strom_client *c, const char *db, const char *table, bool on,
                      int64_t freshness_ms, strom_error *err);
/* What one tiering run did. */
typedef struct strom_tier_info {
    int64_t snapshot_id;        /* the lake snapshot it committed (0: nothing was new) */
    int64_t rows, files;
    uint64_t bytes_read, bytes_written;
} strom_tier_info;
/* Runs tiering for a table now (on the server) and waits for it. */
int strom_tier_now(strom_client *c, const char *db, const char *table, strom_tier_info *out,
                   strom_error *err);
/* The table's description (free with strom_table_desc_free). */
int strom_get_table(strom_client *c, const char *db, const char *table, strom_table_desc *out,
                    strom_error *err);
int strom_create_partition(strom_client *c, const char *db, const char *table,
                           const char *partition, bool if_not_exists, strom_error *err);
int strom_drop_partition(strom_client *c, const char *db, const char *table,
                         const char *partition, bool if_exists, strom_error *err);

/* ---- offsets ---------------------------------------------------------------------------- */

#define STROM_OFFSET_SPEC_LATEST (-1)   /* the next offset to be written (high watermark) */
#define STROM_OFFSET_SPEC_EARLIEST (-2) /* the first offset still kept */
/* The offset of one bucket for `spec` (LATEST, EARLIEST, or a timestamp in ms: the first
 * record committed at or after it). partition is "" for an unpartitioned table. */
int strom_list_offset(strom_client *c, const strom_table_desc *t, const char *partition,
                      uint32_t bucket, int64_t spec, int64_t *offset, strom_error *err);

/* ---- writer ------------------------------------------------------------------------------- */

typedef enum strom_compression {
    STROM_COMPRESSION_NONE = 0,
    STROM_COMPRESSION_LZ4 = 1,
    STROM_COMPRESSION_ZSTD = 2,
} strom_compression;

typedef struct strom_writer_opts {
    int linger_ms;               /* send a batch at most this long after its first row (5);
                                    looked at as rows are written (up to a timer tick, a few
                                    ms, late when linger_ms is longer than a tick) and by
                                    strom_writer_poll and strom_writer_wait */
    size_t batch_bytes;          /* send a batch when its data reaches this size (1 MiB) */
    strom_compression compression; /* body compression of the batches (NONE) */
    bool acks;                   /* wait for durable acknowledgement (true); false: fire and
                                    forget (no response, no retry) */
    const char *const *columns;  /* primary-key tables: the columns each row writes (a
                                    partial update: the others keep their stored values, or
                                    are null for a new key); NULL = every column */
    int ncolumns;
    int max_in_flight;           /* Produce requests sent and not yet answered (8, 1..64).
                                    While all are out, due batches keep collecting rows until
                                    an answer frees a slot (adaptive batching; the writer
                                    looks for answers at every row and in strom_writer_poll),
                                    or until a batch reaches batch_bytes: then it waits. */
} strom_writer_opts;

typedef struct strom_writer strom_writer;

void strom_writer_opts_default(strom_writer_opts *o);
/* A writer for db.table over its own connection to addr. */
int strom_writer_open(const char *addr, const strom_client_opts *copts, const char *db,
                      const char *table, const strom_writer_opts *o, strom_writer **out,
                      strom_error *err);
/* The schema rows are written in (the table's latest). */
const strom_schema *strom_writer_schema(const strom_writer *w);

/* Row building: set the columns of the current row (unset nullable columns are null), then
 * end it. A value of the wrong type or out of range is an error at once; end_row checks NOT
 * NULL columns, and on error the row is dropped whole. */
int strom_writer_set_null(strom_writer *w, int col, strom_error *err);
int strom_writer_set_bool(strom_writer *w, int col, bool v, strom_error *err);
/* integer and temporal columns (DATE days, TIME/TIMESTAMP microseconds) */
int strom_writer_set_int(strom_writer *w, int col, int64_t v, strom_error *err);
int strom_writer_set_double(strom_writer *w, int col, double v, strom_error *err);
int strom_writer_set_bytes(strom_writer *w, int col, const void *p, size_t n, strom_error *err);
/* Any column from its text form, as `strom consume` prints it and `strom produce` reads it
 * (docs/format.md §12): '2026-12-01', '12.50', 'true', BYTES as hex, ... */
int strom_writer_set_text(strom_writer *w, int col, const char *s, size_t n, strom_error *err);
int strom_writer_end_row(strom_writer *w, strom_error *err);
/* Primary-key tables: end_row is an upsert (merged by the table's merge engine); end_delete
 * deletes the key whose columns were set (the other columns are ignored, except a versioned
 * table's version column, which must be set: the delete wins over a stored row of the same
 * or a lower version). Writes go out as PutKv requests and are acknowledged once their
 * changelog is durable. */
int strom_writer_end_delete(strom_writer *w, strom_error *err);

/* Columnar input: appends the rows of an Arrow struct array (C Data Interface) whose children
 * are named like the table's columns (any order; a missing nullable column is null) and have
 * the formats of docs/format.md §11. The array is consumed (released) whether or not the call
 * succeeds; the schema stays the caller's. Tables without partitions and bucket key take
 * whole columns (one copy per buffer, all or nothing); otherwise rows are routed one by one
 * and an error names the row (the rows before it are kept). */
int strom_writer_write_arrow(strom_writer *w, struct ArrowArray *batch,
                             struct ArrowSchema *schema, strom_error *err);

/* Primary-key tables: deletes the keys of the rows of an Arrow struct array whose children
 * are the key columns (named like the table's; a versioned table's version column too; other
 * columns are ignored). Consumed like strom_writer_write_arrow. */
int strom_writer_delete_arrow(strom_writer *w, struct ArrowArray *batch,
                              struct ArrowSchema *schema, strom_error *err);
/* The table written (its latest description when the writer opened). */
const strom_table_desc *strom_writer_table(const strom_writer *w);

/* Sends what is buffered and waits for its acknowledgement. */
int strom_writer_flush(strom_writer *w, strom_error *err);
/* Sends batches whose linger time has passed (call when idle). */
int strom_writer_poll(strom_writer *w, strom_error *err);
/* Waits up to timeout_us microseconds for acknowledgements, settling each as it arrives and
 * sending, at once, the batches it lets go (a freed in-flight slot) or whose linger time
 * passes; returns early when nothing is in flight or buffered. A producer that paces its own
 * rows calls this instead of sleeping between them: rows that collected while every slot was
 * taken leave as soon as an answer comes, not at the next row. */
int strom_writer_wait(strom_writer *w, int64_t timeout_us, strom_error *err);
/* Rows acknowledged so far, rows buffered or in flight, and rows dropped (in batches the
 * server refused, or that could not be sent; each drop is also reported as an error). */
int64_t strom_writer_rows_acked(const strom_writer *w);
int64_t strom_writer_rows_pending(const strom_writer *w);
int64_t strom_writer_rows_dropped(const strom_writer *w);
/* Flushes and closes; the error of the final flush is returned. */
int strom_writer_close(strom_writer *w, strom_error *err);

/* ---- scanner ------------------------------------------------------------------------------ */

typedef enum strom_start {
    STROM_START_EARLIEST = 0,
    STROM_START_LATEST = 1,
    STROM_START_TIMESTAMP = 2,  /* start_value: milliseconds since the epoch */
    STROM_START_OFFSET = 3,     /* start_value: the offset, in every bucket */
} strom_start;

typedef struct strom_scan_opts {
    const char *const *columns; /* names, NULL = every column */
    int ncolumns;
    const char *where;          /* predicate text ("price > 10 AND sym = 'A'"), NULL = all */
    strom_start start;
    int64_t start_value;
    bool follow;                /* wait for new rows forever (else stop at the end); new
                                   partitions are found within a second and read from their
                                   first row */
    int max_wait_ms;            /* long-poll wait per fetch when following (500) */
    uint32_t max_bytes;         /* per fetch (8 MiB); the first fetch asks for at most
                                   1 MiB, each next one for twice as much up to this */
    bool snapshot;              /* primary-key tables: first the current state of every
                                   bucket (a consistent snapshot per bucket, rows with change
                                   type +I), then, when following, the changelog from the
                                   offset each snapshot reflects: no change missed or seen
                                   twice. `start` is ignored. */
    bool lake;                  /* log tables with tiering: a union read. First the rows of
                                   the lake (the newest snapshot of the table's Paimon
                                   table, read straight from its Parquet files with the same
                                   projection and predicate), then each bucket's log from the
                                   offset that snapshot holds it up to: every row once, in
                                   batch or (follow) streaming mode. Starts at the earliest
                                   row; without a lake table it reads the log alone. */
} strom_scan_opts;

typedef struct strom_scanner strom_scanner;
typedef struct strom_result strom_result;

void strom_scan_opts_default(strom_scan_opts *o);
int strom_scanner_open(const char *addr, const strom_client_opts *copts, const char *db,
                       const char *table, const strom_scan_opts *o, strom_scanner **out,
                       strom_error *err);
/* A query in `strom query`'s SQL subset: "SELECT * | col, ... FROM db.table [WHERE predicate]
 * [LIMIT n]" (keywords in any case; the predicate as in strom_scan_opts.where). Opens a
 * union-read scanner (the lake, then the log; `follow`: streaming) over its own connection;
 * *limit (may be NULL) gets the LIMIT, -1 without one: the caller stops after that many
 * rows. Errors say what is wrong with the text. */
int strom_query_open(const char *addr, const strom_client_opts *copts, const char *sql,
                     bool follow, strom_scanner **out, int64_t *limit, strom_error *err);
/* The schema of the batches returned (the chosen columns). */
const strom_schema *strom_scanner_schema(const strom_scanner *s);
/* 1 and *out = the next batch (free with strom_result_free); 0 at the end (not following);
 * 2 when following and max_wait_ms passed without new rows (call again; a chance to stop);
 * or an error. */
int strom_scanner_next(strom_scanner *s, strom_result **out, strom_error *err);
/* Bytes received in record batches, and bytes a plain read of the same records would have
 * moved (what projection and filtering saved). */
void strom_scanner_bytes(const strom_scanner *s, uint64_t *received, uint64_t *stored);
void strom_scanner_close(strom_scanner *s);
/* Hands the scanner over as an Arrow C stream (strom/arrow_c.h, ArrowArrayStream), the form
 * Arrow libraries import a whole read in (pyarrow's RecordBatchReader, DuckDB's Arrow scans,
 * nanoarrow): get_schema gives the scanner's schema, get_next the next batch (a released
 * array at the end of a read to the end; a following scanner waits for rows), and
 * get_last_error the message of the last failure (EIO, ENOMEM or EINVAL; the same failure
 * again on every later call). On success the stream owns the scanner: its release closes it
 * (on failure, only ENOMEM, the caller still does). */
int strom_scanner_export_stream(strom_scanner *s, struct ArrowArrayStream *out,
                                strom_error *err);

/* ---- lookups (primary-key tables) --------------------------------------------------------- */

typedef struct strom_lookup_opts {
    const char *const *columns; /* columns of the rows returned, NULL = every column */
    int ncolumns;
    bool prefix;                /* keys are bucket-key values: every row under each (for a
                                   partitioned table the partition column comes first) */
    int64_t limit;              /* prefix: at most this many rows per key (1000) */
} strom_lookup_opts;

typedef struct strom_lookup strom_lookup;

void strom_lookup_opts_default(strom_lookup_opts *o);
/* Point lookups on db.table (a primary-key table) over their own connection. */
int strom_lookup_open(const char *addr, const strom_client_opts *copts, const char *db,
                      const char *table, const strom_lookup_opts *o, strom_lookup **out,
                      strom_error *err);
/* The key columns, in the order a key gives them: the primary key (prefix: [partition
 * column,] bucket key). */
int strom_lookup_key_count(const strom_lookup *l);
const char *strom_lookup_key_name(const strom_lookup *l, int k);
/* The schema of the rows returned. */
const strom_schema *strom_lookup_schema(const strom_lookup *l);
/* Building a key: set every key column (k = 0..count-1), then add it. */
int strom_lookup_set_int(strom_lookup *l, int k, int64_t v, strom_error *err);
int strom_lookup_set_bytes(strom_lookup *l, int k, const void *p, size_t n, strom_error *err);
int strom_lookup_set_text(strom_lookup *l, int k, const char *s, size_t n, strom_error *err);
int strom_lookup_add(strom_lookup *l, strom_error *err);
/* Looks up every key added since the last run (one request, all buckets at once). *rows
 * holds the rows found, grouped by bucket (free with strom_result_free; NULL when nothing was
 * found); strom_lookup_found says where each key's rows are. */
int strom_lookup_run(strom_lookup *l, strom_result **rows, strom_error *err);
/* After a run: the number of rows found for key i, and the first of them in *first. A
 * prefix key with more than `limit` rows reports limit + 1 (only limit are returned). */
int64_t strom_lookup_found(const strom_lookup *l, int64_t key, int64_t *first);
void strom_lookup_close(strom_lookup *l);

/* A batch of rows. Row accessors: col indexes the scanner's schema. */
int64_t strom_result_rows(const strom_result *r);
const char *strom_result_partition(const strom_result *r);
uint32_t strom_result_bucket(const strom_result *r);
int64_t strom_result_base_offset(const strom_result *r);
int64_t strom_result_commit_ms(const strom_result *r);
/* Change types of the rows of a primary-key table's changelog (log tables: every row is an
 * insert; snapshot rows are inserts). */
typedef enum strom_change {
    STROM_ROW_INSERT = 0,        /* +I: a new key */
    STROM_ROW_UPDATE_BEFORE = 1, /* -U: the row before an update */
    STROM_ROW_UPDATE_AFTER = 2,  /* +U: the row after it */
    STROM_ROW_DELETE = 3,        /* -D: the row deleted */
} strom_change;
strom_change strom_result_change(const strom_result *r, int64_t row);
/* "+I", "-U", "+U", "-D". */
const char *strom_change_name(strom_change c);
bool strom_result_is_null(const strom_result *r, int64_t row, int col);
bool strom_result_bool(const strom_result *r, int64_t row, int col);
int64_t strom_result_int(const strom_result *r, int64_t row, int col);
double strom_result_double(const strom_result *r, int64_t row, int col);
const uint8_t *strom_result_bytes(const strom_result *r, int64_t row, int col, size_t *len);
/* The value as text (as `strom consume` prints it); returns the length it wanted. */
int strom_result_text(const strom_result *r, int64_t row, int col, char *buf, size_t cap);
/* Exports the batch through the Arrow C Data Interface; the result is consumed (freed by the
 * array's release callback, not by strom_result_free). `schema` may be NULL when the caller
 * has the schema already (strom_scanner_export_stream's get_schema, or an earlier export):
 * every batch of a scanner has the same one. */
int strom_result_export(strom_result *r, struct ArrowArray *array, struct ArrowSchema *schema,
                        strom_error *err);
void strom_result_free(strom_result *r);

#ifdef __cplusplus
}
#endif
#endif /* STROM_CLIENT_H */
