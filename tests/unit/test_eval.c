/*
 * test_eval.c - the evaluation of incidents against labels (report/eval.h).
 *
 * Fixtures (tests/data/eval_*), with times in seconds after
 * 2026-01-01T00:00:00Z:
 *   eval_traffic.csv: normal rows every 5 s over [0, 200], and attack rows
 *     A1 syn_flood  10, 10.5, 11, 11.25 (udp_flood), 12, 12.5 (no type), 14,
 *                   15.5, 18: one attack at --gap 2 (13 and 16-17 are empty)
 *     A2 22.25 amplification, 23 http_flood, 24 http_flood, 25.75
 *                   amplification: a tie, so amplification; 3 empty seconds
 *                   (19-21) separate it from A1
 *     A3 udp_flood 60-65 (one row with a bad source address still counts)
 *     A4 port_scan 120-124, written before A3 (the file is not sorted)
 *   plus two labelled rows without a valid timestamp (skipped), one row
 *   with is_attack "maybe" and a flash crowd labelled not an attack.
 *   eval_incidents.jsonl:
 *     i-syn   syn_flood     [8, 19]   detected 9 (before A1 starts: delay 0)
 *     i-udp   udp_flood     [10, 14]  detected 11 (wrong type for A1)
 *     i-http  http_flood    [22, 24]  detected 23 (wrong type for A2, earlier)
 *     i-amp   amplification [22, 27]  detected 24, never ended
 *     i-vol   volumetric    [130, 135] detected 132 (A4, wrong type, late)
 *     i-false http_flood    [160, 163] near no attack
 *     i-mid   port_scan     [178, 185] only update events, out of order
 *   eval_bad.jsonl: line 3 is cut short.
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

#include "core/ts.h"
#include "report/eval.h"

#define T0 (1767225600LL * FW_US_PER_S) /* 2026-01-01T00:00:00Z */
#define AT(s) (T0 + (int64_t)((s) * 1e6))

/* Fixtures are found from the repository root (make unit) or build/tests. */
static const char *data(const char *name)
{
    static char buf[2][512];
    static int k;
    char *p = buf[k++ & 1];
    snprintf(p, 512, "tests/data/%s", name);
    if (access(p, R_OK))
        snprintf(p, 512, "../../tests/data/%s", name);
    return p;
}

/* The fixture evaluated with the given options. */
struct run {
    fw_eval_labels *labels;
    fw_eval_incidents inc;
    fw_eval ev;
};

static void run_open(struct run *r, const char *alerts, const fw_eval_opts *o)
{
    char err[512];
    fw_eval_opts def;
    fw_eval_opts_default(&def);
    r->labels = fw_eval_labels_new();
    if (fw_eval_labels_load(r->labels, data("eval_traffic.csv"), err, sizeof err))
        fail_msg("%s", err);
    memset(&r->inc, 0, sizeof r->inc);
    if (alerts && fw_eval_incidents_load(&r->inc, data(alerts), err, sizeof err))
        fail_msg("%s", err);
    fw_eval_run(&r->ev, r->labels, &r->inc, o ? o : &def);
}

static void run_close(struct run *r)
{
    fw_eval_destroy(&r->ev);
    fw_eval_incidents_destroy(&r->inc);
    fw_eval_labels_free(r->labels);
}

static const char *inc_id(const fw_eval *ev, const fw_eval_attack *a, size_t k)
{
    return ev->inc->v[a->incidents[k]].id;
}

static int read_mem(const char *text, fw_eval_incidents *inc, char *err, size_t errn)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    int rc = fw_eval_incidents_read(inc, f, "mem.jsonl", err, errn);
    fclose(f);
    return rc;
}

static void test_label_accounting(void **state)
{
    struct run r;
    run_open(&r, NULL, NULL);
    assert_int_equal(r.ev.labels.rows, 69);
    assert_int_equal(r.ev.labels.skipped, 2);
    assert_int_equal(r.ev.labels.attack_rows, 24);
    assert_int_equal(r.ev.labels.unknown_rows, 1);
    /* 10 11 12 14 15 18 | 22 23 24 25 | 60-65 | 120-124 */
    assert_int_equal(r.ev.labels.attack_seconds, 6 + 4 + 6 + 5);
    assert_true(r.ev.labels.has_span);
    assert_int_equal(r.ev.labels.first_us, AT(0));
    assert_int_equal(r.ev.labels.last_us, AT(200));
    run_close(&r);
}

