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

#endif /* SP_RUNTIME_H */
