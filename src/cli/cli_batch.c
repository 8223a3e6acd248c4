/*
 * cli_batch.c - `floodwatch batch FILE`: clean and analyse a whole file.
 *
 * The bounded-input pipeline (stream/bounded.h): every record is decoded
 * and cleaned, accepted flows are spilled by minute and then aggregated and
 * run through detection one minute at a time, and the results go to SQLite
 * in one transaction, a JSON summary and a readable summary on stdout.
 */
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/afile.h"
#include "core/log.h"
#include "core/ts.h"
#include "detect/config.h"
#include "detect/detector.h"
#include "detect/incident.h"
#include "input/source.h"
#include "report/summary.h"
#include "store/store.h"
#include "stream/bounded.h"

static const char usage_text[] =
    "usage: floodwatch batch [options] FILE\n"
    "\n"
    "Clean and analyse a whole traffic log (the seed CSV format; '-' reads stdin).\n"
    "\n"
    "  --db PATH        SQLite database to write (default floodwatch.db); one run per call\n"
    "  --no-db          do not write a database\n"
    "  --summary PATH   write the JSON summary to PATH ('-' for stdout)\n"
    "  --store-flows    also store every cleaned flow in the database (large)\n"
    "  --threads N      decode and aggregate on N threads (default: the CPUs, at\n"
    "                   most 8; 1 does it all on this thread); results are the same\n"
    "  --two-stage on|off  aggregate a busy minute (over 64k rows) in slices on\n"
    "                   all threads and merge them (default on); results are the same\n"
    "  --no-detect      skip detection (attack episodes)\n"
    "  --config FILE    detection settings (see floodwatch stream --print-config)\n"
    "  --set S.K=V      override one detection setting (repeatable)\n"
    "  --no-progress    no progress bar (shown on a terminal by default)\n"
    "  -q, --quiet      no readable summary on stdout\n"
    "  -h, --help       this text\n";

/* Records held in memory before pass 1 spills to a temporary file: the
 * seed file's 0.8M records take 88 MB, so it spills a few times. */
#define FW_BATCH_SPILL_BUDGET (16u << 20)

struct batch {
    fw_store *store;
    fw_summary summary;
    bool store_flows;
    _Atomic int failed; /* a store write failed */
    fw_detector *detector; /* NULL with --no-detect */
    json_t *episodes;      /* the end event of every incident */
    /* Detection runs beside the store (fw_bounded_sinks.flows_beside): its
     * incident events wait here, in order, for the store's side. */
    pthread_mutex_t inc_mu;
    json_t *inc_pending;
};

static void on_quarantine(void *ctx, uint64_t line, fw_faults reasons, const char *raw, size_t n)
{
    struct batch *b = ctx;
    if (b->store && fw_store_quarantine(b->store, line, reasons, raw, n))
        b->failed = 1;
}

/* One minute's accepted flows, in event-time order, minutes in order. */
static void on_flows(void *ctx, const fw_flow *const *fl, size_t n)
{
    struct batch *b = ctx;
    for (size_t i = 0; i < n; i++) {
        const fw_flow *f = fl[i];
        fw_summary_flow(&b->summary, f);
        if (b->store_flows && b->store && fw_store_flow(b->store, f))
            b->failed = 1;
    }
}

/* The same flows, beside on_flows and on_minute: detection. */
static void on_flows_beside(void *ctx, const fw_flow *const *fl, size_t n)
{
    struct batch *b = ctx;
    for (size_t i = 0; i < n; i++)
        fw_detector_feed(b->detector, fl[i]);
}

/* Write the incident events detection has produced so far, in order. */
static void store_incidents(struct batch *b)
{
    pthread_mutex_lock(&b->inc_mu);
    json_t *evs = b->inc_pending;
    b->inc_pending = json_array();
    pthread_mutex_unlock(&b->inc_mu);
    size_t i;
    json_t *ev;
    json_array_foreach(evs, i, ev)
        if (b->store && fw_store_incident(b->store, ev))
            b->failed = 1;
    json_decref(evs);
}

static void on_minute(void *ctx, const fw_minute *m)
{
    struct batch *b = ctx;
    fw_summary_minute_add(&b->summary, m);
    if (b->store && fw_store_minute(b->store, m))
        b->failed = 1;
    store_incidents(b);
}

