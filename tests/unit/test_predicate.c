/* Unit tests for predicates (columnar/predicate.h): parsing of every construct and type,
 * error positions for malformed text, canonical format round trips, and two randomized
 * model checks on hand-built batches: eval_rows against a straightforward per-row reference
 * evaluator (three-valued logic, every type and operator, NULLs and NaN), and eval_stats
 * soundness (never NONE when a row is selected, never ALL when one is not). */
#include <math.h>
#include <time.h>

#include "columnar/predicate.h"
#include "common/common.h"
#include "test.h"

/* ---- schema ----------------------------------------------------------------------------- */

enum { C_B, C_I8, C_I16, C_I32, C_I64, C_F, C_D, C_DEC, C_S, C_BY, C_DT, C_TM, C_TS, C_TZ,
       C_WEIRD, C_DATE, NCOLS };

static const char *const col_names[NCOLS] = {
    "b", "i8", "i16", "i32", "i64", "f", "d", "dec", "s", "by", "dt", "tm", "ts", "tz",
    "we\"ird name", "date",
};

static strom_type col_type(int c)
{
    static const strom_type_id ids[NCOLS] = {
        STROM_TYPE_BOOLEAN, STROM_TYPE_TINYINT, STROM_TYPE_SMALLINT, STROM_TYPE_INT,
        STROM_TYPE_BIGINT, STROM_TYPE_FLOAT, STROM_TYPE_DOUBLE, STROM_TYPE_DECIMAL,
        STROM_TYPE_STRING, STROM_TYPE_BYTES, STROM_TYPE_DATE, STROM_TYPE_TIME,
        STROM_TYPE_TIMESTAMP, STROM_TYPE_TIMESTAMP_LTZ, STROM_TYPE_INT, STROM_TYPE_DATE,
    };
    return c == C_DEC ? strom_type_decimal(10, 2) : strom_type_of(ids[c]);
}

static strom_schema *make_schema(void)
{
    strom_error e;
    strom_schema *s = strom_schema_new(1);
    for (int c = 0; c < NCOLS; c++)
        CHECK_OK(strom_schema_add(s, col_names[c], col_type(c), true, &e), &e);
    return s;
}

static strom_schema *g_schema;

/* Parses and returns the canonical text (static), or "ERR <code> @<pos>". */
static const char *canon(const char *text)
{
    static char out[4096];
    strom_error e;
    strom_pred *p = NULL;
    int rc = strom_pred_parse(text, strlen(text), g_schema, &p, &e);
    if (rc < 0) {
        const char *at = strstr(e.msg, "at position ");
        snprintf(out, sizeof out, "ERR %d @%d", rc, at ? atoi(at + 12) : -1);
        return out;
    }
    strom_buf b = STROM_BUF_INIT;
    rc = strom_pred_format(p, g_schema, &b);
    snprintf(out, sizeof out, "%.*s", rc < 0 ? 0 : (int)b.len, (const char *)b.data);
    /* canonical text parses back to the same canonical text */
    strom_pred *q = NULL;
    if (strom_pred_parse(out, strlen(out), g_schema, &q, &e) < 0) {
        fprintf(stderr, "canonical text '%s' does not parse: %s\n", out, e.msg);
        CHECK(0);
    } else {
        strom_buf b2 = STROM_BUF_INIT;
        CHECK_OK(strom_pred_format(q, g_schema, &b2), &e);
        CHECK(b2.len == b.len && memcmp(b2.data, b.data, b.len) == 0);
        strom_buf_free(&b2);
    }
    strom_pred_free(q);
    strom_buf_free(&b);
    strom_pred_free(p);
    return out;
}

TEST(parse_constructs)
{
    CHECK_STR(canon("i32 > 5"), "i32 > 5");
    CHECK_STR(canon("  i32>5  "), "i32 > 5");
    CHECK_STR(canon("5 < i32"), "i32 > 5");
    CHECK_STR(canon("5 >= i32"), "i32 <= 5");
    CHECK_STR(canon("5 = i32"), "i32 = 5");
    CHECK_STR(canon("i32 != 5"), "i32 <> 5");
    CHECK_STR(canon("i32 <> -5"), "i32 <> -5");
    CHECK_STR(canon("i32 = +5"), "i32 = 5");
    CHECK_STR(canon("i32 = 1e3"), "i32 = 1000");
    CHECK_STR(canon("i32 = 1.000"), "i32 = 1");
    CHECK_STR(canon("b"), "b = TRUE");
    CHECK_STR(canon("NOT b"), "NOT b = TRUE");
    CHECK_STR(canon("b = false"), "b = FALSE");
    CHECK_STR(canon("TRUE = b"), "b = TRUE");
    CHECK_STR(canon("i32 is null"), "i32 IS NULL");
    CHECK_STR(canon("i32 IS NOT NULL"), "i32 IS NOT NULL");
    CHECK_STR(canon("i32 = NULL"), "i32 = NULL");
    CHECK_STR(canon("NULL <> s"), "s <> NULL");
    CHECK_STR(canon("i32 IN (3, 1, 2, 1)"), "i32 IN (1, 2, 3)");
    CHECK_STR(canon("i32 not in (3, NULL, 1)"), "i32 NOT IN (1, 3, NULL)");
    CHECK_STR(canon("i32 IN (NULL)"), "i32 IN (NULL)");
    CHECK_STR(canon("s IN ('b', 'a', 'b')"), "s IN ('a', 'b')");
    CHECK_STR(canon("i32 = 1 AND i8 = 2 OR i16 = 3"), "i32 = 1 AND i8 = 2 OR i16 = 3");
    CHECK_STR(canon("i32 = 1 AND (i8 = 2 OR i16 = 3)"), "i32 = 1 AND (i8 = 2 OR i16 = 3)");
    CHECK_STR(canon("(i32 = 1 AND i8 = 2) AND i16 = 3"), "i32 = 1 AND i8 = 2 AND i16 = 3");
    CHECK_STR(canon("((i32 = 1))"), "i32 = 1");
    CHECK_STR(canon("NOT (i32 = 1 AND b)"), "NOT (i32 = 1 AND b = TRUE)");
    CHECK_STR(canon("NOT NOT i32 = 1"), "NOT NOT i32 = 1");
    CHECK_STR(canon("not i32 in (1)"), "NOT i32 IN (1)");
    CHECK_STR(canon("i32 = 1 or not (i8 = 1 or i8 = 2) and b"),
              "i32 = 1 OR NOT (i8 = 1 OR i8 = 2) AND b = TRUE");
    CHECK_STR(canon("\"we\"\"ird name\" > 1"), "\"we\"\"ird name\" > 1");
    CHECK_STR(canon("\"i32\" > 1"), "i32 > 1");
    CHECK_STR(canon("date = DATE '2020-01-01'"), "\"date\" = DATE '2020-01-01'");
    CHECK_STR(canon("DATE '2020-01-01' < date"), "\"date\" > DATE '2020-01-01'");
}

