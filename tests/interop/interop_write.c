/*
 * interop_write.c: writes the Arrow streams and files that apache-arrow (interop.mjs) must
 * read with identical values, each beside the canonical JSON (canon.h) of the values that
 * went IN, computed from the generator, never from strom's decoder.
 *
 * usage: interop_write DIR        writes DIR/<case>.arrows|.arrow and DIR/<case>.json
 *
 * Cases:
 *   all_<nulls>_<codec>.arrows  every strom type; nulls none | some | all; codec none | lz4 |
 *                               zstd; batches of 0, 7, 500, 0, 65 rows (empty batches, a
 *                               bitmap tail, a batch big enough to really compress)
 *   file_some_zstd.arrow        the same in the file format
 *   projected_lz4.arrows        batches of all_some_lz4 projected without decoding
 *                               (strom_ipc_project: new metadata + original body ranges)
 *   filtered_zstd.arrows        batches of all_some_zstd decoded, filtered and re-encoded
 *                               (strom_batch_select)
 *   pq_<nulls>_<codec>.parquet  the rows of all_<nulls> in Parquet (DuckDB: parquet.mjs)
 *   lake/interop.db/all/        a Paimon table tiered from a 2-bucket log of the rows of
 *                               all_some (two tiering runs: two snapshots), beside lake.json
 *                               (the expected values, by k) and lake_half.json (snapshot 1)
 *   lake/interop.db/kv/         a Paimon primary-key table tiered (two runs) from a changelog
 *                               of upserts and deletes (+I, -U/+U, -D) over 300 keys, beside
 *                               lake_kv.json: the state those changes leave, by key
 *
 * Values cycle through edge cases (integer extremes, 2^53+1, NaN, -0.0, infinities,
 * subnormals, 38-digit decimals, empty / non-ASCII / NUL-holding strings, extreme dates and
 * timestamps) mixed with pseudo-random ones.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "columnar/ipc.h"
#include "common/common.h"
#include "common/fs.h"
#include "lake/parquet.h"
#include "lake/tier.h"
#include "log/record.h"

enum { NULLS_NONE, NULLS_SOME, NULLS_ALL };
static const char *const null_names[] = {"none", "some", "all"};
static const int64_t batch_rows[] = {0, 7, 500, 0, 65};
#define NBATCHES ((int)STROM_ARRAY_LEN(batch_rows))

static const struct {
    const char *name, *type;
    bool nullable;
} cols[] = {
    {"k", "BIGINT", false},      {"b", "BOOLEAN", true},       {"i8", "TINYINT", true},
    {"i16", "SMALLINT", true},   {"i32", "INT", true},         {"i64", "BIGINT", true},
    {"f32", "FLOAT", true},      {"f64", "DOUBLE", true},      {"d38", "DECIMAL(38,10)", true},
    {"d5", "DECIMAL(5,2)", true}, {"s", "STRING", true},       {"bin", "BYTES", true},
    {"date", "DATE", true},      {"time", "TIME", true},       {"ts", "TIMESTAMP", true},
    {"tsz", "TIMESTAMP_LTZ", true},
};
#define NCOLS ((int)STROM_ARRAY_LEN(cols))

static uint64_t mix(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

static strom_i128 i128_pow10(int n)
{
    strom_i128 v = 1;
    while (n--)
        v *= 10;
    return v;
}

static double bits_double(uint64_t b)
{
    double d;
    memcpy(&d, &b, 8);
    return d;
}

/* String/bytes edge cases; returns the length written into buf (>= 320 bytes). */
static uint32_t edge_text(int k, uint64_t h, uint8_t *buf, bool bytes)
{
    static const char *const texts[] = {"", "a", "h\xc3\xa9llo \xe2\x9c\x93", "quote'\"\\",
                                        "\xf0\x9f\x98\x80 emoji", "tab\tnew\nline"};
    switch (k % 9) {
    case 6: memcpy(buf, "a\0b", 3); return 3;
    case 7: /* long: 300 bytes */
        for (int i = 0; i < 300; i++)
            buf[i] = bytes ? (uint8_t)(h + (uint64_t)i * 7) : (uint8_t)('a' + (h + (uint64_t)i) % 26);
        return 300;
    case 8: return (uint32_t)snprintf((char *)buf, 32, "v%" PRIu64, h % 100000);
    default:
        if (bytes && k % 9 == 2) { /* non-UTF-8 bytes */
            buf[0] = 0x00; buf[1] = 0xff; buf[2] = 0x80;
            return 3;
        }
        memcpy(buf, texts[k % 9], strlen(texts[k % 9]));
        return (uint32_t)strlen(texts[k % 9]);
    }
}

