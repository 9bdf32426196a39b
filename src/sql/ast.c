/*
 * ast.c -- writing an AST expression back as SQL text.
 *
 * The text is what Spark would show as the name of an unaliased select
 * item, so `SELECT lower(url), a + 1 FROM t` yields columns `lower(url)`
 * and `(a + 1)`. The same text serves messages and EXPLAIN. Rules (Spark
 * 3.x's Expression.sql as used by toPrettySQL):
 *   - names: only the last part of a qualified name (`t.a` -> `a`),
 *     without quotes; `t.*` keeps its qualifier.
 *   - literals: numbers as Spark prints them (`1`, `-5`, `1.5`, `1000.0`),
 *     strings unquoted (`SELECT 'x'` is column `x`), `true`/`false`,
 *     `NULL`, TIMESTAMP '2024-01-01 00:00:00', intervals as
 *     INTERVAL '0 00:00:10' DAY TO SECOND.
 *   - binary operators fully parenthesized: `(a + 1)`, `(a AND b)`;
 *     `a <> b` is Spark's `(NOT (a = b))`; `a || b` is `concat(a, b)`.
 *   - unary: `(- a)`, `(+ a)`, `(NOT a)`.
 *   - predicates: `(a IS NULL)`, `(a IS NOT TRUE)`, `(a IN (1, 2))`,
 *     `(a BETWEEN 1 AND 2)` (Spark 3 would expand this to
 *     `((a >= 1) AND (a <= 2))`; the short form is kept on purpose),
 *     `a LIKE p`, `ilike(a, p)`, `RLIKE(a, p)`; NOT forms wrap the
 *     positive one in `(NOT ...)`.
 *   - CASE: `CASE WHEN c THEN v [ELSE e] END`; CASE x WHEN v ... is
 *     written as Spark rewrites it, `CASE WHEN (x = v) THEN ...`.
 *   - casts: `CAST(x AS BIGINT)`, `TRY_CAST(x AS STRING)` (VARCHAR is
 *     shown as STRING, like Spark).
 *   - calls: the name lower-cased, `count(1)` for count(*),
 *     `count(DISTINCT x)`.
 */
#include "sql/ast.h"

#include <ctype.h>
#include <strings.h>
#include <string.h>

static const char *binary_op_text(sp_ast_op op)
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
    case SP_OP_EQ:
        return "=";
    case SP_OP_LT:
        return "<";
    case SP_OP_LE:
        return "<=";
    case SP_OP_GT:
        return ">";
    case SP_OP_GE:
        return ">=";
    case SP_OP_AND:
        return "AND";
    case SP_OP_OR:
        return "OR";
    default:
        return "?";
    }
}

/* Spark's name for a type in CAST(... AS type). */
static const char *cast_type_name(sp_type t)
{
    return t == SP_T_VARCHAR ? "STRING" : sp_type_name(t);
}

static int lit_to_sql(const sp_ast_lit *l, sp_buf *out)
{
    char buf[64];
    switch (l->type) {
    case SP_T_NULL:
        return sp_buf_puts(out, "NULL");
    case SP_T_BOOL:
        return sp_buf_puts(out, l->v.b ? "true" : "false");
    case SP_T_BIGINT:
        return sp_buf_printf(out, "%lld", (long long)l->v.i);
    case SP_T_DOUBLE:
        sp_fmt_double(l->v.d, buf);
        return sp_buf_puts(out, buf);
    case SP_T_VARCHAR:
        return sp_buf_append(out, l->v.s.ptr, l->v.s.len);
    case SP_T_TIMESTAMP:
        sp_ts_format(l->v.i, buf);
        return sp_buf_printf(out, "TIMESTAMP '%s'", buf);
    case SP_T_INTERVAL:
        sp_interval_format(l->v.i, buf);
        return sp_buf_puts(out, buf);
    default:
        return sp_buf_puts(out, "?");
    }
}

