/* state_test.c -- the state store: map operations, commit/abort/reopen,
 * maintenance, a model-based test against a reference, and damaged files. */
#include "os/os.h"
#include "state/state.h"
#include "test.h"

#include <sys/resource.h>

static sp_state_opts opts(int interval, int keep)
{
    sp_state_opts o;
    sp_state_opts_default(&o);
    o.snapshot_interval = interval;
    o.keep_versions = keep;
    return o;
}

static sp_state *open_at(const char *dir, int64_t v, const sp_state_opts *o)
{
    sp_err e;
    sp_err_clear(&e);
    sp_state *st = NULL;
    ASSERT_OK(sp_state_open(dir, v, o, &st, &e), &e);
    ASSERT_EQ_INT(sp_state_version(st), v);
    return st;
}

static void commit(sp_state *st, int64_t v)
{
    sp_err e;
    sp_err_clear(&e);
    ASSERT_OK(sp_state_commit(st, v, &e), &e);
    ASSERT_EQ_INT(sp_state_version(st), v);
}

static void maintain(sp_state *st)
{
    sp_err e;
    sp_err_clear(&e);
    ASSERT_OK(sp_state_maintain(st, &e), &e);
}

static void put_str(sp_state *st, const char *k, const char *v)
{
    ASSERT_EQ_INT(sp_state_put(st, k, strlen(k), v, strlen(v)), 0);
}

/* The value of k as a NUL-terminated string in a static buffer, or NULL. */
static const char *get_str(sp_state *st, const char *k)
{
    static char buf[4096];
    const void *v;
    size_t n;
    if (!sp_state_get(st, k, strlen(k), &v, &n)) return NULL;
    ASSERT(n < sizeof buf);
    memcpy(buf, v, n);
    buf[n] = 0;
    return buf;
}

static bool file_exists(const char *dir, const char *name)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return sp_os_exists(p);
}

/* ------------------------------------------------------------------------
 * Map operations
 * ---------------------------------------------------------------------- */

TEST(state_basic)
{
    const char *dir = test_tmpdir("st_basic");
    sp_state_opts o = opts(10, 2);
    sp_state *st = open_at(dir, -1, &o);
    ASSERT(get_str(st, "a") == NULL);
    put_str(st, "a", "1");
    put_str(st, "bb", "22");
    put_str(st, "", "empty key");
    ASSERT_EQ_STR(get_str(st, "a"), "1");
    ASSERT_EQ_STR(get_str(st, ""), "empty key");
    bool is_new = false;
    int64_t *cnt = sp_state_upsert(st, "c", 1, 8, &is_new);
    ASSERT(cnt && is_new);
    ASSERT_EQ_INT(((uintptr_t)cnt) % 8, 0); /* values are 8-byte aligned */
    ASSERT_EQ_INT(*cnt, 0);                 /* zeroed */
    *cnt += 5;
    cnt = sp_state_upsert(st, "c", 1, 8, &is_new);
    ASSERT(cnt && !is_new);
    ASSERT_EQ_INT(*cnt, 5);
    *cnt += 1;
    /* an existing entry keeps its length on upsert */
    const void *v;
    size_t n;
    ASSERT(sp_state_upsert(st, "a", 1, 100, &is_new) && !is_new);
    ASSERT(sp_state_get(st, "a", 1, &v, &n));
    ASSERT_EQ_INT(n, 1);
    /* grow (relocates), shrink (in place), empty value */
    put_str(st, "bb", "a much longer value than before, to force a move");
    ASSERT_EQ_STR(get_str(st, "bb"),
                  "a much longer value than before, to force a move");
    put_str(st, "bb", "x");
    ASSERT_EQ_STR(get_str(st, "bb"), "x");
    ASSERT_EQ_INT(sp_state_put(st, "z", 1, NULL, 0), 0);
    ASSERT_EQ_STR(get_str(st, "z"), "");
    ASSERT(sp_state_remove(st, "z", 1));
    ASSERT(!sp_state_remove(st, "z", 1));
    sp_state_metrics m;
    sp_state_get_metrics(st, &m);
    ASSERT_EQ_INT(m.n_keys, 4);
    ASSERT_EQ_INT(m.n_updated, 4);
    ASSERT_EQ_INT(m.n_removed, 0); /* z never reached a commit */
    ASSERT(m.memory_bytes > 0);
    commit(st, 0);
    sp_state_get_metrics(st, &m);
    ASSERT_EQ_INT(m.n_updated, 0);
    ASSERT(m.last_commit_bytes > 28);
    ASSERT(sp_state_remove(st, "a", 1));
    sp_state_get_metrics(st, &m);
    ASSERT_EQ_INT(m.n_removed, 1);
    commit(st, 1);
    sp_state_close(st);

    st = open_at(dir, 1, &o);
    ASSERT(get_str(st, "a") == NULL);
    ASSERT_EQ_STR(get_str(st, "bb"), "x");
    ASSERT_EQ_STR(get_str(st, ""), "empty key");
    ASSERT(sp_state_get(st, "c", 1, &v, &n));
    ASSERT_EQ_INT(n, 8);
    ASSERT_EQ_INT(*(const int64_t *)v, 6);
    sp_state_close(st);
    st = open_at(dir, 0, &o);
    ASSERT_EQ_STR(get_str(st, "a"), "1");
    sp_state_close(st);
    st = open_at(dir, -1, &o);
    sp_state_get_metrics(st, &m);
    ASSERT_EQ_INT(m.n_keys, 0);
    sp_state_close(st);
}

