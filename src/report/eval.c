/*
 * eval.c - score detector incidents against the labels of a traffic log.
 *
 * The definitions (attack segmentation, the incident interval, detection,
 * delay, false incidents, per-second metrics) are in docs/eval.md; this file
 * follows them in that order.  Times are microseconds since the epoch
 * throughout; "seconds" below are whole seconds floor(ts_us / 1e6).
 */
#include "report/eval.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/ts.h"
#include "input/source.h"

void fw_eval_opts_default(fw_eval_opts *o)
{
    o->gap_s = FW_EVAL_GAP_S;
    o->slack_us = FW_EVAL_SLACK_S * FW_US_PER_S;
    o->max_delay_us = FW_EVAL_MAX_DELAY_S * FW_US_PER_S;
}

/* ---- labels per second ---------------------------------------------------- */

/* One second holding attack rows.  Counts saturate at UINT32_MAX, far above
 * any rate a log of flow records reaches in one second. */
struct sec_entry {
    int64_t sec;                  /* floor(ts_us / 1 s) */
    int64_t first_us, last_us;    /* earliest and latest attack row in the second */
    uint32_t n[FW_LABEL_COUNT];   /* attack rows per attack_type */
};

/*
 * v[0, nsorted) is sorted by second with no repeats; v[nsorted, n) is a
 * tail of entries appended since, in arrival order, possibly repeating
 * seconds.  The tail is merged in when it outgrows the sorted part, so an
 * input in time order appends and merges in O(n log n) overall, a shuffled
 * one finds most rows in the sorted part by binary search, and memory stays
 * within twice the distinct seconds plus TAIL_MIN entries.
 */
struct fw_eval_labels {
    struct sec_entry *v;
    size_t n, nsorted, cap;
    fw_eval_label_stats st;
};

#define TAIL_MIN 4096

fw_eval_labels *fw_eval_labels_new(void)
{
    return fw_xcalloc(1, sizeof(fw_eval_labels));
}

void fw_eval_labels_free(fw_eval_labels *l)
{
    if (!l)
        return;
    free(l->v);
    free(l);
}

static int cmp_sec(const void *a, const void *b)
{
    const struct sec_entry *x = a, *y = b;
    return (x->sec > y->sec) - (x->sec < y->sec);
}

static void merge_into(struct sec_entry *dst, const struct sec_entry *src)
{
    if (src->first_us < dst->first_us)
        dst->first_us = src->first_us;
    if (src->last_us > dst->last_us)
        dst->last_us = src->last_us;
    for (unsigned k = 0; k < FW_LABEL_COUNT; k++) {
        uint64_t s = (uint64_t)dst->n[k] + src->n[k];
        dst->n[k] = s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
    }
}

/* Sort the whole array and merge repeated seconds.  O(n log n). */
static void labels_compact(fw_eval_labels *l)
{
    if (l->nsorted == l->n)
        return; /* also when empty: qsort must not see the NULL array */
    qsort(l->v, l->n, sizeof l->v[0], cmp_sec);
    size_t w = 0;
    for (size_t r = 0; r < l->n; r++) {
        if (w > 0 && l->v[w - 1].sec == l->v[r].sec)
            merge_into(&l->v[w - 1], &l->v[r]);
        else
            l->v[w++] = l->v[r];
    }
    l->n = l->nsorted = w;
}

static struct sec_entry *labels_find(fw_eval_labels *l, int64_t sec)
{
    if (l->n > l->nsorted && l->v[l->n - 1].sec == sec)
        return &l->v[l->n - 1]; /* the common case: input in time order */
    size_t lo = 0, hi = l->nsorted;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->v[mid].sec < sec)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->nsorted && l->v[lo].sec == sec ? &l->v[lo] : NULL;
}

void fw_eval_labels_add(fw_eval_labels *l, int64_t ts_us, int is_attack, enum fw_label label,
                        fw_faults faults)
{
    l->st.rows++;
    if (faults & (FW_BIT(FW_R_TIMESTAMP_MISSING) | FW_BIT(FW_R_TIMESTAMP_INVALID))) {
        l->st.skipped++;
        return;
    }
    if (!l->st.has_span || ts_us < l->st.first_us)
        l->st.first_us = ts_us;
    if (!l->st.has_span || ts_us > l->st.last_us)
        l->st.last_us = ts_us;
    l->st.has_span = true;
    if (is_attack != 0 && is_attack != 1) {
        l->st.unknown_rows++;
        return;
    }
    if (is_attack == 0)
        return;
    l->st.attack_rows++;
    if ((unsigned)label >= FW_LABEL_COUNT)
        label = FW_LABEL_OTHER;

    struct sec_entry one = {.sec = fw_floor_div(ts_us, FW_US_PER_S), .first_us = ts_us,
                            .last_us = ts_us};
    one.n[label] = 1;
    struct sec_entry *e = labels_find(l, one.sec);
    if (e) {
        merge_into(e, &one);
        return;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->v = fw_xrealloc(l->v, l->cap * sizeof l->v[0]);
    }
    l->v[l->n++] = one;
    size_t tail = l->n - l->nsorted;
    if (tail > TAIL_MIN && tail > l->nsorted)
        labels_compact(l);
}

