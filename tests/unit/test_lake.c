/*
 * test_lake.c: tiering and union reads against stromd in-process: the same query before
 * tiering, half way, after tiering, after a column was added and after log retention deleted
 * tiered segments returns the same rows; a streaming union read while writers write and the
 * tiering service runs sees every row once; primary-key tables (upserts and deletes, tiered
 * now and then) read as their current state by key, and followed, state then changes fold to
 * the model; refused and damaged cases give clear errors.
 * DuckDB reading the tiered files is in tests/interop/paimon.mjs; kill -9 during tiering in
 * test_crash_server.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inproc_server.h"
#include "lake/paimon.h"
#include "server/catalog.h"
#include "strom/client.h"

#define MAXROWS 20000

static void tune(srv_config *cfg)
{
    cfg->tier_freshness_ms = 86400000; /* the service runs once at start and when kicked */
    cfg->tier_read_grace_ms = 0;       /* retention may delete what was just tiered */
    cfg->tier_threads = 2;             /* buckets tiered in parallel */
}

/* id BIGINT, region STRING (partition), amount DOUBLE, note STRING; 2 buckets by id. */
static void make_table(const char *name, bool tiering, int64_t freshness, int64_t seg_bytes)
{
    strom_table_desc d = test_desc(name);
    strom_schema_add(d.schema, "id", strom_type_of(STROM_TYPE_BIGINT), false, NULL);
    strom_schema_add(d.schema, "region", strom_type_of(STROM_TYPE_STRING), false, NULL);
    strom_schema_add(d.schema, "amount", strom_type_of(STROM_TYPE_DOUBLE), true, NULL);
    strom_schema_add(d.schema, "note", strom_type_of(STROM_TYPE_STRING), true, NULL);
    d.buckets = 2;
    d.nbucket_key = 1;
    d.bucket_key = malloc(sizeof(int));
    d.bucket_key[0] = 0;
    d.partition_col = 1;
    d.tiering = tiering;
    d.tier_freshness_ms = freshness;
    d.segment_bytes = seg_bytes;
    d.retention_bytes = seg_bytes;
    test_create(&d);
}

static double amount_of(int64_t id) { return (double)(id % 1000) / 4; }

/* Writes ids [first, first + n); `extra` sets the column added later (index 4). */
static void write_ids(const char *table, int64_t first, int64_t n, bool extra)
{
    strom_error err;
    strom_writer *w;
    strom_writer_opts o;
    strom_writer_opts_default(&o);
    o.batch_bytes = 8 << 10;
    CHECK_OK(strom_writer_open(addr, NULL, "t", table, &o, &w, &err), &err);
    for (int64_t i = first; i < first + n; i++) {
        static const char *const regions[] = {"eu", "us", "apac"};
        const char *r = regions[i % 3];
        CHECK_OK(strom_writer_set_int(w, 0, i, &err), &err);
        CHECK_OK(strom_writer_set_bytes(w, 1, r, strlen(r), &err), &err);
        if (i % 7)
            CHECK_OK(strom_writer_set_double(w, 2, amount_of(i), &err), &err);
        if (i % 5) {
            char note[32];
            int len = snprintf(note, sizeof note, "note number %lld", (long long)i);
            CHECK_OK(strom_writer_set_bytes(w, 3, note, (size_t)len, &err), &err);
        }
        if (extra)
            CHECK_OK(strom_writer_set_int(w, 4, i * 2, &err), &err);
        CHECK_OK(strom_writer_end_row(w, &err), &err);
    }
    CHECK_OK(strom_writer_close(w, &err), &err);
}

/* What a query saw. */
typedef struct seen {
    uint8_t count[MAXROWS];
    int64_t rows, bad;
} seen;

