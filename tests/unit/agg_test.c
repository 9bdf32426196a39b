/* agg_test.c -- variable-size aggregate states (src/exec/agg_var.c):
 * updates with NULLs, merge exactness (count(DISTINCT) as a union,
 * percentile lists as a concatenation, first/last order), the stored form
 * (store -> load -> merge round trips), and percentile interpolation edge
 * cases (one value, two values, p = 0, p = 1, ties, empty). */
#include "exec/agg.h"
#include "test.h"

#include <math.h>

static sp_arena *A;

static sp_agg mk(const char *name, bool distinct, sp_type t, double p)
{
    sp_agg a;
    sp_err e;
    sp_err_clear(&e);
    ASSERT_OK(sp_agg_resolve(name, false, distinct, t, &a, &e), &e);
    ASSERT(a.var);
    a.offset = 0;
    a.arg = 0;
    if (strcmp(name, "median") != 0) a.param = p;
    return a;
}

/* A working value of one variable state: an 8-byte slot. */
typedef struct work {
    uint64_t slot;
} work;

static void feed_i64(const sp_agg *a, work *w, const int64_t *v,
                     const bool *nul, int n)
{
    sp_vec x;
    ASSERT(sp_vec_alloc(&x, a->arg_type, (uint32_t)n, true, A) == 0);
    uint8_t **states = sp_arena_alloc(A, (size_t)n * sizeof *states);
    uint32_t *rows = sp_arena_alloc(A, (size_t)n * sizeof *rows);
    for (int i = 0; i < n; i++) {
        x.d.i64[i] = v[i];
        x.nulls[i] = nul && nul[i];
        states[i] = (uint8_t *)w;
        rows[i] = (uint32_t)i;
    }
    sp_buf scratch;
    sp_buf_init(&scratch);
    ASSERT(sp_agg_var_update(a, states, &x, rows, (uint32_t)n, &scratch) == 0);
    sp_buf_free(&scratch);
}

static void feed_f64(const sp_agg *a, work *w, const double *v, int n)
{
    int64_t *bits = sp_arena_alloc(A, (size_t)n * 8);
    bool *nul = sp_arena_alloc(A, (size_t)n);
    for (int i = 0; i < n; i++) {
        nul[i] = isnan(v[i]) && signbit(v[i]); /* -NaN marks a NULL */
        memcpy(&bits[i], &v[i], 8);
    }
    feed_i64(a, w, bits, nul, n);
}

/* strings: NULL pointer = SQL NULL */
static void feed_str(const sp_agg *a, work *w, const char *const *v, int n)
{
    sp_vec x;
    ASSERT(sp_vec_alloc(&x, SP_T_VARCHAR, (uint32_t)n, true, A) == 0);
    uint8_t **states = sp_arena_alloc(A, (size_t)n * sizeof *states);
    uint32_t *rows = sp_arena_alloc(A, (size_t)n * sizeof *rows);
    for (int i = 0; i < n; i++) {
        x.nulls[i] = v[i] == NULL;
        x.d.str[i] =
            v[i] ? sp_str_make(v[i], strlen(v[i])) : sp_str_make("", 0);
        states[i] = (uint8_t *)w;
        rows[i] = (uint32_t)i;
    }
    sp_buf scratch;
    sp_buf_init(&scratch);
    ASSERT(sp_agg_var_update(a, states, &x, rows, (uint32_t)n, &scratch) == 0);
    sp_buf_free(&scratch);
}

/* Stores w (into the arena) and finalizes it. */
static sp_vec final_of(const sp_agg *a, work *w)
{
    size_t n = sp_aggv_stored_size(a, 1, 8, (uint8_t *)w);
    uint8_t *buf = sp_arena_alloc(A, n + 8);
    sp_aggv_store(a, 1, 8, (uint8_t *)w, buf);
    sp_vec out;
    ASSERT(sp_vec_alloc(&out, a->ret_type, 1, true, A) == 0);
    sp_agg_final(a, buf, &out, 0);
    return out;
}

/* Stores w and loads it back into a fresh working value (w is freed). */
static work roundtrip(const sp_agg *a, work *w)
{
    size_t n = sp_aggv_stored_size(a, 1, 8, (uint8_t *)w);
    uint8_t *buf = sp_arena_alloc(A, n + 8);
    sp_aggv_store(a, 1, 8, (uint8_t *)w, buf);
    sp_aggv_free(a, 1, (uint8_t *)w);
    work r = {0};
    ASSERT(sp_aggv_load(a, 1, 8, buf, n, (uint8_t *)&r) == 0);
    return r;
}

