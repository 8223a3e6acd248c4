/*
 * ts.c - ISO 8601 parsing and formatting for event times (see ts.h).
 * The date arithmetic is Howard Hinnant's days_from_civil algorithm.
 */
#include <stdio.h>

#include "core/swar.h"
#include "core/ts.h"

int64_t fw_days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void fw_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400) + (*m <= 2);
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i] - '0';
        if (c > 9)
            return -1;
        v = v * 10 + (int)c;
    }
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

/*
 * The general parser: every form ts.h describes.  A few hundred instructions
 * with a branch per character; fw_ts_parse tries the fixed layout first.
 * Kept out of line so that the fast path does not pay for its registers.
 */
__attribute__((noinline)) static int ts_parse_general(const char *s, size_t n, int64_t *ts_us)
{
    int y, mo, d, h, mi, sec = 0;
    /* Trim surrounding blanks, which some exporters leave in. */
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n < 16 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':')
        return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi))
        return -1;
    size_t i = 16;
    int64_t frac_us = 0;
    if (i < n && s[i] == ':') {
        if (i + 3 > n || digits(s + i + 1, 2, &sec))
            return -1;
        i += 3;
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            i++;
            size_t start = i;
            int64_t scale = 100000;
            while (i < n && (unsigned)(s[i] - '0') <= 9) {
                frac_us += (s[i] - '0') * scale;
                scale /= 10;
                i++;
            }
            if (i == start)
                return -1;
        }
    }
    int64_t offset_s = 0;
    if (i < n) {
        if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int oh, om = 0;
            int sign = s[i] == '-' ? -1 : 1;
            i++;
            if (i + 2 > n || digits(s + i, 2, &oh))
                return -1;
            i += 2;
            if (i < n && s[i] == ':')
                i++;
            if (i < n) {
                if (i + 2 != n || digits(s + i, 2, &om))
                    return -1;
                i += 2;
            }
            if (oh > 23 || om > 59)
                return -1;
            offset_s = sign * (oh * 3600 + om * 60);
        } else {
            return -1;
        }
    }
    if (i != n)
        return -1;
    if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        sec > 59)
        return -1;
    int64_t days = fw_days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
    *ts_us = secs * FW_US_PER_S + frac_us;
    return 0;
}

/* The last date the fixed-layout parser decoded on this thread: its ten
 * bytes (as a word and a half-word) and its day number.  Log rows come in
 * near time order, so most rows repeat the previous row's date and skip its
 * digit checks, range checks and day arithmetic.  Only valid dates are
 * stored; the zero key never matches, since a date has '-' in byte 4. */
static _Thread_local struct {
    uint64_t ymd;
    uint16_t dd;
    int64_t days;
} last_date;

/*
 * fw_ts_parse_fixed (see ts.h), inlined into fw_ts_parse.  Word loads and
 * SWAR digit checks: about 90 instructions, 40 of them skipped when the date
 * repeats the previous row's, and no branch on the digits themselves.
 */
__attribute__((always_inline)) static inline int ts_parse_fixed(const char *s, size_t n,
                                                                int64_t *ts_us)
{
    if (n != 19 && n != 26)
        return -1;
    /* "YYYY-MM-" with its dashes, the day, and "hh:mm:ss" with its colons;
     * the separators are checked, then set to '0' for the digit checks. */
    const uint64_t zeros = '0' * FW_SWAR_ONES;
    const uint64_t dash = 0xff0000ff00000000ULL, colon = 0x0000ff0000ff0000ULL;
    const uint64_t ymd = fw_load_le64(s), hms = fw_load_le64(s + 11);
    uint16_t dd;
    memcpy(&dd, s + 8, 2);
    if ((ymd & dash) != ('-' * FW_SWAR_ONES & dash) ||
        (hms & colon) != (':' * FW_SWAR_ONES & colon) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
        return -1;
    const uint64_t tw = (hms & ~colon) | (zeros & colon);
    if (!fw_all_digits8(tw))
        return -1;
    int64_t days;
    if (ymd == last_date.ymd && dd == last_date.dd) {
        days = last_date.days;
    } else {
        const uint64_t dw = (ymd & ~dash) | (zeros & dash);
        if (!fw_all_digits8(dw) || (unsigned)(s[8] - '0') > 9 || (unsigned)(s[9] - '0') > 9)
            return -1;
        const uint64_t v = fw_digit_pairs(dw);
        const int y = (int)(v & 0xff) * 100 + (int)(v >> 16 & 0xff);
        const int mo = (int)(v >> 40 & 0xff), d = (s[8] - '0') * 10 + (s[9] - '0');
        if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
            return -1;
        days = fw_days_from_civil(y, (unsigned)mo, (unsigned)d);
        last_date.ymd = ymd;
        last_date.dd = dd;
        last_date.days = days;
    }
    const uint64_t t = fw_digit_pairs(tw);
    const int h = (int)(t & 0xff), mi = (int)(t >> 24 & 0xff), sec = (int)(t >> 48 & 0xff);
    if (h > 23 || mi > 59 || sec > 59)
        return -1;
    int64_t frac_us = 0;
    if (n == 26) {
        /* "s.ffffff": the seconds digit and the point become leading zeros. */
        const uint64_t fw = (fw_load_le64(s + 18) & ~0xffffULL) | (zeros & 0xffff);
        if ((s[19] != '.' && s[19] != ',') || !fw_all_digits8(fw))
            return -1;
        frac_us = fw_eight_digits(fw);
    }
    *ts_us = (days * 86400 + h * 3600 + mi * 60 + sec) * FW_US_PER_S + frac_us;
    return 0;
}

int fw_ts_parse_fixed(const char *s, size_t n, int64_t *ts_us)
{
    return ts_parse_fixed(s, n, ts_us);
}

/* See ts.h: the fixed layout, else the general parser. */
int fw_ts_parse(const char *s, size_t n, int64_t *ts_us)
{
    if (ts_parse_fixed(s, n, ts_us) == 0)
        return 0;
    return ts_parse_general(s, n, ts_us);
}

int fw_ts_format(int64_t ts_us, char *buf, int always_frac)
{
    int64_t secs = fw_floor_div(ts_us, FW_US_PER_S);
    int64_t us = ts_us - secs * FW_US_PER_S;
    int64_t days = fw_floor_div(secs, 86400);
    int64_t sod = secs - days * 86400;
    int y;
    unsigned m, d;
    fw_civil_from_days(days, &y, &m, &d);
    if (us || always_frac)
        return snprintf(buf, FW_TS_BUFSZ, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", y, m, d,
                        (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (int)us);
    return snprintf(buf, FW_TS_BUFSZ, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, m, d, (int)(sod / 3600),
                    (int)(sod / 60 % 60), (int)(sod % 60));
}
