/*
 * expr.h -- typed scalar expressions and their vectorized evaluation.
 *
 * The analyzer (src/sql/bind.c) turns syntax (sp_ast_expr) into an sp_expr
 * tree whose every node has a resolved type. Evaluation is vectorized: one
 * call computes a node for all live rows of a batch into a vector, children
 * first. Only live rows (the batch's selection) are computed; other
 * positions of the result are unspecified.
 *
 * Semantics follow Spark SQL with ANSI mode off (Spark 3.x default): a cast
 * that cannot convert yields NULL, integer division by zero yields NULL,
 * integer overflow wraps. Three-valued logic for AND/OR/NOT.
 *
 * Memory: an sp_expr tree is immutable after binding and may be evaluated
 * by several threads at once. Evaluation allocates result vectors and
 * string payloads in the arena passed in (the batch's scratch arena); it
 * never mallocs per row.
 */
#ifndef SP_EXPR_H
#define SP_EXPR_H

#include "core/core.h"

typedef enum sp_expr_kind {
    SP_E_COL,     /* input column `col` */
    SP_E_CONST,   /* constant `val` */
    SP_E_CALL,    /* scalar function/operator `fn` over args */
    SP_E_CAST,    /* CAST(args[0] AS type) */
    SP_E_AND,     /* args[0] AND args[1] (three-valued) */
    SP_E_OR,      /* args[0] OR args[1] */
    SP_E_NOT,     /* NOT args[0] */
    SP_E_IS_NULL, /* args[0] IS NULL; negated: IS NOT NULL */
    SP_E_IN,      /* args[0] IN (args[1..]); negated: NOT IN */
    SP_E_CASE,    /* searched CASE: args = w0,t0,w1,t1,...[,else]; has_else */
    SP_E_COALESCE /* first non-NULL of args */
} sp_expr_kind;

struct sp_func;
struct sp_kernel_ctx;

typedef struct sp_expr {
    sp_expr_kind kind;
    sp_type type;             /* result type */
    bool negated;             /* IS_NULL, IN */
    bool has_else;            /* CASE */
    int col;                  /* COL: input column index */
    sp_value val;             /* CONST (strings live in the query arena) */
    const struct sp_func *fn; /* CALL */
    struct sp_expr **args;
    int n_args;
    void *aux; /* per-node precomputed data (LIKE/regex
                  pattern, ...), immutable after binding */
    /* Added by the expr module: */
    void (*kernel)(struct sp_kernel_ctx *, struct sp_vec *, int,
                   const uint32_t *, uint32_t, struct sp_vec *);
    /* CALL: kernel picked at bind time (may be a
       variant specialised for constant args) */
    uint32_t direct_const; /* CALL: bit i set = the kernel reads args[i]
                              (a non-NULL CONST) from the node; the
                              evaluator does not materialise it */
    /* CALL, optional (a comparison with one constant side): what a filter
     * calls instead of the kernel. Given the non-constant argument x
     * (evaluated on the same rows), writes to outsel the rows of
     * sel[0..n) (or 0..n-1) where the call is TRUE -- never a NULL row --
     * and returns their count; outsel may be sel. */
    uint32_t (*select)(const struct sp_expr *, const struct sp_vec *x,
                       const uint32_t *sel, uint32_t n, uint32_t *outsel);
} sp_expr;

/* --- Function catalog -------------------------------------------------- */

/* A kernel computes a function for the live rows `sel[0..n)` of its
 * argument vectors (already evaluated, NULLs possible) into `out`, which
 * the caller allocated with the node's type and a nulls array. Kernels
 * for "strict" functions may rely on the caller having set out->nulls for
 * rows where any argument is NULL and skip them (see sp_func.strict).
 *
 * Precisely (expr module convention): `sel` may be NULL, meaning the rows
 * 0..n-1. For a strict function out->nulls is NULL when no argument row is
 * NULL and the function cannot introduce NULLs (!may_null); otherwise it
 * is a fresh array the kernel may write. A kernel skips (or harmlessly
 * computes) rows where out->nulls[i] is set; it must not read string
 * payloads of such rows. Non-strict kernels always get a zeroed nulls
 * array and handle argument NULLs themselves. */
typedef struct sp_kernel_ctx {
    const sp_expr *node; /* the call node (node->aux for patterns) */
    sp_arena *arena;     /* for string results */
    bool oom;            /* set by a kernel whose arena allocation failed;
                            the evaluator then returns SP_ENOMEM */
} sp_kernel_ctx;

typedef void (*sp_kernel_fn)(sp_kernel_ctx *ctx, sp_vec *args, int n_args,
                             const uint32_t *sel, uint32_t n, sp_vec *out);

typedef struct sp_func {
    const char *name;       /* lower-case SQL name or operator ("+", "=") */
    int min_args, max_args; /* max -1 = variadic */
    bool strict;            /* NULL in any arg -> NULL out, kernel not
                               called for those rows */
    /* Checks argument types and decides the result type. May ask for
     * casts: it writes the wanted type of each argument to want[i]
     * (SP_T_NULL = leave as is). Returns 0, or SP_EANALYSIS with a message
     * naming the function, the argument and the accepted types. */
    int (*resolve)(const struct sp_func *f, const sp_type *arg_types,
                   int n_args, sp_type *want, sp_type *ret, sp_err *err);
    /* Picks the kernel once types are final (called at bind time). */
    sp_kernel_fn (*kernel)(const struct sp_func *f, const sp_type *arg_types,
                           int n_args);
    /* Optional: precompute aux from constant args (LIKE pattern, regex).
     * Returns 0 or an error (bad pattern). */
    int (*prepare)(sp_expr *call, sp_arena *a, sp_err *err);
    const char *help; /* one line: signature and meaning */
    bool may_null;    /* can return NULL for non-NULL args (x / 0, a
                         failed parse) */
} sp_func;

