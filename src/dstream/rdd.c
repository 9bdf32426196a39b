/*
 * rdd.c -- values (hash, equality, order, formatting, deep copy), task
 * contexts, partitions and RDDs, and the keyed hash map.
 *
 * Values are 16 bytes with borrowed payloads; a deep copy puts every
 * payload of a value (strings, bytes, nested tuples) into one arena. A
 * partition's record array grows by doubling on the heap (never per
 * record); its payloads go to its arena, created on first use.
 */
#include "dstream/dstreamInt.h"

#include <string.h>

/* ------------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------- */

SPATE_EXTERN uint64_t spate_val_hash(const spate_val_t *v)
{
    uint64_t k = (uint64_t)v->kind * 0x9e3779b97f4a7c15ULL;
    switch (v->kind) {
    case SPATE_V_NULL:
        return sp_hash_u64(k + 1);
    case SPATE_V_BOOL:
        return sp_hash_u64(k ^ (uint64_t)v->u.b);
    case SPATE_V_INT:
    case SPATE_V_DOUBLE:
        return sp_hash_u64(k ^ (uint64_t)v->u.i);
    case SPATE_V_STR:
    case SPATE_V_BYTES:
        return sp_hash_bytes(v->u.s, v->len, k);
    case SPATE_V_TUPLE: {
        uint64_t h = k ^ v->len;
        for (uint32_t i = 0; i < v->len; i++)
            h = sp_hash_u64(h * 31 + spate_val_hash(&v->u.items[i]));
        return h;
    }
    }
    return k;
}

SPATE_EXTERN int spate_val_eq(const spate_val_t *a, const spate_val_t *b)
{
    if (a->kind != b->kind) return 0;
    switch (a->kind) {
    case SPATE_V_NULL:
        return 1;
    case SPATE_V_BOOL:
        return a->u.b == b->u.b;
    case SPATE_V_INT:
    case SPATE_V_DOUBLE:
        return a->u.i == b->u.i;
    case SPATE_V_STR:
    case SPATE_V_BYTES:
        return a->len == b->len &&
               (a->len == 0 || memcmp(a->u.s, b->u.s, a->len) == 0);
    case SPATE_V_TUPLE:
        if (a->len != b->len) return 0;
        for (uint32_t i = 0; i < a->len; i++)
            if (!spate_val_eq(&a->u.items[i], &b->u.items[i])) return 0;
        return 1;
    }
    return 0;
}

SPATE_EXTERN int spate_val_cmp(const spate_val_t *a, const spate_val_t *b)
{
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    switch (a->kind) {
    case SPATE_V_NULL:
        return 0;
    case SPATE_V_BOOL:
        return (a->u.b > b->u.b) - (a->u.b < b->u.b);
    case SPATE_V_INT:
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    case SPATE_V_DOUBLE:
        return (a->u.d > b->u.d) - (a->u.d < b->u.d);
    case SPATE_V_STR:
    case SPATE_V_BYTES: {
        uint32_t n = SP_MIN(a->len, b->len);
        int c = n ? memcmp(a->u.s, b->u.s, n) : 0;
        if (c) return c < 0 ? -1 : 1;
        return (a->len > b->len) - (a->len < b->len);
    }
    case SPATE_V_TUPLE: {
        uint32_t n = SP_MIN(a->len, b->len);
        for (uint32_t i = 0; i < n; i++) {
            int c = spate_val_cmp(&a->u.items[i], &b->u.items[i]);
            if (c) return c;
        }
        return (a->len > b->len) - (a->len < b->len);
    }
    }
    return 0;
}

typedef struct fmt_out {
    char *buf;
    size_t cap, len;
} fmt_out;

