/*
 * report.c - the analyst's report (see report.h and docs/report.md).
 *
 * Two halves: loading reads one run of the store into plain arrays (one read
 * transaction, SQLite does the grouping), and rendering walks those arrays
 * into HTML or Markdown through one small document writer, so both formats
 * show the same tables.  Charts exist only in HTML: inline SVG drawn here,
 * every mark with a <title> tooltip.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/ts.h"
#include "core/version.h"
#include "report/eval.h"
#include "report/report.h"

#define US_PER_MIN (60 * FW_US_PER_S)
#define US_PER_HOUR (3600 * FW_US_PER_S)
#define US_PER_DAY (86400 * FW_US_PER_S)

#define TOP_N 10              /* rows of the top-N lists */
#define QUAR_SAMPLE_PER_REASON 1
#define QUAR_SAMPLE_MAX 12    /* quarantined rows shown */
#define QUAR_RAW_MAX 240      /* bytes of a raw line shown */
#define EPISODE_ROWS_MAX 500  /* rows of the episode table */
#define HOUR_ROWS_MAX 400     /* rows of the per-hour tables */
#define SERIES_POINTS_MAX 1440 /* points of the traffic chart */
#define SIDE_BY_SIDE_MAX 12    /* per-hour charts this short sit beside their table */

/* ---- the data ------------------------------------------------------------ */

typedef struct rp_minute {
    int64_t t_us; /* start of the minute */
    int64_t events, bytes, syn_only, labelled, quarantined, duplicates, repaired;
} rp_minute;

typedef struct rp_incident {
    char *id, *type, *entity, *severity, *rule;
    char *victims;   /* comma-separated */
    size_t nvictims;
    int64_t start_us, detected_us;
    int64_t end_us;  /* the run's last event time while open */
    bool open;       /* end is NULL in the store */
    double peak_pps, peak_bps;
    int64_t unique_sources, events;
} rp_incident;

/* One row of a top-N or breakdown list: a key and up to four numbers. */
typedef struct rp_row {
    char *key;
    int64_t v[4];
} rp_row;

typedef struct rp_rows {
    rp_row *v;
    size_t n;
} rp_rows;

typedef struct rp_qrow {
    int64_t line;
    char *reasons;
    char *raw;      /* the first QUAR_RAW_MAX bytes, as stored (any bytes) */
    size_t raw_n;
    bool truncated;
} rp_qrow;

struct fw_report {
    char *db_path, *labels_path;
    int schema_version;

    /* The run (runs table).  Accounting is missing while a stream runs. */
    int64_t run_id;
    char *mode, *input, *started_at, *finished_at;
    bool has_accounting;
    int64_t rows_read, accepted, quarantined, duplicates, late, blank_lines;
    int64_t first_us, last_us; /* event-time span: runs, else the minutes */

    rp_minute *min; /* in time order */
    size_t nmin;

    rp_incident *inc; /* by start, then id */
    size_t ninc;
    int64_t other_inc_run; /* when this run has none: the latest run that has some */
    int64_t other_inc_n;

    bool has_src;          /* the run has agg_minute_src rows (batch only) */
    rp_rows top_src;       /* src: events, bytes, labelled, minutes */
    rp_rows top_src_ep;    /* src: episodes, sampled events */
    rp_rows top_dst;       /* dst: events, bytes, labelled, max distinct sources a minute */
    rp_rows top_dst_ep;    /* dst: episodes, events of those episodes */
    rp_rows countries;     /* country ('' unknown): events, bytes, labelled */
    rp_rows dq_quarantine; /* reason: rows */
    rp_rows dq_repair;     /* reason: rows */
    rp_rows dq_empty;      /* column: rows */
    rp_qrow *qs;           /* sample of quarantined rows, by line */
    size_t nqs;
    int64_t nquarantine;   /* quarantined rows stored for the run */

    bool evaluated;
    fw_eval_incidents evinc;
    fw_eval ev; /* borrows evinc */
};

/* ---- loading ------------------------------------------------------------- */

typedef struct loader {
    sqlite3 *db;
    const char *path;
    char *err;
    size_t errn;
} loader;

static sqlite3_stmt *prep(loader *L, const char *sql, int64_t run_id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(L->db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(L->err, L->errn, "%s: %s", L->path, sqlite3_errmsg(L->db));
        return NULL;
    }
    if (sqlite3_bind_parameter_count(st) >= 1)
        sqlite3_bind_int64(st, 1, run_id);
    return st;
}

/* Finalize st; rc is the last sqlite3_step result.  Returns 0 or -1. */
static int done(loader *L, sqlite3_stmt *st, int rc)
{
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        snprintf(L->err, L->errn, "%s: %s", L->path, sqlite3_errmsg(L->db));
        return -1;
    }
    return 0;
}

static char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? fw_xstrdup((const char *)s) : NULL;
}

/* A time column as microseconds; false when NULL or not a time. */
static bool col_time(sqlite3_stmt *st, int i, int64_t *us)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s && fw_ts_parse((const char *)s, (size_t)sqlite3_column_bytes(st, i), us) == 0;
}

static bool table_exists(loader *L, const char *name)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(L->db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    bool yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

/* One integer from sql (?1 = run_id); def when no row or NULL. */
static int scalar(loader *L, const char *sql, int64_t run_id, int64_t def, int64_t *out)
{
    sqlite3_stmt *st = prep(L, sql, run_id);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL
               ? sqlite3_column_int64(st, 0) : def;
    return done(L, st, rc);
}

/* Rows of (text key, nvals integers) from sql with ?1 = run_id and ?2 =
 * TOP_N (for a LIMIT).  A table the database does not have (an older
 * schema) gives no rows. */
static int load_rows(loader *L, rp_rows *out, const char *table, const char *sql,
                     int64_t run_id, int nvals)
{
    out->v = NULL;
    out->n = 0;
    if (table && !table_exists(L, table))
        return 0;
    sqlite3_stmt *st = prep(L, sql, run_id);
    if (!st)
        return -1;
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int(st, 2, TOP_N);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == cap) {
            cap = cap ? 2 * cap : 16;
            out->v = fw_xrealloc(out->v, cap * sizeof out->v[0]);
        }
        rp_row *r = &out->v[out->n++];
        memset(r, 0, sizeof *r);
        r->key = col_text(st, 0);
        if (!r->key)
            r->key = fw_xstrdup("");
        for (int i = 0; i < nvals && i < 4; i++)
            r->v[i] = sqlite3_column_int64(st, 1 + i);
    }
    return done(L, st, rc);
}

static void free_rows(rp_rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].key);
    free(r->v);
}

/* Choose the run and read its row of runs. */
static int load_run(loader *L, fw_report *r, int64_t want)
{
    int64_t id = want;
    if (!id) {
        if (scalar(L, "SELECT max(run_id) FROM agg_minute", 0, 0, &id))
            return -1;
        if (!id) {
            int64_t nruns;
            if (scalar(L, "SELECT count(*) FROM runs", 0, 0, &nruns))
                return -1;
            snprintf(L->err, L->errn,
                     nruns ? "%s: no run has minute aggregates (every run was empty or failed)"
                           : "%s: no runs yet; make one with 'floodwatch batch --db %s FILE'",
                     L->path, L->path);
            return -1;
        }
    }
    sqlite3_stmt *st = prep(L,
                            "SELECT mode, input, started_at, finished_at, rows_read, accepted, "
                            "quarantined, duplicates, late, first_event, last_event "
                            "FROM runs WHERE run_id=?1",
                            id);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        done(L, st, rc);
        int64_t lo = 0, hi = 0;
        if (rc == SQLITE_DONE && !scalar(L, "SELECT min(run_id) FROM runs", 0, 0, &lo) &&
            !scalar(L, "SELECT max(run_id) FROM runs", 0, 0, &hi))
            snprintf(L->err, L->errn, lo ? "%s: no run %lld (its runs are %lld to %lld)"
                                         : "%s: no run %lld (it has no runs)",
                     L->path, (long long)id, (long long)lo, (long long)hi);
        return -1;
    }
    r->run_id = id;
    r->mode = col_text(st, 0);
    r->input = col_text(st, 1);
    r->started_at = col_text(st, 2);
    r->finished_at = col_text(st, 3);
    r->has_accounting = sqlite3_column_type(st, 4) != SQLITE_NULL;
    r->rows_read = sqlite3_column_int64(st, 4);
    r->accepted = sqlite3_column_int64(st, 5);
    r->quarantined = sqlite3_column_int64(st, 6);
    r->duplicates = sqlite3_column_int64(st, 7);
    r->late = sqlite3_column_int64(st, 8);
    bool span = col_time(st, 9, &r->first_us) && col_time(st, 10, &r->last_us);
    if (!span)
        r->first_us = r->last_us = INT64_MIN;
    if (done(L, st, rc))
        return -1;
    int64_t n;
    if (scalar(L, "SELECT count(*) FROM agg_minute WHERE run_id=?1", id, 0, &n))
        return -1;
    if (!n) {
        snprintf(L->err, L->errn, "%s: run %lld has no minute aggregates (it read no rows, or failed)",
                 L->path, (long long)id);
        return -1;
    }
    return scalar(L, "SELECT count FROM dq_counters WHERE run_id=?1 AND kind='rows' AND "
                     "name='blank_lines'",
                  id, 0, &r->blank_lines);
}

static int load_minutes(loader *L, fw_report *r)
{
    const char *sql = r->schema_version >= 3
                          ? "SELECT minute, events, bytes, syn_only, labelled_attack, quarantined, "
                            "duplicates, repaired FROM agg_minute WHERE run_id=?1 ORDER BY minute"
                          : "SELECT minute, events, bytes, syn_only, labelled_attack, 0, 0, 0 "
                            "FROM agg_minute WHERE run_id=?1 ORDER BY minute";
    sqlite3_stmt *st = prep(L, sql, r->run_id);
    if (!st)
        return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t t;
        if (!col_time(st, 0, &t))
            continue;
        if (r->nmin == cap) {
            cap = cap ? 2 * cap : 256;
            r->min = fw_xrealloc(r->min, cap * sizeof r->min[0]);
        }
        rp_minute *m = &r->min[r->nmin++];
        m->t_us = t;
        m->events = sqlite3_column_int64(st, 1);
        m->bytes = sqlite3_column_int64(st, 2);
        m->syn_only = sqlite3_column_int64(st, 3);
        m->labelled = sqlite3_column_int64(st, 4);
        m->quarantined = sqlite3_column_int64(st, 5);
        m->duplicates = sqlite3_column_int64(st, 6);
        m->repaired = sqlite3_column_int64(st, 7);
    }
    if (done(L, st, rc))
        return -1;
    if (r->first_us == INT64_MIN && r->nmin) {
        r->first_us = r->min[0].t_us;
        r->last_us = r->min[r->nmin - 1].t_us + US_PER_MIN - 1;
    }
    return 0;
}

static int load_incidents(loader *L, fw_report *r)
{
    if (!table_exists(L, "incidents"))
        return 0;
    sqlite3_stmt *st = prep(L,
                            "SELECT id, type, entity, victims, start, detected_at, end, severity, "
                            "rule, peak_pps, peak_bps, unique_sources, events FROM incidents "
                            "WHERE run_id=?1 ORDER BY start, id",
                            r->run_id);
    if (!st)
        return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t start;
        if (!col_time(st, 4, &start))
            continue;
        if (r->ninc == cap) {
            cap = cap ? 2 * cap : 16;
            r->inc = fw_xrealloc(r->inc, cap * sizeof r->inc[0]);
        }
        rp_incident *x = &r->inc[r->ninc++];
        memset(x, 0, sizeof *x);
        x->id = col_text(st, 0);
        x->type = col_text(st, 1);
        x->entity = col_text(st, 2);
        x->start_us = start;
        if (!col_time(st, 5, &x->detected_us))
            x->detected_us = start;
        x->open = !col_time(st, 6, &x->end_us);
        if (x->open)
            x->end_us = r->last_us > start ? r->last_us : start;
        if (x->end_us < start)
            x->end_us = start;
        x->severity = col_text(st, 7);
        x->rule = col_text(st, 8);
        x->peak_pps = sqlite3_column_double(st, 9);
        x->peak_bps = sqlite3_column_double(st, 10);
        x->unique_sources = sqlite3_column_int64(st, 11);
        x->events = sqlite3_column_int64(st, 12);

        /* Victims: a JSON array of addresses. */
        const char *vj = (const char *)sqlite3_column_text(st, 3);
        json_t *a = vj ? json_loads(vj, 0, NULL) : NULL;
        size_t len = 0;
        json_t *v;
        size_t i;
        json_array_foreach(a, i, v) if (json_is_string(v)) len += strlen(json_string_value(v)) + 2;
        x->victims = fw_xmalloc(len + 1);
        x->victims[0] = 0;
        json_array_foreach(a, i, v) if (json_is_string(v)) {
            if (x->nvictims++)
                strcat(x->victims, ", ");
            strcat(x->victims, json_string_value(v));
        }
        json_decref(a);
        char **text[] = {&x->id, &x->type, &x->entity, &x->severity, &x->rule};
        for (size_t k = 0; k < sizeof text / sizeof text[0]; k++)
            if (!*text[k])
                *text[k] = fw_xstrdup("");
    }
    if (done(L, st, rc))
        return -1;
    if (!r->ninc) {
        sqlite3_stmt *q = prep(L, "SELECT run_id, count(*) FROM incidents GROUP BY run_id "
                                  "ORDER BY run_id DESC LIMIT 1", 0);
        if (!q)
            return -1;
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            r->other_inc_run = sqlite3_column_int64(q, 0);
            r->other_inc_n = sqlite3_column_int64(q, 1);
        }
        if (done(L, q, rc))
            return -1;
    }
    return 0;
}

