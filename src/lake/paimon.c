/*
 * paimon.c: Paimon table metadata (paimon.h): schema and snapshot JSON (jansson), manifests
 * and manifest lists in Avro (avro-c, read by field name), commits and the live file list.
 */
#include "lake/paimon.h"

#include <avro.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "common/fs.h"
#include "lake/avro_read.h"

#define MAX_META_FILE (64u << 20)   /* schema / snapshot JSON */
#define AVRO_BLOCK (1u << 20)

struct strom_lake {
    char dir[PATH_MAX];
};

/* ---- names ---------------------------------------------------------------------------------- */

static void uuid4(char out[37])
{
    uint8_t b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        uint64_t t = (uint64_t)strom_now_ms() ^ ((uint64_t)getpid() << 32);
        for (int i = 0; i < 16; i++, t = t * 6364136223846793005ull + 1442695040888963407ull)
            b[i] = (uint8_t)(t >> 56);
    }
    b[6] = (uint8_t)((b[6] & 0x0F) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3F) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

void strom_lake_data_file_name(char *buf, size_t cap)
{
    char u[37];
    uuid4(u);
    snprintf(buf, cap, "data-%s-0.parquet", u);
}

int strom_lake_bucket_dir(const char *col, const strom_value *part, int32_t bucket, char *buf,
                          size_t cap, strom_error *err)
{
    size_t at = 0;
    if (part) {
        char text[64];
        const uint8_t *s;
        size_t n;
        if (part->is_null) {
            s = (const uint8_t *)"__DEFAULT_PARTITION__", n = 21;
        } else if (part->type == STROM_TYPE_STRING) {
            s = part->u.s.ptr, n = part->u.s.len;
            if (n == 0)
                s = (const uint8_t *)"__DEFAULT_PARTITION__", n = 21;
        } else {
            /* INT, BIGINT and DATE (its epoch day): Java's toString of the internal value */
            n = (size_t)snprintf(text, sizeof text, "%lld", (long long)part->u.i);
            s = (const uint8_t *)text;
        }
        int k = snprintf(buf, cap, "%s=", col);
        if (k < 0 || (size_t)k >= cap)
            goto too_long;
        at = (size_t)k;
        for (size_t i = 0; i < n; i++) {
            uint8_t c = s[i];
            bool esc = c < 0x20 || c == 0x7F || strchr("\"#%'*/:=?\\{}[]^", c) != NULL;
            if (at + 4 >= cap)
                goto too_long;
            if (esc)
                at += (size_t)snprintf(buf + at, cap - at, "%%%02X", c);
            else
                buf[at++] = (char)c;
        }
        buf[at++] = '/';
    }
    int k = snprintf(buf + at, cap - at, "bucket-%d", bucket);
    if (k < 0 || (size_t)k >= cap - at)
        goto too_long;
    return 0;
too_long:
    return strom_error_set(err, STROM_ELIMIT, "partition directory name too long");
}

/* ---- tables ------------------------------------------------------------------------------- */

int strom_lake_open(const char *dir, bool create, strom_lake **out, strom_error *err)
{
    *out = NULL;
    strom_lake *t = calloc(1, sizeof *t);
    if (!t)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    if ((size_t)snprintf(t->dir, sizeof t->dir, "%s", dir) >= sizeof t->dir - 64) {
        free(t);
        return strom_error_set(err, STROM_ELIMIT, "lake table path too long: %s", dir);
    }
    if (create) {
        static const char *const sub[] = { "schema", "snapshot", "manifest" };
        char p[PATH_MAX + 16];
        for (size_t i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s/%s", t->dir, sub[i]);
            int rc = strom_mkdirs(p, err);
            if (rc != 0) {
                free(t);
                return rc;
            }
        }
    } else {
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            free(t);
            return strom_error_set(err, STROM_ENOTFOUND, "no lake table at %s", dir);
        }
    }
    *out = t;
    return 0;
}

void strom_lake_close(strom_lake *t) { free(t); }

const char *strom_lake_dir(const strom_lake *t) { return t->dir; }

/* ---- schema JSON -------------------------------------------------------------------------- */

static void paimon_type(strom_type t, bool nullable, char *buf, size_t cap)
{
    char base[64];
    switch (t.id) {
    case STROM_TYPE_DECIMAL:
        snprintf(base, sizeof base, "DECIMAL(%u, %u)", t.precision, t.scale);
        break;
    case STROM_TYPE_TIME:
        snprintf(base, sizeof base, "TIME(6)");
        break;
    case STROM_TYPE_TIMESTAMP:
        snprintf(base, sizeof base, "TIMESTAMP(6)");
        break;
    case STROM_TYPE_TIMESTAMP_LTZ:
        snprintf(base, sizeof base, "TIMESTAMP(6) WITH LOCAL TIME ZONE");
        break;
    default:
        snprintf(base, sizeof base, "%s", strom_type_name(t.id));
    }
    snprintf(buf, cap, "%s%s", base, nullable ? "" : " NOT NULL");
}

static bool prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* Paimon's atomic type text -> a strom type. *compact_ts is set for TIMESTAMP(p <= 3), whose
 * BinaryRow form strom does not read. */
static int parse_paimon_type(const char *s, strom_type *t, bool *nullable, bool *compact_ts,
                             strom_error *err)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    size_t n = strlen(buf);
    *nullable = true;
    if (n > 9 && strcmp(buf + n - 9, " NOT NULL") == 0) {
        *nullable = false;
        buf[n - 9] = 0;
    }
    static const struct { const char *name; strom_type_id id; } simple[] = {
        { "BOOLEAN", STROM_TYPE_BOOLEAN }, { "TINYINT", STROM_TYPE_TINYINT },
        { "SMALLINT", STROM_TYPE_SMALLINT }, { "INT", STROM_TYPE_INT },
        { "INTEGER", STROM_TYPE_INT }, { "BIGINT", STROM_TYPE_BIGINT },
        { "FLOAT", STROM_TYPE_FLOAT }, { "DOUBLE", STROM_TYPE_DOUBLE },
        { "STRING", STROM_TYPE_STRING }, { "BYTES", STROM_TYPE_BYTES },
        { "DATE", STROM_TYPE_DATE },
    };
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        if (strcmp(buf, simple[i].name) == 0) {
            *t = strom_type_of(simple[i].id);
            return 0;
        }
    unsigned p = 0, sc = 0;
    if (sscanf(buf, "DECIMAL(%u, %u)", &p, &sc) == 2 || sscanf(buf, "DECIMAL(%u,%u)", &p, &sc) == 2) {
        if (p < 1 || p > 38 || sc > p)
            return strom_error_set(err, STROM_ECORRUPT, "lake type %s out of range", s);
        *t = strom_type_decimal((uint8_t)p, (uint8_t)sc);
        return 0;
    }
    if (prefix(buf, "CHAR(") || prefix(buf, "VARCHAR(")) {
        *t = strom_type_of(STROM_TYPE_STRING);
        return 0;
    }
    if (prefix(buf, "BINARY(") || prefix(buf, "VARBINARY(")) {
        *t = strom_type_of(STROM_TYPE_BYTES);
        return 0;
    }
    if (prefix(buf, "TIME(") || strcmp(buf, "TIME") == 0) {
        *t = strom_type_of(STROM_TYPE_TIME);
        return 0;
    }
    if (prefix(buf, "TIMESTAMP")) {
        unsigned prec = 6;
        sscanf(buf, "TIMESTAMP(%u)", &prec);
        if (prec <= 3)
            *compact_ts = true;
        bool ltz = strstr(buf, "WITH LOCAL TIME ZONE") != NULL || prefix(buf, "TIMESTAMP_LTZ");
        *t = strom_type_of(ltz ? STROM_TYPE_TIMESTAMP_LTZ : STROM_TYPE_TIMESTAMP);
        return 0;
    }
    return strom_error_set(err, STROM_EUNSUPPORTED, "lake column type %s is not one strom "
                           "reads", s);
}

