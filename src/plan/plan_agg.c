/*
 * plan_agg.c -- planning a streaming aggregation.
 *
 *   SELECT <items> FROM s [WHERE ...] GROUP BY <keys> [HAVING ...]
 *
 * 1. Keys: each GROUP BY expression (a SELECT alias or ordinal may stand
 *    for its item) is bound over the query's input; window(ts, length
 *    [, slide [, start]]) becomes a WINDOW key computed from ts;
 *    session_window(ts, gap) a session key, moved to the last position
 *    (op_session.c relies on the other keys being a prefix of the bytes).
 * 2. Aggregates: every aggregate call in the SELECT list and HAVING (one
 *    state per distinct call text), its argument bound over the input.
 * 3. The aggregation's output schema: the keys (named by their alias, their
 *    column name, "window", or their text), a window key's hidden
 *    "<name>.start" and "<name>.end", then the aggregates "__agg<i>".
 * 4. SELECT items and HAVING are rewritten over that schema: aggregate
 *    calls and subtrees equal to a key expression become references, and
 *    bound; a column that is neither grouped nor aggregated is an error.
 * 5. Spark's rules for output modes: append needs a watermark on the
 *    grouping's event time (a window of the watermarked column, or the
 *    column itself); session windows refuse update mode.
 */
#include "plan/planInt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct aggctx {
    actx *c;
    const sp_scope *in_scope;
    /* aggregate calls found */
    const sp_ast_expr **calls;
    char **call_sql;
    int n_calls, cap_calls;
    /* keys */
    char **key_sql;
    char **key_name;
    int n_keys;
} aggctx;

static bool is_agg_call(const sp_ast_expr *e)
{
    return e && e->kind == SP_A_CALL && e->n_parts >= 1 &&
           sp_bind_is_aggregate(e->parts[0]);
}

static int collect(aggctx *g, const sp_ast_expr *e, bool inside)
{
    if (!e) return 0;
    if (is_agg_call(e)) {
        if (inside) {
            sp_plan_fail_at(g->c, e->pos, SP_EANALYSIS,
                            "an aggregate function cannot be used inside "
                            "another aggregate function");
            sp_err_hint(g->c->err, "compute the inner aggregate in a separate "
                                   "query");
            return SP_EANALYSIS;
        }
        char *sql = sp_plan_sql_text(g->c, e);
        for (int i = 0; i < g->n_calls; i++)
            if (strcmp(g->call_sql[i], sql) == 0) goto children;
        if (g->n_calls == g->cap_calls) {
            int cap = g->cap_calls ? g->cap_calls * 2 : 8;
            const sp_ast_expr **nc =
                sp_arena_alloc(g->c->a, (size_t)cap * sizeof *nc);
            char **ns = sp_arena_alloc(g->c->a, (size_t)cap * sizeof *ns);
            if (g->n_calls) {
                memcpy(nc, g->calls, (size_t)g->n_calls * sizeof *nc);
                memcpy(ns, g->call_sql, (size_t)g->n_calls * sizeof *ns);
            }
            g->calls = nc;
            g->call_sql = ns;
            g->cap_calls = cap;
        }
        g->calls[g->n_calls] = e;
        g->call_sql[g->n_calls++] = sql;
    children:
        for (int i = 0; i < e->n_args; i++)
            if (collect(g, e->args[i], true)) return g->c->err->code;
        return 0;
    }
    for (int i = 0; i < e->n_args; i++)
        if (collect(g, e->args[i], inside)) return g->c->err->code;
    for (int i = 0; i < e->n_whens; i++)
        if (collect(g, e->whens[i], inside) || collect(g, e->thens[i], inside))
            return g->c->err->code;
    if (collect(g, e->operand, inside)) return g->c->err->code;
    return collect(g, e->else_, inside);
}

static sp_ast_expr *ident(actx *c, const char *name, sp_pos pos)
{
    sp_ast_expr *x = sp_arena_zalloc(c->a, sizeof *x);
    x->kind = SP_A_IDENT;
    x->pos = pos;
    x->parts = sp_arena_alloc(c->a, sizeof(char *));
    x->parts[0] = sp_arena_strdup(c->a, name);
    x->n_parts = 1;
    return x;
}

