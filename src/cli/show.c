/*
 * show.c: values as text, and the row printers of `strom cat` (aligned table, CSV, JSON
 * Lines).
 *
 * Text forms (one per type, chosen to be exact and readable; src/cli/ingest.c reads the CSV
 * and JSON Lines output back):
 *   integers      decimal                   DECIMAL(p,s)  unscaled value with s decimals
 *   FLOAT/DOUBLE  shortest text that reads back to the same bits; NaN, Infinity, -Infinity
 *   STRING        the text itself           BYTES         lowercase hex
 *   DATE          YYYY-MM-DD                TIME          HH:MM:SS[.ffffff]
 *   TIMESTAMP     YYYY-MM-DD HH:MM:SS[.ffffff]    TIMESTAMP_LTZ  the same + "Z" (UTC)
 *
 * The table printer buffers up to `limit` rows (all cells in one arena) to size the columns,
 * counts the rest, and prints at finish. Widths count UTF-8 code points, and control
 * characters are escaped so one cell stays on one line. JSON Lines use jansson to encode
 * each key and value (so strings are escaped correctly); numbers keep their shortest exact
 * form, DECIMAL/temporal/BYTES values are JSON strings, NULL is null.
 */
#include "cli/cli.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/common.h"

#define US_PER_DAY INT64_C(86400000000)

static int show_printf(strom_buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int show_printf(strom_buf *out, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return STROM_ERANGE;
    return strom_buf_append(out, tmp, (size_t)n);
}

/* Days since 1970-01-01 → civil date (proleptic Gregorian), valid for the whole int32 range. */
static void show_civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int show_date(strom_buf *out, int64_t days)
{
    int64_t y;
    unsigned m, d;
    show_civil(days, &y, &m, &d);
    /* at least four year digits after the sign, as the date parser requires ("-0044") */
    return show_printf(out, "%s%04" PRId64 "-%02u-%02u", y < 0 ? "-" : "", y < 0 ? -y : y, m,
                       d);
}

static int show_time(strom_buf *out, int64_t us) /* 0 <= us < US_PER_DAY expected */
{
    int64_t s = us / 1000000, f = us % 1000000;
    STROM_TRY(show_printf(out, "%02" PRId64 ":%02" PRId64 ":%02" PRId64, s / 3600, s / 60 % 60,
                          s % 60));
    return f ? show_printf(out, ".%06" PRId64, f) : 0;
}

static int show_timestamp(strom_buf *out, int64_t us, bool utc)
{
    /* floor division, so instants before 1970 land on the right day (no overflow) */
    int64_t days = us / US_PER_DAY, tod = us % US_PER_DAY;
    if (tod < 0) {
        tod += US_PER_DAY;
        days--;
    }
    STROM_TRY(show_date(out, days));
    STROM_TRY(strom_buf_append(out, " ", 1));
    STROM_TRY(show_time(out, tod));
    return utc ? strom_buf_append(out, "Z", 1) : 0;
}

static int show_decimal(strom_buf *out, strom_i128 v, int scale)
{
    char digits[48];
    int n = 0;
    bool neg = v < 0;
    __extension__ typedef unsigned __int128 u128;
    u128 u = neg ? -(u128)v : (u128)v;
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n <= scale)
        digits[n++] = '0';
    if (neg)
        STROM_TRY(strom_buf_append(out, "-", 1));
    for (int i = n - 1; i >= 0; i--) {
        STROM_TRY(strom_buf_append(out, &digits[i], 1));
        if (i == scale && scale > 0)
            STROM_TRY(strom_buf_append(out, ".", 1));
    }
    return 0;
}

/* Shortest text that reads back to the same value (strom_value_format's). */
static int show_real(strom_buf *out, double v, bool is_float)
{
    char tmp[48];
    strom_value x = {.type = is_float ? STROM_TYPE_FLOAT : STROM_TYPE_DOUBLE};
    x.u.f = v;
    strom_value_format(&x, 0, tmp, sizeof tmp);
    return strom_buf_append(out, tmp, strlen(tmp));
}