int strom_lake_write_schema(strom_lake *t, const strom_table_desc *d, const strom_schema *s,
                            const char *compression, strom_error *err)
{
    int64_t id = (int64_t)strom_schema_id(s) - 1;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/schema/schema-%lld", t->dir, (long long)id);
    if (access(path, F_OK) == 0)
        return 0;
    json_t *root = json_object(), *fields = json_array(), *pks = json_array(),
           *parts = json_array(), *opts = json_object();
    int ncols = strom_schema_ncols(s);
    for (int i = 0; i < ncols; i++) {
        char ty[96];
        /* Paimon requires primary-key and partition columns NOT NULL: strom's are */
        paimon_type(strom_schema_col_type(s, i), strom_schema_col_nullable(s, i), ty, sizeof ty);
        json_t *f = json_object();
        json_object_set_new(f, "id", json_integer(i));
        json_object_set_new(f, "name", json_string(strom_schema_col_name(s, i)));
        json_object_set_new(f, "type", json_string(ty));
        json_array_append_new(fields, f);
    }
    if (d->partition_col >= 0)
        json_array_append_new(parts, json_string(strom_schema_col_name(s, d->partition_col)));
    for (int i = 0; i < d->npk; i++)
        json_array_append_new(pks, json_string(strom_schema_col_name(s, d->pk[i])));
    char b[32];
    snprintf(b, sizeof b, "%u", d->buckets);
    json_object_set_new(opts, "bucket", json_string(b));
    if (d->nbucket_key > 0) {
        strom_buf bk = STROM_BUF_INIT;
        for (int i = 0; i < d->nbucket_key; i++) {
            const char *nm = strom_schema_col_name(s, d->bucket_key[i]);
            if (i)
                strom_buf_append(&bk, ",", 1);
            strom_buf_append(&bk, nm, strlen(nm));
        }
        strom_buf_append(&bk, "", 1);
        if (bk.data)
            json_object_set_new(opts, "bucket-key", json_string((const char *)bk.data));
        strom_buf_free(&bk);
    }
    json_object_set_new(opts, "file.format", json_string("parquet"));
    json_object_set_new(opts, "file.compression", json_string(compression));
    json_object_set_new(opts, "manifest.format", json_string("avro"));
    if (d->npk > 0) { /* the files hold strom's merged rows: the newest sequence number wins */
        json_object_set_new(opts, "merge-engine", json_string("deduplicate"));
        /* and every change goes into changelog files too (streaming readers of the table) */
        json_object_set_new(opts, "changelog-producer", json_string("input"));
    }
    json_object_set_new(root, "version", json_integer(3));
    json_object_set_new(root, "id", json_integer(id));
    json_object_set_new(root, "fields", fields);
    json_object_set_new(root, "highestFieldId", json_integer(ncols - 1));
    json_object_set_new(root, "partitionKeys", parts);
    json_object_set_new(root, "primaryKeys", pks);
    json_object_set_new(root, "options", opts);
    json_object_set_new(root, "comment", json_string(""));
    json_object_set_new(root, "timeMillis", json_integer(strom_now_ms()));
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    int rc = strom_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

static json_t *load_json(const char *path, const char *what, strom_error *err)
{
    char *text = NULL;
    size_t n = 0;
    if (strom_read_file(path, MAX_META_FILE, &text, &n, err) != 0)
        return NULL;
    json_error_t je;
    json_t *j = json_loadb(text, n, 0, &je);
    free(text);
    if (!j)
        strom_error_set(err, STROM_ECORRUPT, "%s %s: line %d column %d: %s", what, path,
                        je.line, je.column, je.text);
    else if (!json_is_object(j)) {
        json_decref(j);
        j = NULL;
        strom_error_set(err, STROM_ECORRUPT, "%s %s is not a JSON object", what, path);
    }
    return j;
}

static int json_int_field(json_t *o, const char *key, bool required, int64_t *out,
                          const char *path, strom_error *err)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        if (required)
            return strom_error_set(err, STROM_ECORRUPT, "%s: no \"%s\"", path, key);
        *out = 0;
        return 0;
    }
    if (!json_is_integer(v))
        return strom_error_set(err, STROM_ECORRUPT, "%s: \"%s\" is not an integer", path, key);
    *out = json_integer_value(v);
    return 0;
}

void strom_lake_schema_free(strom_lake_schema *s)
{
    strom_schema_free(s->schema);
    s->schema = NULL;
}

int strom_lake_read_schema(strom_lake *t, int64_t id, strom_lake_schema *out, strom_error *err)
{
    memset(out, 0, sizeof *out);
    out->partition_col = -1;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/schema/schema-%lld", t->dir, (long long)id);
    json_t *j = load_json(path, "lake schema", err);
    if (!j)
        return err ? err->code : STROM_ECORRUPT;
    int rc = 0;
    int64_t v = 0;
    json_t *fields = json_object_get(j, "fields");
    out->id = id;
    out->buckets = -1;
    if (!json_is_array(fields) || json_array_size(fields) == 0) {
        rc = strom_error_set(err, STROM_ECORRUPT, "%s: no \"fields\" array", path);
        goto done;
    }
    out->schema = strom_schema_new((uint32_t)(id + 1));
    if (!out->schema) {
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < json_array_size(fields); i++) {
        json_t *f = json_array_get(fields, i);
        const char *nm = json_string_value(json_object_get(f, "name"));
        const char *ty = json_string_value(json_object_get(f, "type"));
        if ((rc = json_int_field(f, "id", true, &v, path, err)) != 0)
            goto done;
        if (!nm || !ty) {
            rc = strom_error_set(err, STROM_EUNSUPPORTED, "%s: field %zu has no name or a nested "
                                 "type", path, i);
            goto done;
        }
        strom_type st;
        bool nullable, compact = false;
        if ((rc = parse_paimon_type(ty, &st, &nullable, &compact, err)) != 0 ||
            (rc = strom_schema_add(out->schema, nm, st, nullable, err)) != 0) {
            strom_error_prefix(err, "%s: field %s", path, nm);
            goto done;
        }
        if (v != (int64_t)i) {
            rc = strom_error_set(err, STROM_EUNSUPPORTED, "%s: field %s has id %lld: strom "
                                 "reads lake tables whose field ids are the column positions",
                                 path, nm, (long long)v);
            goto done;
        }
        if (compact)
            out->compact_ts = true;
    }
    json_t *parts = json_object_get(j, "partitionKeys");
    if (json_is_array(parts) && json_array_size(parts) > 0) {
        const char *pn = json_string_value(json_array_get(parts, 0));
        if (json_array_size(parts) > 1 || !pn) {
            rc = strom_error_set(err, STROM_EUNSUPPORTED, "%s: strom reads lake tables with at "
                                 "most one partition key", path);
            goto done;
        }
        out->partition_col = strom_schema_find(out->schema, pn, strlen(pn));
        if (out->partition_col < 0) {
            rc = strom_error_set(err, STROM_ECORRUPT, "%s: partition key %s is no column",
                                 path, pn);
            goto done;
        }
    }
    json_t *pks = json_object_get(j, "primaryKeys");
    for (size_t i = 0; json_is_array(pks) && i < json_array_size(pks); i++) {
        const char *pn = json_string_value(json_array_get(pks, i));
        int c = pn ? strom_schema_find(out->schema, pn, strlen(pn)) : -1;
        if (c < 0 || out->npk >= STROM_PK_MAX) {
            rc = strom_error_set(err, STROM_ECORRUPT, "%s: bad primary key", path);
            goto done;
        }
        out->pk[out->npk++] = c;
    }
    const char *b = json_string_value(json_object_get(json_object_get(j, "options"), "bucket"));
    if (b)
        out->buckets = (int32_t)strtol(b, NULL, 10);
done:
    json_decref(j);
    if (rc != 0)
        strom_lake_schema_free(out);
    return rc;
}

/* The largest N of the files "<stem>N" in dir (-1 when none). */
static int64_t max_numbered(const char *dir, const char *stem)
{
    DIR *d = opendir(dir);
    int64_t best = -1;
    if (!d)
        return -1;
    size_t sl = strlen(stem);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, stem, sl) != 0)
            continue;
        char *end;
        const char *num = e->d_name + sl;
        if (*num < '0' || *num > '9')
            continue;
        long long v = strtoll(num, &end, 10);
        if (*end == 0 && v > best)
            best = v;
    }
    closedir(d);
    return best;
}

int strom_lake_latest_schema_id(strom_lake *t, int64_t *id, strom_error *err)
{
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/schema", t->dir);
    *id = max_numbered(p, "schema-");
    (void)err;
    return 0;
}

/* ---- snapshots ------------------------------------------------------------------------------ */

void strom_lake_snapshot_free(strom_lake_snapshot *s)
{
    for (int i = 0; i < s->nprops; i++) {
        free(s->props[i].key);
        free(s->props[i].value);
    }
    free(s->props);
    s->props = NULL;
    s->nprops = 0;
}

const char *strom_lake_snapshot_prop(const strom_lake_snapshot *s, const char *key)
{
    for (int i = 0; i < s->nprops; i++)
        if (strcmp(s->props[i].key, key) == 0)
            return s->props[i].value;
    return NULL;
}

