/*
 * cli_stream.c - `floodwatch stream`: real-time detection in event time.
 *
 * A file is replayed: read whole, quarantined rows handled at once, the
 * rest ordered by event time (a stable radix sort), optionally disordered
 * on purpose (--disorder), then fed to the engine at --speed N times real
 * time or as fast as possible.  Standard input (or --live) is processed in
 * arrival order, and a quiet input moves the watermark by the wall clock.
 *
 * Incident events go to JSON lines, SQLite (upserted by id) and a hook
 * command.  With --checkpoint DIR the whole state and the input position
 * are saved every N seconds of event time and on SIGTERM/SIGINT; a restart
 * with the same flags resumes there and emits the same incidents: output
 * files are cut back to their size at the checkpoint, and the database
 * upserts what is written again.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "cli/cli.h"
#include "core/afile.h"
#include "core/ckpt.h"
#include "core/log.h"
#include "core/ts.h"
#include "input/source.h"
#include "store/store.h"
#include "stream/engine.h"
#include "stream/prespill.h"
#include "stream/spill.h"

static const char usage_text[] =
    "usage: floodwatch stream --input FILE|- [options]\n"
    "\n"
    "Detect attacks in event time and emit incidents as they happen.  A file is\n"
    "replayed in event-time order; standard input is processed as it arrives.\n"
    "\n"
    "  --input FILE|-        traffic log (the seed CSV format)\n"
    "  --alerts PATH         incident events as JSON lines ('-' stdout, the default)\n"
    "  --db PATH             also write the SQLite store (incidents, minutes, quarantine)\n"
    "  --hook CMD            run CMD (with sh -c) for each incident event, JSON on stdin\n"
    "  --late PATH           write late events (behind the allowed lateness) as JSON lines\n"
    "  --speed N|max         replay at N times real time, or as fast as possible (default max)\n"
    "  --disorder SECONDS    replay with arrival shuffled by up to SECONDS (watermark test)\n"
    "  --seed N              seed of --disorder (default 1)\n"
    "  --threads N           decode a replayed file on N threads (default: the CPUs,\n"
    "                        at most 8), and from 2 on, run detection and the sinks\n"
    "                        beside cleaning on a second thread; results are the same\n"
    "  --live                process a file in arrival order, as standard input is\n"
    "  --config FILE         detection settings (INI; see --print-config)\n"
    "  --set SECTION.KEY=V   override one setting (repeatable)\n"
    "  --print-config        print every setting with its value and meaning, and exit\n"
    "  --checkpoint DIR      save state there and resume from it after a restart\n"
    "  --checkpoint-every S  seconds of event time between checkpoints, or between\n"
    "                        database commits without --checkpoint (default 60)\n"
    "  --stats PATH          write run statistics (counts, throughput, latency) as JSON\n"
    "  -q, --quiet           no summary on stderr\n"
    "  -h, --help            this text\n";

/* One record waiting in the replay: no raw text is kept, only its hash. */
struct rrec {
    fw_spill_rec rec;     /* flow, hash, line, faults (stream/prespill.h) */
    int64_t arrival_us;   /* replay time: event time plus any --disorder */
};
_Static_assert(offsetof(struct rrec, rec) == 0, "a spilled record begins with fw_spill_rec");

struct stream {
    const char *input, *alerts_path, *db_path, *hook, *late_path, *ckpt_dir, *stats_path;
    double speed;        /* 0 = max */
    double disorder_s;
    uint64_t seed;
    bool live, quiet, measure;
    double ckpt_every_s;
    unsigned threads;
    fw_config cfg;

    FILE *alerts, *late;
    bool alerts_stdout;
    fw_store *store;
    fw_engine e;
    uint64_t incident_events, incidents_started, hook_failures;
    _Atomic int failed;  /* set by sinks, which may run on the engine's second thread */

    double *lat;                   /* arrival-to-incident latencies, seconds */
    size_t nlat, clat;
    double last_arrival_wall;      /* live mode: for idle watermark */
    double load_s, sort_s, process_s; /* where the time went */
    int64_t next_commit_us;        /* without checkpoints: next periodic commit */
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig) { stop_requested = sig; }

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- sinks -------------------------------------------------------------- */

