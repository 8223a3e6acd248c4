/* test_core.c - time, addresses, hash map, distinct counter, top-k. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <xxhash.h>

#include "core/amap.h"
#include "core/distinct.h"
#include "core/topk.h"
#include "core/ts.h"

static int64_t ts(const char *s)
{
    int64_t v = 0;
    if (fw_ts_parse(s, strlen(s), &v))
        return INT64_MIN;
    return v;
}

static void test_ts_parse(void **state)
{
    assert_int_equal(ts("1970-01-01T00:00:00"), 0);
    assert_int_equal(ts("1970-01-01 00:00:01"), 1000000);
    assert_int_equal(ts("2026-01-01T00:00:00Z"), 1767225600LL * 1000000);
    assert_int_equal(ts("2026-01-01T00:00:00.5"), 1767225600LL * 1000000 + 500000);
    assert_int_equal(ts("2026-01-01T00:00:00.1234567"), 1767225600LL * 1000000 + 123456);
    assert_int_equal(ts("2026-01-01T02:00:00+02:00"), 1767225600LL * 1000000);
    assert_int_equal(ts("2025-12-31T19:00:00-0500"), 1767225600LL * 1000000);
    assert_int_equal(ts("2024-02-29T00:00"), 1709164800LL * 1000000);
    assert_int_equal(ts(" 2026-01-01T00:00:00 "), 1767225600LL * 1000000);
    const char *bad[] = {"", "INVALID_TIME", "2024-13-45 25:99:99", "0000-00-00 00:00:00",
                         "2023-02-29T00:00:00", "2026-01-01T24:00:00", "2026-01-01T00:60:00",
                         "2026-01-01T00:00:61", "2026-01-01", "2026-01-01T00:00:00.",
                         "2026-01-01T00:00:00X", "2026-01-01T00:00:00+25:00", "2026/01/01 00:00:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ts(bad[i]) != INT64_MIN)
            fail_msg("accepted '%s'", bad[i]);
}

/* Seconds since the epoch of a UTC civil time, by the C library (timegm), as
 * an oracle independent of ts.c. */
static int64_t civil_s(int y, int mo, int d, int h, int mi, int sec)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = sec};
    return (int64_t)timegm(&tm);
}

/* fw_ts_parse_fixed's answer, INT64_MIN when it declines. */
static int64_t ts_fixed(const char *s)
{
    int64_t v = 0;
    if (fw_ts_parse_fixed(s, strlen(s), &v))
        return INT64_MIN;
    return v;
}

/* The fixed layouts fw_ts_parse decodes without its general parser
 * ("YYYY-MM-DDThh:mm:ss" and with six fraction digits), at the edges of
 * months, years and leap days, with a date repeated (the cached day number)
 * and alternating; and the strings just outside the layout, which the fast
 * path must decline and the general parser still decode. */
