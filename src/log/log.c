/*
 * log.c: opening and recovering a bucket log, appending with group commit, closing
 * (see log.h for the model; reads and retention are in log_read.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "log/log_internal.h"
#include "common/fs.h"

enum { RUNWAY_IDLE, RUNWAY_QUEUED, RUNWAY_BUSY }; /* strom_log.runway (see below) */
#define RUNWAY_MAX_APPEND (64u << 10) /* above this average append size: no runway */

void strom_log_config_default(strom_log_config *c)
{
    memset(c, 0, sizeof *c);
    c->segment_bytes = UINT64_C(1) << 30;
    c->segment_ms = INT64_C(7) * 24 * 3600 * 1000;
    c->retention_bytes = 0;
    c->retention_ms = 0;
    c->fsync = STROM_LOG_FSYNC_ALWAYS;
    c->fsync_interval_ms = 100;
    c->index_bytes = 4096;
    c->preallocate_bytes = UINT64_C(1) << 20;
    c->writer_gaps = false;
}

static int sys_error(strom_error *err, const char *what, const char *path)
{
    int e = errno;
    return strom_error_set(err, e == ENOSPC ? STROM_ENOSPACE : STROM_EIO, "%s %s: %s", what,
                           path, strerror(e));
}

/* ---- segments -------------------------------------------------------------------------- */

void strom_seg_unref(strom_segment *s)
{
    if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (s->fd >= 0)
        close(s->fd);
    if (s->index_fd >= 0)
        close(s->index_fd);
    free(s->index);
    free(s->checked);
    free(s);
}

static int index_path(const strom_segment *s, char *buf, size_t cap)
{
    size_t n = strlen(s->path);
    return snprintf(buf, cap, "%.*s.index", (int)(n - 4), s->path) < (int)cap ? 0 : -1;
}

static strom_segment *seg_open(const char *dir, int64_t base, bool create, strom_error *err)
{
    strom_segment *s = calloc(1, sizeof *s);
    if (!s) {
        strom_error_set(err, STROM_ENOMEM, "out of memory");
        return NULL;
    }
    s->base = base;
    s->refs = 1;
    s->index_fd = -1;
    s->max_ts = INT64_MIN;
    snprintf(s->path, sizeof s->path, "%s/%020" PRId64 ".log", dir, base);
    s->fd = open(s->path, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0644);
    struct stat st;
    if (s->fd < 0 || fstat(s->fd, &st) != 0) {
        sys_error(err, create ? "create" : "open", s->path);
        if (s->fd >= 0)
            close(s->fd);
        free(s);
        return NULL;
    }
    s->size = (uint64_t)st.st_size;
    s->mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    return s;
}

/* Appends an index entry in memory and to the .index file (not fsynced: it is rebuilt
 * whenever it disagrees with the log). The segment's max_ts must already include the
 * record's timestamp. */
int strom_seg_add_index(strom_segment *s, int64_t offset, uint64_t pos, int64_t commit_ts)
{
    (void)commit_ts;
    if (s->nindex == s->capindex) {
        size_t ncap = s->capindex ? 2 * s->capindex : 256;
        idx_entry *n = realloc(s->index, ncap * sizeof *n);
        if (!n)
            return STROM_ENOMEM;
        s->index = n;
        s->capindex = ncap;
    }
    idx_entry e = {(uint32_t)(offset - s->base), (uint32_t)pos, s->max_ts};
    s->index[s->nindex++] = e;
    s->last_indexed = pos;
    if (s->index_fd >= 0) {
        uint8_t b[16];
        strom_st32(b, e.rel);
        strom_st32(b + 4, e.pos);
        strom_st64(b + 8, (uint64_t)e.max_ts);
        if (pwrite(s->index_fd, b, 16, (off_t)(16 * (s->nindex - 1))) != 16) {
            close(s->index_fd); /* the in-memory index still works; the file is rebuilt */
            s->index_fd = -1;
        }
    }
    return 0;
}

/* Reads the record headers of s from `pos` on, calling back for each; stops at the end of
 * the file or the first record that does not parse. With verify, the whole record is read
 * and its CRC checked. Returns the position after the last good record. */