TEST(state_big_values)
{
    const char *dir = test_tmpdir("st_big");
    sp_state_opts o = opts(2, 2);
    sp_state *st = open_at(dir, -1, &o);
    size_t sizes[] = {300000, 1 << 20, 3 * (1 << 20) + 5, 17};
    char *buf = malloc(4 << 20);
    for (size_t i = 0; i < SP_ARRAY_LEN(sizes); i++) {
        for (size_t j = 0; j < sizes[i]; j++) buf[j] = (char)(i * 7 + j * 13);
        char k[24];
        snprintf(k, sizeof k, "big%zu", i);
        ASSERT_EQ_INT(sp_state_put(st, k, strlen(k), buf, sizes[i]), 0);
    }
    for (int i = 0; i < 1000; i++) {
        char k[24];
        snprintf(k, sizeof k, "small%d", i);
        put_str(st, k, k);
    }
    commit(st, 0);
    commit(st, 1);
    commit(st, 2);
    maintain(st); /* snapshot at 2 */
    ASSERT(file_exists(dir, "2.snapshot"));
    sp_state_close(st);
    st = open_at(dir, 2, &o);
    for (size_t i = 0; i < SP_ARRAY_LEN(sizes); i++) {
        char k[24];
        snprintf(k, sizeof k, "big%zu", i);
        const void *v;
        size_t n;
        ASSERT(sp_state_get(st, k, strlen(k), &v, &n));
        ASSERT_EQ_INT(n, sizes[i]);
        for (size_t j = 0; j < sizes[i]; j++)
            if (((const char *)v)[j] != (char)(i * 7 + j * 13))
                TEST_FAIL_("byte %zu of %s differs", j, k);
    }
    ASSERT_EQ_STR(get_str(st, "small999"), "small999");
    sp_state_close(st);
    free(buf);
}

TEST(state_iterate_and_remove)
{
    const char *dir = test_tmpdir("st_iter");
    sp_state *st = open_at(dir, -1, NULL);
    enum { N = 5000 };
    for (int i = 0; i < N; i++) {
        char k[24];
        snprintf(k, sizeof k, "%d", i);
        int64_t *p = sp_state_upsert(st, k, strlen(k), 8, NULL);
        ASSERT(p);
        *p = i;
    }
    commit(st, 0);
    static unsigned char seen[N];
    sp_state_iter it;
    sp_state_iter_init(&it, st);
    const void *k;
    size_t kl, vl;
    void *v;
    int count = 0;
    while (sp_state_iter_next(&it, &k, &kl, &v, &vl)) {
        int64_t x;
        ASSERT_EQ_INT(vl, 8);
        memcpy(&x, v, 8);
        ASSERT(x >= 0 && x < N && !seen[x]);
        seen[x] = 1;
        count++;
        if (x % 2) {
            ASSERT(sp_state_remove(st, k, kl)); /* allowed during iteration */
        } else if (x % 3 == 0) {
            ((int64_t *)v)[0] = -x; /* in place, then marked */
            ASSERT(sp_state_iter_mark(&it));
        }
    }
    ASSERT_EQ_INT(count, N);
    sp_state_metrics m;
    sp_state_get_metrics(st, &m);
    ASSERT_EQ_INT(m.n_keys, N / 2);
    ASSERT_EQ_INT(m.n_removed, N / 2);
    commit(st, 1);
    sp_state_close(st);
    st = open_at(dir, 1, NULL);
    sp_state_get_metrics(st, &m);
    ASSERT_EQ_INT(m.n_keys, N / 2);
    for (int i = 0; i < N; i++) {
        char key[24];
        snprintf(key, sizeof key, "%d", i);
        const void *val;
        size_t n;
        bool found = sp_state_get(st, key, strlen(key), &val, &n);
        ASSERT_EQ_INT(found, i % 2 == 0);
        if (found) {
            int64_t x;
            memcpy(&x, val, 8);
            ASSERT_EQ_INT(x, i % 3 == 0 ? -i : i);
        }
    }
    sp_state_close(st);
}

