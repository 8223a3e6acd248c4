/* distinct.c - exact-then-HyperLogLog distinct counter (see distinct.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ckpt.h"
#include "core/distinct.h"
#include "core/log.h"

#define HLL_M (1u << FW_HLL_P)

void fw_distinct_init(fw_distinct *d) { memset(d, 0, sizeof *d); }

void fw_distinct_destroy(fw_distinct *d)
{
    fw_u64set_destroy(&d->set);
    free(d->hll);
    memset(d, 0, sizeof *d);
}

static void hll_add(uint8_t *reg, uint64_t h)
{
    uint32_t idx = (uint32_t)(h >> (64 - FW_HLL_P));
    uint64_t rest = h << FW_HLL_P;
    uint8_t rank = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : (uint8_t)(64 - FW_HLL_P + 1);
    if (rank > reg[idx])
        reg[idx] = rank;
}

static void to_sketch(fw_distinct *d)
{
    d->hll = fw_xcalloc(HLL_M, 1);
    for (uint32_t i = 0; i < d->set.cap; i++)
        if (d->set.slot[i])
            hll_add(d->hll, d->set.slot[i]);
    fw_u64set_destroy(&d->set);
}

void fw_distinct_add(fw_distinct *d, uint64_t h)
{
    if (d->hll) {
        hll_add(d->hll, h);
        return;
    }
    if (d->set.n + 1 > FW_DISTINCT_EXACT_MAX) {
        to_sketch(d);
        hll_add(d->hll, h);
        return;
    }
    fw_u64set_insert(&d->set, h, 8);
}

void fw_distinct_merge(fw_distinct *dst, const fw_distinct *src)
{
    if (src->hll) {
        if (!dst->hll)
            to_sketch(dst);
        for (uint32_t i = 0; i < HLL_M; i++)
            if (src->hll[i] > dst->hll[i])
                dst->hll[i] = src->hll[i];
        return;
    }
    for (uint32_t i = 0; i < src->set.cap; i++)
        if (src->set.slot[i])
            fw_distinct_add(dst, src->set.slot[i]);
}

uint64_t fw_distinct_count(const fw_distinct *d)
{
    if (!d->hll)
        return d->set.n;
    double m = HLL_M, sum = 0;
    unsigned zeros = 0;
    for (uint32_t i = 0; i < HLL_M; i++) {
        sum += ldexp(1.0, -d->hll[i]);
        zeros += d->hll[i] == 0;
    }
    double alpha = 0.7213 / (1 + 1.079 / m);
    double e = alpha * m * m / sum;
    if (e <= 2.5 * m && zeros)
        e = m * log(m / zeros); /* linear counting for the small range */
    return (uint64_t)llround(e);
}

size_t fw_distinct_bytes(const fw_distinct *d)
{
    return d->hll ? HLL_M : fw_u64set_bytes(&d->set);
}

void fw_distinct_save(const fw_distinct *d, fw_ckpt_writer *w)
{
    fw_ckpt_put_u64(w, d->hll ? 1 : 0);
    if (d->hll) {
        fw_ckpt_put(w, d->hll, HLL_M);
        return;
    }
    fw_u64set_save(&d->set, w);
}

void fw_distinct_load(fw_distinct *d, fw_ckpt_reader *r)
{
    if (fw_ckpt_get_u64(r)) {
        d->hll = fw_xcalloc(HLL_M, 1);
        fw_ckpt_get(r, d->hll, HLL_M);
        return;
    }
    fw_u64set_load(&d->set, r, 4 * FW_DISTINCT_EXACT_MAX);
}
