/*
 * expr.c -- building typed expression trees, evaluating them over column
 * batches, filtering, and printing them for EXPLAIN.
 *
 * Layer: expr (below exec, above core). See README.md in this directory
 * for the evaluation model; in short:
 *
 *   - eval(e, sel, n) computes e for the live rows sel[0..n) (sel NULL =
 *     rows 0..n-1) into a vector indexed by physical row; other positions
 *     are garbage. Children are evaluated first, on the same rows, except
 *     where a node narrows them: AND/OR evaluate their right side only on
 *     rows the left side did not decide, CASE evaluates each branch only
 *     on the rows that reach it, COALESCE each argument only on the rows
 *     still NULL.
 *   - A column reference returns the batch's vector itself (no copy). A
 *     constant is materialised only when its consumer cannot read it from
 *     the node (sp_expr.direct_const).
 *   - All memory comes from the scratch arena; nothing here mallocs.
 *   - NULL arrays are shared, never written, unless this node allocated
 *     them: a strict call whose only NULL-carrying argument is `x` returns
 *     x's nulls array as its own.
 *
 * Trees are immutable after building and safe to evaluate from several
 * threads at once (kernels keep per-call state on the stack or in the
 * scratch arena).
 */
#include "expr/exprInt.h"

#include <string.h>

/* ------------------------------------------------------------------------
 * Building
 * ---------------------------------------------------------------------- */

sp_expr *sp_expr_new(sp_arena *a, sp_expr_kind k, sp_type t, int n_args)
{
    sp_expr *e = sp_arena_zalloc(a, sizeof *e);
    if (!e) return NULL;
    e->kind = k;
    e->type = t;
    e->col = -1;
    e->n_args = n_args;
    if (n_args > 0) {
        e->args = sp_arena_zalloc(a, sizeof(sp_expr *) * (size_t)n_args);
        if (!e->args) return NULL;
    }
    return e;
}

sp_expr *sp_expr_col(sp_arena *a, int col, sp_type t)
{
    sp_expr *e = sp_expr_new(a, SP_E_COL, t, 0);
    if (e) e->col = col;
    return e;
}

sp_expr *sp_expr_const(sp_arena *a, const sp_value *v)
{
    sp_expr *e = sp_expr_new(a, SP_E_CONST, v->type, 0);
    if (!e) return NULL;
    e->val = *v;
    if (v->type == SP_T_NULL) e->val.is_null = true;
    if (v->type == SP_T_VARCHAR && !v->is_null) {
        char *p = sp_arena_strndup(a, v->v.s.ptr ? v->v.s.ptr : "", v->v.s.len);
        if (!p) return NULL;
        e->val.v.s = sp_str_make(p, v->v.s.len);
    }
    return e;
}

static sp_expr *const_null(sp_arena *a, sp_type t)
{
    sp_value v = {.type = t, .is_null = true};
    return sp_expr_const(a, &v);
}

bool sp_expr_is_const(const sp_expr *e)
{
    if (e->kind == SP_E_COL) return false;
    for (int i = 0; i < e->n_args; i++)
        if (!sp_expr_is_const(e->args[i])) return false;
    return true;
}

/* Replaces a constant tree by its value. Returns e itself on failure
 * (only OOM can fail), so folding is an optimisation, never an error. */
static sp_expr *fold(sp_arena *a, sp_expr *e)
{
    if (e->kind == SP_E_CONST || !sp_expr_is_const(e)) return e;
    sp_err err;
    sp_err_clear(&err);
    sp_value v;
    if (sp_expr_eval_const(e, a, &v, &err) != 0) return e;
    v.type = e->type;
    sp_expr *c = sp_expr_const(a, &v);
    return c ? c : e;
}

static sp_expr *oom(sp_err *err)
{
    sp_err_set(err, SP_ENOMEM, "out of memory building an expression");
    return NULL;
}

sp_expr *sp_expr_cast(sp_arena *a, sp_expr *e, sp_type t, sp_err *err)
{
    if (e->type == t) return e;
    if (!sp_cast_allowed(e->type, t)) {
        sp_err_set(err, SP_EANALYSIS, "cannot cast %s to %s",
                   sp_type_name(e->type), sp_type_name(t));
        return NULL;
    }
    if (e->kind == SP_E_CONST && e->val.is_null) return const_null(a, t);
    sp_expr *c = sp_expr_new(a, SP_E_CAST, t, 1);
    if (!c) return oom(err);
    c->args[0] = e;
    return fold(a, c);
}

