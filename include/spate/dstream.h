/*
 * spate/dstream.h -- the DStream API: Spark Streaming's discretized streams
 * in C. Included by spate.h; do not include it on its own.
 *
 * A program builds a graph of DStreams from input streams with
 * transformations that take callbacks, registers at least one output
 * operation, and starts the context. Every batch interval the graph becomes
 * a job over that batch's data; each partition of each stage runs as a task
 * on the worker pool.
 *
 *     spate_ssc_options_t o;
 *     spate_ssc_options_init(&o);
 *     o.batch_ms = 1000;
 *     spate_ssc_t *ssc;
 *     spate_error_t err;
 *     if (spate_ssc_create(&o, &ssc, &err) != 0) ...;
 *     spate_dstream_t *lines = spate_ssc_socket_text_stream(ssc, "127.0.0.1",
 *                                                           9999, NULL);
 *     spate_dstream_t *words = spate_dstream_flat_map(lines, split, NULL);
 *     spate_dstream_t *pairs = spate_dstream_map(words, to_pair, NULL);
 *     spate_dstream_t *counts = spate_dstream_reduce_by_key(pairs,
 *                                                   spate_reduce_sum, 0, NULL);
 *     spate_dstream_print(counts, 10);
 *     spate_ssc_start(ssc, &err);
 *     spate_ssc_await_termination(ssc, -1, &err);
 *     spate_ssc_destroy(ssc);
 *
 * Graph-building calls chain: they return the new stream, or NULL when the
 * call is invalid (a window that is not a multiple of the batch interval, a
 * NULL callback, a call after start). The first such error is kept in the
 * context (sticky, like OOM) and returned by spate_ssc_start; a call given a
 * NULL stream returns NULL, so a chain needs one check at the end.
 *
 * Records are typed values (spate_val_t): null, bool, int64, double, string,
 * bytes, and tuples of values (a pair is a tuple of two: key and value). A
 * callback never frees a record. Values it returns may point into (a) the
 * input record, (b) memory from the task context (spate_tctx_alloc,
 * spate_pair, spate_str_copy ...), or (c) memory that outlives the context
 * (string literals, user tables). The engine copies values where it keeps
 * them longer (shuffles, windows with inverse reduce, state).
 *
 * Times are milliseconds. The batch at time T holds the data received in
 * (T - batch, T]. With a manual clock, time moves only through
 * spate_ssc_advance, which runs every batch that became due before it
 * returns: tests are deterministic.
 */
#ifndef SPATE_DSTREAM_H
#define SPATE_DSTREAM_H

#ifndef SPATE_H
#error "include spate.h, not spate/dstream.h"
#endif

/* ------------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------- */

typedef enum spate_vkind {
    SPATE_V_NULL = 0,
    SPATE_V_BOOL,
    SPATE_V_INT,    /* int64 */
    SPATE_V_DOUBLE, /* IEEE double */
    SPATE_V_STR,    /* UTF-8 bytes, `len` long, not NUL-terminated */
    SPATE_V_BYTES,  /* raw bytes, `len` long */
    SPATE_V_TUPLE   /* `len` values at u.items; a pair is a tuple of 2 */
} spate_vkind_t;

/* A record: 16 bytes, passed by pointer, payloads borrowed. */
typedef struct spate_val {
    uint8_t kind; /* spate_vkind_t */
    uint8_t pad_[3];
    uint32_t len; /* STR/BYTES: bytes; TUPLE: arity */
    union {
        int b; /* BOOL: 0 or 1 */
        int64_t i;
        double d;
        const char *s;
        const uint8_t *bytes;
        const struct spate_val *items;
    } u;
} spate_val_t;

