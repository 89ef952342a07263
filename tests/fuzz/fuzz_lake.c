/*
 * fuzz_lake.c: libFuzzer target for the Paimon metadata readers (src/lake/paimon.c, binrow.c):
 * a lake table other engines may have written, or damage may have touched. The first byte
 * picks what the rest replaces in a small valid table (made once, partitioned by a STRING
 * column, every strom type in its stats):
 *   0  the delta manifest list (Avro, through avro-c)     1  the manifest (Avro)
 *   2  snapshot-1 (JSON)                                   3  schema-0 (JSON)
 *   4  a BinaryRow decoded under every strom type
 * then reads the table as a union read would (latest snapshot, live files with their stats,
 * partition values). Errors are expected; crashes, leaks and out-of-bounds reads are not.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "fuzz_common.h"
#include "lake/paimon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];
static char paths[4][512];   /* delta list, manifest, snapshot, schema */
static char *orig[4];
static size_t orig_len[4];
static strom_type types[FUZZ_NCOLS];

static void find_manifests(void)
{
    char md[400];
    snprintf(md, sizeof md, "%s/manifest", dir);
    DIR *d = opendir(md);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (!strncmp(e->d_name, "manifest-list-", 14) && n > 2 && !strcmp(e->d_name + n - 2, "-1"))
            snprintf(paths[0], sizeof paths[0], "%s/%s", md, e->d_name);
        else if (!strncmp(e->d_name, "manifest-", 9) && strncmp(e->d_name, "manifest-list-", 14))
            snprintf(paths[1], sizeof paths[1], "%s/%s", md, e->d_name);
    }
    if (d)
        closedir(d);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/strom-fuzz-lake-%d/db.db/t", (int)getpid());
    strom_lake *t;
    strom_error err;
    if (strom_lake_open(dir, true, &t, &err) != 0)
        abort();
    strom_table_desc d;
    memset(&d, 0, sizeof d);
    d.schema = strom_schema_new(1);
    for (int i = 0; i < FUZZ_NCOLS; i++) {
        types[i] = (strom_type){fuzz_cols[i].id, fuzz_cols[i].p, fuzz_cols[i].s};
        strom_schema_add(d.schema, fuzz_cols[i].name, types[i],
                         fuzz_cols[i].nullable && i != 9, NULL);
    }
    d.buckets = 2;
    d.partition_col = 9; /* "s" STRING, NOT NULL here */
    if (strom_lake_write_schema(t, &d, d.schema, "zstd", &err) != 0)
        abort();
    strom_lake_file f;
    memset(&f, 0, sizeof f);
    snprintf(f.name, sizeof f.name, "data-x-0.parquet");
    f.bucket = 1;
    f.has_partition = true;
    memcpy(f.part_bytes, "eu/x", 4);
    f.partition.type = STROM_TYPE_STRING;
    f.partition.u.s.ptr = f.part_bytes;
    f.partition.u.s.len = 4;
    f.rows = 3;
    f.size = 100;
    f.stats.ncols = FUZZ_NCOLS;
    f.stats.rows = 3;
    f.stats.cols = calloc(FUZZ_NCOLS, sizeof *f.stats.cols);
    for (int i = 0; i < FUZZ_NCOLS; i++) {
        strom_col_stats *cs = &f.stats.cols[i];
        cs->min.type = cs->max.type = types[i].id;
        cs->has_min = cs->has_max = true;
        cs->min.u.i = -(i + 1);
        cs->max.u.i = i * 1000;
        if (types[i].id == STROM_TYPE_DECIMAL)
            cs->min.u.d = -123, cs->max.u.d = (strom_i128)1 << 70;
        if (types[i].id == STROM_TYPE_STRING || types[i].id == STROM_TYPE_BYTES) {
            memcpy(cs->min_bytes, "a", 1);
            memcpy(cs->max_bytes, "a longer maximum", 16);
            cs->min.u.s.len = 1;
            cs->max.u.s.len = 16;
            strom_col_stats_fix(cs);
        }
        if (types[i].id == STROM_TYPE_FLOAT || types[i].id == STROM_TYPE_DOUBLE)
            cs->min.u.f = -1.5, cs->max.u.f = 2.5;
        if (types[i].id == STROM_TYPE_BOOLEAN)
            cs->min.u.b = false, cs->max.u.b = true;
    }
    strom_lake_prop props[1] = {{"strom.offsets", "{\"eu/x/1\":3}"}};
    strom_lake_commit c = {.files = &f, .nfiles = 1, .schema = d.schema, .schema_id = 0,
                           .partition_col = 9, .total_buckets = 2, .props = props, .nprops = 1,
                           .commit_user = "fuzz", .commit_id = 1};
    strom_lake_snapshot prev = {0};
    int64_t id;
    if (strom_lake_commit_files(t, &prev, &c, &id, &err) != 0)
        abort();
    free(f.stats.cols);
    strom_schema_free(d.schema);
    strom_lake_close(t);
    find_manifests();
    snprintf(paths[2], sizeof paths[2], "%s/snapshot/snapshot-1", dir);
    snprintf(paths[3], sizeof paths[3], "%s/schema/schema-0", dir);
    for (int i = 0; i < 4; i++)
        if (strom_read_file(paths[i], 1 << 20, &orig[i], &orig_len[i], NULL) != 0)
            abort();
}

static void put(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (n)
        fwrite(p, 1, n, f);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0])
        setup();
    if (size < 1)
        return 0;
    int mode = data[0] % 5;
    data++;
    size--;
    if (mode == 4) {
        strom_value v[FUZZ_NCOLS];
        int arity;
        (void)strom_binrow_decode(data, size, types, FUZZ_NCOLS, v, &arity, NULL);
        return 0;
    }
    put(paths[mode], data, size);
    strom_lake *t;
    if (strom_lake_open(dir, false, &t, NULL) == 0) {
        strom_lake_snapshot s;
        if (strom_lake_latest(t, &s, NULL) == 0) {
            strom_lake_file *files;
            int n;
            if (strom_lake_files(t, &s, &files, &n, NULL) == 0)
                strom_lake_files_free(files, n);
            (void)strom_lake_snapshot_prop(&s, "strom.offsets");
            strom_lake_snapshot_free(&s);
        }
        strom_lake_schema ls;
        if (strom_lake_read_schema(t, 0, &ls, NULL) == 0)
            strom_lake_schema_free(&ls);
        strom_lake_close(t);
    }
    put(paths[mode], orig[mode], orig_len[mode]);
    return 0;
}
