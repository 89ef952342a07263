/*
 * test_parquet.c: the Parquet writer (src/lake): the worked example of the Parquet notes
 * (../shared/specs/parquet.md §9, checked there against DuckDB) is reproduced byte for byte;
 * files read back by their footer shape (row groups, sizes); bad input refused.
 * DuckDB's reading of every type and codec is in tests/interop/parquet.mjs.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "columnar/batch.h"
#include "columnar/ipc.h"
#include "common/fs.h"
#include "columnar/value.h"
#include "lake/parquet.h"
#include "test.h"

/* Writes the rows of builder bb (schema s) with options o into path; returns the bytes. */
static strom_buf write_file(const char *path, const strom_schema *s, strom_batch_builder *bb,
                            const strom_pq_opts *o)
{
    strom_error err;
    strom_buf msg = STROM_BUF_INIT, bytes = STROM_BUF_INIT;
    CHECK_OK(strom_bb_seal(bb, NULL, &msg, NULL, &err), &err);
    strom_ipc_msg m;
    strom_batch *b = NULL;
    CHECK_OK(strom_ipc_read_msg(msg.data, msg.len, &m, &err), &err);
    CHECK_OK(strom_ipc_decode_batch(&m, s, s, NULL, &b, &err), &err);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    strom_pq_writer *w;
    CHECK_OK(strom_pq_writer_open(fd, s, o, &w, &err), &err);
    CHECK_OK(strom_pq_write(w, b, &err), &err);
    CHECK_OK(strom_pq_writer_close(w, &err), &err);
    close(fd);
    char *text;
    size_t n;
    CHECK_OK(strom_read_file(path, 1 << 26, &text, &n, &err), &err);
    strom_buf_append(&bytes, text, n);
    free(text);
    strom_batch_free(b);
    strom_buf_free(&msg);
    return bytes;
}

TEST(the_worked_example_byte_for_byte)
{
    strom_schema *s = strom_schema_new(1);
    strom_schema_add(s, "id", strom_type_of(STROM_TYPE_INT), false, NULL);
    strom_schema_add(s, "name", strom_type_of(STROM_TYPE_STRING), true, NULL);
    strom_batch_builder *bb = strom_bb_new(s);
    strom_bb_append_int(bb, 0, 1);
    strom_bb_append_bytes(bb, 1, "a", 1);
    strom_bb_append_int(bb, 0, 2);
    strom_bb_append_null(bb, 1);
    strom_bb_append_int(bb, 0, 3);
    strom_bb_append_bytes(bb, 1, "ccc", 3);
    strom_pq_opts o;
    strom_pq_opts_default(&o);
    o.codec = STROM_PQ_UNCOMPRESSED;
    o.dictionary = false;
    o.created_by = "example-c-writer version 0.1";
    int32_t ids[2] = {0, 1};
    o.field_ids = ids;
    char path[512];
    snprintf(path, sizeof path, "%s/example.parquet", STROM_TEST_TMP);
    strom_mkdirs(STROM_TEST_TMP, NULL);
    strom_buf got = write_file(path, s, bb, &o);
    char vec[512], *want;
    size_t n;
    strom_error err;
    snprintf(vec, sizeof vec, "%s/example.parquet", STROM_VECTORS_DIR);
    CHECK_OK(strom_read_file(vec, 1 << 20, &want, &n, &err), &err);
    CHECK_EQ(got.len, n);
    size_t first = 0;
    while (first < n && first < got.len && got.data[first] == (uint8_t)want[first])
        first++;
    if (first < n)
        printf("  first difference at byte %zu (0x%zx)\n", first, first);
    CHECK_EQ(first, n);
    free(want);
    strom_buf_free(&got);
    strom_bb_free(bb);
    strom_schema_free(s);
}

/* 2 500 rows in row groups of 1 000 with a dictionary-encoded column: the file's frame and
 * the footer's row count (DuckDB checks the row groups in tests/interop/parquet.mjs). */
