/*
 * bench_server.c: strom-bench, the server benchmark: the same rows through stromd (libstrom),
 * Redis Streams (hiredis) and NATS JetStream (libnats), one system and one phase per run;
 * bench/server_bench.sh starts the servers and runs every combination side by side.
 *
 *   strom-bench strom ADDR  produce --rows N --producers P
 *   strom-bench strom ADDR  consume --mode full|project|filter|project-filter
 *   strom-bench strom ADDR  latency --rate R --seconds S
 *   (redis HOST:PORT and nats URL take the same phases; they cannot project or filter on the
 *    server, so their reads are always full)
 *
 * Rows: 20 BIGINT columns (160 bytes of values): c0 = id, c1 = id * 7919 % 100 (the filter
 * `c1 = 7` keeps 1%), c2 = the send time (ns, CLOCK_MONOTONIC: latency), c3..c19 = id * k.
 * Redis and NATS carry the same 160 bytes as one binary value per entry / message (their most
 * compact form). Each run prints one line of JSON with its measurements.
 */
#include <hiredis/hiredis.h>
#include <fcntl.h>
#include <inttypes.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_received */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "strom/client.h"

#define NCOLS 20
#define ROW_BYTES (NCOLS * 8)

static void make_row(int64_t id, int64_t *v)
{
    v[0] = id;
    v[1] = (id * 7919) % 100;
    v[2] = now_ns();
    for (int c = 3; c < NCOLS; c++)
        v[c] = id * c;
}

/* Latency runs start with WARMUP_S seconds of rows that are not counted: the first writes
 * of a new table or stream create its files (strom: one segment per bucket), which is not
 * the steady state the percentiles describe. */
#define WARMUP_S 0.5

static void print_latency(const char *sys, int64_t *lat, int64_t n, double rate, double secs)
{
    double achieved = secs > 0 ? (double)n / secs : 0;
    int64_t skip = (int64_t)(rate * WARMUP_S) < n ? (int64_t)(rate * WARMUP_S) : n;
    lat += skip;
    n -= skip;
    qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
    printf("{\"system\":\"%s\",\"phase\":\"latency\",\"rate\":%.0f,\"achieved_rows_s\":%.0f,"
           "\"warmup_s\":%.1f,\"samples\":%" PRId64 ",\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,"
           "\"max_us\":%.1f}\n",
           sys, rate, achieved, WARMUP_S, n, per_mille_us(lat, n, 500, 1),
           per_mille_us(lat, n, 990, 1), per_mille_us(lat, n, 999, 1),
           n ? (double)lat[n - 1] / 1e3 : 0);
}

