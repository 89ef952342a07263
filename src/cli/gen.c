/*
 * gen.c: the demo table: one column of every strom type, with values that are a pure
 * function of (seed, row, column).
 *
 * Because no value depends on the batching, the same options always give the same table
 * whatever the batch size, and a test can recompute any cell. Two columns are shaped for the
 * demo of statistics pruning: `id` is the row number and `price` rises with the row (plus
 * noise), so a range predicate such as `price > 6500` rules out most batches by their
 * min/max alone.
 *
 *   col  name     type            values
 *   0    id       BIGINT NOT NULL row number
 *   1    sym      STRING NOT NULL one of 8 tickers ('A' included: short strings sort first)
 *   2    price    DECIMAL(10,2)   100.00 + 0.07 * row + noise(0..4.99)
 *   3    qty      INT             -1000 .. 18999
 *   4    buy      BOOLEAN
 *   5    venue    TINYINT         full int8 range
 *   6    lot      SMALLINT        full int16 range
 *   7    ratio    FLOAT           -50 .. 50, 3 decimals
 *   8    score    DOUBLE          -100 .. 100
 *   9    note     STRING          'note-N', sometimes '' or non-ASCII UTF-8
 *   10   tag      BYTES           0..8 bytes
 *   11   day      DATE            from 2022-01-08, one day per 1000 rows
 *   12   tod      TIME            any µs of the day
 *   13   ts       TIMESTAMP       2023-11-14 22:13:20 + 1 s per row
 *   14   ts_utc   TIMESTAMP_LTZ   ts + 1 h
 *
 * Nullable columns are null with probability null_ratio, decided by a hash independent of
 * the value's.
 */
#include "cli/cli.h"

#include <string.h>

#include "common/common.h"

static const struct {
    const char *name;
    strom_type_id type;
    bool nullable;
} gen_cols[] = {
    {"id", STROM_TYPE_BIGINT, false},      {"sym", STROM_TYPE_STRING, false},
    {"price", STROM_TYPE_DECIMAL, true},   {"qty", STROM_TYPE_INT, true},
    {"buy", STROM_TYPE_BOOLEAN, true},     {"venue", STROM_TYPE_TINYINT, true},
    {"lot", STROM_TYPE_SMALLINT, true},    {"ratio", STROM_TYPE_FLOAT, true},
    {"score", STROM_TYPE_DOUBLE, true},    {"note", STROM_TYPE_STRING, true},
    {"tag", STROM_TYPE_BYTES, true},       {"day", STROM_TYPE_DATE, true},
    {"tod", STROM_TYPE_TIME, true},        {"ts", STROM_TYPE_TIMESTAMP, true},
    {"ts_utc", STROM_TYPE_TIMESTAMP_LTZ, true},
};

static const char *const gen_syms[] = {"AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META", "TSLA", "A"};

#define GEN_TS_BASE INT64_C(1700000000000000) /* 2023-11-14 22:13:20 UTC, in µs */
#define GEN_DAY_BASE 19000                    /* 2022-01-08 */
#define GEN_US_PER_DAY INT64_C(86400000000)

strom_schema *cli_gen_schema(void)
{
    strom_schema *s = strom_schema_new(1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < STROM_ARRAY_LEN(gen_cols); i++) {
        strom_type t = gen_cols[i].type == STROM_TYPE_DECIMAL ? strom_type_decimal(10, 2)
                                                              : strom_type_of(gen_cols[i].type);
        if (strom_schema_add(s, gen_cols[i].name, t, gen_cols[i].nullable, NULL) < 0) {
            strom_schema_free(s);
            return NULL;
        }
    }
    return s;
}

