/*
 * util.c: small helpers of the `strom` command: whole-file I/O, option values, column lists,
 * error printing, and one reader over both Arrow IPC formats (stream and file, told apart by
 * the "ARROW1" magic at the start of a file).
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"

int cli_read_file(const char *path, strom_buf *out, strom_error *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    int rc = 0;
    if (fd < 0)
        return strom_error_set(err, STROM_EIO, "%s: %s", path, strerror(errno));
    for (;;) {
        STROM_TRY_GOTO(rc, strom_buf_reserve(out, 1 << 16), cleanup);
        ssize_t n = read(fd, out->data + out->len, out->cap - out->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = strom_error_set(err, STROM_EIO, "%s: read: %s", path, strerror(errno));
            goto cleanup;
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
    }
cleanup:
    if (!is_stdin)
        close(fd);
    return rc;
}

static int util_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int cli_write_file(const char *path, const void *p, size_t n, strom_error *err)
{
    if (strcmp(path, "-") == 0) {
        if (util_write_all(STDOUT_FILENO, p, n) < 0)
            return strom_error_set(err, STROM_EIO, "stdout: %s", strerror(errno));
        return 0;
    }
    /* temp file beside the target, then rename: a reader never sees half a file */
    size_t len = strlen(path) + 16;
    char *tmp = malloc(len);
    int rc = 0, fd = -1;
    if (!tmp)
        return strom_error_set(err, STROM_ENOMEM, "%s", path);
    snprintf(tmp, len, "%s.tmp%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || util_write_all(fd, p, n) < 0 || close(fd) < 0) {
        rc = strom_error_set(err, STROM_EIO, "%s: %s", fd < 0 ? tmp : path, strerror(errno));
        if (fd >= 0)
            unlink(tmp);
        goto cleanup;
    }
    if (rename(tmp, path) < 0) {
        rc = strom_error_set(err, STROM_EIO, "%s: rename: %s", path, strerror(errno));
        unlink(tmp);
    }
cleanup:
    free(tmp);
    return rc;
}

bool cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool cli_parse_double(const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= min && v <= max))
        return false;
    *out = v;
    return true;
}

int cli_parse_columns(const char *list, const strom_schema *s, int **cols, int *ncols,
                      strom_error *err)
{
    int cap = 8, n = 0;
    int *out = malloc((size_t)cap * sizeof *out);
    const char *p = list;
    if (!out)
        return strom_error_set(err, STROM_ENOMEM, "column list");
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && *p == ' ')
            p++, len--;
        while (len && p[len - 1] == ' ')
            len--;
        int c = strom_schema_find(s, p, len);
        if (c < 0) {
            free(out);
            return strom_error_set(err, STROM_ENOTFOUND,
                                   "no column '%.*s' (at position %d of the list)", (int)len, p,
                                   (int)(p - list));
        }
        if (n == cap) {
            int *m = realloc(out, (size_t)(cap *= 2) * sizeof *out);
            if (!m) {
                free(out);
                return strom_error_set(err, STROM_ENOMEM, "column list");
            }
            out = m;
        }
        out[n++] = c;
        if (!comma)
            break;
        p = comma + 1;
    }
    *cols = out;
    *ncols = n;
    return 0;
}

int cli_fail(const char *cmd, const strom_error *err, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "strom %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (err && err->code)
        fprintf(stderr, ": %s", err->msg[0] ? err->msg : strom_strerror(err->code));
    fputc('\n', stderr);
    return 1;
}

const char *cli_human_bytes(uint64_t n, char *buf, size_t cap)
{
    if (n < 1024)
        snprintf(buf, cap, "%" PRIu64 " B", n);
    else if (n < (1u << 20))
        snprintf(buf, cap, "%.1f KiB", (double)n / 1024);
    else
        snprintf(buf, cap, "%.1f MiB", (double)n / (1 << 20));
    return buf;
}

/* ---- one reader for streams and files ----------------------------------------------------- */

struct cli_reader {
    strom_ipc_stream_reader *stream;
    strom_ipc_file_reader *file;
    int64_t index;  /* batches returned so far - 1 */
};

int cli_reader_open(const uint8_t *p, size_t n, cli_reader **out, bool *is_file,
                    strom_error *err)
{
    cli_reader *r = calloc(1, sizeof *r);
    int rc;
    if (!r)
        return strom_error_set(err, STROM_ENOMEM, "reader");
    r->index = -1;
    *is_file = n >= 6 && memcmp(p, "ARROW1", 6) == 0;
    rc = *is_file ? strom_ipc_file_open(p, n, &r->file, err)
                  : strom_ipc_stream_open(p, n, &r->stream, err);
    if (rc < 0) {
        strom_error_prefix(err, "%s", *is_file ? "Arrow file" : "Arrow stream");
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

const strom_schema *cli_reader_schema(const cli_reader *r)
{
    return r->file ? strom_ipc_file_schema(r->file) : strom_ipc_stream_schema(r->stream);
}

int cli_reader_next(cli_reader *r, strom_batch **out, strom_error *err)
{
    int rc;
    int64_t i = r->index + 1;
    if (r->file) {
        if (i >= strom_ipc_file_nbatches(r->file))
            return 0;
        rc = strom_ipc_file_batch(r->file, (int)i, out, err);
        rc = rc < 0 ? rc : 1;
    } else {
        rc = strom_ipc_stream_next(r->stream, out, err);
    }
    if (rc < 0) {
        strom_error_prefix(err, "batch %" PRId64, i);
        return rc;
    }
    if (rc > 0)
        r->index = i;
    return rc;
}

int64_t cli_reader_index(const cli_reader *r) { return r->index; }

void cli_reader_close(cli_reader *r)
{
    if (!r)
        return;
    if (r->file)
        strom_ipc_file_close(r->file);
    if (r->stream)
        strom_ipc_stream_close(r->stream);
    free(r);
}

int cli_split_names(const char *list, char **buf, const char **names, int max)
{
    int n = 0;
    *buf = list ? strdup(list) : NULL;
    for (char *save = NULL, *t = *buf ? strtok_r(*buf, ",", &save) : NULL; t && n < max;
         t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        names[n++] = t;
    }
    return n;
}
