/* bounded.c - two-pass, minute-partitioned batch pipeline (see bounded.h). */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/ts.h"
#include "stream/bounded.h"
#include "stream/engine.h"
#include "stream/spill.h"

#define MINUTE_US (60 * FW_US_PER_S)

/* A spilled record: a row without quarantine faults, or a quarantined row
 * whose timestamp parsed (kept only to count it in its minute's quality). */
struct brec {
    fw_flow flow;
    uint64_t hash;
    uint64_t line;
    fw_faults faults;
};

struct worker {
    fw_bounded *b;
    pthread_t tid;
    fw_engine e;
    fw_spill_sorted minute;     /* the minute being prepared, in time order */
    const fw_flow **acc;        /* the minute's accepted flows, in order */
    size_t nacc, acc_cap;
};

struct fw_bounded {
    fw_bounded_sinks sinks;
    bool per_source;
    fw_cleaner clean;           /* pass 1: quarantine verdicts */
    fw_faults qmask;
    fw_spill *spill;
    fw_clean_stats st;          /* merged after pass 2 */
    int64_t first_us, last_us;
    /* pass 2 */
    pthread_mutex_t mu;
    pthread_cond_t turn_cv;
    size_t next;                /* next minute to hand out */
    size_t turn;                /* the minute whose turn it is at the sinks */
    int failed;
    char err[512];
};

fw_bounded *fw_bounded_new(bool per_source, size_t budget, const fw_bounded_sinks *sinks)
{
    fw_bounded *b = fw_xcalloc(1, sizeof *b);
    b->sinks = *sinks;
    b->per_source = per_source;
    fw_cleaner_init(&b->clean, sinks->quarantine, sinks->ctx);
    b->qmask = fw_quarantine_mask();
    b->spill = fw_spill_new(MINUTE_US, sizeof(struct brec), budget);
    b->first_us = INT64_MAX;
    b->last_us = INT64_MIN;
    return b;
}

int fw_bounded_push(fw_bounded *b, const fw_record *rec, char *err, size_t errn)
{
    if (rec->faults & b->qmask) {
        /* Judged and counted now, while the raw text exists. */
        fw_clean_hashed(&b->clean, &rec->flow, rec->faults, 0, rec->raw, rec->raw_n, rec->line);
        if (!fw_faults_have_time(rec->faults))
            return 0;
    }
    struct brec *r = fw_spill_reserve(b->spill, rec->flow.ts_us, err, errn);
    if (!r)
        return -1;
    r->flow = rec->flow;
    r->hash = rec->hash ? rec->hash : fw_record_hash(rec->raw, rec->raw_n);
    r->line = rec->line;
    r->faults = rec->faults;
    return 0;
}

/* ---- pass 2 ------------------------------------------------------------- */

static void on_flow(void *ctx, const fw_flow *f)
{
    struct worker *w = ctx;
    if (w->nacc == w->acc_cap) {
        w->acc_cap = w->acc_cap ? 2 * w->acc_cap : 4096;
        w->acc = fw_xrealloc(w->acc, w->acc_cap * sizeof *w->acc);
    }
    w->acc[w->nacc++] = f;
}

static void on_minute(void *ctx, const fw_minute *m)
{
    struct worker *w = ctx;
    if (w->b->sinks.minute)
        w->b->sinks.minute(w->b->sinks.ctx, m);
}