/* Integer-like edge values per type, cycled with random ones. */
static int64_t edge_int(strom_type_id t, int k, uint64_t h)
{
    switch (t) {
    case STROM_TYPE_TINYINT: { static const int64_t e[] = {-128, 127, 0, -1}; return k < 4 ? e[k] : (int8_t)h; }
    case STROM_TYPE_SMALLINT: { static const int64_t e[] = {-32768, 32767, 0, -1}; return k < 4 ? e[k] : (int16_t)h; }
    case STROM_TYPE_INT: { static const int64_t e[] = {INT32_MIN, INT32_MAX, 0, -1}; return k < 4 ? e[k] : (int32_t)h; }
    case STROM_TYPE_BIGINT: {
        static const int64_t e[] = {INT64_MIN, INT64_MAX, 0, -1, (INT64_C(1) << 53) + 1};
        return k < 5 ? e[k] : (int64_t)h;
    }
    case STROM_TYPE_DATE: { static const int64_t e[] = {0, -1, -719162, 2932896}; return k < 4 ? e[k] : (int64_t)(h % 40000) - 10000; }
    case STROM_TYPE_TIME: { static const int64_t e[] = {0, INT64_C(86399999999), 1}; return k < 3 ? e[k] : (int64_t)(h % INT64_C(86400000000)); }
    default: { /* TIMESTAMP, TIMESTAMP_LTZ */
        static const int64_t e[] = {0, -1, INT64_C(-62135596800000000), INT64_C(253402300799999999)};
        return k < 4 ? e[k] : (int64_t)(h % INT64_C(4000000000000000)) - INT64_C(1000000000000000);
    }
    }
}

static double edge_real(bool is_float, int k, uint64_t h)
{
    double e[] = {NAN, -0.0, INFINITY, -INFINITY, 0.0, 1.0,
                  is_float ? (double)FLT_MAX : DBL_MAX, is_float ? 1e-45 : 5e-324,
                  bits_double(UINT64_C(0xfff8000000000001))}; /* negative NaN with payload */
    int n = is_float ? 8 : 9; /* float: the payload NaN would not survive narrowing exactly */
    if (k < n)
        return is_float ? (double)(float)e[k] : e[k];
    double r = (double)(int64_t)h / 1e6;
    return is_float ? (double)(float)r : r;
}

static strom_i128 edge_decimal(int precision, int k, uint64_t h)
{
    strom_i128 max = i128_pow10(precision) - 1;
    strom_i128 e[] = {0, 1, -1, max, -max};
    if (k < 5)
        return e[k];
    strom_i128 r = ((strom_i128)(int64_t)h * (strom_i128)(int64_t)mix(h)) % (max + 1);
    return r;
}

/* The value of column c at global row `row` of the case. */
static void gen_value(const strom_schema *s, int c, int64_t row, int nulls, strom_value *v,
                      uint8_t *scratch)
{
    strom_type t = strom_schema_col_type(s, c);
    uint64_t h = mix((uint64_t)row * 131 + (uint64_t)c);
    int k = (int)((uint64_t)row % 11); /* edge case index: the first rows hit every edge */
    memset(v, 0, sizeof *v);
    v->type = t.id;
    if (c > 0 && (nulls == NULLS_ALL || (nulls == NULLS_SOME && (row % 5 == 1 || h % 10 < 2)))) {
        v->is_null = true;
        return;
    }
    switch (t.id) {
    case STROM_TYPE_BOOLEAN: v->u.b = (h >> 7) & 1; break;
    case STROM_TYPE_FLOAT: v->u.f = edge_real(true, (int)(row % 13), h); break;
    case STROM_TYPE_DOUBLE: v->u.f = edge_real(false, (int)(row % 13), h); break;
    case STROM_TYPE_DECIMAL: v->u.d = edge_decimal(t.precision, k, h); break;
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES:
        v->u.s.len = edge_text((int)(row % 9), h, scratch, t.id == STROM_TYPE_BYTES);
        v->u.s.ptr = scratch;
        break;
    default:
        v->u.i = c == 0 ? row : edge_int(t.id, k, h);
    }
}

static strom_schema *make_schema(void)
{
    strom_schema *s = strom_schema_new(1);
    for (int c = 0; s && c < NCOLS; c++) {
        strom_type t;
        strom_error err;
        if (strom_type_parse(cols[c].type, strlen(cols[c].type), &t, &err) < 0 ||
            strom_schema_add(s, cols[c].name, t, cols[c].nullable, &err) < 0) {
            fprintf(stderr, "schema: %s\n", err.msg);
            strom_schema_free(s);
            return NULL;
        }
    }
    return s;
}

