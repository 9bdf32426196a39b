/* sched_test.c -- the task scheduler (src/runtime/sched.c) on its own:
 * retries, exhaustion, fatal failures, speculation with the first
 * finisher winning, and every losing or failed output discarded once. */
#include "runtime/runtime.h"
#include "test.h"

#include <stdatomic.h>
#include <time.h>

/* An attempt's output: which task and attempt made it. */
typedef struct out {
    int task, attempt;
    bool speculative;
} out;

typedef struct job {
    _Atomic int created, discarded;
    _Atomic int runs[16];      /* attempts per task */
    int fail_task, fail_times; /* task fail_task's first fail_times fail */
    bool fatal;                /* ... and say they cannot be retried */
    int slow_task;             /* attempt 0 of it waits until killed */
    int slow_ms;               /* ... or this long (0: 10 s) */
    _Atomic int slow_started;
    _Atomic int slow_saw_kill;
} job;

static void nap_ms(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

static int run(void *ud, sp_task_attempt *a, sp_err *err)
{
    job *j = ud;
    atomic_fetch_add(&j->runs[a->task], 1);
    out *o = sp_malloc(sizeof *o);
    if (!o) return sp_err_set(err, SP_ENOMEM, "out of memory");
    *o = (out){a->task, a->attempt, a->speculative};
    a->out = o; /* the scheduler owns it from here, even on failure */
    atomic_fetch_add(&j->created, 1);
    if (a->task == j->fail_task && a->attempt < j->fail_times) {
        a->fatal = j->fatal;
        sp_err_detail(err, "attempt %d", a->attempt);
        return sp_err_set(err, SP_EIO, "boom");
    }
    if (a->task == j->slow_task && a->attempt == 0) {
        atomic_store(&j->slow_started, 1);
        int ms = j->slow_ms ? j->slow_ms : 10000;
        for (int i = 0; i < ms && !atomic_load(a->killed); i++) nap_ms(1);
        if (atomic_load(a->killed)) {
            atomic_store(&j->slow_saw_kill, 1);
            return SP_ESTOPPED;
        }
    }
    return 0;
}

static void discard(void *ud, void *o)
{
    job *j = ud;
    ASSERT(o != NULL);
    atomic_fetch_add(&j->discarded, 1);
    sp_free(o);
}

static void describe(void *ud, int task, sp_buf *b)
{
    sp_buf_printf(b, "task %d reads things", task);
}

static int run_job(job *jb, int n, int threads, const sp_sched_conf *c,
                   bool no_spec, void **outs, sp_sched_stats *st, sp_err *err)
{
    sp_pool *p = sp_pool_create(threads);
    sp_sched_job sj = {.name = "the test job",
                       .n_tasks = n,
                       .no_speculation = no_spec,
                       .run = run,
                       .discard = discard,
                       .describe = describe,
                       .ud = jb,
                       .outs = outs};
    sp_err_clear(err);
    int rc = sp_sched_run(p, threads, c, &sj, st, err);
    sp_pool_destroy(p);
    return rc;
}

static void free_outs(void **outs, int n)
{
    for (int i = 0; i < n; i++) sp_free(outs[i]);
}

TEST(every_task_once_without_faults)
{
    int64_t base = sp_mem_used();
    sp_sched_conf c;
    sp_sched_conf_init(&c);
    for (int threads = 1; threads <= 4; threads++) {
        job jb = {.fail_task = -1, .slow_task = -1};
        void *outs[16];
        sp_sched_stats st = {0};
        sp_err err;
        ASSERT_EQ_INT(run_job(&jb, 16, threads, &c, false, outs, &st, &err), 0);
        for (int i = 0; i < 16; i++) {
            ASSERT_EQ_INT(((out *)outs[i])->task, i);
            ASSERT_EQ_INT(jb.runs[i], 1);
        }
        ASSERT_EQ_INT(st.tasks, 16);
        ASSERT_EQ_INT(st.attempts, 16);
        ASSERT_EQ_INT(st.failures + st.retries + st.speculative, 0);
        ASSERT_EQ_INT(jb.discarded, 0);
        free_outs(outs, 16);
    }
    ASSERT_EQ_INT(sp_mem_used(), base);
}

TEST(failed_attempts_are_retried_and_discarded)
{
    int64_t base = sp_mem_used();
    sp_sched_conf c;
    sp_sched_conf_init(&c); /* 4 attempts */
    job jb = {.fail_task = 2, .fail_times = 3, .slow_task = -1};
    void *outs[5];
    sp_sched_stats st = {0};
    sp_err err;
    ASSERT_EQ_INT(run_job(&jb, 5, 3, &c, false, outs, &st, &err), 0);
    ASSERT_EQ_INT(jb.runs[2], 4);
    ASSERT_EQ_INT(((out *)outs[2])->attempt, 3); /* the one that succeeded */
    ASSERT_EQ_INT(st.failures, 3);
    ASSERT_EQ_INT(st.retries, 3);
    ASSERT_EQ_INT(st.attempts, 8);
    ASSERT_EQ_INT(st.tasks, 5);
    /* the three failed outputs were discarded, the winners handed over */
    ASSERT_EQ_INT(jb.discarded, 3);
    ASSERT_EQ_INT(jb.created, 8);
    free_outs(outs, 5);
    ASSERT_EQ_INT(sp_mem_used(), base);
}

TEST(too_many_failures_fail_the_job)
{
    int64_t base = sp_mem_used();
    sp_sched_conf c;
    sp_sched_conf_init(&c);
    c.max_task_failures = 3;
    job jb = {.fail_task = 1, .fail_times = 100, .slow_task = -1};
    void *outs[6];
    sp_sched_stats st = {0};
    sp_err err;
    ASSERT_EQ_INT(run_job(&jb, 6, 2, &c, false, outs, &st, &err), SP_EIO);
    ASSERT_EQ_STR(err.msg, "task 1 of the test job failed 3 times: boom");
    ASSERT_EQ_STR(err.detail, "attempt 2; task 1 reads things");
    ASSERT_EQ_INT(jb.runs[1], 3);
    ASSERT_EQ_INT(st.failures, 3);
    ASSERT_EQ_INT(st.retries, 2);
    /* nothing handed over: every output made was discarded */
    for (int i = 0; i < 6; i++) ASSERT(outs[i] == NULL);
    ASSERT_EQ_INT(jb.discarded, jb.created);
    ASSERT_EQ_INT(sp_mem_used(), base);
}

TEST(fatal_failure_is_not_retried)
{
    int64_t base = sp_mem_used();
    sp_sched_conf c;
    sp_sched_conf_init(&c);
    job jb = {.fail_task = 0, .fail_times = 1, .fatal = true, .slow_task = -1};
    void *outs[4];
    sp_sched_stats st = {0};
    sp_err err;
    ASSERT_EQ_INT(run_job(&jb, 4, 2, &c, false, outs, &st, &err), SP_EIO);
    ASSERT_EQ_STR(err.msg,
                  "task 0 of the test job failed and cannot be run again: "
                  "boom");
    ASSERT_EQ_INT(jb.runs[0], 1);
    ASSERT_EQ_INT(st.retries, 0);
    ASSERT_EQ_INT(jb.discarded, jb.created);
    ASSERT_EQ_INT(sp_mem_used(), base);
}

TEST(straggler_copy_wins_and_loser_is_discarded)
{
    int64_t base = sp_mem_used();
    sp_sched_conf c;
    sp_sched_conf_init(&c);
    c.speculation = true;
    c.min_us = 20000;
    job jb = {.fail_task = -1, .slow_task = 5};
    void *outs[8];
    sp_sched_stats st = {0};
    sp_err err;
    int64_t t0 = sp_clock_mono_us();
    ASSERT_EQ_INT(run_job(&jb, 8, 3, &c, false, outs, &st, &err), 0);
    /* the straggler waits up to 10 s unless a copy wins */
    ASSERT(sp_clock_mono_us() - t0 < 5000000);
    ASSERT(jb.slow_started);
    ASSERT(jb.slow_saw_kill); /* the loser was told to stop */
    ASSERT_EQ_INT(st.speculative, 1);
    ASSERT_EQ_INT(st.spec_wins, 1);
    ASSERT_EQ_INT(jb.runs[5], 2);
    const out *w = outs[5];
    ASSERT_EQ_INT(w->task, 5);
    ASSERT_EQ_INT(w->attempt, 1);
    ASSERT(w->speculative);
    /* exactly one output per task handed over, the loser's discarded */
    for (int i = 0; i < 8; i++) ASSERT_EQ_INT(((out *)outs[i])->task, i);
    ASSERT_EQ_INT(jb.discarded, 1);
    ASSERT_EQ_INT(jb.created, 9);
    free_outs(outs, 8);
    ASSERT_EQ_INT(sp_mem_used(), base);
}

TEST(no_speculation_job_waits_for_its_straggler)
{
    sp_sched_conf c;
    sp_sched_conf_init(&c);
    c.speculation = true;
    c.min_us = 1000;
    /* a straggler that would get a copy (200 ms against a 1 ms minimum),
     * but the job's tasks must never run twice at once */
    job jb = {.fail_task = -1, .slow_task = 1, .slow_ms = 200};
    void *outs[4];
    sp_sched_stats st = {0};
    sp_err err;
    ASSERT_EQ_INT(run_job(&jb, 4, 2, &c, true, outs, &st, &err), 0);
    ASSERT_EQ_INT(st.speculative, 0);
    ASSERT_EQ_INT(jb.runs[1], 1);
    ASSERT_EQ_INT(((out *)outs[1])->attempt, 0);
    ASSERT(!jb.slow_saw_kill);
    free_outs(outs, 4);
}

TEST(conf_set_checks_values)
{
    sp_sched_conf c;
    sp_sched_conf_init(&c);
    const char *why = NULL;
    ASSERT_EQ_INT(c.max_task_failures, 4);
    ASSERT(!c.speculation);
    ASSERT_EQ_INT(sp_sched_conf_set(&c, "spate.task.maxFailures", "8", &why),
                  0);
    ASSERT_EQ_INT(c.max_task_failures, 8);
    ASSERT_EQ_INT(sp_sched_conf_set(&c, "SPATE.SPECULATION", "TRUE", &why), 0);
    ASSERT(c.speculation);
    ASSERT_EQ_INT(
        sp_sched_conf_set(&c, "spate.speculation.multiplier", "2.5", &why), 0);
    ASSERT_EQ_DBL(c.multiplier, 2.5);
    ASSERT_EQ_INT(
        sp_sched_conf_set(&c, "spate.speculation.quantile", "0.5", &why), 0);
    ASSERT_EQ_DBL(c.quantile, 0.5);
    ASSERT_EQ_INT(sp_sched_conf_set(&c, "spate.speculation.minTaskRuntime",
                                    "2 seconds", &why),
                  0);
    ASSERT_EQ_INT(c.min_us, 2000000);
    ASSERT_EQ_INT(
        sp_sched_conf_set(&c, "spate.speculation.minTaskRuntime", "250", &why),
        0);
    ASSERT_EQ_INT(c.min_us, 250000);
    static const char *bad[][2] = {
        {"spate.task.maxFailures", "0"},
        {"spate.task.maxFailures", "2.5"},
        {"spate.task.maxFailures", "four"},
        {"spate.speculation", "yes"},
        {"spate.speculation.multiplier", "0.5"},
        {"spate.speculation.quantile", "0"},
        {"spate.speculation.quantile", "1.5"},
        {"spate.speculation.minTaskRuntime", "soon"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        ASSERT_EQ_INT(sp_sched_conf_set(&c, bad[i][0], bad[i][1], &why), -1);
        ASSERT(why && *why);
    }
    ASSERT_EQ_INT(sp_sched_conf_set(&c, "trigger", "once", &why), SP_ENOTFOUND);
}

int main(int argc, char **argv)
{
    return test_main(
        argc, argv,
        (test_case[]){TEST_CASE(every_task_once_without_faults),
                      TEST_CASE(failed_attempts_are_retried_and_discarded),
                      TEST_CASE(too_many_failures_fail_the_job),
                      TEST_CASE(fatal_failure_is_not_retried),
                      TEST_CASE(straggler_copy_wins_and_loser_is_discarded),
                      TEST_CASE(no_speculation_job_waits_for_its_straggler),
                      TEST_CASE(conf_set_checks_values),
                      {0}});
}
