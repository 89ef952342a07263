/*
 * avro_read.c: the hardened Avro container reader (avro_read.h).
 *
 *   file   = "Obj" 0x01, metadata map<bytes> (avro.schema, avro.codec), 16-byte sync,
 *            blocks of (long count, long size, data, sync)
 *   values = zigzag varints (int, long, lengths, counts, union branches, enum symbols),
 *            IEEE little-endian floats, length-prefixed bytes and strings, records as their
 *            fields in order, arrays and maps as blocks of items ending with a zero count
 *            (a negative count is followed by the block's byte size).
 */
#include "lake/avro_read.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define AV_MAX_DEPTH 32
#define AV_MAX_VALUES (1u << 22)     /* values in one record */
#define AV_MAX_BLOCK (64u << 20)     /* bytes of one block, inflated */
#define AV_MAX_TYPES 4096            /* schema nodes */

struct strom_av_schema {
    strom_av_kind kind;
    char *name;                      /* named types: the full name */
    int n;                           /* RECORD fields, UNION branches, ENUM symbols */
    strom_av_schema **kids;          /* RECORD field types, UNION branches; ARRAY items and MAP
                                        values are kids[0] */
    char **fnames;                   /* RECORD field names */
    int64_t size;                    /* FIXED */
};

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    strom_av_value v[];
} chunk;

struct strom_av_file {
    const uint8_t *p;
    size_t n, at;                    /* the next block */
    char what[256];
    strom_av_schema **types;         /* every schema node, for freeing */
    int ntypes;
    strom_av_schema *root;
    bool deflate;
    uint8_t sync[16];
    /* the current block */
    const uint8_t *blk;
    size_t blen, bpos;
    int64_t left;                    /* records left in it */
    uint8_t *inflated;
    /* the current record's values */
    chunk *chunks, *cur;
    size_t nvalues;
    strom_av_value rec;
};

static int bad(const strom_av_file *f, strom_error *err, const char *why)
{
    return strom_error_set(err, STROM_ECORRUPT, "%s: %s", f->what, why);
}

/* ---- schema ----------------------------------------------------------------------------- */

static strom_av_schema *new_type(strom_av_file *f, strom_av_kind k)
{
    if (f->ntypes >= AV_MAX_TYPES)
        return NULL;
    strom_av_schema *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->kind = k;
    f->types[f->ntypes++] = s;
    return s;
}

static const struct { const char *name; strom_av_kind kind; } prims[] = {
    {"null", STROM_AV_NULL},   {"boolean", STROM_AV_BOOLEAN}, {"int", STROM_AV_INT},
    {"long", STROM_AV_LONG},   {"float", STROM_AV_FLOAT},     {"double", STROM_AV_DOUBLE},
    {"bytes", STROM_AV_BYTES}, {"string", STROM_AV_STRING},
};

/* A named type by full or simple name. */
static strom_av_schema *lookup(strom_av_file *f, const char *name)
{
    for (int i = 0; i < f->ntypes; i++) {
        const char *n = f->types[i]->name;
        if (!n)
            continue;
        const char *dot = strrchr(n, '.');
        if (!strcmp(n, name) || (dot && !strcmp(dot + 1, name)))
            return f->types[i];
    }
    return NULL;
}

static strom_av_schema *parse_type(strom_av_file *f, json_t *j, const char *ns, int depth);

