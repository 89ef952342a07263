/*
 * fuzz_predicate.c: libFuzzer target for the predicate parser and evaluator.
 *
 * The input is predicate text, parsed against a fixed schema holding every strom type
 * (fuzz_common.h). Malformed text must give an error, never a crash. When it parses:
 *   - its canonical text (strom_pred_format) must parse again, and format to the same text;
 *   - the original and the re-parsed predicate must select the same rows of a fixed batch;
 *   - evaluation against that batch's statistics must be conservative: NONE only if no row
 *     matches, ALL only if every row matches.
 * A broken invariant aborts (a finding).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/ipc.h"
#include "columnar/predicate.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ROWS 40

static strom_schema *schema;
static strom_buf msg = STROM_BUF_INIT;
static strom_batch *batch;
static strom_batch_stats stats;

/* A fixed batch: edge values, repeats and nulls, so predicates select varied subsets. */
static void fixture_value(int c, int r, strom_value *v, uint8_t *scratch)
{
    static const char *const strs[] = {"", "A", "AAPL", "b", "h\xc3\xa9", "zz", "it's"};
    memset(v, 0, sizeof *v);
    v->type = fuzz_cols[c].id;
    if (fuzz_cols[c].nullable && r % 7 == 3) {
        v->is_null = true;
        return;
    }
    int64_t k = (r * 37 + c * 11) % 19 - 9; /* -9..9 */
    switch (v->type) {
    case STROM_TYPE_BOOLEAN: v->u.b = k & 1; break;
    case STROM_TYPE_FLOAT: v->u.f = r == 5 ? (double)NAN : (double)(float)(k * 0.5); break;
    case STROM_TYPE_DOUBLE: v->u.f = r == 6 ? -0.0 : r == 8 ? (double)NAN : k * 1.25; break;
    case STROM_TYPE_DECIMAL: v->u.d = (strom_i128)k * 1005; break;
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES: {
        const char *s = strs[(r + c) % 7];
        v->u.s.len = (uint32_t)strlen(s);
        memcpy(scratch, s, v->u.s.len);
        v->u.s.ptr = scratch;
        break;
    }
    case STROM_TYPE_TIME: v->u.i = (k + 9) * 3600000000LL; break;
    case STROM_TYPE_TIMESTAMP:
    case STROM_TYPE_TIMESTAMP_LTZ: v->u.i = k * 86400000000LL + 1700000000000000LL; break;
    case STROM_TYPE_DATE: v->u.i = 19000 + k; break;
    default: v->u.i = k;
    }
}

static void fixture_init(void)
{
    strom_error err;
    strom_ipc_msg m;
    strom_batch_builder *bb;
    strom_seal_opts so = {STROM_CODEC_NONE, 0};
    schema = fuzz_schema();
    bb = strom_bb_new(schema);
    for (int r = 0; r < FUZZ_ROWS; r++) {
        strom_value vals[FUZZ_NCOLS];
        uint8_t scratch[FUZZ_NCOLS][16];
        for (int c = 0; c < FUZZ_NCOLS; c++)
            fixture_value(c, r, &vals[c], scratch[c]);
        if (strom_bb_append_row(bb, vals, &err) < 0) {
            fprintf(stderr, "fixture row %d: %s\n", r, err.msg);
            abort();
        }
    }
    if (strom_bb_seal(bb, &so, &msg, &stats, &err) < 0 ||
        strom_ipc_read_msg(msg.data, msg.len, &m, &err) != 0 ||
        strom_ipc_decode_batch(&m, schema, schema, NULL, &batch, &err) < 0) {
        fprintf(stderr, "fixture: %s\n", err.msg);
        abort();
    }
    strom_bb_free(bb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    strom_pred *p = NULL, *q = NULL;
    strom_buf t1 = STROM_BUF_INIT, t2 = STROM_BUF_INIT;
    strom_error err;
    uint8_t sel1[FUZZ_ROWS / 8 + 1], sel2[FUZZ_ROWS / 8 + 1];
    int64_t n1 = 0, n2 = 0;

    if (!schema)
        fixture_init();
    if (size > 4096)
        return 0;
    if (strom_pred_parse((const char *)data, size, schema, &p, &err) < 0)
        return 0;
    if (strom_pred_format(p, schema, &t1) < 0)
        abort();
    if (strom_pred_parse((const char *)t1.data, t1.len, schema, &q, &err) < 0) {
        fprintf(stderr, "canonical text does not parse: %.*s\n  %s\n", (int)t1.len,
                (const char *)t1.data, err.msg);
        abort();
    }
    if (strom_pred_format(q, schema, &t2) < 0 || t1.len != t2.len ||
        memcmp(t1.data, t2.data, t1.len) != 0) {
        fprintf(stderr, "format is not stable:\n  %.*s\n  %.*s\n", (int)t1.len,
                (const char *)t1.data, (int)t2.len, (const char *)t2.data);
        abort();
    }
    if (strom_pred_eval_rows(p, batch, sel1, &n1, &err) < 0 ||
        strom_pred_eval_rows(q, batch, sel2, &n2, &err) < 0)
        abort();
    if (n1 != n2 || memcmp(sel1, sel2, (FUZZ_ROWS + 7) / 8) != 0) {
        fprintf(stderr, "re-parsed predicate selects other rows: %.*s\n", (int)t1.len,
                (const char *)t1.data);
        abort();
    }
    strom_pred_match m = strom_pred_eval_stats(p, &stats);
    if ((m == STROM_MATCH_NONE && n1 != 0) || (m == STROM_MATCH_ALL && n1 != FUZZ_ROWS)) {
        fprintf(stderr, "stats say %d but %lld of %d rows match: %.*s\n", (int)m, (long long)n1,
                FUZZ_ROWS, (int)t1.len, (const char *)t1.data);
        abort();
    }
    strom_pred_free(p);
    strom_pred_free(q);
    strom_buf_free(&t1);
    strom_buf_free(&t2);
    return 0;
}