static inline spate_val_t spate_null(void)
{
    spate_val_t v = {0};
    return v;
}
static inline spate_val_t spate_bool(int b)
{
    spate_val_t v = {0};
    v.kind = SPATE_V_BOOL;
    v.u.b = b != 0;
    return v;
}
static inline spate_val_t spate_int(int64_t i)
{
    spate_val_t v = {0};
    v.kind = SPATE_V_INT;
    v.u.i = i;
    return v;
}
static inline spate_val_t spate_double(double d)
{
    spate_val_t v = {0};
    v.kind = SPATE_V_DOUBLE;
    v.u.d = d;
    return v;
}
/* A string view; the bytes are borrowed (see the memory rule above). */
static inline spate_val_t spate_str(const char *s, size_t n)
{
    spate_val_t v = {0};
    v.kind = SPATE_V_STR;
    v.len = (uint32_t)n;
    v.u.s = s;
    return v;
}
static inline spate_val_t spate_bytes(const void *p, size_t n)
{
    spate_val_t v = {0};
    v.kind = SPATE_V_BYTES;
    v.len = (uint32_t)n;
    v.u.bytes = (const uint8_t *)p;
    return v;
}
/* A tuple over borrowed items. */
static inline spate_val_t spate_tuple_of(const spate_val_t *items, uint32_t n)
{
    spate_val_t v = {0};
    v.kind = SPATE_V_TUPLE;
    v.len = n;
    v.u.items = items;
    return v;
}
static inline int spate_is_pair(const spate_val_t *v)
{
    return v->kind == SPATE_V_TUPLE && v->len == 2;
}
/* Key and value of a pair (the caller checked spate_is_pair). */
static inline const spate_val_t *spate_key(const spate_val_t *v)
{
    return &v->u.items[0];
}
static inline const spate_val_t *spate_value(const spate_val_t *v)
{
    return &v->u.items[1];
}

/* Deep equality (doubles compare bitwise, so NaN equals NaN; 1 != 1.0) and
 * a total order (by kind, then value; strings bytewise; tuples
 * lexicographically). */
SPATE_EXTERN int spate_val_eq(const spate_val_t *a, const spate_val_t *b);
SPATE_EXTERN int spate_val_cmp(const spate_val_t *a, const spate_val_t *b);
SPATE_EXTERN uint64_t spate_val_hash(const spate_val_t *v);
/* Writes the value as Scala's toString would: 42, 1.5, true, null, the
 * string itself, (a,1) for tuples, bytes as hex. Returns the length the
 * full text needs (snprintf-style; the output is NUL-terminated when
 * cap > 0). */
SPATE_EXTERN size_t spate_val_format(const spate_val_t *v, char *buf,
                                     size_t cap);

/* ------------------------------------------------------------------------
 * Task context: memory and emission inside callbacks
 * ---------------------------------------------------------------------- */

/* The context of one task attempt; valid during the callback only. */
typedef struct spate_tctx spate_tctx_t;

/* Memory that lives as long as the records of the task's output (16-byte
 * aligned). NULL on OOM, which also fails the task. */
SPATE_EXTERN void *spate_tctx_alloc(spate_tctx_t *cx, size_t n);
/* A pair/tuple whose items are copied (shallowly) into task memory. */
SPATE_EXTERN spate_val_t spate_pair(spate_tctx_t *cx, spate_val_t k,
                                    spate_val_t v);
SPATE_EXTERN spate_val_t spate_tuple(spate_tctx_t *cx, const spate_val_t *items,
                                     uint32_t n);
/* A string whose bytes are copied into task memory. */
SPATE_EXTERN spate_val_t spate_str_copy(spate_tctx_t *cx, const char *s,
                                        size_t n);
/* A deep copy of v in task memory. */
SPATE_EXTERN spate_val_t spate_val_copy(spate_tctx_t *cx, const spate_val_t *v);
/* Emits one output record (flatMap, transform). 0 or SPATE_ENOMEM. */
SPATE_EXTERN int spate_emit(spate_tctx_t *cx, spate_val_t v);
/* Batch time of the task, in ms. */
SPATE_EXTERN int64_t spate_tctx_time(const spate_tctx_t *cx);