static void test_ts_fixed_layout(void **state)
{
    const int64_t S = 1000000, base = 1767225600LL * S; /* 2026-01-01 */
    const struct {
        const char *s;
        int64_t want; /* INT64_MIN: invalid */
        bool fast;    /* decoded by the fixed layout */
    } cases[] = {
        {"2024-02-29T23:59:59.999999", (1709164800LL + 86399) * S + 999999, true},
        {"2000-02-29T00:00:00.000000", 951782400LL * S, true},
        {"2023-12-31T23:59:59.999999", 1704067200LL * S - 1, true},
        {"2024-01-01T00:00:00.000000", 1704067200LL * S, true},
        {"2024-01-01T00:00:00", 1704067200LL * S, true},
        {"2024-01-01t00:00:01", 1704067201LL * S, true},
        {"2024-01-01 00:00:02,000007", 1704067202LL * S + 7, true},
        {"9999-12-31T23:59:59.999999", (253402214400LL + 86399) * S + 999999, true},
        {"1000-01-01T00:00:00.000000", -30610224000LL * S, true},
        {"1970-01-01T00:00:00.000001", 1, true},
        {"1969-12-31T23:59:59.999999", -1, true},
        /* The same date again (the cache), a neighbour, and back. */
        {"2026-03-01T01:02:03.000004", (1772323200LL + 3723) * S + 4, true},
        {"2026-03-01T23:59:59.500000", (1772323200LL + 86399) * S + 500000, true},
        {"2026-02-28T00:00:00.000000", (1772323200LL - 86400) * S, true},
        {"2026-03-01T00:00:00", 1772323200LL * S, true},
        /* Invalid dates and times right after a valid date was cached. */
        {"2026-02-29T00:00:00.000000", INT64_MIN, false},
        {"2026-02-29T00:00:00", INT64_MIN, false},
        {"2026-04-31T00:00:00.000000", INT64_MIN, false},
        {"2026-00-10T00:00:00.000000", INT64_MIN, false},
        {"2026-13-10T00:00:00.000000", INT64_MIN, false},
        {"2026-01-00T00:00:00.000000", INT64_MIN, false},
        {"2026-01-32T00:00:00.000000", INT64_MIN, false},
        {"1900-02-29T00:00:00.000000", INT64_MIN, false},
        {"0999-12-31T23:59:59.999999", INT64_MIN, false},
        {"2026-03-01T24:00:00.000000", INT64_MIN, false},
        {"2026-03-01T23:60:00.000000", INT64_MIN, false},
        {"2026-03-01T23:59:60.000000", INT64_MIN, false},
        {"2026-03-01X00:00:00.000000", INT64_MIN, false},
        {"2026-03-01T00-00:00.000000", INT64_MIN, false},
        {"2026-03-01T00:00-00.000000", INT64_MIN, false},
        {"2026-03-01T00:00:00 000000", INT64_MIN, false},
        {"2026-03-01T00:00:00.00000x", INT64_MIN, false},
        {"2026/03-01T00:00:00.000000", INT64_MIN, false},
        {"2026-03/01T00:00:00.000000", INT64_MIN, false},
        /* Valid, but not the fixed layout: zero to nine fraction digits
         * other than six, zones, blanks.  Fractions are truncated. */
        {"2026-01-01T00:00:00.9", base + 900000, false},
        {"2026-01-01T00:00:00.98", base + 980000, false},
        {"2026-01-01T00:00:00.987", base + 987000, false},
        {"2026-01-01T00:00:00.9876", base + 987600, false},
        {"2026-01-01T00:00:00.98765", base + 987650, false},
        {"2026-01-01T00:00:00.987654", base + 987654, true},
        {"2026-01-01T00:00:00.9876543", base + 987654, false},
        {"2026-01-01T00:00:00.98765432", base + 987654, false},
        {"2026-01-01T00:00:00.987654321", base + 987654, false},
        {"2026-01-01T00:00:00Z", base, false},
        {"2026-01-01T00:00:00.987654Z", base + 987654, false},
        {"2026-01-01T01:00:00.987654+01:00", base + 987654, false},
        {"2026-01-01T00:00:00.987654-0130", base + 5400 * S + 987654, false},
        {" 2026-01-01T00:00:00.987654", base + 987654, false},
        {"2026-01-01T00:00:00.987654\t", base + 987654, false},
        {"2026-01-01T00:00", base, false},
        {"2026-01-01T00:00:00.", INT64_MIN, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = ts(cases[i].s), fast = ts_fixed(cases[i].s);
        if (got != cases[i].want)
            fail_msg("'%s': got %lld, want %lld", cases[i].s, (long long)got,
                     (long long)cases[i].want);
        if (fast != (cases[i].fast ? cases[i].want : INT64_MIN))
            fail_msg("'%s': fixed layout gave %lld", cases[i].s, (long long)fast);
    }
    /* A byte just below '0' or just above '9', or a high byte, in any digit
     * place rejects; with the date cached and not. */
    const char good[] = "2026-01-01T00:00:00.000000";
    for (size_t k = 0; k < sizeof good - 1; k++) {
        if (good[k] < '0' || good[k] > '9')
            continue;
        for (int c = 0; c < 3; c++) {
            char b[sizeof good];
            memcpy(b, good, sizeof good);
            b[k] = "/:\x80"[c];
            assert_int_equal(ts_fixed(good), base);
            if (ts(b) != INT64_MIN || ts_fixed(b) != INT64_MIN)
                fail_msg("accepted '%s'", b);
        }
    }
    /* Every day of 1999-2101 and of the first and last years, at a time
     * and fraction that vary, against the C library. */
    for (int y = 999; y <= 9999; y = y == 1000 ? 1999 : y == 2101 ? 9999 : y + 1) {
        for (int mo = 1; mo <= 12; mo++) {
            for (int d = 1; d <= 31; d++) {
                int h = (d * 7 + mo) % 24, mi = (d * 13 + y) % 60, sec = (d * 31 + mo) % 60;
                int us = (y * 7919 + d * 104729 + mo) % 1000000;
                char b[64]; /* room for any int, as -Wformat-truncation checks */
                snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%06d", y, mo, d, h, mi, sec,
                         us);
                struct tm chk = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d};
                timegm(&chk);
                bool valid = y >= 1000 && chk.tm_mday == d;
                int64_t want = valid ? civil_s(y, mo, d, h, mi, sec) * S + us : INT64_MIN;
                if (ts_fixed(b) != want || ts(b) != want)
                    fail_msg("'%s': got %lld", b, (long long)ts(b));
                b[19] = 0; /* the same without a fraction */
                want = valid ? want - us : INT64_MIN;
                if (ts_fixed(b) != want || ts(b) != want)
                    fail_msg("'%s': got %lld", b, (long long)ts(b));
            }
        }
    }
}