static double pct_of(const sp_agg *a, work *w)
{
    sp_vec v = final_of(a, w);
    return v.nulls[0] ? NAN : v.d.f64[0];
}

static double pct(const double *v, int n, double p)
{
    sp_agg a = mk("percentile", false, SP_T_DOUBLE, p);
    work w = {0};
    feed_f64(&a, &w, v, n);
    double r = pct_of(&a, &w);
    sp_aggv_free(&a, 1, (uint8_t *)&w);
    return r;
}

TEST(percentile_edges)
{
    A = sp_arena_create(1 << 16);
    double one[] = {7};
    ASSERT_EQ_DBL(pct(one, 1, 0), 7);
    ASSERT_EQ_DBL(pct(one, 1, 0.5), 7);
    ASSERT_EQ_DBL(pct(one, 1, 1), 7);
    double two[] = {2, 1};
    ASSERT_EQ_DBL(pct(two, 2, 0), 1);
    ASSERT_EQ_DBL(pct(two, 2, 1), 2);
    ASSERT_EQ_DBL(pct(two, 2, 0.5), 1.5);
    ASSERT_EQ_DBL(pct(two, 2, 0.25), 1.25);
    /* Spark's formula exactly: (hi - pos) * lo + (pos - lo) * hi */
    ASSERT(pct(two, 2, 0.3) == (1 - 0.3) * 1 + (0.3 - 0) * 2);
    double four[] = {10, 50, 30, 20};
    ASSERT_EQ_DBL(pct(four, 4, 0.5), 25);
    ASSERT_EQ_DBL(pct(four, 4, 0.25), 17.5);
    ASSERT_EQ_DBL(pct(four, 4, 1), 50);
    ASSERT_EQ_DBL(pct(four, 4, 0), 10);
    /* ties: no interpolation between equal keys */
    double ties[] = {3, 3, 3, 9};
    ASSERT(pct(ties, 4, 0.4) == 3);
    /* NULLs are ignored; only NULLs (or nothing): NULL */
    double nul = -NAN;
    double with_null[] = {nul, 4, nul, 6};
    ASSERT_EQ_DBL(pct(with_null, 4, 0.5), 5);
    double only_null[] = {nul, nul};
    ASSERT(isnan(pct(only_null, 2, 0.5)));
    ASSERT(isnan(pct(NULL, 0, 0.5)));
    /* negatives and a NaN (largest in Spark's order) */
    double neg[] = {-1, NAN, -3};
    ASSERT_EQ_DBL(pct(neg, 3, 0.5), -1);
    ASSERT_EQ_DBL(pct(neg, 3, 0), -3);
    ASSERT(isnan(pct(neg, 3, 1)));
    /* median of BIGINT: converted to double */
    sp_agg m = mk("median", false, SP_T_BIGINT, 0);
    ASSERT(m.param == 0.5);
    ASSERT_EQ_INT(m.ret_type, SP_T_DOUBLE);
    work w = {0};
    int64_t iv[] = {1, 2, 4, 100};
    feed_i64(&m, &w, iv, NULL, 4);
    ASSERT_EQ_DBL(pct_of(&m, &w), 3);
    sp_aggv_free(&m, 1, (uint8_t *)&w);
    sp_arena_destroy(A);
}

TEST(percentile_merge_exact)
{
    A = sp_arena_create(1 << 16);
    const double ps[] = {0, 0.01, 0.1, 0.25, 0.333, 0.5, 0.77, 0.9, 0.999, 1};
    uint64_t seed = 12345;
    for (int round = 0; round < 20; round++) {
        int n = 1 + round * 37;
        double *v = sp_arena_alloc(A, (size_t)n * 8);
        for (int i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            v[i] = (double)((seed >> 33) % 1000) / 8 - 30;
        }
        for (size_t pi = 0; pi < SP_ARRAY_LEN(ps); pi++) {
            sp_agg a = mk("percentile", false, SP_T_DOUBLE, ps[pi]);
            double want = pct(v, n, ps[pi]);
            /* three partials of uneven sizes, one through the stored form */
            int c1 = n / 3, c2 = n / 2;
            work p1 = {0}, p2 = {0}, p3 = {0}, dst = {0};
            feed_f64(&a, &p1, v, c1);
            feed_f64(&a, &p2, v + c1, c2 - c1);
            feed_f64(&a, &p3, v + c2, n - c2);
            p2 = roundtrip(&a, &p2);
            ASSERT(sp_aggv_merge(&a, 1, (uint8_t *)&dst, (uint8_t *)&p3,
                                 true) == 0);
            ASSERT(p3.slot == 0); /* stolen */
            ASSERT(sp_aggv_merge(&a, 1, (uint8_t *)&dst, (uint8_t *)&p1,
                                 false) == 0);
            dst = roundtrip(&a, &dst);
            ASSERT(sp_aggv_merge(&a, 1, (uint8_t *)&dst, (uint8_t *)&p2,
                                 true) == 0);
            double got = pct_of(&a, &dst);
            if (!(got == want))
                TEST_FAIL_("n=%d p=%g: %.17g != %.17g", n, ps[pi], got, want);
            sp_aggv_free(&a, 1, (uint8_t *)&dst);
            sp_aggv_free(&a, 1, (uint8_t *)&p1);
            sp_aggv_free(&a, 1, (uint8_t *)&p2);
        }
    }
    sp_arena_destroy(A);
}

