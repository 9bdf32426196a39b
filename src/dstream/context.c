/*
 * context.c -- the StreamingContext: options, graph building, the clock and
 * the batch loop, queue input streams.
 *
 * Graph building (the spate_dstream_* constructors) only records nodes; a
 * mistake is recorded in the context's sticky error and returned by start.
 * At start the context computes each stream's `keep` (how long its RDDs
 * must stay for the windows and state below it: Spark's remember
 * durations), fixes the zero time, and either waits for spate_ssc_advance
 * (manual clock) or starts the generator thread.
 *
 * One batch at time T (run_batch): every input stream generates its RDD at
 * T; every output operation, in registration order, asks its stream for
 * the RDD at T (computed on demand, recursively, through
 * sp_dstream_get) and runs; then RDDs older than each stream's keep are
 * dropped. Batches run one at a time, on the thread that advanced the
 * clock or on the generator thread; with concurrent_jobs > 1 the outputs
 * of up to that many batches run at once on job threads (see below).
 */
#include "dstream/dstreamInt.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const kind_names[] = {
#define DK_NAME(n, s) s,
    DKIND_MAP(DK_NAME)
#undef DK_NAME
};

const char *sp_dkind_name(dkind k)
{
    return kind_names[k];
}

/* ------------------------------------------------------------------------
 * Options and lifecycle
 * ---------------------------------------------------------------------- */

SPATE_EXTERN void spate_ssc_options_init(spate_ssc_options_t *o)
{
    memset(o, 0, sizeof *o);
    o->batch_ms = 1000;
    o->max_task_failures = 4;
    o->speculation_multiplier = 1.5;
    o->speculation_quantile = 0.75;
    o->speculation_min_ms = 100;
}

static void to_pub(spate_error_t *pe, const sp_err *e)
{
    if (pe) memcpy(pe, e, sizeof *pe);
}

SPATE_EXTERN int spate_ssc_create(const spate_ssc_options_t *o,
                                  spate_ssc_t **out, spate_error_t *perr)
{
    sp_err err;
    sp_err_clear(&err);
    if (!o || o->batch_ms <= 0) {
        sp_err_set(&err, SP_EINVAL, "the batch interval must be positive");
        sp_err_hint(&err, "set spate_ssc_options_t.batch_ms, e.g. 1000");
        to_pub(perr, &err);
        return SP_EINVAL;
    }
    spate_ssc_t *ssc = sp_calloc(1, sizeof *ssc);
    if (!ssc) {
        sp_err_set(&err, SP_ENOMEM, "out of memory");
        to_pub(perr, &err);
        return SP_ENOMEM;
    }
    ssc->o = *o;
    if (ssc->o.max_task_failures < 1) ssc->o.max_task_failures = 1;
    if (ssc->o.speculation_multiplier <= 0) ssc->o.speculation_multiplier = 1.5;
    if (ssc->o.speculation_quantile <= 0) ssc->o.speculation_quantile = 0.75;
    ssc->out = o->out ? o->out : stdout;
    ssc->threads =
        o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (ssc->threads < 1) ssc->threads = 1;
    if (ssc->o.default_partitions <= 0)
        ssc->o.default_partitions = ssc->threads;
    {
        /* A multiple of the batch interval: the given one rounded up, or
         * the smallest at or above 10 s (Spark's default). */
        int64_t b = o->batch_ms, want = o->checkpoint_interval_ms > 0
                                            ? o->checkpoint_interval_ms
                                            : 10000;
        ssc->ckpt_interval = (want + b - 1) / b * b;
    }
    ssc->pool = sp_pool_create(ssc->threads);
    if (!ssc->pool) {
        sp_free(ssc);
        sp_err_set(&err, SP_ENOMEM, "out of memory creating the worker pool");
        to_pub(perr, &err);
        return SP_ENOMEM;
    }
    pthread_mutex_init(&ssc->lock, NULL);
    pthread_cond_init(&ssc->cond, NULL);
    pthread_mutex_init(&ssc->pool_lock, NULL);
    atomic_store(&ssc->manual_now, o->start_ms);
    sp_err_clear(&ssc->gerr);
    sp_err_clear(&ssc->run_err);
    *out = ssc;
    return 0;
}

static void stream_free(spate_dstream_t *ds)
{
    sp_drecv_free(ds);
    sp_dfile_free(ds);
    for (int i = 0; i < ds->n_rdds; i++) sp_drdd_unref(ds->rdds[i]);
    sp_free(ds->rdds);
    for (dqitem *q = ds->q_head; q;) {
        dqitem *n = q->next;
        sp_drdd_unref(q->rdd);
        sp_free(q);
        q = n;
    }
    sp_free(ds);
}

SPATE_EXTERN void spate_ssc_destroy(spate_ssc_t *ssc)
{
    if (!ssc) return;
    spate_ssc_stop(ssc, 0);
    for (int i = 0; i < ssc->n_streams; i++) stream_free(ssc->streams[i]);
    sp_free(ssc->streams);
    for (int i = 0; i < ssc->n_outs; i++) {
        sp_free(ssc->outs[i].prefix);
        sp_free(ssc->outs[i].suffix);
    }
    sp_free(ssc->outs);
    sp_pool_destroy(ssc->pool);
    pthread_mutex_destroy(&ssc->lock);
    pthread_cond_destroy(&ssc->cond);
    pthread_mutex_destroy(&ssc->pool_lock);
    sp_free(ssc);
}

SPATE_EXTERN int spate_ssc_error(spate_ssc_t *ssc, spate_error_t *err)
{
    if (ssc->gerr.code) {
        to_pub(err, &ssc->gerr);
        return ssc->gerr.code;
    }
    return 0;
}

SPATE_EXTERN int64_t spate_ssc_batches_done(const spate_ssc_t *ssc)
{
    return atomic_load(&ssc->batches_done);
}

/* ------------------------------------------------------------------------
 * Graph building
 * ---------------------------------------------------------------------- */

