/*
 * schema.c: column types and schemas (strom/types.h).
 *
 * A schema is a flat array of columns; names are owned copies. Lookups by name are linear:
 * schemas are small (at most STROM_MAX_COLUMNS) and lookups happen at bind time, not per row.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"
#include "strom/types.h"

typedef struct schema_col {
    char *name;
    strom_type type;
    bool nullable;
} schema_col;

struct strom_schema {
    uint32_t id;
    int ncols, cap;
    schema_col *cols;
};

bool strom_type_valid(strom_type t)
{
    if (t.id == STROM_TYPE_DECIMAL)
        return t.precision >= 1 && t.precision <= STROM_DECIMAL_MAX_PRECISION &&
               t.scale <= t.precision;
    switch (t.id) {
#define STROM_TYPE_CASE_(name, value, text) case STROM_TYPE_##name:
        STROM_TYPE_TABLE(STROM_TYPE_CASE_)
#undef STROM_TYPE_CASE_
        return t.precision == 0 && t.scale == 0;
    }
    return false;
}

int strom_type_width(strom_type_id id)
{
    switch (id) {
    case STROM_TYPE_TINYINT: return 1;
    case STROM_TYPE_SMALLINT: return 2;
    case STROM_TYPE_INT: case STROM_TYPE_FLOAT: case STROM_TYPE_DATE: return 4;
    case STROM_TYPE_BIGINT: case STROM_TYPE_DOUBLE: case STROM_TYPE_TIME:
    case STROM_TYPE_TIMESTAMP: case STROM_TYPE_TIMESTAMP_LTZ: return 8;
    case STROM_TYPE_DECIMAL: return 16;
    default: return 0;
    }
}

bool strom_type_is_varlen(strom_type_id id)
{
    return id == STROM_TYPE_STRING || id == STROM_TYPE_BYTES;
}

const char *strom_type_name(strom_type_id id)
{
    switch (id) {
#define STROM_TYPE_NAME_(name, value, text) case STROM_TYPE_##name: return text;
        STROM_TYPE_TABLE(STROM_TYPE_NAME_)
#undef STROM_TYPE_NAME_
    }
    return "?";
}

char *strom_type_format(strom_type t, char *buf, size_t cap)
{
    if (t.id == STROM_TYPE_DECIMAL)
        snprintf(buf, cap, "DECIMAL(%u,%u)", t.precision, t.scale);
    else
        snprintf(buf, cap, "%s", strom_type_name(t.id));
    return buf;
}

static const struct { const char *name; strom_type_id id; } type_aliases[] = {
    {"BOOLEAN", STROM_TYPE_BOOLEAN}, {"BOOL", STROM_TYPE_BOOLEAN},
    {"TINYINT", STROM_TYPE_TINYINT}, {"SMALLINT", STROM_TYPE_SMALLINT},
    {"INT", STROM_TYPE_INT}, {"INTEGER", STROM_TYPE_INT}, {"BIGINT", STROM_TYPE_BIGINT},
    {"FLOAT", STROM_TYPE_FLOAT}, {"REAL", STROM_TYPE_FLOAT}, {"DOUBLE", STROM_TYPE_DOUBLE},
    {"STRING", STROM_TYPE_STRING}, {"VARCHAR", STROM_TYPE_STRING},
    {"BYTES", STROM_TYPE_BYTES}, {"BINARY", STROM_TYPE_BYTES}, {"DATE", STROM_TYPE_DATE},
    {"TIME", STROM_TYPE_TIME}, {"TIMESTAMP", STROM_TYPE_TIMESTAMP},
    {"TIMESTAMP_LTZ", STROM_TYPE_TIMESTAMP_LTZ}, {"DECIMAL", STROM_TYPE_DECIMAL},
};

/* Parses an unsigned decimal number at s[*i], skipping blanks around it. */
static int parse_small_uint(const char *s, size_t len, size_t *i, unsigned *out)
{
    while (*i < len && isspace((unsigned char)s[*i]))
        (*i)++;
    if (*i >= len || !isdigit((unsigned char)s[*i]))
        return -1;
    unsigned v = 0;
    while (*i < len && isdigit((unsigned char)s[*i]) && v < 1000)
        v = v * 10 + (unsigned)(s[(*i)++] - '0');
    while (*i < len && isspace((unsigned char)s[*i]))
        (*i)++;
    *out = v;
    return 0;
}

int strom_type_parse(const char *s, size_t len, strom_type *out, strom_error *err)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    size_t start = i;
    while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_'))
        i++;
    size_t wlen = i - start;
    const char *word = s + start;
    for (size_t k = 0; k < STROM_ARRAY_LEN(type_aliases); k++) {
        if (strlen(type_aliases[k].name) != wlen || strncasecmp(word, type_aliases[k].name, wlen))
            continue;
        strom_type t = strom_type_of(type_aliases[k].id);
        if (t.id == STROM_TYPE_DECIMAL) {
            unsigned p = 10, sc = 0;
            while (i < len && isspace((unsigned char)s[i]))
                i++;
            if (i < len && s[i] == '(') {
                i++;
                if (parse_small_uint(s, len, &i, &p) < 0)
                    goto bad_decimal;
                if (i < len && s[i] == ',') {
                    i++;
                    if (parse_small_uint(s, len, &i, &sc) < 0)
                        goto bad_decimal;
                }
                if (i >= len || s[i] != ')')
                    goto bad_decimal;
                i++;
            }
            if (p < 1 || p > STROM_DECIMAL_MAX_PRECISION || sc > p)
                return strom_error_set(err, STROM_EINVAL,
                                       "DECIMAL(%u,%u): precision must be 1..38 and scale 0..precision",
                                       p, sc);
            t.precision = (uint8_t)p;
            t.scale = (uint8_t)sc;
        }
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        if (i != len)
            return strom_error_set(err, STROM_EINVAL, "unexpected text after type at position %zu",
                                   i);
        *out = t;
        return 0;
    }
    return strom_error_set(err, STROM_EINVAL, "unknown type '%.*s' at position %zu",
                           (int)STROM_MIN(wlen ? wlen : len, 64), wlen ? word : s, start);
