/*
 * topk.h - heavy hitters by address: the space-saving algorithm
 * (Metwally et al.) over a min-heap of k counters.
 *
 * While no more than k distinct keys were seen the counts are exact (and
 * fw_topk_exact says so).  After that, a new key replaces the smallest
 * counter and inherits its count as over-estimation error: any key whose
 * true count exceeds total/k is guaranteed to be present.  Bytes and
 * packets ride along with each counter.  Cost: O(log k) per add, memory
 * about 100 * k bytes.  Entries stay in their slots; the heap orders their
 * indexes, so a sift moves two integers rather than two entries and their
 * positions in the key map.
 */
#ifndef FW_TOPK_H
#define FW_TOPK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/amap.h"

typedef struct fw_topk_entry {
    fw_addr key;
    uint64_t count;   /* events (an upper bound once evictions happened) */
    uint64_t error;   /* over-estimation bound inherited on replacement */
    uint64_t bytes;
    uint64_t packets;
    uint64_t hash;    /* fw_addr_mix(key), so moving an entry does not rehash it */
} fw_topk_entry;

typedef struct fw_topk {
    fw_topk_entry *ent;  /* the counters, in slots that do not move */
    uint32_t *heap;      /* min-heap on count: slot indexes */
    uint32_t *at;        /* slot -> its position in heap */
    uint32_t k, n;
    uint64_t evictions;
    fw_amap pos;         /* key -> uint32_t slot */
} fw_topk;

void fw_topk_init(fw_topk *t, uint32_t k);
void fw_topk_destroy(fw_topk *t);
void fw_topk_add(fw_topk *t, const fw_addr *key, uint64_t count, uint64_t bytes, uint64_t packets);
static inline bool fw_topk_exact(const fw_topk *t) { return t->evictions == 0; }
/* The entry at heap position i < t->n (a checkpoint saves them in this
 * order; adding them back in it rebuilds the same heap). */
static inline const fw_topk_entry *fw_topk_at(const fw_topk *t, uint32_t i)
{
    return &t->ent[t->heap[i]];
}
/* Copy up to max entries into out, by count descending, ties by address
 * ascending.  Returns the number copied.  O(k log k). */
uint32_t fw_topk_sorted(const fw_topk *t, fw_topk_entry *out, uint32_t max);

#endif
