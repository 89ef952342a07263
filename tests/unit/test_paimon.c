/*
 * test_paimon.c: Paimon metadata (src/lake/paimon.c): BinaryRow byte for byte against the
 * examples of the Paimon notes (../shared/specs/paimon.md §7, taken from Java-written files)
 * and round trips of every type; the reference warehouse (tests/vectors/paimon_warehouse)
 * read back; tables strom commits read back (snapshots, properties, files, stats), commit
 * conflicts, and damaged metadata refused with a clear error. avrocat and DuckDB reading
 * what strom writes is in tests/interop/paimon.mjs.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "columnar/batch.h"
#include "columnar/ipc.h"
#include "columnar/value.h"
#include "common/fs.h"
#include "lake/paimon.h"
#include "lake/parquet.h"
#include "test.h"

static strom_value ival(strom_type_id t, int64_t v)
{
    strom_value x = { .type = t };
    x.u.i = v;
    return x;
}

static strom_value sval(const char *s)
{
    strom_value x = { .type = STROM_TYPE_STRING };
    x.u.s.ptr = (const uint8_t *)s;
    x.u.s.len = (uint32_t)strlen(s);
    return x;
}

static void check_row(const strom_type *types, const strom_value *vals, int n,
                      const uint8_t *want, size_t wn)
{
    strom_buf b = STROM_BUF_INIT;
    strom_error err;
    CHECK_OK(strom_binrow_encode(&b, types, vals, n, &err), &err);
    CHECK_EQ(b.len, wn);
    if (b.len == wn)
        CHECK_MEM(b.data, want, wn);
    strom_buf_free(&b);
}

TEST(binary_rows_as_java_writes_them)
{
    strom_type is[2] = { strom_type_of(STROM_TYPE_INT), strom_type_of(STROM_TYPE_STRING) };
    strom_value v[2] = { ival(STROM_TYPE_INT, 1), sval("a") };
    static const uint8_t r1[] = { 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                                  0x61, 0, 0, 0, 0, 0, 0, 0x81 };
    check_row(is, v, 2, r1, sizeof r1);
    v[0] = ival(STROM_TYPE_INT, 3);
    v[1] = sval("ccc");
    static const uint8_t r2[] = { 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0,
                                  0x63, 0x63, 0x63, 0, 0, 0, 0, 0x83 };
    check_row(is, v, 2, r2, sizeof r2);
    strom_type st = strom_type_of(STROM_TYPE_STRING);
    strom_value hv = sval("hello paimon!");
    static const uint8_t r3[] = { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x0d, 0, 0, 0, 0x10, 0,
                                  0, 0, 'h', 'e', 'l', 'l', 'o', ' ', 'p', 'a', 'i', 'm', 'o',
                                  'n', '!', 0, 0, 0 };
    check_row(&st, &hv, 1, r3, sizeof r3);
    static const uint8_t r4[12] = { 0 };
    check_row(NULL, NULL, 0, r4, sizeof r4);
    /* a null field: its bit (i + 8) set, its slot zero */
    strom_value nv[2] = { ival(STROM_TYPE_INT, 7), { .type = STROM_TYPE_STRING, .is_null = true } };
    static const uint8_t r5[] = { 0, 0, 0, 2, 0, 0x02, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0,
                                  0, 0, 0, 0, 0, 0, 0, 0 };
    check_row(is, nv, 2, r5, sizeof r5);
}

