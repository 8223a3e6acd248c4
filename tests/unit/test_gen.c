/*
 * test_gen.c - unit tests for the traffic generator (src/gen) and the
 * `generate` subcommand's option handling (src/cli/cli_generate.c).
 *
 * Each test generates a small run into memory with fixed seeds, so every
 * result is deterministic; the CSV is split with a minimal RFC 4180 reader.
 */
#include <dirent.h>
#include <math.h>
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
#define OVERLAY_GOLDEN_HASH 0x4fb25d7611fd6972ULL /* see test_overlay_golden_hash */

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

/* ---- overlay scenarios and the daily cycle ------------------------------- */

/* a.b.c.d in host order, or 0 if s is not a dotted quad. */
static uint32_t ip_of(const char *s)
{
    unsigned a, b, c, d;
    char end;
    if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &end) != 4 || a > 255 || b > 255 ||
        c > 255 || d > 255)
        return 0;
    return a << 24 | b << 16 | c << 8 | d;
}

static bool in_net(uint32_t ip, uint32_t net, int bits)
{
    return (ip >> (32 - bits)) == (net >> (32 - bits));
}

#define NET(a, b) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16)

static bool is_cgnat(uint32_t ip)
{
    return in_net(ip, NET(100, 64), 10);
}

/* Not a public unicast address (or not an address at all). */
static bool is_private(uint32_t ip)
{
    return ip == 0 || ip >> 24 > 223 || in_net(ip, NET(10, 0), 8) ||
           in_net(ip, NET(172, 16), 12) || in_net(ip, NET(192, 168), 16) || is_cgnat(ip);
}

/* One overlay of spec over a run without faults or seed attacks; returns the
 * CSV (caller frees), positioned after its header in *pos. */
static char *overlay_run(uint64_t seed, int rate, int minutes, const char *spec, size_t *pos,
                         fw_gen_stats *st)
{
    fw_gen_opts o;
    small_opts(&o, seed, rate, minutes, false);
    if (spec)
        add_attack(&o, spec);
    char *buf = gen_mem(&o, NULL, st);
    char *f[FW_GEN_NCOLS];
    *pos = 0;
    assert_int_equal(next_record(buf, pos, f, FW_GEN_NCOLS), FW_GEN_NCOLS);
    return buf;
}

/* Minute of the run a row's timestamp falls in (small_opts' start). */
static int minute_of(const char *ts)
{
    fw_gen_opts o;
    fw_gen_opts_init(&o);
    return (int)((ts_of(ts) - o.start_us) / (60 * FW_US_PER_S));
}

/* Microseconds from the run's start. */
static int64_t us_of(const char *ts)
{
    fw_gen_opts o;
    fw_gen_opts_init(&o);
    return ts_of(ts) - o.start_us;
}

/* Checks every overlay row shares: inside minutes [lo, hi), one victim
 * (*victim, set by the first row; NULL to skip), the format's constants. */
static void check_overlay_row(char **f, int lo, int hi, char *victim, size_t nvictim)
{
    int m = minute_of(f[C_TS]);
    assert_true(m >= lo && m < hi);
    if (victim) {
        if (!victim[0])
            snprintf(victim, nvictim, "%s", f[C_DST]);
        assert_string_equal(f[C_DST], victim);
    }
    assert_true(!strncmp(f[C_DST], "10.0.1.", 7));
    assert_string_equal(f[C_BSENT], f[C_SIZE]);
    assert_string_equal(f[C_PSENT], "1");
}