/* ------------------------------------------------------------------------
 * Batches (RDDs) seen by driver-side callbacks
 * ---------------------------------------------------------------------- */

/* One batch of one stream: partitions of records. Read-only; valid during
 * the callback only. */
typedef struct spate_rdd spate_rdd_t;

SPATE_EXTERN int64_t spate_rdd_time(const spate_rdd_t *r);
SPATE_EXTERN size_t spate_rdd_count(const spate_rdd_t *r);
SPATE_EXTERN int spate_rdd_num_partitions(const spate_rdd_t *r);
/* The records of partition i (n in *n). Borrowed. */
SPATE_EXTERN const spate_val_t *spate_rdd_partition(const spate_rdd_t *r, int i,
                                                    size_t *n);
/* The k-th record over all partitions in order (O(partitions)). */
SPATE_EXTERN const spate_val_t *spate_rdd_get(const spate_rdd_t *r, size_t k);

/* ------------------------------------------------------------------------
 * Callbacks. Those returning int report failure with a negative value:
 * the task fails and is retried (see max_task_failures).
 * ---------------------------------------------------------------------- */

/* map: one record in, one out (*out). */
typedef int (*spate_map_fn)(spate_tctx_t *cx, const spate_val_t *in,
                            spate_val_t *out, void *ud);
/* flatMap: zero or more records through spate_emit. */
typedef int (*spate_flat_map_fn)(spate_tctx_t *cx, const spate_val_t *in,
                                 void *ud);
/* filter: > 0 keep, 0 drop, < 0 failure. */
typedef int (*spate_filter_fn)(const spate_val_t *in, void *ud);
/* reduce (associative, commutative): *out = a (+) b. Also the inverse
 * reduce: *out = a (-) b. */
typedef int (*spate_reduce_fn)(spate_tctx_t *cx, const spate_val_t *a,
                               const spate_val_t *b, spate_val_t *out,
                               void *ud);
/* transform: the whole batch in, records out through spate_emit (into one
 * partition). Runs once per batch. */
typedef int (*spate_transform_fn)(spate_tctx_t *cx, const spate_rdd_t *in,
                                  void *ud);
typedef int (*spate_transform2_fn)(spate_tctx_t *cx, const spate_rdd_t *a,
                                   const spate_rdd_t *b, void *ud);
/* updateStateByKey: called for every key with new values or state, every
 * batch. `state` is NULL when the key has none. Return 1 with *new_state
 * set to keep the key, 0 ("none") to delete it, < 0 on failure. */
typedef int (*spate_update_fn)(spate_tctx_t *cx, const spate_val_t *key,
                               const spate_val_t *values, size_t n_values,
                               const spate_val_t *state, spate_val_t *new_state,
                               void *ud);

/* mapWithState's state handle (Spark's State[S]). */
typedef struct spate_state spate_state_t;
SPATE_EXTERN int spate_state_exists(const spate_state_t *st);
SPATE_EXTERN const spate_val_t *spate_state_get(const spate_state_t *st);
SPATE_EXTERN int spate_state_update(spate_state_t *st, spate_val_t v);
SPATE_EXTERN int spate_state_remove(spate_state_t *st);
SPATE_EXTERN int spate_state_is_timing_out(const spate_state_t *st);
/* mapWithState: called once per record of the batch (value non-NULL), and
 * once per key timing out (value NULL, spate_state_is_timing_out). Return 1
 * with *mapped set to emit it, 0 to emit nothing, < 0 on failure. */
typedef int (*spate_mws_fn)(spate_tctx_t *cx, const spate_val_t *key,
                            const spate_val_t *value, spate_state_t *state,
                            spate_val_t *mapped, void *ud);
/* foreachRDD: the batch and its time, on the driver. */
typedef int (*spate_foreach_fn)(const spate_rdd_t *rdd, int64_t time_ms,
                                void *ud);

