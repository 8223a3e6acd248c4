/* parallel.c - decoding a file on several threads, in file order (see parallel.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clean/clean.h"
#include "core/log.h"
#include "input/csv.h"
#include "input/parallel.h"

/* The ranges decoded or being decoded beyond the consumer's are at most one
 * per thread and three ready (fw_par.ahead): enough to keep both sides busy,
 * and what bounds the memory.  1 MiB rather than 2: with the batch's post
 * state (stream/prespill.h) a 2 MiB range held some 5 MiB, and on the 10x
 * file two threads peaked at 58 MiB with 2 MiB ranges (one ready), 50 MiB
 * with 1 MiB, as fast. */
#define RANGE_BYTES FW_PAR_RANGE_BYTES

struct range {
    uint64_t start, end;        /* bytes [start, end) of the file, set when decoded */
    uint64_t lines;             /* physical lines in it (line numbers are relative to it) */
    char *buf;                  /* the bytes */
    size_t buf_cap;             /* bytes buf can hold */
    fw_csv *csv;                /* kept open: a record's raw text may live in it */
    fw_record *recs;
    size_t nrec, cap;
    uint64_t empty[FW_COL_COUNT];
    uint64_t blank;
    int state;                  /* 0 waiting, 1 being decoded, 2 done */
    int err;                    /* errno of a failed read */
    bool clean_end;             /* its last record ends at a newline with no CSV error */
    bool stopped;               /* decoding stopped at its last record (over-long) */
    void *post;                 /* the post hook's state */
    size_t npost;               /* the records it covers (the trusted ones), or 0 */
    /* Where the last record began, and the counts before it: where a
     * sequential read takes over if the range does not end cleanly. */
    uint64_t last_off, last_line, last_blank;
};

struct fw_par {
    int fd;
    const char *name;
    const fw_seed_schema *schema;
    uint64_t start, size;       /* the data rows: bytes [start, size) */
    struct range *r;
    size_t nr;
    size_t next_take;           /* the next range to decode */
    size_t cur, pos;            /* the consumer: range and record */
    uint64_t line_base;         /* physical lines before range cur */
    pthread_t *th;
    unsigned nth;               /* threads started (the main thread's to join) */
    size_t ahead;               /* ranges decoded ahead of the consumer, at most */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    uint64_t *empty;            /* the source's empty-field counts */
    uint64_t blank;             /* blank lines of the ranges handed out */
    uint64_t offset;            /* bytes handed out (progress) */
    fw_post post;               /* run is NULL for none */
    fw_csv *seq;                /* sequential reader after an untrusted boundary */
    fw_record seq_rec;          /* its last record */
    /* Buffers of ranges handed out, for the next ranges to reuse: fresh
     * ones would be fresh pages each time (mmap, page faults, zeroing),
     * which doubled the system time of a two-thread run. */
    struct spare {
        char *buf;
        size_t buf_cap;
        fw_record *recs;
        size_t cap;
        void *post;
    } *spare;
    size_t nspare, spare_cap;
};

/* ---- cutting the file --------------------------------------------------- */

/*
 * Where range k begins: range 0 at the first data row, range k > 0 just
 * after the first newline at or after its nominal start (start + k *
 * RANGE_BYTES, minus one so that a newline right before it counts), or at
 * the end of the file if there is none.  So ranges are cut lazily, by
 * whoever decodes them, with a short read near each cut, instead of by a
 * serial pass over the whole file before any decoding can start.  A cut may
 * fall inside a quoted field that spans lines; the range before it then
 * does not end cleanly and reading goes sequential from there (next_range),
 * so the result is the same.  Returns 0, or an errno.
 */
