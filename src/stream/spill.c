/* spill.c - event-time bucketed spill to temporary files (see spill.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/ts.h"
#include "stream/spill.h"

struct bucket {
    int64_t idx;
    FILE *f;          /* open for appending, or NULL */
    uint64_t n;       /* flows written */
    uint64_t used;    /* last use, for closing the least recently used */
};

struct fw_spill {
    char dir[4096];
    int64_t bucket_us;
    struct bucket *b; /* sorted by idx */
    size_t nb, cap;
    unsigned nopen;
    uint64_t clock, count;
};

fw_spill *fw_spill_new(int64_t bucket_us, char *err, size_t errn)
{
    fw_spill *s = fw_xcalloc(1, sizeof *s);
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof s->dir, "%s/floodwatch-spill-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(s->dir)) {
        snprintf(err, errn, "%s: cannot create a temporary directory: %s", s->dir, strerror(errno));
        free(s);
        return NULL;
    }
    s->bucket_us = bucket_us;
    return s;
}

static void path_of(const fw_spill *s, int64_t idx, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%lld", s->dir, (long long)idx);
}

static struct bucket *find_bucket(fw_spill *s, int64_t idx)
{
    size_t lo = 0, hi = s->nb;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->b[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->nb && s->b[lo].idx == idx)
        return &s->b[lo];
    if (s->nb == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->b = fw_xrealloc(s->b, s->cap * sizeof *s->b);
    }
    memmove(s->b + lo + 1, s->b + lo, (s->nb - lo) * sizeof *s->b);
    s->b[lo] = (struct bucket){idx, NULL, 0, 0};
    s->nb++;
    return &s->b[lo];
}

int fw_spill_add(fw_spill *s, const fw_flow *f, char *err, size_t errn)
{
    struct bucket *b = find_bucket(s, fw_floor_div(f->ts_us, s->bucket_us));
    b->used = ++s->clock;
    if (!b->f) {
        if (s->nopen == FW_SPILL_OPEN) {
            /* Close the least recently used file to stay under the limit. */
            struct bucket *lru = NULL;
            for (size_t i = 0; i < s->nb; i++)
                if (s->b[i].f && (!lru || s->b[i].used < lru->used))
                    lru = &s->b[i];
            if (fclose(lru->f)) {
                snprintf(err, errn, "%s: cannot write: %s", s->dir, strerror(errno));
                lru->f = NULL;
                return -1;
            }
            lru->f = NULL;
            s->nopen--;
        }
        char path[4200];
        path_of(s, b->idx, path, sizeof path);
        b->f = fopen(path, "ab");
        if (!b->f) {
            snprintf(err, errn, "%s: cannot write: %s", path, strerror(errno));
            return -1;
        }
        s->nopen++;
    }
    if (fwrite(f, sizeof *f, 1, b->f) != 1) {
        snprintf(err, errn, "%s: cannot write: %s", s->dir, strerror(errno));
        return -1;
    }
    b->n++;
    s->count++;
    return 0;
}

uint64_t fw_spill_count(const fw_spill *s) { return s->count; }

static int cmp_keyed(const void *a, const void *b)
{
    const fw_flow *x = a, *y = b;
    if (x->ts_us != y->ts_us)
        return x->ts_us < y->ts_us ? -1 : 1;
    return 0;
}

int fw_spill_replay(fw_spill *s, void (*fn)(void *ctx, const fw_flow *f), void *ctx, char *err,
                    size_t errn)
{
    fw_flow *buf = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < s->nb; i++) {
        struct bucket *b = &s->b[i];
        if (b->f) {
            if (fclose(b->f)) {
                b->f = NULL;
                snprintf(err, errn, "%s: cannot write: %s", s->dir, strerror(errno));
                free(buf);
                return -1;
            }
            b->f = NULL;
            s->nopen--;
        }
        if (b->n > cap) {
            cap = b->n;
            buf = fw_xrealloc(buf, cap * sizeof *buf);
        }
        char path[4200];
        path_of(s, b->idx, path, sizeof path);
        FILE *f = fopen(path, "rb");
        if (!f || fread(buf, sizeof *buf, b->n, f) != b->n) {
            snprintf(err, errn, "%s: cannot read back: %s", path, f ? "short file" : strerror(errno));
            if (f)
                fclose(f);
            free(buf);
            return -1;
        }
        fclose(f);
        unlink(path);
        /* Equal times keep their arrival order: merge sort (qsort is not
         * stable), on an array small enough to copy. */
        fw_flow *orig = buf, *tmp = fw_xmalloc(b->n * sizeof *tmp + 1);
        for (size_t w = 1; w < b->n; w *= 2) {
            for (size_t lo = 0; lo < b->n; lo += 2 * w) {
                size_t mid = lo + w < b->n ? lo + w : b->n, hi = lo + 2 * w < b->n ? lo + 2 * w : b->n;
                size_t a = lo, c = mid, o = lo;
                while (a < mid && c < hi)
                    tmp[o++] = cmp_keyed(&buf[c], &buf[a]) < 0 ? buf[c++] : buf[a++];
                while (a < mid)
                    tmp[o++] = buf[a++];
                while (c < hi)
                    tmp[o++] = buf[c++];
            }
            fw_flow *t = buf;
            buf = tmp;
            tmp = t;
        }
        free(tmp);
        if (buf != orig)
            cap = b->n; /* buf is now the merge buffer, of b->n flows */
        for (uint64_t k = 0; k < b->n; k++)
            fn(ctx, &buf[k]);
        b->n = 0;
    }
    free(buf);
    cap = 0;
    return 0;
}

void fw_spill_free(fw_spill *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nb; i++) {
        if (s->b[i].f)
            fclose(s->b[i].f);
        char path[4200];
        path_of(s, s->b[i].idx, path, sizeof path);
        unlink(path);
    }
    rmdir(s->dir);
    free(s->b);
    free(s);
}
