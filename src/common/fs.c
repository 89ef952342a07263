/*
 * fs.c: file-system helpers (fs.h).
 */
#include "common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int64_t strom_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t strom_mono_coarse_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t strom_mono_coarse_res_ms(void)
{
    static int64_t res; /* racing first callers compute the same value */
    int64_t r = __atomic_load_n(&res, __ATOMIC_RELAXED);
    if (r == 0) {
        struct timespec ts;
        r = clock_getres(CLOCK_MONOTONIC_COARSE, &ts) == 0
                ? (int64_t)ts.tv_sec * 1000 + (ts.tv_nsec + 999999) / 1000000
                : INT64_MAX / 4;
        if (r < 1)
            r = 1;
        __atomic_store_n(&res, r, __ATOMIC_RELAXED);
    }
    return r;
}

int64_t strom_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t strom_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int strom_sys_error(strom_error *err, const char *what, const char *path)
{
    int e = errno;
    return strom_error_set(err, (e == ENOSPC || e == EDQUOT) ? STROM_ENOSPACE : STROM_EIO,
                           "%s %s: %s", what, path, strerror(e));
}

int strom_fsync_dir(const char *dir, strom_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int rc = strom_sys_error(err, "fsync directory", dir);
        if (fd >= 0)
            close(fd);
        return rc;
    }
    close(fd);
    return 0;
}

/* The parent directory of `path` into buf ("." when there is none). */
static void parent_of(const char *path, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", path);
    char *slash = strrchr(buf, '/');
    if (!slash)
        snprintf(buf, cap, ".");
    else if (slash == buf)
        buf[1] = 0;
    else
        *slash = 0;
}

int strom_mkdirs(const char *path, strom_error *err)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0
                                   : strom_error_set(err, STROM_EIO, "%s is not a directory", path);
    char parent[PATH_MAX];
    parent_of(path, parent, sizeof parent);
    if (strcmp(parent, path) != 0 && strcmp(parent, ".") != 0) {
        int rc = strom_mkdirs(parent, err);
        if (rc < 0)
            return rc;
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return strom_sys_error(err, "create directory", path);
    return strom_fsync_dir(parent, err);
}

int strom_rmtree(const char *path, strom_error *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : strom_sys_error(err, "stat", path);
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return strom_sys_error(err, "open directory", path);
        struct dirent *e;
        int rc = 0;
        while (rc == 0 && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char child[PATH_MAX];
            if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) >= (int)sizeof child)
                rc = strom_error_set(err, STROM_ELIMIT, "path too long under %s", path);
            else
                rc = strom_rmtree(child, err);
        }
        closedir(d);
        if (rc < 0)
            return rc;
        if (rmdir(path) != 0)
            return strom_sys_error(err, "remove directory", path);
        return 0;
    }
    if (unlink(path) != 0 && errno != ENOENT)
        return strom_sys_error(err, "remove", path);
    return 0;
}

