/*
 * server.c: the event loop, connections, worker pool, long-poll waiters and clean shutdown
 * (server.h).
 */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/common.h"
#include "common/fs.h"
#include "protocol/msg.h"
#include "server/handlers_kv.h"
#include "server/slog.h"
#include "server/tiering.h"

#define READ_CHUNK (256u << 10)
#define API_RETENTION 0xFFFF /* internal request: run retention on a worker */
#define API_ORDER 0xFFFE     /* internal completion: a Produce's records are written */
#define WAKE_INLINE_BYTES (64u << 10) /* woken Fetches run on the loop thread below this */

struct srv_conn {
    int fd;
    uint64_t id;
    char peer[64];
    strom_buf in;
    srv_req *out_head, *out_tail; /* responses ready to write, in order */
    srv_req *pq_head, *pq_tail;   /* Produce requests waiting for the one in flight */
    bool produce_busy;
    int inflight;                 /* requests dispatched (queued, running or parked) */
    bool dead;                    /* socket closed; freed when inflight reaches 0 */
    bool read_paused;
    bool read_eof;                /* the peer has sent its last byte: answered, then closed */
    bool parse_pending;           /* resumed with whole frames already read: dispatch them */
    bool corked;                  /* TCP_CORK set while a response of 3+ pieces goes out */
    uint32_t events;
    srv_conn *prev, *next;
};

struct srv_server {
    srv_config cfg;
    srv_catalog *cat;
    srv_tiering *tier;
    int lfd, epfd, evfd, sigfd, port;
    pthread_t *threads;
    int nthreads;
    pthread_mutex_t qmu;          /* work queue */
    pthread_cond_t qcv;
    srv_req *q_head, *q_tail;
    bool q_stop;
    pthread_mutex_t cmu;          /* completion queue */
    srv_req *c_head, *c_tail;
    srv_conn *conns;              /* loop thread only from here on */
    int nconns;
    srv_req *waiters;
    uint64_t fetch_read, fetch_sent; /* srv_count_fetch (atomic) */
    uint64_t append_seq;          /* appends seen (wake_table calls) ... */
    uint64_t table_appends[256];  /* ... the last one to a table of each table_id % 256 */
    uint64_t mem_used;
    bool mem_paused;              /* some connection paused over memory_limit */
    bool parse_pending;           /* some connection has parse_pending */
    bool stopping;
    int stop_requested;           /* set by srv_server_stop from any thread */
    int64_t stop_deadline, next_retention;
    uint64_t next_conn_id;
    int retention_running;
};

/* ---- requests and responses ------------------------------------------------------------------ */

static void req_free(srv_req *r)
{
    if (!r)
        return;
    if (r->hstate_free)
        r->hstate_free(r->hstate);
    for (int i = 0; i < r->nviews; i++)
        strom_log_view_release(&r->views[i]);
    free(r->views);
    free(r->resume);
    free(r->outs);
    strom_buf_free(&r->resp);
    free(r->frame);
    free(r);
}

int srv_resp_begin(srv_req *r)
{
    strom_buf_reset(&r->resp);
    r->nouts = 0;
    strom_response_header h = {r->h.correlation_id, 0, 0};
    strom_frame_begin(&r->resp);
    return strom_wire_put_response_header(&r->resp, &h) ? STROM_ENOMEM : 0;
}

void srv_resp_error(srv_req *r, int code, const char *msg)
{
    for (int i = 0; i < r->nviews; i++)
        strom_log_view_release(&r->views[i]);
    r->nviews = 0;
    strom_buf_reset(&r->resp);
    r->nouts = 0;
    strom_response_header h = {r->h.correlation_id, (uint16_t)(-code), 0};
    size_t start = strom_frame_begin(&r->resp);
    strom_wire_put_response_header(&r->resp, &h);
    strom_wire_put_str(&r->resp, msg, strlen(msg) > 4000 ? 4000 : strlen(msg));
    strom_frame_end(&r->resp, start, NULL);
}

int srv_resp_add(srv_req *r, const uint8_t *mem, int fd, uint64_t pos, uint64_t len)
{
    if (len == 0)
        return 0;
    if (strom_array_grow(&r->outs, r->nouts, &r->capouts, sizeof *r->outs, 16) != 0)
        return STROM_ENOMEM;
    r->outs[r->nouts++] = (srv_out){mem, fd, pos, len};
    return 0;
}

int srv_resp_end(srv_req *r)
{
    uint64_t total = r->resp.len - 4;
    for (int i = 0; i < r->nouts; i++)
        total += r->outs[i].len;
    if (!r->resp.data || total > UINT32_MAX)
        return STROM_ELIMIT;
    strom_st32(r->resp.data, (uint32_t)total);
    return 0;
}

/* ---- work and completion queues ---------------------------------------------------------------- */