/* Rewrites an expression over the aggregation's output. */
static sp_ast_expr *rewrite(aggctx *g, const sp_ast_expr *e)
{
    if (!e) return NULL;
    if (is_agg_call(e)) {
        char *sql = sp_plan_sql_text(g->c, e);
        for (int i = 0; i < g->n_calls; i++)
            if (strcmp(g->call_sql[i], sql) == 0) {
                char nm[32];
                snprintf(nm, sizeof nm, "__agg%d", i);
                return ident(g->c, nm, e->pos);
            }
    }
    if (e->kind != SP_A_LITERAL) {
        char *sql = sp_plan_sql_text(g->c, e);
        for (int k = 0; k < g->n_keys; k++)
            if (strcmp(g->key_sql[k], sql) == 0)
                return ident(g->c, g->key_name[k], e->pos);
    }
    if (e->kind == SP_A_IDENT || e->kind == SP_A_LITERAL ||
        e->kind == SP_A_STAR)
        return (sp_ast_expr *)e;
    sp_ast_expr *x = sp_arena_alloc(g->c->a, sizeof *x);
    *x = *e;
    if (e->n_args) {
        x->args = sp_arena_alloc(g->c->a, (size_t)e->n_args * sizeof(void *));
        for (int i = 0; i < e->n_args; i++) x->args[i] = rewrite(g, e->args[i]);
    }
    if (e->n_whens) {
        x->whens = sp_arena_alloc(g->c->a, (size_t)e->n_whens * sizeof(void *));
        x->thens = sp_arena_alloc(g->c->a, (size_t)e->n_whens * sizeof(void *));
        for (int i = 0; i < e->n_whens; i++) {
            x->whens[i] = rewrite(g, e->whens[i]);
            x->thens[i] = rewrite(g, e->thens[i]);
        }
    }
    x->operand = rewrite(g, e->operand);
    x->else_ = rewrite(g, e->else_);
    return x;
}

/* A column reference left after rewriting must name an output column of
 * the aggregation; one that names an input column is the classic error. */
static int check_grouped(aggctx *g, const sp_ast_expr *e, const sp_schema *out)
{
    if (!e) return 0;
    if (e->kind == SP_A_IDENT) {
        char full[300] = "";
        size_t at = 0;
        for (int i = 0; i < e->n_parts && at < sizeof full; i++)
            at += (size_t)snprintf(full + at, sizeof full - at, "%s%s",
                                   i ? "." : "", e->parts[i]);
        const char *last = e->parts[e->n_parts - 1];
        if (sp_schema_find(out, full, strlen(full)) >= 0 ||
            sp_schema_find(out, last, strlen(last)) >= 0)
            return 0;
        if (sp_schema_find(g->in_scope->schema, last, strlen(last)) >= 0) {
            sp_plan_fail_at(g->c, e->pos, SP_EANALYSIS,
                            "column \"%s\" is neither in GROUP BY nor inside "
                            "an aggregate function",
                            last);
            sp_err_hint(g->c->err,
                        "add %s to GROUP BY, or aggregate it, e.g. "
                        "max(%s)",
                        last, last);
            return SP_EANALYSIS;
        }
        return 0;
    }
    for (int i = 0; i < e->n_args; i++)
        if (check_grouped(g, e->args[i], out)) return g->c->err->code;
    for (int i = 0; i < e->n_whens; i++)
        if (check_grouped(g, e->whens[i], out) ||
            check_grouped(g, e->thens[i], out))
            return g->c->err->code;
    if (check_grouped(g, e->operand, out)) return g->c->err->code;
    return check_grouped(g, e->else_, out);
}

/* An interval argument of window(): a string ('10 minutes') or an INTERVAL
 * literal. */
static int interval_arg(actx *c, const sp_ast_expr *a, const char *what,
                        int64_t *out)
{
    if (a->kind == SP_A_LITERAL && a->lit.type == SP_T_INTERVAL) {
        *out = a->lit.v.i;
        return 0;
    }
    if (a->kind == SP_A_LITERAL && a->lit.type == SP_T_VARCHAR) {
        const char *why = NULL;
        if (sp_interval_parse(a->lit.v.s.ptr, a->lit.v.s.len, out, &why) == 0)
            return 0;
        sp_plan_fail_at(c, a->pos, SP_EANALYSIS,
                        "the %s of window() is not an interval: '%.*s'", what,
                        (int)a->lit.v.s.len, a->lit.v.s.ptr);
        sp_err_hint(c->err, "write it as '10 minutes' or INTERVAL 10 "
                            "MINUTES");
        return SP_EANALYSIS;
    }
    sp_plan_fail_at(c, a->pos, SP_EANALYSIS,
                    "the %s of window() must be a constant interval", what);
    sp_err_hint(c->err, "write it as '10 minutes' or INTERVAL 10 MINUTES");
    return SP_EANALYSIS;
}

