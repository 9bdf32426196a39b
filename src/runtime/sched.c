/*
 * sched.c -- the task scheduler: a job of n tasks on the worker pool, with
 * retries of failed tasks and speculative copies of stragglers (Spark's
 * TaskSetManager, in one process). SQL queries run their split and
 * partition stages through it (query.c); the DStream API runs every stage
 * through it (src/dstream/sched.c adapts its jobs).
 *
 * Every worker (one per pool thread, at most one per task without
 * speculation) loops under one mutex: take a queued task, else -- with
 * speculation on -- a copy of a straggler, else wait. The lock is released
 * while an attempt runs: it is taken twice per attempt, never per row.
 *
 * Outputs: an attempt writes into an output of its own (a->out). The first
 * attempt of a task to finish installs its output and raises the task's
 * `killed` flag, which the other attempts poll to stop early; a loser's
 * output is discarded, so a job's result holds exactly one attempt's output
 * per task: never duplicated, never missing.
 *
 * Failure: a failed attempt's output is discarded and the task queued again
 * (once no attempt of it is running), up to max_task_failures failed
 * attempts; then the job fails: every task is killed, the workers drain,
 * and every output is discarded. A task may also fail the job at once:
 * `fatal` (it changed something it cannot roll back; the error says the
 * task cannot be run again) or `no_retry` (the error would recur on every
 * attempt, such as a malformed record; the task's error is the job's, as
 * it is).
 *
 * Speculation (Spark's rules): once `quantile` of the tasks finished, a
 * task whose only attempt has run longer than max(multiplier x the median
 * duration of the finished tasks, min) gets one copy.
 */
#include "runtime/runtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- configuration ------------------------------------------------------- */

void sp_sched_conf_init(sp_sched_conf *c)
{
    c->max_task_failures = 4;
    c->speculation = false;
    c->quantile = 0.75;
    c->multiplier = 1.5;
    c->min_us = 100000;
}

/* A decimal number with nothing after it. */
static bool number(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || errno) return false;
    while (*end == ' ') end++;
    if (*end) return false;
    *out = d;
    return true;
}

int sp_sched_conf_set(sp_sched_conf *c, const char *key, const char *value,
                      const char **why)
{
    double d;
    if (!strcasecmp(key, "spate.task.maxFailures")) {
        if (!number(value, &d) || d != (double)(int)d || d < 1 || d > 1000) {
            *why = "expected a whole number from 1 to 1000 (attempts of a "
                   "task before its batch fails)";
            return -1;
        }
        c->max_task_failures = (int)d;
    } else if (!strcasecmp(key, "spate.speculation")) {
        if (!strcasecmp(value, "true"))
            c->speculation = true;
        else if (!strcasecmp(value, "false"))
            c->speculation = false;
        else {
            *why = "expected true or false";
            return -1;
        }
    } else if (!strcasecmp(key, "spate.speculation.multiplier")) {
        if (!number(value, &d) || !(d >= 1) || d > 1e6) {
            *why = "expected a number >= 1 (how many times slower than the "
                   "median a task must be to get a copy), e.g. 1.5";
            return -1;
        }
        c->multiplier = d;
    } else if (!strcasecmp(key, "spate.speculation.quantile")) {
        if (!number(value, &d) || !(d > 0) || d > 1) {
            *why = "expected a fraction above 0 and at most 1 (of the tasks "
                   "that must finish before speculating), e.g. 0.75";
            return -1;
        }
        c->quantile = d;
    } else if (!strcasecmp(key, "spate.speculation.minTaskRuntime")) {
        int64_t us;
        /* a bare number is milliseconds, as in Spark */
        if (number(value, &d) && d >= 0 && d <= 86400000) {
            us = (int64_t)(d * 1000);
        } else if (sp_interval_parse(value, strlen(value), &us, NULL) != 0 ||
                   us < 0) {
            *why = "expected a duration such as '100ms' or '1 second'";
            return -1;
        }
        c->min_us = us;
    } else {
        return SP_ENOTFOUND;
    }
    return 0;
}

/* ---- one job --------------------------------------------------------------
 */

enum { T_PENDING, T_RUNNING, T_DONE };

typedef struct tstate {
    int status;
    int running;      /* attempts in flight */
    int attempts;     /* attempts started */
    int fails;        /* attempts failed */
    bool speculated;  /* a copy of the attempt in flight was started */
    int64_t start_us; /* start of the attempt in flight (not the copy) */
    _Atomic int killed;
} tstate;

