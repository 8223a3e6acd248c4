/*
 * decode_bench.c - the reader alone: CSV splitting, and with it the seed
 * decoder, over a file held in memory.
 *
 *   decode_bench FILE [RUNS]   read FILE (the seed CSV) into memory, then
 *                              RUNS times (default 15) split every record
 *                              (fw_csv_next) and, in a second loop, split and
 *                              decode it (fw_seed_decode); prints the best
 *                              time of each loop and the rows per second.
 *
 * No disk, no threads, no spill and no engine: the best of many short runs
 * of one loop is the figure this VM disturbs least, when whole-program wall
 * times drift by 10-40%.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "input/csv.h"
#include "input/seedcsv.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One pass over buf; returns its seconds, or -1 on a bad header. */
static double pass(const char *name, const char *buf, size_t n, int decode, uint64_t *rows,
                   uint64_t *sink)
{
    fw_csv *r = fw_csv_open_mem(buf, n, name, 0);
    fw_csv_row row;
    fw_seed_schema s;
    char err[512];
    uint64_t empty[FW_COL_COUNT] = {0};
    double t0 = now_s();
    if (fw_csv_next(r, &row) != 1 || fw_seed_schema_init(&s, &row, err, sizeof err)) {
        fprintf(stderr, "decode_bench: %s: %s\n", name, err[0] ? err : "no header");
        fw_csv_close(r);
        return -1;
    }
    uint64_t k = 0;
    fw_flow f;
    while (fw_csv_next(r, &row) == 1) {
        k++;
        *sink += row.nf;
        if (decode)
            *sink += fw_seed_decode(&s, &row, &f, empty) + (uint64_t)f.ts_us;
    }
    double t = now_s() - t0;
    fw_csv_close(r);
    *rows = k;
    return t;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: decode_bench FILE [RUNS]\n");
        return 2;
    }
    int runs = argc == 3 ? atoi(argv[2]) : 15;
    if (runs < 1) {
        fprintf(stderr, "decode_bench: RUNS '%s': expected a positive count\n", argv[2]);
        return 2;
    }
    FILE *fp = fopen(argv[1], "rb");
    if (!fp) {
        perror(argv[1]);
        return 1;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 1 << 20;
            buf = fw_xrealloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        perror(argv[1]);
        return 1;
    }
    fclose(fp);
    static const char *const what[2] = {"split", "split+decode"};
    for (int decode = 0; decode < 2; decode++) {
        double best = 1e30;
        uint64_t rows = 0, sink = 0;
        for (int i = 0; i < runs; i++) {
            double t = pass(argv[1], buf, n, decode, &rows, &sink);
            if (t < 0)
                return 1;
            if (t < best)
                best = t;
        }
        printf("%-13s %llu rows: best of %d %.4f s = %.2f M rows/s (%llu)\n", what[decode],
               (unsigned long long)rows, runs, best, (double)rows / best / 1e6,
               (unsigned long long)(sink & 1));
    }
    free(buf);
    return 0;
}