static spate_dstream_t *new_stream(spate_ssc_t *ssc, dkind kind,
                                   spate_dstream_t *p0, spate_dstream_t *p1)
{
    if (ssc->gerr.code) return NULL;
    if (ssc->started) {
        sp_err_set(&ssc->gerr, SP_EINVAL,
                   "cannot add %s: the streaming context has started",
                   sp_dkind_name(kind));
        sp_err_hint(&ssc->gerr, "build the whole DStream graph before "
                                "spate_ssc_start");
        return NULL;
    }
    spate_dstream_t **v =
        sp_realloc(ssc->streams, sizeof *v * (size_t)(ssc->n_streams + 1));
    spate_dstream_t *ds = sp_calloc(1, sizeof *ds);
    if (!v || !ds) {
        if (v) ssc->streams = v;
        sp_free(ds);
        sp_err_set(&ssc->gerr, SP_ENOMEM, "out of memory");
        return NULL;
    }
    ssc->streams = v;
    v[ssc->n_streams++] = ds;
    ds->ssc = ssc;
    ds->id = ssc->n_streams;
    ds->kind = kind;
    ds->parent[0] = p0;
    ds->parent[1] = p1;
    ds->n_parents = p1 ? 2 : p0 ? 1 : 0;
    ds->slide = p0 ? p0->slide : ssc->o.batch_ms;
    ds->n_parts = ssc->o.default_partitions;
    return ds;
}

/* Checks a stream argument; NULL means an earlier call failed. */
static bool ok(spate_dstream_t *ds)
{
    return ds && !ds->ssc->gerr.code;
}

static spate_dstream_t *bad(spate_ssc_t *ssc, const char *fmt, const char *a)
{
    sp_err_set(&ssc->gerr, SP_EINVAL, fmt, a);
    return NULL;
}

SPATE_EXTERN spate_dstream_t *spate_ssc_queue_stream(spate_ssc_t *ssc,
                                                     int one_at_a_time)
{
    spate_dstream_t *ds = new_stream(ssc, DK_QUEUE, NULL, NULL);
    if (ds) ds->one_at_a_time = one_at_a_time != 0;
    return ds;
}

SPATE_EXTERN int spate_queue_push(spate_dstream_t *q, const spate_val_t *recs,
                                  size_t n, int n_parts)
{
    if (!q || q->kind != DK_QUEUE) return SPATE_EINVAL;
    if (n_parts <= 0) n_parts = 1;
    spate_rdd_t *r = sp_drdd_new(0, n_parts);
    dqitem *it = sp_calloc(1, sizeof *it);
    if (!r || !it) goto oom;
    size_t per = (n + (size_t)n_parts - 1) / (size_t)n_parts, k = 0;
    for (int p = 0; p < n_parts; p++) {
        dpart *d = &r->parts[p];
        for (size_t e = 0; e < per && k < n; e++, k++) {
            sp_arena *a = sp_dpart_arena(d);
            bool oom = false;
            if (!a) goto oom;
            spate_val_t v = sp_dval_copy(a, &recs[k], &oom);
            if (oom || sp_dpart_push(d, &v)) goto oom;
        }
    }
    it->rdd = r;
    pthread_mutex_lock(&q->ssc->lock);
    if (q->q_tail)
        q->q_tail->next = it;
    else
        q->q_head = it;
    q->q_tail = it;
    pthread_mutex_unlock(&q->ssc->lock);
    return 0;
oom:
    sp_drdd_unref(r);
    sp_free(it);
    return SPATE_ENOMEM;
}

#define NARROW(name, KIND, field, type)                                        \
    SPATE_EXTERN spate_dstream_t *name(spate_dstream_t *ds, type fn, void *ud) \
    {                                                                          \
        if (!ok(ds)) return NULL;                                              \
        if (!fn)                                                               \
            return bad(ds->ssc, "%s needs a callback", sp_dkind_name(KIND));   \
        spate_dstream_t *r = new_stream(ds->ssc, KIND, ds, NULL);              \
        if (r) {                                                               \
            r->field = fn;                                                     \
            r->ud = ud;                                                        \
        }                                                                      \
        return r;                                                              \
    }

NARROW(spate_dstream_map, DK_MAP, map, spate_map_fn)
NARROW(spate_dstream_flat_map, DK_FLAT_MAP, flat_map, spate_flat_map_fn)
NARROW(spate_dstream_filter, DK_FILTER, filter, spate_filter_fn)
NARROW(spate_dstream_transform, DK_TRANSFORM, transform, spate_transform_fn)
NARROW(spate_dstream_reduce, DK_REDUCE, reduce, spate_reduce_fn)

static bool same_slide(spate_dstream_t *a, spate_dstream_t *b, const char *op)
{
    if (a->ssc != b->ssc) {
        bad(a->ssc, "%s of streams from different contexts", op);
        return false;
    }
    if (a->slide != b->slide) {
        sp_err_set(&a->ssc->gerr, SP_EINVAL,
                   "%s of streams with different slide durations (%lld ms "
                   "and %lld ms)",
                   op, (long long)a->slide, (long long)b->slide);
        return false;
    }
    return true;
}

SPATE_EXTERN spate_dstream_t *spate_dstream_union(spate_dstream_t *a,
                                                  spate_dstream_t *b)
{
    if (!ok(a) || !ok(b) || !same_slide(a, b, "union")) return NULL;
    return new_stream(a->ssc, DK_UNION, a, b);
}

SPATE_EXTERN spate_dstream_t *
spate_dstream_transform_with(spate_dstream_t *a, spate_dstream_t *b,
                             spate_transform2_fn fn, void *ud)
{
    if (!ok(a) || !ok(b) || !same_slide(a, b, "transformWith")) return NULL;
    if (!fn) return bad(a->ssc, "%s needs a callback", "transformWith");
    spate_dstream_t *r = new_stream(a->ssc, DK_TRANSFORM2, a, b);
    if (r) {
        r->transform2 = fn;
        r->ud = ud;
    }
    return r;
}

SPATE_EXTERN spate_dstream_t *spate_dstream_repartition(spate_dstream_t *ds,
                                                        int n)
{
    if (!ok(ds)) return NULL;
    if (n <= 0) return bad(ds->ssc, "%s needs a positive count", "repartition");
    spate_dstream_t *r = new_stream(ds->ssc, DK_REPART, ds, NULL);
    if (r) r->n_parts = n;
    return r;
}

static void set_parts(spate_dstream_t *r, int n_parts)
{
    if (r && n_parts > 0) r->n_parts = n_parts;
}