/* ---- one case: messages in, a stream/file and the expected JSON out --------------------- */

typedef struct icase {
    const strom_schema *s;  /* schema of the output */
    strom_ipc_writer *w;
    strom_buf out;
    json_t *batches, *columns;
} icase;

static int case_begin(icase *ic, const strom_schema *s, bool file, strom_error *err)
{
    memset(ic, 0, sizeof *ic);
    ic->s = s;
    ic->batches = json_array();
    ic->columns = json_array();
    for (int c = 0; c < strom_schema_ncols(s); c++)
        json_array_append_new(ic->columns, json_array());
    return strom_ipc_writer_new(s, file, &ic->out, &ic->w, err);
}

/* Records the expected value of output column oc (from generator column gc). */
static void case_expect(icase *ic, int oc, const strom_value *v)
{
    json_array_append_new(json_array_get(ic->columns, (size_t)oc),
                          canon_value(v, strom_schema_col_type(ic->s, oc)));
}

static int case_end(icase *ic, const char *dir, const char *name, strom_error *err)
{
    char path[4096];
    int rc = strom_ipc_writer_finish(ic->w, &ic->out, err);
    FILE *f;
    json_t *root = NULL;
    if (rc < 0)
        goto cleanup;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(ic->out.data, 1, ic->out.len, f) != ic->out.len || fclose(f) != 0) {
        rc = strom_error_set(err, STROM_EIO, "%s: cannot write", path);
        goto cleanup;
    }
    *strrchr(path, '.') = '\0';
    strcat(path, ".json");
    root = json_pack("{s:o, s:O, s:O}", "schema", canon_schema(ic->s), "batches", ic->batches,
                     "columns", ic->columns);
    if (!root || json_dump_file(root, path, JSON_COMPACT) < 0)
        rc = strom_error_set(err, STROM_EIO, "%s: cannot write", path);
cleanup:
    json_decref(root);
    json_decref(ic->batches);
    json_decref(ic->columns);
    strom_buf_free(&ic->out);
    return rc;
}

/* Seals batch `bi` of a case into msg; first = its first global row. */
static int seal_batch(strom_batch_builder *bb, const strom_schema *s, int nulls, int64_t first,
                      int64_t n, strom_codec codec, strom_buf *msg, strom_error *err)
{
    strom_value vals[NCOLS];
    static uint8_t scratch[NCOLS][320];
    strom_seal_opts so = {codec, 0};
    for (int64_t r = first; r < first + n; r++) {
        for (int c = 0; c < NCOLS; c++)
            gen_value(s, c, r, nulls, &vals[c], scratch[c]);
        STROM_TRY(strom_bb_append_row(bb, vals, err));
    }
    strom_buf_reset(msg);
    return strom_bb_seal(bb, &so, msg, NULL, err);
}

static int write_all(const char *dir, const strom_schema *s, int nulls, strom_codec codec,
                     bool file, strom_error *err)
{
    strom_batch_builder *bb = strom_bb_new(s);
    strom_buf msg = STROM_BUF_INIT;
    static uint8_t scratch[320];
    icase ic;
    char name[64];
    int rc = 0;
    int64_t first = 0;

    STROM_TRY(case_begin(&ic, s, file, err));
    for (int bi = 0; bi < NBATCHES; bi++) {
        STROM_TRY_GOTO(rc, seal_batch(bb, s, nulls, first, batch_rows[bi], codec, &msg, err), done);
        STROM_TRY_GOTO(rc, strom_ipc_writer_add(ic.w, msg.data, msg.len, &ic.out, err), done);
        json_array_append_new(ic.batches, json_integer(batch_rows[bi]));
        for (int64_t r = first; r < first + batch_rows[bi]; r++)
            for (int c = 0; c < NCOLS; c++) {
                strom_value v;
                gen_value(s, c, r, nulls, &v, scratch);
                case_expect(&ic, c, &v);
            }
        first += batch_rows[bi];
    }
done:
    if (file)
        snprintf(name, sizeof name, "file_%s_%s.arrow", null_names[nulls], strom_codec_name(codec));
    else
        snprintf(name, sizeof name, "all_%s_%s.arrows", null_names[nulls], strom_codec_name(codec));
    if (rc >= 0)
        rc = case_end(&ic, dir, name, err);
    else
        strom_ipc_writer_free(ic.w);
    if (rc < 0)
        strom_error_prefix(err, "%s", name);
    strom_buf_free(&msg);
    strom_bb_free(bb);
    return rc;
}

