/*
 * strom/arrow_c.h: the two structures of the Apache Arrow C Data Interface
 * (https://arrow.apache.org/docs/format/CDataInterface.html), through which strom hands
 * decoded batches to any Arrow library in the same process without copying, and the stream
 * of the C Stream Interface, through which it hands over a whole scan.
 *
 * The layout below is an ABI fixed by those specifications: field order and types must not
 * change. The include guards are the ones they prescribe, so this header and any other copy
 * of the definitions (Arrow C++'s abi.h, nanoarrow.h, ...) can be included in the same
 * translation unit.
 *
 * Ownership in one paragraph: a producer fills a structure and sets `release`; the consumer
 * that ends up holding it calls `release` exactly once when done, which frees what the
 * producer allocated and sets `release` to NULL (the "released" mark). A consumer may move a
 * structure (bitwise copy, then set the source's `release` to NULL), including a child out of
 * its parent; a parent's release leaves already-released children alone.
 */
#ifndef STROM_ARROW_C_H
#define STROM_ARROW_C_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

/* ArrowSchema.flags bits. */
#define ARROW_FLAG_DICTIONARY_ORDERED 1 /* dictionary indices are ordered */
#define ARROW_FLAG_NULLABLE 2           /* the field may hold nulls */
#define ARROW_FLAG_MAP_KEYS_SORTED 4    /* map keys are sorted within each entry */

/* A type, a field or a schema (a struct type whose children are the fields). */
struct ArrowSchema {
    const char *format;             /* type format string, e.g. "i", "+s", "d:10,2" */
    const char *name;               /* field name, may be NULL */
    const char *metadata;           /* binary key/value metadata, may be NULL */
    int64_t flags;                  /* ARROW_FLAG_* */
    int64_t n_children;
    struct ArrowSchema **children;  /* n_children pointers; NULL only if n_children == 0 */
    struct ArrowSchema *dictionary; /* dictionary value type, or NULL */
    void (*release)(struct ArrowSchema *); /* NULL = released */
    void *private_data;             /* producer's own data */
};

/* The data of an array (its type travels separately in an ArrowSchema). */
struct ArrowArray {
    int64_t length;                 /* logical length */
    int64_t null_count;             /* -1 if unknown */
    int64_t offset;                 /* logical offset into the buffers */
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;           /* n_buffers pointers, per the type's physical layout */
    struct ArrowArray **children;   /* n_children pointers; NULL only if n_children == 0 */
    struct ArrowArray *dictionary;  /* dictionary values, or NULL */
    void (*release)(struct ArrowArray *); /* NULL = released */
    void *private_data;             /* producer's own data */
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

/* A stream of arrays of one schema (the C Stream Interface,
 * https://arrow.apache.org/docs/format/CStreamInterface.html). The callbacks return 0 or an
 * errno value; get_next marks the end of the stream with a released array (release NULL);
 * get_last_error's message lives until the next call or the release. */
struct ArrowArrayStream {
    int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
    int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
    const char *(*get_last_error)(struct ArrowArrayStream *);
    void (*release)(struct ArrowArrayStream *); /* NULL = released */
    void *private_data;                         /* producer's own data */
};

#endif /* ARROW_C_STREAM_INTERFACE */

#ifdef __cplusplus
}
#endif
#endif /* STROM_ARROW_C_H */
