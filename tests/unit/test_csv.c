/* test_csv.c - the RFC 4180 reader: quoting, line ends, limits, garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "input/csv.h"

static void assert_field(const fw_csv_row *r, unsigned i, const char *want)
{
    assert_true(i < r->nf);
    assert_int_equal(r->f[i].n, strlen(want));
    assert_memory_equal(r->f[i].p, want, strlen(want));
}

static void test_plain_and_quoted(void **state)
{
    const char in[] = "a,b,c\n1,\"PSH,ACK\",x\n\"he said \"\"hi\"\"\",,\"\"\n";
    fw_csv *r = fw_csv_open_mem(in, sizeof in - 1, "t", 0);
    fw_csv_row row;
    assert_int_equal(fw_csv_next(r, &row), 1);
    assert_int_equal(row.nf, 3);
    assert_field(&row, 2, "c");
    assert_int_equal(row.line, 1);
    assert_int_equal(fw_csv_next(r, &row), 1);
    assert_int_equal(row.nf, 3);
    assert_field(&row, 1, "PSH,ACK");
    assert_true(row.f[1].quoted);
    assert_int_equal(row.raw_n, strlen("1,\"PSH,ACK\",x"));
    assert_int_equal(fw_csv_next(r, &row), 1);
    assert_field(&row, 0, "he said \"hi\"");
    assert_field(&row, 1, "");
    assert_field(&row, 2, "");
    assert_int_equal(row.error, 0);
    assert_int_equal(fw_csv_next(r, &row), 0);
    fw_csv_close(r);
}

static void test_crlf_blank_and_no_final_newline(void **state)
{
    const char in[] = "a,b\r\n\r\n1,2\r\n3,\"4\"\r\n5,6";
    fw_csv *r = fw_csv_open_mem(in, sizeof in - 1, "t", 0);
    fw_csv_row row;
    assert_int_equal(fw_csv_next(r, &row), 1);
    assert_field(&row, 1, "b");
    assert_int_equal(fw_csv_next(r, &row), 1);
    assert_int_equal(row.line, 3); /* the blank line 2 is skipped but counted */
    assert_field(&row, 1, "2");
    assert_int_equal(fw_csv_next(r, &row), 1);
    assert_field(&row, 1, "4");
    assert_int_equal(fw_csv_next(r, &row), 1);
    assert_field(&row, 1, "6");
    assert_int_equal(row.line, 5);
    assert_int_equal(fw_csv_next(r, &row), 0);
    assert_int_equal(fw_csv_blank_lines(r), 1);
    fw_csv_close(r);
}

static void test_quoted_newline_counts_lines(void **state)
{
    const char in[] = "x,\"two\nlines\"\nnext,1\n";
    fw_csv *r = fw_csv_open_mem(in, sizeof in - 1, "t", 0);
    fw_csv_row row;
    assert_int_equal(fw_csv_next(r, &row), 1);
    assert_field(&row, 1, "two\nlines");
    assert_int_equal(fw_csv_next(r, &row), 1);
    assert_int_equal(row.line, 3);
    assert_field(&row, 0, "next");
    fw_csv_close(r);
}

static void test_unterminated_quote(void **state)
{
    const char in[] = "a,\"never closed\n";
    fw_csv *r = fw_csv_open_mem(in, sizeof in - 1, "t", 0);
    fw_csv_row row;
    assert_int_equal(fw_csv_next(r, &row), 1);
    assert_int_equal(row.error, FW_CSV_EQUOTE);
    assert_int_equal(fw_csv_next(r, &row), 0);
    fw_csv_close(r);
}

static void test_text_after_closing_quote(void **state)
{
    const char in[] = "\"ab\"cd,e\n";
    fw_csv *r = fw_csv_open_mem(in, sizeof in - 1, "t", 0);
    fw_csv_row row;
    assert_int_equal(fw_csv_next(r, &row), 1);
    assert_int_equal(row.error, FW_CSV_EQUOTE);
    assert_field(&row, 0, "abcd");
    assert_field(&row, 1, "e");
    fw_csv_close(r);
}

