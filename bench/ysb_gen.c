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
 * ip_address is a random dotted quad. The ids are drawn as spate's `ysb`
 * source draws them (src/io/ysb_model.h), so for the same seed the
 * campaigns table joins every ad id of that source.
 *
 * Options:
 *   --rate R          events per second of event time (default 100000)
 *   --start-ms T      event_time of the first event (default 1700000000000)
 *   --campaigns FILE  also write the campaigns table as CSV with a header:
 *                     ad_id,campaign_id (one row per ad)
 *   --n-campaigns C   campaigns (default 100)
 *   --ads-per-campaign A  ads per campaign (default 10)
 *   --indexed         the events of spate's `ysb` source (same seed, rate,
 *                     start and campaigns): event i a pure function of
 *                     (SEED, i), ip_address from its pool of 4096
 *                     addresses. Without it, the events come from one
 *                     sequential random stream (the bench's JSON files).
 *   --counts FILE     also write the YSB query's answer, computed here by
 *                     brute force: views per campaign per 10 s tumbling
 *                     window, one JSON line per non-empty group, as spate's
 *                     file sink writes `SELECT c.campaign_id, window(..,
 *                     '10 seconds') AS w, count(*) AS views`:
 *                     {"campaign_id":"..","w":{"start":"2023-11-14T22:13:20.000Z",
 *                      "end":".."},"views":N}
 *   --no-events       write no events (OUT is not opened): for --counts
 *                     or --campaigns alone
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

#define UUID_LEN  SP_YSB_UUID_LEN
#define BUF_SIZE  (1u << 20)
#define MAX_LINE  512
#define WINDOW_MS 10000 /* the YSB query's tumbling window */

#define GEN_NAME "ysb_gen"
#include "genout.h"
#include "io/ysb_model.h"

/* ---- output ------------------------------------------------------------- */

#define PUT_LIT(s) put(s, sizeof(s) - 1)

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
    fputs("usage: ysb_gen [--rate R] [--start-ms T] [--campaigns FILE]\n"
          "               [--n-campaigns C] [--ads-per-campaign A] "
          "[--indexed]\n"
          "               [--counts FILE] [--no-events] [--quiet] OUT N "
          "SEED\n"
          "Writes N YSB ad events as JSON lines to OUT ('-' = stdout),\n"
          "deterministically for SEED. --campaigns also writes the\n"
          "ad_id,campaign_id table (CSV with header); --indexed writes the\n"
          "events of spate's ysb source; --counts writes the views per\n"
          "campaign per 10 s window (the YSB query's answer).\n",
          f);
}

/* One event's draws: indices into the tables, and the ip address (either
 * a 32-bit value to format, or an index into the indexed pool). */
typedef struct event {
    uint32_t user, page, ad, ad_type, event_type;
    uint64_t ip;
} event;

/* The ISO form spate writes for a TIMESTAMP in JSON. */
static void iso_ms(uint64_t ms, char *buf, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + k, n - k, ".%03uZ", (unsigned)(ms % 1000));
}