/* The changed-entries iterator returns exactly the entries changed since
 * the last commit, each once: through the dirty list, and through a scan
 * once a removal may have listed a slot twice; also across a rehash. The
 * hashed upsert finds what the plain one stored. */
static int count_changed(sp_state *st, unsigned char *seen, int n)
{
    memset(seen, 0, (size_t)n);
    sp_state_iter it;
    sp_state_iter_changed_init(&it, st);
    const void *k;
    size_t kl, vl;
    void *v;
    int count = 0;
    while (sp_state_iter_next(&it, &k, &kl, &v, &vl)) {
        int64_t x;
        memcpy(&x, v, 8);
        ASSERT(x >= 0 && x < n && !seen[x]);
        seen[x] = 1;
        count++;
    }
    return count;
}

TEST(state_iterate_changed)
{
    const char *dir = test_tmpdir("st_changed");
    sp_state *st = open_at(dir, -1, NULL);
    enum { N = 3000 };
    static unsigned char seen[N + 1];
    char k[24];
    for (int i = 0; i < N; i++) {
        snprintf(k, sizeof k, "k%d", i);
        int64_t *p = sp_state_upsert(st, k, strlen(k), 8, NULL);
        ASSERT(p);
        *p = i;
    }
    /* before any commit: all of them (the table rehashed several times) */
    ASSERT_EQ_INT(count_changed(st, seen, N), N);
    commit(st, 0);
    ASSERT_EQ_INT(count_changed(st, seen, N), 0);
    /* every 7th key changes, through the hashed upsert, twice */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < N; i += 7) {
            snprintf(k, sizeof k, "k%d", i);
            bool is_new = true;
            int64_t *p = sp_state_upsert_h(
                st, k, strlen(k), sp_state_hash(k, strlen(k)), 8, &is_new);
            ASSERT(p && !is_new && *p == i);
        }
    ASSERT_EQ_INT(count_changed(st, seen, N), (N + 6) / 7);
    for (int i = 0; i < N; i++) ASSERT_EQ_INT(seen[i], i % 7 == 0);
    /* removing changed keys and inserting others (may reuse their slots):
     * still each changed live entry once */
    for (int i = 0; i < N; i += 14) {
        snprintf(k, sizeof k, "k%d", i);
        ASSERT(sp_state_remove(st, k, strlen(k)));
        snprintf(k, sizeof k, "n%d", i);
        int64_t *p = sp_state_upsert(st, k, strlen(k), 8, NULL);
        ASSERT(p);
        *p = i + 1;
    }
    int want = 0;
    for (int i = 0; i < N; i++) want += i % 7 == 0 && i % 14 != 0;
    want += (N + 13) / 14;
    ASSERT_EQ_INT(count_changed(st, seen, N + 1), want);
    commit(st, 1);
    ASSERT_EQ_INT(count_changed(st, seen, N), 0);
    sp_state_close(st);
}

/* ------------------------------------------------------------------------
 * Commit, abort, versions
 * ---------------------------------------------------------------------- */

TEST(state_abort_restores_in_place_changes)
{
    const char *dir = test_tmpdir("st_abort");
    sp_err e;
    sp_err_clear(&e);
    sp_state *st = open_at(dir, -1, NULL);
    put_str(st, "x", "before");
    ASSERT_OK(sp_state_abort(st, &e), &e); /* back to the empty store */
    ASSERT(get_str(st, "x") == NULL);
    int64_t *p = sp_state_upsert(st, "n", 1, 8, NULL);
    *p = 41;
    put_str(st, "x", "kept");
    commit(st, 0);
    p = sp_state_upsert(st, "n", 1, 8, NULL);
    *p = 1000; /* in place, uncommitted */
    sp_state_remove(st, "x", 1);
    put_str(st, "y", "new");
    ASSERT_OK(sp_state_abort(st, &e), &e);
    ASSERT_EQ_INT(sp_state_version(st), 0);
    const void *v;
    size_t n;
    ASSERT(sp_state_get(st, "n", 1, &v, &n));
    ASSERT_EQ_INT(*(const int64_t *)v, 41);
    ASSERT_EQ_STR(get_str(st, "x"), "kept");
    ASSERT(get_str(st, "y") == NULL);
    sp_state_metrics m;
    sp_state_get_metrics(st, &m);
    ASSERT_EQ_INT(m.n_updated, 0);
    ASSERT_EQ_INT(m.n_removed, 0);
    /* the store works normally after an abort */
    put_str(st, "y", "after");
    commit(st, 1);
    sp_state_close(st);
    st = open_at(dir, 1, NULL);
    ASSERT_EQ_STR(get_str(st, "y"), "after");
    ASSERT_EQ_STR(get_str(st, "x"), "kept");
    sp_state_close(st);
}

