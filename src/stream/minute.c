/* minute.c - tumbling per-minute aggregates (see minute.h). */
#include <stdlib.h>
#include <string.h>

#include "core/ckpt.h"
#include "core/log.h"
#include "core/ts.h"
#include "stream/minute.h"

void fw_counts_add(fw_counts *c, const fw_flow *f)
{
    c->events++;
    c->bytes += f->bytes_sent;
    c->bytes_recv += f->bytes_recv;
    c->packets += f->pkts_sent;
    switch (f->proto) {
    case FW_PROTO_TCP:
        c->tcp++;
        c->syn_only += f->tcp_flags == FW_TCP_SYN;
        break;
    case FW_PROTO_UDP: c->udp++; break;
    case FW_PROTO_ICMP:
    case FW_PROTO_ICMPV6: c->icmp++; break;
    default: c->other++; break;
    }
    c->labelled += f->is_attack == 1;
}

/* Ports table: open addressing with linear probing over a power-of-two
 * array that starts at 64 slots and doubles at 3/4 load up to
 * FW_PORTS_SLOTS.  A minute rarely sees more than a few hundred pairs; a
 * port scan can see thousands, and past FW_PORTS_TRACKED new pairs are
 * counted in dropped instead (and the minute's rows are marked inexact).
 * Not fw_amap: its 16-byte address key and stored hash make a slot 48 bytes
 * against 28 here, and these tables are already an eighth of batch memory
 * on the seed file (docs/performance.md). */
#define PORTS_FIRST 64

static inline uint32_t port_slot(uint32_t key, uint32_t cap)
{
    return (uint32_t)((key * 0x9e3779b1u) >> 7) & (cap - 1);
}

static void port_grow(fw_port_table *t)
{
    uint32_t cap = t->cap ? t->cap * 2 : PORTS_FIRST;
    uint32_t *key = fw_xcalloc(cap, sizeof *key);
    fw_port_count *val = fw_xcalloc(cap, sizeof *val);
    for (uint32_t i = 0; i < t->cap; i++) {
        if (!t->key[i])
            continue;
        uint32_t j = port_slot(t->key[i], cap);
        while (key[j])
            j = (j + 1) & (cap - 1);
        key[j] = t->key[i];
        val[j] = t->val[i];
    }
    free(t->key);
    free(t->val);
    t->key = key;
    t->val = val;
    t->cap = cap;
}

/* Count events of one pair (with their bytes and packets) in t. */
static void port_add(fw_port_table *t, uint8_t proto, uint16_t port, uint64_t events, uint64_t bytes,
                     uint64_t packets)
{
    uint32_t k = ((uint32_t)proto << 16 | port) + 1;
    if (t->cap) {
        uint32_t j = port_slot(k, t->cap);
        for (; t->key[j]; j = (j + 1) & (t->cap - 1))
            if (t->key[j] == k) {
                t->val[j].events += events;
                t->val[j].bytes += bytes;
                t->val[j].packets += packets;
                return;
            }
    }
    if (t->n >= FW_PORTS_TRACKED) {
        t->dropped += events;
        return;
    }
    if ((t->n + 1) * 4 > t->cap * 3)
        port_grow(t);
    uint32_t j = port_slot(k, t->cap);
    while (t->key[j])
        j = (j + 1) & (t->cap - 1);
    t->key[j] = k;
    t->val[j] = (fw_port_count){events, bytes, packets};
    t->n++;
}

static int port_row_cmp(const void *a, const void *b)
{
    const fw_port_row *x = a, *y = b;
    if (x->c.events != y->c.events)
        return x->c.events > y->c.events ? -1 : 1;
    if (x->proto != y->proto)
        return x->proto < y->proto ? -1 : 1;
    return (x->port > y->port) - (x->port < y->port);
}

