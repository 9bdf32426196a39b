/*
 * dstreamInt.h -- private to src/dstream: the DStream graph, materialized
 * batches (RDDs), the task scheduler and the keyed hash map.
 *
 * Data: an RDD is the materialized output of one stream at one batch time:
 * n_parts partitions, each a contiguous array of 16-byte spate_val_t. A
 * partition's payloads (strings, tuples) live in its arena, or in the memory
 * of the RDDs it depends on: narrow operations (map, filter, window, union)
 * keep references to their parents (deps) so borrowed payloads stay alive;
 * wide operations (shuffles, state, windows with inverse reduce) deep-copy
 * what they output and depend on nothing. Refcounts are touched only by the
 * driver thread (the one running batches).
 *
 * Time: everything is in ms. A stream's RDDs exist at times zero + k*slide
 * (k >= 1). Each stream keeps its RDDs for `keep` ms after their time so
 * windows and stateful streams find what they need; the rest are dropped
 * after every batch.
 */
#ifndef SP_DSTREAM_INT_H
#define SP_DSTREAM_INT_H

#include "spate.h"

#include "core/core.h"
#include "runtime/runtime.h"

#include <pthread.h>
#include <stdatomic.h>

/* ------------------------------------------------------------------------
 * Partitions and RDDs (rdd.c)
 * ---------------------------------------------------------------------- */

typedef struct dpart {
    spate_val_t *recs; /* n records (heap array, or borrowed when view) */
    uint32_t n, cap;
    int64_t *tm;     /* mapWithState: last-update time per record, or NULL */
    sp_arena *arena; /* payloads this partition allocated; may be NULL */
    bool view;       /* recs/tm borrowed from another partition */
} dpart;

struct spate_rdd {
    int refs;
    int64_t time;
    int n_parts;
    dpart *parts;
    spate_rdd_t **deps; /* kept alive while this RDD lives */
    int n_deps;
};

spate_rdd_t *sp_drdd_new(int64_t time, int n_parts); /* refs = 1 */
void sp_drdd_ref(spate_rdd_t *r);
void sp_drdd_unref(spate_rdd_t *r);
int sp_drdd_add_dep(spate_rdd_t *r, spate_rdd_t *dep);
/* Moves a task's partition into slot i (the dpart struct is freed). */
void sp_drdd_take_part(spate_rdd_t *r, int i, dpart *p);

dpart *sp_dpart_new(void); /* heap, empty */
void sp_dpart_clear(dpart *p);
void sp_dpart_free(dpart *p);
int sp_dpart_push(dpart *p, const spate_val_t *v);
sp_arena *sp_dpart_arena(dpart *p); /* created on first use */

/* Deep copy of v with payloads in a; *oom set on failure. */
spate_val_t sp_dval_copy(sp_arena *a, const spate_val_t *v, bool *oom);
/* Deep size of v's payloads (for copying). */

/* ------------------------------------------------------------------------
 * Task contexts
 * ---------------------------------------------------------------------- */

struct spate_tctx {
    sp_arena *arena; /* where spate_tctx_alloc allocates (output's arena) */
    dpart *out;      /* where spate_emit appends; may be NULL */
    int64_t time;
    bool oom;
};

void sp_dtctx_init(spate_tctx_t *cx, dpart *out, int64_t time);

/* ------------------------------------------------------------------------
 * Keyed hash map (map.c): entries in insertion order, open addressing.
 * ---------------------------------------------------------------------- */

#define DNONE UINT32_MAX

typedef struct dentry {
    spate_val_t key;
    spate_val_t val; /* reduce value, state, previous window value */
    uint64_t hash;
    int64_t t;           /* mapWithState: last update */
    uint32_t head, tail; /* value lists (dlist indexes), DNONE = empty */
    uint32_t head2, tail2;
    uint32_t flags; /* op-specific */
    uint32_t cnt;
} dentry;

typedef struct dmap {
    uint32_t *slots; /* entry index + 1; 0 = empty */
    uint32_t mask;
    dentry *e;
    uint32_t n, cap;
} dmap;

void sp_dmap_init(dmap *m);
void sp_dmap_free(dmap *m);
/* Finds or adds key (not copied: the caller keeps it alive). Returns the
 * entry index, DNONE on OOM; *added says which. New entries are zeroed
 * except key/hash, with empty lists. */
uint32_t sp_dmap_upsert(dmap *m, const spate_val_t *key, uint64_t hash,
                        bool *added);

/* Singly linked value lists in one pool. */
typedef struct dlist {
    spate_val_t *v;
    uint32_t *next;
    uint32_t n, cap;
} dlist;
void sp_dlist_init(dlist *l);
void sp_dlist_free(dlist *l);
/* Appends v to the list (head, tail); 0 or SP_ENOMEM. */
int sp_dlist_append(dlist *l, uint32_t *head, uint32_t *tail,
                    const spate_val_t *v);