/* Runs a union read of (id, amount, note[, extra]) WHERE `where`, checking every value. */
static int query(const char *table, const char *where, bool with_extra, int64_t extra_from,
                 seen *s, uint64_t *got, uint64_t *full)
{
    memset(s, 0, sizeof *s);
    strom_error err;
    strom_scanner *sc;
    strom_scan_opts o;
    strom_scan_opts_default(&o);
    const char *cols[] = {"id", "amount", "note", "extra"};
    o.columns = cols;
    o.ncolumns = with_extra ? 4 : 3;
    o.where = where;
    o.lake = true;
    int rc = strom_scanner_open(addr, NULL, "t", table, &o, &sc, &err);
    if (rc < 0) {
        printf("  query: %s\n", err.msg);
        return rc;
    }
    strom_result *r;
    int k;
    while ((k = strom_scanner_next(sc, &r, &err)) == 1) {
        for (int64_t i = 0; i < strom_result_rows(r); i++) {
            int64_t id = strom_result_int(r, i, 0);
            bool ok = id >= 0 && id < MAXROWS;
            if (ok)
                s->count[id]++;
            ok = ok && strom_result_is_null(r, i, 1) == (id % 7 == 0);
            ok = ok && (id % 7 == 0 || strom_result_double(r, i, 1) == amount_of(id));
            ok = ok && strom_result_is_null(r, i, 2) == (id % 5 == 0);
            if (ok && id % 5) {
                char want[32];
                size_t len;
                snprintf(want, sizeof want, "note number %lld", (long long)id);
                const uint8_t *p = strom_result_bytes(r, i, 2, &len);
                ok = len == strlen(want) && memcmp(p, want, len) == 0;
            }
            if (ok && with_extra)
                ok = id >= extra_from ? strom_result_int(r, i, 3) == id * 2
                                      : strom_result_is_null(r, i, 3);
            s->bad += !ok;
            s->rows++;
        }
        strom_result_free(r);
    }
    if (k < 0)
        printf("  query: %s\n", err.msg);
    if (got)
        strom_scanner_bytes(sc, got, full);
    strom_scanner_close(sc);
    return k;
}

/* Every id below n that `want` admits was seen once, no other. */
static void check_seen(const seen *s, int64_t n, bool (*want)(int64_t))
{
    int64_t missing = 0, extra = 0, first_missing = -1, first_extra = -1;
    for (int64_t i = 0; i < MAXROWS; i++) {
        int w = i < n && (!want || want(i)) ? 1 : 0;
        if (s->count[i] < w && missing++ == 0)
            first_missing = i;
        if (s->count[i] > w && extra++ == 0)
            first_extra = i;
    }
    if (missing || extra)
        printf("  of %lld rows: %lld missing (the first %lld), %lld extra (the first %lld)\n",
               (long long)n, (long long)missing, (long long)first_missing, (long long)extra,
               (long long)first_extra);
    CHECK_EQ(missing, 0);
    CHECK_EQ(extra, 0);
    CHECK_EQ(s->bad, 0);
}

static bool big_eu(int64_t id) { return id % 3 == 0 && id % 7 != 0 && amount_of(id) > 200; }

static const char *BIG_EU = "region = 'eu' AND amount > 200";

static int64_t tier(const char *table, int64_t *rows)
{
    strom_error err;
    strom_client *c;
    CHECK_OK(strom_client_connect(addr, NULL, &c, &err), &err);
    strom_tier_info ti;
    memset(&ti, 0, sizeof ti);
    CHECK_OK(strom_tier_now(c, "t", table, &ti, &err), &err);
    strom_client_close(c);
    if (rows)
        *rows = ti.rows;
    return ti.snapshot_id;
}

