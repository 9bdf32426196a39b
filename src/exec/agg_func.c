/*
 * agg_func.c -- aggregate functions: resolution, and the init / update /
 * merge / finalize of their fixed-size states (variable-size ones are in
 * agg_var.c).
 *
 * Every state lives at sp_agg.offset inside a group's value and is a
 * fixed number of bytes, so the final aggregation updates groups in place
 * in the state store. Semantics are Spark's: sum of BIGINT is BIGINT (wraps
 * on overflow, ANSI off), sum/avg of nothing is NULL, count ignores NULLs
 * (count(*) does not), first/last keep NULLs (ignoreNulls = false),
 * sample variance of one value is NULL, NaN is larger than any other
 * double for min/max. approx_count_distinct is a HyperLogLog with 512
 * registers (Spark's default relative error 0.05 gives p = 9) and linear
 * counting for small cardinalities, where it is exact in practice.
 */
#include "exec/agg.h"

#include <math.h>
#include <string.h>
#include <strings.h>

typedef struct {
    int64_t v;
    uint8_t has;
} st_i64;
typedef struct {
    double v;
    uint8_t has;
} st_f64;
typedef struct {
    double sum;
    int64_t n;
} st_avg;
typedef struct {
    int64_t v; /* the value's 8 bytes (double bits for DOUBLE) */
    uint8_t set, is_null;
} st_first;
typedef struct {
    double n, mean, m2;
} st_var;

#define HLL_P 9
#define HLL_M (1u << HLL_P)

static const struct {
    const char *name;
    sp_agg_kind kind;
} names[] = {
    {"count", SP_AGG_COUNT},
    {"sum", SP_AGG_SUM},
    {"min", SP_AGG_MIN},
    {"max", SP_AGG_MAX},
    {"avg", SP_AGG_AVG},
    {"mean", SP_AGG_AVG},
    {"first", SP_AGG_FIRST},
    {"first_value", SP_AGG_FIRST},
    {"last", SP_AGG_LAST},
    {"last_value", SP_AGG_LAST},
    {"variance", SP_AGG_VAR_SAMP},
    {"var_samp", SP_AGG_VAR_SAMP},
    {"var_pop", SP_AGG_VAR_POP},
    {"stddev", SP_AGG_STDDEV_SAMP},
    {"std", SP_AGG_STDDEV_SAMP},
    {"stddev_samp", SP_AGG_STDDEV_SAMP},
    {"stddev_pop", SP_AGG_STDDEV_POP},
    {"approx_count_distinct", SP_AGG_APPROX_DISTINCT},
    {"median", SP_AGG_PERCENTILE},
    {"percentile", SP_AGG_PERCENTILE},
    {"percentile_approx", SP_AGG_PERCENTILE_APPROX},
    {"approx_percentile", SP_AGG_PERCENTILE_APPROX},
};

static bool numeric(sp_type t)
{
    return t == SP_T_BIGINT || t == SP_T_DOUBLE || t == SP_T_NULL;
}

static bool ordered8(sp_type t)
{
    return t == SP_T_BIGINT || t == SP_T_DOUBLE || t == SP_T_TIMESTAMP ||
           t == SP_T_INTERVAL || t == SP_T_BOOL;
}

