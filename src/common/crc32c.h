/*
 * crc32c.h: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every
 * batch and every body buffer in strom, computed by ISA-L (libisal, crc32c.c).
 *
 * strom_crc32c(0, p, n) is the standard CRC-32C of p[0..n) (check value for "123456789" is
 * 0xE3069283). Pass a previous result as `crc` to continue over more bytes.
 */
#ifndef STROM_CRC32C_H
#define STROM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t strom_crc32c(uint32_t crc, const void *p, size_t n);

#endif /* STROM_CRC32C_H */
