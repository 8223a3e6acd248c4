/*
 * cli_eval.c - `floodwatch eval`: score incidents against a labelled log.
 *
 * A thin layer over report/eval.h: parse the options, load the labels and
 * the incidents, evaluate, write the table or the JSON document atomically.
 * Exit 0 when the evaluation ran, 1 on bad input or I/O, 2 on a usage
 * error, and 3 with --fail-on-miss when the result is not ok.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/afile.h"
#include "core/log.h"
#include "core/ts.h"
#include "report/eval.h"

static const char usage_text[] =
    "usage: floodwatch eval --input TRAFFIC.csv --alerts INCIDENTS.jsonl [options]\n"
    "\n"
    "Score incidents (the JSON lines of stream/batch --alerts) against the attack\n"
    "labels (is_attack, attack_type) of the traffic log they were detected on.\n"
    "Definitions: docs/eval.md.\n"
    "\n"
    "  -i, --input FILE     labelled traffic log, seed CSV format ('-' for stdin)\n"
    "  -a, --alerts FILE    incident events, one JSON object a line ('-' for stdin)\n"
    "  --gap S              empty seconds allowed inside one attack (whole, default 2)\n"
    "  --slack S            an incident may start this long after an attack ends\n"
    "                       and still detect it (seconds, default 30)\n"
    "  --max-delay S        detection delay counted as in time (seconds, default 5)\n"
    "  --format F           table (default) or json\n"
    "  -o, --output FILE    write there, atomically (default '-', stdout)\n"
    "  --fail-on-miss       exit 3 when not every attack was detected with the\n"
    "                       right type in time, or an incident was false\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 the evaluation ran, 1 bad input, 2 usage error,\n"
    "3 with --fail-on-miss and a result that is not ok.\n";

/* A bound on second options, so the microsecond value cannot overflow. */
#define SECONDS_MAX 1e9

/* Parse a non-negative number of seconds into microseconds; whole only if
 * asked.  Returns 0, or -1 if s is not such a number. */
static int parse_seconds(const char *s, bool whole, int64_t *us)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < 0 || v > SECONDS_MAX)
        return -1;
    if (whole && v != floor(v))
        return -1;
    *us = (int64_t)llround(v * 1e6);
    return 0;
}

int fw_cli_eval(int argc, char **argv)
{
    enum { O_GAP = 256, O_SLACK, O_MAX_DELAY, O_FORMAT, O_FAIL_ON_MISS };
    static const struct option opts[] = {
        {"input", required_argument, NULL, 'i'},
        {"alerts", required_argument, NULL, 'a'},
        {"gap", required_argument, NULL, O_GAP},
        {"slack", required_argument, NULL, O_SLACK},
        {"max-delay", required_argument, NULL, O_MAX_DELAY},
        {"format", required_argument, NULL, O_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"fail-on-miss", no_argument, NULL, O_FAIL_ON_MISS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *input = NULL, *alerts = NULL, *output = "-";
    bool json = false, fail_on_miss = false;
    fw_eval_opts eo;
    fw_eval_opts_default(&eo);
    int64_t gap_us;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:a:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': input = optarg; break;
        case 'a': alerts = optarg; break;
        case 'o': output = optarg; break;
        case O_GAP:
            if (parse_seconds(optarg, true, &gap_us)) {
                fprintf(stderr, "floodwatch eval: --gap wants whole seconds >= 0, not '%s'\n",
                        optarg);
                return 2;
            }
            eo.gap_s = gap_us / FW_US_PER_S;
            break;
        case O_SLACK:
        case O_MAX_DELAY:
            if (parse_seconds(optarg, false, c == O_SLACK ? &eo.slack_us : &eo.max_delay_us)) {
                fprintf(stderr, "floodwatch eval: --%s wants seconds >= 0, not '%s'\n",
                        c == O_SLACK ? "slack" : "max-delay", optarg);
                return 2;
            }
            break;
        case O_FORMAT:
            if (!strcmp(optarg, "json"))
                json = true;
            else if (!strcmp(optarg, "table"))
                json = false;
            else {
                fprintf(stderr, "floodwatch eval: --format is table or json, not '%s'\n", optarg);
                return 2;
            }
            break;
        case O_FAIL_ON_MISS: fail_on_miss = true; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "floodwatch eval: unexpected argument '%s'\n%s", argv[optind],
                usage_text);
        return 2;
    }
    if (!input || !alerts) {
        fprintf(stderr, "floodwatch eval: --input and --alerts are required\n%s", usage_text);
        return 2;
    }
    if (!strcmp(input, "-") && !strcmp(alerts, "-")) {
        fprintf(stderr, "floodwatch eval: --input and --alerts cannot both be stdin\n");
        return 2;
    }

    char err[1024];
    int status = 1;
    fw_eval_labels *labels = fw_eval_labels_new();
    fw_eval_incidents inc = {0};
    fw_eval ev = {0};
    bool have_inc = false, have_ev = false;

    if (fw_eval_labels_load(labels, input, err, sizeof err)) {
        fw_err("%s", err);
        goto done;
    }
    if (fw_eval_incidents_load(&inc, alerts, err, sizeof err)) {
        fw_err("%s", err);
        goto done;
    }
    have_inc = true;
    fw_eval_run(&ev, labels, &inc, &eo);
    have_ev = true;
    ev.input = input;
    ev.alerts = alerts;
    if (ev.labels.skipped)
        fw_warn("%s: %llu row(s) without a valid timestamp were skipped", input,
                (unsigned long long)ev.labels.skipped);

    fw_afile out;
    err[0] = 0;
    if (fw_afile_open(&out, output, err, sizeof err)) {
        fw_err("%s", err);
        goto done;
    }
    if (json ? fw_eval_write_json(&ev, out.f) : fw_eval_print(&ev, out.f)) {
        fw_err("%s: write error", output);
        fw_afile_abort(&out);
        goto done;
    }
    if (fw_afile_commit(&out, err, sizeof err)) {
        fw_err("%s", err);
        goto done;
    }
    status = fail_on_miss && !ev.ok ? 3 : 0;
done:
    if (have_ev)
        fw_eval_destroy(&ev);
    if (have_inc)
        fw_eval_incidents_destroy(&inc);
    fw_eval_labels_free(labels);
    return status;
}
