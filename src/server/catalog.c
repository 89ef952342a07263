/*
 * catalog.c: databases, tables, partitions and bucket logs, persisted in catalog.json
 * (catalog.h).
 */
#include "server/catalog.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"

#define CATALOG_VERSION 1

typedef struct srv_partition {
    char name[STROM_PARTITION_MAX + 1];
    srv_bucket **buckets;    /* desc.buckets entries, one reference each */
} srv_partition;

struct srv_table {
    int refs;                /* the catalog's (until dropped) + one per holder */
    bool dropped;
    srv_catalog *cat;
    strom_table_desc desc;   /* desc.schema is schemas[nschemas - 1] (not a copy); desc.partitions
                                unused (see parts) */
    strom_schema **schemas;  /* schemas[i] has id i + 1 */
    uint32_t nschemas;
    srv_partition **parts;   /* sorted by partition value; one entry "" when unpartitioned */
    int nparts;
    char dir[PATH_MAX];
};

typedef struct srv_db {
    char name[STROM_IDENT_MAX + 1];
    int64_t created_ms;
} srv_db;

struct srv_catalog {
    pthread_mutex_t mu;      /* everything below, and every table's schemas and partitions */
    char dir[PATH_MAX], path[PATH_MAX];
    strom_log_config logcfg;
    strom_kv_config kvcfg;
    char lake[PATH_MAX];     /* the warehouse ("" without one) */
    srv_db *dbs;
    int ndbs;
    srv_table **tables;
    int ntables;
    uint64_t next_table_id;
    int64_t next_writer_id;
};

/* snprintf into a path buffer; the data directory's length is checked at open, so paths fit
 * (a longer one is cut, and then fails to open rather than naming another file). */
