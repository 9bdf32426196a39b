/*
 * func.c -- the function catalog: type rules, operators (+ - * / % and the
 * comparisons), math functions, and lookup over the catalog parts kept in
 * func_str.c (strings, patterns) and func_time.c (datetime).
 *
 * Layer: expr. The binder looks functions up by name; sp_expr_call asks a
 * row's `resolve` for the result type and implicit casts, its `kernel`
 * picker for the kernel, and `prepare` for bind-time work such as choosing
 * a variant specialised for a constant argument.
 *
 * Every row of the catalog is one sp_func_def (sp_func first, then its
 * signature and kernel): the tables are the one source of truth for names,
 * arity, types and help text (see README.md for the generated list).
 *
 * Kernels are tight loops over the live rows (SP_LOOP). Binary operators
 * come in three shapes -- vector/vector, vector/constant and
 * constant/vector -- so that `x > 10` never materialises the 10.
 * Integer arithmetic wraps (computed in uint64_t) as Spark's non-ANSI mode.
 */
#include "expr/exprInt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

_Thread_local int sp_expr_bad_arg_ = -1;

/* ------------------------------------------------------------------------
 * Type rules
 * ---------------------------------------------------------------------- */

static bool is_num(sp_type t)
{
    return t == SP_T_BIGINT || t == SP_T_DOUBLE;
}

int sp_type_common(sp_type a, sp_type b, sp_type *out)
{
    if (a == b) {
        *out = a;
    } else if (a == SP_T_NULL || b == SP_T_NULL) {
        *out = a == SP_T_NULL ? b : a;
    } else if (is_num(a) && is_num(b)) {
        *out = SP_T_DOUBLE;
    } else if (a == SP_T_VARCHAR || b == SP_T_VARCHAR) {
        /* Spark's binary comparison rule: the string is cast to the other
         * side's type ('1.5' = 1 compares as BIGINT, ts < '2024-01-01'
         * as TIMESTAMP). */
        *out = a == SP_T_VARCHAR ? b : a;
    } else {
        return -1;
    }
    return 0;
}

int sp_type_wider(sp_type a, sp_type b, sp_type *out)
{
    if ((a == SP_T_VARCHAR && b != SP_T_VARCHAR && b != SP_T_NULL) ||
        (b == SP_T_VARCHAR && a != SP_T_VARCHAR && a != SP_T_NULL)) {
        if (a == SP_T_BOOL || b == SP_T_BOOL) return -1;
        *out = SP_T_VARCHAR;
        return 0;
    }
    return sp_type_common(a, b, out);
}

bool sp_type_implicit(sp_type from, sp_type to)
{
    if (from == to || from == SP_T_NULL || to == SP_T_VARCHAR) return true;
    if (is_num(from) && is_num(to)) return true;
    if (from == SP_T_VARCHAR && (is_num(to) || to == SP_T_TIMESTAMP))
        return true;
    return false;
}

int sp_func_want(const sp_func *f, int i, sp_type have, sp_type target,
                 sp_type *want, sp_err *err)
{
    if (!sp_type_implicit(have, target)) {
        sp_expr_bad_arg_ = i;
        return sp_err_set(err, SP_EANALYSIS,
                          "function %s() expects %s for argument %d, got %s",
                          f->name, sp_type_name(target), i + 1,
                          sp_type_name(have));
    }
    want[i] = target;
    return 0;
}

static int sig_at(const sp_func_def *d, int i)
{
    if (d->f.max_args < 0 && i >= d->f.min_args) i = d->f.min_args - 1;
    if (i > 3) i = 3;
    return d->sig[i];
}

int sp_func_resolve_sig(const sp_func *f, const sp_type *t, int n,
                        sp_type *want, sp_type *ret, sp_err *err)
{
    const sp_func_def *d = SP_FUNC_DEF(f);
    sp_type first = SP_T_NULL;
    for (int i = 0; i < n; i++) {
        int s = sig_at(d, i);
        sp_type fin = t[i];
        if (s == SP_SIG_ANY) {
            /* as is */
        } else if (s == SP_SIG_NUM) {
            if (t[i] == SP_T_NULL)
                fin = SP_T_BIGINT;
            else if (t[i] == SP_T_VARCHAR)
                fin = SP_T_DOUBLE;
            else if (!is_num(t[i])) {
                sp_expr_bad_arg_ = i;
                return sp_err_set(
                    err, SP_EANALYSIS,
                    "function %s() expects a number (BIGINT or DOUBLE) for "
                    "argument %d, got %s",
                    f->name, i + 1, sp_type_name(t[i]));
            }
            want[i] = fin;
        } else {
            if (sp_func_want(f, i, t[i], (sp_type)s, want, err) != 0)
                return err->code;
            fin = (sp_type)s;
        }
        if (i == 0) first = fin;
    }
    *ret = d->ret == SP_SIG_NUM ? first : (sp_type)d->ret;
    return 0;
}

sp_kernel_fn sp_func_pick_sig(const sp_func *f, const sp_type *t, int n)
{
    return SP_FUNC_DEF(f)->k;
}

/* ------------------------------------------------------------------------
 * Operators: arithmetic
 * ---------------------------------------------------------------------- */

enum {
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_MOD,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_NEG
};

static SP_KERNEL(k_noop)
{
}

#define ADD_I(x, y) ((int64_t)((uint64_t)(x) + (uint64_t)(y)))
#define SUB_I(x, y) ((int64_t)((uint64_t)(x) - (uint64_t)(y)))
#define MUL_I(x, y) ((int64_t)((uint64_t)(x) * (uint64_t)(y)))
#define ADD_F(x, y) ((x) + (y))
#define SUB_F(x, y) ((x) - (y))
#define MUL_F(x, y) ((x) * (y))

/* Three shapes of a binary kernel: TA/FA/VA = C type, vector field and
 * value field of the left operand; likewise for B and the output. */
