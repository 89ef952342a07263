/*
 * fb_build.h: a minimal flatbuffer builder that produces the same bytes as the C++
 * flatbuffers::FlatBufferBuilder (force_defaults = false) for the same call sequence.
 *
 * The buffer grows from its end towards its start. An object's reference (fb_ref) is the
 * number of bytes written when the object was complete, as in C++'s Offset<T>; 0 means "none".
 * Tables: fb_start_table, fb_add_* (in the order the generated C++ CreateXxx would add them:
 * largest scalars first, same size in reverse declaration order), fb_end_table. Identical
 * vtables are shared. Allocation failure is sticky: check fb_error() once at the end.
 */
#ifndef STROM_COLUMNAR_FB_BUILD_H
#define STROM_COLUMNAR_FB_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t fb_ref;

#define FB_MAX_FIELDS 16

typedef struct fb_builder {
    uint8_t *buf;       /* allocation; the data are the last `size` bytes */
    size_t cap, size;
    size_t minalign;
    bool oom;
    size_t table_start;
    int nfields;
    struct { uint16_t slot; uint32_t off; } fields[FB_MAX_FIELDS];
    uint32_t *vtables;  /* refs of the vtables written so far (for sharing) */
    size_t nvtables, capvtables;
} fb_builder;

void fb_init(fb_builder *b);
void fb_free(fb_builder *b);
void fb_reset(fb_builder *b);
bool fb_error(const fb_builder *b);

fb_ref fb_string(fb_builder *b, const char *s, size_t len);
/* A vector of `count` inline elements (structs or scalars) given in order. */
fb_ref fb_vector_inline(fb_builder *b, const void *elems, size_t count, size_t elem_size,
                        size_t align);
/* A vector of references to tables or strings, given in order. */
fb_ref fb_vector_refs(fb_builder *b, const fb_ref *refs, size_t count);

void fb_start_table(fb_builder *b);
void fb_add_u8(fb_builder *b, int idx, uint8_t v, uint8_t def);
void fb_add_i16(fb_builder *b, int idx, int16_t v, int16_t def);
void fb_add_i32(fb_builder *b, int idx, int32_t v, int32_t def);
void fb_add_i64(fb_builder *b, int idx, int64_t v, int64_t def);
void fb_add_ref(fb_builder *b, int idx, fb_ref r); /* r == 0: field absent */
fb_ref fb_end_table(fb_builder *b);

/* Writes the root offset; the finished flatbuffer is fb_data(b)[0..b->size). */
void fb_finish(fb_builder *b, fb_ref root);
static inline const uint8_t *fb_data(const fb_builder *b) { return b->buf + b->cap - b->size; }

#endif /* STROM_COLUMNAR_FB_BUILD_H */
