/*
 * clean.h - the cleaning stage: verdict, deduplication and the accounting.
 *
 * Every decoded record passes here exactly once with the faults its decoder
 * found.  It is quarantined (any QUARANTINE fault), a duplicate (the same raw
 * text seen before in its time slice), late (its slice already closed), or
 * accepted (with its REPAIR faults counted).  The accounting always holds:
 *
 *   rows_read = accepted + quarantined + duplicates + late
 *
 * Quarantined rows are handed to a callback with their line and raw text.
 */
#ifndef FW_CLEAN_H
#define FW_CLEAN_H

#include <stddef.h>
#include <stdint.h>

#include "clean/dedup.h"
#include "clean/reasons.h"
#include "core/flow.h"

typedef struct fw_clean_stats {
    uint64_t rows_read;
    uint64_t accepted;
    uint64_t quarantined;
    uint64_t duplicates;
    uint64_t late;
    uint64_t by_reason[FW_R_COUNT]; /* quarantined rows with, or accepted rows repaired for, each reason */
} fw_clean_stats;

enum fw_verdict { FW_ACCEPT, FW_QUARANTINE, FW_DUPLICATE, FW_LATE };

typedef void (*fw_quarantine_fn)(void *ctx, uint64_t line, fw_faults reasons, const char *raw,
                                 size_t raw_n);

typedef struct fw_cleaner {
    fw_clean_stats st;
    fw_dedup dedup;
    fw_faults qmask;
    fw_quarantine_fn on_quarantine; /* may be NULL */
    void *ctx;
} fw_cleaner;

void fw_cleaner_init(fw_cleaner *c, fw_quarantine_fn on_quarantine, void *ctx);
void fw_cleaner_destroy(fw_cleaner *c);

/* Judge one decoded record.  raw[0..raw_n) is its text as read, hashed for
 * deduplication and kept in the quarantine.  O(1) expected. */
enum fw_verdict fw_clean(fw_cleaner *c, const fw_flow *flow, fw_faults faults, const char *raw,
                         size_t raw_n, uint64_t line);

/* The same, with the record's hash (fw_record_hash of its raw text) already
 * computed; raw is needed only if the record is quarantined. */
enum fw_verdict fw_clean_hashed(fw_cleaner *c, const fw_flow *flow, fw_faults faults,
                                uint64_t hash, const char *raw, size_t raw_n, uint64_t line);

/* The hash that identifies a record for deduplication. */
uint64_t fw_record_hash(const char *raw, size_t raw_n);

/* Tell the cleaner the watermark moved (drops passed dedup slices). */
void fw_cleaner_advance(fw_cleaner *c, int64_t watermark_us);

#endif
