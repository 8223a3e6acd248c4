/* minute.c - tumbling per-minute aggregates (see minute.h). */
#include <stdlib.h>
#include <string.h>

#include "core/ckpt.h"
#include "core/log.h"
#include "core/topk.h"
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

fw_addr fw_minute_port_key(uint8_t proto, uint16_t port)
{
    fw_addr k;
    memset(&k, 0, sizeof k);
    k.b[13] = proto;
    k.b[14] = (uint8_t)(port >> 8);
    k.b[15] = (uint8_t)port;
    return k;
}

void fw_minute_port_of(const fw_addr *key, uint8_t *proto, uint16_t *port)
{
    *proto = key->b[13];
    *port = (uint16_t)(key->b[14] << 8 | key->b[15]);
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
    fw_topk_init(&m->ports, FW_MINUTE_PORTS);
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
    size_t it = 0;
    fw_minute_dst *d;
    while ((d = fw_amap_next(&m->dst, &it, NULL)))
        fw_distinct_destroy(&d->sources);
    fw_amap_destroy(&m->dst);
    fw_amap_destroy(&m->src);
    fw_distinct_destroy(&m->sources);
    fw_topk_destroy(&m->ports);
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
    fw_addr pk = fw_minute_port_key(f->proto, f->dst_port);
    fw_topk_add(&m->ports, &pk, 1, f->bytes_sent, f->pkts_sent);
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
        fw_ckpt_put_u64(w, m->ports.n);
        fw_ckpt_put_u64(w, m->ports.evictions);
        fw_ckpt_put(w, m->ports.heap, m->ports.n * sizeof *m->ports.heap);
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
        uint64_t np = fw_ckpt_get_u64(r), ev = fw_ckpt_get_u64(r);
        if (np > FW_MINUTE_PORTS) {
            r->err = 1;
            return;
        }
        for (uint64_t k = 0; k < np && !r->err; k++) {
            fw_topk_entry e;
            fw_ckpt_get(r, &e, sizeof e);
            fw_topk_add(&m->ports, &e.key, e.count, e.bytes, e.packets);
        }
        m->ports.evictions = ev;
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