static void test_segmentation(void **state)
{
    struct run r;
    run_open(&r, NULL, NULL);
    const fw_eval *ev = &r.ev;
    assert_int_equal(ev->nattacks, 4);
    const int64_t want[4][2] = {{AT(10), AT(18)}, {AT(22.25), AT(25.75)}, {AT(60), AT(65)},
                                {AT(120), AT(124)}};
    const uint64_t rows[4] = {9, 4, 6, 5};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(ev->attacks[i].start_us, want[i][0]);
        assert_int_equal(ev->attacks[i].end_us, want[i][1]);
        assert_int_equal(ev->attacks[i].rows, rows[i]);
        assert_false(ev->attacks[i].detected);
        assert_int_equal(ev->attacks[i].delay_us, -1);
    }
    run_close(&r);
}

static void test_segmentation_gap(void **state)
{
    fw_eval_opts o;
    fw_eval_opts_default(&o);
    struct run r;

    /* --gap 1: 13 is one empty second (joins), 16-17 are two (splits).  At
     * 23 the type turns from amplification to http_flood and holds until 24,
     * one gap later: a new attack (22 | 23-25.75). */
    o.gap_s = 1;
    run_open(&r, NULL, &o);
    assert_int_equal(r.ev.nattacks, 6);
    assert_int_equal(r.ev.attacks[0].start_us, AT(10));
    assert_int_equal(r.ev.attacks[0].end_us, AT(15.5));
    assert_int_equal(r.ev.attacks[1].start_us, AT(18));
    assert_int_equal(r.ev.attacks[1].end_us, AT(18));
    assert_int_equal(r.ev.attacks[2].start_us, AT(22.25));
    assert_int_equal(r.ev.attacks[2].end_us, AT(22.25));
    assert_int_equal(r.ev.attacks[2].type, FW_LABEL_AMPLIFICATION);
    assert_int_equal(r.ev.attacks[3].start_us, AT(23));
    assert_int_equal(r.ev.attacks[3].end_us, AT(25.75));
    assert_int_equal(r.ev.attacks[3].type, FW_LABEL_HTTP_FLOOD);
    run_close(&r);

    /* --gap 0: only adjacent seconds join: 10-12 | 14-15 | 18, and every
     * change of type starts an attack: 22 | 23-24 | 25. */
    o.gap_s = 0;
    run_open(&r, NULL, &o);
    assert_int_equal(r.ev.nattacks, 8);
    assert_int_equal(r.ev.attacks[0].end_us, AT(12.5));
    assert_int_equal(r.ev.attacks[1].start_us, AT(14));
    run_close(&r);

    /* --gap 3: 19-21 are three empty seconds, so A1 and A2 join. */
    o.gap_s = 3;
    run_open(&r, NULL, &o);
    assert_int_equal(r.ev.nattacks, 3);
    assert_int_equal(r.ev.attacks[0].start_us, AT(10));
    assert_int_equal(r.ev.attacks[0].end_us, AT(25.75));
    assert_int_equal(r.ev.attacks[0].type, FW_LABEL_SYN_FLOOD);
    run_close(&r);
}

/* Two attacks of different types back to back are two attacks; a stray
 * second of another type inside one is not. */
static void test_segmentation_by_type(void **state)
{
    fw_eval_labels *l = fw_eval_labels_new();
    for (int t = 0; t < 20; t++)
        fw_eval_labels_add(l, AT(t), 1, t < 10 ? FW_LABEL_HTTP_FLOOD : FW_LABEL_UDP_FLOOD, 0);
    fw_eval_labels_add(l, AT(5.5), 1, FW_LABEL_SYN_FLOOD, 0); /* stray: 5 stays http (1-1 tie) */
    fw_eval_labels_add(l, AT(6.5), 1, FW_LABEL_SYN_FLOOD, 0);
    fw_eval_labels_add(l, AT(6.7), 1, FW_LABEL_SYN_FLOOD, 0); /* 6 is syn, 7 http again */
    fw_eval_incidents none = {0};
    fw_eval_opts o;
    fw_eval_opts_default(&o);
    fw_eval ev;
    fw_eval_run(&ev, l, &none, &o);
    assert_int_equal(ev.nattacks, 2);
    assert_int_equal(ev.attacks[0].start_us, AT(0));
    assert_int_equal(ev.attacks[0].end_us, AT(9));
    assert_int_equal(ev.attacks[0].type, FW_LABEL_HTTP_FLOOD);
    assert_int_equal(ev.attacks[1].start_us, AT(10));
    assert_int_equal(ev.attacks[1].type, FW_LABEL_UDP_FLOOD);
    fw_eval_destroy(&ev);
    fw_eval_labels_free(l);
}

