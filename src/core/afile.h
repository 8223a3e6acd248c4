/*
 * afile.h - write an output file atomically: a temporary file beside the
 * target, flushed and fsync'ed, then renamed over it.  A failed or
 * interrupted run (SIGINT, SIGTERM, SIGHUP remove the temporary file) leaves
 * the old file, or none, never half of a new one.
 *
 * "-" means standard output; a target that exists and is not a regular file
 * (/dev/null, a FIFO) is written directly, since renaming over it would
 * replace the device.  Only one atomic file may be open at a time (the
 * signal handler knows one temporary name).
 */
#ifndef FW_AFILE_H
#define FW_AFILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct fw_afile {
    FILE *f;    /* write here */
    char *path; /* target, NULL for stdout */
    char *tmp;  /* temporary name, NULL when writing directly */
} fw_afile;

/* Returns 0, or -1 with a message naming the path in err. */
int fw_afile_open(fw_afile *a, const char *path, char *err, size_t errn);
/* Flush, fsync, rename.  Returns 0, or -1 with a message (the temp file is removed). */
int fw_afile_commit(fw_afile *a, char *err, size_t errn);
/* Discard the temporary file. */
void fw_afile_abort(fw_afile *a);

#endif