sp_expr *sp_expr_call_ex(sp_arena *a, const sp_func *f, sp_expr **args,
                         int n_args, int *bad_arg, sp_err *err)
{
    if (bad_arg) *bad_arg = -1;
    if (n_args < f->min_args || (f->max_args >= 0 && n_args > f->max_args)) {
        if (f->max_args < 0)
            sp_err_set(err, SP_EANALYSIS,
                       "function %s() takes at least %d argument%s, got %d",
                       f->name, f->min_args, f->min_args == 1 ? "" : "s",
                       n_args);
        else if (f->min_args == f->max_args)
            sp_err_set(err, SP_EANALYSIS,
                       "function %s() takes %d argument%s, got %d", f->name,
                       f->min_args, f->min_args == 1 ? "" : "s", n_args);
        else
            sp_err_set(err, SP_EANALYSIS,
                       "function %s() takes %d to %d arguments, got %d",
                       f->name, f->min_args, f->max_args, n_args);
        if (f->help) sp_err_hint(err, "%s", f->help);
        return NULL;
    }
    sp_expr *e = sp_expr_new(a, SP_E_CALL, SP_T_NULL, n_args);
    sp_type *t = sp_arena_alloc(a, sizeof(sp_type) * (size_t)(n_args + 1));
    sp_type *want = sp_arena_zalloc(a, sizeof(sp_type) * (size_t)(n_args + 1));
    if (!e || !t || !want) return oom(err);
    for (int i = 0; i < n_args; i++) {
        t[i] = args[i]->type;
        want[i] = SP_T_NULL;
    }
    sp_type ret = SP_T_NULL;
    sp_expr_bad_arg_ = -1;
    if (f->resolve(f, t, n_args, want, &ret, err) != 0) {
        if (bad_arg) *bad_arg = sp_expr_bad_arg_;
        return NULL;
    }
    for (int i = 0; i < n_args; i++) {
        sp_expr *x = args[i];
        if (want[i] != SP_T_NULL && want[i] != x->type) {
            x = sp_expr_cast(a, x, want[i], err);
            if (!x) {
                if (bad_arg) *bad_arg = i;
                return NULL;
            }
        }
        e->args[i] = x;
        t[i] = x->type;
    }
    e->type = ret;
    e->fn = f;
    e->kernel = f->kernel(f, t, n_args);
    if (f->strict) {
        for (int i = 0; i < n_args; i++)
            if (e->args[i]->kind == SP_E_CONST && e->args[i]->val.is_null)
                return const_null(a, ret);
    }
    if (f->prepare && f->prepare(e, a, err) != 0) return NULL;
    return fold(a, e);
}

sp_expr *sp_expr_call(sp_arena *a, const sp_func *f, sp_expr **args, int n_args,
                      sp_err *err)
{
    return sp_expr_call_ex(a, f, args, n_args, NULL, err);
}

sp_expr *sp_expr_logic(sp_arena *a, sp_expr_kind k, sp_expr *l, sp_expr *r,
                       sp_err *err)
{
    sp_expr *ops[2] = {l, r};
    int n = k == SP_E_NOT ? 1 : 2;
    const char *what = k == SP_E_AND ? "AND" : k == SP_E_OR ? "OR" : "NOT";
    sp_expr *e = sp_expr_new(a, k, SP_T_BOOL, n);
    if (!e) return oom(err);
    for (int i = 0; i < n; i++) {
        if (ops[i]->type != SP_T_BOOL && ops[i]->type != SP_T_NULL) {
            sp_err_set(err, SP_EANALYSIS, "%s expects BOOLEAN operands, got %s",
                       what, sp_type_name(ops[i]->type));
            return NULL;
        }
        e->args[i] = sp_expr_cast(a, ops[i], SP_T_BOOL, err);
        if (!e->args[i]) return NULL;
    }
    return e;
}

/* --- IN ------------------------------------------------------------------ */

/* A constant IN list: values in arrays, plus an open-addressing hash table
 * (slot = index + 1) when the list is long enough to make it pay. */
typedef struct in_set {
    uint32_t n;      /* non-NULL values */
    bool has_null;   /* the list contains NULL */
    int64_t *iv;     /* BIGINT/TIMESTAMP/INTERVAL (BOOL as 0/1) */
    double *dv;      /* DOUBLE */
    sp_str *sv;      /* VARCHAR */
    uint32_t *slots; /* NULL: linear scan */
    uint32_t mask;
} in_set;

#define IN_LINEAR_MAX 8

