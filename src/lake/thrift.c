/*
 * thrift.c: Thrift compact protocol writer (thrift.h).
 */
#include "lake/thrift.h"

#include <string.h>

void thr_init(thr_writer *w, strom_buf *b)
{
    memset(w, 0, sizeof *w);
    w->b = b;
}

bool thr_failed(const thr_writer *w)
{
    return w->failed;
}

static void put(thr_writer *w, const void *p, size_t n)
{
    if (!w->failed && strom_buf_append(w->b, p, n) != 0)
        w->failed = true;
}

static void varint(thr_writer *w, uint64_t v)
{
    uint8_t x[10];
    int n = 0;
    do {
        x[n] = (uint8_t)(v & 0x7F);
        v >>= 7;
        if (v)
            x[n] |= 0x80;
        n++;
    } while (v);
    put(w, x, (size_t)n);
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static void header(thr_writer *w, int16_t id, int type)
{
    int16_t *last = &w->last[w->depth];
    int delta = id - *last;
    if (delta > 0 && delta <= 15) {
        uint8_t h = (uint8_t)((delta << 4) | type);
        put(w, &h, 1);
    } else {
        uint8_t h = (uint8_t)type;
        put(w, &h, 1);
        varint(w, zigzag(id));
    }
    *last = id;
}

void thr_i32(thr_writer *w, int16_t id, int32_t v)
{
    header(w, id, THR_I32);
    varint(w, zigzag(v));
}

void thr_i64(thr_writer *w, int16_t id, int64_t v)
{
    header(w, id, THR_I64);
    varint(w, zigzag(v));
}

void thr_i16(thr_writer *w, int16_t id, int16_t v)
{
    header(w, id, THR_I16);
    varint(w, zigzag(v));
}

void thr_i8(thr_writer *w, int16_t id, int8_t v)
{
    header(w, id, THR_I8);
    put(w, &v, 1);
}

void thr_bool(thr_writer *w, int16_t id, bool v)
{
    header(w, id, v ? THR_TRUE : THR_FALSE);
}

void thr_binary(thr_writer *w, int16_t id, const void *p, size_t n)
{
    header(w, id, THR_BINARY);
    varint(w, n);
    put(w, p, n);
}

void thr_string(thr_writer *w, int16_t id, const char *s)
{
    thr_binary(w, id, s, strlen(s));
}

void thr_struct_begin(thr_writer *w, int16_t id)
{
    if (id)
        header(w, id, THR_STRUCT);
    if (w->depth + 1 >= THR_DEPTH) {
        w->failed = true;
        return;
    }
    w->last[++w->depth] = 0;
}

void thr_struct_end(thr_writer *w)
{
    uint8_t stop = 0;
    put(w, &stop, 1);
    if (w->depth > 0)
        w->depth--;
}

void thr_list(thr_writer *w, int16_t id, int type, uint32_t n)
{
    header(w, id, THR_LIST);
    if (n < 15) {
        uint8_t h = (uint8_t)((n << 4) | (uint32_t)type);
        put(w, &h, 1);
    } else {
        uint8_t h = (uint8_t)(0xF0 | type);
        put(w, &h, 1);
        varint(w, n);
    }
}

void thr_elem_i32(thr_writer *w, int32_t v)
{
    varint(w, zigzag(v));
}

void thr_elem_binary(thr_writer *w, const void *p, size_t n)
{
    varint(w, n);
    put(w, p, n);
}