typedef struct srun {
    const sp_sched_conf *c;
    sp_sched_job *j;
    sp_sched_stats *st;
    bool speculate;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    tstate *t;
    int *queue; /* ring of n task ids */
    int q_head, q_len;
    int n_done;
    int64_t *dur;    /* durations of finished tasks, us, in finish order */
    int64_t *sorted; /* scratch for the median */
    int64_t median;  /* of the first median_n durations */
    int median_n;
    int rc;
    sp_err err;
} srun;

#define STAT_ADD(st, field, n)                                                 \
    do {                                                                       \
        if (st)                                                                \
            atomic_fetch_add_explicit(&(st)->field, n, memory_order_relaxed);  \
    } while (0)

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* A straggler to copy, or -1. Called with the lock held. */
static int pick_speculative(srun *s)
{
    int n = s->j->n_tasks;
    if (!s->speculate || s->n_done == 0 || s->n_done >= n) return -1;
    if ((double)s->n_done < s->c->quantile * n) return -1;
    if (s->median_n != s->n_done) {
        memcpy(s->sorted, s->dur, sizeof *s->sorted * (size_t)s->n_done);
        qsort(s->sorted, (size_t)s->n_done, sizeof *s->sorted, cmp_i64);
        s->median = s->sorted[s->n_done / 2];
        s->median_n = s->n_done;
    }
    int64_t thr = (int64_t)(s->c->multiplier * (double)s->median);
    if (thr < s->c->min_us) thr = s->c->min_us;
    int64_t now = sp_clock_mono_us();
    for (int i = 0; i < n; i++) {
        tstate *t = &s->t[i];
        if (t->status == T_RUNNING && !t->speculated && t->running == 1 &&
            now - t->start_us > thr)
            return i;
    }
    return -1;
}

static void timed_wait(srun *s, int64_t us)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)(us * 1000);
    while (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&s->cond, &s->lock, &ts);
}

/* The job fails with task i's error: after too many failures, or at once
 * for a fatal one (named as such), or for one that would recur (the task's
 * error as it is). Called with the lock held. */
static void fail_job(srun *s, int i, int rc, const sp_err *e,
                     const sp_task_attempt *a)
{
    sp_sched_job *j = s->j;
    if (s->rc) return;
    s->rc = rc;
    for (int k = 0; k < j->n_tasks; k++) atomic_store(&s->t[k].killed, 1);
    pthread_cond_broadcast(&s->cond);
    if (a->no_retry && !a->fatal) {
        s->err = *e;
        if (!s->err.code) sp_err_set(&s->err, rc, "%s", sp_strerror(rc));
        return;
    }
    const char *cause = e->msg[0] ? e->msg : sp_strerror(rc);
    if (a->fatal)
        sp_err_set(&s->err, rc,
                   "task %d of %s failed and cannot be run again: %s", i,
                   j->name, cause);
    else
        sp_err_set(&s->err, rc, "task %d of %s failed %d times: %s", i, j->name,
                   s->t[i].fails, cause);
    sp_buf d;
    sp_buf_init(&d);
    if (e->detail[0]) sp_buf_puts(&d, e->detail);
    if (j->describe) {
        size_t was = d.len;
        if (was) sp_buf_puts(&d, "; ");
        size_t mark = d.len;
        j->describe(j->ud, i, &d);
        if (d.len == mark) d.len = was; /* nothing described */
    }
    if (d.len) sp_err_detail(&s->err, "%.*s", (int)d.len, d.data);
    sp_buf_free(&d);
    if (e->hint[0]) sp_err_hint(&s->err, "%s", e->hint);
    if (e->file[0]) sp_err_at(&s->err, e->file, e->line, e->col, e->len);
}

