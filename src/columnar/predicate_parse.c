/*
 * predicate_parse.c: predicate text -> tree, with literals bound to column types.
 *
 * A hand-written recursive-descent parser over an on-demand lexer (one token of lookahead,
 * plus a saved-state peek to tell `DATE '...'` (a literal) from a column named date). Every
 * error names the 0-based byte position of the token at fault. Recursion is bounded by
 * STROM_PRED_MAX_NESTING (parentheses + NOTs), AND/OR chains are loops, so hostile text such
 * as 100k '(' or 'NOT NOT NOT ...' fails cleanly instead of exhausting the stack.
 *
 * Literal binding. A literal is read exactly and then bound to the column's type:
 *   - integers / DECIMAL(p,s): the literal is parsed as an exact decimal. Outside the
 *     type's range (TINYINT -128..127, DECIMAL(p,s) |v| < 10^(p-s)) is STROM_ERANGE. Inside
 *     the range but between two representable values (10.5 vs INT, 10.123 vs DECIMAL(10,2))
 *     the comparison is rewritten to an exactly equivalent one on the column's grid:
 *       x > 10.123, x >= 10.123  ->  x >= 10.13      (ceil)
 *       x < 10.123, x <= 10.123  ->  x <= 10.12      (floor)
 *       x = 10.123               ->  FALSE for every non-null x (NULL stays UNKNOWN)
 *       x <> 10.123              ->  TRUE for every non-null x
 *     and such an element of an IN list can never match, so it is dropped. The canonical
 *     text shows the rewritten bound; = / <> keep the literal as written.
 *   - FLOAT / DOUBLE: strtod (correctly rounded), then for FLOAT rounded to float as value.h
 *     specifies; NaN, Infinity, -Infinity (also Inf) are accepted; an overflow to infinity
 *     is STROM_ERANGE.
 *   - STRING: 'text'; BYTES: X'hex' or 'text' (its bytes); BOOLEAN: TRUE / FALSE.
 *   - DATE / TIME / TIMESTAMP / TIMESTAMP_LTZ: the typed literal or a bare 'string' in the
 *     column's form (see strom_parse_* in value.h); a DATE literal also binds to the two
 *     timestamp types (midnight; UTC for TIMESTAMP_LTZ). Fractions finer than microseconds
 *     are rejected rather than rounded, so no comparison changes meaning.
 *   - NULL binds to any column; `x = NULL` is always UNKNOWN.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "columnar/predicate_internal.h"
#include "common/common.h"

typedef enum tok_kind {
    T_END, T_LPAREN, T_RPAREN, T_COMMA, T_OP, T_WORD, T_QIDENT, T_STRING, T_HEX, T_NUMBER,
    T_SIGN,
} tok_kind;

typedef struct tok {
    tok_kind kind;
    size_t pos, len; /* the whole token text */
    strom_cmp_op op;
} tok;

typedef struct pstate {
    const char *s;
    size_t len, i;   /* i: where the next token starts to be scanned */
    const strom_schema *sc;
    strom_error *err;
    int nest;
    tok cur;
} pstate;

/* ---- lexer ---------------------------------------------------------------------------- */

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_word0(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || (unsigned char)c >= 0x80;
}
static bool is_word(char c) { return is_word0(c) || is_digit(c); }

/* Scans a quoted run starting at s[i] == q, where qq escapes q; returns the index after the
 * closing quote or 0 if unterminated. */
static size_t scan_quoted(const char *s, size_t len, size_t i, char q)
{
    for (i++; i < len; i++) {
        if (s[i] == q) {
            if (i + 1 < len && s[i + 1] == q) {
                i++;
                continue;
            }
            return i + 1;
        }
    }
    return 0;
}

