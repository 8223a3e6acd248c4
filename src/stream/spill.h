/*
 * spill.h - flows spilled to temporary files by event-time bucket, then
 * replayed in event-time order.
 *
 * A bounded input shuffled over its whole span (the seed file) must be seen
 * in event-time order by the detector.  Holding every flow would make memory
 * grow with the file; instead each flow is appended to the file of its
 * one-minute bucket, and the replay reads one bucket at a time, sorts it
 * (stable: flows with equal times keep their arrival order) and hands the
 * flows out.  Memory: one bucket's flows plus the open files' buffers (at
 * most FW_SPILL_OPEN files are open at once).  The files live in a private
 * temporary directory, removed by fw_spill_free.
 */
#ifndef FW_SPILL_H
#define FW_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "core/flow.h"

#define FW_SPILL_OPEN 64

typedef struct fw_spill fw_spill;

/* A spill in a new directory under $TMPDIR (or /tmp).  NULL with a message. */
fw_spill *fw_spill_new(int64_t bucket_us, char *err, size_t errn);
/* Append a flow.  0, or -1 with a message (disk full...). */
int fw_spill_add(fw_spill *s, const fw_flow *f, char *err, size_t errn);
/* Hand every flow to fn in event-time order.  0, or -1 with a message. */
int fw_spill_replay(fw_spill *s, void (*fn)(void *ctx, const fw_flow *f), void *ctx, char *err,
                    size_t errn);
uint64_t fw_spill_count(const fw_spill *s);
/* Remove the files and free. */
void fw_spill_free(fw_spill *s);

#endif
