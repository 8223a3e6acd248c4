/*
 * ts.h - event time: microseconds since the Unix epoch, UTC, as int64_t.
 *
 * Nothing in floodwatch reads the wall clock to decide a window or a
 * threshold; times come from the data.  These helpers parse and format
 * ISO 8601 without locale or libc time-zone state, so they are fast and
 * deterministic.
 */
#ifndef FW_TS_H
#define FW_TS_H

#include <stddef.h>
#include <stdint.h>

#define FW_US_PER_S 1000000LL

/* Days since 1970-01-01 for a proleptic Gregorian date (no range check). */
int64_t fw_days_from_civil(int y, unsigned m, unsigned d);
/* Inverse of fw_days_from_civil. */
void fw_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);

/*
 * Parse an ISO 8601 timestamp: "YYYY-MM-DD[T| ]hh:mm[:ss[.frac]][Z|±hh[:]mm]".
 * No zone means UTC.  Fractions beyond microseconds are truncated.  Fields are
 * range-checked (month 1-12, day within the month, hour < 24, ...); years
 * 1000-9999.  Returns 0 and sets *ts_us, or -1 if s[0..n) is not such a time.
 */
int fw_ts_parse(const char *s, size_t n, int64_t *ts_us);

/*
 * The fast path of fw_ts_parse, exposed for tests: only the layouts a pandas
 * export writes, "YYYY-MM-DDThh:mm:ss" and the same with exactly six fraction
 * digits ('T', 't' or ' ' between date and time, '.' or ',' before the
 * fraction; no blanks, no zone).  Returns 0 and sets *ts_us exactly as
 * fw_ts_parse does, or -1 for anything else, valid or not.  Keeps the last
 * date it decoded in a thread-local cache.
 */
int fw_ts_parse_fixed(const char *s, size_t n, int64_t *ts_us);

/*
 * Format ts_us as "YYYY-MM-DDThh:mm:ss[.ffffff]Z" into buf (at least
 * FW_TS_BUFSZ bytes).  Microseconds are printed only when non-zero unless
 * always_frac is set.  Returns the length written (without the NUL).
 */
#define FW_TS_BUFSZ 40
int fw_ts_format(int64_t ts_us, char *buf, int always_frac);

/* Floor division of a time by a period (for pane and minute indexes). */
static inline int64_t fw_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

#endif
