/*
 * cli_query.c - `floodwatch query WHAT`: ask the store a question (top
 * talkers, incidents, a timeline, a run summary) in the spirit of
 * `nfdump -s`, and print the answer as an aligned table, CSV or JSON.
 *
 * This file parses arguments and formats; the SQL is in report/query.c.
 * The formats are a table of printers over the typed result tables, so a
 * new question needs no formatting code and a new format no query code.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/ts.h"
#include "report/query.h"

static const char usage_text[] =
    "usage: floodwatch query [options] WHAT\n"
    "\n"
    "Ask the store (a database written by batch or stream) a question.\n"
    "\n"
    "WHAT:\n"
    "  top sources|destinations|ports|countries [--by events|bytes|packets]\n"
    "                   the heaviest keys over the range (default by events, --limit 10);\n"
    "                   ties by key ascending; countries have no packets\n"
    "  incidents [--type T] [--open]\n"
    "                   one row per incident starting in the range\n"
    "  timeline [--step 1m|5m|1h|1d|Ns|Nm|Nh|Nd]\n"
    "                   traffic and active incidents per step (default 1m; whole minutes)\n"
    "  summary          the run's accounting, incidents by type, top attackers and\n"
    "                   victims, and the attack KPIs (lists: --limit 5)\n"
    "\n"
    "options:\n"
    "  --db PATH        database to read (default floodwatch.db); opened read-only\n"
    "  --run N          the run to read (default: the latest run with data for WHAT;\n"
    "                   for summary, the latest with incidents, else the latest)\n"
    "  --from T         start of the range, inclusive (ISO 8601 or a date, UTC by default)\n"
    "  --to T           end of the range, exclusive\n"
    "  --format F       table (default), csv (RFC 4180) or json\n"
    "  --limit N        at most N rows per list (0: all)\n"
    "  -h, --help       this text\n"
    "\n"
    "Exit status: 0 success, 1 the database cannot be read, 2 a usage error.\n"
    "See docs/query.md.\n";

/* A usage error: the message, a pointer to --help, exit status 2. */
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("floodwatch query: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(floodwatch query --help lists the options)\n", stderr);
    return 2;
}

/* ISO 8601 as fw_ts_parse takes it, or a bare date (its midnight). */
static int parse_time(const char *s, int64_t *us)
{
    size_t n = strlen(s);
    if (!fw_ts_parse(s, n, us))
        return 0;
    if (n == 10) {
        char b[32];
        snprintf(b, sizeof b, "%sT00:00", s);
        return fw_ts_parse(b, strlen(b), us);
    }
    return -1;
}

/* A count: digits only, at most max. */
static int parse_count(const char *s, long long max, long long *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return -1;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno || v > max)
        return -1;
    *out = v;
    return 0;
}

/* "5m", "1h", "90s", "1d": seconds; -1 if not such a duration. */
static int64_t parse_step(const char *s)
{
    size_t n = strlen(s);
    if (n < 2)
        return -1;
    int64_t unit;
    switch (s[n - 1]) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return -1;
    }
    char digits[24];
    if (n - 1 >= sizeof digits)
        return -1;
    memcpy(digits, s, n - 1);
    digits[n - 1] = 0;
    long long v;
    if (parse_count(digits, 366LL * 86400, &v) || v == 0 || v * unit > 366LL * 86400)
        return -1;
    return v * unit;
}

/* ---- formats ------------------------------------------------------------ */

/* What the answer is about, for the table header and the JSON object. */
struct answer {
    const char *query; /* "top sources", "incidents", ... */
    json_t *params;    /* the question's parameters (by, step_s, ...) */
    const fw_qresult *r;
};

static bool numeric(const fw_qcol *c) { return c->type == FW_QV_INT || c->type == FW_QV_REAL; }

/* The cell as text; null_text for NULL unless the column has its own. */
static const char *cell_str(const fw_qcol *c, const fw_qvalue *v, char buf[64],
                            const char *null_text)
{
    switch (v->type) {
    case FW_QV_INT: snprintf(buf, 64, "%lld", (long long)v->v.i); return buf;
    case FW_QV_REAL: snprintf(buf, 64, "%.*f", c->decimals, v->v.r); return buf;
    case FW_QV_TEXT: return v->v.s;
    default: return c->null_text ? c->null_text : null_text;
    }
}

static void time_or(int64_t us, int64_t open, char b[FW_TS_BUFSZ])
{
    if (us == open)
        strcpy(b, "(open)");
    else
        fw_ts_format(us, b, 0);
}

