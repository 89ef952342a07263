/*
 * test_server.c: stromd in-process on loopback, driven through raw frames (the protocol's
 * error handling) and through libstrom (writer, scanner, Arrow export, long-poll,
 * idempotence, concurrent writers).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "columnar/batch.h"
#include "common/common.h"
#include "common/fs.h"
#include "log/record.h"
#include "protocol/msg.h"
#include "server/server.h"
#include "server/slog.h"
#include "strom/client.h"
#include "inproc_server.h"
#include "test.h"

static void tune(srv_config *cfg)
{
    cfg->max_inflight = 4;          /* the pipelining tests run into it: backpressure, no loss */
    cfg->memory_limit = 1u << 20;   /* ... and the writers into the memory limit */
    cfg->fetch_scan_bytes = 64u << 10; /* filtered Fetches stop short of the end */
}

/* Starts the server: on a new data directory and a free port, or (restart) on the same ones. */
static void start_at(bool restart, int port)
{
    start_server("server", restart, port, tune);
}

static void start(void)
{
    start_at(false, 0);
}

/* ---- raw frames -------------------------------------------------------------------------- */

static int raw_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv_server_port(server))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    return fd;
}

static void raw_send(int fd, const void *p, size_t n)
{
    CHECK(write(fd, p, n) == (ssize_t)n);
}