TEST(state_commit_version_checked)
{
    const char *dir = test_tmpdir("st_ver");
    sp_err e;
    sp_err_clear(&e);
    sp_state *st = open_at(dir, -1, NULL);
    ASSERT_EQ_INT(sp_state_commit(st, 1, &e), SP_EINVAL);
    ASSERT(strstr(e.msg, "next is 0"));
    sp_state_close(st);
    sp_err_clear(&e);
    ASSERT_EQ_INT(sp_state_open(dir, -2, NULL, &st, &e), SP_EINVAL);
    ASSERT(st == NULL);
}

/* Recommits version 2 (re-creating 2.delta) through a reopen at 1. */
static void recommit_2(const char *dir)
{
    sp_state_opts o = opts(100, 2);
    sp_state *st = open_at(dir, 1, &o);
    put_str(st, "k2", "v");
    commit(st, 2); /* rewrites the missing 2.delta */
    sp_state_close(st);
}

TEST(state_missing_delta)
{
    const char *dir = test_tmpdir("st_missing");
    sp_state_opts o = opts(100, 2);
    sp_state *st = open_at(dir, -1, &o);
    for (int v = 0; v < 5; v++) {
        char k[24];
        snprintf(k, sizeof k, "k%d", v);
        put_str(st, k, "v");
        commit(st, v);
    }
    sp_state_close(st);
    char p[700];
    snprintf(p, sizeof p, "%s/2.delta", dir);
    ASSERT_EQ_INT(unlink(p), 0);
    sp_err e;
    sp_err_clear(&e);
    ASSERT_EQ_INT(sp_state_open(dir, 4, &o, &st, &e), SP_ENOTFOUND);
    ASSERT(st == NULL);
    ASSERT(strstr(e.msg, "2.delta is missing"));
    ASSERT(e.hint[0]);
    /* versions below the hole still load */
    st = open_at(dir, 1, &o);
    sp_state_close(st);
    /* a version never committed names its first missing delta */
    sp_err_clear(&e);
    ASSERT_EQ_INT(sp_state_open(dir, 9, &o, &st, &e), SP_ENOTFOUND);
    ASSERT(strstr(e.msg, "2.delta is missing"));
    recommit_2(dir);
    sp_err_clear(&e);
    ASSERT_EQ_INT(sp_state_open(dir, 9, &o, &st, &e), SP_ENOTFOUND);
    ASSERT(strstr(e.msg, "5.delta is missing"));
}

TEST(state_maintain_snapshots_and_deletes)
{
    const char *dir = test_tmpdir("st_maint");
    sp_state_opts o = opts(3, 2);
    sp_state *st = open_at(dir, -1, &o);
    for (int v = 0; v <= 7; v++) {
        char k[24];
        snprintf(k, sizeof k, "k%d", v);
        put_str(st, k, k);
        if (v > 0) {
            snprintf(k, sizeof k, "k%d", v - 1);
            put_str(st, k, "changed");
        }
        commit(st, v);
        maintain(st);
    }
    /* snapshots at 3 and 6; versions 6 and 7 loadable: keep 6.snapshot and
     * 7.delta */
    ASSERT(!file_exists(dir, "3.snapshot"));
    ASSERT(file_exists(dir, "6.snapshot"));
    ASSERT(file_exists(dir, "7.delta"));
    ASSERT(!file_exists(dir, "6.delta"));
    ASSERT(!file_exists(dir, "0.delta"));
    /* a temporary file of a crashed writer is ignored, then removed */
    char p[700];
    snprintf(p, sizeof p, "%s/8.delta.tmp.12345", dir);
    FILE *f = fopen(p, "w");
    fputs("junk", f);
    fclose(f);
    sp_state_close(st);
    st = open_at(dir, 7, &o);
    ASSERT_EQ_STR(get_str(st, "k7"), "k7");
    ASSERT_EQ_STR(get_str(st, "k6"), "changed");
    maintain(st);
    ASSERT(!sp_os_exists(p));
    sp_state_close(st);
    /* too old: a clear error */
    sp_err e;
    sp_err_clear(&e);
    ASSERT_EQ_INT(sp_state_open(dir, 4, &o, &st, &e), SP_ENOTFOUND);
    ASSERT(strstr(e.msg, "cannot load version 4"));
    ASSERT(strstr(e.msg, "0.delta is missing"));
    ASSERT(strstr(e.hint, "keep_versions"));
}

