/*
 * test_crash_server.c: kill -9 of a real stromd process while a writer produces with durable
 * acknowledgements, then restart: every acknowledged row is there exactly once, rows sent but
 * not acknowledged are there at most once, nothing else is there. Several rounds on the same
 * data directory, each killed at a random moment. The log table is tiered every 100 ms and
 * retention deletes tiered segments every 100 ms, so kills land during tiering too: rows are
 * then counted by a union read (lake + log), which must hold each of them once.
 */
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "strom/client.h"
#include "test.h"

#define ROUNDS 8
#define ROUND_IDS 10000000LL

static char dir[512], logpath[600], addr[64];
static pid_t server_pid;

static void start_server(void)
{
    int before = 0;
    char *text;
    size_t n;
    if (strom_read_file(logpath, 1 << 24, &text, &n, NULL) == 0) {
        for (char *p = text; (p = strstr(p, "msg=\"listening\"")); p++)
            before++;
        free(text);
    }
    fflush(stdout); /* or the child's freopen would write our buffered lines again */
    fflush(stderr);
    server_pid = fork();
    if (server_pid == 0) {
        /* the log is where the port is read from; stdout must not keep ctest's pipe open */
        if (!freopen(logpath, "a", stderr) || !freopen("/dev/null", "w", stdout))
            _exit(127);
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
        execl(STROMD_PATH, "stromd", "-d", dir, "-l", "127.0.0.1:0", "-w", "4", "--set",
              "retention_check=100ms", "--set", "tier_read_grace=3s", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 400; i++) {
        if (strom_read_file(logpath, 1 << 24, &text, &n, NULL) == 0) {
            int seen = 0;
            char *last = NULL;
            for (char *p = text; (p = strstr(p, "msg=\"listening\"")); p++) {
                seen++;
                last = p;
            }
            if (seen > before && last) {
                char *a = strstr(last, "addr=");
                int port = 0;
                if (a && sscanf(a, "addr=127.0.0.1:%d", &port) == 1) {
                    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
                    free(text);
                    return;
                }
            }
            free(text);
        }
        struct timespec ts = {0, 25 * 1000000};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "stromd did not start (see %s)\n", logpath);
    kill(server_pid, SIGKILL);
    exit(1);
}

static void kill_server(int sig)
{
    kill(server_pid, sig);
    int st;
    waitpid(server_pid, &st, 0);
}

typedef struct round_state {
    int64_t base;
    int64_t sent, acked;
    int stop; /* atomic */
    bool pk;  /* the primary-key table */
} round_state;

#define PK_KEYS 997

/* A writer for one round, with durable acks and no retries (a killed server ends it):
 * table t gets rows (id, id * 7); table kv (`pk`) gets an increment of 1 for key id % PK_KEYS. */
static void *writer_thread(void *p)
{
    round_state *r = p;
    strom_client_opts co;
    strom_client_opts_default(&co);
    co.retries = 0;
    co.request_timeout_ms = 5000;
    strom_writer_opts wo;
    strom_writer_opts_default(&wo);
    wo.batch_bytes = r->pk ? 4 << 10 : 8 << 10;
    wo.linger_ms = r->pk ? 1 : 2;
    strom_writer *w;
    strom_error err;
    if (strom_writer_open(addr, &co, "crash", r->pk ? "kv" : "t", &wo, &w, &err) < 0)
        return NULL;
    for (int64_t i = 0; !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE); i++) {
        int64_t id = r->pk ? (r->base + i) % PK_KEYS : r->base + i;
        if (strom_writer_set_int(w, 0, id, &err) < 0 ||
            strom_writer_set_int(w, 1, r->pk ? 1 : i * 7, &err) < 0)
            break;
        int rc = strom_writer_end_row(w, &err);
        __atomic_store_n(&r->sent, i + 1, __ATOMIC_RELEASE);
        if (rc < 0) {
            if (getenv("STROM_TEST_VERBOSE"))
                fprintf(stderr, "writer stopped: %s\n", err.msg);
            break;
        }
        __atomic_store_n(&r->acked, strom_writer_rows_acked(w), __ATOMIC_RELEASE);
    }
    strom_writer_close(w, &err);
    return NULL;
}

/* Every row now on disk (lake + log), by id: each acknowledged one once, each sent one at
 * most once, nothing else. */
