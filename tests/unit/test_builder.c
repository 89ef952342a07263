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

int main(void)
{
    RUN_TEST(every_type_by_row_round_trips_each_codec);
    RUN_TEST(append_column_in_pieces_equals_rows);
    RUN_TEST(encode_whole_columns_equals_builder);
    RUN_TEST(append_selected_and_select);
    RUN_TEST(errors_leave_the_builder_unchanged);
    RUN_TEST(statistics_edge_cases);
    return TEST_EXIT();
}
