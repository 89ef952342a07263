/*
 * fuzz_common.h: the schema with every strom type that the predicate and round-trip fuzz
 * targets share, and value comparison that is exact per type (floats by bits).
 */
#ifndef STROM_FUZZ_COMMON_H
#define STROM_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "columnar/batch.h"
#include "strom/types.h"

static const struct {
    const char *name;
    strom_type_id id;
    uint8_t p, s;
    bool nullable;
} fuzz_cols[] = {
    {"b", STROM_TYPE_BOOLEAN, 0, 0, true},     {"i8", STROM_TYPE_TINYINT, 0, 0, true},
    {"i16", STROM_TYPE_SMALLINT, 0, 0, true},  {"i32", STROM_TYPE_INT, 0, 0, false},
    {"i64", STROM_TYPE_BIGINT, 0, 0, true},    {"f32", STROM_TYPE_FLOAT, 0, 0, true},
    {"f64", STROM_TYPE_DOUBLE, 0, 0, true},    {"dec", STROM_TYPE_DECIMAL, 38, 4, true},
    {"price", STROM_TYPE_DECIMAL, 9, 2, true}, {"s", STROM_TYPE_STRING, 0, 0, true},
    {"bin", STROM_TYPE_BYTES, 0, 0, true},     {"d", STROM_TYPE_DATE, 0, 0, true},
    {"t", STROM_TYPE_TIME, 0, 0, true},        {"ts", STROM_TYPE_TIMESTAMP, 0, 0, true},
    {"tsz", STROM_TYPE_TIMESTAMP_LTZ, 0, 0, true}, {"odd name", STROM_TYPE_STRING, 0, 0, true},
};
#define FUZZ_NCOLS ((int)(sizeof fuzz_cols / sizeof fuzz_cols[0]))

static inline strom_schema *fuzz_schema(void)
{
    strom_schema *s = strom_schema_new(1);
    for (int c = 0; s && c < FUZZ_NCOLS; c++) {
        strom_type t = {fuzz_cols[c].id, fuzz_cols[c].p, fuzz_cols[c].s};
        if (strom_schema_add(s, fuzz_cols[c].name, t, fuzz_cols[c].nullable, NULL) < 0)
            abort();
    }
    if (!s)
        abort();
    return s;
}

/* Exact equality of two values of type t (floats compared by their stored bits). */
static inline bool fuzz_value_same(const strom_value *a, const strom_value *b, strom_type t)
{
    if (a->is_null || b->is_null)
        return a->is_null == b->is_null;
    switch (t.id) {
    case STROM_TYPE_BOOLEAN: return a->u.b == b->u.b;
    case STROM_TYPE_FLOAT: {
        float x = (float)a->u.f, y = (float)b->u.f;
        return memcmp(&x, &y, 4) == 0;
    }
    case STROM_TYPE_DOUBLE: return memcmp(&a->u.f, &b->u.f, 8) == 0;
    case STROM_TYPE_DECIMAL: return a->u.d == b->u.d;
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES:
        return a->u.s.len == b->u.s.len &&
               (a->u.s.len == 0 || memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0);
    default: return a->u.i == b->u.i;
    }
}

#endif
