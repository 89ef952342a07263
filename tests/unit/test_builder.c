/* Unit tests for the batch builder (src/columnar/batch.c): every type by value, row, column
 * and selection; null patterns; errors leave the builder unchanged; statistics (NaN, -0.0,
 * long strings, all-null); per-buffer CRCs; 0-row batches; seal -> decode round trips for each
 * codec; strom_batch_select. */
#include <math.h>

#include "columnar/batch.h"
#include "columnar/ipc.h"
#include "common/common.h"
#include "common/crc32c.h"
#include "test.h"

static strom_schema *all_types(void)
{
    strom_schema *s = strom_schema_new(7);
    static const strom_type_id ids[] = {
        STROM_TYPE_BOOLEAN, STROM_TYPE_TINYINT, STROM_TYPE_SMALLINT, STROM_TYPE_INT,
        STROM_TYPE_BIGINT, STROM_TYPE_FLOAT, STROM_TYPE_DOUBLE, STROM_TYPE_DECIMAL,
        STROM_TYPE_STRING, STROM_TYPE_BYTES, STROM_TYPE_DATE, STROM_TYPE_TIME,
        STROM_TYPE_TIMESTAMP, STROM_TYPE_TIMESTAMP_LTZ};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        strom_type t = {ids[i], 0, 0};
        if (ids[i] == STROM_TYPE_DECIMAL)
            t = (strom_type){ids[i], 20, 3};
        char name[8];
        snprintf(name, sizeof name, "c%zu", i);
        strom_schema_add(s, name, t, true, NULL);
    }
    return s;
}

/* A deterministic value for row r of column c (null when r % 5 == c % 5 and nulls wanted). */
static strom_value value_for(const strom_schema *s, int c, int64_t r, bool nulls, char *sbuf)
{
    strom_type t = strom_schema_col_type(s, c);
    strom_value v = {.type = t.id};
    if (nulls && r % 5 == c % 5) {
        v.is_null = true;
        return v;
    }
    int64_t x = (r * 7919 + c * 104729) % 2001 - 1000;
    switch (t.id) {
    case STROM_TYPE_BOOLEAN: v.u.b = x & 1; break;
    case STROM_TYPE_TINYINT: v.u.i = x % 128; break;
    case STROM_TYPE_FLOAT: v.u.f = (double)(float)(x / 8.0); break;
    case STROM_TYPE_DOUBLE: v.u.f = x / 3.0; break;
    case STROM_TYPE_DECIMAL: v.u.d = (strom_i128)x * 1000000007; break;
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES:
        v.u.s.len = (uint32_t)snprintf(sbuf, 32, "v%lld", (long long)(x * x));
        v.u.s.ptr = (const uint8_t *)sbuf;
        break;
    case STROM_TYPE_TIME: v.u.i = (x + 1000) * 1000000; break;
    default: v.u.i = x; break;
    }
    return v;
}

static bool value_eq(const strom_value *a, const strom_value *b)
{
    if (a->is_null || b->is_null)
        return a->is_null == b->is_null;
    return a->type == b->type && strom_value_cmp(a, b) == 0;
}

/* Seals, decodes, and checks every value against value_for. */
static void round_trip(strom_batch_builder *bb, const strom_schema *s, int64_t rows, bool nulls,
                       strom_codec codec)
{
    strom_buf msg = STROM_BUF_INIT;
    strom_batch_stats st;
    strom_error err;
    strom_seal_opts o = {codec, 0};
    CHECK_OK(strom_bb_seal(bb, &o, &msg, &st, &err), &err);
    CHECK_EQ(strom_bb_rows(bb), 0); /* reset after sealing */
    strom_ipc_msg m;
    strom_batch *b = NULL;
    CHECK_OK(strom_ipc_read_msg(msg.data, msg.len, &m, &err), &err);
    CHECK_EQ(m.total_len, msg.len);
    CHECK_OK(strom_ipc_decode_batch(&m, s, s, NULL, &b, &err), &err);
    if (!b)
        return;
    CHECK_EQ(b->rows, rows);
    int bad = 0;
    for (int c = 0; c < b->ncols; c++)
        for (int64_t r = 0; r < rows; r++) {
            char sb[32];
            strom_value want = value_for(s, c, r, nulls, sb), got;
            strom_col_get(&b->cols[c], strom_schema_col_type(s, c), r, &got);
            if (!value_eq(&want, &got) && bad++ < 5)
                printf("  col %d row %lld differs (codec %s)\n", c, (long long)r,
                       strom_codec_name(codec));
        }
    CHECK_EQ(bad, 0);
    /* CRCs are of the stored buffers */
    strom_ipc_batch_meta bm;
    CHECK_OK(strom_ipc_parse_batch_meta(&m, s, &bm, &err), &err);
    CHECK_EQ(st.nbuffers, bm.nbuffers);
    for (int k = 0; k < bm.nbuffers && k < st.nbuffers; k++)
        CHECK_EQ(st.buffer_crc[k],
                 strom_crc32c(0, m.body + bm.buffers[k].offset, (size_t)bm.buffers[k].length));
    /* stats equal those computed from the decoded batch */
    strom_batch_stats st2;
    CHECK_OK(strom_batch_compute_stats(b, &st2, &err), &err);
    for (int c = 0; c < b->ncols; c++) {
        CHECK_EQ(st.cols[c].null_count, st2.cols[c].null_count);
        CHECK_EQ(st.cols[c].has_min, st2.cols[c].has_min);
        if (st.cols[c].has_min && st2.cols[c].has_min) {
            CHECK(strom_value_cmp(&st.cols[c].min, &st2.cols[c].min) == 0);
            CHECK(strom_value_cmp(&st.cols[c].max, &st2.cols[c].max) == 0);
        }
    }
    strom_batch_stats_free(&st2);
    strom_ipc_batch_meta_free(&bm);
    strom_batch_stats_free(&st);
    strom_batch_free(b);
    strom_buf_free(&msg);
}

static void fill_rows(strom_batch_builder *bb, const strom_schema *s, int64_t rows, bool nulls)
{
    int n = strom_schema_ncols(s);
    strom_value vals[16];
    char sb[16][32];
    strom_error err;
    for (int64_t r = 0; r < rows; r++) {
        for (int c = 0; c < n; c++)
            vals[c] = value_for(s, c, r, nulls, sb[c]);
        CHECK_OK(strom_bb_append_row(bb, vals, &err), &err);
    }
}

TEST(every_type_by_row_round_trips_each_codec)
{
    strom_schema *s = all_types();
    strom_batch_builder *bb = strom_bb_new(s);
    int64_t sizes[] = {0, 1, 7, 8, 9, 1000};
    for (int codec = 0; codec < 3; codec++)
        for (int nulls = 0; nulls < 2; nulls++)
            for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
                fill_rows(bb, s, sizes[k], nulls);
                CHECK_EQ(strom_bb_rows(bb), sizes[k]);
                round_trip(bb, s, sizes[k], nulls, (strom_codec)codec);
            }
    strom_bb_free(bb);
    strom_schema_free(s);
}

