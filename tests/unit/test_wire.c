/* Unit tests for src/protocol/wire.c: frame boundaries, headers and fields round trip, and
 * every truncation of a message is an error naming the field (never a read past the end);
 * Fetch responses of version 1 put their records 8-aligned in the frame. */
#include "common/common.h"
#include "protocol/msg.h"
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

/* A Fetch response with partition names of every length 0..8: version 1 pads the fields so
 * that the records start at a multiple of 8 from the frame's start; nonzero padding and a
 * version mismatch are errors. */
TEST(fetch_response_v1_aligns_records)
{
    for (int plen = 0; plen <= 8; plen++) {
        strom_buf b = STROM_BUF_INIT;
        strom_error err;
        size_t at = strom_frame_begin(&b);
        strom_response_header h = {42, 0, 0};
        CHECK_EQ(strom_wire_put_response_header(&b, &h), 0);
        CHECK_OK(strom_msg_fetch_resp_head_put(&b, 3, 2), &err);
        uint8_t recs[24];
        for (int i = 0; i < 24; i++)
            recs[i] = (uint8_t)(i + 1);
        for (int k = 0; k < 2; k++) {
            strom_msg_fetched f = {{"pppppppp", (uint16_t)plen}, (uint32_t)k, 0, {"", 0},
                                   10, 0, 5, 99, k ? 8u : 16u, NULL};
            CHECK_OK(strom_msg_fetched_put(&b, &f), &err);
        }
        CHECK_OK(strom_msg_fetch_resp_pad(&b), &err);
        CHECK_EQ(b.len % 8, 0u);
        size_t pad_at = b.len;
        strom_buf_append(&b, recs, sizeof recs);
        CHECK_OK(strom_frame_end(&b, at, &err), &err);
        strom_wire_reader r;
        strom_response_header rh;
        strom_msg_fetch_resp m;
        strom_wire_reader_init(&r, b.data + 4, b.len - 4);
        CHECK_EQ(strom_response_header_read(&r, &rh), 0);
        CHECK_OK(strom_msg_fetch_resp_decode(&r, 1, &m, &err), &err);
        CHECK(m.n == 2 && m.v[0].size == 16 && m.v[1].size == 8);
        CHECK_EQ((size_t)(m.v[0].records - b.data), pad_at);
        CHECK_EQ((size_t)(m.v[1].records - b.data), pad_at + 16);
        CHECK(memcmp(m.v[0].records, recs, 24) == 0);
        strom_msg_fetch_resp_free(&m);
        /* read as version 0, the padding is taken for records: bytes are left over */
        strom_wire_reader_init(&r, b.data + 4, b.len - 4);
        strom_response_header_read(&r, &rh);
        int rc0 = strom_msg_fetch_resp_decode(&r, 0, &m, &err);
        if (rc0 == 0)
            strom_msg_fetch_resp_free(&m);
        /* the unpadded length of the fields: 4 + 8 + 8 + 2 * (2 + plen + 4 + 2 + 2 + 36) */
        size_t fields_end = 4 + 8 + 8 + 2 * (2 + (size_t)plen + 4 + 2 + 2 + 36);
        CHECK_EQ(rc0 == 0, fields_end == pad_at);
        /* a padding byte that is not zero */
        if (pad_at > fields_end) {
            b.data[pad_at - 1] = 7;
            strom_wire_reader_init(&r, b.data + 4, b.len - 4);
            strom_response_header_read(&r, &rh);
            CHECK_EQ(strom_msg_fetch_resp_decode(&r, 1, &m, &err), STROM_EPARSE);
            CHECK(strstr(err.msg, "padding") != NULL);
        }
        strom_buf_free(&b);
    }
}

int main(void)
{
    RUN_TEST(frames_round_trip);
    RUN_TEST(every_truncation_names_a_field);
    RUN_TEST(fetch_response_v1_aligns_records);
    return TEST_EXIT();
}