static __attribute__((format(printf, 3, 4))) void pathf(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

/* ---- small helpers --------------------------------------------------------------------------- */

static int nomem(strom_error *err)
{
    return strom_error_set(err, STROM_ENOMEM, "out of memory");
}

static srv_db *find_db(srv_catalog *c, const char *name)
{
    for (int i = 0; i < c->ndbs; i++)
        if (!strcmp(c->dbs[i].name, name))
            return &c->dbs[i];
    return NULL;
}

static int find_table(srv_catalog *c, const char *db, const char *name)
{
    for (int i = 0; i < c->ntables; i++)
        if (!strcmp(c->tables[i]->desc.database, db) && !strcmp(c->tables[i]->desc.table, name))
            return i;
    return -1;
}

/* Orders partition values of the partition column's type: numbers numerically, the rest
 * (STRING, DATE as YYYY-MM-DD) bytewise. */
static int part_cmp(const srv_table *t, const char *a, const char *b)
{
    strom_type_id ty = strom_schema_col_type(t->desc.schema, t->desc.partition_col).id;
    if (ty == STROM_TYPE_INT || ty == STROM_TYPE_BIGINT) {
        long long x = strtoll(a, NULL, 10), y = strtoll(b, NULL, 10);
        return x < y ? -1 : x > y;
    }
    return strcmp(a, b);
}

static int find_part(const srv_table *t, const char *name)
{
    for (int i = 0; i < t->nparts; i++)
        if (!strcmp(t->parts[i]->name, name))
            return i;
    return -1;
}

static void bucket_dir(const srv_table *t, const char *part, uint32_t bucket, char *buf,
                       size_t cap)
{
    if (part[0])
        pathf(buf, cap, "%s/p=%s/%u", t->dir, part, bucket);
    else
        pathf(buf, cap, "%s/%u", t->dir, bucket);
}

static void log_config_for(const srv_catalog *c, const srv_table *t, strom_log_config *cfg)
{
    *cfg = c->logcfg;
    cfg->writer_gaps = t->desc.npk > 0; /* a PK write that changes nothing appends nothing */
    if (t->desc.segment_bytes)
        cfg->segment_bytes = (uint64_t)t->desc.segment_bytes;
    if (t->desc.retention_bytes)
        cfg->retention_bytes = (uint64_t)t->desc.retention_bytes;
    if (t->desc.retention_ms)
        cfg->retention_ms = t->desc.retention_ms;
}

/* ---- buckets and partitions ----------------------------------------------------------------- */

static void bucket_close(srv_bucket *b, bool remove)
{
    if (remove)
        strom_kv_abandon(b->kv); /* no checkpoint of what is about to be deleted */
    else
        strom_kv_close(b->kv);
    strom_log_close(b->log);
    if (remove) {
        char dir[PATH_MAX];
        bucket_dir(b->table, b->partition, b->bucket, dir, sizeof dir);
        strom_rmtree(dir, NULL);
        if (b->partition[0]) {
            char *slash = strrchr(dir, '/');
            if (slash) {
                *slash = 0;
                rmdir(dir); /* the partition directory, once its last bucket is gone */
            }
        }
    }
    free(b);
}

/* A bucket whose last reference goes is closed; `doomed` buckets (dropped partitions) also
 * lose their files. The flag lives in the high bit of refs to keep the struct small. */
#define BUCKET_DOOMED (1 << 30)

void srv_bucket_unref(srv_bucket *b)
{
    if (!b)
        return;
    int left = __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
    if ((left & ~BUCKET_DOOMED) == 0)
        bucket_close(b, (left & BUCKET_DOOMED) != 0);
}

/* Schemas by id while a bucket opens (the catalog's lock may be held: no locking here). */
static const strom_schema *schema_at_open(void *ctx, uint32_t id)
{
    const srv_table *t = ctx;
    return id >= 1 && id <= t->nschemas ? t->schemas[id - 1] : NULL;
}

static int part_open(srv_catalog *c, srv_table *t, const char *name, srv_partition **out,
                     strom_error *err)
{
    srv_partition *p = calloc(1, sizeof *p);
    if (!p || !(p->buckets = calloc(t->desc.buckets, sizeof *p->buckets))) {
        free(p);
        return nomem(err);
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    strom_log_config cfg;
    log_config_for(c, t, &cfg);
    for (uint32_t i = 0; i < t->desc.buckets; i++) {
        srv_bucket *b = calloc(1, sizeof *b);
        char dir[PATH_MAX];
        bucket_dir(t, name, i, dir, sizeof dir);
        int rc = b ? strom_mkdirs(dir, err) : nomem(err);
        if (rc == 0 && (rc = strom_log_open(dir, &cfg, &b->log, err)) < 0)
            strom_error_prefix(err, "table %s.%s", t->desc.database, t->desc.table);
        if (rc == 0 && t->desc.npk > 0) {
            char kvdir[PATH_MAX + 8];
            snprintf(kvdir, sizeof kvdir, "%s/kv", dir);
            if ((rc = strom_kv_open(kvdir, b->log, &t->desc, schema_at_open, t, &c->kvcfg,
                                    &b->kv, err)) < 0) {
                strom_error_prefix(err, "table %s.%s bucket %u", t->desc.database,
                                   t->desc.table, i);
                strom_log_close(b->log);
            }
        }
        if (rc < 0) {
            free(b);
            for (uint32_t j = 0; j < i; j++)
                srv_bucket_unref(p->buckets[j]);
            free(p->buckets);
            free(p);
            return rc;
        }
        b->table = t;
        b->refs = 1;
        b->bucket = i;
        snprintf(b->partition, sizeof b->partition, "%s", name);
        p->buckets[i] = b;
    }
    *out = p;
    return 0;
}

static void part_release(srv_table *t, srv_partition *p, bool remove)
{
    for (uint32_t i = 0; i < t->desc.buckets; i++) {
        if (!p->buckets[i])
            continue;
        if (remove)
            __atomic_or_fetch(&p->buckets[i]->refs, BUCKET_DOOMED, __ATOMIC_ACQ_REL);
        srv_bucket_unref(p->buckets[i]);
    }
    free(p->buckets);
    free(p);
}

static int part_insert(srv_table *t, srv_partition *p)
{
    srv_partition **np = realloc(t->parts, sizeof *np * (size_t)(t->nparts + 1));
    if (!np)
        return STROM_ENOMEM;
    t->parts = np;
    int at = t->nparts;
    while (at > 0 && t->desc.partition_col >= 0 && part_cmp(t, t->parts[at - 1]->name, p->name) > 0)
        at--;
    memmove(&t->parts[at + 1], &t->parts[at], sizeof *np * (size_t)(t->nparts - at));
    t->parts[at] = p;
    t->nparts++;
    return 0;
}

/* ---- tables ---------------------------------------------------------------------------------- */

static void table_free(srv_table *t)
{
    for (int i = 0; i < t->nparts; i++)
        part_release(t, t->parts[i], false);
    free(t->parts);
    if (t->dropped) {
        strom_rmtree(t->dir, NULL);
        if (t->desc.lake_dir[0]) /* strom owns its lake tables: they go with the table */
            strom_rmtree(t->desc.lake_dir, NULL);
    }
    bool aliased = t->nschemas && t->desc.schema == t->schemas[t->nschemas - 1];
    for (uint32_t i = 0; i < t->nschemas; i++)
        strom_schema_free(t->schemas[i]);
    free(t->schemas);
    if (!aliased) /* a table_new that failed before the description pointed into schemas[] */
        strom_schema_free(t->desc.schema);
    t->desc.schema = NULL;
    strom_table_desc_free(&t->desc);
    free(t);
}

void srv_table_unref(srv_table *t)
{
    if (t && __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) == 0)
        table_free(t);
}

static srv_table *table_ref(srv_table *t)
{
    __atomic_add_fetch(&t->refs, 1, __ATOMIC_ACQ_REL);
    return t;
}

/* A table object from a checked description (takes over d's schema); schemas holds the
 * versions 1..latest (each one a prefix of the latest: evolution only appends columns). */
static int table_new(srv_catalog *c, strom_table_desc *d, const uint32_t *since, srv_table **out,
                     strom_error *err)
{
    srv_table *t = calloc(1, sizeof *t);
    if (!t)
        return nomem(err);
    t->refs = 1;
    t->cat = c;
    t->desc = *d;
    t->desc.partitions = NULL;
    t->desc.npartitions = 0;
    strom_table_desc_init(d); /* ownership moved */
    pathf(t->dir, sizeof t->dir, "%s/data/%s/%s-%" PRIu64, c->dir, t->desc.database,
             t->desc.table, t->desc.table_id);
    if (t->desc.warehouse[0] || c->lake[0])
        pathf(t->desc.lake_dir, sizeof t->desc.lake_dir, "%s/%s.db/%s",
              t->desc.warehouse[0] ? t->desc.warehouse : c->lake, t->desc.database,
              t->desc.table);
    uint32_t latest = strom_schema_id(t->desc.schema);
    if (!(t->schemas = calloc(latest, sizeof *t->schemas)))
        goto oom;
    t->nschemas = latest;
    for (uint32_t v = 1; v <= latest; v++) {
        strom_schema *s = strom_schema_new(v);
        if (!s)
            goto oom;
        t->schemas[v - 1] = s;
        for (int i = 0; i < strom_schema_ncols(t->desc.schema); i++) {
            if ((since ? since[i] : 1) > v)
                break;
            if (strom_schema_add(s, strom_schema_col_name(t->desc.schema, i),
                                 strom_schema_col_type(t->desc.schema, i),
                                 strom_schema_col_nullable(t->desc.schema, i), err) < 0)
                goto fail;
        }
    }
    /* the description's schema becomes the latest version itself, not a second copy */
    strom_schema_free(t->desc.schema);
    t->desc.schema = t->schemas[latest - 1];
    *out = t;
    return 0;
oom:
    nomem(err);
fail:
    table_free(t);
    return err ? err->code : STROM_ENOMEM;
}

/* ---- persistence ------------------------------------------------------------------------------ */

/* A primary-key table's key, merge engine and changelog option. */
static json_t *pk_json(const strom_table_desc *d)
{
    json_t *cols = json_array(), *agg = json_object();
    for (int i = 0; i < d->npk; i++)
        json_array_append_new(cols, json_string(strom_schema_col_name(d->schema, d->pk[i])));
    for (int i = 0; i < d->nagg; i++)
        if (d->agg[i] != STROM_AGG_LAST_NON_NULL)
            json_object_set_new(agg, strom_schema_col_name(d->schema, i),
                                json_string(strom_agg_fn_name((strom_agg_fn)d->agg[i])));
    return json_pack("{s:o, s:s, s:s?, s:o, s:b}", "columns", cols, "merge_engine",
                     strom_merge_engine_name(d->merge_engine), "version_column",
                     d->version_col >= 0 ? strom_schema_col_name(d->schema, d->version_col) : NULL,
                     "aggregate", agg, "changelog_update_before", !d->no_update_before);
}

/* Reads the "primary_key" object of a table (pk_json). */
static int pk_from_json(json_t *jpk, strom_table_desc *d, strom_error *err)
{
    json_t *cols = NULL, *agg = NULL, *jver = NULL;
    const char *engine = NULL;
    int before = 1;
    json_error_t je;
    if (json_unpack_ex(jpk, &je, 0, "{s:o, s:s, s?o, s?o, s?b}", "columns", &cols,
                       "merge_engine", &engine, "version_column", &jver, "aggregate", &agg,
                       "changelog_update_before", &before) != 0 || !json_is_array(cols))
        return strom_error_set(err, STROM_ECORRUPT, "primary_key: %s", je.text);
    size_t i;
    json_t *jc;
    if (!(d->pk = calloc(json_array_size(cols) + 1, sizeof(int))))
        return nomem(err);
    json_array_foreach(cols, i, jc) {
        const char *k = json_string_value(jc);
        int col = k ? strom_schema_find(d->schema, k, strlen(k)) : -1;
        if (col < 0)
            return strom_error_set(err, STROM_ECORRUPT, "primary_key: bad column");
        d->pk[d->npk++] = col;
    }
    if (strom_merge_engine_parse(engine, &d->merge_engine) != 0)
        return strom_error_set(err, STROM_ECORRUPT, "primary_key: merge engine '%s'", engine);
    const char *ver = jver ? json_string_value(jver) : NULL;
    if (ver && (d->version_col = strom_schema_find(d->schema, ver, strlen(ver))) < 0)
        return strom_error_set(err, STROM_ECORRUPT, "primary_key: version column '%s'", ver);
    const char *cname;
    json_t *jf;
    if (agg && json_object_size(agg) > 0) {
        int n = strom_schema_ncols(d->schema);
        if (!(d->agg = calloc((size_t)n, 1)))
            return nomem(err);
        d->nagg = n;
        json_object_foreach(agg, cname, jf) {
            int col = strom_schema_find(d->schema, cname, strlen(cname));
            strom_agg_fn f;
            if (col < 0 || !json_string_value(jf) ||
                strom_agg_fn_parse(json_string_value(jf), &f) != 0)
                return strom_error_set(err, STROM_ECORRUPT, "primary_key: aggregate of '%s'",
                                       cname);
            d->agg[col] = (uint8_t)f;
        }
    }
    d->no_update_before = !before;
    return 0;
}

static json_t *table_json(const srv_table *t)
{
    const strom_table_desc *d = &t->desc;
    json_t *cols = json_array(), *key = json_array(), *parts = json_array();
    for (int i = 0; i < strom_schema_ncols(d->schema); i++) {
        char ty[64];
        strom_type_format(strom_schema_col_type(d->schema, i), ty, sizeof ty);
        uint32_t since = 1;
        for (uint32_t v = 1; v <= t->nschemas; v++)
            if (strom_schema_ncols(t->schemas[v - 1]) > i) {
                since = v;
                break;
            }
        json_array_append_new(cols, json_pack("{s:s, s:s, s:b, s:I}", "name",
                                              strom_schema_col_name(d->schema, i), "type", ty,
                                              "nullable", strom_schema_col_nullable(d->schema, i),
                                              "since_schema", (json_int_t)since));
    }
    for (int i = 0; i < d->nbucket_key; i++)
        json_array_append_new(key, json_string(strom_schema_col_name(d->schema, d->bucket_key[i])));
    for (int i = 0; i < t->nparts; i++)
        if (t->parts[i]->name[0])
            json_array_append_new(parts, json_string(t->parts[i]->name));
    json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:o, s:I, s:o, s:s?, s:I, s:I, s:I, s:I, s:o}", "name",
                     d->table, "id", (json_int_t)d->table_id, "created_ms",
                     (json_int_t)d->created_ms, "schema_id",
                     (json_int_t)strom_schema_id(d->schema), "columns", cols, "buckets",
                     (json_int_t)d->buckets, "bucket_key", key, "partition_column",
                     d->partition_col >= 0 ? strom_schema_col_name(d->schema, d->partition_col)
                                           : NULL,
                     "retention_ms", (json_int_t)d->retention_ms, "retention_bytes",
                     (json_int_t)d->retention_bytes, "segment_bytes",
                     (json_int_t)d->segment_bytes, "partition_retention",
                     (json_int_t)d->partition_retention, "partitions", parts);
    if (o && d->npk > 0)
        json_object_set_new(o, "primary_key", pk_json(d));
    if (o && d->tiering)
        json_object_set_new(o, "tiering", json_pack("{s:b, s:I}", "enabled", 1, "freshness_ms",
                                                    (json_int_t)d->tier_freshness_ms));
    if (o && d->warehouse[0])
        json_object_set_new(o, "warehouse", json_string(d->warehouse));
    return o;
}

