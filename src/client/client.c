/*
 * client.c: libstrom's connection (timeouts, reconnect, retry), DDL and offsets
 * (strom/client.h).
 */
#include "client/client_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "columnar/value.h"
#include "common/common.h"
#include "common/crc32c.h"
#include "common/fs.h"

void strom_client_opts_default(strom_client_opts *o)
{
    o->connect_timeout_ms = 5000;
    o->request_timeout_ms = 30000;
    o->retries = 3;
    o->retry_backoff_ms = 100;
}

void cl_disconnect(strom_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    strom_buf_reset(&c->pend); /* bytes of the old connection */
}

static int cl_connect(strom_client *c, strom_error *err)
{
    cl_disconnect(c);
    char port[16];
    snprintf(port, sizeof port, "%d", c->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int g = getaddrinfo(c->host, port, &hints, &res);
    if (g != 0)
        return strom_error_set(err, STROM_EIO, "cannot resolve %s: %s", c->host, gai_strerror(g));
    int rc = STROM_EIO, last = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
            last = errno;
            close(fd);
            continue;
        }
        struct pollfd p = {fd, POLLOUT, 0};
        int pr = poll(&p, 1, c->o.connect_timeout_ms);
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (pr <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr) {
            last = pr == 0 ? ETIMEDOUT : soerr ? soerr : errno;
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->fd = fd;
        memset(c->api_max, 0xff, sizeof c->api_max); /* a new connection: maybe a new server */
        rc = 0;
        break;
    }
    freeaddrinfo(res);
    if (rc < 0)
        return strom_error_set(err, STROM_EIO, "cannot connect to %s: %s", c->addr,
                               strerror(last ? last : ECONNREFUSED));
    return 0;
}

int strom_client_connect(const char *addr, const strom_client_opts *o, strom_client **out,
                         strom_error *err)
{
    const char *colon = strrchr(addr, ':');
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == addr || *end || port <= 0 || port > 65535 ||
        (size_t)(colon - addr) >= 256)
        return strom_error_set(err, STROM_EINVAL, "server address '%s' is not HOST:PORT", addr);
    strom_client *c = calloc(1, sizeof *c);
    if (!c)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    c->fd = -1;
    memset(c->api_max, 0xff, sizeof c->api_max); /* -1: not asked */
    snprintf(c->addr, sizeof c->addr, "%s", addr);
    snprintf(c->host, sizeof c->host, "%.*s", (int)(colon - addr), addr);
    c->port = (int)port;
    if (o)
        c->o = *o;
    else
        strom_client_opts_default(&c->o);
    c->next_corr = 1;
    int rc = cl_connect(c, err);
    if (rc < 0) {
        strom_client_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void strom_client_close(strom_client *c)
{
    if (!c)
        return;
    cl_disconnect(c);
    strom_buf_free(&c->req);
    strom_buf_free(&c->resp);
    strom_buf_free(&c->pend);
    free(c);
}

int cl_api_version(const strom_client *c, int api)
{
    int v = strom_api_max_version(api);
    if (api >= 0 && api < STROM_API_COUNT && c->api_max[api] >= 0 && c->api_max[api] < v)
        v = c->api_max[api];
    return v < 0 ? 0 : v;
}

int cl_begin(strom_client *c, int api)
{
    strom_buf_reset(&c->req);
    strom_request_header h = {(uint16_t)api, (uint16_t)cl_api_version(c, api), c->next_corr++,
                              0};
    strom_frame_begin(&c->req);
    return strom_wire_put_request_header(&c->req, &h) ? STROM_ENOMEM : 0;
}

/* Waits until fd is ready for `ev`, up to the deadline. */
static int wait_fd(int fd, short ev, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - strom_mono_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd p = {fd, ev, 0};
        int r = poll(&p, 1, (int)(left > 1000000 ? 1000000 : left));
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -errno;
    }
}

