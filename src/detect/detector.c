/*
 * detector.c - keyed window state and the detection rules (see detector.h).
 *
 * Pane and slot numbers are kept as 32-bit offsets from a base pane chosen
 * at the first event, so per-key state stays small: a source costs about
 * 48 bytes in the table (a million sources in one window fit in ~100 MiB).
 */
#include <math.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <string.h>
#include <xxhash.h>

#include "core/amap.h"
#include "core/log.h"
#include "core/ts.h"
#include "detect/detector.h"
#include "core/ckpt.h"
#include "stream/tumbler.h"

#define HLL_P 7
#define HLL_M (1u << HLL_P)
#define SRC_SLOTS 6
#define BITS 256 /* linear-counting bitmap per slot for distinct ports/hosts */
#define PROMOTE_EVENTS 10
#define NONE INT32_MIN
#define DST_IDLE_PANES 600 /* a destination's baseline is kept 10 minutes after its last flow */
#define RECENT 16          /* newest flows per destination kept as evidence */

/* One destination in one pane. */
struct dpane {
    int32_t pane;
    uint32_t events, pkts, syn_pkts, tcp, answered, udp_pkts, refl_pkts, web, degraded, slow;
    uint64_t bytes, refl_bytes;
    uint8_t hll[HLL_M];
};

struct dst_state {
    double base_pps, base_rps; /* learned from quiet panes (EWMA) */
    int32_t base_n;            /* quiet panes learned */
    int32_t dirty;             /* pane whose dirty list holds this key */
    int32_t last_pane;         /* newest pane with a flow */
    int32_t inc_pos;           /* open incident of its network, -1 if none ... */
    uint64_t inc_gen;          /* ... as of this incident generation (0: unknown) */
    uint32_t nrecent;          /* flows written to the recent ring */
    fw_addr recent_src[RECENT]; /* ring of the newest sources ... */
    uint16_t recent_port[RECENT]; /* ... and their destination ports */
    struct dpane p[];          /* ring of R panes */
};

struct src_state {
    int32_t dirty;
    int32_t head;              /* newest slot */
    int32_t promo;             /* index into promoted, or -1 */
    uint16_t ev[SRC_SLOTS];    /* events per slot (saturating) */
};

struct promoted {
    fw_addr src;
    fw_addr last_dst;          /* where its newest flow went */
    int32_t head;              /* aligned with the source's slots */
    uint64_t ports[SRC_SLOTS][BITS / 64];
    uint64_t hosts[SRC_SLOTS][BITS / 64];
};

struct pane_keys {
    fw_addr *dst, *src;
    uint32_t ndst, nsrc, cdst, csrc;
};

struct fw_detector {
    const fw_config *cfg;
    fw_incidents *inc;
    int S;                     /* panes in the short window */
    int R;                     /* panes in a destination's ring: at least S +
                                * out-of-order + 1, so no pane is overwritten before
                                * it is evaluated; a power of two (index by mask) */
    int32_t cur_pane, cur_slot; /* slot of the newest pane seen (saves a division) */
    int64_t feed_next;         /* fw_detector_feed: watermark at which a pane can close */
    int slot_panes;            /* panes per source slot */
    int64_t base_pane;         /* pane numbers are stored relative to this */
    int base_set;
    fw_tumbler panes;          /* bucket state: struct pane_keys */
    fw_amap dst, src;
    struct promoted *promo;
    uint32_t npromo, cpromo;
    int32_t *free_promo;
    uint32_t nfree, cfree;
    size_t sweep_dst, sweep_src;
    int64_t now_us;            /* newest event time, for detected_at */
    double src_least;          /* the smallest event count a source rule needs */
    int32_t closing;           /* pane being closed (relative) */
    uint64_t key_bytes_cap;
    fw_detector_stats st;
};

/* Reflector ports of amplification attacks (DNS, NTP, SSDP, memcached,
 * chargen, LDAP, SNMP, CLDAP, WS-Discovery, ARMS, CoAP, QOTD). */
static bool reflector_port(uint16_t p)
{
    switch (p) {
    case 17: case 19: case 53: case 111: case 123: case 161: case 389: case 1900:
    case 3283: case 3702: case 5683: case 11211:
        return true;
    default:
        return false;
    }
}

static bool web_port(uint16_t p) { return p == 80 || p == 443 || p == 8080 || p == 8443; }

static void *pane_open(void *ctx, int64_t start_us) { return fw_xcalloc(1, sizeof(struct pane_keys)); }
static void pane_close(void *ctx, int64_t start_us, void *state);

