/*
 * bind.h -- the expression binder: syntax (sp_ast_expr) to typed sp_expr.
 *
 * Resolves column names against the input schema, literals to constants,
 * operators and function calls through the catalog (src/expr/func.c), with
 * implicit casts as Spark inserts them. Every error points at the offending
 * text (err->file/line/col/len from the node's sp_pos) and says what to do.
 */
#ifndef SP_SQL_BIND_H
#define SP_SQL_BIND_H

#include "expr/expr.h"
#include "sql/ast.h"

typedef struct sp_scope {
    const sp_schema *schema; /* columns visible to the expression */
    const char *qualifier;   /* relation name or alias usable as `q.col`,
                                may be NULL */
    const char *file;        /* script file name for error positions */
    bool allow_aggregates;   /* false: aggregate calls are an error */
    /* Several relations (a join): the relation name or alias of each
     * field, so `r.c` finds field c of relation r; NULL = one relation
     * named by `qualifier`. An unqualified name found in two relations is
     * ambiguous. */
    const char *const *field_qual;
} sp_scope;

/* Binds one expression. The result and its constants live in `a`. NULL on
 * error (err set with position). */
sp_expr *sp_bind_expr(const sp_ast_expr *ast, const sp_scope *scope,
                      sp_arena *a, sp_err *err);

/* True if `name` is an aggregate function name (count, sum, min, max, avg,
 * ...), so that the analyzer can say "needs GROUP BY" precisely. */
bool sp_bind_is_aggregate(const char *name);

#endif /* SP_SQL_BIND_H */
