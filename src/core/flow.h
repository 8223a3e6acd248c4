/*
 * flow.h - the internal flow record.
 *
 * Every decoder (seed CSV today; JSON lines, NetFlow and Kafka later) emits
 * this one record, and nothing downstream knows the input format.  A record
 * describes one flow or request seen at event time ts_us, in the direction
 * source -> destination; the "sent" counters are that direction, the
 * "received" ones the answer.
 */
#ifndef FW_FLOW_H
#define FW_FLOW_H

#include <stdint.h>

#include "core/addr.h"

/* IP protocol numbers (IANA). */
enum { FW_PROTO_ICMP = 1, FW_PROTO_TCP = 6, FW_PROTO_UDP = 17, FW_PROTO_ICMPV6 = 58 };

/* TCP flag bits as on the wire. */
enum {
    FW_TCP_FIN = 0x01,
    FW_TCP_SYN = 0x02,
    FW_TCP_RST = 0x04,
    FW_TCP_PSH = 0x08,
    FW_TCP_ACK = 0x10,
    FW_TCP_URG = 0x20,
};

/* The ground-truth label a dataset may carry (seed column attack_type). */
#define FW_LABEL_LIST(X)                                                                           \
    X(NONE, "normal")                                                                              \
    X(SYN_FLOOD, "syn_flood")                                                                      \
    X(UDP_FLOOD, "udp_flood")                                                                      \
    X(HTTP_FLOOD, "http_flood")                                                                    \
    X(AMPLIFICATION, "amplification")                                                              \
    X(PORT_SCAN, "port_scan")                                                                      \
    X(SLOWLORIS, "slowloris")                                                                      \
    X(VOLUMETRIC, "volumetric")                                                                    \
    X(FLASH_CROWD, "flash_crowd")                                                                  \
    X(OTHER, "other")

enum fw_label {
#define X(id, name) FW_LABEL_##id,
    FW_LABEL_LIST(X)
#undef X
        FW_LABEL_COUNT
};

/* The label's name ("normal" for no label). */
const char *fw_label_name(enum fw_label l);
/* The label for a name; FW_LABEL_OTHER for an unknown non-empty name,
 * FW_LABEL_NONE for an empty one. */
enum fw_label fw_label_from(const char *s, unsigned n);

/* HTTP request method, where the record is a web request. */
enum fw_http_method { FW_HTTP_NONE, FW_HTTP_GET, FW_HTTP_POST, FW_HTTP_PUT, FW_HTTP_DELETE,
                      FW_HTTP_HEAD, FW_HTTP_OTHER };

typedef struct fw_flow {
    int64_t ts_us;            /* event time, microseconds since the epoch, UTC */
    fw_addr src;              /* source address */
    fw_addr dst;              /* destination address */
    uint64_t bytes_sent;      /* bytes source -> destination */
    uint64_t bytes_recv;      /* bytes destination -> source */
    uint32_t pkts_sent;       /* packets source -> destination */
    uint32_t pkts_recv;       /* packets destination -> source */
    uint32_t packet_size;     /* mean packet size sent, bytes */
    int32_t response_us;      /* server response time in us, -1 if unknown */
    uint16_t src_port;        /* 0 where the protocol has none */
    uint16_t dst_port;
    uint16_t http_status;     /* 0 if none */
    uint8_t proto;            /* IP protocol number */
    uint8_t tcp_flags;        /* FW_TCP_* bits seen (0 for none or non-TCP) */
    uint8_t ttl;              /* 0 if unknown */
    uint8_t http_method;      /* enum fw_http_method */
    uint8_t label;            /* enum fw_label */
    uint8_t is_attack;        /* 0 no, 1 yes, 2 unknown */
    char country[2];          /* ISO 3166 alpha-2, or two NULs */
} fw_flow;

/* The protocol's name ("TCP", "UDP", ...) or NULL for a number without one. */
const char *fw_proto_name(uint8_t proto);

#endif
