/*
 * ysb_model.h -- the Yahoo Streaming Benchmark (YSB) data model, shared by
 * the `ysb` source (src_ysb.c) and the JSON data generator
 * (bench/ysb_gen.c), so that both produce the same ids and, with
 * `ysb_gen --indexed`, the same events. Header-only, libc only.
 *
 * Two kinds of randomness:
 *
 * - The fixed tables (campaign ids, ad ids, user ids, page ids; version-4
 *   UUIDs) are drawn in this order from one sequential generator
 *   (splitmix64 seeding xoshiro256**) seeded with the seed alone:
 *   campaigns first, then ads (ad a belongs to campaign a / ads_per), then
 *   the users and pages. So the campaigns table that `ysb_gen --campaigns`
 *   writes for a seed joins every ad id the source generates for that seed.
 * - Events are counter-based: event i is a pure function of (seed, i). Each
 *   column reads one 64-bit word, splitmix64 at counter 4i + w, and takes
 *   uniform draws from its halves by multiply-shift:
 *
 *     word 0: ad (high half, over n_ads), event_type (low half, over 3)
 *     word 1: user (high, over 100), page (low, over 100)
 *     word 2: ad_type (high, over 5), ip address (top 12 bits of the low
 *             half: one of SP_YSB_IPS dotted quads)
 *
 *   event_time (epoch milliseconds) = start_ms + floor(i * 1000 / rate).
 *   So any range of events can be generated alone, in any order, and a
 *   query that reads only some columns computes only their words.
 *
 * The distributions are YSB's: every draw uniform, a third of the events
 * views. The one departure: ip_address comes from a pool of SP_YSB_IPS
 * random addresses (drawn once per seed), not from all 2^32, so that no
 * row is formatted; ysb_gen --indexed writes the same pool.
 */
#ifndef SP_IO_YSB_MODEL_H
#define SP_IO_YSB_MODEL_H

#include <stdint.h>
#include <stdio.h>

#define SP_YSB_UUID_LEN 36
#define SP_YSB_USERS    100
#define SP_YSB_PAGES    100
#define SP_YSB_IPS      4096 /* a power of two: index = top bits */
#define SP_YSB_IP_BITS  12

static const char *const sp_ysb_ad_types[5] = {
    "banner", "modal", "sponsored-search", "mail", "mobile"};
static const char *const sp_ysb_event_types[3] = {"view", "click", "purchase"};

/* ---- the sequential generator of the fixed tables ---------------------- */

typedef struct sp_ysb_rng {
    uint64_t s[4];
} sp_ysb_rng;

static inline uint64_t sp_ysb_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void sp_ysb_rng_seed(sp_ysb_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = sp_ysb_splitmix(&seed);
}

static inline uint64_t sp_ysb_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256**. */
static inline uint64_t sp_ysb_rng_next(sp_ysb_rng *r)
{
    uint64_t *s = r->s;
    uint64_t res = sp_ysb_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = sp_ysb_rotl(s[3], 45);
    return res;
}

/* Uniform in [0, n) by multiply-shift on the high half. */
static inline uint32_t sp_ysb_rng_below(sp_ysb_rng *r, uint32_t n)
{
    return (uint32_t)(((sp_ysb_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* A version-4 UUID, lower-case hex, 36 characters, no terminator. */
static inline void sp_ysb_uuid(sp_ysb_rng *r, char *o)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t a = sp_ysb_rng_next(r), b = sp_ysb_rng_next(r);
    a = (a & ~0xf000ULL) | 0x4000ULL;                        /* version 4 */
    b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; /* variant */
    int k = 0;
    for (int i = 0; i < SP_YSB_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            o[i] = '-';
            continue;
        }
        uint64_t w = k < 16 ? a : b;
        int sh = 60 - 4 * (k & 15);
        o[i] = hex[(w >> sh) & 15];
        k++;
    }
}

/* Draws the fixed tables for `seed`: n_campaigns campaign ids, then
 * n_campaigns * ads_per ad ids, SP_YSB_USERS user ids and SP_YSB_PAGES
 * page ids, each SP_YSB_UUID_LEN bytes back to back (no terminators).
 * Leaves `r` where ysb_gen's sequential events continue. */
static inline void sp_ysb_tables(sp_ysb_rng *r, uint64_t seed,
                                 uint32_t n_campaigns, uint32_t ads_per,
                                 char *campaigns, char *ads, char *users,
                                 char *pages)
{
    sp_ysb_rng_seed(r, seed);
    for (uint32_t i = 0; i < n_campaigns; i++)
        sp_ysb_uuid(r, campaigns + (size_t)i * SP_YSB_UUID_LEN);
    for (uint32_t i = 0; i < n_campaigns * ads_per; i++)
        sp_ysb_uuid(r, ads + (size_t)i * SP_YSB_UUID_LEN);
    for (uint32_t i = 0; i < SP_YSB_USERS; i++)
        sp_ysb_uuid(r, users + (size_t)i * SP_YSB_UUID_LEN);
    for (uint32_t i = 0; i < SP_YSB_PAGES; i++)
        sp_ysb_uuid(r, pages + (size_t)i * SP_YSB_UUID_LEN);
}

/* ---- counter-based events ---------------------------------------------- */

/* The key of a seed's event stream (distinct from the tables' stream). */
static inline uint64_t sp_ysb_key(uint64_t seed)
{
    uint64_t x = seed ^ 0x5953422d6576656eULL; /* "YSB-even" */
    return sp_ysb_splitmix(&x);
}

/* Word w (0..3) of event i: splitmix64 at counter 4i + w. */
static inline uint64_t sp_ysb_word(uint64_t key, uint64_t i, unsigned w)
{
    uint64_t z = key + (4 * i + w + 1) * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) from the high or the low half of a word. */
static inline uint32_t sp_ysb_hi(uint64_t w, uint32_t n)
{
    return (uint32_t)(((w >> 32) * (uint64_t)n) >> 32);
}
static inline uint32_t sp_ysb_lo(uint64_t w, uint32_t n)
{
    return (uint32_t)(((w & 0xffffffffULL) * (uint64_t)n) >> 32);
}
static inline uint32_t sp_ysb_ip_index(uint64_t w2)
{
    return (uint32_t)((w2 & 0xffffffffULL) >> (32 - SP_YSB_IP_BITS));
}

/* Address k of the pool as a dotted quad into o (>= 16 bytes, NUL
 * terminated); returns its length. */
static inline int sp_ysb_ip(uint64_t key, uint32_t k, char *o)
{
    uint64_t x = key ^ 0x49502d706f6f6cULL; /* "IP-pool" */
    x += (uint64_t)k * 0x9e3779b97f4a7c15ULL;
    uint32_t ip = (uint32_t)(sp_ysb_splitmix(&x) >> 32);
    return snprintf(o, 16, "%u.%u.%u.%u", ip & 255, (ip >> 8) & 255,
                    (ip >> 16) & 255, ip >> 24);
}

/* event_time of event i in epoch milliseconds: start + floor(i * 1000 /
 * rate), written as ysb_gen does, without overflow for any sane i. */
static inline uint64_t sp_ysb_time_ms(uint64_t start_ms, uint64_t rate,
                                      uint64_t i)
{
    return start_ms + (i / rate) * 1000 + (i % rate) * 1000 / rate;
}

#endif /* SP_IO_YSB_MODEL_H */
