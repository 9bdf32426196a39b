/*
 * ysb_lines.h -- in-memory YSB-style JSON lines for the reader benchmarks
 * (fmt_bench.c, json_libs_bench.c), the same bytes for the same n:
 *   {"user_id": "<uuid>", "page_id": "<uuid>", "ad_id": "<uuid>",
 *    "ad_type": "banner", "event_type": "view",
 *    "event_time": 1700000000123, "ip_address": "10.1.2.3"}
 * (xorshift64 from a fixed state; spaces after ':' and ',' as many
 * producers write them).
 */
#ifndef SP_BENCH_YSB_LINES_H
#define SP_BENCH_YSB_LINES_H

#include "core/core.h"

static uint64_t ysbl_state = 0x9e3779b97f4a7c15ULL;

static inline uint64_t ysbl_rnd(void)
{
    ysbl_state ^= ysbl_state << 13;
    ysbl_state ^= ysbl_state >> 7;
    ysbl_state ^= ysbl_state << 17;
    return ysbl_state;
}

static inline void ysbl_uuid(char *o)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t a = ysbl_rnd(), b = ysbl_rnd();
    for (int i = 0, k = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            o[i] = '-';
            continue;
        }
        uint64_t w = k < 16 ? a : b;
        o[i] = hex[(w >> ((k % 16) * 4)) & 15];
        k++;
    }
    o[36] = '\0';
}

/* Appends n events to in. 0, or -1 when out of memory. */
static inline int ysbl_generate(sp_buf *in, uint64_t n)
{
    static const char *types[] = {"view", "click", "purchase"};
    static const char *ad_types[] = {"banner", "modal", "sponsored-search",
                                     "mail", "mobile"};
    char u1[40], u2[40], u3[40];
    for (uint64_t i = 0; i < n; i++) {
        ysbl_uuid(u1);
        ysbl_uuid(u2);
        ysbl_uuid(u3);
        uint64_t x = ysbl_rnd();
        if (sp_buf_printf(in,
                          "{\"user_id\": \"%s\", \"page_id\": \"%s\", "
                          "\"ad_id\": \"%s\", \"ad_type\": \"%s\", "
                          "\"event_type\": \"%s\", \"event_time\": %llu, "
                          "\"ip_address\": \"%u.%u.%u.%u\"}\n",
                          u1, u2, u3, ad_types[x % 5], types[(x >> 8) % 3],
                          1700000000000ULL + i * 7, (unsigned)(x >> 16) & 255,
                          (unsigned)(x >> 24) & 255, (unsigned)(x >> 32) & 255,
                          (unsigned)(x >> 40) & 255) != 0)
            return -1;
    }
    return 0;
}

#endif
