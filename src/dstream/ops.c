/*
 * ops.c -- computing one stream's RDD at one batch time from its parents'.
 *
 *   narrow   map, flatMap, filter: a task per parent partition; output
 *            records may borrow the parent's payloads (the RDD keeps a
 *            reference to its parent).
 *   views    union, window, the mapWithState outputs: partitions that
 *            borrow record arrays; no task at all.
 *   shuffle  reduceByKey, groupByKey, joins, updateStateByKey,
 *            mapWithState: a map stage (a task per input partition: check
 *            pairs, hash keys, combine locally for reduceByKey, cut into
 *            buckets by hash) and a reduce stage (a task per output
 *            partition: merge its bucket from every map task, in map-task
 *            order, so results are deterministic). Outputs are deep-copied:
 *            a shuffled RDD depends on nothing.
 *   co-partitioned  state and windowed reduces keep their previous RDD
 *            partitioned like the new data (same hash, same count), so
 *            partition q of the previous state merges with bucket q
 *            without being shuffled again.
 *
 * Partition of a key: (hash >> 32) % n; the hash map uses the low bits.
 */
#include "dstream/dstreamInt.h"

#include <string.h>

#define KILL_CHECK 4096

static void discard_part(void *o)
{
    sp_dpart_free(o);
}

static int part_of(uint64_t h, int n)
{
    return (int)((uint32_t)(h >> 32) % (uint32_t)n);
}

static int cb_fail(sp_err *err, const char *what, int rc,
                   const spate_val_t *rec)
{
    char buf[128];
    if (rec)
        spate_val_format(rec, buf, sizeof buf);
    else
        buf[0] = 0;
    return sp_err_set(err, rc < 0 && rc > -100 ? rc : SP_EINTERNAL,
                      "%s callback failed (%d)%s%s", what, rc,
                      rec ? " on record " : "", buf);
}

static int not_pair(sp_err *err, const char *op, const spate_val_t *rec)
{
    char buf[128];
    spate_val_format(rec, buf, sizeof buf);
    sp_err_set(err, SP_EDATA, "%s needs (key, value) pairs; got %s", op, buf);
    sp_err_hint(err, "map the records to pairs first, with spate_pair");
    return SP_EDATA;
}

/* An RDD made of the job's partition outputs. */
static spate_rdd_t *rdd_from_job(int64_t t, djob *j)
{
    spate_rdd_t *r = sp_drdd_new(t, j->n_tasks);
    if (!r) return NULL;
    for (int i = 0; i < j->n_tasks; i++) {
        sp_drdd_take_part(r, i, j->outs[i]);
        j->outs[i] = NULL;
    }
    return r;
}

static void job_free_outs(djob *j)
{
    for (int i = 0; i < j->n_tasks; i++) {
        j->discard(j->outs[i]);
        j->outs[i] = NULL;
    }
}

static int run_job(spate_dstream_t *ds, int64_t t, const char *op, int n,
                   int (*run)(djob *, int, _Atomic int *, void **, sp_err *),
                   void (*discard)(void *), void *ud, void ***outs, sp_err *err)
{
    void **o = sp_calloc((size_t)(n > 0 ? n : 1), sizeof *o);
    if (!o) return sp_err_set(err, SP_ENOMEM, "out of memory");
    djob j = {op, ds->id, t, n, run, discard, ud, o};
    int rc = sp_dsched_run(ds->ssc, &j, err);
    if (rc) {
        sp_free(o);
        return rc;
    }
    *outs = o;
    return 0;
}

/* ------------------------------------------------------------------------
 * Narrow: map, flatMap, filter
 * ---------------------------------------------------------------------- */

typedef struct narrow {
    spate_dstream_t *ds;
    spate_rdd_t *in;
} narrow;

