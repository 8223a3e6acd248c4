/*
 * seedcsv.c - seed traffic-log schema and record decoder (see seedcsv.h).
 *
 * The decoder is on the hot path (one call per row), so numbers are parsed
 * by hand rather than with strtol/strtod, and each column is looked up by a
 * precomputed field index.  The shapes the seed and pandas exports write
 * (short counts, "1245.588", "FIN,ACK", "True", ...) take fast paths that
 * read a field as one or two words; each gives up on anything else and
 * leaves it to the general parser, so the answer is always the general
 * parser's.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/swar.h"
#include "core/ts.h"
#include "input/seedcsv.h"

static const char *const col_names[FW_COL_COUNT] = {
#define X(id, name, req) name,
    FW_COL_LIST(X)
#undef X
};
static const unsigned char col_required[FW_COL_COUNT] = {
#define X(id, name, req) req,
    FW_COL_LIST(X)
#undef X
};

/* Other spellings seen in flow exports (NetFlow-style JSON/CSV, nfdump). */
static const struct {
    const char *alias;
    enum fw_col col;
} aliases[] = {
    {"ts", FW_COL_TIMESTAMP},         {"time", FW_COL_TIMESTAMP},
    {"event_time", FW_COL_TIMESTAMP}, {"src_ip", FW_COL_SOURCE_IP},
    {"srcaddr", FW_COL_SOURCE_IP},    {"sa", FW_COL_SOURCE_IP},
    {"dst_ip", FW_COL_DEST_IP},       {"destination_ip", FW_COL_DEST_IP},
    {"dstaddr", FW_COL_DEST_IP},      {"da", FW_COL_DEST_IP},
    {"src_port", FW_COL_SOURCE_PORT}, {"sp", FW_COL_SOURCE_PORT},
    {"dst_port", FW_COL_DEST_PORT},   {"dp", FW_COL_DEST_PORT},
    {"proto", FW_COL_PROTOCOL},       {"pr", FW_COL_PROTOCOL},
    {"tcp_flags", FW_COL_FLAGS},      {"flg", FW_COL_FLAGS},
    {"bytes", FW_COL_BYTES_SENT},     {"ibyt", FW_COL_BYTES_SENT},
    {"packets", FW_COL_PACKETS_SENT}, {"ipkt", FW_COL_PACKETS_SENT},
};

const char *fw_col_name(enum fw_col c) { return (unsigned)c < FW_COL_COUNT ? col_names[c] : "?"; }

