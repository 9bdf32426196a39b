/*
 * parser.c -- hand-written recursive-descent parser: script text -> AST.
 *
 * Where it sits: src/sql, between the lexer (lexer.c, pulled on demand
 * through a 4-token lookahead window) and the analyzer (bind.c and the
 * planner), which consume the sp_ast_* tree declared in ast.h.
 *
 * Why hand-written and not a generated (bison/lemon) grammar: no parser
 * generator is a build dependency, and the two things that matter most for
 * a SQL front end here are easier by hand: Spark's non-reserved keywords
 * (`timestamp`, `window`, `end`, `count` ... are plain column names unless
 * the next tokens make them syntax) and error messages that name the
 * offending token, what was expected, and where an unclosed construct
 * opened. The parser is reentrant: all state is in `parser` on the stack.
 *
 * Invariants:
 *   - Every parse_* function returns NULL/false after an error, and the
 *     first error wins (p->failed). Callers just propagate.
 *   - All memory comes from p->arena; nothing is freed individually.
 *   - Recursion is bounded by MAX_DEPTH, counted at every point that can
 *     nest (parenthesized expressions, unary chains, subqueries), so no
 *     input can overflow the C stack.
 *
 * Expression precedence, lowest first (Spark SQL's, with || below + -):
 *   OR < AND < NOT < comparison and predicates (= == <> != < <= > >=,
 *   IS [NOT] NULL|TRUE|FALSE, [NOT] IN (...), [NOT] BETWEEN, [NOT]
 *   LIKE|ILIKE|RLIKE) < || < + - < * / % < unary - + < postfix x[i].
 */
#include "sql/ast.h"
#include "sql/lexer.h"

#include <stdarg.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 200
/* Left-associative chains (a + b + c ...) build trees as deep as they are
 * long; consumers walk trees recursively, so chains count against this. */
#define MAX_CHAIN 1000
#define LOOKAHEAD 4

typedef struct parser {
    sp_lexer lx;
    sp_tok la[LOOKAHEAD]; /* la[0] is the current token */
    int n_la;             /* tokens in la */
    sp_tok prev;          /* the last token consumed */
    bool have_prev;
    sp_arena *arena;
    sp_err *err;
    const char *file;
    int depth;    /* current nesting, see MAX_DEPTH */
    int chain;    /* operators in open left-assoc chains, MAX_CHAIN */
    bool failed;  /* an error is set; unwind */
    bool own_err; /* the error in err was set by this parser */
} parser;

/* ------------------------------------------------------------------------
 * Tokens
 * ---------------------------------------------------------------------- */

static const sp_tok *peek_n(parser *p, int k)
{
    SP_ASSERT(k >= 0 && k < LOOKAHEAD);
    while (p->n_la <= k) p->la[p->n_la++] = sp_lex_next(&p->lx);
    return &p->la[k];
}

static const sp_tok *peek(parser *p)
{
    return peek_n(p, 0);
}

static sp_tok advance(parser *p)
{
    peek(p);
    sp_tok t = p->la[0];
    memmove(&p->la[0], &p->la[1], sizeof(sp_tok) * (size_t)(p->n_la - 1));
    p->n_la--;
    p->prev = t;
    p->have_prev = true;
    return t;
}

static bool is_kind(parser *p, sp_tok_kind k)
{
    return peek(p)->kind == k;
}

static bool accept(parser *p, sp_tok_kind k)
{
    if (!is_kind(p, k)) return false;
    advance(p);
    return true;
}

static bool tok_is_word(const parser *p, const sp_tok *t, const char *kw)
{
    size_t n = strlen(kw);
    return t->kind == SP_TK_WORD && (size_t)t->len == n &&
           strncasecmp(p->lx.text + t->off, kw, n) == 0;
}

static bool at_kw(parser *p, const char *kw)
{
    return tok_is_word(p, peek(p), kw);
}

static bool at_kw_n(parser *p, int k, const char *kw)
{
    return tok_is_word(p, peek_n(p, k), kw);
}

static bool accept_kw(parser *p, const char *kw)
{
    if (!at_kw(p, kw)) return false;
    advance(p);
    return true;
}

static sp_pos tok_pos(const sp_tok *t)
{
    sp_pos pos = {t->line, t->col, t->off, t->len > 0 ? t->len : 1};
    return pos;
}

/* The span from `start` to the end of the last consumed token. */
static sp_pos span_from(const parser *p, sp_pos start)
{
    int end = p->prev.off + p->prev.len;
    if (p->have_prev && end > start.off) start.len = end - start.off;
    return start;
}

/* Words that cannot be column names or implicit aliases. Exceptions:
 * `end` is a name wherever an expression starts (see parse_primary) and
 * after AS; after '.' any word is a name (w.end, t.from). */
static const char *const reserved_words[] = {
    "ALL",       "AND",    "AS",       "BETWEEN", "BY",    "CASE",   "CAST",
    "CREATE",    "CROSS",  "DISTINCT", "ELSE",    "END",   "EXCEPT", "FALSE",
    "FROM",      "FULL",   "GROUP",    "HAVING",  "ILIKE", "IN",     "INNER",
    "INTERSECT", "IS",     "JOIN",     "LEFT",    "LIKE",  "LIMIT",  "NOT",
    "NULL",      "ON",     "OR",       "ORDER",   "OUTER", "REGEXP", "RIGHT",
    "RLIKE",     "SELECT", "SET",      "THEN",    "TRUE",  "UNION",  "USING",
    "WHEN",      "WHERE",  "WITH",
};

static bool is_reserved(const parser *p, const sp_tok *t)
{
    if (t->kind != SP_TK_WORD) return false;
    for (size_t i = 0; i < SP_ARRAY_LEN(reserved_words); i++)
        if (tok_is_word(p, t, reserved_words[i])) return true;
    return false;
}

/* A token usable as a name: a quoted identifier or a non-reserved word. */
static bool is_name_tok(const parser *p, const sp_tok *t)
{
    return t->kind == SP_TK_QIDENT ||
           (t->kind == SP_TK_WORD && !is_reserved(p, t));
}

/* ------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------- */

static void oom(parser *p)
{
    if (p->failed) return;
    p->failed = true;
    p->own_err = false; /* no hints on an OOM error */
    sp_err_set(p->err, SP_ENOMEM, "out of memory while parsing");
}

/* Describes token t for a message: `"FORM"`, `end of input`. */
static void describe(const parser *p, const sp_tok *t, char *buf, size_t n)
{
    if (t->kind == SP_TK_EOF) {
        snprintf(buf, n, "end of input");
        return;
    }
    int len = t->len;
    const char *s = p->lx.text + t->off;
    const char *nl = memchr(s, '\n', (size_t)len);
    if (nl) len = (int)(nl - s);
    bool cut = len > 40;
    if (cut) len = 40;
    snprintf(buf, n, "\"%.*s%s\"", len, s, cut ? "..." : "");
}

/* Sets the syntax error at token t: `syntax error at "x": <what>`. If t
 * is a lexical error, that error is reported instead. Returns NULL so
 * callers can `return fail(...)`. */
static void *fail_v(parser *p, const sp_tok *t, bool plain, const char *fmt,
                    va_list ap)
{
    if (p->failed) return NULL;
    p->failed = true;
    if (p->err->code != 0) return NULL;
    p->own_err = true;
    if (t->kind == SP_TK_ERROR && p->lx.failed) {
        const sp_tok *e = &p->lx.err_tok;
        sp_err_set(p->err, SP_ESYNTAX, "%s", p->lx.err_msg);
        sp_err_at(p->err, p->file, e->line, e->col, e->len);
        if (p->lx.err_hint[0]) sp_err_hint(p->err, "%s", p->lx.err_hint);
        p->own_err = false; /* no further hints: the lexer's stands */
        return NULL;
    }
    char what[300], where[64];
    vsnprintf(what, sizeof what, fmt, ap);
    describe(p, t, where, sizeof where);
    if (plain)
        sp_err_set(p->err, SP_ESYNTAX, "%s", what);
    else if (t->kind == SP_TK_EOF)
        sp_err_set(p->err, SP_ESYNTAX, "syntax error at end of input: %s",
                   what);
    else
        sp_err_set(p->err, SP_ESYNTAX, "syntax error at %s: %s", where, what);
    sp_err_at(p->err, p->file, t->line, t->col, t->len);
    return NULL;
}

