/*
 * test_gen.c - unit tests for the traffic generator (src/gen) and the
 * `generate` subcommand's option handling (src/cli/cli_generate.c).
 *
 * Each test generates a small run into memory with fixed seeds, so every
 * result is deterministic; the CSV is split with a minimal RFC 4180 reader.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "core/ts.h"
#include "gen/gen.h"

enum {
    C_TS, C_SRC, C_DST, C_SPORT, C_DPORT, C_PROTO, C_SIZE, C_TTL, C_FLAGS, C_RT, C_COUNTRY,
    C_SERVICE, C_BSENT, C_BRECV, C_PSENT, C_PRECV, C_SESSION, C_IS_ATTACK, C_TYPE, C_METHOD,
    C_URI, C_STATUS, C_AGENT
};

#define GOLDEN_HASH 0x6f9683ae0c1fcfc3ULL /* see test_golden_hash */

/* ---- helpers ------------------------------------------------------------ */

/* Generate o into a malloc'd NUL-terminated buffer (through a tmpfile);
 * asserts success. */
static char *gen_mem(const fw_gen_opts *o, size_t *len, fw_gen_stats *st)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(fw_gen_write_stats(o, f, st), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

/* Small options: no default schedule, faults as given. */
static void small_opts(fw_gen_opts *o, uint64_t seed, int rate, int minutes, bool faults)
{
    fw_gen_opts_init(o);
    fw_gen_schedule_clear(o);
    o->seed = seed;
    o->rate = rate;
    o->duration_min = minutes;
    o->faults = faults;
}

static void add_attack(fw_gen_opts *o, const char *spec)
{
    fw_gen_attack a;
    char err[128];
    assert_int_equal(fw_gen_parse_attack(spec, &a, err, sizeof err), 0);
    assert_int_equal(fw_gen_schedule_add(o, &a, err, sizeof err), 0);
}

/*
 * Split the line at *pos into fields (unquoting RFC 4180 fields in place),
 * advance *pos past its newline and return the field count, or -1 at the end
 * of the buffer.  fields[] point into buf.
 */
static int next_record(char *buf, size_t *pos, char **fields, int max)
{
    char *p = buf + *pos;
    if (!*p)
        return -1;
    int n = 0;
    for (;;) {
        char *out = p, *start = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    assert_true(*p != '\0');
                    *out++ = *p++;
                }
            }
        } else {
            while (*p && *p != ',' && *p != '\n')
                out = ++p;
        }
        char sep = *p;
        *out = '\0';
        if (n < max)
            fields[n] = start;
        n++;
        if (sep == ',') {
            p++;
            continue;
        }
        assert_int_equal(sep, '\n');
        p++;
        break;
    }
    *pos = (size_t)(p - buf);
    return n;
}

static int64_t ts_of(const char *s)
{
    int64_t ts;
    assert_int_equal(fw_ts_parse(s, strlen(s), &ts), 0);
    return ts;
}

static bool is_hex8(const char *s)
{
    if (strlen(s) != 8)
        return false;
    for (int i = 0; i < 8; i++)
        if (!strchr("0123456789abcdef", s[i]))
            return false;
    return true;
}

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(s, *list))
            return true;
    return false;
}

/* ---- tests -------------------------------------------------------------- */

static void test_header(void **state)
{
    (void)state;
    fw_gen_opts o;
    small_opts(&o, 1, 20, 2, true);
    char *buf = gen_mem(&o, NULL, NULL);
    const char *want =
        "timestamp,source_ip,dest_ip,source_port,dest_port,protocol,packet_size,ttl,flags,"
        "response_time_ms,country,service,bytes_sent,bytes_received,packets_sent,"
        "packets_received,session_id,is_attack,attack_type,http_method,uri_path,status_code,"
        "user_agent\n";
    assert_memory_equal(buf, want, strlen(want));
    free(buf);
}

static void test_same_seed_identical(void **state)
{
    (void)state;
    fw_gen_opts o;
    small_opts(&o, 42, 100, 12, true);
    add_attack(&o, "syn_flood:3-5:4");
    add_attack(&o, "amplification:8-9:3");
    size_t n1, n2;
    char *a = gen_mem(&o, &n1, NULL);
    char *b = gen_mem(&o, &n2, NULL);
    assert_true(n1 > 1000);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(a);
    free(b);
}

