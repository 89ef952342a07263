/*
 * batch.h: record batches in memory: read-only column views, the batch builder that seals
 * rows into an Arrow IPC RecordBatch message, and per-batch statistics.
 *
 * Life of a batch:
 *
 *   rows/columns ──append──▶ strom_batch_builder ──seal──▶ encapsulated Arrow RecordBatch
 *                               (stats kept while          message (strom_buf) + stats
 *                                appending: no 2nd pass)   (min/max/nulls, body buffer CRCs)
 *
 *   message ──strom_ipc_decode_batch (ipc.h)──▶ strom_batch (column views into the body,
 *                                              zero-copy when uncompressed)
 *
 * Column view layout per type: see strom/types.h. Views from the decoder point into the
 * message body or into memory the strom_batch owns; they stay valid until strom_batch_free
 * and, for zero-copy views, as long as the message bytes.
 */
#ifndef STROM_COLUMNAR_BATCH_H
#define STROM_COLUMNAR_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "columnar/compress.h"
#include "columnar/value.h"
#include "common/buf.h"
#include "strom/types.h"

/* A read-only view of one column of `length` rows. */
typedef struct strom_col_view {
    int64_t length;
    int64_t null_count;
    const uint8_t *validity; /* ceil(length/8) bytes, bit set = valid; NULL iff null_count == 0 */
    const uint8_t *values;   /* fixed width: length*width bytes; BOOLEAN: ceil(length/8) bytes;
                                STRING/BYTES: the data bytes */
    const int32_t *offsets;  /* STRING/BYTES: length+1 non-decreasing entries into values */
    int64_t values_len;      /* bytes at `values` */
} strom_col_view;

static inline bool strom_col_is_null(const strom_col_view *c, int64_t row)
{
    return c->validity && !((c->validity[row >> 3] >> (row & 7)) & 1);
}

/* Reads row `row` of a column of type `t` into *out (strings point into the view). */
void strom_col_get(const strom_col_view *c, strom_type t, int64_t row, strom_value *out);

/* A decoded batch. All fields are read-only for users. */
typedef struct strom_batch {
    const strom_schema *schema; /* the schema rows are read under; not owned */
    int64_t rows;
    int ncols;                  /* == strom_schema_ncols(schema) */
    strom_col_view *cols;
    struct strom_batch_mem *mem; /* owned memory (decompressed buffers, null fill); opaque */
} strom_batch;

void strom_batch_free(strom_batch *b);

/* ---- statistics ------------------------------------------------------------------------ */

/* Longest STRING/BYTES bound kept. A longer min is cut to this prefix (still a lower bound,
 * min_exact = false); a longer max is cut and its last byte incremented (a strict upper bound,
 * max_exact = false), and if that is impossible (all 0xFF) has_max is false. */
#define STROM_STATS_BOUND_MAX 64

typedef struct strom_col_stats {
    int64_t null_count;
    bool has_min, has_max;       /* false when the column has no non-null value */
    bool min_exact, max_exact;   /* the bound is a value that occurs in the column */
    strom_value min, max;        /* STRING/BYTES: u.s.ptr points into min_bytes/max_bytes;
                                    call strom_col_stats_fix after copying the struct */
    uint8_t min_bytes[STROM_STATS_BOUND_MAX];
    uint8_t max_bytes[STROM_STATS_BOUND_MAX];
} strom_col_stats;

/* Re-points min/max string pointers at this struct's own storage (after a struct copy). */
void strom_col_stats_fix(strom_col_stats *s);

typedef struct strom_batch_stats {
    int64_t rows;
    int ncols;
    strom_col_stats *cols;  /* ncols entries, owned */
    int nbuffers;
    uint32_t *buffer_crc;   /* CRC32C of each body buffer exactly as stored in the message
                               (compressed form incl. its 8-byte prefix; padding excluded), in
                               Arrow buffer order; owned */
} strom_batch_stats;

void strom_batch_stats_free(strom_batch_stats *st);
/* Makes room in st's arrays for ncols columns and nbufs buffer CRCs, keeping its st->ncols
 * columns (*cols_cap, *crc_cap: the arrays' sizes, 0 for a zeroed st; updated). Lets one st
 * serve record after record. 0 or STROM_ENOMEM (st unchanged). */
int strom_batch_stats_reserve(strom_batch_stats *st, int ncols, int nbufs, int *cols_cap,
                              int *crc_cap);

/* Computes column statistics of a decoded batch (for batches that arrive already encoded,
 * e.g. from an Arrow library). buffer_crc is left empty (nbuffers 0). */
int strom_batch_compute_stats(const strom_batch *b, strom_batch_stats *out, strom_error *err);

/* ---- builder --------------------------------------------------------------------------- */

typedef struct strom_batch_builder strom_batch_builder;

