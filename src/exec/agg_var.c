/*
 * agg_var.c -- variable-size aggregate states: min/max/first/last of
 * VARCHAR, count(DISTINCT x), and the percentiles (percentile, median,
 * percentile_approx).
 *
 * A variable state has an 8-byte slot among the group's fixed states. In a
 * working value (a partial table's entry, or a stored group being merged
 * during a batch) the slot points to an in-memory object, NULL while the
 * state is empty; updates change the object (amortized growth, no copy of
 * the rest of the value). In a stored value the slot is (u32 offset, u32
 * length) of the state's bytes in the tail that follows the fixed states,
 * 8-byte aligned:
 *
 *   string (min/max/first/last)  u8 tag (1 NULL, 2 value), the bytes
 *   count(DISTINCT x)            u64 n, n codec-encoded values
 *   percentile lists             n values of 8 bytes, sorted
 *
 * length 0 = empty. A group is loaded into objects once per batch that
 * touches it and stored once (sp_state_put) after the batch's merges, so
 * a batch costs O(state size) per touched group, never per row.
 *
 * Semantics (Spark's): NULLs are ignored except by first/last, which keep
 * them; strings compare bytewise (UTF-8 order); count(DISTINCT x) is exact
 * (doubles normalized by the codec: -0.0 is 0.0, NaNs are one value);
 * percentile(x, p) is exact over the non-NULL values as doubles: position
 * (n - 1) * p, linear interpolation between the values at floor and ceil
 * of it (Spark's formula); percentile_approx(x, p[, accuracy]) is computed
 * exactly as what Spark's summary approximates: the value at rank
 * ceil(p * n) (1-based), the smallest for p <= 1/accuracy and the largest
 * for p >= 1 - 1/accuracy, of the input's type (no interpolation).
 */
#include "exec/agg.h"

#include "exec/codec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- objects -------------------------------------------------------------
 */

typedef struct vstr {
    uint8_t tag; /* 0 unset, 1 NULL, 2 value */
    uint32_t len, cap;
    char *p;
} vstr;

typedef struct vslot {
    uint32_t h, len; /* low hash bits; encoded length */
    uint64_t off;    /* offset + 1 in data; 0 = empty slot */
} vslot;

typedef struct vset {
    uint64_t n, cap;
    vslot *slots;
    sp_buf data; /* the encoded values, concatenated */
} vset;

typedef struct vlist {
    uint64_t n, cap;
    int64_t *v; /* raw 8 bytes: doubles as bits */
} vlist;

static bool is_string_kind(const sp_agg *a)
{
    return a->kind == SP_AGG_MIN || a->kind == SP_AGG_MAX ||
           a->kind == SP_AGG_FIRST || a->kind == SP_AGG_LAST;
}

static void obj_free(const sp_agg *a, void *o)
{
    if (!o) return;
    if (is_string_kind(a)) {
        sp_free(((vstr *)o)->p);
    } else if (a->kind == SP_AGG_COUNT_DISTINCT) {
        sp_free(((vset *)o)->slots);
        sp_buf_free(&((vset *)o)->data);
    } else {
        sp_free(((vlist *)o)->v);
    }
    sp_free(o);
}

static void *obj_new(const sp_agg *a)
{
    if (is_string_kind(a)) return sp_calloc(1, sizeof(vstr));
    if (a->kind == SP_AGG_COUNT_DISTINCT) {
        vset *s = sp_calloc(1, sizeof *s);
        if (!s) return NULL;
        sp_buf_init(&s->data);
        s->cap = 16;
        s->slots = sp_calloc(s->cap, sizeof *s->slots);
        if (!s->slots) {
            sp_free(s);
            return NULL;
        }
        return s;
    }
    return sp_calloc(1, sizeof(vlist));
}

static void **slot_of(const sp_agg *a, uint8_t *value)
{
    return (void **)(value + a->offset);
}

/* strings */

static int str_set(vstr *s, uint8_t tag, const char *p, uint32_t n)
{
    if (n > s->cap) {
        uint32_t cap = s->cap ? s->cap : 16;
        while (cap < n) cap = cap > UINT32_MAX / 2 ? UINT32_MAX : cap * 2;
        char *q = sp_realloc(s->p, cap);
        if (!q) return SP_ENOMEM;
        s->p = q;
        s->cap = cap;
    }
    if (n) memcpy(s->p, p, n);
    s->len = n;
    s->tag = tag;
    return 0;
}

