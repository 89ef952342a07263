/*
 * ipc.h: Apache Arrow IPC encapsulated messages, streams and files (../shared/specs and
 * docs/format.md), the way strom stores and sends record batches.
 *
 *   encapsulated message = FF FF FF FF | int32 metadata_size | Message flatbuffer + zero pad
 *                          (8 + metadata_size ≡ 0 mod 8) | body (bodyLength, multiple of 8)
 *   stream = Schema message, RecordBatch messages..., EOS (FF FF FF FF 00 00 00 00)
 *   file   = "ARROW1\0\0", stream, Footer flatbuffer, int32 footer length, "ARROW1"
 *
 * The encoder reproduces Arrow C++'s flatbuffer builder byte for byte (back to front, vtable
 * de-duplication, C++ field order), so strom's output equals pyarrow's for the same data.
 * The decoder treats every byte as hostile: it verifies the flatbuffer (bounds, alignment,
 * forward offsets, NUL-terminated strings, vtable sizes), the metadata version, node and
 * buffer counts against the schema, every buffer range against the body, 8-byte buffer
 * alignment, validity and data sizes against the row count, and string offsets (first >= 0,
 * non-decreasing, last within the data buffer) before it reads a value.
 */
#ifndef STROM_COLUMNAR_IPC_H
#define STROM_COLUMNAR_IPC_H

#include <stdbool.h>
#include <stdint.h>

#include "columnar/batch.h"
#include "columnar/compress.h"
#include "common/buf.h"
#include "strom/types.h"

enum {
    STROM_IPC_EOS = 0,
    STROM_IPC_SCHEMA = 1,
    STROM_IPC_DICTIONARY = 2,
    STROM_IPC_RECORD_BATCH = 3,
};

/* Limits on hostile input, each with its reason. */
#define STROM_IPC_MAX_METADATA (16u << 20) /* 16 MiB: far above any real schema/batch header */
#define STROM_IPC_MAX_BODY     (INT64_C(1) << 40) /* sanity bound, callers cap lower */

typedef struct strom_ipc_node {
    int64_t length, null_count;
} strom_ipc_node;

typedef struct strom_ipc_buffer {
    int64_t offset, length; /* relative to the body start */
} strom_ipc_buffer;

/* ---- encoding -------------------------------------------------------------------------- */

/* Appends an encapsulated Schema message for `s` (no body). */
int strom_ipc_write_schema(const strom_schema *s, strom_buf *out, strom_error *err);

/* Appends the prefix + RecordBatch metadata flatbuffer + padding for a body of `body_len`
 * bytes (the caller appends the body). codec NONE leaves BodyCompression out. */
int strom_ipc_write_batch_header(strom_buf *out, int64_t rows, const strom_ipc_node *nodes,
                                 int nnodes, const strom_ipc_buffer *bufs, int nbufs,
                                 strom_codec codec, int64_t body_len, strom_error *err);

/* Appends the end-of-stream marker FF FF FF FF 00 00 00 00. */
int strom_ipc_write_eos(strom_buf *out);

/* A writer for the stream or file format. Output is appended to a caller-owned strom_buf that
 * the caller may flush and reset between calls (the writer tracks absolute positions itself).
 * Batches are added as complete encapsulated RecordBatch messages (from strom_bb_seal or a
 * projection). */
typedef struct strom_ipc_writer strom_ipc_writer;
int strom_ipc_writer_new(const strom_schema *s, bool file_format, strom_buf *out,
                         strom_ipc_writer **w, strom_error *err);
int strom_ipc_writer_add(strom_ipc_writer *w, const uint8_t *msg, size_t len, strom_buf *out,
                         strom_error *err);
/* Writes EOS (and the footer for files). The writer is freed either way. */
int strom_ipc_writer_finish(strom_ipc_writer *w, strom_buf *out, strom_error *err);
void strom_ipc_writer_free(strom_ipc_writer *w);

/* ---- decoding -------------------------------------------------------------------------- */

/* One encapsulated message located in a byte buffer. */
typedef struct strom_ipc_msg {
    int type;                 /* STROM_IPC_* */
    const uint8_t *meta;      /* the Message flatbuffer (after the 8-byte prefix) */
    uint32_t meta_len;        /* metadata_size (flatbuffer + padding) */
    const uint8_t *body;      /* NULL when only the metadata was available */
    uint64_t body_len;        /* Message.bodyLength */
    uint64_t total_len;       /* prefix + metadata + body */
} strom_ipc_msg;

/* Locates and verifies one message at p[0..n). Returns 0 when the whole message (metadata and
 * body) is present; 1 when more bytes are needed, with msg->total_len set to the number of
 * bytes needed so far (at least); negative on malformed input (STROM_ECORRUPT /
 * STROM_EUNSUPPORTED with a message naming the field). The legacy 4-byte prefix (no
 * continuation marker) is accepted. EOS gives type STROM_IPC_EOS and total_len 8. */