TEST(parse_literals_per_type)
{
    CHECK_STR(canon("i8 = 127"), "i8 = 127");
    CHECK_STR(canon("i8 >= -128"), "i8 >= -128");
    CHECK_STR(canon("i16 = -32768"), "i16 = -32768");
    CHECK_STR(canon("i64 < 9223372036854775807"), "i64 < 9223372036854775807");
    CHECK_STR(canon("i64 > -9223372036854775808"), "i64 > -9223372036854775808");
    CHECK_STR(canon("f = 0.1"), "f = 0.1");
    CHECK_STR(canon("f < 3.4e38"), "f < 3.4e+38");
    CHECK_STR(canon("d = 1e300"), "d = 1e+300");
    CHECK_STR(canon("d = 5"), "d = 5");
    CHECK_STR(canon("d >= -0.0"), "d >= -0");
    CHECK_STR(canon("d = nan"), "d = NaN");
    CHECK_STR(canon("d < -inf"), "d < -Infinity");
    CHECK_STR(canon("d < Infinity"), "d < Infinity");
    CHECK_STR(canon("d = 1e-400"), "d = 0");
    CHECK_STR(canon("dec = 10.5"), "dec = 10.50");
    CHECK_STR(canon("dec = -0.01"), "dec = -0.01");
    CHECK_STR(canon("dec < 99999999.99"), "dec < 99999999.99");
    CHECK_STR(canon("dec = 1e2"), "dec = 100.00");
    CHECK_STR(canon("s = 'it''s'"), "s = 'it''s'");
    CHECK_STR(canon("s = ''"), "s = ''");
    CHECK_STR(canon("s >= 'größe'"), "s >= 'größe'");
    CHECK_STR(canon("by = X'00FF'"), "by = X'00ff'");
    CHECK_STR(canon("by = x''"), "by = X''");
    CHECK_STR(canon("by = 'ab'"), "by = X'6162'");
    CHECK_STR(canon("dt = '2026-01-02'"), "dt = DATE '2026-01-02'");
    CHECK_STR(canon("dt >= date '-0044-03-15'"), "dt >= DATE '-0044-03-15'");
    CHECK_STR(canon("tm < TIME '12:00:00.5'"), "tm < TIME '12:00:00.500000'");
    CHECK_STR(canon("tm = '08:30'"), "tm = TIME '08:30:00'");
    CHECK_STR(canon("ts >= TIMESTAMP '2026-01-01T00:00:00'"),
              "ts >= TIMESTAMP '2026-01-01 00:00:00'");
    CHECK_STR(canon("ts < '1969-12-31 23:59:59.999999'"),
              "ts < TIMESTAMP '1969-12-31 23:59:59.999999'");
    CHECK_STR(canon("ts >= DATE '2026-01-01'"), "ts >= TIMESTAMP '2026-01-01 00:00:00'");
    CHECK_STR(canon("tz >= '2026-01-01 01:00:00+01:00'"),
              "tz >= TIMESTAMP '2026-01-01 00:00:00Z'");
    CHECK_STR(canon("tz = TIMESTAMP '2026-01-01 00:00:00'"),
              "tz = TIMESTAMP '2026-01-01 00:00:00Z'");
    CHECK_STR(canon("dt IN ('2026-01-02', DATE '2026-01-01')"),
              "dt IN (DATE '2026-01-01', DATE '2026-01-02')");
}

TEST(parse_offgrid_literals)
{
    /* integer columns against fractions: rewritten exactly */
    CHECK_STR(canon("i32 > 10.5"), "i32 >= 11");
    CHECK_STR(canon("i32 >= 10.5"), "i32 >= 11");
    CHECK_STR(canon("i32 < 10.5"), "i32 <= 10");
    CHECK_STR(canon("i32 <= -10.5"), "i32 <= -11");
    CHECK_STR(canon("i32 > -0.5"), "i32 >= 0");
    CHECK_STR(canon("10.5 < i32"), "i32 >= 11");
    CHECK_STR(canon("i32 = 10.5"), "i32 = 10.5");
    CHECK_STR(canon("i32 != 10.5"), "i32 <> 10.5");
    CHECK_STR(canon("i32 = 1.5e0"), "i32 = 1.5e0");
    CHECK_STR(canon("i8 < 127.5"), "ERR -8 @5"); /* beyond the type: out of range */
    CHECK_STR(canon("i8 < 126.5"), "i8 <= 126");
    CHECK_STR(canon("i32 IN (1.5, 2)"), "i32 IN (2)");
    CHECK_STR(canon("i32 IN (1.5, 2.5)"), "i32 = 1.5");
    CHECK_STR(canon("i32 NOT IN (1.5)"), "i32 <> 1.5");
    CHECK_STR(canon("i32 IN (1.5, NULL)"), "i32 IN (NULL)");
    /* DECIMAL(10,2) against more decimals */
    CHECK_STR(canon("dec > 10.123"), "dec >= 10.13");
    CHECK_STR(canon("dec >= 10.123"), "dec >= 10.13");
    CHECK_STR(canon("dec < 10.123"), "dec <= 10.12");
    CHECK_STR(canon("dec <= -10.123"), "dec <= -10.13");
    CHECK_STR(canon("dec = 10.123"), "dec = 10.123");
    CHECK_STR(canon("dec = 10.120"), "dec = 10.12");
    CHECK_STR(canon("dec > 99999999.991"), "ERR -8 @6");
    CHECK_STR(canon("dec < 99999999.989"), "dec <= 99999999.98");
    CHECK_STR(canon("dec = 123456789"), "ERR -8 @6");
}

typedef struct err_case {
    const char *text;
    int code;
    int pos;
    const char *msg; /* substring of the message, or NULL */
} err_case;

