/*
 * gen.c - synthetic traffic in the seed's network_traffic.csv format (gen.h).
 *
 * Three passes over compact in-memory rows, so that no per-field printf and
 * no per-row allocation happens:
 *   1. generate: per minute, the seed's event count, each row filled by the
 *      common code plus its traffic kind's fill function (kinds[] below),
 *      then the rows of any overlay scenarios active in the minute, each
 *      from its own RNG stream;
 *   2. faults: the seed's samples without replacement, duplicates, outliers,
 *      then a Fisher-Yates shuffle of the rows;
 *   3. format: hand-written integer/timestamp formatting into a 4 MiB buffer
 *      written out in whole blocks.
 * Field values that are strings are stored as small indexes into tables of
 * their CSV encodings (already quoted where RFC 4180 needs it).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/ts.h"
#include "gen/gen.h"
#include "gen/rng.h"

const char fw_gen_csv_header[] =
    "timestamp,source_ip,dest_ip,source_port,dest_port,protocol,packet_size,ttl,flags,"
    "response_time_ms,country,service,bytes_sent,bytes_received,packets_sent,"
    "packets_received,session_id,is_attack,attack_type,http_method,uri_path,status_code,"
    "user_agent";

#define US_PER_MIN (60 * FW_US_PER_S)

/* ---- string tables ------------------------------------------------------ */

/* A CSV-encoded field value and its length. */
struct str {
    const char *s;
    unsigned char n;
};
#define S(lit) {lit, sizeof(lit) - 1}
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The seed's choice lists.  Its None and "" both print as an empty field, so
 * each list keeps as many empty entries as the seed has; the first empty
 * entry doubles as the "emptied by a fault" value. */
static const struct str flag_strs[] = {S("SYN"), S("ACK"), S("\"PSH,ACK\""), S("\"FIN,ACK\""),
                                       S("")};
enum { FLAG_SYN = 0, FLAG_ACK = 1, FLAG_PSH_ACK = 2 };
static const struct str country_strs[] = {S("US"), S("CN"), S("RU"), S("DE"), S("FR"),
                                          S("GB"), S("JP"), S("IN"), S(""),   S("")};
enum { COUNTRY_EMPTY = 8 };
static const struct str method_strs[] = {S("GET"), S("POST"), S("PUT"), S("DELETE"), S("")};
enum { METHOD_EMPTY = 4 };
static const struct str uri_strs[] = {S("/"), S("/api/v1/users"), S("/login"), S("/search"),
                                      S(""),  S("")};
enum { URI_EMPTY = 4 };
/* status_code is a float column in pandas (it holds None), hence "200.0". */
static const struct str status_strs[] = {S("200.0"), S("404.0"), S("500.0"), S("503.0"), S("")};
enum { STATUS_EMPTY = 4 };
static const struct str agent_strs[] = {S("Mozilla/5.0 (Windows NT 10.0; Win64; x64)"),
                                        S("python-requests/2.28.1"), S("bot"), S(""), S("")};
enum { AGENT_EMPTY = 3 };
static const struct str proto_strs[] = {S("TCP"), S("UDP")};
enum { PROTO_TCP = 0, PROTO_UDP = 1 };

/* The seed's services dict (dest_port -> service) with its normal-traffic
 * weights; anything else is UNKNOWN. */
static const uint16_t service_ports[] = {80, 443, 22, 21, 3306, 5432, 53, 3389, 8080, 8443};
static const uint8_t service_weights[] = {30, 35, 5, 2, 3, 3, 5, 2, 10, 5};
static const struct str service_strs[] = {S("HTTP"),  S("HTTPS"),      S("SSH"),
                                          S("FTP"),   S("MySQL"),      S("PostgreSQL"),
                                          S("DNS"),   S("RDP"),        S("HTTP-ALT"),
                                          S("HTTPS-ALT"), S("UNKNOWN")};
enum { SERVICE_UNKNOWN = 10 };

/* Fault values. */
static const struct str bad_ip_strs[] = {S("999.999.999.999"), S("192.168.1"), S("0.0.0.0"),
                                         S("corrupted"), S("192.168.1.256")};
static const struct str bad_ts_strs[] = {S("2024-13-45 25:99:99"), S("INVALID_TIME"), S(""),
                                         S("0000-00-00 00:00:00")};
static const int32_t outlier_sizes[] = {-1, 999999, 0};

/* ---- rows --------------------------------------------------------------- */

/* Form of the timestamp and source_ip fields: the generated value, empty
 * (the seed's None), or index FORM_BAD + i into the fault strings. */
enum { FORM_OK = 0, FORM_NONE = 1, FORM_BAD = 2 };

/* response_time_ms is kept in thousandths (round(x, 3) is exact there). */
#define RT_NONE INT32_MIN

/* One event, 56 bytes.  Every field is set by gen_row or overlay_row. */
struct row {
    int64_t ts_us;          /* event time, UTC microseconds */
    uint32_t src_ip;        /* IPv4 address, host order (src_form == FORM_OK) */
    uint32_t session;       /* session_id, printed as 8 hex digits */
    int32_t packet_size;    /* bytes; an outlier makes it -1, 0 or 999999 */
    int32_t bytes_sent;     /* the packet size as drawn; outliers leave it */
    int32_t bytes_received; /* bytes */
    int32_t rt_milli;       /* response_time_ms * 1000, or RT_NONE */
    uint16_t src_port, dst_port;
    uint8_t kind;           /* index into kinds[]: KIND_NORMAL or a scenario */
    uint8_t ts_form;        /* FORM_* for timestamp */
    uint8_t src_form;       /* FORM_* for source_ip */
    uint8_t server;         /* dest_ip is 10.0.1.<server> */
    uint8_t proto;          /* PROTO_* */
    uint8_t ttl;            /* 1..255 */
    uint8_t flags;          /* index into flag_strs */
    uint8_t country;        /* index into country_strs */
    uint8_t service;        /* index into service_strs */
    uint8_t pkts_received;  /* 0..5 */
    uint8_t has_session;    /* whether session_id is printed */
    uint8_t method, uri, status, agent; /* indexes into the HTTP tables */
};

/* ---- address pools ------------------------------------------------------ */

/* The seed's address pools, drawn once per run. */
struct pools {
    uint32_t normal[100];  /* 192.168.{1..10}.{1..254} */
    uint32_t botnet[500];  /* {1..223}.{0..255}.{0..255}.{1..254} */
};

static uint32_t ipv4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | (uint32_t)d;
}

static void draw_pools(fw_gen_rng *rng, struct pools *p)
{
    /* One draw per statement: the order in which a call's arguments are
     * evaluated is unspecified, and the output must not depend on it. */
    for (size_t i = 0; i < NELEM(p->normal); i++) {
        unsigned c = (unsigned)fw_gen_rng_int(rng, 1, 10);
        p->normal[i] = ipv4(192, 168, c, (unsigned)fw_gen_rng_int(rng, 1, 254));
    }
    for (size_t i = 0; i < NELEM(p->botnet); i++) {
        unsigned a = (unsigned)fw_gen_rng_int(rng, 1, 223);
        unsigned b = (unsigned)fw_gen_rng_int(rng, 0, 255);
        unsigned c = (unsigned)fw_gen_rng_int(rng, 0, 255);
        p->botnet[i] = ipv4(a, b, c, (unsigned)fw_gen_rng_int(rng, 1, 254));
    }
}

/* A public unicast address: {1..223}.x.x.{1..254} outside 10/8, 100.64/10
 * (carrier-grade NAT, the flash crowd's range), 127/8, 169.254/16,
 * 172.16/12 and 192.168/16.  Rejection: about 1.04 tries. */
