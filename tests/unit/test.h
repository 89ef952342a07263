/*
 * test.h: the unit-test harness. One executable per test file; each TEST is a function run
 * by RUN_TEST from main. CHECK* report file:line and the values, count failures, and keep
 * going; main returns non-zero if any check failed. CTest runs each executable with a
 * timeout.
 */
#ifndef STROM_TEST_H
#define STROM_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* counters are updated atomically: checks may run on several threads */
#define TEST_BUMP_(v) __atomic_add_fetch(&(v), 1, __ATOMIC_RELAXED)
static int test_failures;
static int test_checks;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        TEST_BUMP_(test_checks);                                                              \
        if (!(cond)) {                                                                \
            TEST_BUMP_(test_failures);                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
        }                                                                             \
    } while (0)

#define CHECK_EQ(a, b)                                                                \
    do {                                                                              \
        TEST_BUMP_(test_checks);                                                              \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);               \
        if (check_a_ != check_b_) {                                                   \
            TEST_BUMP_(test_failures);                                                        \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld vs %lld)\n",      \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);                  \
        }                                                                             \
    } while (0)

#define CHECK_STR(a, b)                                                               \
    do {                                                                              \
        TEST_BUMP_(test_checks);                                                              \
        const char *check_a_ = (a), *check_b_ = (b);                                  \
        if (strcmp(check_a_, check_b_) != 0) {                                       \
            TEST_BUMP_(test_failures);                                                        \
            fprintf(stderr, "%s:%d: CHECK_STR failed: %s == %s (\"%s\" vs \"%s\")\n", \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);                  \
        }                                                                             \
    } while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

/* A call that must succeed (returns >= 0); prints the error message when it does not.
 * `errp` is a strom_error * (not NULL) that the call fills. */
#define CHECK_OK(expr, errp)                                                          \
    do {                                                                              \
        TEST_BUMP_(test_checks);                                                              \
        int check_rc_ = (expr);                                                       \
        if (check_rc_ < 0) {                                                          \
            TEST_BUMP_(test_failures);                                                        \
            fprintf(stderr, "%s:%d: %s failed: %d (%s)\n", __FILE__, __LINE__, #expr,  \
                    check_rc_, (errp)->msg);                                          \
        }                                                                             \
    } while (0)

#define TEST(name) static void name(void)
/* TEST_ONLY=substring runs only the tests whose names contain it. */
#define RUN_TEST(name)                                                                \
    do {                                                                              \
        const char *only_ = getenv("TEST_ONLY");                                      \
        if (only_ && !strstr(#name, only_))                                           \
            break;                                                                    \
        int before_ = test_failures;                                                  \
        name();                                                                       \
        printf("%s %s\n", test_failures == before_ ? "ok  " : "FAIL", #name);         \
    } while (0)

#define TEST_EXIT()                                                                   \
    (printf("%d checks, %d failed\n", test_checks, test_failures), test_failures ? 1 : 0)

#endif /* STROM_TEST_H */