static int lex(pstate *p)
{
    const char *s = p->s;
    size_t i = p->i, len = p->len;
    while (i < len && is_space(s[i]))
        i++;
    tok *t = &p->cur;
    t->pos = i;
    t->len = 1;
    if (i >= len) {
        t->kind = T_END;
        t->len = 0;
        p->i = i;
        return 0;
    }
    char c = s[i];
    size_t end = i + 1;
    switch (c) {
    case '(': t->kind = T_LPAREN; break;
    case ')': t->kind = T_RPAREN; break;
    case ',': t->kind = T_COMMA; break;
    case '=': t->kind = T_OP; t->op = STROM_CMP_EQ; break;
    case '<':
    case '>':
        t->kind = T_OP;
        if (end < len && s[end] == '=') {
            t->op = c == '<' ? STROM_CMP_LE : STROM_CMP_GE;
            end++;
        } else if (c == '<' && end < len && s[end] == '>') {
            t->op = STROM_CMP_NE;
            end++;
        } else {
            t->op = c == '<' ? STROM_CMP_LT : STROM_CMP_GT;
        }
        break;
    case '!':
        if (end < len && s[end] == '=') {
            t->kind = T_OP;
            t->op = STROM_CMP_NE;
            end++;
            break;
        }
        return strom_error_set(p->err, STROM_EPARSE, "at position %zu: unexpected '!' (did "
                               "you mean '!='?)", i);
    case '\'':
    case '"':
        end = scan_quoted(s, len, i, c);
        if (!end)
            return strom_error_set(p->err, STROM_EPARSE, "at position %zu: unterminated %s "
                                   "starting here", i, c == '\'' ? "string" : "quoted identifier");
        t->kind = c == '\'' ? T_STRING : T_QIDENT;
        break;
    default:
        if ((c == 'X' || c == 'x') && end < len && s[end] == '\'') {
            end = scan_quoted(s, len, end, '\'');
            if (!end)
                return strom_error_set(p->err, STROM_EPARSE, "at position %zu: unterminated "
                                       "X'...' literal starting here", i);
            t->kind = T_HEX;
        } else if (is_word0(c)) {
            while (end < len && is_word(s[end]))
                end++;
            t->kind = T_WORD;
        } else if (is_digit(c) || c == '.' ||
                   ((c == '+' || c == '-') && end < len && (is_digit(s[end]) || s[end] == '.'))) {
            /* greedy: the number and anything glued to it, validated when bound */
            while (end < len && (is_word(s[end]) || s[end] == '.' ||
                                 ((s[end] == '+' || s[end] == '-') &&
                                  (s[end - 1] == 'e' || s[end - 1] == 'E'))))
                end++;
            t->kind = T_NUMBER;
        } else if (c == '+' || c == '-') {
            t->kind = T_SIGN;
        } else {
            if ((unsigned char)c < 0x20 || c == 0x7f)
                return strom_error_set(p->err, STROM_EPARSE, "at position %zu: unexpected "
                                       "control character 0x%02x", i, (unsigned char)c);
            return strom_error_set(p->err, STROM_EPARSE, "at position %zu: unexpected "
                                   "character '%c'", i, c);
        }
    }
    t->len = end - i;
    p->i = end;
    return 0;
}

static bool tok_is(const pstate *p, const char *kw)
{
    return p->cur.kind == T_WORD && strlen(kw) == p->cur.len &&
           strncasecmp(p->s + p->cur.pos, kw, p->cur.len) == 0;
}

/* Describes the current token for messages: "'abc'" or "end of input". */
static const char *tok_desc(const pstate *p, char *buf, size_t cap)
{
    if (p->cur.kind == T_END)
        return "end of input";
    int n = (int)STROM_MIN(p->cur.len, 40);
    snprintf(buf, cap, "'%.*s%s'", n, p->s + p->cur.pos, p->cur.len > 40 ? "..." : "");
    return buf;
}

static int unexpected(pstate *p, const char *expected)
{
    char d[64];
    return strom_error_set(p->err, STROM_EPARSE, "at position %zu: expected %s, found %s",
                           p->cur.pos, expected, tok_desc(p, d, sizeof d));
}

/* ---- literals ------------------------------------------------------------------------- */

typedef enum lit_kind {
    L_NUMBER, L_STRING, L_HEX, L_TRUE, L_FALSE, L_NULL, L_DATE, L_TIME, L_TIMESTAMP, L_NAN,
    L_INF, L_NEGINF,
} lit_kind;

/* An unbound literal: its kind and where its text is. For quoted kinds body/blen is the text
 * between the quotes (escapes still doubled). */
typedef struct ulit {
    lit_kind kind;
    size_t pos, len;
    const char *body;
    size_t blen;
} ulit;

