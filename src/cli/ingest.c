/*
 * ingest.c: CSV and JSON Lines text into rows of a batch builder (see ingest.h).
 *
 * CSV (RFC 4180, with CRLF or LF line ends) is read by a byte state machine that survives
 * chunk boundaries. The fields of the record in progress are kept back to back in `rec`
 * (quotes removed, "" unescaped) with one {offset, length, quoted} entry each:
 *
 *     input   7,"a ""b""",,x\r\n          rec   7a "b"x        fields  {0,1,-} {1,6,q}
 *                                                                        {7,0,-} {7,1,-}
 *
 *   FIELD_START ──'"'──▶ QUOTED ──'"'──▶ QUOTE_END ──'"'──▶ QUOTED (a literal quote)
 *        │                  ▲                │
 *        └─other─▶ UNQUOTED │ any byte but '"'├─delimiter─▶ FIELD_START
 *                           └────────────────┘└─'\n'/"\r\n"─▶ record ends
 *
 * A '\r' outside quotes waits in state CR for the next byte: '\n' ends the record, anything
 * else makes the '\r' data (a lone CR inside an unquoted field). A '"' inside an unquoted
 * field is an error (RFC 4180: such a field must be quoted), as is any byte other than a
 * delimiter or a line end after a closing quote.
 *
 * JSON Lines: bytes are collected up to '\n' (a trailing '\r' is dropped) and each line is
 * parsed with jansson (JSON_REJECT_DUPLICATES: a key twice is an error, not "last wins";
 * JSON_ALLOW_NUL: U+0000 in strings, as the printer emits it). Blank lines are skipped.
 *
 * Values: every field or JSON string goes through one text parser per type (ing_text), the
 * inverse of show.c; JSON numbers and booleans have their own path (ing_json_value).
 * STRING values point into `rec` (CSV) or into the jansson tree (JSON); decoded BYTES go to
 * `scratch`, reserved to the record's length before the record is converted (hex output is
 * never longer than its input), so those pointers stay put until the row is appended.
 *
 * Limits against hostile input: a record (CSV, quoted newlines included) or a line (JSONL)
 * of at most max_record bytes; at most as many fields as the header (or the schema) has;
 * jansson bounds the JSON nesting depth itself.
 */
#include "cli/ingest.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/common.h"
#include "common/utf8.h"

#define ING_NAME_MAX 64   /* bytes of a column name quoted in a message */

enum { CSV_FIELD_START, CSV_UNQUOTED, CSV_QUOTED, CSV_QUOTE_END, CSV_CR };

typedef struct ing_field {
    size_t off, len;
    bool quoted;
} ing_field;

struct cli_ingest {
    cli_ingest_format fmt;
    const strom_schema *s;
    int ncols;
    char delim;
    bool header_pending;   /* CSV: the next record is the header */
    char *null_text;       /* CSV: NULL spelling, or NULL for the empty unquoted field */
    size_t null_len;
    size_t max_record;
    int bom;               /* bytes of a leading UTF-8 BOM matched so far; -1 when past it */

    int state, cr_prev;    /* CSV state; the state a pending '\r' came from */
    bool rec_started;      /* CSV: a byte of the current record was consumed */
    bool at_rec_start;     /* the next byte starts a record: note its line */
    size_t field_off;      /* CSV: start of the current field in rec */
    bool field_quoted;
    int64_t line;          /* line of the next input byte, 1-based */
    int64_t rec_line;      /* line where the current record starts */
    int64_t last_line;     /* line of the record last handled (cli_ingest_line) */
    int64_t rows;
    int failed;            /* sticky: the code of the error that stopped the reader */
    bool finished;

    strom_buf rec;         /* CSV: field bytes of the record; JSONL: the line */
    ing_field *fields;
    int nfields, max_fields;
    int *map;              /* CSV: field i -> schema column */
    int nmap;
    bool *seen;            /* per column: in the header (CSV) / present in the object (JSON) */
    strom_value *vals;     /* the row being built, ncols entries */
    strom_buf scratch;     /* decoded BYTES of the row */
};