/* Builds a decoded batch of `rows` rows to use as a source of column views. */
static strom_batch *source(const strom_schema *s, int64_t rows, bool nulls, strom_buf *msg)
{
    strom_batch_builder *bb = strom_bb_new(s);
    strom_error err;
    fill_rows(bb, s, rows, nulls);
    strom_buf_reset(msg);
    CHECK_OK(strom_bb_seal(bb, NULL, msg, NULL, &err), &err);
    strom_bb_free(bb);
    strom_ipc_msg m;
    strom_batch *b = NULL;
    CHECK_OK(strom_ipc_read_msg(msg->data, msg->len, &m, &err), &err);
    CHECK_OK(strom_ipc_decode_batch(&m, s, s, NULL, &b, &err), &err);
    return b;
}

TEST(append_column_in_pieces_equals_rows)
{
    strom_schema *s = all_types();
    strom_buf msg = STROM_BUF_INIT;
    for (int nulls = 0; nulls < 2; nulls++) {
        strom_batch *src = source(s, 1000, nulls, &msg);
        strom_batch_builder *bb = strom_bb_new(s);
        for (int c = 0; c < src->ncols; c++) {
            /* odd piece boundaries exercise unaligned bitmap copies */
            CHECK_EQ(strom_bb_append_column(bb, c, &src->cols[c], 0, 3), 0);
            CHECK_EQ(strom_bb_append_column(bb, c, &src->cols[c], 3, 500), 0);
            CHECK_EQ(strom_bb_append_column(bb, c, &src->cols[c], 503, 497), 0);
        }
        CHECK_EQ(strom_bb_append_column(bb, 0, &src->cols[0], 999, 2), STROM_EINVAL);
        round_trip(bb, s, 1000, nulls, STROM_CODEC_NONE);
        strom_bb_free(bb);
        strom_batch_free(src);
    }
    strom_buf_free(&msg);
    strom_schema_free(s);
}

TEST(encode_whole_columns_equals_builder)
{
    strom_schema *s = all_types();
    strom_buf msg = STROM_BUF_INIT, a = STROM_BUF_INIT, b = STROM_BUF_INIT;
    strom_error err;
    for (int codec = 0; codec < 3; codec++)
        for (int nulls = 0; nulls < 2; nulls++) {
            strom_batch *src = source(s, 333, nulls, &msg);
            strom_seal_opts o = {(strom_codec)codec, 0};
            strom_batch_stats sa, sb;
            strom_buf_reset(&a);
            strom_buf_reset(&b);
            CHECK_OK(strom_batch_encode(s, src->cols, src->rows, &o, &a, &sa, &err), &err);
            strom_batch_builder *bb = strom_bb_new(s);
            for (int c = 0; c < src->ncols; c++)
                CHECK_EQ(strom_bb_append_column(bb, c, &src->cols[c], 0, src->rows), 0);
            CHECK_OK(strom_bb_seal(bb, &o, &b, &sb, &err), &err);
            strom_bb_free(bb);
            /* same bytes (views from the decoder have zeroed padding bits) and stats */
            CHECK_EQ(a.len, b.len);
            CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
            for (int k = 0; k < sa.nbuffers; k++)
                CHECK_EQ(sa.buffer_crc[k], sb.buffer_crc[k]);
            for (int c = 0; c < sa.ncols; c++)
                CHECK(sa.cols[c].has_min == sb.cols[c].has_min &&
                      (!sa.cols[c].has_min ||
                       strom_value_cmp(&sa.cols[c].min, &sb.cols[c].min) == 0));
            strom_batch_stats_free(&sa);
            strom_batch_stats_free(&sb);
            strom_batch_free(src);
        }
    /* the dense (vector) statistics paths: NaN is the greatest value, -0.0 == 0.0 */
    {
        strom_schema *fs = strom_schema_new(1);
        strom_schema_add(fs, "d", (strom_type){STROM_TYPE_DOUBLE, 0, 0}, true, NULL);
        strom_schema_add(fs, "f", (strom_type){STROM_TYPE_FLOAT, 0, 0}, true, NULL);
        double d[7] = {3.5, NAN, -0.0, -7.25, 1e300, 2, 0.5};
        float f[7] = {NAN, NAN, NAN, NAN, NAN, NAN, NAN};
        strom_col_view fv[2] = {{7, 0, NULL, (const uint8_t *)d, NULL, 56},
                                {7, 0, NULL, (const uint8_t *)f, NULL, 28}};
        strom_batch_stats fst;
        strom_buf_reset(&a);
        CHECK_OK(strom_batch_encode(fs, fv, 7, NULL, &a, &fst, &err), &err);
        CHECK(fst.cols[0].min.u.f == -7.25 && isnan(fst.cols[0].max.u.f));
        CHECK(isnan(fst.cols[1].min.u.f) && isnan(fst.cols[1].max.u.f));
        strom_batch_stats_free(&fst);
        d[1] = 4;
        strom_buf_reset(&a);
        CHECK_OK(strom_batch_encode(fs, fv, 7, NULL, &a, &fst, &err), &err);
        CHECK(fst.cols[0].min.u.f == -7.25 && fst.cols[0].max.u.f == 1e300);
        strom_batch_stats_free(&fst);
        strom_schema_free(fs);
    }
    /* NOT NULL column given nulls */
    strom_schema *nn = strom_schema_new(1);
    strom_schema_add(nn, "x", (strom_type){STROM_TYPE_INT, 0, 0}, false, NULL);
    uint8_t valid[1] = {0x5};
    int32_t vals[3] = {1, 2, 3};
    strom_col_view v = {3, 1, valid, (const uint8_t *)vals, NULL, 12};
    CHECK_EQ(strom_batch_encode(nn, &v, 3, NULL, &a, NULL, &err), STROM_EINVAL);
    strom_schema_free(nn);
    strom_buf_free(&msg);
    strom_buf_free(&a);
    strom_buf_free(&b);
    strom_schema_free(s);
}

TEST(append_selected_and_select)
{
    strom_schema *s = all_types();
    strom_buf msg = STROM_BUF_INIT, out = STROM_BUF_INIT;
    strom_error err;
    for (int nulls = 0; nulls < 2; nulls++) {
        strom_batch *src = source(s, 777, nulls, &msg);
        uint8_t sel[98] = {0};
        int64_t want = 0;
        for (int64_t r = 0; r < 777; r++)
            if (r % 3 == 0 || r == 776) {
                sel[r / 8] |= (uint8_t)(1u << (r % 8));
                want++;
            }
        int cols[3] = {13, 8, 0};
        strom_schema *ps = strom_schema_project(s, cols, 3);
        strom_buf_reset(&out);
        strom_batch_stats st;
        CHECK_OK(strom_batch_select(src, sel, cols, 3, ps, NULL, &out, &st, &err), &err);
        strom_ipc_msg m;
        strom_batch *b = NULL;
        CHECK_OK(strom_ipc_read_msg(out.data, out.len, &m, &err), &err);
        CHECK_OK(strom_ipc_decode_batch(&m, ps, ps, NULL, &b, &err), &err);
        CHECK_EQ(b ? b->rows : -1, want);
        int64_t i = 0, bad = 0;
        for (int64_t r = 0; b && r < 777; r++) {
            if (!strom_bit_get(sel, r))
                continue;
            for (int k = 0; k < 3; k++) {
                strom_value a, g;
                strom_col_get(&src->cols[cols[k]], strom_schema_col_type(s, cols[k]), r, &a);
                strom_col_get(&b->cols[k], strom_schema_col_type(ps, k), i, &g);
                bad += !value_eq(&a, &g);
            }
            i++;
        }
        CHECK_EQ(bad, 0);
        CHECK_EQ(st.rows, want);
        strom_batch_stats_free(&st);
        strom_batch_free(b);
        strom_batch_free(src);
        strom_schema_free(ps);
    }
    strom_buf_free(&msg);
    strom_buf_free(&out);
    strom_schema_free(s);
}

