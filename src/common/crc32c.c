/*
 * crc32c.c: CRC-32C, hardware (SSE4.2) when available, slicing-by-8 otherwise.
 *
 * The tables are generated at first use from the polynomial, so there is no opaque constant
 * block to trust. The hardware path processes 8 bytes per crc32q instruction; the function is
 * compiled with the sse4.2 target attribute and only called after cpuid says it is there.
 *
 * crc32q has a latency of 3 cycles but a throughput of 1 per cycle, so large inputs run as
 * three interleaved streams over consecutive blocks of CRC_BLOCK bytes; the three partial
 * CRCs are joined with the linear "append CRC_BLOCK zero bytes" operator, kept as four
 * byte-indexed tables (crc_shift) built at start-up by squaring GF(2) matrices.
 */
#include "common/crc32c.h"

#include <pthread.h>
#include <string.h>

#include "common/common.h"

#define CRC32C_POLY 0x82F63B78u /* reflected Castagnoli polynomial */

#define CRC_BLOCK 1024 /* bytes per stream in the 3-way hardware loop */

static uint32_t crc_table[8][256];
static uint32_t crc_shift[4][256]; /* raw register -> register after CRC_BLOCK zero bytes */
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static int crc_have_hw;

/* GF(2) 32x32 matrices as 32 column vectors. */
static uint32_t gf2_times(const uint32_t *mat, uint32_t vec)
{
    uint32_t sum = 0;
    for (int i = 0; vec; i++, vec >>= 1)
        if (vec & 1)
            sum ^= mat[i];
    return sum;
}

static void gf2_square(uint32_t *sq, const uint32_t *mat)
{
    for (int i = 0; i < 32; i++)
        sq[i] = gf2_times(mat, mat[i]);
}

/* The operator that feeds `bytes` zero bytes (a power of two >= 1) through the register. */
static void zeros_operator(uint32_t *op, size_t bytes)
{
    uint32_t a[32], b[32];
    a[0] = CRC32C_POLY; /* one zero bit */
    for (int i = 1; i < 32; i++)
        a[i] = 1u << (i - 1);
    gf2_square(b, a); /* 2 bits */
    gf2_square(a, b); /* 4 bits */
    gf2_square(b, a); /* 8 bits = 1 byte */
    memcpy(op, b, sizeof b);
    for (size_t n = 1; n < bytes; n *= 2) {
        gf2_square(a, op);
        memcpy(op, a, sizeof a);
    }
}

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
    uint32_t op[32];
    zeros_operator(op, CRC_BLOCK);
    for (int k = 0; k < 4; k++)
        for (uint32_t v = 0; v < 256; v++)
            crc_shift[k][v] = gf2_times(op, v << (8 * k));
#if defined(__x86_64__)
    __builtin_cpu_init();
    crc_have_hw = __builtin_cpu_supports("sse4.2");
#endif
}

uint32_t strom_crc32c_sw(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    const uint8_t *s = p;
    crc = ~crc;
    while (n >= 8) {
        uint64_t w = strom_ld64(s) ^ crc;
        crc = crc_table[7][w & 0xff] ^ crc_table[6][(w >> 8) & 0xff] ^
              crc_table[5][(w >> 16) & 0xff] ^ crc_table[4][(w >> 24) & 0xff] ^
              crc_table[3][(w >> 32) & 0xff] ^ crc_table[2][(w >> 40) & 0xff] ^
              crc_table[1][(w >> 48) & 0xff] ^ crc_table[0][w >> 56];
        s += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *s++) & 0xff];
    return ~crc;
}

static inline uint32_t shift_block(uint32_t c)
{
    return crc_shift[0][c & 0xff] ^ crc_shift[1][(c >> 8) & 0xff] ^
           crc_shift[2][(c >> 16) & 0xff] ^ crc_shift[3][c >> 24];
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *s, size_t n)
{
    uint64_t c = ~crc;
    while (n >= 3 * CRC_BLOCK) {
        uint64_t c1 = 0, c2 = 0;
        for (size_t i = 0; i < CRC_BLOCK; i += 8) {
            c = __builtin_ia32_crc32di(c, strom_ld64(s + i));
            c1 = __builtin_ia32_crc32di(c1, strom_ld64(s + CRC_BLOCK + i));
            c2 = __builtin_ia32_crc32di(c2, strom_ld64(s + 2 * CRC_BLOCK + i));
        }
        c = shift_block((uint32_t)c) ^ c1;
        c = shift_block((uint32_t)c) ^ c2;
        s += 3 * CRC_BLOCK;
        n -= 3 * CRC_BLOCK;
    }
    while (n >= 8) {
        c = __builtin_ia32_crc32di(c, strom_ld64(s));
        s += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--)
        c32 = __builtin_ia32_crc32qi(c32, *s++);
    return ~c32;
}
#endif

uint32_t strom_crc32c(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
#if defined(__x86_64__)
    if (crc_have_hw)
        return crc32c_hw(crc, p, n);
#endif
    return strom_crc32c_sw(crc, p, n);
}
