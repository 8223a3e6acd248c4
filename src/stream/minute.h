/*
 * minute.h - tumbling per-minute aggregates: global, per destination, per
 * source.  These feed the store's agg_minute* tables and the summary.
 *
 * Built on fw_tumbler (60 s buckets): a minute is emitted, in time order,
 * when the watermark passes its end or the bounded input ends.  Distinct
 * counts are exact up to FW_DISTINCT_EXACT_MAX per key and HyperLogLog
 * estimates past it (the *_exact flags say which).
 */
#ifndef FW_MINUTE_H
#define FW_MINUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/amap.h"
#include "core/distinct.h"
#include "core/flow.h"
#include "stream/tumbler.h"

typedef struct fw_counts {
    uint64_t events;
    uint64_t bytes;      /* bytes_sent: toward the destination */
    uint64_t bytes_recv;
    uint64_t packets;    /* pkts_sent */
    uint64_t syn_only;   /* TCP events whose flags are exactly SYN */
    uint64_t tcp, udp, icmp, other;
    uint64_t labelled;   /* events labelled is_attack in the input */
    uint64_t repaired;   /* accepted rows that needed a repair */
} fw_counts;

/* Per-minute data quality beyond the accepted rows' counters: rows that can
 * be placed in the minute (their timestamp parsed) but were not accepted. */
typedef struct fw_minute_quality {
    uint64_t quarantined;
    uint64_t duplicates;
} fw_minute_quality;

/* Countries: 26 x 26 two-letter codes and one slot for unknown. */
#define FW_COUNTRY_SLOTS (26 * 26 + 1)
#define FW_COUNTRY_UNKNOWN (26 * 26)

typedef struct fw_country_counts {
    uint64_t events, bytes, labelled;
} fw_country_counts;

/* Destination (protocol, port) pairs: counted exactly per minute, up to
 * FW_PORTS_TRACKED pairs (more are counted as dropped), and the
 * FW_MINUTE_PORTS heaviest written when the minute closes. */
#define FW_MINUTE_PORTS 256
#define FW_PORTS_SLOTS 8192
#define FW_PORTS_TRACKED (FW_PORTS_SLOTS / 4 * 3)

typedef struct fw_port_count {
    uint64_t events, bytes, packets;
} fw_port_count;

typedef struct fw_port_table {
    uint32_t *key;           /* (proto << 16 | port) + 1, 0 = empty */
    fw_port_count *val;
    uint32_t cap, n;
    uint64_t dropped;        /* events of pairs past FW_PORTS_TRACKED */
} fw_port_table;

/* One written pair of a closed minute. */
typedef struct fw_port_row {
    uint8_t proto;
    uint16_t port;
    fw_port_count c;
} fw_port_row;

/* The heaviest pairs of a table, by events (ties by protocol, port), at most
 * max of them, into out.  Returns how many.  O(n log n). */
size_t fw_port_table_top(const fw_port_table *t, fw_port_row *out, size_t max);
/* Whether every pair of the minute is among its written ones. */
static inline bool fw_port_table_complete(const fw_port_table *t)
{
    return !t->dropped && t->n <= FW_MINUTE_PORTS;
}

/* Add one flow to a set of counters. */
void fw_counts_add(fw_counts *c, const fw_flow *f);

/* Per-destination state of one minute (value of minute.dst). */
typedef struct fw_minute_dst {
    fw_counts c;
    fw_distinct sources;
} fw_minute_dst;

/* One closed minute, as handed to the emit callback (read-only there). */
typedef struct fw_minute {
    int64_t start_us;
    fw_counts global;
    fw_distinct sources;   /* distinct sources, kept only without per-source rows */
    fw_amap dst;           /* fw_addr -> fw_minute_dst */
    fw_amap src;           /* fw_addr -> fw_counts (if per_source) */
    bool per_source;
    fw_minute_quality quality;
    fw_country_counts *countries; /* FW_COUNTRY_SLOTS, allocated on first use */
    fw_port_table ports;   /* destination (protocol, port) pairs */
} fw_minute;

typedef void (*fw_minute_emit_fn)(void *ctx, const fw_minute *m);

typedef struct fw_minutes {
    fw_tumbler t;
    fw_minute_emit_fn emit;
    void *ctx;
    bool per_source; /* keep per-source rows (memory grows with sources) */
    bool hand_over;  /* emit takes the minute: it frees it with fw_minute_free */
} fw_minutes;

/* Free a minute handed over by emit (fw_minutes.hand_over). */
void fw_minute_free(fw_minute *m);

void fw_minutes_init(fw_minutes *m, bool per_source, fw_minute_emit_fn emit, void *ctx);
/* Flush (emitting every open minute) and free. */
void fw_minutes_destroy(fw_minutes *m);
/* Add a flow; returns -1 if its minute already closed (late), else 0. */
int fw_minutes_add(fw_minutes *m, const fw_flow *f, bool repaired);
/* Count a quarantined row (whose timestamp parsed) or a duplicate in its
 * minute, if that minute is open. */
void fw_minutes_note(fw_minutes *m, int64_t ts_us, bool duplicate);

/* The slot of a country code (two letters, or NULs for unknown). */
unsigned fw_country_slot(const char code[2]);
/*
 * Two-stage aggregation: add a minute aggregated apart (a slice of the same
 * minute's flows, with no flow in both) into another.  Counters add, maps
 * and distinct counts merge (exactly: a sketch's registers take their
 * maximum), so the result is what one pass over both slices gives, except
 * for the (protocol, port) pairs past FW_PORTS_TRACKED, which depend on
 * the order pairs were first seen: then it returns -1 and the caller
 * recounts the ports over all the minute's flows in order with
 * fw_minute_ports_recount.  Returns 0 otherwise.  O(entries of from).
 */
int fw_minute_merge(fw_minute *into, const fw_minute *from);
/* Count the ports of n accepted flows, in order, in m's table; restart
 * empties the table first.  O(n). */
void fw_minute_ports_recount(fw_minute *m, const fw_flow *const *f, size_t n, bool restart);
void fw_minutes_advance(fw_minutes *m, int64_t watermark_us);
void fw_minutes_flush(fw_minutes *m);

struct fw_ckpt_writer;
struct fw_ckpt_reader;
/* Save and restore the open minutes (restore into a fresh fw_minutes). */
void fw_minutes_save(const fw_minutes *m, struct fw_ckpt_writer *w);
void fw_minutes_load(fw_minutes *m, struct fw_ckpt_reader *r);

/* Distinct sources and destinations of a minute.  The per-destination map
 * holds every destination and, with per-source rows, the per-source map
 * every source, so their sizes are the exact counts; without per-source
 * rows the sources come from a sketch. */
uint64_t fw_minute_sources(const fw_minute *m);
static inline uint64_t fw_minute_dests(const fw_minute *m) { return m->dst.len; }

#endif
