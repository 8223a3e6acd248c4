/*
 * test_report.c - the analyst's report (report/report.h).
 *
 * Each test builds a small database with the store itself (fw_store_open
 * writes the schema and the run; fw_store_quarantine and fw_store_incident
 * write hostile rows the way batch and stream do) and then inserts known
 * minute aggregates with SQL, renders the report into memory and looks for
 * the numbers each section must show.  The run (times after
 * 2026-01-01T00:00:00Z):
 *   events   00:00 100 (10 SYN-only), 00:15 5000 (4900 SYN-only, 4800
 *            labelled), 00:16 4000 (3900, 3800), 01:30 123: 9,223 events;
 *   accounting 1000 read = 900 accepted + 60 quarantined + 30 duplicates
 *            + 10 late; span 00:00:05 to 01:59:30;
 *   episodes #1 syn_flood on a hostile entity, 00:15:00-00:17:00, 9000
 *            events; #2 udp_flood 01:30:00, still open (to 01:59:30), 1000
 *            events: average length (120 + 1770) / 2 = 945 s, average
 *            events 5,000;
 *   top      source 203.0.113.9 4321 events, destination 10.0.1.3 8765,
 *            countries US 5000 (4700 labelled) and '' 1000 (50 labelled);
 *   quality  src_ip_invalid 40, timestamp_missing 25, repair
 *            packet_size_from_bytes 7, empty country 333; one quarantined
 *            row whose raw text is an HTML attack with a control byte and a
 *            byte that is not UTF-8.
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
#include <jansson.h>
#include <sqlite3.h>

#include "report/report.h"
#include "store/store.h"

#define HOSTILE_ENTITY "10.0.1.0/24<script>alert(1)</script>&\"'"
#define HOSTILE_RAW "<script>alert(\"x\")</script>,&amp; 'q'\x01\xff,<img src=x onerror=alert(2)>"

struct fixture {
    char dir[64];
    char db[128];
};

/* Fixtures are found from the repository root (make unit) or build/tests. */
static const char *data(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "tests/data/%s", name);
    if (access(buf, R_OK))
        snprintf(buf, sizeof buf, "../../tests/data/%s", name);
    return buf;
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

static void incident(fw_store *s, const char *json)
{
    json_error_t je;
    json_t *ev = json_loads(json, 0, &je);
    if (!ev)
        fail_msg("bad fixture JSON: %s", je.text);
    assert_int_equal(fw_store_incident(s, ev), 0);
    json_decref(ev);
}