static void *fail(parser *p, const sp_tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void *fail(parser *p, const sp_tok *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(p, t, false, fmt, ap);
    va_end(ap);
    return NULL;
}

/* Like fail, for messages that already say what is wrong with the token
 * ("invalid TIMESTAMP literal '...'"): no `syntax error at` prefix. */
static void *fail_lit(parser *p, const sp_tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void *fail_lit(parser *p, const sp_tok *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(p, t, true, fmt, ap);
    va_end(ap);
    return NULL;
}

/* Adds a hint to the error this parser just set (never overwrites the
 * lexer's hint or someone else's error). */
static void hint(parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void hint(parser *p, const char *fmt, ...)
{
    if (!p->own_err || p->err->hint[0]) return;
    va_list ap;
    va_start(ap, fmt);
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sp_err_hint(p->err, "%s", buf);
}

/* Optimal string alignment distance, case-insensitive, capped at 3. */
static int edit_distance(const char *a, int na, const char *b, int nb)
{
    if (na > 30 || nb > 30) return 3;
    int d[32][32];
    for (int i = 0; i <= na; i++) d[i][0] = i;
    for (int j = 0; j <= nb; j++) d[0][j] = j;
    for (int i = 1; i <= na; i++) {
        for (int j = 1; j <= nb; j++) {
            int ca = a[i - 1] | 0x20, cb = b[j - 1] | 0x20;
            int cost = ca == cb ? 0 : 1;
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && ca == (b[j - 2] | 0x20) &&
                (a[i - 2] | 0x20) == cb && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[na][nb] < 3 ? d[na][nb] : 3;
}

/* If word token t looks like a misspelling of one of `kws` (NULL-ended),
 * returns that keyword. */
static const char *near_miss(const parser *p, const sp_tok *t,
                             const char *const *kws)
{
    if (!t || t->kind != SP_TK_WORD || t->len < 2) return NULL;
    for (const char *const *k = kws; *k; k++) {
        int n = (int)strlen(*k);
        int d = edit_distance(p->lx.text + t->off, t->len, *k, n);
        if (d == 0) continue;
        if (d == 1 || (d == 2 && n >= 5 && t->len >= 4)) return *k;
    }
    return NULL;
}

/* Reports an unexpected token after a construct. When the implicit alias
 * just parsed (`alias`, may be NULL) or the token itself looks like a
 * misspelled keyword from `kws`, the error points there instead. */
static void *unexpected(parser *p, const sp_tok *alias, const char *const *kws,
                        const char *expected)
{
    const char *kw = near_miss(p, alias, kws);
    if (kw) {
        fail(p, alias, "expected %s", kw);
        hint(p, "did you mean %s?", kw);
        return NULL;
    }
    const sp_tok *t = peek(p);
    kw = near_miss(p, t, kws);
    fail(p, t, "expected %s", expected);
    if (kw) hint(p, "did you mean %s?", kw);
    return NULL;
}

static bool expect(parser *p, sp_tok_kind k, const char *context)
{
    if (accept(p, k)) return true;
    fail(p, peek(p), "expected %s%s%s", sp_tok_kind_name(k), context ? " " : "",
         context ? context : "");
    return false;
}

/* Expects ')' closing the '(' at `open`. */
static bool expect_close(parser *p, const sp_tok *open, const char *what)
{
    if (accept(p, SP_TK_RPAREN)) return true;
    fail(p, peek(p), "expected ')' to close the %s", what);
    hint(p, "the '(' at %d:%d is not closed", open->line, open->col);
    return false;
}

static bool expect_kw(parser *p, const char *kw, const char *context)
{
    if (accept_kw(p, kw)) return true;
    const char *kws[2] = {kw, NULL};
    const sp_tok *t = peek(p);
    fail(p, t, "expected %s%s%s", kw, context ? " " : "",
         context ? context : "");
    if (near_miss(p, t, kws)) hint(p, "did you mean %s?", kw);
    return false;
}

static bool enter(parser *p)
{
    if (p->failed) return false;
    if (++p->depth > MAX_DEPTH) {
        fail(p, peek(p), "expression or query nested too deeply");
        hint(p, "the limit is %d levels", MAX_DEPTH);
        return false;
    }
    return true;
}

static void leave(parser *p)
{
    p->depth--;
}

/* One more link in a left-associative chain; *n counts this loop's links
 * so the caller can give them back (p->chain -= n) when the loop ends. */
static bool chain_step(parser *p, int *n)
{
    (*n)++;
    if (++p->chain > MAX_CHAIN) {
        fail(p, peek(p), "expression is too long");
        hint(p, "the limit is %d chained operators", MAX_CHAIN);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------------
 * Memory helpers
 * ---------------------------------------------------------------------- */

static void *zalloc(parser *p, size_t n)
{
    void *m = sp_arena_zalloc(p->arena, n);
    if (!m) oom(p);
    return m;
}

/* Appends *item (elem bytes) to the arena array *arr of *n elements with
 * capacity *cap, doubling as needed (old blocks stay in the arena). */
static bool push_(parser *p, void **arr, int *n, int *cap, size_t elem,
                  const void *item)
{
    if (*n >= *cap) {
        int nc = *cap ? *cap * 2 : 4;
        void *m = sp_arena_alloc(p->arena, elem * (size_t)nc);
        if (!m) {
            oom(p);
            return false;
        }
        if (*n) memcpy(m, *arr, elem * (size_t)*n);
        *arr = m;
        *cap = nc;
    }
    memcpy((char *)*arr + elem * (size_t)*n, item, elem);
    (*n)++;
    return true;
}
#define PUSH(p, arr, n, cap, item)                                             \
    push_((p), (void **)&(arr), &(n), &(cap), sizeof *(arr), &(item))

static char *tok_text(parser *p, const sp_tok *t)
{
    char *s = sp_arena_strndup(p->arena, p->lx.text + t->off, (size_t)t->len);
    if (!s) oom(p);
    return s;
}

/* The name in a WORD or QIDENT token (quotes removed). */
static char *name_text(parser *p, const sp_tok *t)
{
    if (t->kind == SP_TK_QIDENT) {
        char *s = sp_lex_unescape(&p->lx, t, p->arena, NULL);
        if (!s) oom(p);
        return s;
    }
    return tok_text(p, t);
}

static char *string_text(parser *p, const sp_tok *t, size_t *len)
{
    char *s = sp_lex_unescape(&p->lx, t, p->arena, len);
    if (!s) oom(p);
    return s;
}

/* ------------------------------------------------------------------------
 * Expressions
 * ---------------------------------------------------------------------- */

static sp_ast_expr *parse_expr(parser *p);
static sp_ast_expr *parse_concat(parser *p);
static sp_ast_expr *parse_unary(parser *p);
static sp_ast_select *parse_query(parser *p);

static sp_ast_expr *new_expr(parser *p, sp_ast_kind kind, sp_pos pos)
{
    sp_ast_expr *e = zalloc(p, sizeof *e);
    if (!e) return NULL;
    e->kind = kind;
    e->pos = pos;
    return e;
}

static sp_ast_expr *new_binary(parser *p, sp_ast_op op, sp_ast_expr *l,
                               sp_ast_expr *r)
{
    sp_ast_expr *e = new_expr(p, SP_A_BINARY, span_from(p, l->pos));
    if (!e) return NULL;
    e->op = op;
    e->args = zalloc(p, 2 * sizeof *e->args);
    if (!e->args) return NULL;
    e->args[0] = l;
    e->args[1] = r;
    e->n_args = 2;
    return e;
}

static bool set_args(parser *p, sp_ast_expr *e, sp_ast_expr **args, int n)
{
    e->args = zalloc(p, (size_t)(n ? n : 1) * sizeof *e->args);
    if (!e->args) return false;
    memcpy(e->args, args, (size_t)n * sizeof *args);
    e->n_args = n;
    return true;
}

/* Leaves a hint when the bad token follows a ',' (a trailing comma). */
static void trailing_comma_hint(parser *p)
{
    if (p->have_prev && p->prev.kind == SP_TK_COMMA)
        hint(p, "remove the trailing comma at %d:%d", p->prev.line,
             p->prev.col);
}

static void *expected_expr(parser *p)
{
    fail(p, peek(p), "expected an expression");
    trailing_comma_hint(p);
    return NULL;
}

/* Interval unit words of the `INTERVAL 10 SECONDS` form. */
static bool is_unit_tok(const parser *p, const sp_tok *t)
{
    static const char *const units[] = {
        "YEAR",         "YEARS",       "MONTH",       "MONTHS",  "WEEK",
        "WEEKS",        "DAY",         "DAYS",        "HOUR",    "HOURS",
        "MINUTE",       "MINUTES",     "SECOND",      "SECONDS", "MILLISECOND",
        "MILLISECONDS", "MICROSECOND", "MICROSECONDS"};
    for (size_t i = 0; i < SP_ARRAY_LEN(units); i++)
        if (tok_is_word(p, t, units[i])) return true;
    return false;
}

static bool is_number_tok(const sp_tok *t)
{
    return t->kind == SP_TK_INT || t->kind == SP_TK_FLOAT;
}

/* Appends printf output to buf (cap bytes); false if it does not fit. */
static bool bufcat(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool bufcat(char *buf, size_t cap, const char *fmt, ...)
{
    size_t n = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + n, cap - n, fmt, ap);
    va_end(ap);
    return w >= 0 && (size_t)w < cap - n;
}

static const char interval_hint[] =
    "write INTERVAL '10' SECOND, INTERVAL 10 SECONDS or "
    "INTERVAL '1 hour 30 minutes'";

/* INTERVAL literal; the INTERVAL word is the current token. Forms:
 * INTERVAL 'text', INTERVAL 'N' UNIT, INTERVAL N UNIT [N UNIT ...]. */
static sp_ast_expr *parse_interval(parser *p)
{
    sp_tok kw = advance(p);
    sp_pos pos = tok_pos(&kw);
    char buf[512];
    buf[0] = 0;
    int pieces = 0;
    sp_tok first = *peek(p);
    for (;;) {
        const sp_tok *t = peek(p);
        bool neg = false;
        int k = 0;
        if (t->kind == SP_TK_MINUS && is_number_tok(peek_n(p, 1))) {
            neg = true;
            k = 1;
        }
        const sp_tok *v = peek_n(p, k);
        bool unit_next = is_unit_tok(p, peek_n(p, k + 1));
        if (v->kind == SP_TK_STRING && !neg && (pieces == 0 || unit_next)) {
            sp_tok st = advance(p);
            char *s = string_text(p, &st, NULL);
            if (!s) return NULL;
            if (!bufcat(buf, sizeof buf, "%s%s", pieces ? " " : "", s))
                goto too_long;
        } else if (is_number_tok(v) && (pieces == 0 || unit_next)) {
            if (neg) advance(p);
            sp_tok nt = advance(p);
            int n = nt.len;
            const char *s = p->lx.text + nt.off;
            while (n > 0 &&
                   ((s[n - 1] | 0x20) >= 'a' && (s[n - 1] | 0x20) <= 'z'))
                n--; /* drop an L/D suffix */
            if (!bufcat(buf, sizeof buf, "%s%s%.*s", pieces ? " " : "",
                        neg ? "-" : "", n, s))
                goto too_long;
            if (!unit_next) {
                fail(p, peek(p), "expected a unit after the interval value");
                hint(p, "%s", interval_hint);
                return NULL;
            }
        } else {
            break;
        }
        pieces++;
        if (is_unit_tok(p, peek(p))) {
            sp_tok u = advance(p);
            if (!bufcat(buf, sizeof buf, " %.*s", u.len, p->lx.text + u.off))
                goto too_long;
            if (at_kw(p, "TO")) {
                fail(p, peek(p),
                     "interval ranges (UNIT TO UNIT) are not "
                     "supported");
                hint(p, "%s", interval_hint);
                return NULL;
            }
        }
    }
    if (pieces == 0) {
        fail(p, peek(p), "expected an interval value after INTERVAL");
        hint(p, "%s", interval_hint);
        return NULL;
    }
    pos = span_from(p, pos);
    int64_t us = 0;
    const char *why = NULL;
    if (sp_interval_parse(buf, strlen(buf), &us, &why) != 0) {
        fail_lit(p, &first, "invalid interval literal '%s'", buf);
        if (p->own_err && why) sp_err_detail(p->err, "%s", why);
        hint(p, "%s", interval_hint);
        return NULL;
    }
    sp_ast_expr *e = new_expr(p, SP_A_LITERAL, pos);
    if (!e) return NULL;
    e->lit.type = SP_T_INTERVAL;
    e->lit.v.i = us;
    return e;
too_long:
    fail(p, &first, "interval literal is too long");
    hint(p, "%s", interval_hint);
    return NULL;
}

/* TIMESTAMP 'text' or DATE 'text'; the keyword is the current token. */
static sp_ast_expr *parse_typed_string(parser *p, bool is_date)
{
    sp_tok kw = advance(p);
    sp_tok st = advance(p);
    size_t n = 0;
    char *s = string_text(p, &st, &n);
    if (!s) return NULL;
    int64_t us = 0;
    if (sp_ts_parse(s, n, &us) != 0) {
        fail_lit(p, &st, "invalid %s literal '%s'",
                 is_date ? "DATE" : "TIMESTAMP", s);
        hint(p, "%s",
             is_date ? "write DATE '2024-01-31'"
                     : "write TIMESTAMP '2024-01-31 10:00:00'");
        return NULL;
    }
    if (is_date) {
        int64_t r = us % SP_USEC_PER_DAY;
        us -= r < 0 ? r + SP_USEC_PER_DAY : r;
    }
    sp_ast_expr *e = new_expr(p, SP_A_LITERAL, span_from(p, tok_pos(&kw)));
    if (!e) return NULL;
    e->lit.type = SP_T_TIMESTAMP;
    e->lit.v.i = us;
    return e;
}

/* A number token as a literal; `neg` when a unary minus precedes it. */
static sp_ast_expr *number_literal(parser *p, sp_pos pos, bool neg)
{
    sp_tok t = advance(p);
    sp_ast_expr *e = new_expr(p, SP_A_LITERAL, span_from(p, pos));
    if (!e) return NULL;
    if (t.kind == SP_TK_FLOAT) {
        e->lit.type = SP_T_DOUBLE;
        e->lit.v.d = neg ? -t.d : t.d;
        return e;
    }
    e->lit.type = SP_T_BIGINT;
    if (!t.overflow && t.u <= (uint64_t)INT64_MAX) {
        e->lit.v.i = neg ? -(int64_t)t.u : (int64_t)t.u;
    } else if (neg && !t.overflow && t.u == (uint64_t)INT64_MAX + 1) {
        e->lit.v.i = INT64_MIN;
    } else {
        fail_lit(p, &t, "integer literal %.*s is out of range for BIGINT",
                 t.len > 40 ? 40 : t.len, p->lx.text + t.off);
        hint(p,
             "BIGINT holds -9223372036854775808 to 9223372036854775807; "
             "for a larger value write a DOUBLE such as %.*se0",
             t.len > 30 ? 30 : t.len, p->lx.text + t.off);
        return NULL;
    }
    return e;
}

/* A type name for CAST and column definitions: a word, optionally with
 * (n) or (n, m) parameters that are accepted and ignored. */
static bool parse_type(parser *p, sp_type *out)
{
    const sp_tok *t = peek(p);
    if (t->kind != SP_TK_WORD && t->kind != SP_TK_QIDENT) {
        fail(p, t, "expected a type name");
        hint(p, "types: BOOLEAN, BIGINT, INT, DOUBLE, STRING, VARCHAR, "
                "TIMESTAMP, INTERVAL");
        return false;
    }
    sp_tok tt = advance(p);
    const char *s = p->lx.text + tt.off + (tt.kind == SP_TK_QIDENT);
    size_t n = (size_t)tt.len - (tt.kind == SP_TK_QIDENT ? 2 : 0);
    if (sp_type_parse(s, n, out) != 0) {
        fail(p, &tt, "unknown type \"%.*s\"", (int)n, s);
        if (n == 4 && strncasecmp(s, "date", 4) == 0)
            hint(p, "DATE is not a separate type; use TIMESTAMP (or "
                    "date_trunc('day', x))");
        else
            hint(p, "types: BOOLEAN, BIGINT, INT, DOUBLE, STRING, VARCHAR, "
                    "TIMESTAMP, INTERVAL");
        return false;
    }
    if (is_kind(p, SP_TK_LPAREN)) {
        sp_tok open = advance(p);
        if (!expect(p, SP_TK_INT, "as a type parameter")) return false;
        if (accept(p, SP_TK_COMMA) &&
            !expect(p, SP_TK_INT, "as a type parameter"))
            return false;
        if (!expect_close(p, &open, "type parameters")) return false;
    }
    return true;
}

/* CAST(x AS type) / TRY_CAST(x AS type); the keyword is current. */
static sp_ast_expr *parse_cast(parser *p)
{
    sp_tok kw = advance(p);
    sp_tok open = advance(p); /* '(' checked by the caller */
    sp_ast_expr *x = parse_expr(p);
    if (!x) return NULL;
    if (!expect_kw(p, "AS", "and a type in CAST")) {
        hint(p, "write CAST(x AS BIGINT)");
        return NULL;
    }
    sp_type ty;
    if (!parse_type(p, &ty)) return NULL;
    if (!expect_close(p, &open, "CAST")) return NULL;
    sp_ast_expr *e = new_expr(p, SP_A_CAST, span_from(p, tok_pos(&kw)));
    if (!e || !set_args(p, e, &x, 1)) return NULL;
    e->cast_type = ty;
    e->is_try = tok_is_word(p, &kw, "TRY_CAST");
    return e;
}

/* CASE [operand] WHEN a THEN b ... [ELSE c] END; CASE is current. */
static sp_ast_expr *parse_case(parser *p)
{
    sp_tok kw = advance(p);
    sp_ast_expr *e = new_expr(p, SP_A_CASE, tok_pos(&kw));
    if (!e) return NULL;
    int cap_w = 0, cap_t = 0;
    if (!at_kw(p, "WHEN")) {
        e->operand = parse_expr(p);
        if (!e->operand) goto out;
    }
    while (accept_kw(p, "WHEN")) {
        sp_ast_expr *w = parse_expr(p);
        if (!w) goto out;
        if (!expect_kw(p, "THEN", "after the WHEN condition")) goto out;
        sp_ast_expr *t = parse_expr(p);
        if (!t) goto out;
        int n = e->n_whens;
        if (!PUSH(p, e->whens, e->n_whens, cap_w, w)) goto out;
        if (!PUSH(p, e->thens, n, cap_t, t)) goto out;
    }
    if (e->n_whens == 0) {
        fail(p, peek(p), "expected WHEN in CASE");
        hint(p, "write CASE WHEN cond THEN value [ELSE value] END");
        goto out;
    }
    if (accept_kw(p, "ELSE")) {
        e->else_ = parse_expr(p);
        if (!e->else_) goto out;
    }
    if (!accept_kw(p, "END")) {
        fail(p, peek(p), "expected END to close CASE");
        hint(p, "the CASE at %d:%d needs a matching END", kw.line, kw.col);
        goto out;
    }
    e->pos = span_from(p, e->pos);
out:
    return p->failed ? NULL : e;
}

/* name(...) after the name token `nt`; '(' is current. */
static sp_ast_expr *parse_call(parser *p, const sp_tok *nt)
{
    sp_tok open = advance(p);
    sp_ast_expr *e = new_expr(p, SP_A_CALL, tok_pos(nt));
    if (!e) return NULL;
    e->parts = zalloc(p, sizeof *e->parts);
    if (!e->parts) return NULL;
    e->parts[0] = name_text(p, nt);
    if (!e->parts[0]) return NULL;
    e->n_parts = 1;
    if (is_kind(p, SP_TK_STAR) && peek_n(p, 1)->kind == SP_TK_RPAREN) {
        advance(p);
        e->star = true;
    } else if (!is_kind(p, SP_TK_RPAREN)) {
        if (accept_kw(p, "DISTINCT"))
            e->distinct = true;
        else
            accept_kw(p, "ALL");
        int cap = 0;
        for (;;) {
            sp_ast_expr *a = parse_expr(p);
            if (!a) return NULL;
            if (!PUSH(p, e->args, e->n_args, cap, a)) return NULL;
            if (!accept(p, SP_TK_COMMA)) break;
        }
    }
    if (!accept(p, SP_TK_RPAREN)) {
        fail(p, peek(p), "expected ',' or ')' in the arguments of %s",
             e->parts[0]);
        hint(p, "the '(' at %d:%d is not closed", open.line, open.col);
        return NULL;
    }
    e->pos = span_from(p, e->pos);
    return e;
}

/* An identifier chain a.b.c, t.*, or a function call; the first name
 * token is current. */
static sp_ast_expr *parse_name_expr(parser *p)
{
    sp_tok first = advance(p);
    if (is_kind(p, SP_TK_LPAREN)) return parse_call(p, &first);
    char *parts[64];
    int n = 0;
    parts[n] = name_text(p, &first);
    if (!parts[n++]) return NULL;
    bool star = false;
    while (is_kind(p, SP_TK_DOT)) {
        const sp_tok *t = peek_n(p, 1);
        if (t->kind == SP_TK_STAR) {
            advance(p);
            advance(p);
            star = true;
            break;
        }
        if (t->kind != SP_TK_WORD && t->kind != SP_TK_QIDENT) {
            advance(p);
            fail(p, peek(p), "expected a name after '.'");
            return NULL;
        }
        if (n == (int)SP_ARRAY_LEN(parts)) {
            fail(p, t, "too many name parts");
            return NULL;
        }
        advance(p);
        sp_tok pt = advance(p);
        parts[n] = name_text(p, &pt);
        if (!parts[n++]) return NULL;
    }
    if (!star && is_kind(p, SP_TK_LPAREN)) {
        fail(p, peek(p), "qualified function names are not supported");
        hint(p, "call the function by its bare name");
        return NULL;
    }
    sp_ast_expr *e = new_expr(p, star ? SP_A_STAR : SP_A_IDENT,
                              span_from(p, tok_pos(&first)));
    if (!e) return NULL;
    e->parts = zalloc(p, (size_t)n * sizeof *e->parts);
    if (!e->parts) return NULL;
    memcpy(e->parts, parts, (size_t)n * sizeof *parts);
    e->n_parts = n;
    return e;
}

static sp_ast_expr *parse_primary(parser *p)
{
    const sp_tok *t = peek(p);
    sp_pos pos = tok_pos(t);
    switch (t->kind) {
    case SP_TK_INT:
    case SP_TK_FLOAT:
        return number_literal(p, pos, false);
    case SP_TK_STRING: {
        /* Adjacent string literals concatenate, as in Spark. */
        sp_tok st = advance(p);
        size_t len = 0;
        char *s = string_text(p, &st, &len);
        while (s && is_kind(p, SP_TK_STRING)) {
            st = advance(p);
            size_t n2 = 0;
            char *s2 = string_text(p, &st, &n2);
            char *cat = s2 ? sp_arena_alloc(p->arena, len + n2 + 1) : NULL;
            if (!cat) {
                oom(p);
                return NULL;
            }
            memcpy(cat, s, len);
            memcpy(cat + len, s2, n2 + 1);
            s = cat;
            len += n2;
        }
        sp_ast_expr *e =
            s ? new_expr(p, SP_A_LITERAL, span_from(p, pos)) : NULL;
        if (!e) return NULL;
        e->lit.type = SP_T_VARCHAR;
        e->lit.v.s = sp_str_make(s, len);
        return e;
    }
    case SP_TK_LPAREN: {
        sp_tok open = advance(p);
        if (at_kw(p, "SELECT")) {
            fail(p, peek(p), "subqueries in expressions are not supported");
            hint(p, "use a JOIN, or a subquery in FROM");
            return NULL;
        }
        sp_ast_expr *e = parse_expr(p);
        if (!e) return NULL;
        if (!accept(p, SP_TK_RPAREN)) {
            fail(p, peek(p), "expected ')'");
            hint(p, "the '(' at %d:%d is not closed", open.line, open.col);
            return NULL;
        }
        return e;
    }
    case SP_TK_QIDENT:
        return parse_name_expr(p);
    case SP_TK_WORD:
        break;
    case SP_TK_STAR:
        fail(p, t, "'*' is only allowed as a select item or in count(*)");
        return NULL;
    default:
        return expected_expr(p);
    }

    /* Words: literals and keyword-led expressions first, then names. */
    const sp_tok *t1 = peek_n(p, 1);
    if (tok_is_word(p, t, "TRUE") || tok_is_word(p, t, "FALSE")) {
        bool v = tok_is_word(p, t, "TRUE");
        advance(p);
        sp_ast_expr *e = new_expr(p, SP_A_LITERAL, pos);
        if (!e) return NULL;
        e->lit.type = SP_T_BOOL;
        e->lit.v.b = v;
        return e;
    }
    if (tok_is_word(p, t, "NULL")) {
        advance(p);
        sp_ast_expr *e = new_expr(p, SP_A_LITERAL, pos);
        if (e) e->lit.type = SP_T_NULL;
        return e;
    }
    if (tok_is_word(p, t, "CASE")) return parse_case(p);
    if ((tok_is_word(p, t, "CAST") || tok_is_word(p, t, "TRY_CAST")) &&
        t1->kind == SP_TK_LPAREN)
        return parse_cast(p);
    if ((tok_is_word(p, t, "TIMESTAMP") || tok_is_word(p, t, "TIMESTAMP_NTZ") ||
         tok_is_word(p, t, "TIMESTAMP_LTZ")) &&
        t1->kind == SP_TK_STRING)
        return parse_typed_string(p, false);
    if (tok_is_word(p, t, "DATE") && t1->kind == SP_TK_STRING)
        return parse_typed_string(p, true);
    if (tok_is_word(p, t, "INTERVAL") &&
        (t1->kind == SP_TK_STRING || is_number_tok(t1) ||
         (t1->kind == SP_TK_MINUS && is_number_tok(peek_n(p, 2)))))
        return parse_interval(p);
    if ((tok_is_word(p, t, "CURRENT_TIMESTAMP") ||
         tok_is_word(p, t, "CURRENT_DATE")) &&
        t1->kind != SP_TK_LPAREN) {
        sp_tok nt = advance(p);
        sp_ast_expr *e = new_expr(p, SP_A_CALL, pos);
        if (!e || !(e->parts = zalloc(p, sizeof *e->parts))) return NULL;
        if (!(e->parts[0] = tok_text(p, &nt))) return NULL;
        e->n_parts = 1;
        return e;
    }
    /* END closes a CASE only after a complete expression, never where an
     * expression starts, so here it is always a name (w.end, `end`). */
    bool end_as_name = tok_is_word(p, t, "END");
    bool func_kw = (tok_is_word(p, t, "LEFT") || tok_is_word(p, t, "RIGHT")) &&
                   t1->kind == SP_TK_LPAREN;
    if (is_reserved(p, t) && !end_as_name && !func_kw) {
        if (tok_is_word(p, t, "SELECT")) {
            fail(p, t, "subqueries in expressions are not supported");
            return NULL;
        }
        return expected_expr(p);
    }
    return parse_name_expr(p);
}

static sp_ast_expr *parse_postfix(parser *p)
{
    sp_ast_expr *e = parse_primary(p);
    int links = 0;
    while (e && is_kind(p, SP_TK_LBRACKET)) {
        sp_tok open = advance(p);
        sp_ast_expr *idx = chain_step(p, &links) ? parse_expr(p) : NULL;
        if (!idx) {
            e = NULL;
            break;
        }
        if (!accept(p, SP_TK_RBRACKET)) {
            fail(p, peek(p), "expected ']'");
            hint(p, "the '[' at %d:%d is not closed", open.line, open.col);
            e = NULL;
            break;
        }
        sp_ast_expr *s = new_expr(p, SP_A_SUBSCRIPT, span_from(p, e->pos));
        sp_ast_expr *args[2] = {e, idx};
        if (!s || !set_args(p, s, args, 2)) s = NULL;
        e = s;
    }
    p->chain -= links;
    if (e && is_kind(p, SP_TK_DOT)) {
        fail(p, peek(p), "field access on this expression is not supported");
        hint(p, "only names can be qualified, as in t.col or w.start");
        return NULL;
    }
    return e;
}

static sp_ast_expr *parse_unary(parser *p)
{
    const sp_tok *t = peek(p);
    if (t->kind != SP_TK_MINUS && t->kind != SP_TK_PLUS)
        return parse_postfix(p);
    if (!enter(p)) return NULL;
    sp_tok op = advance(p);
    sp_pos pos = tok_pos(&op);
    sp_ast_expr *e = NULL;
    if (op.kind == SP_TK_MINUS && is_number_tok(peek(p)) &&
        peek_n(p, 1)->kind != SP_TK_LBRACKET) {
        /* -5 is a literal, so that -9223372036854775808 fits. */
        e = number_literal(p, pos, true);
    } else {
        sp_ast_expr *x = parse_unary(p);
        if (x) {
            e = new_expr(p, SP_A_UNARY, span_from(p, pos));
            if (e) {
                e->op = op.kind == SP_TK_MINUS ? SP_OP_NEG : SP_OP_PLUS;
                if (!set_args(p, e, &x, 1)) e = NULL;
            }
        }
    }
    leave(p);
    return e;
}

/* Binary operator of token t at level `level` (0: || 1: + - 2: * / %). */
static bool level_op(const sp_tok *t, int level, sp_ast_op *op)
{
    switch (t->kind) {
    case SP_TK_CONCAT:
        *op = SP_OP_CONCAT;
        return level == 0;
    case SP_TK_PLUS:
        *op = SP_OP_ADD;
        return level == 1;
    case SP_TK_MINUS:
        *op = SP_OP_SUB;
        return level == 1;
    case SP_TK_STAR:
        *op = SP_OP_MUL;
        return level == 2;
    case SP_TK_SLASH:
        *op = SP_OP_DIV;
        return level == 2;
    case SP_TK_PERCENT:
        *op = SP_OP_MOD;
        return level == 2;
    default:
        return false;
    }
}

/* The arithmetic levels: || < + - < * / %, all left-associative. */
static sp_ast_expr *parse_arith(parser *p, int level)
{
    sp_ast_expr *l = level == 2 ? parse_unary(p) : parse_arith(p, level + 1);
    int links = 0;
    sp_ast_op op;
    while (l && level_op(peek(p), level, &op)) {
        advance(p);
        if (!chain_step(p, &links)) {
            l = NULL;
            break;
        }
        sp_ast_expr *r =
            level == 2 ? parse_unary(p) : parse_arith(p, level + 1);
        l = r ? new_binary(p, op, l, r) : NULL;
    }
    p->chain -= links;
    return l;
}

static sp_ast_expr *parse_concat(parser *p)
{
    return parse_arith(p, 0);
}

static bool at_like(parser *p, int k, sp_like_kind *kind)
{
    if (at_kw_n(p, k, "LIKE"))
        *kind = SP_LIKE;
    else if (at_kw_n(p, k, "ILIKE"))
        *kind = SP_ILIKE;
    else if (at_kw_n(p, k, "RLIKE") || at_kw_n(p, k, "REGEXP"))
        *kind = SP_RLIKE;
    else
        return false;
    return true;
}

/* [NOT] IN (...), [NOT] BETWEEN, [NOT] LIKE after operand l. */
static sp_ast_expr *parse_predicate(parser *p, sp_ast_expr *l)
{
    bool neg = accept_kw(p, "NOT");
    sp_like_kind lk = SP_LIKE;
    sp_tok kw = advance(p);
    sp_ast_expr *e = NULL;
    if (tok_is_word(p, &kw, "IN")) {
        if (!is_kind(p, SP_TK_LPAREN)) {
            fail(p, peek(p), "expected '(' after IN");
            hint(p, "write x IN (1, 2, 3)");
            return NULL;
        }
        sp_tok open = advance(p);
        if (at_kw(p, "SELECT")) {
            fail(p, peek(p), "IN (SELECT ...) is not supported");
            hint(p, "use a JOIN");
            return NULL;
        }
        sp_ast_expr **args = NULL;
        int n = 0, cap = 0;
        if (!PUSH(p, args, n, cap, l)) return NULL;
        for (;;) {
            sp_ast_expr *a = parse_expr(p);
            if (!a || !PUSH(p, args, n, cap, a)) return NULL;
            if (!accept(p, SP_TK_COMMA)) break;
        }
        if (!expect_close(p, &open, "IN list")) return NULL;
        e = new_expr(p, SP_A_IN, span_from(p, l->pos));
        if (!e) return NULL;
        e->args = args;
        e->n_args = n;
    } else if (tok_is_word(p, &kw, "BETWEEN")) {
        sp_ast_expr *lo = parse_concat(p);
        if (!lo) return NULL;
        if (!expect_kw(p, "AND", "in BETWEEN")) {
            hint(p, "write x BETWEEN low AND high");
            return NULL;
        }
        sp_ast_expr *hi = parse_concat(p);
        if (!hi) return NULL;
        e = new_expr(p, SP_A_BETWEEN, span_from(p, l->pos));
        sp_ast_expr *args[3] = {l, lo, hi};
        if (!e || !set_args(p, e, args, 3)) return NULL;
    } else {
        if (tok_is_word(p, &kw, "ILIKE"))
            lk = SP_ILIKE;
        else if (tok_is_word(p, &kw, "RLIKE") || tok_is_word(p, &kw, "REGEXP"))
            lk = SP_RLIKE;
        sp_ast_expr *pat = parse_concat(p);
        if (!pat) return NULL;
        e = new_expr(p, SP_A_LIKE, span_from(p, l->pos));
        sp_ast_expr *args[2] = {l, pat};
        if (!e || !set_args(p, e, args, 2)) return NULL;
        e->like_kind = lk;
    }
    e->negated = neg;
    return e;
}

static sp_ast_expr *parse_cmp_chain(parser *p, int *links);

static sp_ast_expr *parse_cmp(parser *p)
{
    int links = 0;
    sp_ast_expr *e = parse_cmp_chain(p, &links);
    p->chain -= links;
    return e;
}

static sp_ast_expr *parse_cmp_chain(parser *p, int *links)
{
    sp_ast_expr *l = parse_concat(p);
    while (l) {
        const sp_tok *t = peek(p);
        sp_ast_op op;
        sp_like_kind lk;
        switch (t->kind) {
        case SP_TK_EQ:
        case SP_TK_EQEQ:
            op = SP_OP_EQ;
            break;
        case SP_TK_NE:
            op = SP_OP_NE;
            break;
        case SP_TK_LT:
            op = SP_OP_LT;
            break;
        case SP_TK_LE:
            op = SP_OP_LE;
            break;
        case SP_TK_GT:
            op = SP_OP_GT;
            break;
        case SP_TK_GE:
            op = SP_OP_GE;
            break;
        default:
            if (tok_is_word(p, t, "IS")) {
                advance(p);
                if (!chain_step(p, links)) return NULL;
                bool neg = accept_kw(p, "NOT");
                sp_ast_expr *e;
                if (accept_kw(p, "NULL")) {
                    e = new_expr(p, SP_A_IS_NULL, span_from(p, l->pos));
                } else if (at_kw(p, "TRUE") || at_kw(p, "FALSE")) {
                    bool v = at_kw(p, "TRUE");
                    advance(p);
                    e = new_expr(p, SP_A_IS_BOOL, span_from(p, l->pos));
                    if (e) {
                        e->lit.type = SP_T_BOOL;
                        e->lit.v.b = v;
                    }
                } else {
                    fail(p, peek(p), "expected NULL, TRUE or FALSE after IS%s",
                         neg ? " NOT" : "");
                    return NULL;
                }
                if (!e || !set_args(p, e, &l, 1)) return NULL;
                e->negated = neg;
                l = e;
                continue;
            }
            {
                int k = tok_is_word(p, t, "NOT") ? 1 : 0;
                if (at_kw_n(p, k, "IN") || at_kw_n(p, k, "BETWEEN") ||
                    at_like(p, k, &lk)) {
                    if (!chain_step(p, links)) return NULL;
                    l = parse_predicate(p, l);
                    continue;
                }
            }
            return l;
        }
        advance(p);
        if (!chain_step(p, links)) return NULL;
        sp_ast_expr *r = parse_concat(p);
        if (!r) return NULL;
        l = new_binary(p, op, l, r);
    }
    return l;
}

static sp_ast_expr *parse_not(parser *p)
{
    if (!at_kw(p, "NOT")) return parse_cmp(p);
    if (!enter(p)) return NULL;
    sp_tok kw = advance(p);
    sp_ast_expr *x = parse_not(p);
    sp_ast_expr *e = NULL;
    if (x) {
        e = new_expr(p, SP_A_UNARY, span_from(p, tok_pos(&kw)));
        if (e) {
            e->op = SP_OP_NOT;
            if (!set_args(p, e, &x, 1)) e = NULL;
        }
    }
    leave(p);
    return e;
}

static sp_ast_expr *parse_and(parser *p)
{
    sp_ast_expr *l = parse_not(p);
    int links = 0;
    while (l && accept_kw(p, "AND")) {
        sp_ast_expr *r = chain_step(p, &links) ? parse_not(p) : NULL;
        l = r ? new_binary(p, SP_OP_AND, l, r) : NULL;
    }
    p->chain -= links;
    return l;
}

static sp_ast_expr *parse_or(parser *p)
{
    sp_ast_expr *l = parse_and(p);
    int links = 0;
    while (l && accept_kw(p, "OR")) {
        sp_ast_expr *r = chain_step(p, &links) ? parse_and(p) : NULL;
        l = r ? new_binary(p, SP_OP_OR, l, r) : NULL;
    }
    p->chain -= links;
    return l;
}

static sp_ast_expr *parse_expr(parser *p)
{
    if (!enter(p)) return NULL;
    sp_ast_expr *e = parse_or(p);
    leave(p);
    return p->failed ? NULL : e;
}

/* ------------------------------------------------------------------------
 * Queries
 * ---------------------------------------------------------------------- */

/* Clause keywords, for "did you mean" after an implicit alias. */
static const char *const after_items_kws[] = {
    "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", NULL};
static const char *const after_from_kws[] = {
    "WHERE", "GROUP", "HAVING", "ORDER",     "LIMIT",   "UNION",
    "JOIN",  "LEFT",  "INNER",  "WATERMARK", "LATERAL", NULL};
static const char *const after_where_kws[] = {
    "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", "AND", "OR", NULL};

/* An alias after AS: a name, or `end` (window.end style). */
static bool parse_alias_after_as(parser *p, char **alias, sp_pos *pos)
{
    const sp_tok *t = peek(p);
    if (!is_name_tok(p, t) && !tok_is_word(p, t, "END")) {
        fail(p, t, "expected an alias after AS");
        if (t->kind == SP_TK_WORD)
            hint(p, "%.*s is a reserved word; quote it: `%.*s`", t->len,
                 p->lx.text + t->off, t->len, p->lx.text + t->off);
        return false;
    }
    sp_tok at = advance(p);
    *pos = tok_pos(&at);
    *alias = name_text(p, &at);
    return *alias != NULL;
}

/* A select item: *, t.*, expr [[AS] alias]. `*implicit` receives the
 * alias token when the alias had no AS (for typo detection). */
static bool parse_item(parser *p, sp_ast_item *it, sp_tok *implicit,
                       bool *has_implicit)
{
    memset(it, 0, sizeof *it);
    *has_implicit = false;
    if (is_kind(p, SP_TK_STAR)) {
        sp_tok st = advance(p);
        it->expr = new_expr(p, SP_A_STAR, tok_pos(&st));
        return it->expr != NULL;
    }
    it->expr = parse_expr(p);
    if (!it->expr) return false;
    if (accept_kw(p, "AS"))
        return parse_alias_after_as(p, &it->alias, &it->alias_pos);
    if (is_name_tok(p, peek(p))) {
        sp_tok at = advance(p);
        *implicit = at;
        *has_implicit = true;
        it->alias_pos = tok_pos(&at);
        it->alias = name_text(p, &at);
        return it->alias != NULL;
    }
    return true;
}

/* A FROM relation with optional alias and WATERMARK clause. */
static bool parse_from_item(parser *p, sp_ast_from *f, sp_tok *implicit,
                            bool *has_implicit)
{
    const sp_tok *t = peek(p);
    *has_implicit = false;
    f->pos = tok_pos(t);
    if (t->kind == SP_TK_LPAREN) {
        sp_tok open = advance(p);
        if (!at_kw(p, "SELECT")) {
            fail(p, peek(p), "expected SELECT in a subquery");
            return false;
        }
        f->subquery = parse_query(p);
        if (!f->subquery || !expect_close(p, &open, "subquery")) return false;
    } else if (is_name_tok(p, t)) {
        sp_tok nt = advance(p);
        char *name = name_text(p, &nt);
        if (!name) return false;
        while (is_kind(p, SP_TK_DOT) && (peek_n(p, 1)->kind == SP_TK_WORD ||
                                         peek_n(p, 1)->kind == SP_TK_QIDENT)) {
            advance(p);
            sp_tok pt = advance(p);
            char *part = name_text(p, &pt);
            if (!part) return false;
            name = sp_arena_printf(p->arena, "%s.%s", name, part);
            if (!name) {
                oom(p);
                return false;
            }
        }
        f->name = name;
    } else {
        fail(p, t, "expected a source name or (SELECT ...) after FROM");
        if (t->kind == SP_TK_WORD)
            hint(p, "%.*s is a reserved word; quote it: `%.*s`", t->len,
                 p->lx.text + t->off, t->len, p->lx.text + t->off);
        return false;
    }
    f->pos = span_from(p, f->pos);
    for (int round = 0; round < 2; round++) {
        if (!f->alias && accept_kw(p, "AS")) {
            sp_pos ap;
            if (!parse_alias_after_as(p, &f->alias, &ap)) return false;
        } else if (!f->alias && is_name_tok(p, peek(p)) &&
                   !at_kw(p, "WATERMARK") && !at_kw(p, "LATERAL")) {
            sp_tok at = advance(p);
            *implicit = at;
            *has_implicit = true;
            f->alias = name_text(p, &at);
            if (!f->alias) return false;
        }
        if (round == 0 && at_kw(p, "WATERMARK")) {
            sp_tok kw = advance(p);
            f->wm_pos = tok_pos(&kw);
            f->wm_expr = parse_expr(p);
            if (!f->wm_expr) return false;
            if (accept_kw(p, "AS")) {
                sp_pos ap;
                if (!parse_alias_after_as(p, &f->wm_alias, &ap)) return false;
            }
            if (!expect_kw(p, "DELAY", "in the WATERMARK clause") ||
                !expect_kw(p, "OF", "after DELAY")) {
                hint(p, "write WATERMARK ts DELAY OF INTERVAL 10 SECONDS");
                return false;
            }
            const sp_tok *dt = peek(p);
            sp_tok dtok = *dt;
            int64_t us = 0;
            if (dt->kind == SP_TK_STRING) {
                advance(p);
                size_t n;
                char *s = string_text(p, &dtok, &n);
                if (!s) return false;
                if (sp_interval_parse(s, n, &us, NULL) != 0) {
                    fail_lit(p, &dtok, "invalid interval '%s'", s);
                    hint(p, "%s", interval_hint);
                    return false;
                }
            } else {
                sp_ast_expr *d = NULL;
                if (tok_is_word(p, dt, "INTERVAL")) d = parse_primary(p);
                if (p->failed) return false;
                if (!d || d->kind != SP_A_LITERAL ||
                    d->lit.type != SP_T_INTERVAL) {
                    fail(p, &dtok,
                         "expected an INTERVAL literal after "
                         "DELAY OF");
                    hint(p, "write WATERMARK ts DELAY OF INTERVAL 10 SECONDS");
                    return false;
                }
                us = d->lit.v.i;
            }
            f->wm_delay_us = us;
            f->wm_pos = span_from(p, f->wm_pos);
        } else {
            break;
        }
    }
    return true;
}

static bool parse_join(parser *p, sp_ast_select *s, int *cap, sp_tok *implicit,
                       bool *has_implicit)
{
    sp_ast_join j;
    memset(&j, 0, sizeof j);
    const sp_tok *t = peek(p);
    j.pos = tok_pos(t);
    if (accept_kw(p, "LEFT")) {
        j.kind = SP_JOIN_LEFT;
        accept_kw(p, "OUTER");
    } else {
        accept_kw(p, "INNER");
        j.kind = SP_JOIN_INNER;
    }
    if (!expect_kw(p, "JOIN", NULL)) return false;
    if (!parse_from_item(p, &j.right, implicit, has_implicit)) return false;
    if (at_kw(p, "USING")) {
        fail(p, peek(p), "JOIN ... USING is not supported");
        hint(p, "write ON a.key = b.key");
        return false;
    }
    if (!accept_kw(p, "ON")) {
        unexpected(p, *has_implicit ? implicit : NULL,
                   (const char *const[]){"ON", NULL},
                   "ON after the joined "
                   "relation");
        hint(p, "write JOIN b ON a.key = b.key");
        return false;
    }
    *has_implicit = false;
    j.on = parse_expr(p);
    if (!j.on) return false;
    j.pos = span_from(p, j.pos);
    return PUSH(p, s->joins, s->n_joins, *cap, j);
}

static bool at_join(parser *p)
{
    return at_kw(p, "JOIN") || at_kw(p, "INNER") ||
           (at_kw(p, "LEFT") && peek_n(p, 1)->kind == SP_TK_WORD);
}

/* True if the current token may follow a complete query. */
static bool at_query_end(parser *p)
{
    const sp_tok *t = peek(p);
    return t->kind == SP_TK_SEMI || t->kind == SP_TK_EOF ||
           t->kind == SP_TK_RPAREN || tok_is_word(p, t, "UNION") ||
           tok_is_word(p, t, "CREATE") || tok_is_word(p, t, "SET");
}

static bool parse_expr_list(parser *p, sp_ast_expr ***arr, int *n)
{
    int cap = 0;
    for (;;) {
        sp_ast_expr *e = parse_expr(p);
        if (!e || !PUSH(p, *arr, *n, cap, e)) return false;
        if (!accept(p, SP_TK_COMMA)) return true;
    }
}

static sp_ast_select *parse_select(parser *p)
{
    if (!enter(p)) return NULL;
    sp_ast_select *s = zalloc(p, sizeof *s);
    if (!s) goto out;
    s->limit = -1;
    const sp_tok *t = peek(p);
    s->pos = tok_pos(t);
    if (!accept_kw(p, "SELECT")) {
        fail(p, t, "expected SELECT");
        if (near_miss(p, t, (const char *const[]){"SELECT", NULL}))
            hint(p, "did you mean SELECT?");
        goto out;
    }
    if (accept_kw(p, "DISTINCT")) {
        s->distinct = true;
        if (at_kw(p, "ON") && peek_n(p, 1)->kind == SP_TK_LPAREN) {
            advance(p);
            sp_tok open = advance(p);
            if (!parse_expr_list(p, &s->distinct_on, &s->n_distinct_on) ||
                !expect_close(p, &open, "DISTINCT ON list"))
                goto out;
        }
        /* Spark's dropDuplicatesWithinWatermark */
        if (at_kw(p, "WITHIN") && at_kw_n(p, 1, "WATERMARK")) {
            advance(p);
            advance(p);
            s->distinct_within_watermark = true;
        }
    } else {
        accept_kw(p, "ALL");
    }

    sp_tok implicit;
    bool has_implicit = false;
    int cap = 0;
    for (;;) {
        sp_ast_item it;
        if (!parse_item(p, &it, &implicit, &has_implicit)) goto out;
        if (!PUSH(p, s->items, s->n_items, cap, it)) goto out;
        if (!accept(p, SP_TK_COMMA)) break;
        has_implicit = false;
    }
    if (!at_kw(p, "FROM") && !at_kw(p, "WHERE") && !at_kw(p, "GROUP") &&
        !at_kw(p, "HAVING") && !at_kw(p, "ORDER") && !at_kw(p, "LIMIT") &&
        !at_query_end(p)) {
        unexpected(p, has_implicit ? &implicit : NULL, after_items_kws,
                   "',' or FROM after the select list");
        goto out;
    }
    has_implicit = false;
    if (accept_kw(p, "FROM")) {
        if (!parse_from_item(p, &s->from, &implicit, &has_implicit)) goto out;
        int jcap = 0;
        while (at_join(p)) {
            if (!parse_join(p, s, &jcap, &implicit, &has_implicit)) goto out;
        }
        if (is_kind(p, SP_TK_COMMA)) {
            fail(p, peek(p), "comma joins are not supported");
            hint(p, "write FROM a JOIN b ON a.key = b.key");
            goto out;
        }
        /* LATERAL VIEW explode(expr) [table] AS column (Hive/Spark) */
        if (at_kw(p, "LATERAL")) {
            sp_tok lt = advance(p);
            if (!expect_kw(p, "VIEW", "after LATERAL")) goto out;
            if (at_kw(p, "OUTER")) {
                fail(p, peek(p), "LATERAL VIEW OUTER is not supported yet");
                hint(p, "write LATERAL VIEW explode(...) t AS col");
                goto out;
            }
            s->lateral = parse_expr(p);
            if (!s->lateral) goto out;
            s->lateral_pos = tok_pos(&lt);
            if (is_name_tok(p, peek(p)) && !at_kw(p, "AS")) advance(p);
            if (!expect_kw(p, "AS", "in LATERAL VIEW")) {
                hint(p, "write LATERAL VIEW explode(split(s, ' ')) t AS word");
                goto out;
            }
            sp_tok ct = advance(p);
            if (ct.kind != SP_TK_WORD && ct.kind != SP_TK_QIDENT) {
                fail(p, &ct, "expected a column name after AS");
                goto out;
            }
            s->lateral_name = name_text(p, &ct);
            if (!s->lateral_name) goto out;
            if (at_kw(p, "LATERAL")) {
                fail(p, peek(p), "only one LATERAL VIEW is supported");
                goto out;
            }
        }
        const sp_tok *jt = peek(p);
        if (tok_is_word(p, jt, "RIGHT") || tok_is_word(p, jt, "FULL") ||
            tok_is_word(p, jt, "CROSS")) {
            fail(p, jt, "%.*s JOIN is not supported", jt->len,
                 p->lx.text + jt->off);
            hint(p, "INNER JOIN and LEFT [OUTER] JOIN are supported; for a "
                    "RIGHT JOIN swap the sides and use LEFT JOIN");
            goto out;
        }
    }
    if (!at_kw(p, "WHERE") && !at_kw(p, "GROUP") && !at_kw(p, "HAVING") &&
        !at_kw(p, "ORDER") && !at_kw(p, "LIMIT") && !at_query_end(p)) {
        unexpected(p, has_implicit ? &implicit : NULL, after_from_kws,
                   "WHERE, GROUP BY, ORDER BY, LIMIT or ';' after FROM");
        goto out;
    }
    if (accept_kw(p, "WHERE")) {
        s->where = parse_expr(p);
        if (!s->where) goto out;
    }
    if (accept_kw(p, "GROUP")) {
        if (!expect_kw(p, "BY", "after GROUP")) goto out;
        if (!parse_expr_list(p, &s->group_by, &s->n_group_by)) goto out;
    }
    if (accept_kw(p, "HAVING")) {
        s->having = parse_expr(p);
        if (!s->having) goto out;
    }
    if (accept_kw(p, "ORDER")) {
        if (!expect_kw(p, "BY", "after ORDER")) goto out;
        int ocap = 0;
        for (;;) {
            sp_ast_order o = {NULL, false, -1};
            o.expr = parse_expr(p);
            if (!o.expr) goto out;
            if (accept_kw(p, "DESC"))
                o.desc = true;
            else
                accept_kw(p, "ASC");
            if (accept_kw(p, "NULLS")) {
                if (accept_kw(p, "FIRST")) {
                    o.nulls_first = 1;
                } else if (accept_kw(p, "LAST")) {
                    o.nulls_first = 0;
                } else {
                    fail(p, peek(p), "expected FIRST or LAST after NULLS");
                    goto out;
                }
            }
            if (!PUSH(p, s->order_by, s->n_order_by, ocap, o)) goto out;
            if (!accept(p, SP_TK_COMMA)) break;
        }
    }
    if (accept_kw(p, "LIMIT")) {
        const sp_tok *lt = peek(p);
        if (lt->kind != SP_TK_INT || lt->overflow ||
            lt->u > (uint64_t)INT64_MAX) {
            fail(p, lt, "expected a non-negative integer after LIMIT");
            goto out;
        }
        s->limit = (int64_t)advance(p).u;
    }
    if (at_kw(p, "UNION")) {
        sp_tok u = advance(p);
        if (!accept_kw(p, "ALL")) {
            fail(p, &u, "only UNION ALL is supported");
            hint(p, "UNION removes duplicates, which needs unbounded state on "
                    "a stream; write UNION ALL (and SELECT DISTINCT if "
                    "needed)");
            goto out;
        }
        s->union_all = parse_select(p);
        if (!s->union_all) goto out;
    }
    if (!at_query_end(p)) {
        /* Name the clauses that may still follow the last one seen. */
        static const char *const clause[] = {"GROUP BY", "HAVING", "ORDER BY",
                                             "LIMIT", "UNION ALL"};
        int last = s->limit >= 0   ? 4
                   : s->n_order_by ? 3
                   : s->having     ? 2
                   : s->n_group_by ? 1
                                   : 0;
        char want[128] = "";
        for (int i = last; i < 5; i++)
            bufcat(want, sizeof want, "%s, ", clause[i]);
        bufcat(want, sizeof want, "';' or end of input");
        unexpected(p, NULL, after_where_kws, want);
        goto out;
    }
    s->pos = span_from(p, s->pos);
out:
    leave(p);
    return p->failed ? NULL : s;
}

static sp_ast_select *parse_query(parser *p)
{
    return parse_select(p);
}

/* ------------------------------------------------------------------------
 * Statements
 * ---------------------------------------------------------------------- */

static bool parse_obj_name(parser *p, sp_ast_stmt *st, const char *what)
{
    const sp_tok *t = peek(p);
    if (!is_name_tok(p, t)) {
        fail(p, t, "expected a name after %s", what);
        if (t->kind == SP_TK_WORD)
            hint(p, "%.*s is a reserved word; quote it: `%.*s`", t->len,
                 p->lx.text + t->off, t->len, p->lx.text + t->off);
        return false;
    }
    sp_tok nt = advance(p);
    st->name_pos = tok_pos(&nt);
    st->name = name_text(p, &nt);
    return st->name != NULL;
}

/* WITH (key = value, ...); WITH is current. */
static bool parse_options(parser *p, sp_ast_stmt *st)
{
    advance(p); /* WITH */
    if (!is_kind(p, SP_TK_LPAREN)) {
        fail(p, peek(p), "expected '(' after WITH");
        hint(p, "write WITH (connector = 'console')");
        return false;
    }
    sp_tok open = advance(p);
    int cap = 0;
    if (accept(p, SP_TK_RPAREN)) return true;
    for (;;) {
        sp_ast_option o;
        memset(&o, 0, sizeof o);
        const sp_tok *t = peek(p);
        o.key_pos = tok_pos(t);
        if (t->kind == SP_TK_STRING) {
            sp_tok kt = advance(p);
            o.key = string_text(p, &kt, NULL);
        } else if (t->kind == SP_TK_WORD || t->kind == SP_TK_QIDENT) {
            sp_tok kt = advance(p);
            o.key = name_text(p, &kt);
            while (o.key && is_kind(p, SP_TK_DOT) &&
                   (peek_n(p, 1)->kind == SP_TK_WORD ||
                    peek_n(p, 1)->kind == SP_TK_QIDENT)) {
                advance(p);
                sp_tok pt = advance(p);
                char *part = name_text(p, &pt);
                if (!part) return false;
                o.key = sp_arena_printf(p->arena, "%s.%s", o.key, part);
                if (!o.key) oom(p);
            }
        } else {
            fail(p, t, "expected an option name");
            if (t->kind == SP_TK_RPAREN)
                trailing_comma_hint(p);
            else
                hint(p, "write WITH (key = 'value', ...)");
            return false;
        }
        if (!o.key) return false;
        o.key_pos = span_from(p, o.key_pos);
        for (int i = 0; i < st->n_options; i++) {
            if (strcasecmp(st->options[i].key, o.key) == 0) {
                sp_tok kt = p->prev;
                kt.off = o.key_pos.off;
                kt.line = o.key_pos.line;
                kt.col = o.key_pos.col;
                kt.len = o.key_pos.len;
                fail(p, &kt, "option %s is given twice", o.key);
                hint(p, "the first is at %d:%d", st->options[i].key_pos.line,
                     st->options[i].key_pos.col);
                return false;
            }
        }
        accept(p, SP_TK_EQ);
        const sp_tok *v = peek(p);
        o.value_pos = tok_pos(v);
        if (v->kind == SP_TK_STRING) {
            sp_tok vt = advance(p);
            o.value = string_text(p, &vt, NULL);
        } else if (is_number_tok(v) ||
                   (v->kind == SP_TK_MINUS && is_number_tok(peek_n(p, 1)))) {
            if (v->kind == SP_TK_MINUS) advance(p);
            advance(p);
            o.value_pos = span_from(p, o.value_pos);
            o.value = sp_arena_strndup(p->arena, p->lx.text + o.value_pos.off,
                                       (size_t)o.value_pos.len);
            if (!o.value) oom(p);
        } else if (v->kind == SP_TK_WORD || v->kind == SP_TK_QIDENT) {
            sp_tok vt = advance(p);
            o.value = name_text(p, &vt);
            while (o.value && is_kind(p, SP_TK_DOT) &&
                   (peek_n(p, 1)->kind == SP_TK_WORD ||
                    peek_n(p, 1)->kind == SP_TK_QIDENT)) {
                advance(p);
                sp_tok pt = advance(p);
                char *part = name_text(p, &pt);
                if (!part) return false;
                o.value = sp_arena_printf(p->arena, "%s.%s", o.value, part);
                if (!o.value) oom(p);
            }
            o.value_pos = span_from(p, o.value_pos);
        } else {
            fail(p, v, "expected a value for option %s", o.key);
            hint(p, "write %s = 'value'", o.key);
            return false;
        }
        if (!o.value) return false;
        if (!PUSH(p, st->options, st->n_options, cap, o)) return false;
        if (accept(p, SP_TK_COMMA)) continue;
        if (accept(p, SP_TK_RPAREN)) return true;
        fail(p, peek(p), "expected ',' or ')' in the WITH options");
        hint(p, "the '(' at %d:%d is not closed", open.line, open.col);
        return false;
    }
}

static bool parse_columns(parser *p, sp_ast_stmt *st)
{
    sp_tok open = advance(p); /* '(' */
    int cap = 0;
    for (;;) {
        const sp_tok *t = peek(p);
        if (tok_is_word(p, t, "WATERMARK") && at_kw_n(p, 1, "FOR")) {
            sp_tok kw = advance(p);
            advance(p);
            if (st->wm_column) {
                fail(p, &kw, "only one WATERMARK is allowed per source");
                return false;
            }
            const sp_tok *ct = peek(p);
            if (!is_name_tok(p, ct) && !tok_is_word(p, ct, "END")) {
                fail(p, ct, "expected a column name after WATERMARK FOR");
                return false;
            }
            sp_tok cn = advance(p);
            st->wm_column = name_text(p, &cn);
            if (!st->wm_column) return false;
            if (!expect_kw(p, "AS", "after WATERMARK FOR column")) {
                hint(p, "write WATERMARK FOR ts AS ts - INTERVAL '10' SECOND");
                return false;
            }
            st->wm_expr = parse_expr(p);
            if (!st->wm_expr) return false;
            st->wm_pos = span_from(p, tok_pos(&kw));
        } else if (is_name_tok(p, t) || tok_is_word(p, t, "END")) {
            sp_ast_column c;
            memset(&c, 0, sizeof c);
            sp_tok nt = advance(p);
            c.pos = tok_pos(&nt);
            c.name = name_text(p, &nt);
            if (!c.name) return false;
            if (accept_kw(p, "AS")) {
                c.type = SP_T_NULL;
                c.computed = parse_expr(p);
                if (!c.computed) return false;
            } else {
                if (!parse_type(p, &c.type)) return false;
                /* Nullability is not modelled; NOT NULL / NULL are
                 * accepted and ignored. */
                if (at_kw(p, "NOT") && at_kw_n(p, 1, "NULL")) {
                    advance(p);
                    advance(p);
                } else {
                    accept_kw(p, "NULL");
                }
            }
            c.pos = span_from(p, c.pos);
            if (!PUSH(p, st->columns, st->n_columns, cap, c)) return false;
        } else {
            fail(p, t, "expected a column definition");
            if (t->kind == SP_TK_RPAREN && p->prev.kind == SP_TK_COMMA)
                trailing_comma_hint(p);
            else if (t->kind == SP_TK_WORD)
                hint(p, "%.*s is a reserved word; quote it: `%.*s`", t->len,
                     p->lx.text + t->off, t->len, p->lx.text + t->off);
            else
                hint(p, "write name TYPE, name AS expression or WATERMARK "
                        "FOR column AS expression");
            return false;
        }
        if (accept(p, SP_TK_COMMA)) continue;
        if (accept(p, SP_TK_RPAREN)) return true;
        fail(p, peek(p), "expected ',' or ')' in the column list");
        hint(p, "the '(' at %d:%d is not closed", open.line, open.col);
        return false;
    }
}

static const char source_example[] =
    "CREATE SOURCE clicks (ts TIMESTAMP, url STRING) WITH (connector = "
    "'file', path = 'in/', format = 'json')";
static const char sink_example[] =
    "CREATE SINK out WITH (connector = 'console') AS SELECT ...";

/* The query after AS in CREATE SINK/VIEW; AS was consumed. */
static bool parse_body_query(parser *p, sp_ast_stmt *st)
{
    const sp_tok *t = peek(p);
    if (!tok_is_word(p, t, "SELECT")) {
        fail(p, t, "expected SELECT after AS");
        if (near_miss(p, t, (const char *const[]){"SELECT", NULL}))
            hint(p, "did you mean SELECT?");
        return false;
    }
    st->query = parse_query(p);
    return st->query != NULL;
}

static sp_ast_stmt *parse_create(parser *p, sp_ast_stmt *st)
{
    sp_tok kw = advance(p); /* CREATE */
    const sp_tok *t = peek(p);
    if (tok_is_word(p, t, "SOURCE") || tok_is_word(p, t, "TABLE")) {
        bool table = tok_is_word(p, t, "TABLE");
        st->kind = table ? SP_STMT_CREATE_TABLE : SP_STMT_CREATE_SOURCE;
        advance(p);
        if (!parse_obj_name(p, st, table ? "CREATE TABLE" : "CREATE SOURCE"))
            return NULL;
        if (is_kind(p, SP_TK_LPAREN) && !parse_columns(p, st)) return NULL;
        if (at_kw(p, "WITH")) {
            if (!parse_options(p, st)) return NULL;
        } else if (!table) {
            fail(p, peek(p), "expected WITH (...) after CREATE SOURCE %s",
                 st->name);
            hint(p, "a source needs options, e.g. %s", source_example);
            return NULL;
        }
    } else if (tok_is_word(p, t, "SINK")) {
        st->kind = SP_STMT_CREATE_SINK;
        advance(p);
        if (!parse_obj_name(p, st, "CREATE SINK")) return NULL;
        if (!at_kw(p, "WITH")) {
            fail(p, peek(p), "expected WITH (...) after CREATE SINK %s",
                 st->name);
            hint(p, "a sink needs options, e.g. %s", sink_example);
            return NULL;
        }
        if (!parse_options(p, st)) return NULL;
        if (!accept_kw(p, "AS")) {
            fail(p, peek(p), "expected AS SELECT ... after the sink options");
            hint(p, "%s", sink_example);
            return NULL;
        }
        if (!parse_body_query(p, st)) return NULL;
    } else if (tok_is_word(p, t, "VIEW")) {
        st->kind = SP_STMT_CREATE_VIEW;
        advance(p);
        if (!parse_obj_name(p, st, "CREATE VIEW")) return NULL;
        if (!expect_kw(p, "AS", "after the view name")) {
            hint(p, "write CREATE VIEW name AS SELECT ...");
            return NULL;
        }
        if (!parse_body_query(p, st)) return NULL;
    } else {
        static const char *const kinds[] = {"SOURCE", "SINK", "TABLE", "VIEW",
                                            NULL};
        const char *kw2 = near_miss(p, t, kinds);
        fail(p, t, "expected SOURCE, SINK, TABLE or VIEW after CREATE");
        if (kw2) hint(p, "did you mean CREATE %s?", kw2);
        return NULL;
    }
    st->pos = span_from(p, tok_pos(&kw));
    return st;
}

/* Finds the end of a raw SET value starting at `off`: the first ';', end
 * of line, `--` or `/ *` outside quotes, or the end of the text (so a
 * forgotten ';' after SET is reported on the next line). Returns -1 (and *q_off
 * = the offset of the opening quote) on an unterminated quote. */
static int raw_value_end(const char *s, int len, int off, int *q_off)
{
    int i = off;
    while (i < len) {
        char c = s[i];
        if (c == ';' || c == '\n') break;
        if (c == '-' && i + 1 < len && s[i + 1] == '-') break;
        if (c == '/' && i + 1 < len && s[i + 1] == '*') break;
        if (c == '\'' || c == '"' || c == '`') {
            int start = i++;
            for (;;) {
                if (i >= len) {
                    *q_off = start;
                    return -1;
                }
                if (s[i] == '\\' && c != '`' && i + 1 < len) {
                    i += 2;
                } else if (s[i] == c) {
                    i++;
                    if (i < len && s[i] == c) {
                        i++;
                    } else {
                        break;
                    }
                } else {
                    i++;
                }
            }
            continue;
        }
        i++;
    }
    return i;
}

static sp_ast_stmt *parse_set(parser *p, sp_ast_stmt *st)
{
    sp_tok kw = advance(p); /* SET */
    st->kind = SP_STMT_SET;
    const sp_tok *t = peek(p);
    if (t->kind != SP_TK_WORD && t->kind != SP_TK_QIDENT) {
        fail(p, t, "expected a setting name after SET");
        hint(p, "write SET key = value, e.g. SET trigger = processing_time "
                "'1 second'");
        return NULL;
    }
    sp_tok nt = advance(p);
    st->name_pos = tok_pos(&nt);
    st->name = name_text(p, &nt);
    while (st->name && is_kind(p, SP_TK_DOT) &&
           (peek_n(p, 1)->kind == SP_TK_WORD ||
            peek_n(p, 1)->kind == SP_TK_QIDENT)) {
        advance(p);
        sp_tok pt = advance(p);
        char *part = name_text(p, &pt);
        if (!part) return NULL;
        st->name = sp_arena_printf(p->arena, "%s.%s", st->name, part);
        if (!st->name) oom(p);
    }
    if (!st->name) return NULL;
    st->name_pos = span_from(p, st->name_pos);
    if (!accept(p, SP_TK_EQ)) {
        fail(p, peek(p), "expected '=' after SET %s", st->name);
        hint(p, "write SET %s = value", st->name);
        return NULL;
    }
    /* The value is raw text: rewind the lexer to the next token's start
     * (dropping lookahead) and scan to ';' ourselves. */
    sp_tok vt = *peek(p);
    if (vt.kind == SP_TK_SEMI || vt.kind == SP_TK_EOF) {
        fail(p, &vt, "expected a value after SET %s =", st->name);
        hint(p, "write SET %s = value", st->name);
        return NULL;
    }
    p->n_la = 0;
    sp_lex_rewind(&p->lx, &vt);
    int q_off = 0;
    int end = raw_value_end(p->lx.text, p->lx.len, vt.off, &q_off);
    if (end < 0) {
        sp_lex_skip_to(&p->lx, q_off);
        sp_tok qt = {.kind = SP_TK_STRING,
                     .off = q_off,
                     .len = 1,
                     .line = p->lx.line,
                     .col = p->lx.col};
        fail(p, &qt, "unterminated string literal");
        hint(p, "the string starting at %d:%d has no closing %c", qt.line,
             qt.col, p->lx.text[q_off]);
        return NULL;
    }
    int vend = end;
    while (vend > vt.off &&
           (p->lx.text[vend - 1] == ' ' || p->lx.text[vend - 1] == '\t' ||
            p->lx.text[vend - 1] == '\n' || p->lx.text[vend - 1] == '\r' ||
            p->lx.text[vend - 1] == '\f' || p->lx.text[vend - 1] == '\v'))
        vend--;
    const char *vs = p->lx.text + vt.off;
    int vlen = vend - vt.off;
    st->set_value_pos = tok_pos(&vt);
    st->set_value_pos.len = vlen > 0 ? vlen : 1;
    /* A single quoted string is unquoted. */
    sp_lexer sub;
    sp_lex_init(&sub, vs, vlen);
    sp_tok one = sp_lex_next(&sub);
    if (one.kind == SP_TK_STRING && one.len == vlen) {
        st->set_value = sp_lex_unescape(&sub, &one, p->arena, NULL);
    } else {
        st->set_value = sp_arena_strndup(p->arena, vs, (size_t)vlen);
    }
    if (!st->set_value) {
        oom(p);
        return NULL;
    }
    sp_lex_skip_to(&p->lx, vend);
    /* prev = the value, for "statement ending at". */
    p->prev = vt;
    p->prev.off = vt.off;
    p->prev.len = vlen;
    p->prev.kind = SP_TK_STRING;
    st->pos = span_from(p, tok_pos(&kw));
    return st;
}

static sp_ast_stmt *parse_stmt(parser *p)
{
    sp_ast_stmt *st = zalloc(p, sizeof *st);
    if (!st) return NULL;
    const sp_tok *t = peek(p);
    st->pos = tok_pos(t);
    if (tok_is_word(p, t, "CREATE")) return parse_create(p, st);
    if (tok_is_word(p, t, "SET")) return parse_set(p, st);
    if (tok_is_word(p, t, "SELECT")) {
        fail(p, t, "a query must be the body of CREATE SINK or CREATE VIEW");
        hint(p, "%s", sink_example);
        return NULL;
    }
    static const char *const starts[] = {"CREATE", "SET", NULL};
    const char *kw = near_miss(p, t, starts);
    fail(p, t, "expected CREATE or SET at the start of a statement");
    if (kw) hint(p, "did you mean %s?", kw);
    return NULL;
}

/* Line and column just past the last byte of token t. */
static void tok_end(const parser *p, const sp_tok *t, int *line, int *col)
{
    int l = t->line, c = t->col;
    for (int i = t->off; i < t->off + t->len - 1 && i < p->lx.len; i++) {
        if (p->lx.text[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static void parser_init(parser *p, const char *text, size_t len,
                        const char *file, sp_arena *arena, sp_err *err)
{
    memset(p, 0, sizeof *p);
    sp_lex_init(&p->lx, text ? text : "", text ? (int)len : 0);
    p->arena = arena;
    p->err = err;
    p->file = file;
}

int sp_sql_parse(const char *text, size_t len, const char *file,
                 sp_arena *arena, sp_ast_script **out, sp_err *err)
{
    if (len > (size_t)INT32_MAX - 16)
        return sp_err_set(err, SP_EINVAL, "script is too large");
    parser p;
    parser_init(&p, text, len, file, arena, err);
    sp_ast_script *sc = zalloc(&p, sizeof *sc);
    if (!sc) return err->code ? err->code : SP_ENOMEM;
    sc->file = file;
    sc->text = text;
    sc->text_len = len;
    int cap = 0;
    for (;;) {
        while (accept(&p, SP_TK_SEMI)) {
        }
        if (is_kind(&p, SP_TK_EOF)) break;
        sp_ast_stmt *st = parse_stmt(&p);
        if (!st) break;
        if (!PUSH(&p, sc->stmts, sc->n_stmts, cap, st)) break;
        const sp_tok *t = peek(&p);
        if (t->kind == SP_TK_SEMI || t->kind == SP_TK_EOF) continue;
        if (t->kind == SP_TK_RPAREN) {
            fail(&p, t, "unmatched ')'");
            break;
        }
        int l, c;
        tok_end(&p, &p.prev, &l, &c);
        fail(&p, t, "expected ';' after the statement ending at %d:%d", l, c);
        hint(&p, "separate statements with ';'");
        break;
    }
    if (p.failed) return err->code ? err->code : SP_ESYNTAX;
    *out = sc;
    return 0;
}

int sp_sql_parse_expr(const char *text, size_t len, sp_arena *arena,
                      sp_ast_expr **out, sp_err *err)
{
    if (len > (size_t)INT32_MAX - 16)
        return sp_err_set(err, SP_EINVAL, "expression is too large");
    parser p;
    parser_init(&p, text, len, NULL, arena, err);
    sp_ast_expr *e = parse_expr(&p);
    if (e && !is_kind(&p, SP_TK_EOF)) {
        fail(&p, peek(&p), "expected end of expression");
        e = NULL;
    }
    if (!e || p.failed) return err->code ? err->code : SP_ESYNTAX;
    *out = e;
    return 0;
}