int strom_ipc_read_msg(const uint8_t *p, size_t n, strom_ipc_msg *msg, strom_error *err);

/* Same, but only the metadata must be present (body not read, msg->body = NULL): for
 * projecting batches whose body is still on disk. */
int strom_ipc_read_msg_meta(const uint8_t *p, size_t n, strom_ipc_msg *msg, strom_error *err);

/* Decodes a Schema message. Arrow types that strom has no type for are rejected with
 * STROM_EUNSUPPORTED naming the field. */
int strom_ipc_decode_schema(const strom_ipc_msg *m, uint32_t schema_id, strom_schema **out,
                            strom_error *err);

/* Parsed and validated RecordBatch metadata (arrays owned; free with _meta_free). */
typedef struct strom_ipc_batch_meta {
    int64_t rows;
    int nnodes, nbuffers;
    strom_ipc_node *nodes;
    strom_ipc_buffer *buffers;
    strom_codec codec;
    uint64_t body_len;
} strom_ipc_batch_meta;

/* Parses a RecordBatch message's metadata against `s`: node and buffer counts, node lengths
 * equal to the row count, null counts in range, every buffer inside the body and 8-aligned. */
int strom_ipc_parse_batch_meta(const strom_ipc_msg *m, const strom_schema *s,
                               strom_ipc_batch_meta *out, strom_error *err);
void strom_ipc_batch_meta_free(strom_ipc_batch_meta *bm);

/* Decodes a RecordBatch message written under `batch_schema` into column views under
 * `read_schema` (equal to batch_schema, or an evolution of it: the extra columns read as
 * null). Uncompressed, aligned buffers are viewed in place (the message bytes must outlive the
 * batch); compressed ones are decompressed into memory the batch owns. `codec` may be NULL
 * (one is made per call). */
int strom_ipc_decode_batch(const strom_ipc_msg *m, const strom_schema *batch_schema,
                           const strom_schema *read_schema, strom_codec_ctx *codec,
                           strom_batch **out, strom_error *err);

/* Stream reader over bytes in memory (which must outlive the reader and its batches). */
typedef struct strom_ipc_stream_reader strom_ipc_stream_reader;
int strom_ipc_stream_open(const uint8_t *p, size_t n, strom_ipc_stream_reader **r,
                          strom_error *err);
const strom_schema *strom_ipc_stream_schema(const strom_ipc_stream_reader *r);
/* 1 and *out = a batch (caller frees), 0 at the end (EOS or end of bytes), negative on error. */
int strom_ipc_stream_next(strom_ipc_stream_reader *r, strom_batch **out, strom_error *err);
void strom_ipc_stream_close(strom_ipc_stream_reader *r);

/* File reader over bytes in memory (random access to batches through the footer). */
typedef struct strom_ipc_file_reader strom_ipc_file_reader;
int strom_ipc_file_open(const uint8_t *p, size_t n, strom_ipc_file_reader **r, strom_error *err);
const strom_schema *strom_ipc_file_schema(const strom_ipc_file_reader *r);
int strom_ipc_file_nbatches(const strom_ipc_file_reader *r);
int strom_ipc_file_batch(strom_ipc_file_reader *r, int i, strom_batch **out, strom_error *err);
void strom_ipc_file_close(strom_ipc_file_reader *r);

/* ---- projection without decoding ------------------------------------------------------- */

/* A new schema holding columns cols[0..ncols) of s in that order (same id). NULL on ENOMEM or
 * a bad index. */
strom_schema *strom_schema_project(const strom_schema *s, const int *cols, int ncols);

/* A body range of the original message to send as is. */
typedef struct strom_ipc_range {
    uint64_t offset, length; /* relative to the original body start; 8-aligned */
} strom_ipc_range;

typedef struct strom_ipc_projection {
    strom_buf header;          /* the encapsulated prefix + new metadata, ready to send */
    int nranges;
    strom_ipc_range *ranges;   /* original body pieces, in output order (adjacent ones merged) */
    uint64_t body_len;         /* the new bodyLength = sum of range lengths */
    int nbuffers;
    int *buffer_src;           /* for each output buffer, its index among the original buffers
                                  (to carry over per-buffer CRCs) */
} strom_ipc_projection;

/* Projects a RecordBatch message (only its metadata is read; msg->body may be NULL) onto
 * columns cols[0..ncols) of `s`. The result is header + ranges: a valid Arrow message whose
 * body is the listed byte ranges of the original body (compressed buffers untouched).
 * Cost is O(metadata), independent of the body size. Free with _projection_free. */
int strom_ipc_project(const strom_ipc_msg *m, const strom_schema *s, const int *cols, int ncols,
                      strom_ipc_projection *out, strom_error *err);
void strom_ipc_projection_free(strom_ipc_projection *p);

#endif /* STROM_COLUMNAR_IPC_H */