TEST(the_same_rows_before_half_way_and_after_tiering_and_retention)
{
    static seen s;
    make_table("orders", true, 0, 4096);
    write_ids("orders", 0, 3000, false);
    /* before tiering: the log alone */
    CHECK_EQ(query("orders", NULL, false, 0, &s, NULL, NULL), 0);
    check_seen(&s, 3000, NULL);
    CHECK_EQ(query("orders", BIG_EU, false, 0, &s, NULL, NULL), 0);
    check_seen(&s, 3000, big_eu);
    /* tier, write more: half in the lake */
    int64_t rows = 0;
    CHECK(tier("orders", &rows) > 0);
    CHECK_EQ(rows, 3000);
    CHECK_EQ(tier("orders", &rows), 0); /* nothing new */
    write_ids("orders", 3000, 2000, false);
    CHECK_EQ(query("orders", NULL, false, 0, &s, NULL, NULL), 0);
    check_seen(&s, 5000, NULL);
    uint64_t got = 0, full = 0;
    CHECK_EQ(query("orders", BIG_EU, false, 0, &s, &got, &full), 0);
    check_seen(&s, 5000, big_eu);
    CHECK(got < full);
    /* a column added: tiered files of both schemas */
    strom_error err;
    strom_client *c;
    CHECK_OK(strom_client_connect(addr, NULL, &c, &err), &err);
    CHECK_OK(strom_add_column(c, "t", "orders", "extra", strom_type_of(STROM_TYPE_BIGINT), NULL,
                              &err), &err);
    write_ids("orders", 5000, 1000, true);
    CHECK(tier("orders", &rows) > 0);
    CHECK_EQ(rows, 3000);
    write_ids("orders", 6000, 500, true);
    CHECK_EQ(query("orders", NULL, true, 5000, &s, NULL, NULL), 0);
    check_seen(&s, 6500, NULL);
    CHECK_EQ(query("orders", "extra > 11000", true, 5000, &s, NULL, NULL), 0);
    int64_t n = 0;
    for (int64_t i = 5501; i < 6500; i++)
        n += s.count[i];
    CHECK_EQ(n, 999);
    CHECK_EQ(s.rows, 999);
    /* retention: the tiered segments go; the untiered tail (6000..6499) must stay */
    int deleted = srv_catalog_retain(srv_server_catalog(server), strom_now_ms(), &err);
    CHECK(deleted > 0);
    strom_scanner *sc;
    strom_scan_opts o;
    strom_scan_opts_default(&o);
    CHECK_OK(strom_scanner_open(addr, NULL, "t", "orders", &o, &sc, &err), &err);
    strom_result *r;
    int64_t log_rows = 0;
    while (strom_scanner_next(sc, &r, &err) == 1) {
        log_rows += strom_result_rows(r);
        strom_result_free(r);
    }
    strom_scanner_close(sc);
    CHECK(log_rows < 6500);
    CHECK(log_rows >= 500);
    printf("  after retention the log holds %lld of 6500 rows\n", (long long)log_rows);
    CHECK_EQ(query("orders", NULL, true, 5000, &s, NULL, NULL), 0);
    check_seen(&s, 6500, NULL);
    CHECK_EQ(query("orders", BIG_EU, false, 0, &s, NULL, NULL), 0);
    check_seen(&s, 6500, big_eu);
    /* the same through libstrom's query text */
    strom_scanner *qs;
    int64_t lim = 0;
    CHECK_OK(strom_query_open(addr, NULL, "select id , amount FROM t.orders WHERE region = 'eu' "
                              "AND amount > 200 LIMIT 5", false, &qs, &lim, &err), &err);
    CHECK_EQ(lim, 5);
    CHECK_EQ(strom_schema_ncols(strom_scanner_schema(qs)), 2);
    int64_t qrows = 0;
    strom_result *qr;
    while (strom_scanner_next(qs, &qr, &err) == 1) {
        for (int64_t i = 0; i < strom_result_rows(qr); i++)
            CHECK(big_eu(strom_result_int(qr, i, 0)));
        qrows += strom_result_rows(qr);
        strom_result_free(qr);
    }
    strom_scanner_close(qs);
    int64_t nbig = 0;
    for (int64_t i = 0; i < 6500; i++)
        nbig += big_eu(i);
    CHECK_EQ(qrows, nbig);
    CHECK_EQ(strom_query_open(addr, NULL, "SELECT FROM t.orders", false, &qs, NULL, &err),
             STROM_EPARSE);
    CHECK_EQ(strom_query_open(addr, NULL, "SELECT id FROM t.orders LIMIT x", false, &qs, NULL,
                              &err), STROM_EPARSE);
    CHECK_EQ(strom_query_open(addr, NULL, "DROP t.orders SELECT id FROM t.orders", false, &qs,
                              NULL, &err), STROM_EPARSE);
    /* tiering off: the lake stays readable */
    CHECK_OK(strom_set_tiering(c, "t", "orders", false, 0, &err), &err);
    CHECK_EQ(query("orders", NULL, true, 5000, &s, NULL, NULL), 0);
    check_seen(&s, 6500, NULL);
    strom_client_close(c);
}

typedef struct writer_arg {
    const char *table;
    int64_t n;
} writer_arg;

static void *slow_writer(void *p)
{
    writer_arg *a = p;
    for (int64_t i = 0; i < a->n; i += 250) {
        write_ids(a->table, i, 250, false);
        usleep(20000);
    }
    return NULL;
}


