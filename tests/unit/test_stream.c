/* test_stream.c - tumbling buckets, watermark, minute aggregates, engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/ckpt.h"
#include "core/ts.h"
#include "detect/config.h"
#include "stream/engine.h"
#include "stream/tumbler.h"

#define S FW_US_PER_S

struct log {
    int64_t starts[32];
    int n, opened;
};

static void *t_open(void *ctx, int64_t start)
{
    ((struct log *)ctx)->opened++;
    int64_t *p = malloc(sizeof *p);
    *p = 0;
    return p;
}

static void t_close(void *ctx, int64_t start, void *st)
{
    struct log *l = ctx;
    l->starts[l->n++] = start;
    free(st);
}

static void test_tumbler_order_and_late(void **state)
{
    struct log l = {0};
    fw_tumbler t;
    fw_tumbler_init(&t, 10 * S, (fw_tumbler_ops){t_open, t_close}, &l);
    int64_t *b = fw_tumbler_bucket(&t, 25 * S);
    (*b)++;
    assert_ptr_equal(fw_tumbler_bucket(&t, 29 * S + 999999), b);
    fw_tumbler_bucket(&t, 5 * S);
    fw_tumbler_bucket(&t, -1); /* bucket [-10 s, 0) */
    fw_tumbler_bucket(&t, 15 * S);
    assert_int_equal(l.opened, 4);
    fw_tumbler_advance(&t, 19 * S); /* closes [-10,0) and [0,10) only */
    assert_int_equal(l.n, 2);
    assert_int_equal(l.starts[0], -10 * S);
    assert_int_equal(l.starts[1], 0);
    assert_null(fw_tumbler_bucket(&t, 9 * S)); /* late */
    assert_non_null(fw_tumbler_bucket(&t, 10 * S));
    fw_tumbler_advance(&t, 20 * S); /* closes [10,20) exactly at its end */
    assert_int_equal(l.n, 3);
    fw_tumbler_flush(&t);
    assert_int_equal(l.n, 4);
    assert_int_equal(l.starts[3], 20 * S);
    assert_null(fw_tumbler_bucket(&t, 21 * S)); /* flushed buckets are closed */
    fw_tumbler_destroy(&t);
}

static void test_watermark(void **state)
{
    fw_watermark w;
    fw_wm_init(&w, 5 * S);
    assert_int_equal(fw_wm_value(&w), FW_WM_NONE);
    fw_wm_observe(&w, 100 * S);
    fw_wm_observe(&w, 90 * S); /* out of order: does not move it back */
    assert_int_equal(fw_wm_value(&w), 95 * S);
    fw_wm_init(&w, FW_WM_HOLD);
    fw_wm_observe(&w, 100 * S);
    assert_int_equal(fw_wm_value(&w), FW_WM_NONE);
}

struct minutes_seen {
    int n;
    int64_t start[8];
    uint64_t events[8], syn[8], sources[8], dests[8], dst3_sources[8];
};

static void on_minute(void *ctx, const fw_minute *m)
{
    struct minutes_seen *s = ctx;
    s->start[s->n] = m->start_us;
    s->events[s->n] = m->global.events;
    s->syn[s->n] = m->global.syn_only;
    s->sources[s->n] = fw_minute_sources(m);
    s->dests[s->n] = fw_minute_dests(m);
    fw_addr d3;
    fw_addr_set_v4(&d3, 3);
    const fw_minute_dst *d = fw_amap_get(&m->dst, &d3);
    s->dst3_sources[s->n] = d ? fw_distinct_count(&d->sources) : 0;
    s->n++;
}

static fw_record rec_at(int64_t ts_us, uint32_t src, uint32_t dst, uint8_t flags, const char *raw)
{
    fw_record r;
    memset(&r, 0, sizeof r);
    r.flow.ts_us = ts_us;
    fw_addr_set_v4(&r.flow.src, src);
    fw_addr_set_v4(&r.flow.dst, dst);
    r.flow.proto = FW_PROTO_TCP;
    r.flow.tcp_flags = flags;
    r.flow.pkts_sent = 1;
    r.flow.bytes_sent = 60;
    r.raw = raw;
    r.raw_n = strlen(raw);
    return r;
}