static bool is_literal_start(const pstate *p)
{
    switch (p->cur.kind) {
    case T_STRING: case T_HEX: case T_NUMBER: case T_SIGN: return true;
    case T_WORD:
        return tok_is(p, "TRUE") || tok_is(p, "FALSE") || tok_is(p, "NULL") ||
               tok_is(p, "NAN") || tok_is(p, "INF") || tok_is(p, "INFINITY");
    default: return false;
    }
}

/* DATE/TIME/TIMESTAMP followed by a string: a typed literal, not a column. */
static bool is_typed_literal(pstate *p)
{
    if (!(tok_is(p, "DATE") || tok_is(p, "TIME") || tok_is(p, "TIMESTAMP")))
        return false;
    pstate save = *p;
    strom_error *e = p->err;
    p->err = NULL;
    bool yes = lex(p) == 0 && p->cur.kind == T_STRING;
    *p = save;
    p->err = e;
    return yes;
}

/* Reads one literal token (two for typed and signed ones) into *l and advances. */
static int read_literal(pstate *p, ulit *l)
{
    tok t = p->cur;
    l->pos = t.pos;
    l->body = p->s + t.pos;
    l->blen = t.len;
    switch (t.kind) {
    case T_NUMBER: l->kind = L_NUMBER; break;
    case T_STRING: l->kind = L_STRING; l->body++; l->blen -= 2; break;
    case T_HEX: l->kind = L_HEX; l->body += 2; l->blen -= 3; break;
    case T_SIGN: {
        bool neg = p->s[t.pos] == '-';
        STROM_TRY(lex(p));
        if (!(tok_is(p, "INF") || tok_is(p, "INFINITY")))
            return unexpected(p, "a number or Infinity after the sign");
        l->kind = neg ? L_NEGINF : L_INF;
        t.len = p->cur.pos + p->cur.len - t.pos;
        break;
    }
    case T_WORD:
        if (tok_is(p, "TRUE")) l->kind = L_TRUE;
        else if (tok_is(p, "FALSE")) l->kind = L_FALSE;
        else if (tok_is(p, "NULL")) l->kind = L_NULL;
        else if (tok_is(p, "NAN")) l->kind = L_NAN;
        else if (tok_is(p, "INF") || tok_is(p, "INFINITY")) l->kind = L_INF;
        else if (is_typed_literal(p)) {
            l->kind = tok_is(p, "DATE") ? L_DATE : tok_is(p, "TIME") ? L_TIME : L_TIMESTAMP;
            STROM_TRY(lex(p));
            l->body = p->s + p->cur.pos + 1;
            l->blen = p->cur.len - 2;
            t.len = p->cur.pos + p->cur.len - t.pos;
        } else
            return unexpected(p, "a literal");
        break;
    default:
        return unexpected(p, "a literal");
    }
    l->len = t.len;
    return lex(p);
}

/* Type name for messages ("DECIMAL(10,2)"). */
static const char *tname(strom_type t, char *buf, size_t cap) { return strom_type_format(t, buf, cap); }

/* "at position N: <lit> is not a valid <type>" with STROM_ETYPE. */
static int type_error(pstate *p, const ulit *l, strom_type t)
{
    char tb[32];
    int n = (int)STROM_MIN(l->len, 40);
    return strom_error_set(p->err, STROM_ETYPE, "at position %zu: %.*s%s is not a valid %s",
                           l->pos, n, p->s + l->pos, l->len > 40 ? "..." : "",
                           tname(t, tb, sizeof tb));
}

static int range_error(pstate *p, const ulit *l, strom_type t)
{
    char tb[32];
    int n = (int)STROM_MIN(l->len, 40);
    return strom_error_set(p->err, STROM_ERANGE, "at position %zu: %.*s%s is out of range for "
                           "%s", l->pos, n, p->s + l->pos, l->len > 40 ? "..." : "",
                           tname(t, tb, sizeof tb));
}