static void test_too_long_record_is_skipped(void **state)
{
    size_t n = 5000;
    char *in = malloc(n + 16);
    memset(in, 'x', n);
    strcpy(in + n, "\nok,1\n");
    fw_csv *r = fw_csv_open_mem(in, strlen(in), "t", 1000);
    fw_csv_row row;
    assert_int_equal(fw_csv_next(r, &row), 1);
    assert_int_equal(row.error, FW_CSV_ETOOLONG);
    assert_int_equal(row.nf, 0);
    assert_int_equal(fw_csv_next(r, &row), 1);
    assert_int_equal(row.error, 0);
    assert_int_equal(row.line, 2);
    assert_field(&row, 0, "ok");
    assert_int_equal(fw_csv_next(r, &row), 0);
    fw_csv_close(r);
    free(in);
}

static void test_too_many_fields(void **state)
{
    char in[2000];
    size_t o = 0;
    for (int i = 0; i < FW_CSV_MAX_FIELDS + 10; i++)
        in[o++] = ',';
    in[o++] = '\n';
    fw_csv *r = fw_csv_open_mem(in, o, "t", 0);
    fw_csv_row row;
    assert_int_equal(fw_csv_next(r, &row), 1);
    assert_int_equal(row.error, FW_CSV_ETOOMANY);
    assert_int_equal(row.nf, FW_CSV_MAX_FIELDS);
    fw_csv_close(r);
}

static void test_binary_garbage_never_crashes(void **state)
{
    unsigned char in[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof in; i++) {
        x = x * 1103515245u + 12345u;
        in[i] = (unsigned char)(x >> 16);
    }
    fw_csv *r = fw_csv_open_mem((const char *)in, sizeof in, "t", 256);
    fw_csv_row row;
    size_t total = 0;
    int rc, rows = 0;
    while ((rc = fw_csv_next(r, &row)) == 1) {
        rows++;
        for (unsigned i = 0; i < row.nf; i++)
            total += row.f[i].n;
    }
    assert_int_equal(rc, 0);
    assert_true(rows > 0);
    assert_int_equal(fw_csv_offset(r), sizeof in);
    fw_csv_close(r);
}

/* The fd reader must give the same records as the memory reader, also when
 * records straddle its internal chunk boundary. */
static void test_fd_reader_matches_memory_reader(void **state)
{
    size_t cap = 3u << 20, n = 0;
    char *in = malloc(cap);
    int i = 0;
    while (n + 64 < cap) {
        n += (size_t)snprintf(in + n, cap - n, "%d,\"f,%d\",%s\n", i, i * 7, i % 3 ? "x" : "");
        i++;
    }
    char path[] = "/tmp/fw_test_csv_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, in, n), (ssize_t)n);
    lseek(fd, 0, SEEK_SET);
    fw_csv *a = fw_csv_open_mem(in, n, "mem", 0), *b = fw_csv_open_fd(fd, "fd", 0);
    fw_csv_row ra, rb;
    int rows = 0;
    for (;;) {
        int x = fw_csv_next(a, &ra), y = fw_csv_next(b, &rb);
        assert_int_equal(x, y);
        if (x != 1)
            break;
        rows++;
        assert_int_equal(ra.nf, rb.nf);
        assert_int_equal(ra.line, rb.line);
        assert_int_equal(ra.raw_n, rb.raw_n);
        assert_memory_equal(ra.raw, rb.raw, ra.raw_n);
        for (unsigned k = 0; k < ra.nf; k++) {
            assert_int_equal(ra.f[k].n, rb.f[k].n);
            assert_memory_equal(ra.f[k].p, rb.f[k].p, ra.f[k].n);
        }
    }
    assert_int_equal(rows, i);
    fw_csv_close(a);
    fw_csv_close(b);
    close(fd);
    unlink(path);
    free(in);
}

/*
 * The splitter works on 64-byte blocks of a line, so the tests below put
 * quotes, commas and line ends on either side of the block edges at 64 and
 * 128 bytes from the line start.
 */

/* Read the next record and check that it has exactly the fields want[0..nf),
 * quoted where quoted[i] is '1', and the given error. */
