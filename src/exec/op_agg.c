/*
 * op_agg.c -- the streaming aggregation operator (see agg.h).
 *
 * Key encoding: per key column a null byte, then the value: 1 byte
 * (BOOLEAN), 8 bytes (BIGINT, DOUBLE, TIMESTAMP, INTERVAL), 16 bytes
 * (WINDOW: start, end), or a u32 length and the bytes (VARCHAR). Equal
 * keys encode to equal bytes (doubles are normalized: -0.0 as 0.0, one
 * NaN), so the byte string is the group's identity in the partial tables
 * and in the state store.
 *
 * Window assignment follows Spark: a timestamp t belongs to every window
 * [s, s + length) with s = offset (mod slide) and s <= t < s + length; a
 * NULL time belongs to none (the row is dropped, as Spark filters it).
 */
#include "exec/agg.h"

#include "exec/aggInt.h"
#include "exec/codec.h"
#include "exec/dedupInt.h"
#include "exec/htab.h"
#include "state/state.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

struct sp_agg_op {
    const sp_agg_spec *spec;
    int n_parts;
    int threads; /* for the commit */
    sp_state **stores;
    /* State maintenance (snapshots, old files) runs on its own thread after
     * a commit, overlapping the next batch's reading; it is joined before
     * the stores are used again. */
    pthread_t maint;
    bool maint_running;
    int maint_rc;
    sp_err maint_err;
    /* A commit in flight (sp_agg_op_commit_start .. _finish): its job and
     * the threads committing the partitions. */
    struct commit_job *commit;
};

struct sp_agg_partial {
    const sp_agg_spec *spec;
    sp_htab tab;        /* groups (aggregation) or keys seen (dedup) */
    sp_dedup_rows rows; /* dedup: new rows per partition */
    sp_buf key;         /* scratch for one encoded key */
    sp_buf vscratch;    /* scratch for variable-size state updates */
    int rc;
    /* the groups by state partition, built by the first partition task
     * that asks (partial_slice): porder[pstart[q] .. pstart[q + 1]) are
     * partition q's, in insertion order */
    pthread_mutex_t plock;
    sp_hentry **porder;
    size_t *pstart;
};

/* ---- keys ------------------------------------------------------------------
 */

/* The event time of an encoded key (window end, or the key's timestamp);
 * INT64_MIN when NULL. */
static int64_t key_event_time(const sp_agg_spec *s, const unsigned char *k)
{
    for (int i = 0; i < s->et_key; i++) k = sp_codec_skip(k, s->key_types[i]);
    if (*k++ != 0) return INT64_MIN;
    int64_t v[2];
    bool w = s->key_types[s->et_key] == SP_T_WINDOW;
    memcpy(v, k, w ? 16 : 8);
    return w ? v[1] : v[0];
}

/* ---- partial aggregation (per split) ----------------------------------------
 */

sp_agg_partial *sp_agg_partial_create(const sp_agg_spec *spec)
{
    sp_agg_partial *p = sp_calloc(1, sizeof *p);
    if (!p) return NULL;
    p->spec = spec;
    pthread_mutex_init(&p->plock, NULL);
    if (sp_htab_init(&p->tab, spec->value_size ? spec->value_size : 8)) {
        pthread_mutex_destroy(&p->plock);
        sp_free(p);
        return NULL;
    }
    sp_buf_init(&p->key);
    sp_buf_init(&p->vscratch);
    if (spec->dedup &&
        sp_dedup_partial_init(&p->rows,
                              spec->partitions > 0 ? spec->partitions : 1)) {
        sp_agg_partial_destroy(p);
        return NULL;
    }
    return p;
}

void sp_agg_partial_destroy(sp_agg_partial *p)
{
    if (!p) return;
    if (!p->spec->dedup && p->spec->n_var)
        for (size_t j = 0; j < p->tab.n; j++)
            sp_aggv_free(p->spec->aggs, p->spec->n_aggs,
                         sp_hentry_val(p->tab.order[j]));
    sp_htab_free(&p->tab);
    sp_buf_free(&p->key);
    sp_buf_free(&p->vscratch);
    sp_dedup_partial_free(&p->rows);
    sp_free(p->porder);
    sp_free(p->pstart);
    pthread_mutex_destroy(&p->plock);
    sp_free(p);
}

