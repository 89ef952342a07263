/* Unit tests for src/log: the record format (round trip, every corruption detected), the
 * bucket log (append, read, roll, reopen, torn tails, flipped bytes in active and older
 * segments, broken index files, retention with a hold, group commit from 8 threads), a
 * randomized run against an in-memory model, the runway of zeros ahead of small appends
 * (recovery, roll, close), a crash test with real kill -9 of an appending
 * child, and a full disk (RLIMIT_FSIZE). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "columnar/batch.h"
#include "common/common.h"
#include "columnar/ipc.h"
#include "columnar/predicate.h"
#include "log/log.h"
#include "log/log_internal.h"
#include "test.h"

static strom_schema *schema;

/* A record of `rows` rows whose content depends only on `seed`. */
static void make_record(strom_buf *out, uint32_t seed, int rows)
{
    strom_batch_builder *bb = strom_bb_new(schema);
    strom_buf msg = STROM_BUF_INIT;
    strom_batch_stats st;
    strom_error err;
    char s[64];
    for (int r = 0; r < rows; r++) {
        strom_bb_append_int(bb, 0, (int64_t)seed * 1000 + r);
        int n = snprintf(s, sizeof s, "row-%u-%d", seed, r);
        strom_bb_append_bytes(bb, 1, s, (size_t)(n % 3 ? n : 0));
    }
    CHECK_OK(strom_bb_seal(bb, NULL, &msg, &st, &err), &err);
    strom_record_info info = {0, rows ? rows - 1 : 0, 0, 1700000000000 + seed, 0, 1, -1, -1,
                              rows};
    strom_buf_reset(out);
    CHECK_OK(strom_record_write(out, &info, &st, NULL, msg.data, msg.len, &err), &err);
    strom_batch_stats_free(&st);
    strom_buf_free(&msg);
    strom_bb_free(bb);
}

static int rows_for(uint32_t seed) { return 1 + (int)(seed * 2654435761u % 40); }

static void tmpdir(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/log-%s-%d", STROM_TEST_TMP, name, (int)getpid());
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", buf);
    if (system(cmd) != 0)
        CHECK(0);
    mkdir(STROM_TEST_TMP, 0755);
}

TEST(record_round_trip_and_corruption)
{
    strom_buf rec = STROM_BUF_INIT;
    make_record(&rec, 7, 10);
    strom_record r;
    strom_error err;
    CHECK_EQ(rec.len % 8, 0u);
    CHECK_OK(strom_record_parse(rec.data, rec.len, &r, &err), &err);
    CHECK_EQ(r.info.record_count, 10);
    CHECK_EQ(r.info.last_offset_delta, 9);
    CHECK_EQ(r.info.commit_ts, 1700000000007);
    CHECK((uintptr_t)(r.arrow - rec.data) % 8 == 0);
    strom_batch_stats st;
    CHECK_OK(strom_record_stats(&r, &st, &err), &err);
    CHECK(st.ncols == 2 && st.cols[0].has_min && st.cols[0].min.u.i == 7000 &&
          st.cols[0].max.u.i == 7009 && st.nbuffers == 5);
    CHECK_EQ(strom_record_stats_ncols(&r), st.ncols);
    strom_batch_stats_free(&st);
    /* the base offset is outside the CRC */
    strom_record_set_base(rec.data, 12345);
    CHECK_OK(strom_record_parse(rec.data, rec.len, &r, &err), &err);
    CHECK_EQ(r.info.base_offset, 12345);
    /* every flipped byte after the length field is detected */
    int undetected = 0;
    for (size_t i = 12; i < rec.len; i++) {
        rec.data[i] ^= 0x40;
        if (strom_record_parse(rec.data, rec.len, &r, &err) == 0)
            undetected++;
        rec.data[i] ^= 0x40;
    }
    CHECK_EQ(undetected, 0);
    /* truncation asks for more; a bad length is corrupt */
    CHECK_EQ(strom_record_parse(rec.data, rec.len - 1, &r, &err), 1);
    strom_st32(rec.data + 8, 5);
    CHECK_EQ(strom_record_parse(rec.data, rec.len, &r, &err), STROM_ECORRUPT);
    strom_buf_free(&rec);
}

static strom_log *open_log(const char *dir, uint64_t seg_bytes, strom_log_fsync fs)
{
    strom_log_config cfg;
    strom_log_config_default(&cfg);
    cfg.segment_bytes = seg_bytes;
    cfg.fsync = fs;
    cfg.index_bytes = 1024;
    strom_log *l = NULL;
    strom_error err;
    CHECK_OK(strom_log_open(dir, &cfg, &l, &err), &err);
    return l;
}

/* Reads every record from `from` and checks it equals make_record(seed) for the seeds
 * appended at consecutive bases. Returns the number of records checked. */
static int check_all(strom_log *l, int64_t from, const uint32_t *seeds, int nseeds,
                     const int64_t *bases)
{
    int64_t off = from;
    int k = 0, checked = 0;
    while (k + 1 < nseeds && bases[k + 1] <= from) /* the record containing `from` */
        k++;
    strom_buf got = STROM_BUF_INIT, want = STROM_BUF_INIT;
    strom_error err;
    while (off < strom_log_high_watermark(l)) {
        strom_log_slice sl;
        if (strom_log_read(l, off, 3000, &sl, &err) != 0) {
            printf("  read at %lld: %s\n", (long long)off, err.msg);
            CHECK(0);
            break;
        }
        CHECK(sl.n > 0);
        if (sl.n == 0)
            break;
        strom_buf_reset(&got);
        CHECK_OK(strom_log_slice_copy(&sl, &got, &err), &err);
        size_t pos = 0;
        while (pos < got.len && k < nseeds) {
            strom_record r;
            CHECK_OK(strom_record_parse(got.data + pos, got.len - pos, &r, &err), &err);
            make_record(&want, seeds[k], rows_for(seeds[k]));
            strom_record_set_base(want.data, bases[k]);
            bool same = r.total_len == want.len && memcmp(got.data + pos, want.data, want.len) == 0;
            static int reported;
            if (!same && reported++ < 3) /* details for a failure seen once in CI */
                printf("  k=%d base %lld want %lld len %u want %zu\n", k,
                       (long long)r.info.base_offset, (long long)bases[k], r.total_len, want.len);
            CHECK(same);
            pos += r.total_len;
            k++;
            checked++;
        }
        off = sl.next_offset;
        strom_log_slice_release(&sl);
    }
    strom_buf_free(&got);
    strom_buf_free(&want);
    return checked;
}

static void append_seeds(strom_log *l, uint32_t first, int n, uint32_t *seeds, int64_t *bases,
                         int *count)
{
    strom_buf rec = STROM_BUF_INIT;
    strom_error err;
    for (int i = 0; i < n; i++) {
        uint32_t seed = first + (uint32_t)i;
        make_record(&rec, seed, rows_for(seed));
        int64_t base;
        CHECK_OK(strom_log_append(l, rec.data, rec.len, &base, &err), &err);
        if (*count > 0)
            CHECK_EQ(base, bases[*count - 1] + rows_for(seeds[*count - 1]));
        seeds[*count] = seed;
        bases[*count] = base;
        (*count)++;
    }
    strom_buf_free(&rec);
}

static uint32_t seeds[20000];
static int64_t bases[20000];
static int nrec;

static char *seg_path(const char *dir, int64_t base, const char *ext, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%020lld.%s", dir, (long long)base, ext);
    return buf;
}

TEST(append_read_roll_reopen)
{
    char dir[512];
    tmpdir(dir, sizeof dir, "basic");
    strom_log *l = open_log(dir, 8192, STROM_LOG_FSYNC_NEVER);
    nrec = 0;
    CHECK_EQ(strom_log_end_offset(l), 0);
    append_seeds(l, 1, 150, seeds, bases, &nrec);
    CHECK_EQ(check_all(l, 0, seeds, nrec, bases), nrec);
    /* a read in the middle of a record starts at that record */
    strom_log_slice sl;
    strom_error err;
    CHECK_OK(strom_log_read(l, bases[40] + 1, 1, &sl, &err), &err);
    CHECK(sl.n == 1 && sl.ranges[0].first_offset == bases[40]);
    strom_log_slice_release(&sl);
    /* past the end: empty; before the start: error */
    CHECK_OK(strom_log_read(l, strom_log_end_offset(l), 1 << 20, &sl, &err), &err);
    CHECK_EQ(sl.n, 0);
    CHECK_EQ(strom_log_read(l, -1, 100, &sl, &err), STROM_ERANGE);
    int64_t end = strom_log_end_offset(l);
    strom_log_close(l);
    /* several segments were written; reopen finds everything */
    char p[600];
    struct stat st;
    CHECK(stat(seg_path(dir, bases[nrec - 1] > 0 ? 0 : 0, "log", p, sizeof p), &st) == 0);
    l = open_log(dir, 8192, STROM_LOG_FSYNC_ALWAYS);
    CHECK_EQ(strom_log_end_offset(l), end);
    CHECK_EQ(check_all(l, 0, seeds, nrec, bases), nrec);
    CHECK_EQ(check_all(l, bases[77], seeds, nrec, bases), nrec - 77);
    append_seeds(l, 1000, 5, seeds, bases, &nrec);
    CHECK_EQ(check_all(l, 0, seeds, nrec, bases), nrec);
    strom_log_close(l);
}