typedef int (*scan_fn)(strom_segment *s, const uint8_t *head, int64_t base, int32_t delta,
                       uint64_t pos, uint32_t len, void *arg);

static uint64_t seg_scan(strom_segment *s, uint64_t pos, uint64_t end, bool verify,
                         int64_t expect, scan_fn fn, void *arg, int64_t *next_offset)
{
    strom_buf buf = STROM_BUF_INIT;
    while (pos + 12 <= end) {
        uint8_t head[STROM_RECORD_HEADER];
        int64_t base;
        uint32_t len;
        if (pread(s->fd, head, sizeof head, (off_t)pos) != (ssize_t)sizeof head ||
            strom_record_peek(head, sizeof head, &base, &len, NULL) != 0 || pos + len > end ||
            (expect >= 0 && base != expect))
            break;
        int32_t delta = (int32_t)strom_ld32(head + 19);
        if (verify) {
            strom_record r;
            strom_buf_reset(&buf);
            if (strom_buf_reserve(&buf, len) != 0 ||
                pread(s->fd, buf.data, len, (off_t)pos) != (ssize_t)len ||
                strom_record_parse(buf.data, len, &r, NULL) != 0)
                break;
            delta = r.info.last_offset_delta;
        }
        if (delta < 0 || (fn && fn(s, head, base, delta, pos, len, arg) != 0))
            break;
        expect = base + delta + 1;
        pos += len;
    }
    strom_buf_free(&buf);
    if (next_offset)
        *next_offset = expect;
    return pos;
}

static int index_cb(strom_segment *s, const uint8_t *head, int64_t base, int32_t delta,
                    uint64_t pos, uint32_t len, void *arg)
{
    uint32_t every = *(const uint32_t *)arg;
    int64_t ts = (int64_t)strom_ld64(head + 23);
    (void)delta;
    (void)len;
    if (ts > s->max_ts)
        s->max_ts = ts;
    if (s->nindex == 0 || pos - s->last_indexed >= every)
        return strom_seg_add_index(s, base, pos, ts);
    return 0;
}

/* Only tracks the largest timestamp (records after the last index entry). */
static int max_ts_cb(strom_segment *s, const uint8_t *head, int64_t base, int32_t delta,
                     uint64_t pos, uint32_t len, void *arg)
{
    int64_t ts = (int64_t)strom_ld64(head + 23);
    (void)base, (void)delta, (void)pos, (void)len, (void)arg;
    if (ts > s->max_ts)
        s->max_ts = ts;
    return 0;
}

/* Rebuilds the index of s from its records in [0, s->size) and rewrites the .index file. */
static int seg_rebuild_index(strom_segment *s, uint32_t every, strom_error *err)
{
    char ip[4200];
    s->nindex = 0;
    s->last_indexed = 0;
    s->max_ts = INT64_MIN;
    if (index_path(s, ip, sizeof ip) != 0)
        return strom_error_set(err, STROM_EINVAL, "path too long: %s", s->path);
    if (s->index_fd >= 0)
        close(s->index_fd);
    s->index_fd = open(ip, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    uint64_t end = seg_scan(s, 0, s->size, false, s->base, index_cb, &every, NULL);
    if (end != s->size)
        return strom_error_set(err, STROM_ECORRUPT, "%s: records stop at byte %llu of %llu",
                               s->path, (unsigned long long)end, (unsigned long long)s->size);
    s->index_ready = true;
    return 0;
}

/* Loads the .index file of an older segment, or rebuilds it when missing or inconsistent. */
int strom_seg_load_index(strom_segment *s, uint32_t every, strom_error *err)
{
    if (s->index_ready)
        return 0;
    char ip[4200];
    struct stat st;
    if (index_path(s, ip, sizeof ip) != 0)
        return strom_error_set(err, STROM_EINVAL, "path too long: %s", s->path);
    int fd = open(ip, O_RDWR | O_CLOEXEC);
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size % 16 == 0 &&
        st.st_size <= (off_t)(16 * (s->size / 8 + 1))) {
        size_t n = (size_t)st.st_size / 16;
        uint8_t *raw = malloc((size_t)st.st_size);
        idx_entry *e = malloc(n * sizeof *e);
        bool ok = raw && e && pread(fd, raw, (size_t)st.st_size, 0) == st.st_size;
        for (size_t i = 0; ok && i < n; i++) {
            e[i].rel = strom_ld32(raw + 16 * i);
            e[i].pos = strom_ld32(raw + 16 * i + 4);
            e[i].max_ts = (int64_t)strom_ld64(raw + 16 * i + 8);
            ok = e[i].pos < s->size && e[i].pos % 8 == 0 &&
                 (i == 0 ? e[i].rel == 0 && e[i].pos == 0
                         : e[i].rel > e[i - 1].rel && e[i].pos > e[i - 1].pos &&
                               e[i].max_ts >= e[i - 1].max_ts);
        }
        free(raw);
        if (ok) {
            free(s->index);
            s->index = e;
            s->nindex = s->capindex = n;
            s->last_indexed = e[n - 1].pos;
            s->max_ts = e[n - 1].max_ts;
            s->index_fd = fd;
            /* records after the last entry may raise the segment's largest timestamp */
            if (seg_scan(s, s->last_indexed, s->size, false, -1, max_ts_cb, NULL, NULL) ==
                s->size) {
                s->index_ready = true;
                return 0;
            }
            s->index_fd = -1;
            s->index = NULL;
            s->nindex = s->capindex = 0;
        }
        free(e);
    }
    if (fd >= 0)
        close(fd);
    return seg_rebuild_index(s, every, err);
}