static int64_t approx(sp_type t, const int64_t *v, int n, double p, double err)
{
    sp_agg a = mk("percentile_approx", false, t, p);
    a.rel_err = err;
    ASSERT_EQ_INT(a.ret_type, t);
    work w = {0};
    feed_i64(&a, &w, v, NULL, n);
    sp_vec out = final_of(&a, &w);
    sp_aggv_free(&a, 1, (uint8_t *)&w);
    return out.nulls[0] ? INT64_MIN : out.d.i64[0];
}

TEST(percentile_approx_ranks)
{
    A = sp_arena_create(1 << 16);
    int64_t v[] = {4, 1, 3, 2};
    /* rank ceil(p * n), 1-based, no interpolation */
    ASSERT_EQ_INT(approx(SP_T_BIGINT, v, 4, 0.5, 1e-4), 2);
    ASSERT_EQ_INT(approx(SP_T_BIGINT, v, 4, 0.51, 1e-4), 3);
    ASSERT_EQ_INT(approx(SP_T_BIGINT, v, 4, 0.25, 1e-4), 1);
    ASSERT_EQ_INT(approx(SP_T_BIGINT, v, 4, 0, 1e-4), 1);
    ASSERT_EQ_INT(approx(SP_T_BIGINT, v, 4, 1, 1e-4), 4);
    /* p within the relative error of an end: that end */
    ASSERT_EQ_INT(approx(SP_T_BIGINT, v, 4, 0.95, 0.1), 4);
    ASSERT_EQ_INT(approx(SP_T_BIGINT, v, 4, 0.3, 0.5), 1);
    ASSERT_EQ_INT(approx(SP_T_TIMESTAMP, v, 4, 0.75, 1e-4), 3);
    ASSERT_EQ_INT(approx(SP_T_BIGINT, NULL, 0, 0.5, 1e-4), INT64_MIN);
    sp_arena_destroy(A);
}

static int64_t count_of(const sp_agg *a, work *w)
{
    sp_vec out = final_of(a, w);
    ASSERT(!out.nulls[0]);
    return out.d.i64[0];
}

TEST(count_distinct_union)
{
    A = sp_arena_create(1 << 16);
    sp_agg a = mk("count", true, SP_T_BIGINT, 0);
    ASSERT_EQ_INT(a.kind, SP_AGG_COUNT_DISTINCT);
    work w1 = {0}, w2 = {0}, w3 = {0};
    ASSERT_EQ_INT(count_of(&a, &w1), 0); /* empty: 0, not NULL */
    int64_t v1[] = {1, 2, 2, 3, 0};
    bool n1[] = {false, false, false, false, true};
    feed_i64(&a, &w1, v1, n1, 5);
    ASSERT_EQ_INT(count_of(&a, &w1), 3);
    /* 10k values per partial, half of them shared */
    int64_t *big = sp_arena_alloc(A, 20000 * 8);
    for (int i = 0; i < 20000; i++) big[i] = i;
    feed_i64(&a, &w2, big, NULL, 10000);
    feed_i64(&a, &w3, big + 5000, NULL, 10000);
    ASSERT_EQ_INT(count_of(&a, &w2), 10000);
    w3 = roundtrip(&a, &w3);
    ASSERT_EQ_INT(count_of(&a, &w3), 10000);
    ASSERT(sp_aggv_merge(&a, 1, (uint8_t *)&w2, (uint8_t *)&w3, false) == 0);
    ASSERT_EQ_INT(count_of(&a, &w2), 15000);
    ASSERT(sp_aggv_merge(&a, 1, (uint8_t *)&w2, (uint8_t *)&w1, false) == 0);
    ASSERT_EQ_INT(count_of(&a, &w2), 15000); /* 1, 2, 3 already there */
    w2 = roundtrip(&a, &w2);
    ASSERT_EQ_INT(count_of(&a, &w2), 15000);
    int64_t extra[] = {-1, 20000, 7};
    feed_i64(&a, &w2, extra, NULL, 3);
    ASSERT_EQ_INT(count_of(&a, &w2), 15002);
    sp_aggv_free(&a, 1, (uint8_t *)&w1);
    sp_aggv_free(&a, 1, (uint8_t *)&w2);
    sp_aggv_free(&a, 1, (uint8_t *)&w3);

    /* doubles: -0.0 is 0.0, NaNs are one value */
    sp_agg d = mk("count", true, SP_T_DOUBLE, 0);
    work wd = {0};
    double dv[] = {0.0, -0.0, NAN, -NAN /* NULL */, 1.5, NAN};
    feed_f64(&d, &wd, dv, 6);
    ASSERT_EQ_INT(count_of(&d, &wd), 3);
    sp_aggv_free(&d, 1, (uint8_t *)&wd);

    /* strings: "" is a value, NULL is not; "a" and "a\0"-free prefixes */
    sp_agg s = mk("count", true, SP_T_VARCHAR, 0);
    work ws = {0}, ws2 = {0};
    const char *sv[] = {"", NULL, "a", "ab", "a", "b"};
    feed_str(&s, &ws, sv, 6);
    ASSERT_EQ_INT(count_of(&s, &ws), 4);
    const char *sv2[] = {"ab", "abc", NULL};
    feed_str(&s, &ws2, sv2, 3);
    ws = roundtrip(&s, &ws);
    ASSERT(sp_aggv_merge(&s, 1, (uint8_t *)&ws, (uint8_t *)&ws2, true) == 0);
    ASSERT_EQ_INT(count_of(&s, &ws), 5);
    sp_aggv_free(&s, 1, (uint8_t *)&ws);
    sp_aggv_free(&s, 1, (uint8_t *)&ws2);
    sp_arena_destroy(A);
}

