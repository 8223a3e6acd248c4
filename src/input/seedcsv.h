/*
 * seedcsv.h - the traffic-log CSV schema of the seed dataset
 * (network_traffic.csv) and the decoder from a CSV record to a fw_flow.
 *
 * Columns are found by header name (case-insensitive, with common aliases
 * such as src_ip / dst_ip / proto / bytes for NetFlow-style exports), in any
 * order.  Unknown columns are ignored and reported.  The decoder never
 * rejects a row itself: it parses what it can and records every fault it
 * finds as a bit (clean/reasons.h); the cleaner decides.
 */
#ifndef FW_SEEDCSV_H
#define FW_SEEDCSV_H

#include "clean/reasons.h"
#include "core/flow.h"
#include "input/csv.h"

/* The columns floodwatch understands. */
#define FW_COL_LIST(X)                                                                             \
    X(TIMESTAMP, "timestamp", 1)                                                                   \
    X(SOURCE_IP, "source_ip", 1)                                                                   \
    X(DEST_IP, "dest_ip", 1)                                                                       \
    X(SOURCE_PORT, "source_port", 0)                                                               \
    X(DEST_PORT, "dest_port", 1)                                                                   \
    X(PROTOCOL, "protocol", 1)                                                                     \
    X(PACKET_SIZE, "packet_size", 0)                                                               \
    X(TTL, "ttl", 0)                                                                               \
    X(FLAGS, "flags", 0)                                                                           \
    X(RESPONSE_TIME_MS, "response_time_ms", 0)                                                     \
    X(COUNTRY, "country", 0)                                                                       \
    X(SERVICE, "service", 0)                                                                       \
    X(BYTES_SENT, "bytes_sent", 0)                                                                 \
    X(BYTES_RECEIVED, "bytes_received", 0)                                                         \
    X(PACKETS_SENT, "packets_sent", 0)                                                             \
    X(PACKETS_RECEIVED, "packets_received", 0)                                                     \
    X(SESSION_ID, "session_id", 0)                                                                 \
    X(IS_ATTACK, "is_attack", 0)                                                                   \
    X(ATTACK_TYPE, "attack_type", 0)                                                               \
    X(HTTP_METHOD, "http_method", 0)                                                               \
    X(URI_PATH, "uri_path", 0)                                                                     \
    X(STATUS_CODE, "status_code", 0)                                                               \
    X(USER_AGENT, "user_agent", 0)

enum fw_col {
#define X(id, name, req) FW_COL_##id,
    FW_COL_LIST(X)
#undef X
        FW_COL_COUNT
};

const char *fw_col_name(enum fw_col c);

typedef struct fw_seed_schema {
    int idx[FW_COL_COUNT];   /* field index of each column, -1 if absent */
    unsigned nfields;        /* fields in the header */
    unsigned nextra;         /* header fields not understood */
    char extra[512];         /* their names, comma-separated (truncated) */
} fw_seed_schema;

/*
 * Build the schema from a header record.  Returns 0, or -1 with a message in
 * err (size errn) naming the missing column(s) or the duplicated one.
 */
int fw_seed_schema_init(fw_seed_schema *s, const fw_csv_row *header, char *err, unsigned errn);

/*
 * Decode one record into *out.  Returns the fault bits found (0 for a clean
 * row).  Empty optional fields increment empty[col] (may be NULL).
 */
fw_faults fw_seed_decode(const fw_seed_schema *s, const fw_csv_row *row, fw_flow *out,
                         uint64_t empty[FW_COL_COUNT]);

/* Exposed for tests: parse helpers used by the decoder. */
int fw_parse_u64(const char *p, unsigned n, uint64_t *v); /* "123" or "123.0"; -1 if not */
int fw_parse_ms_to_us(const char *p, unsigned n, int64_t *us); /* "12.345" ms -> us */
int fw_parse_tcp_flags(const char *p, unsigned n, uint8_t *flags);
int fw_parse_proto(const char *p, unsigned n, uint8_t *proto);

/*
 * The decoder's fast path for counts, exposed for tests: one to eight digits,
 * optionally followed by ".0" (pandas writes an integer column with missing
 * values as floats), in a field ending at least eight bytes into row's text
 * (the word it loads must lie within the record).  Returns 0 and sets *v as
 * fw_parse_u64 would, or -1 for anything else, valid or not.
 */
int fw_parse_count_fast(const fw_csv_row *row, const fw_csv_field *f, uint64_t *v);

/*
 * The decoder's fast path for response times, exposed for tests: up to eight
 * bytes of digits with at most one point and at most three digits after it
 * ("1245.588", "12.5", "300", ".5", "5."), in a field ending at least eight
 * bytes into row's text.  Returns 0 and sets *us as fw_parse_ms_to_us would,
 * or -1 for anything else, valid or not.
 */
int fw_parse_ms_fast(const fw_csv_row *row, const fw_csv_field *f, int64_t *us);

#endif