static int send_all(strom_client *c, const uint8_t *head, size_t hlen, const struct iovec *extra,
                    int nextra, int64_t deadline)
{
    struct iovec iov[66];
    int n = 0;
    c->just_sent = true;
    iov[n++] = (struct iovec){(void *)head, hlen};
    for (int i = 0; i < nextra && n < 66; i++)
        iov[n++] = extra[i];
    int at = 0;
    while (at < n) {
        ssize_t w = writev(c->fd, iov + at, n - at);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                int rc = wait_fd(c->fd, POLLOUT, deadline);
                if (rc < 0)
                    return rc;
                continue;
            }
            return -errno;
        }
        size_t left = (size_t)w;
        while (at < n && left >= iov[at].iov_len) {
            left -= iov[at].iov_len;
            at++;
        }
        if (at < n) {
            iov[at].iov_base = (uint8_t *)iov[at].iov_base + left;
            iov[at].iov_len -= left;
        }
    }
    return 0;
}

/* Response buffers grow with strom_buf_reserve_large: an answer of 2 MiB or more (a Fetch
 * answer: 8 MiB by default) lands in transparent huge pages, so its first fill takes a handful
 * of page faults instead of one per 4 KiB page (~2 600 for an 8 MiB answer's 10 MiB buffer: a
 * tenth of the time of a projected read). */
void cl_prepare_recv(strom_client *c, size_t bytes)
{
    if (c->resp.cap - c->resp.len >= bytes || strom_buf_reserve_large(&c->resp, bytes) != 0)
        return;
    /* one write per page faults it in (a huge page at the first of its 512), 2 MiB at a time
     * and only until the answer begins to arrive: a small answer costs no more than before */
    volatile uint8_t *p = c->resp.data + c->resp.len;
    for (size_t at = 0; at < bytes && !cl_wait_readable(c, 0);)
        for (size_t end = at + STROM_BUF_HUGE; at < end && at < bytes; at += 4096)
            p[at] = 0;
}

/* Reads the next response frame into c->resp. A read takes whatever the socket has (up to
 * the buffer's room, at least 16 KiB): a small frame usually arrives in one system call, and
 * bytes of the frames after it wait in c->pend for the next call. */
static int recv_frame(strom_client *c, int64_t deadline, strom_error *err)
{
    strom_buf_reset(&c->resp);
    if (c->pend.len) {
        if (strom_buf_append(&c->resp, c->pend.data, c->pend.len) != 0)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        strom_buf_reset(&c->pend);
    }
    size_t need = 4;
    for (;;) {
        if (c->resp.len >= 4 && need == 4) {
            size_t flen;
            int pk = strom_frame_peek(c->resp.data, c->resp.len, 1u << 30, &flen, err);
            if (pk < 0)
                return pk;
            need = flen;
        }
        if (c->resp.len >= need)
            break;
        size_t want = need - c->resp.len < (16u << 10) ? 16u << 10 : need - c->resp.len;
        if (strom_buf_reserve_large(&c->resp, want) != 0)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        if (c->just_sent) { /* a request just went out: its answer cannot be here yet, so
                               wait first instead of a read that finds nothing */
            c->just_sent = false;
            int rc = wait_fd(c->fd, POLLIN, deadline);
            if (rc < 0)
                return strom_error_set(err, STROM_EIO, "reading from %s: %s", c->addr,
                                       strerror(-rc));
        }
        ssize_t r = read(c->fd, c->resp.data + c->resp.len, c->resp.cap - c->resp.len);
        if (r == 0)
            return strom_error_set(err, STROM_EIO, "%s closed the connection", c->addr);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                int rc = wait_fd(c->fd, POLLIN, deadline);
                if (rc < 0)
                    return strom_error_set(err, STROM_EIO, "reading from %s: %s", c->addr,
                                           strerror(-rc));
                continue;
            }
            return strom_error_set(err, STROM_EIO, "reading from %s: %s", c->addr, strerror(errno));
        }
        c->resp.len += (size_t)r;
    }
    if (c->resp.len > need) { /* the start of the next frames */
        if (strom_buf_append(&c->pend, c->resp.data + need, c->resp.len - need) != 0)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        c->resp.len = need;
    }
    return 0;
}

/* Connects when needed and sends c->req with the call's extra pieces; on a send failure
 * retries while attempts are left. */