#define BIN_KERNELS(NAME, TA, FA, VA, TB, FB, VB, TO, FO, EXPR)                \
    static SP_KERNEL(NAME##_vv)                                                \
    {                                                                          \
        const TA *x = args[0].d.FA;                                            \
        const TB *y = args[1].d.FB;                                            \
        TO *o = out->d.FO;                                                     \
        SP_LOOP(sel, n, i, o[i] = EXPR(x[i], y[i]););                          \
    }                                                                          \
    static SP_KERNEL(NAME##_vc)                                                \
    {                                                                          \
        const TA *x = args[0].d.FA;                                            \
        const TB c = ctx->node->args[1]->val.v.VB;                             \
        TO *o = out->d.FO;                                                     \
        SP_LOOP(sel, n, i, o[i] = EXPR(x[i], c););                             \
    }                                                                          \
    static SP_KERNEL(NAME##_cv)                                                \
    {                                                                          \
        const TA c = ctx->node->args[0]->val.v.VA;                             \
        const TB *y = args[1].d.FB;                                            \
        TO *o = out->d.FO;                                                     \
        SP_LOOP(sel, n, i, o[i] = EXPR(c, y[i]););                             \
    }

BIN_KERNELS(add_i, int64_t, i64, i, int64_t, i64, i, int64_t, i64, ADD_I)
BIN_KERNELS(sub_i, int64_t, i64, i, int64_t, i64, i, int64_t, i64, SUB_I)
BIN_KERNELS(mul_i, int64_t, i64, i, int64_t, i64, i, int64_t, i64, MUL_I)
BIN_KERNELS(add_f, double, f64, d, double, f64, d, double, f64, ADD_F)
BIN_KERNELS(sub_f, double, f64, d, double, f64, d, double, f64, SUB_F)
BIN_KERNELS(mul_f, double, f64, d, double, f64, d, double, f64, MUL_F)

/* Division and modulo may give NULL (x / 0): out->nulls always exists. */
static SP_KERNEL(div_f)
{
    const double *x = args[0].d.f64, *y = args[1].d.f64;
    double *o = out->d.f64;
    uint8_t *nl = out->nulls;
    SP_LOOP(sel, n, i, {
        double d = y[i];
        nl[i] |= d == 0;
        o[i] = d == 0 ? 0 : x[i] / d;
    });
}

static SP_KERNEL(div_f_vc)
{
    const double *x = args[0].d.f64;
    const double c = ctx->node->args[1]->val.v.d;
    double *o = out->d.f64;
    if (c == 0) {
        SP_LOOP(sel, n, i, out->nulls[i] = 1;);
        return;
    }
    const double r = 1.0 / c;
    /* x * (1/c) is exact only for powers of two; divide otherwise. */
    if (c == ldexp(1.0, ilogb(c)) || -c == ldexp(1.0, ilogb(c)))
        SP_LOOP(sel, n, i, o[i] = x[i] * r;);
    else
        SP_LOOP(sel, n, i, o[i] = x[i] / c;);
}

static SP_KERNEL(mod_i)
{
    const int64_t *x = args[0].d.i64, *y = args[1].d.i64;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, {
        int64_t d = y[i];
        if (d == 0) {
            out->nulls[i] = 1;
            o[i] = 0;
        } else {
            o[i] = d == -1 ? 0 : x[i] % d;
        }
    });
}

static SP_KERNEL(mod_f)
{
    const double *x = args[0].d.f64, *y = args[1].d.f64;
    double *o = out->d.f64;
    SP_LOOP(sel, n, i, {
        double d = y[i];
        if (d == 0) {
            out->nulls[i] = 1;
            o[i] = 0;
        } else {
            o[i] = fmod(x[i], d);
        }
    });
}

/* INTERVAL * DOUBLE and INTERVAL / number: Spark rounds HALF_UP to the
 * microsecond; division by zero is NULL here (Spark raises). */
static int64_t round_half_up_i64(double v)
{
    double r = v < 0 ? -floor(-v + 0.5) : floor(v + 0.5);
    if (!(r > -9.2e18 && r < 9.2e18)) return r < 0 ? INT64_MIN : INT64_MAX;
    return (int64_t)r;
}

static SP_KERNEL(mul_iv_f)
{
    /* Either order: one arg is INTERVAL, the other DOUBLE. */
    int iv = args[0].type == SP_T_INTERVAL ? 0 : 1;
    const int64_t *x = args[iv].d.i64;
    const double *y = args[1 - iv].d.f64;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, o[i] = round_half_up_i64((double)x[i] * y[i]););
}

static SP_KERNEL(div_iv_f)
{
    const int64_t *x = args[0].d.i64;
    const double *y = args[1].d.f64;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, {
        if (y[i] == 0) {
            out->nulls[i] = 1;
            o[i] = 0;
        } else {
            o[i] = round_half_up_i64((double)x[i] / y[i]);
        }
    });
}

static SP_KERNEL(div_iv_i)
{
    const int64_t *x = args[0].d.i64, *y = args[1].d.i64;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, {
        int64_t d = y[i], a = x[i];
        if (d == 0) {
            out->nulls[i] = 1;
            o[i] = 0;
        } else if (d == -1) {
            o[i] = SUB_I(0, a);
        } else {
            int64_t q = a / d, r = a % d;
            /* HALF_UP: away from zero when |r| * 2 >= |d|. */
            uint64_t ar = r < 0 ? (uint64_t)0 - (uint64_t)r : (uint64_t)r;
            uint64_t ad = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
            if (ar * 2 >= ad) q += ((a < 0) != (d < 0)) ? -1 : 1;
            o[i] = q;
        }
    });
}

static SP_KERNEL(neg_i)
{
    const int64_t *x = args[0].d.i64;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, o[i] = SUB_I(0, x[i]););
}

static SP_KERNEL(neg_f)
{
    const double *x = args[0].d.f64;
    double *o = out->d.f64;
    SP_LOOP(sel, n, i, o[i] = -x[i];);
}

static bool is_int64(sp_type t)
{
    return t == SP_T_BIGINT || t == SP_T_TIMESTAMP || t == SP_T_INTERVAL;
}

static int arith_error(const sp_func *f, sp_type a, sp_type b, sp_err *err)
{
    sp_expr_bad_arg_ = -1;
    sp_err_set(err, SP_EANALYSIS, "operator %s cannot be applied to %s and %s",
               f->name, sp_type_name(a), sp_type_name(b));
    if (a == SP_T_TIMESTAMP || b == SP_T_TIMESTAMP)
        sp_err_hint(err, "TIMESTAMP supports + and - with an INTERVAL (ts + "
                         "INTERVAL '1' HOUR) and ts - ts (an INTERVAL)");
    else
        sp_err_hint(err, "arithmetic needs numbers; use CAST(... AS BIGINT) "
                         "or CAST(... AS DOUBLE)");
    return SP_EANALYSIS;
}