/* Projection without decoding: columns s, k, d38, b of the all_some_lz4 batches. */
static int write_projected(const char *dir, const strom_schema *s, strom_error *err)
{
    static const int pcols[] = {10, 0, 8, 1};
    const int np = (int)STROM_ARRAY_LEN(pcols);
    strom_schema *ps = strom_schema_project(s, pcols, np);
    strom_batch_builder *bb = strom_bb_new(s);
    strom_buf msg = STROM_BUF_INIT, wire = STROM_BUF_INIT;
    static uint8_t scratch[320];
    icase ic;
    int rc = 0;
    int64_t first = 0;

    if (!ps || !bb)
        return strom_error_set(err, STROM_ENOMEM, "projected case");
    STROM_TRY_GOTO(rc, case_begin(&ic, ps, false, err), fail);
    for (int bi = 0; bi < NBATCHES; bi++) {
        strom_ipc_msg m;
        strom_ipc_projection pj = {0};
        STROM_TRY_GOTO(rc, seal_batch(bb, s, NULLS_SOME, first, batch_rows[bi],
                                      STROM_CODEC_LZ4_FRAME, &msg, err), fail);
        STROM_TRY_GOTO(rc, strom_ipc_read_msg(msg.data, msg.len, &m, err), fail);
        STROM_TRY_GOTO(rc, strom_ipc_project(&m, s, pcols, np, &pj, err), fail);
        strom_buf_reset(&wire);
        rc = strom_buf_append(&wire, pj.header.data, pj.header.len);
        for (int i = 0; rc == 0 && i < pj.nranges; i++)
            rc = strom_buf_append(&wire, m.body + pj.ranges[i].offset, pj.ranges[i].length);
        strom_ipc_projection_free(&pj);
        if (rc < 0)
            goto fail;
        STROM_TRY_GOTO(rc, strom_ipc_writer_add(ic.w, wire.data, wire.len, &ic.out, err), fail);
        json_array_append_new(ic.batches, json_integer(batch_rows[bi]));
        for (int64_t r = first; r < first + batch_rows[bi]; r++)
            for (int i = 0; i < np; i++) {
                strom_value v;
                gen_value(s, pcols[i], r, NULLS_SOME, &v, scratch);
                case_expect(&ic, i, &v);
            }
        first += batch_rows[bi];
    }
    rc = case_end(&ic, dir, "projected_lz4.arrows", err);
    goto done;
fail:
    strom_ipc_writer_free(ic.w);
done:
    if (rc < 0)
        strom_error_prefix(err, "projected_lz4.arrows");
    strom_buf_free(&msg);
    strom_buf_free(&wire);
    strom_bb_free(bb);
    strom_schema_free(ps);
    return rc;
}

/* Row filter: rows with k % 3 == 0 of the all_some_zstd batches, columns i64, f64, s, tsz. */
static int write_filtered(const char *dir, const strom_schema *s, strom_error *err)
{
    static const int fcols[] = {5, 7, 10, 15};
    const int nf = (int)STROM_ARRAY_LEN(fcols);
    strom_schema *fs = strom_schema_project(s, fcols, nf);
    strom_batch_builder *bb = strom_bb_new(s);
    strom_buf msg = STROM_BUF_INIT, out = STROM_BUF_INIT;
    strom_seal_opts so = {STROM_CODEC_ZSTD, 0};
    static uint8_t scratch[320];
    uint8_t sel[512 / 8 + 1];
    icase ic;
    int rc = 0;
    int64_t first = 0;

    if (!fs || !bb)
        return strom_error_set(err, STROM_ENOMEM, "filtered case");
    STROM_TRY_GOTO(rc, case_begin(&ic, fs, false, err), fail);
    for (int bi = 0; bi < NBATCHES; bi++) {
        strom_ipc_msg m;
        strom_batch *b = NULL;
        int64_t n = 0;
        STROM_TRY_GOTO(rc, seal_batch(bb, s, NULLS_SOME, first, batch_rows[bi], STROM_CODEC_ZSTD,
                                      &msg, err), fail);
        STROM_TRY_GOTO(rc, strom_ipc_read_msg(msg.data, msg.len, &m, err), fail);
        STROM_TRY_GOTO(rc, strom_ipc_decode_batch(&m, s, s, NULL, &b, err), fail);
        memset(sel, 0, sizeof sel);
        for (int64_t r = 0; r < batch_rows[bi]; r++)
            if ((first + r) % 3 == 0) {
                strom_bit_set(sel, r, true);
                n++;
            }
        strom_buf_reset(&out);
        rc = strom_batch_select(b, sel, fcols, nf, fs, &so, &out, NULL, err);
        strom_batch_free(b);
        if (rc < 0)
            goto fail;
        STROM_TRY_GOTO(rc, strom_ipc_writer_add(ic.w, out.data, out.len, &ic.out, err), fail);
        json_array_append_new(ic.batches, json_integer(n));
        for (int64_t r = first; r < first + batch_rows[bi]; r++)
            for (int i = 0; i < nf && r % 3 == 0; i++) {
                strom_value v;
                gen_value(s, fcols[i], r, NULLS_SOME, &v, scratch);
                case_expect(&ic, i, &v);
            }
        first += batch_rows[bi];
    }
    rc = case_end(&ic, dir, "filtered_zstd.arrows", err);
    goto done;
fail:
    strom_ipc_writer_free(ic.w);
done:
    if (rc < 0)
        strom_error_prefix(err, "filtered_zstd.arrows");
    strom_buf_free(&msg);
    strom_buf_free(&out);
    strom_bb_free(bb);
    strom_schema_free(fs);
    return rc;
}

