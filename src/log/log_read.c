/*
 * log_read.c: reads of whole records as file ranges, and retention (see log.h).
 *
 * A read finds the segment by binary search on base offsets, the position through the sparse
 * index (then at most index_bytes of headers are skipped), and collects whole records up to
 * the byte limit. Records of a segment that recovery did not read (older segments) are
 * verified once, the first time they are served; `verified` is the contiguous prefix of a
 * segment known good, and `checked` the runs past it (reads that began mid-segment). Reads
 * hold the log mutex (they touch only headers unless verifying).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "log/log_internal.h"

void strom_log_slice_release(strom_log_slice *s)
{
    for (int i = 0; i < s->n; i++)
        strom_seg_unref(s->ranges[i].seg);
    free(s->ranges);
    memset(s, 0, sizeof *s);
}

static int slice_add(strom_log_slice *sl, strom_segment *s, uint64_t pos, uint32_t len,
                     int64_t first, int64_t last, uint32_t schema_id)
{
    strom_log_range *prev = sl->n ? &sl->ranges[sl->n - 1] : NULL;
    if (prev && prev->seg == s && prev->pos + prev->len == pos &&
        (uint64_t)prev->len + len <= UINT32_MAX) {
        prev->len += len;
        prev->last_offset = last;
        prev->nrecords++;
        if (schema_id > prev->max_schema_id)
            prev->max_schema_id = schema_id;
        return 0;
    }
    if (strom_array_grow(&sl->ranges, sl->n, &sl->cap, sizeof *sl->ranges, 4) != 0)
        return STROM_ENOMEM;
    __atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
    sl->ranges[sl->n++] = (strom_log_range){s->fd, pos, len, first, last, 1, schema_id, s};
    return 0;
}

/* Index of the segment holding `offset` (the last with base <= offset). */
static int find_segment(const strom_log *l, int64_t offset)
{
    int lo = 0, hi = l->nsegs - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (l->segs[mid]->base <= offset)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Position of the last indexed record starting at or before `offset`. */
static uint64_t index_lookup(const strom_segment *s, int64_t offset)
{
    size_t lo = 0, hi = s->nindex;
    if (offset <= s->base)
        return 0;
    uint64_t rel = (uint64_t)(offset - s->base);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->index[mid].rel <= rel)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? s->index[lo - 1].pos : 0;
}

/* Reads and checks the record at pos (CRC, base offset). Needs no lock: the bytes of a
 * segment below its size never change. */
static int check_record(strom_segment *s, uint64_t pos, uint32_t len, int64_t base,
                        strom_buf *buf, strom_error *err)
{
    strom_record r;
    strom_buf_reset(buf);
    if (strom_buf_reserve(buf, len) != 0)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    if (pread(s->fd, buf->data, len, (off_t)pos) != (ssize_t)len)
        return strom_error_set(err, STROM_EIO, "read %s at %llu: %s", s->path,
                               (unsigned long long)pos, strerror(errno));
    int rc = strom_record_parse(buf->data, len, &r, err);
    if (rc != 0 || r.info.base_offset != base) {
        if (rc >= 0)
            rc = strom_error_set(err, STROM_ECORRUPT, rc ? "record truncated"
                                                         : "base offset changed");
        strom_error_prefix(err, "corrupt record at offset %lld in %s (byte %llu); not served",
                           (long long)base, s->path, (unsigned long long)pos);
        return rc;
    }
    return 0;
}

/* Whether the record at [pos, pos + len) of s has passed its CRC since open (with the log's
 * mutex). */
static bool seg_checked(const strom_segment *s, uint64_t pos, uint64_t len)
{
    if (pos + len <= s->verified)
        return true;
    for (int i = 0; i < s->nchecked && s->checked[i].from <= pos; i++)
        if (pos + len <= s->checked[i].to)
            return true;
    return false;
}

/* Remembers that the record at [pos, end) of s passed its CRC (with the log's mutex): it
 * extends the checked prefix, or a run past it (joined with the runs it touches; a new run
 * beyond STROM_SEG_RUNS is not kept, and those records are checked again next time). */
