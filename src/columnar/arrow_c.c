/*
 * arrow_c.c: export of schemas and decoded batches through the Arrow C Data Interface
 * (arrow_c_export.h, strom/arrow_c.h).
 *
 * Schema: a struct ("+s") whose children are the columns. Each child owns its name and format
 * in one private block, so a consumer may move a child out and release it on its own; the
 * parent's private block holds the child structures and the pointer array to them.
 *
 * Batch: a struct array whose children are the columns, buffers pointing into the column
 * views (zero copy). Everything the parent and the children point at lives in one shared,
 * reference-counted block:
 *
 *   export_shared { refs = 1 + ncols, batch, owner, owner_free,
 *                   top_buffers[1]        parent's buffer list {NULL}
 *                   child_ptrs[ncols]     parent's children array
 *                   child_arrays[ncols]   the child structures themselves
 *                   child_buffers[3*ncols] each child's buffer list }
 *
 * private_data of the parent and of every child is that block. Releasing a child marks it
 * released and drops one reference; releasing the parent first releases every child still
 * unreleased (children not moved out), then drops its own reference. The last reference frees
 * the batch, calls owner_free(owner) and frees the block. The count is atomic because moved
 * children may be released on other threads. A moved child's structure is a copy elsewhere;
 * its slot in child_arrays stays (marked released) until the block goes, which is harmless.
 *
 * Buffer pointers other than validity are never NULL: older consumers dereference them even
 * for empty buffers (apache/arrow#33936), so a static zero block stands in, which also serves
 * as the single 0 offset of an empty STRING/BYTES column that has no offsets array.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/arrow_c_export.h"
#include "common/common.h"

/* Stand-in for empty buffers: zero bytes of data, or one int32 0 offset. 64-aligned because
 * Arrow recommends that alignment and some consumers check it even for empty buffers. */
_Alignas(64) static const uint8_t zero_block[64];

int strom_arrow_format(strom_type t, char *buf, size_t cap)
{
    static const char *const fmt[] = {
        [STROM_TYPE_BOOLEAN] = "b",   [STROM_TYPE_TINYINT] = "c",  [STROM_TYPE_SMALLINT] = "s",
        [STROM_TYPE_INT] = "i",       [STROM_TYPE_BIGINT] = "l",   [STROM_TYPE_FLOAT] = "f",
        [STROM_TYPE_DOUBLE] = "g",    [STROM_TYPE_STRING] = "u",   [STROM_TYPE_BYTES] = "z",
        [STROM_TYPE_DATE] = "tdD",    [STROM_TYPE_TIME] = "ttu",   [STROM_TYPE_TIMESTAMP] = "tsu:",
        [STROM_TYPE_TIMESTAMP_LTZ] = "tsu:UTC",
    };
    if (cap > 0)
        buf[0] = '\0';
    if (!strom_type_valid(t))
        return STROM_EINVAL;
    int n;
    if (t.id == STROM_TYPE_DECIMAL) { /* 128-bit is the default width of "d:p,s" */
        n = snprintf(buf, cap, "d:%u,%u", (unsigned)t.precision, (unsigned)t.scale);
    } else { /* once per column of every batch exported: no printf */
        n = (int)strlen(fmt[t.id]);
        if ((size_t)n < cap)
            memcpy(buf, fmt[t.id], (size_t)n + 1);
    }
    return n >= 0 && (size_t)n < cap ? 0 : STROM_EINVAL;
}

/* ---- schema ---------------------------------------------------------------------------- */

/* One block holds the whole exported schema: the children and their pointers, then each
 * child's format (16 bytes: the longest is "d:38,38") and NUL-terminated name. The parent
 * and every child hold a reference, so a child moved out by the consumer outlives the
 * parent's release (the C Data Interface allows it). */
typedef struct schema_shared {
    int64_t refs; /* parent + unreleased children; atomic */
    struct ArrowSchema **ptrs;
    struct ArrowSchema *slots;
} schema_shared;

