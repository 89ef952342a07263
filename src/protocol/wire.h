/*
 * wire.h: strom's wire encoding: frames and the primitive field types every message is made
 * of (docs/protocol.md). Shared by the server and the client.
 *
 *   frame    = u32 size | header | fields | [raw batches]
 *   request  header = u16 api key | u16 api version | u32 correlation id | u16 flags
 *   response header = u32 correlation id | u16 error code | u16 flags
 *
 * All integers are little-endian (the byte order of every machine strom runs on, and of Arrow).
 * Fields are read with a strom_wire_reader that checks every length against the bytes left
 * and latches the first error: a decoder reads all fields, then checks wire_ok() once, and the
 * error names the field that did not fit. Record batches are never copied into a field: a
 * message lists their sizes and the batches follow the fields as raw bytes.
 */
#ifndef STROM_PROTOCOL_WIRE_H
#define STROM_PROTOCOL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "strom/error.h"

#define STROM_FRAME_MAX (64u << 20)     /* largest frame accepted: 64 MiB */
#define STROM_REQUEST_HEADER 10
#define STROM_RESPONSE_HEADER 8
#define STROM_WIRE_STRING_MAX 65535

typedef struct strom_request_header {
    uint16_t api_key, api_version;
    uint32_t correlation_id;
    uint16_t flags;
} strom_request_header;

typedef struct strom_response_header {
    uint32_t correlation_id;
    uint16_t error_code;                /* 0 = none; else a strom error code, negated */
    uint16_t flags;
} strom_response_header;

/* Locates one frame at p[0..n): 0 and *frame_len (including the 4-byte size) when complete,
 * 1 when more bytes are needed (*frame_len = bytes needed so far), negative for a size of 0
 * or above max_frame. */
int strom_frame_peek(const uint8_t *p, size_t n, uint32_t max_frame, size_t *frame_len,
                     strom_error *err);

/* ---- reading fields --------------------------------------------------------------------- */

typedef struct strom_wire_reader {
    const uint8_t *p;
    size_t n, pos;
    const char *failed;                 /* the first field that did not fit, or NULL */
} strom_wire_reader;

void strom_wire_reader_init(strom_wire_reader *r, const uint8_t *p, size_t n);
uint8_t strom_wire_u8(strom_wire_reader *r, const char *field);
uint16_t strom_wire_u16(strom_wire_reader *r, const char *field);
uint32_t strom_wire_u32(strom_wire_reader *r, const char *field);
uint64_t strom_wire_u64(strom_wire_reader *r, const char *field);
int64_t strom_wire_i64(strom_wire_reader *r, const char *field);
/* u16 length + bytes (not NUL-terminated; *len set). NULL on error. */
const char *strom_wire_str(strom_wire_reader *r, uint16_t *len, const char *field);
/* n raw bytes. NULL on error. */
const uint8_t *strom_wire_bytes(strom_wire_reader *r, size_t n, const char *field);
/* An array count, checked against the bytes left assuming each element takes at least
 * min_elem bytes (so a hostile count cannot make the decoder allocate much). */
uint32_t strom_wire_count(strom_wire_reader *r, size_t min_elem, const char *field);
/* 0 when every field fitted; else STROM_EPARSE naming the field and the byte offset. */
int strom_wire_check(const strom_wire_reader *r, strom_error *err);
/* The same, and also no bytes may be left over. */
int strom_wire_finish(const strom_wire_reader *r, strom_error *err);

int strom_request_header_read(strom_wire_reader *r, strom_request_header *h);
int strom_response_header_read(strom_wire_reader *r, strom_response_header *h);

/* ---- writing fields --------------------------------------------------------------------- */

/* Frames are written into a strom_buf: begin reserves the size field, end fills it in. */
size_t strom_frame_begin(strom_buf *b);
int strom_frame_end(strom_buf *b, size_t start, strom_error *err);

int strom_wire_put_u8(strom_buf *b, uint8_t v);
int strom_wire_put_u16(strom_buf *b, uint16_t v);
int strom_wire_put_u32(strom_buf *b, uint32_t v);
int strom_wire_put_u64(strom_buf *b, uint64_t v);
int strom_wire_put_str(strom_buf *b, const char *s, size_t len);
int strom_wire_put_request_header(strom_buf *b, const strom_request_header *h);
int strom_wire_put_response_header(strom_buf *b, const strom_response_header *h);

#endif /* STROM_PROTOCOL_WIRE_H */