/* The rows of write_all in Parquet (row groups of 100 rows, so several), beside the same
 * expected JSON: pq_<nulls>_<codec>[_plain].parquet (_plain: no dictionary encoding). */
static int write_parquet(const char *dir, const strom_schema *s, int nulls, strom_pq_codec codec,
                         bool dict, strom_error *err)
{
    static const char *const codec_names[] = {"none", "snappy", "", "", "", "", "zstd"};
    char name[96], path[4096];
    snprintf(name, sizeof name, "pq_%s_%s%s.parquet", null_names[nulls], codec_names[codec],
             dict ? "" : "_plain");
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return strom_error_set(err, STROM_EIO, "%s: cannot create", path);
    strom_pq_opts po;
    strom_pq_opts_default(&po);
    po.codec = codec;
    po.dictionary = dict;
    po.row_group_rows = 100;
    strom_pq_writer *pw;
    int rc = strom_pq_writer_open(fileno(f), s, &po, &pw, err);
    strom_batch_builder *bb = strom_bb_new(s);
    strom_buf msg = STROM_BUF_INIT;
    json_t *columns = json_array();
    static uint8_t scratch[320];
    int64_t first = 0;
    for (int c = 0; c < NCOLS; c++)
        json_array_append_new(columns, json_array());
    for (int bi = 0; rc == 0 && bi < NBATCHES; bi++) {
        strom_ipc_msg m;
        strom_batch *b = NULL;
        if ((rc = seal_batch(bb, s, nulls, first, batch_rows[bi], STROM_CODEC_NONE, &msg, err)) <
                0 ||
            (rc = strom_ipc_read_msg(msg.data, msg.len, &m, err)) != 0 ||
            (rc = strom_ipc_decode_batch(&m, s, s, NULL, &b, err)) != 0 ||
            (rc = strom_pq_write(pw, b, err)) != 0) {
            strom_batch_free(b);
            break;
        }
        strom_batch_free(b);
        for (int64_t r = first; r < first + batch_rows[bi]; r++)
            for (int c = 0; c < NCOLS; c++) {
                strom_value v;
                gen_value(s, c, r, nulls, &v, scratch);
                json_array_append_new(json_array_get(columns, (size_t)c),
                                      canon_value(&v, strom_schema_col_type(s, c)));
            }
        first += batch_rows[bi];
    }
    if (rc == 0)
        rc = strom_pq_writer_close(pw, err);
    else
        strom_pq_writer_abort(pw);
    if (fclose(f) != 0 && rc == 0)
        rc = strom_error_set(err, STROM_EIO, "%s: cannot write", path);
    if (rc == 0) {
        *strrchr(path, '.') = '\0';
        strcat(path, ".json");
        json_t *root = json_pack("{s:o, s:[I], s:O}", "schema", canon_schema(s), "batches",
                                 (json_int_t)first, "columns", columns);
        if (!root || json_dump_file(root, path, JSON_COMPACT) < 0)
            rc = strom_error_set(err, STROM_EIO, "%s: cannot write", path);
        json_decref(root);
    }
    if (rc < 0)
        strom_error_prefix(err, "%s", name);
    json_decref(columns);
    strom_buf_free(&msg);
    strom_bb_free(bb);
    return rc;
}

