/* Unit tests for CSV / JSON Lines ingestion (src/cli/ingest.c): every type in both formats,
 * nulls and empty values, RFC 4180 quoting (delimiters, quotes, newlines, CRLF), headers in
 * any order and their errors, every value error with its line/column message, rows kept
 * before an error and the poisoned reader, limits, chunk boundaries at every byte, a BOM, and
 * the round trip of `strom cat --format csv|jsonl` output (show.c) for the demo table and for
 * edge values. */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/ingest.h"
#include "columnar/ipc.h"
#include "common/common.h"
#include "test.h"

#define US_DAY INT64_C(86400000000)
#define US_S INT64_C(1000000)

enum { C_B, C_I8, C_I16, C_I32, C_I64, C_F32, C_F64, C_DEC, C_S, C_BIN, C_D, C_T, C_TS, C_TSZ,
       NCOLS };

/* Every type; i32 is NOT NULL. */
static strom_schema *all_types(uint8_t dec_p, uint8_t dec_s)
{
    static const struct { const char *name; strom_type_id id; } cols[NCOLS] = {
        {"b", STROM_TYPE_BOOLEAN}, {"i8", STROM_TYPE_TINYINT}, {"i16", STROM_TYPE_SMALLINT},
        {"i32", STROM_TYPE_INT}, {"i64", STROM_TYPE_BIGINT}, {"f32", STROM_TYPE_FLOAT},
        {"f64", STROM_TYPE_DOUBLE}, {"dec", STROM_TYPE_DECIMAL}, {"s", STROM_TYPE_STRING},
        {"bin", STROM_TYPE_BYTES}, {"d", STROM_TYPE_DATE}, {"t", STROM_TYPE_TIME},
        {"ts", STROM_TYPE_TIMESTAMP}, {"tsz", STROM_TYPE_TIMESTAMP_LTZ},
    };
    strom_schema *s = strom_schema_new(1);
    for (int c = 0; c < NCOLS; c++) {
        strom_type t = {cols[c].id, 0, 0};
        if (cols[c].id == STROM_TYPE_DECIMAL)
            t = strom_type_decimal(dec_p, dec_s);
        strom_schema_add(s, cols[c].name, t, c != C_I32, NULL);
    }
    return s;
}

/* The result of feeding a text: the rows appended (sealed and decoded), the return code and
 * error of the first failing call. */
typedef struct run {
    int rc;
    strom_error err;
    int64_t rows, line;
    strom_buf msg;
    strom_batch *b;
} run;

static void run_free(run *r)
{
    strom_batch_free(r->b);
    strom_buf_free(&r->msg);
    memset(r, 0, sizeof *r);
}

/* Feeds `len` bytes of `text` in chunks of `chunk` bytes (0 = all at once) or, with split,
 * as two chunks cut at `split`; then finishes. Seals and decodes whatever was appended. */
static void run_feed(run *r, cli_ingest_format fmt, const strom_schema *s,
                     const cli_ingest_opts *o, const char *text, size_t len, size_t chunk)
{
    memset(r, 0, sizeof *r);
    cli_ingest *in = cli_ingest_new(fmt, s, o);
    strom_batch_builder *bb = strom_bb_new(s);
    CHECK(in && bb);
    const uint8_t *p = (const uint8_t *)text;
    size_t step = chunk ? chunk : (len ? len : 1);
    for (size_t off = 0; off < len && r->rc == 0; off += step)
        r->rc = cli_ingest_feed(in, p + off, STROM_MIN(step, len - off), bb, &r->err);
    if (r->rc == 0)
        r->rc = cli_ingest_finish(in, bb, &r->err);
    r->rows = cli_ingest_rows(in);
    r->line = cli_ingest_line(in);
    CHECK_EQ(strom_bb_rows(bb), r->rows);
    strom_error e2;
    strom_seal_opts so = {STROM_CODEC_NONE, 0};
    CHECK_OK(strom_bb_seal(bb, &so, &r->msg, NULL, &e2), &e2);
    strom_ipc_msg m;
    CHECK_OK(strom_ipc_read_msg(r->msg.data, r->msg.len, &m, &e2), &e2);
    CHECK_OK(strom_ipc_decode_batch(&m, s, s, NULL, &r->b, &e2), &e2);
    strom_bb_free(bb);
    cli_ingest_free(in);
}

static void run_text(run *r, cli_ingest_format fmt, const strom_schema *s,
                     const cli_ingest_opts *o, const char *text)
{
    run_feed(r, fmt, s, o, text, strlen(text), 0);
}

static strom_value cell(const run *r, int col, int64_t row)
{
    strom_value v;
    strom_col_get(&r->b->cols[col], strom_schema_col_type(r->b->schema, col), row, &v);
    return v;
}

static bool is_null(const run *r, int col, int64_t row) { return cell(r, col, row).is_null; }
static int64_t get_i(const run *r, int col, int64_t row) { return cell(r, col, row).u.i; }
static double get_f(const run *r, int col, int64_t row) { return cell(r, col, row).u.f; }
static bool get_b(const run *r, int col, int64_t row) { return cell(r, col, row).u.b; }
static strom_i128 get_d(const run *r, int col, int64_t row) { return cell(r, col, row).u.d; }

static bool get_s_is(const run *r, int col, int64_t row, const void *want, size_t n)
{
    strom_value v = cell(r, col, row);
    return !v.is_null && v.u.s.len == n && (n == 0 || memcmp(v.u.s.ptr, want, n) == 0);
}

static int64_t ts_of(int64_t y, int mo, int d, int h, int mi, int s, int us)
{
    return strom_days_from_civil(y, mo, d) * US_DAY + ((h * 60 + mi) * 60 + s) * US_S + us;
}

/* Exact equality (floats by bits, every NaN equal). */
static bool same_value(const strom_value *a, const strom_value *b, strom_type t)
{
    if (a->is_null || b->is_null)
        return a->is_null == b->is_null;
    switch (t.id) {
    case STROM_TYPE_BOOLEAN: return a->u.b == b->u.b;
    case STROM_TYPE_FLOAT: {
        float x = (float)a->u.f, y = (float)b->u.f;
        return (isnan(x) && isnan(y)) || memcmp(&x, &y, 4) == 0;
    }
    case STROM_TYPE_DOUBLE:
        return (isnan(a->u.f) && isnan(b->u.f)) || memcmp(&a->u.f, &b->u.f, 8) == 0;
    case STROM_TYPE_DECIMAL: return a->u.d == b->u.d;
    case STROM_TYPE_STRING: case STROM_TYPE_BYTES:
        return a->u.s.len == b->u.s.len &&
               (a->u.s.len == 0 || memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0);
    default: return a->u.i == b->u.i;
    }
}

/* ---- every type ---------------------------------------------------------------------------- */