static uint32_t public_ipv4(fw_gen_rng *rng)
{
    for (;;) {
        unsigned a = (unsigned)fw_gen_rng_int(rng, 1, 223);
        unsigned b = (unsigned)fw_gen_rng_int(rng, 0, 255);
        unsigned c = (unsigned)fw_gen_rng_int(rng, 0, 255);
        unsigned d = (unsigned)fw_gen_rng_int(rng, 1, 254);
        if (a == 10 || a == 127 || (a == 100 && (b & 0xc0) == 64) || (a == 169 && b == 254) ||
            (a == 172 && (b & 0xf0) == 16) || (a == 192 && b == 168))
            continue;
        return ipv4(a, b, c, d);
    }
}

/* An address in 100.64.0.0/10 with a last octet of 1..254. */
static uint32_t cgnat_ipv4(fw_gen_rng *rng)
{
    uint32_t mid = (uint32_t)fw_gen_rng_below(rng, 1u << 14); /* 6 + 8 bits */
    return ipv4(100, 64, 0, 0) | mid << 8 | (uint32_t)fw_gen_rng_int(rng, 1, 254);
}

/* Fill out[0..n) with n distinct addresses from draw(), which must have far
 * more than n values and never return 0.  O(n) expected; the open-addressing
 * set is freed before returning. */
static void draw_distinct(fw_gen_rng *rng, uint32_t (*draw)(fw_gen_rng *), uint32_t *out,
                          size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap <<= 1;
    uint32_t *set = fw_xcalloc(cap, sizeof *set);
    for (size_t i = 0; i < n;) {
        uint32_t a = draw(rng);
        size_t h = (size_t)(a * 2654435761u) & (cap - 1);
        while (set[h] && set[h] != a)
            h = (h + 1) & (cap - 1);
        if (!set[h])
            set[h] = out[i++] = a;
    }
    free(set);
}

/* ---- traffic kinds ------------------------------------------------------ */

struct kind;

/*
 * One overlay scenario of the schedule while it is generated: its own RNG
 * stream (so adding one leaves every other row's draws alone), its victim
 * and whatever its kind's init set up.  Owns srcs, src_ttls and ports.
 */
struct scen {
    const fw_gen_attack *a; /* the schedule entry */
    const struct kind *kd;  /* kinds[kind] */
    uint8_t kind;           /* index into kinds[] */
    fw_gen_rng rng;         /* this instance's stream */
    uint8_t victim;         /* dest_ip is 10.0.1.<victim> */
    uint8_t ttl;            /* port_scan: the scanner's TTL */
    uint32_t src;           /* port_scan: the scanner's address */
    uint32_t *srcs;         /* source pool, n_srcs addresses, or NULL */
    uint8_t *src_ttls;      /* slowloris: each source's TTL, or NULL */
    size_t n_srcs;
    uint16_t *ports;        /* port_scan: an order of ports 1..65535, or NULL */
    size_t next_port;       /* port_scan: index of the next port in ports[] */
};

/*
 * A traffic kind: how the rows of one scenario are made.  Two shapes:
 *   - gen_fields kinds (normal traffic, the seed's attacks, pulse_wave): the
 *     common code (gen_fields) does addresses, TTL, country, service, session
 *     and the HTTP fields, and fill does the fields that differ: ports,
 *     protocol, packet size, response time, TCP flags, received counts;
 *   - overlay kinds: init sets up the instance (a victim is always drawn
 *     first) and make fills every field but the timestamp.
 * New scenarios are new entries.
 */
struct kind {
    const char *name;      /* --attack name; NULL for normal traffic */
    const char *label;     /* attack_type column, or NULL: is_attack False */
    bool overlay;          /* adds rows to normal minutes instead of replacing */
    int default_intensity; /* INTENSITY of a spec that gives none */
    double botnet_share;   /* gen_fields: probability of a botnet source */
    void (*fill)(fw_gen_rng *rng, struct row *r); /* gen_fields kinds */
    void (*init)(struct scen *s, const struct pools *p);  /* or NULL */
    void (*make)(struct scen *s, const struct pools *p, struct row *r);
    uint8_t on_s;          /* > 0: rows only in the first on_s seconds of */
    uint8_t period_s;      /* every period_s (which divides 60); else all minute */
    const char *summary;   /* one line for --help */
};

enum { METHOD_GET = 0, URI_ROOT = 0, STATUS_200 = 0, STATUS_503 = 3 };

static int32_t packet_size_lognormal(fw_gen_rng *rng)
{
    /* The seed: int(lognormal(6, 1.5)) clipped to [20, 65535].  Clip in
     * double first so a huge draw cannot overflow the conversion. */
    double v = fw_gen_rng_lognormal(rng, 6.0, 1.5);
    if (v >= 65535.0)
        return 65535;
    int32_t ps = (int32_t)v;
    return ps < 20 ? 20 : ps;
}

/* round(x, 3) in thousandths; the seed writes None when x is 0. */
static int32_t rt_from_ms(double x)
{
    return x == 0.0 ? RT_NONE : (int32_t)llrint(x * 1000.0);
}

/* Fields every kind but syn_flood draws the same way. */
static void fill_reply(fw_gen_rng *rng, struct row *r)
{
    r->flags = (uint8_t)fw_gen_rng_below(rng, NELEM(flag_strs));
    r->bytes_received = (int32_t)(r->packet_size * fw_gen_rng_uniform(rng, 0.5, 10.0));
    r->pkts_received = (uint8_t)fw_gen_rng_int(rng, 1, 5);
}

static uint16_t ephemeral_port(fw_gen_rng *rng)
{
    return (uint16_t)fw_gen_rng_int(rng, 1024, 65535);
}

static uint8_t service_of(uint16_t port)
{
    for (uint8_t i = 0; i < NELEM(service_ports); i++)
        if (service_ports[i] == port)
            return i;
    return SERVICE_UNKNOWN;
}

static bool is_web_port(uint16_t port)
{
    return port == 80 || port == 443 || port == 8080 || port == 8443;
}

/* 80 or 443 in the seed's normal proportions (30:35). */
static uint16_t web_port(fw_gen_rng *rng)
{
    return fw_gen_rng_below(rng, 65) < 30 ? 80 : 443;
}

/*
 * session_id: the seed prints md5(f"{src}{dst}{randint(1,100000)}")[:8].  We
 * keep its structure (a function of source, destination and a number up to
 * 100000, so the same triple gives the same id) with a splitmix64 finalizer
 * instead of MD5.
 */
static uint32_t session_id(uint32_t src_ip, unsigned server, unsigned nonce)
{
    uint64_t x = (uint64_t)src_ip << 32 | (uint64_t)server << 17 | nonce;
    return (uint32_t)(fw_gen_splitmix64(&x) >> 32);
}

/* A session_id as a normal row draws it. */
static void draw_session(fw_gen_rng *rng, struct row *r)
{
    r->has_session = 1;
    r->session = session_id(r->src_ip, r->server, (unsigned)fw_gen_rng_int(rng, 1, 100000));
}

/* The four HTTP fields from the seed's lists, in its order. */
static void draw_http(fw_gen_rng *rng, struct row *r)
{
    r->method = (uint8_t)fw_gen_rng_below(rng, NELEM(method_strs));
    r->uri = (uint8_t)fw_gen_rng_below(rng, NELEM(uri_strs));
    r->status = (uint8_t)fw_gen_rng_below(rng, NELEM(status_strs));
    r->agent = (uint8_t)fw_gen_rng_below(rng, NELEM(agent_strs));
}

static void no_http(struct row *r)
{
    r->method = METHOD_EMPTY;
    r->uri = URI_EMPTY;
    r->status = STATUS_EMPTY;
    r->agent = AGENT_EMPTY;
}

static const uint8_t normal_ttls[] = {64, 128, 255};

/* -- gen_fields kinds -- */

