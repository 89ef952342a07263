/*
 * fb_read.c: verifying flatbuffer access (see fb_read.h). All arithmetic is done in 64 bits
 * on offsets that are bounded by the buffer size (< 4 GiB by construction of the callers), so
 * nothing can wrap.
 */
#include "columnar/fb_read.h"

#include "common/common.h"

static int bad(strom_error *err, const char *what, const char *problem, size_t at)
{
    return strom_error_set(err, STROM_ECORRUPT, "%s: %s (flatbuffer offset %zu)", what, problem,
                           at);
}

static int table_at(const uint8_t *buf, size_t n, uint64_t pos, fb_table *t, const char *what,
                    strom_error *err)
{
    if (pos % 4 || pos + 4 > n)
        return bad(err, what, "table out of bounds or misaligned", (size_t)pos);
    int64_t vt = (int64_t)pos - (int32_t)strom_ld32(buf + pos);
    if (vt < 0 || vt % 2 || (uint64_t)vt + 4 > n)
        return bad(err, what, "vtable out of bounds or misaligned", (size_t)pos);
    uint16_t vtlen = strom_ld16(buf + vt), inl = strom_ld16(buf + vt + 2);
    if (vtlen < 4 || vtlen % 2 || (uint64_t)vt + vtlen > n)
        return bad(err, what, "bad vtable size", (size_t)vt);
    if (inl < 4 || pos + inl > n)
        return bad(err, what, "table extends past the buffer", (size_t)pos);
    *t = (fb_table){buf, n, (size_t)pos, (size_t)vt, vtlen, inl};
    return 0;
}

int fb_root(const uint8_t *buf, size_t n, fb_table *t, const char *what, strom_error *err)
{
    if (n < 8)
        return bad(err, what, "flatbuffer too short", 0);
    return table_at(buf, n, strom_ld32(buf), t, what, err);
}

/* Offset of field idx in the buffer, 0 when absent; checks size and alignment. */
static int field(const fb_table *t, int idx, size_t size, size_t *at, const char *what,
                 strom_error *err)
{
    size_t slot = 4 + 2 * (size_t)idx;
    *at = 0;
    if (slot + 2 > t->vtlen)
        return 0;
    uint16_t off = strom_ld16(t->buf + t->vt + slot);
    if (off == 0)
        return 0;
    if (off < 4 || (size_t)off + size > t->inl)
        return bad(err, what, "field outside its table", t->pos);
    size_t p = t->pos + off;
    if (p % size)
        return bad(err, what, "misaligned field", p);
    *at = p;
    return 0;
}

#define FB_SCALAR(name, type, utype, size, load)                                              \
    int name(const fb_table *t, int idx, type def, type *out, const char *what,               \
             strom_error *err)                                                                \
    {                                                                                         \
        size_t at;                                                                            \
        STROM_TRY(field(t, idx, size, &at, what, err));                                       \
        *out = at ? (type)(utype)load(t->buf + at) : def;                                     \
        return 0;                                                                             \
    }

static inline uint8_t ld8(const uint8_t *p) { return *p; }
FB_SCALAR(fb_u8, uint8_t, uint8_t, 1, ld8)
FB_SCALAR(fb_i16, int16_t, uint16_t, 2, strom_ld16)
FB_SCALAR(fb_i32, int32_t, uint32_t, 4, strom_ld32)
FB_SCALAR(fb_i64, int64_t, uint64_t, 8, strom_ld64)

/* Follows a uoffset field: *target = the referenced position, 0 when absent. */
static int deref(const fb_table *t, int idx, uint64_t *target, const char *what,
                 strom_error *err)
{
    size_t at;
    STROM_TRY(field(t, idx, 4, &at, what, err));
    *target = 0;
    if (!at)
        return 0;
    uint32_t u = strom_ld32(t->buf + at);
    uint64_t tg = (uint64_t)at + u;
    if (u == 0 || tg % 4 || tg + 4 > t->n)
        return bad(err, what, "reference out of bounds or misaligned", at);
    *target = tg;
    return 0;
}

int fb_table_field(const fb_table *t, int idx, fb_table *child, bool *present, const char *what,
                   strom_error *err)
{
    uint64_t tg;
    *present = false;
    STROM_TRY(deref(t, idx, &tg, what, err));
    if (!tg)
        return 0;
    STROM_TRY(table_at(t->buf, t->n, tg, child, what, err));
    *present = true;
    return 0;
}

static int vector_at(const uint8_t *buf, size_t n, uint64_t tg, size_t elem_size, size_t align,
                     fb_vec *v, const char *what, strom_error *err)
{
    uint32_t count = strom_ld32(buf + tg);
    uint64_t first = tg + 4;
    if ((uint64_t)count * elem_size > n - first)
        return bad(err, what, "vector extends past the buffer", (size_t)tg);
    if (count && first % align)
        return bad(err, what, "misaligned vector elements", (size_t)first);
    *v = (fb_vec){buf + first, count, (size_t)first};
    return 0;
}

int fb_vector(const fb_table *t, int idx, size_t elem_size, size_t align, fb_vec *v,
              const char *what, strom_error *err)
{
    uint64_t tg;
    *v = (fb_vec){NULL, 0, 0};
    STROM_TRY(deref(t, idx, &tg, what, err));
    if (!tg)
        return 0;
    return vector_at(t->buf, t->n, tg, elem_size, align, v, what, err);
}

int fb_vector_table(const fb_table *t, const fb_vec *v, uint32_t i, fb_table *child,
                    const char *what, strom_error *err)
{
    if (i >= v->count)
        return bad(err, what, "vector index out of range", v->pos);
    size_t at = v->pos + 4 * (size_t)i;
    uint32_t u = strom_ld32(t->buf + at);
    if (u == 0)
        return bad(err, what, "null element in a vector of tables", at);
    return table_at(t->buf, t->n, (uint64_t)at + u, child, what, err);
}

int fb_string_field(const fb_table *t, int idx, const char **s, uint32_t *len, const char *what,
                    strom_error *err)
{
    uint64_t tg;
    fb_vec v = {NULL, 0, 0};
    *s = NULL;
    *len = 0;
    STROM_TRY(deref(t, idx, &tg, what, err));
    if (!tg)
        return 0;
    STROM_TRY(vector_at(t->buf, t->n, tg, 1, 1, &v, what, err));
    if (v.pos + v.count >= t->n || t->buf[v.pos + v.count] != 0)
        return bad(err, what, "string is not NUL-terminated", (size_t)tg);
    *s = (const char *)v.elems;
    *len = v.count;
    return 0;
}