static int catalog_save(srv_catalog *c, strom_error *err)
{
    json_t *dbs = json_array();
    for (int i = 0; i < c->ndbs; i++) {
        json_t *tables = json_array();
        for (int j = 0; j < c->ntables; j++)
            if (!strcmp(c->tables[j]->desc.database, c->dbs[i].name))
                json_array_append_new(tables, table_json(c->tables[j]));
        json_array_append_new(dbs, json_pack("{s:s, s:I, s:o}", "name", c->dbs[i].name,
                                             "created_ms", (json_int_t)c->dbs[i].created_ms,
                                             "tables", tables));
    }
    json_t *root = json_pack("{s:i, s:I, s:I, s:o}", "version", CATALOG_VERSION,
                             "next_table_id", (json_int_t)c->next_table_id, "next_writer_id",
                             (json_int_t)c->next_writer_id, "databases", dbs);
    char *text = root ? json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
    json_decref(root);
    if (!text)
        return nomem(err);
    int rc = strom_write_file_atomic(c->path, text, strlen(text), err);
    free(text);
    if (rc < 0)
        strom_error_prefix(err, "saving the catalog");
    return rc;
}

/* Reads one table of the catalog file into a description + per-column schema versions. */
static int table_from_json(json_t *jt, const char *db, strom_table_desc *d, uint32_t **since,
                           strom_error *err)
{
    strom_table_desc_init(d);
    const char *name = NULL, *pcol = NULL;
    json_t *jpcol = NULL;
    json_int_t id = 0, created = 0, schema_id = 1, buckets = 1, rms = 0, rbytes = 0, sbytes = 0,
               pret = 0;
    json_t *cols = NULL, *key = NULL;
    json_error_t je;
    if (json_unpack_ex(jt, &je, 0, "{s:s, s:I, s:I, s:I, s:o, s:I, s:o, s?o, s:I, s:I, s:I, s:I}",
                       "name", &name, "id", &id, "created_ms", &created, "schema_id", &schema_id,
                       "columns", &cols, "buckets", &buckets, "bucket_key", &key,
                       "partition_column", &jpcol, "retention_ms", &rms, "retention_bytes",
                       &rbytes, "segment_bytes", &sbytes, "partition_retention", &pret) != 0)
        return strom_error_set(err, STROM_ECORRUPT, "table in database %s: %s", db, je.text);
    if (jpcol && !json_is_null(jpcol) && !(pcol = json_string_value(jpcol)))
        return strom_error_set(err, STROM_ECORRUPT, "table %s.%s: partition_column is not a "
                               "string", db, name);
    snprintf(d->database, sizeof d->database, "%s", db);
    snprintf(d->table, sizeof d->table, "%s", name);
    d->table_id = (uint64_t)id;
    d->created_ms = created;
    d->buckets = (uint32_t)buckets;
    d->retention_ms = rms;
    d->retention_bytes = rbytes;
    d->segment_bytes = sbytes;
    d->partition_retention = (int32_t)pret;
    if (schema_id < 1 || schema_id > 65535 || !json_is_array(cols))
        return strom_error_set(err, STROM_ECORRUPT, "table %s.%s: bad schema", db, name);
    if (!(d->schema = strom_schema_new((uint32_t)schema_id)) ||
        !(*since = calloc(json_array_size(cols) + 1, sizeof **since)))
        return nomem(err);
    size_t i;
    json_t *jc;
    json_array_foreach(cols, i, jc) {
        const char *cname, *ty;
        int nullable;
        json_int_t sv = 1;
        strom_type t;
        int rc;
        if (json_unpack_ex(jc, &je, 0, "{s:s, s:s, s:b, s?I}", "name", &cname, "type", &ty,
                           "nullable", &nullable, "since_schema", &sv) != 0)
            return strom_error_set(err, STROM_ECORRUPT, "table %s.%s column %zu: %s", db, name,
                                   i, je.text);
        if ((rc = strom_type_parse(ty, strlen(ty), &t, err)) < 0 ||
            (rc = strom_schema_add(d->schema, cname, t, nullable, err)) < 0)
            return rc;
        (*since)[i] = (uint32_t)sv;
    }
    if (json_is_array(key)) {
        d->bucket_key = calloc(json_array_size(key) + 1, sizeof(int));
        if (!d->bucket_key)
            return nomem(err);
        json_array_foreach(key, i, jc) {
            const char *k = json_string_value(jc);
            int col = k ? strom_schema_find(d->schema, k, strlen(k)) : -1;
            if (col < 0)
                return strom_error_set(err, STROM_ECORRUPT, "table %s.%s: bad bucket key", db,
                                       name);
            d->bucket_key[d->nbucket_key++] = col;
        }
    }
    if (pcol && (d->partition_col = strom_schema_find(d->schema, pcol, strlen(pcol))) < 0)
        return strom_error_set(err, STROM_ECORRUPT, "table %s.%s: bad partition column", db,
                               name);
    const char *wh = json_string_value(json_object_get(jt, "warehouse"));
    if (wh)
        snprintf(d->warehouse, sizeof d->warehouse, "%s", wh);
    json_t *jtier = json_object_get(jt, "tiering");
    if (jtier) {
        int on = 0;
        json_int_t fresh = 0;
        if (json_unpack_ex(jtier, &je, 0, "{s:b, s:I}", "enabled", &on, "freshness_ms",
                           &fresh) != 0 || fresh < 0)
            return strom_error_set(err, STROM_ECORRUPT, "table %s.%s: bad tiering: %s", db,
                                   name, je.text);
        d->tiering = on;
        d->tier_freshness_ms = fresh;
    }
    json_t *jpk = json_object_get(jt, "primary_key");
    int rc;
    if (jpk && (rc = pk_from_json(jpk, d, err)) < 0) {
        strom_error_prefix(err, "table %s.%s", db, name);
        return rc;
    }
    return strom_table_desc_check(d, err);
}

