/*
 * ast.h -- the syntax tree of a spate SQL script, as the parser builds it.
 *
 * The tree is syntax only: names are unresolved, types unknown. Every node
 * records where it starts in the script (sp_pos) so the analyzer can point
 * at the offending text. All nodes, arrays and strings live in the arena
 * passed to sp_sql_parse and die with it. Identifiers are stored as written
 * (quotes removed); keyword matching is case-insensitive.
 */
#ifndef SP_SQL_AST_H
#define SP_SQL_AST_H

#include "core/core.h"

typedef struct sp_pos {
    int line, col; /* 1-based */
    int off;       /* byte offset in the script */
    int len;       /* bytes of the token or construct (>= 1) */
} sp_pos;

/* Binary and unary operators. */
typedef enum sp_ast_op {
    SP_OP_ADD,
    SP_OP_SUB,
    SP_OP_MUL,
    SP_OP_DIV,
    SP_OP_MOD,
    SP_OP_CONCAT, /* || */
    SP_OP_EQ,
    SP_OP_NE, /* <> and != */
    SP_OP_LT,
    SP_OP_LE,
    SP_OP_GT,
    SP_OP_GE,
    SP_OP_AND,
    SP_OP_OR,
    SP_OP_NOT, /* unary */
    SP_OP_NEG, /* unary minus */
    SP_OP_PLUS /* unary plus */
} sp_ast_op;

typedef enum sp_ast_kind {
    SP_A_IDENT,    /* parts[0..n_parts): a, t.a, w.start */
    SP_A_LITERAL,  /* lit */
    SP_A_STAR,     /* * or t.* (parts = qualifier, n_parts 0 or 1) */
    SP_A_UNARY,    /* op, args[0] */
    SP_A_BINARY,   /* op, args[0], args[1] */
    SP_A_IS_NULL,  /* args[0] IS [NOT] NULL; negated */
    SP_A_IS_BOOL,  /* args[0] IS [NOT] TRUE/FALSE; lit.v.b, negated */
    SP_A_IN,       /* args[0] [NOT] IN (args[1..n_args)); negated */
    SP_A_BETWEEN,  /* args[0] [NOT] BETWEEN args[1] AND args[2] */
    SP_A_LIKE,     /* args[0] [NOT] LIKE|ILIKE|RLIKE args[1]; like_kind */
    SP_A_CASE,     /* operand (may be NULL), whens[i]/thens[i], else_ */
    SP_A_CAST,     /* CAST(args[0] AS cast_type); TRY_CAST: is_try */
    SP_A_CALL,     /* name(args...), distinct, star (count(*)) */
    SP_A_SUBSCRIPT /* args[0][args[1]] (parsed; analyzer may reject) */
} sp_ast_kind;

typedef enum sp_like_kind { SP_LIKE, SP_ILIKE, SP_RLIKE } sp_like_kind;

/* A literal. Typed string literals become their type: TIMESTAMP '...'
 * (type TIMESTAMP, i = microseconds), DATE '...' (TIMESTAMP at midnight),
 * INTERVAL '10' SECOND / INTERVAL '10 seconds' / INTERVAL 10 SECONDS
 * (type INTERVAL, i = microseconds). Numbers without '.', 'e' are BIGINT
 * (parse error if they overflow), others DOUBLE. Strings are VARCHAR with
 * escapes ('' and backslash escapes as Spark) resolved; v.s points into
 * the arena. */
typedef struct sp_ast_lit {
    sp_type type; /* SP_T_NULL for NULL */
    union {
        bool b;
        int64_t i;
        double d;
        sp_str s;
    } v;
} sp_ast_lit;

typedef struct sp_ast_expr sp_ast_expr;
struct sp_ast_expr {
    sp_ast_kind kind;
    sp_pos pos;    /* whole construct where practical */
    sp_ast_op op;  /* UNARY, BINARY */
    bool negated;  /* IS NOT NULL, NOT IN, NOT BETWEEN, NOT LIKE */
    bool distinct; /* CALL: f(DISTINCT x) */
    bool star;     /* CALL: count(*) */
    bool is_try;   /* CAST: TRY_CAST */
    sp_like_kind like_kind;
    char **parts; /* IDENT/STAR qualifiers; CALL: parts[0] = name */
    int n_parts;
    sp_ast_expr **args;
    int n_args;
    sp_ast_lit lit;               /* LITERAL; IS_BOOL uses lit.v.b */
    sp_type cast_type;            /* CAST */
    sp_ast_expr *operand;         /* CASE x WHEN ... (or NULL) */
    sp_ast_expr **whens, **thens; /* CASE, n_whens each */
    int n_whens;
    sp_ast_expr *else_; /* CASE ... ELSE (or NULL) */
};

typedef struct sp_ast_item {
    sp_ast_expr *expr;
    char *alias; /* AS alias, or NULL */
    sp_pos alias_pos;
} sp_ast_item;

