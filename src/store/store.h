/*
 * store.h - the SQLite store: runs, quarantine, data-quality counters,
 * per-minute aggregates and (optionally) cleaned flows.
 *
 * One run is written in one transaction.  A new database file is built
 * under a temporary name and renamed into place on commit; an existing one
 * gets a transaction that a failure rolls back.  Either way a failed run
 * leaves no half-written data.  The schema is in docs/schema.md; its version
 * is in meta('schema_version'), and opening a database of another version
 * or another program is refused with a message.
 */
#ifndef FW_STORE_H
#define FW_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "clean/clean.h"
#include "core/flow.h"
#include "input/seedcsv.h"
#include "stream/minute.h"

#define FW_SCHEMA_VERSION 3

typedef struct fw_store fw_store;

/* Open or create path and begin a run.  Returns NULL with a message. */
fw_store *fw_store_open(const char *path, const char *mode, const char *input,
                        const char *options_json, char *err, size_t errn);
/* The same for a long-running run: in_place opens (or creates) the file
 * directly in WAL mode, to commit at checkpoints with fw_store_commit_point;
 * resume_run > 0 continues that run instead of starting a new one, and
 * recreates it if the store never committed it (a stream killed between its
 * first checkpoint and its first commit). */
fw_store *fw_store_open_run(const char *path, const char *mode, const char *input,
                            const char *options_json, bool in_place, int64_t resume_run,
                            char *err, size_t errn);
int64_t fw_store_run_id(const fw_store *s);
/* Commit what was written so far and go on in a new transaction. */
int fw_store_commit_point(fw_store *s, char *err, size_t errn);
/* Upsert an incident (by id) and its event (by id, event, event time). */
int fw_store_incident(fw_store *s, json_t *event);

int fw_store_quarantine(fw_store *s, uint64_t line, fw_faults reasons, const char *raw,
                        size_t raw_n);
int fw_store_minute(fw_store *s, const fw_minute *m);
int fw_store_flow(fw_store *s, const fw_flow *f);
/* Record the run's totals and data-quality counters. */
int fw_store_finish_run(fw_store *s, const fw_clean_stats *st, const uint64_t empty[FW_COL_COUNT],
                        const fw_seed_schema *schema, int64_t first_us, int64_t last_us,
                        uint64_t blank_lines);

/* Commit and close; returns 0, or -1 with a message (and nothing written). */
int fw_store_commit(fw_store *s, char *err, size_t errn);
/* Roll back and close; a new file is removed. */
void fw_store_abort(fw_store *s);
/* The last SQLite error, for messages after a failed call. */
const char *fw_store_errmsg(const fw_store *s);

#endif