/* The path of the last segment of dir. */
static void last_segment(const char *dir, char *out, size_t cap)
{
    int64_t best = -1;
    for (int i = 0; i < nrec; i++) {
        char p[600];
        struct stat st;
        if (stat(seg_path(dir, bases[i], "log", p, sizeof p), &st) == 0 && bases[i] > best)
            best = bases[i];
    }
    seg_path(dir, best < 0 ? 0 : best, "log", out, cap);
}

TEST(torn_tail_and_flipped_bytes_in_active_segment)
{
    char dir[512], last[600];
    tmpdir(dir, sizeof dir, "torn");
    strom_log *l = open_log(dir, 1 << 20, STROM_LOG_FSYNC_NEVER);
    nrec = 0;
    append_seeds(l, 1, 30, seeds, bases, &nrec);
    strom_log_close(l);
    last_segment(dir, last, sizeof last);
    struct stat st;
    CHECK(stat(last, &st) == 0);
    /* torn tail: 5 bytes cut from the last record */
    CHECK(truncate(last, st.st_size - 5) == 0);
    l = open_log(dir, 1 << 20, STROM_LOG_FSYNC_NEVER);
    CHECK_EQ(strom_log_end_offset(l), bases[29]);
    CHECK_EQ(check_all(l, 0, seeds, 29, bases), 29);
    strom_log_close(l);
    /* a flipped byte inside record 20: the log is cut before it */
    int fd = open(last, O_RDWR);
    off_t pos = 0;
    {
        strom_buf rec = STROM_BUF_INIT;
        for (int i = 0; i < 20; i++) {
            make_record(&rec, seeds[i], rows_for(seeds[i]));
            pos += (off_t)rec.len;
        }
        strom_buf_free(&rec);
    }
    uint8_t b;
    CHECK(pread(fd, &b, 1, pos + 100) == 1);
    b ^= 1;
    CHECK(pwrite(fd, &b, 1, pos + 100) == 1);
    close(fd);
    l = open_log(dir, 1 << 20, STROM_LOG_FSYNC_NEVER);
    CHECK_EQ(strom_log_end_offset(l), bases[20]);
    CHECK_EQ(check_all(l, 0, seeds, 20, bases), 20);
    /* appends continue from there */
    nrec = 20;
    append_seeds(l, 500, 3, seeds, bases, &nrec);
    CHECK_EQ(check_all(l, 0, seeds, nrec, bases), nrec);
    strom_log_close(l);
}

TEST(corruption_in_older_segment_is_reported_not_served)
{
    char dir[512], p[600];
    tmpdir(dir, sizeof dir, "older");
    strom_log *l = open_log(dir, 4096, STROM_LOG_FSYNC_NEVER);
    nrec = 0;
    append_seeds(l, 1, 60, seeds, bases, &nrec);
    strom_log_close(l);
    /* flip a byte in the middle of the first segment's second record */
    strom_buf rec = STROM_BUF_INIT;
    make_record(&rec, seeds[0], rows_for(seeds[0]));
    int fd = open(seg_path(dir, 0, "log", p, sizeof p), O_RDWR);
    uint8_t b;
    CHECK(pread(fd, &b, 1, (off_t)rec.len + 80) == 1);
    b ^= 0x10;
    CHECK(pwrite(fd, &b, 1, (off_t)rec.len + 80) == 1);
    close(fd);
    /* garbage in another segment's index file: rebuilt, not trusted */
    int64_t second = -1;
    struct stat st;
    for (int i = 1; i < nrec && second < 0; i++)
        if (stat(seg_path(dir, bases[i], "index", p, sizeof p), &st) == 0)
            second = bases[i];
    CHECK(second > 0);
    fd = open(seg_path(dir, second, "index", p, sizeof p), O_WRONLY | O_TRUNC);
    CHECK(write(fd, "garbage!garbage!", 16) == 16);
    close(fd);
    l = open_log(dir, 4096, STROM_LOG_FSYNC_NEVER);
    CHECK_EQ(strom_log_end_offset(l), bases[nrec - 1] + rows_for(seeds[nrec - 1]));
    strom_log_slice sl;
    strom_error err;
    /* record 0 is served; record 1 is not */
    CHECK_OK(strom_log_read(l, 0, 1, &sl, &err), &err);
    CHECK(sl.n == 1 && sl.ranges[0].last_offset == bases[1] - 1);
    strom_log_slice_release(&sl);
    CHECK_EQ(strom_log_read(l, bases[1], 1 << 20, &sl, &err), STROM_ECHECKSUM);
    CHECK(strstr(err.msg, "not served") != NULL);
    /* a larger read stops before the bad record, then the next read reports it */
    CHECK_OK(strom_log_read(l, 0, 1 << 20, &sl, &err), &err);
    CHECK(sl.n == 1 && sl.next_offset == bases[1]);
    strom_log_slice_release(&sl);
    /* so does a projected view, which walks the segment itself: record 0 goes out, the
     * bad record not, and a view from it reports it by name */
    int col0 = 0;
    strom_log_view_opts vo = {schema, &col0, 1, NULL, NULL, NULL, 0};
    strom_log_view v;
    CHECK_OK(strom_log_read_view(l, 0, 1 << 20, &vo, &v, &err), &err);
    CHECK(v.records_whole == 1 && v.next_offset == bases[1]);
    strom_log_view_release(&v);
    CHECK_EQ(strom_log_read_view(l, bases[1], 1 << 20, &vo, &v, &err), STROM_ECHECKSUM);
    CHECK(strstr(err.msg, "not served") != NULL);
    /* everything after the bad record is fine, including the rebuilt index */
    int k = 2;
    CHECK_EQ(check_all(l, bases[k], seeds, nrec, bases), nrec - k);
    strom_log_close(l);
    /* an older segment cut short (and its index cut mid-entry): the missing records are an
     * error naming the file, never a crash or garbage; the other segments still read */
    CHECK(truncate(seg_path(dir, second, "log", p, sizeof p), 100) == 0);
    CHECK(truncate(seg_path(dir, second, "index", p, sizeof p), 7) == 0);
    l = open_log(dir, 4096, STROM_LOG_FSYNC_NEVER);
    int k2 = 0;
    while (k2 < nrec && bases[k2] < second)
        k2++;
    int after = k2;
    while (after < nrec) {
        struct stat st2;
        if (after > k2 && stat(seg_path(dir, bases[after], "log", p, sizeof p), &st2) == 0)
            break;
        after++;
    }
    CHECK(strom_log_read(l, second, 1 << 20, &sl, &err) < 0);
    CHECK(strstr(err.msg, ".log") != NULL);
    if (after < nrec)
        CHECK_EQ(check_all(l, bases[after], seeds, nrec, bases), nrec - after);
    strom_log_close(l);
    strom_buf_free(&rec);
}

/* After a restart, a read that begins in the middle of an older segment checks each record's
 * CRC once: a second read of the same records, plain or projected, checks none; a read from
 * the segment's start checks only the records before, and then the whole segment is known
 * good. */
