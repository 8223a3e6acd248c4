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
#include "stream/prespill.h"
#include "stream/spill.h"

#define MINUTE_US (60 * FW_US_PER_S)
/* Slices of one minute, at most. */
#define SPLIT_MAX 16

/* A spilled record (stream/prespill.h): a row without quarantine faults, or
 * a quarantined row whose timestamp parsed (kept only to count it in its
 * minute's quality). */
typedef fw_spill_rec brec;

/* Accepted flows of a minute or a slice of one, in order. */
struct acc {
    const fw_flow **f;
    size_t n, cap;
};

struct worker;

/* A slice of a split minute, aggregated apart on whichever thread takes it
 * (two-stage aggregation): positions [begin, end) of its owner's ordered
 * minute. */
struct part {
    struct worker *owner;
    fw_engine e;                /* dedup and aggregates of the slice; emits nothing */
    struct acc acc;
    size_t begin, end;
};

/* A minute on its way to the sinks off the turn (see run_lane): its
 * records and its accepted flows, in order (taken from the worker, which
 * gets the job's old buffers in exchange), and the closed minute, handed
 * over.  On one thread a job on the stack borrows the worker's flows for
 * its turn. */
struct job {
    fw_spill_sorted records;      /* what the flows point into */
    struct acc acc[1 + SPLIT_MAX]; /* the owner's flows, then each slice's */
    unsigned nacc;
    fw_minute *minute;            /* NULL if the minute had nothing to emit */
    unsigned pending;             /* lanes that have not run on it yet */
    struct job *next;
};

struct worker {
    fw_bounded *b;
    pthread_t tid;
    struct job *job;            /* off-turn sinks: the job being filled */
    fw_engine e;
    fw_spill_sorted minute;     /* the minute being prepared, in time order */
    struct acc acc;             /* its accepted flows (of its first slice if split) */
    struct part *parts;         /* made on the first split */
    unsigned nparts_made;
    unsigned nparts;            /* slices past the first of the current minute */
    unsigned parts_done;        /* of them, aggregated (under b->mu) */
};

struct fw_bounded {
    fw_bounded_sinks sinks;
    bool per_source;
    fw_cleaner clean;           /* pass 1: quarantine verdicts */
    fw_faults qmask;
    fw_spill *spill;
    fw_clean_stats st;          /* merged after pass 2 */
    int64_t first_us, last_us;
    size_t split_min;           /* see fw_bounded_set_split */
    /* pass 2 */
    unsigned nthreads;
    fw_engine_opts eo;
    pthread_mutex_t mu;
    pthread_cond_t turn_cv;     /* turn moved, a slice was queued or done */
    size_t next;                /* next minute to hand out */
    size_t turn;                /* the minute whose turn it is at the sinks */
    struct part **queue;        /* slices waiting for a thread: a ring */
    size_t qhead, qlen, qcap;
    int failed;
    char err[512];
    /* The sinks off the turn (2 threads and more; see run_lane). */
    unsigned lanes;             /* 1, or 2 with a flows_beside sink */
    pthread_mutex_t jmu;
    pthread_cond_t job_cv;      /* jobs were freed */
    struct job *jobs;           /* all of them; NULL: sinks in turn (one thread) */
    struct job *free_jobs;
    struct job *qfirst, *qlast; /* queued, oldest first, until every lane ran on it */
    struct job *cursor[2];      /* each lane's next job */
    bool busy[2];               /* a thread is running that lane */
};

fw_bounded *fw_bounded_new(bool per_source, size_t budget, const fw_bounded_sinks *sinks)
{
    fw_bounded *b = fw_xcalloc(1, sizeof *b);
    b->sinks = *sinks;
    b->per_source = per_source;
    fw_cleaner_init(&b->clean, sinks->quarantine, sinks->ctx);
    b->qmask = fw_quarantine_mask();
    b->spill = fw_spill_new(MINUTE_US, sizeof(brec), budget);
    b->first_us = INT64_MAX;
    b->last_us = INT64_MIN;
    b->split_min = FW_BOUNDED_SPLIT_MIN;
    return b;
}

void fw_bounded_set_split(fw_bounded *b, size_t min_records) { b->split_min = min_records; }

/* Judge a quarantined row now, while its raw text exists. */
static void judge(void *ctx, const fw_record *rec)
{
    fw_bounded *b = ctx;
    fw_clean_hashed(&b->clean, &rec->flow, rec->faults, 0, rec->raw, rec->raw_n, rec->line);
}