static int load_quarantine(loader *L, fw_report *r)
{
    if (scalar(L, "SELECT count(*) FROM quarantine WHERE run_id=?1", r->run_id, 0, &r->nquarantine))
        return -1;
    /* A few rows of every reason set, the earliest lines first. */
    sqlite3_stmt *st = prep(L,
                            "SELECT line, reasons, substr(CAST(raw AS BLOB), 1, " 
                            "?2), length(CAST(raw AS BLOB)) FROM (SELECT line, reasons, raw, "
                            "row_number() OVER (PARTITION BY reasons ORDER BY line) AS k "
                            "FROM quarantine WHERE run_id=?1) WHERE k<=?3 ORDER BY line LIMIT ?4",
                            r->run_id);
    if (!st)
        return -1;
    sqlite3_bind_int(st, 2, QUAR_RAW_MAX);
    sqlite3_bind_int(st, 3, QUAR_SAMPLE_PER_REASON);
    sqlite3_bind_int(st, 4, QUAR_SAMPLE_MAX);
    r->qs = fw_xcalloc(QUAR_SAMPLE_MAX, sizeof r->qs[0]);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && r->nqs < QUAR_SAMPLE_MAX) {
        rp_qrow *q = &r->qs[r->nqs++];
        q->line = sqlite3_column_int64(st, 0);
        q->reasons = col_text(st, 1);
        if (!q->reasons)
            q->reasons = fw_xstrdup("");
        const void *b = sqlite3_column_blob(st, 2);
        q->raw_n = (size_t)sqlite3_column_bytes(st, 2);
        q->raw = fw_xmalloc(q->raw_n + 1);
        if (q->raw_n)
            memcpy(q->raw, b, q->raw_n);
        q->raw[q->raw_n] = 0;
        q->truncated = sqlite3_column_int64(st, 3) > (int64_t)q->raw_n;
    }
    return done(L, st, rc);
}

/* Write the run's incident events as JSON lines to a temporary file and
 * evaluate them against the labels. */
static int load_eval(loader *L, fw_report *r)
{
    FILE *tf = tmpfile();
    if (!tf) {
        snprintf(L->err, L->errn, "cannot create a temporary file: %s", strerror(errno));
        return -1;
    }
    if (table_exists(L, "incident_events")) {
        sqlite3_stmt *st = prep(L, "SELECT json FROM incident_events WHERE run_id=?1 "
                                   "ORDER BY event_time, id, event",
                                r->run_id);
        if (!st) {
            fclose(tf);
            return -1;
        }
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            fwrite(sqlite3_column_blob(st, 0), 1, (size_t)sqlite3_column_bytes(st, 0), tf);
            fputc('\n', tf);
        }
        if (done(L, st, rc)) {
            fclose(tf);
            return -1;
        }
    }
    if (fflush(tf) || ferror(tf)) {
        snprintf(L->err, L->errn, "cannot write a temporary file: %s", strerror(errno));
        fclose(tf);
        return -1;
    }
    rewind(tf);
    char name[64];
    snprintf(name, sizeof name, "incident_events of run %lld", (long long)r->run_id);
    int rc = fw_eval_incidents_read(&r->evinc, tf, name, L->err, L->errn);
    fclose(tf);
    if (rc)
        return -1;
    fw_eval_labels *labels = fw_eval_labels_new();
    if (fw_eval_labels_load(labels, r->labels_path, L->err, L->errn)) {
        fw_eval_labels_free(labels);
        fw_eval_incidents_destroy(&r->evinc);
        return -1;
    }
    fw_eval_opts o;
    fw_eval_opts_default(&o);
    fw_eval_run(&r->ev, labels, &r->evinc, &o);
    r->ev.input = r->labels_path;
    r->ev.alerts = "incident_events";
    fw_eval_labels_free(labels);
    r->evaluated = true;
    return 0;
}

static int load_all(loader *L, fw_report *r, const fw_report_opts *o)
{
    /* Is it ours? */
    int64_t v;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(L->db, "SELECT value FROM meta WHERE key='schema_version'", -1, &st,
                           NULL) != SQLITE_OK) {
        snprintf(L->err, L->errn, "%s: not a floodwatch database (%s)", L->path,
                 sqlite3_errmsg(L->db));
        return -1;
    }
    int rc = sqlite3_step(st);
    v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (v < 1) {
        snprintf(L->err, L->errn, "%s: not a floodwatch database (no schema version)", L->path);
        return -1;
    }
    if (v > 3) {
        snprintf(L->err, L->errn,
                 "%s: database schema version %lld; this floodwatch reads versions 1 to 3",
                 L->path, (long long)v);
        return -1;
    }
    r->schema_version = (int)v;
    if (load_run(L, r, o->run_id) || load_minutes(L, r) || load_incidents(L, r))
        return -1;
    int64_t run = r->run_id;
    if (scalar(L, "SELECT EXISTS(SELECT 1 FROM agg_minute_src WHERE run_id=?1)", run, 0, &v))
        return -1;
    r->has_src = v != 0;
    if (load_rows(L, &r->top_src, NULL,
                  "SELECT src, sum(events) AS e, sum(bytes), sum(labelled_attack), count(*) "
                  "FROM agg_minute_src WHERE run_id=?1 GROUP BY src ORDER BY e DESC, src LIMIT ?2",
                  run, 4) ||
        load_rows(L, &r->top_src_ep, "incident_sources",
                  "SELECT src, count(*) AS n, sum(events) AS e FROM incident_sources "
                  "WHERE run_id=?1 GROUP BY src ORDER BY n DESC, e DESC, src LIMIT ?2",
                  run, 2) ||
        load_rows(L, &r->top_dst, NULL,
                  "SELECT dst, sum(events) AS e, sum(bytes), sum(labelled_attack), "
                  "max(distinct_src) FROM agg_minute_dst WHERE run_id=?1 GROUP BY dst "
                  "ORDER BY e DESC, dst LIMIT ?2",
                  run, 4) ||
        load_rows(L, &r->top_dst_ep, "incident_victims",
                  "SELECT v.dst, count(*) AS n, sum(i.events) AS e FROM incident_victims v "
                  "JOIN incidents i ON i.run_id=v.run_id AND i.id=v.id WHERE v.run_id=?1 "
                  "GROUP BY v.dst ORDER BY n DESC, e DESC, v.dst LIMIT ?2",
                  run, 2) ||
        load_rows(L, &r->countries, "agg_minute_country",
                  "SELECT country, sum(events) AS e, sum(bytes), sum(labelled_attack) "
                  "FROM agg_minute_country WHERE run_id=?1 GROUP BY country "
                  "ORDER BY e DESC, country",
                  run, 3) ||
        load_rows(L, &r->dq_quarantine, NULL,
                  "SELECT name, count FROM dq_counters WHERE run_id=?1 AND kind='quarantine' "
                  "ORDER BY count DESC, name",
                  run, 1) ||
        load_rows(L, &r->dq_repair, NULL,
                  "SELECT name, count FROM dq_counters WHERE run_id=?1 AND kind='repair' "
                  "ORDER BY count DESC, name",
                  run, 1) ||
        load_rows(L, &r->dq_empty, NULL,
                  "SELECT name, count FROM dq_counters WHERE run_id=?1 AND kind='empty_field' "
                  "ORDER BY count DESC, name",
                  run, 1) ||
        load_quarantine(L, r))
        return -1;
    if (r->labels_path && load_eval(L, r))
        return -1;
    return 0;
}

fw_report *fw_report_load(const fw_report_opts *o, char *err, size_t errn)
{
    struct stat sb;
    if (stat(o->db_path, &sb)) {
        snprintf(err, errn, "%s: %s", o->db_path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errn, "%s: not a regular file", o->db_path);
        return NULL;
    }
    fw_report *r = fw_xcalloc(1, sizeof *r);
    r->db_path = fw_xstrdup(o->db_path);
    r->labels_path = o->labels_path ? fw_xstrdup(o->labels_path) : NULL;
    loader L = {.path = o->db_path, .err = err, .errn = errn};
    if (sqlite3_open_v2(o->db_path, &L.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errn, "%s: cannot open database: %s", o->db_path,
                 L.db ? sqlite3_errmsg(L.db) : "out of memory");
        sqlite3_close(L.db);
        fw_report_free(r);
        return NULL;
    }
    sqlite3_busy_timeout(L.db, 5000);
    /* One read transaction: a stream committing meanwhile is seen at one point. */
    int rc = sqlite3_exec(L.db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? load_all(&L, r, o) : -1;
    if (rc && !err[0])
        snprintf(err, errn, "%s: %s", o->db_path, sqlite3_errmsg(L.db));
    sqlite3_exec(L.db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(L.db);
    if (rc) {
        fw_report_free(r);
        return NULL;
    }
    return r;
}

int64_t fw_report_run(const fw_report *r) { return r->run_id; }
size_t fw_report_incidents(const fw_report *r) { return r->ninc; }

void fw_report_free(fw_report *r)
{
    if (!r)
        return;
    free(r->db_path);
    free(r->labels_path);
    free(r->mode);
    free(r->input);
    free(r->started_at);
    free(r->finished_at);
    free(r->min);
    for (size_t i = 0; i < r->ninc; i++) {
        rp_incident *x = &r->inc[i];
        free(x->id);
        free(x->type);
        free(x->entity);
        free(x->severity);
        free(x->rule);
        free(x->victims);
    }
    free(r->inc);
    free_rows(&r->top_src);
    free_rows(&r->top_src_ep);
    free_rows(&r->top_dst);
    free_rows(&r->top_dst_ep);
    free_rows(&r->countries);
    free_rows(&r->dq_quarantine);
    free_rows(&r->dq_repair);
    free_rows(&r->dq_empty);
    for (size_t i = 0; i < r->nqs; i++) {
        free(r->qs[i].reasons);
        free(r->qs[i].raw);
    }
    free(r->qs);
    if (r->evaluated) {
        fw_eval_destroy(&r->ev);
        fw_eval_incidents_destroy(&r->evinc);
    }
    free(r);
}

int fw_report_format_from_path(const char *path, fw_report_format *fmt)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return -1;
    if (!strcasecmp(dot, ".html") || !strcasecmp(dot, ".htm"))
        *fmt = FW_REPORT_HTML;
    else if (!strcasecmp(dot, ".md"))
        *fmt = FW_REPORT_MD;
    else
        return -1;
    return 0;
}

int fw_report_format_parse(const char *name, fw_report_format *fmt)
{
    if (!strcmp(name, "html"))
        *fmt = FW_REPORT_HTML;
    else if (!strcmp(name, "md") || !strcmp(name, "markdown"))
        *fmt = FW_REPORT_MD;
    else
        return -1;
    return 0;
}

/* ---- formatting ------------------------------------------------------------ */

/* 1234567 -> "1,234,567". */
static const char *fmt_int(int64_t v, char *buf)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%lld", (long long)(v < 0 ? -v : v));
    size_t n = strlen(tmp), o = 0;
    if (v < 0)
        buf[o++] = '-';
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

/* Compact numbers for axes and bar ends: 950, 1.2k, 25k, 3.4M. */
static const char *fmt_si(double v, char *buf)
{
    double a = fabs(v);
    if (a >= 1e9)
        snprintf(buf, 24, "%.3gG", v / 1e9);
    else if (a >= 1e6)
        snprintf(buf, 24, "%.3gM", v / 1e6);
    else if (a >= 1e3)
        snprintf(buf, 24, "%.3gk", v / 1e3);
    else if (a == floor(a))
        snprintf(buf, 24, "%.0f", v);
    else
        snprintf(buf, 24, "%.3g", v);
    return buf;
}

static const char *fmt_bytes(double v, char *buf)
{
    static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    int u = 0;
    while (fabs(v) >= 1000 && u < 5) {
        v /= 1000;
        u++;
    }
    snprintf(buf, 24, u ? "%.3g %s" : "%.0f %s", v, unit[u]);
    return buf;
}

/* Seconds as "42 s", "10 min 1 s", "2 h 5 min", "3 d 4 h". */
static const char *fmt_dur(double s, char *buf)
{
    int64_t t = (int64_t)llround(s);
    if (s < 10 && s != floor(s))
        snprintf(buf, 32, "%.3g s", s);
    else if (t < 60)
        snprintf(buf, 32, "%lld s", (long long)t);
    else if (t < 3600 && t % 60)
        snprintf(buf, 32, "%lld min %lld s", (long long)(t / 60), (long long)(t % 60));
    else if (t < 3600)
        snprintf(buf, 32, "%lld min", (long long)(t / 60));
    else if (t < 86400)
        snprintf(buf, 32, "%lld h %lld min", (long long)(t / 3600), (long long)(t % 3600 / 60));
    else
        snprintf(buf, 32, "%lld d %lld h", (long long)(t / 86400), (long long)(t % 86400 / 3600));
    return buf;
}

/* Event time as "2026-01-01 00:15:00" (UTC), with milliseconds when not whole. */
static const char *fmt_time(int64_t us, char *buf)
{
    char t[FW_TS_BUFSZ];
    fw_ts_format(us, t, 0);
    size_t n = strlen(t);
    if (n && t[n - 1] == 'Z')
        t[--n] = 0;
    char *frac = strchr(t, '.');
    if (frac && strlen(frac) > 4)
        frac[4] = 0;
    char *sep = strchr(t, 'T');
    if (sep)
        *sep = ' ';
    snprintf(buf, FW_TS_BUFSZ, "%s", t);
    return buf;
}

/* A time in the report's tables: the clock alone when the run's events
 * all fall on one day (the header gives the date), else the whole time. */
static const char *fmt_when(const fw_report *r, int64_t us, char *buf)
{
    fmt_time(us, buf);
    int64_t day = fw_floor_div(r->first_us, US_PER_DAY);
    if (day == fw_floor_div(r->last_us, US_PER_DAY) && day == fw_floor_div(us, US_PER_DAY) &&
        strlen(buf) > 11)
        memmove(buf, buf + 11, strlen(buf + 11) + 1);
    return buf;
}

/* "HH:MM" of a time, with the date ("MM-DD HH:MM") when with_date. */
static const char *fmt_clock(int64_t us, bool with_date, char *buf)
{
    char t[FW_TS_BUFSZ];
    fw_ts_format(us, t, 0);
    /* YYYY-MM-DDThh:mm... */
    if (with_date)
        snprintf(buf, 16, "%.5s %.5s", t + 5, t + 11);
    else
        snprintf(buf, 16, "%.5s", t + 11);
    return buf;
}

static const char *fmt_pct(double num, double den, char *buf)
{
    if (den <= 0)
        snprintf(buf, 16, "-");
    else {
        double p = 100.0 * num / den;
        snprintf(buf, 16, p > 0 && p < 0.01 ? "<0.01%%" : "%.2f%%", p);
    }
    return buf;
}

/* ---- the document writer ------------------------------------------------- */

typedef struct doc {
    FILE *f;
    fw_report_format fmt;
    const char *align; /* of the open table: 'l' or 'r' per column */
    size_t col;
} doc;

static bool html(const doc *d) { return d->fmt == FW_REPORT_HTML; }

static void put(doc *d, const char *s) { fputs(s, d->f); }

static void putf(doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(d->f, fmt, ap);
    va_end(ap);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

/*
 * Write n bytes of data text, escaped for the document: HTML entities for
 * & < > " ', Markdown backslashes for the characters that would start
 * markup or end a table cell.  Control characters and bytes that are not
 * UTF-8 are written as \xNN, so nothing in the data can change the page.
 */
static void esc_n(doc *d, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c >= 0x80) {
            size_t len = utf8_len(p + i, n - i);
            if (len) {
                fwrite(p + i, 1, len, d->f);
                i += len;
            } else {
                putf(d, "\\x%02X", c);
                i++;
            }
            continue;
        }
        i++;
        if (c < 0x20 || c == 0x7f) {
            if (c == '\t')
                put(d, html(d) ? "\t" : " ");
            else
                putf(d, "\\x%02X", c);
        } else if (html(d)) {
            switch (c) {
            case '&': put(d, "&amp;"); break;
            case '<': put(d, "&lt;"); break;
            case '>': put(d, "&gt;"); break;
            case '"': put(d, "&quot;"); break;
            case '\'': put(d, "&#39;"); break;
            default: fputc((int)c, d->f);
            }
        } else {
            /* An underscore inside a word cannot start emphasis. */
            bool inword = c == '_' && i >= 2 && i < n && isalnum(p[i - 2]) && isalnum(p[i]);
            if (strchr("\\`*_[]<>|&", (int)c) && !inword)
                fputc('\\', d->f);
            fputc((int)c, d->f);
        }
    }
}