/* A union read of t.<table> that follows the log after the lake (100 ms long-polls). */
static strom_scanner *follow_union(const char *table)
{
    strom_error err;
    strom_scanner *sc = NULL;
    strom_scan_opts o;
    strom_scan_opts_default(&o);
    o.lake = true;
    o.follow = true;
    o.max_wait_ms = 100;
    CHECK_OK(strom_scanner_open(addr, NULL, "t", table, &o, &sc, &err), &err);
    return sc;
}

TEST(streaming_union_read_under_concurrent_writes_and_tiering)
{
    static seen s;
    memset(&s, 0, sizeof s);
    make_table("live", true, 200, 64 << 10); /* the service tiers every 100 ms */
    writer_arg wa = {"live", 8000};
    write_ids("live", 0, 0, false);
    pthread_t th;
    pthread_create(&th, NULL, slow_writer, &wa);
    usleep(300000); /* some rows are in the lake, some in the log, more coming */
    strom_error err;
    strom_scanner *sc = follow_union("live");
    int64_t total = 0;
    int64_t deadline = strom_mono_ms() + 60000;
    while (total < wa.n && strom_mono_ms() < deadline) {
        strom_result *r;
        int k = strom_scanner_next(sc, &r, &err);
        if (k < 0) {
            printf("  follow: %s\n", err.msg);
            break;
        }
        if (k != 1)
            continue;
        for (int64_t i = 0; i < strom_result_rows(r); i++) {
            int64_t id = strom_result_int(r, i, 0);
            if (id >= 0 && id < MAXROWS)
                s.count[id]++;
            total++;
        }
        strom_result_free(r);
    }
    pthread_join(th, NULL);
    strom_scanner_close(sc);
    check_seen(&s, wa.n, NULL);
    /* the service did tier while we read */
    strom_client *c;
    CHECK_OK(strom_client_connect(addr, NULL, &c, &err), &err);
    strom_table_desc d;
    CHECK_OK(strom_get_table(c, "t", "live", &d, &err), &err);
    strom_lake *lk;
    CHECK_OK(strom_lake_open(d.lake_dir, false, &lk, &err), &err);
    strom_lake_snapshot snap;
    CHECK_OK(strom_lake_latest(lk, &snap, &err), &err);
    printf("  lake snapshot %lld holds %lld rows\n", (long long)snap.id,
           (long long)snap.total_rows);
    CHECK(snap.id >= 2);
    strom_lake_snapshot_free(&snap);
    strom_lake_close(lk);
    strom_table_desc_free(&d);
    strom_client_close(c);
}

/* The first data file under dir (recursively), into out. */
static bool find_data_file(const char *dir, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *e;
    bool found = false;
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[2048];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (strstr(e->d_name, ".parquet")) {
            snprintf(out, cap, "%s", p);
            found = true;
        } else {
            found = find_data_file(p, out, cap);
        }
    }
    closedir(d);
    return found;
}

TEST(refusals_and_damage_give_clear_errors)
{
    strom_error err;
    strom_client *c;
    CHECK_OK(strom_client_connect(addr, NULL, &c, &err), &err);
    strom_table_desc d;
    /* tier asks for tiering to be on */
    make_table("off", false, 0, 0);
    strom_tier_info ti;
    CHECK_EQ(strom_tier_now(c, "t", "off", &ti, &err), STROM_ESTATE);
    printf("  %s\n", err.msg);
    /* a damaged data file: the query fails naming it, the server serves on */
    make_table("dmg", true, 0, 0);
    write_ids("dmg", 0, 1000, false);
    CHECK(tier("dmg", NULL) >= 0); /* the service may have been first */
    CHECK_OK(strom_get_table(c, "t", "dmg", &d, &err), &err);
    char path[2048];
    CHECK(find_data_file(d.lake_dir, path, sizeof path));
    struct stat sb;
    CHECK(stat(path, &sb) == 0);
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, "XXXX", 4, sb.st_size - 4) == 4); /* the closing magic */
    close(fd);
    static seen s;
    CHECK(query("dmg", NULL, false, 0, &s, NULL, NULL) < 0);
    /* a truncated one: its manifest size no longer matches */
    CHECK(truncate(path, sb.st_size - 10) == 0);
    CHECK(query("dmg", NULL, false, 0, &s, NULL, NULL) < 0);
    /* plain reads and other tables are fine */
    strom_scanner *sc;
    strom_scan_opts o;
    strom_scan_opts_default(&o);
    CHECK_OK(strom_scanner_open(addr, NULL, "t", "dmg", &o, &sc, &err), &err);
    strom_scanner_close(sc);
    CHECK_EQ(query("orders", NULL, true, 5000, &s, NULL, NULL), 0);
    strom_table_desc_free(&d);
    strom_client_close(c);
}