static void on_incident(void *ctx, json_t *ev)
{
    struct batch *b = ctx;
    if (b->store) {
        /* A copy: the store's side must share no object with this one. */
        pthread_mutex_lock(&b->inc_mu);
        json_array_append_new(b->inc_pending, json_deep_copy(ev));
        pthread_mutex_unlock(&b->inc_mu);
    }
    if (!strcmp(json_string_value(json_object_get(ev, "event")), "end"))
        json_array_append(b->episodes, ev);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(const fw_source *src, uint64_t rows, bool done)
{
    uint64_t size = fw_source_size(src), off = fw_source_offset(src);
    if (size) {
        int pct = (int)(100.0 * (double)off / (double)size);
        int bar = pct * 30 / 100;
        fprintf(stderr, "\r[%.*s%*s] %3d%% %llu rows", bar, "##############################",
                30 - bar, "", pct, (unsigned long long)rows);
    } else {
        fprintf(stderr, "\r%llu rows", (unsigned long long)rows);
    }
    if (done)
        fputc('\n', stderr);
}

int fw_cli_batch(int argc, char **argv)
{
    static const struct option opts[] = {
        {"no-detect", no_argument, NULL, 'N'},     {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 'S'},     {"threads", required_argument, NULL, 'T'},
        {"db", required_argument, NULL, 'd'},      {"no-db", no_argument, NULL, 'D'},
        {"summary", required_argument, NULL, 's'}, {"store-flows", no_argument, NULL, 'f'},
        {"no-progress", no_argument, NULL, 'P'},   {"quiet", no_argument, NULL, 'q'},
        {"two-stage", required_argument, NULL, '2'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_path = "floodwatch.db", *summary_path = NULL;
    bool quiet = false, show_progress = isatty(2), store_flows = false, detecting = true;
    bool two_stage = true;
    unsigned threads = fw_default_threads();
    fw_config cfg;
    fw_config_defaults(&cfg);
    char err[1024];
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'N': detecting = false; break;
        case '2':
            if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
                fprintf(stderr, "floodwatch batch: --two-stage '%s': expected on or off\n", optarg);
                return 2;
            }
            two_stage = !strcmp(optarg, "on");
            break;
        case 'T':
            if (fw_parse_threads(optarg, &threads)) {
                fprintf(stderr, "floodwatch batch: --threads '%s': expected 1 to 64\n", optarg);
                return 2;
            }
            break;
        case 'c':
            if (fw_config_load(&cfg, optarg, err, sizeof err)) {
                fw_err("%s", err);
                return 2;
            }
            break;
        case 'S':
            if (fw_config_set(&cfg, optarg, err, sizeof err)) {
                fw_err("%s", err);
                return 2;
            }
            break;
        case 'd': db_path = optarg; break;
        case 'D': db_path = NULL; break;
        case 's': summary_path = optarg; break;
        case 'f': store_flows = true; break;
        case 'P': show_progress = false; break;
        case 'q': quiet = true; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "floodwatch batch: expected one input FILE\n%s", usage_text);
        return 2;
    }
    const char *input = argv[optind];
    double t0 = now_s();

    fw_source *src = fw_source_open(input, err, sizeof err);
    if (!src) {
        fw_err("%s", err);
        return 1;
    }
    if (fw_source_schema(src)->nextra)
        fw_warn("%s: ignoring unknown column(s): %s", fw_source_name(src),
                fw_source_schema(src)->extra);
    struct batch b = {.store_flows = store_flows, .episodes = json_array(),
                      .inc_pending = json_array()};
    pthread_mutex_init(&b.inc_mu, NULL);
    fw_summary_init(&b.summary);
    fw_incidents *incidents = NULL;
    if (detecting) {
        incidents = fw_incidents_new(&cfg, on_incident, &b);
        b.detector = fw_detector_new(&cfg, incidents);
    }
    int status = 0;
    if (db_path) {
        char optjson[64];
        snprintf(optjson, sizeof optjson, "{\"store_flows\":%s}", store_flows ? "true" : "false");
        b.store = fw_store_open(db_path, "batch", fw_source_name(src), optjson, err, sizeof err);
        if (!b.store) {
            fw_err("%s", err);
            status = 1;
        }
    }
    fw_bounded_sinks sinks = {.quarantine = on_quarantine, .flows = on_flows,
                              .minute = on_minute,
                              .flows_beside = b.detector ? on_flows_beside : NULL, .ctx = &b};
    fw_bounded *bd = fw_bounded_new(true, FW_BATCH_SPILL_BUDGET, &sinks);
    fw_bounded_set_split(bd, two_stage ? FW_BOUNDED_SPLIT_MIN : 0);

    /* Pass 1: decode, judge quarantine, spill by minute; on several threads
     * the spilling is done where each range is decoded. */
    fw_post post;
    fw_bounded_post(bd, &post);
    fw_source_set_post(src, &post);
    if (!status && fw_source_set_threads(src, threads, err, sizeof err)) {
        fw_err("%s", err);
        status = 1;
    }
    fw_batch bt;
    int rc = 0;
    uint64_t n = 0;
    while (!status && (rc = fw_source_next_batch(src, &bt, err, sizeof err)) == 1) {
        if (fw_bounded_push_batch(bd, &bt, err, sizeof err)) {
            rc = -1;
            break;
        }
        if (show_progress && ((n + bt.n) ^ n) >> 16)
            progress(src, n + bt.n, false);
        n += bt.n;
        if (b.failed)
            break;
    }
    if (show_progress && !status)
        progress(src, n, true);
    /* Pass 2: minute by minute, aggregates and detection. */
    if (status) {
        /* the store did not open, or threads did not start */
    } else if (rc < 0) {
        fw_err("%s", err);
        status = 1;
    } else if (b.failed) {
        fw_err("%s: cannot write: %s", db_path, fw_store_errmsg(b.store));
        status = 1;
    } else if (fw_bounded_run(bd, threads, err, sizeof err)) {
        fw_err("%s", err);
        status = 1;
    } else {
        if (b.detector)
            fw_detector_flush(b.detector, INT64_MAX / 2);
        store_incidents(&b);
        if (b.failed) {
            fw_err("%s: cannot write: %s", db_path, fw_store_errmsg(b.store));
            status = 1;
        }
    }
    const fw_clean_stats *st = fw_bounded_stats(bd);
    int64_t first_us, last_us;
    fw_bounded_span(bd, &first_us, &last_us);
    const uint64_t *empty = fw_source_empty(src);
    if (!status && b.store) {
        if (fw_store_finish_run(b.store, st, empty, fw_source_schema(src), first_us, last_us,
                                fw_source_blank_lines(src))) {
            fw_err("%s: cannot write: %s", db_path, fw_store_errmsg(b.store));
            status = 1;
        }
    }
    fw_summary_ctx sc = {
        .input = fw_source_name(src), .db_path = db_path, .st = st,
        .schema = fw_source_schema(src), .empty = empty, .first_us = first_us,
        .last_us = last_us, .blank_lines = fw_source_blank_lines(src),
    };
    /* Write the summary to its temporary file, commit the database, then
     * move the summary into place: a failure leaves neither. */
    fw_afile sj;
    bool sj_open = false;
    if (!status && summary_path) {
        err[0] = 0;
        if (fw_afile_open(&sj, summary_path, err, sizeof err)) {
            fw_err("%s", err);
            status = 1;
        } else {
            sj_open = true;
            json_t *j = fw_summary_json(&b.summary, &sc);
            if (b.detector)
                json_object_set(j, "episodes", b.episodes);
            if (json_dumpf(j, sj.f, JSON_INDENT(2)) || fputc('\n', sj.f) == EOF) {
                fw_err("%s: write error", summary_path);
                status = 1;
            }
            json_decref(j);
        }
    }
    if (!status && b.store) {
        if (fw_store_commit(b.store, err, sizeof err)) {
            fw_err("%s", err);
            status = 1;
        }
        b.store = NULL;
    }
    if (sj_open) {
        if (status)
            fw_afile_abort(&sj);
        else if (fw_afile_commit(&sj, err, sizeof err)) {
            fw_err("%s", err);
            status = 1;
        }
    }
    if (b.store)
        fw_store_abort(b.store);
    if (!status) {
        double dt = now_s() - t0;
        fw_info("batch: %llu rows in %.2f s (%.0f rows/s)", (unsigned long long)st->rows_read,
                dt, dt > 0 ? st->rows_read / dt : 0.0);
        if (!quiet && !(summary_path && !strcmp(summary_path, "-"))) {
            fw_summary_print(&b.summary, &sc, stdout);
            if (b.detector)
                fw_summary_print_episodes(b.episodes, stdout);
        }
    }
    fw_bounded_free(bd);
    fw_detector_free(b.detector);
    fw_incidents_free(incidents);
    fw_summary_destroy(&b.summary);
    json_decref(b.episodes);
    json_decref(b.inc_pending);
    pthread_mutex_destroy(&b.inc_mu);
    fw_source_close(src);
    return status;
}
