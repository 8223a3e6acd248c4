/* prespill.c - pass 1's work per record, on the decoding threads (see prespill.h). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "clean/clean.h"
#include "core/log.h"
#include "stream/engine.h"
#include "stream/prespill.h"

bool fw_prespill_wanted(const fw_record *rec, fw_faults qmask)
{
    return !(rec->faults & qmask) || fw_faults_have_time(rec->faults);
}

void fw_spill_rec_fill(fw_spill_rec *r, const fw_record *rec, uint64_t line)
{
    r->flow = rec->flow;
    r->hash = rec->hash ? rec->hash : fw_record_hash(rec->raw, rec->raw_n);
    r->line = line;
    r->faults = rec->faults;
    r->zero = 0;
}

static void run(void *ctx, const fw_record *recs, size_t n, void **state)
{
    const fw_prespill_opts *o = ctx;
    fw_prespill *ps = *state;
    if (!ps)
        *state = ps = fw_xcalloc(1, sizeof *ps);
    fw_faults qmask = fw_quarantine_mask();
    fw_spill_group_begin(&ps->g, o->bucket_us, o->rec_size);
    ps->nquar = 0;
    for (size_t k = 0; k < n; k++) {
        const fw_record *rec = &recs[k];
        if (rec->faults & qmask) {
            if (ps->nquar == ps->quar_cap) {
                ps->quar_cap = ps->quar_cap ? 2 * ps->quar_cap : 256;
                ps->quar = fw_xrealloc(ps->quar, ps->quar_cap * sizeof *ps->quar);
            }
            ps->quar[ps->nquar++] = (uint32_t)k;
        }
        if (fw_prespill_wanted(rec, qmask))
            fw_spill_group_count(&ps->g, rec->flow.ts_us);
    }
    fw_spill_group_layout(&ps->g);
    size_t j = 0;
    for (size_t k = 0; k < n; k++) {
        const fw_record *rec = &recs[k];
        if (!fw_prespill_wanted(rec, qmask))
            continue;
        char *r = fw_spill_group_place(&ps->g, j++);
        fw_spill_rec_fill((fw_spill_rec *)(void *)r, rec, rec->line);
        if (o->arrival_off)
            memcpy(r + o->arrival_off, &rec->flow.ts_us, sizeof rec->flow.ts_us);
    }
}

static void free_state(void *state)
{
    fw_prespill *ps = state;
    fw_spill_group_free(&ps->g);
    free(ps->quar);
    free(ps);
}

int fw_prespill_take(const fw_batch *bt, fw_spill *s,
                     void (*quarantined)(void *ctx, const fw_record *rec), void *ctx, char *err,
                     size_t errn)
{
    const fw_prespill *ps = bt->post;
    for (size_t q = 0; q < ps->nquar; q++) {
        fw_record rec = fw_batch_record(bt, ps->quar[q]);
        quarantined(ctx, &rec);
    }
    return fw_spill_add_group(s, &ps->g, offsetof(fw_spill_rec, line), bt->line_base, err, errn);
}

void fw_prespill_hook(fw_post *post, const fw_prespill_opts *o)
{
    *post = (fw_post){.run = run, .free_state = free_state, .ctx = (void *)o};
}