/* Built-in reducers on numbers (int64 or double): a + b and a - b. */
SPATE_EXTERN int spate_reduce_sum(spate_tctx_t *cx, const spate_val_t *a,
                                  const spate_val_t *b, spate_val_t *out,
                                  void *ud);
SPATE_EXTERN int spate_reduce_sub(spate_tctx_t *cx, const spate_val_t *a,
                                  const spate_val_t *b, spate_val_t *out,
                                  void *ud);

/* ------------------------------------------------------------------------
 * Streaming context
 * ---------------------------------------------------------------------- */

typedef struct spate_ssc spate_ssc_t;
typedef struct spate_dstream spate_dstream_t;

/* What a task hook sees (fault injection and tests). */
typedef struct spate_task_info {
    const char *op;  /* the stage: "map", "reduceByKey/map", ... */
    int stream_id;   /* the stream computed */
    int64_t time_ms; /* batch time */
    int partition;
    int attempt;     /* 0, 1, ... over all attempts of this task */
    int speculative; /* a speculative copy */
    const void *priv_;
} spate_task_info_t;
/* Called before each task attempt on the worker; non-zero fails the
 * attempt. A hook may block (a simulated straggler) and should then poll
 * spate_task_killed to return once another copy won. */
typedef int (*spate_task_hook_fn)(const spate_task_info_t *t, void *ud);
SPATE_EXTERN int spate_task_killed(const spate_task_info_t *t);

typedef struct spate_ssc_options {
    int64_t batch_ms;              /* batch interval, > 0 (required) */
    int threads;                   /* worker threads; 0 = one per core */
    int default_partitions;        /* of shuffles; 0 = threads */
    int manual_clock;              /* time moves only by spate_ssc_advance */
    int64_t start_ms;              /* manual clock's initial time (default 0) */
    FILE *out;                     /* where print() writes; NULL = stdout */
    int max_task_failures;         /* attempts per task before the batch fails
                                      (Spark's spark.task.maxFailures, 4) */
    int speculation;               /* run copies of stragglers (default off) */
    double speculation_multiplier; /* 1.5 */
    double speculation_quantile;   /* 0.75 */
    int64_t speculation_min_ms;    /* minimum runtime to speculate (100) */
    spate_task_hook_fn task_hook;  /* fault injection; NULL = none */
    void *task_hook_data;
    const char *checkpoint;         /* directory for the receivers' write-ahead
                                       logs and checkpoints; NULL = none */
    int64_t checkpoint_interval_ms; /* data checkpoints of stateful streams
                                       every this long; 0 = the smallest
                                       multiple of the batch >= 10 s */
    int concurrent_jobs;            /* batches whose output operations may
                                       run at once (Spark's
                                       spark.streaming.concurrentJobs);
                                       0 or 1 = one batch at a time. With
                                       2, batch T + 1 is computed and its
                                       outputs start while T's outputs
                                       still run; batches may then
                                       complete out of order. */
    void *data;                     /* user slot */
} spate_ssc_options_t;

SPATE_EXTERN void spate_ssc_options_init(spate_ssc_options_t *o);
SPATE_EXTERN int spate_ssc_create(const spate_ssc_options_t *o,
                                  spate_ssc_t **out /* OUT */,
                                  spate_error_t *err);
/* Stops (not gracefully) if running and frees everything. */
SPATE_EXTERN void spate_ssc_destroy(spate_ssc_t *ssc);
/* The first graph-building error, or 0 (err may be NULL). */
SPATE_EXTERN int spate_ssc_error(spate_ssc_t *ssc, spate_error_t *err);
/* Validates the graph and starts generating batches: with a manual clock
 * nothing runs until spate_ssc_advance; otherwise a generator thread runs
 * a batch at every multiple of the interval. Fails when the graph has no
 * output operation ("nothing to execute"). */