static void test_flash_crowd(void **state)
{
    (void)state;
    const int rate = 40;
    size_t pos;
    fw_gen_stats st;
    char *buf = overlay_run(21, rate, 8, "flash_crowd:2-5", &pos, &st);
    char *f[FW_GEN_NCOLS], victim[16] = "";
    size_t crowd_min[8] = {0}, normal_min[8] = {0}, crowd = 0;
    double crowd_rt = 0, normal_rt = 0;
    size_t normal = 0, crowd_rt_n = 0, normal_rt_n = 0, flags_seen[5] = {0};
    static const char *const flags[] = {"SYN", "ACK", "PSH,ACK", "FIN,ACK", "", NULL};
    while (next_record(buf, &pos, f, FW_GEN_NCOLS) >= 0) {
        /* Legitimate: never labelled. */
        assert_string_equal(f[C_IS_ATTACK], "False");
        assert_string_equal(f[C_TYPE], "");
        assert_true(is_hex8(f[C_SESSION]));
        assert_true(in_list(f[C_TTL], (const char *const[]){"64", "128", "255", NULL}));
        assert_true(in_list(f[C_FLAGS], flags));
        double rt = *f[C_RT] ? atof(f[C_RT]) : 0.0;
        if (!is_cgnat(ip_of(f[C_SRC]))) {
            assert_true(!strncmp(f[C_SRC], "192.168.", 8));
            normal_min[minute_of(f[C_TS])]++;
            normal++;
            normal_rt += rt;
            normal_rt_n++;
            continue;
        }
        crowd++;
        check_overlay_row(f, 2, 5, victim, sizeof victim);
        crowd_min[minute_of(f[C_TS])]++;
        int port = atoi(f[C_DPORT]);
        assert_true(port == 80 || port == 443);
        assert_string_equal(f[C_SERVICE], port == 80 ? "HTTP" : "HTTPS");
        assert_string_equal(f[C_PROTO], "TCP");
        int size = atoi(f[C_SIZE]);
        assert_true(size >= 20 && size <= 65535);
        assert_true(atoi(f[C_BRECV]) >= size / 2);
        int precv = atoi(f[C_PRECV]);
        assert_true(precv >= 1 && precv <= 5);
        assert_true(in_list(f[C_METHOD],
                            (const char *const[]){"GET", "POST", "PUT", "DELETE", "", NULL}));
        assert_true(in_list(f[C_STATUS],
                            (const char *const[]){"200.0", "404.0", "500.0", "503.0", "", NULL}));
        for (int i = 0; i < 5; i++)
            flags_seen[i] += !strcmp(f[C_FLAGS], flags[i]);
        crowd_rt += rt;
        crowd_rt_n++;
    }
    for (int m = 0; m < 8; m++) {
        assert_int_equal(crowd_min[m], (m >= 2 && m < 5) ? (size_t)rate * 10 : 0);
        /* The normal traffic goes on as in any normal minute. */
        assert_true(normal_min[m] >= 32 && normal_min[m] <= 48);
    }
    assert_int_equal(crowd, st.overlay_rows);
    assert_int_equal(st.attack_rows, 0);
    for (int i = 0; i < 5; i++) /* the normal flags mix, not a flood's */
        assert_true(flags_seen[i] > crowd / 10);
    /* Response times like normal traffic: exponential with mean 50 ms. */
    crowd_rt /= (double)crowd_rt_n;
    normal_rt /= (double)normal_rt_n;
    assert_true(crowd_rt > 44.0 && crowd_rt < 56.0);
    assert_true(normal_rt > 35.0 && normal_rt < 65.0);
    free(buf);
}

