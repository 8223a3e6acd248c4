/*
 * spill.h - fixed-size records partitioned by event-time bucket, held in
 * memory up to a budget and spilled to one temporary file past it.
 *
 * A bounded input shuffled over its whole span (the seed file) must be
 * aggregated minute by minute and seen in event-time order by the detector.
 * Holding every record would make memory grow with the file; instead each
 * record is appended to its bucket (one minute, say), and a later pass reads
 * one bucket at a time.
 *
 * Memory: each bucket keeps its newest records in a buffer; when the
 * buffers together would pass the budget, all of them are written to the
 * file as pieces (one 1 MiB staging buffer, so one write per MiB) and
 * freed.  A bucket's pieces are chained backwards on disk, so the index in
 * memory is one entry per bucket whatever the file's size.  The file is
 * unlinked as soon as it is created: nothing is left behind, even after a
 * crash.  An input that fits the budget never touches the disk.
 *
 * Threads: adding is single-threaded.  After the last add, fw_spill_read
 * and fw_spill_release may run on several threads at once, each on its own
 * bucket.
 */
#ifndef FW_SPILL_H
#define FW_SPILL_H

#include <stddef.h>
#include <stdint.h>

typedef struct fw_spill fw_spill;

/* A spill of records of rec_size bytes in buckets of bucket_us, holding at
 * most budget bytes in memory (besides the staging buffer and the index).
 * The file is made under $TMPDIR (or /tmp) when first needed.  Never NULL
 * (allocation failure aborts). */
fw_spill *fw_spill_new(int64_t bucket_us, size_t rec_size, size_t budget);
/* Room for one record in the bucket of ts_us, for the caller to fill
 * (rec_size bytes) before the next call.  NULL with a message naming the
 * file if spilling failed (disk full...). */
void *fw_spill_reserve(fw_spill *s, int64_t ts_us, char *err, size_t errn);
/* Append a copy of rec: fw_spill_reserve and a copy.  0, or -1. */
int fw_spill_add(fw_spill *s, int64_t ts_us, const void *rec, char *err, size_t errn);
/* The buckets, in time order: how many, and each one's start and size. */
size_t fw_spill_buckets(const fw_spill *s);
int64_t fw_spill_bucket_start(const fw_spill *s, size_t i);
uint64_t fw_spill_bucket_len(const fw_spill *s, size_t i);
/* Read bucket i's records, in the order they were added, into out (room
 * for fw_spill_bucket_len(s, i) records).  0, or -1 with a message. */
int fw_spill_read(fw_spill *s, size_t i, void *out, char *err, size_t errn);
/* Free bucket i's records held in memory (after reading them). */
void fw_spill_release(fw_spill *s, size_t i);
/* Order a bucket: keys[k] = (offset of record k within its bucket) << 32 | k;
 * a stable LSD radix sort on the high 32 bits, 11 bits a pass, skipping the
 * passes whose digit is the same in every key.  Returns keys or tmp (both
 * of n), whichever holds the result.  O(n) per pass. */
uint64_t *fw_spill_sort_keys(uint64_t *keys, uint64_t *tmp, size_t n);
/* Records added, and bytes written to the file. */
uint64_t fw_spill_count(const fw_spill *s);
uint64_t fw_spill_disk_bytes(const fw_spill *s);
/* Close the file and free. */
void fw_spill_free(fw_spill *s);

#endif