fw_detector *fw_detector_new(const fw_config *cfg, fw_incidents *inc)
{
    fw_detector *d = fw_xcalloc(1, sizeof *d);
    d->cfg = cfg;
    d->inc = inc;
    d->S = (int)ceil(cfg->short_window_s);
    d->R = 1;
    while (d->R < d->S + (int)ceil(cfg->out_of_order_s) + 1)
        d->R *= 2;
    d->cur_pane = NONE;
    d->feed_next = INT64_MIN;
    d->slot_panes = (int)ceil(cfg->long_window_s / SRC_SLOTS);
    fw_tumbler_init(&d->panes, FW_US_PER_S, (fw_tumbler_ops){pane_open, pane_close}, d);
    fw_amap_init(&d->dst, sizeof(struct dst_state) + (size_t)d->R * sizeof(struct dpane));
    fw_amap_init(&d->src, sizeof(struct src_state));
    d->key_bytes_cap = (uint64_t)(cfg->state_memory_mb * 1024 * 1024);
    d->src_least = cfg->scan_ports < cfg->scan_hosts ? cfg->scan_ports : cfg->scan_hosts;
    if (cfg->src_rate_events < d->src_least)
        d->src_least = cfg->src_rate_events;
    return d;
}

static void free_keys(struct pane_keys *k)
{
    free(k->dst);
    free(k->src);
    free(k);
}

void fw_detector_free(fw_detector *d)
{
    if (!d)
        return;
    /* Drop open panes without evaluating them. */
    for (size_t i = 0; i < d->panes.n; i++)
        free_keys(d->panes.open[i].state);
    d->panes.n = 0;
    fw_tumbler_destroy(&d->panes);
    fw_amap_destroy(&d->dst);
    fw_amap_destroy(&d->src);
    free(d->promo);
    free(d->free_promo);
    free(d);
}

static uint64_t state_bytes(const fw_detector *d)
{
    return fw_amap_bytes(&d->dst) + fw_amap_bytes(&d->src) +
           (uint64_t)d->cpromo * sizeof(struct promoted);
}

/* Whether one more key fits in m under the memory cap, counting the table's
 * doubling if this insertion triggers it. */
static bool room_for(const fw_detector *d, const fw_amap *m)
{
    return state_bytes(d) - fw_amap_bytes(m) + fw_amap_bytes_after_insert(m) <= d->key_bytes_cap;
}

static void push_key(fw_addr **arr, uint32_t *n, uint32_t *cap, const fw_addr *a)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *arr = fw_xrealloc(*arr, *cap * sizeof **arr);
    }
    (*arr)[(*n)++] = *a;
}

static inline void bit_set(uint64_t *bm, uint64_t h) { bm[(h >> 6) & (BITS / 64 - 1)] |= 1ULL << (h & 63); }

static inline void hll_add(uint8_t *reg, uint64_t h)
{
    uint32_t idx = (uint32_t)(h >> (64 - HLL_P));
    uint64_t rest = h << HLL_P;
    uint8_t rank = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : (uint8_t)(64 - HLL_P + 1);
    if (rank > reg[idx])
        reg[idx] = rank;
}

/* 2^-k for every register value, so the estimate needs no libm call. */
static double pow2neg[65];

static double hll_estimate(const uint8_t *reg)
{
    if (pow2neg[0] == 0)
        for (int k = 0; k <= 64; k++)
            pow2neg[k] = ldexp(1.0, -k);
    double sum = 0;
    unsigned zeros = 0;
    for (unsigned i = 0; i < HLL_M; i++) {
        sum += pow2neg[reg[i]];
        zeros += reg[i] == 0;
    }
    double m = HLL_M, e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
    if (e <= 2.5 * m && zeros)
        e = m * log(m / zeros);
    return e;
}

/* Population count without a library call (the build targets plain x86-64,
 * which has no POPCNT instruction guaranteed). */
