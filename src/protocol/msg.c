/*
 * msg.c: encoders and decoders of strom's messages (msg.h, docs/protocol.md).
 */
#include "protocol/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/value.h"
#include "common/common.h"

const char *strom_api_name(int key)
{
    switch (key) {
#define STROM_API_NAME_(name, k, ver) \
    case k:                           \
        return #name;
        STROM_API_TABLE(STROM_API_NAME_)
#undef STROM_API_NAME_
    default:
        return NULL;
    }
}

int strom_api_max_version(int key)
{
    switch (key) {
#define STROM_API_VER_(name, k, ver) \
    case k:                          \
        return ver;
        STROM_API_TABLE(STROM_API_VER_)
#undef STROM_API_VER_
    default:
        return -1;
    }
}

int strom_msg_str_copy(strom_msg_str s, char *dst, size_t cap, const char *what,
                       strom_error *err)
{
    if (s.len >= cap)
        return strom_error_set(err, STROM_EINVAL, "%s is %u bytes long (at most %zu)", what,
                               s.len, cap - 1);
    if (s.len && memchr(s.p, 0, s.len))
        return strom_error_set(err, STROM_EINVAL, "%s contains a NUL byte", what);
    if (s.len)
        memcpy(dst, s.p, s.len);
    dst[s.len] = 0;
    return 0;
}

static strom_msg_str rd_str(strom_wire_reader *r, const char *field)
{
    strom_msg_str s;
    s.p = strom_wire_str(r, &s.len, field);
    if (!s.p)
        s.p = "";
    return s;
}

static int put_str(strom_buf *b, strom_msg_str s)
{
    return strom_wire_put_str(b, s.p, s.len);
}

static int put_cstr(strom_buf *b, const char *s)
{
    return strom_wire_put_str(b, s ? s : "", s ? strlen(s) : 0);
}

/* A count-prefixed array of `size`-byte elements, allocated zeroed; NULL when n == 0 or the
 * reader failed (then *n is 0). */
static void *rd_array(strom_wire_reader *r, size_t min_elem, size_t size, uint32_t *n,
                      const char *field, int *rc)
{
    *n = strom_wire_count(r, min_elem, field);
    if (r->failed || *n == 0) {
        *n = 0;
        return NULL;
    }
    void *p = calloc(*n, size);
    if (!p) {
        *n = 0;
        *rc = STROM_ENOMEM;
    }
    return p;
}

/* ---- names -------------------------------------------------------------------------------- */

int strom_msg_names_fields(int api_key)
{
    switch (api_key) {
    case STROM_API_CREATE_DATABASE:
    case STROM_API_DROP_DATABASE:
        return STROM_NAMES_DB | STROM_NAMES_FLAG;
    case STROM_API_LIST_TABLES:
        return STROM_NAMES_DB;
    case STROM_API_DROP_TABLE:
        return STROM_NAMES_DB | STROM_NAMES_TABLE | STROM_NAMES_FLAG;
    case STROM_API_GET_TABLE_INFO:
    case STROM_API_TIER:
        return STROM_NAMES_DB | STROM_NAMES_TABLE;
    case STROM_API_CREATE_PARTITION:
    case STROM_API_DROP_PARTITION:
        return STROM_NAMES_DB | STROM_NAMES_TABLE | STROM_NAMES_PARTITION | STROM_NAMES_FLAG;
    default:
        return 0;
    }
}

int strom_msg_names_decode(int api_key, strom_wire_reader *r, strom_msg_names *m,
                           strom_error *err)
{
    int f = strom_msg_names_fields(api_key);
    memset(m, 0, sizeof *m);
    m->database.p = m->table.p = m->partition.p = "";
    if (f & STROM_NAMES_DB)
        m->database = rd_str(r, "database");
    if (f & STROM_NAMES_TABLE)
        m->table = rd_str(r, "table");
    if (f & STROM_NAMES_PARTITION)
        m->partition = rd_str(r, "partition");
    if (f & STROM_NAMES_FLAG)
        m->flag = strom_wire_u8(r, "flag");
    return strom_wire_finish(r, err);
}

int strom_msg_names_encode(int api_key, strom_buf *b, const strom_msg_names *m)
{
    int f = strom_msg_names_fields(api_key), rc = 0;
    if (f & STROM_NAMES_DB)
        rc |= put_str(b, m->database);
    if (f & STROM_NAMES_TABLE)
        rc |= put_str(b, m->table);
    if (f & STROM_NAMES_PARTITION)
        rc |= put_str(b, m->partition);
    if (f & STROM_NAMES_FLAG)
        rc |= strom_wire_put_u8(b, m->flag);
    return rc ? STROM_ENOMEM : 0;
}

int strom_msg_strings_decode(strom_wire_reader *r, strom_msg_strings *m, strom_error *err)
{
    int rc = 0;
    m->v = rd_array(r, 2, sizeof *m->v, &m->n, "names", &rc);
    if (rc < 0)
        return strom_error_set(err, rc, "out of memory");
    for (uint32_t i = 0; i < m->n; i++)
        m->v[i] = rd_str(r, "name");
    if ((rc = strom_wire_finish(r, err)) < 0)
        strom_msg_strings_free(m);
    return rc;
}