static void esc(doc *d, const char *s) { esc_n(d, s, strlen(s)); }

static void escf(doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void escf(doc *d, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    esc(d, buf);
}

/* A section: <section id> with its heading, or a Markdown "##" heading. */
static void section(doc *d, const char *id, const char *title)
{
    if (html(d))
        putf(d, "<section id=\"%s\">\n<h2>%s</h2>\n", id, title);
    else
        putf(d, "## %s\n\n", title);
}

static void section_end(doc *d)
{
    if (html(d))
        put(d, "</section>\n");
}

static void h3(doc *d, const char *title)
{
    if (html(d))
        putf(d, "<h3>%s</h3>\n", title);
    else
        putf(d, "### %s\n\n", title);
}

/* A paragraph of data text (escaped); cls is an HTML class or NULL. */
static void para(doc *d, const char *cls, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void para(doc *d, const char *cls, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (html(d)) {
        if (cls)
            putf(d, "<p class=\"%s\">", cls);
        else
            put(d, "<p>");
    } else if (cls && !strcmp(cls, "note")) {
        put(d, "> ");
    }
    esc(d, buf);
    put(d, html(d) ? "</p>\n" : "\n\n");
}

/* Tables: open with the column alignments ("lrr") and headings (heads[0]
 * NULL: a key-value table, without a heading row in HTML). */
static void tbl(doc *d, const char *cls, const char *align, const char *const *heads)
{
    size_t n = strlen(align);
    d->align = align;
    if (html(d)) {
        putf(d, "<table class=\"%s\">", cls);
        if (heads[0]) {
            put(d, "<thead><tr>");
            for (size_t i = 0; i < n; i++)
                putf(d, "<th%s>%s</th>", align[i] == 'r' ? " class=\"n\"" : "", heads[i]);
            put(d, "</tr></thead>");
        }
        put(d, "\n<tbody>\n");
    } else {
        /* Markdown tables need a heading row: a key-value table gets one. */
        put(d, "|");
        for (size_t i = 0; i < n; i++)
            putf(d, " %s |", heads[0] ? heads[i] : i ? "value" : "item");
        put(d, "\n|");
        for (size_t i = 0; i < n; i++)
            put(d, align[i] == 'r' ? " ---: |" : " --- |");
        put(d, "\n");
    }
}

static void tr(doc *d)
{
    d->col = 0;
    put(d, html(d) ? "<tr>" : "|");
}

static void tr_end(doc *d) { put(d, html(d) ? "</tr>\n" : "\n"); }

static void tbl_end(doc *d) { put(d, html(d) ? "</tbody></table>\n" : "\n"); }

/* A table of more than LONG_TABLE rows folds away in HTML (<details>, no
 * script needed): the page stays readable, the rows a click away. */
#define LONG_TABLE 24

static void fold(doc *d, size_t nrows, const char *what)
{
    if (html(d) && nrows > LONG_TABLE)
        putf(d, "<details><summary>%s: %zu rows</summary>\n", what, nrows);
}

static void fold_end(doc *d, size_t nrows)
{
    if (html(d) && nrows > LONG_TABLE)
        put(d, "</details>\n");
}

static void td_open(doc *d, const char *cls)
{
    bool num = d->align && d->col < strlen(d->align) && d->align[d->col] == 'r';
    d->col++;
    if (!html(d)) {
        put(d, " ");
        return;
    }
    if (num || cls)
        putf(d, "<td class=\"%s%s%s\">", num ? "n" : "", num && cls ? " " : "", cls ? cls : "");
    else
        put(d, "<td>");
}

static void td_close(doc *d) { put(d, html(d) ? "</td>" : " |"); }

/* A cell of data text. */
static void td(doc *d, const char *text)
{
    td_open(d, NULL);
    esc(d, text);
    td_close(d);
}

static void tdf(doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tdf(doc *d, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    td(d, buf);
}

static void td_int(doc *d, int64_t v)
{
    char b[32];
    td(d, fmt_int(v, b));
}

/* Headline figures: cards in HTML, a two-column table in Markdown. */
static void cards(doc *d)
{
    if (html(d))
        put(d, "<div class=\"cards\">\n");
    else
        tbl(d, "", "lr", (const char *const[]){"figure", "value"});
}

/* The same, four to a row (eight figures in two rows). */
static void cards4(doc *d)
{
    if (html(d))
        put(d, "<div class=\"cards c4\">\n");
    else
        tbl(d, "", "lr", (const char *const[]){"figure", "value"});
}

static void card(doc *d, const char *label, const char *value, const char *sub)
{
    if (html(d)) {
        put(d, "<div class=\"card\"><div class=\"k\">");
        esc(d, label);
        put(d, "</div><div class=\"v\">");
        esc(d, value);
        put(d, "</div>");
        if (sub && *sub) {
            put(d, "<div class=\"s\">");
            esc(d, sub);
            put(d, "</div>");
        }
        put(d, "</div>\n");
    } else {
        tr(d);
        td(d, label);
        if (sub && *sub) {
            char buf[512];
            snprintf(buf, sizeof buf, "%s (%s)", value, sub);
            td(d, buf);
        } else
            td(d, value);
        tr_end(d);
    }
}

static void cards_end(doc *d)
{
    if (html(d))
        put(d, "</div>\n");
    else
        tbl_end(d);
}

/* ---- charts (HTML only) ------------------------------------------------------ */

/* Pixel width of text at the chart font size (11-12px sans): an estimate. */
static double text_w(const char *s, double px) { return (double)strlen(s) * px * 0.6; }

/* A value axis from 0: the top and the tick step (1, 2, 2.5 or 5 x 10^k;
 * whole numbers only for counts). */
static void nice_axis(double max, int nticks, bool whole, double *top, double *step)
{
    if (!(max > 0))
        max = 1;
    double raw = max / nticks, mag = pow(10, floor(log10(raw))), f = raw / mag;
    double s = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
    *step = s * mag;
    if (whole && *step < 1)
        *step = 1;
    if (whole && *step == 2.5)
        *step = 2;
    *top = ceil(max / *step - 1e-9) * *step;
}

static const struct {
    const char *type, *color;
} type_colors[] = {
    {"syn_flood", "#c0392b"},  {"http_flood", "#8e44ad"}, {"udp_flood", "#1e8449"},
    {"amplification", "#b7950b"}, {"port_scan", "#117a65"}, {"slowloris", "#6e2c00"},
    {"volumetric", "#5d6d7e"}, {"flash_crowd", "#2e86c1"},
};

static const char *type_color(const char *type)
{
    for (size_t i = 0; i < sizeof type_colors / sizeof type_colors[0]; i++)
        if (type && !strcmp(type, type_colors[i].type))
            return type_colors[i].color;
    return "#616a6b";
}

enum valkind { VAL_COUNT, VAL_MINUTES };
enum valfmt { FULL, BAR_END, TICK };

/* A value for a tooltip (full), a bar end or an axis tick. */
static const char *fmt_val(enum valkind k, double v, enum valfmt how, char *buf)
{
    if (how == TICK)
        return fmt_si(v, buf);
    if (k == VAL_MINUTES)
        return fmt_dur(v * 60, buf);
    return how == BAR_END ? fmt_si(v, buf) : fmt_int((int64_t)llround(v), buf);
}

typedef struct chart {
    const char *id;              /* data-chart name */
    const char *title;
    const char *axis;            /* value axis title */
    size_t ncat, nser;
    const char *const *cats;     /* category labels (data text) */
    const char *const *names;    /* series names: a legend when nser > 1 */
    const char *const *colors;   /* per series */
    const char *const *catcolor; /* per category (one series), or NULL */
    const double *v;             /* ncat x nser, row-major */
    enum valkind kind;
    double width;                /* viewBox width */
    const double *line;          /* vertical bars: an overlay per category, or NULL */
    const char *line_name, *line_color;
} chart;

static void svg_open(doc *d, const char *id, double w, double h, const char *title)
{
    putf(d, "<svg class=\"chart\" data-chart=\"%s\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "aria-label=\"",
         id, w, h);
    esc(d, title);
    put(d, "\" xmlns=\"http://www.w3.org/2000/svg\">\n");
    putf(d, "<text class=\"ctitle\" x=\"%.1f\" y=\"20\">", 8.0);
    esc(d, title);
    put(d, "</text>\n");
}

/* A legend row of swatches at y, from x. */
static double svg_legend_item(doc *d, double x, double y, const char *color, const char *name,
                              bool line)
{
    if (line)
        putf(d, "<line class=\"lg\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"2.5\"/>",
             x, y - 4, x + 14, y - 4, color);
    else
        putf(d, "<rect class=\"lg\" x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" rx=\"2\" "
                "fill=\"%s\"/>",
             x, y - 10, color);
    putf(d, "<text class=\"legend\" x=\"%.1f\" y=\"%.1f\">", x + 18, y);
    esc(d, name);
    put(d, "</text>\n");
    return x + 18 + text_w(name, 12) + 18;
}

/* Horizontal bars: one row per category, nser bars in each. */
static void svg_hbars(doc *d, const chart *c)
{
    /* The label column fits the longest label, up to 40% of the width;
     * longer labels are cut (their tooltips have them whole). */
    double w = c->width, lab = 60;
    size_t maxc = 0;
    for (size_t i = 0; i < c->ncat; i++)
        if (strlen(c->cats[i]) > maxc)
            maxc = strlen(c->cats[i]);
    lab = text_w("m", 12) * (double)maxc + 16;
    if (lab < 60)
        lab = 60;
    if (lab > w * 0.4) {
        lab = w * 0.4;
        maxc = (size_t)((lab - 16) / text_w("m", 12));
    }
    double top = c->nser > 1 ? 58 : 36, barh = c->nser > 1 ? 15 : 18, gap = 8;
    double rowh = barh * (double)c->nser + gap, left = lab, right = w - 64;
    double h = top + rowh * (double)c->ncat + 48;
    double max = 0;
    for (size_t i = 0; i < c->ncat * c->nser; i++)
        if (c->v[i] > max)
            max = c->v[i];
    double vtop, step;
    nice_axis(max, 5, c->kind == VAL_COUNT, &vtop, &step);
    svg_open(d, c->id, w, h, c->title);
    if (c->nser > 1) {
        double x = 8;
        for (size_t s = 0; s < c->nser; s++)
            x = svg_legend_item(d, x, 42, c->colors[s], c->names[s], false);
    }
    double bottom = top + rowh * (double)c->ncat;
    char b[48], b2[48];
    /* Grid and ticks. */
    for (double t = 0; t <= vtop + step / 2; t += step) {
        double x = left + (right - left) * t / vtop;
        putf(d, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, top - 4,
             x, bottom);
        putf(d, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x,
             bottom + 16, fmt_val(c->kind, t, TICK, b));
    }
    putf(d, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (left + right) / 2,
         bottom + 38);
    esc(d, c->axis);
    put(d, "</text>\n");
    for (size_t i = 0; i < c->ncat; i++) {
        double y0 = top + rowh * (double)i + gap / 2;
        putf(d, "<text class=\"cat\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", left - 8,
             y0 + barh * (double)c->nser / 2 + 4);
        if (strlen(c->cats[i]) > maxc && maxc > 3) {
            esc_n(d, c->cats[i], maxc - 1);
            put(d, "\xE2\x80\xA6");
        } else
            esc(d, c->cats[i]);
        put(d, "</text>\n");
        for (size_t s = 0; s < c->nser; s++) {
            double v = c->v[i * c->nser + s], bw = (right - left) * v / vtop;
            double y = y0 + barh * (double)s;
            const char *color = c->catcolor ? c->catcolor[i] : c->colors[s];
            putf(d, "<rect class=\"mark\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    "fill=\"%s\"><title>",
                 left, y, bw, barh - 1, color);
            esc(d, c->cats[i]);
            put(d, " \xE2\x80\x94 ");
            if (c->nser > 1) {
                esc(d, c->names[s]);
                put(d, ": ");
            }
            esc(d, fmt_val(c->kind, v, FULL, b));
            put(d, "</title></rect>");
            putf(d, "<text class=\"val\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", left + bw + 4,
                 y + barh - 3.5, fmt_val(c->kind, v, BAR_END, b2));
        }
    }
    putf(d, "<line class=\"axisline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", left,
         top - 4, left, bottom);
    put(d, "</svg>\n");
}

/* Vertical bars: categories along x (every k-th labelled when crowded), an
 * optional overlay line. */
static void svg_vbars(doc *d, const chart *c)
{
    double w = c->width, h = 300, left = 64, right = w - 16;
    bool legend = c->nser > 1 || c->line;
    double top = legend ? 60 : 40, bottom = h - 58;
    double max = 0;
    for (size_t i = 0; i < c->ncat * c->nser; i++)
        if (c->v[i] > max)
            max = c->v[i];
    for (size_t i = 0; c->line && i < c->ncat; i++)
        if (c->line[i] > max)
            max = c->line[i];
    double vtop, step;
    nice_axis(max, 5, c->kind == VAL_COUNT, &vtop, &step);
    svg_open(d, c->id, w, h, c->title);
    if (legend) {
        double x = 8;
        for (size_t s = 0; s < c->nser; s++)
            x = svg_legend_item(d, x, 42, c->colors[s], c->names[s], false);
        if (c->line)
            svg_legend_item(d, x, 42, c->line_color, c->line_name, true);
    }
    char b[48];
    for (double t = 0; t <= vtop + step / 2; t += step) {
        double y = bottom - (bottom - top) * t / vtop;
        putf(d, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", left, y,
             right, y);
        putf(d, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
             left - 6, y + 4, fmt_val(c->kind, t, TICK, b));
    }
    putf(d, "<text class=\"axis\" transform=\"translate(14,%.1f) rotate(-90)\" "
            "text-anchor=\"middle\">",
         (top + bottom) / 2);
    esc(d, c->axis);
    put(d, "</text>\n");
    double gw = (right - left) / (double)(c->ncat ? c->ncat : 1);
    double maxlab = 0;
    for (size_t i = 0; i < c->ncat; i++)
        if (text_w(c->cats[i], 11) > maxlab)
            maxlab = text_w(c->cats[i], 11);
    /* Label every k-th slot so labels keep 10 px apart, the first one
     * shifted right off the axis included. */
    double shift = maxlab / 2 > gw / 2 ? maxlab / 2 - gw / 2 : 0;
    size_t every = (size_t)ceil((maxlab + 10 + shift) / gw);
    if (every < 1)
        every = 1;
    /* Bars take 76% of their slot, at most 96 px a group. */
    double span = gw * 0.76 < 96 ? gw * 0.76 : 96, bw = span / (double)c->nser;
    for (size_t i = 0; i < c->ncat; i++) {
        double gx = left + gw * (double)i + (gw - span) / 2;
        for (size_t s = 0; s < c->nser; s++) {
            double v = c->v[i * c->nser + s], bh = (bottom - top) * v / vtop;
            putf(d, "<rect class=\"mark\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    "fill=\"%s\"><title>",
                 gx + bw * (double)s, bottom - bh, bw > 1.5 ? bw - 0.5 : bw, bh, c->colors[s]);
            esc(d, c->cats[i]);
            put(d, " \xE2\x80\x94 ");
            if (c->nser > 1) {
                esc(d, c->names[s]);
                put(d, ": ");
            }
            esc(d, fmt_val(c->kind, v, FULL, b));
            put(d, "</title></rect>");
        }
        if (i % every == 0) {
            /* Centred under the slot, but not left of the axis (its ticks are there). */
            double lx = left + gw * ((double)i + 0.5), lw = text_w(c->cats[i], 11);
            if (lx - lw / 2 < left)
                lx = left + lw / 2;
            putf(d, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", lx,
                 bottom + 16);
            esc(d, c->cats[i]);
            put(d, "</text>");
        }
        put(d, "\n");
    }
    if (c->line && c->ncat) {
        put(d, "<path class=\"mark line\" fill=\"none\" stroke-dasharray=\"6 4\" stroke-width=\"2\" ");
        putf(d, "stroke=\"%s\" d=\"", c->line_color);
        for (size_t i = 0; i < c->ncat; i++)
            putf(d, "%s%.1f,%.1f", i ? " L" : "M", left + gw * ((double)i + 0.5),
                 bottom - (bottom - top) * (c->line[i] > 0 ? c->line[i] : 0) / vtop);
        put(d, "\"><title>");
        esc(d, c->line_name);
        put(d, "</title></path>\n");
    }
    putf(d, "<line class=\"axisline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", left,
         bottom, right, bottom);
    put(d, "</svg>\n");
}

/* Event-time ticks: the smallest step giving at most max ticks. */
static int64_t time_step(int64_t span_us, int max)
{
    static const int64_t steps_s[] = {60,    120,   300,   600,    900,    1800,   3600,
                                      7200,  10800, 21600, 43200,  86400,  172800, 604800,
                                      1209600, 2592000};
    for (size_t i = 0; i < sizeof steps_s / sizeof steps_s[0]; i++)
        if (span_us / (steps_s[i] * FW_US_PER_S) <= max)
            return steps_s[i] * FW_US_PER_S;
    return span_us / max + 1;
}

/* A legend laid out in rows that wrap at the chart's width. */
typedef struct legend {
    double x, y, x0, xmax, row_h;
    int rows;
} legend;

static void legend_place(legend *lg, double item_w)
{
    if (lg->x > lg->x0 && lg->x + item_w > lg->xmax) {
        lg->x = lg->x0;
        lg->y += lg->row_h;
        lg->rows++;
    }
}

/* Width of a legend item: swatch, gap, text, spacing. */
static double legend_w(const char *name) { return 18 + text_w(name, 12) + 18; }

/* Attack episodes as drawn: a run of episodes of one type that would touch
 * on the chart is one band, so a pulse of a hundred short episodes stays
 * readable (its tooltip counts them). */
typedef struct band {
    size_t first, last; /* indexes into r->inc */
    int64_t start_us, end_us;
} band;

static size_t make_bands(const fw_report *r, int64_t t0, int64_t t1, double px_per_us,
                         band *out)
{
    size_t n = 0;
    for (size_t i = 0; i < r->ninc; i++) {
        const rp_incident *x = &r->inc[i];
        int64_t s = x->start_us > t0 ? x->start_us : t0;
        int64_t e = x->end_us < t1 ? x->end_us : t1;
        if (e < s)
            continue;
        band *b = n ? &out[n - 1] : NULL;
        if (b && !strcmp(r->inc[b->last].type, x->type) &&
            (double)(s - b->end_us) * px_per_us < 3) {
            b->last = i;
            if (e > b->end_us)
                b->end_us = e;
            continue;
        }
        out[n++] = (band){.first = i, .last = i, .start_us = s, .end_us = e};
    }
    return n;
}

/* Events (area) and SYN-only (line) per minute, incidents shaded by type. */
static void svg_traffic(doc *d, const fw_report *r)
{
    const double w = 1120, left = 76, right = w - 24, plot_h = 246;
    int64_t t0 = fw_floor_div(r->min[0].t_us, US_PER_MIN) * US_PER_MIN;
    int64_t t1 = r->min[r->nmin - 1].t_us + US_PER_MIN;
    int64_t nminutes = (t1 - t0) / US_PER_MIN;
    int64_t per = (nminutes + SERIES_POINTS_MAX - 1) / SERIES_POINTS_MAX; /* minutes a point */
    if (per < 1)
        per = 1;
    size_t nb = (size_t)((nminutes + per - 1) / per);
    int64_t bw_us = per * US_PER_MIN;
    t1 = t0 + (int64_t)nb * bw_us;
    double *ev = fw_xcalloc(nb, sizeof *ev), *syn = fw_xcalloc(nb, sizeof *syn);
    for (size_t i = 0; i < r->nmin; i++) {
        size_t k = (size_t)((r->min[i].t_us - t0) / bw_us);
        if (k < nb) {
            ev[k] += (double)r->min[i].events;
            syn[k] += (double)r->min[i].syn_only;
        }
    }
    double max = 0;
    for (size_t i = 0; i < nb; i++)
        if (ev[i] > max)
            max = ev[i];
    double vtop, step;
    nice_axis(max, 5, true, &vtop, &step);
    double span = (double)(t1 - t0);

    /* The types present, in order of appearance, for the legend. */
    const char **types = fw_xcalloc(r->ninc + 1, sizeof *types);
    size_t ntypes = 0;
    for (size_t i = 0; i < r->ninc; i++) {
        size_t k = 0;
        while (k < ntypes && strcmp(types[k], r->inc[i].type))
            k++;
        if (k == ntypes)
            types[ntypes++] = r->inc[i].type;
    }
    /* Lay the legend out first: its rows decide where the plot starts. */
    legend lg = {.x = 8, .y = 44, .x0 = 8, .xmax = w - 8, .row_h = 18, .rows = 1};
    legend_place(&lg, legend_w("all events"));
    lg.x += legend_w("all events");
    legend_place(&lg, legend_w("SYN-only"));
    lg.x += legend_w("SYN-only");
    char item[96];
    for (size_t k = 0; k < ntypes; k++) {
        snprintf(item, sizeof item, "%s episode", types[k]);
        legend_place(&lg, legend_w(item));
        lg.x += legend_w(item);
    }
    const double label_y0 = lg.y + 24, top = label_y0 + 2 * 14 + 14, bottom = top + plot_h;
    const double h = bottom + 62;

#define XT(t) (left + (right - left) * (double)((t) - t0) / span)
#define YV(v) (bottom - (bottom - top) * (v) / vtop)
    char title[128], unit[64];
    if (per == 1)
        snprintf(unit, sizeof unit, "events per minute");
    else
        snprintf(unit, sizeof unit, "events per %lld minutes", (long long)per);
    snprintf(title, sizeof title, "Traffic over time: %s, attack episodes shaded", unit);
    svg_open(d, "traffic", w, h, title);

    lg = (legend){.x = 8, .y = 44, .x0 = 8, .xmax = w - 8, .row_h = 18, .rows = 1};
    legend_place(&lg, legend_w("all events"));
    lg.x = svg_legend_item(d, lg.x, lg.y, "#4c78a8", "all events", false);
    legend_place(&lg, legend_w("SYN-only"));
    lg.x = svg_legend_item(d, lg.x, lg.y, "#f58518", "SYN-only", true);
    for (size_t k = 0; k < ntypes; k++) {
        const char *col = type_color(types[k]);
        snprintf(item, sizeof item, "%s episode", types[k]);
        legend_place(&lg, legend_w(item));
        putf(d, "<rect class=\"lg\" x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" "
                "fill=\"%s\" fill-opacity=\"0.25\" stroke=\"%s\"/>",
             lg.x, lg.y - 10, col, col);
        putf(d, "<text class=\"legend\" x=\"%.1f\" y=\"%.1f\">", lg.x + 18, lg.y);
        esc(d, item);
        put(d, "</text>\n");
        lg.x += legend_w(item);
    }
    free(types);

    /* Grid, ticks. */
    char b[48];
    for (double t = 0; t <= vtop + step / 2; t += step) {
        double y = YV(t);
        putf(d, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", left, y,
             right, y);
        putf(d, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
             left - 6, y + 4, fmt_si(t, b));
    }
    int64_t ts = time_step(t1 - t0, 10);
    bool dates = t1 - t0 > US_PER_DAY || fw_floor_div(t0, US_PER_DAY) != fw_floor_div(t1 - 1, US_PER_DAY);
    for (int64_t t = fw_floor_div(t0 + ts - 1, ts) * ts; t <= t1; t += ts) {
        double tx = XT(t);
        fmt_clock(t, dates, b);
        /* Keep the label inside the chart. */
        double lw = text_w(b, 11), lx = tx;
        if (lx + lw / 2 > w - 2)
            lx = w - 2 - lw / 2;
        putf(d, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", tx, top,
             tx, bottom);
        putf(d, "<line class=\"axisline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", tx,
             bottom, tx, bottom + 5);
        putf(d, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", lx,
             bottom + 18, b);
    }
    putf(d, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">event time (UTC)</text>\n",
         (left + right) / 2, h - 14);
    putf(d, "<text class=\"axis\" transform=\"translate(16,%.1f) rotate(-90)\" "
            "text-anchor=\"middle\">%s</text>\n",
         (top + bottom) / 2, unit);

    /* Episode bands, labelled by number and type in up to three rows above
     * the plot; a label that fits nowhere is left to the tooltip. */
    band *bands = fw_xcalloc(r->ninc + 1, sizeof *bands);
    size_t nbands = make_bands(r, t0, t1, (right - left) / span, bands);
    double row_end[3] = {-1e9, -1e9, -1e9};
    for (size_t i = 0; i < nbands; i++) {
        const band *bd = &bands[i];
        const rp_incident *x0 = &r->inc[bd->first], *x1 = &r->inc[bd->last];
        size_t count = bd->last - bd->first + 1;
        double bx = XT(bd->start_us), bwid = XT(bd->end_us) - bx;
        if (bwid < 2)
            bwid = 2;
        const char *col = type_color(x0->type);
        char s1[FW_TS_BUFSZ], s2[FW_TS_BUFSZ], dur[32];
        put(d, "<rect class=\"band\" data-type=\"");
        esc(d, x0->type);
        putf(d, "\" data-episodes=\"%zu\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                "fill=\"%s\" fill-opacity=\"0.16\" stroke=\"%s\" stroke-opacity=\"0.5\"><title>",
             count, bx, top, bwid, bottom - top, col, col);
        /* Tooltip lines: data escaped piece by piece, the newlines ours. */
        if (count == 1) {
            char ev_s[32];
            escf(d, "#%zu %s on %s", bd->first + 1, x0->type, x0->entity);
            put(d, "\n");
            escf(d, "%s \xE2\x80\x93 %s%s (%s)", fmt_time(x0->start_us, s1),
                 fmt_time(x0->end_us, s2), x0->open ? " (open)" : "",
                 fmt_dur((double)(x0->end_us - x0->start_us) / 1e6, dur));
            put(d, "\n");
            escf(d, "severity %s, peak %.1f pps, %s events", x0->severity, x0->peak_pps,
                 fmt_int(x0->events, ev_s));
        } else {
            escf(d, "#%zu\xE2\x80\x93#%zu: %zu %s episodes on %s", bd->first + 1, bd->last + 1,
                 count, x0->type, x0->entity);
            put(d, "\n");
            escf(d, "%s \xE2\x80\x93 %s", fmt_time(x0->start_us, s1),
                 fmt_time(x1->end_us > bd->end_us ? bd->end_us : x1->end_us, s2));
        }
        put(d, "</title></rect>\n");
        char label[96];
        if (count == 1)
            snprintf(label, sizeof label, "#%zu %s", bd->first + 1, x0->type);
        else
            snprintf(label, sizeof label, "#%zu\xE2\x80\x93%zu %s", bd->first + 1, bd->last + 1,
                     x0->type);
        for (int pass = 0; pass < 2; pass++) {
            /* The en dash is 3 bytes and one character wide. */
            double lw = text_w(label, 11) - (count > 1 ? 2 * 6.6 : 0) + 6;
            double lx = bx + bwid / 2 - lw / 2;
            if (lx < left)
                lx = left;
            if (lx + lw > right)
                lx = right - lw;
            int row = -1;
            for (int k = 0; k < 3 && row < 0; k++)
                if (lx >= row_end[k] + 6)
                    row = k;
            if (row >= 0) {
                row_end[row] = lx + lw;
                double ly = label_y0 + 14 * row;
                putf(d, "<line class=\"tie\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                        "stroke=\"%s\"/>",
                     bx + bwid / 2, ly + 3, bx + bwid / 2, top, col);
                putf(d, "<text class=\"band-label\" x=\"%.1f\" y=\"%.1f\" fill=\"%s\">", lx + 3, ly,
                     col);
                esc(d, label);
                put(d, "</text>\n");
                break;
            }
            /* Second try: the number alone. */
            snprintf(label, sizeof label, "#%zu", bd->first + 1);
            count = 1;
        }
    }
    free(bands);

    /* The series. */
    put(d, "<path class=\"mark area\" fill=\"#4c78a8\" fill-opacity=\"0.35\" stroke=\"#2f5d8c\" "
           "stroke-width=\"1.2\" d=\"");
    putf(d, "M%.1f,%.1f", XT(t0) + 0.0, bottom);
    for (size_t i = 0; i < nb; i++)
        putf(d, " L%.1f,%.1f", XT(t0 + (int64_t)i * bw_us + bw_us / 2), YV(ev[i]));
    putf(d, " L%.1f,%.1f Z\"><title>all events</title></path>\n", XT(t1), bottom);
    put(d, "<path class=\"mark line\" fill=\"none\" stroke=\"#f58518\" stroke-width=\"1.8\" d=\"");
    for (size_t i = 0; i < nb; i++)
        putf(d, "%s%.1f,%.1f", i ? " L" : "M", XT(t0 + (int64_t)i * bw_us + bw_us / 2), YV(syn[i]));
    put(d, "\"><title>SYN-only events</title></path>\n");
    /* Hover columns: a tooltip per point. */
    put(d, "<g class=\"hover\">");
    for (size_t i = 0; i < nb; i++) {
        int64_t t = t0 + (int64_t)i * bw_us;
        char tb[FW_TS_BUFSZ], e1[32], e2[32];
        putf(d, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\"><title>", XT(t), top,
             XT(t + bw_us) - XT(t), bottom - top);
        escf(d, "%s: %s events, %s SYN-only", fmt_time(t, tb), fmt_int((int64_t)ev[i], e1),
             fmt_int((int64_t)syn[i], e2));
        put(d, "</title></rect>");
    }
    put(d, "</g>\n");
    putf(d, "<line class=\"axisline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", left,
         bottom, right, bottom);
    put(d, "</svg>\n");
#undef XT
#undef YV
    free(ev);
    free(syn);
}

/* ---- derived figures --------------------------------------------------------- */

typedef struct totals {
    int64_t events, bytes, syn_only, labelled, quarantined, duplicates, repaired;
    int64_t peak_events, peak_t_us;
} totals;

static totals sum_minutes(const fw_report *r)
{
    totals t = {0};
    for (size_t i = 0; i < r->nmin; i++) {
        const rp_minute *m = &r->min[i];
        t.events += m->events;
        t.bytes += m->bytes;
        t.syn_only += m->syn_only;
        t.labelled += m->labelled;
        t.quarantined += m->quarantined;
        t.duplicates += m->duplicates;
        t.repaired += m->repaired;
        if (m->events > t.peak_events) {
            t.peak_events = m->events;
            t.peak_t_us = m->t_us;
        }
    }
    return t;
}

/* Buckets of the per-hour tables: hours, or days past three days. */
typedef struct buckets {
    int64_t t0, step_us;
    size_t n;
} buckets;

static buckets make_buckets(const fw_report *r)
{
    buckets b = {0};
    if (!r->nmin)
        return b;
    int64_t first = r->min[0].t_us, last = r->min[r->nmin - 1].t_us;
    b.step_us = last - first >= 3 * US_PER_DAY ? US_PER_DAY : US_PER_HOUR;
    b.t0 = fw_floor_div(first, b.step_us) * b.step_us;
    b.n = (size_t)((last - b.t0) / b.step_us + 1);
    return b;
}

static const char *bucket_label(const buckets *b, int64_t t, char *buf)
{
    char s[FW_TS_BUFSZ];
    fw_ts_format(t, s, 0);
    if (b->step_us == US_PER_DAY)
        snprintf(buf, 16, "%.10s", s);
    else
        snprintf(buf, 24, "%.10s %.5s", s, s + 11);
    return buf;
}

/* Time covered by at least one incident (their union), in microseconds. */
static int64_t attack_time(const fw_report *r)
{
    int64_t total = 0, cs = 0, ce = INT64_MIN;
    for (size_t i = 0; i < r->ninc; i++) { /* sorted by start */
        const rp_incident *x = &r->inc[i];
        if (x->start_us > ce) {
            if (ce > cs)
                total += ce - cs;
            cs = x->start_us;
            ce = x->end_us;
        } else if (x->end_us > ce)
            ce = x->end_us;
    }
    if (ce > cs && ce != INT64_MIN)
        total += ce - cs;
    return total;
}

/* Per attack type: episodes, seconds, events, max peak pps (in first-seen order). */
typedef struct type_row {
    const char *type;
    int64_t episodes, events;
    double seconds, peak_pps;
} type_row;

static size_t by_type(const fw_report *r, type_row **out)
{
    type_row *t = fw_xcalloc(r->ninc + 1, sizeof *t);
    size_t n = 0;
    for (size_t i = 0; i < r->ninc; i++) {
        const rp_incident *x = &r->inc[i];
        size_t k = 0;
        while (k < n && strcmp(t[k].type, x->type))
            k++;
        if (k == n)
            t[n++].type = x->type;
        t[k].episodes++;
        t[k].events += x->events;
        t[k].seconds += (double)(x->end_us - x->start_us) / 1e6;
        if (x->peak_pps > t[k].peak_pps)
            t[k].peak_pps = x->peak_pps;
    }
    /* Most episodes first, then the name. */
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && (t[k].episodes > t[k - 1].episodes ||
                                     (t[k].episodes == t[k - 1].episodes &&
                                      strcmp(t[k].type, t[k - 1].type) < 0));
             k--) {
            type_row tmp = t[k];
            t[k] = t[k - 1];
            t[k - 1] = tmp;
        }
    *out = t;
    return n;
}

/* ---- sections ------------------------------------------------------------------ */

static const char *country_name(const char *code) { return *code ? code : "unknown"; }

static bool has_unknown(const rp_rows *countries)
{
    for (size_t i = 0; i < countries->n; i++)
        if (!*countries->v[i].key)
            return true;
    return false;
}

static void write_header(doc *d, const fw_report *r)
{
    char a[64], b[64], c[64];
    const char *input = r->input ? r->input : "?";
    if (html(d)) {
        put(d, "<header><div class=\"wrap\"><h1>DDoS analysis report</h1><p class=\"sub\">");
        esc(d, input);
        putf(d, " &middot; run %lld (", (long long)r->run_id);
        esc(d, r->mode ? r->mode : "?");
        put(d, ") &middot; ");
        escf(d, "%s \xE2\x80\x93 %s UTC", fmt_time(r->first_us, a), fmt_time(r->last_us, b));
        put(d, "</p></div></header>\n<nav><div class=\"wrap\">"
               "<a href=\"#run\">Run</a><a href=\"#traffic\">Traffic</a>"
               "<a href=\"#episodes\">Attack episodes</a><a href=\"#top\">Attackers &amp; victims</a>"
               "<a href=\"#geo\">Geography</a><a href=\"#quality\">Data quality</a>"
               "<a href=\"#kpi\">KPIs</a><a href=\"#eval\">Detection evaluation</a>"
               "</div></nav>\n<main class=\"wrap\">\n");
    } else {
        put(d, "# DDoS analysis report\n\n");
        put(d, "Input ");
        esc(d, input);
        escf(d, ", run %lld (%s), event time %s to %s UTC.", (long long)r->run_id,
             r->mode ? r->mode : "?", fmt_time(r->first_us, a), fmt_time(r->last_us, b));
        put(d, "\n\n> Charts are in the HTML report (`floodwatch report -o report.html`); "
               "this document has their data as tables.\n\n");
    }

    section(d, "run", "1. Run");
    if (html(d))
        put(d, "<div class=\"grid2\"><div>\n");
    tbl(d, "kv", "ll", (const char *const[]){NULL, NULL});
    tr(d), td(d, "input"), td(d, input), tr_end(d);
    tr(d), td(d, "database"), td(d, r->db_path), tr_end(d);
    tr(d), td(d, "run"), tdf(d, "%lld (%s)", (long long)r->run_id, r->mode ? r->mode : "?"),
        tr_end(d);
    tr(d), td(d, "ran (wall clock, UTC)"),
        tdf(d, "%s to %s", r->started_at ? r->started_at : "?",
            r->finished_at ? r->finished_at : "not finished"),
        tr_end(d);
    tr(d), td(d, "event time (UTC)"),
        tdf(d, "%s to %s (%s)", fmt_time(r->first_us, a), fmt_time(r->last_us, b),
            fmt_dur((double)(r->last_us - r->first_us) / 1e6, c)),
        tr_end(d);
    tr(d), td(d, "minutes with traffic"), td_int(d, (int64_t)r->nmin), tr_end(d);
    tr(d), td(d, "attack episodes"), td_int(d, (int64_t)r->ninc), tr_end(d);
    tbl_end(d);
    if (html(d))
        put(d, "</div><div>\n");

    h3(d, "Rows");
    if (!r->has_accounting) {
        para(d, "note", "The run has not recorded its accounting (a stream that is still running "
                        "or was stopped before its end).");
    } else {
        cards(d);
        double rd = (double)r->rows_read;
        card(d, "rows read", fmt_int(r->rows_read, a), "");
        card(d, "accepted", fmt_int(r->accepted, a), fmt_pct((double)r->accepted, rd, b));
        card(d, "quarantined", fmt_int(r->quarantined, a), fmt_pct((double)r->quarantined, rd, b));
        card(d, "duplicates", fmt_int(r->duplicates, a), fmt_pct((double)r->duplicates, rd, b));
        card(d, "late", fmt_int(r->late, a), fmt_pct((double)r->late, rd, b));
        cards_end(d);
        int64_t sum = r->accepted + r->quarantined + r->duplicates + r->late;
        if (sum == r->rows_read)
            para(d, "note", "Every row is accounted for: read = accepted + quarantined + "
                            "duplicates + late.%s",
                 r->blank_lines ? " Blank lines are skipped and not counted as rows." : "");
        else
            para(d, "warn", "read (%lld) differs from accepted + quarantined + duplicates + late "
                            "(%lld).",
                 (long long)r->rows_read, (long long)sum);
    }
    if (html(d))
        put(d, "</div></div>\n");
    section_end(d);
}

static void write_traffic(doc *d, const fw_report *r, const totals *t)
{
    char a[64], b[64], c[64], e[64], f[64], g[64], h[64], l[64];
    section(d, "traffic", "2. Traffic over time");
    para(d, NULL, "%s events (%s sent) over %zu minutes; the busiest minute, %s, had %s events. "
                  "%s events (%s) are SYN-only; %s (%s) are labelled as attacks in the input.",
         fmt_int(t->events, a), fmt_bytes((double)t->bytes, b), r->nmin,
         fmt_when(r, t->peak_t_us, c), fmt_int(t->peak_events, e), fmt_int(t->syn_only, f),
         fmt_pct((double)t->syn_only, (double)t->events, g), fmt_int(t->labelled, h),
         fmt_pct((double)t->labelled, (double)t->events, l));
    if (html(d)) {
        put(d, "<figure>");
        svg_traffic(d, r);
        put(d, "<figcaption>Each shaded band is an attack episode from its start to its end, "
               "numbered as in the episode table; hover a band or the plot for details.</figcaption>"
               "</figure>\n");
    }
    buckets bk = make_buckets(r);
    h3(d, bk.step_us == US_PER_DAY ? "Per day" : "Per hour");
    fold(d, bk.n, "The traffic per hour");
    tbl(d, "data", "lrrrrr",
        (const char *const[]){bk.step_us == US_PER_DAY ? "day (UTC)" : "hour (UTC)", "events",
                              "SYN-only", "bytes sent", "labelled attack", "episodes active"});
    size_t k = 0;
    for (size_t i = 0; i < bk.n && i < HOUR_ROWS_MAX; i++) {
        int64_t s = bk.t0 + (int64_t)i * bk.step_us, en = s + bk.step_us;
        int64_t ev = 0, syn = 0, by = 0, lab = 0, act = 0;
        while (k < r->nmin && r->min[k].t_us < en) {
            ev += r->min[k].events;
            syn += r->min[k].syn_only;
            by += r->min[k].bytes;
            lab += r->min[k].labelled;
            k++;
        }
        for (size_t j = 0; j < r->ninc; j++)
            act += r->inc[j].start_us < en && r->inc[j].end_us >= s;
        tr(d);
        td(d, bucket_label(&bk, s, a));
        td_int(d, ev);
        td_int(d, syn);
        td(d, fmt_bytes((double)by, b));
        td_int(d, lab);
        td_int(d, act);
        tr_end(d);
    }
    tbl_end(d);
    fold_end(d, bk.n);
    if (bk.n > HOUR_ROWS_MAX)
        para(d, "note", "%zu more rows not shown.", bk.n - HOUR_ROWS_MAX);
    section_end(d);
}

static const char *sev_class(const char *s)
{
    static const char *const known[] = {"low", "medium", "high", "critical"};
    for (size_t i = 0; i < 4; i++)
        if (!strcmp(s, known[i]))
            return known[i];
    return NULL;
}

static void no_incidents_note(doc *d, const fw_report *r)
{
    if (r->other_inc_run)
        para(d, "note", "Run %lld has no attack episodes (incidents). Run %lld has %lld: "
                        "floodwatch report --run %lld.",
             (long long)r->run_id, (long long)r->other_inc_run, (long long)r->other_inc_n,
             (long long)r->other_inc_run);
    else
        para(d, "note", "Run %lld has no attack episodes (incidents): nothing was detected, or "
                        "the run was made with --no-detect.",
             (long long)r->run_id);
}

static void write_episodes(doc *d, const fw_report *r)
{
    char a[64], b[64], c[64];
    section(d, "episodes", "3. Attack episodes");
    if (!r->ninc) {
        no_incidents_note(d, r);
        section_end(d);
        return;
    }
    para(d, NULL, "%zu attack episodes (incidents) detected in run %lld. An episode groups the "
                  "signals of one attack: destination rules group victims by network, source "
                  "rules by source address.",
         r->ninc, (long long)r->run_id);
    bool one_day = fw_floor_div(r->first_us, US_PER_DAY) == fw_floor_div(r->last_us, US_PER_DAY);
    if (one_day)
        para(d, "note", "Times are UTC on %.10s.", fmt_time(r->first_us, a));
    /* The id is long and rarely read: a tooltip on # in HTML, a column in Markdown. */
    static const char *const heads[] = {"#", "type", "entity", "victims", "start", "end",
                                        "duration", "peak pps", "sources", "events", "severity",
                                        "id"};
    fold(d, r->ninc, "The episodes");
    tbl(d, "data episodes", html(d) ? "rlllllrrrrl" : "rlllllrrrrll", heads);
    for (size_t i = 0; i < r->ninc && i < EPISODE_ROWS_MAX; i++) {
        const rp_incident *x = &r->inc[i];
        tr(d);
        if (html(d)) {
            put(d, "<td class=\"n\" title=\"id ");
            esc(d, x->id);
            putf(d, "\">%zu</td><td><span class=\"sw\" style=\"background:%s\"></span>", i + 1,
                 type_color(x->type));
            esc(d, x->type);
            put(d, "</td>");
            d->col += 2;
        } else {
            tdf(d, "%zu", i + 1);
            td(d, x->type);
        }
        td(d, x->entity);
        /* Victims: the count and the first few; HTML has them all in a tooltip. */
        char vic[160];
        size_t vn = strlen(x->victims);
        if (!x->nvictims)
            snprintf(vic, sizeof vic, "0");
        else if (x->nvictims == 1)
            snprintf(vic, sizeof vic, "%s", x->victims);
        else if (vn <= 28)
            snprintf(vic, sizeof vic, "%zu: %s", x->nvictims, x->victims);
        else {
            const char *comma = strchr(x->victims, ',');
            snprintf(vic, sizeof vic, "%zu: %.*s and %zu more", x->nvictims,
                     (int)(comma ? (size_t)(comma - x->victims) : vn), x->victims,
                     x->nvictims - 1);
        }
        if (html(d)) {
            put(d, "<td title=\"");
            esc(d, x->victims);
            put(d, "\">");
            esc(d, vic);
            put(d, "</td>");
            d->col++;
        } else
            td(d, vic);
        td(d, fmt_when(r, x->start_us, a));
        td(d, x->open ? "open" : fmt_when(r, x->end_us, b));
        td(d, fmt_dur((double)(x->end_us - x->start_us) / 1e6, c));
        tdf(d, "%.1f", x->peak_pps);
        td_int(d, x->unique_sources);
        td_int(d, x->events);
        const char *sc = sev_class(x->severity);
        if (html(d) && sc) {
            putf(d, "<td><span class=\"sev sev-%s\">%s</span></td>", sc, sc);
            d->col++;
        } else
            td(d, x->severity);
        if (!html(d))
            td(d, x->id);
        tr_end(d);
    }
    tbl_end(d);
    fold_end(d, r->ninc);
    if (r->ninc > EPISODE_ROWS_MAX)
        para(d, "note", "%zu more episodes not shown (floodwatch query incidents lists them all).",
             r->ninc - EPISODE_ROWS_MAX);

    type_row *t;
    size_t n = by_type(r, &t);
    h3(d, "Attack types");
    tbl(d, "data", "lrrrr",
        (const char *const[]){"type", "episodes", "total duration", "events", "max peak pps"});
    for (size_t i = 0; i < n; i++) {
        tr(d);
        td(d, t[i].type);
        td_int(d, t[i].episodes);
        td(d, fmt_dur(t[i].seconds, a));
        td_int(d, t[i].events);
        tdf(d, "%.1f", t[i].peak_pps);
        tr_end(d);
    }
    tbl_end(d);
    if (html(d)) {
        const char **cats = fw_xcalloc(n + 1, sizeof *cats), **cols = fw_xcalloc(n + 1, sizeof *cols);
        double *v1 = fw_xcalloc(n + 1, sizeof *v1), *v2 = fw_xcalloc(n + 1, sizeof *v2),
               *v3 = fw_xcalloc(n + 1, sizeof *v3);
        for (size_t i = 0; i < n; i++) {
            cats[i] = t[i].type;
            cols[i] = type_color(t[i].type);
            v1[i] = (double)t[i].episodes;
            v2[i] = t[i].seconds / 60;
            v3[i] = (double)t[i].events;
        }
        static const char *const one[] = {"#4c78a8"};
        chart c1 = {.id = "types-count", .title = "Episodes by type", .axis = "episodes",
                    .ncat = n, .nser = 1, .cats = cats, .names = one, .colors = one,
                    .catcolor = cols, .v = v1, .kind = VAL_COUNT, .width = 370};
        chart c2 = c1, c3 = c1;
        c2.id = "types-duration", c2.title = "Total duration by type", c2.axis = "minutes";
        c2.v = v2, c2.kind = VAL_MINUTES;
        c3.id = "types-volume", c3.title = "Events by type", c3.axis = "events", c3.v = v3;
        put(d, "<div class=\"grid3\">");
        svg_hbars(d, &c1);
        svg_hbars(d, &c2);
        svg_hbars(d, &c3);
        put(d, "</div>\n");
        free(cats);
        free(cols);
        free(v1);
        free(v2);
        free(v3);
    }
    free(t);
    section_end(d);
}

/* A bar chart of a list's first CHART_ROWS_MAX rows: v[i0] of each row, and
 * v[i1] as a second series when i1 >= 0. */
#define CHART_ROWS_MAX 15
static void rows_chart(doc *d, const rp_rows *rows, const char *id, const char *title,
                       const char *axis, int i0, const char *n0, int i1, const char *n1,
                       double width, bool countries)
{
    size_t n = rows->n < CHART_ROWS_MAX ? rows->n : CHART_ROWS_MAX;
    char capped[128];
    if (rows->n > n) {
        snprintf(capped, sizeof capped, "%s (the first %zu)", title, n);
        title = capped;
    }
    if (!n)
        return;
    size_t nser = i1 >= 0 ? 2 : 1;
    const char **cats = fw_xcalloc(n, sizeof *cats);
    double *v = fw_xcalloc(nser * n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        cats[i] = countries ? country_name(rows->v[i].key) : rows->v[i].key;
        v[nser * i] = (double)rows->v[i].v[i0];
        if (nser == 2)
            v[nser * i + 1] = (double)rows->v[i].v[i1];
    }
    static const char *const colors[] = {"#4c78a8", "#e45756"};
    const char *names[] = {n0, n1};
    chart c = {.id = id, .title = title, .axis = axis, .ncat = n, .nser = nser, .cats = cats,
               .names = names, .colors = colors, .v = v, .kind = VAL_COUNT, .width = width};
    svg_hbars(d, &c);
    free(cats);
    free(v);
}

/* A table of keys (sources or victims) by the number of episodes they were
 * part of: rank, key, episodes, events. */
static void episodes_table(doc *d, const fw_report *r, const char *title, const rp_rows *rows,
                           const char *key, const char *events, const char *none,
                           const char *note)
{
    h3(d, title);
    if (!r->ninc) {
        no_incidents_note(d, r);
        return;
    }
    if (!rows->n) {
        para(d, "note", "%s", none);
        return;
    }
    tbl(d, "data", "rlrr", (const char *const[]){"#", key, "episodes", events});
    for (size_t i = 0; i < rows->n; i++) {
        const rp_row *x = &rows->v[i];
        tr(d), tdf(d, "%zu", i + 1), td(d, x->key), td_int(d, x->v[0]), td_int(d, x->v[1]);
        tr_end(d);
    }
    tbl_end(d);
    if (note)
        para(d, "note", "%s", note);
}

static void write_top(doc *d, const fw_report *r, const totals *t)
{
    char a[64];
    section(d, "top", "4. Top attackers and victims");
    if (html(d))
        put(d, "<div class=\"grid2\"><div>\n");
    h3(d, "Sources by events");
    if (!r->has_src) {
        para(d, "note", "This run has no per-source minute table (agg_minute_src is written by "
                        "batch runs only: a stream would need a row per source of a botnet).");
    } else {
        tbl(d, "data", "rlrrrr",
            (const char *const[]){"#", "source", "events", "share", "labelled attack", "minutes"});
        for (size_t i = 0; i < r->top_src.n; i++) {
            const rp_row *x = &r->top_src.v[i];
            tr(d), tdf(d, "%zu", i + 1), td(d, x->key), td_int(d, x->v[0]);
            td(d, fmt_pct((double)x->v[0], (double)t->events, a)), td_int(d, x->v[2]);
            td_int(d, x->v[3]), tr_end(d);
        }
        tbl_end(d);
        if (html(d))
            rows_chart(d, &r->top_src, "top-sources", "Top sources by events", "events", 0,
                       "all events", 2, "labelled attack", 540, false);
    }
    if (html(d))
        put(d, "</div><div>\n");
    h3(d, "Destinations by events");
    if (!r->top_dst.n)
        para(d, "note", "No destinations.");
    else {
        tbl(d, "data", "rlrrrr",
            (const char *const[]){"#", "destination", "events", "share", "labelled attack",
                                  "peak src/min"});
        for (size_t i = 0; i < r->top_dst.n; i++) {
            const rp_row *x = &r->top_dst.v[i];
            tr(d), tdf(d, "%zu", i + 1), td(d, x->key), td_int(d, x->v[0]);
            td(d, fmt_pct((double)x->v[0], (double)t->events, a)), td_int(d, x->v[2]);
            td_int(d, x->v[3]), tr_end(d);
        }
        tbl_end(d);
        if (html(d))
            rows_chart(d, &r->top_dst, "top-destinations", "Top destinations by events", "events",
                       0, "all events", 2, "labelled attack", 540, false);
    }
    if (html(d))
        put(d, "</div><div>\n");
    episodes_table(d, r, "Attackers by episodes", &r->top_src_ep, "source", "events (sampled)",
                   "The run's episodes name no sources.",
                   "An episode keeps its top sources, sampled one flow in sixteen: events are "
                   "estimates.");
    if (html(d))
        put(d, "</div><div>\n");
    episodes_table(d, r, "Victims by episodes", &r->top_dst_ep, "victim",
                   "events of those episodes", "The run's episodes name no victims.", NULL);
    if (html(d))
        put(d, "</div></div>\n");
    section_end(d);
}

static void write_geo(doc *d, const fw_report *r)
{
    char a[64], b[64];
    section(d, "geo", "5. Geography");
    if (!r->countries.n) {
        para(d, "note", "No countries recorded for this run.");
        section_end(d);
        return;
    }
    int64_t all = 0, lab = 0;
    for (size_t i = 0; i < r->countries.n; i++) {
        all += r->countries.v[i].v[0];
        lab += r->countries.v[i].v[2];
    }
    char c[64], e[64];
    size_t known = r->countries.n - (has_unknown(&r->countries) ? 1 : 0);
    para(d, NULL, "%s events from %zu countries, %s of them labelled as attacks in the input "
                  "(is_attack), per source country; an empty country field is shown as unknown.",
         fmt_int(all, c), known, fmt_int(lab, e));
    if (html(d))
        rows_chart(d, &r->countries, "countries", "Events per country", "events", 0, "all events",
                   2, "labelled attack", 1120, true);
    fold(d, r->countries.n, "The countries");
    tbl(d, "data", "lrrrrr",
        (const char *const[]){"country", "events", "share of events", "bytes sent",
                              "labelled attack", "attack share of its events"});
    for (size_t i = 0; i < r->countries.n; i++) {
        const rp_row *x = &r->countries.v[i];
        tr(d);
        td(d, country_name(x->key));
        td_int(d, x->v[0]);
        td(d, fmt_pct((double)x->v[0], (double)all, a));
        td(d, fmt_bytes((double)x->v[1], b));
        td_int(d, x->v[2]);
        td(d, fmt_pct((double)x->v[2], (double)x->v[0], a));
        tr_end(d);
    }
    tbl_end(d);
    fold_end(d, r->countries.n);
    section_end(d);
}

/* A data-quality table: a heading, then key, count and share of rd rows read
 * per row of rows, or none_note when rows is empty.  False when empty. */
static bool quality_table(doc *d, const char *heading, const char *none_note, const char *key_col,
                          const char *count_col, const rp_rows *rows, double rd)
{
    char a[64];
    h3(d, heading);
    if (!rows->n) {
        para(d, "note", "%s", none_note);
        return false;
    }
    tbl(d, "data", "lrr", (const char *const[]){key_col, count_col, "of rows read"});
    for (size_t i = 0; i < rows->n; i++) {
        const rp_row *x = &rows->v[i];
        tr(d), td(d, x->key), td_int(d, x->v[0]), td(d, fmt_pct((double)x->v[0], rd, a));
        tr_end(d);
    }
    tbl_end(d);
    return true;
}

static void write_quality(doc *d, const fw_report *r, const totals *t)
{
    char a[64], b[64];
    section(d, "quality", "6. Data quality");
    double rd = r->has_accounting ? (double)r->rows_read : 0;
    if (html(d))
        put(d, "<div class=\"grid2\"><div>\n");
    if (quality_table(d, "Quarantined rows by reason", "No row was quarantined.", "reason", "rows",
                      &r->dq_quarantine, rd))
        para(d, "note", "A row can have several reasons, so the reasons can add up to more than "
                        "the %s quarantined rows.",
             fmt_int(r->quarantined, a));
    if (html(d)) {
        put(d, "</div><div>\n");
        if (r->dq_quarantine.n)
            rows_chart(d, &r->dq_quarantine, "quarantine-reasons", "Quarantined rows by reason",
                       "rows", 0, "rows", -1, NULL, 540, false);
        put(d, "</div></div>\n<div class=\"grid2\"><div>\n");
    }
    quality_table(d, "Repairs (rows accepted after a fix)", "No row needed a repair.", "repair", "rows",
                  &r->dq_repair, rd);
    if (html(d))
        put(d, "</div><div>\n");
    quality_table(d, "Empty fields", "No empty fields.", "column", "empty", &r->dq_empty, rd);
    if (html(d))
        put(d, "</div></div>\n");

    buckets bk = make_buckets(r);
    const char *unit = bk.step_us == US_PER_DAY ? "day" : "hour";
    char title[96];
    snprintf(title, sizeof title, "Per %s: quarantined, duplicate and repaired rows", unit);
    h3(d, title);
    size_t n = bk.n < HOUR_ROWS_MAX ? bk.n : HOUR_ROWS_MAX;
    double *v = fw_xcalloc(3 * (n + 1), sizeof *v);
    char (*labels)[24] = fw_xcalloc(n + 1, sizeof *labels);
    const char **cats = fw_xcalloc(n + 1, sizeof *cats);
    for (size_t i = 0; i < r->nmin; i++) {
        size_t k = (size_t)((r->min[i].t_us - bk.t0) / bk.step_us);
        if (k < n) {
            v[3 * k] += (double)r->min[i].quarantined;
            v[3 * k + 1] += (double)r->min[i].duplicates;
            v[3 * k + 2] += (double)r->min[i].repaired;
        }
    }
    for (size_t i = 0; i < n; i++) {
        int64_t s = bk.t0 + (int64_t)i * bk.step_us;
        if (bk.step_us == US_PER_DAY)
            bucket_label(&bk, s, labels[i]);
        else
            fmt_clock(s, bk.n > 24, labels[i]);
        cats[i] = labels[i];
    }
    bool side = n <= SIDE_BY_SIDE_MAX;
    if (html(d)) {
        static const char *const names[] = {"quarantined", "duplicates", "repaired"};
        static const char *const colors[] = {"#e45756", "#f58518", "#54a24b"};
        char ctitle[128];
        snprintf(ctitle, sizeof ctitle, "Data quality per %s", unit);
        char axis[32];
        snprintf(axis, sizeof axis, "rows per %s", unit);
        chart c = {.id = "quality-hourly", .title = ctitle, .axis = axis, .ncat = n, .nser = 3,
                   .cats = cats, .names = names, .colors = colors, .v = v, .kind = VAL_COUNT,
                   .width = side ? 560 : 1120};
        if (side)
            put(d, "<div class=\"grid2\"><div>\n");
        svg_vbars(d, &c);
        if (side)
            put(d, "</div><div>\n");
    }
    fold(d, n, "The counts");
    tbl(d, "data", "lrrrr",
        (const char *const[]){unit, "events", "quarantined", "duplicates", "repaired"});
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t s = bk.t0 + (int64_t)i * bk.step_us, ev = 0;
        while (k < r->nmin && r->min[k].t_us < s + bk.step_us)
            ev += r->min[k++].events;
        tr(d);
        td(d, bucket_label(&bk, s, a));
        td_int(d, ev);
        td_int(d, (int64_t)v[3 * i]);
        td_int(d, (int64_t)v[3 * i + 1]);
        td_int(d, (int64_t)v[3 * i + 2]);
        tr_end(d);
    }
    tbl_end(d);
    fold_end(d, n);
    if (html(d) && side)
        put(d, "</div></div>\n");
    para(d, "note", "Quarantined rows count in the minute of their timestamp when it could be "
                    "read (%s of %s here); rows without a usable timestamp have no minute.",
         fmt_int(t->quarantined, a), fmt_int(r->quarantined, b));
    free(v);
    free(labels);
    free(cats);

    h3(d, "Sample of quarantined rows");
    if (!r->nqs)
        para(d, "note", "No quarantined rows are stored for this run.");
    else {
        para(d, NULL, "The first row of each combination of reasons, at most %d (all %s "
                      "quarantined rows are in the quarantine table, with their raw text).",
             QUAR_SAMPLE_MAX, fmt_int(r->nquarantine, a));
        tbl(d, "data raw", "rll", (const char *const[]){"line", "reasons", "raw text as read"});
        for (size_t i = 0; i < r->nqs; i++) {
            const rp_qrow *q = &r->qs[i];
            tr(d);
            td_int(d, q->line);
            td(d, q->reasons);
            td_open(d, NULL);
            if (html(d))
                put(d, "<code>");
            else
                put(d, "");
            esc_n(d, q->raw, q->raw_n);
            if (q->truncated)
                put(d, "\xE2\x80\xA6");
            if (html(d))
                put(d, "</code>");
            td_close(d);
            tr_end(d);
        }
        tbl_end(d);
    }
    section_end(d);
}

static void write_kpi(doc *d, const fw_report *r)
{
    char a[64], b[64];
    section(d, "kpi", "7. KPIs");
    para(d, NULL, "The CyberSecure KPIs: attacks over time and their trend, popular attack "
                  "locations, average attack length and average events per attack. An attack "
                  "is a detected episode.");
    /* Attacks per clock hour over the run's span. */
    int64_t h0 = fw_floor_div(r->first_us, US_PER_HOUR) * US_PER_HOUR;
    size_t nh = (size_t)(fw_floor_div(r->last_us, US_PER_HOUR) - h0 / US_PER_HOUR + 1);
    if (nh > 24 * 366)
        nh = 24 * 366;
    double *per = fw_xcalloc(nh + 1, sizeof *per);
    for (size_t i = 0; i < r->ninc; i++) {
        int64_t k = (r->inc[i].start_us - h0) / US_PER_HOUR;
        if (r->inc[i].start_us >= h0 && k < (int64_t)nh)
            per[k]++;
    }
    double span_h = (double)(r->last_us - r->first_us) / (double)US_PER_HOUR;
    double slope = 0, ym = 0, xm = (double)(nh - 1) / 2, sxy = 0, sxx = 0;
    for (size_t i = 0; i < nh; i++)
        ym += per[i];
    ym /= (double)nh;
    for (size_t i = 0; i < nh; i++) {
        sxy += ((double)i - xm) * (per[i] - ym);
        sxx += ((double)i - xm) * ((double)i - xm);
    }
    if (sxx > 0)
        slope = sxy / sxx;
    double sum_len = 0, sum_ev = 0;
    for (size_t i = 0; i < r->ninc; i++) {
        sum_len += (double)(r->inc[i].end_us - r->inc[i].start_us) / 1e6;
        sum_ev += (double)r->inc[i].events;
    }
    int64_t under = attack_time(r);
    /* The known country with the most labelled attack events. */
    const rp_row *top_c = NULL;
    int64_t lab_all = 0, lab_unknown = 0;
    for (size_t i = 0; i < r->countries.n; i++) {
        const rp_row *x = &r->countries.v[i];
        lab_all += x->v[2];
        if (!*x->key)
            lab_unknown += x->v[2];
        else if (x->v[2] > 0 && (!top_c || x->v[2] > top_c->v[2]))
            top_c = x;
    }
    cards(d);
    char sub[256];
    snprintf(sub, sizeof sub, "%zu attacks in %.1f h of event time", r->ninc, span_h);
    snprintf(a, sizeof a, "%.2f", span_h > 0 ? (double)r->ninc / span_h : 0);
    card(d, "attacks per hour", a, sub);
    snprintf(sub, sizeof sub, "slope %+.2f attacks/hour per hour", slope);
    card(d, "trend",
         nh < 2 ? "-" : slope > 0.05 ? "rising" : slope < -0.05 ? "falling" : "flat",
         nh < 2 ? "one hour: no trend yet" : sub);
    card(d, "average attack length", r->ninc ? fmt_dur(sum_len / (double)r->ninc, a) : "-", "");
    if (r->ninc)
        snprintf(a, sizeof a, "%s", fmt_int((int64_t)llround(sum_ev / (double)r->ninc), b));
    card(d, "average events per attack", r->ninc ? a : "-", "");
    card(d, "time under attack", fmt_dur((double)under / 1e6, a),
         fmt_pct((double)under, (double)(r->last_us - r->first_us), b));
    if (top_c) {
        char c2[64];
        snprintf(sub, sizeof sub, "%s of labelled attack events; %s have no country",
                 fmt_pct((double)top_c->v[2], (double)lab_all, b),
                 fmt_pct((double)lab_unknown, (double)lab_all, c2));
        card(d, "top attack location", top_c->key, sub);
    }
    cards_end(d);
    if (!r->ninc)
        no_incidents_note(d, r);

    /* A short run: the hourly chart and table beside the locations; a long
     * one: the chart across the page, then the two tables side by side. */
    bool side = nh <= 2 * SIDE_BY_SIDE_MAX;
    if (html(d) && side)
        put(d, "<div class=\"grid2\"><div>\n");
    h3(d, "Attacks per hour");
    char (*labels)[24] = fw_xcalloc(nh + 1, sizeof *labels);
    const char **cats = fw_xcalloc(nh + 1, sizeof *cats);
    double *fit = fw_xcalloc(nh + 1, sizeof *fit);
    for (size_t i = 0; i < nh; i++) {
        fmt_clock(h0 + (int64_t)i * US_PER_HOUR, nh > 24, labels[i]);
        cats[i] = labels[i];
        fit[i] = ym + slope * ((double)i - xm);
    }
    if (html(d) && r->ninc) {
        static const char *const names[] = {"attacks starting in the hour"};
        static const char *const colors[] = {"#4c78a8"};
        chart c = {.id = "attacks-per-hour", .title = "Attacks per hour, with the trend",
                   .axis = "attacks", .ncat = nh, .nser = 1, .cats = cats, .names = names,
                   .colors = colors, .v = per, .kind = VAL_COUNT, .width = side ? 560 : 1120,
                   .line = fit, .line_name = "trend (least squares)", .line_color = "#e45756"};
        svg_vbars(d, &c);
    }
    if (html(d) && !side)
        put(d, "<div class=\"grid2\"><div>\n");
    fold(d, nh, "Attacks per hour");
    tbl(d, "data", "lrr", (const char *const[]){"hour (UTC)", "attacks", "trend"});
    buckets hours = {.t0 = h0, .step_us = US_PER_HOUR, .n = nh};
    for (size_t i = 0; i < nh && i < HOUR_ROWS_MAX; i++) {
        char hb[32];
        bucket_label(&hours, h0 + (int64_t)i * US_PER_HOUR, hb);
        tr(d), td(d, hb), td_int(d, (int64_t)per[i]), tdf(d, "%.2f", fit[i]), tr_end(d);
    }
    tbl_end(d);
    fold_end(d, nh);
    if (nh > HOUR_ROWS_MAX)
        para(d, "note", "%zu more hours not shown.", nh - HOUR_ROWS_MAX);
    if (html(d))
        put(d, "</div><div>\n");
    free(labels);
    free(cats);
    free(fit);
    free(per);

    h3(d, "Popular attack locations");
    if (!lab_all)
        para(d, "note", "No event of this run is labelled as an attack.");
    else {
        tbl(d, "data", "rlrr",
            (const char *const[]){"#", "country", "labelled attack events", "share"});
        /* The countries by labelled attack events, top TOP_N. */
        size_t n = r->countries.n, shown = 0;
        bool *done_ = fw_xcalloc(n + 1, sizeof *done_);
        while (shown < TOP_N) {
            const rp_row *best = NULL;
            size_t bi = 0;
            for (size_t i = 0; i < n; i++)
                if (!done_[i] && r->countries.v[i].v[2] > 0 &&
                    (!best || r->countries.v[i].v[2] > best->v[2])) {
                    best = &r->countries.v[i];
                    bi = i;
                }
            if (!best)
                break;
            done_[bi] = true;
            shown++;
            tr(d), tdf(d, "%zu", shown), td(d, country_name(best->key)), td_int(d, best->v[2]);
            td(d, fmt_pct((double)best->v[2], (double)lab_all, a)), tr_end(d);
        }
        free(done_);
        tbl_end(d);
        para(d, "note", "Countries by events labelled as attacks in the input (is_attack); "
                        "unknown is an empty country field.");
    }
    if (html(d))
        put(d, "</div></div>\n");
    section_end(d);
}

/* The number (from 1) of the episode with this id in the episode table, or 0. */
static size_t episode_number(const fw_report *r, const char *id)
{
    for (size_t i = 0; i < r->ninc; i++)
        if (!strcmp(r->inc[i].id, id))
            return i + 1;
    return 0;
}

static void write_eval(doc *d, const fw_report *r)
{
    char a[64], b[64], c[64];
    section(d, "eval", "8. Detection evaluation");
    if (!r->evaluated) {
        para(d, "note", "This section needs the labelled traffic log: floodwatch report --labels "
                        "TRAFFIC.csv (the input with is_attack and attack_type) scores the run's "
                        "episodes against its labels.");
        section_end(d);
        return;
    }
    const fw_eval *ev = &r->ev;
    para(d, NULL, "The run's episodes scored against the labels of %s (docs/eval.md): an attack "
                  "is a run of labelled rows with at most %lld empty seconds inside; it is "
                  "detected when an episode overlaps it or starts within %lld s of its end, in "
                  "time when detected within %lld s.",
         r->labels_path, (long long)ev->opts.gap_s, (long long)(ev->opts.slack_us / FW_US_PER_S),
         (long long)(ev->opts.max_delay_us / FW_US_PER_S));
    cards4(d);
    snprintf(a, sizeof a, "%zu / %zu", ev->detected, ev->nattacks);
    card(d, "attacks detected", a, "");
    snprintf(a, sizeof a, "%zu / %zu", ev->type_correct, ev->nattacks);
    card(d, "right type", a, "");
    snprintf(a, sizeof a, "%zu / %zu", ev->within_max_delay, ev->nattacks);
    card(d, "in time", a, "");
    snprintf(a, sizeof a, "%zu", ev->nfalse);
    card(d, "false episodes", a, "");
    snprintf(a, sizeof a, "%.3f", ev->precision);
    card(d, "precision (per second)", a, "");
    snprintf(a, sizeof a, "%.3f", ev->recall);
    card(d, "recall (per second)", a, "");
    snprintf(a, sizeof a, "%.3f", ev->f1);
    card(d, "F1 (per second)", a, "");
    card(d, "verdict", ev->ok ? "OK" : "NOT OK", "");
    cards_end(d);
    char e1[32], e2[32], e3[32], e4[32], e5[32];
    para(d, NULL, "Per second: TP %s, FP %s, FN %s (the labels: %s rows read, %s labelled as "
                  "attack).",
         fmt_int((int64_t)ev->tp, e1), fmt_int((int64_t)ev->fp, e2), fmt_int((int64_t)ev->fn, e3),
         fmt_int((int64_t)ev->labels.rows, e4), fmt_int((int64_t)ev->labels.attack_rows, e5));
    h3(d, "Per attack");
    if (!ev->nattacks)
        para(d, "note", "The labels hold no attack.");
    else {
        tbl(d, "data", "rlllrrllll",
            (const char *const[]){"#", "type (labels)", "start (UTC)", "end (UTC)", "duration",
                                  "rows", "detected", "right type", "delay", "episodes"});
        for (size_t i = 0; i < ev->nattacks; i++) {
            const fw_eval_attack *x = &ev->attacks[i];
            tr(d);
            tdf(d, "%zu", i + 1);
            td(d, x->type == FW_LABEL_NONE ? "-" : fw_label_name(x->type));
            td(d, fmt_when(r, x->start_us, a));
            td(d, fmt_when(r, x->end_us, b));
            td(d, fmt_dur((double)(x->end_us - x->start_us) / 1e6, c));
            td_int(d, (int64_t)x->rows);
            td(d, x->detected ? "yes" : "NO");
            td(d, x->type_correct ? "yes" : "NO");
            if (x->delay_us < 0)
                td(d, "-");
            else
                tdf(d, "%s%s", fmt_dur((double)x->delay_us / 1e6, a),
                    x->within_max_delay ? "" : " (late)");
            /* The attack's episodes by their number in the episode table. */
            char list[512] = "";
            size_t off = 0;
            for (size_t k = 0; k < x->nincidents && off < sizeof list - 64; k++) {
                const fw_eval_incident *in = &ev->inc->v[x->incidents[k]];
                size_t num = episode_number(r, in->id);
                if (num)
                    off += (size_t)snprintf(list + off, sizeof list - off, "%s#%zu %s",
                                            k ? ", " : "", num, in->type ? in->type : "?");
                else
                    off += (size_t)snprintf(list + off, sizeof list - off, "%s%s %s",
                                            k ? ", " : "", in->id, in->type ? in->type : "?");
            }
            td(d, x->nincidents ? list : "-");
            tr_end(d);
        }
        tbl_end(d);
    }
    h3(d, "False episodes");
    if (!ev->nfalse)
        para(d, "note", "None: every episode is near a labelled attack.");
    else {
        tbl(d, "data", "rlllll",
            (const char *const[]){"# or id", "type", "entity", "start (UTC)", "end (UTC)",
                                  "detected at"});
        for (size_t i = 0; i < ev->nfalse; i++) {
            const fw_eval_incident *in = &ev->inc->v[ev->false_incidents[i]];
            size_t num = episode_number(r, in->id);
            tr(d);
            if (num)
                tdf(d, "%zu", num);
            else
                td(d, in->id);
            td(d, in->type ? in->type : "-");
            td(d, in->entity ? in->entity : "-");
            td(d, fmt_when(r, in->start_us, a));
            td(d, fmt_when(r, in->end_us, b));
            td(d, fmt_when(r, in->detected_us, c));
            tr_end(d);
        }
        tbl_end(d);
    }
    section_end(d);
}

static const char css[] =
    ":root{--fg:#1d2330;--muted:#5d6675;--line:#e2e6ec;--bg:#f3f5f8;--card:#fff;--accent:#2f5d8c}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:14px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\","
    "Arial,\"DejaVu Sans\",sans-serif;color:var(--fg);background:var(--bg)}"
    ".wrap{max-width:1180px;margin:0 auto;padding:0 24px}"
    "header{background:#1b2a41;color:#fff;padding:22px 0 16px}"
    "header h1{margin:0;font-size:26px;font-weight:650}"
    "header .sub{margin:4px 0 0;color:#c9d4e5}"
    "nav{background:#24385a;position:sticky;top:0;z-index:2}"
    "nav a{display:inline-block;color:#dfe7f3;text-decoration:none;padding:8px 12px 8px 0;"
    "margin-right:8px;font-size:13px}nav a:hover{color:#fff;text-decoration:underline}"
    "section{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:18px 24px 14px;margin:18px 0}"
    "h2{font-size:20px;margin:0 0 10px}h3{font-size:15px;margin:18px 0 6px;color:#2b3445}"
    "p{margin:6px 0 10px}.note{color:var(--muted);font-size:13px}"
    ".warn{color:#a4262c;font-weight:600}"
    "table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums;"
    "font-size:13px}"
    "th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}"
    "th{background:#f7f9fb;font-weight:600;color:#3a4456;white-space:nowrap}"
    "td.n,th.n{text-align:right}tbody tr:hover{background:#f5f8fc}"
    "table.kv td:first-child{color:var(--muted);white-space:nowrap}"
    "table.raw code{font:12px/1.4 \"DejaVu Sans Mono\",Menlo,Consolas,monospace;"
    "white-space:pre-wrap;word-break:break-all}"
    "table.episodes td{white-space:nowrap}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(165px,1fr));gap:10px;"
    "margin:8px 0 12px}"
    ".cards.c4{grid-template-columns:repeat(4,minmax(0,1fr))}"
    ".card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:#fbfcfd}"
    ".card .k{color:var(--muted);font-size:12px}.card .v{font-size:21px;font-weight:650}"
    ".card .s{color:var(--muted);font-size:12px}"
    ".grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:8px 28px;"
    "align-items:start}.grid2 th,.grid2 td{padding:4px 8px}"
    ".grid3{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:12px}"
    "details{margin:6px 0 12px}summary{cursor:pointer;color:var(--accent);font-size:13px}"
    "figure{margin:8px 0}figcaption{color:var(--muted);font-size:12px}"
    "svg.chart{width:100%;height:auto;display:block;margin:6px 0 12px}"
    "svg text{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,\"DejaVu Sans\","
    "sans-serif}"
    "svg .ctitle{font-size:15px;font-weight:650;fill:#1d2330}"
    "svg .legend{font-size:12px;fill:#333}svg .tick{font-size:11px;fill:#555}"
    "svg .axis{font-size:12px;fill:#444}svg .cat{font-size:12px;fill:#333}"
    "svg .val{font-size:11px;fill:#555}"
    "svg .band-label{font-size:11px;font-weight:600}svg .tie{stroke-width:1;stroke-dasharray:2 2}"
    "svg .grid{stroke:#e6e9ee;stroke-width:1}svg .axisline{stroke:#888;stroke-width:1}"
    "svg .hover rect{fill:transparent}svg .hover rect:hover{fill:rgba(0,0,0,.06)}"
    "svg rect.mark:hover{opacity:.8}"
    ".sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}"
    ".sev{padding:1px 7px;border-radius:9px;font-size:12px;color:#fff}"
    ".sev-low{background:#7f8c8d}.sev-medium{background:#d68910}.sev-high{background:#cb4335}"
    ".sev-critical{background:#7b241c}"
    "footer{color:var(--muted);font-size:12px;padding:4px 0 30px}"
    "@media (max-width:900px){.grid2,.grid3{grid-template-columns:1fr}}"
    "@media print{nav{display:none}section{break-inside:avoid}}";

int fw_report_write(const fw_report *r, fw_report_format fmt, FILE *out)
{
    doc d = {.f = out, .fmt = fmt};
    totals t = sum_minutes(r);
    if (html(&d)) {
        put(&d, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                "style-src 'unsafe-inline'; img-src data:\">\n"
                "<meta name=\"generator\" content=\"floodwatch " FW_VERSION "\">\n<title>");
        escf(&d, "DDoS report: %s, run %lld", r->input ? r->input : "?", (long long)r->run_id);
        putf(&d, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
    }
    write_header(&d, r);
    write_traffic(&d, r, &t);
    write_episodes(&d, r);
    write_top(&d, r, &t);
    write_geo(&d, r);
    write_quality(&d, r, &t);
    write_kpi(&d, r);
    write_eval(&d, r);
    if (html(&d)) {
        put(&d, "</main>\n<footer class=\"wrap\">Made by floodwatch " FW_VERSION " from ");
        esc(&d, r->db_path);
        put(&d, ". Times are event times from the data, in UTC.</footer>\n</body>\n</html>\n");
    } else {
        put(&d, "---\n\nMade by floodwatch " FW_VERSION " from ");
        esc(&d, r->db_path);
        put(&d, ". Times are event times from the data, in UTC.\n");
    }
    return ferror(out) ? -1 : 0;
}