static const char csv_all[] =
    "b,i8,i16,i32,i64,f32,f64,dec,s,bin,d,t,ts,tsz\n"
    "true,-128,32767,-2147483648,-9223372036854775808,1.5,-0.25,12.345,hello,\\xDEADbeef,"
    "2024-02-29,23:59:59.999999,2024-01-02 03:04:05.5,2024-01-02T03:04:05+01:00\n"
    "FALSE,127,-32768,2147483647,9223372036854775807,inf,NaN,-0.005,\"a,b\",00ff,-0044-03-15,"
    "00:00,1970-01-01,1970-01-01 00:00:00Z\n"
    "1,+5,007,0,-0,-Infinity,1e308,99999999.99,\"\",,0001-01-01,12:30:15,2024-01-02,"
    "2024-01-02\n"
    "0,,,1,,,,,,\"\",,,,\n";

/* The same rows as JSON Lines (numbers, strings, booleans, null and missing keys). */
static const char jsonl_all[] =
    "{\"b\":true,\"i8\":-128,\"i16\":32767,\"i32\":-2147483648,\"i64\":-9223372036854775808,"
    "\"f32\":1.5,\"f64\":-0.25,\"dec\":12.345,\"s\":\"hello\",\"bin\":\"\\\\xDEADbeef\","
    "\"d\":\"2024-02-29\",\"t\":\"23:59:59.999999\",\"ts\":\"2024-01-02 03:04:05.5\","
    "\"tsz\":\"2024-01-02T03:04:05+01:00\"}\n"
    "{\"b\":false,\"i8\":127,\"i16\":-32768,\"i32\":2147483647,\"i64\":9223372036854775807,"
    "\"f32\":\"inf\",\"f64\":\"NaN\",\"dec\":\"-0.005\",\"s\":\"a,b\",\"bin\":\"00ff\","
    "\"d\":\"-0044-03-15\",\"t\":\"00:00\",\"ts\":\"1970-01-01\","
    "\"tsz\":\"1970-01-01 00:00:00Z\"}\n"
    "{\"b\":1,\"i8\":5.0,\"i16\":\"007\",\"i32\":0,\"i64\":-0,\"f32\":\"-Infinity\","
    "\"f64\":1e308,\"dec\":99999999.99,\"s\":\"\",\"bin\":null,\"d\":\"0001-01-01\","
    "\"t\":\"12:30:15\",\"ts\":\"2024-01-02\",\"tsz\":\"2024-01-02\"}\n"
    "{\"i32\":1,\"b\":0,\"bin\":\"\"}\n";

static void check_all_rows(const run *r)
{
    CHECK_EQ(r->rc, 0);
    CHECK_EQ(r->rows, 4);
    if (r->rc || r->rows != 4)
        return;
    /* row 0 */
    CHECK(get_b(r, C_B, 0));
    CHECK_EQ(get_i(r, C_I8, 0), -128);
    CHECK_EQ(get_i(r, C_I16, 0), 32767);
    CHECK_EQ(get_i(r, C_I32, 0), INT32_MIN);
    CHECK(get_i(r, C_I64, 0) == INT64_MIN);
    CHECK(get_f(r, C_F32, 0) == 1.5);
    CHECK(get_f(r, C_F64, 0) == -0.25);
    CHECK(get_d(r, C_DEC, 0) == 1235); /* 12.345 rounded half up to 2 decimals */
    CHECK(get_s_is(r, C_S, 0, "hello", 5));
    CHECK(get_s_is(r, C_BIN, 0, "\xde\xad\xbe\xef", 4));
    CHECK_EQ(get_i(r, C_D, 0), strom_days_from_civil(2024, 2, 29));
    CHECK_EQ(get_i(r, C_T, 0), US_DAY - 1);
    CHECK_EQ(get_i(r, C_TS, 0), ts_of(2024, 1, 2, 3, 4, 5, 500000));
    CHECK_EQ(get_i(r, C_TSZ, 0), ts_of(2024, 1, 2, 2, 4, 5, 0));
    /* row 1 */
    CHECK(!get_b(r, C_B, 1));
    CHECK_EQ(get_i(r, C_I8, 1), 127);
    CHECK_EQ(get_i(r, C_I16, 1), -32768);
    CHECK_EQ(get_i(r, C_I32, 1), INT32_MAX);
    CHECK(get_i(r, C_I64, 1) == INT64_MAX);
    CHECK(isinf(get_f(r, C_F32, 1)) && get_f(r, C_F32, 1) > 0);
    CHECK(isnan(get_f(r, C_F64, 1)));
    CHECK(get_d(r, C_DEC, 1) == -1); /* -0.005 -> -0.01 (ties away from zero) */
    CHECK(get_s_is(r, C_S, 1, "a,b", 3));
    CHECK(get_s_is(r, C_BIN, 1, "\x00\xff", 2));
    CHECK_EQ(get_i(r, C_D, 1), strom_days_from_civil(-44, 3, 15));
    CHECK_EQ(get_i(r, C_T, 1), 0);
    CHECK_EQ(get_i(r, C_TS, 1), 0);
    CHECK_EQ(get_i(r, C_TSZ, 1), 0);
    /* row 2 */
    CHECK(get_b(r, C_B, 2));
    CHECK_EQ(get_i(r, C_I8, 2), 5);
    CHECK_EQ(get_i(r, C_I16, 2), 7);
    CHECK_EQ(get_i(r, C_I32, 2), 0);
    CHECK_EQ(get_i(r, C_I64, 2), 0);
    CHECK(isinf(get_f(r, C_F32, 2)) && get_f(r, C_F32, 2) < 0);
    CHECK(get_f(r, C_F64, 2) == 1e308);
    CHECK(get_d(r, C_DEC, 2) == 9999999999);
    CHECK(get_s_is(r, C_S, 2, "", 0)); /* "" is the empty string, not NULL */
    CHECK(is_null(r, C_BIN, 2));
    CHECK_EQ(get_i(r, C_D, 2), strom_days_from_civil(1, 1, 1));
    CHECK_EQ(get_i(r, C_T, 2), (12 * 3600 + 30 * 60 + 15) * US_S);
    CHECK_EQ(get_i(r, C_TS, 2), ts_of(2024, 1, 2, 0, 0, 0, 0));
    CHECK_EQ(get_i(r, C_TSZ, 2), ts_of(2024, 1, 2, 0, 0, 0, 0));
    /* row 3: nulls, and the empty BYTES value */
    CHECK(!get_b(r, C_B, 3));
    CHECK_EQ(get_i(r, C_I32, 3), 1);
    for (int c = 0; c < NCOLS; c++)
        if (c != C_B && c != C_I32 && c != C_BIN)
            CHECK(is_null(r, c, 3));
    CHECK(get_s_is(r, C_BIN, 3, "", 0));
}

TEST(csv_every_type)
{
    strom_schema *s = all_types(10, 2);
    run r;
    run_text(&r, CLI_INGEST_CSV, s, NULL, csv_all);
    if (r.rc)
        printf("  %s\n", r.err.msg);
    check_all_rows(&r);
    CHECK_EQ(r.line, 5);
    run_free(&r);
    strom_schema_free(s);
}

TEST(jsonl_every_type_and_same_batch_as_csv)
{
    strom_schema *s = all_types(10, 2);
    run r, c;
    run_text(&r, CLI_INGEST_JSONL, s, NULL, jsonl_all);
    if (r.rc)
        printf("  %s\n", r.err.msg);
    check_all_rows(&r);
    CHECK_EQ(r.line, 4);
    run_text(&c, CLI_INGEST_CSV, s, NULL, csv_all);
    CHECK(r.msg.len == c.msg.len && memcmp(r.msg.data, c.msg.data, r.msg.len) == 0);
    run_free(&r);
    run_free(&c);
    strom_schema_free(s);
}

