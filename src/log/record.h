/*
 * record.h: strom's on-disk (and on-wire) batch format: a fixed 64-byte header, the
 * statistics block, the change-type vector of changelog batches, padding, and one Arrow IPC
 * RecordBatch message. Byte layout: docs/format.md §9.
 *
 *   base offset and length come first and are not covered by the CRC, so the log can assign
 *   offsets without recomputing it; everything after the CRC field is covered by it.
 *
 * Everything read back is hostile: strom_record_parse checks the magic, every length against
 * the bytes present and the CRC before it exposes a field.
 */
#ifndef STROM_LOG_RECORD_H
#define STROM_LOG_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "columnar/batch.h"
#include "common/buf.h"
#include "strom/error.h"

#define STROM_RECORD_MAGIC 1            /* format version of the batch header */
#define STROM_RECORD_HEADER 64          /* fixed header bytes */
#define STROM_RECORD_MAX (1u << 30)     /* 1 GiB: the largest batch strom accepts */

enum {
    STROM_RECORD_CHANGELOG = 1 << 0,    /* attributes: the batch carries change types */
    STROM_RECORD_PROJECTED = 1 << 1,    /* the CRC covers the record up to the end of the Arrow
                                           metadata; the body is covered by the per-buffer
                                           CRCs of the stats block (a projection sent as file
                                           ranges of the stored record) */
};

/* Change types of changelog rows (one byte per row). */
enum { STROM_CHANGE_INSERT = 0, STROM_CHANGE_UPDATE_BEFORE = 1, STROM_CHANGE_UPDATE_AFTER = 2,
       STROM_CHANGE_DELETE = 3 };

typedef struct strom_record_info {
    int64_t base_offset;
    int32_t last_offset_delta;  /* offsets base..base+delta belong to the batch */
    uint16_t attributes;
    int64_t commit_ts;          /* milliseconds since the epoch */
    int32_t leader_epoch;
    uint32_t schema_id;
    int64_t writer_id;          /* -1: no idempotent writer */
    int32_t batch_seq;          /* -1 with writer_id -1 */
    int32_t record_count;
} strom_record_info;

/* Appends one record: header (CRC filled), the stats block from *stats (may be NULL: no
 * column stats and no buffer CRCs), the change types (changelog only, one per row), padding,
 * and the Arrow message. The total length is a multiple of 8. */
int strom_record_write(strom_buf *out, const strom_record_info *info,
                       const strom_batch_stats *stats, const uint8_t *changes,
                       const uint8_t *arrow, size_t arrow_len, strom_error *err);

/* Appends the front of a PROJECTED record whose Arrow body (body_len bytes) the caller sends
 * right after it: header, stats (their buffer CRCs describe the new body), change types,
 * padding and the Arrow metadata `arrow_head` (prefix + flatbuffer + padding). */
int strom_record_write_projected(strom_buf *out, const strom_record_info *info,
                                 const strom_batch_stats *stats, const uint8_t *changes,
                                 const uint8_t *arrow_head, size_t head_len, uint64_t body_len,
                                 strom_error *err);

/* A parsed record: pointers into the bytes given to strom_record_parse. */
typedef struct strom_record {
    strom_record_info info;
    uint32_t total_len;         /* bytes of the whole record */
    const uint8_t *stats;       /* the encoded stats block */
    uint32_t stats_len;
    const uint8_t *changes;     /* NULL unless changelog */
    uint32_t changes_len;
    const uint8_t *arrow;       /* the Arrow RecordBatch message */
    uint32_t arrow_len;
} strom_record;

/* The schema version a record was written under, from its 64-byte header (not checked). */
uint32_t strom_record_header_schema(const uint8_t *header);

/* Reads the 12-byte prefix (base offset, length): the record's total length, or an error if
 * the length is impossible. n must be >= 12. */
int strom_record_peek(const uint8_t *p, size_t n, int64_t *base_offset, uint32_t *total_len,
                      strom_error *err);

/* Parses and verifies (magic, lengths, CRC) a whole record at p[0..n). Returns 1 when more
 * bytes are needed (n shorter than the record), 0 when valid, negative when corrupt. */
int strom_record_parse(const uint8_t *p, size_t n, strom_record *r, strom_error *err);

/* Parses the fields of a record already verified elsewhere (e.g. by the log) from its first
 * n bytes, which must reach at least the start of the Arrow message: no CRC check; r->arrow
 * points at the Arrow message, of which only n - (r->arrow - p) bytes are present. */
int strom_record_parse_front(const uint8_t *p, size_t n, strom_record *r, strom_error *err);

/* The number of columns the stats block of a parsed record describes (0: no block, -1: a
 * block too short to say), without decoding the rest of it. */
int strom_record_stats_ncols(const strom_record *r);

/* Decodes the stats block of a parsed record (free with strom_batch_stats_free). */
int strom_record_stats(const strom_record *r, strom_batch_stats *out, strom_error *err);
/* The same into out's arrays, reused across records (*cols_cap, *crc_cap: their sizes, 0 at
 * first with out zeroed; grown as needed). On an error out holds no columns and can be used
 * again; free it with strom_batch_stats_free after the last record. */
int strom_record_stats_into(const strom_record *r, strom_batch_stats *out, int *cols_cap,
                            int *crc_cap, strom_error *err);

/* Checks the body buffers of a RecordBatch message m, laid out as bm says, against CRCs:
 * buffer k against crcs[src ? src[k] : k] (ncrcs of them; src maps a projection's buffers to
 * the stored record's). `base` names the record in the error (STROM_ECHECKSUM). */
struct strom_ipc_msg;
struct strom_ipc_batch_meta;
int strom_record_check_buffers(const struct strom_ipc_msg *m,
                               const struct strom_ipc_batch_meta *bm, const uint32_t *crcs,
                               int ncrcs, const int *src, int64_t base, strom_error *err);

/* Checks every body buffer of a parsed record against the buffer CRCs of its stats block,
 * reading the Arrow metadata under schema `s` (required for PROJECTED records, an extra
 * check for others). */
int strom_record_verify_buffers(const strom_record *r, const strom_schema *s, strom_error *err);

/* Sets the base offset of an encoded record in place (not covered by the CRC). */
void strom_record_set_base(uint8_t *p, int64_t base_offset);

#endif /* STROM_LOG_RECORD_H */
