/* Unit tests for scalar values (columnar/value.h): the total order, the text form, and the
 * literal parsers. */
#include <math.h>

#include "columnar/value.h"
#include "common/common.h"
#include "test.h"

static strom_value vi(strom_type_id t, int64_t i)
{
    strom_value v = {.type = t, .is_null = false};
    v.u.i = i;
    return v;
}
static strom_value vf(strom_type_id t, double f)
{
    strom_value v = {.type = t, .is_null = false};
    v.u.f = f;
    return v;
}
static strom_value vd(strom_i128 d)
{
    strom_value v = {.type = STROM_TYPE_DECIMAL, .is_null = false};
    v.u.d = d;
    return v;
}
static strom_value vs(strom_type_id t, const char *s, uint32_t len)
{
    strom_value v = {.type = t, .is_null = false};
    v.u.s.ptr = (const uint8_t *)s;
    v.u.s.len = len;
    return v;
}
static strom_value vb(bool b)
{
    strom_value v = {.type = STROM_TYPE_BOOLEAN, .is_null = false};
    v.u.b = b;
    return v;
}

static int sgn(int x) { return x < 0 ? -1 : x > 0; }

/* Formats v and returns a static copy. */
static const char *fmt(strom_value v, int scale)
{
    static char buf[256];
    int n = strom_value_format(&v, scale, buf, sizeof buf);
    if (n != (int)strlen(buf))
        return "<length mismatch>";
    return buf;
}

TEST(order_integers_bool_decimal)
{
    strom_value a = vi(STROM_TYPE_BIGINT, -5), b = vi(STROM_TYPE_BIGINT, 3);
    CHECK(strom_value_cmp(&a, &b) < 0);
    CHECK(strom_value_cmp(&b, &a) > 0);
    CHECK_EQ(strom_value_cmp(&a, &a), 0);
    a = vi(STROM_TYPE_BIGINT, INT64_MIN);
    b = vi(STROM_TYPE_BIGINT, INT64_MAX);
    CHECK(strom_value_cmp(&a, &b) < 0);
    strom_value f = vb(false), t = vb(true);
    CHECK(strom_value_cmp(&f, &t) < 0);
    CHECK_EQ(strom_value_cmp(&t, &t), 0);
    strom_i128 big = (strom_i128)1 << 100;
    strom_value d1 = vd(-big), d2 = vd(big), d3 = vd(big + 1);
    CHECK(strom_value_cmp(&d1, &d2) < 0);
    CHECK(strom_value_cmp(&d3, &d2) > 0);
    strom_value t1 = vi(STROM_TYPE_TIMESTAMP, -1), t2 = vi(STROM_TYPE_TIMESTAMP, 0);
    CHECK(strom_value_cmp(&t1, &t2) < 0);
}

TEST(order_floating_point)
{
    strom_value nan = vf(STROM_TYPE_DOUBLE, NAN), nnan = vf(STROM_TYPE_DOUBLE, -NAN);
    strom_value inf = vf(STROM_TYPE_DOUBLE, INFINITY), ninf = vf(STROM_TYPE_DOUBLE, -INFINITY);
    strom_value pz = vf(STROM_TYPE_DOUBLE, 0.0), nz = vf(STROM_TYPE_DOUBLE, -0.0);
    strom_value one = vf(STROM_TYPE_DOUBLE, 1.0);
    CHECK_EQ(strom_value_cmp(&nan, &nan), 0);
    CHECK_EQ(strom_value_cmp(&nan, &nnan), 0);
    CHECK(strom_value_cmp(&nan, &inf) > 0);
    CHECK(strom_value_cmp(&inf, &nan) < 0);
    CHECK(strom_value_cmp(&ninf, &nan) < 0);
    CHECK_EQ(strom_value_cmp(&pz, &nz), 0);
    CHECK_EQ(strom_value_cmp(&nz, &pz), 0);
    CHECK(strom_value_cmp(&ninf, &nz) < 0);
    CHECK(strom_value_cmp(&one, &inf) < 0);
    CHECK(strom_value_cmp(&one, &pz) > 0);
    /* transitivity / antisymmetry on a mixed set */
    double xs[] = {NAN, -INFINITY, -1e300, -1.5, -0.0, 0.0, 1e-310, 2.5, 1e300, INFINITY};
    int n = (int)STROM_ARRAY_LEN(xs);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            strom_value a = vf(STROM_TYPE_FLOAT, xs[i]), b = vf(STROM_TYPE_FLOAT, xs[j]);
            CHECK_EQ(sgn(strom_value_cmp(&a, &b)), -sgn(strom_value_cmp(&b, &a)));
        }
}