SPATE_EXTERN spate_dstream_t *spate_dstream_reduce_by_key(spate_dstream_t *ds,
                                                          spate_reduce_fn fn,
                                                          int n_parts, void *ud)
{
    if (!ok(ds)) return NULL;
    if (!fn) return bad(ds->ssc, "%s needs a callback", "reduceByKey");
    spate_dstream_t *r = new_stream(ds->ssc, DK_REDUCE_KEY, ds, NULL);
    if (r) {
        r->reduce = fn;
        r->ud = ud;
    }
    set_parts(r, n_parts);
    return r;
}

SPATE_EXTERN spate_dstream_t *spate_dstream_group_by_key(spate_dstream_t *ds,
                                                         int n_parts)
{
    if (!ok(ds)) return NULL;
    spate_dstream_t *r = new_stream(ds->ssc, DK_GROUP_KEY, ds, NULL);
    set_parts(r, n_parts);
    return r;
}

static int one_map(spate_tctx_t *cx, const spate_val_t *in, spate_val_t *out,
                   void *ud)
{
    *out = spate_pair(cx, *in, spate_int(1));
    return 0;
}

SPATE_EXTERN spate_dstream_t *spate_dstream_count_by_value(spate_dstream_t *ds,
                                                           int n_parts)
{
    return spate_dstream_reduce_by_key(spate_dstream_map(ds, one_map, NULL),
                                       spate_reduce_sum, n_parts, NULL);
}

SPATE_EXTERN spate_dstream_t *spate_dstream_count(spate_dstream_t *ds)
{
    if (!ok(ds)) return NULL;
    return new_stream(ds->ssc, DK_COUNT, ds, NULL);
}

static spate_dstream_t *join(spate_dstream_t *a, spate_dstream_t *b,
                             int n_parts, int kind)
{
    if (!ok(a) || !ok(b) || !same_slide(a, b, "join")) return NULL;
    spate_dstream_t *r = new_stream(a->ssc, DK_JOIN, a, b);
    if (r) r->join_kind = kind;
    set_parts(r, n_parts);
    return r;
}

SPATE_EXTERN spate_dstream_t *
spate_dstream_join(spate_dstream_t *a, spate_dstream_t *b, int n_parts)
{
    return join(a, b, n_parts, DJOIN_INNER);
}

SPATE_EXTERN spate_dstream_t *spate_dstream_left_outer_join(spate_dstream_t *a,
                                                            spate_dstream_t *b,
                                                            int n_parts)
{
    return join(a, b, n_parts, DJOIN_LEFT);
}

SPATE_EXTERN spate_dstream_t *spate_dstream_full_outer_join(spate_dstream_t *a,
                                                            spate_dstream_t *b,
                                                            int n_parts)
{
    return join(a, b, n_parts, DJOIN_FULL);
}

/* Spark's rules: the window and the slide are multiples of the parent's
 * slide duration. */
static bool check_window(spate_dstream_t *ds, int64_t *window, int64_t *slide,
                         const char *op)
{
    spate_ssc_t *ssc = ds->ssc;
    if (*slide == 0) *slide = ds->slide;
    if (*window <= 0 || *slide <= 0) {
        sp_err_set(&ssc->gerr, SP_EINVAL,
                   "%s: the window (%lld ms) and slide (%lld ms) durations "
                   "must be positive",
                   op, (long long)*window, (long long)*slide);
        return false;
    }
    const char *what = NULL;
    int64_t bad_v = 0;
    if (*window % ds->slide) {
        what = "window";
        bad_v = *window;
    } else if (*slide % ds->slide) {
        what = "slide";
        bad_v = *slide;
    }
    if (what) {
        sp_err_set(&ssc->gerr, SP_EINVAL,
                   "%s: the %s duration (%lld ms) must be a multiple of the "
                   "slide duration of the parent stream (%lld ms)",
                   op, what, (long long)bad_v, (long long)ds->slide);
        sp_err_detail(&ssc->gerr,
                      "the parent stream produces a batch every "
                      "%lld ms",
                      (long long)ds->slide);
        sp_err_hint(&ssc->gerr, "use %lld ms or %lld ms",
                    (long long)(bad_v / ds->slide * ds->slide > 0
                                    ? bad_v / ds->slide * ds->slide
                                    : ds->slide),
                    (long long)((bad_v / ds->slide + 1) * ds->slide));
        return false;
    }
    return true;
}

SPATE_EXTERN spate_dstream_t *
spate_dstream_window(spate_dstream_t *ds, int64_t window_ms, int64_t slide_ms)
{
    if (!ok(ds) || !check_window(ds, &window_ms, &slide_ms, "window"))
        return NULL;
    spate_dstream_t *r = new_stream(ds->ssc, DK_WINDOW, ds, NULL);
    if (r) {
        r->window = window_ms;
        r->slide = slide_ms;
    }
    return r;
}

static spate_dstream_t *redwin(spate_dstream_t *ds, spate_reduce_fn fn,
                               spate_reduce_fn inv, spate_filter_fn filter,
                               int64_t window_ms, int64_t slide_ms, int n_parts,
                               void *ud, const char *op)
{
    if (!ok(ds) || !check_window(ds, &window_ms, &slide_ms, op)) return NULL;
    if (!fn || !inv) return bad(ds->ssc, "%s needs a callback", op);
    if (window_ms < slide_ms) {
        sp_err_set(&ds->ssc->gerr, SP_EINVAL,
                   "%s with an inverse function needs a window (%lld ms) at "
                   "least as long as the slide (%lld ms)",
                   op, (long long)window_ms, (long long)slide_ms);
        return NULL;
    }
    spate_dstream_t *red = spate_dstream_reduce_by_key(ds, fn, n_parts, ud);
    if (!red) return NULL;
    spate_dstream_t *r = new_stream(ds->ssc, DK_REDWIN, red, NULL);
    if (r) {
        r->reduce = fn;
        r->inv = inv;
        r->filter = filter;
        r->ud = ud;
        r->window = window_ms;
        r->slide = slide_ms;
        r->n_parts = red->n_parts;
    }
    return r;
}

