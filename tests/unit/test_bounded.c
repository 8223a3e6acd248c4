/* test_bounded.c - the minute spill and the two-pass batch pipeline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ts.h"
#include "stream/bounded.h"
#include "stream/spill.h"

#define S FW_US_PER_S
#define MIN (60 * S)

struct rec {
    int64_t ts;
    uint64_t seq;
    char pad[40];
};

/* Records land in their bucket, come back in the order added, and buckets
 * come out in time order, whether they stayed in memory or went to disk. */
static void check_spill(size_t budget, bool expect_disk)
{
    fw_spill *s = fw_spill_new(MIN, sizeof(struct rec), budget);
    char err[256];
    const int n = 20000;
    /* Minutes 7, 3, -2 (before the epoch), 100, in a shuffled order. */
    static const int64_t minute[] = {7, 3, -2, 100};
    for (int i = 0; i < n; i++) {
        struct rec r = {.ts = minute[(i * 7 + i / 3) % 4] * MIN + (i % 59) * S, .seq = (uint64_t)i};
        assert_int_equal(fw_spill_add(s, r.ts, &r, err, sizeof err), 0);
    }
    assert_int_equal(fw_spill_count(s), n);
    assert_int_equal(fw_spill_buckets(s), 4);
    assert_true(expect_disk ? fw_spill_disk_bytes(s) > 0 : fw_spill_disk_bytes(s) == 0);
    /* Settling writes out whatever a spilled input still holds (every
     * record is then on disk), and leaves an input that fits alone. */
    assert_int_equal(fw_spill_settle(s, err, sizeof err), 0);
    if (expect_disk)
        assert_true(fw_spill_disk_bytes(s) >= (uint64_t)n * sizeof(struct rec));
    else
        assert_int_equal(fw_spill_disk_bytes(s), 0);
    static const int64_t sorted[] = {-2, 3, 7, 100};
    uint64_t total = 0;
    for (size_t b = 0; b < 4; b++) {
        assert_int_equal(fw_spill_bucket_start(s, b), sorted[b] * MIN);
        size_t len = fw_spill_bucket_len(s, b);
        struct rec *out = malloc(len * sizeof *out);
        assert_int_equal(fw_spill_read(s, b, out, err, sizeof err), 0);
        fw_spill_release(s, b);
        for (size_t k = 0; k < len; k++) {
            assert_int_equal(fw_floor_div(out[k].ts, MIN), sorted[b]);
            if (k)
                assert_true(out[k].seq > out[k - 1].seq);
        }
        total += len;
        free(out);
    }
    assert_int_equal(total, n);
    fw_spill_free(s);
}

static void test_spill_in_memory(void **state) { check_spill(64u << 20, false); }
/* A 16 KiB budget forces dozens of pieces per bucket. */
static void test_spill_to_disk(void **state) { check_spill(16u << 10, true); }

/* More buckets than one write takes (256 pieces): every piece of every
 * spill lands where its chain says, contents intact. */
static void test_spill_many_buckets(void **state)
{
    const int nb = 700, per = 30;
    fw_spill *s = fw_spill_new(MIN, sizeof(struct rec), 64u << 10);
    char err[256];
    for (int k = 0; k < per; k++)
        for (int b = 0; b < nb; b++) {
            int m = (b * 389) % nb; /* buckets visited out of order */
            struct rec r = {.ts = m * MIN + k * S, .seq = (uint64_t)(k * nb + m)};
            memset(r.pad, (int)(r.seq % 251), sizeof r.pad);
            assert_int_equal(fw_spill_add(s, r.ts, &r, err, sizeof err), 0);
        }
    assert_int_equal(fw_spill_buckets(s), nb);
    assert_true(fw_spill_disk_bytes(s) > (uint64_t)nb * per * sizeof(struct rec) / 2);
    struct rec out[30];
    for (int b = 0; b < nb; b++) {
        assert_int_equal(fw_spill_bucket_len(s, (size_t)b), per);
        assert_int_equal(fw_spill_read(s, (size_t)b, out, err, sizeof err), 0);
        fw_spill_release(s, (size_t)b);
        for (int k = 0; k < per; k++) {
            assert_int_equal(out[k].ts, b * MIN + k * S);
            assert_int_equal(out[k].seq, (uint64_t)(k * nb + b));
            for (size_t i = 0; i < sizeof out[k].pad; i++)
                assert_int_equal((unsigned char)out[k].pad[i], out[k].seq % 251);
        }
    }
    fw_spill_free(s);
}

