/*
 * dstream_test.c -- the DStream API with a manual clock and queue streams:
 * every transformation, window and state operation with Spark's boundary
 * rules, output operations, and the task scheduler's retries and
 * speculation.
 *
 * Each batch's output is collected as "T:[sorted records]" lines, so
 * assertions do not depend on partitioning or thread count.
 */
#include "spate.h"
#include "test.h"

#include "core/core.h"

#include <stdatomic.h>
#include <time.h>

/* ---- helpers ----------------------------------------------------------- */

#define OKP(expr, e)                                                           \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        if (rc_) TEST_FAIL_("%s failed: %d: %s", #expr, rc_, (e)->message);    \
    } while (0)

typedef struct coll {
    char buf[1 << 16];
    size_t len;
    int calls;
} coll;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect(const spate_rdd_t *r, int64_t t, void *ud)
{
    coll *c = ud;
    size_t n = spate_rdd_count(r);
    char **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        char tmp[512];
        spate_val_format(spate_rdd_get(r, i), tmp, sizeof tmp);
        v[i] = strdup(tmp);
    }
    qsort(v, n, sizeof *v, cmp_str);
    c->len += (size_t)snprintf(c->buf + c->len, sizeof c->buf - c->len,
                               "%lld:[", (long long)t);
    for (size_t i = 0; i < n; i++) {
        c->len += (size_t)snprintf(c->buf + c->len, sizeof c->buf - c->len,
                                   "%s%s", i ? " " : "", v[i]);
        free(v[i]);
    }
    c->len += (size_t)snprintf(c->buf + c->len, sizeof c->buf - c->len, "]\n");
    c->calls++;
    free(v);
    return 0;
}

static spate_ssc_t *mk(int threads)
{
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 1000;
    o.manual_clock = 1;
    o.threads = threads;
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    return ssc;
}

/* Pushes space-separated words as strings. */
static void push_words(spate_dstream_t *q, const char *text, int parts)
{
    spate_val_t v[256];
    size_t n = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *s = p;
        while (*p && *p != ' ') p++;
        v[n++] = spate_str(s, (size_t)(p - s));
    }
    ASSERT_EQ_INT(spate_queue_push(q, v, n, parts), 0);
}

/* Pushes "k:v k:v" as (string, int) pairs. */
static void push_pairs(spate_dstream_t *q, const char *text, int parts)
{
    spate_val_t items[256][2], v[256];
    size_t n = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *s = p;
        while (*p != ':') p++;
        items[n][0] = spate_str(s, (size_t)(p - s));
        items[n][1] = spate_int(strtoll(p + 1, (char **)&p, 10));
        v[n] = spate_tuple_of(items[n], 2);
        n++;
    }
    ASSERT_EQ_INT(spate_queue_push(q, v, n, parts), 0);
}

static void advance(spate_ssc_t *ssc, int64_t ms)
{
    spate_error_t err;
    int rc = spate_ssc_advance(ssc, ms, &err);
    if (rc) TEST_FAIL_("advance failed: %s", err.message);
}

static void start(spate_ssc_t *ssc)
{
    spate_error_t err;
    int rc = spate_ssc_start(ssc, &err);
    if (rc) TEST_FAIL_("start failed: %s", err.message);
}

static int split_words(spate_tctx_t *cx, const spate_val_t *in, void *ud)
{
    const char *s = in->u.s, *e = s + in->len;
    while (s < e) {
        while (s < e && *s == ' ') s++;
        const char *w = s;
        while (s < e && *s != ' ') s++;
        if (s > w && spate_emit(cx, spate_str(w, (size_t)(s - w)))) return -1;
    }
    return 0;
}

static int to_pair1(spate_tctx_t *cx, const spate_val_t *in, spate_val_t *out,
                    void *ud)
{
    *out = spate_pair(cx, *in, spate_int(1));
    return 0;
}

static int longer_than_1(const spate_val_t *in, void *ud)
{
    return in->len > 1;
}

static int upper(spate_tctx_t *cx, const spate_val_t *in, spate_val_t *out,
                 void *ud)
{
    char *p = spate_tctx_alloc(cx, in->len);
    if (!p) return -1;
    for (uint32_t i = 0; i < in->len; i++)
        p[i] = (char)(in->u.s[i] >= 'a' && in->u.s[i] <= 'z' ? in->u.s[i] - 32
                                                             : in->u.s[i]);
    *out = spate_str(p, in->len);
    return 0;
}

#define EXPECT(c, s) ASSERT_EQ_STR((c)->buf, s)

/* ---- basics ------------------------------------------------------------ */

TEST(nothing_runs_without_output)
{
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    ASSERT(spate_dstream_map(q, upper, NULL));
    spate_error_t err;
    ASSERT_EQ_INT(spate_ssc_start(ssc, &err), SPATE_EINVAL);
    ASSERT(strstr(err.message, "no output operations registered"));
    spate_ssc_destroy(ssc);
}