SPATE_EXTERN spate_dstream_t *spate_dstream_reduce_by_key_and_window(
    spate_dstream_t *ds, spate_reduce_fn fn, spate_reduce_fn inv,
    spate_filter_fn filter, int64_t window_ms, int64_t slide_ms, int n_parts,
    void *ud)
{
    if (inv)
        return redwin(ds, fn, inv, filter, window_ms, slide_ms, n_parts, ud,
                      "reduceByKeyAndWindow");
    if (!ok(ds)) return NULL;
    if (!fn) return bad(ds->ssc, "%s needs a callback", "reduceByKeyAndWindow");
    /* Spark: reduceByKey, window, reduceByKey again; then the filter. */
    spate_dstream_t *w = spate_dstream_window(
        spate_dstream_reduce_by_key(ds, fn, n_parts, ud), window_ms, slide_ms);
    spate_dstream_t *r = spate_dstream_reduce_by_key(w, fn, n_parts, ud);
    return filter ? spate_dstream_filter(r, filter, ud) : r;
}

static int key_pair(spate_tctx_t *cx, const spate_val_t *in, spate_val_t *out,
                    void *ud)
{
    *out = spate_pair(cx, spate_int(0), *in);
    return 0;
}

static int value_of(spate_tctx_t *cx, const spate_val_t *in, spate_val_t *out,
                    void *ud)
{
    *out = *spate_value(in);
    return 0;
}

SPATE_EXTERN spate_dstream_t *
spate_dstream_reduce_by_window(spate_dstream_t *ds, spate_reduce_fn fn,
                               spate_reduce_fn inv, int64_t window_ms,
                               int64_t slide_ms, void *ud)
{
    if (!inv)
        return spate_dstream_reduce(
            spate_dstream_window(ds, window_ms, slide_ms), fn, ud);
    /* Spark: map((1, _)), reduceByKeyAndWindow into one partition, values. */
    spate_dstream_t *kv = spate_dstream_map(ds, key_pair, NULL);
    return spate_dstream_map(
        redwin(kv, fn, inv, NULL, window_ms, slide_ms, 1, ud, "reduceByWindow"),
        value_of, NULL);
}

SPATE_EXTERN spate_dstream_t *spate_dstream_count_by_window(spate_dstream_t *ds,
                                                            int64_t window_ms,
                                                            int64_t slide_ms)
{
    /* The window's count: partition sizes are known, so counting the
     * window is as cheap as an incremental count, and an empty window
     * gives 0. */
    return spate_dstream_count(spate_dstream_window(ds, window_ms, slide_ms));
}

static int nonzero_value(const spate_val_t *in, void *ud)
{
    const spate_val_t *v = spate_value(in);
    return !(v->kind == SPATE_V_INT && v->u.i == 0);
}

SPATE_EXTERN spate_dstream_t *
spate_dstream_count_by_value_and_window(spate_dstream_t *ds, int64_t window_ms,
                                        int64_t slide_ms, int n_parts)
{
    return redwin(spate_dstream_map(ds, one_map, NULL), spate_reduce_sum,
                  spate_reduce_sub, nonzero_value, window_ms, slide_ms, n_parts,
                  NULL, "countByValueAndWindow");
}

SPATE_EXTERN spate_dstream_t *
spate_dstream_update_state_by_key(spate_dstream_t *ds, spate_update_fn fn,
                                  int n_parts, void *ud)
{
    if (!ok(ds)) return NULL;
    if (!fn) return bad(ds->ssc, "%s needs a callback", "updateStateByKey");
    spate_dstream_t *r = new_stream(ds->ssc, DK_STATE, ds, NULL);
    if (r) {
        r->update = fn;
        r->ud = ud;
    }
    set_parts(r, n_parts);
    return r;
}

SPATE_EXTERN spate_dstream_t *
spate_dstream_map_with_state(spate_dstream_t *ds, spate_mws_fn fn,
                             int64_t timeout_ms, int n_parts, void *ud)
{
    if (!ok(ds)) return NULL;
    if (!fn) return bad(ds->ssc, "%s needs a callback", "mapWithState");
    spate_dstream_t *st = new_stream(ds->ssc, DK_MWS, ds, NULL);
    if (!st) return NULL;
    st->mws = fn;
    st->ud = ud;
    st->timeout = timeout_ms > 0 ? timeout_ms : 0;
    set_parts(st, n_parts);
    return new_stream(ds->ssc, DK_MWS_MAPPED, st, NULL);
}

SPATE_EXTERN spate_dstream_t *
spate_dstream_state_snapshots(spate_dstream_t *mapped)
{
    if (!ok(mapped)) return NULL;
    if (mapped->kind != DK_MWS_MAPPED)
        return bad(mapped->ssc,
                   "%s needs the stream that mapWithState "
                   "returned",
                   "stateSnapshots");
    return new_stream(mapped->ssc, DK_MWS_SNAP, mapped->parent[0], NULL);
}

SPATE_EXTERN int spate_dstream_id(const spate_dstream_t *ds)
{
    return ds ? ds->id : 0;
}

SPATE_EXTERN int64_t spate_dstream_slide_ms(const spate_dstream_t *ds)
{
    return ds ? ds->slide : 0;
}

/* ------------------------------------------------------------------------
 * Output operations
 * ---------------------------------------------------------------------- */

static int add_output(spate_dstream_t *ds, doutput o)
{
    if (!ds) return SPATE_EINVAL;
    spate_ssc_t *ssc = ds->ssc;
    if (ssc->gerr.code) return ssc->gerr.code;
    if (ssc->started) {
        sp_err_set(&ssc->gerr, SP_EINVAL,
                   "cannot add an output operation: the streaming context "
                   "has started");
        return SP_EINVAL;
    }
    doutput *v = sp_realloc(ssc->outs, sizeof *v * (size_t)(ssc->n_outs + 1));
    if (!v) return sp_err_set(&ssc->gerr, SP_ENOMEM, "out of memory");
    ssc->outs = v;
    o.ds = ds;
    v[ssc->n_outs++] = o;
    return 0;
}

SPATE_EXTERN int spate_dstream_print(spate_dstream_t *ds, int n)
{
    doutput o = {.kind = DOUT_PRINT, .n = n > 0 ? n : 10};
    return add_output(ds, o);
}

