/*
 * slog.h: stromd's structured log: one line per event on stderr in logfmt,
 *
 *   ts=2026-12-01T03:40:00.123Z level=info msg="listening" addr=127.0.0.1:7070
 *
 * so that both people and tools (grep, jq after a logfmt split) can read it. Thread safe:
 * a line is written with one write(2).
 */
#ifndef STROM_SERVER_SLOG_H
#define STROM_SERVER_SLOG_H

typedef enum srv_log_level { SRV_DEBUG = 0, SRV_INFO = 1, SRV_WARN = 2, SRV_ERROR = 3 } srv_log_level;

void srv_log_set_level(srv_log_level l);
/* "debug", "info", "warn", "error" -> level; -1 for anything else. */
int srv_log_level_parse(const char *s);
/* msg is the event; fmt adds key=value pairs (may be NULL). */
void srv_log(srv_log_level l, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* STROM_SERVER_SLOG_H */
