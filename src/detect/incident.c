/*
 * incident.c - signals -> incidents with start/update/end (see incident.h).
 *
 * Signals of one pane are buffered and resolved together at the pane's tick,
 * so that a flood on ten servers opens one incident naming ten victims with
 * the most specific type, instead of ten partial ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/log.h"
#include "core/ts.h"
#include "detect/incident.h"
#include "core/ckpt.h"

#define MAX_VICTIMS 256
#define NPORTS 32
#define TOP_SOURCES 64
#define TOP_OUT 10
/* Top ports are gathered from one flow in PORTS_EVERY and top sources from
 * one in SOURCES_EVERY (those whose count is a multiple of it, so a replay
 * samples the same flows), weighted accordingly; event and protocol counts
 * are exact.  Sources cost a heap update each, hence the sparser sample. */
#define PORTS_EVERY 8
#define SOURCES_EVERY 16

static const char *const type_names[FW_IT_COUNT] = {
#define X(id, name, prec) name,
    FW_INCIDENT_TYPES(X)
#undef X
};
static const int type_prec[FW_IT_COUNT] = {
#define X(id, name, prec) prec,
    FW_INCIDENT_TYPES(X)
#undef X
};
static const char *const severity_names[4] = {"low", "medium", "high", "critical"};

const char *fw_itype_name(enum fw_itype t) { return (unsigned)t < FW_IT_COUNT ? type_names[t] : "?"; }
int fw_itype_precedence(enum fw_itype t) { return type_prec[t]; }

struct param {
    const char *name;
    double threshold, observed;
};

struct incident {
    uint64_t id;
    enum fw_itype type;
    bool by_source;
    fw_addr key;                 /* entity key (network or source) */
    char entity[64];
    int64_t start_us;            /* first pane that crossed a threshold */
    int64_t detected_us;         /* event time of the start event */
    int64_t last_signal_end_us;  /* end of the last pane with a signal */
    int64_t last_own_end_us;     /* ... with a signal of its own type */
    int64_t last_emit_us;
    int severity;
    const char *rule;
    unsigned nparams;
    struct param params[3];
    double pps, bps, eps, peak_pps, peak_bps, peak_eps, emitted_peak_pps;
    uint64_t unique_sources, events;
    unsigned nvictims;
    bool changed;                /* something worth an update since the last event */
    fw_addr victims[MAX_VICTIMS];
    struct {
        uint16_t port;
        uint64_t n;
    } ports[NPORTS];
    unsigned nports;
    uint64_t proto[4];           /* TCP, UDP, ICMP, other */
    fw_topk top_src;
};

/* The open incidents of one entity, at most one per type: index in open + 1,
 * 0 for none.  Sequential attacks of different types on one network are
 * separate incidents; a volume signal joins whatever explains it. */
struct slots {
    uint32_t pos[FW_IT_COUNT];
};

/* A signature may re-type a younger incident of lower precedence (slowloris
 * looks like an HTTP flood for its first second), or a volumetric one at any
 * time; an older incident of another signature type is another attack. */
#define RECLASSIFY_US (10 * FW_US_PER_S)

struct fw_incidents {
    const fw_config *cfg;
    fw_incident_emit_fn emit;
    void *ctx;
    struct incident **open;
    unsigned nopen, cap;
    fw_amap by_net;   /* destination network -> struct slots */
    fw_amap by_src;   /* source -> struct slots */
    fw_amap ended_net; /* destination network -> end of its last incident (int64 us) */
    fw_signal *pending;
    unsigned npending, pcap;
    uint64_t started;
    uint64_t generation;  /* changes when an incident opens or closes */
};

static int severity_of(double ratio)
{
    return ratio < 2 ? 0 : ratio < 5 ? 1 : ratio < 20 ? 2 : 3;
}

/* The entity key alone: a destination's network, or the source. */
static inline void entity_key(const fw_addr *a, bool by_source, fw_addr *key)
{
    *key = *a;
    if (by_source)
        return;
    if (fw_addr_is_v4(a))
        key->b[15] = 0;
    else
        memset(key->b + 8, 0, 8);
}

