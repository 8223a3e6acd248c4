/* engine.c - clean -> event time -> aggregates (see engine.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/ckpt.h"
#include "core/log.h"
#include "core/ts.h"
#include "stream/engine.h"

struct fw_engine_back;
static void back_flow(struct fw_engine_back *b, const fw_flow *f, double arrival);
static void back_advance(struct fw_engine_back *b, int64_t wm, int64_t max_ts, double arrival);
static void back_sync(struct fw_engine_back *b);
static void back_stop(fw_engine *e);

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
    if (e->back)
        back_advance(e->back, wm, e->wm.max_ts_us, e->arrival);
    else if (e->detector)
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

/* The flow sink and detection for one accepted flow, on whichever thread
 * runs them. */
static void detect(fw_engine *e, const fw_flow *f)
{
    if (e->sinks.flow)
        e->sinks.flow(e->sinks.ctx, f);
    if (e->detector)
        fw_detector_add(e->detector, f);
}

/* ---- the second thread (fw_engine_split) ---------------------------------
 *
 * A single-producer single-consumer ring of operations.  The caller's
 * thread (the producer) fills slots and publishes them in batches; the
 * second thread runs them in order and then releases their slots.  Each
 * side spins briefly when it must wait, then sleeps on a condition
 * variable; the *_sleeping flags, set before the final check and read after
 * the other side's store (both sequentially consistent), make sure a sleeper
 * is always woken. */

#define RING 1024u
#define BATCH 32u
#define SPINS 2000

enum op_kind { OP_FLOW, OP_ADVANCE, OP_MINUTE, OP_CALL };

struct op {
    uint8_t kind;
    double arrival; /* fw_engine_set_arrival at the time it was handed over */
    union {
        fw_flow flow;       /* OP_FLOW */
        struct {
            int64_t wm, max_ts;
        } adv;              /* OP_ADVANCE */
        fw_minute *minute;  /* OP_MINUTE: closed, to emit and free */
        struct {
            void (*fn)(void *ctx, int64_t arg);
            void *ctx;
            int64_t arg;
        } call;        /* OP_CALL */
    } u;
};

struct fw_engine_back {
    struct op ring[RING];
    _Alignas(64) _Atomic uint64_t head; /* slots published */
    _Alignas(64) _Atomic uint64_t tail; /* slots done */
    _Alignas(64) uint64_t next;         /* producer: slots filled */
    uint64_t tail_seen;                 /* producer: last tail read */
    _Atomic int producer_sleeping, consumer_sleeping, stop;
    pthread_mutex_t mu;
    pthread_cond_t wake_producer, wake_consumer;
    pthread_t thread;
    fw_engine *e;
};

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void wake(struct fw_engine_back *b, _Atomic int *sleeping, pthread_cond_t *cv)
{
    if (atomic_load(sleeping)) {
        pthread_mutex_lock(&b->mu);
        pthread_cond_signal(cv);
        pthread_mutex_unlock(&b->mu);
    }
}

static void publish(struct fw_engine_back *b)
{
    atomic_store(&b->head, b->next);
    wake(b, &b->consumer_sleeping, &b->wake_consumer);
}

/* Producer: wait until at most `left` slots are not yet done. */
static void wait_done(struct fw_engine_back *b, uint64_t left)
{
    for (int i = 0; i < SPINS; i++) {
        b->tail_seen = atomic_load_explicit(&b->tail, memory_order_acquire);
        if (b->next - b->tail_seen <= left)
            return;
        cpu_relax();
    }
    pthread_mutex_lock(&b->mu);
    atomic_store(&b->producer_sleeping, 1);
    while (b->next - (b->tail_seen = atomic_load(&b->tail)) > left)
        pthread_cond_wait(&b->wake_producer, &b->mu);
    atomic_store(&b->producer_sleeping, 0);
    pthread_mutex_unlock(&b->mu);
}

static struct op *slot(struct fw_engine_back *b, uint8_t kind, double arrival)
{
    if (b->next - b->tail_seen == RING) {
        publish(b);
        wait_done(b, RING - BATCH);
    }
    struct op *o = &b->ring[b->next & (RING - 1)];
    o->kind = kind;
    o->arrival = arrival;
    return o;
}

static void handed(struct fw_engine_back *b, bool now)
{
    b->next++;
    if (now || !(b->next & (BATCH - 1)))
        publish(b);
}

static void back_flow(struct fw_engine_back *b, const fw_flow *f, double arrival)
{
    struct op *o = slot(b, OP_FLOW, arrival);
    o->u.flow = *f;
    handed(b, false);
}

/* Published at once: closing a pane is what raises incidents, and their
 * latency counts. */
static void back_advance(struct fw_engine_back *b, int64_t wm, int64_t max_ts, double arrival)
{
    struct op *o = slot(b, OP_ADVANCE, arrival);
    o->u.adv.wm = wm;
    o->u.adv.max_ts = max_ts;
    handed(b, true);
}

static void back_sync(struct fw_engine_back *b)
{
    publish(b);
    wait_done(b, 0);
}