TEST(binary_rows_round_trip_every_type)
{
    strom_type t[14] = {
        strom_type_of(STROM_TYPE_BOOLEAN), strom_type_of(STROM_TYPE_TINYINT),
        strom_type_of(STROM_TYPE_SMALLINT), strom_type_of(STROM_TYPE_INT),
        strom_type_of(STROM_TYPE_BIGINT), strom_type_of(STROM_TYPE_FLOAT),
        strom_type_of(STROM_TYPE_DOUBLE), strom_type_decimal(10, 2), strom_type_decimal(38, 4),
        strom_type_of(STROM_TYPE_STRING), strom_type_of(STROM_TYPE_BYTES),
        strom_type_of(STROM_TYPE_DATE), strom_type_of(STROM_TYPE_TIMESTAMP),
        strom_type_of(STROM_TYPE_TIMESTAMP_LTZ),
    };
    strom_value v[14];
    memset(v, 0, sizeof v);
    for (int i = 0; i < 14; i++)
        v[i].type = t[i].id;
    v[0].u.b = true;
    v[1].u.i = -5;
    v[2].u.i = -30000;
    v[3].u.i = -2000000000;
    v[4].u.i = INT64_MIN + 1;
    v[5].u.f = -1.5;
    v[6].u.f = 3.25e300;
    v[7].u.d = -123456789;
    v[8].u.d = -((strom_i128)1 << 100) - 12345;
    v[9] = sval("a string longer than seven bytes");
    v[10] = sval("bytes!!");
    v[10].type = STROM_TYPE_BYTES;
    v[11].u.i = -719162;
    v[12].u.i = -1;            /* one microsecond before the epoch */
    v[13].u.i = 1700000000123456;
    strom_buf b = STROM_BUF_INIT;
    strom_error err;
    CHECK_OK(strom_binrow_encode(&b, t, v, 14, &err), &err);
    CHECK_EQ(b.len % 8, 4);
    strom_value back[14];
    int arity = 0;
    CHECK_OK(strom_binrow_decode(b.data, b.len, t, 14, back, &arity, &err), &err);
    CHECK_EQ(arity, 14);
    for (int i = 0; i < 14; i++) {
        CHECK(!back[i].is_null);
        CHECK_EQ(strom_value_cmp(&v[i], &back[i]), 0);
    }
    /* every truncation is refused or decoded within bounds, never read past the end */
    for (size_t n = 0; n < b.len; n++) {
        uint8_t *copy = malloc(n + 1);
        memcpy(copy, b.data, n);
        int rc = strom_binrow_decode(copy, n, t, 14, back, &arity, &err);
        CHECK(rc < 0);
        free(copy);
    }
    strom_buf_free(&b);
}

TEST(the_reference_warehouse_reads)
{
    char dir[512];
    strom_error err;
    snprintf(dir, sizeof dir, "%s/paimon_warehouse/default.db/t", STROM_VECTORS_DIR);
    strom_lake *t;
    CHECK_OK(strom_lake_open(dir, false, &t, &err), &err);
    strom_lake_snapshot s;
    CHECK_OK(strom_lake_latest(t, &s, &err), &err);
    CHECK_EQ(s.id, 1);
    CHECK_EQ(s.total_rows, 3);
    strom_lake_schema ls;
    CHECK_OK(strom_lake_read_schema(t, 0, &ls, &err), &err);
    CHECK_EQ(strom_schema_ncols(ls.schema), 2);
    CHECK_EQ(ls.buckets, -1);
    CHECK_EQ(ls.partition_col, -1);
    CHECK(!strom_schema_col_nullable(ls.schema, 0));
    strom_lake_schema_free(&ls);
    strom_lake_file *f = NULL;
    int n = 0;
    CHECK_OK(strom_lake_files(t, &s, &f, &n, &err), &err);
    CHECK_EQ(n, 1);
    if (n == 1) {
        CHECK_STR(f[0].path, "bucket-0/data-3f2c6b1e-8a4d-4c1e-9b7a-0d5e6f7a8b9c-0.parquet");
        CHECK_EQ(f[0].rows, 3);
        CHECK_EQ(f[0].size, 273);
        CHECK_EQ(f[0].max_seq, 2);
        CHECK_EQ(f[0].stats.ncols, 2);
        if (f[0].stats.ncols == 2) {
            CHECK_EQ(f[0].stats.cols[0].min.u.i, 1);
            CHECK_EQ(f[0].stats.cols[0].max.u.i, 3);
            CHECK_EQ(f[0].stats.cols[1].null_count, 1);
            CHECK_EQ(f[0].stats.cols[1].min.u.s.len, 1);
            CHECK_MEM(f[0].stats.cols[1].max.u.s.ptr, "ccc", 3);
        }
        char p[1024], *data;
        size_t len;
        snprintf(p, sizeof p, "%s/%s", dir, f[0].path);
        CHECK_OK(strom_read_file(p, 1 << 20, &data, &len, &err), &err);
        CHECK_EQ(len, (size_t)f[0].size);
        strom_pq_file *pf;
        CHECK_OK(strom_pq_open((const uint8_t *)data, len, &pf, &err), &err);
        CHECK_EQ(strom_pq_file_rows(pf), 3);
        strom_pq_close(pf);
        free(data);
    }
    strom_lake_files_free(f, n);
    strom_lake_snapshot_free(&s);
    strom_lake_close(t);
}

/* Writes a Parquet file of `rows` rows (id = first.., name, day) into the table's bucket dir
 * and describes it. */
