/*
 * genout.h -- the buffered output shared by the benchmark data generators
 * (ysb_gen.c, kv_gen.c, pv_gen.c): a seeded random generator, a big
 * buffer flushed with write(2), decimal output and argument parsing, and
 * die() naming the program (define GEN_NAME before including).
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

/* Decimal of v at obuf + olen. */
static inline void put_u64(uint64_t v)
{
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) obuf[olen++] = t[--n];
}

/* ---- arguments ---- */

/* A decimal argument: 0, or -1 when it is not a whole number >= 0. */
static inline int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') return -1;
    *v = x;
    return 0;
}

#endif