int strom_lake_snapshot_read(strom_lake *t, int64_t id, strom_lake_snapshot *out,
                             strom_error *err)
{
    memset(out, 0, sizeof *out);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/snapshot/snapshot-%lld", t->dir, (long long)id);
    json_t *j = load_json(path, "lake snapshot", err);
    if (!j)
        return err ? err->code : STROM_ECORRUPT;
    int rc = 0;
    int64_t sid = 0;
    const char *base = json_string_value(json_object_get(j, "baseManifestList"));
    const char *delta = json_string_value(json_object_get(j, "deltaManifestList"));
    const char *user = json_string_value(json_object_get(j, "commitUser"));
    if ((rc = json_int_field(j, "id", true, &sid, path, err)) != 0 ||
        (rc = json_int_field(j, "schemaId", true, &out->schema_id, path, err)) != 0 ||
        (rc = json_int_field(j, "totalRecordCount", false, &out->total_rows, path, err)) != 0 ||
        (rc = json_int_field(j, "deltaRecordCount", false, &out->delta_rows, path, err)) != 0 ||
        (rc = json_int_field(j, "timeMillis", false, &out->time_ms, path, err)) != 0 ||
        (rc = json_int_field(j, "commitIdentifier", false, &out->commit_id, path, err)) != 0)
        goto done;
    if (sid != id || !base || !delta || strlen(base) >= sizeof out->base_list ||
        strlen(delta) >= sizeof out->delta_list || strchr(base, '/') || strchr(delta, '/')) {
        rc = strom_error_set(err, STROM_ECORRUPT, "%s: bad id or manifest list names", path);
        goto done;
    }
    out->id = id;
    snprintf(out->base_list, sizeof out->base_list, "%s", base);
    snprintf(out->delta_list, sizeof out->delta_list, "%s", delta);
    snprintf(out->commit_user, sizeof out->commit_user, "%s", user ? user : "");
    json_t *props = json_object_get(j, "properties");
    if (json_is_object(props) && json_object_size(props) > 0) {
        out->props = calloc(json_object_size(props), sizeof *out->props);
        if (!out->props) {
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
            goto done;
        }
        const char *k;
        json_t *v;
        json_object_foreach(props, k, v) {
            if (!json_is_string(v))
                continue;
            strom_lake_prop *p = &out->props[out->nprops];
            p->key = strdup(k);
            p->value = strdup(json_string_value(v));
            out->nprops++;
            if (!p->key || !p->value) {
                rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
                goto done;
            }
        }
    }
done:
    json_decref(j);
    if (rc != 0)
        strom_lake_snapshot_free(out);
    return rc;
}

int strom_lake_latest(strom_lake *t, strom_lake_snapshot *out, strom_error *err)
{
    memset(out, 0, sizeof *out);
    char dir[PATH_MAX + 16], p[PATH_MAX + 64];
    snprintf(dir, sizeof dir, "%s/snapshot", t->dir);
    int64_t id = -1;
    char *text = NULL;
    size_t n = 0;
    snprintf(p, sizeof p, "%s/LATEST", dir);
    if (strom_read_file(p, 64, &text, &n, NULL) == 0) {
        char *end;
        long long v = strtoll(text, &end, 10);
        free(text);
        snprintf(p, sizeof p, "%s/snapshot-%lld", dir, v + 1);
        if (v > 0 && access(p, F_OK) != 0) {
            snprintf(p, sizeof p, "%s/snapshot-%lld", dir, v);
            if (access(p, F_OK) == 0)
                id = v;
        }
    }
    if (id < 0)
        id = max_numbered(dir, "snapshot-");
    if (id <= 0)
        return 0;
    return strom_lake_snapshot_read(t, id, out, err);
}

static int write_snapshot(strom_lake *t, int64_t id, const char *text, strom_error *err)
{
    char dir[PATH_MAX + 16], tmp[PATH_MAX + 96], final[PATH_MAX + 64], u[37];
    snprintf(dir, sizeof dir, "%s/snapshot", t->dir);
    uuid4(u);
    snprintf(tmp, sizeof tmp, "%s/.snapshot-%lld.%s.tmp", dir, (long long)id, u);
    snprintf(final, sizeof final, "%s/snapshot-%lld", dir, (long long)id);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return strom_sys_error(err, "create", tmp);
    size_t n = strlen(text), done = 0;
    while (done < n) {
        ssize_t w = write(fd, text + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int rc = strom_sys_error(err, "write", tmp);
            close(fd);
            unlink(tmp);
            return rc;
        }
        done += (size_t)w;
    }
    if (fdatasync(fd) != 0) {
        int rc = strom_sys_error(err, "fsync", tmp);
        close(fd);
        unlink(tmp);
        return rc;
    }
    close(fd);
    /* link() never replaces: the commit that links first owns the id */
    int rc = 0;
    if (link(tmp, final) != 0)
        rc = errno == EEXIST ? strom_error_set(err, STROM_EEXISTS, "lake snapshot %lld was "
                                               "committed by another writer", (long long)id)
                             : strom_sys_error(err, "link", final);
    unlink(tmp);
    if (rc == 0) {
        /* linked: the commit is visible and must never be undone (its files stay), even if
         * the directory's fsync fails (the next commit's fsync covers the entry) */
        strom_error ignore;
        (void)strom_fsync_dir(dir, &ignore);
        char hint[32], lp[PATH_MAX + 64];
        snprintf(hint, sizeof hint, "%lld", (long long)id);
        snprintf(lp, sizeof lp, "%s/LATEST", dir);
        (void)strom_write_file_atomic(lp, hint, strlen(hint), &ignore); /* only a hint */
        if (id == 1) {
            snprintf(lp, sizeof lp, "%s/EARLIEST", dir);
            (void)strom_write_file_atomic(lp, "1", 1, &ignore);
        }
    }
    return rc;
}

/* ---- Avro --------------------------------------------------------------------------------- */

static const char STATS_FIELDS[] =
    "{\"name\":\"_MIN_VALUES\",\"type\":\"bytes\"},{\"name\":\"_MAX_VALUES\",\"type\":\"bytes\"},"
    "{\"name\":\"_NULL_COUNTS\",\"type\":[\"null\",{\"type\":\"array\",\"items\":[\"null\","
    "\"long\"]}],\"default\":null}";

static const char LIST_SCHEMA_A[] =
    "{\"type\":\"record\",\"name\":\"record\",\"namespace\":\"org.apache.paimon.avro.generated\","
    "\"fields\":[{\"name\":\"_VERSION\",\"type\":\"int\"},{\"name\":\"_FILE_NAME\",\"type\":"
    "\"string\"},{\"name\":\"_FILE_SIZE\",\"type\":\"long\"},{\"name\":\"_NUM_ADDED_FILES\","
    "\"type\":\"long\"},{\"name\":\"_NUM_DELETED_FILES\",\"type\":\"long\"},{\"name\":"
    "\"_PARTITION_STATS\",\"type\":{\"type\":\"record\",\"name\":\"record__PARTITION_STATS\","
    "\"fields\":[";
static const char LIST_SCHEMA_B[] =
    "]}},{\"name\":\"_SCHEMA_ID\",\"type\":\"long\"},{\"name\":\"_MIN_BUCKET\",\"type\":[\"null\","
    "\"int\"],\"default\":null},{\"name\":\"_MAX_BUCKET\",\"type\":[\"null\",\"int\"],\"default\":"
    "null},{\"name\":\"_MIN_LEVEL\",\"type\":[\"null\",\"int\"],\"default\":null},{\"name\":"
    "\"_MAX_LEVEL\",\"type\":[\"null\",\"int\"],\"default\":null}]}";

static const char ENTRY_SCHEMA_A[] =
    "{\"type\":\"record\",\"name\":\"record\",\"namespace\":\"org.apache.paimon.avro.generated\","
    "\"fields\":[{\"name\":\"_VERSION\",\"type\":\"int\"},{\"name\":\"_KIND\",\"type\":\"int\"},"
    "{\"name\":\"_PARTITION\",\"type\":\"bytes\"},{\"name\":\"_BUCKET\",\"type\":\"int\"},"
    "{\"name\":\"_TOTAL_BUCKETS\",\"type\":\"int\"},{\"name\":\"_FILE\",\"type\":{\"type\":"
    "\"record\",\"name\":\"record__FILE\",\"fields\":[{\"name\":\"_FILE_NAME\",\"type\":"
    "\"string\"},{\"name\":\"_FILE_SIZE\",\"type\":\"long\"},{\"name\":\"_ROW_COUNT\",\"type\":"
    "\"long\"},{\"name\":\"_MIN_KEY\",\"type\":\"bytes\"},{\"name\":\"_MAX_KEY\",\"type\":"
    "\"bytes\"},{\"name\":\"_KEY_STATS\",\"type\":{\"type\":\"record\",\"name\":"
    "\"record__FILE__KEY_STATS\",\"fields\":[";