int fw_bounded_push(fw_bounded *b, const fw_record *rec, char *err, size_t errn)
{
    if (rec->faults & b->qmask)
        judge(b, rec);
    if (!fw_prespill_wanted(rec, b->qmask))
        return 0;
    brec *r = fw_spill_reserve(b->spill, rec->flow.ts_us, err, errn);
    if (!r)
        return -1;
    fw_spill_rec_fill(r, rec, rec->line);
    return 0;
}

void fw_bounded_post(fw_bounded *b, fw_post *post)
{
    /* Static: decoding threads may still use it after b is gone. */
    static const fw_prespill_opts pre = {.bucket_us = MINUTE_US, .rec_size = sizeof(brec)};
    fw_prespill_hook(post, &pre);
}

int fw_bounded_push_batch(fw_bounded *b, const fw_batch *bt, char *err, size_t errn)
{
    if (bt->post)
        return fw_prespill_take(bt, b->spill, judge, b, err, errn);
    for (size_t k = 0; k < bt->n; k++) {
        fw_record rec = fw_batch_record(bt, k);
        if (fw_bounded_push(b, &rec, err, errn))
            return -1;
    }
    return 0;
}

/* ---- pass 2 ------------------------------------------------------------- */

static void acc_push(struct acc *a, const fw_flow *f)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 4096;
        a->f = fw_xrealloc(a->f, a->cap * sizeof *a->f);
    }
    a->f[a->n++] = f;
}

static void on_flow(void *ctx, const fw_flow *f) { acc_push(&((struct worker *)ctx)->acc, f); }

static void on_part_flow(void *ctx, const fw_flow *f) { acc_push(&((struct part *)ctx)->acc, f); }

static void on_minute(void *ctx, const fw_minute *m)
{
    struct worker *w = ctx;
    if (w->b->jobs) {
        /* Handed over (the engine's minutes do not free it): run_lane
         * emits and frees it.  Outside a job only on the way out
         * of a failed run. */
        if (w->job)
            w->job->minute = (fw_minute *)m;
        else
            fw_minute_free((fw_minute *)m);
        return;
    }
    if (w->b->sinks.minute)
        w->b->sinks.minute(w->b->sinks.ctx, m);
}

/* ---- the sinks, off the turn ---------------------------------------------
 *
 * With two threads or more, the sinks (summary, store, detector) would be a
 * serial section inside pass 2: a worker runs them in its turn while the
 * next minute's owner waits.  Instead each worker puts its minute's flows
 * in a job before its turn, and in its turn only closes the minute into the
 * job and queues it.  Outside the turn, whichever worker finds a lane free
 * runs that lane's sinks on the queued jobs, in queue order (minute order),
 * while the others go on aggregating.  Lane 0 is the flows and minute
 * sinks, lane 1 the flows_beside sink: the two run at the same time on
 * different threads, each seeing every minute in order.  Nothing is copied:
 * the worker swaps its minute's buffers with a free job's, and a job goes
 * back to the pool when every lane has run on it.  The pool holds as many
 * jobs as there are workers (each job holds a minute's records and its
 * closed minute: more were 10 MiB more memory on the 10x file, and no
 * faster); a worker that finds none free runs a lane itself, or waits for
 * whoever does. */

static void run_job(fw_bounded *b, unsigned lane, struct job *j)
{
    void (*flows)(void *, const fw_flow *const *, size_t) =
        lane ? b->sinks.flows_beside : b->sinks.flows;
    for (unsigned k = 0; k < j->nacc; k++)
        if (j->acc[k].n && flows)
            flows(b->sinks.ctx, j->acc[k].f, j->acc[k].n);
    if (!lane && j->minute && b->sinks.minute)
        b->sinks.minute(b->sinks.ctx, j->minute);
}

/* Job j back to the pool.  Called with b->jmu held. */
static void job_free(fw_bounded *b, struct job *j)
{
    j->next = b->free_jobs;
    b->free_jobs = j;
    pthread_cond_broadcast(&b->job_cv);
}

