/* log.c - diagnostics on stderr and aborting allocators (see log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

bool fw_log_quiet = false;

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
    fprintf(stderr, "floodwatch: %s", prefix);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void fw_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("error: ", fmt, ap);
    va_end(ap);
}

void fw_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("warning: ", fmt, ap);
    va_end(ap);
}

void fw_info(const char *fmt, ...)
{
    if (fw_log_quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

static void oom(size_t n)
{
    fprintf(stderr, "floodwatch: out of memory allocating %zu bytes\n", n);
    abort();
}

void *fw_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *fw_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *fw_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *fw_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(fw_xmalloc(n), s, n);
}
