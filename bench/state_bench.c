/*
 * state_bench.c -- micro benchmark of the state store (src/state).
 *
 * N keys of 16 bytes with 16-byte values (default 1M), one store:
 *   - insert N new keys through sp_state_upsert (Mops/s), memory overhead
 *     per key beyond the 32 key+value bytes, from sp_state_get_metrics
 *     memory_bytes and from the process RSS;
 *   - commit with N dirty keys (version 0);
 *   - update N existing keys in place (Mops/s), random gets (Mops/s);
 *   - commit with 1% dirty keys; snapshot (maintain); two more 1% commits;
 *   - reopen from snapshot + 2 deltas (recovery time).
 * Commits fsync; the figures depend on the disk under DIR.
 *
 * Usage: state_bench [N] [DIR]   (default 1000000, /tmp/spate-state-bench)
 */
#include "core/core.h"
#include "os/os.h"
#include "state/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long rss_bytes(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    fclose(f);
    return rss * sysconf(_SC_PAGESIZE);
}

static void make_key(uint64_t i, unsigned char k[16])
{
    uint64_t a = i, b = sp_hash_u64(i + 1);
    memcpy(k, &a, 8);
    memcpy(k + 8, &b, 8);
}

static void die(const char *what, const sp_err *e)
{
    fprintf(stderr, "state_bench: %s: %s\n", what, e->msg);
    exit(1);
}

static void commit(sp_state *st, int64_t v, const char *label)
{
    sp_err e;
    sp_err_clear(&e);
    sp_state_metrics m;
    sp_state_get_metrics(st, &m);
    double t = now_s();
    if (sp_state_commit(st, v, &e)) die("commit", &e);
    t = now_s() - t;
    sp_state_get_metrics(st, &m);
    printf("commit %-26s %8.1f ms  (%.1f MB delta)\n", label, t * 1e3,
           (double)m.last_commit_bytes / 1e6);
}

static void dirty_some(sp_state *st, uint64_t n, uint64_t count, uint64_t *rng)
{
    unsigned char k[16];
    for (uint64_t j = 0; j < count; j++) {
        *rng = sp_hash_u64(*rng + j);
        make_key(*rng % n, k);
        uint64_t *v = sp_state_upsert(st, k, 16, 16, NULL);
        v[0]++;
    }
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    const char *dir = argc > 2 ? argv[2] : "/tmp/spate-state-bench";
    sp_err e;
    sp_err_clear(&e);
    if (sp_os_remove_tree(dir, &e)) die("cleanup", &e);
    sp_state_opts o;
    sp_state_opts_default(&o);
    o.snapshot_interval = 2;
    o.keep_versions = 2;
    long rss0 = rss_bytes();
    sp_state *st;
    if (sp_state_open(dir, -1, &o, &st, &e)) die("open", &e);
    printf("state_bench: %llu keys of 16 bytes, 16-byte values, in %s\n",
           (unsigned long long)n, dir);

    unsigned char k[16];
    double t = now_s();
    for (uint64_t i = 0; i < n; i++) {
        make_key(i, k);
        uint64_t *v = sp_state_upsert(st, k, 16, 16, NULL);
        if (!v) {
            fprintf(stderr, "state_bench: out of memory\n");
            return 1;
        }
        v[0] = i;
        v[1] = i * 3;
    }
    t = now_s() - t;
    printf("insert (upsert, new keys)        %8.2f Mops/s\n", n / t / 1e6);
    sp_state_metrics m;
    sp_state_get_metrics(st, &m);
    double payload = 32.0 * (double)n;
    printf("memory before commit (metrics)   %8.1f B/key overhead "
           "(dirty list included)\n",
           ((double)m.memory_bytes - payload) / (double)n);
    commit(st, 0, "(all keys dirty)");
    sp_state_get_metrics(st, &m);
    long rss = rss_bytes();
    printf("memory (metrics memory_bytes)    %8.1f B/key overhead "
           "(%.1f MB total)\n",
           ((double)m.memory_bytes - payload) / (double)n,
           (double)m.memory_bytes / 1e6);
    printf("memory (RSS growth)              %8.1f B/key overhead "
           "(%.1f MB)\n",
           ((double)(rss - rss0) - payload) / (double)n,
           (double)(rss - rss0) / 1e6);

    t = now_s();
    for (uint64_t i = 0; i < n; i++) {
        make_key(i, k);
        uint64_t *v = sp_state_upsert(st, k, 16, 16, NULL);
        v[1] += 1;
    }
    t = now_s() - t;
    printf("update in place (upsert, hit)    %8.2f Mops/s\n", n / t / 1e6);
    commit(st, 1, "(all keys dirty again)");

    uint64_t rng = 42, hits = 0;
    t = now_s();
    for (uint64_t i = 0; i < n; i++) {
        rng = sp_hash_u64(rng + i);
        make_key(rng % n, k);
        const void *v;
        size_t vl;
        hits += sp_state_get(st, k, 16, &v, &vl);
    }
    t = now_s() - t;
    printf("get (random, hit)                %8.2f Mops/s (%llu hits)\n",
           n / t / 1e6, (unsigned long long)hits);

    uint64_t few = n / 100 ? n / 100 : 1;
    dirty_some(st, n, few, &rng);
    commit(st, 2, "(1% dirty)");
    t = now_s();
    if (sp_state_maintain(st, &e)) die("maintain", &e);
    printf("snapshot (maintain at 2)         %8.1f ms\n", (now_s() - t) * 1e3);
    dirty_some(st, n, few, &rng);
    commit(st, 3, "(1% dirty)");
    dirty_some(st, n, few, &rng);
    commit(st, 4, "(1% dirty)");
    sp_state_close(st);

    t = now_s();
    if (sp_state_open(dir, 4, &o, &st, &e)) die("reopen", &e);
    t = now_s() - t;
    sp_state_get_metrics(st, &m);
    printf("open at 4 (snapshot 2 + 2 deltas) %7.1f ms (%llu keys, "
           "%.1f B/key overhead)\n",
           t * 1e3, (unsigned long long)m.n_keys,
           ((double)m.memory_bytes - payload) / (double)n);
    sp_state_close(st);
    return 0;
}
