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

int main(void)
{
    RUN_TEST(the_worked_example_byte_for_byte);
    RUN_TEST(row_groups_and_footer);
    return TEST_EXIT();
}
