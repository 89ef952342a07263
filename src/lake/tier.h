/*
 * tier.h: tiering: copies the records of a log table's bucket logs into its Paimon table (one
 * Parquet file per bucket with new rows, one snapshot per run) and records, in that same
 * snapshot, the log offset each bucket is copied up to. The snapshot is the truth: a run that
 * dies before its snapshot is linked leaves only orphan files, and the next run starts again
 * from the offsets of the newest snapshot, so nothing is copied twice and nothing is missed.
 *
 * Snapshot properties written:
 *   strom.offsets    JSON object "<partition>/<bucket>" -> the first offset not yet in the
 *                    lake (partition "" for unpartitioned tables)
 *   strom.table_id   the strom table id (a re-created table does not reuse an old lake table)
 *
 * Rows are written under the table's latest schema (older records read with the added
 * columns null); every schema version gets its schema-<id> file. Parquet field ids are the
 * column positions, as the lake schema's field ids.
 */
#ifndef STROM_LAKE_TIER_H
#define STROM_LAKE_TIER_H

#include <stdint.h>

#include "lake/paimon.h"
#include "lake/parquet.h"
#include "log/log.h"
#include "strom/table.h"

/* One bucket log to copy. */
typedef struct strom_tier_source {
    strom_log *log;
    const char *partition;      /* strom's partition text; "" for unpartitioned tables */
    uint32_t bucket;
    int64_t tiered;             /* out: the offset the lake now holds up to */
} strom_tier_source;

typedef struct strom_tier_opts {
    strom_pq_opts parquet;      /* codec, row groups (field ids are set by tiering) */
    uint64_t max_file_bytes;    /* stop a bucket's file at this many bytes of records read
                                   (256 MiB); the rest waits for the next run */
    const char *commit_user;    /* e.g. "strom-<data dir id>" */
    int threads;                /* buckets tiered at once (1) */
} strom_tier_opts;

void strom_tier_opts_default(strom_tier_opts *o);

typedef struct strom_tier_result {
    int64_t snapshot_id;        /* the new snapshot (0: nothing new, no commit) */
    int64_t rows, files;
    uint64_t bytes_read;        /* log record bytes copied */
    uint64_t bytes_written;     /* Parquet bytes */
} strom_tier_result;

/* Schema by strom schema id (1..latest), for older records and schema files. */
typedef const strom_schema *(*strom_tier_schema_fn)(void *ctx, uint32_t schema_id);

/* The offsets recorded in snapshot s for each source (sources[i].tiered; 0 when the snapshot
 * has none). Refuses a lake table written for another table id. */
int strom_tier_offsets(const strom_lake_snapshot *s, uint64_t table_id,
                       strom_tier_source *sources, int n, strom_error *err);

/* One run over the log table `d` (its latest schema): every source from its lake offset to
 * the log's high watermark at the start of the run. Primary-key tables are refused
 * (STROM_EUNSUPPORTED). */
int strom_tier_run(strom_lake *lk, const strom_table_desc *d, strom_tier_schema_fn schema_for,
                   void *ctx, strom_tier_source *sources, int n, const strom_tier_opts *o,
                   strom_tier_result *res, strom_error *err);

/* ---- tiering from a stream of batches ------------------------------------------------------
 *
 * For a tiering process outside the server (`strom tier --local`): it reads the log through
 * libstrom from the offsets the newest snapshot holds, hands the batches in, and commits one
 * snapshot after that one (if another run committed meanwhile, the commit fails with
 * STROM_EEXISTS and nothing is lost: the next run starts from the newer snapshot). */
typedef struct strom_tier_stream strom_tier_stream;

/* Reads the newest snapshot (the run commits after it) and writes the latest schema's file. */
int strom_tier_stream_begin(strom_lake *lk, const strom_table_desc *d, const strom_tier_opts *o,
                            strom_tier_stream **out, strom_error *err);
/* The buckets the snapshot names and their offsets (partition, bucket, tiered). */
int strom_tier_stream_offsets(const strom_tier_stream *t, const strom_tier_source **srcs);
/* Restarts a bucket at `offset` (a partition dropped and written again: its log is new). */
int strom_tier_stream_reset(strom_tier_stream *t, const char *partition, uint32_t bucket,
                            int64_t offset);
/* A batch of bucket (partition, bucket), under the table's latest schema, whose rows have the
 * offsets base, base + 1, ...; changes: primary-key tables' change types (NULL: inserts).
 * Rows below the bucket's lake offset are skipped; a gap in a bucket's offsets is an error. */
int strom_tier_stream_add(strom_tier_stream *t, const char *partition, uint32_t bucket,
                          const strom_batch *b, const uint8_t *changes, int64_t base,
                          strom_error *err);
/* Writes the files, commits the snapshot (res->snapshot_id 0 when nothing was new). */
int strom_tier_stream_commit(strom_tier_stream *t, strom_tier_result *res, strom_error *err);
void strom_tier_stream_free(strom_tier_stream *t);

#endif /* STROM_LAKE_TIER_H */