TEST(parse_errors)
{
    static const err_case cases[] = {
        {"", STROM_EPARSE, 0, "empty"},
        {"   ", STROM_EPARSE, 3, NULL},
        {"i32 = 'abc'", STROM_ETYPE, 6, "'abc' is not a valid INT"},
        {"i32 = ", STROM_EPARSE, 6, "end of input"},
        {"s = 'abc", STROM_EPARSE, 4, "unterminated string"},
        {"\"abc = 1", STROM_EPARSE, 0, "unterminated quoted identifier"},
        {"by = X'00", STROM_EPARSE, 5, "unterminated"},
        {"nope = 1", STROM_ENOTFOUND, 0, "unknown column nope"},
        {"i32 = 1 AND zz > 2", STROM_ENOTFOUND, 12, "zz"},
        {"\"I32\" = 1", STROM_ENOTFOUND, 0, NULL},
        {"i8 = 1000", STROM_ERANGE, 5, "1000 is out of range for TINYINT"},
        {"i8 = -129", STROM_ERANGE, 5, NULL},
        {"i16 = 32768", STROM_ERANGE, 6, NULL},
        {"i32 = 2147483648", STROM_ERANGE, 6, NULL},
        {"i64 = 9223372036854775808", STROM_ERANGE, 6, NULL},
        {"i64 = 1e19", STROM_ERANGE, 6, NULL},
        {"i64 = 1e-99999999", STROM_ERANGE, 6, NULL},
        {"i32 = 1 garbage", STROM_EPARSE, 8, "'garbage'"},
        {"(i32 = 1", STROM_EPARSE, 8, "close the '(' at position 0"},
        {"((i32 = 1) AND (i8 = 2)", STROM_EPARSE, 23, NULL},
        {"i32 = 1)", STROM_EPARSE, 7, "unbalanced"},
        {"(i32 = 1) 'x", STROM_EPARSE, 10, "unterminated"}, /* no leak of the subtree */
        {"()", STROM_EPARSE, 1, NULL},
        {"dt = '2026-02-30'", STROM_ERANGE, 5, "day 30"},
        {"dt = DATE 'x'", STROM_EPARSE, 5, "not a valid DATE"},
        {"dt = 5", STROM_ETYPE, 5, NULL},
        {"dt = TIME '10:00'", STROM_ETYPE, 5, NULL},
        {"tm = TIME '25:00'", STROM_ERANGE, 5, "hour"},
        {"tm = '10:00:00.1234567'", STROM_ERANGE, 5, "6 fractional"},
        {"tm = TIMESTAMP '2020-01-01 00:00:00'", STROM_ETYPE, 5, NULL},
        {"ts = TIMESTAMP '2026-01-01 00:00:00Z'", STROM_EPARSE, 5, "no zone"},
        {"ts = '2026-01-01 00:00'x", STROM_EPARSE, 23, NULL},
        {"tz = '2026-01-01 00:00:00+99:00'", STROM_EPARSE, 5, "zone"},
        {"b = 1", STROM_ETYPE, 4, "not a valid BOOLEAN"},
        {"b = 'true'", STROM_ETYPE, 4, NULL},
        {"s = 1", STROM_ETYPE, 4, "not a valid STRING"},
        {"s = X'00'", STROM_ETYPE, 4, NULL},
        {"i32 = TRUE", STROM_ETYPE, 6, NULL},
        {"i32 = NaN", STROM_ETYPE, 6, NULL},
        {"dec = 123456789.1", STROM_ERANGE, 6, "DECIMAL(10,2)"},
        {"dec = 'x'", STROM_ETYPE, 6, NULL},
        {"by = X'0'", STROM_EPARSE, 5, "even"},
        {"by = X'zz'", STROM_EPARSE, 7, "hex digit"},
        {"i32", STROM_ETYPE, 0, "not BOOLEAN"},
        {"i32 AND b", STROM_ETYPE, 0, NULL},
        {"i32 5", STROM_EPARSE, 4, NULL},
        {"i32 IS 5", STROM_EPARSE, 7, NULL},
        {"i32 IS NOT 5", STROM_EPARSE, 11, NULL},
        {"i32 IN 1", STROM_EPARSE, 7, NULL},
        {"i32 IN ()", STROM_EPARSE, 8, NULL},
        {"i32 IN (1,)", STROM_EPARSE, 10, NULL},
        {"i32 IN (1 2)", STROM_EPARSE, 10, NULL},
        {"i32 IN (1, 'a')", STROM_ETYPE, 11, NULL},
        {"i32 NOT 1", STROM_EPARSE, 8, NULL},
        {"i32 = 1 AND", STROM_EPARSE, 11, NULL},
        {"i32 = 1 OR OR i8 = 1", STROM_EPARSE, 11, NULL},
        {"AND i32 = 1", STROM_EPARSE, 0, NULL},
        {"i32 = i64", STROM_EPARSE, 6, "literal"},
        {"1 = 2", STROM_EPARSE, 4, NULL},
        {"1 i32", STROM_EPARSE, 2, NULL},
        {"f = 1e39", STROM_ERANGE, 4, NULL},
        {"d = 1e309", STROM_ERANGE, 4, NULL},
        {"d = -1e309", STROM_ERANGE, 4, NULL},
        {"i32 = 10abc", STROM_ETYPE, 6, NULL},
        {"d = 1.2.3", STROM_ETYPE, 4, NULL},
        {"d = - 1", STROM_EPARSE, 6, NULL},
        {"i32 ! 1", STROM_EPARSE, 4, "'!'"},
        {"i32 = 1 \x01", STROM_EPARSE, 8, "control character"},
        {"i32 = 1 ; DROP", STROM_EPARSE, 8, NULL},
        {"i32 = 1.0000000000000000000000000000000000000001", STROM_ERANGE, 6, NULL},
    };
    for (size_t i = 0; i < STROM_ARRAY_LEN(cases); i++) {
        const err_case *c = &cases[i];
        strom_error e;
        strom_pred *p = (strom_pred *)1;
        int rc = strom_pred_parse(c->text, strlen(c->text), g_schema, &p, &e);
        char want[32];
        snprintf(want, sizeof want, "at position %d:", c->pos);
        bool ok = rc == c->code && p == NULL && e.code == rc && strstr(e.msg, want) == e.msg &&
                  (!c->msg || strstr(e.msg, c->msg));
        if (!ok)
            fprintf(stderr, "case \"%s\": rc %d (want %d), msg \"%s\" (want \"%s ...%s\")\n",
                    c->text, rc, c->code, rc < 0 ? e.msg : "", want, c->msg ? c->msg : "");
        CHECK(ok);
        if (rc == 0)
            strom_pred_free(p);
    }
}

TEST(parse_limits)
{
    strom_error e;
    strom_pred *p = NULL;
    char *t = malloc(STROM_PRED_MAX_TEXT + 16);
    /* nesting: 64 parentheses are fine, 65 are not */
    for (int depth = 63; depth <= 65; depth++) {
        size_t n = 0;
        for (int i = 0; i < depth; i++)
            t[n++] = '(';
        n += (size_t)sprintf(t + n, "i32 = 1");
        for (int i = 0; i < depth; i++)
            t[n++] = ')';
        int rc = strom_pred_parse(t, n, g_schema, &p, &e);
        CHECK_EQ(rc, depth <= STROM_PRED_MAX_NESTING ? 0 : STROM_ELIMIT);
        if (rc == 0)
            strom_pred_free(p);
        else
            CHECK(strstr(e.msg, "at position 64:") != NULL);
    }
    /* a million '(' and a long NOT chain fail fast, no stack overflow */
    memset(t, '(', 1000000);
    CHECK_EQ(strom_pred_parse(t, 1000000, g_schema, &p, &e), STROM_ELIMIT);
    size_t n = 0;
    for (int i = 0; i < 100000; i++)
        n += (size_t)sprintf(t + n, "NOT ");
    n += (size_t)sprintf(t + n, "b");
    CHECK_EQ(strom_pred_parse(t, n, g_schema, &p, &e), STROM_ELIMIT);
    /* long flat chains are loops, not recursion */
    n = 0;
    for (int i = 0; i < 20000; i++)
        n += (size_t)sprintf(t + n, "%si32 = %d", i ? " OR " : "", i);
    CHECK_OK(strom_pred_parse(t, n, g_schema, &p, &e), &e);
    strom_pred_free(p);
    /* IN list limit */
    n = (size_t)sprintf(t, "i32 IN (");
    for (int i = 0; i <= STROM_PRED_MAX_IN; i++)
        n += (size_t)sprintf(t + n, "%s%d", i ? "," : "", i);
    t[n++] = ')';
    CHECK_EQ(strom_pred_parse(t, n, g_schema, &p, &e), STROM_ELIMIT);
    CHECK(strstr(e.msg, "IN list") != NULL);
    /* text length limit */
    memset(t, ' ', STROM_PRED_MAX_TEXT + 1);
    CHECK_EQ(strom_pred_parse(t, STROM_PRED_MAX_TEXT + 1, g_schema, &p, &e), STROM_ELIMIT);
    /* length is honoured: text past len is not read */
    CHECK_OK(strom_pred_parse("i32 = 1 garbage", 7, g_schema, &p, &e), &e);
    strom_pred_free(p);
    free(t);
}

