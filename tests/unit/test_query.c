/*
 * test_query.c - the store's questions (report/query.h) on a database built
 * by hand: the store's own schema (fw_store_open), then known rows.
 *
 * Runs in the fixture:
 *   1 batch,  finished, 00:00:10 .. 02:59:50.5: minute tables, six closed
 *             incidents spread over three hours (1, 2, 3 per hour).
 *   2 stream, still writing (no first/last event), minutes 00:00 .. 00:04:
 *             three incidents, one open; countries with labelled attacks.
 *   3 batch,  one agg_minute_src row and nothing else (the latest run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/ts.h"
#include "report/query.h"
#include "store/store.h"

static char dir[64], path[128];

static const char fixture_sql[] =
    "UPDATE runs SET rows_read=100, accepted=90, quarantined=6, duplicates=3, late=1,"
    "  first_event='2026-01-01T00:00:10Z', last_event='2026-01-01T02:59:50.5Z',"
    "  finished_at='2026-11-01T00:00:00Z' WHERE run_id=1;"
    "INSERT INTO runs(run_id, mode, input, started_at) VALUES"
    "  (2, 'stream', 'b.csv', '2026-11-01T00:00:00Z'), (3, 'batch', 'c.csv', '2026-11-01T00:00:00Z');"
    /* Run 1: sources with a three-way tie at 6 events (text order 10.0.0.1,
     * 10.0.0.10, 10.0.0.2). */
    "INSERT INTO agg_minute_src(run_id, minute, src, events, bytes, packets) VALUES"
    "  (1, '2026-01-01T00:00:00Z', '10.0.0.1', 5, 500, 7),"
    "  (1, '2026-01-01T00:00:00Z', '10.0.0.2', 5, 100, 5),"
    "  (1, '2026-01-01T00:00:00Z', '10.0.0.10', 6, 900, 6),"
    "  (1, '2026-01-01T00:01:00Z', '10.0.0.1', 1, 10, 1),"
    "  (1, '2026-01-01T00:01:00Z', '10.0.0.2', 1, 10, 1),"
    "  (1, '2026-01-01T00:01:00Z', '10.0.0.3', 6, 60, 6),"
    "  (1, '2026-01-01T01:00:00Z', '10.0.0.3', 100, 1, 1),"
    "  (3, '2026-01-01T00:00:00Z', '9.9.9.9', 1, 1, 1);"
    "INSERT INTO agg_minute_dst(run_id, minute, dst, events, bytes, packets) VALUES"
    "  (1, '2026-01-01T00:00:00Z', '10.0.1.1', 20, 2000, 20),"
    "  (1, '2026-01-01T00:00:00Z', '10.0.1.2', 5, 9000, 5);"
    /* Ports: TCP/80 and TCP/443 tie at 12 (80 first: numbers, not text),
     * UDP/53 at 12 too (protocol 17 after 6); minute 00:01 is not exact. */
    "INSERT INTO agg_minute_port VALUES"
    "  (1, '2026-01-01T00:00:00Z', 6, 443, 10, 1000, 10, 1),"
    "  (1, '2026-01-01T00:00:00Z', 17, 53, 12, 50, 12, 1),"
    "  (1, '2026-01-01T00:00:00Z', 6, 80, 12, 10, 12, 1),"
    "  (1, '2026-01-01T00:01:00Z', 6, 443, 2, 20, 2, 0),"
    "  (1, '2026-01-01T00:01:00Z', 47, 0, 5, 5, 5, 0),"
    "  (1, '2026-01-01T00:01:00Z', 99, 7, 1, 1, 1, 0);"
    "INSERT INTO agg_minute_country VALUES"
    "  (1, '2026-01-01T00:00:00Z', 'US', 5, 50, 2),"
    "  (1, '2026-01-01T00:00:00Z', '', 5, 60, 5),"
    "  (1, '2026-01-01T00:01:00Z', 'DE', 3, 10, 0),"
    "  (2, '2026-01-01T00:00:00Z', 'CN', 50, 1, 30),"
    "  (2, '2026-01-01T00:01:00Z', 'CN', 10, 1, 10),"
    "  (2, '2026-01-01T00:01:00Z', 'US', 50, 1, 40),"
    "  (2, '2026-01-01T00:02:00Z', '', 20, 1, 20),"
    "  (2, '2026-01-01T00:02:00Z', 'FR', 9, 1, 0);"
    "INSERT INTO agg_minute(run_id, minute, events, bytes, packets, syn_only, labelled_attack,"
    "  distinct_src, quarantined, duplicates) VALUES"
    "  (1, '2026-01-01T00:00:00Z', 13, 1000, 14, 2, 0, 3, 1, 0),"
    "  (1, '2026-01-01T00:01:00Z', 8, 80, 8, 1, 0, 5, 2, 1),"
    "  (1, '2026-01-01T01:00:00Z', 100, 1, 1, 0, 0, 1, 0, 2),"
    "  (1, '2026-01-01T02:59:00Z', 1, 2, 3, 1, 0, 1, 3, 0),"
    "  (2, '2026-01-01T00:00:00Z', 10, 10, 10, 0, 5, 2, 0, 0),"
    "  (2, '2026-01-01T00:01:00Z', 10, 10, 10, 0, 5, 2, 0, 0),"
    "  (2, '2026-01-01T00:02:00Z', 10, 10, 10, 0, 5, 2, 0, 0),"
    "  (2, '2026-01-01T00:03:00Z', 10, 10, 10, 0, 5, 2, 0, 0),"
    "  (2, '2026-01-01T00:04:00Z', 10, 10, 10, 0, 5, 2, 0, 0);"
    /* Run 1: 1, 2 and 3 incidents in hours 0, 1, 2. */
    "INSERT INTO incidents(id, run_id, type, entity, victims, start, detected_at, end, severity,"
    "  rule, peak_pps, peak_bps, unique_sources, events, last_event) VALUES"
    "  ('d', 1, 'udp_flood', 'n', '[]', '2026-01-01T00:10:00Z', 'x', '2026-01-01T00:20:00Z', 'low', 'r', 1, 1, 1, 10, '{}'),"
    "  ('e', 1, 'udp_flood', 'n', '[]', '2026-01-01T01:10:00Z', 'x', '2026-01-01T01:15:00Z', 'low', 'r', 1, 1, 1, 10, '{}'),"
    "  ('f', 1, 'udp_flood', 'n', '[]', '2026-01-01T01:20:00Z', 'x', '2026-01-01T01:25:00Z', 'low', 'r', 1, 1, 1, 10, '{}'),"
    "  ('g', 1, 'udp_flood', 'n', '[]', '2026-01-01T02:30:00Z', 'x', '2026-01-01T02:31:00Z', 'low', 'r', 1, 1, 1, 10, '{}'),"
    "  ('h', 1, 'udp_flood', 'n', '[]', '2026-01-01T02:40:00Z', 'x', '2026-01-01T02:41:00Z', 'low', 'r', 1, 1, 1, 10, '{}'),"
    "  ('i', 1, 'udp_flood', 'n', '[]', '2026-01-01T02:50:00Z', 'x', '2026-01-01T02:51:00Z', 'low', 'r', 1, 1, 1, 10, '{}'),"
    /* Run 2: A closed (90 s), B open (to now, 00:05: 240 s), C with fractions (10 s). */
    "  ('A', 2, 'syn_flood', '10.0.1.0/24', '[\"10.0.1.1\",\"10.0.1.2\"]', '2026-01-01T00:00:30Z',"
    "   '2026-01-01T00:00:32Z', '2026-01-01T00:02:00Z', 'high', 'syn_flood', 400.25, 1, 7, 100, '{}'),"
    "  ('B', 2, 'udp_flood', '10.0.1.0/24', '[\"10.0.1.1\"]', '2026-01-01T00:01:00Z',"
    "   '2026-01-01T00:01:02Z', NULL, 'medium', 'udp_flood', 50, 1, 3, 50, '{}'),"
    "  ('C', 2, 'syn_flood', '10.0.2.0/24', '[]', '2026-01-01T00:03:00.5Z',"
    "   '2026-01-01T00:03:02Z', '2026-01-01T00:03:10.5Z', 'low', 'syn_flood', 10, 1, 1, 30, '{}');"
    "INSERT INTO incident_sources(run_id, id, src, events) VALUES (2, 'A', '1.1.1.1', 10),"
    "  (2, 'A', '2.2.2.2', 5), (2, 'B', '1.1.1.1', 3), (2, 'B', '3.3.3.3', 20),"
    "  (2, 'C', '2.2.2.2', 1), (1, 'd', '1.1.1.1', 99);"
    "INSERT INTO incident_victims(run_id, id, dst) VALUES (2, 'A', '10.0.1.1'),"
    "  (2, 'A', '10.0.1.2'), (2, 'B', '10.0.1.1'), (1, 'd', '10.0.9.9');";