/* Appends the rows [first, first + n) of all_some as one record to log l. */
static int append_rows(strom_log *l, strom_batch_builder *bb, const strom_schema *s,
                       int64_t first, int64_t n, strom_error *err)
{
    strom_buf msg = STROM_BUF_INIT, rec = STROM_BUF_INIT;
    strom_value vals[NCOLS];
    static uint8_t scratch[NCOLS][320];
    strom_batch_stats st;
    int rc = 0;
    for (int64_t r = first; rc == 0 && r < first + n; r++) {
        for (int c = 0; c < NCOLS; c++)
            gen_value(s, c, r, NULLS_SOME, &vals[c], scratch[c]);
        rc = strom_bb_append_row(bb, vals, err);
    }
    strom_seal_opts so = {first % 2 ? STROM_CODEC_ZSTD : STROM_CODEC_NONE, 0};
    if (rc == 0 && (rc = strom_bb_seal(bb, &so, &msg, &st, err)) == 0) {
        strom_record_info info = {0, (int32_t)n - 1, 0, strom_now_ms(), 0, 1, -1, -1, (int32_t)n};
        int64_t base;
        if ((rc = strom_record_write(&rec, &info, &st, NULL, msg.data, msg.len, err)) == 0)
            rc = strom_log_append(l, rec.data, rec.len, &base, err);
        strom_batch_stats_free(&st);
    }
    strom_buf_free(&msg);
    strom_buf_free(&rec);
    return rc;
}

static const strom_schema *no_older(void *ctx, uint32_t id)
{
    (void)ctx;
    (void)id;
    return NULL;
}

/* Writes the expected canonical JSON of rows [0, n) of all_some to dir/name. */
static int lake_expect(const char *dir, const char *name, const strom_schema *s, int64_t n,
                       strom_error *err)
{
    json_t *columns = json_array();
    static uint8_t scratch[320];
    for (int c = 0; c < NCOLS; c++) {
        json_t *col = json_array();
        for (int64_t r = 0; r < n; r++) {
            strom_value v;
            gen_value(s, c, r, NULLS_SOME, &v, scratch);
            json_array_append_new(col, canon_value(&v, strom_schema_col_type(s, c)));
        }
        json_array_append_new(columns, col);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_t *root = json_pack("{s:o, s:[I], s:o}", "schema", canon_schema(s), "batches",
                             (json_int_t)n, "columns", columns);
    int rc = !root || json_dump_file(root, path, JSON_COMPACT) < 0
                 ? strom_error_set(err, STROM_EIO, "%s: cannot write", path) : 0;
    json_decref(root);
    return rc;
}

/* A 2-bucket log table of the all_some rows, tiered twice into a Paimon table. */
static int write_lake(const char *dir, const strom_schema *s, strom_error *err)
{
    char path[4096];
    strom_log *logs[2] = {NULL, NULL};
    strom_lake *lk = NULL;
    strom_batch_builder *bb = strom_bb_new(s);
    strom_log_config lc;
    strom_log_config_default(&lc);
    strom_table_desc d;
    strom_table_desc_init(&d);
    snprintf(d.database, sizeof d.database, "interop");
    snprintf(d.table, sizeof d.table, "all");
    d.table_id = 7;
    d.schema = (strom_schema *)s;
    d.buckets = 2;
    int rc = 0;
    for (int b = 0; rc == 0 && b < 2; b++) {
        snprintf(path, sizeof path, "%s/lake_log/%d", dir, b);
        strom_rmtree(path, NULL);
        if ((rc = strom_mkdirs(path, err)) == 0)
            rc = strom_log_open(path, &lc, &logs[b], err);
    }
    snprintf(path, sizeof path, "%s/lake/interop.db/all", dir);
    strom_rmtree(path, NULL);
    if (rc == 0)
        rc = strom_lake_open(path, true, &lk, err);
    strom_tier_source src[2] = {{logs[0], "", 0, 0}, {logs[1], "", 1, 0}};
    strom_tier_opts to;
    strom_tier_opts_default(&to);
    to.parquet.row_group_rows = 100;
    to.commit_user = "interop";
    strom_tier_result res;
    /* batches of the case's sizes, alternating between the buckets; a run after 572 rows */
    int64_t first = 0, half = 0;
    for (int round = 0; rc == 0 && round < 2; round++) {
        for (int bi = 0; rc == 0 && bi < NBATCHES; bi++) {
            if (batch_rows[bi] > 0)
                rc = append_rows(logs[(first / 7) % 2], bb, s, first, batch_rows[bi], err);
            first += batch_rows[bi];
        }
        if (rc == 0)
            rc = strom_tier_run(lk, &d, no_older, NULL, src, 2, &to, &res, err);
        if (rc == 0 && res.rows != first - half)
            rc = strom_error_set(err, STROM_ESTATE, "tier run %d copied %lld rows, not %lld",
                                 round, (long long)res.rows, (long long)(first - half));
        if (rc == 0 && round == 0) {
            rc = lake_expect(dir, "lake_half.json", s, first, err);
            half = first;
        }
    }
    if (rc == 0)
        rc = lake_expect(dir, "lake.json", s, first, err);
    for (int b = 0; b < 2; b++)
        strom_log_close(logs[b]);
    strom_lake_close(lk);
    strom_bb_free(bb);
    d.schema = NULL;
    strom_table_desc_free(&d);
    if (rc < 0)
        strom_error_prefix(err, "lake");
    return rc;
}

/* ---- a primary-key table: a changelog folded by tiering ------------------------------------ */

#define KV_KEYS 300
typedef struct kvrow {
    bool live;
    int64_t k, d;
    char s[16];
} kvrow;

/* Appends one changelog record of `n` changes (rows of vals, change types ct). */
static int append_changes(strom_log *l, strom_batch_builder *bb, const strom_value *vals,
                          const uint8_t *ct, int n, strom_error *err)
{
    strom_buf msg = STROM_BUF_INIT, rec = STROM_BUF_INIT;
    strom_batch_stats st;
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++)
        rc = strom_bb_append_row(bb, vals + 4 * i, err);
    if (rc == 0 && (rc = strom_bb_seal(bb, NULL, &msg, &st, err)) == 0) {
        strom_record_info info = {0, n - 1, STROM_RECORD_CHANGELOG, strom_now_ms(), 0, 1, -1,
                                  -1, n};
        int64_t base;
        if ((rc = strom_record_write(&rec, &info, &st, ct, msg.data, msg.len, err)) == 0)
            rc = strom_log_append(l, rec.data, rec.len, &base, err);
        strom_batch_stats_free(&st);
    }
    strom_buf_free(&msg);
    strom_buf_free(&rec);
    return rc;
}

