/*
 * value.c: the one total order on scalars, their text form, and the literal parsers that the
 * predicate parser, the CLI and loaders share (see value.h).
 *
 * Order: floating point is IEEE order with two fixes that make it total: NaN is equal to
 * itself and greater than everything (so a NaN in a column is its max), and -0.0 == +0.0.
 * Strings compare bytewise unsigned, a prefix before its extensions.
 *
 * Text form: every value formats to text that the predicate grammar reads back to the same
 * value. Floating point uses the shortest %g precision that round-trips (9 digits at most for
 * FLOAT, 17 for DOUBLE), NaN / Infinity / -Infinity for the specials. DECIMAL is exact for
 * the full int128 range (formatted from the unsigned magnitude, so the minimum works).
 * Temporal values are quoted strings in ISO form; TIME/TIMESTAMP fractions are printed as six
 * digits when non-zero. A TIME outside one day (only possible from hostile data) formats as
 * its raw integer so nothing is hidden.
 *
 * Calendar: proleptic Gregorian, days <-> civil via the era/day-of-era method (an era is 400
 * years = 146097 days), valid for negative day numbers too.
 */
#include "columnar/value.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "common/common.h"
#include "common/utf8.h"

__extension__ typedef unsigned __int128 u128;

#define US_PER_SEC 1000000LL
#define US_PER_DAY 86400000000LL
#define MAX_DIGITS 38           /* DECIMAL(38): 10^38 < 2^127 */
#define MAX_EXPONENT 100000     /* bounds exponent arithmetic on hostile literals */

/* ---- order ---------------------------------------------------------------------------- */

static int cmp_double(double a, double b)
{
    bool na = isnan(a), nb = isnan(b);
    if (na || nb)
        return na && nb ? 0 : na ? 1 : -1;
    return a < b ? -1 : a > b ? 1 : 0; /* -0.0 == +0.0 here */
}

int strom_value_cmp(const strom_value *a, const strom_value *b)
{
    switch (a->type) {
    case STROM_TYPE_BOOLEAN:
        return (int)a->u.b - (int)b->u.b;
    case STROM_TYPE_FLOAT:
    case STROM_TYPE_DOUBLE:
        return cmp_double(a->u.f, b->u.f);
    case STROM_TYPE_DECIMAL:
        return a->u.d < b->u.d ? -1 : a->u.d > b->u.d ? 1 : 0;
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES: {
        uint32_t n = STROM_MIN(a->u.s.len, b->u.s.len);
        int c = n ? memcmp(a->u.s.ptr, b->u.s.ptr, n) : 0;
        if (c)
            return c < 0 ? -1 : 1;
        return a->u.s.len < b->u.s.len ? -1 : a->u.s.len > b->u.s.len ? 1 : 0;
    }
    default: /* integers and temporal types */
        return a->u.i < b->u.i ? -1 : a->u.i > b->u.i ? 1 : 0;
    }
}

/* ---- calendar ------------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t strom_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;                                   /* [0, 399] */
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void strom_civil_from_days(int64_t z, int64_t *year, int *month, int *day)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int64_t y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* ---- formatting ----------------------------------------------------------------------- */

/* snprintf-like sink: counts every byte it was asked for, stores what fits. */
typedef struct vsink {
    char *buf;
    size_t cap, n;
} vsink;

static void vs_putc(vsink *w, char c)
{
    if (w->n + 1 < w->cap)
        w->buf[w->n] = c;
    w->n++;
}

static void vs_puts(vsink *w, const char *s)
{
    while (*s)
        vs_putc(w, *s++);
}

__attribute__((format(printf, 2, 3))) static void vs_printf(vsink *w, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    vs_puts(w, tmp);
}

