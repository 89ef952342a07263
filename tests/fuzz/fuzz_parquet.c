/*
 * fuzz_parquet.c: libFuzzer target for strom's Parquet reader (src/lake/parquet_read.c), the
 * code that will read lake files other engines may have written: the footer (Thrift
 * compact), page headers, levels, dictionaries, PLAIN values, decompression. Errors are
 * expected; crashes, leaks, out-of-bounds reads and undefined behaviour are not.
 */
#include <stdint.h>
#include <stdlib.h>

#include "lake/parquet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    strom_pq_file *f;
    if (strom_pq_open(data, size, &f, NULL) < 0)
        return 0;
    strom_batch_builder *bb = strom_bb_new(strom_pq_schema(f));
    for (int g = 0; bb && g < strom_pq_groups(f) && g < 64; g++) {
        if (strom_pq_read_group(f, g, bb, NULL) < 0)
            break;
        strom_bb_reset(bb);
    }
    strom_bb_free(bb);
    strom_pq_close(f);
    return 0;
}