/* A request leaves the loop for a run (on a worker or inline): no longer parked, and the
 * appends seen so far noted (one after this wakes it again: on_complete). */
static void hand_out(srv_server *s, srv_req *r)
{
    r->park = false;
    r->seen_appends = s->append_seq;
}

static void submit(srv_server *s, srv_req *r)
{
    hand_out(s, r);
    pthread_mutex_lock(&s->qmu);
    r->next = NULL;
    if (s->q_tail)
        s->q_tail->next = r;
    else
        s->q_head = r;
    s->q_tail = r;
    pthread_cond_signal(&s->qcv);
    pthread_mutex_unlock(&s->qmu);
}

static void complete(srv_server *s, srv_req *r)
{
    pthread_mutex_lock(&s->cmu);
    r->next = NULL;
    bool was_empty = !s->c_head;
    if (s->c_tail)
        s->c_tail->next = r;
    else
        s->c_head = r;
    s->c_tail = r;
    pthread_mutex_unlock(&s->cmu);
    if (was_empty) {
        uint64_t one = 1;
        ssize_t w = write(s->evfd, &one, sizeof one);
        (void)w;
    }
}

static void *worker_main(void *arg)
{
    srv_server *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->qmu);
        while (!s->q_head && !s->q_stop)
            pthread_cond_wait(&s->qcv, &s->qmu);
        srv_req *r = s->q_head;
        if (!r) {
            pthread_mutex_unlock(&s->qmu);
            return NULL;
        }
        s->q_head = r->next;
        if (!s->q_head)
            s->q_tail = NULL;
        pthread_mutex_unlock(&s->qmu);
        if (r->h.api_key == API_RETENTION) {
            strom_error err;
            srv_kv_scans_expire(false);
            int n = srv_catalog_retain(s->cat, strom_now_ms(), &err);
            if (n > 0)
                srv_log(SRV_INFO, "retention", "deleted=%d", n);
            else if (n < 0)
                srv_log(SRV_WARN, "retention failed", "error=\"%s\"", err.msg);
        } else {
            srv_handle(s, r);
        }
        complete(s, r);
    }
}

/* ---- connections ------------------------------------------------------------------------------ */

static void conn_events(srv_server *s, srv_conn *c)
{
    if (c->dead)
        return;
    /* a paused connection is not watched for a half-close either: its reads would return at
     * once, and the level-triggered event would come back every turn of the loop */
    uint32_t ev = (c->read_paused || c->read_eof ? 0 : EPOLLIN | EPOLLRDHUP) |
                  (c->out_head ? EPOLLOUT : 0);
    if (ev == c->events)
        return;
    struct epoll_event e = {.events = ev, .data.ptr = c};
    epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &e);
    c->events = ev;
}

/* Frees closed connections with nothing in flight; run between batches of events, so no
 * pointer to a connection outlives its use. */
static void sweep_dead(srv_server *s)
{
    for (srv_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (!c->dead || c->inflight > 0)
            continue;
        if (c->prev)
            c->prev->next = c->next;
        else
            s->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        s->nconns--;
        strom_buf_free(&c->in);
        free(c);
    }
}

/* The memory budget: changed on the loop thread, read by workers too (srv_fetch_memory). */
static void mem_add(srv_server *s, uint64_t n)
{
    __atomic_add_fetch(&s->mem_used, n, __ATOMIC_RELAXED);
}

static void mem_sub(srv_server *s, uint64_t n)
{
    __atomic_sub_fetch(&s->mem_used, n, __ATOMIC_RELAXED);
}

static uint64_t mem_now(const srv_server *s)
{
    return __atomic_load_n(&s->mem_used, __ATOMIC_RELAXED);
}

uint64_t srv_fetch_memory(const srv_server *s)
{
    uint64_t used = mem_now(s), limit = s->cfg.memory_limit;
    uint64_t share = used < limit ? (limit - used) / (uint64_t)s->cfg.workers : 0;
    return share > SRV_FETCH_MEMORY_MIN ? share : SRV_FETCH_MEMORY_MIN;
}

/* Frees a request and returns its memory to the budget. */
static void req_drop(srv_server *s, srv_req *r)
{
    mem_sub(s, r->charged + r->frame_len);
    req_free(r);
}

/* ---- long-poll waiters: Fetches parked on the loop until an append, their deadline or the
 * end of their connection ---------------------------------------------------------------- */

typedef bool (*waiter_pred)(const srv_req *r, const void *arg);

static bool waiter_any(const srv_req *r, const void *arg)
{
    (void)r;
    (void)arg;
    return true;
}

static bool waiter_of_conn(const srv_req *r, const void *conn)
{
    return r->conn == conn;
}

static bool waiter_of_table(const srv_req *r, const void *table_id)
{
    return r->table_id == *(const uint64_t *)table_id;
}