static strom_av_schema *parse_named(strom_av_file *f, json_t *j, const char *type,
                                    const char *ns, int depth)
{
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *jns = json_string_value(json_object_get(j, "namespace"));
    strom_av_kind k = !strcmp(type, "record") || !strcmp(type, "error") ? STROM_AV_RECORD
                      : !strcmp(type, "enum")                          ? STROM_AV_ENUM
                                                                       : STROM_AV_FIXED;
    if (!name)
        return NULL;
    strom_av_schema *s = new_type(f, k);
    if (!s)
        return NULL;
    const char *use_ns = jns ? jns : ns;
    char full[512];
    if (strchr(name, '.') || !use_ns || !*use_ns)
        snprintf(full, sizeof full, "%s", name);
    else
        snprintf(full, sizeof full, "%s.%s", use_ns, name);
    if (!(s->name = strdup(full)))
        return NULL;
    if (k == STROM_AV_FIXED) {
        json_t *sz = json_object_get(j, "size");
        if (!json_is_integer(sz) || json_integer_value(sz) < 0 || json_integer_value(sz) > (1 << 20))
            return NULL;
        s->size = json_integer_value(sz);
        return s;
    }
    json_t *list = json_object_get(j, k == STROM_AV_ENUM ? "symbols" : "fields");
    if (!json_is_array(list) || json_array_size(list) > 4096)
        return NULL;
    s->n = (int)json_array_size(list);
    if (k == STROM_AV_ENUM)
        return s;
    s->kids = calloc((size_t)s->n + 1, sizeof *s->kids);
    s->fnames = calloc((size_t)s->n + 1, sizeof *s->fnames);
    if (!s->kids || !s->fnames)
        return NULL;
    const char *child_ns = strrchr(full, '.') ? full : use_ns;
    char nsbuf[512];
    if (strrchr(full, '.')) {
        snprintf(nsbuf, sizeof nsbuf, "%.*s", (int)(strrchr(full, '.') - full), full);
        child_ns = nsbuf;
    }
    for (int i = 0; i < s->n; i++) {
        json_t *fj = json_array_get(list, (size_t)i);
        const char *fname = json_string_value(json_object_get(fj, "name"));
        if (!fname || !(s->fnames[i] = strdup(fname)) ||
            !(s->kids[i] = parse_type(f, json_object_get(fj, "type"), child_ns, depth + 1)))
            return NULL;
    }
    return s;
}

static strom_av_schema *parse_type(strom_av_file *f, json_t *j, const char *ns, int depth)
{
    if (!j || depth > AV_MAX_DEPTH)
        return NULL;
    if (json_is_string(j)) {
        const char *t = json_string_value(j);
        for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
            if (!strcmp(t, prims[i].name))
                return new_type(f, prims[i].kind);
        return lookup(f, t);
    }
    if (json_is_array(j)) {
        strom_av_schema *s = new_type(f, STROM_AV_UNION);
        if (!s || json_array_size(j) == 0 || json_array_size(j) > 256)
            return NULL;
        s->n = (int)json_array_size(j);
        if (!(s->kids = calloc((size_t)s->n, sizeof *s->kids)))
            return NULL;
        for (int i = 0; i < s->n; i++)
            if (!(s->kids[i] = parse_type(f, json_array_get(j, (size_t)i), ns, depth + 1)))
                return NULL;
        return s;
    }
    if (!json_is_object(j))
        return NULL;
    json_t *tj = json_object_get(j, "type");
    const char *t = json_string_value(tj);
    if (!t) /* {"type": {...}} */
        return parse_type(f, tj, ns, depth + 1);
    if (!strcmp(t, "record") || !strcmp(t, "error") || !strcmp(t, "enum") || !strcmp(t, "fixed"))
        return parse_named(f, j, t, ns, depth);
    if (!strcmp(t, "array") || !strcmp(t, "map")) {
        strom_av_schema *s = new_type(f, !strcmp(t, "array") ? STROM_AV_ARRAY : STROM_AV_MAP);
        if (!s || !(s->kids = calloc(1, sizeof *s->kids)) ||
            !(s->kids[0] = parse_type(f, json_object_get(j, !strcmp(t, "array") ? "items"
                                                                                 : "values"),
                                      ns, depth + 1)))
            return NULL;
        s->n = 1;
        return s;
    }
    return parse_type(f, tj, ns, depth + 1); /* a primitive with a logical type */
}

/* ---- bytes ---------------------------------------------------------------------------------- */

static bool rd_long(const uint8_t *p, size_t n, size_t *at, int64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *at < n; shift += 7) {
        uint8_t b = p[(*at)++];
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            return true;
        }
    }
    return false;
}

static int inflate_block(const uint8_t *p, size_t n, uint8_t **out, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK)
        return -1;
    size_t cap = n < (AV_MAX_BLOCK - 1024) / 4 ? n * 4 + 1024 : AV_MAX_BLOCK, len = 0;
    uint8_t *buf = malloc(cap);
    int zr = Z_OK;
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    while (buf && zr == Z_OK) {
        if (len == cap) {
            if (cap >= AV_MAX_BLOCK)
                break;
            cap = cap * 2 > AV_MAX_BLOCK ? AV_MAX_BLOCK : cap * 2;
            uint8_t *nb = realloc(buf, cap);
            if (!nb)
                break;
            buf = nb;
        }
        z.next_out = buf + len;
        z.avail_out = (uInt)(cap - len);
        zr = inflate(&z, Z_NO_FLUSH);
        len = cap - z.avail_out;
        if (zr == Z_BUF_ERROR && z.avail_out > 0)
            break; /* input ended early */
        if (zr == Z_BUF_ERROR)
            zr = Z_OK;
    }
    inflateEnd(&z);
    if (!buf || zr != Z_STREAM_END || z.avail_in != 0) {
        free(buf);
        return -1;
    }
    *out = buf;
    *outlen = len;
    return 0;
}

