/*
 * amap.h - a hash map from fw_addr to a fixed-size value, stored inline.
 *
 * Open addressing with linear probing and backward-shift deletion, so there
 * are no tombstones and lookups stay short.  Values are zeroed when created.
 * Pointers to values are valid until the next insertion or deletion (the
 * table may move).  Costs: get/upsert/del O(1) expected; the table doubles
 * at 3/4 load, memory about (24 + vsize) * capacity bytes.
 */
#ifndef FW_AMAP_H
#define FW_AMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

typedef struct fw_amap {
    unsigned char *slots; /* cap slots of stride bytes: hash, key, value */
    size_t cap;           /* a power of two, or 0 before the first insert */
    size_t len;           /* live entries */
    size_t stride;
    size_t vsize;
} fw_amap;

void fw_amap_init(fw_amap *m, size_t vsize);
void fw_amap_destroy(fw_amap *m);
/* Remove every entry, keeping the memory. */
void fw_amap_clear(fw_amap *m);

/* The map's hash of an address (bit 63 always set: not for sketches). */
uint64_t fw_addr_hash(const fw_addr *a);
/* A well-mixed 64-bit hash of an address, for sketches (HLL, dedup). */
uint64_t fw_addr_mix(const fw_addr *a);

/* The value for k, or NULL. */
void *fw_amap_get(const fw_amap *m, const fw_addr *k);
/* The value for k, created (zeroed) if absent; *created says which. */
void *fw_amap_upsert(fw_amap *m, const fw_addr *k, bool *created);
/* The same with h = fw_addr_mix(k) already computed by the caller (who
 * needs it for a sketch too): saves hashing the key twice. */
void *fw_amap_get_h(const fw_amap *m, const fw_addr *k, uint64_t h);
void *fw_amap_upsert_h(fw_amap *m, const fw_addr *k, uint64_t h, bool *created);
/* Remove k; returns 1 if it was there. */
int fw_amap_del(fw_amap *m, const fw_addr *k);

/* Iterate: start with *it = 0; returns the next value and its key, or NULL
 * at the end.  The map must not change during iteration. */
void *fw_amap_next(const fw_amap *m, size_t *it, const fw_addr **key);

/*
 * Visit up to budget slots from *cursor (wrapping), deleting the entries for
 * which drop(ctx, key, value) returns true.  Each call continues where the
 * last one stopped, so repeated calls sweep the whole table a little at a
 * time (the redis way of bounding work per tick).  Returns entries deleted.
 */
size_t fw_amap_sweep(fw_amap *m, size_t *cursor, size_t budget,
                     bool (*drop)(void *ctx, const fw_addr *key, void *value), void *ctx);

/* Bytes held by the table. */
static inline size_t fw_amap_bytes(const fw_amap *m) { return m->cap * m->stride; }
/* Bytes the table would hold after one more insertion (it doubles at 3/4). */
static inline size_t fw_amap_bytes_after_insert(const fw_amap *m)
{
    if ((m->len + 1) * 4 > m->cap * 3)
        return (m->cap ? 2 * m->cap : 16) * m->stride;
    return m->cap * m->stride;
}

#endif