void fw_incident_entity(const fw_addr *a, bool by_source, fw_addr *key, char *text, size_t n)
{
    *key = *a;
    char buf[FW_ADDR_STRLEN];
    if (by_source) {
        fw_addr_format(a, buf);
        snprintf(text, n, "%s", buf);
        return;
    }
    if (fw_addr_is_v4(a)) {
        key->b[15] = 0;
        fw_addr_format(key, buf);
        snprintf(text, n, "%s/24", buf);
    } else {
        memset(key->b + 8, 0, 8);
        fw_addr_format(key, buf);
        snprintf(text, n, "%s/64", buf);
    }
}

fw_incidents *fw_incidents_new(const fw_config *cfg, fw_incident_emit_fn emit, void *ctx)
{
    fw_incidents *m = fw_xcalloc(1, sizeof *m);
    m->cfg = cfg;
    m->emit = emit;
    m->ctx = ctx;
    fw_amap_init(&m->by_net, sizeof(struct slots));
    fw_amap_init(&m->by_src, sizeof(struct slots));
    fw_amap_init(&m->ended_net, sizeof(int64_t));
    return m;
}

static void incident_free(struct incident *in)
{
    fw_topk_destroy(&in->top_src);
    free(in);
}

void fw_incidents_free(fw_incidents *m)
{
    if (!m)
        return;
    for (unsigned i = 0; i < m->nopen; i++)
        incident_free(m->open[i]);
    free(m->open);
    free(m->pending);
    fw_amap_destroy(&m->by_net);
    fw_amap_destroy(&m->by_src);
    fw_amap_destroy(&m->ended_net);
    free(m);
}

unsigned fw_incidents_open(const fw_incidents *m) { return m->nopen; }

bool fw_incidents_dst_explains(const fw_incidents *m, const fw_addr *a, int64_t now_us,
                               int64_t horizon_us)
{
    if (!m->by_net.len && !m->ended_net.len)
        return false;
    fw_addr key;
    entity_key(a, false, &key);
    if (fw_amap_get(&m->by_net, &key))
        return true;
    const int64_t *ended = fw_amap_get(&m->ended_net, &key);
    return ended && now_us - *ended < horizon_us;
}
uint64_t fw_incidents_started(const fw_incidents *m) { return m->started; }

static json_t *ts_json(int64_t us)
{
    char b[FW_TS_BUFSZ];
    fw_ts_format(us, b, 0);
    return json_string(b);
}

static void emit(fw_incidents *m, struct incident *in, const char *what, int64_t now_us)
{
    char id[17], a[FW_ADDR_STRLEN];
    snprintf(id, sizeof id, "%016llx", (unsigned long long)in->id);
    json_t *j = json_object();
    json_object_set_new(j, "event", json_string(what));
    json_object_set_new(j, "id", json_string(id));
    json_object_set_new(j, "type", json_string(type_names[in->type]));
    json_object_set_new(j, "entity", json_string(in->entity));
    json_t *v = json_array();
    for (unsigned i = 0; i < in->nvictims; i++) {
        fw_addr_format(&in->victims[i], a);
        json_array_append_new(v, json_string(a));
    }
    json_object_set_new(j, "victims", v);
    json_object_set_new(j, "start", ts_json(in->start_us));
    json_object_set_new(j, "detected_at", ts_json(in->detected_us));
    json_object_set_new(j, "end", strcmp(what, "end") ? json_null() : ts_json(in->last_signal_end_us));
    if (strcmp(what, "start"))
        json_object_set_new(j, "event_time", ts_json(now_us));
    json_object_set_new(j, "severity", json_string(severity_names[in->severity]));
    json_object_set_new(j, "rule", json_string(in->rule));
    json_t *thr = json_object(), *obs = json_object();
    for (unsigned i = 0; i < in->nparams; i++) {
        json_object_set_new(thr, in->params[i].name, json_real(in->params[i].threshold));
        json_object_set_new(obs, in->params[i].name, json_real(in->params[i].observed));
    }
    json_object_set_new(j, "threshold", thr);
    json_object_set_new(j, "observed", obs);
    json_object_set_new(j, "pps", json_real(in->pps));
    json_object_set_new(j, "bps", json_real(in->bps));
    json_object_set_new(j, "eps", json_real(in->eps));
    json_object_set_new(j, "peak_pps", json_real(in->peak_pps));
    json_object_set_new(j, "peak_eps", json_real(in->peak_eps));
    json_object_set_new(j, "peak_bps", json_real(in->peak_bps));
    json_object_set_new(j, "unique_sources", json_integer((json_int_t)in->unique_sources));
    json_object_set_new(j, "events", json_integer((json_int_t)in->events));
    fw_topk_entry top[TOP_OUT];
    uint32_t n = fw_topk_sorted(&in->top_src, top, TOP_OUT);
    json_t *ts = json_array();
    for (uint32_t i = 0; i < n; i++) {
        fw_addr_format(&top[i].key, a);
        json_array_append_new(ts, json_pack("{s:s,s:I}", "ip", a, "events", (json_int_t)top[i].count));
    }
    json_object_set_new(j, "top_sources", ts);
    /* Ports by count, descending (ties by port). */
    unsigned order[NPORTS];
    for (unsigned i = 0; i < in->nports; i++)
        order[i] = i;
    for (unsigned i = 1; i < in->nports; i++)
        for (unsigned k = i; k > 0; k--) {
            unsigned x = order[k - 1], y = order[k];
            if (in->ports[x].n > in->ports[y].n ||
                (in->ports[x].n == in->ports[y].n && in->ports[x].port < in->ports[y].port))
                break;
            order[k - 1] = y;
            order[k] = x;
        }
    json_t *tp = json_array();
    for (unsigned i = 0; i < in->nports && i < TOP_OUT; i++)
        json_array_append_new(tp, json_pack("{s:i,s:I}", "port", in->ports[order[i]].port, "events",
                                            (json_int_t)in->ports[order[i]].n));
    json_object_set_new(j, "top_ports", tp);
    static const char *const pnames[4] = {"TCP", "UDP", "ICMP", "other"};
    json_t *pr = json_object();
    for (int i = 0; i < 4; i++)
        if (in->proto[i])
            json_object_set_new(pr, pnames[i], json_integer((json_int_t)in->proto[i]));
    json_object_set_new(j, "protocols", pr);
    if (m->emit)
        m->emit(m->ctx, j);
    json_decref(j);
    in->last_emit_us = now_us;
    in->emitted_peak_pps = in->peak_pps;
    in->changed = false;
}

