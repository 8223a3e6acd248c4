/* ckpt.c - checkpoint files (see ckpt.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/ckpt.h"

static const char magic[8] = {'F', 'W', 'C', 'K', 'P', 'T', '0', '1'};

int fw_ckpt_begin(fw_ckpt_writer *w, const char *dir, char *err, size_t errn)
{
    memset(w, 0, sizeof *w);
    if (mkdir(dir, 0777) && errno != EEXIST) {
        snprintf(err, errn, "%s: cannot create checkpoint directory: %s", dir, strerror(errno));
        return -1;
    }
    size_t n = strlen(dir) + 32;
    w->tmp = fw_xmalloc(n);
    w->path = fw_xmalloc(n);
    w->dir = fw_xstrdup(dir);
    snprintf(w->tmp, n, "%s/state.ckpt.tmp", dir);
    snprintf(w->path, n, "%s/state.ckpt", dir);
    w->f = fopen(w->tmp, "wb");
    if (!w->f) {
        snprintf(err, errn, "%s: cannot write: %s", w->tmp, strerror(errno));
        fw_ckpt_abort(w);
        return -1;
    }
    w->h = XXH3_createState();
    XXH3_64bits_reset(w->h);
    fw_ckpt_put(w, magic, sizeof magic);
    fw_ckpt_put_u64(w, FW_CKPT_VERSION);
    return 0;
}

void fw_ckpt_put(fw_ckpt_writer *w, const void *p, size_t n)
{
    if (w->err || !n)
        return;
    XXH3_64bits_update(w->h, p, n);
    if (fwrite(p, 1, n, w->f) != n)
        w->err = errno ? errno : EIO;
}

void fw_ckpt_put_u64(fw_ckpt_writer *w, uint64_t v) { fw_ckpt_put(w, &v, sizeof v); }
void fw_ckpt_put_i64(fw_ckpt_writer *w, int64_t v) { fw_ckpt_put(w, &v, sizeof v); }
void fw_ckpt_put_f64(fw_ckpt_writer *w, double v) { fw_ckpt_put(w, &v, sizeof v); }

void fw_ckpt_abort(fw_ckpt_writer *w)
{
    if (w->f)
        fclose(w->f);
    if (w->tmp)
        unlink(w->tmp);
    if (w->h)
        XXH3_freeState(w->h);
    free(w->tmp);
    free(w->path);
    free(w->dir);
    memset(w, 0, sizeof *w);
}

int fw_ckpt_commit(fw_ckpt_writer *w, char *err, size_t errn)
{
    uint64_t sum = XXH3_64bits_digest(w->h);
    if (!w->err && fwrite(&sum, sizeof sum, 1, w->f) != 1)
        w->err = errno ? errno : EIO;
    if (!w->err && (fflush(w->f) || fsync(fileno(w->f))))
        w->err = errno;
    if (fclose(w->f) && !w->err)
        w->err = errno;
    w->f = NULL;
    if (!w->err && rename(w->tmp, w->path))
        w->err = errno;
    if (w->err) {
        snprintf(err, errn, "%s: cannot write checkpoint: %s", w->path, strerror(w->err));
        fw_ckpt_abort(w);
        return -1;
    }
    int dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    XXH3_freeState(w->h);
    w->h = NULL;
    free(w->tmp);
    w->tmp = NULL;
    fw_ckpt_abort(w);
    return 0;
}

int fw_ckpt_open(fw_ckpt_reader *r, const char *dir, char *err, size_t errn)
{
    memset(r, 0, sizeof *r);
    char path[4096];
    snprintf(path, sizeof path, "%s/state.ckpt", dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errn, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) || st.st_size < (off_t)(sizeof magic + 16)) {
        snprintf(err, errn, "%s: checkpoint too short (corrupt)", path);
        fclose(f);
        return -1;
    }
    r->n = (size_t)st.st_size;
    r->buf = fw_xmalloc(r->n);
    size_t got = fread(r->buf, 1, r->n, f);
    fclose(f);
    if (got != r->n) {
        snprintf(err, errn, "%s: cannot read checkpoint", path);
        fw_ckpt_close(r);
        return -1;
    }
    uint64_t sum;
    memcpy(&sum, r->buf + r->n - 8, 8);
    if (memcmp(r->buf, magic, sizeof magic) || XXH3_64bits(r->buf, r->n - 8) != sum) {
        snprintf(err, errn, "%s: not a floodwatch checkpoint, or corrupt (bad checksum)", path);
        fw_ckpt_close(r);
        return -1;
    }
    r->n -= 8;
    r->pos = sizeof magic;
    uint64_t version = fw_ckpt_get_u64(r);
    if (version != FW_CKPT_VERSION) {
        snprintf(err, errn, "%s: checkpoint version %llu, this floodwatch reads %d", path,
                 (unsigned long long)version, FW_CKPT_VERSION);
        fw_ckpt_close(r);
        return -1;
    }
    return 1;
}

void fw_ckpt_get(fw_ckpt_reader *r, void *p, size_t n)
{
    if (r->err || n > r->n - r->pos) {
        r->err = 1;
        memset(p, 0, n);
        return;
    }
    memcpy(p, r->buf + r->pos, n);
    r->pos += n;
}

uint64_t fw_ckpt_get_u64(fw_ckpt_reader *r)
{
    uint64_t v;
    fw_ckpt_get(r, &v, sizeof v);
    return v;
}

int64_t fw_ckpt_get_i64(fw_ckpt_reader *r)
{
    int64_t v;
    fw_ckpt_get(r, &v, sizeof v);
    return v;
}

double fw_ckpt_get_f64(fw_ckpt_reader *r)
{
    double v;
    fw_ckpt_get(r, &v, sizeof v);
    return v;
}

void fw_ckpt_close(fw_ckpt_reader *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}