size_t fw_port_table_top(const fw_port_table *t, fw_port_row *out, size_t max)
{
    if (!t->n || !max)
        return 0;
    /* Zeroed and filled field by field: the rows' padding is then zero too,
     * so two tables with the same pairs give the same bytes (a compound
     * literal leaves padding unspecified; a checkpoint test compares rows
     * as memory and failed now and then). */
    fw_port_row *all = fw_xcalloc(t->n, sizeof *all);
    size_t n = 0;
    for (uint32_t i = 0; i < t->cap; i++)
        if (t->key[i]) {
            uint32_t k = t->key[i] - 1;
            all[n].proto = (uint8_t)(k >> 16);
            all[n].port = (uint16_t)k;
            all[n++].c = t->val[i];
        }
    qsort(all, n, sizeof *all, port_row_cmp);
    if (n > max)
        n = max;
    memcpy(out, all, n * sizeof *out);
    free(all);
    return n;
}

unsigned fw_country_slot(const char code[2])
{
    unsigned a = (unsigned)(code[0] - 'A'), b = (unsigned)(code[1] - 'A');
    return a < 26 && b < 26 ? a * 26 + b : FW_COUNTRY_UNKNOWN;
}

static void *minute_open(void *ctx, int64_t start_us)
{
    fw_minute *m = fw_xcalloc(1, sizeof *m);
    m->start_us = start_us;
    fw_distinct_init(&m->sources);
    m->per_source = ((fw_minutes *)ctx)->per_source;
    fw_amap_init(&m->dst, sizeof(fw_minute_dst));
    fw_amap_init(&m->src, sizeof(fw_counts));
    return m;
}

static void minute_close(void *ctx, int64_t start_us, void *state)
{
    fw_minutes *ms = ctx;
    fw_minute *m = state;
    if (ms->emit)
        ms->emit(ms->ctx, m);
    if (!ms->hand_over)
        fw_minute_free(m);
}

void fw_minute_free(fw_minute *m)
{
    size_t it = 0;
    fw_minute_dst *d;
    while ((d = fw_amap_next(&m->dst, &it, NULL)))
        fw_distinct_destroy(&d->sources);
    fw_amap_destroy(&m->dst);
    fw_amap_destroy(&m->src);
    fw_distinct_destroy(&m->sources);
    free(m->ports.key);
    free(m->ports.val);
    free(m->countries);
    free(m);
}

void fw_minutes_init(fw_minutes *m, bool per_source, fw_minute_emit_fn emit, void *ctx)
{
    memset(m, 0, sizeof *m);
    m->emit = emit;
    m->ctx = ctx;
    m->per_source = per_source;
    fw_tumbler_init(&m->t, 60 * FW_US_PER_S, (fw_tumbler_ops){minute_open, minute_close}, m);
}

void fw_minutes_destroy(fw_minutes *m) { fw_tumbler_destroy(&m->t); }

int fw_minutes_add(fw_minutes *ms, const fw_flow *f, bool repaired)
{
    fw_minute *m = fw_tumbler_bucket(&ms->t, f->ts_us);
    if (!m)
        return -1;
    uint64_t hs = fw_addr_mix(&f->src);
    fw_counts_add(&m->global, f);
    m->global.repaired += repaired;
    if (!m->countries)
        m->countries = fw_xcalloc(FW_COUNTRY_SLOTS, sizeof *m->countries);
    fw_country_counts *cc = &m->countries[fw_country_slot(f->country)];
    cc->events++;
    cc->bytes += f->bytes_sent;
    cc->labelled += f->is_attack == 1;
    port_add(&m->ports, f->proto, f->dst_port, 1, f->bytes_sent, f->pkts_sent);
    fw_minute_dst *d = fw_amap_upsert(&m->dst, &f->dst, NULL);
    fw_counts_add(&d->c, f);
    fw_distinct_add(&d->sources, hs);
    if (ms->per_source)
        fw_counts_add(fw_amap_upsert(&m->src, &f->src, NULL), f);
    else
        fw_distinct_add(&m->sources, hs);
    return 0;
}

void fw_minutes_note(fw_minutes *ms, int64_t ts_us, bool duplicate)
{
    fw_minute *m = fw_tumbler_bucket(&ms->t, ts_us);
    if (!m)
        return;
    if (duplicate)
        m->quality.duplicates++;
    else
        m->quality.quarantined++;
}