/* Unsigned magnitude of an int128 in decimal, at least `min_digits` digits. */
static void vs_u128(vsink *w, u128 u, int min_digits, int point_before)
{
    char d[48];
    int n = 0;
    do {
        d[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n < min_digits)
        d[n++] = '0';
    for (int i = n - 1; i >= 0; i--) {
        vs_putc(w, d[i]);
        if (i == point_before && i > 0)
            vs_putc(w, '.');
    }
}

static void fmt_decimal(vsink *w, strom_i128 v, int scale)
{
    u128 u = v < 0 ? -(u128)v : (u128)v;
    if (v < 0)
        vs_putc(w, '-');
    if (scale <= 0 || scale > MAX_DIGITS) {
        vs_u128(w, u, 1, 0);
        return;
    }
    /* scale digits after the point, at least one before it */
    vs_u128(w, u, scale + 1, scale);
}

static void fmt_float(vsink *w, double f, bool single)
{
    if (isnan(f)) {
        vs_puts(w, "NaN");
        return;
    }
    if (isinf(f)) {
        vs_puts(w, f < 0 ? "-Infinity" : "Infinity");
        return;
    }
    char tmp[40];
    int maxp = single ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(tmp, sizeof tmp, "%.*g", p, f);
        double back = strtod(tmp, NULL);
        if (single ? (float)back == (float)f : back == f) {
            /* "2e+01" for 20: plain digits while the exponent is small */
            char *e = strchr(tmp, 'e');
            int x = e ? atoi(e + 1) : 0;
            if (e && x >= p && x < 16)
                snprintf(tmp, sizeof tmp, "%.*g", x + 1, f);
            break;
        }
    }
    vs_puts(w, tmp);
}

static void fmt_date_body(vsink *w, int64_t days)
{
    int64_t y;
    int m, d;
    strom_civil_from_days(days, &y, &m, &d);
    if (y < 0)
        vs_printf(w, "-%04lld-%02d-%02d", (long long)-y, m, d);
    else
        vs_printf(w, "%04lld-%02d-%02d", (long long)y, m, d);
}

static void fmt_time_body(vsink *w, int64_t us)
{
    int64_t s = us / US_PER_SEC, f = us % US_PER_SEC;
    vs_printf(w, "%02d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
    if (f)
        vs_printf(w, ".%06d", (int)f);
}

static void fmt_bytes(vsink *w, const strom_value *v, bool hex)
{
    static const char hd[] = "0123456789abcdef";
    if (hex)
        vs_putc(w, 'X');
    vs_putc(w, '\'');
    for (uint32_t i = 0; i < v->u.s.len; i++) {
        uint8_t c = v->u.s.ptr[i];
        if (hex) {
            vs_putc(w, hd[c >> 4]);
            vs_putc(w, hd[c & 15]);
        } else {
            if (c == '\'')
                vs_putc(w, '\'');
            vs_putc(w, (char)c);
        }
    }
    vs_putc(w, '\'');
}

int strom_value_format(const strom_value *v, int scale, char *buf, size_t cap)
{
    vsink w = {buf, cap, 0};
    if (v->is_null) {
        vs_puts(&w, "NULL");
        goto done;
    }
    switch (v->type) {
    case STROM_TYPE_BOOLEAN: vs_puts(&w, v->u.b ? "TRUE" : "FALSE"); break;
    case STROM_TYPE_FLOAT: fmt_float(&w, v->u.f, true); break;
    case STROM_TYPE_DOUBLE: fmt_float(&w, v->u.f, false); break;
    case STROM_TYPE_DECIMAL: fmt_decimal(&w, v->u.d, scale); break;
    case STROM_TYPE_STRING: fmt_bytes(&w, v, false); break;
    case STROM_TYPE_BYTES: fmt_bytes(&w, v, true); break;
    case STROM_TYPE_DATE:
        vs_putc(&w, '\'');
        fmt_date_body(&w, v->u.i);
        vs_putc(&w, '\'');
        break;
    case STROM_TYPE_TIME:
        if (v->u.i < 0 || v->u.i >= US_PER_DAY) {
            vs_printf(&w, "%lld", (long long)v->u.i);
            break;
        }
        vs_putc(&w, '\'');
        fmt_time_body(&w, v->u.i);
        vs_putc(&w, '\'');
        break;
    case STROM_TYPE_TIMESTAMP:
    case STROM_TYPE_TIMESTAMP_LTZ: {
        int64_t days = floor_div(v->u.i, US_PER_DAY);
        int64_t rest = v->u.i % US_PER_DAY; /* no days * US_PER_DAY: overflows at INT64_MIN */
        if (rest < 0)
            rest += US_PER_DAY;
        vs_putc(&w, '\'');
        fmt_date_body(&w, days);
        vs_putc(&w, ' ');
        fmt_time_body(&w, rest);
        if (v->type == STROM_TYPE_TIMESTAMP_LTZ)
            vs_putc(&w, 'Z');
        vs_putc(&w, '\'');
        break;
    }
    default: vs_printf(&w, "%lld", (long long)v->u.i); break;
    }
done:
    if (cap)
        buf[w.n < cap ? w.n : cap - 1] = '\0';
    return w.n > INT32_MAX ? INT32_MAX : (int)w.n;
}

/* ---- parsing -------------------------------------------------------------------------- */

/* Quotes at most 64 bytes of the offending text in messages. */
#define QUOTE_MAX 64
#define QUOTE(s, len) (int)STROM_MIN((len), QUOTE_MAX), (s), ((len) > QUOTE_MAX ? "..." : "")

/* Reads exactly `n` digits at s[*i]; false if any is not a digit. */
static bool take_digits(const char *s, size_t len, size_t *i, int n, int64_t *out)
{
    int64_t v = 0;
    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return false;
        v = v * 10 + (s[*i] - '0');
    }
    *out = v;
    return true;
}

