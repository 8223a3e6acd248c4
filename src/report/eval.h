/*
 * eval.h - score detector incidents against the labels of a traffic log.
 *
 * Three inputs make an evaluation: the ground truth (the is_attack and
 * attack_type labels of a traffic log, aggregated per second so a 10M-row
 * log costs memory per labelled second, not per row), the incidents (the
 * JSON lines of docs/incidents.md, folded per id), and the options (gap,
 * slack, max delay).  fw_eval_run joins them into attacks, false incidents
 * and per-second precision / recall; fw_eval_json and fw_eval_print render
 * the result.  docs/eval.md has the definitions.
 *
 * Errors: functions return 0 or -1 with a message naming the file and line
 * in the caller's buffer.  Memory: allocation failure aborts (fw_xmalloc),
 * as everywhere in floodwatch.  Ownership: each object owns what it points
 * to, except where a field says "borrowed".
 */
#ifndef FW_EVAL_H
#define FW_EVAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clean/reasons.h"
#include "core/flow.h"

/* ---- options ---------------------------------------------------------- */

#define FW_EVAL_GAP_S 2        /* default --gap */
#define FW_EVAL_SLACK_S 30     /* default --slack */
#define FW_EVAL_MAX_DELAY_S 5  /* default --max-delay */

typedef struct fw_eval_opts {
    int64_t gap_s;        /* seconds without labelled rows allowed inside one attack */
    int64_t slack_us;     /* an incident may overlap an attack this long after its end */
    int64_t max_delay_us; /* detection delay still counted as in time */
} fw_eval_opts;

/* The defaults above. */
void fw_eval_opts_default(fw_eval_opts *o);

/* ---- ground truth: labels per second ---------------------------------- */

/* Opaque: a sorted array of the seconds holding rows labelled is_attack = 1,
 * each with its first and last row time and a count per attack_type. */
typedef struct fw_eval_labels fw_eval_labels;

typedef struct fw_eval_label_stats {
    uint64_t rows;           /* data rows read */
    uint64_t skipped;        /* rows without a valid timestamp (not used) */
    uint64_t attack_rows;    /* rows with is_attack = 1 */
    uint64_t unknown_rows;   /* rows with is_attack unknown (empty or unparsable) */
    uint64_t attack_seconds; /* distinct seconds holding attack rows */
    bool has_span;           /* false when no row had a valid timestamp */
    int64_t first_us;        /* smallest valid timestamp */
    int64_t last_us;         /* largest valid timestamp */
} fw_eval_label_stats;

fw_eval_labels *fw_eval_labels_new(void);
void fw_eval_labels_free(fw_eval_labels *l);

/*
 * Account one row: skipped if faults hold a timestamp fault, otherwise it
 * extends the span and, when is_attack is 1, counts label in its second.
 * Rows may come in any order.  Amortised O(log S) for S labelled seconds;
 * memory is at most about 2 S + 4096 entries of 64 bytes.
 */
void fw_eval_labels_add(fw_eval_labels *l, int64_t ts_us, int is_attack, enum fw_label label,
                        fw_faults faults);

/*
 * Read a whole traffic log (path, "-" for stdin) into l.  The log must have
 * an is_attack column.  Returns 0, or -1 with a message naming the file.
 */
int fw_eval_labels_load(fw_eval_labels *l, const char *path, char *err, size_t errn);

/* The counts so far (sorts pending entries first, hence not const). */
fw_eval_label_stats fw_eval_labels_stats(fw_eval_labels *l);

/* ---- incidents ---------------------------------------------------------- */

typedef struct fw_eval_incident {
    char *id;
    char *type;           /* NULL if no event named one */
    char *entity;         /* NULL if no event named one */
    int64_t start_us;     /* interval start */
    int64_t end_us;       /* interval end (see docs/eval.md for open incidents) */
    int64_t detected_us;  /* detected_at of its start event */
    bool ended;           /* an end event was seen */
    unsigned events;      /* JSON lines with this id */
    uint64_t line;        /* line of its first event */
} fw_eval_incident;

typedef struct fw_eval_incidents {
    fw_eval_incident *v; /* sorted by start, then id */
    size_t n;
    uint64_t lines;      /* non-blank lines read */
} fw_eval_incidents;

/*
 * Read incident events, one JSON object a line, from path ("-" for stdin)
 * and fold them per id into *out (which the call initialises).  Blank lines
 * are skipped; a line that is not a JSON object with the fields of
 * docs/incidents.md, or longer than 1 MiB, is an error "PATH:LINE: why".
 * Returns 0, or -1 with nothing to free.  O(E log E) for E events.
 */
int fw_eval_incidents_load(fw_eval_incidents *out, const char *path, char *err, size_t errn);
/* The same over an open stream; name is used in messages. */
int fw_eval_incidents_read(fw_eval_incidents *out, FILE *f, const char *name, char *err,
                           size_t errn);
void fw_eval_incidents_destroy(fw_eval_incidents *inc);

/* ---- the evaluation ----------------------------------------------------- */

typedef struct fw_eval_attack {
    int64_t start_us;       /* first labelled row */
    int64_t end_us;         /* last labelled row */
    enum fw_label type;     /* majority attack_type; FW_LABEL_NONE if no row named one */
    uint64_t rows;          /* labelled rows */
    bool detected;          /* an incident overlaps [start, end + slack] */
    bool type_correct;      /* one of those incidents has the attack's type */
    bool within_max_delay;  /* detected and delay_us <= max delay */
    int64_t delay_us;       /* clamped at 0; -1 when not detected */
    size_t *incidents;      /* indexes into the incidents, in their order */
    size_t nincidents;
} fw_eval_attack;

typedef struct fw_eval {
    fw_eval_opts opts;
    const fw_eval_incidents *inc; /* borrowed: must outlive the fw_eval */
    const char *input;            /* borrowed names, for the report (may be NULL) */
    const char *alerts;
    fw_eval_label_stats labels;

    fw_eval_attack *attacks; /* in time order */
    size_t nattacks;
    size_t *false_incidents; /* indexes into inc, in its order */
    size_t nfalse;

    /* Per second over [first, last] valid timestamp of the input. */
    uint64_t tp, fp, fn;
    double precision, recall, f1; /* 0 when undefined */

    size_t detected, type_correct, within_max_delay;
    bool ok; /* every attack detected, right type, in time; no false incident */
} fw_eval;

/*
 * Evaluate: segment the labels into attacks, match incidents, count seconds.
 * ev borrows inc.  Costs O(S + A x I + I log I) for S labelled seconds, A
 * attacks and I incidents.  Always succeeds; free with fw_eval_destroy.
 */
void fw_eval_run(fw_eval *ev, fw_eval_labels *l, const fw_eval_incidents *inc,
                 const fw_eval_opts *o);
void fw_eval_destroy(fw_eval *ev);

/* The JSON document (a new reference). */
json_t *fw_eval_json(const fw_eval *ev);
/* Write the JSON document and a newline.  Returns 0, or -1 on a write error. */
int fw_eval_write_json(const fw_eval *ev, FILE *out);
/* Print the text table.  Returns 0, or -1 on a write error. */
int fw_eval_print(const fw_eval *ev, FILE *out);

#endif