static const char ENTRY_SCHEMA_B[] =
    "]}},{\"name\":\"_VALUE_STATS\",\"type\":{\"type\":\"record\",\"name\":"
    "\"record__FILE__VALUE_STATS\",\"fields\":[";
static const char ENTRY_SCHEMA_C[] =
    "]}},{\"name\":\"_MIN_SEQUENCE_NUMBER\",\"type\":\"long\"},{\"name\":"
    "\"_MAX_SEQUENCE_NUMBER\",\"type\":\"long\"},{\"name\":\"_SCHEMA_ID\",\"type\":\"long\"},"
    "{\"name\":\"_LEVEL\",\"type\":\"int\"},{\"name\":\"_EXTRA_FILES\",\"type\":{\"type\":"
    "\"array\",\"items\":\"string\"}},{\"name\":\"_CREATION_TIME\",\"type\":[\"null\",{\"type\":"
    "\"long\",\"logicalType\":\"timestamp-millis\"}],\"default\":null},{\"name\":"
    "\"_DELETE_ROW_COUNT\",\"type\":[\"null\",\"long\"],\"default\":null},{\"name\":"
    "\"_EMBEDDED_FILE_INDEX\",\"type\":[\"null\",\"bytes\"],\"default\":null},{\"name\":"
    "\"_FILE_SOURCE\",\"type\":[\"null\",\"int\"],\"default\":null},{\"name\":"
    "\"_VALUE_STATS_COLS\",\"type\":[\"null\",{\"type\":\"array\",\"items\":\"string\"}],"
    "\"default\":null},{\"name\":\"_EXTERNAL_PATH\",\"type\":[\"null\",\"string\"],\"default\":"
    "null}]}}]}";

static avro_schema_t schema_of(const char *const *parts, int n)
{
    strom_buf b = STROM_BUF_INIT;
    for (int i = 0; i < n; i++)
        strom_buf_append(&b, parts[i], strlen(parts[i]));
    avro_schema_t s = NULL;
    if (b.data && avro_schema_from_json_length((const char *)b.data, b.len, &s) != 0)
        s = NULL;
    strom_buf_free(&b);
    return s;
}

static avro_schema_t list_schema(void)
{
    const char *p[] = { LIST_SCHEMA_A, STATS_FIELDS, LIST_SCHEMA_B };
    return schema_of(p, 3);
}

static avro_schema_t entry_schema(void)
{
    const char *p[] = { ENTRY_SCHEMA_A, STATS_FIELDS, ENTRY_SCHEMA_B, STATS_FIELDS,
                        ENTRY_SCHEMA_C };
    return schema_of(p, 5);
}

/* Field setters: every failure is remembered in *bad (checked once per record). */
static avro_value_t fld(avro_value_t *rec, const char *name, int *bad)
{
    avro_value_t f;
    memset(&f, 0, sizeof f);
    if (avro_value_get_by_name(rec, name, &f, NULL) != 0)
        *bad = 1;
    return f;
}

static void set_int(avro_value_t *rec, const char *name, int32_t v, int *bad)
{
    avro_value_t f = fld(rec, name, bad);
    if (!*bad && avro_value_set_int(&f, v) != 0)
        *bad = 1;
}

static void set_long(avro_value_t *rec, const char *name, int64_t v, int *bad)
{
    avro_value_t f = fld(rec, name, bad);
    if (!*bad && avro_value_set_long(&f, v) != 0)
        *bad = 1;
}

static void set_bytes(avro_value_t *rec, const char *name, const void *p, size_t n, int *bad)
{
    avro_value_t f = fld(rec, name, bad);
    if (!*bad && avro_value_set_bytes(&f, (void *)(uintptr_t)p, n) != 0)
        *bad = 1;
}

static void set_string(avro_value_t *rec, const char *name, const char *s, int *bad)
{
    avro_value_t f = fld(rec, name, bad);
    if (!*bad && avro_value_set_string(&f, s) != 0)
        *bad = 1;
}

/* A ["null", X] union: branch 0 (null) or 1, *branch then holds X. */
static void set_union(avro_value_t *rec, const char *name, bool null, avro_value_t *branch,
                      int *bad)
{
    avro_value_t f = fld(rec, name, bad);
    if (*bad)
        return;
    if (avro_value_set_branch(&f, null ? 0 : 1, branch) != 0 ||
        (null && avro_value_set_null(branch) != 0))
        *bad = 1;
}

static void set_opt_int(avro_value_t *rec, const char *name, int32_t v, int *bad)
{
    avro_value_t b;
    set_union(rec, name, false, &b, bad);
    if (!*bad && avro_value_set_int(&b, v) != 0)
        *bad = 1;
}

static void set_opt_long(avro_value_t *rec, const char *name, int64_t v, int *bad)
{
    avro_value_t b;
    set_union(rec, name, false, &b, bad);
    if (!*bad && avro_value_set_long(&b, v) != 0)
        *bad = 1;
}

/* A SimpleStats record from min/max rows and null counts (n of them; nulls[i] < 0: null). */
static void set_stats(avro_value_t *rec, const char *name, const strom_buf *mn,
                      const strom_buf *mx, const int64_t *nulls, int n, int *bad)
{
    avro_value_t st = fld(rec, name, bad), arr, el, x;
    if (*bad)
        return;
    set_bytes(&st, "_MIN_VALUES", mn->data, mn->len, bad);
    set_bytes(&st, "_MAX_VALUES", mx->data, mx->len, bad);
    set_union(&st, "_NULL_COUNTS", false, &arr, bad);
    for (int i = 0; !*bad && i < n; i++) {
        if (avro_value_append(&arr, &el, NULL) != 0 ||
            avro_value_set_branch(&el, nulls[i] < 0 ? 0 : 1, &x) != 0 ||
            (nulls[i] < 0 ? avro_value_set_null(&x) : avro_value_set_long(&x, nulls[i])) != 0)
            *bad = 1;
    }
}

/* Writes an Avro container file of `nrec` records filled by fill(i) and makes it durable;
 * *size gets its byte size. */
typedef int (*fill_fn)(void *ctx, int i, avro_value_t *rec, strom_error *err);

static int write_avro(const char *path, avro_schema_t schema, int nrec, fill_fn fill, void *ctx,
                      int64_t *size, strom_error *err)
{
    if (!schema)
        return strom_error_set(err, STROM_ECORRUPT, "avro schema: %s", avro_strerror());
    avro_file_writer_t w;
    if (avro_file_writer_create_with_codec(path, schema, &w, "deflate", AVRO_BLOCK) != 0)
        return strom_error_set(err, STROM_EIO, "create %s: %s", path, avro_strerror());
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    avro_value_t rec;
    int rc = 0;
    if (!iface || avro_generic_value_new(iface, &rec) != 0) {
        avro_file_writer_close(w);
        if (iface)
            avro_value_iface_decref(iface);
        return strom_error_set(err, STROM_ENOMEM, "avro value: %s", avro_strerror());
    }
    for (int i = 0; rc == 0 && i < nrec; i++) {
        avro_value_reset(&rec);
        if ((rc = fill(ctx, i, &rec, err)) == 0 && avro_file_writer_append_value(w, &rec) != 0)
            rc = strom_error_set(err, STROM_EIO, "write %s: %s", path, avro_strerror());
    }
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
    if (avro_file_writer_close(w) != 0 && rc == 0)
        rc = strom_error_set(err, STROM_EIO, "close %s: %s", path, avro_strerror());
    if (rc == 0) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0 || fdatasync(fd) != 0)
            rc = strom_sys_error(err, "fsync", path);
        else
            *size = st.st_size;
        if (fd >= 0)
            close(fd);
    }
    if (rc != 0)
        unlink(path);
    return rc;
}

/* ---- reading Avro by field name ---------------------------------------------------------- */

typedef struct rd {
    const char *path;
    strom_error *err;
    int rc;
} rd;

static bool rd_get(rd *r, const strom_av_value *rec, const char *name, strom_av_kind want,
                   bool optional, const strom_av_value **out)
{
    if (r->rc)
        return false;
    const strom_av_value *f = strom_av_field(rec, name);
    if (!f || f->kind == STROM_AV_NULL) {
        if (!optional)
            r->rc = strom_error_set(r->err, STROM_ECORRUPT, "%s: field %s is %s", r->path, name,
                                    f ? "null" : "missing");
        return false;
    }
    if (f->kind != want && !(want == STROM_AV_LONG && f->kind == STROM_AV_INT)) {
        r->rc = strom_error_set(r->err, STROM_ECORRUPT, "%s: field %s has Avro type %d, not %d",
                                r->path, name, (int)f->kind, (int)want);
        return false;
    }
    *out = f;
    return true;
}