static inline unsigned popcount64(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ULL;
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

static double lc_estimate(const uint64_t *bm)
{
    unsigned ones = 0;
    for (unsigned i = 0; i < BITS / 64; i++)
        ones += popcount64(bm[i]);
    unsigned zeros = BITS - ones;
    if (!zeros)
        zeros = 1; /* saturated: a lower bound */
    return BITS * log((double)BITS / zeros);
}

static int32_t promote(fw_detector *d, const fw_addr *src, int32_t head)
{
    int32_t i;
    if (d->nfree) {
        i = d->free_promo[--d->nfree];
    } else {
        if (d->npromo == d->cpromo) {
            d->cpromo = d->cpromo ? 2 * d->cpromo : 64;
            d->promo = fw_xrealloc(d->promo, d->cpromo * sizeof *d->promo);
        }
        i = (int32_t)d->npromo++;
    }
    memset(&d->promo[i], 0, sizeof d->promo[i]);
    d->promo[i].src = *src;
    d->promo[i].head = head;
    d->st.promoted++;
    return i;
}

static void unpromote(fw_detector *d, int32_t i)
{
    if (d->nfree == d->cfree) {
        d->cfree = d->cfree ? 2 * d->cfree : 64;
        d->free_promo = fw_xrealloc(d->free_promo, d->cfree * sizeof *d->free_promo);
    }
    d->free_promo[d->nfree++] = i;
    d->st.promoted--;
}

/* Move a slot ring (events, and the promoted bitmaps) forward to slot s. */
static void src_advance(fw_detector *d, struct src_state *s, int32_t slot)
{
    if (slot <= s->head)
        return;
    int32_t steps = slot - s->head;
    for (int32_t k = 1; k <= steps && k <= SRC_SLOTS; k++) {
        int32_t i = ((s->head + k) % SRC_SLOTS + SRC_SLOTS) % SRC_SLOTS;
        s->ev[i] = 0;
        if (s->promo >= 0) {
            memset(d->promo[s->promo].ports[i], 0, BITS / 8);
            memset(d->promo[s->promo].hosts[i], 0, BITS / 8);
        }
    }
    s->head = slot;
    if (s->promo >= 0)
        d->promo[s->promo].head = slot;
}

int fw_detector_add(fw_detector *d, const fw_flow *f)
{
    int64_t pane_abs = fw_floor_div(f->ts_us, FW_US_PER_S);
    /* Most flows fall in the newest open pane: skip the tumbler's search. */
    struct pane_keys *pk = d->panes.n && d->panes.open[d->panes.n - 1].idx == pane_abs
                               ? d->panes.open[d->panes.n - 1].state
                               : fw_tumbler_bucket(&d->panes, f->ts_us);
    if (!pk) {
        d->st.late_events++;
        return -1;
    }
    if (!d->base_set) {
        d->base_pane = pane_abs - (1 << 20);
        d->base_set = 1;
    }
    if (pane_abs - d->base_pane < 1 || pane_abs - d->base_pane > INT32_MAX / 2) {
        /* Over 12 days before the first event, or decades after: outside
         * what relative pane numbers cover.  Not an attack signal. */
        d->st.late_events++;
        return -1;
    }
    d->st.events++;
    int32_t pane = (int32_t)(pane_abs - d->base_pane);
    uint64_t hs = fw_addr_mix(&f->src), hd = fw_addr_mix(&f->dst);

    /* Destination state.  Most flows find their key: look it up first, and
     * weigh the memory cap only for a new one. */
    bool created = false;
    struct dst_state *ds = fw_amap_get_h(&d->dst, &f->dst, hd);
    if (!ds && room_for(d, &d->dst)) {
        ds = fw_amap_upsert_h(&d->dst, &f->dst, hd, NULL);
        created = true;
    }
    if (ds) {
        if (created) {
            ds->dirty = NONE;
            for (int i = 0; i < d->R; i++)
                ds->p[i].pane = NONE;
        }
        struct dpane *p = &ds->p[pane & (d->R - 1)]; /* pane > 0: relative to base */
        if (p->pane != pane) {
            if (p->pane > pane) {
                /* The ring moved past this pane already (it is older than the
                 * window); it can no longer change a decision. */
                goto source;
            }
            memset(p, 0, sizeof *p);
            p->pane = pane;
        }
        p->events++;
        p->pkts += f->pkts_sent;
        p->bytes += f->bytes_sent;
        if (f->pkts_recv)
            p->answered++;
        if (f->proto == FW_PROTO_TCP) {
            p->tcp++;
            if (f->tcp_flags == FW_TCP_SYN)
                p->syn_pkts += f->pkts_sent;
            if (web_port(f->dst_port) || f->http_method != FW_HTTP_NONE) {
                p->web++;
                if (f->response_us >= (int64_t)(d->cfg->http_slow_ms * 1000))
                    p->degraded++;
                if (f->response_us >= (int64_t)(d->cfg->slow_min_ms * 1000) &&
                    f->bytes_sent + f->bytes_recv <= (uint64_t)d->cfg->slow_max_bytes)
                    p->slow++;
            }
        } else if (f->proto == FW_PROTO_UDP) {
            p->udp_pkts += f->pkts_sent;
            if (reflector_port(f->src_port)) {
                p->refl_pkts += f->pkts_sent;
                p->refl_bytes += f->bytes_sent;
            }
        }
        hll_add(p->hll, hs);
        uint64_t gen = fw_incidents_generation(d->inc);
        if (ds->inc_gen != gen + 1) {
            ds->inc_pos = fw_incidents_find_dst(d->inc, &f->dst);
            ds->inc_gen = gen + 1;
        }
        if (ds->inc_pos >= 0)
            fw_incidents_observe_dst(d->inc, ds->inc_pos, f);
        ds->recent_src[ds->nrecent % RECENT] = f->src;
        ds->recent_port[ds->nrecent % RECENT] = f->dst_port;
        ds->nrecent++;
        if (pane > ds->last_pane || ds->dirty == NONE)
            ds->last_pane = pane;
        if (ds->dirty != pane) {
            ds->dirty = pane;
            push_key(&pk->dst, &pk->ndst, &pk->cdst, &f->dst);
        }
    } else {
        d->st.untracked_events++;
        fw_incidents_observe_dst(d->inc, fw_incidents_find_dst(d->inc, &f->dst), f);
    }

source:;
    fw_incidents_observe_src(d->inc, f);
    struct src_state *ss = fw_amap_get_h(&d->src, &f->src, hs);
    created = false;
    if (!ss && room_for(d, &d->src)) {
        ss = fw_amap_upsert_h(&d->src, &f->src, hs, NULL);
        created = true;
    }
    if (!ss) {
        if (ds)
            d->st.untracked_events++;
        return 0;
    }
    if (pane != d->cur_pane) {
        d->cur_pane = pane;
        d->cur_slot = pane / d->slot_panes; /* pane > 0 */
    }
    int32_t slot = d->cur_slot;
    if (created) {
        ss->dirty = NONE;
        ss->head = slot;
        ss->promo = -1;
    }
    if (slot > ss->head)
        src_advance(d, ss, slot);
    if (slot <= ss->head - SRC_SLOTS)
        return 0; /* older than the source window */
    int i = slot % SRC_SLOTS;
    if (ss->ev[i] < UINT16_MAX)
        ss->ev[i]++;
    if (ss->promo < 0) {
        unsigned total = 0;
        for (int k = 0; k < SRC_SLOTS; k++)
            total += ss->ev[k];
        if (total >= PROMOTE_EVENTS)
            ss->promo = promote(d, &f->src, ss->head);
    }
    if (ss->promo >= 0) {
        struct promoted *pr = &d->promo[ss->promo];
        /* Fibonacci hashing spreads the 16-bit port over the bitmap.  A flow
         * from a service port to a high port is a reply (a DNS server
         * answering clients, a reflector): it probes nothing. */
        if (!(f->src_port && f->src_port < 1024 && f->dst_port >= 1024))
            bit_set(pr->ports[i], ((uint64_t)f->dst_port * 0x9e3779b97f4a7c15ULL) >> 56);
        bit_set(pr->hosts[i], hd);
        pr->last_dst = f->dst;
    }
    if (ss->dirty != pane) {
        ss->dirty = pane;
        push_key(&pk->src, &pk->nsrc, &pk->csrc, &f->src);
    }
    return 0;
}

/* ---- rules -------------------------------------------------------------- */

/* Window sums of one destination over panes [p - S + 1, p]. */
struct dwin {
    int32_t pane;
    double secs;
    uint64_t events, pkts, syn_pkts, tcp, answered, udp_pkts, refl_pkts, web, degraded, slow;
    uint64_t bytes, refl_bytes;
    double uniq;
};

/* Distinct sources of a destination over panes [pane - S + 1, pane]: the
 * union of the panes' HyperLogLogs.  Costs a pass over 128-byte sketches, so
 * it is taken only when a rule or a signal needs it. */
static double dst_unique(const fw_detector *d, const struct dst_state *ds, int32_t pane)
{
    uint8_t hll[HLL_M] = {0};
    bool any = false;
    for (int i = 0; i < d->R; i++) {
        const struct dpane *p = &ds->p[i];
        if (p->pane == NONE || p->pane > pane || p->pane <= pane - d->S)
            continue;
        any = true;
#ifdef __SSE2__
        for (unsigned k = 0; k < HLL_M; k += 16)
            _mm_storeu_si128((__m128i *)(void *)(hll + k),
                             _mm_max_epu8(_mm_loadu_si128((const __m128i *)(const void *)(hll + k)),
                                          _mm_loadu_si128((const __m128i *)(const void *)(p->hll + k))));
#else
        for (unsigned k = 0; k < HLL_M; k++)
            if (p->hll[k] > hll[k])
                hll[k] = p->hll[k];
#endif
    }
    return any ? hll_estimate(hll) : 0;
}

static void dst_window(const fw_detector *d, const struct dst_state *ds, int32_t pane, struct dwin *w)
{
    memset(w, 0, sizeof *w);
    w->pane = pane;
    w->secs = d->S;
    w->uniq = -1; /* not computed yet */
    for (int i = 0; i < d->R; i++) {
        const struct dpane *p = &ds->p[i];
        if (p->pane == NONE || p->pane > pane || p->pane <= pane - d->S)
            continue;
        w->events += p->events;
        w->pkts += p->pkts;
        w->syn_pkts += p->syn_pkts;
        w->tcp += p->tcp;
        w->answered += p->answered;
        w->udp_pkts += p->udp_pkts;
        w->refl_pkts += p->refl_pkts;
        w->web += p->web;
        w->degraded += p->degraded;
        w->slow += p->slow;
        w->bytes += p->bytes;
        w->refl_bytes += p->refl_bytes;
    }
}

static double window_unique(const fw_detector *d, const struct dst_state *ds, int32_t pane,
                            struct dwin *w)
{
    if (w->uniq < 0) {
        w->uniq = dst_unique(d, ds, pane);
        if (w->uniq > w->events)
            w->uniq = (double)w->events;
    }
    return w->uniq;
}

static double share(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0; }

/* A rule: evaluates a window and, if it fires, fills the signal's type,
 * parameters and ratio. */
struct dst_rule {
    const char *name;
    bool (*fire)(const fw_detector *d, const struct dst_state *ds, struct dwin *w, fw_signal *s);
};

static void param(fw_signal *s, const char *name, double thr, double obs)
{
    s->params[s->nparams].name = name;
    s->params[s->nparams].threshold = thr;
    s->params[s->nparams].observed = obs;
    s->nparams++;
}

/* Legitimate surge: answered and not degraded (a flash crowd). */
static bool looks_legit(const fw_config *c, const struct dwin *w)
{
    return share(w->answered, w->events) >= c->legit_answered &&
           share(w->degraded, w->web) <= c->legit_degraded;
}

static bool r_syn(const fw_detector *d, const struct dst_state *ds, struct dwin *w, fw_signal *s)
{
    const fw_config *c = d->cfg;
    double pps = w->syn_pkts / w->secs, sh = share(w->syn_pkts, w->tcp), ans = share(w->answered, w->events);
    if (pps < c->syn_pps || sh < c->syn_share || ans > c->syn_max_answered || !c->syn_pps)
        return false;
    s->type = FW_IT_SYN_FLOOD;
    param(s, "syn_pps", c->syn_pps, pps);
    param(s, "syn_share", c->syn_share, sh);
    param(s, "answered_share", c->syn_max_answered, ans);
    s->ratio = pps / c->syn_pps;
    return true;
}

static bool r_amp(const fw_detector *d, const struct dst_state *ds, struct dwin *w, fw_signal *s)
{
    const fw_config *c = d->cfg;
    double pps = w->refl_pkts / w->secs, size = share(w->refl_bytes, w->refl_pkts);
    if (pps < c->amp_pps || size < c->amp_min_size || !c->amp_pps)
        return false;
    s->type = FW_IT_AMPLIFICATION;
    param(s, "reflector_pps", c->amp_pps, pps);
    param(s, "mean_packet_bytes", c->amp_min_size, size);
    s->ratio = pps / c->amp_pps;
    return true;
}

static bool r_udp(const fw_detector *d, const struct dst_state *ds, struct dwin *w, fw_signal *s)
{
    const fw_config *c = d->cfg;
    double pps = w->udp_pkts / w->secs, sh = share(w->udp_pkts, w->pkts);
    if (pps < c->udp_pps || sh < c->udp_share || !c->udp_pps)
        return false;
    s->type = FW_IT_UDP_FLOOD;
    param(s, "udp_pps", c->udp_pps, pps);
    param(s, "udp_share", c->udp_share, sh);
    s->ratio = pps / c->udp_pps;
    return true;
}

static bool r_http(const fw_detector *d, const struct dst_state *ds, struct dwin *w, fw_signal *s)
{
    const fw_config *c = d->cfg;
    double rps = w->web / w->secs, deg = share(w->degraded, w->web);
    double thr = c->http_rps;
    if (ds->base_n >= c->baseline_warmup_s && c->http_ratio * ds->base_rps > thr)
        thr = c->http_ratio * ds->base_rps;
    if (rps < thr || deg < c->http_degraded_share || !c->http_rps)
        return false;
    s->type = FW_IT_HTTP_FLOOD;
    param(s, "rps", thr, rps);
    param(s, "degraded_share", c->http_degraded_share, deg);
    s->ratio = rps / thr;
    return true;
}

static bool r_slowloris(const fw_detector *d, const struct dst_state *ds, struct dwin *w, fw_signal *s)
{
    const fw_config *c = d->cfg;
    double sh = share(w->slow, w->web);
    if (w->slow < c->slow_conns || sh < c->slow_share)
        return false;
    s->type = FW_IT_SLOWLORIS;
    param(s, "slow_connections", c->slow_conns, (double)w->slow);
    param(s, "slow_share", c->slow_share, sh);
    s->ratio = w->slow / c->slow_conns;
    return true;
}

static bool r_fanin(const fw_detector *d, const struct dst_state *ds, struct dwin *w, fw_signal *s)
{
    const fw_config *c = d->cfg;
    double pps = w->pkts / w->secs;
    if (pps < c->fanin_pps || (double)w->events < c->fanin_sources || looks_legit(c, w) ||
        window_unique(d, ds, w->pane, w) < c->fanin_sources)
        return false;
    s->type = FW_IT_VOLUMETRIC;
    param(s, "unique_sources", c->fanin_sources, w->uniq);
    param(s, "pps", c->fanin_pps, pps);
    s->ratio = w->uniq / c->fanin_sources;
    return true;
}

static bool r_spike(const fw_detector *d, const struct dst_state *ds, struct dwin *w, fw_signal *s)
{
    const fw_config *c = d->cfg;
    if (ds->base_n < c->baseline_warmup_s)
        return false;
    double pps = w->pkts / w->secs, thr = c->spike_ratio * ds->base_pps;
    if (thr < c->spike_min_pps)
        thr = c->spike_min_pps;
    if (pps < thr || looks_legit(c, w))
        return false;
    s->type = FW_IT_VOLUMETRIC;
    param(s, "pps", thr, pps);
    param(s, "baseline_pps", 0, ds->base_pps);
    s->ratio = pps / thr;
    return true;
}

static const struct dst_rule dst_rules[] = {
    {"syn_flood", r_syn},   {"amplification", r_amp}, {"udp_flood", r_udp}, {"http_flood", r_http},
    {"slowloris", r_slowloris}, {"fan_in", r_fanin},  {"spike", r_spike},
};

static void eval_dst(fw_detector *d, const fw_addr *key, int32_t pane, int64_t pane_start_us)
{
    struct dst_state *ds = fw_amap_get(&d->dst, key);
    if (!ds)
        return;
    struct dwin w;
    dst_window(d, ds, pane, &w);
    bool fired = false;
    for (size_t r = 0; r < sizeof dst_rules / sizeof dst_rules[0]; r++) {
        fw_signal s;
        s.nparams = 0; /* the rule fills type, ratio and parameters */
        if (!dst_rules[r].fire(d, ds, &w, &s))
            continue;
        /* A flood is distributed; one or a few talkers are the source
         * rules' business (a scanner would otherwise look like a spike).
         * Slowloris needs few sources by nature. */
        if (s.type != FW_IT_SLOWLORIS &&
            window_unique(d, ds, pane, &w) < d->cfg->flood_min_sources)
            continue;
        s.by_source = false;
        s.rule = dst_rules[r].name;
        s.addr = *key;
        s.pane_start_us = pane_start_us;
        s.pps = w.pkts / w.secs;
        s.bps = 8.0 * w.bytes / w.secs;
        s.eps = w.events / w.secs;
        s.unique_sources = (uint64_t)llround(window_unique(d, ds, pane, &w));
        s.window_events = w.events;
        s.recent_src = ds->recent_src;
        s.recent_port = ds->recent_port;
        s.nrecent = ds->nrecent < RECENT ? ds->nrecent : RECENT;
        fw_incidents_signal(d->inc, &s, d->now_us);
        d->st.signals++;
        fired = true;
    }
    /* Baselines learn only from quiet panes: no rule fired and the pane is
     * not itself a spike over what was learned. */
    const struct dpane *p = &ds->p[pane & (d->R - 1)];
    if (!fired && p->pane == pane) {
        double a = d->cfg->baseline_alpha;
        double pps = p->pkts, rps = p->web;
        if (ds->base_n == 0) {
            ds->base_pps = pps;
            ds->base_rps = rps;
        } else if (ds->base_n < d->cfg->baseline_warmup_s || pps < d->cfg->spike_ratio * ds->base_pps) {
            ds->base_pps += a * (pps - ds->base_pps);
            ds->base_rps += a * (rps - ds->base_rps);
        }
        if (ds->base_n < INT32_MAX)
            ds->base_n++;
    }
}

static void eval_src(fw_detector *d, const fw_addr *key, int32_t pane, int64_t pane_start_us)
{
    struct src_state *ss = fw_amap_get(&d->src, key);
    if (!ss)
        return;
    const fw_config *c = d->cfg;
    /* Distinct ports and hosts cannot exceed the events, nor the window's
     * events those of all the slots: most sources stop here, at a sum. */
    double least = d->src_least;
    unsigned all = 0;
    for (int k = 0; k < SRC_SLOTS; k++)
        all += ss->ev[k];
    if (all < least)
        return;
    int32_t slot = pane / d->slot_panes;
    uint64_t events = 0;
    unsigned live = 0; /* slots inside the window, as a bit mask */
    int i = ss->head % SRC_SLOTS; /* head > 0: pane numbers are relative */
    for (int k = 0; k < SRC_SLOTS; k++, i = i ? i - 1 : SRC_SLOTS - 1) {
        int32_t id = ss->head - k;
        if (id > slot || id <= slot - SRC_SLOTS)
            continue;
        events += ss->ev[i];
        live |= 1u << i;
    }
    if (events < least)
        return;
    /* A source sending into a network that already has a flood incident is
     * part of that flood: the victim's view explains it, and reporting each
     * bot (or each client caught in it) as a scanner would bury the
     * incident; the same holds for a long window after it ended, while the
     * source's window still holds flood traffic.  Only promoted sources can
     * fire, and they know their last destination. */
    int64_t horizon = (int64_t)d->slot_panes * SRC_SLOTS * FW_US_PER_S;
    if (ss->promo >= 0 &&
        fw_incidents_dst_explains(d->inc, &d->promo[ss->promo].last_dst, pane_start_us, horizon)) {
        d->st.suppressed++;
        return;
    }
    double secs = d->slot_panes * SRC_SLOTS;
    fw_signal s;
    memset(&s, 0, sizeof s);
    s.by_source = true;
    s.addr = *key;
    s.pane_start_us = pane_start_us;
    s.pps = s.eps = events / secs;
    s.window_events = events;
    if (ss->promo >= 0) {
        uint64_t ports[BITS / 64] = {0}, hosts[BITS / 64] = {0};
        const struct promoted *pr = &d->promo[ss->promo];
        for (int k = 0; k < SRC_SLOTS; k++)
            if (live & (1u << k))
                for (unsigned w = 0; w < BITS / 64; w++) {
                    ports[w] |= pr->ports[k][w];
                    hosts[w] |= pr->hosts[k][w];
                }
        double np = lc_estimate(ports), nh = lc_estimate(hosts);
        if (np >= c->scan_ports) {
            s.type = FW_IT_PORT_SCAN;
            s.rule = "port_scan";
            param(&s, "distinct_ports", c->scan_ports, np);
            s.ratio = np / c->scan_ports;
            fw_incidents_signal(d->inc, &s, d->now_us);
            d->st.signals++;
            s.nparams = 0;
        }
        if (nh >= c->scan_hosts) {
            s.type = FW_IT_PORT_SCAN;
            s.rule = "host_scan";
            param(&s, "distinct_hosts", c->scan_hosts, nh);
            s.ratio = nh / c->scan_hosts;
            fw_incidents_signal(d->inc, &s, d->now_us);
            d->st.signals++;
            s.nparams = 0;
        }
    }
    if (events >= c->src_rate_events) {
        s.type = FW_IT_VOLUMETRIC;
        s.rule = "source_rate";
        param(&s, "events_per_window", c->src_rate_events, (double)events);
        s.ratio = events / c->src_rate_events;
        fw_incidents_signal(d->inc, &s, d->now_us);
        d->st.signals++;
    }
}

/* ---- eviction ----------------------------------------------------------- */

static bool dst_idle(void *ctx, const fw_addr *key, void *value)
{
    fw_detector *d = ctx;
    const struct dst_state *ds = value;
    bool full = state_bytes(d) > d->key_bytes_cap;
    int32_t idle = full ? d->S : DST_IDLE_PANES;
    bool gone = ds->last_pane < d->closing - idle && ds->dirty < d->closing;
    d->st.evicted_keys += gone;
    return gone;
}

static bool src_idle(void *ctx, const fw_addr *key, void *value)
{
    fw_detector *d = ctx;
    const struct src_state *ss = value;
    int32_t slot = (int32_t)fw_floor_div(d->closing, d->slot_panes);
    bool gone = ss->head <= slot - SRC_SLOTS && ss->dirty < d->closing;
    if (gone) {
        if (ss->promo >= 0)
            unpromote(d, ss->promo);
        d->st.evicted_keys++;
    }
    return gone;
}

static void sweep(fw_detector *d)
{
    /* Visit enough slots per pane to cover each table about once per long
     * window; under memory pressure, the whole table. */
    bool full = state_bytes(d) > d->key_bytes_cap;
    size_t per = (size_t)(d->slot_panes * SRC_SLOTS);
    size_t bs = full ? d->src.cap : d->src.cap / per + 64;
    size_t bd = full ? d->dst.cap : d->dst.cap / per + 64;
    fw_amap_sweep(&d->src, &d->sweep_src, bs, src_idle, d);
    fw_amap_sweep(&d->dst, &d->sweep_dst, bd, dst_idle, d);
}

static void pane_close(void *ctx, int64_t start_us, void *state)
{
    fw_detector *d = ctx;
    struct pane_keys *k = state;
    int32_t pane = (int32_t)(fw_floor_div(start_us, FW_US_PER_S) - d->base_pane);
    d->closing = pane;
    for (uint32_t i = 0; i < k->ndst; i++)
        eval_dst(d, &k->dst[i], pane, start_us);
    for (uint32_t i = 0; i < k->nsrc; i++)
        eval_src(d, &k->src[i], pane, start_us);
    free_keys(k);
    d->st.panes_closed++;
    fw_incidents_tick(d->inc, start_us + FW_US_PER_S, d->now_us);
    sweep(d);
}

void fw_detector_advance(fw_detector *d, int64_t watermark_us, int64_t now_us)
{
    d->now_us = now_us;
    size_t before = d->panes.n;
    fw_tumbler_advance(&d->panes, watermark_us);
    /* Panes with no traffic still move incidents toward their end. */
    if (before == d->panes.n && watermark_us != INT64_MIN && d->base_set)
        fw_incidents_tick(d->inc, watermark_us, now_us);
}

void fw_detector_feed(fw_detector *d, const fw_flow *f)
{
    fw_detector_add(d, f);
    int64_t wm = f->ts_us - (int64_t)(d->cfg->out_of_order_s * FW_US_PER_S);
    if (wm >= d->feed_next) {
        fw_detector_advance(d, wm, f->ts_us);
        d->feed_next = (fw_floor_div(wm, FW_US_PER_S) + 1) * FW_US_PER_S;
    }
}

void fw_detector_flush(fw_detector *d, int64_t now_us)
{
    d->now_us = now_us;
    fw_tumbler_flush(&d->panes);
    fw_incidents_close_all(d->inc, now_us);
}

void fw_detector_get_stats(const fw_detector *d, fw_detector_stats *st)
{
    *st = d->st;
    st->dst_keys = d->dst.len;
    st->src_keys = d->src.len;
    st->state_bytes = state_bytes(d);
}

/* ---- checkpoints -------------------------------------------------------- */

static void save_map(const fw_amap *m, fw_ckpt_writer *w)
{
    fw_ckpt_put_u64(w, m->cap);
    fw_ckpt_put_u64(w, m->len);
    fw_ckpt_put_u64(w, m->stride);
    fw_ckpt_put(w, m->slots, m->cap * m->stride);
}

static void load_map(fw_amap *m, fw_ckpt_reader *r)
{
    uint64_t cap = fw_ckpt_get_u64(r), len = fw_ckpt_get_u64(r), stride = fw_ckpt_get_u64(r);
    if (stride != m->stride || (cap & (cap - 1)) || len > cap || cap > (1ULL << 32)) {
        r->err = 1;
        return;
    }
    fw_amap_destroy(m);
    m->cap = cap;
    m->len = len;
    m->slots = cap ? fw_xcalloc(cap, stride) : NULL;
    fw_ckpt_get(r, m->slots, cap * stride);
}

int fw_detector_save(const fw_detector *d, fw_ckpt_writer *w)
{
    fw_ckpt_put_i64(w, d->S);
    fw_ckpt_put_i64(w, d->R);
    fw_ckpt_put_i64(w, d->slot_panes);
    fw_ckpt_put_i64(w, d->base_pane);
    fw_ckpt_put_i64(w, d->base_set);
    fw_ckpt_put_i64(w, d->panes.next_open_idx);
    fw_ckpt_put(w, &d->st, sizeof d->st);
    fw_ckpt_put_u64(w, d->sweep_dst);
    fw_ckpt_put_u64(w, d->sweep_src);
    save_map(&d->dst, w);
    save_map(&d->src, w);
    fw_ckpt_put_u64(w, d->npromo);
    fw_ckpt_put(w, d->promo, d->npromo * sizeof *d->promo);
    fw_ckpt_put_u64(w, d->nfree);
    fw_ckpt_put(w, d->free_promo, d->nfree * sizeof *d->free_promo);
    fw_ckpt_put_u64(w, d->panes.n);
    for (size_t i = 0; i < d->panes.n; i++) {
        const struct pane_keys *k = d->panes.open[i].state;
        fw_ckpt_put_i64(w, d->panes.open[i].idx);
        fw_ckpt_put_u64(w, k->ndst);
        fw_ckpt_put(w, k->dst, k->ndst * sizeof *k->dst);
        fw_ckpt_put_u64(w, k->nsrc);
        fw_ckpt_put(w, k->src, k->nsrc * sizeof *k->src);
    }
    return fw_incidents_save(d->inc, w);
}

int fw_detector_load(fw_detector *d, fw_ckpt_reader *r)
{
    int64_t S = fw_ckpt_get_i64(r), R = fw_ckpt_get_i64(r), slot = fw_ckpt_get_i64(r);
    if (S != d->S || R != d->R || slot != d->slot_panes) {
        r->err = 1; /* the windows changed since the checkpoint */
        return -1;
    }
    d->base_pane = fw_ckpt_get_i64(r);
    d->base_set = (int)fw_ckpt_get_i64(r);
    d->panes.next_open_idx = fw_ckpt_get_i64(r);
    fw_ckpt_get(r, &d->st, sizeof d->st);
    d->sweep_dst = fw_ckpt_get_u64(r);
    d->sweep_src = fw_ckpt_get_u64(r);
    load_map(&d->dst, r);
    load_map(&d->src, r);
    /* Cached incident positions refer to the incident manager before the
     * restart: forget them (they are looked up again on the next flow). */
    size_t it = 0;
    struct dst_state *ds;
    while ((ds = fw_amap_next(&d->dst, &it, NULL)))
        ds->inc_gen = 0;
    uint64_t n = fw_ckpt_get_u64(r);
    if (n > (1u << 30)) {
        r->err = 1;
        return -1;
    }
    d->npromo = d->cpromo = (uint32_t)n;
    d->promo = fw_xrealloc(d->promo, (n ? n : 1) * sizeof *d->promo);
    fw_ckpt_get(r, d->promo, n * sizeof *d->promo);
    n = fw_ckpt_get_u64(r);
    if (n > d->npromo) {
        r->err = 1;
        return -1;
    }
    d->nfree = d->cfree = (uint32_t)n;
    d->free_promo = fw_xrealloc(d->free_promo, (n ? n : 1) * sizeof *d->free_promo);
    fw_ckpt_get(r, d->free_promo, n * sizeof *d->free_promo);
    uint64_t npanes = fw_ckpt_get_u64(r);
    for (uint64_t i = 0; i < npanes && !r->err; i++) {
        int64_t idx = fw_ckpt_get_i64(r);
        struct pane_keys *k = fw_tumbler_bucket(&d->panes, idx * FW_US_PER_S);
        if (!k) {
            r->err = 1;
            break;
        }
        uint64_t nd = fw_ckpt_get_u64(r);
        if (nd > (1u << 30)) {
            r->err = 1;
            break;
        }
        k->ndst = k->cdst = (uint32_t)nd;
        k->dst = fw_xrealloc(k->dst, (nd ? nd : 1) * sizeof *k->dst);
        fw_ckpt_get(r, k->dst, nd * sizeof *k->dst);
        uint64_t ns = fw_ckpt_get_u64(r);
        if (ns > (1u << 30)) {
            r->err = 1;
            break;
        }
        k->nsrc = k->csrc = (uint32_t)ns;
        k->src = fw_xrealloc(k->src, (ns ? ns : 1) * sizeof *k->src);
        fw_ckpt_get(r, k->src, ns * sizeof *k->src);
    }
    if (r->err)
        return -1;
    return fw_incidents_load(d->inc, r);
}