TEST(order_strings)
{
    strom_value a = vs(STROM_TYPE_STRING, "abc", 3), ab = vs(STROM_TYPE_STRING, "ab", 2);
    strom_value e = vs(STROM_TYPE_STRING, "", 0), hi = vs(STROM_TYPE_STRING, "\xff", 1);
    strom_value z = vs(STROM_TYPE_BYTES, "a\0", 2), z1 = vs(STROM_TYPE_BYTES, "a", 1);
    CHECK(strom_value_cmp(&ab, &a) < 0);  /* prefix first */
    CHECK(strom_value_cmp(&a, &ab) > 0);
    CHECK(strom_value_cmp(&e, &ab) < 0);
    CHECK_EQ(strom_value_cmp(&e, &e), 0);
    CHECK(strom_value_cmp(&a, &hi) < 0);  /* unsigned bytes */
    CHECK(strom_value_cmp(&z1, &z) < 0);  /* embedded NUL counts */
    strom_value a2 = vs(STROM_TYPE_STRING, "abc", 3);
    CHECK_EQ(strom_value_cmp(&a, &a2), 0);
}

TEST(format_numbers)
{
    CHECK_STR(fmt(vi(STROM_TYPE_INT, -42), 0), "-42");
    CHECK_STR(fmt(vi(STROM_TYPE_BIGINT, INT64_MIN), 0), "-9223372036854775808");
    CHECK_STR(fmt(vi(STROM_TYPE_TINYINT, 127), 0), "127");
    CHECK_STR(fmt(vb(true), 0), "TRUE");
    CHECK_STR(fmt(vb(false), 0), "FALSE");
    CHECK_STR(fmt(vd(1250), 2), "12.50");
    CHECK_STR(fmt(vd(-1250), 2), "-12.50");
    CHECK_STR(fmt(vd(5), 2), "0.05");
    CHECK_STR(fmt(vd(-5), 2), "-0.05");
    CHECK_STR(fmt(vd(0), 3), "0.000");
    CHECK_STR(fmt(vd(7), 0), "7");
    CHECK_STR(fmt(vd(-1), 38), "-0.00000000000000000000000000000000000001");
    strom_i128 max = (((strom_i128)1 << 126) - 1) * 2 + 1;
    CHECK_STR(fmt(vd(max), 0), "170141183460469231731687303715884105727");
    CHECK_STR(fmt(vd(-max - 1), 0), "-170141183460469231731687303715884105728");
    CHECK_STR(fmt(vd(-max - 1), 10), "-17014118346046923173168730371.5884105728");
    CHECK_STR(fmt(vf(STROM_TYPE_DOUBLE, 0.1), 0), "0.1");
    CHECK_STR(fmt(vf(STROM_TYPE_DOUBLE, -2.5), 0), "-2.5");
    CHECK_STR(fmt(vf(STROM_TYPE_DOUBLE, 1e300), 0), "1e+300");
    CHECK_STR(fmt(vf(STROM_TYPE_DOUBLE, NAN), 0), "NaN");
    CHECK_STR(fmt(vf(STROM_TYPE_DOUBLE, INFINITY), 0), "Infinity");
    CHECK_STR(fmt(vf(STROM_TYPE_DOUBLE, -INFINITY), 0), "-Infinity");
    CHECK_STR(fmt(vf(STROM_TYPE_DOUBLE, -0.0), 0), "-0");
    CHECK_STR(fmt(vf(STROM_TYPE_FLOAT, (float)0.1), 0), "0.1");
    CHECK_STR(fmt(vf(STROM_TYPE_FLOAT, (float)3.4e38), 0), "3.4e+38");
    CHECK_STR(fmt(vf(STROM_TYPE_DOUBLE, 0.30000000000000004), 0), "0.30000000000000004");
    /* random doubles round-trip through text */
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 2000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, 8);
        if (isnan(d))
            continue;
        CHECK(strtod(fmt(vf(STROM_TYPE_DOUBLE, d), 0), NULL) == d);
        float f = (float)d;
        if (!isinf(f) || isinf(d))
            CHECK((float)strtod(fmt(vf(STROM_TYPE_FLOAT, f), 0), NULL) == f);
    }
}

