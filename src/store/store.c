/* store.c - the SQLite store (see store.h and docs/schema.md). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/ts.h"
#include "store/store.h"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS runs(\n"
    "  run_id INTEGER PRIMARY KEY, mode TEXT NOT NULL, input TEXT NOT NULL,\n"
    "  started_at TEXT NOT NULL, finished_at TEXT, rows_read INTEGER, accepted INTEGER,\n"
    "  quarantined INTEGER, duplicates INTEGER, late INTEGER,\n"
    "  first_event TEXT, last_event TEXT, extra_columns TEXT, options TEXT);\n"
    "CREATE TABLE IF NOT EXISTS quarantine(\n"
    "  run_id INTEGER NOT NULL, line INTEGER NOT NULL, reasons TEXT NOT NULL, raw TEXT NOT NULL,\n"
    "  PRIMARY KEY(run_id, line)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS dq_counters(\n"
    "  run_id INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, count INTEGER NOT NULL,\n"
    "  PRIMARY KEY(run_id, kind, name)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS agg_minute(\n"
    "  run_id INTEGER NOT NULL, minute TEXT NOT NULL, events INTEGER, bytes INTEGER,\n"
    "  bytes_recv INTEGER, packets INTEGER, syn_only INTEGER, tcp INTEGER, udp INTEGER,\n"
    "  icmp INTEGER, other INTEGER, labelled_attack INTEGER, distinct_src INTEGER,\n"
    "  distinct_dst INTEGER, quarantined INTEGER, duplicates INTEGER, repaired INTEGER,\n"
    "  PRIMARY KEY(run_id, minute)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS agg_minute_dst(\n"
    "  run_id INTEGER NOT NULL, minute TEXT NOT NULL, dst TEXT NOT NULL, events INTEGER,\n"
    "  bytes INTEGER, packets INTEGER, syn_only INTEGER, tcp INTEGER, udp INTEGER,\n"
    "  labelled_attack INTEGER, distinct_src INTEGER, distinct_src_exact INTEGER,\n"
    "  PRIMARY KEY(run_id, minute, dst)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS agg_minute_src(\n"
    "  run_id INTEGER NOT NULL, minute TEXT NOT NULL, src TEXT NOT NULL, events INTEGER,\n"
    "  bytes INTEGER, packets INTEGER, syn_only INTEGER, labelled_attack INTEGER,\n"
    "  PRIMARY KEY(run_id, minute, src)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS flows(\n"
    "  run_id INTEGER NOT NULL, ts_us INTEGER NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL,\n"
    "  src_port INTEGER, dst_port INTEGER, proto INTEGER, bytes_sent INTEGER,\n"
    "  bytes_recv INTEGER, pkts_sent INTEGER, pkts_recv INTEGER, packet_size INTEGER,\n"
    "  tcp_flags INTEGER, ttl INTEGER, response_ms REAL, country TEXT, http_method INTEGER,\n"
    "  http_status INTEGER, label TEXT, is_attack INTEGER);\n"
    "CREATE INDEX IF NOT EXISTS flows_by_time ON flows(run_id, ts_us);\n"
    /* Version 2: incidents. */
    "CREATE TABLE IF NOT EXISTS incidents(\n"
    "  id TEXT NOT NULL, run_id INTEGER NOT NULL, type TEXT NOT NULL, entity TEXT NOT NULL,\n"
    "  victims TEXT NOT NULL, start TEXT NOT NULL, detected_at TEXT NOT NULL, end TEXT,\n"
    "  severity TEXT NOT NULL, rule TEXT NOT NULL, peak_pps REAL, peak_bps REAL,\n"
    "  unique_sources INTEGER, events INTEGER, last_event TEXT NOT NULL, peak_eps REAL,\n"
    "  PRIMARY KEY(run_id, id));\n"
    "CREATE INDEX IF NOT EXISTS incidents_by_start ON incidents(start);\n"
    "CREATE INDEX IF NOT EXISTS incidents_open ON incidents(end) WHERE end IS NULL;\n"
    /* Version 3: geography, ports, incidents' sources and victims. */
    "CREATE TABLE IF NOT EXISTS agg_minute_country(\n"
    "  run_id INTEGER NOT NULL, minute TEXT NOT NULL, country TEXT NOT NULL, events INTEGER,\n"
    "  bytes INTEGER, labelled_attack INTEGER, PRIMARY KEY(run_id, minute, country)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS agg_minute_port(\n"
    "  run_id INTEGER NOT NULL, minute TEXT NOT NULL, proto INTEGER NOT NULL,\n"
    "  dst_port INTEGER NOT NULL, events INTEGER, bytes INTEGER, packets INTEGER,\n"
    "  exact INTEGER, PRIMARY KEY(run_id, minute, proto, dst_port)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS incident_sources(\n"
    "  run_id INTEGER NOT NULL, id TEXT NOT NULL, src TEXT NOT NULL, events INTEGER,\n"
    "  PRIMARY KEY(run_id, id, src)) WITHOUT ROWID;\n"
    "CREATE INDEX IF NOT EXISTS incident_sources_by_src ON incident_sources(src);\n"
    "CREATE TABLE IF NOT EXISTS incident_victims(\n"
    "  run_id INTEGER NOT NULL, id TEXT NOT NULL, dst TEXT NOT NULL,\n"
    "  PRIMARY KEY(run_id, id, dst)) WITHOUT ROWID;\n"
    "CREATE INDEX IF NOT EXISTS incident_victims_by_dst ON incident_victims(dst);\n"
    "CREATE TABLE IF NOT EXISTS incident_events(\n"
    "  id TEXT NOT NULL, event TEXT NOT NULL, event_time TEXT NOT NULL, run_id INTEGER NOT NULL,\n"
    "  json TEXT NOT NULL, PRIMARY KEY(run_id, id, event, event_time)) WITHOUT ROWID;\n";