static int64_t floor_mod(int64_t a, int64_t m)
{
    int64_t r = a % m;
    return r < 0 ? r + m : r;
}

#define CHUNK 4096

/* A row's session gap from a per-row gap expression: an INTERVAL, or a
 * string parsed as one. False when NULL or unparsable (the row has no
 * session, as Spark filters it). */
static bool row_gap(const sp_vec *g, uint32_t r, int64_t *gap)
{
    if (g->type == SP_T_NULL || sp_vec_is_null(g, r)) return false;
    if (g->type == SP_T_INTERVAL) {
        *gap = g->d.i64[r];
        return true;
    }
    if (g->type != SP_T_VARCHAR) return false;
    return sp_interval_parse(g->d.str[r].ptr, g->d.str[r].len, gap, NULL) == 0;
}

/* Updates every aggregate's state for a chunk of rows. */
static int update_chunk(sp_agg_partial *p, const sp_vec *av, uint8_t **states,
                        const uint32_t *rows, uint32_t n, sp_err *err)
{
    const sp_agg_spec *s = p->spec;
    for (int a = 0; a < s->n_aggs; a++) {
        const sp_agg *ag = &s->aggs[a];
        const sp_vec *arg = ag->arg >= 0 ? &av[ag->arg] : NULL;
        if (!ag->var)
            sp_agg_update(ag, states, arg, rows, n);
        else if (sp_agg_var_update(ag, states, arg, rows, n, &p->vscratch))
            return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    return 0;
}

/* A chunk of items to aggregate: item i has the encoded key
 * p->key.data[koff[i] .. koff[i + 1]), its hash and its input row. */
typedef struct chunk {
    sp_agg_partial *p;
    const sp_vec *av;
    uint8_t **states;
    uint32_t *rows;
    uint32_t *koff; /* CHUNK + 1 */
    uint64_t *hash;
    bool session;
    uint32_t n;
} chunk;

/* How far ahead the lookups are prefetched: slots PF_SLOT items ahead,
 * entries PF_ENTRY items ahead (their slots arrived meanwhile). */
#define PF_SLOT  16
#define PF_ENTRY 8

/* Finds or inserts every item's group, then updates the aggregates. With
 * many groups the table does not fit in the cache and each lookup misses
 * it (slot, then entry); prefetching a few items ahead overlaps those
 * misses, which is what makes high-cardinality grouping fast. */
static int upsert_chunk(chunk *c, sp_err *err)
{
    sp_agg_partial *p = c->p;
    sp_htab *t = &p->tab;
    uint32_t n = c->n;
    c->koff[n] = (uint32_t)p->key.len;
    const unsigned char *kb = p->key.data ? (const unsigned char *)p->key.data
                                          : (const unsigned char *)"";
    for (uint32_t i = 0; i < n && i < PF_SLOT; i++)
        sp_htab_prefetch(t, c->hash[i]);
    for (uint32_t i = 0; i < n; i++) {
        if (i + PF_SLOT < n) sp_htab_prefetch(t, c->hash[i + PF_SLOT]);
        if (i + PF_ENTRY < n) sp_htab_prefetch_entry(t, c->hash[i + PF_ENTRY]);
        const unsigned char *key = kb + c->koff[i];
        uint32_t klen = c->koff[i + 1] - c->koff[i];
        bool is_new;
        sp_hentry *e = sp_htab_upsert(t, key, klen, c->hash[i], &is_new);
        if (!e) return sp_err_set(err, SP_ENOMEM, "out of memory");
        if (c->session && is_new) {
            /* the exchange partitions sessions by the other keys */
            uint64_t ph = sp_hash_key(key, klen - SP_SESSION_KEY_BYTES, 0x5e55);
            memcpy(sp_hentry_val(e), &ph, 8);
        }
        c->states[i] = sp_hentry_val(e);
    }
    int rc = update_chunk(p, c->av, c->states, c->rows, n, err);
    c->n = 0;
    p->key.len = 0;
    return rc;
}

int sp_agg_partial_add(sp_agg_partial *p, const sp_batch *b, sp_arena *scratch,
                       sp_err *err)
{
    const sp_agg_spec *s = p->spec;
    if (s->dedup)
        return sp_dedup_partial_add(s, &p->tab, &p->rows, &p->key, b, scratch,
                                    err);
    uint32_t live = sp_batch_live(b);
    if (live == 0) return 0;
    sp_vec *kv = sp_arena_alloc(scratch, (size_t)(s->n_keys + 1) * sizeof *kv);
    sp_vec *av = sp_arena_alloc(scratch, (size_t)(s->n_args + 1) * sizeof *av);
    uint8_t **states = sp_arena_alloc(scratch, CHUNK * sizeof(uint8_t *));
    uint32_t *rows = sp_arena_alloc(scratch, CHUNK * sizeof(uint32_t));
    if (!kv || !av || !states || !rows)
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    for (int i = 0; i < s->n_keys; i++) {
        int rc = sp_expr_eval(s->keys[i], b, scratch, &kv[i], err);
        if (rc) return rc;
    }
    for (int i = 0; i < s->n_args; i++) {
        int rc = sp_expr_eval(s->args[i], b, scratch, &av[i], err);
        if (rc) return rc;
    }
    /* A window key is encoded from a one-row window vector per item. */
    int64_t wbuf[2];
    sp_vec wvec = {.type = SP_T_WINDOW, .nulls = NULL, .d.i64 = wbuf};
    const sp_window_spec *w = &s->window;
    bool session = s->window_key >= 0 && w->session;
    const sp_vec *gv = session && w->gap_arg >= 0 ? &av[w->gap_arg] : NULL;
    int64_t n_over = 1;
    if (s->window_key >= 0 && !session)
        n_over = (w->length_us + w->slide_us - 1) / w->slide_us;
    /* Items (row, window) are gathered CHUNK at a time: their encoded keys
     * back to back in p->key, then looked up in one pass (see
     * upsert_chunk). */
    chunk c = {p, av, states, rows, NULL, NULL, session, 0};
    c.koff = sp_arena_alloc(scratch, (CHUNK + 1) * sizeof *c.koff);
    c.hash = sp_arena_alloc(scratch, CHUNK * sizeof *c.hash);
    if (!c.koff || !c.hash) return sp_err_set(err, SP_ENOMEM, "out of memory");
    p->key.len = 0;
    for (uint32_t k = 0; k < live; k++) {
        uint32_t r = sp_batch_row(b, k);
        int64_t last_start = 0, t = 0;
        if (s->window_key >= 0) {
            const sp_vec *tv = &kv[s->window_key];
            if (tv->type == SP_T_NULL || sp_vec_is_null(tv, r)) continue;
            t = tv->d.i64[r];
            if (session) {
                /* the row's own session [t, t + gap) */
                int64_t gap = w->gap_us;
                if (gv && !row_gap(gv, r, &gap)) continue;
                if (gap <= 0 || __builtin_add_overflow(t, gap, &wbuf[1]))
                    continue;
                wbuf[0] = t;
            } else {
                last_start = t - floor_mod(t - w->offset_us, w->slide_us);
            }
        }
        for (int64_t i = 0; i < n_over; i++) {
            if (s->window_key >= 0 && !session) {
                wbuf[0] = last_start - i * w->slide_us;
                wbuf[1] = wbuf[0] + w->length_us;
                if (!(t >= wbuf[0] && t < wbuf[1])) continue;
            }
            /* the key's columns, written in place after one reserve */
            size_t start = p->key.len, size = 0;
            for (int col = 0; col < s->n_keys; col++)
                size += col == s->window_key
                            ? 17
                            : sp_codec_size(&kv[col], r, s->key_types[col]);
            if (sp_buf_reserve(&p->key, size))
                return sp_err_set(err, SP_ENOMEM, "out of memory");
            unsigned char *o = (unsigned char *)p->key.data + start;
            for (int col = 0; col < s->n_keys; col++)
                o = col == s->window_key
                        ? sp_codec_write(o, &wvec, 0, SP_T_WINDOW)
                        : sp_codec_write(o, &kv[col], r, s->key_types[col]);
            p->key.len = start + size;
            if (p->key.len > UINT32_MAX)
                return sp_err_set(err, SP_EUNSUPPORTED,
                                  "group keys over 4 GiB in one chunk");
            c.koff[c.n] = (uint32_t)start;
            c.hash[c.n] = sp_hash_key(p->key.data ? p->key.data + start : "",
                                      p->key.len - start, SP_STATE_HASH_SEED);
            rows[c.n] = r;
            if (++c.n == CHUNK) {
                int rc = upsert_chunk(&c, err);
                if (rc) return rc;
            }
        }
    }
    return c.n ? upsert_chunk(&c, err) : 0;
}

/* ---- the operator
 * ------------------------------------------------------------ */

int sp_agg_op_open(const sp_agg_spec *spec, const char *state_dir,
                   int64_t version, int snapshot_interval, sp_agg_op **out,
                   sp_err *err)
{
    sp_agg_op *op = sp_calloc(1, sizeof *op);
    if (!op) return sp_err_set(err, SP_ENOMEM, "out of memory");
    op->spec = spec;
    op->threads = 1;
    op->n_parts = spec->partitions > 0 ? spec->partitions : 1;
    op->stores = sp_calloc((size_t)op->n_parts, sizeof *op->stores);
    sp_state_opts so;
    sp_state_opts_default(&so);
    if (snapshot_interval > 0) so.snapshot_interval = snapshot_interval;
    for (int p = 0; p < op->n_parts; p++) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/%d", state_dir, p);
        int rc = sp_state_open(dir, version, &so, &op->stores[p], err);
        if (rc) {
            sp_agg_op_close(op);
            return rc;
        }
    }
    *out = op;
    return 0;
}