/* Reads one response frame into b; false when the server closed the connection. */
static bool raw_recv(int fd, strom_buf *b)
{
    strom_buf_reset(b);
    uint8_t h[4];
    size_t got = 0;
    while (got < 4) {
        ssize_t r = read(fd, h + got, 4 - got);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    uint32_t size = strom_ld32(h);
    strom_buf_append(b, h, 4);
    strom_buf_reserve(b, size);
    while (b->len < 4 + (size_t)size) {
        ssize_t r = read(fd, b->data + b->len, 4 + size - b->len);
        if (r <= 0)
            return false;
        b->len += (size_t)r;
    }
    return true;
}

static void request(strom_buf *b, int api, uint32_t corr)
{
    strom_buf_reset(b);
    strom_request_header h = {(uint16_t)api, 0, corr, 0};
    strom_frame_begin(b);
    strom_wire_put_request_header(b, &h);
}

static void end(strom_buf *b)
{
    strom_frame_end(b, 0, NULL);
}

/* The error code and message of a response. */
static int resp_error(const strom_buf *b, uint32_t *corr, char *msg, size_t cap)
{
    strom_wire_reader r;
    strom_wire_reader_init(&r, b->data + 4, b->len - 4);
    strom_response_header h;
    strom_response_header_read(&r, &h);
    *corr = h.correlation_id;
    msg[0] = 0;
    if (h.error_code) {
        uint16_t len;
        const char *s = strom_wire_str(&r, &len, "message");
        snprintf(msg, cap, "%.*s", s ? (int)len : 0, s ? s : "");
    }
    return -(int)h.error_code;
}

TEST(pipelined_requests_on_one_connection)
{
    int fd = raw_connect();
    strom_buf all = STROM_BUF_INIT, one = STROM_BUF_INIT;
    for (uint32_t i = 0; i < 32; i++) { /* 8 times max_inflight */
        request(&one, STROM_API_API_VERSIONS, 1000 + i);
        end(&one);
        strom_buf_append(&all, one.data, one.len);
    }
    raw_send(fd, all.data, all.len);
    uint32_t seen = 0;
    for (int i = 0; i < 32; i++) {
        uint32_t corr;
        char msg[256];
        CHECK(raw_recv(fd, &one));
        CHECK_EQ(resp_error(&one, &corr, msg, sizeof msg), 0);
        CHECK(corr >= 1000 && corr < 1032);
        seen |= 1u << (corr - 1000);
    }
    CHECK_EQ(seen, 0xFFFFFFFFu);
    close(fd);
    strom_buf_free(&all);
    strom_buf_free(&one);
}

TEST(bad_frames_get_errors_and_the_server_keeps_serving)
{
    strom_buf b = STROM_BUF_INIT;
    uint32_t corr;
    char msg[256];
    /* an unknown api key: an error response, the connection stays usable */
    int fd = raw_connect();
    request(&b, 999, 7);
    end(&b);
    raw_send(fd, b.data, b.len);
    CHECK(raw_recv(fd, &b));
    CHECK_EQ(resp_error(&b, &corr, msg, sizeof msg), STROM_EUNSUPPORTED);
    CHECK_EQ(corr, 7);
    CHECK(strstr(msg, "unknown api key 999") != NULL);
    /* a string that runs past the frame: the error names the field */
    request(&b, STROM_API_CREATE_DATABASE, 8);
    strom_wire_put_u16(&b, 500);
    strom_buf_append(&b, "abc", 3);
    end(&b);
    raw_send(fd, b.data, b.len);
    CHECK(raw_recv(fd, &b));
    CHECK_EQ(resp_error(&b, &corr, msg, sizeof msg), STROM_EPARSE);
    CHECK(strstr(msg, "'database'") != NULL);
    /* bytes left over after the last field */
    request(&b, STROM_API_LIST_DATABASES, 9);
    strom_wire_put_u32(&b, 1);
    end(&b);
    raw_send(fd, b.data, b.len);
    CHECK(raw_recv(fd, &b));
    CHECK_EQ(resp_error(&b, &corr, msg, sizeof msg), STROM_EPARSE);
    /* a version from the future */
    request(&b, STROM_API_API_VERSIONS, 10);
    b.data[6] = 9;
    end(&b);
    raw_send(fd, b.data, b.len);
    CHECK(raw_recv(fd, &b));
    CHECK_EQ(resp_error(&b, &corr, msg, sizeof msg), STROM_EUNSUPPORTED);
    /* still serving on the same connection */
    request(&b, STROM_API_API_VERSIONS, 11);
    end(&b);
    raw_send(fd, b.data, b.len);
    CHECK(raw_recv(fd, &b));
    CHECK_EQ(resp_error(&b, &corr, msg, sizeof msg), 0);
    /* frames that cannot be framed close only their own connection */
    static const uint8_t zero[4] = {0, 0, 0, 0}, huge[4] = {0xFF, 0xFF, 0xFF, 0x7F},
                         short_hdr[7] = {3, 0, 0, 0, 0, 0, 0};
    const uint8_t *bad[3] = {zero, huge, short_hdr};
    size_t badn[3] = {4, 4, 7};
    for (int i = 0; i < 3; i++) {
        int f2 = raw_connect();
        raw_send(f2, bad[i], badn[i]);
        CHECK(!raw_recv(f2, &b));
        close(f2);
    }
    request(&b, STROM_API_API_VERSIONS, 12);
    end(&b);
    raw_send(fd, b.data, b.len);
    CHECK(raw_recv(fd, &b));
    CHECK_EQ(resp_error(&b, &corr, msg, sizeof msg), 0);
    CHECK_EQ(corr, 12);
    close(fd);
    strom_buf_free(&b);
}

/* ---- produce checks and idempotence ---------------------------------------------------- */

static strom_schema *kv_schema(void)
{
    strom_schema *s = strom_schema_new(1);
    strom_schema_add(s, "k", strom_type_of(STROM_TYPE_STRING), false, NULL);
    strom_schema_add(s, "v", strom_type_of(STROM_TYPE_BIGINT), true, NULL);
    return s;
}

/* A record of rows v = first..first+n-1, k = "k<v>" (or all `key` when given). */
static void kv_record(strom_buf *out, const strom_schema *s, int64_t first, int n, int64_t wid,
                      int32_t seq, const char *key)
{
    strom_batch_builder *bb = strom_bb_new(s);
    strom_buf msg = STROM_BUF_INIT;
    strom_batch_stats st;
    strom_error err;
    for (int i = 0; i < n; i++) {
        char k[32];
        int len = snprintf(k, sizeof k, "k%lld", (long long)(first + i));
        strom_bb_append_bytes(bb, 0, key ? key : k, key ? strlen(key) : (size_t)len);
        strom_bb_append_int(bb, 1, first + i);
    }
    CHECK_OK(strom_bb_seal(bb, NULL, &msg, &st, &err), &err);
    strom_record_info info = {0, n - 1, 0, strom_now_ms(), 0, 1, wid, seq, n};
    strom_buf_reset(out);
    CHECK_OK(strom_record_write(out, &info, &st, NULL, msg.data, msg.len, &err), &err);
    strom_batch_stats_free(&st);
    strom_buf_free(&msg);
    strom_bb_free(bb);
}

/* Sends one Produce entry on a raw connection; returns the entry's error and base offset. */
static int raw_produce(int fd, uint64_t table_id, const char *part, const strom_buf *rec,
                       int64_t *base, char *msg, size_t cap)
{
    strom_buf b = STROM_BUF_INIT;
    request(&b, STROM_API_PRODUCE, 77);
    strom_msg_produce_entry e = {{part, (uint16_t)strlen(part)}, 0, (uint32_t)rec->len, NULL};
    strom_msg_produce m = {table_id, STROM_ACKS_DURABLE, 1000, 1, &e};
    strom_msg_produce_encode(&b, &m);
    strom_buf_append(&b, rec->data, rec->len);
    end(&b);
    raw_send(fd, b.data, b.len);
    int rc = -1000;
    uint32_t corr;
    if (raw_recv(fd, &b) && resp_error(&b, &corr, msg, cap) == 0) {
        strom_wire_reader r;
        strom_wire_reader_init(&r, b.data + 4 + STROM_RESPONSE_HEADER,
                               b.len - 4 - STROM_RESPONSE_HEADER);
        strom_msg_results res;
        strom_error err;
        CHECK_OK(strom_msg_results_decode(&r, &res, &err), &err);
        if (res.n == 1) {
            rc = res.v[0].error;
            *base = res.v[0].offset;
            snprintf(msg, cap, "%.*s", (int)res.v[0].message.len, res.v[0].message.p);
        }
        strom_msg_results_free(&res);
    }
    strom_buf_free(&b);
    return rc;
}

TEST(produce_checks_records_and_dedups_retries)
{
    strom_error err;
    strom_client *c;
    CHECK_OK(strom_client_connect(addr, NULL, &c, &err), &err);
    CHECK_OK(strom_create_database(c, "t", false, &err), &err);
    strom_table_desc d;
    strom_table_desc_init(&d);
    snprintf(d.database, sizeof d.database, "t");
    snprintf(d.table, sizeof d.table, "kv");
    d.schema = kv_schema();
    CHECK_OK(strom_create_table(c, &d, false, &err), &err);
    CHECK(d.table_id > 0);
    int fd = raw_connect();
    strom_buf rec = STROM_BUF_INIT;
    int64_t base = -1;
    char msg[300];

    /* a retried batch (same writer id and sequence) is acknowledged once */
    strom_wire_reader rd;
    CHECK_OK(cl_begin(c, STROM_API_INIT_WRITER), &err);
    CHECK_OK(cl_call(c, NULL, 0, false, 0, false, &rd, &err), &err);
    int64_t wid = (int64_t)strom_wire_u64(&rd, "writer id");
    kv_record(&rec, d.schema, 0, 10, wid, 0, NULL);
    CHECK_EQ(raw_produce(fd, d.table_id, "", &rec, &base, msg, sizeof msg), 0);
    CHECK_EQ(base, 0);
    kv_record(&rec, d.schema, 0, 10, wid, 0, NULL);
    CHECK_EQ(raw_produce(fd, d.table_id, "", &rec, &base, msg, sizeof msg), 0);
    CHECK_EQ(base, 0);
    int64_t end_off = -1;
    CHECK_OK(strom_list_offset(c, &d, "", 0, STROM_OFFSET_SPEC_LATEST, &end_off, &err), &err);
    CHECK_EQ(end_off, 10);
    /* a gap in the sequence is refused */
    kv_record(&rec, d.schema, 10, 5, wid, 2, NULL);
    CHECK_EQ(raw_produce(fd, d.table_id, "", &rec, &base, msg, sizeof msg) < 0, 1);

    /* a flipped byte: the CRC catches it, nothing is appended */
    kv_record(&rec, d.schema, 10, 5, -1, -1, NULL);
    rec.data[rec.len - 9] ^= 0x40;
    CHECK_EQ(raw_produce(fd, d.table_id, "", &rec, &base, msg, sizeof msg), STROM_ECHECKSUM);
    /* statistics that lie (a max below the real one) are refused: readers would skip rows */
    kv_record(&rec, d.schema, 10, 5, -1, -1, NULL);
    {
        strom_record r;
        CHECK_OK(strom_record_parse(rec.data, rec.len, &r, &err), &err);
        strom_batch_stats st;
        CHECK_OK(strom_record_stats(&r, &st, &err), &err);
        st.cols[1].max.u.i = 11; /* the real max is 14 */
        strom_buf arrow = STROM_BUF_INIT;
        strom_buf_append(&arrow, r.arrow, r.arrow_len);
        strom_record_info info = r.info;
        strom_buf_reset(&rec);
        CHECK_OK(strom_record_write(&rec, &info, &st, NULL, arrow.data, arrow.len, &err), &err);
        strom_batch_stats_free(&st);
        strom_buf_free(&arrow);
    }
    CHECK_EQ(raw_produce(fd, d.table_id, "", &rec, &base, msg, sizeof msg), STROM_ECORRUPT);
    CHECK(strstr(msg, "statistics max") != NULL);
    /* a batch of another schema (one INT column) declared as the table's schema 1 */
    {
        strom_schema *other = strom_schema_new(1);
        strom_schema_add(other, "n", strom_type_of(STROM_TYPE_INT), false, NULL);
        strom_batch_builder *bb = strom_bb_new(other);
        strom_buf m2 = STROM_BUF_INIT;
        strom_batch_stats st;
        for (int i = 0; i < 4; i++)
            strom_bb_append_int(bb, 0, i);
        CHECK_OK(strom_bb_seal(bb, NULL, &m2, &st, &err), &err);
        strom_record_info info = {0, 3, 0, strom_now_ms(), 0, 1, -1, -1, 4};
        strom_buf_reset(&rec);
        CHECK_OK(strom_record_write(&rec, &info, &st, NULL, m2.data, m2.len, &err), &err);
        strom_batch_stats_free(&st);
        strom_buf_free(&m2);
        strom_bb_free(bb);
        strom_schema_free(other);
    }
    CHECK(raw_produce(fd, d.table_id, "", &rec, &base, msg, sizeof msg) < 0);
    /* a schema id the table does not have (the record is otherwise sound, CRC included) */
    {
        strom_record r;
        strom_buf arrow = STROM_BUF_INIT;
        strom_batch_stats st;
        kv_record(&rec, d.schema, 10, 5, -1, -1, NULL);
        CHECK_OK(strom_record_parse(rec.data, rec.len, &r, &err), &err);
        CHECK_OK(strom_record_stats(&r, &st, &err), &err);
        strom_buf_append(&arrow, r.arrow, r.arrow_len);
        strom_record_info info = r.info;
        info.schema_id = 9;
        strom_buf_reset(&rec);
        CHECK_OK(strom_record_write(&rec, &info, &st, NULL, arrow.data, arrow.len, &err), &err);
        strom_batch_stats_free(&st);
        strom_buf_free(&arrow);
    }
    CHECK_EQ(raw_produce(fd, d.table_id, "", &rec, &base, msg, sizeof msg), STROM_EINVAL);
    CHECK(strstr(msg, "schema id 9") != NULL);
    /* a record without statistics: could be stored but never projected, so it is refused */
    {
        strom_record r;
        strom_buf arrow = STROM_BUF_INIT;
        kv_record(&rec, d.schema, 10, 5, -1, -1, NULL);
        CHECK_OK(strom_record_parse(rec.data, rec.len, &r, &err), &err);
        strom_buf_append(&arrow, r.arrow, r.arrow_len);
        strom_record_info info = r.info;
        strom_buf_reset(&rec);
        CHECK_OK(strom_record_write(&rec, &info, NULL, NULL, arrow.data, arrow.len, &err), &err);
        strom_buf_free(&arrow);
    }
    CHECK_EQ(raw_produce(fd, d.table_id, "", &rec, &base, msg, sizeof msg), STROM_ECORRUPT);
    /* bytes that are not a record */
    strom_buf_reset(&rec);
    strom_buf_zeros(&rec, 100);
    CHECK(raw_produce(fd, d.table_id, "", &rec, &base, msg, sizeof msg) < 0);
    /* a partition named on an unpartitioned table */
    kv_record(&rec, d.schema, 10, 5, -1, -1, NULL);
    CHECK_EQ(raw_produce(fd, d.table_id, "p1", &rec, &base, msg, sizeof msg), STROM_EINVAL);
    CHECK_OK(strom_list_offset(c, &d, "", 0, STROM_OFFSET_SPEC_LATEST, &end_off, &err), &err);
    CHECK_EQ(end_off, 10);

    /* partitioned: the rows must belong to the partition they are sent to */
    strom_table_desc p;
    strom_table_desc_init(&p);
    snprintf(p.database, sizeof p.database, "t");
    snprintf(p.table, sizeof p.table, "byk");
    p.schema = kv_schema();
    p.partition_col = 0;
    CHECK_OK(strom_create_table(c, &p, false, &err), &err);
    kv_record(&rec, p.schema, 0, 3, -1, -1, "east");
    CHECK_EQ(raw_produce(fd, p.table_id, "west", &rec, &base, msg, sizeof msg), STROM_EINVAL);
    CHECK(strstr(msg, "'east' were sent to partition 'west'") != NULL);
    CHECK_EQ(raw_produce(fd, p.table_id, "east", &rec, &base, msg, sizeof msg), 0);
    strom_table_desc pd;
    CHECK_OK(strom_get_table(c, "t", "byk", &pd, &err), &err);
    CHECK_EQ(pd.npartitions, 1);
    if (pd.npartitions == 1)
        CHECK_STR(pd.partitions[0], "east");
    strom_table_desc_free(&pd);

    /* Fetch version 0 (unpadded) and 1 (records 8-aligned in the frame) read the same
     * records: partition "east" (4 bytes) leaves the fields unaligned */
    strom_buf fetched[2] = {STROM_BUF_INIT, STROM_BUF_INIT};
    for (int ver = 0; ver < 2; ver++) {
        strom_buf rq = STROM_BUF_INIT;
        strom_frame_begin(&rq);
        strom_request_header rh = {STROM_API_FETCH, (uint16_t)ver, 900u + (uint32_t)ver, 0};
        strom_wire_put_request_header(&rq, &rh);
        strom_msg_fetch_bucket fb = {{"east", 4}, 0, 0, 1 << 20};
        strom_msg_fetch fm = {p.table_id, 0, 0, 1 << 20, 0, NULL, {"", 0}, 1, &fb};
        CHECK_EQ(strom_msg_fetch_encode(&rq, &fm), 0);
        end(&rq);
        raw_send(fd, rq.data, rq.len);
        strom_buf resp = STROM_BUF_INIT;
        CHECK(raw_recv(fd, &resp));
        strom_wire_reader frd;
        strom_response_header h;
        strom_wire_reader_init(&frd, resp.data + 4, resp.len - 4);
        CHECK_EQ(strom_response_header_read(&frd, &h), 0);
        CHECK_EQ(h.correlation_id, 900u + (uint32_t)ver);
        strom_msg_fetch_resp fr;
        CHECK_OK(strom_msg_fetch_resp_decode(&frd, ver, &fr, &err), &err);
        CHECK(fr.n == 1 && fr.v[0].error == 0 && fr.v[0].size > 0);
        if (fr.n == 1) {
            if (ver == 1)
                CHECK_EQ((fr.v[0].records - resp.data) % 8, 0);
            strom_buf_append(&fetched[ver], fr.v[0].records, fr.v[0].size);
        }
        strom_msg_fetch_resp_free(&fr);
        strom_buf_free(&resp);
        strom_buf_free(&rq);
    }
    CHECK(fetched[0].len == fetched[1].len && fetched[0].len > 0 &&
          memcmp(fetched[0].data, fetched[1].data, fetched[0].len) == 0);
    strom_buf_free(&fetched[0]);
    strom_buf_free(&fetched[1]);
    strom_table_desc_free(&p);

    close(fd);
    strom_buf_free(&rec);
    strom_table_desc_free(&d);
    strom_client_close(c);
}

/* ---- libstrom end to end ------------------------------------------------------------------ */

static void make_table(const char *name, uint32_t buckets)
{
    strom_table_desc d = test_desc(name);
    strom_schema_free(d.schema);
    d.schema = kv_schema();
    strom_schema_add(d.schema, "x", strom_type_of(STROM_TYPE_DOUBLE), true, NULL);
    d.buckets = buckets;
    d.nbucket_key = 1;
    d.bucket_key = malloc(sizeof(int));
    d.bucket_key[0] = 0;
    test_create(&d);
}

static void write_rows(const char *table, int64_t first, int64_t n)
{
    strom_error err;
    strom_writer *w;
    strom_writer_opts o;
    strom_writer_opts_default(&o);
    o.batch_bytes = 64 << 10;
    o.compression = first % 2 ? STROM_COMPRESSION_ZSTD : STROM_COMPRESSION_NONE;
    CHECK_OK(strom_writer_open(addr, NULL, "t", table, &o, &w, &err), &err);
    for (int64_t i = first; i < first + n; i++) {
        char k[32];
        int len = snprintf(k, sizeof k, "key-%lld", (long long)(i % 97));
        CHECK_OK(strom_writer_set_bytes(w, 0, k, (size_t)len, &err), &err);
        CHECK_OK(strom_writer_set_int(w, 1, i, &err), &err);
        if (i % 3)
            CHECK_OK(strom_writer_set_double(w, 2, (double)i / 2, &err), &err);
        CHECK_OK(strom_writer_end_row(w, &err), &err);
    }
    /* type errors are reported at once and drop nothing else */
    CHECK_EQ(strom_writer_set_int(w, 0, 5, &err), STROM_ETYPE);
    CHECK_EQ(strom_writer_end_row(w, &err), STROM_EINVAL); /* k is NOT NULL */
    CHECK_OK(strom_writer_close(w, &err), &err);
}

/* A scanner of t.<table> at `at` reading to the end in Fetches of max_bytes, of the columns
 * given (ncols 0: all) and the rows `where` selects (NULL: all). */
static strom_scanner *scan_where(const char *at, const char *table, uint32_t max_bytes,
                                 const char *const *cols, int ncols, const char *where)
{
    strom_error err;
    strom_scanner *s = NULL;
    strom_scan_opts so;
    strom_scan_opts_default(&so);
    so.max_bytes = max_bytes;
    so.columns = ncols ? cols : NULL;
    so.ncolumns = ncols;
    so.where = where;
    CHECK_OK(strom_scanner_open(at, NULL, "t", table, &so, &s, &err), &err);
    return s;
}

static strom_scanner *scan_open(const char *at, const char *table, uint32_t max_bytes,
                                const char *const *cols, int ncols)
{
    return scan_where(at, table, max_bytes, cols, ncols, NULL);
}

/* Reads s until it stops: the rows returned in *rows; the last call's result (0: the end). */
static int scan_rows(strom_scanner *s, int64_t *rows, strom_error *err)
{
    strom_result *r;
    int k;
    *rows = 0;
    while ((k = strom_scanner_next(s, &r, err)) == 1) {
        *rows += strom_result_rows(r);
        strom_result_free(r);
    }
    return k;
}

TEST(writer_and_scanner)
{
    make_table("events", 4);
    write_rows("events", 0, 20000);
    strom_error err;
    strom_scanner *s;
    strom_scan_opts o;
    strom_scan_opts_default(&o);
    const char *cols[] = {"v", "x"};
    o.columns = cols;
    o.ncolumns = 2;
    o.where = "v >= 15000 AND x IS NOT NULL";
    CHECK_OK(strom_scanner_open(addr, NULL, "t", "events", &o, &s, &err), &err);
    int64_t rows = 0, sum = 0;
    strom_result *r;
    int k;
    bool exported = false;
    while ((k = strom_scanner_next(s, &r, &err)) == 1) {
        for (int64_t i = 0; i < strom_result_rows(r); i++) {
            int64_t v = strom_result_int(r, i, 0);
            CHECK(v >= 15000 && v % 3 != 0);
            CHECK(strom_result_double(r, i, 1) == (double)v / 2);
            sum += v;
        }
        rows += strom_result_rows(r);
        if (!exported) {
            struct ArrowArray a;
            struct ArrowSchema sc;
            int64_t n = strom_result_rows(r);
            CHECK_OK(strom_result_export(r, &a, &sc, &err), &err);
            CHECK_STR(sc.format, "+s");
            CHECK_EQ(sc.n_children, 2);
            CHECK_STR(sc.children[0]->format, "l");
            CHECK_STR(sc.children[1]->format, "g");
            CHECK_EQ(a.length, n);
            CHECK_EQ(a.children[0]->length, n);
            sc.release(&sc);
            a.release(&a);
            exported = true;
        } else {
            strom_result_free(r);
        }
    }
    CHECK_EQ(k, 0);
    int64_t want = 0, wrows = 0;
    for (int64_t v = 15000; v < 20000; v++)
        if (v % 3) {
            want += v;
            wrows++;
        }
    CHECK_EQ(rows, wrows);
    CHECK_EQ(sum, want);
    uint64_t got, full;
    strom_scanner_bytes(s, &got, &full);
    CHECK(got < full / 2);
    strom_scanner_close(s);
}

/* Writes 100 rows to t.streamed after 300 ms (a following stream waits for them). */
static void *stream_writer(void *p)
{
    (void)p;
    usleep(300000);
    write_rows("streamed", 30000, 100);
    return NULL;
}

/* The scanner as an Arrow C stream: the schema once, then every batch, then a released array;
 * the stream's release closes the scanner. */
TEST(scanner_as_arrow_stream)
{
    make_table("streamed", 2);
    write_rows("streamed", 0, 30000);
    strom_error err;
    const char *cols[] = {"x", "v"};
    /* 64 KiB Fetches: several batches per bucket */
    strom_scanner *s = scan_where(addr, "streamed", 64 << 10, cols, 2, "v < 25000");
    struct ArrowArrayStream st;
    CHECK_OK(strom_scanner_export_stream(s, &st, &err), &err);
    struct ArrowSchema sc;
    CHECK_EQ(st.get_schema(&st, &sc), 0);
    CHECK_STR(sc.format, "+s");
    CHECK_EQ(sc.n_children, 2);
    CHECK_STR(sc.children[0]->name, "x");
    CHECK_STR(sc.children[0]->format, "g");
    CHECK_STR(sc.children[1]->name, "v");
    CHECK_STR(sc.children[1]->format, "l");
    sc.release(&sc);
    int64_t rows = 0, sum = 0, batches = 0;
    for (;;) {
        struct ArrowArray a;
        CHECK_EQ(st.get_next(&st, &a), 0);
        if (!a.release)
            break;
        batches++;
        CHECK_EQ(a.n_children, 2);
        const int64_t *v = a.children[1]->buffers[1];
        for (int64_t i = 0; i < a.length; i++) {
            CHECK(v[a.children[1]->offset + i] < 25000);
            sum += v[a.children[1]->offset + i];
        }
        rows += a.length;
        a.release(&a);
    }
    CHECK_EQ(rows, 25000);
    CHECK_EQ(sum, (int64_t)25000 * 24999 / 2);
    CHECK(batches > 2);
    CHECK(st.get_last_error(&st) == NULL);
    struct ArrowArray end;
    CHECK_EQ(st.get_next(&st, &end), 0); /* and again: still the end */
    CHECK(end.release == NULL);
    st.release(&st);
    CHECK(st.release == NULL);
    /* following, from the latest offset: get_next waits through empty long polls (50 ms)
     * until rows written meanwhile arrive */
    strom_scan_opts fo;
    strom_scan_opts_default(&fo);
    fo.follow = true;
    fo.start = STROM_START_LATEST;
    fo.max_wait_ms = 50;
    CHECK_OK(strom_scanner_open(addr, NULL, "t", "streamed", &fo, &s, &err), &err);
    CHECK_OK(strom_scanner_export_stream(s, &st, &err), &err);
    pthread_t th;
    pthread_create(&th, NULL, stream_writer, NULL);
    int64_t t0 = strom_mono_ms(), got = 0;
    while (got < 100 && strom_mono_ms() - t0 < 10000) {
        struct ArrowArray a;
        CHECK_EQ(st.get_next(&st, &a), 0);
        CHECK(a.release != NULL); /* never the end while following */
        if (!a.release)
            break;
        const int64_t *v = a.children[1]->buffers[1];
        for (int64_t i = 0; i < a.length; i++)
            CHECK(v[a.children[1]->offset + i] >= 30000);
        got += a.length;
        a.release(&a);
    }
    CHECK_EQ(got, 100);
    CHECK(strom_mono_ms() - t0 >= 200); /* it waited for them */
    pthread_join(th, NULL);
    st.release(&st);
}

typedef struct fetch_arg {
    int64_t rows;
    int64_t waited_ms;
} fetch_arg;

/* Opens a scanner following t.<table> (from `start`, the rows matching `where`, NULL: all, in
 * Fetches of max_bytes, 0: the default) and returns its first batch (NULL: it failed); the
 * scanner stays open in *s. */
static strom_result *follow_first(const char *table, strom_start start, const char *where,
                                  uint32_t max_bytes, strom_scanner **s)
{
    strom_error err;
    strom_scan_opts o;
    strom_scan_opts_default(&o);
    o.start = start;
    o.follow = true;
    o.max_wait_ms = 5000;
    o.where = where;
    if (max_bytes)
        o.max_bytes = max_bytes;
    CHECK_OK(strom_scanner_open(addr, NULL, "t", table, &o, s, &err), &err);
    strom_result *r = NULL;
    int k;
    while ((k = strom_scanner_next(*s, &r, &err)) == 2)
        ;
    CHECK_EQ(k, 1);
    return k == 1 ? r : NULL;
}

static void *follow_one(void *p)
{
    fetch_arg *a = p;
    strom_scanner *s;
    int64_t t0 = strom_mono_ms();
    strom_result *r = follow_first("live", STROM_START_LATEST, NULL, 0, &s);
    if (r) {
        a->rows = strom_result_rows(r);
        strom_result_free(r);
    }
    a->waited_ms = strom_mono_ms() - t0;
    strom_scanner_close(s);
    return NULL;
}

/* max_in_flight: with linger 0 and one request in flight, rows written meanwhile wait in
 * the open batch and go out together (adaptive batching); nothing is lost or reordered. A
 * scan in small Fetches (sent ahead of the caller) returns every row once, in order. */
TEST(writer_batches_while_requests_are_in_flight)
{
    make_table("inflight", 1);
    strom_error err;
    strom_writer *w;
    strom_writer_opts o;
    strom_writer_opts_default(&o);
    o.max_in_flight = 0;
    CHECK_EQ(strom_writer_open(addr, NULL, "t", "inflight", &o, &w, &err), STROM_EINVAL);
    CHECK(strstr(err.msg, "max_in_flight") != NULL);
    o.max_in_flight = 1;
    o.linger_ms = 0;
    CHECK_OK(strom_writer_open(addr, NULL, "t", "inflight", &o, &w, &err), &err);
    const int64_t n = 5000;
    for (int64_t i = 0; i < n; i++) {
        CHECK_OK(strom_writer_set_bytes(w, 0, "k", 1, &err), &err);
        CHECK_OK(strom_writer_set_int(w, 1, i, &err), &err);
        CHECK_OK(strom_writer_end_row(w, &err), &err);
    }
    CHECK_OK(strom_writer_flush(w, &err), &err);
    CHECK_EQ(strom_writer_rows_acked(w), n);
    CHECK_EQ(strom_writer_rows_pending(w), 0);
    CHECK_OK(strom_writer_close(w, &err), &err);
    const char *cols[] = {"v"};
    strom_scanner *s = scan_open(addr, "inflight", 4096, cols, 1); /* many Fetches */
    strom_result *r;
    int k;
    int64_t next = 0, records = 0, bad = 0;
    while ((k = strom_scanner_next(s, &r, &err)) == 1) {
        for (int64_t i = 0; i < strom_result_rows(r); i++)
            bad += strom_result_int(r, i, 0) != next++;
        records++;
        strom_result_free(r);
    }
    CHECK_EQ(k, 0);
    CHECK_EQ(bad, 0);
    CHECK_EQ(next, n);
    /* far fewer batches than rows: rows joined the batch while one was in flight */
    CHECK(records > 1 && records < n / 4);
    strom_scanner_close(s);
}

static int64_t ms_since(int64_t t0) { return strom_mono_ms() - t0; }

/* strom_writer_wait settles answers as they come and sends what they let go; a row that
 * sets a column twice and leaves a nullable one unset is still checked column by column */
TEST(writer_wait_and_rows_of_fixed_width_columns)
{
    strom_table_desc d = test_desc("waits");
    strom_schema_add(d.schema, "v", strom_type_of(STROM_TYPE_BIGINT), false, NULL);
    strom_schema_add(d.schema, "y", strom_type_of(STROM_TYPE_BIGINT), false, NULL);
    strom_schema_add(d.schema, "x", strom_type_of(STROM_TYPE_DOUBLE), true, NULL);
    test_create(&d);
    strom_error err;
    strom_writer *w;
    strom_writer_opts o;
    strom_writer_opts_default(&o);
    o.max_in_flight = 1;
    o.linger_ms = 0;
    CHECK_OK(strom_writer_open(addr, NULL, "t", "waits", &o, &w, &err), &err);
    for (int64_t i = 0; i < 10; i++) { /* the first goes out, the others wait for its slot */
        CHECK_OK(strom_writer_set_int(w, 0, i, &err), &err);
        CHECK_OK(strom_writer_set_int(w, 1, i * 2, &err), &err);
        if (i % 2 == 0)
            CHECK_OK(strom_writer_set_double(w, 2, (double)i, &err), &err);
        else /* v set twice, x left unset: x must be null, not the last row's value */
            CHECK_OK(strom_writer_set_int(w, 0, i, &err), &err);
        CHECK_OK(strom_writer_end_row(w, &err), &err);
    }
    int64_t t0 = strom_mono_ms();
    CHECK_OK(strom_writer_wait(w, 5000000, &err), &err);
    CHECK(ms_since(t0) < 4000); /* returned when all was settled, not at the deadline */
    CHECK_EQ(strom_writer_rows_acked(w), 10);
    CHECK_EQ(strom_writer_rows_pending(w), 0);
    CHECK_OK(strom_writer_close(w, &err), &err);
    /* a linger time: wait sends the batch when it is due, and not before */
    o.linger_ms = 300;
    o.max_in_flight = 8;
    CHECK_OK(strom_writer_open(addr, NULL, "t", "waits", &o, &w, &err), &err);
    CHECK_OK(strom_writer_set_int(w, 0, 10, &err), &err);
    CHECK_OK(strom_writer_set_int(w, 1, 20, &err), &err);
    CHECK_OK(strom_writer_end_row(w, &err), &err);
    t0 = strom_mono_ms();
    CHECK_OK(strom_writer_wait(w, 20000, &err), &err);
    CHECK(ms_since(t0) >= 19);
    CHECK_EQ(strom_writer_rows_pending(w), 1);
    CHECK_OK(strom_writer_wait(w, 5000000, &err), &err);
    CHECK(ms_since(t0) >= 290 && ms_since(t0) < 4000);
    CHECK_EQ(strom_writer_rows_acked(w), 1);
    CHECK_OK(strom_writer_close(w, &err), &err);
    strom_scanner *sc;
    strom_scan_opts so;
    strom_scan_opts_default(&so);
    CHECK_OK(strom_scanner_open(addr, NULL, "t", "waits", &so, &sc, &err), &err);
    strom_result *r;
    int64_t n = 0, bad = 0;
    while (strom_scanner_next(sc, &r, &err) == 1) {
        for (int64_t i = 0; i < strom_result_rows(r); i++, n++) {
            bad += strom_result_int(r, i, 0) != n || strom_result_int(r, i, 1) != 2 * n;
            if (n < 10)
                bad += n % 2 ? !strom_result_is_null(r, i, 2)
                             : strom_result_is_null(r, i, 2) ||
                                   strom_result_double(r, i, 2) != (double)n;
        }
        strom_result_free(r);
    }
    CHECK_EQ(n, 11);
    CHECK_EQ(bad, 0);
    strom_scanner_close(sc);
}

/* ---- a server of an older protocol version -------------------------------------------------
 * A proxy in front of the real server that answers as a server without Fetch version 1 would:
 * it refuses Fetch v1 as unsupported and says, in ApiVersions, that its newest Fetch is 0.
 * Everything else goes to the real server. */
typedef struct old_server {
    int lfd, port;
    pthread_t th;
    int refused, asked;
    bool overrun;     /* instead: the first Fetch answer with two records in a bucket gets
                         its second record's length made longer than the answer */
    int overran;
} old_server;

/* Makes the second record of the first bucket of a Fetch answer (resp, version v) claim more
 * bytes than the answer has. Returns whether there was one. */
static bool overrun_second_record(strom_buf *resp, int v)
{
    strom_wire_reader r;
    strom_wire_reader_init(&r, resp->data + 4, resp->len - 4);
    strom_response_header h;
    strom_msg_fetch_resp m;
    if (strom_response_header_read(&r, &h) < 0 || h.error_code ||
        strom_msg_fetch_resp_decode(&r, v, &m, NULL) < 0)
        return false;
    bool done = false;
    for (uint32_t i = 0; i < m.n && !done; i++) {
        if (m.v[i].error || m.v[i].size < 12)
            continue;
        uint32_t first = strom_ld32(m.v[i].records + 8) + 12;
        if (first + 12 <= m.v[i].size) {
            uint8_t *second = resp->data + (m.v[i].records - resp->data) + first;
            strom_st32(second + 8, (uint32_t)(16u << 20) - 12); /* 16 MiB: a possible length */
            done = true;
        }
    }
    strom_msg_fetch_resp_free(&m);
    return done;
}

static void *old_server_run(void *arg)
{
    old_server *o = arg;
    int cfd;
    while ((cfd = accept(o->lfd, NULL, NULL)) >= 0) {
        int ufd = raw_connect();
        strom_buf req = STROM_BUF_INIT, resp = STROM_BUF_INIT;
        while (raw_recv(cfd, &req)) { /* a request frame: answered before the next is read */
            strom_wire_reader r;
            strom_wire_reader_init(&r, req.data + 4, req.len - 4);
            strom_request_header h;
            if (strom_request_header_read(&r, &h) < 0)
                break;
            if (o->overrun) {
                raw_send(ufd, req.data, req.len);
                if (!raw_recv(ufd, &resp))
                    break;
                if (h.api_key == STROM_API_FETCH && !o->overran &&
                    overrun_second_record(&resp, h.api_version))
                    __atomic_add_fetch(&o->overran, 1, __ATOMIC_SEQ_CST);
            } else if (h.api_key == STROM_API_FETCH && h.api_version >= 1) {
                strom_buf_reset(&resp);
                strom_response_header rh = {h.correlation_id, (uint16_t)(-STROM_EUNSUPPORTED), 0};
                const char *m = "Fetch version 1 is not supported (newest: 0)";
                size_t start = strom_frame_begin(&resp);
                strom_wire_put_response_header(&resp, &rh);
                strom_wire_put_str(&resp, m, strlen(m));
                strom_frame_end(&resp, start, NULL);
                __atomic_add_fetch(&o->refused, 1, __ATOMIC_SEQ_CST);
            } else {
                raw_send(ufd, req.data, req.len);
                if (!raw_recv(ufd, &resp))
                    break;
                if (h.api_key == STROM_API_API_VERSIONS) { /* its newest Fetch is 0 */
                    strom_wire_reader a;
                    strom_wire_reader_init(&a, resp.data + 4, resp.len - 4);
                    strom_response_header ah;
                    strom_response_header_read(&a, &ah);
                    uint16_t len;
                    strom_wire_str(&a, &len, "server");
                    uint32_t n = strom_wire_u32(&a, "apis");
                    for (uint32_t i = 0; i < n; i++) {
                        size_t at = 4 + a.pos;
                        if (strom_wire_u16(&a, "key") == STROM_API_FETCH)
                            strom_st16(resp.data + at + 4, 0); /* max */
                        strom_wire_u16(&a, "min");
                        strom_wire_u16(&a, "max");
                    }
                    __atomic_add_fetch(&o->asked, 1, __ATOMIC_SEQ_CST);
                }
            }
            raw_send(cfd, resp.data, resp.len);
        }
        strom_buf_free(&req);
        strom_buf_free(&resp);
        close(ufd);
        close(cfd);
    }
    return NULL;
}

static void old_server_start(old_server *o, bool overrun)
{
    memset(o, 0, sizeof *o);
    o->overrun = overrun;
    o->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    CHECK(bind(o->lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(o->lfd, 4) == 0);
    socklen_t al = sizeof a;
    getsockname(o->lfd, (struct sockaddr *)&a, &al);
    o->port = ntohs(a.sin_port);
    pthread_create(&o->th, NULL, old_server_run, o);
}

static void old_server_stop(old_server *o)
{
    shutdown(o->lfd, SHUT_RDWR);
    close(o->lfd);
    pthread_join(o->th, NULL);
}

/* A reader meeting a server without Fetch version 1 asks for its versions once and goes on
 * in version 0 (unpadded answers, buffers copied before use): the same rows, in order. */
TEST(scanner_falls_back_to_an_older_fetch_version)
{
    make_table("oldsrv", 3); /* answers of 3 buckets: fields end at 2 mod 8, v0 unpadded */
    write_rows("oldsrv", 0, 30000);
    old_server o;
    old_server_start(&o, false);
    char oaddr[64];
    snprintf(oaddr, sizeof oaddr, "127.0.0.1:%d", o.port);
    const char *cols[] = {"v", "x"};
    for (int project = 0; project < 2; project++) {
        strom_error err;
        /* several Fetches, the later ones sent ahead */
        strom_scanner *s = scan_open(oaddr, "oldsrv", 64u << 10, cols, project ? 2 : 0);
        strom_result *r;
        int k;
        int64_t rows = 0, sum = 0, xs = 0;
        while ((k = strom_scanner_next(s, &r, &err)) == 1) {
            int vcol = project ? 0 : 1;
            for (int64_t i = 0; i < strom_result_rows(r); i++) {
                int64_t v = strom_result_int(r, i, vcol);
                sum += v;
                if (v % 3)
                    xs += strom_result_double(r, i, vcol + 1) == (double)v / 2;
            }
            rows += strom_result_rows(r);
            strom_result_free(r);
        }
        CHECK_OK(k, &err);
        CHECK_EQ(rows, 30000);
        CHECK_EQ(sum, (int64_t)30000 * 29999 / 2);
        CHECK_EQ(xs, 20000);
        strom_scanner_close(s);
    }
    /* each scanner's connection: one Fetch v1 refused, one ApiVersions, then version 0 */
    CHECK_EQ(__atomic_load_n(&o.refused, __ATOMIC_SEQ_CST), 2);
    CHECK_EQ(__atomic_load_n(&o.asked, __ATOMIC_SEQ_CST), 2);
    old_server_stop(&o);
}

/* A bucket refused in a Fetch answer (its partition dropped while a read goes on) fails the
 * call before any bucket's offset moves: once the partition is back, the read goes on and
 * every row of the other partition arrives exactly once; the re-created, empty partition
 * ends the read instead of being waited for. */
TEST(refused_bucket_loses_nothing_of_the_others)
{
    strom_error err;
    strom_client *c;
    CHECK_OK(strom_client_connect(addr, NULL, &c, &err), &err);
    strom_table_desc p = test_desc("parts");
    strom_schema_free(p.schema);
    p.schema = kv_schema();
    p.partition_col = 0;
    CHECK_OK(strom_create_table(c, &p, false, &err), &err);
    strom_table_desc_free(&p);
    strom_writer *w;
    strom_writer_opts wo;
    strom_writer_opts_default(&wo);
    wo.batch_bytes = 2048; /* many records per partition */
    CHECK_OK(strom_writer_open(addr, NULL, "t", "parts", &wo, &w, &err), &err);
    for (int64_t i = 0; i < 6000; i++) {
        const char *k = i % 2 ? "b" : "a";
        CHECK_OK(strom_writer_set_bytes(w, 0, k, 1, &err), &err);
        CHECK_OK(strom_writer_set_int(w, 1, i, &err), &err);
        CHECK_OK(strom_writer_end_row(w, &err), &err);
    }
    CHECK_OK(strom_writer_close(w, &err), &err);
    /* several records of each partition per Fetch */
    strom_scanner *s = scan_open(addr, "parts", 16u << 10, NULL, 0);
    strom_result *r;
    int k;
    int64_t next_a = 0, bad = 0, refusals = 0;
    CHECK_EQ(strom_scanner_next(s, &r, &err), 1);
    bool dropped = false;
    for (;;) {
        if (r) {
            for (int64_t i = 0; i < strom_result_rows(r); i++) {
                int64_t v = strom_result_int(r, i, 1);
                if (v % 2 == 0) { /* partition a: every even v, in order, once */
                    bad += v != next_a;
                    next_a = v + 2;
                }
            }
            strom_result_free(r);
            r = NULL;
        }
        if (!dropped) {
            CHECK_OK(strom_drop_partition(c, "t", "parts", "b", false, &err), &err);
            dropped = true;
        }
        k = strom_scanner_next(s, &r, &err);
        if (k < 0) {
            refusals++;
            CHECK_EQ(k, STROM_ENOTFOUND);
            r = NULL;
            CHECK_OK(strom_create_partition(c, "t", "parts", "b", true, &err), &err);
            if (refusals > 3)
                break;
            continue;
        }
        if (k == 0)
            break;
    }
    CHECK_EQ(k, 0);
    CHECK(refusals >= 1);
    CHECK_EQ(bad, 0);
    CHECK_EQ(next_a, 6000); /* every row of a: 0, 2, ..., 5998 */
    strom_scanner_close(s);
    strom_client_close(c);
}

/* An answer of several MiB (the client takes it into a 2 MiB-aligned buffer of huge pages,
 * grown from the first 16 KiB read) arrives whole, in order, and is reused for the next. */
TEST(large_fetch_answers)
{
    make_table("big", 1);
    write_rows("big", 0, 150000); /* ~4.5 MB stored */
    strom_error err;
    /* answers of at most 1, then 2 MiB: the first rows come after a short answer */
    strom_scanner *s = scan_open(addr, "big", 2u << 20, NULL, 0);
    strom_result *r;
    int k;
    int64_t next = 0;
    uint64_t got = 0, full, first = 0, largest = 0;
    while ((k = strom_scanner_next(s, &r, &err)) == 1) {
        for (int64_t i = 0; i < strom_result_rows(r); i++)
            CHECK_EQ(strom_result_int(r, i, 1), next + i);
        next += strom_result_rows(r);
        strom_result_free(r);
        uint64_t was = got;
        strom_scanner_bytes(s, &got, &full);
        if (!first)
            first = got;
        largest = got - was > largest ? got - was : largest;
    }
    CHECK_EQ(k, 0);
    CHECK_EQ(next, 150000);
    CHECK(got > (3u << 20));
    CHECK(first > 0 && first <= (1u << 20));
    CHECK(largest > (1u << 20) && largest <= (2u << 20));
    strom_scanner_close(s);
}

/* A record damaged on disk after the server checked it (bit rot under a running server) is
 * sent as it is and caught by the reader's checksum. The scanner, which sends each Fetch
 * ahead before checking the answer before it, then fails for good: a later call does not
 * skip the damaged record and hand out the ones after it. */
TEST(damaged_record_fails_the_scanner_for_good)
{
    make_table("rot", 1);
    for (int i = 0; i < 3; i++) /* one writer each: at least three records */
        write_rows("rot", i * 2000, 2000);
    /* the bucket's segment: <data>/t/rot-<id>/0/<first offset>.log */
    char dir[700], path[1000] = "";
    snprintf(dir, sizeof dir, "%s/server/data/t", STROM_TEST_TMP);
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    for (struct dirent *e; d && (e = readdir(d));)
        if (!strncmp(e->d_name, "rot-", 4))
            snprintf(path, sizeof path, "%s/%s/0/00000000000000000000.log", dir, e->d_name);
    if (d)
        closedir(d);
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    /* flip a byte in the last body buffer of the second record */
    uint8_t head[16];
    uint64_t pos = 0, second_end = 0;
    int64_t base = -1; /* of the second record */
    for (int k = 0; k < 2; k++) {
        uint32_t len;
        CHECK(pread(fd, head, sizeof head, (off_t)pos) == (ssize_t)sizeof head);
        CHECK_EQ(strom_record_peek(head, sizeof head, &base, &len, NULL), 0);
        pos += len;
    }
    second_end = pos;
    uint8_t byte;
    CHECK(pread(fd, &byte, 1, (off_t)(second_end - 9)) == 1);
    byte ^= 0x10;
    CHECK(pwrite(fd, &byte, 1, (off_t)(second_end - 9)) == 1);
    close(fd);
    /* one record per Fetch, then all of them in one: the records before the damaged one in
     * the same answer are returned too */
    for (int pass = 0; pass < 2; pass++) {
        strom_error err;
        strom_scanner *s = scan_open(addr, "rot", pass ? 64u << 20 : 1, NULL, 0);
        strom_result *r;
        int64_t rows;
        int k = scan_rows(s, &rows, &err);
        CHECK(k == STROM_ECHECKSUM || k == STROM_ECORRUPT);
        CHECK(base > 0);
        CHECK_EQ(rows, base); /* every row before the damaged record, then the error */
        int code = k;
        CHECK_EQ(strom_scanner_next(s, &r, &err), code); /* and again: nothing after it */
        CHECK(strstr(err.msg, "offset") != NULL);
        strom_scanner_close(s);
    }
    /* through an Arrow stream: the rows before it, then EIO with the message, again */
    strom_error err;
    strom_scanner *s = scan_open(addr, "rot", 64u << 20, NULL, 0);
    struct ArrowArrayStream st;
    CHECK_OK(strom_scanner_export_stream(s, &st, &err), &err);
    int64_t rows = 0;
    struct ArrowArray a;
    int e;
    while ((e = st.get_next(&st, &a)) == 0 && a.release) {
        rows += a.length;
        a.release(&a);
    }
    CHECK_EQ(e, EIO);
    CHECK_EQ(rows, base);
    CHECK(st.get_last_error(&st) && strstr(st.get_last_error(&st), "offset") != NULL);
    CHECK_EQ(st.get_next(&st, &a), EIO);
    st.release(&st);
}

/* An answer whose second record claims more bytes than the answer has: the reader gets the
 * first record's rows, then the error, on that call and every later one (the offsets have
 * moved past the answer). */
TEST(overrunning_record_fails_after_the_records_before_it)
{
    make_table("overrun", 1);
    for (int i = 0; i < 3; i++) /* one writer each: three records or more (a slow machine
                                     splits a writer's rows at its linger time) */
        write_rows("overrun", i * 1000, 1000);
    strom_error err;
    strom_result *r;
    strom_scanner *s = scan_open(addr, "overrun", 64u << 20, NULL, 0);
    CHECK_EQ(strom_scanner_next(s, &r, &err), 1);
    int64_t first = strom_result_rows(r); /* the first record's rows */
    strom_result_free(r);
    strom_scanner_close(s);
    old_server o;
    old_server_start(&o, true);
    char oaddr[64];
    snprintf(oaddr, sizeof oaddr, "127.0.0.1:%d", o.port);
    s = scan_open(oaddr, "overrun", 64u << 20, NULL, 0); /* the records in one answer */
    int64_t rows;
    int k = scan_rows(s, &rows, &err);
    CHECK_EQ(__atomic_load_n(&o.overran, __ATOMIC_SEQ_CST), 1);
    CHECK_EQ(k, STROM_ECORRUPT);
    CHECK(strstr(err.msg, "overruns") != NULL);
    CHECK_EQ(rows, first); /* the first record's rows, then the error */
    CHECK_EQ(strom_scanner_next(s, &r, &err), STROM_ECORRUPT); /* and again */
    strom_scanner_close(s);
    old_server_stop(&o);
}

/* A connection paused over the memory limit reads again once memory is back under it, even
 * when the memory goes by another connection's responses being written (not by a request of
 * its own finishing). A leaves four filtered Fetch answers of several MiB each (rows
 * re-encoded in memory, over the test server's 1 MiB limit) unread; B, paused after its
 * first answer, sends a second request; A reads its answers; B's is answered. */
TEST(paused_connection_resumes_when_another_frees_memory)
{
    make_table("memhog", 1);
    write_rows("memhog", 0, 200000);
    strom_error err;
    strom_client *c;
    CHECK_OK(strom_client_connect(addr, NULL, &c, &err), &err);
    strom_table_desc d;
    CHECK_OK(strom_get_table(c, "t", "memhog", &d, &err), &err);
    strom_client_close(c);
    int a = raw_connect();
    int rcv = 256 << 10; /* A's answers stay in the server, not in A's socket buffer (over
                            loopback's 64 KiB segment, or the sender would wait for a window
                            of a whole segment) */
    setsockopt(a, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    strom_buf b = STROM_BUF_INIT, all = STROM_BUF_INIT;
    strom_msg_fetch_bucket fb = {{"", 0}, 0, 0, 64u << 20};
    const char *where = "x >= 0"; /* every record partly: filtered rows, re-encoded */
    strom_msg_fetch m = {d.table_id, 0, 1, 64u << 20, 0, NULL, {where, (uint16_t)strlen(where)},
                         1, &fb};
    for (uint32_t i = 0; i < 4; i++) { /* more than the kernel's socket buffers take */
        request(&b, STROM_API_FETCH, 1 + i);
        CHECK_EQ(strom_msg_fetch_encode(&b, &m), 0);
        end(&b);
        strom_buf_append(&all, b.data, b.len);
    }
    raw_send(a, all.data, all.len);
    struct timespec ts = {0, 300 * 1000000};
    nanosleep(&ts, NULL); /* the answer is built and queued */
    int bfd = raw_connect();
    uint32_t corr;
    char msg[256];
    request(&b, STROM_API_API_VERSIONS, 2);
    end(&b);
    raw_send(bfd, b.data, b.len);
    CHECK(raw_recv(bfd, &b)); /* answered; B is now paused over the limit */
    CHECK_EQ(resp_error(&b, &corr, msg, sizeof msg), 0);
    request(&b, STROM_API_API_VERSIONS, 3);
    end(&b);
    raw_send(bfd, b.data, b.len);
    nanosleep(&ts, NULL);
    strom_buf ans = STROM_BUF_INIT;
    size_t held = 0;
    for (int i = 0; i < 4; i++) { /* A reads its answers: the memory goes */
        CHECK(raw_recv(a, &ans));
        CHECK_EQ(resp_error(&ans, &corr, msg, sizeof msg), 0);
        /* each built in memory within a worker's share (at least 1 MiB, here no more: the
         * limit is 1 MiB) however much it asked for, and one more record at most */
        CHECK(ans.len > (512u << 10) && ans.len <= (1u << 20) + (256u << 10));
        held += ans.len;
    }
    CHECK(held > (2u << 20)); /* together twice the limit: B had to wait */
    CHECK(raw_recv(bfd, &b)); /* within the 10 s receive timeout */
    CHECK_EQ(resp_error(&b, &corr, msg, sizeof msg), 0);
    CHECK_EQ(corr, 3);
    strom_table_desc_free(&d);
    strom_buf_free(&b);
    strom_buf_free(&all);
    strom_buf_free(&ans);
    close(a);
    close(bfd);
}

/* A client may send its requests, shut down its side of the connection and read the
 * replies: every request is answered (a Fetch waiting for data at once, with what there is,
 * not at its deadline), then the server closes. Eight requests: twice max_inflight, so some
 * wait in the server's buffer when the end of the stream is read. */
TEST(half_closed_connection_gets_its_replies)
{
    make_table("halfclose", 1);
    strom_error err;
    strom_client *c;
    CHECK_OK(strom_client_connect(addr, NULL, &c, &err), &err);
    strom_table_desc d;
    CHECK_OK(strom_get_table(c, "t", "halfclose", &d, &err), &err);
    strom_client_close(c);
    strom_buf b = STROM_BUF_INIT, all = STROM_BUF_INIT;
    for (uint32_t i = 0; i < 7; i++) {
        request(&b, STROM_API_API_VERSIONS, 10 + i);
        end(&b);
        strom_buf_append(&all, b.data, b.len);
    }
    strom_msg_fetch_bucket fb = {{"", 0}, 0, 0, 1u << 20};
    strom_msg_fetch m = {d.table_id, 5000, 1, 1u << 20, 0, NULL, {"", 0}, 1, &fb};
    request(&b, STROM_API_FETCH, 17); /* the table is empty: it waits */
    CHECK_EQ(strom_msg_fetch_encode(&b, &m), 0);
    end(&b);
    strom_buf_append(&all, b.data, b.len);
    int fd = raw_connect();
    int64_t t0 = strom_mono_ms();
    raw_send(fd, all.data, all.len);
    CHECK_EQ(shutdown(fd, SHUT_WR), 0);
    uint32_t seen = 0, corr;
    char msg[256];
    for (int i = 0; i < 8; i++) {
        CHECK(raw_recv(fd, &b));
        CHECK_EQ(resp_error(&b, &corr, msg, sizeof msg), 0);
        CHECK(corr >= 10 && corr < 18);
        seen |= 1u << (corr - 10);
    }
    CHECK_EQ(seen, 0xFFu);
    CHECK(strom_mono_ms() - t0 < 4000); /* not at the Fetch's 5 s deadline */
    uint8_t x;
    CHECK_EQ(read(fd, &x, 1), 0); /* then closed */
    close(fd);
    strom_table_desc_free(&d);
    strom_buf_free(&b);
    strom_buf_free(&all);
}

TEST(long_poll_wakes_on_append)
{
    make_table("live", 1);
    fetch_arg a = {0, 0};
    pthread_t t;
    pthread_create(&t, NULL, follow_one, &a);
    struct timespec ts = {0, 300 * 1000000};
    nanosleep(&ts, NULL);
    write_rows("live", 0, 10);
    pthread_join(t, NULL);
    CHECK_EQ(a.rows, 10);
    CHECK(a.waited_ms < 4000); /* woken by the append, not by the 5 s deadline */
}

typedef struct selective_arg {
    int64_t rows, value;
    uint64_t stored;
} selective_arg;

/* Follows t.sel from its first row with a filter that matches only v = -5. */
static void *follow_selective(void *p)
{
    selective_arg *a = p;
    strom_scanner *s;
    strom_result *r = follow_first("sel", STROM_START_EARLIEST, "v = -5", 0, &s);
    if (r) {
        a->rows = strom_result_rows(r);
        a->value = strom_result_int(r, 0, 1);
        strom_result_free(r);
    }
    uint64_t got;
    strom_scanner_bytes(s, &got, &a->stored);
    strom_scanner_close(s);
    return NULL;
}

/* A following Fetch whose filter matches nothing waits; each append wakes it, and it reads
 * on from where it stopped instead of filtering every stored record again (server's Fetch
 * totals). Its answer still counts the stored bytes it passed over. */
TEST(woken_filtered_fetch_reads_on_from_where_it_stopped)
{
    make_table("sel", 1);
    write_rows("sel", 0, 20000);
    strom_error err;
    int64_t rows;
    strom_scanner *s = scan_open(addr, "sel", 8u << 20, NULL, 0);
    CHECK_EQ(scan_rows(s, &rows, &err), 0);
    uint64_t got, stored0;
    strom_scanner_bytes(s, &got, &stored0);
    strom_scanner_close(s);
    CHECK(stored0 > (200u << 10));

    selective_arg a = {0, 0, 0};
    pthread_t t;
    uint64_t read0, sent0, read1, sent1;
    srv_fetch_totals(server, &read0, &sent0);
    pthread_create(&t, NULL, follow_selective, &a);
    /* it reads the 20 000 rows (however slow the machine), then waits */
    for (int64_t t0 = strom_mono_ms(); strom_mono_ms() - t0 < 20000;) {
        srv_fetch_totals(server, &read1, &sent1);
        if (read1 - read0 >= stored0)
            break;
        struct timespec poll = {0, 10 * 1000000};
        nanosleep(&poll, NULL);
    }
    struct timespec ts = {0, 200 * 1000000};
    nanosleep(&ts, NULL);
    srv_fetch_totals(server, &read0, &sent0);
    for (int i = 0; i < 10; i++) { /* ten wake-ups that match nothing */
        write_rows("sel", 20000 + i * 10, 10);
        struct timespec gap = {0, 30 * 1000000};
        nanosleep(&gap, NULL);
    }
    write_rows("sel", -5, 1);
    pthread_join(t, NULL);
    srv_fetch_totals(server, &read1, &sent1);
    CHECK_EQ(a.rows, 1);
    CHECK_EQ(a.value, -5);
    /* before: each wake read the 20 000 rows again (ten times stored0) */
    CHECK(read1 - read0 < stored0 / 2);
    CHECK(a.stored >= stored0);
}

/* A following reader whose filter matches one row at the end of a backlog several times
 * fetch_scan_bytes long: each Fetch that read its most stored bytes and found nothing
 * answers at once (it does not wait for an append), so the row comes after a few round
 * trips, not after one long-poll deadline per fetch_scan_bytes. */
TEST(filtered_follow_through_a_backlog_does_not_wait)
{
    make_table("backlog", 1);
    write_rows("backlog", 0, 20000); /* ~10 times fetch_scan_bytes */
    strom_scanner *s;
    int64_t t0 = strom_mono_ms();
    /* Fetches of 16 KiB: each reads at most fetch_scan_bytes */
    strom_result *r = follow_first("backlog", STROM_START_EARLIEST, "v = 19999", 16u << 10, &s);
    if (r) {
        CHECK_EQ(strom_result_rows(r), 1);
        CHECK_EQ(strom_result_int(r, 0, 1), 19999);
        strom_result_free(r);
    }
    CHECK(strom_mono_ms() - t0 < 4000); /* before: 5 s per 64 KiB read */
    strom_scanner_close(s);
}

static void *writer_thread(void *p)
{
    write_rows("many", (int64_t)(intptr_t)p * 5000, 5000);
    return NULL;
}

TEST(concurrent_writers)
{
    make_table("many", 2);
    pthread_t t[4];
    for (intptr_t i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, writer_thread, (void *)i);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    strom_error err;
    strom_scanner *s;
    CHECK_OK(strom_scanner_open(addr, NULL, "t", "many", NULL, &s, &err), &err);
    strom_result *r;
    int64_t rows = 0;
    uint8_t *seen = calloc(20000, 1);
    while (strom_scanner_next(s, &r, &err) == 1) {
        for (int64_t i = 0; i < strom_result_rows(r); i++) {
            int64_t v = strom_result_int(r, i, 1);
            if (v >= 0 && v < 20000)
                seen[v]++;
        }
        rows += strom_result_rows(r);
        strom_result_free(r);
    }
    CHECK_EQ(rows, 20000);
    int once = 0;
    for (int i = 0; i < 20000; i++)
        once += seen[i] == 1;
    CHECK_EQ(once, 20000);
    free(seen);
    strom_scanner_close(s);
}

/* Copies table `from` into a new table `to` (no bucket key when `plain`) through Arrow: the
 * scanner exports batches, the writer imports them. */
static void copy_via_arrow(const char *from, const char *to, bool plain, int64_t *rows,
                           int64_t *sum)
{
    strom_error err;
    strom_client *c;
    CHECK_OK(strom_client_connect(addr, NULL, &c, &err), &err);
    strom_table_desc d;
    CHECK_OK(strom_get_table(c, "t", from, &d, &err), &err);
    snprintf(d.table, sizeof d.table, "%s", to);
    if (plain) {
        free(d.bucket_key);
        d.bucket_key = NULL;
        d.nbucket_key = 0;
    }
    CHECK_OK(strom_create_table(c, &d, false, &err), &err);
    strom_table_desc_free(&d);
    strom_client_close(c);
    strom_scanner *s;
    strom_writer *w;
    CHECK_OK(strom_scanner_open(addr, NULL, "t", from, NULL, &s, &err), &err);
    CHECK_OK(strom_writer_open(addr, NULL, "t", to, NULL, &w, &err), &err);
    strom_result *r;
    while (strom_scanner_next(s, &r, &err) == 1) {
        struct ArrowArray a;
        struct ArrowSchema sc;
        CHECK_OK(strom_result_export(r, &a, &sc, &err), &err);
        CHECK_OK(strom_writer_write_arrow(w, &a, &sc, &err), &err);
        CHECK(a.release == NULL); /* consumed */
        sc.release(&sc);
    }
    CHECK_OK(strom_writer_close(w, &err), &err);
    strom_scanner_close(s);
    *rows = *sum = 0;
    CHECK_OK(strom_scanner_open(addr, NULL, "t", to, NULL, &s, &err), &err);
    while (strom_scanner_next(s, &r, &err) == 1) {
        for (int64_t i = 0; i < strom_result_rows(r); i++)
            *sum += strom_result_int(r, i, 1);
        *rows += strom_result_rows(r);
        strom_result_free(r);
    }
    strom_scanner_close(s);
}

TEST(writer_takes_arrow_batches)
{
    int64_t rows, sum, want = 0;
    for (int64_t v = 0; v < 20000; v++)
        want += v;
    copy_via_arrow("many", "copy_plain", true, &rows, &sum); /* whole columns */
    CHECK_EQ(rows, 20000);
    CHECK_EQ(sum, want);
    copy_via_arrow("many", "copy_keyed", false, &rows, &sum); /* routed row by row */
    CHECK_EQ(rows, 20000);
    CHECK_EQ(sum, want);
    /* a column of the wrong type is refused, and the array is still consumed */
    strom_error err;
    strom_scanner *s;
    strom_writer *w;
    CHECK_OK(strom_scanner_open(addr, NULL, "t", "kv", NULL, &s, &err), &err);
    CHECK_OK(strom_writer_open(addr, NULL, "t", "copy_plain", NULL, &w, &err), &err);
    strom_result *r;
    if (strom_scanner_next(s, &r, &err) == 1) {
        struct ArrowArray a;
        struct ArrowSchema sc;
        CHECK_OK(strom_result_export(r, &a, &sc, &err), &err);
        /* kv has k STRING, v BIGINT; copy_plain's x DOUBLE is missing (nullable): fine, but
         * rename v to x so its type does not match */
        sc.children[1]->name = "x";
        CHECK_EQ(strom_writer_write_arrow(w, &a, &sc, &err), STROM_ETYPE);
        CHECK(strstr(err.msg, "column 'x'") != NULL);
        CHECK(a.release == NULL);
        sc.children[1]->name = "v";
        sc.release(&sc);
    }
    CHECK_OK(strom_writer_close(w, &err), &err);
    strom_scanner_close(s);
}

typedef struct restart_writer {
    int64_t rows;
    int64_t done; /* atomic: rows written so far */
    int rc;
    char msg[STROM_ERROR_MSG_MAX];
} restart_writer;

static void *write_through_restart(void *p)
{
    restart_writer *rw = p;
    strom_client_opts co;
    strom_client_opts_default(&co);
    co.retries = 10;
    co.retry_backoff_ms = 20;
    strom_writer_opts wo;
    strom_writer_opts_default(&wo);
    wo.batch_bytes = 16 << 10;
    strom_writer *w;
    strom_error err;
    strom_error_clear(&err);
    rw->rc = strom_writer_open(addr, &co, "t", "restart", &wo, &w, &err);
    for (int64_t i = 0; rw->rc == 0 && i < rw->rows; i++) {
        char k[16];
        int len = snprintf(k, sizeof k, "k%lld", (long long)(i % 13));
        if ((rw->rc = strom_writer_set_bytes(w, 0, k, (size_t)len, &err)) == 0 &&
            (rw->rc = strom_writer_set_int(w, 1, i, &err)) == 0)
            rw->rc = strom_writer_end_row(w, &err);
        __atomic_store_n(&rw->done, i + 1, __ATOMIC_RELEASE);
    }
    if (rw->rc == 0)
        rw->rc = strom_writer_close(w, &err);
    snprintf(rw->msg, sizeof rw->msg, "%s", err.msg);
    return NULL;
}

TEST(writer_resends_across_a_server_restart)
{
    make_table("restart", 2);
    restart_writer rw = {2000000, 0, 0, ""};
    pthread_t t;
    pthread_create(&t, NULL, write_through_restart, &rw);
    struct timespec ts = {0, 30 * 1000000};
    while (__atomic_load_n(&rw.done, __ATOMIC_ACQUIRE) < 20000)
        nanosleep(&ts, NULL);
    int port = srv_server_port(server);
    stop(); /* clean shutdown: in-flight requests answered, connections closed */
    int64_t at_stop = __atomic_load_n(&rw.done, __ATOMIC_ACQUIRE);
    CHECK(at_stop < rw.rows); /* the restart comes in the middle of the writing */
    nanosleep(&ts, NULL);
    start_at(true, port); /* the writer reconnects, resends what was not answered */
    pthread_join(t, NULL);
    CHECK_EQ(rw.rc, 0);
    if (rw.rc)
        fprintf(stderr, "writer: %s\n", rw.msg);
    strom_error err;
    strom_scanner *s;
    CHECK_OK(strom_scanner_open(addr, NULL, "t", "restart", NULL, &s, &err), &err);
    uint8_t *seen = calloc((size_t)rw.rows, 1);
    strom_result *r;
    int64_t rows = 0, bad = 0;
    while (strom_scanner_next(s, &r, &err) == 1) {
        for (int64_t i = 0; i < strom_result_rows(r); i++) {
            int64_t v = strom_result_int(r, i, 1);
            if (v < 0 || v >= rw.rows)
                bad++;
            else if (seen[v] < 255)
                seen[v]++;
        }
        rows += strom_result_rows(r);
        strom_result_free(r);
    }
    strom_scanner_close(s);
    int64_t once = 0;
    for (int64_t i = 0; i < rw.rows; i++)
        once += seen[i] == 1;
    CHECK_EQ(bad, 0);
    CHECK_EQ(rows, rw.rows); /* nothing lost, nothing twice */
    CHECK_EQ(once, rw.rows);
    free(seen);
}

TEST(writer_takes_the_printed_text_form)
{
    strom_error err;
    strom_client *c;
    CHECK_OK(strom_client_connect(addr, NULL, &c, &err), &err);
    strom_table_desc d;
    strom_table_desc_init(&d);
    snprintf(d.database, sizeof d.database, "t");
    snprintf(d.table, sizeof d.table, "texts");
    d.schema = strom_schema_new(1);
    strom_schema_add(d.schema, "d", strom_type_of(STROM_TYPE_DATE), false, NULL);
    strom_schema_add(d.schema, "b", strom_type_of(STROM_TYPE_BYTES), true, NULL);
    strom_schema_add(d.schema, "x", strom_type_of(STROM_TYPE_DOUBLE), true, NULL);
    CHECK_OK(strom_create_table(c, &d, false, &err), &err);
    strom_table_desc_free(&d);
    strom_client_close(c);
    strom_writer *w;
    CHECK_OK(strom_writer_open(addr, NULL, "t", "texts", NULL, &w, &err), &err);
    CHECK_OK(strom_writer_set_text(w, 0, "2026-12-01", 10, &err), &err);
    CHECK_OK(strom_writer_set_text(w, 1, "\\xdeAD01", 8, &err), &err);
    CHECK_OK(strom_writer_set_text(w, 2, "1.5", 3, &err), &err);
    CHECK_OK(strom_writer_end_row(w, &err), &err);
    CHECK_EQ(strom_writer_set_text(w, 2, "abc", 3, &err), STROM_EPARSE);
    CHECK_STR(err.msg, "column 'x': 'abc' is not a valid DOUBLE");
    CHECK_EQ(strom_writer_set_text(w, 1, "abc", 3, &err), STROM_EPARSE); /* odd hex */
    CHECK_OK(strom_writer_close(w, &err), &err);
    strom_scanner *s;
    CHECK_OK(strom_scanner_open(addr, NULL, "t", "texts", NULL, &s, &err), &err);
    strom_result *r;
    CHECK_EQ(strom_scanner_next(s, &r, &err), 1);
    if (r) {
        char buf[64];
        CHECK_EQ(strom_result_rows(r), 1);
        strom_result_text(r, 0, 0, buf, sizeof buf);
        CHECK_STR(buf, "2026-12-01");
        size_t len;
        const uint8_t *b = strom_result_bytes(r, 0, 1, &len);
        CHECK_EQ(len, 3);
        CHECK(b && b[0] == 0xde && b[1] == 0xad && b[2] == 0x01);
        CHECK(strom_result_double(r, 0, 2) == 1.5);
        strom_result_free(r);
    }
    strom_scanner_close(s);
}

/* ---- primary-key tables ------------------------------------------------------------------ */

/* users: id BIGINT NOT NULL, name STRING, score BIGINT; primary key (id); 3 buckets */
static void make_pk_table(const char *name, strom_merge_engine e)
{
    strom_table_desc d = test_desc(name);
    strom_schema_add(d.schema, "id", strom_type_of(STROM_TYPE_BIGINT), false, NULL);
    strom_schema_add(d.schema, "name", strom_type_of(STROM_TYPE_STRING), true, NULL);
    strom_schema_add(d.schema, "score", strom_type_of(STROM_TYPE_BIGINT), true, NULL);
    d.buckets = 3;
    d.npk = 1;
    d.pk = malloc(sizeof(int));
    d.pk[0] = 0;
    d.merge_engine = e;
    if (e == STROM_MERGE_AGGREGATE) {
        d.nagg = 3;
        d.agg = calloc(3, 1);
        d.agg[2] = STROM_AGG_SUM;
    }
    test_create(&d);
    /* the server chose the bucket key: the primary key */
    strom_error err;
    strom_client *c;
    CHECK_OK(strom_client_connect(addr, NULL, &c, &err), &err);
    CHECK_OK(strom_get_table(c, "t", name, &d, &err), &err);
    CHECK_EQ(d.npk, 1);
    CHECK_EQ(d.nbucket_key, 1);
    CHECK_EQ(d.merge_engine, e);
    strom_table_desc_free(&d);
    strom_client_close(c);
}

static void upsert(strom_writer *w, int64_t id, const char *name, int64_t score)
{
    strom_error err;
    CHECK_OK(strom_writer_set_int(w, 0, id, &err), &err);
    if (name)
        CHECK_OK(strom_writer_set_bytes(w, 1, name, strlen(name), &err), &err);
    CHECK_OK(strom_writer_set_int(w, 2, score, &err), &err);
    CHECK_OK(strom_writer_end_row(w, &err), &err);
}

/* The state the test expects: per id, present, name (NULL = null) and score. */
typedef struct urow {
    bool present;
    char name[16];
    bool name_null;
    int64_t score;
} urow;

#define NUSERS 1200
static urow model[NUSERS];

static bool urow_matches(const urow *m, const strom_result *r, int64_t i, int name_col,
                         int score_col)
{
    if (!m->present)
        return false;
    if (name_col >= 0) {
        if (strom_result_is_null(r, i, name_col) != m->name_null)
            return false;
        size_t n;
        const uint8_t *p = strom_result_bytes(r, i, name_col, &n);
        if (!m->name_null && (n != strlen(m->name) || memcmp(p, m->name, n)))
            return false;
    }
    return score_col < 0 || strom_result_int(r, i, score_col) == m->score;
}

/* Every id 0..NUSERS-1 looked up in one run (3 buckets), against the model. */
static void check_lookups(const char *table)
{
    strom_error err;
    strom_lookup *l;
    CHECK_OK(strom_lookup_open(addr, NULL, "t", table, NULL, &l, &err), &err);
    CHECK_EQ(strom_lookup_key_count(l), 1);
    CHECK_STR(strom_lookup_key_name(l, 0), "id");
    for (int64_t id = 0; id < NUSERS; id++) {
        CHECK_OK(strom_lookup_set_int(l, 0, id, &err), &err);
        CHECK_OK(strom_lookup_add(l, &err), &err);
    }
    strom_result *r = NULL;
    CHECK_OK(strom_lookup_run(l, &r, &err), &err);
    int64_t bad = 0;
    for (int64_t id = 0; id < NUSERS; id++) {
        int64_t first = -1, n = strom_lookup_found(l, id, &first);
        bad += n != (model[id].present ? 1 : 0);
        if (n == 1)
            bad += strom_result_int(r, first, 0) != id || !urow_matches(&model[id], r, first, 1, 2);
    }
    CHECK_EQ(bad, 0);
    strom_result_free(r);
    /* a single key, a text key, a missing key */
    CHECK_OK(strom_lookup_set_text(l, 0, "5", 1, &err), &err);
    CHECK_OK(strom_lookup_add(l, &err), &err);
    CHECK_OK(strom_lookup_run(l, &r, &err), &err);
    CHECK_EQ(strom_lookup_found(l, 0, NULL), model[5].present ? 1 : 0);
    strom_result_free(r);
    CHECK_EQ(strom_lookup_set_text(l, 0, "x", 1, &err), STROM_EPARSE);
    CHECK_EQ(strom_lookup_add(l, &err), STROM_EINVAL); /* the key column was not set */
    strom_lookup_close(l);
}

/* Folds a table's whole changelog; every -U and -D must carry the row the fold holds. */
static void check_changelog_fold(const char *table, int64_t *counts)
{
    static urow fold[NUSERS];
    memset(fold, 0, sizeof fold);
    strom_error err;
    strom_scanner *s;
    strom_scan_opts o;
    strom_scan_opts_default(&o);
    CHECK_OK(strom_scanner_open(addr, NULL, "t", table, &o, &s, &err), &err);
    strom_result *r;
    int k;
    int64_t bad = 0;
    while ((k = strom_scanner_next(s, &r, &err)) == 1) {
        for (int64_t i = 0; i < strom_result_rows(r); i++) {
            int64_t id = strom_result_int(r, i, 0);
            strom_change ch = strom_result_change(r, i);
            counts[ch]++;
            urow *f = &fold[id];
            if (ch == STROM_ROW_UPDATE_BEFORE || ch == STROM_ROW_DELETE) {
                bad += !urow_matches(f, r, i, 1, 2);
                if (ch == STROM_ROW_DELETE)
                    f->present = false;
                continue;
            }
            bad += (ch == STROM_ROW_INSERT) == f->present; /* +I: absent before; +U: present */
            f->present = true;
            f->name_null = strom_result_is_null(r, i, 1);
            size_t n = 0;
            const uint8_t *p = strom_result_bytes(r, i, 1, &n);
            snprintf(f->name, sizeof f->name, "%.*s", f->name_null ? 0 : (int)n, (const char *)p);
            f->score = strom_result_int(r, i, 2);
        }
        strom_result_free(r);
    }
    CHECK_EQ(k, 0);
    strom_scanner_close(s);
    for (int id = 0; id < NUSERS; id++) {
        bad += fold[id].present != model[id].present;
        if (model[id].present)
            bad += fold[id].score != model[id].score || fold[id].name_null != model[id].name_null ||
                   strcmp(fold[id].name, model[id].name) != 0;
    }
    CHECK_EQ(bad, 0);
}

TEST(pk_table_upserts_deletes_lookups_and_changelog)
{
    make_pk_table("users", STROM_MERGE_LAST_ROW);
    memset(model, 0, sizeof model);
    strom_error err;
    strom_writer *w;
    CHECK_OK(strom_writer_open(addr, NULL, "t", "users", NULL, &w, &err), &err);
    char name[16];
    for (int64_t id = 0; id < 1000; id++) {
        snprintf(name, sizeof name, "n%lld", (long long)id);
        upsert(w, id, name, id);
        model[id] = (urow){true, "", false, id};
        snprintf(model[id].name, sizeof model[id].name, "%s", name);
    }
    for (int64_t id = 0; id < 100; id++) { /* updates */
        snprintf(name, sizeof name, "n%lld", (long long)id);
        upsert(w, id, name, id * 10);
        model[id].score = id * 10;
    }
    for (int64_t id = 900; id < 1000; id++) { /* deletes: only the key is set */
        CHECK_OK(strom_writer_set_int(w, 0, id, &err), &err);
        CHECK_OK(strom_writer_end_delete(w, &err), &err);
        model[id].present = false;
    }
    for (int64_t id = 1100; id < 1110; id++) { /* deletes of absent keys: nothing */
        CHECK_OK(strom_writer_set_int(w, 0, id, &err), &err);
        CHECK_OK(strom_writer_end_delete(w, &err), &err);
    }
    CHECK_OK(strom_writer_close(w, &err), &err);
    /* a partial update: score only; names stay */
    strom_writer_opts wo;
    strom_writer_opts_default(&wo);
    const char *cols[] = {"id", "score"};
    wo.columns = cols;
    wo.ncolumns = 2;
    CHECK_OK(strom_writer_open(addr, NULL, "t", "users", &wo, &w, &err), &err);
    for (int64_t id = 100; id < 200; id++) {
        upsert(w, id, NULL, -id);
        model[id].score = -id;
    }
    CHECK_OK(strom_writer_close(w, &err), &err);
    check_lookups("users");
    int64_t counts[4] = {0, 0, 0, 0};
    check_changelog_fold("users", counts);
    CHECK_EQ(counts[STROM_ROW_INSERT], 1000);
    CHECK_EQ(counts[STROM_ROW_UPDATE_BEFORE], 200);
    CHECK_EQ(counts[STROM_ROW_UPDATE_AFTER], 200);
    CHECK_EQ(counts[STROM_ROW_DELETE], 100);
    /* the snapshot: every present row once; with projection and a filter */
    strom_scanner *s;
    strom_scan_opts so;
    strom_scan_opts_default(&so);
    so.snapshot = true;
    so.max_bytes = 4096; /* several pages per bucket */
    CHECK_OK(strom_scanner_open(addr, NULL, "t", "users", &so, &s, &err), &err);
    strom_result *r;
    int k;
    int64_t rows = 0, bad = 0;
    static bool seen[NUSERS];
    memset(seen, 0, sizeof seen);
    while ((k = strom_scanner_next(s, &r, &err)) == 1) {
        for (int64_t i = 0; i < strom_result_rows(r); i++) {
            int64_t id = strom_result_int(r, i, 0);
            bad += id < 0 || id >= NUSERS || seen[id] || !urow_matches(&model[id], r, i, 1, 2) ||
                   strom_result_change(r, i) != STROM_ROW_INSERT;
            if (id >= 0 && id < NUSERS)
                seen[id] = true;
        }
        rows += strom_result_rows(r);
        strom_result_free(r);
    }
    CHECK_EQ(k, 0);
    CHECK_EQ(bad, 0);
    CHECK_EQ(rows, 900);
    strom_scanner_close(s);
    so.columns = cols;
    so.ncolumns = 2;
    so.where = "score < 0";
    CHECK_OK(strom_scanner_open(addr, NULL, "t", "users", &so, &s, &err), &err);
    rows = 0;
    while ((k = strom_scanner_next(s, &r, &err)) == 1) {
        for (int64_t i = 0; i < strom_result_rows(r); i++)
            bad += strom_result_int(r, i, 1) != -strom_result_int(r, i, 0);
        rows += strom_result_rows(r);
        strom_result_free(r);
    }
    CHECK_EQ(k, 0);
    CHECK_EQ(bad, 0);
    CHECK_EQ(rows, 100);
    strom_scanner_close(s);
    /* a log table has no snapshot, lookups or deletes */
    strom_scan_opts_default(&so);
    so.snapshot = true;
    CHECK_EQ(strom_scanner_open(addr, NULL, "t", "events", &so, &s, &err), STROM_EINVAL);
    strom_lookup *l;
    CHECK_EQ(strom_lookup_open(addr, NULL, "t", "events", NULL, &l, &err), STROM_EINVAL);
    /* a restart (clean: from the checkpoint) keeps it all */
    stop();
    start_at(true, 0);
    check_lookups("users");
}

/* A writer keeps upserting and deleting while a reader takes a snapshot and follows the
 * changelog from the offsets it reflects: folding what the reader sees gives exactly the
 * final state, and every -U/-D it sees carries the row it holds (no gap, no duplicate). */
typedef struct churn_arg {
    int stop;                  /* atomic */
    int64_t written;           /* atomic */
} churn_arg;

static void *churn(void *p)
{
    churn_arg *a = p;
    strom_error err;
    strom_writer *w;
    strom_writer_opts o;
    strom_writer_opts_default(&o);
    o.linger_ms = 1;
    CHECK_OK(strom_writer_open(addr, NULL, "t", "churn", &o, &w, &err), &err);
    uint64_t x = 88172645463325252ull;
    for (int64_t n = 0; !__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE) || n < 3000; n++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t id = (int64_t)(x % 300);
        CHECK_OK(strom_writer_set_int(w, 0, id, &err), &err);
        if (x % 7 == 0) {
            CHECK_OK(strom_writer_end_delete(w, &err), &err);
            model[id].present = false;
        } else {
            CHECK_OK(strom_writer_set_int(w, 2, n, &err), &err);
            CHECK_OK(strom_writer_end_row(w, &err), &err);
            model[id] = (urow){true, "", true, n};
        }
        __atomic_add_fetch(&a->written, 1, __ATOMIC_RELEASE);
        if (n % 500 == 0)
            CHECK_OK(strom_writer_flush(w, &err), &err);
    }
    CHECK_OK(strom_writer_close(w, &err), &err);
    return NULL;
}

TEST(pk_snapshot_then_follow_has_no_gap_or_duplicate)
{
    make_pk_table("churn", STROM_MERGE_LAST_ROW);
    memset(model, 0, sizeof model);
    churn_arg a = {0, 0};
    pthread_t t;
    pthread_create(&t, NULL, churn, &a);
    while (__atomic_load_n(&a.written, __ATOMIC_ACQUIRE) < 1000)
        usleep(1000);
    strom_error err;
    strom_scanner *s;
    strom_scan_opts so;
    strom_scan_opts_default(&so);
    so.snapshot = true;
    so.follow = true;
    so.max_wait_ms = 100;
    so.max_bytes = 2048;
    CHECK_OK(strom_scanner_open(addr, NULL, "t", "churn", &so, &s, &err), &err);
    static urow fold[NUSERS];
    memset(fold, 0, sizeof fold);
    int64_t bad = 0, idle = 0, changes = 0;
    strom_result *r;
    int k;
    while ((k = strom_scanner_next(s, &r, &err)) >= 1) {
        if (k == 2) {
            if (__atomic_load_n(&a.stop, __ATOMIC_ACQUIRE) && ++idle >= 3)
                break;
            continue;
        }
        idle = 0;
        for (int64_t i = 0; i < strom_result_rows(r); i++) {
            int64_t id = strom_result_int(r, i, 0);
            strom_change ch = strom_result_change(r, i);
            urow *f = &fold[id];
            changes++;
            if (ch == STROM_ROW_UPDATE_BEFORE || ch == STROM_ROW_DELETE) {
                bad += !f->present || f->score != strom_result_int(r, i, 2);
                if (ch == STROM_ROW_DELETE)
                    f->present = false;
                continue;
            }
            bad += (ch == STROM_ROW_INSERT) == f->present;
            f->present = true;
            f->score = strom_result_int(r, i, 2);
        }
        strom_result_free(r);
        if (changes > 4000 && !__atomic_load_n(&a.stop, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&a.stop, 1, __ATOMIC_RELEASE);
            pthread_join(t, NULL);
        }
    }
    if (!__atomic_load_n(&a.stop, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&a.stop, 1, __ATOMIC_RELEASE);
        pthread_join(t, NULL);
    }
    CHECK(k >= 0);
    strom_scanner_close(s);
    for (int id = 0; id < 300; id++) {
        bad += fold[id].present != model[id].present;
        if (model[id].present)
            bad += fold[id].score != model[id].score;
    }
    CHECK_EQ(bad, 0);
    CHECK(changes > 4000);
}

int main(void)
{
    start();
    RUN_TEST(pipelined_requests_on_one_connection);
    RUN_TEST(bad_frames_get_errors_and_the_server_keeps_serving);
    RUN_TEST(produce_checks_records_and_dedups_retries);
    RUN_TEST(writer_and_scanner);
    RUN_TEST(scanner_as_arrow_stream);
    RUN_TEST(writer_batches_while_requests_are_in_flight);
    RUN_TEST(writer_wait_and_rows_of_fixed_width_columns);
    RUN_TEST(large_fetch_answers);
    RUN_TEST(refused_bucket_loses_nothing_of_the_others);
    RUN_TEST(scanner_falls_back_to_an_older_fetch_version);
    RUN_TEST(damaged_record_fails_the_scanner_for_good);
    RUN_TEST(overrunning_record_fails_after_the_records_before_it);
    RUN_TEST(paused_connection_resumes_when_another_frees_memory);
    RUN_TEST(half_closed_connection_gets_its_replies);
    RUN_TEST(long_poll_wakes_on_append);
    RUN_TEST(woken_filtered_fetch_reads_on_from_where_it_stopped);
    RUN_TEST(filtered_follow_through_a_backlog_does_not_wait);
    RUN_TEST(concurrent_writers);
    RUN_TEST(writer_takes_arrow_batches);
    RUN_TEST(writer_takes_the_printed_text_form);
    RUN_TEST(writer_resends_across_a_server_restart);
    RUN_TEST(pk_table_upserts_deletes_lookups_and_changelog);
    RUN_TEST(pk_snapshot_then_follow_has_no_gap_or_duplicate);
    stop();
    return TEST_EXIT();
}
