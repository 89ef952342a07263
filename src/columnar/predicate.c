/*
 * predicate.c: predicate trees: programmatic construction, release, canonical text, the
 * columns a predicate reads, and evaluation against batch statistics.
 *
 * Statistics evaluation (strom_pred_eval_stats) works in three-valued logic. For each node it
 * computes which truth values some row of the batch *might* take: {TRUE, FALSE, UNKNOWN},
 * each flag an over-approximation. A leaf derives them from the column's null count and
 * min/max bounds; NOT swaps TRUE and FALSE (UNKNOWN stays); AND/OR combine the sets as if the
 * rows of both operands were independent, which can only add possibilities, never drop one.
 * The answer is NONE when TRUE is impossible, ALL when only TRUE is possible, SOME otherwise.
 * So `NOT (x > 5)` on a batch where `x > 5` is NONE is not ALL unless the batch has no nulls:
 * a NULL row is UNKNOWN under both.
 *
 * Bounds: min is a lower bound (<= every value); max is an upper bound, strict when
 * max_exact is false (a truncated string maximum is incremented, see batch.h). A missing bound
 * (has_min/has_max false while non-null rows exist), a bound of another type, or counts that
 * make no sense (null_count outside [0, rows]) make the leaf answer "anything is possible".
 *
 * Canonical text (strom_pred_format): column first, IN lists sorted and distinct with NULL
 * last, temporal literals with their keyword (DATE '...', TIMESTAMP '...Z'), identifiers
 * double-quoted only when they are not plain words or collide with a keyword; AND/OR operands
 * are parenthesised only where precedence needs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "columnar/predicate_internal.h"
#include "common/common.h"

/* ---- construction --------------------------------------------------------------------- */

strom_pred *pred_node_new(pred_kind kind)
{
    strom_pred *p = calloc(1, sizeof *p);
    if (p) {
        p->kind = kind;
        p->depth = 1;
    }
    return p;
}

void strom_pred_free(strom_pred *p)
{
    if (!p)
        return;
    if (p->kids)
        for (int i = 0; i < p->n; i++)
            strom_pred_free(p->kids[i]);
    free(p->kids);
    free(p->list);
    free(p->bytes);
    free(p->text);
    free(p);
}

static bool is_str_type(strom_type_id t) { return strom_type_is_varlen(t); }

strom_pred *strom_pred_cmp(int col, strom_cmp_op op, const strom_value *lit)
{
    if (col < 0 || (unsigned)op > STROM_CMP_GE || !lit)
        return NULL;
    strom_pred *p = pred_node_new(PK_CMP);
    if (!p)
        return NULL;
    p->col = col;
    p->op = op;
    p->lit = *lit;
    if (!lit->is_null && is_str_type(lit->type)) {
        p->bytes = malloc(lit->u.s.len ? lit->u.s.len : 1);
        if (!p->bytes) {
            free(p);
            return NULL;
        }
        if (lit->u.s.len)
            memcpy(p->bytes, lit->u.s.ptr, lit->u.s.len);
        p->lit.u.s.ptr = p->bytes;
    }
    return p;
}

strom_pred *strom_pred_is_null(int col, bool negated)
{
    if (col < 0)
        return NULL;
    strom_pred *p = pred_node_new(PK_ISNULL);
    if (p) {
        p->col = col;
        p->negated = negated;
    }
    return p;
}

static int value_cmp_qsort(const void *a, const void *b)
{
    return strom_value_cmp(a, b);
}

strom_pred *pred_in_build(int col, const strom_value *lits, int n, bool negated)
{
    if (col < 0 || n < 1 || n > STROM_PRED_MAX_IN || !lits)
        return NULL;
    strom_pred *p = pred_node_new(PK_IN);
    if (!p)
        return NULL;
    p->col = col;
    p->negated = negated;
    p->list = malloc((size_t)n * sizeof *p->list);
    size_t nbytes = 0;
    int m = 0;
    bool typed = false;
    strom_type_id type = STROM_TYPE_BOOLEAN;
    for (int i = 0; i < n; i++) {
        if (lits[i].is_null)
            continue;
        if (typed && lits[i].type != type)
            goto fail; /* one type per list */
        typed = true;
        type = lits[i].type;
        if (is_str_type(type))
            nbytes += lits[i].u.s.len;
    }
    if (!p->list || !(p->bytes = malloc(nbytes ? nbytes : 1)))
        goto fail;
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        if (lits[i].is_null) {
            p->has_null = true;
            continue;
        }
        p->list[m] = lits[i];
        if (is_str_type(type)) {
            if (lits[i].u.s.len)
                memcpy(p->bytes + off, lits[i].u.s.ptr, lits[i].u.s.len);
            p->list[m].u.s.ptr = p->bytes + off;
            off += lits[i].u.s.len;
        }
        m++;
    }
    if (m > 1)
        qsort(p->list, (size_t)m, sizeof *p->list, value_cmp_qsort);
    int d = 0;
    for (int i = 0; i < m; i++)
        if (d == 0 || strom_value_cmp(&p->list[d - 1], &p->list[i]) != 0)
            p->list[d++] = p->list[i];
    p->n = d;
    return p;
