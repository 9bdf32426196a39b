/*
 * bind.c -- the expression binder: sp_ast_expr (syntax) to sp_expr (typed
 * tree ready to evaluate).
 *
 * Layer: sql (front end); uses the expr module's builders, which apply
 * Spark's implicit casts and pick kernels. The binder's own job is names
 * and shapes:
 *   - columns: `c` or `q.c` (q = the scope's relation name or alias),
 *     case-insensitive; a dotted name that matches a field literally
 *     ("window.start") is accepted too;
 *   - desugaring: BETWEEN -> (x >= lo AND x <= hi), IS [NOT] TRUE/FALSE ->
 *     coalesce, simple CASE -> searched CASE with x = v, if/nullif/nvl2 ->
 *     CASE, ifnull/nvl -> COALESCE, [NOT] LIKE -> [NOT] like(x, p);
 *   - what it refuses, with a position and a hint: unknown columns ("did
 *     you mean"), unknown functions, aggregates where none are allowed,
 *     window()/session_window() outside GROUP BY, functions that read the
 *     wall clock.
 *
 * Errors carry the position of the offending node: the innermost position
 * wins (a bad argument is underlined, not the whole call).
 */
#include "sql/bind.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

typedef struct binder {
    const sp_scope *s;
    sp_arena *a;
    sp_err *err;
} binder;

static sp_expr *bind(binder *b, const sp_ast_expr *x);

/* Records the node's position unless a deeper one is already set. */
static sp_expr *fail_at(binder *b, sp_pos pos)
{
    if (b->err->line == 0)
        sp_err_at(b->err, b->s->file, pos.line, pos.col,
                  pos.len > 0 ? pos.len : 1);
    return NULL;
}

static sp_expr *fail(binder *b, sp_pos pos, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static sp_expr *fail(binder *b, sp_pos pos, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sp_err_set(b->err, code, "%s", msg);
    return fail_at(b, pos);
}

/* ------------------------------------------------------------------------
 * Names: "did you mean"
 * ---------------------------------------------------------------------- */

/* Case-insensitive Levenshtein distance, capped at 16 chars of each. */
static int edit_distance(const char *x, const char *y)
{
    size_t n = strlen(x), m = strlen(y);
    if (n > 32) n = 32;
    if (m > 32) m = 32;
    int d[33][33];
    for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            int c = tolower((unsigned char)x[i - 1]) !=
                    tolower((unsigned char)y[j - 1]);
            int v = d[i - 1][j - 1] + c;
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            d[i][j] = v;
        }
    }
    return d[n][m];
}

typedef struct suggest {
    const char *want;
    const char *best;
    int best_d;
} suggest;

static void suggest_add(suggest *s, const char *cand)
{
    int d = edit_distance(s->want, cand);
    int lim = (int)strlen(s->want) / 3;
    if (lim < 1) lim = 1;
    if (lim > 3) lim = 3;
    if (d <= lim && (!s->best || d < s->best_d)) {
        s->best = cand;
        s->best_d = d;
    }
}

/* ------------------------------------------------------------------------
 * Columns
 * ---------------------------------------------------------------------- */

static int find_col(const sp_schema *sc, const char *name, int *dup)
{
    int found = -1;
    *dup = 0;
    for (uint32_t i = 0; sc && i < sc->n_fields; i++) {
        if (strcasecmp(sc->fields[i].name, name) == 0) {
            if (found >= 0) *dup = 1;
            if (found < 0) found = (int)i;
        }
    }
    return found;
}

