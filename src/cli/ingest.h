/*
 * ingest.h: text input for `strom produce`: CSV and JSON Lines parsed into rows of a batch
 * builder, incrementally.
 *
 *   bytes, any chunking ──cli_ingest_feed──▶ complete records ──convert──▶ strom_value[ncols]
 *                                                                 ──strom_bb_append_row──▶ bb
 *
 * The reader keeps the incomplete tail of the input (a partial line, a quoted field that
 * spans chunks) between calls, so the caller may feed a file in any pieces; rows come out
 * exactly as if the whole input had been fed at once. Each row is appended all-or-nothing.
 *
 * The accepted text forms are the inverse of what `strom cat --format csv|jsonl` prints
 * (src/cli/show.c), plus a few common alternatives; docs/format.md section 11 has the table
 * per type.
 *
 * Errors: the first bad record stops the reader. The call returns a negative code and fills
 * `err` with a message naming the 1-based input line where the record starts (the header is
 * line 1), the column, and the offending text (at most ~40 bytes, control bytes escaped):
 *   line 17, column 'price': 'abc' is not a valid DECIMAL(10,2)
 * Rows before the bad one stay appended. The reader is then poisoned: further feed/finish
 * calls return STROM_ESTATE. Codes:
 *   STROM_EPARSE  malformed text: a value, CSV quoting, a field count, invalid JSON
 *   STROM_ERANGE  a well-formed value outside its type's range
 *   STROM_EINVAL  unknown or duplicate column, a NULL or missing value for a NOT NULL column,
 *                 a JSON value of the wrong kind (an object for an INT, ...), invalid UTF-8
 *   STROM_ELIMIT  a record longer than opts.max_record bytes, or a builder limit
 *   STROM_ENOMEM
 */
#ifndef STROM_CLI_INGEST_H
#define STROM_CLI_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "columnar/batch.h"
#include "strom/error.h"
#include "strom/types.h"

typedef enum cli_ingest_format { CLI_INGEST_CSV, CLI_INGEST_JSONL } cli_ingest_format;

#define CLI_INGEST_MAX_RECORD_DEFAULT ((size_t)64 << 20) /* 64 MiB: far above any sane row */

typedef struct cli_ingest_opts {
    char delimiter;        /* CSV field separator (default ','); not '"', '\r' or '\n' */
    bool header;           /* CSV: the first record names the columns (default true); without
                              one, fields are the schema's columns in order */
    const char *null_text; /* CSV: an unquoted field equal to this is NULL. NULL (default):
                              the empty unquoted field is NULL. A quoted field is never NULL. */
    size_t max_record;     /* longest record (CSV) or line (JSONL) in bytes, 0 = default */
} cli_ingest_opts;

/* Fills *o with the defaults above. */
void cli_ingest_opts_init(cli_ingest_opts *o);

typedef struct cli_ingest cli_ingest;

/* A reader of `fmt` text into rows of `s` (not owned: it must outlive the reader; the
 * builders fed must be builders of `s`). `o` may be NULL for the defaults; it is copied
 * (null_text too). NULL on allocation failure or an invalid delimiter. */
cli_ingest *cli_ingest_new(cli_ingest_format fmt, const strom_schema *s,
                           const cli_ingest_opts *o);
void cli_ingest_free(cli_ingest *in);

/* Consumes p[0..n) and appends every record it completes to `bb`. A record left incomplete
 * at the end of the chunk is kept for the next call. Returns 0 or a negative code (see the
 * top of this file); rows completed before an error stay appended. */
int cli_ingest_feed(cli_ingest *in, const uint8_t *p, size_t n, strom_batch_builder *bb,
                    strom_error *err);

/* Ends the input: appends the last record if it has no trailing newline. STROM_EPARSE if
 * the input ends inside a quoted field. An empty input is no error (0 rows). The reader
 * accepts nothing afterwards (STROM_ESTATE). */
int cli_ingest_finish(cli_ingest *in, strom_batch_builder *bb, strom_error *err);

/* The 1-based input line where the record last handled starts (after an error, the line of
 * the bad record); 0 before the first record. */
int64_t cli_ingest_line(const cli_ingest *in);
/* Rows appended so far (all builders together); the header and blank lines not counted. */
int64_t cli_ingest_rows(const cli_ingest *in);

#endif /* STROM_CLI_INGEST_H */
