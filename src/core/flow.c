/* flow.c - names for the flow record's enumerations (see flow.h). */
#include <string.h>

#include "core/flow.h"

static const char *const label_names[FW_LABEL_COUNT] = {
#define X(id, name) name,
    FW_LABEL_LIST(X)
#undef X
};

const char *fw_label_name(enum fw_label l)
{
    return (unsigned)l < FW_LABEL_COUNT ? label_names[l] : "other";
}

enum fw_label fw_label_from(const char *s, unsigned n)
{
    if (n == 0)
        return FW_LABEL_NONE;
    /* "normal" written out is the empty label's name: the same label. */
    for (unsigned i = 0; i < FW_LABEL_COUNT; i++)
        if (strlen(label_names[i]) == n && !memcmp(label_names[i], s, n))
            return (enum fw_label)i;
    return FW_LABEL_OTHER;
}

const char *fw_proto_name(uint8_t proto)
{
    switch (proto) {
    case FW_PROTO_ICMP: return "ICMP";
    case FW_PROTO_TCP: return "TCP";
    case FW_PROTO_UDP: return "UDP";
    case FW_PROTO_ICMPV6: return "ICMPv6";
    case 47: return "GRE";
    case 50: return "ESP";
    case 132: return "SCTP";
    default: return NULL;
    }
}