void cli_ingest_opts_init(cli_ingest_opts *o)
{
    memset(o, 0, sizeof *o);
    o->delimiter = ',';
    o->header = true;
    o->max_record = CLI_INGEST_MAX_RECORD_DEFAULT;
}

cli_ingest *cli_ingest_new(cli_ingest_format fmt, const strom_schema *s,
                           const cli_ingest_opts *o)
{
    cli_ingest_opts def;
    if (!o) {
        cli_ingest_opts_init(&def);
        o = &def;
    }
    char delim = o->delimiter ? o->delimiter : ',';
    if (delim == '"' || delim == '\r' || delim == '\n' ||
        (fmt != CLI_INGEST_CSV && fmt != CLI_INGEST_JSONL))
        return NULL;
    cli_ingest *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    in->fmt = fmt;
    in->s = s;
    in->ncols = strom_schema_ncols(s);
    in->delim = delim;
    in->header_pending = fmt == CLI_INGEST_CSV && o->header;
    in->max_record = o->max_record ? o->max_record : CLI_INGEST_MAX_RECORD_DEFAULT;
    in->line = 1;
    in->at_rec_start = true;
    in->state = CSV_FIELD_START;
    size_t nc = (size_t)in->ncols + 1;
    in->fields = calloc(nc, sizeof *in->fields);
    in->map = calloc(nc, sizeof *in->map);
    in->seen = calloc(nc, sizeof *in->seen);
    in->vals = calloc(nc, sizeof *in->vals);
    if (o->null_text) {
        in->null_len = strlen(o->null_text);
        in->null_text = strdup(o->null_text);
    }
    /* allocated up front: pointers into rec and scratch are formed even for empty records */
    if (!in->fields || !in->map || !in->seen || !in->vals || (o->null_text && !in->null_text) ||
        strom_buf_reserve(&in->rec, 256) < 0 || strom_buf_reserve(&in->scratch, 256) < 0) {
        cli_ingest_free(in);
        return NULL;
    }
    for (int c = 0; c < in->ncols; c++) {
        in->vals[c].type = strom_schema_col_type(s, c).id;
        in->vals[c].is_null = true;
        in->map[c] = c; /* no header: fields are the columns in order */
    }
    in->nmap = in->ncols;
    in->max_fields = in->ncols;
    return in;
}

void cli_ingest_free(cli_ingest *in)
{
    if (!in)
        return;
    strom_buf_free(&in->rec);
    strom_buf_free(&in->scratch);
    free(in->fields);
    free(in->map);
    free(in->seen);
    free(in->vals);
    free(in->null_text);
    free(in);
}

int64_t cli_ingest_line(const cli_ingest *in) { return in->last_line; }
int64_t cli_ingest_rows(const cli_ingest *in) { return in->rows; }

/* ---- messages ------------------------------------------------------------------------- */

/* Marks the reader failed and returns the code (the message is already in err). */
static int ing_stop(cli_ingest *in, int rc)
{
    in->failed = rc;
    in->last_line = in->rec_line;
    return rc;
}

/* Prefixes err with the line and the column and stops the reader. */
static int ing_col_fail(cli_ingest *in, int col, int rc, strom_error *err)
{
    const char *name = strom_schema_col_name(in->s, col);
    strom_error_prefix(err, "line %" PRId64 ", column '%.*s%s'", in->rec_line,
                       (int)STROM_MIN(strlen(name), (size_t)ING_NAME_MAX), name,
                       strlen(name) > ING_NAME_MAX ? "..." : "");
    return ing_stop(in, rc);
}

/* A column name (or a header/key text) for a message. */
static const char *ing_name(const char *p, size_t n, char *out, size_t cap)
{
    return strom_text_quote((const uint8_t *)p, n, out, cap);
}

/* ---- rows ------------------------------------------------------------------------------ */