int main(int argc, char **argv)
{
    uint64_t rate = 100000, start_ms = 1700000000000ULL;
    uint64_t n_campaigns = 100, ads_per = 10;
    const char *campaigns_path = NULL, *counts_path = NULL;
    int quiet = 0, indexed = 0, no_events = 0;
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
        } else if (!strcmp(a, "--n-campaigns") && i + 1 < argc) {
            if (parse_u64(argv[++i], &n_campaigns) || n_campaigns == 0) {
                fprintf(stderr, "ysb_gen: bad --n-campaigns\n");
                return 2;
            }
        } else if (!strcmp(a, "--ads-per-campaign") && i + 1 < argc) {
            if (parse_u64(argv[++i], &ads_per) || ads_per == 0) {
                fprintf(stderr, "ysb_gen: bad --ads-per-campaign\n");
                return 2;
            }
        } else if (!strcmp(a, "--campaigns") && i + 1 < argc) {
            campaigns_path = argv[++i];
        } else if (!strcmp(a, "--counts") && i + 1 < argc) {
            counts_path = argv[++i];
        } else if (!strcmp(a, "--indexed")) {
            indexed = 1;
        } else if (!strcmp(a, "--no-events")) {
            no_events = 1;
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
    if (n_campaigns * ads_per > (1u << 24)) {
        fprintf(stderr, "ysb_gen: at most 16777216 ads\n");
        return 2;
    }
    const uint32_t n_ads = (uint32_t)(n_campaigns * ads_per);

    /* The fixed tables, drawn first so they depend on the seed only (the
     * ysb source draws the same; ysb_model.h). */
    sp_ysb_rng rng;
    char *campaigns = malloc(n_campaigns * UUID_LEN);
    char *ads = malloc((size_t)n_ads * UUID_LEN);
    static char users[SP_YSB_USERS][UUID_LEN], pages[SP_YSB_PAGES][UUID_LEN];
    if (!campaigns || !ads) die("malloc");
    sp_ysb_tables(&rng, seed, (uint32_t)n_campaigns, (uint32_t)ads_per,
                  campaigns, ads, users[0], pages[0]);
    for (int i = 0; i < 256; i++)
        octet_len[i] = (unsigned char)snprintf(octet_txt[i], 4, "%d", i);
    /* --indexed: the source's pool of addresses */
    const uint64_t key = sp_ysb_key(seed);
    static char ip_txt[SP_YSB_IPS][16];
    static unsigned char ip_len[SP_YSB_IPS];
    if (indexed)
        for (uint32_t i = 0; i < SP_YSB_IPS; i++)
            ip_len[i] = (unsigned char)sp_ysb_ip(key, i, ip_txt[i]);

    size_t ad_type_len[5], event_type_len[3];
    for (int i = 0; i < 5; i++) ad_type_len[i] = strlen(sp_ysb_ad_types[i]);
    for (int i = 0; i < 3; i++)
        event_type_len[i] = strlen(sp_ysb_event_types[i]);

    obuf = malloc(BUF_SIZE);
    if (!obuf) die("malloc");

    if (campaigns_path) {
        out_name = campaigns_path;
        out_fd = open(campaigns_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                      0644);
        if (out_fd < 0) die(campaigns_path);
        PUT_LIT("ad_id,campaign_id\n");
        for (uint32_t i = 0; i < n_ads; i++) {
            put(ads + (size_t)i * UUID_LEN, UUID_LEN);
            PUT_LIT(",");
            put(campaigns + (size_t)(i / ads_per) * UUID_LEN, UUID_LEN);
            PUT_LIT("\n");
        }
        flush_out();
        if (close(out_fd)) die(campaigns_path);
    }

    /* --counts: views per campaign and window, by brute force */
    uint64_t *counts = NULL, win0 = start_ms / WINDOW_MS, n_win = 0;
    if (counts_path && n_events) {
        uint64_t last = sp_ysb_time_ms(start_ms, rate, n_events - 1);
        n_win = last / WINDOW_MS - win0 + 1;
        if (n_win > (1u << 26) / n_campaigns) {
            fprintf(stderr, "ysb_gen: --counts: too many windows (%llu)\n",
                    (unsigned long long)n_win);
            return 2;
        }
        counts = calloc(n_win * n_campaigns, sizeof *counts);
        if (!counts) die("calloc");
    }

    out_name = pos[0];
    if (no_events) {
        out_fd = -1;
    } else if (!strcmp(pos[0], "-")) {
        out_fd = 1;
    } else {
        out_fd = open(pos[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out_fd < 0) die(pos[0]);
    }

    double t0 = now_s();
    uint64_t bytes = 0, n_view = 0;
    for (uint64_t i = 0; i < n_events; i++) {
        event e;
        if (indexed) {
            uint64_t w0 = sp_ysb_word(key, i, 0), w1 = sp_ysb_word(key, i, 1);
            uint64_t w2 = sp_ysb_word(key, i, 2);
            e.ad = sp_ysb_hi(w0, n_ads);
            e.event_type = sp_ysb_lo(w0, 3);
            e.user = sp_ysb_hi(w1, SP_YSB_USERS);
            e.page = sp_ysb_lo(w1, SP_YSB_PAGES);
            e.ad_type = sp_ysb_hi(w2, 5);
            e.ip = sp_ysb_ip_index(w2);
        } else {
            e.user = sp_ysb_rng_below(&rng, SP_YSB_USERS);
            e.page = sp_ysb_rng_below(&rng, SP_YSB_PAGES);
            e.ad = sp_ysb_rng_below(&rng, n_ads);
            e.ad_type = sp_ysb_rng_below(&rng, 5);
            e.event_type = sp_ysb_rng_below(&rng, 3);
            e.ip = sp_ysb_rng_next(&rng);
        }
        uint64_t ts = sp_ysb_time_ms(start_ms, rate, i);
        if (e.event_type == 0) {
            n_view++;
            if (counts)
                counts[(ts / WINDOW_MS - win0) * n_campaigns +
                       e.ad / ads_per]++;
        }
        if (no_events) continue;
        if (olen > BUF_SIZE - MAX_LINE) {
            bytes += olen;
            flush_out();
        }
        PUT_LIT("{\"user_id\":\"");
        put(users[e.user], UUID_LEN);
        PUT_LIT("\",\"page_id\":\"");
        put(pages[e.page], UUID_LEN);
        PUT_LIT("\",\"ad_id\":\"");
        put(ads + (size_t)e.ad * UUID_LEN, UUID_LEN);
        PUT_LIT("\",\"ad_type\":\"");
        put(sp_ysb_ad_types[e.ad_type], ad_type_len[e.ad_type]);
        PUT_LIT("\",\"event_type\":\"");
        put(sp_ysb_event_types[e.event_type], event_type_len[e.event_type]);
        PUT_LIT("\",\"event_time\":");
        put_u64(ts);
        PUT_LIT(",\"ip_address\":\"");
        if (indexed) {
            put(ip_txt[e.ip], ip_len[e.ip]);
        } else {
            for (int k = 0; k < 4; k++) {
                unsigned o = (unsigned)(e.ip >> (8 * k)) & 255;
                if (k) PUT_LIT(".");
                put(octet_txt[o], octet_len[o]);
            }
        }
        PUT_LIT("\"}\n");
    }
    if (!no_events) {
        bytes += olen;
        flush_out();
        if (out_fd != 1 && close(out_fd)) die(pos[0]);
    }

    if (counts_path) {
        out_name = counts_path;
        out_fd =
            open(counts_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out_fd < 0) die(counts_path);
        char ws[40], we[40];
        for (uint64_t w = 0; w < n_win; w++) {
            iso_ms((win0 + w) * WINDOW_MS, ws, sizeof ws);
            iso_ms((win0 + w + 1) * WINDOW_MS, we, sizeof we);
            for (uint64_t c = 0; c < n_campaigns; c++) {
                uint64_t v = counts[w * n_campaigns + c];
                if (!v) continue;
                if (olen > BUF_SIZE - MAX_LINE) flush_out();
                PUT_LIT("{\"campaign_id\":\"");
                put(campaigns + c * UUID_LEN, UUID_LEN);
                PUT_LIT("\",\"w\":{\"start\":\"");
                put(ws, strlen(ws));
                PUT_LIT("\",\"end\":\"");
                put(we, strlen(we));
                PUT_LIT("\"},\"views\":");
                put_u64(v);
                PUT_LIT("}\n");
            }
        }
        flush_out();
        if (close(out_fd)) die(counts_path);
    }
    free(counts);
    free(obuf);
    free(campaigns);
    free(ads);

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
