/*
 * dstream_ckpt_test.c -- metadata and data checkpoints: a program killed
 * with SIGKILL and restarted through get-or-create continues from its
 * checkpoint with its state (updateStateByKey, and a windowed reduce with
 * an inverse) intact; a changed graph is refused.
 */
#include "spate.h"
#include "test.h"

#include <time.h>

#define OKP(expr, e)                                                           \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        if (rc_) TEST_FAIL_("%s failed: %d: %s", #expr, rc_, (e)->message);    \
    } while (0)

typedef struct app {
    spate_dstream_t *q;
    char out[4096];
    size_t len;
    int variant; /* 1: a different graph */
} app;

static int to_pair1(spate_tctx_t *cx, const spate_val_t *in, spate_val_t *out,
                    void *ud)
{
    *out = spate_pair(cx, *in, spate_int(1));
    return 0;
}

static int running_sum(spate_tctx_t *cx, const spate_val_t *key,
                       const spate_val_t *values, size_t n,
                       const spate_val_t *state, spate_val_t *ns, void *ud)
{
    int64_t s = state ? state->u.i : 0;
    for (size_t i = 0; i < n; i++) s += values[i].u.i;
    *ns = spate_int(s);
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int record(const spate_rdd_t *r, int64_t t, void *ud)
{
    app *a = ud;
    size_t n = spate_rdd_count(r);
    char *v[64];
    for (size_t i = 0; i < n && i < 64; i++) {
        char tmp[64];
        spate_val_format(spate_rdd_get(r, i), tmp, sizeof tmp);
        v[i] = strdup(tmp);
    }
    qsort(v, n, sizeof *v, cmp_str);
    a->len += (size_t)snprintf(a->out + a->len, sizeof a->out - a->len,
                               "%lld:", (long long)t);
    for (size_t i = 0; i < n; i++) {
        a->len += (size_t)snprintf(a->out + a->len, sizeof a->out - a->len,
                                   " %s", v[i]);
        free(v[i]);
    }
    a->len += (size_t)snprintf(a->out + a->len, sizeof a->out - a->len, "\n");
    return 0;
}

static int build(spate_ssc_t *ssc, void *ud)
{
    app *a = ud;
    a->q = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_t *pairs = spate_dstream_map(a->q, to_pair1, NULL);
    spate_dstream_foreach_rdd(
        spate_dstream_update_state_by_key(pairs, running_sum, 2, NULL), record,
        a);
    spate_dstream_foreach_rdd(spate_dstream_reduce_by_key_and_window(
                                  pairs, spate_reduce_sum, spate_reduce_sub,
                                  NULL, a->variant ? 3000 : 2000, 1000, 2,
                                  NULL),
                              record, a);
    return 0;
}

static void opts(spate_ssc_options_t *o, const char *ckpt)
{
    spate_ssc_options_init(o);
    o->batch_ms = 1000;
    o->manual_clock = 1;
    o->threads = 2;
    o->checkpoint = ckpt;
    o->checkpoint_interval_ms = 1000; /* every batch */
}

static void push(spate_dstream_t *q, const char *w1, const char *w2,
                 const char *w3)
{
    spate_val_t v[3] = {spate_str(w1, strlen(w1)), spate_str(w2, strlen(w2)),
                        spate_str(w3, strlen(w3))};
    size_t n = w3[0] ? 3 : 2;
    ASSERT_EQ_INT(spate_queue_push(q, v, n, 2), 0);
}

TEST(kill9_restart_keeps_state)
{
    const char *tmp = test_tmpdir("dstream_ckpt");
    char ckpt[600];
    snprintf(ckpt, sizeof ckpt, "%s/ckpt", tmp);
    int pfd[2];
    ASSERT(pipe(pfd) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        static app a;
        spate_ssc_options_t o;
        opts(&o, ckpt);
        spate_ssc_t *ssc;
        spate_error_t err;
        int rec = -1;
        OKP(spate_ssc_get_or_create(&o, build, &a, &ssc, &rec, &err), &err);
        if (rec != 0) _exit(3);
        OKP(spate_ssc_start(ssc, &err), &err);
        for (int b = 0; b < 3; b++) push(a.q, "a", "b", "a");
        OKP(spate_ssc_advance(ssc, 3000, &err), &err);
        if (write(pfd[1], "k", 1) != 1) _exit(4);
        for (;;) pause(); /* killed here, mid-run */
    }
    char c;
    ASSERT(read(pfd[0], &c, 1) == 1);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    static app a;
    spate_ssc_options_t o;
    opts(&o, ckpt);
    spate_ssc_t *ssc;
    spate_error_t err;
    int rec = -1;
    OKP(spate_ssc_get_or_create(&o, build, &a, &ssc, &rec, &err), &err);
    ASSERT_EQ_INT(rec, 1);
    OKP(spate_ssc_start(ssc, &err), &err);
    push(a.q, "a", "c", "");
    OKP(spate_ssc_advance(ssc, 1000, &err), &err);
    /* The next batch is 4000; state: a = 2 x 3 + 1, b = 3, c = 1; the
     * window (2 s, 4 s] subtracts batch 2 (restored) and adds batch 4. */
    ASSERT_EQ_STR(a.out, "4000: (a,7) (b,3) (c,1)\n"
                         "4000: (a,3) (b,1) (c,1)\n");
    spate_ssc_destroy(ssc);
}

TEST(changed_graph_is_refused)
{
    const char *tmp = test_tmpdir("dstream_ckpt2");
    char ckpt[600];
    snprintf(ckpt, sizeof ckpt, "%s/ckpt", tmp);
    static app a, b;
    spate_ssc_options_t o;
    opts(&o, ckpt);
    spate_ssc_t *ssc;
    spate_error_t err;
    int rec = -1;
    OKP(spate_ssc_get_or_create(&o, build, &a, &ssc, &rec, &err), &err);
    ASSERT_EQ_INT(rec, 0);
    OKP(spate_ssc_start(ssc, &err), &err);
    push(a.q, "a", "b", "");
    OKP(spate_ssc_advance(ssc, 1000, &err), &err);
    spate_ssc_destroy(ssc);
    b.variant = 1;
    ASSERT(spate_ssc_get_or_create(&o, build, &b, &ssc, &rec, &err) != 0);
    ASSERT(strstr(err.message, "graph differs"));
}

int main(int argc, char **argv)
{
    return test_main(argc, argv,
                     (test_case[]){TEST_CASE(kill9_restart_keeps_state),
                                   TEST_CASE(changed_graph_is_refused),
                                   {0}});
}