static void test_ts_format_roundtrip(void **state)
{
    char buf[FW_TS_BUFSZ];
    fw_ts_format(1767225600LL * 1000000 + 5, buf, 0);
    assert_string_equal(buf, "2026-01-01T00:00:00.000005Z");
    fw_ts_format(1767225600LL * 1000000, buf, 0);
    assert_string_equal(buf, "2026-01-01T00:00:00Z");
    fw_ts_format(-1, buf, 0);
    assert_string_equal(buf, "1969-12-31T23:59:59.999999Z");
    for (int64_t t = -5000000000000000LL; t < 5000000000000000LL; t += 123456789012345LL) {
        int64_t back;
        int n = fw_ts_format(t, buf, 1);
        if (t >= ts("1000-01-01T00:00:00")) {
            assert_int_equal(fw_ts_parse(buf, (size_t)n, &back), 0);
            assert_int_equal(back, t);
        }
    }
    assert_int_equal(fw_floor_div(-1, 60), -1);
    assert_int_equal(fw_floor_div(59, 60), 0);
}

static void test_addr(void **state)
{
    fw_addr a;
    char buf[FW_ADDR_STRLEN];
    assert_int_equal(fw_addr_parse("10.0.1.3", 8, &a), 0);
    assert_true(fw_addr_is_v4(&a));
    assert_int_equal(fw_addr_v4(&a), 0x0a000103);
    fw_addr_format(&a, buf);
    assert_string_equal(buf, "10.0.1.3");
    assert_int_equal(fw_addr_parse("2001:db8::1", 11, &a), 0);
    assert_false(fw_addr_is_v4(&a));
    fw_addr_format(&a, buf);
    assert_string_equal(buf, "2001:db8::1");
    const char *bad[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.04", "1..2.3", " 1.2.3.4",
                         "1.2.3.4 ", "::g", "1:2:3:4:5:6:7:8:9", "a.b.c.d", "1.2.3.-4"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (fw_addr_parse(bad[i], strlen(bad[i]), &a) == 0)
            fail_msg("accepted '%s'", bad[i]);
    fw_addr_parse("0.0.0.0", 7, &a);
    assert_int_equal(fw_addr_source_use(&a), FW_ADDR_UNSPECIFIED);
    assert_int_equal(fw_addr_dest_use(&a), FW_ADDR_UNSPECIFIED);
    fw_addr_parse("255.255.255.255", 15, &a);
    assert_int_equal(fw_addr_source_use(&a), FW_ADDR_BROADCAST);
    assert_int_equal(fw_addr_dest_use(&a), FW_ADDR_OK);
    fw_addr_parse("239.1.1.1", 9, &a);
    assert_int_equal(fw_addr_source_use(&a), FW_ADDR_MULTICAST);
    fw_addr_parse("ff02::1", 7, &a);
    assert_int_equal(fw_addr_source_use(&a), FW_ADDR_MULTICAST);
}

/* fw_addr_parse on s[0..n) copied to a buffer of exactly n bytes (so that
 * AddressSanitizer sees any read past the field); -1, or 0 and the IPv4
 * value in *v4 (0xffffffff for an IPv6 address). */
static int parse_exact(const char *s, size_t n, uint32_t *v4)
{
    char *p = malloc(n ? n : 1);
    memcpy(p, s, n);
    fw_addr a;
    int rc = fw_addr_parse(p, n, &a);
    free(p);
    if (rc == 0)
        *v4 = fw_addr_is_v4(&a) ? fw_addr_v4(&a) : 0xffffffffu;
    return rc;
}

/* Dotted quads, parsed and found again in the thread's memo: exact values
 * at every length 7-15 and the strings that must fail, each twice; every
 * combination of awkward octets against the C library's inet_pton, which is
 * as strict (no leading zeros, 0-255, four parts); thousands of addresses
 * (many sharing a memo slot) parsed over and over in changing order, and
 * near misses of remembered ones. */
static void test_addr_v4_memo(void **state)
{
    const struct {
        const char *s;
        uint32_t v; /* 0 with ok 0: must fail */
        int ok;
    } cases[] = {
        {"1.2.3.4", 0x01020304, 1},          {"10.0.1.7", 0x0a000107, 1},
        {"10.0.1.17", 0x0a000111, 1},        {"100.0.1.17", 0x64000111, 1},
        {"100.20.1.17", 0x64140111, 1},      {"100.200.1.17", 0x64c80111, 1},
        {"100.200.10.17", 0x64c80a11, 1},    {"100.200.100.17", 0x64c86411, 1},
        {"255.255.255.255", 0xffffffff, 1},  {"0.0.0.0", 0, 1},
        {"199.249.250.9", 0xc7f9fa09, 1},    {"1.2.3.4.", 0, 0},
        {"1.2.3.4x", 0, 0},                  {"x1.2.3.4", 0, 0},
        {"1.2.3.04", 0, 0},                  {"01.2.3.4", 0, 0},
        {"1.00.3.4", 0, 0},                  {"1.2.3.256", 0, 0},
        {"256.2.3.4", 0, 0},                 {"1.2.300.4", 0, 0},
        {"1.2.3.1000", 0, 0},                {"1234.2.3.4", 0, 0},
        {"1.2.3", 0, 0},                     {"1.2.3.", 0, 0},
        {".1.2.3.4", 0, 0},                  {"1..2.3", 0, 0},
        {"1.2..34", 0, 0},                   {"255.255.255.2555", 0, 0},
        {"1.2.3.4 ", 0, 0},                  {"1.2.3.-4", 0, 0},
        {"1.2.3:4", 0, 0},                   {"1.2.3./", 0, 0},
        {"1.2.3.:", 0, 0},                   {"/.2.3.4", 0, 0},
        {"::ffff:1.2.3.4", 0x01020304, 1},   {"2001:db8::1", 0xffffffff, 1},
    };
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            uint32_t v = 0;
            int rc = parse_exact(cases[i].s, strlen(cases[i].s), &v);
            if (cases[i].ok ? rc != 0 || v != cases[i].v : rc == 0)
                fail_msg("'%s': rc %d, value 0x%08x", cases[i].s, rc, v);
        }
    }
    /* A NUL inside or right after the address is not part of one. */
    uint32_t v;
    assert_int_equal(parse_exact("1.2.3.4\0", 8, &v), -1);
    assert_int_equal(parse_exact("1.2\0.3.4", 8, &v), -1);
    assert_int_equal(parse_exact("10.0.1.7", 8, &v), 0);
    assert_int_equal(v, 0x0a000107);

    const char *oct[] = {"0", "00", "01", "1", "9", "10", "99", "100", "199", "249", "250",
                         "255", "256", "999", "1000", ""};
    const char *sep[] = {".", "..", ":"};
    const size_t no = sizeof oct / sizeof oct[0];
    for (size_t a = 0; a < no; a++)
        for (size_t b = 0; b < no; b++)
            for (size_t c = 0; c < no; c++)
                for (size_t d = 0; d < no; d++)
                    for (size_t k = 0; k < 3; k++) {
                        char buf[64];
                        int n = snprintf(buf, sizeof buf, "%s.%s%s%s.%s", oct[a], oct[b], sep[k],
                                         oct[c], oct[d]);
                        struct in_addr ref;
                        int want = inet_pton(AF_INET, buf, &ref) == 1;
                        int rc = parse_exact(buf, (size_t)n, &v);
                        if (want ? rc != 0 || v != ntohl(ref.s_addr) : rc == 0)
                            fail_msg("'%s': rc %d, inet_pton %d", buf, rc, want);
                    }
    /* 4000 addresses, 512 memo slots: each parse must give its own value. */
    enum { N = 4000 };
    static char addr[N][16];
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245 + 12345;
        snprintf(addr[i], sizeof addr[i], "%u.%u.%u.%u", 10 + (x >> 24) % 240, (x >> 16) & 0xff,
                 (x >> 8) & 0xff, (i * 7) & 0xff);
    }
    for (int round = 0; round < 4; round++) {
        for (int k = 0; k < N; k++) {
            int i = round & 1 ? N - 1 - k : (k * (2 * round + 1)) % N;
            struct in_addr ref;
            assert_int_equal(inet_pton(AF_INET, addr[i], &ref), 1);
            assert_int_equal(parse_exact(addr[i], strlen(addr[i]), &v), 0);
            if (v != ntohl(ref.s_addr))
                fail_msg("'%s' (round %d): 0x%08x", addr[i], round, v);
        }
    }
    /* Text with the first and last eight bytes of a remembered address but
     * another length. */
    const char *twin[][2] = {{"10.1.1.111", "10.1.1.1.1.111"}, {"11.11.11.10", "11.11.111.11.10"},
                             {"1.0.100.10", "1.0.100.100.10"}};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(parse_exact(twin[i][0], strlen(twin[i][0]), &v), 0);
        assert_int_equal(parse_exact(twin[i][1], strlen(twin[i][1]), &v), -1);
    }
    /* Near misses of a remembered address: longer, shorter, one byte off. */
    const char *near[] = {"10.0.1.77", "10.0.1.7x", "10.0.1.", "10.0.1.8", "10.0.1.70",
                          "110.0.1.7", "10.0.1.7 ", "10.0.1.07", "10.0.11.7", "10.0.1.17"};
    const uint32_t near_v[] = {0x0a00014d, 0, 0, 0x0a000108, 0x0a000146,
                               0x6e000107, 0, 0, 0x0a000b07, 0x0a000111};
    for (size_t i = 0; i < sizeof near / sizeof near[0]; i++) {
        assert_int_equal(parse_exact("10.0.1.7", 8, &v), 0);
        assert_int_equal(v, 0x0a000107);
        int rc = parse_exact(near[i], strlen(near[i]), &v);
        if (near_v[i] ? rc != 0 || v != near_v[i] : rc == 0)
            fail_msg("'%s' after 10.0.1.7: rc %d, 0x%08x", near[i], rc, v);
    }
}