static void *maintain_all(void *arg)
{
    sp_agg_op *op = arg;
    for (int p = 0; p < op->n_parts && !op->maint_rc; p++)
        op->maint_rc = sp_state_maintain(op->stores[p], &op->maint_err);
    return NULL;
}

void sp_agg_op_set_threads(sp_agg_op *op, int threads)
{
    op->threads = threads > 0 ? threads : 1;
}

/* Parallel commit: workers take partitions from a counter; the first
 * error is kept (the others' partitions still commit or fail alone; the
 * runtime re-runs the batch after any failure). */
typedef struct commit_job {
    sp_agg_op *op;
    int64_t version;
    _Atomic int next;
    pthread_mutex_t lock;
    int rc;
    sp_err err;
    pthread_t th[64]; /* the committing threads, n_th of them */
    int n_th;
} commit_job;

static void *commit_worker(void *arg)
{
    commit_job *j = arg;
    for (;;) {
        int p = atomic_fetch_add(&j->next, 1);
        if (p >= j->op->n_parts) break;
        sp_err e;
        sp_err_clear(&e);
        int rc = sp_state_commit(j->op->stores[p], j->version, &e);
        if (rc) {
            pthread_mutex_lock(&j->lock);
            if (!j->rc) {
                j->rc = rc;
                j->err = e;
            }
            pthread_mutex_unlock(&j->lock);
        }
    }
    return NULL;
}