TEST(errors_leave_the_builder_unchanged)
{
    strom_schema *s = strom_schema_new(1);
    strom_schema_add(s, "t", (strom_type){STROM_TYPE_TINYINT, 0, 0}, false, NULL);
    strom_schema_add(s, "d", (strom_type){STROM_TYPE_DECIMAL, 4, 2}, true, NULL);
    strom_schema_add(s, "s", (strom_type){STROM_TYPE_STRING, 0, 0}, true, NULL);
    strom_schema_add(s, "tm", (strom_type){STROM_TYPE_TIME, 0, 0}, true, NULL);
    strom_batch_builder *bb = strom_bb_new(s);
    CHECK_EQ(strom_bb_append_int(bb, 0, 128), STROM_ERANGE);
    CHECK_EQ(strom_bb_append_int(bb, 0, -129), STROM_ERANGE);
    CHECK_EQ(strom_bb_append_null(bb, 0), STROM_EINVAL);
    CHECK_EQ(strom_bb_append_double(bb, 0, 1.0), STROM_EINVAL);
    CHECK_EQ(strom_bb_append_decimal(bb, 1, 10000), STROM_ERANGE);
    CHECK_EQ(strom_bb_append_decimal(bb, 1, -9999), 0);
    CHECK_EQ(strom_bb_append_bytes(bb, 2, "\xc3\x28", 2), STROM_EINVAL);
    CHECK_EQ(strom_bb_append_bytes(bb, 2, "\xed\xa0\x80", 3), STROM_EINVAL); /* surrogate */
    CHECK_EQ(strom_bb_append_bytes(bb, 2, "gr\xc3\xbc\xc3\x9f", 6), 0);
    CHECK_EQ(strom_bb_append_int(bb, 3, INT64_C(86400000000)), STROM_ERANGE);
    CHECK_EQ(strom_bb_append_int(bb, 3, -1), STROM_ERANGE);
    CHECK_EQ(strom_bb_append_int(bb, 0, 127), 0);
    CHECK_EQ(strom_bb_rows(bb), 1);
    /* a row with one bad value appends nothing */
    strom_value row[4] = {{.type = STROM_TYPE_TINYINT, .u.i = 5},
                          {.type = STROM_TYPE_DECIMAL, .u.d = 1},
                          {.type = STROM_TYPE_STRING, .u.s = {(const uint8_t *)"x", 1}},
                          {.type = STROM_TYPE_TIME, .u.i = -5}};
    strom_error err;
    size_t bytes = strom_bb_bytes(bb);
    CHECK_EQ(strom_bb_append_row(bb, row, &err), STROM_ERANGE);
    CHECK(strstr(err.msg, "column 3") != NULL);
    CHECK_EQ(strom_bb_bytes(bb), bytes);
    /* unequal columns cannot be sealed */
    strom_buf out = STROM_BUF_INIT;
    CHECK_EQ(strom_bb_seal(bb, NULL, &out, NULL, &err), STROM_EINVAL);
    CHECK_EQ(out.len, 0u);
    row[3].u.i = 5;
    strom_bb_reset(bb);
    CHECK_OK(strom_bb_append_row(bb, row, &err), &err);
    CHECK_OK(strom_bb_seal(bb, NULL, &out, NULL, &err), &err);
    strom_buf_free(&out);
    strom_bb_free(bb);
    strom_schema_free(s);
}

TEST(statistics_edge_cases)
{
    strom_schema *s = strom_schema_new(1);
    strom_schema_add(s, "f", (strom_type){STROM_TYPE_DOUBLE, 0, 0}, true, NULL);
    strom_schema_add(s, "g", (strom_type){STROM_TYPE_FLOAT, 0, 0}, true, NULL);
    strom_schema_add(s, "s", (strom_type){STROM_TYPE_BYTES, 0, 0}, true, NULL);
    strom_schema_add(s, "n", (strom_type){STROM_TYPE_INT, 0, 0}, true, NULL);
    strom_batch_builder *bb = strom_bb_new(s);
    uint8_t longmin[100], longmax[100];
    memset(longmin, 'a', sizeof longmin);
    memset(longmax, 0xFF, sizeof longmax);
    longmax[0] = 'z';
    longmax[63] = 0xFF;
    CHECK_EQ(strom_bb_append_double(bb, 0, -0.0), 0);
    CHECK_EQ(strom_bb_append_double(bb, 0, NAN), 0);
    CHECK_EQ(strom_bb_append_double(bb, 0, -5.5), 0);
    CHECK_EQ(strom_bb_append_double(bb, 1, NAN), 0);
    CHECK_EQ(strom_bb_append_null(bb, 1), 0);
    CHECK_EQ(strom_bb_append_null(bb, 1), 0);
    CHECK_EQ(strom_bb_append_bytes(bb, 2, longmin, sizeof longmin), 0);
    CHECK_EQ(strom_bb_append_bytes(bb, 2, longmax, sizeof longmax), 0);
    CHECK_EQ(strom_bb_append_bytes(bb, 2, "b", 1), 0);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(strom_bb_append_null(bb, 3), 0);
    strom_buf out = STROM_BUF_INIT;
    strom_batch_stats st;
    strom_error err;
    CHECK_OK(strom_bb_seal(bb, NULL, &out, &st, &err), &err);
    CHECK(st.cols[0].has_min && st.cols[0].min.u.f == -5.5 && isnan(st.cols[0].max.u.f));
    CHECK(st.cols[1].has_min && isnan(st.cols[1].min.u.f) && st.cols[1].null_count == 2);
    const strom_col_stats *b = &st.cols[2];
    CHECK(b->has_min && !b->min_exact && b->min.u.s.len == 64);
    CHECK_MEM(b->min.u.s.ptr, longmin, 64);
    /* max "z" + 0xFF...: cut to 64, trailing 0xFF dropped, 'z' incremented */
    CHECK(b->has_max && !b->max_exact && b->max.u.s.len == 1 && b->max.u.s.ptr[0] == 'z' + 1);
    CHECK(!st.cols[3].has_min && !st.cols[3].has_max && st.cols[3].null_count == 3);
    /* a copied struct is re-pointed by strom_col_stats_fix */
    strom_col_stats copy = *b;
    strom_col_stats_fix(&copy);
    CHECK(copy.min.u.s.ptr == copy.min_bytes);
    /* all 0xFF beyond the bound: no upper bound */
    strom_batch_stats_free(&st);
    memset(longmax, 0xFF, sizeof longmax);
    for (int c = 0; c < 4; c++)
        CHECK_EQ(strom_bb_append_null(bb, c), 0);
    CHECK_EQ(strom_bb_append_null(bb, 0), 0);
    CHECK_EQ(strom_bb_append_null(bb, 1), 0);
    CHECK_EQ(strom_bb_append_bytes(bb, 2, longmax, sizeof longmax), 0);
    CHECK_EQ(strom_bb_append_null(bb, 3), 0);
    strom_buf_reset(&out);
    CHECK_OK(strom_bb_seal(bb, NULL, &out, &st, &err), &err);
    CHECK(st.cols[2].has_min && !st.cols[2].has_max);
    strom_batch_stats_free(&st);
    strom_buf_free(&out);
    strom_bb_free(bb);
    strom_schema_free(s);
}