static void run_engine(int64_t ooo, int per_source, struct minutes_seen *seen, fw_clean_stats *st)
{
    fw_engine e;
    fw_engine_opts o = {.out_of_order_us = ooo, .per_source = per_source};
    fw_engine_sinks sinks = {.minute = on_minute, .ctx = seen};
    fw_engine_init(&e, &o, &sinks);
    char raw[64];
    /* Minute 1 (shuffled): 5 sources to dst 3, two SYN-only; minute 0 after it. */
    for (int i = 0; i < 5; i++) {
        snprintf(raw, sizeof raw, "m1-%d", i);
        fw_record r = rec_at(60 * S + i * S, 100 + i, 3, i < 2 ? FW_TCP_SYN : FW_TCP_ACK, raw);
        fw_engine_push(&e, &r);
    }
    fw_record r = rec_at(10 * S, 100, 4, FW_TCP_SYN | FW_TCP_ACK, "m0");
    fw_engine_push(&e, &r);
    fw_engine_push(&e, &r); /* a duplicate */
    /* Minute 3: advances the watermark past minute 1 when ooo is 60 s. */
    r = rec_at(185 * S, 100, 3, 0, "m3");
    fw_engine_push(&e, &r);
    r = rec_at(30 * S, 101, 3, 0, "m0-late");
    fw_engine_push(&e, &r);
    fw_engine_finish(&e);
    *st = e.clean.st;
    fw_engine_destroy(&e);
}

static void test_engine_batch_holds_watermark(void **state)
{
    struct minutes_seen seen = {0};
    fw_clean_stats st;
    run_engine(FW_WM_HOLD, 1, &seen, &st);
    assert_int_equal(seen.n, 3); /* minutes 0, 1, 3, in order */
    assert_int_equal(seen.start[0], 0);
    assert_int_equal(seen.start[1], 60 * S);
    assert_int_equal(seen.start[2], 180 * S);
    assert_int_equal(seen.events[0], 2); /* m0 and m0-late; the duplicate removed */
    assert_int_equal(seen.events[1], 5);
    assert_int_equal(seen.syn[1], 2);
    assert_int_equal(seen.syn[0], 0); /* SYN+ACK is not SYN-only */
    assert_int_equal(seen.sources[1], 5);
    assert_int_equal(seen.dst3_sources[1], 5);
    assert_int_equal(seen.dests[0], 2);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(st.late, 0);
    assert_int_equal(st.rows_read, st.accepted + st.duplicates + st.quarantined + st.late);
}

/* What the ports test sees of its one closed minute. */
struct ports_seen {
    int minutes;
    size_t n;
    fw_port_row top[FW_MINUTE_PORTS];
    bool complete;
    uint64_t dropped, tracked;
};

static void on_ports(void *ctx, const fw_minute *m)
{
    struct ports_seen *s = ctx;
    s->minutes++;
    s->n = fw_port_table_top(&m->ports, s->top, FW_MINUTE_PORTS);
    s->complete = fw_port_table_complete(&m->ports);
    s->dropped = m->ports.dropped;
    s->tracked = m->ports.n;
}

static void add_port_flow(fw_minutes *ms, uint8_t proto, uint16_t port, uint64_t bytes)
{
    fw_flow f;
    memset(&f, 0, sizeof f);
    f.ts_us = 5 * S;
    fw_addr_set_v4(&f.src, 1);
    fw_addr_set_v4(&f.dst, 2);
    f.proto = proto;
    f.dst_port = port;
    f.bytes_sent = bytes;
    f.pkts_sent = 1;
    assert_int_equal(fw_minutes_add(ms, &f, false), 0);
}

/* Ports are counted exactly: order of arrival does not matter, the heaviest
 * come first (ties by protocol, then port), TCP and UDP on one port are two
 * pairs, and a minute with few pairs is complete. */