/* ---- values ----------------------------------------------------------------------------- */

/* k contiguous values of the current record (chunks are kept and reused record after
 * record). */
static strom_av_value *alloc_values(strom_av_file *f, size_t k)
{
    if (k > AV_MAX_VALUES || f->nvalues + k > AV_MAX_VALUES)
        return NULL;
    if (!f->cur || f->cur->used + k > f->cur->cap) {
        chunk *c = f->cur ? f->cur->next : f->chunks, *last = f->cur;
        while (c && c->cap < k) { /* too small for this one: skipped */
            last = c;
            c = c->next;
        }
        if (!c) {
            size_t cap = k > 1024 ? k : 1024;
            if (!(c = calloc(1, sizeof *c + cap * sizeof c->v[0])))
                return NULL;
            c->cap = cap;
            while (last && last->next)
                last = last->next;
            if (last)
                last->next = c;
            else
                f->chunks = c;
        }
        c->used = 0;
        f->cur = c;
    }
    strom_av_value *v = &f->cur->v[f->cur->used];
    f->cur->used += k;
    f->nvalues += k;
    return v;
}

/* Items of arrays and maps are gathered in a growable array, then copied into the arena. */
static int decode(strom_av_file *f, const strom_av_schema *s, strom_av_value *v, int depth,
                  strom_error *err);

static int decode_list(strom_av_file *f, const strom_av_schema *s, strom_av_value *v, int depth,
                       strom_error *err)
{
    const uint8_t *p = f->blk;
    size_t n = f->blen;
    strom_av_value *items = NULL;
    size_t count = 0, cap = 0;
    int rc = 0;
    for (;;) {
        int64_t k, bytes;
        if (!rd_long(p, n, &f->bpos, &k)) {
            rc = bad(f, err, "a damaged array or map block");
            break;
        }
        if (k == 0)
            break;
        if (k < 0) {
            if (k == INT64_MIN || !rd_long(p, n, &f->bpos, &bytes) || bytes < 0) {
                rc = bad(f, err, "a damaged array or map block");
                break;
            }
            k = -k;
        }
        /* items that take no bytes (null, empty records, fixed(0)) are bounded apart: a
         * count of a few bytes must not buy millions of values */
        const strom_av_schema *it = s->kids[0];
        bool zero = it->kind == STROM_AV_NULL || (it->kind == STROM_AV_RECORD && it->n == 0) ||
                    (it->kind == STROM_AV_FIXED && it->size == 0);
        if ((uint64_t)k > AV_MAX_VALUES - count ||
            (!zero && (uint64_t)k > f->blen - f->bpos + 1) || (zero && count + (size_t)k > 4096)) {
            rc = bad(f, err, "an array or map of too many items");
            break;
        }
        for (int64_t i = 0; rc == 0 && i < k; i++) {
            if (count == cap) {
                size_t nc = cap ? cap * 2 : 16;
                strom_av_value *ni = realloc(items, nc * sizeof *ni);
                if (!ni) {
                    rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
                    break;
                }
                items = ni;
                cap = nc;
            }
            if (s->kind == STROM_AV_MAP) { /* the key: a string, skipped */
                int64_t kl;
                if (!rd_long(p, n, &f->bpos, &kl) || kl < 0 || (uint64_t)kl > n - f->bpos) {
                    rc = bad(f, err, "a damaged map key");
                    break;
                }
                f->bpos += (size_t)kl;
            }
            rc = decode(f, s->kids[0], &items[count++], depth + 1, err);
        }
        if (rc != 0)
            break;
    }
    if (rc == 0 && count > 0) {
        strom_av_value *dst = alloc_values(f, count);
        if (!dst)
            rc = bad(f, err, "a record of too many values");
        else
            memcpy(dst, items, count * sizeof *dst);
        v->u.list.v = dst;
    }
    v->u.list.n = rc == 0 ? count : 0;
    free(items);
    return rc;
}

