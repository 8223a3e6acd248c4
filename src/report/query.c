/*
 * query.c - read-only questions to the store (see query.h, docs/query.md).
 *
 * Minutes are compared as text: the store writes them as
 * "YYYY-MM-DDThh:mm:00Z", which sorts in time order, so a range becomes two
 * text bounds rounded up to whole minutes and the (run_id, minute) keys do
 * the work.  Incident times may carry fractions, which do not sort as text,
 * so they are compared as microseconds through fw_ts_us(), a SQL function
 * this file registers on its connection (core/ts.h does the parsing).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/flow.h"
#include "core/log.h"
#include "core/ts.h"
#include "report/query.h"
#include "store/store.h"

#define US_PER_MIN (60 * FW_US_PER_S)
#define US_PER_HOUR (3600 * FW_US_PER_S)

struct fw_query {
    sqlite3 *db;
    char *path;
    int version; /* meta.schema_version */
};

/* ---- results ------------------------------------------------------------ */

void fw_qresult_free(fw_qresult *r)
{
    if (!r)
        return;
    for (size_t t = 0; t < r->ntables; t++) {
        fw_qtable *tb = &r->tables[t];
        for (size_t i = 0; i < tb->nrows * tb->ncols; i++)
            if (tb->cells[i].type == FW_QV_TEXT)
                free(tb->cells[i].v.s);
        free(tb->cells);
    }
    free(r->tables);
    free(r->run.mode);
    free(r->run.input);
    free(r->note);
    memset(r, 0, sizeof *r);
}

const fw_qtable *fw_qresult_table(const fw_qresult *r, const char *name)
{
    for (size_t t = 0; t < r->ntables; t++)
        if (!strcmp(r->tables[t].name, name))
            return &r->tables[t];
    return NULL;
}

const fw_qvalue *fw_qtable_at(const fw_qtable *t, size_t row, const char *col)
{
    if (!t || row >= t->nrows)
        return NULL;
    for (size_t c = 0; c < t->ncols; c++)
        if (!strcmp(t->cols[c].name, col))
            return &t->cells[row * t->ncols + c];
    return NULL;
}

/* Append a table; the pointer is valid until the next add_table. */
static fw_qtable *add_table(fw_qresult *r, const char *name, bool record, const fw_qcol *cols,
                            size_t ncols)
{
    r->tables = fw_xrealloc(r->tables, (r->ntables + 1) * sizeof *r->tables);
    fw_qtable *t = &r->tables[r->ntables++];
    memset(t, 0, sizeof *t);
    t->name = name;
    t->record = record;
    t->ncols = ncols;
    memcpy(t->cols, cols, ncols * sizeof *cols);
    return t;
}

/* Append a row of NULLs and return its cells. */
static fw_qvalue *add_row(fw_qtable *t)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = fw_xrealloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
    }
    fw_qvalue *row = &t->cells[t->nrows++ * t->ncols];
    memset(row, 0, t->ncols * sizeof *row);
    return row;
}

static void set_int(fw_qvalue *v, int64_t i) { *v = (fw_qvalue){.type = FW_QV_INT, .v.i = i}; }
static void set_real(fw_qvalue *v, double r) { *v = (fw_qvalue){.type = FW_QV_REAL, .v.r = r}; }
static void set_text(fw_qvalue *v, const char *s)
{
    *v = (fw_qvalue){.type = FW_QV_TEXT, .v.s = fw_xstrdup(s)};
}
static void set_time(fw_qvalue *v, int64_t us)
{
    char b[FW_TS_BUFSZ];
    fw_ts_format(us, b, 0);
    set_text(v, b);
}

/* Column i of st as a value of type want (NULL stays NULL). */
static void set_column(fw_qvalue *v, sqlite3_stmt *st, int i, fw_qv_type want)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        *v = (fw_qvalue){.type = FW_QV_NULL};
    else if (want == FW_QV_INT)
        set_int(v, sqlite3_column_int64(st, i));
    else if (want == FW_QV_REAL)
        set_real(v, sqlite3_column_double(st, i));
    else
        set_text(v, (const char *)sqlite3_column_text(st, i));
}

/* ---- the connection ----------------------------------------------------- */

/* fw_ts_us(text): microseconds since the epoch, NULL if not an ISO 8601 time. */
static void sql_ts_us(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const unsigned char *s = sqlite3_value_text(argv[0]);
    int64_t us;
    if (!s || fw_ts_parse((const char *)s, (size_t)sqlite3_value_bytes(argv[0]), &us))
        sqlite3_result_null(ctx);
    else
        sqlite3_result_int64(ctx, us);
}

static int fail_db(fw_query *q, char *err, size_t errn)
{
    const char *hint = q->version && q->version < FW_SCHEMA_VERSION
                           ? " (schema version %d: batch or stream upgrades the file when they "
                             "next write to it)"
                           : "";
    int n = snprintf(err, errn, "%s: %s", q->path, sqlite3_errmsg(q->db));
    if (*hint && n >= 0 && (size_t)n < errn)
        snprintf(err + n, errn - (size_t)n, hint, q->version);
    return -1;
}