static sp_expr *unknown_column(binder *b, const sp_ast_expr *x,
                               const char *name)
{
    const sp_schema *sc = b->s->schema;
    fail(b, x->pos, SP_EANALYSIS, "column \"%s\" does not exist", name);
    suggest sg = {.want = name};
    for (uint32_t i = 0; sc && i < sc->n_fields; i++)
        suggest_add(&sg, sc->fields[i].name);
    if (sg.best) {
        sp_err_hint(b->err, "did you mean \"%s\"?", sg.best);
        return NULL;
    }
    if (!sc || sc->n_fields == 0) {
        sp_err_hint(b->err, "no columns are visible here");
        return NULL;
    }
    char list[400];
    size_t at = 0;
    list[0] = '\0';
    for (uint32_t i = 0; i < sc->n_fields && at < sizeof list - 8; i++) {
        int w = snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "",
                         sc->fields[i].name);
        if (w < 0) break;
        at += (size_t)w;
    }
    if (at >= sizeof list - 8) strcpy(list + sizeof list - 8, ", ...");
    sp_err_hint(b->err, "available columns: %s", list);
    return NULL;
}

static sp_expr *bind_ident(binder *b, const sp_ast_expr *x)
{
    const sp_schema *sc = b->s->schema;
    const char *name = x->parts[x->n_parts - 1];
    int dup = 0, idx = -1;
    if (b->s->field_qual && x->n_parts == 2) {
        /* r.c in a join: field c of relation r */
        bool rel = false;
        for (uint32_t i = 0; sc && i < sc->n_fields; i++) {
            const char *q = b->s->field_qual[i];
            if (!q || strcasecmp(q, x->parts[0]) != 0) continue;
            rel = true;
            if (strcasecmp(sc->fields[i].name, name) == 0) {
                if (idx >= 0) dup = 1;
                if (idx < 0) idx = (int)i;
            }
        }
        if (idx >= 0 && !dup) {
            sp_expr *e = sp_expr_col(b->a, idx, sc->fields[idx].type);
            if (!e) sp_err_set(b->err, SP_ENOMEM, "out of memory");
            return e;
        }
        if (rel) return unknown_column(b, x, name);
        idx = -1;
        dup = 0;
    }
    if (x->n_parts == 1) {
        idx = find_col(sc, name, &dup);
    } else {
        /* The literal dotted name first ("window.start" as a field). */
        char full[256];
        size_t at = 0;
        for (int i = 0; i < x->n_parts && at < sizeof full; i++) {
            int w = snprintf(full + at, sizeof full - at, "%s%s", i ? "." : "",
                             x->parts[i]);
            if (w < 0) break;
            at += (size_t)w;
        }
        idx = find_col(sc, full, &dup);
        if (idx < 0 && x->n_parts == 2) {
            const char *q = b->s->qualifier;
            if (q && strcasecmp(q, x->parts[0]) == 0) {
                idx = find_col(sc, name, &dup);
            } else if (find_col(sc, x->parts[0], &dup) >= 0) {
                return fail(b, x->pos, SP_EUNSUPPORTED,
                            "column \"%s\" has no field \"%s\"", x->parts[0],
                            name);
            } else {
                fail(b, x->pos, SP_EANALYSIS, "relation \"%s\" is not in scope",
                     x->parts[0]);
                if (q)
                    sp_err_hint(b->err,
                                "the query reads from \"%s\": write "
                                "%s.%s or just %s",
                                q, q, name, name);
                else
                    sp_err_hint(b->err,
                                "write the column name without a "
                                "qualifier: %s",
                                name);
                return NULL;
            }
        }
        if (idx < 0 && x->n_parts == 2) return unknown_column(b, x, name);
        if (idx < 0) return unknown_column(b, x, full);
    }
    if (idx < 0) return unknown_column(b, x, name);
    if (dup) {
        fail(b, x->pos, SP_EANALYSIS, "column reference \"%s\" is ambiguous",
             name);
        sp_err_hint(b->err, "qualify it with its relation name");
        return NULL;
    }
    sp_expr *e = sp_expr_col(b->a, idx, sc->fields[idx].type);
    if (!e) sp_err_set(b->err, SP_ENOMEM, "out of memory");
    return e;
}

/* ------------------------------------------------------------------------
 * Functions
 * ---------------------------------------------------------------------- */

