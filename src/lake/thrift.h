/*
 * thrift.h: the Thrift compact protocol, writing side: what Parquet's metadata needs
 * (../shared/specs/parquet.md §2): structs with field-id deltas, i32/i64 (zigzag varints), i8,
 * bool (in the field header), binary, double, lists.
 *
 * Fields must be written in ascending id order within a struct; a nested struct starts its own
 * id count. Allocation failures are remembered and reported by thr_failed().
 */
#ifndef STROM_LAKE_THRIFT_H
#define STROM_LAKE_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

enum {
    THR_TRUE = 1, THR_FALSE = 2, THR_I8 = 3, THR_I16 = 4, THR_I32 = 5, THR_I64 = 6,
    THR_DOUBLE = 7, THR_BINARY = 8, THR_LIST = 9, THR_STRUCT = 12
};

#define THR_DEPTH 16

typedef struct thr_writer {
    strom_buf *b;
    int16_t last[THR_DEPTH];  /* last field id per open struct */
    int depth;
    bool failed;
} thr_writer;

void thr_init(thr_writer *w, strom_buf *b);
bool thr_failed(const thr_writer *w);

/* Fields of the current struct. */
void thr_i32(thr_writer *w, int16_t id, int32_t v);
void thr_i64(thr_writer *w, int16_t id, int64_t v);
void thr_i16(thr_writer *w, int16_t id, int16_t v);
void thr_i8(thr_writer *w, int16_t id, int8_t v);
void thr_bool(thr_writer *w, int16_t id, bool v);
void thr_binary(thr_writer *w, int16_t id, const void *p, size_t n);
void thr_string(thr_writer *w, int16_t id, const char *s);
/* A struct field (begin, its fields, end), or the root/list element (id 0: no header). */
void thr_struct_begin(thr_writer *w, int16_t id);
void thr_struct_end(thr_writer *w);
/* A list field of n elements of `type`; elements follow (structs: thr_struct_begin(w, 0)). */
void thr_list(thr_writer *w, int16_t id, int type, uint32_t n);
/* List elements of scalar types. */
void thr_elem_i32(thr_writer *w, int32_t v);
void thr_elem_binary(thr_writer *w, const void *p, size_t n);

#endif /* STROM_LAKE_THRIFT_H */
