/* dedup.c - per-slice exact deduplication (see dedup.h). */
#include <stdlib.h>
#include <string.h>

#include "clean/dedup.h"
#include "core/ckpt.h"
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

void fw_dedup_save(const fw_dedup *d, fw_ckpt_writer *w)
{
    fw_ckpt_put_i64(w, d->slices.next_open_idx);
    fw_ckpt_put_u64(w, d->slices.n);
    for (size_t i = 0; i < d->slices.n; i++) {
        const struct slice *s = d->slices.open[i].state;
        fw_ckpt_put_i64(w, d->slices.open[i].idx);
        fw_ckpt_put_u64(w, s->cap);
        fw_ckpt_put_u64(w, s->n);
        fw_ckpt_put(w, s->set, (size_t)s->cap * sizeof *s->set);
    }
}

void fw_dedup_load(fw_dedup *d, fw_ckpt_reader *r)
{
    int64_t next = fw_ckpt_get_i64(r);
    uint64_t n = fw_ckpt_get_u64(r);
    for (uint64_t i = 0; i < n && !r->err; i++) {
        int64_t idx = fw_ckpt_get_i64(r);
        uint64_t cap = fw_ckpt_get_u64(r), cnt = fw_ckpt_get_u64(r);
        if ((cap & (cap - 1)) || cnt > cap || cap > (1ULL << 31)) {
            r->err = 1;
            return;
        }
        struct slice *s = fw_tumbler_bucket(&d->slices, idx * d->slices.period_us);
        if (!s) {
            r->err = 1;
            return;
        }
        s->cap = (uint32_t)cap;
        s->n = (uint32_t)cnt;
        s->set = cap ? fw_xcalloc(cap, sizeof *s->set) : NULL;
        fw_ckpt_get(r, s->set, cap * sizeof *s->set);
        d->bytes += cap * sizeof *s->set;
    }
    d->slices.next_open_idx = next;
}