static int setup(void **state)
{
    strcpy(dir, "/tmp/fw_query_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/q.db", dir);
    char err[256];
    fw_store *s = fw_store_open(path, "batch", "a.csv", "{}", err, sizeof err);
    if (!s || fw_store_commit(s, err, sizeof err))
        return -1;
    sqlite3 *db;
    char *msg = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, fixture_sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "fixture: %s\n", msg ? msg : sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_close(db);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static int64_t ts(const char *s)
{
    int64_t us;
    assert_int_equal(fw_ts_parse(s, strlen(s), &us), 0);
    return us;
}

static fw_qopts opts(int64_t run, const char *from, const char *to, size_t limit)
{
    return (fw_qopts){.run_id = run, .from_us = from ? ts(from) : FW_QUERY_NO_FROM,
                      .to_us = to ? ts(to) : FW_QUERY_NO_TO, .limit = limit};
}

static fw_query *open_fixture(void)
{
    char err[256];
    fw_query *q = fw_query_open(path, err, sizeof err);
    if (!q)
        fail_msg("%s", err);
    return q;
}

static const fw_qtable *rows(const fw_qresult *r)
{
    const fw_qtable *t = fw_qresult_table(r, "rows");
    assert_non_null(t);
    return t;
}

static void expect_text(const fw_qtable *t, size_t row, const char *col, const char *want)
{
    const fw_qvalue *v = fw_qtable_at(t, row, col);
    assert_non_null(v);
    assert_int_equal(v->type, FW_QV_TEXT);
    assert_string_equal(v->v.s, want);
}

static void expect_int(const fw_qtable *t, size_t row, const char *col, int64_t want)
{
    const fw_qvalue *v = fw_qtable_at(t, row, col);
    assert_non_null(v);
    assert_int_equal(v->type, FW_QV_INT);
    assert_int_equal(v->v.i, want);
}

static void expect_real(const fw_qtable *t, size_t row, const char *col, double want)
{
    const fw_qvalue *v = fw_qtable_at(t, row, col);
    assert_non_null(v);
    assert_int_equal(v->type, FW_QV_REAL);
    assert_float_equal(v->v.r, want, 1e-9);
}

static void expect_null(const fw_qtable *t, size_t row, const char *col)
{
    const fw_qvalue *v = fw_qtable_at(t, row, col);
    assert_non_null(v);
    assert_int_equal(v->type, FW_QV_NULL);
}

/* The keys of a list's column, comma-separated. */
static void expect_keys(const fw_qtable *t, const char *col, const char *want)
{
    char got[512] = "";
    for (size_t i = 0; i < t->nrows; i++) {
        const fw_qvalue *v = fw_qtable_at(t, i, col);
        assert_int_equal(v->type, FW_QV_TEXT);
        if (i)
            strcat(got, ",");
        strcat(got, v->v.s);
    }
    assert_string_equal(got, want);
}

static void test_open_refuses(void **state)
{
    char err[256], p[160];
    snprintf(p, sizeof p, "%s/missing.db", dir);
    assert_null(fw_query_open(p, err, sizeof err));
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, "No such file"));

    snprintf(p, sizeof p, "%s/text.db", dir);
    FILE *f = fopen(p, "w");
    fputs("this is not a database, just text that is long enough to matter....\n", f);
    fclose(f);
    assert_null(fw_query_open(p, err, sizeof err));
    assert_non_null(strstr(err, "not a floodwatch database"));

    snprintf(p, sizeof p, "%s/other.db", dir);
    sqlite3 *db;
    sqlite3_open(p, &db);
    sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
    sqlite3_close(db);
    assert_null(fw_query_open(p, err, sizeof err));
    assert_non_null(strstr(err, "not a floodwatch database"));

    snprintf(p, sizeof p, "%s/future.db", dir);
    sqlite3_open(p, &db);
    sqlite3_exec(db, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
                     "INSERT INTO meta VALUES('schema_version','99')", NULL, NULL, NULL);
    sqlite3_close(db);
    assert_null(fw_query_open(p, err, sizeof err));
    assert_non_null(strstr(err, "version 99"));

    assert_null(fw_query_open(dir, err, sizeof err));
    assert_non_null(strstr(err, "not a regular file"));

    /* A run that does not exist. */
    fw_query *q = open_fixture();
    fw_qresult r;
    fw_qopts o = opts(7, NULL, NULL, 0);
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_SOURCES, FW_QBY_EVENTS, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "no run 7 (its runs are 1 to 3)"));
    fw_query_close(q);
}