fail:
    strom_pred_free(p);
    return NULL;
}

strom_pred *strom_pred_in(int col, const strom_value *lits, int n, bool negated)
{
    return pred_in_build(col, lits, n, negated);
}

/* AND/OR: flattens operands of the same kind into one n-ary node. */
static strom_pred *pred_join(pred_kind kind, strom_pred *a, strom_pred *b)
{
    strom_pred *p = NULL;
    if (!a || !b)
        goto fail;
    int na = a->kind == kind ? a->n : 1, nb = b->kind == kind ? b->n : 1;
    p = pred_node_new(kind);
    if (!p || !(p->kids = malloc((size_t)(na + nb) * sizeof *p->kids)))
        goto fail;
    strom_pred *ops[2] = {a, b};
    int depth = 0;
    for (int k = 0; k < 2; k++) {
        strom_pred *o = ops[k];
        if (o->kind == kind) {
            for (int i = 0; i < o->n; i++)
                p->kids[p->n++] = o->kids[i];
            o->n = 0;
            strom_pred_free(o);
        } else {
            p->kids[p->n++] = o;
        }
    }
    for (int i = 0; i < p->n; i++)
        depth = STROM_MAX(depth, p->kids[i]->depth);
    p->depth = depth + 1;
    if (p->depth > PRED_MAX_DEPTH) {
        strom_pred_free(p);
        return NULL;
    }
    return p;
fail:
    if (p && p->kids)
        free(p->kids);
    free(p);
    strom_pred_free(a);
    strom_pred_free(b);
    return NULL;
}

strom_pred *strom_pred_and(strom_pred *a, strom_pred *b) { return pred_join(PK_AND, a, b); }
strom_pred *strom_pred_or(strom_pred *a, strom_pred *b) { return pred_join(PK_OR, a, b); }

strom_pred *strom_pred_not(strom_pred *a)
{
    if (!a)
        return NULL;
    strom_pred *p = NULL;
    if (a->depth + 1 > PRED_MAX_DEPTH || !(p = pred_node_new(PK_NOT)) ||
        !(p->kids = malloc(sizeof *p->kids))) {
        free(p);
        strom_pred_free(a);
        return NULL;
    }
    p->kids[0] = a;
    p->n = 1;
    p->depth = a->depth + 1;
    return p;
}

/* ---- columns -------------------------------------------------------------------------- */

void strom_pred_columns(const strom_pred *p, uint8_t *flags, int ncols)
{
    if (p->kind == PK_AND || p->kind == PK_OR || p->kind == PK_NOT) {
        for (int i = 0; i < p->n; i++)
            strom_pred_columns(p->kids[i], flags, ncols);
    } else if (p->col >= 0 && p->col < ncols) {
        flags[p->col] = 1;
    }
}

/* ---- canonical text ------------------------------------------------------------------- */

static const char *const pred_keywords[] = {
    "AND", "OR", "NOT", "IS", "NULL", "IN", "TRUE", "FALSE", "DATE", "TIME", "TIMESTAMP",
    "NAN", "INF", "INFINITY",
};

bool pred_is_keyword(const char *s, size_t len)
{
    for (size_t i = 0; i < STROM_ARRAY_LEN(pred_keywords); i++)
        if (strlen(pred_keywords[i]) == len && strncasecmp(pred_keywords[i], s, len) == 0)
            return true;
    return false;
}

static bool plain_ident(const char *s, size_t len)
{
    if (len == 0 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return !pred_is_keyword(s, len);
}

static int put_ident(strom_buf *out, const char *name)
{
    size_t len = strlen(name);
    if (plain_ident(name, len))
        return strom_buf_append(out, name, len);
    STROM_TRY(strom_buf_append(out, "\"", 1));
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '"')
            STROM_TRY(strom_buf_append(out, "\"", 1));
        STROM_TRY(strom_buf_append(out, name + i, 1));
    }
    return strom_buf_append(out, "\"", 1);
}

static int put_str(strom_buf *out, const char *s) { return strom_buf_append(out, s, strlen(s)); }

