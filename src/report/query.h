/*
 * query.h - read-only questions to the store (docs/schema.md): top talkers,
 * incidents, a timeline and a run summary.  The SQL behind `floodwatch
 * query` (docs/query.md), kept apart from its argument parsing and output
 * formats so that a report can ask the same questions.
 *
 * Lifecycle: fw_query_open, any number of questions, fw_query_close.  A
 * handle reads one snapshot of the file: it holds a read transaction from
 * open to close, so a `stream` writing meanwhile (WAL) cannot make the run
 * chosen by one statement disagree with the rows read by the next.  Keep
 * handles short-lived: a reader that stays open stops WAL checkpoints from
 * completing.
 *
 * Each question fills an fw_qresult: the run it read, the range and one or
 * more small typed tables.  Ownership: the caller owns the result and frees
 * it with fw_qresult_free; every string in it belongs to it, except column
 * and table names, which are static.  Allocation failure aborts (core/log.h).
 */
#ifndef FW_QUERY_H
#define FW_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fw_query fw_query;

/* An open end of a range. */
#define FW_QUERY_NO_FROM INT64_MIN
#define FW_QUERY_NO_TO INT64_MAX

/* What every question takes. */
typedef struct fw_qopts {
    int64_t run_id;         /* 0: the default run of the question (below) */
    int64_t from_us, to_us; /* half-open [from, to) in event time; FW_QUERY_NO_* when open */
    size_t limit;           /* rows of a list; 0: all */
} fw_qopts;

typedef enum { FW_QV_NULL, FW_QV_INT, FW_QV_REAL, FW_QV_TEXT } fw_qv_type;

typedef struct fw_qvalue {
    fw_qv_type type;
    union {
        int64_t i;
        double r;
        char *s; /* owned by the table */
    } v;
} fw_qvalue;

typedef struct fw_qcol {
    const char *name;      /* static */
    fw_qv_type type;       /* of the column's values, NULLs aside */
    int decimals;          /* digits after the point, for FW_QV_REAL */
    const char *null_text; /* how text formats show NULL ("open"); NULL: nothing */
} fw_qcol;

#define FW_QMAXCOLS 12

typedef struct fw_qtable {
    const char *name;  /* "rows" for a single-table answer, else the summary section */
    bool record;       /* exactly one row of named values (accounting, KPIs) */
    fw_qcol cols[FW_QMAXCOLS];
    size_t ncols;
    fw_qvalue *cells;  /* nrows * ncols, row-major */
    size_t nrows, cap; /* cap: rows allocated */
} fw_qtable;

typedef struct fw_qrun {
    int64_t id;
    char *mode, *input;
    /* The whole minutes the run's events cover, [span_from, span_to): from
     * runs.first_event/last_event, or the run's minutes while a stream is
     * still writing.  has_span is false for a run without events. */
    bool has_span;
    int64_t span_from_us, span_to_us;
    /* The latest event time the run knows (runs.last_event, else the end of
     * its latest minute): what an open incident's duration is measured to. */
    int64_t now_us;
} fw_qrun;

typedef struct fw_qresult {
    fw_qrun run;
    /* The range answered: the one asked for, an open end replaced by the
     * run's span (still FW_QUERY_NO_* if the run has no span). */
    int64_t from_us, to_us;
    fw_qtable *tables;
    size_t ntables;
    char *note; /* something the reader should know (estimates, no rows), or NULL */
} fw_qresult;

/*
 * Open path read-only.  Returns NULL with a message naming the file when it
 * is missing, unreadable, not SQLite, not floodwatch's, or of a schema
 * version newer than this program's.
 */
fw_query *fw_query_open(const char *path, char *err, size_t errn);
void fw_query_close(fw_query *q);

/*
 * Top N over the minute tables: sums of events, bytes and packets per key
 * over the minutes in range, ordered by `by` descending, ties by key
 * ascending (addresses and country codes as text; ports by protocol number,
 * then port).  Columns: rank, the key (src, dst, port as "TCP/443", country
 * as its code or "unknown"), events, bytes, packets (not for countries),
 * share_pct (of the `by` sum over all keys in range).
 * Default run: the latest with rows in the table.  Cost: one pass over the
 * run's rows of the table in range, grouped.
 */