static void write_data(strom_lake *t, const strom_schema *s, int32_t bucket, const char *part,
                       int64_t first, int64_t rows, strom_lake_file *f)
{
    strom_error err;
    memset(f, 0, sizeof *f);
    f->bucket = bucket;
    char bdir[256];
    if (part) {
        f->has_partition = true;
        f->partition = sval(part);
        memcpy(f->part_bytes, part, strlen(part));
        f->partition.u.s.ptr = f->part_bytes;
    }
    CHECK_OK(strom_lake_bucket_dir("region", part ? &f->partition : NULL, bucket, bdir,
                                   sizeof bdir, &err), &err);
    strom_lake_data_file_name(f->name, sizeof f->name);
    snprintf(f->path, sizeof f->path, "%s/%s", bdir, f->name);
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", strom_lake_dir(t), bdir);
    CHECK_OK(strom_mkdirs(p, &err), &err);
    snprintf(p, sizeof p, "%s/%s", strom_lake_dir(t), f->path);
    strom_batch_builder *bb = strom_bb_new(s);
    for (int64_t i = 0; i < rows; i++) {
        char name[32];
        snprintf(name, sizeof name, "name-%lld", (long long)(first + i));
        strom_bb_append_int(bb, 0, first + i);
        strom_bb_append_bytes(bb, 1, name, strlen(name));
        strom_bb_append_bytes(bb, 2, part ? part : "x", strlen(part ? part : "x"));
        if (i % 3 == 0)
            strom_bb_append_null(bb, 3);
        else
            strom_bb_append_double(bb, 3, (double)i / 2);
    }
    strom_buf msg = STROM_BUF_INIT;
    strom_batch_stats st;
    CHECK_OK(strom_bb_seal(bb, NULL, &msg, &st, &err), &err);
    strom_ipc_msg m;
    strom_batch *b = NULL;
    CHECK_OK(strom_ipc_read_msg(msg.data, msg.len, &m, &err), &err);
    CHECK_OK(strom_ipc_decode_batch(&m, s, s, NULL, &b, &err), &err);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    strom_pq_opts o;
    strom_pq_opts_default(&o);
    strom_pq_writer *w;
    CHECK_OK(strom_pq_writer_open(fd, s, &o, &w, &err), &err);
    CHECK_OK(strom_pq_write(w, b, &err), &err);
    CHECK_OK(strom_pq_writer_close(w, &err), &err);
    struct stat sb;
    fstat(fd, &sb);
    close(fd);
    f->size = sb.st_size;
    f->rows = rows;
    f->min_seq = first;
    f->max_seq = first + rows - 1;
    f->schema_id = strom_schema_id(s) - 1;
    f->creation_ms = strom_now_ms();
    f->stats = st;
    strom_batch_free(b);
    strom_buf_free(&msg);
    strom_bb_free(bb);
}

