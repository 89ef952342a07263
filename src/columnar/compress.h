/*
 * compress.h: Arrow IPC body compression, per buffer.
 *
 * Stored form of one compressed buffer (Arrow Message.fbs, BodyCompression BUFFER method):
 *   int64 LE uncompressed length, or -1 when the bytes that follow are stored raw;
 *   then one LZ4 *frame* (LZ4_FRAME) or one zstd frame (ZSTD), or the raw bytes.
 * A zero-length buffer stays zero-length (no prefix). strom stores a buffer raw (-1) when
 * compressing it would not save at least 1/8 of its size.
 *
 * A strom_codec_ctx holds reusable compression/decompression contexts (one per thread).
 */
#ifndef STROM_COLUMNAR_COMPRESS_H
#define STROM_COLUMNAR_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "strom/error.h"

typedef enum strom_codec {
    STROM_CODEC_NONE = 0,
    STROM_CODEC_LZ4_FRAME = 1,
    STROM_CODEC_ZSTD = 2,
} strom_codec;

typedef struct strom_codec_ctx strom_codec_ctx;

/* NULL on allocation failure. Free with strom_codec_ctx_free (NULL is ignored). */
strom_codec_ctx *strom_codec_ctx_new(void);
void strom_codec_ctx_free(strom_codec_ctx *c);

/* Appends the stored form of src[0..n) to out (prefix + frame, or -1 + raw); c may be NULL
 * (a temporary context is used). n == 0 appends
 * nothing. `level` is the codec's level (0 = the codec's default). */
int strom_compress_buffer(strom_codec_ctx *c, strom_codec codec, int level, const uint8_t *src,
                          size_t n, strom_buf *out, strom_error *err);

/* Decodes one stored buffer src[0..n) into out (appended). Hostile input: the declared
 * uncompressed length must be <= max_len, one the compressed bytes can hold (checked before
 * any memory is reserved) and exactly what the frame holds; otherwise STROM_ECORRUPT /
 * STROM_ECOMPRESS with a message. */
int strom_decompress_buffer(strom_codec_ctx *c, strom_codec codec, const uint8_t *src, size_t n,
                            size_t max_len, strom_buf *out, strom_error *err);

const char *strom_codec_name(strom_codec codec);
/* "none", "lz4" (or "lz4_frame"), "zstd", case-insensitive. */
int strom_codec_parse(const char *s, strom_codec *out);

#endif /* STROM_COLUMNAR_COMPRESS_H */