TEST(row_groups_and_footer)
{
    strom_schema *s = strom_schema_new(1);
    strom_schema_add(s, "k", strom_type_of(STROM_TYPE_BIGINT), false, NULL);
    strom_schema_add(s, "v", strom_type_of(STROM_TYPE_STRING), true, NULL);
    strom_batch_builder *bb = strom_bb_new(s);
    for (int i = 0; i < 2500; i++) {
        char t[16];
        int len = snprintf(t, sizeof t, "v%d", i % 7); /* 7 distinct: a dictionary */
        strom_bb_append_int(bb, 0, i);
        if (i % 5)
            strom_bb_append_bytes(bb, 1, t, (size_t)len);
        else
            strom_bb_append_null(bb, 1);
    }
    strom_pq_opts o;
    strom_pq_opts_default(&o);
    o.row_group_rows = 1000;
    char path[512];
    snprintf(path, sizeof path, "%s/groups.parquet", STROM_TEST_TMP);
    strom_buf got = write_file(path, s, bb, &o);
    CHECK(got.len > 12);
    CHECK_MEM(got.data, "PAR1", 4);
    CHECK_MEM(got.data + got.len - 4, "PAR1", 4);
    uint32_t flen;
    memcpy(&flen, got.data + got.len - 8, 4);
    CHECK(flen > 0 && flen < got.len - 12);
    /* the footer's num_rows (field 3, i64: zigzag(2500) = 5000 = varint 88 27) */
    const uint8_t *f = got.data + got.len - 8 - flen;
    bool rows = false;
    for (uint32_t i = 0; i + 2 < flen; i++)
        rows = rows || (f[i] == 0x16 && f[i + 1] == 0x88 && f[i + 2] == 0x27);
    CHECK(rows);
    strom_buf_free(&got);
    /* a NOT NULL column given a null */
    strom_error err;
    strom_schema *s2 = strom_schema_new(1);
    strom_schema_add(s2, "k", strom_type_of(STROM_TYPE_BIGINT), true, NULL);
    strom_batch_builder *b2 = strom_bb_new(s2);
    strom_bb_append_null(b2, 0);
    strom_buf msg = STROM_BUF_INIT;
    CHECK_OK(strom_bb_seal(b2, NULL, &msg, NULL, &err), &err);
    strom_ipc_msg m;
    strom_batch *b = NULL;
    CHECK_OK(strom_ipc_read_msg(msg.data, msg.len, &m, &err), &err);
    CHECK_OK(strom_ipc_decode_batch(&m, s2, s2, NULL, &b, &err), &err);
    int fd = open(path, O_WRONLY | O_TRUNC);
    strom_pq_writer *w;
    CHECK_OK(strom_pq_writer_open(fd, s, &o, &w, &err), &err);
    CHECK_EQ(strom_pq_write(w, b, &err), STROM_EINVAL); /* k is NOT NULL in the file */
    strom_pq_writer_abort(w);
    close(fd);
    strom_batch_free(b);
    strom_buf_free(&msg);
    strom_bb_free(b2);
    strom_schema_free(s2);
    strom_bb_free(bb);
    strom_schema_free(s);
}

/* Reads every row group of the file bytes into one decoded batch of its schema. */
static strom_batch *read_all(const uint8_t *p, size_t n, strom_pq_file **fout, strom_buf *msg,
                             strom_error *err)
{
    strom_pq_file *f;
    if (strom_pq_open(p, n, &f, err) < 0)
        return NULL;
    strom_batch_builder *bb = strom_bb_new(strom_pq_schema(f));
    int rc = 0;
    for (int g = 0; rc == 0 && g < strom_pq_groups(f); g++)
        rc = strom_pq_read_group(f, g, bb, err);
    strom_batch *b = NULL;
    strom_ipc_msg m;
    if (rc == 0 && (rc = strom_bb_seal(bb, NULL, msg, NULL, err)) == 0 &&
        (rc = strom_ipc_read_msg(msg->data, msg->len, &m, err)) == 0)
        rc = strom_ipc_decode_batch(&m, strom_pq_schema(f), strom_pq_schema(f), NULL, &b, err);
    strom_bb_free(bb);
    if (rc != 0) {
        strom_pq_close(f);
        return NULL;
    }
    *fout = f;
    return b;
}

