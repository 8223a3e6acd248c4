/*
 * cli_report.c - `floodwatch report`: the analyst's report of one run, as a
 * self-contained HTML page or Markdown.
 *
 * A thin layer over report/report.h: parse the options, load the run from
 * the store (and score it against labels when asked), write the document
 * atomically.  Exit 0 on success, 1 when the database, the labels or the
 * output fail (the message names the file), 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/afile.h"
#include "core/log.h"
#include "report/report.h"

static const char usage_text[] =
    "usage: floodwatch report [--db PATH] [--run N] [--labels FILE] -o FILE [--format html|md]\n"
    "\n"
    "Write the analyst's report of one run of the store: traffic over time, attack\n"
    "episodes, top attackers and victims, geography, data quality, KPIs and, with\n"
    "--labels, the detection scored against the labels.  HTML is one self-contained\n"
    "page (inline CSS and SVG charts, no script, opens offline); Markdown has the\n"
    "same tables.  docs/report.md describes the sections.\n"
    "\n"
    "  --db PATH          SQLite database to read (default floodwatch.db)\n"
    "  --run N            the run to show (default: the latest with minute aggregates)\n"
    "  --labels FILE      the labelled traffic log (is_attack, attack_type) the run\n"
    "                     read: adds the detection evaluation (docs/eval.md)\n"
    "  -o, --output FILE  write there, atomically; '-' for stdout (needs --format)\n"
    "  --format F         html or md (default: from the extension, .html/.htm or .md)\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 written, 1 bad database, labels or output, 2 usage error.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fputs("floodwatch report: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    fputs(usage_text, stderr);
    return 2;
}

int fw_cli_report(int argc, char **argv)
{
    enum { O_LABELS = 256, O_FORMAT, O_RUN };
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"run", required_argument, NULL, O_RUN},
        {"labels", required_argument, NULL, O_LABELS},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, O_FORMAT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    fw_report_opts ro = {.db_path = "floodwatch.db"};
    const char *output = NULL, *format = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': ro.db_path = optarg; break;
        case O_RUN: {
            char *end;
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (end == optarg || *end || errno || v < 1)
                return usage_error("--run takes a run id (a positive integer), not '%s'", optarg);
            ro.run_id = v;
            break;
        }
        case O_LABELS: ro.labels_path = optarg; break;
        case 'o': output = optarg; break;
        case O_FORMAT: format = optarg; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (optind != argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!output)
        return usage_error("%s-o FILE is required", "");
    fw_report_format fmt;
    if (format) {
        if (fw_report_format_parse(format, &fmt))
            return usage_error("--format is html or md, not '%s'", format);
    } else if (fw_report_format_from_path(output, &fmt)) {
        return usage_error("cannot tell the format of '%s' from its name: use .html, .htm or "
                           ".md, or give --format html|md",
                           output);
    }

    char err[1024] = "";
    fw_report *r = fw_report_load(&ro, err, sizeof err);
    if (!r) {
        fw_err("%s", err);
        return 1;
    }
    fw_afile af;
    err[0] = 0;
    if (fw_afile_open(&af, output, err, sizeof err)) {
        fw_err("%s", err);
        fw_report_free(r);
        return 1;
    }
    int status = 0;
    if (fw_report_write(r, fmt, af.f)) {
        fw_err("%s: write error", output);
        fw_afile_abort(&af);
        status = 1;
    } else if (fw_afile_commit(&af, err, sizeof err)) {
        fw_err("%s", err);
        status = 1;
    }
    if (!status && strcmp(output, "-"))
        fw_info("report: wrote %s (run %lld, %zu attack episodes)", output,
                (long long)fw_report_run(r), fw_report_incidents(r));
    fw_report_free(r);
    return status;
}