static int plan_window(actx *c, sp_plan *pl, const sp_ast_expr *ge,
                       const sp_scope *scope, int k)
{
    sp_agg_spec *as = &pl->aggspec;
    if (as->window_key >= 0)
        return sp_plan_fail_at(c, ge->pos, SP_EANALYSIS,
                               "GROUP BY has more than one window()");
    if (ge->n_args < 2 || ge->n_args > 4) {
        sp_plan_fail_at(c, ge->pos, SP_EANALYSIS,
                        "window() takes 2 to 4 arguments, got %d", ge->n_args);
        sp_err_hint(c->err, "window(time_column, '10 minutes' [, slide "
                            "[, start offset]])");
        return SP_EANALYSIS;
    }
    sp_expr *ts = sp_bind_expr(ge->args[0], scope, c->a, c->err);
    if (!ts) return c->err->code;
    if (ts->type != SP_T_TIMESTAMP) {
        sp_plan_fail_at(c, ge->args[0]->pos, SP_EANALYSIS,
                        "window() needs a TIMESTAMP time column, got %s",
                        sp_type_name(ts->type));
        sp_err_hint(c->err, "convert it, e.g. window(timestamp_millis(ms), "
                            "'1 minute')");
        return SP_EANALYSIS;
    }
    sp_window_spec *w = &as->window;
    if (interval_arg(c, ge->args[1], "window duration", &w->length_us))
        return c->err->code;
    w->slide_us = w->length_us;
    w->offset_us = 0;
    if (ge->n_args >= 3 &&
        interval_arg(c, ge->args[2], "slide duration", &w->slide_us))
        return c->err->code;
    if (ge->n_args == 4 &&
        interval_arg(c, ge->args[3], "start time", &w->offset_us))
        return c->err->code;
    if (w->length_us <= 0)
        return sp_plan_fail_at(c, ge->args[1]->pos, SP_EANALYSIS,
                               "the window duration must be positive");
    if (w->slide_us <= 0)
        return sp_plan_fail_at(c, ge->args[2]->pos, SP_EANALYSIS,
                               "the slide duration must be positive");
    if (w->slide_us > w->length_us)
        return sp_plan_fail_at(c, ge->args[2]->pos, SP_EANALYSIS,
                               "the slide duration must be less than or "
                               "equal to the window duration");
    if (w->offset_us >= w->slide_us || -w->offset_us >= w->slide_us)
        return sp_plan_fail_at(c, ge->args[3]->pos, SP_EANALYSIS,
                               "the absolute value of the start time must "
                               "be less than the slide duration");
    as->keys[k] = ts;
    as->key_types[k] = SP_T_WINDOW;
    as->window_key = k;
    if (ts->kind == SP_E_COL && ts->col == pl->wm_col) as->et_key = k;
    return 0;
}

/* A constant numeric argument of an aggregate (a percentile's percentage,
 * its accuracy). */
static int const_number(actx *c, const sp_scope *scope, const sp_ast_expr *x,
                        const char *what, double *out)
{
    sp_expr *e = sp_bind_expr(x, scope, c->a, c->err);
    if (!e) return c->err->code;
    sp_value v;
    if ((e->type != SP_T_BIGINT && e->type != SP_T_DOUBLE) ||
        !sp_expr_is_const(e) || sp_expr_eval_const(e, c->a, &v, c->err) ||
        v.is_null) {
        sp_err_clear(c->err);
        sp_plan_fail_at(c, x->pos, SP_EANALYSIS,
                        "the %s must be a constant number", what);
        sp_err_hint(c->err, "write a literal such as 0.5");
        return SP_EANALYSIS;
    }
    *out = v.type == SP_T_DOUBLE ? v.v.d : (double)v.v.i;
    return 0;
}

/* session_window(ts, gap): gap is a constant interval ('5 minutes',
 * INTERVAL 5 MINUTES) or an expression giving an INTERVAL or a string per
 * row. */
