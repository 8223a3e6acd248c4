/*
 * reasons.h - every data-quality fault floodwatch knows, with its name.
 *
 * A row gets a bit per fault found.  QUARANTINE faults make the row unusable:
 * it goes to the quarantine with its raw text, line number and reasons.
 * REPAIR faults were fixed in place where the data justifies the fix (a
 * packet size recomputed from the byte and packet counters) or the value was
 * cleared to "unknown" (an impossible response time); the row is kept and the
 * repair counted.  One X-macro list generates the enum, the names and kinds.
 */
#ifndef FW_REASONS_H
#define FW_REASONS_H

#include <stdint.h>

#define FW_REASON_LIST(X)                                                                          \
    X(CSV_MALFORMED, "csv_malformed", QUARANTINE)                                                  \
    X(FIELD_COUNT, "field_count", QUARANTINE)                                                      \
    X(TIMESTAMP_MISSING, "timestamp_missing", QUARANTINE)                                          \
    X(TIMESTAMP_INVALID, "timestamp_invalid", QUARANTINE)                                          \
    X(SRC_IP_MISSING, "src_ip_missing", QUARANTINE)                                                \
    X(SRC_IP_INVALID, "src_ip_invalid", QUARANTINE)                                                \
    X(SRC_IP_UNUSABLE, "src_ip_unusable", QUARANTINE)                                              \
    X(DST_IP_MISSING, "dst_ip_missing", QUARANTINE)                                                \
    X(DST_IP_INVALID, "dst_ip_invalid", QUARANTINE)                                                \
    X(DST_IP_UNUSABLE, "dst_ip_unusable", QUARANTINE)                                              \
    X(PROTOCOL_UNKNOWN, "protocol_unknown", QUARANTINE)                                            \
    X(PORT_INVALID, "port_invalid", QUARANTINE)                                                    \
    X(COUNTER_INVALID, "counter_invalid", QUARANTINE)                                              \
    X(SIZE_INVALID, "packet_size_invalid", QUARANTINE)                                             \
    X(PACKET_SIZE_FROM_BYTES, "packet_size_from_bytes", REPAIR)                                    \
    X(RESPONSE_TIME_CLEARED, "response_time_cleared", REPAIR)                                      \
    X(TTL_CLEARED, "ttl_cleared", REPAIR)                                                          \
    X(TCP_FLAGS_CLEARED, "tcp_flags_cleared", REPAIR)                                              \
    X(COUNTRY_CLEARED, "country_cleared", REPAIR)                                                  \
    X(HTTP_STATUS_CLEARED, "http_status_cleared", REPAIR)                                          \
    X(LABEL_CLEARED, "label_cleared", REPAIR)

enum fw_reason {
#define X(id, name, kind) FW_R_##id,
    FW_REASON_LIST(X)
#undef X
        FW_R_COUNT
};

enum fw_reason_kind { FW_KIND_QUARANTINE, FW_KIND_REPAIR };

typedef uint32_t fw_faults; /* one bit per enum fw_reason */

#define FW_BIT(r) ((fw_faults)1u << (r))

const char *fw_reason_name(enum fw_reason r);
enum fw_reason_kind fw_reason_kind(enum fw_reason r);
/* The bits of every QUARANTINE reason. */
fw_faults fw_quarantine_mask(void);
/* Write the names of the set bits, comma-separated, into buf (size n). */
void fw_faults_format(fw_faults f, char *buf, unsigned n);

#endif