SPATE_EXTERN int spate_ssc_start(spate_ssc_t *ssc, spate_error_t *err);
/* Builds the graph on a new context. */
typedef int (*spate_create_fn)(spate_ssc_t *ssc, void *ud);
/* Spark's StreamingContext.getOrCreate: creates a context with o (whose
 * `checkpoint` must be set), lets create() build the graph (C cannot
 * serialize callbacks, so the graph is always built by code), and when
 * the checkpoint holds metadata, checks that the graph is the same and
 * restores the batch clock and the state of stateful streams as of the
 * last data checkpoint; the next batch follows it. *recovered (may be
 * NULL) says which happened. */
SPATE_EXTERN int spate_ssc_get_or_create(const spate_ssc_options_t *o,
                                         spate_create_fn create, void *ud,
                                         spate_ssc_t **out /* OUT */,
                                         int *recovered, spate_error_t *err);
/* Manual clock: moves time forward by ms and runs every batch due, in
 * order, before returning. Returns the first batch error. */
SPATE_EXTERN int spate_ssc_advance(spate_ssc_t *ssc, int64_t ms,
                                   spate_error_t *err);
/* The clock's time (ms). */
SPATE_EXTERN int64_t spate_ssc_now(const spate_ssc_t *ssc);
/* Waits until the context stops (stop, or a batch error), at most
 * timeout_ms (< 0: no limit). Returns 0 when it stopped cleanly, 1 when the
 * timeout passed first, or the (negative) batch error. */
SPATE_EXTERN int spate_ssc_await_termination(spate_ssc_t *ssc,
                                             int64_t timeout_ms,
                                             spate_error_t *err);
/* Stops generating batches. Gracefully: receivers stop first, then every
 * batch covering data already received runs before it returns. Safe from
 * another thread (not from a signal handler). */
SPATE_EXTERN void spate_ssc_stop(spate_ssc_t *ssc, int graceful);
/* Number of batches run so far. */
SPATE_EXTERN int64_t spate_ssc_batches_done(const spate_ssc_t *ssc);

/* ------------------------------------------------------------------------
 * Input streams
 * ---------------------------------------------------------------------- */

/* A queue of in-memory batches (Spark's queueStream). one_at_a_time: each
 * batch takes the oldest queued batch (an empty batch when none);
 * otherwise a batch takes everything queued. */
SPATE_EXTERN spate_dstream_t *spate_ssc_queue_stream(spate_ssc_t *ssc,
                                                     int one_at_a_time);
/* Queues a batch of n records cut into n_parts partitions (0 = 1). The
 * records are deep-copied. Thread-safe. */
SPATE_EXTERN int spate_queue_push(spate_dstream_t *queue,
                                  const spate_val_t *recs, size_t n,
                                  int n_parts);

/* New files in a directory (Spark's textFileStream): the batch at T takes
 * every file that appeared in `dir` since the previous batch, in name
 * order, one partition per file, one string record per line ('\n'
 * separated, a trailing '\r' dropped, a last line without '\n' kept).
 * Each file is read once; names starting with '.' or '_' and
 * subdirectories are ignored, so a writer should create the file under
 * such a name (or elsewhere) and rename it into place when complete.
 * new_files_only: files already there at start are skipped (Spark's
 * default); otherwise the first batch reads them. A name that leaves the
 * directory is forgotten: a file created again under it is new. A
 * missing directory has no files. */
SPATE_EXTERN spate_dstream_t *spate_ssc_text_file_stream(spate_ssc_t *ssc,
                                                         const char *dir,
                                                         int new_files_only);

/* Receivers: a thread per receiver reads records, cuts them into a block
 * every block interval, stores each block (first in the write-ahead log
 * when `wal` is on) and reports it; the batch at T takes every block
 * reported since the previous batch, one partition per block. */
typedef struct spate_receiver_options {
    int64_t block_interval_ms; /* 200 (Spark's default) */
    double max_rate;           /* records/s; 0 = unlimited */
    int backpressure;          /* PID rate estimator on processing delay */
    double initial_rate;       /* backpressure's first rate; 0 = max_rate */
    double min_rate;           /* backpressure's floor (100) */
    int wal;                   /* write blocks to <checkpoint>/receivedData
                                  before storing them; replayed after a
                                  restart until their batch completed */
} spate_receiver_options_t;