static int64_t rd_long(rd *r, const strom_av_value *rec, const char *name, bool optional,
                       int64_t def)
{
    const strom_av_value *f;
    return rd_get(r, rec, name, STROM_AV_LONG, optional, &f) ? f->u.i : def;
}

static int32_t rd_int(rd *r, const strom_av_value *rec, const char *name, bool optional,
                      int32_t def)
{
    const strom_av_value *f;
    return rd_get(r, rec, name, STROM_AV_INT, optional, &f) ? (int32_t)f->u.i : def;
}

static const void *rd_bytes(rd *r, const strom_av_value *rec, const char *name, size_t *n)
{
    const strom_av_value *f;
    *n = 0;
    if (!rd_get(r, rec, name, STROM_AV_BYTES, false, &f))
        return NULL;
    *n = f->u.s.n;
    return f->u.s.p;
}

/* A string field copied into buf (NUL-terminated); false (and r->rc) when it does not fit. */
static bool rd_string(rd *r, const strom_av_value *rec, const char *name, char *buf, size_t cap)
{
    const strom_av_value *f;
    if (!rd_get(r, rec, name, STROM_AV_STRING, false, &f))
        return false;
    if (f->u.s.n == 0 || f->u.s.n >= cap || memchr(f->u.s.p, 0, f->u.s.n)) {
        r->rc = strom_error_set(r->err, STROM_ECORRUPT, "%s: field %s is empty, too long or "
                                "holds a NUL", r->path, name);
        return false;
    }
    memcpy(buf, f->u.s.p, f->u.s.n);
    buf[f->u.s.n] = 0;
    return true;
}

/* Reads every record of an Avro file through each(ctx, rec). */
typedef int (*each_fn)(void *ctx, const strom_av_value *rec, rd *r);

static int read_avro(const char *path, each_fn each, void *ctx, strom_error *err)
{
    char *buf = NULL;
    size_t n = 0;
    int rc = strom_read_file(path, MAX_META_FILE, &buf, &n, err);
    if (rc != 0)
        return rc == STROM_ENOTFOUND ? strom_error_set(err, STROM_ENOTFOUND, "lake manifest %s "
                                                       "is missing", path) : rc;
    char what[256];
    const char *base = strrchr(path, '/');
    snprintf(what, sizeof what, "lake manifest %.200s", base ? base + 1 : path);
    strom_av_file *f;
    if ((rc = strom_av_open((const uint8_t *)buf, n, what, &f, err)) == 0) {
        rd r = { path, err, 0 };
        const strom_av_value *rec;
        int k;
        while (rc == 0 && (k = strom_av_next(f, &rec, err)) == 1)
            if ((rc = each(ctx, rec, &r)) == 0)
                rc = r.rc;
        if (rc == 0 && k < 0)
            rc = k;
        strom_av_close(f);
    }
    free(buf);
    return rc;
}

/* ---- manifest lists ------------------------------------------------------------------------ */

typedef struct mfile {
    char name[128];
    int64_t size, added, deleted, schema_id;
    int32_t min_bucket, max_bucket; /* -1: unknown (written as null) */
    int nparts;                     /* partition keys of the table (for the partition stats) */
} mfile;

typedef struct mlist {
    mfile *v;
    int n, cap;
} mlist;

static int list_each(void *ctx, const strom_av_value *rec, rd *r)
{
    mlist *l = ctx;
    if (strom_array_grow(&l->v, l->n + 1, &l->cap, sizeof *l->v, 8) != 0)
        return strom_error_set(r->err, STROM_ENOMEM, "out of memory");
    mfile *m = &l->v[l->n];
    memset(m, 0, sizeof *m);
    int32_t ver = rd_int(r, rec, "_VERSION", false, 0);
    rd_string(r, rec, "_FILE_NAME", m->name, sizeof m->name);
    m->size = rd_long(r, rec, "_FILE_SIZE", false, 0);
    m->added = rd_long(r, rec, "_NUM_ADDED_FILES", false, 0);
    m->deleted = rd_long(r, rec, "_NUM_DELETED_FILES", false, 0);
    m->schema_id = rd_long(r, rec, "_SCHEMA_ID", false, 0);
    m->min_bucket = rd_int(r, rec, "_MIN_BUCKET", true, -1);
    m->max_bucket = rd_int(r, rec, "_MAX_BUCKET", true, -1);
    if (r->rc)
        return r->rc;
    if (ver != 2)
        return strom_error_set(r->err, STROM_EUNSUPPORTED, "%s: manifest list version %d",
                               r->path, ver);
    if (strchr(m->name, '/') || !strcmp(m->name, "..") || m->size < 0)
        return strom_error_set(r->err, STROM_ECORRUPT, "%s: bad manifest name or size", r->path);
    l->n++;
    return 0;
}

static int read_list(strom_lake *t, const char *name, mlist *out, strom_error *err)
{
    char p[PATH_MAX + 160];
    snprintf(p, sizeof p, "%s/manifest/%s", t->dir, name);
    return read_avro(p, list_each, out, err);
}

typedef struct list_fill_ctx {
    const mfile *v;
} list_fill_ctx;

static int list_fill(void *ctx, int i, avro_value_t *rec, strom_error *err)
{
    const mfile *m = &((list_fill_ctx *)ctx)->v[i];
    int bad = 0;
    uint8_t empty[12] = { 0 };
    set_int(rec, "_VERSION", 2, &bad);
    set_string(rec, "_FILE_NAME", m->name, &bad);
    set_long(rec, "_FILE_SIZE", m->size, &bad);
    set_long(rec, "_NUM_ADDED_FILES", m->added, &bad);
    set_long(rec, "_NUM_DELETED_FILES", m->deleted, &bad);
    /* partition stats are left unknown: rows of the partition keys' arity with every field
     * null and null counts unknown (paimon.md §8: readers then keep the manifest) */
    avro_value_t ps = fld(rec, "_PARTITION_STATS", &bad), nc, el, x, b;
    if (!bad && m->nparts == 0) {
        set_bytes(&ps, "_MIN_VALUES", empty, 12, &bad);
        set_bytes(&ps, "_MAX_VALUES", empty, 12, &bad);
        set_union(&ps, "_NULL_COUNTS", false, &nc, &bad);
    } else if (!bad) {
        /* arity 1: 4-byte arity, 8 bytes of header with field 0's null bit (bit 8), one slot */
        uint8_t unknown[20] = { 0, 0, 0, 1, 0, 0x01 };
        set_bytes(&ps, "_MIN_VALUES", unknown, sizeof unknown, &bad);
        set_bytes(&ps, "_MAX_VALUES", unknown, sizeof unknown, &bad);
        set_union(&ps, "_NULL_COUNTS", false, &nc, &bad);
        if (!bad && (avro_value_append(&nc, &el, NULL) != 0 ||
                     avro_value_set_branch(&el, 0, &x) != 0 || avro_value_set_null(&x) != 0))
            bad = 1;
    }
    set_long(rec, "_SCHEMA_ID", m->schema_id, &bad);
    if (m->min_bucket < 0 || m->max_bucket < 0) {
        set_union(rec, "_MIN_BUCKET", true, &b, &bad);
        set_union(rec, "_MAX_BUCKET", true, &b, &bad);
    } else {
        set_opt_int(rec, "_MIN_BUCKET", m->min_bucket, &bad);
        set_opt_int(rec, "_MAX_BUCKET", m->max_bucket, &bad);
    }
    set_opt_int(rec, "_MIN_LEVEL", 0, &bad);
    set_opt_int(rec, "_MAX_LEVEL", 0, &bad);
    return bad ? strom_error_set(err, STROM_EIO, "manifest list record: %s", avro_strerror()) : 0;
}


/* Rows of n files, and their smallest and largest bucket (INT32_MAX, -1 for none). */
static int64_t files_span(const strom_lake_file *f, int n, int32_t *minb, int32_t *maxb)
{
    int64_t rows = 0;
    *minb = INT32_MAX;
    *maxb = -1;
    for (int i = 0; i < n; i++) {
        rows += f[i].rows;
        *minb = f[i].bucket < *minb ? f[i].bucket : *minb;
        *maxb = f[i].bucket > *maxb ? f[i].bucket : *maxb;
    }
    return rows;
}

