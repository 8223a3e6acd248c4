/*
 * csv.c - streaming RFC 4180 reader (see csv.h).
 *
 * The buffer holds [pos, end) unread bytes.  A record is parsed only when a
 * line end after it is in the buffer (or the input has ended), so parsing
 * never has to resume mid-record: when the buffer runs dry inside a record,
 * the unread tail moves to the front, more is read, and the record is parsed
 * again from its start.  The fast path finds the line end with memchr and
 * splits the line from masks of the commas and quotes in each 64-byte block;
 * lines whose quotes do more than enclose whole fields take the state
 * machine.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/log.h"
#include "input/csv.h"

#define CHUNK (1u << 20)

struct fw_csv {
    int fd;                 /* -1 for a memory reader */
    const char *name;       /* for messages, not owned */
    char *buf;              /* owned buffer (fd readers) */
    const char *data;       /* the bytes: buf, or the caller's memory */
    size_t cap;             /* buf capacity */
    size_t pos, end;        /* unread bytes are data[pos, end) */
    bool eof;               /* no more input after data[end) */
    size_t max_record;
    uint64_t consumed;      /* bytes before data[pos] */
    uint64_t line;          /* lines before data[pos] */
    uint64_t blank;
    int idle_ms;            /* live input: poll timeout, 0 = block */
    void (*idle)(void *ctx);
    void *idle_ctx;
    /* The fields; split_fast may fill up to one 64-byte block's worth past
     * the limit before it checks. */
    fw_csv_field fields[FW_CSV_MAX_FIELDS + 64];
    char *scratch;          /* unescaped quoted fields */
    size_t scratch_cap;
};

static fw_csv *reader_new(const char *name, size_t max_record)
{
    fw_csv *r = fw_xcalloc(1, sizeof *r);
    r->name = name;
    r->max_record = max_record ? max_record : (1u << 20);
    r->fd = -1;
    return r;
}

fw_csv *fw_csv_open_fd(int fd, const char *name, size_t max_record)
{
    fw_csv *r = reader_new(name, max_record);
    r->fd = fd;
    r->cap = 2 * (CHUNK > r->max_record ? CHUNK : r->max_record) + 1;
    r->buf = fw_xmalloc(r->cap);
    r->data = r->buf;
    return r;
}

fw_csv *fw_csv_open_mem(const char *buf, size_t n, const char *name, size_t max_record)
{
    fw_csv *r = reader_new(name, max_record);
    r->data = buf;
    r->end = n;
    r->eof = true;
    return r;
}

void fw_csv_close(fw_csv *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r->scratch);
    free(r);
}

uint64_t fw_csv_offset(const fw_csv *r) { return r->consumed; }

void fw_csv_set_position(fw_csv *r, uint64_t offset, uint64_t lines)
{
    r->consumed = offset;
    r->line = lines;
}

void fw_csv_set_idle(fw_csv *r, int timeout_ms, void (*idle)(void *ctx), void *ctx)
{
    r->idle_ms = r->fd >= 0 ? timeout_ms : 0;
    r->idle = idle;
    r->idle_ctx = ctx;
}
uint64_t fw_csv_blank_lines(const fw_csv *r) { return r->blank; }
uint64_t fw_csv_line(const fw_csv *r) { return r->line; }
const char *fw_csv_name(const fw_csv *r) { return r->name; }

/* Read more input, keeping data[pos, end).  Returns 1 if bytes were added,
 * 0 at end of input, -1 on error. */
static int refill(fw_csv *r)
{
    if (r->eof)
        return 0;
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = 0;
    }
    size_t room = r->cap - 1 - r->end;
    if (room == 0)
        return 1; /* full: the caller handles an over-long record */
    for (;;) {
        if (r->idle_ms > 0) {
            struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
            int pr = poll(&pfd, 1, r->idle_ms);
            if (pr == 0) {
                r->idle(r->idle_ctx);
                continue;
            }
            if (pr < 0 && errno == EINTR)
                continue;
        }
        ssize_t got = read(r->fd, r->buf + r->end, room);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -1;
        if (got == 0) {
            r->eof = true;
            return 0;
        }
        r->end += (size_t)got;
        return 1;
    }
}

static char *scratch_reserve(fw_csv *r, size_t n)
{
    if (n > r->scratch_cap) {
        r->scratch_cap = n < 4096 ? 4096 : n;
        r->scratch = fw_xrealloc(r->scratch, r->scratch_cap);
    }
    return r->scratch;
}