static void test_port_scan(void **state)
{
    (void)state;
    const int rate = 50;
    size_t pos;
    fw_gen_stats st;
    char *buf = overlay_run(22, rate, 6, "port_scan:1-4", &pos, &st);
    char *f[FW_GEN_NCOLS], victim[16] = "", src[16] = "", ttl[4] = "";
    size_t per_min[6] = {0}, rows = 0, distinct = 0, rst = 0;
    uint8_t *seen = calloc(65536, 1);
    while (next_record(buf, &pos, f, FW_GEN_NCOLS) >= 0) {
        if (strcmp(f[C_IS_ATTACK], "True"))
            continue;
        assert_string_equal(f[C_TYPE], "port_scan");
        check_overlay_row(f, 1, 4, victim, sizeof victim);
        per_min[minute_of(f[C_TS])]++;
        rows++;
        if (!src[0]) {
            snprintf(src, sizeof src, "%s", f[C_SRC]);
            snprintf(ttl, sizeof ttl, "%s", f[C_TTL]);
        }
        assert_string_equal(f[C_SRC], src); /* one scanner */
        assert_string_equal(f[C_TTL], ttl); /* with one TTL */
        int port = atoi(f[C_DPORT]);
        assert_true(port >= 1 && port <= 65535);
        distinct += !seen[port]++;
        assert_string_equal(f[C_PROTO], "TCP");
        assert_string_equal(f[C_FLAGS], "SYN");
        assert_string_equal(f[C_RT], "");
        assert_string_equal(f[C_SESSION], "");
        assert_string_equal(f[C_METHOD], "");
        assert_string_equal(f[C_URI], "");
        assert_string_equal(f[C_STATUS], "");
        assert_string_equal(f[C_AGENT], "");
        if (!strcmp(f[C_BRECV], "40")) {
            assert_string_equal(f[C_PRECV], "1"); /* an RST */
            rst++;
        } else {
            assert_string_equal(f[C_BRECV], "0");
            assert_string_equal(f[C_PRECV], "0");
        }
        int size = atoi(f[C_SIZE]);
        assert_true(size >= 40 && size <= 60);
    }
    assert_false(is_private(ip_of(src)));
    assert_true(atoi(ttl) >= 48 && atoi(ttl) <= 64);
    for (int m = 0; m < 6; m++)
        assert_int_equal(per_min[m], (m >= 1 && m < 4) ? (size_t)rate * 2 : 0);
    assert_int_equal(distinct, rows); /* no port twice */
    assert_true(rst > rows / 3 && rst < rows * 2 / 3);
    assert_int_equal(st.attack_rows, rows);
    free(buf);

    /* 66000 probes: every port once before any repeats. */
    buf = overlay_run(23, 1000, 33, "port_scan:0-33", &pos, NULL);
    memset(seen, 0, 65536);
    rows = distinct = 0;
    while (next_record(buf, &pos, f, FW_GEN_NCOLS) >= 0) {
        if (!strcmp(f[C_TYPE], "port_scan")) {
            rows++;
            distinct += !seen[atoi(f[C_DPORT])]++;
        }
    }
    assert_int_equal(rows, 66000);
    assert_int_equal(distinct, 65535);
    free(seen);
    free(buf);
}

static void test_slowloris(void **state)
{
    (void)state;
    const int rate = 50;
    size_t pos;
    fw_gen_stats st;
    char *buf = overlay_run(24, rate, 7, "slowloris:1-6", &pos, &st);
    char *f[FW_GEN_NCOLS], victim[16] = "";
    char srcs[32][16], ttls[32][4];
    size_t n_srcs = 0, per_min[7] = {0}, rows = 0;
    while (next_record(buf, &pos, f, FW_GEN_NCOLS) >= 0) {
        if (strcmp(f[C_IS_ATTACK], "True"))
            continue;
        assert_string_equal(f[C_TYPE], "slowloris");
        check_overlay_row(f, 1, 6, victim, sizeof victim);
        per_min[minute_of(f[C_TS])]++;
        rows++;
        size_t i = 0;
        while (i < n_srcs && strcmp(srcs[i], f[C_SRC]))
            i++;
        if (i == n_srcs) {
            assert_true(n_srcs < 20); /* at most 20 sources */
            snprintf(srcs[i], sizeof srcs[i], "%s", f[C_SRC]);
            snprintf(ttls[i], sizeof ttls[i], "%s", f[C_TTL]);
            n_srcs++;
            assert_true(atoi(f[C_TTL]) >= 40 && atoi(f[C_TTL]) <= 128);
        }
        assert_string_equal(f[C_TTL], ttls[i]); /* one TTL per source */
        assert_false(!strncmp(f[C_SRC], "192.168.", 8)); /* from the botnet */
        double rt = atof(f[C_RT]);
        assert_true(rt >= 20000.0 && rt <= 120000.0);
        int port = atoi(f[C_DPORT]);
        assert_true(port == 80 || port == 443);
        assert_string_equal(f[C_PROTO], "TCP");
        assert_true(in_list(f[C_FLAGS], (const char *const[]){"ACK", "PSH,ACK", NULL}));
        int size = atoi(f[C_SIZE]);
        assert_true(size >= 40 && size <= 120);
        int brecv = atoi(f[C_BRECV]);
        assert_true(brecv >= 0 && brecv <= 60);
        assert_true(in_list(f[C_PRECV], (const char *const[]){"0", "1", NULL}));
        assert_true(is_hex8(f[C_SESSION]));
        assert_string_equal(f[C_METHOD], "GET");
        assert_string_equal(f[C_URI], "/");
        assert_string_equal(f[C_STATUS], "");
    }
    assert_true(n_srcs >= 15);
    for (int m = 0; m < 7; m++)
        assert_int_equal(per_min[m], (m >= 1 && m < 6) ? (size_t)rate * 3 : 0);
    assert_int_equal(st.attack_rows, rows);
    free(buf);
}

