/*
 * log.h - diagnostics on stderr.
 *
 * Every message starts with "floodwatch: ".  fw_err is for errors the user
 * must act on (name the file, line or key in the message); fw_warn for
 * things that were handled but deserve attention; fw_info is silenced by
 * fw_log_quiet.
 */
#ifndef FW_LOG_H
#define FW_LOG_H

#include <stdbool.h>

extern bool fw_log_quiet;

void fw_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fw_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fw_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocation that aborts with a message on failure: floodwatch treats
 * running out of memory as fatal everywhere (the redis choice); what input
 * can make us allocate is bounded by caps instead. */
void *fw_xmalloc(size_t n);
void *fw_xcalloc(size_t n, size_t size);
void *fw_xrealloc(void *p, size_t n);
char *fw_xstrdup(const char *s);

#endif