/* The per-minute tables' secondary indexes.  A new database file is private
 * until it is renamed into place (fw_store_commit), so it gets them only
 * then: SQLite builds an index over existing rows by sorting them, which
 * costs less than keeping it up to date row by row (6% fewer instructions
 * for a whole batch run with the store, callgrind, on 100k seed rows). */
static const char deferred_index_sql[] =
    "CREATE INDEX IF NOT EXISTS agg_minute_dst_by_dst ON agg_minute_dst(dst, minute);\n"
    "CREATE INDEX IF NOT EXISTS agg_minute_src_by_src ON agg_minute_src(src, minute);\n";
/* SQLite's sorter keeps as much in memory as the page cache may hold before
 * it spills to a temporary file; at 8 MiB on top of the cache itself it
 * raised the peak of a 10x batch run from 53 to 61 MiB.  The index build
 * runs with a smaller cache instead. */
static const char deferred_index_cache_sql[] = "PRAGMA cache_size=-2048;";

/* Upserts throughout: a run resumed from a checkpoint rewrites what it wrote
 * after the checkpoint, and must not double it. */
enum { ST_QUAR, ST_MIN, ST_MIN_DST, ST_MIN_SRC, ST_FLOW, ST_DQ, ST_INC, ST_INC_EV, ST_CTRY,
       ST_PORT, ST_INC_SRC_DEL, ST_INC_SRC, ST_INC_VIC, ST_COUNT };
static const char *const stmt_sql[ST_COUNT] = {
    "INSERT OR REPLACE INTO quarantine VALUES(?1,?2,?3,?4)",
    "INSERT OR REPLACE INTO agg_minute(run_id,minute,events,bytes,bytes_recv,packets,syn_only,tcp,"
    "udp,icmp,other,labelled_attack,distinct_src,distinct_dst,quarantined,duplicates,repaired) "
    "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)",
    "INSERT OR REPLACE INTO agg_minute_dst VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
    "INSERT OR REPLACE INTO agg_minute_src VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
    "INSERT INTO flows VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)",
    "INSERT OR REPLACE INTO dq_counters VALUES(?1,?2,?3,?4)",
    "INSERT OR REPLACE INTO incidents VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
    "INSERT OR REPLACE INTO incident_events VALUES(?1,?2,?3,?4,?5)",
    "INSERT OR REPLACE INTO agg_minute_country VALUES(?1,?2,?3,?4,?5,?6)",
    "INSERT OR REPLACE INTO agg_minute_port VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
    "DELETE FROM incident_sources WHERE run_id=?1 AND id=?2",
    "INSERT OR REPLACE INTO incident_sources VALUES(?1,?2,?3,?4)",
    "INSERT OR REPLACE INTO incident_victims VALUES(?1,?2,?3)",
};

/* Rows of one INSERT held until RB_ROWS of them are there, then written by
 * one statement of RB_ROWS rows: per row, SQLite then does a third to a
 * half less work (docs/performance.md).  The per-minute tables, the
 * quarantine and the flows are written this way; whatever is held is
 * written before any commit, and an error shows at the call that wrote the
 * batch. */
#define RB_ROWS 32
#define RB_MAX_COLS 20
enum { RB_NULL, RB_INT, RB_REAL, RB_TEXT };
struct rb_val {
    int type;
    union {
        int64_t i;
        double d;
        struct {
            size_t off, len;
        } t;
    } u;
};
struct rowbuf {
    sqlite3_stmt *multi; /* INSERT of RB_ROWS rows */
    int ncols, n;        /* columns per row; rows held */
    struct rb_val v[RB_ROWS][RB_MAX_COLS];
    char *text;          /* bytes of the held text values */
    size_t tlen, tcap;
};
static const int batched[] = {ST_QUAR, ST_MIN_DST, ST_MIN_SRC, ST_FLOW, ST_CTRY, ST_PORT};
struct fw_store;
static int rowbuf_new(struct fw_store *s, int kind);