static void run_op(fw_engine *e, const struct op *o)
{
    e->arrival_cur = o->arrival;
    switch ((enum op_kind)o->kind) {
    case OP_FLOW:
        detect(e, &o->u.flow);
        break;
    case OP_ADVANCE:
        if (e->detector)
            fw_detector_advance(e->detector, o->u.adv.wm, o->u.adv.max_ts);
        break;
    case OP_MINUTE:
        if (e->sinks.minute)
            e->sinks.minute(e->sinks.ctx, o->u.minute);
        fw_minute_free(o->u.minute);
        break;
    case OP_CALL:
        o->u.call.fn(o->u.call.ctx, o->u.call.arg);
        break;
    }
}

static void *back_main(void *arg)
{
    struct fw_engine_back *b = arg;
    uint64_t t = 0;
    for (;;) {
        uint64_t h = atomic_load_explicit(&b->head, memory_order_acquire);
        for (int i = 0; h == t && i < SPINS; i++) {
            cpu_relax();
            h = atomic_load_explicit(&b->head, memory_order_acquire);
        }
        if (h == t) {
            pthread_mutex_lock(&b->mu);
            atomic_store(&b->consumer_sleeping, 1);
            while ((h = atomic_load(&b->head)) == t && !atomic_load(&b->stop))
                pthread_cond_wait(&b->wake_consumer, &b->mu);
            atomic_store(&b->consumer_sleeping, 0);
            pthread_mutex_unlock(&b->mu);
            if (h == t)
                return NULL; /* stopped, with nothing left */
        }
        while (t < h) {
            run_op(b->e, &b->ring[t & (RING - 1)]);
            if (!(++t & (BATCH - 1)))
                atomic_store_explicit(&b->tail, t, memory_order_release);
        }
        atomic_store(&b->tail, t);
        wake(b, &b->producer_sleeping, &b->wake_producer);
    }
}

/* The minutes' emit while split: a closed minute goes to the second
 * thread, which emits it in order with the incidents and frees it. */
static void hand_minute(void *ctx, const fw_minute *m)
{
    fw_engine *e = ctx;
    struct op *o = slot(e->back, OP_MINUTE, e->arrival);
    o->u.minute = (fw_minute *)m;
    handed(e->back, false);
}

int fw_engine_split(fw_engine *e)
{
    if (e->back)
        return 0;
    struct fw_engine_back *b = aligned_alloc(64, (sizeof *b + 63) / 64 * 64);
    if (!b)
        return -1;
    memset(b, 0, sizeof *b);
    b->e = e;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->wake_producer, NULL);
    pthread_cond_init(&b->wake_consumer, NULL);
    e->arrival_cur = e->arrival;
    if (pthread_create(&b->thread, NULL, back_main, b)) {
        pthread_cond_destroy(&b->wake_consumer);
        pthread_cond_destroy(&b->wake_producer);
        pthread_mutex_destroy(&b->mu);
        free(b);
        return -1;
    }
    e->back = b;
    e->minutes.emit = hand_minute;
    e->minutes.ctx = e;
    e->minutes.hand_over = true;
    return 0;
}

void fw_engine_sync(fw_engine *e)
{
    if (e->back)
        back_sync(e->back);
}

void fw_engine_call(fw_engine *e, void (*fn)(void *ctx, int64_t arg), void *ctx, int64_t arg)
{
    if (!e->back) {
        fn(ctx, arg);
        return;
    }
    struct op *o = slot(e->back, OP_CALL, e->arrival);
    o->u.call.fn = fn;
    o->u.call.ctx = ctx;
    o->u.call.arg = arg;
    handed(e->back, true);
}

/* Finish what was handed over, stop the thread and go back to one. */
static void back_stop(fw_engine *e)
{
    struct fw_engine_back *b = e->back;
    if (!b)
        return;
    back_sync(b);
    pthread_mutex_lock(&b->mu);
    atomic_store(&b->stop, 1);
    pthread_cond_signal(&b->wake_consumer);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->thread, NULL);
    pthread_cond_destroy(&b->wake_consumer);
    pthread_cond_destroy(&b->wake_producer);
    pthread_mutex_destroy(&b->mu);
    free(b);
    e->back = NULL;
    e->minutes.emit = e->sinks.minute;
    e->minutes.ctx = e->sinks.ctx;
    e->minutes.hand_over = false;
}

void fw_engine_set_arrival(fw_engine *e, double wall_s)
{
    e->arrival = wall_s;
    if (!e->back)
        e->arrival_cur = wall_s;
}

double fw_engine_arrival(const fw_engine *e) { return e->arrival_cur; }

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
    if (e->back)
        back_flow(e->back, f, e->arrival);
    else
        detect(e, f);
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
    fw_engine_sync(e);
    if (e->detector)
        fw_detector_flush(e->detector, e->wm.max_ts_us);
    fw_minutes_flush(&e->minutes);
    fw_engine_sync(e); /* the minutes just handed over */
}

void fw_engine_destroy(fw_engine *e)
{
    back_stop(e);
    fw_detector_free(e->detector);
    fw_incidents_free(e->incidents);
    fw_minutes_destroy(&e->minutes);
    fw_cleaner_destroy(&e->clean);
}

int fw_engine_save(const fw_engine *e, fw_ckpt_writer *w)
{
    if (e->back)
        back_sync(e->back);
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
