/*
 * sched.c -- DStream jobs on the runtime's task scheduler
 * (src/runtime/sched.c, shared with SQL queries): one job = one stage of
 * one stream at one batch time, a task per partition.
 *
 * This file maps a djob onto an sp_sched_job and the context's options
 * onto the scheduler's configuration, and runs the task hook (fault
 * injection) before each attempt. Retries, speculation, first-finisher-wins
 * and discarding the losers' outputs are the scheduler's: a task's inputs
 * are immutable partitions of the parent RDDs (its lineage), so any attempt
 * computes the same output, and each attempt writes into an output of its
 * own.
 */
#include "dstream/dstreamInt.h"

#include <stdio.h>

typedef struct attempt_priv {
    _Atomic int *killed;
} attempt_priv;

SPATE_EXTERN int spate_task_killed(const spate_task_info_t *t)
{
    const attempt_priv *p = t->priv_;
    return p && atomic_load(p->killed);
}

typedef struct adapter {
    spate_ssc_t *ssc;
    djob *j;
} adapter;

static int run_attempt(void *ud, sp_task_attempt *a, sp_err *err)
{
    adapter *x = ud;
    spate_ssc_t *ssc = x->ssc;
    djob *j = x->j;
    if (ssc->o.task_hook) {
        attempt_priv priv = {a->killed};
        spate_task_info_t info = {j->op,      j->stream_id,   j->time, a->task,
                                  a->attempt, a->speculative, &priv};
        if (ssc->o.task_hook(&info, ssc->o.task_hook_data) != 0)
            return sp_err_set(err, SP_EINTERNAL,
                              "task failed (injected fault)");
        if (atomic_load(a->killed)) return SP_ESTOPPED;
    }
    return j->run(j, a->task, a->killed, &a->out, err);
}

static void discard_out(void *ud, void *out)
{
    adapter *x = ud;
    x->j->discard(out);
}

int sp_dsched_run(spate_ssc_t *ssc, djob *j, sp_err *err)
{
    if (j->n_tasks <= 0) return 0;
    const spate_ssc_options_t *o = &ssc->o;
    sp_sched_conf c;
    sp_sched_conf_init(&c);
    c.max_task_failures = o->max_task_failures;
    c.speculation = o->speculation != 0;
    c.quantile = o->speculation_quantile;
    c.multiplier = o->speculation_multiplier;
    c.min_us = o->speculation_min_ms * 1000;
    char name[160];
    snprintf(name, sizeof name, "%s at %lld ms", j->op, (long long)j->time);
    adapter x = {ssc, j};
    sp_sched_job sj = {
        .name = name,
        .n_tasks = j->n_tasks,
        .run = run_attempt,
        .discard = discard_out,
        .ud = &x,
        .outs = j->outs,
        /* concurrent jobs share the pool, which runs one job at a time */
        .pool_lock = o->concurrent_jobs > 1 ? &ssc->pool_lock : NULL,
    };
    return sp_sched_run(ssc->pool, ssc->threads, &c, &sj, &ssc->stats, err);
}