/* A batch re-run after reopening at an older version overwrites the newer
 * files of the first run; a stale snapshot of the first run is never used. */
TEST(state_rerun_overwrites)
{
    const char *dir = test_tmpdir("st_rerun");
    sp_state_opts o = opts(2, 10);
    sp_state *st = open_at(dir, -1, &o);
    for (int v = 0; v <= 4; v++) {
        put_str(st, "k", v == 4 ? "first run" : "old");
        commit(st, v);
        maintain(st);
    }
    ASSERT(file_exists(dir, "4.snapshot"));
    sp_state_close(st);
    st = open_at(dir, 3, &o);
    put_str(st, "k", "second run");
    commit(st, 4); /* removes the stale 4.snapshot, overwrites 4.delta */
    ASSERT(!file_exists(dir, "4.snapshot"));
    sp_state_close(st);
    st = open_at(dir, 4, &o);
    ASSERT_EQ_STR(get_str(st, "k"), "second run");
    sp_state_close(st);
}

/* A failed commit (here: file size limit) leaves no temporary file and
 * loses nothing: a retry writes every change. */
TEST(state_commit_failure_then_retry)
{
    const char *dir = test_tmpdir("st_fail");
    sp_state *st = open_at(dir, -1, NULL);
    for (int i = 0; i < 20000; i++) {
        char k[24];
        snprintf(k, sizeof k, "key%d", i);
        put_str(st, k, "some value bytes");
    }
    commit(st, 0);
    for (int i = 0; i < 20000; i += 2) {
        char k[24];
        snprintf(k, sizeof k, "key%d", i);
        put_str(st, k, "new");
    }
    sp_state_remove(st, "key1", 4);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 1000;
    ASSERT_EQ_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
    sp_err e;
    sp_err_clear(&e);
    ASSERT(sp_state_commit(st, 1, &e) != 0);
    ASSERT(strstr(e.msg, "1.delta"));
    ASSERT_EQ_INT(sp_state_version(st), 0);
    ASSERT_EQ_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
    ASSERT(!file_exists(dir, "1.delta"));
    sp_names names;
    ASSERT_OK(sp_os_list_dir(dir, false, &names, &e), &e);
    ASSERT_EQ_INT(names.n, 1); /* 0.delta only: no temporary file */
    sp_os_names_free(&names);
    sp_state_metrics m;
    sp_state_get_metrics(st, &m);
    ASSERT_EQ_INT(m.n_updated, 10000);
    ASSERT_EQ_INT(m.n_removed, 1);
    commit(st, 1);
    sp_state_close(st);
    st = open_at(dir, 1, NULL);
    ASSERT_EQ_STR(get_str(st, "key0"), "new");
    ASSERT_EQ_STR(get_str(st, "key3"), "some value bytes");
    ASSERT_EQ_STR(get_str(st, "key19998"), "new");
    ASSERT(get_str(st, "key1") == NULL);
    sp_state_close(st);
}

/* Removing most keys leaves garbage; commit compacts the heap. */
TEST(state_compaction)
{
    const char *dir = test_tmpdir("st_compact");
    sp_state *st = open_at(dir, -1, NULL);
    enum { N = 300000 }; /* > 16 MB: the chunk table grows */
    for (int i = 0; i < N; i++) {
        char k[24];
        snprintf(k, sizeof k, "key%d", i);
        put_str(st, k, "a value of some thirty bytes..");
    }
    commit(st, 0);
    sp_state_metrics m0, m1;
    sp_state_get_metrics(st, &m0);
    for (int i = 0; i < N; i++) {
        if (i % 10 == 0) continue;
        char k[24];
        snprintf(k, sizeof k, "key%d", i);
        ASSERT(sp_state_remove(st, k, strlen(k)));
    }
    commit(st, 1);
    sp_state_get_metrics(st, &m1);
    ASSERT_EQ_INT(m1.n_keys, N / 10);
    ASSERT(m1.memory_bytes * 4 < m0.memory_bytes);
    for (int i = 0; i < N; i += 10) {
        char k[24];
        snprintf(k, sizeof k, "key%d", i);
        ASSERT_EQ_STR(get_str(st, k), "a value of some thirty bytes..");
    }
    sp_state_close(st);
    st = open_at(dir, 1, NULL);
    sp_state_get_metrics(st, &m1);
    ASSERT_EQ_INT(m1.n_keys, N / 10);
    sp_state_close(st);
}