typedef struct strom_seal_opts {
    strom_codec codec;  /* body compression */
    int level;          /* codec level, 0 = default */
} strom_seal_opts;

/* A builder for batches of `schema` (not owned: it must outlive the builder). NULL on
 * allocation failure. */
strom_batch_builder *strom_bb_new(const strom_schema *schema);
void strom_bb_free(strom_batch_builder *b);
/* Drops all rows, keeps allocations. */
void strom_bb_reset(strom_batch_builder *b);
/* Rows in column 0 (all columns must have the same count when sealing). */
int64_t strom_bb_rows(const strom_batch_builder *b);
/* Bytes of column data buffered so far (for batch-size limits). */
size_t strom_bb_bytes(const strom_batch_builder *b);

/* Per-column appends. Errors: STROM_EINVAL (null into NOT NULL, wrong type for the column,
 * invalid UTF-8 in STRING), STROM_ERANGE (value does not fit: TINYINT/SMALLINT/INT range,
 * DECIMAL precision, DATE range), STROM_ENOMEM. On error nothing is appended. */
int strom_bb_append_null(strom_batch_builder *b, int col);
int strom_bb_append_bool(strom_batch_builder *b, int col, bool v);
int strom_bb_append_int(strom_batch_builder *b, int col, int64_t v);    /* integer + temporal */
int strom_bb_append_double(strom_batch_builder *b, int col, double v);  /* FLOAT, DOUBLE */
int strom_bb_append_decimal(strom_batch_builder *b, int col, strom_i128 unscaled);
int strom_bb_append_bytes(strom_batch_builder *b, int col, const void *p, size_t n);
int strom_bb_append_value(strom_batch_builder *b, int col, const strom_value *v);

/* Appends a whole row: all values are checked first, so on error nothing is appended. The
 * value types must match the column types (vals[i].type == column type id). */
int strom_bb_append_row(strom_batch_builder *b, const strom_value *vals, strom_error *err);

/* Appends rows [offset, offset+count) of a column view of the same type; stats are updated in
 * the same pass as the copy. Every row is checked before anything is appended; errors:
 * STROM_EINVAL (bad column, range or view; a null into NOT NULL; invalid UTF-8 in a non-null
 * STRING), STROM_ERANGE (DECIMAL precision), STROM_ELIMIT (over 2 GiB of string data),
 * STROM_ENOMEM. On error nothing is appended. (The value widths bound the integer ranges; TIME
 * values from a view are taken as they are.) */
int strom_bb_append_column(strom_batch_builder *b, int col, const strom_col_view *src,
                           int64_t offset, int64_t count);

/* Appends the rows of `src` whose bit is set in `sel` (ceil(src->length/8) bytes). The checks,
 * errors and all-or-nothing rule of strom_bb_append_column apply to the selected rows only. */
int strom_bb_append_selected(strom_batch_builder *b, int col, const strom_col_view *src,
                             const uint8_t *sel);

/* Seals the buffered rows into one encapsulated Arrow RecordBatch message appended to `out`
 * (continuation marker, metadata length, flatbuffer, padding, body) and fills *stats (may be
 * NULL; free with strom_batch_stats_free). The builder is reset on success. Errors: STROM_EINVAL
 * if columns have different row counts. */
int strom_bb_seal(strom_batch_builder *b, const strom_seal_opts *opts, strom_buf *out,
                  strom_batch_stats *stats, strom_error *err);

/* Encodes whole columns (cols[i] for schema column i, each of `rows` rows) straight into one
 * RecordBatch message: each buffer is copied once (or compressed straight from the view), with
 * its CRC32C and the column statistics computed in the same pass. Same checks and same
 * decoded result as appending the columns to a builder and sealing; the fast path for
 * re-encoding decoded batches and for columnar producers. */
int strom_batch_encode(const strom_schema *s, const strom_col_view *cols, int64_t rows,
                       const strom_seal_opts *opts, strom_buf *out, strom_batch_stats *stats,
                       strom_error *err);

/* Filter + project in one step: builds a batch of the columns `cols[0..ncols)` of `src`
 * (in that order, a schema that `out_schema` describes) holding the rows whose bit is set in
 * `sel` (NULL = all rows), and seals it into `out`. `out_schema` must have exactly those
 * columns (see strom_schema_project in ipc.h): the same types (STROM_EINVAL otherwise; a
 * NOT NULL output column accepts only non-null selected rows). STROM_ERANGE for a bad index. */
int strom_batch_select(const strom_batch *src, const uint8_t *sel, const int *cols, int ncols,
                       const strom_schema *out_schema, const strom_seal_opts *opts,
                       strom_buf *out, strom_batch_stats *stats, strom_error *err);

#endif /* STROM_COLUMNAR_BATCH_H */