fw_eval_label_stats fw_eval_labels_stats(fw_eval_labels *l)
{
    labels_compact(l);
    l->st.attack_seconds = l->n;
    return l->st;
}

int fw_eval_labels_load(fw_eval_labels *l, const char *path, char *err, size_t errn)
{
    fw_source *src = fw_source_open(path, err, errn);
    if (!src)
        return -1;
    if (fw_source_schema(src)->idx[FW_COL_IS_ATTACK] < 0) {
        snprintf(err, errn, "%s: no is_attack column: eval needs a labelled traffic log",
                 fw_source_name(src));
        fw_source_close(src);
        return -1;
    }
    fw_record rec;
    int rc;
    while ((rc = fw_source_next(src, &rec, err, errn)) == 1)
        fw_eval_labels_add(l, rec.flow.ts_us, rec.flow.is_attack, (enum fw_label)rec.flow.label,
                           rec.faults);
    fw_source_close(src);
    return rc < 0 ? -1 : 0;
}

/* ---- incidents ---------------------------------------------------------- */

/* Longest incident line accepted; a longer one is an error, not an allocation. */
#define LINE_MAX_BYTES (1u << 20)

enum ev_kind { EV_START, EV_UPDATE, EV_END };

/* One JSON line, reduced to what the evaluation needs. */
struct event {
    char *id, *type, *entity; /* type, entity NULL when absent or null */
    enum ev_kind kind;
    bool has_start, has_end;
    int64_t start_us, end_us, detected_us;
    uint64_t line;
};

/*
 * Read one line (without its newline) into *buf.  Returns 1 for a line, 0 at
 * the end, -1 for a line over LINE_MAX_BYTES (the rest of it is consumed),
 * -2 on a read error.
 */
static int read_line(FILE *f, char **buf, size_t *cap, size_t *len)
{
    size_t n = 0;
    int c;
    bool any = false, too_long = false;
    while ((c = getc(f)) != EOF) {
        any = true;
        if (c == '\n')
            break;
        if (too_long)
            continue;
        if (n + 1 >= *cap) {
            if (*cap > LINE_MAX_BYTES) {
                too_long = true;
                continue;
            }
            *cap = *cap ? *cap * 2 : 4096;
            *buf = fw_xrealloc(*buf, *cap);
        }
        (*buf)[n++] = (char)c;
    }
    if (ferror(f))
        return -2;
    if (!any)
        return 0;
    if (too_long)
        return -1;
    if (!*buf) {
        *cap = 16;
        *buf = fw_xmalloc(*cap);
    }
    (*buf)[n] = 0;
    *len = n;
    return 1;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* A string member: 0 and *out (NULL when absent or null), or -1 with why. */
static int get_str(json_t *o, const char *key, bool required, const char **out, char *why,
                   size_t whyn)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required) {
            snprintf(why, whyn, "missing \"%s\"", key);
            return -1;
        }
        return 0;
    }
    if (!json_is_string(v)) {
        snprintf(why, whyn, "\"%s\" is not a string", key);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

/* A time member (ISO 8601 string): 0 with *has set, or -1 with why. */
static int get_time(json_t *o, const char *key, bool required, bool *has, int64_t *us, char *why,
                    size_t whyn)
{
    const char *s;
    *has = false;
    if (get_str(o, key, required, &s, why, whyn))
        return -1;
    if (!s)
        return 0;
    if (fw_ts_parse(s, strlen(s), us)) {
        snprintf(why, whyn, "\"%s\" is not an ISO 8601 time: \"%.40s\"", key, s);
        return -1;
    }
    *has = true;
    return 0;
}

/* Decode one line into *e.  Returns 0, or -1 with why. */
static int parse_event(const char *buf, size_t n, struct event *e, char *why, size_t whyn)
{
    json_error_t jerr;
    json_t *o = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!o) {
        snprintf(why, whyn, "not JSON: %s (column %d)", jerr.text, jerr.column);
        return -1;
    }
    int rc = -1;
    const char *ev, *id, *type, *entity;
    bool has_det;
    if (!json_is_object(o)) {
        snprintf(why, whyn, "not a JSON object");
        goto done;
    }
    if (get_str(o, "event", true, &ev, why, whyn) || get_str(o, "id", true, &id, why, whyn) ||
        get_str(o, "type", false, &type, why, whyn) ||
        get_str(o, "entity", false, &entity, why, whyn) ||
        get_time(o, "detected_at", true, &has_det, &e->detected_us, why, whyn) ||
        get_time(o, "start", false, &e->has_start, &e->start_us, why, whyn) ||
        get_time(o, "end", false, &e->has_end, &e->end_us, why, whyn))
        goto done;
    if (!strcmp(ev, "start"))
        e->kind = EV_START;
    else if (!strcmp(ev, "update"))
        e->kind = EV_UPDATE;
    else if (!strcmp(ev, "end"))
        e->kind = EV_END;
    else {
        snprintf(why, whyn, "unknown event \"%.40s\" (start, update or end)", ev);
        goto done;
    }
    if (!*id) {
        snprintf(why, whyn, "empty \"id\"");
        goto done;
    }
    e->id = fw_xstrdup(id);
    e->type = type ? fw_xstrdup(type) : NULL;
    e->entity = entity ? fw_xstrdup(entity) : NULL;
    rc = 0;
done:
    json_decref(o);
    return rc;
}

