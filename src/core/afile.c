/* afile.c - atomic output files (see afile.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/afile.h"
#include "core/log.h"

int fw_afile_open(fw_afile *a, const char *path, char *err, size_t errn)
{
    memset(a, 0, sizeof *a);
    if (!strcmp(path, "-")) {
        a->f = stdout;
        return 0;
    }
    size_t n = strlen(path) + 32;
    a->tmp = fw_xmalloc(n);
    snprintf(a->tmp, n, "%s.tmp-%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "wbx");
    if (!a->f) {
        snprintf(err, errn, "%s: cannot write: %s", path, strerror(errno));
        free(a->tmp);
        a->tmp = NULL;
        return -1;
    }
    a->path = fw_xstrdup(path);
    return 0;
}

int fw_afile_commit(fw_afile *a, char *err, size_t errn)
{
    if (!a->path) {
        if (fflush(a->f)) {
            snprintf(err, errn, "<stdout>: write error: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    int rc = 0;
    if (fflush(a->f) || ferror(a->f) || fsync(fileno(a->f))) {
        snprintf(err, errn, "%s: write error: %s", a->path, strerror(errno));
        rc = -1;
    }
    if (fclose(a->f) && !rc) {
        snprintf(err, errn, "%s: write error: %s", a->path, strerror(errno));
        rc = -1;
    }
    a->f = NULL;
    if (!rc && rename(a->tmp, a->path)) {
        snprintf(err, errn, "%s: cannot rename into place: %s", a->path, strerror(errno));
        rc = -1;
    }
    if (rc)
        unlink(a->tmp);
    free(a->tmp);
    free(a->path);
    a->tmp = a->path = NULL;
    return rc;
}

void fw_afile_abort(fw_afile *a)
{
    if (a->path) {
        if (a->f)
            fclose(a->f);
        unlink(a->tmp);
    }
    free(a->tmp);
    free(a->path);
    memset(a, 0, sizeof *a);
}
