/* Unit tests for src/common: error table, buffers, CRC32C. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/common.h"
#include "common/crc32c.h"
#include "common/fs.h"
#include "common/units.h"
#include "test.h"

TEST(crc32c_known_values)
{
    /* Check value of CRC-32C from the RFC 3720 / iSCSI test vectors. */
    CHECK_EQ(strom_crc32c(0, "123456789", 9), 0xE3069283u);
    uint8_t zeros[32] = {0}, ones[32];
    memset(ones, 0xff, sizeof ones);
    CHECK_EQ(strom_crc32c(0, zeros, 32), 0x8A9136AAu);
    CHECK_EQ(strom_crc32c(0, ones, 32), 0x62A8AB43u);
    CHECK_EQ(strom_crc32c(0, "", 0), 0u);
}

/* CRC-32C one bit at a time, straight from the polynomial: the reference ISA-L is checked
 * against. */
static uint32_t crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

TEST(crc32c_matches_the_bitwise_reference_and_chains)
{
    uint8_t buf[4099];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t n = 0; n < sizeof buf; n += 37) {
        uint32_t a = strom_crc32c(0, buf + 1, n - (n ? 1 : 0));
        uint32_t b = crc32c_bitwise(0, buf + 1, n - (n ? 1 : 0));
        CHECK_EQ(a, b);
    }
    /* every length around the vector paths' thresholds and block sizes, and odd offsets */
    for (size_t n = 200; n < 3300; n += (n < 400 ? 1 : 61))
        for (size_t off = 0; off < 3; off++)
            if (n + off <= sizeof buf)
                CHECK_EQ(strom_crc32c(0x12345678u, buf + off, n),
                         crc32c_bitwise(0x12345678u, buf + off, n));
    uint32_t whole = strom_crc32c(0, buf, sizeof buf);
    uint32_t part = strom_crc32c(strom_crc32c(0, buf, 1000), buf + 1000, sizeof buf - 1000);
    CHECK_EQ(whole, part);
}

TEST(buf_grows_and_pads)
{
    strom_buf b = STROM_BUF_INIT;
    for (int i = 0; i < 1000; i++)
        CHECK_EQ(strom_buf_append(&b, &i, sizeof i), 0);
    CHECK_EQ(b.len, 4000);
    CHECK_EQ((uintptr_t)b.data % 64, 0);
    CHECK_EQ(strom_buf_append(&b, "x", 1), 0);
    CHECK_EQ(strom_buf_pad(&b, 8), 0);
    CHECK_EQ(b.len, 4008);
    CHECK_EQ(b.data[4001], 0);
    int v;
    memcpy(&v, b.data + 4 * 999, 4);
    CHECK_EQ(v, 999);
    strom_buf_free(&b);
    CHECK(b.data == NULL);
}

/* Large reserves: below 2 MiB as strom_buf_reserve; from 2 MiB on, 2 MiB-aligned room rounded
 * up to 2 MiB, the bytes already there kept. */
TEST(buf_large_reserve)
{
    strom_buf b = STROM_BUF_INIT;
    CHECK_EQ(strom_buf_reserve_large(&b, 1000), 0);
    CHECK(b.cap >= 1000 && b.cap < (2u << 20));
    CHECK_EQ((uintptr_t)b.data % 64, 0u);
    for (int i = 0; i < 1000; i++)
        b.data[b.len++] = (uint8_t)i;
    CHECK_EQ(strom_buf_reserve_large(&b, 5u << 20), 0);
    CHECK_EQ((uintptr_t)b.data % (2u << 20), 0u);
    CHECK_EQ(b.cap, (size_t)6 << 20); /* 1000 + 5 MiB, rounded up to 2 MiB */
    bool same = b.len == 1000;
    for (int i = 0; i < 1000; i++)
        same = same && b.data[i] == (uint8_t)i;
    CHECK(same);
    uint8_t *was = b.data;
    CHECK_EQ(strom_buf_reserve_large(&b, (6u << 20) - 1000), 0); /* fits: no move */
    CHECK(b.data == was);
    CHECK_EQ(strom_buf_reserve_large(&b, SIZE_MAX / 2), STROM_ELIMIT);
    strom_buf_free(&b);
}

TEST(error_table)
{
    CHECK_STR(strom_error_name(STROM_ECORRUPT), "STROM_ECORRUPT");
    CHECK_STR(strom_strerror(STROM_ENOMEM), "out of memory");
    CHECK_STR(strom_strerror(-999), "unknown error");
    strom_error e;
    CHECK_EQ(strom_error_set(&e, STROM_EPARSE, "at position %d", 7), STROM_EPARSE);
    strom_error_prefix(&e, "predicate");
    CHECK_STR(e.msg, "predicate: at position 7");
    CHECK_EQ(strom_error_set(NULL, STROM_EIO, "ignored"), STROM_EIO);
}

TEST(popcount)
{
    uint8_t bits[20];
    memset(bits, 0xff, sizeof bits);
    CHECK_EQ(strom_popcount_bits(bits, 160), 160);
    CHECK_EQ(strom_popcount_bits(bits, 77), 77);
    bits[0] = 0x05;
    CHECK_EQ(strom_popcount_bits(bits, 3), 2);
}

