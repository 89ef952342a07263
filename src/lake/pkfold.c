/*
 * pkfold.c: changes folded to one row per key (pkfold.h).
 */
#include "lake/pkfold.h"

#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "common/crc32c.h"
#include "kv/kv_codec.h"
#include "log/record.h"

int strom_pkfold_init(strom_pkfold *f, const strom_schema *s, const int *key, int nkey)
{
    memset(f, 0, sizeof *f);
    f->schema = s;
    f->nkey = nkey;
    memcpy(f->key, key, sizeof *key * (size_t)nkey);
    f->vals = calloc((size_t)strom_schema_ncols(s) + 1, sizeof *f->vals);
    return f->vals ? 0 : STROM_ENOMEM;
}

void strom_pkfold_free(strom_pkfold *f)
{
    strom_buf_free(&f->keys);
    strom_buf_free(&f->rows);
    strom_buf_free(&f->kbuf);
    free(f->e);
    free(f->slot);
    free(f->vals);
    memset(f, 0, sizeof *f);
}

static int rehash(strom_pkfold *f)
{
    size_t ns = f->nslots ? f->nslots * 2 : 1024;
    uint32_t *slot = calloc(ns, sizeof *slot);
    if (!slot)
        return STROM_ENOMEM;
    for (size_t i = 0; i < f->n; i++) {
        const strom_pkfold_entry *e = &f->e[i];
        size_t h = strom_crc32c(0, f->keys.data + e->key_off, e->key_len) & (ns - 1);
        while (slot[h])
            h = (h + 1) & (ns - 1);
        slot[h] = (uint32_t)i + 1;
    }
    free(f->slot);
    f->slot = slot;
    f->nslots = ns;
    return 0;
}

int strom_pkfold_add(strom_pkfold *f, const strom_value *vals, uint8_t ct, int64_t seq)
{
    if (ct == STROM_CHANGE_UPDATE_BEFORE)
        return 0;
    strom_buf_reset(&f->kbuf);
    for (int k = 0; k < f->nkey; k++)
        STROM_TRY(strom_kv_key_put(&f->kbuf, &vals[f->key[k]]));
    if ((f->n + 1) * 2 > f->nslots)
        STROM_TRY(rehash(f));
    size_t h = strom_crc32c(0, f->kbuf.data, f->kbuf.len) & (f->nslots - 1);
    strom_pkfold_entry *e = NULL;
    for (; f->slot[h]; h = (h + 1) & (f->nslots - 1)) {
        strom_pkfold_entry *x = &f->e[f->slot[h] - 1];
        if (x->key_len == f->kbuf.len &&
            !memcmp(f->keys.data + x->key_off, f->kbuf.data, f->kbuf.len)) {
            e = x;
            break;
        }
    }
    if (e && seq < e->seq)
        return 0; /* an older change of the key */
    if (!e) {
        if (strom_array_grow_z(&f->e, f->n, &f->cap, sizeof *f->e, 1024) != 0)
            return STROM_ENOMEM;
        e = &f->e[f->n];
        e->key_off = f->keys.len;
        e->key_len = (uint32_t)f->kbuf.len;
        STROM_TRY(strom_buf_append(&f->keys, f->kbuf.data, f->kbuf.len));
        f->slot[h] = (uint32_t)++f->n;
    }
    e->seq = seq;
    e->kind = ct == STROM_CHANGE_DELETE ? 3 : ct == STROM_CHANGE_UPDATE_AFTER ? 2 : 0;
    e->row_off = f->rows.len;
    STROM_TRY(strom_kv_row_put(&f->rows, vals, strom_schema_ncols(f->schema)));
    e->row_len = (uint32_t)(f->rows.len - e->row_off);
    return 0;
}

int strom_pkfold_batch(strom_pkfold *f, const strom_batch *b, const uint8_t *changes,
                       int64_t base)
{
    for (int64_t i = 0; i < b->rows; i++) {
        for (int c = 0; c < b->ncols; c++)
            strom_col_get(&b->cols[c], strom_schema_col_type(b->schema, c), i, &f->vals[c]);
        STROM_TRY(strom_pkfold_add(f, f->vals, changes ? changes[i] : STROM_CHANGE_INSERT,
                                   base + i));
    }
    return 0;
}

static _Thread_local const strom_pkfold *sort_fold;

static int by_key(const void *a, const void *b)
{
    const strom_pkfold *f = sort_fold;
    const strom_pkfold_entry *x = &f->e[*(const uint32_t *)a], *y = &f->e[*(const uint32_t *)b];
    uint32_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(f->keys.data + x->key_off, f->keys.data + y->key_off, n);
    return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

uint32_t *strom_pkfold_sorted(const strom_pkfold *f)
{
    uint32_t *order = malloc(sizeof *order * (f->n + 1));
    if (!order)
        return NULL;
    for (size_t i = 0; i < f->n; i++)
        order[i] = (uint32_t)i;
    sort_fold = f; /* qsort takes no context: a thread-local one */
    qsort(order, f->n, sizeof *order, by_key);
    return order;
}

int strom_pkfold_row(const strom_pkfold *f, const strom_pkfold_entry *e, strom_value *vals,
                     strom_error *err)
{
    return strom_kv_row_get(f->rows.data + e->row_off, e->row_len, f->schema, vals, err);
}