static uint64_t dbl_key(double d)
{
    if (d == 0) d = 0; /* -0.0 == 0.0 */
    if (d != d) return 0x7ff8000000000000ULL;
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static uint64_t in_hash(const in_set *s, sp_type t, const void *v)
{
    switch (t) {
    case SP_T_DOUBLE:
        return sp_hash_u64(dbl_key(*(const double *)v));
    case SP_T_VARCHAR: {
        const sp_str *x = v;
        return sp_hash_bytes(x->ptr, x->len, 0);
    }
    default:
        return sp_hash_u64((uint64_t) * (const int64_t *)v);
    }
}

static bool in_eq(const in_set *s, sp_type t, uint32_t k, const void *v)
{
    switch (t) {
    case SP_T_DOUBLE: {
        double x = s->dv[k], y = *(const double *)v;
        return x == y || (x != x && y != y);
    }
    case SP_T_VARCHAR: {
        const sp_str *y = v;
        return s->sv[k].len == y->len &&
               (y->len == 0 || memcmp(s->sv[k].ptr, y->ptr, y->len) == 0);
    }
    default:
        return s->iv[k] == *(const int64_t *)v;
    }
}

static bool in_find(const in_set *s, sp_type t, const void *v)
{
    if (!s->slots) {
        for (uint32_t k = 0; k < s->n; k++)
            if (in_eq(s, t, k, v)) return true;
        return false;
    }
    uint64_t h = in_hash(s, t, v);
    for (uint32_t p = (uint32_t)h & s->mask;; p = (p + 1) & s->mask) {
        uint32_t slot = s->slots[p];
        if (!slot) return false;
        if (in_eq(s, t, slot - 1, v)) return true;
    }
}

static in_set *in_set_build(sp_arena *a, sp_type t, sp_expr **list, int n)
{
    in_set *s = sp_arena_zalloc(a, sizeof *s);
    if (!s) return NULL;
    s->iv = sp_arena_alloc(a, sizeof(int64_t) * (size_t)n + 1);
    s->dv = sp_arena_alloc(a, sizeof(double) * (size_t)n + 1);
    s->sv = sp_arena_alloc(a, sizeof(sp_str) * (size_t)n + 1);
    if (!s->iv || !s->dv || !s->sv) return NULL;
    for (int i = 0; i < n; i++) {
        const sp_value *v = &list[i]->val;
        if (v->is_null) {
            s->has_null = true;
            continue;
        }
        const void *key;
        switch (t) {
        case SP_T_BOOL:
            s->iv[s->n] = v->v.b;
            key = &s->iv[s->n];
            break;
        case SP_T_DOUBLE:
            s->dv[s->n] = v->v.d;
            key = &s->dv[s->n];
            break;
        case SP_T_VARCHAR:
            s->sv[s->n] = v->v.s;
            key = &s->sv[s->n];
            break;
        default:
            s->iv[s->n] = v->v.i;
            key = &s->iv[s->n];
        }
        /* Skip duplicates so the table stays small. */
        s->slots = NULL;
        if (in_find(s, t, key)) continue;
        s->n++;
    }
    if (s->n > IN_LINEAR_MAX) {
        uint32_t cap = 16;
        while (cap < s->n * 2) cap <<= 1;
        s->slots = sp_arena_zalloc(a, sizeof(uint32_t) * cap);
        if (!s->slots) return NULL;
        s->mask = cap - 1;
        for (uint32_t k = 0; k < s->n; k++) {
            const void *key = t == SP_T_DOUBLE    ? (const void *)&s->dv[k]
                              : t == SP_T_VARCHAR ? (const void *)&s->sv[k]
                                                  : (const void *)&s->iv[k];
            uint32_t p = (uint32_t)in_hash(s, t, key) & s->mask;
            while (s->slots[p]) p = (p + 1) & s->mask;
            s->slots[p] = k + 1;
        }
    }
    return s;
}

sp_expr *sp_expr_in(sp_arena *a, sp_expr *x, sp_expr **list, int n_list,
                    bool negated, sp_err *err)
{
    sp_type t = x->type;
    for (int i = 0; i < n_list; i++) {
        sp_type nt;
        if (sp_type_wider(t, list[i]->type, &nt) != 0) {
            sp_err_set(err, SP_EANALYSIS,
                       "IN list item %d has type %s, which cannot be "
                       "compared with %s",
                       i + 1, sp_type_name(list[i]->type), sp_type_name(t));
            return NULL;
        }
        t = nt;
    }
    sp_expr *e = sp_expr_new(a, SP_E_IN, SP_T_BOOL, n_list + 1);
    if (!e) return oom(err);
    e->negated = negated;
    bool all_const = true;
    for (int i = 0; i <= n_list; i++) {
        sp_expr *c = sp_expr_cast(a, i == 0 ? x : list[i - 1], t, err);
        if (!c) return NULL;
        e->args[i] = c;
        if (i > 0 && c->kind != SP_E_CONST) all_const = false;
    }
    if (all_const && t != SP_T_NULL) {
        e->aux = in_set_build(a, t, e->args + 1, n_list);
        if (!e->aux) return oom(err);
    }
    return e;
}

/* --- CASE and COALESCE --------------------------------------------------- */

static int wider_all(sp_expr **v, int n, sp_expr *extra, sp_type *out,
                     sp_err *err, const char *what)
{
    sp_type t = SP_T_NULL;
    for (int i = 0; i <= n; i++) {
        sp_expr *x = i < n ? v[i] : extra;
        if (!x) continue;
        sp_type nt;
        if (sp_type_wider(t, x->type, &nt) != 0) {
            sp_err_set(err, SP_EANALYSIS,
                       "%s branches have incompatible types %s and %s", what,
                       sp_type_name(t), sp_type_name(x->type));
            sp_err_hint(err, "cast the branches to one type with CAST(... "
                             "AS type)");
            return -1;
        }
        t = nt;
    }
    *out = t;
    return 0;
}

sp_expr *sp_expr_case(sp_arena *a, sp_expr **conds, sp_expr **vals, int n_whens,
                      sp_expr *else_, sp_err *err)
{
    sp_type t;
    if (wider_all(vals, n_whens, else_, &t, err, "CASE") != 0) return NULL;
    sp_expr *e = sp_expr_new(a, SP_E_CASE, t, 2 * n_whens + (else_ != NULL));
    if (!e) return oom(err);
    e->has_else = else_ != NULL;
    for (int i = 0; i < n_whens; i++) {
        if (conds[i]->type != SP_T_BOOL && conds[i]->type != SP_T_NULL) {
            sp_err_set(err, SP_EANALYSIS,
                       "WHEN condition %d must be BOOLEAN, got %s", i + 1,
                       sp_type_name(conds[i]->type));
            return NULL;
        }
        e->args[2 * i] = sp_expr_cast(a, conds[i], SP_T_BOOL, err);
        e->args[2 * i + 1] = sp_expr_cast(a, vals[i], t, err);
        if (!e->args[2 * i] || !e->args[2 * i + 1]) return NULL;
    }
    if (else_) {
        e->args[2 * n_whens] = sp_expr_cast(a, else_, t, err);
        if (!e->args[2 * n_whens]) return NULL;
    }
    return e;
}

sp_expr *sp_expr_coalesce(sp_arena *a, sp_expr **args, int n_args, sp_err *err)
{
    sp_type t;
    if (wider_all(args, n_args, NULL, &t, err, "coalesce()") != 0) return NULL;
    sp_expr *e = sp_expr_new(a, SP_E_COALESCE, t, n_args);
    if (!e) return oom(err);
    for (int i = 0; i < n_args; i++) {
        e->args[i] = sp_expr_cast(a, args[i], t, err);
        if (!e->args[i]) return NULL;
    }
    return e;
}

/* ------------------------------------------------------------------------
 * Evaluation
 * ---------------------------------------------------------------------- */

typedef struct ev {
    const sp_batch *in;
    sp_arena *a;
    sp_err *err;
    uint32_t n_rows; /* physical rows: the size of every result vector */
} ev;

static int eval(const sp_expr *e, ev *c, const uint32_t *sel, uint32_t n,
                sp_vec *out);

static int enomem(ev *c)
{
    return sp_err_set(c->err, SP_ENOMEM,
                      "out of memory evaluating an "
                      "expression");
}

static int vec_new(ev *c, sp_type t, bool nulls, sp_vec *out)
{
    if (sp_vec_alloc(out, t, c->n_rows, nulls, c->a) != 0) return enomem(c);
    return 0;
}

static uint8_t *nulls_new(ev *c)
{
    uint8_t *p = sp_arena_zalloc(c->a, c->n_rows ? c->n_rows : 1);
    if (!p) enomem(c);
    return p;
}

static uint32_t *sel_new(ev *c, uint32_t n)
{
    uint32_t *p = sp_arena_alloc(c->a, sizeof(uint32_t) * (n ? n : 1));
    if (!p) enomem(c);
    return p;
}

static int eval_const(const sp_expr *e, ev *c, const uint32_t *sel, uint32_t n,
                      sp_vec *out)
{
    const sp_value *v = &e->val;
    if (vec_new(c, e->type, v->is_null, out) != 0) return c->err->code;
    if (v->is_null) {
        memset(out->nulls, 1, c->n_rows ? c->n_rows : 1);
        return 0;
    }
    switch (e->type) {
    case SP_T_BOOL: {
        uint8_t b = v->v.b;
        SP_LOOP(sel, n, i, out->d.b[i] = b;);
        break;
    }
    case SP_T_DOUBLE: {
        double d = v->v.d;
        SP_LOOP(sel, n, i, out->d.f64[i] = d;);
        break;
    }
    case SP_T_VARCHAR: {
        sp_str s = v->v.s;
        SP_LOOP(sel, n, i, out->d.str[i] = s;);
        break;
    }
    default: {
        int64_t x = v->v.i;
        SP_LOOP(sel, n, i, out->d.i64[i] = x;);
    }
    }
    return 0;
}

#define MAX_STACK_ARGS 8

static int eval_call(const sp_expr *e, ev *c, const uint32_t *sel, uint32_t n,
                     sp_vec *out)
{
    sp_vec stack[MAX_STACK_ARGS];
    sp_vec *av = stack;
    if (e->n_args > MAX_STACK_ARGS) {
        av = sp_arena_zalloc(c->a, sizeof(sp_vec) * (size_t)e->n_args);
        if (!av) return enomem(c);
    }
    int n_null_args = 0;
    const uint8_t *one_nulls = NULL;
    for (int j = 0; j < e->n_args; j++) {
        if (j < 32 && (e->direct_const & (1u << j))) {
            av[j] = (sp_vec){.type = e->args[j]->type};
            continue;
        }
        int rc = eval(e->args[j], c, sel, n, &av[j]);
        if (rc) return rc;
        if (av[j].nulls) {
            n_null_args++;
            one_nulls = av[j].nulls;
        }
    }
    const sp_func *f = e->fn;
    if (vec_new(c, e->type, false, out) != 0) return c->err->code;
    if (!f->strict) {
        if (!(out->nulls = nulls_new(c))) return c->err->code;
    } else if (n_null_args == 0 && !f->may_null) {
        out->nulls = NULL;
    } else if (n_null_args == 1 && !f->may_null) {
        out->nulls = (uint8_t *)one_nulls; /* shared, never written */
    } else {
        if (!(out->nulls = nulls_new(c))) return c->err->code;
        uint8_t *o = out->nulls;
        for (int j = 0; j < e->n_args; j++) {
            const uint8_t *an = av[j].nulls;
            if (!an) continue;
            SP_LOOP(sel, n, i, o[i] |= an[i];);
        }
    }
    sp_kernel_ctx kc = {.node = e, .arena = c->a};
    e->kernel(&kc, av, e->n_args, sel, n, out);
    if (kc.oom) return enomem(c);
    return 0;
}

static int eval_cast(const sp_expr *e, ev *c, const uint32_t *sel, uint32_t n,
                     sp_vec *out)
{
    sp_vec in;
    int rc = eval(e->args[0], c, sel, n, &in);
    if (rc) return rc;
    if (vec_new(c, e->type, false, out) != 0) return c->err->code;
    if (in.type == SP_T_NULL) {
        if (!(out->nulls = nulls_new(c))) return c->err->code;
        memset(out->nulls, 1, c->n_rows ? c->n_rows : 1);
        return 0;
    }
    if (sp_cast_may_null(in.type, e->type)) {
        if (!(out->nulls = nulls_new(c))) return c->err->code;
        if (in.nulls) memcpy(out->nulls, in.nulls, c->n_rows);
    } else {
        out->nulls = in.nulls;
    }
    if (sp_cast_vec(&in, e->type, sel, n, out, c->a) != 0) return enomem(c);
    return 0;
}

/* AND / OR with three-valued logic; the right side is evaluated only on
 * the rows the left side did not decide. */
static int eval_andor(const sp_expr *e, ev *c, const uint32_t *sel, uint32_t n,
                      sp_vec *out)
{
    const bool is_and = e->kind == SP_E_AND;
    const uint8_t decide = is_and ? 0 : 1; /* left value that decides */
    sp_vec l, r = {0};
    int rc = eval(e->args[0], c, sel, n, &l);
    if (rc) return rc;
    uint32_t *rs = sel_new(c, n);
    if (!rs) return c->err->code;
    uint32_t m = 0;
    const uint8_t *ln = l.nulls;
    SP_LOOP(sel, n, i, {
        rs[m] = i;
        m += (ln && ln[i]) || l.d.b[i] != decide;
    });
    if (m > 0) {
        rc = eval(e->args[1], c, rs, m, &r);
        if (rc) return rc;
    }
    if (vec_new(c, SP_T_BOOL, true, out) != 0) return c->err->code;
    uint8_t *o = out->d.b, *on = out->nulls;
    const uint8_t *rn = m ? r.nulls : NULL;
    bool any_null = false;
    SP_LOOP(sel, n, i, {
        bool lnull = ln && ln[i];
        if (!lnull && l.d.b[i] == decide) {
            o[i] = decide;
        } else {
            bool rnull = rn && rn[i];
            if (!rnull && r.d.b[i] == decide) {
                o[i] = decide;
            } else if (lnull || rnull) {
                o[i] = 0;
                on[i] = 1;
                any_null = true;
            } else {
                o[i] = !decide;
            }
        }
    });
    if (!any_null) out->nulls = NULL;
    return 0;
}

static int eval_not(const sp_expr *e, ev *c, const uint32_t *sel, uint32_t n,
                    sp_vec *out)
{
    sp_vec x;
    int rc = eval(e->args[0], c, sel, n, &x);
    if (rc) return rc;
    if (vec_new(c, SP_T_BOOL, false, out) != 0) return c->err->code;
    out->nulls = x.nulls;
    const uint8_t *xb = x.d.b;
    uint8_t *o = out->d.b;
    if (x.type == SP_T_NULL) return 0;
    SP_LOOP(sel, n, i, o[i] = !xb[i];);
    return 0;
}

static int eval_is_null(const sp_expr *e, ev *c, const uint32_t *sel,
                        uint32_t n, sp_vec *out)
{
    sp_vec x;
    int rc = eval(e->args[0], c, sel, n, &x);
    if (rc) return rc;
    if (vec_new(c, SP_T_BOOL, false, out) != 0) return c->err->code;
    uint8_t *o = out->d.b;
    const uint8_t neg = e->negated;
    if (!x.nulls)
        SP_LOOP(sel, n, i, o[i] = neg;);
    else
        SP_LOOP(sel, n, i, o[i] = (x.nulls[i] != 0) ^ neg;);
    return 0;
}

static bool vals_eq(sp_type t, const sp_vec *a, const sp_vec *b, uint32_t i)
{
    switch (t) {
    case SP_T_BOOL:
        return a->d.b[i] == b->d.b[i];
    case SP_T_DOUBLE: {
        double x = a->d.f64[i], y = b->d.f64[i];
        return x == y || (x != x && y != y);
    }
    case SP_T_VARCHAR: {
        sp_str x = a->d.str[i], y = b->d.str[i];
        return x.len == y.len &&
               (x.len == 0 || memcmp(x.ptr, y.ptr, x.len) == 0);
    }
    default:
        return a->d.i64[i] == b->d.i64[i];
    }
}

static int eval_in(const sp_expr *e, ev *c, const uint32_t *sel, uint32_t n,
                   sp_vec *out)
{
    sp_vec x;
    int rc = eval(e->args[0], c, sel, n, &x);
    if (rc) return rc;
    if (vec_new(c, SP_T_BOOL, true, out) != 0) return c->err->code;
    uint8_t *o = out->d.b, *on = out->nulls;
    const uint8_t neg = e->negated;
    sp_type t = x.type;
    if (t == SP_T_NULL) {
        SP_LOOP(sel, n, i, on[i] = 1;);
        return 0;
    }
    const in_set *s = e->aux;
    if (s) {
        const uint8_t miss_null = s->has_null;
        SP_LOOP(sel, n, i, {
            if (x.nulls && x.nulls[i]) {
                on[i] = 1;
            } else {
                const void *key;
                int64_t b;
                switch (t) {
                case SP_T_BOOL:
                    b = x.d.b[i];
                    key = &b;
                    break;
                case SP_T_DOUBLE:
                    key = &x.d.f64[i];
                    break;
                case SP_T_VARCHAR:
                    key = &x.d.str[i];
                    break;
                default:
                    key = &x.d.i64[i];
                }
                bool hit = in_find(s, t, key);
                o[i] = hit ^ neg;
                on[i] = !hit && miss_null;
            }
        });
        return 0;
    }
    /* General list: evaluate every item. found: 0 no, 1 yes; saw_null. */
    uint8_t *found = sp_arena_zalloc(c->a, c->n_rows ? c->n_rows : 1);
    uint8_t *saw_null = sp_arena_zalloc(c->a, c->n_rows ? c->n_rows : 1);
    if (!found || !saw_null) return enomem(c);
    for (int j = 1; j < e->n_args; j++) {
        sp_vec v;
        rc = eval(e->args[j], c, sel, n, &v);
        if (rc) return rc;
        SP_LOOP(sel, n, i, {
            if (v.nulls && v.nulls[i])
                saw_null[i] = 1;
            else if (!found[i] && !(x.nulls && x.nulls[i]))
                found[i] = vals_eq(t, &x, &v, i);
        });
    }
    SP_LOOP(sel, n, i, {
        if ((x.nulls && x.nulls[i]) || (!found[i] && saw_null[i]))
            on[i] = 1;
        else
            o[i] = found[i] ^ neg;
    });
    return 0;
}

/* Copies rows sel[0..n) of src into dst (same type; dst has nulls). */
static void copy_rows(sp_vec *dst, const sp_vec *src, const uint32_t *sel,
                      uint32_t n)
{
    uint8_t *dn = dst->nulls;
    const uint8_t *sn = src->nulls;
    if (src->type == SP_T_NULL) {
        SP_LOOP(sel, n, i, dn[i] = 1;);
        return;
    }
    switch (sp_type_width(dst->type)) {
    case 1:
        SP_LOOP(sel, n, i, dst->d.b[i] = src->d.b[i];);
        break;
    case 8:
        SP_LOOP(sel, n, i, dst->d.i64[i] = src->d.i64[i];);
        break;
    default:
        SP_LOOP(sel, n, i, dst->d.str[i] = src->d.str[i];);
    }
    if (sn)
        SP_LOOP(sel, n, i, dn[i] = sn[i];);
    else
        SP_LOOP(sel, n, i, dn[i] = 0;);
}

static int eval_case(const sp_expr *e, ev *c, const uint32_t *sel, uint32_t n,
                     sp_vec *out)
{
    if (vec_new(c, e->type, true, out) != 0) return c->err->code;
    /* rem: rows not yet decided; hit: rows taking this branch. */
    uint32_t *rem = sel_new(c, n), *hit = sel_new(c, n);
    if (!rem || !hit) return c->err->code;
    uint32_t n_rem = 0;
    SP_LOOP(sel, n, i, rem[n_rem++] = i;);
    int n_whens = (e->n_args - e->has_else) / 2;
    for (int w = 0; w < n_whens && n_rem > 0; w++) {
        sp_vec cv, tv;
        int rc = eval(e->args[2 * w], c, rem, n_rem, &cv);
        if (rc) return rc;
        uint32_t n_hit = 0, n_keep = 0;
        for (uint32_t k = 0; k < n_rem; k++) {
            uint32_t i = rem[k];
            bool t =
                cv.type != SP_T_NULL && !(cv.nulls && cv.nulls[i]) && cv.d.b[i];
            if (t)
                hit[n_hit++] = i;
            else
                rem[n_keep++] = i;
        }
        n_rem = n_keep;
        if (n_hit == 0) continue;
        rc = eval(e->args[2 * w + 1], c, hit, n_hit, &tv);
        if (rc) return rc;
        copy_rows(out, &tv, hit, n_hit);
    }
    if (n_rem > 0) {
        if (e->has_else) {
            sp_vec ev_;
            int rc = eval(e->args[e->n_args - 1], c, rem, n_rem, &ev_);
            if (rc) return rc;
            copy_rows(out, &ev_, rem, n_rem);
        } else {
            for (uint32_t k = 0; k < n_rem; k++) out->nulls[rem[k]] = 1;
        }
    }
    return 0;
}

static int eval_coalesce(const sp_expr *e, ev *c, const uint32_t *sel,
                         uint32_t n, sp_vec *out)
{
    if (vec_new(c, e->type, true, out) != 0) return c->err->code;
    uint32_t *rem = sel_new(c, n);
    if (!rem) return c->err->code;
    uint32_t n_rem = 0;
    SP_LOOP(sel, n, i, rem[n_rem++] = i;);
    for (int j = 0; j < e->n_args && n_rem > 0; j++) {
        sp_vec v;
        int rc = eval(e->args[j], c, rem, n_rem, &v);
        if (rc) return rc;
        copy_rows(out, &v, rem, n_rem);
        if (v.type == SP_T_NULL) continue;
        if (!v.nulls) {
            n_rem = 0;
            break;
        }
        uint32_t keep = 0;
        for (uint32_t k = 0; k < n_rem; k++)
            if (v.nulls[rem[k]]) rem[keep++] = rem[k];
        n_rem = keep;
    }
    for (uint32_t k = 0; k < n_rem; k++) out->nulls[rem[k]] = 1;
    return 0;
}

static int eval(const sp_expr *e, ev *c, const uint32_t *sel, uint32_t n,
                sp_vec *out)
{
    switch (e->kind) {
    case SP_E_COL:
        if (e->col < 0 || (uint32_t)e->col >= c->in->n_cols)
            return sp_err_set(c->err, SP_EINTERNAL,
                              "expression reads column %d of a batch with "
                              "%u columns",
                              e->col, c->in->n_cols);
        *out = c->in->cols[e->col];
        return 0;
    case SP_E_CONST:
        return eval_const(e, c, sel, n, out);
    case SP_E_CALL:
        return eval_call(e, c, sel, n, out);
    case SP_E_CAST:
        return eval_cast(e, c, sel, n, out);
    case SP_E_AND:
    case SP_E_OR:
        return eval_andor(e, c, sel, n, out);
    case SP_E_NOT:
        return eval_not(e, c, sel, n, out);
    case SP_E_IS_NULL:
        return eval_is_null(e, c, sel, n, out);
    case SP_E_IN:
        return eval_in(e, c, sel, n, out);
    case SP_E_CASE:
        return eval_case(e, c, sel, n, out);
    case SP_E_COALESCE:
        return eval_coalesce(e, c, sel, n, out);
    }
    return sp_err_set(c->err, SP_EINTERNAL, "unknown expression kind %d",
                      (int)e->kind);
}

int sp_expr_eval(const sp_expr *e, const sp_batch *in, sp_arena *scratch,
                 sp_vec *out, sp_err *err)
{
    ev c = {.in = in, .a = scratch, .err = err, .n_rows = in->n_rows};
    return eval(e, &c, in->sel, sp_batch_live(in), out);
}

int sp_expr_eval_const(const sp_expr *e, sp_arena *a, sp_value *out,
                       sp_err *err)
{
    sp_batch b = {.n_rows = 1, .arena = a};
    ev c = {.in = &b, .a = a, .err = err, .n_rows = 1};
    sp_vec v;
    int rc = eval(e, &c, NULL, 1, &v);
    if (rc) return rc;
    sp_vec_get(&v, 0, out);
    out->type = e->type;
    return 0;
}

/* ------------------------------------------------------------------------
 * Filtering
 * ---------------------------------------------------------------------- */

/* Writes the rows of sel[0..n) where e is TRUE to outsel (which may be
 * sel itself: writes never overtake reads). */
static int filter_rec(const sp_expr *e, ev *c, const uint32_t *sel, uint32_t n,
                      uint32_t *outsel, uint32_t *out_n)
{
    if (e->kind == SP_E_AND) {
        uint32_t k;
        int rc = filter_rec(e->args[0], c, sel, n, outsel, &k);
        if (rc) return rc;
        if (k == 0) {
            *out_n = 0;
            return 0;
        }
        return filter_rec(e->args[1], c, outsel, k, outsel, out_n);
    }
    if (e->kind == SP_E_CALL && e->select) {
        /* straight to the selection, without a BOOLEAN vector */
        sp_vec x;
        int rc = eval(e->args[e->direct_const == 2u ? 0 : 1], c, sel, n, &x);
        if (rc) return rc;
        *out_n = e->select(e, &x, sel, n, outsel);
        return 0;
    }
    if (e->kind == SP_E_CONST) {
        uint32_t m = 0;
        if (!e->val.is_null && e->type == SP_T_BOOL && e->val.v.b)
            SP_LOOP(sel, n, i, outsel[m++] = i;);
        *out_n = m;
        return 0;
    }
    sp_vec v;
    int rc = eval(e, c, sel, n, &v);
    if (rc) return rc;
    uint32_t m = 0;
    if (v.type == SP_T_NULL) {
        *out_n = 0;
        return 0;
    }
    const uint8_t *b = v.d.b, *nl = v.nulls;
    /* Branch-free compaction. */
    if (nl)
        SP_LOOP(sel, n, i, {
            outsel[m] = i;
            m += b[i] & !nl[i];
        });
    else
        SP_LOOP(sel, n, i, {
            outsel[m] = i;
            m += b[i] != 0;
        });
    *out_n = m;
    return 0;
}

int sp_expr_filter(const sp_expr *pred, sp_batch *b, sp_arena *scratch,
                   sp_err *err)
{
    ev c = {.in = b, .a = scratch, .err = err, .n_rows = b->n_rows};
    uint32_t n = sp_batch_live(b);
    uint32_t *ns = sel_new(&c, n);
    if (!ns) return err->code;
    uint32_t m = 0;
    int rc = filter_rec(pred, &c, b->sel, n, ns, &m);
    if (rc) return rc;
    b->sel = ns;
    b->n_sel = m;
    return 0;
}

/* ------------------------------------------------------------------------
 * Printing
 * ---------------------------------------------------------------------- */

static int put_value(const sp_value *v, sp_buf *out)
{
    if (v->is_null || v->type == SP_T_NULL) return sp_buf_puts(out, "NULL");
    char tmp[64];
    switch (v->type) {
    case SP_T_VARCHAR:
        sp_buf_putc(out, '\'');
        for (uint32_t i = 0; i < v->v.s.len; i++) {
            char ch = v->v.s.ptr[i];
            if (ch == '\'' || ch == '\\') sp_buf_putc(out, '\\');
            sp_buf_putc(out, ch);
        }
        return sp_buf_putc(out, '\'');
    case SP_T_TIMESTAMP:
        sp_ts_format(v->v.i, tmp);
        return sp_buf_printf(out, "TIMESTAMP '%s'", tmp);
    default:
        return sp_value_format(v, out);
    }
}

static bool is_infix(const char *name)
{
    char ch = name[0];
    return !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'));
}

int sp_expr_to_string(const sp_expr *e, const sp_schema *schema, sp_buf *out)
{
    switch (e->kind) {
    case SP_E_COL:
        if (schema && e->col >= 0 && (uint32_t)e->col < schema->n_fields)
            return sp_buf_puts(out, schema->fields[e->col].name);
        return sp_buf_printf(out, "#%d", e->col);
    case SP_E_CONST:
        return put_value(&e->val, out);
    case SP_E_CALL: {
        const char *nm = e->fn->name;
        if (strcmp(nm, "neg") == 0) {
            sp_buf_puts(out, "(- ");
            sp_expr_to_string(e->args[0], schema, out);
            return sp_buf_putc(out, ')');
        }
        bool like = strcmp(nm, "like") == 0 || strcmp(nm, "ilike") == 0 ||
                    strcmp(nm, "rlike") == 0;
        if ((is_infix(nm) || like) && e->n_args == 2) {
            sp_buf_putc(out, '(');
            sp_expr_to_string(e->args[0], schema, out);
            sp_buf_putc(out, ' ');
            if (like) {
                for (const char *p = nm; *p; p++)
                    sp_buf_putc(out, (char)(*p - 'a' + 'A'));
            } else {
                sp_buf_puts(out, nm);
            }
            sp_buf_putc(out, ' ');
            sp_expr_to_string(e->args[1], schema, out);
            return sp_buf_putc(out, ')');
        }
        sp_buf_printf(out, "%s(", nm);
        for (int i = 0; i < e->n_args; i++) {
            if (i) sp_buf_puts(out, ", ");
            sp_expr_to_string(e->args[i], schema, out);
        }
        return sp_buf_putc(out, ')');
    }
    case SP_E_CAST:
        sp_buf_puts(out, "CAST(");
        sp_expr_to_string(e->args[0], schema, out);
        return sp_buf_printf(out, " AS %s)", sp_type_name(e->type));
    case SP_E_AND:
    case SP_E_OR:
        sp_buf_putc(out, '(');
        sp_expr_to_string(e->args[0], schema, out);
        sp_buf_puts(out, e->kind == SP_E_AND ? " AND " : " OR ");
        sp_expr_to_string(e->args[1], schema, out);
        return sp_buf_putc(out, ')');
    case SP_E_NOT:
        sp_buf_puts(out, "(NOT ");
        sp_expr_to_string(e->args[0], schema, out);
        return sp_buf_putc(out, ')');
    case SP_E_IS_NULL:
        sp_buf_putc(out, '(');
        sp_expr_to_string(e->args[0], schema, out);
        return sp_buf_puts(out, e->negated ? " IS NOT NULL)" : " IS NULL)");
    case SP_E_IN:
        sp_buf_putc(out, '(');
        sp_expr_to_string(e->args[0], schema, out);
        sp_buf_puts(out, e->negated ? " NOT IN (" : " IN (");
        for (int i = 1; i < e->n_args; i++) {
            if (i > 1) sp_buf_puts(out, ", ");
            sp_expr_to_string(e->args[i], schema, out);
        }
        return sp_buf_puts(out, "))");
    case SP_E_CASE: {
        sp_buf_puts(out, "CASE");
        int n_whens = (e->n_args - e->has_else) / 2;
        for (int w = 0; w < n_whens; w++) {
            sp_buf_puts(out, " WHEN ");
            sp_expr_to_string(e->args[2 * w], schema, out);
            sp_buf_puts(out, " THEN ");
            sp_expr_to_string(e->args[2 * w + 1], schema, out);
        }
        if (e->has_else) {
            sp_buf_puts(out, " ELSE ");
            sp_expr_to_string(e->args[e->n_args - 1], schema, out);
        }
        return sp_buf_puts(out, " END");
    }
    case SP_E_COALESCE:
        sp_buf_puts(out, "coalesce(");
        for (int i = 0; i < e->n_args; i++) {
            if (i) sp_buf_puts(out, ", ");
            sp_expr_to_string(e->args[i], schema, out);
        }
        return sp_buf_putc(out, ')');
    }
    return 0;
}
