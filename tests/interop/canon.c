/*
 * canon.c: canonical JSON values for the interop tests (see canon.h).
 */
#include "canon.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *canon_hex(const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char small[256];
    if (n == 0)
        return json_string("");
    char *buf = n * 2 + 1 <= sizeof small ? small : malloc(n * 2 + 1);
    if (!buf)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        buf[2 * i] = hex[p[i] >> 4];
        buf[2 * i + 1] = hex[p[i] & 15];
    }
    json_t *j = json_stringn(buf, n * 2);
    if (buf != small)
        free(buf);
    return j;
}

static json_t *canon_i128(strom_i128 v)
{
    __extension__ typedef unsigned __int128 u128;
    char buf[48];
    int n = (int)sizeof buf;
    bool neg = v < 0;
    u128 u = neg ? -(u128)v : (u128)v;
    buf[--n] = '\0';
    do {
        buf[--n] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (neg)
        buf[--n] = '-';
    return json_string(buf + n);
}

json_t *canon_value(const strom_value *v, strom_type t)
{
    char buf[32];
    if (v->is_null)
        return json_null();
    switch (t.id) {
    case STROM_TYPE_BOOLEAN:
        return json_string(v->u.b ? "true" : "false");
    case STROM_TYPE_FLOAT: {
        float f = (float)v->u.f;
        uint32_t bits;
        memcpy(&bits, &f, 4);
        snprintf(buf, sizeof buf, "%08" PRIx32, bits);
        return json_string(buf);
    }
    case STROM_TYPE_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &v->u.f, 8);
        snprintf(buf, sizeof buf, "%016" PRIx64, bits);
        return json_string(buf);
    }
    case STROM_TYPE_DECIMAL:
        return canon_i128(v->u.d);
    case STROM_TYPE_STRING:
        return json_stringn((const char *)v->u.s.ptr, v->u.s.len);
    case STROM_TYPE_BYTES:
        return canon_hex(v->u.s.ptr, v->u.s.len);
    default: /* integers and temporal types */
        snprintf(buf, sizeof buf, "%" PRId64, v->u.i);
        return json_string(buf);
    }
}

json_t *canon_schema(const strom_schema *s)
{
    json_t *arr = json_array();
    for (int c = 0; arr && c < strom_schema_ncols(s); c++) {
        char t[40];
        json_t *f = json_pack("{s:s, s:s, s:b}", "name", strom_schema_col_name(s, c), "type",
                              strom_type_format(strom_schema_col_type(s, c), t, sizeof t),
                              "nullable", strom_schema_col_nullable(s, c));
        if (!f || json_array_append_new(arr, f) < 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}
