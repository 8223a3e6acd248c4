/* amap.c - fw_addr-keyed open-addressing hash map (see amap.h). */
#include <stdlib.h>
#include <string.h>
/* Inline xxHash here: every flow hashes a few 16-byte addresses, and the
 * compiler specialises XXH3 for that fixed length (a measured 5% of the
 * detection stage went to the library call). */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/amap.h"
#include "core/log.h"

/* Slot layout: uint64_t hash (0 = empty, else the hash with bit 63 set),
 * then the 16-byte key, then the value. */
#define HDR 24

static inline uint64_t *slot_hash(const fw_amap *m, size_t i)
{
    return (uint64_t *)(m->slots + i * m->stride);
}
static inline fw_addr *slot_key(const fw_amap *m, size_t i)
{
    return (fw_addr *)(m->slots + i * m->stride + 8);
}
static inline void *slot_val(const fw_amap *m, size_t i)
{
    return m->slots + i * m->stride + HDR;
}

uint64_t fw_addr_mix(const fw_addr *a) { return XXH3_64bits(a->b, 16); }

uint64_t fw_addr_hash(const fw_addr *a) { return fw_addr_mix(a) | (1ULL << 63); }

void fw_amap_init(fw_amap *m, size_t vsize)
{
    memset(m, 0, sizeof *m);
    m->vsize = vsize;
    m->stride = (HDR + vsize + 7) & ~(size_t)7;
}

void fw_amap_destroy(fw_amap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->len = 0;
}

void fw_amap_clear(fw_amap *m)
{
    if (m->slots)
        memset(m->slots, 0, m->cap * m->stride);
    m->len = 0;
}

static size_t find(const fw_amap *m, const fw_addr *k, uint64_t h, bool *found)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t sh = *slot_hash(m, i);
        if (sh == 0) {
            *found = false;
            return i;
        }
        if (sh == h && fw_addr_eq(slot_key(m, i), k)) {
            *found = true;
            return i;
        }
    }
}

static void grow(fw_amap *m)
{
    size_t ocap = m->cap;
    unsigned char *old = m->slots;
    m->cap = ocap ? ocap * 2 : 16;
    m->slots = fw_xcalloc(m->cap, m->stride);
    size_t mask = m->cap - 1;
    for (size_t i = 0; i < ocap; i++) {
        unsigned char *s = old + i * m->stride;
        uint64_t h;
        memcpy(&h, s, 8);
        if (!h)
            continue;
        size_t j = h & mask;
        while (*slot_hash(m, j))
            j = (j + 1) & mask;
        memcpy(m->slots + j * m->stride, s, m->stride);
    }
    free(old);
}

void *fw_amap_get_h(const fw_amap *m, const fw_addr *k, uint64_t h)
{
    if (!m->len)
        return NULL;
    bool found;
    size_t i = find(m, k, h | (1ULL << 63), &found);
    return found ? slot_val(m, i) : NULL;
}

void *fw_amap_get(const fw_amap *m, const fw_addr *k) { return fw_amap_get_h(m, k, fw_addr_mix(k)); }

void *fw_amap_upsert(fw_amap *m, const fw_addr *k, bool *created)
{
    return fw_amap_upsert_h(m, k, fw_addr_mix(k), created);
}

void *fw_amap_upsert_h(fw_amap *m, const fw_addr *k, uint64_t h, bool *created)
{
    if ((m->len + 1) * 4 > m->cap * 3)
        grow(m);
    h |= 1ULL << 63;
    bool found;
    size_t i = find(m, k, h, &found);
    if (!found) {
        *slot_hash(m, i) = h;
        *slot_key(m, i) = *k;
        memset(slot_val(m, i), 0, m->vsize);
        m->len++;
    }
    if (created)
        *created = !found;
    return slot_val(m, i);
}

int fw_amap_del(fw_amap *m, const fw_addr *k)
{
    if (!m->len)
        return 0;
    bool found;
    size_t i = find(m, k, fw_addr_hash(k), &found);
    if (!found)
        return 0;
    size_t mask = m->cap - 1;
    /* Backward-shift: pull later entries of the probe run into the hole. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        uint64_t h = *slot_hash(m, j);
        if (!h)
            break;
        size_t home = h & mask;
        /* Move j to hole if its home is not within (hole, j]. */
        bool in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!in_range) {
            memcpy(m->slots + hole * m->stride, m->slots + j * m->stride, m->stride);
            hole = j;
        }
    }
    memset(m->slots + hole * m->stride, 0, m->stride);
    m->len--;
    return 1;
}

void *fw_amap_next(const fw_amap *m, size_t *it, const fw_addr **key)
{
    for (; *it < m->cap; (*it)++) {
        if (*slot_hash(m, *it)) {
            size_t i = (*it)++;
            if (key)
                *key = slot_key(m, i);
            return slot_val(m, i);
        }
    }
    return NULL;
}

size_t fw_amap_sweep(fw_amap *m, size_t *cursor, size_t budget,
                     bool (*drop)(void *ctx, const fw_addr *key, void *value), void *ctx)
{
    size_t deleted = 0;
    if (!m->cap)
        return 0;
    if (budget > m->cap)
        budget = m->cap;
    size_t i = *cursor & (m->cap - 1);
    while (budget--) {
        if (*slot_hash(m, i) && drop(ctx, slot_key(m, i), slot_val(m, i))) {
            fw_addr k = *slot_key(m, i);
            fw_amap_del(m, &k);
            deleted++;
            /* Backward shift may have moved another entry into slot i:
             * look at it again (it costs budget, so this terminates). */
            continue;
        }
        i = (i + 1) & (m->cap - 1);
    }
    *cursor = i;
    return deleted;
}
