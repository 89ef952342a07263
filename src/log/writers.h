/*
 * writers.h: idempotent writer state of a log: for each writer id, the sequence numbers and
 * base offsets of its last STROM_WRITER_WINDOW batches.
 *
 *   next sequence (last + 1)        accepted, appended
 *   one of the last WINDOW seqs     a retry: acknowledged with the offset it got, not appended
 *   anything else                   rejected (STROM_ESTATE): a gap or a reordering
 *   an unknown writer               accepted with any sequence (its first batch)
 *
 * The table survives restarts through snapshots (`<segment base>.writers`, written atomically
 * when a segment is rolled: the state after all older segments) plus a replay of the active
 * segment's records during recovery.
 */
#ifndef STROM_LOG_WRITERS_H
#define STROM_LOG_WRITERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strom/error.h"

#define STROM_WRITER_WINDOW 5

typedef struct strom_writer {
    int64_t id;                         /* -1: free slot */
    int n;                              /* batches remembered, <= WINDOW */
    int32_t seq[STROM_WRITER_WINDOW];   /* oldest first */
    int64_t base[STROM_WRITER_WINDOW];
} strom_writer;

typedef struct strom_writers {
    strom_writer *slots;                /* open addressing, capacity a power of two */
    size_t cap, count;
} strom_writers;

void strom_writers_init(strom_writers *w);
void strom_writers_free(strom_writers *w);

/* Decides about batch `seq` of writer `id`: 0 = append it; 1 = duplicate, *base = the offset
 * it was given; negative = rejected (err names the expected sequence). With `gaps` (logs of
 * primary-key buckets, where a write that changes nothing appends no record) any sequence
 * above the last is accepted, and one below it that is not remembered is a duplicate with
 * *base = -1 (it appended nothing, or it is older than the window: either way it is not
 * applied again). */
int strom_writers_check(const strom_writers *w, int64_t id, int32_t seq, bool gaps,
                        int64_t *base, strom_error *err);
/* Records an appended batch. */
int strom_writers_record(strom_writers *w, int64_t id, int32_t seq, int64_t base);

/* Snapshot files: written to path atomically (temp file, fsync, rename; the caller fsyncs the
 * directory); loading fails (negative) on a missing, short or corrupt file. */
int strom_writers_save(const strom_writers *w, const char *path, strom_error *err);
int strom_writers_load(strom_writers *w, const char *path, strom_error *err);

#endif /* STROM_LOG_WRITERS_H */