static bool waiter_due(const srv_req *r, const void *now)
{
    return r->deadline_ms <= *(const int64_t *)now;
}

/* Takes the waiters `pred` picks off the list; returns them, linked by next. */
static srv_req *take_waiters(srv_server *s, waiter_pred pred, const void *arg)
{
    srv_req *taken = NULL;
    for (srv_req **pp = &s->waiters; *pp;) {
        srv_req *r = *pp;
        if (pred(r, arg)) {
            *pp = r->next;
            r->next = taken;
            taken = r;
        } else {
            pp = &r->next;
        }
    }
    return taken;
}

/* Runs waiters for the last time: each answers with what there is. */
static void finish_waiters(srv_server *s, srv_req *list)
{
    while (list) {
        srv_req *r = list;
        list = r->next;
        r->final = true;
        submit(s, r);
    }
}

/* Closes the socket now; requests still running finish and are dropped. */
static void conn_kill(srv_server *s, srv_conn *c, const char *why)
{
    if (c->dead)
        return;
    srv_log(why ? SRV_INFO : SRV_DEBUG, "connection closed", "conn=%llu peer=%s reason=\"%s\"",
            (unsigned long long)c->id, c->peer, why ? why : "peer closed");
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->dead = true;
    strom_buf_free(&c->in);
    while (c->out_head) {
        srv_req *r = c->out_head;
        c->out_head = r->next;
        req_drop(s, r);
    }
    c->out_tail = NULL;
    while (c->pq_head) {
        srv_req *r = c->pq_head;
        c->pq_head = r->next;
        c->inflight--;
        req_drop(s, r);
    }
    for (srv_req *r = take_waiters(s, waiter_of_conn, c), *next; r; r = next) {
        next = r->next;
        c->inflight--;
        req_drop(s, r);
    }
}

/* A connection whose peer has finished sending is closed once every request it sent is
 * answered (a client may shut down its side and still read the replies). */
static void conn_close_if_done(srv_server *s, srv_conn *c)
{
    if (c->read_eof && !c->dead && c->inflight == 0 && !c->out_head)
        conn_kill(s, c, c->in.len ? "peer closed in the middle of a frame" : NULL);
}

/* The bytes of piece i of r (-1 = the response buffer). */
static srv_out piece(const srv_req *r, int i)
{
    if (i < 0)
        return (srv_out){r->resp.data, -1, 0, r->resp.len};
    return r->outs[i];
}

static void conn_cork(srv_conn *c, bool on)
{
    int v = on;
    if (c->corked != on && setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &v, sizeof v) == 0)
        c->corked = on;
}

/* Writes as much of the output queue as the socket takes. A response of three or more pieces (a
 * Fetch: a front in memory, then file ranges, per record) is corked until its last byte is
 * written, so its pieces leave in full segments instead of one short one per piece. */
static void conn_flush(srv_server *s, srv_conn *c)
{
    while (!c->dead && c->out_head) {
        srv_req *r = c->out_head;
        srv_out p = piece(r, r->out_cur);
        ssize_t n;
        if (r->nouts > 1)
            conn_cork(c, true);
        if (!p.mem) {
            off_t pos = (off_t)(p.pos + r->out_off);
            size_t len = (size_t)(p.len - r->out_off);
            n = sendfile(c->fd, p.fd, &pos, len > (1u << 30) ? (1u << 30) : len);
            if (n == 0 && len > 0) { /* the file ends before the range: it was cut short */
                srv_log(SRV_ERROR, "segment file shorter than a range being sent",
                        "conn=%llu", (unsigned long long)c->id);
                conn_kill(s, c, "segment file shorter than a range being sent");
                return;
            }
        } else {
            struct iovec iov[64];
            int k = 0;
            for (int i = r->out_cur; i < r->nouts && k < 64; i++) {
                srv_out q = piece(r, i);
                if (!q.mem)
                    break;
                uint64_t skip = i == r->out_cur ? r->out_off : 0;
                iov[k].iov_base = (void *)(q.mem + skip);
                iov[k].iov_len = (size_t)(q.len - skip);
                k++;
            }
            n = writev(c->fd, iov, k);
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            conn_kill(s, c, strerror(errno));
            return;
        }
        uint64_t left = (uint64_t)n;
        while (left > 0 || (r->out_cur < r->nouts && piece(r, r->out_cur).len == r->out_off)) {
            srv_out q = piece(r, r->out_cur);
            uint64_t room = q.len - r->out_off;
            if (left < room) {
                r->out_off += left;
                left = 0;
                break;
            }
            left -= room;
            r->out_cur++;
            r->out_off = 0;
            if (r->out_cur >= r->nouts)
                break;
        }
        if (r->out_cur >= r->nouts) {
            c->out_head = r->next;
            if (!c->out_head)
                c->out_tail = NULL;
            req_drop(s, r);
            if (c->corked)
                conn_cork(c, false); /* the response is out: send its last segment now */
        }
    }
    conn_events(s, c);
    conn_close_if_done(s, c);
}