static int prep(fw_query *q, const char *sql, sqlite3_stmt **st, char *err, size_t errn)
{
    if (sqlite3_prepare_v2(q->db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return fail_db(q, err, errn);
    }
    return 0;
}

/* Finish a statement stepped to rc; SQLITE_DONE is success. */
static int finish(fw_query *q, sqlite3_stmt *st, int rc, char *err, size_t errn)
{
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fail_db(q, err, errn);
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

/* Whether the database has no tables at all. */
static bool empty_schema(sqlite3 *db)
{
    sqlite3_stmt *st;
    bool empty = false;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        empty = sqlite3_column_int64(st, 0) == 0;
    sqlite3_finalize(st);
    return empty;
}

fw_query *fw_query_open(const char *path, char *err, size_t errn)
{
    struct stat stt;
    if (stat(path, &stt)) {
        snprintf(err, errn, "%s: cannot open database: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(stt.st_mode)) {
        snprintf(err, errn, "%s: not a regular file", path);
        return NULL;
    }
    /* SQLite reports an unreadable file as "unable to open database file";
     * the errno says why. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errn, "%s: cannot read database: %s", path, strerror(errno));
        return NULL;
    }
    close(fd);
    if (stt.st_size == 0) {
        snprintf(err, errn, "%s: not a floodwatch database (empty file)", path);
        return NULL;
    }
    fw_query *q = fw_xcalloc(1, sizeof *q);
    q->path = fw_xstrdup(path);
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errn, "%s: cannot open database: %s", path,
                 q->db ? sqlite3_errmsg(q->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(q->db, 5000);
    if (sqlite3_create_function(q->db, "fw_ts_us", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                sql_ts_us, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(q->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        fail_db(q, err, errn);
        goto fail;
    }
    if (sqlite3_prepare_v2(q->db, "SELECT value FROM meta WHERE key='schema_version'", -1, &st,
                           NULL) != SQLITE_OK) {
        int code = sqlite3_errcode(q->db);
        if (code == SQLITE_NOTADB)
            snprintf(err, errn, "%s: not a floodwatch database (not an SQLite file)", path);
        else if (code == SQLITE_ERROR && strstr(sqlite3_errmsg(q->db), "no such table"))
            snprintf(err, errn, "%s: not a floodwatch database (%s)", path,
                     empty_schema(q->db) ? "an SQLite file without tables; a stream creating it "
                                           "commits them at its first checkpoint"
                                         : "it has no meta table");
        else
            fail_db(q, err, errn);
        goto fail;
    }
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        fail_db(q, err, errn);
        goto fail;
    }
    q->version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    st = NULL;
    if (q->version < 1 || q->version > FW_SCHEMA_VERSION) {
        snprintf(err, errn, "%s: database schema version %d, this floodwatch reads versions 1 to %d",
                 path, q->version, FW_SCHEMA_VERSION);
        goto fail;
    }
    return q;
fail:
    sqlite3_finalize(st);
    fw_query_close(q);
    return NULL;
}

void fw_query_close(fw_query *q)
{
    if (!q)
        return;
    if (q->db && !sqlite3_get_autocommit(q->db))
        sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(q->db);
    free(q->path);
    free(q);
}

/* ---- runs and ranges ---------------------------------------------------- */

/* A single integer (NULL as 0). */
static int scalar(fw_query *q, const char *sql, int64_t bind, int64_t *out, char *err,
                  size_t errn)
{
    sqlite3_stmt *st;
    if (prep(q, sql, &st, err, errn))
        return -1;
    if (bind)
        sqlite3_bind_int64(st, 1, bind);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    return finish(q, st, rc, err, errn);
}

static int64_t floor_to(int64_t us, int64_t unit) { return fw_floor_div(us, unit) * unit; }

/* Column i as microseconds; false if NULL or not a time. */
static bool column_us(sqlite3_stmt *st, int i, int64_t *us)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s && !fw_ts_parse((const char *)s, (size_t)sqlite3_column_bytes(st, i), us);
}

static void widen(fw_qrun *run, int64_t from_us, int64_t to_us)
{
    if (!run->has_span) {
        run->has_span = true;
        run->span_from_us = from_us;
        run->span_to_us = to_us;
        return;
    }
    if (from_us < run->span_from_us)
        run->span_from_us = from_us;
    if (to_us > run->span_to_us)
        run->span_to_us = to_us;
}

/* Fill run from runs and agg_minute: the span is the union of the run's
 * events (first_event..last_event) and of its stored minutes, whose
 * quarantine counts may fall outside the accepted events. */
static int load_run(fw_query *q, int64_t id, fw_qrun *run, char *err, size_t errn)
{
    sqlite3_stmt *st;
    memset(run, 0, sizeof *run);
    run->id = id;
    run->now_us = FW_QUERY_NO_FROM;
    if (prep(q, "SELECT mode, input, first_event, last_event FROM runs WHERE run_id=?1", &st, err,
             errn))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        if (finish(q, st, rc, err, errn))
            return -1;
        int64_t lo = 0, hi = 0;
        if (scalar(q, "SELECT min(run_id) FROM runs", 0, &lo, err, errn) ||
            scalar(q, "SELECT max(run_id) FROM runs", 0, &hi, err, errn))
            return -1;
        if (hi)
            snprintf(err, errn, "%s: no run %lld (its runs are %lld to %lld)", q->path,
                     (long long)id, (long long)lo, (long long)hi);
        else
            snprintf(err, errn, "%s: no run %lld (it has no runs)", q->path, (long long)id);
        return -1;
    }
    run->mode = fw_xstrdup((const char *)sqlite3_column_text(st, 0));
    run->input = fw_xstrdup((const char *)sqlite3_column_text(st, 1));
    int64_t first_us, last_us;
    if (column_us(st, 2, &first_us) && column_us(st, 3, &last_us)) {
        widen(run, floor_to(first_us, US_PER_MIN), floor_to(last_us, US_PER_MIN) + US_PER_MIN);
        run->now_us = last_us;
    }
    if (finish(q, st, rc, err, errn))
        return -1;
    if (prep(q, "SELECT min(minute), max(minute) FROM agg_minute WHERE run_id=?1", &st, err, errn))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && column_us(st, 0, &first_us) && column_us(st, 1, &last_us)) {
        widen(run, first_us, last_us + US_PER_MIN);
        /* A stream still writing has no last_event yet. */
        if (run->now_us == FW_QUERY_NO_FROM)
            run->now_us = last_us + US_PER_MIN;
    }
    return finish(q, st, rc, err, errn);
}

/*
 * The run a question reads: o->run_id, else the latest run with rows in
 * table, else (else_latest) the latest run.  missing says what no run had,
 * for the message.
 */
static int pick_run(fw_query *q, const fw_qopts *o, const char *table, bool else_latest,
                    const char *missing, fw_qresult *r, char *err, size_t errn)
{
    int64_t id = o->run_id;
    if (id <= 0) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT max(run_id) FROM %s", table);
        if (scalar(q, sql, 0, &id, err, errn))
            return -1;
        if (!id && else_latest && scalar(q, "SELECT max(run_id) FROM runs", 0, &id, err, errn))
            return -1;
        if (!id) {
            snprintf(err, errn, "%s: no run has %s", q->path, else_latest ? "been stored" : missing);
            return -1;
        }
    }
    if (load_run(q, id, &r->run, err, errn))
        return -1;
    r->from_us = o->from_us != FW_QUERY_NO_FROM ? o->from_us
                 : r->run.has_span             ? r->run.span_from_us
                                               : FW_QUERY_NO_FROM;
    r->to_us = o->to_us != FW_QUERY_NO_TO ? o->to_us
               : r->run.has_span         ? r->run.span_to_us
                                         : FW_QUERY_NO_TO;
    return 0;
}

