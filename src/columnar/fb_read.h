/*
 * fb_read.h: a verifying flatbuffer reader for hostile bytes.
 *
 * Every access is checked before it is made: the table's soffset and vtable lie inside the
 * buffer, the vtable is 2-aligned with an even size >= 4, the table's inline size covers each
 * field, scalars are aligned to their size (relative to the buffer start, as the C++ verifier
 * does), references point forward to 4-aligned objects inside the buffer, vectors fit the
 * buffer with their elements aligned, strings end with a NUL inside the buffer. Loads use
 * memcpy, so the buffer itself may sit at any address.
 *
 * Errors are STROM_ECORRUPT with a message "<what>: <problem>", `what` naming the field.
 */
#ifndef STROM_COLUMNAR_FB_READ_H
#define STROM_COLUMNAR_FB_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strom/error.h"

typedef struct fb_table {
    const uint8_t *buf;
    size_t n;        /* buffer size */
    size_t pos;      /* table start */
    size_t vt;       /* vtable start */
    uint16_t vtlen;  /* vtable size in bytes */
    uint16_t inl;    /* table inline size */
} fb_table;

typedef struct fb_vec {
    const uint8_t *elems; /* NULL when absent */
    uint32_t count;
    size_t pos;           /* offset of the first element in the buffer */
} fb_vec;

/* The root table of buf[0..n). */
int fb_root(const uint8_t *buf, size_t n, fb_table *t, const char *what, strom_error *err);

/* Scalars: *out = the stored value, or def when the field is absent. */
int fb_u8(const fb_table *t, int idx, uint8_t def, uint8_t *out, const char *what,
          strom_error *err);
int fb_i16(const fb_table *t, int idx, int16_t def, int16_t *out, const char *what,
           strom_error *err);
int fb_i32(const fb_table *t, int idx, int32_t def, int32_t *out, const char *what,
           strom_error *err);
int fb_i64(const fb_table *t, int idx, int64_t def, int64_t *out, const char *what,
           strom_error *err);

/* Sub-table; *present = false (and *child untouched) when absent. */
int fb_table_field(const fb_table *t, int idx, fb_table *child, bool *present, const char *what,
                   strom_error *err);
/* Vector of inline elements of elem_size bytes aligned to `align`; v->elems NULL if absent. */
int fb_vector(const fb_table *t, int idx, size_t elem_size, size_t align, fb_vec *v,
              const char *what, strom_error *err);
/* Element i of a vector of tables (v from fb_vector with elem_size 4, align 4). */
int fb_vector_table(const fb_table *t, const fb_vec *v, uint32_t i, fb_table *child,
                    const char *what, strom_error *err);
/* String; *s = NULL when absent. */
int fb_string_field(const fb_table *t, int idx, const char **s, uint32_t *len, const char *what,
                    strom_error *err);

#endif /* STROM_COLUMNAR_FB_READ_H */