/* Returns the index of ip in a[0..*n), appending it if new. */
static size_t intern_ip(uint32_t *a, size_t *n, size_t cap, uint32_t ip)
{
    for (size_t i = 0; i < *n; i++)
        if (a[i] == ip)
            return i;
    assert_true(*n < cap);
    a[*n] = ip;
    return (*n)++;
}

static void test_low_and_slow(void **state)
{
    (void)state;
    const int rate = 100;
    size_t pos;
    fw_gen_stats st;
    char *buf = overlay_run(25, rate, 12, "low_and_slow:1-11", &pos, &st);
    char *f[FW_GEN_NCOLS], victim[16] = "";
    uint32_t *ips = calloc(4000, sizeof *ips);
    size_t *count = calloc(4000, sizeof *count);
    size_t n_ips = 0, per_min[12] = {0}, rows = 0, s503 = 0;
    while (next_record(buf, &pos, f, FW_GEN_NCOLS) >= 0) {
        if (strcmp(f[C_IS_ATTACK], "True"))
            continue;
        assert_string_equal(f[C_TYPE], "http_flood");
        check_overlay_row(f, 1, 11, victim, sizeof victim);
        per_min[minute_of(f[C_TS])]++;
        rows++;
        uint32_t ip = ip_of(f[C_SRC]);
        assert_false(is_private(ip));
        count[intern_ip(ips, &n_ips, 4000, ip)]++;
        int port = atoi(f[C_DPORT]);
        assert_true(port == 80 || port == 443);
        assert_string_equal(f[C_PROTO], "TCP");
        assert_true(in_list(f[C_FLAGS], (const char *const[]){"ACK", "PSH,ACK", NULL}));
        int size = atoi(f[C_SIZE]);
        assert_true(size >= 300 && size <= 800);
        int brecv = atoi(f[C_BRECV]);
        assert_true(brecv >= size / 2 && brecv <= size * 3);
        int precv = atoi(f[C_PRECV]);
        assert_true(precv >= 1 && precv <= 3);
        double rt = atof(f[C_RT]);
        assert_true(rt >= 300.0 && rt <= 3000.0);
        assert_string_equal(f[C_SESSION], "");
        assert_true(in_list(f[C_METHOD], (const char *const[]){"GET", "POST", NULL}));
        assert_true(in_list(f[C_URI], (const char *const[]){"/", "/api/v1/users", "/login",
                                                            "/search", NULL}));
        assert_true(in_list(f[C_STATUS], (const char *const[]){"200.0", "503.0", NULL}));
        s503 += !strcmp(f[C_STATUS], "503.0");
    }
    for (int m = 0; m < 12; m++)
        assert_int_equal(per_min[m], (m >= 1 && m < 11) ? (size_t)rate * 5 : 0);
    assert_true(n_ips >= 1000 && n_ips <= 3000);
    size_t most = 0;
    for (size_t i = 0; i < n_ips; i++)
        most = count[i] > most ? count[i] : most;
    assert_true(most <= 20); /* every source sends few requests */
    assert_true(s503 > rows * 2 / 5 && s503 < rows * 3 / 5);
    assert_int_equal(st.attack_rows, rows);
    free(ips);
    free(count);
    free(buf);
}

