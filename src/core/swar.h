/*
 * swar.h - eight ASCII bytes at a time in a 64-bit word ("SIMD within a
 * register"), for the decoders' digit parsing.  Words hold bytes in memory
 * order, the first byte lowest, whatever the host's byte order; a few
 * operations replace a loop with a branch per character.
 */
#ifndef FW_SWAR_H
#define FW_SWAR_H

#include <stdint.h>
#include <string.h>

#define FW_SWAR_ONES 0x0101010101010101ULL

/* Eight bytes from p as a word, the byte at p lowest.  One load. */
static inline uint64_t fw_load_le64(const char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* Whether all eight bytes of w are ASCII digits: the high nibble is 3 and
 * adding 6 does not carry out of the low one (a byte that carries into its
 * neighbour has a high nibble of F and fails itself).  Five operations. */
static inline int fw_all_digits8(uint64_t w)
{
    const uint64_t hi = 0xf0 * FW_SWAR_ONES;
    return ((w & hi) | (((w + 6 * FW_SWAR_ONES) & hi) >> 4)) == 0x33 * FW_SWAR_ONES;
}

/* Two-digit values: byte k of the result is 10 * digit k + digit k + 1 of
 * w, eight ASCII digits (no byte carries: each is at most 99).  Three
 * operations. */
static inline uint64_t fw_digit_pairs(uint64_t w)
{
    w -= '0' * FW_SWAR_ONES;
    return w * 10 + (w >> 8);
}

/* The value of eight ASCII digits, the lowest byte the most significant
 * (simdjson's parse_eight_digits_unrolled): three multiplies.  w must pass
 * fw_all_digits8. */
static inline uint32_t fw_eight_digits(uint64_t w)
{
    w = fw_digit_pairs(w);
    w = ((w & 0x000000ff000000ffULL) * (100 + (1000000ULL << 32)) +
         ((w >> 16) & 0x000000ff000000ffULL) * (1 + (10000ULL << 32))) >>
        32;
    return (uint32_t)w;
}

#endif