static void fill_normal(fw_gen_rng *rng, struct row *r)
{
    unsigned w = (unsigned)fw_gen_rng_below(rng, 100), i = 0;
    while (w >= service_weights[i])
        w -= service_weights[i++];
    r->dst_port = service_ports[i];
    r->src_port = ephemeral_port(rng);
    r->proto = r->dst_port == 53 ? (uint8_t)fw_gen_rng_below(rng, 2) : PROTO_TCP;
    r->packet_size = packet_size_lognormal(rng);
    r->rt_milli = rt_from_ms(fw_gen_rng_exponential(rng, 50.0));
    fill_reply(rng, r);
}

static void fill_syn_flood(fw_gen_rng *rng, struct row *r)
{
    static const uint16_t ports[] = {80, 443, 22, 3306};
    r->dst_port = ports[fw_gen_rng_below(rng, NELEM(ports))];
    r->src_port = ephemeral_port(rng); /* the seed leaks a stale port here */
    r->proto = PROTO_TCP;
    r->packet_size = (int32_t)fw_gen_rng_int(rng, 40, 60);
    r->rt_milli = RT_NONE; /* no handshake completes, so no response */
    r->flags = FLAG_SYN;
    r->bytes_received = 0;
    r->pkts_received = 0;
}

static void fill_http_flood(fw_gen_rng *rng, struct row *r)
{
    static const uint16_t ports[] = {80, 443, 8080};
    r->dst_port = ports[fw_gen_rng_below(rng, NELEM(ports))];
    r->src_port = ephemeral_port(rng);
    r->proto = PROTO_TCP;
    r->packet_size = (int32_t)fw_gen_rng_int(rng, 500, 1500);
    r->rt_milli = rt_from_ms(fw_gen_rng_uniform(rng, 100.0, 5000.0));
    fill_reply(rng, r);
}

static void fill_udp_flood(fw_gen_rng *rng, struct row *r)
{
    r->dst_port = (uint16_t)fw_gen_rng_int(rng, 1, 65535);
    r->src_port = ephemeral_port(rng);
    r->proto = PROTO_UDP;
    r->packet_size = packet_size_lognormal(rng);
    r->rt_milli = rt_from_ms(fw_gen_rng_uniform(rng, 100.0, 5000.0));
    fill_reply(rng, r);
}

static void fill_amplification(fw_gen_rng *rng, struct row *r)
{
    r->dst_port = (uint16_t)fw_gen_rng_int(rng, 1024, 65535);
    r->src_port = 53; /* DNS responses reflected at the victim */
    r->proto = PROTO_UDP;
    r->packet_size = (int32_t)fw_gen_rng_int(rng, 2000, 4000);
    r->rt_milli = rt_from_ms(fw_gen_rng_uniform(rng, 100.0, 5000.0));
    fill_reply(rng, r);
}

/* Every field but the timestamp and kind of a row of a gen_fields kind:
 * the seed's per-event code after its timestamp, in its draw order. */
static inline void gen_fields(fw_gen_rng *rng, const struct pools *p, const struct kind *kd,
                              struct row *r)
{
    if (kd->botnet_share > 0.0 && fw_gen_rng_unit(rng) < kd->botnet_share)
        r->src_ip = p->botnet[fw_gen_rng_below(rng, NELEM(p->botnet))];
    else
        r->src_ip = p->normal[fw_gen_rng_below(rng, NELEM(p->normal))];
    r->src_form = FORM_OK;
    r->server = (uint8_t)fw_gen_rng_int(rng, 1, 10);

    kd->fill(rng, r);
    r->bytes_sent = r->packet_size;

    if (kd->label) {
        r->ttl = (uint8_t)fw_gen_rng_int(rng, 1, 255);
        r->has_session = 0;
        r->session = 0;
    } else {
        r->ttl = normal_ttls[fw_gen_rng_below(rng, NELEM(normal_ttls))];
        draw_session(rng, r);
    }
    r->country = (uint8_t)fw_gen_rng_below(rng, NELEM(country_strs));
    r->service = service_of(r->dst_port);
    if (is_web_port(r->dst_port))
        draw_http(rng, r);
    else
        no_http(r);
}

/* -- overlay kinds: init and make -- */

/* pulse_wave: rows like the seed's udp_flood (its kind's fill), any server. */
static void make_gen_fields(struct scen *s, const struct pools *p, struct row *r)
{
    gen_fields(&s->rng, p, s->kd, r);
}

/* flash_crowd: 5000 new clients from 100.64.0.0/10. */
static void init_flash_crowd(struct scen *s, const struct pools *p)
{
    s->n_srcs = 5000;
    s->srcs = fw_xmalloc(s->n_srcs * sizeof *s->srcs);
    draw_distinct(&s->rng, cgnat_ipv4, s->srcs, s->n_srcs);
}

/* A normal row (fill_normal's and gen_fields' distributions) from the pool
 * to the victim's web ports. */
static void make_flash_crowd(struct scen *s, const struct pools *p, struct row *r)
{
    fw_gen_rng *rng = &s->rng;
    r->src_ip = s->srcs[fw_gen_rng_below(rng, s->n_srcs)];
    r->server = s->victim;
    r->dst_port = web_port(rng);
    r->src_port = ephemeral_port(rng);
    r->proto = PROTO_TCP;
    r->packet_size = packet_size_lognormal(rng);
    r->rt_milli = rt_from_ms(fw_gen_rng_exponential(rng, 50.0));
    fill_reply(rng, r);
    r->ttl = normal_ttls[fw_gen_rng_below(rng, NELEM(normal_ttls))];
    draw_session(rng, r);
    r->country = (uint8_t)fw_gen_rng_below(rng, NELEM(country_strs));
    r->service = service_of(r->dst_port);
    draw_http(rng, r);
}

/* Fisher-Yates over ports[0..65535). */
static void shuffle_ports(fw_gen_rng *rng, uint16_t *ports)
{
    for (size_t i = 65535; i > 1; i--) {
        size_t j = (size_t)fw_gen_rng_below(rng, i);
        uint16_t t = ports[i - 1];
        ports[i - 1] = ports[j];
        ports[j] = t;
    }
}

/* port_scan: one public scanner with a fixed TTL and a random port order. */
static void init_port_scan(struct scen *s, const struct pools *p)
{
    s->src = public_ipv4(&s->rng);
    s->ttl = (uint8_t)fw_gen_rng_int(&s->rng, 48, 64);
    s->ports = fw_xmalloc(65535 * sizeof *s->ports);
    for (size_t i = 0; i < 65535; i++)
        s->ports[i] = (uint16_t)(i + 1);
    shuffle_ports(&s->rng, s->ports);
    s->next_port = 0;
}

/* A SYN to the next port of the order (a new order once all 65535 are
 * used), answered by an RST half the time and by nothing otherwise. */
static void make_port_scan(struct scen *s, const struct pools *p, struct row *r)
{
    fw_gen_rng *rng = &s->rng;
    if (s->next_port == 65535) {
        shuffle_ports(rng, s->ports);
        s->next_port = 0;
    }
    r->src_ip = s->src;
    r->server = s->victim;
    r->dst_port = s->ports[s->next_port++];
    r->src_port = ephemeral_port(rng);
    r->proto = PROTO_TCP;
    r->packet_size = (int32_t)fw_gen_rng_int(rng, 40, 60);
    r->ttl = s->ttl;
    r->flags = FLAG_SYN;
    r->rt_milli = RT_NONE;
    if (fw_gen_rng_below(rng, 2)) {
        r->bytes_received = 40;
        r->pkts_received = 1;
    } else {
        r->bytes_received = 0;
        r->pkts_received = 0;
    }
    r->has_session = 0;
    r->country = (uint8_t)fw_gen_rng_below(rng, NELEM(country_strs));
    r->service = service_of(r->dst_port);
    no_http(r);
}

