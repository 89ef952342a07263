/* Unit tests for src/columnar/compress.c: the Arrow per-buffer stored form, round trips for
 * each codec, the raw (-1) fallback, and every hostile-input path of the decoder. The frames are
 * also checked against the reference libraries' own one-shot decoders, so the stored form is a
 * real LZ4 / zstd frame and not something only strom can read. */
#include <lz4frame.h>
#include <zstd.h>

#include "columnar/compress.h"
#include "common/common.h"
#include "test.h"

static void fill_compressible(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i / 16) % 7);
}

static void fill_random(uint8_t *p, size_t n)
{
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (uint8_t)x;
    }
}

TEST(round_trip_each_codec)
{
    static uint8_t src[100000];
    fill_compressible(src, sizeof src);
    strom_codec_ctx *c = strom_codec_ctx_new();
    strom_codec codecs[] = {STROM_CODEC_LZ4_FRAME, STROM_CODEC_ZSTD};
    size_t sizes[] = {1, 7, 8, 4096, sizeof src};
    for (int k = 0; k < 2; k++) {
        for (int s = 0; s < 5; s++) {
            strom_buf z = STROM_BUF_INIT, back = STROM_BUF_INIT;
            strom_error err;
            CHECK_OK(strom_compress_buffer(c, codecs[k], 0, src, sizes[s], &z, &err), &err);
            CHECK(z.len >= 8);
            int64_t declared = (int64_t)strom_ld64(z.data);
            CHECK(declared == (int64_t)sizes[s] || declared == -1);
            if (sizes[s] == sizeof src)
                CHECK(declared == (int64_t)sizes[s] && z.len < sizes[s] / 4);
            CHECK_OK(strom_decompress_buffer(c, codecs[k], z.data, z.len, sizes[s], &back, &err),
                     &err);
            CHECK_EQ(back.len, sizes[s]);
            CHECK_MEM(back.data, src, sizes[s]);
            /* and without a context */
            back.len = 0;
            CHECK_OK(strom_decompress_buffer(NULL, codecs[k], z.data, z.len, sizes[s], &back,
                                             &err), &err);
            CHECK_MEM(back.data, src, sizes[s]);
            strom_buf_free(&z);
            strom_buf_free(&back);
        }
    }
    strom_codec_ctx_free(c);
}

TEST(frames_are_standard)
{
    static uint8_t src[50000], out[50000];
    fill_compressible(src, sizeof src);
    strom_buf z = STROM_BUF_INIT;
    strom_error err;
    CHECK_OK(strom_compress_buffer(NULL, STROM_CODEC_ZSTD, 3, src, sizeof src, &z, &err), &err);
    CHECK_EQ(ZSTD_decompress(out, sizeof out, z.data + 8, z.len - 8), sizeof src);
    CHECK_MEM(out, src, sizeof src);
    z.len = 0;
    CHECK_OK(strom_compress_buffer(NULL, STROM_CODEC_LZ4_FRAME, 0, src, sizeof src, &z, &err),
             &err);
    LZ4F_dctx *d;
    CHECK(!LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)));
    size_t on = sizeof out, in = z.len - 8;
    CHECK_EQ(LZ4F_decompress(d, out, &on, z.data + 8, &in, NULL), 0u);
    CHECK_EQ(on, sizeof src);
    CHECK_MEM(out, src, sizeof src);
    LZ4F_freeDecompressionContext(d);
    strom_buf_free(&z);
}

TEST(incompressible_is_stored_raw_and_empty_is_empty)
{
    static uint8_t src[10000];
    fill_random(src, sizeof src);
    strom_buf z = STROM_BUF_INIT, back = STROM_BUF_INIT;
    strom_error err;
    CHECK_OK(strom_compress_buffer(NULL, STROM_CODEC_ZSTD, 0, src, sizeof src, &z, &err), &err);
    CHECK_EQ(z.len, sizeof src + 8);
    CHECK_EQ((int64_t)strom_ld64(z.data), -1);
    CHECK_MEM(z.data + 8, src, sizeof src);
    CHECK_OK(strom_decompress_buffer(NULL, STROM_CODEC_ZSTD, z.data, z.len, sizeof src, &back,
                                     &err), &err);
    CHECK_MEM(back.data, src, sizeof src);
    z.len = 0;
    CHECK_OK(strom_compress_buffer(NULL, STROM_CODEC_LZ4_FRAME, 0, src, 0, &z, &err), &err);
    CHECK_EQ(z.len, 0u);
    back.len = 0;
    CHECK_OK(strom_decompress_buffer(NULL, STROM_CODEC_LZ4_FRAME, z.data, 0, 0, &back, &err),
             &err);
    CHECK_EQ(back.len, 0u);
    strom_buf_free(&z);
    strom_buf_free(&back);
}

static int decode(strom_codec codec, const uint8_t *p, size_t n, size_t max, strom_error *err)
{
    strom_buf back = STROM_BUF_INIT;
    int rc = strom_decompress_buffer(NULL, codec, p, n, max, &back, err);
    strom_buf_free(&back);
    return rc;
}