/* A bound on the minute column: minute m is in [from, to) iff
 * ceil_minute(from) <= m < ceil_minute(to), and whole minutes compare as
 * text.  An open end becomes a string below ("") or above ("~") every time. */
static void minute_bound(int64_t us, char b[FW_TS_BUFSZ])
{
    if (us == FW_QUERY_NO_FROM)
        strcpy(b, "");
    else if (us == FW_QUERY_NO_TO)
        strcpy(b, "~");
    else
        fw_ts_format(floor_to(us + US_PER_MIN - 1, US_PER_MIN), b, 0);
}

/* Bind run_id, minute bounds as ?1, ?2, ?3. */
static void bind_minutes(sqlite3_stmt *st, int64_t run_id, const fw_qopts *o, char from[FW_TS_BUFSZ],
                         char to[FW_TS_BUFSZ])
{
    minute_bound(o->from_us, from);
    minute_bound(o->to_us, to);
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
}

/* Bind run_id and the range as microseconds as ?1, ?2, ?3 (for fw_ts_us). */
static void bind_times(sqlite3_stmt *st, int64_t run_id, const fw_qopts *o)
{
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, o->from_us);
    sqlite3_bind_int64(st, 3, o->to_us);
}

static void bind_limit(sqlite3_stmt *st, int i, size_t limit)
{
    sqlite3_bind_int64(st, i, limit ? (sqlite3_int64)limit : -1);
}

