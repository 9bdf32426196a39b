/*
 * runtime.h -- the micro-batch runtime: triggers, the batch loop, the
 * offset write-ahead log and commit log, progress records, and the worker
 * pool that runs one task per split.
 *
 * One batch of one query, in order (DESIGN.md "The micro-batch loop"):
 *   1. ask the source for the end offset of the next batch (rate limits);
 *   2. write offsets/N (range, watermark, batch time) -- the WAL;
 *   3. split the range, run every split on the pool: read -> pipeline ->
 *      sink part;
 *   4. commit the sink parts for batch N (the sink is idempotent per id);
 *   5. write commits/N, tell the source the range is committed, emit the
 *      progress record.
 * On start with an existing checkpoint: if offsets/N has no commits/N the
 * batch N is re-run with exactly the recorded range; otherwise the query
 * continues at N+1 from the recorded end offset.
 */
#ifndef SP_RUNTIME_H
#define SP_RUNTIME_H

#include "core/core.h"
#include "exec/agg.h"
#include "exec/exec.h"
#include "io/connector.h"

#include <pthread.h>
#include <stdatomic.h>

typedef enum sp_trigger_kind {
    SP_TRIGGER_PROCESSING_TIME, /* interval_us; 0 = as fast as possible */
    SP_TRIGGER_ONCE,            /* one batch with all available data */
    SP_TRIGGER_AVAILABLE_NOW    /* all available now, rate-limited, then
                                   stop */
} sp_trigger_kind;

typedef struct sp_trigger {
    sp_trigger_kind kind;
    int64_t interval_us;
} sp_trigger;

/* Parses the SET trigger value: "processing_time '1 second'", "once",
 * "available_now". Returns 0 or -1 with a reason in *why. */
int sp_trigger_parse(const char *text, sp_trigger *out, const char **why);

/* One input of a query: a source and the pipeline its rows go through. A
 * query has several when it is a UNION ALL. */
typedef struct sp_query_input {
    const sp_source_vtab *src_vt;
    sp_source_conf src_conf; /* state_dir filled by the runtime */
    const sp_pipeline *pipe;
    int64_t wm_delay_us; /* watermark delay; -1 = none */
} sp_query_input;

/* One streaming query: inputs -> [stateful operator] -> sink. */
typedef struct sp_query_spec {
    const char *name; /* the sink's name */
    int n_inputs;
    sp_query_input *inputs;
    const sp_agg_spec *agg; /* a stateful operator, or NULL */
    bool agg_over_output;   /* the stateful operator reads the
                               inputs' projected output (UNION ALL)
                               rather than their filtered rows */
    bool wm_policy_max;     /* multiple_watermark_policy = max */
    bool no_data_batches;   /* run a batch without data when the
                               watermark moved (stateful only) */
    int snapshot_interval;  /* state store snapshots */
    const sp_sink_vtab *sink_vt;
    sp_sink_conf sink_conf;
    const char *fingerprint; /* plan text; recorded in metadata */
} sp_query_spec;

typedef struct sp_run_opts {
    sp_trigger trigger;
    const char *checkpoint; /* NULL: a temporary directory, removed at
                               exit */
    int threads;            /* worker threads, >= 1 */
    FILE *progress;         /* one JSON record per batch, or NULL */
    bool status_line;       /* live status on stderr */
    int64_t duration_us;    /* stop after this long; 0 = no limit */
    volatile int *stop;     /* set non-zero (e.g. by SIGINT) to stop
                               after the batch in flight */
    int64_t poll_us;        /* idle wait between checks for new data */
    bool reset_checkpoint;  /* remove the queries' checkpoint directories
                               first (--reset-checkpoint) */
    const struct sp_sched_conf *sched; /* retries and speculation of the
                                    queries' tasks; NULL = defaults */
} sp_run_opts;

/* Runs the queries until the trigger says stop, *stop is set, the
 * duration passes, or an error. Returns 0 or the error. */
int sp_runtime_run(sp_query_spec *qs, int n_queries, const sp_run_opts *o,
                   sp_err *err);

/* ---- worker pool ---------------------------------------------------- */

typedef struct sp_pool sp_pool;
sp_pool *sp_pool_create(int threads);
void sp_pool_destroy(sp_pool *p);
/* Runs fn(ud, i) for i in [0, n) on the pool (the caller's thread helps)
 * and returns when all are done. */
void sp_pool_run(sp_pool *p, int n, void (*fn)(void *ud, int i), void *ud);

/* ---- task scheduler (sched.c) ------------------------------------------
 *
 * A job is n tasks run on the pool; SQL queries (split and partition
 * stages) and the DStream API (one job per stage) share it. A failed task
 * is run again -- its inputs are immutable, so a new attempt computes the
 * same output -- until it failed max_task_failures times. With speculation,
 * a straggler gets one copy; the first attempt of a task to finish wins,
 * the others are told to stop (`killed`) and their outputs discarded, so a
 * job's output holds exactly one attempt's output per task. The lock is
 * taken when an attempt starts and ends, never inside one. Usage:
 *
 *     static int run(void *ud, sp_task_attempt *a, sp_err *err)
 *     {
 *         a->out = make_output(ud, a->task);   // owned by the scheduler
 *         while (more(ud)) {
 *             if (atomic_load(a->killed)) return SP_ESTOPPED;
 *             ... write into a->out only ...
 *         }
 *         return 0;
 *     }
 *     sp_sched_job j = {"batch 3", n, false, run, discard, NULL, ud, outs};
 *     rc = sp_sched_run(pool, threads, &conf, &j, &stats, err);
 *     // rc == 0: outs[i] is task i's winning output (the caller owns it)
 */