/* Whether a value (tag, p, n) should replace the state s. */
static bool str_better(const sp_agg *a, const vstr *s, uint8_t tag,
                       const char *p, uint32_t n)
{
    switch (a->kind) {
    case SP_AGG_MIN:
    case SP_AGG_MAX: {
        if (tag != 2) return false;
        if (s->tag != 2) return true;
        int c = sp_str_cmp(sp_str_make(p, n), sp_str_make(s->p, s->len));
        return a->kind == SP_AGG_MIN ? c < 0 : c > 0;
    }
    case SP_AGG_FIRST:
        return s->tag == 0 && tag != 0;
    default: /* LAST */
        return tag != 0;
    }
}

/* distinct sets */

static int set_grow(vset *s)
{
    uint64_t cap = s->cap * 2;
    vslot *ns = sp_calloc(cap, sizeof *ns);
    if (!ns) return SP_ENOMEM;
    for (uint64_t i = 0; i < s->cap; i++) {
        if (!s->slots[i].off) continue;
        uint64_t j = s->slots[i].h & (cap - 1);
        while (ns[j].off) j = (j + 1) & (cap - 1);
        ns[j] = s->slots[i];
    }
    sp_free(s->slots);
    s->slots = ns;
    s->cap = cap;
    return 0;
}

/* Adds an encoded value (if new). 0 or SP_ENOMEM. */
static int set_add(vset *s, const void *k, uint32_t len)
{
    uint32_t h = (uint32_t)sp_hash_bytes(k, len, 0xd15);
    uint64_t mask = s->cap - 1, j = h & mask;
    for (; s->slots[j].off; j = (j + 1) & mask) {
        const vslot *e = &s->slots[j];
        if (e->h == h && e->len == len &&
            memcmp(s->data.data + e->off - 1, k, len) == 0)
            return 0;
    }
    uint64_t off = s->data.len + 1;
    if (sp_buf_append(&s->data, k, len)) return SP_ENOMEM;
    s->slots[j] = (vslot){h, len, off};
    s->n++;
    if (s->n * 4 >= s->cap * 3) return set_grow(s);
    return 0;
}

/* Adds every encoded value of `data` (n values of type t). */
static int set_add_all(vset *s, const unsigned char *p, uint64_t n, sp_type t)
{
    for (uint64_t i = 0; i < n; i++) {
        const unsigned char *q = sp_codec_skip(p, t);
        if (set_add(s, p, (uint32_t)(q - p))) return SP_ENOMEM;
        p = q;
    }
    return 0;
}

/* lists */

