/*
 * incident.h - incidents: signals grouped per entity, with a lifecycle of
 * start, update and end events (docs/incidents.md).
 *
 * Rules report signals (a type, an entity, what was observed against which
 * threshold).  Signals for the same entity while an incident is open join
 * it; an incident ends after `cooldown` seconds of event time without a
 * signal.  Evidence (top sources and ports, protocols, victims, volume) is
 * gathered from the flows toward (or from) the entity while it is open.
 * Events are handed to a callback as JSON objects owned by the manager
 * (valid during the call).  Everything is decided in event time.
 */
#ifndef FW_INCIDENT_H
#define FW_INCIDENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/amap.h"
#include "core/flow.h"
#include "core/topk.h"
#include "detect/config.h"

#define FW_INCIDENT_TYPES(X)                                                                       \
    X(VOLUMETRIC, "volumetric", 0)                                                                 \
    X(PORT_SCAN, "port_scan", 1)                                                                   \
    X(HTTP_FLOOD, "http_flood", 2)                                                                 \
    X(UDP_FLOOD, "udp_flood", 3)                                                                   \
    X(AMPLIFICATION, "amplification", 4)                                                           \
    X(SYN_FLOOD, "syn_flood", 5)                                                                   \
    X(SLOWLORIS, "slowloris", 6)

/* Incident types; the third column is the precedence when several rules fire
 * for one entity in one pane (the most specific explanation wins). */
enum fw_itype {
#define X(id, name, prec) FW_IT_##id,
    FW_INCIDENT_TYPES(X)
#undef X
        FW_IT_COUNT
};

const char *fw_itype_name(enum fw_itype t);
int fw_itype_precedence(enum fw_itype t);

/* What a rule saw when it fired. */
typedef struct fw_signal {
    enum fw_itype type;
    const char *rule;          /* static rule name */
    bool by_source;            /* entity is a source (else a destination) */
    fw_addr addr;              /* the destination or source */
    int64_t pane_start_us;     /* the pane that crossed the threshold */
    double ratio;              /* observed / threshold, for severity and ties */
    unsigned nparams;
    struct {
        const char *name;
        double threshold, observed;
    } params[3];
    double pps, bps, eps;      /* packets, bits and flow records per second, over the rule's window */
    uint64_t unique_sources;   /* distinct sources in the window (0 for source rules) */
    uint64_t window_events;
    /* The newest flows toward the destination (evidence for a start event);
     * valid until the pane's tick. */
    const fw_addr *recent_src;
    const uint16_t *recent_port;
    unsigned nrecent;
} fw_signal;

typedef void (*fw_incident_emit_fn)(void *ctx, json_t *event);

typedef struct fw_incidents fw_incidents;

fw_incidents *fw_incidents_new(const fw_config *cfg, fw_incident_emit_fn emit, void *ctx);
void fw_incidents_free(fw_incidents *m);

/* A signal for the pane being closed; now_us is the event time of detection. */
void fw_incidents_signal(fw_incidents *m, const fw_signal *s, int64_t now_us);
/* Gather evidence from an accepted flow (cheap when nothing is open). */
void fw_incidents_observe(fw_incidents *m, const fw_flow *f);
/* The same split for callers that cache the lookup (the detector keeps it
 * in each destination's state): a generation that changes whenever an
 * incident opens or closes, the open incident of a destination's network
 * (-1 if none), and evidence for a flow toward it. */
uint64_t fw_incidents_generation(const fw_incidents *m);
int32_t fw_incidents_find_dst(const fw_incidents *m, const fw_addr *dst);
void fw_incidents_observe_dst(fw_incidents *m, int32_t pos, const fw_flow *f);
/* Evidence toward sources only (the destination part done as above). */
void fw_incidents_observe_src(fw_incidents *m, const fw_flow *f);
/* After a pane closed: end incidents quiet for the cooldown, emit updates. */
void fw_incidents_tick(fw_incidents *m, int64_t pane_end_us, int64_t now_us);
/* End every open incident (end of a bounded input). */
void fw_incidents_close_all(fw_incidents *m, int64_t now_us);

unsigned fw_incidents_open(const fw_incidents *m);
/* Whether a flood incident on the network of destination a is open, or
 * ended less than horizon_us before now_us. */
bool fw_incidents_dst_explains(const fw_incidents *m, const fw_addr *a, int64_t now_us,
                               int64_t horizon_us);
uint64_t fw_incidents_started(const fw_incidents *m);

/* The entity an address belongs to: a destination's network (/24, /64) or
 * the source itself; written as text ("10.0.1.0/24"). */
void fw_incident_entity(const fw_addr *a, bool by_source, fw_addr *key, char *text, size_t n);

/* Checkpoint support: serialise and restore the open incidents. */
struct fw_ckpt_writer;
struct fw_ckpt_reader;
int fw_incidents_save(const fw_incidents *m, struct fw_ckpt_writer *w);
int fw_incidents_load(fw_incidents *m, struct fw_ckpt_reader *r);

#endif