TEST(hostile_inputs_are_rejected)
{
    static uint8_t src[20000];
    fill_compressible(src, sizeof src);
    strom_codec codecs[] = {STROM_CODEC_LZ4_FRAME, STROM_CODEC_ZSTD};
    for (int k = 0; k < 2; k++) {
        strom_buf z = STROM_BUF_INIT;
        strom_error err;
        CHECK_OK(strom_compress_buffer(NULL, codecs[k], 0, src, sizeof src, &z, &err), &err);
        /* truncated prefix */
        CHECK_EQ(decode(codecs[k], z.data, 5, sizeof src, &err), STROM_ECORRUPT);
        CHECK(strstr(err.msg, "prefix") != NULL);
        /* declared length above what the column needs */
        CHECK_EQ(decode(codecs[k], z.data, z.len, sizeof src - 1, &err), STROM_ECORRUPT);
        /* declared length that lies (smaller or larger than the frame) */
        uint8_t *bad = malloc(z.len + 16);
        memcpy(bad, z.data, z.len);
        strom_st64(bad, sizeof src - 100);
        CHECK(decode(codecs[k], bad, z.len, sizeof src, &err) < 0);
        strom_st64(bad, sizeof src + 100);
        CHECK(decode(codecs[k], bad, z.len, sizeof src + 100, &err) < 0);
        strom_st64(bad, (uint64_t)-7);
        CHECK_EQ(decode(codecs[k], bad, z.len, sizeof src, &err), STROM_ECORRUPT);
        /* truncated frame at many lengths */
        for (size_t n = 8; n < z.len; n += 1 + n / 8)
            CHECK(decode(codecs[k], z.data, n, sizeof src, &err) < 0);
        /* trailing garbage */
        memcpy(bad, z.data, z.len);
        memset(bad + z.len, 0xAB, 16);
        CHECK(decode(codecs[k], bad, z.len + 16, sizeof src, &err) < 0);
        /* flipped bytes never crash; a success must give the right length */
        for (size_t i = 8; i < z.len; i += 3) {
            memcpy(bad, z.data, z.len);
            bad[i] ^= 0x5A;
            strom_buf back = STROM_BUF_INIT;
            if (strom_decompress_buffer(NULL, codecs[k], bad, z.len, sizeof src, &back, &err) == 0)
                CHECK_EQ(back.len, sizeof src);
            strom_buf_free(&back);
        }
        free(bad);
        strom_buf_free(&z);
    }
    /* a frame that declares and holds 0 bytes is valid; one that holds more is not */
    {
        uint8_t z0[64];
        size_t fz = ZSTD_compress(z0 + 8, sizeof z0 - 8, "", 0, 1);
        strom_st64(z0, 0);
        strom_error e0;
        CHECK_OK(decode(STROM_CODEC_ZSTD, z0, 8 + fz, 0, &e0), &e0);
        uint8_t z1[64];
        size_t f1 = ZSTD_compress(z1 + 8, sizeof z1 - 8, "abc", 3, 1);
        strom_st64(z1, 0);
        CHECK(decode(STROM_CODEC_ZSTD, z1, 8 + f1, 0, &e0) < 0);
    }
    /* a huge declared length is refused before any memory is reserved for it (found by
     * fuzz_ipc_decode: a 2 GiB allocation for a tiny buffer) */
    {
        static uint8_t small[300];
        fill_compressible(small, sizeof small);
        strom_codec codecs2[] = {STROM_CODEC_LZ4_FRAME, STROM_CODEC_ZSTD};
        for (int k = 0; k < 2; k++) {
            strom_buf z = STROM_BUF_INIT;
            strom_error e;
            CHECK_OK(strom_compress_buffer(NULL, codecs2[k], 0, small, sizeof small, &z, &e), &e);
            strom_st64(z.data, (uint64_t)1 << 31);
            CHECK_EQ(decode(codecs2[k], z.data, z.len, (size_t)1 << 32, &e), STROM_ECORRUPT);
            CHECK(strstr(e.msg, k == 0 ? "more than it can hold" : "the prefix declares") != NULL);
            strom_buf_free(&z);
        }
    }
    /* raw form longer than allowed */
    uint8_t raw[24];
    strom_st64(raw, (uint64_t)-1);
    memset(raw + 8, 1, 16);
    strom_error err;
    CHECK_EQ(decode(STROM_CODEC_ZSTD, raw, sizeof raw, 15, &err), STROM_ECORRUPT);
    CHECK_OK(decode(STROM_CODEC_ZSTD, raw, sizeof raw, 16, &err), &err);
}

TEST(names_parse)
{
    strom_codec c;
    CHECK_EQ(strom_codec_parse("LZ4", &c), 0);
    CHECK_EQ(c, STROM_CODEC_LZ4_FRAME);
    CHECK_EQ(strom_codec_parse("lz4_frame", &c), 0);
    CHECK_EQ(strom_codec_parse("Zstd", &c), 0);
    CHECK_EQ(c, STROM_CODEC_ZSTD);
    CHECK_EQ(strom_codec_parse("none", &c), 0);
    CHECK_EQ(c, STROM_CODEC_NONE);
    CHECK(strom_codec_parse("gzip", &c) < 0);
    CHECK_STR(strom_codec_name(STROM_CODEC_ZSTD), "zstd");
}

int main(void)
{
    RUN_TEST(round_trip_each_codec);
    RUN_TEST(frames_are_standard);
    RUN_TEST(incompressible_is_stored_raw_and_empty_is_empty);
    RUN_TEST(hostile_inputs_are_rejected);
    RUN_TEST(names_parse);
    return TEST_EXIT();
}
