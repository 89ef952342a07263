/*
 * strom/types.h: column types and table schemas.
 *
 * A schema is an ordered list of named, typed columns, each NULL or NOT NULL, plus a schema
 * id. Schemas evolve only by appending nullable columns: a batch written under schema id N
 * and read under a later schema yields nulls for the columns added after N (see
 * strom_schema_check_evolution). How each type is stored in Arrow is in docs/format.md.
 *
 * Ownership: strom_schema is an opaque handle created by strom_schema_new or
 * strom_schema_copy and released by strom_schema_free. Strings returned by accessors live as
 * long as the schema.
 */
#ifndef STROM_TYPES_H
#define STROM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Type ids. The numeric values are persisted (catalog, batch stats): never renumber. */
#define STROM_TYPE_TABLE(X)                                              \
    X(BOOLEAN,       1,  "BOOLEAN")                                      \
    X(TINYINT,       2,  "TINYINT")                                      \
    X(SMALLINT,      3,  "SMALLINT")                                     \
    X(INT,           4,  "INT")                                          \
    X(BIGINT,        5,  "BIGINT")                                       \
    X(FLOAT,         6,  "FLOAT")                                        \
    X(DOUBLE,        7,  "DOUBLE")                                       \
    X(DECIMAL,       8,  "DECIMAL")                                      \
    X(STRING,        9,  "STRING")                                       \
    X(BYTES,         10, "BYTES")                                        \
    X(DATE,          11, "DATE")                                         \
    X(TIME,          12, "TIME")                                         \
    X(TIMESTAMP,     13, "TIMESTAMP")                                    \
    X(TIMESTAMP_LTZ, 14, "TIMESTAMP_LTZ")

typedef enum strom_type_id {
#define STROM_TYPE_ENUM_(name, value, text) STROM_TYPE_##name = (value),
    STROM_TYPE_TABLE(STROM_TYPE_ENUM_)
#undef STROM_TYPE_ENUM_
} strom_type_id;

#define STROM_DECIMAL_MAX_PRECISION 38

/* A column type. precision/scale are meaningful for DECIMAL only (1 <= p <= 38, 0 <= s <= p)
 * and are 0 for every other type. */
typedef struct strom_type {
    strom_type_id id;
    uint8_t precision;
    uint8_t scale;
} strom_type;

/* Physical representation, one per type:
 *   BOOLEAN       bit-packed, LSB first
 *   TINYINT       int8      SMALLINT int16     INT int32      BIGINT int64
 *   FLOAT         float32   DOUBLE   float64
 *   DECIMAL       int128 little-endian two's complement, the unscaled value
 *   STRING/BYTES  int32 offsets (rows+1) + data bytes (STRING is UTF-8)
 *   DATE          int32 days since 1970-01-01
 *   TIME          int64 microseconds since midnight
 *   TIMESTAMP     int64 microseconds since 1970-01-01 00:00:00, wall clock (no zone)
 *   TIMESTAMP_LTZ int64 microseconds since the epoch, UTC instant                           */

/* True for a valid type (known id, DECIMAL precision/scale in range, others 0/0). */
bool strom_type_valid(strom_type t);
/* Bytes per value for fixed-width types, 0 for BOOLEAN (bits) and STRING/BYTES (variable). */
int strom_type_width(strom_type_id id);
/* True for STRING and BYTES. */
bool strom_type_is_varlen(strom_type_id id);
/* "INT", "DECIMAL", ...; "?" for an unknown id. */
const char *strom_type_name(strom_type_id id);
/* Formats "DECIMAL(10,2)", "STRING", ... into buf (always NUL-terminated). Returns buf. */
char *strom_type_format(strom_type t, char *buf, size_t cap);
/* Parses a type name case-insensitively: BOOLEAN/BOOL, TINYINT, SMALLINT, INT/INTEGER,
 * BIGINT, FLOAT/REAL, DOUBLE, DECIMAL(p[,s]) (DECIMAL alone = DECIMAL(10,0)), STRING/VARCHAR,
 * BYTES/BINARY, DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ. `len` bytes of `s` are read. */
int strom_type_parse(const char *s, size_t len, strom_type *out, strom_error *err);
/* Convenience constructors. */
static inline strom_type strom_type_of(strom_type_id id)
{
    strom_type t = {id, 0, 0};
    return t;
}
static inline strom_type strom_type_decimal(uint8_t precision, uint8_t scale)
{
    strom_type t = {STROM_TYPE_DECIMAL, precision, scale};
    return t;
}

/* Column names: 1..STROM_NAME_MAX bytes of UTF-8, no control characters, unique within a
 * schema (compared exactly). */
#define STROM_NAME_MAX 255
#define STROM_MAX_COLUMNS 4096

typedef struct strom_schema strom_schema;

/* New empty schema with the given id. NULL on allocation failure. */
strom_schema *strom_schema_new(uint32_t schema_id);
/* Deep copy; the copy gets `schema_id`. NULL on allocation failure. */
strom_schema *strom_schema_copy(const strom_schema *s, uint32_t schema_id);
void strom_schema_free(strom_schema *s);

/* Appends a column. Errors: STROM_EINVAL (bad name or type), STROM_EEXISTS (duplicate name),
 * STROM_ELIMIT (too many columns), STROM_ENOMEM. */
int strom_schema_add(strom_schema *s, const char *name, strom_type type, bool nullable,
                     strom_error *err);

uint32_t strom_schema_id(const strom_schema *s);
int strom_schema_ncols(const strom_schema *s);
const char *strom_schema_col_name(const strom_schema *s, int col);
strom_type strom_schema_col_type(const strom_schema *s, int col);
bool strom_schema_col_nullable(const strom_schema *s, int col);
/* Index of the column named `name` (len bytes), or -1. */
int strom_schema_find(const strom_schema *s, const char *name, size_t len);
/* True if both have the same columns (names, types, nullability); ids are not compared. */
bool strom_schema_equal(const strom_schema *a, const strom_schema *b);
/* Checks that `newer` extends `older`: the same leading columns, and only nullable columns
 * appended. Returns 0 or STROM_EINVAL with a message naming the first difference. */
int strom_schema_check_evolution(const strom_schema *older, const strom_schema *newer,
                                 strom_error *err);

#ifdef __cplusplus
}
#endif
#endif /* STROM_TYPES_H */
