/*
 * rng.h - the generator's random numbers: xoshiro256** seeded through
 * splitmix64, and the handful of distributions the seed script draws from
 * (Python's random.randint/choice/uniform/random, numpy's exponential and
 * lognormal).
 *
 * Everything here is inline and allocation-free.  The stream depends only on
 * the seed, so the same seed gives the same output on any LP64 platform with
 * IEEE doubles; the normal/exponential draws also go through log and sqrt,
 * which glibc rounds correctly, so in practice the output is portable too.
 * This is NOT Python's Mersenne Twister: a given seed does not reproduce the
 * seed script's exact rows, only their distributions.
 */
#ifndef FW_GEN_RNG_H
#define FW_GEN_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct fw_gen_rng {
    uint64_t s[4];     /* xoshiro256** state; never all zero after seeding */
    double gauss_next; /* second value of the last polar Box-Muller pair */
    int has_gauss;     /* whether gauss_next is still unused */
} fw_gen_rng;

/* One splitmix64 step: advances *x and returns a well-mixed 64-bit value. */
static inline uint64_t fw_gen_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Seed the generator; any 64-bit seed (0 included) gives a valid state. */
static inline void fw_gen_rng_seed(fw_gen_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = fw_gen_splitmix64(&x);
    r->gauss_next = 0.0;
    r->has_gauss = 0;
}

static inline uint64_t fw_gen_rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* The next raw 64-bit output (xoshiro256**). */
static inline uint64_t fw_gen_rng_next(fw_gen_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = fw_gen_rotl64(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = fw_gen_rotl64(s[3], 45);
    return result;
}

/* A double uniform in [0, 1) with 53 random bits (Python's random()). */
static inline double fw_gen_rng_unit(fw_gen_rng *r)
{
    return (double)(fw_gen_rng_next(r) >> 11) * 0x1.0p-53;
}

/* An unbiased integer in [0, n) for n >= 1 (Lemire's multiply-and-reject). */
static inline uint64_t fw_gen_rng_below(fw_gen_rng *r, uint64_t n)
{
    unsigned __int128 m = (unsigned __int128)fw_gen_rng_next(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        const uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = (unsigned __int128)fw_gen_rng_next(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* An integer in [lo, hi], both inclusive (Python's randint). */
static inline int64_t fw_gen_rng_int(fw_gen_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)fw_gen_rng_below(r, (uint64_t)(hi - lo) + 1);
}

/* a + (b - a) * random(), exactly as Python's random.uniform computes it. */
static inline double fw_gen_rng_uniform(fw_gen_rng *r, double a, double b)
{
    return a + (b - a) * fw_gen_rng_unit(r);
}

/* Exponential with the given mean (numpy's exponential(scale)). */
static inline double fw_gen_rng_exponential(fw_gen_rng *r, double mean)
{
    return -mean * log(1.0 - fw_gen_rng_unit(r));
}

/* Normal(mu, sigma) by the polar Box-Muller method, as numpy's legacy
 * generator does: each accepted pair yields two draws. */
static inline double fw_gen_rng_normal(fw_gen_rng *r, double mu, double sigma)
{
    if (r->has_gauss) {
        r->has_gauss = 0;
        return mu + sigma * r->gauss_next;
    }
    double x1, x2, r2;
    do {
        x1 = 2.0 * fw_gen_rng_unit(r) - 1.0;
        x2 = 2.0 * fw_gen_rng_unit(r) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    const double f = sqrt(-2.0 * log(r2) / r2);
    r->gauss_next = f * x1;
    r->has_gauss = 1;
    return mu + sigma * f * x2;
}

/* exp(Normal(mu, sigma)) (numpy's lognormal(mean, sigma)). */
static inline double fw_gen_rng_lognormal(fw_gen_rng *r, double mu, double sigma)
{
    return exp(fw_gen_rng_normal(r, mu, sigma));
}

#endif
