/*
 * compress.c: Arrow IPC body compression, one buffer at a time (see compress.h).
 *
 * Stored form: int64 LE uncompressed length (or -1 = raw bytes follow), then one LZ4 frame or
 * one zstd frame. The codec contexts are created lazily and reused: a zstd context costs
 * ~100 KiB-1 MiB to set up, which would dominate small batches.
 *
 * Decoding is hostile-input safe: the declared length is bounded by the caller's max_len
 * before any allocation, the frame must produce exactly that many bytes, and nothing may
 * follow the frame.
 */
#include "columnar/compress.h"

#include <lz4frame.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "common/common.h"

struct strom_codec_ctx {
    ZSTD_CCtx *zc;
    ZSTD_DCtx *zd;
    LZ4F_cctx *lc;
    LZ4F_dctx *ld;
};

strom_codec_ctx *strom_codec_ctx_new(void)
{
    return calloc(1, sizeof(strom_codec_ctx));
}

void strom_codec_ctx_free(strom_codec_ctx *c)
{
    if (!c)
        return;
    ZSTD_freeCCtx(c->zc);
    ZSTD_freeDCtx(c->zd);
    if (c->lc)
        LZ4F_freeCompressionContext(c->lc);
    if (c->ld)
        LZ4F_freeDecompressionContext(c->ld);
    free(c);
}

const char *strom_codec_name(strom_codec codec)
{
    switch (codec) {
    case STROM_CODEC_NONE: return "none";
    case STROM_CODEC_LZ4_FRAME: return "lz4";
    case STROM_CODEC_ZSTD: return "zstd";
    }
    return "?";
}

int strom_codec_parse(const char *s, strom_codec *out)
{
    if (!strcasecmp(s, "none") || !strcasecmp(s, "uncompressed"))
        *out = STROM_CODEC_NONE;
    else if (!strcasecmp(s, "lz4") || !strcasecmp(s, "lz4_frame"))
        *out = STROM_CODEC_LZ4_FRAME;
    else if (!strcasecmp(s, "zstd"))
        *out = STROM_CODEC_ZSTD;
    else
        return STROM_EINVAL;
    return 0;
}

/* Appends -1 and the raw bytes. */
static int store_raw(const uint8_t *src, size_t n, strom_buf *out, size_t start)
{
    out->len = start;
    uint8_t prefix[8];
    strom_st64(prefix, UINT64_MAX);
    STROM_TRY(strom_buf_append(out, prefix, 8));
    return strom_buf_append(out, src, n);
}

static int lz4_compress(strom_codec_ctx *c, int level, const uint8_t *src, size_t n,
                        strom_buf *out, strom_error *err)
{
    if (!c->lc && LZ4F_isError(LZ4F_createCompressionContext(&c->lc, LZ4F_VERSION)))
        return strom_error_set(err, STROM_ENOMEM, "lz4: cannot create a compression context");
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.compressionLevel = level;
    prefs.frameInfo.contentSize = n; /* lets readers size their output exactly */
    size_t bound = LZ4F_compressFrameBound(n, &prefs);
    if (strom_buf_reserve(out, bound) != 0)
        return strom_error_set(err, STROM_ENOMEM, "lz4: out of memory for %zu bytes", bound);
    uint8_t *dst = out->data + out->len;
    size_t pos = LZ4F_compressBegin(c->lc, dst, bound, &prefs);
    if (!LZ4F_isError(pos)) {
        size_t r = LZ4F_compressUpdate(c->lc, dst + pos, bound - pos, src, n, NULL);
        pos = LZ4F_isError(r) ? r : pos + r;
    }
    if (!LZ4F_isError(pos)) {
        size_t r = LZ4F_compressEnd(c->lc, dst + pos, bound - pos, NULL);
        pos = LZ4F_isError(r) ? r : pos + r;
    }
    if (LZ4F_isError(pos))
        return strom_error_set(err, STROM_ECOMPRESS, "lz4: %s", LZ4F_getErrorName(pos));
    size_t r = pos;
    out->len += r;
    return 0;
}

static int zstd_compress(strom_codec_ctx *c, int level, const uint8_t *src, size_t n,
                         strom_buf *out, strom_error *err)
{
    if (!c->zc && !(c->zc = ZSTD_createCCtx()))
        return strom_error_set(err, STROM_ENOMEM, "zstd: cannot create a compression context");
    size_t bound = ZSTD_compressBound(n);
    if (strom_buf_reserve(out, bound) != 0)
        return strom_error_set(err, STROM_ENOMEM, "zstd: out of memory for %zu bytes", bound);
    size_t r = ZSTD_compressCCtx(c->zc, out->data + out->len, bound, src, n,
                                 level ? level : ZSTD_CLEVEL_DEFAULT);
    if (ZSTD_isError(r))
        return strom_error_set(err, STROM_ECOMPRESS, "zstd: %s", ZSTD_getErrorName(r));
    out->len += r;
    return 0;
}