static void conn_send(srv_server *s, srv_conn *c, srv_req *r)
{
    r->out_cur = -1;
    r->out_off = 0;
    r->next = NULL;
    size_t mem = r->resp.cap;
    for (int i = 0; i < r->nviews; i++)
        mem += r->views[i].mem.cap;
    mem_sub(s, r->charged);
    r->charged = mem;
    mem_add(s, mem);
    free(r->frame); /* the request is no longer needed */
    r->frame = NULL;
    mem_sub(s, r->frame_len);
    r->frame_len = 0;
    if (c->out_tail)
        c->out_tail->next = r;
    else
        c->out_head = r;
    c->out_tail = r;
    conn_flush(s, c);
}

/* Pauses or resumes reading according to the limits. */
static void conn_throttle(srv_server *s, srv_conn *c)
{
    bool over = mem_now(s) > s->cfg.memory_limit;
    bool pause = s->stopping || c->inflight >= s->cfg.max_inflight || over;
    if (pause && over)
        s->mem_paused = true; /* resumed by the loop once memory is back under the limit */
    if (pause != c->read_paused) {
        c->read_paused = pause;
        if (!pause && c->in.len > 0) /* frames read before the pause: the loop sends them on */
            c->parse_pending = s->parse_pending = true;
        conn_events(s, c);
    }
}

static void throttle_all(srv_server *s)
{
    for (srv_conn *c = s->conns; c; c = c->next)
        if (!c->dead)
            conn_throttle(s, c);
}

/* Answers r at once from the loop thread (an error found before dispatch). */
static void reply_error(srv_server *s, srv_conn *c, srv_req *r, int code, const char *msg)
{
    srv_resp_error(r, code, msg);
    conn_send(s, c, r);
}

static void on_complete(srv_server *s, srv_req *r);

static void dispatch(srv_server *s, srv_conn *c, uint8_t *frame, size_t flen)
{
    srv_req *r = calloc(1, sizeof *r);
    if (!r) {
        free(frame);
        conn_kill(s, c, "out of memory");
        return;
    }
    r->conn = c;
    r->frame = frame;
    r->frame_len = flen;
    r->charged = 0;
    mem_add(s, flen);
    strom_wire_reader rd;
    strom_wire_reader_init(&rd, frame + 4, flen - 4);
    if (strom_request_header_read(&rd, &r->h) < 0) {
        mem_sub(s, flen);
        req_free(r);
        conn_kill(s, c, "frame shorter than a request header");
        return;
    }
    r->body = frame + 4 + STROM_REQUEST_HEADER;
    r->body_len = flen - 4 - STROM_REQUEST_HEADER;
    int maxv = strom_api_max_version(r->h.api_key);
    char msg[160];
    if (maxv < 0) {
        snprintf(msg, sizeof msg, "unknown api key %u (this server knows 0..%d)", r->h.api_key,
                 STROM_API_COUNT - 1);
        reply_error(s, c, r, STROM_EUNSUPPORTED, msg);
        return;
    }
    if (r->h.api_version > maxv) {
        snprintf(msg, sizeof msg, "%s version %u is not supported (newest: %d)",
                 strom_api_name(r->h.api_key), r->h.api_version, maxv);
        reply_error(s, c, r, STROM_EUNSUPPORTED, msg);
        return;
    }
    if (r->h.flags != 0) {
        snprintf(msg, sizeof msg, "request flags 0x%04x are not defined", r->h.flags);
        reply_error(s, c, r, STROM_EUNSUPPORTED, msg);
        return;
    }
    c->inflight++;
    if (r->h.api_key == STROM_API_PRODUCE || r->h.api_key == STROM_API_PUT_KV) {
        if (c->produce_busy) {
            r->next = NULL;
            if (c->pq_tail)
                c->pq_tail->next = r;
            else
                c->pq_head = r;
            c->pq_tail = r;
            return;
        }
        c->produce_busy = true;
    }
    if (srv_handle_inline(s, r)) { /* answered from memory, without a hand-off */
        on_complete(s, r);
        return;
    }
    submit(s, r);
}

/* Dispatches the whole frames in c->in, until the connection pauses (the rest waits for it
 * to resume). A frame that fills the buffer takes it over when that saves a large copy; a
 * smaller one is copied, so a request never holds (uncounted) more than twice its size. */
