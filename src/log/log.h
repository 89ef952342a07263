/*
 * log.h: the bucket log: an append-only sequence of strom records (record.h) in segment files
 * of one directory, with offsets, sparse offset indexes, group commit, crash recovery, reads
 * as file ranges, and retention.
 *
 *   dir/00000000000000000000.log     records, back to back, 8-byte aligned
 *   dir/00000000000000000000.index   sparse index: {u32 offset - base, u32 file position}
 *   dir/00000000000000001234.log     next segment: its name is its first offset
 *
 * Offsets: every record covers [base, base + last_offset_delta]; the log assigns the base.
 * start offset = first offset still kept; end offset = next offset to assign; high watermark
 * = end of what is durable (fsync'ed) under FSYNC_ALWAYS, else of what is written. Reads
 * return records below the high watermark only.
 *
 * Durability (FSYNC_ALWAYS, the default): strom_log_append returns only after its record is
 * on disk. Appenders arriving while an fdatasync runs wait for the next one, which covers
 * them all (group commit). A failed write or fsync makes the log refuse all later appends
 * (sticky error, STROM_EIO): the file may hold a torn tail that only recovery may judge.
 *
 * Recovery (strom_log_open): the last segment is read record by record (length, magic, CRC,
 * offset continuity) and cut at the first bad byte; its index is rebuilt. Older segments are
 * not read at open (open time does not grow with the log): their records are verified the
 * first time they are read, and a corrupt one is reported (STROM_ECHECKSUM), never served.
 *
 * Thread safety: all functions may be called from several threads.
 */
#ifndef STROM_LOG_LOG_H
#define STROM_LOG_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "log/record.h"
#include "strom/error.h"

typedef enum strom_log_fsync {
    STROM_LOG_FSYNC_ALWAYS = 0,   /* fsync before acknowledging (group commit) */
    STROM_LOG_FSYNC_INTERVAL = 1, /* a background fsync every fsync_interval_ms */
    STROM_LOG_FSYNC_NEVER = 2,    /* leave it to the OS (tests, benchmarks) */
} strom_log_fsync;

typedef struct strom_log_config {
    uint64_t segment_bytes;   /* roll before a segment would exceed this (default 1 GiB) */
    int64_t segment_ms;       /* roll a segment older than this, 0 = never (default 7 days) */
    uint64_t retention_bytes; /* keep at most this many bytes, 0 = unlimited (default) */
    int64_t retention_ms;     /* delete segments older than this, 0 = unlimited (default) */
    strom_log_fsync fsync;
    int fsync_interval_ms;    /* FSYNC_INTERVAL period (default 100) */
    uint32_t index_bytes;     /* bytes of records between index entries (default 4096) */
    uint64_t preallocate_bytes; /* FSYNC_ALWAYS: keep this much zero-filled, durable space
                                 ahead of the active segment's end while its appends are
                                 small, so the fdatasync that acknowledges them flushes data
                                 only, not the file system's journal (default 1 MiB; 0 = off) */
    bool writer_gaps;         /* idempotent writers' sequences may skip numbers (primary-key
                                 buckets: a write that changes nothing appends no record);
                                 see strom_writers_check */
} strom_log_config;

void strom_log_config_default(strom_log_config *c);

typedef struct strom_log strom_log;

/* Opens (creating the directory if needed) and recovers the log in `dir`. */
int strom_log_open(const char *dir, const strom_log_config *cfg, strom_log **out,
                   strom_error *err);
/* Flushes (fsync) and closes. Ranges still held keep their segments alive until released. */
void strom_log_close(strom_log *l);

/* Appends one encoded record (strom_record_write; its base offset is overwritten). The record
 * is verified first (a bad one is STROM_ECORRUPT/ECHECKSUM and nothing is written). On success
 * *base_offset is the offset assigned, and under FSYNC_ALWAYS the record is durable. */
int strom_log_append(strom_log *l, uint8_t *rec, size_t len, int64_t *base_offset,
                     strom_error *err);

/* The two halves of strom_log_append, for callers that order appends on one thread and
 * wait for durability on another (a server pipelining one connection's writes): append
 * writes the record and returns at once with the offset that must become durable
 * (*durable_until); `verified` says the caller has already checked the record with
 * strom_record_parse (its CRC is then not computed again); wait_durable blocks until the log
 * is durable up to it (group commit;
 * returns at once unless the policy is FSYNC_ALWAYS). Readers see the record once it is
 * durable under FSYNC_ALWAYS, at once otherwise. */
int strom_log_append_nowait(strom_log *l, uint8_t *rec, size_t len, bool verified,
                            int64_t *base_offset, int64_t *durable_until, strom_error *err);
int strom_log_wait_durable(strom_log *l, int64_t until, strom_error *err);

/* What an append from writer `writer_id` with sequence `seq` would be: 0 = new; 1 = a
 * retry of a batch already appended (*base = its offset; -1 under writer_gaps for one that
 * appended nothing); negative = out of order (STROM_ESTATE). For a caller that must know
 * before building the record (primary-key writes) and keeps appends to the log ordered. */
int strom_log_writer_check(strom_log *l, int64_t writer_id, int32_t seq, int64_t *base,
                           strom_error *err);