/* Checks NOT NULL columns, appends vals[] to bb, counts the row. */
static int ing_append(cli_ingest *in, strom_batch_builder *bb, strom_error *err)
{
    for (int c = 0; c < in->ncols; c++)
        if (in->vals[c].is_null && !strom_schema_col_nullable(in->s, c)) {
            strom_error_set(err, STROM_EINVAL, "%s for a NOT NULL column",
                            in->fmt == CLI_INGEST_CSV ? "NULL"
                            : in->seen[c]             ? "null"
                                                      : "no value");
            return ing_col_fail(in, c, STROM_EINVAL, err);
        }
    int rc = strom_bb_append_row(bb, in->vals, err);
    if (rc < 0) {
        strom_error_prefix(err, "line %" PRId64, in->rec_line);
        return ing_stop(in, rc);
    }
    in->rows++;
    return 0;
}

static bool ing_is_null_field(const cli_ingest *in, const ing_field *f)
{
    if (f->quoted)
        return false;
    if (!in->null_text)
        return f->len == 0;
    return f->len == in->null_len && memcmp(in->rec.data + f->off, in->null_text, f->len) == 0;
}

/* The header record: maps fields to columns by name. */
static int csv_header(cli_ingest *in, strom_error *err)
{
    char q[STROM_TEXT_QUOTE_MAX * 4 + 8];
    memset(in->seen, 0, (size_t)in->ncols * sizeof *in->seen);
    for (int i = 0; i < in->nfields; i++) {
        const char *name = (const char *)in->rec.data + in->fields[i].off;
        size_t len = in->fields[i].len;
        int col = strom_schema_find(in->s, name, len);
        if (col < 0) {
            strom_error_set(err, STROM_EINVAL, "line %" PRId64 ": unknown column '%s' in the "
                            "header", in->rec_line, ing_name(name, len, q, sizeof q));
            return ing_stop(in, STROM_EINVAL);
        }
        if (in->seen[col]) {
            strom_error_set(err, STROM_EINVAL, "line %" PRId64 ": column '%s' appears twice in "
                            "the header", in->rec_line, ing_name(name, len, q, sizeof q));
            return ing_stop(in, STROM_EINVAL);
        }
        in->seen[col] = true;
        in->map[i] = col;
    }
    for (int c = 0; c < in->ncols; c++)
        if (!in->seen[c] && !strom_schema_col_nullable(in->s, c)) {
            const char *name = strom_schema_col_name(in->s, c);
            strom_error_set(err, STROM_EINVAL, "line %" PRId64 ": the header lacks NOT NULL "
                            "column '%s'", in->rec_line, ing_name(name, strlen(name), q, sizeof q));
            return ing_stop(in, STROM_EINVAL);
        }
    in->nmap = in->nfields;
    in->max_fields = in->nfields;
    in->header_pending = false;
    return 0;
}

/* A complete CSV record in rec/fields. */
static int csv_record(cli_ingest *in, strom_batch_builder *bb, strom_error *err)
{
    in->last_line = in->rec_line;
    if (in->header_pending)
        return csv_header(in, err);
    if (in->nfields != in->nmap) {
        strom_error_set(err, STROM_EPARSE, "line %" PRId64 ": %d field%s, expected %d",
                        in->rec_line, in->nfields, in->nfields == 1 ? "" : "s", in->nmap);
        return ing_stop(in, STROM_EPARSE);
    }
    strom_buf_reset(&in->scratch);
    if (strom_buf_reserve(&in->scratch, in->rec.len) < 0)
        return ing_stop(in, strom_error_set(err, STROM_ENOMEM, "out of memory"));
    for (int i = 0; i < in->nfields; i++) {
        const ing_field *f = &in->fields[i];
        int col = in->map[i];
        strom_value *v = &in->vals[col];
        if (ing_is_null_field(in, f)) {
            v->is_null = true;
            continue;
        }
        int rc = strom_value_parse_text(strom_schema_col_type(in->s, col),
                                        (const char *)in->rec.data + f->off, f->len,
                                        &in->scratch, v, err);
        if (rc < 0)
            return ing_col_fail(in, col, rc, err);
    }
    return ing_append(in, bb, err);
}

/* ---- CSV state machine ------------------------------------------------------------------ */

