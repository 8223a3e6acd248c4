/* test_clean.c - decoding, every fault kind, repairs, dedup and the accounting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* fw_parse_count_fast on value placed at byte off of a record (text of
 * exactly that many bytes, on the heap, so that AddressSanitizer sees any
 * read outside it), with more text after it unless last. */
static int count_fast_at(const char *value, size_t off, bool last, uint64_t *v)
{
    size_t n = strlen(value), len = off + n + (last ? 0 : 5);
    char *t = malloc(len);
    memset(t, '9', len); /* digits around the field must not leak into it */
    memcpy(t + off, value, n);
    fw_csv_field f = {t + off, (uint32_t)n, 0};
    fw_csv_row r = {.f = &f, .nf = 1, .raw = t, .raw_n = len, .line = 1};
    int rc = fw_parse_count_fast(&r, &f, v);
    free(t);
    return rc;
}

/* The word-at-a-time count parser: what it takes (1-8 digits, optionally
 * ".0", ending at least eight bytes into the record), what it must leave to
 * fw_parse_u64, and that both give the same value. */
static void test_count_fast_path(void **state)
{
    const struct {
        const char *s;
        int fast;    /* taken by the fast path when placed well inside a record */
        int ok;      /* fw_parse_u64 accepts it */
        uint64_t v;
    } cases[] = {
        {"0", 1, 1, 0},
        {"7", 1, 1, 7},
        {"80", 1, 1, 80},
        {"65535", 1, 1, 65535},
        {"12345678", 1, 1, 12345678},
        {"99999999", 1, 1, 99999999},
        {"00000080", 1, 1, 80},
        {"0.0", 1, 1, 0},
        {"80.0", 1, 1, 80},
        {"200.0", 1, 1, 200},
        {"123456.0", 1, 1, 123456},
        {"123456789", 0, 1, 123456789},
        {"1234567.0", 0, 1, 1234567},
        /* Up to 2^64 - 1 exactly. */
        {"18446744073709551609", 0, 1, 18446744073709551609u},
        {"18446744073709551610", 0, 1, 18446744073709551610u},
        {"18446744073709551615", 0, 1, 18446744073709551615u},
        {"18446744073709551616", 0, 0, 0},
        {"18446744073709551620", 0, 0, 0},
        {"99999999999999999999", 0, 0, 0},
        {"80.00", 0, 1, 80},
        {"80.", 0, 0, 0},
        {".0", 0, 0, 0},
        {"8.5", 0, 0, 0},
        {"80.0.0", 0, 0, 0},
        {"-8", 0, 0, 0},
        {"+8", 0, 0, 0},
        {" 8", 0, 0, 0},
        {"8 ", 0, 0, 0},
        {"8x", 0, 0, 0},
        {"1e3", 0, 0, 0},
        {"\x80" "1", 0, 0, 0},
        {"", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *s = cases[i].s;
        uint64_t fast = 12345, slow = 12345;
        int rf = count_fast_at(s, 20, false, &fast);
        int rs = fw_parse_u64(s, (unsigned)strlen(s), &slow);
        if (rf != (cases[i].fast ? 0 : -1) || rs != (cases[i].ok ? 0 : -1))
            fail_msg("'%s': fast %d, fw_parse_u64 %d", s, rf, rs);
        if ((rf == 0 && fast != cases[i].v) || (rs == 0 && slow != cases[i].v))
            fail_msg("'%s': fast %llu, fw_parse_u64 %llu", s, (unsigned long long)fast,
                     (unsigned long long)slow);
        /* As the last field of the record the same. */
        if (count_fast_at(s, 20, true, &fast) != rf || (rf == 0 && fast != cases[i].v))
            fail_msg("'%s' at the end of the record", s);
    }
    /* A byte just outside '0'-'9' in any place, with the neighbours digits. */
    for (int k = 0; k < 8; k++) {
        for (int c = 0; c < 2; c++) {
            char b[] = "12345678";
            b[k] = "/:"[c];
            uint64_t v;
            if (count_fast_at(b, 20, false, &v) == 0)
                fail_msg("fast path accepted '%s'", b);
        }
    }
    /* The word it loads must start inside the record: the field's end at
     * least eight bytes in. */
    uint64_t v = 0;
    assert_int_equal(count_fast_at("12345678", 0, false, &v), 0);
    assert_int_equal(v, 12345678);
    assert_int_equal(count_fast_at("1234567", 0, false, &v), -1);
    assert_int_equal(count_fast_at("7", 7, false, &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(count_fast_at("7", 6, false, &v), -1);
    /* The field's end must not pass the record's (raw_n). */
    char *t = malloc(16);
    memcpy(t, "0123456789,12345", 16);
    fw_csv_field g = {t + 11, 5, 0};
    fw_csv_row q = {.f = &g, .nf = 1, .raw = t, .raw_n = 16, .line = 1};
    assert_int_equal(fw_parse_count_fast(&q, &g, &v), 0);
    assert_int_equal(v, 12345);
    q.raw_n = 15;
    assert_int_equal(fw_parse_count_fast(&q, &g, &v), -1);
    free(t);
    /* A field outside the record's text (the reader's scratch area). */
    const char text[] = "0123456789,0123456789,0123456789";
    fw_csv_field f = {"443", 3, 1};
    fw_csv_row r = {.f = &f, .nf = 1, .raw = text, .raw_n = sizeof text - 1, .line = 1};
    assert_int_equal(fw_parse_count_fast(&r, &f, &v), -1);
}

/* Counts through the decoder, in fields the fast path takes and in ones it
 * leaves (too long, at the start of the record, unescaped into scratch). */
static void test_decode_counts(void **state)
{
    fw_flow f;
    assert_int_equal(decode_one(row_with(4, "65535"), &f), 0);
    assert_int_equal(f.dst_port, 65535);
    assert_int_equal(decode_one(row_with(3, "00080"), &f), 0);
    assert_int_equal(f.src_port, 80);
    assert_int_equal(decode_one(row_with(3, "443.0"), &f), 0);
    assert_int_equal(f.src_port, 443);
    assert_int_equal(decode_one(row_with(3, "\"443\""), &f), 0);
    assert_int_equal(f.src_port, 443);
    assert_int_equal(decode_one(row_with(3, "65536"), &f), FW_BIT(FW_R_PORT_INVALID));
    assert_int_equal(decode_one(row_with(3, "80.5"), &f), FW_BIT(FW_R_PORT_INVALID));
    assert_int_equal(decode_one(row_with(13, "18446744073709551609"), &f), 0);
    assert_int_equal(f.bytes_recv, 18446744073709551609u);
    assert_int_equal(decode_one(row_with(13, "18446744073709551615"), &f), 0);
    assert_int_equal(f.bytes_recv, UINT64_MAX);
    assert_int_equal(decode_one(row_with(13, "18446744073709551616"), &f),
                     FW_BIT(FW_R_COUNTER_INVALID));
    assert_int_equal(decode_one(row_with(13, "123456789"), &f), 0);
    assert_int_equal(f.bytes_recv, 123456789);
    assert_int_equal(decode_one(row_with(13, "12345678.0"), &f), 0);
    assert_int_equal(f.bytes_recv, 12345678);
    assert_int_equal(decode_one(row_with(14, "4294967295"), &f), 0);
    assert_int_equal(f.pkts_sent, 4294967295u);
    assert_int_equal(decode_one(row_with(14, "4294967296"), &f), FW_BIT(FW_R_COUNTER_INVALID));
    assert_int_equal(decode_one(row_with(7, "255.0"), &f), 0);
    assert_int_equal(f.ttl, 255);
    assert_int_equal(decode_one(row_with(7, "256"), &f), FW_BIT(FW_R_TTL_CLEARED));
    assert_int_equal(decode_one(row_with(21, "599"), &f), 0);
    assert_int_equal(f.http_status, 599);
    assert_int_equal(decode_one(row_with(21, "600.0"), &f), FW_BIT(FW_R_HTTP_STATUS_CLEARED));
    /* An escaped quote sends the whole record through the reader's scratch
     * area: the same values. */
    assert_int_equal(decode_one(row_with(22, "\"a \"\"bot\"\"\""), &f), 0);
    assert_int_equal(f.src_port, 40000);
    assert_int_equal(f.bytes_sent, 512);
    assert_int_equal(f.bytes_recv, 1024);
    assert_int_equal(f.http_status, 200);
    /* A count at the very start of the record (dest_port first). */
    const char in[] = "dest_port,timestamp,source_ip,dest_ip,protocol,bytes_sent\n"
                      "8080,2026-01-01T00:00:00,10.0.0.1,10.0.0.2,TCP,1200.0\n"
                      "7,2026-01-01T00:00:00,10.0.0.1,10.0.0.2,TCP,12345678\n";
    char err[256];
    fw_source *src = fw_source_open_mem(in, sizeof in - 1, "t", err, sizeof err);
    assert_non_null(src);
    fw_record rec;
    assert_int_equal(fw_source_next(src, &rec, err, sizeof err), 1);
    assert_int_equal(rec.faults, 0);
    assert_int_equal(rec.flow.dst_port, 8080);
    assert_int_equal(rec.flow.bytes_sent, 1200);
    assert_int_equal(fw_source_next(src, &rec, err, sizeof err), 1);
    assert_int_equal(rec.flow.dst_port, 7);
    assert_int_equal(rec.flow.bytes_sent, 12345678);
    fw_source_close(src);
}

/* TCP flags in every spelling the parser took before the name table: each
 * name in all eight letter cases, alone, in pairs and threes (the shapes
 * matched by table) and in the shapes left to the general parser. */
static void test_tcp_flags(void **state)
{
    const char *names[6] = {"syn", "ack", "fin", "rst", "psh", "urg"};
    const uint8_t bits[6] = {FW_TCP_SYN, FW_TCP_ACK, FW_TCP_FIN,
                             FW_TCP_RST, FW_TCP_PSH, FW_TCP_URG};
    for (int a = 0; a < 6; a++) {
        for (int c = 0; c < 8; c++) {
            char w[4];
            for (int k = 0; k < 3; k++)
                w[k] = (char)(c >> k & 1 ? names[a][k] - 32 : names[a][k]);
            w[3] = 0;
            uint8_t f = 0xff;
            assert_int_equal(fw_parse_tcp_flags(w, 3, &f), 0);
            assert_int_equal(f, bits[a]);
            for (int b = 0; b < 6; b++) {
                char two[16], three[16];
                snprintf(two, sizeof two, "%s,%s", w, names[b]);
                assert_int_equal(fw_parse_tcp_flags(two, 7, &f), 0);
                assert_int_equal(f, bits[a] | bits[b]);
                snprintf(three, sizeof three, "%s,%s,%s", names[b], w, names[(a + b) % 6]);
                assert_int_equal(fw_parse_tcp_flags(three, 11, &f), 0);
                assert_int_equal(f, bits[a] | bits[b] | bits[(a + b) % 6]);
            }
        }
    }
    const struct {
        const char *s;
        int rc;
        uint8_t f;
    } cases[] = {
        {"SYN,", 0, FW_TCP_SYN},
        {"SYN|ACK", 0, FW_TCP_SYN | FW_TCP_ACK},
        {"SYN ACK", 0, FW_TCP_SYN | FW_TCP_ACK},
        {"SYN,,ACK", 0, FW_TCP_SYN | FW_TCP_ACK},
        {",SYN", 0, FW_TCP_SYN},
        {"SYN,ACK,FIN,RST", 0, FW_TCP_SYN | FW_TCP_ACK | FW_TCP_FIN | FW_TCP_RST},
        {"ACK,ACK", 0, FW_TCP_ACK},
        {"SA", 0, FW_TCP_SYN | FW_TCP_ACK},
        {"....S.", 0, FW_TCP_SYN},
        {"UAPRSF", 0, 0x3f},
        {"SAF", 0, FW_TCP_SYN | FW_TCP_ACK | FW_TCP_FIN},
        {"FA,SYN", 0, FW_TCP_FIN | FW_TCP_ACK | FW_TCP_SYN},
        {",,,", 0, 0},
        {"   ", 0, 0},
        {"", 0, 0},
        {"XYZ", -1, 0},
        {"TCP", -1, 0}, /* 'T' falls in an empty slot of the name table */
        {"DDD", -1, 0},
        {"WWW", -1, 0},
        {"GGG", -1, 0},
        {"A.K", -1, 0},
        {"sa", -1, 0},
        {"SYNACK", -1, 0},
        {"SYN,XYZ", -1, 0},
        {"XYZ,SYN", -1, 0},
        {"SYN,ACK,XYZ", -1, 0},
        {"SYN;ACK", -1, 0},
        {"S\x80N", -1, 0},
        {"\xd3\xd9\xce", -1, 0}, /* "SYN" with bit 7 set */
        {"\xff\xff\xff", -1, 0},
        {"SY", -1, 0},
        {"SYNN", -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t f = 0xee;
        int rc = fw_parse_tcp_flags(cases[i].s, (unsigned)strlen(cases[i].s), &f);
        if (rc != cases[i].rc || (rc == 0 && f != cases[i].f))
            fail_msg("'%s': rc %d flags 0x%x", cases[i].s, rc, f);
        if (rc && f != 0xee)
            fail_msg("'%s': flags written on failure", cases[i].s);
    }
}

/* Protocols: the word compare for TCP and UDP in every case, the names
 * after it, numbers. */
static void test_protocols(void **state)
{
    const struct {
        const char *s;
        int rc;
        uint8_t proto;
    } cases[] = {
        {"TCP", 0, 6},    {"tcp", 0, 6},     {"Tcp", 0, 6},     {"tCP", 0, 6},
        {"tcP", 0, 6},    {"UDP", 0, 17},    {"udp", 0, 17},    {"uDp", 0, 17},
        {"UdP", 0, 17},   {"ICMP", 0, 1},    {"icmp", 0, 1},    {"ICMPv6", 0, 58},
        {"icmpv6", 0, 58}, {"GRE", 0, 47},   {"gre", 0, 47},    {"ESP", 0, 50},
        {"esp", 0, 50},   {"SCTP", 0, 132},  {"sctp", 0, 132},  {"6", 0, 6},
        {"17", 0, 17},    {"255", 0, 255},   {"006", 0, 6},     {"6.0", 0, 6},
        {"256", -1, 0},   {"TC", -1, 0},     {"TCPX", -1, 0},   {"", -1, 0},
        {"T\x80P", -1, 0}, {"\xd4\xc3\xd0", -1, 0}, {"tcp ", -1, 0}, {" tcp", -1, 0},
        {"XTP", -1, 0},   {"UDQ", -1, 0},    {"-6", -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t p = 0xee;
        int rc = fw_parse_proto(cases[i].s, (unsigned)strlen(cases[i].s), &p);
        if (rc != cases[i].rc || (rc == 0 && p != cases[i].proto))
            fail_msg("'%s': rc %d proto %u", cases[i].s, rc, p);
    }
}

/* fw_parse_ms_fast on value placed at byte off of a record of exactly that
 * text, as count_fast_at. */
static int ms_fast_at(const char *value, size_t off, bool last, int64_t *us)
{
    size_t n = strlen(value), len = off + n + (last ? 0 : 5);
    char *t = malloc(len);
    memset(t, '.', len); /* points around the field must not count as its own */
    memcpy(t + off, value, n);
    fw_csv_field f = {t + off, (uint32_t)n, 0};
    fw_csv_row r = {.f = &f, .nf = 1, .raw = t, .raw_n = len, .line = 1};
    int rc = fw_parse_ms_fast(&r, &f, us);
    free(t);
    return rc;
}

/* Response times: what the word-at-a-time path takes and what it leaves to
 * fw_parse_ms_to_us, and that both give the same microseconds. */
static void test_ms_fast_path(void **state)
{
    const struct {
        const char *s;
        int fast;
        int ok;
        int64_t us;
    } cases[] = {
        {"1245.588", 1, 1, 1245588},
        {"245.588", 1, 1, 245588},
        {"1245.59", 1, 1, 1245590},
        {"12.5", 1, 1, 12500},
        {"300", 1, 1, 300000},
        {"0", 1, 1, 0},
        {"0.000", 1, 1, 0},
        {"5.", 1, 1, 5000},
        {".5", 1, 1, 500},
        {".123", 1, 1, 123},
        {"12345678", 1, 1, 12345678000},
        {"600000.0", 1, 1, 600000000},
        {"0001.5", 1, 1, 1500},
        {"1.2345", 0, 1, 1234},
        {"1.23456789", 0, 1, 1234},
        {"123456789", 0, 1, 123456789000},
        {"1234567.8", 0, 1, 1234567800},
        {"-1.5", 0, 1, -1500},
        {"+1.5", 0, 1, 1500},
        {"1e3", 0, 1, 1000000},
        {"1.5e1", 0, 1, 15000},
        {".", 0, 0, 0},
        {"..", 0, 0, 0},
        {"1..2", 0, 0, 0},
        {"1.2.3", 0, 0, 0},
        {" 1.5", 0, 0, 0},
        {"1.5 ", 0, 0, 0},
        {"1,5", 0, 0, 0},
        {"1/5", 0, 0, 0},
        {"1:5", 0, 0, 0},
        {"abc", 0, 0, 0},
        {"", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *s = cases[i].s;
        int64_t fast = 777, slow = 777;
        int rf = ms_fast_at(s, 20, false, &fast);
        int rs = fw_parse_ms_to_us(s, (unsigned)strlen(s), &slow);
        if (rf != (cases[i].fast ? 0 : -1) || rs != (cases[i].ok ? 0 : -1))
            fail_msg("'%s': fast %d, fw_parse_ms_to_us %d", s, rf, rs);
        if ((rf == 0 && fast != cases[i].us) || (rs == 0 && slow != cases[i].us))
            fail_msg("'%s': fast %lld, fw_parse_ms_to_us %lld", s, (long long)fast,
                     (long long)slow);
        if (ms_fast_at(s, 20, true, &fast) != rf || (rf == 0 && fast != cases[i].us))
            fail_msg("'%s' at the end of the record", s);
    }
    /* Every place of the point in eight bytes, and a byte just outside the
     * digits in every other place. */
    for (int k = 0; k < 8; k++) {
        char b[] = "12345678";
        b[k] = '.';
        int64_t want = 0, us = 0;
        assert_int_equal(fw_parse_ms_to_us(b, 8, &want), 0);
        if (7 - k <= 3) {
            assert_int_equal(ms_fast_at(b, 20, false, &us), 0);
            assert_int_equal(us, want);
        } else {
            assert_int_equal(ms_fast_at(b, 20, false, &us), -1);
        }
        for (int j = 0; j < 8; j++) {
            if (j == k)
                continue;
            char c[] = "12345678";
            c[k] = '.';
            c[j] = "/:"[j & 1];
            if (ms_fast_at(c, 20, false, &us) == 0)
                fail_msg("fast path accepted '%s'", c);
        }
    }
    /* A lone point right after digits: the bytes before the field must not
     * stand in for its digits. */
    int64_t us = 0;
    char *d = malloc(9);
    memcpy(d, "12345678.", 9);
    fw_csv_field h = {d + 8, 1, 0};
    fw_csv_row dr = {.f = &h, .nf = 1, .raw = d, .raw_n = 9, .line = 1};
    assert_int_equal(fw_parse_ms_fast(&dr, &h, &us), -1);
    h = (fw_csv_field){d + 7, 2, 0}; /* "8." */
    assert_int_equal(fw_parse_ms_fast(&dr, &h, &us), 0);
    assert_int_equal(us, 8000);
    free(d);
    /* The load's bounds: the field's end at least eight bytes into the
     * record, and not past its end. */
    assert_int_equal(ms_fast_at("1.5", 5, false, &us), 0);
    assert_int_equal(us, 1500);
    assert_int_equal(ms_fast_at("1.5", 4, false, &us), -1);
    char *t = malloc(12);
    memcpy(t, "1234,1245.5", 12);
    fw_csv_field g = {t + 5, 6, 0};
    fw_csv_row q = {.f = &g, .nf = 1, .raw = t, .raw_n = 11, .line = 1};
    assert_int_equal(fw_parse_ms_fast(&q, &g, &us), 0);
    assert_int_equal(us, 1245500);
    q.raw_n = 10;
    assert_int_equal(fw_parse_ms_fast(&q, &g, &us), -1);
    free(t);
}

/* The decoder's short matchers, in every case the old code accepted and
 * just outside: is_attack, country, attack_type, http_method; and the
 * response time through the decoder. */
static void test_decode_words(void **state)
{
    const struct {
        const char *s;
        uint8_t v; /* 2: cleared */
    } bools[] = {
        {"True", 1},   {"TRUE", 1},  {"true", 1},   {"tRuE", 1},  {"1", 1},      {"yes", 1},
        {"YES", 1},    {"Yes", 1},   {"yEs", 1},    {"False", 0}, {"FALSE", 0},  {"false", 0},
        {"fAlSe", 0},  {"0", 0},     {"no", 0},     {"NO", 0},    {"No", 0},     {"nO", 0},
        {"T", 2},      {"F", 2},     {"tru", 2},    {"truee", 2}, {"fals", 2},   {"falsee", 2},
        {"trux", 2},   {"falsy", 2}, {"ye", 2},     {"yess", 2},  {"n", 2},      {"non", 2},
        {"2", 2},      {"01", 2},
        {"\"True \"", 2}, {"tr\xd5" "e", 2}, {"N\xcf", 2}, {"yeS\x80", 2}, {"fa\xccse", 2},
    };
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        fw_flow f;
        fw_faults got = decode_one(row_with(17, bools[i].s), &f);
        fw_faults want = bools[i].v == 2 ? FW_BIT(FW_R_LABEL_CLEARED) : 0;
        if (got != want || f.is_attack != bools[i].v)
            fail_msg("is_attack '%s': faults 0x%x, value %u", bools[i].s, got, f.is_attack);
    }
    const struct {
        const char *s, *want; /* NULL: cleared */
    } countries[] = {
        {"US", "US"}, {"us", "US"}, {"uS", "US"}, {"Zz", "ZZ"}, {"aA", "AA"},
        {"U1", NULL}, {"1U", NULL}, {"@A", NULL}, {"A[", NULL}, {"`a", NULL},
        {"a{", NULL}, {"\xc3\x9c", NULL}, {"USA", NULL}, {"U", NULL}, {"U ", NULL},
    };
    for (size_t i = 0; i < sizeof countries / sizeof countries[0]; i++) {
        fw_flow f;
        fw_faults got = decode_one(row_with(10, countries[i].s), &f);
        const char *want = countries[i].want;
        if (want ? got != 0 || memcmp(f.country, want, 2)
                 : got != FW_BIT(FW_R_COUNTRY_CLEARED) || f.country[0] || f.country[1])
            fail_msg("country '%s': faults 0x%x", countries[i].s, got);
    }
    const struct {
        const char *s;
        enum fw_label l;
    } labels[] = {
        {"", FW_LABEL_NONE},
        {"syn_flood", FW_LABEL_SYN_FLOOD},
        {"udp_flood", FW_LABEL_UDP_FLOOD},
        {"http_flood", FW_LABEL_HTTP_FLOOD},
        {"amplification", FW_LABEL_AMPLIFICATION},
        {"port_scan", FW_LABEL_PORT_SCAN},
        {"slowloris", FW_LABEL_SLOWLORIS},
        {"volumetric", FW_LABEL_VOLUMETRIC},
        {"flash_crowd", FW_LABEL_FLASH_CROWD},
        {"other", FW_LABEL_OTHER},
        {"normal", FW_LABEL_NONE}, /* the empty label's name, written out */
        {"Normal", FW_LABEL_OTHER},
        {"SYN_FLOOD", FW_LABEL_OTHER},
        {"syn_floo", FW_LABEL_OTHER},
        {"syn_floodd", FW_LABEL_OTHER},
        {"syn_flooe", FW_LABEL_OTHER},
        {"tyn_flood", FW_LABEL_OTHER},
        {"slowlorix", FW_LABEL_OTHER},
        {"amplificatioN", FW_LABEL_OTHER},
        {"flash_crowd_fast", FW_LABEL_OTHER},
        {"amplification_xyz", FW_LABEL_OTHER},
        {"x", FW_LABEL_OTHER},
    };
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        fw_flow f;
        assert_int_equal(decode_one(row_with(18, labels[i].s), &f), 0);
        if (f.label != labels[i].l)
            fail_msg("attack_type '%s': label %u", labels[i].s, f.label);
    }
    const struct {
        const char *s;
        enum fw_http_method m;
    } methods[] = {
        {"", FW_HTTP_NONE},        {"GET", FW_HTTP_GET},       {"POST", FW_HTTP_POST},
        {"PUT", FW_HTTP_PUT},      {"DELETE", FW_HTTP_DELETE}, {"HEAD", FW_HTTP_HEAD},
        {"get", FW_HTTP_OTHER},    {"Post", FW_HTTP_OTHER},    {"PATCH", FW_HTTP_OTHER},
        {"GETX", FW_HTTP_OTHER},   {"GE", FW_HTTP_OTHER},      {"DELETx", FW_HTTP_OTHER},
        {"HEADS", FW_HTTP_OTHER},  {"PUX", FW_HTTP_OTHER},     {"OPTIONS", FW_HTTP_OTHER},
    };
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        fw_flow f;
        assert_int_equal(decode_one(row_with(19, methods[i].s), &f), 0);
        if (f.http_method != methods[i].m)
            fail_msg("http_method '%s': %u", methods[i].s, f.http_method);
    }
    fw_flow f;
    assert_int_equal(decode_one(row_with(9, "1245.588"), &f), 0);
    assert_int_equal(f.response_us, 1245588);
    assert_int_equal(decode_one(row_with(9, "600000.0"), &f), 0);
    assert_int_equal(f.response_us, 600000000);
    assert_int_equal(decode_one(row_with(9, "600000.001"), &f), FW_BIT(FW_R_RESPONSE_TIME_CLEARED));
    assert_int_equal(f.response_us, -1);
    assert_int_equal(decode_one(row_with(9, "1.5e1"), &f), 0);
    assert_int_equal(f.response_us, 15000);
    assert_int_equal(decode_one(row_with(9, "."), &f), FW_BIT(FW_R_RESPONSE_TIME_CLEARED));
}

static void test_dedup_is_late_after_watermark(void **state)
{
    fw_dedup d;
    fw_dedup_init(&d);
    int64_t t = 1767225600LL * 1000000;
    assert_int_equal(fw_dedup_check(&d, t, 42), 0);
    assert_int_equal(fw_dedup_check(&d, t + 1, 42), 1); /* same slice */
    assert_int_equal(fw_dedup_check(&d, t + 61000000, 42), 0); /* next minute */
    /* Slices are seconds, dropped a minute at a time: a watermark inside a
     * minute leaves all of it open, earlier seconds included. */
    assert_int_equal(fw_dedup_check(&d, t + 30000000, 7), 0);
    fw_dedup_advance(&d, t + 59999999);
    assert_int_equal(fw_dedup_check(&d, t, 42), 1);
    assert_int_equal(fw_dedup_check(&d, t + 5000000, 44), 0);
    assert_int_equal(fw_dedup_check(&d, t + 30000000, 7), 1);
    fw_dedup_advance(&d, t + 60000000);
    assert_int_equal(fw_dedup_check(&d, t, 43), -1);
    assert_int_equal(fw_dedup_check(&d, t + 59999999, 43), -1);
    assert_int_equal(fw_dedup_check(&d, t + 61000000, 42), 1);
    /* Past the minute's end but not the next minute's: that one stays. */
    fw_dedup_advance(&d, t + 119000000);
    assert_int_equal(fw_dedup_check(&d, t + 61000000, 42), 1);
    assert_int_equal(fw_dedup_check(&d, t + 60000000, 45), 0);
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
        cmocka_unit_test(test_count_fast_path),
        cmocka_unit_test(test_decode_counts),
        cmocka_unit_test(test_tcp_flags),
        cmocka_unit_test(test_protocols),
        cmocka_unit_test(test_ms_fast_path),
        cmocka_unit_test(test_decode_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