/* ---- open and recovery ----------------------------------------------------------------- */

static int add_segment(strom_log *l, strom_segment *s)
{
    if (strom_array_grow(&l->segs, l->nsegs, &l->capsegs, sizeof *l->segs, 16) != 0)
        return STROM_ENOMEM;
    l->segs[l->nsegs++] = s;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Base offsets of the segment files in dir, sorted. Files that are not ours are ignored. */
static int list_segments(const char *dir, int64_t **bases, int *n, strom_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return sys_error(err, "open directory", dir);
    int cap = 16;
    *n = 0;
    *bases = malloc(sizeof **bases * (size_t)cap);
    struct dirent *e;
    while (*bases && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len != 24 || strcmp(e->d_name + 20, ".log") != 0 ||
            strspn(e->d_name, "0123456789") != 20)
            continue;
        if (*n == cap) {
            int64_t *nb = realloc(*bases, sizeof **bases * (size_t)(cap *= 2));
            if (!nb) {
                free(*bases);
                *bases = NULL;
                break;
            }
            *bases = nb;
        }
        (*bases)[(*n)++] = strtoll(e->d_name, NULL, 10);
    }
    closedir(d);
    if (!*bases)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    qsort(*bases, (size_t)*n, sizeof **bases, cmp_i64);
    return 0;
}

/* Replays a record's writer id and sequence into the writer table. */
static int writers_cb(strom_segment *s, const uint8_t *head, int64_t base, int32_t delta,
                      uint64_t pos, uint32_t len, void *arg)
{
    (void)s, (void)delta, (void)pos, (void)len;
    int64_t id = (int64_t)strom_ld64(head + 39);
    return id >= 0 ? strom_writers_record(arg, id, (int32_t)strom_ld32(head + 47), base) : 0;
}

static void writers_path(const strom_log *l, int64_t base, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%020" PRId64 ".writers", l->dir, base);
}

/* Writer state as of the start of the active segment: its snapshot, or (when missing or
 * damaged) a scan of the headers of every older segment. */
static int load_writers(strom_log *l, strom_error *err)
{
    char path[4200];
    strom_segment *active = l->segs[l->nsegs - 1];
    writers_path(l, active->base, path, sizeof path);
    if (l->nsegs == 1 || strom_writers_load(&l->writers, path, NULL) == 0)
        return 0;
    strom_writers_free(&l->writers);
    strom_writers_init(&l->writers);
    for (int i = 0; i < l->nsegs - 1; i++) {
        strom_segment *s = l->segs[i];
        if (seg_scan(s, 0, s->size, false, s->base, writers_cb, &l->writers, NULL) != s->size)
            return strom_error_set(err, STROM_ECORRUPT, "%s: unreadable record headers while "
                                   "rebuilding writer state", s->path);
    }
    return 0;
}

