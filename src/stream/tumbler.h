/*
 * tumbler.h - event-time buckets of a fixed period (panes, minutes).
 *
 * A bucket covers [k * period, (k + 1) * period).  It is opened by the first
 * event that falls in it and closed, in time order, when the watermark
 * passes its end (fw_tumbler_advance) or when a bounded input ends
 * (fw_tumbler_flush).  An event for a bucket already closed is late: the
 * caller gets NULL and decides (count it, send it to the late output).
 *
 * The per-bucket state is the caller's: ops.open makes it, ops.close emits
 * and frees it.  Time comes only from arguments; nothing reads the clock.
 * Cost: an event in the newest bucket is O(1); otherwise a binary search
 * over the open buckets (few when streaming; the whole span when a shuffled
 * bounded input is read).
 */
#ifndef FW_TUMBLER_H
#define FW_TUMBLER_H

#include <stddef.h>
#include <stdint.h>

typedef struct fw_tumbler_ops {
    void *(*open)(void *ctx, int64_t start_us);
    void (*close)(void *ctx, int64_t start_us, void *state);
} fw_tumbler_ops;

struct fw_tumbler_bucket {
    int64_t idx;  /* bucket number: start = idx * period */
    void *state;
};

typedef struct fw_tumbler {
    int64_t period_us;
    int64_t next_open_idx; /* buckets below this index are closed */
    struct fw_tumbler_bucket *open; /* sorted by idx, ascending */
    size_t n, cap;
    fw_tumbler_ops ops;
    void *ctx;
} fw_tumbler;

void fw_tumbler_init(fw_tumbler *t, int64_t period_us, fw_tumbler_ops ops, void *ctx);
/* Close every open bucket (in order) and free the tumbler's memory. */
void fw_tumbler_destroy(fw_tumbler *t);

/* The state of the bucket holding ts_us, opened if needed; NULL if that
 * bucket was already closed (the event is late). */
void *fw_tumbler_bucket(fw_tumbler *t, int64_t ts_us);
/* Close every bucket whose end is at or before watermark_us. */
void fw_tumbler_advance(fw_tumbler *t, int64_t watermark_us);
/* Close every open bucket (end of a bounded input). */
void fw_tumbler_flush(fw_tumbler *t);

#endif