/* How many threads commit the partitions. A commit is two fsyncs (the
 * delta, its directory) plus the writing of the changed keys: with few
 * changes it waits on the disk, and the partitions' fsyncs overlap on one
 * thread each whatever --threads says (the latency of a small
 * micro-batch); with many changes it is CPU work and takes at most
 * --threads threads. */
static int commit_threads(sp_agg_op *op)
{
    uint64_t changes = 0;
    for (int p = 0; p < op->n_parts; p++) {
        sp_state_metrics m;
        sp_state_get_metrics(op->stores[p], &m);
        changes += m.n_updated + m.n_removed;
    }
    int nt = changes < 65536 ? op->n_parts : SP_MIN(op->threads, op->n_parts);
    return SP_MIN(SP_MAX(nt, 1), 64);
}

int sp_agg_op_commit_start(sp_agg_op *op, int64_t version, sp_err *err)
{
    SP_ASSERT(!op->commit);
    int rc = sp_agg_op_quiesce(op, err);
    if (rc) return rc;
    commit_job *j = sp_calloc(1, sizeof *j);
    if (!j) return sp_err_set(err, SP_ENOMEM, "out of memory");
    j->op = op;
    j->version = version;
    atomic_init(&j->next, 0);
    pthread_mutex_init(&j->lock, NULL);
    int nt = commit_threads(op);
    for (int i = 0; i < nt; i++)
        if (pthread_create(&j->th[j->n_th], NULL, commit_worker, j) == 0)
            j->n_th++;
    /* no thread at all: the partitions commit here, before returning */
    if (!j->n_th) commit_worker(j);
    op->commit = j;
    return 0;
}