static const char *const k_aggregates[] = {
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "mean",
    "first",
    "last",
    "first_value",
    "last_value",
    "any_value",
    "approx_count_distinct",
    "count_distinct",
    "stddev",
    "stddev_samp",
    "stddev_pop",
    "std",
    "variance",
    "var_samp",
    "var_pop",
    "median",
    "percentile",
    "percentile_approx",
    "approx_percentile",
    "collect_list",
    "collect_set",
    "array_agg",
    "bool_and",
    "bool_or",
    "every",
    "some",
    "any",
    "count_if",
    "max_by",
    "min_by",
    "mode",
    "skewness",
    "kurtosis",
    "corr",
    "covar_pop",
    "covar_samp",
    "sum_distinct",
};

bool sp_bind_is_aggregate(const char *name)
{
    for (size_t i = 0; i < SP_ARRAY_LEN(k_aggregates); i++)
        if (strcasecmp(k_aggregates[i], name) == 0) return true;
    return false;
}

/* Names the binder handles itself (not in the catalog). */
static const char *const k_special[] = {"coalesce", "ifnull", "nvl",
                                        "nvl2",     "if",     "nullif"};
static const char *const k_clock[] = {
    "current_timestamp", "now",     "current_date", "localtimestamp",
    "current_time",      "curdate", "sysdate"};

static sp_expr *unknown_function(binder *b, const sp_ast_expr *x,
                                 const char *name)
{
    fail(b, x->pos, SP_EANALYSIS, "function %s() does not exist", name);
    suggest sg = {.want = name};
    for (int i = 0;; i++) {
        const sp_func *f = sp_func_at(i);
        if (!f) break;
        if (isalpha((unsigned char)f->name[0])) suggest_add(&sg, f->name);
    }
    for (size_t i = 0; i < SP_ARRAY_LEN(k_special); i++)
        suggest_add(&sg, k_special[i]);
    for (size_t i = 0; i < SP_ARRAY_LEN(k_aggregates); i++)
        suggest_add(&sg, k_aggregates[i]);
    if (sg.best)
        sp_err_hint(b->err, "did you mean %s()?", sg.best);
    else
        sp_err_hint(b->err, "see the function list in `spate help "
                            "functions`");
    return NULL;
}

/* Binds all arguments of a call into a fresh array. */
static sp_expr **bind_args(binder *b, const sp_ast_expr *x)
{
    sp_expr **v =
        sp_arena_zalloc(b->a, sizeof(sp_expr *) * (size_t)(x->n_args + 1));
    if (!v) {
        sp_err_set(b->err, SP_ENOMEM, "out of memory");
        return NULL;
    }
    for (int i = 0; i < x->n_args; i++)
        if (!(v[i] = bind(b, x->args[i]))) return NULL;
    return v;
}

static sp_expr *call_op(binder *b, const char *op, sp_expr *l, sp_expr *r,
                        sp_pos pos)
{
    const sp_func *f = sp_func_lookup(op, strlen(op));
    if (!f)
        return fail(b, pos, SP_EINTERNAL,
                    "operator %s is missing from the "
                    "catalog",
                    op);
    sp_expr *args[2] = {l, r};
    sp_expr *e = sp_expr_call(b->a, f, args, r ? 2 : 1, b->err);
    return e ? e : fail_at(b, pos);
}

static bool arity(binder *b, const sp_ast_expr *x, const char *name, int min,
                  int max)
{
    if (x->n_args >= min && x->n_args <= max) return true;
    if (min == max)
        fail(b, x->pos, SP_EANALYSIS,
             "function %s() takes %d argument%s, got %d", name, min,
             min == 1 ? "" : "s", x->n_args);
    else
        fail(b, x->pos, SP_EANALYSIS,
             "function %s() takes at least %d argument%s, got %d", name, min,
             min == 1 ? "" : "s", x->n_args);
    return false;
}

