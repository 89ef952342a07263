/*
 * predicate_internal.h: the predicate tree shared by predicate.c (construction, format,
 * statistics), predicate_parse.c (text -> tree) and predicate_eval.c (tree x rows -> bitmap).
 *
 * The tree is small and immutable once built. AND/OR are n-ary (chains are flattened when
 * built), so a long `a AND b AND c ...` is one node and recursion depth follows only the
 * nesting of parentheses and NOTs, which the parser and the constructors bound
 * (PRED_MAX_DEPTH).
 *
 * Literals are already bound to the column type: an integer column holds u.i, FLOAT/DOUBLE
 * u.f (FLOAT rounded to float), DECIMAL u.d at the column's scale, strings point into `bytes`
 * (owned by the node). A literal that falls between two values of the column's type (10.5
 * against INT, 10.123 against DECIMAL(10,2)) never reaches a CMP node: ordered comparisons are
 * rewritten to an equivalent on-grid bound and = / <> become PK_OFFGRID (see predicate_parse.c).
 */
#ifndef STROM_COLUMNAR_PREDICATE_INTERNAL_H
#define STROM_COLUMNAR_PREDICATE_INTERNAL_H

#include "columnar/predicate.h"

/* Bound on the depth of any tree (the parser's nesting limit keeps parsed trees far below). */
#define PRED_MAX_DEPTH 256

typedef enum pred_kind {
    PK_CMP,     /* col op lit; lit may be NULL (then always UNKNOWN) */
    PK_OFFGRID, /* col = v / col <> v for a v no value of the column equals; text kept */
    PK_ISNULL,  /* col IS [NOT] NULL */
    PK_IN,      /* col [NOT] IN (sorted distinct non-null list [, NULL]) */
    PK_AND,
    PK_OR,
    PK_NOT,
} pred_kind;

struct strom_pred {
    pred_kind kind;
    int depth;          /* 1 for a leaf */
    int col;
    strom_cmp_op op;    /* CMP; OFFGRID: EQ or NE */
    bool negated;       /* ISNULL: IS NOT NULL; IN: NOT IN */
    bool has_null;      /* IN: the list held NULL */
    strom_value lit;    /* CMP */
    int n;              /* IN: list entries; AND/OR: kids; NOT: 1 */
    strom_value *list;  /* IN, sorted by strom_value_cmp, distinct */
    strom_pred **kids;  /* AND/OR/NOT */
    uint8_t *bytes;     /* owned string bytes of lit / list */
    char *text;         /* OFFGRID: the literal as written, NUL-terminated */
};

/* Allocates a zeroed node; NULL on ENOMEM. */
strom_pred *pred_node_new(pred_kind kind);

/* IN-node from values of one type (copied, sorted, deduplicated; NULLs set has_null). */
strom_pred *pred_in_build(int col, const strom_value *lits, int n, bool negated);

/* True if s[0..len) is a reserved word of the grammar (case-insensitive). */
bool pred_is_keyword(const char *s, size_t len);

#endif /* STROM_COLUMNAR_PREDICATE_INTERNAL_H */