static void test_type_majority(void **state)
{
    struct run r;
    run_open(&r, NULL, NULL);
    assert_int_equal(r.ev.attacks[0].type, FW_LABEL_SYN_FLOOD);   /* 7 of 9, one unnamed */
    assert_int_equal(r.ev.attacks[1].type, FW_LABEL_AMPLIFICATION); /* 2-2 tie with http */
    assert_int_equal(r.ev.attacks[2].type, FW_LABEL_UDP_FLOOD);
    assert_int_equal(r.ev.attacks[3].type, FW_LABEL_PORT_SCAN);
    run_close(&r);

    /* No row names a type: the attack has none and no incident matches it. */
    fw_eval_labels *l = fw_eval_labels_new();
    fw_eval_labels_add(l, AT(1), 1, FW_LABEL_NONE, 0);
    fw_eval_labels_add(l, AT(2), 1, FW_LABEL_NONE, 0);
    fw_eval_incidents none = {0};
    fw_eval_opts o;
    fw_eval_opts_default(&o);
    fw_eval ev;
    fw_eval_run(&ev, l, &none, &o);
    assert_int_equal(ev.nattacks, 1);
    assert_int_equal(ev.attacks[0].type, FW_LABEL_NONE);
    fw_eval_destroy(&ev);
    fw_eval_labels_free(l);
}

static void test_detection(void **state)
{
    struct run r;
    run_open(&r, "eval_incidents.jsonl", NULL);
    const fw_eval *ev = &r.ev;
    assert_int_equal(r.inc.n, 7);
    assert_int_equal(ev->nattacks, 4);

    const fw_eval_attack *a = &ev->attacks[0]; /* A1 */
    assert_true(a->detected);
    assert_true(a->type_correct);
    /* [10, 18 + 30 slack] also reaches the incidents of A2, which start at 22. */
    assert_int_equal(a->nincidents, 4);
    assert_string_equal(inc_id(ev, a, 0), "i-syn");
    assert_string_equal(inc_id(ev, a, 1), "i-udp");
    assert_string_equal(inc_id(ev, a, 2), "i-amp");
    assert_string_equal(inc_id(ev, a, 3), "i-http");

    a = &ev->attacks[1]; /* A2: i-syn ends at 19, before 22.25; slack does not reach back */
    assert_true(a->detected);
    assert_true(a->type_correct);
    assert_int_equal(a->nincidents, 2);
    assert_string_equal(inc_id(ev, a, 0), "i-amp");
    assert_string_equal(inc_id(ev, a, 1), "i-http");

    a = &ev->attacks[2]; /* A3: nothing in [60, 95] */
    assert_false(a->detected);
    assert_false(a->type_correct);
    assert_false(a->within_max_delay);
    assert_int_equal(a->nincidents, 0);

    a = &ev->attacks[3]; /* A4: i-vol starts 6 s after the end, inside the slack */
    assert_true(a->detected);
    assert_false(a->type_correct);
    assert_int_equal(a->nincidents, 1);
    assert_string_equal(inc_id(ev, a, 0), "i-vol");

    assert_int_equal(ev->detected, 3);
    assert_int_equal(ev->type_correct, 2);
    assert_false(ev->ok);
    run_close(&r);

    /* With slack 5, i-vol (130) is too late for A4 (ends 124). */
    fw_eval_opts o;
    fw_eval_opts_default(&o);
    o.slack_us = 5 * FW_US_PER_S;
    run_open(&r, "eval_incidents.jsonl", &o);
    assert_false(r.ev.attacks[3].detected);
    assert_int_equal(r.ev.detected, 2);
    run_close(&r);
}

