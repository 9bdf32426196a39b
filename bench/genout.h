/*
 * genout.h -- the buffered output shared by the benchmark data generators
 * (ysb_gen.c, kv_gen.c): a seeded random generator, a big buffer flushed
 * with write(2), and die() naming the program (define GEN_NAME before
 * including).
 */
#ifndef SP_BENCH_GENOUT_H
#define SP_BENCH_GENOUT_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- deterministic random numbers (splitmix64 seeding xoshiro256**) ---- */

static uint64_t rng_s[4];

static inline uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void rng_seed(uint64_t seed)
{
    for (int i = 0; i < 4; i++) rng_s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(void)
{
    uint64_t r = rotl(rng_s[1] * 5, 7) * 9;
    uint64_t t = rng_s[1] << 17;
    rng_s[2] ^= rng_s[0];
    rng_s[3] ^= rng_s[1];
    rng_s[1] ^= rng_s[2];
    rng_s[0] ^= rng_s[3];
    rng_s[2] ^= t;
    rng_s[3] = rotl(rng_s[3], 45);
    return r;
}

/* Uniform in [0, n) without modulo bias worth caring about (n is small). */
static inline uint32_t rng_below(uint32_t n)
{
    return (uint32_t)(((rng_next() >> 32) * (uint64_t)n) >> 32);
}

/* ---- output ---- */

static int out_fd = -1;
static char *obuf;
static size_t olen;
static const char *out_name;

static void die(const char *what)
{
    fprintf(stderr, GEN_NAME ": %s: %s\n", what, strerror(errno));
    exit(1);
}

static void flush_out(void)
{
    size_t off = 0;
    while (off < olen) {
        ssize_t w = write(out_fd, obuf + off, olen - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            die(out_name);
        }
        off += (size_t)w;
    }
    olen = 0;
}

static inline void put(const char *s, size_t n)
{
    memcpy(obuf + olen, s, n);
    olen += n;
}

#endif