#ifdef __SSE2__
/* A 64-byte block in four vector registers; an array of four would be kept
 * on the stack by GCC and reloaded for every compare. */
typedef struct { __m128i a, b, c, d; } block64;

/* The 64 bytes at p, which need not be aligned: four loads. */
static inline block64 load64(const char *p)
{
    return (block64){_mm_loadu_si128((const __m128i *)(const void *)p),
                     _mm_loadu_si128((const __m128i *)(const void *)(p + 16)),
                     _mm_loadu_si128((const __m128i *)(const void *)(p + 32)),
                     _mm_loadu_si128((const __m128i *)(const void *)(p + 48))};
}

/* Bit i is set when byte i of v equals the byte in each lane of c: four
 * compares, four movemasks and three shift-ors. */
static inline uint64_t eq_mask64(block64 v, __m128i c)
{
    uint64_t m0 = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v.a, c));
    uint64_t m1 = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v.b, c));
    uint64_t m2 = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v.c, c));
    uint64_t m3 = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v.d, c));
    return m0 | m1 << 16 | m2 << 32 | m3 << 48;
}
#endif

/*
 * Bit i of *comma and *quote is set when p[i] is a comma or a quote, for
 * i < m (m <= 64); higher bits are clear.  A full block costs four 16-byte
 * loads and eight compares with SSE2.  The byte loop serves the partial block
 * at the end of the buffer, where a 64-byte load would read past the input,
 * and builds without SSE2.
 */
static inline void block_masks(const char *p, size_t m, uint64_t *comma, uint64_t *quote)
{
#ifdef __SSE2__
    if (m == 64) {
        block64 v = load64(p);
        *comma = eq_mask64(v, _mm_set1_epi8(','));
        *quote = eq_mask64(v, _mm_set1_epi8('"'));
        return;
    }
#endif
    uint64_t c = 0, q = 0;
    for (size_t i = 0; i < m; i++) {
        c |= (uint64_t)(p[i] == ',') << i;
        q |= (uint64_t)(p[i] == '"') << i;
    }
    *comma = c;
    *quote = q;
}

/* Bit i of the result is the parity of the set bits 0..i of x, so with x the
 * quotes of a block it marks an opening quote and the text after it up to,
 * not including, its closing quote.  Six shift-xor steps, no branches. */
static inline uint64_t prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/*
 * Split the line p[0..n) into fields, in place; p[0..avail) may be read.  A
 * quoted field without an escaped quote ("PSH,ACK") points between its
 * quotes; anything harder (an escaped "" quote, a quote inside an unquoted
 * field, text after a closing quote, an unterminated quote) sets *slow and
 * returns 0, for the full state machine.  Like a field-by-field scan, only the
 * first FW_CSV_MAX_FIELDS + 1 fields decide between that and FW_CSV_ETOOMANY.
 *
 * Cost: per 64-byte block, the comma and quote masks, the quote parity and a
 * dozen mask operations, all without branches; then per field a count of
 * trailing zeros and a store, and per quoted field a population count.
 * Fields are 0 to 20 bytes, so a scan that branches per field mispredicts
 * where each one ends; here the branches that depend on the data are a loop
 * exit per block and one per block with a quoted field.
 */
