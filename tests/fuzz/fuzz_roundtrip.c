/*
 * fuzz_roundtrip.c: libFuzzer round trip: bytes → rows of a schema with every strom type →
 * batch builder → seal (codec from the first input byte) → decode → the values must be
 * IDENTICAL (floats by bits); abort on any difference.
 *
 * Also checked on the same batch: the statistics of the seal (null counts; every value
 * within [min, max], exact bounds that occur), the same statistics recomputed from the
 * decoded batch, a projection onto two columns (decoded again: equal values), and
 * strom_batch_select with every other row (decoded again: equal values).
 *
 * Input layout: byte 0 = codec (mod 3); then per row, per column: one control byte (bit 0 =
 * null for nullable columns) followed by the value bytes (fixed width per type; STRING/BYTES:
 * a length byte & 31, then the bytes, masked to ASCII for STRING). Values the builder
 * refuses (out of range) are replaced by a null or 0, and the replacement is what is
 * expected.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/ipc.h"
#include "common/common.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ROWS 256

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static uint64_t take(reader *r, int nbytes)
{
    uint64_t v = 0;
    for (int i = 0; i < nbytes; i++) {
        uint8_t b = r->n ? *r->p : 0;
        if (r->n) {
            r->p++;
            r->n--;
        }
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static strom_i128 pow10_i128(int n)
{
    strom_i128 v = 1;
    while (n--)
        v *= 10;
    return v;
}

/* Reads one value of column c; strings go into arena (which must not move: sized upfront). */
static void take_value(reader *r, int c, strom_value *v, uint8_t **arena)
{
    uint8_t ctl = (uint8_t)take(r, 1);
    memset(v, 0, sizeof *v);
    v->type = fuzz_cols[c].id;
    if (fuzz_cols[c].nullable && (ctl & 1)) {
        v->is_null = true;
        return;
    }
    switch (v->type) {
    case STROM_TYPE_BOOLEAN: v->u.b = ctl & 2; break;
    case STROM_TYPE_TINYINT: v->u.i = (int8_t)take(r, 1); break;
    case STROM_TYPE_SMALLINT: v->u.i = (int16_t)take(r, 2); break;
    case STROM_TYPE_INT: case STROM_TYPE_DATE: v->u.i = (int32_t)take(r, 4); break;
    case STROM_TYPE_FLOAT: {
        uint32_t bits = (uint32_t)take(r, 4);
        float f;
        memcpy(&f, &bits, 4);
        v->u.f = (double)f;
        break;
    }
    case STROM_TYPE_DOUBLE: {
        uint64_t bits = take(r, 8);
        memcpy(&v->u.f, &bits, 8);
        break;
    }
    case STROM_TYPE_DECIMAL: {
        strom_i128 lim = pow10_i128(fuzz_cols[c].p);
        strom_i128 x = (strom_i128)(int64_t)take(r, 8) * (strom_i128)(int64_t)take(r, 8);
        v->u.d = ctl & 2 ? x % lim : (ctl & 4 ? lim - 1 : -(lim - 1));
        break;
    }
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES: {
        uint32_t len = (uint32_t)take(r, 1) & 31;
        uint8_t *dst = *arena;
        for (uint32_t i = 0; i < len; i++) {
            uint8_t b = (uint8_t)take(r, 1);
            dst[i] = v->type == STROM_TYPE_STRING ? (b & 0x7f) : b;
        }
        *arena += len;
        v->u.s.ptr = dst;
        v->u.s.len = len;
        break;
    }
    case STROM_TYPE_TIME: v->u.i = (int64_t)(take(r, 8) % UINT64_C(86400000000)); break;
    default: v->u.i = (int64_t)take(r, 8); break; /* BIGINT, TIMESTAMP, TIMESTAMP_LTZ */
    }
}

static void check_batch(const strom_batch *b, const strom_value *want, int64_t rows,
                        const int *cols, int ncols, const uint8_t *sel, const char *what)
{
    int64_t out = 0;
    if (b->ncols != ncols)
        abort();
    for (int64_t r = 0; r < rows; r++) {
        if (sel && !strom_bit_get(sel, r))
            continue;
        if (out >= b->rows) {
            fprintf(stderr, "%s: too few rows (%lld)\n", what, (long long)b->rows);
            abort();
        }
        for (int i = 0; i < ncols; i++) {
            strom_value got;
            strom_type t = strom_schema_col_type(b->schema, i);
            strom_col_get(&b->cols[i], t, out, &got);
            if (!fuzz_value_same(&want[r * FUZZ_NCOLS + cols[i]], &got, t)) {
                fprintf(stderr, "%s: row %lld column %s differs\n", what, (long long)r,
                        fuzz_cols[cols[i]].name);
                abort();
            }
        }
        out++;
    }
    if (out != b->rows) {
        fprintf(stderr, "%s: %lld rows, expected %lld\n", what, (long long)b->rows, (long long)out);
        abort();
    }
}

