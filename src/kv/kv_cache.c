/*
 * kv_cache.c: the in-memory row cache of a primary-key bucket (kv_cache.h).
 */
#include "kv/kv_cache.h"

#include <stdlib.h>
#include <string.h>

#include "common/crc32c.h"

struct kv_cache_entry {
    kv_cache_entry *next;     /* hash chain */
    size_t slot;              /* index in the ring */
    uint32_t hash, klen, vlen;
    uint8_t ref;              /* looked up since the hand passed (atomic) */
    uint8_t data[];           /* key, then value */
};

#define ENTRY_OVERHEAD (sizeof(kv_cache_entry) + 2 * sizeof(void *))

int kv_cache_init(kv_cache *c, uint64_t max_bytes)
{
    memset(c, 0, sizeof *c);
    c->max_bytes = max_bytes;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&c->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (max_bytes == 0)
        return 0;
    c->nbuckets = 1024;
    c->table = calloc(c->nbuckets, sizeof *c->table);
    return c->table ? 0 : -1;
}

void kv_cache_free(kv_cache *c)
{
    for (size_t i = 0; i < c->count; i++)
        free(c->ring[i]);
    free(c->ring);
    free(c->table);
    pthread_rwlock_destroy(&c->lock);
    memset(c, 0, sizeof *c);
}

void kv_cache_read_lock(kv_cache *c)
{
    pthread_rwlock_rdlock(&c->lock);
}

bool kv_cache_try_read_lock(kv_cache *c)
{
    return pthread_rwlock_tryrdlock(&c->lock) == 0;
}

void kv_cache_read_unlock(kv_cache *c)
{
    pthread_rwlock_unlock(&c->lock);
}

void kv_cache_write_lock(kv_cache *c)
{
    pthread_rwlock_wrlock(&c->lock);
}

void kv_cache_write_unlock(kv_cache *c)
{
    c->gen++;
    pthread_rwlock_unlock(&c->lock);
}

uint64_t kv_cache_generation(kv_cache *c)
{
    return c->gen;
}

static uint32_t hash_of(const uint8_t *k, size_t n)
{
    return strom_crc32c(0x5bd1e995, k, n);
}

/* The link that points at key's entry (or at the NULL ending its chain). */
static kv_cache_entry **find(kv_cache *c, const uint8_t *k, size_t n, uint32_t h)
{
    kv_cache_entry **pp = &c->table[h & (c->nbuckets - 1)];
    while (*pp && !((*pp)->hash == h && (*pp)->klen == n && !memcmp((*pp)->data, k, n)))
        pp = &(*pp)->next;
    return pp;
}

const uint8_t *kv_cache_get(kv_cache *c, const uint8_t *key, size_t klen, size_t *vlen)
{
    if (!c->table)
        return NULL;
    kv_cache_entry *e = *find(c, key, klen, hash_of(key, klen));
    if (!e)
        return NULL;
    if (!__atomic_load_n(&e->ref, __ATOMIC_RELAXED))
        __atomic_store_n(&e->ref, 1, __ATOMIC_RELAXED);
    *vlen = e->vlen;
    return e->data + e->klen;
}

/* Unlinks and frees e (write lock held). */
static void drop(kv_cache *c, kv_cache_entry *e)
{
    kv_cache_entry **pp = find(c, e->data, e->klen, e->hash);
    *pp = e->next;
    c->ring[e->slot] = c->ring[--c->count];
    c->ring[e->slot]->slot = e->slot;
    c->bytes -= ENTRY_OVERHEAD + e->klen + e->vlen;
    free(e);
}

/* Evicts by CLOCK until the cache is within its budget. */
static void evict(kv_cache *c)
{
    while (c->bytes > c->max_bytes && c->count > 0) {
        if (c->hand >= c->count)
            c->hand = 0;
        kv_cache_entry *e = c->ring[c->hand];
        if (__atomic_load_n(&e->ref, __ATOMIC_RELAXED)) {
            __atomic_store_n(&e->ref, 0, __ATOMIC_RELAXED);
            c->hand++;
        } else {
            drop(c, e); /* the last entry moved into this slot: the hand stays */
        }
    }
}

static void grow_table(kv_cache *c)
{
    size_t n = c->nbuckets * 2;
    kv_cache_entry **t = calloc(n, sizeof *t);
    if (!t)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < c->count; i++) {
        kv_cache_entry *e = c->ring[i];
        e->next = t[e->hash & (n - 1)];
        t[e->hash & (n - 1)] = e;
    }
    free(c->table);
    c->table = t;
    c->nbuckets = n;
}

static void set(kv_cache *c, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    if (!c->table)
        return;
    uint32_t h = hash_of(key, klen);
    kv_cache_entry *old = *find(c, key, klen, h);
    if (old)
        drop(c, old);
    if (!val || ENTRY_OVERHEAD + klen + vlen > c->max_bytes / 4)
        return;
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        kv_cache_entry **r = realloc(c->ring, sizeof *r * cap);
        if (!r)
            return;
        c->ring = r;
        c->cap = cap;
    }
    kv_cache_entry *e = malloc(sizeof *e + klen + vlen);
    if (!e)
        return;
    e->hash = h;
    e->klen = (uint32_t)klen;
    e->vlen = (uint32_t)vlen;
    e->ref = 0;
    memcpy(e->data, key, klen);
    memcpy(e->data + klen, val, vlen);
    e->slot = c->count;
    c->ring[c->count++] = e;
    kv_cache_entry **head = &c->table[h & (c->nbuckets - 1)];
    e->next = *head;
    *head = e;
    c->bytes += ENTRY_OVERHEAD + klen + vlen;
    if (c->count > c->nbuckets)
        grow_table(c);
    evict(c);
}

void kv_cache_fill(kv_cache *c, uint64_t gen, const uint8_t *const *keys, const size_t *klens,
                   const uint8_t *const *vals, const size_t *vlens, size_t n)
{
    if (!c->table || n == 0)
        return;
    pthread_rwlock_wrlock(&c->lock);
    if (c->gen == gen) /* no write since the rows were read: they are current */
        for (size_t i = 0; i < n; i++)
            if (vals[i])
                set(c, keys[i], klens[i], vals[i], vlens[i]);
    pthread_rwlock_unlock(&c->lock); /* a fill is not a write: the generation stays */
}

void kv_cache_update(kv_cache *c, const uint8_t *key, size_t klen, const uint8_t *val,
                     size_t vlen)
{
    if (!c->table || !*find(c, key, klen, hash_of(key, klen)))
        return;
    set(c, key, klen, val, vlen);
}