TEST(commits_read_back)
{
    char dir[512];
    strom_error err;
    snprintf(dir, sizeof dir, "%s/paimon-commit/wh/db.db/t", STROM_TEST_TMP);
    strom_rmtree(STROM_TEST_TMP "/paimon-commit", &err);
    strom_lake *t;
    CHECK_OK(strom_lake_open(dir, true, &t, &err), &err);
    strom_table_desc d;
    strom_table_desc_init(&d);
    d.schema = strom_schema_new(1);
    strom_schema_add(d.schema, "id", strom_type_of(STROM_TYPE_BIGINT), false, &err);
    strom_schema_add(d.schema, "name", strom_type_of(STROM_TYPE_STRING), true, &err);
    strom_schema_add(d.schema, "region", strom_type_of(STROM_TYPE_STRING), false, &err);
    strom_schema_add(d.schema, "score", strom_type_of(STROM_TYPE_DOUBLE), true, &err);
    d.buckets = 2;
    d.partition_col = 2;
    CHECK_OK(strom_lake_write_schema(t, &d, d.schema, "zstd", &err), &err);
    strom_lake_schema ls;
    CHECK_OK(strom_lake_read_schema(t, 0, &ls, &err), &err);
    CHECK(strom_schema_equal(ls.schema, d.schema));
    CHECK_EQ(ls.partition_col, 2);
    CHECK_EQ(ls.buckets, 2);
    strom_lake_schema_free(&ls);

    strom_lake_snapshot prev;
    CHECK_OK(strom_lake_latest(t, &prev, &err), &err);
    CHECK_EQ(prev.id, 0);
    strom_lake_file files[3];
    write_data(t, d.schema, 0, "eu", 0, 10, &files[0]);
    write_data(t, d.schema, 1, "us/west", 0, 5, &files[1]);
    strom_lake_prop props[2] = { { "strom.offsets", "eu/0=10,us%2Fwest/1=5" },
                                 { "strom.version", "1" } };
    strom_lake_commit c = { .files = files, .nfiles = 2, .schema = d.schema, .schema_id = 0,
                            .partition_col = 2, .total_buckets = 2, .props = props,
                            .nprops = 2, .commit_user = "test", .commit_id = 1 };
    int64_t id = 0;
    CHECK_OK(strom_lake_commit_files(t, &prev, &c, &id, &err), &err);
    CHECK_EQ(id, 1);
    /* the same id again: another writer's commit is never overwritten */
    CHECK_EQ(strom_lake_commit_files(t, &prev, &c, &id, &err), STROM_EEXISTS);
    strom_lake_snapshot s1;
    CHECK_OK(strom_lake_latest(t, &s1, &err), &err);
    CHECK_EQ(s1.id, 1);
    CHECK_EQ(s1.total_rows, 15);
    write_data(t, d.schema, 0, "eu", 10, 7, &files[2]);
    props[0].value = "eu/0=17,us%2Fwest/1=5";
    c.files = &files[2];
    c.nfiles = 1;
    c.commit_id = 2;
    CHECK_OK(strom_lake_commit_files(t, &s1, &c, &id, &err), &err);
    CHECK_EQ(id, 2);
    /* a commit that moves nothing but properties */
    c.nfiles = 0;
    c.commit_id = 3;
    strom_lake_snapshot s2;
    CHECK_OK(strom_lake_latest(t, &s2, &err), &err);
    CHECK_OK(strom_lake_commit_files(t, &s2, &c, &id, &err), &err);
    CHECK_EQ(id, 3);
    strom_lake_snapshot s3;
    CHECK_OK(strom_lake_latest(t, &s3, &err), &err);
    CHECK_EQ(s3.id, 3);
    CHECK_EQ(s3.total_rows, 22);
    CHECK_STR(strom_lake_snapshot_prop(&s3, "strom.offsets"), "eu/0=17,us%2Fwest/1=5");
    CHECK(strom_lake_snapshot_prop(&s3, "nope") == NULL);
    strom_lake_file *f = NULL;
    int n = 0;
    CHECK_OK(strom_lake_files(t, &s3, &f, &n, &err), &err);
    CHECK_EQ(n, 3);
    int64_t rows = 0;
    for (int i = 0; i < n; i++) {
        rows += f[i].rows;
        bool found = false;
        for (int k = 0; k < 3; k++)
            if (strcmp(f[i].path, files[k].path) == 0) {
                found = true;
                CHECK_EQ(f[i].size, files[k].size);
                CHECK_EQ(f[i].bucket, files[k].bucket);
                CHECK_EQ(f[i].min_seq, files[k].min_seq);
                CHECK_EQ(f[i].stats.ncols, 4);
                CHECK(f[i].has_partition);
                if (f[i].stats.ncols == 4) {
                    CHECK_EQ(f[i].stats.cols[0].min.u.i, files[k].min_seq);
                    CHECK_EQ(f[i].stats.cols[0].max.u.i, files[k].max_seq);
                    CHECK_EQ(f[i].stats.cols[3].null_count, files[k].stats.cols[3].null_count);
                }
            }
        CHECK(found);
    }
    CHECK_EQ(rows, 22);
    /* the escaped partition directory */
    CHECK(strstr(files[1].path, "region=us%2Fwest/bucket-1/") == files[1].path);
    strom_lake_files_free(f, n);

    /* damage: a truncated manifest, a snapshot that is not JSON */
    char p[1024];
    snprintf(p, sizeof p, "%s/manifest/%s", dir, s3.base_list);
    struct stat sb;
    CHECK(stat(p, &sb) == 0);
    CHECK(truncate(p, sb.st_size / 2) == 0);
    CHECK(strom_lake_files(t, &s3, &f, &n, &err) < 0);
    printf("  truncated manifest list: %s\n", err.msg);
    CHECK(strstr(err.msg, s3.base_list) != NULL);
    snprintf(p, sizeof p, "%s/snapshot/snapshot-3", dir);
    CHECK_OK(strom_write_file_atomic(p, "{\"id\": 3,", 9, &err), &err);
    strom_lake_snapshot bad;
    CHECK(strom_lake_latest(t, &bad, &err) < 0);
    printf("  damaged snapshot: %s\n", err.msg);
    CHECK(strstr(err.msg, "snapshot-3") != NULL);

    for (int i = 0; i < 3; i++)
        strom_batch_stats_free(&files[i].stats);
    strom_lake_snapshot_free(&prev);
    strom_lake_snapshot_free(&s1);
    strom_lake_snapshot_free(&s2);
    strom_lake_snapshot_free(&s3);
    strom_table_desc_free(&d);
    strom_lake_close(t);
}

int main(void)
{
    RUN_TEST(binary_rows_as_java_writes_them);
    RUN_TEST(binary_rows_round_trip_every_type);
    RUN_TEST(the_reference_warehouse_reads);
    RUN_TEST(commits_read_back);
    return TEST_EXIT();
}