static int csv_grow(cli_ingest *in, const void *p, size_t n, strom_error *err)
{
    if (n > in->max_record || in->rec.len > in->max_record - n) {
        strom_error_set(err, STROM_ELIMIT, "line %" PRId64 ": a record longer than %zu bytes",
                        in->rec_line, in->max_record);
        return ing_stop(in, STROM_ELIMIT);
    }
    if (strom_buf_append(&in->rec, p, n) < 0)
        return ing_stop(in, strom_error_set(err, STROM_ENOMEM, "out of memory"));
    in->rec_started = true;
    return 0;
}

static int csv_end_field(cli_ingest *in, strom_error *err)
{
    if (in->nfields >= in->max_fields) {
        strom_error_set(err, STROM_EPARSE, "line %" PRId64 ": more than %d fields%s",
                        in->rec_line, in->max_fields,
                        in->header_pending ? " (the table's columns)" : "");
        return ing_stop(in, STROM_EPARSE);
    }
    ing_field *f = &in->fields[in->nfields++];
    f->off = in->field_off;
    f->len = in->rec.len - in->field_off;
    f->quoted = in->field_quoted;
    in->field_off = in->rec.len;
    in->field_quoted = false;
    in->rec_started = true;
    return 0;
}

/* A line end outside quotes, in state `st`: ends the record (or skips a blank line). */
static int csv_end_line(cli_ingest *in, int st, strom_batch_builder *bb, strom_error *err)
{
    int expect = in->header_pending ? in->ncols : in->nmap;
    bool blank = st == CSV_FIELD_START && !in->rec_started;
    int rc = 0;
    if (!blank || expect == 1) { /* one column: a blank line is one empty field */
        STROM_TRY(csv_end_field(in, err));
        rc = csv_record(in, bb, err);
    }
    strom_buf_reset(&in->rec);
    in->nfields = 0;
    in->field_off = 0;
    in->field_quoted = false;
    in->rec_started = false;
    in->at_rec_start = true;
    in->state = CSV_FIELD_START;
    return rc;
}

static int csv_bad_after_quote(cli_ingest *in, uint8_t c, strom_error *err)
{
    char q[16];
    strom_error_set(err, STROM_EPARSE, "line %" PRId64 ": '%s' after a closing quote (expected "
                    "a delimiter or a line end)", in->rec_line, strom_text_quote(&c, 1, q, sizeof q));
    return ing_stop(in, STROM_EPARSE);
}

/* Length of the run at p[0..n) without a delimiter, quote, CR or LF. */
static size_t csv_plain_run(const cli_ingest *in, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != (uint8_t)in->delim && p[i] != '"' && p[i] != '\n' && p[i] != '\r')
        i++;
    return i;
}

static int csv_feed(cli_ingest *in, const uint8_t *p, size_t n, strom_batch_builder *bb,
                    strom_error *err)
{
    size_t i = 0;
    while (i < n) {
        if (in->at_rec_start) {
            in->rec_line = in->line;
            in->at_rec_start = false;
        }
        uint8_t c = p[i];
        switch (in->state) {
        case CSV_FIELD_START:
        case CSV_UNQUOTED: {
            size_t run = csv_plain_run(in, p + i, n - i);
            if (run) {
                STROM_TRY(csv_grow(in, p + i, run, err));
                in->state = CSV_UNQUOTED;
                i += run;
                continue;
            }
            i++;
            if (c == (uint8_t)in->delim) {
                STROM_TRY(csv_end_field(in, err));
                in->state = CSV_FIELD_START;
            } else if (c == '\n') {
                in->line++;
                STROM_TRY(csv_end_line(in, in->state, bb, err));
            } else if (c == '\r') {
                in->cr_prev = in->state;
                in->state = CSV_CR;
            } else if (in->state == CSV_FIELD_START) { /* '"' */
                in->field_quoted = true;
                in->rec_started = true;
                in->state = CSV_QUOTED;
            } else {
                strom_error_set(err, STROM_EPARSE, "line %" PRId64 ": a quote inside an "
                                "unquoted field (quote the whole field and double the quote)",
                                in->rec_line);
                return ing_stop(in, STROM_EPARSE);
            }
            break;
        }
        case CSV_QUOTED: {
            size_t k = i;
            while (k < n && p[k] != '"') /* newlines are data here, but count lines */
                in->line += p[k++] == '\n';
            if (k > i)
                STROM_TRY(csv_grow(in, p + i, k - i, err));
            if (k < n)
                in->state = CSV_QUOTE_END;
            i = k + (k < n);
            break;
        }
        case CSV_QUOTE_END:
            i++;
            if (c == '"') {
                STROM_TRY(csv_grow(in, "\"", 1, err));
                in->state = CSV_QUOTED;
            } else if (c == (uint8_t)in->delim) {
                STROM_TRY(csv_end_field(in, err));
                in->state = CSV_FIELD_START;
            } else if (c == '\n') {
                in->line++;
                STROM_TRY(csv_end_line(in, CSV_QUOTE_END, bb, err));
            } else if (c == '\r') {
                in->cr_prev = CSV_QUOTE_END;
                in->state = CSV_CR;
            } else {
                return csv_bad_after_quote(in, c, err);
            }
            break;
        case CSV_CR:
            if (c == '\n') {
                i++;
                in->line++;
                STROM_TRY(csv_end_line(in, in->cr_prev, bb, err));
            } else if (in->cr_prev == CSV_QUOTE_END) {
                return csv_bad_after_quote(in, '\r', err);
            } else { /* a lone CR is data; c is handled in the next round */
                STROM_TRY(csv_grow(in, "\r", 1, err));
                in->state = CSV_UNQUOTED;
            }
            break;
        }
    }
    return 0;
}