/* ---- model check: every path against an independent reference ---------------------------
 *
 * Random columns of every type (special values: extremes, NaN, +-0.0, +-inf, empty and long
 * strings, 0xFF runs), six null patterns, sizes around byte and word boundaries. Each path
 * (typed appends, rows, columns in random pieces, selections, strom_batch_encode) is sealed
 * with each codec, decoded, and checked value by value; its statistics are checked against
 * a brute-force reference in strom_value_cmp order; its CRCs against the stored bytes. */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

enum { M_COLS = 16, M_MAXROWS = 200 };
enum { NP_NONE, NP_ALL, NP_ALTERNATE, NP_FIRST, NP_LAST, NP_RANDOM, NP_COUNT };

typedef struct model {
    strom_schema *s;
    int ncols;
    int64_t rows;
    strom_value v[M_COLS][M_MAXROWS];
    uint8_t arena[M_COLS * M_MAXROWS * 80];
    size_t used;
} model;

static strom_schema *model_schema(bool nullable)
{
    static const strom_type types[M_COLS] = {
        {STROM_TYPE_BOOLEAN, 0, 0}, {STROM_TYPE_TINYINT, 0, 0}, {STROM_TYPE_SMALLINT, 0, 0},
        {STROM_TYPE_INT, 0, 0}, {STROM_TYPE_BIGINT, 0, 0}, {STROM_TYPE_FLOAT, 0, 0},
        {STROM_TYPE_DOUBLE, 0, 0}, {STROM_TYPE_DECIMAL, 5, 2}, {STROM_TYPE_DECIMAL, 38, 0},
        {STROM_TYPE_STRING, 0, 0}, {STROM_TYPE_BYTES, 0, 0}, {STROM_TYPE_DATE, 0, 0},
        {STROM_TYPE_TIME, 0, 0}, {STROM_TYPE_TIMESTAMP, 0, 0}, {STROM_TYPE_TIMESTAMP_LTZ, 0, 0},
        {STROM_TYPE_BYTES, 0, 0}};
    strom_schema *s = strom_schema_new(3);
    for (int i = 0; i < M_COLS; i++) {
        char name[8];
        snprintf(name, sizeof name, "m%d", i);
        strom_schema_add(s, name, types[i], nullable, NULL);
    }
    return s;
}

static strom_i128 max_decimal(int p)
{
    strom_i128 v = 1;
    for (int i = 0; i < p; i++)
        v *= 10;
    return v - 1;
}

static int64_t rnd_int(int64_t lo, int64_t hi) /* inclusive */
{
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    uint64_t r = span == UINT64_MAX ? rnd() : rnd() % (span + 1);
    return (int64_t)((uint64_t)lo + r);
}

/* Random string: short pieces of a small alphabet (multi-byte UTF-8 for STRING), sometimes
 * long (past the 64-byte bound) with long common prefixes, sometimes all 0xFF (BYTES). */
static void rnd_string(model *m, strom_value *v, bool utf8, bool long_ff)
{
    static const char *pieces[] = {"a", "b", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                   "\x7f", "z"};
    static const uint8_t bytes[] = {0x00, 'a', 'b', 0x7F, 0xFE, 0xFF};
    uint8_t *p = m->arena + m->used;
    size_t n = 0, want;
    uint64_t k = rnd() % 8;
    want = k == 0 ? 0 : k < 5 ? rnd() % 6 : 60 + rnd() % 12;
    if (long_ff && k == 7) {
        memset(p, 0xFF, 70);
        n = 70;
    } else {
        if (want >= 60) { /* a shared long prefix makes the cut matter */
            memset(p, utf8 ? 'y' : 0xFF, 58);
            n = 58;
        }
        while (n < want) {
            if (utf8) {
                const char *q = pieces[rnd() % STROM_ARRAY_LEN(pieces)];
                memcpy(p + n, q, strlen(q));
                n += strlen(q);
            } else {
                p[n++] = bytes[rnd() % sizeof bytes];
            }
        }
    }
    m->used += n;
    v->u.s.ptr = p;
    v->u.s.len = (uint32_t)n;
}

static void rnd_value(model *m, strom_type t, strom_value *v, int col)
{
    bool special = rnd() % 6 == 0;
    uint64_t k = rnd();
    switch (t.id) {
    case STROM_TYPE_BOOLEAN: v->u.b = k & 1; break;
    case STROM_TYPE_TINYINT: v->u.i = special ? (k & 1 ? INT8_MIN : INT8_MAX) : rnd_int(-50, 50); break;
    case STROM_TYPE_SMALLINT: v->u.i = special ? (k & 1 ? INT16_MIN : INT16_MAX) : rnd_int(-999, 999); break;
    case STROM_TYPE_INT:
    case STROM_TYPE_DATE: v->u.i = special ? (k & 1 ? INT32_MIN : INT32_MAX) : rnd_int(-1e6, 1e6); break;
    case STROM_TYPE_TIME: v->u.i = special ? (k & 1 ? 0 : INT64_C(86399999999)) : rnd_int(1, 1e10); break;
    case STROM_TYPE_FLOAT:
    case STROM_TYPE_DOUBLE: {
        static const double sp[] = {NAN, -0.0, 0.0, INFINITY, -INFINITY, 1e30, -1e30};
        double d = special ? sp[k % STROM_ARRAY_LEN(sp)] : (double)rnd_int(-1e6, 1e6) / 64;
        v->u.f = t.id == STROM_TYPE_FLOAT ? (double)(float)d : d;
        break;
    }
    case STROM_TYPE_DECIMAL: {
        strom_i128 lim = max_decimal(t.precision);
        v->u.d = special ? (k & 1 ? lim : -lim) : (strom_i128)rnd_int(-99, 99) * (lim / 1000 + 1) / 1000;
        break;
    }
    case STROM_TYPE_STRING: rnd_string(m, v, true, false); break;
    case STROM_TYPE_BYTES: rnd_string(m, v, false, col == M_COLS - 1); break;
    default: v->u.i = special ? (k & 1 ? INT64_MIN : INT64_MAX) : (int64_t)rnd(); break;
    }
}

