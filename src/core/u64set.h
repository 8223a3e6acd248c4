/*
 * u64set.h - a set of non-zero 64-bit hashes: open addressing, linear
 * probing, doubling at 3/4 load.  Serves deduplication (hashes of raw
 * records) and exact distinct counting (hashes of addresses).
 * A zero hash is stored as 1 (0 marks an empty slot).
 */
#ifndef FW_U64SET_H
#define FW_U64SET_H

#include <stddef.h>
#include <stdint.h>

typedef struct fw_u64set {
    uint64_t *slot; /* cap slots, 0 = empty */
    uint32_t cap;   /* a power of two, or 0 before the first insert */
    uint32_t n;     /* values held */
} fw_u64set;

/* Insert h (first allocation of min_cap slots).  Returns 1 if h was already
 * there, 0 if it was added.  O(1) expected; growth rehashes, O(n). */
int fw_u64set_insert(fw_u64set *s, uint64_t h, uint32_t min_cap);
void fw_u64set_destroy(fw_u64set *s);
static inline size_t fw_u64set_bytes(const fw_u64set *s) { return (size_t)s->cap * sizeof *s->slot; }

struct fw_ckpt_writer;
struct fw_ckpt_reader;
void fw_u64set_save(const fw_u64set *s, struct fw_ckpt_writer *w);
/* Restore into an empty set; sets r->err on bad data (capacity above max_cap). */
void fw_u64set_load(fw_u64set *s, struct fw_ckpt_reader *r, uint64_t max_cap);

#endif