static int catalog_load(srv_catalog *c, strom_error *err)
{
    char *text;
    size_t n;
    int rc = strom_read_file(c->path, 256u << 20, &text, &n, err);
    if (rc == STROM_ENOTFOUND) {
        c->next_table_id = 1;
        c->next_writer_id = 1;
        return catalog_save(c, err);
    }
    if (rc < 0)
        return rc;
    json_error_t je;
    json_t *root = json_loadb(text, n, 0, &je);
    free(text);
    if (!root)
        return strom_error_set(err, STROM_ECORRUPT, "%s line %d column %d: %s", c->path, je.line,
                               je.column, je.text);
    json_int_t version = 0, next_table = 1, next_writer = 1;
    json_t *dbs = NULL;
    if (json_unpack_ex(root, &je, 0, "{s:I, s:I, s:I, s:o}", "version", &version,
                       "next_table_id", &next_table, "next_writer_id", &next_writer, "databases",
                       &dbs) != 0 ||
        !json_is_array(dbs)) {
        json_decref(root);
        return strom_error_set(err, STROM_ECORRUPT, "%s: %s", c->path, je.text);
    }
    if (version != CATALOG_VERSION) {
        json_decref(root);
        return strom_error_set(err, STROM_EUNSUPPORTED, "%s: catalog version %lld (this stromd "
                               "reads version %d)", c->path, (long long)version, CATALOG_VERSION);
    }
    c->next_table_id = (uint64_t)next_table;
    c->next_writer_id = next_writer;
    size_t i, j;
    json_t *jd, *jt;
    rc = 0;
    json_array_foreach(dbs, i, jd) {
        const char *name = NULL;
        json_int_t created = 0;
        json_t *tables = NULL;
        if (json_unpack_ex(jd, &je, 0, "{s:s, s:I, s:o}", "name", &name, "created_ms", &created,
                           "tables", &tables) != 0) {
            rc = strom_error_set(err, STROM_ECORRUPT, "%s: database %zu: %s", c->path, i, je.text);
            break;
        }
        srv_db *nd = realloc(c->dbs, sizeof *nd * (size_t)(c->ndbs + 1));
        if (!nd) {
            rc = nomem(err);
            break;
        }
        c->dbs = nd;
        snprintf(c->dbs[c->ndbs].name, sizeof c->dbs[0].name, "%s", name);
        c->dbs[c->ndbs++].created_ms = created;
        json_array_foreach(tables, j, jt) {
            strom_table_desc d;
            uint32_t *since = NULL;
            srv_table *t = NULL;
            rc = table_from_json(jt, name, &d, &since, err);
            if (rc == 0)
                rc = table_new(c, &d, since, &t, err);
            free(since);
            strom_table_desc_free(&d);
            srv_table **nt = rc == 0 ? realloc(c->tables, sizeof *nt * (size_t)(c->ntables + 1))
                                     : NULL;
            if (rc == 0 && !nt)
                rc = nomem(err);
            if (rc < 0) {
                if (t)
                    srv_table_unref(t);
                break;
            }
            c->tables = nt;
            c->tables[c->ntables++] = t;
            json_t *parts = json_object_get(jt, "partitions");
            size_t k;
            json_t *jp;
            if (t->desc.partition_col < 0) {
                srv_partition *p;
                if ((rc = part_open(c, t, "", &p, err)) == 0 && part_insert(t, p) != 0)
                    rc = nomem(err);
            } else {
                json_array_foreach(parts, k, jp) {
                    const char *pv = json_string_value(jp);
                    srv_partition *p;
                    if (!pv || strom_partition_check(pv, strlen(pv), err) < 0) {
                        rc = strom_error_set(err, STROM_ECORRUPT, "table %s.%s: bad partition",
                                             name, t->desc.table);
                        break;
                    }
                    if ((rc = part_open(c, t, pv, &p, err)) < 0)
                        break;
                    if (part_insert(t, p) != 0) {
                        rc = nomem(err);
                        break;
                    }
                }
            }
            if (rc < 0)
                break;
        }
        if (rc < 0)
            break;
    }
    json_decref(root);
    return rc;
}