struct fw_store {
    sqlite3 *db;
    char *path;      /* final path */
    char *tmp_path;  /* temporary file for a new database, else NULL */
    int64_t run_id;
    int old_version;  /* schema version found, 0 for a new file */
    sqlite3_stmt *st[ST_COUNT];
    struct rowbuf *rb[ST_COUNT]; /* the kinds written in batches, else NULL */
};

const char *fw_store_errmsg(const fw_store *s) { return sqlite3_errmsg(s->db); }

static int exec(fw_store *s, const char *sql, char *err, size_t errn)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errn, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static void free_rowbufs(fw_store *s)
{
    for (int i = 0; i < ST_COUNT; i++) {
        if (!s->rb[i])
            continue;
        sqlite3_finalize(s->rb[i]->multi);
        free(s->rb[i]->text);
        free(s->rb[i]);
        s->rb[i] = NULL;
    }
}

static void close_all(fw_store *s)
{
    free_rowbufs(s);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    free(s->path);
    free(s->tmp_path);
    free(s);
}

/* Check an existing database is ours and of our schema version. */
static int check_version(fw_store *s, char *err, size_t errn)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master", -1, &q, NULL) != SQLITE_OK) {
        snprintf(err, errn, "%s: not a floodwatch database: %s", s->path, sqlite3_errmsg(s->db));
        return -1;
    }
    sqlite3_step(q);
    int ntables = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (ntables == 0)
        return 0; /* empty file: ours to fill */
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key='schema_version'", -1, &q,
                           NULL) != SQLITE_OK) {
        snprintf(err, errn, "%s: not a floodwatch database (it has no meta table)", s->path);
        return -1;
    }
    int rc = sqlite3_step(q);
    int version = rc == SQLITE_ROW ? sqlite3_column_int(q, 0) : -1;
    sqlite3_finalize(q);
    if (version < 1 || version > FW_SCHEMA_VERSION) {
        snprintf(err, errn,
                 "%s: database schema version %d, this floodwatch reads versions 1 to %d; use a "
                 "new --db file",
                 s->path, version, FW_SCHEMA_VERSION);
        return -1;
    }
    s->old_version = version;
    return 0;
}

static bool has_table(fw_store *s, const char *name)
{
    sqlite3_stmt *q;
    bool found = false;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1", -1,
                           &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(q) == SQLITE_ROW;
        sqlite3_finalize(q);
    }
    return found;
}

fw_store *fw_store_open(const char *path, const char *mode, const char *input,
                        const char *options_json, char *err, size_t errn)
{
    return fw_store_open_run(path, mode, input, options_json, false, 0, err, errn);
}

