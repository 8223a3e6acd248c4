/* summary.c - batch run summary as JSON and text (see summary.h). */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/ts.h"
#include "report/summary.h"

/* Sources tracked exactly up to this many; heavy hitters after (topk.h). */
#define TOPK_CAPACITY 4096

void fw_summary_init(fw_summary *s)
{
    memset(s, 0, sizeof *s);
    fw_topk_init(&s->top_src, TOPK_CAPACITY);
}

struct fw_summary_src {
    const fw_addr *addr;
    const fw_counts *c;
};

void fw_summary_destroy(fw_summary *s)
{
    fw_topk_destroy(&s->top_src);
    free(s->minutes);
    free(s->srcs);
}

void fw_summary_flow(fw_summary *s, const fw_flow *f)
{
    s->by_label[f->label < FW_LABEL_COUNT ? f->label : FW_LABEL_OTHER]++;
}

static int src_cmp(const void *a, const void *b)
{
    return memcmp(((const struct fw_summary_src *)a)->addr->b,
                  ((const struct fw_summary_src *)b)->addr->b, 16);
}

void fw_summary_minute_add(fw_summary *s, const fw_minute *m)
{
    if (m->src.len > s->srcs_cap) {
        s->srcs_cap = m->src.len * 2;
        s->srcs = fw_xrealloc(s->srcs, s->srcs_cap * sizeof *s->srcs);
    }
    size_t n = 0, it = 0;
    const fw_addr *key;
    const fw_counts *c;
    while ((c = fw_amap_next(&m->src, &it, &key)))
        s->srcs[n++] = (struct fw_summary_src){key, c};
    qsort(s->srcs, n, sizeof *s->srcs, src_cmp);
    for (size_t i = 0; i < n; i++)
        fw_topk_add(&s->top_src, s->srcs[i].addr, s->srcs[i].c->events, s->srcs[i].c->bytes,
                    s->srcs[i].c->packets);
    if (s->nminutes == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->minutes = fw_xrealloc(s->minutes, s->cap * sizeof *s->minutes);
    }
    s->minutes[s->nminutes++] = (fw_summary_minute){
        m->start_us, m->global.events, m->global.syn_only, m->global.bytes, m->global.labelled,
        fw_minute_sources(m)};
}

static json_t *ts_json(int64_t us)
{
    char b[FW_TS_BUFSZ];
    fw_ts_format(us, b, 0);
    return json_string(b);
}

json_t *fw_summary_json(const fw_summary *s, const fw_summary_ctx *c)
{
    const fw_clean_stats *st = c->st;
    json_t *j = json_object();
    json_object_set_new(j, "input", json_string(c->input));
    if (c->db_path)
        json_object_set_new(j, "db", json_string(c->db_path));
    json_object_set_new(j, "rows_read", json_integer((json_int_t)st->rows_read));
    json_object_set_new(j, "accepted", json_integer((json_int_t)st->accepted));
    json_object_set_new(j, "duplicates", json_integer((json_int_t)st->duplicates));
    json_object_set_new(j, "quarantined", json_integer((json_int_t)st->quarantined));
    json_object_set_new(j, "late", json_integer((json_int_t)st->late));
    json_object_set_new(j, "blank_lines", json_integer((json_int_t)c->blank_lines));

    json_t *q = json_object(), *r = json_object();
    for (unsigned i = 0; i < FW_R_COUNT; i++) {
        json_t *dst = fw_reason_kind(i) == FW_KIND_QUARANTINE ? q : r;
        json_object_set_new(dst, fw_reason_name(i), json_integer((json_int_t)st->by_reason[i]));
    }
    json_object_set_new(j, "quarantined_by_reason", q);
    json_object_set_new(j, "repaired", r);

    json_t *e = json_object();
    for (unsigned i = 0; i < FW_COL_COUNT; i++)
        if (c->schema->idx[i] >= 0)
            json_object_set_new(e, fw_col_name(i), json_integer((json_int_t)c->empty[i]));
    json_object_set_new(j, "empty_fields", e);

    json_t *ex = json_array();
    if (c->schema->nextra) {
        char *copy = fw_xstrdup(c->schema->extra), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            json_array_append_new(ex, json_string(t));
        free(copy);
    }
    json_object_set_new(j, "extra_columns", ex);

    json_t *lab = json_object();
    for (unsigned i = 0; i < FW_LABEL_COUNT; i++)
        if (s->by_label[i])
            json_object_set_new(lab, fw_label_name(i), json_integer((json_int_t)s->by_label[i]));
    json_object_set_new(j, "events_by_attack_type", lab);

    fw_topk_entry top[FW_SUMMARY_TOP];
    uint32_t n = fw_topk_sorted(&s->top_src, top, FW_SUMMARY_TOP);
    json_t *ts = json_array();
    for (uint32_t i = 0; i < n; i++) {
        char a[FW_ADDR_STRLEN];
        fw_addr_format(&top[i].key, a);
        json_array_append_new(ts, json_pack("{s:s,s:I,s:I,s:I}", "ip", a, "events",
                                            (json_int_t)top[i].count, "bytes",
                                            (json_int_t)top[i].bytes, "packets",
                                            (json_int_t)top[i].packets));
    }
    json_object_set_new(j, "top_sources", ts);
    json_object_set_new(j, "top_sources_exact", json_boolean(fw_topk_exact(&s->top_src)));

    json_t *pm = json_array();
    for (size_t i = 0; i < s->nminutes; i++) {
        const fw_summary_minute *m = &s->minutes[i];
        json_t *o = json_object();
        json_object_set_new(o, "minute", ts_json(m->start_us));
        json_object_set_new(o, "events", json_integer((json_int_t)m->events));
        json_object_set_new(o, "syn_only_tcp", json_integer((json_int_t)m->syn_only));
        json_object_set_new(o, "bytes", json_integer((json_int_t)m->bytes));
        json_object_set_new(o, "labelled_attack", json_integer((json_int_t)m->labelled));
        json_object_set_new(o, "distinct_sources", json_integer((json_int_t)m->distinct_src));
        json_array_append_new(pm, o);
    }
    json_object_set_new(j, "events_per_minute", pm);
    if (st->accepted) {
        json_object_set_new(j, "first_event", ts_json(c->first_us));
        json_object_set_new(j, "last_event", ts_json(c->last_us));
    }
    return j;
}

