/*
 * bench_parquet.c: strom-parquet-bench, strom's Parquet writer on its own: N rows of 20 BIGINT
 * columns (as the server benchmark's rows: c0 = id, c1 = id * 7919 % 100, c2..c19 = id * k)
 * written with a codec; prints one JSON line (rows/s, MB/s of values, file bytes). The same
 * rows through DuckDB's COPY ... TO (FORMAT parquet): bench/parquet_bench.mjs.
 *
 *   strom-parquet-bench FILE [--rows N] [--codec none|snappy|zstd] [--dictionary 0|1]
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "columnar/batch.h"
#include "columnar/ipc.h"
#include "lake/parquet.h"

#define NCOLS 20
#define BATCH 8192

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: strom-parquet-bench FILE [--rows N] [--codec none|snappy|zstd] "
                        "[--dictionary 0|1]\n");
        return 2;
    }
    int64_t rows = 10000000;
    strom_pq_opts o;
    strom_pq_opts_default(&o);
    const char *codec = "zstd";
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rows"))
            rows = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--codec"))
            codec = argv[i + 1];
        else if (!strcmp(argv[i], "--dictionary"))
            o.dictionary = atoi(argv[i + 1]) != 0;
    }
    o.codec = !strcmp(codec, "none") ? STROM_PQ_UNCOMPRESSED
              : !strcmp(codec, "snappy") ? STROM_PQ_SNAPPY
                                         : STROM_PQ_ZSTD;
    strom_schema *s = strom_schema_new(1);
    for (int c = 0; c < NCOLS; c++) {
        char name[8];
        snprintf(name, sizeof name, "c%d", c);
        strom_schema_add(s, name, strom_type_of(STROM_TYPE_BIGINT), false, NULL);
    }
    /* the batches are built first: the timing covers the Parquet writer only */
    int64_t nb = (rows + BATCH - 1) / BATCH;
    strom_buf *msgs = calloc((size_t)nb, sizeof *msgs);
    strom_batch **bs = calloc((size_t)nb, sizeof *bs);
    strom_batch_builder *bb = strom_bb_new(s);
    strom_error err;
    for (int64_t b = 0; b < nb; b++) {
        for (int64_t id = b * BATCH; id < (b + 1) * BATCH && id < rows; id++)
            for (int c = 0; c < NCOLS; c++)
                strom_bb_append_int(bb, c, c == 0 ? id : c == 1 ? id * 7919 % 100 : id * c);
        strom_ipc_msg m;
        if (strom_bb_seal(bb, NULL, &msgs[b], NULL, &err) < 0 ||
            strom_ipc_read_msg(msgs[b].data, msgs[b].len, &m, &err) != 0 ||
            strom_ipc_decode_batch(&m, s, s, NULL, &bs[b], &err) != 0) {
            fprintf(stderr, "strom-parquet-bench: %s\n", err.msg);
            return 1;
        }
        strom_bb_reset(bb);
    }
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    strom_pq_writer *w;
    int64_t t0 = now_ns();
    if (fd < 0 || strom_pq_writer_open(fd, s, &o, &w, &err) < 0) {
        fprintf(stderr, "strom-parquet-bench: cannot write %s\n", argv[1]);
        return 1;
    }
    for (int64_t b = 0; b < nb; b++)
        if (strom_pq_write(w, bs[b], &err) < 0) {
            fprintf(stderr, "strom-parquet-bench: %s\n", err.msg);
            return 1;
        }
    uint64_t bytes = 0;
    if (strom_pq_writer_close(w, &err) < 0) {
        fprintf(stderr, "strom-parquet-bench: %s\n", err.msg);
        return 1;
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    bytes = (uint64_t)lseek(fd, 0, SEEK_END);
    close(fd);
    printf("{\"system\":\"strom\",\"codec\":\"%s\",\"dictionary\":%d,\"rows\":%" PRId64
           ",\"secs\":%.3f,\"rows_s\":%.0f,\"mb_s\":%.1f,\"file_bytes\":%" PRIu64 "}\n",
           codec, o.dictionary, rows, secs, (double)rows / secs,
           (double)rows * NCOLS * 8 / secs / 1e6, bytes);
    for (int64_t b = 0; b < nb; b++) {
        strom_batch_free(bs[b]);
        strom_buf_free(&msgs[b]);
    }
    free(bs);
    free(msgs);
    strom_bb_free(bb);
    strom_schema_free(s);
    return 0;
}
