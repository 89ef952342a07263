/*
 * fuzz_log_record.c: libFuzzer target for strom's batch format (src/log/record.c), which the
 * log reads back from disk and the server will read from the network.
 *
 * The first input byte chooses a mode: odd = the CRC field is recomputed over the fuzzed bytes
 * before parsing, so the fuzzer explores everything behind the CRC check (lengths, statistics
 * block, change types, the embedded Arrow message); even = the bytes are parsed as they are
 * (the CRC must reject them unless they are a valid record). Errors are fine; crashes, reads
 * out of bounds and undefined behaviour are not. A record that parses must have consistent
 * parts (inside the input, Arrow message 8-aligned).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/ipc.h"
#include "common/common.h"
#include "common/crc32c.h"
#include "log/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool fix_crc = data[0] & 1;
    size_t n = size - 1;
    uint8_t *p = malloc(n ? n : 1); /* exact size: ASan catches any overread */
    memcpy(p, data + 1, n);
    if (fix_crc && n >= STROM_RECORD_HEADER) {
        uint32_t len = strom_ld32(p + 8);
        if ((uint64_t)len + 12 <= n && len + 12 >= 17)
            strom_st32(p + 13, strom_crc32c(0, p + 17, len + 12 - 17));
    }
    strom_record r;
    strom_error err;
    if (strom_record_parse(p, n, &r, &err) == 0) {
        if (r.total_len > n || r.arrow < p || r.arrow + r.arrow_len > p + n ||
            (r.arrow - p) % 8 != 0 || (r.changes && r.changes + r.changes_len > r.arrow))
            abort();
        strom_batch_stats st;
        if (strom_record_stats(&r, &st, &err) == 0) {
            for (int c = 0; c < st.ncols; c++) {
                char buf[256];
                if (st.cols[c].has_min)
                    strom_value_format(&st.cols[c].min, 0, buf, sizeof buf);
                if (st.cols[c].has_max)
                    strom_value_format(&st.cols[c].max, 0, buf, sizeof buf);
            }
            strom_batch_stats_free(&st);
        }
        strom_ipc_msg m;
        strom_ipc_read_msg(r.arrow, r.arrow_len, &m, &err);
    }
    free(p);
    return 0;
}