static int call_send(strom_client *c, strom_error *err)
{
    int rc = 0;
    for (; c->call.attempt < c->call.attempts; c->call.attempt++) {
        if (c->call.attempt > 0) {
            struct timespec ts = {c->call.backoff / 1000,
                                  (long)(c->call.backoff % 1000) * 1000000};
            nanosleep(&ts, NULL);
            c->call.backoff *= 2;
        }
        if (c->fd < 0 && (rc = cl_connect(c, err)) < 0)
            continue;
        c->call.deadline = strom_mono_ms() + c->o.request_timeout_ms + c->call.wait_ms;
        int s = send_all(c, c->req.data, c->req.len, c->call.extra, c->call.nextra,
                         c->call.deadline);
        if (s < 0) {
            rc = strom_error_set(err, STROM_EIO, "sending to %s: %s", c->addr, strerror(-s));
            cl_disconnect(c);
            continue;
        }
        return 0;
    }
    return rc ? rc : strom_error_set(err, STROM_EIO, "no connection to %s", c->addr);
}

int cl_call_start(strom_client *c, const struct iovec *extra, int nextra, bool retry,
                  int wait_ms, strom_error *err)
{
    if (c->call.active)
        return strom_error_set(err, STROM_ESTATE, "a request to %s is still in flight on this "
                               "connection", c->addr);
    size_t total = c->req.len - 4;
    for (int i = 0; i < nextra; i++)
        total += extra[i].iov_len;
    if (total > STROM_FRAME_MAX)
        return strom_error_set(err, STROM_ELIMIT, "request of %zu bytes is over the frame limit "
                               "of %u", total, STROM_FRAME_MAX);
    strom_st32(c->req.data, (uint32_t)total);
    c->call = (cl_pending){true, strom_ld32(c->req.data + 8), 0, retry ? c->o.retries + 1 : 1,
                           c->o.retry_backoff_ms, wait_ms, 0, extra, nextra};
    int rc = call_send(c, err);
    if (rc < 0)
        c->call.active = false;
    return rc;
}

int cl_call_finish(strom_client *c, strom_wire_reader *body, strom_error *err)
{
    int rc;
    while ((rc = recv_frame(c, c->call.deadline, err)) < 0) {
        cl_disconnect(c);
        if (rc != STROM_EIO || ++c->call.attempt >= c->call.attempts ||
            (rc = call_send(c, err)) < 0) {
            c->call.active = false;
            return rc;
        }
    }
    c->call.active = false;
    strom_wire_reader_init(body, c->resp.data + 4, c->resp.len - 4);
    strom_response_header h;
    if (strom_response_header_read(body, &h) < 0 || h.correlation_id != c->call.corr) {
        cl_disconnect(c);
        return strom_error_set(err, STROM_ECORRUPT, "response from %s does not answer "
                               "request %u", c->addr, c->call.corr);
    }
    if (h.error_code) {
        strom_msg_str m;
        m.p = strom_wire_str(body, &m.len, "error message");
        int code = -(int)h.error_code;
        return strom_error_set(err, code, "%.*s", m.p ? (int)m.len : 0, m.p ? m.p : "");
    }
    return 0;
}

int cl_call(strom_client *c, const struct iovec *extra, int nextra, bool retry, int wait_ms,
            bool no_response, strom_wire_reader *body, strom_error *err)
{
    int rc = cl_call_start(c, extra, nextra, retry, wait_ms, err);
    if (rc < 0)
        return rc;
    if (no_response) {
        c->call.active = false;
        return 0;
    }
    return cl_call_finish(c, body, err);
}

int cl_reconnect(strom_client *c, strom_error *err)
{
    return cl_connect(c, err);
}

int cl_send(strom_client *c, const uint8_t *head, size_t hlen, const struct iovec *extra,
            int nextra, strom_error *err)
{
    if (c->fd < 0)
        return strom_error_set(err, STROM_EIO, "not connected to %s", c->addr);
    int s = send_all(c, head, hlen, extra, nextra, strom_mono_ms() + c->o.request_timeout_ms);
    if (s < 0) {
        cl_disconnect(c);
        return strom_error_set(err, STROM_EIO, "sending to %s: %s", c->addr, strerror(-s));
    }
    return 0;
}