TEST(real_spellings)
{
    strom_schema *s = strom_schema_new(1);
    strom_schema_add(s, "f", strom_type_of(STROM_TYPE_FLOAT), true, NULL);
    strom_schema_add(s, "g", strom_type_of(STROM_TYPE_DOUBLE), true, NULL);
    cli_ingest_opts o;
    cli_ingest_opts_init(&o);
    o.header = false;
    run r;
    run_text(&r, CLI_INGEST_CSV, s, &o,
             "NAN,-nan\nINF,+Infinity\n-inf,-INFINITY\n.5,5.\n1E2,-1e-2\n0.1,0.1\n1e-400,-0\n"
             "3.4028235e38,4.9e-324\n");
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(r.rows, 8);
    CHECK(isnan(get_f(&r, 0, 0)) && isnan(get_f(&r, 1, 0)));
    CHECK(get_f(&r, 0, 1) == INFINITY && get_f(&r, 1, 1) == INFINITY);
    CHECK(get_f(&r, 0, 2) == -INFINITY && get_f(&r, 1, 2) == -INFINITY);
    CHECK(get_f(&r, 0, 3) == 0.5 && get_f(&r, 1, 3) == 5.0);
    CHECK(get_f(&r, 0, 4) == 100.0 && get_f(&r, 1, 4) == -0.01);
    CHECK(get_f(&r, 0, 5) == (double)0.1f && get_f(&r, 1, 5) == 0.1); /* FLOAT rounds to float */
    CHECK(get_f(&r, 0, 6) == 0.0 && get_f(&r, 1, 6) == 0.0 && signbit(get_f(&r, 1, 6)));
    CHECK(get_f(&r, 0, 7) == (double)FLT_MAX && get_f(&r, 1, 7) == 4.9e-324);
    run_free(&r);
    /* rejected: hex floats, blanks, nan(...), a lone dot or sign, 1e */
    static const char *const bad[] = {"0x1p3", " 1", "1 ", "nan(1)", ".", "-", "1e", "1e+",
                                      "infinit", "1,5"};
    for (size_t i = 0; i < STROM_ARRAY_LEN(bad); i++) {
        char text[64];
        snprintf(text, sizeof text, ",\"%s\"\n", bad[i]);
        run_text(&r, CLI_INGEST_CSV, s, &o, text);
        CHECK_EQ(r.rc, STROM_EPARSE);
        run_free(&r);
    }
    strom_schema_free(s);
}

TEST(integer_and_boolean_edges)
{
    strom_schema *s = all_types(38, 0);
    cli_ingest_opts o;
    cli_ingest_opts_init(&o);
    run r;
    run_text(&r, CLI_INGEST_CSV, s, &o,
             "i32,i8,i16,i64,b\n"
             "-0,-0128,+0032767,00000000000000000000009223372036854775807,TrUe\n"
             "2147483647,127,-32768,-9223372036854775808,fAlSe\n");
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(r.rows, 2);
    CHECK_EQ(get_i(&r, C_I8, 0), -128);
    CHECK(get_i(&r, C_I64, 0) == INT64_MAX);
    CHECK(get_b(&r, C_B, 0) && !get_b(&r, C_B, 1));
    run_free(&r);
    static const struct { const char *text; int col; int code; } bad[] = {
        {"128", C_I8, STROM_ERANGE}, {"-129", C_I8, STROM_ERANGE},
        {"32768", C_I16, STROM_ERANGE}, {"2147483648", C_I32, STROM_ERANGE},
        {"9223372036854775808", C_I64, STROM_ERANGE},
        {"-9223372036854775809", C_I64, STROM_ERANGE},
        {"99999999999999999999999", C_I64, STROM_ERANGE}, {"1.5", C_I32, STROM_EPARSE},
        {"1e3", C_I32, STROM_EPARSE}, {"+", C_I32, STROM_EPARSE}, {"0x10", C_I32, STROM_EPARSE},
        {" 1", C_I32, STROM_EPARSE}, {"yes", C_B, STROM_EPARSE}, {"2", C_B, STROM_EPARSE},
    };
    for (size_t i = 0; i < STROM_ARRAY_LEN(bad); i++) {
        char text[128];
        const char *name = strom_schema_col_name(s, bad[i].col);
        if (bad[i].col == C_I32)
            snprintf(text, sizeof text, "i32\n%s\n", bad[i].text);
        else
            snprintf(text, sizeof text, "i32,%s\n1,%s\n", name, bad[i].text);
        run_text(&r, CLI_INGEST_CSV, s, &o, text);
        CHECK_EQ(r.rc, bad[i].code);
        char want[160];
        snprintf(want, sizeof want, "line 2, column '%s': '%s' %s", name, bad[i].text,
                 bad[i].code == STROM_ERANGE ? "is out of range for" : "is not a valid");
        if (strncmp(r.err.msg, want, strlen(want)) != 0)
            printf("  got \"%s\"\n  want \"%s...\"\n", r.err.msg, want);
        CHECK(strncmp(r.err.msg, want, strlen(want)) == 0);
        run_free(&r);
    }
    strom_schema_free(s);
}

/* ---- CSV structure ------------------------------------------------------------------------- */

TEST(csv_quoting_and_line_numbers)
{
    strom_schema *s = all_types(10, 2);
    run r;
    run_text(&r, CLI_INGEST_CSV, s, NULL,
             "s,i32\n"
             "\"a,b\",1\n"
             "\"say \"\"hi\"\"\",2\n"
             "\"two\nlines\",3\n"
             "\"crlf\r\ninside\",4\n"
             "\"\"\"\",5\n"
             "lone\rcr,6\n"
             "\"\",7\n"
             "h\xc3\xa9llo \xe2\x9c\x93,8\n"
             "\"x\",9");
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(r.rows, 9);
    CHECK(get_s_is(&r, C_S, 0, "a,b", 3));
    CHECK(get_s_is(&r, C_S, 1, "say \"hi\"", 8));
    CHECK(get_s_is(&r, C_S, 2, "two\nlines", 9));
    CHECK(get_s_is(&r, C_S, 3, "crlf\r\ninside", 12));
    CHECK(get_s_is(&r, C_S, 4, "\"", 1));
    CHECK(get_s_is(&r, C_S, 5, "lone\rcr", 7));
    CHECK(get_s_is(&r, C_S, 6, "", 0));
    CHECK(get_s_is(&r, C_S, 7, "h\xc3\xa9llo \xe2\x9c\x93", 10));
    CHECK(get_s_is(&r, C_S, 8, "x", 1));
    CHECK_EQ(get_i(&r, C_I32, 8), 9);
    CHECK_EQ(r.line, 12); /* the last record starts on line 12: two records span 2 lines */
    run_free(&r);
    /* an error after multi-line records names the physical line */
    run_text(&r, CLI_INGEST_CSV, s, NULL, "s,i32\n\"a\nb\",1\n\"c\r\nd\",2\nx,y\n");
    CHECK_EQ(r.rc, STROM_EPARSE);
    CHECK_EQ(r.rows, 2);
    CHECK_EQ(r.line, 6);
    CHECK_STR(r.err.msg, "line 6, column 'i32': 'y' is not a valid INT");
    run_free(&r);
    strom_schema_free(s);
}

