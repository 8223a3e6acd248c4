/*
 * detector.h - real-time detection: keyed window state and the rules.
 *
 * Flows are added in event time to 1 s panes of per-destination state (the
 * flood rules look at the last `window.short` panes) and to 10 s slots of
 * per-source state (the per-source rules look at `window.long`).  When the
 * watermark passes a pane's end, every key that had traffic in it is
 * evaluated against the rules (docs/detection.md); what fires goes to the
 * incident manager as a signal.  Window sums are taken over exactly the panes
 * of the window, so results do not depend on arrival order within the
 * allowed out-of-orderness.
 *
 * State is bounded: idle keys are swept out incrementally, and past the
 * memory cap new keys are not tracked (counted in untracked_events).
 */
#ifndef FW_DETECTOR_H
#define FW_DETECTOR_H

#include <stdint.h>

#include "core/flow.h"
#include "detect/config.h"
#include "detect/incident.h"

typedef struct fw_detector fw_detector;

typedef struct fw_detector_stats {
    uint64_t events;            /* flows added */
    uint64_t late_events;       /* flows whose pane had already closed */
    uint64_t untracked_events;  /* flows not tracked because the state was full */
    uint64_t panes_closed;
    uint64_t signals;
    uint64_t suppressed;        /* source evaluations skipped: their victim has a flood incident */
    uint64_t evicted_keys;
    uint64_t dst_keys, src_keys, promoted;
    uint64_t state_bytes;
} fw_detector_stats;

fw_detector *fw_detector_new(const fw_config *cfg, fw_incidents *inc);
void fw_detector_free(fw_detector *d);

/* Add an accepted flow, and hand it to the incidents as evidence (so the
 * caller does not call fw_incidents_observe).  Returns -1 if its pane
 * already closed. O(1). */
int fw_detector_add(fw_detector *d, const fw_flow *f);
/* Close the panes the watermark has passed; now_us is the newest event time
 * (the detection time of what fires).  Cost: the keys active in the closed
 * panes, plus a bounded sweep. */
void fw_detector_advance(fw_detector *d, int64_t watermark_us, int64_t now_us);
/* Add a flow from an input in event-time order (a replay) and move the
 * watermark to its time less the allowed out-of-orderness: fw_detector_add
 * plus fw_detector_advance, the latter only when a pane can close. */
void fw_detector_feed(fw_detector *d, const fw_flow *f);
/* Close every pane (end of a bounded input). */
void fw_detector_flush(fw_detector *d, int64_t now_us);
void fw_detector_get_stats(const fw_detector *d, fw_detector_stats *st);

struct fw_ckpt_writer;
struct fw_ckpt_reader;
int fw_detector_save(const fw_detector *d, struct fw_ckpt_writer *w);
int fw_detector_load(fw_detector *d, struct fw_ckpt_reader *r);

#endif
