/*
 * sched.c -- the task scheduler: one job = one stage of one stream at one
 * batch time, a task per partition, run on the worker pool (sp_pool).
 *
 * Every pool thread runs a worker loop that takes work under one mutex:
 * first a queued task, else (with speculation on) a copy of a straggler,
 * else it waits. A task attempt writes into an output of its own; the
 * first attempt of a task to finish installs its output and raises the
 * task's `killed` flag so other copies stop early; a loser's output is
 * discarded, so output is never duplicated.
 *
 * Failure: a failed attempt (the task hook said so, or the task returned an
 * error) is queued again -- a task's inputs are immutable partitions of the
 * parent RDDs, i.e. its lineage, so a re-run computes the same output --
 * until it failed max_task_failures times; then the job fails.
 *
 * Speculation (Spark's rules): once speculation_quantile of the tasks have
 * finished, a task running longer than max(multiplier x median duration of
 * the finished ones, speculation_min_ms) gets one copy.
 */
#include "dstream/dstreamInt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { T_PENDING, T_RUNNING, T_DONE };

typedef struct tstate {
    int status;
    int running;  /* attempts in flight */
    int attempts; /* attempts started */
    int fails;
    bool speculated;
    int64_t start_us; /* of the first attempt in flight */
    _Atomic int killed;
} tstate;

typedef struct srun {
    spate_ssc_t *ssc;
    djob *j;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    tstate *t;
    int *queue; /* ring of n task ids */
    int q_head, q_len;
    int n_done;
    int64_t *dur; /* durations of finished tasks, us */
    int rc;
    sp_err err;
} srun;

typedef struct attempt_priv {
    _Atomic int *killed;
} attempt_priv;

SPATE_EXTERN int spate_task_killed(const spate_task_info_t *t)
{
    const attempt_priv *p = t->priv_;
    return p && atomic_load(p->killed);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* A straggler to copy, or -1. Called with the lock held. */
static int pick_speculative(srun *s)
{
    const spate_ssc_options_t *o = &s->ssc->o;
    int n = s->j->n_tasks;
    if (!o->speculation || s->n_done == 0 || s->n_done >= n) return -1;
    if ((double)s->n_done < o->speculation_quantile * n) return -1;
    int64_t tmp[64];
    int64_t *d = s->n_done <= 64 ? tmp : sp_malloc(sizeof *d * s->n_done);
    if (!d) return -1;
    memcpy(d, s->dur, sizeof *d * s->n_done);
    qsort(d, (size_t)s->n_done, sizeof *d, cmp_i64);
    int64_t median = d[s->n_done / 2];
    if (d != tmp) sp_free(d);
    int64_t thr = (int64_t)(o->speculation_multiplier * (double)median);
    if (thr < o->speculation_min_ms * 1000) thr = o->speculation_min_ms * 1000;
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

static void worker(void *ud, int wi)
{
    srun *s = ud;
    djob *j = s->j;
    spate_ssc_t *ssc = s->ssc;
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
            if (ssc->o.speculation)
                timed_wait(s, 2000);
            else
                pthread_cond_wait(&s->cond, &s->lock);
            continue;
        }
        tstate *t = &s->t[task];
        int attempt = t->attempts++;
        t->running++;
        int64_t start = sp_clock_mono_us();
        if (spec) {
            t->speculated = true;
            atomic_fetch_add(&ssc->stats.speculative, 1);
        } else {
            t->status = T_RUNNING;
            t->start_us = start;
        }
        pthread_mutex_unlock(&s->lock);

        atomic_fetch_add(&ssc->stats.tasks, 1);
        attempt_priv priv = {&t->killed};
        spate_task_info_t info = {j->op,   j->stream_id, j->time, task,
                                  attempt, spec,         &priv};
        sp_err e;
        sp_err_clear(&e);
        void *out = NULL;
        int rc = 0;
        if (ssc->o.task_hook &&
            ssc->o.task_hook(&info, ssc->o.task_hook_data) != 0)
            rc = sp_err_set(&e, SP_EINTERNAL, "task failed (injected fault)");
        else if (atomic_load(&t->killed))
            rc = SP_ESTOPPED;
        else
            rc = j->run(j, task, &t->killed, &out, &e);
        int64_t end = sp_clock_mono_us();

        pthread_mutex_lock(&s->lock);
        t->running--;
        if (t->status == T_DONE) {
            j->discard(out); /* another copy won */
        } else if (rc == 0) {
            t->status = T_DONE;
            j->outs[task] = out;
            s->dur[s->n_done++] = end - start;
            atomic_store(&t->killed, 1);
            if (spec) atomic_fetch_add(&ssc->stats.spec_wins, 1);
            pthread_cond_broadcast(&s->cond);
        } else {
            j->discard(out);
            t->fails++;
            atomic_fetch_add(&ssc->stats.failures, 1);
            if (t->fails >= ssc->o.max_task_failures) {
                if (!s->rc) {
                    s->rc = rc;
                    sp_err_set(&s->err, rc,
                               "task %d of %s at %lld ms failed %d times: "
                               "%s",
                               task, j->op, (long long)j->time, t->fails,
                               e.msg[0] ? e.msg : sp_strerror(rc));
                    if (e.hint[0]) sp_err_hint(&s->err, "%s", e.hint);
                    for (int i = 0; i < j->n_tasks; i++)
                        atomic_store(&s->t[i].killed, 1);
                }
                pthread_cond_broadcast(&s->cond);
            } else if (t->running == 0) {
                /* Re-run from its inputs (its lineage). */
                t->status = T_PENDING;
                int tail = (s->q_head + s->q_len) % j->n_tasks;
                s->queue[tail] = task;
                s->q_len++;
                atomic_fetch_add(&ssc->stats.retries, 1);
                pthread_cond_broadcast(&s->cond);
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
}

int sp_dsched_run(spate_ssc_t *ssc, djob *j, sp_err *err)
{
    int n = j->n_tasks;
    if (n <= 0) return 0;
    srun s;
    memset(&s, 0, sizeof s);
    s.ssc = ssc;
    s.j = j;
    s.t = sp_calloc((size_t)n, sizeof *s.t);
    s.queue = sp_calloc((size_t)n, sizeof *s.queue);
    s.dur = sp_calloc((size_t)n, sizeof *s.dur);
    if (!s.t || !s.queue || !s.dur) {
        sp_free(s.t);
        sp_free(s.queue);
        sp_free(s.dur);
        return sp_err_set(err, SP_ENOMEM, "out of memory scheduling %s", j->op);
    }
    for (int i = 0; i < n; i++) {
        s.queue[i] = i;
        j->outs[i] = NULL;
    }
    s.q_len = n;
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);
    int workers = ssc->o.speculation ? ssc->threads : SP_MIN(ssc->threads, n);
    if (workers < 1) workers = 1;
    /* Concurrent jobs share the pool, which runs one job at a time. */
    bool excl = workers > 1 && ssc->o.concurrent_jobs > 1;
    if (excl) pthread_mutex_lock(&ssc->pool_lock);
    sp_pool_run(ssc->pool, workers, worker, &s);
    if (excl) pthread_mutex_unlock(&ssc->pool_lock);
    pthread_mutex_destroy(&s.lock);
    pthread_cond_destroy(&s.cond);
    int rc = s.rc;
    if (rc) {
        for (int i = 0; i < n; i++) {
            j->discard(j->outs[i]);
            j->outs[i] = NULL;
        }
        if (!err->code) *err = s.err;
    }
    sp_free(s.t);
    sp_free(s.queue);
    sp_free(s.dur);
    return rc;
}