/* pulse_wave at rate * intensity rows a minute: only the on-seconds (the
 * first 10 of every 30 from the start) have rows, each ~1/60 of them. */
static void check_pulse_wave(int rate, int intensity)
{
    char spec[48];
    snprintf(spec, sizeof spec, "pulse_wave:1-4:%d", intensity);
    size_t pos;
    fw_gen_stats st;
    char *buf = overlay_run(26, rate, 5, spec, &pos, &st);
    char *f[FW_GEN_NCOLS];
    size_t per_sec[180] = {0}, rows = 0, botnet = 0, servers[11] = {0}, ttls[256] = {0};
    while (next_record(buf, &pos, f, FW_GEN_NCOLS) >= 0) {
        if (strcmp(f[C_IS_ATTACK], "True"))
            continue;
        assert_string_equal(f[C_TYPE], "udp_flood");
        check_overlay_row(f, 1, 4, NULL, 0);
        int64_t sec = (us_of(f[C_TS]) - 60 * FW_US_PER_S) / FW_US_PER_S;
        assert_true(sec >= 0 && sec < 180);
        per_sec[sec]++;
        rows++;
        assert_string_equal(f[C_PROTO], "UDP");
        botnet += strncmp(f[C_SRC], "192.168.", 8) != 0;
        servers[atoi(f[C_DST] + 7)]++;
        ttls[atoi(f[C_TTL])]++;
        assert_string_equal(f[C_SESSION], "");
    }
    const size_t total = (size_t)rate * (size_t)intensity;
    for (int s = 0; s < 180; s++) {
        if (s % 30 >= 10)
            assert_int_equal(per_sec[s], 0);
        else
            assert_true(per_sec[s] == total / 60 || per_sec[s] == (total + 59) / 60);
    }
    for (int i = 1; i <= 10; i++) /* all ten servers, like the seed's floods */
        assert_true(servers[i] > 0);
    size_t distinct_ttls = 0;
    for (int i = 0; i < 256; i++)
        distinct_ttls += ttls[i] > 0;
    assert_true(distinct_ttls > 100);
    assert_true(botnet > rows * 7 / 10 && botnet < rows * 9 / 10);
    assert_int_equal(st.attack_rows, rows);
    free(buf);
}

static void test_pulse_wave(void **state)
{
    (void)state;
    check_pulse_wave(30, 40); /* 20 rows in every on-second */
    check_pulse_wave(7, 40);  /* 4.67: 4 or 5 */
}

/* Lines of buf after the header that are not from an overlay (labelled, or
 * from the flash crowd's 100.64/10), sorted; *n gets how many.  Modifies
 * buf. */