static bool null_at(int pattern, int64_t r, int64_t rows)
{
    switch (pattern) {
    case NP_ALL: return true;
    case NP_ALTERNATE: return r % 2 == 1;
    case NP_FIRST: return r == 0;
    case NP_LAST: return r == rows - 1;
    case NP_RANDOM: return rnd() % 10 < 3;
    default: return false;
    }
}

static void model_fill(model *m, int64_t rows, int pattern)
{
    m->rows = rows;
    m->used = 0;
    for (int c = 0; c < m->ncols; c++) {
        strom_type t = strom_schema_col_type(m->s, c);
        for (int64_t r = 0; r < rows; r++) {
            strom_value *v = &m->v[c][r];
            memset(v, 0, sizeof *v);
            v->type = t.id;
            v->is_null = null_at(pattern, r, rows);
            if (!v->is_null)
                rnd_value(m, t, v, c);
        }
    }
}

/* Exact equality: floats bit for bit, the rest by the order. */
static bool same_value(const strom_value *a, const strom_value *b, strom_type t)
{
    if (a->is_null || b->is_null)
        return a->is_null == b->is_null;
    if (t.id == STROM_TYPE_FLOAT || t.id == STROM_TYPE_DOUBLE)
        return memcmp(&a->u.f, &b->u.f, 8) == 0 || (isnan(a->u.f) && isnan(b->u.f));
    return strom_value_cmp(a, b) == 0;
}

/* The bound a cut maximum must have (batch.h): 64-byte prefix, trailing 0xFF dropped, last
 * byte incremented; length 0 = no upper bound. */
static size_t expect_cut_max(const uint8_t *p, uint8_t *out)
{
    size_t n = STROM_STATS_BOUND_MAX;
    while (n > 0 && p[n - 1] == 0xFF)
        n--;
    memcpy(out, p, n);
    if (n)
        out[n - 1]++;
    return n;
}

/* Statistics of column c over rows with keep[r] (NULL = all) against brute force. */
static int check_col_stats(const model *m, int c, const uint8_t *keep, const strom_col_stats *st)
{
    strom_type t = strom_schema_col_type(m->s, c);
    const strom_value *mn = NULL, *mx = NULL;
    int64_t nulls = 0;
    for (int64_t r = 0; r < m->rows; r++) {
        const strom_value *v = &m->v[c][r];
        if (keep && !strom_bit_get(keep, r))
            continue;
        if (v->is_null) {
            nulls++;
            continue;
        }
        if (!mn || strom_value_cmp(v, mn) < 0)
            mn = v;
        if (!mx || strom_value_cmp(v, mx) > 0)
            mx = v;
    }
    int bad = 0;
    bad += st->null_count != nulls;
    bad += st->has_min != (mn != NULL);
    if (!mn)
        return bad + st->has_max;
    if (!strom_type_is_varlen(t.id)) {
        bad += !st->has_max || !st->min_exact || !st->max_exact;
        bad += st->min.type != t.id || st->max.type != t.id;
        bad += strom_value_cmp(&st->min, mn) != 0 || strom_value_cmp(&st->max, mx) != 0;
        return bad;
    }
    /* min: the value, or its 64-byte prefix */
    size_t n = mn->u.s.len;
    bool cut = n > STROM_STATS_BOUND_MAX;
    bad += st->min_exact == cut;
    bad += st->min.u.s.len != (cut ? STROM_STATS_BOUND_MAX : n);
    bad += st->min.u.s.ptr != st->min_bytes;
    bad += n && memcmp(st->min_bytes, mn->u.s.ptr, st->min.u.s.len) != 0;
    /* max: the value, or a strict upper bound */
    n = mx->u.s.len;
    if (n <= STROM_STATS_BOUND_MAX) {
        bad += !st->has_max || !st->max_exact || st->max.u.s.len != n;
        bad += n && memcmp(st->max_bytes, mx->u.s.ptr, n) != 0;
        return bad;
    }
    uint8_t want[STROM_STATS_BOUND_MAX];
    size_t wn = expect_cut_max(mx->u.s.ptr, want);
    bad += st->has_max != (wn > 0) || st->max_exact;
    if (wn) {
        bad += st->max.u.s.len != wn || memcmp(st->max_bytes, want, wn) != 0;
        bad += strom_value_cmp(&st->max, mx) <= 0; /* strictly above the true max */
    }
    return bad;
}

/* Decodes msg and checks rows/values (rows with keep[r] of the model, in order), stats and
 * CRCs. Returns the decoded batch (caller frees) for further use. */
static strom_batch *check_sealed(const model *m, const strom_buf *msg, const uint8_t *keep,
                                 const strom_batch_stats *st, const char *what)
{
    strom_error err;
    strom_ipc_msg im;
    strom_batch *b = NULL;
    CHECK_OK(strom_ipc_read_msg(msg->data, msg->len, &im, &err), &err);
    CHECK_OK(strom_ipc_decode_batch(&im, m->s, m->s, NULL, &b, &err), &err);
    if (!b)
        return NULL;
    int64_t want_rows = keep ? strom_popcount_bits(keep, m->rows) : m->rows;
    CHECK_EQ(b->rows, want_rows);
    int bad = 0;
    for (int c = 0; c < m->ncols && b->rows == want_rows; c++) {
        strom_type t = strom_schema_col_type(m->s, c);
        for (int64_t r = 0, i = 0; r < m->rows; r++) {
            if (keep && !strom_bit_get(keep, r))
                continue;
            strom_value got;
            strom_col_get(&b->cols[c], t, i++, &got);
            if (!same_value(&m->v[c][r], &got, t) && bad++ < 3)
                printf("  %s: col %d row %lld differs\n", what, c, (long long)r);
        }
        if (st) {
            int sb = check_col_stats(m, c, keep, &st->cols[c]);
            if (sb && bad++ < 3)
                printf("  %s: col %d stats differ (%d)\n", what, c, sb);
        }
    }
    CHECK_EQ(bad, 0);
    strom_ipc_batch_meta bm;
    CHECK_OK(strom_ipc_parse_batch_meta(&im, m->s, &bm, &err), &err);
    if (st && st->nbuffers == bm.nbuffers) {
        for (int k = 0, c = 0; k < bm.nbuffers; c++) {
            /* validity is stored only when there are nulls */
            CHECK_EQ(bm.buffers[k].length == 0, bm.nodes[c].null_count == 0);
            int nb = strom_type_is_varlen(strom_schema_col_type(m->s, c).id) ? 3 : 2;
            for (int j = 0; j < nb; j++, k++)
                CHECK_EQ(st->buffer_crc[k],
                         strom_crc32c(0, im.body + bm.buffers[k].offset,
                                      (size_t)bm.buffers[k].length));
        }
    } else if (st) {
        CHECK_EQ(st->nbuffers, bm.nbuffers);
    }
    strom_ipc_batch_meta_free(&bm);
    return b;
}

