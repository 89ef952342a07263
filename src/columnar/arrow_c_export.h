/*
 * arrow_c_export.h: decoded strom batches and schemas through the Arrow C Data Interface
 * (strom/arrow_c.h), zero-copy. Internal because strom_batch is; the client library wraps
 * these for its users.
 *
 * A batch is exported as a struct array ("+s") with one child per column, the way Arrow
 * libraries import a record batch (pyarrow.RecordBatch._import_from_c, arrow::ImportRecordBatch,
 * nanoarrow). The format string of each type is in docs/format.md, "Arrow C Data Interface
 * export".
 */
#ifndef STROM_COLUMNAR_ARROW_C_EXPORT_H
#define STROM_COLUMNAR_ARROW_C_EXPORT_H

#include "columnar/batch.h"
#include "strom/arrow_c.h"
#include "strom/error.h"
#include "strom/types.h"

/* Fills *out with a struct-typed schema ("+s", name "", flags 0) whose children are the
 * columns of `s` in order: name = column name, format per type, ARROW_FLAG_NULLABLE for
 * nullable columns. Nothing in *out refers to `s` afterwards (names and formats are copied).
 *
 * Ownership: the caller (or whoever the structure is moved to) must call out->release once;
 * each child has its own release callback, so a child may be moved out and released on its
 * own, before or after the parent. Errors: STROM_EINVAL (invalid column type), STROM_ENOMEM;
 * on error out->release is NULL and nothing needs freeing. */
int strom_arrow_export_schema(const strom_schema *s, struct ArrowSchema *out, strom_error *err);

/* Fills *out with a struct array of b->rows rows (n_buffers 1, buffer 0 NULL = no nulls at
 * the top level, offset 0) with one child per column of b->schema:
 *   BOOLEAN and fixed width:  buffers {validity, values}
 *   STRING, BYTES:            buffers {validity, int32 offsets (length+1), data}
 *   DECIMAL:                  16-byte little-endian values
 * Validity is NULL when the column has no nulls. Every other buffer pointer is non-NULL (a
 * static zero buffer stands in for empty ones, including the single 0 offset of an empty
 * STRING/BYTES column whose view has no offsets). Buffers point into the batch's column
 * views: nothing is copied. The views are checked first (lengths, null counts against the
 * validity, buffer sizes, offsets within the data); an inconsistent view is STROM_EINVAL.
 *
 * Ownership: on success the export owns `b` and `owner`. The parent and each child hold one
 * reference to them; when the last of these is released (any order, any thread: children may
 * be moved out) the batch is freed with strom_batch_free and owner_free(owner) is called
 * (if owner_free is non-NULL). `owner` is what keeps the memory of zero-copy views alive
 * (e.g. the buffer holding the message bytes); it may be NULL. b->schema is only read during
 * the call. On error (STROM_EINVAL, STROM_ENOMEM) nothing is taken: the caller still owns
 * `b` and `owner`, and out->release is NULL. */
int strom_arrow_export_batch(strom_batch *b, void *owner, void (*owner_free)(void *),
                             struct ArrowArray *out, strom_error *err);

/* The format string strom exports for type `t` into buf (always NUL-terminated when cap > 0).
 * Returns 0, or STROM_EINVAL for an invalid type. */
int strom_arrow_format(strom_type t, char *buf, size_t cap);

#endif /* STROM_COLUMNAR_ARROW_C_EXPORT_H */
