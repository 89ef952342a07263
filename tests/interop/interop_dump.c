/*
 * interop_dump.c: reads an Arrow IPC stream or file with strom's decoder and prints its
 * canonical JSON (canon.h) to stdout, for interop.mjs to compare with what apache-arrow
 * wrote or read.
 *
 * usage: interop_dump FILE        exit 0, or 1 with the decoder's message on stderr
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "columnar/ipc.h"

static int dump_read(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    long n;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        if (f)
            fclose(f);
        return -1;
    }
    *data = malloc((size_t)n + 1);
    if (!*data || fread(*data, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return -1;
    }
    *len = (size_t)n;
    fclose(f);
    return 0;
}

/* Appends the rows of one batch to the per-column arrays. */
static int dump_batch(const strom_batch *b, const strom_schema *s, json_t *columns)
{
    for (int c = 0; c < strom_schema_ncols(s); c++) {
        json_t *col = json_array_get(columns, (size_t)c);
        strom_type t = strom_schema_col_type(s, c);
        for (int64_t r = 0; r < b->rows; r++) {
            strom_value v;
            json_t *j;
            strom_col_get(&b->cols[c], t, r, &v);
            if (t.id == STROM_TYPE_FLOAT && !v.is_null) {
                /* the bits as stored: widening to double would quiet a signaling NaN */
                uint32_t bits;
                char hex[16];
                memcpy(&bits, b->cols[c].values + 4 * r, 4);
                snprintf(hex, sizeof hex, "%08" PRIx32, bits);
                j = json_string(hex);
            } else {
                j = canon_value(&v, t);
            }
            if (json_array_append_new(col, j) < 0)
                return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint8_t *data = NULL;
    size_t len = 0;
    strom_error err = {0};
    strom_ipc_stream_reader *sr = NULL;
    strom_ipc_file_reader *fr = NULL;
    json_t *root = NULL, *batches = json_array(), *columns = json_array();
    const strom_schema *s;
    strom_batch *b = NULL;
    int rc = 1, i = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: interop_dump FILE\n");
        return 2;
    }
    if (dump_read(argv[1], &data, &len) < 0) {
        fprintf(stderr, "interop_dump: %s: cannot read\n", argv[1]);
        return 1;
    }
    bool is_file = len >= 6 && memcmp(data, "ARROW1", 6) == 0;
    if ((is_file ? strom_ipc_file_open(data, len, &fr, &err)
                 : strom_ipc_stream_open(data, len, &sr, &err)) < 0)
        goto fail;
    s = is_file ? strom_ipc_file_schema(fr) : strom_ipc_stream_schema(sr);
    for (int c = 0; c < strom_schema_ncols(s); c++)
        json_array_append_new(columns, json_array());
    for (;;) {
        int more = is_file ? (i < strom_ipc_file_nbatches(fr)
                                  ? (strom_ipc_file_batch(fr, i, &b, &err) < 0 ? -1 : 1) : 0)
                           : strom_ipc_stream_next(sr, &b, &err);
        if (more < 0)
            goto fail;
        if (more == 0)
            break;
        json_array_append_new(batches, json_integer(b->rows));
        if (dump_batch(b, s, columns) < 0) {
            strom_error_set(&err, STROM_ENOMEM, "building JSON");
            goto fail;
        }
        strom_batch_free(b);
        b = NULL;
        i++;
    }
    root = json_pack("{s:o, s:O, s:O}", "schema", canon_schema(s), "batches", batches,
                     "columns", columns);
    if (!root || json_dumpf(root, stdout, JSON_COMPACT) < 0) {
        fprintf(stderr, "interop_dump: writing JSON failed\n");
        goto done;
    }
    fputc('\n', stdout);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "interop_dump: %s: batch %d: %s (%s)\n", argv[1], i, err.msg,
            strom_error_name(err.code));
done:
    if (b)
        strom_batch_free(b);
    if (fr)
        strom_ipc_file_close(fr);
    if (sr)
        strom_ipc_stream_close(sr);
    json_decref(root);
    json_decref(batches);
    json_decref(columns);
    free(data);
    return rc;
}