fw_store *fw_store_open_run(const char *path, const char *mode, const char *input,
                            const char *options_json, bool in_place, int64_t resume_run,
                            char *err, size_t errn)
{
    fw_store *s = fw_xcalloc(1, sizeof *s);
    s->path = fw_xstrdup(path);
    struct stat stt;
    bool found = stat(path, &stt) == 0, exists = found || in_place;
    if (found && !S_ISREG(stt.st_mode)) {
        snprintf(err, errn, "%s: not a regular file", path);
        close_all(s);
        return NULL;
    }
    const char *open_path = path;
    if (!exists) {
        size_t n = strlen(path) + 32;
        s->tmp_path = fw_xmalloc(n);
        snprintf(s->tmp_path, n, "%s.tmp-%ld", path, (long)getpid());
        open_path = s->tmp_path;
    }
    if (sqlite3_open_v2(open_path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(err, errn, "%s: cannot open database: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        if (s->tmp_path)
            unlink(s->tmp_path);
        close_all(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 5000);
    if (check_version(s, err, errn))
        goto fail;
    /* A new file is private until the rename, so it needs no journal. */
    if (s->tmp_path && exec(s, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-8192;", err, errn))
        goto fail;
    /* A long-running stream commits at checkpoints; WAL lets readers (query,
     * a dashboard) see committed data meanwhile. */
    if (in_place && exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", err, errn))
        goto fail;
    if (exec(s, "BEGIN IMMEDIATE", err, errn))
        goto fail;
    /* Version 2 keyed incidents by id alone, so runs over the same input
     * overwrote each other's: set the old tables aside, to copy from once
     * schema_sql has made the new ones. */
    bool rebuild_incidents = s->old_version == 2 && has_table(s, "incidents");
    if (rebuild_incidents &&
        exec(s, "DROP INDEX IF EXISTS incidents_by_start; DROP INDEX IF EXISTS incidents_open;"
                "ALTER TABLE incidents RENAME TO incidents_v2;"
                "ALTER TABLE incident_events RENAME TO incident_events_v2;", err, errn))
        goto fail;
    if (exec(s, schema_sql, err, errn) || (!s->tmp_path && exec(s, deferred_index_sql, err, errn)))
        goto fail;
    if (rebuild_incidents &&
        exec(s, "INSERT INTO incidents(id, run_id, type, entity, victims, start, detected_at, end,"
                "  severity, rule, peak_pps, peak_bps, unique_sources, events, last_event)"
                " SELECT * FROM incidents_v2;"
                "INSERT INTO incident_events SELECT * FROM incident_events_v2;"
                "DROP TABLE incidents_v2; DROP TABLE incident_events_v2;", err, errn))
        goto fail;
    /* Upgrade: schema_sql creates what a version added as new tables and
     * indexes; columns added to existing tables need ALTER TABLE. */
    if (s->old_version && s->old_version < 3 &&
        exec(s, "ALTER TABLE agg_minute ADD COLUMN quarantined INTEGER;"
                "ALTER TABLE agg_minute ADD COLUMN duplicates INTEGER;"
                "ALTER TABLE agg_minute ADD COLUMN repaired INTEGER;", err, errn))
        goto fail;
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta VALUES('schema_version','%d')",
             FW_SCHEMA_VERSION);
    if (exec(s, sql, err, errn))
        goto fail;
    if (s->old_version && s->old_version < FW_SCHEMA_VERSION)
        fw_info("%s: upgraded the schema from version %d to %d", path, s->old_version,
                FW_SCHEMA_VERSION);
    for (int i = 0; i < ST_COUNT; i++)
        if (sqlite3_prepare_v2(s->db, stmt_sql[i], -1, &s->st[i], NULL) != SQLITE_OK) {
            snprintf(err, errn, "%s: %s", path, sqlite3_errmsg(s->db));
            goto fail;
        }
    for (size_t i = 0; i < sizeof batched / sizeof *batched; i++)
        if (rowbuf_new(s, batched[i])) {
            snprintf(err, errn, "%s: %s", path, sqlite3_errmsg(s->db));
            goto fail;
        }
    /* A resumed run may be missing: its first checkpoint is written before
     * the store's first commit (see cli_stream.c), so recreate it then. */
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT OR IGNORE INTO runs(run_id,mode,input,started_at,options) "
                           "VALUES(?4,?1,?2,strftime('%Y-%m-%dT%H:%M:%SZ','now'),?3)",
                           -1, &q, NULL) != SQLITE_OK) {
        snprintf(err, errn, "%s: %s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    sqlite3_bind_text(q, 1, mode, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, input, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, options_json, -1, SQLITE_STATIC);
    if (resume_run > 0)
        sqlite3_bind_int64(q, 4, resume_run);
    else
        sqlite3_bind_null(q, 4);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        snprintf(err, errn, "%s: %s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    if (resume_run > 0) {
        s->run_id = resume_run;
        return s;
    }
    s->run_id = sqlite3_last_insert_rowid(s->db);
    return s;
fail:
    fw_store_abort(s);
    return NULL;
}

int64_t fw_store_run_id(const fw_store *s) { return s->run_id; }

static int step(fw_store *s, sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The batch statement of a kind: its one-row SQL up to "VALUES", then
 * RB_ROWS groups of plain '?' (numbered in order by SQLite). */
static int rowbuf_new(fw_store *s, int kind)
{
    struct rowbuf *rb = fw_xcalloc(1, sizeof *rb);
    s->rb[kind] = rb;
    rb->ncols = sqlite3_bind_parameter_count(s->st[kind]);
    const char *values = strstr(stmt_sql[kind], "VALUES(");
    if (!values || rb->ncols < 1 || rb->ncols > RB_MAX_COLS)
        return -1; /* not a plain INSERT: a mistake in stmt_sql */
    size_t head = (size_t)(values - stmt_sql[kind]) + strlen("VALUES");
    size_t cap = head + RB_ROWS * (2 * (size_t)rb->ncols + 2) + 1;
    char *sql = fw_xmalloc(cap), *p = sql + head;
    memcpy(sql, stmt_sql[kind], head);
    for (int r = 0; r < RB_ROWS; r++) {
        *p++ = r ? ',' : ' ';
        *p++ = '(';
        for (int c = 0; c < rb->ncols; c++) {
            *p++ = c ? ',' : '?';
            if (c)
                *p++ = '?';
        }
        *p++ = ')';
    }
    *p = 0;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &rb->multi, NULL);
    free(sql);
    return rc == SQLITE_OK ? 0 : -1;
}

static void bind_val(sqlite3_stmt *q, int at, const struct rowbuf *rb, const struct rb_val *v)
{
    switch (v->type) {
    case RB_INT: sqlite3_bind_int64(q, at, v->u.i); break;
    case RB_REAL: sqlite3_bind_double(q, at, v->u.d); break;
    case RB_TEXT: /* empty text is '', never NULL, even before any bytes were held */
        sqlite3_bind_text(q, at, v->u.t.len ? rb->text + v->u.t.off : "", (int)v->u.t.len,
                          SQLITE_STATIC);
        break;
    default: sqlite3_bind_null(q, at); break;
    }
}

/* Write the rows held for a kind: whole batches by the batch statement, the
 * rest one by one.  0, or -1 (sqlite3_errmsg says why). */
static int rowbuf_flush(fw_store *s, int kind)
{
    struct rowbuf *rb = s->rb[kind];
    int rc = 0;
    if (rb->n == RB_ROWS) {
        for (int r = 0; r < RB_ROWS; r++)
            for (int c = 0; c < rb->ncols; c++)
                bind_val(rb->multi, r * rb->ncols + c + 1, rb, &rb->v[r][c]);
        rc = step(s, rb->multi);
    } else {
        for (int r = 0; r < rb->n && !rc; r++) {
            for (int c = 0; c < rb->ncols; c++)
                bind_val(s->st[kind], c + 1, rb, &rb->v[r][c]);
            rc = step(s, s->st[kind]);
        }
    }
    rb->n = 0;
    rb->tlen = 0;
    return rc;
}

static int flush_rows(fw_store *s)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof batched / sizeof *batched; i++)
        if (s->rb[batched[i]] && s->rb[batched[i]]->n && rowbuf_flush(s, batched[i]))
            rc = -1;
    return rc;
}

/* Values of the next row of a kind, by column (1-based, as in SQL). */
static struct rb_val *rb_cols(fw_store *s, int kind) { return s->rb[kind]->v[s->rb[kind]->n] - 1; }

static void rb_int(struct rb_val *v, int64_t i)
{
    v->type = RB_INT;
    v->u.i = i;
}

static void rb_real(struct rb_val *v, double d)
{
    v->type = RB_REAL;
    v->u.d = d;
}

static void rb_null(struct rb_val *v) { v->type = RB_NULL; }

static void rb_text(fw_store *s, int kind, struct rb_val *v, const char *p, size_t n)
{
    struct rowbuf *rb = s->rb[kind];
    if (rb->tlen + n > rb->tcap) {
        rb->tcap = 2 * (rb->tlen + n) + 4096;
        rb->text = fw_xrealloc(rb->text, rb->tcap);
    }
    if (n)
        memcpy(rb->text + rb->tlen, p, n);
    v->type = RB_TEXT;
    v->u.t.off = rb->tlen;
    v->u.t.len = n;
    rb->tlen += n;
}

/* The row is complete: write the batch if it is full. */
static int rb_row_done(fw_store *s, int kind)
{
    return ++s->rb[kind]->n == RB_ROWS ? rowbuf_flush(s, kind) : 0;
}

int fw_store_quarantine(fw_store *s, uint64_t line, fw_faults reasons, const char *raw,
                        size_t raw_n)
{
    char why[512];
    fw_faults_format(reasons, why, sizeof why);
    struct rb_val *v = rb_cols(s, ST_QUAR);
    rb_int(&v[1], s->run_id);
    rb_int(&v[2], (int64_t)line);
    rb_text(s, ST_QUAR, &v[3], why, strlen(why));
    /* Raw bytes may not be UTF-8 (binary garbage); keep them as they were. */
    rb_text(s, ST_QUAR, &v[4], raw, raw_n);
    return rb_row_done(s, ST_QUAR);
}

static void bind_counts(sqlite3_stmt *q, int at, const fw_counts *c)
{
    sqlite3_bind_int64(q, at, (sqlite3_int64)c->events);
    sqlite3_bind_int64(q, at + 1, (sqlite3_int64)c->bytes);
}

int fw_store_minute(fw_store *s, const fw_minute *m)
{
    char minute[FW_TS_BUFSZ];
    fw_ts_format(m->start_us, minute, 0);
    sqlite3_stmt *q = s->st[ST_MIN];
    const fw_counts *g = &m->global;
    sqlite3_bind_int64(q, 1, s->run_id);
    sqlite3_bind_text(q, 2, minute, -1, SQLITE_STATIC);
    bind_counts(q, 3, g);
    sqlite3_bind_int64(q, 5, (sqlite3_int64)g->bytes_recv);
    sqlite3_bind_int64(q, 6, (sqlite3_int64)g->packets);
    sqlite3_bind_int64(q, 7, (sqlite3_int64)g->syn_only);
    sqlite3_bind_int64(q, 8, (sqlite3_int64)g->tcp);
    sqlite3_bind_int64(q, 9, (sqlite3_int64)g->udp);
    sqlite3_bind_int64(q, 10, (sqlite3_int64)g->icmp);
    sqlite3_bind_int64(q, 11, (sqlite3_int64)g->other);
    sqlite3_bind_int64(q, 12, (sqlite3_int64)g->labelled);
    sqlite3_bind_int64(q, 13, (sqlite3_int64)fw_minute_sources(m));
    sqlite3_bind_int64(q, 14, (sqlite3_int64)fw_minute_dests(m));
    sqlite3_bind_int64(q, 15, (sqlite3_int64)m->quality.quarantined);
    sqlite3_bind_int64(q, 16, (sqlite3_int64)m->quality.duplicates);
    sqlite3_bind_int64(q, 17, (sqlite3_int64)g->repaired);
    if (step(s, q))
        return -1;
    size_t mlen = strlen(minute);
    if (m->countries) {
        for (unsigned c = 0; c < FW_COUNTRY_SLOTS; c++) {
            const fw_country_counts *cc = &m->countries[c];
            if (!cc->events)
                continue;
            char code[3] = {0};
            if (c != FW_COUNTRY_UNKNOWN) {
                code[0] = (char)('A' + c / 26);
                code[1] = (char)('A' + c % 26);
            }
            struct rb_val *v = rb_cols(s, ST_CTRY);
            rb_int(&v[1], s->run_id);
            rb_text(s, ST_CTRY, &v[2], minute, mlen);
            rb_text(s, ST_CTRY, &v[3], code, strlen(code));
            rb_int(&v[4], (int64_t)cc->events);
            rb_int(&v[5], (int64_t)cc->bytes);
            rb_int(&v[6], (int64_t)cc->labelled);
            if (rb_row_done(s, ST_CTRY))
                return -1;
        }
    }
    fw_port_row top[FW_MINUTE_PORTS];
    size_t ntop = fw_port_table_top(&m->ports, top, FW_MINUTE_PORTS);
    int complete = fw_port_table_complete(&m->ports);
    for (size_t i = 0; i < ntop; i++) {
        struct rb_val *v = rb_cols(s, ST_PORT);
        rb_int(&v[1], s->run_id);
        rb_text(s, ST_PORT, &v[2], minute, mlen);
        rb_int(&v[3], top[i].proto);
        rb_int(&v[4], top[i].port);
        rb_int(&v[5], (int64_t)top[i].c.events);
        rb_int(&v[6], (int64_t)top[i].c.bytes);
        rb_int(&v[7], (int64_t)top[i].c.packets);
        rb_int(&v[8], complete);
        if (rb_row_done(s, ST_PORT))
            return -1;
    }

    char addr[FW_ADDR_STRLEN];
    size_t it = 0;
    const fw_addr *key;
    const fw_minute_dst *d;
    while ((d = fw_amap_next(&m->dst, &it, &key))) {
        fw_addr_format(key, addr);
        struct rb_val *v = rb_cols(s, ST_MIN_DST);
        rb_int(&v[1], s->run_id);
        rb_text(s, ST_MIN_DST, &v[2], minute, mlen);
        rb_text(s, ST_MIN_DST, &v[3], addr, strlen(addr));
        rb_int(&v[4], (int64_t)d->c.events);
        rb_int(&v[5], (int64_t)d->c.bytes);
        rb_int(&v[6], (int64_t)d->c.packets);
        rb_int(&v[7], (int64_t)d->c.syn_only);
        rb_int(&v[8], (int64_t)d->c.tcp);
        rb_int(&v[9], (int64_t)d->c.udp);
        rb_int(&v[10], (int64_t)d->c.labelled);
        rb_int(&v[11], (int64_t)fw_distinct_count(&d->sources));
        rb_int(&v[12], fw_distinct_is_exact(&d->sources));
        if (rb_row_done(s, ST_MIN_DST))
            return -1;
    }
    it = 0;
    const fw_counts *c;
    while ((c = fw_amap_next(&m->src, &it, &key))) {
        fw_addr_format(key, addr);
        struct rb_val *v = rb_cols(s, ST_MIN_SRC);
        rb_int(&v[1], s->run_id);
        rb_text(s, ST_MIN_SRC, &v[2], minute, mlen);
        rb_text(s, ST_MIN_SRC, &v[3], addr, strlen(addr));
        rb_int(&v[4], (int64_t)c->events);
        rb_int(&v[5], (int64_t)c->bytes);
        rb_int(&v[6], (int64_t)c->packets);
        rb_int(&v[7], (int64_t)c->syn_only);
        rb_int(&v[8], (int64_t)c->labelled);
        if (rb_row_done(s, ST_MIN_SRC))
            return -1;
    }
    return 0;
}

int fw_store_flow(fw_store *s, const fw_flow *f)
{
    char src[FW_ADDR_STRLEN], dst[FW_ADDR_STRLEN];
    fw_addr_format(&f->src, src);
    fw_addr_format(&f->dst, dst);
    struct rb_val *v = rb_cols(s, ST_FLOW);
    rb_int(&v[1], s->run_id);
    rb_int(&v[2], f->ts_us);
    rb_text(s, ST_FLOW, &v[3], src, strlen(src));
    rb_text(s, ST_FLOW, &v[4], dst, strlen(dst));
    rb_int(&v[5], f->src_port);
    rb_int(&v[6], f->dst_port);
    rb_int(&v[7], f->proto);
    rb_int(&v[8], (int64_t)f->bytes_sent);
    rb_int(&v[9], (int64_t)f->bytes_recv);
    rb_int(&v[10], f->pkts_sent);
    rb_int(&v[11], f->pkts_recv);
    rb_int(&v[12], f->packet_size);
    rb_int(&v[13], f->tcp_flags);
    if (f->ttl)
        rb_int(&v[14], f->ttl);
    else
        rb_null(&v[14]);
    if (f->response_us >= 0)
        rb_real(&v[15], f->response_us / 1000.0);
    else
        rb_null(&v[15]);
    if (f->country[0])
        rb_text(s, ST_FLOW, &v[16], f->country, 2);
    else
        rb_null(&v[16]);
    rb_int(&v[17], f->http_method);
    if (f->http_status)
        rb_int(&v[18], f->http_status);
    else
        rb_null(&v[18]);
    const char *label = fw_label_name(f->label);
    rb_text(s, ST_FLOW, &v[19], label, strlen(label));
    if (f->is_attack <= 1)
        rb_int(&v[20], f->is_attack);
    else
        rb_null(&v[20]);
    return rb_row_done(s, ST_FLOW);
}

static int dq(fw_store *s, const char *kind, const char *name, uint64_t n)
{
    sqlite3_stmt *q = s->st[ST_DQ];
    sqlite3_bind_int64(q, 1, s->run_id);
    sqlite3_bind_text(q, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, (sqlite3_int64)n);
    return step(s, q);
}

int fw_store_finish_run(fw_store *s, const fw_clean_stats *st, const uint64_t empty[FW_COL_COUNT],
                        const fw_seed_schema *schema, int64_t first_us, int64_t last_us,
                        uint64_t blank_lines)
{
    int rc = flush_rows(s);
    for (unsigned r = 0; r < FW_R_COUNT; r++)
        if (st->by_reason[r])
            rc |= dq(s, fw_reason_kind(r) == FW_KIND_QUARANTINE ? "quarantine" : "repair",
                     fw_reason_name(r), st->by_reason[r]);
    rc |= dq(s, "rows", "read", st->rows_read);
    rc |= dq(s, "rows", "accepted", st->accepted);
    rc |= dq(s, "rows", "quarantined", st->quarantined);
    rc |= dq(s, "rows", "duplicates", st->duplicates);
    rc |= dq(s, "rows", "late", st->late);
    rc |= dq(s, "rows", "blank_lines", blank_lines);
    for (unsigned c = 0; c < FW_COL_COUNT; c++)
        if (schema->idx[c] >= 0 && empty[c])
            rc |= dq(s, "empty_field", fw_col_name(c), empty[c]);
    if (rc)
        return -1;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db,
                           "UPDATE runs SET finished_at=strftime('%Y-%m-%dT%H:%M:%SZ','now'),"
                           "rows_read=?2, accepted=?3, quarantined=?4, duplicates=?5, late=?6,"
                           "first_event=?7, last_event=?8, extra_columns=?9 WHERE run_id=?1",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    char a[FW_TS_BUFSZ], b[FW_TS_BUFSZ];
    sqlite3_bind_int64(q, 1, s->run_id);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)st->rows_read);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)st->accepted);
    sqlite3_bind_int64(q, 4, (sqlite3_int64)st->quarantined);
    sqlite3_bind_int64(q, 5, (sqlite3_int64)st->duplicates);
    sqlite3_bind_int64(q, 6, (sqlite3_int64)st->late);
    if (st->accepted) {
        fw_ts_format(first_us, a, 1);
        fw_ts_format(last_us, b, 1);
        sqlite3_bind_text(q, 7, a, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 8, b, -1, SQLITE_STATIC);
    }
    sqlite3_bind_text(q, 9, schema->extra, -1, SQLITE_STATIC);
    rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(q);
    return rc;
}