/* The process's CPU time so far (user + system), seconds. */
static double cpu_secs(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/* ---- strom ------------------------------------------------------------------------------ */

static const char *g_addr;

static void die_msg(const char *what, const char *msg)
{
    fprintf(stderr, "strom-bench: %s: %s\n", what, msg ? msg : "");
    exit(1);
}

static void die(const char *what, const strom_error *e)
{
    die_msg(what, e ? e->msg : NULL);
}

/* The 20-column table `name` (4 buckets): t20 for throughput, lat20 for latency. */
static void strom_table(strom_client *c, const char *name)
{
    strom_error err;
    strom_table_desc d;
    strom_table_desc_init(&d);
    snprintf(d.database, sizeof d.database, "bench");
    snprintf(d.table, sizeof d.table, "%s", name);
    d.schema = strom_schema_new(1);
    for (int i = 0; i < NCOLS; i++) {
        char col[8];
        snprintf(col, sizeof col, "c%d", i);
        strom_schema_add(d.schema, col, strom_type_of(STROM_TYPE_BIGINT), false, NULL);
    }
    d.buckets = 4;
    if (strom_create_table(c, &d, true, &err) < 0)
        die("create table", &err);
    strom_table_desc_free(&d);
}

static void strom_setup(void)
{
    strom_client *c;
    strom_error err;
    if (strom_client_connect(g_addr, NULL, &c, &err) < 0)
        die("connect", &err);
    strom_create_database(c, "bench", true, &err);
    strom_table(c, "t20");
    strom_table(c, "lat20");
    strom_client_close(c);
}

typedef struct prod_arg {
    int64_t first, n;
    const char *target;
} prod_arg;

/* ---- an Arrow batch of the 20 columns (what an Arrow-native producer hands over) ---- */

#define ARROW_ROWS 8192

typedef struct abatch {
    struct ArrowArray top, kids[NCOLS], *kidp[NCOLS];
    const void *bufs[NCOLS][2];
    const void *topbuf[1];
    int64_t *cols[NCOLS];
} abatch;

static void abatch_release_child(struct ArrowArray *a)
{
    a->release = NULL;
}

static void abatch_release(struct ArrowArray *a)
{
    abatch *b = a->private_data;
    for (int c = 0; c < NCOLS; c++)
        if (b->kids[c].release)
            b->kids[c].release(&b->kids[c]);
    a->release = NULL;
}

static abatch *abatch_new(void)
{
    abatch *b = calloc(1, sizeof *b);
    for (int c = 0; c < NCOLS; c++)
        b->cols[c] = malloc(sizeof(int64_t) * ARROW_ROWS);
    return b;
}

/* Fills rows first..first+n-1 and (re)arms the array. */
static void abatch_fill(abatch *b, int64_t first, int64_t n)
{
    int64_t v[NCOLS];
    for (int64_t i = 0; i < n; i++) {
        make_row(first + i, v);
        for (int c = 0; c < NCOLS; c++)
            b->cols[c][i] = v[c];
    }
    for (int c = 0; c < NCOLS; c++) {
        b->bufs[c][0] = NULL;
        b->bufs[c][1] = b->cols[c];
        b->kids[c] = (struct ArrowArray){n, 0, 0, 2, 0, b->bufs[c], NULL, NULL,
                                          abatch_release_child, NULL};
        b->kidp[c] = &b->kids[c];
    }
    b->topbuf[0] = NULL;
    b->top = (struct ArrowArray){n, 0, 0, 1, NCOLS, b->topbuf, b->kidp, NULL, abatch_release, b};
}

static struct ArrowSchema g_kid_schema[NCOLS], *g_kid_schemap[NCOLS], g_schema;
static char g_names[NCOLS][8];

static void arrow_schema_init(void)
{
    for (int c = 0; c < NCOLS; c++) {
        snprintf(g_names[c], sizeof g_names[c], "c%d", c);
        g_kid_schema[c] = (struct ArrowSchema){"l", g_names[c], NULL, 0, 0, NULL, NULL, NULL, NULL};
        g_kid_schemap[c] = &g_kid_schema[c];
    }
    g_schema = (struct ArrowSchema){"+s", "", NULL, 0, NCOLS, g_kid_schemap, NULL, NULL, NULL};
}

static bool g_arrow_api;
static int g_in_flight = 8; /* latency: the writer's max_in_flight */

static void *strom_producer_arrow(prod_arg *a)
{
    strom_writer *w;
    strom_error err;
    strom_writer_opts o;
    strom_writer_opts_default(&o);
    if (strom_writer_open(g_addr, NULL, "bench", "t20", &o, &w, &err) < 0)
        die("writer", &err);
    abatch *b = abatch_new();
    for (int64_t id = a->first; id < a->first + a->n; id += ARROW_ROWS) {
        int64_t n = a->first + a->n - id < ARROW_ROWS ? a->first + a->n - id : ARROW_ROWS;
        abatch_fill(b, id, n);
        if (strom_writer_write_arrow(w, &b->top, &g_schema, &err) < 0)
            die("write", &err);
    }
    if (strom_writer_close(w, &err) < 0)
        die("close", &err);
    for (int c = 0; c < NCOLS; c++)
        free(b->cols[c]);
    free(b);
    return NULL;
}

static void *strom_producer(void *p)
{
    prod_arg *a = p;
    if (g_arrow_api)
        return strom_producer_arrow(a);
    strom_writer *w;
    strom_error err;
    strom_writer_opts o;
    strom_writer_opts_default(&o);
    if (strom_writer_open(g_addr, NULL, "bench", "t20", &o, &w, &err) < 0)
        die("writer", &err);
    int64_t v[NCOLS];
    for (int64_t id = a->first; id < a->first + a->n; id++) {
        make_row(id, v);
        for (int c = 0; c < NCOLS; c++)
            strom_writer_set_int(w, c, v[c], &err);
        if (strom_writer_end_row(w, &err) < 0)
            die("write", &err);
    }
    if (strom_writer_close(w, &err) < 0)
        die("close", &err);
    return NULL;
}

static uint32_t g_fetch_bytes; /* consume: the scanner's bytes per Fetch (0: its default) */
static const char *g_table = "t20"; /* consume: the table read (lat20: the latency run's) */

static void strom_consume(const char *mode)
{
    strom_scanner *s;
    strom_error err;
    strom_scan_opts o;
    strom_scan_opts_default(&o);
    if (g_fetch_bytes)
        o.max_bytes = g_fetch_bytes;
    const char *cols[] = {"c0", "c1"};
    if (!strcmp(mode, "project")) {
        o.columns = cols;
        o.ncolumns = 2;
    } else if (!strcmp(mode, "filter")) {
        o.where = "c1 = 7";
    } else if (!strcmp(mode, "project-filter")) { /* c0 and c2 of the rows with c1 = 7 */
        cols[1] = "c2";
        o.columns = cols;
        o.ncolumns = 2;
        o.where = "c1 = 7";
    }
    int64_t rows = 0, sum = 0;
    if (strom_scanner_open(g_addr, NULL, "bench", g_table, &o, &s, &err) < 0)
        die("scanner", &err);
    int64_t t0 = now_ns(); /* after the set-up round trips (table, offsets): the read itself */
    double cpu0 = cpu_secs();
    int64_t t_first = 0, batches = 0; /* when the first batch was out: the fixed part */
    /* as an Arrow consumer would: an ArrowArrayStream (the schema once, then the batches
     * through the C Data Interface), column by column */
    struct ArrowArrayStream st;
    struct ArrowSchema sc;
    if (strom_scanner_export_stream(s, &st, &err) < 0)
        die("stream", &err);
    if (st.get_schema(&st, &sc) != 0)
        die_msg("stream schema", st.get_last_error(&st));
    sc.release(&sc);
    for (;;) {
        struct ArrowArray a;
        if (st.get_next(&st, &a) != 0)
            die_msg("scan", st.get_last_error(&st));
        if (!a.release)
            break;
        batches++;
        if (!t_first)
            t_first = now_ns();
        const int64_t *c0 = a.children[0]->buffers[1];
        for (int64_t i = 0; i < a.length; i++)
            sum += c0[i];
        rows += a.length;
        a.release(&a);
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    double cpu = cpu_secs() - cpu0;
    uint64_t got, full;
    strom_scanner_bytes(s, &got, &full);
    st.release(&st); /* closes the scanner */
    printf("{\"system\":\"strom\",\"phase\":\"consume\",\"mode\":\"%s\",\"rows\":%" PRId64
           ",\"batches\":%" PRId64 ",\"secs\":%.3f,\"first_s\":%.4f,\"cpu_s\":%.3f"
           ",\"rows_s\":%.0f,\"wire_bytes\":%" PRIu64
           ",\"stored_bytes\":%" PRIu64 ",\"checksum\":%" PRId64 "}\n",
           mode, rows, batches, secs, t_first ? (double)(t_first - t0) / 1e9 : 0.0, cpu,
           (double)rows / secs, got, full, sum);
}

typedef struct lat_state {
    int64_t *lat;
    int64_t n, cap, expect;
    volatile int ready, done;
} lat_state;

static void *strom_follower(void *p)
{
    lat_state *ls = p;
    strom_scanner *s;
    strom_error err;
    strom_scan_opts o;
    strom_scan_opts_default(&o);
    o.start = STROM_START_LATEST;
    o.follow = true;
    o.max_wait_ms = 200;
    const char *cols[] = {"c2"};
    o.columns = cols;
    o.ncolumns = 1;
    if (strom_scanner_open(g_addr, NULL, "bench", "lat20", &o, &s, &err) < 0)
        die("follower", &err);
    ls->ready = 1;
    strom_result *r;
    int k;
    while (ls->n < ls->expect && !ls->done && (k = strom_scanner_next(s, &r, &err)) >= 1) {
        if (k == 2)
            continue;
        int64_t t = now_ns();
        for (int64_t i = 0; i < strom_result_rows(r) && ls->n < ls->cap; i++)
            ls->lat[ls->n++] = t - strom_result_int(r, i, 0);
        strom_result_free(r);
    }
    strom_scanner_close(s);
    return NULL;
}

static void strom_latency(double rate, double seconds)
{
    lat_state ls = {0};
    ls.expect = ls.cap = (int64_t)(rate * (seconds + WARMUP_S));
    ls.lat = malloc(sizeof(int64_t) * (size_t)ls.cap);
    pthread_t t;
    pthread_create(&t, NULL, strom_follower, &ls);
    while (!ls.ready)
        sleep_until(now_ns() + 1000000);
    strom_writer *w;
    strom_error err;
    strom_writer_opts o;
    strom_writer_opts_default(&o);
    o.linger_ms = 0; /* every row is due at once and acknowledged when durable */
    o.max_in_flight = g_in_flight; /* rows wait in the open batch while all slots are taken */
    if (strom_writer_open(g_addr, NULL, "bench", "lat20", &o, &w, &err) < 0)
        die("writer", &err);
    int64_t v[NCOLS], t0 = now_ns(), step = (int64_t)(1e9 / rate);
    for (int64_t i = 0; i < ls.expect; i++) {
        /* until the row is due, settle acknowledgements as they come: rows that collected
         * while the request slot was taken leave at once, not with the next row */
        int64_t at = t0 + i * step;
        for (int64_t tn; (tn = now_ns()) < at;) {
            if (strom_writer_wait(w, (at - tn) / 1000, &err) < 0)
                die("write", &err);
            if (strom_writer_rows_pending(w) == 0) {
                sleep_until(at);
                break;
            }
        }
        make_row(i, v);
        for (int c = 0; c < NCOLS; c++)
            strom_writer_set_int(w, c, v[c], &err);
        if (strom_writer_end_row(w, &err) < 0)
            die("write", &err);
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    strom_writer_close(w, &err);
    int64_t deadline = now_ns() + 5000000000LL;
    while (ls.n < ls.expect && now_ns() < deadline)
        sleep_until(now_ns() + 1000000);
    ls.done = 1;
    pthread_join(t, NULL);
    print_latency("strom", ls.lat, ls.n, rate, secs);
    free(ls.lat);
}

/* ---- redis ------------------------------------------------------------------------------- */

static char g_host[256];
static int g_port;

static redisContext *redis_connect(void)
{
    return bench_redis_connect(g_host, g_port);
}

static void *redis_producer(void *p)
{
    prod_arg *a = p;
    redisContext *c = redis_connect();
    int64_t v[NCOLS];
    const int depth = 1000;
    for (int64_t id = a->first; id < a->first + a->n;) {
        int k = 0;
        for (; k < depth && id < a->first + a->n; k++, id++) {
            make_row(id, v);
            redisAppendCommand(c, "XADD bench * r %b", (const char *)v, (size_t)ROW_BYTES);
        }
        for (int i = 0; i < k; i++) {
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK || r->type == REDIS_REPLY_ERROR) {
                fprintf(stderr, "strom-bench: XADD failed\n");
                exit(1);
            }
            freeReplyObject(r);
        }
    }
    redisFree(c);
    return NULL;
}

static uint64_t tcp_bytes_received(int fd)
{
    struct tcp_info ti;
    socklen_t l = sizeof ti;
    memset(&ti, 0, sizeof ti);
    getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l);
    return ti.tcpi_bytes_received;
}

static void redis_consume(void)
{
    redisContext *c = redis_connect();
    int64_t t0 = now_ns(), rows = 0, sum = 0;
    char last[64] = "-";
    for (;;) {
        redisReply *r = redisCommand(c, "XRANGE bench %s + COUNT 10000", last);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            fprintf(stderr, "strom-bench: XRANGE failed\n");
            exit(1);
        }
        size_t n = r->elements;
        for (size_t i = 0; i < n; i++) {
            redisReply *e = r->element[i];
            redisReply *fields = e->element[1];
            int64_t v0;
            memcpy(&v0, fields->element[1]->str, 8);
            sum += v0;
            if (i == n - 1)
                snprintf(last, sizeof last, "(%s", e->element[0]->str);
        }
        rows += (int64_t)n;
        freeReplyObject(r);
        if (n < 10000)
            break;
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    printf("{\"system\":\"redis\",\"phase\":\"consume\",\"mode\":\"full\",\"rows\":%" PRId64
           ",\"secs\":%.3f,\"rows_s\":%.0f,\"wire_bytes\":%" PRIu64 ",\"checksum\":%" PRId64 "}\n",
           rows, secs, (double)rows / secs, tcp_bytes_received(c->fd), sum);
    redisFree(c);
}

static void *redis_follower(void *p)
{
    lat_state *ls = p;
    redisContext *c = redis_connect();
    char last[64] = "$";
    ls->ready = 1;
    while (ls->n < ls->expect && !ls->done) {
        redisReply *r = redisCommand(c, "XREAD BLOCK 200 STREAMS lat %s", last);
        int64_t t = now_ns();
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
            redisReply *entries = r->element[0]->element[1];
            for (size_t i = 0; i < entries->elements && ls->n < ls->cap; i++) {
                redisReply *e = entries->element[i];
                int64_t v[NCOLS];
                memcpy(v, e->element[1]->element[1]->str, ROW_BYTES);
                ls->lat[ls->n++] = t - v[2];
                snprintf(last, sizeof last, "%s", e->element[0]->str);
            }
        }
        freeReplyObject(r);
    }
    redisFree(c);
    return NULL;
}