static char **normal_lines(char *buf, size_t *n)
{
    size_t cap = 1024, k = 0;
    char **lines = malloc(cap * sizeof *lines);
    char *line = strchr(buf, '\n') + 1;
    while (*line) {
        char *nl = strchr(line, '\n');
        *nl = '\0';
        char src[32] = "";
        const char *comma = strchr(line, ',');
        snprintf(src, sizeof src, "%.*s", (int)strcspn(comma + 1, ","), comma + 1);
        if (!strstr(line, ",True,") && !is_cgnat(ip_of(src))) {
            if (k == cap)
                lines = realloc(lines, (cap *= 2) * sizeof *lines);
            lines[k++] = line;
        }
        line = nl + 1;
    }
    *n = k;
    return lines;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Overlays may overlap each other, and add rows without changing a single
 * normal row: the run's normal rows are those of the run without them. */
static void test_overlays_leave_normal_traffic(void **state)
{
    (void)state;
    fw_gen_opts o;
    small_opts(&o, 27, 60, 10, false);
    add_attack(&o, "syn_flood:8-9:2");
    char *base = gen_mem(&o, NULL, NULL);
    add_attack(&o, "flash_crowd:1-5:2");
    add_attack(&o, "port_scan:2-6");
    add_attack(&o, "slowloris:2-4");
    add_attack(&o, "low_and_slow:3-7:1");
    add_attack(&o, "pulse_wave:0-8:6");
    add_attack(&o, "pulse_wave:0-3:6"); /* same start twice: a separate stream */
    fw_gen_stats st;
    size_t with_len;
    char *with = gen_mem(&o, &with_len, &st);
    size_t nb, nw;
    char **lb = normal_lines(base, &nb), **lw = normal_lines(with, &nw);
    assert_true(nb > 500);
    assert_int_equal(nb, nw);
    qsort(lb, nb, sizeof *lb, cmp_str);
    qsort(lw, nw, sizeof *lw, cmp_str);
    for (size_t i = 0; i < nb; i++)
        assert_string_equal(lb[i], lw[i]);
    size_t want = 4 * 120 + 4 * 120 + 2 * 180 + 4 * 60 + (8 + 3) * 120 + 120; /* + syn */
    assert_int_equal(st.rows_raw, nb + want);
    assert_int_equal(st.overlay_rows, want - 120);
    assert_int_equal(st.attack_rows, want - 4 * 120);
    free(lb);
    free(lw);

    /* The two pulse waves are different rows, not one stream twice.
     * normal_lines left the lines NUL-terminated. */
    size_t n_pulse = 0;
    char **pulse = malloc(st.rows_raw * sizeof *pulse);
    for (char *line = strchr(with, '\n') + 1; line < with + with_len; line += strlen(line) + 1)
        if (strstr(line, ",True,udp_flood,"))
            pulse[n_pulse++] = line;
    assert_int_equal(n_pulse, (8 + 3) * 120);
    qsort(pulse, n_pulse, sizeof *pulse, cmp_str);
    for (size_t i = 1; i < n_pulse; i++)
        assert_true(strcmp(pulse[i - 1], pulse[i]) != 0);
    free(pulse);
    free(base);
    free(with);
}

static void test_overlay_schedule(void **state)
{
    (void)state;
    static const struct {
        const char *name, *label;
        int intensity;
    } want[] = {{"flash_crowd", NULL, 10},        {"port_scan", "port_scan", 2},
                {"slowloris", "slowloris", 3},    {"low_and_slow", "http_flood", 5},
                {"pulse_wave", "udp_flood", 40}, {"syn_flood", "syn_flood", 30}};
    fw_gen_attack a;
    char err[256];
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char spec[64];
        snprintf(spec, sizeof spec, "%s:3-4", want[i].name);
        assert_int_equal(fw_gen_parse_attack(spec, &a, err, sizeof err), 0);
        assert_int_equal(a.intensity, want[i].intensity);
        assert_int_equal(fw_gen_attack_type_default_intensity(a.type), want[i].intensity);
        assert_int_equal(fw_gen_attack_type_is_overlay(a.type), i < 5);
        const char *label = fw_gen_attack_type_label(a.type);
        if (want[i].label)
            assert_string_equal(label, want[i].label);
        else
            assert_null(label);
        assert_non_null(fw_gen_attack_type_summary(a.type));
    }
    assert_int_equal(fw_gen_parse_attack("port_scan:3-4:7", &a, err, sizeof err), 0);
    assert_int_equal(a.intensity, 7);
    assert_false(fw_gen_attack_type_is_overlay(-1));
    assert_null(fw_gen_attack_type_label(99));

    /* Overlays overlap each other and normal minutes, never a seed kind. */
    fw_gen_opts o;
    small_opts(&o, 1, 10, 60, true);
    add_attack(&o, "slowloris:10-20");
    add_attack(&o, "port_scan:15-30");
    add_attack(&o, "port_scan:15-30");
    add_attack(&o, "syn_flood:30-40");
    fw_gen_parse_attack("pulse_wave:35-36", &a, NULL, 0);
    assert_int_equal(fw_gen_schedule_add(&o, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "syn_flood:30-40"));
    fw_gen_parse_attack("udp_flood:19-21", &a, NULL, 0);
    assert_int_equal(fw_gen_schedule_add(&o, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "slowloris:10-20"));
    assert_int_equal(o.n_attacks, 4);
    for (size_t i = 1; i < o.n_attacks; i++) /* sorted by start */
        assert_true(o.attacks[i - 1].start_min <= o.attacks[i].start_min);
    assert_int_equal(fw_gen_check(&o, err, sizeof err), 0);
    o.attacks[3].start_min = 29; /* the syn flood now overlaps a port scan */
    assert_int_equal(fw_gen_check(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "overlap"));

    /* Overlay rows count towards the row cap. */
    small_opts(&o, 1, FW_GEN_MAX_RATE, 60, true);
    add_attack(&o, "port_scan:0-60:100");
    assert_int_equal(fw_gen_check(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "rows"));

    /* ... and take the seed's faults like everything else. */
    small_opts(&o, 2, 100, 10, true);
    add_attack(&o, "port_scan:0-10:3");
    fw_gen_stats st;
    char *buf = gen_mem(&o, NULL, &st);
    assert_int_equal(st.overlay_rows, 3000);
    assert_int_equal(st.malformed_ip, (size_t)((double)st.rows_raw * 0.01));
    size_t pos = 0, faulty_scan = 0;
    char *f[FW_GEN_NCOLS];
    next_record(buf, &pos, f, FW_GEN_NCOLS);
    while (next_record(buf, &pos, f, FW_GEN_NCOLS) >= 0)
        faulty_scan += !strcmp(f[C_TYPE], "port_scan") && (!*f[C_TS] || ip_of(f[C_SRC]) == 0);
    assert_true(faulty_scan > 30);
    free(buf);
}

