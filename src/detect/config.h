/*
 * config.h - detection settings: windows, event time, and every rule's
 * thresholds, with defaults that suit the seed data and are documented in
 * docs/detection.md.
 *
 * A config file is INI: `[section]` then `key = value` lines, `#` or `;`
 * comments.  An unknown section or key, or a value that is not a number in
 * the key's range, is refused with a message naming file, line and key.
 * One X-macro table lists every setting: section, key, field, default,
 * range and meaning; it generates the defaults, the parser and `--help`.
 */
#ifndef FW_CONFIG_H
#define FW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* X(section, key, field, default, min, max, help) -- all values are doubles. */
#define FW_CONFIG_LIST(X)                                                                          \
    X("time", "out_of_order", out_of_order_s, 1, 0, 3600,                                          \
      "seconds an event may arrive behind the newest one and still be on time")                     \
    X("time", "lateness", lateness_s, 0, 0, 86400,                                                 \
      "extra seconds minute aggregates stay open for late events")                                  \
    X("time", "idle_timeout", idle_timeout_s, 5, 0.1, 3600,                                        \
      "live input: wall seconds without events before the watermark moves on its own")             \
    X("window", "short", short_window_s, 2, 1, 60,                                                 \
      "seconds of the window the flood rules look at (panes of 1 s)")                              \
    X("window", "long", long_window_s, 60, 10, 600,                                                \
      "seconds of the window the per-source rules look at (slots of long/6 s)")                   \
    X("state", "memory_mb", state_memory_mb, 256, 16, 65536,                                       \
      "cap on detection state; idle keys are evicted first")                                       \
    X("incident", "cooldown", cooldown_s, 15, 1, 3600,                                             \
      "quiet seconds after which an incident ends")                                                \
    X("incident", "update_interval", update_interval_s, 10, 0, 3600,                               \
      "minimum seconds between two update events of one incident")                                 \
    X("baseline", "alpha", baseline_alpha, 0.02, 0.0001, 1,                                        \
      "weight of a quiet pane in the per-destination baseline (EWMA)")                             \
    X("baseline", "warmup", baseline_warmup_s, 30, 0, 86400,                                       \
      "seconds of quiet traffic before the spike rule trusts a baseline")                          \
    X("flood", "min_sources", flood_min_sources, 10, 1, 1e9,                                      \
      "distinct sources a victim-side rule needs (fewer is a single talker: source rules)")      \
    X("source_rate", "events_per_window", src_rate_events, 100, 1, 1e9,                            \
      "events per long window from one source (the brief's 100/minute)")                           \
    X("fan_in", "sources", fanin_sources, 100, 2, 1e9,                                             \
      "distinct sources in the short window toward one destination")                               \
    X("fan_in", "pps", fanin_pps, 20, 0, 1e12, "and packets per second toward it")                 \
    X("spike", "ratio", spike_ratio, 10, 1.5, 1e6,                                                 \
      "packets per second over the destination's baseline")                                       \
    X("spike", "min_pps", spike_min_pps, 20, 0, 1e12,                                              \
      "and at least this many packets per second")                                                 \
    X("syn_flood", "pps", syn_pps, 15, 0, 1e12, "SYN-only packets per second toward one host")     \
    X("syn_flood", "share", syn_share, 0.7, 0, 1, "SYN-only share of its TCP events")              \
    X("syn_flood", "max_answered", syn_max_answered, 0.2, 0, 1,                                    \
      "largest share of answered TCP events (a real handshake is answered)")                       \
    X("udp_flood", "pps", udp_pps, 15, 0, 1e12, "UDP packets per second toward one host")          \
    X("udp_flood", "share", udp_share, 0.7, 0, 1, "UDP share of its events")                       \
    X("amplification", "pps", amp_pps, 10, 0, 1e12,                                                \
      "packets per second from reflector ports (53, 123, 1900, 11211, ...) toward one host")       \
    X("amplification", "min_size", amp_min_size, 512, 0, 65535,                                   \
      "smallest mean packet size of such a reply, bytes")                                          \
    X("http_flood", "rps", http_rps, 10, 0, 1e12, "requests per second to web ports of one host")  \
    X("http_flood", "ratio", http_ratio, 5, 1, 1e6, "over the host's baseline request rate")       \
    X("http_flood", "degraded_share", http_degraded_share, 0.5, 0, 1,                              \
      "share of requests answered slowly (>= slow_ms) or with 5xx")                                \
    X("http_flood", "slow_ms", http_slow_ms, 500, 1, 1e7, "a response this slow is degraded")      \
    X("slowloris", "connections", slow_conns, 30, 1, 1e9,                                          \
      "long, nearly empty web connections in the short window toward one host")                    \
    X("slowloris", "min_ms", slow_min_ms, 10000, 1, 1e8, "a connection held this long is long")    \
    X("slowloris", "max_bytes", slow_max_bytes, 200, 1, 65535,                                     \
      "and carries at most this many bytes")                                                        \
    X("slowloris", "share", slow_share, 0.3, 0, 1, "share of the host's web events")               \
    X("port_scan", "ports", scan_ports, 50, 2, 65536,                                              \
      "distinct destination ports from one source in the long window")                             \
    X("host_scan", "hosts", scan_hosts, 50, 2, 1e9,                                                \
      "distinct destination hosts from one source in the long window")                             \
    X("flash_crowd", "answered_share", legit_answered, 0.8, 0, 1,                                  \
      "traffic this answered and ...")                                                             \
    X("flash_crowd", "degraded_share", legit_degraded, 0.2, 0, 1,                                  \
      "... at most this degraded is a flash crowd: volume rules stay silent")

typedef struct fw_config {
#define X(sec, key, field, def, lo, hi, help) double field;
    FW_CONFIG_LIST(X)
#undef X
} fw_config;

/* Fill c with the defaults. */
void fw_config_defaults(fw_config *c);
/* Read an INI file over the current values.  Returns 0, or -1 with a message
 * naming the file, line and key in err. */
int fw_config_load(fw_config *c, const char *path, char *err, size_t errn);
/* Set one "section.key=value" (the --set option).  0 or -1 with a message. */
int fw_config_set(fw_config *c, const char *assignment, char *err, size_t errn);
/* Write every setting with its value and meaning, as a loadable INI file. */
void fw_config_print(const fw_config *c, FILE *out);

#endif