static void test_delay(void **state)
{
    struct run r;
    run_open(&r, "eval_incidents.jsonl", NULL);
    const fw_eval *ev = &r.ev;
    /* A1: i-syn was detected at 9, before the attack began at 10: clamped to 0. */
    assert_int_equal(ev->attacks[0].delay_us, 0);
    assert_true(ev->attacks[0].within_max_delay);
    /* A2: the right type (i-amp, 24) counts, not the earlier i-http (23). */
    assert_int_equal(ev->attacks[1].delay_us, 1750000);
    assert_true(ev->attacks[1].within_max_delay);
    /* A4: no right type, so any type: i-vol at 132 - 120. */
    assert_int_equal(ev->attacks[3].delay_us, 12 * FW_US_PER_S);
    assert_false(ev->attacks[3].within_max_delay);
    assert_int_equal(ev->within_max_delay, 2);
    run_close(&r);

    fw_eval_opts o;
    fw_eval_opts_default(&o);
    o.max_delay_us = 12 * FW_US_PER_S; /* the bound is inclusive */
    run_open(&r, "eval_incidents.jsonl", &o);
    assert_true(r.ev.attacks[3].within_max_delay);
    assert_int_equal(r.ev.within_max_delay, 3);
    o.max_delay_us = 1749999;
    run_close(&r);
    run_open(&r, "eval_incidents.jsonl", &o);
    assert_false(r.ev.attacks[1].within_max_delay);
    assert_true(r.ev.attacks[0].within_max_delay);
    run_close(&r);
}

static void test_false_incidents(void **state)
{
    struct run r;
    run_open(&r, "eval_incidents.jsonl", NULL);
    assert_int_equal(r.ev.nfalse, 2);
    const fw_eval_incident *x = &r.inc.v[r.ev.false_incidents[0]];
    assert_string_equal(x->id, "i-false");
    assert_string_equal(x->type, "http_flood");
    assert_string_equal(x->entity, "10.0.9.0/24");
    assert_int_equal(x->start_us, AT(160));
    x = &r.inc.v[r.ev.false_incidents[1]];
    assert_string_equal(x->id, "i-mid");
    run_close(&r);

    /* A slack of 60 s puts both within reach of A4 (ends 124). */
    fw_eval_opts o;
    fw_eval_opts_default(&o);
    o.slack_us = 60 * FW_US_PER_S;
    run_open(&r, "eval_incidents.jsonl", &o);
    assert_int_equal(r.ev.nfalse, 0);
    run_close(&r);
}

/* Slack counts before an attack too for false incidents, but not for
 * detection: an incident that ended 15 s before the attack is neither. */
static void test_false_slack_before(void **state)
{
    fw_eval_labels *l = fw_eval_labels_new();
    for (int s = 100; s <= 104; s++)
        fw_eval_labels_add(l, AT(s), 1, FW_LABEL_SYN_FLOOD, 0);
    const char *text =
        "{\"event\":\"start\",\"id\":\"near\",\"type\":\"syn_flood\","
        "\"start\":\"2026-01-01T00:01:20Z\",\"detected_at\":\"2026-01-01T00:01:21Z\"}\n"
        "{\"event\":\"end\",\"id\":\"near\",\"detected_at\":\"2026-01-01T00:01:55Z\","
        "\"end\":\"2026-01-01T00:01:25Z\"}\n"
        "{\"event\":\"start\",\"id\":\"far\",\"type\":\"syn_flood\","
        "\"start\":\"2026-01-01T00:01:00Z\",\"detected_at\":\"2026-01-01T00:01:01Z\"}\n"
        "{\"event\":\"end\",\"id\":\"far\",\"detected_at\":\"2026-01-01T00:01:35Z\","
        "\"end\":\"2026-01-01T00:01:05Z\"}\n";
    fw_eval_incidents inc;
    char err[256];
    if (read_mem(text, &inc, err, sizeof err))
        fail_msg("%s", err);
    fw_eval_opts o;
    fw_eval_opts_default(&o);
    fw_eval ev;
    fw_eval_run(&ev, l, &inc, &o);
    assert_false(ev.attacks[0].detected); /* near is [80, 85], the attack [100, 104] */
    assert_int_equal(ev.nfalse, 1);       /* far is [60, 65]: 35 s before */
    assert_string_equal(inc.v[ev.false_incidents[0]].id, "far");
    fw_eval_destroy(&ev);
    fw_eval_incidents_destroy(&inc);
    fw_eval_labels_free(l);
}