int sp_agg_op_commit_finish(sp_agg_op *op, sp_err *err)
{
    commit_job *j = op->commit;
    SP_ASSERT(j);
    for (int i = 0; i < j->n_th; i++) pthread_join(j->th[i], NULL);
    op->commit = NULL;
    pthread_mutex_destroy(&j->lock);
    int rc = j->rc;
    if (rc) *err = j->err;
    sp_free(j);
    if (rc) return rc;
    op->maint_rc = 0;
    sp_err_clear(&op->maint_err);
    if (pthread_create(&op->maint, NULL, maintain_all, op) == 0)
        op->maint_running = true;
    else
        maintain_all(op); /* no thread: do it here */
    return op->maint_running ? 0 : sp_agg_op_quiesce(op, err);
}

int sp_agg_op_quiesce(sp_agg_op *op, sp_err *err)
{
    if (!op->maint_running) return 0;
    pthread_join(op->maint, NULL);
    op->maint_running = false;
    int rc = op->maint_rc;
    if (rc) {
        *err = op->maint_err;
        op->maint_rc = 0;
        sp_err_clear(&op->maint_err);
    }
    return rc;
}

void sp_agg_op_close(sp_agg_op *op)
{
    if (!op) return;
    sp_err e;
    sp_err_clear(&e);
    if (op->commit) sp_agg_op_commit_finish(op, &e);
    sp_agg_op_quiesce(op, &e);
    for (int p = 0; p < op->n_parts; p++)
        if (op->stores && op->stores[p]) sp_state_close(op->stores[p]);
    sp_free(op->stores);
    sp_free(op);
}

bool sp_agg_op_has_state(sp_agg_op *op)
{
    sp_err e;
    sp_err_clear(&e);
    sp_agg_op_quiesce(op, &e);
    for (int p = 0; p < op->n_parts; p++) {
        sp_state_metrics m;
        sp_state_get_metrics(op->stores[p], &m);
        if (m.n_keys) return true;
    }
    return false;
}

int sp_agg_op_commit(sp_agg_op *op, int64_t version, sp_err *err)
{
    int rc = sp_agg_op_commit_start(op, version, err);
    return rc ? rc : sp_agg_op_commit_finish(op, err);
}

/* Collects groups to emit, then builds output batches of up to CHUNK rows:
 * [keys..., (window start, end)..., aggregates...] -> HAVING -> projection. */
typedef struct emitter {
    const sp_agg_spec *s;
    sp_arena *arena;
    const unsigned char **keys; /* encoded keys (borrowed) */
    const uint8_t **vals;
    uint32_t n;
    sp_agg_emit_fn emit;
    void *ud;
    uint64_t rows_out;
} emitter;