/* Remembers batch `seq` of writer `writer_id` as done without a record (a primary-key write
 * that changed nothing), so that a retry is answered as a duplicate (offset -1). Kept in
 * memory and in the writer snapshot of the next segment roll; after a crash such a retry is
 * evaluated again (it changes nothing again unless other writers changed the keys since). */
int strom_log_note_writer(strom_log *l, int64_t writer_id, int32_t seq);

/* fsync now (any policy). */
int strom_log_flush(strom_log *l, strom_error *err);

int64_t strom_log_start_offset(strom_log *l);
int64_t strom_log_end_offset(strom_log *l);
int64_t strom_log_high_watermark(strom_log *l);

/* A run of whole records of one segment file, ready for sendfile/pread. */
typedef struct strom_log_range {
    int fd;
    uint64_t pos;
    uint32_t len;
    int64_t first_offset, last_offset; /* offsets the records cover */
    uint32_t nrecords;
    uint32_t max_schema_id;            /* the newest schema version of its records */
    struct strom_segment *seg;         /* keeps the file open; internal */
} strom_log_range;

typedef struct strom_log_slice {
    int n, cap;
    strom_log_range *ranges;
    int64_t next_offset;               /* where the next read should start */
} strom_log_slice;

/* Whole records from the one containing `offset` on, below the high watermark, up to
 * max_bytes (never splitting a record; at least one record if any exists). An offset below
 * the start offset is STROM_ERANGE; at or past the high watermark the slice is empty. Every
 * record returned has been verified (CRC) at least once since open. */
int strom_log_read(strom_log *l, int64_t offset, size_t max_bytes, strom_log_slice *out,
                   strom_error *err);
/* Copies the bytes of a slice into out (for tests and simple clients). */
int strom_log_slice_copy(const strom_log_slice *s, strom_buf *out, strom_error *err);
void strom_log_slice_release(strom_log_slice *s);

/* ---- reads with projection and predicate --------------------------------------------- */

/* A piece of a view: bytes in view->mem, or a range of a segment file. */
typedef struct strom_log_part {
    size_t mem_off;           /* SIZE_MAX for a file range */
    int fd;
    uint64_t pos, len;
} strom_log_part;

typedef struct strom_log_view {
    int nparts, cap;
    strom_log_part *parts;    /* in order: concatenated, they are a sequence of records */
    strom_buf mem;
    strom_log_slice held;     /* keeps the segment files of the file parts open */
    int64_t next_offset;
    int64_t records_skipped;  /* NONE by their statistics (or no row left after filtering) */
    int64_t records_whole;    /* ALL: sent as stored (projected when columns were chosen) */
    int64_t records_filtered; /* SOME: rows filtered on the server */
    int64_t records_filtered_part; /* ... of those, from the needed columns' buffers alone */
    uint64_t bytes_stored;    /* bytes of the stored records: what a plain read moves */
    uint64_t bytes_out;       /* bytes of the view */
} strom_log_view;

typedef struct strom_log_view_opts {
    const strom_schema *schema; /* the schema the columns and predicate refer to (latest) */
    const int *cols;            /* columns to keep, in order; NULL = all */
    int ncols;
    const struct strom_pred *pred; /* rows to keep; NULL = all */
    /* Records written under an older schema version (a prefix of `schema`) are resolved
     * through this lookup; without it they are an error. Such a record is sent with the
     * requested columns it has (its schema id tells the reader which), or, when filtered,
     * re-encoded under `schema` with the added columns null. */
    const strom_schema *(*schema_for)(void *ctx, uint32_t schema_id);
    void *schema_ctx;
    uint64_t scan_max; /* stored bytes the view reads through at most (0: 64 MiB) */
} strom_log_view_opts;

/* Like strom_log_read, but each record is reduced to the columns and rows asked for: records
 * whose statistics rule every row out are skipped; records whose statistics admit every row
 * are sent as stored (whole-record file range), or, with a projection, as a new PROJECTED
 * record front in memory followed by file ranges of just the selected buffers (compressed
 * buffers untouched); records that match in part are decoded (just the buffers of the
 * chosen and predicate columns when they are at most half the record, each checked by its
 * CRC), filtered row by row and re-encoded (with their change types filtered alike). Offsets
 * keep their span, so a consumer continues at view->next_offset. A record that cannot be
 * served (damaged, or of a schema newer than o->schema) after others ends the view before
 * it; a view that begins at it fails, naming it. */
int strom_log_read_view(strom_log *l, int64_t offset, size_t max_bytes,
                        const strom_log_view_opts *o, strom_log_view *out, strom_error *err);
int strom_log_view_copy(const strom_log_view *v, strom_buf *out, strom_error *err);
void strom_log_view_release(strom_log_view *v);

/* The first offset whose record has a commit timestamp >= ts_ms (milliseconds since the
 * epoch), through the timestamps kept in the segment indexes; the high watermark when there
 * is none (a consumer starting "at ts" then waits for new records). */
int strom_log_offset_for_time(strom_log *l, int64_t ts_ms, int64_t *offset, strom_error *err);

/* Deletes whole old segments beyond the retention limits, but none that holds offsets
 * >= hold_offset (INT64_MAX: no hold; tiering passes what it has not yet copied). Returns the
 * number of segments deleted. */
int strom_log_retain(strom_log *l, int64_t now_ms, int64_t hold_offset, strom_error *err);

#endif /* STROM_LOG_LOG_H */