/* Validates the active segment record by record and cuts a torn or corrupt tail. */
static int recover_active(strom_log *l, strom_segment *s, strom_error *err)
{
    int64_t next = s->base;
    STROM_TRY(load_writers(l, err));
    uint64_t good = seg_scan(s, 0, s->size, true, s->base, writers_cb, &l->writers, &next);
    if (good != s->size) {
        if (ftruncate(s->fd, (off_t)good) != 0 || fdatasync(s->fd) != 0)
            return sys_error(err, "truncate torn tail of", s->path);
        s->size = good;
    }
    s->verified = good;
    s->alloc_end = good; /* no runway until the runway thread makes one */
    l->end_offset = next;
    return seg_rebuild_index(s, l->cfg.index_bytes, err);
}

static void *flusher_main(void *arg);

int strom_log_open(const char *dir, const strom_log_config *cfg, strom_log **out,
                   strom_error *err)
{
    *out = NULL;
    if (strlen(dir) > 3000)
        return strom_error_set(err, STROM_EINVAL, "log directory path too long");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return sys_error(err, "create directory", dir);
    strom_log *l = calloc(1, sizeof *l);
    if (!l)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    snprintf(l->dir, sizeof l->dir, "%s", dir);
    if (cfg)
        l->cfg = *cfg;
    else
        strom_log_config_default(&l->cfg);
    if (l->cfg.index_bytes == 0)
        l->cfg.index_bytes = 4096;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->synced, NULL);
    pthread_cond_init(&l->stop_cv, NULL);
    pthread_cond_init(&l->runway_cv, NULL);
    l->avg_append = 2 * RUNWAY_MAX_APPEND; /* a runway only after a run of small appends */
    strom_writers_init(&l->writers);
    int64_t *bases = NULL;
    int n = 0, rc = list_segments(dir, &bases, &n, err);
    for (int i = 0; rc == 0 && i < n; i++) {
        strom_segment *s = seg_open(dir, bases[i], false, err);
        if (!s)
            rc = err ? err->code : STROM_EIO;
        else if (add_segment(l, s) != 0)
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        if (s && i < n - 1)
            s->verified = 0; /* older segments: verified lazily, on first read */
    }
    free(bases);
    if (rc == 0 && l->nsegs == 0) {
        strom_segment *s = seg_open(dir, 0, true, err);
        rc = !s ? (err ? err->code : STROM_EIO)
                : add_segment(l, s) != 0 ? STROM_ENOMEM : strom_fsync_dir(dir, err);
    }
    if (rc == 0)
        rc = recover_active(l, l->segs[l->nsegs - 1], err);
    if (rc != 0) {
        strom_log_close(l);
        return rc;
    }
    l->start_offset = l->segs[0]->base;
    l->durable_offset = l->end_offset;
    l->active_created_ms = strom_now_ms();
    if (l->cfg.fsync == STROM_LOG_FSYNC_INTERVAL &&
        pthread_create(&l->flusher, NULL, flusher_main, l) == 0)
        l->flusher_running = true;
    *out = l;
    return 0;
}

static int fail(strom_log *l, int code, const char *what, strom_error *err);

/* ---- the runway: zero-filled space ahead of the active segment ------------------------ *
 *
 * Appending to a file changes its size, so the fdatasync that acknowledges the append must
 * also commit the file system's journal (on ext4: a hand-off to its journal thread and a
 * second device flush). Writes into blocks that are already allocated, written and durable
 * change no metadata, and their fdatasync is a data write plus one flush: about half the
 * time for small appends on the machines measured (docs/benchmarks.md). So while a log's
 * appends are small (the latency-bound case) one thread per process keeps
 * preallocate_bytes of zeros, written and fdatasync'ed, ahead of each active segment; large
 * appends (throughput) skip it, as zero-filling would double their disk writes. Recovery
 * cuts the zeros after the last record like any torn tail; sealing and closing a segment
 * truncate them. */