static void schema_unref(schema_shared *sh)
{
    if (__atomic_sub_fetch(&sh->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(sh);
}

static void schema_child_release(struct ArrowSchema *s)
{
    if (!s->release)
        return;
    schema_shared *sh = s->private_data;
    s->private_data = NULL;
    s->release = NULL;
    schema_unref(sh);
}

static void schema_parent_release(struct ArrowSchema *s)
{
    if (!s->release)
        return;
    schema_shared *sh = s->private_data;
    for (int64_t i = 0; i < s->n_children; i++)
        if (s->children[i]->release) /* NULL when moved out or released by the consumer */
            s->children[i]->release(s->children[i]);
    s->private_data = NULL;
    s->release = NULL;
    schema_unref(sh);
}

int strom_arrow_export_schema(const strom_schema *s, struct ArrowSchema *out, strom_error *err)
{
    int n = strom_schema_ncols(s);
    out->release = NULL;
    size_t strings = 0;
    for (int c = 0; c < n; c++)
        strings += 16 + strlen(strom_schema_col_name(s, c)) + 1;
    size_t nc = n > 0 ? (size_t)n : 1;
    schema_shared *sh = malloc(sizeof *sh + nc * sizeof *sh->ptrs + nc * sizeof *sh->slots +
                               strings);
    if (!sh)
        return strom_error_set(err, STROM_ENOMEM, "arrow export: out of memory");
    sh->ptrs = (struct ArrowSchema **)(void *)(sh + 1);
    sh->slots = (struct ArrowSchema *)(void *)(sh->ptrs + nc);
    char *str = (char *)(sh->slots + nc);
    for (int c = 0; c < n; c++) {
        const char *name = strom_schema_col_name(s, c);
        size_t len = strlen(name);
        char *format = str;
        if (strom_arrow_format(strom_schema_col_type(s, c), format, 16) != 0) {
            free(sh);
            return strom_error_set(err, STROM_EINVAL, "arrow export: column %d '%s' has an "
                                   "invalid type", c, name);
        }
        memcpy(str + 16, name, len + 1);
        sh->slots[c] = (struct ArrowSchema){
            .format = format,
            .name = str + 16,
            .metadata = NULL,
            .flags = strom_schema_col_nullable(s, c) ? ARROW_FLAG_NULLABLE : 0,
            .n_children = 0,
            .children = NULL,
            .dictionary = NULL,
            .release = schema_child_release,
            .private_data = sh,
        };
        sh->ptrs[c] = &sh->slots[c];
        str += 16 + len + 1;
    }
    sh->refs = 1 + n;
    *out = (struct ArrowSchema){
        .format = "+s",
        .name = "",
        .metadata = NULL,
        .flags = 0,
        .n_children = n,
        .children = sh->ptrs,
        .dictionary = NULL,
        .release = schema_parent_release,
        .private_data = sh,
    };
    return 0;
}

/* ---- batch ----------------------------------------------------------------------------- */

typedef struct export_shared {
    int64_t refs;                  /* parent + unreleased children; atomic */
    strom_batch *batch;            /* owned once the export succeeds */
    void *owner;
    void (*owner_free)(void *);
    const void *top_buffers[1];
    struct ArrowArray **child_ptrs; /* these three follow the struct in its block */
    struct ArrowArray *child_arrays;
    const void **child_buffers;    /* 3 per column */
} export_shared;

static void shared_free(export_shared *sh)
{
    strom_batch_free(sh->batch);
    if (sh->owner_free)
        sh->owner_free(sh->owner);
    free(sh);
}

static void shared_unref(export_shared *sh)
{
    if (__atomic_sub_fetch(&sh->refs, 1, __ATOMIC_ACQ_REL) == 0)
        shared_free(sh);
}

static void array_child_release(struct ArrowArray *a)
{
    if (!a->release)
        return;
    export_shared *sh = a->private_data;
    a->private_data = NULL;
    a->release = NULL;
    shared_unref(sh);
}

static void array_parent_release(struct ArrowArray *a)
{
    if (!a->release)
        return;
    export_shared *sh = a->private_data;
    for (int64_t i = 0; i < a->n_children; i++)
        if (a->children[i]->release) /* NULL when moved out or released by the consumer */
            a->children[i]->release(a->children[i]);
    a->private_data = NULL;
    a->release = NULL;
    shared_unref(sh);
}

/* Checks column view `c` of type `t` against `rows` and fills its buffer list (n_buffers
 * entries). Returns 0 or STROM_EINVAL. */
static int column_buffers(const strom_col_view *v, strom_type t, int64_t rows, const char *name,
                          int c, const void **bufs, int *n_buffers, strom_error *err)
{
    if (v->length != rows || v->null_count < 0 || v->null_count > rows)
        return strom_error_set(err, STROM_EINVAL, "arrow export: column %d '%s': view of %lld "
                               "rows with %lld nulls in a batch of %lld rows", c, name,
                               (long long)v->length, (long long)v->null_count, (long long)rows);
    if (v->null_count > 0 &&
        (!v->validity || strom_popcount_bits(v->validity, rows) != rows - v->null_count))
        return strom_error_set(err, STROM_EINVAL, "arrow export: column %d '%s': validity "
                               "bitmap missing or disagreeing with null count %lld", c, name,
                               (long long)v->null_count);
    bufs[0] = v->null_count > 0 ? v->validity : NULL; /* NULL allowed iff null_count == 0 */
    int64_t need = t.id == STROM_TYPE_BOOLEAN     ? (rows + 7) / 8
                 : strom_type_is_varlen(t.id)     ? 0
                                                  : rows * strom_type_width(t.id);
    if (strom_type_is_varlen(t.id)) {
        const int32_t *off = v->offsets;
        if (!off && rows > 0)
            return strom_error_set(err, STROM_EINVAL, "arrow export: column %d '%s': %lld "
                                   "rows but no offsets", c, name, (long long)rows);
        if (!off)
            off = (const int32_t *)(const void *)zero_block; /* the 1 offset of 0 rows */
        if (off[0] < 0)
            return strom_error_set(err, STROM_EINVAL, "arrow export: column %d '%s': first "
                                   "offset %d is negative", c, name, off[0]);
        for (int64_t r = 0; r < rows; r++)
            if (off[r + 1] < off[r])
                return strom_error_set(err, STROM_EINVAL, "arrow export: column %d '%s': "
                                       "offsets decrease at row %lld", c, name, (long long)r);
        need = off[rows];
        bufs[1] = off;
    }
    if (need > 0 && (!v->values || v->values_len < need))
        return strom_error_set(err, STROM_EINVAL, "arrow export: column %d '%s': %lld value "
                               "bytes, %lld needed", c, name,
                               v->values ? (long long)v->values_len : 0LL, (long long)need);
    const void *values = v->values && need > 0 ? (const void *)v->values : zero_block;
    if (strom_type_is_varlen(t.id)) {
        bufs[2] = values;
        *n_buffers = 3;
    } else {
        bufs[1] = values;
        *n_buffers = 2;
    }
    return 0;
}

int strom_arrow_export_batch(strom_batch *b, void *owner, void (*owner_free)(void *),
                             struct ArrowArray *out, strom_error *err)
{
    int n = b->ncols, rc = 0;
    out->release = NULL;
    if (n != strom_schema_ncols(b->schema) || b->rows < 0)
        return strom_error_set(err, STROM_EINVAL, "arrow export: batch of %d columns and %lld "
                               "rows under a schema of %d columns", n, (long long)b->rows,
                               strom_schema_ncols(b->schema));
    size_t nc = n > 0 ? (size_t)n : 1;
    export_shared *sh = malloc(sizeof *sh + nc * sizeof *sh->child_ptrs +
                               nc * sizeof *sh->child_arrays + 3 * nc * sizeof *sh->child_buffers);
    if (!sh) {
        rc = strom_error_set(err, STROM_ENOMEM, "arrow export: out of memory");
        goto cleanup;
    }
    memset(sh, 0, sizeof *sh);
    sh->child_ptrs = (struct ArrowArray **)(void *)(sh + 1);
    sh->child_arrays = (struct ArrowArray *)(void *)(sh->child_ptrs + nc);
    sh->child_buffers = (const void **)(void *)(sh->child_arrays + nc);
    memset(sh->child_buffers, 0, 3 * nc * sizeof *sh->child_buffers);
    for (int c = 0; c < n; c++) {
        const void **bufs = &sh->child_buffers[3 * c];
        int nbuf = 0;
        STROM_TRY_GOTO(rc, column_buffers(&b->cols[c], strom_schema_col_type(b->schema, c),
                                          b->rows, strom_schema_col_name(b->schema, c), c,
                                          bufs, &nbuf, err), cleanup);
        sh->child_arrays[c] = (struct ArrowArray){
            .length = b->rows,
            .null_count = b->cols[c].null_count,
            .offset = 0,
            .n_buffers = nbuf,
            .n_children = 0,
            .buffers = bufs,
            .children = NULL,
            .dictionary = NULL,
            .release = array_child_release,
            .private_data = sh,
        };
        sh->child_ptrs[c] = &sh->child_arrays[c];
    }
    /* Nothing can fail from here on: take ownership. */
    sh->refs = 1 + n;
    sh->batch = b;
    sh->owner = owner;
    sh->owner_free = owner_free;
    sh->top_buffers[0] = NULL; /* struct validity: no nulls at the top level */
    *out = (struct ArrowArray){
        .length = b->rows,
        .null_count = 0,
        .offset = 0,
        .n_buffers = 1,
        .n_children = n,
        .buffers = sh->top_buffers,
        .children = sh->child_ptrs,
        .dictionary = NULL,
        .release = array_parent_release,
        .private_data = sh,
    };
    return 0;
cleanup:
    if (sh) /* batch and owner are not set yet: the caller keeps them */
        shared_free(sh);
    return rc;
}