/* Date prefix of s: [+-]Y{4,9}-MM-DD; advances *i; returns days via *days (int64). */
static int scan_date(const char *s, size_t len, size_t *i, int64_t *days, const char *what,
                     strom_error *err)
{
    bool neg = false;
    if (*i < len && (s[*i] == '-' || s[*i] == '+'))
        neg = s[(*i)++] == '-';
    size_t y0 = *i;
    int64_t y = 0, m, d;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9' && *i - y0 < 9)
        y = y * 10 + (s[(*i)++] - '0');
    if (*i - y0 < 4 || *i >= len || s[*i] != '-')
        return strom_error_set(err, STROM_EPARSE,
                               "'%.*s%s' is not a valid %s: expected YYYY-MM-DD", QUOTE(s, len),
                               what);
    (*i)++;
    if (!take_digits(s, len, i, 2, &m) || *i >= len || s[(*i)++] != '-' ||
        !take_digits(s, len, i, 2, &d))
        return strom_error_set(err, STROM_EPARSE,
                               "'%.*s%s' is not a valid %s: expected YYYY-MM-DD", QUOTE(s, len),
                               what);
    if (neg)
        y = -y;
    if (m < 1 || m > 12)
        return strom_error_set(err, STROM_ERANGE, "'%.*s%s' is not a valid %s: month %02d is "
                               "not in 01..12", QUOTE(s, len), what, (int)m);
    if (d < 1 || d > days_in_month(y, (int)m))
        return strom_error_set(err, STROM_ERANGE, "'%.*s%s' is not a valid %s: day %02d is not "
                               "in month %02d", QUOTE(s, len), what, (int)d, (int)m);
    *days = strom_days_from_civil(y, (int)m, (int)d);
    return 0;
}

/* Time prefix: HH:MM[:SS[.f{1,6}]]; advances *i. */
static int scan_time(const char *s, size_t len, size_t *i, int64_t *us, const char *what,
                     strom_error *err)
{
    int64_t h, m, sec = 0, frac = 0;
    if (!take_digits(s, len, i, 2, &h) || *i >= len || s[(*i)++] != ':' ||
        !take_digits(s, len, i, 2, &m))
        goto bad;
    if (*i < len && s[*i] == ':') {
        (*i)++;
        if (!take_digits(s, len, i, 2, &sec))
            goto bad;
        if (*i < len && s[*i] == '.') {
            (*i)++;
            int nd = 0;
            while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
                if (++nd > 6)
                    return strom_error_set(err, STROM_ERANGE, "'%.*s%s' is not a valid %s: more "
                                           "than 6 fractional digits (microseconds)",
                                           QUOTE(s, len), what);
                frac = frac * 10 + (s[(*i)++] - '0');
            }
            if (nd == 0)
                goto bad;
            for (; nd < 6; nd++)
                frac *= 10;
        }
    }
    if (h > 23 || m > 59 || sec > 59)
        return strom_error_set(err, STROM_ERANGE, "'%.*s%s' is not a valid %s: %s out of range",
                               QUOTE(s, len), what, h > 23 ? "hour" : m > 59 ? "minute" : "second");
    *us = ((h * 60 + m) * 60 + sec) * US_PER_SEC + frac;
    return 0;
bad:
    return strom_error_set(err, STROM_EPARSE,
                           "'%.*s%s' is not a valid %s: expected HH:MM[:SS[.ffffff]]",
                           QUOTE(s, len), what);
}