/* Run lane `lane` on the queued jobs unless another thread is at it. */
static void run_lane(fw_bounded *b, unsigned lane)
{
    pthread_mutex_lock(&b->jmu);
    if (b->busy[lane]) {
        pthread_mutex_unlock(&b->jmu);
        return;
    }
    b->busy[lane] = true;
    struct job *j;
    while ((j = b->cursor[lane])) {
        pthread_mutex_unlock(&b->jmu);
        run_job(b, lane, j);
        pthread_mutex_lock(&b->jmu);
        b->cursor[lane] = j->next;
        if (--j->pending == 0) {
            /* The last lane to run on a job runs on the oldest one. */
            b->qfirst = j->next;
            if (!b->qfirst)
                b->qlast = NULL;
            if (j->minute)
                fw_minute_free(j->minute);
            j->minute = NULL;
            job_free(b, j);
        }
    }
    b->busy[lane] = false;
    pthread_mutex_unlock(&b->jmu);
}

static void run_lanes(fw_bounded *b)
{
    for (unsigned l = 0; l < b->lanes; l++)
        run_lane(b, l);
}

static struct job *job_take(fw_bounded *b)
{
    pthread_mutex_lock(&b->jmu);
    while (!b->free_jobs) {
        unsigned l = 0;
        while (l < b->lanes && b->busy[l])
            l++;
        if (l < b->lanes) {
            pthread_mutex_unlock(&b->jmu);
            run_lane(b, l);
            pthread_mutex_lock(&b->jmu);
        } else {
            pthread_cond_wait(&b->job_cv, &b->jmu);
        }
    }
    struct job *j = b->free_jobs;
    b->free_jobs = j->next;
    pthread_mutex_unlock(&b->jmu);
    j->minute = NULL;
    return j;
}

static void swap_acc(struct acc *a, struct acc *b)
{
    struct acc t = *a;
    *a = *b;
    *b = t;
}

/* The worker's prepared minute goes into job j; the worker keeps j's spare
 * buffers for its next minute. */
static void job_fill(struct job *j, struct worker *w)
{
    fw_spill_sorted t = j->records;
    j->records = w->minute;
    w->minute = t;
    swap_acc(&j->acc[0], &w->acc);
    for (unsigned k = 0; k < w->nparts; k++)
        swap_acc(&j->acc[1 + k], &w->parts[k].acc);
    j->nacc = 1 + w->nparts;
}

static void job_queue(fw_bounded *b, struct job *j)
{
    j->next = NULL;
    j->pending = b->lanes;
    pthread_mutex_lock(&b->jmu);
    if (b->qlast)
        b->qlast->next = j;
    else
        b->qfirst = j;
    b->qlast = j;
    for (unsigned l = 0; l < b->lanes; l++)
        if (!b->cursor[l])
            b->cursor[l] = j;
    pthread_mutex_unlock(&b->jmu);
}

/* Positions [begin, end) of an ordered minute into engine e. */
static void push_slice(const fw_bounded *b, fw_engine *e, const fw_spill_sorted *m, size_t begin,
                       size_t end)
{
    const brec *recs = m->recs;
    for (size_t k = begin; k < end; k++) {
        const brec *r = &recs[(uint32_t)m->order[k]];
        if (r->faults & b->qmask)
            fw_engine_note_quarantine(e, r->flow.ts_us);
        else
            fw_engine_push_hashed(e, &r->flow, r->faults, r->hash, r->line);
    }
}

static int64_t ts_at(const fw_spill_sorted *m, size_t k)
{
    return ((const brec *)m->recs)[(uint32_t)m->order[k]].flow.ts_us;
}

/* If a queued slice waits, aggregate it and return true.  Called with b->mu
 * held; returns with it held. */
static bool help(fw_bounded *b)
{
    if (!b->qlen)
        return false;
    struct part *p = b->queue[b->qhead];
    b->qhead = (b->qhead + 1) % b->qcap;
    b->qlen--;
    pthread_mutex_unlock(&b->mu);
    p->acc.n = 0;
    push_slice(b, &p->e, &p->owner->minute, p->begin, p->end);
    pthread_mutex_lock(&b->mu);
    p->owner->parts_done++;
    pthread_cond_broadcast(&b->turn_cv);
    return true;
}

/*
 * Split an ordered minute of len records into slices for the other threads
 * and queue them; the first slice, [0, returned), stays with w.  Cuts fall
 * between different event times, so a set of duplicates (same text, same
 * time) is never split and each slice deduplicates exactly on its own.
 */