static sp_expr *bind_special(binder *b, const sp_ast_expr *x, const char *name)
{
    sp_expr *e = NULL;
    if (strcmp(name, "coalesce") == 0) {
        if (!arity(b, x, name, 1, 1 << 20)) return NULL;
    } else if (strcmp(name, "ifnull") == 0 || strcmp(name, "nvl") == 0 ||
               strcmp(name, "nullif") == 0) {
        if (!arity(b, x, name, 2, 2)) return NULL;
    } else if (!arity(b, x, name, 3, 3)) { /* if, nvl2 */
        return NULL;
    }
    sp_expr **v = bind_args(b, x);
    if (!v) return NULL;
    if (strcmp(name, "coalesce") == 0 || strcmp(name, "ifnull") == 0 ||
        strcmp(name, "nvl") == 0) {
        e = sp_expr_coalesce(b->a, v, x->n_args, b->err);
    } else if (strcmp(name, "if") == 0) {
        if (v[0]->type != SP_T_BOOL && v[0]->type != SP_T_NULL)
            return fail(b, x->args[0]->pos, SP_EANALYSIS,
                        "function if() expects BOOLEAN for argument 1, got %s",
                        sp_type_name(v[0]->type));
        e = sp_expr_case(b->a, &v[0], &v[1], 1, v[2], b->err);
    } else if (strcmp(name, "nvl2") == 0) {
        sp_expr *nn = sp_expr_new(b->a, SP_E_IS_NULL, SP_T_BOOL, 1);
        if (!nn) return NULL;
        nn->args[0] = v[0];
        nn->negated = true;
        e = sp_expr_case(b->a, &nn, &v[1], 1, v[2], b->err);
    } else { /* nullif(a, b) = CASE WHEN a = b THEN NULL ELSE a END */
        sp_expr *eq = call_op(b, "=", v[0], v[1], x->pos);
        if (!eq) return NULL;
        sp_value nv = {.type = SP_T_NULL, .is_null = true};
        sp_expr *nul = sp_expr_const(b->a, &nv);
        if (!nul) return NULL;
        e = sp_expr_case(b->a, &eq, &nul, 1, v[0], b->err);
    }
    return e ? e : fail_at(b, x->pos);
}