static int put_value(strom_buf *out, const strom_value *v, strom_type t)
{
    if (!v->is_null) {
        const char *kw = t.id == STROM_TYPE_DATE ? "DATE "
                         : t.id == STROM_TYPE_TIME && v->u.i >= 0 ? "TIME "
                         : t.id == STROM_TYPE_TIMESTAMP || t.id == STROM_TYPE_TIMESTAMP_LTZ
                             ? "TIMESTAMP "
                             : NULL;
        if (kw)
            STROM_TRY(put_str(out, kw));
    }
    char small[128];
    int n = strom_value_format(v, t.scale, small, sizeof small);
    if ((size_t)n < sizeof small)
        return strom_buf_append(out, small, (size_t)n);
    STROM_TRY(strom_buf_reserve(out, (size_t)n + 1));
    strom_value_format(v, t.scale, (char *)out->data + out->len, (size_t)n + 1);
    out->len += (size_t)n;
    return 0;
}

static const char *const cmp_text[] = {" = ", " <> ", " < ", " <= ", " > ", " >= "};

static int format_node(const strom_pred *p, const strom_schema *s, strom_buf *out);

static int format_kid(const strom_pred *kid, bool paren, const strom_schema *s, strom_buf *out)
{
    if (paren)
        STROM_TRY(put_str(out, "("));
    STROM_TRY(format_node(kid, s, out));
    return paren ? put_str(out, ")") : 0;
}

static int format_node(const strom_pred *p, const strom_schema *s, strom_buf *out)
{
    if (p->kind == PK_NOT) {
        STROM_TRY(put_str(out, "NOT "));
        pred_kind k = p->kids[0]->kind;
        return format_kid(p->kids[0], k == PK_AND || k == PK_OR, s, out);
    }
    if (p->kind == PK_AND || p->kind == PK_OR) {
        for (int i = 0; i < p->n; i++) {
            if (i)
                STROM_TRY(put_str(out, p->kind == PK_AND ? " AND " : " OR "));
            pred_kind k = p->kids[i]->kind;
            /* AND binds tighter than OR: only an OR under an AND needs parentheses (and a
             * same-kind child, which flattening normally removes) */
            STROM_TRY(format_kid(p->kids[i], k == PK_OR || k == p->kind, s, out));
        }
        return 0;
    }
    if (p->col < 0 || p->col >= strom_schema_ncols(s))
        return STROM_EINVAL;
    strom_type t = strom_schema_col_type(s, p->col);
    STROM_TRY(put_ident(out, strom_schema_col_name(s, p->col)));
    switch (p->kind) {
    case PK_CMP:
        STROM_TRY(put_str(out, cmp_text[p->op]));
        return put_value(out, &p->lit, t);
    case PK_OFFGRID:
        STROM_TRY(put_str(out, cmp_text[p->op]));
        return put_str(out, p->text);
    case PK_ISNULL:
        return put_str(out, p->negated ? " IS NOT NULL" : " IS NULL");
    case PK_IN:
        STROM_TRY(put_str(out, p->negated ? " NOT IN (" : " IN ("));
        for (int i = 0; i < p->n; i++) {
            if (i)
                STROM_TRY(put_str(out, ", "));
            STROM_TRY(put_value(out, &p->list[i], t));
        }
        if (p->has_null)
            STROM_TRY(put_str(out, p->n ? ", NULL" : "NULL"));
        return put_str(out, ")");
    default:
        return STROM_EINVAL;
    }
}

int strom_pred_format(const strom_pred *p, const strom_schema *s, strom_buf *out)
{
    size_t mark = out->len;
    int rc = format_node(p, s, out);
    if (rc < 0)
        out->len = mark;
    return rc;
}

/* ---- statistics ----------------------------------------------------------------------- */

/* Which truth values some row may take. */
typedef struct tri {
    bool t, f, u;
} tri;

static const tri TRI_ANY = {true, true, true};

/* Non-null values lie in [lo, hi] (hi strict when hi_strict); absent bounds are infinite. */
typedef struct range {
    const strom_value *lo, *hi;
    bool hi_strict;
    bool single; /* every non-null value equals *lo (lo == hi, hi not strict) */
} range;

/* -1 / 0 / +1 of v against a bound; an absent bound is -inf (lo) or +inf (hi). */
static int cmp_lo(const strom_value *v, const range *r) { return r->lo ? strom_value_cmp(v, r->lo) : 1; }
static int cmp_hi(const strom_value *v, const range *r) { return r->hi ? strom_value_cmp(v, r->hi) : -1; }