int fw_store_incident(fw_store *s, json_t *ev)
{
    const char *id = json_string_value(json_object_get(ev, "id"));
    const char *what = json_string_value(json_object_get(ev, "event"));
    const char *at = json_string_value(json_object_get(ev, "event_time"));
    if (!at)
        at = json_string_value(json_object_get(ev, "detected_at"));
    char *text = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    char *victims = json_dumps(json_object_get(ev, "victims"), JSON_COMPACT);
    sqlite3_stmt *q = s->st[ST_INC];
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, s->run_id);
    static const char *const cols[] = {"type", "entity", NULL, "start", "detected_at", "end",
                                       "severity", "rule"};
    for (int i = 0; i < 8; i++) {
        if (i == 2) {
            sqlite3_bind_text(q, 5, victims, -1, SQLITE_STATIC);
            continue;
        }
        const char *v = json_string_value(json_object_get(ev, cols[i]));
        if (v)
            sqlite3_bind_text(q, 3 + i, v, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(q, 3 + i);
    }
    sqlite3_bind_double(q, 11, json_number_value(json_object_get(ev, "peak_pps")));
    sqlite3_bind_double(q, 12, json_number_value(json_object_get(ev, "peak_bps")));
    sqlite3_bind_int64(q, 13, json_integer_value(json_object_get(ev, "unique_sources")));
    sqlite3_bind_int64(q, 14, json_integer_value(json_object_get(ev, "events")));
    sqlite3_bind_text(q, 15, text, -1, SQLITE_STATIC);
    sqlite3_bind_double(q, 16, json_number_value(json_object_get(ev, "peak_eps")));
    int rc = step(s, q);
    q = s->st[ST_INC_EV];
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, what, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, s->run_id);
    sqlite3_bind_text(q, 5, text, -1, SQLITE_STATIC);
    rc |= step(s, q);
    /* Sources (the event's top sources replace the last ones) and victims. */
    q = s->st[ST_INC_SRC_DEL];
    sqlite3_bind_int64(q, 1, s->run_id);
    sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
    rc |= step(s, q);
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(ev, "top_sources"), i, v) {
        q = s->st[ST_INC_SRC];
        sqlite3_bind_int64(q, 1, s->run_id);
        sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, json_string_value(json_object_get(v, "ip")), -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 4, json_integer_value(json_object_get(v, "events")));
        rc |= step(s, q);
    }
    json_array_foreach(json_object_get(ev, "victims"), i, v) {
        q = s->st[ST_INC_VIC];
        sqlite3_bind_int64(q, 1, s->run_id);
        sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, json_string_value(v), -1, SQLITE_STATIC);
        rc |= step(s, q);
    }
    free(text);
    free(victims);
    return rc;
}

