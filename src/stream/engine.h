/*
 * engine.h - the pipeline after decoding: clean -> event time -> aggregates.
 *
 * One engine serves bounded and unbounded input.  A bounded input (batch)
 * holds the watermark (FW_WM_HOLD) and closes every minute at its end; a
 * stream sets an allowed out-of-orderness and minutes close as the
 * watermark passes them.  Results go to the sinks given at init.
 */
#ifndef FW_ENGINE_H
#define FW_ENGINE_H

#include "clean/clean.h"
#include "detect/config.h"
#include "detect/detector.h"
#include "detect/incident.h"
#include "input/source.h"
#include "stream/minute.h"
#include "stream/watermark.h"

typedef struct fw_engine_sinks {
    fw_quarantine_fn quarantine;                   /* a quarantined row */
    void (*flow)(void *ctx, const fw_flow *f);     /* an accepted flow */
    fw_minute_emit_fn minute;                      /* a closed minute */
    fw_incident_emit_fn incident;                  /* an incident event (JSON) */
    void (*late)(void *ctx, const fw_flow *f, uint64_t line); /* a late flow */
    void *ctx;
} fw_engine_sinks;

typedef struct fw_engine_opts {
    int64_t out_of_order_us; /* FW_WM_HOLD: hold until the input ends */
    bool per_source;         /* per-source minute rows */
    /* Detection settings, or NULL for aggregates only.  With detection the
     * input must arrive in event-time order within config->out_of_order_s;
     * panes close on the watermark, minutes and dedup slices at
     * watermark - lateness. */
    const fw_config *detect;
} fw_engine_opts;

struct fw_engine_back;

typedef struct fw_engine {
    fw_cleaner clean;
    fw_minutes minutes;
    fw_watermark wm;
    fw_engine_sinks sinks;
    int64_t first_us, last_us; /* event-time span of accepted flows */
    fw_incidents *incidents;   /* with detection */
    fw_detector *detector;
    int64_t lateness_us;
    int64_t next_close_us;     /* the watermark must reach this before anything can close */
    bool defer_notes;          /* see fw_engine_defer_notes */
    struct fw_engine_back *back; /* the second thread (fw_engine_split), or NULL */
    double arrival;            /* fw_engine_set_arrival: the caller's thread */
    double arrival_cur;        /* fw_engine_arrival: where the sinks run */
} fw_engine;

void fw_engine_init(fw_engine *e, const fw_engine_opts *o, const fw_engine_sinks *sinks);
/* Push one decoded record; returns the cleaning verdict. */
enum fw_verdict fw_engine_push(fw_engine *e, const fw_record *rec);
/* Push a record already known to have no quarantine fault, by its hash
 * (fw_record_hash of its raw text): the replay path, which keeps no text. */
enum fw_verdict fw_engine_push_hashed(fw_engine *e, const fw_flow *f, fw_faults faults,
                                      uint64_t hash, uint64_t line);
/* Replay: a record quarantined while reading ahead is judged (and counted)
 * then, but its place in its minute's data quality is taken when replay
 * reaches its time.  While defer_notes is set, pushes do not touch minute
 * state; fw_engine_note_quarantine places one such record later. */
void fw_engine_defer_notes(fw_engine *e, bool defer);
void fw_engine_note_quarantine(fw_engine *e, int64_t ts_us);
/* Whether a quarantined record's timestamp can place it in a minute. */
bool fw_faults_have_time(fw_faults faults);
/* A bounded input handed over minute by minute (stream/bounded.h): close
 * every minute and dedup slice that ends at or before end_us. */
void fw_engine_close_until(fw_engine *e, int64_t end_us);
/* Move event time forward without a flow (an idle live input). */
void fw_engine_idle(fw_engine *e, int64_t event_time_us);
/* End of input: close every open minute, pane and incident. */
void fw_engine_finish(fw_engine *e);
/* Stops the second thread, if any. */
void fw_engine_destroy(fw_engine *e);

/*
 * Two threads for one input in event-time order (a replayed file).  After
 * fw_engine_split, the caller's thread keeps cleaning, deduplication, the
 * watermark, lateness and the minute aggregates; a second thread runs
 * detection and incidents, in the same order, and every sink that writes:
 * closed minutes are handed over to it (fw_minutes.hand_over) and emitted
 * there, so the minute, flow and incident sinks, and any fw_engine_call,
 * run on that thread from then on.  The late and quarantine sinks stay on
 * the caller's.  Each side sees the calls it saw on one thread, in the same
 * order, so the results are identical.  The hand-over is a ring of 1,024
 * operations; the caller waits when it is full.
 *
 * fw_engine_sync waits until the second thread has done all it was given;
 * until the next push the caller may then read anything (statistics, sink
 * state).  fw_engine_finish, fw_engine_save and fw_engine_destroy sync
 * themselves.  Returns 0, or -1 if the thread could not start (the engine
 * stays on one thread).  Live input is not split: a flow must reach the
 * detector at once.
 */
int fw_engine_split(fw_engine *e);
void fw_engine_sync(fw_engine *e);
/* Run fn(ctx, arg) in order with the flows pushed before and after it: on
 * the second thread when split (a store commit between two minutes, say),
 * at once otherwise. */
void fw_engine_call(fw_engine *e, void (*fn)(void *ctx, int64_t arg), void *ctx, int64_t arg);
/* Latency measurement: the wall time at which the next pushed flow
 * arrived, and, inside a sink, that of the flow being processed there. */
void fw_engine_set_arrival(fw_engine *e, double wall_s);
double fw_engine_arrival(const fw_engine *e);

struct fw_ckpt_writer;
struct fw_ckpt_reader;
/* Save the whole engine state (cleaner counters and dedup slices, watermark,
 * open minutes, detection state and open incidents). */
int fw_engine_save(const fw_engine *e, struct fw_ckpt_writer *w);
/* Restore into an engine initialised with the same options. */
int fw_engine_load(fw_engine *e, struct fw_ckpt_reader *r);

#endif