static void check_stats(const strom_batch_stats *st, const strom_value *want, int64_t rows)
{
    for (int c = 0; c < FUZZ_NCOLS; c++) {
        const strom_col_stats *cs = &st->cols[c];
        int64_t nulls = 0;
        bool min_seen = false, max_seen = false;
        for (int64_t r = 0; r < rows; r++) {
            const strom_value *v = &want[r * FUZZ_NCOLS + c];
            if (v->is_null) {
                nulls++;
                continue;
            }
            if (!cs->has_min || !cs->has_max || strom_value_cmp(&cs->min, v) > 0 ||
                strom_value_cmp(v, &cs->max) > 0) {
                /* a strict upper bound (cut string) is > every value: cmp < 0 is fine */
                fprintf(stderr, "stats: column %s row %lld outside [min, max]\n",
                        fuzz_cols[c].name, (long long)r);
                abort();
            }
            min_seen |= strom_value_cmp(&cs->min, v) == 0;
            max_seen |= strom_value_cmp(&cs->max, v) == 0;
        }
        if (nulls != cs->null_count || (nulls == rows && (cs->has_min || cs->has_max)) ||
            (cs->min_exact && !min_seen) || (cs->max_exact && !max_seen)) {
            fprintf(stderr, "stats: column %s wrong (nulls %lld vs %lld)\n", fuzz_cols[c].name,
                    (long long)cs->null_count, (long long)nulls);
            abort();
        }
    }
}

static strom_batch *decode(const strom_buf *msg, const strom_schema *s, const char *what)
{
    strom_ipc_msg m;
    strom_batch *b = NULL;
    strom_error err = {0};
    if (strom_ipc_read_msg(msg->data, msg->len, &m, &err) != 0 ||
        strom_ipc_decode_batch(&m, s, s, NULL, &b, &err) < 0) {
        fprintf(stderr, "%s: does not decode: %s\n", what, err.msg);
        abort();
    }
    return b;
}

static void check_projection(const strom_buf *msg, const strom_schema *s,
                             const strom_value *want, int64_t rows)
{
    static const int cols[] = {9, 3}; /* s, i32: a varlen and a fixed column, reordered */
    strom_schema *ps = strom_schema_project(s, cols, 2);
    strom_ipc_msg m;
    strom_ipc_projection pj = {0};
    strom_buf wire = STROM_BUF_INIT;
    strom_error err;
    if (!ps || strom_ipc_read_msg(msg->data, msg->len, &m, &err) != 0 ||
        strom_ipc_project(&m, s, cols, 2, &pj, &err) < 0)
        abort();
    strom_buf_append(&wire, pj.header.data, pj.header.len);
    for (int i = 0; i < pj.nranges; i++)
        strom_buf_append(&wire, m.body + pj.ranges[i].offset, pj.ranges[i].length);
    strom_batch *b = decode(&wire, ps, "projection");
    check_batch(b, want, rows, cols, 2, NULL, "projection");
    strom_batch_free(b);
    strom_ipc_projection_free(&pj);
    strom_buf_free(&wire);
    strom_schema_free(ps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static strom_schema *s;
    static strom_value want[MAX_ROWS * FUZZ_NCOLS];
    static uint8_t arena_mem[MAX_ROWS * FUZZ_NCOLS * 32];
    static const int all[FUZZ_NCOLS] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    uint8_t *arena = arena_mem, sel[MAX_ROWS / 8];
    reader rd = {data, size};
    strom_buf msg = STROM_BUF_INIT, msg2 = STROM_BUF_INIT;
    strom_batch_stats st = {0}, st2 = {0};
    strom_error err = {0};
    int64_t rows = 0;

    if (!s)
        s = fuzz_schema();
    if (size < 1)
        return 0;
    strom_seal_opts so = {(strom_codec)(take(&rd, 1) % 3), 0};
    strom_batch_builder *bb = strom_bb_new(s);
    while (rd.n > 0 && rows < MAX_ROWS) {
        for (int c = 0; c < FUZZ_NCOLS; c++) {
            strom_value *v = &want[rows * FUZZ_NCOLS + c];
            take_value(&rd, c, v, &arena);
            if (strom_bb_append_value(bb, c, v) < 0) { /* refused: substitute */
                memset(v, 0, sizeof *v);
                v->type = fuzz_cols[c].id;
                v->is_null = fuzz_cols[c].nullable;
                if (strom_bb_append_value(bb, c, v) < 0)
                    abort();
            }
        }
        rows++;
    }
    if (strom_bb_seal(bb, &so, &msg, &st, &err) < 0) {
        fprintf(stderr, "seal: %s\n", err.msg);
        abort();
    }
    check_stats(&st, want, rows);
    strom_batch *b = decode(&msg, s, "sealed batch");
    check_batch(b, want, rows, all, FUZZ_NCOLS, NULL, "round trip");
    if (strom_batch_compute_stats(b, &st2, &err) < 0)
        abort();
    check_stats(&st2, want, rows);
    check_projection(&msg, s, want, rows);
    memset(sel, 0, sizeof sel);
    for (int64_t r = 0; r < rows; r += 2)
        strom_bit_set(sel, r, true);
    if (strom_batch_select(b, sel, all, FUZZ_NCOLS, s, &so, &msg2, NULL, &err) < 0)
        abort();
    strom_batch *b2 = decode(&msg2, s, "selected rows");
    check_batch(b2, want, rows, all, FUZZ_NCOLS, sel, "select");
    strom_batch_free(b2);
    strom_batch_free(b);
    strom_batch_stats_free(&st);
    strom_batch_stats_free(&st2);
    strom_buf_free(&msg);
    strom_buf_free(&msg2);
    strom_bb_free(bb);
    return 0;
}
