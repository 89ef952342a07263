/*
 * strom/error.h: the one error model of strom.
 *
 * Every fallible function returns int: 0 on success or a negative STROM_E* code. The codes,
 * their names and their one-line messages come from the single X-macro table below, so a new
 * code is added in exactly one place. Functions that can say *why* (parsers, decoders) also
 * take an optional `strom_error *` (may be NULL) that receives the code and a human-readable
 * message naming what was wrong and where ("column 3 'price': buffer 1 ends at 4104, body is
 * 4096 bytes").
 */
#ifndef STROM_ERROR_H
#define STROM_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message) */
#define STROM_ERROR_TABLE(X)                                                        \
    X(OK,          0,  "success")                                                   \
    X(INVAL,      -1,  "invalid argument")                                          \
    X(NOMEM,      -2,  "out of memory")                                             \
    X(CORRUPT,    -3,  "corrupt or malformed data")                                 \
    X(UNSUPPORTED,-4,  "unsupported feature")                                       \
    X(IO,         -5,  "input/output error")                                        \
    X(PARSE,      -6,  "syntax error")                                              \
    X(TYPE,       -7,  "type mismatch")                                             \
    X(RANGE,      -8,  "value out of range")                                        \
    X(NOTFOUND,   -9,  "not found")                                                 \
    X(EXISTS,     -10, "already exists")                                            \
    X(LIMIT,      -11, "limit exceeded")                                            \
    X(COMPRESS,   -12, "compression or decompression failed")                       \
    X(CHECKSUM,   -13, "checksum mismatch")                                         \
    X(STATE,      -14, "operation not allowed in the current state")                \
    X(NOSPACE,    -15, "no space left on device")

enum {
#define STROM_ERROR_ENUM_(name, value, msg) STROM_E##name = (value),
    STROM_ERROR_TABLE(STROM_ERROR_ENUM_)
#undef STROM_ERROR_ENUM_
};

#define STROM_ERROR_MSG_MAX 256

/* Caller-owned error detail. `code` mirrors the return value; `msg` is NUL-terminated. */
typedef struct strom_error {
    int code;
    char msg[STROM_ERROR_MSG_MAX];
} strom_error;

/* Static one-line message for a code ("corrupt or malformed data"); never NULL. */
const char *strom_strerror(int code);

/* Static symbolic name for a code ("STROM_ECORRUPT"); never NULL. */
const char *strom_error_name(int code);

/* Fills `err` (if non-NULL) with `code` and a printf-style message; returns `code`, so a
 * caller can write `return strom_error_set(err, STROM_ECORRUPT, "...", ...)`. */
int strom_error_set(strom_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an existing message (for adding context while unwinding). */
void strom_error_prefix(strom_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears `err` (if non-NULL) to code 0 and an empty message. */
void strom_error_clear(strom_error *err);

#ifdef __cplusplus
}
#endif
#endif /* STROM_ERROR_H */
