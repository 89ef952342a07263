/*
 * value.h: one typed scalar, used for predicate literals, statistics bounds and row access.
 *
 * Integers of every width and the temporal types (DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ) are
 * carried as int64; FLOAT is widened to double (exactly: a float literal bound to a FLOAT
 * column is rounded to float first); DECIMAL as the int128 unscaled value (the scale comes
 * from the column type); STRING/BYTES as a pointer and a length that the value does NOT own.
 *
 * Ordering (strom_value_cmp) is a total order per type, the one statistics and predicates
 * share: integers numerically; floating point numerically with -0.0 == +0.0 and NaN equal to
 * itself and greater than every other value (as Java's Double.compare, except the zeros);
 * STRING/BYTES bytewise unsigned (memcmp) then shorter first; false < true.
 */
#ifndef STROM_COLUMNAR_VALUE_H
#define STROM_COLUMNAR_VALUE_H

#include <stdbool.h>
#include <stdint.h>

#include "strom/types.h"

__extension__ typedef __int128 strom_i128;

typedef struct strom_value {
    strom_type_id type;
    bool is_null;
    union {
        bool b;
        int64_t i;
        double f;
        strom_i128 d;
        struct {
            const uint8_t *ptr;
            uint32_t len;
        } s;
    } u;
} strom_value;

/* <0, 0, >0. Both values must have the same type id and be non-null. */
int strom_value_cmp(const strom_value *a, const strom_value *b);

/* Formats a value for humans and for the textual predicate form: integers in decimal,
 * DECIMAL with its scale ("12.50"), DATE as 'YYYY-MM-DD', TIME as 'HH:MM:SS[.ffffff]',
 * TIMESTAMP as 'YYYY-MM-DD HH:MM:SS[.ffffff]', TIMESTAMP_LTZ with a trailing 'Z', STRING
 * quoted with '' escaping, BYTES as X'hex', NULL as NULL. `scale` is used for DECIMAL only.
 * Always NUL-terminates; returns the length it wanted (like snprintf). */
int strom_value_format(const strom_value *v, int scale, char *buf, size_t cap);

#endif /* STROM_COLUMNAR_VALUE_H */