static void set_note(fw_qresult *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_note(fw_qresult *r, const char *fmt, ...)
{
    char b[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    free(r->note);
    r->note = fw_xstrdup(b);
}

/* Seconds from start to end (or to now while open), rounded half away from
 * zero like SQLite's round(); false if unknown. */
static bool duration_s(int64_t start_us, bool has_end, int64_t end_us, int64_t now_us,
                       int64_t *out)
{
    if (!has_end) {
        if (now_us == FW_QUERY_NO_FROM)
            return false;
        end_us = now_us > start_us ? now_us : start_us;
    }
    *out = (int64_t)llround((double)(end_us - start_us) / 1e6);
    return true;
}

/* ---- top ---------------------------------------------------------------- */

static const struct top_spec {
    const char *name;  /* as on the command line */
    const char *table; /* store table */
    const char *col;   /* result column of the key */
    const char *key;   /* SQL key columns, also the tie order */
    bool packets;      /* the table has packets */
} top_specs[FW_QTOP_COUNT] = {
    [FW_QTOP_SOURCES] = {"sources", "agg_minute_src", "src", "src", true},
    [FW_QTOP_DESTINATIONS] = {"destinations", "agg_minute_dst", "dst", "dst", true},
    [FW_QTOP_PORTS] = {"ports", "agg_minute_port", "port", "proto, dst_port", true},
    [FW_QTOP_COUNTRIES] = {"countries", "agg_minute_country", "country", "country", false},
};
static const char *const by_names[FW_QBY_COUNT] = {"events", "bytes", "packets"};

int fw_qtop_parse(const char *s, fw_qtop *what)
{
    for (int i = 0; i < FW_QTOP_COUNT; i++)
        if (!strcmp(s, top_specs[i].name)) {
            *what = (fw_qtop)i;
            return 0;
        }
    return -1;
}

int fw_qby_parse(const char *s, fw_qby *by)
{
    for (int i = 0; i < FW_QBY_COUNT; i++)
        if (!strcmp(s, by_names[i])) {
            *by = (fw_qby)i;
            return 0;
        }
    return -1;
}

const char *fw_qtop_name(fw_qtop what) { return top_specs[what].name; }
const char *fw_qby_name(fw_qby by) { return by_names[by]; }
const char *fw_qtop_table(fw_qtop what) { return top_specs[what].table; }
bool fw_qtop_has(fw_qtop what, fw_qby by) { return by != FW_QBY_PACKETS || top_specs[what].packets; }

/* After a port query: say how many minutes kept only their heaviest pairs. */
static int note_ports(fw_query *q, const fw_qopts *o, fw_qresult *r, char *err, size_t errn)
{
    sqlite3_stmt *st;
    char from[FW_TS_BUFSZ], to[FW_TS_BUFSZ];
    if (prep(q,
             "SELECT count(DISTINCT minute), count(DISTINCT CASE WHEN exact = 0 THEN minute END) "
             "FROM agg_minute_port WHERE run_id=?1 AND minute>=?2 AND minute<?3",
             &st, err, errn))
        return -1;
    bind_minutes(st, r->run.id, o, from, to);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_int64(st, 1) > 0)
        set_note(r,
                 "%lld of %lld minutes kept only their 256 heaviest (protocol, port) pairs: "
                 "ports outside those are missing from the sums",
                 (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 0));
    return finish(q, st, rc, err, errn);
}

int fw_query_top(fw_query *q, const fw_qopts *o, fw_qtop what, fw_qby by, fw_qresult *out,
                 char *err, size_t errn)
{
    memset(out, 0, sizeof *out);
    const struct top_spec *ts = &top_specs[what];
    if (!fw_qtop_has(what, by)) {
        snprintf(err, errn, "%s has no %s", ts->table, by_names[by]);
        return -1;
    }
    char missing[128];
    snprintf(missing, sizeof missing, "rows in %s%s", ts->table,
             what == FW_QTOP_SOURCES ? " (only batch runs keep per-source minutes)" : "");
    if (pick_run(q, o, ts->table, false, missing, out, err, errn))
        return -1;

    int nkey = what == FW_QTOP_PORTS ? 2 : 1;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "WITH t AS (SELECT %s, sum(events) AS events, sum(bytes) AS bytes%s FROM %s "
             "WHERE run_id=?1 AND minute>=?2 AND minute<?3 GROUP BY %s) "
             "SELECT %s, events, bytes%s, (SELECT sum(%s) FROM t) FROM t "
             "ORDER BY %s DESC, %s LIMIT ?4",
             ts->key, ts->packets ? ", sum(packets) AS packets" : "", ts->table, ts->key, ts->key,
             ts->packets ? ", packets" : "", by_names[by], by_names[by], ts->key);
    sqlite3_stmt *st;
    if (prep(q, sql, &st, err, errn))
        goto fail;
    char from[FW_TS_BUFSZ], to[FW_TS_BUFSZ];
    bind_minutes(st, out->run.id, o, from, to);
    bind_limit(st, 4, o->limit);

    fw_qcol cols[6] = {{"rank", FW_QV_INT, 0, NULL}, {ts->col, FW_QV_TEXT, 0, NULL},
                       {"events", FW_QV_INT, 0, NULL}, {"bytes", FW_QV_INT, 0, NULL}};
    size_t ncols = 4;
    if (ts->packets)
        cols[ncols++] = (fw_qcol){"packets", FW_QV_INT, 0, NULL};
    cols[ncols++] = (fw_qcol){"share_pct", FW_QV_REAL, 2, NULL};
    fw_qtable *t = add_table(out, "rows", false, cols, ncols);
    int rc;
    int nval = ts->packets ? 3 : 2; /* events, bytes[, packets] */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fw_qvalue *row = add_row(t);
        set_int(&row[0], (int64_t)t->nrows);
        if (what == FW_QTOP_PORTS) {
            int proto = sqlite3_column_int(st, 0), port = sqlite3_column_int(st, 1);
            const char *name = proto >= 0 && proto <= 255 ? fw_proto_name((uint8_t)proto) : NULL;
            char key[32];
            if (name)
                snprintf(key, sizeof key, "%s/%d", name, port);
            else
                snprintf(key, sizeof key, "%d/%d", proto, port);
            set_text(&row[1], key);
        } else {
            const char *k = (const char *)sqlite3_column_text(st, 0);
            set_text(&row[1], what == FW_QTOP_COUNTRIES && (!k || !*k) ? "unknown" : k ? k : "");
        }
        for (int i = 0; i < nval; i++)
            set_column(&row[2 + i], st, nkey + i, FW_QV_INT);
        int64_t total = sqlite3_column_int64(st, nkey + nval);
        const fw_qvalue *v = &row[2 + by];
        if (total > 0 && v->type == FW_QV_INT)
            set_real(&row[2 + nval], 100.0 * (double)v->v.i / (double)total);
    }
    if (finish(q, st, rc, err, errn))
        goto fail;
    if (t->nrows == 0) {
        int64_t any;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT 1 FROM %s WHERE run_id=?1 LIMIT 1)",
                 ts->table);
        if (scalar(q, sql, out->run.id, &any, err, errn))
            goto fail;
        if (!any)
            set_note(out, "run %lld (%s) has no rows in %s%s", (long long)out->run.id,
                     out->run.mode, ts->table,
                     what == FW_QTOP_SOURCES ? "; only batch runs keep per-source minutes" : "");
    } else if (what == FW_QTOP_PORTS && note_ports(q, o, out, err, errn)) {
        goto fail;
    }
    return 0;