static void conn_parse(srv_server *s, srv_conn *c)
{
    c->parse_pending = false;
    size_t off = 0;
    while (!c->dead && !c->read_paused && c->in.data) {
        size_t flen;
        strom_error err;
        int pk = strom_frame_peek(c->in.data + off, c->in.len - off, s->cfg.max_frame, &flen,
                                  &err);
        if (pk < 0) {
            conn_kill(s, c, err.msg);
            return;
        }
        if (pk == 1)
            break;
        uint8_t *frame;
        if (off == 0 && flen == c->in.len && c->in.cap <= 2 * flen) {
            frame = strom_buf_detach(&c->in, &flen);
        } else {
            frame = malloc(flen);
            if (!frame) {
                conn_kill(s, c, "out of memory");
                return;
            }
            memcpy(frame, c->in.data + off, flen);
        }
        off += flen;
        dispatch(s, c, frame, flen);
        if (c->dead)
            return;
        conn_throttle(s, c);
    }
    if (c->in.data && off) {
        memmove(c->in.data, c->in.data + off, c->in.len - off);
        c->in.len -= off;
    }
}

/* The peer has finished sending (a half-close, or gone): its requests are still answered,
 * those waiting for data at once with what there is, and the connection closes after the
 * last reply. A peer that is gone makes the next write fail, which closes it sooner. */
static void conn_eof(srv_server *s, srv_conn *c)
{
    c->read_eof = true;
    conn_events(s, c);
    finish_waiters(s, take_waiters(s, waiter_of_conn, c));
    conn_close_if_done(s, c);
}

static void conn_read(srv_server *s, srv_conn *c)
{
    for (int rounds = 0; rounds < 16 && !c->dead && !c->read_paused; rounds++) {
        size_t want = READ_CHUNK;
        size_t flen;
        strom_error err;
        int pk = strom_frame_peek(c->in.data, c->in.len, s->cfg.max_frame, &flen, &err);
        if (pk < 0) {
            conn_kill(s, c, err.msg);
            return;
        }
        if (pk == 1 && flen > c->in.len && flen - c->in.len > want)
            want = flen - c->in.len;
        if (strom_buf_reserve(&c->in, want) != 0) {
            conn_kill(s, c, "out of memory");
            return;
        }
        ssize_t n = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len);
        if (n == 0) {
            conn_eof(s, c);
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                conn_kill(s, c, strerror(errno));
            return;
        }
        c->in.len += (size_t)n;
        conn_parse(s, c);
        if ((size_t)n < want / 2)
            break; /* the socket is probably drained */
    }
}

static void accept_all(srv_server *s)
{
    for (;;) {
        struct sockaddr_in a;
        socklen_t al = sizeof a;
        int fd = accept4(s->lfd, (struct sockaddr *)&a, &al, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                srv_log(SRV_WARN, "accept failed", "error=\"%s\"", strerror(errno));
            return;
        }
        if (s->nconns >= s->cfg.max_connections) {
            srv_log(SRV_WARN, "connection refused", "reason=\"max_connections %d reached\"",
                    s->cfg.max_connections);
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        srv_conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->id = ++s->next_conn_id;
        char ip[INET_ADDRSTRLEN] = "?";
        inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
        snprintf(c->peer, sizeof c->peer, "%s:%u", ip, ntohs(a.sin_port));
        c->events = EPOLLIN | EPOLLRDHUP;
        struct epoll_event e = {.events = c->events, .data.ptr = c};
        if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &e) != 0) {
            close(fd);
            free(c);
            continue;
        }
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        s->nconns++;
        srv_log(SRV_DEBUG, "connection accepted", "conn=%llu peer=%s", (unsigned long long)c->id,
                c->peer);
    }
}

/* ---- completions and long-poll --------------------------------------------------------------- */


/* Wakes the Fetches waiting for table_id after an append of `bytes` (0: unknown). A waiter
 * found nothing when it last ran, so what it can read now is about what was just appended:
 * when that is small (and it waits for little, and its next run reads little again: the
 * buckets that sent something are read again from the asked offset, see srv_resume), it runs
 * here on the loop thread from the page cache and is answered at once, saving two thread
 * hand-offs; others go to a worker. */
static void wake_table(srv_server *s, uint64_t table_id, uint64_t bytes)
{
    s->table_appends[table_id % 256] = ++s->append_seq;
    srv_req *woken = take_waiters(s, waiter_of_table, &table_id);
    bool small = bytes > 0 && bytes <= WAKE_INLINE_BYTES;
    while (woken) {
        srv_req *r = woken;
        woken = r->next;
        if (small && r->wait_min_bytes <= WAKE_INLINE_BYTES &&
            r->parked_scan <= WAKE_INLINE_BYTES) {
            hand_out(s, r);
            srv_handle(s, r);
            on_complete(s, r); /* answered, or parked again */
        } else {
            submit(s, r);
        }
    }
}

