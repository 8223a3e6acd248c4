/*
 * bounded.h - a whole file, aggregated one minute at a time on N threads.
 *
 * The batch pipeline.  Pass 1 takes the decoded records in file order:
 * quarantined rows are judged and handed out at once (their raw text exists
 * only then); every other row is spilled to its minute (stream/spill.h), so
 * memory stays flat however long and however shuffled the file is.
 *
 * Pass 2 hands whole minutes to worker threads.  A worker reads its minute,
 * orders it by event time (stable: equal times keep file order, so the
 * first of a set of duplicates is the one kept), deduplicates and
 * aggregates it in an engine of its own (stream/engine.h), then waits for
 * its turn.  A large minute is cut into slices at changes of event time,
 * which other threads aggregate apart (two-stage aggregation, see
 * fw_bounded_set_split), and the owner merges them (fw_minute_merge) and
 * passes their flows on in order.  Minutes are handed to the sinks strictly
 * in time order, one at a time, so the sinks (detector, store, summary)
 * need no locking and see exactly the sequence a single thread would give;
 * on two threads or more they run off the workers' turns, and the
 * flows_beside sink beside the others (see bounded.c).  Results are
 * identical for any number of threads.
 *
 * Memory: the spill's budget during pass 1; then, per thread, one minute's
 * records (112 bytes each) and aggregates.
 */
#ifndef FW_BOUNDED_H
#define FW_BOUNDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clean/clean.h"
#include "input/source.h"
#include "stream/minute.h"

typedef struct fw_bounded fw_bounded;

typedef struct fw_bounded_sinks {
    fw_quarantine_fn quarantine; /* pass 1, on the calling thread */
    /* Pass 2, in minute order: one minute's accepted flows in event-time
     * order (in one call or several), then the closed minute. */
    void (*flows)(void *ctx, const fw_flow *const *f, size_t n);
    fw_minute_emit_fn minute;
    /* Pass 2 as well, the same flows in the same order, but beside the two
     * above: on two threads or more it may run at the same time as they do,
     * on another thread (it must not share their state).  NULL for none. */
    void (*flows_beside)(void *ctx, const fw_flow *const *f, size_t n);
    void *ctx;
} fw_bounded_sinks;

/* per_source: per-source minute rows.  budget: bytes of records held in
 * memory during pass 1 before spilling to disk. */
fw_bounded *fw_bounded_new(bool per_source, size_t budget, const fw_bounded_sinks *sinks);
/* Two-stage aggregation: a minute of at least 2 * min_records records is
 * cut into slices of at least min_records (one per thread, at most 16),
 * aggregated on whichever threads are free and merged before the minute
 * goes to the sinks, so one busy minute does not leave the other threads
 * idle.  0 turns it off (a minute is one thread's work).  Results are the
 * same either way.  Default FW_BOUNDED_SPLIT_MIN. */
#define FW_BOUNDED_SPLIT_MIN 32768
void fw_bounded_set_split(fw_bounded *b, size_t min_records);
/* Pass 1: one decoded record.  0, or -1 with a message (spill file). */
int fw_bounded_push(fw_bounded *b, const fw_record *rec, char *err, size_t errn);
/* The same for a batch of records (fw_source_next_batch); with the state
 * of the post hook fw_bounded_post gives, which the source then runs on its
 * decoding threads (see stream/prespill.h), the records are spilled in one
 * copy per minute.  Set the hook before fw_source_set_threads. */
void fw_bounded_post(fw_bounded *b, fw_post *post);
int fw_bounded_push_batch(fw_bounded *b, const fw_batch *bt, char *err, size_t errn);
/* Pass 2 on nthreads threads (the caller's among them).  0, or -1 with a
 * message (reading the spill back, starting a thread). */
int fw_bounded_run(fw_bounded *b, unsigned nthreads, char *err, size_t errn);
/* After the run: the cleaning accounting and the event-time span of the
 * accepted flows (INT64_MAX / INT64_MIN if none). */
const fw_clean_stats *fw_bounded_stats(const fw_bounded *b);
void fw_bounded_span(const fw_bounded *b, int64_t *first_us, int64_t *last_us);
void fw_bounded_free(fw_bounded *b);

#endif