SPATE_EXTERN int spate_dstream_foreach_rdd(spate_dstream_t *ds,
                                           spate_foreach_fn fn, void *ud)
{
    if (ds && !fn) {
        sp_err_set(&ds->ssc->gerr, SP_EINVAL, "foreachRDD needs a callback");
        return SP_EINVAL;
    }
    doutput o = {.kind = DOUT_FOREACH, .fn = fn, .ud = ud};
    return add_output(ds, o);
}

SPATE_EXTERN int spate_dstream_save_as_text_files(spate_dstream_t *ds,
                                                  const char *prefix,
                                                  const char *suffix)
{
    doutput o = {.kind = DOUT_SAVE};
    o.prefix = sp_strdup(prefix ? prefix : "");
    o.suffix = sp_strdup(suffix ? suffix : "");
    int rc = o.prefix && o.suffix ? add_output(ds, o) : SPATE_ENOMEM;
    if (rc) {
        sp_free(o.prefix);
        sp_free(o.suffix);
    }
    return rc;
}

/* ------------------------------------------------------------------------
 * RDD store per stream
 * ---------------------------------------------------------------------- */

bool sp_dstream_valid_time(const spate_dstream_t *ds, int64_t t)
{
    int64_t z = ds->ssc->zero;
    return t > z && (t - z) % ds->slide == 0;
}

int sp_dstream_put(spate_dstream_t *ds, spate_rdd_t *r)
{
    if (ds->n_rdds == ds->cap_rdds) {
        int nc = ds->cap_rdds ? ds->cap_rdds * 2 : 8;
        spate_rdd_t **v = sp_realloc(ds->rdds, sizeof *v * (size_t)nc);
        if (!v) {
            sp_drdd_unref(r);
            return SP_ENOMEM;
        }
        ds->rdds = v;
        ds->cap_rdds = nc;
    }
    /* Keep ascending time (recursion may compute an older time later). */
    int i = ds->n_rdds;
    while (i > 0 && ds->rdds[i - 1]->time > r->time) {
        ds->rdds[i] = ds->rdds[i - 1];
        i--;
    }
    ds->rdds[i] = r;
    ds->n_rdds++;
    return 0;
}

spate_rdd_t *sp_dstream_get(spate_dstream_t *ds, int64_t t, int *rc,
                            sp_err *err)
{
    *rc = 0;
    if (!sp_dstream_valid_time(ds, t)) return NULL;
    for (int i = ds->n_rdds - 1; i >= 0; i--)
        if (ds->rdds[i]->time == t) return ds->rdds[i];
    if (sp_dstream_is_input(ds)) return NULL;
    spate_rdd_t *r = NULL;
    *rc = sp_dstream_compute(ds, t, &r, err);
    if (*rc || !r) return NULL;
    r->time = t;
    if (sp_dstream_put(ds, r)) {
        *rc = sp_err_set(err, SP_ENOMEM, "out of memory");
        return NULL;
    }
    return r;
}

static void drop_old(spate_ssc_t *ssc, int64_t t)
{
    for (int s = 0; s < ssc->n_streams; s++) {
        spate_dstream_t *ds = ssc->streams[s];
        int k = 0;
        for (int i = 0; i < ds->n_rdds; i++) {
            if (ds->rdds[i]->time <= t - ds->keep)
                sp_drdd_unref(ds->rdds[i]);
            else
                ds->rdds[k++] = ds->rdds[i];
        }
        ds->n_rdds = k;
    }
}

/* ------------------------------------------------------------------------
 * The batch loop
 * ---------------------------------------------------------------------- */

static int gen_queue(spate_dstream_t *ds, int64_t t, sp_err *err)
{
    spate_ssc_t *ssc = ds->ssc;
    spate_rdd_t *r = NULL;
    pthread_mutex_lock(&ssc->lock);
    if (ds->one_at_a_time || !ds->q_head || !ds->q_head->next) {
        dqitem *it = ds->q_head;
        if (it) {
            ds->q_head = it->next;
            if (!ds->q_head) ds->q_tail = NULL;
            r = it->rdd;
            sp_free(it);
        }
        pthread_mutex_unlock(&ssc->lock);
    } else {
        dqitem *all = ds->q_head;
        ds->q_head = ds->q_tail = NULL;
        pthread_mutex_unlock(&ssc->lock);
        int n = 0;
        for (dqitem *it = all; it; it = it->next) n++;
        spate_rdd_t **ins = sp_malloc(sizeof *ins * (size_t)n);
        int rc = ins ? 0 : SP_ENOMEM;
        n = 0;
        for (dqitem *it = all; it; it = it->next)
            if (ins) ins[n++] = it->rdd;
        if (!rc) {
            /* A view over all queued batches (they stay alive as deps). */
            int total = 0;
            for (int i = 0; i < n; i++) total += ins[i]->n_parts;
            r = sp_drdd_new(t, total);
            if (!r) rc = SP_ENOMEM;
            for (int i = 0, k = 0; r && i < n; i++) {
                for (int p = 0; p < ins[i]->n_parts; p++, k++) {
                    r->parts[k].recs = ins[i]->parts[p].recs;
                    r->parts[k].n = r->parts[k].cap = ins[i]->parts[p].n;
                    r->parts[k].view = true;
                }
                if (sp_drdd_add_dep(r, ins[i])) rc = SP_ENOMEM;
            }
        }
        for (dqitem *it = all; it;) {
            dqitem *nx = it->next;
            sp_drdd_unref(it->rdd);
            sp_free(it);
            it = nx;
        }
        sp_free(ins);
        if (rc) {
            sp_drdd_unref(r);
            return sp_err_set(err, SP_ENOMEM, "out of memory");
        }
    }
    if (!r && !(r = sp_drdd_empty(t, 1)))
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    r->time = t;
    return sp_dstream_put(ds, r) ? sp_err_set(err, SP_ENOMEM, "out of memory")
                                 : 0;
}

static int64_t now_ms(spate_ssc_t *ssc);
static void record_error(spate_ssc_t *ssc, int rc, const sp_err *e);

/* Every input stream generates its RDD at t. */
static int gen_inputs(spate_ssc_t *ssc, int64_t t, sp_err *err)
{
    int rc = 0;
    for (int s = 0; s < ssc->n_streams && !rc; s++) {
        spate_dstream_t *ds = ssc->streams[s];
        if (ds->kind == DK_QUEUE)
            rc = gen_queue(ds, t, err);
        else if (ds->kind == DK_SOCKET)
            rc = sp_drecv_gen(ds, t, err);
        else if (ds->kind == DK_FILE)
            rc = sp_dfile_gen(ds, t, err);
    }
    return rc;
}