static int decode(strom_av_file *f, const strom_av_schema *s, strom_av_value *v, int depth,
                  strom_error *err)
{
    const uint8_t *p = f->blk;
    size_t n = f->blen;
    if (depth > AV_MAX_DEPTH)
        return bad(f, err, "values nested too deep");
    memset(v, 0, sizeof *v);
    v->kind = s->kind;
    v->schema = s;
    int64_t x;
    switch (s->kind) {
    case STROM_AV_NULL:
        return 0;
    case STROM_AV_BOOLEAN:
        if (f->bpos >= n || p[f->bpos] > 1)
            return bad(f, err, "a damaged boolean");
        v->u.b = p[f->bpos++] != 0;
        return 0;
    case STROM_AV_INT:
    case STROM_AV_LONG:
    case STROM_AV_ENUM:
        if (!rd_long(p, n, &f->bpos, &x))
            return bad(f, err, "a damaged integer");
        if ((s->kind == STROM_AV_INT && (x < INT32_MIN || x > INT32_MAX)) ||
            (s->kind == STROM_AV_ENUM && (x < 0 || x >= s->n)))
            return bad(f, err, "an integer out of range");
        v->u.i = x;
        return 0;
    case STROM_AV_FLOAT: {
        float fl;
        if (n - f->bpos < 4)
            return bad(f, err, "a cut float");
        memcpy(&fl, p + f->bpos, 4);
        f->bpos += 4;
        v->u.d = fl;
        return 0;
    }
    case STROM_AV_DOUBLE:
        if (n - f->bpos < 8)
            return bad(f, err, "a cut double");
        memcpy(&v->u.d, p + f->bpos, 8);
        f->bpos += 8;
        return 0;
    case STROM_AV_BYTES:
    case STROM_AV_STRING:
    case STROM_AV_FIXED:
        if (s->kind == STROM_AV_FIXED)
            x = s->size;
        else if (!rd_long(p, n, &f->bpos, &x) || x < 0)
            return bad(f, err, "a damaged length");
        if ((uint64_t)x > n - f->bpos)
            return bad(f, err, "bytes past the end of their block");
        v->u.s.p = p + f->bpos;
        v->u.s.n = (size_t)x;
        f->bpos += (size_t)x;
        return 0;
    case STROM_AV_UNION:
        if (!rd_long(p, n, &f->bpos, &x) || x < 0 || x >= s->n)
            return bad(f, err, "a union branch out of range");
        return decode(f, s->kids[x], v, depth + 1, err);
    case STROM_AV_RECORD: {
        strom_av_value *fields = s->n ? alloc_values(f, (size_t)s->n) : NULL;
        if (s->n && !fields)
            return bad(f, err, "a record of too many values");
        v->u.list.v = fields;
        v->u.list.n = (size_t)s->n;
        for (int i = 0; i < s->n; i++) {
            int rc = decode(f, s->kids[i], &fields[i], depth + 1, err);
            if (rc != 0)
                return rc;
        }
        return 0;
    }
    case STROM_AV_ARRAY:
    case STROM_AV_MAP:
        return decode_list(f, s, v, depth, err);
    }
    return bad(f, err, "an unknown type");
}

/* ---- the file --------------------------------------------------------------------------- */