/* slowloris: 20 distinct botnet addresses, each with its own TTL. */
static void init_slowloris(struct scen *s, const struct pools *p)
{
    uint16_t idx[NELEM(p->botnet)];
    for (size_t i = 0; i < NELEM(idx); i++)
        idx[i] = (uint16_t)i;
    s->n_srcs = 20;
    s->srcs = fw_xmalloc(s->n_srcs * sizeof *s->srcs);
    s->src_ttls = fw_xmalloc(s->n_srcs);
    for (size_t i = 0; i < s->n_srcs; i++) { /* partial Fisher-Yates */
        size_t j = i + (size_t)fw_gen_rng_below(&s->rng, NELEM(idx) - i);
        uint16_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        s->srcs[i] = p->botnet[idx[i]];
        s->src_ttls[i] = (uint8_t)fw_gen_rng_int(&s->rng, 40, 128);
    }
}

/* A keep-alive fragment of a request that never completes: tiny packets,
 * "GET /" with no status, a connection held 20-120 s. */
static void make_slowloris(struct scen *s, const struct pools *p, struct row *r)
{
    fw_gen_rng *rng = &s->rng;
    size_t i = (size_t)fw_gen_rng_below(rng, s->n_srcs);
    r->src_ip = s->srcs[i];
    r->ttl = s->src_ttls[i];
    r->server = s->victim;
    r->dst_port = fw_gen_rng_below(rng, 2) ? 443 : 80;
    r->src_port = ephemeral_port(rng);
    r->proto = PROTO_TCP;
    r->flags = fw_gen_rng_below(rng, 2) ? FLAG_PSH_ACK : FLAG_ACK;
    r->packet_size = (int32_t)fw_gen_rng_int(rng, 40, 120);
    r->rt_milli = rt_from_ms(fw_gen_rng_uniform(rng, 20000.0, 120000.0));
    r->bytes_received = (int32_t)fw_gen_rng_int(rng, 0, 60);
    r->pkts_received = (uint8_t)fw_gen_rng_int(rng, 0, 1);
    draw_session(rng, r);
    r->country = (uint8_t)fw_gen_rng_below(rng, NELEM(country_strs));
    r->service = service_of(r->dst_port);
    r->method = METHOD_GET;
    r->uri = URI_ROOT;
    r->status = STATUS_EMPTY;
    r->agent = (uint8_t)fw_gen_rng_below(rng, NELEM(agent_strs));
}

/* low_and_slow: 3000 distinct public addresses. */
static void init_low_and_slow(struct scen *s, const struct pools *p)
{
    s->n_srcs = 3000;
    s->srcs = fw_xmalloc(s->n_srcs * sizeof *s->srcs);
    draw_distinct(&s->rng, public_ipv4, s->srcs, s->n_srcs);
}

/* A complete, plausible HTTP request from a source that sends few. */
static void make_low_and_slow(struct scen *s, const struct pools *p, struct row *r)
{
    fw_gen_rng *rng = &s->rng;
    r->src_ip = s->srcs[fw_gen_rng_below(rng, s->n_srcs)];
    r->server = s->victim;
    r->dst_port = web_port(rng);
    r->src_port = ephemeral_port(rng);
    r->proto = PROTO_TCP;
    r->flags = fw_gen_rng_below(rng, 2) ? FLAG_PSH_ACK : FLAG_ACK;
    r->packet_size = (int32_t)fw_gen_rng_int(rng, 300, 800);
    r->ttl = (uint8_t)fw_gen_rng_int(rng, 1, 255);
    r->rt_milli = rt_from_ms(fw_gen_rng_uniform(rng, 300.0, 3000.0));
    r->bytes_received = (int32_t)(r->packet_size * fw_gen_rng_uniform(rng, 0.5, 3.0));
    r->pkts_received = (uint8_t)fw_gen_rng_int(rng, 1, 3);
    r->has_session = 0;
    r->country = (uint8_t)fw_gen_rng_below(rng, NELEM(country_strs));
    r->service = service_of(r->dst_port);
    r->method = (uint8_t)fw_gen_rng_below(rng, 2); /* GET or POST */
    r->uri = (uint8_t)fw_gen_rng_below(rng, URI_EMPTY); /* a non-empty path */
    r->status = fw_gen_rng_below(rng, 2) ? STATUS_503 : STATUS_200;
    r->agent = (uint8_t)fw_gen_rng_below(rng, NELEM(agent_strs));
}

/* kinds[0] is normal traffic; attack type t is kinds[t + 1].  The seed's
 * four come first, so their type numbers are those of gen.h's users. */
static const struct kind kinds[] = {
    {.fill = fill_normal, .summary = "normal traffic"},
    {.name = "syn_flood", .label = "syn_flood", .default_intensity = 30, .botnet_share = 0.8,
     .fill = fill_syn_flood, .summary = "seed: SYNs to 80/443/22/3306, no replies"},
    {.name = "http_flood", .label = "http_flood", .default_intensity = 30, .botnet_share = 0.8,
     .fill = fill_http_flood, .summary = "seed: HTTP requests to 80/443/8080"},
    {.name = "udp_flood", .label = "udp_flood", .default_intensity = 30, .botnet_share = 0.8,
     .fill = fill_udp_flood, .summary = "seed: UDP to random ports"},
    {.name = "amplification", .label = "amplification", .default_intensity = 30,
     .botnet_share = 0.8, .fill = fill_amplification,
     .summary = "seed: 2-4 kB DNS replies (source port 53)"},
    {.name = "flash_crowd", .overlay = true, .default_intensity = 10, .init = init_flash_crowd,
     .make = make_flash_crowd, .summary = "5000 new clients browse one server"},
    {.name = "port_scan", .label = "port_scan", .overlay = true, .default_intensity = 2,
     .init = init_port_scan, .make = make_port_scan,
     .summary = "one source SYNs every port of one server"},
    {.name = "slowloris", .label = "slowloris", .overlay = true, .default_intensity = 3,
     .init = init_slowloris, .make = make_slowloris,
     .summary = "20 bots hold requests open 20-120 s"},
    {.name = "low_and_slow", .label = "http_flood", .overlay = true, .default_intensity = 5,
     .init = init_low_and_slow, .make = make_low_and_slow,
     .summary = "3000 sources, few requests each"},
    {.name = "pulse_wave", .label = "udp_flood", .overlay = true, .default_intensity = 40,
     .botnet_share = 0.8, .fill = fill_udp_flood, .make = make_gen_fields, .on_s = 10,
     .period_s = 30, .summary = "udp_flood bursts: 10 s on, 20 s off"},
};
enum { KIND_NORMAL = 0, N_ATTACK_TYPES = NELEM(kinds) - 1 };

size_t fw_gen_attack_type_count(void)
{
    return N_ATTACK_TYPES;
}

const char *fw_gen_attack_type_name(int type)
{
    return type >= 0 && type < N_ATTACK_TYPES ? kinds[type + 1].name : NULL;
}

int fw_gen_attack_type_find(const char *s, size_t n)
{
    for (int t = 0; t < N_ATTACK_TYPES; t++)
        if (strlen(kinds[t + 1].name) == n && !memcmp(kinds[t + 1].name, s, n))
            return t;
    return -1;
}

bool fw_gen_attack_type_is_overlay(int type)
{
    return type >= 0 && type < N_ATTACK_TYPES && kinds[type + 1].overlay;
}

int fw_gen_attack_type_default_intensity(int type)
{
    return type >= 0 && type < N_ATTACK_TYPES ? kinds[type + 1].default_intensity : 0;
}

const char *fw_gen_attack_type_label(int type)
{
    return type >= 0 && type < N_ATTACK_TYPES ? kinds[type + 1].label : NULL;
}

const char *fw_gen_attack_type_summary(int type)
{
    return type >= 0 && type < N_ATTACK_TYPES ? kinds[type + 1].summary : NULL;
}

/* Whether second sec_of_min of minute offset m (from the scenario's start)
 * is one of kind kd's on-seconds. */