static void wake_expired(srv_server *s, int64_t now, bool all)
{
    finish_waiters(s, take_waiters(s, all ? waiter_any : waiter_due, &now));
}

void srv_release_order(srv_server *s, srv_req *r)
{
    srv_req *t = calloc(1, sizeof *t);
    if (!t)
        return; /* the final completion releases the order instead */
    t->h.api_key = API_ORDER;
    t->conn = r->conn;
    t->table_id = r->table_id;
    t->appended = r->appended;
    t->appended_bytes = r->appended_bytes;
    r->ordered_done = true;
    complete(s, t);
}

/* The connection's next Produce may go: the previous one's records are written. */
static void next_produce(srv_server *s, srv_conn *c)
{
    c->produce_busy = false;
    if (c->pq_head && !c->dead) {
        srv_req *n = c->pq_head;
        c->pq_head = n->next;
        if (!c->pq_head)
            c->pq_tail = NULL;
        c->produce_busy = true;
        submit(s, n);
    }
}

static void on_complete(srv_server *s, srv_req *r)
{
    if (r->h.api_key == API_RETENTION) {
        s->retention_running = 0;
        req_free(r);
        return;
    }
    srv_conn *c = r->conn;
    bool visible_when_written = s->cfg.log.fsync != STROM_LOG_FSYNC_ALWAYS;
    if (r->h.api_key == API_ORDER) {
        if (r->appended && visible_when_written)
            wake_table(s, r->table_id, r->appended_bytes); /* readers see them now */
        next_produce(s, c);
        req_free(r);
        return;
    }
    if (r->h.api_key == STROM_API_PRODUCE || r->h.api_key == STROM_API_PUT_KV) {
        if (r->appended && (!visible_when_written || !r->ordered_done))
            wake_table(s, r->table_id, r->appended_bytes); /* durable: readers see them */
        if (!r->ordered_done) /* failed before its records were written */
            next_produce(s, c);
    }
    if (r->park && !c->dead && !c->read_eof && !s->stopping) {
        r->parked_scan = 0;
        for (int i = 0; i < r->nviews; i++) { /* the response is rebuilt when it wakes; what
                                                  matched nothing is not read again */
            if (r->views[i].bytes_out)
                r->parked_scan += r->views[i].bytes_stored;
            strom_log_view_release(&r->views[i]);
        }
        r->nviews = 0;
        if (s->table_appends[r->table_id % 256] > r->seen_appends) {
            /* the table (or one sharing its slot) was appended to while this Fetch ran: its
             * wake-up went by before it was a waiter, so it runs again now */
            submit(s, r);
            return;
        }
        r->next = s->waiters;
        s->waiters = r;
        return;
    }
    c->inflight--;
    if (c->dead || r->no_response) {
        req_drop(s, r);
        conn_close_if_done(s, c);
        return;
    }
    conn_send(s, c, r);
    conn_throttle(s, c);
}

static void drain_completions(srv_server *s)
{
    uint64_t v;
    ssize_t rd = read(s->evfd, &v, sizeof v);
    (void)rd;
    pthread_mutex_lock(&s->cmu);
    srv_req *list = s->c_head;
    s->c_head = s->c_tail = NULL;
    pthread_mutex_unlock(&s->cmu);
    while (list) {
        srv_req *r = list;
        list = r->next;
        on_complete(s, r);
    }
}

/* After a turn of the loop: connections paused over the memory limit read again once memory
 * is back under it (responses written, requests finished, connections closed), and frames
 * read before a pause are dispatched once their connection resumes. */
static void resume_paused(srv_server *s)
{
    if (s->mem_paused && mem_now(s) <= s->cfg.memory_limit) {
        s->mem_paused = false;
        throttle_all(s);
    }
    if (s->parse_pending) {
        s->parse_pending = false;
        for (srv_conn *c = s->conns; c; c = c->next)
            if (c->parse_pending && !c->dead && !c->read_paused)
                conn_parse(s, c);
    }
}

/* ---- lifecycle -------------------------------------------------------------------------------- */

static int listen_on(srv_server *s, strom_error *err)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->cfg.port)};
    if (inet_pton(AF_INET, s->cfg.host, &a.sin_addr) != 1)
        return strom_error_set(err, STROM_EINVAL, "listen host '%s' is not an IPv4 address",
                               s->cfg.host);
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (s->lfd < 0)
        return strom_error_set(err, STROM_EIO, "socket: %s", strerror(errno));
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->lfd, 512) != 0)
        return strom_error_set(err, STROM_EIO, "listen on %s:%d: %s", s->cfg.host, s->cfg.port,
                               strerror(errno));
    socklen_t al = sizeof a;
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    return 0;
}

