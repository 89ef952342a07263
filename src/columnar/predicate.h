/*
 * predicate.h: row predicates over one table's columns, in text and as a tree, evaluated
 * against batch statistics (prune whole batches) and against rows (selection bitmap).
 *
 * Grammar (keywords case-insensitive; identifiers may be "double quoted"):
 *   expr    := or
 *   or      := and ( OR and )*
 *   and     := not ( AND not )*
 *   not     := NOT not | primary
 *   primary := '(' expr ')'
 *            | column cmp literal | literal cmp column
 *            | column IS [NOT] NULL
 *            | column [NOT] IN '(' literal (',' literal)* ')'
 *            | column                       (a BOOLEAN column alone means column = TRUE)
 *   cmp     := '=' | '<>' | '!=' | '<' | '<=' | '>' | '>='
 *   literal := integer | decimal | float (1e3) | 'string' ('' escapes a quote) | X'hex'
 *            | TRUE | FALSE | NULL | DATE 'YYYY-MM-DD' | TIME 'HH:MM:SS[.f]'
 *            | TIMESTAMP 'YYYY-MM-DD[ T]HH:MM:SS[.f]' | a bare 'string' coerced to the
 *              column's temporal type
 *            | NaN | Infinity | -Infinity (FLOAT/DOUBLE; Inf also accepted)
 * Literals are bound to the column's type when parsed: out-of-range or ill-typed literals are
 * errors naming their position ("at position 14: 'abc' is not a valid INT"). Details
 * (predicate_parse.c): a number between two values of an integer or DECIMAL column is exact,
 * not rounded: `x > 10.123` on DECIMAL(10,2) means `x >= 10.13`, `x = 10.5` on INT is FALSE
 * for every non-null x; FLOAT literals are rounded to float; fractions of a second finer than
 * microseconds are rejected; TIMESTAMP_LTZ literals may end in Z or +HH:MM (none = UTC); a
 * DATE literal compared with a timestamp column means midnight. Floating point compares in
 * value.h's total order (NaN greatest and equal to itself, -0.0 = +0.0).
 *
 * SQL three-valued logic: a comparison with a NULL operand is UNKNOWN and a row is selected
 * only when the predicate is TRUE. `x = NULL` is therefore never true (use IS NULL).
 */
#ifndef STROM_COLUMNAR_PREDICATE_H
#define STROM_COLUMNAR_PREDICATE_H

#include <stddef.h>
#include <stdint.h>

#include "columnar/batch.h"
#include "common/buf.h"
#include "strom/types.h"

/* Limits on hostile text (each exceeded limit is STROM_ELIMIT with the position): */
#define STROM_PRED_MAX_TEXT (1 << 20)  /* bytes of predicate text */
#define STROM_PRED_MAX_NESTING 64      /* parentheses + NOTs open at once (bounds recursion) */
#define STROM_PRED_MAX_IN 65536        /* literals in one IN list */

typedef enum strom_pred_match {
    STROM_MATCH_NONE = 0, /* no row of the batch can match: skip it */
    STROM_MATCH_SOME = 1, /* some rows may match: filter row by row */
    STROM_MATCH_ALL = 2,  /* every row matches: send the batch as is */
} strom_pred_match;

typedef enum strom_cmp_op {
    STROM_CMP_EQ, STROM_CMP_NE, STROM_CMP_LT, STROM_CMP_LE, STROM_CMP_GT, STROM_CMP_GE,
} strom_cmp_op;

typedef struct strom_pred strom_pred;

/* Parses text[0..len) against `s`. Errors (STROM_EPARSE, STROM_ENOTFOUND for an unknown
 * column, STROM_ETYPE, STROM_ERANGE) carry "at position N" (0-based byte offset) in err. */
int strom_pred_parse(const char *text, size_t len, const strom_schema *s, strom_pred **out,
                     strom_error *err);
void strom_pred_free(strom_pred *p);

/* Canonical text of a predicate (parses back to an equal predicate), appended to `out`.
 * Errors: STROM_EINVAL if the predicate reads a column `s` does not have, STROM_ENOMEM; on
 * error `out` is left as it was. */
int strom_pred_format(const strom_pred *p, const strom_schema *s, strom_buf *out);

/* Columns the predicate reads: sets flags[c] = 1 for each (flags has ncols entries). */
void strom_pred_columns(const strom_pred *p, uint8_t *flags, int ncols);

/* Against statistics: conservative (never NONE when a row could match, never ALL when a row
 * could fail). */
strom_pred_match strom_pred_eval_stats(const strom_pred *p, const strom_batch_stats *st);

/* Against rows: sets bit i of sel (ceil(rows/8) bytes, fully overwritten) iff row i satisfies
 * the predicate; *nsel = number of selected rows. */
int strom_pred_eval_rows(const strom_pred *p, const strom_batch *b, uint8_t *sel, int64_t *nsel,
                         strom_error *err);

/* Programmatic construction (the literal is copied; strings included). Each returns NULL on
 * ENOMEM; the combinators take ownership of their operands (also on failure). Literals must
 * have the column's type id (DECIMAL at the column's scale, FLOAT exactly representable as a
 * float); a mismatch is reported by strom_pred_eval_rows (STROM_ETYPE) and makes
 * strom_pred_eval_stats answer SOME. Also NULL for invalid arguments (col < 0, unknown op,
 * n outside 1..STROM_PRED_MAX_IN, IN literals of different types) and for a tree deeper than
 * 256 levels. AND/OR chains are flattened into one n-ary node. */
strom_pred *strom_pred_cmp(int col, strom_cmp_op op, const strom_value *lit);
strom_pred *strom_pred_is_null(int col, bool negated);
strom_pred *strom_pred_in(int col, const strom_value *lits, int n, bool negated);
strom_pred *strom_pred_and(strom_pred *a, strom_pred *b);
strom_pred *strom_pred_or(strom_pred *a, strom_pred *b);
strom_pred *strom_pred_not(strom_pred *a);

#endif /* STROM_COLUMNAR_PREDICATE_H */
