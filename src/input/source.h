/*
 * source.h - an input of flow records: a file or standard input.
 *
 * Opens the input, checks it is a readable regular file or a stream,
 * recognises its format from the header (the seed traffic-log CSV today),
 * and yields decoded records with the faults the decoder found.  Errors are
 * reported in a caller buffer, naming the file and, where it applies, the
 * line.
 */
#ifndef FW_SOURCE_H
#define FW_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "clean/reasons.h"
#include "core/flow.h"
#include "input/seedcsv.h"

typedef struct fw_source fw_source;

typedef struct fw_record {
    fw_flow flow;
    fw_faults faults;
    const char *raw; /* the record text; valid until the next call */
    size_t raw_n;
    uint64_t line;
    uint64_t hash;   /* fw_record_hash(raw) when already computed (parallel
                      * decoding, rows without quarantine faults), else 0 */
} fw_record;

/* Decode a CSV row into rec: faults (a NUL byte in the text is
 * csv_malformed), flow, raw text and line; hash 0.  empty as fw_seed_decode. */
void fw_record_decode(fw_record *rec, const fw_seed_schema *schema, const fw_csv_row *row,
                      uint64_t empty[FW_COL_COUNT]);
/* Read and decode the next row of csv: 1 and a record, 0 at the end, -1 on
 * a read error (message naming name in err). */
int fw_record_read(fw_csv *csv, const char *name, const fw_seed_schema *schema,
                   uint64_t empty[FW_COL_COUNT], fw_record *rec, char *err, size_t errn);

/* Open path ("-" for standard input).  Returns NULL with a message in err. */
fw_source *fw_source_open(const char *path, char *err, size_t errn);
/* Open over a memory buffer (tests, fuzzing).  name is used in messages. */
fw_source *fw_source_open_mem(const char *buf, size_t n, const char *name, char *err, size_t errn);
void fw_source_close(fw_source *s);

/* 1 and a record, 0 at the end, -1 on a read error (message in err).  Read
 * a source either this way or in batches (below), not both. */
int fw_source_next(fw_source *s, fw_record *rec, char *err, size_t errn);

/*
 * Reading in batches (the hot loops of batch and the stream replay): the
 * records of one decoded range at a time.  With several threads, work the
 * consumer would do per record can run on the thread that decoded the
 * range instead: post->run(ctx, recs, n, &state) gets the range's records
 * (lines counted from its start, as in fw_batch) and leaves its results in
 * state, its own per-range memory (NULL the first time, kept with the
 * range's buffers after and freed with post->free_state).  The batch then
 * carries that state.  A batch without it (one thread, standard input, the
 * sequential fallback after a quoted field across a range's end) must be
 * handled record by record.
 */
typedef struct fw_post {
    void (*run)(void *ctx, const fw_record *recs, size_t n, void **state);
    void (*free_state)(void *state);
    void *ctx;
} fw_post;

typedef struct fw_batch {
    const fw_record *recs; /* valid until the next call */
    size_t n;
    uint64_t line_base;    /* a record's line is recs[i].line + line_base */
    void *post;            /* the post hook's state for exactly these records, or NULL */
} fw_batch;

/* Record k of a batch, with its line made absolute. */
static inline fw_record fw_batch_record(const fw_batch *b, size_t k)
{
    fw_record rec = b->recs[k];
    rec.line += b->line_base;
    return rec;
}

/* Set before fw_source_set_threads; post is copied. */
void fw_source_set_post(fw_source *s, const fw_post *post);
/* 1 and a batch of one or more records, 0 at the end, -1 on a read error. */
int fw_source_next_batch(fw_source *s, fw_batch *b, char *err, size_t errn);

/* Decode a regular file's remaining rows on nthreads threads (> 1), handed
 * out in file order, identical to a sequential read.  A no-op (returning 0)
 * for standard input or memory; -1 with a message if threads cannot start. */
int fw_source_set_threads(fw_source *s, unsigned nthreads, char *err, size_t errn);

/* Live input: call idle(ctx) every timeout_ms without input. */
void fw_source_set_idle(fw_source *s, int timeout_ms, void (*idle)(void *ctx), void *ctx);

const fw_seed_schema *fw_source_schema(const fw_source *s);
/* Empty-field counts per column, over every data row read. */
const uint64_t *fw_source_empty(const fw_source *s);
uint64_t fw_source_offset(const fw_source *s);
/* Blank lines skipped so far (not records, so not in rows_read). */
uint64_t fw_source_blank_lines(const fw_source *s);
/* Input size in bytes, 0 if unknown (a pipe). */
uint64_t fw_source_size(const fw_source *s);
const char *fw_source_name(const fw_source *s);

#endif