static void expect_row(fw_csv *r, fw_csv_row *row, int error, unsigned nf, const char *const *want,
                       const char *quoted)
{
    assert_int_equal(fw_csv_next(r, row), 1);
    assert_int_equal(row->error, error);
    assert_int_equal(row->nf, nf);
    for (unsigned i = 0; i < nf; i++) {
        assert_field(row, i, want[i]);
        assert_int_equal(row->f[i].quoted, quoted[i] == '1');
    }
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = 0;
    return s;
}

/* A quoted field with a comma inside, an empty quoted field and a quoted last
 * field, shifted one byte at a time across the first two block edges. */
static void test_quotes_at_every_block_offset(void **state)
{
    for (size_t len = 1; len <= 140; len++) {
        char *a = repeat('a', len), in[256];
        int n = snprintf(in, sizeof in, "%s,\"x,y\",b,\"\",\"z\"\nnext,1\n", a);
        fw_csv *r = fw_csv_open_mem(in, (size_t)n, "t", 0);
        fw_csv_row row;
        expect_row(r, &row, 0, 5, (const char *[]){a, "x,y", "b", "", "z"}, "01011");
        assert_int_equal(row.raw_n, (size_t)n - strlen("\nnext,1\n"));
        expect_row(r, &row, 0, 2, (const char *[]){"next", "1"}, "00");
        assert_int_equal(row.line, 2);
        assert_int_equal(fw_csv_next(r, &row), 0);
        fw_csv_close(r);
        free(a);
    }
}

