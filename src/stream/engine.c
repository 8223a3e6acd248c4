/* engine.c - clean -> event time -> aggregates (see engine.h). */
#include <stdlib.h>
#include <string.h>

#include "core/ckpt.h"
#include "core/log.h"
#include "core/ts.h"
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
    e->next_close_us = INT64_MIN;
    if (o->detect) {
        e->incidents = fw_incidents_new(o->detect, sinks->incident, sinks->ctx);
        e->detector = fw_detector_new(o->detect, e->incidents);
        e->lateness_us = (int64_t)(o->detect->lateness_s * FW_US_PER_S);
    }
}

void fw_engine_close_until(fw_engine *e, int64_t end_us)
{
    fw_cleaner_advance(&e->clean, end_us);
    fw_minutes_advance(&e->minutes, end_us);
}

/* The watermark moved: close what it passed. */
static void advance(fw_engine *e, int64_t wm)
{
    /* Every bucket (1 s panes, minutes, dedup slices) ends on a whole
     * second, so nothing can close before the watermark passes the next one:
     * skip the work until then.  The watermark moves with nearly every
     * flow, so this saves three tumbler scans per flow. */
    if (wm != FW_WM_NONE && wm < e->next_close_us)
        return;
    if (wm != FW_WM_NONE)
        e->next_close_us = (fw_floor_div(wm, FW_US_PER_S) + 1) * FW_US_PER_S;
    int64_t agg_wm = wm == FW_WM_NONE ? wm : wm - e->lateness_us;
    fw_engine_close_until(e, agg_wm);
    if (e->detector)
        fw_detector_advance(e->detector, wm, e->wm.max_ts_us);
}

/* A row not accepted but placed in time (its timestamp parsed): count it in
 * its minute's data quality. */
bool fw_faults_have_time(fw_faults faults)
{
    return !(faults & (FW_BIT(FW_R_TIMESTAMP_MISSING) | FW_BIT(FW_R_TIMESTAMP_INVALID) |
                       FW_BIT(FW_R_CSV_MALFORMED)));
}

static void note(fw_engine *e, const fw_flow *f, fw_faults faults, enum fw_verdict v)
{
    if (e->defer_notes && v == FW_QUARANTINE)
        return;
    if ((v == FW_QUARANTINE || v == FW_DUPLICATE) && fw_faults_have_time(faults))
        fw_minutes_note(&e->minutes, f->ts_us, v == FW_DUPLICATE);
}

void fw_engine_defer_notes(fw_engine *e, bool defer) { e->defer_notes = defer; }

void fw_engine_note_quarantine(fw_engine *e, int64_t ts_us)
{
    fw_minutes_note(&e->minutes, ts_us, false);
}

/* After cleaning: aggregate an accepted flow and move the watermark. */
static enum fw_verdict accept(fw_engine *e, const fw_flow *f, uint64_t line, fw_faults faults)
{
    if (fw_minutes_add(&e->minutes, f, (faults & ~e->clean.qmask) != 0) < 0) {
        /* Dedup slices and minutes close together, so this is only reached
         * if they ever diverge; keep the accounting right regardless. */
        e->clean.st.accepted--;
        e->clean.st.late++;
        if (e->sinks.late)
            e->sinks.late(e->sinks.ctx, f, line);
        return FW_LATE;
    }
    if (f->ts_us < e->first_us)
        e->first_us = f->ts_us;
    if (f->ts_us > e->last_us)
        e->last_us = f->ts_us;
    if (e->sinks.flow)
        e->sinks.flow(e->sinks.ctx, f);
    if (e->detector) {
        fw_detector_add(e->detector, f);
    }
    int64_t before = fw_wm_value(&e->wm);
    fw_wm_observe(&e->wm, f->ts_us);
    int64_t wm = fw_wm_value(&e->wm);
    if (wm != before)
        advance(e, wm);
    return FW_ACCEPT;
}

enum fw_verdict fw_engine_push(fw_engine *e, const fw_record *rec)
{
    enum fw_verdict v =
        rec->hash ? fw_clean_hashed(&e->clean, &rec->flow, rec->faults, rec->hash, rec->raw,
                                    rec->raw_n, rec->line)
                  : fw_clean(&e->clean, &rec->flow, rec->faults, rec->raw, rec->raw_n, rec->line);
    if (v == FW_LATE && e->sinks.late)
        e->sinks.late(e->sinks.ctx, &rec->flow, rec->line);
    if (v == FW_ACCEPT)
        return accept(e, &rec->flow, rec->line, rec->faults);
    note(e, &rec->flow, rec->faults, v);
    return v;
}

enum fw_verdict fw_engine_push_hashed(fw_engine *e, const fw_flow *f, fw_faults faults,
                                      uint64_t hash, uint64_t line)
{
    enum fw_verdict v = fw_clean_hashed(&e->clean, f, faults, hash, NULL, 0, line);
    if (v == FW_LATE && e->sinks.late)
        e->sinks.late(e->sinks.ctx, f, line);
    if (v == FW_ACCEPT)
        return accept(e, f, line, faults);
    note(e, f, faults, v);
    return v;
}

void fw_engine_idle(fw_engine *e, int64_t event_time_us)
{
    if (event_time_us <= e->wm.max_ts_us)
        return;
    fw_wm_observe(&e->wm, event_time_us);
    advance(e, fw_wm_value(&e->wm));
}

void fw_engine_finish(fw_engine *e)
{
    if (e->detector)
        fw_detector_flush(e->detector, e->wm.max_ts_us);
    fw_minutes_flush(&e->minutes);
}

void fw_engine_destroy(fw_engine *e)
{
    fw_detector_free(e->detector);
    fw_incidents_free(e->incidents);
    fw_minutes_destroy(&e->minutes);
    fw_cleaner_destroy(&e->clean);
}

int fw_engine_save(const fw_engine *e, fw_ckpt_writer *w)
{
    fw_ckpt_put(w, &e->clean.st, sizeof e->clean.st);
    fw_dedup_save(&e->clean.dedup, w);
    fw_ckpt_put(w, &e->wm, sizeof e->wm);
    fw_ckpt_put_i64(w, e->first_us);
    fw_ckpt_put_i64(w, e->last_us);
    fw_minutes_save(&e->minutes, w);
    fw_ckpt_put_u64(w, e->detector != NULL);
    if (e->detector && fw_detector_save(e->detector, w))
        return -1;
    return w->err ? -1 : 0;
}

int fw_engine_load(fw_engine *e, fw_ckpt_reader *r)
{
    fw_ckpt_get(r, &e->clean.st, sizeof e->clean.st);
    fw_dedup_load(&e->clean.dedup, r);
    fw_ckpt_get(r, &e->wm, sizeof e->wm);
    e->first_us = fw_ckpt_get_i64(r);
    e->last_us = fw_ckpt_get_i64(r);
    fw_minutes_load(&e->minutes, r);
    uint64_t has_detector = fw_ckpt_get_u64(r);
    if (r->err || has_detector != (e->detector != NULL))
        return -1;
    if (e->detector && fw_detector_load(e->detector, r))
        return -1;
    return r->err ? -1 : 0;
}