static void test_other_seed_differs(void **state)
{
    (void)state;
    fw_gen_opts o;
    small_opts(&o, 42, 100, 12, true);
    add_attack(&o, "http_flood:3-5:4");
    size_t n1, n2;
    char *a = gen_mem(&o, &n1, NULL);
    o.seed = 43;
    char *b = gen_mem(&o, &n2, NULL);
    assert_true(n1 != n2 || memcmp(a, b, n1) != 0);
    free(a);
    free(b);
}

/*
 * Golden: a small run's bytes, pinned by a hash, so that output stays the
 * same across compilers and optimisation levels (e.g. no RNG draws whose
 * order depends on argument evaluation order).  If the generator changes
 * on purpose, update the constant from the failure message.
 */
static void test_golden_hash(void **state)
{
    (void)state;
    fw_gen_opts o;
    small_opts(&o, 42, 50, 6, true);
    add_attack(&o, "syn_flood:1-2:2");
    add_attack(&o, "http_flood:2-3:2");
    add_attack(&o, "udp_flood:3-4:2");
    add_attack(&o, "amplification:4-5:2");
    size_t n;
    char *buf = gen_mem(&o, &n, NULL);
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)buf[i]) * 0x100000001b3ULL;
    if (h != GOLDEN_HASH)
        fail_msg("output changed: hash 0x%016llxULL, %zu bytes", (unsigned long long)h, n);
    free(buf);
}

/* Without faults: every row well-formed, attack minutes exactly
 * rate * intensity rows of their type inside their window, normal minutes
 * within [0.8, 1.2] * rate. */
static void test_counts_and_labels(void **state)
{
    (void)state;
    const int rate = 100, minutes = 30;
    fw_gen_opts o;
    small_opts(&o, 7, rate, minutes, false);
    add_attack(&o, "syn_flood:5-8:3");
    add_attack(&o, "amplification:20-22:2");
    add_attack(&o, "udp_flood:28-40:2"); /* runs past the end: 2 minutes count */
    fw_gen_stats st;
    char *buf = gen_mem(&o, NULL, &st);

    size_t pos = 0, rows = 0, syn = 0, amp = 0, udp = 0;
    size_t per_minute[30] = {0};
    char *f[FW_GEN_NCOLS];
    assert_int_equal(next_record(buf, &pos, f, FW_GEN_NCOLS), FW_GEN_NCOLS);
    const int64_t t0 = o.start_us, min_us = 60 * FW_US_PER_S;
    int n;
    while ((n = next_record(buf, &pos, f, FW_GEN_NCOLS)) >= 0) {
        assert_int_equal(n, FW_GEN_NCOLS);
        rows++;
        int64_t ts = ts_of(f[C_TS]);
        assert_true(ts >= t0 && ts <= t0 + minutes * min_us);
        const char *type = f[C_TYPE];
        if (!strcmp(f[C_IS_ATTACK], "False")) {
            assert_string_equal(type, "");
            assert_true(is_hex8(f[C_SESSION]));
            assert_true(in_list(f[C_TTL], (const char *const[]){"64", "128", "255", NULL}));
            int64_t m = (ts - t0) / min_us;
            assert_true(m < minutes);
            per_minute[m]++;
            continue;
        }
        assert_string_equal(f[C_IS_ATTACK], "True");
        assert_string_equal(f[C_SESSION], "");
        int lo, hi;
        if (!strcmp(type, "syn_flood")) {
            syn++, lo = 5, hi = 8;
            assert_string_equal(f[C_FLAGS], "SYN");
            assert_string_equal(f[C_PROTO], "TCP");
            assert_string_equal(f[C_RT], "");
            assert_string_equal(f[C_BRECV], "0");
            assert_string_equal(f[C_PRECV], "0");
            int size = atoi(f[C_SIZE]);
            assert_true(size >= 40 && size <= 60);
        } else if (!strcmp(type, "amplification")) {
            amp++, lo = 20, hi = 22;
            assert_string_equal(f[C_SPORT], "53");
            assert_string_equal(f[C_PROTO], "UDP");
            assert_true(atoi(f[C_DPORT]) >= 1024);
            int size = atoi(f[C_SIZE]);
            assert_true(size >= 2000 && size <= 4000);
        } else {
            assert_string_equal(type, "udp_flood");
            udp++, lo = 28, hi = 30;
            assert_string_equal(f[C_PROTO], "UDP");
        }
        /* uniform(0, 60) s may round up to exactly the next minute. */
        assert_true(ts >= t0 + lo * min_us && ts <= t0 + hi * min_us);
        assert_string_equal(f[C_BSENT], f[C_SIZE]);
    }
    assert_int_equal(syn, 3 * 100 * 3);
    assert_int_equal(amp, 2 * 100 * 2);
    assert_int_equal(udp, 2 * 100 * 2);
    assert_int_equal(st.attack_rows, syn + amp + udp);
    assert_int_equal(rows, st.rows_raw);
    assert_int_equal(rows, st.rows_out);
    assert_int_equal(st.duplicates + st.outliers + st.missing_critical, 0);
    for (int m = 0; m < minutes; m++) {
        bool attack = (m >= 5 && m < 8) || (m >= 20 && m < 22) || m >= 28;
        if (attack)
            assert_int_equal(per_minute[m], 0);
        else
            assert_true(per_minute[m] >= 80 && per_minute[m] <= 120);
    }
    free(buf);
}

