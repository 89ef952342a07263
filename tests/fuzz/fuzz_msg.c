/*
 * fuzz_msg.c: libFuzzer target for the message decoders of src/protocol/msg.c, the code that
 * reads every request the server accepts and every response the client accepts. The first
 * byte chooses the direction (even: a request; odd: a response to api key byte/2); the rest
 * is one frame. Errors are expected; crashes, leaks, out-of-bounds reads and undefined
 * behaviour are not.
 */
#include <stdint.h>
#include <stdlib.h>

#include "protocol/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    strom_error err;
    if (data[0] % 2 == 0)
        strom_msg_decode_request(data + 1, size - 1, &err);
    else
        strom_msg_decode_response((data[0] / 2) % STROM_API_COUNT, data + 1, size - 1, &err);
    return 0;
}