/* The run described at the top of the file. */
static void make_db(struct fixture *f)
{
    char err[512];
    fw_store *s = fw_store_open(f->db, "batch", "traffic.csv", "{}", err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    assert_int_equal(fw_store_quarantine(s, 17, 0, HOSTILE_RAW, sizeof HOSTILE_RAW - 1), 0);
    incident(s, "{\"event\":\"start\",\"id\":\"a1\",\"type\":\"syn_flood\",\"entity\":"
                "\"10.0.1.0/24<script>alert(1)</script>&\\\"'\",\"victims\":[\"10.0.1.3\"],"
                "\"start\":\"2026-01-01T00:15:00Z\",\"detected_at\":\"2026-01-01T00:15:02Z\","
                "\"end\":null,\"severity\":\"high\",\"rule\":\"syn_flood\",\"peak_pps\":300.0,"
                "\"peak_bps\":1000.0,\"unique_sources\":100,\"events\":10,"
                "\"top_sources\":[{\"ip\":\"203.0.113.9\",\"events\":16}]}");
    incident(s, "{\"event\":\"end\",\"id\":\"a1\",\"type\":\"syn_flood\",\"entity\":"
                "\"10.0.1.0/24<script>alert(1)</script>&\\\"'\",\"victims\":[\"10.0.1.3\"],"
                "\"start\":\"2026-01-01T00:15:00Z\",\"detected_at\":\"2026-01-01T00:15:02Z\","
                "\"event_time\":\"2026-01-01T00:17:20Z\","
                "\"end\":\"2026-01-01T00:17:00Z\",\"severity\":\"high\",\"rule\":\"syn_flood\","
                "\"peak_pps\":412.5,\"peak_bps\":171200.0,\"unique_sources\":486,"
                "\"events\":9000,\"top_sources\":[{\"ip\":\"203.0.113.9\",\"events\":160},"
                "{\"ip\":\"198.51.100.7\",\"events\":80}]}");
    incident(s, "{\"event\":\"start\",\"id\":\"b2\",\"type\":\"udp_flood\",\"entity\":"
                "\"10.0.2.0/24\",\"victims\":[\"10.0.2.1\",\"10.0.2.2\"],"
                "\"start\":\"2026-01-01T01:30:00Z\",\"detected_at\":\"2026-01-01T01:30:03Z\","
                "\"end\":null,\"severity\":\"critical\",\"rule\":\"udp_flood\","
                "\"peak_pps\":99.0,\"peak_bps\":5000.0,\"unique_sources\":12,\"events\":1000,"
                "\"top_sources\":[{\"ip\":\"203.0.113.9\",\"events\":32}]}");
    if (fw_store_commit(s, err, sizeof err))
        fail_msg("%s", err);
    exec_sql(f->db,
             "UPDATE runs SET rows_read=1000, accepted=900, quarantined=60, duplicates=30, "
             "late=10, first_event='2026-01-01T00:00:05.000000Z', "
             "last_event='2026-01-01T01:59:30.000000Z', finished_at='2026-02-01T10:00:00Z';"
             "INSERT INTO agg_minute(run_id,minute,events,bytes,syn_only,labelled_attack,"
             "quarantined,duplicates,repaired) VALUES"
             "(1,'2026-01-01T00:00:00Z',100,10000,10,0,3,1,2),"
             "(1,'2026-01-01T00:15:00Z',5000,250000,4900,4800,20,10,0),"
             "(1,'2026-01-01T00:16:00Z',4000,200000,3900,3800,7,4,1),"
             "(1,'2026-01-01T01:30:00Z',123,12300,0,0,0,15,4);"
             "INSERT INTO agg_minute_src VALUES(1,'2026-01-01T00:15:00Z','203.0.113.9',4321,"
             "200000,4321,4300,4321),(1,'2026-01-01T00:15:00Z','192.0.2.1',12,600,12,0,0);"
             "INSERT INTO agg_minute_dst VALUES(1,'2026-01-01T00:15:00Z','10.0.1.3',8765,1,2,3,"
             "4,5,8000,486,1);"
             "INSERT INTO agg_minute_country VALUES(1,'2026-01-01T00:15:00Z','US',5000,1,4700),"
             "(1,'2026-01-01T00:15:00Z','',1000,1,50);"
             "INSERT INTO dq_counters VALUES(1,'quarantine','src_ip_invalid',40),"
             "(1,'quarantine','timestamp_missing',25),(1,'repair','packet_size_from_bytes',7),"
             "(1,'empty_field','country',333),(1,'rows','blank_lines',0);");
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/fw-test-report-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->db, sizeof f->db, "%s/r.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (getenv("KEEPDB")) /* keep the fixture, for a look with sqlite3 */
        fprintf(stderr, "kept %s\n", f->dir);
    else if (system(cmd))
        return -1;
    free(f);
    return 0;
}

/* Render a report of the fixture into a string (caller frees). */
static char *render(const char *db, int64_t run, const char *labels, fw_report_format fmt)
{
    char err[1024] = "";
    fw_report_opts o = {.db_path = db, .run_id = run, .labels_path = labels};
    fw_report *r = fw_report_load(&o, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    assert_int_equal(fw_report_write(r, fmt, m), 0);
    fclose(m);
    fw_report_free(r);
    return buf;
}

#define assert_has(text, needle)                                                                   \
    do {                                                                                           \
        if (!strstr((text), (needle)))                                                             \
            fail_msg("missing: %s", (needle));                                                     \
    } while (0)

#define assert_lacks(text, needle)                                                                 \
    do {                                                                                           \
        if (strstr((text), (needle)))                                                              \
            fail_msg("unexpected: %s", (needle));                                                  \
    } while (0)

/* The text of the HTML section with this id, for looking at one section. */
static char *section(const char *html, const char *id)
{
    char open[64];
    snprintf(open, sizeof open, "<section id=\"%s\">", id);
    const char *s = strstr(html, open);
    if (!s)
        fail_msg("no section %s", id);
    const char *e = strstr(s, "</section>");
    assert_non_null(e);
    return strndup(s, (size_t)(e - s));
}

static void count_is(const char *text, const char *needle, size_t want)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    if (n != want)
        fail_msg("%zu times %s, want %zu", n, needle, want);
}

static void test_html_sections(void **state)
{
    struct fixture *f = *state;
    make_db(f);
    char *html = render(f->db, 0, NULL, FW_REPORT_HTML);
    assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    assert_has(html, "</html>\n");
    /* Self-contained: no script, nothing fetched, a policy that forbids both. */
    assert_lacks(html, "<script");
    assert_lacks(html, "src=\"http");
    assert_lacks(html, "href=\"http");
    assert_has(html, "Content-Security-Policy\" content=\"default-src 'none'");

    char *s = section(html, "run");
    assert_has(s, "traffic.csv");
    assert_has(s, ">1,000<"); /* rows read */
    assert_has(s, ">900<");
    assert_has(s, ">60<");
    assert_has(s, ">30<");
    assert_has(s, ">10<");
    assert_has(s, "Every row is accounted for");
    assert_has(s, "2026-01-01 00:00:05 to 2026-01-01 01:59:30");
    free(s);

    s = section(html, "traffic");
    assert_has(s, "9,223 events");
    assert_has(s, "the busiest minute, 00:15:00, had 5,000 events");
    assert_has(s, "8,810 events (95.52%) are SYN-only");
    assert_has(s, "data-chart=\"traffic\"");
    count_is(s, "<rect class=\"band\"", 2);
    assert_has(s, ">#1 syn_flood</text>");
    assert_has(s, ">#2 udp_flood</text>");
    assert_has(s, "<td>2026-01-01 00:00</td><td class=\"n\">9,100</td>"); /* first hour */
    free(s);

    s = section(html, "episodes");
    assert_has(s, "syn_flood");
    assert_has(s, "00:15:00");
    assert_has(s, "00:17:00");
    assert_has(s, ">2 min<");       /* duration */
    assert_has(s, ">412.5<");       /* peak pps */
    assert_has(s, ">486<");         /* unique sources */
    assert_has(s, ">9,000<");       /* events */
    assert_has(s, "sev-critical");
    assert_has(s, ">open<");        /* the udp flood never ended */
    assert_has(s, "data-chart=\"types-count\"");
    assert_has(s, "data-chart=\"types-duration\"");
    assert_has(s, "data-chart=\"types-volume\"");
    free(s);

    s = section(html, "top");
    assert_has(s, "<td>203.0.113.9</td><td class=\"n\">4,321</td>");
    assert_has(s, "<td>10.0.1.3</td><td class=\"n\">8,765</td>");
    /* By episodes: 203.0.113.9 took part in both. */
    assert_has(s, "<td>203.0.113.9</td><td class=\"n\">2</td><td class=\"n\">192</td>");
    assert_has(s, "<td>10.0.1.3</td><td class=\"n\">1</td>");
    assert_has(s, "data-chart=\"top-sources\"");
    free(s);

    s = section(html, "geo");
    assert_has(s, "<td>US</td><td class=\"n\">5,000</td>");
    assert_has(s, "<td>unknown</td><td class=\"n\">1,000</td>");
    assert_has(s, "data-chart=\"countries\"");
    free(s);

    s = section(html, "quality");
    assert_has(s, "<td>src_ip_invalid</td><td class=\"n\">40</td>");
    assert_has(s, "<td>timestamp_missing</td><td class=\"n\">25</td>");
    assert_has(s, "<td>packet_size_from_bytes</td><td class=\"n\">7</td>");
    assert_has(s, "<td>country</td><td class=\"n\">333</td>");
    /* Per hour: 00h quarantined 30, duplicates 15, repaired 3. */
    assert_has(s, "<td class=\"n\">30</td><td class=\"n\">15</td><td class=\"n\">3</td>");
    assert_has(s, "data-chart=\"quality-hourly\"");
    free(s);

    s = section(html, "kpi");
    assert_has(s, "attacks per hour</div><div class=\"v\">1.00<");
    assert_has(s, "average attack length</div><div class=\"v\">15 min 45 s<");
    assert_has(s, "average events per attack</div><div class=\"v\">5,000<");
    assert_has(s, "top attack location</div><div class=\"v\">US<");
    assert_has(s, "data-chart=\"attacks-per-hour\"");
    free(s);

    s = section(html, "eval");
    assert_has(s, "needs the labelled traffic log");
    free(s);
    free(html);
}

static void test_html_escapes_data(void **state)
{
    struct fixture *f = *state;
    make_db(f);
    char *html = render(f->db, 0, NULL, FW_REPORT_HTML);
    /* Nothing from the data opens a tag or breaks an attribute. */
    assert_lacks(html, "<script");
    assert_lacks(html, "<img");
    assert_lacks(html, "alert(1)</");
    /* The quarantined line, escaped, with its odd bytes shown as \xNN. */
    assert_has(html, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;,&amp;amp; "
                     "&#39;q&#39;\\x01\\xFF,&lt;img src=x onerror=alert(2)&gt;");
    /* The entity in the episode table and in the chart's band tooltip. */
    assert_has(html, "<td>10.0.1.0/24&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;</td>");
    assert_has(html, "#1 syn_flood on 10.0.1.0/24&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;");
    /* Tooltip lines are broken by real newlines, not escaped ones. */
    assert_lacks(html, "\\x0A");
    /* Valid UTF-8 passes through: the chart titles use an en dash. */
    assert_has(html, "\xE2\x80\x93");
    free(html);
}

static void test_markdown(void **state)
{
    struct fixture *f = *state;
    make_db(f);
    char *md = render(f->db, 0, NULL, FW_REPORT_MD);
    assert_true(strncmp(md, "# DDoS analysis report\n", 23) == 0);
    /* No markup at all: every < is escaped. */
    for (const char *p = strchr(md, '<'); p; p = strchr(p + 1, '<'))
        if (p == md || p[-1] != '\\')
            fail_msg("unescaped <: %.40s", p);
    assert_has(md, "Charts are in the HTML report");
    const char *heads[] = {"## 1. Run", "## 2. Traffic over time", "## 3. Attack episodes",
                           "## 4. Top attackers and victims", "## 5. Geography",
                           "## 6. Data quality", "## 7. KPIs", "## 8. Detection evaluation"};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
        assert_has(md, heads[i]);
    assert_has(md, "| rows read | 1,000 |");
    assert_has(md, "| # | type | entity | victims | start | end | duration | peak pps | sources "
                   "| events | severity | id |\n| ---: | --- |");
    assert_has(md, "| 1 | syn_flood | 10.0.1.0/24\\<script\\>alert(1)\\</script\\>\\&\"' |");
    assert_has(md, "| 203.0.113.9 | 4,321 |");
    assert_has(md, "| unknown | 1,000 |");
    assert_has(md, "| src_ip_invalid | 40 |");
    assert_has(md, "| average attack length | 15 min 45 s |");
    /* The raw line: markup escaped, the cell not broken by a pipe or a newline. */
    assert_has(md, "\\<script\\>alert(\"x\")\\</script\\>,\\&amp; 'q'\\x01\\xFF");
    free(md);
}

static void test_evaluation(void **state)
{
    struct fixture *f = *state;
    make_db(f);
    /* A second run holding the incidents of docs/eval.md's example. */
    exec_sql(f->db,
             "INSERT INTO runs(run_id,mode,input,started_at) VALUES(2,'stream','eval','x');"
             "INSERT INTO agg_minute(run_id,minute,events) VALUES(2,'2026-01-01T00:00:00Z',69);");
    FILE *in = fopen(data("eval_incidents.jsonl"), "r");
    assert_non_null(in);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO incident_events "
                                            "VALUES(?1, ?2, ?3, 2, ?4)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, in)) {
        json_t *j = json_loads(line, 0, NULL);
        if (!j)
            continue;
        char at[32];
        snprintf(at, sizeof at, "t%03d", n++);
        sqlite3_bind_text(st, 1, json_string_value(json_object_get(j, "id")), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, json_string_value(json_object_get(j, "event")), -1,
                          SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, at, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, line, -1, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
        json_decref(j);
    }
    fclose(in);
    sqlite3_finalize(st);
    sqlite3_close(db);

    /* Run 2 is the latest with minutes: the default. */
    char *html = render(f->db, 0, data("eval_traffic.csv"), FW_REPORT_HTML);
    char *s = section(html, "eval");
    assert_has(s, "precision (per second)</div><div class=\"v\">0.419<");
    assert_has(s, "recall (per second)</div><div class=\"v\">0.542<");
    assert_has(s, "F1 (per second)</div><div class=\"v\">0.473<");
    assert_has(s, "attacks detected</div><div class=\"v\">3 / 4<");
    assert_has(s, "verdict</div><div class=\"v\">NOT OK<");
    assert_has(s, "TP 13, FP 18, FN 11");
    assert_has(s, "i-false</td><td>http_flood</td><td>10.0.9.0/24</td>");
    assert_has(s, ">1.75 s<"); /* the delay of attack 2 */
    assert_has(s, "<td>udp_flood</td>");
    free(s);
    /* Run 2 has no incidents in the incidents table: the report says so. */
    s = section(html, "episodes");
    assert_has(s, "Run 2 has no attack episodes (incidents). Run 1 has 2");
    free(s);
    free(html);

    /* The labels of run 1, a run whose episodes do not match them. */
    html = render(f->db, 1, data("eval_traffic.csv"), FW_REPORT_HTML);
    s = section(html, "eval");
    assert_has(s, "attacks detected</div><div class=\"v\">0 / 4<");
    free(s);
    free(html);
}

static void test_errors(void **state)
{
    struct fixture *f = *state;
    char err[1024] = "";
    fw_report_opts o = {.db_path = f->db};

    /* Missing file. */
    assert_null(fw_report_load(&o, err, sizeof err));
    assert_has(err, f->db);

    /* A store with a run but no minutes, then with no run at all. */
    fw_store *s = fw_store_open(f->db, "batch", "x.csv", "{}", err, sizeof err);
    assert_non_null(s);
    assert_int_equal(fw_store_commit(s, err, sizeof err), 0);
    err[0] = 0;
    assert_null(fw_report_load(&o, err, sizeof err));
    assert_has(err, f->db);
    assert_has(err, "no run has minute aggregates");
    exec_sql(f->db, "DELETE FROM runs");
    err[0] = 0;
    assert_null(fw_report_load(&o, err, sizeof err));
    assert_has(err, f->db);
    assert_has(err, "no runs yet");

    /* --run naming a missing run; labels that are not there. */
    unlink(f->db);
    make_db(f);
    o.run_id = 7;
    err[0] = 0;
    assert_null(fw_report_load(&o, err, sizeof err));
    assert_has(err, "no run 7");
    o.run_id = 0;
    o.labels_path = "/nonexistent/labels.csv";
    err[0] = 0;
    assert_null(fw_report_load(&o, err, sizeof err));
    assert_has(err, "/nonexistent/labels.csv");

    /* Not a database at all. */
    char other[160];
    snprintf(other, sizeof other, "%s/not.db", f->dir);
    FILE *x = fopen(other, "w");
    fputs("timestamp,source_ip\n", x);
    fclose(x);
    o.db_path = other;
    o.labels_path = NULL;
    err[0] = 0;
    assert_null(fw_report_load(&o, err, sizeof err));
    assert_has(err, other);
    assert_has(err, "not a floodwatch database");
}

static void test_formats(void **state)
{
    fw_report_format fmt;
    assert_int_equal(fw_report_format_from_path("out/report.HTML", &fmt), 0);
    assert_int_equal(fmt, FW_REPORT_HTML);
    assert_int_equal(fw_report_format_from_path("r.htm", &fmt), 0);
    assert_int_equal(fmt, FW_REPORT_HTML);
    assert_int_equal(fw_report_format_from_path("r.md", &fmt), 0);
    assert_int_equal(fmt, FW_REPORT_MD);
    assert_int_equal(fw_report_format_from_path("r.txt", &fmt), -1);
    assert_int_equal(fw_report_format_from_path("dir.md/report", &fmt), -1);
    assert_int_equal(fw_report_format_from_path("-", &fmt), -1);
    assert_int_equal(fw_report_format_parse("markdown", &fmt), 0);
    assert_int_equal(fmt, FW_REPORT_MD);
    assert_int_equal(fw_report_format_parse("pdf", &fmt), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_html_sections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_html_escapes_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_markdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_evaluation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test(test_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