/* ------------------------------------------------------------------------
 * Model-based: random operations checked against a reference after every
 * step; every committed version of the current history is remembered, and
 * a reopen at any of them must return exactly it.
 * ---------------------------------------------------------------------- */

enum { MK = 1500, MV = 24, MAXVER = 600 };

typedef struct model {
    unsigned char present[MK];
    unsigned char len[MK];
    unsigned char val[MK][MV];
} model;

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t mkey(int i, char *buf)
{
    /* varied lengths, including binary bytes and the empty key */
    if (i == 0) return 0;
    int n = snprintf(buf, 32, "key-%d", i);
    if (i % 7 == 0) {
        buf[n++] = 0;
        buf[n++] = (char)0xff;
    }
    return (size_t)n;
}

static void model_check(sp_state *st, const model *m)
{
    size_t live = 0;
    for (int i = 0; i < MK; i++) {
        char k[32];
        size_t kl = mkey(i, k);
        const void *v;
        size_t n;
        bool found = sp_state_get(st, k, kl, &v, &n);
        if (found != (bool)m->present[i])
            TEST_FAIL_("key %d: found=%d, model says %d", i, found,
                       m->present[i]);
        if (!found) continue;
        live++;
        ASSERT_EQ_INT(n, m->len[i]);
        if (n && memcmp(v, m->val[i], n) != 0)
            TEST_FAIL_("key %d: value differs", i);
    }
    sp_state_metrics mt;
    sp_state_get_metrics(st, &mt);
    ASSERT_EQ_INT(mt.n_keys, live);
}

static void model_run(uint64_t seed, int steps)
{
    char name[64];
    snprintf(name, sizeof name, "st_model%llu", (unsigned long long)seed);
    const char *d = test_tmpdir(name);
    char dir[600];
    snprintf(dir, sizeof dir, "%s", d);
    rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
    sp_state_opts o = opts(2 + (int)(rnd() % 2), 2 + (int)(rnd() % 3));
    static model hist[MAXVER + 1]; /* hist[v + 1] = committed version v */
    static model cur;
    memset(&cur, 0, sizeof cur);
    memset(&hist[0], 0, sizeof hist[0]);
    int64_t ver = -1;   /* committed version the store holds */
    int64_t floor = -1; /* versions below may have been deleted */
    sp_state *st = open_at(dir, -1, &o);
    sp_err e;
    int n_reopen = 0, n_old = 0;
    for (int step = 0; step < steps && ver < MAXVER - 1; step++) {
        int op = (int)(rnd() % 100);
        int i = (int)(rnd() % MK);
        char k[32];
        size_t kl = mkey(i, k);
        sp_err_clear(&e);
        if (op < 35) { /* upsert, then change some bytes in place */
            size_t vl = rnd() % (MV + 1);
            bool is_new;
            unsigned char *p = sp_state_upsert(st, k, kl, vl, &is_new);
            ASSERT(p);
            ASSERT_EQ_INT(is_new, !cur.present[i]);
            if (is_new) {
                cur.present[i] = 1;
                cur.len[i] = (unsigned char)vl;
                memset(cur.val[i], 0, MV);
            }
            for (int j = 0; j < cur.len[i]; j++) {
                if (rnd() % 3) continue;
                unsigned char b = (unsigned char)rnd();
                p[j] = b;
                cur.val[i][j] = b;
            }
        } else if (op < 55) { /* put */
            size_t vl = rnd() % (MV + 1);
            unsigned char b[MV];
            for (size_t j = 0; j < vl; j++) b[j] = (unsigned char)rnd();
            ASSERT_EQ_INT(sp_state_put(st, k, kl, b, vl), 0);
            cur.present[i] = 1;
            cur.len[i] = (unsigned char)vl;
            memcpy(cur.val[i], b, vl);
        } else if (op < 70) { /* remove */
            ASSERT_EQ_INT(sp_state_remove(st, k, kl), cur.present[i]);
            cur.present[i] = 0;
        } else if (op < 80) { /* commit */
            ASSERT_OK(sp_state_commit(st, ver + 1, &e), &e);
            ver++;
            hist[ver + 1] = cur;
        } else if (op < 84) { /* abort */
            ASSERT_OK(sp_state_abort(st, &e), &e);
            cur = hist[ver + 1];
        } else if (op < 92) { /* maintain (after a commit, as the runtime) */
            ASSERT_OK(sp_state_maintain(st, &e), &e);
            if (ver - o.keep_versions + 1 > floor)
                floor = ver - o.keep_versions + 1;
        } else if (op < 97) { /* reopen at a loadable committed version */
            sp_state_close(st);
            int64_t u = floor + (int64_t)(rnd() % (uint64_t)(ver - floor + 1));
            st = open_at(dir, u, &o);
            ver = u; /* later history will be rewritten */
            cur = hist[u + 1];
            n_reopen++;
        } else if (op < 98) { /* reopen at an old version: exact or error */
            sp_state *old = NULL;
            int64_t u = (int64_t)(rnd() % (uint64_t)(ver + 2)) - 1;
            int rc = sp_state_open(dir, u, &o, &old, &e);
            if (rc == 0) {
                model_check(old, &hist[u + 1]);
                sp_state_close(old);
            } else {
                ASSERT_EQ_INT(rc, SP_ENOTFOUND);
                ASSERT(u < floor);
                n_old++;
            }
        } else { /* iterate, removing some */
            sp_state_iter it;
            sp_state_iter_init(&it, st);
            const void *ik;
            size_t ikl, ivl;
            void *iv;
            while (sp_state_iter_next(&it, &ik, &ikl, &iv, &ivl)) {
                if (rnd() % 4) continue;
                char kk[32];
                int found = -1;
                for (int j = 0; j < MK && found < 0; j++) {
                    size_t jl = mkey(j, kk);
                    if (jl == ikl && (jl == 0 || memcmp(kk, ik, jl) == 0))
                        found = j;
                }
                ASSERT(found >= 0 && cur.present[found]);
                ASSERT(sp_state_remove(st, ik, ikl));
                cur.present[found] = 0;
            }
        }
        model_check(st, &cur);
    }
    sp_state_close(st);
    /* the final committed version loads */
    if (ver >= 0) {
        st = open_at(dir, ver, &o);
        model_check(st, &hist[ver + 1]);
        sp_state_close(st);
    }
    printf("  seed %llu: %lld versions, %d reopens, %d too-old loads\n",
           (unsigned long long)seed, (long long)ver, n_reopen, n_old);
}