TEST(records_checked_after_open_are_checked_once)
{
    char dir[512];
    tmpdir(dir, sizeof dir, "checkedruns");
    strom_log *l = open_log(dir, 64 << 10, STROM_LOG_FSYNC_NEVER);
    nrec = 0;
    append_seeds(l, 1, 400, seeds, bases, &nrec);
    strom_log_close(l);
    l = open_log(dir, 64 << 10, STROM_LOG_FSYNC_NEVER);
    strom_error err;
    int col0 = 0;
    strom_log_view_opts vo = {schema, &col0, 1, NULL, NULL, NULL, 0};
    strom_log_view v;
    strom_log_slice sl;
    int64_t mid = bases[40]; /* inside the first segment (about 120 records of 64 KiB) */
    uint64_t c0 = strom_log_lazy_checks(l);
    CHECK_OK(strom_log_read_view(l, mid, 20000, &vo, &v, &err), &err);
    CHECK(v.records_whole > 1);
    strom_log_view_release(&v);
    uint64_t c1 = strom_log_lazy_checks(l);
    CHECK(c1 > c0);
    CHECK_OK(strom_log_read_view(l, mid, 20000, &vo, &v, &err), &err);
    strom_log_view_release(&v);
    CHECK_OK(strom_log_read(l, mid, 20000, &sl, &err), &err); /* a plain read of fewer */
    strom_log_slice_release(&sl);
    CHECK_EQ(strom_log_lazy_checks(l), c1);
    /* from the start: the 40 records before, once; then the run joins the prefix */
    CHECK_OK(strom_log_read(l, 0, 1 << 30, &sl, &err), &err);
    strom_log_slice_release(&sl);
    uint64_t c2 = strom_log_lazy_checks(l);
    CHECK(c2 > c1);
    CHECK_OK(strom_log_read(l, 0, 1 << 30, &sl, &err), &err);
    strom_log_slice_release(&sl);
    CHECK_OK(strom_log_read_view(l, mid, 1 << 30, &vo, &v, &err), &err);
    strom_log_view_release(&v);
    CHECK_EQ(strom_log_lazy_checks(l), c2);
    /* and every record still reads back right */
    CHECK_EQ(check_all(l, 0, seeds, nrec, bases), nrec);
    strom_log_close(l);
    /* runs never vouch for a record that was not checked: one damaged record in an older
     * segment, then reads from random offsets of random sizes, plain and projected, which
     * leave many runs behind; none serves the damaged record */
    int bad = 300;
    char p[600];
    struct stat st0;
    int64_t seg = 0;
    for (int k = 0; k <= bad; k++)
        if (stat(seg_path(dir, bases[k], "log", p, sizeof p), &st0) == 0)
            seg = bases[k];
    CHECK(seg > 0 && bases[nrec - 1] > seg); /* an older segment holds it */
    strom_buf rec = STROM_BUF_INIT;
    uint64_t at = 0;
    for (int k = 0; k < nrec && bases[k] < bases[bad]; k++)
        if (bases[k] >= seg) {
            make_record(&rec, seeds[k], rows_for(seeds[k]));
            at += rec.len;
        }
    int fd = open(seg_path(dir, seg, "log", p, sizeof p), O_RDWR);
    uint8_t b = 0;
    CHECK(fd >= 0 && pread(fd, &b, 1, (off_t)at + 70) == 1);
    b ^= 0x20;
    CHECK(pwrite(fd, &b, 1, (off_t)at + 70) == 1);
    close(fd);
    strom_buf_free(&rec);
    l = open_log(dir, 64 << 10, STROM_LOG_FSYNC_NEVER);
    uint32_t rnd = 12345;
    int served_bad = 0, refused = 0;
    for (int i = 0; i < 400; i++) {
        rnd = rnd * 1103515245u + 12345u;
        int k = i % 10 ? (int)((rnd >> 8) % (uint32_t)nrec) : bad - (int)((rnd >> 8) % 3);
        size_t max = 1 + (rnd >> 20) % 30000;
        int64_t first = -1, last = -1;
        int rc;
        if (i % 2) {
            rc = strom_log_read_view(l, bases[k], max, &vo, &v, &err);
            if (rc == 0) {
                first = bases[k];
                last = v.next_offset - 1;
                strom_log_view_release(&v);
            }
        } else {
            rc = strom_log_read(l, bases[k], max, &sl, &err);
            if (rc == 0) {
                first = sl.n ? sl.ranges[0].first_offset : -1;
                last = sl.n ? sl.ranges[sl.n - 1].last_offset : -1;
                strom_log_slice_release(&sl);
            }
        }
        refused += rc != 0;
        served_bad += rc == 0 && first >= 0 && first <= bases[bad] && bases[bad] <= last;
    }
    CHECK_EQ(served_bad, 0);
    CHECK(refused > 0); /* reads that began at the damaged record */
    strom_log_close(l);
}

TEST(retention_by_size_with_hold)
{
    char dir[512];
    tmpdir(dir, sizeof dir, "retain");
    strom_log_config cfg;
    strom_log_config_default(&cfg);
    cfg.segment_bytes = 4096;
    cfg.retention_bytes = 12000;
    cfg.fsync = STROM_LOG_FSYNC_NEVER;
    strom_log *l;
    strom_error err;
    CHECK_OK(strom_log_open(dir, &cfg, &l, &err), &err);
    nrec = 0;
    append_seeds(l, 1, 80, seeds, bases, &nrec);
    /* a hold at offset 0 keeps everything */
    CHECK_EQ(strom_log_retain(l, (int64_t)time(NULL) * 1000, 0, &err), 0);
    CHECK_EQ(strom_log_start_offset(l), 0);
    /* a held range is never read from underneath: take a slice first */
    strom_log_slice sl;
    CHECK_OK(strom_log_read(l, 0, 100, &sl, &err), &err);
    int deleted = strom_log_retain(l, (int64_t)time(NULL) * 1000, INT64_MAX, &err);
    CHECK(deleted > 0);
    int64_t start = strom_log_start_offset(l);
    CHECK(start > 0);
    strom_buf got = STROM_BUF_INIT;
    CHECK_OK(strom_log_slice_copy(&sl, &got, &err), &err); /* file deleted but still open */
    strom_record r;
    CHECK_OK(strom_record_parse(got.data, got.len, &r, &err), &err);
    strom_log_slice_release(&sl);
    CHECK_EQ(strom_log_read(l, 0, 100, &sl, &err), STROM_ERANGE);
    CHECK(check_all(l, start, seeds, nrec, bases) > 0);
    strom_log_close(l);
    /* reopen: the start offset survives (the files are gone) */
    CHECK_OK(strom_log_open(dir, &cfg, &l, &err), &err);
    CHECK_EQ(strom_log_start_offset(l), start);
    strom_log_close(l);
    strom_buf_free(&got);
}

typedef struct gc_arg {
    strom_log *l;
    int id;
    int64_t bases[50];
} gc_arg;

static void *gc_thread(void *p)
{
    gc_arg *a = p;
    strom_buf rec = STROM_BUF_INIT;
    strom_error err;
    for (int i = 0; i < 50; i++) {
        make_record(&rec, (uint32_t)(a->id * 100 + i), 3);
        if (strom_log_append(a->l, rec.data, rec.len, &a->bases[i], &err) != 0)
            a->bases[i] = -1;
    }
    strom_buf_free(&rec);
    return NULL;
}

TEST(group_commit_from_eight_threads)
{
    char dir[512];
    tmpdir(dir, sizeof dir, "group");
    strom_log *l = open_log(dir, 64 << 10, STROM_LOG_FSYNC_ALWAYS);
    gc_arg args[8];
    pthread_t th[8];
    for (int t = 0; t < 8; t++) {
        args[t].l = l;
        args[t].id = t;
        pthread_create(&th[t], NULL, gc_thread, &args[t]);
    }
    for (int t = 0; t < 8; t++)
        pthread_join(th[t], NULL);
    /* 400 records of 3 offsets each: every base distinct, a multiple of 3, below 1200 */
    static uint8_t seen[400];
    memset(seen, 0, sizeof seen);
    int bad = 0;
    for (int t = 0; t < 8; t++)
        for (int i = 0; i < 50; i++) {
            int64_t b = args[t].bases[i];
            if (b < 0 || b % 3 || b >= 1200 || seen[b / 3]++)
                bad++;
        }
    CHECK_EQ(bad, 0);
    CHECK_EQ(strom_log_high_watermark(l), 1200);
    strom_log_close(l);
}

TEST(interval_policy_flushes_in_the_background)
{
    char dir[512];
    tmpdir(dir, sizeof dir, "interval");
    strom_log_config cfg;
    strom_log_config_default(&cfg);
    cfg.fsync = STROM_LOG_FSYNC_INTERVAL;
    cfg.fsync_interval_ms = 5;
    cfg.segment_bytes = 4096;
    strom_log *l;
    strom_error err;
    CHECK_OK(strom_log_open(dir, &cfg, &l, &err), &err);
    nrec = 0;
    append_seeds(l, 1, 40, seeds, bases, &nrec);
    /* visible at once (the flusher makes it durable within the interval) */
    CHECK_EQ(strom_log_high_watermark(l), strom_log_end_offset(l));
    struct timespec ts = {0, 30 * 1000000L};
    nanosleep(&ts, NULL); /* several background flushes, some across rolls */
    append_seeds(l, 100, 10, seeds, bases, &nrec);
    strom_log_close(l); /* stops and joins the flusher */
    l = open_log(dir, 4096, STROM_LOG_FSYNC_NEVER);
    CHECK_EQ(check_all(l, 0, seeds, nrec, bases), nrec);
    strom_log_close(l);
}

TEST(offsets_by_timestamp)
{
    char dir[512];
    tmpdir(dir, sizeof dir, "time");
    strom_log *l = open_log(dir, 3000, STROM_LOG_FSYNC_NEVER);
    nrec = 0;
    /* commit timestamps are 1700000000000 + seed; seeds not monotonic */
    unsigned rnd = 7;
    for (int i = 0; i < 120; i++) {
        rnd = rnd * 1103515245u + 12345u;
        append_seeds(l, 1 + (rnd >> 16) % 500, 1, seeds, bases, &nrec);
    }
    strom_error err;
    for (int pass = 0; pass < 2; pass++) {
        int bad = 0;
        for (int64_t t = 0; t <= 502; t += 7) {
            int64_t want = strom_log_end_offset(l);
            for (int k = 0; k < nrec; k++)
                if ((int64_t)seeds[k] >= t) {
                    want = bases[k];
                    break;
                }
            int64_t got;
            CHECK_OK(strom_log_offset_for_time(l, 1700000000000 + t, &got, &err), &err);
            bad += got != want;
        }
        CHECK_EQ(bad, 0);
        strom_log_close(l); /* second pass: indexes of older segments loaded from files */
        l = open_log(dir, 3000, STROM_LOG_FSYNC_NEVER);
    }
    strom_log_close(l);
}

