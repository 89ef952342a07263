/*
 * cli.h: internals of the `strom` command (src/cli/), shared by its subcommands.
 *
 * The server commands (create-table, produce, consume, ...) talk to stromd through libstrom
 * (include/strom/client.h); the codec tools work on Arrow IPC files: `gen` writes a demo
 * table, `cat` reads and prints one (projection, predicate, statistics), `demo` shows the
 * codec end to end. Everything here is prefixed `cli_`.
 *
 * Error style: a subcommand prints one line "strom <cmd>: <what>: <why>" to stderr and
 * returns exit status 1 (2 for a usage error).
 */
#ifndef STROM_CLI_H
#define STROM_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "columnar/batch.h"
#include "columnar/ipc.h"
#include "columnar/predicate.h"
#include "common/buf.h"
#include "strom/types.h"

/* ---- subcommands (cmd_*.c): argc/argv start at the subcommand name ----------------------- */
int cli_cmd_gen(int argc, char **argv);
int cli_cmd_cat(int argc, char **argv);
int cli_cmd_demo(int argc, char **argv);
/* server commands (cmd_table.c, cmd_stream.c), over libstrom */
int cli_cmd_create_database(int argc, char **argv);
int cli_cmd_databases(int argc, char **argv);
int cli_cmd_drop_database(int argc, char **argv);
int cli_cmd_create_table(int argc, char **argv);
int cli_cmd_tables(int argc, char **argv);
int cli_cmd_describe(int argc, char **argv);
int cli_cmd_drop_table(int argc, char **argv);
int cli_cmd_add_column(int argc, char **argv);
int cli_cmd_tiering(int argc, char **argv);
int cli_cmd_tier(int argc, char **argv);
int cli_cmd_query(int argc, char **argv);
int cli_cmd_partition(int argc, char **argv); /* create-partition, drop-partition */
int cli_cmd_offsets(int argc, char **argv);
int cli_cmd_produce(int argc, char **argv);
int cli_cmd_consume(int argc, char **argv);
int cli_cmd_scan(int argc, char **argv);
int cli_cmd_upsert(int argc, char **argv);
int cli_cmd_delete(int argc, char **argv);
int cli_cmd_lookup(int argc, char **argv);

/* --server flag, else $STROM_SERVER, else 127.0.0.1:7070 */
const char *cli_server_addr(const char *flag);
/* Connects, or prints why not (exit status 1 returned as non-zero). */
struct strom_client;
int cli_connect(const char *cmd, const char *addr, struct strom_client **c);
/* "name TYPE [NOT NULL], ..." -> schema (id 1) */
int cli_parse_schema(const char *text, strom_schema **out, strom_error *err);
/* earliest | latest | OFFSET | TIMESTAMP -> *kind (strom_start) and *value (offset, or ms) */
int cli_parse_start(const char *s, int *kind, int64_t *value, strom_error *err);

/* ---- the demo table (gen.c) ------------------------------------------------------------ */

/* The demo table has one column of every strom type; values are a pure function of
 * (seed, row, column), so any batching of the same rows yields the same table. `id` counts
 * rows and `price` trends upwards with the row, so range predicates prune whole batches. */
strom_schema *cli_gen_schema(void);

typedef struct cli_gen_opts {
    int64_t rows;        /* total rows */
    int64_t batch_rows;  /* rows per batch (the last one may be shorter) */
    double null_ratio;   /* share of nulls in nullable columns, 0..1 */
    uint64_t seed;
    strom_seal_opts seal;
} cli_gen_opts;

/* Value of column `col` at row `row` (strings point into `scratch`, at least 64 bytes). */
void cli_gen_value(const strom_schema *s, const cli_gen_opts *o, int col, int64_t row,
                   strom_value *v, uint8_t *scratch);

/* Seals rows [first, first+n) into one RecordBatch message appended to `out`, with its stats
 * (may be NULL). `bb` is a builder for the demo schema (reset on return). */