static int plan_session(actx *c, sp_plan *pl, const sp_ast_expr *ge,
                        const sp_scope *scope, int k, sp_expr **gap_expr)
{
    sp_agg_spec *as = &pl->aggspec;
    if (as->window_key >= 0)
        return sp_plan_fail_at(c, ge->pos, SP_EANALYSIS,
                               "GROUP BY has more than one window() or "
                               "session_window()");
    if (ge->n_args != 2) {
        sp_plan_fail_at(c, ge->pos, SP_EANALYSIS,
                        "session_window() takes 2 arguments, got %d",
                        ge->n_args);
        sp_err_hint(c->err, "session_window(time_column, '5 minutes'), or a "
                            "gap expression per row");
        return SP_EANALYSIS;
    }
    sp_expr *ts = sp_bind_expr(ge->args[0], scope, c->a, c->err);
    if (!ts) return c->err->code;
    if (ts->type != SP_T_TIMESTAMP) {
        sp_plan_fail_at(c, ge->args[0]->pos, SP_EANALYSIS,
                        "session_window() needs a TIMESTAMP time column, "
                        "got %s",
                        sp_type_name(ts->type));
        sp_err_hint(c->err, "convert it, e.g. "
                            "session_window(timestamp_millis(ms), "
                            "'5 minutes')");
        return SP_EANALYSIS;
    }
    sp_window_spec *w = &as->window;
    const sp_ast_expr *ga = ge->args[1];
    if (ga->kind == SP_A_LITERAL &&
        (ga->lit.type == SP_T_INTERVAL || ga->lit.type == SP_T_VARCHAR)) {
        int64_t gap = 0;
        if (ga->lit.type == SP_T_INTERVAL) {
            gap = ga->lit.v.i;
        } else if (sp_interval_parse(ga->lit.v.s.ptr, ga->lit.v.s.len, &gap,
                                     NULL) != 0) {
            sp_plan_fail_at(c, ga->pos, SP_EANALYSIS,
                            "the gap of session_window() is not an "
                            "interval: '%.*s'",
                            (int)ga->lit.v.s.len, ga->lit.v.s.ptr);
            sp_err_hint(c->err, "write it as '5 minutes' or INTERVAL 5 "
                                "MINUTES");
            return SP_EANALYSIS;
        }
        if (gap <= 0)
            return sp_plan_fail_at(c, ga->pos, SP_EANALYSIS,
                                   "the gap of session_window() must be "
                                   "positive");
        w->gap_us = gap;
    } else {
        sp_expr *g = sp_bind_expr(ga, scope, c->a, c->err);
        if (!g) return c->err->code;
        if (g->type != SP_T_INTERVAL && g->type != SP_T_VARCHAR &&
            g->type != SP_T_NULL) {
            sp_plan_fail_at(c, ga->pos, SP_EANALYSIS,
                            "the gap of session_window() must be an "
                            "INTERVAL or a string, got %s",
                            sp_type_name(g->type));
            sp_err_hint(c->err, "e.g. CASE WHEN kind = 'mobile' THEN "
                                "INTERVAL 10 MINUTES ELSE INTERVAL 5 "
                                "MINUTES END");
            return SP_EANALYSIS;
        }
        *gap_expr = g;
        w->gap_us = 0;
    }
    w->session = true;
    w->length_us = w->slide_us = w->gap_us;
    w->offset_us = 0;
    as->keys[k] = ts;
    as->key_types[k] = SP_T_WINDOW;
    as->window_key = k;
    if (ts->kind == SP_E_COL && ts->col == pl->wm_col) as->et_key = k;
    return 0;
}