/* ---- manifests ------------------------------------------------------------------------------ */

typedef struct entry_fill_ctx {
    const strom_lake_commit *c;
    strom_type *types;          /* of c->schema */
    strom_value *row;
    int64_t *nulls;
    strom_buf mn, mx, part, empty;
    strom_error *err;
} entry_fill_ctx;

static int entry_fill(void *ctx, int i, avro_value_t *rec, strom_error *err)
{
    entry_fill_ctx *x = ctx;
    const strom_lake_commit *c = x->c;
    const strom_lake_file *f = &c->files[i];
    int ncols = strom_schema_ncols(c->schema), bad = 0, rc;
    strom_buf_reset(&x->mn);
    strom_buf_reset(&x->mx);
    strom_buf_reset(&x->part);
    /* value stats: every column; unknown (null) for TIME and when the file has none */
    bool have = f->stats.ncols == ncols;
    for (int k = 0; k < ncols; k++) {
        const strom_col_stats *cs = have ? &f->stats.cols[k] : NULL;
        bool known = cs && x->types[k].id != STROM_TYPE_TIME;
        x->nulls[k] = known ? cs->null_count : -1;
        x->row[k] = known && cs->has_min ? cs->min : (strom_value){ .is_null = true };
        x->row[k].type = x->types[k].id;
    }
    if ((rc = strom_binrow_encode(&x->mn, x->types, x->row, ncols, err)) != 0)
        return rc;
    for (int k = 0; k < ncols; k++) {
        const strom_col_stats *cs = have ? &f->stats.cols[k] : NULL;
        bool known = cs && x->types[k].id != STROM_TYPE_TIME;
        x->row[k] = known && cs->has_max ? cs->max : (strom_value){ .is_null = true };
        x->row[k].type = x->types[k].id;
    }
    if ((rc = strom_binrow_encode(&x->mx, x->types, x->row, ncols, err)) != 0)
        return rc;
    if (c->partition_col >= 0) {
        strom_type pt = x->types[c->partition_col];
        strom_value pv = f->partition;
        if (!pv.is_null && (pt.id == STROM_TYPE_STRING || pt.id == STROM_TYPE_BYTES))
            pv.u.s.ptr = f->part_bytes; /* the struct may have been copied */
        rc = strom_binrow_encode(&x->part, &pt, &pv, 1, err);
    } else {
        rc = strom_binrow_encode(&x->part, NULL, NULL, 0, err);
    }
    if (rc != 0)
        return rc;
    set_int(rec, "_VERSION", 2, &bad);
    set_int(rec, "_KIND", 0, &bad);
    set_bytes(rec, "_PARTITION", x->part.data, x->part.len, &bad);
    set_int(rec, "_BUCKET", f->bucket, &bad);
    set_int(rec, "_TOTAL_BUCKETS", c->total_buckets, &bad);
    avro_value_t file = fld(rec, "_FILE", &bad), b;
    if (bad)
        return strom_error_set(err, STROM_EIO, "manifest record: %s", avro_strerror());
    set_string(&file, "_FILE_NAME", f->name, &bad);
    set_long(&file, "_FILE_SIZE", f->size, &bad);
    set_long(&file, "_ROW_COUNT", f->rows, &bad);
    if (c->nkey > 0 && f->min_key && f->max_key) { /* a primary-key file */
        strom_buf kmn = STROM_BUF_INIT, kmx = STROM_BUF_INIT;
        int64_t knulls[STROM_PK_MAX];
        strom_value kv[STROM_PK_MAX];
        for (int k = 0; k < c->nkey; k++) {
            const strom_col_stats *cs = k < f->key_stats.ncols ? &f->key_stats.cols[k] : NULL;
            knulls[k] = cs ? cs->null_count : -1;
            kv[k] = cs && cs->has_min ? cs->min : (strom_value){ .is_null = true };
            kv[k].type = c->key_types[k].id;
        }
        int krc = strom_binrow_encode(&kmn, c->key_types, kv, c->nkey, err);
        for (int k = 0; krc == 0 && k < c->nkey; k++) {
            const strom_col_stats *cs = k < f->key_stats.ncols ? &f->key_stats.cols[k] : NULL;
            kv[k] = cs && cs->has_max ? cs->max : (strom_value){ .is_null = true };
            kv[k].type = c->key_types[k].id;
        }
        if (krc == 0)
            krc = strom_binrow_encode(&kmx, c->key_types, kv, c->nkey, err);
        set_bytes(&file, "_MIN_KEY", f->min_key, f->min_key_len, &bad);
        set_bytes(&file, "_MAX_KEY", f->max_key, f->max_key_len, &bad);
        set_stats(&file, "_KEY_STATS", &kmn, &kmx, knulls, c->nkey, &bad);
        strom_buf_free(&kmn);
        strom_buf_free(&kmx);
        if (krc != 0)
            return krc;
    } else {
        set_bytes(&file, "_MIN_KEY", x->empty.data, x->empty.len, &bad);
        set_bytes(&file, "_MAX_KEY", x->empty.data, x->empty.len, &bad);
        set_stats(&file, "_KEY_STATS", &x->empty, &x->empty, NULL, 0, &bad);
    }
    set_stats(&file, "_VALUE_STATS", &x->mn, &x->mx, x->nulls, ncols, &bad);
    set_long(&file, "_MIN_SEQUENCE_NUMBER", f->min_seq, &bad);
    set_long(&file, "_MAX_SEQUENCE_NUMBER", f->max_seq, &bad);
    set_long(&file, "_SCHEMA_ID", f->schema_id, &bad);
    set_int(&file, "_LEVEL", 0, &bad);
    (void)fld(&file, "_EXTRA_FILES", &bad); /* an empty array */
    set_opt_long(&file, "_CREATION_TIME", f->creation_ms, &bad);
    set_opt_long(&file, "_DELETE_ROW_COUNT", f->delete_rows, &bad);
    set_union(&file, "_EMBEDDED_FILE_INDEX", true, &b, &bad);
    set_opt_int(&file, "_FILE_SOURCE", 0, &bad);
    set_union(&file, "_VALUE_STATS_COLS", true, &b, &bad);
    set_union(&file, "_EXTERNAL_PATH", true, &b, &bad);
    return bad ? strom_error_set(err, STROM_EIO, "manifest record: %s", avro_strerror()) : 0;
}

