/*
 * kv.h: the state of one bucket of a primary-key table: the current row of every key, in
 * RocksDB, derived from the bucket's changelog (its log), which is the source of truth.
 *
 *   <bucket dir>/kv/live/                    the RocksDB instance in use (no WAL of its own)
 *   <bucket dir>/kv/snap-<20-digit offset>/  checkpoints: the state up to that log offset
 *
 * A write (strom_kv_write) holds the bucket: it reads the stored rows of the batch's keys,
 * merges (kv_merge.h), appends the resulting changelog (+I; -U and +U; -D) to the log as one
 * record, waits until that record is durable, and only then applies the new rows to RocksDB
 * and acknowledges. So RocksDB never holds a change the log could lose.
 *
 * Recovery (strom_kv_open): the live instance is discarded; the latest checkpoint is copied
 * (SST files hard-linked) into live/ and the changelog after its offset is replayed (+I/+U
 * put the row, -D removes it). After a crash at any moment the state is the fold of the
 * durable changelog. Checkpoints are taken every `snapshot_bytes` of changelog or
 * `snapshot_ms`, and when the bucket closes; the log keeps everything after the latest
 * (retention holds at strom_kv_snapshot_offset).
 *
 * Keys in RocksDB: 0x01 + the key columns in key form (kv_codec.h): the bucket-key columns
 * first, then the other key columns in key order, so a bucket-key value is a byte prefix.
 * 0x00 + name holds metadata ("applied": the log offset the state reflects).
 *
 * Thread safety: writes to one bucket are serialized inside; lookups and scans run
 * concurrently with them and see a write whole or not at all.
 */
#ifndef STROM_KV_KV_H
#define STROM_KV_KV_H

#include <stdbool.h>
#include <stdint.h>

#include "columnar/batch.h"
#include "common/buf.h"
#include "log/log.h"
#include "strom/error.h"
#include "strom/table.h"

typedef struct strom_kv strom_kv;

typedef struct strom_kv_config {
    uint64_t snapshot_bytes;  /* checkpoint after this much changelog (default 256 MiB) */
    int64_t snapshot_ms;      /* ...or this long after the last one with changes (10 min) */
    uint64_t cache_bytes;     /* RocksDB block cache shared by every bucket (64 MiB; the
                                 first bucket opened sets it) */
    uint64_t row_cache_bytes; /* per bucket: rows looked up, kept in memory in front of
                                 RocksDB (32 MiB; 0 = none) */
} strom_kv_config;

void strom_kv_config_default(strom_kv_config *c);

/* Resolves a schema id of a changelog record to its schema (older versions for replay). */
typedef const strom_schema *(*strom_kv_schema_fn)(void *ctx, uint32_t schema_id);

/* Opens the state in `dir` for the bucket whose log is `log` (already open): restores the
 * latest checkpoint and replays the changelog after it. `d` is the table (latest schema). */
int strom_kv_open(const char *dir, strom_log *log, const strom_table_desc *d,
                  strom_kv_schema_fn schema_for, void *schema_ctx, const strom_kv_config *cfg,
                  strom_kv **out, strom_error *err);
/* Takes a checkpoint (a clean shutdown restarts without replay) and closes. */
void strom_kv_close(strom_kv *kv);
/* Closes without a checkpoint, leaving the files as a crash would (tests of recovery). */
void strom_kv_abandon(strom_kv *kv);

/* The offset of the latest checkpoint: log segments wholly below it may be deleted. */
int64_t strom_kv_snapshot_offset(strom_kv *kv);
/* The log offset the state reflects (every changelog record below it is applied). */
int64_t strom_kv_applied_offset(strom_kv *kv);

typedef struct strom_kv_write_result {
    int64_t base_offset;      /* the changelog record's offset, -1 when nothing changed */
    int32_t changes;          /* changelog rows appended */
    bool duplicate;           /* a retry of a batch already applied: nothing was done */
} strom_kv_write_result;

/* Applies one written record (strom record format: a batch of the table's latest schema;
 * change types +I/+U = upsert, -D = delete, no change types = all upserts; an idempotent
 * writer id and sequence). `written` lists the columns the batch writes (NULL: all): a
 * partial update. The batch is checked whole first (key columns non-null, the engine allows
 * deletes or partial updates, ...): a bad batch changes nothing. Returns when the changelog
 * is durable and the state applied. `d` must be the table's current description. */
/* `check` (may be NULL) is called for every row before anything is done: the server checks
 * that rows belong to the partition they were sent to. */
typedef int (*strom_kv_row_check)(void *ctx, const strom_batch *b, int64_t row,
                                  strom_error *err);
int strom_kv_write(strom_kv *kv, const strom_table_desc *d, const uint8_t *rec, size_t len,
                   const bool *written, strom_kv_row_check check, void *check_ctx,
                   strom_kv_write_result *res, strom_error *err);

/* Point lookups: `keys` holds rows of the key columns (in key order: d->pk) or, with
 * `prefix`, of the bucket-key columns. The found rows (projected to `cols`, NULL = all) are
 * appended to `out` (a builder of the projected schema) in the order of the keys;
 * counts[i] = rows found for key i (0 or 1; a prefix finds up to `limit` rows, and
 * counts[i] = limit + 1 says there were more). */
/* With `memory_only` (point lookups), nothing is read from disk: when a key's data is not
 * in memory (memtable, block cache) the call returns 1 and the caller retries where it may
 * block. */
int strom_kv_lookup(strom_kv *kv, const strom_table_desc *d, const strom_batch *keys,
                    bool prefix, int64_t limit, const int *cols, int ncols, bool memory_only,
                    strom_batch_builder *out, uint32_t *counts, strom_error *err);

/* A consistent scan of the state as of one changelog offset. */
typedef struct strom_kv_scan strom_kv_scan;
int strom_kv_scan_open(strom_kv *kv, strom_kv_scan **out, int64_t *offset, strom_error *err);
/* Appends up to max_rows further rows (all columns of the latest schema) to `out`; *done
 * when the scan has passed the last key. */
int strom_kv_scan_next(strom_kv_scan *sc, const strom_table_desc *d, int64_t max_rows,
                       strom_batch_builder *out, bool *done, strom_error *err);
void strom_kv_scan_close(strom_kv_scan *sc);

/* Takes a checkpoint now if one is due (snapshot_bytes/snapshot_ms), or always with
 * `force`. Returns 1 when one was taken. */
int strom_kv_maybe_checkpoint(strom_kv *kv, bool force, strom_error *err);

/* The RocksDB key of a row (0x01 + key form) from a full row of values of table d. */
int strom_kv_row_key(const strom_table_desc *d, const strom_value *row, strom_buf *key);

#endif /* STROM_KV_KV_H */