/* Batch t completed: receivers drop its blocks and feed their estimators. */
static void inputs_done(spate_ssc_t *ssc, int64_t t, int64_t start_ms,
                        int64_t end_ms)
{
    for (int s = 0; s < ssc->n_streams; s++)
        if (ssc->streams[s]->kind == DK_SOCKET)
            sp_drecv_batch_done(ssc->streams[s], t, start_ms, end_ms);
}

/* One batch, outputs included, on the calling thread (concurrent_jobs 1). */
static int run_batch(spate_ssc_t *ssc, int64_t t, sp_err *err)
{
    int64_t start_ms = now_ms(ssc), start_us = sp_clock_mono_us();
    int rc = gen_inputs(ssc, t, err);
    for (int i = 0; i < ssc->n_outs && !rc; i++) {
        doutput *o = &ssc->outs[i];
        spate_rdd_t *r = sp_dstream_get(o->ds, t, &rc, err);
        if (!rc && r) rc = sp_doutput_run(ssc, o, r, err);
    }
    if (!rc) rc = sp_dckpt_after_batch(ssc, t, err);
    drop_old(ssc, t);
    if (!rc)
        inputs_done(ssc, t, start_ms,
                    start_ms + (sp_clock_mono_us() - start_us) / 1000);
    atomic_fetch_add(&ssc->batches_done, 1);
    return rc;
}

/* ------------------------------------------------------------------------
 * Concurrent jobs (Spark's spark.streaming.concurrentJobs)
 *
 * The driver (the generator thread, or the thread calling advance)
 * generates batch T as before -- inputs, then the RDD of every output
 * operation, whose tasks run on the pool -- but instead of running the
 * outputs it queues the batch, holding a reference on each RDD, and goes
 * on with T + 1. concurrent_jobs job threads take queued batches in time
 * order and run their output operations (in registration order within a
 * batch). The driver reaps finished batches in time order: checkpoint,
 * drop old RDDs, receiver WAL and rate estimator, unreference the RDDs;
 * so RDD refcounts and the stream stores stay driver-only, and a state
 * checkpoint never names a batch whose predecessors are unfinished.
 * sp_pool runs one job at a time, so stages of concurrent jobs take turns
 * on it (sp_dsched_run's pool_lock); a foreachRDD or print callback runs
 * on its job thread without the pool.
 * ---------------------------------------------------------------------- */

static _Thread_local spate_ssc_t *tl_job_ssc; /* set on job threads */

static void dbatch_free(spate_ssc_t *ssc, dbatch *b)
{
    if (!b) return;
    for (int i = 0; b->rdds && i < ssc->n_outs; i++) sp_drdd_unref(b->rdds[i]);
    sp_free(b->rdds);
    sp_free(b);
}

/* Driver: completes the finished batches at the head of the queue. */
static void reap(spate_ssc_t *ssc)
{
    for (;;) {
        pthread_mutex_lock(&ssc->lock);
        dbatch *b = ssc->pend_head;
        if (!b || !b->done) {
            pthread_mutex_unlock(&ssc->lock);
            return;
        }
        ssc->pend_head = b->next;
        if (!ssc->pend_head) ssc->pend_tail = NULL;
        pthread_mutex_unlock(&ssc->lock);
        if (!b->skipped && !b->rc) {
            sp_err e;
            sp_err_clear(&e);
            int rc = sp_dckpt_after_batch(ssc, b->t, &e);
            if (rc)
                record_error(ssc, rc, &e);
            else
                inputs_done(ssc, b->t, b->start_ms,
                            b->start_ms + (b->end_us - b->start_us) / 1000);
        }
        drop_old(ssc, b->t);
        if (!b->skipped) atomic_fetch_add(&ssc->batches_done, 1);
        dbatch_free(ssc, b);
    }
}

/* Driver: waits until every queued batch finished, reaping them. */
static void drain(spate_ssc_t *ssc)
{
    for (;;) {
        reap(ssc);
        pthread_mutex_lock(&ssc->lock);
        bool more = ssc->pend_head != NULL;
        if (more && !ssc->pend_head->done)
            pthread_cond_wait(&ssc->cond, &ssc->lock);
        pthread_mutex_unlock(&ssc->lock);
        if (!more) return;
    }
}

static void *job_main(void *arg)
{
    spate_ssc_t *ssc = arg;
    tl_job_ssc = ssc;
    pthread_mutex_lock(&ssc->lock);
    for (;;) {
        dbatch *b = ssc->pend_head;
        while (b && b->taken) b = b->next;
        if (!b) {
            if (ssc->jobs_quit) break;
            pthread_cond_wait(&ssc->cond, &ssc->lock);
            continue;
        }
        b->taken = true;
        /* After an error or a non-graceful stop, queued outputs are
         * dropped, as Spark's job executor is shut down. */
        bool skip = ssc->run_rc != 0 || (ssc->stopping && !ssc->graceful);
        pthread_mutex_unlock(&ssc->lock);
        sp_err e;
        sp_err_clear(&e);
        int rc = 0;
        for (int i = 0; i < ssc->n_outs && !rc && !skip; i++)
            if (b->rdds[i])
                rc = sp_doutput_run(ssc, &ssc->outs[i], b->rdds[i], &e);
        if (rc) record_error(ssc, rc, &e);
        pthread_mutex_lock(&ssc->lock);
        b->end_us = sp_clock_mono_us();
        b->rc = rc;
        b->skipped = skip;
        b->done = true;
        pthread_cond_broadcast(&ssc->cond);
    }
    pthread_mutex_unlock(&ssc->lock);
    return NULL;
}