int sp_plan_agg(actx *c, const sp_ast_stmt *st, const sp_ast_select *q,
                sp_plan *pl, const sp_scope *scope)
{
    sp_agg_spec *as = &pl->aggspec;
    memset(as, 0, sizeof *as);
    as->limit = -1;
    as->window_key = -1;
    as->et_key = -1;
    as->window.gap_arg = -1;
    aggctx g = {.c = c, .in_scope = scope};
    sp_expr *gap_expr = NULL; /* a per-row session gap */
    sp_pos session_pos = {0};
    int nk = q->n_group_by;
    as->n_keys = nk;
    as->keys = sp_arena_zalloc(c->a, (size_t)(nk + 1) * sizeof(sp_expr *));
    as->key_types = sp_arena_zalloc(c->a, (size_t)(nk + 1) * sizeof(sp_type));
    g.key_sql = sp_arena_zalloc(c->a, (size_t)(nk + 1) * sizeof(char *));
    g.key_name = sp_arena_zalloc(c->a, (size_t)(nk + 1) * sizeof(char *));

    /* 1. keys */
    for (int k = 0; k < nk; k++) {
        const sp_ast_expr *ge = q->group_by[k];
        /* GROUP BY 2: the second SELECT item */
        if (ge->kind == SP_A_LITERAL && ge->lit.type == SP_T_BIGINT) {
            int64_t o = ge->lit.v.i;
            if (o < 1 || o > q->n_items)
                return sp_plan_fail_at(c, ge->pos, SP_EANALYSIS,
                                       "GROUP BY position %lld is not in the "
                                       "SELECT list (1..%d)",
                                       (long long)o, q->n_items);
            ge = q->items[o - 1].expr;
        }
        /* GROUP BY alias, when the name is not an input column */
        if (ge->kind == SP_A_IDENT && ge->n_parts == 1 &&
            sp_schema_find(scope->schema, ge->parts[0], strlen(ge->parts[0])) <
                0)
            for (int i = 0; i < q->n_items; i++)
                if (q->items[i].alias &&
                    strcasecmp(q->items[i].alias, ge->parts[0]) == 0) {
                    ge = q->items[i].expr;
                    break;
                }
        if (sp_plan_has_aggregate(ge)) {
            sp_plan_fail_at(c, ge->pos, SP_EANALYSIS,
                            "GROUP BY cannot contain an aggregate function");
            return SP_EANALYSIS;
        }
        g.key_sql[k] = sp_plan_sql_text(c, ge);
        bool is_window = ge->kind == SP_A_CALL && ge->n_parts == 1 &&
                         strcasecmp(ge->parts[0], "window") == 0;
        bool is_session = ge->kind == SP_A_CALL && ge->n_parts == 1 &&
                          strcasecmp(ge->parts[0], "session_window") == 0;
        if (is_window) {
            int rc = plan_window(c, pl, ge, scope, k);
            if (rc) return rc;
        } else if (is_session) {
            int rc = plan_session(c, pl, ge, scope, k, &gap_expr);
            if (rc) return rc;
            session_pos = ge->pos;
        } else {
            sp_expr *e = sp_bind_expr(ge, scope, c->a, c->err);
            if (!e) return c->err->code;
            as->keys[k] = e;
            as->key_types[k] = e->type == SP_T_NULL ? SP_T_BIGINT : e->type;
            if (e->kind == SP_E_COL && e->col == pl->wm_col && as->et_key < 0)
                as->et_key = k;
        }
        /* the key's name: the alias of a SELECT item that is this key,
         * else "window", the column's name, or the text */
        const char *name = NULL;
        for (int i = 0; i < q->n_items && !name; i++)
            if (q->items[i].alias &&
                strcmp(sp_plan_sql_text(c, q->items[i].expr), g.key_sql[k]) ==
                    0)
                name = q->items[i].alias;
        if (!name)
            name = is_window                ? "window"
                   : is_session             ? "session_window"
                   : ge->kind == SP_A_IDENT ? ge->parts[ge->n_parts - 1]
                                            : g.key_sql[k];
        g.key_name[k] = sp_arena_strdup(c->a, name);
    }
    g.n_keys = nk;
    if (as->window.session) {
        /* Spark: "Global aggregation with session window in streaming
         * query is not supported." */
        if (nk < 2) {
            sp_plan_fail_at(c, session_pos, SP_EANALYSIS,
                            "session_window() needs another GROUP BY key");
            sp_err_detail(c->err, "sessions are tracked per key (a user, a "
                                  "device); a global session window is not "
                                  "supported in a streaming query, as in "
                                  "Spark");
            sp_err_hint(c->err, "GROUP BY session_window(ts, '5 minutes'), "
                                "user_id");
            return SP_EANALYSIS;
        }
        /* the session key goes last: its bytes end the group key, so the
         * other keys are a prefix (the output names keys, so their order
         * is free) */
        int w = as->window_key;
        sp_expr *ke = as->keys[w];
        sp_type kt = as->key_types[w];
        char *ks = g.key_sql[w], *kn = g.key_name[w];
        for (int k = w; k + 1 < nk; k++) {
            as->keys[k] = as->keys[k + 1];
            as->key_types[k] = as->key_types[k + 1];
            g.key_sql[k] = g.key_sql[k + 1];
            g.key_name[k] = g.key_name[k + 1];
        }
        as->keys[nk - 1] = ke;
        as->key_types[nk - 1] = kt;
        g.key_sql[nk - 1] = ks;
        g.key_name[nk - 1] = kn;
        if (as->et_key == w)
            as->et_key = nk - 1;
        else if (as->et_key > w)
            as->et_key--;
        as->window_key = nk - 1;
    }

    /* 2. aggregates */
    for (int i = 0; i < q->n_items; i++)
        if (collect(&g, q->items[i].expr, false)) return c->err->code;
    if (collect(&g, q->having, false)) return c->err->code;
    as->n_aggs = g.n_calls;
    as->aggs = sp_arena_zalloc(c->a, (size_t)(g.n_calls + 1) * sizeof(sp_agg));
    as->args =
        sp_arena_zalloc(c->a, (size_t)(g.n_calls + 2) * sizeof(sp_expr *));
    /* a session query's values start with a reserved word (op_session.c) */
    uint32_t off = as->window.session ? SP_SESSION_RESERVED : 0;
    for (int i = 0; i < g.n_calls; i++) {
        const sp_ast_expr *call = g.calls[i];
        sp_type at = SP_T_NULL;
        int arg = -1;
        const char *fn = call->parts[0];
        bool pct = strcasecmp(fn, "percentile") == 0;
        bool approx = strcasecmp(fn, "percentile_approx") == 0 ||
                      strcasecmp(fn, "approx_percentile") == 0;
        if (!call->star) {
            int hi = approx ? 3 : pct ? 2 : 1, lo = pct || approx ? 2 : 1;
            if (call->n_args < lo || call->n_args > hi) {
                if (pct || approx) {
                    sp_plan_fail_at(c, call->pos, SP_EANALYSIS,
                                    "%s() takes %s, got %d argument%s", fn,
                                    approx ? "2 or 3 arguments" : "2 arguments",
                                    call->n_args, call->n_args == 1 ? "" : "s");
                    sp_err_hint(c->err,
                                approx ? "%s(x, 0.5 [, accuracy])"
                                       : "%s(x, 0.5): the percentage is a "
                                         "constant in [0, 1]",
                                fn);
                } else {
                    sp_plan_fail_at(c, call->pos, SP_EANALYSIS,
                                    "%s() takes one argument, got %d", fn,
                                    call->n_args);
                }
                return SP_EANALYSIS;
            }
            sp_expr *e = sp_bind_expr(call->args[0], scope, c->a, c->err);
            if (!e) return c->err->code;
            at = e->type;
            arg = as->n_args;
            as->args[as->n_args++] = e;
        }
        sp_agg *a = &as->aggs[i];
        int rc = sp_agg_resolve(call->parts[0], call->star, call->distinct, at,
                                a, c->err);
        if (rc) {
            if (rc == SP_ENOTFOUND) {
                sp_err_clear(c->err);
                sp_plan_fail_at(c, call->pos, SP_EUNSUPPORTED,
                                "aggregate function %s() is not supported "
                                "yet",
                                call->parts[0]);
                sp_err_hint(c->err, "supported: count, sum, avg, min, max, "
                                    "first, last, variance, stddev, "
                                    "approx_count_distinct, median, "
                                    "percentile, percentile_approx");
                return SP_EUNSUPPORTED;
            }
            sp_err_at(c->err, c->script->file, call->pos.line, call->pos.col,
                      call->pos.len);
            return rc;
        }
        if ((pct || approx) && !call->star) {
            double v;
            if (const_number(c, scope, call->args[1], "percentage", &v))
                return c->err->code;
            if (!(v >= 0 && v <= 1)) {
                sp_plan_fail_at(c, call->args[1]->pos, SP_EANALYSIS,
                                "the percentage of %s() must be between 0.0 "
                                "and 1.0, got %g",
                                fn, v);
                sp_err_hint(c->err, "median(x) is percentile(x, 0.5)");
                return SP_EANALYSIS;
            }
            a->param = v;
            if (call->n_args == 3) {
                double acc;
                if (const_number(c, scope, call->args[2], "accuracy", &acc))
                    return c->err->code;
                if (!(acc > 0 && acc <= 2147483647.0) || acc != floor(acc))
                    return sp_plan_fail_at(c, call->args[2]->pos, SP_EANALYSIS,
                                           "the accuracy of %s() must be an "
                                           "integer in (0, 2147483647], got "
                                           "%g",
                                           fn, acc);
                a->rel_err = 1.0 / acc;
            }
        }
        a->arg = arg;
        a->offset = off;
        off += a->size;
        as->n_var += a->var;
    }
    as->value_size = off;
    if (gap_expr) {
        /* a per-row session gap is evaluated with the aggregates' args */
        as->window.gap_arg = as->n_args;
        as->args[as->n_args++] = gap_expr;
    }

    /* 3. the aggregation's output schema */
    int nw = as->window_key >= 0 ? 2 : 0;
    uint32_t nf = (uint32_t)(nk + nw + g.n_calls);
    sp_field *f = sp_arena_zalloc(c->a, (nf + 1) * sizeof *f);
    for (int k = 0; k < nk; k++) {
        f[k].name = g.key_name[k];
        f[k].type = as->key_types[k];
    }
    if (nw) {
        const char *wn = g.key_name[as->window_key];
        f[nk].name = sp_arena_printf(c->a, "%s.start", wn);
        f[nk].type = SP_T_TIMESTAMP;
        f[nk + 1].name = sp_arena_printf(c->a, "%s.end", wn);
        f[nk + 1].type = SP_T_TIMESTAMP;
    }
    for (int i = 0; i < g.n_calls; i++) {
        f[nk + nw + i].name = sp_arena_printf(c->a, "__agg%d", i);
        f[nk + nw + i].type = as->aggs[i].ret_type;
    }
    as->agg_schema.n_fields = nf;
    as->agg_schema.fields = f;
    pl->key_sql = g.key_sql;
    pl->agg_sql = g.call_sql;

    /* 4. the SELECT list and HAVING over it */
    sp_scope os = {&as->agg_schema, scope->qualifier, c->script->file, false,
                   NULL};
    as->proj =
        sp_arena_zalloc(c->a, (size_t)(q->n_items + 1) * sizeof(sp_expr *));
    sp_field *of = sp_arena_zalloc(c->a, (size_t)(q->n_items + 1) * sizeof *of);
    pl->proj_sql =
        sp_arena_zalloc(c->a, (size_t)(q->n_items + 1) * sizeof(char *));
    for (int i = 0; i < q->n_items; i++) {
        const sp_ast_item *it = &q->items[i];
        if (it->expr->kind == SP_A_STAR) {
            sp_plan_fail_at(c, it->expr->pos, SP_EANALYSIS,
                            "SELECT * cannot be used with GROUP BY");
            sp_err_hint(c->err, "list the grouped columns and the "
                                "aggregates");
            return SP_EANALYSIS;
        }
        sp_ast_expr *rw = rewrite(&g, it->expr);
        if (check_grouped(&g, rw, &as->agg_schema)) return c->err->code;
        sp_expr *e = sp_bind_expr(rw, &os, c->a, c->err);
        if (!e) return c->err->code;
        as->proj[i] = e;
        pl->proj_sql[i] = sp_plan_sql_text(c, it->expr);
        of[i].name = sp_plan_item_name(c, it, pl->proj_sql[i]);
        if (!it->alias && it->expr->kind == SP_A_CALL &&
            it->expr->n_parts == 1 &&
            strcasecmp(it->expr->parts[0], "session_window") == 0)
            of[i].name = "session_window"; /* Spark's name for it */
        of[i].type = e->type;
    }
    as->n_proj = q->n_items;
    as->out_schema.n_fields = (uint32_t)q->n_items;
    as->out_schema.fields = of;
    if (q->having) {
        sp_ast_expr *rw = rewrite(&g, q->having);
        if (check_grouped(&g, rw, &as->agg_schema)) return c->err->code;
        as->having = sp_bind_expr(rw, &os, c->a, c->err);
        if (!as->having) return c->err->code;
        if (as->having->type != SP_T_BOOL)
            return sp_plan_fail_at(c, q->having->pos, SP_EANALYSIS,
                                   "HAVING needs a BOOLEAN condition, got %s",
                                   sp_type_name(as->having->type));
    }

    /* 5. output modes, by Spark's rules */
    as->mode = pl->mode == SP_MODE_APPEND   ? 0
               : pl->mode == SP_MODE_UPDATE ? 1
                                            : 2;
    if (pl->mode == SP_MODE_UPDATE && as->window.session) {
        /* Spark: "Session window is not supported in update output mode" */
        sp_plan_fail_at(c, st->name_pos, SP_EANALYSIS,
                        "session window is not supported in update output "
                        "mode");
        sp_err_detail(c->err,
                      "a session can merge with another one later, so a "
                      "result emitted as an update could not be retracted "
                      "(Spark refuses this too)");
        sp_err_hint(c->err, "use output_mode = 'append' (each session once, "
                            "when the watermark passes its end) or "
                            "'complete'");
        return SP_EANALYSIS;
    }
    if (pl->mode == SP_MODE_APPEND && as->et_key < 0) {
        sp_plan_fail_at(c, st->name_pos, SP_EANALYSIS,
                        "append output mode is not supported for a streaming "
                        "aggregation without a watermark");
        sp_err_detail(c->err, "in append mode a group is emitted once, when "
                              "the watermark says it is final; that needs "
                              "the GROUP BY to contain a window of the "
                              "watermarked column, or that column itself");
        sp_err_hint(c->err, "declare a watermark (WATERMARK FOR ts AS ts - "
                            "INTERVAL '10' SECOND) and GROUP BY window(ts, "
                            "...), or use output_mode = 'update' or "
                            "'complete'");
        return SP_EANALYSIS;
    }
    as->partitions =
        c->prog->shuffle_partitions > 0 ? c->prog->shuffle_partitions : 4;
    return 0;
}

