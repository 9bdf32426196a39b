/*
 * hash.c -- byte hashing for hash tables and CRC-32C for file checksums.
 *
 * sp_hash_bytes is a simple 64-bit multiply-mix hash over 8-byte words
 * (fast for the short keys of group-by and dedup). CRC-32C uses the
 * slicing-by-8 table method; the tables are built once on first use.
 */
#include "core/core.h"

#include <pthread.h>
#include <string.h>

static inline uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

uint64_t sp_hash_bytes(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    const uint64_t k = 0x9e3779b97f4a7c15ULL;
    uint64_t h = seed ^ (n * k);
    while (n >= 8) {
        h = (h ^ sp_hash_u64(rd64(p))) * k;
        p += 8;
        n -= 8;
    }
    /* the last n < 8 bytes as a little-endian word (what a memcpy into a
     * zeroed word gives on the machines we build for), without a call */
    uint64_t tail = 0;
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        tail = (uint64_t)a | (uint64_t)b << (8 * (n - 4));
    } else if (n > 0) {
        tail = (uint64_t)p[0] | (uint64_t)p[n / 2] << (8 * (n / 2)) |
               (uint64_t)p[n - 1] << (8 * (n - 1));
    }
    h = (h ^ sp_hash_u64(tail ^ n)) * k;
    return sp_hash_u64(h);
}

static uint32_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_pick(void);
static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82f63b78u & -(c & 1));
        crc_tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_tab[t][i] =
                (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* SSE4.2 has CRC-32C (the Castagnoli polynomial) as an instruction: ~8
 * bytes a cycle against ~1 byte for the tables. Checkpoint files and logs
 * are checksummed whole, so this is on every commit's path. */
__attribute__((target("sse4.2"))) static uint32_t
crc_hw(uint32_t crc, const unsigned char *p, size_t n)
{
    uint64_t c = ~crc;
    while (n >= 8) {
        c = __builtin_ia32_crc32di(c, rd64(p));
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return ~c32;
}
#define SP_HAVE_CRC_HW 1
#endif

static int crc_use_hw = -1; /* -1 unknown, then 0 or 1 */

static void crc_init(void);
static void crc_pick(void)
{
    crc_init();
#ifdef SP_HAVE_CRC_HW
    __builtin_cpu_init();
    crc_use_hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#else
    crc_use_hw = 0;
#endif
}

/* The table method, for machines without the instruction (and tests). */
uint32_t sp_crc32c_sw(uint32_t crc, const void *data, size_t n)
{
    pthread_once(&crc_once, crc_pick);
    const unsigned char *p = data;
    crc = ~crc;
    while (n >= 8) {
        uint64_t v = rd64(p) ^ crc;
        crc = crc_tab[7][v & 0xff] ^ crc_tab[6][(v >> 8) & 0xff] ^
              crc_tab[5][(v >> 16) & 0xff] ^ crc_tab[4][(v >> 24) & 0xff] ^
              crc_tab[3][(v >> 32) & 0xff] ^ crc_tab[2][(v >> 40) & 0xff] ^
              crc_tab[1][(v >> 48) & 0xff] ^ crc_tab[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

uint32_t sp_crc32c(uint32_t crc, const void *data, size_t n)
{
    pthread_once(&crc_once, crc_pick);
#ifdef SP_HAVE_CRC_HW
    if (crc_use_hw) return crc_hw(crc, data, n);
#endif
    return sp_crc32c_sw(crc, data, n);
}
