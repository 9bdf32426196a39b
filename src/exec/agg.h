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
 * vectors; no allocation per row. Variable-size states (agg_var.c) add a
 * tail to the stored value and take a separate, per-group path; session
 * windows merge per key in op_session.c.
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
    X(APPROX_DISTINCT, "approx_count_distinct")                                \
    X(COUNT_DISTINCT, "count")                                                 \
    X(PERCENTILE, "percentile")                                                \
    X(PERCENTILE_APPROX, "percentile_approx")

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
    /* A variable-size state (agg_var.c): min/max/first/last of VARCHAR,
     * count(DISTINCT x), percentiles. Its 8-byte slot at `offset` holds,
     * in a working value, a pointer to the state's object (NULL = empty)
     * and, in a stored value, the u32 offset and u32 length of the state's
     * bytes in the value's tail (length 0 = empty). */
    bool var;
    double param;   /* percentile: the percentage in [0, 1] */
    double rel_err; /* percentile_approx: 1 / accuracy */
} sp_agg;

/* Resolves an aggregate call by name (count, sum, avg, mean, min, max,
 * first, first_value, last, last_value, variance, var_samp, var_pop,
 * stddev, std, stddev_samp, stddev_pop, approx_count_distinct, median,
 * percentile, percentile_approx, approx_percentile; count(DISTINCT x)).
 * A percentile's percentage (param) and accuracy are set by the caller
 * (median: 0.5, percentile_approx's rel_err: 1/10000). Returns 0,
 * SP_ENOTFOUND for a name that is not an aggregate, SP_EUNSUPPORTED or
 * SP_EANALYSIS (message set, no position) for an argument type or form
 * that is not accepted. Sets kind, arg_type, ret_type and size. */
int sp_agg_resolve(const char *name, bool star, bool distinct, sp_type arg_type,
                   sp_agg *out, sp_err *err);

/* Fixed-size states (agg_func.c): update in place for a chunk of rows
 * (states[k] is the base of the value of row rows[k]'s group), merge, and
 * finalize into row `row` of `out` (allocated with nulls). Variable-size
 * states are skipped by update and merge. */
void sp_agg_update(const sp_agg *a, uint8_t **states, const sp_vec *arg,
                   const uint32_t *rows, uint32_t n);
void sp_agg_merge(const sp_agg *a, uint8_t *dst, const uint8_t *src);
/* Works on a stored value (variable states read from its tail). */
void sp_agg_final(const sp_agg *a, const uint8_t *value, sp_vec *out,
                  uint32_t row);

/* Variable-size states (agg_var.c). A group's *working value* (in a
 * partial table, or while a batch merges into a stored group) is
 * value_size bytes whose variable slots hold object pointers; its *stored
 * value* is the fixed states followed by a tail with each variable
 * state's bytes (8-byte aligned), its slot holding (offset, length). */
int sp_agg_var_update(const sp_agg *a, uint8_t **states, const sp_vec *arg,
                      const uint32_t *rows, uint32_t n, sp_buf *scratch);
/* Finalizes a variable state of a stored value. */
void sp_agg_var_final(const sp_agg *a, const uint8_t *value, sp_vec *out,
                      uint32_t row);
/* Merges working value src into working value dst, all aggregates. With
 * `steal`, a variable object is moved from src (its slot cleared) when
 * dst has none. 0 or SP_ENOMEM. */
int sp_aggv_merge(const sp_agg *aggs, int n_aggs, uint8_t *dst, uint8_t *src,
                  bool steal);
/* Loads a stored value into a working value (value_size bytes). */
int sp_aggv_load(const sp_agg *aggs, int n_aggs, uint32_t value_size,
                 const uint8_t *stored, size_t stored_len, uint8_t *work);
/* The stored size of a working value, and its bytes (dst holds
 * sp_aggv_stored_size bytes, 8-byte aligned). Storing sorts percentile
 * lists in place. */
size_t sp_aggv_stored_size(const sp_agg *aggs, int n_aggs, uint32_t value_size,
                           const uint8_t *work);
void sp_aggv_store(const sp_agg *aggs, int n_aggs, uint32_t value_size,
                   uint8_t *work, uint8_t *dst);
/* Frees the objects of a working value and clears their slots. */
void sp_aggv_free(const sp_agg *aggs, int n_aggs, uint8_t *work);

/* ---- the operator's plan ------------------------------------------------ */

/* A window key: window(ts, length, slide, start offset), or
 * session_window(ts, gap): a row's session is [ts, ts + gap); sessions of
 * the same other keys that overlap or touch merge (op_session.c). */
typedef struct sp_window_spec {
    int ts_arg; /* index of the timestamp among evaluated keys */
    int64_t length_us, slide_us, offset_us;
    bool session;
    /* session gap: static (gap_us > 0, gap_arg -1), or per row from the
     * evaluated args[gap_arg] (an INTERVAL, or a VARCHAR such as
     * '5 minutes'); a row whose gap is NULL, unparsable or <= 0 is
     * dropped. For a session window, length_us = slide_us = gap_us. */
    int64_t gap_us;
    int gap_arg;
} sp_window_spec;