static int show_hex(strom_buf *out, const uint8_t *p, uint32_t n)
{
    static const char hex[] = "0123456789abcdef";
    STROM_TRY(strom_buf_reserve(out, (size_t)n * 2));
    for (uint32_t i = 0; i < n; i++) {
        out->data[out->len++] = (uint8_t)hex[p[i] >> 4];
        out->data[out->len++] = (uint8_t)hex[p[i] & 15];
    }
    return 0;
}

static int show_value(const strom_value *v, strom_type t, strom_buf *out)
{
    if (v->is_null)
        return strom_buf_append(out, "NULL", 4);
    switch (t.id) {
    case STROM_TYPE_BOOLEAN:
        return v->u.b ? strom_buf_append(out, "true", 4) : strom_buf_append(out, "false", 5);
    case STROM_TYPE_TINYINT: case STROM_TYPE_SMALLINT: case STROM_TYPE_INT: case STROM_TYPE_BIGINT:
        return show_printf(out, "%" PRId64, v->u.i);
    case STROM_TYPE_FLOAT: return show_real(out, v->u.f, true);
    case STROM_TYPE_DOUBLE: return show_real(out, v->u.f, false);
    case STROM_TYPE_DECIMAL: return show_decimal(out, v->u.d, t.scale);
    case STROM_TYPE_STRING: return strom_buf_append(out, v->u.s.ptr, v->u.s.len);
    case STROM_TYPE_BYTES: return show_hex(out, v->u.s.ptr, v->u.s.len);
    case STROM_TYPE_DATE: return show_date(out, v->u.i);
    case STROM_TYPE_TIME: return show_time(out, v->u.i);
    case STROM_TYPE_TIMESTAMP: return show_timestamp(out, v->u.i, false);
    case STROM_TYPE_TIMESTAMP_LTZ: return show_timestamp(out, v->u.i, true);
    }
    return STROM_EINVAL;
}

int cli_value_text(const strom_value *v, strom_type t, strom_buf *out)
{
    STROM_TRY(show_value(v, t, out));
    STROM_TRY(strom_buf_append(out, "", 1));
    out->len--; /* NUL-terminated, not counted */
    return 0;
}

int cli_format_parse(const char *s, cli_format *out)
{
    static const struct { const char *name; cli_format f; } names[] = {
        {"table", CLI_FMT_TABLE}, {"csv", CLI_FMT_CSV}, {"jsonl", CLI_FMT_JSONL},
        {"json", CLI_FMT_JSONL}, {"arrow", CLI_FMT_ARROW},
    };
    for (size_t i = 0; i < STROM_ARRAY_LEN(names); i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    return STROM_EINVAL;
}

/* ---- printers ---------------------------------------------------------------------------- */

struct cli_printer {
    FILE *f;
    cli_format fmt;
    const strom_schema *s;
    int64_t limit, seen, shown;
    int ncols;
    int *cols;          /* the printed columns of the batch, set per call */
    strom_buf cell;     /* scratch for one value */
    strom_buf line;     /* scratch for one output line */
    strom_buf arena;    /* TABLE: every buffered cell, NUL-separated */
    size_t *cell_off;   /* TABLE: start of each buffered cell in arena */
    size_t ncells, cap_cells;
};

cli_printer *cli_printer_new(FILE *f, cli_format fmt, const strom_schema *s, int64_t limit)
{
    cli_printer *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->f = f;
    p->fmt = fmt;
    p->s = s;
    p->limit = limit < 0 ? INT64_MAX : limit;
    p->ncols = strom_schema_ncols(s);
    if (fmt == CLI_FMT_CSV) {
        for (int c = 0; c < p->ncols; c++) {
            const char *name = strom_schema_col_name(s, c);
            fputs(c ? "," : "", f);
            if (!strpbrk(name, ",\"")) { /* names have no control characters: no CR/LF */
                fputs(name, f);
                continue;
            }
            fputc('"', f);
            for (; *name; name++) {
                if (*name == '"')
                    fputc('"', f); /* RFC 4180: a quote inside quotes is doubled */
                fputc(*name, f);
            }
            fputc('"', f);
        }
        fputc('\n', f);
    }
    return p;
}

void cli_printer_free(cli_printer *p)
{
    if (!p)
        return;
    strom_buf_free(&p->cell);
    strom_buf_free(&p->line);
    strom_buf_free(&p->arena);
    free(p->cell_off);
    free(p);
}

/* One table cell: the text with control characters escaped. */
static int show_table_cell(cli_printer *p, const strom_value *v, strom_type t)
{
    strom_buf_reset(&p->cell);
    STROM_TRY(show_value(v, t, &p->cell));
    if (strom_array_grow_z(&p->cell_off, p->ncells, &p->cap_cells, sizeof *p->cell_off,
                           1024) != 0)
        return STROM_ENOMEM;
    p->cell_off[p->ncells++] = p->arena.len;
    for (size_t i = 0; i < p->cell.len; i++) {
        uint8_t ch = p->cell.data[i];
        if (ch < 0x20 || ch == 0x7f) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\x%02x", ch);
            STROM_TRY(strom_buf_append(&p->arena, esc, 4));
        } else {
            STROM_TRY(strom_buf_append(&p->arena, &ch, 1));
        }
    }
    return strom_buf_append(&p->arena, "", 1);
}

