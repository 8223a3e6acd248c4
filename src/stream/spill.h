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
/* Adding is over.  If the records did not fit the budget, write what is
 * still held to the file too and free the buffers, so that reading back
 * holds one bucket at a time rather than the budget; records that all fit
 * stay in memory.  0, or -1 with a message (writing the file). */
int fw_spill_settle(fw_spill *s, char *err, size_t errn);
/* The buckets, in time order: how many, and each one's start and size. */
size_t fw_spill_buckets(const fw_spill *s);
int64_t fw_spill_bucket_start(const fw_spill *s, size_t i);
uint64_t fw_spill_bucket_len(const fw_spill *s, size_t i);
/* Read bucket i's records, in the order they were added, into out (room
 * for fw_spill_bucket_len(s, i) records).  0, or -1 with a message. */
int fw_spill_read(fw_spill *s, size_t i, void *out, char *err, size_t errn);
/* Free bucket i's records held in memory (after reading them). */
void fw_spill_release(fw_spill *s, size_t i);
/* A caller's buffer for reading buckets back in time order, reused from
 * bucket to bucket (grown to the largest).  Zero-initialise it; free it
 * with fw_spill_sorted_free.  Each thread reading buckets needs its own. */
typedef struct fw_spill_sorted {
    void *recs;             /* the bucket's records, in the order added */
    const uint64_t *order;  /* their time order: record index in the low 32 bits */
    size_t len;             /* records in the bucket */
    uint64_t *keys_, *tmp_; /* private: sort keys */
    size_t cap_;            /* private: keys the key arrays hold */
    size_t rcap_;           /* private: records recs holds */
} fw_spill_sorted;

/* Read bucket i into out, free its copy in memory (fw_spill_release), and
 * order its records by the int64 microsecond time at byte offset time_off in
 * each: a stable LSD radix sort on the offset within the bucket, 11 bits a
 * pass, so equal times keep the order added.  The time must fall in the
 * bucket (bucket_us under 2^32 us).  O(n) per pass.  0, or -1 with a message
 * (a read error, or a bucket of more than 2^32 records).  A bucket held
 * wholly in memory is not copied: out takes its buffer. */
int fw_spill_read_sorted(fw_spill *s, size_t i, size_t time_off, fw_spill_sorted *out, char *err,
                         size_t errn);
void fw_spill_sorted_free(fw_spill_sorted *out);
/*
 * Records grouped by bucket on another thread, for the adding thread to
 * append a bucket's share in one copy (fw_spill_add_group) rather than one
 * record at a time into buckets at random.  Built in two passes over the
 * same records in the same order: fw_spill_group_count for each record's
 * time, fw_spill_group_layout, then fw_spill_group_place(g, k) for the k-th
 * counted record, to fill.  Stable: a bucket's records keep their order.
 * Zero-initialise; free with fw_spill_group_free.  Reused from batch to
 * batch without new allocation once grown.
 */
typedef struct fw_spill_run {
    int64_t idx;            /* bucket: time / bucket_us */
    size_t first, n;        /* records [first, first + n) of recs */
} fw_spill_run;

typedef struct fw_spill_group {
    size_t rec_size;
    int64_t bucket_us;
    size_t n, cap;          /* records counted, room in the arrays */
    int64_t *idx;           /* each counted record's bucket */
    uint32_t *pos;          /* and its place in recs, after the layout */
    char *recs;             /* the records, grouped by bucket */
    fw_spill_run *runs;     /* the buckets in time order, after the layout */
    size_t nruns, runs_cap;
    uint32_t *count;        /* private: counting by bucket */
    size_t count_cap;
} fw_spill_group;

void fw_spill_group_begin(fw_spill_group *g, int64_t bucket_us, size_t rec_size);
void fw_spill_group_count(fw_spill_group *g, int64_t ts_us);
void fw_spill_group_layout(fw_spill_group *g);
static inline void *fw_spill_group_place(const fw_spill_group *g, size_t k)
{
    return g->recs + (size_t)g->pos[k] * g->rec_size;
}
void fw_spill_group_free(fw_spill_group *g);
/* Append a group's records, as if added one by one in bucket order; add
 * `rebase` to the uint64 at byte fix_off of each copied record (line
 * numbers counted from a batch's start).  0, or -1 with a message. */
int fw_spill_add_group(fw_spill *s, const fw_spill_group *g, size_t fix_off, uint64_t rebase,
                       char *err, size_t errn);

/* Records added, and bytes written to the file. */
uint64_t fw_spill_count(const fw_spill *s);
uint64_t fw_spill_disk_bytes(const fw_spill *s);
/* Close the file and free. */
void fw_spill_free(fw_spill *s);

#endif
