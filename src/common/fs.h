/*
 * fs.h: file-system helpers with the durability rules strom relies on: a file replaced
 * atomically (write a temporary, fsync it, rename it over the old one, fsync the directory),
 * directories created and removed recursively, and wall-clock milliseconds.
 */
#ifndef STROM_COMMON_FS_H
#define STROM_COMMON_FS_H

#include <stddef.h>
#include <stdint.h>

#include "strom/error.h"

/* Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t strom_now_ms(void);
/* Milliseconds of CLOCK_MONOTONIC (for timeouts). */
int64_t strom_mono_ms(void);
/* Microseconds of CLOCK_MONOTONIC. */
int64_t strom_mono_us(void);
/* Milliseconds of CLOCK_MONOTONIC_COARSE: a few times cheaper, never ahead of
 * strom_mono_ms and behind it by less than strom_mono_coarse_res_ms (a timer tick). */
int64_t strom_mono_coarse_ms(void);
int64_t strom_mono_coarse_res_ms(void);

/* Maps the current errno to STROM_ENOSPACE (ENOSPC, EDQUOT) or STROM_EIO and sets
 * "<what> <path>: <strerror>". */
int strom_sys_error(strom_error *err, const char *what, const char *path);

int strom_fsync_dir(const char *dir, strom_error *err);
/* mkdir -p; the directories created are fsync'ed into their parents. */
int strom_mkdirs(const char *path, strom_error *err);
/* rm -r of a file or directory tree (no symlinks are followed). Missing is not an error. */
int strom_rmtree(const char *path, strom_error *err);
/* Replaces `path` with `n` bytes atomically and durably. */
int strom_write_file_atomic(const char *path, const void *p, size_t n, strom_error *err);
/* Reads a whole (small) file; *out is malloc'ed and NUL-terminated. STROM_ENOTFOUND when it
 * does not exist. */
int strom_read_file(const char *path, size_t max, char **out, size_t *n, strom_error *err);

/* Whether every page of bytes [pos, pos + len) of fd is in the page cache: 1 yes, 0 no
 * (cachestat, Linux 6.5+; without it, or where a seccomp filter refuses it, mincore over a
 * mapping of the range; a range that cannot be checked counts as not cached). cachestat also
 * counts pages whose read another reader has started and the disk has not yet finished. */
int strom_fs_cached(int fd, uint64_t pos, uint64_t len);
/* Brings bytes [pos, pos + len) of fd into the page cache and returns once they are there
 * (readahead(2) alone only starts the reads): a later sendfile of the range then copies from
 * memory instead of waiting for the disk. A cached range costs one check; one that is not is
 * read through (the time of the disk). The one wait left to a later reader: pages another
 * reader's read has already brought into the cache but the disk not yet filled (the same
 * range read by two at once), which the check counts as cached. Read errors are left to the
 * reader of the range. */
void strom_fs_make_resident(int fd, uint64_t pos, uint64_t len);
/* A range of a file, for strom_fs_make_resident_all. */
typedef struct strom_fs_range {
    int fd;
    uint64_t pos, len;
} strom_fs_range;
/* strom_fs_make_resident for n ranges: the reads of all the ranges not cached are started
 * first and then waited for, so the disk works on them together rather than one by one. */
void strom_fs_make_resident_all(const strom_fs_range *r, int n);
/* strom_fs_cached through mincore alone (the check of kernels before 6.5; for tests). */
int strom_fs_cached_mincore(int fd, uint64_t pos, uint64_t len);

#endif /* STROM_COMMON_FS_H */
