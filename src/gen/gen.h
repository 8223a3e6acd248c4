/*
 * gen.h - synthetic network traffic in the seed's network_traffic.csv format.
 *
 * A C reimplementation of the take-home brief's generate_ddos_dataset.py:
 * normal traffic from a small client pool, scheduled attacks (SYN flood,
 * HTTP flood, UDP flood, DNS amplification) from a botnet, then the seed's
 * data faults (missing, blanked, malformed and corrupted fields, duplicates,
 * outliers) and a shuffle, written as pandas' to_csv(index=False) writes it.
 * On top of the seed: overlay scenarios (a flash crowd, a port scan,
 * slowloris, a low-and-slow HTTP flood, a pulse-wave UDP flood) that add
 * rows to normal minutes, and an optional daily cycle of the normal rate.
 * docs/generator.md lists what is reproduced and where it deviates.
 *
 * Ownership: nothing here keeps a pointer to its arguments; options are a
 * plain value struct the caller owns (no heap, no destroy needed).
 * Allocation failure aborts (core/log.h's fw_xmalloc).
 *
 * Usage:
 *     fw_gen_opts o;
 *     fw_gen_opts_init(&o);              // the seed's defaults
 *     o.seed = 7;
 *     fw_gen_schedule_drop(&o, fw_gen_attack_type_find("syn_flood", 9));
 *     if (fw_gen_check(&o, err, sizeof err) == 0 && fw_gen_write(&o, f) == 0) ...
 */
#ifndef FW_GEN_H
#define FW_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Limits that bound what options can make the generator allocate (about
 * 56 bytes per row are held in memory until the shuffle is done). */
#define FW_GEN_MAX_ATTACKS 64          /* scheduled attacks per run */
#define FW_GEN_MAX_ROWS 25000000       /* rows per run, about 1.4 GB in memory */
#define FW_GEN_MAX_RATE 1000000        /* normal events per minute */
#define FW_GEN_MAX_INTENSITY 10000     /* attack multiplier of the rate */
#define FW_GEN_MAX_DURATION_MIN 527040 /* one leap year of minutes */

/* The CSV header line, without its newline: the seed's 23 columns in order. */
extern const char fw_gen_csv_header[];
#define FW_GEN_NCOLS 23

/*
 * One scheduled scenario in minutes [start_min, end_min) of the run.  There
 * are two sorts (fw_gen_attack_type_is_overlay):
 *   - the seed's four kinds REPLACE the minute's traffic: every event in the
 *     window is an attack event of this type, rate * intensity a minute;
 *     they may not overlap any other scheduled scenario;
 *   - overlay kinds ADD rate * intensity rows a minute (pulse_wave: only in
 *     its on-seconds) to the minute's normal traffic, which is unchanged;
 *     they may overlap each other, but not one of the seed's kinds.
 */
typedef struct fw_gen_attack {
    int type;      /* attack type, 0 .. fw_gen_attack_type_count() - 1 */
    int start_min; /* first attack minute, counted from the run's start */
    int end_min;   /* first minute after the attack (exclusive) */
    int intensity; /* rows a minute = rate * intensity */
} fw_gen_attack;

/* Everything that determines the output; equal options give equal bytes. */
typedef struct fw_gen_opts {
    uint64_t seed;     /* RNG seed (default 42) */
    int64_t start_us;  /* start of minute 0, UTC microseconds (default
                          2026-01-01T00:00:00) */
    int duration_min;  /* minutes of traffic (default 120) */
    int rate;          /* normal events per minute (default 500) */
    bool faults;       /* add the seed's data faults (default true) */
    double daily;      /* amplitude A of the daily cycle, 0 <= A < 1 (default 0,
                          off): a normal minute's rate is multiplied by
                          1 + A*sin(2*pi*(minute_of_day_utc - 360)/1440) */
    size_t n_attacks;  /* used entries of attacks[], kept sorted by start */
    fw_gen_attack attacks[FW_GEN_MAX_ATTACKS]; /* a seed kind overlaps nothing */
} fw_gen_opts;