TEST(nothing_runs_before_start)
{
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    coll c = {0};
    spate_dstream_foreach_rdd(q, collect, &c);
    push_words(q, "a", 1);
    advance(ssc, 5000); /* not started: nothing */
    ASSERT_EQ_INT(c.calls, 0);
    start(ssc);
    ASSERT_EQ_INT(c.calls, 0);
    advance(ssc, 1000); /* the first batch is at now + 1 s */
    ASSERT_EQ_INT(c.calls, 1);
    /* Adding to a started context is refused. */
    ASSERT(spate_dstream_map(q, upper, NULL) == NULL);
    spate_error_t err;
    ASSERT(spate_ssc_error(ssc, &err) != 0);
    ASSERT(strstr(err.message, "has started"));
    spate_ssc_destroy(ssc);
}

TEST(map_flatmap_filter)
{
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_t *w = spate_dstream_map(
        spate_dstream_filter(spate_dstream_flat_map(q, split_words, NULL),
                             longer_than_1, NULL),
        upper, NULL);
    coll c = {0};
    ASSERT_EQ_INT(spate_dstream_foreach_rdd(w, collect, &c), 0);
    start(ssc);
    push_words(q, "ab c de", 2);
    advance(ssc, 1000);
    advance(ssc, 1000); /* empty queue: empty batch */
    spate_val_t line = spate_str("xy z ww", 7);
    spate_queue_push(q, &line, 1, 1);
    advance(ssc, 1000);
    EXPECT(&c, "1000:[AB DE]\n2000:[]\n3000:[WW XY]\n");
    spate_ssc_destroy(ssc);
}

TEST(union_repartition_count)
{
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *a = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_t *b = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_t *u = spate_dstream_union(a, b);
    spate_dstream_t *r = spate_dstream_repartition(u, 3);
    coll cu = {0}, cc = {0};
    spate_dstream_foreach_rdd(r, collect, &cu);
    spate_dstream_foreach_rdd(spate_dstream_count(u), collect, &cc);
    start(ssc);
    push_words(a, "a b c d", 2);
    push_words(b, "e f g", 1);
    advance(ssc, 1000);
    push_words(b, "h", 1);
    advance(ssc, 1000);
    advance(ssc, 1000);
    EXPECT(&cu, "1000:[a b c d e f g]\n2000:[h]\n3000:[]\n");
    /* count emits 0 for an empty batch */
    EXPECT(&cc, "1000:[7]\n2000:[1]\n3000:[0]\n");
    spate_ssc_destroy(ssc);
}

static int part_sizes(const spate_rdd_t *r, int64_t t, void *ud)
{
    int *sizes = ud;
    ASSERT_EQ_INT(spate_rdd_num_partitions(r), 3);
    for (int i = 0; i < 3; i++) {
        size_t n;
        spate_rdd_partition(r, i, &n);
        sizes[i] = (int)n;
    }
    return 0;
}

TEST(repartition_balances)
{
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    int sizes[3] = {0};
    spate_dstream_foreach_rdd(spate_dstream_repartition(q, 3), part_sizes,
                              sizes);
    start(ssc);
    push_words(q, "a b c d e f g h i j k l", 1);
    advance(ssc, 1000);
    ASSERT_EQ_INT(sizes[0], 4);
    ASSERT_EQ_INT(sizes[1], 4);
    ASSERT_EQ_INT(sizes[2], 4);
    spate_ssc_destroy(ssc);
}

/* ---- keyed ------------------------------------------------------------- */

TEST(reduce_group_count_by_value)
{
    spate_ssc_t *ssc = mk(3);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_t *p = spate_dstream_map(q, to_pair1, NULL);
    coll cr = {0}, cg = {0}, cv = {0};
    spate_dstream_foreach_rdd(
        spate_dstream_reduce_by_key(p, spate_reduce_sum, 4, NULL), collect,
        &cr);
    spate_dstream_foreach_rdd(spate_dstream_group_by_key(p, 2), collect, &cg);
    spate_dstream_foreach_rdd(spate_dstream_count_by_value(q, 0), collect, &cv);
    start(ssc);
    push_words(q, "a b a c a b", 3);
    advance(ssc, 1000);
    advance(ssc, 1000);
    EXPECT(&cr, "1000:[(a,3) (b,2) (c,1)]\n2000:[]\n");
    EXPECT(&cg, "1000:[(a,(1,1,1)) (b,(1,1)) (c,(1))]\n2000:[]\n");
    EXPECT(&cv, "1000:[(a,3) (b,2) (c,1)]\n2000:[]\n");
    spate_ssc_destroy(ssc);
}

TEST(group_by_key_keeps_arrival_order)
{
    spate_ssc_t *ssc = mk(4);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    coll c = {0};
    spate_dstream_foreach_rdd(spate_dstream_group_by_key(q, 3), collect, &c);
    start(ssc);
    push_pairs(q, "k:1 j:9 k:2 k:3 j:8 k:4", 3);
    advance(ssc, 1000);
    EXPECT(&c, "1000:[(j,(9,8)) (k,(1,2,3,4))]\n");
    spate_ssc_destroy(ssc);
}

TEST(keyed_op_on_non_pairs_fails_clearly)
{
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_print(
        spate_dstream_reduce_by_key(q, spate_reduce_sum, 0, NULL), 10);
    start(ssc);
    push_words(q, "x", 1);
    spate_error_t err;
    ASSERT(spate_ssc_advance(ssc, 1000, &err) != 0);
    ASSERT(strstr(err.message, "reduceByKey needs (key, value) pairs; got x"));
    spate_ssc_destroy(ssc);
}