static void events_free(struct event *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].id);
        free(v[i].type);
        free(v[i].entity);
    }
    free(v);
}

static int cmp_event(const void *a, const void *b)
{
    const struct event *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    return (x->line > y->line) - (x->line < y->line);
}

static int cmp_incident(const void *a, const void *b)
{
    const fw_eval_incident *x = a, *y = b;
    if (x->start_us != y->start_us)
        return x->start_us < y->start_us ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Fold the events of one id, ev[0, n) in line order, into an incident. */
static void fold_incident(const struct event *ev, size_t n, fw_eval_incident *inc)
{
    /* Start and detected_at come from the first start event or, when the
     * log holds none (it began mid-incident), from the earliest event. */
    const struct event *chosen = NULL;
    for (size_t k = 0; k < n && !chosen; k++)
        if (ev[k].kind == EV_START)
            chosen = &ev[k];
    if (!chosen) {
        chosen = &ev[0];
        for (size_t k = 1; k < n; k++)
            if (ev[k].detected_us < chosen->detected_us)
                chosen = &ev[k];
    }
    const char *type = chosen->type, *entity = chosen->entity;
    for (size_t k = 0; k < n; k++) {
        if (!type)
            type = ev[k].type;
        if (!entity)
            entity = ev[k].entity;
    }
    /* An update may reclassify an incident (a volume incident that a
     * signature rule later explains): the latest type in the log wins. */
    for (size_t k = n; k-- > 0;)
        if (ev[k].type) {
            type = ev[k].type;
            break;
        }
    memset(inc, 0, sizeof *inc);
    inc->id = fw_xstrdup(chosen->id);
    inc->type = type ? fw_xstrdup(type) : NULL;
    inc->entity = entity ? fw_xstrdup(entity) : NULL;
    inc->start_us = chosen->has_start ? chosen->start_us : chosen->detected_us;
    inc->detected_us = chosen->detected_us;
    inc->events = (unsigned)n;
    inc->line = ev[0].line;

    /* The end: the end event's "end"; for an incident that never ended, the
     * latest detected_at or "end" among its events. */
    bool have_end = false;
    int64_t end = 0, latest = INT64_MIN;
    for (size_t k = 0; k < n; k++) {
        if (ev[k].kind == EV_END) {
            inc->ended = true;
            if (ev[k].has_end && (!have_end || ev[k].end_us > end)) {
                end = ev[k].end_us;
                have_end = true;
            }
        }
        if (ev[k].detected_us > latest)
            latest = ev[k].detected_us;
        if (ev[k].has_end && ev[k].end_us > latest)
            latest = ev[k].end_us;
    }
    inc->end_us = have_end ? end : latest;
    if (inc->end_us < inc->start_us)
        inc->end_us = inc->start_us; /* inconsistent input: keep a point interval */
}

int fw_eval_incidents_read(fw_eval_incidents *out, FILE *f, const char *name, char *err,
                           size_t errn)
{
    memset(out, 0, sizeof *out);
    struct event *ev = NULL;
    size_t nev = 0, cap = 0, bufcap = 0, len = 0;
    char *buf = NULL, why[256];
    uint64_t line = 0;
    int rc;
    while ((rc = read_line(f, &buf, &bufcap, &len)) != 0) {
        line++;
        if (rc == -2) {
            snprintf(err, errn, "%s:%llu: read error: %s", name, (unsigned long long)line,
                     strerror(errno));
            goto fail;
        }
        if (rc == -1) {
            snprintf(err, errn, "%s:%llu: line longer than %u bytes", name,
                     (unsigned long long)line, LINE_MAX_BYTES);
            goto fail;
        }
        if (blank(buf, len))
            continue;
        out->lines++;
        if (nev == cap) {
            cap = cap ? cap * 2 : 64;
            ev = fw_xrealloc(ev, cap * sizeof ev[0]);
        }
        memset(&ev[nev], 0, sizeof ev[nev]);
        ev[nev].line = line;
        if (parse_event(buf, len, &ev[nev], why, sizeof why)) {
            snprintf(err, errn, "%s:%llu: bad incident line: %s", name, (unsigned long long)line,
                     why);
            goto fail;
        }
        nev++;
    }
    free(buf);
    buf = NULL;

    if (nev)
        qsort(ev, nev, sizeof ev[0], cmp_event);
    out->v = fw_xcalloc(nev ? nev : 1, sizeof out->v[0]);
    for (size_t i = 0, j; i < nev; i = j) {
        for (j = i + 1; j < nev && !strcmp(ev[j].id, ev[i].id); j++)
            ;
        fold_incident(&ev[i], j - i, &out->v[out->n++]);
    }
    if (out->n)
        qsort(out->v, out->n, sizeof out->v[0], cmp_incident);
    events_free(ev, nev);
    return 0;
fail:
    free(buf);
    events_free(ev, nev);
    fw_eval_incidents_destroy(out);
    return -1;
}

int fw_eval_incidents_load(fw_eval_incidents *out, const char *path, char *err, size_t errn)
{
    bool use_stdin = !strcmp(path, "-");
    FILE *f = use_stdin ? stdin : fopen(path, "r");
    if (!f) {
        memset(out, 0, sizeof *out);
        snprintf(err, errn, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int rc = fw_eval_incidents_read(out, f, use_stdin ? "<stdin>" : path, err, errn);
    if (!use_stdin)
        fclose(f);
    return rc;
}

void fw_eval_incidents_destroy(fw_eval_incidents *inc)
{
    for (size_t i = 0; i < inc->n; i++) {
        free(inc->v[i].id);
        free(inc->v[i].type);
        free(inc->v[i].entity);
    }
    free(inc->v);
    memset(inc, 0, sizeof *inc);
}

/* ---- the evaluation ----------------------------------------------------- */

/* The majority attack_type other than normal; ties go to the name first in
 * alphabetical order.  FW_LABEL_NONE when no row named a type. */
static enum fw_label majority_type(const uint64_t n[FW_LABEL_COUNT])
{
    enum fw_label best = FW_LABEL_NONE;
    for (unsigned k = 0; k < FW_LABEL_COUNT; k++) {
        if (k == FW_LABEL_NONE || n[k] == 0)
            continue;
        if (best == FW_LABEL_NONE || n[k] > n[best] ||
            (n[k] == n[best] && strcmp(fw_label_name(k), fw_label_name(best)) < 0))
            best = (enum fw_label)k;
    }
    return best;
}

/* The majority type of one labelled second. */
static enum fw_label second_type(const uint32_t n32[FW_LABEL_COUNT])
{
    uint64_t n[FW_LABEL_COUNT];
    for (unsigned k = 0; k < FW_LABEL_COUNT; k++)
        n[k] = n32[k];
    return majority_type(n);
}

/* Whether a new attack of another type begins at labelled second j: its
 * majority type differs from the current attack's (a) and holds, with nothing else in
 * between, until a labelled second at least gap seconds later.  So a
 * multi-vector attack that alternates types from second to second, or a
 * stray second of another type, stays one attack. */
static bool type_changes(const fw_eval *ev, const fw_eval_labels *l, size_t j, enum fw_label a)
{
    enum fw_label b = second_type(l->v[j].n);
    if (a == FW_LABEL_NONE || b == FW_LABEL_NONE || a == b)
        return false;
    /* The new type must hold, with nothing else between, until a labelled
     * second at least gap seconds after j. */
    for (size_t k = j; k < l->n; k++) {
        if (k > j) {
            if (l->v[k].sec - l->v[k - 1].sec - 1 > ev->opts.gap_s)
                return false; /* the stretch ends first */
            enum fw_label c = second_type(l->v[k].n);
            if (c != FW_LABEL_NONE && c != b)
                return false;
        }
        if (l->v[k].sec - l->v[j].sec >= ev->opts.gap_s)
            return true;
    }
    return false;
}

/* Cut the labelled seconds into attacks: a run of seconds in which each is
 * at most gap_s empty seconds after the previous one and of the same
 * attack (see type_changes: two attacks back to back are two).  O(S * gap). */
static void segment(fw_eval *ev, const fw_eval_labels *l)
{
    size_t cap = 0;
    for (size_t i = 0, j; i < l->n; i = j) {
        uint64_t n[FW_LABEL_COUNT] = {0};
        for (j = i; j < l->n; j++) {
            if (j > i && l->v[j].sec - l->v[j - 1].sec - 1 > ev->opts.gap_s)
                break;
            if (j > i && type_changes(ev, l, j, majority_type(n)))
                break;
            for (unsigned k = 0; k < FW_LABEL_COUNT; k++)
                n[k] += l->v[j].n[k];
        }
        if (ev->nattacks == cap) {
            cap = cap ? cap * 2 : 16;
            ev->attacks = fw_xrealloc(ev->attacks, cap * sizeof ev->attacks[0]);
        }
        fw_eval_attack *a = &ev->attacks[ev->nattacks++];
        memset(a, 0, sizeof *a);
        a->start_us = l->v[i].first_us;
        a->end_us = l->v[j - 1].last_us;
        a->type = majority_type(n);
        for (unsigned k = 0; k < FW_LABEL_COUNT; k++)
            a->rows += n[k];
        a->delay_us = -1;
    }
}

static bool overlaps(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
    return a0 <= b1 && b0 <= a1;
}

/* Match one attack with the incidents overlapping [start, end + slack]. */
static void match_attack(fw_eval *ev, fw_eval_attack *a)
{
    const fw_eval_incidents *inc = ev->inc;
    int64_t w0 = a->start_us, w1 = a->end_us + ev->opts.slack_us;
    int64_t first_any = INT64_MAX, first_right = INT64_MAX;
    const char *want = a->type == FW_LABEL_NONE ? NULL : fw_label_name(a->type);
    for (size_t i = 0; i < inc->n && inc->v[i].start_us <= w1; i++) {
        const fw_eval_incident *x = &inc->v[i];
        if (!overlaps(x->start_us, x->end_us, w0, w1))
            continue;
        if (!a->incidents)
            a->incidents = fw_xmalloc(inc->n * sizeof a->incidents[0]);
        a->incidents[a->nincidents++] = i;
        if (x->detected_us < first_any)
            first_any = x->detected_us;
        if (want && x->type && !strcmp(x->type, want)) {
            a->type_correct = true;
            if (x->detected_us < first_right)
                first_right = x->detected_us;
        }
    }
    if (!a->nincidents)
        return;
    a->detected = true;
    int64_t first = a->type_correct ? first_right : first_any;
    a->delay_us = first > a->start_us ? first - a->start_us : 0;
    a->within_max_delay = a->delay_us <= ev->opts.max_delay_us;
}

/* An inclusive run of whole seconds. */
struct span {
    int64_t lo, hi;
};

static int cmp_span(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Sort and merge overlapping or adjacent spans in place; returns the count. */
static size_t spans_merge(struct span *s, size_t n)
{
    if (n == 0)
        return 0;
    qsort(s, n, sizeof s[0], cmp_span);
    size_t w = 0;
    for (size_t r = 0; r < n; r++) {
        if (w > 0 && s[r].lo <= s[w - 1].hi + 1) {
            if (s[r].hi > s[w - 1].hi)
                s[w - 1].hi = s[r].hi;
        } else {
            s[w++] = s[r];
        }
    }
    return w;
}

static uint64_t spans_len(const struct span *s, size_t n)
{
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++)
        t += (uint64_t)(s[i].hi - s[i].lo + 1);
    return t;
}

/* Seconds in both merged span lists.  O(na + nb). */
static uint64_t spans_common(const struct span *a, size_t na, const struct span *b, size_t nb)
{
    uint64_t t = 0;
    size_t i = 0, j = 0;
    while (i < na && j < nb) {
        int64_t lo = a[i].lo > b[j].lo ? a[i].lo : b[j].lo;
        int64_t hi = a[i].hi < b[j].hi ? a[i].hi : b[j].hi;
        if (lo <= hi)
            t += (uint64_t)(hi - lo + 1);
        if (a[i].hi < b[j].hi)
            i++;
        else
            j++;
    }
    return t;
}

/* Clip [lo, hi] to [r0, r1] and append it if anything is left. */
static void span_push(struct span *s, size_t *n, int64_t lo, int64_t hi, int64_t r0, int64_t r1)
{
    if (lo < r0)
        lo = r0;
    if (hi > r1)
        hi = r1;
    if (lo <= hi)
        s[(*n)++] = (struct span){lo, hi};
}

/*
 * Per-second confusion counts over the input's span.  An attack covers the
 * seconds from the one holding its first row to the one holding its last
 * (rows are instants).  An incident covers [start, end) in whole seconds:
 * its start is the start of a 1 s pane and its end the end of the last pane,
 * so the second beginning exactly at end is not part of it; a zero-length
 * incident still covers the second it starts in.  O((A + I) log I).
 */
static void per_second(fw_eval *ev)
{
    if (!ev->labels.has_span)
        return;
    int64_t r0 = fw_floor_div(ev->labels.first_us, FW_US_PER_S);
    int64_t r1 = fw_floor_div(ev->labels.last_us, FW_US_PER_S);
    const fw_eval_incidents *inc = ev->inc;
    struct span *as = fw_xmalloc((ev->nattacks + 1) * sizeof *as);
    struct span *ps = fw_xmalloc((inc->n + 1) * sizeof *ps);
    size_t na = 0, np = 0;
    for (size_t i = 0; i < ev->nattacks; i++)
        span_push(as, &na, fw_floor_div(ev->attacks[i].start_us, FW_US_PER_S),
                  fw_floor_div(ev->attacks[i].end_us, FW_US_PER_S), r0, r1);
    for (size_t i = 0; i < inc->n; i++) {
        int64_t s = inc->v[i].start_us, e = inc->v[i].end_us;
        int64_t lo = fw_floor_div(s, FW_US_PER_S);
        int64_t hi = e > s ? -fw_floor_div(-e, FW_US_PER_S) - 1 : lo;
        span_push(ps, &np, lo, hi, r0, r1);
    }
    na = spans_merge(as, na);
    np = spans_merge(ps, np);
    uint64_t actual = spans_len(as, na), predicted = spans_len(ps, np);
    ev->tp = spans_common(as, na, ps, np);
    ev->fp = predicted - ev->tp;
    ev->fn = actual - ev->tp;
    ev->precision = predicted ? (double)ev->tp / (double)predicted : 0.0;
    ev->recall = actual ? (double)ev->tp / (double)actual : 0.0;
    ev->f1 = ev->precision + ev->recall > 0
                 ? 2 * ev->precision * ev->recall / (ev->precision + ev->recall)
                 : 0.0;
    free(as);
    free(ps);
}

void fw_eval_run(fw_eval *ev, fw_eval_labels *l, const fw_eval_incidents *inc,
                 const fw_eval_opts *o)
{
    memset(ev, 0, sizeof *ev);
    ev->opts = *o;
    ev->inc = inc;
    ev->labels = fw_eval_labels_stats(l);
    segment(ev, l);

    for (size_t i = 0; i < ev->nattacks; i++) {
        fw_eval_attack *a = &ev->attacks[i];
        match_attack(ev, a);
        ev->detected += a->detected;
        ev->type_correct += a->type_correct;
        ev->within_max_delay += a->within_max_delay;
    }

    /* False incidents: near no attack, slack on both sides. */
    ev->false_incidents = fw_xmalloc((inc->n + 1) * sizeof ev->false_incidents[0]);
    for (size_t i = 0; i < inc->n; i++) {
        bool near = false;
        for (size_t k = 0; k < ev->nattacks && !near; k++)
            near = overlaps(inc->v[i].start_us, inc->v[i].end_us,
                            ev->attacks[k].start_us - o->slack_us,
                            ev->attacks[k].end_us + o->slack_us);
        if (!near)
            ev->false_incidents[ev->nfalse++] = i;
    }

    per_second(ev);

    ev->ok = ev->nfalse == 0;
    for (size_t i = 0; i < ev->nattacks; i++) {
        const fw_eval_attack *a = &ev->attacks[i];
        if (!(a->detected && a->type_correct && a->within_max_delay))
            ev->ok = false;
    }
}

void fw_eval_destroy(fw_eval *ev)
{
    for (size_t i = 0; i < ev->nattacks; i++)
        free(ev->attacks[i].incidents);
    free(ev->attacks);
    free(ev->false_incidents);
    memset(ev, 0, sizeof *ev);
}

/* ---- rendering ---------------------------------------------------------- */

static json_t *json_time(int64_t us)
{
    char buf[FW_TS_BUFSZ];
    fw_ts_format(us, buf, 0);
    return json_string(buf);
}

/* Seconds as a JSON number, to the microsecond. */
static json_t *json_secs(int64_t us)
{
    return json_real((double)us / 1e6);
}

/* A ratio rounded to 6 decimals, so the document does not show float noise. */
static json_t *json_ratio(double x)
{
    return json_real(round(x * 1e6) / 1e6);
}

static json_t *json_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *fw_eval_json(const fw_eval *ev)
{
    const fw_eval_incidents *inc = ev->inc;
    json_t *j = json_object();
    json_object_set_new(j, "input", json_str_or_null(ev->input));
    json_object_set_new(j, "alerts", json_str_or_null(ev->alerts));
    json_object_set_new(j, "options",
                        json_pack("{s:I, s:o, s:o}", "gap_s", (json_int_t)ev->opts.gap_s,
                                  "slack_s", json_secs(ev->opts.slack_us), "max_delay_s",
                                  json_secs(ev->opts.max_delay_us)));
    const fw_eval_label_stats *st = &ev->labels;
    json_object_set_new(
        j, "rows",
        json_pack("{s:I, s:I, s:I, s:I, s:I}", "read", (json_int_t)st->rows,
                  "skipped_bad_timestamp", (json_int_t)st->skipped, "attack",
                  (json_int_t)st->attack_rows, "label_unknown", (json_int_t)st->unknown_rows,
                  "attack_seconds", (json_int_t)st->attack_seconds));
    json_object_set_new(j, "first", st->has_span ? json_time(st->first_us) : json_null());
    json_object_set_new(j, "last", st->has_span ? json_time(st->last_us) : json_null());
    json_object_set_new(j, "incidents", json_integer((json_int_t)inc->n));

    json_t *attacks = json_array();
    for (size_t i = 0; i < ev->nattacks; i++) {
        const fw_eval_attack *a = &ev->attacks[i];
        json_t *ids = json_array();
        for (size_t k = 0; k < a->nincidents; k++)
            json_array_append_new(ids, json_string(inc->v[a->incidents[k]].id));
        json_t *o = json_object();
        json_object_set_new(o, "index", json_integer((json_int_t)i + 1));
        json_object_set_new(o, "type",
                            a->type == FW_LABEL_NONE ? json_null()
                                                     : json_string(fw_label_name(a->type)));
        json_object_set_new(o, "start", json_time(a->start_us));
        json_object_set_new(o, "end", json_time(a->end_us));
        json_object_set_new(o, "duration_s", json_secs(a->end_us - a->start_us));
        json_object_set_new(o, "rows", json_integer((json_int_t)a->rows));
        json_object_set_new(o, "detected", json_boolean(a->detected));
        json_object_set_new(o, "type_correct", json_boolean(a->type_correct));
        json_object_set_new(o, "delay_s", a->detected ? json_secs(a->delay_us) : json_null());
        json_object_set_new(o, "within_max_delay", json_boolean(a->within_max_delay));
        json_object_set_new(o, "incidents", ids);
        json_array_append_new(attacks, o);
    }
    json_object_set_new(j, "attacks", attacks);

    json_t *fi = json_array();
    for (size_t k = 0; k < ev->nfalse; k++) {
        const fw_eval_incident *x = &inc->v[ev->false_incidents[k]];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(x->id));
        json_object_set_new(o, "type", json_str_or_null(x->type));
        json_object_set_new(o, "start", json_time(x->start_us));
        json_object_set_new(o, "end", json_time(x->end_us));
        json_object_set_new(o, "ended", json_boolean(x->ended));
        json_object_set_new(o, "detected_at", json_time(x->detected_us));
        json_object_set_new(o, "entity", json_str_or_null(x->entity));
        json_array_append_new(fi, o);
    }
    json_object_set_new(j, "false_incidents", fi);

    json_object_set_new(j, "per_second",
                        json_pack("{s:I, s:I, s:I, s:o, s:o, s:o}", "tp", (json_int_t)ev->tp, "fp",
                                  (json_int_t)ev->fp, "fn", (json_int_t)ev->fn, "precision",
                                  json_ratio(ev->precision), "recall", json_ratio(ev->recall),
                                  "f1", json_ratio(ev->f1)));
    json_object_set_new(
        j, "summary",
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:b}", "attacks", (json_int_t)ev->nattacks,
                  "detected", (json_int_t)ev->detected, "type_correct",
                  (json_int_t)ev->type_correct, "within_max_delay",
                  (json_int_t)ev->within_max_delay, "false_incidents", (json_int_t)ev->nfalse,
                  "ok", (int)ev->ok));
    return j;
}