/* Source ports: the seed leaks one stale port into every flood row; we draw
 * a fresh ephemeral port, so a flood minute has many distinct ports. */
static void test_flood_source_ports_vary(void **state)
{
    (void)state;
    fw_gen_opts o;
    small_opts(&o, 3, 50, 4, false);
    add_attack(&o, "http_flood:0-4:2");
    char *buf = gen_mem(&o, NULL, NULL);
    size_t pos = 0, rows = 0, same_as_first = 0;
    char first[8] = "";
    char *f[FW_GEN_NCOLS];
    next_record(buf, &pos, f, FW_GEN_NCOLS);
    while (next_record(buf, &pos, f, FW_GEN_NCOLS) >= 0) {
        int port = atoi(f[C_SPORT]);
        assert_true(port >= 1024 && port <= 65535);
        if (!rows++)
            snprintf(first, sizeof first, "%s", f[C_SPORT]);
        else if (!strcmp(first, f[C_SPORT]))
            same_as_first++;
    }
    assert_int_equal(rows, 400);
    assert_true(same_as_first < 5);
    free(buf);
}

/* Faults: the seed's int(N * p) counts, duplicates appended, outliers over
 * all rows. */
static void test_fault_counts(void **state)
{
    (void)state;
    fw_gen_opts o;
    small_opts(&o, 11, 200, 20, true);
    add_attack(&o, "http_flood:5-7:5");
    fw_gen_stats st;
    char *buf = gen_mem(&o, NULL, &st);
    size_t n = st.rows_raw;
    assert_true(n > 3000);
    assert_int_equal(st.missing_critical, (size_t)((double)n * 0.02));
    assert_int_equal(st.blanked, (size_t)((double)n * 0.1));
    assert_int_equal(st.malformed_ip, (size_t)((double)n * 0.01));
    assert_int_equal(st.corrupt_ts, (size_t)((double)n * 0.005));
    assert_int_equal(st.duplicates, (size_t)((double)n * 0.01));
    assert_int_equal(st.rows_out, n + st.duplicates);
    assert_int_equal(st.outliers, (size_t)((double)st.rows_out * 0.005));
    assert_int_equal(st.attack_rows, 2 * 200 * 5);

    static const char *const bad_ips[] = {"999.999.999.999", "192.168.1", "0.0.0.0",
                                          "corrupted", "192.168.1.256", NULL};
    static const char *const bad_ts[] = {"2024-13-45 25:99:99", "INVALID_TIME",
                                         "0000-00-00 00:00:00", NULL};
    size_t pos = 0, rows = 0, outliers = 0, malformed = 0, corrupt = 0, empty_src = 0;
    char *f[FW_GEN_NCOLS];
    next_record(buf, &pos, f, FW_GEN_NCOLS);
    int nf;
    while ((nf = next_record(buf, &pos, f, FW_GEN_NCOLS)) >= 0) {
        assert_int_equal(nf, FW_GEN_NCOLS);
        rows++;
        const char *size = f[C_SIZE];
        if (!strcmp(size, "-1") || !strcmp(size, "0") || !strcmp(size, "999999")) {
            outliers++;
            assert_true(in_list(f[C_RT], (const char *const[]){"-100.0", "1000000.0", "", NULL}));
        }
        assert_true(atoi(f[C_BSENT]) >= 20); /* outliers leave bytes_sent alone */
        malformed += in_list(f[C_SRC], bad_ips);
        corrupt += in_list(f[C_TS], bad_ts);
        empty_src += f[C_SRC][0] == '\0';
    }
    assert_int_equal(rows, st.rows_out);
    assert_int_equal(outliers, st.outliers);
    /* Duplicates may copy faulty rows; later faults may overwrite earlier. */
    assert_true(malformed >= st.malformed_ip && malformed <= st.malformed_ip + st.duplicates);
    assert_true(corrupt <= st.corrupt_ts + st.duplicates);
    assert_true(corrupt >= st.corrupt_ts / 2);
    assert_true(empty_src > 0 && empty_src <= st.missing_critical + st.duplicates);
    free(buf);
}

