/* source.c - file and stdin inputs of the seed CSV format (see source.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "input/csv.h"
#include "input/parallel.h"
#include "input/source.h"

struct fw_source {
    char *name;
    int fd;          /* -1 for memory */
    bool own_fd;
    uint64_t size;
    fw_csv *csv;
    fw_seed_schema schema;
    uint64_t empty[FW_COL_COUNT];
    fw_par *par;     /* decoding on several threads, or NULL */
    fw_record rec;   /* the last record read without par */
    fw_post post;    /* fw_source_set_post */
    fw_batch cur;    /* fw_source_next with par: the batch being handed out */
    size_t at;       /* its next record */
};

static bool looks_binary(const fw_csv_row *h)
{
    for (size_t i = 0; i < h->raw_n; i++) {
        unsigned char c = (unsigned char)h->raw[i];
        if (c == 0 || (c < 0x20 && c != '\t' && c != '\r'))
            return true;
    }
    return false;
}

static fw_source *finish_open(fw_source *s, char *err, size_t errn)
{
    fw_csv_row h;
    int rc = fw_csv_next(s->csv, &h);
    if (rc < 0) {
        snprintf(err, errn, "%s: read error: %s", s->name, strerror(errno));
        goto fail;
    }
    if (rc == 0) {
        snprintf(err, errn, "%s: empty input (no header line)", s->name);
        goto fail;
    }
    if (h.error == FW_CSV_ETOOLONG || looks_binary(&h)) {
        snprintf(err, errn, "%s:%llu: not a CSV traffic log (binary data in the header line)",
                 s->name, (unsigned long long)h.line);
        goto fail;
    }
    char why[600];
    if (fw_seed_schema_init(&s->schema, &h, why, sizeof why)) {
        snprintf(err, errn, "%s:%llu: bad header: %s", s->name, (unsigned long long)h.line, why);
        goto fail;
    }
    return s;
fail:
    fw_source_close(s);
    return NULL;
}

fw_source *fw_source_open(const char *path, char *err, size_t errn)
{
    fw_source *s = fw_xcalloc(1, sizeof *s);
    s->name = fw_xstrdup(strcmp(path, "-") ? path : "<stdin>");
    if (!strcmp(path, "-")) {
        s->fd = 0;
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            snprintf(err, errn, "%s: cannot open: %s", path, strerror(errno));
            s->fd = -1;
            fw_source_close(s);
            return NULL;
        }
        s->own_fd = true;
    }
    struct stat st;
    if (fstat(s->fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            snprintf(err, errn, "%s: is a directory, not a traffic log", s->name);
            fw_source_close(s);
            return NULL;
        }
        if (S_ISREG(st.st_mode))
            s->size = (uint64_t)st.st_size;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    s->csv = fw_csv_open_fd(s->fd, s->name, 0);
    return finish_open(s, err, errn);
}

fw_source *fw_source_open_mem(const char *buf, size_t n, const char *name, char *err, size_t errn)
{
    fw_source *s = fw_xcalloc(1, sizeof *s);
    s->name = fw_xstrdup(name);
    s->fd = -1;
    s->size = n;
    s->csv = fw_csv_open_mem(buf, n, s->name, 0);
    return finish_open(s, err, errn);
}

void fw_source_close(fw_source *s)
{
    if (!s)
        return;
    fw_par_stop(s->par);
    fw_csv_close(s->csv);
    if (s->own_fd && s->fd >= 0)
        close(s->fd);
    free(s->name);
    free(s);
}

int fw_source_set_threads(fw_source *s, unsigned nthreads, char *err, size_t errn)
{
    if (nthreads < 2 || s->fd < 0 || !s->size || s->par)
        return 0;
    s->par = fw_par_start(s->fd, s->name, s->size, fw_csv_offset(s->csv), fw_csv_line(s->csv),
                          &s->schema, nthreads, s->empty, s->post.run ? &s->post : NULL, err,
                          errn);
    return s->par ? 0 : -1;
}

void fw_record_decode(fw_record *rec, const fw_seed_schema *schema, const fw_csv_row *row,
                      uint64_t empty[FW_COL_COUNT])
{
    rec->faults = fw_seed_decode(schema, row, &rec->flow, empty);
    if (memchr(row->raw, 0, row->raw_n))
        rec->faults |= FW_BIT(FW_R_CSV_MALFORMED);
    rec->raw = row->raw;
    rec->raw_n = row->raw_n;
    rec->line = row->line;
    rec->hash = 0;
}

int fw_record_read(fw_csv *csv, const char *name, const fw_seed_schema *schema,
                   uint64_t empty[FW_COL_COUNT], fw_record *rec, char *err, size_t errn)
{
    fw_csv_row row;
    int rc = fw_csv_next(csv, &row);
    if (rc < 0) {
        snprintf(err, errn, "%s: read error: %s", name, strerror(errno));
        return -1;
    }
    if (rc == 0)
        return 0;
    fw_record_decode(rec, schema, &row, empty);
    return 1;
}

void fw_source_set_post(fw_source *s, const fw_post *post) { s->post = *post; }

int fw_source_next_batch(fw_source *s, fw_batch *b, char *err, size_t errn)
{
    if (s->par)
        return fw_par_next_batch(s->par, b, err, errn);
    *b = (fw_batch){.recs = &s->rec, .n = 1};
    return fw_record_read(s->csv, s->name, &s->schema, s->empty, &s->rec, err, errn);
}

int fw_source_next(fw_source *s, fw_record *rec, char *err, size_t errn)
{
    if (!s->par)
        return fw_record_read(s->csv, s->name, &s->schema, s->empty, rec, err, errn);
    if (s->at == s->cur.n) {
        int rc = fw_par_next_batch(s->par, &s->cur, err, errn);
        if (rc != 1)
            return rc;
        s->at = 0;
    }
    *rec = fw_batch_record(&s->cur, s->at++);
    return 1;
}

void fw_source_set_idle(fw_source *s, int timeout_ms, void (*idle)(void *ctx), void *ctx)
{
    fw_csv_set_idle(s->csv, timeout_ms, idle, ctx);
}

const fw_seed_schema *fw_source_schema(const fw_source *s) { return &s->schema; }
const uint64_t *fw_source_empty(const fw_source *s) { return s->empty; }
uint64_t fw_source_offset(const fw_source *s)
{
    return s->par ? fw_par_offset(s->par) : fw_csv_offset(s->csv);
}

uint64_t fw_source_blank_lines(const fw_source *s)
{
    return fw_csv_blank_lines(s->csv) + (s->par ? fw_par_blank_lines(s->par) : 0);
}
uint64_t fw_source_size(const fw_source *s) { return s->size; }
const char *fw_source_name(const fw_source *s) { return s->name; }
