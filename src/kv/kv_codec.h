/*
 * kv_codec.h: the byte forms of primary-key state: keys and rows as RocksDB stores them.
 *
 * Key: the key columns' values, each in an order-preserving ("memcomparable") form, so that
 * byte order is value order and a prefix of columns is a byte prefix:
 *   BOOLEAN                  1 byte, 0 or 1
 *   integers, DATE, TIME,    8 bytes big-endian of the value with its sign bit flipped
 *   TIMESTAMP[_LTZ]
 *   FLOAT, DOUBLE            8 bytes big-endian of the double's bits, sign-adjusted (negative:
 *                            all bits flipped; else the sign bit set); -0.0 is stored as 0.0,
 *                            every NaN as one NaN
 *   DECIMAL                  16 bytes big-endian of the 128-bit value, sign bit flipped
 *   STRING, BYTES            the bytes with 0x00 escaped as 0x00 0xFF, then 0x00 0x01
 * Key columns are NOT NULL, so a key has no null markers.
 *
 * Row: version byte 1 | u16 column count | null bitmap (LSB first) | each non-null value in
 * column order: BOOLEAN 1 byte, TINYINT 1, SMALLINT 2, INT/DATE 4, FLOAT 4, BIGINT/DOUBLE/
 * TIME/TIMESTAMP[_LTZ] 8, DECIMAL 16 (little-endian), STRING/BYTES u32 length + bytes.
 * A row written before columns were added has fewer columns: the others read as null.
 */
#ifndef STROM_KV_CODEC_H
#define STROM_KV_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "columnar/value.h"
#include "common/buf.h"
#include "strom/error.h"
#include "strom/types.h"

/* Appends the key form of v (non-null, of type t). */
int strom_kv_key_put(strom_buf *b, const strom_value *v);

/* Appends the encoded row of `n` values (their types in v[i].type). */
int strom_kv_row_put(strom_buf *b, const strom_value *v, int n);

/* Decodes a row into out[0..ncols) under `schema` (strings point into p). Columns the row does
 * not have are null; columns past the schema's (a row written after the reader took its
 * schema) are not read. STROM_ECORRUPT when the bytes do not hold such a row. */
int strom_kv_row_get(const uint8_t *p, size_t n, const strom_schema *schema, strom_value *out,
                     strom_error *err);

#endif /* STROM_KV_CODEC_H */