static pthread_mutex_t rw_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rw_cv = PTHREAD_COND_INITIALIZER;
static strom_log *rw_head, *rw_tail;
static pid_t rw_pid; /* the process whose runway thread runs (a forked child starts its own) */
static bool rw_started;

/* Writes n zero bytes at pos, 64 KiB at a time, each written out to the device before the
 * next: an fdatasync of the log meanwhile (an acknowledgement) then waits for at most one
 * such piece instead of the whole step. Returns 0, -1 when a write failed (no space: the
 * runway is given up), or -2 when writing back failed (errno set). */
static int write_zeros(int fd, uint64_t pos, uint64_t n)
{
    static const uint8_t zeros[64 << 10];
    while (n > 0) {
        size_t part = n < sizeof zeros ? (size_t)n : sizeof zeros;
        ssize_t w = pwrite(fd, zeros, part, (off_t)pos);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        if (sync_file_range(fd, (off_t)pos, w, SYNC_FILE_RANGE_WAIT_BEFORE |
                            SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) != 0)
            return -2;
        pos += (uint64_t)w;
        n -= (uint64_t)w;
    }
    return 0;
}

/* Extends l's runway by one preallocate_bytes step; the log mutex is held only around the
 * bookkeeping, never around the writes. */
static void runway_extend(strom_log *l)
{
    pthread_mutex_lock(&l->mu);
    strom_segment *s = l->segs[l->nsegs - 1];
    uint64_t from = s->alloc_end > s->size ? s->alloc_end : s->size;
    uint64_t to = from + l->cfg.preallocate_bytes;
    if (to > l->cfg.segment_bytes)
        to = l->cfg.segment_bytes;
    if (l->stopping || l->failed || to <= from) {
        l->runway = RUNWAY_IDLE;
        pthread_cond_broadcast(&l->runway_cv);
        pthread_mutex_unlock(&l->mu);
        return;
    }
    __atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
    s->zero_from = from;
    s->zero_to = to;
    s->zeroed = true;
    l->runway = RUNWAY_BUSY;
    pthread_mutex_unlock(&l->mu);
    /* the zeros and the new size made durable: only then may appends count on them */
    int rc = write_zeros(s->fd, from, to - from);
    if (rc == 0 && fdatasync(s->fd) != 0)
        rc = -2;
    int e = errno;
    pthread_mutex_lock(&l->mu);
    if (rc == 0) {
        s->alloc_end = to;
    } else {
        /* appends wait below `from`, so nothing of theirs is cut; without the runway the
         * log goes on as before (a full disk is then reported by the append itself). If the
         * zeros stay (the truncate failed too), recovery cuts them. */
        int unused = ftruncate(s->fd, (off_t)from);
        (void)unused;
        l->runway_off = true;
        /* a failed write-back may have been of acknowledged records too, and the error is
         * reported once per open file: this was the one report, so the log stops here */
        if (rc == -2) {
            char what[160];
            snprintf(what, sizeof what, "writing back the active segment: %s", strerror(e));
            fail(l, STROM_EIO, what, NULL);
        }
    }
    s->zero_from = s->zero_to = 0;
    l->runway = RUNWAY_IDLE;
    pthread_cond_broadcast(&l->runway_cv);
    pthread_mutex_unlock(&l->mu);
    strom_seg_unref(s);
}

static void *runway_main(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&rw_mu);
        while (!rw_head)
            pthread_cond_wait(&rw_cv, &rw_mu);
        strom_log *l = rw_head;
        rw_head = l->runway_next;
        if (!rw_head)
            rw_tail = NULL;
        pthread_mutex_unlock(&rw_mu);
        runway_extend(l);
    }
    return NULL;
}

/* Starts the runway thread of this process; called with rw_mu held. */
static void runway_start(void)
{
    rw_pid = getpid();
    rw_head = rw_tail = NULL; /* a forked child does not serve its parent's queue */
    pthread_t th;
    sigset_t all, old;
    sigfillset(&all); /* signals go to the threads that wait for them, never to this one */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rw_started = pthread_create(&th, NULL, runway_main, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rw_started)
        pthread_detach(th);
}