void strom_msg_strings_free(strom_msg_strings *m)
{
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

int strom_msg_strings_put(strom_buf *b, const char *const *v, uint32_t n)
{
    int rc = strom_wire_put_u32(b, n);
    for (uint32_t i = 0; i < n; i++)
        rc |= put_cstr(b, v[i]);
    return rc ? STROM_ENOMEM : 0;
}

/* ---- schema and table ---------------------------------------------------------------------- */

int strom_msg_schema_put(strom_buf *b, const strom_schema *s)
{
    int n = strom_schema_ncols(s), rc = strom_wire_put_u32(b, strom_schema_id(s));
    rc |= strom_wire_put_u16(b, (uint16_t)n);
    for (int i = 0; i < n; i++) {
        strom_type t = strom_schema_col_type(s, i);
        rc |= put_cstr(b, strom_schema_col_name(s, i));
        rc |= strom_wire_put_u8(b, (uint8_t)t.id);
        rc |= strom_wire_put_u8(b, t.precision);
        rc |= strom_wire_put_u8(b, t.scale);
        rc |= strom_wire_put_u8(b, strom_schema_col_nullable(s, i) ? 1 : 0);
    }
    return rc ? STROM_ENOMEM : 0;
}

int strom_msg_schema_read(strom_wire_reader *r, uint32_t schema_id, strom_schema **out,
                          strom_error *err)
{
    (void)schema_id;
    *out = NULL;
    uint32_t id = strom_wire_u32(r, "schema id");
    uint16_t n = strom_wire_u16(r, "column count");
    int rc = strom_wire_check(r, err);
    if (rc < 0)
        return rc;
    if (n > STROM_MAX_COLUMNS)
        return strom_error_set(err, STROM_EPARSE, "schema has %u columns (at most %d)", n,
                               STROM_MAX_COLUMNS);
    strom_schema *s = strom_schema_new(id);
    if (!s)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    for (uint16_t i = 0; i < n; i++) {
        strom_msg_str name = rd_str(r, "column name");
        strom_type t;
        t.id = (strom_type_id)strom_wire_u8(r, "column type");
        t.precision = strom_wire_u8(r, "column precision");
        t.scale = strom_wire_u8(r, "column scale");
        uint8_t flags = strom_wire_u8(r, "column flags");
        if ((rc = strom_wire_check(r, err)) < 0)
            goto fail;
        char cname[STROM_NAME_MAX + 1];
        if ((rc = strom_msg_str_copy(name, cname, sizeof cname, "column name", err)) < 0)
            goto fail;
        if (flags > 1) {
            rc = strom_error_set(err, STROM_EPARSE, "column '%s': unknown flags 0x%02x", cname,
                                 flags);
            goto fail;
        }
        if ((rc = strom_schema_add(s, cname, t, flags & 1, err)) < 0) {
            strom_error_prefix(err, "column %u", i);
            goto fail;
        }
    }
    *out = s;
    return 0;
fail:
    strom_schema_free(s);
    return rc;
}

int strom_msg_table_put(strom_buf *b, const strom_table_desc *d)
{
    int rc = put_cstr(b, d->database);
    rc |= put_cstr(b, d->table);
    rc |= strom_wire_put_u64(b, d->table_id);
    rc |= strom_msg_schema_put(b, d->schema);
    rc |= strom_wire_put_u32(b, d->buckets);
    rc |= strom_wire_put_u16(b, (uint16_t)d->nbucket_key);
    for (int i = 0; i < d->nbucket_key; i++)
        rc |= strom_wire_put_u16(b, (uint16_t)d->bucket_key[i]);
    rc |= strom_wire_put_u16(b, (uint16_t)(d->partition_col + 1));
    rc |= strom_wire_put_u64(b, (uint64_t)d->retention_ms);
    rc |= strom_wire_put_u64(b, (uint64_t)d->retention_bytes);
    rc |= strom_wire_put_u64(b, (uint64_t)d->segment_bytes);
    rc |= strom_wire_put_u32(b, (uint32_t)d->partition_retention);
    rc |= strom_wire_put_u64(b, (uint64_t)d->created_ms);
    rc |= strom_wire_put_u32(b, (uint32_t)d->npartitions);
    for (int i = 0; i < d->npartitions; i++)
        rc |= put_cstr(b, d->partitions[i]);
    rc |= strom_wire_put_u16(b, (uint16_t)d->npk);
    for (int i = 0; i < d->npk; i++)
        rc |= strom_wire_put_u16(b, (uint16_t)d->pk[i]);
    rc |= strom_wire_put_u8(b, (uint8_t)d->merge_engine);
    rc |= strom_wire_put_u16(b, (uint16_t)(d->version_col + 1));
    rc |= strom_wire_put_u16(b, (uint16_t)d->nagg);
    for (int i = 0; i < d->nagg; i++)
        rc |= strom_wire_put_u8(b, d->agg[i]);
    rc |= strom_wire_put_u8(b, d->no_update_before ? 1 : 0);
    rc |= strom_wire_put_u8(b, d->tiering ? 1 : 0);
    rc |= strom_wire_put_u64(b, (uint64_t)d->tier_freshness_ms);
    rc |= put_cstr(b, d->lake_dir);
    rc |= put_cstr(b, d->warehouse);
    return rc ? STROM_ENOMEM : 0;
}

int strom_msg_table_read(strom_wire_reader *r, strom_table_desc *d, strom_error *err)
{
    strom_table_desc_init(d);
    strom_msg_str db = rd_str(r, "database"), tb = rd_str(r, "table");
    d->table_id = strom_wire_u64(r, "table id");
    int rc = strom_wire_check(r, err);
    if (rc < 0)
        return rc;
    if ((rc = strom_msg_str_copy(db, d->database, sizeof d->database, "database", err)) < 0 ||
        (rc = strom_msg_str_copy(tb, d->table, sizeof d->table, "table", err)) < 0)
        return rc;
    if ((rc = strom_msg_schema_read(r, 0, &d->schema, err)) < 0)
        return rc;
    d->buckets = strom_wire_u32(r, "buckets");
    uint32_t nk = strom_wire_u16(r, "bucket key count");
    if (strom_wire_check(r, err) == 0 && nk) {
        if (nk > (r->n - r->pos) / 2)
            r->failed = "bucket key";
        else if (!(d->bucket_key = malloc(sizeof(int) * nk)))
            rc = STROM_ENOMEM;
        else
            d->nbucket_key = (int)nk;
    }
    for (int i = 0; i < d->nbucket_key; i++)
        d->bucket_key[i] = strom_wire_u16(r, "bucket key column");
    d->partition_col = (int)strom_wire_u16(r, "partition column") - 1;
    d->retention_ms = strom_wire_i64(r, "retention ms");
    d->retention_bytes = strom_wire_i64(r, "retention bytes");
    d->segment_bytes = strom_wire_i64(r, "segment bytes");
    d->partition_retention = (int32_t)strom_wire_u32(r, "partition retention");
    d->created_ms = strom_wire_i64(r, "created");
    uint32_t np = 0;
    if (rc == 0)
        d->partitions = rd_array(r, 2, sizeof(char *), &np, "partitions", &rc);
    for (uint32_t i = 0; i < np && rc == 0; i++) {
        strom_msg_str p = rd_str(r, "partition");
        if (r->failed)
            break;
        if (!(d->partitions[i] = malloc((size_t)p.len + 1))) {
            rc = STROM_ENOMEM;
            break;
        }
        d->npartitions = (int)i + 1;
        rc = strom_msg_str_copy(p, d->partitions[i], (size_t)p.len + 1, "partition", err);
    }
    uint32_t npk = strom_wire_u16(r, "primary key count");
    if (rc == 0 && strom_wire_check(r, NULL) == 0 && npk) {
        if (npk > STROM_PK_MAX)
            r->failed = "primary key count";
        else if (!(d->pk = malloc(sizeof(int) * npk)))
            rc = STROM_ENOMEM;
        else
            d->npk = (int)npk;
    }
    for (int i = 0; i < d->npk; i++)
        d->pk[i] = strom_wire_u16(r, "primary key column");
    d->merge_engine = (strom_merge_engine)strom_wire_u8(r, "merge engine");
    d->version_col = (int)strom_wire_u16(r, "version column") - 1;
    uint32_t nagg = strom_wire_u16(r, "aggregate count");
    if (rc == 0 && strom_wire_check(r, NULL) == 0 && nagg) {
        if (nagg > r->n - r->pos)
            r->failed = "aggregate functions";
        else if (!(d->agg = malloc(nagg)))
            rc = STROM_ENOMEM;
        else
            d->nagg = (int)nagg;
    }
    for (int i = 0; i < d->nagg; i++)
        d->agg[i] = strom_wire_u8(r, "aggregate function");
    d->no_update_before = strom_wire_u8(r, "changelog flags") & 1;
    uint8_t tier = strom_wire_u8(r, "tiering flags");
    d->tiering = tier & 1;
    d->tier_freshness_ms = strom_wire_i64(r, "tier freshness");
    strom_msg_str ld = rd_str(r, "lake directory");
    strom_msg_str wh = rd_str(r, "warehouse");
    if (rc == 0 && !r->failed && (tier > 1 || d->tier_freshness_ms < 0))
        r->failed = "tiering options";
    if (rc == 0 && !r->failed)
        rc = strom_msg_str_copy(ld, d->lake_dir, sizeof d->lake_dir, "lake directory", err);
    if (rc == 0 && !r->failed)
        rc = strom_msg_str_copy(wh, d->warehouse, sizeof d->warehouse, "warehouse", err);
    if (rc == STROM_ENOMEM)
        strom_error_set(err, rc, "out of memory");
    if (rc == 0)
        rc = strom_wire_check(r, err);
    if (rc == 0)
        rc = strom_table_desc_check(d, err);
    if (rc < 0)
        strom_table_desc_free(d);
    return rc;
}

/* ---- AlterTable ------------------------------------------------------------------------- */

int strom_msg_alter_decode(strom_wire_reader *r, strom_msg_alter *m, strom_error *err)
{
    memset(m, 0, sizeof *m);
    m->database = rd_str(r, "database");
    m->table = rd_str(r, "table");
    m->op = strom_wire_u8(r, "operation");
    m->column = rd_str(r, "column name");
    m->type.id = (strom_type_id)strom_wire_u8(r, "column type");
    m->type.precision = strom_wire_u8(r, "column precision");
    m->type.scale = strom_wire_u8(r, "column scale");
    uint8_t flags = strom_wire_u8(r, "column flags");
    if (m->op == STROM_ALTER_SET_TIERING) {
        m->tiering = flags & 1;
        m->tier_freshness_ms = strom_wire_i64(r, "tier freshness");
        int rc = strom_wire_finish(r, err);
        if (rc < 0)
            return rc;
        if (flags > 1 || m->tier_freshness_ms < 0)
            return strom_error_set(err, STROM_EPARSE, "bad tiering options");
        return 0;
    }
    int rc = strom_wire_finish(r, err);
    if (rc < 0)
        return rc;
    if (m->op != STROM_ALTER_ADD_COLUMN)
        return strom_error_set(err, STROM_EPARSE, "unknown alter operation %u", m->op);
    if (flags > 1)
        return strom_error_set(err, STROM_EPARSE, "unknown column flags 0x%02x", flags);
    m->nullable = flags & 1;
    return 0;
}

int strom_msg_alter_encode(strom_buf *b, const strom_msg_alter *m)
{
    int rc = put_str(b, m->database);
    rc |= put_str(b, m->table);
    rc |= strom_wire_put_u8(b, m->op);
    rc |= put_str(b, m->column);
    rc |= strom_wire_put_u8(b, (uint8_t)m->type.id);
    rc |= strom_wire_put_u8(b, m->type.precision);
    rc |= strom_wire_put_u8(b, m->type.scale);
    if (m->op == STROM_ALTER_SET_TIERING) {
        rc |= strom_wire_put_u8(b, m->tiering ? 1 : 0);
        rc |= strom_wire_put_u64(b, (uint64_t)m->tier_freshness_ms);
    } else {
        rc |= strom_wire_put_u8(b, m->nullable ? 1 : 0);
    }
    return rc ? STROM_ENOMEM : 0;
}

/* ---- Produce ------------------------------------------------------------------------------ */

int strom_msg_produce_decode(strom_wire_reader *r, strom_msg_produce *m, strom_error *err)
{
    int rc = 0;
    memset(m, 0, sizeof *m);
    m->table_id = strom_wire_u64(r, "table id");
    m->acks = strom_wire_u8(r, "acks");
    m->timeout_ms = strom_wire_u32(r, "timeout");
    m->e = rd_array(r, 10, sizeof *m->e, &m->n, "entries", &rc);
    if (rc < 0)
        return strom_error_set(err, rc, "out of memory");
    for (uint32_t i = 0; i < m->n; i++) {
        m->e[i].partition = rd_str(r, "entry partition");
        m->e[i].bucket = strom_wire_u32(r, "entry bucket");
        m->e[i].size = strom_wire_u32(r, "entry size");
    }
    for (uint32_t i = 0; i < m->n; i++)
        m->e[i].records = strom_wire_bytes(r, m->e[i].size, "entry records");
    if ((rc = strom_wire_finish(r, err)) == 0 && m->acks > STROM_ACKS_DURABLE)
        rc = strom_error_set(err, STROM_EPARSE, "acks %u is not 0 (none) or 1 (durable)",
                             m->acks);
    if (rc < 0)
        strom_msg_produce_free(m);
    return rc;
}

int strom_msg_produce_encode(strom_buf *b, const strom_msg_produce *m)
{
    int rc = strom_wire_put_u64(b, m->table_id);
    rc |= strom_wire_put_u8(b, m->acks);
    rc |= strom_wire_put_u32(b, m->timeout_ms);
    rc |= strom_wire_put_u32(b, m->n);
    for (uint32_t i = 0; i < m->n; i++) {
        rc |= put_str(b, m->e[i].partition);
        rc |= strom_wire_put_u32(b, m->e[i].bucket);
        rc |= strom_wire_put_u32(b, m->e[i].size);
    }
    return rc ? STROM_ENOMEM : 0;
}

void strom_msg_produce_free(strom_msg_produce *m)
{
    free(m->e);
    m->e = NULL;
    m->n = 0;
}

int strom_msg_results_decode(strom_wire_reader *r, strom_msg_results *m, strom_error *err)
{
    int rc = 0;
    m->v = rd_array(r, 18, sizeof *m->v, &m->n, "results", &rc);
    if (rc < 0)
        return strom_error_set(err, rc, "out of memory");
    for (uint32_t i = 0; i < m->n; i++) {
        m->v[i].partition = rd_str(r, "result partition");
        m->v[i].bucket = strom_wire_u32(r, "result bucket");
        m->v[i].error = (int16_t)strom_wire_u16(r, "result error");
        m->v[i].message = rd_str(r, "result message");
        m->v[i].offset = strom_wire_i64(r, "result offset");
    }
    if ((rc = strom_wire_finish(r, err)) < 0)
        strom_msg_results_free(m);
    return rc;
}

int strom_msg_result_put(strom_buf *b, const char *partition, size_t plen, uint32_t bucket,
                         int error, const char *message, int64_t offset)
{
    int rc = strom_wire_put_str(b, partition, plen);
    rc |= strom_wire_put_u32(b, bucket);
    rc |= strom_wire_put_u16(b, (uint16_t)(int16_t)error);
    rc |= put_cstr(b, error ? message : "");
    rc |= strom_wire_put_u64(b, (uint64_t)offset);
    return rc ? STROM_ENOMEM : 0;
}

void strom_msg_results_free(strom_msg_results *m)
{
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

/* ---- PutKv, Lookup, KvScan ----------------------------------------------------------------- */

/* u32 count + strings */
static strom_msg_str *rd_names(strom_wire_reader *r, uint32_t *n, const char *what, int *rc)
{
    strom_msg_str *v = rd_array(r, 2, sizeof *v, n, what, rc);
    for (uint32_t i = 0; v && i < *n; i++)
        v[i] = rd_str(r, what);
    return v;
}

static int put_names(strom_buf *b, const strom_msg_str *v, uint32_t n)
{
    int rc = strom_wire_put_u32(b, n);
    for (uint32_t i = 0; i < n; i++)
        rc |= put_str(b, v[i]);
    return rc;
}

/* Entries (partition, bucket, size) then, after every field, their records. */
static strom_msg_produce_entry *rd_entries(strom_wire_reader *r, uint32_t *n, int *rc)
{
    strom_msg_produce_entry *e = *rc == 0 ? rd_array(r, 10, sizeof *e, n, "entries", rc) : NULL;
    for (uint32_t i = 0; e && i < *n; i++) {
        e[i].partition = rd_str(r, "entry partition");
        e[i].bucket = strom_wire_u32(r, "entry bucket");
        e[i].size = strom_wire_u32(r, "entry size");
    }
    return e;
}

static void rd_entry_records(strom_wire_reader *r, strom_msg_produce_entry *e, uint32_t n)
{
    for (uint32_t i = 0; e && i < n; i++)
        e[i].records = strom_wire_bytes(r, e[i].size, "entry records");
}

static int put_entries(strom_buf *b, const strom_msg_produce_entry *e, uint32_t n)
{
    int rc = strom_wire_put_u32(b, n);
    for (uint32_t i = 0; i < n; i++) {
        rc |= put_str(b, e[i].partition);
        rc |= strom_wire_put_u32(b, e[i].bucket);
        rc |= strom_wire_put_u32(b, e[i].size);
    }
    return rc;
}

int strom_msg_put_kv_decode(strom_wire_reader *r, strom_msg_put_kv *m, strom_error *err)
{
    int rc = 0;
    memset(m, 0, sizeof *m);
    m->table_id = strom_wire_u64(r, "table id");
    m->timeout_ms = strom_wire_u32(r, "timeout");
    m->columns = rd_names(r, &m->ncolumns, "columns", &rc);
    m->e = rd_entries(r, &m->n, &rc);
    rd_entry_records(r, m->e, m->n);
    if (rc < 0)
        strom_error_set(err, rc, "out of memory");
    else
        rc = strom_wire_finish(r, err);
    if (rc < 0)
        strom_msg_put_kv_free(m);
    return rc;
}

int strom_msg_put_kv_encode(strom_buf *b, const strom_msg_put_kv *m)
{
    int rc = strom_wire_put_u64(b, m->table_id);
    rc |= strom_wire_put_u32(b, m->timeout_ms);
    rc |= put_names(b, m->columns, m->ncolumns);
    rc |= put_entries(b, m->e, m->n);
    return rc ? STROM_ENOMEM : 0;
}

void strom_msg_put_kv_free(strom_msg_put_kv *m)
{
    free(m->columns);
    free(m->e);
    memset(m, 0, sizeof *m);
}

int strom_msg_lookup_decode(strom_wire_reader *r, strom_msg_lookup *m, strom_error *err)
{
    int rc = 0;
    memset(m, 0, sizeof *m);
    m->table_id = strom_wire_u64(r, "table id");
    m->prefix = strom_wire_u8(r, "prefix");
    m->limit = strom_wire_u32(r, "limit");
    m->columns = rd_names(r, &m->ncolumns, "columns", &rc);
    m->e = rd_entries(r, &m->n, &rc);
    rd_entry_records(r, m->e, m->n);
    if (rc < 0)
        strom_error_set(err, rc, "out of memory");
    else if ((rc = strom_wire_finish(r, err)) == 0 && m->prefix > 1)
        rc = strom_error_set(err, STROM_EPARSE, "prefix flag %u is not 0 or 1", m->prefix);
    if (rc < 0)
        strom_msg_lookup_free(m);
    return rc;
}

int strom_msg_lookup_encode(strom_buf *b, const strom_msg_lookup *m)
{
    int rc = strom_wire_put_u64(b, m->table_id);
    rc |= strom_wire_put_u8(b, m->prefix);
    rc |= strom_wire_put_u32(b, m->limit);
    rc |= put_names(b, m->columns, m->ncolumns);
    rc |= put_entries(b, m->e, m->n);
    return rc ? STROM_ENOMEM : 0;
}

void strom_msg_lookup_free(strom_msg_lookup *m)
{
    free(m->columns);
    free(m->e);
    memset(m, 0, sizeof *m);
}

int strom_msg_lookup_resp_head_put(strom_buf *b, uint32_t schema_id, uint32_t n)
{
    return strom_wire_put_u32(b, schema_id) | strom_wire_put_u32(b, n) ? STROM_ENOMEM : 0;
}

int strom_msg_looked_put(strom_buf *b, const strom_msg_looked *l)
{
    int rc = put_str(b, l->partition);
    rc |= strom_wire_put_u32(b, l->bucket);
    rc |= strom_wire_put_u16(b, (uint16_t)l->error);
    rc |= put_str(b, l->message);
    rc |= strom_wire_put_u32(b, l->nkeys);
    for (uint32_t i = 0; i < l->nkeys; i++)
        rc |= strom_wire_put_u32(b, l->counts[i]);
    rc |= strom_wire_put_u32(b, l->size);
    return rc ? STROM_ENOMEM : 0;
}

int strom_msg_lookup_resp_decode(strom_wire_reader *r, strom_msg_lookup_resp *m,
                                 strom_error *err)
{
    int rc = 0;
    memset(m, 0, sizeof *m);
    m->schema_id = strom_wire_u32(r, "schema id");
    m->v = rd_array(r, 18, sizeof *m->v, &m->n, "buckets", &rc);
    for (uint32_t i = 0; m->v && i < m->n && rc == 0; i++) {
        strom_msg_looked *l = &m->v[i];
        l->partition = rd_str(r, "partition");
        l->bucket = strom_wire_u32(r, "bucket");
        l->error = (int16_t)strom_wire_u16(r, "error");
        l->message = rd_str(r, "message");
        l->counts = rd_array(r, 4, sizeof *l->counts, &l->nkeys, "key counts", &rc);
        for (uint32_t k = 0; l->counts && k < l->nkeys; k++)
            l->counts[k] = strom_wire_u32(r, "key count");
        l->size = strom_wire_u32(r, "size");
    }
    for (uint32_t i = 0; m->v && i < m->n && rc == 0; i++)
        m->v[i].records = strom_wire_bytes(r, m->v[i].size, "records");
    if (rc < 0)
        strom_error_set(err, rc, "out of memory");
    else
        rc = strom_wire_finish(r, err);
    if (rc < 0)
        strom_msg_lookup_resp_free(m);
    return rc;
}

void strom_msg_lookup_resp_free(strom_msg_lookup_resp *m)
{
    for (uint32_t i = 0; m->v && i < m->n; i++)
        free(m->v[i].counts);
    free(m->v);
    memset(m, 0, sizeof *m);
}

int strom_msg_kv_scan_decode(strom_wire_reader *r, strom_msg_kv_scan *m, strom_error *err)
{
    int rc = 0;
    memset(m, 0, sizeof *m);
    m->table_id = strom_wire_u64(r, "table id");
    m->partition = rd_str(r, "partition");
    m->bucket = strom_wire_u32(r, "bucket");
    m->scan_id = strom_wire_u64(r, "scan id");
    m->max_bytes = strom_wire_u32(r, "max bytes");
    m->columns = rd_names(r, &m->ncolumns, "columns", &rc);
    m->predicate = rd_str(r, "predicate");
    if (rc < 0)
        strom_error_set(err, rc, "out of memory");
    else
        rc = strom_wire_finish(r, err);
    if (rc < 0)
        strom_msg_kv_scan_free(m);
    return rc;
}

int strom_msg_kv_scan_encode(strom_buf *b, const strom_msg_kv_scan *m)
{
    int rc = strom_wire_put_u64(b, m->table_id);
    rc |= put_str(b, m->partition);
    rc |= strom_wire_put_u32(b, m->bucket);
    rc |= strom_wire_put_u64(b, m->scan_id);
    rc |= strom_wire_put_u32(b, m->max_bytes);
    rc |= put_names(b, m->columns, m->ncolumns);
    rc |= put_str(b, m->predicate);
    return rc ? STROM_ENOMEM : 0;
}

void strom_msg_kv_scan_free(strom_msg_kv_scan *m)
{
    free(m->columns);
    memset(m, 0, sizeof *m);
}

int strom_msg_kv_scanned_decode(strom_wire_reader *r, strom_msg_kv_scanned *m,
                                strom_error *err)
{
    memset(m, 0, sizeof *m);
    m->schema_id = strom_wire_u32(r, "schema id");
    m->scan_id = strom_wire_u64(r, "scan id");
    m->offset = strom_wire_i64(r, "offset");
    m->size = strom_wire_u32(r, "size");
    m->records = strom_wire_bytes(r, m->size, "records");
    return strom_wire_finish(r, err);
}

int strom_msg_kv_scanned_put(strom_buf *b, const strom_msg_kv_scanned *m)
{
    int rc = strom_wire_put_u32(b, m->schema_id);
    rc |= strom_wire_put_u64(b, m->scan_id);
    rc |= strom_wire_put_u64(b, (uint64_t)m->offset);
    rc |= strom_wire_put_u32(b, m->size);
    return rc ? STROM_ENOMEM : 0;
}

/* ---- Fetch -------------------------------------------------------------------------------- */

int strom_msg_fetch_decode(strom_wire_reader *r, strom_msg_fetch *m, strom_error *err)
{
    int rc = 0;
    memset(m, 0, sizeof *m);
    m->table_id = strom_wire_u64(r, "table id");
    m->max_wait_ms = strom_wire_u32(r, "max wait");
    m->min_bytes = strom_wire_u32(r, "min bytes");
    m->max_bytes = strom_wire_u32(r, "max bytes");
    m->columns = rd_array(r, 2, sizeof *m->columns, &m->ncolumns, "columns", &rc);
    for (uint32_t i = 0; i < m->ncolumns; i++)
        m->columns[i] = rd_str(r, "column");
    m->predicate = rd_str(r, "predicate");
    if (rc == 0)
        m->b = rd_array(r, 18, sizeof *m->b, &m->n, "buckets", &rc);
    if (rc < 0) {
        strom_msg_fetch_free(m);
        return strom_error_set(err, rc, "out of memory");
    }
    for (uint32_t i = 0; i < m->n; i++) {
        m->b[i].partition = rd_str(r, "bucket partition");
        m->b[i].bucket = strom_wire_u32(r, "bucket");
        m->b[i].offset = strom_wire_i64(r, "bucket offset");
        m->b[i].max_bytes = strom_wire_u32(r, "bucket max bytes");
    }
    if ((rc = strom_wire_finish(r, err)) < 0)
        strom_msg_fetch_free(m);
    return rc;
}

int strom_msg_fetch_encode(strom_buf *b, const strom_msg_fetch *m)
{
    int rc = strom_wire_put_u64(b, m->table_id);
    rc |= strom_wire_put_u32(b, m->max_wait_ms);
    rc |= strom_wire_put_u32(b, m->min_bytes);
    rc |= strom_wire_put_u32(b, m->max_bytes);
    rc |= strom_wire_put_u32(b, m->ncolumns);
    for (uint32_t i = 0; i < m->ncolumns; i++)
        rc |= put_str(b, m->columns[i]);
    rc |= put_str(b, m->predicate);
    rc |= strom_wire_put_u32(b, m->n);
    for (uint32_t i = 0; i < m->n; i++) {
        rc |= put_str(b, m->b[i].partition);
        rc |= strom_wire_put_u32(b, m->b[i].bucket);
        rc |= strom_wire_put_u64(b, (uint64_t)m->b[i].offset);
        rc |= strom_wire_put_u32(b, m->b[i].max_bytes);
    }
    return rc ? STROM_ENOMEM : 0;
}

void strom_msg_fetch_free(strom_msg_fetch *m)
{
    free(m->columns);
    free(m->b);
    m->columns = NULL;
    m->b = NULL;
    m->n = m->ncolumns = 0;
}

int strom_msg_fetch_resp_decode(strom_wire_reader *r, int version, strom_msg_fetch_resp *m,
                                strom_error *err)
{
    int rc = 0;
    memset(m, 0, sizeof *m);
    m->schema_id = strom_wire_u32(r, "schema id");
    m->v = rd_array(r, 46, sizeof *m->v, &m->n, "buckets", &rc);
    if (rc < 0)
        return strom_error_set(err, rc, "out of memory");
    for (uint32_t i = 0; i < m->n; i++) {
        strom_msg_fetched *f = &m->v[i];
        f->partition = rd_str(r, "bucket partition");
        f->bucket = strom_wire_u32(r, "bucket");
        f->error = (int16_t)strom_wire_u16(r, "bucket error");
        f->message = rd_str(r, "bucket message");
        f->high_watermark = strom_wire_i64(r, "high watermark");
        f->start_offset = strom_wire_i64(r, "start offset");
        f->next_offset = strom_wire_i64(r, "next offset");
        f->bytes_stored = strom_wire_u64(r, "bytes stored");
        f->size = strom_wire_u32(r, "records size");
    }
    if (version >= 1) { /* the frame's size prefix is 4 bytes before the reader's start */
        size_t pad = (8 - (4 + r->pos) % 8) % 8;
        const uint8_t *z = strom_wire_bytes(r, pad, "padding");
        for (size_t i = 0; z && i < pad; i++)
            if (z[i] != 0) {
                strom_msg_fetch_resp_free(m);
                return strom_error_set(err, STROM_EPARSE, "Fetch response: padding byte %zu "
                                       "is not zero", i);
            }
    }
    for (uint32_t i = 0; i < m->n; i++)
        m->v[i].records = strom_wire_bytes(r, m->v[i].size, "records");
    if ((rc = strom_wire_finish(r, err)) < 0)
        strom_msg_fetch_resp_free(m);
    return rc;
}

int strom_msg_fetch_resp_head_put(strom_buf *b, uint32_t schema_id, uint32_t n)
{
    int rc = strom_wire_put_u32(b, schema_id);
    rc |= strom_wire_put_u32(b, n);
    return rc ? STROM_ENOMEM : 0;
}

int strom_msg_fetched_put(strom_buf *b, const strom_msg_fetched *f)
{
    int rc = put_str(b, f->partition);
    rc |= strom_wire_put_u32(b, f->bucket);
    rc |= strom_wire_put_u16(b, (uint16_t)f->error);
    rc |= put_str(b, f->message);
    rc |= strom_wire_put_u64(b, (uint64_t)f->high_watermark);
    rc |= strom_wire_put_u64(b, (uint64_t)f->start_offset);
    rc |= strom_wire_put_u64(b, (uint64_t)f->next_offset);
    rc |= strom_wire_put_u64(b, f->bytes_stored);
    rc |= strom_wire_put_u32(b, f->size);
    return rc ? STROM_ENOMEM : 0;
}

int strom_msg_fetch_resp_pad(strom_buf *b)
{
    size_t pad = (8 - b->len % 8) % 8;
    return pad && strom_buf_zeros(b, pad) != 0 ? STROM_ENOMEM : 0;
}

void strom_msg_fetch_resp_free(strom_msg_fetch_resp *m)
{
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

/* ---- ListOffsets ---------------------------------------------------------------------------- */

int strom_msg_offsets_decode(strom_wire_reader *r, strom_msg_offsets *m, strom_error *err)
{
    int rc = 0;
    memset(m, 0, sizeof *m);
    m->table_id = strom_wire_u64(r, "table id");
    m->e = rd_array(r, 14, sizeof *m->e, &m->n, "entries", &rc);
    if (rc < 0)
        return strom_error_set(err, rc, "out of memory");
    for (uint32_t i = 0; i < m->n; i++) {
        m->e[i].partition = rd_str(r, "entry partition");
        m->e[i].bucket = strom_wire_u32(r, "entry bucket");
        m->e[i].spec = strom_wire_i64(r, "entry offset spec");
    }
    if ((rc = strom_wire_finish(r, err)) < 0)
        strom_msg_offsets_free(m);
    return rc;
}

int strom_msg_offsets_encode(strom_buf *b, const strom_msg_offsets *m)
{
    int rc = strom_wire_put_u64(b, m->table_id);
    rc |= strom_wire_put_u32(b, m->n);
    for (uint32_t i = 0; i < m->n; i++) {
        rc |= put_str(b, m->e[i].partition);
        rc |= strom_wire_put_u32(b, m->e[i].bucket);
        rc |= strom_wire_put_u64(b, (uint64_t)m->e[i].spec);
    }
    return rc ? STROM_ENOMEM : 0;
}

void strom_msg_offsets_free(strom_msg_offsets *m)
{
    free(m->e);
    m->e = NULL;
    m->n = 0;
}

/* ---- ApiVersions ------------------------------------------------------------------------- */

int strom_msg_versions_put(strom_buf *b, const char *server)
{
    int rc = put_cstr(b, server);
    rc |= strom_wire_put_u32(b, STROM_API_COUNT);
    for (int k = 0; k < STROM_API_COUNT; k++) {
        rc |= strom_wire_put_u16(b, (uint16_t)k);
        rc |= strom_wire_put_u16(b, 0);
        rc |= strom_wire_put_u16(b, (uint16_t)strom_api_max_version(k));
    }
    return rc ? STROM_ENOMEM : 0;
}

int strom_msg_versions_decode(strom_wire_reader *r, strom_msg_versions *m, strom_error *err)
{
    int rc = 0;
    memset(m, 0, sizeof *m);
    m->server = rd_str(r, "server");
    m->v = rd_array(r, 6, sizeof *m->v, &m->n, "apis", &rc);
    if (rc < 0)
        return strom_error_set(err, rc, "out of memory");
    for (uint32_t i = 0; i < m->n; i++) {
        m->v[i].key = strom_wire_u16(r, "api key");
        m->v[i].min = strom_wire_u16(r, "api min version");
        m->v[i].max = strom_wire_u16(r, "api max version");
    }
    if ((rc = strom_wire_finish(r, err)) < 0)
        strom_msg_versions_free(m);
    return rc;
}

void strom_msg_versions_free(strom_msg_versions *m)
{
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

/* ---- whole frames (fuzzing, tests) ----------------------------------------------------------- */

int strom_msg_decode_request(const uint8_t *frame, size_t n, strom_error *err)
{
    size_t flen;
    int rc = strom_frame_peek(frame, n, STROM_FRAME_MAX, &flen, err);
    if (rc != 0)
        return rc < 0 ? rc : strom_error_set(err, STROM_EPARSE, "incomplete frame");
    strom_wire_reader r;
    strom_wire_reader_init(&r, frame + 4, flen - 4);
    strom_request_header h;
    if ((rc = strom_request_header_read(&r, &h)) < 0)
        return strom_wire_check(&r, err);
    switch (h.api_key) {
    case STROM_API_API_VERSIONS:
    case STROM_API_LIST_DATABASES:
    case STROM_API_INIT_WRITER:
        return strom_wire_finish(&r, err);
    case STROM_API_CREATE_TABLE: {
        uint8_t flag = strom_wire_u8(&r, "if not exists");
        (void)flag;
        strom_table_desc d;
        if ((rc = strom_wire_check(&r, err)) < 0 || (rc = strom_msg_table_read(&r, &d, err)) < 0)
            return rc;
        strom_table_desc_free(&d);
        return strom_wire_finish(&r, err);
    }
    case STROM_API_ALTER_TABLE: {
        strom_msg_alter m;
        return strom_msg_alter_decode(&r, &m, err);
    }
    case STROM_API_PRODUCE: {
        strom_msg_produce m;
        if ((rc = strom_msg_produce_decode(&r, &m, err)) == 0)
            strom_msg_produce_free(&m);
        return rc;
    }
    case STROM_API_FETCH: {
        strom_msg_fetch m;
        if ((rc = strom_msg_fetch_decode(&r, &m, err)) == 0)
            strom_msg_fetch_free(&m);
        return rc;
    }
    case STROM_API_LIST_OFFSETS: {
        strom_msg_offsets m;
        if ((rc = strom_msg_offsets_decode(&r, &m, err)) == 0)
            strom_msg_offsets_free(&m);
        return rc;
    }
    case STROM_API_PUT_KV: {
        strom_msg_put_kv m;
        if ((rc = strom_msg_put_kv_decode(&r, &m, err)) == 0)
            strom_msg_put_kv_free(&m);
        return rc;
    }
    case STROM_API_LOOKUP: {
        strom_msg_lookup m;
        if ((rc = strom_msg_lookup_decode(&r, &m, err)) == 0)
            strom_msg_lookup_free(&m);
        return rc;
    }
    case STROM_API_KV_SCAN: {
        strom_msg_kv_scan m;
        if ((rc = strom_msg_kv_scan_decode(&r, &m, err)) == 0)
            strom_msg_kv_scan_free(&m);
        return rc;
    }
    default:
        if (strom_msg_names_fields(h.api_key)) {
            strom_msg_names m;
            return strom_msg_names_decode(h.api_key, &r, &m, err);
        }
        return strom_error_set(err, STROM_EUNSUPPORTED, "unknown api key %u", h.api_key);
    }
}

int strom_msg_decode_response(int api_key, const uint8_t *frame, size_t n, strom_error *err)
{
    size_t flen;
    int rc = strom_frame_peek(frame, n, STROM_FRAME_MAX, &flen, err);
    if (rc != 0)
        return rc < 0 ? rc : strom_error_set(err, STROM_EPARSE, "incomplete frame");
    strom_wire_reader r;
    strom_wire_reader_init(&r, frame + 4, flen - 4);
    strom_response_header h;
    if ((rc = strom_response_header_read(&r, &h)) < 0)
        return strom_wire_check(&r, err);
    if (h.error_code) {
        strom_msg_str m = rd_str(&r, "error message");
        (void)m;
        return strom_wire_finish(&r, err);
    }
    switch (api_key) {
    case STROM_API_API_VERSIONS: {
        strom_msg_versions m;
        if ((rc = strom_msg_versions_decode(&r, &m, err)) == 0)
            strom_msg_versions_free(&m);
        return rc;
    }
    case STROM_API_LIST_DATABASES:
    case STROM_API_LIST_TABLES: {
        strom_msg_strings m;
        if ((rc = strom_msg_strings_decode(&r, &m, err)) == 0)
            strom_msg_strings_free(&m);
        return rc;
    }
    case STROM_API_GET_TABLE_INFO: {
        strom_table_desc d;
        if ((rc = strom_msg_table_read(&r, &d, err)) < 0)
            return rc;
        strom_table_desc_free(&d);
        return strom_wire_finish(&r, err);
    }
    case STROM_API_LOOKUP: {
        strom_msg_lookup_resp m;
        if ((rc = strom_msg_lookup_resp_decode(&r, &m, err)) == 0)
            strom_msg_lookup_resp_free(&m);
        return rc;
    }
    case STROM_API_KV_SCAN: {
        strom_msg_kv_scanned m;
        return strom_msg_kv_scanned_decode(&r, &m, err);
    }
    case STROM_API_PRODUCE:
    case STROM_API_PUT_KV:
    case STROM_API_LIST_OFFSETS: {
        strom_msg_results m;
        if ((rc = strom_msg_results_decode(&r, &m, err)) == 0)
            strom_msg_results_free(&m);
        return rc;
    }
    case STROM_API_FETCH: {
        strom_msg_fetch_resp m;
        if ((rc = strom_msg_fetch_resp_decode(&r, strom_api_max_version(STROM_API_FETCH), &m,
                                              err)) == 0)
            strom_msg_fetch_resp_free(&m);
        return rc;
    }
    case STROM_API_CREATE_TABLE:
    case STROM_API_INIT_WRITER:
    case STROM_API_ALTER_TABLE:
        strom_wire_u64(&r, "id");
        return strom_wire_finish(&r, err);
    default:
        return strom_wire_finish(&r, err);
    }
}

/* ---- partition values ------------------------------------------------------------------------- */

int strom_partition_text(const strom_value *v, char *buf, size_t cap, strom_error *err)
{
    int n;
    if (v->is_null)
        return strom_error_set(err, STROM_EINVAL, "the partition column is null");
    switch (v->type) {
    case STROM_TYPE_INT:
    case STROM_TYPE_BIGINT:
        n = snprintf(buf, cap, "%lld", (long long)v->u.i);
        break;
    case STROM_TYPE_DATE: {
        int64_t y;
        int m, d;
        strom_civil_from_days(v->u.i, &y, &m, &d);
        n = snprintf(buf, cap, "%04lld-%02d-%02d", (long long)y, m, d);
        break;
    }
    case STROM_TYPE_STRING:
        n = snprintf(buf, cap, "%.*s", (int)v->u.s.len, (const char *)v->u.s.ptr);
        break;
    default:
        return strom_error_set(err, STROM_ETYPE, "a %s column cannot partition a table",
                               strom_type_name(v->type));
    }
    if (n < 0 || (size_t)n >= cap)
        return strom_error_set(err, STROM_EINVAL, "partition value is too long");
    return strom_partition_check(buf, (size_t)n, err);
}