static bool overlay_second_on(const struct kind *kd, int m, int sec_of_min)
{
    return !kd->period_s || ((int64_t)m * 60 + sec_of_min) % kd->period_s < kd->on_s;
}

/* Rows in second sec_of_min of a minute of an overlay with rows_min = rate *
 * intensity: the minute's rows spread so that every second has
 * floor(rows_min/60) or one more, and the 60 seconds add up to rows_min. */
static uint64_t overlay_second_rows(uint64_t rows_min, int sec_of_min)
{
    return (uint64_t)(sec_of_min + 1) * rows_min / 60 - (uint64_t)sec_of_min * rows_min / 60;
}

/* Rows an overlay of kind kd adds in minute offset m of its window. */
static uint64_t overlay_minute_rows(const struct kind *kd, uint64_t rows_min, int m)
{
    if (!kd->period_s)
        return rows_min;
    uint64_t n = 0;
    for (int sec = 0; sec < 60; sec++)
        if (overlay_second_on(kd, m, sec))
            n += overlay_second_rows(rows_min, sec);
    return n;
}

/* ---- options ------------------------------------------------------------ */

void fw_gen_opts_init(fw_gen_opts *o)
{
    /* The seed's schedule: (15,25,syn_flood,50) (40,50,http_flood,30)
     * (70,80,udp_flood,40) (95,105,amplification,35). */
    static const fw_gen_attack seed_schedule[] = {
        {0, 15, 25, 50}, {1, 40, 50, 30}, {2, 70, 80, 40}, {3, 95, 105, 35}};
    memset(o, 0, sizeof *o);
    o->seed = 42;
    o->start_us = fw_days_from_civil(2026, 1, 1) * 86400 * FW_US_PER_S;
    o->duration_min = 120;
    o->rate = 500;
    o->faults = true;
    o->n_attacks = NELEM(seed_schedule);
    memcpy(o->attacks, seed_schedule, sizeof seed_schedule);
}

static void seterr(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errsz, const char *fmt, ...)
{
    if (!err || !errsz)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}

