/*
 * cli_generate.c - `floodwatch generate`: synthetic traffic in the seed's
 * network_traffic.csv format.  A thin layer over gen/gen.h: parse options
 * into an fw_gen_opts, then write to stdout or atomically to a file.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/afile.h"
#include "core/log.h"
#include "core/ts.h"
#include "gen/gen.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: floodwatch generate [options]\n"
            "\n"
            "Write synthetic network traffic, with scheduled DDoS attacks and the seed's\n"
            "data-quality faults, as CSV in the format of the brief's network_traffic.csv.\n"
            "The same seed and options always give byte-identical output.\n"
            "\n"
            "options:\n"
            "  -o, --output FILE       write to FILE (atomically), '-' for stdout (default)\n"
            "  --seed N                random seed (default 42)\n"
            "  --duration D            whole minutes: 120, 120m, 2h, 1d (default 2h)\n"
            "  --rate N                normal events per minute (default 500)\n"
            "  --start ISO8601         start of minute 0 (default 2026-01-01T00:00:00, UTC;\n"
            "                          a zone offset is converted, output has no zone)\n"
            "  --daily A               daily cycle, 0 <= A < 1 (default 0, off): the normal\n"
            "                          rate times 1 + A*sin(2*pi*(minute_of_day - 360)/1440),\n"
            "                          highest at 12:00 UTC, lowest at 00:00 UTC\n"
            "  --attack T:START-END[:I]  add scenario T in minutes [START, END) at I times\n"
            "                          the normal rate (default I per type, below)\n"
            "  --drop-attack T         remove every scheduled scenario of type T\n"
            "  --no-attacks            remove all scheduled scenarios\n"
            "  --no-faults             leave out the data faults and duplicates\n"
            "  -h, --help              show this help\n"
            "\n"
            "The default schedule is the seed's: syn_flood:15-25:50 http_flood:40-50:30\n"
            "udp_flood:70-80:40 amplification:95-105:35.  Removals apply before\n"
            "additions whatever their order, so changing an attack is --drop-attack T\n"
            "plus --attack T:START-END[:I].\n"
            "\n"
            "The seed's four kinds replace their minutes' traffic and may not overlap any\n"
            "other scenario.  Overlays add rate*I rows a minute (pulse_wave: rate*I/60 in\n"
            "each on-second) to the unchanged normal traffic and may overlap each other.\n"
            "Types, their attack_type label and default I:\n");
    for (size_t t = 0; t < fw_gen_attack_type_count(); t++) {
        const char *label = fw_gen_attack_type_label((int)t);
        fprintf(out, "  %-14s %-13s %3d  %s\n", fw_gen_attack_type_name((int)t),
                label ? label : "(legitimate)", fw_gen_attack_type_default_intensity((int)t),
                fw_gen_attack_type_summary((int)t));
    }
}

static int usage_error(void)
{
    fprintf(stderr, "Try 'floodwatch generate --help'.\n");
    return 2;
}

/* A decimal unsigned 64-bit integer, nothing else; 0 or -1. */
static int parse_u64(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* A plain decimal fraction 0 <= A < 1 ("0", "0.5", ".25"), nothing else:
 * no sign, exponent, hex, "nan" or "inf"; 0 or -1. */
static int parse_amplitude(const char *s, double *out)
{
    size_t digits = strspn(s, "0123456789");
    if (s[digits] == '.')
        digits += 1 + strspn(s + digits + 1, "0123456789");
    if (digits == 0 || s[digits] || !strcmp(s, "."))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < 0.0 || v >= 1.0)
        return -1;
    *out = v;
    return 0;
}

/* ---- output ------------------------------------------------------------- */

/* Run the generator into path ("-" for stdout) through an atomic file, so
 * a failed or interrupted run leaves no half-written file.  0, or 1 after
 * reporting the error. */