/* Reads a view from offset 0 and checks every row against the stored data: the rows with
 * lo <= id < hi, column s only when `project`. */
static void check_view(strom_log *l, bool project, int64_t lo, int64_t hi, strom_log_view *vout)
{
    strom_error err;
    char text[100];
    snprintf(text, sizeof text, "id >= %lld AND id < %lld", (long long)lo, (long long)hi);
    strom_pred *pred;
    CHECK_OK(strom_pred_parse(text, strlen(text), schema, &pred, &err), &err);
    int cols[1] = {1};
    strom_log_view_opts o = {schema, project ? cols : NULL, project ? 1 : 0, pred, NULL, NULL, 0};
    strom_schema *ps = project ? strom_schema_project(schema, cols, 1)
                               : strom_schema_copy(schema, 1);
    strom_log_view v;
    CHECK_OK(strom_log_read_view(l, 0, 1 << 30, &o, &v, &err), &err);
    strom_buf bytes = STROM_BUF_INIT;
    CHECK_OK(strom_log_view_copy(&v, &bytes, &err), &err);
    CHECK_EQ(bytes.len, v.bytes_out);
    /* expected rows, in order */
    int64_t want = 0, got = 0, bad = 0;
    for (int k = 0; k < nrec; k++)
        for (int r = 0; r < rows_for(seeds[k]); r++) {
            int64_t id = (int64_t)seeds[k] * 1000 + r;
            want += id >= lo && id < hi;
        }
    size_t pos = 0;
    int k = 0, r = 0;
    while (pos < bytes.len) {
        strom_record rec;
        if (strom_record_parse(bytes.data + pos, bytes.len - pos, &rec, &err) != 0) {
            printf("  view record at %zu: %s\n", pos, err.msg);
            CHECK(0);
            break;
        }
        CHECK_OK(strom_record_verify_buffers(&rec, ps, &err), &err);
        strom_ipc_msg m;
        strom_batch *b = NULL;
        CHECK_OK(strom_ipc_read_msg(rec.arrow, rec.arrow_len, &m, &err), &err);
        CHECK_OK(strom_ipc_decode_batch(&m, ps, ps, NULL, &b, &err), &err);
        if (!b)
            break;
        /* walk the model to this record's base offset */
        while (k < nrec && bases[k] != rec.info.base_offset)
            k++;
        CHECK(k < nrec);
        r = 0;
        for (int64_t i = 0; i < b->rows && k < nrec; i++) {
            while (r < rows_for(seeds[k]) &&
                   !((int64_t)seeds[k] * 1000 + r >= lo && (int64_t)seeds[k] * 1000 + r < hi))
                r++;
            char sv[64];
            int n = snprintf(sv, sizeof sv, "row-%u-%d", seeds[k], r);
            strom_value val;
            strom_col_get(&b->cols[project ? 0 : 1], (strom_type){STROM_TYPE_STRING, 0, 0}, i,
                          &val);
            size_t wl = (size_t)(n % 3 ? n : 0);
            bad += val.u.s.len != wl || memcmp(val.u.s.ptr, sv, wl) != 0;
            r++;
            got++;
        }
        strom_batch_free(b);
        pos += rec.total_len;
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(got, want);
    *vout = v;
    strom_buf_free(&bytes);
    strom_schema_free(ps);
    strom_pred_free(pred);
}

TEST(views_prune_project_and_filter)
{
    char dir[512];
    tmpdir(dir, sizeof dir, "view");
    strom_log *l = open_log(dir, 8192, STROM_LOG_FSYNC_NEVER);
    nrec = 0;
    append_seeds(l, 1, 60, seeds, bases, &nrec);
    strom_log_view v;
    /* records 20..29 wholly inside, 30 in part (ids 30000..30004), the rest outside */
    check_view(l, true, 20000, 30005, &v);
    CHECK_EQ(v.records_whole, 10);
    CHECK_EQ(v.records_filtered, 1);
    CHECK_EQ(v.records_skipped, 49);
    CHECK(v.bytes_out * 5 < v.bytes_stored);
    strom_log_view_release(&v);
    check_view(l, false, 20000, 30005, &v);
    CHECK_EQ(v.records_whole, 10);
    strom_log_view_release(&v);
    /* everything, projected only: small records are copied into one piece of memory (read
     * through the view's window), not a front and a file range each */
    check_view(l, true, INT64_MIN, INT64_MAX, &v);
    CHECK_EQ(v.records_whole, 60);
    CHECK(v.bytes_out < v.bytes_stored);
    CHECK_EQ(v.nparts, 1);
    CHECK(v.parts[0].mem_off != SIZE_MAX);
    strom_log_view_release(&v);
    /* everything as stored: the read's file ranges, one per segment, no front read */
    {
        strom_error err;
        strom_log_view_opts o = {schema, NULL, 0, NULL, NULL, NULL, 0};
        CHECK_OK(strom_log_read_view(l, 0, 1 << 30, &o, &v, &err), &err);
        CHECK_EQ(v.records_whole, 60);
        CHECK_EQ(v.bytes_out, v.bytes_stored);
        strom_log_slice sl;
        CHECK_OK(strom_log_read(l, 0, 1 << 30, &sl, &err), &err);
        CHECK_EQ(v.nparts, sl.n);
        CHECK_EQ(v.next_offset, sl.next_offset);
        strom_log_slice_release(&sl);
        strom_log_view_release(&v);
    }
    /* a projected record whose body was damaged is caught by its buffer CRCs */
    {
        int cols[1] = {1};
        strom_log_view_opts o = {schema, cols, 1, NULL, NULL, NULL, 0};
        strom_error err;
        CHECK_OK(strom_log_read_view(l, 0, 1, &o, &v, &err), &err);
        strom_buf bytes = STROM_BUF_INIT;
        CHECK_OK(strom_log_view_copy(&v, &bytes, &err), &err);
        strom_record rec;
        strom_schema *ps = strom_schema_project(schema, cols, 1);
        CHECK_OK(strom_record_parse(bytes.data, bytes.len, &rec, &err), &err);
        CHECK(rec.info.attributes & STROM_RECORD_PROJECTED);
        CHECK_OK(strom_record_verify_buffers(&rec, ps, &err), &err);
        bytes.data[rec.total_len - 9] ^= 1; /* inside the last buffer of the body */
        CHECK_OK(strom_record_parse(bytes.data, bytes.len, &rec, &err), &err); /* front fine */
        CHECK_EQ(strom_record_verify_buffers(&rec, ps, &err), STROM_ECHECKSUM);
        strom_schema_free(ps);
        strom_buf_free(&bytes);
        strom_log_view_release(&v);
    }
    strom_log_close(l);
}

/* Every id of the rows in the records of `bytes` (a view's copy), appended to ids[*n]. */
static void view_ids(const strom_buf *bytes, const strom_schema *vs, int64_t *ids, int *n)
{
    strom_error err;
    for (size_t pos = 0; pos < bytes->len;) {
        strom_record rec;
        CHECK_OK(strom_record_parse(bytes->data + pos, bytes->len - pos, &rec, &err), &err);
        strom_ipc_msg m;
        strom_batch *b = NULL;
        CHECK_OK(strom_ipc_read_msg(rec.arrow, rec.arrow_len, &m, &err), &err);
        CHECK_OK(strom_ipc_decode_batch(&m, vs, vs, NULL, &b, &err), &err);
        const int64_t *id = (const int64_t *)(const void *)b->cols[0].values;
        for (int64_t r = 0; r < b->rows; r++)
            ids[(*n)++] = id[r];
        strom_batch_free(b);
        pos += rec.total_len;
    }
}

/* max_bytes bounds what a view sends, not what it reads: a projected or filtered read fills
 * the limit with kept bytes (reading more stored records than the limit) up to the last record
 * that fits, and chained views (each from the previous next_offset) carry every kept row once,
 * in order. */
TEST(views_fill_max_bytes_with_kept_bytes)
{
    char dir[512];
    tmpdir(dir, sizeof dir, "viewfill");
    strom_error err;
    strom_log *l = open_log(dir, 1 << 20, STROM_LOG_FSYNC_NEVER);
    strom_buf rec = STROM_BUF_INIT;
    for (uint32_t seed = 1; seed <= 60; seed++) { /* 500 rows: the strings outweigh the ids */
        int64_t base;
        make_record(&rec, seed, 500);
        CHECK_OK(strom_log_append(l, rec.data, rec.len, &base, &err), &err);
    }
    strom_buf_free(&rec);
    int cols[1] = {0}; /* id: a small part of each record */
    strom_schema *ids_s = strom_schema_project(schema, cols, 1);
    /* the first quarter of every record's rows: each record is filtered */
    char quarter[60 * 48];
    size_t ql = 0;
    for (int k = 1; k <= 60; k++)
        ql += (size_t)snprintf(quarter + ql, sizeof quarter - ql, "%s(id >= %d AND id < %d)",
                               k > 1 ? " OR " : "", k * 1000, k * 1000 + 250);
    strom_pred *pred;
    CHECK_OK(strom_pred_parse(quarter, ql, schema, &pred, &err), &err);
    int64_t *ids = malloc(sizeof(int64_t) * 60 * 500);
    strom_log_view v;
    size_t limit = 0;
    int views[3] = {0, 0, 0};
    for (int mode = 2; mode >= 0; mode--) { /* 2 filtered, 1 projected, 0 whole records */
        strom_log_view_opts o = {schema, mode ? cols : NULL, mode ? 1 : 0,
                                 mode == 2 ? pred : NULL, NULL, NULL, 0};
        CHECK_OK(strom_log_read_view(l, 0, 1, &o, &v, &err), &err);
        CHECK_EQ(v.records_whole + v.records_filtered, 1);
        uint64_t one = v.bytes_out; /* what one record of this mode sends */
        if (mode == 1) {
            CHECK(v.bytes_out * 3 < v.bytes_stored * 2);
            limit = (size_t)v.bytes_stored * 8; /* a limit of eight stored records */
        }
        strom_log_view_release(&v);
        if (mode == 2)
            continue; /* the limit is the projected one's: set below, filtered read after */
        int64_t at = 0, kept = 0;
        int n = 0;
        while (at < strom_log_end_offset(l) && views[mode] < 100) {
            CHECK_OK(strom_log_read_view(l, at, limit, &o, &v, &err), &err);
            CHECK(v.bytes_out <= limit || v.records_whole == 1);
            CHECK(v.next_offset > at);
            /* full up to the record that would not fit (records are alike in size) */
            if (v.next_offset < strom_log_end_offset(l))
                CHECK(v.bytes_out + one * 2 > limit);
            strom_buf bytes = STROM_BUF_INIT;
            CHECK_OK(strom_log_view_copy(&v, &bytes, &err), &err);
            CHECK_EQ(bytes.len, v.bytes_out);
            if (mode == 1)
                view_ids(&bytes, ids_s, ids, &n);
            strom_buf_free(&bytes);
            kept += v.records_whole;
            at = v.next_offset;
            views[mode]++;
            strom_log_view_release(&v);
        }
        CHECK_EQ(kept, 60);
        if (mode == 1) { /* every row once, in order */
            CHECK_EQ(n, 60 * 500);
            for (int i = 0; i < n && i < 60 * 500; i++)
                CHECK_EQ(ids[i], (int64_t)(i / 500 + 1) * 1000 + i % 500);
        }
    }
    /* the projected views carry more records each (about 13 against 8) */
    CHECK(views[1] * 4 < views[0] * 3);
    /* filtered: every record is cut to a quarter of its rows and re-encoded in memory; views
     * of the projected limit carry every kept row once, in order, each view full */
    {
        strom_log_view_opts o = {schema, cols, 1, pred, NULL, NULL, 0};
        CHECK_OK(strom_log_read_view(l, 0, 1, &o, &v, &err), &err);
        uint64_t one = v.bytes_out;
        strom_log_view_release(&v);
        int64_t at = 0;
        int n = 0;
        while (at < strom_log_end_offset(l) && views[2] < 200) {
            CHECK_OK(strom_log_read_view(l, at, limit / 8, &o, &v, &err), &err);
            CHECK(v.bytes_out <= limit / 8 || v.records_filtered == 1);
            CHECK(v.next_offset > at);
            if (v.next_offset < strom_log_end_offset(l))
                CHECK(v.bytes_out + one * 2 > limit / 8);
            strom_buf bytes = STROM_BUF_INIT;
            CHECK_OK(strom_log_view_copy(&v, &bytes, &err), &err);
            view_ids(&bytes, ids_s, ids, &n);
            strom_buf_free(&bytes);
            at = v.next_offset;
            views[2]++;
            strom_log_view_release(&v);
        }
        CHECK(views[2] > 2); /* the limit cut the read several times */
        CHECK_EQ(n, 60 * 250);
        for (int i = 0; i < n && i < 60 * 250; i++)
            CHECK_EQ(ids[i], (int64_t)(i / 250 + 1) * 1000 + i % 250);
    }
    free(ids);
    strom_pred_free(pred);
    strom_schema_free(ids_s);
    strom_log_close(l);
}

/* A record from writer `wid` with sequence `seq` (content from seed). */
static void writer_record(strom_buf *out, int64_t wid, int32_t seq, uint32_t seed)
{
    make_record(out, seed, 2);
    /* rewrite the writer fields and the CRC through a fresh encode of the same parts */
    strom_record r;
    strom_error err;
    CHECK_OK(strom_record_parse(out->data, out->len, &r, &err), &err);
    strom_record_info info = r.info;
    info.writer_id = wid;
    info.batch_seq = seq;
    strom_batch_stats st;
    CHECK_OK(strom_record_stats(&r, &st, &err), &err);
    strom_buf arrow = STROM_BUF_INIT;
    strom_buf_append(&arrow, r.arrow, r.arrow_len);
    strom_buf_reset(out);
    CHECK_OK(strom_record_write(out, &info, &st, NULL, arrow.data, arrow.len, &err), &err);
    strom_batch_stats_free(&st);
    strom_buf_free(&arrow);
}

static int64_t append_w(strom_log *l, int64_t wid, int32_t seq, int *rc, strom_error *err)
{
    strom_buf rec = STROM_BUF_INIT;
    writer_record(&rec, wid, seq, (uint32_t)(wid * 1000 + seq));
    int64_t base = -1;
    *rc = strom_log_append(l, rec.data, rec.len, &base, err);
    strom_buf_free(&rec);
    return base;
}

/* The schema of version v: ncols BIGINT columns w0.. (nullable after the first two). */
static strom_schema *wide_schema(uint32_t v, int ncols)
{
    strom_schema *ws = strom_schema_new(v);
    for (int c = 0; c < ncols; c++) {
        char name[16];
        snprintf(name, sizeof name, "w%d", c);
        strom_schema_add(ws, name, (strom_type){STROM_TYPE_BIGINT, 0, 0}, c >= 2, NULL);
    }
    return ws;
}

/* The batch of a record of a view's bytes (checked: its CRC, and its buffers' under s),
 * decoded under s. */
static strom_batch *view_batch(const strom_record *r, const strom_schema *s)
{
    strom_error err;
    strom_ipc_msg m;
    strom_batch *b = NULL;
    CHECK_OK(strom_record_verify_buffers(r, s, &err), &err);
    CHECK_OK(strom_ipc_read_msg(r->arrow, r->arrow_len, &m, &err), &err);
    CHECK_OK(strom_ipc_decode_batch(&m, s, s, NULL, &b, &err), &err);
    return b;
}

/* A filtered read of some columns of a wide table reads just their buffers and the
 * predicate's, checks each against its CRC, and returns exactly the rows a whole-record read
 * would; a damaged buffer it needs is refused by name. */
TEST(filtered_views_read_only_the_needed_columns)
{
    char dir[512];
    tmpdir(dir, sizeof dir, "viewpart");
    strom_error err;
    strom_log *l = open_log(dir, 1 << 20, STROM_LOG_FSYNC_NEVER);
    strom_schema *ts = strom_schema_new(1);
    for (int c = 0; c < 20; c++) {
        char name[8];
        snprintf(name, sizeof name, "c%d", c);
        strom_schema_add(ts, name, (strom_type){STROM_TYPE_BIGINT, 0, 0}, false, NULL);
    }
    strom_buf rec = STROM_BUF_INIT, msg = STROM_BUF_INIT;
    int64_t rb[6];
    for (int k = 0; k < 6; k++) { /* c0 = id, c1 = row % 100, c2.. = id * 20 + c */
        strom_batch_builder *bb = strom_bb_new(ts);
        for (int r = 0; r < 1000; r++)
            for (int c = 0; c < 20; c++)
                strom_bb_append_int(bb, c, c == 0 ? k * 1000 + r : c == 1 ? r % 100
                                                                          : (k * 1000 + r) * 20 + c);
        strom_batch_stats st;
        CHECK_OK(strom_bb_seal(bb, NULL, &msg, &st, &err), &err);
        /* a changelog: change type (row / 100) % 4, carried over for the kept rows */
        uint8_t changes[1000];
        for (int r = 0; r < 1000; r++)
            changes[r] = (uint8_t)((r / 100) % 4);
        strom_record_info info = {0, 999, STROM_RECORD_CHANGELOG, 1700000000000 + k, 0, 1, -1,
                                  -1, 1000};
        CHECK_OK(strom_record_write(&rec, &info, &st, changes, msg.data, msg.len, &err), &err);
        CHECK_OK(strom_log_append(l, rec.data, rec.len, &rb[k], &err), &err);
        strom_batch_stats_free(&st);
        strom_bb_free(bb);
        strom_buf_reset(&rec);
        strom_buf_reset(&msg);
    }
    strom_pred *pred;
    CHECK_OK(strom_pred_parse("c1 = 7", 6, ts, &pred, &err), &err);
    int cols[2] = {5, 0};
    strom_log_view_opts o = {ts, cols, 2, pred, NULL, NULL, 0};
    strom_schema *ps = strom_schema_project(ts, cols, 2);
    strom_log_view v;
    CHECK_OK(strom_log_read_view(l, 0, 1 << 30, &o, &v, &err), &err);
    CHECK_EQ(v.records_filtered, 6);
    CHECK_EQ(v.records_filtered_part, 6);
    strom_buf bytes = STROM_BUF_INIT;
    CHECK_OK(strom_log_view_copy(&v, &bytes, &err), &err);
    int64_t n = 0;
    for (size_t pos = 0; pos < bytes.len;) {
        strom_record r;
        CHECK_OK(strom_record_parse(bytes.data + pos, bytes.len - pos, &r, &err), &err);
        strom_batch *b = view_batch(&r, ps);
        const int64_t *c5 = (const int64_t *)(const void *)b->cols[0].values;
        const int64_t *id = (const int64_t *)(const void *)b->cols[1].values;
        CHECK(r.changes != NULL);
        for (int64_t i = 0; i < b->rows; i++, n++) {
            int64_t want = (n / 10) * 1000 + (n % 10) * 100 + 7; /* rows 7, 107, ... */
            CHECK_EQ(id[i], want);
            CHECK_EQ(c5[i], want * 20 + 5);
            CHECK_EQ(r.changes ? r.changes[i] : -1, (n % 10) % 4);
        }
        strom_batch_free(b);
        pos += r.total_len;
    }
    CHECK_EQ(n, 60);
    strom_buf_free(&bytes);
    strom_log_view_release(&v);
    /* every column: the records are read whole */
    strom_log_view_opts all = {ts, NULL, 0, pred, NULL, NULL, 0};
    CHECK_OK(strom_log_read_view(l, 0, 1 << 30, &all, &v, &err), &err);
    CHECK(v.records_filtered == 6 && v.records_filtered_part == 0);
    strom_log_view_release(&v);
    /* flip a byte of c5's values in record 3 (body buffer 11: validity and values per column) */
    char p[600];
    snprintf(p, sizeof p, "%s/%020lld.log", dir, 0LL);
    int fd = open(p, O_RDWR);
    CHECK(fd >= 0);
    uint64_t at = 0;
    for (int k = 0; k < 3; k++) {
        uint8_t head[12];
        int64_t b0;
        uint32_t len;
        CHECK(pread(fd, head, 12, (off_t)at) == 12);
        CHECK_OK(strom_record_peek(head, 12, &b0, &len, &err), &err);
        at += len;
    }
    uint8_t whole[1 << 18];
    CHECK(pread(fd, whole, sizeof whole, (off_t)at) > 0);
    strom_record r3;
    strom_ipc_msg m3;
    strom_ipc_batch_meta bm;
    CHECK_OK(strom_record_parse(whole, sizeof whole, &r3, &err), &err);
    CHECK_OK(strom_ipc_read_msg(r3.arrow, r3.arrow_len, &m3, &err), &err);
    CHECK_OK(strom_ipc_parse_batch_meta(&m3, ts, &bm, &err), &err);
    off_t flip = (off_t)(at + (uint64_t)(m3.body - whole) + bm.buffers[11].offset + 100);
    strom_ipc_batch_meta_free(&bm);
    uint8_t byte;
    CHECK(pread(fd, &byte, 1, flip) == 1);
    byte ^= 0x40;
    CHECK(pwrite(fd, &byte, 1, flip) == 1);
    close(fd);
    /* the records before it are served, then the read from it is refused */
    CHECK_OK(strom_log_read_view(l, 0, 1 << 30, &o, &v, &err), &err);
    CHECK(v.records_filtered == 3 && v.next_offset == rb[3]);
    strom_log_view_release(&v);
    CHECK_EQ(strom_log_read_view(l, rb[3], 1 << 30, &o, &v, &err), STROM_ECHECKSUM);
    CHECK(strstr(err.msg, "body buffer 11") != NULL);
    strom_schema_free(ps);
    strom_pred_free(pred);
    strom_schema_free(ts);
    strom_buf_free(&rec);
    strom_buf_free(&msg);
    strom_log_close(l);
}

static strom_schema *wide_v2;
static const strom_schema *wide_lookup(void *ctx, uint32_t id)
{
    return id == 1 ? ctx : id == 2 ? wide_v2 : NULL;
}

/* Records of a wide table: fronts (statistics, Arrow metadata) far over the first read's
 * guess take a second read, and a read that meets a wide record after narrow ones (written
 * before columns were added) reads its whole front again. Every row comes back right. */
TEST(views_of_wide_records)
{
    char dir[512];
    tmpdir(dir, sizeof dir, "viewwide");
    strom_error err;
    strom_log *l = open_log(dir, 1 << 20, STROM_LOG_FSYNC_NEVER);
    strom_schema *v1 = wide_schema(1, 2);
    wide_v2 = wide_schema(2, 400);
    strom_buf rec = STROM_BUF_INIT, msg = STROM_BUF_INIT;
    for (int k = 0; k < 12; k++) { /* narrow, narrow, wide, wide, narrow, ... */
        const strom_schema *ws = (k / 2) % 2 ? wide_v2 : v1;
        int n = strom_schema_ncols(ws);
        strom_batch_builder *bb = strom_bb_new(ws);
        for (int r = 0; r < 10; r++)
            for (int c = 0; c < n; c++)
                strom_bb_append_int(bb, c, (int64_t)k * 100000 + r * 1000 + c);
        strom_batch_stats st;
        CHECK_OK(strom_bb_seal(bb, NULL, &msg, &st, &err), &err);
        strom_record_info info = {0, 9, 0, 1700000000000 + k, 0, strom_schema_id(ws), -1, -1,
                                  10};
        CHECK_OK(strom_record_write(&rec, &info, &st, NULL, msg.data, msg.len, &err), &err);
        int64_t base;
        CHECK_OK(strom_log_append(l, rec.data, rec.len, &base, &err), &err);
        strom_batch_stats_free(&st);
        strom_bb_free(bb);
        strom_buf_reset(&rec);
        strom_buf_reset(&msg);
    }
    int cols[2] = {1, 399}; /* w399 is null in the narrow records */
    strom_log_view_opts o = {wide_v2, cols, 2, NULL, wide_lookup, v1, 0};
    strom_log_view v;
    CHECK_OK(strom_log_read_view(l, 0, 1 << 30, &o, &v, &err), &err);
    CHECK_EQ(v.records_whole, 12);
    strom_buf bytes = STROM_BUF_INIT;
    CHECK_OK(strom_log_view_copy(&v, &bytes, &err), &err);
    strom_schema *ps = strom_schema_project(wide_v2, cols, 2);
    strom_schema *ps1 = strom_schema_project(v1, cols, 1);
    int k = 0;
    for (size_t pos = 0; pos < bytes.len; k++) {
        strom_record r;
        CHECK_OK(strom_record_parse(bytes.data + pos, bytes.len - pos, &r, &err), &err);
        bool wide = (k / 2) % 2;
        const strom_schema *rs = wide ? ps : ps1; /* a narrow record carries w1 only */
        CHECK_EQ(r.info.schema_id, wide ? 2u : 1u);
        strom_batch *b = view_batch(&r, rs);
        CHECK_EQ(b->rows, 10);
        CHECK_EQ(b->ncols, wide ? 2 : 1);
        for (int i = 0; i < b->ncols; i++) {
            const int64_t *val = (const int64_t *)(const void *)b->cols[i].values;
            for (int row = 0; row < 10; row++)
                CHECK_EQ(val[row], (int64_t)k * 100000 + row * 1000 + cols[i]);
        }
        strom_batch_free(b);
        pos += r.total_len;
    }
    CHECK_EQ(k, 12);
    strom_buf_free(&bytes);
    strom_log_view_release(&v);
    /* every column as stored: under v2 the records of both versions go out as they are */
    strom_log_view_opts plain = {wide_v2, NULL, 0, NULL, wide_lookup, v1, 0};
    CHECK_OK(strom_log_read_view(l, 0, 1 << 30, &plain, &v, &err), &err);
    CHECK_EQ(v.records_whole, 12);
    CHECK_EQ(v.bytes_out, v.bytes_stored);
    strom_log_view_release(&v);
    /* ... under v1 (a read bound before an ALTER), a record of v2 is refused by name: the
     * read does not send records its reader's schema cannot describe. The two v1 records
     * before it are served first (offsets 0-19); the read from there is refused. */
    strom_log_view_opts old = {v1, NULL, 0, NULL, wide_lookup, v1, 0};
    CHECK_OK(strom_log_read_view(l, 0, 1 << 30, &old, &v, &err), &err);
    CHECK_EQ(v.records_whole, 2);
    CHECK_EQ(v.next_offset, 20);
    strom_log_view_release(&v);
    CHECK_EQ(strom_log_read_view(l, 20, 1 << 30, &old, &v, &err), STROM_EUNSUPPORTED);
    CHECK(strstr(err.msg, "schema 2") != NULL);
    strom_buf_free(&rec);
    strom_buf_free(&msg);
    strom_schema_free(ps);
    strom_schema_free(ps1);
    strom_schema_free(v1);
    strom_schema_free(wide_v2);
    strom_log_close(l);
}

TEST(idempotent_writers_survive_restart)
{
    char dir[512], p[600];
    tmpdir(dir, sizeof dir, "writers");
    strom_log *l = open_log(dir, 2048, STROM_LOG_FSYNC_NEVER);
    strom_error err;
    int rc;
    int64_t b[40];
    for (int i = 0; i < 20; i++) {
        b[i] = append_w(l, 7, i, &rc, &err);
        CHECK_EQ(rc, 0);
        append_w(l, 9, 100 + i, &rc, &err); /* a second writer interleaved */
        CHECK_EQ(rc, 0);
    }
    int64_t end = strom_log_end_offset(l);
    /* a retry of one of the last 5 batches: its original offset, nothing appended */
    CHECK_EQ(append_w(l, 7, 19, &rc, &err), b[19]);
    CHECK_EQ(rc, 0);
    CHECK_EQ(append_w(l, 7, 16, &rc, &err), b[16]);
    CHECK_EQ(strom_log_end_offset(l), end);
    /* a gap, a reordering, a too-old retry: rejected with the expected sequence */
    append_w(l, 7, 21, &rc, &err);
    CHECK_EQ(rc, STROM_ESTATE);
    CHECK(strstr(err.msg, "expected 20") != NULL);
    append_w(l, 7, 3, &rc, &err);
    CHECK_EQ(rc, STROM_ESTATE);
    /* a new writer starts anywhere */
    append_w(l, 11, 500, &rc, &err);
    CHECK_EQ(rc, 0);
    strom_log_close(l);
    /* after reopen (state from the snapshot of the last roll + the active segment) */
    l = open_log(dir, 2048, STROM_LOG_FSYNC_NEVER);
    CHECK_EQ(append_w(l, 7, 18, &rc, &err), b[18]);
    append_w(l, 7, 25, &rc, &err);
    CHECK_EQ(rc, STROM_ESTATE);
    append_w(l, 7, 20, &rc, &err);
    CHECK_EQ(rc, 0);
    strom_log_close(l);
    /* without any snapshot files: rebuilt by scanning the older segments */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -f %s/*.writers", dir);
    CHECK(system(cmd) == 0);
    l = open_log(dir, 2048, STROM_LOG_FSYNC_NEVER);
    CHECK_EQ(append_w(l, 7, 20, &rc, &err) >= 0, 1);
    CHECK_EQ(rc, 0); /* a retry of seq 20: acknowledged */
    append_w(l, 9, 100, &rc, &err);
    CHECK_EQ(rc, STROM_ESTATE); /* long gone from the window */
    append_w(l, 9, 120, &rc, &err);
    CHECK_EQ(rc, 0);
    strom_log_close(l);
    (void)p;
}

/* ---- crash test: kill -9 while appending ------------------------------------------------ */

/* The child appends records (seed = round * 100000 + i) with FSYNC_ALWAYS and reports
 * {base, seed} on the pipe after each acknowledged append; it never stops on its own. */
static void crash_child(const char *dir, int fd, uint32_t round)
{
    strom_log_config cfg;
    strom_log_config_default(&cfg);
    cfg.segment_bytes = 16384;
    strom_log *l;
    strom_error err;
    if (strom_log_open(dir, &cfg, &l, &err) != 0)
        _exit(3);
    strom_buf rec = STROM_BUF_INIT;
    for (uint32_t i = 0;; i++) {
        uint32_t seed = round * 100000 + i;
        make_record(&rec, seed, rows_for(seed));
        int64_t base;
        if (strom_log_append(l, rec.data, rec.len, &base, &err) != 0)
            _exit(4);
        uint8_t msg[12];
        memcpy(msg, &base, 8);
        memcpy(msg + 8, &seed, 4);
        if (write(fd, msg, 12) != 12)
            _exit(5);
    }
}

TEST(crash_kill_9_loses_no_acknowledged_record)
{
    char dir[512];
    tmpdir(dir, sizeof dir, "crash");
    nrec = 0;
    unsigned rnd = 12345;
    int rounds = 0, total_acked = 0;
    for (uint32_t round = 1; round <= 50; round++) {
        int pfd[2];
        CHECK(pipe(pfd) == 0);
        pid_t pid = fork();
        if (pid == 0) {
            close(pfd[0]);
            crash_child(dir, pfd[1], round);
        }
        close(pfd[1]);
        rnd = rnd * 1103515245u + 12345u;
        struct timespec ts = {0, (long)(1 + (rnd >> 16) % 10) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status));
        uint8_t msg[12];
        ssize_t got;
        while ((got = read(pfd[0], msg, 12)) == 12 && nrec < 19000) {
            memcpy(&bases[nrec], msg, 8);
            memcpy(&seeds[nrec], msg + 8, 4);
            nrec++;
            total_acked++;
        }
        close(pfd[0]);
        /* reopen: every acknowledged record is there, byte for byte, offsets contiguous */
        strom_log *l = open_log(dir, 16384, STROM_LOG_FSYNC_ALWAYS);
        if (!l)
            break;
        for (int i = 1; i < nrec; i++)
            CHECK_EQ(bases[i], bases[i - 1] + rows_for(seeds[i - 1]));
        if (nrec)
            CHECK(strom_log_end_offset(l) >= bases[nrec - 1] + rows_for(seeds[nrec - 1]));
        CHECK_EQ(check_all(l, 0, seeds, nrec, bases), nrec);
        /* the unacknowledged tail may survive; make the model follow the log */
        int64_t end = strom_log_end_offset(l);
        strom_log_close(l);
        int64_t acked_end = nrec ? bases[nrec - 1] + rows_for(seeds[nrec - 1]) : 0;
        if (end > acked_end) {
            /* records written but not acknowledged before the kill (possibly before the very
             * first acknowledgement): adopt them in order */
            l = open_log(dir, 16384, STROM_LOG_FSYNC_NEVER);
            strom_log_slice sl;
            strom_error err;
            int64_t off = acked_end;
            strom_buf b = STROM_BUF_INIT;
            while (off < end && strom_log_read(l, off, 1, &sl, &err) == 0 && sl.n) {
                strom_buf_reset(&b);
                strom_log_slice_copy(&sl, &b, &err);
                strom_record r;
                CHECK_OK(strom_record_parse(b.data, b.len, &r, &err), &err);
                bases[nrec] = r.info.base_offset;
                seeds[nrec] = (uint32_t)(r.info.commit_ts - 1700000000000);
                nrec++;
                off = sl.next_offset;
                strom_log_slice_release(&sl);
            }
            strom_buf_free(&b);
            strom_log_close(l);
        }
        rounds++;
        if (nrec > 18000)
            break;
    }
    printf("  %d kill -9 rounds, %d acknowledged appends checked\n", rounds, total_acked);
    CHECK(rounds >= 50);
    CHECK(total_acked > 0);
}