int sp_agg_resolve(const char *name, bool star, bool distinct, sp_type arg_type,
                   sp_agg *out, sp_err *err)
{
    sp_agg a;
    memset(&a, 0, sizeof a);
    bool found = false;
    for (size_t i = 0; i < SP_ARRAY_LEN(names); i++)
        if (strcasecmp(names[i].name, name) == 0) {
            a.kind = names[i].kind;
            found = true;
            break;
        }
    if (!found) return SP_ENOTFOUND;
    if (star) {
        if (a.kind != SP_AGG_COUNT)
            return sp_err_set(err, SP_EANALYSIS,
                              "%s(*) is not allowed; only "
                              "count(*) takes *",
                              name);
        a.kind = SP_AGG_COUNT_STAR;
        arg_type = SP_T_NULL;
    }
    if (distinct && a.kind == SP_AGG_COUNT) {
        a.kind = SP_AGG_COUNT_DISTINCT;
    } else if (distinct && a.kind != SP_AGG_MIN && a.kind != SP_AGG_MAX) {
        sp_err_set(err, SP_EUNSUPPORTED,
                   "%s(DISTINCT ...) is not supported yet", name);
        sp_err_hint(err, "count(DISTINCT x) counts distinct values exactly; "
                         "min and max take DISTINCT too");
        return SP_EUNSUPPORTED;
    }
    a.arg_type = arg_type;
    if (strcasecmp(name, "median") == 0) a.param = 0.5;
    a.rel_err = 1.0 / 10000;
    switch (a.kind) {
    case SP_AGG_COUNT_STAR:
    case SP_AGG_COUNT:
        a.ret_type = SP_T_BIGINT;
        a.size = 8;
        break;
    case SP_AGG_SUM:
        if (!numeric(arg_type) && arg_type != SP_T_INTERVAL)
            return sp_err_set(err, SP_EANALYSIS, "sum() needs a number, got %s",
                              sp_type_name(arg_type));
        a.ret_type = arg_type == SP_T_NULL ? SP_T_DOUBLE : arg_type;
        a.size = sizeof(st_i64);
        break;
    case SP_AGG_AVG:
        if (!numeric(arg_type))
            return sp_err_set(err, SP_EANALYSIS, "avg() needs a number, got %s",
                              sp_type_name(arg_type));
        a.ret_type = SP_T_DOUBLE;
        a.size = sizeof(st_avg);
        break;
    case SP_AGG_MIN:
    case SP_AGG_MAX:
    case SP_AGG_FIRST:
    case SP_AGG_LAST:
        if (arg_type == SP_T_VARCHAR) {
            a.ret_type = SP_T_VARCHAR;
            a.var = true;
            a.size = 8;
            break;
        }
        if (!ordered8(arg_type) && arg_type != SP_T_NULL)
            return sp_err_set(err, SP_EANALYSIS, "%s() of %s is not allowed",
                              name, sp_type_name(arg_type));
        a.ret_type = arg_type == SP_T_NULL ? SP_T_BIGINT : arg_type;
        a.size = (a.kind == SP_AGG_FIRST || a.kind == SP_AGG_LAST)
                     ? sizeof(st_first)
                     : sizeof(st_i64);
        break;
    case SP_AGG_VAR_SAMP:
    case SP_AGG_VAR_POP:
    case SP_AGG_STDDEV_SAMP:
    case SP_AGG_STDDEV_POP:
        if (!numeric(arg_type))
            return sp_err_set(err, SP_EANALYSIS, "%s() needs a number, got %s",
                              name, sp_type_name(arg_type));
        a.ret_type = SP_T_DOUBLE;
        a.size = sizeof(st_var);
        break;
    case SP_AGG_APPROX_DISTINCT:
        a.ret_type = SP_T_BIGINT;
        a.size = HLL_M;
        break;
    case SP_AGG_COUNT_DISTINCT:
        if (arg_type == SP_T_WINDOW)
            return sp_err_set(err, SP_EANALYSIS,
                              "count(DISTINCT ...) of a window is not "
                              "allowed");
        a.ret_type = SP_T_BIGINT;
        a.var = true;
        a.size = 8;
        break;
    case SP_AGG_PERCENTILE:
        if (!numeric(arg_type))
            return sp_err_set(err, SP_EANALYSIS, "%s() needs a number, got %s",
                              name, sp_type_name(arg_type));
        a.ret_type = SP_T_DOUBLE;
        a.var = true;
        a.size = 8;
        break;
    case SP_AGG_PERCENTILE_APPROX:
        if (!numeric(arg_type) && arg_type != SP_T_TIMESTAMP &&
            arg_type != SP_T_INTERVAL)
            return sp_err_set(err, SP_EANALYSIS,
                              "%s() needs a number, a timestamp or an "
                              "interval, got %s",
                              name, sp_type_name(arg_type));
        a.ret_type = arg_type == SP_T_NULL ? SP_T_DOUBLE : arg_type;
        a.var = true;
        a.size = 8;
        break;
    }
    a.size = (a.size + 7) & ~7u;
    *out = a;
    return 0;
}