static int show_csv_cell(cli_printer *p, const strom_value *v, strom_type t)
{
    if (v->is_null)
        return 0; /* empty field */
    strom_buf_reset(&p->cell);
    STROM_TRY(show_value(v, t, &p->cell));
    bool quote = p->cell.len == 0; /* "" is the empty STRING or BYTES, not NULL */
    for (size_t i = 0; i < p->cell.len && !quote; i++)
        quote = strchr(",\"\r\n", p->cell.data[i]) != NULL;
    if (!quote)
        return strom_buf_append(&p->line, p->cell.data, p->cell.len);
    STROM_TRY(strom_buf_append(&p->line, "\"", 1));
    for (size_t i = 0; i < p->cell.len; i++) {
        if (p->cell.data[i] == '"')
            STROM_TRY(strom_buf_append(&p->line, "\"", 1));
        STROM_TRY(strom_buf_append(&p->line, &p->cell.data[i], 1));
    }
    return strom_buf_append(&p->line, "\"", 1);
}

/* Appends the JSON encoding of a jansson value to p->line; takes the reference. */
static int show_json_append(cli_printer *p, json_t *j)
{
    if (!j)
        return STROM_ENOMEM;
    char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(j);
    if (!s)
        return STROM_ENOMEM;
    int rc = strom_buf_append(&p->line, s, strlen(s));
    free(s);
    return rc;
}

static int show_json_cell(cli_printer *p, const strom_value *v, strom_type t)
{
    if (v->is_null)
        return strom_buf_append(&p->line, "null", 4);
    strom_buf_reset(&p->cell);
    switch (t.id) {
    case STROM_TYPE_BOOLEAN: case STROM_TYPE_TINYINT: case STROM_TYPE_SMALLINT:
    case STROM_TYPE_INT: case STROM_TYPE_BIGINT:
        STROM_TRY(show_value(v, t, &p->cell));
        return strom_buf_append(&p->line, p->cell.data, p->cell.len);
    case STROM_TYPE_FLOAT: case STROM_TYPE_DOUBLE:
        STROM_TRY(show_value(v, t, &p->cell));
        if (v->u.f == 0 && signbit(v->u.f)) /* "-0" would read back as the integer 0 */
            return strom_buf_append(&p->line, "-0.0", 4);
        if (isfinite(v->u.f))
            return strom_buf_append(&p->line, p->cell.data, p->cell.len);
        break; /* NaN and infinities have no JSON number: a string */
    default:
        STROM_TRY(show_value(v, t, &p->cell));
        break;
    }
    return show_json_append(p, json_stringn((const char *)p->cell.data, p->cell.len));
}

