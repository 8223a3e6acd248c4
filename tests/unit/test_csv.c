/* test_csv.c - the RFC 4180 reader: quoting, line ends, limits, garbage. */
#include <setjmp.h>
#include <stdarg.h>
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