static unsigned split_fast(fw_csv *r, const char *p, size_t n, size_t avail, int *error, bool *slow)
{
    fw_csv_field *f = r->fields;
    const char *fs = p;      /* where the current field begins */
    uint64_t inside = 0;     /* all ones when the block begins inside quotes */
    uint64_t comma_in = 1;   /* bit 0: the byte before the block ends a field
                              * (the line start counts as one) */
    uint64_t close_in = 0;   /* bit 0: the byte before the block is a closing quote */
    for (size_t base = 0; base < n; base += 64) {
        const char *blk = p + base;
        uint64_t comma, quote;
        block_masks(blk, avail - base < 64 ? avail - base : 64, &comma, &quote);
        /* Bits 0..left-1 are on the line; a shift, not a branch, since it
         * would mispredict on every line's last block. */
        size_t left = n - base < 64 ? n - base : 64;
        uint64_t valid = ~UINT64_C(0) >> (64 - left);
        comma &= valid;
        quote &= valid;
        uint64_t in = prefix_xor(quote) ^ inside;
        inside = (uint64_t)0 - (in >> 63);
        uint64_t open = quote & in, close = quote & ~in;
        /* The fast path takes a quote only where it opens a field or closes
         * one just before a comma or the line end; a quote anywhere else is
         * "bad" and leaves the line to the state machine. */
        uint64_t after_close = (close << 1) | close_in;
        uint64_t bad = (open & ~((comma << 1) | comma_in)) | (after_close & ~comma & valid);
        comma_in = comma >> 63;
        close_in = close >> 63;
        uint64_t sep = comma & ~in;
        /* Fields before the first bad quote still count towards the limit. */
        if (bad)
            sep &= (bad & (0 - bad)) - 1;
        /* Each comma outside quotes ends a field.  The limit is checked per
         * block, not per field: fields has room for one block's worth past
         * it. */
        fw_csv_field *first = f;
        for (uint64_t m = sep; m; m &= m - 1) {
            const char *e = blk + (unsigned)__builtin_ctzll(m);
            *f++ = (fw_csv_field){fs, (uint32_t)(e - fs), 0};
            fs = e + 1;
        }
        /* A field that ends with a closing quote (bits of sep just after
         * one) is quoted, and in a checked line starts with a quote too: point
         * between the two.  Rare enough that counting the fields before it
         * costs less than looking at every field's first byte. */
        for (uint64_t m = after_close & sep; m; m &= m - 1) {
            fw_csv_field *q = first + __builtin_popcountll(sep & ((m & (0 - m)) - 1));
            *q = (fw_csv_field){q->p + 1, q->n - 2, 1};
        }
        if (f - r->fields > FW_CSV_MAX_FIELDS) {
            *error = FW_CSV_ETOOMANY;
            return FW_CSV_MAX_FIELDS;
        }
        if (bad) {
            *slow = true;
            return 0;
        }
    }
    if (inside) {
        *slow = true; /* an unterminated quote */
        return 0;
    }
    if (f - r->fields == FW_CSV_MAX_FIELDS) {
        *error = FW_CSV_ETOOMANY;
        return FW_CSV_MAX_FIELDS;
    }
    /* The last field; a trailing comma leaves it empty.  It is quoted if the
     * line ends with a quote, which then closes it, as above.  (p[n] may be
     * past the input, p[n - 1] is on the line.) */
    uint32_t quoted = p[n - 1] == '"';
    *f++ = (fw_csv_field){fs + quoted, (uint32_t)(p + n - fs) - 2 * quoted, quoted};
    return (unsigned)(f - r->fields);
}

/*
 * Parse one record with quotes starting at s, within s[0..avail).  Returns the
 * number of bytes up to the record's line end (not including it) and sets
 * *term to the line-end length (0 at end of input), or returns (size_t)-1 if
 * the record is not complete within avail and more input may follow.
 */
static size_t parse_quoted(fw_csv *r, const char *s, size_t avail, bool at_eof, unsigned *nf_out,
                           size_t *term, int *error, uint64_t *lines)
{
    /* Worst case the unescaped text is as long as the record. */
    char *out = scratch_reserve(r, avail + 1);
    size_t o = 0, i = 0;
    unsigned nf = 0;
    uint64_t nl = 0;
    for (;;) {
        /* Start of a field at s[i]. */
        size_t fstart_o = o;
        bool quoted = false;
        if (i < avail && s[i] == '"') {
            quoted = true;
            i++;
            for (;;) {
                if (i >= avail) {
                    if (!at_eof)
                        return (size_t)-1;
                    *error = FW_CSV_EQUOTE;
                    goto field_done;
                }
                char c = s[i++];
                if (c == '"') {
                    if (i < avail && s[i] == '"') {
                        out[o++] = '"';
                        i++;
                        continue;
                    }
                    if (i >= avail && !at_eof)
                        return (size_t)-1;
                    break;
                }
                if (c == '\n')
                    nl++;
                out[o++] = c;
            }
            /* After the closing quote: text up to the separator is an error,
             * kept in the field so nothing is lost. */
            while (i < avail && s[i] != ',' && s[i] != '\n' && !(s[i] == '\r' && i + 1 < avail && s[i + 1] == '\n')) {
                if (!(s[i] == '\r' && i + 1 == avail))
                    *error = FW_CSV_EQUOTE;
                out[o++] = s[i++];
            }
        } else {
            while (i < avail && s[i] != ',' && s[i] != '\n')
                out[o++] = s[i++];
            if (i < avail && s[i] == '\n' && o > fstart_o && out[o - 1] == '\r')
                o--;
        }
    field_done:
        /* Remember offsets; pointers are fixed up below (out may not move,
         * but keep the scheme simple and explicit).  Fields past the limit
         * are dropped, and must not touch the last one kept. */
        if (nf < FW_CSV_MAX_FIELDS)
            r->fields[nf++] = (fw_csv_field){(const char *)(uintptr_t)fstart_o,
                                             (uint32_t)(o - fstart_o), quoted};
        else
            *error = FW_CSV_ETOOMANY;
        if (i >= avail) {
            if (!at_eof)
                return (size_t)-1;
            *term = 0;
            break;
        }
        if (s[i] == ',') {
            i++;
            continue;
        }
        if (s[i] == '\r' && i + 1 < avail && s[i + 1] == '\n') {
            *term = 2;
            break;
        }
        if (s[i] == '\n') {
            *term = 1;
            break;
        }
        /* A lone trailing '\r' at the buffer end: need more input. */
        if (!at_eof)
            return (size_t)-1;
        *term = 0;
        i = avail;
        break;
    }
    for (unsigned k = 0; k < nf; k++)
        r->fields[k].p = out + (uintptr_t)r->fields[k].p;
    *nf_out = nf;
    *lines = nl;
    return i;
}