typedef struct sp_sched_conf {
    int max_task_failures; /* failed attempts of one task that fail the
                              job (Spark's spark.task.maxFailures: 4) */
    bool speculation;      /* copies of stragglers (spark.speculation) */
    double quantile;       /* finished fraction before speculating (0.75) */
    double multiplier;     /* a straggler runs > multiplier x the median
                              of the finished tasks (1.5) ... */
    int64_t min_us;        /* ... and longer than this (100 ms) */
} sp_sched_conf;

void sp_sched_conf_init(sp_sched_conf *c);
/* Sets one setting by its SET name (spate.task.maxFailures,
 * spate.speculation, spate.speculation.multiplier,
 * spate.speculation.quantile, spate.speculation.minTaskRuntime; names
 * case-insensitive). Returns 0, -1 for a bad value (a reason in *why), or
 * SP_ENOTFOUND when the key is not the scheduler's. */
int sp_sched_conf_set(sp_sched_conf *c, const char *key, const char *value,
                      const char **why);

/* Counters, added to by every job run with them (atomics: a DStream
 * context's concurrent jobs share one). */
typedef struct sp_sched_stats {
    _Atomic int64_t tasks;       /* tasks of the jobs run */
    _Atomic int64_t attempts;    /* attempts started (>= tasks on success) */
    _Atomic int64_t failures;    /* attempts that failed */
    _Atomic int64_t retries;     /* attempts queued again after a failure */
    _Atomic int64_t speculative; /* speculative copies started */
    _Atomic int64_t spec_wins;   /* ... that finished first */
} sp_sched_stats;

/* One attempt of one task, as its run callback sees it. */
typedef struct sp_task_attempt {
    int task;            /* [0, n_tasks) */
    int attempt;         /* 0, 1, ... over all attempts of this task */
    bool speculative;    /* a copy of an attempt still running */
    _Atomic int *killed; /* non-zero once another attempt won or the job
                            failed: stop early (return SP_ESTOPPED) */
    void *out;           /* OUT: the attempt's output; the scheduler owns
                            it from when run returns, even on failure */
    bool fatal;          /* OUT: the failure must not be retried: the attempt
                            changed something it cannot undo */
    bool no_retry;       /* OUT: the failure would recur on every attempt (bad
                            input data): the job fails with this error as is */
} sp_task_attempt;

typedef struct sp_sched_job {
    const char *name; /* for errors: "task 3 of <name> failed ..." */
    int n_tasks;
    bool no_speculation; /* never two attempts of a task at once */
    /* Runs one attempt. Returns 0 or an SP_E code with details in err.
     * Attempts of different tasks, and with speculation two attempts of
     * one task, run at the same time on different threads. */
    int (*run)(void *ud, sp_task_attempt *a, sp_err *err);
    /* Frees an output that lost, failed, or belongs to a failed job
     * (called for non-NULL outputs only, outside the scheduler's lock). */
    void (*discard)(void *ud, void *out);
    /* Optional: what task i does, for the detail of a job's error. */
    void (*describe)(void *ud, int task, sp_buf *out);
    void *ud;
    void **outs; /* n_tasks slots, filled on success with the winners */
    /* Optional: held while the job uses the pool (a pool runs one job at
     * a time; callers sharing one between threads pass a lock). */
    pthread_mutex_t *pool_lock;
} sp_sched_job;

/* Runs every task of j on up to `threads` workers of the pool. Returns 0
 * with j->outs filled, or the error of the task that failed too often
 * (or fatally), naming it; then every output has been discarded and
 * j->outs is all NULL. Stats are added to *st (may be NULL). */
int sp_sched_run(sp_pool *pool, int threads, const sp_sched_conf *c,
                 sp_sched_job *j, sp_sched_stats *st, sp_err *err);

/* ---- injected task faults (fault.c, test-only) --------------------------
 * SPATE_TASK_FAULT=fail:<batch>:<task>[:<times>] |
 * failafter:<batch>:p<N>[:<times>] | slow:<batch>:<task>:<ms>
 * (comma-separated; <batch> may be '*'; <task> is a split task's number or
 * p<N> for partition task N). See fault.c. */

/* Reads the variable (once per process); SP_EINVAL if it is malformed. */
int sp_task_fault_init(sp_err *err);
/* SP_EINTERNAL with "injected task fault" in err when this attempt of the
 * task is to fail, else 0. `partition`: a partition task, else a split
 * task. `after`: the check after a partition task's work (failafter),
 * else the one of fail. */
int sp_task_fault_fail(int64_t batch, bool partition, int task, int attempt,
                       bool after, sp_err *err);
/* Delays attempt 0 of the task when asked; SP_ESTOPPED if another attempt
 * won meanwhile, else 0. */
int sp_task_fault_slow(int64_t batch, bool partition, const sp_task_attempt *a);

#endif /* SP_RUNTIME_H */