/* Removes what the catalog does not name: table directories of dropped tables (a crash may
 * have come between the catalog write and the removal) and leftover temporary files. */
static void catalog_sweep(srv_catalog *c)
{
    char data[PATH_MAX];
    pathf(data, sizeof data, "%s/data", c->dir);
    DIR *dd = opendir(data);
    if (!dd)
        return;
    struct dirent *e;
    while ((e = readdir(dd))) {
        if (e->d_name[0] == '.')
            continue;
        char dbdir[PATH_MAX];
        pathf(dbdir, sizeof dbdir, "%s/%s", data, e->d_name);
        DIR *td = opendir(dbdir);
        if (!td)
            continue;
        struct dirent *f;
        while ((f = readdir(td))) {
            if (f->d_name[0] == '.')
                continue;
            char tdir[PATH_MAX];
            pathf(tdir, sizeof tdir, "%s/%s", dbdir, f->d_name);
            bool known = false;
            for (int i = 0; i < c->ntables && !known; i++)
                known = !strcmp(c->tables[i]->dir, tdir);
            if (!known)
                strom_rmtree(tdir, NULL);
        }
        closedir(td);
        if (!find_db(c, e->d_name))
            rmdir(dbdir);
    }
    closedir(dd);
}

int srv_catalog_open(const srv_catalog_opts *o, srv_catalog **out, strom_error *err)
{
    if (strlen(o->data_dir) > 1024)
        return strom_error_set(err, STROM_EINVAL, "data directory path is over 1024 bytes");
    srv_catalog *c = calloc(1, sizeof *c);
    if (!c)
        return nomem(err);
    pthread_mutex_init(&c->mu, NULL);
    pathf(c->dir, sizeof c->dir, "%s", o->data_dir);
    pathf(c->path, sizeof c->path, "%s/catalog.json", o->data_dir);
    if (o->lake_dir && strlen(o->lake_dir) > 1024)
        return strom_error_set(err, STROM_ELIMIT, "lake directory path too long");
    if (o->lake_dir)
        pathf(c->lake, sizeof c->lake, "%s", o->lake_dir);
    c->logcfg = o->log;
    c->kvcfg = o->kv;
    int rc = strom_mkdirs(o->data_dir, err);
    if (rc == 0)
        rc = catalog_load(c, err);
    if (rc < 0) {
        srv_catalog_close(c);
        return rc;
    }
    catalog_sweep(c);
    *out = c;
    return 0;
}

void srv_catalog_close(srv_catalog *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->ntables; i++)
        srv_table_unref(c->tables[i]);
    free(c->tables);
    free(c->dbs);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* ---- databases ------------------------------------------------------------------------------ */