/* Parse a decimal int in s[0..n) within [lo, hi]; 0 or -1. */
static int parse_int(const char *s, size_t n, long lo, long hi, int *out)
{
    if (n == 0 || n > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

int fw_gen_parse_attack(const char *spec, fw_gen_attack *a, char *err, size_t errsz)
{
    const char *colon = strchr(spec, ':');
    if (!colon) {
        seterr(err, errsz, "expected TYPE:START-END[:INTENSITY]");
        return -1;
    }
    int type = fw_gen_attack_type_find(spec, (size_t)(colon - spec));
    if (type < 0) {
        char names[256] = "";
        for (int t = 0; t < N_ATTACK_TYPES; t++) {
            strcat(names, t ? ", " : "");
            strcat(names, kinds[t + 1].name);
        }
        seterr(err, errsz, "unknown attack type '%.*s' (known: %s)", (int)(colon - spec), spec,
               names);
        return -1;
    }
    const char *range = colon + 1;
    const char *dash = strchr(range, '-');
    const char *colon2 = strchr(range, ':');
    if (!dash || (colon2 && colon2 < dash)) {
        seterr(err, errsz, "expected TYPE:START-END[:INTENSITY]");
        return -1;
    }
    const char *end_s = dash + 1;
    size_t end_n = colon2 ? (size_t)(colon2 - end_s) : strlen(end_s);
    fw_gen_attack v = {type, 0, 0, kinds[type + 1].default_intensity};
    if (parse_int(range, (size_t)(dash - range), 0, FW_GEN_MAX_DURATION_MIN, &v.start_min) ||
        parse_int(end_s, end_n, 0, FW_GEN_MAX_DURATION_MIN, &v.end_min)) {
        seterr(err, errsz, "START and END must be whole minutes (0-%d)", FW_GEN_MAX_DURATION_MIN);
        return -1;
    }
    if (v.end_min <= v.start_min) {
        seterr(err, errsz, "END must be after START (END is exclusive)");
        return -1;
    }
    if (colon2 && parse_int(colon2 + 1, strlen(colon2 + 1), 1, FW_GEN_MAX_INTENSITY,
                            &v.intensity)) {
        seterr(err, errsz, "INTENSITY must be an integer 1-%d", FW_GEN_MAX_INTENSITY);
        return -1;
    }
    *a = v;
    return 0;
}

int fw_gen_parse_duration(const char *s, int *minutes)
{
    size_t n = strlen(s);
    long mult = 1;
    if (n && (s[n - 1] == 'm' || s[n - 1] == 'h' || s[n - 1] == 'd')) {
        mult = s[n - 1] == 'm' ? 1 : s[n - 1] == 'h' ? 60 : 1440;
        n--;
    }
    int v;
    if (parse_int(s, n, 1, FW_GEN_MAX_DURATION_MIN, &v) || v * mult > FW_GEN_MAX_DURATION_MIN)
        return -1;
    *minutes = (int)(v * mult);
    return 0;
}

/* Whether two valid attacks may not both be scheduled: their windows
 * overlap and one of them replaces its minutes' traffic. */
static bool conflict(const fw_gen_attack *a, const fw_gen_attack *b)
{
    return a->start_min < b->end_min && b->start_min < a->end_min &&
           !(fw_gen_attack_type_is_overlay(a->type) && fw_gen_attack_type_is_overlay(b->type));
}

int fw_gen_schedule_add(fw_gen_opts *o, const fw_gen_attack *a, char *err, size_t errsz)
{
    if (a->type < 0 || a->type >= N_ATTACK_TYPES || a->start_min < 0 ||
        a->end_min <= a->start_min || a->intensity < 1 || a->intensity > FW_GEN_MAX_INTENSITY) {
        seterr(err, errsz, "invalid attack");
        return -1;
    }
    size_t pos = 0;
    for (size_t i = 0; i < o->n_attacks; i++) {
        const fw_gen_attack *b = &o->attacks[i];
        if (conflict(a, b)) {
            seterr(err, errsz, "overlaps %s:%d-%d", kinds[b->type + 1].name, b->start_min,
                   b->end_min);
            return -1;
        }
        if (b->start_min <= a->start_min)
            pos = i + 1;
    }
    if (o->n_attacks == FW_GEN_MAX_ATTACKS) {
        seterr(err, errsz, "too many attacks (at most %d)", FW_GEN_MAX_ATTACKS);
        return -1;
    }
    memmove(&o->attacks[pos + 1], &o->attacks[pos], (o->n_attacks - pos) * sizeof *a);
    o->attacks[pos] = *a;
    o->n_attacks++;
    return 0;
}

size_t fw_gen_schedule_drop(fw_gen_opts *o, int type)
{
    size_t kept = 0, n = o->n_attacks;
    for (size_t i = 0; i < n; i++)
        if (o->attacks[i].type != type)
            o->attacks[kept++] = o->attacks[i];
    o->n_attacks = kept;
    return n - kept;
}

void fw_gen_schedule_clear(fw_gen_opts *o)
{
    o->n_attacks = 0;
}

/* Upper bound on the rows a run writes (normal minutes at 1.2 * rate times
 * the daily peak, overlay rows, plus the 1% duplicates).  Options must have
 * passed the range checks.  O(n_attacks). */
static uint64_t max_rows(const fw_gen_opts *o)
{
    uint64_t attack_min = 0, rows = 0;
    for (size_t i = 0; i < o->n_attacks; i++) {
        const fw_gen_attack *a = &o->attacks[i];
        const struct kind *kd = &kinds[a->type + 1];
        int end = a->end_min < o->duration_min ? a->end_min : o->duration_min;
        if (end <= a->start_min)
            continue;
        uint64_t rows_min = (uint64_t)o->rate * (uint64_t)a->intensity;
        if (kd->overlay) {
            /* Every minute has the same on-seconds (period_s divides 60). */
            rows += (uint64_t)(end - a->start_min) * overlay_minute_rows(kd, rows_min, 0);
        } else {
            attack_min += (uint64_t)(end - a->start_min);
            rows += (uint64_t)(end - a->start_min) * rows_min;
        }
    }
    uint64_t normal_max = (uint64_t)o->rate * 6 / 5 + 1;
    if (o->daily != 0.0)
        normal_max = (uint64_t)(o->rate * (1.0 + o->daily) * 1.2) + 2;
    rows += ((uint64_t)o->duration_min - attack_min) * normal_max;
    return rows + rows / 100;
}

int fw_gen_check(const fw_gen_opts *o, char *err, size_t errsz)
{
    if (o->duration_min < 1 || o->duration_min > FW_GEN_MAX_DURATION_MIN) {
        seterr(err, errsz, "duration must be 1-%d minutes", FW_GEN_MAX_DURATION_MIN);
        return -1;
    }
    if (o->rate < 1 || o->rate > FW_GEN_MAX_RATE) {
        seterr(err, errsz, "rate must be 1-%d events per minute", FW_GEN_MAX_RATE);
        return -1;
    }
    if (!(o->daily >= 0.0 && o->daily < 1.0)) { /* NaN fails too */
        seterr(err, errsz, "the daily amplitude must be at least 0 and below 1");
        return -1;
    }
    const int64_t lo = fw_days_from_civil(1000, 1, 1) * 86400 * FW_US_PER_S;
    const int64_t hi = fw_days_from_civil(10000, 1, 1) * 86400 * FW_US_PER_S;
    if (o->start_us < lo || o->start_us > hi - ((int64_t)o->duration_min + 1) * US_PER_MIN) {
        seterr(err, errsz, "timestamps must stay within years 1000-9999");
        return -1;
    }
    if (o->n_attacks > FW_GEN_MAX_ATTACKS) {
        seterr(err, errsz, "too many attacks (at most %d)", FW_GEN_MAX_ATTACKS);
        return -1;
    }
    for (size_t i = 0; i < o->n_attacks; i++) {
        const fw_gen_attack *a = &o->attacks[i];
        if (a->type < 0 || a->type >= N_ATTACK_TYPES || a->start_min < 0 ||
            a->end_min <= a->start_min || a->end_min > FW_GEN_MAX_DURATION_MIN ||
            a->intensity < 1 || a->intensity > FW_GEN_MAX_INTENSITY) {
            seterr(err, errsz, "attack %zu is malformed", i);
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            const fw_gen_attack *b = &o->attacks[j];
            if (conflict(a, b)) {
                seterr(err, errsz, "attacks %s:%d-%d and %s:%d-%d overlap",
                       kinds[b->type + 1].name, b->start_min, b->end_min,
                       kinds[a->type + 1].name, a->start_min, a->end_min);
                return -1;
            }
        }
    }
    uint64_t rows = max_rows(o);
    if (rows > FW_GEN_MAX_ROWS) {
        seterr(err, errsz, "these options make up to %llu rows; the limit is %d",
               (unsigned long long)rows, FW_GEN_MAX_ROWS);
        return -1;
    }
    return 0;
}

/* ---- generation --------------------------------------------------------- */

/* Fill *r with one event of gen_fields kind k in the minute starting at
 * minute_us (the seed's per-event code, timestamp first). */
static void gen_row(fw_gen_rng *rng, const struct pools *p, int k, int64_t minute_us,
                    struct row *r)
{
    /* timedelta(seconds=uniform(0, 60)) rounds to whole microseconds. */
    r->ts_us = minute_us + (int64_t)llrint(fw_gen_rng_uniform(rng, 0.0, 60.0) * 1e6);
    r->ts_form = FORM_OK;
    r->kind = (uint8_t)k;
    gen_fields(rng, p, &kinds[k], r);
}

/*
 * The stream of overlay scenario attacks[i]: a function of the seed, its
 * type and start, and how many earlier entries share both, so that it does
 * not change when other scenarios are added or when only its end or
 * intensity changes.
 */
static uint64_t scen_seed(const fw_gen_opts *o, size_t i)
{
    const fw_gen_attack *a = &o->attacks[i];
    uint64_t twins = 0;
    for (size_t j = 0; j < i; j++)
        twins += o->attacks[j].type == a->type && o->attacks[j].start_min == a->start_min;
    uint64_t x = o->seed ^ 0x6f7665726c617973ULL; /* "overlays" */
    x = fw_gen_splitmix64(&x) ^ (uint64_t)a->type;
    x = fw_gen_splitmix64(&x) ^ (uint64_t)a->start_min;
    x = fw_gen_splitmix64(&x) ^ twins;
    return fw_gen_splitmix64(&x);
}

/* Set up every overlay scenario of the schedule that starts within the run
 * into sc[] (FW_GEN_MAX_ATTACKS entries); returns how many.  Free with
 * scens_free. */
static size_t scens_init(const fw_gen_opts *o, const struct pools *p, struct scen *sc)
{
    size_t n = 0;
    for (size_t i = 0; i < o->n_attacks; i++) {
        const fw_gen_attack *a = &o->attacks[i];
        const struct kind *kd = &kinds[a->type + 1];
        if (!kd->overlay || a->start_min >= o->duration_min)
            continue;
        struct scen *s = &sc[n++];
        memset(s, 0, sizeof *s);
        s->a = a;
        s->kd = kd;
        s->kind = (uint8_t)(a->type + 1);
        fw_gen_rng_seed(&s->rng, scen_seed(o, i));
        s->victim = (uint8_t)fw_gen_rng_int(&s->rng, 1, 10);
        if (kd->init)
            kd->init(s, p);
    }
    return n;
}

static void scens_free(struct scen *sc, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(sc[i].srcs);
        free(sc[i].src_ttls);
        free(sc[i].ports);
    }
}

/* One overlay row at ts_us into *r. */
static void overlay_row(struct scen *s, const struct pools *p, int64_t ts_us, struct row *r)
{
    memset(r, 0, sizeof *r);
    r->ts_us = ts_us;
    r->ts_form = FORM_OK;
    r->src_form = FORM_OK;
    r->kind = s->kind;
    s->kd->make(s, p, r);
    r->bytes_sent = r->packet_size;
}

/* Append scenario s's rows for minute m of the run (which is inside its
 * window) to rows; returns how many.  Timestamps are whole microseconds
 * strictly inside the minute (or the on-second). */
static size_t overlay_minute(struct scen *s, const struct pools *p, int rate, int m,
                             int64_t minute_us, struct row *rows)
{
    const uint64_t rows_min = (uint64_t)rate * (uint64_t)s->a->intensity;
    const int off = m - s->a->start_min;
    size_t n = 0;
    if (!s->kd->period_s) {
        for (; n < rows_min; n++) {
            int64_t ts = minute_us + (int64_t)fw_gen_rng_below(&s->rng, US_PER_MIN);
            overlay_row(s, p, ts, &rows[n]);
        }
        return n;
    }
    for (int sec = 0; sec < 60; sec++) {
        if (!overlay_second_on(s->kd, off, sec))
            continue;
        const int64_t sec_us = minute_us + (int64_t)sec * FW_US_PER_S;
        for (uint64_t k = overlay_second_rows(rows_min, sec); k; k--, n++) {
            int64_t ts = sec_us + (int64_t)fw_gen_rng_below(&s->rng, FW_US_PER_S);
            overlay_row(s, p, ts, &rows[n]);
        }
    }
    return n;
}

/* The --daily factor for the minute starting at minute_us:
 * 1 + A*sin(2*pi*(minute_of_day - 360)/1440), exactly 1 when A is 0. */
static double daily_factor(double amplitude, int64_t minute_us)
{
    if (amplitude == 0.0)
        return 1.0;
    const int64_t day_us = 86400 * FW_US_PER_S;
    int64_t us_of_day = minute_us - fw_floor_div(minute_us, day_us) * day_us;
    double minute_of_day = (double)us_of_day / (double)US_PER_MIN;
    return 1.0 + amplitude * sin(2.0 * M_PI * (minute_of_day - 360.0) / 1440.0);
}

/*
 * Generate every minute's events into rows (capacity from max_rows()).
 * Returns the number of rows; fills st->attack_rows and st->overlay_rows.
 * The normal and seed-kind rows come from rng exactly as without overlays;
 * each overlay scenario draws from its own stream.
 * O(duration * (1 + overlays) + rows).
 */
static size_t gen_rows(const fw_gen_opts *o, fw_gen_rng *rng, const struct pools *p,
                       struct row *rows, fw_gen_stats *st)
{
    /* Minute -> seed kind, so the per-minute lookup is O(1).  A seed kind
     * overlaps nothing, so this is the seed's "first window that matches". */
    uint8_t *minute_kind = fw_xcalloc((size_t)o->duration_min, 1);
    int *minute_intensity = fw_xcalloc((size_t)o->duration_min, sizeof(int));
    for (size_t i = 0; i < o->n_attacks; i++) {
        const fw_gen_attack *a = &o->attacks[i];
        if (kinds[a->type + 1].overlay)
            continue;
        for (int m = a->start_min; m < a->end_min && m < o->duration_min; m++) {
            minute_kind[m] = (uint8_t)(a->type + 1);
            minute_intensity[m] = a->intensity;
        }
    }
    struct scen *sc = fw_xmalloc(FW_GEN_MAX_ATTACKS * sizeof *sc);
    size_t n_sc = scens_init(o, p, sc);

    size_t n = 0;
    st->attack_rows = st->overlay_rows = 0;
    for (int m = 0; m < o->duration_min; m++) {
        int k = minute_kind[m];
        const int64_t minute_us = o->start_us + (int64_t)m * US_PER_MIN;
        size_t events;
        if (k != KIND_NORMAL)
            events = (size_t)o->rate * (size_t)minute_intensity[m];
        else
            events = (size_t)(o->rate * daily_factor(o->daily, minute_us) *
                              fw_gen_rng_uniform(rng, 0.8, 1.2));
        for (size_t i = 0; i < events; i++)
            gen_row(rng, p, k, minute_us, &rows[n + i]);
        n += events;
        if (kinds[k].label)
            st->attack_rows += events;

        for (size_t i = 0; i < n_sc; i++) {
            struct scen *s = &sc[i];
            if (m < s->a->start_min || m >= s->a->end_min)
                continue;
            events = overlay_minute(s, p, o->rate, m, minute_us, &rows[n]);
            n += events;
            st->overlay_rows += events;
            if (s->kd->label)
                st->attack_rows += events;
        }
    }
    scens_free(sc, n_sc);
    free(sc);
    free(minute_kind);
    free(minute_intensity);
    return n;
}

/*
 * Python's random.sample(range(n), k): k distinct indexes into idx[], in
 * draw order.  Rejection against a bitmap (k is at most 10% of n, so about
 * 1.05k draws); seen must hold n bits and is left dirty.  O(k + n/64).
 */
static void sample(fw_gen_rng *rng, size_t n, size_t k, uint64_t *seen, uint32_t *idx)
{
    memset(seen, 0, (n + 63) / 64 * sizeof *seen);
    for (size_t i = 0; i < k; i++) {
        uint64_t j;
        do
            j = fw_gen_rng_below(rng, n);
        while (seen[j / 64] >> (j % 64) & 1);
        seen[j / 64] |= 1ULL << (j % 64);
        idx[i] = (uint32_t)j;
    }
}

/* int(n * p) exactly as Python computes it (IEEE double product). */
static size_t frac_of(size_t n, double p)
{
    return (size_t)((double)n * p);
}

/*
 * The seed's data faults, in its order and proportions, on rows[0..n); the
 * duplicates are appended (capacity n + n/100 is needed).  Returns the new
 * row count and fills the fault counts in *st.
 */
static size_t add_faults(fw_gen_rng *rng, struct row *rows, size_t n, fw_gen_stats *st)
{
    uint64_t *seen = fw_xmalloc(((n + n / 100) / 64 + 1) * sizeof *seen);
    uint32_t *idx = fw_xmalloc((n / 10 + 1) * sizeof *idx);

    /* 2%: a critical field goes missing. */
    size_t k = st->missing_critical = frac_of(n, 0.02);
    sample(rng, n, k, seen, idx);
    for (size_t i = 0; i < k; i++) {
        if (fw_gen_rng_unit(rng) < 0.5)
            rows[idx[i]].src_form = FORM_NONE;
        else
            rows[idx[i]].ts_form = FORM_NONE;
    }

    /* 10%: one of user_agent, country, uri_path, http_method goes missing. */
    k = st->blanked = frac_of(n, 0.1);
    sample(rng, n, k, seen, idx);
    for (size_t i = 0; i < k; i++) {
        struct row *r = &rows[idx[i]];
        switch (fw_gen_rng_below(rng, 4)) {
        case 0: r->agent = AGENT_EMPTY; break;
        case 1: r->country = COUNTRY_EMPTY; break;
        case 2: r->uri = URI_EMPTY; break;
        default: r->method = METHOD_EMPTY; break;
        }
    }

    /* 1%: malformed source addresses. */
    k = st->malformed_ip = frac_of(n, 0.01);
    sample(rng, n, k, seen, idx);
    for (size_t i = 0; i < k; i++)
        rows[idx[i]].src_form = (uint8_t)(FORM_BAD + fw_gen_rng_below(rng, NELEM(bad_ip_strs)));

    /* 0.5%: corrupted timestamps. */
    k = st->corrupt_ts = frac_of(n, 0.005);
    sample(rng, n, k, seen, idx);
    for (size_t i = 0; i < k; i++)
        rows[idx[i]].ts_form = (uint8_t)(FORM_BAD + fw_gen_rng_below(rng, NELEM(bad_ts_strs)));

    /* 1%: duplicates.  As in the seed, each copy is drawn from the list as
     * it stands, earlier copies included. */
    size_t total = n;
    st->duplicates = frac_of(n, 0.01);
    for (size_t i = 0; i < st->duplicates; i++, total++)
        rows[total] = rows[fw_gen_rng_below(rng, total)];

    /* 0.5% of everything, duplicates included: outliers.  bytes_sent keeps
     * the original size, as in the seed. */
    k = st->outliers = frac_of(total, 0.005);
    free(idx);
    idx = fw_xmalloc((k + 1) * sizeof *idx);
    sample(rng, total, k, seen, idx);
    for (size_t i = 0; i < k; i++) {
        static const int32_t rts[] = {-100 * 1000, 1000000 * 1000, RT_NONE};
        struct row *r = &rows[idx[i]];
        r->packet_size = outlier_sizes[fw_gen_rng_below(rng, NELEM(outlier_sizes))];
        r->rt_milli = rts[fw_gen_rng_below(rng, NELEM(rts))];
    }
    free(seen);
    free(idx);
    return total;
}

/* Fisher-Yates shuffle of rows[0..n) (the seed's df.sample(frac=1)). */
static void shuffle(fw_gen_rng *rng, struct row *rows, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)fw_gen_rng_below(rng, i);
        struct row t = rows[i - 1];
        rows[i - 1] = rows[j];
        rows[j] = t;
    }
}

