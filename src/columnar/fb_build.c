/*
 * fb_build.c: back-to-front flatbuffer builder, byte-compatible with C++ FlatBufferBuilder.
 *
 * The rules it reproduces (../shared/specs/arrow-ipc.md §3.4):
 *   align(n)         pad with zeros until size % n == 0; minalign = max(minalign, n)
 *   prealign(len,n)  if len > 0, pad until (size + len) % n == 0
 *   scalar           align(sizeof), prepend LE bytes
 *   reference        align(4), store size - ref + 4 (the slot is at size + 4)
 *   string           prealign(len+1, 4), NUL, bytes, u32 len
 *   vector           prealign(bytes, 4), prealign(bytes, elem align), elements, u32 count
 *   table            fields; i32 placeholder; vtable [len, inline size, field offsets]
 *                    shared with an identical earlier one or prepended; patch placeholder
 *   finish           prealign(4, minalign), root reference
 */
#include "columnar/fb_build.h"

#include <stdlib.h>
#include <string.h>

#include "common/common.h"

void fb_init(fb_builder *b)
{
    memset(b, 0, sizeof *b);
    b->minalign = 1;
}

void fb_free(fb_builder *b)
{
    free(b->buf);
    free(b->vtables);
    fb_init(b);
}

void fb_reset(fb_builder *b)
{
    b->size = 0;
    b->minalign = 1;
    b->oom = false;
    b->nfields = 0;
    b->nvtables = 0;
}

bool fb_error(const fb_builder *b)
{
    return b->oom;
}

/* Makes room for n more bytes in front of the data; returns where they go, NULL on OOM. */
static uint8_t *make_space(fb_builder *b, size_t n)
{
    if (b->oom || n == 0)
        return NULL; /* nothing to write (callers skip NULL) */
    if (b->cap - b->size < n) {
        size_t ncap = b->cap ? b->cap * 2 : 1024;
        while (ncap - b->size < n)
            ncap *= 2;
        uint8_t *nb = malloc(ncap);
        if (!nb) {
            b->oom = true;
            return NULL;
        }
        if (b->size)
            memcpy(nb + ncap - b->size, b->buf + b->cap - b->size, b->size);
        free(b->buf);
        b->buf = nb;
        b->cap = ncap;
    }
    b->size += n;
    return b->buf + b->cap - b->size;
}

static void push_bytes(fb_builder *b, const void *p, size_t n)
{
    uint8_t *dst = make_space(b, n);
    if (dst && n)
        memcpy(dst, p, n);
}

static void fill_zeros(fb_builder *b, size_t n)
{
    uint8_t *dst = make_space(b, n);
    if (dst)
        memset(dst, 0, n);
}

static size_t padding(size_t size, size_t n)
{
    return (n - (size % n)) % n;
}

static void align(fb_builder *b, size_t n)
{
    if (n > b->minalign)
        b->minalign = n;
    fill_zeros(b, padding(b->size, n));
}

static void prealign(fb_builder *b, size_t len, size_t n)
{
    if (len == 0)
        return;
    if (n > b->minalign)
        b->minalign = n;
    fill_zeros(b, padding(b->size + len, n));
}

static uint32_t push_u32(fb_builder *b, uint32_t v)
{
    align(b, 4);
    uint8_t le[4];
    strom_st32(le, v);
    push_bytes(b, le, 4);
    return (uint32_t)b->size;
}

static uint32_t push_ref(fb_builder *b, fb_ref r)
{
    align(b, 4);
    return push_u32(b, (uint32_t)(b->size - r + 4));
}

fb_ref fb_string(fb_builder *b, const char *s, size_t len)
{
    prealign(b, len + 1, 4);
    fill_zeros(b, 1);
    push_bytes(b, s, len);
    return push_u32(b, (uint32_t)len);
}

fb_ref fb_vector_inline(fb_builder *b, const void *elems, size_t count, size_t elem_size,
                        size_t al)
{
    prealign(b, count * elem_size, 4);
    prealign(b, count * elem_size, al);
    push_bytes(b, elems, count * elem_size);
    return push_u32(b, (uint32_t)count);
}

