/* dedup.c - per-slice exact deduplication (see dedup.h). */
#include <stdlib.h>
#include <string.h>

#include "clean/dedup.h"
#include "core/ckpt.h"
#include "core/log.h"
#include "core/u64set.h"
#include "core/ts.h"

/* Slices are one second of event time, dropped a minute at a time.  A
 * minute's records in one set made it some 512 KiB at the seed's busiest
 * minutes, a cache miss per insert; a second's set is a few KiB and the
 * records of a replay or a live input arrive one second after another.
 * Dropping whole minutes keeps lateness what it was: a record is late when
 * its minute is, as for the minute aggregates. */
#define SLICE_US FW_US_PER_S
#define DROP_US (60 * FW_US_PER_S)

struct slice {
    fw_u64set seen; /* hashes of the records seen in this second */
};

static void *slice_open(void *ctx, int64_t start_us)
{
    return fw_xcalloc(1, sizeof(struct slice));
}

/* A new slice's set starts at twice the records of the last slice closed
 * (a power of two, from 256 up to 2^20 slots, 8 MiB): in steady traffic it
 * then never regrows (rehashing every record once or twice) and stays under
 * half full, where an insert probes about two slots instead of up to eight
 * near the 3/4 load at which it would grow. */
#define FIRST_CAP_MIN 256u
#define FIRST_CAP_MAX (1u << 20)

static void slice_close(void *ctx, int64_t start_us, void *state)
{
    fw_dedup *d = ctx;
    struct slice *s = state;
    uint32_t cap = FIRST_CAP_MIN;
    while (cap < FIRST_CAP_MAX && cap < 2 * (uint64_t)s->seen.n)
        cap *= 2;
    d->first_cap = cap;
    d->bytes -= fw_u64set_bytes(&s->seen);
    fw_u64set_destroy(&s->seen);
    free(s);
}

void fw_dedup_init(fw_dedup *d)
{
    memset(d, 0, sizeof *d);
    d->first_cap = FIRST_CAP_MIN;
    fw_tumbler_init(&d->slices, SLICE_US, (fw_tumbler_ops){slice_open, slice_close}, d);
}

void fw_dedup_destroy(fw_dedup *d) { fw_tumbler_destroy(&d->slices); }

int fw_dedup_check(fw_dedup *d, int64_t ts_us, uint64_t hash)
{
    struct slice *s = fw_tumbler_bucket(&d->slices, ts_us);
    if (!s)
        return -1;
    size_t before = fw_u64set_bytes(&s->seen);
    int seen = fw_u64set_insert(&s->seen, hash, d->first_cap);
    d->bytes += fw_u64set_bytes(&s->seen) - before;
    return seen;
}

void fw_dedup_advance(fw_dedup *d, int64_t watermark_us)
{
    /* Only whole minutes (see SLICE_US); the smallest watermark says none. */
    if (watermark_us > INT64_MIN + DROP_US)
        fw_tumbler_advance(&d->slices, fw_floor_div(watermark_us, DROP_US) * DROP_US);
}

void fw_dedup_save(const fw_dedup *d, fw_ckpt_writer *w)
{
    fw_ckpt_put_i64(w, d->slices.next_open_idx);
    fw_ckpt_put_u64(w, d->slices.n);
    for (size_t i = 0; i < d->slices.n; i++) {
        const struct slice *s = d->slices.open[i].state;
        fw_ckpt_put_i64(w, d->slices.open[i].idx);
        fw_u64set_save(&s->seen, w);
    }
}

void fw_dedup_load(fw_dedup *d, fw_ckpt_reader *r)
{
    int64_t next = fw_ckpt_get_i64(r);
    uint64_t n = fw_ckpt_get_u64(r);
    for (uint64_t i = 0; i < n && !r->err; i++) {
        int64_t idx = fw_ckpt_get_i64(r);
        struct slice *s = fw_tumbler_bucket(&d->slices, idx * d->slices.period_us);
        if (!s) {
            r->err = 1;
            return;
        }
        fw_u64set_load(&s->seen, r, 1ULL << 31);
        d->bytes += fw_u64set_bytes(&s->seen);
    }
    d->slices.next_open_idx = next;
}
