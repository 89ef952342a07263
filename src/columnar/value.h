/*
 * value.h: one typed scalar, used for predicate literals, statistics bounds and row access.
 *
 * Integers of every width and the temporal types (DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ) are
 * carried as int64; FLOAT is widened to double (exactly: a float literal bound to a FLOAT
 * column is rounded to float first); DECIMAL as the int128 unscaled value (the scale comes
 * from the column type); STRING/BYTES as a pointer and a length that the value does NOT own.
 *
 * Ordering (strom_value_cmp) is a total order per type, the one statistics and predicates
 * share: integers numerically; floating point numerically with -0.0 == +0.0 and NaN equal to
 * itself and greater than every other value (as Java's Double.compare, except the zeros);
 * STRING/BYTES bytewise unsigned (memcmp) then shorter first; false < true.
 */
#ifndef STROM_COLUMNAR_VALUE_H
#define STROM_COLUMNAR_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "strom/error.h"
#include "strom/types.h"

__extension__ typedef __int128 strom_i128;

typedef struct strom_value {
    strom_type_id type;
    bool is_null;
    union {
        bool b;
        int64_t i;
        double f;
        strom_i128 d;
        struct {
            const uint8_t *ptr;
            uint32_t len;
        } s;
    } u;
} strom_value;

/* <0, 0, >0. Both values must have the same type id and be non-null. */
int strom_value_cmp(const strom_value *a, const strom_value *b);

/* Formats a value for humans and for the textual predicate form: integers in decimal,
 * DECIMAL with its scale ("12.50"), DATE as 'YYYY-MM-DD', TIME as 'HH:MM:SS[.ffffff]',
 * TIMESTAMP as 'YYYY-MM-DD HH:MM:SS[.ffffff]', TIMESTAMP_LTZ with a trailing 'Z', STRING
 * quoted with '' escaping, BYTES as X'hex', NULL as NULL. `scale` is used for DECIMAL only.
 * Always NUL-terminates; returns the length it wanted (like snprintf). */
int strom_value_format(const strom_value *v, int scale, char *buf, size_t cap);


/* ---- literal parsers and decimal arithmetic, shared by predicates, the CLI and loaders ----
 *
 * Every parser reads exactly `len` bytes of `s` (no NUL needed, no surrounding blanks or
 * quotes allowed), returns 0 or STROM_EPARSE (malformed) / STROM_ERANGE (well-formed but out
 * of range), and on error fills `err` (may be NULL) with a message that quotes the text and
 * says what is wrong ("'2026-13-01' is not a valid DATE: month 13 is not in 01..12"). Callers
 * that know a position prefix it with strom_error_prefix.
 *
 * Dates are proleptic Gregorian with astronomical year numbering (year 0 = 1 BC, -0001 =
 * 2 BC); years have at least four digits and an optional sign. Fractions of a second have 1..6
 * digits (microseconds; a finer literal is rejected rather than silently rounded). */

/* [+-]YYYY-MM-DD -> days since 1970-01-01 (must fit int32). */
int strom_parse_date(const char *s, size_t len, int32_t *days, strom_error *err);

/* HH:MM[:SS[.ffffff]] -> microseconds since midnight, 00:00:00 .. 23:59:59.999999. */
int strom_parse_time(const char *s, size_t len, int64_t *micros, strom_error *err);

/* DATE[( |T)TIME][zone] -> microseconds since 1970-01-01 00:00:00. A date alone is midnight.
 * With `zone_ok` (TIMESTAMP_LTZ) an optional zone suffix 'Z', '+HH[:MM]' or '-HH[:MM]' is
 * applied to give a UTC instant (no suffix = UTC); without it a suffix is an error (TIMESTAMP
 * is wall-clock time without a zone). */
int strom_parse_timestamp(const char *s, size_t len, bool zone_ok, int64_t *micros,
                          strom_error *err);

/* An exact decimal number: [+-]digits[.digits][(e|E)[+-]digits] (also ".5" and "5.") ->
 * unscaled * 10^-scale, exactly. scale may be negative (1e3 -> unscaled 1, scale -3).
 * STROM_ERANGE when more than 38 significant digits remain after dropping trailing zeros, or
 * for an exponent beyond +-100000. */
int strom_parse_number_exact(const char *s, size_t len, strom_i128 *unscaled, int32_t *scale,
                             strom_error *err);

typedef enum strom_round_mode {
    STROM_ROUND_FLOOR,   /* toward -infinity */
    STROM_ROUND_CEIL,    /* toward +infinity */
    STROM_ROUND_HALF_UP, /* to nearest, ties away from zero (SQL CAST) */
} strom_round_mode;

/* Re-expresses v * 10^-from_scale at to_scale: *out * 10^-to_scale, rounding per `mode` when
 * digits are dropped (*inexact, may be NULL, tells whether they were non-zero). Returns 0 or
 * STROM_ERANGE if the result does not fit int128 with 38 digits. */
int strom_decimal_rescale(strom_i128 v, int32_t from_scale, int32_t to_scale,
                          strom_round_mode mode, strom_i128 *out, bool *inexact);

/* |v| < 10^precision (1 <= precision <= 38). */
bool strom_decimal_fits(strom_i128 v, int precision);

/* Parses a number for a DECIMAL(p,s) column (t must be a valid DECIMAL type): exact parse,
 * then rounded HALF_UP to scale s; STROM_ERANGE if the result needs more than p digits. */
int strom_parse_decimal(const char *s, size_t len, strom_type t, strom_i128 *out,
                        strom_error *err);

/* ---- the text form of values (CSV fields, JSON strings, strom_writer_set_text) ----------
 *
 * The inverse of what `strom consume`/`strom cat` print: BOOLEAN true/false/1/0 (any case);
 * integers in decimal, range-checked for the column; FLOAT/DOUBLE in decimal (rounded once to
 * the column's width) or NaN/Inf/Infinity; DECIMAL exact (strom_parse_decimal); STRING as is
 * (UTF-8 checked, v points into s); BYTES as hex digits, optionally after "\x", decoded onto
 * the end of *bytes_out, which the caller has reserved n/2 bytes of (so values decoded
 * earlier keep their pointers); DATE/TIME/TIMESTAMP/TIMESTAMP_LTZ as in the parsers above.
 * Errors quote the text: "'abc' is not a valid DOUBLE". docs/format.md §12 has the table. */
int strom_value_parse_text(strom_type t, const char *s, size_t n, strom_buf *bytes_out,
                           strom_value *v, strom_error *err);

#define STROM_TEXT_QUOTE_MAX 40 /* bytes of offending text quoted in a message */
/* The first STROM_TEXT_QUOTE_MAX bytes of p[0..n) for a message (cut at a character
 * boundary, control and invalid bytes as \xNN, "..." when cut), into out. */
const char *strom_text_quote(const uint8_t *p, size_t n, char *out, size_t cap);
/* "'<text>' is not a valid <type>[: why]" (STROM_EPARSE) or "... is out of range for ..."
 * (STROM_ERANGE); returns code. */
int strom_text_error(int code, const uint8_t *p, size_t n, strom_type t, const char *why,
                     strom_error *err);
/* The values an integer or temporal column holds: TINYINT..BIGINT by width, DATE as int32
 * days, TIME within one day; every other type the whole int64 range. */
void strom_int_range(strom_type_id id, int64_t *lo, int64_t *hi);

/* Proleptic Gregorian calendar arithmetic (any int64 input within +-2^40 days). */
int64_t strom_days_from_civil(int64_t year, int month, int day);
void strom_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

#endif /* STROM_COLUMNAR_VALUE_H */