/* ---- updates --------------------------------------------------------------
 * states[k] is the base of the k-th row's group value; rows[k] is the row
 * of `arg` that feeds it. */

static inline bool is_null(const sp_vec *v, uint32_t r)
{
    return v->type == SP_T_NULL || (v->nulls && v->nulls[r]);
}

static inline double as_f64(const sp_vec *v, uint32_t r)
{
    return v->type == SP_T_DOUBLE ? v->d.f64[r] : (double)v->d.i64[r];
}

static inline int64_t raw8(const sp_vec *v, uint32_t r)
{
    if (v->type == SP_T_BOOL) return v->d.b[r];
    return v->d.i64[r]; /* doubles: their bits */
}

/* Spark's double order: NaN above everything. */
static inline bool dbl_less(double a, double b)
{
    if (isnan(a)) return false;
    if (isnan(b)) return true;
    return a < b;
}

static inline bool less8(sp_type t, int64_t a, int64_t b)
{
    if (t == SP_T_DOUBLE) {
        double x, y;
        memcpy(&x, &a, 8);
        memcpy(&y, &b, 8);
        return dbl_less(x, y);
    }
    return a < b;
}

static uint64_t hll_hash(const sp_vec *v, uint32_t r)
{
    switch (v->type) {
    case SP_T_VARCHAR:
        return sp_hash_bytes(v->d.str[r].ptr, v->d.str[r].len, 42);
    case SP_T_BOOL:
        return sp_hash_u64((uint64_t)v->d.b[r] + 0x9e37);
    case SP_T_DOUBLE: {
        double d = v->d.f64[r];
        if (d == 0) d = 0; /* -0.0 and 0.0 are one value */
        uint64_t bits;
        memcpy(&bits, &d, 8);
        return sp_hash_u64(bits ^ 0x51ed27);
    }
    case SP_T_WINDOW:
        return sp_hash_u64((uint64_t)v->d.i64[2 * r] * 31 +
                           (uint64_t)v->d.i64[2 * r + 1]);
    default:
        return sp_hash_u64((uint64_t)v->d.i64[r] ^ 0x51ed27);
    }
}

static void hll_add(uint8_t *reg, uint64_t h)
{
    uint32_t idx = (uint32_t)(h >> (64 - HLL_P));
    uint64_t w = (h << HLL_P) | (1ull << (HLL_P - 1));
    uint8_t rank = (uint8_t)(__builtin_clzll(w) + 1);
    if (rank > reg[idx]) reg[idx] = rank;
}

static int64_t hll_estimate(const uint8_t *reg)
{
    double sum = 0;
    int zeros = 0;
    for (uint32_t j = 0; j < HLL_M; j++) {
        sum += ldexp(1.0, -reg[j]);
        zeros += reg[j] == 0;
    }
    double m = HLL_M;
    double alpha = 0.7213 / (1 + 1.079 / m);
    double e = alpha * m * m / sum;
    if (e <= 2.5 * m && zeros > 0) e = m * log(m / zeros);
    return (int64_t)llround(e);
}