/* Driver: generates batch t and queues its outputs for the job threads. */
static int submit_batch(spate_ssc_t *ssc, int64_t t, sp_err *err)
{
    reap(ssc);
    dbatch *b = sp_calloc(1, sizeof *b);
    if (b)
        b->rdds =
            sp_calloc((size_t)(ssc->n_outs ? ssc->n_outs : 1), sizeof *b->rdds);
    if (!b || !b->rdds) {
        dbatch_free(ssc, b);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    b->t = t;
    b->start_ms = now_ms(ssc);
    b->start_us = sp_clock_mono_us();
    int rc = gen_inputs(ssc, t, err);
    for (int i = 0; i < ssc->n_outs && !rc; i++) {
        spate_rdd_t *r = sp_dstream_get(ssc->outs[i].ds, t, &rc, err);
        if (!rc && r) {
            sp_drdd_ref(r);
            b->rdds[i] = r;
        }
    }
    if (rc) {
        dbatch_free(ssc, b);
        return rc;
    }
    pthread_mutex_lock(&ssc->lock);
    if (ssc->jobs_quit) /* stopped from inside this batch: nobody runs it */
        b->taken = b->done = b->skipped = true;
    if (ssc->pend_tail)
        ssc->pend_tail->next = b;
    else
        ssc->pend_head = b;
    ssc->pend_tail = b;
    pthread_cond_broadcast(&ssc->cond);
    pthread_mutex_unlock(&ssc->lock);
    return 0;
}

/* Stops and joins the job threads (their queued batches run, or are
 * dropped after a non-graceful stop), then reaps what is left. */
static void jobs_stop(spate_ssc_t *ssc)
{
    if (!ssc->n_jobs) return;
    pthread_mutex_lock(&ssc->lock);
    ssc->jobs_quit = true;
    pthread_cond_broadcast(&ssc->cond);
    pthread_mutex_unlock(&ssc->lock);
    for (int i = 0; i < ssc->n_jobs; i++) pthread_join(ssc->jobs[i], NULL);
    sp_free(ssc->jobs);
    ssc->jobs = NULL;
    ssc->n_jobs = 0;
    reap(ssc);
}

static int jobs_start(spate_ssc_t *ssc, sp_err *err)
{
    int n = ssc->o.concurrent_jobs;
    if (n <= 1) return 0;
    if (!(ssc->jobs = sp_calloc((size_t)n, sizeof *ssc->jobs)))
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    ssc->jobs_quit = false;
    for (int i = 0; i < n; i++) {
        if (pthread_create(&ssc->jobs[i], NULL, job_main, ssc) != 0) {
            int e = errno;
            jobs_stop(ssc);
            return sp_err_sys(err, SP_EINTERNAL, e,
                              "cannot start the job threads");
        }
        ssc->n_jobs = i + 1;
    }
    return 0;
}

/* keep(p) = max(base, max over children c of keep(c) + window(c)). */
static void compute_keep(spate_ssc_t *ssc)
{
    for (int s = ssc->n_streams - 1; s >= 0; s--) {
        spate_dstream_t *ds = ssc->streams[s];
        int64_t k = 0;
        if (ds->kind == DK_STATE || ds->kind == DK_MWS || ds->kind == DK_REDWIN)
            k = ds->slide;
        for (int c = s + 1; c < ssc->n_streams; c++) {
            spate_dstream_t *ch = ssc->streams[c];
            for (int p = 0; p < ch->n_parents; p++) {
                if (ch->parent[p] != ds) continue;
                int64_t need = ch->keep;
                if (ch->kind == DK_WINDOW || ch->kind == DK_REDWIN)
                    need += ch->window;
                if (need > k) k = need;
            }
        }
        ds->keep = k;
    }
}

static int64_t now_ms(spate_ssc_t *ssc)
{
    if (ssc->o.manual_clock) return atomic_load(&ssc->manual_now);
    return sp_clock_wall_us() / 1000;
}

SPATE_EXTERN int64_t spate_ssc_now(const spate_ssc_t *ssc)
{
    return now_ms((spate_ssc_t *)ssc);
}

static void record_error(spate_ssc_t *ssc, int rc, const sp_err *e)
{
    pthread_mutex_lock(&ssc->lock);
    if (!ssc->run_rc) {
        ssc->run_rc = rc;
        ssc->run_err = *e;
    }
    ssc->stopping = true;
    pthread_cond_broadcast(&ssc->cond);
    pthread_mutex_unlock(&ssc->lock);
}

static void *generator(void *arg)
{
    spate_ssc_t *ssc = arg;
    bool conc = ssc->o.concurrent_jobs > 1;
    pthread_mutex_lock(&ssc->lock);
    for (;;) {
        if (conc) { /* woken by a finished job, or the clock */
            pthread_mutex_unlock(&ssc->lock);
            reap(ssc);
            pthread_mutex_lock(&ssc->lock);
        }
        if (ssc->stopping && !ssc->graceful) break;
        int64_t t = ssc->next_batch;
        int64_t now = now_ms(ssc);
        if (!ssc->stopping && now < t) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            int64_t wake_ns = (int64_t)ts.tv_nsec + (t - now) * 1000000LL;
            ts.tv_sec += (time_t)(wake_ns / 1000000000LL);
            ts.tv_nsec = (long)(wake_ns % 1000000000LL);
            pthread_cond_timedwait(&ssc->cond, &ssc->lock, &ts);
            continue;
        }
        ssc->next_batch += ssc->o.batch_ms;
        bool last = ssc->stopping; /* graceful: one more batch, then stop */
        pthread_mutex_unlock(&ssc->lock);
        sp_err e;
        sp_err_clear(&e);
        int rc = conc ? submit_batch(ssc, t, &e) : run_batch(ssc, t, &e);
        if (rc) record_error(ssc, rc, &e);
        pthread_mutex_lock(&ssc->lock);
        if (rc || last) break;
    }
    if (conc) {
        pthread_mutex_unlock(&ssc->lock);
        drain(ssc); /* outputs of the batches generated so far */
        pthread_mutex_lock(&ssc->lock);
    }
    ssc->stopped = true;
    pthread_cond_broadcast(&ssc->cond);
    pthread_mutex_unlock(&ssc->lock);
    return NULL;
}

