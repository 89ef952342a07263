/*
 * server.h: stromd's core: one event-loop thread and a pool of worker threads.
 *
 *   loop thread   accept, read frames, parse request headers, dispatch, write responses
 *                 (writev for memory, sendfile for segment-file ranges), long-poll waiters,
 *                 timers, signals. It never touches a disk file except through sendfile.
 *   workers       run the request handlers (handlers.c): catalog changes, appends (which
 *                 wait for fsync under group commit), reads, filtering. A finished request
 *                 goes back to the loop through a completion queue and an eventfd.
 *
 * Ordering: responses may leave in any order (they carry the correlation id), except that
 * the Produce requests of one connection are applied one after another in the order they
 * arrived, so an idempotent writer's sequence is never reordered by the server.
 *
 * Bounded memory: a connection stops being read while it has max_inflight requests in
 * flight, or while the bytes of all requests in flight and responses not yet written exceed
 * memory_limit (backpressure through TCP instead of growth); it resumes when either is no
 * longer so, frames it had read then dispatched first. A connection's input buffer holds at
 * most one frame (max_frame) beyond what it has dispatched.
 */
#ifndef STROM_SERVER_SERVER_H
#define STROM_SERVER_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "log/log.h"
#include "protocol/wire.h"
#include "server/catalog.h"
#include "server/config.h"

typedef struct srv_server srv_server;
typedef struct srv_conn srv_conn;

/* One piece of a response after its header buffer: memory or a file range. */
typedef struct srv_out {
    const uint8_t *mem;  /* NULL for a file range */
    int fd;
    uint64_t pos, len;
} srv_out;

/* Where a parked Fetch reads a bucket on from when it runs again: past the stored records
 * that matched nothing, whose stored bytes its answer still counts. */
typedef struct srv_resume {
    int64_t offset;
    uint64_t stored;
} srv_resume;

typedef struct srv_req {
    srv_conn *conn;
    strom_request_header h;
    uint8_t *frame;           /* the whole request frame, owned */
    size_t frame_len;
    const uint8_t *body;      /* the fields after the request header */
    size_t body_len;

    /* response: resp (header + fields), then outs[] */
    strom_buf resp;
    srv_out *outs;
    int nouts, capouts;
    bool no_response;         /* Produce with acks = none */
    strom_log_view *views;    /* fetch results to release after sending */
    int nviews;

    /* long-poll */
    bool park;                /* set by the fetch handler: wait for data */
    bool final;               /* the last run: answer with whatever there is */
    int64_t deadline_ms;      /* monotonic */
    uint64_t table_id;        /* Produce: the table appended to (wakes its waiters) */
    uint64_t seen_appends;    /* the loop's count of appends when it was last handed out */
    uint64_t parked_scan;     /* stored bytes its next run reads again (it last parked) */
    struct srv_resume *resume; /* a parked Fetch: per bucket, where its next run reads on
                                  (NULL: where it asks) */
    uint32_t nresume;
    bool appended;
    uint64_t appended_bytes;  /* Produce: bytes of records appended (0: unknown) */
    uint32_t wait_min_bytes;  /* a parked Fetch: the bytes it waits for */

    /* Produce: its records are checked and written in the connection's order; then the
     * handler lets the connection's next Produce go (srv_release_order) and waits for
     * durability while that one is written */
    bool ordered_done;        /* the connection's next Produce was (or is being) let go */
    void *hstate;             /* handler state, freed with the request */
    void (*hstate_free)(void *);

    /* writing progress and bookkeeping (loop thread) */
    int out_cur;              /* -1: resp, else outs[out_cur] */
    uint64_t out_off;
    size_t charged;           /* bytes counted against memory_limit */
    struct srv_req *next;
} srv_req;

/* Starts: opens the catalog (recovering every log), binds, starts workers. */
int srv_server_new(const srv_config *cfg, srv_server **out, strom_error *err);
/* Runs the loop until SIGTERM/SIGINT (or srv_server_stop), then shuts down cleanly: stops
 * accepting, answers in-flight requests, flushes logs. */
int srv_server_run(srv_server *s);
void srv_server_stop(srv_server *s);
void srv_server_free(srv_server *s);
/* The port actually bound (for port 0 in tests). */
int srv_server_port(const srv_server *s);
/* Fetch totals since the start: stored bytes read (what a full read of the same records would
 * have sent) and bytes sent; logged when the server stops. */
void srv_count_fetch(srv_server *s, uint64_t read, uint64_t sent);
void srv_fetch_totals(srv_server *s, uint64_t *read, uint64_t *sent);

/* ---- for handlers.c ---------------------------------------------------------------------- */

/* The memory one Fetch that builds its answer in memory (rows filtered, or small records
 * projected) may use: an equal share of what `memory_limit` has left for each worker, and at
 * least SRV_FETCH_MEMORY_MIN, so that reads go on, in smaller answers, when memory is short. */
#define SRV_FETCH_MEMORY_MIN (1u << 20)
uint64_t srv_fetch_memory(const srv_server *s);

srv_catalog *srv_server_catalog(srv_server *s);
struct srv_tiering *srv_server_tiering(srv_server *s);
const srv_config *srv_server_config(srv_server *s);

/* Starts the response frame (size field + response header with no error). */
int srv_resp_begin(srv_req *r);
/* Replaces whatever the response holds by an error response. */
void srv_resp_error(srv_req *r, int code, const char *msg);
/* Adds a piece after the fields; the frame size is set by srv_resp_end. */
int srv_resp_add(srv_req *r, const uint8_t *mem, int fd, uint64_t pos, uint64_t len);
/* Sets the frame size from the fields and the pieces. */
int srv_resp_end(srv_req *r);

/* Called by the Produce handler once its records are written: lets the connection's next
 * Produce start while this one waits for durability. */
void srv_release_order(srv_server *s, srv_req *r);

/* Runs the handler of r->h.api_key (worker thread). */
void srv_handle(srv_server *s, srv_req *r);
/* On the loop thread: answers r at once when it can without blocking (a small Lookup whose
 * rows are in memory); false: nothing was done, submit it to a worker. */
bool srv_handle_inline(srv_server *s, srv_req *r);

#endif /* STROM_SERVER_SERVER_H */