static void seg_mark_checked(strom_log *l, strom_segment *s, uint64_t pos, uint64_t end)
{
    l->lazy_checks++;
    if (pos <= s->verified) {
        if (end > s->verified)
            s->verified = end;
    } else {
        int i = 0;
        while (i < s->nchecked && s->checked[i].to < pos)
            i++;
        int j = i; /* runs i..j-1 touch [pos, end): they become one */
        while (j < s->nchecked && s->checked[j].from <= end)
            j++;
        if (j > i) {
            uint64_t from = s->checked[i].from < pos ? s->checked[i].from : pos;
            uint64_t to = s->checked[j - 1].to > end ? s->checked[j - 1].to : end;
            s->checked[i] = (struct strom_seg_run){from, to};
            memmove(s->checked + i + 1, s->checked + j,
                    sizeof *s->checked * (size_t)(s->nchecked - j));
            s->nchecked -= j - i - 1;
        } else if (s->nchecked < STROM_SEG_RUNS) {
            if (!s->checked && !(s->checked = malloc(sizeof *s->checked * STROM_SEG_RUNS)))
                return;
            memmove(s->checked + i + 1, s->checked + i,
                    sizeof *s->checked * (size_t)(s->nchecked - i));
            s->checked[i] = (struct strom_seg_run){pos, end};
            s->nchecked++;
        }
    }
    while (s->nchecked > 0 && s->checked[0].from <= s->verified) { /* runs the prefix met */
        if (s->checked[0].to > s->verified)
            s->verified = s->checked[0].to;
        memmove(s->checked, s->checked + 1, sizeof *s->checked * (size_t)--s->nchecked);
    }
}

uint64_t strom_log_lazy_checks(strom_log *l)
{
    pthread_mutex_lock(&l->mu);
    uint64_t n = l->lazy_checks;
    pthread_mutex_unlock(&l->mu);
    return n;
}

/* Verifies the record at pos unless already known good (called with the log's mutex). */
static int verify_record(strom_log *l, strom_segment *s, uint64_t pos, uint32_t len,
                         int64_t base, strom_buf *buf, strom_error *err)
{
    if (seg_checked(s, pos, len))
        return 0;
    STROM_TRY(check_record(s, pos, len, base, buf, err));
    seg_mark_checked(l, s, pos, pos + len);
    return 0;
}

bool strom_log_window_has(const strom_log_window *w, int fd, uint64_t pos, uint64_t n)
{
    return w->fd == fd && pos >= w->pos && pos + n <= w->pos + w->buf.len;
}

const uint8_t *strom_log_window_get(strom_log_window *w, int fd, uint64_t pos, size_t n,
                                    uint64_t avail)
{
    if (strom_log_window_has(w, fd, pos, n))
        return w->buf.data + (pos - w->pos);
    size_t want = n;
    if (w->small && want < STROM_LOG_WINDOW)
        want = avail < STROM_LOG_WINDOW ? (size_t)avail : STROM_LOG_WINDOW;
    w->fd = -1;
    strom_buf_reset(&w->buf);
    if (strom_buf_reserve(&w->buf, want) != 0 ||
        pread(fd, w->buf.data, want, (off_t)pos) != (ssize_t)want)
        return NULL;
    w->fd = fd;
    w->pos = pos;
    w->buf.len = want;
    return w->buf.data;
}

int strom_log_window_head(strom_log_window *w, const strom_segment *s, uint64_t pos,
                          uint64_t end, size_t want, strom_log_head *h, strom_error *err)
{
    uint64_t avail = end > pos ? end - pos : 0;
    if (want < STROM_RECORD_HEADER)
        want = STROM_RECORD_HEADER;
    if (want > avail)
        want = (size_t)avail;
    int rc = 0;
    if (avail < STROM_RECORD_HEADER)
        rc = strom_error_set(err, STROM_ECORRUPT, "record header cut short");
    else if (!(h->p = strom_log_window_get(w, s->fd, pos, want, avail)))
        rc = strom_error_set(err, STROM_EIO, "record header unreadable");
    else if ((rc = strom_record_peek(h->p, STROM_RECORD_HEADER, &h->base, &h->len, err)) == 0 &&
             h->len > avail)
        rc = strom_error_set(err, STROM_ECORRUPT, "record of %u bytes where %llu are left",
                             h->len, (unsigned long long)avail);
    if (rc != 0) {
        strom_error_prefix(err, "%s at byte %llu", s->path, (unsigned long long)pos);
        return rc;
    }
    h->last = h->base + (int32_t)strom_ld32(h->p + 19); /* last offset delta */
    w->small = h->len < STROM_LOG_SMALL_RECORD;
    return 0;
}

