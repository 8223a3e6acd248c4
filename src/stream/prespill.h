/*
 * prespill.h - pass 1's work per record, on the threads that decode.
 *
 * Batch and the stream replay both read a whole file first and spill each
 * record to its minute (stream/spill.h) before anything is aggregated.  On
 * one thread the consumer does that record by record, writing into some
 * hundred minutes' buffers at random; with several decoding threads that
 * made the consumer the serial part of reading.  Here the decoding thread
 * does it for its range (fw_post, input/source.h): it builds the spilled
 * records, grouped by minute and in file order within each, and lists the
 * quarantined rows; the consumer appends each minute's share with one copy
 * (fw_spill_add_group) and judges only the quarantined rows, which need the
 * raw text and the sinks in file order.  What reaches the spill is
 * identical to spilling record by record.
 */
#ifndef FW_PRESPILL_H
#define FW_PRESPILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clean/reasons.h"
#include "core/flow.h"
#include "input/source.h"
#include "stream/spill.h"

/* What both spill, and what a caller's record begins with. */
typedef struct fw_spill_rec {
    fw_flow flow;
    uint64_t hash;   /* fw_record_hash of the raw text */
    uint64_t line;
    fw_faults faults;
    uint32_t zero;   /* what would be padding, written 0: the spill file holds no undefined bytes */
} fw_spill_rec;

/* Whether a decoded record is spilled: a row without quarantine faults, or
 * a quarantined one whose time places it in a minute (counted there). */
bool fw_prespill_wanted(const fw_record *rec, fw_faults qmask);
/* Fill the common part from a decoded record whose line is `line`. */
void fw_spill_rec_fill(fw_spill_rec *r, const fw_record *rec, uint64_t line);

typedef struct fw_prespill_opts {
    int64_t bucket_us;
    size_t rec_size;      /* at least sizeof(fw_spill_rec) */
    size_t arrival_off;   /* 0, or where an int64 copy of the flow's time goes */
} fw_prespill_opts;

/* A range's results (a batch's post state). */
typedef struct fw_prespill {
    fw_spill_group g;     /* the records to spill, lines from the range's start */
    uint32_t *quar;       /* indexes of the quarantined records, in order */
    size_t nquar, quar_cap;
} fw_prespill;

/* The post hook; o must outlive the source's reading. */
void fw_prespill_hook(fw_post *post, const fw_prespill_opts *o);
/* Take a batch that carries the hook's state: each quarantined row, with
 * its absolute line, to quarantined(ctx, rec) in file order, then the
 * records to spill appended to s (lines rebased).  0, or -1 with a message
 * (writing the spill). */
int fw_prespill_take(const fw_batch *bt, fw_spill *s,
                     void (*quarantined)(void *ctx, const fw_record *rec), void *ctx, char *err,
                     size_t errn);

#endif
