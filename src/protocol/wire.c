/*
 * wire.c: frames and primitive fields (wire.h, docs/protocol.md).
 */
#include "protocol/wire.h"

#include <string.h>

#include "common/common.h"

int strom_frame_peek(const uint8_t *p, size_t n, uint32_t max_frame, size_t *frame_len,
                     strom_error *err)
{
    if (n < 4) {
        *frame_len = 4;
        return 1;
    }
    uint32_t size = strom_ld32(p);
    if (size == 0 || size > max_frame)
        return strom_error_set(err, STROM_EPARSE, "frame size %u is not in 1..%u", size,
                               max_frame);
    *frame_len = 4 + (size_t)size;
    return n < *frame_len ? 1 : 0;
}

void strom_wire_reader_init(strom_wire_reader *r, const uint8_t *p, size_t n)
{
    *r = (strom_wire_reader){p, n, 0, NULL};
}

/* The next k bytes, or NULL (and the error latched) when they are not there. */
static const uint8_t *take(strom_wire_reader *r, size_t k, const char *field)
{
    if (r->failed)
        return NULL;
    if (r->n - r->pos < k) {
        r->failed = field;
        return NULL;
    }
    const uint8_t *q = r->p + r->pos;
    r->pos += k;
    return q;
}

uint8_t strom_wire_u8(strom_wire_reader *r, const char *field)
{
    const uint8_t *q = take(r, 1, field);
    return q ? q[0] : 0;
}

uint16_t strom_wire_u16(strom_wire_reader *r, const char *field)
{
    const uint8_t *q = take(r, 2, field);
    return q ? strom_ld16(q) : 0;
}

uint32_t strom_wire_u32(strom_wire_reader *r, const char *field)
{
    const uint8_t *q = take(r, 4, field);
    return q ? strom_ld32(q) : 0;
}

uint64_t strom_wire_u64(strom_wire_reader *r, const char *field)
{
    const uint8_t *q = take(r, 8, field);
    return q ? strom_ld64(q) : 0;
}

int64_t strom_wire_i64(strom_wire_reader *r, const char *field)
{
    return (int64_t)strom_wire_u64(r, field);
}

const char *strom_wire_str(strom_wire_reader *r, uint16_t *len, const char *field)
{
    *len = strom_wire_u16(r, field);
    const uint8_t *q = take(r, *len, field);
    if (!q)
        *len = 0;
    return (const char *)q;
}

const uint8_t *strom_wire_bytes(strom_wire_reader *r, size_t n, const char *field)
{
    return take(r, n, field);
}

uint32_t strom_wire_count(strom_wire_reader *r, size_t min_elem, const char *field)
{
    uint32_t c = strom_wire_u32(r, field);
    if (!r->failed && min_elem && c > (r->n - r->pos) / min_elem) {
        r->failed = field;
        return 0;
    }
    return c;
}

int strom_wire_check(const strom_wire_reader *r, strom_error *err)
{
    if (!r->failed)
        return 0;
    return strom_error_set(err, STROM_EPARSE, "message field '%s' does not fit in the %zu "
                           "bytes of the frame (at byte %zu)", r->failed, r->n, r->pos);
}

int strom_wire_finish(const strom_wire_reader *r, strom_error *err)
{
    STROM_TRY(strom_wire_check(r, err));
    if (r->pos != r->n)
        return strom_error_set(err, STROM_EPARSE, "%zu unexpected bytes after the last field "
                               "of the message", r->n - r->pos);
    return 0;
}

int strom_request_header_read(strom_wire_reader *r, strom_request_header *h)
{
    h->api_key = strom_wire_u16(r, "api_key");
    h->api_version = strom_wire_u16(r, "api_version");
    h->correlation_id = strom_wire_u32(r, "correlation_id");
    h->flags = strom_wire_u16(r, "flags");
    return r->failed ? STROM_EPARSE : 0;
}

int strom_response_header_read(strom_wire_reader *r, strom_response_header *h)
{
    h->correlation_id = strom_wire_u32(r, "correlation_id");
    h->error_code = strom_wire_u16(r, "error_code");
    h->flags = strom_wire_u16(r, "flags");
    return r->failed ? STROM_EPARSE : 0;
}

size_t strom_frame_begin(strom_buf *b)
{
    size_t start = b->len;
    strom_buf_zeros(b, 4); /* a failure shows up in strom_frame_end */
    return start;
}

int strom_frame_end(strom_buf *b, size_t start, strom_error *err)
{
    if (b->len < start + 4)
        return strom_error_set(err, STROM_ENOMEM, "frame: out of memory");
    size_t size = b->len - start - 4;
    if (size == 0 || size > STROM_FRAME_MAX)
        return strom_error_set(err, STROM_ELIMIT, "frame of %zu bytes is not in 1..%u", size,
                               STROM_FRAME_MAX);
    strom_st32(b->data + start, (uint32_t)size);
    return 0;
}

int strom_wire_put_u8(strom_buf *b, uint8_t v)
{
    return strom_buf_append(b, &v, 1);
}

int strom_wire_put_u16(strom_buf *b, uint16_t v)
{
    uint8_t q[2];
    strom_st16(q, v);
    return strom_buf_append(b, q, 2);
}

int strom_wire_put_u32(strom_buf *b, uint32_t v)
{
    uint8_t q[4];
    strom_st32(q, v);
    return strom_buf_append(b, q, 4);
}

int strom_wire_put_u64(strom_buf *b, uint64_t v)
{
    uint8_t q[8];
    strom_st64(q, v);
    return strom_buf_append(b, q, 8);
}

int strom_wire_put_str(strom_buf *b, const char *s, size_t len)
{
    if (len > STROM_WIRE_STRING_MAX)
        return STROM_ELIMIT;
    STROM_TRY(strom_wire_put_u16(b, (uint16_t)len));
    return strom_buf_append(b, s, len);
}

int strom_wire_put_request_header(strom_buf *b, const strom_request_header *h)
{
    STROM_TRY(strom_wire_put_u16(b, h->api_key));
    STROM_TRY(strom_wire_put_u16(b, h->api_version));
    STROM_TRY(strom_wire_put_u32(b, h->correlation_id));
    return strom_wire_put_u16(b, h->flags);
}

int strom_wire_put_response_header(strom_buf *b, const strom_response_header *h)
{
    STROM_TRY(strom_wire_put_u32(b, h->correlation_id));
    STROM_TRY(strom_wire_put_u16(b, h->error_code));
    return strom_wire_put_u16(b, h->flags);
}