TEST(state_model)
{
    for (uint64_t seed = 1; seed <= 6; seed++) model_run(seed, 3000);
}

/* ------------------------------------------------------------------------
 * Damaged files
 * ---------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *n)
{
    char *data;
    sp_err e;
    sp_err_clear(&e);
    ASSERT_OK(sp_os_read_file(path, &data, n, &e), &e);
    return data;
}

static void spit(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ASSERT(f);
    ASSERT_EQ_INT(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void expect_corrupt(const char *dir, int64_t v, const sp_state_opts *o,
                           const char *fname, const char *what, size_t at)
{
    sp_state *st = NULL;
    sp_err e;
    sp_err_clear(&e);
    int rc = sp_state_open(dir, v, o, &st, &e);
    if (rc != SP_ECORRUPT)
        TEST_FAIL_("%s of %s at %zu: rc=%d (%s), want ECORRUPT", what, fname,
                   at, rc, e.msg);
    if (!strstr(e.msg, fname))
        TEST_FAIL_("%s at %zu: message does not name %s: %s", what, at, fname,
                   e.msg);
    ASSERT(strstr(e.hint, "reset-checkpoint"));
    ASSERT(st == NULL);
}

TEST(state_corruption)
{
    const char *d = test_tmpdir("st_corrupt");
    char dir[600];
    snprintf(dir, sizeof dir, "%s", d);
    sp_state_opts o = opts(2, 10);
    sp_state *st = open_at(dir, -1, &o);
    for (int i = 0; i < 40; i++) {
        char k[24], v[32];
        snprintf(k, sizeof k, "key%d", i);
        snprintf(v, sizeof v, "value-%d", i * 31);
        put_str(st, k, v);
    }
    commit(st, 0);
    commit(st, 1);
    commit(st, 2);
    maintain(st);
    for (int i = 0; i < 40; i += 3) {
        char k[24];
        snprintf(k, sizeof k, "key%d", i);
        if (i % 2)
            put_str(st, k, "changed");
        else
            sp_state_remove(st, k, strlen(k));
    }
    commit(st, 3);
    sp_state_close(st);
    const char *files[] = {"2.snapshot", "3.delta"};
    for (size_t f = 0; f < SP_ARRAY_LEN(files); f++) {
        char path[700];
        snprintf(path, sizeof path, "%s/%s", dir, files[f]);
        size_t n;
        char *good = slurp(path, &n);
        char *bad = malloc(n + 16);
        /* every byte flipped, three ways */
        const unsigned char masks[] = {0x01, 0x80, 0xff};
        for (size_t i = 0; i < n; i++) {
            for (size_t m = 0; m < SP_ARRAY_LEN(masks); m++) {
                memcpy(bad, good, n);
                bad[i] ^= (char)masks[m];
                spit(path, bad, n);
                expect_corrupt(dir, 3, &o, files[f], "flip", i);
            }
        }
        /* truncated at every length */
        for (size_t i = 0; i < n; i++) {
            spit(path, good, i);
            expect_corrupt(dir, 3, &o, files[f], "truncate", i);
        }
        /* bytes appended */
        memcpy(bad, good, n);
        memset(bad + n, 0, 16);
        spit(path, bad, n + 16);
        expect_corrupt(dir, 3, &o, files[f], "append", n);
        spit(path, good, n);
        free(bad);
        sp_free(good);
        st = open_at(dir, 3, &o);
        ASSERT_EQ_STR(get_str(st, "key1"), "value-31");
        ASSERT_EQ_STR(get_str(st, "key3"), "changed");
        ASSERT(get_str(st, "key6") == NULL);
        sp_state_close(st);
    }
    /* a file renamed to another version is caught by its header */
    char a[700], b[700];
    snprintf(a, sizeof a, "%s/3.delta", dir);
    snprintf(b, sizeof b, "%s/4.delta", dir);
    size_t n;
    char *good = slurp(a, &n);
    spit(b, good, n);
    sp_free(good);
    expect_corrupt(dir, 4, &o, "4.delta", "rename", 0);
}

