/*
 * ipc_internal.h: declarations shared by the IPC source files (not part of the API).
 */
#ifndef STROM_COLUMNAR_IPC_INTERNAL_H
#define STROM_COLUMNAR_IPC_INTERNAL_H

#include "columnar/fb_read.h"
#include "columnar/ipc.h"

/* A strom schema from an Arrow Schema table (message header or file footer). */
int strom_ipc_schema_from_fb(const fb_table *sch, uint32_t id, strom_schema **out,
                             strom_error *err);

#endif /* STROM_COLUMNAR_IPC_INTERNAL_H */
