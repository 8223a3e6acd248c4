/* afile.c - atomic output files (see afile.h). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/afile.h"
#include "core/log.h"

/* The temporary file being written, removed if a signal ends the run. */
static char sig_tmp[PATH_MAX];
static volatile sig_atomic_t sig_active;
static struct sigaction old_int, old_term, old_hup;

static void on_signal(int sig)
{
    if (sig_active)
        unlink(sig_tmp);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void guard(const char *tmp)
{
    snprintf(sig_tmp, sizeof sig_tmp, "%s", tmp);
    sig_active = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
}

static void unguard(void)
{
    if (!sig_active)
        return;
    sig_active = 0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
}

int fw_afile_open(fw_afile *a, const char *path, char *err, size_t errn)
{
    memset(a, 0, sizeof *a);
    if (!strcmp(path, "-")) {
        a->f = stdout;
        return 0;
    }
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        if (S_ISDIR(sb.st_mode)) {
            snprintf(err, errn, "%s: cannot write: %s", path, strerror(EISDIR));
            return -1;
        }
        a->f = fopen(path, "w");
        if (!a->f) {
            snprintf(err, errn, "%s: cannot write: %s", path, strerror(errno));
            return -1;
        }
        a->path = fw_xstrdup(path);
        return 0;
    }
    const char *slash = strrchr(path, '/');
    int dir_n = slash ? (int)(slash - path) + 1 : 0;
    size_t n = strlen(path) + 32;
    a->tmp = fw_xmalloc(n);
    snprintf(a->tmp, n, "%.*s.%s.tmp.XXXXXX", dir_n, path, slash ? slash + 1 : path);
    int fd = mkstemp(a->tmp);
    if (fd < 0) {
        snprintf(err, errn, "%s: cannot write: %s", path, strerror(errno));
        free(a->tmp);
        a->tmp = NULL;
        return -1;
    }
    guard(a->tmp);
    /* mkstemp makes the file 0600; give it the mode a plain create would. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || !(a->f = fdopen(fd, "w"))) {
        snprintf(err, errn, "%s: cannot write: %s", path, strerror(errno));
        close(fd);
        unlink(a->tmp);
        unguard();
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
    if (fflush(a->f) || ferror(a->f) || (a->tmp && fsync(fileno(a->f)))) {
        snprintf(err, errn, "%s: write error: %s", a->path, strerror(errno ? errno : EIO));
        rc = -1;
    }
    if (fclose(a->f) && !rc) {
        snprintf(err, errn, "%s: write error: %s", a->path, strerror(errno));
        rc = -1;
    }
    a->f = NULL;
    if (a->tmp) {
        if (!rc && rename(a->tmp, a->path)) {
            snprintf(err, errn, "%s: cannot rename into place: %s", a->path, strerror(errno));
            rc = -1;
        }
        if (rc)
            unlink(a->tmp);
        unguard();
    }
    free(a->tmp);
    free(a->path);
    a->tmp = a->path = NULL;
    return rc;
}

void fw_afile_abort(fw_afile *a)
{
    if (a->path && a->f)
        fclose(a->f);
    if (a->tmp) {
        unlink(a->tmp);
        unguard();
    }
    free(a->tmp);
    free(a->path);
    memset(a, 0, sizeof *a);
}