TEST(format_temporal_and_strings)
{
    CHECK_STR(fmt(vi(STROM_TYPE_DATE, 0), 0), "'1970-01-01'");
    CHECK_STR(fmt(vi(STROM_TYPE_DATE, -1), 0), "'1969-12-31'");
    CHECK_STR(fmt(vi(STROM_TYPE_DATE, 20454), 0), "'2026-01-01'");
    CHECK_STR(fmt(vi(STROM_TYPE_DATE, 11016), 0), "'2000-02-29'");
    CHECK_STR(fmt(vi(STROM_TYPE_DATE, -719528), 0), "'0000-01-01'");
    CHECK_STR(fmt(vi(STROM_TYPE_DATE, -719529), 0), "'-0001-12-31'");
    CHECK_STR(fmt(vi(STROM_TYPE_DATE, -141427), 0), "'1582-10-15'");
    CHECK_STR(fmt(vi(STROM_TYPE_DATE, 2932896), 0), "'9999-12-31'");
    CHECK_STR(fmt(vi(STROM_TYPE_DATE, 2932897), 0), "'10000-01-01'");
    CHECK_STR(fmt(vi(STROM_TYPE_TIME, 0), 0), "'00:00:00'");
    CHECK_STR(fmt(vi(STROM_TYPE_TIME, 86399999999LL), 0), "'23:59:59.999999'");
    CHECK_STR(fmt(vi(STROM_TYPE_TIME, 45296000001LL), 0), "'12:34:56.000001'");
    CHECK_STR(fmt(vi(STROM_TYPE_TIME, -1), 0), "-1"); /* hostile: outside a day */
    CHECK_STR(fmt(vi(STROM_TYPE_TIMESTAMP, 0), 0), "'1970-01-01 00:00:00'");
    CHECK_STR(fmt(vi(STROM_TYPE_TIMESTAMP, -1), 0), "'1969-12-31 23:59:59.999999'");
    CHECK_STR(fmt(vi(STROM_TYPE_TIMESTAMP_LTZ, 1767225600123456LL), 0),
              "'2026-01-01 00:00:00.123456Z'");
    CHECK_STR(fmt(vi(STROM_TYPE_TIMESTAMP, INT64_MIN), 0), "'-290308-12-21 19:59:05.224192'");
    CHECK_STR(fmt(vi(STROM_TYPE_TIMESTAMP, INT64_MAX), 0), "'294247-01-10 04:00:54.775807'");
    CHECK_STR(fmt(vs(STROM_TYPE_STRING, "it's", 4), 0), "'it''s'");
    CHECK_STR(fmt(vs(STROM_TYPE_STRING, "", 0), 0), "''");
    CHECK_STR(fmt(vs(STROM_TYPE_BYTES, "\x00\xab\xff", 3), 0), "X'00abff'");
    CHECK_STR(fmt(vs(STROM_TYPE_BYTES, "", 0), 0), "X''");
    strom_value n = vi(STROM_TYPE_INT, 1);
    n.is_null = true;
    CHECK_STR(fmt(n, 0), "NULL");
}