/* pandas' formatting: repr floats, float status codes, minimal quoting,
 * isoformat timestamps. */
static void test_field_formats(void **state)
{
    (void)state;
    fw_gen_opts o;
    small_opts(&o, 5, 300, 10, false);
    add_attack(&o, "http_flood:2-3:2");
    char *buf = gen_mem(&o, NULL, NULL);
    size_t quoted = 0;
    for (const char *p = strchr(buf, '"'); p; p = strchr(p + 1, '"')) {
        assert_true(!strncmp(p, "\"PSH,ACK\",", 10) || !strncmp(p, "\"FIN,ACK\",", 10));
        quoted++;
        p = strchr(p + 1, '"');
        assert_non_null(p);
    }
    assert_true(quoted > 100);

    size_t pos = 0, with_frac = 0;
    char *f[FW_GEN_NCOLS];
    next_record(buf, &pos, f, FW_GEN_NCOLS);
    while (next_record(buf, &pos, f, FW_GEN_NCOLS) >= 0) {
        const char *rt = f[C_RT];
        if (*rt) {
            const char *dot = strchr(rt, '.');
            assert_non_null(dot);
            size_t fl = strlen(dot + 1);
            assert_true(fl >= 1 && fl <= 3);
            assert_true(fl == 1 || dot[fl] != '0'); /* no trailing zeros */
            assert_true(dot > rt);
        }
        assert_true(in_list(f[C_STATUS],
                            (const char *const[]){"200.0", "404.0", "500.0", "503.0", "", NULL}));
        int port = atoi(f[C_DPORT]);
        if (port != 80 && port != 443 && port != 8080 && port != 8443) {
            assert_string_equal(f[C_STATUS], "");
            assert_string_equal(f[C_AGENT], "");
        }
        assert_true(!strncmp(f[C_DST], "10.0.1.", 7));
        assert_string_equal(f[C_PSENT], "1");
        /* YYYY-MM-DDThh:mm:ss[.ffffff] */
        size_t tl = strlen(f[C_TS]);
        assert_true(tl == 19 || tl == 26);
        assert_int_equal(f[C_TS][10], 'T');
        with_frac += tl == 26;
    }
    assert_true(with_frac > 0);
    free(buf);
}

static void test_start_honoured(void **state)
{
    (void)state;
    fw_gen_opts o;
    small_opts(&o, 9, 50, 3, false);
    assert_int_equal(fw_ts_parse("2030-05-06T23:59:00", 19, &o.start_us), 0);
    char *buf = gen_mem(&o, NULL, NULL);
    size_t pos = 0, next_day = 0, rows = 0;
    char *f[FW_GEN_NCOLS];
    next_record(buf, &pos, f, FW_GEN_NCOLS);
    while (next_record(buf, &pos, f, FW_GEN_NCOLS) >= 0) {
        rows++;
        if (!strncmp(f[C_TS], "2030-05-07T00:0", 15))
            next_day++;
        else
            assert_true(!strncmp(f[C_TS], "2030-05-06T23:59:", 17));
    }
    assert_true(rows > 100 && next_day > rows / 2);
    free(buf);
}