/* ---- primary-key tables ------------------------------------------------------------------ */

#define PK_IDS 400
typedef struct pkrow {
    bool live;
    int64_t qty;
    char note[24];
} pkrow;
static pkrow pk_model[2][PK_IDS]; /* [region][id] */
static const char *const pk_regions[2] = {"eu", "us"};

static void pk_table(const char *name)
{
    strom_table_desc d = test_desc(name);
    strom_schema_add(d.schema, "region", strom_type_of(STROM_TYPE_STRING), false, NULL);
    strom_schema_add(d.schema, "id", strom_type_of(STROM_TYPE_BIGINT), false, NULL);
    strom_schema_add(d.schema, "qty", strom_type_of(STROM_TYPE_BIGINT), true, NULL);
    strom_schema_add(d.schema, "note", strom_type_of(STROM_TYPE_STRING), true, NULL);
    d.buckets = 2;
    d.partition_col = 0;
    d.npk = 2;
    d.pk = malloc(2 * sizeof(int));
    d.pk[0] = 0;
    d.pk[1] = 1;
    d.tiering = true;
    test_create(&d);
}

/* n random upserts and deletes, mirrored in the model. */
static void pk_ops(const char *table, int n, unsigned *seed)
{
    strom_error err;
    strom_writer *w;
    strom_writer_opts o;
    strom_writer_opts_default(&o);
    CHECK_OK(strom_writer_open(addr, NULL, "t", table, &o, &w, &err), &err);
    for (int i = 0; i < n; i++) {
        int r = rand_r(seed) % 2, id = rand_r(seed) % PK_IDS;
        pkrow *m = &pk_model[r][id];
        CHECK_OK(strom_writer_set_bytes(w, 0, pk_regions[r], 2, &err), &err);
        CHECK_OK(strom_writer_set_int(w, 1, id, &err), &err);
        if (rand_r(seed) % 4 == 0) {
            CHECK_OK(strom_writer_end_delete(w, &err), &err);
            m->live = false;
            continue;
        }
        m->live = true;
        m->qty = rand_r(seed) % 100;
        snprintf(m->note, sizeof m->note, "n%d", rand_r(seed) % 1000);
        CHECK_OK(strom_writer_set_int(w, 2, m->qty, &err), &err);
        CHECK_OK(strom_writer_set_bytes(w, 3, m->note, strlen(m->note), &err), &err);
        CHECK_OK(strom_writer_end_row(w, &err), &err);
    }
    CHECK_OK(strom_writer_close(w, &err), &err);
}

/* A union read equals the model: every live key once with its values (qty > min_qty). */
static void pk_check(const char *table, int64_t min_qty)
{
    strom_error err;
    strom_scanner *sc;
    strom_scan_opts o;
    strom_scan_opts_default(&o);
    o.lake = true;
    char where[64];
    snprintf(where, sizeof where, "qty > %lld", (long long)min_qty);
    o.where = min_qty >= 0 ? where : NULL;
    const char *cols[] = {"id", "region", "note", "qty"};
    o.columns = cols;
    o.ncolumns = 4;
    CHECK_OK(strom_scanner_open(addr, NULL, "t", table, &o, &sc, &err), &err);
    static uint8_t seen_pk[2][PK_IDS];
    memset(seen_pk, 0, sizeof seen_pk);
    strom_result *r;
    int k, bad = 0;
    while ((k = strom_scanner_next(sc, &r, &err)) == 1) {
        for (int64_t i = 0; i < strom_result_rows(r); i++) {
            int64_t id = strom_result_int(r, i, 0);
            size_t len;
            const uint8_t *reg = strom_result_bytes(r, i, 1, &len);
            int g = len == 2 && !memcmp(reg, "us", 2);
            if (id < 0 || id >= PK_IDS || strom_result_change(r, i) != STROM_ROW_INSERT) {
                bad++;
                continue;
            }
            const pkrow *m = &pk_model[g][id];
            const uint8_t *note = strom_result_bytes(r, i, 2, &len);
            if (!m->live || strom_result_int(r, i, 3) != m->qty || len != strlen(m->note) ||
                memcmp(note, m->note, len) != 0)
                bad++;
            seen_pk[g][id]++;
        }
        strom_result_free(r);
    }
    CHECK_EQ(k, 0);
    if (k < 0)
        printf("  pk union read: %s\n", err.msg);
    strom_scanner_close(sc);
    int missing = 0, twice = 0;
    for (int g = 0; g < 2; g++)
        for (int id = 0; id < PK_IDS; id++) {
            bool want = pk_model[g][id].live && pk_model[g][id].qty > min_qty;
            missing += want && seen_pk[g][id] == 0;
            twice += seen_pk[g][id] > (want ? 1 : 0);
        }
    CHECK_EQ(bad, 0);
    CHECK_EQ(missing, 0);
    CHECK_EQ(twice, 0);
}