/* Collects records of segment s from `offset` on. Returns 1 when the limit was reached. */
static int read_segment(strom_log *l, strom_segment *s, int64_t offset, int64_t hw,
                        size_t max_bytes, size_t *taken, strom_log_slice *out, strom_buf *buf,
                        strom_log_window *w, strom_error *err)
{
    STROM_TRY(strom_seg_load_index(s, l->cfg.index_bytes, err));
    uint64_t pos = index_lookup(s, offset);
    while (pos + 12 <= s->size) {
        strom_log_head h;
        STROM_TRY(strom_log_window_head(w, s, pos, s->size, STROM_RECORD_HEADER, &h, err));
        int64_t base = h.base, last = h.last;
        uint32_t len = h.len;
        if (base >= hw)
            return 1;
        if (last >= offset) {
            if (out->n && *taken + len > max_bytes)
                return 1;
            int rc = verify_record(l, s, pos, len, base, buf, err);
            if (rc != 0)
                return out->n ? 1 : rc; /* serve what is good first; the next read reports */
            if (slice_add(out, s, pos, len, base, last, strom_record_header_schema(h.p)) != 0)
                return strom_error_set(err, STROM_ENOMEM, "out of memory");
            *taken += len;
            out->next_offset = last + 1;
        }
        pos += len;
    }
    return 0;
}

/* Whether a read at `offset` has records to give, with the log's mutex held: 1 below the high
 * watermark (*hw), 0 at or past it, STROM_ERANGE before the log's start. */
static int readable(const strom_log *l, int64_t offset, int64_t *hw, strom_error *err)
{
    *hw = l->durable_offset;
    if (offset < l->start_offset)
        return strom_error_set(err, STROM_ERANGE, "offset %lld is before the log start %lld",
                               (long long)offset, (long long)l->start_offset);
    return offset < *hw;
}

int strom_log_read(strom_log *l, int64_t offset, size_t max_bytes, strom_log_slice *out,
                   strom_error *err)
{
    memset(out, 0, sizeof *out);
    out->next_offset = offset;
    pthread_mutex_lock(&l->mu);
    int64_t hw;
    int rc = readable(l, offset, &hw, err);
    if (rc == 1) {
        rc = 0;
        strom_buf buf = STROM_BUF_INIT;
        strom_log_window w = STROM_LOG_WINDOW_INIT;
        size_t taken = 0;
        for (int i = find_segment(l, offset); i < l->nsegs && rc == 0; i++)
            rc = read_segment(l, l->segs[i], offset, hw, max_bytes, &taken, out, &buf, &w, err);
        strom_buf_free(&buf);
        strom_buf_free(&w.buf);
        if (rc > 0)
            rc = 0;
    }
    pthread_mutex_unlock(&l->mu);
    if (rc != 0)
        strom_log_slice_release(out);
    return rc;
}

/* ---- spans: walks outside the mutex (log_internal.h) ----------------------------------- */

