/*
 * crc32c.h: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every
 * batch and every body buffer in strom. Debian ships no C library for it, so strom has its
 * own: the SSE4.2 crc32 instruction when the CPU has it, slicing-by-8 tables otherwise.
 *
 * strom_crc32c(0, p, n) is the standard CRC-32C of p[0..n) (check value for "123456789" is
 * 0xE3069283). Pass a previous result as `crc` to continue over more bytes.
 */
#ifndef STROM_CRC32C_H
#define STROM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t strom_crc32c(uint32_t crc, const void *p, size_t n);
/* The portable implementation, exposed so tests can compare it with the hardware path. */
uint32_t strom_crc32c_sw(uint32_t crc, const void *p, size_t n);

#endif /* STROM_CRC32C_H */