static int list_to_sql(sp_ast_expr *const *args, int n, sp_buf *out)
{
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        if (i) rc = sp_buf_puts(out, ", ");
        if (rc == 0) rc = sp_ast_expr_to_sql(args[i], out);
    }
    return rc;
}

/* The positive form of IN / BETWEEN / LIKE (NOT is added by the caller). */
static int predicate_to_sql(const sp_ast_expr *e, sp_buf *out)
{
    int rc = 0;
    if (e->n_args < 1) return sp_buf_puts(out, "?");
    switch (e->kind) {
    case SP_A_IN:
        rc = sp_buf_putc(out, '(');
        if (!rc) rc = sp_ast_expr_to_sql(e->args[0], out);
        if (!rc) rc = sp_buf_puts(out, " IN (");
        if (!rc) rc = list_to_sql(e->args + 1, e->n_args - 1, out);
        if (!rc) rc = sp_buf_puts(out, "))");
        return rc;
    case SP_A_BETWEEN:
        if (e->n_args < 3) return sp_buf_puts(out, "?");
        rc = sp_buf_putc(out, '(');
        if (!rc) rc = sp_ast_expr_to_sql(e->args[0], out);
        if (!rc) rc = sp_buf_puts(out, " BETWEEN ");
        if (!rc) rc = sp_ast_expr_to_sql(e->args[1], out);
        if (!rc) rc = sp_buf_puts(out, " AND ");
        if (!rc) rc = sp_ast_expr_to_sql(e->args[2], out);
        if (!rc) rc = sp_buf_putc(out, ')');
        return rc;
    default: /* LIKE */
        if (e->n_args < 2) return sp_buf_puts(out, "?");
        if (e->like_kind == SP_LIKE) {
            rc = sp_ast_expr_to_sql(e->args[0], out);
            if (!rc) rc = sp_buf_puts(out, " LIKE ");
            if (!rc) rc = sp_ast_expr_to_sql(e->args[1], out);
            return rc;
        }
        rc = sp_buf_puts(out, e->like_kind == SP_ILIKE ? "ilike(" : "RLIKE(");
        if (!rc) rc = list_to_sql(e->args, 2, out);
        if (!rc) rc = sp_buf_putc(out, ')');
        return rc;
    }
}

static int case_to_sql(const sp_ast_expr *e, sp_buf *out)
{
    int rc = sp_buf_puts(out, "CASE");
    for (int i = 0; i < e->n_whens && !rc; i++) {
        rc = sp_buf_puts(out, " WHEN ");
        if (e->operand) {
            if (!rc) rc = sp_buf_putc(out, '(');
            if (!rc) rc = sp_ast_expr_to_sql(e->operand, out);
            if (!rc) rc = sp_buf_puts(out, " = ");
            if (!rc) rc = sp_ast_expr_to_sql(e->whens[i], out);
            if (!rc) rc = sp_buf_putc(out, ')');
        } else if (!rc) {
            rc = sp_ast_expr_to_sql(e->whens[i], out);
        }
        if (!rc) rc = sp_buf_puts(out, " THEN ");
        if (!rc) rc = sp_ast_expr_to_sql(e->thens[i], out);
    }
    if (!rc && e->else_) {
        rc = sp_buf_puts(out, " ELSE ");
        if (!rc) rc = sp_ast_expr_to_sql(e->else_, out);
    }
    if (!rc) rc = sp_buf_puts(out, " END");
    return rc;
}