int strom_lake_commit_files(strom_lake *t, const strom_lake_snapshot *prev,
                            const strom_lake_commit *c, int64_t *snap_id, strom_error *err)
{
    int ncols = strom_schema_ncols(c->schema), rc = 0;
    char u[37], path[PATH_MAX + 160], mname[128], dname[128], bname[128];
    uuid4(u);
    snprintf(mname, sizeof mname, "manifest-%s-0", u);
    snprintf(bname, sizeof bname, "manifest-list-%s-0", u);
    snprintf(dname, sizeof dname, "manifest-list-%s-1", u);
    entry_fill_ctx x = { .c = c, .mn = STROM_BUF_INIT, .mx = STROM_BUF_INIT,
                         .part = STROM_BUF_INIT, .empty = STROM_BUF_INIT, .err = err };
    mlist base = { 0 };
    char *text = NULL;
    x.types = calloc((size_t)ncols + 1, sizeof *x.types);
    x.row = calloc((size_t)ncols + 1, sizeof *x.row);
    x.nulls = calloc((size_t)ncols + 1, sizeof *x.nulls);
    if (!x.types || !x.row || !x.nulls) {
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        goto out;
    }
    for (int k = 0; k < ncols; k++)
        x.types[k] = strom_schema_col_type(c->schema, k);
    if ((rc = strom_binrow_encode(&x.empty, NULL, NULL, 0, err)) != 0)
        goto out;
    /* 1. the manifest of the new files */
    int64_t msize = 0;
    int32_t minb, maxb;
    int64_t rows = files_span(c->files, c->nfiles, &minb, &maxb);
    snprintf(path, sizeof path, "%s/manifest/%s", t->dir, mname);
    avro_schema_t es = entry_schema(), ls = list_schema();
    if (c->nfiles > 0)
        rc = write_avro(path, es, c->nfiles, entry_fill, &x, &msize, err);
    /* 2. the delta list: the new manifest (none for a commit that only moves offsets) */
    mfile m = { .size = msize, .added = c->nfiles, .schema_id = c->schema_id,
                .min_bucket = c->nfiles ? minb : 0, .max_bucket = c->nfiles ? maxb : 0,
                .nparts = c->partition_col >= 0 ? 1 : 0 };
    snprintf(m.name, sizeof m.name, "%s", mname);
    list_fill_ctx dl = { &m }, bl;
    int64_t dsize = 0, bsize = 0;
    snprintf(path, sizeof path, "%s/manifest/%s", t->dir, dname);
    if (rc == 0)
        rc = write_avro(path, ls, c->nfiles > 0 ? 1 : 0, list_fill, &dl, &dsize, err);
    /* 3. the base list: everything live before (the previous base and delta) */
    if (rc == 0 && prev && prev->id > 0) {
        if ((rc = read_list(t, prev->base_list, &base, err)) == 0)
            rc = read_list(t, prev->delta_list, &base, err);
    }
    bl.v = base.v;
    for (int i = 0; i < base.n; i++) /* one table: the same partition keys */
        base.v[i].nparts = c->partition_col >= 0 ? 1 : 0;
    snprintf(path, sizeof path, "%s/manifest/%s", t->dir, bname);
    if (rc == 0)
        rc = write_avro(path, ls, base.n, list_fill, &bl, &bsize, err);
    /* 4. the changelog: its manifest and list (primary-key tables) */
    char cmname[128] = "", clname[128] = "";
    int64_t clsize = 0, crows = 0;
    if (rc == 0 && c->nchangelog > 0) {
        strom_lake_commit cc = *c;
        cc.files = c->changelog;
        cc.nfiles = c->nchangelog;
        entry_fill_ctx cx = x;
        cx.c = &cc;
        snprintf(cmname, sizeof cmname, "manifest-%s-1", u);
        snprintf(clname, sizeof clname, "manifest-list-%s-2", u);
        int64_t cmsize = 0;
        int32_t cminb, cmaxb;
        crows = files_span(c->changelog, c->nchangelog, &cminb, &cmaxb);
        snprintf(path, sizeof path, "%s/manifest/%s", t->dir, cmname);
        rc = write_avro(path, es, c->nchangelog, entry_fill, &cx, &cmsize, err);
        mfile cm = { .size = cmsize, .added = c->nchangelog, .schema_id = c->schema_id,
                     .min_bucket = cminb, .max_bucket = cmaxb,
                     .nparts = c->partition_col >= 0 ? 1 : 0 };
        snprintf(cm.name, sizeof cm.name, "%s", cmname);
        list_fill_ctx cl = { &cm };
        snprintf(path, sizeof path, "%s/manifest/%s", t->dir, clname);
        if (rc == 0)
            rc = write_avro(path, ls, 1, list_fill, &cl, &clsize, err);
    }
    avro_schema_decref(es);
    avro_schema_decref(ls);
    if (rc == 0) {
        char dir[PATH_MAX + 16];
        snprintf(dir, sizeof dir, "%s/manifest", t->dir);
        rc = strom_fsync_dir(dir, err);
    }
    if (rc != 0)
        goto out;
    /* 4. the snapshot */
    int64_t id = (prev ? prev->id : 0) + 1;
    json_t *j = json_object(), *props = json_object();
    json_object_set_new(j, "version", json_integer(3));
    json_object_set_new(j, "id", json_integer(id));
    json_object_set_new(j, "schemaId", json_integer(c->schema_id));
    json_object_set_new(j, "baseManifestList", json_string(bname));
    json_object_set_new(j, "baseManifestListSize", json_integer(bsize));
    json_object_set_new(j, "deltaManifestList", json_string(dname));
    json_object_set_new(j, "deltaManifestListSize", json_integer(dsize));
    if (clname[0]) {
        json_object_set_new(j, "changelogManifestList", json_string(clname));
        json_object_set_new(j, "changelogManifestListSize", json_integer(clsize));
    } else {
        json_object_set_new(j, "changelogManifestList", json_null());
    }
    json_object_set_new(j, "commitUser", json_string(c->commit_user ? c->commit_user : u));
    json_object_set_new(j, "commitIdentifier", json_integer(c->commit_id));
    json_object_set_new(j, "commitKind", json_string("APPEND"));
    json_object_set_new(j, "timeMillis", json_integer(strom_now_ms()));
    json_object_set_new(j, "logOffsets", json_object());
    json_object_set_new(j, "totalRecordCount", json_integer((prev ? prev->total_rows : 0) + rows));
    json_object_set_new(j, "deltaRecordCount", json_integer(rows));
    json_object_set_new(j, "changelogRecordCount", json_integer(crows));
    for (int i = 0; i < c->nprops; i++)
        json_object_set_new(props, c->props[i].key, json_string(c->props[i].value));
    json_object_set_new(j, "properties", props);
    text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!text) {
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = write_snapshot(t, id, text, err)) == 0) {
        *snap_id = id;
    } else {
        /* nobody refers to this commit's manifests: remove them (orphans are harmless, but
         * a writer that lost a race would otherwise leave them behind on every retry) */
        const char *names[5] = { mname, dname, bname, cmname, clname };
        for (int i = 0; i < 5 && names[i][0]; i++) {
            snprintf(path, sizeof path, "%s/manifest/%s", t->dir, names[i]);
            unlink(path);
        }
    }
out:
    free(text);
    free(base.v);
    free(x.types);
    free(x.row);
    free(x.nulls);
    strom_buf_free(&x.mn);
    strom_buf_free(&x.mx);
    strom_buf_free(&x.part);
    strom_buf_free(&x.empty);
    return rc;
}

/* ---- the live files of a snapshot ------------------------------------------------------- */

typedef struct files_ctx {
    strom_lake *t;
    strom_lake_file *v;
    int n, cap;
    strom_lake_schema *schemas;     /* by id, loaded on demand */
    int nschemas;
    strom_error *err;
} files_ctx;

static strom_lake_schema *schema_for(files_ctx *x, int64_t id, strom_error *err)
{
    if (id < 0 || id > 100000) {
        strom_error_set(err, STROM_ECORRUPT, "lake file with schema id %lld", (long long)id);
        return NULL;
    }
    if (id >= x->nschemas) {
        int n = (int)id + 1;
        strom_lake_schema *s = realloc(x->schemas, (size_t)n * sizeof *s);
        if (!s) {
            strom_error_set(err, STROM_ENOMEM, "out of memory");
            return NULL;
        }
        memset(s + x->nschemas, 0, (size_t)(n - x->nschemas) * sizeof *s);
        x->schemas = s;
        x->nschemas = n;
    }
    strom_lake_schema *s = &x->schemas[id];
    if (!s->schema && strom_lake_read_schema(x->t, id, s, err) != 0)
        return NULL;
    return s;
}

static int decode_stats(strom_lake_file *f, const strom_lake_schema *ls,
                        const strom_av_value *st, rd *r)
{
    int ncols = strom_schema_ncols(ls->schema);
    size_t nmn, nmx;
    const uint8_t *mn = rd_bytes(r, st, "_MIN_VALUES", &nmn);
    const uint8_t *mx = rd_bytes(r, st, "_MAX_VALUES", &nmx);
    const strom_av_value *arr = NULL;
    bool has_nulls = rd_get(r, st, "_NULL_COUNTS", STROM_AV_ARRAY, true, &arr);
    if (r->rc)
        return r->rc;
    size_t nn = has_nulls ? arr->u.list.n : 0;
    /* stats over a subset of the columns, or none, or timestamps in Paimon's compact form
     * (precision <= 3, which strom does not write): unknown */
    if (nn != (size_t)ncols || ls->compact_ts)
        return 0;
    strom_type *types = calloc((size_t)ncols, sizeof *types);
    strom_value *lo = calloc((size_t)ncols, sizeof *lo), *hi = calloc((size_t)ncols, sizeof *hi);
    f->stats.cols = calloc((size_t)ncols, sizeof *f->stats.cols);
    int rc = 0;
    if (!types || !lo || !hi || !f->stats.cols) {
        rc = strom_error_set(r->err, STROM_ENOMEM, "out of memory");
        goto out;
    }
    for (int k = 0; k < ncols; k++)
        types[k] = strom_schema_col_type(ls->schema, k);
    int alo = 0, ahi = 0;
    if ((rc = strom_binrow_decode(mn, nmn, types, ncols, lo, &alo, r->err)) != 0 ||
        (rc = strom_binrow_decode(mx, nmx, types, ncols, hi, &ahi, r->err)) != 0) {
        strom_error_prefix(r->err, "%s: value stats of %s", r->path, f->name);
        goto out;
    }
    if (alo != ncols || ahi != ncols)
        goto out; /* stats of another shape: unknown */
    f->stats.ncols = ncols;
    f->stats.rows = f->rows;
    for (int k = 0; k < ncols; k++) {
        strom_col_stats *cs = &f->stats.cols[k];
        const strom_av_value *el = &arr->u.list.v[k];
        int64_t nc = el->kind == STROM_AV_LONG || el->kind == STROM_AV_INT ? el->u.i : -1;
        bool known = nc >= 0 && types[k].id != STROM_TYPE_TIME;
        cs->null_count = known ? nc : -1;
        if (!known) /* unknown: -1, no bounds (readers must not prune on it) */
            continue;
        cs->has_min = !lo[k].is_null;
        cs->has_max = !hi[k].is_null;
        /* bounds read as inclusive: weaker than a strict (incremented) bound, so always safe */
        cs->min_exact = cs->max_exact = true;
        cs->min = lo[k];
        cs->max = hi[k];
        if (cs->has_min && (types[k].id == STROM_TYPE_STRING || types[k].id == STROM_TYPE_BYTES)) {
            uint32_t len = lo[k].u.s.len < STROM_STATS_BOUND_MAX ? lo[k].u.s.len
                                                                 : STROM_STATS_BOUND_MAX;
            memcpy(cs->min_bytes, lo[k].u.s.ptr, len);
            cs->min.u.s.len = len;
        }
        if (cs->has_max && (types[k].id == STROM_TYPE_STRING || types[k].id == STROM_TYPE_BYTES)) {
            if (hi[k].u.s.len > STROM_STATS_BOUND_MAX) {
                cs->has_max = false; /* cannot be cut without an increment: unknown */
            } else {
                memcpy(cs->max_bytes, hi[k].u.s.ptr, hi[k].u.s.len);
                cs->max.u.s.len = hi[k].u.s.len;
            }
        }
        strom_col_stats_fix(cs);
    }
out:
    if (f->stats.ncols == 0) {
        free(f->stats.cols);
        f->stats.cols = NULL;
    }
    free(types);
    free(lo);
    free(hi);
    return rc;
}

