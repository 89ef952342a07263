/*
 * kv_merge.h: merge engines: what one written row does to the row stored under its key.
 *
 *   engine      upsert, key absent   upsert, key present                 delete
 *   last_row    put the row          put it (partial: written columns    remove (if present)
 *                                    replaced, the others kept)
 *   first_row   put the row          nothing                             refused (batch)
 *   versioned   put the row          put it if its version >= the        remove if its version
 *                                    stored one, else nothing            >= the stored one
 *   aggregate   put the row          each written column combines old    remove (if present)
 *                                    and new by its function
 *
 * A new key's columns that a partial update does not write are null.
 */
#ifndef STROM_KV_MERGE_H
#define STROM_KV_MERGE_H

#include <stdbool.h>

#include "columnar/value.h"
#include "strom/error.h"
#include "strom/table.h"

typedef enum strom_kv_effect {
    STROM_KV_NONE = 0, /* the stored row (or its absence) stays */
    STROM_KV_PUT = 1,  /* *out is the new row */
    STROM_KV_DEL = 2,  /* the key is removed */
} strom_kv_effect;

/* Merges input row `in` (all columns of d's schema; `del` for a delete) into `old` (NULL
 * when the key is absent). `written[c]` says column c was written (NULL: all). On PUT, out
 * holds the new row; its strings point into `old` or `in`. Errors (a SUM overflow) name the
 * column. */
int strom_kv_merge(const strom_table_desc *d, const bool *written, const strom_value *old,
                   const strom_value *in, bool del, strom_value *out, strom_kv_effect *effect,
                   strom_error *err);

#endif /* STROM_KV_MERGE_H */
