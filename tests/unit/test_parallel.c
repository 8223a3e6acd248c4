/* test_parallel.c - decoding a file on several threads gives what one gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <xxhash.h>

#include "input/parallel.h"
#include "input/source.h"

#define RANGE FW_PAR_RANGE_BYTES

static const char header[] =
    "timestamp,source_ip,dest_ip,source_port,dest_port,protocol,packet_size,ttl,flags,"
    "response_time_ms,country,service,bytes_sent,bytes_received,packets_sent,"
    "packets_received,session_id,is_attack,attack_type,http_method,uri_path,status_code,"
    "user_agent\n";

struct buf {
    char *p;
    size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

/* One row; every 97th has an empty country and every 1000th a bad address,
 * so empty-field counts and quarantine faults vary along the file. */
static void put_row(struct buf *b, unsigned i, const char *eol)
{
    char row[256];
    int n = snprintf(row, sizeof row,
                     "2026-01-01T%02u:%02u:%02u.%06u,%s.%u.%u,10.0.1.7,%u,80,TCP,60,64,SYN,1.5,%s,"
                     "HTTP,60,0,1,0,,False,,GET,/,200,ua-%u%s",
                     i / 3600000 % 24, i / 60000 % 60, i / 1000 % 60, i % 1000 * 1000,
                     i % 1000 == 5 ? "300" : "10", i / 256 % 256, i % 256, 1024 + i % 60000,
                     i % 97 ? "US" : "", i, eol);
    put(b, row, (size_t)n);
}