static int flush(emitter *em, sp_err *err)
{
    const sp_agg_spec *s = em->s;
    if (em->n == 0) return 0;
    uint32_t n = em->n, nc = s->agg_schema.n_fields;
    sp_batch b = {.n_rows = n, .n_cols = nc, .arena = em->arena};
    b.cols = sp_arena_zalloc(em->arena, nc * sizeof(sp_vec));
    if (!b.cols) return sp_err_set(err, SP_ENOMEM, "out of memory");
    for (uint32_t c = 0; c < nc; c++)
        if (sp_vec_alloc(&b.cols[c], s->agg_schema.fields[c].type, n, true,
                         em->arena))
            return sp_err_set(err, SP_ENOMEM, "out of memory");
    int wcol = s->n_keys; /* window start/end follow the keys */
    int acol = s->n_keys + (s->window_key >= 0 ? 2 : 0);
    for (uint32_t r = 0; r < n; r++) {
        const unsigned char *k = em->keys[r];
        for (int c = 0; c < s->n_keys; c++) {
            sp_codec_get(&k, s->key_types[c], &b.cols[c], r);
            if (c == s->window_key) {
                b.cols[wcol].nulls[r] = b.cols[c].nulls[r];
                b.cols[wcol + 1].nulls[r] = b.cols[c].nulls[r];
                b.cols[wcol].d.i64[r] = b.cols[c].d.i64[2 * r];
                b.cols[wcol + 1].d.i64[r] = b.cols[c].d.i64[2 * r + 1];
            }
        }
        for (int a = 0; a < s->n_aggs; a++)
            sp_agg_final(&s->aggs[a], em->vals[r], &b.cols[acol + a], r);
    }
    if (s->having) {
        int rc = sp_expr_filter(s->having, &b, em->arena, err);
        if (rc) return rc;
    }
    sp_batch out = {.n_rows = b.n_rows,
                    .n_cols = (uint32_t)s->n_proj,
                    .sel = b.sel,
                    .n_sel = b.n_sel,
                    .arena = em->arena};
    out.cols =
        sp_arena_alloc(em->arena, (size_t)(s->n_proj + 1) * sizeof(sp_vec));
    if (!out.cols) return sp_err_set(err, SP_ENOMEM, "out of memory");
    for (int i = 0; i < s->n_proj; i++) {
        int rc = sp_expr_eval(s->proj[i], &b, em->arena, &out.cols[i], err);
        if (rc) return rc;
    }
    em->rows_out += sp_batch_live(&out);
    int rc = sp_batch_live(&out) ? em->emit(em->ud, &out, err) : 0;
    em->n = 0;
    sp_arena_reset(em->arena);
    return rc;
}

static int add_row(emitter *em, const unsigned char *key, const uint8_t *val,
                   sp_err *err)
{
    em->keys[em->n] = key;
    em->vals[em->n] = val;
    if (++em->n == CHUNK) return flush(em, err);
    return 0;
}

/* Variable-size states: merges a partial group into the batch's working
 * value of the group, loaded from the store on first touch. */
static int merge_var(const sp_agg_spec *s, sp_state *store, sp_htab *work,
                     sp_hentry *e, sp_err *err)
{
    bool nw;
    sp_hentry *w = sp_htab_upsert(work, e->data, e->klen, e->hash, &nw);
    if (!w) return sp_err_set(err, SP_ENOMEM, "out of memory");
    uint8_t *wv = sp_hentry_val(w);
    const void *val;
    size_t vl;
    if (nw && sp_state_get(store, e->data, e->klen, &val, &vl) &&
        sp_aggv_load(s->aggs, s->n_aggs, s->value_size, val, vl, wv))
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    if (sp_aggv_merge(s->aggs, s->n_aggs, wv, sp_hentry_val(e), true))
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    return 0;
}

/* Writes the batch's working values back to the store, once per group. */
static int store_work(const sp_agg_spec *s, sp_state *store, sp_htab *work,
                      sp_err *err)
{
    sp_buf b;
    sp_buf_init(&b);
    int rc = 0;
    for (size_t j = 0; j < work->n && !rc; j++) {
        sp_hentry *w = work->order[j];
        uint8_t *wv = sp_hentry_val(w);
        size_t n = sp_aggv_stored_size(s->aggs, s->n_aggs, s->value_size, wv);
        b.len = 0;
        if (sp_buf_reserve(&b, n)) {
            rc = sp_err_set(err, SP_ENOMEM, "out of memory");
            break;
        }
        sp_aggv_store(s->aggs, s->n_aggs, s->value_size, wv, (uint8_t *)b.data);
        if (sp_state_put(store, w->data, w->klen, b.data, n))
            rc = sp_err_set(err, SP_ENOMEM, "out of memory in the state store");
    }
    sp_buf_free(&b);
    return rc;
}

/* The groups of partial `pa` that belong to state partition q (of
 * n_parts): one counting sort of the partial's groups, done once, instead
 * of every partition task reading all of them. */
