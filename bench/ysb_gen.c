/*
 * ysb_gen.c -- writes Yahoo Streaming Benchmark (YSB) ad events as JSON
 * lines, deterministically for a seed.
 *
 *   ysb_gen [options] OUT N SEED
 *
 * One event per line, keys always in this order:
 *   {"user_id":"<uuid>","page_id":"<uuid>","ad_id":"<uuid>",
 *    "ad_type":"banner","event_type":"view","event_time":1700000000000,
 *    "ip_address":"10.1.2.3"}
 *
 * As in YSB's generator: 100 campaigns of 10 ads each (1000 ad ids), 100
 * user ids and 100 page ids (all random UUIDs fixed by the seed), ad_type
 * uniform over banner, modal, sponsored-search, mail, mobile, and
 * event_type uniform over view, click, purchase. event_time is epoch
 * milliseconds, non-decreasing: event i is at start + i * 1000 / rate.
 * ip_address is a random dotted quad.
 *
 * Options:
 *   --rate R          events per second of event time (default 100000)
 *   --start-ms T      event_time of the first event (default 1700000000000)
 *   --campaigns FILE  also write the campaigns table as CSV with a header:
 *                     ad_id,campaign_id (1000 rows)
 *   --quiet           no summary on standard error
 *
 * OUT may be '-' for standard output. The same N and SEED always give the
 * same bytes. Depends only on libc; writes 1 MiB buffers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N_CAMPAIGNS      100
#define ADS_PER_CAMPAIGN 10
#define N_ADS            (N_CAMPAIGNS * ADS_PER_CAMPAIGN)
#define N_USERS          100
#define N_PAGES          100
#define UUID_LEN         36
#define BUF_SIZE         (1u << 20)
#define MAX_LINE         512

#define GEN_NAME "ysb_gen"
#include "genout.h"

/* A version-4 UUID, lower-case hex, 36 characters, no terminator. */
static void make_uuid(char *o)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t a = rng_next(), b = rng_next();
    a = (a & ~0xf000ULL) | 0x4000ULL;                        /* version 4 */
    b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; /* variant */
    int k = 0;
    for (int i = 0; i < UUID_LEN; i++) {
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

/* ---- output ------------------------------------------------------------- */

#define PUT_LIT(s) put(s, sizeof(s) - 1)

/* Decimal of v (< 2^63) at obuf + olen. */
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

/* "0".."255" precomputed: the dotted quad is four table copies. */
static char octet_txt[256][4];
static unsigned char octet_len[256];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *f)
{
    fputs("usage: ysb_gen [--rate R] [--start-ms T] [--campaigns FILE] "
          "[--quiet] OUT N SEED\n"
          "Writes N YSB ad events as JSON lines to OUT ('-' = stdout),\n"
          "deterministically for SEED. --campaigns also writes the\n"
          "ad_id,campaign_id table (CSV with header).\n",
          f);
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') return -1;
    *v = x;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t rate = 100000, start_ms = 1700000000000ULL;
    const char *campaigns_path = NULL;
    int quiet = 0;
    const char *pos[3];
    int npos = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--rate") && i + 1 < argc) {
            if (parse_u64(argv[++i], &rate) || rate == 0) {
                fprintf(stderr, "ysb_gen: bad --rate\n");
                return 2;
            }
        } else if (!strcmp(a, "--start-ms") && i + 1 < argc) {
            if (parse_u64(argv[++i], &start_ms)) {
                fprintf(stderr, "ysb_gen: bad --start-ms\n");
                return 2;
            }
        } else if (!strcmp(a, "--campaigns") && i + 1 < argc) {
            campaigns_path = argv[++i];
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (a[0] == '-' && a[1] == '-') {
            usage(stderr);
            return 2;
        } else if (npos < 3) {
            pos[npos++] = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (npos != 3) {
        usage(stderr);
        return 2;
    }
    uint64_t n_events, seed;
    if (parse_u64(pos[1], &n_events) || parse_u64(pos[2], &seed)) {
        fprintf(stderr, "ysb_gen: N and SEED must be non-negative integers\n");
        return 2;
    }

    /* The fixed tables, drawn first so they depend on the seed only. */
    rng_seed(seed);
    static char ads[N_ADS][UUID_LEN], campaigns[N_CAMPAIGNS][UUID_LEN];
    static char users[N_USERS][UUID_LEN], pages[N_PAGES][UUID_LEN];
    for (int i = 0; i < N_CAMPAIGNS; i++) make_uuid(campaigns[i]);
    for (int i = 0; i < N_ADS; i++) make_uuid(ads[i]);
    for (int i = 0; i < N_USERS; i++) make_uuid(users[i]);
    for (int i = 0; i < N_PAGES; i++) make_uuid(pages[i]);
    for (int i = 0; i < 256; i++)
        octet_len[i] = (unsigned char)snprintf(octet_txt[i], 4, "%d", i);

    static const char *const ad_types[] = {
        "banner", "modal", "sponsored-search", "mail", "mobile"};
    static const char *const event_types[] = {"view", "click", "purchase"};
    size_t ad_type_len[5], event_type_len[3];
    for (int i = 0; i < 5; i++) ad_type_len[i] = strlen(ad_types[i]);
    for (int i = 0; i < 3; i++) event_type_len[i] = strlen(event_types[i]);

    obuf = malloc(BUF_SIZE);
    if (!obuf) die("malloc");

    if (campaigns_path) {
        out_name = campaigns_path;
        out_fd = open(campaigns_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                      0644);
        if (out_fd < 0) die(campaigns_path);
        PUT_LIT("ad_id,campaign_id\n");
        for (int i = 0; i < N_ADS; i++) {
            put(ads[i], UUID_LEN);
            PUT_LIT(",");
            put(campaigns[i / ADS_PER_CAMPAIGN], UUID_LEN);
            PUT_LIT("\n");
        }
        flush_out();
        if (close(out_fd)) die(campaigns_path);
    }

    out_name = pos[0];
    if (!strcmp(pos[0], "-")) {
        out_fd = 1;
    } else {
        out_fd = open(pos[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out_fd < 0) die(pos[0]);
    }

    double t0 = now_s();
    uint64_t bytes = 0, n_view = 0;
    for (uint64_t i = 0; i < n_events; i++) {
        if (olen > BUF_SIZE - MAX_LINE) {
            bytes += olen;
            flush_out();
        }
        uint32_t u = rng_below(N_USERS), p = rng_below(N_PAGES);
        uint32_t ad = rng_below(N_ADS), at = rng_below(5);
        uint32_t et = rng_below(3);
        uint64_t ip = rng_next();
        n_view += et == 0;
        /* i * 1000 / rate without overflow for any sane i and rate. */
        uint64_t ts = start_ms + (i / rate) * 1000 + (i % rate) * 1000 / rate;

        PUT_LIT("{\"user_id\":\"");
        put(users[u], UUID_LEN);
        PUT_LIT("\",\"page_id\":\"");
        put(pages[p], UUID_LEN);
        PUT_LIT("\",\"ad_id\":\"");
        put(ads[ad], UUID_LEN);
        PUT_LIT("\",\"ad_type\":\"");
        put(ad_types[at], ad_type_len[at]);
        PUT_LIT("\",\"event_type\":\"");
        put(event_types[et], event_type_len[et]);
        PUT_LIT("\",\"event_time\":");
        put_u64(ts);
        PUT_LIT(",\"ip_address\":\"");
        for (int k = 0; k < 4; k++) {
            unsigned o = (unsigned)(ip >> (8 * k)) & 255;
            if (k) PUT_LIT(".");
            put(octet_txt[o], octet_len[o]);
        }
        PUT_LIT("\"}\n");
    }
    bytes += olen;
    flush_out();
    if (out_fd != 1 && close(out_fd)) die(pos[0]);
    free(obuf);

    if (!quiet) {
        double dt = now_s() - t0;
        fprintf(stderr,
                "ysb_gen: %llu events (%llu views), %llu bytes in %.2f s "
                "(%.0f MB/s)\n",
                (unsigned long long)n_events, (unsigned long long)n_view,
                (unsigned long long)bytes, dt,
                dt > 0 ? (double)bytes / dt / 1e6 : 0.0);
    }
    return 0;
}