typedef enum { FW_QTOP_SOURCES, FW_QTOP_DESTINATIONS, FW_QTOP_PORTS, FW_QTOP_COUNTRIES,
               FW_QTOP_COUNT } fw_qtop;
typedef enum { FW_QBY_EVENTS, FW_QBY_BYTES, FW_QBY_PACKETS, FW_QBY_COUNT } fw_qby;
/* Parse "sources", "destinations", "ports", "countries" / "events", "bytes",
 * "packets"; return -1 for anything else. */
int fw_qtop_parse(const char *s, fw_qtop *what);
int fw_qby_parse(const char *s, fw_qby *by);
const char *fw_qtop_name(fw_qtop what);
const char *fw_qby_name(fw_qby by);
/* The store table behind a top query. */
const char *fw_qtop_table(fw_qtop what);
/* Whether that table has the column `by` (countries have no packets). */
bool fw_qtop_has(fw_qtop what, fw_qby by);
int fw_query_top(fw_query *q, const fw_qopts *o, fw_qtop what, fw_qby by, fw_qresult *out,
                 char *err, size_t errn);

/*
 * Incidents whose start is in range, by start then id; type (NULL: any)
 * and open_only filter them.  Columns: id, type, entity, start, end (NULL
 * while open), duration_s (to the end, or to the run's now_us while open;
 * rounded to whole seconds), severity, peak_pps, unique_sources, victims,
 * events.  Default run: the latest with incidents, else the
 * latest run (an empty answer).
 */
int fw_query_incidents(fw_query *q, const fw_qopts *o, const char *type, bool open_only,
                       fw_qresult *out, char *err, size_t errn);

/*
 * Traffic per step (a whole number of minutes, step_s > 0 and a multiple of
 * 60): buckets aligned to the epoch (so 1d buckets start at 00:00 UTC),
 * every bucket of the range within the run's span, empty ones as zeros.
 * Columns: bucket (its start), minutes (stored minutes in it), events,
 * bytes, packets, syn_only, distinct_src_max (the largest per-minute count of
 * distinct sources: they cannot be added), quarantined, duplicates,
 * incidents (incidents of the same run active at any time in the bucket).
 * Default run: the latest with rows in agg_minute.  Cost: one pass over the
 * run's minutes in range, plus each incident's buckets; at most
 * FW_QUERY_MAX_BUCKETS buckets (more is an error).
 */
#define FW_QUERY_MAX_BUCKETS 1000000
int fw_query_timeline(fw_query *q, const fw_qopts *o, int64_t step_s, fw_qresult *out,
                      char *err, size_t errn);

/*
 * A run's summary, as tables named: accounting (record: the run's whole
 * accounting, not limited by the range), traffic (record: agg_minute sums in
 * range), incidents_by_type, top_attackers (incident_sources, by incidents
 * then sampled events), top_victims (incident_victims), attacks_per_hour
 * (incidents starting in each clock hour of the range within the span),
 * attack_countries (labelled-attack events per country), kpi (record:
 * incidents, open, incidents_per_hour, first_hour, last_hour,
 * trend_per_hour (least-squares slope of attacks_per_hour), avg_duration_s,
 * avg_events).  Lists take o->limit (0: all).  Incidents count when their
 * start is in range.  Default run: the latest with incidents, else the
 * latest run.
 */
int fw_query_summary(fw_query *q, const fw_qopts *o, fw_qresult *out, char *err, size_t errn);

void fw_qresult_free(fw_qresult *r);
/* The table named name, or NULL. */
const fw_qtable *fw_qresult_table(const fw_qresult *r, const char *name);
/* The cell of row in the column named col, or NULL if there is none. */
const fw_qvalue *fw_qtable_at(const fw_qtable *t, size_t row, const char *col);

#endif