static void test_minute_ports_exact(void **state)
{
    (void)state;
    struct ports_seen seen = {0};
    fw_minutes ms;
    fw_minutes_init(&ms, false, on_ports, &seen);
    for (int i = 0; i < 300; i++) {
        /* 300 singletons first, then the heavy pairs: a heavy-hitter
         * summary of 256 would have evicted and overestimated here. */
        add_port_flow(&ms, FW_PROTO_UDP, (uint16_t)(10000 + i), 10);
    }
    for (int i = 0; i < 50; i++)
        add_port_flow(&ms, FW_PROTO_TCP, 80, 100);
    for (int i = 0; i < 20; i++)
        add_port_flow(&ms, FW_PROTO_UDP, 53, 1);
    for (int i = 0; i < 20; i++)
        add_port_flow(&ms, FW_PROTO_TCP, 53, 1);
    fw_minutes_flush(&ms);
    fw_minutes_destroy(&ms);
    assert_int_equal(seen.minutes, 1);
    assert_int_equal(seen.tracked, 303);
    assert_int_equal(seen.n, FW_MINUTE_PORTS);
    assert_false(seen.complete); /* 303 pairs, 256 written */
    assert_int_equal(seen.top[0].port, 80);
    assert_int_equal(seen.top[0].c.events, 50);
    assert_int_equal(seen.top[0].c.bytes, 5000);
    assert_int_equal(seen.top[1].proto, FW_PROTO_TCP);
    assert_int_equal(seen.top[1].port, 53);
    assert_int_equal(seen.top[2].proto, FW_PROTO_UDP);
    assert_int_equal(seen.top[2].port, 53);
    assert_int_equal(seen.top[2].c.events, 20);
    assert_int_equal(seen.top[3].port, 10000); /* singletons by port */
    assert_int_equal(seen.top[3].c.events, 1);
}

/* Past FW_PORTS_TRACKED pairs the rest are counted as dropped, not lost
 * silently; and the table survives a checkpoint. */
static void test_minute_ports_cap_and_checkpoint(void **state)
{
    (void)state;
    char dir[] = "/tmp/fw-ports-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char err[256];
    struct ports_seen before = {0}, after = {0};
    fw_minutes a;
    fw_minutes_init(&a, false, on_ports, &before);
    for (int i = 0; i < FW_PORTS_TRACKED + 100; i++)
        add_port_flow(&a, FW_PROTO_TCP, (uint16_t)(1 + i), 1);
    for (int i = 0; i < 7; i++)
        add_port_flow(&a, FW_PROTO_TCP, 443, 1);

    fw_ckpt_writer w;
    assert_int_equal(fw_ckpt_begin(&w, dir, err, sizeof err), 0);
    fw_minutes_save(&a, &w);
    assert_int_equal(fw_ckpt_commit(&w, err, sizeof err), 0);
    fw_minutes b;
    fw_minutes_init(&b, false, on_ports, &after);
    fw_ckpt_reader r;
    assert_int_equal(fw_ckpt_open(&r, dir, err, sizeof err), 1);
    fw_minutes_load(&b, &r);
    assert_int_equal(r.err, 0);
    fw_ckpt_close(&r);

    fw_minutes_flush(&a);
    fw_minutes_flush(&b);
    fw_minutes_destroy(&a);
    fw_minutes_destroy(&b);
    assert_int_equal(before.tracked, FW_PORTS_TRACKED);
    assert_int_equal(before.dropped, 100);
    assert_false(before.complete);
    assert_int_equal(before.top[0].port, 443);
    assert_int_equal(before.top[0].c.events, 8);
    assert_int_equal(after.minutes, 1);
    assert_int_equal(after.tracked, before.tracked);
    assert_int_equal(after.dropped, before.dropped);
    assert_int_equal(after.n, before.n);
    assert_memory_equal(after.top, before.top, before.n * sizeof before.top[0]);
    char path[64];
    snprintf(path, sizeof path, "%s/state.ckpt", dir);
    unlink(path);
    rmdir(dir);
}

/* ---- the engine on two threads (fw_engine_split) ------------------------ */

struct split_seen {
    char log[1 << 16]; /* minutes, incident events and calls, in order */
    size_t len;
    int incidents;
    double arrival_sum; /* fw_engine_arrival at each incident event */
    fw_engine *e;
};

static void split_log(struct split_seen *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->log + s->len, sizeof s->log - s->len, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof s->log - s->len);
    s->len += (size_t)n;
}

