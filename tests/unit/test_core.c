/* test_core.c - time, addresses, hash map, distinct counter, top-k. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ts_parse),
        cmocka_unit_test(test_ts_format_roundtrip),
        cmocka_unit_test(test_addr),
        cmocka_unit_test(test_amap_insert_delete_iterate),
        cmocka_unit_test(test_distinct_exact_then_sketch),
        cmocka_unit_test(test_topk_exact_and_heavy_hitters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