int sp_ast_expr_to_sql(const sp_ast_expr *e, sp_buf *out)
{
    int rc = 0;
    if (!e) return sp_buf_puts(out, "?");
    switch (e->kind) {
    case SP_A_IDENT:
        if (e->n_parts < 1) return sp_buf_puts(out, "?");
        return sp_buf_puts(out, e->parts[e->n_parts - 1]);
    case SP_A_LITERAL:
        return lit_to_sql(&e->lit, out);
    case SP_A_STAR:
        for (int i = 0; i < e->n_parts && !rc; i++) {
            rc = sp_buf_puts(out, e->parts[i]);
            if (!rc) rc = sp_buf_putc(out, '.');
        }
        return rc ? rc : sp_buf_putc(out, '*');
    case SP_A_UNARY:
        if (e->n_args < 1) return sp_buf_puts(out, "?");
        rc = sp_buf_puts(out, e->op == SP_OP_NOT   ? "(NOT "
                              : e->op == SP_OP_NEG ? "(- "
                                                   : "(+ ");
        if (!rc) rc = sp_ast_expr_to_sql(e->args[0], out);
        return rc ? rc : sp_buf_putc(out, ')');
    case SP_A_BINARY:
        if (e->n_args < 2) return sp_buf_puts(out, "?");
        if (e->op == SP_OP_CONCAT) {
            rc = sp_buf_puts(out, "concat(");
            if (!rc) rc = list_to_sql(e->args, 2, out);
            return rc ? rc : sp_buf_putc(out, ')');
        }
        rc = sp_buf_puts(out, e->op == SP_OP_NE ? "(NOT (" : "(");
        if (!rc) rc = sp_ast_expr_to_sql(e->args[0], out);
        if (!rc)
            rc = sp_buf_printf(out, " %s ",
                               e->op == SP_OP_NE ? "=" : binary_op_text(e->op));
        if (!rc) rc = sp_ast_expr_to_sql(e->args[1], out);
        if (!rc) rc = sp_buf_puts(out, e->op == SP_OP_NE ? "))" : ")");
        return rc;
    case SP_A_IS_NULL:
    case SP_A_IS_BOOL:
        if (e->n_args < 1) return sp_buf_puts(out, "?");
        rc = sp_buf_putc(out, '(');
        if (!rc) rc = sp_ast_expr_to_sql(e->args[0], out);
        if (!rc)
            rc = sp_buf_printf(out, " IS %s%s)", e->negated ? "NOT " : "",
                               e->kind == SP_A_IS_NULL ? "NULL"
                               : e->lit.v.b            ? "TRUE"
                                                       : "FALSE");
        return rc;
    case SP_A_IN:
    case SP_A_BETWEEN:
    case SP_A_LIKE:
        if (e->negated) rc = sp_buf_puts(out, "(NOT ");
        if (!rc) rc = predicate_to_sql(e, out);
        if (!rc && e->negated) rc = sp_buf_putc(out, ')');
        return rc;
    case SP_A_CASE:
        return case_to_sql(e, out);
    case SP_A_CAST:
        if (e->n_args < 1) return sp_buf_puts(out, "?");
        rc = sp_buf_puts(out, e->is_try ? "TRY_CAST(" : "CAST(");
        if (!rc) rc = sp_ast_expr_to_sql(e->args[0], out);
        if (!rc)
            rc = sp_buf_printf(out, " AS %s)", cast_type_name(e->cast_type));
        return rc;
    case SP_A_CALL: {
        const char *name = e->n_parts > 0 ? e->parts[0] : "?";
        for (const char *c = name; *c && !rc; c++)
            rc = sp_buf_putc(out, (char)tolower((unsigned char)*c));
        if (!rc) rc = sp_buf_putc(out, '(');
        if (!rc && e->star) {
            bool is_count = strcasecmp(name, "count") == 0;
            rc = sp_buf_puts(out, is_count ? "1" : "*");
        }
        if (!rc && e->distinct) rc = sp_buf_puts(out, "DISTINCT ");
        if (!rc) rc = list_to_sql(e->args, e->n_args, out);
        return rc ? rc : sp_buf_putc(out, ')');
    }
    case SP_A_SUBSCRIPT:
        if (e->n_args < 2) return sp_buf_puts(out, "?");
        rc = sp_ast_expr_to_sql(e->args[0], out);
        if (!rc) rc = sp_buf_putc(out, '[');
        if (!rc) rc = sp_ast_expr_to_sql(e->args[1], out);
        return rc ? rc : sp_buf_putc(out, ']');
    }
    return sp_buf_puts(out, "?");
}
