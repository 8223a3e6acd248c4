/* test_store.c - the SQLite store: atomic creation, runs, refusal of foreign files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/flow.h"
#include "store/store.h"

static char dir[64];

static int setup(void **state)
{
    strcpy(dir, "/tmp/fw_store_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static int64_t query_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    int64_t v = -1;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    if (sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static int count_files(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static void test_abort_leaves_nothing_commit_creates(void **state)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/a.db", dir);
    fw_store *s = fw_store_open(path, "batch", "in.csv", "{}", err, sizeof err);
    assert_non_null(s);
    assert_int_equal(fw_store_quarantine(s, 7, FW_BIT(FW_R_SRC_IP_INVALID), "x,y", 3), 0);
    fw_store_abort(s);
    assert_int_equal(count_files(), 0);
    assert_int_not_equal(access(path, F_OK), 0);

    s = fw_store_open(path, "batch", "in.csv", "{}", err, sizeof err);
    assert_non_null(s);
    assert_int_equal(fw_store_quarantine(s, 7, FW_BIT(FW_R_SRC_IP_INVALID) |
                                                   FW_BIT(FW_R_TIMESTAMP_MISSING), "x,y", 3), 0);
    assert_int_equal(count_files(), 1); /* only the temporary file */
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(fw_store_commit(s, err, sizeof err), 0);
    assert_int_equal(count_files(), 1);
    assert_int_equal(query_int(path, "SELECT line FROM quarantine"), 7);
    assert_int_equal(query_int(path, "SELECT reasons = 'timestamp_missing,src_ip_invalid' FROM quarantine"), 1);
    assert_int_equal(query_int(path, "SELECT value FROM meta WHERE key='schema_version'"),
                     FW_SCHEMA_VERSION);
    /* The per-minute indexes a new file gets only at commit are there. */
    assert_int_equal(query_int(path, "SELECT count(*) FROM sqlite_master WHERE type='index' AND "
                                     "name IN ('agg_minute_dst_by_dst','agg_minute_src_by_src')"), 2);

    /* A second run appends; an aborted third leaves the file as it was. */
    s = fw_store_open(path, "batch", "in2.csv", "{}", err, sizeof err);
    assert_non_null(s);
    assert_int_equal(fw_store_run_id(s), 2);
    assert_int_equal(fw_store_commit(s, err, sizeof err), 0);
    s = fw_store_open(path, "batch", "in3.csv", "{}", err, sizeof err);
    assert_non_null(s);
    fw_store_quarantine(s, 9, FW_BIT(FW_R_SRC_IP_INVALID), "z", 1);
    fw_store_abort(s);
    assert_int_equal(query_int(path, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(query_int(path, "SELECT count(*) FROM quarantine"), 1);
}

static void test_refuses_foreign_files(void **state)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/notdb", dir);
    FILE *f = fopen(path, "w");
    fputs("this is not a database, just text that is long enough to matter....\n", f);
    fclose(f);
    assert_null(fw_store_open(path, "batch", "x", "{}", err, sizeof err));
    assert_non_null(strstr(err, path));

    snprintf(path, sizeof path, "%s/other.db", dir);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
    sqlite3_close(db);
    assert_null(fw_store_open(path, "batch", "x", "{}", err, sizeof err));
    assert_non_null(strstr(err, "not a floodwatch database"));

    snprintf(path, sizeof path, "%s/future.db", dir);
    sqlite3_open(path, &db);
    sqlite3_exec(db, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
                     "INSERT INTO meta VALUES('schema_version','99')", NULL, NULL, NULL);
    sqlite3_close(db);
    assert_null(fw_store_open(path, "batch", "x", "{}", err, sizeof err));
    assert_non_null(strstr(err, "version 99"));

    assert_null(fw_store_open(dir, "batch", "x", "{}", err, sizeof err));
    assert_non_null(strstr(err, "not a regular file"));
}

/* A version 2 file (agg_minute without the data-quality columns, no
 * country or port tables) is upgraded in place, its rows kept. */