static int partial_slice(sp_agg_partial *pa, int n_parts, int q,
                         sp_hentry ***ents, size_t *n)
{
    sp_htab *t = &pa->tab;
    if (n_parts == 1) {
        *ents = t->order;
        *n = t->n;
        return 0;
    }
    int rc = 0;
    pthread_mutex_lock(&pa->plock);
    if (!pa->pstart && t->n) {
        size_t *st = sp_calloc((size_t)n_parts + 1, sizeof *st);
        sp_hentry **o = sp_malloc(t->n * sizeof *o);
        if (st && o) {
            for (size_t j = 0; j < t->n; j++)
                st[t->order[j]->hash % (uint64_t)n_parts + 1]++;
            for (int k = 0; k < n_parts; k++) st[k + 1] += st[k];
            size_t *cur = sp_malloc((size_t)n_parts * sizeof *cur);
            if (cur) {
                memcpy(cur, st, (size_t)n_parts * sizeof *cur);
                for (size_t j = 0; j < t->n; j++) {
                    sp_hentry *e = t->order[j];
                    o[cur[e->hash % (uint64_t)n_parts]++] = e;
                }
                sp_free(cur);
                pa->pstart = st;
                pa->porder = o;
                st = NULL;
                o = NULL;
            }
        }
        if (st || o) rc = SP_ENOMEM;
        sp_free(st);
        sp_free(o);
    }
    pthread_mutex_unlock(&pa->plock);
    if (rc) return rc;
    if (!pa->pstart) {
        *ents = NULL;
        *n = 0;
    } else {
        *ents = pa->porder + pa->pstart[q];
        *n = pa->pstart[q + 1] - pa->pstart[q];
    }
    return 0;
}

bool sp_agg_partition_retryable(const sp_agg_op *op)
{
    const sp_agg_spec *s = op->spec;
    /* dedup reads its partials' row buffers; fixed-size states are merged
     * from the partial's value into the store's (sp_agg_merge reads src) */
    if (s->dedup) return true;
    return s->n_var == 0 && !(s->window_key >= 0 && s->window.session);
}

int sp_agg_partition_reset(sp_agg_op *op, int p, sp_err *err)
{
    SP_ASSERT(p >= 0 && p < op->n_parts);
    return sp_state_abort(op->stores[p], err);
}