/* A bound literal: `v` on the column's grid, or (offgrid) between floor `v` and ceil `ce`. */
typedef struct blit {
    strom_value v, ce;
    bool offgrid;
    uint8_t *bytes; /* owned decoded string bytes */
} blit;

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int bind_bytes(pstate *p, const ulit *l, blit *b)
{
    b->bytes = malloc(l->blen ? l->blen : 1);
    if (!b->bytes)
        return strom_error_set(p->err, STROM_ENOMEM, "out of memory");
    size_t n = 0;
    if (l->kind == L_HEX) {
        if (l->blen % 2)
            return strom_error_set(p->err, STROM_EPARSE, "at position %zu: X'...' needs an "
                                   "even number of hex digits", l->pos);
        for (size_t i = 0; i < l->blen; i += 2) {
            int hi = hexval(l->body[i]), lo = hexval(l->body[i + 1]);
            if (hi < 0 || lo < 0)
                return strom_error_set(p->err, STROM_EPARSE, "at position %zu: '%c' is not a "
                                       "hex digit", l->pos + 2 + i + (hi >= 0),
                                       l->body[i + (hi >= 0)]);
            b->bytes[n++] = (uint8_t)(hi << 4 | lo);
        }
    } else {
        for (size_t i = 0; i < l->blen; i++) {
            b->bytes[n++] = (uint8_t)l->body[i];
            if (l->body[i] == '\'')
                i++; /* '' -> ' */
        }
    }
    if (n > UINT32_MAX)
        return range_error(p, l, strom_type_of(STROM_TYPE_BYTES));
    b->v.u.s.ptr = b->bytes;
    b->v.u.s.len = (uint32_t)n;
    return 0;
}

/* Range of an exact type as unscaled values at its scale. */
static void type_bounds(strom_type t, strom_i128 *lo, strom_i128 *hi)
{
    switch (t.id) {
    case STROM_TYPE_TINYINT: *lo = INT8_MIN; *hi = INT8_MAX; break;
    case STROM_TYPE_SMALLINT: *lo = INT16_MIN; *hi = INT16_MAX; break;
    case STROM_TYPE_INT: *lo = INT32_MIN; *hi = INT32_MAX; break;
    case STROM_TYPE_DECIMAL: {
        strom_i128 m = 1;
        for (int k = 0; k < t.precision; k++)
            m *= 10;
        *lo = -(m - 1);
        *hi = m - 1;
        break;
    }
    default: *lo = INT64_MIN; *hi = INT64_MAX; break;
    }
}

static int bind_exact(pstate *p, const ulit *l, strom_type t, blit *b)
{
    if (l->kind != L_NUMBER)
        return type_error(p, l, t);
    strom_i128 u, fl, ce, lo, hi;
    int32_t sc, ts = t.id == STROM_TYPE_DECIMAL ? t.scale : 0;
    int rc = strom_parse_number_exact(l->body, l->blen, &u, &sc, p->err);
    if (rc == STROM_EPARSE)
        return type_error(p, l, t);
    if (rc < 0)
        return range_error(p, l, t);
    if (strom_decimal_rescale(u, sc, ts, STROM_ROUND_FLOOR, &fl, NULL) < 0 ||
        strom_decimal_rescale(u, sc, ts, STROM_ROUND_CEIL, &ce, NULL) < 0)
        return range_error(p, l, t);
    type_bounds(t, &lo, &hi);
    b->offgrid = fl != ce;
    /* offgrid: L > hi iff floor(L) >= hi (hi is on the grid); likewise for lo */
    if (b->offgrid ? (fl >= hi || ce <= lo) : (fl > hi || fl < lo))
        return range_error(p, l, t);
    if (t.id == STROM_TYPE_DECIMAL) {
        b->v.u.d = fl;
        b->ce.u.d = ce;
    } else {
        b->v.u.i = (int64_t)fl;
        b->ce.u.i = (int64_t)ce;
    }
    return 0;
}

static int bind_float(pstate *p, const ulit *l, strom_type t, blit *b)
{
    double d;
    if (l->kind == L_NAN || l->kind == L_INF || l->kind == L_NEGINF) {
        d = l->kind == L_NAN ? NAN : l->kind == L_INF ? INFINITY : -INFINITY;
    } else if (l->kind == L_NUMBER) {
        char tmp[128];
        strom_i128 u;
        int32_t sc;
        /* validate the shape first (strtod would accept hex, "inf", ...) */
        int rc = strom_parse_number_exact(l->body, l->blen, &u, &sc, NULL);
        if (rc == STROM_EPARSE)
            return type_error(p, l, t);
        if (l->blen >= sizeof tmp)
            return range_error(p, l, t);
        memcpy(tmp, l->body, l->blen);
        tmp[l->blen] = '\0';
        errno = 0;
        d = strtod(tmp, NULL);
        if (isinf(d))
            return range_error(p, l, t);
        if (t.id == STROM_TYPE_FLOAT) {
            float f = (float)d;
            if (isinf(f))
                return range_error(p, l, t);
            d = f;
        }
    } else {
        return type_error(p, l, t);
    }
    b->v.u.f = d;
    return 0;
}