static int run_hook(const char *cmd, const char *json, size_t n)
{
    int fds[2];
    if (pipe(fds))
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fds[0], 0);
        close(fds[0]);
        close(fds[1]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    /* A hook that does not read its input must not kill us with SIGPIPE. */
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fds[1], json + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(fds[1]);
    signal(SIGPIPE, old);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void on_incident(void *ctx, json_t *ev)
{
    struct stream *s = ctx;
    s->incident_events++;
    const char *what = json_string_value(json_object_get(ev, "event"));
    bool start = what && !strcmp(what, "start");
    if (start) {
        s->incidents_started++;
        if (s->measure) {
            if (s->nlat == s->clat) {
                s->clat = s->clat ? 2 * s->clat : 64;
                s->lat = fw_xrealloc(s->lat, s->clat * sizeof *s->lat);
            }
            s->lat[s->nlat++] = wall_s() - fw_engine_arrival(&s->e);
        }
    }
    char *text = json_dumps(ev, JSON_COMPACT);
    size_t n = strlen(text);
    if (s->alerts) {
        if (fwrite(text, 1, n, s->alerts) != n || fputc('\n', s->alerts) == EOF ||
            fflush(s->alerts)) {
            if (!s->failed)
                fw_err("%s: write error: %s", s->alerts_path, strerror(errno));
            s->failed = 1;
        }
    }
    if (s->store && fw_store_incident(s->store, ev)) {
        if (!s->failed)
            fw_err("%s: cannot write: %s", s->db_path, fw_store_errmsg(s->store));
        s->failed = 1;
    }
    if (s->hook) {
        text[n] = '\n';
        if (run_hook(s->hook, text, n + 1)) {
            if (!s->hook_failures)
                fw_warn("hook '%s' failed (exit status not 0); counting further failures",
                        s->hook);
            s->hook_failures++;
        }
    }
    free(text);
}

static void on_quarantine(void *ctx, uint64_t line, fw_faults reasons, const char *raw, size_t n)
{
    struct stream *s = ctx;
    if (s->store && fw_store_quarantine(s->store, line, reasons, raw, n))
        s->failed = 1;
}

static void on_minute(void *ctx, const fw_minute *m)
{
    struct stream *s = ctx;
    if (s->store && fw_store_minute(s->store, m))
        s->failed = 1;
}

static void on_late(void *ctx, const fw_flow *f, uint64_t line)
{
    struct stream *s = ctx;
    if (!s->late)
        return;
    char ts[FW_TS_BUFSZ], a[FW_ADDR_STRLEN], b[FW_ADDR_STRLEN];
    fw_ts_format(f->ts_us, ts, 0);
    fw_addr_format(&f->src, a);
    fw_addr_format(&f->dst, b);
    const char *proto = fw_proto_name(f->proto);
    fprintf(s->late,
            "{\"line\":%llu,\"timestamp\":\"%s\",\"source_ip\":\"%s\",\"dest_ip\":\"%s\","
            "\"source_port\":%u,\"dest_port\":%u,\"protocol\":\"%s\",\"bytes_sent\":%llu}\n",
            (unsigned long long)line, ts, a, b, f->src_port, f->dst_port, proto ? proto : "?",
            (unsigned long long)f->bytes_sent);
}

/* ---- replay ------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The replay: records spilled by minute of arrival (stream/spill.h), so
 * memory stays flat however long the file, and handed out one minute at a
 * time, ordered by arrival (stable: ties keep file order). */
struct replay {
    fw_spill *spill;
    uint64_t n;              /* records in all */
    size_t bucket;           /* the next bucket to load */
    fw_spill_sorted cur;     /* the loaded bucket, in replay order */
    size_t at;               /* the next record of it, in that order */
    double fill_s;           /* time spent reading back and ordering buckets */
};

#define REPLAY_BUDGET (16u << 20)

/* One record, on the reading thread: a quarantined row goes through the
 * engine at once (its raw text is only valid now); what has a time is
 * spilled by arrival. */
static int replay_add(struct stream *s, struct replay *rp, const fw_record *rec, uint64_t *rng,
                      uint64_t spread, fw_faults qmask, char *err, size_t errn)
{
    /* Judged and counted now, while its raw text exists; its minute's data
     * quality is noted when the replay reaches its time. */
    if (rec->faults & qmask)
        fw_engine_push(&s->e, rec);
    if (!fw_prespill_wanted(rec, qmask))
        return 0;
    int64_t arrival = rec->flow.ts_us;
    if (spread)
        arrival += (int64_t)(splitmix(rng) % (spread + 1));
    struct rrec *r = fw_spill_reserve(rp->spill, arrival, err, errn);
    if (!r)
        return -1;
    fw_spill_rec_fill(&r->rec, rec, rec->line);
    r->arrival_us = arrival;
    return 0;
}

/* A quarantined row read with a batch of the decoding threads' (its
 * spilling, for the minute's quality, is the batch's). */
static void push_quarantined(void *ctx, const fw_record *rec) { fw_engine_push(ctx, rec); }

/* Read the whole input.  Without --disorder, arrival is event time, and
 * the decoding threads group the records by minute (stream/prespill.h); the
 * jitter of --disorder draws from one sequence in file order, so it is
 * added here, record by record. */
static int replay_load(struct stream *s, fw_source *src, struct replay *rp, char *err, size_t errn)
{
    int rc;
    fw_faults qmask = fw_quarantine_mask();
    double t0 = wall_s();
    uint64_t rng = s->seed;
    uint64_t spread = (uint64_t)(s->disorder_s * FW_US_PER_S);
    rp->spill = fw_spill_new(60 * FW_US_PER_S, sizeof(struct rrec), REPLAY_BUDGET);
    /* Static: decoding threads may still use it after an error here. */
    static const fw_prespill_opts pre = {.bucket_us = 60 * FW_US_PER_S,
                                         .rec_size = sizeof(struct rrec),
                                         .arrival_off = offsetof(struct rrec, arrival_us)};
    fw_post post;
    fw_prespill_hook(&post, &pre);
    if (!spread)
        fw_source_set_post(src, &post);
    if (fw_source_set_threads(src, s->threads, err, errn))
        return -1;
    fw_engine_defer_notes(&s->e, true);
    fw_batch bt;
    while ((rc = fw_source_next_batch(src, &bt, err, errn)) == 1) {
        if (bt.post) {
            if (fw_prespill_take(&bt, rp->spill, push_quarantined, &s->e, err, errn)) {
                rc = -1;
                break;
            }
            continue;
        }
        for (size_t k = 0; k < bt.n && rc == 1; k++) {
            fw_record rec = fw_batch_record(&bt, k);
            if (replay_add(s, rp, &rec, &rng, spread, qmask, err, errn))
                rc = -1;
        }
        if (rc < 0)
            break;
    }
    fw_engine_defer_notes(&s->e, false);
    if (rc < 0 || fw_spill_settle(rp->spill, err, errn))
        return -1;
    rp->n = fw_spill_count(rp->spill);
    s->load_s = wall_s() - t0;
    return 0;
}

/* Load the next bucket and order it.  0, or -1 with a message. */
static int replay_fill(struct replay *rp, char *err, size_t errn)
{
    double t0 = wall_s();
    if (fw_spill_read_sorted(rp->spill, rp->bucket++, offsetof(struct rrec, arrival_us), &rp->cur,
                             err, errn))
        return -1;
    rp->at = 0;
    rp->fill_s += wall_s() - t0;
    return 0;
}

/* The next record in replay order, or NULL at the end (or on an error,
 * with a message in err). */
static const struct rrec *replay_next(struct replay *rp, char *err, size_t errn)
{
    while (rp->at == rp->cur.len) {
        if (rp->bucket == fw_spill_buckets(rp->spill))
            return NULL;
        if (replay_fill(rp, err, errn))
            return NULL;
    }
    /* The order jumps around the bucket: fetch a few records ahead (each
     * spans two cache lines) so that the engine does not wait on memory. */
    if (rp->at + 8 < rp->cur.len) {
        const char *ahead = (const char *)((const struct rrec *)rp->cur.recs +
                                           (uint32_t)rp->cur.order[rp->at + 8]);
        __builtin_prefetch(ahead);
        __builtin_prefetch(ahead + sizeof(struct rrec) - 1);
    }
    return (const struct rrec *)rp->cur.recs + (uint32_t)rp->cur.order[rp->at++];
}

/* Skip the first pos records (a resumed run). */
static int replay_skip(struct replay *rp, uint64_t pos, char *err, size_t errn)
{
    while (rp->bucket < fw_spill_buckets(rp->spill) &&
           pos >= fw_spill_bucket_len(rp->spill, rp->bucket)) {
        pos -= fw_spill_bucket_len(rp->spill, rp->bucket);
        fw_spill_release(rp->spill, rp->bucket++);
    }
    if (!pos)
        return 0;
    if (rp->bucket == fw_spill_buckets(rp->spill) || replay_fill(rp, err, errn))
        return -1;
    rp->at = pos;
    return 0;
}

static void replay_free(struct replay *rp)
{
    fw_spill_free(rp->spill);
    fw_spill_sorted_free(&rp->cur);
}

/* ---- checkpoints -------------------------------------------------------- */

struct ckpt_head {
    uint64_t input_size;
    int64_t input_mtime;
    uint64_t options;      /* fingerprint of everything that changes results */
    uint64_t position;     /* records of the replay order already pushed */
    int64_t alerts_off, late_off;
    int64_t run_id;
    uint64_t incident_events, incidents_started, hook_failures;
};

static uint64_t options_fingerprint(const struct stream *s)
{
    XXH3_state_t *h = XXH3_createState();
    XXH3_64bits_reset(h);
    XXH3_64bits_update(h, &s->cfg, sizeof s->cfg);
    XXH3_64bits_update(h, &s->disorder_s, sizeof s->disorder_s);
    XXH3_64bits_update(h, &s->seed, sizeof s->seed);
    XXH3_64bits_update(h, s->input, strlen(s->input));
    uint64_t v = XXH3_64bits_digest(h);
    XXH3_freeState(h);
    return v;
}

static int64_t file_size(FILE *f)
{
    if (!f || f == stdout)
        return -1;
    fflush(f);
    struct stat st;
    return fstat(fileno(f), &st) || !S_ISREG(st.st_mode) ? -1 : st.st_size;
}

/* Flush f and, if it is a regular file, sync it (a device or a pipe, such
 * as --alerts /dev/null, has nothing to sync).  0 or -1 with errno. */
static int durable(FILE *f)
{
    if (fflush(f))
        return -1;
    struct stat st;
    if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode))
        return 0;
    return fsync(fileno(f));
}