int strom_write_file_atomic(const char *path, const void *p, size_t n, strom_error *err)
{
    char tmp[PATH_MAX], dir[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return strom_error_set(err, STROM_ELIMIT, "path too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return strom_sys_error(err, "create", tmp);
    const uint8_t *q = p;
    size_t left = n;
    while (left) {
        ssize_t w = write(fd, q, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int rc = strom_sys_error(err, "write", tmp);
            close(fd);
            unlink(tmp);
            return rc;
        }
        q += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0) {
        int rc = strom_sys_error(err, "fsync", tmp);
        close(fd);
        unlink(tmp);
        return rc;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        int rc = strom_sys_error(err, "rename", tmp);
        unlink(tmp);
        return rc;
    }
    parent_of(path, dir, sizeof dir);
    return strom_fsync_dir(dir, err);
}

int strom_read_file(const char *path, size_t max, char **out, size_t *n, strom_error *err)
{
    *out = NULL;
    *n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? strom_error_set(err, STROM_ENOTFOUND, "%s does not exist", path)
                               : strom_sys_error(err, "open", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int rc = strom_sys_error(err, "stat", path);
        close(fd);
        return rc;
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return strom_error_set(err, STROM_ELIMIT, "%s is %lld bytes (at most %zu)", path,
                               (long long)st.st_size, max);
    }
    char *b = malloc((size_t)st.st_size + 1);
    if (!b) {
        close(fd);
        return strom_error_set(err, STROM_ENOMEM, "out of memory reading %s", path);
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    b[got] = 0;
    *out = b;
    *n = got;
    return 0;
}

/* ---- page-cache residency ------------------------------------------------------------- */

#ifndef __NR_cachestat
#define __NR_cachestat 451 /* the same number on every architecture (Linux 6.5) */
#endif

struct cachestat_range {
    uint64_t off, len;
};

struct cachestat_counts {
    uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

static int no_cachestat; /* cachestat is missing or refused: mincore from then on */

/* mincore over a mapping of the pages of the range, 4096 pages at a time. */
static int cached_by_mincore(int fd, uint64_t first, uint64_t end, uint64_t page)
{
    unsigned char vec[4096];
    for (uint64_t at = first; at < end;) {
        uint64_t n = (end - at) / page > sizeof vec ? sizeof vec * page : end - at;
        void *m = mmap(NULL, (size_t)n, PROT_READ, MAP_SHARED, fd, (off_t)at);
        if (m == MAP_FAILED)
            return 0;
        int rc = mincore(m, (size_t)n, vec);
        munmap(m, (size_t)n);
        for (uint64_t i = 0; rc == 0 && i < n / page; i++)
            if (!(vec[i] & 1))
                return 0;
        if (rc != 0)
            return 0;
        at += n;
    }
    return 1;
}

/* The whole pages holding bytes [pos, pos + len): [*first, *end), of *page bytes each. */
static void page_span(uint64_t pos, uint64_t len, uint64_t *first, uint64_t *end,
                      uint64_t *page)
{
    *page = (uint64_t)sysconf(_SC_PAGESIZE);
    *first = pos / *page * *page;
    *end = (pos + len + *page - 1) / *page * *page;
}

int strom_fs_cached(int fd, uint64_t pos, uint64_t len)
{
    if (len == 0)
        return 1;
    uint64_t first, end, page;
    page_span(pos, len, &first, &end, &page);
    if (!__atomic_load_n(&no_cachestat, __ATOMIC_RELAXED)) {
        struct cachestat_range r = {first, end - first};
        struct cachestat_counts c;
        if (syscall(__NR_cachestat, fd, &r, &c, 0) == 0)
            return c.nr_cache >= (end - first) / page;
        if (errno != ENOSYS && errno != EPERM && errno != EOPNOTSUPP && errno != EINVAL)
            return 0;
        /* no such call (before Linux 6.5), or one a seccomp filter refuses */
        __atomic_store_n(&no_cachestat, 1, __ATOMIC_RELAXED);
    }
    return cached_by_mincore(fd, first, end, page);
}

int strom_fs_cached_mincore(int fd, uint64_t pos, uint64_t len)
{
    uint64_t first, end, page;
    page_span(pos, len, &first, &end, &page);
    return len == 0 || cached_by_mincore(fd, first, end, page);
}

/* Waits until bytes [pos, pos + len) of fd, whose reads have been started, are in. */
static void read_through(int fd, uint64_t pos, uint64_t len)
{
    uint8_t buf[64 << 10];
    for (uint64_t at = pos; at < pos + len;) {
        size_t n = pos + len - at < sizeof buf ? (size_t)(pos + len - at) : sizeof buf;
        ssize_t got = pread(fd, buf, n, (off_t)at);
        if (got <= 0)
            return;
        at += (uint64_t)got;
    }
}

void strom_fs_make_resident(int fd, uint64_t pos, uint64_t len)
{
    strom_fs_range r = {fd, pos, len};
    strom_fs_make_resident_all(&r, 1);
}

void strom_fs_make_resident_all(const strom_fs_range *r, int n)
{
    uint8_t few[256], *cold = n <= (int)sizeof few ? few : malloc((size_t)n);
    for (int i = 0; i < n; i++) { /* the reads, started at once */
        bool c = !strom_fs_cached(r[i].fd, r[i].pos, r[i].len);
        if (c)
            (void)readahead(r[i].fd, (off64_t)r[i].pos, (size_t)r[i].len);
        if (cold)
            cold[i] = c;
        else if (c) /* no memory to remember it: waited for at once */
            read_through(r[i].fd, r[i].pos, r[i].len);
    }
    for (int i = 0; cold && i < n; i++) /* then waited for */
        if (cold[i])
            read_through(r[i].fd, r[i].pos, r[i].len);
    if (cold != few)
        free(cold);
}
