/*
 * addr.h - IPv4 and IPv6 addresses in one 16-byte form.
 *
 * IPv4 is stored as an IPv4-mapped IPv6 address (::ffff:a.b.c.d), so every
 * address compares, hashes and sorts the same way whatever its family.
 */
#ifndef FW_ADDR_H
#define FW_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct fw_addr {
    uint8_t b[16]; /* network byte order; IPv4 mapped as ::ffff:a.b.c.d */
} fw_addr;

#define FW_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

/* Parse a textual address (dotted quad, or IPv6 per RFC 4291 / inet_pton).
 * Dotted quads are strict: four decimal octets 0-255, no leading zeros, no
 * blanks.  Returns 0 on success, -1 if s[0..n) is not an address. */
int fw_addr_parse(const char *s, size_t n, fw_addr *out);

/* Format an address (IPv4 as a dotted quad) into buf of FW_ADDR_STRLEN bytes.
 * Returns the string length. */
int fw_addr_format(const fw_addr *a, char *buf);

static inline bool fw_addr_is_v4(const fw_addr *a)
{
    static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a->b, pfx, 12) == 0;
}

static inline uint32_t fw_addr_v4(const fw_addr *a)
{
    return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 | a->b[15];
}

static inline void fw_addr_set_v4(fw_addr *a, uint32_t v4)
{
    memset(a->b, 0, 10);
    a->b[10] = a->b[11] = 0xff;
    a->b[12] = (uint8_t)(v4 >> 24);
    a->b[13] = (uint8_t)(v4 >> 16);
    a->b[14] = (uint8_t)(v4 >> 8);
    a->b[15] = (uint8_t)v4;
}

static inline bool fw_addr_eq(const fw_addr *a, const fw_addr *b)
{
    return memcmp(a->b, b->b, 16) == 0;
}

/* Why an address cannot stand for a traffic source or destination:
 * FW_ADDR_OK, or the class that makes it unusable. */
enum fw_addr_use { FW_ADDR_OK, FW_ADDR_UNSPECIFIED, FW_ADDR_BROADCAST, FW_ADDR_MULTICAST };

/* Classify a as a source address: unspecified (0.0.0.0/8, ::), limited
 * broadcast and multicast cannot originate traffic. */
enum fw_addr_use fw_addr_source_use(const fw_addr *a);
/* Classify a as a destination: only the unspecified address is unusable. */
enum fw_addr_use fw_addr_dest_use(const fw_addr *a);

#endif