static int generate_to(const fw_gen_opts *o, const char *path)
{
    fw_afile out;
    char err[PATH_MAX + 128];
    if (fw_afile_open(&out, path, err, sizeof err)) {
        fw_err("%s", err);
        return 1;
    }
    const char *name = strcmp(path, "-") ? path : "standard output";
    fw_gen_stats st;
    if (fw_gen_write_stats(o, out.f, &st) != 0) {
        fw_err("%s: cannot write: %s", name, strerror(errno));
        fw_afile_abort(&out);
        return 1;
    }
    if (fw_afile_commit(&out, err, sizeof err)) {
        fw_err("%s", err);
        return 1;
    }
    if (st.overlay_rows)
        fw_info("generate: wrote %zu rows (%zu attack events, %zu from overlay scenarios) to %s",
                st.rows_out, st.attack_rows, st.overlay_rows, name);
    else
        fw_info("generate: wrote %zu rows (%zu attack events) to %s", st.rows_out,
                st.attack_rows, name);
    return 0;
}

/* ---- options ------------------------------------------------------------ */

enum opt_id {
    OPT_OUTPUT,
    OPT_SEED,
    OPT_DURATION,
    OPT_RATE,
    OPT_START,
    OPT_DAILY,
    OPT_ATTACK,
    OPT_DROP_ATTACK,
    OPT_NO_ATTACKS,
    OPT_NO_FAULTS,
    OPT_HELP,
};

static const struct option_def {
    const char *name; /* long name, without "--" */
    char short_name;  /* or 0 */
    bool has_arg;
    enum opt_id id;
} option_defs[] = {
    {"output", 'o', true, OPT_OUTPUT},
    {"seed", 0, true, OPT_SEED},
    {"duration", 0, true, OPT_DURATION},
    {"rate", 0, true, OPT_RATE},
    {"start", 0, true, OPT_START},
    {"daily", 0, true, OPT_DAILY},
    {"attack", 0, true, OPT_ATTACK},
    {"drop-attack", 0, true, OPT_DROP_ATTACK},
    {"no-attacks", 0, false, OPT_NO_ATTACKS},
    {"no-faults", 0, false, OPT_NO_FAULTS},
    {"help", 'h', false, OPT_HELP},
};
#define N_OPTION_DEFS (sizeof option_defs / sizeof option_defs[0])

/*
 * Find the option argv[*i] names and its value ("--name value",
 * "--name=value", "-o value", "-ovalue"), advancing *i past what it used.
 * Returns the definition, or NULL after reporting a usage error.
 */
static const struct option_def *next_option(int argc, char **argv, int *i, const char **value)
{
    const char *arg = argv[*i];
    const struct option_def *def = NULL;
    const char *inline_value = NULL;
    if (arg[0] == '-' && arg[1] == '-' && arg[2]) {
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        for (size_t k = 0; k < N_OPTION_DEFS; k++)
            if (strlen(option_defs[k].name) == n && !memcmp(option_defs[k].name, name, n))
                def = &option_defs[k];
        inline_value = eq ? eq + 1 : NULL;
    } else if (arg[0] == '-' && arg[1] && arg[1] != '-') {
        for (size_t k = 0; k < N_OPTION_DEFS; k++)
            if (option_defs[k].short_name == arg[1])
                def = &option_defs[k];
        inline_value = arg[2] ? arg + 2 : NULL;
    }
    if (!def) {
        fw_err("generate: unknown option or argument '%s'", arg);
        return NULL;
    }
    if (!def->has_arg) {
        if (inline_value) {
            fw_err("generate: option '--%s' takes no value", def->name);
            return NULL;
        }
        *value = NULL;
    } else if (inline_value) {
        *value = inline_value;
    } else if (*i + 1 < argc) {
        *value = argv[++*i];
    } else {
        fw_err("generate: option '--%s' needs a value", def->name);
        return NULL;
    }
    ++*i;
    return def;
}

