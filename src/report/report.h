/*
 * report.h - the analyst's report: one self-contained HTML page or a
 * Markdown document built from the SQLite store (docs/schema.md).
 *
 * A report reads two runs of one database: the minute aggregates of one run
 * (traffic, top sources and destinations, countries, data quality) and the
 * incidents of one run (attack episodes, attackers and victims by episode,
 * the KPIs).  With a labelled traffic log it also scores the incidents
 * against the labels (report/eval.h).  The HTML page has its CSS inline and
 * its charts as inline SVG, no script and no external file, so it opens
 * offline; everything that comes from the data is escaped.  docs/report.md
 * describes the sections.
 *
 * Lifecycle: fw_report_load reads everything the report shows in one read
 * transaction (a stream still writing the file is seen at one commit) and
 * closes the database; fw_report_write renders it as often as wanted;
 * fw_report_free releases it.  Memory: allocation failure aborts
 * (fw_xmalloc), as everywhere in floodwatch; what a report holds is bounded
 * by the minutes and incidents of the two runs plus a few top-N lists.
 */
#ifndef FW_REPORT_H
#define FW_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum fw_report_format { FW_REPORT_HTML, FW_REPORT_MD } fw_report_format;

typedef struct fw_report_opts {
    const char *db_path;     /* the store to read (required) */
    int64_t run_id;          /* minute aggregates of this run; 0 for the latest run that has some */
    const char *labels_path; /* traffic log with is_attack / attack_type, or NULL: no evaluation */
} fw_report_opts;

typedef struct fw_report fw_report;

/* The format a file name asks for: .html or .htm is HTML, .md Markdown
 * (case-insensitive).  Returns 0, or -1 for any other name. */
int fw_report_format_from_path(const char *path, fw_report_format *fmt);
/* "html" or "md" (also "markdown").  Returns 0, or -1 for another name. */
int fw_report_format_parse(const char *name, fw_report_format *fmt);

/*
 * Read the report's data from the database o->db_path (opened read-only)
 * and, with o->labels_path, evaluate the incidents against the labels.
 * Returns the report, or NULL with a message naming the file in err: a
 * missing file, not a floodwatch database, no run with minute aggregates,
 * --run naming a run that is missing or empty, unreadable labels.
 * Costs one pass over the two runs' rows (grouped by SQLite) and, with
 * labels, one pass over the traffic log.
 */
fw_report *fw_report_load(const fw_report_opts *o, char *err, size_t errn);

/* Render the report.  Returns 0, or -1 on a write error. */
int fw_report_write(const fw_report *r, fw_report_format fmt, FILE *out);

/* The run whose minute aggregates the report shows, and the run whose
 * incidents it shows (0 when the database has no incident). */
int64_t fw_report_minute_run(const fw_report *r);
int64_t fw_report_incident_run(const fw_report *r);

void fw_report_free(fw_report *r);

#endif