fb_ref fb_vector_refs(fb_builder *b, const fb_ref *refs, size_t count)
{
    prealign(b, count * 4, 4);
    for (size_t i = count; i > 0; i--)
        push_ref(b, refs[i - 1]);
    return push_u32(b, (uint32_t)count);
}

void fb_start_table(fb_builder *b)
{
    b->table_start = b->size;
    b->nfields = 0;
}

static void track(fb_builder *b, int idx)
{
    if (b->nfields >= FB_MAX_FIELDS) {
        b->oom = true; /* a programming error: treat as failure rather than corrupt output */
        return;
    }
    b->fields[b->nfields].slot = (uint16_t)(4 + 2 * idx);
    b->fields[b->nfields].off = (uint32_t)b->size;
    b->nfields++;
}

static void add_scalar(fb_builder *b, int idx, const void *le, size_t n)
{
    align(b, n);
    push_bytes(b, le, n);
    track(b, idx);
}

void fb_add_u8(fb_builder *b, int idx, uint8_t v, uint8_t def)
{
    if (v != def)
        add_scalar(b, idx, &v, 1);
}

void fb_add_i16(fb_builder *b, int idx, int16_t v, int16_t def)
{
    uint8_t le[2];
    if (v == def)
        return;
    strom_st16(le, (uint16_t)v);
    add_scalar(b, idx, le, 2);
}

void fb_add_i32(fb_builder *b, int idx, int32_t v, int32_t def)
{
    uint8_t le[4];
    if (v == def)
        return;
    strom_st32(le, (uint32_t)v);
    add_scalar(b, idx, le, 4);
}

void fb_add_i64(fb_builder *b, int idx, int64_t v, int64_t def)
{
    uint8_t le[8];
    if (v == def)
        return;
    strom_st64(le, (uint64_t)v);
    add_scalar(b, idx, le, 8);
}

void fb_add_ref(fb_builder *b, int idx, fb_ref r)
{
    if (r == 0)
        return;
    push_ref(b, r);
    track(b, idx);
}

fb_ref fb_end_table(fb_builder *b)
{
    uint32_t loc = push_u32(b, 0); /* soffset placeholder */
    uint16_t maxslot = 0;
    for (int i = 0; i < b->nfields; i++)
        if (b->fields[i].slot > maxslot)
            maxslot = b->fields[i].slot;
    size_t vtlen = maxslot ? (size_t)maxslot + 2 : 4;
    uint8_t vt[4 + 2 * FB_MAX_FIELDS];
    memset(vt, 0, sizeof vt);
    strom_st16(vt, (uint16_t)vtlen);
    strom_st16(vt + 2, (uint16_t)(loc - b->table_start));
    for (int i = 0; i < b->nfields; i++)
        strom_st16(vt + b->fields[i].slot, (uint16_t)(loc - b->fields[i].off));
    b->nfields = 0;
    if (b->oom)
        return 0;

    uint32_t vt_ref = 0;
    for (size_t i = 0; i < b->nvtables; i++) {
        const uint8_t *old = b->buf + b->cap - b->vtables[i];
        if (strom_ld16(old) == vtlen && memcmp(old, vt, vtlen) == 0) {
            vt_ref = b->vtables[i];
            break;
        }
    }
    if (!vt_ref) {
        push_bytes(b, vt, vtlen);
        vt_ref = (uint32_t)b->size;
        if (b->nvtables == b->capvtables) {
            size_t ncap = b->capvtables ? 2 * b->capvtables : 16;
            uint32_t *nv = realloc(b->vtables, ncap * sizeof *nv);
            if (!nv) {
                b->oom = true;
                return 0;
            }
            b->vtables = nv;
            b->capvtables = ncap;
        }
        b->vtables[b->nvtables++] = vt_ref;
    }
    if (b->oom)
        return 0;
    /* soffset: table position minus vtable position, in buffer addresses */
    strom_st32(b->buf + b->cap - loc, (uint32_t)((int32_t)vt_ref - (int32_t)loc));
    return loc;
}

void fb_finish(fb_builder *b, fb_ref root)
{
    prealign(b, 4, b->minalign);
    push_ref(b, root);
}