static int csv_finish(cli_ingest *in, strom_batch_builder *bb, strom_error *err)
{
    int st = in->state == CSV_CR ? in->cr_prev : in->state;
    if (st == CSV_QUOTED) {
        strom_error_set(err, STROM_EPARSE, "line %" PRId64 ": the input ends inside a quoted "
                        "field", in->rec_line);
        return ing_stop(in, STROM_EPARSE);
    }
    if (in->rec_started || in->state == CSV_CR)
        return csv_end_line(in, st, bb, err);
    return 0;
}

/* ---- JSON Lines --------------------------------------------------------------------------- */

static const char *json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "a JSON object";
    case JSON_ARRAY: return "a JSON array";
    case JSON_STRING: return "a JSON string";
    case JSON_INTEGER: case JSON_REAL: return "a JSON number";
    case JSON_TRUE: return "JSON true";
    case JSON_FALSE: return "JSON false";
    default: return "JSON null";
    }
}

static int json_wrong_kind(const json_t *j, strom_type t, strom_error *err)
{
    char tn[40];
    return strom_error_set(err, STROM_EINVAL, "%s is not a valid %s", json_kind(j),
                           strom_type_format(t, tn, sizeof tn));
}

/* A JSON number for a numeric column. Integers are exact (jansson: long long). Reals must
 * be integral for integer columns. For DECIMAL a real goes through its shortest text of at
 * most 15 significant digits, the digits a double always keeps; a real that needs more
 * digits is refused (send it as a string). */
