/*
 * kv_gen.c -- writes {"k":<int>,"v":<int>} JSON lines for the
 * high-cardinality aggregation workload of bench/run.sh, deterministically
 * for a seed.
 *
 *   kv_gen [--keys K] [--quiet] OUT N SEED
 *
 * Rows come in passes of K rows; each pass is a fresh random permutation
 * of the keys 0..K-1, so with N >= K every key occurs (N = m*K: each key
 * exactly m times) and the key order is random. v is uniform in
 * [0, 1000000). Default K = 1000000.
 *
 * OUT may be '-' for standard output. The same N, K and SEED always give
 * the same bytes. Depends only on libc; writes 1 MiB buffers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE (1u << 20)
#define MAX_LINE 64

#define GEN_NAME "kv_gen"
#include "genout.h"

static void usage(FILE *f)
{
    fputs("usage: kv_gen [--keys K] [--quiet] OUT N SEED\n"
          "Writes N {\"k\":..,\"v\":..} JSON lines to OUT ('-' = stdout):\n"
          "passes of K rows, each a random permutation of keys 0..K-1.\n",
          f);
}

int main(int argc, char **argv)
{
    uint64_t keys = 1000000, n_rows, seed;
    int quiet = 0;
    const char *pos[3];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--keys") && i + 1 < argc) {
            if (parse_u64(argv[++i], &keys) || keys == 0 || keys > UINT32_MAX) {
                fprintf(stderr, "kv_gen: bad --keys\n");
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

    uint32_t *perm = malloc(keys * sizeof *perm);
    obuf = malloc(BUF_SIZE);
    if (!perm || !obuf) die("malloc");
    for (uint64_t i = 0; i < keys; i++) perm[i] = (uint32_t)i;

    out_name = pos[0];
    if (!strcmp(pos[0], "-")) {
        out_fd = 1;
    } else {
        out_fd = open(pos[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out_fd < 0) die(pos[0]);
    }
    uint64_t bytes = 0;
    for (uint64_t i = 0; i < n_rows; i++) {
        uint64_t j = i % keys;
        if (j == 0) /* a new pass: reshuffle (Fisher-Yates) */
            for (uint64_t a = keys - 1; a > 0; a--) {
                uint32_t b = rng_below((uint32_t)(a + 1));
                uint32_t t = perm[a];
                perm[a] = perm[b];
                perm[b] = t;
            }
        if (olen > BUF_SIZE - MAX_LINE) {
            bytes += olen;
            flush_out();
        }
        put("{\"k\":", 5);
        put_u64(perm[j]);
        put(",\"v\":", 5);
        put_u64(rng_below(1000000));
        put("}\n", 2);
    }
    bytes += olen;
    flush_out();
    if (out_fd != 1 && close(out_fd)) die(pos[0]);
    free(obuf);
    free(perm);
    if (!quiet)
        fprintf(stderr, "kv_gen: %llu rows, %llu keys, %llu bytes\n",
                (unsigned long long)n_rows,
                (unsigned long long)(n_rows < keys ? n_rows : keys),
                (unsigned long long)bytes);
    return 0;
}