static void test_default_runs(void **state)
{
    fw_query *q = open_fixture();
    char err[256];
    fw_qresult r;
    fw_qopts o = opts(0, NULL, NULL, 0);
    /* The latest run with rows in the table asked. */
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_SOURCES, FW_QBY_EVENTS, &r, err, sizeof err), 0);
    assert_int_equal(r.run.id, 3);
    assert_string_equal(r.run.mode, "batch");
    assert_string_equal(r.run.input, "c.csv");
    fw_qresult_free(&r);
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_PORTS, FW_QBY_EVENTS, &r, err, sizeof err), 0);
    assert_int_equal(r.run.id, 1);
    fw_qresult_free(&r);
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_COUNTRIES, FW_QBY_EVENTS, &r, err, sizeof err), 0);
    assert_int_equal(r.run.id, 2);
    fw_qresult_free(&r);
    assert_int_equal(fw_query_timeline(q, &o, 60, &r, err, sizeof err), 0);
    assert_int_equal(r.run.id, 2);
    fw_qresult_free(&r);
    /* Incidents and the summary: the latest run with incidents. */
    assert_int_equal(fw_query_incidents(q, &o, NULL, false, &r, err, sizeof err), 0);
    assert_int_equal(r.run.id, 2);
    fw_qresult_free(&r);
    assert_int_equal(fw_query_summary(q, &o, &r, err, sizeof err), 0);
    assert_int_equal(r.run.id, 2);
    fw_qresult_free(&r);
    fw_query_close(q);
}

