/*
 * log_internal.h: the structures shared by log.c (open, recovery, append), log_read.c
 * (reads, retention) and log_view.c (reads with projection and predicate). Not part of the
 * API.
 */
#ifndef STROM_LOG_LOG_INTERNAL_H
#define STROM_LOG_LOG_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "common/fs.h"
#include "log/log.h"
#include "log/writers.h"

typedef struct idx_entry {
    uint32_t rel;   /* offset - segment base */
    uint32_t pos;   /* file position of the record */
    int64_t max_ts; /* largest commit timestamp of the segment up to and including it */
} idx_entry;

typedef struct strom_segment {
    int64_t base;
    int fd, index_fd;
    uint64_t size;            /* bytes of valid records */
    uint64_t verified;        /* records below this position have passed their CRC */
    struct strom_seg_run {
        uint64_t from, to;
    } *checked;               /* runs of records past `verified` that passed too (reads that
                                 began mid-segment after open): ascending, disjoint, at most
                                 STROM_SEG_RUNS; joined to the prefix when they meet it */
    int nchecked;
    uint64_t last_indexed;    /* position of the last index entry */
    int64_t max_ts;           /* largest commit timestamp in the segment (INT64_MIN: none) */
    idx_entry *index;
    size_t nindex, capindex;
    bool index_ready;         /* in memory and consistent with the file */
    int64_t mtime_ms;
    uint64_t alloc_end;       /* [size, alloc_end) is zero-filled and durably allocated
                                 (the runway: writes there change no file metadata) */
    uint64_t zero_from, zero_to; /* being zero-filled by the runway thread (0, 0: nothing);
                                 appends must not reach into it meanwhile */
    bool zeroed;              /* zeros were written past `size` once: cut them when sealing
                                 or closing (even if a failed step left them unaccounted) */
    int refs;                 /* the log's reference + one per range handed out */
    bool deleted;
    char path[4096];
} strom_segment;

struct strom_log {
    char dir[4096];
    strom_log_config cfg;
    pthread_mutex_t mu;
    pthread_cond_t synced;
    strom_segment **segs;     /* by base offset; the last one is active */
    int nsegs, capsegs;
    int64_t start_offset, end_offset, durable_offset;
    bool syncing;
    int failed;               /* sticky error code, 0 when healthy */
    char failed_msg[300];
    int64_t active_created_ms;
    uint64_t lazy_checks;     /* records CRC-checked on a read since open (not yet known good) */
    pthread_t flusher;
    bool flusher_running, stopping;
    pthread_cond_t stop_cv;
    strom_writers writers;    /* idempotent writer state (writers.h) */
    /* the runway of the active segment (preallocate_bytes): extended by one thread shared by
     * every log of the process, so that no append waits for it */
    uint64_t avg_append;      /* moving average of the bytes per append */
    int runway;               /* RUNWAY_IDLE, RUNWAY_QUEUED, RUNWAY_BUSY */
    bool runway_off;          /* zero-filling failed once: plain appends from then on */
    pthread_cond_t runway_cv; /* signalled when a zero-fill ends */
    struct strom_log *runway_next; /* in the runway thread's queue */
};

/* Runs of checked records a segment remembers past its checked prefix. */
#define STROM_SEG_RUNS 64

/* How many records reads have CRC-checked since open because they were not yet known good
 * (for tests: a record checked once is not checked again). */
uint64_t strom_log_lazy_checks(strom_log *l);

/* Segment helpers used by both files (called with l->mu held where they touch the log). */
void strom_seg_unref(strom_segment *s);
int strom_seg_load_index(strom_segment *s, uint32_t index_bytes, strom_error *err);
int strom_seg_add_index(strom_segment *s, int64_t offset, uint64_t pos, int64_t commit_ts);

/* Stored records read through a window of a segment file (log_read.c: the walk of headers
 * and the search by timestamp; log_view.c: the views' walk of fronts and bodies). After a
 * small record, whose followers are likely small too, a read takes up to STROM_LOG_WINDOW
 * bytes of what is left of the range, so one pread serves many records; after a large one
 * (or at first), just what is asked for. */
#define STROM_LOG_WINDOW (64u << 10)
#define STROM_LOG_SMALL_RECORD (8u << 10)

typedef struct strom_log_window {
    int fd;     /* whose bytes buf holds (-1: none) */
    uint64_t pos;
    strom_buf buf;
    bool small; /* the last record was small: read ahead */
} strom_log_window;

#define STROM_LOG_WINDOW_INIT {-1, 0, STROM_BUF_INIT, false}

/* The header of a stored record, read through a window. */
typedef struct strom_log_head {
    const uint8_t *p;  /* its first bytes (valid until the window's next read) */
    int64_t base, last; /* the offsets it covers */
    uint32_t len;      /* its length: within the bytes the walk may read */
} strom_log_head;

/* Reads the header of the record at pos of segment s through the window, with at least
 * `want` bytes from pos (at least the 64-byte header; records end at `end`), and checks its
 * length against what is left. Notes whether it is small (the window reads ahead after it).
 * 0, or an error naming the file and the byte. */
int strom_log_window_head(strom_log_window *w, const strom_segment *s, uint64_t pos,
                          uint64_t end, size_t want, strom_log_head *h, strom_error *err);

bool strom_log_window_has(const strom_log_window *w, int fd, uint64_t pos, uint64_t n);
/* Bytes [pos, pos + n) of fd, of which `avail` bytes from pos may be read (n <= avail): from
 * the window, or read into it (NULL: the read failed). Valid until the next call. */
const uint8_t *strom_log_window_get(strom_log_window *w, int fd, uint64_t pos, size_t n,
                                    uint64_t avail);

/* A stretch of one segment that a reader walks record by record without the log's mutex:
 * the records in [pos, end) were written when the span was taken and never change; those
 * below `verified` have passed their CRC since open; records at or past the high watermark
 * hw are not served. pos is where the segment's sparse index puts the record holding the
 * offset asked for, so a walk first passes the records before it. */
typedef struct strom_log_span {
    strom_segment *seg; /* referenced; NULL: nothing to read (the offset is at hw) */
    int fd;
    uint64_t pos, end, verified;
    int64_t hw;
} strom_log_span;

/* The span of the segment holding `offset` (seg NULL at or past the high watermark);
 * STROM_ERANGE before the log's start. Release with strom_seg_unref(sp->seg). */
int strom_log_span_at(strom_log *l, int64_t offset, strom_log_span *sp, strom_error *err);
/* Checks the record at pos of the span (its CRC, its base offset) unless it is known good
 * (the read of a segment not read since open), and remembers a good one for later reads. */
int strom_log_span_verify(strom_log *l, strom_log_span *sp, uint64_t pos, uint32_t len,
                          int64_t base, strom_buf *buf, strom_error *err);

#endif /* STROM_LOG_LOG_INTERNAL_H */