int strom_parse_date(const char *s, size_t len, int32_t *out, strom_error *err)
{
    size_t i = 0;
    int64_t days;
    STROM_TRY(scan_date(s, len, &i, &days, "DATE", err));
    if (i != len)
        return strom_error_set(err, STROM_EPARSE, "'%.*s%s' is not a valid DATE: unexpected "
                               "text after the date", QUOTE(s, len));
    if (days < INT32_MIN || days > INT32_MAX)
        return strom_error_set(err, STROM_ERANGE, "'%.*s%s' is not a valid DATE: out of range",
                               QUOTE(s, len));
    *out = (int32_t)days;
    return 0;
}

int strom_parse_time(const char *s, size_t len, int64_t *micros, strom_error *err)
{
    size_t i = 0;
    STROM_TRY(scan_time(s, len, &i, micros, "TIME", err));
    if (i != len)
        return strom_error_set(err, STROM_EPARSE, "'%.*s%s' is not a valid TIME: unexpected "
                               "text after the time", QUOTE(s, len));
    return 0;
}

/* Zone suffix: Z | [+-]HH[[:]MM]; *off_us is the offset to subtract. */
static int scan_zone(const char *s, size_t len, size_t *i, int64_t *off_us, const char *what,
                     strom_error *err)
{
    if (s[*i] == 'Z' || s[*i] == 'z') {
        (*i)++;
        *off_us = 0;
        return 0;
    }
    int sign = s[*i] == '-' ? -1 : 1;
    int64_t h, m = 0;
    (*i)++;
    if (!take_digits(s, len, i, 2, &h))
        goto bad;
    if (*i < len && s[*i] == ':')
        (*i)++;
    if (*i < len && !take_digits(s, len, i, 2, &m))
        goto bad;
    if (h > 18 || m > 59)
        goto bad;
    *off_us = sign * (h * 3600 + m * 60) * US_PER_SEC;
    return 0;
bad:
    return strom_error_set(err, STROM_EPARSE, "'%.*s%s' is not a valid %s: bad zone offset "
                           "(expected Z or +HH:MM)", QUOTE(s, len), what);
}

int strom_parse_timestamp(const char *s, size_t len, bool zone_ok, int64_t *micros,
                          strom_error *err)
{
    const char *what = zone_ok ? "TIMESTAMP_LTZ" : "TIMESTAMP";
    size_t i = 0;
    int64_t days, tod = 0, off = 0;
    STROM_TRY(scan_date(s, len, &i, &days, what, err));
    if (i < len && (s[i] == ' ' || s[i] == 'T' || s[i] == 't')) {
        i++;
        STROM_TRY(scan_time(s, len, &i, &tod, what, err));
    }
    if (i < len && (s[i] == 'Z' || s[i] == 'z' || s[i] == '+' || s[i] == '-')) {
        if (!zone_ok)
            return strom_error_set(err, STROM_EPARSE, "'%.*s%s' is not a valid TIMESTAMP: a "
                                   "TIMESTAMP has no zone (use TIMESTAMP_LTZ)", QUOTE(s, len));
        STROM_TRY(scan_zone(s, len, &i, &off, what, err));
    }
    if (i != len)
        return strom_error_set(err, STROM_EPARSE, "'%.*s%s' is not a valid %s: unexpected text "
                               "at offset %zu", QUOTE(s, len), what, i);
    int64_t v;
    if (days < 0) { /* keep the product in range for instants near INT64_MIN */
        days += 1;
        tod -= US_PER_DAY;
    }
    if (__builtin_mul_overflow(days, US_PER_DAY, &v) || __builtin_add_overflow(v, tod, &v) ||
        __builtin_sub_overflow(v, off, &v))
        goto range;
    *micros = v;
    return 0;
range:
    return strom_error_set(err, STROM_ERANGE, "'%.*s%s' is not a valid %s: out of range",
                           QUOTE(s, len), what);
}

static const strom_i128 I128_MAX = (strom_i128)(~(u128)0 >> 1);

static strom_i128 pow10_i128(int k) /* 0 <= k <= 38 */
{
    strom_i128 p = 1;
    while (k-- > 0)
        p *= 10;
    return p;
}

bool strom_decimal_fits(strom_i128 v, int precision)
{
    if (precision < 1 || precision > MAX_DIGITS)
        return false;
    strom_i128 lim = pow10_i128(precision);
    return v < lim && v > -lim;
}