static void split_minute(void *ctx, const fw_minute *m)
{
    split_log(ctx, "minute %lld events %llu syn %llu dup %llu srcs %llu\n",
              (long long)(m->start_us / S), (unsigned long long)m->global.events,
              (unsigned long long)m->global.syn_only, (unsigned long long)m->quality.duplicates,
              (unsigned long long)fw_minute_sources(m));
}

static void split_incident(void *ctx, json_t *ev)
{
    struct split_seen *s = ctx;
    char *text = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    split_log(s, "incident %s\n", text);
    free(text);
    s->incidents++;
    s->arrival_sum += fw_engine_arrival(s->e);
}

static void split_call(void *ctx, int64_t arg)
{
    split_log(ctx, "call %lld\n", (long long)arg);
}

/* Six minutes of traffic in time order with a SYN flood in minutes 2-3,
 * duplicates, and stragglers older than the allowed lateness. */
static void run_split(bool split, struct split_seen *seen, fw_clean_stats *st)
{
    fw_config cfg;
    fw_config_defaults(&cfg);
    fw_engine e;
    fw_engine_opts o = {.out_of_order_us = (int64_t)(cfg.out_of_order_s * S), .detect = &cfg};
    fw_engine_sinks sinks = {.minute = split_minute, .incident = split_incident, .ctx = seen};
    fw_engine_init(&e, &o, &sinks);
    seen->e = &e;
    if (split)
        assert_int_equal(fw_engine_split(&e), 0);
    char raw[64];
    int k = 0;
    for (int64_t t = 0; t < 360 * S; t += 20000, k++) {
        bool flood = t >= 130 * S && t < 200 * S;
        snprintf(raw, sizeof raw, "r%d", k);
        fw_record r = rec_at(t, flood ? 5000 + k % 3000 : 100 + k % 50, flood ? 7 : 3 + k % 9,
                             flood ? FW_TCP_SYN : FW_TCP_ACK, raw);
        if (flood)
            r.flow.pkts_sent = 40;
        fw_engine_set_arrival(&e, (double)k);
        fw_engine_push(&e, &r);
        if (k % 97 == 0)
            fw_engine_push(&e, &r); /* a duplicate */
        if (k % 1013 == 0 && t > 150 * S) {
            r = rec_at(t - 150 * S, 1, 2, FW_TCP_ACK, "straggler");
            r.raw = raw; /* distinct text: not a duplicate */
            snprintf(raw, sizeof raw, "late%d", k);
            fw_engine_push(&e, &r);
        }
        if (k % 2000 == 0)
            fw_engine_call(&e, split_call, seen, k);
    }
    fw_engine_finish(&e);
    split_log(seen, "end\n");
    *st = e.clean.st;
    fw_engine_destroy(&e);
}

static void test_engine_split_same(void **state)
{
    static struct split_seen one, two;
    fw_clean_stats st1, st2;
    run_split(false, &one, &st1);
    run_split(true, &two, &st2);
    assert_true(one.incidents > 0); /* the flood was found */
    assert_true(st1.late > 0 && st1.duplicates > 0);
    assert_memory_equal(&st1, &st2, sizeof st1);
    assert_int_equal(one.len, two.len);
    assert_string_equal(one.log, two.log); /* same minutes, incidents, calls, same order */
    assert_true(one.arrival_sum == two.arrival_sum); /* each incident names its flow */
}

static void test_engine_stream_counts_late(void **state)
{
    struct minutes_seen seen = {0};
    fw_clean_stats st;
    run_engine(60 * S, 0, &seen, &st);
    /* The event at 185 s moves the watermark to 125 s: minutes 0 and 1 close,
     * so the event at 30 s is late, counted, and not in any minute. */
    assert_int_equal(st.late, 1);
    assert_int_equal(seen.events[0], 1);
    assert_int_equal(seen.sources[1], 5); /* from the sketch when no per-source rows */
    assert_int_equal(st.rows_read, st.accepted + st.duplicates + st.quarantined + st.late);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tumbler_order_and_late),
        cmocka_unit_test(test_watermark),
        cmocka_unit_test(test_engine_batch_holds_watermark),
        cmocka_unit_test(test_engine_stream_counts_late),
        cmocka_unit_test(test_engine_split_same),
        cmocka_unit_test(test_minute_ports_exact),
        cmocka_unit_test(test_minute_ports_cap_and_checkpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