TEST(joins)
{
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *a = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_t *b = spate_ssc_queue_stream(ssc, 1);
    coll ci = {0}, cl = {0}, cf = {0};
    spate_dstream_foreach_rdd(spate_dstream_join(a, b, 2), collect, &ci);
    spate_dstream_foreach_rdd(spate_dstream_left_outer_join(a, b, 3), collect,
                              &cl);
    spate_dstream_foreach_rdd(spate_dstream_full_outer_join(a, b, 1), collect,
                              &cf);
    start(ssc);
    push_pairs(a, "k:1 k:2 x:5", 2);
    push_pairs(b, "k:7 y:9", 1);
    advance(ssc, 1000);
    EXPECT(&ci, "1000:[(k,(1,7)) (k,(2,7))]\n");
    EXPECT(&cl, "1000:[(k,(1,7)) (k,(2,7)) (x,(5,null))]\n");
    EXPECT(&cf, "1000:[(k,(1,7)) (k,(2,7)) (x,(5,null)) (y,(null,9))]\n");
    spate_ssc_destroy(ssc);
}

/* transform: drop blacklisted users (the ad-click example's shape). */
static int drop_blacklisted(spate_tctx_t *cx, const spate_rdd_t *in, void *ud)
{
    const char *bad = ud;
    for (size_t i = 0; i < spate_rdd_count(in); i++) {
        const spate_val_t *v = spate_rdd_get(in, i);
        if (v->len == strlen(bad) && memcmp(v->u.s, bad, v->len) == 0) continue;
        if (spate_emit(cx, *v)) return -1;
    }
    return 0;
}

static int concat_counts(spate_tctx_t *cx, const spate_rdd_t *a,
                         const spate_rdd_t *b, void *ud)
{
    return spate_emit(cx, spate_pair(cx, spate_int((int64_t)spate_rdd_count(a)),
                                     spate_int((int64_t)spate_rdd_count(b))));
}

TEST(transform_and_transform_with)
{
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *a = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_t *b = spate_ssc_queue_stream(ssc, 1);
    coll c = {0}, c2 = {0};
    spate_dstream_foreach_rdd(
        spate_dstream_transform(a, drop_blacklisted, (void *)"eve"), collect,
        &c);
    spate_dstream_foreach_rdd(
        spate_dstream_transform_with(a, b, concat_counts, NULL), collect, &c2);
    start(ssc);
    push_words(a, "ann eve bob eve", 2);
    push_words(b, "x y", 1);
    advance(ssc, 1000);
    EXPECT(&c, "1000:[ann bob]\n");
    EXPECT(&c2, "1000:[(4,2)]\n");
    spate_ssc_destroy(ssc);
}

/* ---- windows ----------------------------------------------------------- */

/* One int per batch: batch k (at k s) holds the value k. */
static void push_seq(spate_dstream_t *q, int from, int to)
{
    for (int k = from; k <= to; k++) {
        spate_val_t v = spate_int(k);
        spate_queue_push(q, &v, 1, 1);
    }
}

TEST(window_boundaries)
{
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    coll c = {0}, c2 = {0};
    spate_dstream_foreach_rdd(spate_dstream_window(q, 3000, 2000), collect, &c);
    spate_dstream_foreach_rdd(spate_dstream_window(q, 2000, 0), collect, &c2);
    start(ssc);
    push_seq(q, 1, 7);
    advance(ssc, 7000);
    /* (T-3, T] at T = 2, 4, 6: the first window is partial; output only at
     * multiples of the slide. */
    EXPECT(&c, "2000:[1 2]\n4000:[2 3 4]\n6000:[4 5 6]\n");
    EXPECT(&c2, "1000:[1]\n2000:[1 2]\n3000:[2 3]\n4000:[3 4]\n5000:[4 5]\n"
                "6000:[5 6]\n7000:[6 7]\n");
    spate_ssc_destroy(ssc);
}

TEST(window_validation)
{
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    ASSERT(spate_dstream_window(q, 2500, 1000) == NULL);
    spate_error_t err;
    ASSERT_EQ_INT(spate_ssc_error(ssc, &err), SPATE_EINVAL);
    ASSERT_EQ_STR(err.message, "window: the window duration (2500 ms) must be "
                               "a multiple of the slide duration of the "
                               "parent stream (1000 ms)");
    ASSERT_EQ_STR(err.hint, "use 2000 ms or 3000 ms");
    /* Sticky: the rest of the chain is NULL and start reports it. */
    ASSERT(spate_dstream_print(NULL, 1) != 0);
    ASSERT_EQ_INT(spate_ssc_start(ssc, &err), SPATE_EINVAL);
    ASSERT(strstr(err.message, "2500 ms"));
    spate_ssc_destroy(ssc);

    ssc = mk(2);
    q = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_t *w = spate_dstream_window(q, 4000, 2000);
    ASSERT(w);
    /* A window over a windowed stream: multiples of its 2 s slide. */
    ASSERT(spate_dstream_window(w, 6000, 3000) == NULL);
    ASSERT_EQ_INT(spate_ssc_error(ssc, &err), SPATE_EINVAL);
    ASSERT(strstr(err.message, "slide duration (3000 ms)"));
    spate_ssc_destroy(ssc);

    ssc = mk(2);
    q = spate_ssc_queue_stream(ssc, 1);
    ASSERT(spate_dstream_count_by_window(q, 3000, 1500) == NULL);
    ASSERT_EQ_INT(spate_ssc_error(ssc, &err), SPATE_EINVAL);
    spate_ssc_destroy(ssc);
}