int fw_eval_write_json(const fw_eval *ev, FILE *out)
{
    json_t *j = fw_eval_json(ev);
    int rc = json_dumpf(j, out, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    json_decref(j);
    if (rc || fputc('\n', out) == EOF || ferror(out))
        return -1;
    return 0;
}

/* "5 s", "0.25 s": seconds without trailing zeros. */
static const char *fmt_secs(int64_t us, char *buf, size_t n)
{
    if (us % FW_US_PER_S == 0) {
        snprintf(buf, n, "%lld s", (long long)(us / FW_US_PER_S));
        return buf;
    }
    int len = snprintf(buf, n, "%.6f", (double)us / 1e6);
    while (len > 0 && buf[len - 1] == '0')
        buf[--len] = 0;
    snprintf(buf + len, n - (size_t)len, " s");
    return buf;
}

/* A time for the table: as fw_ts_format, without trailing zeros in the
 * fraction ("00:00:22.25Z"). */
static const char *fmt_time(int64_t us, char *buf)
{
    int n = fw_ts_format(us, buf, 0);
    if (us % FW_US_PER_S == 0)
        return buf;
    int z = n - 1; /* the 'Z' */
    int k = z;
    while (buf[k - 1] == '0')
        k--;
    memmove(buf + k, buf + z, (size_t)(n - z) + 1);
    return buf;
}

/* A text table: cells are formatted as rows are added, then printed with
 * every column but the last padded to its widest cell. */
#define TABLE_MAX_COLS 10
struct table {
    size_t ncols, nrows, cap;
    char **cells;
    size_t width[TABLE_MAX_COLS];
};

static void table_row(struct table *t, ...)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = fw_xrealloc(t->cells, t->cap * t->ncols * sizeof t->cells[0]);
    }
    va_list ap;
    va_start(ap, t);
    for (size_t c = 0; c < t->ncols; c++) {
        const char *s = va_arg(ap, const char *);
        t->cells[t->nrows * t->ncols + c] = fw_xstrdup(s);
        if (strlen(s) > t->width[c])
            t->width[c] = strlen(s);
    }
    va_end(ap);
    t->nrows++;
}

