/*
 * avro_read.h: a reader of Avro object container files for the lake's manifests, hardened for
 * files strom did not write: every count and length is checked against the bytes present
 * before anything is allocated, nesting is bounded, and damage is STROM_ECORRUPT saying
 * what and where. (avro-c, which writes the manifests, trusts lengths from the file: a damaged
 * manifest can make it ask for terabytes or leak; fuzz_lake found both.)
 *
 * Records decode under the writer's schema (from the file header) into a tree of values that
 * lives until the next record; callers look fields up by name, so any field set reads.
 * Codecs: null and deflate.
 */
#ifndef STROM_LAKE_AVRO_READ_H
#define STROM_LAKE_AVRO_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strom/error.h"

typedef enum strom_av_kind {
    STROM_AV_NULL, STROM_AV_BOOLEAN, STROM_AV_INT, STROM_AV_LONG, STROM_AV_FLOAT,
    STROM_AV_DOUBLE, STROM_AV_BYTES, STROM_AV_STRING, STROM_AV_RECORD, STROM_AV_ENUM,
    STROM_AV_ARRAY, STROM_AV_MAP, STROM_AV_UNION, STROM_AV_FIXED,
} strom_av_kind;

typedef struct strom_av_schema strom_av_schema;

/* A decoded value; unions are resolved to their branch's value. */
typedef struct strom_av_value {
    strom_av_kind kind;
    const strom_av_schema *schema;   /* RECORD: for field names */
    union {
        bool b;
        int64_t i;                    /* INT, LONG, ENUM (symbol index) */
        double d;
        struct { const uint8_t *p; size_t n; } s;          /* BYTES, STRING, FIXED */
        struct { struct strom_av_value *v; size_t n; } list; /* RECORD fields, ARRAY items,
                                                                MAP values */
    } u;
} strom_av_value;

typedef struct strom_av_file strom_av_file;

/* Opens the container file in p[0..n) (which must outlive the reader): header, schema, and
 * every block's framing (and deflate data) checked up front. `what` names the file in
 * errors. */
int strom_av_open(const uint8_t *p, size_t n, const char *what, strom_av_file **out,
                  strom_error *err);
void strom_av_close(strom_av_file *f);
/* 1 and *rec: the next record (valid until the next call); 0 at the end. */
int strom_av_next(strom_av_file *f, const strom_av_value **rec, strom_error *err);

/* A field of a record by name, NULL when the record has none. */
const strom_av_value *strom_av_field(const strom_av_value *rec, const char *name);

#endif /* STROM_LAKE_AVRO_READ_H */
