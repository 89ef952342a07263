/*
 * units.h: sizes and durations as people write them in flags and config files: "64m", "1g",
 * "500ms", "7d". One parser for stromd's configuration and the strom command.
 */
#ifndef STROM_COMMON_UNITS_H
#define STROM_COMMON_UNITS_H

#include <stdbool.h>
#include <stdint.h>

/* A non-negative integer with an optional suffix: sizes k/kb/kib, m/mb/mib, g/gb/gib
 * (binary, any case); durations (`duration`) ms (the default), s, m, h, d -> milliseconds.
 * False for anything else or an overflow. */
bool strom_parse_scaled(const char *s, bool duration, int64_t *out);

#endif /* STROM_COMMON_UNITS_H */
