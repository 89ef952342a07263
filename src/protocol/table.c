/*
 * table.c: table descriptions (strom/table.h): names, checks and copies.
 */
#include "strom/table.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void strom_table_desc_init(strom_table_desc *d)
{
    memset(d, 0, sizeof *d);
    d->partition_col = -1;
    d->version_col = -1;
    d->buckets = 1;
}

void strom_table_desc_free(strom_table_desc *d)
{
    if (!d)
        return;
    strom_schema_free(d->schema);
    free(d->bucket_key);
    free(d->pk);
    free(d->agg);
    d->pk = NULL;
    d->agg = NULL;
    d->npk = d->nagg = 0;
    for (int i = 0; i < d->npartitions; i++)
        free(d->partitions[i]);
    free(d->partitions);
    d->schema = NULL;
    d->bucket_key = NULL;
    d->partitions = NULL;
    d->nbucket_key = d->npartitions = 0;
}

int strom_table_desc_copy(strom_table_desc *dst, const strom_table_desc *src)
{
    *dst = *src;
    dst->schema = NULL;
    dst->bucket_key = NULL;
    dst->partitions = NULL;
    dst->pk = NULL;
    dst->agg = NULL;
    dst->nbucket_key = dst->npartitions = dst->npk = dst->nagg = 0;
    if (src->npk) {
        if (!(dst->pk = malloc(sizeof(int) * (size_t)src->npk)))
            goto nomem;
        memcpy(dst->pk, src->pk, sizeof(int) * (size_t)src->npk);
        dst->npk = src->npk;
    }
    if (src->nagg) {
        if (!(dst->agg = malloc((size_t)src->nagg)))
            goto nomem;
        memcpy(dst->agg, src->agg, (size_t)src->nagg);
        dst->nagg = src->nagg;
    }
    if (src->schema && !(dst->schema = strom_schema_copy(src->schema, strom_schema_id(src->schema))))
        goto nomem;
    if (src->nbucket_key) {
        if (!(dst->bucket_key = malloc(sizeof(int) * (size_t)src->nbucket_key)))
            goto nomem;
        memcpy(dst->bucket_key, src->bucket_key, sizeof(int) * (size_t)src->nbucket_key);
        dst->nbucket_key = src->nbucket_key;
    }
    if (src->npartitions) {
        if (!(dst->partitions = calloc((size_t)src->npartitions, sizeof(char *))))
            goto nomem;
        for (int i = 0; i < src->npartitions; i++) {
            if (!(dst->partitions[i] = strdup(src->partitions[i])))
                goto nomem;
            dst->npartitions = i + 1;
        }
    }
    return 0;
nomem:
    strom_table_desc_free(dst);
    return STROM_ENOMEM;
}

int strom_ident_check(const char *what, const char *s, size_t len, strom_error *err)
{
    if (len == 0)
        return strom_error_set(err, STROM_EINVAL, "%s name is empty", what);
    if (len > STROM_IDENT_MAX)
        return strom_error_set(err, STROM_EINVAL, "%s name is %zu bytes long (at most %d)", what,
                               len, STROM_IDENT_MAX);
    if (s[0] >= '0' && s[0] <= '9')
        return strom_error_set(err, STROM_EINVAL, "%s name '%.*s' starts with a digit", what,
                               (int)len, s);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_';
        if (!ok)
            return strom_error_set(err, STROM_EINVAL,
                                   "%s name '%.*s' has character 0x%02x at byte %zu (only "
                                   "letters, digits and '_' are allowed)",
                                   what, (int)(len > 64 ? 64 : len), s, c, i);
    }
    return 0;
}

int strom_partition_check(const char *s, size_t len, strom_error *err)
{
    if (len == 0)
        return strom_error_set(err, STROM_EINVAL, "partition value is empty");
    if (len > STROM_PARTITION_MAX)
        return strom_error_set(err, STROM_EINVAL, "partition value is %zu bytes long (at most %d)",
                               len, STROM_PARTITION_MAX);
    if (s[0] == '.')
        return strom_error_set(err, STROM_EINVAL, "partition value '%.*s' starts with '.'",
                               (int)len, s);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == ':' || c == '+' || c == '-';
        if (!ok)
            return strom_error_set(err, STROM_EINVAL,
                                   "partition value '%.*s' has character 0x%02x at byte %zu "
                                   "(allowed: letters, digits, '_', '.', ':', '+', '-')",
                                   (int)(len > 64 ? 64 : len), s, c, i);
    }
    return 0;
}

