/*
 * client_internal.h: what the parts of libstrom share: the connection and its request call.
 */
#ifndef STROM_CLIENT_INTERNAL_H
#define STROM_CLIENT_INTERNAL_H

#include <sys/uio.h>

#include "common/buf.h"
#include "protocol/msg.h"
#include "protocol/wire.h"
#include "strom/client.h"

/* The request of cl_call_start waiting for cl_call_finish. */
typedef struct cl_pending {
    bool active;
    uint32_t corr;
    int attempt, attempts, backoff, wait_ms;
    int64_t deadline;
    const struct iovec *extra; /* must stay valid until finished */
    int nextra;
} cl_pending;

struct strom_client {
    char addr[300];
    char host[256];
    int port;
    strom_client_opts o;
    int fd;
    uint32_t next_corr;
    strom_buf req;            /* the request being built */
    strom_buf resp;           /* the last response frame */
    strom_buf pend;           /* bytes read past it: the start of the next frames */
    bool just_sent;           /* nothing read since the last request went out */
    cl_pending call;          /* a call started and not finished */
    int16_t api_max[STROM_API_COUNT]; /* the server's newest versions, once asked (-1: not
                                         asked on this connection: send this side's newest) */
};

/* Starts a request frame for api in c->req, at cl_api_version. */
int cl_begin(strom_client *c, int api);
/* The version of api requests carry: this side's newest, or the server's when it is older
 * and cl_downgrade found it out. */
int cl_api_version(const strom_client *c, int api);
/* After the server refused version v of api as unsupported (an older server): asks it for its
 * versions (ApiVersions) and returns 1 when it knows an older version of api than v (later
 * requests on this connection use it), 0 when not (the refusal stands), or an error. */
int cl_downgrade(strom_client *c, int api, int v, strom_error *err);

/* Sends c->req followed by the `nextra` pieces (raw records) and reads the response. On
 * success *body reads the response fields. Server errors become their code with the server's
 * message. With `retry`, a failed connection is re-established and the request resent
 * (for idempotent requests). `wait_ms` is added to the request timeout (long-poll). With
 * `no_response`, returns once sent. */
int cl_call(strom_client *c, const struct iovec *extra, int nextra, bool retry, int wait_ms,
            bool no_response, strom_wire_reader *body, strom_error *err);

/* cl_call in two halves, so that a caller can do other work while the server answers (the
 * scanner fetches ahead): start sends, finish reads the answer (resending after a connection
 * failure when the call retries). Nothing else may use the connection in between. */
int cl_call_start(strom_client *c, const struct iovec *extra, int nextra, bool retry,
                  int wait_ms, strom_error *err);
int cl_call_finish(strom_client *c, strom_wire_reader *body, strom_error *err);

/* Lower-level calls for pipelining (the writer keeps several requests in flight): reconnect;
 * send a complete frame (head with the size set, then the extra pieces); read the next
 * response frame (any correlation id) into c->resp. A connection failure closes the socket
 * (STROM_EIO) so the caller can reconnect and resend. */
int cl_reconnect(strom_client *c, strom_error *err);
/* Closes the socket (answers still due are dropped with it). */
void cl_disconnect(strom_client *c);
int cl_send(strom_client *c, const uint8_t *head, size_t hlen, const struct iovec *extra,
            int nextra, strom_error *err);
int cl_recv(strom_client *c, int timeout_ms, strom_wire_reader *body, strom_response_header *h,
            strom_error *err);
/* Waits up to timeout_us for a response to begin (bytes already read count at once); true
 * when one can be read (0: without waiting). */
bool cl_wait_readable(strom_client *c, int64_t timeout_us);
/* Makes the response buffer ready for an answer of up to `bytes` (its pages faulted in): a
 * fresh buffer's first fill costs the kernel's zeroing of every page, which a caller can do
 * here while the server prepares the answer (the scanner: after its first Fetch is sent). */
void cl_prepare_recv(strom_client *c, size_t bytes);

/* The table's description by name (GetTableInfo). */
int cl_get_table(strom_client *c, const char *db, const char *table, strom_table_desc *out,
                 strom_error *err);

/* The bucket a row goes to: CRC32C over the row's bucket key values (docs/protocol.md). */
struct strom_value;
uint32_t cl_bucket_of(const struct strom_value *keys, int nkeys, uint32_t buckets);

/* For the CLI (same repository, may use the columnar types): the decoded batch of a
 * result. */
struct strom_batch;
const struct strom_batch *cl_result_batch(const strom_result *r);
/* A result over batch b (owned) whose buffers live in `own` (owned, freed with it). */
strom_result *cl_result_own(struct strom_batch *b, uint8_t *own, const strom_schema *schema,
                            const char *partition, uint32_t bucket);

/* A bucket's start offset for a scanner that starts each bucket somewhere else
 * (cl_scanner_open_at: the starts must outlive the scanner; buckets not named start as the
 * options say, and none earlier than its earliest offset). */
typedef struct cl_start {
    char partition[STROM_PARTITION_MAX + 1];
    uint32_t bucket;
    int64_t offset;
} cl_start;
int cl_scanner_open_at(const char *addr, const strom_client_opts *copts, const char *db,
                       const char *table, const strom_scan_opts *o, const cl_start *starts,
                       int nstarts, strom_scanner **out, strom_error *err);

/* Splits a query (query.c) in place: cols NULL for "*", where NULL without WHERE, *limit -1
 * without LIMIT. */
int cl_query_parse(char *q, char **cols, char **table, char **where, int64_t *limit,
                   strom_error *err);

/* ---- the lake half of a union read (lake_read.c) ---- */
struct strom_pred;
typedef struct cl_lake cl_lake;
/* The newest lake snapshot of table t (its lake_dir; no lake table: nothing to read). The
 * arguments must outlive the reader. */
int cl_lake_open(const strom_table_desc *t, const struct strom_pred *pred, const int *cols,
                 int ncols, const strom_schema *out_schema, cl_lake **out, strom_error *err);
/* The offset the lake holds a bucket's rows up to (0: none). */
int64_t cl_lake_offset(const cl_lake *l, const char *partition, uint32_t bucket);
/* 1 and *out: the next batch of lake rows; 0 when the lake part is done. part_ok may rule out
 * partitions. */
int cl_lake_next(cl_lake *l, bool (*part_ok)(void *, const char *), void *ctx,
                 strom_result **out, strom_error *err);
/* Primary-key tables: every row of every file (partitions part_ok rules out skipped) folded
 * by key into f (by _SEQUENCE_NUMBER and _VALUE_KIND). */
struct strom_pkfold;
int cl_lake_fold(cl_lake *l, bool (*part_ok)(void *, const char *), void *ctx,
                 struct strom_pkfold *f, strom_error *err);
/* Bytes of the column chunks read, and of all chunks of the row groups looked at. */
void cl_lake_bytes(const cl_lake *l, uint64_t *read, uint64_t *total);
void cl_lake_close(cl_lake *l);

#endif /* STROM_CLIENT_INTERNAL_H */