/* What one run produced; the fault counts are the seed's int(N * p). */
typedef struct fw_gen_stats {
    size_t rows_raw;         /* events generated, before duplicates */
    size_t attack_rows;      /* of rows_raw, events labelled is_attack True */
    size_t overlay_rows;     /* of rows_raw, rows added by overlay scenarios
                                (flash_crowd's unlabelled ones included) */
    size_t missing_critical; /* 2%: source_ip or timestamp emptied */
    size_t blanked;          /* 10%: user_agent/country/uri_path/http_method emptied */
    size_t malformed_ip;     /* 1%: source_ip replaced by a malformed address */
    size_t corrupt_ts;       /* 0.5%: timestamp replaced by a corrupted value */
    size_t duplicates;       /* 1% of rows_raw: copies appended */
    size_t outliers;         /* 0.5% of all rows incl. duplicates */
    size_t rows_out;         /* data rows written: rows_raw + duplicates */
} fw_gen_stats;

/* Fill *o with the seed's defaults, including its four-attack schedule. */
void fw_gen_opts_init(fw_gen_opts *o);

/* Attack types.  Types are indexes into the generator's table of scenarios;
 * names are what the attack_type column holds ("syn_flood", ...). */
size_t fw_gen_attack_type_count(void);
/* The name of a type, or NULL if type is out of range.  Static storage. */
const char *fw_gen_attack_type_name(int type);
/* The type named by s[0..n), or -1 if there is none. */
int fw_gen_attack_type_find(const char *s, size_t n);
/* Whether a type is an overlay (adds rows to normal traffic) rather than one
 * of the seed's four kinds (replaces a minute's traffic); false if out of
 * range. */
bool fw_gen_attack_type_is_overlay(int type);
/* The INTENSITY a spec without one gets (30 for the seed's kinds), or 0 if
 * type is out of range. */
int fw_gen_attack_type_default_intensity(int type);
/* The attack_type column of a type's rows (low_and_slow's is "http_flood"),
 * or NULL if they are labelled is_attack False (flash_crowd) or type is out
 * of range.  Static storage. */
const char *fw_gen_attack_type_label(int type);
/* A one-line description of a type for help texts, or NULL if out of range.
 * Static storage. */
const char *fw_gen_attack_type_summary(int type);

/*
 * Parse "TYPE:START-END[:INTENSITY]" (minutes, END exclusive, INTENSITY
 * default fw_gen_attack_type_default_intensity) into *a.  Returns 0, or -1
 * with a reason in err (errsz bytes, may be 0) if the type is unknown or the
 * spec malformed or out of range.
 */
int fw_gen_parse_attack(const char *spec, fw_gen_attack *a, char *err, size_t errsz);

/* Parse a whole-minute duration: "120", "120m", "2h" or "1d".  Returns 0 and
 * sets *minutes (1 .. FW_GEN_MAX_DURATION_MIN), or -1. */
int fw_gen_parse_duration(const char *s, int *minutes);

/*
 * Add an attack to the schedule, keeping it sorted by start (after any
 * scheduled attack with the same start).  Returns 0, or -1 with a reason in
 * err if it is malformed, the schedule is full, or it overlaps a scheduled
 * attack while either of the two is one of the seed's kinds.  O(n_attacks).
 */
int fw_gen_schedule_add(fw_gen_opts *o, const fw_gen_attack *a, char *err, size_t errsz);
/* Remove every attack of a type; returns how many were removed. */
size_t fw_gen_schedule_drop(fw_gen_opts *o, int type);
/* Remove all attacks. */
void fw_gen_schedule_clear(fw_gen_opts *o);

/*
 * Validate options: ranges (daily included), the schedule, timestamps
 * staying within years 1000-9999, and the row count staying under
 * FW_GEN_MAX_ROWS.  Returns 0, or -1 with a reason in err.  O(n_attacks^2).
 */
int fw_gen_check(const fw_gen_opts *o, char *err, size_t errsz);

/*
 * Generate the traffic and write it, header first, to out.  Returns 0, or -1
 * with errno set: EINVAL if fw_gen_check rejects the options, else the write
 * error (out is flushed before returning, so a full disk is reported here).
 * Does not close out.  Memory: about 56 bytes per row plus a 4 MiB output
 * buffer, plus at most 128 KiB per overlay scenario (port_scan's port
 * order), all freed before returning.  Time: linear in the rows written
 * plus the run's minutes times the number of overlay scenarios.
 */
int fw_gen_write(const fw_gen_opts *o, FILE *out);

/* fw_gen_write that also reports counts in *stats (which may be NULL). */
int fw_gen_write_stats(const fw_gen_opts *o, FILE *out, fw_gen_stats *stats);

#endif
