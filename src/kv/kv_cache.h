/*
 * kv_cache.h: the current rows of a primary-key bucket kept in memory in front of RocksDB,
 * for lookups: a hash table from RocksDB key to row bytes, bounded in bytes, evicting by
 * CLOCK (a row looked up since the hand last passed it stays one more round).
 *
 * The bucket's writes update it (write-through) under the write lock in the same critical
 * section as their RocksDB write, so a lookup that holds the read lock for its whole batch
 * sees every write whole or not at all. Rows read from RocksDB on a miss are added afterwards
 * only if no write happened in between (a generation count), so the cache never holds a row
 * older than RocksDB's.
 */
#ifndef STROM_KV_CACHE_H
#define STROM_KV_CACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kv_cache_entry kv_cache_entry;

typedef struct kv_cache {
    pthread_rwlock_t lock;
    kv_cache_entry **table;   /* chains by hash */
    size_t nbuckets;          /* a power of two */
    kv_cache_entry **ring;    /* every entry, for the CLOCK hand */
    size_t count, cap, hand;
    uint64_t bytes, max_bytes;
    uint64_t gen;             /* writes applied so far */
} kv_cache;

/* max_bytes 0: no caching at all (every call does nothing / misses). */
int kv_cache_init(kv_cache *c, uint64_t max_bytes);
void kv_cache_free(kv_cache *c);

/* Under the read lock (kv_cache_read_lock): the row of key, or NULL. The pointer is valid
 * until the lock is released. */
void kv_cache_read_lock(kv_cache *c);
bool kv_cache_try_read_lock(kv_cache *c); /* false: a write holds it (or waits for it) */
void kv_cache_read_unlock(kv_cache *c);
const uint8_t *kv_cache_get(kv_cache *c, const uint8_t *key, size_t klen, size_t *vlen);

/* Under the write lock: a write's new row for key (val NULL: the key was deleted). A key the
 * cache holds is updated (or dropped); others are not added (the cache holds what lookups
 * ask for, not everything written). */
void kv_cache_write_lock(kv_cache *c);
void kv_cache_write_unlock(kv_cache *c); /* ends a write: the generation advances */
void kv_cache_update(kv_cache *c, const uint8_t *key, size_t klen, const uint8_t *val,
                     size_t vlen);

/* Adds rows read from RocksDB while holding no lock, unless a write was applied since `gen`
 * (read under the read lock before the RocksDB read). Takes the write lock itself. The lock
 * prefers writers: a stream of lookups cannot keep a write waiting. */
uint64_t kv_cache_generation(kv_cache *c); /* under the read lock */
void kv_cache_fill(kv_cache *c, uint64_t gen, const uint8_t *const *keys, const size_t *klens,
                   const uint8_t *const *vals, const size_t *vlens, size_t n);

#endif /* STROM_KV_CACHE_H */