static void add_victim(struct incident *in, const fw_addr *a)
{
    for (unsigned i = 0; i < in->nvictims; i++)
        if (fw_addr_eq(&in->victims[i], a))
            return;
    if (in->nvictims < MAX_VICTIMS) {
        /* Keep victims sorted, so output does not depend on arrival order. */
        unsigned i = in->nvictims++;
        while (i > 0 && memcmp(in->victims[i - 1].b, a->b, 16) > 0) {
            in->victims[i] = in->victims[i - 1];
            i--;
        }
        in->victims[i] = *a;
        in->changed = true;
    }
}

static void take_signal(struct incident *in, const fw_signal *s)
{
    in->rule = s->rule;
    in->nparams = s->nparams;
    for (unsigned i = 0; i < s->nparams; i++)
        in->params[i] = (struct param){s->params[i].name, s->params[i].threshold, s->params[i].observed};
}

static void add_port(struct incident *in, uint16_t port, uint64_t n);
static void evidence(struct incident *in, const fw_flow *f, bool by_source);

static fw_amap *index_of(fw_incidents *m, bool by_source) { return by_source ? &m->by_src : &m->by_net; }

/* The open incident of highest precedence in an entity's slots, or -1. */
static int32_t best_slot(const struct slots *sl)
{
    int32_t best = -1, prec = -1;
    for (unsigned t = 0; t < FW_IT_COUNT; t++)
        if (sl->pos[t] && type_prec[t] > prec) {
            prec = type_prec[t];
            best = (int32_t)sl->pos[t] - 1;
        }
    return best;
}

/* Order of pending signals: by entity (kind, then key), then arrival. */
struct pend_ref {
    fw_addr key;
    unsigned idx;
    bool by_source;
};

