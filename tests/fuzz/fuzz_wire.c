/*
 * fuzz_wire.c: libFuzzer target for the frame and field decoders of src/protocol/wire.c:
 * arbitrary bytes are split into frames and each frame is read as a request header followed
 * by fields chosen by the input itself (so every primitive meets every truncation). Errors are
 * expected; crashes, out-of-bounds reads and undefined behaviour are not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0;
    while (pos < size) {
        size_t len;
        strom_error err;
        if (strom_frame_peek(data + pos, size - pos, 1u << 20, &len, &err) != 0)
            break;
        strom_wire_reader r;
        strom_request_header h;
        strom_wire_reader_init(&r, data + pos + 4, len - 4);
        strom_request_header_read(&r, &h);
        for (int i = 0; i < 64 && !r.failed && r.pos < r.n; i++) {
            uint16_t sl;
            switch (strom_wire_u8(&r, "kind") % 6) {
            case 0: sink += strom_wire_u16(&r, "u16"); break;
            case 1: sink += strom_wire_u32(&r, "u32"); break;
            case 2: sink += strom_wire_u64(&r, "u64"); break;
            case 3: {
                const char *s = strom_wire_str(&r, &sl, "str");
                if (s && sl)
                    sink += (uint8_t)s[sl - 1];
                break;
            }
            case 4: sink += strom_wire_count(&r, 8, "count"); break;
            default: {
                const uint8_t *b = strom_wire_bytes(&r, h.flags % 32, "bytes");
                if (b && h.flags % 32)
                    sink += b[h.flags % 32 - 1];
            }
            }
        }
        strom_wire_finish(&r, &err);
        pos += len;
    }
    return 0;
}