/* Records appended in groups (fw_spill_group_*, fw_spill_add_group) land as
 * if added one by one: same buckets, same order, lines rebased.  Groups of
 * 1,000 records over shuffled minutes (a counting sort), and one group whose
 * minutes lie years apart (the sorted fallback); in memory and through a
 * 16 KiB budget that spills in the middle of a group.  Read back sorted,
 * the memory-held buckets are handed over rather than copied; one reader
 * serves both spills in turn. */
struct lrec {
    int64_t ts;
    uint64_t line;
    uint64_t seq;
    char pad[24];
};

static int64_t group_ts(int i)
{
    if (i >= 9000) /* the last group: minutes years apart, before and after the epoch */
        return (int64_t)((i % 3) - 1) * 900000 * MIN + (i % 50) * S;
    return (int64_t)((i * 37) % 11) * MIN + (59 - i % 60) * S; /* times fall within a minute */
}

static void check_groups(size_t budget)
{
    char err[256];
    const int n = 10000, per = 1000;
    fw_spill *one = fw_spill_new(MIN, sizeof(struct lrec), budget);
    fw_spill *grouped = fw_spill_new(MIN, sizeof(struct lrec), budget);
    fw_spill_group g = {0};
    for (int base = 0; base < n; base += per) {
        fw_spill_group_begin(&g, MIN, sizeof(struct lrec));
        for (int i = base; i < base + per; i++)
            fw_spill_group_count(&g, group_ts(i));
        fw_spill_group_layout(&g);
        for (int i = base; i < base + per; i++) {
            struct lrec r = {.ts = group_ts(i), .line = (uint64_t)(i - base), .seq = (uint64_t)i};
            memset(r.pad, i % 251, sizeof r.pad);
            memcpy(fw_spill_group_place(&g, (size_t)(i - base)), &r, sizeof r);
            r.line += (uint64_t)base + 2; /* what the group's rebase adds */
            assert_int_equal(fw_spill_add(one, r.ts, &r, err, sizeof err), 0);
        }
        assert_int_equal(fw_spill_add_group(grouped, &g, offsetof(struct lrec, line),
                                            (uint64_t)base + 2, err, sizeof err),
                         0);
    }
    fw_spill_group_free(&g);
    assert_int_equal(fw_spill_count(grouped), n);
    assert_int_equal(fw_spill_buckets(grouped), fw_spill_buckets(one));
    assert_true(budget > (1u << 20) ? fw_spill_disk_bytes(grouped) == 0
                                    : fw_spill_disk_bytes(grouped) > 0);
    assert_int_equal(fw_spill_settle(one, err, sizeof err), 0);
    assert_int_equal(fw_spill_settle(grouped, err, sizeof err), 0);
    fw_spill_sorted a = {0}, b = {0};
    for (size_t k = 0; k < fw_spill_buckets(one); k++) {
        assert_int_equal(fw_spill_bucket_start(grouped, k), fw_spill_bucket_start(one, k));
        size_t len = fw_spill_bucket_len(one, k);
        assert_int_equal(fw_spill_bucket_len(grouped, k), len);
        /* Alternate which spill the reader a serves, so it goes from a
         * handed-over buffer to a copy and back. */
        fw_spill *first = k % 2 ? one : grouped, *second = k % 2 ? grouped : one;
        assert_int_equal(fw_spill_read_sorted(first, k, offsetof(struct lrec, ts), &a, err,
                                              sizeof err), 0);
        assert_int_equal(fw_spill_read_sorted(second, k, offsetof(struct lrec, ts), &b, err,
                                              sizeof err), 0);
        assert_int_equal(a.len, len);
        assert_int_equal(b.len, len);
        assert_memory_equal(a.recs, b.recs, len * sizeof(struct lrec));
        const struct lrec *r = a.recs;
        for (size_t i = 0; i < len; i++) {
            const struct lrec *x = &r[(uint32_t)a.order[i]];
            assert_int_equal(x->line, x->seq + 2);
            assert_int_equal(fw_floor_div(x->ts, MIN) * MIN, fw_spill_bucket_start(one, k));
            if (i) {
                const struct lrec *p = &r[(uint32_t)a.order[i - 1]];
                assert_true(p->ts < x->ts || (p->ts == x->ts && p->seq < x->seq));
            }
        }
    }
    fw_spill_sorted_free(&a);
    fw_spill_sorted_free(&b);
    fw_spill_free(one);
    fw_spill_free(grouped);
}