static void test_runs_span_and_now(void **state)
{
    fw_query *q = open_fixture();
    char err[256];
    fw_qresult r;
    fw_qopts o = opts(1, NULL, NULL, 0);
    /* A finished run: its events' minutes. */
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_SOURCES, FW_QBY_EVENTS, &r, err, sizeof err), 0);
    assert_true(r.run.has_span);
    assert_int_equal(r.run.span_from_us, ts("2026-01-01T00:00:00Z"));
    assert_int_equal(r.run.span_to_us, ts("2026-01-01T03:00:00Z"));
    assert_int_equal(r.run.now_us, ts("2026-01-01T02:59:50.5Z"));
    assert_int_equal(r.from_us, ts("2026-01-01T00:00:00Z"));
    assert_int_equal(r.to_us, ts("2026-01-01T03:00:00Z"));
    fw_qresult_free(&r);
    /* A stream still writing: its stored minutes; an asked range is kept. */
    o = opts(2, "2026-01-01T00:01:30Z", NULL, 0);
    assert_int_equal(fw_query_incidents(q, &o, NULL, false, &r, err, sizeof err), 0);
    assert_int_equal(r.run.span_from_us, ts("2026-01-01T00:00:00Z"));
    assert_int_equal(r.run.span_to_us, ts("2026-01-01T00:05:00Z"));
    assert_int_equal(r.run.now_us, ts("2026-01-01T00:05:00Z"));
    assert_int_equal(r.from_us, ts("2026-01-01T00:01:30Z"));
    assert_int_equal(r.to_us, ts("2026-01-01T00:05:00Z"));
    fw_qresult_free(&r);
    fw_query_close(q);
}