uint64_t fw_minute_sources(const fw_minute *m)
{
    return m->per_source ? m->src.len : fw_distinct_count(&m->sources);
}

static void counts_merge(fw_counts *into, const fw_counts *from)
{
    into->events += from->events;
    into->bytes += from->bytes;
    into->bytes_recv += from->bytes_recv;
    into->packets += from->packets;
    into->syn_only += from->syn_only;
    into->tcp += from->tcp;
    into->udp += from->udp;
    into->icmp += from->icmp;
    into->other += from->other;
    into->labelled += from->labelled;
    into->repaired += from->repaired;
}

int fw_minute_merge(fw_minute *into, const fw_minute *from)
{
    counts_merge(&into->global, &from->global);
    into->quality.quarantined += from->quality.quarantined;
    into->quality.duplicates += from->quality.duplicates;
    if (from->countries) {
        if (!into->countries)
            into->countries = fw_xcalloc(FW_COUNTRY_SLOTS, sizeof *into->countries);
        for (unsigned c = 0; c < FW_COUNTRY_SLOTS; c++) {
            into->countries[c].events += from->countries[c].events;
            into->countries[c].bytes += from->countries[c].bytes;
            into->countries[c].labelled += from->countries[c].labelled;
        }
    }
    size_t it = 0;
    const fw_addr *key;
    const fw_minute_dst *fd;
    while ((fd = fw_amap_next(&from->dst, &it, &key))) {
        fw_minute_dst *d = fw_amap_upsert(&into->dst, key, NULL);
        counts_merge(&d->c, &fd->c);
        fw_distinct_merge(&d->sources, &fd->sources);
    }
    it = 0;
    const fw_counts *fc;
    while ((fc = fw_amap_next(&from->src, &it, &key)))
        counts_merge(fw_amap_upsert(&into->src, key, NULL), fc);
    fw_distinct_merge(&into->sources, &from->sources);
    /* Pairs past FW_PORTS_TRACKED are the ones first seen after the others,
     * which parts counted apart cannot tell: then the caller recounts. */
    if (into->ports.dropped || from->ports.dropped)
        return -1;
    for (uint32_t i = 0; i < from->ports.cap; i++) {
        if (!from->ports.key[i])
            continue;
        uint32_t k = from->ports.key[i] - 1;
        const fw_port_count *c = &from->ports.val[i];
        port_add(&into->ports, (uint8_t)(k >> 16), (uint16_t)k, c->events, c->bytes, c->packets);
        if (into->ports.dropped)
            return -1;
    }
    return 0;
}

void fw_minute_ports_recount(fw_minute *m, const fw_flow *const *f, size_t n, bool restart)
{
    fw_port_table *t = &m->ports;
    if (restart) {
        if (t->cap)
            memset(t->key, 0, t->cap * sizeof *t->key);
        t->n = 0;
        t->dropped = 0;
    }
    for (size_t i = 0; i < n; i++)
        port_add(t, f[i]->proto, f[i]->dst_port, 1, f[i]->bytes_sent, f[i]->pkts_sent);
}

void fw_minutes_advance(fw_minutes *m, int64_t watermark_us) { fw_tumbler_advance(&m->t, watermark_us); }

void fw_minutes_flush(fw_minutes *m) { fw_tumbler_flush(&m->t); }