static void test_spill_groups_in_memory(void **state) { check_groups(64u << 20); }
static void test_spill_groups_to_disk(void **state) { check_groups(16u << 10); }

/* ---- the pipeline ------------------------------------------------------- */

struct out {
    char text[1 << 16];
    size_t len;
    uint64_t flows;
    uint64_t flow_digest; /* of every flow, in order (run_busy) */
    /* The same from the flows_beside sink, which may run on another thread
     * at the same time as the others (so apart, on its own cache line). */
    _Alignas(64) uint64_t beside_flows, beside_digest;
};

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(o->text + o->len, sizeof o->text - o->len, fmt, ap);
    va_end(ap);
    assert_true(w > 0 && o->len + (size_t)w < sizeof o->text);
    o->len += (size_t)w;
}

static void on_flows(void *ctx, const fw_flow *const *f, size_t n)
{
    struct out *o = ctx;
    for (size_t i = 0; i < n; i++) {
        /* Event-time order across the whole run. */
        put(o, "f %lld %u\n", (long long)f[i]->ts_us, f[i]->src_port);
        o->flows++;
    }
}

static void on_minute(void *ctx, const fw_minute *m)
{
    put(ctx, "m %lld ev=%llu q=%llu d=%llu dst=%zu\n", (long long)m->start_us,
        (unsigned long long)m->global.events, (unsigned long long)m->quality.quarantined,
        (unsigned long long)m->quality.duplicates, (size_t)m->dst.len);
}

static void on_quarantine(void *ctx, uint64_t line, fw_faults reasons, const char *raw, size_t n)
{
    put(ctx, "q %llu %.*s\n", (unsigned long long)line, (int)n, raw);
}

static fw_record record(uint64_t line, int64_t ts, uint16_t port, const char *raw)
{
    fw_record r = {0};
    r.flow.ts_us = ts;
    fw_addr_parse("10.0.0.1", 8, &r.flow.src);
    fw_addr_parse("10.0.0.2", 8, &r.flow.dst);
    r.flow.proto = FW_PROTO_UDP;
    r.flow.src_port = port;
    r.flow.dst_port = 53;
    r.flow.pkts_sent = 1;
    r.flow.bytes_sent = 100;
    r.raw = raw;
    r.raw_n = strlen(raw);
    r.line = line;
    return r;
}

/* Ten minutes, shuffled; a duplicate of each tenth row; a quarantined row
 * with a time and one without.  Every thread count and budget must give
 * the same sinks output, in the same order. */
