/*
 * error.c: names and messages for the error table of strom/error.h, and the helpers that
 * fill a caller's strom_error.
 */
#include "strom/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define STROM_MIN_(a, b) ((a) < (b) ? (a) : (b))

const char *strom_strerror(int code)
{
    switch (code) {
#define STROM_ERROR_MSG_(name, value, msg) case (value): return (msg);
        STROM_ERROR_TABLE(STROM_ERROR_MSG_)
#undef STROM_ERROR_MSG_
    default: return "unknown error";
    }
}

const char *strom_error_name(int code)
{
    switch (code) {
#define STROM_ERROR_NAME_(name, value, msg) case (value): return "STROM_E" #name;
        STROM_ERROR_TABLE(STROM_ERROR_NAME_)
#undef STROM_ERROR_NAME_
    default: return "STROM_E?";
    }
}

int strom_error_set(strom_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void strom_error_prefix(strom_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char head[STROM_ERROR_MSG_MAX], old[STROM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is fine here: the message is for humans and keeps its start. */
    size_t h = strnlen(head, sizeof head - 1), o = strnlen(old, sizeof old - 1);
    size_t cap = sizeof err->msg - 1, n = 0;
    memcpy(err->msg, head, (n = STROM_MIN_(h, cap)));
    if (n + 2 <= cap) {
        memcpy(err->msg + n, ": ", 2);
        n += 2;
    }
    size_t rest = STROM_MIN_(o, cap - n);
    memcpy(err->msg + n, old, rest);
    err->msg[n + rest] = '\0';
}

void strom_error_clear(strom_error *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}