int strom_parse_number_exact(const char *s, size_t len, strom_i128 *unscaled, int32_t *scale,
                             strom_error *err)
{
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    /* digits: sig holds the significant digits seen so far (leading zeros skipped); pending
     * counts zeros not yet multiplied in, so trailing zeros never overflow the mantissa. */
    strom_i128 sig = 0;
    int nsig = 0, pending = 0, ndig = 0;
    int64_t exp10 = 0;     /* value = sig * 10^(pending + exp10) */
    bool point = false;
    for (; i < len; i++) {
        char c = s[i];
        if (c == '.' && !point) {
            point = true;
            continue;
        }
        if (c < '0' || c > '9')
            break;
        ndig++;
        if (point)
            exp10--;
        if (c == '0') {
            if (nsig)
                pending++;
            continue;
        }
        if (nsig + pending + 1 > MAX_DIGITS)
            return strom_error_set(err, STROM_ERANGE, "'%.*s%s' has more than 38 significant "
                                   "digits", QUOTE(s, len));
        for (; pending > 0; pending--, nsig++)
            sig *= 10;
        sig = sig * 10 + (c - '0');
        nsig++;
    }
    if (ndig == 0)
        goto bad;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        size_t e0 = i;
        int64_t e = 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            e = e * 10 + (s[i] - '0');
            if (e > MAX_EXPONENT)
                return strom_error_set(err, STROM_ERANGE, "'%.*s%s': exponent out of range",
                                       QUOTE(s, len));
        }
        if (i == e0)
            goto bad;
        exp10 += eneg ? -e : e;
    }
    if (i != len)
        goto bad;
    exp10 += pending;
    if (sig == 0)
        exp10 = 0;
    *unscaled = neg ? -sig : sig;
    *scale = (int32_t)-exp10;
    return 0;
bad:
    return strom_error_set(err, STROM_EPARSE, "'%.*s%s' is not a valid number", QUOTE(s, len));
}

int strom_decimal_rescale(strom_i128 v, int32_t from, int32_t to, strom_round_mode mode,
                          strom_i128 *out, bool *inexact)
{
    if (inexact)
        *inexact = false;
    if (v == 0 || from == to) {
        *out = v;
        return 0;
    }
    if (to > from) {
        int64_t k = (int64_t)to - from;
        if (k > MAX_DIGITS)
            return STROM_ERANGE;
        strom_i128 p = pow10_i128((int)k);
        if (v > I128_MAX / p || v < -(I128_MAX / p))
            return STROM_ERANGE;
        *out = v * p;
        return 0;
    }
    int64_t k = (int64_t)from - to;
    strom_i128 q = 0, r = v;   /* more than 38 digits dropped: the quotient is 0 */
    strom_i128 p = 0;
    if (k <= MAX_DIGITS) {
        p = pow10_i128((int)k);
        q = v / p;
        r = v % p;
    }
    if (r != 0) {
        if (inexact)
            *inexact = true;
        if (mode == STROM_ROUND_FLOOR && r < 0)
            q -= 1;
        else if (mode == STROM_ROUND_CEIL && r > 0)
            q += 1;
        else if (mode == STROM_ROUND_HALF_UP && p != 0) {
            strom_i128 ar = r < 0 ? -r : r;
            if (ar >= p - ar)
                q += r < 0 ? -1 : 1;
        }
    }
    *out = q;
    return 0;
}

int strom_parse_decimal(const char *s, size_t len, strom_type t, strom_i128 *out,
                        strom_error *err)
{
    strom_i128 u;
    int32_t sc;
    STROM_TRY(strom_parse_number_exact(s, len, &u, &sc, err));
    if (strom_decimal_rescale(u, sc, t.scale, STROM_ROUND_HALF_UP, &u, NULL) < 0 ||
        !strom_decimal_fits(u, t.precision))
        return strom_error_set(err, STROM_ERANGE, "'%.*s%s' does not fit DECIMAL(%d,%d)",
                               QUOTE(s, len), t.precision, t.scale);
    *out = u;
    return 0;
}

/* ---- quoting text for messages --------------------------------------------------------- */

/* The first STROM_TEXT_QUOTE_MAX bytes of p[0..n) for a message (cut at a character boundary,
 * "..." when cut; control bytes, and every non-ASCII byte of invalid UTF-8, as \xNN). */
