/*
 * detect_bench.c - the window-and-detection stage alone, on decoded records.
 *
 *   detect_bench FILE [PASSES]   decode FILE (the seed CSV) once, keep the
 *                                accepted records in event-time order, then
 *                                feed them PASSES times (each pass shifted
 *                                by the file's span) to the detector: keyed
 *                                window state, rules, incidents, evidence.
 *                                Prints events per second for that loop only.
 *   detect_bench --sources N     N distinct sources inside one 60 s window
 *                                toward 10 servers, through the same stage;
 *                                prints the state size.  Run under
 *                                /usr/bin/time -v for the resident memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/ts.h"
#include "detect/config.h"
#include "detect/detector.h"
#include "detect/incident.h"
#include "input/source.h"

static unsigned long incident_events;
static void on_event(void *ctx, json_t *ev) { incident_events++; }

static int cmp_ts(const void *a, const void *b)
{
    const fw_flow *x = a, *y = b;
    return (x->ts_us > y->ts_us) - (x->ts_us < y->ts_us);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Feed flows[0, n) `passes` times through a fresh detector; returns seconds. */
__attribute__((noinline)) static double run(const fw_flow *flows, size_t n, int passes, fw_detector_stats *st)
{
    fw_config cfg;
    fw_config_defaults(&cfg);
    fw_incidents *inc = fw_incidents_new(&cfg, on_event, NULL);
    fw_detector *d = fw_detector_new(&cfg, inc);
    int64_t span = flows[n - 1].ts_us - flows[0].ts_us + 60 * FW_US_PER_S;
    double t0 = now_s();
    for (int p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i++) {
            fw_flow f = flows[i];
            f.ts_us += p * span;
            fw_detector_feed(d, &f); /* with the incidents' evidence */
        }
    }
    fw_detector_flush(d, flows[n - 1].ts_us + (passes - 1) * span);
    double s = now_s() - t0;
    fw_detector_get_stats(d, st);
    fw_detector_free(d);
    fw_incidents_free(inc);
    return s;
}

int main(int argc, char **argv)
{
    fw_flow *flows = NULL;
    size_t n = 0, cap = 0;
    int passes = 1;
    const char *what;
    if (argc >= 3 && !strcmp(argv[1], "--sources")) {
        /* N distinct sources, each sending one flow, spread over 60 s. */
        n = strtoull(argv[2], NULL, 10);
        flows = fw_xcalloc(n ? n : 1, sizeof *flows);
        int64_t t0 = 1767225600LL * FW_US_PER_S;
        for (size_t i = 0; i < n; i++) {
            fw_flow *f = &flows[i];
            f->ts_us = t0 + (int64_t)(i * (60.0 * FW_US_PER_S / n));
            fw_addr_set_v4(&f->src, 0x20000000u + (uint32_t)i);
            fw_addr_set_v4(&f->dst, 0x0a000101u + (uint32_t)(i % 10));
            f->proto = FW_PROTO_TCP;
            f->tcp_flags = FW_TCP_ACK;
            f->dst_port = 443;
            f->pkts_sent = f->pkts_recv = 1;
            f->bytes_sent = 400;
            f->response_us = 30000;
        }
        what = "distinct sources in one window";
    } else if (argc >= 2) {
        passes = argc > 2 ? atoi(argv[2]) : 13;
        char err[512];
        fw_source *src = fw_source_open(argv[1], err, sizeof err);
        if (!src) {
            fprintf(stderr, "detect_bench: %s\n", err);
            return 1;
        }
        fw_record rec;
        fw_faults q = fw_quarantine_mask();
        while (fw_source_next(src, &rec, err, sizeof err) == 1) {
            if (rec.faults & q)
                continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 1 << 20;
                flows = fw_xrealloc(flows, cap * sizeof *flows);
            }
            flows[n++] = rec.flow;
        }
        fw_source_close(src);
        qsort(flows, n, sizeof *flows, cmp_ts);
        what = "decoded records of the file";
    } else {
        fprintf(stderr, "usage: detect_bench FILE [PASSES] | detect_bench --sources N\n");
        return 2;
    }
    fw_detector_stats st;
    double s = run(flows, n, passes, &st);
    double events = (double)n * passes;
    printf("detect_bench: %.0f events (%zu %s x %d), %.3f s, %.2f M events/s, %lu incident "
           "events, %llu signals, state %.1f MiB, %llu source keys\n",
           events, n, what, passes, s, events / s / 1e6, incident_events,
           (unsigned long long)st.signals, st.state_bytes / 1048576.0,
           (unsigned long long)st.src_keys);
    free(flows);
    return 0;
}