/* ------------------------------------------------------------------------
 * Task scheduler (sched.c)
 * ---------------------------------------------------------------------- */

typedef struct djob djob;
struct djob {
    const char *op;
    int stream_id;
    int64_t time;
    int n_tasks;
    /* Runs task i into a new output (*out, owned by the scheduler from
     * then on, even on failure). `killed` turns non-zero when another
     * attempt won: the task may stop early (return SP_ESTOPPED). Returns 0
     * or an SP_E code, with details in err. */
    int (*run)(djob *j, int i, _Atomic int *killed, void **out, sp_err *err);
    void (*discard)(void *out); /* frees an output (NULL-safe) */
    void *ud;
    void **outs; /* filled: the winning output of each task */
};

/* Runs all tasks on the runtime's scheduler (sp_sched_run): retries
 * failures up to max_task_failures attempts and launches speculative
 * copies of stragglers when configured. On success j->outs holds one
 * output per task (caller frees with discard). */
int sp_dsched_run(spate_ssc_t *ssc, djob *j, sp_err *err);

/* ------------------------------------------------------------------------
 * Graph
 * ---------------------------------------------------------------------- */

#define DKIND_MAP(X)                                                           \
    X(QUEUE, "queueStream")                                                    \
    X(SOCKET, "socketTextStream")                                              \
    X(FILE, "textFileStream")                                                  \
    X(MAP, "map")                                                              \
    X(FLAT_MAP, "flatMap")                                                     \
    X(FILTER, "filter")                                                        \
    X(UNION, "union")                                                          \
    X(REPART, "repartition")                                                   \
    X(REDUCE_KEY, "reduceByKey")                                               \
    X(GROUP_KEY, "groupByKey")                                                 \
    X(JOIN, "join")                                                            \
    X(TRANSFORM, "transform")                                                  \
    X(TRANSFORM2, "transformWith")                                             \
    X(WINDOW, "window")                                                        \
    X(REDWIN, "reduceByKeyAndWindow")                                          \
    X(COUNT, "count")                                                          \
    X(REDUCE, "reduce")                                                        \
    X(STATE, "updateStateByKey")                                               \
    X(MWS, "mapWithState")                                                     \
    X(MWS_MAPPED, "mapWithState/mapped")                                       \
    X(MWS_SNAP, "stateSnapshots")

typedef enum dkind {
#define DK_ENUM(n, s) DK_##n,
    DKIND_MAP(DK_ENUM)
#undef DK_ENUM
} dkind;

const char *sp_dkind_name(dkind k);

enum { DJOIN_INNER, DJOIN_LEFT, DJOIN_FULL };

typedef struct dqitem {
    spate_rdd_t *rdd;
    struct dqitem *next;
} dqitem;

struct spate_dstream {
    spate_ssc_t *ssc;
    int id;
    dkind kind;
    spate_dstream_t *parent[2];
    int n_parents;
    int64_t slide;  /* ms between RDDs */
    int64_t window; /* WINDOW, REDWIN */
    int64_t keep;   /* RDDs kept this long after their time */
    int n_parts;    /* shuffles: output partitions */
    int join_kind;
    int64_t timeout; /* MWS */
    /* callbacks */
    spate_map_fn map;
    spate_flat_map_fn flat_map;
    spate_filter_fn filter;
    spate_reduce_fn reduce, inv;
    spate_transform_fn transform;
    spate_transform2_fn transform2;
    spate_update_fn update;
    spate_mws_fn mws;
    void *ud;
    /* generated RDDs, ascending time */
    spate_rdd_t **rdds;
    int n_rdds, cap_rdds;
    /* QUEUE */
    bool one_at_a_time;
    dqitem *q_head, *q_tail;
    /* SOCKET */
    struct drecv *recv;
    /* FILE */
    struct dfiles *files;
};

/* Input streams: generated by the batch loop, never computed. */
static inline bool sp_dstream_is_input(const spate_dstream_t *ds)
{
    return ds->kind == DK_QUEUE || ds->kind == DK_SOCKET || ds->kind == DK_FILE;
}

/* ------------------------------------------------------------------------
 * File directory input (filestream.c)
 * ---------------------------------------------------------------------- */

int sp_dfile_create(spate_dstream_t *ds, const char *dir, bool new_only);
/* At start: remembers the files already there when new_only. */
int sp_dfile_start(spate_dstream_t *ds, sp_err *err);
void sp_dfile_free(spate_dstream_t *ds);
/* The batch at t: every new file, a partition each, in name order. */
int sp_dfile_gen(spate_dstream_t *ds, int64_t t, sp_err *err);
/* Checkpoint: appends the JSON array of the names read as of batch t;
 * recovery: takes such an array as the names already read. */
