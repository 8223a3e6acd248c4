/* tumbler.c - event-time buckets of a fixed period (see tumbler.h). */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/ts.h"
#include "stream/tumbler.h"

void fw_tumbler_init(fw_tumbler *t, int64_t period_us, fw_tumbler_ops ops, void *ctx)
{
    memset(t, 0, sizeof *t);
    t->period_us = period_us;
    t->next_open_idx = INT64_MIN;
    t->ops = ops;
    t->ctx = ctx;
}

void fw_tumbler_destroy(fw_tumbler *t)
{
    fw_tumbler_flush(t);
    free(t->open);
    t->open = NULL;
    t->cap = 0;
}

void *fw_tumbler_bucket(fw_tumbler *t, int64_t ts_us)
{
    int64_t idx = fw_floor_div(ts_us, t->period_us);
    if (idx < t->next_open_idx)
        return NULL;
    if (t->n && t->open[t->n - 1].idx == idx)
        return t->open[t->n - 1].state;
    /* Binary search for idx, or where it goes. */
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->open[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < t->n && t->open[lo].idx == idx)
        return t->open[lo].state;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->open = fw_xrealloc(t->open, t->cap * sizeof *t->open);
    }
    memmove(t->open + lo + 1, t->open + lo, (t->n - lo) * sizeof *t->open);
    t->open[lo].idx = idx;
    t->open[lo].state = t->ops.open(t->ctx, idx * t->period_us);
    t->n++;
    return t->open[lo].state;
}

static void close_first(fw_tumbler *t, size_t k)
{
    if (!k)
        return; /* also: nothing was ever opened, t->open may be NULL */
    for (size_t i = 0; i < k; i++)
        t->ops.close(t->ctx, t->open[i].idx * t->period_us, t->open[i].state);
    memmove(t->open, t->open + k, (t->n - k) * sizeof *t->open);
    t->n -= k;
}

void fw_tumbler_advance(fw_tumbler *t, int64_t watermark_us)
{
    /* Buckets whose end <= watermark: idx + 1 <= floor(wm / period). */
    int64_t limit = fw_floor_div(watermark_us, t->period_us);
    size_t k = 0;
    while (k < t->n && t->open[k].idx < limit)
        k++;
    close_first(t, k);
    if (limit > t->next_open_idx)
        t->next_open_idx = limit;
}

void fw_tumbler_flush(fw_tumbler *t)
{
    if (t->n)
        t->next_open_idx = t->open[t->n - 1].idx + 1;
    close_first(t, t->n);
}
