/*
 * kv_merge.c: the merge engines (kv_merge.h).
 */
#include "kv/kv_merge.h"

#include <string.h>

#include "common/common.h"

static bool is_key(const strom_table_desc *d, int col)
{
    for (int i = 0; i < d->npk; i++)
        if (d->pk[i] == col)
            return true;
    return false;
}

/* SUM of two non-null values of column c into *out; an overflow of the column's type is an
 * error. */
static int agg_sum(const strom_table_desc *d, int c, const strom_value *a, const strom_value *b,
                   strom_value *out, strom_error *err)
{
    strom_type t = strom_schema_col_type(d->schema, c);
    *out = *a;
    switch (t.id) {
    case STROM_TYPE_FLOAT:
    case STROM_TYPE_DOUBLE:
        out->u.f = a->u.f + b->u.f;
        return 0;
    case STROM_TYPE_DECIMAL: {
        strom_i128 s;
        if (!__builtin_add_overflow(a->u.d, b->u.d, &s) && strom_decimal_fits(s, t.precision)) {
            out->u.d = s;
            return 0;
        }
        break;
    }
    default: {
        int64_t s, lo, hi;
        strom_int_range(t.id, &lo, &hi);
        if (!__builtin_add_overflow(a->u.i, b->u.i, &s) && s >= lo && s <= hi) {
            out->u.i = s;
            return 0;
        }
        break;
    }
    }
    return strom_error_set(err, STROM_ERANGE, "sum of column '%s' overflows %s",
                           strom_schema_col_name(d->schema, c), strom_type_name(t.id));
}

static int aggregate(const strom_table_desc *d, int c, const strom_value *o, const strom_value *n,
                     strom_value *out, strom_error *err)
{
    strom_agg_fn f = strom_table_agg(d, c);
    if (f == STROM_AGG_LAST) {
        *out = *n;
        return 0;
    }
    if (n->is_null || (o->is_null && f != STROM_AGG_FIRST_NON_NULL)) {
        *out = n->is_null ? *o : *n;
        return 0;
    }
    switch (f) {
    case STROM_AGG_FIRST_NON_NULL:
        *out = o->is_null ? *n : *o;
        return 0;
    case STROM_AGG_SUM:
        return agg_sum(d, c, o, n, out, err);
    case STROM_AGG_MIN:
        *out = strom_value_cmp(n, o) < 0 ? *n : *o;
        return 0;
    case STROM_AGG_MAX:
        *out = strom_value_cmp(n, o) > 0 ? *n : *o;
        return 0;
    default: /* LAST_NON_NULL */
        *out = *n;
        return 0;
    }
}

int strom_kv_merge(const strom_table_desc *d, const bool *written, const strom_value *old,
                   const strom_value *in, bool del, strom_value *out, strom_kv_effect *effect,
                   strom_error *err)
{
    int ncols = strom_schema_ncols(d->schema), v = d->version_col;
    *effect = STROM_KV_NONE;
    bool newer = !old || d->merge_engine != STROM_MERGE_VERSIONED ||
                 strom_value_cmp(&in[v], &old[v]) >= 0;
    if (del) {
        if (old && newer)
            *effect = STROM_KV_DEL;
        return 0;
    }
    if (!old) {
        for (int c = 0; c < ncols; c++) {
            out[c] = in[c];
            if (written && !written[c])
                out[c].is_null = true;
        }
        *effect = STROM_KV_PUT;
        return 0;
    }
    switch (d->merge_engine) {
    case STROM_MERGE_FIRST_ROW:
        return 0;
    case STROM_MERGE_VERSIONED:
        if (!newer)
            return 0;
        memcpy(out, in, sizeof *out * (size_t)ncols);
        break;
    case STROM_MERGE_AGGREGATE:
        for (int c = 0; c < ncols; c++) {
            if (is_key(d, c) || (written && !written[c]))
                out[c] = old[c];
            else
                STROM_TRY(aggregate(d, c, &old[c], &in[c], &out[c], err));
        }
        break;
    default: /* LAST_ROW */
        for (int c = 0; c < ncols; c++)
            out[c] = written && !written[c] ? old[c] : in[c];
        break;
    }
    *effect = STROM_KV_PUT;
    return 0;
}