fail:
    fw_qresult_free(out);
    return -1;
}

/* ---- incidents ---------------------------------------------------------- */

int fw_query_incidents(fw_query *q, const fw_qopts *o, const char *type, bool open_only,
                       fw_qresult *out, char *err, size_t errn)
{
    memset(out, 0, sizeof *out);
    /* No incidents anywhere is an answer (none), not an error. */
    if (pick_run(q, o, "incidents", true, "incidents", out, err, errn))
        return -1;
    sqlite3_stmt *st;
    if (prep(q,
             "SELECT id, type, entity, start, end, severity, peak_pps, unique_sources, "
             "CASE WHEN json_valid(victims) THEN json_array_length(victims) END, events, "
             "fw_ts_us(start), fw_ts_us(end) FROM incidents "
             "WHERE run_id=?1 AND fw_ts_us(start)>=?2 AND fw_ts_us(start)<?3 "
             "AND (?4 IS NULL OR type=?4) AND (?5=0 OR end IS NULL) "
             "ORDER BY fw_ts_us(start), id LIMIT ?6",
             &st, err, errn))
        goto fail;
    bind_times(st, out->run.id, o);
    if (type)
        sqlite3_bind_text(st, 4, type, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, open_only);
    bind_limit(st, 6, o->limit);
    static const fw_qcol cols[] = {
        {"id", FW_QV_TEXT, 0, NULL},           {"type", FW_QV_TEXT, 0, NULL},
        {"entity", FW_QV_TEXT, 0, NULL},       {"start", FW_QV_TEXT, 0, NULL},
        {"end", FW_QV_TEXT, 0, "open"},        {"duration_s", FW_QV_INT, 0, NULL},
        {"severity", FW_QV_TEXT, 0, NULL},     {"peak_pps", FW_QV_REAL, 1, NULL},
        {"unique_sources", FW_QV_INT, 0, NULL}, {"victims", FW_QV_INT, 0, NULL},
        {"events", FW_QV_INT, 0, NULL},
    };
    fw_qtable *t = add_table(out, "rows", false, cols, sizeof cols / sizeof cols[0]);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fw_qvalue *row = add_row(t);
        for (int i = 0; i < 5; i++)
            set_column(&row[i], st, i, FW_QV_TEXT);
        int64_t d;
        if (sqlite3_column_type(st, 10) != SQLITE_NULL &&
            duration_s(sqlite3_column_int64(st, 10), sqlite3_column_type(st, 11) != SQLITE_NULL,
                       sqlite3_column_int64(st, 11), out->run.now_us, &d))
            set_int(&row[5], d);
        set_column(&row[6], st, 5, FW_QV_TEXT);
        set_column(&row[7], st, 6, FW_QV_REAL);
        for (int i = 0; i < 3; i++)
            set_column(&row[8 + i], st, 7 + i, FW_QV_INT);
    }
    if (finish(q, st, rc, err, errn))
        goto fail;
    if (t->nrows == 0 && type) {
        /* An empty answer to a misspelt type should not look like peace. */
        if (prep(q, "SELECT group_concat(type, ', '), sum(type = ?2) FROM (SELECT DISTINCT type "
                    "FROM incidents WHERE run_id=?1 ORDER BY type)", &st, err, errn))
            goto fail;
        sqlite3_bind_int64(st, 1, out->run.id);
        sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        const char *types = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
        if (types && sqlite3_column_int(st, 1) == 0)
            set_note(out, "run %lld has no incidents of type '%s'; its types: %s",
                     (long long)out->run.id, type, types);
        if (finish(q, st, rc, err, errn))
            goto fail;
    }
    return 0;
fail:
    fw_qresult_free(out);
    return -1;
}

/* ---- timeline ----------------------------------------------------------- */