static void line(FILE *out, const char *name, uint64_t n, uint64_t of)
{
    if (of)
        fprintf(out, "  %-26s %12llu  %6.2f%%\n", name, (unsigned long long)n, 100.0 * n / of);
    else
        fprintf(out, "  %-26s %12llu\n", name, (unsigned long long)n);
}

void fw_summary_print(const fw_summary *s, const fw_summary_ctx *c, FILE *out)
{
    const fw_clean_stats *st = c->st;
    fprintf(out, "floodwatch batch: %s\n\n", c->input);
    fprintf(out, "rows\n");
    line(out, "read", st->rows_read, 0);
    line(out, "accepted", st->accepted, st->rows_read);
    line(out, "quarantined", st->quarantined, st->rows_read);
    line(out, "duplicates", st->duplicates, st->rows_read);
    if (st->late)
        line(out, "late", st->late, st->rows_read);
    if (c->blank_lines)
        line(out, "blank lines (skipped)", c->blank_lines, 0);
    fprintf(out, "\nquarantined by reason (a row may have several)\n");
    for (unsigned i = 0; i < FW_R_COUNT; i++)
        if (fw_reason_kind(i) == FW_KIND_QUARANTINE && st->by_reason[i])
            line(out, fw_reason_name(i), st->by_reason[i], st->rows_read);
    fprintf(out, "\nrepaired in accepted rows\n");
    for (unsigned i = 0; i < FW_R_COUNT; i++)
        if (fw_reason_kind(i) == FW_KIND_REPAIR && st->by_reason[i])
            line(out, fw_reason_name(i), st->by_reason[i], st->accepted);
    if (c->schema->nextra)
        fprintf(out, "\nignored columns: %s\n", c->schema->extra);
    fprintf(out, "\nevents by attack_type label\n");
    for (unsigned i = 0; i < FW_LABEL_COUNT; i++)
        if (s->by_label[i])
            line(out, fw_label_name(i), s->by_label[i], st->accepted);
    fw_topk_entry top[FW_SUMMARY_TOP];
    uint32_t n = fw_topk_sorted(&s->top_src, top, FW_SUMMARY_TOP);
    fprintf(out, "\ntop sources by events%s\n", fw_topk_exact(&s->top_src) ? "" : " (approximate)");
    for (uint32_t i = 0; i < n; i++) {
        char a[FW_ADDR_STRLEN];
        fw_addr_format(&top[i].key, a);
        fprintf(out, "  %2u. %-39s %10llu events %14llu bytes\n", i + 1, a,
                (unsigned long long)top[i].count, (unsigned long long)top[i].bytes);
    }
    if (st->accepted) {
        char a[FW_TS_BUFSZ], b[FW_TS_BUFSZ];
        fw_ts_format(c->first_us, a, 0);
        fw_ts_format(c->last_us, b, 0);
        fprintf(out, "\nevent time %s .. %s, %zu minutes\n", a, b, s->nminutes);
    }
    uint64_t peak = 0;
    size_t at = 0;
    for (size_t i = 0; i < s->nminutes; i++)
        if (s->minutes[i].events > peak)
            peak = s->minutes[i].events, at = i;
    if (peak) {
        char a[FW_TS_BUFSZ];
        fw_ts_format(s->minutes[at].start_us, a, 0);
        fprintf(out, "busiest minute %s: %llu events, %llu SYN-only\n", a,
                (unsigned long long)peak, (unsigned long long)s->minutes[at].syn_only);
    }
}

void fw_summary_print_episodes(json_t *episodes, FILE *out)
{
    fprintf(out, "\nattack episodes: %zu\n", json_array_size(episodes));
    if (!json_array_size(episodes))
        return;
    fprintf(out, "  %-14s %-22s %-20s %-20s %9s %9s %8s %7s\n", "type", "entity", "start", "end",
            "duration", "peak pps", "sources", "victims");
    size_t i;
    json_t *e;
    json_array_foreach(episodes, i, e) {
        int64_t a = 0, b = 0;
        const char *s0 = json_string_value(json_object_get(e, "start"));
        const char *s1 = json_string_value(json_object_get(e, "end"));
        if (s0)
            fw_ts_parse(s0, strlen(s0), &a);
        if (s1)
            fw_ts_parse(s1, strlen(s1), &b);
        fprintf(out, "  %-14s %-22s %-20s %-20s %8.0fs %9.0f %8lld %7zu\n",
                json_string_value(json_object_get(e, "type")),
                json_string_value(json_object_get(e, "entity")), s0 ? s0 : "", s1 ? s1 : "",
                (b - a) / 1e6, json_number_value(json_object_get(e, "peak_pps")),
                (long long)json_integer_value(json_object_get(e, "unique_sources")),
                json_array_size(json_object_get(e, "victims")));
    }
}