static void run(unsigned threads, size_t budget, size_t split_min, struct out *o, fw_clean_stats *st)
{
    fw_bounded_sinks sinks = {.quarantine = on_quarantine, .flows = on_flows,
                              .minute = on_minute, .ctx = o};
    fw_bounded *b = fw_bounded_new(false, budget, &sinks);
    fw_bounded_set_split(b, split_min);
    char err[256], raw[64];
    uint64_t line = 1;
    for (int i = 0; i < 3000; i++) {
        int64_t ts = (int64_t)((i * 7919) % 600) * S + (i % 3) * 1000;
        snprintf(raw, sizeof raw, "row %d", i);
        fw_record r = record(++line, ts, (uint16_t)i, raw);
        assert_int_equal(fw_bounded_push(b, &r, err, sizeof err), 0);
        if (i % 10 == 0) {
            r.line = ++line;
            r.flow.src_port = 9; /* same text: a duplicate; the first is kept */
            assert_int_equal(fw_bounded_push(b, &r, err, sizeof err), 0);
        }
    }
    fw_record q = record(++line, 125 * S, 1, "bad,row");
    q.faults = FW_BIT(FW_R_SRC_IP_INVALID);
    assert_int_equal(fw_bounded_push(b, &q, err, sizeof err), 0);
    q = record(++line, 0, 1, "no,time");
    q.faults = FW_BIT(FW_R_TIMESTAMP_INVALID);
    assert_int_equal(fw_bounded_push(b, &q, err, sizeof err), 0);
    assert_int_equal(fw_bounded_run(b, threads, err, sizeof err), 0);
    *st = *fw_bounded_stats(b);
    int64_t first, last;
    fw_bounded_span(b, &first, &last);
    assert_int_equal(first, 0);
    assert_true(last >= 599 * S && last < 600 * S);
    fw_bounded_free(b);
}

static void test_bounded_identical_for_any_threads(void **state)
{
    static struct out ref, o;
    fw_clean_stats st_ref, st;
    memset(&ref, 0, sizeof ref);
    run(1, 64u << 20, 0, &ref, &st_ref);
    assert_int_equal(st_ref.rows_read, 3000 + 300 + 2);
    assert_int_equal(st_ref.accepted, 3000);
    assert_int_equal(st_ref.duplicates, 300);
    assert_int_equal(st_ref.quarantined, 2);
    assert_int_equal(ref.flows, 3000);
    /* No kept flow is a duplicate's copy: port 9 only for i == 9. */
    int nine = 0;
    for (const char *p = ref.text; (p = strstr(p, " 9\n")); p++)
        nine++;
    assert_int_equal(nine, 1);
    /* Minute 2 has the quarantined row with a time. */
    assert_non_null(strstr(ref.text, "m 120000000 ev=300 q=1 d=30 dst=1\n"));
    /* Quarantined rows go out at once, before any minute. */
    assert_true(strstr(ref.text, "q ") < strstr(ref.text, "m "));
    /* Flows in event-time order. */
    long long prev = -1, ts;
    for (const char *p = ref.text; (p = strstr(p, "f ")); p++) {
        assert_int_equal(sscanf(p, "f %lld", &ts), 1);
        assert_true(ts >= prev);
        prev = ts;
    }
    /* With slices of 1 and 64 records every minute is cut (two-stage). */
    static const struct { unsigned threads; size_t budget, split_min; } cases[] = {
        {2, 64u << 20, 0}, {3, 4096, 0}, {8, 1, 0}, {1, 4096, 0},
        {2, 64u << 20, 1}, {3, 4096, 64}, {8, 1, 1}, {16, 4096, 100},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memset(&o, 0, sizeof o);
        run(cases[c].threads, cases[c].budget, cases[c].split_min, &o, &st);
        assert_int_equal(o.len, ref.len);
        assert_memory_equal(o.text, ref.text, ref.len);
        assert_memory_equal(&st, &st_ref, sizeof st);
    }
}