int fw_csv_next(fw_csv *r, fw_csv_row *row)
{
    for (;;) {
        const char *s = r->data + r->pos;
        size_t avail = r->end - r->pos;
        if (avail == 0) {
            if (r->fd < 0)
                return 0;
            int rc = refill(r);
            if (rc < 0)
                return -1;
            if (rc == 0 && r->end == r->pos)
                return 0;
            continue;
        }
        const char *nlp = memchr(s, '\n', avail);
        if (!nlp && !r->eof) {
            if (avail >= r->max_record)
                goto too_long;
            int rc = refill(r);
            if (rc < 0)
                return -1;
            continue;
        }
        size_t len = nlp ? (size_t)(nlp - s) : avail;
        size_t term = nlp ? 1 : 0;
        if (len > r->max_record)
            goto too_long;
        size_t body = len;
        if (body && s[body - 1] == '\r')
            body--, term++;
        memset(row, 0, sizeof *row);
        row->line = r->line + 1;
        if (body == 0) {
            /* A blank line: skip it. */
            r->pos += len + (nlp ? 1 : 0);
            r->consumed += len + (nlp ? 1 : 0);
            r->line++;
            r->blank++;
            continue;
        }
        bool slow = false;
        row->nf = split_fast(r, s, body, avail, &row->error, &slow);
        if (!slow) {
            row->f = r->fields;
            row->raw = s;
            row->raw_n = body;
            r->pos += len + (nlp ? 1 : 0);
            r->consumed += len + (nlp ? 1 : 0);
            r->line++;
            return 1;
        }
        /* Quoted: may span lines. */
        unsigned nf = 0;
        uint64_t lines = 0;
        int error = 0;
        size_t qterm = 0;
        size_t qlen = parse_quoted(r, s, avail < r->max_record + 2 ? avail : r->max_record + 2,
                                   r->eof || avail >= r->max_record + 2, &nf, &qterm, &error, &lines);
        if (qlen == (size_t)-1) {
            if (r->fd < 0 || r->eof)
                return 0; /* unreachable: at_eof forces completion */
            int rc = refill(r);
            if (rc < 0)
                return -1;
            continue;
        }
        if (qlen > r->max_record)
            goto too_long;
        row->nf = nf;
        row->f = r->fields;
        row->raw = s;
        row->raw_n = qlen;
        row->error = error;
        r->pos += qlen + qterm;
        r->consumed += qlen + qterm;
        r->line += 1 + lines;
        return 1;

    too_long:
        /* Skip to the next line end, reading as needed; report the head. */
        memset(row, 0, sizeof *row);
        row->line = r->line + 1;
        row->error = FW_CSV_ETOOLONG;
        row->f = r->fields;
        row->nf = 0;
        {
            /* Hand out a copy of the head, since skipping refills the buffer. */
            size_t head = r->max_record < 256 ? r->max_record : 256;
            char *h = scratch_reserve(r, head);
            memcpy(h, r->data + r->pos, head);
            row->raw = h;
            row->raw_n = head;
        }
        for (;;) {
            s = r->data + r->pos;
            avail = r->end - r->pos;
            nlp = memchr(s, '\n', avail);
            if (nlp) {
                size_t skip = (size_t)(nlp - s) + 1;
                r->pos += skip;
                r->consumed += skip;
                break;
            }
            r->pos += avail;
            r->consumed += avail;
            if (r->fd < 0 || r->eof)
                break;
            int rc = refill(r);
            if (rc < 0)
                return -1;
            if (rc == 0)
                break;
        }
        r->line++;
        return 1;
    }
}
