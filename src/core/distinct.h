/*
 * distinct.h - count distinct 64-bit hashes: exact while small, then
 * HyperLogLog.
 *
 * Below FW_DISTINCT_EXACT_MAX values the count is exact (a small hash set);
 * past it the set is folded into a HyperLogLog with 2^12 registers (4 KiB,
 * standard error about 1.6%).  So most keys (a destination with a few hundred
 * clients) cost little and report exact counts, and a flood's victim with a
 * million sources costs 4 KiB.  Inputs must be well-mixed 64-bit hashes.
 */
#ifndef FW_DISTINCT_H
#define FW_DISTINCT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/u64set.h"

#define FW_DISTINCT_EXACT_MAX 2048
#define FW_HLL_P 12

typedef struct fw_distinct {
    fw_u64set set;    /* exact mode */
    uint8_t *hll;     /* sketch mode: 2^FW_HLL_P registers (set is empty) */
} fw_distinct;

void fw_distinct_init(fw_distinct *d);
void fw_distinct_destroy(fw_distinct *d);
/* Add a hash. */
void fw_distinct_add(fw_distinct *d, uint64_t h);
/* Merge src into dst (src unchanged). */
void fw_distinct_merge(fw_distinct *dst, const fw_distinct *src);
/* The count: exact in exact mode, an estimate after. */
uint64_t fw_distinct_count(const fw_distinct *d);
static inline bool fw_distinct_is_exact(const fw_distinct *d) { return d->hll == NULL; }
/* Bytes held. */
size_t fw_distinct_bytes(const fw_distinct *d);

struct fw_ckpt_writer;
struct fw_ckpt_reader;
void fw_distinct_save(const fw_distinct *d, struct fw_ckpt_writer *w);
/* Restore into an initialised, empty counter; sets r->err on bad data. */
void fw_distinct_load(fw_distinct *d, struct fw_ckpt_reader *r);

#endif
