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

/*
 * The dotted quads of 8-15 bytes this thread parsed last, direct-mapped by a
 * hash of their text: the text as two overlapping words (its first and last
 * eight bytes, which with the length fix it) and the value.  Flow logs
 * repeat addresses row after row (a network's few servers, the sources that
 * flood them: the seed has 10 destinations and 605 sources in 823k rows), so
 * most lookups hit.  2,048 entries of 24 bytes (48 KiB) per thread: with
 * 512, the seed's 614 addresses fought over their slots and 22% of the
 * lookups missed, now 8% (csv and decode of the seed file, best of 15 runs, 6
 * rounds: 0.136 -> 0.128 s).  Only valid addresses are stored, and the zero
 * length of an unused entry never matches.
 */
#define V4_MEMO_BITS 11
static _Thread_local struct {
    uint64_t head, tail;
    uint32_t n, v4;
} v4_memo[1 << V4_MEMO_BITS];

/* Where text with this head and tail lives in v4_memo: two multiplies, top
 * bits.  The length is left out: texts of different lengths with the same
 * head and tail ("10.1.1.111", "10.1.1.1.1.111") share a slot, and the
 * length compare tells them apart. */
static inline size_t v4_memo_slot(uint64_t head, uint64_t tail)
{
    return (size_t)((head ^ tail * 0x9e3779b97f4a7c15ULL) * 0xff51afd7ed558ccdULL >>
                    (64 - V4_MEMO_BITS));
}

/*
 * See addr.h.  A dotted quad found in v4_memo costs ~25 instructions, one
 * parsed ~150 (and ~20 more to remember it); only text that is no dotted
 * quad is looked at for a colon (IPv6) and given to inet_pton.
 */
int fw_addr_parse(const char *s, size_t n, fw_addr *out)
{
    if (n == 0)
        return -1;
    const bool memo = n >= 8 && n <= 15;
    uint64_t head = 0, tail = 0;
    size_t h = 0;
    if (memo) {
        memcpy(&head, s, 8);
        memcpy(&tail, s + n - 8, 8);
        h = v4_memo_slot(head, tail);
        if (v4_memo[h].head == head && v4_memo[h].tail == tail && v4_memo[h].n == n) {
            fw_addr_set_v4(out, v4_memo[h].v4);
            return 0;
        }
    }
    uint32_t v4;
    if (parse_v4(s, n, &v4) == 0) {
        if (memo) {
            v4_memo[h].head = head;
            v4_memo[h].tail = tail;
            v4_memo[h].n = (uint32_t)n;
            v4_memo[h].v4 = v4;
        }
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