TEST(format_truncation)
{
    char buf[6];
    strom_value v = vs(STROM_TYPE_STRING, "abcdefgh", 8);
    CHECK_EQ(strom_value_format(&v, 0, buf, sizeof buf), 10);
    CHECK_STR(buf, "'abcd");
    CHECK_EQ(strom_value_format(&v, 0, NULL, 0), 10);
    char one[1] = {'x'};
    CHECK_EQ(strom_value_format(&v, 0, one, 1), 10);
    CHECK_EQ(one[0], 0);
}

TEST(calendar_roundtrip)
{
    /* every day in a wide window maps back to itself and advances the civil date by one */
    int64_t py = 0;
    int pm = 0, pd = 0;
    for (int64_t d = -800000; d <= 800000; d += 1) {
        int64_t y;
        int m, dd;
        strom_civil_from_days(d, &y, &m, &dd);
        if (strom_days_from_civil(y, m, dd) != d) {
            CHECK(0);
            break;
        }
        if (d > -800000 && !(dd == pd + 1 || (dd == 1 && (m == pm + 1 || (m == 1 && y == py + 1))))) {
            CHECK(0);
            break;
        }
        py = y;
        pm = m;
        pd = dd;
    }
    CHECK_EQ(strom_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ(strom_days_from_civil(2000, 3, 1), 11017);
}

TEST(parse_date_time_timestamp)
{
    strom_error e;
    int32_t d;
    int64_t t;
    CHECK_OK(strom_parse_date("2026-01-01", 10, &d, &e), &e);
    CHECK_EQ(d, 20454);
    CHECK_OK(strom_parse_date("-0001-12-31", 11, &d, &e), &e);
    CHECK_EQ(d, -719529);
    CHECK_OK(strom_parse_date("2000-02-29", 10, &d, &e), &e);
    CHECK_EQ(strom_parse_date("1900-02-29", 10, &d, &e), STROM_ERANGE);
    CHECK(strstr(e.msg, "day 29") != NULL);
    CHECK_EQ(strom_parse_date("2026-13-01", 10, &d, &e), STROM_ERANGE);
    CHECK(strstr(e.msg, "month 13") != NULL);
    CHECK_EQ(strom_parse_date("2026-1-01", 9, &d, &e), STROM_EPARSE);
    CHECK_EQ(strom_parse_date("26-01-01", 8, &d, &e), STROM_EPARSE);
    CHECK_EQ(strom_parse_date("2026-01-01x", 11, &d, &e), STROM_EPARSE);
    CHECK_EQ(strom_parse_date("", 0, &d, &e), STROM_EPARSE);
    CHECK_EQ(strom_parse_date("999999999-01-01", 15, &d, &e), STROM_ERANGE);
    CHECK_OK(strom_parse_time("12:34:56.000001", 15, &t, &e), &e);
    CHECK_EQ(t, 45296000001LL);
    CHECK_OK(strom_parse_time("12:34", 5, &t, &e), &e);
    CHECK_EQ(t, 45240000000LL);
    CHECK_OK(strom_parse_time("23:59:59.5", 10, &t, &e), &e);
    CHECK_EQ(t, 86399500000LL);
    CHECK_EQ(strom_parse_time("24:00:00", 8, &t, &e), STROM_ERANGE);
    CHECK_EQ(strom_parse_time("12:60", 5, &t, &e), STROM_ERANGE);
    CHECK_EQ(strom_parse_time("12:00:00.1234567", 16, &t, &e), STROM_ERANGE);
    CHECK_EQ(strom_parse_time("12:00:00.", 9, &t, &e), STROM_EPARSE);
    CHECK_EQ(strom_parse_time("1:00", 4, &t, &e), STROM_EPARSE);
    CHECK_OK(strom_parse_timestamp("2026-01-01 00:00:00.123456", 26, false, &t, &e), &e);
    CHECK_EQ(t, 1767225600123456LL);
    CHECK_OK(strom_parse_timestamp("2026-01-01T01:00:00+01:00", 25, true, &t, &e), &e);
    CHECK_EQ(t, 1767225600000000LL);
    CHECK_OK(strom_parse_timestamp("2026-01-01 00:00:00Z", 20, true, &t, &e), &e);
    CHECK_EQ(t, 1767225600000000LL);
    CHECK_OK(strom_parse_timestamp("2025-12-31T23:00-0100", 21, true, &t, &e), &e);
    CHECK_EQ(t, 1767225600000000LL);
    CHECK_OK(strom_parse_timestamp("1969-12-31", 10, false, &t, &e), &e);
    CHECK_EQ(t, -86400000000LL);
    CHECK_EQ(strom_parse_timestamp("2026-01-01 00:00:00Z", 20, false, &t, &e), STROM_EPARSE);
    CHECK(strstr(e.msg, "no zone") != NULL);
    CHECK_EQ(strom_parse_timestamp("2026-01-01 00:00:00+25:00", 25, true, &t, &e), STROM_EPARSE);
    CHECK_EQ(strom_parse_timestamp("2026-01-01 00:00:00 ", 20, false, &t, &e), STROM_EPARSE);
    CHECK_EQ(strom_parse_timestamp("300000-01-01", 12, false, &t, &e), STROM_ERANGE);
    CHECK_OK(strom_parse_timestamp("294247-01-10 04:00:54.775807", 28, false, &t, &e), &e);
    CHECK_EQ(t, INT64_MAX);
    CHECK_OK(strom_parse_timestamp("-290308-12-21 19:59:05.224192", 29, false, &t, &e), &e);
    CHECK_EQ(t, INT64_MIN);
    CHECK_EQ(strom_parse_timestamp("-290308-12-21 19:59:05.224191", 29, false, &t, &e),
             STROM_ERANGE);
    CHECK_EQ(strom_parse_timestamp("294247-01-10 04:00:54.775808", 28, false, &t, &e),
             STROM_ERANGE);
    /* format -> parse round trip over a spread of instants */
    for (int64_t us = -9000000000000000000LL; us < 9000000000000000000LL;
         us += 123456789012345679LL) {
        strom_value v = vi(STROM_TYPE_TIMESTAMP_LTZ, us);
        const char *s = fmt(v, 0);
        int64_t back = 0;
        CHECK_OK(strom_parse_timestamp(s + 1, strlen(s) - 2, true, &back, &e), &e);
        CHECK_EQ(back, us);
    }
}

TEST(parse_numbers_and_decimals)
{
    strom_error e;
    strom_i128 u;
    int32_t sc;
    CHECK_OK(strom_parse_number_exact("10.50", 5, &u, &sc, &e), &e);
    CHECK(u == 105 && sc == 1);
    CHECK_OK(strom_parse_number_exact("-1e3", 4, &u, &sc, &e), &e);
    CHECK(u == -1 && sc == -3);
    CHECK_OK(strom_parse_number_exact(".5", 2, &u, &sc, &e), &e);
    CHECK(u == 5 && sc == 1);
    CHECK_OK(strom_parse_number_exact("5.", 2, &u, &sc, &e), &e);
    CHECK(u == 5 && sc == 0);
    CHECK_OK(strom_parse_number_exact("0.000", 5, &u, &sc, &e), &e);
    CHECK(u == 0 && sc == 0);
    CHECK_OK(strom_parse_number_exact("1.5E-2", 6, &u, &sc, &e), &e);
    CHECK(u == 15 && sc == 3);
    /* trailing zeros beyond 38 digits are fine; significant digits are not */
    const char *many0 = "1.000000000000000000000000000000000000000000000000";
    CHECK_OK(strom_parse_number_exact(many0, strlen(many0), &u, &sc, &e), &e);
    CHECK(u == 1 && sc == 0);
    const char *many = "1.000000000000000000000000000000000000000000000001";
    CHECK_EQ(strom_parse_number_exact(many, strlen(many), &u, &sc, &e), STROM_ERANGE);
    CHECK_EQ(strom_parse_number_exact("", 0, &u, &sc, &e), STROM_EPARSE);
    CHECK_EQ(strom_parse_number_exact(".", 1, &u, &sc, &e), STROM_EPARSE);
    CHECK_EQ(strom_parse_number_exact("1e", 2, &u, &sc, &e), STROM_EPARSE);
    CHECK_EQ(strom_parse_number_exact("1.2.3", 5, &u, &sc, &e), STROM_EPARSE);
    CHECK_EQ(strom_parse_number_exact("0x10", 4, &u, &sc, &e), STROM_EPARSE);
    CHECK_EQ(strom_parse_number_exact("1e999999", 8, &u, &sc, &e), STROM_ERANGE);
    CHECK_EQ(strom_parse_number_exact("--1", 3, &u, &sc, &e), STROM_EPARSE);

    bool inexact;
    CHECK_OK(strom_decimal_rescale(10123, 3, 2, STROM_ROUND_FLOOR, &u, &inexact), &e);
    CHECK(u == 1012 && inexact);
    CHECK_OK(strom_decimal_rescale(10123, 3, 2, STROM_ROUND_CEIL, &u, &inexact), &e);
    CHECK(u == 1013);
    CHECK_OK(strom_decimal_rescale(-10123, 3, 2, STROM_ROUND_FLOOR, &u, &inexact), &e);
    CHECK(u == -1013);
    CHECK_OK(strom_decimal_rescale(-10123, 3, 2, STROM_ROUND_CEIL, &u, &inexact), &e);
    CHECK(u == -1012);
    CHECK_OK(strom_decimal_rescale(-125, 2, 1, STROM_ROUND_HALF_UP, &u, &inexact), &e);
    CHECK(u == -13);
    CHECK_OK(strom_decimal_rescale(124, 2, 1, STROM_ROUND_HALF_UP, &u, &inexact), &e);
    CHECK(u == 12);
    CHECK_OK(strom_decimal_rescale(1200, 2, 0, STROM_ROUND_CEIL, &u, &inexact), &e);
    CHECK(u == 12 && !inexact);
    CHECK_OK(strom_decimal_rescale(5, 0, 3, STROM_ROUND_CEIL, &u, &inexact), &e);
    CHECK(u == 5000);
    CHECK_OK(strom_decimal_rescale(-5, 60, 0, STROM_ROUND_FLOOR, &u, &inexact), &e);
    CHECK(u == -1 && inexact);
    CHECK_OK(strom_decimal_rescale(5, 60, 0, STROM_ROUND_HALF_UP, &u, &inexact), &e);
    CHECK(u == 0);
    CHECK_EQ(strom_decimal_rescale(5, 0, 39, STROM_ROUND_FLOOR, &u, NULL), STROM_ERANGE);

    strom_type t = strom_type_decimal(5, 2);
    CHECK_OK(strom_parse_decimal("123.456", 7, t, &u, &e), &e);
    CHECK(u == 12346);
    CHECK_OK(strom_parse_decimal("-999.99", 7, t, &u, &e), &e);
    CHECK(u == -99999);
    CHECK_EQ(strom_parse_decimal("999.995", 7, t, &u, &e), STROM_ERANGE);
    CHECK(strstr(e.msg, "DECIMAL(5,2)") != NULL);
    CHECK_EQ(strom_parse_decimal("abc", 3, t, &u, &e), STROM_EPARSE);
    CHECK(strom_decimal_fits(99999, 5));
    CHECK(!strom_decimal_fits(100000, 5));
    CHECK(!strom_decimal_fits(-100000, 5));
}

int main(void)
{
    RUN_TEST(order_integers_bool_decimal);
    RUN_TEST(order_floating_point);
    RUN_TEST(order_strings);
    RUN_TEST(format_numbers);
    RUN_TEST(format_temporal_and_strings);
    RUN_TEST(format_truncation);
    RUN_TEST(calendar_roundtrip);
    RUN_TEST(parse_date_time_timestamp);
    RUN_TEST(parse_numbers_and_decimals);
    return TEST_EXIT();
}