static void seal_check(strom_batch_builder *bb, const model *m, const uint8_t *keep,
                       strom_codec codec, const char *what)
{
    strom_buf msg = STROM_BUF_INIT;
    strom_batch_stats st;
    strom_error err;
    strom_seal_opts o = {codec, 0};
    CHECK_OK(strom_bb_seal(bb, &o, &msg, &st, &err), &err);
    CHECK_EQ(strom_bb_rows(bb), 0);
    strom_batch_free(check_sealed(m, &msg, keep, &st, what));
    strom_batch_stats_free(&st);
    strom_buf_free(&msg);
}

/* One value through the typed append function of its type. */
static int append_typed(strom_batch_builder *bb, int c, const strom_value *v)
{
    if (v->is_null)
        return strom_bb_append_null(bb, c);
    switch (v->type) {
    case STROM_TYPE_BOOLEAN: return strom_bb_append_bool(bb, c, v->u.b);
    case STROM_TYPE_FLOAT:
    case STROM_TYPE_DOUBLE: return strom_bb_append_double(bb, c, v->u.f);
    case STROM_TYPE_DECIMAL: return strom_bb_append_decimal(bb, c, v->u.d);
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES: return strom_bb_append_bytes(bb, c, v->u.s.ptr, v->u.s.len);
    default: return strom_bb_append_int(bb, c, v->u.i);
    }
}

static void model_round(model *m, int64_t rows, int pattern, strom_codec codec)
{
    strom_batch_builder *bb = strom_bb_new(m->s);
    strom_error err;
    model_fill(m, rows, pattern);
    /* 1. typed appends, column by column (appends to one column at a time are allowed) */
    for (int c = 0; c < m->ncols; c++)
        for (int64_t r = 0; r < rows; r++)
            CHECK_EQ(append_typed(bb, c, &m->v[c][r]), 0);
    seal_check(bb, m, NULL, codec, "typed");
    /* 2. strom_bb_append_value row by row, then 3. rows */
    for (int64_t r = 0; r < rows; r++)
        for (int c = 0; c < m->ncols; c++)
            CHECK_EQ(strom_bb_append_value(bb, c, &m->v[c][r]), 0);
    seal_check(bb, m, NULL, codec, "value");
    for (int64_t r = 0; r < rows; r++) {
        strom_value row[M_COLS];
        for (int c = 0; c < m->ncols; c++)
            row[c] = m->v[c][r];
        CHECK_OK(strom_bb_append_row(bb, row, &err), &err);
    }
    strom_buf src_msg = STROM_BUF_INIT;
    strom_batch_stats st;
    CHECK_OK(strom_bb_seal(bb, NULL, &src_msg, &st, &err), &err);
    strom_batch *src = check_sealed(m, &src_msg, NULL, &st, "row");
    strom_batch_stats_free(&st);
    if (!src)
        goto done;
    /* 4. whole columns in random pieces */
    for (int c = 0; c < m->ncols; c++)
        for (int64_t at = 0; at < rows;) {
            int64_t n = (int64_t)(rnd() % 70);
            n = n > rows - at ? rows - at : n;
            CHECK_EQ(strom_bb_append_column(bb, c, &src->cols[c], at, n), 0);
            at += n;
        }
    seal_check(bb, m, NULL, codec, "column");
    /* 5. a random selection (also empty and full), through append_selected and select */
    uint8_t keep[(M_MAXROWS + 7) / 8] = {0};
    int density = (int)(rnd() % 4); /* none, 1/8, 1/2, all */
    for (int64_t r = 0; r < rows; r++)
        if (density == 3 || (density == 1 && rnd() % 8 == 0) || (density == 2 && rnd() % 2))
            keep[r / 8] |= (uint8_t)(1u << (r % 8));
    for (int c = 0; c < m->ncols; c++)
        CHECK_EQ(strom_bb_append_selected(bb, c, &src->cols[c], keep), 0);
    seal_check(bb, m, keep, codec, "selected");
    int cols[M_COLS];
    for (int c = 0; c < m->ncols; c++)
        cols[c] = c;
    strom_buf out = STROM_BUF_INIT;
    strom_seal_opts o = {codec, 0};
    CHECK_OK(strom_batch_select(src, keep, cols, m->ncols, m->s, &o, &out, &st, &err), &err);
    strom_batch_free(check_sealed(m, &out, keep, &st, "select"));
    strom_batch_stats_free(&st);
    /* 6. whole-column encode, and statistics of a decoded batch */
    strom_buf_reset(&out);
    CHECK_OK(strom_batch_encode(m->s, src->cols, src->rows, &o, &out, &st, &err), &err);
    strom_batch_free(check_sealed(m, &out, NULL, &st, "encode"));
    strom_batch_stats_free(&st);
    CHECK_OK(strom_batch_compute_stats(src, &st, &err), &err);
    CHECK_EQ(st.nbuffers, 0);
    for (int c = 0; c < m->ncols; c++)
        CHECK_EQ(check_col_stats(m, c, NULL, &st.cols[c]), 0);
    strom_batch_stats_free(&st);
    strom_buf_free(&out);
    strom_batch_free(src);
done:
    strom_buf_free(&src_msg);
    strom_bb_free(bb);
}

/* Every null pattern (nullable schemas) and size through model_round, for a schema kind. */
static void model_rounds(strom_schema *(*schema_of)(bool nullable), const int64_t *sizes,
                         size_t nsizes)
{
    static model m; /* large: not on the stack */
    for (int nullable = 0; nullable < 2; nullable++) {
        m.s = schema_of(nullable);
        m.ncols = M_COLS;
        for (int p = 0; p < NP_COUNT; p++) {
            if (!nullable && p != NP_NONE)
                continue;
            for (size_t k = 0; k < nsizes; k++)
                model_round(&m, sizes[k], p, (strom_codec)((p + k) % 3));
        }
        strom_schema_free(m.s);
    }
}

TEST(model_every_path_type_null_pattern_codec)
{
    static const int64_t sizes[] = {0, 1, 7, 8, 9, 63, 64, 65, 200};
    model_rounds(model_schema, sizes, STROM_ARRAY_LEN(sizes));
}

/* Only 8-byte columns that take any value of their type (BIGINT, TIMESTAMP, TIMESTAMP_LTZ,
 * DOUBLE). */
static strom_schema *free8_schema(bool nullable)
{
    static const strom_type types[4] = {{STROM_TYPE_BIGINT, 0, 0}, {STROM_TYPE_TIMESTAMP, 0, 0},
                                        {STROM_TYPE_TIMESTAMP_LTZ, 0, 0},
                                        {STROM_TYPE_DOUBLE, 0, 0}};
    strom_schema *s = strom_schema_new(3);
    for (int i = 0; i < M_COLS; i++) {
        char name[8];
        snprintf(name, sizeof name, "f%d", i);
        strom_schema_add(s, name, types[i % 4], nullable, NULL);
    }
    return s;
}

/* strom_bb_append_row's fast path for such tables, left for the general one at the first
 * null of a column and when a buffer is full, through every append path. */
TEST(model_fast_row_path_of_8_byte_columns)
{
    static const int64_t sizes[] = {1, 9, 64, 200};
    model_rounds(free8_schema, sizes, STROM_ARRAY_LEN(sizes));
}

