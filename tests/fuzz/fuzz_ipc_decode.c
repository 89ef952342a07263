/*
 * fuzz_ipc_decode.c: libFuzzer target for everything that reads Arrow IPC bytes from outside:
 * strom_ipc_read_msg / _read_msg_meta, strom_ipc_decode_schema, strom_ipc_parse_batch_meta,
 * strom_ipc_decode_batch, the stream and file readers, and projection.
 *
 * Arbitrary bytes must give an error code, never a crash, an out-of-bounds read (ASan) or
 * undefined behaviour (UBSan). Every value of a batch that decodes is read, so a view that
 * points outside its buffer is caught. One invariant is checked, and aborts when broken: a
 * batch that decodes must still decode after projection (the projection keeps a subset of
 * buffers that were already validated).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static void touch_batch(const strom_batch *b)
{
    for (int c = 0; c < b->ncols; c++) {
        strom_type t = strom_schema_col_type(b->schema, c);
        for (int64_t r = 0; r < b->rows; r++) {
            strom_value v;
            strom_col_get(&b->cols[c], t, r, &v);
            if (v.is_null)
                continue;
            if (t.id == STROM_TYPE_STRING || t.id == STROM_TYPE_BYTES) {
                for (uint32_t i = 0; i < v.u.s.len; i++)
                    sink += v.u.s.ptr[i];
            } else {
                sink += (uint64_t)v.u.i;
            }
        }
    }
}

/* Projects a decoded message onto its last and first column and decodes the result. */
static void check_projection(const strom_ipc_msg *m, const strom_schema *s)
{
    int n = strom_schema_ncols(s);
    int cols[2] = {n - 1, 0};
    int ncols = n > 1 ? 2 : 1;
    strom_ipc_projection pj = {0};
    strom_schema *ps = strom_schema_project(s, cols, ncols);
    strom_buf wire = STROM_BUF_INIT;
    strom_ipc_msg pm;
    strom_batch *pb = NULL;
    strom_error err;
    if (!ps)
        return;
    if (strom_ipc_project(m, s, cols, ncols, &pj, &err) < 0)
        abort(); /* the message decoded: its metadata is valid, projection must work */
    strom_buf_append(&wire, pj.header.data, pj.header.len);
    for (int i = 0; i < pj.nranges; i++) {
        if (pj.ranges[i].offset + pj.ranges[i].length > m->body_len)
            abort();
        strom_buf_append(&wire, m->body + pj.ranges[i].offset, pj.ranges[i].length);
    }
    if (strom_ipc_read_msg(wire.data, wire.len, &pm, &err) != 0 ||
        strom_ipc_decode_batch(&pm, ps, ps, NULL, &pb, &err) < 0)
        abort(); /* a projection of a valid batch must be a valid batch */
    touch_batch(pb);
    strom_batch_free(pb);
    strom_ipc_projection_free(&pj);
    strom_buf_free(&wire);
    strom_schema_free(ps);
}

/* Walks the bytes as a stream message by message with the low-level API. */
static void walk_messages(const uint8_t *data, size_t size)
{
    strom_schema *s = NULL;
    strom_error err;
    size_t pos = 0;
    for (int i = 0; i < 64 && pos < size; i++) {
        strom_ipc_msg m;
        if (strom_ipc_read_msg_meta(data + pos, size - pos, &m, &err) < 0)
            break;
        if (strom_ipc_read_msg(data + pos, size - pos, &m, &err) != 0)
            break;
        if (m.type == STROM_IPC_EOS)
            break;
        if (m.type == STROM_IPC_SCHEMA && !s) {
            if (strom_ipc_decode_schema(&m, 1, &s, &err) < 0)
                break;
        } else if (m.type == STROM_IPC_RECORD_BATCH && s) {
            strom_ipc_batch_meta bm = {0};
            strom_batch *b = NULL;
            if (strom_ipc_parse_batch_meta(&m, s, &bm, &err) == 0)
                strom_ipc_batch_meta_free(&bm);
            if (strom_ipc_decode_batch(&m, s, s, NULL, &b, &err) == 0) {
                touch_batch(b);
                strom_batch_free(b);
                if (strom_schema_ncols(s) > 0)
                    check_projection(&m, s);
            }
        }
        if (m.total_len == 0 || m.total_len > size - pos)
            abort(); /* read_msg said complete: total_len must be inside the input */
        pos += m.total_len;
    }
    strom_schema_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    strom_error err;
    strom_ipc_stream_reader *sr = NULL;
    strom_ipc_file_reader *fr = NULL;
    strom_batch *b;

    walk_messages(data, size);
    if (strom_ipc_stream_open(data, size, &sr, &err) == 0) {
        for (int i = 0; i < 64 && strom_ipc_stream_next(sr, &b, &err) > 0; i++) {
            touch_batch(b);
            strom_batch_free(b);
        }
        strom_ipc_stream_close(sr);
    }
    if (strom_ipc_file_open(data, size, &fr, &err) == 0) {
        int n = strom_ipc_file_nbatches(fr);
        for (int i = 0; i < n && i < 64; i++)
            if (strom_ipc_file_batch(fr, i, &b, &err) == 0) {
                touch_batch(b);
                strom_batch_free(b);
            }
        strom_ipc_file_close(fr);
    }
    return 0;
}
