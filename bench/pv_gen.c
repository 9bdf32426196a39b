/*
 * pv_gen.c -- writes page views as JSON lines for the `pageview` workload
 * of bench/run.sh (the running page-view count per URL of the README's
 * demo), deterministically for a seed, spread over several files so that
 * a streaming query can take one file per micro-batch.
 *
 *   pv_gen [--urls U] [--files F] [--quiet] OUTDIR N SEED
 *
 * Writes OUTDIR/pv-00000.json .. pv-<F-1>.json with N rows in all (the
 * first N % F files get one row more). A row is
 *   {"ts":<ms>,"user_id":"u<k>","url":"/page/<r>","event_type":"view"}
 * with ts rising 1 ms per row from 2026-01-01T00:00:00Z, user k uniform in
 * [0, 100000), the URL's rank r Zipf-distributed (exponent 1) over U URLs
 * (default 100000: a few hot pages, a long tail), and event_type "click"
 * for one row in ten. The same arguments always give the same bytes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUF_SIZE (1u << 20)
#define MAX_LINE 128

#define GEN_NAME "pv_gen"
#include "genout.h"

#define T0_MS 1767225600000ULL /* 2026-01-01T00:00:00Z */

static void usage(FILE *f)
{
    fputs("usage: pv_gen [--urls U] [--files F] [--quiet] OUTDIR N SEED\n"
          "Writes N page views as JSON lines into F files (default 50) in\n"
          "OUTDIR: {\"ts\",\"user_id\",\"url\",\"event_type\"}, URLs Zipf over "
          "U\n"
          "(default 100000).\n",
          f);
}

/* The rank (0-based) whose cumulative weight first exceeds u in [0, 1). */
static uint32_t zipf_pick(const double *cdf, uint32_t n, double u)
{
    uint32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

int main(int argc, char **argv)
{
    uint64_t urls = 100000, files = 50, n_rows, seed;
    int quiet = 0;
    const char *pos[3];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--urls") && i + 1 < argc) {
            if (parse_u64(argv[++i], &urls) || urls == 0 || urls > UINT32_MAX) {
                fprintf(stderr, "pv_gen: bad --urls (1 .. 4294967295)\n");
                return 2;
            }
        } else if (!strcmp(a, "--files") && i + 1 < argc) {
            if (parse_u64(argv[++i], &files) || files == 0 || files > 99999) {
                fprintf(stderr, "pv_gen: bad --files (1 .. 99999)\n");
                return 2;
            }
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
    if (npos != 3 || parse_u64(pos[1], &n_rows) || parse_u64(pos[2], &seed)) {
        usage(stderr);
        return 2;
    }
    rng_seed(seed);
    if (mkdir(pos[0], 0755) != 0 && errno != EEXIST) die(pos[0]);

    double *cdf = malloc(urls * sizeof *cdf);
    obuf = malloc(BUF_SIZE);
    if (!cdf || !obuf) die("malloc");
    double sum = 0;
    for (uint64_t r = 0; r < urls; r++) sum += 1.0 / (double)(r + 1);
    double acc = 0;
    for (uint64_t r = 0; r < urls; r++) {
        acc += 1.0 / (double)(r + 1) / sum;
        cdf[r] = acc;
    }
    cdf[urls - 1] = 2.0; /* every u < 1 lands */

    uint64_t bytes = 0, row = 0;
    char path[4096];
    for (uint64_t f = 0; f < files; f++) {
        uint64_t n = n_rows / files + (f < n_rows % files ? 1 : 0);
        snprintf(path, sizeof path, "%s/pv-%05llu.json", pos[0],
                 (unsigned long long)f);
        out_name = path;
        out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out_fd < 0) die(path);
        for (uint64_t i = 0; i < n; i++, row++) {
            if (olen > BUF_SIZE - MAX_LINE) {
                bytes += olen;
                flush_out();
            }
            double u = (double)(rng_next() >> 11) * 0x1.0p-53;
            uint32_t r = zipf_pick(cdf, (uint32_t)urls, u);
            put("{\"ts\":", 6);
            put_u64(T0_MS + row);
            put(",\"user_id\":\"u", 13);
            put_u64(rng_below(100000));
            put("\",\"url\":\"/page/", 15);
            put_u64(r);
            if (rng_below(10) == 0)
                put("\",\"event_type\":\"click\"}\n", 24);
            else
                put("\",\"event_type\":\"view\"}\n", 23);
        }
        bytes += olen;
        flush_out();
        if (close(out_fd)) die(path);
    }
    free(obuf);
    free(cdf);
    if (!quiet)
        fprintf(stderr, "pv_gen: %llu rows in %llu files, %llu bytes\n",
                (unsigned long long)n_rows, (unsigned long long)files,
                (unsigned long long)bytes);
    return 0;
}