int srv_server_new(const srv_config *cfg, srv_server **out, strom_error *err)
{
    srv_server *s = calloc(1, sizeof *s);
    if (!s)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    s->cfg = *cfg;
    s->lfd = s->epfd = s->evfd = s->sigfd = -1;
    pthread_mutex_init(&s->qmu, NULL);
    pthread_cond_init(&s->qcv, NULL);
    pthread_mutex_init(&s->cmu, NULL);
    srv_log_set_level((srv_log_level)cfg->log_level);
    /* SIGINT/SIGTERM are taken through a signalfd: blocked first, so that every thread
     * started from here on (workers, and RocksDB's when the catalog opens primary-key
     * tables) inherits the mask and none of them is chosen to die of the signal */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    int64_t t0 = strom_mono_ms();
    char lake[2100];
    if (cfg->lake_dir[0])
        snprintf(lake, sizeof lake, "%s", cfg->lake_dir);
    else
        snprintf(lake, sizeof lake, "%s/lake", cfg->data_dir);
    srv_catalog_opts co = {cfg->data_dir, cfg->log, cfg->kv, lake};
    int rc = srv_catalog_open(&co, &s->cat, err);
    if (rc < 0) {
        srv_server_free(s);
        return rc;
    }
    srv_tiering_opts to = {cfg->tier_freshness_ms, (strom_pq_codec)cfg->tier_codec, "stromd",
                           cfg->tier_threads, cfg->tier_external, cfg->tier_read_grace_ms};
    if ((rc = srv_tiering_start(s->cat, &to, &s->tier, err)) < 0) {
        srv_server_free(s);
        return rc;
    }
    srv_log(SRV_INFO, "catalog open", "data_dir=%s recovery_ms=%lld", cfg->data_dir,
            (long long)(strom_mono_ms() - t0));
    if ((rc = listen_on(s, err)) < 0) {
        srv_server_free(s);
        return rc;
    }
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    signal(SIGPIPE, SIG_IGN);
    if (s->epfd < 0 || s->evfd < 0 || s->sigfd < 0) {
        srv_server_free(s);
        return strom_error_set(err, STROM_EIO, "epoll/eventfd/signalfd: %s", strerror(errno));
    }
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = &s->lfd};
    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &e);
    e.data.ptr = &s->evfd;
    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->evfd, &e);
    e.data.ptr = &s->sigfd;
    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sigfd, &e);
    s->threads = calloc((size_t)cfg->workers, sizeof *s->threads);
    for (int i = 0; s->threads && i < cfg->workers; i++) {
        if (pthread_create(&s->threads[i], NULL, worker_main, s) != 0)
            break;
        s->nthreads++;
    }
    if (s->nthreads == 0) {
        srv_server_free(s);
        return strom_error_set(err, STROM_ENOMEM, "cannot start worker threads");
    }
    s->next_retention = strom_mono_ms() + cfg->retention_check_ms;
    *out = s;
    return 0;
}

int srv_server_port(const srv_server *s)
{
    return s->port;
}

void srv_count_fetch(srv_server *s, uint64_t read, uint64_t sent)
{
    __atomic_add_fetch(&s->fetch_read, read, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->fetch_sent, sent, __ATOMIC_RELAXED);
}

void srv_fetch_totals(srv_server *s, uint64_t *read, uint64_t *sent)
{
    *read = __atomic_load_n(&s->fetch_read, __ATOMIC_RELAXED);
    *sent = __atomic_load_n(&s->fetch_sent, __ATOMIC_RELAXED);
}

srv_catalog *srv_server_catalog(srv_server *s)
{
    return s->cat;
}

srv_tiering *srv_server_tiering(srv_server *s)
{
    return s->tier;
}

const srv_config *srv_server_config(srv_server *s)
{
    return &s->cfg;
}

void srv_server_stop(srv_server *s)
{
    __atomic_store_n(&s->stop_requested, 1, __ATOMIC_RELEASE);
    uint64_t one = 1;
    ssize_t w = write(s->evfd, &one, sizeof one);
    (void)w;
}

static void begin_shutdown(srv_server *s, const char *why)
{
    if (s->stopping)
        return;
    s->stopping = true;
    s->stop_deadline = strom_mono_ms() + s->cfg.shutdown_timeout_ms;
    srv_log(SRV_INFO, "shutting down", "reason=%s connections=%d", why, s->nconns);
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd, NULL);
    close(s->lfd);
    s->lfd = -1;
    wake_expired(s, 0, true);
    throttle_all(s);
}

static bool all_quiet(srv_server *s)
{
    if (s->retention_running)
        return false;
    for (srv_conn *c = s->conns; c; c = c->next)
        if (!c->dead && (c->inflight > 0 || c->out_head))
            return false;
    return true;
}