void sp_agg_update(const sp_agg *a, uint8_t **states, const sp_vec *arg,
                   const uint32_t *rows, uint32_t n)
{
    uint32_t off = a->offset;
    if (a->var) return;
    switch (a->kind) {
    case SP_AGG_COUNT_STAR:
        for (uint32_t k = 0; k < n; k++) (*(int64_t *)(states[k] + off))++;
        return;
    case SP_AGG_COUNT:
        for (uint32_t k = 0; k < n; k++)
            if (!is_null(arg, rows[k])) (*(int64_t *)(states[k] + off))++;
        return;
    case SP_AGG_SUM:
        if (a->ret_type == SP_T_DOUBLE) {
            for (uint32_t k = 0; k < n; k++) {
                if (is_null(arg, rows[k])) continue;
                st_f64 *s = (st_f64 *)(states[k] + off);
                s->v += as_f64(arg, rows[k]);
                s->has = 1;
            }
        } else {
            for (uint32_t k = 0; k < n; k++) {
                if (is_null(arg, rows[k])) continue;
                st_i64 *s = (st_i64 *)(states[k] + off);
                s->v =
                    (int64_t)((uint64_t)s->v + (uint64_t)arg->d.i64[rows[k]]);
                s->has = 1;
            }
        }
        return;
    case SP_AGG_MIN:
    case SP_AGG_MAX: {
        bool mx = a->kind == SP_AGG_MAX;
        for (uint32_t k = 0; k < n; k++) {
            if (is_null(arg, rows[k])) continue;
            st_i64 *s = (st_i64 *)(states[k] + off);
            int64_t v = raw8(arg, rows[k]);
            if (!s->has || (mx ? less8(a->arg_type, s->v, v)
                               : less8(a->arg_type, v, s->v))) {
                s->v = v;
                s->has = 1;
            }
        }
        return;
    }
    case SP_AGG_AVG:
        for (uint32_t k = 0; k < n; k++) {
            if (is_null(arg, rows[k])) continue;
            st_avg *s = (st_avg *)(states[k] + off);
            s->sum += as_f64(arg, rows[k]);
            s->n++;
        }
        return;
    case SP_AGG_FIRST:
    case SP_AGG_LAST: {
        bool last = a->kind == SP_AGG_LAST;
        for (uint32_t k = 0; k < n; k++) {
            st_first *s = (st_first *)(states[k] + off);
            if (s->set && !last) continue;
            s->set = 1;
            s->is_null = is_null(arg, rows[k]);
            s->v = s->is_null ? 0 : raw8(arg, rows[k]);
        }
        return;
    }
    case SP_AGG_VAR_SAMP:
    case SP_AGG_VAR_POP:
    case SP_AGG_STDDEV_SAMP:
    case SP_AGG_STDDEV_POP:
        for (uint32_t k = 0; k < n; k++) {
            if (is_null(arg, rows[k])) continue;
            st_var *s = (st_var *)(states[k] + off);
            double x = as_f64(arg, rows[k]);
            s->n += 1;
            double d = x - s->mean;
            s->mean += d / s->n;
            s->m2 += d * (x - s->mean);
        }
        return;
    case SP_AGG_COUNT_DISTINCT:
    case SP_AGG_PERCENTILE:
    case SP_AGG_PERCENTILE_APPROX:
        return; /* variable-size: agg_var.c */
    case SP_AGG_APPROX_DISTINCT:
        for (uint32_t k = 0; k < n; k++) {
            if (is_null(arg, rows[k])) continue;
            hll_add(states[k] + off, hll_hash(arg, rows[k]));
        }
        return;
    }
}