int sp_agg_partition_run(sp_agg_op *op, int p, sp_agg_partial **partials,
                         int n_partials, int64_t watermark_us,
                         sp_agg_emit_fn emit_fn, void *ud, sp_agg_stats *st,
                         sp_err *err)
{
    const sp_agg_spec *s = op->spec;
    sp_state *store = op->stores[p];
    if (s->dedup) {
        sp_dedup_rows **rows = sp_calloc((size_t)n_partials + 1, sizeof *rows);
        if (!rows) return sp_err_set(err, SP_ENOMEM, "out of memory");
        for (int i = 0; i < n_partials; i++) rows[i] = &partials[i]->rows;
        int rc = sp_dedup_partition_run(s, store, p, rows, n_partials,
                                        watermark_us, emit_fn, ud, st, err);
        sp_free(rows);
        return rc;
    }
    bool use_wm = s->mode != 2 && s->et_key >= 0 && watermark_us != INT64_MIN;
    int rc = 0;
    if (s->window_key >= 0 && s->window.session) {
        sp_htab **tabs = sp_calloc((size_t)n_partials + 1, sizeof *tabs);
        if (!tabs) return sp_err_set(err, SP_ENOMEM, "out of memory");
        for (int i = 0; i < n_partials; i++) tabs[i] = &partials[i]->tab;
        rc = sp_session_merge(s, store, p, op->n_parts, tabs, n_partials,
                              watermark_us, st, err);
        sp_free(tabs);
        if (rc) return rc;
        n_partials = 0; /* merged: on to the output */
    }
    /* variable-size states: the batch's groups as working values */
    bool var = s->n_var > 0;
    sp_htab work;
    if (var && sp_htab_init(&work, s->value_size))
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    size_t vsize = s->value_size ? s->value_size : 8;
    for (int i = 0; i < n_partials && !rc; i++) {
        sp_hentry **ents;
        size_t m;
        if (partial_slice(partials[i], op->n_parts, p, &ents, &m)) {
            rc = sp_err_set(err, SP_ENOMEM, "out of memory");
            break;
        }
        for (size_t j = 0; j < m && !var && j < PF_SLOT; j++)
            sp_state_prefetch(store, ents[j]->hash);
        for (size_t j = 0; j < m; j++) {
            sp_hentry *e = ents[j];
            if (use_wm && key_event_time(s, e->data) <= watermark_us) {
                st->rows_dropped_late++;
                continue;
            }
            if (var) {
                rc = merge_var(s, store, &work, e, err);
                if (rc) break;
                continue;
            }
            /* the store's table misses the cache as the partial's did:
             * the same prefetching a few groups ahead */
            if (j + PF_SLOT < m)
                sp_state_prefetch(store, ents[j + PF_SLOT]->hash);
            if (j + PF_ENTRY < m)
                sp_state_prefetch_entry(store, ents[j + PF_ENTRY]->hash);
            uint8_t *v = sp_state_upsert_h(store, e->data, e->klen, e->hash,
                                           vsize, NULL);
            if (!v) {
                rc = sp_err_set(err, SP_ENOMEM,
                                "out of memory in the state store");
                break;
            }
            for (int a = 0; a < s->n_aggs; a++)
                sp_agg_merge(&s->aggs[a], v, sp_hentry_val(e));
        }
    }
    if (var) {
        if (!rc) rc = store_work(s, store, &work, err);
        for (size_t j = 0; j < work.n; j++)
            sp_aggv_free(s->aggs, s->n_aggs, sp_hentry_val(work.order[j]));
        sp_htab_free(&work);
    }
    emitter em = {s, sp_arena_create(1 << 16), NULL, NULL, 0, emit_fn, ud, 0};
    em.keys = sp_malloc(CHUNK * sizeof *em.keys);
    em.vals = sp_malloc(CHUNK * sizeof *em.vals);
    /* keys to evict after their rows were emitted */
    sp_buf evict;
    sp_buf_init(&evict);
    if (!em.arena || !em.keys || !em.vals)
        rc = rc ? rc : sp_err_set(err, SP_ENOMEM, "out of memory");
    if (!rc && s->mode == 1) {
        /* update: the groups this batch changed, as the store tracks them
         * for its delta (nothing was removed since the last commit) */
        sp_state_iter it;
        sp_state_iter_changed_init(&it, store);
        const void *k;
        size_t kl, vl;
        void *v;
        uint64_t n_changed = 0;
        while (!rc && sp_state_iter_next(&it, &k, &kl, &v, &vl)) {
            rc = add_row(&em, k, v, err);
            n_changed++;
        }
        st->rows_updated += n_changed;
    }
    if (!rc && (s->mode == 2 || use_wm)) {
        sp_state_iter it;
        sp_state_iter_init(&it, store);
        const void *k;
        size_t kl, vl;
        void *v;
        while (!rc && sp_state_iter_next(&it, &k, &kl, &v, &vl)) {
            bool final = use_wm && key_event_time(s, k) <= watermark_us;
            if (s->mode == 2 || (s->mode == 0 && final))
                rc = add_row(&em, k, v, err);
            if (final) {
                uint32_t l32 = (uint32_t)kl;
                if (sp_buf_append(&evict, &l32, 4) ||
                    sp_buf_append(&evict, k, kl))
                    rc = sp_err_set(err, SP_ENOMEM, "out of memory");
            }
        }
    }
    if (!rc && s->mode == 0) {
        /* append: emitted groups are the new ones that became final */
        sp_state_metrics m;
        sp_state_get_metrics(store, &m);
        st->rows_updated += m.n_updated;
    } else if (!rc && s->mode == 2) {
        sp_state_metrics m;
        sp_state_get_metrics(store, &m);
        st->rows_updated += m.n_updated;
    }
    if (!rc) rc = flush(&em, err);
    /* evict after emitting: the emitted rows viewed the keys */
    for (size_t off = 0; !rc && off < evict.len;) {
        uint32_t l32;
        memcpy(&l32, evict.data + off, 4);
        sp_state_remove(store, evict.data + off + 4, l32);
        st->rows_removed++;
        off += 4 + l32;
    }
    sp_state_metrics m;
    sp_state_get_metrics(store, &m);
    st->rows_total += m.n_keys;
    st->memory_bytes += m.memory_bytes;
    st->rows_out += em.rows_out;
    sp_buf_free(&evict);
    sp_free(em.keys);
    sp_free(em.vals);
    if (em.arena) sp_arena_destroy(em.arena);
    return rc;
}
