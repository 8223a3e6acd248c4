/* u64set.c - set of 64-bit hashes (see u64set.h). */
#include <stdlib.h>
#include <string.h>

#include "core/ckpt.h"
#include "core/log.h"
#include "core/u64set.h"

static int put(fw_u64set *s, uint64_t h)
{
    uint32_t mask = s->cap - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        if (s->slot[i] == h)
            return 1;
        if (!s->slot[i]) {
            s->slot[i] = h;
            s->n++;
            return 0;
        }
    }
}

int fw_u64set_insert(fw_u64set *s, uint64_t h, uint32_t min_cap)
{
    if (!h)
        h = 1;
    if ((s->n + 1) * 4 > s->cap * 3) {
        uint32_t ocap = s->cap;
        uint64_t *old = s->slot;
        s->cap = ocap ? ocap * 2 : min_cap;
        s->slot = fw_xcalloc(s->cap, sizeof *s->slot);
        s->n = 0;
        for (uint32_t i = 0; i < ocap; i++)
            if (old[i])
                put(s, old[i]);
        free(old);
    }
    return put(s, h);
}

void fw_u64set_destroy(fw_u64set *s)
{
    free(s->slot);
    memset(s, 0, sizeof *s);
}

void fw_u64set_save(const fw_u64set *s, fw_ckpt_writer *w)
{
    fw_ckpt_put_u64(w, s->cap);
    fw_ckpt_put_u64(w, s->n);
    fw_ckpt_put(w, s->slot, fw_u64set_bytes(s));
}

void fw_u64set_load(fw_u64set *s, fw_ckpt_reader *r, uint64_t max_cap)
{
    uint64_t cap = fw_ckpt_get_u64(r), n = fw_ckpt_get_u64(r);
    if ((cap & (cap - 1)) || n > cap || cap > max_cap) {
        r->err = 1;
        return;
    }
    s->cap = (uint32_t)cap;
    s->n = (uint32_t)n;
    s->slot = cap ? fw_xcalloc(cap, sizeof *s->slot) : NULL;
    fw_ckpt_get(r, s->slot, cap * sizeof *s->slot);
}
