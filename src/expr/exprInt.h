/*
 * exprInt.h -- private to src/expr: the loop macro kernels are written
 * with, the catalog row type, casts, and the pattern compilers (LIKE,
 * regex, datetime) shared by the function files.
 */
#ifndef SP_EXPR_INT_H
#define SP_EXPR_INT_H

#include "expr/expr.h"

#include <regex.h>

/* Runs the statement(s) for every live row index `i`: sel[0..n) or, when
 * sel is NULL, 0..n-1 (a dense loop the compiler can vectorise). */
#define SP_LOOP(sel, n, i, ...)                                                \
    do {                                                                       \
        if (sel) {                                                             \
            for (uint32_t k_ = 0; k_ < (n); k_++) {                            \
                const uint32_t i = (sel)[k_];                                  \
                __VA_ARGS__                                                    \
            }                                                                  \
        } else {                                                               \
            for (uint32_t i = 0; i < (n); i++) {                               \
                __VA_ARGS__                                                    \
            }                                                                  \
        }                                                                      \
    } while (0)

/* True if row i of a kernel's output is NULL (already decided). */
#define SP_OUT_NULL(out, i) ((out)->nulls && (out)->nulls[i])

#define SP_KERNEL(name)                                                        \
    void name(sp_kernel_ctx *ctx, sp_vec *args, int n_args,                    \
              const uint32_t *sel, uint32_t n, sp_vec *out)

/* Pseudo types for signatures in the catalog (beyond sp_type). */
enum {
    SP_SIG_NUM = SP_T__COUNT, /* BIGINT or DOUBLE (VARCHAR -> DOUBLE) */
    SP_SIG_ANY                /* any type, left as is */
};

/* A catalog row: sp_func first (sp_func_at returns &row->f), then the
 * data the generic resolvers and kernel pickers use. */
typedef struct sp_func_def {
    sp_func f;
    int sig[4];     /* argument types (sp_type or SP_SIG_*); the last
                       repeats for variadic functions */
    int ret;        /* result type, or SP_SIG_NUM = same as arg 0 */
    sp_kernel_fn k; /* kernel for fixed signatures */
    int op;         /* operator/function variant code */
} sp_func_def;

#define SP_FUNC_DEF(f) ((const sp_func_def *)(f))

/* Set by resolvers to the failing argument index (read by
 * sp_expr_call_ex). */
extern _Thread_local int sp_expr_bad_arg_;

/* Checks arg i against a wanted type with implicit casts; sets want[i]. */
int sp_func_want(const sp_func *f, int i, sp_type have, sp_type target,
                 sp_type *want, sp_err *err);

/* --- Catalog parts (func_*.c) ------------------------------------------- */

extern const sp_func_def sp_func_str_defs[];
extern const int sp_func_str_count;
extern const sp_func_def sp_func_time_defs[];
extern const int sp_func_time_count;
int sp_func_resolve_sig(const sp_func *f, const sp_type *t, int n,
                        sp_type *want, sp_type *ret, sp_err *err);
sp_kernel_fn sp_func_pick_sig(const sp_func *f, const sp_type *t, int n);

/* --- Casts (cast.c) ----------------------------------------------------- */

/* True if CAST(from AS to) is allowed. */
bool sp_cast_allowed(sp_type from, sp_type to);
/* True if the cast can give NULL for a non-NULL input. */
bool sp_cast_may_null(sp_type from, sp_type to);
/* Casts the live rows of `in` into `out` (allocated by the caller with
 * type `to`; out->nulls set up as for a kernel: non-NULL when input rows
 * are NULL or the cast may introduce NULLs). Strings go to `a`. */
int sp_cast_vec(const sp_vec *in, sp_type to, const uint32_t *sel, uint32_t n,
                sp_vec *out, sp_arena *a);
/* Scalar string parses with Spark's non-ANSI rules; 0 or -1. */
int sp_cast_str_i64(sp_str s, int64_t *out);
int sp_cast_str_f64(sp_str s, double *out);
int sp_cast_str_bool(sp_str s, bool *out);

/* --- Strings and patterns (func_str.c) ----------------------------------- */

/* Number of UTF-8 code points. */
int64_t sp_utf8_len(const char *p, uint32_t n);

typedef struct sp_like sp_like;
/* Compiles a LIKE pattern (escape '\'); nocase for ILIKE (ASCII folding
 * plus the common 2-byte scripts). NULL on OOM or a bad escape. */
sp_like *sp_like_compile(sp_str pat, bool nocase, sp_arena *a,
                         const char **why);
bool sp_like_match(const sp_like *l, sp_str s);

/* Compiles a POSIX extended regex (REG_EXTENDED | flags). regex_t owns
 * heap memory that no arena can free, so kernels compile a constant pattern
 * once per call (per batch) and regfree it at the end; prepare() compiles
 * only to report a bad pattern at bind time. Returns 0 or -1 with the
 * reason in why. */
int sp_regex_compile(regex_t *re, sp_str pat, int flags, char *why,
                     size_t why_len);

/* --- Datetime patterns (func_time.c) ------------------------------------ */

typedef struct sp_dtfmt sp_dtfmt;
sp_dtfmt *sp_dtfmt_compile(sp_str pat, sp_arena *a, const char **why);
/* Formats into buf (>= 128 bytes); returns the length. */
int sp_dtfmt_format(const sp_dtfmt *f, int64_t us, char *buf);
int sp_dtfmt_parse(const sp_dtfmt *f, sp_str s, int64_t *us);

#endif /* SP_EXPR_INT_H */
