/* topk.c - space-saving heavy hitters (see topk.h). */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/topk.h"

void fw_topk_init(fw_topk *t, uint32_t k)
{
    memset(t, 0, sizeof *t);
    t->k = k ? k : 1;
    t->heap = fw_xcalloc(t->k, sizeof *t->heap);
    fw_amap_init(&t->pos, sizeof(uint32_t));
}

void fw_topk_destroy(fw_topk *t)
{
    free(t->heap);
    fw_amap_destroy(&t->pos);
    memset(t, 0, sizeof *t);
}

static void set_pos(fw_topk *t, uint32_t i)
{
    uint32_t *p = fw_amap_get_h(&t->pos, &t->heap[i].key, t->heap[i].hash);
    *p = i;
}

static void sift_down(fw_topk *t, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->n && t->heap[l].count < t->heap[m].count)
            m = l;
        if (r < t->n && t->heap[r].count < t->heap[m].count)
            m = r;
        if (m == i)
            return;
        fw_topk_entry tmp = t->heap[i];
        t->heap[i] = t->heap[m];
        t->heap[m] = tmp;
        set_pos(t, i);
        set_pos(t, m);
        i = m;
    }
}

static void sift_up(fw_topk *t, uint32_t i)
{
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (t->heap[p].count <= t->heap[i].count)
            return;
        fw_topk_entry tmp = t->heap[i];
        t->heap[i] = t->heap[p];
        t->heap[p] = tmp;
        set_pos(t, i);
        set_pos(t, p);
        i = p;
    }
}

void fw_topk_add(fw_topk *t, const fw_addr *key, uint64_t count, uint64_t bytes, uint64_t packets)
{
    uint64_t h = fw_addr_mix(key);
    uint32_t *p = fw_amap_get_h(&t->pos, key, h);
    if (p) {
        uint32_t i = *p;
        t->heap[i].count += count;
        t->heap[i].bytes += bytes;
        t->heap[i].packets += packets;
        sift_down(t, i);
        return;
    }
    if (t->n < t->k) {
        uint32_t i = t->n++;
        t->heap[i] = (fw_topk_entry){*key, count, 0, bytes, packets, h};
        *(uint32_t *)fw_amap_upsert_h(&t->pos, key, h, NULL) = i;
        sift_up(t, i);
        return;
    }
    /* Replace the minimum. */
    t->evictions++;
    fw_amap_del(&t->pos, &t->heap[0].key);
    uint64_t floor = t->heap[0].count;
    t->heap[0] = (fw_topk_entry){*key, floor + count, floor, bytes, packets, h};
    *(uint32_t *)fw_amap_upsert_h(&t->pos, key, h, NULL) = 0;
    sift_down(t, 0);
}

static int cmp_desc(const void *a, const void *b)
{
    const fw_topk_entry *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return memcmp(x->key.b, y->key.b, 16);
}

uint32_t fw_topk_sorted(const fw_topk *t, fw_topk_entry *out, uint32_t max)
{
    fw_topk_entry *all = fw_xmalloc((size_t)t->n * sizeof *all + 1);
    memcpy(all, t->heap, (size_t)t->n * sizeof *all);
    qsort(all, t->n, sizeof *all, cmp_desc);
    uint32_t n = t->n < max ? t->n : max;
    memcpy(out, all, (size_t)n * sizeof *out);
    free(all);
    return n;
}