static sp_expr *bind_call(binder *b, const sp_ast_expr *x)
{
    char name[128];
    const char *raw = x->n_parts > 0 ? x->parts[x->n_parts - 1] : "";
    size_t nl = strlen(raw);
    if (nl >= sizeof name) nl = sizeof name - 1;
    for (size_t i = 0; i < nl; i++)
        name[i] = (char)tolower((unsigned char)raw[i]);
    name[nl] = '\0';
    if (x->n_parts > 1)
        return fail(b, x->pos, SP_EANALYSIS,
                    "qualified function names such as %s.%s() are not "
                    "supported",
                    x->parts[0], raw);
    if (sp_bind_is_aggregate(name)) {
        if (!b->s->allow_aggregates) {
            fail(b, x->pos, SP_EANALYSIS,
                 "aggregate function %s() needs a GROUP BY query", name);
            sp_err_hint(b->err, "aggregates are allowed in the SELECT list and "
                                "HAVING of an aggregating query, not in WHERE, "
                                "GROUP BY or ON; to filter on an aggregate use "
                                "HAVING");
            return NULL;
        }
        return fail(b, x->pos, SP_EUNSUPPORTED,
                    "aggregates are not yet supported in this expression "
                    "(%s())",
                    name);
    }
    if (strcmp(name, "window") == 0 || strcmp(name, "session_window") == 0 ||
        strcmp(name, "window_time") == 0) {
        fail(b, x->pos, SP_EUNSUPPORTED,
             "%s() is not supported in this expression", name);
        sp_err_hint(b->err,
                    "use %s(ts, '10 minutes') in the GROUP BY of a streaming "
                    "aggregation and select it (or its .start/.end) from "
                    "there",
                    name);
        return NULL;
    }
    for (size_t i = 0; i < SP_ARRAY_LEN(k_clock); i++) {
        if (strcmp(name, k_clock[i]) == 0 ||
            (strcmp(name, "unix_timestamp") == 0 && x->n_args == 0)) {
            fail(b, x->pos, SP_EANALYSIS,
                 "%s() is not supported: queries never read the wall clock",
                 name);
            sp_err_hint(b->err,
                        "results must be the same when a batch is replayed "
                        "after a crash; use the event-time column of the "
                        "source instead");
            return NULL;
        }
    }
    if (x->star)
        return fail(b, x->pos, SP_EANALYSIS,
                    "%s(*) is not valid: * is only allowed in count(*)", name);
    if (x->distinct)
        return fail(b, x->pos, SP_EANALYSIS,
                    "DISTINCT is only allowed in aggregate functions, not "
                    "in %s()",
                    name);
    for (size_t i = 0; i < SP_ARRAY_LEN(k_special); i++)
        if (strcmp(name, k_special[i]) == 0) return bind_special(b, x, name);
    const sp_func *f = sp_func_lookup(name, strlen(name));
    if (!f || !isalpha((unsigned char)f->name[0]) || strcmp(name, "neg") == 0)
        return unknown_function(b, x, name);
    sp_expr **v = bind_args(b, x);
    if (!v) return NULL;
    int bad = -1;
    sp_expr *e = sp_expr_call_ex(b->a, f, v, x->n_args, &bad, b->err);
    if (!e) {
        if (bad >= 0 && bad < x->n_args) return fail_at(b, x->args[bad]->pos);
        return fail_at(b, x->pos);
    }
    return e;
}

/* ------------------------------------------------------------------------
 * Expressions
 * ---------------------------------------------------------------------- */

static const char *binop_name(sp_ast_op op)
{
    switch (op) {
    case SP_OP_ADD:
        return "+";
    case SP_OP_SUB:
        return "-";
    case SP_OP_MUL:
        return "*";
    case SP_OP_DIV:
        return "/";
    case SP_OP_MOD:
        return "%";
    case SP_OP_CONCAT:
        return "||";
    case SP_OP_EQ:
        return "=";
    case SP_OP_NE:
        return "<>";
    case SP_OP_LT:
        return "<";
    case SP_OP_LE:
        return "<=";
    case SP_OP_GT:
        return ">";
    case SP_OP_GE:
        return ">=";
    default:
        return NULL;
    }
}

static sp_expr *logic(binder *b, sp_expr_kind k, sp_expr *l, sp_expr *r,
                      sp_pos pos)
{
    sp_expr *e = sp_expr_logic(b->a, k, l, r, b->err);
    return e ? e : fail_at(b, pos);
}

static sp_expr *bind_literal(binder *b, const sp_ast_expr *x)
{
    sp_value v = {.type = x->lit.type};
    switch (x->lit.type) {
    case SP_T_NULL:
        v.is_null = true;
        break;
    case SP_T_BOOL:
        v.v.b = x->lit.v.b;
        break;
    case SP_T_DOUBLE:
        v.v.d = x->lit.v.d;
        break;
    case SP_T_VARCHAR:
        v.v.s = x->lit.v.s;
        break;
    default:
        v.v.i = x->lit.v.i;
    }
    sp_expr *e = sp_expr_const(b->a, &v);
    if (!e) sp_err_set(b->err, SP_ENOMEM, "out of memory");
    return e;
}