/* The trailer's count is checked even when the CRC matches (a writer
 * bug, not damage in transit). */
TEST(state_count_mismatch)
{
    const char *d = test_tmpdir("st_count");
    char dir[600];
    snprintf(dir, sizeof dir, "%s", d);
    sp_state *st = open_at(dir, -1, NULL);
    put_str(st, "a", "1");
    commit(st, 0);
    sp_state_close(st);
    char path[700];
    snprintf(path, sizeof path, "%s/0.delta", dir);
    size_t n;
    char *data = slurp(path, &n);
    data[n - 12] = 2; /* count 1 -> 2, then a fresh CRC */
    uint32_t crc = sp_crc32c(0, data, n - 4);
    for (int i = 0; i < 4; i++) data[n - 4 + i] = (char)(crc >> (8 * i));
    spit(path, data, n);
    sp_free(data);
    expect_corrupt(dir, 0, NULL, "0.delta", "count", 0);
}

/* Abort reloads from disk: a damaged file makes it fail, not lie. */
TEST(state_abort_damaged)
{
    const char *d = test_tmpdir("st_abort_bad");
    char dir[600];
    snprintf(dir, sizeof dir, "%s", d);
    sp_state *st = open_at(dir, -1, NULL);
    put_str(st, "a", "1");
    commit(st, 0);
    put_str(st, "a", "2");
    char path[700];
    snprintf(path, sizeof path, "%s/0.delta", dir);
    spit(path, "SPST", 4);
    sp_err e;
    sp_err_clear(&e);
    ASSERT_EQ_INT(sp_state_abort(st, &e), SP_ECORRUPT);
    ASSERT(strstr(e.msg, "0.delta"));
    sp_state_close(st);
    /* an empty directory holds no version */
    d = test_tmpdir("st_empty");
    snprintf(dir, sizeof dir, "%s", d);
    sp_err_clear(&e);
    ASSERT_EQ_INT(sp_state_open(dir, 3, NULL, &st, &e), SP_ENOTFOUND);
    ASSERT(strstr(e.detail, "no state files"));
}

int main(int argc, char **argv)
{
    return test_main(argc, argv,
                     (test_case[]){
                         TEST_CASE(state_basic),
                         TEST_CASE(state_big_values),
                         TEST_CASE(state_iterate_and_remove),
                         TEST_CASE(state_iterate_changed),
                         TEST_CASE(state_abort_restores_in_place_changes),
                         TEST_CASE(state_commit_version_checked),
                         TEST_CASE(state_missing_delta),
                         TEST_CASE(state_maintain_snapshots_and_deletes),
                         TEST_CASE(state_rerun_overwrites),
                         TEST_CASE(state_commit_failure_then_retry),
                         TEST_CASE(state_compaction),
                         TEST_CASE(state_model),
                         TEST_CASE(state_corruption),
                         TEST_CASE(state_count_mismatch),
                         TEST_CASE(state_abort_damaged),
                         {0},
                     });
}