TEST(programmatic_and_columns)
{
    strom_value five = {.type = STROM_TYPE_INT, .is_null = false, .u.i = 5};
    strom_value strs[3] = {{.type = STROM_TYPE_STRING}, {.type = STROM_TYPE_STRING},
                           {.type = STROM_TYPE_STRING, .is_null = true}};
    char tmp[2][4] = {"zz", "aa"};
    strs[0].u.s.ptr = (const uint8_t *)tmp[0];
    strs[0].u.s.len = 2;
    strs[1].u.s.ptr = (const uint8_t *)tmp[1];
    strs[1].u.s.len = 2;
    strom_pred *p = strom_pred_or(
        strom_pred_and(strom_pred_cmp(C_I32, STROM_CMP_GE, &five),
                       strom_pred_not(strom_pred_is_null(C_DT, false))),
        strom_pred_in(C_S, strs, 3, true));
    memset(tmp, 'x', sizeof tmp); /* literals were copied */
    CHECK(p != NULL);
    strom_buf b = STROM_BUF_INIT;
    CHECK_EQ(strom_pred_format(p, g_schema, &b), 0);
    CHECK(b.len == strlen("i32 >= 5 AND NOT dt IS NULL OR s NOT IN ('aa', 'zz', NULL)") &&
          memcmp(b.data, "i32 >= 5 AND NOT dt IS NULL OR s NOT IN ('aa', 'zz', NULL)", b.len) == 0);
    uint8_t flags[NCOLS] = {0};
    strom_pred_columns(p, flags, NCOLS);
    for (int c = 0; c < NCOLS; c++)
        CHECK_EQ(flags[c], c == C_I32 || c == C_DT || c == C_S);
    strom_pred_free(p);
    strom_buf_free(&b);
    /* invalid arguments and ownership on failure */
    CHECK(strom_pred_cmp(-1, STROM_CMP_EQ, &five) == NULL);
    CHECK(strom_pred_in(0, &five, 0, false) == NULL);
    strom_value mixed[2] = {five, strs[1]};
    CHECK(strom_pred_in(0, mixed, 2, false) == NULL);
    CHECK(strom_pred_and(strom_pred_is_null(1, false), NULL) == NULL); /* frees the operand */
    CHECK(strom_pred_not(NULL) == NULL);
    /* depth bound for programmatic trees */
    strom_pred *deep = strom_pred_is_null(0, false);
    int levels = 0;
    while (deep && levels < 1000) {
        deep = strom_pred_not(deep);
        levels++;
    }
    CHECK(deep == NULL && levels > 100 && levels < 1000);
}

/* ---- hand-built batches ----------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static int rndn(int n) { return (int)(rnd() % (uint64_t)n); }

/* String domain: includes bounds longer than STROM_STATS_BOUND_MAX and 0xFF runs. */
static char long_a[80], long_ff[80], long_mix[80];
static const char *str_pool[8];
static uint32_t str_len[8];

static void init_pools(void)
{
    memset(long_a, 'a', 70);
    memset(long_ff, 0xFF, 70);
    memset(long_mix, 'b', 70);
    long_mix[63] = (char)0xFF;
    const char *p[8] = {"", "a", "ab", "abc", "b", long_a, long_ff, long_mix};
    uint32_t l[8] = {0, 1, 2, 3, 1, 70, 70, 70};
    for (int i = 0; i < 8; i++) {
        str_pool[i] = p[i];
        str_len[i] = l[i];
    }
}

static const double dbl_pool[] = {-INFINITY, -1.5, -0.0, 0.0, 1.0, 2.5, INFINITY, 1e30};

/* A random non-null value of column c from a small domain (so equality hits). */
static strom_value rand_value(int c)
{
    strom_type t = col_type(c);
    strom_value v = {.type = t.id, .is_null = false};
    switch (t.id) {
    case STROM_TYPE_BOOLEAN: v.u.b = rndn(2); break;
    case STROM_TYPE_TINYINT:
        v.u.i = rndn(10) == 0 ? (rndn(2) ? INT8_MAX : INT8_MIN) : rndn(11) - 5;
        break;
    case STROM_TYPE_BIGINT:
        v.u.i = rndn(10) == 0 ? (rndn(2) ? INT64_MAX : INT64_MIN) : rndn(11) - 5;
        break;
    case STROM_TYPE_FLOAT:
    case STROM_TYPE_DOUBLE:
        v.u.f = rndn(8) == 0 ? NAN : dbl_pool[rndn(8)];
        if (t.id == STROM_TYPE_FLOAT && v.u.f == 1e30)
            v.u.f = (float)1e30;
        break;
    case STROM_TYPE_DECIMAL: v.u.d = (strom_i128)(rndn(21) - 10) * 50; break;
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES: {
        int k = rndn(8);
        v.u.s.ptr = (const uint8_t *)str_pool[k];
        v.u.s.len = str_len[k];
        break;
    }
    case STROM_TYPE_TIME: v.u.i = (int64_t)rndn(5) * 1000000; break;
    case STROM_TYPE_TIMESTAMP:
    case STROM_TYPE_TIMESTAMP_LTZ: v.u.i = (int64_t)(rndn(7) - 3) * 500000; break;
    default: v.u.i = rndn(9) - 4; break; /* SMALLINT, INT, DATE */
    }
    return v;
}

typedef struct tcol {
    uint8_t *validity;
    uint8_t *values;
    int32_t *offsets;
    strom_value *vals; /* reference copy, is_null set */
} tcol;

typedef struct tbatch {
    strom_batch b;
    strom_col_view views[NCOLS];
    tcol cols[NCOLS];
} tbatch;