/* Save a checkpoint at replay position `position`.  Normally the sinks are
 * made durable first, so that what the checkpoint claims was written is.
 * The first checkpoint of a fresh run (initial) goes the other way: it is
 * written before the store commits anything, so a kill between the two
 * leaves a checkpoint naming a run the store does not have yet (the resume
 * recreates it) rather than a committed run that no checkpoint names (a
 * restart would begin a second run beside it). */
static int write_checkpoint(struct stream *s, uint64_t position, bool initial, char *err,
                            size_t errn)
{
    fw_engine_sync(&s->e); /* the sinks are written on its second thread */
    if (s->alerts && s->alerts != stdout && durable(s->alerts)) {
        snprintf(err, errn, "%s: write error: %s", s->alerts_path, strerror(errno));
        return -1;
    }
    if (s->late && durable(s->late)) {
        snprintf(err, errn, "%s: write error: %s", s->late_path, strerror(errno));
        return -1;
    }
    if (!initial && s->store && fw_store_commit_point(s->store, err, errn))
        return -1;
    struct stat st;
    stat(s->input, &st);
    struct ckpt_head h = {
        .input_size = (uint64_t)st.st_size,
        .input_mtime = (int64_t)st.st_mtime,
        .options = options_fingerprint(s),
        .position = position,
        .alerts_off = file_size(s->alerts),
        .late_off = file_size(s->late),
        .run_id = s->store ? fw_store_run_id(s->store) : 0,
        .incident_events = s->incident_events,
        .incidents_started = s->incidents_started,
        .hook_failures = s->hook_failures,
    };
    fw_ckpt_writer w;
    if (fw_ckpt_begin(&w, s->ckpt_dir, err, errn))
        return -1;
    fw_ckpt_put(&w, &h, sizeof h);
    if (fw_engine_save(&s->e, &w)) {
        fw_ckpt_abort(&w);
        snprintf(err, errn, "%s: cannot write checkpoint", s->ckpt_dir);
        return -1;
    }
    if (fw_ckpt_commit(&w, err, errn))
        return -1;
    return initial && s->store ? fw_store_commit_point(s->store, err, errn) : 0;
}