static void verify_rows(const round_state *rs, int round)
{
    strom_error err;
    /* every row now on disk, by id */
    int64_t nids = (round + 1) * ROUND_IDS;
    uint8_t *seen = calloc((size_t)nids, 1);
    strom_scanner *s;
    strom_scan_opts so;
    strom_scan_opts_default(&so);
    so.lake = true;
    CHECK_OK(strom_scanner_open(addr, NULL, "crash", "t", &so, &s, &err), &err);
    strom_result *res;
    int k, bad = 0;
    while ((k = strom_scanner_next(s, &res, &err)) == 1) {
        for (int64_t i = 0; i < strom_result_rows(res); i++) {
            int64_t id = strom_result_int(res, i, 0);
            if (id < 0 || id >= nids) {
                bad++;
                continue;
            }
            if (strom_result_int(res, i, 1) != (id % ROUND_IDS) * 7)
                bad++;
            if (seen[id] < 255)
                seen[id]++;
        }
        strom_result_free(res);
    }
    CHECK_EQ(k, 0);
    CHECK_EQ(bad, 0);
    strom_scanner_close(s);
    int missing = 0, dup = 0, extra = 0;
    for (int q = 0; q <= round; q++) {
        for (int64_t i = 0; i < ROUND_IDS; i++) {
            uint8_t n = seen[rs[q].base + i];
            if (i < rs[q].acked && n != 1)
                n == 0 ? missing++ : dup++;
            else if (i >= rs[q].acked && i < rs[q].sent && n > 1)
                dup++;
            else if (i >= rs[q].sent && n > 0)
                extra++;
        }
    }
    CHECK_EQ(missing, 0);
    CHECK_EQ(dup, 0);
    CHECK_EQ(extra, 0);
    free(seen);
}

TEST(kill_during_acknowledged_production)
{
    snprintf(dir, sizeof dir, "%s/crash-server", STROM_TEST_TMP);
    snprintf(logpath, sizeof logpath, "%s/crash-server.log", STROM_TEST_TMP);
    strom_error err;
    CHECK_OK(strom_mkdirs(STROM_TEST_TMP, &err), &err); /* a fresh build may not have it */
    strom_rmtree(dir, NULL);
    unlink(logpath);
    start_server();
    strom_client *c;
    CHECK_OK(strom_client_connect(addr, NULL, &c, &err), &err);
    CHECK_OK(strom_create_database(c, "crash", false, &err), &err);
    strom_table_desc d;
    strom_table_desc_init(&d);
    snprintf(d.database, sizeof d.database, "crash");
    snprintf(d.table, sizeof d.table, "t");
    d.schema = strom_schema_new(1);
    strom_schema_add(d.schema, "id", strom_type_of(STROM_TYPE_BIGINT), false, NULL);
    strom_schema_add(d.schema, "v", strom_type_of(STROM_TYPE_BIGINT), false, NULL);
    d.buckets = 3;
    d.segment_bytes = 256 << 10; /* several segments per bucket */
    d.retention_bytes = 256 << 10; /* ... deleted once tiered */
    d.tiering = true;
    d.tier_freshness_ms = 200;
    CHECK_OK(strom_create_table(c, &d, false, &err), &err);
    strom_table_desc_free(&d);
    strom_client_close(c);

    round_state rs[ROUNDS];
    srand((unsigned)time(NULL));
    int64_t total_acked = 0;
    for (int round = 0; round < ROUNDS; round++) {
        round_state *r = &rs[round];
        memset(r, 0, sizeof *r);
        r->base = round * ROUND_IDS;
        pthread_t t;
        pthread_create(&t, NULL, writer_thread, r);
        struct timespec ts = {0, (50 + rand() % 250) * 1000000L};
        nanosleep(&ts, NULL);
        kill_server(SIGKILL);
        __atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
        pthread_join(t, NULL);
        total_acked += r->acked;
        start_server();

        verify_rows(rs, round);
        printf("  round %d: %lld rows acknowledged before kill -9 (%lld sent); all there once\n",
               round, (long long)r->acked, (long long)r->sent);
    }
    CHECK(total_acked > 0);
    /* once the read grace has passed, retention deletes tiered segments: the rows are still
     * all there, from the lake */
    strom_client *c2;
    CHECK_OK(strom_client_connect(addr, NULL, &c2, &err), &err);
    int64_t earliest = 0;
    strom_table_desc td;
    CHECK_OK(strom_get_table(c2, "crash", "t", &td, &err), &err);
    for (int64_t until = strom_mono_ms() + 20000; earliest == 0 && strom_mono_ms() < until;) {
        struct timespec ts = {0, 200 * 1000000};
        nanosleep(&ts, NULL);
        for (uint32_t b = 0; b < td.buckets; b++) {
            int64_t e = 0;
            CHECK_OK(strom_list_offset(c2, &td, "", b, STROM_OFFSET_SPEC_EARLIEST, &e, &err),
                     &err);
            earliest += e;
        }
    }
    verify_rows(rs, ROUNDS - 1);
    char latest[2048];
    snprintf(latest, sizeof latest, "%s/snapshot/LATEST", td.lake_dir);
    char *text = NULL;
    size_t tn = 0;
    CHECK_OK(strom_read_file(latest, 64, &text, &tn, &err), &err);
    printf("  the lake is at snapshot %s; retention deleted the first %lld rows of the log\n",
           text ? text : "?", (long long)earliest);
    CHECK(earliest > 0);
    free(text);
    strom_table_desc_free(&td);
    strom_client_close(c2);
    kill_server(SIGTERM);
}