static int json_number(cli_ingest *in, const json_t *j, strom_type t, strom_value *v,
                       strom_error *err)
{
    char txt[48];
    bool is_int = json_is_integer(j);
    json_int_t i = is_int ? json_integer_value(j) : 0;
    double d = is_int ? (double)i : json_real_value(j);
    if (is_int)
        snprintf(txt, sizeof txt, "%" JSON_INTEGER_FORMAT, i);
    else /* the shortest text of the double, for messages (and DECIMAL below) */
        for (int prec = 1; prec <= 17; prec++)
            if (snprintf(txt, sizeof txt, "%.*g", prec, d) > 0 && strtod(txt, NULL) == d)
                break;
    size_t tl = strlen(txt);
    const uint8_t *tp = (const uint8_t *)txt;
    switch (t.id) {
    case STROM_TYPE_BOOLEAN:
        if (!is_int || (i != 0 && i != 1))
            return strom_text_error(STROM_EPARSE, tp, tl, t, "expected true, false, 1 or 0", err);
        v->u.b = i == 1;
        return 0;
    case STROM_TYPE_TINYINT: case STROM_TYPE_SMALLINT: case STROM_TYPE_INT:
    case STROM_TYPE_BIGINT: {
        int64_t lo, hi;
        strom_int_range(t.id, &lo, &hi);
        if (!is_int) {
            if (!isfinite(d) || d != trunc(d))
                return strom_text_error(STROM_EPARSE, tp, tl, t, "not an integer", err);
            if (!(d >= (double)lo && d < -(double)lo)) /* -(double)lo = 2^(bits-1), exact */
                return strom_text_error(STROM_ERANGE, tp, tl, t, NULL, err);
            i = (json_int_t)d;
        }
        if (i < lo || i > hi)
            return strom_text_error(STROM_ERANGE, tp, tl, t, NULL, err);
        v->u.i = i;
        return 0;
    }
    case STROM_TYPE_FLOAT: {
        float f = is_int ? (float)i : (float)d;
        if (isinf(f) && isfinite(d))
            return strom_text_error(STROM_ERANGE, tp, tl, t, NULL, err);
        v->u.f = f;
        return 0;
    }
    case STROM_TYPE_DOUBLE:
        v->u.f = d;
        return 0;
    case STROM_TYPE_DECIMAL:
        if (!is_int) {
            char t15[32];
            snprintf(t15, sizeof t15, "%.15g", d);
            if (strtod(t15, NULL) != d)
                return strom_text_error(STROM_EPARSE, tp, tl, t, "a JSON number with more than 15 "
                               "significant digits (send the value as a string)", err);
        }
        return strom_value_parse_text(t, (const char *)tp, tl, &in->scratch, v, err);
    default:
        return json_wrong_kind(j, t, err);
    }
}

static int json_value(cli_ingest *in, const json_t *j, strom_type t, strom_value *v,
                      strom_error *err)
{
    v->type = t.id;
    v->is_null = false;
    switch (json_typeof(j)) {
    case JSON_NULL:
        v->is_null = true;
        return 0;
    case JSON_STRING:
        return strom_value_parse_text(t, json_string_value(j), json_string_length(j),
                                      &in->scratch, v, err);
    case JSON_TRUE:
    case JSON_FALSE:
        if (t.id != STROM_TYPE_BOOLEAN)
            return json_wrong_kind(j, t, err);
        v->u.b = json_is_true(j);
        return 0;
    case JSON_INTEGER:
    case JSON_REAL:
        return json_number(in, j, t, v, err);
    default:
        return json_wrong_kind(j, t, err);
    }
}

/* One line of JSONL in rec (its '\n' removed). */
static int json_line(cli_ingest *in, strom_batch_builder *bb, strom_error *err)
{
    char q[STROM_TEXT_QUOTE_MAX * 4 + 8];
    size_t n = in->rec.len;
    const char *p = (const char *)in->rec.data;
    if (n && p[n - 1] == '\r')
        n--;
    size_t k = 0;
    while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'))
        k++;
    if (k == n)
        return 0; /* blank line */
    in->last_line = in->rec_line;
    json_error_t je;
    json_t *root = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY,
                              &je);
    int rc = 0;
    if (!root) {
        strom_error_set(err, STROM_EPARSE, "line %" PRId64 ": invalid JSON at byte %d: %s",
                        in->rec_line, je.position, je.text);
        return ing_stop(in, STROM_EPARSE);
    }
    if (!json_is_object(root)) {
        strom_error_set(err, STROM_EPARSE, "line %" PRId64 ": expected a JSON object, got %s",
                        in->rec_line, json_kind(root));
        rc = ing_stop(in, STROM_EPARSE);
        goto cleanup;
    }
    for (int c = 0; c < in->ncols; c++) {
        in->vals[c].is_null = true;
        in->seen[c] = false;
    }
    strom_buf_reset(&in->scratch);
    if (strom_buf_reserve(&in->scratch, n) < 0) {
        rc = ing_stop(in, strom_error_set(err, STROM_ENOMEM, "out of memory"));
        goto cleanup;
    }
    for (void *it = json_object_iter(root); it; it = json_object_iter_next(root, it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        int col = strom_schema_find(in->s, key, klen);
        if (col < 0) {
            strom_error_set(err, STROM_EINVAL, "line %" PRId64 ": unknown column '%s'",
                            in->rec_line, ing_name(key, klen, q, sizeof q));
            rc = ing_stop(in, STROM_EINVAL);
            goto cleanup;
        }
        in->seen[col] = true;
        rc = json_value(in, json_object_iter_value(it), strom_schema_col_type(in->s, col),
                        &in->vals[col], err);
        if (rc < 0) {
            rc = ing_col_fail(in, col, rc, err);
            goto cleanup;
        }
    }
    rc = ing_append(in, bb, err); /* strings point into root: append before the decref */
cleanup:
    json_decref(root);
    return rc;
}

