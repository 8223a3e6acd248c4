/*
 * summary.h - the whole-run summary of a batch: accounting, data quality,
 * labels, top sources and per-minute series.  Written as JSON (a stable
 * format, cross-checked against pandas in tests/xcheck) and as text.
 */
#ifndef FW_SUMMARY_H
#define FW_SUMMARY_H

#include <jansson.h>
#include <stdio.h>

#include "clean/clean.h"
#include "core/topk.h"
#include "input/seedcsv.h"
#include "stream/minute.h"

#define FW_SUMMARY_TOP 10

typedef struct fw_summary_minute {
    int64_t start_us;
    uint64_t events, syn_only, bytes, labelled, distinct_src;
} fw_summary_minute;

typedef struct fw_summary {
    uint64_t by_label[FW_LABEL_COUNT];
    fw_topk top_src;
    fw_summary_minute *minutes; /* in time order */
    size_t nminutes, cap;
    struct fw_summary_src *srcs; /* scratch: one minute's sources, sorted */
    size_t srcs_cap;
} fw_summary;

void fw_summary_init(fw_summary *s);
void fw_summary_destroy(fw_summary *s);
/* Account an accepted flow (its attack-type label). */
void fw_summary_flow(fw_summary *s, const fw_flow *f);
/* Account a closed minute, which must have per-source rows: the top sources
 * are fed one minute's total per source, in address order, rather than flow
 * by flow (a few hundred updates a minute instead of thousands, and an
 * order that does not depend on how the minute was aggregated).  While
 * fewer sources than the sketch holds are seen the counts are exact and
 * equal to flow-by-flow counting.  O(sources of m * log). */
void fw_summary_minute_add(fw_summary *s, const fw_minute *m);

typedef struct fw_summary_ctx {
    const char *input;
    const char *db_path;      /* NULL if none */
    const fw_clean_stats *st;
    const fw_seed_schema *schema;
    const uint64_t *empty;    /* per column */
    uint64_t blank_lines;     /* skipped, not records */
    int64_t first_us, last_us;
} fw_summary_ctx;

/* Build the JSON document (a new reference). */
json_t *fw_summary_json(const fw_summary *s, const fw_summary_ctx *c);
/* Print the attack episodes (an array of incident end events). */
void fw_summary_print_episodes(json_t *episodes, FILE *out);
/* Print the readable summary. */
void fw_summary_print(const fw_summary *s, const fw_summary_ctx *c, FILE *out);

#endif