static int is_zero_value(const spate_val_t *in, void *ud)
{
    return spate_value(in)->u.i != 0;
}

TEST(reduce_by_key_and_window)
{
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_t *p = spate_dstream_map(q, to_pair1, NULL);
    coll plain = {0}, inv = {0}, filt = {0};
    spate_dstream_foreach_rdd(
        spate_dstream_reduce_by_key_and_window(p, spate_reduce_sum, NULL, NULL,
                                               3000, 1000, 2, NULL),
        collect, &plain);
    spate_dstream_foreach_rdd(
        spate_dstream_reduce_by_key_and_window(
            p, spate_reduce_sum, spate_reduce_sub, NULL, 3000, 1000, 2, NULL),
        collect, &inv);
    spate_dstream_foreach_rdd(spate_dstream_reduce_by_key_and_window(
                                  p, spate_reduce_sum, spate_reduce_sub,
                                  is_zero_value, 3000, 1000, 2, NULL),
                              collect, &filt);
    start(ssc);
    push_words(q, "a b", 1);
    push_words(q, "a", 2);
    push_words(q, "c", 1);
    push_words(q, "", 1);
    push_words(q, "", 1);
    push_words(q, "", 1);
    advance(ssc, 6000);
    EXPECT(&plain, "1000:[(a,1) (b,1)]\n2000:[(a,2) (b,1)]\n"
                   "3000:[(a,2) (b,1) (c,1)]\n4000:[(a,1) (c,1)]\n"
                   "5000:[(c,1)]\n6000:[]\n");
    /* With the inverse, keys whose count went back to 0 stay. */
    EXPECT(&inv, "1000:[(a,1) (b,1)]\n2000:[(a,2) (b,1)]\n"
                 "3000:[(a,2) (b,1) (c,1)]\n4000:[(a,1) (b,0) (c,1)]\n"
                 "5000:[(a,0) (b,0) (c,1)]\n6000:[(a,0) (b,0) (c,0)]\n");
    /* ... unless the filter removes them. */
    EXPECT(&filt, "1000:[(a,1) (b,1)]\n2000:[(a,2) (b,1)]\n"
                  "3000:[(a,2) (b,1) (c,1)]\n4000:[(a,1) (c,1)]\n"
                  "5000:[(c,1)]\n6000:[]\n");
    spate_ssc_destroy(ssc);
}

TEST(reduce_by_key_and_window_sliding)
{
    /* window 4 s sliding 2 s: incremental == recomputed (minus zeros). */
    spate_ssc_t *ssc = mk(3);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_t *p = spate_dstream_map(q, to_pair1, NULL);
    coll plain = {0}, inv = {0};
    spate_dstream_foreach_rdd(
        spate_dstream_reduce_by_key_and_window(p, spate_reduce_sum, NULL, NULL,
                                               4000, 2000, 3, NULL),
        collect, &plain);
    spate_dstream_foreach_rdd(spate_dstream_reduce_by_key_and_window(
                                  p, spate_reduce_sum, spate_reduce_sub,
                                  is_zero_value, 4000, 2000, 3, NULL),
                              collect, &inv);
    start(ssc);
    const char *in[] = {"a b", "a", "c c", "b", "a", "", "", "d"};
    for (int i = 0; i < 8; i++) push_words(q, in[i], 2);
    advance(ssc, 8000);
    EXPECT(&plain, "2000:[(a,2) (b,1)]\n4000:[(a,2) (b,2) (c,2)]\n"
                   "6000:[(a,1) (b,1) (c,2)]\n8000:[(a,1) (d,1)]\n");
    EXPECT(&inv, plain.buf);
    spate_ssc_destroy(ssc);
}

TEST(count_by_window_and_value)
{
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    coll cw = {0}, cv = {0};
    spate_dstream_foreach_rdd(spate_dstream_count_by_window(q, 2000, 1000),
                              collect, &cw);
    spate_dstream_foreach_rdd(
        spate_dstream_count_by_value_and_window(q, 2000, 1000, 2), collect,
        &cv);
    start(ssc);
    push_words(q, "x y x", 2);
    push_words(q, "y", 1);
    advance(ssc, 5000);
    /* An empty window counts 0; values whose count fell to 0 leave. */
    EXPECT(&cw, "1000:[3]\n2000:[4]\n3000:[1]\n4000:[0]\n5000:[0]\n");
    EXPECT(&cv, "1000:[(x,2) (y,1)]\n2000:[(x,2) (y,2)]\n3000:[(y,1)]\n"
                "4000:[]\n5000:[]\n");
    spate_ssc_destroy(ssc);
}

