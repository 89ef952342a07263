/*
 * query.c: `strom query`'s SQL subset in libstrom (strom/client.h strom_query_open):
 *
 *   SELECT * | col [, col ...] FROM db.table [WHERE predicate] [LIMIT n]
 *
 * keywords in any case, found outside quoted text; the predicate is the textual predicate
 * form (docs/format.md §8). The query opens a union-read scanner: the lake, then the log.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/client_internal.h"

#define QUERY_MAX_COLUMNS 4096

static char *trim(char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    size_t n = strlen(p);
    while (n && isspace((unsigned char)p[n - 1]))
        p[--n] = 0;
    return p;
}

int cl_query_parse(char *q, char **cols, char **table, char **where, int64_t *limit,
                   strom_error *err)
{
    char *kw[4] = {NULL, NULL, NULL, NULL};
    static const char *const names[4] = {"SELECT", "FROM", "WHERE", "LIMIT"};
    bool quoted = false;
    for (char *p = q; *p; p++) {
        if (*p == '\'') {
            quoted = !quoted;
            continue;
        }
        if (quoted || (p > q && !isspace((unsigned char)p[-1])))
            continue;
        for (int k = 0; k < 4; k++) {
            size_t n = strlen(names[k]);
            if (!kw[k] && strncasecmp(p, names[k], n) == 0 &&
                (p[n] == 0 || isspace((unsigned char)p[n]))) {
                kw[k] = p;
                break;
            }
        }
    }
    if (!kw[0] || !kw[1] || kw[1] < kw[0] || (kw[2] && kw[2] < kw[1]) ||
        (kw[3] && kw[3] < (kw[2] ? kw[2] : kw[1])) || trim(q) != kw[0])
        return strom_error_set(err, STROM_EPARSE, "expected SELECT cols FROM db.table [WHERE "
                               "predicate] [LIMIT n]");
    char *parts[4];
    for (int k = 0; k < 4; k++)
        parts[k] = kw[k] ? kw[k] + strlen(names[k]) : NULL;
    for (int k = 0; k < 4; k++)
        if (kw[k])
            *kw[k] = 0; /* ends the part before it */
    for (int k = 0; k < 4; k++)
        if (parts[k])
            parts[k] = trim(parts[k]);
    if (!parts[0][0] || !parts[1][0] || (parts[2] && !parts[2][0]))
        return strom_error_set(err, STROM_EPARSE, "an empty SELECT, FROM or WHERE part");
    *cols = strcmp(parts[0], "*") == 0 ? NULL : parts[0];
    *table = parts[1];
    *where = parts[2];
    *limit = -1;
    if (parts[3]) {
        char *end;
        errno = 0;
        long long v = strtoll(parts[3], &end, 10);
        if (errno || end == parts[3] || *end || v < 0)
            return strom_error_set(err, STROM_EPARSE, "LIMIT '%s' is not a count", parts[3]);
        *limit = v;
    }
    return 0;
}

int strom_query_open(const char *addr, const strom_client_opts *copts, const char *sql,
                     bool follow, strom_scanner **out, int64_t *limit, strom_error *err)
{
    *out = NULL;
    char *q = strdup(sql ? sql : ""), *cols, *table, *where;
    const char **names = calloc(QUERY_MAX_COLUMNS, sizeof *names);
    int64_t lim = -1;
    int rc = q && names ? cl_query_parse(q, &cols, &table, &where, &lim, err)
                        : strom_error_set(err, STROM_ENOMEM, "out of memory");
    char db[STROM_IDENT_MAX + 1], tb[STROM_IDENT_MAX + 1];
    if (rc == 0)
        rc = strom_table_name_parse(table, db, tb, err);
    int n = 0;
    for (char *save = NULL, *t = rc == 0 && cols ? strtok_r(cols, ",", &save) : NULL; t;
         t = strtok_r(NULL, ",", &save)) {
        if (n == QUERY_MAX_COLUMNS || !*(t = trim(t))) {
            rc = strom_error_set(err, STROM_EPARSE, "a bad column list after SELECT");
            break;
        }
        names[n++] = t;
    }
    if (rc == 0) {
        strom_scan_opts o;
        strom_scan_opts_default(&o);
        o.lake = true;
        o.follow = follow;
        o.columns = cols ? names : NULL;
        o.ncolumns = n;
        o.where = where;
        rc = strom_scanner_open(addr, copts, db, tb, &o, out, err);
    }
    if (rc == 0 && limit)
        *limit = lim;
    free(names);
    free(q);
    return rc;
}
