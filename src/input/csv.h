/*
 * csv.h - a streaming RFC 4180 reader.
 *
 * Reads records from a file descriptor (or a memory buffer) in large chunks
 * and hands out one record at a time as a list of fields.  Fields point into
 * the reader's buffer and stay valid until the next fw_csv_next call; quoted
 * fields are unescaped ("" -> ") into a per-record scratch area.  The raw
 * record text (without its line end) is handed out too, for quarantine and
 * exact deduplication.
 *
 * Records may span lines inside quotes; a record longer than max_record
 * bytes is reported as FW_CSV_ETOOLONG and skipped to the next line end, so
 * input cannot make the reader allocate without bound.  Memory: one buffer of
 * about 2 * max(chunk, max_record) bytes.
 */
#ifndef FW_CSV_H
#define FW_CSV_H

#include <stddef.h>
#include <stdint.h>

typedef struct fw_csv fw_csv;

typedef struct fw_csv_field {
    const char *p; /* field bytes (not NUL-terminated) */
    uint32_t n;    /* length */
    uint32_t quoted; /* 1 if the field was quoted */
} fw_csv_field;

enum fw_csv_error {
    FW_CSV_OK = 0,
    FW_CSV_ETOOLONG,   /* record longer than max_record; fields are empty */
    FW_CSV_EQUOTE,     /* unterminated quote at end of input, or text after a closing quote */
    FW_CSV_ETOOMANY,   /* more than FW_CSV_MAX_FIELDS fields; the rest were dropped */
};

#define FW_CSV_MAX_FIELDS 256

typedef struct fw_csv_row {
    const fw_csv_field *f; /* the fields */
    unsigned nf;           /* number of fields */
    const char *raw;       /* the record text, without the line end */
    size_t raw_n;          /* its length (truncated to max_record for ETOOLONG) */
    uint64_t line;         /* 1-based line number where the record starts */
    int error;             /* enum fw_csv_error */
} fw_csv_row;

/* Open a reader on fd (not closed by the reader); name is used in messages
 * and is not copied.  max_record 0 means the default of 1 MiB. */
fw_csv *fw_csv_open_fd(int fd, const char *name, size_t max_record);
/* Open a reader over a memory buffer (not copied; must outlive the reader). */
fw_csv *fw_csv_open_mem(const char *buf, size_t n, const char *name, size_t max_record);
void fw_csv_close(fw_csv *r);

/* Next record.  Returns 1 and fills *row, 0 at end of input, -1 on a read
 * error (errno set).  A blank line is skipped but counted in line numbers. */
int fw_csv_next(fw_csv *r, fw_csv_row *row);

/* Live input: when no byte arrives for timeout_ms, call idle(ctx) and keep
 * waiting (a quiet source must not stall the watermark).  fd readers only. */
void fw_csv_set_idle(fw_csv *r, int timeout_ms, void (*idle)(void *ctx), void *ctx);

/* Start counting from a place in a larger input: offset bytes and lines
 * already before this reader's first byte (a range of a file read in
 * parallel).  Call before the first fw_csv_next. */
void fw_csv_set_position(fw_csv *r, uint64_t offset, uint64_t lines);

/* Bytes of input consumed so far (for progress). */
uint64_t fw_csv_offset(const fw_csv *r);
/* Lines consumed so far (physical lines, blank ones included). */
uint64_t fw_csv_line(const fw_csv *r);
/* Blank lines skipped so far. */
uint64_t fw_csv_blank_lines(const fw_csv *r);
const char *fw_csv_name(const fw_csv *r);

#endif