static void worker(void *ud, int wi)
{
    srun *s = ud;
    sp_sched_job *j = s->j;
    SP_UNUSED(wi);
    pthread_mutex_lock(&s->lock);
    for (;;) {
        if (s->n_done == j->n_tasks || s->rc) break;
        int task = -1;
        bool spec = false;
        if (s->q_len > 0) {
            task = s->queue[s->q_head];
            s->q_head = (s->q_head + 1) % j->n_tasks;
            s->q_len--;
        } else if ((task = pick_speculative(s)) >= 0) {
            spec = true;
        }
        if (task < 0) {
            if (s->speculate)
                timed_wait(s, 2000);
            else
                pthread_cond_wait(&s->cond, &s->lock);
            continue;
        }
        tstate *t = &s->t[task];
        sp_task_attempt a = {.task = task,
                             .attempt = t->attempts++,
                             .speculative = spec,
                             .killed = &t->killed};
        t->running++;
        int64_t start = sp_clock_mono_us();
        if (spec) {
            t->speculated = true;
            STAT_ADD(s->st, speculative, 1);
        } else {
            t->status = T_RUNNING;
            t->start_us = start;
        }
        pthread_mutex_unlock(&s->lock);

        /* the attempt, without the lock */
        STAT_ADD(s->st, attempts, 1);
        sp_err e;
        sp_err_clear(&e);
        int rc = atomic_load(&t->killed) ? SP_ESTOPPED : j->run(j->ud, &a, &e);
        int64_t end = sp_clock_mono_us();

        pthread_mutex_lock(&s->lock);
        t->running--;
        void *drop = NULL;
        if (t->status == T_DONE || s->rc) {
            drop = a.out; /* another attempt won, or the job failed */
        } else if (rc == 0) {
            t->status = T_DONE;
            j->outs[task] = a.out;
            s->dur[s->n_done++] = end - start;
            atomic_store(&t->killed, 1);
            if (spec) STAT_ADD(s->st, spec_wins, 1);
            pthread_cond_broadcast(&s->cond);
        } else {
            drop = a.out;
            t->fails++;
            STAT_ADD(s->st, failures, 1);
            if (a.fatal || a.no_retry || t->fails >= s->c->max_task_failures) {
                fail_job(s, task, rc, &e, &a);
            } else if (t->running == 0) {
                /* Run it again from its inputs (its lineage). A copy still
                 * running keeps the task running instead. */
                t->status = T_PENDING;
                t->speculated = false;
                int tail = (s->q_head + s->q_len) % j->n_tasks;
                s->queue[tail] = task;
                s->q_len++;
                STAT_ADD(s->st, retries, 1);
                pthread_cond_broadcast(&s->cond);
            }
        }
        if (drop) {
            pthread_mutex_unlock(&s->lock);
            j->discard(j->ud, drop);
            pthread_mutex_lock(&s->lock);
        }
    }
    pthread_mutex_unlock(&s->lock);
}

int sp_sched_run(sp_pool *pool, int threads, const sp_sched_conf *c,
                 sp_sched_job *j, sp_sched_stats *st, sp_err *err)
{
    int n = j->n_tasks;
    if (n <= 0) return 0;
    srun s;
    memset(&s, 0, sizeof s);
    s.c = c;
    s.j = j;
    s.st = st;
    s.speculate = c->speculation && !j->no_speculation && threads > 1;
    s.t = sp_calloc((size_t)n, sizeof *s.t);
    s.queue = sp_calloc((size_t)n, sizeof *s.queue);
    s.dur = sp_calloc((size_t)n, sizeof *s.dur);
    s.sorted = s.speculate ? sp_calloc((size_t)n, sizeof *s.sorted) : NULL;
    if (!s.t || !s.queue || !s.dur || (s.speculate && !s.sorted)) {
        sp_free(s.t);
        sp_free(s.queue);
        sp_free(s.dur);
        sp_free(s.sorted);
        return sp_err_set(err, SP_ENOMEM, "out of memory scheduling %s",
                          j->name);
    }
    for (int i = 0; i < n; i++) {
        s.queue[i] = i;
        j->outs[i] = NULL;
    }
    s.q_len = n;
    STAT_ADD(st, tasks, n);
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);
    int workers = s.speculate ? threads : SP_MIN(threads, n);
    if (workers < 1) workers = 1;
    bool excl = workers > 1 && j->pool_lock;
    if (excl) pthread_mutex_lock(j->pool_lock);
    sp_pool_run(pool, workers, worker, &s);
    if (excl) pthread_mutex_unlock(j->pool_lock);
    pthread_mutex_destroy(&s.lock);
    pthread_cond_destroy(&s.cond);
    int rc = s.rc;
    if (rc) {
        for (int i = 0; i < n; i++) {
            if (j->outs[i]) j->discard(j->ud, j->outs[i]);
            j->outs[i] = NULL;
        }
        if (!err->code) *err = s.err;
    }
    sp_free(s.t);
    sp_free(s.queue);
    sp_free(s.dur);
    sp_free(s.sorted);
    return rc;
}