/* splitmix64: a fast, well-mixed 64-bit hash of a counter. */
static uint64_t gen_mix(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

static uint64_t gen_hash(uint64_t seed, int64_t row, int col, uint64_t salt)
{
    return gen_mix(seed ^ gen_mix((uint64_t)row * 64 + (uint64_t)col) ^ salt);
}

static void gen_string(strom_value *v, uint64_t h, uint8_t *scratch)
{
    static const char fancy[] = "h\xc3\xa9llo \xe2\x9c\x93"; /* "héllo ✓" */
    size_t n;
    switch (h % 16) {
    case 0:
        n = 0;
        break;
    case 1:
        n = sizeof fancy - 1;
        memcpy(scratch, fancy, n);
        break;
    default:
        n = (size_t)snprintf((char *)scratch, 64, "note-%u", (unsigned)((h >> 8) % 1000));
        break;
    }
    v->u.s.ptr = scratch;
    v->u.s.len = (uint32_t)n;
}

static void gen_fill(strom_value *v, int col, int64_t row, uint64_t h, uint8_t *scratch)
{
    switch (col) {
    case 0: v->u.i = row; break;
    case 1:
        v->u.s.ptr = (const uint8_t *)gen_syms[h % STROM_ARRAY_LEN(gen_syms)];
        v->u.s.len = (uint32_t)strlen(gen_syms[h % STROM_ARRAY_LEN(gen_syms)]);
        break;
    case 2: v->u.d = (strom_i128)10000 + (strom_i128)row * 7 + (strom_i128)(h % 500); break;
    case 3: v->u.i = (int64_t)(h % 20000) - 1000; break;
    case 4: v->u.b = h & 1; break;
    case 5: v->u.i = (int8_t)(h & 0xff); break;
    case 6: v->u.i = (int16_t)(h & 0xffff); break;
    case 7: v->u.f = (double)(float)((double)(h % 100001) / 1000.0 - 50.0); break;
    case 8: v->u.f = (double)(h >> 11) / 9007199254740992.0 * 200.0 - 100.0; break;
    case 9: gen_string(v, h, scratch); break;
    case 10:
        v->u.s.len = (uint32_t)(h % 9);
        for (uint32_t i = 0; i < v->u.s.len; i++)
            scratch[i] = (uint8_t)((h >> (8 * (i % 8))) ^ i);
        v->u.s.ptr = scratch;
        break;
    case 11: v->u.i = GEN_DAY_BASE + row / 1000; break;
    case 12: v->u.i = (int64_t)(h % (uint64_t)GEN_US_PER_DAY); break;
    case 13: v->u.i = GEN_TS_BASE + row * 1000000 + (int64_t)(h % 1000000); break;
    default: v->u.i = GEN_TS_BASE + INT64_C(3600000000) + row * 1000000 + (int64_t)(h % 1000000);
    }
}

void cli_gen_value(const strom_schema *s, const cli_gen_opts *o, int col, int64_t row,
                   strom_value *v, uint8_t *scratch)
{
    memset(v, 0, sizeof *v);
    v->type = strom_schema_col_type(s, col).id;
    if (strom_schema_col_nullable(s, col)) {
        uint64_t hn = gen_hash(o->seed, row, col, UINT64_C(0x6e756c6c)); /* "null" */
        if ((double)(hn >> 11) / 9007199254740992.0 < o->null_ratio) {
            v->is_null = true;
            return;
        }
    }
    gen_fill(v, col, row, gen_hash(o->seed, row, col, 0), scratch);
}

int cli_gen_batch(strom_batch_builder *bb, const strom_schema *s, const cli_gen_opts *o,
                  int64_t first, int64_t n, strom_buf *out, strom_batch_stats *stats,
                  strom_error *err)
{
    int ncols = strom_schema_ncols(s);
    strom_value vals[STROM_ARRAY_LEN(gen_cols)];
    uint8_t scratch[STROM_ARRAY_LEN(gen_cols)][64];
    int rc = 0;

    if (ncols != (int)STROM_ARRAY_LEN(gen_cols))
        return strom_error_set(err, STROM_EINVAL, "not the demo schema (%d columns)", ncols);
    strom_bb_reset(bb);
    for (int64_t r = first; r < first + n; r++) {
        for (int c = 0; c < ncols; c++)
            cli_gen_value(s, o, c, r, &vals[c], scratch[c]);
        rc = strom_bb_append_row(bb, vals, err);
        if (rc < 0) {
            strom_error_prefix(err, "row %lld", (long long)r);
            return rc;
        }
    }
    return strom_bb_seal(bb, &o->seal, out, stats, err);
}

int cli_gen_table(const strom_schema *s, const cli_gen_opts *o, bool file_format,
                  strom_buf *out, strom_error *err)
{
    strom_batch_builder *bb = strom_bb_new(s);
    strom_ipc_writer *w = NULL;
    strom_buf msg = STROM_BUF_INIT;
    int rc = 0;

    if (!bb)
        return strom_error_set(err, STROM_ENOMEM, "batch builder");
    STROM_TRY_GOTO(rc, strom_ipc_writer_new(s, file_format, out, &w, err), cleanup);
    for (int64_t first = 0; first < o->rows; first += o->batch_rows) {
        int64_t n = STROM_MIN(o->batch_rows, o->rows - first);
        strom_buf_reset(&msg);
        STROM_TRY_GOTO(rc, cli_gen_batch(bb, s, o, first, n, &msg, NULL, err), cleanup);
        STROM_TRY_GOTO(rc, strom_ipc_writer_add(w, msg.data, msg.len, out, err), cleanup);
    }
    rc = strom_ipc_writer_finish(w, out, err);
    w = NULL; /* freed by finish either way */
cleanup:
    strom_ipc_writer_free(w);
    strom_buf_free(&msg);
    strom_bb_free(bb);
    return rc;
}
