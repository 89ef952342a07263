/* Unit tests for src/protocol/wire.c: frame boundaries, headers and fields round trip, and
 * every truncation of a message is an error naming the field (never a read past the end). */
#include "common/common.h"
#include "protocol/wire.h"
#include "test.h"

/* A request frame: header, a string, a u64, an array of 3 u32. */
static void sample(strom_buf *b)
{
    strom_error err;
    size_t at = strom_frame_begin(b);
    strom_request_header h = {7, 2, 0xABCDEF01u, 1};
    CHECK_EQ(strom_wire_put_request_header(b, &h), 0);
    CHECK_EQ(strom_wire_put_str(b, "db.trades", 9), 0);
    CHECK_EQ(strom_wire_put_u64(b, UINT64_C(0x1122334455667788)), 0);
    CHECK_EQ(strom_wire_put_u32(b, 3), 0);
    for (uint32_t i = 0; i < 3; i++)
        CHECK_EQ(strom_wire_put_u32(b, 100 + i), 0);
    CHECK_OK(strom_frame_end(b, at, &err), &err);
}

/* Decodes the sample message body; returns 0 or the error. */
static int decode(const uint8_t *p, size_t n, strom_error *err)
{
    strom_wire_reader r;
    strom_request_header h;
    strom_wire_reader_init(&r, p, n);
    strom_request_header_read(&r, &h);
    uint16_t len;
    const char *name = strom_wire_str(&r, &len, "table");
    uint64_t v = strom_wire_u64(&r, "offset");
    uint32_t c = strom_wire_count(&r, 4, "columns");
    uint32_t sum = 0;
    for (uint32_t i = 0; i < c; i++)
        sum += strom_wire_u32(&r, "column");
    int rc = strom_wire_finish(&r, err);
    if (rc == 0) {
        CHECK(h.api_key == 7 && h.api_version == 2 && h.correlation_id == 0xABCDEF01u &&
              h.flags == 1);
        CHECK(len == 9 && memcmp(name, "db.trades", 9) == 0);
        CHECK_EQ(v, UINT64_C(0x1122334455667788));
        CHECK_EQ(sum, 303u);
    }
    return rc;
}

TEST(frames_round_trip)
{
    strom_buf b = STROM_BUF_INIT;
    sample(&b);
    sample(&b);
    size_t len;
    strom_error err;
    CHECK_EQ(strom_frame_peek(b.data, b.len, STROM_FRAME_MAX, &len, &err), 0);
    CHECK_EQ(len, b.len / 2);
    CHECK_OK(decode(b.data + 4, len - 4, &err), &err);
    CHECK_EQ(strom_frame_peek(b.data + len, b.len - len, STROM_FRAME_MAX, &len, &err), 0);
    /* incomplete input asks for more */
    for (size_t n = 0; n < b.len / 2; n++)
        CHECK_EQ(strom_frame_peek(b.data, n, STROM_FRAME_MAX, &len, &err), 1);
    /* bad sizes */
    uint8_t zero[4] = {0}, huge[4] = {0xff, 0xff, 0xff, 0x7f};
    CHECK_EQ(strom_frame_peek(zero, 4, STROM_FRAME_MAX, &len, &err), STROM_EPARSE);
    CHECK_EQ(strom_frame_peek(huge, 4, STROM_FRAME_MAX, &len, &err), STROM_EPARSE);
    CHECK(strstr(err.msg, "frame size") != NULL);
    strom_buf_free(&b);
}

TEST(every_truncation_names_a_field)
{
    strom_buf b = STROM_BUF_INIT;
    sample(&b);
    strom_error err;
    for (size_t n = 0; n < b.len - 4; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees any overread */
        memcpy(copy, b.data + 4, n);
        CHECK_EQ(decode(copy, n, &err), STROM_EPARSE);
        CHECK(strstr(err.msg, "does not fit") != NULL);
        free(copy);
    }
    /* trailing bytes are an error too */
    strom_buf_zeros(&b, 3);
    CHECK_EQ(decode(b.data + 4, b.len - 4, &err), STROM_EPARSE);
    CHECK(strstr(err.msg, "3 unexpected bytes") != NULL);
    /* a hostile array count is refused before any element is read */
    strom_wire_reader r;
    uint8_t cnt[8] = {0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4};
    strom_wire_reader_init(&r, cnt, sizeof cnt);
    CHECK_EQ(strom_wire_count(&r, 4, "batches"), 0u);
    CHECK_EQ(strom_wire_check(&r, &err), STROM_EPARSE);
    CHECK(strstr(err.msg, "batches") != NULL);
    strom_buf_free(&b);
}

int main(void)
{
    RUN_TEST(frames_round_trip);
    RUN_TEST(every_truncation_names_a_field);
    return TEST_EXIT();
}