TEST(csv_structure_errors)
{
    strom_schema *s = all_types(10, 2);
    static const struct { const char *text; int code; const char *msg; } cases[] = {
        {"i32,s\n1,a\n2,b\"c\n", STROM_EPARSE,
         "line 3: a quote inside an unquoted field (quote the whole field and double the "
         "quote)"},
        {"i32,s\n1,a\n2,\"b\"c\n", STROM_EPARSE,
         "line 3: 'c' after a closing quote (expected a delimiter or a line end)"},
        {"i32,s\n1,a\n2,\"b\"\rc\n", STROM_EPARSE,
         "line 3: '\\x0d' after a closing quote (expected a delimiter or a line end)"},
        {"i32,s\n1,a\n2,\"open\nstill open", STROM_EPARSE,
         "line 3: the input ends inside a quoted field"},
        {"i32,s\n1,a\n2\n", STROM_EPARSE, "line 3: 1 field, expected 2"},
        {"i32,s\n1,a\n2,b,c\n", STROM_EPARSE, "line 3: more than 2 fields"},
        {"i32,s\n1,a\n,b\n", STROM_EINVAL, "line 3, column 'i32': NULL for a NOT NULL column"},
        {"i32,s\n1,a\n2,\xff\n", STROM_EINVAL,
         "line 3, column 's': invalid UTF-8 at byte 0 of the value"},
        {"i32,zzz\n", STROM_EINVAL, "line 1: unknown column 'zzz' in the header"},
        {"\"\"\n", STROM_EINVAL, "line 1: unknown column '' in the header"}, /* empty record */
        {"i32,\"a\"\"b\"\n", STROM_EINVAL, "line 1: unknown column 'a\"b' in the header"},
        {"i32,s,i32\n", STROM_EINVAL, "line 1: column 'i32' appears twice in the header"},
        {"s,b\n", STROM_EINVAL, "line 1: the header lacks NOT NULL column 'i32'"},
        {"b,i8,i16,i32,i64,f32,f64,dec,s,bin,d,t,ts,tsz,x\n", STROM_EPARSE,
         "line 1: more than 14 fields (the table's columns)"},
    };
    for (size_t i = 0; i < STROM_ARRAY_LEN(cases); i++) {
        run r;
        run_text(&r, CLI_INGEST_CSV, s, NULL, cases[i].text);
        CHECK_EQ(r.rc, cases[i].code);
        CHECK_STR(r.err.msg, cases[i].msg);
        CHECK_EQ(r.rows, strstr(cases[i].msg, "line 1") ? 0 : 1); /* rows before stay */
        run_free(&r);
    }
    strom_schema_free(s);
}

/* Every value error: the message names line and column and quotes the text. */
TEST(csv_value_errors)
{
    strom_schema *s = all_types(10, 2);
    static const char head[] = "b,i8,i16,i32,i64,f32,f64,dec,s,bin,d,t,ts,tsz\n";
    static const char *const good[NCOLS] = {
        "true", "1", "2", "3", "4", "5.5", "6.5", "7.25", "str", "0a0b", "2024-01-01",
        "01:02:03", "2024-01-01 01:02:03", "2024-01-01 01:02:03Z"};
    static const struct { int col; const char *text; int code; const char *msg; } cases[] = {
        {C_B, "yes", STROM_EPARSE, "'yes' is not a valid BOOLEAN: expected true, false, 1 or 0"},
        {C_I8, "300", STROM_ERANGE, "'300' is out of range for TINYINT"},
        {C_I16, "1.5", STROM_EPARSE, "'1.5' is not a valid SMALLINT"},
        {C_I64, "12abc", STROM_EPARSE, "'12abc' is not a valid BIGINT"},
        {C_F32, "1e39", STROM_ERANGE, "'1e39' is out of range for FLOAT"},
        {C_F64, "abc", STROM_EPARSE, "'abc' is not a valid DOUBLE"},
        {C_F64, "1e999", STROM_ERANGE, "'1e999' is out of range for DOUBLE"},
        {C_DEC, "abc", STROM_EPARSE, "'abc' is not a valid DECIMAL(10,2)"},
        {C_DEC, "123456789", STROM_ERANGE, "'123456789' does not fit DECIMAL(10,2)"},
        {C_BIN, "abc", STROM_EPARSE, "'abc' is not a valid BYTES: an odd number of hex digits"},
        {C_BIN, "\\xzz", STROM_EPARSE, "'\\xzz' is not a valid BYTES: expected hex digits"},
        {C_D, "2024-13-01", STROM_ERANGE,
         "'2024-13-01' is not a valid DATE: month 13 is not in 01..12"},
        {C_D, "20240101", STROM_EPARSE, "'20240101' is not a valid DATE: expected YYYY-MM-DD"},
        {C_T, "25:00", STROM_ERANGE, "'25:00' is not a valid TIME: hour out of range"},
        {C_TS, "2024-01-01 00:00Z", STROM_EPARSE, NULL},
        {C_TSZ, "2024-01-01 00:00+25", STROM_EPARSE, NULL},
        {C_F64, "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij", STROM_EPARSE,
         "'abcdefghijabcdefghijabcdefghijabcdefghij...' is not a valid DOUBLE"},
        {C_S, "\"tab\there\"", STROM_EINVAL, NULL}, /* a valid string: no error (see below) */
    };
    for (size_t i = 0; i < STROM_ARRAY_LEN(cases); i++) {
        char text[1024];
        size_t n = (size_t)snprintf(text, sizeof text, "%s", head);
        for (int row = 0; row < 2; row++)
            for (int c = 0; c < NCOLS; c++)
                n += (size_t)snprintf(text + n, sizeof text - n, "%s%s%s", c ? "," : "",
                                      row == 1 && c == cases[i].col ? cases[i].text : good[c],
                                      c == NCOLS - 1 ? "\n" : "");
        run r;
        run_text(&r, CLI_INGEST_CSV, s, NULL, text);
        if (cases[i].col == C_S) {
            CHECK_EQ(r.rc, 0);
            CHECK(get_s_is(&r, C_S, 1, "tab\there", 8));
            run_free(&r);
            continue;
        }
        CHECK_EQ(r.rc, cases[i].code);
        CHECK_EQ(r.rows, 1);
        CHECK_EQ(r.line, 3);
        char want[300];
        snprintf(want, sizeof want, "line 3, column '%s': %s",
                 strom_schema_col_name(s, cases[i].col), cases[i].msg ? cases[i].msg : "");
        if (cases[i].msg)
            CHECK_STR(r.err.msg, want);
        else
            CHECK(strncmp(r.err.msg, want, strlen(want)) == 0);
        run_free(&r);
    }
    strom_schema_free(s);
}