static void test_cli_overlays_and_daily(void **state)
{
    (void)state;
    /* Overlaps the default syn_flood:15-25; overlays may overlap each other. */
    assert_int_equal(run_cli("generate", "--attack", "port_scan:20-30", NULL), 2);
    assert_int_equal(run_cli("generate", "--duration", "5", "--rate", "5", "--attack",
                             "port_scan:1-3", "--attack", "flash_crowd:2-4:1", "-o", "/dev/null",
                             NULL),
                     0);
    const char *bad[] = {"-0.1", "1", "1.0", "1.5", "abc", "nan", "inf", "", ".", "0.5x",
                         "1e-1", "0x0.8", " 0.5", "+0.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(run_cli("generate", "--daily", bad[i], NULL), 2);

    /* --daily 0 is the default, byte for byte. */
    char dir[] = "/tmp/test_gen.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    assert_int_equal(run_cli("generate", "--seed", "8", "--duration", "30", "--rate", "40",
                             "--daily", "0", "-o", path, NULL),
                     0);
    fw_gen_opts o;
    fw_gen_opts_init(&o);
    o.seed = 8;
    o.duration_min = 30;
    o.rate = 40;
    size_t n;
    char *want = gen_mem(&o, &n, NULL);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *got = malloc(n + 1);
    assert_int_equal(fread(got, 1, n + 1, f), n);
    fclose(f);
    assert_memory_equal(got, want, n);
    free(got);
    free(want);

    assert_int_equal(run_cli("generate", "--seed", "8", "--duration", "30", "--rate", "40",
                             "--daily", ".5", "-o", path, NULL),
                     0);
    unlink(path);
    rmdir(dir);
}

/* --daily 0.5 over a day: about 1.5 * rate at noon UTC, 0.5 * rate at
 * midnight, rate at 06:00; also in overlay minutes (their overlay rows
 * aside).  Binned by time of day, from a start that is not midnight. */