TEST(reduce_by_window)
{
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    coll a = {0}, b = {0};
    spate_dstream_foreach_rdd(spate_dstream_reduce_by_window(
                                  q, spate_reduce_sum, NULL, 3000, 1000, NULL),
                              collect, &a);
    spate_dstream_foreach_rdd(
        spate_dstream_reduce_by_window(q, spate_reduce_sum, spate_reduce_sub,
                                       3000, 1000, NULL),
        collect, &b);
    start(ssc);
    push_seq(q, 1, 4);
    advance(ssc, 7000);
    /* Without an inverse an empty window has no value; with it the value
     * goes back to the neutral 0. */
    EXPECT(&a, "1000:[1]\n2000:[3]\n3000:[6]\n4000:[9]\n5000:[7]\n"
               "6000:[4]\n7000:[]\n");
    EXPECT(&b, "1000:[1]\n2000:[3]\n3000:[6]\n4000:[9]\n5000:[7]\n"
               "6000:[4]\n7000:[0]\n");
    spate_ssc_destroy(ssc);
}

/* ---- state ------------------------------------------------------------- */

static _Atomic int update_calls;

/* Running sum; a key whose sum reaches 0 or below... is deleted when a
 * batch brings the value -100. */
static int running_sum(spate_tctx_t *cx, const spate_val_t *key,
                       const spate_val_t *values, size_t n,
                       const spate_val_t *state, spate_val_t *ns, void *ud)
{
    atomic_fetch_add(&update_calls, 1);
    int64_t s = state ? state->u.i : 0;
    for (size_t i = 0; i < n; i++) {
        if (values[i].u.i == -100) return 0; /* none: delete */
        s += values[i].u.i;
    }
    *ns = spate_int(s);
    return 1;
}

TEST(update_state_by_key)
{
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    coll c = {0};
    spate_dstream_foreach_rdd(
        spate_dstream_update_state_by_key(q, running_sum, 2, NULL), collect,
        &c);
    start(ssc);
    push_pairs(q, "a:1 b:2 a:3", 2);
    push_pairs(q, "b:1", 1);
    push_pairs(q, "a:-100 c:5", 1);
    advance(ssc, 1000);
    ASSERT_EQ_INT(update_calls, 2); /* a, b */
    advance(ssc, 1000);
    ASSERT_EQ_INT(update_calls, 4); /* a (no values), b */
    advance(ssc, 1000);
    ASSERT_EQ_INT(update_calls, 7); /* a (deleted), b, c */
    advance(ssc, 1000);
    ASSERT_EQ_INT(update_calls, 9); /* b, c */
    EXPECT(&c, "1000:[(a,4) (b,2)]\n2000:[(a,4) (b,3)]\n3000:[(b,3) (c,5)]\n"
               "4000:[(b,3) (c,5)]\n");
    spate_ssc_destroy(ssc);
}

/* mapWithState: emits (key, running count); on timeout (key, "timeout"). */
static _Atomic int mws_calls;
static int mws_count(spate_tctx_t *cx, const spate_val_t *key,
                     const spate_val_t *value, spate_state_t *st,
                     spate_val_t *mapped, void *ud)
{
    atomic_fetch_add(&mws_calls, 1);
    if (!value) {
        ASSERT(spate_state_is_timing_out(st));
        ASSERT_EQ_INT(spate_state_update(st, spate_int(0)), SPATE_EINVAL);
        *mapped = spate_pair(cx, *key, spate_str("timeout", 7));
        return 1;
    }
    int64_t n = spate_state_exists(st) ? spate_state_get(st)->u.i : 0;
    n += value->u.i;
    if (value->u.i < 0) {
        spate_state_remove(st);
        return 0;
    }
    spate_state_update(st, spate_int(n));
    *mapped = spate_pair(cx, *key, spate_int(n));
    return 1;
}

TEST(map_with_state_and_timeout)
{
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_t *m =
        spate_dstream_map_with_state(q, mws_count, 2000, 2, NULL);
    coll cm = {0}, cs = {0};
    spate_dstream_foreach_rdd(m, collect, &cm);
    spate_dstream_foreach_rdd(spate_dstream_state_snapshots(m), collect, &cs);
    start(ssc);
    push_pairs(q, "a:1 b:1 a:1", 2);
    push_pairs(q, "b:1 c:1", 1);
    push_pairs(q, "c:-1", 1);
    advance(ssc, 1000);
    ASSERT_EQ_INT(mws_calls, 3); /* once per record */
    advance(ssc, 1000);
    ASSERT_EQ_INT(mws_calls, 5); /* only keys with data */
    advance(ssc, 6000);
    EXPECT(&cm, "1000:[(a,1) (a,2) (b,1)]\n2000:[(b,2) (c,1)]\n3000:[]\n"
                "4000:[(a,timeout)]\n5000:[(b,timeout)]\n6000:[]\n7000:[]\n"
                "8000:[]\n");
    EXPECT(&cs, "1000:[(a,2) (b,1)]\n2000:[(a,2) (b,2) (c,1)]\n"
                "3000:[(a,2) (b,2)]\n4000:[(b,2)]\n5000:[]\n6000:[]\n"
                "7000:[]\n8000:[]\n");
    spate_ssc_destroy(ssc);
}

/* ---- outputs ----------------------------------------------------------- */