static int narrow_run(djob *j, int i, _Atomic int *killed, void **out,
                      sp_err *err)
{
    narrow *nw = j->ud;
    spate_dstream_t *ds = nw->ds;
    const dpart *in = &nw->in->parts[i];
    dpart *o = sp_dpart_new();
    *out = o;
    if (!o) return sp_err_set(err, SP_ENOMEM, "out of memory");
    spate_tctx_t cx;
    sp_dtctx_init(&cx, o, j->time);
    if (ds->kind == DK_MAP && in->n) {
        o->recs = sp_malloc(sizeof *o->recs * in->n);
        if (!o->recs) return sp_err_set(err, SP_ENOMEM, "out of memory");
        o->cap = in->n;
    }
    for (uint32_t r = 0; r < in->n; r++) {
        if ((r & (KILL_CHECK - 1)) == 0 && atomic_load(killed))
            return SP_ESTOPPED;
        const spate_val_t *rec = &in->recs[r];
        int rc;
        switch (ds->kind) {
        case DK_MAP:
            rc = ds->map(&cx, rec, &o->recs[o->n], ds->ud);
            if (rc < 0) return cb_fail(err, "map", rc, rec);
            o->n++;
            break;
        case DK_FLAT_MAP:
            rc = ds->flat_map(&cx, rec, ds->ud);
            if (rc < 0) return cb_fail(err, "flatMap", rc, rec);
            break;
        default: /* DK_FILTER */
            rc = ds->filter(rec, ds->ud);
            if (rc < 0) return cb_fail(err, "filter", rc, rec);
            if (rc > 0 && sp_dpart_push(o, rec)) cx.oom = true;
            break;
        }
        if (cx.oom) return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    return 0;
}

static int compute_narrow(spate_dstream_t *ds, spate_rdd_t *in, int64_t t,
                          spate_rdd_t **out, sp_err *err)
{
    narrow nw = {ds, in};
    void **outs;
    int rc = run_job(ds, t, sp_dkind_name(ds->kind), in->n_parts, narrow_run,
                     discard_part, &nw, &outs, err);
    if (rc) return rc;
    djob j = {.n_tasks = in->n_parts, .outs = outs, .discard = discard_part};
    spate_rdd_t *r = rdd_from_job(t, &j);
    if (!r || sp_drdd_add_dep(r, in)) {
        job_free_outs(&j);
        sp_free(outs);
        sp_drdd_unref(r);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    sp_free(outs);
    *out = r;
    return 0;
}

/* ------------------------------------------------------------------------
 * Views: union, window
 * ---------------------------------------------------------------------- */

/* An RDD viewing every partition of `ins` in order. */
static int make_view(int64_t t, spate_rdd_t **ins, int n_ins, spate_rdd_t **out,
                     sp_err *err)
{
    int n = 0;
    for (int i = 0; i < n_ins; i++) n += ins[i]->n_parts;
    spate_rdd_t *r = sp_drdd_new(t, n);
    if (!r) return sp_err_set(err, SP_ENOMEM, "out of memory");
    int k = 0;
    for (int i = 0; i < n_ins; i++) {
        for (int p = 0; p < ins[i]->n_parts; p++, k++) {
            dpart *d = &r->parts[k];
            d->recs = ins[i]->parts[p].recs;
            d->n = d->cap = ins[i]->parts[p].n;
            d->tm = ins[i]->parts[p].tm;
            d->view = true;
        }
        if (sp_drdd_add_dep(r, ins[i])) {
            sp_drdd_unref(r);
            return sp_err_set(err, SP_ENOMEM, "out of memory");
        }
    }
    *out = r;
    return 0;
}

/* Collects the RDDs of ds at valid times in (from, to]. */
static int slice(spate_dstream_t *ds, int64_t from, int64_t to,
                 spate_rdd_t ***out, int *n_out, sp_err *err)
{
    spate_ssc_t *ssc = ds->ssc;
    int64_t first = from + 1;
    int64_t off = (first - ssc->zero) % ds->slide;
    if (off < 0) off += ds->slide;
    if (off) first += ds->slide - off;
    int cap = 0, n = 0;
    spate_rdd_t **v = NULL;
    for (int64_t tt = first; tt <= to; tt += ds->slide) {
        if (tt <= ssc->zero) continue;
        int rc = 0;
        spate_rdd_t *r = sp_dstream_get(ds, tt, &rc, err);
        if (rc) {
            sp_free(v);
            return rc;
        }
        if (!r) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            spate_rdd_t **nv = sp_realloc(v, sizeof *nv * (size_t)cap);
            if (!nv) {
                sp_free(v);
                return sp_err_set(err, SP_ENOMEM, "out of memory");
            }
            v = nv;
        }
        v[n++] = r;
    }
    *out = v;
    *n_out = n;
    return 0;
}

/* ------------------------------------------------------------------------
 * Repartition
 * ---------------------------------------------------------------------- */

static int repart_run(djob *j, int q, _Atomic int *killed, void **out,
                      sp_err *err)
{
    narrow *nw = j->ud;
    int n = j->n_tasks;
    dpart *o = sp_dpart_new();
    *out = o;
    if (!o) return sp_err_set(err, SP_ENOMEM, "out of memory");
    for (int i = 0; i < nw->in->n_parts; i++) {
        const dpart *in = &nw->in->parts[i];
        uint32_t start = (uint32_t)(((q - i) % n + n) % n);
        for (uint32_t r = start; r < in->n; r += (uint32_t)n)
            if (sp_dpart_push(o, &in->recs[r]))
                return sp_err_set(err, SP_ENOMEM, "out of memory");
        if (atomic_load(killed)) return SP_ESTOPPED;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Shuffle: map stage
 * ---------------------------------------------------------------------- */

typedef struct bucket {
    spate_val_t *k, *v;
    uint64_t *h;
    uint32_t n, cap;
} bucket;

typedef struct mapout {
    int n_out;
    bucket *b;
    sp_arena *arena; /* combined values */
} mapout;

static void mapout_free(void *p)
{
    mapout *m = p;
    if (!m) return;
    for (int i = 0; i < m->n_out; i++) {
        sp_free(m->b[i].k);
        sp_free(m->b[i].v);
        sp_free(m->b[i].h);
    }
    sp_free(m->b);
    sp_arena_destroy(m->arena);
    sp_free(m);
}

static int bucket_push(bucket *b, const spate_val_t *k, const spate_val_t *v,
                       uint64_t h)
{
    if (b->n == b->cap) {
        uint32_t nc = b->cap ? b->cap * 2 : 64;
        spate_val_t *nk = sp_realloc(b->k, sizeof *nk * nc);
        if (!nk) return SP_ENOMEM;
        b->k = nk;
        spate_val_t *nv = sp_realloc(b->v, sizeof *nv * nc);
        if (!nv) return SP_ENOMEM;
        b->v = nv;
        uint64_t *nh = sp_realloc(b->h, sizeof *nh * nc);
        if (!nh) return SP_ENOMEM;
        b->h = nh;
        b->cap = nc;
    }
    b->k[b->n] = *k;
    b->v[b->n] = *v;
    b->h[b->n] = h;
    b->n++;
    return 0;
}

typedef struct shuf {
    spate_dstream_t *ds;
    const char *op;
    spate_rdd_t *in[2];
    int first_b; /* map tasks [0, first_b) read in[0] */
    int n_map;
    int n_out;
    spate_reduce_fn combine; /* map-side combine (reduceByKey) */
    mapout **mo;             /* map outputs */
    spate_rdd_t *prev;       /* co-partitioned previous state, or NULL */
} shuf;

static int shuf_map_run(djob *j, int i, _Atomic int *killed, void **out,
                        sp_err *err)
{
    shuf *s = j->ud;
    const dpart *in =
        i < s->first_b ? &s->in[0]->parts[i] : &s->in[1]->parts[i - s->first_b];
    mapout *m = sp_calloc(1, sizeof *m);
    *out = m;
    if (!m) return sp_err_set(err, SP_ENOMEM, "out of memory");
    m->b = sp_calloc((size_t)s->n_out, sizeof *m->b);
    if (!m->b) return sp_err_set(err, SP_ENOMEM, "out of memory");
    m->n_out = s->n_out;
    if (!s->combine) {
        for (uint32_t r = 0; r < in->n; r++) {
            if ((r & (KILL_CHECK - 1)) == 0 && atomic_load(killed))
                return SP_ESTOPPED;
            const spate_val_t *rec = &in->recs[r];
            if (!spate_is_pair(rec)) return not_pair(err, s->op, rec);
            uint64_t h = spate_val_hash(spate_key(rec));
            if (bucket_push(&m->b[part_of(h, s->n_out)], spate_key(rec),
                            spate_value(rec), h))
                return sp_err_set(err, SP_ENOMEM, "out of memory");
        }
        return 0;
    }
    m->arena = sp_arena_create(16 * 1024);
    if (!m->arena) return sp_err_set(err, SP_ENOMEM, "out of memory");
    spate_tctx_t cx;
    sp_dtctx_init(&cx, NULL, j->time);
    cx.arena = m->arena;
    dmap mp;
    sp_dmap_init(&mp);
    int rc = 0;
    for (uint32_t r = 0; r < in->n && !rc; r++) {
        if ((r & (KILL_CHECK - 1)) == 0 && atomic_load(killed)) {
            rc = SP_ESTOPPED;
            break;
        }
        const spate_val_t *rec = &in->recs[r];
        if (!spate_is_pair(rec)) {
            rc = not_pair(err, s->op, rec);
            break;
        }
        uint64_t h = spate_val_hash(spate_key(rec));
        bool added;
        uint32_t ix = sp_dmap_upsert(&mp, spate_key(rec), h, &added);
        if (ix == DNONE) {
            rc = sp_err_set(err, SP_ENOMEM, "out of memory");
            break;
        }
        dentry *e = &mp.e[ix];
        if (added) {
            e->val = *spate_value(rec);
        } else {
            spate_val_t res;
            int crc =
                s->combine(&cx, &e->val, spate_value(rec), &res, s->ds->ud);
            if (crc < 0) {
                rc = cb_fail(err, "reduce", crc, rec);
                break;
            }
            e->val = res;
        }
        if (cx.oom) rc = sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    for (uint32_t e = 0; e < mp.n && !rc; e++)
        if (bucket_push(&m->b[part_of(mp.e[e].hash, s->n_out)], &mp.e[e].key,
                        &mp.e[e].val, mp.e[e].hash))
            rc = sp_err_set(err, SP_ENOMEM, "out of memory");
    sp_dmap_free(&mp);
    return rc;
}

static int shuf_map(shuf *s, int64_t t, sp_err *err)
{
    s->first_b = s->in[0] ? s->in[0]->n_parts : 0;
    s->n_map = s->first_b + (s->in[1] ? s->in[1]->n_parts : 0);
    char op[64];
    snprintf(op, sizeof op, "%s/map", s->op);
    void **outs = NULL;
    int rc = run_job(s->ds, t, op, s->n_map, shuf_map_run, mapout_free, s,
                     &outs, err);
    if (rc) return rc;
    s->mo = (mapout **)outs;
    return 0;
}

static void shuf_free(shuf *s)
{
    if (s->mo)
        for (int i = 0; i < s->n_map; i++) mapout_free(s->mo[i]);
    sp_free(s->mo);
    s->mo = NULL;
}

/* ------------------------------------------------------------------------
 * Shuffle: reduce stage
 * ---------------------------------------------------------------------- */

/* Output of a reduce task: the partition, and for mapWithState the mapped
 * records too. */
typedef struct rout {
    dpart *main, *mapped;
} rout;

static void rout_free(void *p)
{
    rout *r = p;
    if (!r) return;
    sp_dpart_free(r->main);
    sp_dpart_free(r->mapped);
    sp_free(r);
}

/* Pushes the pair (k, v), deep-copied into o's arena. */
static int push_pair_copy(dpart *o, const spate_val_t *k, const spate_val_t *v)
{
    sp_arena *a = sp_dpart_arena(o);
    if (!a) return SP_ENOMEM;
    spate_val_t *it = sp_arena_alloc(a, sizeof *it * 2);
    if (!it) return SP_ENOMEM;
    bool oom = false;
    it[0] = sp_dval_copy(a, k, &oom);
    it[1] = sp_dval_copy(a, v, &oom);
    if (oom) return SP_ENOMEM;
    spate_val_t p = spate_tuple_of(it, 2);
    return sp_dpart_push(o, &p);
}

typedef struct rctx {
    shuf *s;
    int q;
    dmap m;
    dlist l;
    spate_val_t *tmp; /* contiguous values for update callbacks */
    uint32_t tmp_cap;
} rctx;

static void rctx_free(rctx *c)
{
    sp_dmap_free(&c->m);
    sp_dlist_free(&c->l);
    sp_free(c->tmp);
}

/* Gathers list `head` into c->tmp; returns the count or -1 on OOM. */
static int64_t gather(rctx *c, uint32_t head)
{
    uint32_t n = 0;
    for (uint32_t x = head; x != DNONE; x = c->l.next[x]) {
        if (n == c->tmp_cap) {
            uint32_t nc = c->tmp_cap ? c->tmp_cap * 2 : 16;
            spate_val_t *nt = sp_realloc(c->tmp, sizeof *nt * nc);
            if (!nt) return -1;
            c->tmp = nt;
            c->tmp_cap = nc;
        }
        c->tmp[n++] = c->l.v[x];
    }
    return n;
}

/* Feeds bucket q of every map output: reduce, or append to the entry's
 * list (list 2 for the second input of a join). */
static int feed_buckets(rctx *c, spate_tctx_t *cx, _Atomic int *killed,
                        sp_err *err)
{
    shuf *s = c->s;
    for (int i = 0; i < s->n_map; i++) {
        const bucket *b = &s->mo[i]->b[c->q];
        bool second = i >= s->first_b;
        for (uint32_t r = 0; r < b->n; r++) {
            if ((r & (KILL_CHECK - 1)) == 0 && atomic_load(killed))
                return SP_ESTOPPED;
            bool added;
            uint32_t ix = sp_dmap_upsert(&c->m, &b->k[r], b->h[r], &added);
            if (ix == DNONE) return sp_err_set(err, SP_ENOMEM, "out of memory");
            dentry *e = &c->m.e[ix];
            if (s->ds->kind == DK_REDUCE_KEY) {
                if (added) {
                    e->val = b->v[r];
                } else {
                    spate_val_t res;
                    int rc =
                        s->ds->reduce(cx, &e->val, &b->v[r], &res, s->ds->ud);
                    if (rc < 0) return cb_fail(err, "reduce", rc, &b->k[r]);
                    e->val = res;
                }
            } else if (second) {
                if (sp_dlist_append(&c->l, &e->head2, &e->tail2, &b->v[r]))
                    return sp_err_set(err, SP_ENOMEM, "out of memory");
            } else {
                if (sp_dlist_append(&c->l, &e->head, &e->tail, &b->v[r]))
                    return sp_err_set(err, SP_ENOMEM, "out of memory");
            }
            if (cx->oom) return sp_err_set(err, SP_ENOMEM, "out of memory");
        }
    }
    return 0;
}

enum { F_STATE = 1, F_GONE = 2, F_TOUCHED = 4 };

/* spate_state_t for mapWithState. */
struct spate_state {
    dentry *e;
    bool timing_out;
    bool updated, removed;
    spate_val_t nv;
};

SPATE_EXTERN int spate_state_exists(const spate_state_t *st)
{
    if (st->removed) return 0;
    if (st->updated) return 1;
    return (st->e->flags & F_STATE) != 0;
}

SPATE_EXTERN const spate_val_t *spate_state_get(const spate_state_t *st)
{
    if (!spate_state_exists(st)) return NULL;
    return st->updated ? &st->nv : &st->e->val;
}

SPATE_EXTERN int spate_state_update(spate_state_t *st, spate_val_t v)
{
    if (st->timing_out) return SPATE_EINVAL;
    st->updated = true;
    st->removed = false;
    st->nv = v;
    return 0;
}

SPATE_EXTERN int spate_state_remove(spate_state_t *st)
{
    if (st->timing_out) return SPATE_EINVAL;
    st->removed = true;
    st->updated = false;
    return 0;
}

SPATE_EXTERN int spate_state_is_timing_out(const spate_state_t *st)
{
    return st->timing_out;
}

static int reduce_run(djob *j, int q, _Atomic int *killed, void **out,
                      sp_err *err)
{
    shuf *s = j->ud;
    spate_dstream_t *ds = s->ds;
    rout *ro = sp_calloc(1, sizeof *ro);
    *out = ro;
    if (!ro) return sp_err_set(err, SP_ENOMEM, "out of memory");
    dpart *o = ro->main = sp_dpart_new();
    if (!o) return sp_err_set(err, SP_ENOMEM, "out of memory");
    if (ds->kind == DK_MWS && !(ro->mapped = sp_dpart_new()))
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    rctx c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.q = q;
    sp_dmap_init(&c.m);
    sp_dlist_init(&c.l);
    spate_tctx_t cx;
    sp_dtctx_init(&cx, o, j->time);
    int rc = 0;

    /* Previous state, co-partitioned. */
    if (s->prev) {
        const dpart *pp = &s->prev->parts[q];
        for (uint32_t r = 0; r < pp->n; r++) {
            bool added;
            const spate_val_t *rec = &pp->recs[r];
            uint32_t ix = sp_dmap_upsert(
                &c.m, spate_key(rec), spate_val_hash(spate_key(rec)), &added);
            if (ix == DNONE) {
                rc = sp_err_set(err, SP_ENOMEM, "out of memory");
                goto cleanup;
            }
            c.m.e[ix].val = *spate_value(rec);
            c.m.e[ix].flags = F_STATE;
            c.m.e[ix].t = pp->tm ? pp->tm[r] : 0;
        }
    }

    if (ds->kind == DK_MWS) {
        /* Records in order, one call each. */
        for (int i = 0; i < s->n_map && !rc; i++) {
            const bucket *b = &s->mo[i]->b[q];
            for (uint32_t r = 0; r < b->n; r++) {
                bool added;
                uint32_t ix = sp_dmap_upsert(&c.m, &b->k[r], b->h[r], &added);
                if (ix == DNONE) {
                    rc = sp_err_set(err, SP_ENOMEM, "out of memory");
                    break;
                }
                dentry *e = &c.m.e[ix];
                spate_state_t st = {e, false, false, false, {0}};
                spate_val_t mapped;
                int crc = ds->mws(&cx, &e->key, &b->v[r], &st, &mapped, ds->ud);
                if (crc < 0) {
                    rc = cb_fail(err, "mapWithState", crc, &b->k[r]);
                    break;
                }
                if (crc > 0 && sp_dpart_push(ro->mapped, &mapped))
                    cx.oom = true;
                if (st.removed) {
                    e->flags &= ~(uint32_t)F_STATE;
                } else if (st.updated) {
                    e->val = st.nv;
                    e->flags |= F_STATE;
                    e->t = j->time;
                } else if ((e->flags & F_STATE) && ds->timeout > 0) {
                    e->t = j->time;
                }
                if (cx.oom) {
                    rc = sp_err_set(err, SP_ENOMEM, "out of memory");
                    break;
                }
            }
        }
        if (rc) goto cleanup;
        /* Timeouts: idle longer than the timeout. */
        if (ds->timeout > 0) {
            int64_t thr = j->time - ds->timeout;
            for (uint32_t x = 0; x < c.m.n; x++) {
                dentry *e = &c.m.e[x];
                if (!(e->flags & F_STATE) || e->t >= thr) continue;
                spate_state_t st = {e, true, false, false, {0}};
                spate_val_t mapped;
                int crc = ds->mws(&cx, &e->key, NULL, &st, &mapped, ds->ud);
                if (crc < 0) {
                    rc = cb_fail(err, "mapWithState", crc, &e->key);
                    goto cleanup;
                }
                if (crc > 0 && sp_dpart_push(ro->mapped, &mapped))
                    cx.oom = true;
                e->flags &= ~(uint32_t)F_STATE;
            }
        }
        /* Mapped records may borrow input or state memory: copy them. */
        for (uint32_t x = 0; x < ro->mapped->n && !cx.oom; x++)
            ro->mapped->recs[x] = spate_val_copy(&cx, &ro->mapped->recs[x]);
        if (cx.oom) {
            rc = sp_err_set(err, SP_ENOMEM, "out of memory");
            goto cleanup;
        }
        /* mapped's payloads are in o's arena: share ownership by moving
         * the records into the same RDD (the main partition keeps the
         * arena alive; see compute_shuffle). */
        uint32_t n_state = 0;
        for (uint32_t x = 0; x < c.m.n; x++)
            if (c.m.e[x].flags & F_STATE) n_state++;
        if (n_state && !(o->tm = sp_malloc(sizeof *o->tm * n_state))) {
            rc = sp_err_set(err, SP_ENOMEM, "out of memory");
            goto cleanup;
        }
        for (uint32_t x = 0; x < c.m.n; x++) {
            dentry *e = &c.m.e[x];
            if (!(e->flags & F_STATE)) continue;
            o->tm[o->n] = e->t;
            if (push_pair_copy(o, &e->key, &e->val)) {
                rc = sp_err_set(err, SP_ENOMEM, "out of memory");
                goto cleanup;
            }
        }
        goto cleanup;
    }

    rc = feed_buckets(&c, &cx, killed, err);
    if (rc) goto cleanup;

    for (uint32_t x = 0; x < c.m.n && !rc; x++) {
        dentry *e = &c.m.e[x];
        switch (ds->kind) {
        case DK_REDUCE_KEY:
            if (push_pair_copy(o, &e->key, &e->val)) cx.oom = true;
            break;
        case DK_GROUP_KEY: {
            int64_t n = gather(&c, e->head);
            if (n < 0) {
                cx.oom = true;
                break;
            }
            spate_val_t tup = spate_tuple_of(c.tmp, (uint32_t)n);
            if (push_pair_copy(o, &e->key, &tup)) cx.oom = true;
            break;
        }
        case DK_JOIN: {
            spate_val_t nul = spate_null();
            if (e->head == DNONE && ds->join_kind != DJOIN_FULL) break;
            for (uint32_t a = e->head;; a = c.l.next[a]) {
                if (a == DNONE && e->head != DNONE) break;
                const spate_val_t *av = a == DNONE ? &nul : &c.l.v[a];
                if (e->head2 == DNONE && ds->join_kind != DJOIN_INNER) {
                    spate_val_t it[2] = {*av, nul};
                    spate_val_t tup = spate_tuple_of(it, 2);
                    if (push_pair_copy(o, &e->key, &tup)) cx.oom = true;
                }
                for (uint32_t b = e->head2; b != DNONE; b = c.l.next[b]) {
                    spate_val_t it[2] = {*av, c.l.v[b]};
                    spate_val_t tup = spate_tuple_of(it, 2);
                    if (push_pair_copy(o, &e->key, &tup)) cx.oom = true;
                }
                if (a == DNONE) break;
            }
            break;
        }
        case DK_STATE: {
            int64_t n = gather(&c, e->head);
            if (n < 0) {
                cx.oom = true;
                break;
            }
            spate_val_t ns;
            int crc =
                ds->update(&cx, &e->key, c.tmp, (size_t)n,
                           (e->flags & F_STATE) ? &e->val : NULL, &ns, ds->ud);
            if (crc < 0) {
                rc = cb_fail(err, "updateStateByKey", crc, &e->key);
                break;
            }
            if (crc > 0 && push_pair_copy(o, &e->key, &ns)) cx.oom = true;
            break;
        }
        default:
            rc = sp_err_set(err, SP_EINTERNAL, "bad reduce kind");
        }
        if (cx.oom && !rc) rc = sp_err_set(err, SP_ENOMEM, "out of memory");
    }

cleanup:
    rctx_free(&c);
    return rc;
}

/* Runs a shuffle for ds at t: map stage over in0 (and in1), reduce stage
 * into ds->n_parts partitions. prev: co-partitioned previous state. */
static int compute_shuffle(spate_dstream_t *ds, int64_t t, spate_rdd_t *in0,
                           spate_rdd_t *in1, spate_rdd_t *prev,
                           spate_rdd_t **out, sp_err *err)
{
    shuf s;
    memset(&s, 0, sizeof s);
    s.ds = ds;
    s.op = sp_dkind_name(ds->kind);
    s.in[0] = in0;
    s.in[1] = in1;
    s.n_out = ds->n_parts;
    s.combine = ds->kind == DK_REDUCE_KEY ? ds->reduce : NULL;
    s.prev = prev;
    int rc = shuf_map(&s, t, err);
    if (rc) return rc;
    void **outs = NULL;
    rc = run_job(ds, t, s.op, s.n_out, reduce_run, rout_free, &s, &outs, err);
    shuf_free(&s);
    if (rc) return rc;
    int n = s.n_out;
    spate_rdd_t *r = sp_drdd_new(t, ds->kind == DK_MWS ? 2 * n : n);
    if (!r) {
        for (int i = 0; i < n; i++) rout_free(outs[i]);
        sp_free(outs);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        rout *ro = outs[i];
        if (ds->kind == DK_MWS) {
            /* The mapped partition's payloads live in the main partition's
             * arena (both are parts of this RDD). */
            sp_drdd_take_part(r, n + i, ro->mapped);
            ro->mapped = NULL;
        }
        sp_drdd_take_part(r, i, ro->main);
        ro->main = NULL;
        rout_free(ro);
    }
    sp_free(outs);
    *out = r;
    return 0;
}

/* ------------------------------------------------------------------------
 * Windowed reduce with an inverse function
 * ---------------------------------------------------------------------- */

typedef struct redwin {
    spate_dstream_t *ds;
    spate_rdd_t *prev;
    spate_rdd_t **olds, **news;
    int n_old, n_new;
} redwin;

static int fold(spate_dstream_t *ds, spate_tctx_t *cx, const dlist *l,
                uint32_t head, spate_val_t *acc, sp_err *err)
{
    *acc = l->v[head];
    for (uint32_t x = l->next[head]; x != DNONE; x = l->next[x]) {
        spate_val_t res;
        int rc = ds->reduce(cx, acc, &l->v[x], &res, ds->ud);
        if (rc < 0) return cb_fail(err, "reduce", rc, &l->v[x]);
        *acc = res;
    }
    return 0;
}

static int redwin_run(djob *j, int q, _Atomic int *killed, void **out,
                      sp_err *err)
{
    redwin *w = j->ud;
    spate_dstream_t *ds = w->ds;
    dpart *o = sp_dpart_new();
    *out = o;
    if (!o) return sp_err_set(err, SP_ENOMEM, "out of memory");
    spate_tctx_t cx;
    sp_dtctx_init(&cx, o, j->time);
    dmap m;
    dlist l;
    sp_dmap_init(&m);
    sp_dlist_init(&l);
    int rc = 0;
    bool added;
    if (w->prev && q < w->prev->n_parts) {
        const dpart *pp = &w->prev->parts[q];
        for (uint32_t r = 0; r < pp->n; r++) {
            const spate_val_t *rec = &pp->recs[r];
            uint32_t ix = sp_dmap_upsert(
                &m, spate_key(rec), spate_val_hash(spate_key(rec)), &added);
            if (ix == DNONE) {
                rc = sp_err_set(err, SP_ENOMEM, "out of memory");
                goto cleanup;
            }
            m.e[ix].val = *spate_value(rec);
            m.e[ix].flags = F_STATE;
        }
    }
    for (int side = 0; side < 2; side++) {
        spate_rdd_t **rs = side ? w->news : w->olds;
        int nr = side ? w->n_new : w->n_old;
        for (int k = 0; k < nr; k++) {
            if (q >= rs[k]->n_parts) continue;
            const dpart *pp = &rs[k]->parts[q];
            for (uint32_t r = 0; r < pp->n; r++) {
                const spate_val_t *rec = &pp->recs[r];
                if (!spate_is_pair(rec)) {
                    rc = not_pair(err, "reduceByKeyAndWindow", rec);
                    goto cleanup;
                }
                uint32_t ix = sp_dmap_upsert(
                    &m, spate_key(rec), spate_val_hash(spate_key(rec)), &added);
                if (ix == DNONE) {
                    rc = sp_err_set(err, SP_ENOMEM, "out of memory");
                    goto cleanup;
                }
                dentry *e = &m.e[ix];
                int arc = side ? sp_dlist_append(&l, &e->head2, &e->tail2,
                                                 spate_value(rec))
                               : sp_dlist_append(&l, &e->head, &e->tail,
                                                 spate_value(rec));
                if (arc) {
                    rc = sp_err_set(err, SP_ENOMEM, "out of memory");
                    goto cleanup;
                }
            }
        }
        if (atomic_load(killed)) {
            rc = SP_ESTOPPED;
            goto cleanup;
        }
    }
    for (uint32_t x = 0; x < m.n; x++) {
        dentry *e = &m.e[x];
        spate_val_t v, oldv, newv, res;
        if (!(e->flags & F_STATE)) {
            /* No previous value: the new values alone (Spark throws when
             * there are none; such a key cannot arise from a consistent
             * hash, and is skipped here). */
            if (e->head2 == DNONE) continue;
            if ((rc = fold(ds, &cx, &l, e->head2, &v, err))) goto cleanup;
        } else {
            v = e->val;
            if (e->head != DNONE) {
                if ((rc = fold(ds, &cx, &l, e->head, &oldv, err))) goto cleanup;
                int crc = ds->inv(&cx, &v, &oldv, &res, ds->ud);
                if (crc < 0) {
                    rc = cb_fail(err, "inverse reduce", crc, &e->key);
                    goto cleanup;
                }
                v = res;
            }
            if (e->head2 != DNONE) {
                if ((rc = fold(ds, &cx, &l, e->head2, &newv, err)))
                    goto cleanup;
                int crc = ds->reduce(&cx, &v, &newv, &res, ds->ud);
                if (crc < 0) {
                    rc = cb_fail(err, "reduce", crc, &e->key);
                    goto cleanup;
                }
                v = res;
            }
        }
        if (ds->filter) {
            spate_val_t it[2] = {e->key, v};
            spate_val_t pair = spate_tuple_of(it, 2);
            int frc = ds->filter(&pair, ds->ud);
            if (frc < 0) {
                rc = cb_fail(err, "filter", frc, &pair);
                goto cleanup;
            }
            if (frc == 0) continue;
        }
        if (push_pair_copy(o, &e->key, &v) || cx.oom) {
            rc = sp_err_set(err, SP_ENOMEM, "out of memory");
            goto cleanup;
        }
    }
cleanup:
    sp_dmap_free(&m);
    sp_dlist_free(&l);
    return rc;
}

static int compute_redwin(spate_dstream_t *ds, int64_t t, spate_rdd_t **out,
                          sp_err *err)
{
    spate_dstream_t *p = ds->parent[0];
    int64_t W = ds->window, S = ds->slide;
    redwin w;
    memset(&w, 0, sizeof w);
    w.ds = ds;
    int rc = 0;
    w.prev = sp_dstream_get(ds, t - S, &rc, err);
    if (rc) return rc;
    if ((rc = slice(p, t - S - W, t - W, &w.olds, &w.n_old, err))) return rc;
    if ((rc = slice(p, t - S, t, &w.news, &w.n_new, err))) {
        sp_free(w.olds);
        return rc;
    }
    void **outs = NULL;
    rc = run_job(ds, t, "reduceByKeyAndWindow", ds->n_parts, redwin_run,
                 discard_part, &w, &outs, err);
    sp_free(w.olds);
    sp_free(w.news);
    if (rc) return rc;
    djob j = {.n_tasks = ds->n_parts, .outs = outs, .discard = discard_part};
    spate_rdd_t *r = rdd_from_job(t, &j);
    if (!r) {
        job_free_outs(&j);
        sp_free(outs);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    sp_free(outs);
    *out = r;
    return 0;
}

/* ------------------------------------------------------------------------
 * transform, reduce, count
 * ---------------------------------------------------------------------- */

typedef struct xform {
    spate_dstream_t *ds;
    spate_rdd_t *a, *b;
    spate_val_t *vals; /* REDUCE: one per partition, or NULL kind */
    bool *has;
} xform;

static int transform_run(djob *j, int i, _Atomic int *killed, void **out,
                         sp_err *err)
{
    xform *x = j->ud;
    dpart *o = sp_dpart_new();
    *out = o;
    if (!o) return sp_err_set(err, SP_ENOMEM, "out of memory");
    spate_tctx_t cx;
    sp_dtctx_init(&cx, o, j->time);
    int rc = x->ds->kind == DK_TRANSFORM
                 ? x->ds->transform(&cx, x->a, x->ds->ud)
                 : x->ds->transform2(&cx, x->a, x->b, x->ds->ud);
    if (rc < 0) return cb_fail(err, sp_dkind_name(x->ds->kind), rc, NULL);
    if (cx.oom) return sp_err_set(err, SP_ENOMEM, "out of memory");
    return 0;
}

/* REDUCE stage 1: one value per partition (borrowing input memory). */
static int reduce_part_run(djob *j, int i, _Atomic int *killed, void **out,
                           sp_err *err)
{
    xform *x = j->ud;
    spate_dstream_t *ds = x->ds;
    const dpart *in = &x->a->parts[i];
    dpart *o = sp_dpart_new();
    *out = o;
    if (!o) return sp_err_set(err, SP_ENOMEM, "out of memory");
    if (in->n == 0) return 0;
    spate_tctx_t cx;
    sp_dtctx_init(&cx, o, j->time);
    spate_val_t acc = in->recs[0];
    for (uint32_t r = 1; r < in->n; r++) {
        spate_val_t res;
        int rc = ds->reduce(&cx, &acc, &in->recs[r], &res, ds->ud);
        if (rc < 0) return cb_fail(err, "reduce", rc, &in->recs[r]);
        acc = res;
    }
    if (sp_dpart_push(o, &acc) || cx.oom)
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    return 0;
}

/* REDUCE stage 2: the partition values in order, deep-copied. */
static int reduce_final_run(djob *j, int i, _Atomic int *killed, void **out,
                            sp_err *err)
{
    xform *x = j->ud;
    spate_dstream_t *ds = x->ds;
    dpart *o = sp_dpart_new();
    *out = o;
    if (!o) return sp_err_set(err, SP_ENOMEM, "out of memory");
    spate_tctx_t cx;
    sp_dtctx_init(&cx, o, j->time);
    bool have = false;
    spate_val_t acc = spate_null();
    for (int p = 0; p < x->b->n_parts; p++) {
        const dpart *pp = &x->b->parts[p];
        if (!pp->n) continue;
        if (!have) {
            acc = pp->recs[0];
            have = true;
            continue;
        }
        spate_val_t res;
        int rc = ds->reduce(&cx, &acc, &pp->recs[0], &res, ds->ud);
        if (rc < 0) return cb_fail(err, "reduce", rc, &pp->recs[0]);
        acc = res;
    }
    if (have) {
        acc = spate_val_copy(&cx, &acc);
        if (sp_dpart_push(o, &acc)) cx.oom = true;
    }
    if (cx.oom) return sp_err_set(err, SP_ENOMEM, "out of memory");
    return 0;
}

static int job_to_rdd(int64_t t, int n, void **outs, spate_rdd_t **out,
                      sp_err *err)
{
    djob j = {.n_tasks = n, .outs = outs, .discard = discard_part};
    spate_rdd_t *r = rdd_from_job(t, &j);
    if (!r) {
        job_free_outs(&j);
        sp_free(outs);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    sp_free(outs);
    *out = r;
    return 0;
}

static int compute_reduce(spate_dstream_t *ds, spate_rdd_t *in, int64_t t,
                          spate_rdd_t **out, sp_err *err)
{
    xform x = {ds, in, NULL, NULL, NULL};
    void **outs;
    int rc = run_job(ds, t, "reduce/partial", in->n_parts, reduce_part_run,
                     discard_part, &x, &outs, err);
    if (rc) return rc;
    spate_rdd_t *partial;
    if ((rc = job_to_rdd(t, in->n_parts, outs, &partial, err))) return rc;
    x.b = partial;
    rc = run_job(ds, t, "reduce", 1, reduce_final_run, discard_part, &x, &outs,
                 err);
    if (!rc) rc = job_to_rdd(t, 1, outs, out, err);
    sp_drdd_unref(partial);
    return rc;
}

/* ------------------------------------------------------------------------
 * Dispatch
 * ---------------------------------------------------------------------- */

int sp_dstream_compute(spate_dstream_t *ds, int64_t t, spate_rdd_t **out,
                       sp_err *err)
{
    *out = NULL;
    int rc = 0;
    spate_rdd_t *a = NULL, *b = NULL;
    if (ds->n_parents > 0 && ds->kind != DK_WINDOW && ds->kind != DK_REDWIN) {
        a = sp_dstream_get(ds->parent[0], t, &rc, err);
        if (rc) return rc;
        if (ds->n_parents > 1) {
            b = sp_dstream_get(ds->parent[1], t, &rc, err);
            if (rc) return rc;
        }
        if (!a && ds->kind != DK_STATE && ds->kind != DK_MWS) return 0;
    }
    switch (ds->kind) {
    case DK_QUEUE:
    case DK_SOCKET:
    case DK_FILE:
        return 0; /* generated by the batch loop */
    case DK_MAP:
    case DK_FLAT_MAP:
    case DK_FILTER:
        return compute_narrow(ds, a, t, out, err);
    case DK_UNION: {
        spate_rdd_t *ins[2] = {a, b};
        return make_view(t, ins, b ? 2 : 1, out, err);
    }
    case DK_REPART: {
        narrow nw = {ds, a};
        void **outs;
        rc = run_job(ds, t, "repartition", ds->n_parts, repart_run,
                     discard_part, &nw, &outs, err);
        if (rc) return rc;
        rc = job_to_rdd(t, ds->n_parts, outs, out, err);
        if (!rc && sp_drdd_add_dep(*out, a)) {
            sp_drdd_unref(*out);
            *out = NULL;
            return sp_err_set(err, SP_ENOMEM, "out of memory");
        }
        return rc;
    }
    case DK_REDUCE_KEY:
    case DK_GROUP_KEY:
        return compute_shuffle(ds, t, a, NULL, NULL, out, err);
    case DK_JOIN:
        return compute_shuffle(ds, t, a, b, NULL, out, err);
    case DK_STATE:
    case DK_MWS: {
        spate_rdd_t *prev = sp_dstream_get(ds, t - ds->slide, &rc, err);
        if (rc) return rc;
        return compute_shuffle(ds, t, a, NULL, prev, out, err);
    }
    case DK_MWS_MAPPED:
    case DK_MWS_SNAP: {
        int n = a->n_parts / 2;
        spate_rdd_t *r = sp_drdd_new(t, n);
        if (!r || sp_drdd_add_dep(r, a)) {
            sp_drdd_unref(r);
            return sp_err_set(err, SP_ENOMEM, "out of memory");
        }
        for (int i = 0; i < n; i++) {
            const dpart *src = &a->parts[ds->kind == DK_MWS_MAPPED ? n + i : i];
            r->parts[i].recs = src->recs;
            r->parts[i].n = r->parts[i].cap = src->n;
            r->parts[i].view = true;
        }
        *out = r;
        return 0;
    }
    case DK_TRANSFORM:
    case DK_TRANSFORM2: {
        xform x = {ds, a, b, NULL, NULL};
        spate_rdd_t *eb = NULL;
        if (ds->kind == DK_TRANSFORM2 && !b) x.b = eb = sp_drdd_empty(t, 0);
        void **outs;
        rc = run_job(ds, t, sp_dkind_name(ds->kind), 1, transform_run,
                     discard_part, &x, &outs, err);
        if (!rc) rc = job_to_rdd(t, 1, outs, out, err);
        if (!rc &&
            (sp_drdd_add_dep(*out, a) || (b && sp_drdd_add_dep(*out, b))))
            rc = sp_err_set(err, SP_ENOMEM, "out of memory");
        sp_drdd_unref(eb);
        return rc;
    }
    case DK_WINDOW: {
        spate_rdd_t **rs;
        int n;
        rc = slice(ds->parent[0], t - ds->window, t, &rs, &n, err);
        if (rc) return rc;
        if (n == 0) {
            sp_free(rs);
            *out = sp_drdd_empty(t, 0);
            return *out ? 0 : sp_err_set(err, SP_ENOMEM, "out of memory");
        }
        rc = make_view(t, rs, n, out, err);
        sp_free(rs);
        return rc;
    }
    case DK_REDWIN:
        return compute_redwin(ds, t, out, err);
    case DK_COUNT: {
        spate_rdd_t *r = sp_drdd_new(t, 1);
        spate_val_t v = spate_int((int64_t)spate_rdd_count(a));
        if (!r || sp_dpart_push(&r->parts[0], &v)) {
            sp_drdd_unref(r);
            return sp_err_set(err, SP_ENOMEM, "out of memory");
        }
        *out = r;
        return 0;
    }
    case DK_REDUCE:
        return compute_reduce(ds, a, t, out, err);
    }
    return sp_err_set(err, SP_EINTERNAL, "unknown stream kind");
}
