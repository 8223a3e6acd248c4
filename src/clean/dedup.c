/* dedup.c - per-slice exact deduplication (see dedup.h). */
#include <stdlib.h>
#include <string.h>

#include "clean/dedup.h"
#include "core/log.h"
#include "core/ts.h"

struct slice {
    uint64_t *set; /* open addressing, 0 = empty */
    uint32_t cap, n;
};

static void *slice_open(void *ctx, int64_t start_us)
{
    return fw_xcalloc(1, sizeof(struct slice));
}

static void slice_close(void *ctx, int64_t start_us, void *state)
{
    fw_dedup *d = ctx;
    struct slice *s = state;
    d->bytes -= (uint64_t)s->cap * sizeof *s->set;
    free(s->set);
    free(s);
}

void fw_dedup_init(fw_dedup *d)
{
    memset(d, 0, sizeof *d);
    fw_tumbler_init(&d->slices, 60 * FW_US_PER_S, (fw_tumbler_ops){slice_open, slice_close}, d);
}

void fw_dedup_destroy(fw_dedup *d) { fw_tumbler_destroy(&d->slices); }

static int insert(struct slice *s, uint64_t h)
{
    uint32_t mask = s->cap - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        if (s->set[i] == h)
            return 1;
        if (!s->set[i]) {
            s->set[i] = h;
            s->n++;
            return 0;
        }
    }
}

int fw_dedup_check(fw_dedup *d, int64_t ts_us, uint64_t hash)
{
    struct slice *s = fw_tumbler_bucket(&d->slices, ts_us);
    if (!s)
        return -1;
    if (!hash)
        hash = 1;
    if ((s->n + 1) * 4 > s->cap * 3) {
        uint32_t ocap = s->cap;
        uint64_t *old = s->set;
        s->cap = ocap ? ocap * 2 : 1024;
        s->set = fw_xcalloc(s->cap, sizeof *s->set);
        s->n = 0;
        for (uint32_t i = 0; i < ocap; i++)
            if (old[i])
                insert(s, old[i]);
        free(old);
        d->bytes += (uint64_t)(s->cap - ocap) * sizeof *s->set;
    }
    return insert(s, hash);
}

void fw_dedup_advance(fw_dedup *d, int64_t watermark_us)
{
    fw_tumbler_advance(&d->slices, watermark_us);
}