int cl_recv(strom_client *c, int timeout_ms, strom_wire_reader *body, strom_response_header *h,
            strom_error *err)
{
    if (c->fd < 0)
        return strom_error_set(err, STROM_EIO, "not connected to %s", c->addr);
    int rc = recv_frame(c, strom_mono_ms() + timeout_ms, err);
    if (rc < 0) {
        cl_disconnect(c);
        return rc;
    }
    strom_wire_reader_init(body, c->resp.data + 4, c->resp.len - 4);
    if (strom_response_header_read(body, h) < 0) {
        cl_disconnect(c);
        return strom_error_set(err, STROM_ECORRUPT, "a response from %s is too short", c->addr);
    }
    return 0;
}

bool cl_wait_readable(strom_client *c, int64_t timeout_us)
{
    if (c->pend.len > 0)
        return true;
    if (c->fd < 0)
        return false;
    if (timeout_us < 0)
        timeout_us = 0;
    struct pollfd p = {c->fd, POLLIN, 0};
    struct timespec ts = {(time_t)(timeout_us / 1000000), (long)(timeout_us % 1000000) * 1000};
    return ppoll(&p, 1, &ts, NULL) > 0;
}

int cl_downgrade(strom_client *c, int api, int v, strom_error *err)
{
    if (v <= 0 || api < 0 || api >= STROM_API_COUNT)
        return 0;
    strom_wire_reader rd;
    strom_msg_versions m;
    int rc = cl_begin(c, STROM_API_API_VERSIONS);
    if (rc < 0 || (rc = cl_call(c, NULL, 0, true, 0, false, &rd, err)) < 0 ||
        (rc = strom_msg_versions_decode(&rd, &m, err)) < 0)
        return rc;
    int newest = -1;
    for (uint32_t i = 0; i < m.n; i++)
        if (m.v[i].key < STROM_API_COUNT) {
            c->api_max[m.v[i].key] = (int16_t)m.v[i].max;
            if (m.v[i].key == api && m.v[i].min <= m.v[i].max)
                newest = m.v[i].max;
        }
    strom_msg_versions_free(&m);
    return newest >= 0 && newest < v ? 1 : 0;
}

int strom_client_server_version(strom_client *c, char *buf, size_t cap, strom_error *err)
{
    strom_wire_reader rd;
    strom_msg_versions v;
    int rc = cl_begin(c, STROM_API_API_VERSIONS);
    if (rc == 0 && (rc = cl_call(c, NULL, 0, true, 0, false, &rd, err)) == 0 &&
        (rc = strom_msg_versions_decode(&rd, &v, err)) == 0) {
        snprintf(buf, cap, "%.*s", (int)v.server.len, v.server.p);
        strom_msg_versions_free(&v);
    }
    return rc;
}

/* ---- DDL --------------------------------------------------------------------------------- */

static int names_call(strom_client *c, int api, const char *db, const char *table,
                      const char *part, bool flag, strom_wire_reader *rd, strom_error *err)
{
    strom_msg_names m = {{db ? db : "", (uint16_t)(db ? strlen(db) : 0)},
                         {table ? table : "", (uint16_t)(table ? strlen(table) : 0)},
                         {part ? part : "", (uint16_t)(part ? strlen(part) : 0)},
                         flag};
    int rc = cl_begin(c, api);
    if (rc == 0)
        rc = strom_msg_names_encode(api, &c->req, &m);
    if (rc == 0)
        rc = cl_call(c, NULL, 0, api == STROM_API_LIST_TABLES || api == STROM_API_GET_TABLE_INFO,
                     0, false, rd, err);
    return rc;
}

int strom_create_database(strom_client *c, const char *db, bool if_not_exists, strom_error *err)
{
    strom_wire_reader rd;
    return names_call(c, STROM_API_CREATE_DATABASE, db, NULL, NULL, if_not_exists, &rd, err);
}

int strom_drop_database(strom_client *c, const char *db, bool if_exists, strom_error *err)
{
    strom_wire_reader rd;
    return names_call(c, STROM_API_DROP_DATABASE, db, NULL, NULL, if_exists, &rd, err);
}

static int names_out(strom_wire_reader *rd, char ***names, int *n, strom_error *err)
{
    strom_msg_strings m;
    int rc = strom_msg_strings_decode(rd, &m, err);
    if (rc < 0)
        return rc;
    char **v = calloc(m.n + 1, sizeof *v);
    for (uint32_t i = 0; v && i < m.n; i++)
        if (!(v[i] = strndup(m.v[i].p, m.v[i].len))) {
            strom_free_names(v, (int)i);
            v = NULL;
        }
    int count = (int)m.n;
    strom_msg_strings_free(&m);
    if (!v)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    *names = v;
    *n = count;
    return 0;
}

