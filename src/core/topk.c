/* topk.c - space-saving heavy hitters (see topk.h). */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/topk.h"

void fw_topk_init(fw_topk *t, uint32_t k)
{
    memset(t, 0, sizeof *t);
    t->k = k ? k : 1;
    t->ent = fw_xcalloc(t->k, sizeof *t->ent);
    t->heap = fw_xcalloc(t->k, sizeof *t->heap);
    t->at = fw_xcalloc(t->k, sizeof *t->at);
    fw_amap_init(&t->pos, sizeof(uint32_t));
}

void fw_topk_destroy(fw_topk *t)
{
    free(t->ent);
    free(t->heap);
    free(t->at);
    fw_amap_destroy(&t->pos);
    memset(t, 0, sizeof *t);
}

static inline uint64_t count_at(const fw_topk *t, uint32_t i) { return t->ent[t->heap[i]].count; }

static inline void swap(fw_topk *t, uint32_t i, uint32_t j)
{
    uint32_t a = t->heap[i], b = t->heap[j];
    t->heap[i] = b;
    t->heap[j] = a;
    t->at[b] = i;
    t->at[a] = j;
}

static void sift_down(fw_topk *t, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->n && count_at(t, l) < count_at(t, m))
            m = l;
        if (r < t->n && count_at(t, r) < count_at(t, m))
            m = r;
        if (m == i)
            return;
        swap(t, i, m);
        i = m;
    }
}

static void sift_up(fw_topk *t, uint32_t i)
{
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (count_at(t, p) <= count_at(t, i))
            return;
        swap(t, i, p);
        i = p;
    }
}

void fw_topk_add(fw_topk *t, const fw_addr *key, uint64_t count, uint64_t bytes, uint64_t packets)
{
    uint64_t h = fw_addr_mix(key);
    uint32_t *p = fw_amap_get_h(&t->pos, key, h);
    if (p) {
        fw_topk_entry *e = &t->ent[*p];
        e->count += count;
        e->bytes += bytes;
        e->packets += packets;
        sift_down(t, t->at[*p]);
        return;
    }
    if (t->n < t->k) {
        uint32_t i = t->n++; /* slot i, at heap position i until it moves */
        t->ent[i] = (fw_topk_entry){*key, count, 0, bytes, packets, h};
        t->heap[i] = i;
        t->at[i] = i;
        *(uint32_t *)fw_amap_upsert_h(&t->pos, key, h, NULL) = i;
        sift_up(t, i);
        return;
    }
    /* Replace the minimum: its slot takes the new key. */
    t->evictions++;
    uint32_t slot = t->heap[0];
    fw_topk_entry *e = &t->ent[slot];
    fw_amap_del(&t->pos, &e->key);
    uint64_t floor = e->count;
    *e = (fw_topk_entry){*key, floor + count, floor, bytes, packets, h};
    *(uint32_t *)fw_amap_upsert_h(&t->pos, key, h, NULL) = slot;
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
    memcpy(all, t->ent, (size_t)t->n * sizeof *all); /* slots 0..n-1 are in use */
    qsort(all, t->n, sizeof *all, cmp_desc);
    uint32_t n = t->n < max ? t->n : max;
    memcpy(out, all, (size_t)n * sizeof *out);
    free(all);
    return n;
}