const char *strom_text_quote(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t k = STROM_MIN(n, (size_t)STROM_TEXT_QUOTE_MAX);
    while (k < n && k > 0 && (p[k] & 0xC0) == 0x80)
        k--;
    bool utf8 = strom_utf8_valid(p, k, NULL);
    size_t o = 0;
    for (size_t i = 0; i < k && o + 8 < cap; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f || (p[i] >= 0x80 && !utf8))
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", p[i]);
        else
            out[o++] = (char)p[i];
    }
    if (k < n && o + 4 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* ---- text -> value (the inverse of the printed form), one parser per type ---------------- */

static bool text_ieq(const uint8_t *p, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp((const char *)p, word, n) == 0;
}

/* "'<text>' is not a valid <type>[: why]" (EPARSE) or "... is out of range for ..." (ERANGE). */
int strom_text_error(int code, const uint8_t *p, size_t n, strom_type t, const char *why,
                   strom_error *err)
{
    char q[STROM_TEXT_QUOTE_MAX * 4 + 8], tn[40];
    return strom_error_set(err, code, "'%s' %s %s%s%s", strom_text_quote(p, n, q, sizeof q),
                           code == STROM_ERANGE ? "is out of range for" : "is not a valid",
                           strom_type_format(t, tn, sizeof tn), why ? ": " : "", why ? why : "");
}

static int text_bool(const uint8_t *p, size_t n, strom_type t, bool *out, strom_error *err)
{
    if (text_ieq(p, n, "true") || text_ieq(p, n, "1"))
        *out = true;
    else if (text_ieq(p, n, "false") || text_ieq(p, n, "0"))
        *out = false;
    else
        return strom_text_error(STROM_EPARSE, p, n, t, "expected true, false, 1 or 0", err);
    return 0;
}

void strom_int_range(strom_type_id id, int64_t *lo, int64_t *hi)
{
    switch (id) {
    case STROM_TYPE_TINYINT: *lo = INT8_MIN; *hi = INT8_MAX; break;
    case STROM_TYPE_SMALLINT: *lo = INT16_MIN; *hi = INT16_MAX; break;
    case STROM_TYPE_INT: case STROM_TYPE_DATE: *lo = INT32_MIN; *hi = INT32_MAX; break;
    case STROM_TYPE_TIME: *lo = 0; *hi = 86400000000ll - 1; break;
    default: *lo = INT64_MIN; *hi = INT64_MAX; break;
    }
}

/* [+-]digits, range-checked for the integer type t. */
static int text_int(const uint8_t *p, size_t n, strom_type t, int64_t *out, strom_error *err)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (p[i] == '+' || p[i] == '-'))
        neg = p[i++] == '-';
    if (i == n)
        return strom_text_error(STROM_EPARSE, p, n, t, NULL, err);
    uint64_t v = 0;
    bool over = false;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return strom_text_error(STROM_EPARSE, p, n, t, NULL, err);
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            over = true;
        else
            v = v * 10 + d;
    }
    int64_t lo, hi;
    strom_int_range(t.id, &lo, &hi);
    if (over || v > (neg ? (uint64_t)hi + 1 : (uint64_t)hi)) /* lo == -hi - 1 */
        return strom_text_error(STROM_ERANGE, p, n, t, NULL, err);
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* Decimal floating-point grammar: [+-](digits[.digits*] | .digits)[(e|E)[+-]digits]. */
static bool text_real_syntax(const uint8_t *p, size_t n)
{
    size_t i = 0, d = 0;
    if (i < n && (p[i] == '+' || p[i] == '-'))
        i++;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
        d++;
    if (i < n && p[i] == '.')
        for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++)
            d++;
    if (d == 0)
        return false;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        size_t e0 = i;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == e0)
            return false;
    }
    return i == n;
}

/* FLOAT/DOUBLE: the decimal grammar above through strtof/strtod (correctly rounded to the
 * column's width), or NaN / Inf / Infinity (any case, optional sign; NaN's sign ignored). */