/* Special statistics cases, each checked exactly. */
TEST(stats_float_zero_nan_and_bounds)
{
    strom_schema *s = strom_schema_new(1);
    strom_schema_add(s, "d", strom_type_of(STROM_TYPE_DOUBLE), true, NULL);
    strom_schema_add(s, "b", strom_type_of(STROM_TYPE_BOOLEAN), true, NULL);
    strom_schema_add(s, "s", strom_type_of(STROM_TYPE_STRING), true, NULL);
    strom_batch_builder *bb = strom_bb_new(s);
    strom_buf out = STROM_BUF_INIT;
    strom_batch_stats st;
    strom_error err;
    /* -0.0 and +0.0 are equal: min and max compare equal to 0 and to each other */
    double zs[] = {0.0, -0.0, -0.0, 0.0};
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(strom_bb_append_double(bb, 0, zs[i]), 0);
        CHECK_EQ(strom_bb_append_bool(bb, 1, true), 0);
        CHECK_EQ(strom_bb_append_bytes(bb, 2, "", 0), 0);
    }
    CHECK_OK(strom_bb_seal(bb, NULL, &out, &st, &err), &err);
    CHECK(st.cols[0].min.u.f == 0.0 && st.cols[0].max.u.f == 0.0);
    CHECK(st.cols[1].min.u.b && st.cols[1].max.u.b); /* only true */
    CHECK(st.cols[2].has_min && st.cols[2].min.u.s.len == 0 && st.cols[2].max.u.s.len == 0);
    CHECK(st.cols[2].min_exact && st.cols[2].max_exact);
    strom_batch_stats_free(&st);
    /* NaN only: min = max = NaN; with -inf: min -inf, max NaN */
    strom_buf_reset(&out);
    CHECK_EQ(strom_bb_append_double(bb, 0, NAN), 0);
    CHECK_EQ(strom_bb_append_double(bb, 0, -INFINITY), 0);
    CHECK_EQ(strom_bb_append_null(bb, 0), 0);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(strom_bb_append_null(bb, 1), 0);
    /* exactly 64 bytes: kept exact; a 65-byte max ending in 0xFF 0xFF: cut and bumped */
    uint8_t s64[64], s65[65];
    memset(s64, 'm', sizeof s64);
    memset(s65, 'm', sizeof s65);
    s65[62] = 0x7F; /* stays < 0x80, so it is still UTF-8 */
    CHECK_EQ(strom_bb_append_bytes(bb, 2, s64, 64), 0);
    CHECK_EQ(strom_bb_append_bytes(bb, 2, s65, 65), 0);
    CHECK_EQ(strom_bb_append_null(bb, 2), 0);
    CHECK_OK(strom_bb_seal(bb, NULL, &out, &st, &err), &err);
    CHECK(st.cols[0].min.u.f == -INFINITY && isnan(st.cols[0].max.u.f));
    CHECK_EQ(st.cols[0].null_count, 1);
    CHECK(!st.cols[1].has_min && !st.cols[1].has_max && st.cols[1].null_count == 3);
    CHECK(st.cols[2].min_exact && st.cols[2].min.u.s.len == 64);
    /* max = s65 ("m"*62 0x7F 'm' 'm'), cut to 64 = "m"*62 0x7F 'm', last byte bumped */
    CHECK(!st.cols[2].max_exact && st.cols[2].has_max && st.cols[2].max.u.s.len == 64);
    CHECK(st.cols[2].max_bytes[63] == 'm' + 1 && st.cols[2].max_bytes[62] == 0x7F);
    strom_batch_stats_free(&st);
    strom_buf_free(&out);
    strom_bb_free(bb);
    strom_schema_free(s);
}

/* Seals two builders and checks the messages are byte-identical. */
static void check_same_seal(strom_batch_builder *a, strom_batch_builder *b)
{
    strom_buf x = STROM_BUF_INIT, y = STROM_BUF_INIT;
    strom_error err;
    CHECK_OK(strom_bb_seal(a, NULL, &x, NULL, &err), &err);
    CHECK_OK(strom_bb_seal(b, NULL, &y, NULL, &err), &err);
    CHECK(x.len == y.len && memcmp(x.data, y.data, x.len) == 0);
    strom_buf_free(&x);
    strom_buf_free(&y);
}

TEST(bulk_errors_leave_the_builder_unchanged)
{
    strom_schema *s = strom_schema_new(1);
    strom_schema_add(s, "nn", strom_type_of(STROM_TYPE_STRING), false, NULL);
    strom_schema_add(s, "d", strom_type_decimal(3, 0), true, NULL);
    strom_schema_add(s, "s", strom_type_of(STROM_TYPE_STRING), true, NULL);
    strom_schema_add(s, "i", strom_type_of(STROM_TYPE_INT), false, NULL);
    /* source views: 4 rows, row 2 null; row 3 of the strings is not UTF-8 */
    const char *txt = "aabb\xff\xfe" "cc\xc3";
    int32_t off[5] = {0, 2, 4, 6, 9};
    uint8_t valid = 0x0B, all = 0x0F;
    strom_i128 dec[4] = {999, -999, 123456, 1000}; /* rows 2 (null) and 3 too wide */
    int32_t ints[4] = {1, 2, 3, 4};
    strom_col_view vs = {4, 1, &valid, (const uint8_t *)txt, off, 9};
    strom_col_view vd = {4, 1, &valid, (const uint8_t *)dec, NULL, 64};
    strom_col_view vi = {4, 1, &valid, (const uint8_t *)ints, NULL, 16};
    strom_batch_builder *a = strom_bb_new(s), *b = strom_bb_new(s);
    /* the same successful history in both; the failures only in a */
    CHECK_EQ(strom_bb_append_column(a, 0, &vs, 0, 0), 0); /* 0 rows: a no-op */
    CHECK_EQ(strom_bb_append_bytes(a, 0, "x", 1), 0);
    CHECK_EQ(strom_bb_append_bytes(b, 0, "x", 1), 0);
    size_t bytes = strom_bb_bytes(a);
    /* NOT NULL: a null in the range / in the selection */
    CHECK_EQ(strom_bb_append_column(a, 0, &vs, 1, 2), STROM_EINVAL);
    CHECK_EQ(strom_bb_append_selected(a, 0, &vs, &all), STROM_EINVAL);
    CHECK_EQ(strom_bb_append_column(a, 3, &vi, 0, 4), STROM_EINVAL);
    CHECK_EQ(strom_bb_append_selected(a, 3, &vi, &all), STROM_EINVAL);
    /* ... but rows without the null go in */
    uint8_t no_null = 0x03;
    CHECK_EQ(strom_bb_append_selected(a, 0, &vs, &no_null), 0);
    CHECK_EQ(strom_bb_append_selected(b, 0, &vs, &no_null), 0);
    /* DECIMAL(3): row 3 is too wide; row 2 is too but it is null, which does not count */
    CHECK_EQ(strom_bb_append_column(a, 1, &vd, 0, 4), STROM_ERANGE);
    CHECK_EQ(strom_bb_append_selected(a, 1, &vd, &all), STROM_ERANGE);
    CHECK_EQ(strom_bb_append_column(a, 1, &vd, 0, 3), 0);
    CHECK_EQ(strom_bb_append_column(b, 1, &vd, 0, 3), 0);
    /* STRING: row 3 is not UTF-8; row 2's bytes are not either, but it is null */
    CHECK_EQ(strom_bb_append_column(a, 2, &vs, 0, 4), STROM_EINVAL);
    CHECK_EQ(strom_bb_append_selected(a, 2, &vs, &all), STROM_EINVAL);
    CHECK_EQ(strom_bb_append_column(a, 2, &vs, 1, 2), 0);
    CHECK_EQ(strom_bb_append_column(b, 2, &vs, 1, 2), 0);
    /* bad ranges and views */
    CHECK_EQ(strom_bb_append_column(a, 2, &vs, 3, 2), STROM_EINVAL);
    CHECK_EQ(strom_bb_append_column(a, 2, &vs, -1, 1), STROM_EINVAL);
    CHECK_EQ(strom_bb_append_column(a, 2, &vs, INT64_MAX, INT64_MAX), STROM_EINVAL);
    CHECK_EQ(strom_bb_append_column(a, 4, &vs, 0, 1), STROM_EINVAL);
    CHECK_EQ(strom_bb_append_selected(a, 2, &vs, NULL), STROM_EINVAL);
    strom_col_view broken = vs;
    broken.validity = NULL;
    CHECK_EQ(strom_bb_append_column(a, 2, &broken, 0, 1), STROM_EINVAL);
    CHECK(strom_bb_bytes(a) > bytes);
    CHECK_EQ(strom_bb_bytes(a), strom_bb_bytes(b));
    /* bring every column to 3 rows in both, then compare the sealed bytes */
    uint8_t two = 0x03;
    for (int i = 0; i < 2; i++) {
        strom_batch_builder *x = i ? b : a;
        CHECK_EQ(strom_bb_append_selected(x, 3, &vi, &two), 0);
        CHECK_EQ(strom_bb_append_int(x, 3, 7), 0);
        CHECK_EQ(strom_bb_append_null(x, 2), 0);
    }
    CHECK_EQ(strom_bb_rows(a), 3);
    check_same_seal(a, b);
    strom_bb_free(a);
    strom_bb_free(b);
    strom_schema_free(s);
}