static int bind_temporal(pstate *p, const ulit *l, strom_type t, blit *b)
{
    int rc;
    bool str = l->kind == L_STRING;
    int64_t v = 0;
    if (l->kind == L_NUMBER || !(str || l->kind == L_DATE || l->kind == L_TIME ||
                                 l->kind == L_TIMESTAMP))
        return type_error(p, l, t);
    /* typed literals must suit the column; a DATE also suits a timestamp (midnight) */
    if (l->kind == L_DATE && t.id != STROM_TYPE_DATE && t.id != STROM_TYPE_TIMESTAMP &&
        t.id != STROM_TYPE_TIMESTAMP_LTZ)
        return type_error(p, l, t);
    if ((l->kind == L_TIME && t.id != STROM_TYPE_TIME) ||
        (l->kind == L_TIMESTAMP && t.id != STROM_TYPE_TIMESTAMP &&
         t.id != STROM_TYPE_TIMESTAMP_LTZ))
        return type_error(p, l, t);
    if (memchr(l->body, '\'', l->blen))
        return type_error(p, l, t);
    if (t.id == STROM_TYPE_DATE || l->kind == L_DATE) {
        int32_t days;
        rc = strom_parse_date(l->body, l->blen, &days, p->err);
        v = t.id == STROM_TYPE_DATE ? days : (int64_t)days * 86400000000LL;
    } else if (t.id == STROM_TYPE_TIME) {
        rc = strom_parse_time(l->body, l->blen, &v, p->err);
    } else {
        rc = strom_parse_timestamp(l->body, l->blen, t.id == STROM_TYPE_TIMESTAMP_LTZ, &v,
                                   p->err);
    }
    if (rc < 0) {
        strom_error_prefix(p->err, "at position %zu", l->pos);
        return rc;
    }
    b->v.u.i = v;
    return 0;
}

/* Binds *l to column type t into *b (b->v.type set, strings decoded into b->bytes). */
static int bind_literal(pstate *p, const ulit *l, strom_type t, blit *b)
{
    memset(b, 0, sizeof *b);
    b->v.type = b->ce.type = t.id;
    if (l->kind == L_NULL) {
        b->v.is_null = true;
        return 0;
    }
    switch (t.id) {
    case STROM_TYPE_BOOLEAN:
        if (l->kind != L_TRUE && l->kind != L_FALSE)
            return type_error(p, l, t);
        b->v.u.b = l->kind == L_TRUE;
        return 0;
    case STROM_TYPE_TINYINT: case STROM_TYPE_SMALLINT: case STROM_TYPE_INT:
    case STROM_TYPE_BIGINT: case STROM_TYPE_DECIMAL:
        return bind_exact(p, l, t, b);
    case STROM_TYPE_FLOAT: case STROM_TYPE_DOUBLE:
        return bind_float(p, l, t, b);
    case STROM_TYPE_STRING:
        if (l->kind != L_STRING)
            return type_error(p, l, t);
        return bind_bytes(p, l, b);
    case STROM_TYPE_BYTES:
        if (l->kind != L_STRING && l->kind != L_HEX)
            return type_error(p, l, t);
        return bind_bytes(p, l, b);
    default:
        return bind_temporal(p, l, t, b);
    }
}

/* ---- grammar -------------------------------------------------------------------------- */

static int parse_or(pstate *p, strom_pred **out);