/* The final string of a state, "<null>" for NULL. */
static const char *str_of(const sp_agg *a, work *w)
{
    sp_vec out = final_of(a, w);
    if (out.nulls[0]) return "<null>";
    return sp_arena_strndup(A, out.d.str[0].ptr, out.d.str[0].len);
}

TEST(string_states)
{
    A = sp_arena_create(1 << 16);
    const char *p1[] = {NULL, "pear", "Apple", "apple"};
    const char *p2[] = {"zebra", "", NULL};
    const char *kinds[] = {"min", "max", "first", "last"};
    /* one state over p1 then p2, and p1 / p2 separately then merged */
    const char *want[] = {"", "zebra", "<null>", "<null>"};
    const char *want1[] = {"Apple", "pear", "<null>", "apple"};
    for (int k = 0; k < 4; k++) {
        sp_agg a = mk(kinds[k], false, SP_T_VARCHAR, 0);
        ASSERT_EQ_INT(a.ret_type, SP_T_VARCHAR);
        work all = {0}, w1 = {0}, w2 = {0}, empty = {0};
        ASSERT_EQ_STR(str_of(&a, &empty), "<null>");
        feed_str(&a, &all, p1, 4);
        ASSERT_EQ_STR(str_of(&a, &all), want1[k]);
        feed_str(&a, &all, p2, 3);
        ASSERT_EQ_STR(str_of(&a, &all), want[k]);
        feed_str(&a, &w1, p1, 4);
        feed_str(&a, &w2, p2, 3);
        w1 = roundtrip(&a, &w1);
        ASSERT(sp_aggv_merge(&a, 1, (uint8_t *)&w1, (uint8_t *)&w2, false) ==
               0);
        ASSERT_EQ_STR(str_of(&a, &w1), want[k]);
        /* merging an empty state changes nothing */
        ASSERT(sp_aggv_merge(&a, 1, (uint8_t *)&w1, (uint8_t *)&empty, true) ==
               0);
        ASSERT_EQ_STR(str_of(&a, &w1), want[k]);
        /* into an empty state: the source wins (stolen or copied) */
        work e2 = {0};
        ASSERT(sp_aggv_merge(&a, 1, (uint8_t *)&e2, (uint8_t *)&w2, false) ==
               0);
        ASSERT_EQ_STR(str_of(&a, &e2), str_of(&a, &w2));
        sp_aggv_free(&a, 1, (uint8_t *)&all);
        sp_aggv_free(&a, 1, (uint8_t *)&w1);
        sp_aggv_free(&a, 1, (uint8_t *)&w2);
        sp_aggv_free(&a, 1, (uint8_t *)&e2);
    }
    /* min ignores NULLs, first keeps a leading NULL: a state of NULLs
     * only is NULL for both */
    sp_agg mn = mk("min", false, SP_T_VARCHAR, 0);
    work wn = {0};
    const char *nulls[] = {NULL, NULL};
    feed_str(&mn, &wn, nulls, 2);
    ASSERT_EQ_STR(str_of(&mn, &wn), "<null>");
    ASSERT_EQ_INT(sp_aggv_stored_size(&mn, 1, 8, (uint8_t *)&wn), 8);
    sp_aggv_free(&mn, 1, (uint8_t *)&wn);
    /* a long string replacing a short one, and back */
    sp_agg ls = mk("last", false, SP_T_VARCHAR, 0);
    work wl = {0};
    char longs[5000];
    memset(longs, 'x', sizeof longs - 1);
    longs[sizeof longs - 1] = 0;
    const char *seq[] = {"a", longs, "bc"};
    feed_str(&ls, &wl, seq, 2);
    ASSERT_EQ_INT(strlen(str_of(&ls, &wl)), 4999);
    feed_str(&ls, &wl, seq + 2, 1);
    ASSERT_EQ_STR(str_of(&ls, &wl), "bc");
    sp_aggv_free(&ls, 1, (uint8_t *)&wl);
    sp_arena_destroy(A);
}