/* ---- a primary-key table: the state is the fold of the durable changelog --------------- */

/* Sums of cnt per key: from a snapshot of the state, or by folding the changelog. */
static void read_counts(bool snapshot, int64_t *cnt)
{
    memset(cnt, 0, sizeof(int64_t) * PK_KEYS);
    strom_error err;
    strom_scan_opts o;
    strom_scan_opts_default(&o);
    o.snapshot = snapshot;
    strom_scanner *s;
    CHECK_OK(strom_scanner_open(addr, NULL, "crash", "kv", &o, &s, &err), &err);
    strom_result *r;
    int k, bad = 0;
    while ((k = strom_scanner_next(s, &r, &err)) == 1) {
        for (int64_t i = 0; i < strom_result_rows(r); i++) {
            int64_t id = strom_result_int(r, i, 0), v = strom_result_int(r, i, 1);
            strom_change ch = strom_result_change(r, i);
            if (id < 0 || id >= PK_KEYS) {
                bad++;
                continue;
            }
            if (ch == STROM_ROW_UPDATE_BEFORE)
                bad += cnt[id] != v; /* the before image is what the fold holds */
            else if (ch == STROM_ROW_INSERT || ch == STROM_ROW_UPDATE_AFTER)
                cnt[id] = v;
            else
                bad++; /* nothing is deleted in this test */
        }
        strom_result_free(r);
    }
    CHECK_EQ(k, 0);
    CHECK_EQ(bad, 0);
    strom_scanner_close(s);
}

TEST(kill_during_primary_key_writes)
{
    strom_error err;
    start_server();
    strom_client *c;
    CHECK_OK(strom_client_connect(addr, NULL, &c, &err), &err);
    strom_table_desc d;
    strom_table_desc_init(&d);
    snprintf(d.database, sizeof d.database, "crash");
    snprintf(d.table, sizeof d.table, "kv");
    d.schema = strom_schema_new(1);
    strom_schema_add(d.schema, "id", strom_type_of(STROM_TYPE_BIGINT), false, NULL);
    strom_schema_add(d.schema, "cnt", strom_type_of(STROM_TYPE_BIGINT), true, NULL);
    d.buckets = 2;
    d.npk = 1;
    d.pk = malloc(sizeof(int));
    d.pk[0] = 0;
    d.merge_engine = STROM_MERGE_AGGREGATE; /* cnt sums: every increment counts exactly once */
    d.nagg = 2;
    d.agg = calloc(2, 1);
    d.agg[1] = STROM_AGG_SUM;
    CHECK_OK(strom_create_table(c, &d, false, &err), &err);
    strom_table_desc_free(&d);
    strom_client_close(c);
    int64_t acked = 0, sent = 0;
    static int64_t state[PK_KEYS], fold[PK_KEYS];
    for (int round = 0; round < 5; round++) {
        round_state r;
        memset(&r, 0, sizeof r);
        r.base = round * 7919;
        r.pk = true;
        pthread_t t;
        pthread_create(&t, NULL, writer_thread, &r);
        struct timespec ts = {0, (80 + rand() % 250) * 1000000L};
        nanosleep(&ts, NULL);
        kill_server(SIGKILL);
        __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
        pthread_join(t, NULL);
        acked += r.acked;
        sent += r.sent;
        start_server();
        read_counts(true, state);
        read_counts(false, fold);
        int64_t total = 0, differ = 0;
        for (int k = 0; k < PK_KEYS; k++) {
            total += state[k];
            differ += state[k] != fold[k];
        }
        CHECK_EQ(differ, 0);      /* the state is the fold of the changelog */
        CHECK(total >= acked);    /* every acknowledged increment is there... */
        CHECK(total <= sent);     /* ... and none twice */
        printf("  round %d: %lld increments acknowledged in all (%lld sent), %lld applied; "
               "state = changelog fold\n", round, (long long)acked, (long long)sent,
               (long long)total);
        acked = sent = total; /* unacknowledged ones that made it count from here on */
    }
    CHECK(acked > 0);
    kill_server(SIGTERM);
}

int main(void)
{
    RUN_TEST(kill_during_acknowledged_production);
    RUN_TEST(kill_during_primary_key_writes);
    return TEST_EXIT();
}
