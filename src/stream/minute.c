/* minute.c - tumbling per-minute aggregates (see minute.h). */
#include <stdlib.h>
#include <string.h>

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
    size_t it = 0;
    fw_minute_dst *d;
    while ((d = fw_amap_next(&m->dst, &it, NULL)))
        fw_distinct_destroy(&d->sources);
    fw_amap_destroy(&m->dst);
    fw_amap_destroy(&m->src);
    fw_distinct_destroy(&m->sources);
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

int fw_minutes_add(fw_minutes *ms, const fw_flow *f)
{
    fw_minute *m = fw_tumbler_bucket(&ms->t, f->ts_us);
    if (!m)
        return -1;
    uint64_t hs = fw_addr_mix(&f->src);
    fw_counts_add(&m->global, f);
    fw_minute_dst *d = fw_amap_upsert(&m->dst, &f->dst, NULL);
    fw_counts_add(&d->c, f);
    fw_distinct_add(&d->sources, hs);
    if (ms->per_source)
        fw_counts_add(fw_amap_upsert(&m->src, &f->src, NULL), f);
    else
        fw_distinct_add(&m->sources, hs);
    return 0;
}

uint64_t fw_minute_sources(const fw_minute *m)
{
    return m->per_source ? m->src.len : fw_distinct_count(&m->sources);
}

void fw_minutes_advance(fw_minutes *m, int64_t watermark_us) { fw_tumbler_advance(&m->t, watermark_us); }

void fw_minutes_flush(fw_minutes *m) { fw_tumbler_flush(&m->t); }