/* "# run 3 (batch, /tmp/q.csv), 2026-01-01T00:00:00Z .. 2026-01-01T02:00:00Z" */
static void print_header(const struct answer *a, FILE *out)
{
    const fw_qresult *r = a->r;
    char from[FW_TS_BUFSZ], to[FW_TS_BUFSZ];
    time_or(r->from_us, FW_QUERY_NO_FROM, from);
    time_or(r->to_us, FW_QUERY_NO_TO, to);
    fprintf(out, "# run %lld (%s, %s), %s .. %s\n", (long long)r->run.id, r->run.mode,
            r->run.input, from, to);
    if (r->note)
        fprintf(out, "# %s\n", r->note);
}

/* Aligned columns, numbers right-aligned, two spaces apart; indent each line. */
static void print_aligned(const fw_qtable *t, const char *indent, FILE *out)
{
    char buf[64];
    size_t w[FW_QMAXCOLS];
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = strlen(t->cols[c].name);
        for (size_t i = 0; i < t->nrows; i++) {
            size_t n = strlen(cell_str(&t->cols[c], &t->cells[i * t->ncols + c], buf, "-"));
            if (n > w[c])
                w[c] = n;
        }
    }
    for (size_t i = 0; i <= t->nrows; i++) { /* row 0 is the header */
        fputs(indent, out);
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = i == 0 ? t->cols[c].name
                                   : cell_str(&t->cols[c], &t->cells[(i - 1) * t->ncols + c], buf, "-");
            bool last = c + 1 == t->ncols;
            if (numeric(&t->cols[c]))
                fprintf(out, "%*s", (int)w[c], s);
            else if (last)
                fputs(s, out); /* no trailing blanks */
            else
                fprintf(out, "%-*s", (int)w[c], s);
            if (!last)
                fputs("  ", out);
        }
        fputc('\n', out);
    }
}

/* A record: one "name  value" line per column, values right-aligned. */
static void print_record(const fw_qtable *t, FILE *out)
{
    char buf[64];
    size_t wn = 0, wv = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        size_t n = strlen(t->cols[c].name);
        wn = n > wn ? n : wn;
        n = t->nrows ? strlen(cell_str(&t->cols[c], &t->cells[c], buf, "-")) : 1;
        wv = n > wv ? n : wv;
    }
    for (size_t c = 0; c < t->ncols; c++)
        fprintf(out, "  %-*s  %*s\n", (int)wn, t->cols[c].name, (int)wv,
                t->nrows ? cell_str(&t->cols[c], &t->cells[c], buf, "-") : "-");
}

static void print_table(const struct answer *a, FILE *out)
{
    const fw_qresult *r = a->r;
    print_header(a, out);
    if (r->ntables == 1 && !r->tables[0].record) {
        print_aligned(&r->tables[0], "", out);
        return;
    }
    for (size_t k = 0; k < r->ntables; k++) {
        const fw_qtable *t = &r->tables[k];
        fputc('\n', out);
        for (const char *p = t->name; *p; p++)
            fputc(*p == '_' ? ' ' : *p, out);
        fputc('\n', out);
        if (t->record)
            print_record(t, out);
        else if (t->nrows)
            print_aligned(t, "  ", out);
        else
            fputs("  (none)\n", out);
    }
}

/* RFC 4180: CRLF line ends; a field with a comma, quote or line break is
 * quoted, its quotes doubled. */
