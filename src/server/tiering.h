/*
 * tiering.h: stromd's tiering service: one thread that copies every table with tiering on
 * into its lake table (src/lake/tier.h) about twice per freshness interval, and sets each
 * bucket's tiered offset (the retention hold). A run can also be asked for (the Tier request,
 * `strom tier`); runs never overlap.
 */
#ifndef STROM_SERVER_TIERING_H
#define STROM_SERVER_TIERING_H

#include <stdint.h>

#include "lake/tier.h"
#include "server/catalog.h"

typedef struct srv_tiering srv_tiering;

typedef struct srv_tiering_opts {
    int64_t default_freshness_ms;   /* tables that name none */
    strom_pq_codec codec;
    const char *commit_user;
    int threads;                    /* buckets of a table tiered at once */
    bool external;                  /* another process tiers (strom tier --local): the service
                                       only follows the lake's snapshots for retention */
    int64_t read_grace_ms;          /* retention keeps a tiered segment this long after the
                                       snapshot that holds it, for union reads that started
                                       from an older snapshot */
} srv_tiering_opts;

int srv_tiering_start(srv_catalog *c, const srv_tiering_opts *o, srv_tiering **out,
                      strom_error *err);
/* Stops the thread (a run in progress finishes first). */
void srv_tiering_stop(srv_tiering *t);
/* Wakes the thread (a table's tiering options changed). */
void srv_tiering_kick(srv_tiering *t);
/* One run for table t now, on the calling thread. */
int srv_tiering_run(srv_tiering *t, srv_table *table, strom_tier_result *res, strom_error *err);

#endif /* STROM_SERVER_TIERING_H */