TEST(print_format)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 500;
    o.manual_clock = 1;
    o.threads = 1;
    o.out = f;
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_print(spate_dstream_map(q, to_pair1, NULL), 2);
    start(ssc);
    push_words(q, "a b c", 1);
    push_words(q, "d", 1);
    advance(ssc, 1500);
    fclose(f);
    ASSERT_EQ_STR(buf, "-------------------------------------------\n"
                       "Time: 500 ms\n"
                       "-------------------------------------------\n"
                       "(a,1)\n(b,1)\n...\n\n"
                       "-------------------------------------------\n"
                       "Time: 1000 ms\n"
                       "-------------------------------------------\n"
                       "(d,1)\n\n"
                       "-------------------------------------------\n"
                       "Time: 1500 ms\n"
                       "-------------------------------------------\n\n");
    free(buf);
    spate_ssc_destroy(ssc);
}

TEST(value_format)
{
    spate_val_t in[3] = {spate_double(1.0), spate_bool(1), spate_null()};
    spate_val_t t = spate_tuple_of(in, 3);
    char b[64];
    ASSERT_EQ_INT(spate_val_format(&t, b, sizeof b), 15);
    ASSERT_EQ_STR(b, "(1.0,true,null)");
    ASSERT_EQ_INT(spate_val_format(&t, b, 4), 15);
    ASSERT_EQ_STR(b, "(1.");
    spate_val_t by = spate_bytes("\x01\xff", 2);
    spate_val_format(&by, b, sizeof b);
    ASSERT_EQ_STR(b, "0x01ff");
    spate_val_t x = spate_int(1), y = spate_double(1.0);
    ASSERT(!spate_val_eq(&x, &y));
    ASSERT(spate_val_cmp(&x, &y) < 0);
}

TEST(save_as_text_files)
{
    const char *dir = test_tmpdir("dstream_save");
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s/out", dir);
    spate_ssc_t *ssc = mk(2);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    ASSERT_EQ_INT(spate_dstream_save_as_text_files(q, prefix, "txt"), 0);
    start(ssc);
    push_words(q, "a b c", 2);
    advance(ssc, 1000);
    char path[800];
    snprintf(path, sizeof path, "%s/out-1000.txt/part-00000", dir);
    FILE *f = fopen(path, "r");
    ASSERT(f);
    char line[64];
    ASSERT(fgets(line, sizeof line, f));
    ASSERT_EQ_STR(line, "a\n");
    fclose(f);
    snprintf(path, sizeof path, "%s/out-1000.txt/part-00001", dir);
    ASSERT(access(path, F_OK) == 0);
    snprintf(path, sizeof path, "%s/out-1000.txt/_SUCCESS", dir);
    ASSERT(access(path, F_OK) == 0);
    spate_ssc_destroy(ssc);
}

/* ---- determinism over thread counts ------------------------------------ */

static void word_count_run(int threads, coll *c)
{
    spate_ssc_t *ssc = mk(threads);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_t *counts = spate_dstream_reduce_by_key_and_window(
        spate_dstream_map(spate_dstream_flat_map(q, split_words, NULL),
                          to_pair1, NULL),
        spate_reduce_sum, spate_reduce_sub, NULL, 3000, 1000, 0, NULL);
    spate_dstream_foreach_rdd(counts, collect, c);
    start(ssc);
    char line[4096];
    unsigned seed = 7;
    for (int b = 0; b < 6; b++) {
        size_t n = 0;
        for (int k = 0; k < 200; k++) {
            seed = seed * 1103515245u + 12345u;
            n += (size_t)snprintf(line + n, sizeof line - n, "w%u ",
                                  (seed >> 16) % 13);
        }
        spate_val_t v[2] = {spate_str(line, n / 2),
                            spate_str(line + n / 2, n - n / 2)};
        spate_queue_push(q, v, 2, 2);
    }
    advance(ssc, 6000);
    spate_ssc_destroy(ssc);
}

TEST(same_result_any_thread_count)
{
    static coll a, b;
    size_t base = sp_mem_used();
    word_count_run(1, &a);
    ASSERT_EQ_INT(sp_mem_used(), base); /* everything freed */
    word_count_run(4, &b);
    ASSERT(a.len > 100);
    ASSERT_EQ_STR(a.buf, b.buf);
}

/* ---- scheduler: retries and speculation -------------------------------- */

static _Atomic int hook_fails;
static int fail_first_attempts(const spate_task_info_t *t, void *ud)
{
    /* Every reduce task's first two attempts fail. */
    if (strcmp(t->op, "reduceByKey") == 0 && t->attempt < 2) {
        atomic_fetch_add(&hook_fails, 1);
        return 1;
    }
    return 0;
}

TEST(task_retry_from_lineage)
{
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 1000;
    o.manual_clock = 1;
    o.threads = 3;
    o.task_hook = fail_first_attempts;
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    coll c = {0};
    spate_dstream_foreach_rdd(
        spate_dstream_reduce_by_key(spate_dstream_map(q, to_pair1, NULL),
                                    spate_reduce_sum, 3, NULL),
        collect, &c);
    start(ssc);
    push_words(q, "a b a c", 2);
    advance(ssc, 1000);
    EXPECT(&c, "1000:[(a,2) (b,1) (c,1)]\n");
    ASSERT_EQ_INT(hook_fails, 6); /* 3 tasks x 2 failed attempts */
    spate_ssc_destroy(ssc);
}

static int always_fail(const spate_task_info_t *t, void *ud)
{
    return strcmp(t->op, "map") == 0;
}