static void test_per_second(void **state)
{
    struct run r;
    run_open(&r, "eval_incidents.jsonl", NULL);
    /*
     * Seconds 0-200.  Actual: 10-18 (9), 22-25 (4), 60-65 (6), 120-124 (5) = 24.
     * Predicted, incidents as [start, end): i-syn 8-18, i-udp 10-13, i-http
     * 22-23, i-amp 22-26, i-vol 130-134, i-false 160-162, i-mid 178-184:
     * 11 + 5 + 5 + 3 + 7 = 31.  Both: 10-18 (9) + 22-25 (4) = 13.
     */
    assert_int_equal(r.ev.tp, 13);
    assert_int_equal(r.ev.fp, 18);
    assert_int_equal(r.ev.fn, 11);
    assert_float_equal(r.ev.precision, 13.0 / 31, 1e-12);
    assert_float_equal(r.ev.recall, 13.0 / 24, 1e-12);
    assert_float_equal(r.ev.f1, 26.0 / 55, 1e-12);
    run_close(&r);

    /* No incidents: everything is a false negative and the ratios are 0. */
    run_open(&r, NULL, NULL);
    assert_int_equal(r.ev.tp, 0);
    assert_int_equal(r.ev.fp, 0);
    assert_int_equal(r.ev.fn, 24);
    assert_float_equal(r.ev.precision, 0, 0);
    assert_float_equal(r.ev.f1, 0, 0);
    run_close(&r);
}

static void test_incident_fold(void **state)
{
    struct run r;
    run_open(&r, "eval_incidents.jsonl", NULL);
    const fw_eval_incident *amp = NULL, *mid = NULL, *syn = NULL;
    for (size_t i = 0; i < r.inc.n; i++) {
        if (!strcmp(r.inc.v[i].id, "i-amp"))
            amp = &r.inc.v[i];
        if (!strcmp(r.inc.v[i].id, "i-mid"))
            mid = &r.inc.v[i];
        if (!strcmp(r.inc.v[i].id, "i-syn"))
            syn = &r.inc.v[i];
    }
    assert_non_null(amp);
    assert_non_null(mid);
    assert_non_null(syn);
    /* Never ended: the interval runs to the latest detected_at. */
    assert_false(amp->ended);
    assert_int_equal(amp->start_us, AT(22));
    assert_int_equal(amp->end_us, AT(27));
    assert_int_equal(amp->detected_us, AT(24));
    assert_int_equal(amp->events, 3);
    /* Ended: the end event's "end", not its (later) detected_at. */
    assert_true(syn->ended);
    assert_int_equal(syn->end_us, AT(19));
    assert_int_equal(syn->detected_us, AT(9));
    /* No start event: the earliest event (detected 180, line 17) gives
     * start and detected_at although it comes second in the file. */
    assert_int_equal(mid->start_us, AT(178));
    assert_int_equal(mid->detected_us, AT(180));
    assert_int_equal(mid->end_us, AT(185));
    assert_string_equal(mid->type, "port_scan");
    assert_int_equal(mid->line, 16);
    /* Sorted by start. */
    for (size_t i = 1; i < r.inc.n; i++)
        assert_true(r.inc.v[i - 1].start_us <= r.inc.v[i].start_us);
    assert_int_equal(r.inc.lines, 16); /* the blank line is not counted */
    run_close(&r);
}

