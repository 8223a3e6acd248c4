/*
 * ckpt.h - checkpoint files: a versioned binary image of the pipeline state.
 *
 * The writer streams values into a temporary file in the checkpoint
 * directory, appends an XXH3 checksum, fsyncs, and renames it over
 * `state.ckpt` (then fsyncs the directory): a crash at any point leaves the
 * previous checkpoint intact.  The reader loads the file, checks magic,
 * version and checksum, and hands values back with bounds checks: a short
 * or corrupt file is an error with a message, never a crash.
 * Values are written in host byte order; a checkpoint is for the same build
 * on the same machine, not an exchange format.
 */
#ifndef FW_CKPT_H
#define FW_CKPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <xxhash.h>

#define FW_CKPT_VERSION 3

typedef struct fw_ckpt_writer {
    FILE *f;
    char *tmp, *path, *dir;
    XXH3_state_t *h;
    int err;
} fw_ckpt_writer;

typedef struct fw_ckpt_reader {
    unsigned char *buf;
    size_t n, pos;
    int err;
    const char *path;
} fw_ckpt_reader;

/* Start writing dir/state.ckpt.  0, or -1 with a message. */
int fw_ckpt_begin(fw_ckpt_writer *w, const char *dir, char *err, size_t errn);
void fw_ckpt_put(fw_ckpt_writer *w, const void *p, size_t n);
void fw_ckpt_put_u64(fw_ckpt_writer *w, uint64_t v);
void fw_ckpt_put_i64(fw_ckpt_writer *w, int64_t v);
void fw_ckpt_put_f64(fw_ckpt_writer *w, double v);
/* Finish: checksum, fsync, rename.  0, or -1 with a message (old file kept). */
int fw_ckpt_commit(fw_ckpt_writer *w, char *err, size_t errn);
void fw_ckpt_abort(fw_ckpt_writer *w);

/* Load dir/state.ckpt.  1 if loaded, 0 if there is none, -1 with a message
 * if it is unreadable or corrupt. */
int fw_ckpt_open(fw_ckpt_reader *r, const char *dir, char *err, size_t errn);
/* Copy n bytes out; on a short file sets r->err and zero-fills. */
void fw_ckpt_get(fw_ckpt_reader *r, void *p, size_t n);
uint64_t fw_ckpt_get_u64(fw_ckpt_reader *r);
int64_t fw_ckpt_get_i64(fw_ckpt_reader *r);
double fw_ckpt_get_f64(fw_ckpt_reader *r);
void fw_ckpt_close(fw_ckpt_reader *r);

#endif