bad_decimal:
    return strom_error_set(err, STROM_EINVAL,
                           "malformed DECIMAL at position %zu: expected DECIMAL(p) or DECIMAL(p,s)",
                           i);
}

strom_schema *strom_schema_new(uint32_t schema_id)
{
    strom_schema *s = calloc(1, sizeof *s);
    if (s)
        s->id = schema_id;
    return s;
}

void strom_schema_free(strom_schema *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->ncols; i++)
        free(s->cols[i].name);
    free(s->cols);
    free(s);
}

strom_schema *strom_schema_copy(const strom_schema *src, uint32_t schema_id)
{
    strom_schema *s = strom_schema_new(schema_id);
    if (!s)
        return NULL;
    for (int i = 0; i < src->ncols; i++) {
        if (strom_schema_add(s, src->cols[i].name, src->cols[i].type, src->cols[i].nullable,
                             NULL) < 0) {
            strom_schema_free(s);
            return NULL;
        }
    }
    return s;
}

/* Valid UTF-8 without control characters (names end up in paths, logs and terminals). */
static bool name_ok(const char *name, size_t n)
{
    if (n == 0 || n > STROM_NAME_MAX)
        return false;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f)
            return false;
        size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (k == 0 || i + k > n)
            return false;
        for (size_t j = 1; j < k; j++)
            if (((unsigned char)name[i + j] >> 6) != 2)
                return false;
        i += k;
    }
    return true;
}

int strom_schema_add(strom_schema *s, const char *name, strom_type type, bool nullable,
                     strom_error *err)
{
    size_t n = name ? strlen(name) : 0;
    if (!name_ok(name ? name : "", n))
        return strom_error_set(err, STROM_EINVAL,
                               "column name must be 1..%d bytes of UTF-8 without control characters",
                               STROM_NAME_MAX);
    if (!strom_type_valid(type))
        return strom_error_set(err, STROM_EINVAL, "column '%s': invalid type", name);
    if (strom_schema_find(s, name, n) >= 0)
        return strom_error_set(err, STROM_EEXISTS, "duplicate column name '%s'", name);
    if (s->ncols >= STROM_MAX_COLUMNS)
        return strom_error_set(err, STROM_ELIMIT, "too many columns (max %d)", STROM_MAX_COLUMNS);
    if (s->ncols == s->cap) {
        int cap = s->cap ? s->cap * 2 : 8;
        schema_col *c = realloc(s->cols, (size_t)cap * sizeof *c);
        if (!c)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        s->cols = c;
        s->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    s->cols[s->ncols++] = (schema_col){copy, type, nullable};
    return 0;
}

uint32_t strom_schema_id(const strom_schema *s) { return s->id; }
int strom_schema_ncols(const strom_schema *s) { return s->ncols; }
const char *strom_schema_col_name(const strom_schema *s, int col) { return s->cols[col].name; }
strom_type strom_schema_col_type(const strom_schema *s, int col) { return s->cols[col].type; }
bool strom_schema_col_nullable(const strom_schema *s, int col) { return s->cols[col].nullable; }

int strom_schema_find(const strom_schema *s, const char *name, size_t len)
{
    for (int i = 0; i < s->ncols; i++)
        if (strlen(s->cols[i].name) == len && memcmp(s->cols[i].name, name, len) == 0)
            return i;
    return -1;
}

static bool col_equal(const schema_col *a, const schema_col *b)
{
    return strcmp(a->name, b->name) == 0 && a->type.id == b->type.id &&
           a->type.precision == b->type.precision && a->type.scale == b->type.scale &&
           a->nullable == b->nullable;
}

bool strom_schema_equal(const strom_schema *a, const strom_schema *b)
{
    if (a->ncols != b->ncols)
        return false;
    for (int i = 0; i < a->ncols; i++)
        if (!col_equal(&a->cols[i], &b->cols[i]))
            return false;
    return true;
}

int strom_schema_check_evolution(const strom_schema *older, const strom_schema *newer,
                                 strom_error *err)
{
    if (newer->ncols < older->ncols)
        return strom_error_set(err, STROM_EINVAL, "schema %u drops columns of schema %u",
                               newer->id, older->id);
    for (int i = 0; i < older->ncols; i++)
        if (!col_equal(&older->cols[i], &newer->cols[i]))
            return strom_error_set(err, STROM_EINVAL,
                                   "column %d ('%s') differs between schema %u and schema %u", i,
                                   older->cols[i].name, older->id, newer->id);
    for (int i = older->ncols; i < newer->ncols; i++)
        if (!newer->cols[i].nullable)
            return strom_error_set(err, STROM_EINVAL,
                                   "added column %d ('%s') must be nullable", i, newer->cols[i].name);
    return 0;
}