static void test_malformed(void **state)
{
    char err[512] = "";
    fw_eval_incidents inc;
    const char *path = data("eval_bad.jsonl");
    assert_int_equal(fw_eval_incidents_load(&inc, path, err, sizeof err), -1);
    char want[600];
    snprintf(want, sizeof want, "%s:3: ", path);
    if (strncmp(err, want, strlen(want)))
        fail_msg("message '%s' does not start with '%s'", err, want);
    assert_int_equal(inc.n, 0);

    static const struct {
        const char *text, *why;
    } bad[] = {
        {"[1, 2]\n", "mem.jsonl:1: bad incident line: not a JSON object"},
        {"\n{\"event\":\"start\",\"detected_at\":\"2026-01-01T00:00:00Z\"}\n",
         "mem.jsonl:2: bad incident line: missing \"id\""},
        {"{\"event\":\"start\",\"id\":7,\"detected_at\":\"2026-01-01T00:00:00Z\"}",
         "mem.jsonl:1: bad incident line: \"id\" is not a string"},
        {"{\"event\":\"begin\",\"id\":\"x\",\"detected_at\":\"2026-01-01T00:00:00Z\"}",
         "mem.jsonl:1: bad incident line: unknown event \"begin\" (start, update or end)"},
        {"{\"event\":\"end\",\"id\":\"x\",\"detected_at\":\"2026-01-01T00:00:00Z\","
         "\"end\":\"soon\"}",
         "mem.jsonl:1: bad incident line: \"end\" is not an ISO 8601 time: \"soon\""},
        {"{\"event\":\"start\",\"id\":\"x\"}",
         "mem.jsonl:1: bad incident line: missing \"detected_at\""},
        {"{\"event\":\"start\",\"id\":\"x\",\"detected_at\":\"2026-01-01T00:00:00Z\"} x",
         "mem.jsonl:1: bad incident line: not JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        if (read_mem(bad[i].text, &inc, err, sizeof err) != -1)
            fail_msg("accepted '%s'", bad[i].text);
        if (strncmp(err, bad[i].why, strlen(bad[i].why)))
            fail_msg("'%s': message '%s', want '%s'", bad[i].text, err, bad[i].why);
    }

    /* Blank lines only: no incidents, no error. */
    assert_int_equal(read_mem("\n  \r\n\n", &inc, err, sizeof err), 0);
    assert_int_equal(inc.n, 0);
    fw_eval_incidents_destroy(&inc);

    /* A missing file names the file. */
    assert_int_equal(fw_eval_incidents_load(&inc, "/nonexistent/x.jsonl", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/x.jsonl: cannot open"));
}

/* Rows in any order aggregate to the same seconds and attacks. */
static void test_labels_any_order(void **state)
{
    enum { N = 20000 };
    int64_t *ts = malloc(N * sizeof *ts);
    for (int i = 0; i < N; i++)
        ts[i] = AT(i) + (i % 7) * 1000; /* every 1000th second is a 10 s hole */
    fw_eval_labels *sorted = fw_eval_labels_new(), *shuffled = fw_eval_labels_new();
    for (int i = 0; i < N; i++)
        if (i % 1000 >= 10)
            fw_eval_labels_add(sorted, ts[i], 1, FW_LABEL_SYN_FLOOD, 0);
    srand(7);
    for (int i = N - 1; i > 0; i--) {
        int j = rand() % (i + 1);
        int64_t t = ts[i];
        ts[i] = ts[j];
        ts[j] = t;
    }
    for (int i = 0; i < N; i++) {
        int64_t s = fw_floor_div(ts[i] - T0, FW_US_PER_S);
        if (s % 1000 >= 10)
            fw_eval_labels_add(shuffled, ts[i], 1, FW_LABEL_SYN_FLOOD, 0);
    }
    fw_eval_incidents none = {0};
    fw_eval_opts o;
    fw_eval_opts_default(&o);
    fw_eval a, b;
    fw_eval_run(&a, sorted, &none, &o);
    fw_eval_run(&b, shuffled, &none, &o);
    assert_int_equal(a.labels.attack_seconds, N - N / 100);
    assert_int_equal(b.labels.attack_seconds, a.labels.attack_seconds);
    assert_int_equal(a.nattacks, N / 1000);
    assert_int_equal(b.nattacks, a.nattacks);
    for (size_t i = 0; i < a.nattacks; i++) {
        assert_int_equal(a.attacks[i].start_us, b.attacks[i].start_us);
        assert_int_equal(a.attacks[i].end_us, b.attacks[i].end_us);
        assert_int_equal(a.attacks[i].rows, 990);
        assert_int_equal(b.attacks[i].rows, 990);
    }
    assert_int_equal(a.attacks[0].start_us, AT(10) + 3000);
    assert_int_equal(a.fn, N - N / 100);
    fw_eval_destroy(&a);
    fw_eval_destroy(&b);
    fw_eval_labels_free(sorted);
    fw_eval_labels_free(shuffled);
    free(ts);
}

/* A perfect detector: ok, and the per-second score is 1. */
static void test_ok(void **state)
{
    fw_eval_labels *l = fw_eval_labels_new();
    for (int s = 100; s <= 109; s++)
        fw_eval_labels_add(l, AT(s), 1, FW_LABEL_UDP_FLOOD, 0);
    fw_eval_labels_add(l, AT(50), 0, FW_LABEL_NONE, 0);
    fw_eval_labels_add(l, AT(150), 0, FW_LABEL_NONE, 0);
    const char *text =
        "{\"event\":\"start\",\"id\":\"u\",\"type\":\"udp_flood\","
        "\"start\":\"2026-01-01T00:01:40Z\","
        "\"detected_at\":\"2026-01-01T00:01:43Z\",\"end\":null}\n"
        "{\"event\":\"end\",\"id\":\"u\",\"type\":\"udp_flood\",\"start\":\"2026-01-01T00:01:40Z\","
        "\"detected_at\":\"2026-01-01T00:02:20Z\",\"end\":\"2026-01-01T00:01:50Z\"}\n";
    fw_eval_incidents inc;
    char err[256];
    assert_int_equal(read_mem(text, &inc, err, sizeof err), 0);
    fw_eval_opts o;
    fw_eval_opts_default(&o);
    fw_eval ev;
    fw_eval_run(&ev, l, &inc, &o);
    assert_true(ev.ok);
    assert_int_equal(ev.attacks[0].delay_us, 3 * FW_US_PER_S);
    assert_int_equal(ev.tp, 10);
    assert_int_equal(ev.fp, 0);
    assert_int_equal(ev.fn, 0);
    assert_float_equal(ev.f1, 1.0, 1e-12);

    json_t *j = fw_eval_json(&ev);
    json_t *sum = json_object_get(j, "summary");
    assert_true(json_is_true(json_object_get(sum, "ok")));
    assert_int_equal(json_integer_value(json_object_get(sum, "attacks")), 1);
    json_t *a0 = json_array_get(json_object_get(j, "attacks"), 0);
    assert_string_equal(json_string_value(json_object_get(a0, "type")), "udp_flood");
    assert_float_equal(json_real_value(json_object_get(a0, "delay_s")), 3.0, 0);
    json_decref(j);
    fw_eval_destroy(&ev);
    fw_eval_incidents_destroy(&inc);
    fw_eval_labels_free(l);
}

static void test_render(void **state)
{
    struct run r;
    run_open(&r, "eval_incidents.jsonl", NULL);
    r.ev.input = "traffic.csv";
    r.ev.alerts = "incidents.jsonl";

    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_int_equal(fw_eval_print(&r.ev, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "attacks: 4\n"));
    assert_non_null(strstr(buf, "1.75 s"));
    assert_non_null(strstr(buf, "12 s (late)"));
    assert_non_null(strstr(buf, "i-amp,i-http"));
    assert_non_null(strstr(buf, "false incidents: 2\n"));
    assert_non_null(strstr(buf, "TP 13, FP 18, FN 11, precision 0.419, recall 0.542, F1 0.473"));
    assert_non_null(strstr(buf, "summary: 4 attacks, 3 detected, 2 type correct, 2 within max "
                                "delay, 2 false incidents: NOT OK\n"));
    free(buf);

    json_t *j = fw_eval_json(&r.ev);
    json_t *sum = json_object_get(j, "summary");
    assert_false(json_is_true(json_object_get(sum, "ok")));
    assert_int_equal(json_integer_value(json_object_get(sum, "false_incidents")), 2);
    json_t *a2 = json_array_get(json_object_get(j, "attacks"), 2);
    assert_true(json_is_null(json_object_get(a2, "delay_s")));
    json_t *ps = json_object_get(j, "per_second");
    assert_int_equal(json_integer_value(json_object_get(ps, "tp")), 13);
    assert_float_equal(json_real_value(json_object_get(ps, "precision")), 0.419355, 1e-9);
    json_t *fi = json_array_get(json_object_get(j, "false_incidents"), 0);
    assert_string_equal(json_string_value(json_object_get(fi, "start")), "2026-01-01T00:02:40Z");
    json_decref(j);
    run_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_accounting), cmocka_unit_test(test_segmentation),
        cmocka_unit_test(test_segmentation_gap), cmocka_unit_test(test_segmentation_by_type),
        cmocka_unit_test(test_type_majority),
        cmocka_unit_test(test_detection),        cmocka_unit_test(test_delay),
        cmocka_unit_test(test_false_incidents),  cmocka_unit_test(test_false_slack_before),
        cmocka_unit_test(test_per_second),
        cmocka_unit_test(test_incident_fold),    cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_labels_any_order), cmocka_unit_test(test_ok),
        cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