static void test_defaults(void **state)
{
    (void)state;
    fw_gen_opts o;
    fw_gen_opts_init(&o);
    assert_int_equal(o.seed, 42);
    assert_int_equal(o.duration_min, 120);
    assert_int_equal(o.rate, 500);
    assert_true(o.faults);
    assert_int_equal(o.start_us, ts_of("2026-01-01T00:00:00"));
    assert_int_equal(o.n_attacks, 4);
    static const struct {
        const char *name;
        int start, end, intensity;
    } want[] = {{"syn_flood", 15, 25, 50},
                {"http_flood", 40, 50, 30},
                {"udp_flood", 70, 80, 40},
                {"amplification", 95, 105, 35}};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(fw_gen_attack_type_name(o.attacks[i].type), want[i].name);
        assert_int_equal(o.attacks[i].start_min, want[i].start);
        assert_int_equal(o.attacks[i].end_min, want[i].end);
        assert_int_equal(o.attacks[i].intensity, want[i].intensity);
    }
    char err[128];
    assert_int_equal(fw_gen_check(&o, err, sizeof err), 0);
}

static void test_parse_and_schedule(void **state)
{
    (void)state;
    int m;
    assert_int_equal(fw_gen_parse_duration("120", &m), 0);
    assert_int_equal(m, 120);
    assert_int_equal(fw_gen_parse_duration("120m", &m), 0);
    assert_int_equal(m, 120);
    assert_int_equal(fw_gen_parse_duration("2h", &m), 0);
    assert_int_equal(m, 120);
    assert_int_equal(fw_gen_parse_duration("1d", &m), 0);
    assert_int_equal(m, 1440);
    const char *bad_d[] = {"", "0", "h", "2x", "-5", "1.5h", "99999999", "2 h"};
    for (size_t i = 0; i < sizeof bad_d / sizeof bad_d[0]; i++)
        assert_int_equal(fw_gen_parse_duration(bad_d[i], &m), -1);

    fw_gen_attack a;
    char err[128];
    assert_int_equal(fw_gen_parse_attack("udp_flood:10-20", &a, err, sizeof err), 0);
    assert_string_equal(fw_gen_attack_type_name(a.type), "udp_flood");
    assert_int_equal(a.start_min, 10);
    assert_int_equal(a.end_min, 20);
    assert_int_equal(a.intensity, 30);
    assert_int_equal(fw_gen_parse_attack("amplification:0-1:7", &a, err, sizeof err), 0);
    assert_int_equal(a.intensity, 7);
    const char *bad_a[] = {"udp_flood",       "ping_flood:1-2",  "udp_flood:5-5",
                           "udp_flood:6-5",   "udp_flood:1-",    "udp_flood:-3",
                           "udp_flood:1-2:0", "udp_flood:1-2:x", "udp_flood:a-b",
                           ":1-2",            "udp_flood:1:2-3", "udp_flood:1-2:3:4"};
    for (size_t i = 0; i < sizeof bad_a / sizeof bad_a[0]; i++)
        assert_int_equal(fw_gen_parse_attack(bad_a[i], &a, err, sizeof err), -1);
    assert_int_equal(fw_gen_parse_attack("ping:1-2", &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown attack type 'ping'"));

    fw_gen_opts o;
    fw_gen_opts_init(&o);
    assert_int_equal(fw_gen_attack_type_find("syn_flood", 9), o.attacks[0].type);
    assert_int_equal(fw_gen_attack_type_find("syn", 3), -1);
    fw_gen_parse_attack("http_flood:20-30", &a, NULL, 0);
    assert_int_equal(fw_gen_schedule_add(&o, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "syn_flood:15-25"));
    assert_int_equal(fw_gen_schedule_drop(&o, fw_gen_attack_type_find("syn_flood", 9)), 1);
    assert_int_equal(fw_gen_schedule_add(&o, &a, err, sizeof err), 0);
    assert_int_equal(o.n_attacks, 4);
    for (size_t i = 1; i < o.n_attacks; i++) /* kept sorted by start */
        assert_true(o.attacks[i - 1].end_min <= o.attacks[i].start_min);
    assert_int_equal(o.attacks[0].start_min, 20);
    fw_gen_schedule_clear(&o);
    assert_int_equal(o.n_attacks, 0);

    /* Row cap and time range. */
    fw_gen_opts_init(&o);
    o.duration_min = FW_GEN_MAX_DURATION_MIN;
    o.rate = FW_GEN_MAX_RATE;
    assert_int_equal(fw_gen_check(&o, err, sizeof err), -1);
    fw_gen_opts_init(&o);
    assert_int_equal(fw_ts_parse("9999-12-31T23:00:00", 19, &o.start_us), 0);
    assert_int_equal(fw_gen_check(&o, err, sizeof err), -1);
}

/* Run the CLI with a NULL-terminated argument list. */
static int run_cli(const char *first, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    return fw_cli_generate(argc, argv);
}

static void test_cli_usage_errors(void **state)
{
    (void)state;
    /* Overlaps the default syn_flood:15-25. */
    assert_int_equal(run_cli("generate", "--attack", "http_flood:20-30", NULL), 2);
    /* Overlaps another added attack. */
    assert_int_equal(run_cli("generate", "--no-attacks", "--attack", "udp_flood:1-5",
                             "--attack", "syn_flood:4-6", NULL), 2);
    assert_int_equal(run_cli("generate", "--attack", "ping_flood:1-2", NULL), 2);
    assert_int_equal(run_cli("generate", "--attack=syn_flood:1", NULL), 2);
    assert_int_equal(run_cli("generate", "--attack", "syn_flood:9-3", NULL), 2);
    assert_int_equal(run_cli("generate", "--drop-attack", "smurf", NULL), 2);
    assert_int_equal(run_cli("generate", "--duration", "2x", NULL), 2);
    assert_int_equal(run_cli("generate", "--rate", "0", NULL), 2);
    assert_int_equal(run_cli("generate", "--seed", "-1", NULL), 2);
    assert_int_equal(run_cli("generate", "--start", "yesterday", NULL), 2);
    assert_int_equal(run_cli("generate", "--bogus", NULL), 2);
    assert_int_equal(run_cli("generate", "--no-faults=1", NULL), 2);
    assert_int_equal(run_cli("generate", "extra", NULL), 2);
    assert_int_equal(run_cli("generate", "--seed", NULL), 2);
}

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static void test_cli_writes_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_gen.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/out.csv", dir);

    /* Changing an attack is drop + add, in any order. */
    assert_int_equal(run_cli("generate", "--attack", "syn_flood:0-1:2", "--seed", "5",
                             "--duration", "3m", "--rate", "40", "--drop-attack", "syn_flood",
                             "--start", "2031-02-03T04:05:00", "-o", path, NULL),
                     0);
    assert_int_equal(dir_entries(dir), 1); /* no temporary left behind */
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    assert_non_null(fgets(line, sizeof line, f));
    assert_true(!strncmp(line, "timestamp,", 10));
    size_t rows = 0, syn = 0;
    while (fgets(line, sizeof line, f)) {
        rows++;
        syn += strstr(line, ",True,syn_flood,") != NULL;
        if (line[0] != ',' && strlen(line) > 10 && line[10] == 'T')
            assert_true(!strncmp(line, "2031-02-03T04:0", 15));
    }
    fclose(f);
    assert_true(syn >= 80 && syn <= 80 + rows / 100); /* duplicates may copy */
    assert_true(rows >= 80 + 2 * 32);

    /* Same options, same bytes through the CLI as through the library. */
    fw_gen_opts o;
    fw_gen_opts_init(&o);
    fw_gen_schedule_clear(&o);
    add_attack(&o, "syn_flood:0-1:2");
    o.seed = 5;
    o.duration_min = 3;
    o.rate = 40;
    o.start_us = ts_of("2031-02-03T04:05:00");
    size_t n;
    char *want = gen_mem(&o, &n, NULL);
    f = fopen(path, "rb");
    char *got = malloc(n + 1);
    assert_int_equal(fread(got, 1, n + 1, f), n);
    fclose(f);
    assert_memory_equal(got, want, n);
    free(got);
    free(want);

    /* An unwritable path fails with 1 and leaves nothing behind. */
    char bad[96];
    snprintf(bad, sizeof bad, "%s/missing/out.csv", dir);
    assert_int_equal(run_cli("generate", "--duration", "1", "--rate", "5", "-o", bad, NULL), 1);
    assert_int_equal(run_cli("generate", "--duration", "1", "--rate", "5", "-o", dir, NULL), 1);
    assert_int_equal(dir_entries(dir), 1);

    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_same_seed_identical),
        cmocka_unit_test(test_other_seed_differs),
        cmocka_unit_test(test_golden_hash),
        cmocka_unit_test(test_counts_and_labels),
        cmocka_unit_test(test_flood_source_ports_vary),
        cmocka_unit_test(test_fault_counts),
        cmocka_unit_test(test_field_formats),
        cmocka_unit_test(test_start_honoured),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_parse_and_schedule),
        cmocka_unit_test(test_cli_usage_errors),
        cmocka_unit_test(test_cli_writes_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
