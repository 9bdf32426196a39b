/*
 * planInt.h -- private to src/plan: the analysis context and helpers
 * shared by plan.c (statements, stateless queries) and plan_agg.c
 * (aggregations).
 */
#ifndef SP_PLAN_INT_H
#define SP_PLAN_INT_H

#include "plan/plan.h"
#include "sql/bind.h"

typedef struct actx {
    const sp_ast_script *script;
    sp_arena *a;
    sp_err *err;
    sp_program *prog;
} actx;

/* Sets an error at a position of the script; returns the code. */
int sp_plan_fail_at(actx *c, sp_pos pos, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int sp_plan_unsupported(actx *c, sp_pos pos, const char *what,
                        const char *hint);
/* The SQL text of an expression, into the arena. */
char *sp_plan_sql_text(actx *c, const sp_ast_expr *e);
/* Marks the input columns an expression reads. */
void sp_plan_mark_used(const sp_expr *e, bool *used);
/* Copies an expression with column indexes mapped through map. */
sp_expr *sp_plan_remap(sp_arena *a, const sp_expr *e, const int *map);
bool sp_plan_has_aggregate(const sp_ast_expr *e);

/* The output name of a SELECT item (alias, column name, or SQL text). */
char *sp_plan_item_name(actx *c, const sp_ast_item *it, const char *sql);
/* Plans the aggregation of a query (GROUP BY, aggregates, HAVING) into
 * pl->aggspec, with keys and args bound over pl->in (`scope`). */
int sp_plan_agg(actx *c, const sp_ast_stmt *st, const sp_ast_select *q,
                sp_plan *pl, const sp_scope *scope);

/* Plans SELECT DISTINCT / DISTINCT ON as deduplication (aggspec.dedup). */
int sp_plan_dedup(actx *c, const sp_ast_select *q, sp_plan *pl,
                  const sp_scope *scope);

/* ORDER BY / LIMIT of an aggregation in complete mode: each ORDER BY
 * expression names an output column (alias or name), a position, or is the
 * same expression as a SELECT item. */
int sp_plan_order(actx *c, const sp_ast_select *q, sp_plan *pl);

#endif