/* ---- two-stage aggregation of one busy minute ---------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

static uint64_t counts_digest(const fw_counts *c)
{
    const uint64_t v[] = {c->events, c->bytes, c->bytes_recv, c->packets, c->syn_only, c->tcp,
                          c->udp, c->icmp, c->other, c->labelled, c->repaired};
    uint64_t h = 1;
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        h = mix(h, v[i]);
    return h;
}

/* The flows in order, digested: too many to print. */
static void on_flows_digest(void *ctx, const fw_flow *const *f, size_t n)
{
    struct out *o = ctx;
    for (size_t i = 0; i < n; i++) {
        o->flow_digest = mix(mix(o->flow_digest, (uint64_t)f[i]->ts_us), f[i]->src_port);
        o->flows++;
    }
}

static void on_beside_digest(void *ctx, const fw_flow *const *f, size_t n)
{
    struct out *o = ctx;
    for (size_t i = 0; i < n; i++) {
        o->beside_digest = mix(mix(o->beside_digest, (uint64_t)f[i]->ts_us), f[i]->src_port);
        o->beside_flows++;
    }
}

/* Everything a minute holds, independent of its maps' layout: entries are
 * digested apart and summed; ports through the written (sorted) rows. */
static void on_minute_full(void *ctx, const fw_minute *m)
{
    uint64_t dsum = 0, ssum = 0, csum = 0;
    size_t it = 0;
    const fw_addr *key;
    const fw_minute_dst *d;
    while ((d = fw_amap_next(&m->dst, &it, &key)))
        dsum += mix(mix(fw_addr_mix(key), counts_digest(&d->c)),
                    fw_distinct_count(&d->sources) * 2 + fw_distinct_is_exact(&d->sources));
    it = 0;
    const fw_counts *c;
    while ((c = fw_amap_next(&m->src, &it, &key)))
        ssum += mix(fw_addr_mix(key), counts_digest(c));
    for (unsigned k = 0; m->countries && k < FW_COUNTRY_SLOTS; k++)
        csum = mix(csum, m->countries[k].events * 31 + m->countries[k].bytes + m->countries[k].labelled);
    static fw_port_row rows[FW_MINUTE_PORTS];
    size_t nr = fw_port_table_top(&m->ports, rows, FW_MINUTE_PORTS);
    uint64_t psum = 0;
    for (size_t k = 0; k < nr; k++)
        psum = mix(psum, (uint64_t)rows[k].proto << 16 ^ rows[k].port ^ counts_digest(&(fw_counts){
                   .events = rows[k].c.events, .bytes = rows[k].c.bytes, .packets = rows[k].c.packets}));
    put(ctx, "m %lld g=%llx q=%llu d=%llu dst=%zu/%llx src=%zu/%llx c=%llx ports=%u+%llu/%zu/%llx %d\n",
        (long long)m->start_us, (unsigned long long)counts_digest(&m->global),
        (unsigned long long)m->quality.quarantined, (unsigned long long)m->quality.duplicates,
        (size_t)m->dst.len, (unsigned long long)dsum, (size_t)m->src.len, (unsigned long long)ssum,
        (unsigned long long)csum, m->ports.n, (unsigned long long)m->ports.dropped, nr,
        (unsigned long long)psum, fw_port_table_complete(&m->ports));
}

/*
 * Minutes of many rows: destinations with more distinct sources than the
 * exact sets hold (so sketches merge), per-source rows, countries, repaired
 * rows, duplicates, and in minute 1 a port scan over more (protocol, port)
 * pairs than are tracked, whose kept pairs depend on the order they were
 * first seen.  ports_base spreads the first minute's ports too.
 */