SPATE_EXTERN int spate_ssc_start(spate_ssc_t *ssc, spate_error_t *perr)
{
    if (ssc->gerr.code) {
        to_pub(perr, &ssc->gerr);
        return ssc->gerr.code;
    }
    sp_err err;
    sp_err_clear(&err);
    if (ssc->started) {
        sp_err_set(&err, SP_EINVAL,
                   "the streaming context has already "
                   "started");
        to_pub(perr, &err);
        return SP_EINVAL;
    }
    if (ssc->n_outs == 0) {
        sp_err_set(&err, SP_EINVAL,
                   "no output operations registered, so "
                   "nothing to execute");
        sp_err_hint(&err, "add spate_dstream_print, foreach_rdd or "
                          "save_as_text_files to a stream before starting");
        to_pub(perr, &err);
        return SP_EINVAL;
    }
    compute_keep(ssc);
    int64_t b = ssc->o.batch_ms;
    int64_t now = now_ms(ssc);
    int64_t first = (now >= 0 ? now / b + 1 : now / b) * b;
    ssc->zero = first - b;
    ssc->next_batch = first;
    if (ssc->recovered) {
        /* Continue after the last data checkpoint. */
        ssc->zero = ssc->rec_zero;
        ssc->next_batch = ssc->rec_next;
        if (ssc->o.manual_clock && now < ssc->rec_next - b)
            atomic_store(&ssc->manual_now, ssc->rec_next - b);
    }
    ssc->started = true;
    for (int s = 0; s < ssc->n_streams; s++) {
        spate_dstream_t *ds = ssc->streams[s];
        int rc = 0;
        if (ds->kind == DK_SOCKET)
            rc = sp_drecv_start(ds, &err);
        else if (ds->kind == DK_FILE)
            rc = sp_dfile_start(ds, &err);
        if (rc) {
            to_pub(perr, &err);
            for (int k = 0; k < s; k++) sp_drecv_stop(ssc->streams[k]);
            ssc->started = false;
            return err.code;
        }
    }
    int rc = jobs_start(ssc, &err);
    if (!rc && !ssc->o.manual_clock) {
        if (pthread_create(&ssc->thread, NULL, generator, ssc) != 0) {
            rc = sp_err_sys(&err, SP_EINTERNAL, errno,
                            "cannot start the generator thread");
            jobs_stop(ssc);
        } else {
            ssc->thread_started = true;
        }
    }
    if (rc) {
        to_pub(perr, &err);
        for (int s = 0; s < ssc->n_streams; s++) sp_drecv_stop(ssc->streams[s]);
        ssc->started = false;
        return rc;
    }
    return 0;
}

SPATE_EXTERN int spate_ssc_advance(spate_ssc_t *ssc, int64_t ms,
                                   spate_error_t *perr)
{
    sp_err err;
    sp_err_clear(&err);
    if (!ssc->o.manual_clock) {
        sp_err_set(&err, SP_EINVAL, "spate_ssc_advance needs a manual clock");
        to_pub(perr, &err);
        return SP_EINVAL;
    }
    int64_t now = atomic_fetch_add(&ssc->manual_now, ms) + ms;
    if (!ssc->started || ssc->stopped) return 0;
    if (ssc->run_rc) {
        to_pub(perr, &ssc->run_err);
        return ssc->run_rc;
    }
    bool conc = ssc->o.concurrent_jobs > 1;
    int rc = 0;
    while (ssc->next_batch <= now) {
        if (conc) {
            pthread_mutex_lock(&ssc->lock);
            bool halt = ssc->run_rc != 0 || ssc->stopping;
            pthread_mutex_unlock(&ssc->lock);
            if (halt) break;
        }
        int64_t t = ssc->next_batch;
        ssc->next_batch += ssc->o.batch_ms;
        rc = conc ? submit_batch(ssc, t, &err) : run_batch(ssc, t, &err);
        if (rc) break;
    }
    if (conc) drain(ssc); /* every batch due has run when advance returns */
    if (rc) {
        record_error(ssc, rc, &err);
        to_pub(perr, &err);
        return rc;
    }
    pthread_mutex_lock(&ssc->lock);
    rc = ssc->run_rc; /* a job thread's error */
    if (rc) to_pub(perr, &ssc->run_err);
    pthread_mutex_unlock(&ssc->lock);
    return rc;
}

SPATE_EXTERN int spate_ssc_await_termination(spate_ssc_t *ssc,
                                             int64_t timeout_ms,
                                             spate_error_t *perr)
{
    int64_t deadline = sp_clock_mono_us() + timeout_ms * 1000;
    pthread_mutex_lock(&ssc->lock);
    while (!ssc->stopped && !(ssc->o.manual_clock && ssc->stopping)) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&ssc->cond, &ssc->lock);
            continue;
        }
        int64_t left = deadline - sp_clock_mono_us();
        if (left <= 0) {
            pthread_mutex_unlock(&ssc->lock);
            return 1;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = (int64_t)ts.tv_nsec + SP_MIN(left, 100000) * 1000;
        ts.tv_sec += (time_t)(ns / 1000000000LL);
        ts.tv_nsec = (long)(ns % 1000000000LL);
        pthread_cond_timedwait(&ssc->cond, &ssc->lock, &ts);
    }
    int rc = ssc->run_rc;
    if (rc) to_pub(perr, &ssc->run_err);
    pthread_mutex_unlock(&ssc->lock);
    return rc;
}

SPATE_EXTERN void spate_ssc_stop(spate_ssc_t *ssc, int graceful)
{
    if (!ssc) return;
    /* Gracefully: receivers stop first (each stores what it received),
     * then the generator runs one more batch that takes it all. */
    if (graceful && ssc->started && !ssc->stopping)
        for (int s = 0; s < ssc->n_streams; s++) sp_drecv_stop(ssc->streams[s]);
    pthread_mutex_lock(&ssc->lock);
    if (!ssc->stopping) ssc->graceful = graceful != 0;
    ssc->stopping = true;
    pthread_cond_broadcast(&ssc->cond);
    bool join =
        ssc->thread_started && !pthread_equal(pthread_self(), ssc->thread);
    pthread_mutex_unlock(&ssc->lock);
    /* From an output callback on a job thread: only ask. The generator
     * waits for this job; the thread that destroys the context joins. */
    if (tl_job_ssc == ssc) return;
    if (join) {
        pthread_join(ssc->thread, NULL);
        ssc->thread_started = false;
    }
    jobs_stop(ssc);
    pthread_mutex_lock(&ssc->lock);
    if (!ssc->thread_started) ssc->stopped = true;
    pthread_cond_broadcast(&ssc->cond);
    pthread_mutex_unlock(&ssc->lock);
}