static void test_amap_insert_delete_iterate(void **state)
{
    fw_amap m;
    fw_amap_init(&m, sizeof(uint64_t));
    const int n = 20000;
    for (int i = 0; i < n; i++) {
        fw_addr a;
        fw_addr_set_v4(&a, (uint32_t)i * 2654435761u);
        bool created;
        uint64_t *v = fw_amap_upsert(&m, &a, &created);
        assert_true(created);
        *v = (uint64_t)i;
    }
    assert_int_equal(m.len, n);
    /* Delete every third; the rest must still be found with their values. */
    for (int i = 0; i < n; i += 3) {
        fw_addr a;
        fw_addr_set_v4(&a, (uint32_t)i * 2654435761u);
        assert_int_equal(fw_amap_del(&m, &a), 1);
        assert_int_equal(fw_amap_del(&m, &a), 0);
    }
    for (int i = 0; i < n; i++) {
        fw_addr a;
        fw_addr_set_v4(&a, (uint32_t)i * 2654435761u);
        uint64_t *v = fw_amap_get(&m, &a);
        if (i % 3 == 0)
            assert_null(v);
        else {
            assert_non_null(v);
            assert_int_equal(*v, (uint64_t)i);
        }
    }
    size_t it = 0, seen = 0;
    while (fw_amap_next(&m, &it, NULL))
        seen++;
    assert_int_equal(seen, m.len);
    fw_amap_destroy(&m);
}