static void redis_latency(double rate, double seconds)
{
    lat_state ls = {0};
    ls.expect = ls.cap = (int64_t)(rate * (seconds + WARMUP_S));
    ls.lat = malloc(sizeof(int64_t) * (size_t)ls.cap);
    pthread_t t;
    pthread_create(&t, NULL, redis_follower, &ls);
    while (!ls.ready)
        sleep_until(now_ns() + 1000000);
    sleep_until(now_ns() + 50000000);
    redisContext *c = redis_connect();
    int64_t v[NCOLS], t0 = now_ns(), step = (int64_t)(1e9 / rate);
    for (int64_t i = 0; i < ls.expect; i++) {
        sleep_until(t0 + i * step);
        make_row(i, v);
        redisReply *r = redisCommand(c, "XADD lat * r %b", (const char *)v, (size_t)ROW_BYTES);
        freeReplyObject(r);
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    int64_t deadline = now_ns() + 5000000000LL;
    while (ls.n < ls.expect && now_ns() < deadline)
        sleep_until(now_ns() + 1000000);
    ls.done = 1;
    pthread_join(t, NULL);
    redisFree(c);
    print_latency("redis", ls.lat, ls.n, rate, secs);
    free(ls.lat);
}

/* ---- NATS JetStream -------------------------------------------------------------------------- */

static const char *g_url;

static void nats_check(natsStatus s, const char *what)
{
    if (s != NATS_OK) {
        fprintf(stderr, "strom-bench: nats %s: %s\n", what, natsStatus_GetText(s));
        exit(1);
    }
}

static void nats_open(natsConnection **nc, jsCtx **js)
{
    nats_check(natsConnection_ConnectTo(nc, g_url), "connect");
    jsOptions o;
    jsOptions_Init(&o);
    o.PublishAsync.MaxPending = 8192;
    nats_check(natsConnection_JetStream(js, *nc, &o), "jetstream");
}

static void nats_setup(const char *name, const char *subject)
{
    natsConnection *nc;
    jsCtx *js;
    nats_open(&nc, &js);
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = name;
    const char *subs[] = {subject};
    sc.Subjects = subs;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    jsErrCode je;
    jsStreamInfo *si = NULL;
    natsStatus s = js_AddStream(&si, js, &sc, NULL, &je);
    if (s != NATS_OK && je != JSStreamNameExistErr)
        nats_check(s, "add stream");
    jsStreamInfo_Destroy(si);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
}

static void *nats_producer(void *p)
{
    prod_arg *a = p;
    natsConnection *nc;
    jsCtx *js;
    nats_open(&nc, &js);
    int64_t v[NCOLS];
    for (int64_t id = a->first; id < a->first + a->n; id++) {
        make_row(id, v);
        nats_check(js_PublishAsync(js, "bench.t20", v, ROW_BYTES, NULL), "publish");
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 60000;
    nats_check(js_PublishAsyncComplete(js, &po), "publish complete");
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return NULL;
}

static void nats_consume(void)
{
    natsConnection *nc;
    jsCtx *js;
    nats_open(&nc, &js);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.AckPolicy = js_AckNone;
    so.Config.DeliverPolicy = js_DeliverAll;
    natsSubscription *sub;
    jsErrCode je;
    char durable[64];
    snprintf(durable, sizeof durable, "c%lld", (long long)(now_ns() % 1000000000));
    nats_check(js_PullSubscribe(&sub, js, "bench.t20", durable, NULL, &so, &je), "pull subscribe");
    int64_t t0 = now_ns(), rows = 0, sum = 0;
    uint64_t bytes = 0;
    for (;;) {
        natsMsgList list = {0};
        natsStatus s = natsSubscription_Fetch(&list, sub, 1000, 500, &je);
        if (s == NATS_TIMEOUT)
            break;
        nats_check(s, "fetch");
        for (int i = 0; i < list.Count; i++) {
            int64_t v0;
            memcpy(&v0, natsMsg_GetData(list.Msgs[i]), 8);
            sum += v0;
            bytes += (uint64_t)natsMsg_GetDataLength(list.Msgs[i]);
        }
        rows += list.Count;
        natsMsgList_Destroy(&list);
    }
    double secs = (double)(now_ns() - t0) / 1e9 - 0.5; /* the final fetch timed out */
    printf("{\"system\":\"nats\",\"phase\":\"consume\",\"mode\":\"full\",\"rows\":%" PRId64
           ",\"secs\":%.3f,\"rows_s\":%.0f,\"wire_bytes_min\":%" PRIu64 ",\"checksum\":%" PRId64
           "}\n",
           rows, secs, (double)rows / secs, bytes, sum);
    natsSubscription_Destroy(sub);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
}

static void nats_latency(double rate, double seconds)
{
    natsConnection *nc;
    jsCtx *js;
    nats_open(&nc, &js);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.AckPolicy = js_AckNone;
    so.Config.DeliverPolicy = js_DeliverNew;
    natsSubscription *sub;
    jsErrCode je;
    nats_check(js_SubscribeSync(&sub, js, "lat.t20", NULL, &so, &je), "subscribe");
    natsConnection *pc;
    jsCtx *pjs;
    nats_open(&pc, &pjs);
    int64_t n = (int64_t)(rate * (seconds + WARMUP_S)), got = 0;
    int64_t *lat = malloc(sizeof(int64_t) * (size_t)n);
    int64_t v[NCOLS], t0 = now_ns(), step = (int64_t)(1e9 / rate);
    /* the publisher paces itself on its own thread of control: publish, then read what
     * arrived; the subscription buffers deliveries in the client meanwhile */
    for (int64_t i = 0; i < n; i++) {
        sleep_until(t0 + i * step);
        make_row(i, v);
        jsPubAck *pa = NULL;
        nats_check(js_Publish(&pa, pjs, "lat.t20", v, ROW_BYTES, NULL, &je), "publish");
        jsPubAck_Destroy(pa);
        natsMsg *m;
        while (natsSubscription_NextMsg(&m, sub, 0) == NATS_OK) {
            int64_t row[NCOLS];
            memcpy(row, natsMsg_GetData(m), ROW_BYTES);
            lat[got++] = now_ns() - row[2];
            natsMsg_Destroy(m);
        }
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    natsMsg *m;
    while (got < n && natsSubscription_NextMsg(&m, sub, 1000) == NATS_OK) {
        int64_t row[NCOLS];
        memcpy(row, natsMsg_GetData(m), ROW_BYTES);
        lat[got++] = now_ns() - row[2];
        natsMsg_Destroy(m);
    }
    print_latency("nats", lat, got, rate, secs);
    free(lat);
    natsSubscription_Destroy(sub);
    jsCtx_Destroy(pjs);
    natsConnection_Destroy(pc);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
}

/* ---- main ------------------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: strom-bench SYSTEM ADDR PHASE [options]\n"
            "  SYSTEM ADDR: strom HOST:PORT | redis HOST:PORT | nats nats://HOST:PORT\n"
            "  PHASE: produce [--rows N] [--producers P] [--api rows|arrow] (strom: row setters,\n"
            "                 or 8192-row Arrow batches through the C Data Interface)\n"
            "         consume [--mode full|project|filter|project-filter] (project: c0, c1;\n"
            "                 filter: c1 = 7; project-filter: c0, c2 where c1 = 7)\n"
            "                 [--repeat N] (strom: N reads, one line each, in one process)\n"
            "                 [--fetch-bytes B] (strom: bytes per Fetch, default the\n"
            "                 scanner's) [--table t20|lat20] (strom: the table read; lat20\n"
            "                 holds the latency run's small records)\n"
            "         latency [--rate ROWS_PER_S] [--seconds S] [--in-flight N] (after 0.5 s of\n"
            "                 rows not counted; strom: Produce\n"
            "                 requests in flight; rows written meanwhile join the next batch)\n"
            "       strom-bench settle DIR   (waits until fsyncs in DIR stop stalling)\n"
            "bench/server_bench.sh starts the three servers and runs every phase.\n");
    exit(2);
}

/* Waits until durable appends in dir stop stalling: after a large delete (the previous
 * run's files) some virtual disks keep pausing fsyncs for tens of ms, now and then, for a
 * minute or more. Done when ten 1-second rounds of 1 KiB append + fdatasync in a row
 * have no fsync over 5 ms; gives up (and says so) after max_s seconds. */
static int settle(const char *dir, int max_s)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/settle.tmp", dir);
    uint8_t buf[1024];
    memset(buf, 1, sizeof buf);
    int64_t start = now_ns();
    int calm = 0;
    while (calm < 10 && now_ns() - start < (int64_t)max_s * 1000000000) {
        int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
        if (fd < 0)
            return 1;
        int64_t t0 = now_ns(), worst = 0;
        for (off_t pos = 0; now_ns() - t0 < 1000000000; pos += (off_t)sizeof buf) {
            int64_t t = now_ns();
            if (pwrite(fd, buf, sizeof buf, pos) != (ssize_t)sizeof buf || fdatasync(fd) != 0)
                break;
            worst = now_ns() - t > worst ? now_ns() - t : worst;
        }
        close(fd);
        calm = worst < 5000000 ? calm + 1 : 0;
    }
    unlink(path);
    fprintf(stderr, "# settle: %s after %.0f s\n", calm >= 10 ? "calm" : "still stalling",
            (double)(now_ns() - start) / 1e9);
    return 0;
}

int main(int argc, char **argv)
{
    prctl(PR_SET_TIMERSLACK, 1UL); /* wake on time: the pacing of the latency runs */
    if (argc == 3 && !strcmp(argv[1], "settle"))
        return settle(argv[2], 180);
    if (argc < 4)
        usage();
    const char *sys = argv[1], *addr = argv[2], *phase = argv[3], *mode = "full";
    int64_t rows = 1000000;
    int producers = 1, repeat = 1;
    double rate = 10000, seconds = 5;
    for (int i = 4; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rows"))
            rows = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--producers"))
            producers = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--mode"))
            mode = argv[i + 1];
        else if (!strcmp(argv[i], "--rate"))
            rate = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--table"))
            g_table = argv[i + 1];
        else if (!strcmp(argv[i], "--fetch-bytes"))
            g_fetch_bytes = (uint32_t)atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--repeat"))
            repeat = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--in-flight"))
            g_in_flight = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--api"))
            g_arrow_api = !strcmp(argv[i + 1], "arrow");
        else
            usage();
    }
    if (producers < 1 || producers > 64 || repeat < 1 || rows < 1 || rate <= 0 || seconds <= 0)
        usage();
    if (strcmp(mode, "full") && strcmp(mode, "project") && strcmp(mode, "filter") &&
        strcmp(mode, "project-filter"))
        usage();
    bool is_strom = !strcmp(sys, "strom"), is_redis = !strcmp(sys, "redis"),
         is_nats = !strcmp(sys, "nats");
    if (!is_strom && !is_redis && !is_nats)
        usage();
    g_addr = addr;
    g_url = addr;
    if (is_redis) {
        const char *colon = strrchr(addr, ':');
        if (!colon)
            usage();
        snprintf(g_host, sizeof g_host, "%.*s", (int)(colon - addr), addr);
        g_port = atoi(colon + 1);
    }
    arrow_schema_init();
    if (is_strom)
        strom_setup();
    if (is_nats) {
        nats_setup("BENCH", "bench.t20");
        nats_setup("LAT", "lat.t20");
    }
    if (!strcmp(phase, "produce")) {
        pthread_t t[64];
        prod_arg a[64];
        int64_t t0 = now_ns();
        for (int i = 0; i < producers; i++) {
            a[i].first = i * (rows / producers);
            a[i].n = rows / producers;
            pthread_create(&t[i], NULL,
                           is_strom ? strom_producer : is_redis ? redis_producer : nats_producer,
                           &a[i]);
        }
        for (int i = 0; i < producers; i++)
            pthread_join(t[i], NULL);
        double secs = (double)(now_ns() - t0) / 1e9;
        int64_t n = rows / producers * producers;
        printf("{\"system\":\"%s%s\",\"phase\":\"produce\",\"producers\":%d,\"rows\":%" PRId64
               ",\"secs\":%.3f,\"rows_s\":%.0f,\"mb_s\":%.1f}\n",
               sys, is_strom && g_arrow_api ? "-arrow" : "", producers, n, secs, (double)n / secs,
               (double)n * ROW_BYTES / secs / 1e6);
    } else if (!strcmp(phase, "consume")) {
        for (int i = 0; is_strom && i < repeat; i++)
            strom_consume(mode);
        if (is_redis)
            redis_consume();
        else if (is_nats)
            nats_consume();
    } else if (!strcmp(phase, "latency")) {
        if (is_strom)
            strom_latency(rate, seconds);
        else if (is_redis)
            redis_latency(rate, seconds);
        else
            nats_latency(rate, seconds);
    } else {
        usage();
    }
    if (is_nats)
        nats_Close();
    return 0;
}