static int show_row(cli_printer *p, const strom_batch *b, int64_t row, const int *cols)
{
    strom_buf_reset(&p->line);
    if (p->fmt == CLI_FMT_JSONL)
        STROM_TRY(strom_buf_append(&p->line, "{", 1));
    for (int i = 0; i < p->ncols; i++) {
        strom_type t = strom_schema_col_type(p->s, i);
        strom_value v;
        strom_col_get(&b->cols[cols[i]], t, row, &v);
        switch (p->fmt) {
        case CLI_FMT_TABLE:
            STROM_TRY(show_table_cell(p, &v, t));
            break;
        case CLI_FMT_CSV:
            if (i)
                STROM_TRY(strom_buf_append(&p->line, ",", 1));
            STROM_TRY(show_csv_cell(p, &v, t));
            break;
        default:
            if (i)
                STROM_TRY(strom_buf_append(&p->line, ",", 1));
            STROM_TRY(show_json_append(p, json_string(strom_schema_col_name(p->s, i))));
            STROM_TRY(strom_buf_append(&p->line, ":", 1));
            STROM_TRY(show_json_cell(p, &v, t));
        }
    }
    if (p->fmt == CLI_FMT_TABLE)
        return 0;
    if (p->fmt == CLI_FMT_JSONL)
        STROM_TRY(strom_buf_append(&p->line, "}", 1));
    STROM_TRY(strom_buf_append(&p->line, "\n", 1));
    return fwrite(p->line.data, 1, p->line.len, p->f) == p->line.len ? 0 : STROM_EIO;
}

int cli_printer_rows(cli_printer *p, const strom_batch *b, const uint8_t *sel, const int *cols,
                     int ncols)
{
    if (ncols != p->ncols)
        return STROM_EINVAL;
    for (int64_t r = 0; r < b->rows; r++) {
        if (sel && !strom_bit_get(sel, r))
            continue;
        p->seen++;
        if (p->shown >= p->limit)
            continue;
        p->shown++;
        STROM_TRY(show_row(p, b, r, cols));
    }
    return 0;
}

/* Display width of a UTF-8 cell: code points (continuation bytes not counted). */
static size_t show_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((uint8_t)*s & 0xC0) != 0x80;
    return w;
}

static bool show_right_aligned(strom_type_id t)
{
    return t != STROM_TYPE_STRING && t != STROM_TYPE_BYTES && t != STROM_TYPE_BOOLEAN;
}

static void show_pad(FILE *f, size_t n, char ch)
{
    while (n--)
        fputc(ch, f);
}

static void show_table_line(cli_printer *p, const size_t *width, const char *const *cells,
                            bool header)
{
    for (int c = 0; c < p->ncols; c++) {
        size_t w = show_width(cells[c]);
        bool right = !header && show_right_aligned(strom_schema_col_type(p->s, c).id);
        fputs(c ? " | " : "", p->f);
        if (right)
            show_pad(p->f, width[c] - w, ' ');
        fputs(cells[c], p->f);
        if (!right && c + 1 < p->ncols)
            show_pad(p->f, width[c] - w, ' ');
    }
    fputc('\n', p->f);
}

static int show_table(cli_printer *p)
{
    size_t *width = calloc((size_t)p->ncols + 1, sizeof *width);
    const char **cells = calloc((size_t)p->ncols + 1, sizeof *cells);
    int rc = 0;
    if (!width || !cells) {
        rc = STROM_ENOMEM;
        goto cleanup;
    }
    for (int c = 0; c < p->ncols; c++) {
        cells[c] = strom_schema_col_name(p->s, c);
        width[c] = show_width(cells[c]);
    }
    for (size_t i = 0; i < p->ncells; i++)
        width[i % (size_t)p->ncols] = STROM_MAX(width[i % (size_t)p->ncols],
                                                show_width((char *)p->arena.data + p->cell_off[i]));
    show_table_line(p, width, cells, true);
    for (int c = 0; c < p->ncols; c++) {
        fputs(c ? "-+-" : "", p->f);
        show_pad(p->f, width[c], '-');
    }
    fputc('\n', p->f);
    for (size_t i = 0; i < p->ncells; i += (size_t)p->ncols) {
        for (int c = 0; c < p->ncols; c++)
            cells[c] = (char *)p->arena.data + p->cell_off[i + (size_t)c];
        show_table_line(p, width, cells, false);
    }
    if (p->seen > p->shown)
        fprintf(p->f, "(%" PRId64 " rows, first %" PRId64 " shown)\n", p->seen,
                p->shown);
    else
        fprintf(p->f, "(%" PRId64 " row%s)\n", p->seen, p->seen == 1 ? "" : "s");
cleanup:
    free(width);
    free(cells);
    return rc;
}

int cli_printer_finish(cli_printer *p)
{
    if (p->fmt == CLI_FMT_TABLE && p->ncols > 0)
        STROM_TRY(show_table(p));
    return fflush(p->f) == 0 ? 0 : STROM_EIO;
}