static void test_top_sources_order_ties_by_range(void **state)
{
    fw_query *q = open_fixture();
    char err[256];
    fw_qresult r;
    fw_qopts o = opts(1, NULL, NULL, 0);
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_SOURCES, FW_QBY_EVENTS, &r, err, sizeof err), 0);
    const fw_qtable *t = rows(&r);
    /* Ties at 6 events by address text: 10.0.0.1 < 10.0.0.10 < 10.0.0.2. */
    expect_keys(t, "src", "10.0.0.3,10.0.0.1,10.0.0.10,10.0.0.2");
    expect_int(t, 0, "rank", 1);
    expect_int(t, 3, "rank", 4);
    expect_int(t, 0, "events", 106);
    expect_int(t, 0, "bytes", 61);
    expect_int(t, 0, "packets", 7);
    expect_real(t, 0, "share_pct", 100.0 * 106 / 124);
    expect_real(t, 1, "share_pct", 100.0 * 6 / 124);
    assert_null(r.note);
    fw_qresult_free(&r);

    o.limit = 2;
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_SOURCES, FW_QBY_BYTES, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "src", "10.0.0.10,10.0.0.1");
    expect_int(rows(&r), 1, "bytes", 510);
    /* The share is of every key's bytes, not of the rows shown. */
    expect_real(rows(&r), 0, "share_pct", 100.0 * 900 / 1581);
    fw_qresult_free(&r);

    o.limit = 0;
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_SOURCES, FW_QBY_PACKETS, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "src", "10.0.0.1,10.0.0.3,10.0.0.10,10.0.0.2");
    fw_qresult_free(&r);

    /* [00:00, 00:02): everyone at 6, all ties. */
    o = opts(1, "2026-01-01T00:00:00Z", "2026-01-01T00:02:00Z", 0);
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_SOURCES, FW_QBY_EVENTS, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "src", "10.0.0.1,10.0.0.10,10.0.0.2,10.0.0.3");
    expect_real(rows(&r), 3, "share_pct", 25.0);
    fw_qresult_free(&r);
    /* A bound inside a minute: minute 00:00 starts before 00:00:30, so only
     * 00:01 is in [00:00:30, 01:00); 01:00 is not (half-open). */
    o = opts(1, "2026-01-01T00:00:30Z", "2026-01-01T01:00:00Z", 0);
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_SOURCES, FW_QBY_EVENTS, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "src", "10.0.0.3,10.0.0.1,10.0.0.2");
    expect_int(rows(&r), 0, "events", 6);
    fw_qresult_free(&r);
    /* A range with nothing in it. */
    o = opts(1, "2026-01-02T00:00", NULL, 0);
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_SOURCES, FW_QBY_EVENTS, &r, err, sizeof err), 0);
    assert_int_equal(rows(&r)->nrows, 0);
    assert_null(r.note);
    fw_qresult_free(&r);
    /* A run without the table's rows says so. */
    o = opts(2, NULL, NULL, 0);
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_SOURCES, FW_QBY_EVENTS, &r, err, sizeof err), 0);
    assert_int_equal(rows(&r)->nrows, 0);
    assert_non_null(r.note);
    assert_non_null(strstr(r.note, "no rows in agg_minute_src"));
    fw_qresult_free(&r);
    fw_query_close(q);
}

static void test_top_destinations_ports_countries(void **state)
{
    fw_query *q = open_fixture();
    char err[256];
    fw_qresult r;
    fw_qopts o = opts(1, NULL, NULL, 0);
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_DESTINATIONS, FW_QBY_BYTES, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "dst", "10.0.1.2,10.0.1.1");
    fw_qresult_free(&r);

    assert_int_equal(fw_query_top(q, &o, FW_QTOP_PORTS, FW_QBY_EVENTS, &r, err, sizeof err), 0);
    /* 12 each: TCP/443 (10 + 2), TCP/80, UDP/53; by protocol number, then port. */
    expect_keys(rows(&r), "port", "TCP/80,TCP/443,UDP/53,GRE/0,99/7");
    expect_int(rows(&r), 1, "bytes", 1020);
    expect_real(rows(&r), 0, "share_pct", 100.0 * 12 / 42);
    assert_non_null(r.note);
    assert_non_null(strstr(r.note, "1 of 2 minutes"));
    fw_qresult_free(&r);
    o = opts(1, NULL, "2026-01-01T00:01:00Z", 0); /* only the exact minute */
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_PORTS, FW_QBY_EVENTS, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "port", "TCP/80,UDP/53,TCP/443");
    assert_null(r.note);
    fw_qresult_free(&r);

    /* Countries: '' is "unknown" and sorts first among ties; no packets. */
    o = opts(1, NULL, NULL, 0);
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_COUNTRIES, FW_QBY_EVENTS, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "country", "unknown,US,DE");
    assert_null(fw_qtable_at(rows(&r), 0, "packets"));
    fw_qresult_free(&r);
    assert_false(fw_qtop_has(FW_QTOP_COUNTRIES, FW_QBY_PACKETS));
    assert_int_equal(fw_query_top(q, &o, FW_QTOP_COUNTRIES, FW_QBY_PACKETS, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "packets"));
    fw_query_close(q);
}