static int boundary(const fw_par *p, size_t k, uint64_t *at)
{
    if (k == 0) {
        *at = p->start;
        return 0;
    }
    if (k >= p->nr) {
        *at = p->size;
        return 0;
    }
    char blk[4096];
    uint64_t off = p->start + (uint64_t)k * RANGE_BYTES - 1;
    while (off < p->size) {
        ssize_t got = pread(p->fd, blk, sizeof blk, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return got < 0 ? errno : EIO;
        const char *nl = memchr(blk, '\n', (size_t)got);
        if (nl) {
            *at = off + (uint64_t)(nl - blk) + 1;
            return 0;
        }
        off += (uint64_t)got;
    }
    *at = p->size;
    return 0;
}

/* ---- workers ------------------------------------------------------------ */

/* Whether a sequential read would give all of range k's records alike: if
 * it ends cleanly (or is the file's last); otherwise its last record is
 * read again sequentially (see next_range). */
static bool trust_all(const fw_par *p, const struct range *r, size_t k)
{
    return !r->stopped && (r->clean_end || k + 1 == p->nr);
}

static size_t trusted(const fw_par *p, const struct range *r, size_t k)
{
    return trust_all(p, r, k) || !r->nrec ? r->nrec : r->nrec - 1;
}

/* Cut, read and decode range k into r.  Runs on a worker or on the
 * consumer, without the lock. */
static void decode_range(fw_par *p, struct range *r, size_t k)
{
    int e = boundary(p, k, &r->start);
    if (!e)
        e = boundary(p, k + 1, &r->end);
    if (e) {
        r->err = e;
        return;
    }
    size_t n = (size_t)(r->end - r->start);
    if (n > r->buf_cap || !r->buf) {
        free(r->buf);
        r->buf_cap = n > RANGE_BYTES ? n : RANGE_BYTES + 4096;
        r->buf = fw_xmalloc(r->buf_cap);
    }
    size_t have = 0;
    while (have < n) {
        ssize_t got = pread(p->fd, r->buf + have, n - have, (off_t)(r->start + have));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            r->err = got < 0 ? errno : EIO;
            return;
        }
        have += (size_t)got;
    }
    r->csv = fw_csv_open_mem(r->buf, n, p->name, 0);
    fw_csv_set_position(r->csv, r->start, 0);
    fw_faults qmask = fw_quarantine_mask();
    fw_csv_row row;
    int last_error = 0;
    for (;;) {
        uint64_t off = fw_csv_offset(r->csv), line = fw_csv_line(r->csv);
        uint64_t blank = fw_csv_blank_lines(r->csv);
        if (fw_csv_next(r->csv, &row) != 1)
            break;
        r->last_off = off;
        r->last_line = line;
        r->last_blank = blank;
        if (r->nrec == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 16384;
            r->recs = fw_xrealloc(r->recs, r->cap * sizeof *r->recs);
        }
        fw_record *rec = &r->recs[r->nrec++];
        fw_record_decode(rec, p->schema, &row, r->empty);
        if (!(rec->faults & qmask))
            rec->hash = fw_record_hash(row.raw, row.raw_n);
        last_error = row.error;
        if (row.error == FW_CSV_ETOOLONG) {
            r->stopped = true; /* its raw head is in the reader's scratch: left to a sequential read */
            break;
        }
    }
    r->blank = fw_csv_blank_lines(r->csv);
    r->lines = fw_csv_line(r->csv);
    r->clean_end = !last_error && n && r->buf[n - 1] == '\n';
    if (p->post.run) {
        r->npost = trusted(p, r, k);
        p->post.run(p->post.ctx, r->recs, r->npost, &r->post);
    }
}

/* Add range r's empty-field counts before its last record to the source's:
 * its counts less the last record's, which is decoded again from its bytes.
 * Only the sequential fallback needs this, so no record pays for a snapshot
 * of the counts. */
static void add_empty_before_last(fw_par *p, const struct range *r)
{
    uint64_t last[FW_COL_COUNT] = {0};
    fw_csv *c = fw_csv_open_mem(r->buf + (r->last_off - r->start), (size_t)(r->end - r->last_off),
                                p->name, 0);
    fw_csv_row row;
    fw_record rec;
    if (fw_csv_next(c, &row) == 1)
        fw_record_decode(&rec, p->schema, &row, last);
    fw_csv_close(c);
    for (unsigned k = 0; k < FW_COL_COUNT; k++)
        p->empty[k] += r->empty[k] - last[k];
}