/* Several states in one value: fixed ones merge too, offsets and the
 * tail layout hold. */
TEST(mixed_value)
{
    A = sp_arena_create(1 << 16);
    sp_err e;
    sp_err_clear(&e);
    sp_agg aggs[3];
    ASSERT_OK(sp_agg_resolve("count", true, false, SP_T_NULL, &aggs[0], &e),
              &e);
    ASSERT_OK(sp_agg_resolve("max", false, false, SP_T_VARCHAR, &aggs[1], &e),
              &e);
    ASSERT_OK(sp_agg_resolve("count", false, true, SP_T_VARCHAR, &aggs[2], &e),
              &e);
    uint32_t off = 0;
    for (int i = 0; i < 3; i++) {
        aggs[i].offset = off;
        aggs[i].arg = 0;
        off += aggs[i].size;
    }
    uint8_t w1[24] = {0}, w2[24] = {0};
    sp_vec x;
    ASSERT(sp_vec_alloc(&x, SP_T_VARCHAR, 3, true, A) == 0);
    x.d.str[0] = sp_str_make("b", 1);
    x.d.str[1] = sp_str_make("a", 1);
    x.nulls[2] = 1;
    uint8_t *st[3] = {w1, w1, w2};
    uint32_t rows[3] = {0, 1, 2};
    sp_buf sc;
    sp_buf_init(&sc);
    for (int i = 0; i < 3; i++) {
        if (aggs[i].var)
            ASSERT(sp_agg_var_update(&aggs[i], st, &x, rows, 3, &sc) == 0);
        else
            sp_agg_update(&aggs[i], st, &x, rows, 3);
    }
    sp_buf_free(&sc);
    ASSERT(sp_aggv_merge(aggs, 3, w1, w2, true) == 0);
    size_t n = sp_aggv_stored_size(aggs, 3, off, w1);
    ASSERT_EQ_INT(n, 24 + 8 + 24); /* max: 1 + 1 -> 8; set: 8 + 2 * 6 -> 24 */
    uint8_t *buf = sp_arena_alloc(A, n);
    sp_aggv_store(aggs, 3, off, w1, buf);
    sp_vec out[3];
    for (int i = 0; i < 3; i++) {
        ASSERT(sp_vec_alloc(&out[i], aggs[i].ret_type, 1, true, A) == 0);
        sp_agg_final(&aggs[i], buf, &out[i], 0);
    }
    ASSERT_EQ_INT(out[0].d.i64[0], 3);
    ASSERT_EQ_MEM(out[1].d.str[0].ptr, out[1].d.str[0].len, "b");
    ASSERT_EQ_INT(out[2].d.i64[0], 2);
    uint8_t back[24];
    ASSERT(sp_aggv_load(aggs, 3, off, buf, n, back) == 0);
    ASSERT_EQ_INT(sp_aggv_stored_size(aggs, 3, off, back), n);
    sp_aggv_free(aggs, 3, back);
    sp_aggv_free(aggs, 3, w1);
    sp_aggv_free(aggs, 3, w2);
    sp_arena_destroy(A);
}

int main(int argc, char **argv)
{
    return test_main(argc, argv,
                     (test_case[]){TEST_CASE(percentile_edges),
                                   TEST_CASE(percentile_merge_exact),
                                   TEST_CASE(percentile_approx_ranks),
                                   TEST_CASE(count_distinct_union),
                                   TEST_CASE(string_states),
                                   TEST_CASE(mixed_value),
                                   {0}});
}
