/* test_clean.c - decoding, every fault kind, repairs, dedup and the accounting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clean/clean.h"
#include "input/source.h"

static const char header[] =
    "timestamp,source_ip,dest_ip,source_port,dest_port,protocol,packet_size,ttl,flags,"
    "response_time_ms,country,service,bytes_sent,bytes_received,packets_sent,packets_received,"
    "session_id,is_attack,attack_type,http_method,uri_path,status_code,user_agent\n";

/* A clean seed row with one field replaced: field index and its new text. */
static char *row_with(int field, const char *value)
{
    const char *fields[23] = {"2026-01-01T00:15:03.123456", "192.168.1.10", "10.0.1.3", "40000",
                              "80", "TCP", "512", "64", "SYN", "47.123", "US", "HTTP", "512",
                              "1024", "1", "2", "abcd1234", "False", "", "GET", "/", "200.0",
                              "bot"};
    static char buf[4096];
    size_t o = 0;
    for (int i = 0; i < 23; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i ? "," : "",
                              i == field ? value : fields[i]);
    return buf;
}

static fw_faults decode_one(const char *row, fw_flow *f)
{
    char *in = malloc(strlen(header) + strlen(row) + 2);
    sprintf(in, "%s%s\n", header, row);
    char err[256];
    fw_source *s = fw_source_open_mem(in, strlen(in), "t", err, sizeof err);
    assert_non_null(s);
    fw_record rec;
    assert_int_equal(fw_source_next(s, &rec, err, sizeof err), 1);
    *f = rec.flow;
    fw_faults faults = rec.faults;
    fw_source_close(s);
    free(in);
    return faults;
}

static void test_clean_row(void **state)
{
    fw_flow f;
    assert_int_equal(decode_one(row_with(-1, ""), &f), 0);
    assert_int_equal(f.proto, FW_PROTO_TCP);
    assert_int_equal(f.tcp_flags, FW_TCP_SYN);
    assert_int_equal(f.dst_port, 80);
    assert_int_equal(f.packet_size, 512);
    assert_int_equal(f.response_us, 47123);
    assert_int_equal(f.http_status, 200);
    assert_int_equal(f.is_attack, 0);
    assert_int_equal(f.label, FW_LABEL_NONE);
    assert_memory_equal(f.country, "US", 2);
}

static void expect(int field, const char *value, enum fw_reason r)
{
    fw_flow f;
    fw_faults got = decode_one(row_with(field, value), &f);
    if (got != FW_BIT(r))
        fail_msg("field %d = '%s': want only %s, got 0x%x", field, value, fw_reason_name(r), got);
}

static void test_each_fault(void **state)
{
    expect(0, "", FW_R_TIMESTAMP_MISSING);
    expect(0, "INVALID_TIME", FW_R_TIMESTAMP_INVALID);
    expect(0, "2024-13-45 25:99:99", FW_R_TIMESTAMP_INVALID);
    expect(0, "0000-00-00 00:00:00", FW_R_TIMESTAMP_INVALID);
    expect(0, "2026-02-29T00:00:00", FW_R_TIMESTAMP_INVALID);
    expect(1, "", FW_R_SRC_IP_MISSING);
    expect(1, "999.999.999.999", FW_R_SRC_IP_INVALID);
    expect(1, "192.168.1", FW_R_SRC_IP_INVALID);
    expect(1, "192.168.1.256", FW_R_SRC_IP_INVALID);
    expect(1, "corrupted", FW_R_SRC_IP_INVALID);
    expect(1, "01.2.3.4", FW_R_SRC_IP_INVALID);
    expect(1, "0.0.0.0", FW_R_SRC_IP_UNUSABLE);
    expect(1, "224.0.0.5", FW_R_SRC_IP_UNUSABLE);
    expect(1, "::", FW_R_SRC_IP_UNUSABLE);
    expect(2, "", FW_R_DST_IP_MISSING);
    expect(2, "10.0.1", FW_R_DST_IP_INVALID);
    expect(2, "0.0.0.0", FW_R_DST_IP_UNUSABLE);
    expect(5, "XTP", FW_R_PROTOCOL_UNKNOWN);
    expect(5, "", FW_R_PROTOCOL_UNKNOWN);
    expect(4, "70000", FW_R_PORT_INVALID);
    expect(4, "", FW_R_PORT_INVALID);
    expect(3, "http", FW_R_PORT_INVALID);
    expect(13, "-5", FW_R_COUNTER_INVALID);
    expect(6, "999999", FW_R_PACKET_SIZE_FROM_BYTES);
    expect(6, "-1", FW_R_PACKET_SIZE_FROM_BYTES);
    expect(6, "0", FW_R_PACKET_SIZE_FROM_BYTES);
    expect(9, "-100.0", FW_R_RESPONSE_TIME_CLEARED);
    expect(9, "1000000.0", FW_R_RESPONSE_TIME_CLEARED);
    expect(7, "300", FW_R_TTL_CLEARED);
    expect(8, "\"SYN,BOGUS\"", FW_R_TCP_FLAGS_CLEARED);
    expect(8, "XYZ", FW_R_TCP_FLAGS_CLEARED);
    expect(10, "USA", FW_R_COUNTRY_CLEARED);
    expect(21, "999", FW_R_HTTP_STATUS_CLEARED);
    expect(17, "maybe", FW_R_LABEL_CLEARED);
}