int strom_av_open(const uint8_t *p, size_t n, const char *what, strom_av_file **out,
                  strom_error *err)
{
    *out = NULL;
    strom_av_file *f = calloc(1, sizeof *f);
    if (!f || !(f->types = calloc(AV_MAX_TYPES, sizeof *f->types))) {
        free(f);
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    }
    f->p = p;
    f->n = n;
    snprintf(f->what, sizeof f->what, "%s", what);
    size_t at = 4;
    const char *why = NULL;
    const char *schema = NULL;
    size_t schema_len = 0;
    if (n < 4 || memcmp(p, "Obj\x01", 4) != 0)
        why = "not an Avro container file (no magic)";
    for (int blocks = 0; !why; blocks++) {
        int64_t count, bytes;
        if (blocks > 64 || !rd_long(p, n, &at, &count)) {
            why = "a damaged metadata map";
            break;
        }
        if (count == 0)
            break;
        if (count < 0 && (count == INT64_MIN || !rd_long(p, n, &at, &bytes))) {
            why = "a damaged metadata map";
            break;
        }
        count = count < 0 ? -count : count;
        for (int64_t i = 0; !why && i < count; i++) {
            int64_t kl, vl;
            if (!rd_long(p, n, &at, &kl) || kl < 0 || (uint64_t)kl > n - at) {
                why = "a damaged metadata key";
                break;
            }
            const char *key = (const char *)p + at;
            at += (size_t)kl;
            if (!rd_long(p, n, &at, &vl) || vl < 0 || (uint64_t)vl > n - at) {
                why = "a damaged metadata value";
                break;
            }
            const char *val = (const char *)p + at;
            at += (size_t)vl;
            if (kl == 11 && !memcmp(key, "avro.schema", 11)) {
                schema = val;
                schema_len = (size_t)vl;
            } else if (kl == 10 && !memcmp(key, "avro.codec", 10)) {
                f->deflate = vl == 7 && !memcmp(val, "deflate", 7);
                if (!f->deflate && !(vl == 4 && !memcmp(val, "null", 4)))
                    why = "a codec strom does not read (it reads null and deflate)";
            }
        }
    }
    json_error_t je;
    json_t *sj = NULL;
    if (!why && !schema)
        why = "no writer schema";
    if (!why && !(sj = json_loadb(schema, schema_len, 0, &je)))
        why = "a writer schema that is not JSON";
    if (!why && (!(f->root = parse_type(f, sj, "", 0)) || f->root->kind != STROM_AV_RECORD))
        why = "a writer schema strom cannot read (or not a record)";
    json_decref(sj);
    if (!why && n - at < 16)
        why = "no sync marker";
    if (!why) {
        memcpy(f->sync, p + at, 16);
        at += 16;
    }
    /* every block's framing, before any record is decoded */
    for (size_t b = at; !why && b < n;) {
        int64_t count, bytes;
        if (!rd_long(p, n, &b, &count) || !rd_long(p, n, &b, &bytes) || count < 0 ||
            bytes < 0 || (uint64_t)bytes > n - b || n - b - (size_t)bytes < 16)
            why = "a damaged block header";
        else if (memcmp(p + b + bytes, f->sync, 16) != 0)
            why = "a block without its sync marker";
        else
            b += (size_t)bytes + 16;
    }
    if (why) {
        strom_av_close(f);
        return strom_error_set(err, STROM_ECORRUPT, "%s: %s", what, why);
    }
    f->at = at;
    *out = f;
    return 0;
}

void strom_av_close(strom_av_file *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->ntypes; i++) {
        strom_av_schema *s = f->types[i];
        if (s->fnames)
            for (int k = 0; k < s->n; k++)
                free(s->fnames[k]);
        free(s->fnames);
        free(s->kids);
        free(s->name);
        free(s);
    }
    free(f->types);
    free(f->inflated);
    while (f->chunks) {
        chunk *c = f->chunks;
        f->chunks = c->next;
        free(c);
    }
    free(f);
}

int strom_av_next(strom_av_file *f, const strom_av_value **rec, strom_error *err)
{
    while (f->left == 0) {
        if (f->blk && f->bpos != f->blen)
            return bad(f, err, "a block longer than its records");
        if (f->at >= f->n)
            return 0;
        int64_t count = 0, bytes = 0;
        rd_long(f->p, f->n, &f->at, &count); /* checked at open */
        rd_long(f->p, f->n, &f->at, &bytes);
        free(f->inflated);
        f->inflated = NULL;
        if (f->deflate) {
            size_t len;
            if (inflate_block(f->p + f->at, (size_t)bytes, &f->inflated, &len) != 0)
                return bad(f, err, "a block that does not inflate");
            f->blk = f->inflated;
            f->blen = len;
        } else {
            f->blk = f->p + f->at;
            f->blen = (size_t)bytes;
        }
        f->bpos = 0;
        f->left = count;
        f->at += (size_t)bytes + 16;
    }
    f->cur = NULL;
    f->nvalues = 0;
    int rc = decode(f, f->root, &f->rec, 0, err);
    if (rc != 0)
        return rc;
    f->left--;
    *rec = &f->rec;
    return 1;
}

const strom_av_value *strom_av_field(const strom_av_value *rec, const char *name)
{
    if (!rec || rec->kind != STROM_AV_RECORD)
        return NULL;
    for (size_t i = 0; i < rec->u.list.n; i++)
        if (!strcmp(rec->schema->fnames[i], name))
            return &rec->u.list.v[i];
    return NULL;
}