TEST(task_failing_too_often_fails_the_batch)
{
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 1000;
    o.manual_clock = 1;
    o.threads = 2;
    o.task_hook = always_fail;
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_print(spate_dstream_map(q, to_pair1, NULL), 1);
    start(ssc);
    ASSERT(spate_ssc_advance(ssc, 1000, &err) != 0);
    ASSERT(strstr(err.message, "task 0 of map at 1000 ms failed 4 times"));
    /* The context stopped with that error. */
    ASSERT(spate_ssc_await_termination(ssc, 0, &err) != 0);
    spate_ssc_destroy(ssc);
}

static _Atomic int slow_started;
static int straggler(const spate_task_info_t *t, void *ud)
{
    /* Partition 5's first map attempt hangs until it is killed (at most
     * 10 s, which would fail the timing assertion below). */
    if (strcmp(t->op, "map") == 0 && t->partition == 5 && !t->speculative) {
        atomic_store(&slow_started, 1);
        int64_t end = (int64_t)time(NULL) + 10;
        while (!spate_task_killed(t) && (int64_t)time(NULL) < end) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    return 0;
}

TEST(speculation_of_straggler)
{
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 1000;
    o.manual_clock = 1;
    o.threads = 4;
    o.speculation = 1;
    o.speculation_min_ms = 20;
    o.task_hook = straggler;
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    coll c = {0};
    spate_dstream_foreach_rdd(spate_dstream_map(q, upper, NULL), collect, &c);
    start(ssc);
    push_words(q, "a b c d e f g h", 8);
    int64_t t0 = (int64_t)time(NULL);
    advance(ssc, 1000);
    ASSERT((int64_t)time(NULL) - t0 < 5);
    ASSERT(slow_started);
    /* Output unchanged and not duplicated. */
    EXPECT(&c, "1000:[A B C D E F G H]\n");
    spate_ssc_destroy(ssc);
}

/* ---- concurrent jobs: job time pipelining ------------------------------ */

/* Per-batch outputs in slots (jobs of different batches may finish out of
 * order), each "T:[sorted records]". */
typedef struct slots {
    char s[16][512];
    _Atomic int in_flight, max_in_flight;
    int64_t sleep_ms;
} slots;

static void format_sorted(const spate_rdd_t *r, int64_t t, char *out,
                          size_t cap)
{
    coll *c = calloc(1, sizeof *c);
    collect(r, t, c);
    size_t n = c->len < cap ? c->len : cap - 1;
    memcpy(out, c->buf, n);
    out[n] = 0;
    free(c);
}

static int slow_output(const spate_rdd_t *r, int64_t t, void *ud)
{
    slots *s = ud;
    int now = atomic_fetch_add(&s->in_flight, 1) + 1;
    int m = atomic_load(&s->max_in_flight);
    while (now > m && !atomic_compare_exchange_weak(&s->max_in_flight, &m, now))
        ;
    format_sorted(r, t, s->s[(t / 1000) % 16], sizeof s->s[0]);
    struct timespec ts = {0, (long)s->sleep_ms * 1000000L};
    nanosleep(&ts, NULL); /* the slow output operation */
    atomic_fetch_sub(&s->in_flight, 1);
    return 0;
}

static int fast_output(const spate_rdd_t *r, int64_t t, void *ud)
{
    slots *s = ud;
    format_sorted(r, t, s->s[(t / 1000) % 16], sizeof s->s[0]);
    return 0;
}

/* Word count per batch and running, 6 batches in one advance; returns the
 * elapsed ms and both outputs in time order. */
static int64_t pipelined_run(int concurrent, slots *run, slots *per, char *all,
                             size_t cap)
{
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 1000;
    o.manual_clock = 1;
    o.threads = 2;
    o.concurrent_jobs = concurrent;
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_t *pairs = spate_dstream_map(
        spate_dstream_flat_map(q, split_words, NULL), to_pair1, NULL);
    spate_dstream_foreach_rdd(
        spate_dstream_update_state_by_key(pairs, running_sum, 2, NULL),
        slow_output, run);
    spate_dstream_foreach_rdd(
        spate_dstream_reduce_by_key(pairs, spate_reduce_sum, 2, NULL),
        fast_output, per);
    start(ssc);
    const char *text[6] = {"a b a", "b c", "", "a a d", "d", "c b a"};
    for (int b = 0; b < 6; b++) push_words(q, text[b], 2);
    int64_t t0 = sp_clock_mono_us();
    advance(ssc, 6000); /* every batch has run when it returns */
    int64_t ms = (sp_clock_mono_us() - t0) / 1000;
    ASSERT_EQ_INT(spate_ssc_batches_done(ssc), 6);
    spate_ssc_destroy(ssc);
    size_t n = 0;
    for (int b = 1; b <= 6; b++)
        n += (size_t)snprintf(all + n, cap - n, "%s%s", run->s[b], per->s[b]);
    return ms;
}

TEST(concurrent_jobs_pipeline_batches)
{
    static slots run1 = {.sleep_ms = 150}, per1, run2 = {.sleep_ms = 150}, per2;
    static char seq[8192], conc[8192];
    int64_t t_seq = pipelined_run(1, &run1, &per1, seq, sizeof seq);
    int64_t t_conc = pipelined_run(2, &run2, &per2, conc, sizeof conc);
    printf("  6 batches, a 150 ms output each: %lld ms one at a time, "
           "%lld ms with concurrent_jobs = 2\n",
           (long long)t_seq, (long long)t_conc);
    /* Output per batch unchanged (running state included). */
    ASSERT_EQ_STR(conc, seq);
    ASSERT(strstr(seq, "6000:[(a,5) (b,3) (c,2) (d,2)]\n"
                       "6000:[(a,1) (b,1) (c,1)]\n"));
    /* Batch T + 1's output ran while T's was still running. */
    ASSERT_EQ_INT(run1.max_in_flight, 1);
    ASSERT_EQ_INT(run2.max_in_flight, 2);
    ASSERT(t_seq >= 6 * 150);
    ASSERT(t_conc < t_seq * 3 / 4);
}

static int fail_at_3000(const spate_rdd_t *r, int64_t t, void *ud)
{
    return t == 3000 ? -7 : 0;
}

TEST(concurrent_jobs_error_stops)
{
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 1000;
    o.manual_clock = 1;
    o.threads = 2;
    o.concurrent_jobs = 3;
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_foreach_rdd(q, fail_at_3000, NULL);
    start(ssc);
    ASSERT(spate_ssc_advance(ssc, 5000, &err) != 0);
    ASSERT(strstr(err.message, "foreachRDD callback failed (-7) at 3000 ms"));
    ASSERT(spate_ssc_await_termination(ssc, 0, &err) != 0);
    spate_ssc_destroy(ssc);
}

static _Atomic int g_seen_batches[8];
static int slow_count(const spate_rdd_t *r, int64_t t, void *ud)
{
    for (size_t i = 0; i < spate_rdd_count(r); i++) {
        int64_t v = spate_rdd_get(r, i)->u.i;
        if (v >= 0 && v < 8) atomic_fetch_add(&g_seen_batches[v], 1);
    }
    struct timespec ts = {0, 80 * 1000000L}; /* slower than the interval */
    nanosleep(&ts, NULL);
    return 0;
}

TEST(concurrent_jobs_real_clock_graceful_stop)
{
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 50;
    o.threads = 2;
    o.concurrent_jobs = 2;
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_foreach_rdd(q, slow_count, NULL);
    for (int b = 0; b < 8; b++) {
        spate_val_t v = spate_int(b);
        spate_queue_push(q, &v, 1, 1);
    }
    start(ssc);
    int64_t deadline = sp_clock_mono_us() + 5000000;
    while (atomic_load(&g_seen_batches[7]) == 0 &&
           sp_clock_mono_us() < deadline) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    spate_ssc_stop(ssc, 1);
    ASSERT_EQ_INT(spate_ssc_await_termination(ssc, -1, &err), 0);
    for (int b = 0; b < 8; b++) ASSERT_EQ_INT(g_seen_batches[b], 1);
    spate_ssc_destroy(ssc);
}

/* ---- real clock -------------------------------------------------------- */

static int stop_after_two(const spate_rdd_t *r, int64_t t, void *ud)
{
    coll *c = ud;
    c->calls++;
    return 0;
}

TEST(real_clock_start_stop)
{
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 50;
    o.threads = 2;
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    spate_dstream_t *q = spate_ssc_queue_stream(ssc, 1);
    coll c = {0};
    spate_dstream_foreach_rdd(q, stop_after_two, &c);
    start(ssc);
    ASSERT_EQ_INT(spate_ssc_await_termination(ssc, 300, &err), 1);
    spate_ssc_stop(ssc, 1);
    ASSERT_EQ_INT(spate_ssc_await_termination(ssc, -1, &err), 0);
    ASSERT(c.calls >= 2);
    spate_ssc_destroy(ssc);
}

int main(int argc, char **argv)
{
    return test_main(
        argc, argv,
        (test_case[]){TEST_CASE(nothing_runs_without_output),
                      TEST_CASE(nothing_runs_before_start),
                      TEST_CASE(map_flatmap_filter),
                      TEST_CASE(union_repartition_count),
                      TEST_CASE(repartition_balances),
                      TEST_CASE(reduce_group_count_by_value),
                      TEST_CASE(group_by_key_keeps_arrival_order),
                      TEST_CASE(keyed_op_on_non_pairs_fails_clearly),
                      TEST_CASE(joins),
                      TEST_CASE(transform_and_transform_with),
                      TEST_CASE(window_boundaries),
                      TEST_CASE(window_validation),
                      TEST_CASE(reduce_by_key_and_window),
                      TEST_CASE(reduce_by_key_and_window_sliding),
                      TEST_CASE(count_by_window_and_value),
                      TEST_CASE(reduce_by_window),
                      TEST_CASE(update_state_by_key),
                      TEST_CASE(map_with_state_and_timeout),
                      TEST_CASE(print_format),
                      TEST_CASE(value_format),
                      TEST_CASE(save_as_text_files),
                      TEST_CASE(same_result_any_thread_count),
                      TEST_CASE(task_retry_from_lineage),
                      TEST_CASE(task_failing_too_often_fails_the_batch),
                      TEST_CASE(speculation_of_straggler),
                      TEST_CASE(real_clock_start_stop),
                      TEST_CASE(concurrent_jobs_pipeline_batches),
                      TEST_CASE(concurrent_jobs_error_stops),
                      TEST_CASE(concurrent_jobs_real_clock_graceful_stop),
                      {0}});
}