static void test_upgrades_version_2(void **state)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/v2.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES('schema_version','2');"
        "CREATE TABLE runs(run_id INTEGER PRIMARY KEY, mode TEXT NOT NULL, input TEXT NOT NULL,"
        "  started_at TEXT NOT NULL, finished_at TEXT, rows_read INTEGER, accepted INTEGER,"
        "  quarantined INTEGER, duplicates INTEGER, late INTEGER, first_event TEXT, last_event TEXT,"
        "  extra_columns TEXT, options TEXT);"
        "INSERT INTO runs(mode,input,started_at) VALUES('batch','old.csv','2026-01-01T00:00:00Z');"
        "CREATE TABLE agg_minute(run_id INTEGER NOT NULL, minute TEXT NOT NULL, events INTEGER,"
        "  bytes INTEGER, bytes_recv INTEGER, packets INTEGER, syn_only INTEGER, tcp INTEGER,"
        "  udp INTEGER, icmp INTEGER, other INTEGER, labelled_attack INTEGER, distinct_src INTEGER,"
        "  distinct_dst INTEGER, PRIMARY KEY(run_id, minute)) WITHOUT ROWID;"
        "INSERT INTO agg_minute(run_id, minute, events) VALUES(1, '2026-01-01T00:00:00Z', 42);"
        "CREATE TABLE incidents(id TEXT PRIMARY KEY, run_id INTEGER NOT NULL, type TEXT NOT NULL,"
        "  entity TEXT NOT NULL, victims TEXT NOT NULL, start TEXT NOT NULL, detected_at TEXT NOT NULL,"
        "  end TEXT, severity TEXT NOT NULL, rule TEXT NOT NULL, peak_pps REAL, peak_bps REAL,"
        "  unique_sources INTEGER, events INTEGER, last_event TEXT NOT NULL);"
        "CREATE INDEX incidents_by_start ON incidents(start);"
        "INSERT INTO incidents VALUES('abc', 1, 'syn_flood', '10.0.1.0/24', '[]',"
        "  '2026-01-01T00:15:00Z', '2026-01-01T00:15:02Z', NULL, 'low', 'syn_flood', 1, 2, 3, 4, '{}');"
        "CREATE TABLE incident_events(id TEXT NOT NULL, event TEXT NOT NULL, event_time TEXT NOT NULL,"
        "  run_id INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY(id, event, event_time)) WITHOUT ROWID;"
        "INSERT INTO incident_events VALUES('abc', 'start', '2026-01-01T00:15:02Z', 1, '{}');",
        NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    fw_store *s = fw_store_open(path, "batch", "new.csv", "{}", err, sizeof err);
    assert_non_null(s);
    assert_int_equal(fw_store_run_id(s), 2);
    assert_int_equal(fw_store_commit(s, err, sizeof err), 0);
    assert_int_equal(query_int(path, "SELECT value FROM meta WHERE key='schema_version'"),
                     FW_SCHEMA_VERSION);
    assert_int_equal(query_int(path, "SELECT events FROM agg_minute WHERE run_id = 1"), 42);
    assert_int_equal(query_int(path, "SELECT count(*) FROM pragma_table_info('agg_minute') "
                                     "WHERE name IN ('quarantined','duplicates','repaired')"), 3);
    assert_int_equal(query_int(path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                     "('agg_minute_country','agg_minute_port','incidents',"
                                     "'incident_sources','incident_victims')"), 5);
    /* Incidents kept, now keyed by run and id. */
    assert_int_equal(query_int(path, "SELECT count(*) FROM incidents WHERE run_id = 1 AND id = 'abc'"), 1);
    assert_int_equal(query_int(path, "SELECT count(*) FROM incident_events WHERE run_id = 1"), 1);
    assert_int_equal(query_int(path, "SELECT count(*) FROM pragma_index_list('incidents') "
                                     "WHERE name = 'incidents_by_start'"), 1);
    assert_int_equal(query_int(path, "SELECT count(*) FROM sqlite_master WHERE name LIKE '%_v2'"), 0);
    /* Opening it again (now version 3) changes nothing. */
    s = fw_store_open(path, "batch", "again.csv", "{}", err, sizeof err);
    assert_non_null(s);
    assert_int_equal(fw_store_commit(s, err, sizeof err), 0);
    assert_int_equal(query_int(path, "SELECT count(*) FROM runs"), 3);
}

/* Resuming a run the store never committed (killed between the stream's
 * first checkpoint and its first commit) recreates it under its id; resuming
 * an existing run adds no row. */