int strom_compress_buffer(strom_codec_ctx *c, strom_codec codec, int level, const uint8_t *src,
                          size_t n, strom_buf *out, strom_error *err)
{
    if (n == 0)
        return 0;
    if (codec == STROM_CODEC_NONE)
        return strom_error_set(err, STROM_EINVAL, "compress: codec none has no stored form");
    if (!c) { /* one-shot: a temporary context */
        strom_codec_ctx local = {0};
        int rc = strom_compress_buffer(&local, codec, level, src, n, out, err);
        ZSTD_freeCCtx(local.zc);
        if (local.lc)
            LZ4F_freeCompressionContext(local.lc);
        return rc;
    }
    size_t start = out->len;
    uint8_t prefix[8];
    strom_st64(prefix, (uint64_t)n);
    if (strom_buf_append(out, prefix, 8) != 0)
        return strom_error_set(err, STROM_ENOMEM, "compress: out of memory");
    int rc = codec == STROM_CODEC_LZ4_FRAME ? lz4_compress(c, level, src, n, out, err)
           : codec == STROM_CODEC_ZSTD      ? zstd_compress(c, level, src, n, out, err)
                                            : strom_error_set(err, STROM_EINVAL,
                                                              "compress: unknown codec %d",
                                                              (int)codec);
    if (rc != 0) {
        out->len = start;
        return rc;
    }
    /* Not worth it unless it saves 1/8: a raw buffer decodes with a copy. */
    if (out->len - start - 8 > n - n / 8 && store_raw(src, n, out, start) != 0) {
        out->len = start;
        return strom_error_set(err, STROM_ENOMEM, "compress: out of memory");
    }
    return 0;
}

static int lz4_decompress(strom_codec_ctx *c, const uint8_t *src, size_t n, uint8_t *dst,
                          size_t want, strom_error *err)
{
    if (!c->ld && LZ4F_isError(LZ4F_createDecompressionContext(&c->ld, LZ4F_VERSION)))
        return strom_error_set(err, STROM_ENOMEM, "lz4: cannot create a decompression context");
    LZ4F_resetDecompressionContext(c->ld);
    size_t in_pos = 0, out_pos = 0;
    uint8_t spill[16]; /* once dst is full: room to detect a frame longer than declared */
    for (;;) {
        bool full = out_pos == want;
        size_t in_sz = n - in_pos, out_sz = full ? sizeof spill : want - out_pos;
        size_t r = LZ4F_decompress(c->ld, full ? spill : dst + out_pos, &out_sz, src + in_pos,
                                   &in_sz, NULL);
        if (LZ4F_isError(r))
            return strom_error_set(err, STROM_ECOMPRESS, "lz4 frame: %s", LZ4F_getErrorName(r));
        if (full && out_sz)
            return strom_error_set(err, STROM_ECORRUPT,
                                   "lz4 frame holds more than the declared %zu bytes", want);
        in_pos += in_sz;
        out_pos += full ? 0 : out_sz;
        if (r == 0)
            break; /* frame complete */
        if (in_sz == 0 && out_sz == 0)
            return strom_error_set(err, STROM_ECORRUPT, "lz4 frame is truncated");
    }
    if (out_pos != want)
        return strom_error_set(err, STROM_ECORRUPT,
                               "lz4 frame holds %zu bytes, the prefix declares %zu", out_pos,
                               want);
    if (in_pos != n)
        return strom_error_set(err, STROM_ECORRUPT, "%zu bytes after the lz4 frame", n - in_pos);
    return 0;
}

