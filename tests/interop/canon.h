/*
 * canon.h: the canonical JSON form of Arrow data that the interop tests compare, written
 * the same way by strom's side (C) and apache-arrow's side (interop.mjs):
 *
 *   { "schema":  [ {"name": "k", "type": "BIGINT", "nullable": false}, ... ],
 *     "batches": [ rows of batch 0, rows of batch 1, ... ],
 *     "columns": [ [ value of row 0, row 1, ... over all batches ], ... one per column ] }
 *
 * Every value is null or a JSON string that is exact for its type:
 *   BOOLEAN "true"/"false"      TINYINT..BIGINT, DATE (days), TIME and TIMESTAMP* (µs): decimal
 *   FLOAT / DOUBLE: the IEEE bits as 8 / 16 lowercase hex digits (so NaN, -0.0 compare exactly)
 *   DECIMAL: the unscaled integer in decimal (the scale is in the type)
 *   STRING: the text         BYTES: lowercase hex
 */
#ifndef STROM_INTEROP_CANON_H
#define STROM_INTEROP_CANON_H

#include <jansson.h>

#include "columnar/value.h"
#include "strom/types.h"

/* New reference to the canonical JSON of one value (NULL on allocation failure). */
json_t *canon_value(const strom_value *v, strom_type t);
/* New reference to the canonical schema array. */
json_t *canon_schema(const strom_schema *s);

#endif