int strom_log_span_at(strom_log *l, int64_t offset, strom_log_span *sp, strom_error *err)
{
    memset(sp, 0, sizeof *sp);
    pthread_mutex_lock(&l->mu);
    int64_t hw;
    int rc = readable(l, offset, &hw, err);
    if (rc == 1) {
        strom_segment *s = l->segs[find_segment(l, offset)];
        if ((rc = strom_seg_load_index(s, l->cfg.index_bytes, err)) == 0) {
            __atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
            *sp = (strom_log_span){s, s->fd, index_lookup(s, offset), s->size, s->verified, hw};
        }
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int strom_log_span_verify(strom_log *l, strom_log_span *sp, uint64_t pos, uint32_t len,
                          int64_t base, strom_buf *buf, strom_error *err)
{
    if (pos + len <= sp->verified)
        return 0;
    pthread_mutex_lock(&l->mu);
    bool known = seg_checked(sp->seg, pos, len);
    pthread_mutex_unlock(&l->mu);
    if (known)
        return 0;
    STROM_TRY(check_record(sp->seg, pos, len, base, buf, err));
    pthread_mutex_lock(&l->mu);
    seg_mark_checked(l, sp->seg, pos, pos + len);
    sp->verified = sp->seg->verified;
    pthread_mutex_unlock(&l->mu);
    return 0;
}

int strom_log_slice_copy(const strom_log_slice *s, strom_buf *out, strom_error *err)
{
    for (int i = 0; i < s->n; i++) {
        const strom_log_range *r = &s->ranges[i];
        if (strom_buf_reserve(out, r->len) != 0)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        if (pread(r->fd, out->data + out->len, r->len, (off_t)r->pos) != (ssize_t)r->len)
            return strom_error_set(err, STROM_EIO, "read %s: %s", r->seg->path,
                                   strerror(errno));
        out->len += r->len;
    }
    return 0;
}

/* ---- retention ------------------------------------------------------------------------- */

static void delete_segment(strom_segment *s)
{
    char ip[4200];
    size_t n = strlen(s->path);
    unlink(s->path);
    snprintf(ip, sizeof ip, "%.*s.index", (int)(n - 4), s->path);
    unlink(ip);
    snprintf(ip, sizeof ip, "%.*s.writers", (int)(n - 4), s->path);
    unlink(ip);
    s->deleted = true;
    strom_seg_unref(s); /* open ranges keep the file readable until released */
}

int strom_log_retain(strom_log *l, int64_t now_ms, int64_t hold_offset, strom_error *err)
{
    pthread_mutex_lock(&l->mu);
    uint64_t total = 0;
    for (int i = 0; i < l->nsegs; i++)
        total += l->segs[i]->size;
    int deleted = 0;
    while (l->nsegs > 1) {
        strom_segment *s = l->segs[0];
        int64_t seg_end = l->segs[1]->base;
        bool by_size = l->cfg.retention_bytes && total - s->size >= l->cfg.retention_bytes;
        bool by_age = l->cfg.retention_ms && now_ms - s->mtime_ms > l->cfg.retention_ms;
        if (seg_end > hold_offset || !(by_size || by_age))
            break;
        total -= s->size;
        memmove(l->segs, l->segs + 1, sizeof *l->segs * (size_t)(l->nsegs - 1));
        l->nsegs--;
        l->start_offset = l->segs[0]->base;
        delete_segment(s);
        deleted++;
    }
    int rc = 0;
    if (deleted) {
        int fd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0)
            rc = strom_error_set(err, STROM_EIO, "fsync %s: %s", l->dir, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    pthread_mutex_unlock(&l->mu);
    return rc ? rc : deleted;
}

/* ---- by timestamp ---------------------------------------------------------------------- */

/* First record of s at or after `pos` whose commit timestamp is >= ts: its base offset, or
 * -1 (none below hw). Headers are read through a window (many small records per pread). */
static int64_t scan_for_time(strom_segment *s, uint64_t pos, int64_t ts, int64_t hw,
                             strom_log_window *w)
{
    while (pos + STROM_RECORD_HEADER <= s->size) {
        strom_log_head h;
        if (strom_log_window_head(w, s, pos, s->size, STROM_RECORD_HEADER, &h, NULL) != 0 ||
            h.base >= hw)
            return -1;
        if ((int64_t)strom_ld64(h.p + 23) >= ts) /* commit timestamp */
            return h.base;
        pos += h.len;
    }
    return -1;
}

int strom_log_offset_for_time(strom_log *l, int64_t ts_ms, int64_t *offset, strom_error *err)
{
    pthread_mutex_lock(&l->mu);
    int64_t hw = l->durable_offset;
    int rc = 0;
    *offset = hw;
    strom_log_window w = STROM_LOG_WINDOW_INIT;
    for (int i = 0; i < l->nsegs; i++) {
        strom_segment *s = l->segs[i];
        if ((rc = strom_seg_load_index(s, l->cfg.index_bytes, err)) != 0)
            break;
        if (s->max_ts < ts_ms)
            continue;
        size_t lo = 0, hi = s->nindex; /* first entry whose max_ts reaches ts */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (s->index[mid].max_ts < ts_ms)
                lo = mid + 1;
            else
                hi = mid;
        }
        int64_t found = scan_for_time(s, lo ? s->index[lo - 1].pos : 0, ts_ms, hw, &w);
        if (found >= 0) {
            *offset = found;
            break;
        }
    }
    strom_buf_free(&w.buf);
    pthread_mutex_unlock(&l->mu);
    return rc;
}