static int resolve_arith(const sp_func *f, const sp_type *t, int n,
                         sp_type *want, sp_type *ret, sp_err *err)
{
    int op = SP_FUNC_DEF(f)->op;
    sp_type a = t[0], b = t[1];
    const sp_type TS = SP_T_TIMESTAMP, IV = SP_T_INTERVAL;
    /* Datetime arithmetic. A NULL next to a TIMESTAMP/INTERVAL takes the
     * type that makes the expression valid. */
    if (a == TS || b == TS || a == IV || b == IV) {
        if (a == SP_T_NULL)
            a = (op == OP_MUL)              ? SP_T_BIGINT
                : (b == TS && op == OP_SUB) ? TS
                                            : IV;
        if (b == SP_T_NULL)
            b = (op == OP_MUL || op == OP_DIV) && a == IV ? SP_T_BIGINT : IV;
        if (a == SP_T_VARCHAR && (b == TS || b == IV)) a = TS;
        if (b == SP_T_VARCHAR && a == TS) b = (op == OP_SUB) ? TS : IV;
        want[0] = a;
        want[1] = b;
        if (op == OP_ADD && ((a == TS && b == IV) || (a == IV && b == TS))) {
            *ret = TS;
        } else if ((op == OP_ADD || op == OP_SUB) && a == IV && b == IV) {
            *ret = IV;
        } else if (op == OP_SUB && a == TS && b == IV) {
            *ret = TS;
        } else if (op == OP_SUB && a == TS && b == TS) {
            *ret = IV;
        } else if (op == OP_MUL &&
                   ((a == IV && (is_num(b) || b == SP_T_VARCHAR)) ||
                    (b == IV && (is_num(a) || a == SP_T_VARCHAR)))) {
            if (a == SP_T_VARCHAR) want[0] = SP_T_DOUBLE;
            if (b == SP_T_VARCHAR) want[1] = SP_T_DOUBLE;
            *ret = IV;
        } else if (op == OP_DIV && a == IV &&
                   (is_num(b) || b == SP_T_VARCHAR)) {
            if (b == SP_T_VARCHAR) want[1] = SP_T_DOUBLE;
            *ret = IV;
        } else {
            return arith_error(f, t[0], t[1], err);
        }
        return 0;
    }
    sp_type fa = a, fb = b;
    if (fa == SP_T_NULL) fa = SP_T_BIGINT;
    if (fb == SP_T_NULL) fb = SP_T_BIGINT;
    if (fa == SP_T_VARCHAR) fa = SP_T_DOUBLE;
    if (fb == SP_T_VARCHAR) fb = SP_T_DOUBLE;
    if (!is_num(fa) || !is_num(fb)) return arith_error(f, a, b, err);
    sp_type r = (fa == SP_T_DOUBLE || fb == SP_T_DOUBLE || op == OP_DIV)
                    ? SP_T_DOUBLE
                    : SP_T_BIGINT;
    want[0] = want[1] = r;
    *ret = r;
    return 0;
}

static sp_kernel_fn pick_arith(const sp_func *f, const sp_type *t, int n)
{
    int op = SP_FUNC_DEF(f)->op;
    sp_type a = t[0], b = t[1];
    if (a == SP_T_NULL || b == SP_T_NULL) return k_noop;
    if (op == OP_MUL && (a == SP_T_INTERVAL || b == SP_T_INTERVAL) &&
        (a == SP_T_DOUBLE || b == SP_T_DOUBLE))
        return mul_iv_f;
    if (op == OP_DIV && a == SP_T_INTERVAL)
        return b == SP_T_DOUBLE ? div_iv_f : div_iv_i;
    bool ints = is_int64(a) && is_int64(b);
    switch (op) {
    case OP_ADD:
        return ints ? add_i_vv : add_f_vv;
    case OP_SUB:
        return ints ? sub_i_vv : sub_f_vv;
    case OP_MUL:
        return ints ? mul_i_vv : mul_f_vv;
    case OP_DIV:
        return div_f;
    case OP_MOD:
        return ints ? mod_i : mod_f;
    }
    return k_noop;
}

/* Swaps in the vector/constant variants. */
static int prepare_arith(sp_expr *e, sp_arena *a, sp_err *err)
{
    static const struct {
        sp_kernel_fn vv, vc, cv;
    } v[] = {
        {add_i_vv, add_i_vc, add_i_cv}, {sub_i_vv, sub_i_vc, sub_i_cv},
        {mul_i_vv, mul_i_vc, mul_i_cv}, {add_f_vv, add_f_vc, add_f_cv},
        {sub_f_vv, sub_f_vc, sub_f_cv}, {mul_f_vv, mul_f_vc, mul_f_cv},
        {div_f, div_f_vc, NULL},
    };
    bool c0 = e->args[0]->kind == SP_E_CONST && !e->args[0]->val.is_null;
    bool c1 = e->args[1]->kind == SP_E_CONST && !e->args[1]->val.is_null;
    if (c0 == c1) return 0;
    for (size_t k = 0; k < SP_ARRAY_LEN(v); k++) {
        if (e->kernel != v[k].vv) continue;
        sp_kernel_fn kn = c1 ? v[k].vc : v[k].cv;
        if (!kn) return 0;
        e->kernel = kn;
        e->direct_const = c1 ? 2u : 1u;
        return 0;
    }
    return 0;
}

static int resolve_neg(const sp_func *f, const sp_type *t, int n, sp_type *want,
                       sp_type *ret, sp_err *err)
{
    sp_type a = t[0];
    if (a == SP_T_NULL) a = SP_T_BIGINT;
    if (a == SP_T_VARCHAR) a = SP_T_DOUBLE;
    if (!is_num(a) && a != SP_T_INTERVAL) {
        sp_expr_bad_arg_ = 0;
        return sp_err_set(err, SP_EANALYSIS,
                          "unary minus cannot be applied to %s",
                          sp_type_name(t[0]));
    }
    want[0] = a;
    *ret = a;
    return 0;
}

static sp_kernel_fn pick_neg(const sp_func *f, const sp_type *t, int n)
{
    return t[0] == SP_T_DOUBLE ? neg_f : neg_i;
}

/* ------------------------------------------------------------------------
 * Operators: comparisons
 * ---------------------------------------------------------------------- */

/* Spark orders doubles with NaN above everything and NaN = NaN. */
static inline bool f_eq(double x, double y)
{
    return x == y || (x != x && y != y);
}
static inline bool f_lt(double x, double y)
{
    return x < y || (y != y && x == x);
}
static inline int s_cmp(sp_str a, sp_str b)
{
    uint32_t m = a.len < b.len ? a.len : b.len;
    int c = m ? memcmp(a.ptr, b.ptr, m) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}