/* ---- formatting --------------------------------------------------------- */

#define OUT_BUF (4u << 20)
#define ROW_MAX 512 /* well above the longest row (about 260 bytes) */

static char *put_str(char *p, const struct str *s)
{
    memcpy(p, s->s, s->n);
    return p + s->n;
}

static char *put_u32(char *p, uint32_t v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_i32(char *p, int32_t v)
{
    if (v < 0) {
        *p++ = '-';
        return put_u32(p, 0u - (uint32_t)v);
    }
    return put_u32(p, (uint32_t)v);
}

/* Two digits, zero-padded. */
static char *put_2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

static char *put_ipv4(char *p, uint32_t ip)
{
    p = put_u32(p, ip >> 24);
    *p++ = '.';
    p = put_u32(p, ip >> 16 & 255);
    *p++ = '.';
    p = put_u32(p, ip >> 8 & 255);
    *p++ = '.';
    return put_u32(p, ip & 255);
}

/* A float column value given in thousandths, as Python's repr prints
 * round(x, 3): "47.123", "0.5", "1234.0", "-100.0". */
static char *put_milli(char *p, int32_t v)
{
    uint32_t u = (uint32_t)v;
    if (v < 0) {
        *p++ = '-';
        u = 0u - u;
    }
    p = put_u32(p, u / 1000);
    *p++ = '.';
    unsigned f = u % 1000;
    *p++ = (char)('0' + f / 100);
    if (f % 100) {
        *p++ = (char)('0' + f / 10 % 10);
        if (f % 10)
            *p++ = (char)('0' + f % 10);
    }
    return p;
}

/* Formatting state: the date part of the last timestamp, which changes
 * only at midnight, so the civil-date computation runs once per day. */
struct fmt {
    int64_t day;   /* days since the epoch of date[] */
    char date[11]; /* "YYYY-MM-DDT" */
};

/* ts_us as Python's datetime.isoformat(): "YYYY-MM-DDThh:mm:ss[.ffffff]". */
static char *put_ts(char *p, struct fmt *f, int64_t ts_us)
{
    int64_t secs = fw_floor_div(ts_us, FW_US_PER_S);
    unsigned us = (unsigned)(ts_us - secs * FW_US_PER_S);
    int64_t day = fw_floor_div(secs, 86400);
    unsigned sod = (unsigned)(secs - day * 86400);
    if (day != f->day) {
        int y;
        unsigned m, d;
        fw_civil_from_days(day, &y, &m, &d);
        char *q = put_2(f->date, (unsigned)y / 100);
        q = put_2(q, (unsigned)y % 100);
        *q++ = '-';
        q = put_2(q, m);
        *q++ = '-';
        q = put_2(q, d);
        *q = 'T';
        f->day = day;
    }
    memcpy(p, f->date, sizeof f->date);
    p += sizeof f->date;
    p = put_2(p, sod / 3600);
    *p++ = ':';
    p = put_2(p, sod / 60 % 60);
    *p++ = ':';
    p = put_2(p, sod % 60);
    if (us) {
        *p++ = '.';
        for (int i = 5; i >= 0; i--) {
            p[i] = (char)('0' + us % 10);
            us /= 10;
        }
        p += 6;
    }
    return p;
}

static char *put_row(char *p, struct fmt *f, const struct row *r)
{
    static const char hex[] = "0123456789abcdef";
    if (r->ts_form == FORM_OK)
        p = put_ts(p, f, r->ts_us);
    else if (r->ts_form >= FORM_BAD)
        p = put_str(p, &bad_ts_strs[r->ts_form - FORM_BAD]);
    *p++ = ',';
    if (r->src_form == FORM_OK)
        p = put_ipv4(p, r->src_ip);
    else if (r->src_form >= FORM_BAD)
        p = put_str(p, &bad_ip_strs[r->src_form - FORM_BAD]);
    memcpy(p, ",10.0.1.", 8);
    p = put_u32(p + 8, r->server);
    *p++ = ',';
    p = put_u32(p, r->src_port);
    *p++ = ',';
    p = put_u32(p, r->dst_port);
    *p++ = ',';
    p = put_str(p, &proto_strs[r->proto]);
    *p++ = ',';
    p = put_i32(p, r->packet_size);
    *p++ = ',';
    p = put_u32(p, r->ttl);
    *p++ = ',';
    p = put_str(p, &flag_strs[r->flags]);
    *p++ = ',';
    if (r->rt_milli != RT_NONE)
        p = put_milli(p, r->rt_milli);
    *p++ = ',';
    p = put_str(p, &country_strs[r->country]);
    *p++ = ',';
    p = put_str(p, &service_strs[r->service]);
    *p++ = ',';
    p = put_i32(p, r->bytes_sent);
    *p++ = ',';
    p = put_i32(p, r->bytes_received);
    memcpy(p, ",1,", 3); /* packets_sent is always 1 */
    p = put_u32(p + 3, r->pkts_received);
    *p++ = ',';
    if (r->has_session) {
        for (int i = 7; i >= 0; i--)
            p[7 - i] = hex[r->session >> (4 * i) & 15];
        p += 8;
    }
    const struct kind *kd = &kinds[r->kind];
    if (kd->label) {
        memcpy(p, ",True,", 6);
        p += 6;
        size_t n = strlen(kd->label);
        memcpy(p, kd->label, n);
        p += n;
    } else {
        memcpy(p, ",False,", 7);
        p += 7;
    }
    *p++ = ',';
    p = put_str(p, &method_strs[r->method]);
    *p++ = ',';
    p = put_str(p, &uri_strs[r->uri]);
    *p++ = ',';
    p = put_str(p, &status_strs[r->status]);
    *p++ = ',';
    p = put_str(p, &agent_strs[r->agent]);
    *p++ = '\n';
    return p;
}

/* fwrite all of buf[0..n) or return -1 with errno set. */
static int write_all(FILE *out, const char *buf, size_t n)
{
    errno = 0;
    if (n && fwrite(buf, 1, n, out) != n) {
        if (!errno)
            errno = EIO;
        return -1;
    }
    return 0;
}

static int format_rows(FILE *out, const struct row *rows, size_t n)
{
    char *buf = fw_xmalloc(OUT_BUF);
    char *p = buf;
    struct fmt f = {INT64_MIN, {0}};
    int rc = 0;
    size_t hn = strlen(fw_gen_csv_header);
    memcpy(p, fw_gen_csv_header, hn);
    p += hn;
    *p++ = '\n';
    for (size_t i = 0; i < n; i++) {
        if ((size_t)(p - buf) > OUT_BUF - ROW_MAX) {
            if ((rc = write_all(out, buf, (size_t)(p - buf))) != 0)
                goto done;
            p = buf;
        }
        p = put_row(p, &f, &rows[i]);
    }
    rc = write_all(out, buf, (size_t)(p - buf));
done:
    free(buf);
    return rc;
}

/* ---- entry points ------------------------------------------------------- */

int fw_gen_write_stats(const fw_gen_opts *o, FILE *out, fw_gen_stats *stats)
{
    fw_gen_stats st;
    memset(&st, 0, sizeof st);
    if (stats)
        *stats = st;
    if (fw_gen_check(o, NULL, 0) != 0) {
        errno = EINVAL;
        return -1;
    }
    fw_gen_rng rng;
    fw_gen_rng_seed(&rng, o->seed);
    struct pools pools;
    draw_pools(&rng, &pools);

    size_t cap = (size_t)max_rows(o);
    struct row *rows = fw_xmalloc((cap ? cap : 1) * sizeof *rows);
    size_t n = st.rows_raw = gen_rows(o, &rng, &pools, rows, &st);
    if (o->faults)
        n = add_faults(&rng, rows, n, &st);
    shuffle(&rng, rows, n);
    st.rows_out = n;

    int rc = format_rows(out, rows, n);
    free(rows);
    if (rc == 0) {
        errno = 0;
        if (fflush(out) != 0 || ferror(out)) {
            if (!errno)
                errno = EIO;
            rc = -1;
        }
    }
    if (stats)
        *stats = st;
    return rc;
}

int fw_gen_write(const fw_gen_opts *o, FILE *out)
{
    return fw_gen_write_stats(o, out, NULL);
}
