/*
 * dedup.h - exact deduplication of records within the event-time horizon.
 *
 * A record is identified by a 64-bit hash of its raw text.  Exact
 * duplicates carry the same timestamp, so the seen-set is split into
 * event-time slices (one second each, small enough to stay in cache) and a
 * duplicate is always looked up in its own slice; slices are dropped a
 * minute at a time, when the watermark passes the end of their minute (so
 * a record is late exactly when its minute is).  A bounded input that
 * holds the watermark keeps every slice until its end.  Memory: 8-16 bytes
 * per distinct record in the open slices.  Two different records of one
 * slice share a hash with probability about n^2 / 2^65 (2e-8 for a million
 * records in one second).
 */
#ifndef FW_DEDUP_H
#define FW_DEDUP_H

#include <stdint.h>

#include "stream/tumbler.h"

typedef struct fw_dedup {
    fw_tumbler slices;
    uint64_t bytes;     /* memory held by the open slices */
    uint32_t first_cap; /* slots a new slice's set starts with (see dedup.c) */
} fw_dedup;

void fw_dedup_init(fw_dedup *d);
void fw_dedup_destroy(fw_dedup *d);
/* 0: first sighting (now remembered); 1: a duplicate; -1: the record's
 * slice was already dropped (the record is late). */
int fw_dedup_check(fw_dedup *d, int64_t ts_us, uint64_t hash);
/* Drop the slices the watermark has passed. */
void fw_dedup_advance(fw_dedup *d, int64_t watermark_us);

struct fw_ckpt_writer;
struct fw_ckpt_reader;
void fw_dedup_save(const fw_dedup *d, struct fw_ckpt_writer *w);
void fw_dedup_load(fw_dedup *d, struct fw_ckpt_reader *r);

#endif