TEST(the_reader_reads_the_example)
{
    char vec[512], *data;
    size_t n;
    strom_error err;
    snprintf(vec, sizeof vec, "%s/example.parquet", STROM_VECTORS_DIR);
    CHECK_OK(strom_read_file(vec, 1 << 20, &data, &n, &err), &err);
    strom_pq_file *f = NULL;
    strom_buf msg = STROM_BUF_INIT;
    strom_batch *b = read_all((const uint8_t *)data, n, &f, &msg, &err);
    CHECK(b != NULL);
    if (!b)
        printf("  example.parquet: %s\n", err.msg);
    if (b) {
        const strom_schema *s = strom_pq_schema(f);
        CHECK_STR(strom_schema_col_name(s, 0), "id");
        CHECK_EQ(strom_schema_col_type(s, 0).id, STROM_TYPE_INT);
        CHECK(!strom_schema_col_nullable(s, 0));
        CHECK_EQ(strom_schema_col_type(s, 1).id, STROM_TYPE_STRING);
        CHECK(strom_schema_col_nullable(s, 1));
        CHECK_EQ(b->rows, 3);
        strom_value v;
        strom_col_get(&b->cols[0], strom_type_of(STROM_TYPE_INT), 2, &v);
        CHECK_EQ(v.u.i, 3);
        strom_col_get(&b->cols[1], strom_type_of(STROM_TYPE_STRING), 1, &v);
        CHECK(v.is_null);
        strom_col_get(&b->cols[1], strom_type_of(STROM_TYPE_STRING), 2, &v);
        CHECK(v.u.s.len == 3 && !memcmp(v.u.s.ptr, "ccc", 3));
        strom_batch_free(b);
        strom_pq_close(f);
    }
    /* every truncation and every flipped byte of the footer: an error or a read, no crash
     * (ASan and UBSan watch) */
    for (size_t k = 0; k < n; k++) {
        strom_buf m2 = STROM_BUF_INIT;
        strom_pq_file *g = NULL;
        strom_batch *x = read_all((const uint8_t *)data, k, &g, &m2, &err);
        CHECK(x == NULL);
        strom_buf_free(&m2);
        data[k] ^= 0x5a;
        x = read_all((const uint8_t *)data, n, &g, &m2, &err);
        if (x) {
            strom_batch_free(x);
            strom_pq_close(g);
        }
        strom_buf_free(&m2);
        data[k] ^= 0x5a;
    }
    strom_buf_free(&msg);
    free(data);
}