int fw_store_commit_point(fw_store *s, char *err, size_t errn)
{
    if (flush_rows(s)) {
        snprintf(err, errn, "%s: cannot write: %s", s->path, sqlite3_errmsg(s->db));
        return -1;
    }
    if (exec(s, "COMMIT", err, errn))
        return -1;
    return exec(s, "BEGIN IMMEDIATE", err, errn);
}

static int fsync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int fw_store_commit(fw_store *s, char *err, size_t errn)
{
    if (flush_rows(s)) {
        snprintf(err, errn, "%s: cannot write: %s", s->path, sqlite3_errmsg(s->db));
        fw_store_abort(s);
        return -1;
    }
    if ((s->tmp_path && (exec(s, deferred_index_cache_sql, err, errn) ||
                         exec(s, deferred_index_sql, err, errn))) ||
        exec(s, "COMMIT", err, errn)) {
        fw_store_abort(s);
        return -1;
    }
    free_rowbufs(s);
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(s->st[i]);
        s->st[i] = NULL;
    }
    if (sqlite3_close(s->db) != SQLITE_OK) {
        snprintf(err, errn, "%s: cannot close database", s->path);
        s->db = NULL;
        fw_store_abort(s);
        return -1;
    }
    s->db = NULL;
    if (s->tmp_path) {
        if (fsync_path(s->tmp_path, O_RDONLY) || rename(s->tmp_path, s->path)) {
            snprintf(err, errn, "%s: cannot move the new database into place: %s", s->path,
                     strerror(errno));
            unlink(s->tmp_path);
            close_all(s);
            return -1;
        }
        char *dir = fw_xstrdup(s->path);
        fsync_path(dirname(dir), O_RDONLY | O_DIRECTORY);
        free(dir);
    }
    close_all(s);
    return 0;
}

void fw_store_abort(fw_store *s)
{
    if (!s)
        return;
    if (s->db && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    free_rowbufs(s);
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(s->st[i]);
        s->st[i] = NULL;
    }
    sqlite3_close(s->db);
    s->db = NULL;
    if (s->tmp_path)
        unlink(s->tmp_path);
    close_all(s);
}