/* After an append (mu held): queues the log for more runway when its appends are small and
 * less than preallocate_bytes of runway is left. */
static void runway_check(strom_log *l, const strom_segment *s, size_t len)
{
    l->avg_append = l->avg_append - l->avg_append / 8 + len / 8;
    if (l->cfg.fsync != STROM_LOG_FSYNC_ALWAYS || l->cfg.preallocate_bytes == 0 ||
        l->runway != RUNWAY_IDLE || l->runway_off || l->stopping ||
        l->avg_append > RUNWAY_MAX_APPEND || s->alloc_end >= s->size + l->cfg.preallocate_bytes ||
        s->size >= l->cfg.segment_bytes)
        return;
    pthread_mutex_lock(&rw_mu);
    if (rw_pid != getpid())
        runway_start();
    if (!rw_started) {
        pthread_mutex_unlock(&rw_mu);
        return;
    }
    l->runway = RUNWAY_QUEUED;
    l->runway_next = NULL;
    if (rw_tail)
        rw_tail->runway_next = l;
    else
        rw_head = l;
    rw_tail = l;
    pthread_cond_signal(&rw_cv);
    pthread_mutex_unlock(&rw_mu);
}

/* ---- append and group commit ----------------------------------------------------------- */

static int fail(strom_log *l, int code, const char *what, strom_error *err)
{
    if (!l->failed) {
        l->failed = code;
        snprintf(l->failed_msg, sizeof l->failed_msg, "%s", what);
    }
    pthread_cond_broadcast(&l->synced);
    return strom_error_set(err, STROM_EIO, "log %s failed (%s); it refuses appends until it is "
                           "reopened and recovered", l->dir, l->failed_msg);
}

/* Starts a new segment at end_offset; the old one is made durable first so that durability
 * never depends on more than the active file. Called with mu held. */
static int roll(strom_log *l, strom_error *err)
{
    strom_segment *old = l->segs[l->nsegs - 1];
    /* a sealed segment ends at its last record: its runway goes, durably, before the next
     * segment exists (recovery trusts the length of every segment but the last) */
    if ((old->zeroed && ftruncate(old->fd, (off_t)old->size) != 0) ||
        fdatasync(old->fd) != 0) {
        sys_error(err, "fsync", old->path);
        return fail(l, STROM_EIO, err ? err->msg : "fsync", err);
    }
    strom_segment *s = seg_open(l->dir, l->end_offset, true, err);
    if (!s)
        return fail(l, STROM_EIO, err ? err->msg : "create segment", err);
    if (add_segment(l, s) != 0) {
        strom_seg_unref(s);
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    }
    char wp[4200];
    writers_path(l, s->base, wp, sizeof wp);
    if (strom_writers_save(&l->writers, wp, err) != 0) /* else rebuilt by a scan at open */
        unlink(wp);
    if (strom_fsync_dir(l->dir, err) != 0)
        return fail(l, STROM_EIO, err ? err->msg : "fsync directory", err);
    seg_rebuild_index(s, l->cfg.index_bytes, NULL); /* empty: just creates the .index file */
    l->active_created_ms = strom_now_ms();
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n, uint64_t pos)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)pos);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
        pos += (uint64_t)w;
    }
    return 0;
}

/* fdatasync of the active segment with the mutex released (called and returning with it
 * held); the segment is referenced so retention cannot close it meanwhile. Returns 0 or the
 * errno, with *seg set to the segment synced. */
static int sync_active_unlocked(strom_log *l, strom_segment **seg)
{
    strom_segment *s = l->segs[l->nsegs - 1];
    __atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
    pthread_mutex_unlock(&l->mu);
    int rc = fdatasync(s->fd) == 0 ? 0 : errno;
    pthread_mutex_lock(&l->mu);
    *seg = s;
    return rc;
}

/* Waits until offsets below `until` are durable, running the fsync itself when nobody else
 * is (group commit: one fdatasync covers everything written before it started). */