/* Lines of three or four blocks with quotes exactly at 63, 64, 127 and 128. */
static void test_long_lines_quotes_at_block_edges(void **state)
{
    char *a62 = repeat('a', 62), *b60 = repeat('b', 60), *c61 = repeat('c', 61), *d62 = repeat('d', 62),
         *e63 = repeat('e', 63), *f57 = repeat('f', 57), *c61comma = repeat('c', 62), in[1024];
    c61comma[61] = ',';
    int n = snprintf(in, sizeof in,
                     /* "" at 63-64 and 127-128, then a quoted field across 192 */
                     "%s,\"\",%s,\"\",%s,\"g,h,i\",j\n"
                     /* a quoted field closing at 63 before a comma at 64, and
                      * one opening at 65 that holds the comma at 127 and
                      * closes at 128 */
                     "\"%s\",\"%s\"\n"
                     /* fields opening at 64 and 128 */
                     "%s,\"k,l\",%s,\"m\",%s\n",
                     a62, b60, c61, d62, c61comma, e63, f57, b60);
    assert_true(n > 0 && (size_t)n < sizeof in);
    assert_int_equal(in[63], '"');
    assert_int_equal(in[64], '"');
    assert_int_equal(in[127], '"');
    assert_int_equal(in[128], '"');
    assert_true(strchr(in, '\n') - in > 200);
    const char *l2 = strchr(in, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
    assert_int_equal(l2[63], '"');
    assert_int_equal(l2[64], ',');
    assert_int_equal(l2[65], '"');
    assert_int_equal(l2[127], ',');
    assert_int_equal(l2[128], '"');
    assert_int_equal(l3[64], '"');
    assert_int_equal(l3[128], '"');

    fw_csv *r = fw_csv_open_mem(in, (size_t)n, "t", 0);
    fw_csv_row row;
    expect_row(r, &row, 0, 7, (const char *[]){a62, "", b60, "", c61, "g,h,i", "j"}, "0101010");
    expect_row(r, &row, 0, 2, (const char *[]){d62, c61comma}, "11");
    assert_int_equal(row.line, 2);
    expect_row(r, &row, 0, 5, (const char *[]){e63, "k,l", f57, "m", b60}, "01010");
    assert_int_equal(row.line, 3);
    assert_int_equal(fw_csv_next(r, &row), 0);
    fw_csv_close(r);
    free(a62), free(b60), free(c61), free(d62), free(e63), free(f57), free(c61comma);
}

/* Quotes inside an unquoted field, alone or in a pair, at and next to a
 * block edge: the state machine keeps them as text. */
static void test_quote_inside_unquoted_field_at_block_edge(void **state)
{
    for (size_t len = 62; len <= 65; len++) {
        char *a = repeat('a', len), in[256], want1[256], want2[256];
        int n = snprintf(in, sizeof in, "%s\"b,c\nx,y\"z\n%s\"b\",c\n", a, a);
        snprintf(want1, sizeof want1, "%s\"b", a);
        snprintf(want2, sizeof want2, "%s\"b\"", a);
        fw_csv *r = fw_csv_open_mem(in, (size_t)n, "t", 0);
        fw_csv_row row;
        expect_row(r, &row, 0, 2, (const char *[]){want1, "c"}, "00");
        expect_row(r, &row, 0, 2, (const char *[]){"x", "y\"z"}, "00");
        expect_row(r, &row, 0, 2, (const char *[]){want2, "c"}, "00");
        assert_int_equal(fw_csv_next(r, &row), 0);
        fw_csv_close(r);
        free(a);
    }
}

/* An escaped quote just before, across and just after a block edge. */
static void test_escaped_quote_after_block_edge(void **state)
{
    for (size_t len = 58; len <= 64; len++) {
        char *a = repeat('a', len), in[256];
        int n = snprintf(in, sizeof in, "%s,\"p\"\"q\"\"r\",z\n", a);
        fw_csv *r = fw_csv_open_mem(in, (size_t)n, "t", 0);
        fw_csv_row row;
        expect_row(r, &row, 0, 3, (const char *[]){a, "p\"q\"r", "z"}, "010");
        assert_int_equal(row.raw_n, (size_t)n - 1);
        fw_csv_close(r);
        free(a);
    }
}

/* CR LF with the CR at 62, 63 or 64 and the LF after it, after an unquoted
 * and after a quoted last field. */
static void test_crlf_at_block_edge(void **state)
{
    for (size_t len = 30; len <= 32; len++) {
        char *a = repeat('a', 31), *b = repeat('b', len), in[256];
        int n = snprintf(in, sizeof in, "%s,%s\r\n%s,\"%s\"\r\n\r\nlast\r\n", a, b, a, b + 2);
        assert_int_equal(in[32 + len], '\r');
        fw_csv *r = fw_csv_open_mem(in, (size_t)n, "t", 0);
        fw_csv_row row;
        expect_row(r, &row, 0, 2, (const char *[]){a, b}, "00");
        assert_int_equal(row.raw_n, 32 + len);
        expect_row(r, &row, 0, 2, (const char *[]){a, b + 2}, "01");
        assert_int_equal(row.raw_n, 32 + len);
        expect_row(r, &row, 0, 1, (const char *[]){"last"}, "0");
        assert_int_equal(row.line, 4);
        assert_int_equal(fw_csv_next(r, &row), 0);
        fw_csv_close(r);
        free(a), free(b);
    }
}

/* The last line of a memory buffer, without a line end, ends in a block that
 * is read byte by byte rather than past the buffer. */
static void test_last_line_in_partial_block(void **state)
{
    char *a = repeat('a', 60), text[256];
    int n = snprintf(text, sizeof text, "x\n%s,\"b,c\",\"d\"", a);
    char *in = malloc((size_t)n); /* exactly sized, for AddressSanitizer */
    memcpy(in, text, (size_t)n);
    fw_csv *r = fw_csv_open_mem(in, (size_t)n, "t", 0);
    fw_csv_row row;
    expect_row(r, &row, 0, 1, (const char *[]){"x"}, "0");
    expect_row(r, &row, 0, 3, (const char *[]){a, "b,c", "d"}, "011");
    assert_int_equal(fw_csv_next(r, &row), 0);
    fw_csv_close(r);
    free(in);
    free(a);
}

/* Exactly FW_CSV_MAX_FIELDS fields are fine, one more is too many; with and
 * without a quoted last field. */
static void test_field_limit_exactly(void **state)
{
    for (int extra = 0; extra <= 1; extra++) {
        for (int quote_last = 0; quote_last <= 1; quote_last++) {
            char in[2048];
            size_t o = 0;
            int nf = FW_CSV_MAX_FIELDS + extra;
            for (int i = 0; i < nf; i++)
                o += (size_t)snprintf(in + o, sizeof in - o, quote_last && i == nf - 1 ? "\"%d\"," : "%d,", i);
            in[o - 1] = '\n';
            fw_csv *r = fw_csv_open_mem(in, o, "t", 0);
            fw_csv_row row;
            assert_int_equal(fw_csv_next(r, &row), 1);
            assert_int_equal(row.error, extra ? FW_CSV_ETOOMANY : 0);
            assert_int_equal(row.nf, FW_CSV_MAX_FIELDS);
            assert_field(&row, 0, "0");
            assert_field(&row, FW_CSV_MAX_FIELDS - 1, "255");
            assert_int_equal(row.f[FW_CSV_MAX_FIELDS - 1].quoted, quote_last && !extra);
            fw_csv_close(r);
        }
    }
}

/* Over FW_CSV_MAX_FIELDS fields across several blocks, some quoted.  As in a
 * field-by-field scan, a bad quote in field 257 (index 256) sends the line to
 * the state machine, and one in a later field is never looked at. */
static void test_too_many_fields_with_quotes(void **state)
{
    /* No bad field, or one at 100, 256, 257 or 299, with one quote or a
     * pair. */
    static const struct {
        int bad;
        const char *text;
    } cases[] = {
        {-1, ""},          {100, "x\"y"},   {256, "x\"y"},   {257, "x\"y"},   {299, "x\"y"},
        {100, "x\"y\""}, {256, "x\"y\""}, {257, "x\"y\""}, {299, "x\"y\""},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int bad = cases[k].bad;
        const char *bad_text = cases[k].text;
        char in[4096], want[300][16];
        size_t o = 0;
        for (int i = 0; i < 300; i++) {
            if (i == bad)
                o += (size_t)snprintf(in + o, sizeof in - o, "%s,", bad_text);
            else if (i % 3 == 0)
                o += (size_t)snprintf(in + o, sizeof in - o, "\"%d,%d\",", i, i);
            else
                o += (size_t)snprintf(in + o, sizeof in - o, "%d,", i);
            if (i == bad)
                snprintf(want[i], sizeof want[i], "%s", bad_text);
            else
                snprintf(want[i], sizeof want[i], i % 3 == 0 ? "%d,%d" : "%d", i, i);
        }
        in[o - 1] = '\n';
        fw_csv *r = fw_csv_open_mem(in, o, "t", 0);
        fw_csv_row row;
        assert_int_equal(fw_csv_next(r, &row), 1);
        assert_int_equal(row.error, FW_CSV_ETOOMANY);
        assert_int_equal(row.nf, FW_CSV_MAX_FIELDS);
        bool in_place = row.f[0].p == in + 1;
        assert_int_equal(in_place, bad < 0 || bad > 256);
        /* Both paths keep the first 256 fields as they were, the last one
         * included (the state machine once pointed it at a dropped field). */
        for (unsigned i = 0; i < FW_CSV_MAX_FIELDS; i++) {
            assert_field(&row, i, want[i]);
            assert_int_equal(row.f[i].quoted, i % 3 == 0 && (int)i != bad);
        }
        assert_int_equal(row.raw_n, o - 1);
        assert_int_equal(fw_csv_next(r, &row), 0);
        fw_csv_close(r);
    }
}

static void test_empty_input(void **state)
{
    fw_csv *r = fw_csv_open_mem("", 0, "t", 0);
    fw_csv_row row;
    assert_int_equal(fw_csv_next(r, &row), 0);
    fw_csv_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_quoted),
        cmocka_unit_test(test_crlf_blank_and_no_final_newline),
        cmocka_unit_test(test_quoted_newline_counts_lines),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_text_after_closing_quote),
        cmocka_unit_test(test_too_long_record_is_skipped),
        cmocka_unit_test(test_too_many_fields),
        cmocka_unit_test(test_binary_garbage_never_crashes),
        cmocka_unit_test(test_fd_reader_matches_memory_reader),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_quotes_at_every_block_offset),
        cmocka_unit_test(test_long_lines_quotes_at_block_edges),
        cmocka_unit_test(test_quote_inside_unquoted_field_at_block_edge),
        cmocka_unit_test(test_escaped_quote_after_block_edge),
        cmocka_unit_test(test_crlf_at_block_edge),
        cmocka_unit_test(test_last_line_in_partial_block),
        cmocka_unit_test(test_field_limit_exactly),
        cmocka_unit_test(test_too_many_fields_with_quotes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