TEST(csv_headers_delimiters_nulls_blank_lines)
{
    strom_schema *s = all_types(10, 2);
    cli_ingest_opts o;
    cli_ingest_opts_init(&o);
    run r;
    /* another order, a subset: the missing nullable columns are NULL */
    run_text(&r, CLI_INGEST_CSV, s, &o, "tsz,s,i32\n2024-01-01,x,7\n,,8\n");
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(r.rows, 2);
    CHECK_EQ(get_i(&r, C_I32, 0), 7);
    CHECK(get_s_is(&r, C_S, 0, "x", 1));
    CHECK_EQ(get_i(&r, C_TSZ, 0), ts_of(2024, 1, 1, 0, 0, 0, 0));
    CHECK(is_null(&r, C_B, 0) && is_null(&r, C_DEC, 1) && is_null(&r, C_S, 1));
    run_free(&r);
    /* blank lines are skipped (a wider table cannot have an empty row); quoted header names */
    run_text(&r, CLI_INGEST_CSV, s, &o, "\n\"i32\",\"s\"\n\n1,a\r\n\r\n2,b\n\n");
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(r.rows, 2);
    CHECK_EQ(r.line, 6);
    run_free(&r);
    /* no header: the schema's columns in order; delimiter ';' */
    o.header = false;
    o.delimiter = ';';
    run_text(&r, CLI_INGEST_CSV, s, &o, ";;;5;;;;1,5;a,b;;;;;\n");
    CHECK_EQ(r.rc, STROM_EPARSE); /* 1,5 is no DECIMAL */
    CHECK_STR(r.err.msg, "line 1, column 'dec': '1,5' is not a valid DECIMAL(10,2)");
    run_free(&r);
    run_text(&r, CLI_INGEST_CSV, s, &o, ";;;5;;;;1.5;a,b;;;;;\n");
    CHECK_EQ(r.rc, 0);
    CHECK(get_s_is(&r, C_S, 0, "a,b", 3));
    CHECK(get_d(&r, C_DEC, 0) == 150);
    run_free(&r);
    /* tab, and a NULL spelling: then the empty field is an empty value */
    o.delimiter = '\t';
    o.null_text = "\\N";
    o.header = true;
    run_text(&r, CLI_INGEST_CSV, s, &o, "i32\ts\tbin\tb\n1\t\\N\t\t\\N\n2\t\t\\N\t\"\\N\"\n");
    CHECK_EQ(r.rc, STROM_EPARSE); /* "\N" quoted is text, not a valid BOOLEAN */
    CHECK_EQ(r.rows, 1);
    CHECK(is_null(&r, C_S, 0) && is_null(&r, C_B, 0));
    CHECK(get_s_is(&r, C_BIN, 0, "", 0));
    CHECK_STR(r.err.msg, "line 3, column 'b': '\\N' is not a valid BOOLEAN: expected true, "
                         "false, 1 or 0");
    run_free(&r);
    run_text(&r, CLI_INGEST_CSV, s, &o, "i32\tb\n\t1\n");
    CHECK_EQ(r.rc, STROM_EPARSE);
    CHECK_STR(r.err.msg, "line 2, column 'i32': '' is not a valid INT");
    run_free(&r);
    /* a one-column table: a blank line is a row with that column empty (NULL) */
    strom_schema *one = strom_schema_new(1);
    strom_schema_add(one, "x", strom_type_of(STROM_TYPE_STRING), true, NULL);
    cli_ingest_opts_init(&o);
    run_text(&r, CLI_INGEST_CSV, one, &o, "x\na\n\n\"\"\n");
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(r.rows, 3);
    CHECK(is_null(&r, 0, 1) && get_s_is(&r, 0, 2, "", 0));
    run_free(&r);
    strom_schema_free(one);
    /* invalid delimiters */
    o.delimiter = '"';
    CHECK(cli_ingest_new(CLI_INGEST_CSV, s, &o) == NULL);
    o.delimiter = '\n';
    CHECK(cli_ingest_new(CLI_INGEST_CSV, s, &o) == NULL);
    strom_schema_free(s);
}

TEST(crlf_and_bom)
{
    strom_schema *s = all_types(10, 2);
    strom_buf crlf = STROM_BUF_INIT;
    for (const char *p = csv_all; *p; p++) {
        if (*p == '\n')
            strom_buf_append(&crlf, "\r", 1);
        strom_buf_append(&crlf, p, 1);
    }
    run a, b, c;
    run_text(&a, CLI_INGEST_CSV, s, NULL, csv_all);
    run_feed(&b, CLI_INGEST_CSV, s, NULL, (const char *)crlf.data, crlf.len, 0);
    CHECK_EQ(b.rc, 0);
    CHECK(a.msg.len == b.msg.len && memcmp(a.msg.data, b.msg.data, a.msg.len) == 0);
    run_free(&b);
    /* a UTF-8 byte order mark before the header is skipped */
    strom_buf bom = STROM_BUF_INIT;
    strom_buf_append(&bom, "\xEF\xBB\xBF", 3);
    strom_buf_append(&bom, csv_all, strlen(csv_all));
    run_feed(&b, CLI_INGEST_CSV, s, NULL, (const char *)bom.data, bom.len, 1);
    CHECK_EQ(b.rc, 0);
    CHECK(a.msg.len == b.msg.len && memcmp(a.msg.data, b.msg.data, a.msg.len) == 0);
    run_free(&b);
    /* JSONL with CRLF */
    strom_buf_reset(&crlf);
    for (const char *p = jsonl_all; *p; p++) {
        if (*p == '\n')
            strom_buf_append(&crlf, "\r", 1);
        strom_buf_append(&crlf, p, 1);
    }
    run_feed(&c, CLI_INGEST_JSONL, s, NULL, (const char *)crlf.data, crlf.len, 0);
    CHECK_EQ(c.rc, 0);
    CHECK(a.msg.len == c.msg.len && memcmp(a.msg.data, c.msg.data, a.msg.len) == 0);
    run_free(&c);
    /* a partial BOM is data */
    run_text(&c, CLI_INGEST_CSV, s, NULL, "\xEF\xBBi32\n1\n");
    CHECK_EQ(c.rc, STROM_EINVAL);
    CHECK_STR(c.err.msg, "line 1: unknown column '\\xef\\xbbi32' in the header");
    run_free(&c);
    run_free(&a);
    strom_buf_free(&crlf);
    strom_buf_free(&bom);
    strom_schema_free(s);
}

/* ---- JSON Lines ------------------------------------------------------------------------------ */