TEST(array_grows_by_doubling)
{
    int *a = NULL, n = 0, cap = 0;
    for (int i = 0; i < 100; i++) {
        CHECK_EQ(strom_array_grow(&a, n, &cap, sizeof *a, 4), 0);
        CHECK(cap > n);
        a[n++] = i;
    }
    CHECK_EQ(cap, 128); /* 4, 8, ..., 128 */
    int sum = 0;
    for (int i = 0; i < n; i++)
        sum += a[i];
    CHECK_EQ(sum, 4950);
    free(a);
    /* size_t counts: the same doubling; a capacity whose bytes would overflow is refused and
     * leaves the array as it was */
    uint64_t *z = NULL;
    size_t zn = 0, zcap = 0;
    for (size_t i = 0; i < 100; i++) {
        CHECK_EQ(strom_array_grow_z(&z, zn, &zcap, sizeof *z, 4), 0);
        z[zn++] = i;
    }
    CHECK_EQ(zcap, (size_t)128);
    CHECK_EQ(z[99], (uint64_t)99);
    uint64_t *kept = z;
    size_t huge = SIZE_MAX / 8;
    CHECK_EQ(strom_array_grow_z(&z, huge, &huge, sizeof *z, 4), STROM_ENOMEM);
    CHECK(z == kept && huge == SIZE_MAX / 8);
    free(z);
}

TEST(sizes_and_durations)
{
    int64_t v = -1;
    CHECK(strom_parse_scaled("4096", false, &v) && v == 4096);
    CHECK(strom_parse_scaled("64k", false, &v) && v == 65536);
    CHECK(strom_parse_scaled("1GiB", false, &v) && v == 1073741824);
    CHECK(strom_parse_scaled("500", true, &v) && v == 500);
    CHECK(strom_parse_scaled("30s", true, &v) && v == 30000);
    CHECK(strom_parse_scaled("7d", true, &v) && v == 604800000);
    CHECK(!strom_parse_scaled("7D", true, &v));   /* durations are case-sensitive: m vs M */
    CHECK(!strom_parse_scaled("5x", true, &v));
    CHECK(!strom_parse_scaled("-1", false, &v));
    CHECK(!strom_parse_scaled("", false, &v));
    CHECK(!strom_parse_scaled("9223372036854775807g", false, &v));
    CHECK(!strom_parse_scaled("1s", false, &v)); /* a size is not a duration */
}

TEST(atomic_file_replace)
{
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/fs-test/a/b", STROM_TEST_TMP);
    strom_error err;
    CHECK_OK(strom_rmtree(STROM_TEST_TMP "/fs-test", &err), &err);
    CHECK_OK(strom_mkdirs(dir, &err), &err);
    snprintf(path, sizeof path, "%s/f.json", dir);
    CHECK_OK(strom_write_file_atomic(path, "one", 3, &err), &err);
    CHECK_OK(strom_write_file_atomic(path, "second", 6, &err), &err);
    char *text;
    size_t n;
    CHECK_OK(strom_read_file(path, 100, &text, &n, &err), &err);
    CHECK_EQ(n, 6);
    CHECK_STR(text, "second");
    free(text);
    CHECK_EQ(strom_read_file(path, 3, &text, &n, &err), STROM_ELIMIT);
    CHECK_OK(strom_rmtree(STROM_TEST_TMP "/fs-test", &err), &err);
    CHECK_EQ(strom_read_file(path, 100, &text, &n, &err), STROM_ENOTFOUND);
}

/* A range evicted from the page cache is seen as not cached (both checks), and is cached as
 * soon as strom_fs_make_resident returns: it waits for the reads that readahead(2) only
 * starts. */
TEST(ranges_made_resident_before_they_are_sent)
{
    char path[600];
    snprintf(path, sizeof path, "%s/resident-%d", STROM_TEST_TMP, (int)getpid());
    mkdir(STROM_TEST_TMP, 0755);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    static uint8_t block[1 << 20];
    for (size_t i = 0; i < sizeof block; i++)
        block[i] = (uint8_t)(i * 131);
    for (int i = 0; i < 16; i++)
        CHECK(write(fd, block, sizeof block) == (ssize_t)sizeof block);
    CHECK(fsync(fd) == 0);
    uint64_t pos = 3 * (1 << 20) + 100, len = 9 * (1 << 20); /* not page-aligned */
    for (int round = 0; round < 3; round++) {
        CHECK(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0); /* clean pages: evicted */
        CHECK_EQ(strom_fs_cached(fd, pos, len), 0);
        CHECK_EQ(strom_fs_cached_mincore(fd, pos, len), 0);
        strom_fs_make_resident(fd, pos, len);
        CHECK_EQ(strom_fs_cached(fd, pos, len), 1);
        CHECK_EQ(strom_fs_cached_mincore(fd, pos, len), 1);
        CHECK_EQ(strom_fs_cached(fd, 0, 1 << 20), 0); /* not what was asked for */
    }
    /* several ranges at once: all of them in when the call returns */
    CHECK(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0);
    strom_fs_range rs[3] = {{fd, 100, 5000}, {fd, 4u << 20, 1u << 20}, {fd, 12u << 20, 3000}};
    strom_fs_make_resident_all(rs, 3);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(strom_fs_cached_mincore(fd, rs[i].pos, rs[i].len), 1);
    CHECK_EQ(strom_fs_cached(fd, 8u << 20, 1u << 20), 0);
    CHECK_EQ(strom_fs_cached(fd, 5, 0), 1);
    close(fd);
    unlink(path);
}

int main(void)
{
    RUN_TEST(array_grows_by_doubling);
    RUN_TEST(sizes_and_durations);
    RUN_TEST(atomic_file_replace);
    RUN_TEST(ranges_made_resident_before_they_are_sent);
    RUN_TEST(crc32c_known_values);
    RUN_TEST(crc32c_matches_the_bitwise_reference_and_chains);
    RUN_TEST(buf_grows_and_pads);
    RUN_TEST(buf_large_reserve);
    RUN_TEST(error_table);
    RUN_TEST(popcount);
    return TEST_EXIT();
}