static void table_print(struct table *t, FILE *out)
{
    for (size_t r = 0; r < t->nrows; r++) {
        fputs("  ", out);
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            if (c + 1 < t->ncols)
                fprintf(out, "%-*s  ", (int)t->width[c], s);
            else
                fprintf(out, "%s\n", s);
        }
    }
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
}

/* The ids of an attack's incidents, comma-separated ("-" for none). */
static char *join_ids(const fw_eval *ev, const fw_eval_attack *a)
{
    size_t n = 2;
    for (size_t k = 0; k < a->nincidents; k++)
        n += strlen(ev->inc->v[a->incidents[k]].id) + 1;
    char *s = fw_xmalloc(n);
    strcpy(s, "-");
    for (size_t k = 0; k < a->nincidents; k++) {
        if (k == 0)
            s[0] = 0;
        else
            strcat(s, ",");
        strcat(s, ev->inc->v[a->incidents[k]].id);
    }
    return s;
}

int fw_eval_print(const fw_eval *ev, FILE *out)
{
    const fw_eval_incidents *inc = ev->inc;
    const fw_eval_label_stats *st = &ev->labels;
    char b0[FW_TS_BUFSZ], b1[FW_TS_BUFSZ], d0[48], d1[48], d2[48];

    fprintf(out,
            "input:  %s: %llu rows, %llu skipped (no valid timestamp), %llu labelled as attack\n",
            ev->input ? ev->input : "-", (unsigned long long)st->rows,
            (unsigned long long)st->skipped, (unsigned long long)st->attack_rows);
    fprintf(out, "alerts: %s: %zu incidents\n", ev->alerts ? ev->alerts : "-", inc->n);
    fprintf(out, "options: gap %lld s, slack %s, max delay %s\n\n", (long long)ev->opts.gap_s,
            fmt_secs(ev->opts.slack_us, d0, sizeof d0),
            fmt_secs(ev->opts.max_delay_us, d1, sizeof d1));

    fprintf(out, "attacks: %zu\n", ev->nattacks);
    if (ev->nattacks) {
        struct table t = {.ncols = 9};
        table_row(&t, "#", "type", "start", "end", "duration", "detected", "type ok", "delay",
                  "incidents");
        for (size_t i = 0; i < ev->nattacks; i++) {
            const fw_eval_attack *a = &ev->attacks[i];
            char num[24];
            snprintf(num, sizeof num, "%zu", i + 1);
            fmt_time(a->start_us, b0);
            fmt_time(a->end_us, b1);
            char *ids = join_ids(ev, a);
            if (a->detected) {
                size_t l = strlen(fmt_secs(a->delay_us, d2, sizeof d2));
                if (!a->within_max_delay)
                    snprintf(d2 + l, sizeof d2 - l, " (late)");
            }
            table_row(&t, num, a->type == FW_LABEL_NONE ? "-" : fw_label_name(a->type), b0, b1,
                      fmt_secs(a->end_us - a->start_us, d0, sizeof d0),
                      a->detected ? "yes" : "NO", a->type_correct ? "yes" : "NO",
                      a->detected ? d2 : "-", ids);
            free(ids);
        }
        table_print(&t, out);
    }

    fprintf(out, "\nfalse incidents: %zu\n", ev->nfalse);
    if (ev->nfalse) {
        struct table t = {.ncols = 5};
        table_row(&t, "id", "type", "start", "end", "entity");
        for (size_t k = 0; k < ev->nfalse; k++) {
            const fw_eval_incident *x = &inc->v[ev->false_incidents[k]];
            fmt_time(x->start_us, b0);
            fmt_time(x->end_us, b1);
            table_row(&t, x->id, x->type ? x->type : "-", b0, b1, x->entity ? x->entity : "-");
        }
        table_print(&t, out);
    }

    fputs("\nper second", out);
    if (st->has_span) {
        fmt_time(st->first_us, b0);
        fmt_time(st->last_us, b1);
        fprintf(out, " (%s .. %s)", b0, b1);
    }
    fprintf(out, ": TP %llu, FP %llu, FN %llu, precision %.3f, recall %.3f, F1 %.3f\n",
            (unsigned long long)ev->tp, (unsigned long long)ev->fp, (unsigned long long)ev->fn,
            ev->precision, ev->recall, ev->f1);
    fprintf(out,
            "\nsummary: %zu attacks, %zu detected, %zu type correct, %zu within max delay, "
            "%zu false incidents: %s\n",
            ev->nattacks, ev->detected, ev->type_correct, ev->within_max_delay, ev->nfalse,
            ev->ok ? "OK" : "NOT OK");
    return ferror(out) ? -1 : 0;
}
