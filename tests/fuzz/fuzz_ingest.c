/*
 * fuzz_ingest.c: libFuzzer target for CSV / JSON Lines ingestion (src/cli/ingest.c).
 *
 * Input: byte 0 picks the format and options (CSV or JSONL; header or not; delimiter ',',
 * ';' or tab; NULL spelled as the empty field or "\N"; the default or a 256-byte record
 * limit), bytes 1-2 seed the chunking, the rest is the text, parsed against the schema with
 * every type of fuzz_common.h. Malformed text must give an error, never a crash or a leak.
 * Invariants (a broken one aborts):
 *   - feeding in random chunks gives the same return code, the same error message and the
 *     same sealed bytes as feeding everything at once;
 *   - the rows parsed, printed back by `strom cat`'s printer (show.c) in the same format and
 *     parsed again with the default options, are the same values (floats by bits).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/ingest.h"
#include "columnar/ipc.h"
#include "common/common.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 65536

static strom_schema *schema;

typedef struct result {
    int rc;
    strom_error err;
    int64_t rows;
    strom_buf msg;
} result;

/* Parses text in chunks (chunk_seed 0 = all at once) and seals what was appended. */
static void parse(cli_ingest_format fmt, const cli_ingest_opts *o, const uint8_t *p, size_t n,
                  uint32_t chunk_seed, result *r)
{
    memset(r, 0, sizeof *r);
    cli_ingest *in = cli_ingest_new(fmt, schema, o);
    strom_batch_builder *bb = strom_bb_new(schema);
    if (!in || !bb)
        abort();
    uint32_t x = chunk_seed | 1;
    size_t off = 0;
    while (off < n && r->rc == 0) {
        size_t step = n - off;
        if (chunk_seed) {
            x ^= x << 13; /* xorshift32: chunk sizes 1 .. 2^(0..7) */
            x ^= x >> 17;
            x ^= x << 5;
            step = STROM_MIN(step, 1 + (x >> 8) % ((size_t)1 << (x % 8)));
        }
        r->rc = cli_ingest_feed(in, p + off, step, bb, &r->err);
        off += step;
    }
    if (r->rc == 0)
        r->rc = cli_ingest_finish(in, bb, &r->err);
    r->rows = cli_ingest_rows(in);
    strom_seal_opts so = {STROM_CODEC_NONE, 0};
    strom_error e;
    if (strom_bb_rows(bb) != r->rows || strom_bb_seal(bb, &so, &r->msg, NULL, &e) < 0) {
        fprintf(stderr, "appended rows do not seal: %s\n", e.msg);
        abort();
    }
    strom_bb_free(bb);
    cli_ingest_free(in);
}

static strom_batch *decode(const strom_buf *msg)
{
    strom_ipc_msg m;
    strom_batch *b = NULL;
    strom_error e;
    if (strom_ipc_read_msg(msg->data, msg->len, &m, &e) != 0 ||
        strom_ipc_decode_batch(&m, schema, schema, NULL, &b, &e) < 0) {
        fprintf(stderr, "sealed batch does not decode: %s\n", e.msg);
        abort();
    }
    return b;
}

/* Prints the batch in fmt, parses it back with the default options, compares values. */
static void round_trip(cli_ingest_format fmt, const strom_buf *msg)
{
    strom_batch *b = decode(msg);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cli_printer *pr = f ? cli_printer_new(f, fmt == CLI_INGEST_CSV ? CLI_FMT_CSV : CLI_FMT_JSONL,
                                          schema, -1)
                        : NULL;
    int cols[FUZZ_NCOLS];
    for (int c = 0; c < FUZZ_NCOLS; c++)
        cols[c] = c;
    if (!pr || cli_printer_rows(pr, b, NULL, cols, FUZZ_NCOLS) < 0 || cli_printer_finish(pr) < 0)
        abort();
    cli_printer_free(pr);
    fclose(f);
    result again;
    parse(fmt, NULL, (const uint8_t *)text, len, 0, &again);
    if (again.rc < 0 || again.rows != b->rows) {
        fprintf(stderr, "printed rows do not read back (%lld of %lld): %s\n%.*s\n",
                (long long)again.rows, (long long)b->rows, again.err.msg, (int)STROM_MIN(len, 2000),
                text);
        abort();
    }
    strom_batch *b2 = decode(&again.msg);
    for (int c = 0; c < FUZZ_NCOLS; c++) {
        strom_type t = strom_schema_col_type(schema, c);
        for (int64_t r = 0; r < b->rows; r++) {
            strom_value v1, v2;
            strom_col_get(&b->cols[c], t, r, &v1);
            strom_col_get(&b2->cols[c], t, r, &v2);
            if (!fuzz_value_same(&v1, &v2, t)) {
                fprintf(stderr, "row %lld column %s changed in the round trip\n%.*s\n",
                        (long long)r, fuzz_cols[c].name, (int)STROM_MIN(len, 2000), text);
                abort();
            }
        }
    }
    strom_batch_free(b2);
    strom_buf_free(&again.msg);
    strom_batch_free(b);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delims[4] = {',', ';', '\t', ','};
    if (!schema)
        schema = fuzz_schema();
    if (size < 3 || size > FUZZ_MAX_INPUT)
        return 0;
    uint8_t mode = data[0];
    uint32_t seed = (uint32_t)data[1] << 8 | data[2];
    cli_ingest_format fmt = mode & 1 ? CLI_INGEST_JSONL : CLI_INGEST_CSV;
    cli_ingest_opts o;
    cli_ingest_opts_init(&o);
    o.header = !(mode & 2);
    o.delimiter = delims[(mode >> 2) & 3];
    o.null_text = mode & 16 ? "\\N" : NULL;
    o.max_record = mode & 32 ? 256 : 0;
    const uint8_t *p = data + 3;
    size_t n = size - 3;

    result whole, chunked;
    parse(fmt, &o, p, n, 0, &whole);
    parse(fmt, &o, p, n, seed ? seed : 1, &chunked);
    if (whole.rc != chunked.rc || strcmp(whole.err.msg, chunked.err.msg) != 0 ||
        whole.rows != chunked.rows || whole.msg.len != chunked.msg.len ||
        memcmp(whole.msg.data, chunked.msg.data, whole.msg.len) != 0) {
        fprintf(stderr, "chunking changes the result: %d '%s' (%lld rows) vs %d '%s' (%lld)\n",
                whole.rc, whole.err.msg, (long long)whole.rows, chunked.rc, chunked.err.msg,
                (long long)chunked.rows);
        abort();
    }
    if (whole.rows > 0)
        round_trip(fmt, &whole.msg);
    strom_buf_free(&whole.msg);
    strom_buf_free(&chunked.msg);
    return 0;
}
