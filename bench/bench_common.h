/*
 * bench_common.h: what the benchmark programs share: clocks, percentiles, a Redis
 * connection. Header-only (static functions), each program uses what it needs.
 */
#ifndef STROM_BENCH_COMMON_H
#define STROM_BENCH_COMMON_H

#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleeps (never spins: on a 2-core machine a spinning client would starve the servers)
 * until the monotonic time t. */
static inline void sleep_until(int64_t t)
{
    struct timespec ts = {t / 1000000000, t % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
        ;
}

static inline int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts lat[0..n) and returns the p-th per mille (p = 500: median). */
static inline double per_mille_us(int64_t *lat, int64_t n, int p, int sorted)
{
    if (!sorted)
        qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
    return n ? (double)lat[n * p / 1000] / 1e3 : 0;
}

static inline redisContext *bench_redis_connect(const char *host, int port)
{
    redisContext *c = redisConnect(host, port);
    if (!c || c->err) {
        fprintf(stderr, "bench: redis connect %s:%d: %s\n", host, port, c ? c->errstr : "?");
        exit(1);
    }
    return c;
}

#endif /* STROM_BENCH_COMMON_H */
