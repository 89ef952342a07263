/*
 * table.c: table descriptions (strom/table.h): names, checks and copies.
 */
#include "strom/table.h"

#include <stdlib.h>
#include <string.h>

void strom_table_desc_init(strom_table_desc *d)
{
    memset(d, 0, sizeof *d);
    d->partition_col = -1;
    d->buckets = 1;
}

void strom_table_desc_free(strom_table_desc *d)
{
    if (!d)
        return;
    strom_schema_free(d->schema);
    free(d->bucket_key);
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
    dst->nbucket_key = dst->npartitions = 0;
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
