/* addr.c - address parsing, formatting and classification (see addr.h). */
#include <arpa/inet.h>
#include <stdio.h>

#include "core/addr.h"

static int parse_v4(const char *s, size_t n, uint32_t *out)
{
    if (n < 7 || n > 15)
        return -1;
    uint32_t v = 0;
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= n || s[i] != '.')
                return -1;
            i++;
        }
        unsigned d0 = i < n ? (unsigned)(s[i] - '0') : 10;
        if (d0 > 9)
            return -1;
        unsigned octet = d0, len = 1;
        i++;
        while (i < n && len < 3 && (unsigned)(s[i] - '0') <= 9) {
            octet = octet * 10 + (unsigned)(s[i++] - '0');
            len++;
        }
        if (octet > 255 || (len > 1 && d0 == 0))
            return -1;
        v = v << 8 | octet;
    }
    if (i != n)
        return -1;
    *out = v;
    return 0;
}

int fw_addr_parse(const char *s, size_t n, fw_addr *out)
{
    if (n == 0)
        return -1;
    /* Most addresses are dotted quads: try that first, and only look for a
     * colon (IPv6) when it fails. */
    uint32_t v4;
    if (parse_v4(s, n, &v4) == 0) {
        fw_addr_set_v4(out, v4);
        return 0;
    }
    if (memchr(s, ':', n) == NULL)
        return -1;
    char buf[FW_ADDR_STRLEN];
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    return inet_pton(AF_INET6, buf, out->b) == 1 ? 0 : -1;
}

int fw_addr_format(const fw_addr *a, char *buf)
{
    if (fw_addr_is_v4(a))
        return snprintf(buf, FW_ADDR_STRLEN, "%u.%u.%u.%u", a->b[12], a->b[13], a->b[14], a->b[15]);
    if (!inet_ntop(AF_INET6, a->b, buf, FW_ADDR_STRLEN))
        buf[0] = 0;
    return (int)strlen(buf);
}

static bool is_unspecified(const fw_addr *a)
{
    static const uint8_t zero[16];
    if (fw_addr_is_v4(a))
        return a->b[12] == 0; /* 0.0.0.0/8: "this network" */
    return memcmp(a->b, zero, 16) == 0;
}

enum fw_addr_use fw_addr_source_use(const fw_addr *a)
{
    if (is_unspecified(a))
        return FW_ADDR_UNSPECIFIED;
    if (fw_addr_is_v4(a)) {
        uint32_t v = fw_addr_v4(a);
        if (v == 0xffffffffu)
            return FW_ADDR_BROADCAST;
        if ((v >> 28) == 0xe)
            return FW_ADDR_MULTICAST;
    } else if (a->b[0] == 0xff) {
        return FW_ADDR_MULTICAST;
    }
    return FW_ADDR_OK;
}

enum fw_addr_use fw_addr_dest_use(const fw_addr *a)
{
    return is_unspecified(a) ? FW_ADDR_UNSPECIFIED : FW_ADDR_OK;
}