static void kv_value(strom_value *v, const kvrow *r)
{
    memset(v, 0, 4 * sizeof *v);
    v[0] = (strom_value){.type = STROM_TYPE_BIGINT, .u.i = r->k};
    v[1].type = STROM_TYPE_STRING;
    v[1].u.s.ptr = (const uint8_t *)r->s;
    v[1].u.s.len = (uint32_t)strlen(r->s);
    v[2] = (strom_value){.type = STROM_TYPE_DECIMAL, .u.d = r->d};
    v[3] = (strom_value){.type = STROM_TYPE_TIMESTAMP, .u.i = r->k * 1000003 - 500000000000LL};
    if (r->k % 7 == 0)
        v[1].is_null = true;
}

static int write_lake_kv(const char *dir, strom_error *err)
{
    static kvrow state[KV_KEYS];
    memset(state, 0, sizeof state);
    strom_schema *s = strom_schema_new(1);
    strom_schema_add(s, "k", strom_type_of(STROM_TYPE_BIGINT), false, NULL);
    strom_schema_add(s, "s", strom_type_of(STROM_TYPE_STRING), true, NULL);
    strom_schema_add(s, "d", strom_type_decimal(10, 2), true, NULL);
    strom_schema_add(s, "ts", strom_type_of(STROM_TYPE_TIMESTAMP), true, NULL);
    strom_table_desc d;
    strom_table_desc_init(&d);
    snprintf(d.database, sizeof d.database, "interop");
    snprintf(d.table, sizeof d.table, "kv");
    d.table_id = 8;
    d.schema = s;
    d.buckets = 1;
    d.npk = 1;
    d.pk = malloc(sizeof(int));
    d.pk[0] = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/lake_log_kv", dir);
    strom_rmtree(path, NULL);
    strom_log_config lc;
    strom_log_config_default(&lc);
    strom_log *log = NULL;
    strom_lake *lk = NULL;
    strom_batch_builder *bb = strom_bb_new(s);
    int rc = strom_mkdirs(path, err);
    if (rc == 0)
        rc = strom_log_open(path, &lc, &log, err);
    snprintf(path, sizeof path, "%s/lake/interop.db/kv", dir);
    strom_rmtree(path, NULL);
    if (rc == 0)
        rc = strom_lake_open(path, true, &lk, err);
    strom_tier_source src = {log, "", 0, 0};
    strom_tier_opts to;
    strom_tier_opts_default(&to);
    strom_tier_result res;
    strom_value vals[4 * 64];
    uint8_t ct[64];
    uint64_t h = 7;
    int64_t nchanges = 0;
    for (int run = 0; rc == 0 && run < 2; run++) {
        for (int rec = 0; rc == 0 && rec < 40; rec++) {
            int n = 0;
            while (n < 60) { /* one change of one key: 1 or 2 rows */
                h = mix(h + 1);
                kvrow *r = &state[h % KV_KEYS];
                r->k = (int64_t)(h % KV_KEYS);
                if (r->live && (h >> 20) % 4 == 0) { /* delete: the old row */
                    kv_value(&vals[4 * n], r);
                    ct[n++] = STROM_CHANGE_DELETE;
                    r->live = false;
                    continue;
                }
                if (r->live) { /* update: -U old, +U new */
                    kv_value(&vals[4 * n], r);
                    ct[n++] = STROM_CHANGE_UPDATE_BEFORE;
                }
                uint8_t after = r->live ? STROM_CHANGE_UPDATE_AFTER : STROM_CHANGE_INSERT;
                r->live = true;
                r->d = (int64_t)((h >> 8) % 100000) - 50000;
                snprintf(r->s, sizeof r->s, "v%u", (unsigned)((h >> 30) % 10000));
                kv_value(&vals[4 * n], r);
                ct[n++] = after;
            }
            rc = append_changes(log, bb, vals, ct, n, err);
            nchanges += n;
            strom_bb_reset(bb);
        }
        if (rc == 0)
            rc = strom_tier_run(lk, &d, no_older, NULL, &src, 1, &to, &res, err);
    }
    /* the expected state, by key */
    json_t *columns = json_array();
    for (int c = 0; c < 4; c++) {
        json_t *col = json_array();
        for (int k = 0; k < KV_KEYS; k++) {
            if (!state[k].live)
                continue;
            strom_value v[4];
            kv_value(v, &state[k]);
            json_array_append_new(col, canon_value(&v[c], strom_schema_col_type(s, c)));
        }
        json_array_append_new(columns, col);
    }
    int64_t live = 0;
    for (int k = 0; k < KV_KEYS; k++)
        live += state[k].live;
    snprintf(path, sizeof path, "%s/lake_kv.json", dir);
    json_t *root = json_pack("{s:o, s:[I], s:o, s:I}", "schema", canon_schema(s), "batches",
                             (json_int_t)live, "columns", columns, "changes",
                             (json_int_t)nchanges);
    if (rc == 0 && (!root || json_dump_file(root, path, JSON_COMPACT) < 0))
        rc = strom_error_set(err, STROM_EIO, "%s: cannot write", path);
    json_decref(root);
    strom_log_close(log);
    strom_lake_close(lk);
    strom_bb_free(bb);
    strom_table_desc_free(&d);
    if (rc < 0)
        strom_error_prefix(err, "lake kv");
    return rc;
}