static void test_resume_recreates_missing_run(void **state)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/r.db", dir);
    fw_store *s = fw_store_open_run(path, "stream", "in.csv", "{}", true, 7, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(fw_store_run_id(s), 7);
    assert_int_equal(fw_store_commit(s, err, sizeof err), 0);
    assert_int_equal(query_int(path, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(query_int(path, "SELECT run_id FROM runs WHERE mode = 'stream'"), 7);
    s = fw_store_open_run(path, "stream", "in.csv", "{}", true, 7, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(fw_store_commit(s, err, sizeof err), 0);
    assert_int_equal(query_int(path, "SELECT count(*) FROM runs"), 1);
    /* A new run still gets the next id. */
    s = fw_store_open_run(path, "stream", "in.csv", "{}", true, 0, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(fw_store_run_id(s), 8);
    fw_store_abort(s);
}

/* Rows are written in batches of 32: counts off a batch's edge (32, 33,
 * 70), binary raw text, NULLs and reals all arrive exactly, a commit point
 * writes what is held, and an aborted store leaves nothing. */
static void test_batched_rows_exact(void **state)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/b.db", dir);
    fw_store *s = fw_store_open_run(path, "stream", "in.csv", "{}", true, 0, err, sizeof err);
    assert_non_null(s);
    for (int i = 0; i < 33; i++) {
        char raw[8] = {'r', (char)('0' + i % 10), (char)0xff, ',', 'x', '\n', (char)('A' + i % 26), '!'};
        assert_int_equal(fw_store_quarantine(s, (uint64_t)(100 + i), FW_BIT(FW_R_SRC_IP_INVALID),
                                             raw, sizeof raw), 0);
    }
    assert_int_equal(fw_store_commit_point(s, err, sizeof err), 0);
    /* Another process sees all 33 (one full batch and one row held). */
    assert_int_equal(query_int(path, "SELECT count(*) FROM quarantine"), 33);
    assert_int_equal(query_int(path, "SELECT length(raw) FROM quarantine WHERE line=132"), 8);
    assert_int_equal(query_int(path, "SELECT count(*) FROM quarantine WHERE line=132 AND "
                                     "hex(raw)='7232FF2C780A4721'"), 1);
    assert_int_equal(query_int(path, "SELECT count(*) FROM quarantine WHERE reasons='src_ip_invalid'"),
                     33);
    for (int i = 0; i < 70; i++) {
        fw_flow f;
        memset(&f, 0, sizeof f);
        f.ts_us = 1000000 * (int64_t)i;
        fw_addr_set_v4(&f.src, 0x0a000001u + (uint32_t)i);
        fw_addr_set_v4(&f.dst, 0xc0a80001u);
        f.proto = FW_PROTO_TCP;
        f.bytes_sent = 1000 + (uint64_t)i;
        f.response_us = i % 2 ? -1 : 1500 * i;
        f.ttl = (uint8_t)(i % 3 ? 64 : 0);
        if (i % 5)
            memcpy(f.country, "DE", 2);
        f.is_attack = (uint8_t)(i % 3);
        assert_int_equal(fw_store_flow(s, &f), 0);
    }
    assert_int_equal(fw_store_commit(s, err, sizeof err), 0);
    assert_int_equal(query_int(path, "SELECT count(*) FROM flows"), 70);
    assert_int_equal(query_int(path, "SELECT sum(bytes_sent) FROM flows"), 70 * 1000 + 69 * 70 / 2);
    assert_int_equal(query_int(path, "SELECT count(*) FROM flows WHERE response_ms IS NULL"), 35);
    assert_int_equal(query_int(path, "SELECT count(*) FROM flows WHERE typeof(response_ms)='real'"), 35);
    assert_int_equal(query_int(path, "SELECT CAST(response_ms * 10 AS INTEGER) FROM flows "
                                     "WHERE ts_us=68000000"), 1020);
    assert_int_equal(query_int(path, "SELECT count(*) FROM flows WHERE ttl IS NULL"), 24);
    assert_int_equal(query_int(path, "SELECT count(*) FROM flows WHERE country='DE'"), 56);
    assert_int_equal(query_int(path, "SELECT count(*) FROM flows WHERE is_attack IS NULL"), 23);
    assert_int_equal(query_int(path, "SELECT count(*) FROM flows WHERE src='10.0.0.70'"), 1);

    /* Rows held when a store is aborted are not written. */
    s = fw_store_open_run(path, "stream", "in2.csv", "{}", true, 0, err, sizeof err);
    assert_non_null(s);
    for (int i = 0; i < 40; i++)
        assert_int_equal(fw_store_quarantine(s, (uint64_t)i, FW_BIT(FW_R_SRC_IP_INVALID), "z", 1), 0);
    fw_store_abort(s);
    assert_int_equal(query_int(path, "SELECT count(*) FROM quarantine"), 33);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_abort_leaves_nothing_commit_creates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_foreign_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrades_version_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_recreates_missing_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batched_rows_exact, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