int sp_dfile_encode(spate_dstream_t *ds, int64_t t, sp_buf *b);
struct sp_json;
int sp_dfile_restore(spate_dstream_t *ds, const struct sp_json *names);

/* ------------------------------------------------------------------------
 * Receivers (receiver.c)
 * ---------------------------------------------------------------------- */

/* Spark's PIDRateEstimator. */
typedef struct dpid {
    double kp, ki, kd, min_rate;
    int64_t batch_ms;
    bool first;
    int64_t latest_time;
    double latest_rate, latest_error;
} dpid;
void sp_dpid_init(dpid *p, int64_t batch_ms, double min_rate);
/* Returns the new rate (> 0) or 0 when there is no estimate yet. */
double sp_dpid_compute(dpid *p, int64_t time_ms, int64_t n_elements,
                       int64_t processing_ms, int64_t scheduling_ms);

int sp_drecv_create(spate_dstream_t *ds, const char *host, int port,
                    const spate_receiver_options_t *o);
int sp_drecv_start(spate_dstream_t *ds, sp_err *err);
void sp_drecv_stop(spate_dstream_t *ds);
void sp_drecv_free(spate_dstream_t *ds);
/* The batch at t: every block reported so far, a partition each. */
int sp_drecv_gen(spate_dstream_t *ds, int64_t t, sp_err *err);
/* After batch t completed: drop its blocks from the log and feed the rate
 * estimator. */
void sp_drecv_batch_done(spate_dstream_t *ds, int64_t t, int64_t start_ms,
                         int64_t end_ms);

typedef enum { DOUT_PRINT, DOUT_FOREACH, DOUT_SAVE } dout_kind;

/* A batch whose output operations run on a job thread (concurrent_jobs >
 * 1): the RDDs computed by the driver, one per output (NULL: none at t),
 * each holding a reference until the driver reaps the batch. */
typedef struct dbatch {
    int64_t t;
    int64_t start_ms, start_us, end_us;
    spate_rdd_t **rdds;
    bool taken, done, skipped;
    int rc;
    struct dbatch *next; /* pending batches, ascending time */
} dbatch;

typedef struct doutput {
    dout_kind kind;
    spate_dstream_t *ds;
    int n;
    spate_foreach_fn fn;
    void *ud;
    char *prefix, *suffix;
} doutput;

struct spate_ssc {
    spate_ssc_options_t o;
    FILE *out;
    int threads;
    sp_pool *pool;
    sp_err gerr; /* sticky graph-building error */
    spate_dstream_t **streams;
    int n_streams;
    doutput *outs;
    int n_outs;
    /* running */
    pthread_mutex_t lock; /* guards the fields below and queues */
    pthread_cond_t cond;
    bool started, stopping, stopped, graceful;
    bool thread_started;
    pthread_t thread;
    int64_t zero;       /* zero time: first batch at zero + batch */
    int64_t next_batch; /* next batch time to run */
    _Atomic int64_t manual_now;
    int run_rc; /* first batch error */
    sp_err run_err;
    _Atomic int64_t batches_done;
    sp_sched_stats stats; /* the scheduler's counters, all jobs */
    /* concurrent jobs (context.c): batches generated, outputs pending */
    pthread_t *jobs;
    int n_jobs;
    bool jobs_quit;
    dbatch *pend_head, *pend_tail;
    pthread_mutex_t pool_lock; /* sp_pool runs one job at a time */
    /* checkpointing */
    int64_t ckpt_interval;
    bool recovered;
    int64_t rec_zero, rec_next;
};

/* Checkpoints (checkpoint.c). After batch t: the metadata, and at every
 * checkpoint interval the data of stateful streams. */
int sp_dckpt_after_batch(spate_ssc_t *ssc, int64_t t, sp_err *err);

/* Graph helpers (graph.c). */
spate_rdd_t *sp_dstream_get(spate_dstream_t *ds, int64_t t, int *rc,
                            sp_err *err);
int sp_dstream_put(spate_dstream_t *ds, spate_rdd_t *r); /* takes the ref */
bool sp_dstream_valid_time(const spate_dstream_t *ds, int64_t t);
/* Computes the RDD of a non-input stream at a valid time (ops.c). *out
 * may be NULL (no data at that time). */
int sp_dstream_compute(spate_dstream_t *ds, int64_t t, spate_rdd_t **out,
                       sp_err *err);
/* Runs the output operations (output.c). */
int sp_doutput_run(spate_ssc_t *ssc, doutput *o, spate_rdd_t *r, sp_err *err);

/* An RDD with no records in n partitions. */
spate_rdd_t *sp_drdd_empty(int64_t time, int n_parts);

#endif /* SP_DSTREAM_INT_H */