static int entry_each(void *ctx, const strom_av_value *rec, rd *r)
{
    files_ctx *x = ctx;
    int32_t ver = rd_int(r, rec, "_VERSION", false, 0);
    int32_t kind = rd_int(r, rec, "_KIND", false, 0);
    size_t plen;
    const uint8_t *part = rd_bytes(r, rec, "_PARTITION", &plen);
    int32_t bucket = rd_int(r, rec, "_BUCKET", false, 0);
    const strom_av_value *file;
    if (!rd_get(r, rec, "_FILE", STROM_AV_RECORD, false, &file))
        return r->rc;
    strom_lake_file f;
    memset(&f, 0, sizeof f);
    char name[sizeof f.name];
    name[0] = 0;
    rd_string(r, file, "_FILE_NAME", name, sizeof name);
    f.size = rd_long(r, file, "_FILE_SIZE", false, 0);
    f.rows = rd_long(r, file, "_ROW_COUNT", false, 0);
    f.min_seq = rd_long(r, file, "_MIN_SEQUENCE_NUMBER", false, 0);
    f.max_seq = rd_long(r, file, "_MAX_SEQUENCE_NUMBER", false, 0);
    f.schema_id = rd_long(r, file, "_SCHEMA_ID", false, 0);
    f.creation_ms = rd_long(r, file, "_CREATION_TIME", true, 0);
    const strom_av_value *ext;
    if (rd_get(r, file, "_EXTERNAL_PATH", STROM_AV_STRING, true, &ext))
        return strom_error_set(r->err, STROM_EUNSUPPORTED, "%s: data files outside the "
                               "warehouse (_EXTERNAL_PATH) are not read", r->path);
    if (r->rc)
        return r->rc;
    if (ver != 2)
        return strom_error_set(r->err, STROM_EUNSUPPORTED, "%s: manifest entry version %d",
                               r->path, ver);
    if (kind != 0 && kind != 1)
        return strom_error_set(r->err, STROM_ECORRUPT, "%s: entry kind %d", r->path, kind);
    if (strchr(name, '/') || strcmp(name, "..") == 0 || f.size < 0 || f.rows < 0 || bucket < 0)
        return strom_error_set(r->err, STROM_ECORRUPT, "%s: bad data file name, size, rows or "
                               "bucket", r->path);
    snprintf(f.name, sizeof f.name, "%s", name);
    f.bucket = bucket;
    strom_lake_schema *ls = schema_for(x, f.schema_id, r->err);
    if (!ls)
        return r->err ? r->err->code : STROM_ECORRUPT;
    /* the partition value */
    const char *pcol = NULL;
    int rc;
    if (ls->partition_col >= 0) {
        strom_type pt = strom_schema_col_type(ls->schema, ls->partition_col);
        int ar = 0;
        if ((rc = strom_binrow_decode(part, plen, &pt, 1, &f.partition, &ar, r->err)) != 0)
            return strom_error_prefix(r->err, "%s: partition of %s", r->path, name), rc;
        if (ar != 1)
            return strom_error_set(r->err, STROM_ECORRUPT, "%s: partition of %s has %d fields",
                                   r->path, name, ar);
        if (!f.partition.is_null && (pt.id == STROM_TYPE_STRING || pt.id == STROM_TYPE_BYTES)) {
            if (f.partition.u.s.len > sizeof f.part_bytes)
                return strom_error_set(r->err, STROM_ELIMIT, "%s: partition value too long",
                                       r->path);
            memcpy(f.part_bytes, f.partition.u.s.ptr, f.partition.u.s.len);
            f.partition.u.s.ptr = f.part_bytes;
        }
        f.has_partition = true;
        pcol = strom_schema_col_name(ls->schema, ls->partition_col);
    }
    char bdir[400];
    if ((rc = strom_lake_bucket_dir(pcol, f.has_partition ? &f.partition : NULL,
                                    ls->buckets < 0 ? 0 : bucket, bdir, sizeof bdir, r->err)) != 0)
        return rc;
    if ((size_t)snprintf(f.path, sizeof f.path, "%.380s/%.127s", bdir, name) >= sizeof f.path)
        return strom_error_set(r->err, STROM_ELIMIT, "%s: a data file path too long", r->path);
    /* a DELETE cancels the ADD of the same file */
    if (kind == 1) {
        for (int i = 0; i < x->n; i++)
            if (strcmp(x->v[i].path, f.path) == 0) {
                strom_batch_stats_free(&x->v[i].stats);
                x->v[i] = x->v[--x->n];
                return 0;
            }
        return 0;
    }
    const strom_av_value *vs;
    if (!rd_get(r, file, "_VALUE_STATS", STROM_AV_RECORD, false, &vs))
        return r->rc;
    if ((rc = decode_stats(&f, ls, vs, r)) != 0) {
        strom_batch_stats_free(&f.stats);
        return rc;
    }
    if (strom_array_grow(&x->v, x->n + 1, &x->cap, sizeof *x->v, 16) != 0) {
        strom_batch_stats_free(&f.stats);
        return strom_error_set(r->err, STROM_ENOMEM, "out of memory");
    }
    x->v[x->n++] = f;
    return 0;
}

void strom_lake_files_free(strom_lake_file *files, int n)
{
    for (int i = 0; i < n; i++) {
        strom_batch_stats_free(&files[i].stats);
        strom_batch_stats_free(&files[i].key_stats);
        free(files[i].min_key);
        free(files[i].max_key);
    }
    free(files);
}

int strom_lake_files(strom_lake *t, const strom_lake_snapshot *s, strom_lake_file **files,
                     int *n, strom_error *err)
{
    *files = NULL;
    *n = 0;
    if (s->id == 0)
        return 0;
    mlist l = { 0 };
    files_ctx x = { .t = t, .err = err };
    int rc = read_list(t, s->base_list, &l, err);
    if (rc == 0)
        rc = read_list(t, s->delta_list, &l, err);
    for (int i = 0; rc == 0 && i < l.n; i++) {
        char p[PATH_MAX + 160];
        snprintf(p, sizeof p, "%s/manifest/%s", t->dir, l.v[i].name);
        rc = read_avro(p, entry_each, &x, err);
    }
    free(l.v);
    for (int i = 0; i < x.n; i++) /* the array moved as it grew: re-point string values */
        if (x.v[i].has_partition && !x.v[i].partition.is_null &&
            (x.v[i].partition.type == STROM_TYPE_STRING || x.v[i].partition.type == STROM_TYPE_BYTES))
            x.v[i].partition.u.s.ptr = x.v[i].part_bytes;
    for (int i = 0; i < x.nschemas; i++)
        strom_lake_schema_free(&x.schemas[i]);
    free(x.schemas);
    if (rc != 0) {
        strom_lake_files_free(x.v, x.n);
        return rc;
    }
    *files = x.v;
    *n = x.n;
    return 0;
}
