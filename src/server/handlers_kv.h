/*
 * handlers_kv.h: request handlers of primary-key tables (handlers_kv.c), called by srv_handle.
 */
#ifndef STROM_SERVER_HANDLERS_KV_H
#define STROM_SERVER_HANDLERS_KV_H

#include <stdbool.h>

#include "protocol/wire.h"
#include "server/server.h"

int srv_h_put_kv(srv_server *s, srv_req *r, strom_wire_reader *rd, strom_error *err);
/* With `memory_only` (the loop thread), returns 1 without answering when the request is not
 * small or needs a disk read: it then goes to a worker. */
int srv_h_lookup(srv_server *s, srv_req *r, strom_wire_reader *rd, bool memory_only,
                 strom_error *err);
int srv_h_kv_scan(srv_server *s, srv_req *r, strom_wire_reader *rd, strom_error *err);
/* Closes scans idle for a minute (all of them with `all`: before the catalog closes). */
void srv_kv_scans_expire(bool all);

#endif /* STROM_SERVER_HANDLERS_KV_H */