/* A session query's key bytes end with the session window (the planner
 * makes it the last key): the other keys are the first klen - 17 bytes,
 * and the value's first SP_SESSION_RESERVED bytes hold, in a partial
 * table, the hash of those bytes (the exchange partitions by it). */
#define SP_SESSION_KEY_BYTES 17
#define SP_SESSION_RESERVED  8

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
    uint32_t value_size; /* bytes of all fixed states and variable slots */
    int n_var;           /* variable-size states among the aggregates */
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
    /* Complete mode: ORDER BY output columns, and LIMIT (-1 = none). The
     * partitions' rows are gathered and sorted before the sink. */
    int n_order;
    int *order_cols;
    bool *order_desc;
    bool *order_nulls_first;
    int64_t limit;
    /* Deduplication (SELECT DISTINCT / DISTINCT ON) instead of aggregates:
     * the keys identify a row; the first row of each key in input order is
     * emitted as `out` (over the pre-pipeline's columns) and the key kept in
     * state (until the watermark passes its event-time key, if any). */
    bool dedup;
    int n_out;
    sp_expr **out;
    /* dropDuplicatesWithinWatermark (DISTINCT ON ... WITHIN WATERMARK): a
     * key is kept until the watermark passes the event time of its first
     * row plus the watermark delay; rows at or before the watermark are
     * late. */
    bool within_wm;
    sp_expr *et_expr; /* the row's event time (the watermarked column) */
    int64_t wm_delay_us;
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
/* How many threads a commit may use (default 1): the query's --threads. */
void sp_agg_op_set_threads(sp_agg_op *op, int threads);

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
/* Whether a partition whose sp_agg_partition_run failed may run again
 * after sp_agg_partition_reset: true when the run only reads the partials
 * (fixed-size aggregate states, deduplication), so they are still the
 * partition's whole input (its lineage); false for variable-size states
 * (spec->n_var) and session windows, whose merge moves objects out of the
 * partials. */
bool sp_agg_partition_retryable(const sp_agg_op *op);
/* Drops partition p's uncommitted changes: its store reloads the committed
 * version (sp_state_abort; a no-op when nothing changed). Together with
 * retryable partials this undoes a failed sp_agg_partition_run, so it can
 * run again with the same partials. No other call on partition p may run
 * meanwhile; other partitions may. 0, or the store's error (SP_ENOMEM,
 * SP_EIO, SP_ECORRUPT), after which partition p's state is unknown and the
 * batch must not commit. */
int sp_agg_partition_reset(sp_agg_op *op, int p, sp_err *err);
/* Commits every partition's state as `version`, then starts maintenance
 * (snapshots, file cleanup) on a background thread: sp_agg_op_commit_start
 * then sp_agg_op_commit_finish. */
int sp_agg_op_commit(sp_agg_op *op, int64_t version, sp_err *err);
/* The same in two halves, so the caller can do other work (the sink's
 * commit) while the partitions' files are written and fsynced.
 * _start waits for the previous maintenance and starts threads that
 * commit the partitions (one per partition with few changes, at most
 * sp_agg_op_set_threads' with many), and returns at once; it fails only
 * when the maintenance failed or memory ran out, and then nothing was
 * started. _finish joins them, returns the first partition's error if
 * any (version N is then durable in some partitions and not others: the
 * batch must not be committed, and recovery re-runs it from N - 1), else
 * starts the maintenance. Between the two no other call on op may run;
 * every successful _start must be followed by one _finish.
 *
 *     rc = sp_agg_op_commit_start(op, n, err);
 *     if (!rc) {
 *         int src = other_work(&e2);          (does not touch op)
 *         rc = sp_agg_op_commit_finish(op, err);
 *         if (!rc && src) ...                 (report e2)
 *     }
 */
int sp_agg_op_commit_start(sp_agg_op *op, int64_t version, sp_err *err);
int sp_agg_op_commit_finish(sp_agg_op *op, sp_err *err);
/* Waits for background maintenance; returns its error, if any. Call before
 * the stores are used again (the partition stage of the next batch). */
int sp_agg_op_quiesce(sp_agg_op *op, sp_err *err);

/* Whether a batch with this watermark would evict or emit anything: the
 * runtime runs a no-data batch when the watermark moved and this says so. */
bool sp_agg_op_has_state(sp_agg_op *op);

/* Complete mode with ORDER BY / LIMIT: orders the live rows of b (whose
 * columns are spec->out_schema) by the spec's keys into b->sel (Spark's
 * order: NULLs first ascending, last descending unless said; NaN above
 * every double; strings bytewise) and keeps at most `limit` rows. */
int sp_agg_sort_output(const sp_agg_spec *spec, sp_batch *b, sp_err *err);

#endif /* SP_EXEC_AGG_H */