/* Possible outcomes of `x op v` for x in the range: *mt some x may satisfy, *mf may not. */
static void range_cmp(const range *r, strom_cmp_op op, const strom_value *v, bool *mt, bool *mf)
{
    int cl = cmp_lo(v, r), ch = cmp_hi(v, r);
    bool below_hi = ch < 0 || (ch == 0 && !r->hi_strict); /* some x >= v may exist */
    bool eq_possible = cl >= 0 && (r->hi_strict ? ch < 0 : ch <= 0);
    bool all_eq = r->single && cl == 0;
    switch (op) {
    case STROM_CMP_EQ: *mt = eq_possible; *mf = !all_eq; break;
    case STROM_CMP_NE: *mt = !all_eq; *mf = eq_possible; break;
    case STROM_CMP_LT: *mt = cl > 0; *mf = below_hi; break;
    case STROM_CMP_LE: *mt = cl >= 0; *mf = ch < 0; break;
    case STROM_CMP_GT: *mt = ch < 0; *mf = cl >= 0; break;
    case STROM_CMP_GE: *mt = below_hi; *mf = cl > 0; break;
    default: *mt = *mf = true; break;
    }
}

/* Builds the range of a column for literals of type `type`; false if the stats are unusable. */
static bool stats_range(const strom_col_stats *cs, strom_type_id type, range *r)
{
    r->lo = cs->has_min && !cs->min.is_null && cs->min.type == type ? &cs->min : NULL;
    r->hi = cs->has_max && !cs->max.is_null && cs->max.type == type ? &cs->max : NULL;
    r->hi_strict = r->hi && !cs->max_exact;
    r->single = r->lo && r->hi && !r->hi_strict && strom_value_cmp(r->lo, r->hi) == 0;
    if (r->lo && r->hi && strom_value_cmp(r->lo, r->hi) > 0)
        return false; /* min > max: nonsense, trust nothing */
    return true;
}

static tri stats_leaf(const strom_pred *p, const strom_batch_stats *st)
{
    if (p->col < 0 || p->col >= st->ncols || !st->cols)
        return TRI_ANY;
    const strom_col_stats *cs = &st->cols[p->col];
    if (cs->null_count < 0 || cs->null_count > st->rows)
        return TRI_ANY;
    bool nulls = cs->null_count > 0, values = cs->null_count < st->rows;
    tri r = {false, false, nulls};
    if (p->kind == PK_ISNULL) {
        tri q = {p->negated ? values : nulls, p->negated ? nulls : values, false};
        return q;
    }
    if (!values)
        return r; /* only NULLs: every comparison is UNKNOWN */
    range rg;
    bool mt = true, mf = true;
    switch (p->kind) {
    case PK_CMP:
        if (p->lit.is_null) {
            r.u = true;
            return r;
        }
        if (stats_range(cs, p->lit.type, &rg))
            range_cmp(&rg, p->op, &p->lit, &mt, &mf);
        r.t = mt;
        r.f = mf;
        return r;
    case PK_OFFGRID:
        r.t = p->op == STROM_CMP_NE;
        r.f = p->op == STROM_CMP_EQ;
        return r;
    case PK_IN: {
        bool member = p->n == 0 ? false : true, miss = true;
        if (p->n > 0 && stats_range(cs, p->list[0].type, &rg)) {
            member = false;
            for (int i = 0; i < p->n && !member; i++) {
                bool t, f;
                range_cmp(&rg, STROM_CMP_EQ, &p->list[i], &t, &f);
                member = t;
                if (!f)
                    miss = false; /* every value equals this element */
            }
        }
        /* IN: member -> TRUE, miss -> FALSE (UNKNOWN if the list has NULL) */
        tri q = {member, miss && !p->has_null, nulls || (miss && p->has_null)};
        if (p->negated) {
            bool t = q.t;
            q.t = q.f;
            q.f = t;
        }
        return q;
    }
    default:
        return TRI_ANY;
    }
}

static tri stats_node(const strom_pred *p, const strom_batch_stats *st)
{
    switch (p->kind) {
    case PK_NOT: {
        tri c = stats_node(p->kids[0], st), r = {c.f, c.t, c.u};
        return r;
    }
    case PK_AND:
    case PK_OR: {
        tri a = stats_node(p->kids[0], st);
        for (int i = 1; i < p->n; i++) {
            tri b = stats_node(p->kids[i], st), r;
            if (p->kind == PK_AND) {
                r.t = a.t && b.t;
                r.f = a.f || b.f;
                r.u = (a.u && (b.t || b.u)) || (b.u && (a.t || a.u));
            } else {
                r.t = a.t || b.t;
                r.f = a.f && b.f;
                r.u = (a.u && (b.f || b.u)) || (b.u && (a.f || a.u));
            }
            a = r;
        }
        return a;
    }
    default:
        return stats_leaf(p, st);
    }
}

strom_pred_match strom_pred_eval_stats(const strom_pred *p, const strom_batch_stats *st)
{
    if (!p || !st || st->rows < 0)
        return STROM_MATCH_SOME;
    if (st->rows == 0)
        return STROM_MATCH_NONE;
    tri r = stats_node(p, st);
    if (!r.t)
        return STROM_MATCH_NONE;
    return r.f || r.u ? STROM_MATCH_SOME : STROM_MATCH_ALL;
}