/* ---- full disk ------------------------------------------------------------------------- */

TEST(full_disk_gives_a_clean_error_and_no_damage)
{
    char dir[512];
    tmpdir(dir, sizeof dir, "full");
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        /* a file size limit: writes beyond it fail with EFBIG, as on a full disk */
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {50000, 50000};
        setrlimit(RLIMIT_FSIZE, &rl);
        close(pfd[0]);
        strom_log_config cfg;
        strom_log_config_default(&cfg);
        strom_log *l;
        strom_error err;
        if (strom_log_open(dir, &cfg, &l, &err) != 0)
            _exit(3);
        strom_buf rec = STROM_BUF_INIT;
        for (uint32_t i = 0;; i++) {
            make_record(&rec, i, 30);
            int64_t base;
            if (strom_log_append(l, rec.data, rec.len, &base, &err) != 0) {
                /* sticky: the next append is refused too, with the reason */
                int sticky = strom_log_append(l, rec.data, rec.len, &base, &err) == STROM_EIO &&
                             strstr(err.msg, "reopen") != NULL;
                _exit(sticky ? 0 : 6);
            }
            if (write(pfd[1], &base, 8) != 8)
                _exit(5);
        }
    }
    close(pfd[1]);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    nrec = 0;
    int64_t b;
    while (read(pfd[0], &b, 8) == 8)
        seeds[nrec] = (uint32_t)nrec, bases[nrec++] = b;
    close(pfd[0]);
    CHECK(nrec > 0);
    /* every acknowledged record survives; the partial one is gone */
    strom_log *l = open_log(dir, 1 << 30, STROM_LOG_FSYNC_ALWAYS);
    CHECK_EQ(strom_log_end_offset(l), 30 * (int64_t)nrec);
    strom_log_close(l);
}