/* Resolves the current WORD/QIDENT token to a column index. */
static int read_column(pstate *p, int *col)
{
    tok t = p->cur;
    char name[STROM_NAME_MAX + 1] = "";
    size_t n = 0;
    const char *s = p->s + t.pos;
    if (t.kind == T_WORD) {
        /* DATE/TIME/TIMESTAMP not followed by a string are column names */
        if (pred_is_keyword(s, t.len) && !tok_is(p, "DATE") && !tok_is(p, "TIME") &&
            !tok_is(p, "TIMESTAMP"))
            return unexpected(p, "a column or a literal");
        if (t.len <= STROM_NAME_MAX) {
            memcpy(name, s, t.len);
            n = t.len;
        } else {
            n = SIZE_MAX;
        }
    } else if (t.kind == T_QIDENT) {
        for (size_t i = 1; i + 1 < t.len; i++) {
            if (n == STROM_NAME_MAX) {
                n = SIZE_MAX;
                break;
            }
            name[n++] = s[i];
            if (s[i] == '"')
                i++;
        }
    } else {
        return unexpected(p, "a column");
    }
    *col = n == SIZE_MAX ? -1 : strom_schema_find(p->sc, name, n);
    if (*col < 0) {
        int q = (int)STROM_MIN(t.len, 64);
        return strom_error_set(p->err, STROM_ENOTFOUND, "at position %zu: unknown column "
                               "%.*s%s", t.pos, q, s, t.len > 64 ? "..." : "");
    }
    return lex(p);
}

static strom_cmp_op flip(strom_cmp_op op)
{
    switch (op) {
    case STROM_CMP_LT: return STROM_CMP_GT;
    case STROM_CMP_LE: return STROM_CMP_GE;
    case STROM_CMP_GT: return STROM_CMP_LT;
    case STROM_CMP_GE: return STROM_CMP_LE;
    default: return op;
    }
}

static int nomem(pstate *p) { return strom_error_set(p->err, STROM_ENOMEM, "out of memory"); }

/* col op literal, literal already bound. Consumes b->bytes. */
static int make_cmp(pstate *p, int col, strom_cmp_op op, blit *b, const ulit *l,
                    strom_pred **out)
{
    strom_pred *n = NULL;
    if (!b->offgrid) {
        n = strom_pred_cmp(col, op, &b->v);
    } else if (op == STROM_CMP_EQ || op == STROM_CMP_NE) {
        if ((n = pred_node_new(PK_OFFGRID)) != NULL) {
            n->col = col;
            n->op = op;
            n->text = strndup(p->s + l->pos, l->len);
            if (!n->text) {
                strom_pred_free(n);
                n = NULL;
            }
        }
    } else if (op == STROM_CMP_GT || op == STROM_CMP_GE) {
        n = strom_pred_cmp(col, STROM_CMP_GE, &b->ce);
    } else {
        n = strom_pred_cmp(col, STROM_CMP_LE, &b->v);
    }
    free(b->bytes);
    b->bytes = NULL;
    if (!n)
        return nomem(p);
    *out = n;
    return 0;
}

/* '(' literal (',' literal)* ')' after [NOT] IN. */
static int parse_in_list(pstate *p, int col, bool negated, strom_pred **out)
{
    strom_type t = strom_schema_col_type(p->sc, col);
    strom_value *vals = NULL;
    uint8_t **owned = NULL;
    int n = 0, cap = 0, rc = 0;
    ulit first_off = {0};
    bool any_off = false;
    if (p->cur.kind != T_LPAREN)
        return unexpected(p, "'(' after IN");
    STROM_TRY(lex(p));
    for (int count = 0;; count++) {
        ulit l;
        blit b;
        if (count >= STROM_PRED_MAX_IN) {
            rc = strom_error_set(p->err, STROM_ELIMIT, "at position %zu: IN list longer than "
                                 "%d literals", p->cur.pos, STROM_PRED_MAX_IN);
            goto done;
        }
        if (!is_literal_start(p) && !is_typed_literal(p)) {
            rc = unexpected(p, "a literal in the IN list");
            goto done;
        }
        STROM_TRY_GOTO(rc, read_literal(p, &l), done);
        STROM_TRY_GOTO(rc, bind_literal(p, &l, t, &b), bind_fail);
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            strom_value *nv = realloc(vals, (size_t)cap * sizeof *vals);
            uint8_t **no = nv ? realloc(owned, (size_t)cap * sizeof *owned) : NULL;
            if (nv)
                vals = nv;
            if (no)
                owned = no;
            if (!nv || !no) {
                free(b.bytes);
                rc = nomem(p);
                goto done;
            }
        }
        if (b.offgrid) { /* can never be equal: drop it */
            if (!any_off)
                first_off = l;
            any_off = true;
            free(b.bytes);
        } else {
            owned[n] = b.bytes;
            vals[n++] = b.v;
        }
        if (p->cur.kind == T_RPAREN)
            break;
        if (p->cur.kind != T_COMMA) {
            rc = unexpected(p, "',' or ')' in the IN list");
            goto done;
        }
        STROM_TRY_GOTO(rc, lex(p), done);
        continue;
bind_fail:
        free(b.bytes);
        goto done;
    }
    STROM_TRY_GOTO(rc, lex(p), done);
    if (n == 0) { /* every literal was off-grid: x IN (10.5) is x = 10.5 */
        blit b = {.offgrid = true};
        rc = make_cmp(p, col, negated ? STROM_CMP_NE : STROM_CMP_EQ, &b, &first_off, out);
        goto done;
    }
    *out = pred_in_build(col, vals, n, negated);
    if (!*out)
        rc = nomem(p);