static void fo_put(fmt_out *o, const char *s, size_t n)
{
    if (o->len < o->cap) {
        size_t room = o->cap - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void fmt_val(fmt_out *o, const spate_val_t *v)
{
    char tmp[40];
    int n;
    switch (v->kind) {
    case SPATE_V_NULL:
        fo_put(o, "null", 4);
        break;
    case SPATE_V_BOOL:
        if (v->u.b)
            fo_put(o, "true", 4);
        else
            fo_put(o, "false", 5);
        break;
    case SPATE_V_INT:
        n = snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i);
        fo_put(o, tmp, (size_t)n);
        break;
    case SPATE_V_DOUBLE:
        n = sp_fmt_double(v->u.d, tmp);
        fo_put(o, tmp, (size_t)n);
        break;
    case SPATE_V_STR:
        fo_put(o, v->u.s, v->len);
        break;
    case SPATE_V_BYTES:
        fo_put(o, "0x", 2);
        for (uint32_t i = 0; i < v->len; i++) {
            n = snprintf(tmp, sizeof tmp, "%02x", v->u.bytes[i]);
            fo_put(o, tmp, (size_t)n);
        }
        break;
    case SPATE_V_TUPLE:
        fo_put(o, "(", 1);
        for (uint32_t i = 0; i < v->len; i++) {
            if (i) fo_put(o, ",", 1);
            fmt_val(o, &v->u.items[i]);
        }
        fo_put(o, ")", 1);
        break;
    }
}

SPATE_EXTERN size_t spate_val_format(const spate_val_t *v, char *buf,
                                     size_t cap)
{
    fmt_out o = {buf, cap ? cap - 1 : 0, 0};
    fmt_val(&o, v);
    if (cap) buf[o.len < cap - 1 ? o.len : cap - 1] = 0;
    return o.len;
}

static bool needs_copy(const spate_val_t *v)
{
    return (v->kind == SPATE_V_STR || v->kind == SPATE_V_BYTES ||
            v->kind == SPATE_V_TUPLE) &&
           v->len > 0;
}

spate_val_t sp_dval_copy(sp_arena *a, const spate_val_t *v, bool *oom)
{
    spate_val_t r = *v;
    if (!needs_copy(v)) return r;
    if (v->kind == SPATE_V_TUPLE) {
        spate_val_t *items = sp_arena_alloc(a, sizeof *items * v->len);
        if (!items) {
            *oom = true;
            return spate_null();
        }
        for (uint32_t i = 0; i < v->len; i++)
            items[i] = sp_dval_copy(a, &v->u.items[i], oom);
        r.u.items = items;
        return r;
    }
    char *p = sp_arena_alloc(a, v->len);
    if (!p) {
        *oom = true;
        return spate_null();
    }
    memcpy(p, v->u.s, v->len);
    r.u.s = p;
    return r;
}

SPATE_EXTERN int spate_reduce_sum(spate_tctx_t *cx, const spate_val_t *a,
                                  const spate_val_t *b, spate_val_t *out,
                                  void *ud)
{
    if (a->kind == SPATE_V_INT && b->kind == SPATE_V_INT) {
        *out = spate_int(a->u.i + b->u.i);
        return 0;
    }
    double x = a->kind == SPATE_V_INT ? (double)a->u.i : a->u.d;
    double y = b->kind == SPATE_V_INT ? (double)b->u.i : b->u.d;
    if ((a->kind != SPATE_V_INT && a->kind != SPATE_V_DOUBLE) ||
        (b->kind != SPATE_V_INT && b->kind != SPATE_V_DOUBLE))
        return SPATE_EDATA;
    *out = spate_double(x + y);
    return 0;
}

SPATE_EXTERN int spate_reduce_sub(spate_tctx_t *cx, const spate_val_t *a,
                                  const spate_val_t *b, spate_val_t *out,
                                  void *ud)
{
    if (a->kind == SPATE_V_INT && b->kind == SPATE_V_INT) {
        *out = spate_int(a->u.i - b->u.i);
        return 0;
    }
    if ((a->kind != SPATE_V_INT && a->kind != SPATE_V_DOUBLE) ||
        (b->kind != SPATE_V_INT && b->kind != SPATE_V_DOUBLE))
        return SPATE_EDATA;
    double x = a->kind == SPATE_V_INT ? (double)a->u.i : a->u.d;
    double y = b->kind == SPATE_V_INT ? (double)b->u.i : b->u.d;
    *out = spate_double(x - y);
    return 0;
}

/* ------------------------------------------------------------------------
 * Task contexts
 * ---------------------------------------------------------------------- */

void sp_dtctx_init(spate_tctx_t *cx, dpart *out, int64_t time)
{
    cx->out = out;
    cx->arena = NULL; /* the output's arena, created on first use */
    cx->time = time;
    cx->oom = false;
}

static sp_arena *tctx_arena(spate_tctx_t *cx)
{
    if (!cx->arena && cx->out && !cx->oom) {
        cx->arena = sp_dpart_arena(cx->out);
        if (!cx->arena) cx->oom = true;
    }
    return cx->oom ? NULL : cx->arena;
}

SPATE_EXTERN void *spate_tctx_alloc(spate_tctx_t *cx, size_t n)
{
    if (!tctx_arena(cx)) return NULL;
    void *p = sp_arena_alloc(cx->arena, n);
    if (!p) cx->oom = true;
    return p;
}

SPATE_EXTERN spate_val_t spate_tuple(spate_tctx_t *cx, const spate_val_t *items,
                                     uint32_t n)
{
    spate_val_t *it = spate_tctx_alloc(cx, sizeof *it * (n ? n : 1));
    if (!it) return spate_null();
    memcpy(it, items, sizeof *it * n);
    return spate_tuple_of(it, n);
}

SPATE_EXTERN spate_val_t spate_pair(spate_tctx_t *cx, spate_val_t k,
                                    spate_val_t v)
{
    spate_val_t *it = spate_tctx_alloc(cx, sizeof *it * 2);
    if (!it) return spate_null();
    it[0] = k;
    it[1] = v;
    return spate_tuple_of(it, 2);
}

SPATE_EXTERN spate_val_t spate_str_copy(spate_tctx_t *cx, const char *s,
                                        size_t n)
{
    char *p = spate_tctx_alloc(cx, n ? n : 1);
    if (!p) return spate_null();
    memcpy(p, s, n);
    return spate_str(p, n);
}

SPATE_EXTERN spate_val_t spate_val_copy(spate_tctx_t *cx, const spate_val_t *v)
{
    if (!tctx_arena(cx)) return spate_null();
    return sp_dval_copy(cx->arena, v, &cx->oom);
}

SPATE_EXTERN int spate_emit(spate_tctx_t *cx, spate_val_t v)
{
    if (cx->oom || !cx->out) return SPATE_ENOMEM;
    if (sp_dpart_push(cx->out, &v)) {
        cx->oom = true;
        return SPATE_ENOMEM;
    }
    return 0;
}

SPATE_EXTERN int64_t spate_tctx_time(const spate_tctx_t *cx)
{
    return cx->time;
}

/* ------------------------------------------------------------------------
 * Partitions
 * ---------------------------------------------------------------------- */

dpart *sp_dpart_new(void)
{
    return sp_calloc(1, sizeof(dpart));
}

void sp_dpart_clear(dpart *p)
{
    if (!p->view) {
        sp_free(p->recs);
        sp_free(p->tm);
    }
    sp_arena_destroy(p->arena);
    memset(p, 0, sizeof *p);
}

void sp_dpart_free(dpart *p)
{
    if (!p) return;
    sp_dpart_clear(p);
    sp_free(p);
}

sp_arena *sp_dpart_arena(dpart *p)
{
    if (!p->arena) p->arena = sp_arena_create(32 * 1024);
    return p->arena;
}

int sp_dpart_push(dpart *p, const spate_val_t *v)
{
    if (p->n == p->cap) {
        uint32_t nc = p->cap ? p->cap * 2 : 64;
        spate_val_t *r = sp_realloc(p->recs, sizeof *r * nc);
        if (!r) return SP_ENOMEM;
        p->recs = r;
        p->cap = nc;
    }
    p->recs[p->n++] = *v;
    return 0;
}

/* ------------------------------------------------------------------------
 * RDDs
 * ---------------------------------------------------------------------- */

spate_rdd_t *sp_drdd_new(int64_t time, int n_parts)
{
    spate_rdd_t *r = sp_calloc(1, sizeof *r);
    if (!r) return NULL;
    r->parts = sp_calloc((size_t)(n_parts > 0 ? n_parts : 1), sizeof(dpart));
    if (!r->parts) {
        sp_free(r);
        return NULL;
    }
    r->refs = 1;
    r->time = time;
    r->n_parts = n_parts;
    return r;
}

spate_rdd_t *sp_drdd_empty(int64_t time, int n_parts)
{
    return sp_drdd_new(time, n_parts);
}

void sp_drdd_ref(spate_rdd_t *r)
{
    r->refs++;
}

void sp_drdd_unref(spate_rdd_t *r)
{
    if (!r || --r->refs > 0) return;
    for (int i = 0; i < r->n_parts; i++) sp_dpart_clear(&r->parts[i]);
    for (int i = 0; i < r->n_deps; i++) sp_drdd_unref(r->deps[i]);
    sp_free(r->deps);
    sp_free(r->parts);
    sp_free(r);
}

int sp_drdd_add_dep(spate_rdd_t *r, spate_rdd_t *dep)
{
    spate_rdd_t **d = sp_realloc(r->deps, sizeof *d * (size_t)(r->n_deps + 1));
    if (!d) return SP_ENOMEM;
    r->deps = d;
    d[r->n_deps++] = dep;
    sp_drdd_ref(dep);
    return 0;
}

void sp_drdd_take_part(spate_rdd_t *r, int i, dpart *p)
{
    sp_dpart_clear(&r->parts[i]);
    if (p) {
        r->parts[i] = *p;
        sp_free(p);
    }
}

SPATE_EXTERN int64_t spate_rdd_time(const spate_rdd_t *r)
{
    return r->time;
}

SPATE_EXTERN size_t spate_rdd_count(const spate_rdd_t *r)
{
    size_t n = 0;
    for (int i = 0; i < r->n_parts; i++) n += r->parts[i].n;
    return n;
}

SPATE_EXTERN int spate_rdd_num_partitions(const spate_rdd_t *r)
{
    return r->n_parts;
}

SPATE_EXTERN const spate_val_t *spate_rdd_partition(const spate_rdd_t *r, int i,
                                                    size_t *n)
{
    if (i < 0 || i >= r->n_parts) {
        *n = 0;
        return NULL;
    }
    *n = r->parts[i].n;
    return r->parts[i].recs;
}

SPATE_EXTERN const spate_val_t *spate_rdd_get(const spate_rdd_t *r, size_t k)
{
    for (int i = 0; i < r->n_parts; i++) {
        if (k < r->parts[i].n) return &r->parts[i].recs[k];
        k -= r->parts[i].n;
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * Keyed hash map
 * ---------------------------------------------------------------------- */

void sp_dmap_init(dmap *m)
{
    memset(m, 0, sizeof *m);
}

void sp_dmap_free(dmap *m)
{
    sp_free(m->slots);
    sp_free(m->e);
    memset(m, 0, sizeof *m);
}

static int dmap_grow(dmap *m)
{
    uint32_t ncap = m->cap ? m->cap * 2 : 64;
    dentry *e = sp_realloc(m->e, sizeof *e * ncap);
    if (!e) return SP_ENOMEM;
    m->e = e;
    m->cap = ncap;
    uint32_t nslots = ncap * 2; /* load factor <= 0.5 */
    uint32_t *slots = sp_calloc(nslots, sizeof *slots);
    if (!slots) return SP_ENOMEM;
    sp_free(m->slots);
    m->slots = slots;
    m->mask = nslots - 1;
    for (uint32_t i = 0; i < m->n; i++) {
        uint32_t s = (uint32_t)m->e[i].hash & m->mask;
        while (slots[s]) s = (s + 1) & m->mask;
        slots[s] = i + 1;
    }
    return 0;
}

uint32_t sp_dmap_upsert(dmap *m, const spate_val_t *key, uint64_t hash,
                        bool *added)
{
    if (m->n == m->cap && dmap_grow(m)) return DNONE;
    uint32_t s = (uint32_t)hash & m->mask;
    for (;;) {
        uint32_t ix = m->slots[s];
        if (!ix) break;
        dentry *e = &m->e[ix - 1];
        if (e->hash == hash && spate_val_eq(&e->key, key)) {
            *added = false;
            return ix - 1;
        }
        s = (s + 1) & m->mask;
    }
    uint32_t ix = m->n++;
    dentry *e = &m->e[ix];
    memset(e, 0, sizeof *e);
    e->key = *key;
    e->hash = hash;
    e->head = e->tail = e->head2 = e->tail2 = DNONE;
    m->slots[s] = ix + 1;
    *added = true;
    return ix;
}

void sp_dlist_init(dlist *l)
{
    memset(l, 0, sizeof *l);
}

void sp_dlist_free(dlist *l)
{
    sp_free(l->v);
    sp_free(l->next);
    memset(l, 0, sizeof *l);
}

int sp_dlist_append(dlist *l, uint32_t *head, uint32_t *tail,
                    const spate_val_t *v)
{
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? l->cap * 2 : 64;
        spate_val_t *nv = sp_realloc(l->v, sizeof *nv * nc);
        if (!nv) return SP_ENOMEM;
        l->v = nv;
        uint32_t *nn = sp_realloc(l->next, sizeof *nn * nc);
        if (!nn) return SP_ENOMEM;
        l->next = nn;
        l->cap = nc;
    }
    uint32_t ix = l->n++;
    l->v[ix] = *v;
    l->next[ix] = DNONE;
    if (*tail == DNONE)
        *head = ix;
    else
        l->next[*tail] = ix;
    *tail = ix;
    return 0;
}