static inline bool s_eq(sp_str a, sp_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

#define EQ_N(x, y) ((x) == (y))
#define NE_N(x, y) ((x) != (y))
#define LT_N(x, y) ((x) < (y))
#define LE_N(x, y) ((x) <= (y))
#define GT_N(x, y) ((x) > (y))
#define GE_N(x, y) ((x) >= (y))
#define EQ_F(x, y) f_eq(x, y)
#define NE_F(x, y) (!f_eq(x, y))
#define LT_F(x, y) f_lt(x, y)
#define LE_F(x, y) (!f_lt(y, x))
#define GT_F(x, y) f_lt(y, x)
#define GE_F(x, y) (!f_lt(x, y))
#define EQ_S(x, y) s_eq(x, y)
#define NE_S(x, y) (!s_eq(x, y))
#define LT_S(x, y) (s_cmp(x, y) < 0)
#define LE_S(x, y) (s_cmp(x, y) <= 0)
#define GT_S(x, y) (s_cmp(x, y) > 0)
#define GE_S(x, y) (s_cmp(x, y) >= 0)

/* String comparisons must not touch the payload of NULL rows. */
#define BIN_KERNELS_NN(NAME, TA, FA, VA, TB, FB, VB, TO, FO, EXPR)             \
    static SP_KERNEL(NAME##_vv)                                                \
    {                                                                          \
        const TA *x = args[0].d.FA;                                            \
        const TB *y = args[1].d.FB;                                            \
        TO *o = out->d.FO;                                                     \
        SP_LOOP(sel, n, i, o[i] = !SP_OUT_NULL(out, i) && EXPR(x[i], y[i]););  \
    }                                                                          \
    static SP_KERNEL(NAME##_vc)                                                \
    {                                                                          \
        const TA *x = args[0].d.FA;                                            \
        const TB c = ctx->node->args[1]->val.v.VB;                             \
        TO *o = out->d.FO;                                                     \
        SP_LOOP(sel, n, i, o[i] = !SP_OUT_NULL(out, i) && EXPR(x[i], c););     \
    }                                                                          \
    static SP_KERNEL(NAME##_cv)                                                \
    {                                                                          \
        const TA c = ctx->node->args[0]->val.v.VA;                             \
        const TB *y = args[1].d.FB;                                            \
        TO *o = out->d.FO;                                                     \
        SP_LOOP(sel, n, i, o[i] = !SP_OUT_NULL(out, i) && EXPR(c, y[i]););     \
    }

#define CMP_SET_NN(T, F, V, SFX, TAG)                                          \
    BIN_KERNELS_NN(eq_##TAG, T, F, V, T, F, V, uint8_t, b, EQ_##SFX)           \
    BIN_KERNELS_NN(ne_##TAG, T, F, V, T, F, V, uint8_t, b, NE_##SFX)           \
    BIN_KERNELS_NN(lt_##TAG, T, F, V, T, F, V, uint8_t, b, LT_##SFX)           \
    BIN_KERNELS_NN(le_##TAG, T, F, V, T, F, V, uint8_t, b, LE_##SFX)           \
    BIN_KERNELS_NN(gt_##TAG, T, F, V, T, F, V, uint8_t, b, GT_##SFX)           \
    BIN_KERNELS_NN(ge_##TAG, T, F, V, T, F, V, uint8_t, b, GE_##SFX)

#define CMP_SET(T, F, V, SFX, TAG)                                             \
    BIN_KERNELS(eq_##TAG, T, F, V, T, F, V, uint8_t, b, EQ_##SFX)              \
    BIN_KERNELS(ne_##TAG, T, F, V, T, F, V, uint8_t, b, NE_##SFX)              \
    BIN_KERNELS(lt_##TAG, T, F, V, T, F, V, uint8_t, b, LT_##SFX)              \
    BIN_KERNELS(le_##TAG, T, F, V, T, F, V, uint8_t, b, LE_##SFX)              \
    BIN_KERNELS(gt_##TAG, T, F, V, T, F, V, uint8_t, b, GT_##SFX)              \
    BIN_KERNELS(ge_##TAG, T, F, V, T, F, V, uint8_t, b, GE_##SFX)

CMP_SET(uint8_t, b, b, N, b)
CMP_SET(int64_t, i64, i, N, i)
CMP_SET(double, f64, d, F, f)
CMP_SET_NN(sp_str, str, s, S, s)

#define CMP_ROW(TAG)                                                           \
    {                                                                          \
        {eq_##TAG##_vv, eq_##TAG##_vc, eq_##TAG##_cv},                         \
            {ne_##TAG##_vv, ne_##TAG##_vc, ne_##TAG##_cv},                     \
            {lt_##TAG##_vv, lt_##TAG##_vc, lt_##TAG##_cv},                     \
            {le_##TAG##_vv, le_##TAG##_vc, le_##TAG##_cv},                     \
            {gt_##TAG##_vv, gt_##TAG##_vc, gt_##TAG##_cv},                     \
        {                                                                      \
            ge_##TAG##_vv, ge_##TAG##_vc, ge_##TAG##_cv                        \
        }                                                                      \
    }

/* [storage][op - OP_EQ][shape: vv, vc, cv] */
static const sp_kernel_fn cmp_kernels[4][6][3] = {CMP_ROW(b), CMP_ROW(i),
                                                  CMP_ROW(f), CMP_ROW(s)};

static int storage_of(sp_type t)
{
    switch (t) {
    case SP_T_BOOL:
        return 0;
    case SP_T_DOUBLE:
        return 2;
    case SP_T_VARCHAR:
        return 3;
    default:
        return 1;
    }
}

/* Structs (the WINDOW type) compare by value: start, then end. */
static inline int cmp_window_at(const int64_t *x, const int64_t *y, uint32_t i)
{
    if (x[2 * i] != y[2 * i]) return x[2 * i] < y[2 * i] ? -1 : 1;
    if (x[2 * i + 1] != y[2 * i + 1])
        return x[2 * i + 1] < y[2 * i + 1] ? -1 : 1;
    return 0;
}

static inline bool cmp_holds(int op, int c)
{
    switch (op) {
    case 0:
        return c == 0;
    case 1:
        return c != 0;
    case 2:
        return c < 0;
    case 3:
        return c <= 0;
    case 4:
        return c > 0;
    default:
        return c >= 0;
    }
}

static SP_KERNEL(cmp_window)
{
    int op = SP_FUNC_DEF(ctx->node->fn)->op - OP_EQ;
    const int64_t *x = args[0].d.i64, *y = args[1].d.i64;
    uint8_t *o = out->d.b;
    SP_LOOP(sel, n, i,
            o[i] =
                !SP_OUT_NULL(out, i) && cmp_holds(op, cmp_window_at(x, y, i)););
}

/* VARCHAR = / <> a constant (the hot filter `event_type = 'view'`). The
 * constant's bytes are loaded once per call; a row then costs a length
 * compare and at most two overlapping word loads, without a branch: a row
 * whose length differs, or that is NULL, reads a zeroed dummy instead of
 * its payload (so no payload of a NULL row is touched, and no load runs
 * past a shorter string). Constants over 16 bytes use memcmp. */
static const char s_dummy[16];

static inline uint64_t ld64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t ld32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The loop of both: o[i] = (x[i] = c) ^ ne, or, when `outsel` is set,
 * the rows where that holds (and x[i] is not NULL) into outsel. `nl` is
 * the NULL array that applies (out->nulls for the kernel, x's for a
 * select). Returns the number of rows selected (select mode). */
static uint32_t str_eq_const(const sp_str *x, sp_str c, uint8_t ne,
                             const uint8_t *nl, const uint32_t *sel, uint32_t n,
                             uint8_t *o, uint32_t *outsel)
{
    const uint32_t L = c.len;
    uint32_t m = 0;
/* ok: not NULL and of the constant's length; p: what may be read (picked
 * by a mask: a conditional here would be an unpredictable branch) */
#define EQC_ROW(NUL, CMP)                                                      \
    {                                                                          \
        uint8_t nn = (NUL), ok = (uint8_t)((x[i].len == L) & !nn);             \
        uintptr_t mk = (uintptr_t)0 - ok;                                      \
        const char *p =                                                        \
            (const char *)(((uintptr_t)x[i].ptr & mk) | (dummy & ~mk));        \
        uint8_t res = (uint8_t)((ok & (CMP)) ^ (ne & !nn));                    \
        if (outsel) {                                                          \
            outsel[m] = i;                                                     \
            m += res;                                                          \
        } else {                                                               \
            o[i] = res;                                                        \
        }                                                                      \
    }
#define EQC_LOOP(CMP)                                                          \
    do {                                                                       \
        if (nl)                                                                \
            SP_LOOP(sel, n, i, EQC_ROW(nl[i], CMP));                           \
        else                                                                   \
            SP_LOOP(sel, n, i, EQC_ROW(0, CMP));                               \
    } while (0)
    const uintptr_t dummy = (uintptr_t)s_dummy;
    if (L > 16) {
        EQC_LOOP(((void)p, ok && memcmp(x[i].ptr, c.ptr, L) == 0));
    } else if (L >= 8) {
        const uint64_t a = ld64(c.ptr), b = ld64(c.ptr + L - 8);
        EQC_LOOP((int)(ld64(p) == a) & (int)(ld64(p + L - 8) == b));
    } else if (L >= 4) {
        const uint32_t a = ld32(c.ptr), b = ld32(c.ptr + L - 4);
        EQC_LOOP((int)(ld32(p) == a) & (int)(ld32(p + L - 4) == b));
    } else if (L > 0) {
        const char a = c.ptr[0], md = c.ptr[L / 2], z = c.ptr[L - 1];
        EQC_LOOP((int)(p[0] == a) & (int)(p[L / 2] == md) &
                 (int)(p[L - 1] == z));
    } else {
        EQC_LOOP(((void)p, 1));
    }
#undef EQC_LOOP
#undef EQC_ROW
    return m;
}

static SP_KERNEL(eq_s_vk)
{
    str_eq_const(args[0].d.str, ctx->node->args[1]->val.v.s, 0, out->nulls, sel,
                 n, out->d.b, NULL);
}
static SP_KERNEL(eq_s_kv)
{
    str_eq_const(args[1].d.str, ctx->node->args[0]->val.v.s, 0, out->nulls, sel,
                 n, out->d.b, NULL);
}
static SP_KERNEL(ne_s_vk)
{
    str_eq_const(args[0].d.str, ctx->node->args[1]->val.v.s, 1, out->nulls, sel,
                 n, out->d.b, NULL);
}
static SP_KERNEL(ne_s_kv)
{
    str_eq_const(args[1].d.str, ctx->node->args[0]->val.v.s, 1, out->nulls, sel,
                 n, out->d.b, NULL);
}

/* The filter's form (sp_expr.select): x is the non-constant side. */
static uint32_t str_eq_select(const sp_expr *e, const sp_vec *x,
                              const uint32_t *sel, uint32_t n, uint32_t *outsel)
{
    const sp_expr *k = e->args[e->direct_const == 2u ? 1 : 0];
    uint8_t ne = SP_FUNC_DEF(e->fn)->op == OP_NE;
    if (x->type != SP_T_VARCHAR) return 0; /* a NULL-typed side */
    return str_eq_const(x->d.str, k->val.v.s, ne, x->nulls, sel, n, NULL,
                        outsel);
}

static int resolve_cmp(const sp_func *f, const sp_type *t, int n, sp_type *want,
                       sp_type *ret, sp_err *err)
{
    sp_type c;
    if (sp_type_common(t[0], t[1], &c) != 0) {
        sp_expr_bad_arg_ = -1;
        sp_err_set(err, SP_EANALYSIS, "cannot compare %s with %s",
                   sp_type_name(t[0]), sp_type_name(t[1]));
        sp_err_hint(err,
                    "cast one side to the other's type, for example "
                    "CAST(x AS %s)",
                    sp_type_name(t[1]));
        return SP_EANALYSIS;
    }
    want[0] = want[1] = c;
    *ret = SP_T_BOOL;
    return 0;
}

static sp_kernel_fn pick_cmp(const sp_func *f, const sp_type *t, int n)
{
    if (t[0] == SP_T_NULL) return k_noop;
    if (t[0] == SP_T_WINDOW) return cmp_window;
    return cmp_kernels[storage_of(t[0])][SP_FUNC_DEF(f)->op - OP_EQ][0];
}

static int prepare_cmp(sp_expr *e, sp_arena *a, sp_err *err)
{
    bool c0 = e->args[0]->kind == SP_E_CONST && !e->args[0]->val.is_null;
    bool c1 = e->args[1]->kind == SP_E_CONST && !e->args[1]->val.is_null;
    if (c0 == c1 || e->args[0]->type == SP_T_NULL ||
        e->args[0]->type == SP_T_WINDOW)
        return 0;
    int op = SP_FUNC_DEF(e->fn)->op - OP_EQ;
    const sp_kernel_fn *row = cmp_kernels[storage_of(e->args[0]->type)][op];
    e->kernel = c1 ? row[1] : row[2];
    if (e->args[0]->type == SP_T_VARCHAR && op <= 1) {
        e->kernel =
            op == 0 ? (c1 ? eq_s_vk : eq_s_kv) : (c1 ? ne_s_vk : ne_s_kv);
        e->select = str_eq_select;
    }
    e->direct_const = c1 ? 2u : 1u;
    return 0;
}

/* ------------------------------------------------------------------------
 * Math
 * ---------------------------------------------------------------------- */

static int resolve_num_same(const sp_func *f, const sp_type *t, int n,
                            sp_type *want, sp_type *ret, sp_err *err)
{
    sp_type a = t[0];
    if (a == SP_T_NULL) a = SP_T_BIGINT;
    if (a == SP_T_VARCHAR) a = SP_T_DOUBLE;
    bool iv_ok = SP_FUNC_DEF(f)->op == 1; /* abs accepts INTERVAL */
    if (!is_num(a) && !(iv_ok && a == SP_T_INTERVAL)) {
        sp_expr_bad_arg_ = 0;
        return sp_err_set(err, SP_EANALYSIS,
                          "function %s() expects a number (BIGINT or DOUBLE) "
                          "for argument 1, got %s",
                          f->name, sp_type_name(t[0]));
    }
    want[0] = a;
    for (int i = 1; i < n; i++)
        if (sp_func_want(f, i, t[i], SP_T_BIGINT, want, err) != 0)
            return err->code;
    *ret = a;
    return 0;
}

static SP_KERNEL(abs_i)
{
    const int64_t *x = args[0].d.i64;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, o[i] = x[i] < 0 ? SUB_I(0, x[i]) : x[i];);
}

static SP_KERNEL(abs_f)
{
    const double *x = args[0].d.f64;
    double *o = out->d.f64;
    SP_LOOP(sel, n, i, o[i] = fabs(x[i]););
}

static sp_kernel_fn pick_abs(const sp_func *f, const sp_type *t, int n)
{
    return t[0] == SP_T_DOUBLE ? abs_f : abs_i;
}

/* Rounds the decimal text of d (Java's Double.toString, which is what
 * Scala's BigDecimal(d) uses) to `scale` fraction digits, HALF_UP. */
static double round_decimal_slow(double d, int scale)
{
    char s[40], dg[40];
    sp_fmt_double(d, s);
    /* Collect digits and the position of the decimal point. */
    int nd = 0, point = -1, exp10 = 0;
    bool neg = s[0] == '-';
    for (const char *p = s + neg; *p; p++) {
        if (*p == '.')
            point = nd;
        else if (*p == 'E') {
            exp10 = atoi(p + 1);
            break;
        } else
            dg[nd++] = *p;
    }
    if (point < 0) point = nd;
    point += exp10;           /* digits before the decimal point */
    int keep = point + scale; /* digits to keep */
    if (keep >= nd) return d;
    if (keep < 0) return neg ? -0.0 : 0.0;
    bool up = dg[keep] >= '5';
    /* Propagate the carry through the kept digits. */
    char buf[64];
    int bl = 0;
    buf[bl++] = '0'; /* room for a carry */
    memcpy(buf + bl, dg, (size_t)keep);
    bl += keep;
    if (up) {
        int k = bl - 1;
        while (k >= 0) {
            if (buf[k] == '9') {
                buf[k] = '0';
                k--;
            } else {
                buf[k]++;
                break;
            }
        }
    }
    buf[bl] = '\0';
    char txt[96];
    snprintf(txt, sizeof txt, "%s%se%d", neg ? "-" : "", buf, point - keep);
    return strtod(txt, NULL);
}

static double round_half_up(double d, int64_t scale)
{
    if (!isfinite(d)) return d;
    if (scale > 300) return d;
    if (scale < -330) return d < 0 ? -0.0 : 0.0;
    if (scale >= 0 && scale <= 15) {
        static const double p10[] = {1e0,  1e1,  1e2,  1e3, 1e4,  1e5,
                                     1e6,  1e7,  1e8,  1e9, 1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15};
        double m = p10[scale];
        double sc = d * m;
        double a = fabs(sc);
        if (a < 1e11) {
            double fl = floor(a);
            double fr = a - fl;
            if (fabs(fr - 0.5) > 1e-4) {
                double k = fr > 0.5 ? fl + 1 : fl;
                double r = k / m;
                return d < 0 ? -r : r;
            }
        }
    }
    return round_decimal_slow(d, (int)scale);
}

static SP_KERNEL(round_f)
{
    const double *x = args[0].d.f64;
    const int64_t *s = n_args > 1 ? args[1].d.i64 : NULL;
    double *o = out->d.f64;
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i)) o[i] = round_half_up(x[i], s ? s[i] : 0);
    });
}

static SP_KERNEL(round_i)
{
    const int64_t *x = args[0].d.i64;
    const int64_t *s = n_args > 1 ? args[1].d.i64 : NULL;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, {
        int64_t sc = s ? s[i] : 0, v = x[i];
        if (sc >= 0 || SP_OUT_NULL(out, i)) {
            o[i] = v;
        } else if (sc < -18) {
            o[i] = 0;
        } else {
            int64_t p = 1;
            for (int64_t k = 0; k < -sc; k++) p *= 10;
            int64_t q = v / p, r = v % p;
            if (r >= (p + 1) / 2 && p > 1)
                q++;
            else if (-r >= (p + 1) / 2 && p > 1)
                q--;
            o[i] = MUL_I(q, p);
        }
    });
}

static sp_kernel_fn pick_round(const sp_func *f, const sp_type *t, int n)
{
    return t[0] == SP_T_DOUBLE ? round_f : round_i;
}

/* Java's (long) conversion: NaN -> 0, saturating. */
static int64_t d2l(double v)
{
    if (v != v) return 0;
    if (v >= 9223372036854775807.0) return INT64_MAX;
    if (v <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v;
}

static int resolve_floor(const sp_func *f, const sp_type *t, int n,
                         sp_type *want, sp_type *ret, sp_err *err)
{
    int rc = resolve_num_same(f, t, n, want, ret, err);
    *ret = SP_T_BIGINT;
    return rc;
}

static SP_KERNEL(floor_f)
{
    const double *x = args[0].d.f64;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, o[i] = d2l(floor(x[i])););
}
static SP_KERNEL(ceil_f)
{
    const double *x = args[0].d.f64;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, o[i] = d2l(ceil(x[i])););
}
static SP_KERNEL(copy_i)
{
    const int64_t *x = args[0].d.i64;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, o[i] = x[i];);
}
static sp_kernel_fn pick_floor(const sp_func *f, const sp_type *t, int n)
{
    if (t[0] != SP_T_DOUBLE) return copy_i;
    return SP_FUNC_DEF(f)->op == 1 ? ceil_f : floor_f;
}

#define UNARY_F(NAME, EXPR)                                                    \
    static SP_KERNEL(NAME)                                                     \
    {                                                                          \
        const double *x = args[0].d.f64;                                       \
        double *o = out->d.f64;                                                \
        SP_LOOP(sel, n, i, {                                                   \
            double v = x[i];                                                   \
            o[i] = (EXPR);                                                     \
        });                                                                    \
    }

UNARY_F(sqrt_f, sqrt(v))
UNARY_F(exp_f, exp(v))
UNARY_F(sign_f, v > 0 ? 1.0 : v < 0 ? -1.0 : v)

/* Spark's logarithms give NULL for x <= 0. */
#define LOG_F(NAME, FN)                                                        \
    static SP_KERNEL(NAME)                                                     \
    {                                                                          \
        const double *x = args[0].d.f64;                                       \
        double *o = out->d.f64;                                                \
        SP_LOOP(sel, n, i, {                                                   \
            double v = x[i];                                                   \
            if (v <= 0) {                                                      \
                out->nulls[i] = 1;                                             \
                o[i] = 0;                                                      \
            } else {                                                           \
                o[i] = FN(v);                                                  \
            }                                                                  \
        });                                                                    \
    }
LOG_F(ln_f, log)
LOG_F(log10_f, log10)
LOG_F(log2_f, log2)

static SP_KERNEL(pow_f)
{
    const double *x = args[0].d.f64, *y = args[1].d.f64;
    double *o = out->d.f64;
    SP_LOOP(sel, n, i, o[i] = pow(x[i], y[i]););
}

/* greatest/least: NULLs are skipped; NULL only when all are NULL. */
static int resolve_greatest(const sp_func *f, const sp_type *t, int n,
                            sp_type *want, sp_type *ret, sp_err *err)
{
    sp_type c = t[0];
    for (int i = 1; i < n; i++) {
        sp_type nc;
        bool ok = sp_type_common(c, t[i], &nc) == 0;
        /* No string promotion here (as Spark): VARCHAR mixes only with
         * VARCHAR. */
        if (ok && (c == SP_T_VARCHAR) != (t[i] == SP_T_VARCHAR) &&
            c != SP_T_NULL && t[i] != SP_T_NULL)
            ok = false;
        if (!ok) {
            sp_expr_bad_arg_ = i;
            return sp_err_set(err, SP_EANALYSIS,
                              "function %s() needs arguments of one type: "
                              "argument %d is %s, the ones before are %s",
                              f->name, i + 1, sp_type_name(t[i]),
                              sp_type_name(c));
        }
        c = nc;
    }
    for (int i = 0; i < n; i++) want[i] = c;
    *ret = c;
    return 0;
}

static SP_KERNEL(greatest_k)
{
    bool least = SP_FUNC_DEF(ctx->node->fn)->op == 1;
    sp_type t = out->type;
    SP_LOOP(sel, n, i, {
        int best = -1;
        for (int j = 0; j < n_args; j++) {
            const sp_vec *v = &args[j];
            if (t == SP_T_NULL || sp_vec_is_null(v, i)) continue;
            if (best < 0) {
                best = j;
                continue;
            }
            const sp_vec *b = &args[best];
            int c;
            switch (t) {
            case SP_T_BOOL:
                c = (v->d.b[i] > b->d.b[i]) - (v->d.b[i] < b->d.b[i]);
                break;
            case SP_T_DOUBLE:
                c = f_lt(b->d.f64[i], v->d.f64[i])
                        ? 1
                        : (f_eq(b->d.f64[i], v->d.f64[i]) ? 0 : -1);
                break;
            case SP_T_VARCHAR:
                c = s_cmp(v->d.str[i], b->d.str[i]);
                break;
            default:
                c = (v->d.i64[i] > b->d.i64[i]) - (v->d.i64[i] < b->d.i64[i]);
            }
            if (least ? c < 0 : c > 0) best = j;
        }
        if (best < 0) {
            out->nulls[i] = 1;
        } else {
            size_t w = sp_type_width(t);
            memcpy((char *)out->d.raw + (size_t)i * w,
                   (const char *)args[best].d.raw + (size_t)i * w, w);
        }
    });
}

static sp_kernel_fn pick_greatest(const sp_func *f, const sp_type *t, int n)
{
    return greatest_k;
}

/* ------------------------------------------------------------------------
 * The catalog: operators and math
 * ---------------------------------------------------------------------- */

#define T(x) SP_T_##x
#define NUM  SP_SIG_NUM

#define OPROW(nm, o, rs, pk, pr, mn, hp)                                       \
    {                                                                          \
        {.name = nm,                                                           \
         .min_args = 2,                                                        \
         .max_args = 2,                                                        \
         .strict = true,                                                       \
         .resolve = rs,                                                        \
         .kernel = pk,                                                         \
         .prepare = pr,                                                        \
         .help = hp,                                                           \
         .may_null = mn},                                                      \
            .op = o                                                            \
    }

static const sp_func_def core_defs[] = {
    OPROW("+", OP_ADD, resolve_arith, pick_arith, prepare_arith, false,
          "a + b: numbers; TIMESTAMP + INTERVAL; INTERVAL + INTERVAL"),
    OPROW("-", OP_SUB, resolve_arith, pick_arith, prepare_arith, false,
          "a - b: numbers; TIMESTAMP - INTERVAL; TIMESTAMP - TIMESTAMP -> "
          "INTERVAL"),
    OPROW("*", OP_MUL, resolve_arith, pick_arith, prepare_arith, false,
          "a * b: numbers; INTERVAL * number"),
    OPROW("/", OP_DIV, resolve_arith, pick_arith, prepare_arith, true,
          "a / b -> DOUBLE (always fractional); NULL when b = 0"),
    OPROW("%", OP_MOD, resolve_arith, pick_arith, NULL, true,
          "a % b: remainder with the sign of a; NULL when b = 0"),
    OPROW("=", OP_EQ, resolve_cmp, pick_cmp, prepare_cmp, false,
          "a = b -> BOOLEAN"),
    OPROW("<>", OP_NE, resolve_cmp, pick_cmp, prepare_cmp, false,
          "a <> b -> BOOLEAN"),
    OPROW("<", OP_LT, resolve_cmp, pick_cmp, prepare_cmp, false,
          "a < b -> BOOLEAN"),
    OPROW("<=", OP_LE, resolve_cmp, pick_cmp, prepare_cmp, false,
          "a <= b -> BOOLEAN"),
    OPROW(">", OP_GT, resolve_cmp, pick_cmp, prepare_cmp, false,
          "a > b -> BOOLEAN"),
    OPROW(">=", OP_GE, resolve_cmp, pick_cmp, prepare_cmp, false,
          "a >= b -> BOOLEAN"),
    {{.name = "neg",
      .min_args = 1,
      .max_args = 1,
      .strict = true,
      .resolve = resolve_neg,
      .kernel = pick_neg,
      .help = "-a: unary minus of a number or INTERVAL"},
     .op = OP_NEG},
    {{.name = "abs",
      .min_args = 1,
      .max_args = 1,
      .strict = true,
      .resolve = resolve_num_same,
      .kernel = pick_abs,
      .help = "abs(x): absolute value (BIGINT, DOUBLE or INTERVAL)"},
     .op = 1},
    {{.name = "round",
      .min_args = 1,
      .max_args = 2,
      .strict = true,
      .resolve = resolve_num_same,
      .kernel = pick_round,
      .help = "round(x[, d]): x rounded HALF_UP to d decimals (default 0)"},
     .op = 0},
    {{.name = "floor",
      .min_args = 1,
      .max_args = 1,
      .strict = true,
      .resolve = resolve_floor,
      .kernel = pick_floor,
      .help = "floor(x) -> BIGINT: largest integer <= x"},
     .op = 0},
    {{.name = "ceil",
      .min_args = 1,
      .max_args = 1,
      .strict = true,
      .resolve = resolve_floor,
      .kernel = pick_floor,
      .help = "ceil(x) -> BIGINT: smallest integer >= x"},
     .op = 1},
    {{.name = "ceiling",
      .min_args = 1,
      .max_args = 1,
      .strict = true,
      .resolve = resolve_floor,
      .kernel = pick_floor,
      .help = "ceiling(x): same as ceil(x)"},
     .op = 1},
#define MATHROW(nm, kn, mn, hp)                                                \
    {                                                                          \
        {.name = nm,                                                           \
         .min_args = 1,                                                        \
         .max_args = 1,                                                        \
         .strict = true,                                                       \
         .resolve = sp_func_resolve_sig,                                       \
         .kernel = sp_func_pick_sig,                                           \
         .help = hp,                                                           \
         .may_null = mn},                                                      \
            .sig = {T(DOUBLE)}, .ret = T(DOUBLE), .k = kn                      \
    }
    MATHROW("sqrt", sqrt_f, false, "sqrt(x) -> DOUBLE (NaN for x < 0)"),
    MATHROW("exp", exp_f, false, "exp(x) -> DOUBLE: e raised to x"),
    MATHROW("ln", ln_f, true, "ln(x) -> DOUBLE: natural log; NULL for x <= 0"),
    MATHROW("log10", log10_f, true, "log10(x) -> DOUBLE; NULL for x <= 0"),
    MATHROW("log2", log2_f, true, "log2(x) -> DOUBLE; NULL for x <= 0"),
    MATHROW("sign", sign_f, false, "sign(x) -> DOUBLE: -1.0, 0.0 or 1.0"),
    MATHROW("signum", sign_f, false, "signum(x): same as sign(x)"),
    {{.name = "pow",
      .min_args = 2,
      .max_args = 2,
      .strict = true,
      .resolve = sp_func_resolve_sig,
      .kernel = sp_func_pick_sig,
      .help = "pow(x, y) -> DOUBLE: x raised to y"},
     .sig = {T(DOUBLE), T(DOUBLE)},
     .ret = T(DOUBLE),
     .k = pow_f},
    {{.name = "power",
      .min_args = 2,
      .max_args = 2,
      .strict = true,
      .resolve = sp_func_resolve_sig,
      .kernel = sp_func_pick_sig,
      .help = "power(x, y): same as pow(x, y)"},
     .sig = {T(DOUBLE), T(DOUBLE)},
     .ret = T(DOUBLE),
     .k = pow_f},
    {{.name = "greatest",
      .min_args = 2,
      .max_args = -1,
      .strict = false,
      .resolve = resolve_greatest,
      .kernel = pick_greatest,
      .help = "greatest(a, b, ...): largest non-NULL argument"},
     .op = 0},
    {{.name = "least",
      .min_args = 2,
      .max_args = -1,
      .strict = false,
      .resolve = resolve_greatest,
      .kernel = pick_greatest,
      .help = "least(a, b, ...): smallest non-NULL argument"},
     .op = 1},
};

/* ------------------------------------------------------------------------
 * Lookup
 * ---------------------------------------------------------------------- */

static const struct {
    const sp_func_def *defs;
    const int *count;
} k_parts[] = {
    {core_defs, NULL},
    {sp_func_str_defs, &sp_func_str_count},
    {sp_func_time_defs, &sp_func_time_count},
};

static int part_count(size_t p)
{
    return k_parts[p].count ? *k_parts[p].count : (int)SP_ARRAY_LEN(core_defs);
}

const sp_func *sp_func_at(int i)
{
    if (i < 0) return NULL;
    for (size_t p = 0; p < SP_ARRAY_LEN(k_parts); p++) {
        int c = part_count(p);
        if (i < c) return &k_parts[p].defs[i].f;
        i -= c;
    }
    return NULL;
}

const sp_func *sp_func_lookup(const char *name, size_t len)
{
    for (size_t p = 0; p < SP_ARRAY_LEN(k_parts); p++) {
        int c = part_count(p);
        for (int i = 0; i < c; i++) {
            const char *fn = k_parts[p].defs[i].f.name;
            if (strlen(fn) == len && strncasecmp(fn, name, len) == 0)
                return &k_parts[p].defs[i].f;
        }
    }
    /* Operator spelling aliases. */
    if (len == 2 && memcmp(name, "!=", 2) == 0) return sp_func_lookup("<>", 2);
    if (len == 2 && memcmp(name, "==", 2) == 0) return sp_func_lookup("=", 1);
    return NULL;
}