TEST(jsonl_values_and_errors)
{
    strom_schema *s = all_types(38, 4);
    run r;
    run_text(&r, CLI_INGEST_JSONL, s, NULL,
             "\n  \t\n"
             "{\"i32\":1.0,\"i64\":1e18,\"dec\":123456789012345,\"f32\":16777217,"
             "\"s\":\"nul\\u0000inside \\u00e9\",\"b\":\"TRUE\",\"f64\":\"-0\"}\n"
             "{\"i32\":2,\"dec\":\"12345678901234567890123456789012.3456\",\"f64\":-0.0,"
             "\"i64\":\"-9223372036854775808\",\"dec\":null}\n");
    CHECK_EQ(r.rc, STROM_EPARSE); /* the second object repeats "dec" */
    CHECK_EQ(r.rows, 1);
    CHECK_EQ(r.line, 4);
    CHECK(strstr(r.err.msg, "line 4: invalid JSON at byte") == r.err.msg);
    CHECK(strstr(r.err.msg, "duplicate object key") != NULL);
    CHECK_EQ(get_i(&r, C_I32, 0), 1);
    CHECK_EQ(get_i(&r, C_I64, 0), INT64_C(1000000000000000000));
    CHECK(get_d(&r, C_DEC, 0) == (strom_i128)1234567890123450000);
    CHECK(get_f(&r, C_F32, 0) == 16777216.0);
    CHECK(get_s_is(&r, C_S, 0, "nul\0inside \xc3\xa9", 13));
    CHECK(get_b(&r, C_B, 0));
    CHECK(get_f(&r, C_F64, 0) == 0 && signbit(get_f(&r, C_F64, 0)));
    run_free(&r);
    run_text(&r, CLI_INGEST_JSONL, s, NULL,
             "{\"i32\":2,\"dec\":\"12345678901234567890123456789012.3456\",\"f64\":-0.0,"
             "\"i64\":\"-9223372036854775808\"}");
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(r.rows, 1);
    strom_i128 big = (strom_i128)123456789012345678 * 1000000000000000000 +
                     (strom_i128)901234567890123456;
    CHECK(get_d(&r, C_DEC, 0) == big);
    CHECK(get_f(&r, C_F64, 0) == 0 && signbit(get_f(&r, C_F64, 0)));
    CHECK(get_i(&r, C_I64, 0) == INT64_MIN);
    run_free(&r);

    static const struct { const char *line; int code; const char *msg; } cases[] = {
        {"{\"i32\":1,\"nope\":2}", STROM_EINVAL, "line 2: unknown column 'nope'"},
        {"{\"i32\":1", STROM_EPARSE, "line 2: invalid JSON at byte"},
        {"[1,2]", STROM_EPARSE, "line 2: expected a JSON object, got a JSON array"},
        {"7", STROM_EPARSE, "line 2: expected a JSON object, got a JSON number"},
        {"{\"i32\":1} {}", STROM_EPARSE, "line 2: invalid JSON at byte"},
        {"{\"s\":\"x\"}", STROM_EINVAL, "line 2, column 'i32': no value for a NOT NULL column"},
        {"{\"i32\":null}", STROM_EINVAL, "line 2, column 'i32': null for a NOT NULL column"},
        {"{\"i32\":1,\"i8\":1.5}", STROM_EPARSE,
         "line 2, column 'i8': '1.5' is not a valid TINYINT: not an integer"},
        {"{\"i32\":1,\"i8\":128}", STROM_ERANGE,
         "line 2, column 'i8': '128' is out of range for TINYINT"},
        {"{\"i32\":1,\"i64\":1e19}", STROM_ERANGE,
         "line 2, column 'i64': '1e+19' is out of range for BIGINT"},
        {"{\"i32\":1,\"i64\":99999999999999999999}", STROM_EPARSE, "line 2: invalid JSON at byte"},
        {"{\"i32\":1,\"f32\":1e39}", STROM_ERANGE,
         "line 2, column 'f32': '1e+39' is out of range for FLOAT"},
        {"{\"i32\":1,\"s\":5}", STROM_EINVAL,
         "line 2, column 's': a JSON number is not a valid STRING"},
        {"{\"i32\":{\"a\":1}}", STROM_EINVAL,
         "line 2, column 'i32': a JSON object is not a valid INT"},
        {"{\"i32\":1,\"d\":true}", STROM_EINVAL, "line 2, column 'd': JSON true is not a valid DATE"},
        {"{\"i32\":1,\"b\":2}", STROM_EPARSE,
         "line 2, column 'b': '2' is not a valid BOOLEAN: expected true, false, 1 or 0"},
        {"{\"i32\":1,\"dec\":0.12345678901234567}", STROM_EPARSE,
         "line 2, column 'dec': '0.12345678901234566' is not a valid DECIMAL(38,4): a JSON number "
         "with more than 15 significant digits (send the value as a string)"},
        {"{\"i32\":1,\"d\":\"2024-02-30\"}", STROM_ERANGE,
         "line 2, column 'd': '2024-02-30' is not a valid DATE: day 30 is not in month 02"},
        {"{\"i32\":1,\"bin\":\"0g\"}", STROM_EPARSE,
         "line 2, column 'bin': '0g' is not a valid BYTES: expected hex digits"},
        {"{\"i32\":1,\"s\":\"\xff\"}", STROM_EPARSE, "line 2: invalid JSON at byte"},
    };
    for (size_t i = 0; i < STROM_ARRAY_LEN(cases); i++) {
        char text[512];
        snprintf(text, sizeof text, "{\"i32\":0}\n%s\n{\"i32\":3}\n", cases[i].line);
        run_text(&r, CLI_INGEST_JSONL, s, NULL, text);
        CHECK_EQ(r.rc, cases[i].code);
        if (strncmp(r.err.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
            printf("  case %zu: got \"%s\"\n", i, r.err.msg);
        CHECK(strncmp(r.err.msg, cases[i].msg, strlen(cases[i].msg)) == 0);
        CHECK_EQ(r.rows, 1);
        CHECK_EQ(r.line, 2);
        run_free(&r);
    }
    strom_schema_free(s);
}

/* ---- the reader's life: poisoned after an error, limits -------------------------------------- */

TEST(poisoned_after_error_and_finished)
{
    strom_schema *s = all_types(10, 2);
    cli_ingest *in = cli_ingest_new(CLI_INGEST_CSV, s, NULL);
    strom_batch_builder *bb = strom_bb_new(s);
    strom_error err;
    const char *t1 = "i32\n1\nx\n", *t2 = "2\n";
    CHECK_EQ(cli_ingest_feed(in, (const uint8_t *)t1, strlen(t1), bb, &err), STROM_EPARSE);
    CHECK_EQ(cli_ingest_rows(in), 1);
    CHECK_EQ(cli_ingest_feed(in, (const uint8_t *)t2, strlen(t2), bb, &err), STROM_ESTATE);
    CHECK_STR(err.msg, "input stopped at line 3 by an earlier error");
    CHECK_EQ(cli_ingest_finish(in, bb, &err), STROM_ESTATE);
    CHECK_EQ(strom_bb_rows(bb), 1);
    cli_ingest_free(in);
    in = cli_ingest_new(CLI_INGEST_JSONL, s, NULL);
    CHECK_OK(cli_ingest_finish(in, bb, &err), &err); /* empty input: no rows, no error */
    CHECK_EQ(cli_ingest_feed(in, (const uint8_t *)t2, strlen(t2), bb, &err), STROM_ESTATE);
    cli_ingest_free(in);
    /* a NULL error pointer is fine */
    in = cli_ingest_new(CLI_INGEST_CSV, s, NULL);
    CHECK_EQ(cli_ingest_feed(in, (const uint8_t *)t1, strlen(t1), bb, NULL), STROM_EPARSE);
    cli_ingest_free(in);
    strom_bb_free(bb);
    strom_schema_free(s);
}

TEST(limits)
{
    strom_schema *s = all_types(10, 2);
    cli_ingest_opts o;
    cli_ingest_opts_init(&o);
    o.max_record = 16;
    run r;
    run_text(&r, CLI_INGEST_CSV, s, &o, "i32,s\n1,0123456789abc\n2,0123456789abcdefg\n");
    CHECK_EQ(r.rc, STROM_ELIMIT);
    CHECK_EQ(r.rows, 1);
    CHECK_STR(r.err.msg, "line 3: a record longer than 16 bytes");
    run_free(&r);
    /* the limit counts a quoted record across its lines */
    run_text(&r, CLI_INGEST_CSV, s, &o, "i32,s\n1,\"a\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\"\n");
    CHECK_EQ(r.rc, STROM_ELIMIT);
    CHECK_STR(r.err.msg, "line 2: a record longer than 16 bytes");
    run_free(&r);
    o.max_record = 12;
    run_text(&r, CLI_INGEST_JSONL, s, &o, "{\"i32\":1}\n{\"i32\":10000}\n");
    CHECK_EQ(r.rc, STROM_ELIMIT);
    CHECK_EQ(r.rows, 1);
    CHECK_STR(r.err.msg, "line 2: a line longer than 12 bytes");
    run_free(&r);
    /* JSON nesting is bounded by jansson: deep input is an error, not a stack overflow */
    o.max_record = 0;
    strom_buf deep = STROM_BUF_INIT;
    strom_buf_append(&deep, "{\"i32\":", 7);
    for (int i = 0; i < 100000; i++)
        strom_buf_append(&deep, "[", 1);
    strom_buf_append(&deep, "\n", 1);
    run_feed(&r, CLI_INGEST_JSONL, s, &o, (const char *)deep.data, deep.len, 0);
    CHECK_EQ(r.rc, STROM_EPARSE);
    run_free(&r);
    strom_buf_free(&deep);
    strom_schema_free(s);
}

/* ---- chunk boundaries ------------------------------------------------------------------------ */

/* Feeding one byte at a time, and in two chunks cut at every position, gives the same bytes
 * (and the same error) as feeding everything at once. */
static void check_chunking(cli_ingest_format fmt, const strom_schema *s, const char *text,
                           size_t len)
{
    run whole, part;
    run_feed(&whole, fmt, s, NULL, text, len, 0);
    run_feed(&part, fmt, s, NULL, text, len, 1);
    CHECK_EQ(part.rc, whole.rc);
    CHECK_STR(part.err.msg, whole.err.msg);
    CHECK(part.msg.len == whole.msg.len && memcmp(part.msg.data, whole.msg.data, part.msg.len) == 0);
    run_free(&part);
    int bad = 0;
    for (size_t cut = 1; cut < len; cut++) {
        memset(&part, 0, sizeof part);
        cli_ingest *in = cli_ingest_new(fmt, s, NULL);
        strom_batch_builder *bb = strom_bb_new(s);
        strom_error err = {0};
        int rc = cli_ingest_feed(in, (const uint8_t *)text, cut, bb, &err);
        if (rc == 0)
            rc = cli_ingest_feed(in, (const uint8_t *)text + cut, len - cut, bb, &err);
        if (rc == 0)
            rc = cli_ingest_finish(in, bb, &err);
        strom_seal_opts so = {STROM_CODEC_NONE, 0};
        strom_buf msg = STROM_BUF_INIT;
        strom_bb_seal(bb, &so, &msg, NULL, NULL);
        if (rc != whole.rc || strcmp(err.msg, whole.err.msg) != 0 || msg.len != whole.msg.len ||
            memcmp(msg.data, whole.msg.data, msg.len) != 0) {
            if (bad++ < 3)
                printf("  cut at %zu differs: %d %s\n", cut, rc, err.msg);
        }
        strom_buf_free(&msg);
        strom_bb_free(bb);
        cli_ingest_free(in);
    }
    CHECK_EQ(bad, 0);
    run_free(&whole);
}

TEST(chunk_boundaries_at_every_byte)
{
    strom_schema *s = all_types(10, 2);
    static const char csv_tricky[] =
        "\xEF\xBB\xBF\"s\",i32,bin\r\n"
        "\"a,\"\"b\"\"\r\nc\",1,\\x00ff\r\n"
        "h\xc3\xa9llo \xe2\x9c\x93,2,\"\"\r\n"
        "\r\n"
        "lone\rcr,3,\n"
        "\"\",4,ab";
    check_chunking(CLI_INGEST_CSV, s, csv_all, strlen(csv_all));
    check_chunking(CLI_INGEST_CSV, s, csv_tricky, strlen(csv_tricky));
    check_chunking(CLI_INGEST_JSONL, s, jsonl_all, strlen(jsonl_all));
    static const char jsonl_tricky[] =
        "\xEF\xBB\xBF{\"i32\":1,\"s\":\"line\\nbreak \\u00e9\"}\r\n\r\n   \n"
        "{\"i32\":2,\"bin\":\"\\\\x0a\"}";
    check_chunking(CLI_INGEST_JSONL, s, jsonl_tricky, strlen(jsonl_tricky));
    /* errors too: the same message whatever the cut */
    static const char csv_err[] = "i32,s\n1,\"a\nb\"\n2,\"x\"y\n";
    check_chunking(CLI_INGEST_CSV, s, csv_err, strlen(csv_err));
    static const char jsonl_err[] = "{\"i32\":1}\n\n{\"i32\":\"x\"}\n";
    check_chunking(CLI_INGEST_JSONL, s, jsonl_err, strlen(jsonl_err));
    strom_schema_free(s);
}

/* ---- round trips through the printers of show.c ------------------------------------------- */

/* Prints the batches with cli_printer in `fmt`, parses the text back (in 1000-byte chunks)
 * and compares every value with the originals. */
static void check_round_trip(const strom_schema *s, strom_batch *const *batches, int nb,
                             cli_format pfmt)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cli_printer *p = cli_printer_new(f, pfmt, s, -1);
    int ncols = strom_schema_ncols(s);
    int *cols = calloc((size_t)ncols, sizeof *cols);
    for (int c = 0; c < ncols; c++)
        cols[c] = c;
    int64_t total = 0;
    for (int i = 0; i < nb; i++) {
        CHECK_EQ(cli_printer_rows(p, batches[i], NULL, cols, ncols), 0);
        total += batches[i]->rows;
    }
    CHECK_EQ(cli_printer_finish(p), 0);
    cli_printer_free(p);
    fclose(f);
    run r;
    run_feed(&r, pfmt == CLI_FMT_CSV ? CLI_INGEST_CSV : CLI_INGEST_JSONL, s, NULL, text, len,
             1000);
    if (r.rc)
        printf("  %s\n", r.err.msg);
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(r.rows, total);
    int bad = 0;
    int64_t row = 0;
    for (int i = 0; i < nb && r.rows == total; i++)
        for (int64_t k = 0; k < batches[i]->rows; k++, row++)
            for (int c = 0; c < ncols; c++) {
                strom_type t = strom_schema_col_type(s, c);
                strom_value want, got;
                strom_col_get(&batches[i]->cols[c], t, k, &want);
                got = cell(&r, c, row);
                if (!same_value(&want, &got, t) && bad++ < 5) {
                    char a[128], b[128];
                    strom_value_format(&want, t.scale, a, sizeof a);
                    strom_value_format(&got, t.scale, b, sizeof b);
                    printf("  %s row %lld col %d: want %s got %s\n",
                           pfmt == CLI_FMT_CSV ? "csv" : "jsonl", (long long)row, c, a, b);
                }
            }
    CHECK_EQ(bad, 0);
    run_free(&r);
    free(cols);
    free(text);
}

TEST(round_trip_demo_table)
{
    strom_schema *s = cli_gen_schema();
    cli_gen_opts o = {.rows = 3000, .batch_rows = 700, .null_ratio = 0.2, .seed = 42,
                      .seal = {STROM_CODEC_NONE, 0}};
    strom_buf table = STROM_BUF_INIT;
    strom_error err;
    CHECK_OK(cli_gen_table(s, &o, false, &table, &err), &err);
    cli_reader *rd;
    bool is_file;
    CHECK_OK(cli_reader_open(table.data, table.len, &rd, &is_file, &err), &err);
    strom_batch *batches[16];
    int nb = 0;
    while (nb < 16 && cli_reader_next(rd, &batches[nb], &err) == 1)
        nb++;
    CHECK_EQ(nb, 5);
    check_round_trip(cli_reader_schema(rd), batches, nb, CLI_FMT_CSV);
    check_round_trip(cli_reader_schema(rd), batches, nb, CLI_FMT_JSONL);
    for (int i = 0; i < nb; i++)
        strom_batch_free(batches[i]);
    cli_reader_close(rd);
    strom_buf_free(&table);
    strom_schema_free(s);
}

TEST(round_trip_edge_values)
{
    strom_schema *s = all_types(38, 10);
    strom_schema_add(s, "odd, \"name\"", strom_type_of(STROM_TYPE_STRING), true, NULL);
    int ncols = strom_schema_ncols(s);
    strom_batch_builder *bb = strom_bb_new(s);
    strom_error err;
    static const char *const strs[] = {
        "", "NULL", "a,b", "say \"hi\"", "two\nlines", "cr\ronly", "crlf\r\n", "\"", " pad ",
        "h\xc3\xa9llo \xe2\x9c\x93", "tab\t", "null", "\\N"};
    static const double dbl[] = {0.0, -0.0, NAN, INFINITY, -INFINITY, DBL_MAX, -DBL_MIN,
                                 4.9e-324, 0.1, 1e21, 123456789012345678.0, -1.5e-300, 1.0 / 3};
    static const float flt[] = {0.0f, -0.0f, NAN, INFINITY, -INFINITY, FLT_MAX, -FLT_MIN,
                                1.4e-45f, 0.1f, 1e21f, 16777216.0f, 3.4e-38f, 1.0f / 3};
    static const int64_t i64[] = {INT64_MIN, INT64_MAX, 0, -1, 1};
    static const int64_t days[] = {INT32_MIN, INT32_MAX, 0, -1, -719528 /* 0000-01-01 */,
                                   -719529, -800000};
    static const int64_t tss[] = {INT64_C(-9223371966579724800) /* year -290308 */,
                                  INT64_C(9223372036854775807) - US_DAY, -1, 0, 1,
                                  INT64_C(-62167219200000000) /* 0000-01-01 */};
    strom_i128 max38 = 0;
    for (int k = 0; k < 38; k++)
        max38 = max38 * 10 + 9;
    const strom_i128 decs[] = {max38, -max38, 0, 1, -1, 5000000000};
    uint8_t bytes[256];
    for (int k = 0; k < 256; k++)
        bytes[k] = (uint8_t)k;
    for (int row = 0; row < 40; row++) {
        strom_value v[NCOLS + 1];
        memset(v, 0, sizeof v);
        for (int c = 0; c < ncols; c++) {
            v[c].type = strom_schema_col_type(s, c).id;
            v[c].is_null = c != C_I32 && (row * 7 + c) % 11 == 0;
        }
        v[C_B].u.b = row & 1;
        v[C_I8].u.i = row % 2 ? INT8_MIN : INT8_MAX;
        v[C_I16].u.i = row % 2 ? INT16_MIN : INT16_MAX;
        v[C_I32].u.i = row % 3 == 0 ? INT32_MIN : row % 3 == 1 ? INT32_MAX : row;
        v[C_I64].u.i = i64[row % 5];
        v[C_F32].u.f = (double)flt[row % 13];
        v[C_F64].u.f = dbl[row % 13];
        v[C_DEC].u.d = decs[row % 6];
        const char *str = strs[row % 13];
        v[C_S].u.s.ptr = (const uint8_t *)str;
        v[C_S].u.s.len = (uint32_t)strlen(str);
        if (row == 13) { /* a NUL inside a string */
            v[C_S].u.s.ptr = (const uint8_t *)"a\0b";
            v[C_S].u.s.len = 3;
        }
        v[C_BIN].u.s.ptr = bytes + (row * 37) % 200;
        v[C_BIN].u.s.len = (uint32_t)(row % 9 == 0 ? 0 : row);
        v[C_D].u.i = days[row % 7];
        v[C_T].u.i = row % 2 ? US_DAY - 1 : row * 1234567;
        v[C_TS].u.i = tss[row % 6];
        v[C_TSZ].u.i = tss[(row + 1) % 6];
        v[NCOLS].u.s.ptr = (const uint8_t *)strs[(row + 3) % 13];
        v[NCOLS].u.s.len = (uint32_t)strlen(strs[(row + 3) % 13]);
        CHECK_OK(strom_bb_append_row(bb, v, &err), &err);
    }
    strom_buf msg = STROM_BUF_INIT;
    strom_seal_opts so = {STROM_CODEC_NONE, 0};
    CHECK_OK(strom_bb_seal(bb, &so, &msg, NULL, &err), &err);
    strom_ipc_msg m;
    strom_batch *b = NULL;
    CHECK_OK(strom_ipc_read_msg(msg.data, msg.len, &m, &err), &err);
    CHECK_OK(strom_ipc_decode_batch(&m, s, s, NULL, &b, &err), &err);
    if (b) {
        check_round_trip(s, &b, 1, CLI_FMT_CSV);
        check_round_trip(s, &b, 1, CLI_FMT_JSONL);
    }
    strom_batch_free(b);
    strom_buf_free(&msg);
    strom_bb_free(bb);
    strom_schema_free(s);
}

int main(void)
{
    RUN_TEST(csv_every_type);
    RUN_TEST(jsonl_every_type_and_same_batch_as_csv);
    RUN_TEST(real_spellings);
    RUN_TEST(integer_and_boolean_edges);
    RUN_TEST(csv_quoting_and_line_numbers);
    RUN_TEST(csv_structure_errors);
    RUN_TEST(csv_value_errors);
    RUN_TEST(csv_headers_delimiters_nulls_blank_lines);
    RUN_TEST(crlf_and_bom);
    RUN_TEST(jsonl_values_and_errors);
    RUN_TEST(poisoned_after_error_and_finished);
    RUN_TEST(limits);
    RUN_TEST(chunk_boundaries_at_every_byte);
    RUN_TEST(round_trip_demo_table);
    RUN_TEST(round_trip_edge_values);
    return TEST_EXIT();
}
