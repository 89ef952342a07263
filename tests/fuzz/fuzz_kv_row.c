/*
 * fuzz_kv_row.c: libFuzzer target for the primary-key state's row decoder (src/kv/kv_codec.c),
 * which reads what RocksDB returns from disk. A row that decodes must encode again to bytes
 * that decode to the same values; every value's key form must be written without error.
 * Errors are expected; crashes, out-of-bounds reads and undefined behaviour are not.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "kv/kv_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static strom_schema *s;
    if (!s)
        s = fuzz_schema();
    strom_value a[FUZZ_NCOLS], b[FUZZ_NCOLS];
    if (strom_kv_row_get(data, size, s, a, NULL) != 0)
        return 0;
    strom_buf row = STROM_BUF_INIT, key = STROM_BUF_INIT;
    if (strom_kv_row_put(&row, a, FUZZ_NCOLS) != 0 ||
        strom_kv_row_get(row.data, row.len, s, b, NULL) != 0)
        abort();
    for (int i = 0; i < FUZZ_NCOLS; i++) {
        strom_type t = strom_schema_col_type(s, i);
        if (a[i].is_null != b[i].is_null || (!a[i].is_null && !fuzz_value_same(&a[i], &b[i], t)))
            abort();
        if (!a[i].is_null && strom_kv_key_put(&key, &a[i]) != 0)
            abort();
    }
    strom_buf_free(&row);
    strom_buf_free(&key);
    return 0;
}