int strom_list_databases(strom_client *c, char ***names, int *n, strom_error *err)
{
    strom_wire_reader rd;
    int rc = cl_begin(c, STROM_API_LIST_DATABASES);
    if (rc == 0 && (rc = cl_call(c, NULL, 0, true, 0, false, &rd, err)) == 0)
        rc = names_out(&rd, names, n, err);
    return rc;
}

int strom_list_tables(strom_client *c, const char *db, char ***names, int *n, strom_error *err)
{
    strom_wire_reader rd;
    int rc = names_call(c, STROM_API_LIST_TABLES, db, NULL, NULL, false, &rd, err);
    return rc < 0 ? rc : names_out(&rd, names, n, err);
}

void strom_free_names(char **names, int n)
{
    for (int i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

int strom_create_table(strom_client *c, strom_table_desc *d, bool if_not_exists,
                       strom_error *err)
{
    int rc = strom_table_desc_check(d, err);
    if (rc < 0)
        return rc;
    strom_wire_reader rd;
    if ((rc = cl_begin(c, STROM_API_CREATE_TABLE)) < 0 ||
        strom_wire_put_u8(&c->req, if_not_exists ? 1 : 0) ||
        strom_msg_table_put(&c->req, d))
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    if ((rc = cl_call(c, NULL, 0, false, 0, false, &rd, err)) < 0)
        return rc;
    d->table_id = strom_wire_u64(&rd, "table id");
    return strom_wire_finish(&rd, err);
}

int strom_drop_table(strom_client *c, const char *db, const char *table, bool if_exists,
                     strom_error *err)
{
    strom_wire_reader rd;
    return names_call(c, STROM_API_DROP_TABLE, db, table, NULL, if_exists, &rd, err);
}

/* One AlterTable request; *schema_id (may be NULL) gets the id it answers. */
static int alter_call(strom_client *c, const strom_msg_alter *m, uint32_t *schema_id,
                      strom_error *err)
{
    strom_wire_reader rd;
    int rc = cl_begin(c, STROM_API_ALTER_TABLE);
    if (rc == 0)
        rc = strom_msg_alter_encode(&c->req, m);
    if (rc == 0)
        rc = cl_call(c, NULL, 0, false, 0, false, &rd, err);
    if (rc < 0)
        return rc;
    uint64_t id = strom_wire_u64(&rd, "schema id");
    if (schema_id)
        *schema_id = (uint32_t)id;
    return strom_wire_finish(&rd, err);
}

int strom_add_column(strom_client *c, const char *db, const char *table, const char *column,
                     strom_type type, uint32_t *schema_id, strom_error *err)
{
    strom_msg_alter m = {{db, (uint16_t)strlen(db)}, {table, (uint16_t)strlen(table)},
                         STROM_ALTER_ADD_COLUMN, {column, (uint16_t)strlen(column)}, type, true,
                         false, 0};
    return alter_call(c, &m, schema_id, err);
}

int strom_set_tiering(strom_client *c, const char *db, const char *table, bool on,
                      int64_t freshness_ms, strom_error *err)
{
    strom_msg_alter m = {{db, (uint16_t)strlen(db)}, {table, (uint16_t)strlen(table)},
                         STROM_ALTER_SET_TIERING, {"", 0}, {0, 0, 0}, false, on, freshness_ms};
    return alter_call(c, &m, NULL, err);
}

int strom_tier_now(strom_client *c, const char *db, const char *table, strom_tier_info *out,
                   strom_error *err)
{
    strom_wire_reader rd;
    int rc = names_call(c, STROM_API_TIER, db, table, NULL, false, &rd, err);
    if (rc < 0)
        return rc;
    strom_tier_info ti;
    ti.snapshot_id = strom_wire_i64(&rd, "snapshot id");
    ti.rows = strom_wire_i64(&rd, "rows");
    ti.files = strom_wire_i64(&rd, "files");
    ti.bytes_read = strom_wire_u64(&rd, "bytes read");
    ti.bytes_written = strom_wire_u64(&rd, "bytes written");
    if ((rc = strom_wire_finish(&rd, err)) == 0 && out)
        *out = ti;
    return rc;
}

int cl_get_table(strom_client *c, const char *db, const char *table, strom_table_desc *out,
                 strom_error *err)
{
    strom_wire_reader rd;
    int rc = names_call(c, STROM_API_GET_TABLE_INFO, db, table, NULL, false, &rd, err);
    if (rc < 0)
        return rc;
    if ((rc = strom_msg_table_read(&rd, out, err)) < 0)
        return rc;
    if ((rc = strom_wire_finish(&rd, err)) < 0)
        strom_table_desc_free(out);
    return rc;
}

int strom_get_table(strom_client *c, const char *db, const char *table, strom_table_desc *out,
                    strom_error *err)
{
    return cl_get_table(c, db, table, out, err);
}

int strom_create_partition(strom_client *c, const char *db, const char *table,
                           const char *partition, bool if_not_exists, strom_error *err)
{
    strom_wire_reader rd;
    return names_call(c, STROM_API_CREATE_PARTITION, db, table, partition, if_not_exists, &rd,
                      err);
}

int strom_drop_partition(strom_client *c, const char *db, const char *table,
                         const char *partition, bool if_exists, strom_error *err)
{
    strom_wire_reader rd;
    return names_call(c, STROM_API_DROP_PARTITION, db, table, partition, if_exists, &rd, err);
}

int strom_list_offset(strom_client *c, const strom_table_desc *t, const char *partition,
                      uint32_t bucket, int64_t spec, int64_t *offset, strom_error *err)
{
    strom_msg_offsets_entry e = {{partition, (uint16_t)strlen(partition)}, bucket, spec};
    strom_msg_offsets m = {t->table_id, 1, &e};
    strom_wire_reader rd;
    strom_msg_results res;
    int rc = cl_begin(c, STROM_API_LIST_OFFSETS);
    if (rc == 0)
        rc = strom_msg_offsets_encode(&c->req, &m);
    if (rc == 0)
        rc = cl_call(c, NULL, 0, true, 0, false, &rd, err);
    if (rc == 0)
        rc = strom_msg_results_decode(&rd, &res, err);
    if (rc < 0)
        return rc;
    if (res.n != 1)
        rc = strom_error_set(err, STROM_ECORRUPT, "ListOffsets answered %u entries", res.n);
    else if (res.v[0].error)
        rc = strom_error_set(err, res.v[0].error, "%.*s", (int)res.v[0].message.len,
                             res.v[0].message.p);
    else
        *offset = res.v[0].offset;
    strom_msg_results_free(&res);
    return rc;
}

/* ---- bucket routing ------------------------------------------------------------------------ */

uint32_t cl_bucket_of(const strom_value *keys, int nkeys, uint32_t buckets)
{
    uint32_t h = 0;
    for (int i = 0; i < nkeys; i++) {
        const strom_value *v = &keys[i];
        uint8_t tmp[16];
        if (v->is_null) {
            tmp[0] = 0xFF;
            h = strom_crc32c(h, tmp, 1);
            continue;
        }
        switch (v->type) {
        case STROM_TYPE_BOOLEAN:
            tmp[0] = v->u.b ? 1 : 0;
            h = strom_crc32c(h, tmp, 1);
            break;
        case STROM_TYPE_FLOAT:
        case STROM_TYPE_DOUBLE: {
            double d = v->u.f == 0 ? 0.0 : v->u.f; /* -0.0 and 0.0 go together */
            memcpy(tmp, &d, 8);
            h = strom_crc32c(h, tmp, 8);
            break;
        }
        case STROM_TYPE_DECIMAL:
            memcpy(tmp, &v->u.d, 16);
            h = strom_crc32c(h, tmp, 16);
            break;
        case STROM_TYPE_STRING:
        case STROM_TYPE_BYTES:
            strom_st32(tmp, v->u.s.len);
            h = strom_crc32c(h, tmp, 4);
            h = strom_crc32c(h, v->u.s.ptr, v->u.s.len);
            break;
        default:
            strom_st64(tmp, (uint64_t)v->u.i);
            h = strom_crc32c(h, tmp, 8);
            break;
        }
    }
    return buckets ? h % buckets : 0;
}