static int zstd_decompress(strom_codec_ctx *c, const uint8_t *src, size_t n, uint8_t *dst,
                           size_t want, strom_error *err)
{
    if (!c->zd && !(c->zd = ZSTD_createDCtx()))
        return strom_error_set(err, STROM_ENOMEM, "zstd: cannot create a decompression context");
    size_t fsz = ZSTD_findFrameCompressedSize(src, n);
    if (ZSTD_isError(fsz))
        return strom_error_set(err, STROM_ECOMPRESS, "zstd frame: %s", ZSTD_getErrorName(fsz));
    if (fsz != n)
        return strom_error_set(err, STROM_ECORRUPT, "%zu bytes after the zstd frame", n - fsz);
    unsigned long long content = ZSTD_getFrameContentSize(src, n);
    if (content != ZSTD_CONTENTSIZE_UNKNOWN && content != ZSTD_CONTENTSIZE_ERROR &&
        content != want)
        return strom_error_set(err, STROM_ECORRUPT,
                               "zstd frame holds %llu bytes, the prefix declares %zu", content,
                               want);
    size_t r = ZSTD_decompressDCtx(c->zd, dst, want, src, n);
    if (ZSTD_isError(r) && ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
        return strom_error_set(err, STROM_ECORRUPT,
                               "zstd frame holds more than the declared %zu bytes", want);
    if (ZSTD_isError(r))
        return strom_error_set(err, STROM_ECOMPRESS, "zstd frame: %s", ZSTD_getErrorName(r));
    if (r != want)
        return strom_error_set(err, STROM_ECORRUPT,
                               "zstd frame holds %zu bytes, the prefix declares %zu", r, want);
    return 0;
}

int strom_decompress_buffer(strom_codec_ctx *c, strom_codec codec, const uint8_t *src, size_t n,
                            size_t max_len, strom_buf *out, strom_error *err)
{
    if (n == 0)
        return 0;
    if (n < 8)
        return strom_error_set(err, STROM_ECORRUPT,
                               "compressed buffer of %zu bytes has no 8-byte length prefix", n);
    int64_t declared = (int64_t)strom_ld64(src);
    src += 8;
    n -= 8;
    if (declared == -1) {
        if (n > max_len)
            return strom_error_set(err, STROM_ECORRUPT,
                                   "raw buffer of %zu bytes exceeds the %zu expected", n, max_len);
        return strom_buf_append(out, src, n) == 0
                   ? 0
                   : strom_error_set(err, STROM_ENOMEM, "out of memory for %zu bytes", n);
    }
    if (declared < 0 || (uint64_t)declared > max_len)
        return strom_error_set(err, STROM_ECORRUPT,
                               "compressed buffer declares %lld bytes, at most %zu expected",
                               (long long)declared, max_len);
    size_t want = (size_t)declared;
    /* Before reserving memory for the declared length, check that the compressed bytes can
     * hold that much: a hostile 8-byte prefix must not make the decoder allocate gigabytes.
     * LZ4 expands at most ~255x; a zstd frame states its content size (Arrow writers and
     * strom always set it), and a frame without one expands at most 32768x (an RLE block). */
    uint64_t can_hold = UINT64_MAX;
    if (codec == STROM_CODEC_LZ4_FRAME) {
        can_hold = (uint64_t)n * 256 + 65536;
    } else if (codec == STROM_CODEC_ZSTD) {
        unsigned long long fcs = ZSTD_getFrameContentSize(src, n);
        if (fcs == ZSTD_CONTENTSIZE_ERROR)
            return strom_error_set(err, STROM_ECORRUPT, "zstd buffer is not a zstd frame");
        if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != (unsigned long long)want)
            return strom_error_set(err, STROM_ECORRUPT, "zstd frame holds %llu bytes, the "
                                   "prefix declares %zu", fcs, want);
        can_hold = (uint64_t)n * 32768 + 65536;
    }
    if ((uint64_t)want > can_hold)
        return strom_error_set(err, STROM_ECORRUPT, "compressed buffer of %zu bytes declares "
                               "%zu bytes, more than it can hold", n, want);
    if (strom_buf_reserve(out, want) != 0)
        return strom_error_set(err, STROM_ENOMEM, "out of memory for %zu bytes", want);
    strom_codec_ctx local = {0};
    strom_codec_ctx *cc = c ? c : &local;
    uint8_t empty[1];
    uint8_t *dst = want ? out->data + out->len : empty; /* a frame of 0 bytes is still checked */
    int rc;
    if (codec == STROM_CODEC_LZ4_FRAME)
        rc = lz4_decompress(cc, src, n, dst, want, err);
    else if (codec == STROM_CODEC_ZSTD)
        rc = zstd_decompress(cc, src, n, dst, want, err);
    else
        rc = strom_error_set(err, STROM_EINVAL, "decompress: unknown codec %d", (int)codec);
    if (!c) {
        ZSTD_freeDCtx(local.zd);
        if (local.ld)
            LZ4F_freeDecompressionContext(local.ld);
    }
    if (rc == 0)
        out->len += want;
    return rc;
}
