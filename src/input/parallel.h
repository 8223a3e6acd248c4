/*
 * parallel.h - decoding a file's rows on several threads, handed out in
 * file order.
 *
 * The file is cut into ranges of about 1 MiB, each beginning after a
 * newline; whoever decodes a range finds its cut with a short read there.
 * nthreads - 1 worker threads read and decode ranges (CSV split,
 * fw_seed_decode, the dedup hash), at most a few ranges ahead of the
 * consumer, who takes the records range by range in file order and, rather
 * than wait for a range, decodes one itself: the rest of the pipeline sees
 * exactly what a sequential read gives, and nthreads cores stay busy.
 * Line numbers are counted per range and made absolute as records are
 * handed out.
 * A boundary is trusted only if the range before it ends with a clean record
 * (its last record ends at a newline with no CSV error); otherwise, as with
 * stray quotes, reading falls back to the sequential reader from that record
 * on, so the result stays identical.  Memory: the ranges in flight (one per
 * thread and three ready), their bytes, decoded records and any post state
 * (see fw_post): about 2 MiB a range with the seed's rows, 1 MiB more with
 * the batch's post state.
 */
#ifndef FW_PARALLEL_H
#define FW_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

#include "input/seedcsv.h"
#include "input/source.h"

/* A range's nominal size. */
#define FW_PAR_RANGE_BYTES (1u << 20)

typedef struct fw_par fw_par;

/* Start nthreads workers on fd's bytes from offset start (the first data
 * row, line first_line - 1 lines already read).  empty accumulates the
 * empty-field counts of the rows handed out.  post (or NULL) runs on each
 * range's trusted records where it was decoded (see fw_post in source.h).
 * NULL with a message. */
fw_par *fw_par_start(int fd, const char *name, uint64_t size, uint64_t start, uint64_t lines_before,
                     const fw_seed_schema *schema, unsigned nthreads, uint64_t *empty,
                     const fw_post *post, char *err, size_t errn);
/* The next records in file order: the rest of the current range's trusted
 * records at once, with the post hook's state if it covers exactly them, or
 * one record of the sequential fallback.  1, 0 at the end, -1 on a read
 * error; the batch points into the reader's memory until the next call. */
int fw_par_next_batch(fw_par *p, fw_batch *b, char *err, size_t errn);
uint64_t fw_par_offset(const fw_par *p);
uint64_t fw_par_blank_lines(const fw_par *p);
/* Stop the workers and free everything. */
void fw_par_stop(fw_par *p);

#endif