int srv_server_run(srv_server *s)
{
    srv_log(SRV_INFO, "listening", "addr=%s:%d workers=%d fsync=%s", s->cfg.host, s->port,
            s->nthreads,
            s->cfg.log.fsync == STROM_LOG_FSYNC_ALWAYS     ? "always"
            : s->cfg.log.fsync == STROM_LOG_FSYNC_INTERVAL ? "interval"
                                                           : "never");
    struct epoll_event evs[64];
    for (;;) {
        int64_t now = strom_mono_ms();
        if (__atomic_load_n(&s->stop_requested, __ATOMIC_ACQUIRE))
            begin_shutdown(s, "stop");
        if (s->stopping && (all_quiet(s) || now >= s->stop_deadline))
            break;
        int64_t wait = s->next_retention - now;
        for (srv_req *r = s->waiters; r; r = r->next)
            if (r->deadline_ms - now < wait)
                wait = r->deadline_ms - now;
        if (s->stopping && s->stop_deadline - now < wait)
            wait = s->stop_deadline - now;
        if (s->stopping && wait > 50)
            wait = 50;
        if (wait < 0 || s->parse_pending)
            wait = 0;
        int n = epoll_wait(s->epfd, evs, 64, (int)(wait > 60000 ? 60000 : wait));
        if (n < 0 && errno != EINTR) {
            srv_log(SRV_ERROR, "epoll_wait failed", "error=\"%s\"", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &s->lfd) {
                if (!s->stopping)
                    accept_all(s);
            } else if (p == &s->evfd) {
                drain_completions(s);
            } else if (p == &s->sigfd) {
                struct signalfd_siginfo si;
                while (read(s->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
                    begin_shutdown(s, si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
            } else {
                srv_conn *c = p;
                if (c->dead)
                    continue;
                if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
                    conn_kill(s, c, evs[i].events & EPOLLERR ? "socket error" : NULL);
                    continue;
                }
                if (evs[i].events & EPOLLOUT)
                    conn_flush(s, c);
                if (!c->dead && (evs[i].events & (EPOLLIN | EPOLLRDHUP)))
                    conn_read(s, c);
            }
        }
        resume_paused(s);
        sweep_dead(s);
        now = strom_mono_ms();
        wake_expired(s, now, false);
        if (now >= s->next_retention && !s->stopping) {
            s->next_retention = now + s->cfg.retention_check_ms;
            if (!s->retention_running) {
                srv_req *r = calloc(1, sizeof *r);
                if (r) {
                    r->h.api_key = API_RETENTION;
                    s->retention_running = 1;
                    submit(s, r);
                }
            }
        }
    }
    /* stop workers after the queue drains, then flush every log */
    pthread_mutex_lock(&s->qmu);
    s->q_stop = true;
    pthread_cond_broadcast(&s->qcv);
    pthread_mutex_unlock(&s->qmu);
    for (int i = 0; i < s->nthreads; i++)
        pthread_join(s->threads[i], NULL);
    s->nthreads = 0;
    drain_completions(s);
    /* what those completions handed on (a connection's next Produce, a woken Fetch) has no
     * worker left: dropped unanswered (a Produce not written is not acknowledged either) */
    for (srv_req *r = s->q_head, *next; r; r = next) {
        next = r->next;
        if (r->conn)
            r->conn->inflight--;
        req_drop(s, r);
    }
    s->q_head = s->q_tail = NULL;
    for (srv_conn *c = s->conns; c;) {
        srv_conn *next = c->next;
        conn_kill(s, c, "server shutdown");
        c = next;
    }
    sweep_dead(s);
    srv_catalog_flush(s->cat);
    uint64_t fetch_read, fetch_sent;
    srv_fetch_totals(s, &fetch_read, &fetch_sent);
    srv_log(SRV_INFO, "stopped", "fetch_read_bytes=%llu fetch_sent_bytes=%llu",
            (unsigned long long)fetch_read, (unsigned long long)fetch_sent);
    return 0;
}

void srv_server_free(srv_server *s)
{
    if (!s)
        return;
    if (s->nthreads) {
        pthread_mutex_lock(&s->qmu);
        s->q_stop = true;
        pthread_cond_broadcast(&s->qcv);
        pthread_mutex_unlock(&s->qmu);
        for (int i = 0; i < s->nthreads; i++)
            pthread_join(s->threads[i], NULL);
    }
    free(s->threads);
    srv_tiering_stop(s->tier); /* a run in progress finishes */
    srv_kv_scans_expire(true); /* they hold buckets */
    srv_catalog_close(s->cat);
    if (s->lfd >= 0)
        close(s->lfd);
    if (s->epfd >= 0)
        close(s->epfd);
    if (s->evfd >= 0)
        close(s->evfd);
    if (s->sigfd >= 0)
        close(s->sigfd);
    pthread_mutex_destroy(&s->qmu);
    pthread_cond_destroy(&s->qcv);
    pthread_mutex_destroy(&s->cmu);
    free(s);
}