static void tbatch_build(tbatch *tb, int64_t rows, int null_pct)
{
    memset(tb, 0, sizeof *tb);
    tb->b.schema = g_schema;
    tb->b.rows = rows;
    tb->b.ncols = NCOLS;
    tb->b.cols = tb->views;
    for (int c = 0; c < NCOLS; c++) {
        strom_type t = col_type(c);
        tcol *tc = &tb->cols[c];
        strom_col_view *v = &tb->views[c];
        size_t nb = (size_t)(rows + 7) / 8 + 1;
        int w = strom_type_width(t.id);
        tc->vals = calloc((size_t)rows + 1, sizeof *tc->vals);
        tc->validity = calloc(nb, 1);
        tc->values = calloc((size_t)(rows * (w ? w : 1) + 80 * rows + 16), 1);
        tc->offsets = calloc((size_t)rows + 1, sizeof(int32_t));
        int64_t nulls = 0, off = 0;
        int pct = c % 3 == 0 ? 0 : null_pct; /* some columns without nulls */
        for (int64_t r = 0; r < rows; r++) {
            strom_value x = rand_value(c);
            /* garbage in null slots must not matter */
            if (rndn(100) < pct) {
                x.is_null = true;
                nulls++;
            } else {
                strom_bit_set(tc->validity, r, true);
            }
            tc->vals[r] = x;
            if (t.id == STROM_TYPE_BOOLEAN) {
                strom_bit_set(tc->values, r, x.u.b);
            } else if (strom_type_is_varlen(t.id)) {
                memcpy(tc->values + off, x.u.s.ptr, x.u.s.len);
                tc->vals[r].u.s.ptr = tc->values + off;
                off += x.u.s.len;
                tc->offsets[r + 1] = (int32_t)off;
            } else if (t.id == STROM_TYPE_FLOAT) {
                float f = (float)x.u.f;
                memcpy(tc->values + r * 4, &f, 4);
            } else if (t.id == STROM_TYPE_DOUBLE) {
                memcpy(tc->values + r * 8, &x.u.f, 8);
            } else if (t.id == STROM_TYPE_DECIMAL) {
                memcpy(tc->values + r * 16, &x.u.d, 16);
            } else {
                memcpy(tc->values + r * w, &x.u.i, (size_t)w); /* little-endian */
            }
        }
        if (rows & 7) /* junk in the validity padding must not matter */
            tc->validity[rows / 8] |= (uint8_t)(0xFF << (rows & 7));
        v->length = rows;
        v->null_count = nulls;
        v->validity = nulls ? tc->validity : NULL;
        v->values = tc->values;
        v->offsets = strom_type_is_varlen(t.id) ? tc->offsets : NULL;
        v->values_len = strom_type_is_varlen(t.id) ? off
                        : t.id == STROM_TYPE_BOOLEAN ? (rows + 7) / 8 : rows * w;
    }
}

static void tbatch_free(tbatch *tb)
{
    for (int c = 0; c < NCOLS; c++) {
        free(tb->cols[c].vals);
        free(tb->cols[c].validity);
        free(tb->cols[c].values);
        free(tb->cols[c].offsets);
    }
}

/* Exact statistics per batch.h, then randomly weakened in the ways a real producer may. */
static void tbatch_stats(const tbatch *tb, strom_batch_stats *st, strom_col_stats *cs)
{
    st->rows = tb->b.rows;
    st->ncols = NCOLS;
    st->cols = cs;
    st->nbuffers = 0;
    st->buffer_crc = NULL;
    for (int c = 0; c < NCOLS; c++) {
        strom_col_stats *s = &cs[c];
        memset(s, 0, sizeof *s);
        const strom_value *mn = NULL, *mx = NULL;
        for (int64_t r = 0; r < tb->b.rows; r++) {
            const strom_value *x = &tb->cols[c].vals[r];
            if (x->is_null) {
                s->null_count++;
                continue;
            }
            if (!mn || strom_value_cmp(x, mn) < 0)
                mn = x;
            if (!mx || strom_value_cmp(x, mx) > 0)
                mx = x;
        }
        if (!mn)
            continue;
        s->has_min = s->has_max = s->min_exact = s->max_exact = true;
        s->min = *mn;
        s->max = *mx;
        strom_type_id t = col_type(c).id;
        if (strom_type_is_varlen(t)) {
            uint32_t ml = STROM_MIN(mn->u.s.len, STROM_STATS_BOUND_MAX);
            memcpy(s->min_bytes, mn->u.s.ptr, ml);
            s->min.u.s.ptr = s->min_bytes;
            s->min.u.s.len = ml;
            s->min_exact = ml == mn->u.s.len;
            uint32_t xl = STROM_MIN(mx->u.s.len, STROM_STATS_BOUND_MAX);
            memcpy(s->max_bytes, mx->u.s.ptr, xl);
            s->max.u.s.ptr = s->max_bytes;
            if (xl < mx->u.s.len) {
                while (xl > 0 && s->max_bytes[xl - 1] == 0xFF)
                    xl--;
                if (xl == 0)
                    s->has_max = false;
                else
                    s->max_bytes[xl - 1]++;
                s->max_exact = false;
            }
            s->max.u.s.len = xl;
        } else if (t != STROM_TYPE_BOOLEAN && t != STROM_TYPE_FLOAT && t != STROM_TYPE_DOUBLE &&
                   t != STROM_TYPE_DECIMAL && rndn(4) == 0) {
            /* a looser (still valid) bound */
            if (s->min.u.i > INT32_MIN) {
                s->min.u.i -= 1;
                s->min_exact = false;
            }
            if (s->max.u.i < INT32_MAX) {
                s->max.u.i += 1;
                s->max_exact = false;
            }
        }
        if (rndn(10) == 0)
            s->has_min = false;
        if (rndn(10) == 0)
            s->has_max = false;
    }
}

/* ---- random predicates and the reference evaluator -------------------------------------- */

enum { R_CMP, R_ISNULL, R_IN, R_BOOLCOL, R_AND, R_OR, R_NOT };

typedef struct rnode {
    int kind, col, op, n;
    bool negated, lit_first;
    strom_value lit;              /* CMP (may be null) */
    strom_i128 num;               /* exact columns: literal = num * 10^-num_scale */
    int num_scale;
    bool exact;                   /* num/num_scale is used instead of lit */
    strom_value list[6];          /* IN */
    strom_i128 lnum[6];
    int lscale[6];
    struct rnode *kids[3];
} rnode;

static bool is_exact_col(int c)
{
    strom_type_id t = col_type(c).id;
    return t == STROM_TYPE_TINYINT || t == STROM_TYPE_SMALLINT || t == STROM_TYPE_INT ||
           t == STROM_TYPE_BIGINT || t == STROM_TYPE_DECIMAL;
}

static int col_scale(int c) { return col_type(c).scale; }

/* A literal for an exact column: on the grid, or (1 in 4) halfway between two values. */
static void rand_exact_lit(int c, strom_i128 *num, int *scale)
{
    strom_value v = rand_value(c);
    strom_i128 x = col_type(c).id == STROM_TYPE_DECIMAL ? v.u.d : v.u.i;
    *scale = col_scale(c);
    *num = x;
    /* stay inside the type's range (beyond it is a parse error, tested elsewhere) */
    bool extreme = col_type(c).id == STROM_TYPE_DECIMAL ? false
                   : col_type(c).id == STROM_TYPE_TINYINT ? (x == INT8_MAX || x == INT8_MIN)
                                                            : (x == INT64_MAX || x == INT64_MIN);
    if (rndn(4) == 0 && !extreme) {
        *num = x * 10 + (rndn(2) ? 5 : -5);
        *scale += 1;
    }
}