void fw_minutes_save(const fw_minutes *ms, fw_ckpt_writer *w)
{
    fw_ckpt_put_i64(w, ms->t.next_open_idx);
    fw_ckpt_put_u64(w, ms->t.n);
    for (size_t i = 0; i < ms->t.n; i++) {
        const fw_minute *m = ms->t.open[i].state;
        fw_ckpt_put_i64(w, ms->t.open[i].idx);
        fw_ckpt_put(w, &m->global, sizeof m->global);
        fw_ckpt_put(w, &m->quality, sizeof m->quality);
        fw_ckpt_put_u64(w, m->countries != NULL);
        if (m->countries)
            fw_ckpt_put(w, m->countries, FW_COUNTRY_SLOTS * sizeof *m->countries);
        fw_ckpt_put_u64(w, m->ports.cap);
        fw_ckpt_put_u64(w, m->ports.n);
        fw_ckpt_put_u64(w, m->ports.dropped);
        fw_ckpt_put(w, m->ports.key, m->ports.cap * sizeof *m->ports.key);
        fw_ckpt_put(w, m->ports.val, m->ports.cap * sizeof *m->ports.val);
        fw_distinct_save(&m->sources, w);
        fw_ckpt_put_u64(w, m->dst.len);
        size_t it = 0;
        const fw_addr *key;
        const fw_minute_dst *d;
        while ((d = fw_amap_next(&m->dst, &it, &key))) {
            fw_ckpt_put(w, key, sizeof *key);
            fw_ckpt_put(w, &d->c, sizeof d->c);
            fw_distinct_save(&d->sources, w);
        }
        fw_ckpt_put_u64(w, m->src.len);
        it = 0;
        const fw_counts *c;
        while ((c = fw_amap_next(&m->src, &it, &key))) {
            fw_ckpt_put(w, key, sizeof *key);
            fw_ckpt_put(w, c, sizeof *c);
        }
    }
}

void fw_minutes_load(fw_minutes *ms, fw_ckpt_reader *r)
{
    int64_t next = fw_ckpt_get_i64(r);
    uint64_t n = fw_ckpt_get_u64(r);
    for (uint64_t i = 0; i < n && !r->err; i++) {
        int64_t idx = fw_ckpt_get_i64(r);
        fw_minute *m = fw_tumbler_bucket(&ms->t, idx * ms->t.period_us);
        if (!m) {
            r->err = 1;
            return;
        }
        fw_ckpt_get(r, &m->global, sizeof m->global);
        fw_ckpt_get(r, &m->quality, sizeof m->quality);
        if (fw_ckpt_get_u64(r)) {
            m->countries = fw_xcalloc(FW_COUNTRY_SLOTS, sizeof *m->countries);
            fw_ckpt_get(r, m->countries, FW_COUNTRY_SLOTS * sizeof *m->countries);
        }
        uint64_t cap = fw_ckpt_get_u64(r), np = fw_ckpt_get_u64(r);
        m->ports.dropped = fw_ckpt_get_u64(r);
        /* A table is empty or a power of two of at least PORTS_FIRST slots,
         * at most FW_PORTS_SLOTS, and at most 3/4 full. */
        if (cap > FW_PORTS_SLOTS || (cap && (cap < PORTS_FIRST || (cap & (cap - 1)))) ||
            np * 4 > cap * 3) {
            r->err = 1;
            return;
        }
        if (cap) {
            m->ports.cap = (uint32_t)cap;
            m->ports.n = (uint32_t)np;
            m->ports.key = fw_xcalloc(cap, sizeof *m->ports.key);
            m->ports.val = fw_xcalloc(cap, sizeof *m->ports.val);
            fw_ckpt_get(r, m->ports.key, cap * sizeof *m->ports.key);
            fw_ckpt_get(r, m->ports.val, cap * sizeof *m->ports.val);
        }
        fw_distinct_load(&m->sources, r);
        uint64_t nd = fw_ckpt_get_u64(r);
        for (uint64_t k = 0; k < nd && !r->err; k++) {
            fw_addr key;
            fw_ckpt_get(r, &key, sizeof key);
            fw_minute_dst *d = fw_amap_upsert(&m->dst, &key, NULL);
            fw_ckpt_get(r, &d->c, sizeof d->c);
            fw_distinct_load(&d->sources, r);
        }
        uint64_t ns = fw_ckpt_get_u64(r);
        for (uint64_t k = 0; k < ns && !r->err; k++) {
            fw_addr key;
            fw_ckpt_get(r, &key, sizeof key);
            fw_ckpt_get(r, fw_amap_upsert(&m->src, &key, NULL), sizeof(fw_counts));
        }
    }
    ms->t.next_open_idx = next;
}