static void run_busy(unsigned threads, size_t split_min, struct out *o, fw_clean_stats *st)
{
    fw_bounded_sinks sinks = {.quarantine = on_quarantine, .flows = on_flows_digest,
                              .minute = on_minute_full, .flows_beside = on_beside_digest,
                              .ctx = o};
    fw_bounded *b = fw_bounded_new(true, 1u << 20, &sinks);
    fw_bounded_set_split(b, split_min);
    char err[256], raw[64];
    uint64_t line = 1;
    for (int i = 0; i < 40000; i++) {
        int minute = i % 3;
        int64_t ts = minute * MIN + (int64_t)((i * 7919) % 60000) * 1000;
        snprintf(raw, sizeof raw, "busy %d", i);
        fw_record r = record(++line, ts, (uint16_t)i, raw);
        char a[32];
        int n = snprintf(a, sizeof a, "10.%d.%d.%d", i % 7, i / 256 % 256, i % 256);
        fw_addr_parse(a, (size_t)n, &r.flow.src);
        n = snprintf(a, sizeof a, "192.168.0.%d", i % 5);
        fw_addr_parse(a, (size_t)n, &r.flow.dst);
        r.flow.proto = i % 4 ? FW_PROTO_TCP : FW_PROTO_UDP;
        r.flow.tcp_flags = i % 3 ? FW_TCP_SYN : 0;
        r.flow.dst_port = (uint16_t)(minute == 1 ? 1000 + i / 3 % 9001 : 80 + i % 40);
        r.flow.bytes_sent = (uint64_t)(40 + i % 1400);
        r.flow.is_attack = i % 11 == 0;
        r.flow.country[0] = (char)('A' + i % 26);
        r.flow.country[1] = (char)('A' + i / 26 % 26);
        r.faults = i % 17 == 0 ? FW_BIT(FW_R_COUNTRY_CLEARED) : 0; /* a repair */
        assert_int_equal(fw_bounded_push(b, &r, err, sizeof err), 0);
        if (i % 9 == 0) {
            r.line = ++line;
            assert_int_equal(fw_bounded_push(b, &r, err, sizeof err), 0);
        }
    }
    assert_int_equal(fw_bounded_run(b, threads, err, sizeof err), 0);
    *st = *fw_bounded_stats(b);
    fw_bounded_free(b);
}

static void test_two_stage_same_as_one_pass(void **state)
{
    static struct out ref, o;
    fw_clean_stats st_ref, st;
    memset(&ref, 0, sizeof ref);
    run_busy(1, 0, &ref, &st_ref);
    assert_int_equal(st_ref.accepted, 40000);
    assert_int_equal(st_ref.duplicates, 4445);
    /* Minute 1's scan overflows the port table; minute 0's does not. */
    assert_non_null(strstr(ref.text, "m 0 "));
    char m1[512];
    const char *p = strstr(ref.text, "m 60000000 ");
    assert_non_null(p);
    snprintf(m1, sizeof m1, "%.*s", (int)(strchr(p, '\n') - p), p);
    assert_null(strstr(m1, "+0/"));
    assert_true(m1[strlen(m1) - 1] == '0'); /* not complete */
    assert_non_null(strstr(ref.text, "ports=40+0/40/"));
    assert_int_equal(ref.beside_flows, ref.flows);
    assert_int_equal(ref.beside_digest, ref.flow_digest);
    static const struct { unsigned threads; size_t split_min; } cases[] = {
        {2, 1}, {2, 5000}, {3, 1000}, {8, 1}, {2, 0}, {4, 20000},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memset(&o, 0, sizeof o);
        run_busy(cases[c].threads, cases[c].split_min, &o, &st);
        assert_int_equal(o.len, ref.len);
        assert_memory_equal(o.text, ref.text, ref.len);
        assert_int_equal(o.flows, ref.flows);
        assert_int_equal(o.flow_digest, ref.flow_digest);
        /* The sink beside saw every flow, in the same order. */
        assert_int_equal(o.beside_flows, ref.flows);
        assert_int_equal(o.beside_digest, ref.flow_digest);
        assert_memory_equal(&st, &st_ref, sizeof st);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spill_in_memory),
        cmocka_unit_test(test_spill_to_disk),
        cmocka_unit_test(test_spill_many_buckets),
        cmocka_unit_test(test_spill_groups_in_memory),
        cmocka_unit_test(test_spill_groups_to_disk),
        cmocka_unit_test(test_bounded_identical_for_any_threads),
        cmocka_unit_test(test_two_stage_same_as_one_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