static void csv_field(const char *s, bool first, FILE *out)
{
    if (!first)
        fputc(',', out);
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void print_csv(const struct answer *a, FILE *out)
{
    const fw_qresult *r = a->r;
    char buf[64];
    if (r->note)
        fw_info("query: %s", r->note);
    if (r->ntables == 1 && !r->tables[0].record) {
        const fw_qtable *t = &r->tables[0];
        for (size_t c = 0; c < t->ncols; c++)
            csv_field(t->cols[c].name, c == 0, out);
        fputs("\r\n", out);
        for (size_t i = 0; i < t->nrows; i++) {
            for (size_t c = 0; c < t->ncols; c++)
                csv_field(cell_str(&t->cols[c], &t->cells[i * t->ncols + c], buf, ""), c == 0, out);
            fputs("\r\n", out);
        }
        return;
    }
    /* Several tables in one CSV: long form, one value per line.  A list's
     * first column is the key; a record has none. */
    fputs("section,key,metric,value\r\n", out);
    for (size_t k = 0; k < r->ntables; k++) {
        const fw_qtable *t = &r->tables[k];
        size_t c0 = t->record ? 0 : 1;
        for (size_t i = 0; i < t->nrows; i++) {
            const fw_qvalue *row = &t->cells[i * t->ncols];
            const char *key = t->record ? "" : cell_str(&t->cols[0], &row[0], buf, "");
            char *key_copy = fw_xstrdup(key);
            for (size_t c = c0; c < t->ncols; c++) {
                csv_field(t->name, true, out);
                csv_field(key_copy, false, out);
                csv_field(t->cols[c].name, false, out);
                csv_field(cell_str(&t->cols[c], &row[c], buf, ""), false, out);
                fputs("\r\n", out);
            }
            free(key_copy);
        }
    }
}

static json_t *json_value(const fw_qcol *c, const fw_qvalue *v)
{
    switch (v->type) {
    case FW_QV_INT: return json_integer((json_int_t)v->v.i);
    case FW_QV_REAL: {
        /* The digits the other formats show. */
        double scale = pow(10, c->decimals);
        return json_real(round(v->v.r * scale) / scale);
    }
    case FW_QV_TEXT: return json_string(v->v.s);
    default: return json_null();
    }
}

static json_t *json_row(const fw_qtable *t, size_t i)
{
    json_t *o = json_object();
    for (size_t c = 0; c < t->ncols; c++)
        json_object_set_new(o, t->cols[c].name, json_value(&t->cols[c], &t->cells[i * t->ncols + c]));
    return o;
}

static json_t *json_time(int64_t us, int64_t open)
{
    if (us == open)
        return json_null();
    char b[FW_TS_BUFSZ];
    fw_ts_format(us, b, 0);
    return json_string(b);
}

static void print_json(const struct answer *a, FILE *out)
{
    const fw_qresult *r = a->r;
    json_t *j = json_object();
    json_object_set_new(j, "query", json_string(a->query));
    json_object_update(j, a->params);
    json_t *run = json_object();
    json_object_set_new(run, "id", json_integer((json_int_t)r->run.id));
    json_object_set_new(run, "mode", json_string(r->run.mode));
    json_object_set_new(run, "input", json_string(r->run.input));
    json_object_set_new(j, "run", run);
    json_t *range = json_object();
    json_object_set_new(range, "from", json_time(r->from_us, FW_QUERY_NO_FROM));
    json_object_set_new(range, "to", json_time(r->to_us, FW_QUERY_NO_TO));
    json_object_set_new(j, "range", range);
    if (r->note)
        json_object_set_new(j, "note", json_string(r->note));
    for (size_t k = 0; k < r->ntables; k++) {
        const fw_qtable *t = &r->tables[k];
        json_t *v;
        if (t->record) {
            v = t->nrows ? json_row(t, 0) : json_null();
        } else {
            v = json_array();
            for (size_t i = 0; i < t->nrows; i++)
                json_array_append_new(v, json_row(t, i));
        }
        json_object_set_new(j, t->name, v);
    }
    json_dumpf(j, out, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    fputc('\n', out);
    json_decref(j);
}

static const struct format {
    const char *name;
    void (*print)(const struct answer *a, FILE *out);
} formats[] = {
    {"table", print_table},
    {"csv", print_csv},
    {"json", print_json},
};

/* ---- the command -------------------------------------------------------- */

int fw_cli_query(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},    {"run", required_argument, NULL, 'r'},
        {"from", required_argument, NULL, 'F'},  {"to", required_argument, NULL, 'T'},
        {"format", required_argument, NULL, 'f'}, {"limit", required_argument, NULL, 'n'},
        {"by", required_argument, NULL, 'b'},    {"type", required_argument, NULL, 't'},
        {"open", no_argument, NULL, 'o'},        {"step", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *db_path = "floodwatch.db", *by_arg = NULL, *type = NULL, *step_arg = NULL;
    const struct format *fmt = &formats[0];
    fw_qopts o = {.from_us = FW_QUERY_NO_FROM, .to_us = FW_QUERY_NO_TO};
    long long limit = -1, v;
    bool open_only = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db_path = optarg; break;
        case 'r':
            if (parse_count(optarg, INT64_MAX, &v) || v == 0)
                return usage_error("--run '%s': not a run id (a positive integer)", optarg);
            o.run_id = v;
            break;
        case 'F':
        case 'T':
            if (parse_time(optarg, c == 'F' ? &o.from_us : &o.to_us))
                return usage_error("%s '%s': not an ISO 8601 time "
                                   "(YYYY-MM-DD[Thh:mm[:ss[.ffffff]]][Z|+hh:mm])",
                                   c == 'F' ? "--from" : "--to", optarg);
            break;
        case 'f':
            fmt = NULL;
            for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
                if (!strcmp(optarg, formats[i].name))
                    fmt = &formats[i];
            if (!fmt)
                return usage_error("--format '%s': expected table, csv or json", optarg);
            break;
        case 'n':
            if (parse_count(optarg, 1000000000, &limit))
                return usage_error("--limit '%s': not a count (0 for all)", optarg);
            break;
        case 'b': by_arg = optarg; break;
        case 't': type = optarg; break;
        case 'o': open_only = true; break;
        case 's': step_arg = optarg; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (o.from_us != FW_QUERY_NO_FROM && o.to_us != FW_QUERY_NO_TO && o.from_us >= o.to_us)
        return usage_error("--from must be before --to");
    if (optind >= argc) {
        fprintf(stderr, "floodwatch query: expected WHAT (top, incidents, timeline or summary)\n%s",
                usage_text);
        return 2;
    }
    const char *what = argv[optind];
    int nargs = argc - optind - 1;
    bool is_top = !strcmp(what, "top"), is_inc = !strcmp(what, "incidents"),
         is_tl = !strcmp(what, "timeline"), is_sum = !strcmp(what, "summary");
    if (!is_top && !is_inc && !is_tl && !is_sum)
        return usage_error("unknown WHAT '%s': expected top, incidents, timeline or summary", what);
    if (nargs != (is_top ? 1 : 0)) {
        if (is_top)
            return usage_error("top needs one of sources, destinations, ports, countries");
        return usage_error("%s takes no argument ('%s')", what, argv[optind + 1]);
    }
    if (by_arg && !is_top)
        return usage_error("--by applies to 'top' only");
    if ((type || open_only) && !is_inc)
        return usage_error("%s applies to 'incidents' only", type ? "--type" : "--open");
    if (step_arg && !is_tl)
        return usage_error("--step applies to 'timeline' only");

    fw_qtop top = FW_QTOP_SOURCES;
    fw_qby by = FW_QBY_EVENTS;
    int64_t step_s = 60;
    if (is_top) {
        if (fw_qtop_parse(argv[optind + 1], &top))
            return usage_error("top '%s': expected sources, destinations, ports or countries",
                               argv[optind + 1]);
        if (by_arg && fw_qby_parse(by_arg, &by))
            return usage_error("--by '%s': expected events, bytes or packets", by_arg);
        if (!fw_qtop_has(top, by))
            return usage_error("--by %s: top %s has no %s (%s has events and bytes)",
                               fw_qby_name(by), fw_qtop_name(top), fw_qby_name(by),
                               fw_qtop_table(top));
    }
    if (step_arg) {
        step_s = parse_step(step_arg);
        if (step_s < 0)
            return usage_error("--step '%s': expected N followed by s, m, h or d (1m, 5m, 1h, 1d)",
                               step_arg);
        if (step_s % 60)
            return usage_error("--step '%s': not a whole number of minutes", step_arg);
    }
    o.limit = limit >= 0 ? (size_t)limit : is_top ? 10 : is_sum ? 5 : 0;

    char err[1024];
    fw_query *q = fw_query_open(db_path, err, sizeof err);
    if (!q) {
        fw_err("%s", err);
        return 1;
    }
    fw_qresult r;
    char query[64];
    json_t *params = json_object();
    int rc;
    if (is_top) {
        snprintf(query, sizeof query, "top %s", fw_qtop_name(top));
        json_object_set_new(params, "by", json_string(fw_qby_name(by)));
        rc = fw_query_top(q, &o, top, by, &r, err, sizeof err);
    } else if (is_inc) {
        snprintf(query, sizeof query, "incidents");
        json_object_set_new(params, "type", type ? json_string(type) : json_null());
        json_object_set_new(params, "open", json_boolean(open_only));
        rc = fw_query_incidents(q, &o, type, open_only, &r, err, sizeof err);
    } else if (is_tl) {
        snprintf(query, sizeof query, "timeline");
        json_object_set_new(params, "step_s", json_integer(step_s));
        rc = fw_query_timeline(q, &o, step_s, &r, err, sizeof err);
    } else {
        snprintf(query, sizeof query, "summary");
        rc = fw_query_summary(q, &o, &r, err, sizeof err);
    }
    json_object_set_new(params, "limit", o.limit ? json_integer((json_int_t)o.limit) : json_null());
    fw_query_close(q);
    if (rc) {
        fw_err("%s", err);
        json_decref(params);
        return 1;
    }
    struct answer a = {.query = query, .params = params, .r = &r};
    fmt->print(&a, stdout);
    json_decref(params);
    fw_qresult_free(&r);
    if (fflush(stdout) || ferror(stdout)) {
        fw_err("stdout: write error");
        return 1;
    }
    return 0;
}