int cli_gen_batch(strom_batch_builder *bb, const strom_schema *s, const cli_gen_opts *o,
                  int64_t first, int64_t n, strom_buf *out, strom_batch_stats *stats,
                  strom_error *err);

/* Writes the whole table as an Arrow stream (file_format false) or file into `out`. */
int cli_gen_table(const strom_schema *s, const cli_gen_opts *o, bool file_format,
                  strom_buf *out, strom_error *err);

/* ---- printing values (show.c) ------------------------------------------------------------ */

/* Human text of one value (no quotes around strings; BYTES as hex; DECIMAL with its scale;
 * DATE/TIME/TIMESTAMP in ISO 8601, TIMESTAMP_LTZ with a trailing Z; NULL as "NULL"). Appends
 * to out, NUL-terminated. */
int cli_value_text(const strom_value *v, strom_type t, strom_buf *out);

/* Output sinks for rows of a (projected) schema. */
typedef enum cli_format { CLI_FMT_TABLE, CLI_FMT_CSV, CLI_FMT_JSONL, CLI_FMT_ARROW } cli_format;
int cli_format_parse(const char *s, cli_format *out);

typedef struct cli_printer cli_printer;
/* A printer of rows of `s` (not owned) to `f`. TABLE buffers up to `limit` rows to align the
 * columns and prints them at cli_printer_finish; the others print as they go. */
cli_printer *cli_printer_new(FILE *f, cli_format fmt, const strom_schema *s, int64_t limit);
/* Prints the rows of `b` whose bit is set in `sel` (NULL = all), columns cols[0..ncols) of b
 * in that order. Returns 0, or STROM_ELIMIT once `limit` rows were printed. */
int cli_printer_rows(cli_printer *p, const strom_batch *b, const uint8_t *sel, const int *cols,
                     int ncols);
int cli_printer_finish(cli_printer *p);
void cli_printer_free(cli_printer *p);

/* ---- small helpers (util.c) --------------------------------------------------------------- */

/* Reads a whole file ("-" = stdin) into *out (caller frees). Prints nothing. */
int cli_read_file(const char *path, strom_buf *out, strom_error *err);
/* Writes bytes to a file ("-" = stdout), atomically for regular files (temp + rename). */
int cli_write_file(const char *path, const void *p, size_t n, strom_error *err);
/* Parses an integer / a ratio option value; false on junk or out of [min, max]. */
bool cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
bool cli_parse_double(const char *s, double min, double max, double *out);
/* Splits "a, b,c" into names (pointers into *buf, a copy the caller frees) for the client
 * options that take column names; *names is NULL when list is NULL. Returns the count. */
int cli_split_names(const char *list, char **buf, const char **names, int max);
/* Resolves "a,b,c" against s into an index array (caller frees); prints the error. */
int cli_parse_columns(const char *list, const strom_schema *s, int **cols, int *ncols,
                      strom_error *err);
/* Prints "strom <cmd>: <msg>" and the error detail to stderr; returns 1. */
int cli_fail(const char *cmd, const strom_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "1.5 KiB" style, into buf. */
const char *cli_human_bytes(uint64_t n, char *buf, size_t cap);

/* Opens an Arrow stream or file (autodetected by the "ARROW1" magic) held in memory. */
typedef struct cli_reader cli_reader;
int cli_reader_open(const uint8_t *p, size_t n, cli_reader **out, bool *is_file,
                    strom_error *err);
const strom_schema *cli_reader_schema(const cli_reader *r);
/* 1 and *out = next batch, 0 at the end, negative on error (the message names the batch). */
int cli_reader_next(cli_reader *r, strom_batch **out, strom_error *err);
int64_t cli_reader_index(const cli_reader *r); /* index of the batch last returned */
void cli_reader_close(cli_reader *r);

#endif /* STROM_CLI_H */