static int jsonl_feed(cli_ingest *in, const uint8_t *p, size_t n, strom_batch_builder *bb,
                      strom_error *err)
{
    while (n > 0) {
        if (in->at_rec_start) {
            in->rec_line = in->line;
            in->at_rec_start = false;
        }
        const uint8_t *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        if (take > in->max_record || in->rec.len > in->max_record - take) {
            strom_error_set(err, STROM_ELIMIT, "line %" PRId64 ": a line longer than %zu bytes",
                            in->rec_line, in->max_record);
            return ing_stop(in, STROM_ELIMIT);
        }
        if (strom_buf_append(&in->rec, p, take) < 0)
            return ing_stop(in, strom_error_set(err, STROM_ENOMEM, "out of memory"));
        if (!nl)
            return 0;
        p += take + 1;
        n -= take + 1;
        in->line++;
        in->at_rec_start = true;
        int rc = json_line(in, bb, err);
        strom_buf_reset(&in->rec);
        STROM_TRY(rc);
    }
    return 0;
}

/* ---- entry points ----------------------------------------------------------------------- */

static int ing_check_state(const cli_ingest *in, strom_error *err)
{
    if (in->failed)
        return strom_error_set(err, STROM_ESTATE, "input stopped at line %" PRId64 " by an "
                               "earlier error", in->rec_line);
    if (in->finished)
        return strom_error_set(err, STROM_ESTATE, "input already finished");
    return 0;
}

static int ing_feed_bytes(cli_ingest *in, const uint8_t *p, size_t n, strom_batch_builder *bb,
                          strom_error *err)
{
    return in->fmt == CLI_INGEST_CSV ? csv_feed(in, p, n, bb, err)
                                     : jsonl_feed(in, p, n, bb, err);
}

int cli_ingest_feed(cli_ingest *in, const uint8_t *p, size_t n, strom_batch_builder *bb,
                    strom_error *err)
{
    static const uint8_t bom[3] = {0xEF, 0xBB, 0xBF}; /* UTF-8 byte order mark: skipped */
    STROM_TRY(ing_check_state(in, err));
    while (in->bom >= 0 && n > 0) {
        if (p[0] == bom[in->bom]) {
            p++;
            n--;
            if (++in->bom == 3)
                in->bom = -1;
            continue;
        }
        int matched = in->bom; /* not a BOM after all: those bytes are input */
        in->bom = -1;
        STROM_TRY(ing_feed_bytes(in, bom, (size_t)matched, bb, err));
    }
    return ing_feed_bytes(in, p, n, bb, err);
}

int cli_ingest_finish(cli_ingest *in, strom_batch_builder *bb, strom_error *err)
{
    static const uint8_t bom[3] = {0xEF, 0xBB, 0xBF};
    STROM_TRY(ing_check_state(in, err));
    if (in->bom > 0) { /* the input was a BOM prefix only: it is data */
        int matched = in->bom;
        in->bom = -1;
        STROM_TRY(ing_feed_bytes(in, bom, (size_t)matched, bb, err));
    }
    in->finished = true;
    if (in->fmt == CLI_INGEST_CSV)
        return csv_finish(in, bb, err);
    if (in->rec.len == 0)
        return 0;
    int rc = json_line(in, bb, err);
    strom_buf_reset(&in->rec);
    return rc;
}