static void test_repair_values_and_unrepairable_size(void **state)
{
    fw_flow f;
    /* packet_size from bytes_sent / packets_sent. */
    assert_int_equal(decode_one(row_with(6, "999999"), &f), FW_BIT(FW_R_PACKET_SIZE_FROM_BYTES));
    assert_int_equal(f.packet_size, 512);
    /* bytes_sent that does not divide into a plausible size: no repair. */
    char row[4096];
    strcpy(row, row_with(6, "0"));
    char *p = strstr(row, ",512,1024,");
    assert_non_null(p);
    memcpy(p, ",5,1024,", 8);
    memmove(p + 8, p + 10, strlen(p + 10) + 1);
    assert_int_equal(decode_one(row, &f), FW_BIT(FW_R_SIZE_INVALID));
    /* Response time cleared means unknown. */
    decode_one(row_with(9, "-100.0"), &f);
    assert_int_equal(f.response_us, -1);
}

static void test_multiple_faults_all_found(void **state)
{
    fw_flow f;
    char row[4096];
    strcpy(row, row_with(0, ""));
    char *p = strstr(row, "192.168.1.10");
    memcpy(p, "corrupted...", 12);
    fw_faults got = decode_one(row, &f);
    assert_int_equal(got, FW_BIT(FW_R_TIMESTAMP_MISSING) | FW_BIT(FW_R_SRC_IP_INVALID));
}

static void test_ipv6_and_aliases(void **state)
{
    const char in[] = "ts,src_ip,dst_ip,dst_port,proto,bytes,packets,tcp_flags,extra\n"
                      "2026-01-01 00:00:01Z,2001:db8::1,2001:db8::2,443,tcp,3000,2,S,zz\n";
    char err[256];
    fw_source *s = fw_source_open_mem(in, sizeof in - 1, "t", err, sizeof err);
    assert_non_null(s);
    assert_int_equal(fw_source_schema(s)->nextra, 1);
    assert_string_equal(fw_source_schema(s)->extra, "extra");
    fw_record rec;
    assert_int_equal(fw_source_next(s, &rec, err, sizeof err), 1);
    assert_int_equal(rec.faults, 0);
    assert_false(fw_addr_is_v4(&rec.flow.src));
    assert_int_equal(rec.flow.packet_size, 1500);
    assert_int_equal(rec.flow.tcp_flags, FW_TCP_SYN);
    assert_int_equal(rec.flow.ts_us, 1767225601LL * 1000000);
    fw_source_close(s);
}

static void test_missing_columns_and_empty_inputs(void **state)
{
    char err[512];
    const char in[] = "timestamp,source_ip,protocol\n1,2,3\n";
    assert_null(fw_source_open_mem(in, sizeof in - 1, "bad.csv", err, sizeof err));
    assert_non_null(strstr(err, "bad.csv:1"));
    assert_non_null(strstr(err, "dest_ip"));
    assert_non_null(strstr(err, "dest_port"));
    assert_null(fw_source_open_mem("", 0, "empty.csv", err, sizeof err));
    assert_non_null(strstr(err, "empty.csv"));
    /* Header only: opens, yields nothing. */
    fw_source *s = fw_source_open_mem(header, strlen(header), "h", err, sizeof err);
    assert_non_null(s);
    fw_record rec;
    assert_int_equal(fw_source_next(s, &rec, err, sizeof err), 0);
    fw_source_close(s);
    const char bin[] = "\x7f" "ELF\x02\x01\x01\0\0\0";
    assert_null(fw_source_open_mem(bin, sizeof bin - 1, "a.out", err, sizeof err));
    assert_non_null(strstr(err, "binary"));
    const char dup[] = "timestamp,timestamp\n";
    assert_null(fw_source_open_mem(dup, sizeof dup - 1, "d", err, sizeof err));
    assert_non_null(strstr(err, "twice"));
}