/* Read, order, deduplicate and aggregate minute i on worker w. */
static int prepare(struct worker *w, size_t i, char *err, size_t errn)
{
    fw_bounded *b = w->b;
    if (fw_spill_read_sorted(b->spill, i, offsetof(struct brec, flow.ts_us), &w->minute, err, errn))
        return -1;
    const struct brec *recs = w->minute.recs;
    w->nacc = 0;
    for (size_t k = 0; k < w->minute.len; k++) {
        const struct brec *r = &recs[(uint32_t)w->minute.order[k]];
        if (r->faults & b->qmask)
            fw_engine_note_quarantine(&w->e, r->flow.ts_us);
        else
            fw_engine_push_hashed(&w->e, &r->flow, r->faults, r->hash, r->line);
    }
    return 0;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    fw_bounded *b = w->b;
    size_t nb = fw_spill_buckets(b->spill);
    char err[512];
    for (;;) {
        pthread_mutex_lock(&b->mu);
        size_t i = b->next++;
        pthread_mutex_unlock(&b->mu);
        if (i >= nb)
            break;
        err[0] = 0;
        int rc = prepare(w, i, err, sizeof err);
        pthread_mutex_lock(&b->mu);
        while (b->turn != i && !b->failed)
            pthread_cond_wait(&b->turn_cv, &b->mu);
        if (rc && !b->failed) {
            b->failed = 1;
            snprintf(b->err, sizeof b->err, "%s", err);
        }
        if (b->failed) {
            pthread_cond_broadcast(&b->turn_cv);
            pthread_mutex_unlock(&b->mu);
            break;
        }
        pthread_mutex_unlock(&b->mu);
        /* Our turn: nobody else touches the sinks until turn moves on. */
        if (b->sinks.flows && w->nacc)
            b->sinks.flows(b->sinks.ctx, w->acc, w->nacc);
        fw_engine_close_until(&w->e, fw_spill_bucket_start(b->spill, i) + MINUTE_US);
        pthread_mutex_lock(&b->mu);
        b->turn++;
        pthread_cond_broadcast(&b->turn_cv);
        pthread_mutex_unlock(&b->mu);
    }
    return NULL;
}

static void merge_stats(fw_clean_stats *into, const fw_clean_stats *st)
{
    into->rows_read += st->rows_read;
    into->accepted += st->accepted;
    into->quarantined += st->quarantined;
    into->duplicates += st->duplicates;
    into->late += st->late;
    for (unsigned r = 0; r < FW_R_COUNT; r++)
        into->by_reason[r] += st->by_reason[r];
}

int fw_bounded_run(fw_bounded *b, unsigned nthreads, char *err, size_t errn)
{
    size_t nb = fw_spill_buckets(b->spill);
    if (nthreads < 1)
        nthreads = 1;
    if (nthreads > nb)
        nthreads = nb ? (unsigned)nb : 1;
    struct worker *ws = fw_xcalloc(nthreads, sizeof *ws);
    fw_engine_opts eo = {.out_of_order_us = FW_WM_HOLD, .per_source = b->per_source};
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->turn_cv, NULL);
    unsigned started = 0;
    for (unsigned t = 0; t < nthreads; t++) {
        ws[t].b = b;
        fw_engine_sinks sinks = {.flow = on_flow, .minute = on_minute, .ctx = &ws[t]};
        fw_engine_init(&ws[t].e, &eo, &sinks);
    }
    for (unsigned t = 1; t < nthreads; t++) {
        if (pthread_create(&ws[t].tid, NULL, work, &ws[t])) {
            /* Fewer threads give the same results. */
            break;
        }
        started++;
    }
    work(&ws[0]);
    for (unsigned t = 1; t <= started; t++)
        pthread_join(ws[t].tid, NULL);
    b->st = b->clean.st;
    for (unsigned t = 0; t < nthreads; t++) {
        merge_stats(&b->st, &ws[t].e.clean.st);
        if (ws[t].e.first_us < b->first_us)
            b->first_us = ws[t].e.first_us;
        if (ws[t].e.last_us > b->last_us)
            b->last_us = ws[t].e.last_us;
        fw_engine_destroy(&ws[t].e);
        fw_spill_sorted_free(&ws[t].minute);
        free(ws[t].acc);
    }
    free(ws);
    pthread_cond_destroy(&b->turn_cv);
    pthread_mutex_destroy(&b->mu);
    if (b->failed) {
        snprintf(err, errn, "%s", b->err);
        return -1;
    }
    return 0;
}

const fw_clean_stats *fw_bounded_stats(const fw_bounded *b) { return &b->st; }

void fw_bounded_span(const fw_bounded *b, int64_t *first_us, int64_t *last_us)
{
    *first_us = b->first_us;
    *last_us = b->last_us;
}

void fw_bounded_free(fw_bounded *b)
{
    if (!b)
        return;
    fw_cleaner_destroy(&b->clean);
    fw_spill_free(b->spill);
    free(b);
}