static rnode *rand_pred(int depth)
{
    rnode *n = calloc(1, sizeof *n);
    int k = depth > 0 ? rndn(10) : 0;
    if (k >= 7) {
        n->kind = k == 7 ? R_AND : k == 8 ? R_OR : R_NOT;
        n->n = n->kind == R_NOT ? 1 : 2 + rndn(2);
        for (int i = 0; i < n->n; i++)
            n->kids[i] = rand_pred(depth - 1);
        return n;
    }
    n->col = rndn(NCOLS);
    if (n->col == C_WEIRD || n->col == C_DATE)
        n->col = C_I32;
    int leaf = rndn(10);
    if (leaf == 0) {
        n->kind = R_ISNULL;
        n->negated = rndn(2);
    } else if (leaf <= 2) {
        n->kind = R_IN;
        n->negated = rndn(2);
        n->n = 1 + rndn(5);
        for (int i = 0; i < n->n; i++) {
            n->list[i] = rand_value(n->col);
            n->list[i].is_null = rndn(8) == 0;
            if (is_exact_col(n->col))
                rand_exact_lit(n->col, &n->lnum[i], &n->lscale[i]);
        }
    } else if (leaf == 3 && n->col == C_B) {
        n->kind = R_BOOLCOL;
    } else {
        n->kind = R_CMP;
        n->op = rndn(6);
        n->lit_first = rndn(4) == 0;
        n->lit = rand_value(n->col);
        n->lit.is_null = rndn(20) == 0;
        n->exact = is_exact_col(n->col);
        if (n->exact)
            rand_exact_lit(n->col, &n->num, &n->num_scale);
    }
    return n;
}

static void rfree(rnode *n)
{
    if (!n)
        return;
    for (int i = 0; i < 3; i++)
        rfree(n->kids[i]);
    free(n);
}

static void put(strom_buf *b, const char *s) { strom_buf_append(b, s, strlen(s)); }

static void put_lit(strom_buf *b, int c, const strom_value *v, bool exact, strom_i128 num,
                    int scale)
{
    char tmp[256];
    if (v->is_null) {
        put(b, rndn(2) ? "NULL" : "null");
        return;
    }
    if (exact) {
        strom_value d = {.type = STROM_TYPE_DECIMAL, .is_null = false, .u.d = num};
        strom_value_format(&d, scale, tmp, sizeof tmp);
        put(b, tmp);
        return;
    }
    strom_type_id t = col_type(c).id;
    if (rndn(2)) {
        if (t == STROM_TYPE_DATE)
            put(b, "DATE ");
        else if (t == STROM_TYPE_TIME)
            put(b, "TIME ");
        else if (t == STROM_TYPE_TIMESTAMP || t == STROM_TYPE_TIMESTAMP_LTZ)
            put(b, "TIMESTAMP ");
    }
    strom_value_format(v, col_scale(c), tmp, sizeof tmp);
    put(b, tmp);
}

static const char *const op_text[] = {"=", "<>", "<", "<=", ">", ">="};
static const int op_flip[] = {0, 1, 4, 5, 2, 3};

static void rtext(strom_buf *b, const rnode *n)
{
    switch (n->kind) {
    case R_AND:
    case R_OR:
        for (int i = 0; i < n->n; i++) {
            if (i)
                put(b, n->kind == R_AND ? " AND " : " or ");
            put(b, "(");
            rtext(b, n->kids[i]);
            put(b, ")");
        }
        return;
    case R_NOT:
        put(b, "NOT (");
        rtext(b, n->kids[0]);
        put(b, ")");
        return;
    default:
        break;
    }
    const char *name = col_names[n->col];
    if (n->kind == R_CMP && n->lit_first) {
        put_lit(b, n->col, &n->lit, n->exact, n->num, n->num_scale);
        put(b, " ");
        put(b, op_text[op_flip[n->op]]);
        put(b, " ");
        put(b, name);
        return;
    }
    put(b, name);
    if (n->kind == R_ISNULL) {
        put(b, n->negated ? " IS NOT NULL" : " IS NULL");
    } else if (n->kind == R_IN) {
        put(b, n->negated ? " NOT IN (" : " IN (");
        for (int i = 0; i < n->n; i++) {
            if (i)
                put(b, ", ");
            put_lit(b, n->col, &n->list[i], is_exact_col(n->col), n->lnum[i], n->lscale[i]);
        }
        put(b, ")");
    } else if (n->kind == R_CMP) {
        put(b, " ");
        put(b, op_text[n->op]);
        put(b, " ");
        put_lit(b, n->col, &n->lit, n->exact, n->num, n->num_scale);
    }
}

enum { F3 = 0, T3 = 1, U3 = 2 };

/* x (row value) against an exact literal num * 10^-scale, column at scale cs. */
static int cmp_exact(const strom_value *x, int c, strom_i128 num, int scale)
{
    strom_i128 xv = col_type(c).id == STROM_TYPE_DECIMAL ? x->u.d : x->u.i;
    int cs = col_scale(c);
    /* bring both to the larger scale (differences are at most 1 digit here) */
    for (int s = cs; s < scale; s++)
        xv *= 10;
    for (int s = scale; s < cs; s++)
        num *= 10;
    return xv < num ? -1 : xv > num;
}

static bool holds(int op, int c)
{
    switch (op) {
    case 0: return c == 0;
    case 1: return c != 0;
    case 2: return c < 0;
    case 3: return c <= 0;
    case 4: return c > 0;
    default: return c >= 0;
    }
}

static int reval(const rnode *n, const tbatch *tb, int64_t r)
{
    switch (n->kind) {
    case R_NOT: {
        int v = reval(n->kids[0], tb, r);
        return v == U3 ? U3 : v == T3 ? F3 : T3;
    }
    case R_AND:
    case R_OR: {
        bool and = n->kind == R_AND;
        int acc = and ? T3 : F3;
        for (int i = 0; i < n->n; i++) {
            int v = reval(n->kids[i], tb, r);
            if (and)
                acc = (acc == F3 || v == F3) ? F3 : (acc == U3 || v == U3) ? U3 : T3;
            else
                acc = (acc == T3 || v == T3) ? T3 : (acc == U3 || v == U3) ? U3 : F3;
        }
        return acc;
    }
    default:
        break;
    }
    const strom_value *x = &tb->cols[n->col].vals[r];
    if (n->kind == R_ISNULL)
        return x->is_null != n->negated ? T3 : F3;
    if (x->is_null)
        return U3;
    if (n->kind == R_BOOLCOL)
        return x->u.b ? T3 : F3;
    if (n->kind == R_CMP) {
        if (n->lit.is_null)
            return U3;
        int c;
        if (n->exact) {
            c = cmp_exact(x, n->col, n->num, n->num_scale);
        } else {
            strom_value l = n->lit;
            if (l.type == STROM_TYPE_FLOAT)
                l.u.f = (float)l.u.f;
            c = strom_value_cmp(x, &l);
        }
        return holds(n->op, c) ? T3 : F3;
    }
    /* IN */
    bool found = false, null_seen = false;
    for (int i = 0; i < n->n; i++) {
        if (n->list[i].is_null) {
            null_seen = true;
            continue;
        }
        int c = is_exact_col(n->col) ? cmp_exact(x, n->col, n->lnum[i], n->lscale[i])
                                     : strom_value_cmp(x, &n->list[i]);
        if (c == 0)
            found = true;
    }
    int v = found ? T3 : null_seen ? U3 : F3;
    if (n->negated)
        v = v == U3 ? U3 : v == T3 ? F3 : T3;
    return v;
}

static int g_none, g_all, g_some;

