/*
 * report.h - the analyst's report: one self-contained HTML page or a
 * Markdown document built from the SQLite store (docs/schema.md).
 *
 * A report shows one run: its accounting, its minute aggregates (traffic,
 * top sources and destinations, countries, data quality) and its attack
 * episodes (the incidents with that run_id: attackers and victims by
 * episode, the KPIs).  With a labelled traffic log it also scores those
 * incidents against the labels (report/eval.h).  The HTML page has its CSS
 * inline and its charts as inline SVG drawn here, with no script and no
 * external file, so it opens offline; everything that comes from the data
 * is escaped (and bytes that are not UTF-8 are shown as \xNN).  The
 * Markdown document has the same content as tables.  docs/report.md
 * describes the sections.
 *
 * Lifecycle: fw_report_load reads everything the report shows in one read
 * transaction (a stream still writing the file is seen at one commit) and
 * closes the database; fw_report_write renders it as often as wanted;
 * fw_report_free releases it.  Errors: fw_report_load returns NULL with a
 * message naming the file in the caller's buffer.  Memory: allocation
 * failure aborts (fw_xmalloc), as everywhere in floodwatch.  What a report
 * holds is the run's minutes and incidents plus top-N lists and a sample
 * of quarantined rows; the page itself caps its long tables.
 */
#ifndef FW_REPORT_H
#define FW_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum fw_report_format { FW_REPORT_HTML, FW_REPORT_MD } fw_report_format;

typedef struct fw_report_opts {
    const char *db_path;     /* the store to read (required; opened read-only) */
    int64_t run_id;          /* the run to show; 0: the latest run with rows in agg_minute */
    const char *labels_path; /* traffic log with is_attack / attack_type, or NULL: no evaluation */
} fw_report_opts;

/* Opaque: the data of one report. */
typedef struct fw_report fw_report;

/* The format a file name asks for: .html or .htm is HTML, .md Markdown
 * (case-insensitive).  Returns 0, or -1 for any other name. */
int fw_report_format_from_path(const char *path, fw_report_format *fmt);
/* "html" or "md" (also "markdown").  Returns 0, or -1 for another name. */
int fw_report_format_parse(const char *name, fw_report_format *fmt);

/*
 * Read the report's data from the database o->db_path and, with
 * o->labels_path, evaluate the run's incidents against the labels.
 * Returns the report (free with fw_report_free), or NULL with a message
 * naming the file in err: a missing file, not a floodwatch database (or of
 * a newer schema), no run with minute aggregates, o->run_id naming a run
 * that is missing or has no minute aggregates, unreadable labels.  Costs
 * one pass over the run's rows (grouped by SQLite) and, with labels, one
 * pass over the traffic log.
 */
fw_report *fw_report_load(const fw_report_opts *o, char *err, size_t errn);

/* Render the report to out.  Returns 0, or -1 on a write error.  The output
 * depends only on the data: the same database gives the same bytes. */
int fw_report_write(const fw_report *r, fw_report_format fmt, FILE *out);

/* The run the report shows, and how many incidents (attack episodes) it has. */
int64_t fw_report_run(const fw_report *r);
size_t fw_report_incidents(const fw_report *r);

void fw_report_free(fw_report *r);

#endif