/* ---- randomized run against a model ----------------------------------------------------- */

TEST(random_operations_match_a_model)
{
    char dir[512];
    tmpdir(dir, sizeof dir, "model");
    strom_log *l = open_log(dir, 6000, STROM_LOG_FSYNC_NEVER);
    nrec = 0;
    unsigned rnd = 99;
    uint32_t next_seed = 1;
    int reads = 0;
    for (int op = 0; op < 400; op++) {
        rnd = rnd * 1103515245u + 12345u;
        unsigned what = (rnd >> 16) % 10;
        if (what < 6 && nrec < 4000) {
            append_seeds(l, next_seed, 1 + (int)((rnd >> 8) % 4), seeds, bases, &nrec);
            next_seed += 10;
        } else if (what < 8 && nrec) {
            int k = (int)((rnd >> 4) % (unsigned)nrec);
            int64_t start = strom_log_start_offset(l);
            if (bases[k] >= start)
                CHECK(check_all(l, bases[k] + (int64_t)((rnd >> 20) % 3 == 0), seeds, nrec,
                                bases) > 0 || k == nrec - 1);
            reads++;
        } else if (what == 8) {
            strom_log_close(l);
            l = open_log(dir, 6000, STROM_LOG_FSYNC_NEVER);
        } else {
            CHECK(strom_log_retain(l, 0, nrec ? bases[nrec / 2] : 0, NULL) >= 0);
            int64_t start = strom_log_start_offset(l);
            CHECK(nrec == 0 || start <= bases[nrec / 2]);
        }
        CHECK_EQ(strom_log_end_offset(l),
                 nrec ? bases[nrec - 1] + rows_for(seeds[nrec - 1]) : 0);
    }
    CHECK(reads > 0);
    strom_log_close(l);
}