/* Take the next range, if the window allows one, and decode it: called with
 * the lock held, returns with it held.  Returns whether it decoded one. */
static bool take_and_decode(fw_par *p)
{
    if (p->stop || p->next_take >= p->nr || p->next_take >= p->cur + p->ahead)
        return false;
    size_t k = p->next_take++;
    struct range *r = &p->r[k];
    r->state = 1;
    if (p->nspare) {
        struct spare *sp = &p->spare[--p->nspare];
        r->buf = sp->buf;
        r->buf_cap = sp->buf_cap;
        r->recs = sp->recs;
        r->cap = sp->cap;
        r->post = sp->post;
    }
    pthread_mutex_unlock(&p->mu);
    decode_range(p, r, k);
    pthread_mutex_lock(&p->mu);
    r->state = 2;
    pthread_cond_broadcast(&p->cv);
    return true;
}

static void *worker(void *arg)
{
    fw_par *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop && p->next_take < p->nr) {
        if (!take_and_decode(p))
            pthread_cond_wait(&p->cv, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

fw_par *fw_par_start(int fd, const char *name, uint64_t size, uint64_t start, uint64_t lines_before,
                     const fw_seed_schema *schema, unsigned nthreads, uint64_t *empty,
                     const fw_post *post, char *err, size_t errn)
{
    fw_par *p = fw_xcalloc(1, sizeof *p);
    if (post)
        p->post = *post;
    p->fd = fd;
    p->name = name;
    p->schema = schema;
    p->empty = empty;
    p->offset = start;
    p->start = start;
    p->size = size;
    p->line_base = lines_before;
    p->nr = size > start ? (size_t)((size - start + RANGE_BYTES - 1) / RANGE_BYTES) : 0;
    p->r = fw_xcalloc(p->nr ? p->nr : 1, sizeof *p->r);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    /* Three ready beyond one per thread: the consumer spends part of its
     * time appending and writing the spill, and with fewer the workers
     * waited on the window (two threads: the replay's load 0.165 -> 0.145 s,
     * medians of 12; +7 MiB at the peak of batch on the 10x file). */
    p->ahead = (size_t)nthreads + 3; /* set before any worker reads it */
    p->spare_cap = p->ahead + 1;
    p->spare = fw_xcalloc(p->spare_cap, sizeof *p->spare);
    /* The consumer decodes too while it would wait (next_range), so
     * nthreads - 1 workers keep nthreads cores busy. */
    unsigned nworkers = nthreads > 1 ? nthreads - 1 : 1;
    p->th = fw_xcalloc(nworkers, sizeof *p->th);
    for (unsigned i = 0; i < nworkers; i++) {
        if (pthread_create(&p->th[i], NULL, worker, p)) {
            snprintf(err, errn, "%s: cannot start a decoding thread", name);
            fw_par_stop(p);
            return NULL;
        }
        p->nth++;
    }
    return p;
}

static void free_range(fw_par *p, struct range *r)
{
    fw_csv_close(r->csv);
    free(r->buf);
    free(r->recs);
    if (r->post)
        p->post.free_state(r->post);
    r->csv = NULL;
    r->buf = NULL;
    r->recs = NULL;
    r->post = NULL;
}

/* Keep a handed-out range's buffers for a later range, or free them if
 * enough are kept.  Called with the lock held. */
static void recycle(fw_par *p, struct range *r)
{
    if (p->nspare < p->spare_cap) {
        p->spare[p->nspare++] = (struct spare){r->buf, r->buf_cap, r->recs, r->cap, r->post};
        r->buf = NULL;
        r->recs = NULL;
        r->post = NULL;
    }
    free_range(p, r);
}

/* Stop and join the workers and free every range's buffers; safe to repeat. */
static void stop_workers(fw_par *p)
{
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->nth; i++)
        pthread_join(p->th[i], NULL);
    p->nth = 0;
    for (size_t k = 0; k < p->nr; k++)
        free_range(p, &p->r[k]);
}

/* Move to the current range's next trusted record: 1 with *rp set, 2 if
 * reading has gone sequential (p->seq), 0 at the end, -1 on an error.
 * Finished ranges are accounted for and recycled on the way. */
static int next_range(fw_par *p, struct range **rp, size_t *ntrusted, char *err, size_t errn)
{
    for (;;) {
        if (p->seq)
            return 2;
        if (p->cur >= p->nr)
            return 0;
        struct range *r = &p->r[p->cur];
        if (p->pos == 0) {
            /* Under the lock: it orders the worker's writes before our reads.
             * Rather than wait, decode a range ourselves: this one if nobody
             * has taken it yet, else one further on. */
            pthread_mutex_lock(&p->mu);
            while (r->state != 2)
                if (!take_and_decode(p))
                    pthread_cond_wait(&p->cv, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (r->err) {
            snprintf(err, errn, "%s: read error: %s", p->name, strerror(r->err));
            return -1;
        }
        size_t t = trusted(p, r, p->cur);
        if (p->pos < t) {
            *rp = r;
            *ntrusted = t;
            return 1;
        }
        if (!trust_all(p, r, p->cur)) {
            /* Read on sequentially from the last record, so the result is
             * what a sequential read gives. */
            uint64_t from = r->nrec ? r->last_off : r->start;
            uint64_t line = p->line_base + (r->nrec ? r->last_line : 0);
            if (r->nrec) {
                add_empty_before_last(p, r);
                p->blank += r->last_blank;
            }
            stop_workers(p);
            p->cur = p->nr;
            if (lseek(p->fd, (off_t)from, SEEK_SET) < 0) {
                snprintf(err, errn, "%s: cannot seek: %s", p->name, strerror(errno));
                return -1;
            }
            p->seq = fw_csv_open_fd(p->fd, p->name, 0);
            fw_csv_set_position(p->seq, from, line);
            continue;
        }
        /* Range done: account for it and move on. */
        for (unsigned c = 0; c < FW_COL_COUNT; c++)
            p->empty[c] += r->empty[c];
        p->blank += r->blank;
        p->offset = r->end;
        p->line_base += r->lines;
        pthread_mutex_lock(&p->mu);
        recycle(p, r);
        p->cur++;
        p->pos = 0;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
}

int fw_par_next_batch(fw_par *p, fw_batch *b, char *err, size_t errn)
{
    struct range *r;
    size_t t;
    int rc = next_range(p, &r, &t, err, errn);
    if (rc == 2) {
        *b = (fw_batch){.recs = &p->seq_rec, .n = 1};
        return fw_record_read(p->seq, p->name, p->schema, p->empty, &p->seq_rec, err, errn);
    }
    if (rc != 1)
        return rc;
    *b = (fw_batch){.recs = r->recs + p->pos, .n = t - p->pos, .line_base = p->line_base,
                    .post = p->pos == 0 && r->npost == t ? r->post : NULL};
    p->pos = t;
    return 1;
}

uint64_t fw_par_offset(const fw_par *p) { return p->seq ? fw_csv_offset(p->seq) : p->offset; }

uint64_t fw_par_blank_lines(const fw_par *p)
{
    return p->blank + (p->seq ? fw_csv_blank_lines(p->seq) : 0);
}

void fw_par_stop(fw_par *p)
{
    if (!p)
        return;
    stop_workers(p);
    fw_csv_close(p->seq);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    for (size_t k = 0; k < p->nspare; k++) {
        free(p->spare[k].buf);
        free(p->spare[k].recs);
        if (p->spare[k].post)
            p->post.free_state(p->spare[k].post);
    }
    free(p->spare);
    free(p->th);
    free(p->r);
    free(p);
}