TEST(select_checks_the_output_schema)
{
    strom_schema *s = all_types();
    strom_buf msg = STROM_BUF_INIT, out = STROM_BUF_INIT;
    strom_error err;
    strom_batch *src = source(s, 20, true, &msg);
    uint8_t sel[3] = {0xFF, 0, 0x0F};
    int cols[2] = {3, 4}; /* INT, BIGINT */
    int swapped[2] = {4, 3};
    strom_schema *ps = strom_schema_project(s, cols, 2);
    if (src) {
        CHECK_EQ(strom_batch_select(src, sel, swapped, 2, ps, NULL, &out, NULL, &err),
                 STROM_EINVAL);
        CHECK(strstr(err.msg, "BIGINT") != NULL);
        CHECK_EQ(strom_batch_select(src, NULL, swapped, 2, ps, NULL, &out, NULL, &err),
                 STROM_EINVAL);
        CHECK_EQ(strom_batch_select(src, sel, cols, 1, ps, NULL, &out, NULL, &err),
                 STROM_EINVAL);
        int bad[2] = {3, 99};
        CHECK_EQ(strom_batch_select(src, sel, bad, 2, ps, NULL, &out, NULL, &err), STROM_ERANGE);
        CHECK_EQ(out.len, 0u);
        /* a NOT NULL output column refuses selected nulls, accepts a selection without */
        strom_schema *nn = strom_schema_new(1);
        strom_schema_add(nn, "c3", strom_type_of(STROM_TYPE_INT), false, NULL);
        CHECK_EQ(strom_batch_select(src, sel, cols, 1, nn, NULL, &out, NULL, &err),
                 STROM_EINVAL);
        uint8_t valid_only[3] = {0};
        for (int r = 0; r < 20; r++)
            if (!strom_col_is_null(&src->cols[3], r))
                valid_only[r / 8] |= (uint8_t)(1u << (r % 8));
        CHECK_OK(strom_batch_select(src, valid_only, cols, 1, nn, NULL, &out, NULL, &err),
                 &err);
        strom_schema_free(nn);
    }
    strom_schema_free(ps);
    strom_batch_free(src);
    strom_buf_free(&msg);
    strom_buf_free(&out);
    strom_schema_free(s);
}

TEST(zero_rows_and_zero_columns)
{
    strom_schema *s = all_types();
    strom_error err;
    for (int codec = 0; codec < 3; codec++) {
        strom_batch_builder *bb = strom_bb_new(s);
        strom_buf out = STROM_BUF_INIT;
        strom_batch_stats st;
        strom_seal_opts o = {(strom_codec)codec, 0};
        CHECK_OK(strom_bb_seal(bb, &o, &out, &st, &err), &err);
        CHECK_EQ(st.rows, 0);
        CHECK_EQ(st.ncols, 14);
        CHECK_EQ(st.nbuffers, 12 * 2 + 2 * 3);
        for (int c = 0; c < st.ncols; c++)
            CHECK(!st.cols[c].has_min && !st.cols[c].has_max && st.cols[c].null_count == 0);
        strom_ipc_msg m;
        strom_batch *b = NULL;
        CHECK_OK(strom_ipc_read_msg(out.data, out.len, &m, &err), &err);
        CHECK_EQ(out.len % 8, 0u);
        CHECK_OK(strom_ipc_decode_batch(&m, s, s, NULL, &b, &err), &err);
        CHECK_EQ(b ? b->rows : -1, 0);
        strom_batch_free(b);
        strom_batch_stats_free(&st);
        strom_buf_free(&out);
        strom_bb_free(bb);
    }
    strom_schema *none = strom_schema_new(1);
    strom_batch_builder *bb = strom_bb_new(none);
    strom_buf out = STROM_BUF_INIT;
    CHECK_OK(strom_bb_seal(bb, NULL, &out, NULL, &err), &err);
    CHECK(out.len > 0);
    strom_buf_free(&out);
    strom_bb_free(bb);
    strom_schema_free(none);
    strom_schema_free(s);
}

int main(void)
{
    RUN_TEST(every_type_by_row_round_trips_each_codec);
    RUN_TEST(append_column_in_pieces_equals_rows);
    RUN_TEST(encode_whole_columns_equals_builder);
    RUN_TEST(append_selected_and_select);
    RUN_TEST(errors_leave_the_builder_unchanged);
    RUN_TEST(statistics_edge_cases);
    RUN_TEST(model_every_path_type_null_pattern_codec);
    RUN_TEST(model_fast_row_path_of_8_byte_columns);
    RUN_TEST(stats_float_zero_nan_and_bounds);
    RUN_TEST(bulk_errors_leave_the_builder_unchanged);
    RUN_TEST(select_checks_the_output_schema);
    RUN_TEST(zero_rows_and_zero_columns);
    return TEST_EXIT();
}