/* SELECT DISTINCT items / SELECT DISTINCT ON (keys) items: Spark's
 * dropDuplicates over all output columns or over the given ones; the first
 * row of a key in input order is kept. A key that is the watermarked
 * column lets the watermark drop late rows and evict old keys; without one
 * the state keeps every key. */
int sp_plan_dedup(actx *c, const sp_ast_select *q, sp_plan *pl,
                  const sp_scope *scope)
{
    sp_agg_spec *as = &pl->aggspec;
    memset(as, 0, sizeof *as);
    as->limit = -1;
    as->dedup = true;
    as->window_key = -1;
    as->et_key = -1;
    int cap = q->n_items + (int)scope->schema->n_fields * q->n_items + 1;
    as->out = sp_arena_zalloc(c->a, (size_t)cap * sizeof(sp_expr *));
    sp_field *of = sp_arena_zalloc(c->a, (size_t)cap * sizeof *of);
    pl->proj_sql = sp_arena_zalloc(c->a, (size_t)cap * sizeof(char *));
    int no = 0;
    for (int i = 0; i < q->n_items; i++) {
        const sp_ast_item *it = &q->items[i];
        if (it->expr->kind == SP_A_STAR) {
            for (uint32_t f = 0; f < scope->schema->n_fields; f++) {
                as->out[no] =
                    sp_expr_col(c->a, (int)f, scope->schema->fields[f].type);
                of[no] = scope->schema->fields[f];
                pl->proj_sql[no] = of[no].name;
                no++;
            }
            continue;
        }
        sp_expr *e = sp_bind_expr(it->expr, scope, c->a, c->err);
        if (!e) return c->err->code;
        if (e->type == SP_T_NULL)
            e = sp_expr_cast(c->a, e, SP_T_VARCHAR, c->err);
        if (!e) return c->err->code;
        as->out[no] = e;
        pl->proj_sql[no] = sp_plan_sql_text(c, it->expr);
        of[no].name = sp_plan_item_name(c, it, pl->proj_sql[no]);
        of[no].type = e->type;
        no++;
    }
    as->n_out = no;
    as->out_schema.n_fields = (uint32_t)no;
    as->out_schema.fields = of;
    as->n_proj = 0;
    int nk = q->n_distinct_on ? q->n_distinct_on : no;
    as->n_keys = nk;
    as->keys = sp_arena_zalloc(c->a, (size_t)(nk + 1) * sizeof(sp_expr *));
    as->key_types = sp_arena_zalloc(c->a, (size_t)(nk + 1) * sizeof(sp_type));
    pl->key_sql = sp_arena_zalloc(c->a, (size_t)(nk + 1) * sizeof(char *));
    for (int k = 0; k < nk; k++) {
        sp_expr *e;
        if (q->n_distinct_on) {
            e = sp_bind_expr(q->distinct_on[k], scope, c->a, c->err);
            if (!e) return c->err->code;
            pl->key_sql[k] = sp_plan_sql_text(c, q->distinct_on[k]);
        } else {
            e = as->out[k];
            pl->key_sql[k] = of[k].name;
        }
        as->keys[k] = e;
        as->key_types[k] = e->type == SP_T_NULL ? SP_T_VARCHAR : e->type;
        if (e->kind == SP_E_COL && e->col == pl->wm_col && as->et_key < 0)
            as->et_key = k;
    }
    as->mode = pl->mode == SP_MODE_UPDATE ? 1 : 0;
    as->partitions =
        c->prog->shuffle_partitions > 0 ? c->prog->shuffle_partitions : 4;
    if (q->distinct_within_watermark) {
        if (pl->wm_col < 0) {
            sp_plan_fail_at(c, q->pos, SP_EANALYSIS,
                            "DISTINCT ... WITHIN WATERMARK needs a watermark "
                            "on the query's input");
            sp_err_hint(c->err, "declare one: WATERMARK FOR ts AS ts - "
                                "INTERVAL '10' SECOND in CREATE SOURCE, or "
                                "FROM s WATERMARK ts DELAY OF ...");
            return SP_EANALYSIS;
        }
        as->within_wm = true;
        as->et_expr = sp_expr_col(c->a, pl->wm_col, SP_T_TIMESTAMP);
        as->wm_delay_us = pl->wm_delay_us;
        as->et_key = -1; /* keys expire by their first row's time */
    }
    return 0;
}