/* Every strom type, with nulls, through every codec and both encodings: read back equal. */
TEST(write_read_round_trip)
{
    strom_schema *s = strom_schema_new(1);
    static const strom_type_id ids[] = {STROM_TYPE_BOOLEAN, STROM_TYPE_TINYINT,
                                        STROM_TYPE_SMALLINT, STROM_TYPE_INT, STROM_TYPE_BIGINT,
                                        STROM_TYPE_FLOAT, STROM_TYPE_DOUBLE, STROM_TYPE_STRING,
                                        STROM_TYPE_BYTES, STROM_TYPE_DATE, STROM_TYPE_TIME,
                                        STROM_TYPE_TIMESTAMP, STROM_TYPE_TIMESTAMP_LTZ};
    int nt = (int)(sizeof ids / sizeof ids[0]);
    for (int i = 0; i < nt; i++) {
        char name[8];
        snprintf(name, sizeof name, "c%d", i);
        strom_schema_add(s, name, strom_type_of(ids[i]), i != 4, NULL);
    }
    strom_schema_add(s, "d9", strom_type_decimal(9, 2), true, NULL);
    strom_schema_add(s, "d18", strom_type_decimal(18, 4), true, NULL);
    strom_schema_add(s, "d38", strom_type_decimal(38, 10), true, NULL);
    int ncols = strom_schema_ncols(s);
    strom_batch_builder *bb = strom_bb_new(s);
    const int rows = 3000;
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < ncols; c++) {
            strom_type t = strom_schema_col_type(s, c);
            if (c != 4 && (r * 7 + c) % 11 == 0) {
                strom_bb_append_null(bb, c);
                continue;
            }
            int64_t x = (int64_t)((r * 2654435761u + (unsigned)c) % 1000) - 500;
            switch (t.id) {
            case STROM_TYPE_BOOLEAN: strom_bb_append_bool(bb, c, x & 1); break;
            case STROM_TYPE_TINYINT: strom_bb_append_int(bb, c, x % 128); break;
            case STROM_TYPE_SMALLINT: strom_bb_append_int(bb, c, x * 60); break;
            case STROM_TYPE_FLOAT:
            case STROM_TYPE_DOUBLE: strom_bb_append_double(bb, c, (double)x / 4); break;
            case STROM_TYPE_STRING:
            case STROM_TYPE_BYTES: {
                char txt[32];
                int len = snprintf(txt, sizeof txt, "v%lld", (long long)(x % 37));
                strom_bb_append_bytes(bb, c, txt, (size_t)(r % 5 ? len : 0));
                break;
            }
            case STROM_TYPE_TIME: strom_bb_append_int(bb, c, (x + 500) * 1000003); break;
            case STROM_TYPE_DECIMAL: {
                strom_i128 d = x;
                if (t.precision == 38)
                    d = d * (strom_i128)1000000000000000000 * 1000000000;
                strom_bb_append_decimal(bb, c, d);
                break;
            }
            default: strom_bb_append_int(bb, c, c == 4 ? r : x * 1000); break;
            }
        }
    }
    static const strom_pq_codec codecs[] = {STROM_PQ_UNCOMPRESSED, STROM_PQ_SNAPPY, STROM_PQ_ZSTD};
    strom_error err;
    strom_buf msg = STROM_BUF_INIT;
    CHECK_OK(strom_bb_seal(bb, NULL, &msg, NULL, &err), &err);
    strom_ipc_msg m;
    strom_batch *in = NULL;
    CHECK_OK(strom_ipc_read_msg(msg.data, msg.len, &m, &err), &err);
    CHECK_OK(strom_ipc_decode_batch(&m, s, s, NULL, &in, &err), &err);
    for (int ci = 0; ci < 3; ci++)
        for (int dict = 0; dict <= 1; dict++) {
            char path[512];
            snprintf(path, sizeof path, "%s/rt-%d-%d.parquet", STROM_TEST_TMP, ci, dict);
            int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            strom_pq_opts o;
            strom_pq_opts_default(&o);
            o.codec = codecs[ci];
            o.dictionary = dict;
            o.row_group_rows = 700;
            strom_pq_writer *w;
            CHECK_OK(strom_pq_writer_open(fd, s, &o, &w, &err), &err);
            CHECK_OK(strom_pq_write(w, in, &err), &err);
            CHECK_OK(strom_pq_writer_close(w, &err), &err);
            close(fd);
            char *data;
            size_t n;
            CHECK_OK(strom_read_file(path, 1 << 26, &data, &n, &err), &err);
            strom_pq_file *f = NULL;
            strom_buf m2 = STROM_BUF_INIT;
            strom_batch *out = read_all((const uint8_t *)data, n, &f, &m2, &err);
            CHECK(out != NULL);
            if (!out) {
                printf("  %s: %s\n", path, err.msg);
                free(data);
                continue;
            }
            CHECK_EQ(strom_pq_groups(f), 5);
            CHECK(strom_schema_equal(strom_pq_schema(f), s));
            int64_t bad = 0;
            for (int c = 0; c < ncols; c++)
                for (int64_t r = 0; r < rows; r++) {
                    strom_value a, b2;
                    strom_col_get(&in->cols[c], strom_schema_col_type(s, c), r, &a);
                    strom_col_get(&out->cols[c], strom_schema_col_type(s, c), r, &b2);
                    bad += a.is_null != b2.is_null ||
                           (!a.is_null && strom_value_cmp(&a, &b2) != 0);
                }
            CHECK_EQ(bad, 0);
            strom_batch_free(out);
            strom_pq_close(f);
            strom_buf_free(&m2);
            free(data);
        }
    strom_batch_free(in);
    strom_buf_free(&msg);
    strom_bb_free(bb);
    strom_schema_free(s);
}

int main(void)
{
    RUN_TEST(the_worked_example_byte_for_byte);
    RUN_TEST(row_groups_and_footer);
    RUN_TEST(the_reader_reads_the_example);
    RUN_TEST(write_read_round_trip);
    return TEST_EXIT();
}