static int wait_durable(strom_log *l, int64_t until, strom_error *err)
{
    while (l->durable_offset < until && !l->failed) {
        if (l->syncing) {
            pthread_cond_wait(&l->synced, &l->mu);
            continue;
        }
        l->syncing = true;
        int64_t target = l->end_offset;
        strom_segment *s;
        int e = sync_active_unlocked(l, &s);
        l->syncing = false;
        if (e != 0) {
            errno = e;
            sys_error(err, "fsync", s->path);
            strom_seg_unref(s);
            return fail(l, STROM_EIO, err ? err->msg : "fsync", err);
        }
        strom_seg_unref(s);
        if (target > l->durable_offset)
            l->durable_offset = target;
        pthread_cond_broadcast(&l->synced);
    }
    return l->failed ? strom_error_set(err, STROM_EIO, "log %s failed (%s)", l->dir,
                                       l->failed_msg)
                     : 0;
}

int strom_log_append(strom_log *l, uint8_t *rec, size_t len, int64_t *base_offset,
                     strom_error *err)
{
    int64_t until;
    int rc = strom_log_append_nowait(l, rec, len, false, base_offset, &until, err);
    return rc == 0 ? strom_log_wait_durable(l, until, err) : rc;
}

int strom_log_wait_durable(strom_log *l, int64_t until, strom_error *err)
{
    if (l->cfg.fsync != STROM_LOG_FSYNC_ALWAYS)
        return 0;
    pthread_mutex_lock(&l->mu);
    int rc = wait_durable(l, until, err);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int strom_log_append_nowait(strom_log *l, uint8_t *rec, size_t len, bool verified,
                            int64_t *base_offset, int64_t *durable_until, strom_error *err)
{
    *durable_until = 0;
    strom_record r;
    /* a caller that has just parsed and verified the record spares the second CRC pass */
    int rc = verified ? strom_record_parse_front(rec, len, &r, err)
                      : strom_record_parse(rec, len, &r, err);
    if (rc == 0 && r.total_len != len)
        rc = 1;
    if (rc != 0)
        return rc < 0 ? rc : strom_error_set(err, STROM_ECORRUPT, "append: %zu bytes do not "
                                             "hold exactly one record", len);
    if (r.info.attributes & STROM_RECORD_PROJECTED) /* a read-side form: no CRC over the body */
        return strom_error_set(err, STROM_ECORRUPT, "append: a PROJECTED record cannot be "
                               "stored");
    pthread_mutex_lock(&l->mu);
    strom_segment *s;
    bool need_roll;
    for (;;) { /* never write where the runway thread is writing zeros, nor roll under it */
        s = l->segs[l->nsegs - 1];
        bool aged = l->cfg.segment_ms > 0 &&
                    strom_now_ms() - l->active_created_ms >= l->cfg.segment_ms;
        need_roll = s->size > 0 && (s->size + len > l->cfg.segment_bytes || aged ||
                                    l->end_offset - s->base + r.info.last_offset_delta >
                                        UINT32_MAX);
        if (!s->zero_to || (!need_roll && s->size + len <= s->zero_from))
            break;
        pthread_cond_wait(&l->runway_cv, &l->mu);
    }
    if (l->failed) {
        rc = strom_error_set(err, STROM_EIO, "log %s failed (%s); reopen it to recover", l->dir,
                             l->failed_msg);
        goto out;
    }
    int64_t wid = r.info.writer_id;
    if (wid >= 0) {
        int64_t dup_base;
        rc = strom_writers_check(&l->writers, wid, r.info.batch_seq, l->cfg.writer_gaps,
                                 &dup_base, err);
        if (rc != 0) {
            if (rc == 1) { /* a retry of an appended batch: acknowledge, do not append */
                rc = 0;
                *base_offset = dup_base;
                *durable_until = dup_base < 0 ? 0 : dup_base + r.info.last_offset_delta + 1;
            }
            goto out;
        }
    }
    if (need_roll) {
        if ((rc = roll(l, err)) != 0)
            goto out;
        s = l->segs[l->nsegs - 1];
    }
    int64_t base = l->end_offset;
    strom_record_set_base(rec, base);
    if (write_all(s->fd, rec, len, s->size) != 0) {
        sys_error(err, "write", s->path);
        rc = fail(l, errno == ENOSPC ? STROM_ENOSPACE : STROM_EIO, err ? err->msg : "write",
                  err);
        goto out;
    }
    uint64_t pos = s->size;
    s->size += len;
    s->verified = s->size;
    if (r.info.commit_ts > s->max_ts)
        s->max_ts = r.info.commit_ts;
    l->end_offset = base + r.info.last_offset_delta + 1;
    if (s->nindex == 0 || pos - s->last_indexed >= l->cfg.index_bytes)
        strom_seg_add_index(s, base, pos, r.info.commit_ts);
    runway_check(l, s, len);
    if (wid >= 0 && strom_writers_record(&l->writers, wid, r.info.batch_seq, base) != 0) {
        rc = fail(l, STROM_ENOMEM, "out of memory for writer state", err);
        goto out;
    }
    if (l->cfg.fsync != STROM_LOG_FSYNC_ALWAYS)
        l->durable_offset = l->end_offset; /* visible now; durable at the next flush */
    *base_offset = base;
    *durable_until = l->end_offset;
out:
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int strom_log_writer_check(strom_log *l, int64_t writer_id, int32_t seq, int64_t *base,
                           strom_error *err)
{
    if (writer_id < 0)
        return 0;
    pthread_mutex_lock(&l->mu);
    int rc = strom_writers_check(&l->writers, writer_id, seq, l->cfg.writer_gaps, base, err);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int strom_log_note_writer(strom_log *l, int64_t writer_id, int32_t seq)
{
    if (writer_id < 0)
        return 0;
    pthread_mutex_lock(&l->mu);
    int rc = strom_writers_record(&l->writers, writer_id, seq, -1);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int strom_log_flush(strom_log *l, strom_error *err)
{
    pthread_mutex_lock(&l->mu);
    strom_segment *s = l->segs[l->nsegs - 1];
    int rc = 0;
    if (!l->failed && fdatasync(s->fd) != 0) {
        sys_error(err, "fsync", s->path);
        rc = fail(l, STROM_EIO, err ? err->msg : "fsync", err);
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static void *flusher_main(void *arg)
{
    strom_log *l = arg;
    pthread_mutex_lock(&l->mu);
    while (!l->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + (int64_t)l->cfg.fsync_interval_ms * 1000000;
        ts.tv_sec += ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&l->stop_cv, &l->mu, &ts);
        if (l->stopping || l->failed)
            continue;
        strom_segment *s;
        int e = sync_active_unlocked(l, &s);
        strom_seg_unref(s);
        if (e != 0)
            fail(l, STROM_EIO, "background fsync", NULL);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

static int64_t read_locked(strom_log *l, const int64_t *field)
{
    pthread_mutex_lock(&l->mu);
    int64_t v = *field;
    pthread_mutex_unlock(&l->mu);
    return v;
}

int64_t strom_log_start_offset(strom_log *l) { return read_locked(l, &l->start_offset); }
int64_t strom_log_end_offset(strom_log *l) { return read_locked(l, &l->end_offset); }
int64_t strom_log_high_watermark(strom_log *l) { return read_locked(l, &l->durable_offset); }

void strom_log_close(strom_log *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    l->stopping = true;
    pthread_cond_broadcast(&l->stop_cv);
    while (l->runway != RUNWAY_IDLE)
        pthread_cond_wait(&l->runway_cv, &l->mu);
    pthread_mutex_unlock(&l->mu);
    if (l->flusher_running)
        pthread_join(l->flusher, NULL);
    if (l->nsegs && !l->failed) {
        strom_segment *s = l->segs[l->nsegs - 1];
        if (s->zeroed) { /* if the truncate fails, the zeros stay: the next open cuts them */
            int unused = ftruncate(s->fd, (off_t)s->size);
            (void)unused;
        }
        fdatasync(s->fd);
    }
    for (int i = 0; i < l->nsegs; i++)
        strom_seg_unref(l->segs[i]);
    free(l->segs);
    strom_writers_free(&l->writers);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->synced);
    pthread_cond_destroy(&l->stop_cv);
    pthread_cond_destroy(&l->runway_cv);
    free(l);
}