int sp_plan_order(actx *c, const sp_ast_select *q, sp_plan *pl)
{
    sp_agg_spec *as = &pl->aggspec;
    as->limit = q->limit;
    int n = q->n_order_by;
    as->n_order = n;
    as->order_cols = sp_arena_zalloc(c->a, (size_t)(n + 1) * sizeof(int));
    as->order_desc = sp_arena_zalloc(c->a, (size_t)(n + 1) * sizeof(bool));
    as->order_nulls_first =
        sp_arena_zalloc(c->a, (size_t)(n + 1) * sizeof(bool));
    const sp_schema *os = &as->out_schema;
    for (int k = 0; k < n; k++) {
        const sp_ast_order *o = &q->order_by[k];
        const sp_ast_expr *e = o->expr;
        int col = -1;
        if (e->kind == SP_A_LITERAL && e->lit.type == SP_T_BIGINT) {
            if (e->lit.v.i >= 1 && e->lit.v.i <= (int64_t)os->n_fields)
                col = (int)e->lit.v.i - 1;
        } else if (e->kind == SP_A_IDENT && e->n_parts == 1) {
            col = sp_schema_find(os, e->parts[0], strlen(e->parts[0]));
        }
        if (col < 0) {
            char *sql = sp_plan_sql_text(c, e);
            for (int i = 0; i < q->n_items && col < 0; i++)
                if (strcmp(sp_plan_sql_text(c, q->items[i].expr), sql) == 0)
                    col = i;
        }
        if (col < 0) {
            sp_plan_fail_at(c, e->pos, SP_EUNSUPPORTED,
                            "ORDER BY must name a column of the result here");
            sp_err_hint(c->err, "sort by an output column's name or alias, "
                                "its position, or the same expression as in "
                                "the SELECT list");
            return SP_EUNSUPPORTED;
        }
        as->order_cols[k] = col;
        as->order_desc[k] = o->desc;
        /* Spark: NULLS FIRST for ASC, NULLS LAST for DESC by default */
        as->order_nulls_first[k] =
            o->nulls_first < 0 ? !o->desc : o->nulls_first == 1;
    }
    return 0;
}