static void test_daily_cycle(void **state)
{
    (void)state;
    fw_gen_opts o;
    small_opts(&o, 28, 20, 1440, false);
    o.daily = 0.5;
    assert_int_equal(fw_ts_parse("2026-03-04T06:00:00", 19, &o.start_us), 0);
    add_attack(&o, "slowloris:350-370"); /* 11:50-12:10 */
    add_attack(&o, "syn_flood:1000-1001:1");
    char *buf = gen_mem(&o, NULL, NULL);
    size_t per_min[1440] = {0};
    size_t pos = 0;
    char *f[FW_GEN_NCOLS];
    next_record(buf, &pos, f, FW_GEN_NCOLS);
    while (next_record(buf, &pos, f, FW_GEN_NCOLS) >= 0) {
        if (!strcmp(f[C_IS_ATTACK], "True"))
            continue;
        int64_t ts = ts_of(f[C_TS]);
        int64_t sod = (ts / FW_US_PER_S) % 86400;
        per_min[sod / 60]++;
    }
    size_t noon = 0, midnight = 0, six = 0, overlay = 0;
    for (int m = 690; m < 750; m++)
        noon += per_min[m];
    for (int m = 0; m < 30; m++)
        midnight += per_min[m] + per_min[1439 - m];
    for (int m = 330; m < 390; m++)
        six += per_min[m];
    for (int m = 710; m < 730; m++)
        overlay += per_min[m];
    double r = (double)noon / (double)midnight;
    assert_true(r > 2.6 && r < 3.5);
    r = (double)six / (double)midnight;
    assert_true(r > 1.7 && r < 2.3);
    assert_true(overlay > 20 * 20 * 1.3 && overlay < 20 * 20 * 1.55);
    free(buf);

    /* A flat run for contrast: noon and midnight alike. */
    o.daily = 0.0;
    fw_gen_schedule_clear(&o);
    buf = gen_mem(&o, NULL, NULL);
    memset(per_min, 0, sizeof per_min);
    pos = 0;
    next_record(buf, &pos, f, FW_GEN_NCOLS);
    while (next_record(buf, &pos, f, FW_GEN_NCOLS) >= 0)
        per_min[(ts_of(f[C_TS]) / FW_US_PER_S) % 86400 / 60]++;
    noon = midnight = 0;
    for (int m = 690; m < 750; m++)
        noon += per_min[m];
    for (int m = 0; m < 30; m++)
        midnight += per_min[m] + per_min[1439 - m];
    r = (double)noon / (double)midnight;
    assert_true(r > 0.9 && r < 1.1);
    free(buf);

    /* Out of range. */
    char err[128];
    fw_gen_opts_init(&o);
    o.daily = 1.0;
    assert_int_equal(fw_gen_check(&o, err, sizeof err), -1);
    o.daily = -0.01;
    assert_int_equal(fw_gen_check(&o, err, sizeof err), -1);
    o.daily = NAN;
    assert_int_equal(fw_gen_check(&o, err, sizeof err), -1);
    o.daily = 0.99;
    assert_int_equal(fw_gen_check(&o, err, sizeof err), 0);
}

/* Overlay output pinned like test_golden_hash, so that the scenarios, too,
 * give the same bytes with any compiler and optimisation level. */
static void test_overlay_golden_hash(void **state)
{
    (void)state;
    fw_gen_opts o;
    small_opts(&o, 42, 30, 6, true);
    o.daily = 0.3;
    add_attack(&o, "flash_crowd:0-2:2");
    add_attack(&o, "port_scan:1-3");
    add_attack(&o, "slowloris:2-4:1");
    add_attack(&o, "low_and_slow:3-5:1");
    add_attack(&o, "pulse_wave:4-6:2");
    size_t n;
    char *buf = gen_mem(&o, &n, NULL);
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)buf[i]) * 0x100000001b3ULL;
    if (h != OVERLAY_GOLDEN_HASH)
        fail_msg("output changed: hash 0x%016llxULL, %zu bytes", (unsigned long long)h, n);
    free(buf);
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
        cmocka_unit_test(test_flash_crowd),
        cmocka_unit_test(test_port_scan),
        cmocka_unit_test(test_slowloris),
        cmocka_unit_test(test_low_and_slow),
        cmocka_unit_test(test_pulse_wave),
        cmocka_unit_test(test_overlays_leave_normal_traffic),
        cmocka_unit_test(test_overlay_schedule),
        cmocka_unit_test(test_cli_overlays_and_daily),
        cmocka_unit_test(test_daily_cycle),
        cmocka_unit_test(test_overlay_golden_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
