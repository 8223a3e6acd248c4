/*
 * watermark.h - event-time progress.
 *
 * watermark = highest event time seen - allowed out-of-orderness.  Buckets
 * end when the watermark passes them.  A bounded input (batch) may hold the
 * watermark back entirely (FW_WM_HOLD) and close everything at its end,
 * which is how one engine serves a shuffled file and a live stream.
 */
#ifndef FW_WATERMARK_H
#define FW_WATERMARK_H

#include <stdint.h>

#define FW_WM_NONE INT64_MIN
#define FW_WM_HOLD INT64_MAX /* out-of-orderness that never lets the watermark move */

typedef struct fw_watermark {
    int64_t max_ts_us;    /* highest event time seen, FW_WM_NONE before any */
    int64_t ooo_us;       /* allowed out-of-orderness, or FW_WM_HOLD */
} fw_watermark;

static inline void fw_wm_init(fw_watermark *w, int64_t ooo_us)
{
    w->max_ts_us = FW_WM_NONE;
    w->ooo_us = ooo_us;
}

static inline void fw_wm_observe(fw_watermark *w, int64_t ts_us)
{
    if (ts_us > w->max_ts_us)
        w->max_ts_us = ts_us;
}

static inline int64_t fw_wm_value(const fw_watermark *w)
{
    if (w->max_ts_us == FW_WM_NONE || w->ooo_us == FW_WM_HOLD)
        return FW_WM_NONE;
    return w->max_ts_us - w->ooo_us;
}

#endif