void sp_agg_merge(const sp_agg *a, uint8_t *dst, const uint8_t *src)
{
    if (a->var) return;
    dst += a->offset;
    src += a->offset;
    switch (a->kind) {
    case SP_AGG_COUNT_STAR:
    case SP_AGG_COUNT:
        *(int64_t *)dst += *(const int64_t *)src;
        return;
    case SP_AGG_SUM:
        if (a->ret_type == SP_T_DOUBLE) {
            const st_f64 *s = (const st_f64 *)src;
            st_f64 *d = (st_f64 *)dst;
            if (s->has) {
                d->v += s->v;
                d->has = 1;
            }
        } else {
            const st_i64 *s = (const st_i64 *)src;
            st_i64 *d = (st_i64 *)dst;
            if (s->has) {
                d->v = (int64_t)((uint64_t)d->v + (uint64_t)s->v);
                d->has = 1;
            }
        }
        return;
    case SP_AGG_MIN:
    case SP_AGG_MAX: {
        const st_i64 *s = (const st_i64 *)src;
        st_i64 *d = (st_i64 *)dst;
        if (!s->has) return;
        bool mx = a->kind == SP_AGG_MAX;
        if (!d->has || (mx ? less8(a->arg_type, d->v, s->v)
                           : less8(a->arg_type, s->v, d->v)))
            *d = *s;
        return;
    }
    case SP_AGG_AVG: {
        const st_avg *s = (const st_avg *)src;
        st_avg *d = (st_avg *)dst;
        d->sum += s->sum;
        d->n += s->n;
        return;
    }
    case SP_AGG_FIRST: {
        st_first *d = (st_first *)dst;
        if (!d->set) memcpy(d, src, sizeof *d);
        return;
    }
    case SP_AGG_LAST: {
        const st_first *s = (const st_first *)src;
        if (s->set) memcpy(dst, s, sizeof *s);
        return;
    }
    case SP_AGG_VAR_SAMP:
    case SP_AGG_VAR_POP:
    case SP_AGG_STDDEV_SAMP:
    case SP_AGG_STDDEV_POP: {
        const st_var *s = (const st_var *)src;
        st_var *d = (st_var *)dst;
        if (s->n == 0) return;
        if (d->n == 0) {
            *d = *s;
            return;
        }
        double n = d->n + s->n, delta = s->mean - d->mean;
        d->mean += delta * s->n / n;
        d->m2 += s->m2 + delta * delta * d->n * s->n / n;
        d->n = n;
        return;
    }
    case SP_AGG_COUNT_DISTINCT:
    case SP_AGG_PERCENTILE:
    case SP_AGG_PERCENTILE_APPROX:
        return; /* variable-size: agg_var.c */
    case SP_AGG_APPROX_DISTINCT:
        for (uint32_t j = 0; j < HLL_M; j++)
            if (src[j] > dst[j]) dst[j] = src[j];
        return;
    }
}

void sp_agg_final(const sp_agg *a, const uint8_t *value, sp_vec *out,
                  uint32_t row)
{
    if (a->var) {
        sp_agg_var_final(a, value, out, row);
        return;
    }
    const uint8_t *state = value + a->offset;
    out->nulls[row] = 0;
    switch (a->kind) {
    case SP_AGG_COUNT_STAR:
    case SP_AGG_COUNT:
        out->d.i64[row] = *(const int64_t *)state;
        return;
    case SP_AGG_SUM:
    case SP_AGG_MIN:
    case SP_AGG_MAX: {
        const st_i64 *s = (const st_i64 *)state;
        if (!s->has) {
            out->nulls[row] = 1;
            return;
        }
        if (a->ret_type == SP_T_BOOL)
            out->d.b[row] = (uint8_t)s->v;
        else
            out->d.i64[row] = s->v; /* doubles keep their bits */
        return;
    }
    case SP_AGG_AVG: {
        const st_avg *s = (const st_avg *)state;
        if (s->n == 0) {
            out->nulls[row] = 1;
            return;
        }
        out->d.f64[row] = s->sum / (double)s->n;
        return;
    }
    case SP_AGG_FIRST:
    case SP_AGG_LAST: {
        const st_first *s = (const st_first *)state;
        if (!s->set || s->is_null) {
            out->nulls[row] = 1;
            return;
        }
        if (a->ret_type == SP_T_BOOL)
            out->d.b[row] = (uint8_t)s->v;
        else
            out->d.i64[row] = s->v;
        return;
    }
    case SP_AGG_VAR_SAMP:
    case SP_AGG_VAR_POP:
    case SP_AGG_STDDEV_SAMP:
    case SP_AGG_STDDEV_POP: {
        const st_var *s = (const st_var *)state;
        bool samp = a->kind == SP_AGG_VAR_SAMP || a->kind == SP_AGG_STDDEV_SAMP;
        if (s->n == 0 || (samp && s->n < 2)) {
            out->nulls[row] = 1;
            return;
        }
        double v = s->m2 / (samp ? s->n - 1 : s->n);
        if (a->kind == SP_AGG_STDDEV_SAMP || a->kind == SP_AGG_STDDEV_POP)
            v = sqrt(v);
        out->d.f64[row] = v;
        return;
    }
    case SP_AGG_COUNT_DISTINCT:
    case SP_AGG_PERCENTILE:
    case SP_AGG_PERCENTILE_APPROX:
        return; /* variable-size: agg_var.c */
    case SP_AGG_APPROX_DISTINCT:
        out->d.i64[row] = hll_estimate(state);
        return;
    }
}