/* ---- the runway (preallocate_bytes) ----------------------------------------------------- */

/* Where the records of a segment file stop (walking the record headers), and whether every
 * byte after that is zero. */
static uint64_t records_end(const char *path, bool *zero_after, uint64_t *file_size)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f)
        return 0;
    strom_buf b = STROM_BUF_INIT;
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strom_buf_append(&b, chunk, n);
    fclose(f);
    uint64_t pos = 0;
    for (;;) {
        int64_t base;
        uint32_t len;
        if (b.len - pos < 12 || strom_record_peek(b.data + pos, b.len - pos, &base, &len,
                                                  NULL) != 0 || len > b.len - pos)
            break;
        pos += len;
    }
    *zero_after = true;
    for (uint64_t i = pos; i < b.len; i++)
        *zero_after = *zero_after && b.data[i] == 0;
    *file_size = b.len;
    strom_buf_free(&b);
    return pos;
}

TEST(runway_ahead_of_small_appends_is_cut_by_recovery_roll_and_close)
{
    char dir[512], copy[600], cmd[2000], p[600];
    tmpdir(dir, sizeof dir, "runway");
    snprintf(copy, sizeof copy, "%s-copy", dir);
    strom_log_config cfg;
    strom_log_config_default(&cfg);
    cfg.segment_bytes = 256 << 10;
    cfg.preallocate_bytes = 64 << 10;
    cfg.fsync = STROM_LOG_FSYNC_ALWAYS;
    strom_log *l;
    strom_error err;
    CHECK_OK(strom_log_open(dir, &cfg, &l, &err), &err);
    nrec = 0;
    /* small appends: the runway thread writes zeros ahead of the records */
    uint64_t end = 0, size = 0;
    bool zeros = false;
    seg_path(dir, 0, "log", p, sizeof p);
    for (int i = 0; i < 200 && size <= end; i++) {
        append_seeds(l, 1 + (uint32_t)nrec, 5, seeds, bases, &nrec);
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
        end = records_end(p, &zeros, &size);
    }
    CHECK(size > end);
    CHECK(zeros);
    CHECK(size - end <= 2 * cfg.preallocate_bytes);
    /* a crash image (everything acknowledged is durable): recovery cuts the zeros and keeps
     * every record */
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", copy, dir, copy);
    CHECK(system(cmd) == 0);
    strom_log *c;
    CHECK_OK(strom_log_open(copy, &cfg, &c, &err), &err);
    CHECK_EQ(strom_log_end_offset(c), strom_log_end_offset(l));
    CHECK_EQ(check_all(c, 0, seeds, nrec, bases), nrec);
    append_seeds(c, 100000, 3, seeds, bases, &nrec); /* and appends after them */
    CHECK_EQ(check_all(c, 0, seeds, nrec, bases), nrec);
    strom_log_close(c);
    nrec -= 3;
    /* on to several segments: every sealed one ends at its last record */
    while (strom_log_end_offset(l) < 40000)
        append_seeds(l, 1 + (uint32_t)nrec, 20, seeds, bases, &nrec);
    strom_log_close(l);
    int sealed = 0;
    for (int i = 0; i < nrec; i++) {
        struct stat st;
        if (stat(seg_path(dir, bases[i], "log", p, sizeof p), &st) != 0)
            continue;
        end = records_end(p, &zeros, &size);
        CHECK_EQ(end, size); /* sealed, or the active one after close: no zeros left */
        sealed++;
    }
    CHECK(sealed >= 3);
    CHECK_OK(strom_log_open(dir, &cfg, &l, &err), &err);
    CHECK_EQ(check_all(l, 0, seeds, nrec, bases), nrec);
    strom_log_close(l);
    /* large appends get no runway: zero-filling would double their disk writes */
    tmpdir(dir, sizeof dir, "runway-big");
    cfg.segment_bytes = 64 << 20;
    CHECK_OK(strom_log_open(dir, &cfg, &l, &err), &err);
    strom_batch_builder *bb = strom_bb_new(schema);
    for (int r = 0; r < 20000; r++) {
        strom_bb_append_int(bb, 0, r);
        strom_bb_append_bytes(bb, 1, "0123456789", 10);
    }
    strom_buf msg = STROM_BUF_INIT, rec = STROM_BUF_INIT;
    strom_batch_stats st;
    CHECK_OK(strom_bb_seal(bb, NULL, &msg, &st, &err), &err);
    strom_record_info info = {0, 19999, 0, 1700000000000, 0, 1, -1, -1, 20000};
    CHECK_OK(strom_record_write(&rec, &info, &st, NULL, msg.data, msg.len, &err), &err);
    CHECK(rec.len > 128 << 10);
    for (int i = 0; i < 30; i++) {
        int64_t base;
        CHECK_OK(strom_log_append(l, rec.data, rec.len, &base, &err), &err);
    }
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
    seg_path(dir, 0, "log", p, sizeof p);
    end = records_end(p, &zeros, &size);
    CHECK_EQ(end, size);
    CHECK_EQ(end, 30 * (uint64_t)rec.len);
    strom_log_close(l);
    strom_batch_stats_free(&st);
    strom_buf_free(&msg);
    strom_buf_free(&rec);
    strom_bb_free(bb);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", copy);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    schema = strom_schema_new(1);
    strom_schema_add(schema, "id", (strom_type){STROM_TYPE_BIGINT, 0, 0}, false, NULL);
    strom_schema_add(schema, "s", (strom_type){STROM_TYPE_STRING, 0, 0}, true, NULL);
    RUN_TEST(record_round_trip_and_corruption);
    RUN_TEST(append_read_roll_reopen);
    RUN_TEST(torn_tail_and_flipped_bytes_in_active_segment);
    RUN_TEST(corruption_in_older_segment_is_reported_not_served);
    RUN_TEST(records_checked_after_open_are_checked_once);
    RUN_TEST(retention_by_size_with_hold);
    RUN_TEST(group_commit_from_eight_threads);
    RUN_TEST(idempotent_writers_survive_restart);
    RUN_TEST(interval_policy_flushes_in_the_background);
    RUN_TEST(offsets_by_timestamp);
    RUN_TEST(views_prune_project_and_filter);
    RUN_TEST(views_fill_max_bytes_with_kept_bytes);
    RUN_TEST(views_of_wide_records);
    RUN_TEST(filtered_views_read_only_the_needed_columns);
    RUN_TEST(random_operations_match_a_model);
    RUN_TEST(runway_ahead_of_small_appends_is_cut_by_recovery_roll_and_close);
    RUN_TEST(full_disk_gives_a_clean_error_and_no_damage);
    RUN_TEST(crash_kill_9_loses_no_acknowledged_record);
    strom_schema_free(schema);
    return TEST_EXIT();
}