static void test_distinct_exact_then_sketch(void **state)
{
    fw_distinct d;
    fw_distinct_init(&d);
    for (int rep = 0; rep < 3; rep++)
        for (uint64_t i = 0; i < 1000; i++)
            fw_distinct_add(&d, XXH3_64bits(&i, sizeof i));
    assert_true(fw_distinct_is_exact(&d));
    assert_int_equal(fw_distinct_count(&d), 1000);
    for (uint64_t i = 1000; i < 200000; i++)
        fw_distinct_add(&d, XXH3_64bits(&i, sizeof i));
    assert_false(fw_distinct_is_exact(&d));
    double est = (double)fw_distinct_count(&d);
    assert_true(est > 200000 * 0.95 && est < 200000 * 1.05);
    /* Merge an exact one into it and a sketch into an exact one. */
    fw_distinct e;
    fw_distinct_init(&e);
    for (uint64_t i = 0; i < 10; i++)
        fw_distinct_add(&e, XXH3_64bits(&i, sizeof i));
    fw_distinct_merge(&e, &d);
    est = (double)fw_distinct_count(&e);
    assert_true(est > 200000 * 0.95 && est < 200000 * 1.05);
    fw_distinct_destroy(&d);
    fw_distinct_destroy(&e);
}

static void test_topk_exact_and_heavy_hitters(void **state)
{
    fw_topk t;
    fw_topk_init(&t, 8);
    fw_addr a;
    for (uint32_t i = 1; i <= 5; i++) {
        fw_addr_set_v4(&a, i);
        fw_topk_add(&t, &a, i * 10, i, i);
    }
    fw_addr_set_v4(&a, 6);
    fw_topk_add(&t, &a, 50, 0, 0); /* ties with address 5: lower address first */
    assert_true(fw_topk_exact(&t));
    fw_topk_entry out[8];
    assert_int_equal(fw_topk_sorted(&t, out, 3), 3);
    assert_int_equal(fw_addr_v4(&out[0].key), 5);
    assert_int_equal(out[0].count, 50);
    assert_int_equal(fw_addr_v4(&out[1].key), 6);
    assert_int_equal(fw_addr_v4(&out[2].key), 4);
    fw_topk_destroy(&t);

    /* Heavy hitters survive a long tail of one-off keys. */
    fw_topk_init(&t, 64);
    for (uint32_t i = 0; i < 100000; i++) {
        fw_addr_set_v4(&a, 1000000 + i);
        fw_topk_add(&t, &a, 1, 1, 1);
        if (i % 10 == 0) {
            fw_addr_set_v4(&a, 7);
            fw_topk_add(&t, &a, 1, 1, 1);
        }
    }
    assert_false(fw_topk_exact(&t));
    assert_int_equal(fw_topk_sorted(&t, out, 1), 1);
    assert_int_equal(fw_addr_v4(&out[0].key), 7);
    assert_true(out[0].count >= 10000);
    fw_topk_destroy(&t);
}