/* Parses `text`, evaluates rows and stats, checks both against the reference. */
static void check_one(const rnode *rn, const char *text, const tbatch *tb,
                      const strom_batch_stats *st)
{
    strom_error e;
    strom_pred *p = NULL;
    if (strom_pred_parse(text, strlen(text), g_schema, &p, &e) < 0) {
        fprintf(stderr, "random predicate does not parse: %s\n  %s\n", text, e.msg);
        CHECK(0);
        return;
    }
    int64_t rows = tb->b.rows;
    size_t nb = (size_t)(rows + 7) / 8;
    uint8_t *sel = malloc(nb + 1), *sel2 = malloc(nb + 1);
    memset(sel, 0xAA, nb + 1);
    int64_t nsel = -1, want = 0;
    CHECK_OK(strom_pred_eval_rows(p, &tb->b, sel, &nsel, &e), &e);
    bool bad = false;
    for (int64_t r = 0; r < rows; r++) {
        bool exp = reval(rn, tb, r) == T3;
        want += exp;
        if (exp != strom_bit_get(sel, r) && !bad) {
            bad = true;
            fprintf(stderr, "row %lld: predicate %s: reference %d, eval_rows %d\n",
                    (long long)r, text, exp, !exp);
        }
    }
    CHECK(!bad);
    CHECK_EQ(nsel, want);
    if (rows & 7)
        CHECK_EQ(sel[nb - 1] >> (rows & 7), 0);
    CHECK_EQ(sel[nb], 0xAA); /* nothing written past the bitmap */
    /* the canonical text evaluates identically */
    strom_buf b = STROM_BUF_INIT;
    strom_pred *q = NULL;
    CHECK_OK(strom_pred_format(p, g_schema, &b), &e);
    if (strom_pred_parse((const char *)b.data, b.len, g_schema, &q, &e) < 0) {
        fprintf(stderr, "canonical text does not parse: %.*s\n  %s\n", (int)b.len, b.data, e.msg);
        CHECK(0);
    } else {
        int64_t n2 = -1;
        CHECK_OK(strom_pred_eval_rows(q, &tb->b, sel2, &n2, &e), &e);
        CHECK(nb == 0 || memcmp(sel, sel2, nb) == 0);
        CHECK_EQ(n2, nsel);
    }
    /* statistics are conservative */
    strom_pred_match m = strom_pred_eval_stats(p, st);
    if ((m == STROM_MATCH_NONE && want > 0) || (m == STROM_MATCH_ALL && want < rows)) {
        fprintf(stderr, "eval_stats %d unsound for %s: %lld of %lld rows match\n", m, text,
                (long long)want, (long long)rows);
        CHECK(0);
    }
    g_none += m == STROM_MATCH_NONE;
    g_all += m == STROM_MATCH_ALL;
    g_some += m == STROM_MATCH_SOME;
    strom_pred_free(q);
    strom_buf_free(&b);
    strom_pred_free(p);
    free(sel);
    free(sel2);
}

TEST(random_rows_and_stats)
{
    strom_col_stats cs[NCOLS];
    strom_batch_stats st;
    int batches = 400;
    for (int i = 0; i < batches; i++) {
        int64_t rows = i % 50 == 0 ? 4096 * 2 + rndn(100) : rndn(i % 3 == 0 ? 4 : 40);
        tbatch tb;
        tbatch_build(&tb, rows, rndn(3) == 0 ? 0 : rndn(40));
        tbatch_stats(&tb, &st, cs);
        for (int k = 0; k < 40; k++) {
            rnode *rn = rand_pred(rndn(4));
            strom_buf b = STROM_BUF_INIT;
            rtext(&b, rn);
            put(&b, "");
            strom_buf_append(&b, "", 1);
            check_one(rn, (const char *)b.data, &tb, &st);
            strom_buf_free(&b);
            rfree(rn);
        }
        tbatch_free(&tb);
    }
    printf("    stats answers: %d NONE, %d SOME, %d ALL\n", g_none, g_some, g_all);
    CHECK(g_none > 100 && g_all > 100); /* pruning actually happens */
}

/* Stats evaluation on hand-made stats where the answer is known. */
TEST(stats_exact_answers)
{
    strom_col_stats cs[NCOLS];
    memset(cs, 0, sizeof cs);
    strom_batch_stats st = {.rows = 100, .ncols = NCOLS, .cols = cs};
    strom_col_stats *x = &cs[C_I32];
    x->has_min = x->has_max = x->min_exact = x->max_exact = true;
    x->min = (strom_value){.type = STROM_TYPE_INT, .u.i = 10};
    x->max = (strom_value){.type = STROM_TYPE_INT, .u.i = 20};
    struct {
        const char *text;
        int64_t nulls;
        strom_pred_match want;
    } cases[] = {
        {"i32 > 5", 0, STROM_MATCH_ALL},
        {"i32 > 5", 1, STROM_MATCH_SOME},
        {"i32 > 20", 0, STROM_MATCH_NONE},
        {"i32 >= 20", 0, STROM_MATCH_SOME},
        {"i32 < 10", 0, STROM_MATCH_NONE},
        {"i32 <= 20", 0, STROM_MATCH_ALL},
        {"i32 = 30", 0, STROM_MATCH_NONE},
        {"i32 <> 30", 0, STROM_MATCH_ALL},
        {"i32 <> 30", 5, STROM_MATCH_SOME},
        {"NOT i32 > 30", 0, STROM_MATCH_ALL},
        {"NOT i32 > 30", 5, STROM_MATCH_SOME},     /* NULL rows are UNKNOWN, not TRUE */
        {"NOT i32 > 5", 0, STROM_MATCH_NONE},
        {"i32 IS NULL", 0, STROM_MATCH_NONE},
        {"i32 IS NULL", 100, STROM_MATCH_ALL},
        {"i32 IS NOT NULL", 100, STROM_MATCH_NONE},
        {"i32 > 5", 100, STROM_MATCH_NONE},
        {"NOT i32 > 5", 100, STROM_MATCH_NONE},
        {"i32 IN (1, 2, 30)", 0, STROM_MATCH_NONE},
        {"i32 IN (1, 15)", 0, STROM_MATCH_SOME},
        {"i32 NOT IN (1, 30)", 0, STROM_MATCH_ALL},
        {"i32 NOT IN (1, 30, NULL)", 0, STROM_MATCH_NONE},
        {"i32 = NULL", 0, STROM_MATCH_NONE},
        {"NOT i32 = NULL", 0, STROM_MATCH_NONE},
        {"i32 > 5 AND i32 < 30", 0, STROM_MATCH_ALL},
        {"i32 > 5 AND i32 > 30", 0, STROM_MATCH_NONE},
        {"i32 > 30 OR i32 < 5", 0, STROM_MATCH_NONE},
        {"i32 > 30 OR i32 < 25", 0, STROM_MATCH_ALL},
        {"i32 > 30 OR i32 < 15", 0, STROM_MATCH_SOME},
        {"i32 = 10.5", 0, STROM_MATCH_NONE},
        {"i32 <> 10.5", 0, STROM_MATCH_ALL},
        {"i8 > 0", 0, STROM_MATCH_SOME},            /* no stats for i8: unknown */
        {"NOT i8 > 0", 0, STROM_MATCH_SOME},
        {"i8 IS NULL", 0, STROM_MATCH_NONE},        /* i8 null_count 0 */
    };
    for (size_t i = 0; i < STROM_ARRAY_LEN(cases); i++) {
        strom_error e;
        strom_pred *p = NULL;
        x->null_count = cases[i].nulls;
        x->has_min = x->has_max = cases[i].nulls < 100;
        CHECK_OK(strom_pred_parse(cases[i].text, strlen(cases[i].text), g_schema, &p, &e), &e);
        strom_pred_match m = strom_pred_eval_stats(p, &st);
        if (m != cases[i].want)
            fprintf(stderr, "%s with %lld nulls: %d, want %d\n", cases[i].text,
                    (long long)cases[i].nulls, m, cases[i].want);
        CHECK_EQ(m, cases[i].want);
        strom_pred_free(p);
    }
    /* hostile stats: null_count out of range, min > max, wrong bound type */
    strom_pred *p = NULL;
    strom_error e;
    CHECK_OK(strom_pred_parse("i32 > 5", 7, g_schema, &p, &e), &e);
    x->null_count = 1000;
    CHECK_EQ(strom_pred_eval_stats(p, &st), STROM_MATCH_SOME);
    x->null_count = 0;
    x->has_min = x->has_max = true;
    x->min.u.i = 30;
    CHECK_EQ(strom_pred_eval_stats(p, &st), STROM_MATCH_SOME);
    x->min.u.i = 10;
    x->min.type = STROM_TYPE_BIGINT;
    x->max.type = STROM_TYPE_BIGINT;
    CHECK_EQ(strom_pred_eval_stats(p, &st), STROM_MATCH_SOME);
    st.ncols = 2; /* column beyond the stats */
    CHECK_EQ(strom_pred_eval_stats(p, &st), STROM_MATCH_SOME);
    st.rows = 0;
    CHECK_EQ(strom_pred_eval_stats(p, &st), STROM_MATCH_NONE);
    strom_pred_free(p);
}