done:
    for (int i = 0; i < n; i++)
        free(owned[i]);
    free(owned);
    free(vals);
    return rc;
}

/* After a column: cmp literal | IS [NOT] NULL | [NOT] IN (...) | nothing (BOOLEAN). */
static int parse_after_column(pstate *p, int col, size_t col_pos, strom_pred **out)
{
    strom_type t = strom_schema_col_type(p->sc, col);
    if (p->cur.kind == T_OP) {
        strom_cmp_op op = p->cur.op;
        ulit l;
        blit b;
        STROM_TRY(lex(p));
        if (!is_literal_start(p) && !is_typed_literal(p))
            return unexpected(p, "a literal after the comparison (columns compare only with "
                                 "literals)");
        STROM_TRY(read_literal(p, &l));
        int rc = bind_literal(p, &l, t, &b);
        if (rc < 0) {
            free(b.bytes);
            return rc;
        }
        return make_cmp(p, col, op, &b, &l, out);
    }
    if (tok_is(p, "IS")) {
        bool neg = false;
        STROM_TRY(lex(p));
        if (tok_is(p, "NOT")) {
            neg = true;
            STROM_TRY(lex(p));
        }
        if (!tok_is(p, "NULL"))
            return unexpected(p, neg ? "NULL after IS NOT" : "NULL or NOT NULL after IS");
        STROM_TRY(lex(p));
        return (*out = strom_pred_is_null(col, neg)) ? 0 : nomem(p);
    }
    if (tok_is(p, "NOT") || tok_is(p, "IN")) {
        bool neg = tok_is(p, "NOT");
        if (neg) {
            STROM_TRY(lex(p));
            if (!tok_is(p, "IN"))
                return unexpected(p, "IN after NOT");
        }
        STROM_TRY(lex(p));
        return parse_in_list(p, col, neg, out);
    }
    if (t.id != STROM_TYPE_BOOLEAN) {
        if (p->cur.kind == T_END || p->cur.kind == T_RPAREN || tok_is(p, "AND") ||
            tok_is(p, "OR")) {
            char tb[32];
            return strom_error_set(p->err, STROM_ETYPE, "at position %zu: column %s is %s, not "
                                   "BOOLEAN: it needs a comparison", col_pos,
                                   strom_schema_col_name(p->sc, col), tname(t, tb, sizeof tb));
        }
        return unexpected(p, "a comparison, IS or IN after the column");
    }
    strom_value v = {.type = STROM_TYPE_BOOLEAN, .is_null = false, .u.b = true};
    return (*out = strom_pred_cmp(col, STROM_CMP_EQ, &v)) ? 0 : nomem(p);
}

/* literal cmp column */
static int parse_literal_first(pstate *p, strom_pred **out)
{
    ulit l;
    blit b;
    int col;
    STROM_TRY(read_literal(p, &l));
    if (p->cur.kind != T_OP)
        return unexpected(p, "a comparison after the literal");
    strom_cmp_op op = flip(p->cur.op);
    STROM_TRY(lex(p));
    if (p->cur.kind != T_WORD && p->cur.kind != T_QIDENT)
        return unexpected(p, "a column after the comparison");
    if (p->cur.kind == T_WORD && (is_literal_start(p) || is_typed_literal(p)))
        return unexpected(p, "a column (comparing two literals is not supported)");
    STROM_TRY(read_column(p, &col));
    int rc = bind_literal(p, &l, strom_schema_col_type(p->sc, col), &b);
    if (rc < 0) {
        free(b.bytes);
        return rc;
    }
    return make_cmp(p, col, op, &b, &l, out);
}