static void test_field_count_and_nul(void **state)
{
    fw_flow f;
    char row[4096];
    strcpy(row, row_with(-1, ""));
    strcat(row, ",extra");
    assert_int_equal(decode_one(row, &f), FW_BIT(FW_R_FIELD_COUNT));
}

struct qlog {
    int n;
    uint64_t lines[8];
};

static void on_q(void *ctx, uint64_t line, fw_faults reasons, const char *raw, size_t n)
{
    struct qlog *q = ctx;
    if (q->n < 8)
        q->lines[q->n] = line;
    q->n++;
}

static void test_accounting_and_dedup(void **state)
{
    char in[1 << 14];
    size_t o = (size_t)sprintf(in, "%s", header);
    o += (size_t)sprintf(in + o, "%s\n", row_with(-1, ""));          /* line 2: accepted */
    o += (size_t)sprintf(in + o, "%s\n", row_with(-1, ""));          /* 3: duplicate */
    o += (size_t)sprintf(in + o, "%s\n", row_with(1, "corrupted"));  /* 4: quarantined */
    o += (size_t)sprintf(in + o, "%s\n", row_with(1, "corrupted"));  /* 5: quarantined again */
    o += (size_t)sprintf(in + o, "%s\n", row_with(6, "-1"));         /* 6: repaired */
    o += (size_t)sprintf(in + o, "%s\n", row_with(3, "40001"));      /* 7: accepted */
    o += (size_t)sprintf(in + o, "%s\n", row_with(0, "2026-01-01T00:15:03.123457")); /* 8 */
    char err[256];
    fw_source *s = fw_source_open_mem(in, o, "t", err, sizeof err);
    assert_non_null(s);
    struct qlog q = {0};
    fw_cleaner c;
    fw_cleaner_init(&c, on_q, &q);
    fw_record rec;
    int verdicts[5] = {0};
    while (fw_source_next(s, &rec, err, sizeof err) == 1)
        verdicts[fw_clean(&c, &rec.flow, rec.faults, rec.raw, rec.raw_n, rec.line)]++;
    assert_int_equal(c.st.rows_read, 7);
    assert_int_equal(c.st.accepted, 4);
    assert_int_equal(c.st.duplicates, 1);
    assert_int_equal(c.st.quarantined, 2);
    assert_int_equal(c.st.rows_read, c.st.accepted + c.st.quarantined + c.st.duplicates + c.st.late);
    assert_int_equal(c.st.by_reason[FW_R_SRC_IP_INVALID], 2);
    assert_int_equal(c.st.by_reason[FW_R_PACKET_SIZE_FROM_BYTES], 1);
    assert_int_equal(verdicts[FW_ACCEPT], 4);
    assert_int_equal(q.n, 2);
    assert_int_equal(q.lines[0], 4);
    assert_int_equal(q.lines[1], 5);
    fw_cleaner_destroy(&c);
    fw_source_close(s);
}

static void test_dedup_is_late_after_watermark(void **state)
{
    fw_dedup d;
    fw_dedup_init(&d);
    int64_t t = 1767225600LL * 1000000;
    assert_int_equal(fw_dedup_check(&d, t, 42), 0);
    assert_int_equal(fw_dedup_check(&d, t + 1, 42), 1); /* same minute slice */
    assert_int_equal(fw_dedup_check(&d, t + 61000000, 42), 0); /* next slice */
    fw_dedup_advance(&d, t + 60000000);
    assert_int_equal(fw_dedup_check(&d, t, 43), -1);
    assert_int_equal(fw_dedup_check(&d, t + 61000000, 42), 1);
    fw_dedup_destroy(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_row),
        cmocka_unit_test(test_each_fault),
        cmocka_unit_test(test_repair_values_and_unrepairable_size),
        cmocka_unit_test(test_multiple_faults_all_found),
        cmocka_unit_test(test_ipv6_and_aliases),
        cmocka_unit_test(test_missing_columns_and_empty_inputs),
        cmocka_unit_test(test_field_count_and_nul),
        cmocka_unit_test(test_accounting_and_dedup),
        cmocka_unit_test(test_dedup_is_late_after_watermark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