int fw_query_timeline(fw_query *q, const fw_qopts *o, int64_t step_s, fw_qresult *out, char *err,
                      size_t errn)
{
    memset(out, 0, sizeof *out);
    if (step_s <= 0 || step_s % 60) {
        snprintf(err, errn, "step %lld s is not a whole number of minutes", (long long)step_s);
        return -1;
    }
    if (pick_run(q, o, "agg_minute", false, "rows in agg_minute", out, err, errn))
        return -1;
    static const fw_qcol cols[] = {
        {"bucket", FW_QV_TEXT, 0, NULL},       {"minutes", FW_QV_INT, 0, NULL},
        {"events", FW_QV_INT, 0, NULL},        {"bytes", FW_QV_INT, 0, NULL},
        {"packets", FW_QV_INT, 0, NULL},       {"syn_only", FW_QV_INT, 0, NULL},
        {"distinct_src_max", FW_QV_INT, 0, NULL}, {"quarantined", FW_QV_INT, 0, NULL},
        {"duplicates", FW_QV_INT, 0, NULL},    {"incidents", FW_QV_INT, 0, NULL},
    };
    enum { C_BUCKET, C_MINUTES, C_EVENTS, C_BYTES, C_PACKETS, C_SYN, C_DSRC, C_QUAR, C_DUP, C_INC,
           C_COUNT };
    fw_qtable *t = add_table(out, "rows", false, cols, C_COUNT);
    const fw_qrun *run = &out->run;
    if (!run->has_span)
        return 0;
    /* The buckets cover the minutes of the range within the run's span. */
    int64_t step_us = step_s * FW_US_PER_S;
    int64_t lo = run->span_from_us, hi = run->span_to_us;
    if (o->from_us != FW_QUERY_NO_FROM && floor_to(o->from_us + US_PER_MIN - 1, US_PER_MIN) > lo)
        lo = floor_to(o->from_us + US_PER_MIN - 1, US_PER_MIN);
    if (o->to_us != FW_QUERY_NO_TO && floor_to(o->to_us + US_PER_MIN - 1, US_PER_MIN) < hi)
        hi = floor_to(o->to_us + US_PER_MIN - 1, US_PER_MIN);
    if (hi <= lo)
        return 0;
    int64_t b0 = floor_to(lo, step_us);
    size_t nb = (size_t)((hi - b0 + step_us - 1) / step_us);
    if (nb > FW_QUERY_MAX_BUCKETS) {
        snprintf(err, errn, "timeline: %zu buckets of %lld s; use a longer step or a narrower range",
                 nb, (long long)step_s);
        goto fail;
    }
    for (size_t i = 0; i < nb; i++) {
        fw_qvalue *row = add_row(t);
        set_time(&row[C_BUCKET], b0 + (int64_t)i * step_us);
        for (int c = C_MINUTES; c < C_COUNT; c++)
            set_int(&row[c], 0);
    }

    sqlite3_stmt *st;
    if (prep(q,
             "SELECT minute, events, bytes, packets, syn_only, distinct_src, quarantined, "
             "duplicates FROM agg_minute WHERE run_id=?1 AND minute>=?2 AND minute<?3",
             &st, err, errn))
        goto fail;
    char from[FW_TS_BUFSZ], to[FW_TS_BUFSZ];
    bind_minutes(st, run->id, o, from, to);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t m;
        if (!column_us(st, 0, &m) || m < b0)
            continue;
        size_t i = (size_t)((m - b0) / step_us);
        if (i >= nb)
            continue;
        fw_qvalue *row = &t->cells[i * C_COUNT];
        row[C_MINUTES].v.i++;
        for (int c = 0; c < 4; c++)
            row[C_EVENTS + c].v.i += sqlite3_column_int64(st, 1 + c);
        int64_t dsrc = sqlite3_column_int64(st, 5);
        if (dsrc > row[C_DSRC].v.i)
            row[C_DSRC].v.i = dsrc;
        row[C_QUAR].v.i += sqlite3_column_int64(st, 6);
        row[C_DUP].v.i += sqlite3_column_int64(st, 7);
    }
    if (finish(q, st, rc, err, errn))
        goto fail;

    /* Incidents of the run active in each bucket's part of [lo, hi):
     * [start, end), open ones to the end of time, a zero-length one as one
     * microsecond. */
    if (prep(q, "SELECT fw_ts_us(start), fw_ts_us(end) FROM incidents WHERE run_id=?1", &st, err,
             errn))
        goto fail;
    sqlite3_bind_int64(st, 1, run->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
            continue;
        int64_t s = sqlite3_column_int64(st, 0);
        int64_t e = sqlite3_column_type(st, 1) == SQLITE_NULL ? FW_QUERY_NO_TO
                                                               : sqlite3_column_int64(st, 1);
        if (e <= s)
            e = s + 1;
        if (e <= lo || s >= hi)
            continue;
        s = s > lo ? s : lo;
        e = e < hi ? e : hi;
        size_t first = (size_t)((s - b0) / step_us);
        size_t last = (size_t)((e - 1 - b0) / step_us);
        for (size_t i = first; i <= last; i++)
            t->cells[i * C_COUNT + C_INC].v.i++;
    }
    if (finish(q, st, rc, err, errn))
        goto fail;
    return 0;
fail:
    fw_qresult_free(out);
    return -1;
}

/* ---- summary ------------------------------------------------------------ */

/* Run sql (binding ?1..?3 as bind_times or bind_minutes, ?4 as extra, NULL
 * if FW_QUERY_NO_FROM, and ?5 as the limit; a statement need not use them
 * all, SQLite ignores the others) into a new table of the given columns. */