TEST(eval_rows_errors)
{
    tbatch tb;
    tbatch_build(&tb, 20, 10);
    strom_error e;
    uint8_t sel[3];
    int64_t n;
    strom_value big = {.type = STROM_TYPE_BIGINT, .u.i = 1};
    strom_pred *p = strom_pred_cmp(C_I32, STROM_CMP_EQ, &big); /* literal of the wrong type */
    CHECK_EQ(strom_pred_eval_rows(p, &tb.b, sel, &n, &e), STROM_ETYPE);
    strom_pred_free(p);
    strom_value one = {.type = STROM_TYPE_INT, .u.i = 1};
    p = strom_pred_cmp(NCOLS + 3, STROM_CMP_EQ, &one);
    CHECK_EQ(strom_pred_eval_rows(p, &tb.b, sel, &n, &e), STROM_EINVAL);
    strom_pred_free(p);
    p = strom_pred_cmp(C_I32, STROM_CMP_EQ, &one);
    tb.views[C_I32].values_len = 40; /* too short for 20 INTs */
    CHECK_EQ(strom_pred_eval_rows(p, &tb.b, sel, &n, &e), STROM_ECORRUPT);
    CHECK(strstr(e.msg, "'i32'") != NULL);
    strom_pred_free(p);
    strom_value s = {.type = STROM_TYPE_STRING};
    s.u.s.ptr = (const uint8_t *)"a";
    s.u.s.len = 1;
    p = strom_pred_cmp(C_S, STROM_CMP_EQ, &s);
    int32_t saved = tb.cols[C_S].offsets[5];
    tb.cols[C_S].offsets[5] = tb.cols[C_S].offsets[6] + 1; /* decreasing */
    CHECK_EQ(strom_pred_eval_rows(p, &tb.b, sel, &n, &e), STROM_ECORRUPT);
    tb.cols[C_S].offsets[5] = saved;
    tb.cols[C_S].offsets[20] = (int32_t)tb.views[C_S].values_len + 1; /* past the data */
    CHECK_EQ(strom_pred_eval_rows(p, &tb.b, sel, &n, &e), STROM_ECORRUPT);
    strom_pred_free(p);
    /* programmatic literal outside a narrow type is still evaluated correctly */
    strom_value huge = {.type = STROM_TYPE_TINYINT, .u.i = 1000};
    tbatch_free(&tb);
    tbatch_build(&tb, 20, 0);
    p = strom_pred_cmp(C_I8, STROM_CMP_LT, &huge);
    CHECK_OK(strom_pred_eval_rows(p, &tb.b, sel, &n, &e), &e);
    CHECK_EQ(n, 20);
    strom_pred_free(p);
    /* an empty batch */
    tb.b.rows = 0;
    p = strom_pred_is_null(C_I8, false);
    n = -1;
    CHECK_OK(strom_pred_eval_rows(p, &tb.b, NULL, &n, &e), &e);
    CHECK_EQ(n, 0);
    strom_pred_free(p);
    tbatch_free(&tb);
}

/* Throughput of the hot path: one comparison on a BIGINT column, 1% selectivity. */
TEST(filter_throughput)
{
    int64_t rows = 1 << 20;
    int64_t *v = malloc((size_t)rows * 8);
    for (int64_t i = 0; i < rows; i++)
        v[i] = (int64_t)(rnd() % 1000000);
    strom_schema *s = strom_schema_new(1);
    strom_error e;
    CHECK_OK(strom_schema_add(s, "c0", strom_type_of(STROM_TYPE_BIGINT), true, &e), &e);
    strom_col_view cv = {rows, 0, NULL, (const uint8_t *)v, NULL, rows * 8};
    strom_batch b = {s, rows, 1, &cv, NULL};
    strom_pred *p = NULL;
    CHECK_OK(strom_pred_parse("c0 < 10000", 10, s, &p, &e), &e);
    uint8_t *sel = malloc((size_t)rows / 8);
    int64_t n = 0;
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CHECK_OK(strom_pred_eval_rows(p, &b, sel, &n, &e), &e);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
        best = ns < best ? ns : best;
    }
    int64_t want = 0;
    for (int64_t i = 0; i < rows; i++)
        want += v[i] < 10000;
    CHECK_EQ(n, want);
    printf("    filter BIGINT < const: %.2f GB/s of input (%lld of %lld rows)\n",
           (double)rows * 8 / best, (long long)n, (long long)rows);
    strom_pred_free(p);
    strom_schema_free(s);
    free(sel);
    free(v);
}

int main(void)
{
    init_pools();
    g_schema = make_schema();
    RUN_TEST(parse_constructs);
    RUN_TEST(parse_literals_per_type);
    RUN_TEST(parse_offgrid_literals);
    RUN_TEST(parse_errors);
    RUN_TEST(parse_limits);
    RUN_TEST(programmatic_and_columns);
    RUN_TEST(random_rows_and_stats);
    RUN_TEST(stats_exact_answers);
    RUN_TEST(eval_rows_errors);
    RUN_TEST(filter_throughput);
    strom_schema_free(g_schema);
    return TEST_EXIT();
}