int fw_cli_generate(int argc, char **argv)
{
    fw_gen_opts o;
    fw_gen_opts_init(&o);
    const char *output = NULL;
    bool no_attacks = false;
    fw_gen_attack adds[FW_GEN_MAX_ATTACKS];
    const char *add_specs[FW_GEN_MAX_ATTACKS];
    size_t n_adds = 0;
    int drops[FW_GEN_MAX_ATTACKS];
    size_t n_drops = 0;
    char err[256];

    for (int i = 1; i < argc;) {
        const char *v;
        const struct option_def *def = next_option(argc, argv, &i, &v);
        if (!def)
            return usage_error();
        switch (def->id) {
        case OPT_OUTPUT:
            output = v;
            break;
        case OPT_SEED:
            if (parse_u64(v, &o.seed)) {
                fw_err("generate: --seed '%s': expected an integer 0-%llu", v, ULLONG_MAX);
                return usage_error();
            }
            break;
        case OPT_DURATION:
            if (fw_gen_parse_duration(v, &o.duration_min)) {
                fw_err("generate: --duration '%s': expected whole minutes 1-%d, e.g. 120, 120m, "
                       "2h",
                       v, FW_GEN_MAX_DURATION_MIN);
                return usage_error();
            }
            break;
        case OPT_RATE: {
            uint64_t rate;
            if (parse_u64(v, &rate) || rate < 1 || rate > FW_GEN_MAX_RATE) {
                fw_err("generate: --rate '%s': expected events per minute 1-%d", v,
                       FW_GEN_MAX_RATE);
                return usage_error();
            }
            o.rate = (int)rate;
            break;
        }
        case OPT_START:
            if (fw_ts_parse(v, strlen(v), &o.start_us)) {
                fw_err("generate: --start '%s': expected an ISO 8601 time such as "
                       "2026-01-01T00:00:00",
                       v);
                return usage_error();
            }
            break;
        case OPT_DAILY:
            if (parse_amplitude(v, &o.daily)) {
                fw_err("generate: --daily '%s': expected an amplitude A with 0 <= A < 1, "
                       "e.g. 0.5",
                       v);
                return usage_error();
            }
            break;
        case OPT_ATTACK:
            if (n_adds == FW_GEN_MAX_ATTACKS) {
                fw_err("generate: --attack '%s': at most %d attacks", v, FW_GEN_MAX_ATTACKS);
                return usage_error();
            }
            if (fw_gen_parse_attack(v, &adds[n_adds], err, sizeof err)) {
                fw_err("generate: --attack '%s': %s", v, err);
                return usage_error();
            }
            add_specs[n_adds++] = v;
            break;
        case OPT_DROP_ATTACK: {
            int t = fw_gen_attack_type_find(v, strlen(v));
            if (t < 0) {
                fw_err("generate: --drop-attack '%s': unknown attack type", v);
                return usage_error();
            }
            if (n_drops < FW_GEN_MAX_ATTACKS)
                drops[n_drops++] = t;
            break;
        }
        case OPT_NO_ATTACKS:
            no_attacks = true;
            break;
        case OPT_NO_FAULTS:
            o.faults = false;
            break;
        case OPT_HELP:
            usage(stdout);
            return 0;
        }
    }

    /* Removals first, then additions, so the order on the command line
     * does not matter. */
    if (no_attacks)
        fw_gen_schedule_clear(&o);
    for (size_t k = 0; k < n_drops; k++)
        fw_gen_schedule_drop(&o, drops[k]);
    for (size_t k = 0; k < n_adds; k++) {
        if (fw_gen_schedule_add(&o, &adds[k], err, sizeof err)) {
            fw_err("generate: --attack '%s': %s (the seed's four kinds may not overlap any "
                   "other attack; remove scheduled ones with --drop-attack TYPE or "
                   "--no-attacks)",
                   add_specs[k], err);
            return usage_error();
        }
    }
    if (fw_gen_check(&o, err, sizeof err)) {
        fw_err("generate: %s", err);
        return usage_error();
    }

    return generate_to(&o, output ? output : "-");
}