static int text_real(const uint8_t *p, size_t n, strom_type t, double *out, strom_error *err)
{
    bool is_float = t.id == STROM_TYPE_FLOAT;
    size_t i = n > 0 && (p[0] == '+' || p[0] == '-') ? 1 : 0;
    if (text_ieq(p + i, n - i, "nan")) {
        *out = NAN;
        return 0;
    }
    if (text_ieq(p + i, n - i, "inf") || text_ieq(p + i, n - i, "infinity")) {
        *out = p[0] == '-' ? -INFINITY : INFINITY;
        return 0;
    }
    if (!text_real_syntax(p, n))
        return strom_text_error(STROM_EPARSE, p, n, t, NULL, err);
    char local[128], *s = n < sizeof local ? local : malloc(n + 1); /* strtod wants a NUL */
    if (!s)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    memcpy(s, p, n);
    s[n] = 0;
    char *end;
    errno = 0;
    double v = is_float ? (double)strtof(s, &end) : strtod(s, &end);
    bool whole = end == s + n, over = errno == ERANGE && isinf(v);
    if (s != local)
        free(s);
    if (!whole)
        return strom_text_error(STROM_EPARSE, p, n, t, NULL, err);
    if (over)
        return strom_text_error(STROM_ERANGE, p, n, t, NULL, err);
    *out = v; /* an underflow to a subnormal or zero is the nearest value: kept */
    return 0;
}

static int text_hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (uint8_t)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* BYTES: hex digits (any case), optionally after a "\\x" prefix; decoded onto the end of
 * `out`, which the caller reserved (the output is at most n/2 bytes). */
static int text_bytes(const uint8_t *p, size_t n, strom_type t, strom_buf *out, strom_value *v,
                      strom_error *err)
{
    size_t i = n >= 2 && p[0] == '\\' && (p[1] == 'x' || p[1] == 'X') ? 2 : 0;
    if ((n - i) % 2)
        return strom_text_error(STROM_EPARSE, p, n, t, "an odd number of hex digits", err);
    size_t out_len = (n - i) / 2;
    if (out_len > UINT32_MAX)
        return strom_text_error(STROM_ERANGE, p, n, t, "too long", err);
    if (out->cap - out->len < out_len)
        return strom_error_set(err, STROM_EINVAL, "BYTES text: output space not reserved");
    uint8_t *o = out->data + out->len;
    for (size_t k = 0; k < out_len; k++) {
        int hi = text_hexval(p[i + 2 * k]), lo = text_hexval(p[i + 2 * k + 1]);
        if (hi < 0 || lo < 0)
            return strom_text_error(STROM_EPARSE, p, n, t, "expected hex digits", err);
        o[k] = (uint8_t)(hi << 4 | lo);
    }
    v->u.s.ptr = o;
    v->u.s.len = (uint32_t)out_len;
    out->len += out_len;
    return 0;
}

int strom_value_parse_text(strom_type t, const char *s, size_t n, strom_buf *bytes_out,
                           strom_value *v, strom_error *err)
{
    const uint8_t *p = (const uint8_t *)s;
    v->type = t.id;
    v->is_null = false;
    switch (t.id) {
    case STROM_TYPE_BOOLEAN:
        return text_bool(p, n, t, &v->u.b, err);
    case STROM_TYPE_TINYINT: case STROM_TYPE_SMALLINT: case STROM_TYPE_INT:
    case STROM_TYPE_BIGINT:
        return text_int(p, n, t, &v->u.i, err);
    case STROM_TYPE_FLOAT: case STROM_TYPE_DOUBLE:
        return text_real(p, n, t, &v->u.f, err);
    case STROM_TYPE_DECIMAL: {
        int rc = strom_parse_decimal(s, n, t, &v->u.d, err);
        return rc == STROM_EPARSE ? strom_text_error(rc, p, n, t, NULL, err) : rc;
    }
    case STROM_TYPE_STRING: {
        size_t bad;
        if (n > UINT32_MAX)
            return strom_text_error(STROM_ERANGE, p, n, t, "too long", err);
        if (!strom_utf8_valid(p, n, &bad))
            return strom_error_set(err, STROM_EINVAL, "invalid UTF-8 at byte %zu of the value",
                                   bad);
        v->u.s.ptr = p;
        v->u.s.len = (uint32_t)n;
        return 0;
    }
    case STROM_TYPE_BYTES:
        return text_bytes(p, n, t, bytes_out, v, err);
    case STROM_TYPE_DATE: {
        int32_t d;
        STROM_TRY(strom_parse_date(s, n, &d, err));
        v->u.i = d;
        return 0;
    }
    case STROM_TYPE_TIME:
        return strom_parse_time(s, n, &v->u.i, err);
    case STROM_TYPE_TIMESTAMP:
    case STROM_TYPE_TIMESTAMP_LTZ:
        return strom_parse_timestamp(s, n, t.id == STROM_TYPE_TIMESTAMP_LTZ, &v->u.i, err);
    }
    return strom_error_set(err, STROM_EINVAL, "unknown column type %d", (int)t.id);
}