/* The heap as it was before it held slot indexes: entries moved in the
 * array, found by a linear scan.  Same comparisons, so the same order. */
struct ref_topk {
    fw_topk_entry e[16];
    uint32_t n, k;
};

static void ref_swap(struct ref_topk *r, uint32_t i, uint32_t j)
{
    fw_topk_entry t = r->e[i];
    r->e[i] = r->e[j];
    r->e[j] = t;
}

static void ref_down(struct ref_topk *r, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, rr = l + 1, m = i;
        if (l < r->n && r->e[l].count < r->e[m].count)
            m = l;
        if (rr < r->n && r->e[rr].count < r->e[m].count)
            m = rr;
        if (m == i)
            return;
        ref_swap(r, i, m);
        i = m;
    }
}

static void ref_add(struct ref_topk *r, const fw_addr *key, uint64_t count)
{
    for (uint32_t i = 0; i < r->n; i++)
        if (fw_addr_eq(&r->e[i].key, key)) {
            r->e[i].count += count;
            ref_down(r, i);
            return;
        }
    if (r->n < r->k) {
        uint32_t i = r->n++;
        r->e[i] = (fw_topk_entry){.key = *key, .count = count};
        while (i > 0 && r->e[(i - 1) / 2].count > r->e[i].count) {
            ref_swap(r, i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
        return;
    }
    uint64_t floor = r->e[0].count;
    r->e[0] = (fw_topk_entry){.key = *key, .count = floor + count, .error = floor};
    ref_down(r, 0);
}

/* Slots and heap positions agree, the heap is a min-heap, and its order is
 * the entry-moving heap's after every add: ties among the smallest counts
 * are evicted alike, so results (and checkpoints) are unchanged. */
static void test_topk_same_order_as_moving_heap(void **state)
{
    fw_topk t;
    struct ref_topk r = {.k = 16};
    fw_topk_init(&t, 16);
    uint64_t x = 12345;
    for (int step = 0; step < 20000; step++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        fw_addr a;
        /* Keys 0..39 with a few heavy ones; counts 1-4, many ties. */
        uint32_t k = (uint32_t)(x >> 33) % 40;
        if (k >= 30)
            k %= 3;
        fw_addr_set_v4(&a, k);
        uint64_t c = 1 + (x >> 20) % 4;
        fw_topk_add(&t, &a, c, c, c);
        ref_add(&r, &a, c);
        assert_int_equal(t.n, r.n);
        for (uint32_t i = 0; i < t.n; i++) {
            const fw_topk_entry *e = fw_topk_at(&t, i);
            assert_true(fw_addr_eq(&e->key, &r.e[i].key));
            assert_int_equal(e->count, r.e[i].count);
            assert_int_equal(e->error, r.e[i].error);
            assert_int_equal(t.at[t.heap[i]], i);
            assert_int_equal(*(uint32_t *)fw_amap_get(&t.pos, &e->key), t.heap[i]);
            if (i)
                assert_true(fw_topk_at(&t, (i - 1) / 2)->count <= e->count);
        }
    }
    assert_false(fw_topk_exact(&t));
    fw_topk_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ts_parse),
        cmocka_unit_test(test_ts_fixed_layout),
        cmocka_unit_test(test_ts_format_roundtrip),
        cmocka_unit_test(test_addr),
        cmocka_unit_test(test_addr_v4_memo),
        cmocka_unit_test(test_amap_insert_delete_iterate),
        cmocka_unit_test(test_distinct_exact_then_sketch),
        cmocka_unit_test(test_topk_exact_and_heavy_hitters),
        cmocka_unit_test(test_topk_same_order_as_moving_heap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