static int cmp_pend(const void *a, const void *b)
{
    const struct pend_ref *x = a, *y = b;
    if (x->by_source != y->by_source)
        return x->by_source - y->by_source;
    int c = memcmp(x->key.b, y->key.b, 16);
    if (c)
        return c;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Whether signal g[k]'s address already fired an earlier signal of the
 * group (a victim fires several rules in one pane). */
static bool victim_seen(const fw_incidents *m, const struct pend_ref *g, unsigned k)
{
    for (unsigned q = 0; q < k; q++)
        if (fw_addr_eq(&m->pending[g[q].idx].addr, &m->pending[g[k].idx].addr))
            return true;
    return false;
}

/* Open or join the incident of one entity from its signals g[0, n) of this
 * pane (all for the same entity, in arrival order). */
static void resolve_group(fw_incidents *m, const struct pend_ref *g, unsigned n, int64_t now_us)
{
    const fw_signal *first = &m->pending[g[0].idx], *best = first;
    int64_t start = first->pane_start_us;
    for (unsigned k = 1; k < n; k++) {
        const fw_signal *o = &m->pending[g[k].idx];
        int pb = type_prec[best->type], po = type_prec[o->type];
        if (po > pb || (po == pb && o->ratio > best->ratio))
            best = o;
        if (o->pane_start_us < start)
            start = o->pane_start_us;
    }
    /* Volume: summed over distinct victims (a victim fires several rules). */
    double pps = 0, bps = 0, eps = 0;
    uint64_t uniq = 0;
    for (unsigned k = 0; k < n; k++) {
        const fw_signal *o = &m->pending[g[k].idx];
        if (victim_seen(m, g, k))
            continue;
        pps += o->pps;
        bps += o->bps;
        eps += o->eps;
        if (o->unique_sources > uniq)
            uniq = o->unique_sources;
    }
    const fw_addr *key = &g[0].key;
    bool by_source = g[0].by_source;
    fw_amap *idx = index_of(m, by_source);
    struct slots *sl = fw_amap_get(idx, key);
    struct incident *in = NULL;
    bool fresh = false;
    enum fw_itype t = best->type;
    if (sl && sl->pos[t]) {
        in = m->open[sl->pos[t] - 1]; /* its own incident */
    } else if (sl && t == FW_IT_VOLUMETRIC) {
        in = m->open[best_slot(sl)];  /* explained by an open signature incident */
    } else if (sl && (in = m->open[best_slot(sl)]) && type_prec[in->type] > type_prec[t] &&
               first->pane_start_us - in->last_own_end_us < (int64_t)(m->cfg->cooldown_s * FW_US_PER_S)) {
        /* Explained by a more specific incident that is still firing its own
         * type (a slowloris pane that reads as an HTTP flood). */
    } else if (sl) {
        in = NULL;
        /* Re-type a volumetric incident, or a young one of lower precedence. */
        for (unsigned v = 0; v < FW_IT_COUNT && !in; v++) {
            if (!sl->pos[v] || type_prec[v] >= type_prec[t])
                continue;
            struct incident *c = m->open[sl->pos[v] - 1];
            if (v == FW_IT_VOLUMETRIC || now_us - c->detected_us < RECLASSIFY_US) {
                sl->pos[t] = sl->pos[v];
                sl->pos[v] = 0;
                c->type = t;
                c->changed = true;
                in = c;
            }
        }
    }
    if (in) {
        if (in->type == t)
            take_signal(in, best);
    } else {        in = fw_xcalloc(1, sizeof *in);
        in->type = best->type;
        in->by_source = by_source;
        in->key = *key;
        fw_addr tmp;
        fw_incident_entity(&first->addr, by_source, &tmp, in->entity, sizeof in->entity);
        in->start_us = start;
        in->detected_us = now_us;
        fw_topk_init(&in->top_src, TOP_SOURCES);
        take_signal(in, best);
        /* Evidence for the start event: the newest flows toward each victim
         * that fired in this pane. */
        for (unsigned k = 0; k < n; k++) {
            const fw_signal *o = &m->pending[g[k].idx];
            if (victim_seen(m, g, k))
                continue;
            for (unsigned q = 0; q < o->nrecent; q++) {
                fw_topk_add(&in->top_src, &o->recent_src[q], 1, 0, 0);
                add_port(in, o->recent_port[q], 1);
            }
        }
        unsigned char idbuf[128];
        size_t o = 0, tl = strlen(type_names[in->type]), el = strlen(in->entity);
        memcpy(idbuf + o, type_names[in->type], tl);
        o += tl;
        idbuf[o++] = 0;
        memcpy(idbuf + o, in->entity, el);
        o += el;
        int64_t pane = fw_floor_div(start, FW_US_PER_S);
        memcpy(idbuf + o, &pane, sizeof pane);
        o += sizeof pane;
        in->id = XXH3_64bits(idbuf, o);
        if (m->nopen == m->cap) {
            m->cap = m->cap ? 2 * m->cap : 16;
            m->open = fw_xrealloc(m->open, m->cap * sizeof *m->open);
        }
        sl = fw_amap_upsert(idx, key, NULL);
        sl->pos[in->type] = m->nopen + 1;
        m->open[m->nopen++] = in;
        m->started++;
        m->generation++;
        fresh = true;
    }
    in->pps = pps;
    in->eps = eps;
    if (eps > in->peak_eps)
        in->peak_eps = eps;
    in->bps = bps;
    if (pps > in->peak_pps)
        in->peak_pps = pps;
    if (bps > in->peak_bps)
        in->peak_bps = bps;
    if (uniq > in->unique_sources)
        in->unique_sources = uniq;
    int sev = severity_of(best->ratio);
    if (sev > in->severity) {
        in->severity = sev;
        in->changed = true;
    }
    for (unsigned k = 0; k < n; k++) {
        const fw_signal *o = &m->pending[g[k].idx];
        if (!by_source)
            add_victim(in, &o->addr);
        int64_t end = o->pane_start_us + FW_US_PER_S;
        if (end > in->last_signal_end_us)
            in->last_signal_end_us = end;
        if (o->type == in->type && end > in->last_own_end_us)
            in->last_own_end_us = end;
    }
    if (fresh)
        emit(m, in, "start", now_us);
}

/* Resolve the buffered signals of one pane, one entity at a time, in the
 * order entities first signalled (so output does not depend on hashing).
 * O(s log s) for s signals. */
static void resolve(fw_incidents *m, int64_t now_us)
{
    struct pend_ref *refs = fw_xmalloc(m->npending * sizeof *refs);
    for (unsigned i = 0; i < m->npending; i++) {
        refs[i].idx = i;
        refs[i].by_source = m->pending[i].by_source;
        entity_key(&m->pending[i].addr, refs[i].by_source, &refs[i].key);
    }
    qsort(refs, m->npending, sizeof *refs, cmp_pend);
    /* Groups, then process them by their first signal's arrival. */
    unsigned ngroups = 0;
    unsigned *gstart = fw_xmalloc((m->npending + 1) * sizeof *gstart);
    for (unsigned i = 0; i < m->npending; i++)
        if (i == 0 || refs[i].by_source != refs[i - 1].by_source ||
            !fw_addr_eq(&refs[i].key, &refs[i - 1].key))
            gstart[ngroups++] = i;
    gstart[ngroups] = m->npending;
    /* Sort group indexes by the arrival of their first signal. */
    for (unsigned a = 1; a < ngroups; a++)
        for (unsigned b = a; b > 0 && refs[gstart[b - 1]].idx > refs[gstart[b]].idx; b--) {
            unsigned t = gstart[b - 1];
            gstart[b - 1] = gstart[b];
            gstart[b] = t;
        }
    for (unsigned gi = 0; gi < ngroups; gi++) {
        unsigned s0 = gstart[gi], e0 = s0 + 1;
        while (e0 < m->npending && refs[e0].by_source == refs[s0].by_source &&
               fw_addr_eq(&refs[e0].key, &refs[s0].key))
            e0++;
        resolve_group(m, refs + s0, e0 - s0, now_us);
    }
    free(gstart);
    free(refs);
    m->npending = 0;
}

void fw_incidents_signal(fw_incidents *m, const fw_signal *s, int64_t now_us)
{
    if (m->npending == m->pcap) {
        m->pcap = m->pcap ? 2 * m->pcap : 64;
        m->pending = fw_xrealloc(m->pending, m->pcap * sizeof *m->pending);
    }
    m->pending[m->npending++] = *s;
}

static void add_port(struct incident *in, uint16_t port, uint64_t n)
{
    /* One pass: the port, or the first of the least counted (which a new
     * port replaces when the list is full: space-saving). */
    unsigned mi = 0;
    for (unsigned i = 0; i < in->nports; i++) {
        if (in->ports[i].port == port) {
            in->ports[i].n += n;
            return;
        }
        if (in->ports[i].n < in->ports[mi].n)
            mi = i;
    }
    if (in->nports < NPORTS) {
        in->ports[in->nports].port = port;
        in->ports[in->nports++].n = n;
        return;
    }
    in->ports[mi].port = port;
    in->ports[mi].n += n;
}

static void evidence(struct incident *in, const fw_flow *f, bool by_source)
{
    uint64_t n = in->events++;
    if (n % PORTS_EVERY == 0) {
        add_port(in, f->dst_port, PORTS_EVERY);
        if (n % SOURCES_EVERY == 0)
            fw_topk_add(&in->top_src, &f->src, SOURCES_EVERY, f->bytes_sent * SOURCES_EVERY,
                        (uint64_t)f->pkts_sent * SOURCES_EVERY);
    }
    in->proto[f->proto == FW_PROTO_TCP ? 0 : f->proto == FW_PROTO_UDP ? 1
              : (f->proto == FW_PROTO_ICMP || f->proto == FW_PROTO_ICMPV6) ? 2 : 3]++;
    if (by_source && in->nvictims < MAX_VICTIMS)
        add_victim(in, &f->dst);
}

uint64_t fw_incidents_generation(const fw_incidents *m) { return m->generation; }

int32_t fw_incidents_find_dst(const fw_incidents *m, const fw_addr *dst)
{
    if (!m->by_net.len)
        return -1;
    fw_addr key;
    entity_key(dst, false, &key);
    const struct slots *sl = fw_amap_get(&m->by_net, &key);
    return sl ? best_slot(sl) : -1;
}

void fw_incidents_observe_dst(fw_incidents *m, int32_t pos, const fw_flow *f)
{
    if (pos >= 0 && (uint32_t)pos < m->nopen)
        evidence(m->open[pos], f, false);
}

void fw_incidents_observe_src(fw_incidents *m, const fw_flow *f)
{
    if (!m->by_src.len)
        return;
    const struct slots *sl = fw_amap_get(&m->by_src, &f->src);
    if (sl)
        evidence(m->open[best_slot(sl)], f, true);
}

void fw_incidents_observe(fw_incidents *m, const fw_flow *f)
{
    if (!m->nopen)
        return;
    fw_addr key;
    if (m->by_net.len) {
        entity_key(&f->dst, false, &key);
        const struct slots *sl = fw_amap_get(&m->by_net, &key);
        if (sl)
            evidence(m->open[best_slot(sl)], f, false);
    }
    fw_incidents_observe_src(m, f);
}

static void close_at(fw_incidents *m, unsigned i, int64_t now_us)
{
    struct incident *in = m->open[i];
    emit(m, in, "end", now_us);
    struct slots *sl = fw_amap_get(index_of(m, in->by_source), &in->key);
    sl->pos[in->type] = 0;
    if (best_slot(sl) < 0)
        fw_amap_del(index_of(m, in->by_source), &in->key);
    if (!in->by_source)
        *(int64_t *)fw_amap_upsert(&m->ended_net, &in->key, NULL) = in->last_signal_end_us;
    m->open[i] = m->open[--m->nopen];
    m->generation++;
    if (i < m->nopen) {
        struct incident *moved = m->open[i];
        struct slots *msl = fw_amap_get(index_of(m, moved->by_source), &moved->key);
        msl->pos[moved->type] = i + 1;
    }
    incident_free(in);
}

void fw_incidents_tick(fw_incidents *m, int64_t pane_end_us, int64_t now_us)
{
    if (m->npending)
        resolve(m, now_us);
    int64_t cooldown = (int64_t)(m->cfg->cooldown_s * FW_US_PER_S);
    int64_t interval = (int64_t)(m->cfg->update_interval_s * FW_US_PER_S);
    for (unsigned i = 0; i < m->nopen;) {
        struct incident *in = m->open[i];
        if (pane_end_us - in->last_signal_end_us >= cooldown) {
            close_at(m, i, now_us);
            continue;
        }
        if (in->peak_pps >= 1.5 * in->emitted_peak_pps && in->peak_pps > 0)
            in->changed = true;
        if (in->changed && now_us - in->last_emit_us >= interval)
            emit(m, in, "update", now_us);
        i++;
    }
}

void fw_incidents_close_all(fw_incidents *m, int64_t now_us)
{
    if (m->npending)
        resolve(m, now_us);
    while (m->nopen)
        close_at(m, m->nopen - 1, now_us);
}

/* ---- checkpoints -------------------------------------------------------- */

/* Rule names are static strings; a checkpoint stores them by value and maps
 * them back to the interned copy held here. */
static const char *intern(const char *s)
{
    static char *names[64];
    static unsigned n;
    for (unsigned i = 0; i < n; i++)
        if (!strcmp(names[i], s))
            return names[i];
    if (n == 64)
        return "?";
    names[n] = fw_xstrdup(s);
    return names[n++];
}

static void put_str(fw_ckpt_writer *w, const char *s)
{
    uint64_t n = s ? strlen(s) : 0;
    fw_ckpt_put_u64(w, n);
    fw_ckpt_put(w, s, n);
}

static const char *get_str(fw_ckpt_reader *r)
{
    uint64_t n = fw_ckpt_get_u64(r);
    char buf[128];
    if (n >= sizeof buf) {
        r->err = 1;
        return "?";
    }
    fw_ckpt_get(r, buf, n);
    buf[n] = 0;
    return intern(buf);
}

int fw_incidents_save(const fw_incidents *m, fw_ckpt_writer *w)
{
    fw_ckpt_put_u64(w, m->started);
    fw_ckpt_put_u64(w, m->ended_net.len);
    size_t it = 0;
    const fw_addr *key;
    const int64_t *end;
    while ((end = fw_amap_next(&m->ended_net, &it, &key))) {
        fw_ckpt_put(w, key, sizeof *key);
        fw_ckpt_put_i64(w, *end);
    }
    fw_ckpt_put_u64(w, m->nopen);
    for (unsigned i = 0; i < m->nopen; i++) {
        const struct incident *in = m->open[i];
        /* The plain fields, then what points elsewhere. */
        struct incident copy = *in;
        memset(&copy.top_src, 0, sizeof copy.top_src);
        copy.rule = NULL;
        for (unsigned k = 0; k < 3; k++)
            copy.params[k].name = NULL;
        fw_ckpt_put(w, &copy, sizeof copy);
        put_str(w, in->rule);
        for (unsigned k = 0; k < in->nparams; k++)
            put_str(w, in->params[k].name);
        fw_ckpt_put_u64(w, in->top_src.n);
        fw_ckpt_put_u64(w, in->top_src.evictions);
        for (uint32_t k = 0; k < in->top_src.n; k++)
            fw_ckpt_put(w, fw_topk_at(&in->top_src, k), sizeof(fw_topk_entry));
    }
    return w->err ? -1 : 0;
}

int fw_incidents_load(fw_incidents *m, fw_ckpt_reader *r)
{
    m->started = fw_ckpt_get_u64(r);
    uint64_t nended = fw_ckpt_get_u64(r);
    if (nended > (1u << 24))
        r->err = 1;
    for (uint64_t i = 0; i < nended && !r->err; i++) {
        fw_addr key;
        fw_ckpt_get(r, &key, sizeof key);
        *(int64_t *)fw_amap_upsert(&m->ended_net, &key, NULL) = fw_ckpt_get_i64(r);
    }
    uint64_t n = fw_ckpt_get_u64(r);
    if (n > 1000000)
        r->err = 1;
    for (uint64_t i = 0; i < n && !r->err; i++) {
        struct incident *in = fw_xcalloc(1, sizeof *in);
        fw_ckpt_get(r, in, sizeof *in);
        if (in->nparams > 3 || in->nvictims > MAX_VICTIMS || in->nports > NPORTS ||
            (unsigned)in->type >= FW_IT_COUNT)
            r->err = 1;
        in->rule = get_str(r);
        for (unsigned k = 0; k < in->nparams && !r->err; k++)
            in->params[k].name = get_str(r);
        fw_topk_init(&in->top_src, TOP_SOURCES);
        uint64_t tn = fw_ckpt_get_u64(r);
        uint64_t ev = fw_ckpt_get_u64(r);
        if (tn > TOP_SOURCES)
            r->err = 1;
        for (uint64_t k = 0; k < tn && !r->err; k++) {
            fw_topk_entry e;
            fw_ckpt_get(r, &e, sizeof e);
            fw_topk_add(&in->top_src, &e.key, e.count, e.bytes, e.packets);
        }
        in->top_src.evictions = ev;
        if (r->err) {
            incident_free(in);
            break;
        }
        if (m->nopen == m->cap) {
            m->cap = m->cap ? 2 * m->cap : 16;
            m->open = fw_xrealloc(m->open, m->cap * sizeof *m->open);
        }
        struct slots *sl = fw_amap_upsert(index_of(m, in->by_source), &in->key, NULL);
        if (sl->pos[in->type])
            r->err = 1; /* two open incidents of one type for one entity */
        sl->pos[in->type] = m->nopen + 1;
        m->open[m->nopen++] = in;
    }
    m->generation++;
    return r->err ? -1 : 0;
}