int main(int argc, char **argv)
{
    static const strom_codec codecs[] = {STROM_CODEC_NONE, STROM_CODEC_LZ4_FRAME, STROM_CODEC_ZSTD};
    strom_error err = {0};
    strom_schema *s;
    int rc = 0, n = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: interop_write DIR\n");
        return 2;
    }
    s = make_schema();
    if (!s)
        return 1;
    for (int nulls = NULLS_NONE; rc == 0 && nulls <= NULLS_ALL; nulls++)
        for (size_t c = 0; rc == 0 && c < STROM_ARRAY_LEN(codecs); c++, n++)
            rc = write_all(argv[1], s, nulls, codecs[c], false, &err);
    if (rc == 0 && (rc = write_all(argv[1], s, NULLS_SOME, STROM_CODEC_ZSTD, true, &err)) == 0)
        n++;
    if (rc == 0 && (rc = write_projected(argv[1], s, &err)) == 0)
        n++;
    if (rc == 0 && (rc = write_filtered(argv[1], s, &err)) == 0)
        n++;
    static const strom_pq_codec pq_codecs[] = {STROM_PQ_UNCOMPRESSED, STROM_PQ_SNAPPY,
                                               STROM_PQ_ZSTD};
    for (int nulls = NULLS_NONE; rc == 0 && nulls <= NULLS_ALL; nulls++)
        for (size_t c = 0; rc == 0 && c < STROM_ARRAY_LEN(pq_codecs); c++)
            for (int dict = 0; rc == 0 && dict <= 1; dict++, n++)
                rc = write_parquet(argv[1], s, nulls, pq_codecs[c], dict, &err);
    if (rc == 0 && (rc = write_lake(argv[1], s, &err)) == 0)
        n++;
    if (rc == 0 && (rc = write_lake_kv(argv[1], &err)) == 0)
        n++;
    strom_schema_free(s);
    if (rc < 0) {
        fprintf(stderr, "interop_write: %s (%s)\n", err.msg, strom_error_name(rc));
        return 1;
    }
    printf("interop_write: %d cases in %s\n", n, argv[1]);
    return 0;
}