int srv_db_create(srv_catalog *c, const char *db, bool if_not_exists, strom_error *err)
{
    int rc = strom_ident_check("database", db, strlen(db), err);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&c->mu);
    if (find_db(c, db)) {
        rc = if_not_exists ? 0 : strom_error_set(err, STROM_EEXISTS, "database %s exists", db);
    } else {
        srv_db *nd = realloc(c->dbs, sizeof *nd * (size_t)(c->ndbs + 1));
        if (!nd) {
            rc = nomem(err);
        } else {
            c->dbs = nd;
            snprintf(nd[c->ndbs].name, sizeof nd[0].name, "%s", db);
            nd[c->ndbs].created_ms = strom_now_ms();
            c->ndbs++;
            if ((rc = catalog_save(c, err)) < 0)
                c->ndbs--;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int srv_db_drop(srv_catalog *c, const char *db, bool if_exists, strom_error *err)
{
    int rc = 0;
    pthread_mutex_lock(&c->mu);
    srv_db *d = find_db(c, db);
    if (!d) {
        rc = if_exists ? 0 : strom_error_set(err, STROM_ENOTFOUND, "database %s does not exist", db);
    } else {
        int ntab = 0;
        for (int i = 0; i < c->ntables; i++)
            ntab += !strcmp(c->tables[i]->desc.database, db);
        if (ntab) {
            rc = strom_error_set(err, STROM_ESTATE, "database %s still has %d table%s; drop them "
                                 "first", db, ntab, ntab == 1 ? "" : "s");
        } else {
            srv_db saved = *d;
            int at = (int)(d - c->dbs);
            memmove(d, d + 1, sizeof *d * (size_t)(c->ndbs - at - 1));
            c->ndbs--;
            if ((rc = catalog_save(c, err)) < 0) {
                memmove(&c->dbs[at + 1], &c->dbs[at], sizeof *d * (size_t)(c->ndbs - at));
                c->dbs[at] = saved;
                c->ndbs++;
            } else {
                char dir[PATH_MAX];
                pathf(dir, sizeof dir, "%s/data/%s", c->dir, db);
                rmdir(dir);
            }
        }
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

static int strcmp_p(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int names_out(char **v, int n, char ***names, int *count, strom_error *err)
{
    for (int i = 0; i < n; i++)
        if (!v[i]) {
            for (int j = 0; j < n; j++)
                free(v[j]);
            free(v);
            return nomem(err);
        }
    qsort(v, (size_t)n, sizeof *v, strcmp_p);
    *names = v;
    *count = n;
    return 0;
}

int srv_db_list(srv_catalog *c, char ***names, int *n, strom_error *err)
{
    pthread_mutex_lock(&c->mu);
    char **v = calloc((size_t)c->ndbs + 1, sizeof *v);
    int k = 0;
    for (int i = 0; v && i < c->ndbs; i++)
        v[k++] = strdup(c->dbs[i].name);
    pthread_mutex_unlock(&c->mu);
    return v ? names_out(v, k, names, n, err) : nomem(err);
}

int srv_table_list(srv_catalog *c, const char *db, char ***names, int *n, strom_error *err)
{
    pthread_mutex_lock(&c->mu);
    if (!find_db(c, db)) {
        pthread_mutex_unlock(&c->mu);
        return strom_error_set(err, STROM_ENOTFOUND, "database %s does not exist", db);
    }
    char **v = calloc((size_t)c->ntables + 1, sizeof *v);
    int k = 0;
    for (int i = 0; v && i < c->ntables; i++)
        if (!strcmp(c->tables[i]->desc.database, db))
            v[k++] = strdup(c->tables[i]->desc.table);
    pthread_mutex_unlock(&c->mu);
    return v ? names_out(v, k, names, n, err) : nomem(err);
}

/* ---- tables ------------------------------------------------------------------------------ */

int srv_table_create(srv_catalog *c, strom_table_desc *d, bool if_not_exists, strom_error *err)
{
    int rc = strom_table_desc_check(d, err);
    if (rc < 0)
        return rc;
    if (d->npk > 0 && d->nbucket_key == 0) {
        /* a primary-key table's rows go to buckets by their key, without the partition
         * column (every row of a partition has the same value) */
        if (!(d->bucket_key = calloc((size_t)d->npk, sizeof(int))))
            return nomem(err);
        for (int i = 0; i < d->npk; i++)
            if (d->pk[i] != d->partition_col)
                d->bucket_key[d->nbucket_key++] = d->pk[i];
        if (d->nbucket_key == 0) /* the key is the partition column alone: it chooses */
            d->bucket_key[d->nbucket_key++] = d->pk[0];
    }
    if (d->npartitions)
        return strom_error_set(err, STROM_EINVAL, "partitions are created on write or with "
                               "CreatePartition, not with the table");
    if (d->warehouse[0] && (d->warehouse[0] != '/' || strstr(d->warehouse, "/../") ||
                            strlen(d->warehouse) > 800 ||
                            (strlen(d->warehouse) >= 3 &&
                             !strcmp(d->warehouse + strlen(d->warehouse) - 3, "/.."))))
        return strom_error_set(err, STROM_EINVAL, "warehouse '%s' is not an absolute directory "
                               "path without '..' (at most 800 bytes)", d->warehouse);
    if (d->tiering && !c->lake[0] && !d->warehouse[0])
        return strom_error_set(err, STROM_ESTATE, "the server has no lake directory (lake_dir)");
    d->lake_dir[0] = 0; /* the server's to set */
    pthread_mutex_lock(&c->mu);
    int at = find_table(c, d->database, d->table);
    if (!find_db(c, d->database)) {
        rc = strom_error_set(err, STROM_ENOTFOUND, "database %s does not exist", d->database);
    } else if (at >= 0) {
        if (if_not_exists) {
            d->table_id = c->tables[at]->desc.table_id;
            d->created_ms = c->tables[at]->desc.created_ms;
        } else {
            rc = strom_error_set(err, STROM_EEXISTS, "table %s.%s exists", d->database, d->table);
        }
    } else {
        strom_table_desc copy;
        srv_table *t = NULL;
        if (strom_table_desc_copy(&copy, d) < 0) {
            rc = nomem(err);
        } else {
            /* a new table's schema is version 1 whatever id the request carried */
            strom_schema *s1 = strom_schema_copy(copy.schema, 1);
            strom_schema_free(copy.schema);
            copy.schema = s1;
            copy.table_id = c->next_table_id;
            copy.created_ms = strom_now_ms();
            rc = s1 ? table_new(c, &copy, NULL, &t, err) : nomem(err);
            strom_table_desc_free(&copy);
        }
        srv_table **nt = rc == 0 ? realloc(c->tables, sizeof *nt * (size_t)(c->ntables + 1)) : NULL;
        if (rc == 0 && !nt)
            rc = nomem(err);
        if (rc == 0) {
            c->tables = nt;
            c->tables[c->ntables++] = t;
            c->next_table_id++;
            if ((rc = catalog_save(c, err)) < 0) {
                c->ntables--;
                c->next_table_id--;
            }
        }
        if (rc == 0 && t->desc.partition_col < 0) {
            srv_partition *p;
            if ((rc = part_open(c, t, "", &p, err)) == 0 && part_insert(t, p) != 0) {
                part_release(t, p, true);
                rc = nomem(err);
            }
            /* a failure here leaves the table in the catalog; its logs open at restart */
        }
        if (rc == 0) {
            d->table_id = t->desc.table_id;
            d->created_ms = t->desc.created_ms;
        } else if (t && (c->ntables == 0 || c->tables[c->ntables - 1] != t)) {
            srv_table_unref(t);
        }
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int srv_table_drop(srv_catalog *c, const char *db, const char *table, bool if_exists,
                   strom_error *err)
{
    int rc = 0;
    pthread_mutex_lock(&c->mu);
    int at = find_table(c, db, table);
    if (at < 0) {
        rc = if_exists ? 0 : strom_error_set(err, STROM_ENOTFOUND, "table %s.%s does not exist",
                                             db, table);
        pthread_mutex_unlock(&c->mu);
        return rc;
    }
    srv_table *t = c->tables[at];
    memmove(&c->tables[at], &c->tables[at + 1], sizeof *c->tables * (size_t)(c->ntables - at - 1));
    c->ntables--;
    if ((rc = catalog_save(c, err)) < 0) {
        memmove(&c->tables[at + 1], &c->tables[at], sizeof *c->tables * (size_t)(c->ntables - at));
        c->tables[at] = t;
        c->ntables++;
        pthread_mutex_unlock(&c->mu);
        return rc;
    }
    t->dropped = true;
    pthread_mutex_unlock(&c->mu);
    srv_table_unref(t); /* files go with the last reference */
    return 0;
}

int srv_table_add_column(srv_catalog *c, const char *db, const char *table, const char *col,
                         strom_type type, strom_error *err, uint32_t *schema_id)
{
    int rc;
    pthread_mutex_lock(&c->mu);
    int at = find_table(c, db, table);
    if (at < 0) {
        pthread_mutex_unlock(&c->mu);
        return strom_error_set(err, STROM_ENOTFOUND, "table %s.%s does not exist", db, table);
    }
    srv_table *t = c->tables[at];
    uint32_t next = t->nschemas + 1;
    strom_schema *s = strom_schema_copy(t->schemas[t->nschemas - 1], next);
    strom_schema **ns = s ? realloc(t->schemas, sizeof *ns * next) : NULL;
    if (!ns) {
        strom_schema_free(s);
        pthread_mutex_unlock(&c->mu);
        return nomem(err);
    }
    t->schemas = ns;
    if ((rc = strom_schema_add(s, col, type, true, err)) < 0) {
        strom_schema_free(s);
        pthread_mutex_unlock(&c->mu);
        return rc;
    }
    /* schemas never change once published (requests read them without the lock): a new
     * version is appended, and the description points at it */
    t->schemas[t->nschemas++] = s;
    t->desc.schema = s;
    if ((rc = catalog_save(c, err)) < 0) {
        t->nschemas--;
        t->desc.schema = t->schemas[t->nschemas - 1];
        strom_schema_free(s);
    } else {
        *schema_id = next;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int srv_table_set_tiering(srv_catalog *c, const char *db, const char *table, bool on,
                          int64_t freshness_ms, strom_error *err)
{
    pthread_mutex_lock(&c->mu);
    int at = find_table(c, db, table), rc = 0;
    if (at < 0) {
        pthread_mutex_unlock(&c->mu);
        return strom_error_set(err, STROM_ENOTFOUND, "table %s.%s does not exist", db, table);
    }
    srv_table *t = c->tables[at];
    if (on && !c->lake[0])
        rc = strom_error_set(err, STROM_ESTATE, "the server has no lake directory (lake_dir)");
    if (rc < 0) {
        pthread_mutex_unlock(&c->mu);
        return rc;
    }
    bool was = t->desc.tiering;
    int64_t fresh = t->desc.tier_freshness_ms;
    t->desc.tiering = on;
    if (freshness_ms > 0)
        t->desc.tier_freshness_ms = freshness_ms;
    if ((rc = catalog_save(c, err)) < 0) {
        t->desc.tiering = was;
        t->desc.tier_freshness_ms = fresh;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int srv_table_buckets(srv_table *t, srv_bucket ***out, int *n)
{
    srv_catalog *c = t->cat;
    pthread_mutex_lock(&c->mu);
    int total = t->nparts * (int)t->desc.buckets, k = 0;
    srv_bucket **v = calloc((size_t)total + 1, sizeof *v);
    for (int p = 0; v && p < t->nparts; p++)
        for (uint32_t b = 0; b < t->desc.buckets; b++) {
            v[k] = t->parts[p]->buckets[b];
            __atomic_add_fetch(&v[k]->refs, 1, __ATOMIC_ACQ_REL);
            k++;
        }
    pthread_mutex_unlock(&c->mu);
    *out = v;
    *n = k;
    return v ? 0 : STROM_ENOMEM;
}

int srv_catalog_tables(srv_catalog *c, srv_table ***out, int *n)
{
    pthread_mutex_lock(&c->mu);
    srv_table **v = calloc((size_t)c->ntables + 1, sizeof *v);
    for (int i = 0; v && i < c->ntables; i++)
        v[i] = table_ref(c->tables[i]);
    *n = v ? c->ntables : 0;
    pthread_mutex_unlock(&c->mu);
    *out = v;
    return v ? 0 : STROM_ENOMEM;
}

srv_table *srv_table_get(srv_catalog *c, const char *db, const char *table, strom_error *err)
{
    pthread_mutex_lock(&c->mu);
    int at = find_table(c, db, table);
    srv_table *t = at >= 0 ? table_ref(c->tables[at]) : NULL;
    pthread_mutex_unlock(&c->mu);
    if (!t)
        strom_error_set(err, STROM_ENOTFOUND, "table %s.%s does not exist", db, table);
    return t;
}

srv_table *srv_table_by_id(srv_catalog *c, uint64_t id, strom_error *err)
{
    srv_table *t = NULL;
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < c->ntables && !t; i++)
        if (c->tables[i]->desc.table_id == id)
            t = table_ref(c->tables[i]);
    pthread_mutex_unlock(&c->mu);
    if (!t)
        strom_error_set(err, STROM_ENOTFOUND, "table id %" PRIu64 " does not exist (dropped?)", id);
    return t;
}

int srv_table_describe(srv_table *t, strom_table_desc *out, strom_error *err)
{
    srv_catalog *c = t->cat;
    pthread_mutex_lock(&c->mu);
    int rc = strom_table_desc_copy(out, &t->desc);
    if (rc == 0 && t->desc.partition_col >= 0 && t->nparts) {
        out->partitions = calloc((size_t)t->nparts, sizeof(char *));
        for (int i = 0; out->partitions && i < t->nparts; i++) {
            if (!(out->partitions[i] = strdup(t->parts[i]->name))) {
                rc = STROM_ENOMEM;
                break;
            }
            out->npartitions = i + 1;
        }
        if (!out->partitions)
            rc = STROM_ENOMEM;
    }
    pthread_mutex_unlock(&c->mu);
    if (rc < 0) {
        strom_table_desc_free(out);
        return nomem(err);
    }
    return 0;
}

void srv_table_kv_desc(srv_table *t, strom_table_desc *out)
{
    pthread_mutex_lock(&t->cat->mu);
    *out = t->desc;
    pthread_mutex_unlock(&t->cat->mu);
    out->partitions = NULL;
    out->npartitions = 0;
}

const strom_schema *srv_table_schema(srv_table *t, uint32_t schema_id)
{
    pthread_mutex_lock(&t->cat->mu);
    const strom_schema *s =
        schema_id >= 1 && schema_id <= t->nschemas ? t->schemas[schema_id - 1] : NULL;
    pthread_mutex_unlock(&t->cat->mu);
    return s;
}

const strom_schema *srv_table_latest_schema(srv_table *t)
{
    pthread_mutex_lock(&t->cat->mu);
    const strom_schema *s = t->schemas[t->nschemas - 1];
    pthread_mutex_unlock(&t->cat->mu);
    return s;
}

uint64_t srv_table_id(const srv_table *t)
{
    return t->desc.table_id;
}

int srv_table_partition_col(const srv_table *t)
{
    return t->desc.partition_col;
}

/* ---- partitions and buckets ------------------------------------------------------------------ */

/* Creates partition `name` of t; called with c->mu held. */
static int part_create_locked(srv_catalog *c, srv_table *t, const char *name, strom_error *err)
{
    srv_partition *p;
    int rc = part_open(c, t, name, &p, err);
    if (rc < 0)
        return rc;
    if (part_insert(t, p) != 0) {
        part_release(t, p, true);
        return nomem(err);
    }
    if ((rc = catalog_save(c, err)) < 0) {
        int at = find_part(t, name);
        memmove(&t->parts[at], &t->parts[at + 1], sizeof *t->parts * (size_t)(t->nparts - at - 1));
        t->nparts--;
        part_release(t, p, true);
    }
    return rc;
}

int srv_partition_create(srv_catalog *c, srv_table *t, const char *partition, bool if_not_exists,
                         strom_error *err)
{
    if (t->desc.partition_col < 0)
        return strom_error_set(err, STROM_EINVAL, "table %s.%s is not partitioned",
                               t->desc.database, t->desc.table);
    int rc = strom_partition_check(partition, strlen(partition), err);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&c->mu);
    if (t->dropped)
        rc = strom_error_set(err, STROM_ENOTFOUND, "table %s.%s was dropped", t->desc.database,
                             t->desc.table);
    else if (find_part(t, partition) >= 0)
        rc = if_not_exists ? 0 : strom_error_set(err, STROM_EEXISTS, "partition %s exists", partition);
    else
        rc = part_create_locked(c, t, partition, err);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* Drops partition index `at` of t; called with c->mu held. */
static int part_drop_locked(srv_catalog *c, srv_table *t, int at, strom_error *err)
{
    srv_partition *p = t->parts[at];
    memmove(&t->parts[at], &t->parts[at + 1], sizeof *t->parts * (size_t)(t->nparts - at - 1));
    t->nparts--;
    int rc = catalog_save(c, err);
    if (rc < 0) {
        memmove(&t->parts[at + 1], &t->parts[at], sizeof *t->parts * (size_t)(t->nparts - at));
        t->parts[at] = p;
        t->nparts++;
        return rc;
    }
    part_release(t, p, true);
    return 0;
}

int srv_partition_drop(srv_catalog *c, srv_table *t, const char *partition, bool if_exists,
                       strom_error *err)
{
    if (t->desc.partition_col < 0)
        return strom_error_set(err, STROM_EINVAL, "table %s.%s is not partitioned",
                               t->desc.database, t->desc.table);
    int rc = 0;
    pthread_mutex_lock(&c->mu);
    int at = find_part(t, partition);
    if (at < 0)
        rc = if_exists ? 0 : strom_error_set(err, STROM_ENOTFOUND, "partition %s does not exist",
                                             partition);
    else
        rc = part_drop_locked(c, t, at, err);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int srv_bucket_get(srv_catalog *c, srv_table *t, const char *partition, uint32_t bucket,
                   bool create, srv_bucket **out, strom_error *err)
{
    *out = NULL;
    if (bucket >= t->desc.buckets)
        return strom_error_set(err, STROM_ERANGE, "bucket %u does not exist (table %s.%s has %u)",
                               bucket, t->desc.database, t->desc.table, t->desc.buckets);
    bool partitioned = t->desc.partition_col >= 0;
    if (partitioned != (partition[0] != 0))
        return strom_error_set(err, STROM_EINVAL, partitioned
                                   ? "table %s.%s is partitioned: name a partition"
                                   : "table %s.%s is not partitioned: no partition may be named",
                               t->desc.database, t->desc.table);
    int rc = 0;
    pthread_mutex_lock(&c->mu);
    int at = find_part(t, partition);
    if (at < 0 && create && !t->dropped) {
        if ((rc = strom_partition_check(partition, strlen(partition), err)) == 0 &&
            (rc = part_create_locked(c, t, partition, err)) == 0)
            at = find_part(t, partition);
    }
    if (at >= 0) {
        *out = t->parts[at]->buckets[bucket];
        __atomic_add_fetch(&(*out)->refs, 1, __ATOMIC_ACQ_REL);
    } else if (rc == 0) {
        rc = strom_error_set(err, STROM_ENOTFOUND, "partition %s of %s.%s does not exist",
                             partition, t->desc.database, t->desc.table);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int srv_writer_id_next(srv_catalog *c, int64_t *id, strom_error *err)
{
    pthread_mutex_lock(&c->mu);
    int64_t v = c->next_writer_id++;
    int rc = catalog_save(c, err);
    if (rc < 0)
        c->next_writer_id--;
    else
        *id = v;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* Every bucket, referenced, for work outside the lock. */
static int all_buckets(srv_catalog *c, srv_bucket ***out, int *n)
{
    pthread_mutex_lock(&c->mu);
    int total = 0;
    for (int i = 0; i < c->ntables; i++)
        total += c->tables[i]->nparts * (int)c->tables[i]->desc.buckets;
    srv_bucket **v = calloc((size_t)total + 1, sizeof *v);
    int k = 0;
    for (int i = 0; v && i < c->ntables; i++)
        for (int p = 0; p < c->tables[i]->nparts; p++)
            for (uint32_t b = 0; b < c->tables[i]->desc.buckets; b++) {
                v[k] = c->tables[i]->parts[p]->buckets[b];
                __atomic_add_fetch(&v[k]->refs, 1, __ATOMIC_ACQ_REL);
                k++;
            }
    pthread_mutex_unlock(&c->mu);
    *out = v;
    *n = k;
    return v ? 0 : STROM_ENOMEM;
}

/* Whether the lake holds every record of a partition. */
static bool part_tiered(const srv_table *t, const srv_partition *p)
{
    for (uint32_t b = 0; b < t->desc.buckets; b++)
        if (__atomic_load_n(&p->buckets[b]->tiered, __ATOMIC_ACQUIRE) <
            strom_log_end_offset(p->buckets[b]->log))
            return false;
    return true;
}

int srv_catalog_retain(srv_catalog *c, int64_t now_ms, strom_error *err)
{
    int done = 0;
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < c->ntables; i++) {
        srv_table *t = c->tables[i];
        while (t->desc.partition_retention > 0 && t->nparts > t->desc.partition_retention) {
            if (t->desc.tiering && !part_tiered(t, t->parts[0]))
                break; /* the lake does not hold all of it yet */
            if (part_drop_locked(c, t, 0, err) < 0)
                break;
            done++;
        }
    }
    pthread_mutex_unlock(&c->mu);
    srv_bucket **v;
    int n;
    if (all_buckets(c, &v, &n) < 0)
        return nomem(err);
    for (int i = 0; i < n; i++) {
        int64_t hold = INT64_MAX;
        if (v[i]->table->desc.tiering) /* only what the lake holds may go */
            hold = __atomic_load_n(&v[i]->tiered, __ATOMIC_ACQUIRE);
        if (v[i]->kv) { /* the changelog after the latest checkpoint rebuilds the state */
            strom_kv_maybe_checkpoint(v[i]->kv, false, NULL);
            int64_t snap = strom_kv_snapshot_offset(v[i]->kv);
            hold = snap < hold ? snap : hold;
        }
        int r = strom_log_retain(v[i]->log, now_ms, hold, NULL);
        if (r > 0)
            done += r;
        srv_bucket_unref(v[i]);
    }
    free(v);
    return done;
}

void srv_catalog_flush(srv_catalog *c)
{
    srv_bucket **v;
    int n;
    if (all_buckets(c, &v, &n) < 0)
        return;
    for (int i = 0; i < n; i++) {
        strom_log_flush(v[i]->log, NULL);
        srv_bucket_unref(v[i]);
    }
    free(v);
}
