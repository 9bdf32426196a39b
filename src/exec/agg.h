/*
 * agg.h -- streaming aggregation: aggregate functions, event-time window
 * assignment, partial aggregation per split, and the final aggregation per
 * state partition against the versioned state store.
 *
 * Data flow of one batch (see src/exec/README.md):
 *
 *   split task (worker)          partition task p (worker)
 *   -------------------          -------------------------
 *   pipeline (compute, filter)   for each split's partial table:
 *   evaluate keys and agg args     for each group with hash % P == p:
 *   assign windows (expand)          drop if late (event time <= wm)
 *   partial table: key -> state      merge into the state store
 *                                output by mode (append: final groups,
 *                                evicted; update: changed groups, then
 *                                final ones evicted; complete: all)
 *
 * A group's key is its key columns encoded as bytes (encode_key); its value
 * is the concatenation of the aggregates' fixed-size states. States are
 * updated in place, merged field by field, and finalized into output
 * vectors; no allocation per row.
 */
#ifndef SP_EXEC_AGG_H
#define SP_EXEC_AGG_H

#include "core/core.h"
#include "exec/exec.h"
#include "expr/expr.h"

/* ---- aggregate functions ---------------------------------------------- */

#define SP_AGG_MAP(X)                                                          \
    X(COUNT_STAR, "count")                                                     \
    X(COUNT, "count")                                                          \
    X(SUM, "sum")                                                              \
    X(MIN, "min")                                                              \
    X(MAX, "max")                                                              \
    X(AVG, "avg")                                                              \
    X(FIRST, "first")                                                          \
    X(LAST, "last")                                                            \
    X(VAR_SAMP, "var_samp")                                                    \
    X(VAR_POP, "var_pop")                                                      \
    X(STDDEV_SAMP, "stddev_samp")                                              \
    X(STDDEV_POP, "stddev_pop")                                                \
    X(APPROX_DISTINCT, "approx_count_distinct")

typedef enum sp_agg_kind {
#define SP_AGG_ENUM(n, s) SP_AGG_##n,
    SP_AGG_MAP(SP_AGG_ENUM)
#undef SP_AGG_ENUM
} sp_agg_kind;

typedef struct sp_agg {
    sp_agg_kind kind;
    sp_type arg_type; /* SP_T_NULL for count(*) */
    sp_type ret_type;
    uint32_t offset; /* of its state in the group's value */
    uint32_t size;   /* state bytes */
    int arg;         /* index of its argument among the evaluated args */
} sp_agg;

/* Resolves an aggregate call by name (count, sum, avg, mean, min, max,
 * first, first_value, last, last_value, variance, var_samp, var_pop,
 * stddev, std, stddev_samp, stddev_pop, approx_count_distinct). Returns 0,
 * SP_ENOTFOUND for a name that is not an aggregate, SP_EUNSUPPORTED or
 * SP_EANALYSIS (message set, no position) for an argument type or form
 * that is not accepted. Sets kind, arg_type, ret_type and size. */
int sp_agg_resolve(const char *name, bool star, bool distinct, sp_type arg_type,
                   sp_agg *out, sp_err *err);

/* ---- the operator's plan ------------------------------------------------ */

/* A window key: window(ts, length, slide, start offset). */
typedef struct sp_window_spec {
    int ts_arg; /* index of the timestamp among evaluated keys */
    int64_t length_us, slide_us, offset_us;
} sp_window_spec;

typedef struct sp_agg_spec {
    /* Before the aggregation: the stateless pipeline's compute + filter
     * (its projection is unused). */
    const sp_pipeline *pre;
    /* Group keys, evaluated over the pre-pipeline's columns. A window key
     * is listed with its timestamp expression and window_key set. */
    int n_keys;
    sp_expr **keys;
    sp_type *key_types; /* output types (WINDOW for the window key) */
    int window_key;     /* which key is the window, -1 = none */
    sp_window_spec window;
    /* Aggregate arguments (evaluated once each) and the aggregates. */
    int n_args;
    sp_expr **args;
    int n_aggs;
    sp_agg *aggs;
    uint32_t value_size; /* bytes of all states */
    /* Event time of a group for the watermark: the window key (its end),
     * or a key that is the watermarked column; -1 = none. */
    int et_key;
    int mode;       /* 0 append, 1 update, 2 complete */
    int partitions; /* state partitions P */
    /* After the aggregation: output = proj over [keys..., aggs...]
     * (window keys also expose .start and .end, see plan.c), rows kept
     * where having is TRUE. */
    sp_schema agg_schema; /* the columns proj and having see */
    sp_expr *having;
    int n_proj;
    sp_expr **proj;
    sp_schema out_schema;
    /* Deduplication (SELECT DISTINCT / DISTINCT ON) instead of aggregates:
     * the keys identify a row; the first row of each key in input order is
     * emitted as `out` (over the pre-pipeline's columns) and the key kept in
     * state (until the watermark passes its event-time key, if any). */
    bool dedup;
    int n_out;
    sp_expr **out;
} sp_agg_spec;

/* ---- running it ---------------------------------------------------------- */

typedef struct sp_agg_op sp_agg_op;           /* per query: the partitions */
typedef struct sp_agg_partial sp_agg_partial; /* per split */

/* Opens the state of every partition under state_dir/<p> at committed
 * `version` (-1 = empty). */
int sp_agg_op_open(const sp_agg_spec *spec, const char *state_dir,
                   int64_t version, int snapshot_interval, sp_agg_op **out,
                   sp_err *err);
void sp_agg_op_close(sp_agg_op *op);

sp_agg_partial *sp_agg_partial_create(const sp_agg_spec *spec);
void sp_agg_partial_destroy(sp_agg_partial *p);
/* Adds the live rows of a batch (after the pre-pipeline's filter). */
int sp_agg_partial_add(sp_agg_partial *p, const sp_batch *b, sp_arena *scratch,
                       sp_err *err);

/* Output batches of a partition go to emit (valid during the call). */
typedef int (*sp_agg_emit_fn)(void *ud, const sp_batch *b, sp_err *err);

typedef struct sp_agg_stats {
    uint64_t rows_dropped_late; /* numRowsDroppedByWatermark */
    uint64_t rows_updated;      /* groups changed this batch */
    uint64_t rows_removed;      /* groups evicted */
    uint64_t rows_total;        /* groups in state after the batch */
    uint64_t memory_bytes;
    uint64_t rows_out;
} sp_agg_stats;

/* Runs partition p for a batch: merges the partials' groups of p into its
 * state (dropping late ones when `watermark_us` applies), then emits output
 * by mode. `watermark_us` = INT64_MIN: no watermark yet. */
int sp_agg_partition_run(sp_agg_op *op, int p, sp_agg_partial **partials,
                         int n_partials, int64_t watermark_us,
                         sp_agg_emit_fn emit, void *ud, sp_agg_stats *stats,
                         sp_err *err);
/* Commits every partition's state as `version` and runs maintenance. */
int sp_agg_op_commit(sp_agg_op *op, int64_t version, sp_err *err);

/* Whether a batch with this watermark would evict or emit anything: the
 * runtime runs a no-data batch when the watermark moved and this says so. */
bool sp_agg_op_has_state(sp_agg_op *op);

#endif /* SP_EXEC_AGG_H */