static size_t split(struct worker *w, size_t len)
{
    fw_bounded *b = w->b;
    unsigned most = b->nthreads < SPLIT_MAX ? b->nthreads : SPLIT_MAX, n = 1;
    if (b->split_min && most > 1 && len / b->split_min >= 2)
        n = len / b->split_min < most ? (unsigned)(len / b->split_min) : most;
    w->nparts = 0;
    w->parts_done = 0;
    if (n < 2)
        return len;
    if (!w->parts) {
        w->parts = fw_xcalloc(most - 1, sizeof *w->parts);
        w->nparts_made = most - 1;
        for (unsigned j = 0; j < w->nparts_made; j++) {
            fw_engine_sinks sinks = {.flow = on_part_flow, .ctx = &w->parts[j]};
            w->parts[j].owner = w;
            fw_engine_init(&w->parts[j].e, &b->eo, &sinks);
        }
    }
    size_t cut[SPLIT_MAX + 1];
    cut[0] = 0;
    cut[n] = len;
    for (unsigned j = 1; j < n; j++) {
        size_t c = len / n * j;
        if (c < cut[j - 1])
            c = cut[j - 1];
        while (c > 0 && c < len && ts_at(&w->minute, c) == ts_at(&w->minute, c - 1))
            c++;
        cut[j] = c;
    }
    pthread_mutex_lock(&b->mu);
    for (unsigned j = 1; j < n; j++) {
        struct part *p = &w->parts[j - 1];
        p->begin = cut[j];
        p->end = cut[j + 1];
        b->queue[(b->qhead + b->qlen++) % b->qcap] = p;
    }
    w->nparts = n - 1;
    pthread_cond_broadcast(&b->turn_cv);
    pthread_mutex_unlock(&b->mu);
    return cut[1];
}

/* Read, order, deduplicate and aggregate minute i on worker w: on its own,
 * or, for a large minute, its first slice here and the others on whichever
 * threads are free, merged here when all are done. */
