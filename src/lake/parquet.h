/*
 * parquet.h: strom's Parquet writer (../shared/specs/parquet.md): flat schemas of every strom
 * type with its logical annotation, PLAIN or dictionary (RLE_DICTIONARY) encoding chosen per
 * column chunk by size, definition levels for nullable columns, UNCOMPRESSED / SNAPPY / ZSTD
 * pages, chunk statistics (min, max, null count), several row groups per file.
 *
 * Type mapping (physical + annotation), as Paimon maps its types:
 *   BOOLEAN                 BOOLEAN
 *   TINYINT / SMALLINT      INT32 + INTEGER(8 / 16, signed)
 *   INT / BIGINT            INT32 / INT64
 *   FLOAT / DOUBLE          FLOAT / DOUBLE
 *   DECIMAL(p,s)            INT32 (p <= 9), INT64 (p <= 18), else FIXED_LEN_BYTE_ARRAY of the
 *                           fewest bytes (big-endian two's complement); DECIMAL(p,s)
 *   STRING / BYTES          BYTE_ARRAY + STRING / BYTE_ARRAY
 *   DATE                    INT32 + DATE
 *   TIME                    INT64 + TIME(not adjusted to UTC, MICROS): a time of day
 *   TIMESTAMP / _LTZ        INT64 + TIMESTAMP(not adjusted / adjusted to UTC, MICROS)
 * NOT NULL columns are REQUIRED, others OPTIONAL. One data page (v1) per column chunk.
 */
#ifndef STROM_LAKE_PARQUET_H
#define STROM_LAKE_PARQUET_H

#include <stdbool.h>
#include <stdint.h>

#include "columnar/batch.h"
#include "strom/error.h"
#include "strom/types.h"

typedef enum strom_pq_codec {
    STROM_PQ_UNCOMPRESSED = 0,
    STROM_PQ_SNAPPY = 1,
    STROM_PQ_ZSTD = 6,
} strom_pq_codec;

typedef struct strom_pq_opts {
    strom_pq_codec codec;        /* page compression (ZSTD) */
    int zstd_level;              /* 0: zstd's default */
    bool dictionary;             /* dictionary-encode a chunk when that is smaller (true) */
    int64_t row_group_rows;      /* close a row group at this many rows (1 Mi) */
    uint64_t row_group_bytes;    /* ... or at this many bytes of plain values (128 MiB) */
    const char *created_by;      /* "strom version 0.1.0" */
    const int32_t *field_ids;    /* per column, the SchemaElement field_id (Paimon's field
                                    ids); NULL: none */
} strom_pq_opts;

void strom_pq_opts_default(strom_pq_opts *o);

typedef struct strom_pq_writer strom_pq_writer;

/* A writer of a Parquet file with schema `s` (copied) to `fd`, from its current position. */
int strom_pq_writer_open(int fd, const strom_schema *s, const strom_pq_opts *o,
                         strom_pq_writer **out, strom_error *err);
/* Appends the rows of b (its schema must equal the writer's). */
int strom_pq_write(strom_pq_writer *w, const strom_batch *b, strom_error *err);
/* Writes the last row group and the footer, and frees the writer (whatever happens). */
int strom_pq_writer_close(strom_pq_writer *w, strom_error *err);
/* Frees without finishing the file. */
void strom_pq_writer_abort(strom_pq_writer *w);
/* Rows and file bytes written so far. */
int64_t strom_pq_rows(const strom_pq_writer *w);
uint64_t strom_pq_bytes(const strom_pq_writer *w);

/* ---- reading ---------------------------------------------------------------------------- */

/* A Parquet file in memory (p[0..n), which must outlive it): its footer parsed and checked,
 * its leaves mapped back to strom types (the mapping above, and TIMESTAMP in millis). Nested
 * schemas, INT96 and data pages v2 are refused with STROM_EUNSUPPORTED; damage with
 * STROM_ECORRUPT naming what. */
typedef struct strom_pq_file strom_pq_file;
int strom_pq_open(const uint8_t *p, size_t n, strom_pq_file **out, strom_error *err);
void strom_pq_close(strom_pq_file *f);
const strom_schema *strom_pq_schema(const strom_pq_file *f);
int strom_pq_groups(const strom_pq_file *f);
int64_t strom_pq_file_rows(const strom_pq_file *f);
/* Appends the rows of row group g to bb (a builder of strom_pq_schema). */
int strom_pq_read_group(const strom_pq_file *f, int g, strom_batch_builder *bb,
                        strom_error *err);
/* Only some columns: file column cols[i] into builder column to[i] (the builder's other
 * columns are the caller's to fill). Only those column chunks are touched. */
int strom_pq_read_group_cols(const strom_pq_file *f, int g, const int *cols, const int *to,
                             int n, strom_batch_builder *bb, strom_error *err);
int64_t strom_pq_group_rows(const strom_pq_file *f, int g);
/* Compressed bytes of a column chunk (what reading it touches). */
uint64_t strom_pq_chunk_bytes(const strom_pq_file *f, int g, int col);
/* The statistics of a column chunk: true when known (null count, and min/max unless every
 * value is null); false when the file has none strom can trust. */
bool strom_pq_chunk_stats(const strom_pq_file *f, int g, int col, strom_col_stats *out);

#endif /* STROM_LAKE_PARQUET_H */