/* Cut an output file back to its size at the checkpoint. */
static int truncate_to(FILE *f, int64_t off, const char *path, char *err, size_t errn)
{
    if (!f || f == stdout || off < 0)
        return 0;
    if (ftruncate(fileno(f), off) || fseek(f, 0, SEEK_END)) {
        snprintf(err, errn, "%s: cannot resume: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- options ------------------------------------------------------------ */

static int parse_args(struct stream *s, int argc, char **argv, int *exit_now)
{
    static const struct option opts[] = {
        {"input", required_argument, NULL, 'i'},   {"alerts", required_argument, NULL, 'a'},
        {"db", required_argument, NULL, 'd'},      {"hook", required_argument, NULL, 'H'},
        {"late", required_argument, NULL, 'L'},    {"speed", required_argument, NULL, 'S'},
        {"disorder", required_argument, NULL, 'D'}, {"seed", required_argument, NULL, 'R'},
        {"live", no_argument, NULL, 'l'},          {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},     {"print-config", no_argument, NULL, 'p'},
        {"checkpoint", required_argument, NULL, 'C'},
        {"checkpoint-every", required_argument, NULL, 'E'},
        {"stats", required_argument, NULL, 'T'},   {"quiet", no_argument, NULL, 'q'},
        {"threads", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    char err[512], *end;
    bool print = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'i': s->input = optarg; break;
        case 'a': s->alerts_path = optarg; break;
        case 'd': s->db_path = optarg; break;
        case 'H': s->hook = optarg; break;
        case 'L': s->late_path = optarg; break;
        case 'S':
            if (!strcmp(optarg, "max")) {
                s->speed = 0;
                break;
            }
            s->speed = strtod(optarg, &end);
            if (*end || !(s->speed > 0) || !isfinite(s->speed)) {
                fprintf(stderr, "floodwatch stream: --speed '%s': expected a positive number or 'max'\n", optarg);
                return 2;
            }
            break;
        case 'D':
            s->disorder_s = strtod(optarg, &end);
            if (*end || s->disorder_s < 0 || s->disorder_s > 86400) {
                fprintf(stderr, "floodwatch stream: --disorder '%s': expected seconds 0-86400\n", optarg);
                return 2;
            }
            break;
        case 'R':
            s->seed = strtoull(optarg, &end, 10);
            if (*end || !*optarg) {
                fprintf(stderr, "floodwatch stream: --seed '%s': expected a whole number\n", optarg);
                return 2;
            }
            break;
        case 'l': s->live = true; break;
        case 'c':
            if (fw_config_load(&s->cfg, optarg, err, sizeof err)) {
                fw_err("%s", err);
                return 2;
            }
            break;
        case 's':
            if (fw_config_set(&s->cfg, optarg, err, sizeof err)) {
                fw_err("%s", err);
                return 2;
            }
            break;
        case 'p': print = true; break;
        case 'C': s->ckpt_dir = optarg; break;
        case 'E':
            s->ckpt_every_s = strtod(optarg, &end);
            if (*end || !(s->ckpt_every_s >= 1)) {
                fprintf(stderr, "floodwatch stream: --checkpoint-every '%s': expected seconds >= 1\n", optarg);
                return 2;
            }
            break;
        case 'T': s->stats_path = optarg; s->measure = true; break;
        case 'q': s->quiet = true; break;
        case 'j':
            if (fw_parse_threads(optarg, &s->threads)) {
                fprintf(stderr, "floodwatch stream: --threads '%s': expected 1 to 64\n", optarg);
                return 2;
            }
            break;
        case 'h': fputs(usage_text, stdout); *exit_now = 1; return 0;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (print) {
        fw_config_print(&s->cfg, stdout);
        *exit_now = 1;
        return 0;
    }
    if (optind != argc || !s->input) {
        fprintf(stderr, "floodwatch stream: expected --input FILE or --input -\n%s", usage_text);
        return 2;
    }
    if (!strcmp(s->input, "-"))
        s->live = true;
    if (s->ckpt_dir && s->live) {
        fprintf(stderr, "floodwatch stream: --checkpoint needs a file input replayed in event time "
                        "(not standard input or --live)\n");
        return 2;
    }
    if (s->live && s->disorder_s) {
        fprintf(stderr, "floodwatch stream: --disorder applies to a replayed file, not to --live\n");
        return 2;
    }
    return 0;
}

/* ---- the run ------------------------------------------------------------ */

static void live_idle(void *ctx)
{
    struct stream *s = ctx;
    if (s->e.wm.max_ts_us == FW_WM_NONE)
        return;
    double now = wall_s();
    int64_t t = s->e.wm.max_ts_us + (int64_t)((now - s->last_arrival_wall) * FW_US_PER_S);
    s->last_arrival_wall = now;
    fw_engine_set_arrival(&s->e, now);
    fw_engine_idle(&s->e, t);
}

static void commit_store(void *ctx, int64_t unused)
{
    struct stream *s = ctx;
    char err[512];
    if (fw_store_commit_point(s->store, err, sizeof err)) {
        fw_err("%s", err);
        s->failed = 1;
    }
}

/* Without checkpoints, commit the store every --checkpoint-every seconds of
 * event time anyway, so readers see a long-running stream's results.  The
 * commit runs where the store is written (the engine's second thread, if
 * split), in order with the flows. */
static void maybe_commit(struct stream *s, int64_t ts_us)
{
    if (!s->store || s->ckpt_dir)
        return;
    int64_t every = (int64_t)(s->ckpt_every_s * FW_US_PER_S);
    if (s->next_commit_us == 0) {
        s->next_commit_us = (fw_floor_div(ts_us, every) + 1) * every;
        return;
    }
    if (ts_us < s->next_commit_us)
        return;
    fw_engine_call(&s->e, commit_store, s, 0);
    s->next_commit_us = (fw_floor_div(ts_us, every) + 1) * every;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void write_stats(struct stream *s, double elapsed)
{
    const fw_clean_stats *st = &s->e.clean.st;
    json_t *j = json_object();
    json_object_set_new(j, "rows_read", json_integer((json_int_t)st->rows_read));
    json_object_set_new(j, "accepted", json_integer((json_int_t)st->accepted));
    json_object_set_new(j, "quarantined", json_integer((json_int_t)st->quarantined));
    json_object_set_new(j, "duplicates", json_integer((json_int_t)st->duplicates));
    json_object_set_new(j, "late", json_integer((json_int_t)st->late));
    json_object_set_new(j, "incidents", json_integer((json_int_t)s->incidents_started));
    json_object_set_new(j, "incident_events", json_integer((json_int_t)s->incident_events));
    json_object_set_new(j, "hook_failures", json_integer((json_int_t)s->hook_failures));
    json_object_set_new(j, "elapsed_s", json_real(elapsed));
    json_object_set_new(j, "phases_s", json_pack("{s:f,s:f,s:f}", "load", s->load_s, "sort",
                                                 s->sort_s, "process", s->process_s));
    json_object_set_new(j, "rows_per_s", json_real(elapsed > 0 ? st->rows_read / elapsed : 0));
    fw_detector_stats ds;
    fw_detector_get_stats(s->e.detector, &ds);
    json_object_set_new(j, "detector", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
        "events", (json_int_t)ds.events, "late_events", (json_int_t)ds.late_events,
        "untracked_events", (json_int_t)ds.untracked_events, "panes_closed", (json_int_t)ds.panes_closed,
        "signals", (json_int_t)ds.signals, "evicted_keys", (json_int_t)ds.evicted_keys,
        "dst_keys", (json_int_t)ds.dst_keys, "src_keys", (json_int_t)ds.src_keys,
        "state_bytes", (json_int_t)ds.state_bytes));
    if (s->nlat) {
        qsort(s->lat, s->nlat, sizeof *s->lat, cmp_double);
        size_t p99 = (size_t)ceil(0.99 * s->nlat) - 1, p50 = (size_t)ceil(0.5 * s->nlat) - 1;
        json_object_set_new(j, "latency_us", json_pack("{s:I,s:f,s:f,s:f}",
            "n", (json_int_t)s->nlat, "p50", s->lat[p50] * 1e6, "p99", s->lat[p99] * 1e6,
            "max", s->lat[s->nlat - 1] * 1e6));
    }
    char err[512];
    fw_afile out;
    if (fw_afile_open(&out, s->stats_path, err, sizeof err) ||
        (json_dumpf(j, out.f, JSON_INDENT(2)), fputc('\n', out.f),
         fw_afile_commit(&out, err, sizeof err))) {
        fw_err("%s", err);
        s->failed = 1;
    }
    json_decref(j);
}

int fw_cli_stream(int argc, char **argv)
{
    struct stream s = {.alerts_path = "-", .ckpt_every_s = 60, .seed = 1,
                       .threads = fw_default_threads()};
    fw_config_defaults(&s.cfg);
    int exit_now = 0, rc = parse_args(&s, argc, argv, &exit_now);
    if (rc || exit_now)
        return rc;
    char err[1024];
    double t0 = wall_s();

    /* A checkpoint to resume from? */
    fw_ckpt_reader ck = {0};
    struct ckpt_head head = {0};
    bool resume = false;
    if (s.ckpt_dir) {
        int r = fw_ckpt_open(&ck, s.ckpt_dir, err, sizeof err);
        if (r < 0) {
            fw_err("%s", err);
            return 1;
        }
        if (r == 1) {
            fw_ckpt_get(&ck, &head, sizeof head);
            struct stat st;
            if (stat(s.input, &st) || (uint64_t)st.st_size != head.input_size ||
                (int64_t)st.st_mtime != head.input_mtime) {
                fw_err("%s/state.ckpt: made for another version of %s; remove the checkpoint "
                       "to start over", s.ckpt_dir, s.input);
                fw_ckpt_close(&ck);
                return 1;
            }
            if (head.options != options_fingerprint(&s)) {
                fw_err("%s/state.ckpt: made with other options or settings; use the same flags "
                       "or remove the checkpoint to start over", s.ckpt_dir);
                fw_ckpt_close(&ck);
                return 1;
            }
            resume = true;
        }
    }

    fw_source *src = fw_source_open(s.input, err, sizeof err);
    if (!src) {
        fw_err("%s", err);
        fw_ckpt_close(&ck);
        return 1;
    }
    if (fw_source_schema(src)->nextra && !s.quiet)
        fw_warn("%s: ignoring unknown column(s): %s", fw_source_name(src),
                fw_source_schema(src)->extra);

    /* Sinks.  On resume the files are cut back to the checkpoint. */
    int status = 1;
    if (strcmp(s.alerts_path, "-")) {
        s.alerts = fopen(s.alerts_path, resume ? "r+" : "w");
        if (!s.alerts) {
            fw_err("%s: cannot write: %s", s.alerts_path, strerror(errno));
            goto out;
        }
    } else {
        s.alerts = stdout;
        s.alerts_stdout = true;
    }
    if (s.late_path && !(s.late = fopen(s.late_path, resume ? "r+" : "w"))) {
        fw_err("%s: cannot write: %s", s.late_path, strerror(errno));
        goto out;
    }
    if (resume && (truncate_to(s.alerts, head.alerts_off, s.alerts_path, err, sizeof err) ||
                   truncate_to(s.late, head.late_off, s.late_path, err, sizeof err))) {
        fw_err("%s", err);
        goto out;
    }
    if (s.db_path) {
        s.store = fw_store_open_run(s.db_path, "stream", fw_source_name(src), "{}", true,
                                    resume ? head.run_id : 0, err, sizeof err);
        if (!s.store) {
            fw_err("%s", err);
            goto out;
        }
    }
    if (resume) {
        s.incident_events = head.incident_events;
        s.incidents_started = head.incidents_started;
        s.hook_failures = head.hook_failures;
    }

    fw_engine_opts eo = {
        .out_of_order_us = (int64_t)(s.cfg.out_of_order_s * FW_US_PER_S),
        .per_source = false,
        .detect = &s.cfg,
    };
    fw_engine_sinks sinks = {.quarantine = on_quarantine, .minute = on_minute,
                             .incident = on_incident, .late = on_late, .ctx = &s};
    fw_engine_init(&s.e, &eo, &sinks);
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    bool stopped = false;
    if (s.live) {
        fw_source_set_idle(src, (int)(s.cfg.idle_timeout_s * 1000), live_idle, &s);
        fw_record rec;
        s.last_arrival_wall = wall_s();
        while (!stop_requested && !s.failed && (rc = fw_source_next(src, &rec, err, sizeof err)) == 1) {
            s.last_arrival_wall = wall_s();
            fw_engine_set_arrival(&s.e, s.last_arrival_wall);
            fw_engine_push(&s.e, &rec);
            if (!(rec.faults & fw_quarantine_mask()))
                maybe_commit(&s, rec.flow.ts_us);
        }
        if (rc < 0) {
            fw_err("%s", err);
            goto out;
        }
        stopped = stop_requested != 0;
    } else {
        struct replay rp = {0};
        if (replay_load(&s, src, &rp, err, sizeof err)) {
            fw_err("%s", err);
            replay_free(&rp);
            goto out;
        }
        uint64_t pos = 0;
        if (resume) {
            if (fw_engine_load(&s.e, &ck) || head.position > rp.n ||
                replay_skip(&rp, head.position, err, sizeof err)) {
                fw_err("%s/state.ckpt: the checkpoint does not fit this input and these "
                       "settings; remove it to start over", s.ckpt_dir);
                replay_free(&rp);
                goto out;
            }
            pos = head.position;
            if (!s.quiet)
                fw_info("stream: resuming from %s/state.ckpt at record %llu of %llu", s.ckpt_dir,
                        (unsigned long long)pos, (unsigned long long)rp.n);
        }
        fw_ckpt_close(&ck);
        if (!resume && s.ckpt_dir && write_checkpoint(&s, 0, true, err, sizeof err)) {
            fw_err("%s", err);
            replay_free(&rp);
            goto out;
        }
        /* Cleaning on this thread, aggregates and detection on another. */
        if (s.threads > 1 && fw_engine_split(&s.e))
            fw_warn("stream: cannot start a second thread; running on one");
        int64_t every = (int64_t)(s.ckpt_every_s * FW_US_PER_S);
        fw_faults qmask = fw_quarantine_mask();
        int64_t next_ckpt = INT64_MIN;
        double start_wall = wall_s();
        int64_t first_arrival = INT64_MIN;
        err[0] = 0;
        for (const struct rrec *r; !s.failed && (r = replay_next(&rp, err, sizeof err)); pos++) {
            if (s.ckpt_dir) {
                if (next_ckpt == INT64_MIN)
                    next_ckpt = (fw_floor_div(r->rec.flow.ts_us, every) + 1) * every;
                if (r->rec.flow.ts_us >= next_ckpt) {
                    if (write_checkpoint(&s, pos, false, err, sizeof err)) {
                        fw_err("%s", err);
                        s.failed = 1;
                        break;
                    }
                    next_ckpt = (fw_floor_div(r->rec.flow.ts_us, every) + 1) * every;
                }
            }
            if (stop_requested) {
                stopped = true;
                if (s.ckpt_dir && write_checkpoint(&s, pos, false, err, sizeof err)) {
                    fw_err("%s", err);
                    s.failed = 1;
                }
                break;
            }
            if (s.speed > 0) {
                if (first_arrival == INT64_MIN)
                    first_arrival = r->arrival_us;
                double due = start_wall + (double)(r->arrival_us - first_arrival) / 1e6 / s.speed;
                double now = wall_s();
                if (due > now) {
                    struct timespec ts = {(time_t)(due - now), (long)(fmod(due - now, 1.0) * 1e9)};
                    nanosleep(&ts, NULL);
                }
            }
            if (s.measure)
                fw_engine_set_arrival(&s.e, wall_s());
            if (r->rec.faults & qmask)
                fw_engine_note_quarantine(&s.e, r->rec.flow.ts_us); /* counted when read */
            else
                fw_engine_push_hashed(&s.e, &r->rec.flow, r->rec.faults, r->rec.hash, r->rec.line);
            maybe_commit(&s, r->rec.flow.ts_us);
        }
        fw_engine_sync(&s.e);
        if (err[0] && !s.failed) {
            fw_err("%s", err);
            s.failed = 1;
        }
        s.sort_s = rp.fill_s;
        s.process_s = wall_s() - start_wall - rp.fill_s;
        replay_free(&rp);
    }
    if (s.failed)
        goto out;
    if (stopped && s.ckpt_dir) {
        if (s.store && fw_store_commit_point(s.store, err, sizeof err)) {
            fw_err("%s", err);
            goto out;
        }
        if (!s.quiet)
            fw_info("stream: stopped by signal; state saved in %s/state.ckpt, run again to resume",
                    s.ckpt_dir);
        status = 0;
        goto out;
    }
    /* The input ended (or a signal stopped a run without checkpoints):
     * close every pane and incident. */
    fw_engine_finish(&s.e);
    if (s.failed)
        goto out;
    if (s.store) {
        if (fw_store_finish_run(s.store, &s.e.clean.st, fw_source_empty(src), fw_source_schema(src),
                                s.e.first_us, s.e.last_us, fw_source_blank_lines(src)) ||
            fw_store_commit(s.store, err, sizeof err)) {
            fw_err("%s", s.store ? fw_store_errmsg(s.store) : err);
            goto out;
        }
        s.store = NULL;
    }
    if (s.ckpt_dir) {
        /* Finished: a later run with these flags starts over. */
        char path[4096];
        snprintf(path, sizeof path, "%s/state.ckpt", s.ckpt_dir);
        unlink(path);
    }
    status = 0;
    double elapsed = wall_s() - t0;
    if (s.stats_path)
        write_stats(&s, elapsed);
    if (!s.quiet) {
        const fw_clean_stats *st = &s.e.clean.st;
        fw_info("stream: %llu rows (%llu accepted, %llu quarantined, %llu duplicates, %llu late), "
                "%llu incidents, %.2f s, %.0f rows/s",
                (unsigned long long)st->rows_read, (unsigned long long)st->accepted,
                (unsigned long long)st->quarantined, (unsigned long long)st->duplicates,
                (unsigned long long)st->late, (unsigned long long)s.incidents_started, elapsed,
                elapsed > 0 ? st->rows_read / elapsed : 0.0);
        if (s.hook_failures)
            fw_warn("hook '%s' failed %llu times", s.hook, (unsigned long long)s.hook_failures);
    }
out:
    fw_engine_sync(&s.e); /* nothing may write the sinks after this */
    fw_ckpt_close(&ck);
    if (s.store)
        fw_store_abort(s.store);
    if (s.alerts && !s.alerts_stdout && fclose(s.alerts) && !status) {
        fw_err("%s: write error: %s", s.alerts_path, strerror(errno));
        status = 1;
    }
    if (s.late && fclose(s.late) && !status) {
        fw_err("%s: write error: %s", s.late_path, strerror(errno));
        status = 1;
    }
    if (s.e.detector) /* initialised */
        fw_engine_destroy(&s.e);
    free(s.lat);
    fw_source_close(src);
    return status;
}