/* Looks up a function or operator by name (case-insensitive). NULL if
 * unknown. */
const sp_func *sp_func_lookup(const char *name, size_t len);
/* Iterates the catalog (for docs and "did you mean"). */
const sp_func *sp_func_at(int i); /* NULL past the end */

/* --- Building trees (used by the binder) ------------------------------- */

sp_expr *sp_expr_col(sp_arena *a, int col, sp_type t);
sp_expr *sp_expr_const(sp_arena *a, const sp_value *v); /* copies strings */
/* Builds a call: resolves types, inserts casts, picks the kernel, runs
 * prepare. NULL on error (err set). */
sp_expr *sp_expr_call(sp_arena *a, const sp_func *f, sp_expr **args, int n_args,
                      sp_err *err);
/* Wraps e in a cast to t (returns e if already of type t). NULL and an
 * error if the cast is not allowed (e.g. BOOLEAN -> TIMESTAMP). */
sp_expr *sp_expr_cast(sp_arena *a, sp_expr *e, sp_type t, sp_err *err);
/* Generic node (AND, OR, NOT, IS_NULL, IN, CASE, COALESCE): the caller
 * fills fields; this allocates. */
sp_expr *sp_expr_new(sp_arena *a, sp_expr_kind k, sp_type t, int n_args);
/* Common supertype for comparison/CASE/COALESCE/IN (BIGINT+DOUBLE ->
 * DOUBLE, NULL+x -> x, VARCHAR+TIMESTAMP -> TIMESTAMP, ...). Returns 0 or
 * -1 if there is none. */
int sp_type_common(sp_type a, sp_type b, sp_type *out);
/* Spark's "wider" type for CASE/COALESCE/IF/IN branches: like
 * sp_type_common, but a VARCHAR with any non-BOOLEAN type gives VARCHAR
 * (Spark's string promotion). Returns 0 or -1. */
int sp_type_wider(sp_type a, sp_type b, sp_type *out);
/* True if Spark would insert this cast implicitly (function arguments):
 * numeric<->numeric, VARCHAR -> BIGINT/DOUBLE/TIMESTAMP, anything ->
 * VARCHAR, NULL -> anything. */
bool sp_type_implicit(sp_type from, sp_type to);
/* Like sp_expr_call; on a type error *bad_arg is the index of the
 * offending argument (-1 when not one argument), for error positions. */
sp_expr *sp_expr_call_ex(sp_arena *a, const sp_func *f, sp_expr **args,
                         int n_args, int *bad_arg, sp_err *err);
/* Builds x [NOT] IN (list...): casts all to their wider type and, when the
 * list is constant, precomputes a lookup set. NULL on error. */
sp_expr *sp_expr_in(sp_arena *a, sp_expr *x, sp_expr **list, int n_list,
                    bool negated, sp_err *err);
/* Builds a searched CASE from n_whens (cond, value) pairs and an optional
 * else (may be NULL): casts conditions to BOOLEAN and values to their
 * wider type. Also used for if() and nullif(). */
sp_expr *sp_expr_case(sp_arena *a, sp_expr **conds, sp_expr **vals, int n_whens,
                      sp_expr *else_, sp_err *err);
/* Builds coalesce(args...) with the wider type of the args. */
sp_expr *sp_expr_coalesce(sp_arena *a, sp_expr **args, int n_args, sp_err *err);
/* Builds AND/OR (k = SP_E_AND/SP_E_OR) or NOT (b = NULL) over BOOLEAN
 * operands (NULL-typed operands are cast). NULL on a type error. */
sp_expr *sp_expr_logic(sp_arena *a, sp_expr_kind k, sp_expr *l, sp_expr *r,
                       sp_err *err);
/* True if the whole tree is constant (no COL). */
bool sp_expr_is_const(const sp_expr *e);

/* --- Evaluation -------------------------------------------------------- */

/* Evaluates e over the live rows of `in`, writing a vector of e->type into
 * *out (memory in `scratch`). out->nulls may be NULL when no row is NULL.
 * Column references may return the input vector itself (no copy). */
int sp_expr_eval(const sp_expr *e, const sp_batch *in, sp_arena *scratch,
                 sp_vec *out, sp_err *err);
/* Evaluates a single row constant expression (e.g. for option values and
 * constant folding). */
int sp_expr_eval_const(const sp_expr *e, sp_arena *a, sp_value *out,
                       sp_err *err);
/* Filters: evaluates boolean `pred` and narrows the batch's selection to
 * rows where it is TRUE (NULL and FALSE drop). The new selection vector is
 * allocated in `scratch`. */
int sp_expr_filter(const sp_expr *pred, sp_batch *b, sp_arena *scratch,
                   sp_err *err);

/* Writes the expression as text for EXPLAIN, with column names from
 * `schema` (may be NULL: #0, #1, ...). */
int sp_expr_to_string(const sp_expr *e, const sp_schema *schema, sp_buf *out);

#endif /* SP_EXPR_H */