static char *write_tmp(const struct buf *b)
{
    char *path = strdup("/tmp/fw-test-par-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b->p, b->n), (ssize_t)b->n);
    close(fd);
    return path;
}

struct seen {
    uint64_t line, hash, faults;
    int64_t ts_us;
};

struct result {
    struct seen *s;
    size_t n;
    uint64_t blank;
    uint64_t empty[FW_COL_COUNT];
};

/* The post hook used by read_batches: what it saw of a range. */
struct post_seen {
    size_t n;
    uint64_t digest; /* of each record's relative line, time and faults, in order */
};

static uint64_t mix(uint64_t d, const fw_record *rec)
{
    uint64_t v[3] = {rec->line, (uint64_t)rec->flow.ts_us, rec->faults};
    return XXH3_64bits_withSeed(v, sizeof v, d);
}

static void post_run(void *ctx, const fw_record *recs, size_t n, void **state)
{
    struct post_seen *ps = *state;
    if (!ps)
        *state = ps = calloc(1, sizeof *ps);
    assert_non_null(ps);
    ps->n = n;
    ps->digest = 0;
    for (size_t k = 0; k < n; k++)
        ps->digest = mix(ps->digest, &recs[k]);
    atomic_fetch_add((_Atomic int *)ctx, 1); /* from the decoding threads */
}

static void append(struct result *r, size_t *cap, const fw_record *rec, uint64_t line)
{
    if (r->n == *cap) {
        *cap = *cap ? 2 * *cap : 4096;
        r->s = realloc(r->s, *cap * sizeof *r->s);
        assert_non_null(r->s);
    }
    r->s[r->n++] = (struct seen){line, XXH3_64bits(rec->raw, rec->raw_n), rec->faults,
                                 rec->flow.ts_us};
}

/* batches: read with fw_source_next_batch and a post hook, checking that a
 * batch's post state covers exactly its records; *with_post counts the
 * batches that had one. */
static struct result read_all(const char *path, unsigned threads, bool batches, size_t *with_post)
{
    char err[256];
    fw_source *src = fw_source_open(path, err, sizeof err);
    assert_non_null(src);
    _Atomic int runs = 0;
    if (batches) {
        fw_post post = {.run = post_run, .free_state = free, .ctx = (void *)&runs};
        fw_source_set_post(src, &post);
    }
    assert_int_equal(fw_source_set_threads(src, threads, err, sizeof err), 0);
    struct result r = {0};
    size_t cap = 0;
    int rc;
    if (batches) {
        fw_batch bt;
        *with_post = 0;
        while ((rc = fw_source_next_batch(src, &bt, err, sizeof err)) == 1) {
            assert_true(bt.n > 0);
            if (bt.post) {
                const struct post_seen *ps = bt.post;
                uint64_t d = 0;
                for (size_t k = 0; k < bt.n; k++)
                    d = mix(d, &bt.recs[k]);
                assert_int_equal(ps->n, bt.n);
                assert_int_equal(ps->digest, d);
                ++*with_post;
            }
            for (size_t k = 0; k < bt.n; k++)
                append(&r, &cap, &bt.recs[k], bt.recs[k].line + bt.line_base);
        }
    } else {
        fw_record rec;
        while ((rc = fw_source_next(src, &rec, err, sizeof err)) == 1)
            append(&r, &cap, &rec, rec.line);
    }
    assert_int_equal(rc, 0);
    r.blank = fw_source_blank_lines(src);
    memcpy(r.empty, fw_source_empty(src), sizeof r.empty);
    fw_source_close(src);
    if (batches && threads < 2)
        assert_int_equal(runs, 0); /* one thread: no hook, record by record */
    return r;
}

/* Threads 2, 3 and 5 hand out the same records, line numbers, raw text,
 * faults, blank lines and empty-field counts as one thread, one by one or
 * in batches with a post hook.  Returns how many batches on 2 threads had
 * the hook's state. */
static size_t check_same(const struct buf *b, size_t expect_records)
{
    char *path = write_tmp(b);
    size_t none;
    struct result one = read_all(path, 1, false, &none);
    assert_int_equal(one.n, expect_records);
    static const unsigned threads[] = {1, 2, 3, 5};
    size_t posted2 = 0;
    for (size_t t = 0; t < 2 * sizeof threads / sizeof *threads; t++) {
        bool batches = t % 2;
        size_t posted = 0;
        struct result r = read_all(path, threads[t / 2], batches, &posted);
        if (batches && threads[t / 2] == 2)
            posted2 = posted;
        assert_int_equal(r.n, one.n);
        for (size_t i = 0; i < r.n; i++) {
            assert_int_equal(r.s[i].line, one.s[i].line);
            assert_int_equal(r.s[i].hash, one.s[i].hash);
            assert_int_equal(r.s[i].faults, one.s[i].faults);
            assert_int_equal(r.s[i].ts_us, one.s[i].ts_us);
        }
        assert_int_equal(r.blank, one.blank);
        assert_memory_equal(r.empty, one.empty, sizeof r.empty);
        free(r.s);
    }
    free(one.s);
    unlink(path);
    free(path);
    return posted2;
}

/* A clean file over several ranges, with blank lines and CR LF line ends
 * along it (some right at a range's nominal cut), so line numbers must be
 * carried from range to range. */
static void test_ranges_line_numbers(void **state)
{
    (void)state;
    struct buf b = {0};
    put(&b, header, sizeof header - 1);
    unsigned i = 0;
    size_t cut = sizeof header - 1 + RANGE;
    while (b.n < 3 * RANGE + RANGE / 2) {
        put_row(&b, i, i % 5 == 0 ? "\r\n" : "\n");
        i++;
        if (i % 3001 == 0)
            put(&b, "\n", 1);
        if (b.n >= cut - 1) {
            /* A blank line just past the nominal cut. */
            put(&b, "\n\n", 2);
            cut += RANGE;
        }
    }
    /* 3.5 ranges: four, each one batch with the hook's state. */
    assert_int_equal(check_same(&b, i), 4);
    free(b.p);
}

/* A quoted field with a newline, placed so that its newline is the first
 * one at a range's nominal cut: the range before does not end cleanly and
 * reading must go on sequentially from there, with the same result. */
static void test_cut_inside_quotes(void **state)
{
    (void)state;
    struct buf b = {0};
    put(&b, header, sizeof header - 1);
    unsigned i = 0;
    /* Ranges are cut from the first data row on. */
    size_t cut = sizeof header - 1 + 2 * RANGE - 1;
    while (b.n + 400 < cut)
        put_row(&b, i++, "\n");
    /* Pad the quoted user agent so that its newline lands on the cut. */
    char row[512];
    int head = snprintf(row, sizeof row,
                        "2026-01-01T05:00:00.000000,10.9.9.9,10.0.1.7,999,80,TCP,60,64,SYN,1.5,US,"
                        "HTTP,60,0,1,0,,False,,GET,/,200,\"");
    size_t pad = cut - b.n - (size_t)head;
    put(&b, row, (size_t)head);
    for (size_t k = 0; k < pad; k++)
        put(&b, "a", 1);
    put(&b, "\nsecond line\"\n", 14);
    i++;
    while (b.n < 5 * RANGE)
        put_row(&b, i++, "\n");
    /* The first range, and the second less its last record, are a batch
     * each with the hook's state; from there on reading is sequential, one
     * record a batch. */
    assert_int_equal(check_same(&b, i), 2);
    free(b.p);
}

/* A file that ends without a newline, in its last range. */
static void test_no_final_newline(void **state)
{
    (void)state;
    struct buf b = {0};
    put(&b, header, sizeof header - 1);
    unsigned i = 0;
    while (b.n < RANGE + RANGE / 2)
        put_row(&b, i++, "\n");
    put_row(&b, i++, "");
    assert_int_equal(check_same(&b, i), 2);
    free(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges_line_numbers),
        cmocka_unit_test(test_cut_inside_quotes),
        cmocka_unit_test(test_no_final_newline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
