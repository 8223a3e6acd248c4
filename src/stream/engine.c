/* engine.c - clean -> event time -> aggregates (see engine.h). */
#include <string.h>

#include "stream/engine.h"

void fw_engine_init(fw_engine *e, const fw_engine_opts *o, const fw_engine_sinks *sinks)
{
    memset(e, 0, sizeof *e);
    e->sinks = *sinks;
    fw_cleaner_init(&e->clean, sinks->quarantine, sinks->ctx);
    fw_minutes_init(&e->minutes, o->per_source, sinks->minute, sinks->ctx);
    fw_wm_init(&e->wm, o->out_of_order_us);
    e->first_us = INT64_MAX;
    e->last_us = INT64_MIN;
}

enum fw_verdict fw_engine_push(fw_engine *e, const fw_record *rec)
{
    enum fw_verdict v = fw_clean(&e->clean, &rec->flow, rec->faults, rec->raw, rec->raw_n, rec->line);
    if (v != FW_ACCEPT)
        return v;
    const fw_flow *f = &rec->flow;
    if (fw_minutes_add(&e->minutes, f) < 0) {
        /* Dedup slices and minutes close together, so this is only reached
         * if they ever diverge; keep the accounting right regardless. */
        e->clean.st.accepted--;
        e->clean.st.late++;
        return FW_LATE;
    }
    if (f->ts_us < e->first_us)
        e->first_us = f->ts_us;
    if (f->ts_us > e->last_us)
        e->last_us = f->ts_us;
    if (e->sinks.flow)
        e->sinks.flow(e->sinks.ctx, f);
    int64_t before = fw_wm_value(&e->wm);
    fw_wm_observe(&e->wm, f->ts_us);
    int64_t wm = fw_wm_value(&e->wm);
    if (wm != before) {
        fw_cleaner_advance(&e->clean, wm);
        fw_minutes_advance(&e->minutes, wm);
    }
    return FW_ACCEPT;
}

void fw_engine_finish(fw_engine *e)
{
    fw_minutes_flush(&e->minutes);
}

void fw_engine_destroy(fw_engine *e)
{
    fw_minutes_destroy(&e->minutes);
    fw_cleaner_destroy(&e->clean);
}