static int fill_table(fw_query *q, fw_qresult *r, const fw_qopts *o, const char *name, bool record,
                      const fw_qcol *cols, size_t ncols, const char *sql, bool minutes,
                      int64_t extra, char *err, size_t errn)
{
    sqlite3_stmt *st;
    if (prep(q, sql, &st, err, errn))
        return -1;
    char from[FW_TS_BUFSZ], to[FW_TS_BUFSZ];
    if (minutes)
        bind_minutes(st, r->run.id, o, from, to);
    else
        bind_times(st, r->run.id, o);
    if (extra == FW_QUERY_NO_FROM)
        sqlite3_bind_null(st, 4);
    else
        sqlite3_bind_int64(st, 4, extra);
    bind_limit(st, 5, o->limit);
    fw_qtable *t = add_table(r, name, record, cols, ncols);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fw_qvalue *row = add_row(t);
        for (size_t c = 0; c < ncols; c++)
            set_column(&row[c], st, (int)c, cols[c].type);
    }
    return finish(q, st, rc, err, errn);
}

static const fw_qcol accounting_cols[] = {
    {"rows_read", FW_QV_INT, 0, NULL},   {"accepted", FW_QV_INT, 0, NULL},
    {"quarantined", FW_QV_INT, 0, NULL}, {"duplicates", FW_QV_INT, 0, NULL},
    {"late", FW_QV_INT, 0, NULL},
};
static const fw_qcol traffic_cols[] = {
    {"minutes", FW_QV_INT, 0, NULL},         {"events", FW_QV_INT, 0, NULL},
    {"bytes", FW_QV_INT, 0, NULL},           {"packets", FW_QV_INT, 0, NULL},
    {"labelled_attack", FW_QV_INT, 0, NULL}, {"quarantined", FW_QV_INT, 0, NULL},
    {"duplicates", FW_QV_INT, 0, NULL},
};
static const fw_qcol by_type_cols[] = {
    {"type", FW_QV_TEXT, 0, NULL},
    {"incidents", FW_QV_INT, 0, NULL},
    {"duration_s", FW_QV_INT, 0, NULL},
    {"events", FW_QV_INT, 0, NULL},
};
static const fw_qcol attacker_cols[] = {
    {"src", FW_QV_TEXT, 0, NULL},
    {"incidents", FW_QV_INT, 0, NULL},
    {"events", FW_QV_INT, 0, NULL},
};
static const fw_qcol victim_cols[] = {
    {"dst", FW_QV_TEXT, 0, NULL},
    {"incidents", FW_QV_INT, 0, NULL},
};
static const fw_qcol hour_cols[] = {
    {"hour", FW_QV_TEXT, 0, NULL},
    {"incidents", FW_QV_INT, 0, NULL},
};
static const fw_qcol country_cols[] = {
    {"country", FW_QV_TEXT, 0, NULL},
    {"attack_events", FW_QV_INT, 0, NULL},
    {"share_pct", FW_QV_REAL, 2, NULL},
};
static const fw_qcol kpi_cols[] = {
    {"incidents", FW_QV_INT, 0, NULL},          {"open", FW_QV_INT, 0, NULL},
    {"incidents_per_hour", FW_QV_REAL, 2, NULL}, {"first_hour", FW_QV_INT, 0, NULL},
    {"last_hour", FW_QV_INT, 0, NULL},          {"trend_per_hour", FW_QV_REAL, 3, NULL},
    {"avg_duration_s", FW_QV_REAL, 1, NULL},    {"avg_events", FW_QV_REAL, 1, NULL},
};
#define NCOLS(a) (sizeof a / sizeof a[0])

/* The incidents-in-range clause shared by the summary's statements. */
#define IN_RANGE "i.run_id=?1 AND fw_ts_us(i.start)>=?2 AND fw_ts_us(i.start)<?3"

