/*
 * ipc_project.c: projection of an encoded RecordBatch without touching its body.
 *
 * The new message keeps the selected columns' nodes and buffers; each kept buffer moves to
 * the next 8-aligned offset of the new body, and the new body is the concatenation of the
 * original byte ranges [offset, offset + align8(length)) (padding included, so the ranges are
 * 8-aligned and the new body stays a multiple of 8). Adjacent ranges are merged, so projecting
 * neighbouring columns costs one range. Compressed buffers move as they are (compression is
 * per buffer). Only the metadata is parsed: the cost does not depend on the body size.
 */
#include <stdlib.h>
#include <string.h>

#include "columnar/ipc.h"
#include "common/common.h"

strom_schema *strom_schema_project(const strom_schema *s, const int *cols, int ncols)
{
    strom_schema *p = strom_schema_new(strom_schema_id(s));
    if (!p)
        return NULL;
    for (int i = 0; i < ncols; i++) {
        if (cols[i] < 0 || cols[i] >= strom_schema_ncols(s) ||
            strom_schema_add(p, strom_schema_col_name(s, cols[i]),
                             strom_schema_col_type(s, cols[i]),
                             strom_schema_col_nullable(s, cols[i]), NULL) != 0) {
            strom_schema_free(p);
            return NULL;
        }
    }
    return p;
}

void strom_ipc_projection_free(strom_ipc_projection *p)
{
    strom_buf_free(&p->header);
    free(p->ranges); /* buffer_src lives in the same block */
    memset(p, 0, sizeof *p);
}

int strom_ipc_project(const strom_ipc_msg *m, const strom_schema *s, const int *cols, int ncols,
                      strom_ipc_projection *out, strom_error *err)
{
    memset(out, 0, sizeof *out);
    strom_ipc_batch_meta bm;
    STROM_TRY(strom_ipc_parse_batch_meta(m, s, &bm, err));
    int n = strom_schema_ncols(s), rc = 0;
    size_t nb = 3 * (size_t)(ncols > 0 ? ncols : 0) + 1, nn = ncols > 0 ? (size_t)ncols : 1;
    /* one block for the working arrays (nodes and buffers 8-aligned first), one for the
     * result's ranges and buffer sources: one record's projection, two allocations */
    strom_ipc_node *nodes = malloc(sizeof *nodes * nn + sizeof(strom_ipc_buffer) * nb +
                                   sizeof(int) * (size_t)(n + 1));
    strom_ipc_buffer *bufs = nodes ? (strom_ipc_buffer *)(void *)(nodes + nn) : NULL;
    int *first = nodes ? (int *)(void *)(bufs + nb) : NULL;
    out->ranges = malloc((sizeof *out->ranges + sizeof(int)) * nb);
    out->buffer_src = out->ranges ? (int *)(void *)(out->ranges + nb) : NULL;
    if (!nodes || !out->ranges) {
        rc = strom_error_set(err, STROM_ENOMEM, "project: out of memory");
        goto done;
    }
    first[0] = 0;
    for (int c = 0; c < n; c++)
        first[c + 1] = first[c] + (strom_type_is_varlen(strom_schema_col_type(s, c).id) ? 3 : 2);
    uint64_t cursor = 0;
    for (int i = 0; i < ncols; i++) {
        int c = cols[i];
        if (c < 0 || c >= n) {
            rc = strom_error_set(err, STROM_ERANGE, "project: column %d of %d", c, n);
            goto done;
        }
        nodes[i] = bm.nodes[c];
        for (int k = first[c]; k < first[c + 1]; k++) {
            const strom_ipc_buffer *src = &bm.buffers[k];
            int j = out->nbuffers++;
            out->buffer_src[j] = k;
            bufs[j] = (strom_ipc_buffer){(int64_t)cursor, src->length};
            if (src->length == 0)
                continue;
            uint64_t len = strom_align_up((uint64_t)src->length, 8);
            strom_ipc_range *last = out->nranges ? &out->ranges[out->nranges - 1] : NULL;
            if (last && last->offset + last->length == (uint64_t)src->offset)
                last->length += len;
            else
                out->ranges[out->nranges++] = (strom_ipc_range){(uint64_t)src->offset, len};
            cursor += len;
        }
    }
    out->body_len = cursor;
    strom_buf_init(&out->header);
    rc = strom_ipc_write_batch_header(&out->header, bm.rows, nodes, ncols, bufs, out->nbuffers,
                                      bm.codec, (int64_t)cursor, err);
done:
    free(nodes);
    strom_ipc_batch_meta_free(&bm);
    if (rc != 0)
        strom_ipc_projection_free(out);
    return rc;
}