static sp_expr *bind_is_bool(binder *b, const sp_ast_expr *x)
{
    sp_expr *v = bind(b, x->args[0]);
    if (!v) return NULL;
    if (v->type != SP_T_BOOL && v->type != SP_T_NULL)
        return fail(b, x->pos, SP_EANALYSIS, "IS %s expects a BOOLEAN, got %s",
                    x->lit.v.b ? "TRUE" : "FALSE", sp_type_name(v->type));
    /* x IS TRUE = coalesce(x, false); IS FALSE = coalesce(NOT x, false);
     * IS NOT ... = NOT of that (never NULL). */
    sp_expr *base = x->lit.v.b ? v : logic(b, SP_E_NOT, v, NULL, x->pos);
    if (!base) return NULL;
    sp_value fv = {.type = SP_T_BOOL, .v.b = false};
    sp_expr *args[2] = {base, sp_expr_const(b->a, &fv)};
    if (!args[1]) return NULL;
    sp_expr *e = sp_expr_coalesce(b->a, args, 2, b->err);
    if (!e) return fail_at(b, x->pos);
    return x->negated ? logic(b, SP_E_NOT, e, NULL, x->pos) : e;
}

static sp_expr *bind_case(binder *b, const sp_ast_expr *x)
{
    int n = x->n_whens;
    sp_expr **conds =
        sp_arena_zalloc(b->a, sizeof(sp_expr *) * (size_t)(n + 1));
    sp_expr **vals = sp_arena_zalloc(b->a, sizeof(sp_expr *) * (size_t)(n + 1));
    if (!conds || !vals) {
        sp_err_set(b->err, SP_ENOMEM, "out of memory");
        return NULL;
    }
    sp_expr *operand = NULL;
    if (x->operand && !(operand = bind(b, x->operand))) return NULL;
    for (int i = 0; i < n; i++) {
        sp_expr *w = bind(b, x->whens[i]);
        if (!w) return NULL;
        if (operand) {
            w = call_op(b, "=", operand, w, x->whens[i]->pos);
            if (!w) return NULL;
        } else if (w->type != SP_T_BOOL && w->type != SP_T_NULL) {
            return fail(b, x->whens[i]->pos, SP_EANALYSIS,
                        "WHEN condition must be BOOLEAN, got %s",
                        sp_type_name(w->type));
        }
        conds[i] = w;
        if (!(vals[i] = bind(b, x->thens[i]))) return NULL;
    }
    sp_expr *els = NULL;
    if (x->else_ && !(els = bind(b, x->else_))) return NULL;
    sp_expr *e = sp_expr_case(b->a, conds, vals, n, els, b->err);
    return e ? e : fail_at(b, x->pos);
}