SPATE_EXTERN void spate_receiver_options_init(spate_receiver_options_t *o);
/* Lines of text (UTF-8, '\n'-terminated, a trailing '\r' dropped) read from
 * a TCP server at host:port (Spark's socketTextStream). o may be NULL. */
SPATE_EXTERN spate_dstream_t *
spate_ssc_socket_text_stream(spate_ssc_t *ssc, const char *host, int port,
                             const spate_receiver_options_t *o);

typedef struct spate_receiver_stats {
    int64_t records;    /* received so far */
    int64_t blocks;     /* blocks stored so far */
    int64_t wal_blocks; /* blocks written to the write-ahead log */
    int64_t replayed;   /* blocks recovered from the log at start */
    double rate_limit;  /* records/s now in force; 0 = unlimited */
    int connected;
} spate_receiver_stats_t;
SPATE_EXTERN int spate_receiver_stats(const spate_dstream_t *ds,
                                      spate_receiver_stats_t *out /* OUT */);

/* ------------------------------------------------------------------------
 * Transformations (return NULL on error; see the top of this file)
 * ---------------------------------------------------------------------- */

SPATE_EXTERN spate_dstream_t *spate_dstream_map(spate_dstream_t *ds,
                                                spate_map_fn fn, void *ud);
SPATE_EXTERN spate_dstream_t *
spate_dstream_flat_map(spate_dstream_t *ds, spate_flat_map_fn fn, void *ud);
SPATE_EXTERN spate_dstream_t *
spate_dstream_filter(spate_dstream_t *ds, spate_filter_fn fn, void *ud);
/* The records of both streams (same slide required). */
SPATE_EXTERN spate_dstream_t *spate_dstream_union(spate_dstream_t *a,
                                                  spate_dstream_t *b);
/* Round-robin into n partitions. */
SPATE_EXTERN spate_dstream_t *spate_dstream_repartition(spate_dstream_t *ds,
                                                        int n);
/* Pair streams. n_parts: partitions of the result (0 = default). */
SPATE_EXTERN spate_dstream_t *spate_dstream_reduce_by_key(spate_dstream_t *ds,
                                                          spate_reduce_fn fn,
                                                          int n_parts,
                                                          void *ud);
/* (key, tuple of all values in arrival order). */
SPATE_EXTERN spate_dstream_t *spate_dstream_group_by_key(spate_dstream_t *ds,
                                                         int n_parts);
/* (value, count) for every distinct record. */
SPATE_EXTERN spate_dstream_t *spate_dstream_count_by_value(spate_dstream_t *ds,
                                                           int n_parts);
/* One record per batch: the number of records (0 for an empty batch). */
SPATE_EXTERN spate_dstream_t *spate_dstream_count(spate_dstream_t *ds);
/* One record per non-empty batch: all records reduced. */
SPATE_EXTERN spate_dstream_t *
spate_dstream_reduce(spate_dstream_t *ds, spate_reduce_fn fn, void *ud);
/* Per-batch joins of two pair streams: (k, (v, w)). Outer joins put null
 * where a side has no value. */
SPATE_EXTERN spate_dstream_t *
spate_dstream_join(spate_dstream_t *a, spate_dstream_t *b, int n_parts);
SPATE_EXTERN spate_dstream_t *spate_dstream_left_outer_join(spate_dstream_t *a,
                                                            spate_dstream_t *b,
                                                            int n_parts);
SPATE_EXTERN spate_dstream_t *spate_dstream_full_outer_join(spate_dstream_t *a,
                                                            spate_dstream_t *b,
                                                            int n_parts);