static void test_incidents(void **state)
{
    fw_query *q = open_fixture();
    char err[256];
    fw_qresult r;
    fw_qopts o = opts(2, NULL, NULL, 0);
    assert_int_equal(fw_query_incidents(q, &o, NULL, false, &r, err, sizeof err), 0);
    const fw_qtable *t = rows(&r);
    expect_keys(t, "id", "A,B,C");
    expect_text(t, 0, "type", "syn_flood");
    expect_text(t, 0, "entity", "10.0.1.0/24");
    expect_text(t, 0, "start", "2026-01-01T00:00:30Z");
    expect_text(t, 0, "end", "2026-01-01T00:02:00Z");
    expect_int(t, 0, "duration_s", 90);
    expect_text(t, 0, "severity", "high");
    expect_real(t, 0, "peak_pps", 400.25);
    expect_int(t, 0, "unique_sources", 7);
    expect_int(t, 0, "victims", 2);
    expect_int(t, 0, "events", 100);
    /* Open: no end, the duration so far (to the end of the latest minute). */
    expect_null(t, 1, "end");
    assert_string_equal(t->cols[4].null_text, "open");
    expect_int(t, 1, "duration_s", 240);
    expect_int(t, 2, "duration_s", 10);
    expect_int(t, 2, "victims", 0);
    fw_qresult_free(&r);

    assert_int_equal(fw_query_incidents(q, &o, NULL, true, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "id", "B");
    fw_qresult_free(&r);
    assert_int_equal(fw_query_incidents(q, &o, "syn_flood", false, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "id", "A,C");
    fw_qresult_free(&r);
    assert_int_equal(fw_query_incidents(q, &o, "syn", false, &r, err, sizeof err), 0);
    assert_int_equal(rows(&r)->nrows, 0);
    assert_non_null(r.note);
    assert_non_null(strstr(r.note, "its types: syn_flood, udp_flood"));
    fw_qresult_free(&r);

    /* The range applies to the start, half-open, to the microsecond. */
    o = opts(2, "2026-01-01T00:01:00Z", NULL, 0);
    assert_int_equal(fw_query_incidents(q, &o, NULL, false, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "id", "B,C");
    fw_qresult_free(&r);
    o = opts(2, NULL, "2026-01-01T00:03:00.5Z", 0);
    assert_int_equal(fw_query_incidents(q, &o, NULL, false, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "id", "A,B");
    fw_qresult_free(&r);
    o = opts(2, "2026-01-01T00:03:00.5Z", NULL, 0);
    assert_int_equal(fw_query_incidents(q, &o, NULL, false, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "id", "C");
    fw_qresult_free(&r);
    o = opts(2, "2026-01-01T00:03:00.500001Z", NULL, 0);
    assert_int_equal(fw_query_incidents(q, &o, NULL, false, &r, err, sizeof err), 0);
    assert_int_equal(rows(&r)->nrows, 0);
    fw_qresult_free(&r);
    o = opts(2, NULL, NULL, 2);
    assert_int_equal(fw_query_incidents(q, &o, NULL, false, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "id", "A,B");
    fw_qresult_free(&r);
    fw_query_close(q);
}

static void test_timeline(void **state)
{
    fw_query *q = open_fixture();
    char err[256];
    fw_qresult r;
    fw_qopts o = opts(1, NULL, NULL, 0);
    assert_int_equal(fw_query_timeline(q, &o, 3600, &r, err, sizeof err), 0);
    const fw_qtable *t = rows(&r);
    expect_keys(t, "bucket", "2026-01-01T00:00:00Z,2026-01-01T01:00:00Z,2026-01-01T02:00:00Z");
    expect_int(t, 0, "minutes", 2);
    expect_int(t, 0, "events", 21);
    expect_int(t, 0, "bytes", 1080);
    expect_int(t, 0, "packets", 22);
    expect_int(t, 0, "syn_only", 3);
    expect_int(t, 0, "distinct_src_max", 5); /* max(3, 5), not the sum */
    expect_int(t, 0, "quarantined", 3);
    expect_int(t, 0, "duplicates", 1);
    expect_int(t, 0, "incidents", 1);
    expect_int(t, 1, "incidents", 2);
    expect_int(t, 2, "incidents", 3);
    expect_int(t, 2, "quarantined", 3);
    fw_qresult_free(&r);

    /* Epoch-aligned 2h buckets; one day. */
    assert_int_equal(fw_query_timeline(q, &o, 7200, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "bucket", "2026-01-01T00:00:00Z,2026-01-01T02:00:00Z");
    expect_int(rows(&r), 0, "events", 121);
    fw_qresult_free(&r);
    assert_int_equal(fw_query_timeline(q, &o, 86400, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "bucket", "2026-01-01T00:00:00Z");
    expect_int(rows(&r), 0, "minutes", 4);
    expect_int(rows(&r), 0, "events", 122);
    expect_int(rows(&r), 0, "incidents", 6);
    fw_qresult_free(&r);

    /* An empty minute inside the range is a bucket of zeros. */
    o = opts(1, "2026-01-01T00:00", "2026-01-01T00:03:00Z", 0);
    assert_int_equal(fw_query_timeline(q, &o, 60, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "bucket",
                "2026-01-01T00:00:00Z,2026-01-01T00:01:00Z,2026-01-01T00:02:00Z");
    expect_int(rows(&r), 2, "minutes", 0);
    expect_int(rows(&r), 2, "events", 0);
    fw_qresult_free(&r);

    /* Incidents per minute in run 2: A [00:00:30, 00:02), B from 00:01,
     * open, C [00:03:00.5, 00:03:10.5). */
    o = opts(2, NULL, NULL, 0);
    assert_int_equal(fw_query_timeline(q, &o, 60, &r, err, sizeof err), 0);
    t = rows(&r);
    assert_int_equal(t->nrows, 5);
    static const int64_t active[] = {1, 2, 1, 2, 1};
    for (size_t i = 0; i < 5; i++)
        expect_int(t, i, "incidents", active[i]);
    fw_qresult_free(&r);
    /* A bucket cut by the range counts what is active in its part. */
    o = opts(2, "2026-01-01T00:02:00Z", "2026-01-01T00:03:00Z", 0);
    assert_int_equal(fw_query_timeline(q, &o, 300, &r, err, sizeof err), 0);
    expect_keys(rows(&r), "bucket", "2026-01-01T00:00:00Z");
    expect_int(rows(&r), 0, "minutes", 1);
    expect_int(rows(&r), 0, "incidents", 1);
    fw_qresult_free(&r);

    assert_int_equal(fw_query_timeline(q, &o, 90, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "whole number of minutes"));
    fw_query_close(q);
}

static void test_summary(void **state)
{
    fw_query *q = open_fixture();
    char err[256];
    fw_qresult r;
    fw_qopts o = opts(2, NULL, NULL, 5);
    assert_int_equal(fw_query_summary(q, &o, &r, err, sizeof err), 0);
    const fw_qtable *t = fw_qresult_table(&r, "accounting");
    assert_true(t->record);
    expect_null(t, 0, "rows_read"); /* a stream still writing */
    t = fw_qresult_table(&r, "traffic");
    expect_int(t, 0, "minutes", 5);
    expect_int(t, 0, "events", 50);
    expect_int(t, 0, "labelled_attack", 25);

    t = fw_qresult_table(&r, "incidents_by_type");
    expect_keys(t, "type", "syn_flood,udp_flood");
    expect_int(t, 0, "incidents", 2);
    expect_int(t, 0, "duration_s", 100);
    expect_int(t, 0, "events", 130);
    expect_int(t, 1, "duration_s", 240); /* open: so far */

    /* By incidents, then (sampled) events, then address; run 1's 'd' is not
     * counted in run 2. */
    t = fw_qresult_table(&r, "top_attackers");
    expect_keys(t, "src", "1.1.1.1,2.2.2.2,3.3.3.3");
    expect_int(t, 0, "incidents", 2);
    expect_int(t, 0, "events", 13);
    expect_int(t, 1, "events", 6);
    t = fw_qresult_table(&r, "top_victims");
    expect_keys(t, "dst", "10.0.1.1,10.0.1.2");
    expect_int(t, 0, "incidents", 2);

    t = fw_qresult_table(&r, "attack_countries");
    expect_keys(t, "country", "CN,US,unknown"); /* FR had no labelled attack */
    expect_int(t, 0, "attack_events", 40);
    expect_real(t, 0, "share_pct", 40.0);
    expect_real(t, 2, "share_pct", 20.0);

    t = fw_qresult_table(&r, "attacks_per_hour");
    expect_keys(t, "hour", "2026-01-01T00:00:00Z");
    expect_int(t, 0, "incidents", 3);
    t = fw_qresult_table(&r, "kpi");
    assert_true(t->record);
    expect_int(t, 0, "incidents", 3);
    expect_int(t, 0, "open", 1);
    expect_real(t, 0, "incidents_per_hour", 3 / (5.0 / 60)); /* over the 5 minutes seen */
    expect_int(t, 0, "first_hour", 3);
    expect_int(t, 0, "last_hour", 3);
    expect_null(t, 0, "trend_per_hour"); /* one hour: no slope */
    expect_real(t, 0, "avg_duration_s", (90 + 240 + 10) / 3.0);
    expect_real(t, 0, "avg_events", 60.0);
    fw_qresult_free(&r);

    /* Limits apply to the lists. */
    o.limit = 1;
    assert_int_equal(fw_query_summary(q, &o, &r, err, sizeof err), 0);
    expect_keys(fw_qresult_table(&r, "top_attackers"), "src", "1.1.1.1");
    expect_keys(fw_qresult_table(&r, "attack_countries"), "country", "CN");
    fw_qresult_free(&r);

    /* Run 1: 1, 2, 3 incidents per hour: slope 1, 6 over 3 hours. */
    o = opts(1, NULL, NULL, 0);
    assert_int_equal(fw_query_summary(q, &o, &r, err, sizeof err), 0);
    t = fw_qresult_table(&r, "accounting");
    expect_int(t, 0, "rows_read", 100);
    expect_int(t, 0, "accepted", 90);
    expect_int(t, 0, "quarantined", 6);
    expect_int(t, 0, "duplicates", 3);
    expect_int(t, 0, "late", 1);
    t = fw_qresult_table(&r, "attacks_per_hour");
    assert_int_equal(t->nrows, 3);
    expect_int(t, 2, "incidents", 3);
    t = fw_qresult_table(&r, "kpi");
    expect_real(t, 0, "incidents_per_hour", 2.0);
    expect_int(t, 0, "first_hour", 1);
    expect_int(t, 0, "last_hour", 3);
    expect_real(t, 0, "trend_per_hour", 1.0);
    expect_real(t, 0, "avg_duration_s", (600 + 300 + 300 + 60 * 3) / 6.0);
    expect_keys(fw_qresult_table(&r, "top_victims"), "dst", "10.0.9.9");
    expect_keys(fw_qresult_table(&r, "attack_countries"), "country", "unknown,US");
    fw_qresult_free(&r);

    /* A range: hours 01 and 02 only. */
    o = opts(1, "2026-01-01T01:00:00Z", NULL, 0);
    assert_int_equal(fw_query_summary(q, &o, &r, err, sizeof err), 0);
    t = fw_qresult_table(&r, "kpi");
    expect_int(t, 0, "incidents", 5);
    expect_real(t, 0, "incidents_per_hour", 2.5);
    expect_real(t, 0, "trend_per_hour", 1.0);
    expect_int(fw_qresult_table(&r, "accounting"), 0, "rows_read", 100); /* the whole run */
    expect_int(fw_qresult_table(&r, "traffic"), 0, "events", 101);
    fw_qresult_free(&r);
    fw_query_close(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_refuses),
        cmocka_unit_test(test_default_runs),
        cmocka_unit_test(test_runs_span_and_now),
        cmocka_unit_test(test_top_sources_order_ties_by_range),
        cmocka_unit_test(test_top_destinations_ports_countries),
        cmocka_unit_test(test_incidents),
        cmocka_unit_test(test_timeline),
        cmocka_unit_test(test_summary),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