static int lookup_col(const char *p, unsigned n)
{
    /* Trim blanks and a UTF-8 byte-order mark on the first header. */
    if (n >= 3 && (unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb &&
        (unsigned char)p[2] == 0xbf)
        p += 3, n -= 3;
    while (n && isspace((unsigned char)*p))
        p++, n--;
    while (n && isspace((unsigned char)p[n - 1]))
        n--;
    for (unsigned c = 0; c < FW_COL_COUNT; c++)
        if (strlen(col_names[c]) == n && !strncasecmp(col_names[c], p, n))
            return (int)c;
    for (unsigned a = 0; a < sizeof aliases / sizeof aliases[0]; a++)
        if (strlen(aliases[a].alias) == n && !strncasecmp(aliases[a].alias, p, n))
            return (int)aliases[a].col;
    return -1;
}

int fw_seed_schema_init(fw_seed_schema *s, const fw_csv_row *h, char *err, unsigned errn)
{
    memset(s, 0, sizeof *s);
    for (unsigned c = 0; c < FW_COL_COUNT; c++)
        s->idx[c] = -1;
    s->nfields = h->nf;
    unsigned eo = 0;
    for (unsigned i = 0; i < h->nf; i++) {
        int c = lookup_col(h->f[i].p, h->f[i].n);
        if (c < 0) {
            s->nextra++;
            int w = snprintf(s->extra + eo, sizeof s->extra - eo, "%s%.*s", eo ? "," : "",
                             (int)(h->f[i].n > 64 ? 64 : h->f[i].n), h->f[i].p);
            if (w > 0 && eo + (unsigned)w < sizeof s->extra)
                eo += (unsigned)w;
            continue;
        }
        if (s->idx[c] >= 0) {
            snprintf(err, errn, "column '%s' appears twice (fields %d and %u)", col_names[c],
                     s->idx[c] + 1, i + 1);
            return -1;
        }
        s->idx[c] = (int)i;
    }
    unsigned o = 0;
    err[0] = 0;
    for (unsigned c = 0; c < FW_COL_COUNT; c++) {
        if (col_required[c] && s->idx[c] < 0) {
            int w = snprintf(err + o, errn - o, "%s%s", o ? ", " : "missing required column(s): ",
                             col_names[c]);
            if (w > 0 && o + (unsigned)w < errn)
                o += (unsigned)w;
        }
    }
    if (s->idx[FW_COL_PACKET_SIZE] < 0 && s->idx[FW_COL_BYTES_SENT] < 0) {
        int w = snprintf(err + o, errn - o, "%s%s", o ? "; " : "",
                         "missing a size column: packet_size or bytes_sent");
        if (w > 0 && o + (unsigned)w < errn)
            o += (unsigned)w;
    }
    return o ? -1 : 0;
}

int fw_parse_u64(const char *p, unsigned n, uint64_t *v)
{
    if (n == 0 || n > 20)
        return -1;
    uint64_t x = 0;
    unsigned i = 0;
    for (; i < n && (unsigned)(p[i] - '0') <= 9; i++) {
        unsigned d = (unsigned)(p[i] - '0');
        if (x > UINT64_MAX / 10 || (x == UINT64_MAX / 10 && d > UINT64_MAX % 10))
            return -1; /* past 2^64 - 1 */
        x = x * 10 + d;
    }
    if (i == 0)
        return -1;
    /* A float column written by pandas: "200.0". Only zeros may follow,
     * and at least one. */
    if (i < n && p[i] == '.') {
        if (i + 1 == n)
            return -1;
        for (i++; i < n; i++)
            if (p[i] != '0')
                return -1;
    }
    if (i != n)
        return -1;
    *v = x;
    return 0;
}

int fw_parse_ms_to_us(const char *p, unsigned n, int64_t *us)
{
    unsigned i = 0;
    int neg = 0;
    if (i < n && (p[i] == '-' || p[i] == '+'))
        neg = p[i++] == '-';
    int64_t ip = 0;
    unsigned start = i;
    for (; i < n && (unsigned)(p[i] - '0') <= 9; i++) {
        if (ip > (INT64_MAX / 1000 - 9) / 10)
            return -1;
        ip = ip * 10 + (p[i] - '0');
    }
    int64_t frac = 0, scale = 100;
    unsigned fd = 0;
    if (i < n && p[i] == '.') {
        for (i++; i < n && (unsigned)(p[i] - '0') <= 9; i++, fd++) {
            frac += (p[i] - '0') * scale;
            scale /= 10;
        }
    }
    if (i == start || (i == start + 1 && p[start] == '.' && fd == 0))
        return -1;
    if (i != n) {
        /* Exponent notation and the like: take the slow, exact path. */
        char buf[64];
        if (n >= sizeof buf)
            return -1;
        memcpy(buf, p, n);
        buf[n] = 0;
        char *end;
        double d = strtod(buf, &end);
        if (*end || !isfinite(d) || fabs(d) > 9e12)
            return -1;
        *us = (int64_t)llround(d * 1000.0);
        return 0;
    }
    int64_t v = ip * 1000 + frac;
    *us = neg ? -v : v;
    return 0;
}

/* Three bytes upper-cased (bit 5 cleared) as one word, the first highest. */
static inline uint32_t upper3(const char *p)
{
    return ((uint32_t)(unsigned char)p[0] << 16 | (uint32_t)(unsigned char)p[1] << 8 |
            (uint32_t)(unsigned char)p[2]) &
           0xdfdfdf;
}

#define W3(a, b, c) ((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (uint32_t)(c))

/*
 * The flag bit of a three-letter name (SYN, ACK, FIN, RST, PSH, URG in any
 * case) at p, or 0.  The low three bits of the first letter differ between
 * the six names, so they index a table of eight: one load and one compare,
 * where the name list took up to six compares.  Empty slots hold a word no
 * upper-cased bytes can form.
 */
static inline unsigned flag_bit(const char *p)
{
    static const struct {
        uint32_t w;
        uint8_t bit;
    } slot[8] = {
        {W3('P', 'S', 'H'), FW_TCP_PSH}, {W3('A', 'C', 'K'), FW_TCP_ACK},
        {W3('R', 'S', 'T'), FW_TCP_RST}, {W3('S', 'Y', 'N'), FW_TCP_SYN},
        {0xffffff, 0},                   {W3('U', 'R', 'G'), FW_TCP_URG},
        {W3('F', 'I', 'N'), FW_TCP_FIN}, {0xffffff, 0},
    };
    uint32_t w = upper3(p);
    return slot[w >> 16 & 7].w == w ? slot[w >> 16 & 7].bit : 0;
}

/*
 * The general flag parser: names and nfdump letters, separated by commas,
 * bars or blanks.  A loop with a branch per character and a scan of the
 * name list per token: ~180 instructions for "FIN,ACK".
 */
__attribute__((noinline)) static int parse_tcp_flags_general(const char *p, unsigned n,
                                                             uint8_t *flags)
{
    static const struct {
        const char *name;
        uint8_t bit;
    } names[] = {{"SYN", FW_TCP_SYN}, {"ACK", FW_TCP_ACK}, {"FIN", FW_TCP_FIN},
                 {"RST", FW_TCP_RST}, {"PSH", FW_TCP_PSH}, {"URG", FW_TCP_URG}};
    uint8_t f = 0;
    unsigned i = 0;
    while (i < n) {
        while (i < n && (p[i] == ',' || p[i] == '|' || p[i] == ' '))
            i++;
        unsigned s = i;
        while (i < n && p[i] != ',' && p[i] != '|' && p[i] != ' ')
            i++;
        if (i == s)
            break;
        unsigned len = i - s;
        unsigned k = sizeof names / sizeof names[0];
        if (len == 3) {
            /* Compare the three letters upper-cased as one word. */
            unsigned w = (unsigned)(p[s] & ~0x20) << 16 | (unsigned)(p[s + 1] & ~0x20) << 8 |
                         (unsigned)(p[s + 2] & ~0x20);
            for (k = 0; k < sizeof names / sizeof names[0]; k++)
                if (w == ((unsigned)names[k].name[0] << 16 | (unsigned)names[k].name[1] << 8 |
                          (unsigned)names[k].name[2]))
                    break;
        }
        if (k < sizeof names / sizeof names[0]) {
            f |= names[k].bit;
            continue;
        }
        /* nfdump style: one letter a flag, '.' for unset ("....S.", "SA"). */
        for (unsigned j = s; j < i; j++) {
            switch (p[j]) {
            case 'F': f |= FW_TCP_FIN; break;
            case 'S': f |= FW_TCP_SYN; break;
            case 'R': f |= FW_TCP_RST; break;
            case 'P': f |= FW_TCP_PSH; break;
            case 'A': f |= FW_TCP_ACK; break;
            case 'U': f |= FW_TCP_URG; break;
            case '.': break;
            default: return -1;
            }
        }
    }
    *flags = f;
    return 0;
}

/*
 * TCP flags as FW_TCP_* bits: names (SYN, ACK, FIN, RST, PSH, URG, any case)
 * or nfdump letters ("....S.", "SA"), separated by commas, bars or blanks.
 * Returns 0, or -1 for anything else.  The seed writes one or two names
 * ("SYN", "FIN,ACK"): those shapes, and three names, are matched by flag_bit
 * in ~15-30 instructions, inline; anything else goes to the general parser,
 * which gives the same answer for them.
 */
static inline int parse_tcp_flags(const char *p, unsigned n, uint8_t *flags)
{
    unsigned f = 0, k = 0;
    if (n == 3)
        k = 1;
    else if (n == 7 && p[3] == ',')
        k = 2;
    else if (n == 11 && p[3] == ',' && p[7] == ',')
        k = 3;
    unsigned i = 0;
    for (; i < k; i++) {
        unsigned b = flag_bit(p + 4 * i);
        if (!b)
            break;
        f |= b;
    }
    if (k && i == k) {
        *flags = (uint8_t)f;
        return 0;
    }
    return parse_tcp_flags_general(p, n, flags);
}

int fw_parse_tcp_flags(const char *p, unsigned n, uint8_t *flags)
{
    return parse_tcp_flags(p, n, flags);
}

/* The protocol names after TCP and UDP, and numbers: a scan with
 * strncasecmp, ~100 instructions; kept out of line. */
__attribute__((noinline)) static int parse_proto_general(const char *p, unsigned n,
                                                         uint8_t *proto)
{
    static const struct {
        const char *name;
        uint8_t num;
    } names[] = {{"TCP", FW_PROTO_TCP},   {"UDP", FW_PROTO_UDP},   {"ICMP", FW_PROTO_ICMP},
                 {"ICMPV6", FW_PROTO_ICMPV6}, {"GRE", 47}, {"ESP", 50}, {"SCTP", 132}};
    for (unsigned k = 0; k < sizeof names / sizeof names[0]; k++)
        if (strlen(names[k].name) == n && !strncasecmp(names[k].name, p, n)) {
            *proto = names[k].num;
            return 0;
        }
    uint64_t v;
    if (fw_parse_u64(p, n, &v) == 0 && v <= 255) {
        *proto = (uint8_t)v;
        return 0;
    }
    return -1;
}

/*
 * A protocol name (any case) or number 0-255 as its IP protocol number;
 * 0, or -1.  The common cases first, inline and without a library call: the
 * three bytes as one upper-cased word against "TCP" and "UDP" (~8
 * instructions).
 */
static inline int parse_proto(const char *p, unsigned n, uint8_t *proto)
{
    if (n == 3) {
        uint32_t w = upper3(p);
        if (w == W3('T', 'C', 'P') || w == W3('U', 'D', 'P')) {
            *proto = w == W3('T', 'C', 'P') ? FW_PROTO_TCP : FW_PROTO_UDP;
            return 0;
        }
    }
    return parse_proto_general(p, n, proto);
}

int fw_parse_proto(const char *p, unsigned n, uint8_t *proto)
{
    return parse_proto(p, n, proto);
}

/*
 * A boolean: true/yes/1 or false/no/0, the words in any case; 1, 0, or -1.
 * The words are compared as one upper-cased word each (bit 5 cleared, which
 * turns exactly the lower-case letters into upper-case ones and can turn no
 * other byte into a letter), where strncasecmp cost a call and ~40
 * instructions.
 */
static int parse_bool(const char *p, unsigned n)
{
    uint32_t w = 0;
    if (n >= 3)
        w = upper3(p);
    switch (n) {
    case 1: return p[0] == '1' ? 1 : p[0] == '0' ? 0 : -1;
    case 2: return ((p[0] & 0xdf) == 'N' && (p[1] & 0xdf) == 'O') ? 0 : -1;
    case 3: return w == W3('Y', 'E', 'S') ? 1 : -1;
    case 4: return w == W3('T', 'R', 'U') && (p[3] & 0xdf) == 'E' ? 1 : -1;
    case 5: return w == W3('F', 'A', 'L') && upper3(p + 2) == W3('L', 'S', 'E') ? 0 : -1;
    default: return -1;
    }
}

/* An HTTP method (exact case), or FW_HTTP_OTHER.  By length, then a compare
 * of at most two names that the compiler turns into word compares. */
static enum fw_http_method parse_method(const char *p, unsigned n)
{
    switch (n) {
    case 3:
        return !memcmp(p, "GET", 3)   ? FW_HTTP_GET
               : !memcmp(p, "PUT", 3) ? FW_HTTP_PUT
                                      : FW_HTTP_OTHER;
    case 4:
        return !memcmp(p, "POST", 4)   ? FW_HTTP_POST
               : !memcmp(p, "HEAD", 4) ? FW_HTTP_HEAD
                                       : FW_HTTP_OTHER;
    case 6: return !memcmp(p, "DELETE", 6) ? FW_HTTP_DELETE : FW_HTTP_OTHER;
    default: return FW_HTTP_OTHER;
    }
}

/*
 * Whether the eight bytes ending at p + n lie inside the row's text, so that
 * a word load ending at a field's end reads only bytes of this record.  True
 * for an unquoted field ending at least eight bytes into the record; not for
 * a field the reader unescaped into its scratch area.  Three instructions.
 */
static inline bool tail8_in_row(const fw_csv_row *row, const char *p, unsigned n)
{
    uintptr_t end = (uintptr_t)p + n - (uintptr_t)row->raw; /* wraps if before raw */
    return end >= 8 && end <= row->raw_n;
}

/*
 * fw_parse_count_fast (see seedcsv.h): one word load ending at the field's
 * end, the bytes before the number replaced by leading zeros, a SWAR digit
 * check and three multiplies; about 40 instructions and no branch per digit.
 */
static inline int count_fast(const fw_csv_row *row, const fw_csv_field *fd, uint64_t *v)
{
    const uint64_t zeros = '0' * FW_SWAR_ONES;
    const char *p = fd->p;
    unsigned n = fd->n;
    if (n - 1 >= 8 || !tail8_in_row(row, p, n))
        return -1;
    const uint64_t w = fw_load_le64(p + n - 8), keep = ~0ULL << (64 - 8 * n);
    uint64_t x = ((w ^ zeros) & keep) ^ zeros; /* the bytes before the field: '0' */
    if (!fw_all_digits8(x)) {
        /* "200.0": without the ".0", the same again. */
        if (n < 3 || w >> 48 != ('.' | '0' << 8))
            return -1;
        x = ((w << 16 ^ zeros) & keep << 16) ^ zeros;
        if (!fw_all_digits8(x))
            return -1;
    }
    *v = fw_eight_digits(x);
    return 0;
}

int fw_parse_count_fast(const fw_csv_row *row, const fw_csv_field *f, uint64_t *v)
{
    return count_fast(row, f, v);
}

/* A count as fw_parse_u64 reads it: the fast path, else fw_parse_u64. */
static inline int parse_count(const fw_csv_row *row, const fw_csv_field *f, uint64_t *v)
{
    if (count_fast(row, f, v) == 0)
        return 0;
    return fw_parse_u64(f->p, f->n, v);
}

/* The label names and lengths, from the one list in flow.h. */
static const struct {
    const char *name;
    unsigned len;
} label_str[FW_LABEL_COUNT] = {
#define X(id, name) {name, sizeof name - 1},
    FW_LABEL_LIST(X)
#undef X
};

/*
 * The label of an attack_type field, as fw_label_from gives it.  The names of
 * eight bytes or more (all but "normal" and "other") are told apart by (first
 * byte + 5 * second byte + length) & 7, which indexes the one candidate; two
 * overlapping 8-byte compares with its name confirm it.  ~15 instructions
 * where fw_label_from's scan with strlen and memcmp took 80.  Anything else,
 * a miss included ("normal" and "other" too), goes to fw_label_from.
 */
static inline enum fw_label parse_label(const char *p, unsigned n)
{
    static const uint8_t cand[8] = {FW_LABEL_SLOWLORIS, FW_LABEL_SYN_FLOOD,  FW_LABEL_UDP_FLOOD,
                                    FW_LABEL_VOLUMETRIC, FW_LABEL_PORT_SCAN, FW_LABEL_FLASH_CROWD,
                                    FW_LABEL_HTTP_FLOOD, FW_LABEL_AMPLIFICATION};
    if (n >= 8 && n <= 16) {
        unsigned l = cand[((unsigned char)p[0] + 5 * (unsigned char)p[1] + n) & 7];
        const char *name = label_str[l].name;
        if (label_str[l].len == n && fw_load_le64(name) == fw_load_le64(p) &&
            fw_load_le64(name + n - 8) == fw_load_le64(p + n - 8))
            return (enum fw_label)l;
    }
    return fw_label_from(p, n);
}

/*
 * fw_parse_ms_fast (see seedcsv.h): one word load ending at the field's end;
 * the point is found by a SWAR byte compare and removed by moving the digits
 * before it up one byte; then one digit check and three multiplies give
 * integer * 10^(fraction digits) + fraction.  ~45 instructions where the loop
 * took 170, with a division per fraction digit.
 */
static inline int ms_fast(const fw_csv_row *row, const fw_csv_field *fd, int64_t *us)
{
    static const int64_t scale[4] = {1000, 100, 10, 1};
    const uint64_t lo7 = 0x7f * FW_SWAR_ONES, hi1 = 0x80 * FW_SWAR_ONES;
    const char *p = fd->p;
    unsigned n = fd->n;
    if (n - 1 >= 8 || !tail8_in_row(row, p, n))
        return -1;
    uint64_t w = fw_load_le64(p + n - 8);
    /* The field's points: bytes equal to '.', exactly (no carries). */
    const uint64_t t = w ^ ('.' * FW_SWAR_ONES);
    const uint64_t dots = ~(((t & lo7) + lo7) | t) & hi1 & ~0ULL << (8 * (8 - n));
    unsigned digits = n, frac = 0;
    if (dots) { /* a second point stays in the word and fails the digit check */
        const unsigned k = (unsigned)__builtin_ctzll(dots) / 8; /* the point's byte */
        const uint64_t below = ~(~0ULL << 8 * k);
        w = (w & ~below << 8) | (w & below) << 8; /* drop it: digits before move up */
        digits = n - 1;
        frac = 7 - k;
    }
    if (digits == 0 || frac > 3)
        return -1;
    const uint64_t zeros = '0' * FW_SWAR_ONES, keep = ~0ULL << (8 * (8 - digits));
    w = ((w ^ zeros) & keep) ^ zeros; /* the bytes before the number: '0' */
    if (!fw_all_digits8(w))
        return -1;
    *us = (int64_t)fw_eight_digits(w) * scale[frac];
    return 0;
}

int fw_parse_ms_fast(const fw_csv_row *row, const fw_csv_field *f, int64_t *us)
{
    return ms_fast(row, f, us);
}

/* A response time as fw_parse_ms_to_us reads it: the fast path, else
 * fw_parse_ms_to_us. */
static inline int parse_ms(const fw_csv_row *row, const fw_csv_field *f, int64_t *us)
{
    if (ms_fast(row, f, us) == 0)
        return 0;
    return fw_parse_ms_to_us(f->p, f->n, us);
}

/* Largest packet an IP datagram can carry, and the smallest (a bare header). */
#define PKT_MIN 20
#define PKT_MAX 65535
/* A response slower than this is a broken measurement, not a slow server. */
#define RESPONSE_MAX_US (600LL * 1000 * 1000)

fw_faults fw_seed_decode(const fw_seed_schema *s, const fw_csv_row *row, fw_flow *out,
                         uint64_t empty[FW_COL_COUNT])
{
    /* Zeros but for the two "unknown" markers (one block store and two). */
    static const fw_flow blank = {.response_us = -1, .is_attack = 2};
    fw_faults f = 0;
    *out = blank;
    if (row->error == FW_CSV_ETOOLONG)
        return FW_BIT(FW_R_CSV_MALFORMED); /* its fields were never split: nothing to judge */
    if (row->error)
        f |= FW_BIT(FW_R_CSV_MALFORMED);
    if (row->nf != s->nfields)
        f |= FW_BIT(FW_R_FIELD_COUNT);

    /* The row's fields, padded with empty ones when the row is short, so that
     * every index the schema holds (all below nfields) is in range and the
     * per-column lookups below need no bounds check. */
    static const fw_csv_field none = {"", 0, 0};
    const fw_csv_field *fl = row->f;
    fw_csv_field pad[FW_CSV_MAX_FIELDS];
    if (row->nf < s->nfields) {
        memcpy(pad, row->f, row->nf * sizeof *pad);
        for (unsigned i = row->nf; i < s->nfields; i++)
            pad[i] = none;
        fl = pad;
    }
    /* Each column's field (an absent one reads as empty), and the empty
     * counts.  Unrolled: a loop of 23 short iterations costs as much in
     * its own overhead as in its work. */
    const fw_csv_field *fld[FW_COL_COUNT];
    uint64_t scratch[FW_COL_COUNT], *ec = empty;
    if (!ec) {
        memset(scratch, 0, sizeof scratch);
        ec = scratch;
    }
#pragma GCC unroll 32
    for (unsigned c = 0; c < FW_COL_COUNT; c++) {
        int i = s->idx[c];
        fld[c] = i >= 0 ? &fl[i] : &none;
        if (i >= 0)
            ec[c] += fld[c]->n == 0;
    }
#define F(c) fld[FW_COL_##c]

    if (F(TIMESTAMP)->n == 0)
        f |= FW_BIT(FW_R_TIMESTAMP_MISSING);
    else if (fw_ts_parse(F(TIMESTAMP)->p, F(TIMESTAMP)->n, &out->ts_us))
        f |= FW_BIT(FW_R_TIMESTAMP_INVALID);

    if (F(SOURCE_IP)->n == 0)
        f |= FW_BIT(FW_R_SRC_IP_MISSING);
    else if (fw_addr_parse(F(SOURCE_IP)->p, F(SOURCE_IP)->n, &out->src))
        f |= FW_BIT(FW_R_SRC_IP_INVALID);
    else if (fw_addr_source_use(&out->src) != FW_ADDR_OK)
        f |= FW_BIT(FW_R_SRC_IP_UNUSABLE);

    if (F(DEST_IP)->n == 0)
        f |= FW_BIT(FW_R_DST_IP_MISSING);
    else if (fw_addr_parse(F(DEST_IP)->p, F(DEST_IP)->n, &out->dst))
        f |= FW_BIT(FW_R_DST_IP_INVALID);
    else if (fw_addr_dest_use(&out->dst) != FW_ADDR_OK)
        f |= FW_BIT(FW_R_DST_IP_UNUSABLE);

    if (parse_proto(F(PROTOCOL)->p, F(PROTOCOL)->n, &out->proto))
        f |= FW_BIT(FW_R_PROTOCOL_UNKNOWN);

    uint64_t v;
    bool has_ports = out->proto == FW_PROTO_TCP || out->proto == FW_PROTO_UDP || out->proto == 132;
    if (F(DEST_PORT)->n) {
        if (parse_count(row, F(DEST_PORT), &v) || v > 65535)
            f |= FW_BIT(FW_R_PORT_INVALID);
        else
            out->dst_port = (uint16_t)v;
    } else if (has_ports) {
        f |= FW_BIT(FW_R_PORT_INVALID);
    }
    if (F(SOURCE_PORT)->n) {
        if (parse_count(row, F(SOURCE_PORT), &v) || v > 65535)
            f |= FW_BIT(FW_R_PORT_INVALID);
        else
            out->src_port = (uint16_t)v;
    }

    /* Counters: empty means unknown (0); anything else must be a count. */
    if (F(BYTES_SENT)->n) {
        if (parse_count(row, F(BYTES_SENT), &out->bytes_sent))
            f |= FW_BIT(FW_R_COUNTER_INVALID);
    }
    if (F(BYTES_RECEIVED)->n) {
        if (parse_count(row, F(BYTES_RECEIVED), &out->bytes_recv))
            f |= FW_BIT(FW_R_COUNTER_INVALID);
    }
    if (F(PACKETS_SENT)->n) {
        if (parse_count(row, F(PACKETS_SENT), &v) || v > UINT32_MAX)
            f |= FW_BIT(FW_R_COUNTER_INVALID);
        else
            out->pkts_sent = (uint32_t)v;
    } else {
        out->pkts_sent = 1; /* a log row with no packet counter is one request */
    }
    if (F(PACKETS_RECEIVED)->n) {
        if (parse_count(row, F(PACKETS_RECEIVED), &v) || v > UINT32_MAX)
            f |= FW_BIT(FW_R_COUNTER_INVALID);
        else
            out->pkts_recv = (uint32_t)v;
    }

    /* Packet size: outside [20, 65535] is impossible for one IP packet.  The
     * seed's bytes_sent is packets_sent * packet_size, so where the counters
     * are sound the size is recomputed from them (and the repair counted). */
    bool size_ok = F(PACKET_SIZE)->n && !parse_count(row, F(PACKET_SIZE), &v) &&
                   v >= PKT_MIN && v <= PKT_MAX;
    if (size_ok) {
        out->packet_size = (uint32_t)v;
        if (!F(BYTES_SENT)->n)
            out->bytes_sent = (uint64_t)out->packet_size * out->pkts_sent;
    } else if (out->pkts_sent && out->bytes_sent &&
               out->bytes_sent % out->pkts_sent == 0 &&
               out->bytes_sent / out->pkts_sent >= PKT_MIN &&
               out->bytes_sent / out->pkts_sent <= PKT_MAX) {
        out->packet_size = (uint32_t)(out->bytes_sent / out->pkts_sent);
        if (s->idx[FW_COL_PACKET_SIZE] >= 0)
            f |= FW_BIT(FW_R_PACKET_SIZE_FROM_BYTES);
    } else {
        f |= FW_BIT(FW_R_SIZE_INVALID);
    }

    if (F(RESPONSE_TIME_MS)->n) {
        int64_t us;
        if (parse_ms(row, F(RESPONSE_TIME_MS), &us) || us < 0 || us > RESPONSE_MAX_US)
            f |= FW_BIT(FW_R_RESPONSE_TIME_CLEARED);
        else
            out->response_us = (int32_t)us;
    }
    if (F(TTL)->n) {
        if (parse_count(row, F(TTL), &v) || v > 255)
            f |= FW_BIT(FW_R_TTL_CLEARED);
        else
            out->ttl = (uint8_t)v;
    }
    if (F(FLAGS)->n && parse_tcp_flags(F(FLAGS)->p, F(FLAGS)->n, &out->tcp_flags)) {
        out->tcp_flags = 0;
        f |= FW_BIT(FW_R_TCP_FLAGS_CLEARED);
    }
    if (out->proto != FW_PROTO_TCP)
        out->tcp_flags = 0; /* the seed writes flags on UDP rows too; they mean nothing there */
    if (F(COUNTRY)->n) {
        const char *c = F(COUNTRY)->p;
        /* Two ASCII letters (isalpha in the C locale, which floodwatch never
         * leaves), upper-cased by clearing bit 5, without the ctype calls. */
        if (F(COUNTRY)->n == 2 && (unsigned)((c[0] | 0x20) - 'a') < 26 &&
            (unsigned)((c[1] | 0x20) - 'a') < 26) {
            out->country[0] = (char)(c[0] & 0xdf);
            out->country[1] = (char)(c[1] & 0xdf);
        } else {
            f |= FW_BIT(FW_R_COUNTRY_CLEARED);
        }
    }
    if (F(HTTP_METHOD)->n)
        out->http_method = (uint8_t)parse_method(F(HTTP_METHOD)->p, F(HTTP_METHOD)->n);
    if (F(STATUS_CODE)->n) {
        if (parse_count(row, F(STATUS_CODE), &v) || v < 100 || v > 599)
            f |= FW_BIT(FW_R_HTTP_STATUS_CLEARED);
        else
            out->http_status = (uint16_t)v;
    }
    if (F(IS_ATTACK)->n) {
        int b = parse_bool(F(IS_ATTACK)->p, F(IS_ATTACK)->n);
        if (b < 0)
            f |= FW_BIT(FW_R_LABEL_CLEARED);
        else
            out->is_attack = (uint8_t)b;
    }
    out->label = (uint8_t)parse_label(F(ATTACK_TYPE)->p, F(ATTACK_TYPE)->n);
#undef F
    return f;
}