static int prepare(struct worker *w, size_t i, char *err, size_t errn)
{
    fw_bounded *b = w->b;
    if (fw_spill_read_sorted(b->spill, i, offsetof(brec, flow.ts_us), &w->minute, err, errn))
        return -1;
    w->acc.n = 0;
    size_t first = split(w, w->minute.len);
    push_slice(b, &w->e, &w->minute, 0, first);
    if (!w->nparts)
        return 0;
    pthread_mutex_lock(&b->mu);
    while (w->parts_done < w->nparts)
        if (!help(b))
            pthread_cond_wait(&b->turn_cv, &b->mu);
    pthread_mutex_unlock(&b->mu);
    int64_t start = fw_spill_bucket_start(b->spill, i);
    fw_minute *into = fw_tumbler_bucket(&w->e.minutes.t, start);
    bool recount = false;
    for (unsigned j = 0; j < w->nparts; j++) {
        fw_engine *pe = &w->parts[j].e;
        recount |= fw_minute_merge(into, fw_tumbler_bucket(&pe->minutes.t, start)) != 0;
        fw_engine_close_until(pe, start + MINUTE_US); /* emits nothing: frees the slice */
    }
    if (recount) {
        fw_minute_ports_recount(into, w->acc.f, w->acc.n, true);
        for (unsigned j = 0; j < w->nparts; j++)
            fw_minute_ports_recount(into, w->parts[j].acc.f, w->parts[j].acc.n, false);
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
        while (help(b))
            ;
        size_t i = b->next++;
        if (i >= nb) {
            /* No minute left: help with the slices of those still open. */
            while (b->turn < nb && !b->failed)
                if (!help(b))
                    pthread_cond_wait(&b->turn_cv, &b->mu);
            pthread_mutex_unlock(&b->mu);
            break;
        }
        pthread_mutex_unlock(&b->mu);
        err[0] = 0;
        int rc = prepare(w, i, err, sizeof err);
        if (!rc && b->jobs) {
            w->job = job_take(b);
            job_fill(w->job, w);
        }
        pthread_mutex_lock(&b->mu);
        while (b->turn != i && !b->failed)
            if (!help(b))
                pthread_cond_wait(&b->turn_cv, &b->mu);
        if (rc && !b->failed) {
            b->failed = 1;
            snprintf(b->err, sizeof b->err, "%s", err);
        }
        if (b->failed) {
            pthread_cond_broadcast(&b->turn_cv);
            pthread_mutex_unlock(&b->mu);
            if (w->job) {
                /* Back to the pool, unsent. */
                pthread_mutex_lock(&b->jmu);
                job_free(b, w->job);
                pthread_mutex_unlock(&b->jmu);
                w->job = NULL;
            }
            break;
        }
        pthread_mutex_unlock(&b->mu);
        if (b->jobs) {
            /* Our turn: close the minute into the job and queue it. */
            fw_engine_close_until(&w->e, fw_spill_bucket_start(b->spill, i) + MINUTE_US);
            job_queue(b, w->job);
            w->job = NULL;
        } else {
            /* Our turn: nobody else touches the sinks until turn moves on.
             * Both lanes' flows from the worker's own buffers, then the
             * minute, emitted as it closes. */
            struct job turn = {.acc[0] = w->acc, .nacc = 1 + w->nparts};
            for (unsigned k = 0; k < w->nparts; k++)
                turn.acc[1 + k] = w->parts[k].acc;
            run_job(b, 0, &turn);
            run_job(b, 1, &turn);
            fw_engine_close_until(&w->e, fw_spill_bucket_start(b->spill, i) + MINUTE_US);
        }
        pthread_mutex_lock(&b->mu);
        b->turn++;
        pthread_cond_broadcast(&b->turn_cv);
        pthread_mutex_unlock(&b->mu);
        if (b->jobs)
            run_lanes(b);
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
    if (fw_spill_settle(b->spill, err, errn))
        return -1;
    size_t nb = fw_spill_buckets(b->spill);
    if (nthreads < 1)
        nthreads = 1;
    /* More threads than minutes help only by taking slices of them. */
    if (nthreads > nb && !b->split_min)
        nthreads = nb ? (unsigned)nb : 1;
    b->nthreads = nthreads;
    b->eo = (fw_engine_opts){.out_of_order_us = FW_WM_HOLD, .per_source = b->per_source};
    b->qcap = (size_t)nthreads * SPLIT_MAX;
    b->queue = fw_xcalloc(b->qcap, sizeof *b->queue);
    struct worker *ws = fw_xcalloc(nthreads, sizeof *ws);
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->turn_cv, NULL);
    unsigned started = 0;
    pthread_mutex_init(&b->jmu, NULL);
    pthread_cond_init(&b->job_cv, NULL);
    if (nthreads > 1) {
        unsigned njobs = nthreads;
        b->jobs = fw_xcalloc(njobs, sizeof *b->jobs);
        for (unsigned k = 0; k < njobs; k++) {
            b->jobs[k].next = b->free_jobs;
            b->free_jobs = &b->jobs[k];
        }
        b->lanes = b->sinks.flows_beside ? 2 : 1;
    }
    for (unsigned t = 0; t < nthreads; t++) {
        ws[t].b = b;
        fw_engine_sinks sinks = {.flow = on_flow, .minute = on_minute, .ctx = &ws[t]};
        fw_engine_init(&ws[t].e, &b->eo, &sinks);
        ws[t].e.minutes.hand_over = b->jobs != NULL;
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
    if (b->jobs)
        run_lanes(b); /* what the workers left queued */
    b->st = b->clean.st;
    for (unsigned t = 0; t < nthreads; t++) {
        for (unsigned j = 0; j <= ws[t].nparts_made; j++) {
            fw_engine *e = j ? &ws[t].parts[j - 1].e : &ws[t].e;
            merge_stats(&b->st, &e->clean.st);
            if (e->first_us < b->first_us)
                b->first_us = e->first_us;
            if (e->last_us > b->last_us)
                b->last_us = e->last_us;
            fw_engine_destroy(e);
            if (j)
                free(ws[t].parts[j - 1].acc.f);
        }
        free(ws[t].parts);
        fw_spill_sorted_free(&ws[t].minute);
        free(ws[t].acc.f);
    }
    free(ws);
    free(b->queue);
    b->queue = NULL;
    if (b->jobs) {
        for (unsigned k = 0; k < nthreads; k++) {
            fw_spill_sorted_free(&b->jobs[k].records);
            for (unsigned a = 0; a <= SPLIT_MAX; a++)
                free(b->jobs[k].acc[a].f);
        }
        free(b->jobs);
        b->jobs = NULL;
    }
    pthread_cond_destroy(&b->job_cv);
    pthread_mutex_destroy(&b->jmu);
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
