/*
 * pkfold.h: changes of a primary-key table folded to one row per key: each key keeps its
 * newest change (by sequence number: the changelog offset), -U rows are skipped, a -D is kept
 * as a deletion. Tiering uses it to write one row per key per file (Paimon's level-0 files
 * are sorted and unique by key); union reads use it to merge the lake's files with the log's
 * later changes.
 *
 * Keys are the order-preserving key forms of the key columns (src/kv/kv_codec.h), so sorting
 * them sorts by the key's values; rows are kept in the kv row form.
 */
#ifndef STROM_LAKE_PKFOLD_H
#define STROM_LAKE_PKFOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "columnar/batch.h"
#include "common/buf.h"
#include "strom/table.h"

typedef struct strom_pkfold_entry {
    size_t key_off, row_off;
    uint32_t key_len, row_len;
    int64_t seq;
    uint8_t kind;               /* Paimon's value kind: 0 +I, 2 +U, 3 -D */
} strom_pkfold_entry;

typedef struct strom_pkfold {
    const strom_schema *schema; /* rows are of this schema (the table's latest) */
    int key[STROM_PK_MAX + 1];  /* key columns in key order */
    int nkey;
    strom_buf keys, rows, kbuf;
    strom_pkfold_entry *e;
    size_t n, cap;
    uint32_t *slot;
    size_t nslots;
    strom_value *vals;
} strom_pkfold;

int strom_pkfold_init(strom_pkfold *f, const strom_schema *s, const int *key, int nkey);
void strom_pkfold_free(strom_pkfold *f);
/* One change: vals = a full row of the schema, ct = STROM_CHANGE_* (record.h), seq its
 * sequence number; kept when seq is not older than the key's current one. */
int strom_pkfold_add(strom_pkfold *f, const strom_value *vals, uint8_t ct, int64_t seq);
/* Every row of a changelog batch (of f's schema; change types `changes`, NULL: inserts),
 * row i having sequence number base + i. */
int strom_pkfold_batch(strom_pkfold *f, const strom_batch *b, const uint8_t *changes,
                       int64_t base);
/* Entry indexes sorted by key into order[0..f->n) (malloc'ed; NULL on ENOMEM). */
uint32_t *strom_pkfold_sorted(const strom_pkfold *f);
/* Decodes entry e's row into vals (strings point into the fold). */
int strom_pkfold_row(const strom_pkfold *f, const strom_pkfold_entry *e, strom_value *vals,
                     strom_error *err);

#endif /* STROM_LAKE_PKFOLD_H */