/* A relation in FROM: a named source/table, or a subquery. */
typedef struct sp_ast_select sp_ast_select;
typedef struct sp_ast_from {
    char *name; /* source/table name, or NULL for a subquery */
    sp_ast_select *subquery;
    char *alias; /* or NULL */
    sp_pos pos;
    /* Spark's clause: FROM s WATERMARK expr [AS name] DELAY OF interval */
    sp_ast_expr *wm_expr; /* NULL if absent */
    char *wm_alias;
    int64_t wm_delay_us;
    sp_pos wm_pos;
} sp_ast_from;

typedef enum sp_join_kind { SP_JOIN_INNER, SP_JOIN_LEFT } sp_join_kind;

typedef struct sp_ast_join {
    sp_join_kind kind;
    sp_ast_from right;
    sp_ast_expr *on; /* or NULL with USING */
    sp_pos pos;
} sp_ast_join;

typedef struct sp_ast_order {
    sp_ast_expr *expr;
    bool desc;
    int nulls_first; /* -1 default, 0 last, 1 first */
} sp_ast_order;

struct sp_ast_select {
    sp_pos pos;
    bool distinct;
    sp_ast_expr **distinct_on;      /* DISTINCT ON (...) */
    bool distinct_within_watermark; /* ... WITHIN WATERMARK */
    int n_distinct_on;
    sp_ast_item *items;
    int n_items;
    sp_ast_from from; /* from.name == NULL && !subquery: no FROM */
    sp_ast_join *joins;
    int n_joins;
    sp_ast_expr *where;
    sp_ast_expr **group_by;
    int n_group_by;
    sp_ast_expr *having;
    sp_ast_order *order_by;
    int n_order_by;
    int64_t limit;            /* -1 if none */
    sp_ast_select *union_all; /* next SELECT of a UNION ALL chain, or NULL */
    /* LATERAL VIEW explode(...) [t] AS name, or NULL */
    sp_ast_expr *lateral;
    char *lateral_name;
    sp_pos lateral_pos;
    /* Set by the planner, not the parser: a generator item explode(x) AS
     * name, replaced in `items` by a reference to `generator_name`. */
    sp_ast_expr *generator;
    char *generator_name;
};

/* A column in CREATE SOURCE/TABLE: declared (type) or computed (expr). */
typedef struct sp_ast_column {
    char *name;
    sp_pos pos;
    sp_type type;          /* declared type; SP_T_NULL when computed */
    sp_ast_expr *computed; /* name AS expr, or NULL */
} sp_ast_column;

/* key = value in WITH (...). Keys: identifiers, dotted identifiers or
 * quoted strings. Values: strings (unquoted here), numbers, TRUE/FALSE or
 * identifiers, kept as text in `value`. */
typedef struct sp_ast_option {
    char *key;
    sp_pos key_pos;
    char *value;
    sp_pos value_pos;
} sp_ast_option;

typedef enum sp_stmt_kind {
    SP_STMT_CREATE_SOURCE,
    SP_STMT_CREATE_TABLE,
    SP_STMT_CREATE_SINK,
    SP_STMT_CREATE_VIEW,
    SP_STMT_SET
} sp_stmt_kind;

typedef struct sp_ast_stmt {
    sp_stmt_kind kind;
    sp_pos pos;
    char *name; /* object name; SET: the key */
    sp_pos name_pos;
    sp_ast_column *columns;
    int n_columns;
    /* WATERMARK FOR col AS expr */
    char *wm_column;
    sp_pos wm_pos;
    sp_ast_expr *wm_expr;
    sp_ast_option *options;
    int n_options;
    sp_ast_select *query; /* CREATE SINK/VIEW ... AS SELECT */
    /* SET key = value: the value's text as written, trimmed, without the
     * terminating ';'. A single quoted string is unquoted. */
    char *set_value;
    sp_pos set_value_pos;
} sp_ast_stmt;

typedef struct sp_ast_script {
    sp_ast_stmt **stmts;
    int n_stmts;
    const char *file; /* for error positions */
    const char *text; /* the script (borrowed) */
    size_t text_len;
} sp_ast_script;

/* Parses a script. `file` names it in errors. On error returns SP_ESYNTAX
 * with err->line/col/len set at the offending token and a hint where one
 * helps ("expected ')' to close the argument list opened at 3:14").
 * The result lives in `arena`. */
int sp_sql_parse(const char *text, size_t len, const char *file,
                 sp_arena *arena, sp_ast_script **out, sp_err *err);

/* Parses one expression (for tests and for option values that are
 * expressions). */
int sp_sql_parse_expr(const char *text, size_t len, sp_arena *arena,
                      sp_ast_expr **out, sp_err *err);

/* Writes an expression back as SQL text, fully parenthesized, for
 * messages, EXPLAIN and default column names. Spark names an unaliased
 * column by its expression text: `lower(url)`, `(a + 1)`. */
int sp_ast_expr_to_sql(const sp_ast_expr *e, sp_buf *out);

#endif /* SP_SQL_AST_H */
