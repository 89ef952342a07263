/*
 * writers.c: the idempotent writer table (writers.h).
 *
 * Snapshot file: "STWR" | u32 version 1 | u32 count | count entries of
 * {i64 id, i32 n, WINDOW x i32 seq, WINDOW x i64 base} | u32 CRC32C of everything before it.
 */
#include "log/writers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/common.h"
#include "common/crc32c.h"

#define ENTRY_BYTES (8 + 4 + STROM_WRITER_WINDOW * 12)

void strom_writers_init(strom_writers *w)
{
    memset(w, 0, sizeof *w);
}

void strom_writers_free(strom_writers *w)
{
    free(w->slots);
    memset(w, 0, sizeof *w);
}

static size_t slot_of(const strom_writers *w, int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 20) & (w->cap - 1);
    while (w->slots[i].id != -1 && w->slots[i].id != id)
        i = (i + 1) & (w->cap - 1);
    return i;
}

static const strom_writer *find(const strom_writers *w, int64_t id)
{
    if (!w->cap)
        return NULL;
    const strom_writer *s = &w->slots[slot_of(w, id)];
    return s->id == id ? s : NULL;
}

static int grow(strom_writers *w)
{
    size_t ncap = w->cap ? 2 * w->cap : 64;
    strom_writer *old = w->slots;
    size_t ocap = w->cap;
    w->slots = malloc(ncap * sizeof *w->slots);
    if (!w->slots) {
        w->slots = old;
        return STROM_ENOMEM;
    }
    for (size_t i = 0; i < ncap; i++)
        w->slots[i].id = -1;
    w->cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].id != -1)
            w->slots[slot_of(w, old[i].id)] = old[i];
    free(old);
    return 0;
}

int strom_writers_check(const strom_writers *w, int64_t id, int32_t seq, bool gaps,
                        int64_t *base, strom_error *err)
{
    const strom_writer *s = find(w, id);
    if (!s || s->n == 0)
        return 0;
    int32_t last = s->seq[s->n - 1];
    if (seq == last + 1 || (gaps && seq > last))
        return 0;
    for (int i = 0; i < s->n; i++)
        if (s->seq[i] == seq) {
            *base = s->base[i];
            return 1;
        }
    if (gaps) {
        *base = -1;
        return 1;
    }
    return strom_error_set(err, STROM_ESTATE,
                           "writer %lld: batch sequence %d is out of order (expected %d; the "
                           "last %d batches can be retried)", (long long)id, seq, last + 1,
                           s->n);
}

int strom_writers_record(strom_writers *w, int64_t id, int32_t seq, int64_t base)
{
    if ((w->count + 1) * 2 > w->cap)
        STROM_TRY(grow(w));
    strom_writer *s = &w->slots[slot_of(w, id)];
    if (s->id != id) {
        s->id = id;
        s->n = 0;
        w->count++;
    }
    if (s->n == STROM_WRITER_WINDOW) {
        memmove(s->seq, s->seq + 1, sizeof s->seq[0] * (STROM_WRITER_WINDOW - 1));
        memmove(s->base, s->base + 1, sizeof s->base[0] * (STROM_WRITER_WINDOW - 1));
        s->n--;
    }
    s->seq[s->n] = seq;
    s->base[s->n] = base;
    s->n++;
    return 0;
}

int strom_writers_save(const strom_writers *w, const char *path, strom_error *err)
{
    strom_buf b = STROM_BUF_INIT;
    uint8_t h[12];
    memcpy(h, "STWR", 4);
    strom_st32(h + 4, 1);
    strom_st32(h + 8, (uint32_t)w->count);
    int rc = strom_buf_append(&b, h, 12);
    for (size_t i = 0; rc == 0 && i < w->cap; i++) {
        const strom_writer *s = &w->slots[i];
        if (s->id == -1)
            continue;
        uint8_t e[ENTRY_BYTES];
        memset(e, 0, sizeof e);
        strom_st64(e, (uint64_t)s->id);
        strom_st32(e + 8, (uint32_t)s->n);
        for (int k = 0; k < s->n; k++) {
            strom_st32(e + 12 + 4 * k, (uint32_t)s->seq[k]);
            strom_st64(e + 12 + 4 * STROM_WRITER_WINDOW + 8 * k, (uint64_t)s->base[k]);
        }
        rc = strom_buf_append(&b, e, sizeof e);
    }
    uint8_t crc[4];
    strom_st32(crc, strom_crc32c(0, b.data, b.len));
    if (rc == 0)
        rc = strom_buf_append(&b, crc, 4);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = rc == 0 ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    bool ok = fd >= 0 && write(fd, b.data, b.len) == (ssize_t)b.len && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    ok = ok && rename(tmp, path) == 0;
    strom_buf_free(&b);
    if (!ok) {
        unlink(tmp);
        return strom_error_set(err, rc ? rc : STROM_EIO, "write %s: %s", path,
                               rc ? "out of memory" : strerror(errno));
    }
    return 0;
}

int strom_writers_load(strom_writers *w, const char *path, strom_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return strom_error_set(err, STROM_ENOTFOUND, "%s: %s", path, strerror(errno));
    strom_buf b = STROM_BUF_INIT;
    uint8_t chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        if (strom_buf_append(&b, chunk, (size_t)n) != 0)
            break;
    close(fd);
    int rc = 0;
    uint32_t count = b.len >= 12 ? strom_ld32(b.data + 8) : 0;
    if (b.len < 16 || memcmp(b.data, "STWR", 4) != 0 || strom_ld32(b.data + 4) != 1 ||
        b.len != 16 + (size_t)count * ENTRY_BYTES ||
        strom_crc32c(0, b.data, b.len - 4) != strom_ld32(b.data + b.len - 4))
        rc = strom_error_set(err, STROM_ECORRUPT, "%s: not a valid writer snapshot", path);
    for (uint32_t i = 0; rc == 0 && i < count; i++) {
        const uint8_t *e = b.data + 12 + (size_t)i * ENTRY_BYTES;
        int64_t id = (int64_t)strom_ld64(e);
        int32_t k = (int32_t)strom_ld32(e + 8);
        if (id < 0 || k < 0 || k > STROM_WRITER_WINDOW) {
            rc = strom_error_set(err, STROM_ECORRUPT, "%s: bad entry %u", path, i);
            break;
        }
        for (int j = 0; j < k && rc == 0; j++)
            rc = strom_writers_record(w, id, (int32_t)strom_ld32(e + 12 + 4 * j),
                                      (int64_t)strom_ld64(e + 12 + 4 * STROM_WRITER_WINDOW +
                                                          8 * j));
    }
    strom_buf_free(&b);
    return rc;
}