SPATE_EXTERN spate_dstream_t *
spate_dstream_transform(spate_dstream_t *ds, spate_transform_fn fn, void *ud);
SPATE_EXTERN spate_dstream_t *
spate_dstream_transform_with(spate_dstream_t *a, spate_dstream_t *b,
                             spate_transform2_fn fn, void *ud);

/* Windows: the window at T holds the batches in (T - window_ms, T];
 * output only when T - start is a multiple of slide_ms; windows at the
 * start are partial. Both must be multiples of the stream's slide (the
 * batch interval for an input stream). slide_ms 0 = the stream's slide. */
SPATE_EXTERN spate_dstream_t *
spate_dstream_window(spate_dstream_t *ds, int64_t window_ms, int64_t slide_ms);
/* inv may be NULL (then the window is recomputed from its batches). */
SPATE_EXTERN spate_dstream_t *
spate_dstream_reduce_by_window(spate_dstream_t *ds, spate_reduce_fn fn,
                               spate_reduce_fn inv, int64_t window_ms,
                               int64_t slide_ms, void *ud);
/* With inv, the window is updated incrementally: previous window (+) new
 * batches (-) old batches; keys whose value returned to the neutral value
 * stay unless `filter` (may be NULL) drops them. */
SPATE_EXTERN spate_dstream_t *spate_dstream_reduce_by_key_and_window(
    spate_dstream_t *ds, spate_reduce_fn fn, spate_reduce_fn inv,
    spate_filter_fn filter, int64_t window_ms, int64_t slide_ms, int n_parts,
    void *ud);
/* One record per slide: the window's record count (0 when empty). */
SPATE_EXTERN spate_dstream_t *spate_dstream_count_by_window(spate_dstream_t *ds,
                                                            int64_t window_ms,
                                                            int64_t slide_ms);
/* (value, count) over the window; values whose count fell to 0 leave. */
SPATE_EXTERN spate_dstream_t *
spate_dstream_count_by_value_and_window(spate_dstream_t *ds, int64_t window_ms,
                                        int64_t slide_ms, int n_parts);

/* State. updateStateByKey's stream holds every (key, state) each batch. */
SPATE_EXTERN spate_dstream_t *
spate_dstream_update_state_by_key(spate_dstream_t *ds, spate_update_fn fn,
                                  int n_parts, void *ud);
/* mapWithState: the stream of mapped records. timeout_ms > 0: a key idle
 * (no record) for longer than it is called once with value NULL and
 * removed. spate_dstream_state_snapshots gives its (key, state) stream. */
SPATE_EXTERN spate_dstream_t *
spate_dstream_map_with_state(spate_dstream_t *ds, spate_mws_fn fn,
                             int64_t timeout_ms, int n_parts, void *ud);
SPATE_EXTERN spate_dstream_t *
spate_dstream_state_snapshots(spate_dstream_t *mapped);

/* ------------------------------------------------------------------------
 * Output operations (0 or a negative code; the error is also kept)
 * ---------------------------------------------------------------------- */

/* Prints the first n records of every batch, as Spark does:
 *   -------------------------------------------
 *   Time: 2000 ms
 *   -------------------------------------------
 *   (a,1)
 *   ...
 */
SPATE_EXTERN int spate_dstream_print(spate_dstream_t *ds, int n);
SPATE_EXTERN int spate_dstream_foreach_rdd(spate_dstream_t *ds,
                                           spate_foreach_fn fn, void *ud);
/* Each batch to the directory "<prefix>-<T>[.<suffix>]": one part-NNNNN
 * file per partition (a record per line) and _SUCCESS. */
SPATE_EXTERN int spate_dstream_save_as_text_files(spate_dstream_t *ds,
                                                  const char *prefix,
                                                  const char *suffix);

/* The stream's id (1, 2, ... in creation order) and slide. */
SPATE_EXTERN int spate_dstream_id(const spate_dstream_t *ds);
SPATE_EXTERN int64_t spate_dstream_slide_ms(const spate_dstream_t *ds);

#endif /* SPATE_DSTREAM_H */