static sp_expr *bind(binder *b, const sp_ast_expr *x)
{
    switch (x->kind) {
    case SP_A_IDENT:
        return bind_ident(b, x);
    case SP_A_LITERAL:
        return bind_literal(b, x);
    case SP_A_STAR:
        return fail(b, x->pos, SP_EANALYSIS,
                    "* is only allowed in the SELECT list and in count(*)");
    case SP_A_UNARY: {
        sp_expr *v = bind(b, x->args[0]);
        if (!v) return NULL;
        if (x->op == SP_OP_NOT) return logic(b, SP_E_NOT, v, NULL, x->pos);
        if (x->op == SP_OP_PLUS) {
            if (v->type == SP_T_BIGINT || v->type == SP_T_DOUBLE ||
                v->type == SP_T_INTERVAL || v->type == SP_T_NULL)
                return v;
            return fail(b, x->pos, SP_EANALYSIS,
                        "unary plus cannot be applied to %s",
                        sp_type_name(v->type));
        }
        return call_op(b, "neg", v, NULL, x->pos);
    }
    case SP_A_BINARY: {
        sp_expr *l = bind(b, x->args[0]);
        if (!l) return NULL;
        sp_expr *r = bind(b, x->args[1]);
        if (!r) return NULL;
        if (x->op == SP_OP_AND) return logic(b, SP_E_AND, l, r, x->pos);
        if (x->op == SP_OP_OR) return logic(b, SP_E_OR, l, r, x->pos);
        const char *op = binop_name(x->op);
        if (!op)
            return fail(b, x->pos, SP_EINTERNAL, "unknown operator %d",
                        (int)x->op);
        return call_op(b, op, l, r, x->pos);
    }
    case SP_A_IS_NULL: {
        sp_expr *v = bind(b, x->args[0]);
        if (!v) return NULL;
        sp_expr *e = sp_expr_new(b->a, SP_E_IS_NULL, SP_T_BOOL, 1);
        if (!e) return NULL;
        e->args[0] = v;
        e->negated = x->negated;
        return e;
    }
    case SP_A_IS_BOOL:
        return bind_is_bool(b, x);
    case SP_A_IN: {
        sp_expr *v = bind(b, x->args[0]);
        if (!v) return NULL;
        sp_expr **list =
            sp_arena_zalloc(b->a, sizeof(sp_expr *) * (size_t)x->n_args);
        if (!list) return NULL;
        for (int i = 1; i < x->n_args; i++)
            if (!(list[i - 1] = bind(b, x->args[i]))) return NULL;
        sp_expr *e =
            sp_expr_in(b->a, v, list, x->n_args - 1, x->negated, b->err);
        return e ? e : fail_at(b, x->pos);
    }
    case SP_A_BETWEEN: {
        sp_expr *v = bind(b, x->args[0]);
        sp_expr *lo = v ? bind(b, x->args[1]) : NULL;
        sp_expr *hi = lo ? bind(b, x->args[2]) : NULL;
        if (!hi) return NULL;
        sp_expr *ge = call_op(b, ">=", v, lo, x->pos);
        sp_expr *le = ge ? call_op(b, "<=", v, hi, x->pos) : NULL;
        sp_expr *e = le ? logic(b, SP_E_AND, ge, le, x->pos) : NULL;
        if (e && x->negated) e = logic(b, SP_E_NOT, e, NULL, x->pos);
        return e;
    }
    case SP_A_LIKE: {
        sp_expr *v = bind(b, x->args[0]);
        sp_expr *p = v ? bind(b, x->args[1]) : NULL;
        if (!p) return NULL;
        const char *fn = x->like_kind == SP_ILIKE   ? "ilike"
                         : x->like_kind == SP_RLIKE ? "rlike"
                                                    : "like";
        const sp_func *f = sp_func_lookup(fn, strlen(fn));
        sp_expr *args[2] = {v, p};
        int bad = -1;
        sp_expr *e = f ? sp_expr_call_ex(b->a, f, args, 2, &bad, b->err) : NULL;
        if (!e) return fail_at(b, bad >= 0 ? x->args[bad]->pos : x->pos);
        if (x->negated) e = logic(b, SP_E_NOT, e, NULL, x->pos);
        return e;
    }
    case SP_A_CASE:
        return bind_case(b, x);
    case SP_A_CAST: {
        sp_expr *v = bind(b, x->args[0]);
        if (!v) return NULL;
        sp_expr *e = sp_expr_cast(b->a, v, x->cast_type, b->err);
        if (!e) {
            sp_err_hint(b->err, "CAST converts between BOOLEAN, BIGINT, "
                                "DOUBLE and VARCHAR freely; TIMESTAMP and "
                                "INTERVAL convert to and from numbers "
                                "(seconds) and strings");
            return fail_at(b, x->pos);
        }
        return e;
    }
    case SP_A_CALL:
        return bind_call(b, x);
    case SP_A_SUBSCRIPT:
        return fail(b, x->pos, SP_EUNSUPPORTED,
                    "subscripts (x[i]) are not supported: spate has no "
                    "array or map types");
    }
    return fail(b, x->pos, SP_EINTERNAL, "unknown syntax node %d",
                (int)x->kind);
}

sp_expr *sp_bind_expr(const sp_ast_expr *ast, const sp_scope *scope,
                      sp_arena *a, sp_err *err)
{
    binder b = {.s = scope, .a = a, .err = err};
    return bind(&b, ast);
}