static int list_push(vlist *l, int64_t v)
{
    if (l->n == l->cap) {
        uint64_t cap = l->cap ? l->cap * 2 : 16;
        int64_t *nv = sp_realloc(l->v, cap * sizeof *nv);
        if (!nv) return SP_ENOMEM;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = v;
    return 0;
}

static int list_append(vlist *l, const int64_t *v, uint64_t n)
{
    if (l->n + n > l->cap) {
        uint64_t cap = l->cap ? l->cap : 16;
        while (cap < l->n + n) cap *= 2;
        int64_t *nv = sp_realloc(l->v, cap * sizeof *nv);
        if (!nv) return SP_ENOMEM;
        l->v = nv;
        l->cap = cap;
    }
    if (n) memcpy(l->v + l->n, v, n * sizeof *v);
    l->n += n;
    return 0;
}

static double bits_f64(int64_t b)
{
    double d;
    memcpy(&d, &b, 8);
    return d;
}

/* Spark's double order: NaN above everything. */
static int cmp_f64(const void *x, const void *y)
{
    double a = bits_f64(*(const int64_t *)x), b = bits_f64(*(const int64_t *)y);
    if (isnan(a)) return isnan(b) ? 0 : 1;
    if (isnan(b)) return -1;
    return a < b ? -1 : a > b;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

/* Lists hold doubles for percentile (values converted on update) and the
 * input's own values for percentile_approx. */
static bool list_is_f64(const sp_agg *a)
{
    return a->kind == SP_AGG_PERCENTILE || a->ret_type == SP_T_DOUBLE;
}

/* ---- updates ------------------------------------------------------------- */

static inline bool is_null(const sp_vec *v, uint32_t r)
{
    return !v || v->type == SP_T_NULL || (v->nulls && v->nulls[r]);
}

int sp_agg_var_update(const sp_agg *a, uint8_t **states, const sp_vec *arg,
                      const uint32_t *rows, uint32_t n, sp_buf *scratch)
{
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = rows[k];
        bool null = is_null(arg, r);
        void **slot = slot_of(a, states[k]);
        if (null && a->kind != SP_AGG_FIRST && a->kind != SP_AGG_LAST) continue;
        if (!*slot && !(*slot = obj_new(a))) return SP_ENOMEM;
        switch (a->kind) {
        case SP_AGG_MIN:
        case SP_AGG_MAX:
        case SP_AGG_FIRST:
        case SP_AGG_LAST: {
            vstr *s = *slot;
            uint8_t tag = null ? 1 : 2;
            const char *p = null ? NULL : arg->d.str[r].ptr;
            uint32_t len = null ? 0 : arg->d.str[r].len;
            if (str_better(a, s, tag, p, len) && str_set(s, tag, p, len))
                return SP_ENOMEM;
            break;
        }
        case SP_AGG_COUNT_DISTINCT:
            scratch->len = 0;
            if (sp_codec_put(scratch, arg, r, a->arg_type) ||
                set_add(*slot, scratch->data, (uint32_t)scratch->len))
                return SP_ENOMEM;
            break;
        default: {
            int64_t v;
            if (a->kind == SP_AGG_PERCENTILE && arg->type == SP_T_BIGINT) {
                double d = (double)arg->d.i64[r];
                memcpy(&v, &d, 8);
            } else {
                v = arg->d.i64[r]; /* doubles: their bits */
            }
            if (list_push(*slot, v)) return SP_ENOMEM;
            break;
        }
        }
    }
    return 0;
}

/* ---- working values -------------------------------------------------------
 */

/* Merges object src into *dst (creating it). */
static int obj_merge(const sp_agg *a, void **dst, void *src)
{
    if (!src) return 0;
    if (!*dst && !(*dst = obj_new(a))) return SP_ENOMEM;
    if (is_string_kind(a)) {
        vstr *d = *dst, *s = src;
        if (s->tag && str_better(a, d, s->tag, s->p, s->len))
            return str_set(d, s->tag, s->p, s->len);
        return 0;
    }
    if (a->kind == SP_AGG_COUNT_DISTINCT) {
        vset *s = src;
        return set_add_all(*dst, (const unsigned char *)s->data.data, s->n,
                           a->arg_type);
    }
    vlist *s = src;
    return list_append(*dst, s->v, s->n);
}

int sp_aggv_merge(const sp_agg *aggs, int n_aggs, uint8_t *dst, uint8_t *src,
                  bool steal)
{
    for (int i = 0; i < n_aggs; i++) {
        const sp_agg *a = &aggs[i];
        if (!a->var) {
            sp_agg_merge(a, dst, src);
            continue;
        }
        void **d = slot_of(a, dst), **s = slot_of(a, src);
        if (steal && !*d) {
            *d = *s;
            *s = NULL;
            continue;
        }
        if (obj_merge(a, d, *s)) return SP_ENOMEM;
    }
    return 0;
}

void sp_aggv_free(const sp_agg *aggs, int n_aggs, uint8_t *work)
{
    for (int i = 0; i < n_aggs; i++)
        if (aggs[i].var) {
            void **s = slot_of(&aggs[i], work);
            obj_free(&aggs[i], *s);
            *s = NULL;
        }
}

static void stored_span(const sp_agg *a, const uint8_t *value, uint32_t *off,
                        uint32_t *len)
{
    memcpy(off, value + a->offset, 4);
    memcpy(len, value + a->offset + 4, 4);
}

int sp_aggv_load(const sp_agg *aggs, int n_aggs, uint32_t value_size,
                 const uint8_t *stored, size_t stored_len, uint8_t *work)
{
    memcpy(work, stored, value_size);
    for (int i = 0; i < n_aggs; i++) {
        const sp_agg *a = &aggs[i];
        if (!a->var) continue;
        *slot_of(a, work) = NULL;
    }
    for (int i = 0; i < n_aggs; i++) {
        const sp_agg *a = &aggs[i];
        if (!a->var) continue;
        uint32_t off, len;
        stored_span(a, stored, &off, &len);
        if (len == 0) continue;
        SP_ASSERT((size_t)off + len <= stored_len);
        const uint8_t *p = stored + off;
        void *o = obj_new(a);
        if (!o) goto oom;
        *slot_of(a, work) = o;
        if (is_string_kind(a)) {
            if (str_set(o, p[0], (const char *)p + 1, len - 1)) goto oom;
        } else if (a->kind == SP_AGG_COUNT_DISTINCT) {
            uint64_t n;
            memcpy(&n, p, 8);
            if (set_add_all(o, p + 8, n, a->arg_type)) goto oom;
        } else {
            vlist *l = o;
            uint64_t n = len / 8;
            l->v = sp_malloc(n * 8);
            if (!l->v) goto oom;
            memcpy(l->v, p, n * 8);
            l->n = l->cap = n;
        }
    }
    return 0;
oom:
    sp_aggv_free(aggs, n_aggs, work);
    return SP_ENOMEM;
}

static size_t obj_size(const sp_agg *a, const void *o)
{
    if (!o) return 0;
    if (is_string_kind(a)) {
        const vstr *s = o;
        return s->tag ? 1 + (size_t)s->len : 0;
    }
    if (a->kind == SP_AGG_COUNT_DISTINCT) {
        const vset *s = o;
        return s->n ? 8 + s->data.len : 0;
    }
    return ((const vlist *)o)->n * 8;
}

size_t sp_aggv_stored_size(const sp_agg *aggs, int n_aggs, uint32_t value_size,
                           const uint8_t *work)
{
    size_t n = value_size;
    for (int i = 0; i < n_aggs; i++)
        if (aggs[i].var) {
            void *const *s = (void *const *)(work + aggs[i].offset);
            n += (obj_size(&aggs[i], *s) + 7) & ~(size_t)7;
        }
    return n;
}

void sp_aggv_store(const sp_agg *aggs, int n_aggs, uint32_t value_size,
                   uint8_t *work, uint8_t *dst)
{
    memcpy(dst, work, value_size);
    size_t at = value_size;
    for (int i = 0; i < n_aggs; i++) {
        const sp_agg *a = &aggs[i];
        if (!a->var) continue;
        void *o = *slot_of(a, work);
        size_t len = obj_size(a, o);
        uint32_t off32 = (uint32_t)at, len32 = (uint32_t)len;
        memcpy(dst + a->offset, &off32, 4);
        memcpy(dst + a->offset + 4, &len32, 4);
        if (!len) continue;
        uint8_t *p = dst + at;
        if (is_string_kind(a)) {
            const vstr *s = o;
            p[0] = s->tag;
            if (s->len) memcpy(p + 1, s->p, s->len);
        } else if (a->kind == SP_AGG_COUNT_DISTINCT) {
            const vset *s = o;
            memcpy(p, &s->n, 8);
            memcpy(p + 8, s->data.data, s->data.len);
        } else {
            vlist *l = o;
            qsort(l->v, l->n, 8, list_is_f64(a) ? cmp_f64 : cmp_i64);
            memcpy(p, l->v, l->n * 8);
        }
        size_t pad = ((len + 7) & ~(size_t)7) - len;
        memset(p + len, 0, pad);
        at += len + pad;
    }
}

/* ---- finalize (from a stored value) -------------------------------------- */

static int64_t at8(const uint8_t *p, uint64_t i)
{
    int64_t v;
    memcpy(&v, p + i * 8, 8);
    return v;
}

void sp_agg_var_final(const sp_agg *a, const uint8_t *value, sp_vec *out,
                      uint32_t row)
{
    uint32_t off, len;
    stored_span(a, value, &off, &len);
    const uint8_t *p = value + off;
    out->nulls[row] = 0;
    if (a->kind == SP_AGG_COUNT_DISTINCT) {
        uint64_t n = 0;
        if (len) memcpy(&n, p, 8);
        out->d.i64[row] = (int64_t)n;
        return;
    }
    if (len == 0) {
        out->nulls[row] = 1;
        return;
    }
    if (is_string_kind(a)) {
        if (p[0] != 2) {
            out->nulls[row] = 1;
            return;
        }
        out->d.str[row] = sp_str_make((const char *)p + 1, len - 1);
        return;
    }
    uint64_t n = len / 8;
    if (a->kind == SP_AGG_PERCENTILE) {
        /* Spark's Percentile.getPercentile */
        double pos = (double)(n - 1) * a->param;
        double lo = floor(pos), hi = ceil(pos);
        double lk = bits_f64(at8(p, (uint64_t)lo));
        if (hi == lo) {
            out->d.f64[row] = lk;
            return;
        }
        double hk = bits_f64(at8(p, (uint64_t)hi));
        if (hk == lk) {
            out->d.f64[row] = lk;
            return;
        }
        out->d.f64[row] = (hi - pos) * lk + (pos - lo) * hk;
        return;
    }
    /* percentile_approx: Spark's QuantileSummaries.query on an exact
     * summary */
    uint64_t i;
    if (a->param <= a->rel_err) {
        i = 0;
    } else if (a->param >= 1 - a->rel_err) {
        i = n - 1;
    } else {
        double rank = ceil(a->param * (double)n);
        i = rank < 1 ? 0 : (uint64_t)rank - 1;
        if (i >= n) i = n - 1;
    }
    out->d.i64[row] = at8(p, i); /* doubles keep their bits */
}