static int nest_enter(pstate *p)
{
    if (++p->nest > STROM_PRED_MAX_NESTING)
        return strom_error_set(p->err, STROM_ELIMIT, "at position %zu: nesting deeper than %d "
                               "(parentheses and NOTs)", p->cur.pos, STROM_PRED_MAX_NESTING);
    return 0;
}

static int parse_primary(pstate *p, strom_pred **out)
{
    if (p->cur.kind == T_LPAREN) {
        size_t open = p->cur.pos;
        STROM_TRY(nest_enter(p));
        STROM_TRY(lex(p));
        STROM_TRY(parse_or(p, out));
        if (p->cur.kind != T_RPAREN) {
            char d[64];
            int rc = strom_error_set(p->err, STROM_EPARSE, "at position %zu: expected ')' to "
                                     "close the '(' at position %zu, found %s", p->cur.pos, open,
                                     tok_desc(p, d, sizeof d));
            strom_pred_free(*out);
            *out = NULL;
            return rc;
        }
        p->nest--;
        int rc = lex(p); /* a bad token right after ')': drop the finished subtree */
        if (rc < 0) {
            strom_pred_free(*out);
            *out = NULL;
        }
        return rc;
    }
    if (p->cur.kind == T_END)
        return unexpected(p, p->cur.pos == 0 ? "a predicate (the text is empty)"
                                             : "a column or a literal");
    if (is_literal_start(p) || is_typed_literal(p))
        return parse_literal_first(p, out);
    int col;
    size_t pos = p->cur.pos;
    STROM_TRY(read_column(p, &col));
    return parse_after_column(p, col, pos, out);
}

static int parse_not(pstate *p, strom_pred **out)
{
    if (!tok_is(p, "NOT"))
        return parse_primary(p, out);
    STROM_TRY(nest_enter(p));
    STROM_TRY(lex(p));
    strom_pred *c = NULL;
    STROM_TRY(parse_not(p, &c));
    p->nest--;
    return (*out = strom_pred_not(c)) ? 0 : nomem(p);
}

/* kind_kw: "AND" or "OR"; sub parses one operand. */
static int parse_chain(pstate *p, const char *kw, int (*sub)(pstate *, strom_pred **),
                       strom_pred **out)
{
    strom_pred *acc = NULL, *rhs = NULL;
    STROM_TRY(sub(p, &acc));
    while (tok_is(p, kw)) {
        int rc = lex(p);
        if (rc == 0)
            rc = sub(p, &rhs);
        if (rc < 0) {
            strom_pred_free(acc);
            return rc;
        }
        acc = kw[0] == 'A' ? strom_pred_and(acc, rhs) : strom_pred_or(acc, rhs);
        rhs = NULL;
        if (!acc)
            return nomem(p);
    }
    *out = acc;
    return 0;
}

static int parse_and(pstate *p, strom_pred **out) { return parse_chain(p, "AND", parse_not, out); }
static int parse_or(pstate *p, strom_pred **out) { return parse_chain(p, "OR", parse_and, out); }

int strom_pred_parse(const char *text, size_t len, const strom_schema *s, strom_pred **out,
                     strom_error *err)
{
    *out = NULL;
    if (!text || !s)
        return strom_error_set(err, STROM_EINVAL, "no predicate text or schema");
    if (len > STROM_PRED_MAX_TEXT)
        return strom_error_set(err, STROM_ELIMIT, "at position %d: predicate text of %zu bytes "
                               "exceeds the limit of %d", STROM_PRED_MAX_TEXT, len,
                               STROM_PRED_MAX_TEXT);
    pstate p = {text, len, 0, s, err, 0, {0}};
    strom_pred *r = NULL;
    STROM_TRY(lex(&p));
    STROM_TRY(parse_or(&p, &r));
    if (p.cur.kind != T_END) {
        char d[64];
        strom_pred_free(r);
        if (p.cur.kind == T_RPAREN)
            return strom_error_set(err, STROM_EPARSE, "at position %zu: unbalanced ')'",
                                   p.cur.pos);
        return strom_error_set(err, STROM_EPARSE, "at position %zu: unexpected %s after a "
                               "complete predicate (missing AND/OR?)", p.cur.pos,
                               tok_desc(&p, d, sizeof d));
    }
    *out = r;
    return 0;
}