/* attacks_per_hour and kpi, from the incidents in range. */
static int summary_kpi(fw_query *q, const fw_qopts *o, fw_qresult *r, char *err, size_t errn)
{
    const fw_qrun *run = &r->run;
    /* The KPI window: the range within the run's span. */
    int64_t lo = o->from_us, hi = o->to_us;
    if (run->has_span) {
        if (lo < run->span_from_us)
            lo = run->span_from_us;
        if (hi > run->span_to_us)
            hi = run->span_to_us;
    }
    bool window = run->has_span && hi > lo;
    int64_t h0 = window ? floor_to(lo, US_PER_HOUR) : 0;
    size_t nh = window ? (size_t)((hi - h0 + US_PER_HOUR - 1) / US_PER_HOUR) : 0;
    int64_t *per_hour = fw_xcalloc(nh ? nh : 1, sizeof *per_hour);

    sqlite3_stmt *st;
    if (prep(q, "SELECT fw_ts_us(i.start), fw_ts_us(i.end), i.events FROM incidents i WHERE " IN_RANGE,
             &st, err, errn)) {
        free(per_hour);
        return -1;
    }
    bind_times(st, run->id, o);
    int64_t n = 0, nopen = 0, in_window = 0, ndur = 0, sum_dur = 0, sum_events = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t s = sqlite3_column_int64(st, 0), d;
        bool has_end = sqlite3_column_type(st, 1) != SQLITE_NULL;
        n++;
        nopen += !has_end;
        sum_events += sqlite3_column_int64(st, 2);
        if (duration_s(s, has_end, sqlite3_column_int64(st, 1), run->now_us, &d)) {
            ndur++;
            sum_dur += d;
        }
        if (window && s >= lo && s < hi) {
            in_window++;
            per_hour[(s - h0) / US_PER_HOUR]++;
        }
    }
    if (finish(q, st, rc, err, errn)) {
        free(per_hour);
        return -1;
    }

    fw_qtable *t = add_table(r, "attacks_per_hour", false, hour_cols, NCOLS(hour_cols));
    for (size_t i = 0; i < nh; i++) {
        fw_qvalue *row = add_row(t);
        set_time(&row[0], h0 + (int64_t)i * US_PER_HOUR);
        set_int(&row[1], per_hour[i]);
    }
    t = add_table(r, "kpi", true, kpi_cols, NCOLS(kpi_cols));
    fw_qvalue *row = add_row(t);
    set_int(&row[0], n);
    set_int(&row[1], nopen);
    if (window)
        set_real(&row[2], (double)in_window / ((double)(hi - lo) / (double)US_PER_HOUR));
    if (nh) {
        set_int(&row[3], per_hour[0]);
        set_int(&row[4], per_hour[nh - 1]);
    }
    if (nh >= 2) {
        /* Least squares over x = 0 .. nh-1. */
        double xm = (double)(nh - 1) / 2, ym = 0, sxy = 0, sxx = 0;
        for (size_t i = 0; i < nh; i++)
            ym += (double)per_hour[i];
        ym /= (double)nh;
        for (size_t i = 0; i < nh; i++) {
            sxy += ((double)i - xm) * ((double)per_hour[i] - ym);
            sxx += ((double)i - xm) * ((double)i - xm);
        }
        set_real(&row[5], sxy / sxx);
    }
    if (ndur)
        set_real(&row[6], (double)sum_dur / (double)ndur);
    if (n)
        set_real(&row[7], (double)sum_events / (double)n);
    free(per_hour);
    return 0;
}

int fw_query_summary(fw_query *q, const fw_qopts *o, fw_qresult *out, char *err, size_t errn)
{
    memset(out, 0, sizeof *out);
    if (pick_run(q, o, "incidents", true, "incidents", out, err, errn))
        return -1;
    int64_t now = out->run.now_us;
    /* Durations as in fw_query_incidents: to the end, or to now while open
     * (?4; NULL when unknown, and then sum() leaves the incident out). */
#define DURATION "CAST(round((coalesce(fw_ts_us(i.end), max(?4, fw_ts_us(i.start))) - " \
                 "fw_ts_us(i.start)) / 1e6) AS INTEGER)"
    if (fill_table(q, out, o, "accounting", true, accounting_cols, NCOLS(accounting_cols),
                   "SELECT rows_read, accepted, quarantined, duplicates, late FROM runs "
                   "WHERE run_id=?1",
                   false, 0, err, errn) ||
        fill_table(q, out, o, "traffic", true, traffic_cols, NCOLS(traffic_cols),
                   "SELECT count(*), coalesce(sum(events), 0), coalesce(sum(bytes), 0), "
                   "coalesce(sum(packets), 0), coalesce(sum(labelled_attack), 0), "
                   "coalesce(sum(quarantined), 0), coalesce(sum(duplicates), 0) FROM agg_minute "
                   "WHERE run_id=?1 AND minute>=?2 AND minute<?3",
                   true, 0, err, errn) ||
        fill_table(q, out, o, "incidents_by_type", false, by_type_cols, NCOLS(by_type_cols),
                   "SELECT i.type, count(*) AS n, sum(" DURATION "), sum(i.events) "
                   "FROM incidents i WHERE " IN_RANGE " "
                   "GROUP BY i.type ORDER BY n DESC, i.type",
                   false, now, err, errn) ||
        fill_table(q, out, o, "top_attackers", false, attacker_cols, NCOLS(attacker_cols),
                   "SELECT s.src, count(*) AS n, sum(s.events) AS e FROM incident_sources s "
                   "JOIN incidents i ON i.run_id = s.run_id AND i.id = s.id WHERE " IN_RANGE " "
                   "GROUP BY s.src ORDER BY n DESC, e DESC, s.src LIMIT ?5",
                   false, 0, err, errn) ||
        fill_table(q, out, o, "top_victims", false, victim_cols, NCOLS(victim_cols),
                   "SELECT v.dst, count(*) AS n FROM incident_victims v "
                   "JOIN incidents i ON i.run_id = v.run_id AND i.id = v.id WHERE " IN_RANGE " "
                   "GROUP BY v.dst ORDER BY n DESC, v.dst LIMIT ?5",
                   false, 0, err, errn) ||
        fill_table(q, out, o, "attack_countries", false, country_cols, NCOLS(country_cols),
                   "WITH c AS (SELECT country, sum(labelled_attack) AS n FROM agg_minute_country "
                   "WHERE run_id=?1 AND minute>=?2 AND minute<?3 GROUP BY country) "
                   "SELECT CASE country WHEN '' THEN 'unknown' ELSE country END, n, "
                   "100.0 * n / (SELECT sum(n) FROM c) FROM c WHERE n > 0 "
                   "ORDER BY n DESC, country LIMIT ?5",
                   true, 0, err, errn) ||
        summary_kpi(q, o, out, err, errn)) {
        fw_qresult_free(out);
        return -1;
    }
#undef DURATION
    return 0;
}