static bool in_list(const int *v, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

static bool is_numeric(strom_type_id t)
{
    return t == STROM_TYPE_TINYINT || t == STROM_TYPE_SMALLINT || t == STROM_TYPE_INT ||
           t == STROM_TYPE_BIGINT || t == STROM_TYPE_FLOAT || t == STROM_TYPE_DOUBLE ||
           t == STROM_TYPE_DECIMAL;
}

/* The primary-key properties (a log table must leave them at their defaults). */
static int pk_check(const strom_table_desc *d, strom_error *err)
{
    int ncols = strom_schema_ncols(d->schema);
    if (d->npk == 0) {
        if (d->merge_engine != STROM_MERGE_LAST_ROW || d->version_col != -1 || d->nagg ||
            d->no_update_before)
            return strom_error_set(err, STROM_EINVAL, "a merge engine, version column, "
                                   "aggregate functions or changelog option need a primary key");
        return 0;
    }
    if (d->npk < 0 || d->npk > STROM_PK_MAX)
        return strom_error_set(err, STROM_EINVAL, "primary key has %d columns (at most %d)",
                               d->npk, STROM_PK_MAX);
    for (int i = 0; i < d->npk; i++) {
        int c = d->pk[i];
        if (c < 0 || c >= ncols)
            return strom_error_set(err, STROM_EINVAL, "primary key column %d is not in the "
                                   "schema", c);
        const char *name = strom_schema_col_name(d->schema, c);
        if (in_list(d->pk, i, c))
            return strom_error_set(err, STROM_EINVAL, "primary key names column '%s' twice",
                                   name);
        if (strom_schema_col_nullable(d->schema, c))
            return strom_error_set(err, STROM_EINVAL, "primary key column '%s' must be NOT NULL",
                                   name);
    }
    for (int i = 0; i < d->nbucket_key; i++)
        if (!in_list(d->pk, d->npk, d->bucket_key[i]))
            return strom_error_set(err, STROM_EINVAL, "bucket key column '%s' is not in the "
                                   "primary key",
                                   strom_schema_col_name(d->schema, d->bucket_key[i]));
    if (d->partition_col >= 0 && !in_list(d->pk, d->npk, d->partition_col))
        return strom_error_set(err, STROM_EINVAL, "partition column '%s' is not in the primary "
                               "key", strom_schema_col_name(d->schema, d->partition_col));
    if ((unsigned)d->merge_engine > STROM_MERGE_AGGREGATE)
        return strom_error_set(err, STROM_EINVAL, "unknown merge engine %d", d->merge_engine);
    if (d->merge_engine == STROM_MERGE_VERSIONED) {
        int v = d->version_col;
        if (v < 0 || v >= ncols)
            return strom_error_set(err, STROM_EINVAL, "the versioned merge engine needs a "
                                   "version column");
        strom_type_id t = strom_schema_col_type(d->schema, v).id;
        if (in_list(d->pk, d->npk, v))
            return strom_error_set(err, STROM_EINVAL, "version column '%s' is in the primary "
                                   "key", strom_schema_col_name(d->schema, v));
        if (t != STROM_TYPE_TINYINT && t != STROM_TYPE_SMALLINT && t != STROM_TYPE_INT &&
            t != STROM_TYPE_BIGINT && t != STROM_TYPE_TIMESTAMP &&
            t != STROM_TYPE_TIMESTAMP_LTZ && t != STROM_TYPE_DATE)
            return strom_error_set(err, STROM_EINVAL, "version column '%s' is %s; it must be "
                                   "an integer, DATE or TIMESTAMP",
                                   strom_schema_col_name(d->schema, v), strom_type_name(t));
    } else if (d->version_col != -1) {
        return strom_error_set(err, STROM_EINVAL, "a version column needs the versioned merge "
                               "engine");
    }
    if (d->nagg && d->merge_engine != STROM_MERGE_AGGREGATE)
        return strom_error_set(err, STROM_EINVAL, "aggregate functions need the aggregate merge "
                               "engine");
    if (d->nagg < 0 || d->nagg > ncols)
        return strom_error_set(err, STROM_EINVAL, "%d aggregate functions for %d columns",
                               d->nagg, ncols);
    for (int c = 0; c < d->nagg; c++) {
        const char *name = strom_schema_col_name(d->schema, c);
        strom_agg_fn f = (strom_agg_fn)d->agg[c];
        strom_type_id t = strom_schema_col_type(d->schema, c).id;
        if (f > STROM_AGG_MAX)
            return strom_error_set(err, STROM_EINVAL, "column '%s': unknown aggregate function "
                                   "%d", name, f);
        if (f != STROM_AGG_LAST_NON_NULL && in_list(d->pk, d->npk, c))
            return strom_error_set(err, STROM_EINVAL, "key column '%s' cannot aggregate", name);
        if (f == STROM_AGG_SUM && !is_numeric(t))
            return strom_error_set(err, STROM_EINVAL, "column '%s' is %s: sum needs a number",
                                   name, strom_type_name(t));
    }
    return 0;
}

int strom_table_desc_check(const strom_table_desc *d, strom_error *err)
{
    int rc;
    if ((rc = strom_ident_check("database", d->database, strlen(d->database), err)) < 0 ||
        (rc = strom_ident_check("table", d->table, strlen(d->table), err)) < 0)
        return rc;
    if (!d->schema || strom_schema_ncols(d->schema) == 0)
        return strom_error_set(err, STROM_EINVAL, "table %s.%s has no columns", d->database,
                               d->table);
    int ncols = strom_schema_ncols(d->schema);
    if (d->buckets < 1 || d->buckets > STROM_MAX_BUCKETS)
        return strom_error_set(err, STROM_EINVAL, "bucket count %u is not in 1..%d", d->buckets,
                               STROM_MAX_BUCKETS);
    if (d->nbucket_key < 0 || d->nbucket_key > ncols)
        return strom_error_set(err, STROM_EINVAL, "bucket key has %d columns", d->nbucket_key);
    for (int i = 0; i < d->nbucket_key; i++) {
        if (d->bucket_key[i] < 0 || d->bucket_key[i] >= ncols)
            return strom_error_set(err, STROM_EINVAL, "bucket key column %d is not in the schema",
                                   d->bucket_key[i]);
        for (int j = 0; j < i; j++)
            if (d->bucket_key[j] == d->bucket_key[i])
                return strom_error_set(err, STROM_EINVAL, "bucket key names column '%s' twice",
                                       strom_schema_col_name(d->schema, d->bucket_key[i]));
    }
    if (d->partition_col >= ncols || d->partition_col < -1)
        return strom_error_set(err, STROM_EINVAL, "partition column %d is not in the schema",
                               d->partition_col);
    if (d->partition_col >= 0) {
        const char *name = strom_schema_col_name(d->schema, d->partition_col);
        strom_type_id t = strom_schema_col_type(d->schema, d->partition_col).id;
        if (t != STROM_TYPE_STRING && t != STROM_TYPE_INT && t != STROM_TYPE_BIGINT &&
            t != STROM_TYPE_DATE)
            return strom_error_set(err, STROM_EINVAL,
                                   "partition column '%s' is %s; it must be STRING, INT, BIGINT "
                                   "or DATE",
                                   name, strom_type_name(t));
        if (strom_schema_col_nullable(d->schema, d->partition_col))
            return strom_error_set(err, STROM_EINVAL, "partition column '%s' must be NOT NULL",
                                   name);
    }
    if ((rc = pk_check(d, err)) < 0)
        return rc;
    if (d->retention_ms < 0 || d->retention_bytes < 0 || d->segment_bytes < 0 ||
        d->partition_retention < 0)
        return strom_error_set(err, STROM_EINVAL, "negative storage property");
    if (d->segment_bytes && d->segment_bytes < 4096)
        return strom_error_set(err, STROM_EINVAL, "segment bytes %lld is below 4096",
                               (long long)d->segment_bytes);
    return 0;
}

int strom_table_name_parse(const char *s, char db[STROM_IDENT_MAX + 1],
                           char table[STROM_IDENT_MAX + 1], strom_error *err)
{
    const char *dot = strchr(s, '.');
    if (!dot)
        return strom_error_set(err, STROM_EINVAL, "'%s' is not DATABASE.TABLE", s);
    size_t dl = (size_t)(dot - s), tl = strlen(dot + 1);
    int rc;
    if ((rc = strom_ident_check("database", s, dl, err)) < 0 ||
        (rc = strom_ident_check("table", dot + 1, tl, err)) < 0)
        return rc;
    memcpy(db, s, dl);
    db[dl] = 0;
    memcpy(table, dot + 1, tl);
    table[tl] = 0;
    return 0;
}

static const char *const engine_names[] = {"last_row", "first_row", "versioned", "aggregate"};
static const char *const agg_names[] = {"last_non_null", "last", "first_non_null",
                                        "sum", "min", "max"};

const char *strom_merge_engine_name(strom_merge_engine e)
{
    return (unsigned)e < 4 ? engine_names[e] : "?";
}

int strom_merge_engine_parse(const char *s, strom_merge_engine *out)
{
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(s, engine_names[i])) {
            *out = (strom_merge_engine)i;
            return 0;
        }
    return STROM_EINVAL;
}

const char *strom_agg_fn_name(strom_agg_fn f)
{
    return (unsigned)f < 6 ? agg_names[f] : "?";
}

int strom_agg_fn_parse(const char *s, strom_agg_fn *out)
{
    for (int i = 0; i < 6; i++)
        if (!strcasecmp(s, agg_names[i])) {
            *out = (strom_agg_fn)i;
            return 0;
        }
    return STROM_EINVAL;
}

strom_agg_fn strom_table_agg(const strom_table_desc *d, int col)
{
    return col < d->nagg ? (strom_agg_fn)d->agg[col] : STROM_AGG_LAST_NON_NULL;
}