TEST(primary_key_tables_tier_and_read_as_one)
{
    memset(pk_model, 0, sizeof pk_model);
    pk_table("kv");
    unsigned seed = 42;
    for (int round = 0; round < 6; round++) {
        pk_ops("kv", 300, &seed);
        if (round % 2 == 1 || round == 4) {
            int64_t rows = 0;
            CHECK(tier("kv", &rows) >= 0);
        }
        pk_check("kv", -1);  /* every column, every row */
        pk_check("kv", 50);  /* a predicate on a value column */
    }
    /* following: the merged state, then the changes after it, folded = the model */
    strom_error err;
    strom_scanner *sc = follow_union("kv");
    static pkrow got[2][PK_IDS];
    memset(got, 0, sizeof got);
    bool more_written = false;
    int64_t deadline = strom_mono_ms() + 30000;
    int bad = 0;
    for (;;) {
        strom_result *r;
        int k = strom_scanner_next(sc, &r, &err);
        if (k < 0) {
            printf("  pk follow: %s\n", err.msg);
            break;
        }
        if (k == 1) {
            for (int64_t i = 0; i < strom_result_rows(r); i++) {
                size_t len;
                const uint8_t *reg = strom_result_bytes(r, i, 0, &len);
                int g = len == 2 && !memcmp(reg, "us", 2);
                int64_t id = strom_result_int(r, i, 1);
                if (id < 0 || id >= PK_IDS) {
                    bad++;
                    continue;
                }
                pkrow *x = &got[g][id];
                strom_change ch = strom_result_change(r, i);
                if (ch == STROM_ROW_DELETE) {
                    x->live = false;
                } else if (ch != STROM_ROW_UPDATE_BEFORE) {
                    x->live = true;
                    x->qty = strom_result_int(r, i, 2);
                    const uint8_t *note = strom_result_bytes(r, i, 3, &len);
                    snprintf(x->note, sizeof x->note, "%.*s", (int)len, (const char *)note);
                }
            }
            strom_result_free(r);
            continue;
        }
        /* caught up (a wait passed): write more once, with a tiering run in the middle */
        if (!more_written) {
            pk_ops("kv", 150, &seed);
            CHECK(tier("kv", NULL) >= 0);
            pk_ops("kv", 150, &seed);
            more_written = true;
            continue;
        }
        bool same = true;
        for (int g = 0; g < 2; g++)
            for (int id = 0; id < PK_IDS; id++) {
                const pkrow *a = &got[g][id], *m = &pk_model[g][id];
                if (a->live != m->live ||
                    (m->live && (a->qty != m->qty || strcmp(a->note, m->note) != 0)))
                    same = false;
            }
        if (same || strom_mono_ms() > deadline) {
            CHECK(same);
            break;
        }
    }
    CHECK_EQ(bad, 0);
    strom_scanner_close(sc);
}

int main(void)
{
    start_server("lake", false, 0, tune);
    RUN_TEST(the_same_rows_before_half_way_and_after_tiering_and_retention);
    RUN_TEST(streaming_union_read_under_concurrent_writes_and_tiering);
    RUN_TEST(primary_key_tables_tier_and_read_as_one);
    RUN_TEST(refusals_and_damage_give_clear_errors);
    stop();
    return TEST_EXIT();
}
