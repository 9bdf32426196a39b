/*
 * expr_test.c -- expressions: every operator and function, NULL handling,
 * casts, three-valued logic, IN/CASE/COALESCE, filters and selection
 * vectors with gaps (src/expr/).
 *
 * Most cases go through CK(), which evaluates a function twice -- once
 * folded over constants (one row, no selection) and once over columns of
 * a 3-row batch with selection {0, 2} where row 1 is NULL and holds a
 * poisoned string -- and checks that both give the expected text.
 */
#include "expr/expr.h"
#include "test.h"

#include <math.h>

static sp_arena *A;

static sp_value I(int64_t x)
{
    return (sp_value){.type = SP_T_BIGINT, .v.i = x};
}
static sp_value D(double x)
{
    return (sp_value){.type = SP_T_DOUBLE, .v.d = x};
}
static sp_value S(const char *s)
{
    return (sp_value){.type = SP_T_VARCHAR, .v.s = sp_str_make(s, strlen(s))};
}
static sp_value B(bool b)
{
    return (sp_value){.type = SP_T_BOOL, .v.b = b};
}
static sp_value TS(const char *s)
{
    sp_value v = {.type = SP_T_TIMESTAMP};
    if (sp_ts_parse(s, strlen(s), &v.v.i) != 0) TEST_FAIL_("bad ts %s", s);
    return v;
}
static sp_value IV(const char *s)
{
    sp_value v = {.type = SP_T_INTERVAL};
    if (sp_interval_parse(s, strlen(s), &v.v.i, NULL) != 0)
        TEST_FAIL_("bad interval %s", s);
    return v;
}
static sp_value NUL(sp_type t)
{
    return (sp_value){.type = t, .is_null = true};
}
#define N NUL(SP_T_NULL)

static char *fmt(const sp_value *v)
{
    sp_buf b;
    sp_buf_init(&b);
    sp_value_format(v, &b);
    char *s = sp_arena_strndup(A, b.data ? b.data : "", b.len);
    sp_buf_free(&b);
    return s;
}

static const char *err_text(const sp_err *e)
{
    return sp_arena_printf(A, "ERR: %s", e->msg);
}

/* Evaluates name(args) folded over constants. */
static const char *eval_const_path(const char *name, const sp_value *args,
                                   int n, sp_type *type)
{
    sp_err err;
    sp_err_clear(&err);
    sp_expr *ex[8];
    for (int i = 0; i < n; i++) ex[i] = sp_expr_const(A, &args[i]);
    const sp_func *f = sp_func_lookup(name, strlen(name));
    if (!f) TEST_FAIL_("no function %s", name);
    sp_expr *e = sp_expr_call(A, f, ex, n, &err);
    if (!e) return err_text(&err);
    if (e->kind != SP_E_CONST)
        TEST_FAIL_("%s() over constants not folded", name);
    *type = e->type;
    return fmt(&e->val);
}

/* Evaluates name(cols) over a 3-row batch, selection {0, 2}, row 1 NULL. */
static const char *eval_vec_path(const char *name, const sp_value *args, int n,
                                 sp_type *type)
{
    sp_err err;
    sp_err_clear(&err);
    sp_vec *cols = sp_arena_zalloc(A, sizeof(sp_vec) * 8);
    sp_expr *ex[8];
    for (int j = 0; j < n; j++) {
        sp_type t = args[j].type;
        ASSERT(sp_vec_alloc(&cols[j], t, 3, true, A) == 0);
        cols[j].nulls[1] = 1;
        for (uint32_t r = 0; r < 3; r += 2) {
            if (args[j].is_null || t == SP_T_NULL) {
                cols[j].nulls[r] = 1;
                continue;
            }
            switch (t) {
            case SP_T_BOOL:
                cols[j].d.b[r] = args[j].v.b;
                break;
            case SP_T_DOUBLE:
                cols[j].d.f64[r] = args[j].v.d;
                break;
            case SP_T_VARCHAR:
                cols[j].d.str[r] = args[j].v.s;
                break;
            default:
                cols[j].d.i64[r] = args[j].v.i;
            }
        }
        if (t == SP_T_VARCHAR) /* poison: must never be read */
            cols[j].d.str[1] = sp_str_make((const char *)16, 7);
        else if (t == SP_T_DOUBLE)
            cols[j].d.f64[1] = 0;
        else if (t != SP_T_BOOL && t != SP_T_NULL)
            cols[j].d.i64[1] = 0;
        ex[j] = sp_expr_col(A, j, t);
    }
    const sp_func *f = sp_func_lookup(name, strlen(name));
    sp_expr *e = sp_expr_call(A, f, ex, n, &err);
    if (!e) return err_text(&err);
    static uint32_t sel[2] = {0, 2};
    sp_batch b = {.n_rows = 3,
                  .n_cols = (uint32_t)n,
                  .cols = cols,
                  .sel = sel,
                  .n_sel = 2,
                  .arena = A};
    sp_vec out;
    ASSERT_OK(sp_expr_eval(e, &b, A, &out, &err), &err);
    ASSERT(out.type == e->type);
    sp_value v0, v2;
    sp_vec_get(&out, 0, &v0);
    sp_vec_get(&out, 2, &v2);
    const char *s0 = fmt(&v0), *s2 = fmt(&v2);
    if (strcmp(s0, s2) != 0) TEST_FAIL_("rows differ: %s vs %s", s0, s2);
    *type = e->type;
    return s0;
}

static void check_fn(int line, const char *want, const char *name,
                     const sp_value *args, int n, const char *want_type)
{
    sp_type t1 = SP_T_NULL, t2 = SP_T_NULL;
    const char *c = eval_const_path(name, args, n, &t1);
    const char *v = eval_vec_path(name, args, n, &t2);
    if (strncmp(want, "ERR", 3) == 0) {
        if (strncmp(c, want, strlen(want)) != 0 ||
            strncmp(v, want, strlen(want)) != 0)
            TEST_FAIL_("line %d: %s(): want error '%s', got '%s' / '%s'", line,
                       name, want, c, v);
        return;
    }
    if (strcmp(c, want) != 0)
        TEST_FAIL_("line %d: %s() folded: got '%s', want '%s'", line, name, c,
                   want);
    if (strcmp(v, want) != 0)
        TEST_FAIL_("line %d: %s() vector: got '%s', want '%s'", line, name, v,
                   want);
    if (want_type && strcmp(sp_type_name(t1), want_type) != 0)
        TEST_FAIL_("line %d: %s() type %s, want %s", line, name,
                   sp_type_name(t1), want_type);
    if (t1 != t2) TEST_FAIL_("line %d: types differ", line);
}

static void check_const(int line, const char *want, const char *name,
                        const sp_value *args, int n)
{
    sp_type t;
    const char *c = eval_const_path(name, args, n, &t);
    if (strncmp(c, want, strlen(want)) != 0)
        TEST_FAIL_("line %d: %s(): got '%s', want '%s...'", line, name, c,
                   want);
}

#define ARGS(...)                                                              \
    (sp_value[])                                                               \
    {                                                                          \
        __VA_ARGS__                                                            \
    }
#define NARGS(...) ((int)(sizeof(ARGS(__VA_ARGS__)) / sizeof(sp_value)))
#define CK(want, name, ...)                                                    \
    check_fn(__LINE__, want, name, ARGS(__VA_ARGS__), NARGS(__VA_ARGS__), NULL)
/* Errors found when an argument is constant (bad pattern) are checked on
 * the folded path only: with a column, the bad value gives NULL/false. */
#define CKC(want, name, ...)                                                   \
    check_const(__LINE__, want, name, ARGS(__VA_ARGS__), NARGS(__VA_ARGS__))
#define CKT(want, type, name, ...)                                             \
    check_fn(__LINE__, want, name, ARGS(__VA_ARGS__), NARGS(__VA_ARGS__), type)

static void setup(void)
{
    A = sp_arena_create(1 << 16);
}
static void teardown(void)
{
    sp_arena_destroy(A);
}

/* ------------------------------------------------------------------------ */

TEST(arithmetic)
{
    setup();
    CKT("5", "BIGINT", "+", I(2), I(3));
    CKT("5.5", "DOUBLE", "+", I(2), D(3.5));
    CKT("-1", "BIGINT", "-", I(2), I(3));
    CKT("6", "BIGINT", "*", I(2), I(3));
    CKT("0.5", "DOUBLE", "/", I(1), I(2));
    CKT("2.0", "DOUBLE", "/", I(4), I(2));
    CK("null", "/", I(1), I(0));
    CK("null", "/", D(1), D(0));
    CK("null", "/", D(1), D(-0.0));
    CKT("1", "BIGINT", "%", I(7), I(3));
    CK("-1", "%", I(-7), I(3));
    CK("1", "%", I(7), I(-3));
    CK("null", "%", I(7), I(0));
    CK("0", "%", I(INT64_MIN), I(-1));
    CK("1.5", "%", D(7.5), D(3));
    CK("null", "%", D(7.5), D(0));
    /* Integer overflow wraps (ANSI off). */
    CK("-9223372036854775808", "+", I(INT64_MAX), I(1));
    CK("-2", "*", I(INT64_MAX), I(2));
    /* Strings in arithmetic become DOUBLE. */
    CKT("3.5", "DOUBLE", "+", S("1.5"), I(2));
    CK("null", "+", S("abc"), I(2));
    CK("null", "+", I(1), N);
    CK("null", "+", NUL(SP_T_BIGINT), I(1));
    CKT("-5", "BIGINT", "neg", I(5));
    CK("-2.5", "neg", D(2.5));
    CK("-9223372036854775808", "neg", I(INT64_MIN));
    CK("ERR", "+", B(true), I(1));
    CK("ERR", "+", TS("2024-01-01"), I(1));
    teardown();
}

TEST(datetime_arithmetic)
{
    setup();
    CKT("2024-01-01 01:00:00", "TIMESTAMP", "+", TS("2024-01-01"),
        IV("1 hour"));
    CK("2024-01-01 01:00:00", "+", IV("1 hour"), TS("2024-01-01"));
    CK("2023-12-31 23:59:50", "-", TS("2024-01-01"), IV("10 seconds"));
    CKT("INTERVAL '1 00:00:00' DAY TO SECOND", "INTERVAL", "-",
        TS("2024-01-02"), TS("2024-01-01"));
    CK("INTERVAL '-1 00:00:00' DAY TO SECOND", "-", TS("2024-01-01"),
       TS("2024-01-02"));
    CK("INTERVAL '0 00:01:30' DAY TO SECOND", "+", IV("1 minute"),
       IV("30 seconds"));
    CK("INTERVAL '0 00:00:20' DAY TO SECOND", "*", IV("10 seconds"), I(2));
    CK("INTERVAL '0 00:00:15' DAY TO SECOND", "*", D(1.5), IV("10 seconds"));
    CK("INTERVAL '0 00:00:05' DAY TO SECOND", "/", IV("10 seconds"), I(2));
    CK("INTERVAL '0 00:00:04' DAY TO SECOND", "/", IV("10 seconds"), D(2.5));
    CK("null", "/", IV("10 seconds"), I(0));
    CK("INTERVAL '-0 00:00:05' DAY TO SECOND", "neg", IV("5 seconds"));
    CK("2024-01-01 00:00:10", "+", S("2024-01-01"), IV("10 seconds"));
    CK("ERR", "+", TS("2024-01-01"), TS("2024-01-01"));
    teardown();
}

TEST(comparisons)
{
    setup();
    const char *ops[] = {"=", "<>", "<", "<=", ">", ">="};
    /* a vs b for a < b, a == b, a > b */
    const char *want[3][6] = {
        {"false", "true", "true", "true", "false", "false"},
        {"true", "false", "false", "true", "false", "true"},
        {"false", "true", "false", "false", "true", "true"}};
    sp_value pairs[][2] = {
        {I(1), I(2)},
        {I(2), I(2)},
        {I(3), I(2)},
        {D(1.5), D(2)},
        {D(2), D(2)},
        {D(2.5), D(2)},
        {S("a"), S("b")},
        {S("b"), S("b")},
        {S("bb"), S("b")},
        {B(false), B(true)},
        {B(true), B(true)},
        {B(true), B(false)},
        {TS("2024-01-01"), TS("2024-01-02")},
        {TS("2024-01-02"), TS("2024-01-02")},
        {TS("2024-01-03"), TS("2024-01-02")},
        {I(1), D(1.5)},
        {D(2), I(2)},
        {D(2.5), I(2)},
        {S(""), S("a")},
        {S(""), S("")},
        {S("a"), S("")},
        /* NaN is above every number and equal to itself (Spark). */
        {D(1e308), D(NAN)},
        {D(NAN), D(NAN)},
        {D(NAN), D(INFINITY)},
        /* VARCHAR vs BIGINT compares as BIGINT ('1.5' -> 1). */
        {S("0"), I(1)},
        {S("1.5"), I(1)},
        {S(" 3 "), I(1)},
        /* VARCHAR vs TIMESTAMP compares as TIMESTAMP. */
        {S("2023-12-31 23:00"), TS("2024-01-01")},
        {S("2024-01-01"), TS("2024-01-01")},
        {TS("2024-01-01 00:00:01"), S("2024-01-01")},
    };
    for (size_t p = 0; p < SP_ARRAY_LEN(pairs); p++)
        for (int o = 0; o < 6; o++)
            check_fn((int)(1000 + p), want[p % 3][o], ops[o], pairs[p], 2,
                     "BOOLEAN");
    CK("null", "=", I(1), N);
    CK("null", "<", S("x"), NUL(SP_T_VARCHAR));
    CK("null", "=", S("abc"), I(1)); /* 'abc' -> NULL BIGINT */
    CK("ERR", "=", B(true), TS("2024-01-01"));
    CK("ERR", "<", I(1), TS("2024-01-01"));
    teardown();
}

/* Column-vs-constant kernels agree with column-vs-column on many rows. */
TEST(const_fast_paths)
{
    setup();
    enum { R = 1000 };
    /* Columns 0..2 hold data; 3..5 hold the constants, materialised. */
    sp_vec c[6];
    sp_vec_alloc(&c[0], SP_T_BIGINT, R, true, A);
    sp_vec_alloc(&c[1], SP_T_DOUBLE, R, false, A);
    sp_vec_alloc(&c[2], SP_T_VARCHAR, R, false, A);
    sp_vec_alloc(&c[3], SP_T_BIGINT, R, false, A);
    sp_vec_alloc(&c[4], SP_T_DOUBLE, R, false, A);
    sp_vec_alloc(&c[5], SP_T_VARCHAR, R, false, A);
    const char *words[] = {"apple", "banana", "cherry", "", "banana!"};
    for (int r = 0; r < R; r++) {
        c[0].d.i64[r] = (r * 37) % 101 - 50;
        c[0].nulls[r] = r % 17 == 0;
        c[1].d.f64[r] = ((r * 13) % 29) / 4.0;
        c[2].d.str[r] = sp_str_make(words[r % 5], strlen(words[r % 5]));
        c[3].d.i64[r] = 7;
        c[4].d.f64[r] = 3.25;
        c[5].d.str[r] = SP_STR_LIT("banana");
    }
    uint32_t *sel = sp_arena_alloc(A, sizeof(uint32_t) * R);
    uint32_t ns = 0;
    for (int r = 0; r < R; r++)
        if (r % 3 != 1) sel[ns++] = (uint32_t)r;
    sp_batch b = {.n_rows = R,
                  .n_cols = 6,
                  .cols = c,
                  .sel = sel,
                  .n_sel = ns,
                  .arena = A};
    const char *ops[] = {"=", "<>", "<", "<=", ">", ">=", "+", "-", "*", "/"};
    sp_value consts[3] = {I(7), D(3.25), S("banana")};
    sp_err err;
    sp_err_clear(&err);
    for (int col = 0; col < 3; col++) {
        for (size_t o = 0; o < SP_ARRAY_LEN(ops); o++) {
            if (col == 2 && o >= 6) continue;
            const sp_func *f = sp_func_lookup(ops[o], strlen(ops[o]));
            for (int side = 0; side < 2; side++) {
                sp_expr *cx = sp_expr_col(A, col, c[col].type);
                sp_expr *kx = sp_expr_const(A, &consts[col]);
                sp_expr *a1[2] = {side ? kx : cx, side ? cx : kx};
                sp_expr *fast = sp_expr_call(A, f, a1, 2, &err);
                ASSERT(fast);
                if (!(o == 9 && side == 1)) ASSERT(fast->direct_const != 0);
                /* Reference: the constant as a materialised column. */
                sp_expr *cc = sp_expr_col(A, col + 3, c[col].type);
                sp_expr *a2[2] = {side ? cc : cx, side ? cx : cc};
                sp_expr *slow = sp_expr_call(A, f, a2, 2, &err);
                ASSERT(slow && slow->direct_const == 0);
                sp_vec v1, v2;
                ASSERT_OK(sp_expr_eval(fast, &b, A, &v1, &err), &err);
                ASSERT_OK(sp_expr_eval(slow, &b, A, &v2, &err), &err);
                for (uint32_t k = 0; k < ns; k++) {
                    uint32_t r = sel[k];
                    sp_value x1, x2;
                    sp_vec_get(&v1, r, &x1);
                    sp_vec_get(&v2, r, &x2);
                    const char *s1 = fmt(&x1), *s2 = fmt(&x2);
                    if (strcmp(s1, s2) != 0)
                        TEST_FAIL_("col %d op %s side %d row %u: %s vs %s", col,
                                   ops[o], side, r, s1, s2);
                }
            }
        }
    }
    teardown();
}

/* VARCHAR = / <> a constant (the word-compare kernel): every constant
 * length from 0 to 20 against strings of every length around it, each in
 * its own exact-size heap block (ASan catches a read past it), NULL rows
 * with a poisoned payload, dense and with a selection, constant on either
 * side; checked against a plain byte comparison, through the kernel and
 * through a filter (which selects rows without a BOOLEAN vector). */
TEST(string_eq_const)
{
    setup();
    enum { R = 23 * 6 };
    const char *base = "abcdefghijklmnopqrstuvwxyz";
    char *blocks[R];
    sp_vec c;
    sp_vec_alloc(&c, SP_T_VARCHAR, R, true, A);
    sp_err err;
    sp_err_clear(&err);
    const sp_func *eq = sp_func_lookup("=", 1), *ne = sp_func_lookup("<>", 2);
    uint32_t *sel = sp_arena_alloc(A, sizeof(uint32_t) * R);
    uint32_t ns = 0;
    for (int r = 0; r < R; r++)
        if (r % 4 != 1) sel[ns++] = (uint32_t)r;
    for (uint32_t L = 0; L <= 20; L++) {
        /* rows: lengths 0..22; variants equal, last byte differs, first
         * byte differs, middle differs, NULL, equal again */
        for (int r = 0; r < R; r++) {
            uint32_t len = (uint32_t)(r / 6);
            int var = r % 6;
            blocks[r] = malloc(len ? len : 1);
            memcpy(blocks[r], base, len);
            if (len == L && var == 1 && len) blocks[r][len - 1] = 'Z';
            if (len == L && var == 2 && len) blocks[r][0] = 'Z';
            if (len == L && var == 3 && len) blocks[r][len / 2] = 'Z';
            c.d.str[r] = sp_str_make(blocks[r], len);
            c.nulls[r] = var == 4;
            if (var == 4) c.d.str[r] = sp_str_make((const char *)16, L);
        }
        sp_value k = {.type = SP_T_VARCHAR, .v.s = sp_str_make(base, L)};
        for (int op = 0; op < 2; op++) {
            for (int side = 0; side < 2; side++) {
                sp_expr *cx = sp_expr_col(A, 0, SP_T_VARCHAR);
                sp_expr *kx = sp_expr_const(A, &k);
                sp_expr *a[2] = {side ? kx : cx, side ? cx : kx};
                sp_expr *e = sp_expr_call(A, op ? ne : eq, a, 2, &err);
                ASSERT(e && e->direct_const != 0);
                for (int dense = 0; dense < 2; dense++) {
                    sp_batch b = {.n_rows = R,
                                  .n_cols = 1,
                                  .cols = &c,
                                  .sel = dense ? NULL : sel,
                                  .n_sel = dense ? 0 : ns,
                                  .arena = A};
                    sp_vec v;
                    ASSERT_OK(sp_expr_eval(e, &b, A, &v, &err), &err);
                    for (uint32_t q = 0; q < sp_batch_live(&b); q++) {
                        uint32_t r = sp_batch_row(&b, q);
                        bool null = v.nulls && v.nulls[r];
                        if (c.nulls[r] != null)
                            TEST_FAIL_("L %u row %u: NULL %d, want %d", L, r,
                                       null, c.nulls[r]);
                        if (null) continue;
                        bool want = c.d.str[r].len == L &&
                                    memcmp(c.d.str[r].ptr, base, L) == 0;
                        if (op) want = !want;
                        if ((v.d.b[r] != 0) != want)
                            TEST_FAIL_("L %u op %d side %d row %u: got %d, "
                                       "want %d",
                                       L, op, side, r, v.d.b[r], want);
                    }
                    /* the filter's direct selection agrees */
                    ASSERT(e->select != NULL);
                    sp_batch fb = b;
                    ASSERT_OK(sp_expr_filter(e, &fb, A, &err), &err);
                    uint32_t q2 = 0;
                    for (uint32_t q = 0; q < sp_batch_live(&b); q++) {
                        uint32_t r = sp_batch_row(&b, q);
                        if (v.nulls && v.nulls[r]) continue;
                        if (!v.d.b[r]) continue;
                        if (q2 >= fb.n_sel || fb.sel[q2] != r)
                            TEST_FAIL_("L %u op %d side %d: filter lacks "
                                       "row %u",
                                       L, op, side, r);
                        q2++;
                    }
                    if (q2 != fb.n_sel)
                        TEST_FAIL_("L %u op %d side %d: filter kept %u rows, "
                                   "want %u",
                                   L, op, side, fb.n_sel, q2);
                }
            }
        }
        for (int r = 0; r < R; r++) free(blocks[r]);
    }
    teardown();
}

/* Builds a 9-row batch of two BOOLEAN columns covering all pairs of
 * {true, false, NULL}. */
static sp_batch bool_pairs(void)
{
    sp_vec *c = sp_arena_zalloc(A, sizeof(sp_vec) * 2);
    sp_vec_alloc(&c[0], SP_T_BOOL, 9, true, A);
    sp_vec_alloc(&c[1], SP_T_BOOL, 9, true, A);
    for (int r = 0; r < 9; r++) {
        int x = r / 3, y = r % 3; /* 0 true, 1 false, 2 NULL */
        c[0].d.b[r] = x == 0;
        c[0].nulls[r] = x == 2;
        c[1].d.b[r] = y == 0;
        c[1].nulls[r] = y == 2;
    }
    return (sp_batch){.n_rows = 9, .n_cols = 2, .cols = c, .arena = A};
}

static const char *eval_rows(const sp_expr *e, const sp_batch *b)
{
    sp_err err;
    sp_err_clear(&err);
    sp_vec v;
    ASSERT_OK(sp_expr_eval(e, b, A, &v, &err), &err);
    sp_buf out;
    sp_buf_init(&out);
    for (uint32_t k = 0; k < sp_batch_live(b); k++) {
        sp_value x;
        sp_vec_get(&v, sp_batch_row(b, k), &x);
        if (k) sp_buf_putc(&out, ',');
        if (x.is_null)
            sp_buf_puts(&out, "N");
        else
            sp_value_format(&x, &out);
    }
    char *s = sp_arena_strndup(A, out.data ? out.data : "", out.len);
    sp_buf_free(&out);
    return s;
}

TEST(three_valued_logic)
{
    setup();
    sp_err err;
    sp_err_clear(&err);
    sp_batch b = bool_pairs();
    sp_expr *x = sp_expr_col(A, 0, SP_T_BOOL),
            *y = sp_expr_col(A, 1, SP_T_BOOL);
    /* rows: TT TF TN FT FF FN NT NF NN */
    ASSERT_EQ_STR(eval_rows(sp_expr_logic(A, SP_E_AND, x, y, &err), &b),
                  "true,false,N,false,false,false,N,false,N");
    ASSERT_EQ_STR(eval_rows(sp_expr_logic(A, SP_E_OR, x, y, &err), &b),
                  "true,true,true,true,false,N,true,N,N");
    ASSERT_EQ_STR(eval_rows(sp_expr_logic(A, SP_E_NOT, x, NULL, &err), &b),
                  "false,false,false,true,true,true,N,N,N");
    sp_expr *isn = sp_expr_new(A, SP_E_IS_NULL, SP_T_BOOL, 1);
    isn->args[0] = y;
    ASSERT_EQ_STR(eval_rows(isn, &b),
                  "false,false,true,false,false,true,false,false,true");
    isn->negated = true;
    ASSERT_EQ_STR(eval_rows(isn, &b),
                  "true,true,false,true,true,false,true,true,false");
    /* With a selection that skips rows. */
    uint32_t sel[] = {1, 5, 8};
    b.sel = sel;
    b.n_sel = 3;
    ASSERT_EQ_STR(eval_rows(sp_expr_logic(A, SP_E_AND, x, y, &err), &b),
                  "false,false,N");
    ASSERT_EQ_STR(eval_rows(sp_expr_logic(A, SP_E_OR, x, y, &err), &b),
                  "true,N,N");
    /* Non-boolean operands are an error. */
    ASSERT(
        !sp_expr_logic(A, SP_E_AND, x, sp_expr_col(A, 0, SP_T_BIGINT), &err));
    ASSERT(strstr(err.msg, "BOOLEAN") != NULL);
    teardown();
}

/* A BIGINT column 0..n-1 with NULL at multiples of 5 (but not 0). */
static sp_batch int_batch(uint32_t n)
{
    sp_vec *c = sp_arena_zalloc(A, sizeof(sp_vec) * 2);
    sp_vec_alloc(&c[0], SP_T_BIGINT, n, true, A);
    sp_vec_alloc(&c[1], SP_T_VARCHAR, n, true, A);
    for (uint32_t r = 0; r < n; r++) {
        c[0].d.i64[r] = r;
        c[0].nulls[r] = r % 5 == 0 && r;
        char *s = sp_arena_printf(A, "s%u", r);
        c[1].d.str[r] = sp_str_make(s, strlen(s));
        c[1].nulls[r] = r % 5 == 0 && r;
        if (c[1].nulls[r]) c[1].d.str[r] = sp_str_make((const char *)8, 3);
    }
    return (sp_batch){.n_rows = n, .n_cols = 2, .cols = c, .arena = A};
}

static sp_expr *kint(int64_t v)
{
    sp_value x = I(v);
    return sp_expr_const(A, &x);
}
static sp_expr *kstr(const char *s)
{
    sp_value x = S(s);
    return sp_expr_const(A, &x);
}
static sp_expr *knull(void)
{
    sp_value x = N;
    return sp_expr_const(A, &x);
}

TEST(in_lists)
{
    setup();
    sp_err err;
    sp_err_clear(&err);
    sp_batch b = int_batch(12);
    sp_expr *x = sp_expr_col(A, 0, SP_T_BIGINT);
    sp_expr *l1[] = {kint(1), kint(3), kint(5), kint(3)};
    sp_expr *e = sp_expr_in(A, x, l1, 4, false, &err);
    ASSERT(e && e->aux);
    ASSERT_EQ_STR(eval_rows(e, &b),
                  "false,true,false,true,false,N,false,false,false,false,N,"
                  "false");
    e = sp_expr_in(A, x, l1, 4, true, &err);
    ASSERT_EQ_STR(eval_rows(e, &b),
                  "true,false,true,false,true,N,true,true,true,true,N,true");
    /* NULL in the list: a miss is NULL, a hit is TRUE. */
    sp_expr *l2[] = {kint(1), knull()};
    e = sp_expr_in(A, x, l2, 2, false, &err);
    ASSERT_EQ_STR(eval_rows(e, &b), "N,true,N,N,N,N,N,N,N,N,N,N");
    e = sp_expr_in(A, x, l2, 2, true, &err);
    ASSERT_EQ_STR(eval_rows(e, &b), "N,false,N,N,N,N,N,N,N,N,N,N");
    /* A long list uses the hash table. */
    sp_expr *l3[20];
    for (int i = 0; i < 20; i++) l3[i] = kint(i * 2);
    e = sp_expr_in(A, x, l3, 20, false, &err);
    ASSERT(e && e->aux);
    ASSERT_EQ_STR(eval_rows(e, &b),
                  "true,false,true,false,true,N,true,false,true,false,N,"
                  "false");
    /* Strings, long list. */
    sp_expr *s = sp_expr_col(A, 1, SP_T_VARCHAR);
    sp_expr *l4[12];
    for (int i = 0; i < 12; i++) l4[i] = kstr(sp_arena_printf(A, "s%d", i * 3));
    e = sp_expr_in(A, s, l4, 12, false, &err);
    ASSERT_EQ_STR(eval_rows(e, &b),
                  "true,false,false,true,false,N,true,false,false,true,N,"
                  "false");
    /* Non-constant list: x IN (x + 1, 3). */
    const sp_func *plus = sp_func_lookup("+", 1);
    sp_expr *pa[] = {x, kint(1)};
    sp_expr *l5[] = {sp_expr_call(A, plus, pa, 2, &err), kint(3)};
    e = sp_expr_in(A, x, l5, 2, false, &err);
    ASSERT(e && !e->aux);
    ASSERT_EQ_STR(eval_rows(e, &b),
                  "false,false,false,true,false,N,false,false,false,false,N,"
                  "false");
    /* Mixed types: BIGINT with VARCHAR compares as VARCHAR (Spark). */
    sp_expr *l6[] = {kstr("2"), kint(4)};
    e = sp_expr_in(A, x, l6, 2, false, &err);
    ASSERT(e && e->args[0]->type == SP_T_VARCHAR);
    ASSERT_EQ_STR(eval_rows(e, &b),
                  "false,false,true,false,true,N,false,false,false,false,N,"
                  "false");
    teardown();
}

TEST(case_and_coalesce)
{
    setup();
    sp_err err;
    sp_err_clear(&err);
    sp_batch b = int_batch(7);
    sp_expr *x = sp_expr_col(A, 0, SP_T_BIGINT);
    const sp_func *lt = sp_func_lookup("<", 1), *eq = sp_func_lookup("=", 1);
    sp_expr *a1[] = {x, kint(2)}, *a2[] = {x, kint(4)};
    sp_expr *conds[] = {sp_expr_call(A, lt, a1, 2, &err),
                        sp_expr_call(A, eq, a2, 2, &err)};
    sp_expr *vals[] = {kstr("small"), kstr("four")};
    sp_expr *e = sp_expr_case(A, conds, vals, 2, kstr("other"), &err);
    ASSERT(e && e->type == SP_T_VARCHAR);
    /* Row 5 is NULL: both conditions NULL -> ELSE. */
    ASSERT_EQ_STR(eval_rows(e, &b), "small,small,other,other,four,other,other");
    e = sp_expr_case(A, conds, vals, 2, NULL, &err);
    ASSERT_EQ_STR(eval_rows(e, &b), "small,small,N,N,four,N,N");
    /* Mixed branch types widen: BIGINT and DOUBLE -> DOUBLE. */
    sp_value dv = D(0.5);
    sp_expr *v2[] = {x, sp_expr_const(A, &dv)};
    e = sp_expr_case(A, conds, v2, 2, NULL, &err);
    ASSERT(e->type == SP_T_DOUBLE);
    ASSERT_EQ_STR(eval_rows(e, &b), "0.0,1.0,N,N,0.5,N,N");
    /* coalesce(x, -1) */
    sp_expr *ca[] = {knull(), x, kint(-1)};
    e = sp_expr_coalesce(A, ca, 3, &err);
    ASSERT(e && e->type == SP_T_BIGINT);
    ASSERT_EQ_STR(eval_rows(e, &b), "0,1,2,3,4,-1,6");
    sp_expr *cb[] = {x, knull()};
    e = sp_expr_coalesce(A, cb, 2, &err);
    ASSERT_EQ_STR(eval_rows(e, &b), "0,1,2,3,4,N,6");
    /* BOOLEAN and VARCHAR do not mix. */
    sp_value bv = B(true);
    sp_expr *cc[] = {kstr("a"), sp_expr_const(A, &bv)};
    ASSERT(!sp_expr_coalesce(A, cc, 2, &err));
    ASSERT(strstr(err.msg, "incompatible") != NULL);
    teardown();
}

TEST(casts)
{
    setup();
    struct {
        sp_value v;
        sp_type to;
        const char *want;
    } cases[] = {
        {S("123"), SP_T_BIGINT, "123"},
        {S(" 12 "), SP_T_BIGINT, "12"},
        {S("\t-7\n"), SP_T_BIGINT, "-7"},
        {S("+7"), SP_T_BIGINT, "7"},
        {S("1.5"), SP_T_BIGINT, "1"},
        {S("-1.9"), SP_T_BIGINT, "-1"},
        {S("1."), SP_T_BIGINT, "1"},
        {S("1.x"), SP_T_BIGINT, "null"},
        {S("1e3"), SP_T_BIGINT, "null"},
        {S("abc"), SP_T_BIGINT, "null"},
        {S(""), SP_T_BIGINT, "null"},
        {S("-"), SP_T_BIGINT, "null"},
        {S("9223372036854775807"), SP_T_BIGINT, "9223372036854775807"},
        {S("9223372036854775808"), SP_T_BIGINT, "null"},
        {S("-9223372036854775808"), SP_T_BIGINT, "-9223372036854775808"},
        {S("1.5"), SP_T_DOUBLE, "1.5"},
        {S(" 1e3 "), SP_T_DOUBLE, "1000.0"},
        {S("-.5"), SP_T_DOUBLE, "-0.5"},
        {S("1.5d"), SP_T_DOUBLE, "1.5"},
        {S("Infinity"), SP_T_DOUBLE, "Infinity"},
        {S("-inf"), SP_T_DOUBLE, "-Infinity"},
        {S("NaN"), SP_T_DOUBLE, "NaN"},
        {S("0x10"), SP_T_DOUBLE, "null"},
        {S("abc"), SP_T_DOUBLE, "null"},
        {S("true"), SP_T_BOOL, "true"},
        {S("Y"), SP_T_BOOL, "true"},
        {S("1"), SP_T_BOOL, "true"},
        {S(" no "), SP_T_BOOL, "false"},
        {S("f"), SP_T_BOOL, "false"},
        {S("maybe"), SP_T_BOOL, "null"},
        {S("2024-01-31 10:00:00"), SP_T_TIMESTAMP, "2024-01-31 10:00:00"},
        {S("2024-01-31T10:00:00.5Z"), SP_T_TIMESTAMP, "2024-01-31 10:00:00.5"},
        {S("nope"), SP_T_TIMESTAMP, "null"},
        {S("10 seconds"), SP_T_INTERVAL, "INTERVAL '0 00:00:10' DAY TO SECOND"},
        {S("INTERVAL '1 02:00:00' DAY TO SECOND"), SP_T_INTERVAL,
         "INTERVAL '1 02:00:00' DAY TO SECOND"},
        {S("10"), SP_T_INTERVAL, "null"},
        {I(0), SP_T_TIMESTAMP, "1970-01-01 00:00:00"},
        {I(1700000000), SP_T_TIMESTAMP, "2023-11-14 22:13:20"},
        {I(-1), SP_T_TIMESTAMP, "1969-12-31 23:59:59"},
        {D(1.5), SP_T_TIMESTAMP, "1970-01-01 00:00:01.5"},
        {D(NAN), SP_T_TIMESTAMP, "null"},
        {D(INFINITY), SP_T_TIMESTAMP, "null"},
        {TS("1969-12-31 23:59:59.5"), SP_T_BIGINT, "-1"},
        {TS("2023-11-14 22:13:20.9"), SP_T_BIGINT, "1700000000"},
        {TS("1970-01-01 00:00:01.5"), SP_T_DOUBLE, "1.5"},
        {IV("90 seconds"), SP_T_BIGINT, "90"},
        {IV("1.5 seconds"), SP_T_DOUBLE, "1.5"},
        {I(90), SP_T_INTERVAL, "INTERVAL '0 00:01:30' DAY TO SECOND"},
        {D(1.5), SP_T_INTERVAL, "INTERVAL '0 00:00:01.5' DAY TO SECOND"},
        {D(1.9), SP_T_BIGINT, "1"},
        {D(-1.9), SP_T_BIGINT, "-1"},
        {D(1e30), SP_T_BIGINT, "9223372036854775807"},
        {D(NAN), SP_T_BIGINT, "0"},
        {I(3), SP_T_DOUBLE, "3.0"},
        {I(0), SP_T_BOOL, "false"},
        {I(-2), SP_T_BOOL, "true"},
        {D(0.0), SP_T_BOOL, "false"},
        {B(true), SP_T_BIGINT, "1"},
        {B(false), SP_T_DOUBLE, "0.0"},
        {B(true), SP_T_VARCHAR, "true"},
        {I(-42), SP_T_VARCHAR, "-42"},
        {I(INT64_MIN), SP_T_VARCHAR, "-9223372036854775808"},
        {D(1e7), SP_T_VARCHAR, "1.0E7"},
        {D(0.1), SP_T_VARCHAR, "0.1"},
        {TS("2024-01-31 10:00:00.123"), SP_T_VARCHAR,
         "2024-01-31 10:00:00.123"},
        {IV("10 seconds"), SP_T_VARCHAR, "INTERVAL '0 00:00:10' DAY TO SECOND"},
        {NUL(SP_T_BIGINT), SP_T_VARCHAR, "null"},
        {N, SP_T_TIMESTAMP, "null"},
    };
    sp_err err;
    sp_err_clear(&err);
    for (size_t i = 0; i < SP_ARRAY_LEN(cases); i++) {
        /* Folded path. */
        sp_expr *c = sp_expr_const(A, &cases[i].v);
        sp_expr *e = sp_expr_cast(A, c, cases[i].to, &err);
        if (!e) TEST_FAIL_("case %zu: %s", i, err.msg);
        ASSERT(e->kind == SP_E_CONST && e->type == cases[i].to);
        const char *got = fmt(&e->val);
        if (strcmp(got, cases[i].want) != 0)
            TEST_FAIL_("case %zu (to %s): folded '%s', want '%s'", i,
                       sp_type_name(cases[i].to), got, cases[i].want);
        /* Vector path: the value in row 2 of a column, row 1 poisoned. */
        sp_type vt = cases[i].v.type;
        sp_vec col;
        sp_vec_alloc(&col, vt, 3, true, A);
        col.nulls[1] = 1;
        if (vt == SP_T_VARCHAR) col.d.str[1] = sp_str_make((const char *)8, 4);
        if (cases[i].v.is_null || vt == SP_T_NULL)
            col.nulls[2] = 1;
        else if (vt == SP_T_VARCHAR)
            col.d.str[2] = cases[i].v.v.s;
        else if (vt == SP_T_BOOL)
            col.d.b[2] = cases[i].v.v.b;
        else if (vt == SP_T_DOUBLE)
            col.d.f64[2] = cases[i].v.v.d;
        else
            col.d.i64[2] = cases[i].v.v.i;
        uint32_t sel[] = {1, 2};
        sp_batch b = {.n_rows = 3,
                      .n_cols = 1,
                      .cols = &col,
                      .sel = sel,
                      .n_sel = 2,
                      .arena = A};
        e = sp_expr_cast(A, sp_expr_col(A, 0, vt), cases[i].to, &err);
        sp_vec out;
        ASSERT_OK(sp_expr_eval(e, &b, A, &out, &err), &err);
        sp_value v;
        sp_vec_get(&out, 2, &v);
        got = fmt(&v);
        if (strcmp(got, cases[i].want) != 0)
            TEST_FAIL_("case %zu (to %s): vector '%s', want '%s'", i,
                       sp_type_name(cases[i].to), got, cases[i].want);
        sp_vec_get(&out, 1, &v);
        ASSERT(v.is_null);
    }
    /* Casts that are not allowed. */
    sp_value bv = B(true);
    ASSERT(!sp_expr_cast(A, sp_expr_const(A, &bv), SP_T_TIMESTAMP, &err));
    ASSERT_EQ_STR(err.msg, "cannot cast BOOLEAN to TIMESTAMP");
    sp_err_clear(&err);
    sp_value tv = TS("2024-01-01");
    ASSERT(!sp_expr_cast(A, sp_expr_const(A, &tv), SP_T_INTERVAL, &err));
    teardown();
}

TEST(string_functions)
{
    setup();
    CK("abc", "lower", S("AbC"));
    CK("abc", "lower", S("abc"));
    CK("ÉTÉ ΑΒΓ ПРИВЕТ", "upper", S("été αβγ привет"));
    CK("été αβγ привет", "lower", S("ÉTÉ ΑΒΓ ПРИВЕТ"));
    CK("ABC1", "upper", S("abc1"));
    CK("true", "lower", B(true)); /* anything casts to VARCHAR */
    CK("123", "upper", I(123));   /* implicit cast to VARCHAR */
    CKT("3", "BIGINT", "length", S("abc"));
    CK("5", "length", S("héllo"));
    CK("0", "length", S(""));
    CK("6", "octet_length", S("héllo"));
    CK("null", "length", NUL(SP_T_VARCHAR));
    /* substring: Spark's rules. */
    CK("park SQL", "substring", S("Spark SQL"), I(2));
    CK("par", "substring", S("Spark SQL"), I(2), I(3));
    CK("SQL", "substring", S("Spark SQL"), I(-3));
    CK("SQ", "substring", S("Spark SQL"), I(-3), I(2));
    CK("Sp", "substring", S("Spark SQL"), I(0), I(2));
    CK("", "substring", S("Spark SQL"), I(20));
    CK("", "substring", S("Spark SQL"), I(2), I(-1));
    CK("S", "substring", S("Spark SQL"), I(-20), I(12));
    CK("él", "substr", S("héllo"), I(2), I(2));
    CK("null", "substr", S("x"), NUL(SP_T_BIGINT));
    CK("abc", "concat", S("a"), S("b"), S("c"));
    CK("a1", "concat", S("a"), I(1));
    CK("null", "concat", S("a"), NUL(SP_T_VARCHAR));
    CK("ab", "||", S("a"), S("b"));
    CK("a-c", "concat_ws", S("-"), S("a"), NUL(SP_T_VARCHAR), S("c"));
    CK("", "concat_ws", S("-"));
    CK("null", "concat_ws", NUL(SP_T_VARCHAR), S("a"));
    CK("a b", "trim", S("  a b  "));
    CK("a b  ", "ltrim", S("  a b  "));
    CK("  a b", "rtrim", S("  a b  "));
    CK("\ta\t", "trim", S("\ta\t"));
    CK("xbcxbc", "replace", S("abcabc"), S("a"), S("x"));
    CK("bcbc", "replace", S("abcabc"), S("a"));
    CK("abc", "replace", S("abc"), S(""), S("x"));
    CK("a--b", "replace", S("a.b"), S("."), S("--"));
    CK("b", "split_part", S("a,b,c"), S(","), I(2));
    CK("c", "split_part", S("a,b,c"), S(","), I(-1));
    CK("a", "split_part", S("a,b,c"), S(","), I(-3));
    CK("", "split_part", S("a,b,c"), S(","), I(4));
    CK("", "split_part", S("a,b,c"), S(","), I(-4));
    CK("a,b,c", "split_part", S("a,b,c"), S(""), I(1));
    CK("null", "split_part", S("a,b,c"), S(","), I(0));
    CK("22", "split_part", S("11::22::33"), S("::"), I(2));
    CK("true", "startswith", S("spark"), S("sp"));
    CK("false", "startswith", S("spark"), S("k"));
    CK("true", "endswith", S("spark"), S("rk"));
    CK("true", "contains", S("spark"), S("par"));
    CK("false", "contains", S("spark"), S("x"));
    CK("3", "instr", S("héllo"), S("l"));
    CK("0", "instr", S("hello"), S("z"));
    CK("ERR: function substring() expects BIGINT for argument 2, got BOOLEAN",
       "substring", S("abc"), B(true));
    teardown();
}

TEST(like_patterns)
{
    setup();
    struct {
        const char *s, *p;
        bool want;
    } cases[] = {
        {"abc", "abc", true},
        {"abc", "ab", false},
        {"abc", "a%", true},
        {"abc", "b%", false},
        {"abc", "%c", true},
        {"abc", "%b", false},
        {"abc", "%b%", true},
        {"abc", "%x%", false},
        {"abc", "%", true},
        {"", "%", true},
        {"", "", true},
        {"a", "", false},
        {"abc", "a_c", true},
        {"abc", "a_", false},
        {"abc", "___", true},
        {"héllo", "h_llo", true},
        {"abcbc", "a%bc", true},
        {"abcbd", "a%bc", false},
        {"a%c", "a\\%c", true},
        {"abc", "a\\%c", false},
        {"a_c", "a\\_c", true},
        {"abc", "a\\_c", false},
        {"mississippi", "%iss%ipp%", true},
        {"mississippi", "m%s%s%s%i", true},
        {"mississippi", "m%s%s%s%s%s%i", false},
        {"xyz", "%%z", true},
        {"ab", "a%%%b", true},
    };
    for (size_t i = 0; i < SP_ARRAY_LEN(cases); i++)
        check_fn((int)i, cases[i].want ? "true" : "false", "like",
                 ARGS(S(cases[i].s), S(cases[i].p)), 2, "BOOLEAN");
    CK("true", "ilike", S("ABC"), S("a%"));
    CK("true", "ilike", S("xAbCx"), S("%abc%"));
    CK("true", "ilike", S("ABC"), S("a_c"));
    CK("false", "like", S("ABC"), S("a%"));
    CK("null", "like", NUL(SP_T_VARCHAR), S("a%"));
    CKC("ERR: bad LIKE pattern", "like", S("a"), S("a\\"));
    teardown();
}

TEST(regex_functions)
{
    setup();
    CK("true", "rlike", S("spark sql"), S("s[a-z]+k s"));
    CK("true", "rlike", S("abc123"), S("\\d+$"));
    CK("false", "rlike", S("abc"), S("^b"));
    CK("true", "regexp_like", S("abc"), S("b"));
    CK("100", "regexp_extract", S("100-200"), S("(\\d+)-(\\d+)"), I(1));
    CK("200", "regexp_extract", S("100-200"), S("(\\d+)-(\\d+)"), I(2));
    CK("100-200", "regexp_extract", S("x100-200y"), S("(\\d+)-(\\d+)"), I(0));
    CK("100", "regexp_extract", S("100-200"), S("([0-9]+)"));
    CK("", "regexp_extract", S("abc"), S("(\\d+)"), I(1));
    CK("", "regexp_extract", S("ab"), S("a(x)?b"), I(1));
    CKC("ERR: regexp_extract() group index 3", "regexp_extract", S("a"),
        S("(a)"), I(3));
    CK("num-num", "regexp_replace", S("100-200"), S("[0-9]+"), S("num"));
    CK("200-100", "regexp_replace", S("100-200"), S("([0-9]+)-([0-9]+)"),
       S("$2-$1"));
    CK("$x", "regexp_replace", S("a"), S("a"), S("\\$x"));
    CK("-a-b-", "regexp_replace", S("ab"), S("x*"), S("-"));
    CK("abc", "regexp_replace", S("abc"), S("z"), S("y"));
    CKC("ERR: bad regular expression", "rlike", S("a"), S("(a"));
    CK("null", "rlike", NUL(SP_T_VARCHAR), S("a"));
    teardown();
}

TEST(math_functions)
{
    setup();
    CKT("5", "BIGINT", "abs", I(-5));
    CK("2.5", "abs", D(-2.5));
    CK("INTERVAL '0 00:00:05' DAY TO SECOND", "abs", IV("-5 seconds"));
    CKT("3.0", "DOUBLE", "round", D(2.5));
    CK("-3.0", "round", D(-2.5));
    CK("2.68", "round", D(2.675), I(2)); /* decimal text, HALF_UP */
    CK("1.01", "round", D(1.005), I(2));
    CK("0.1", "round", D(0.05), I(1));
    CK("1200.0", "round", D(1234.5), I(-2));
    CK("123.456", "round", D(123.456), I(5));
    CK("NaN", "round", D(NAN), I(1));
    CKT("15", "BIGINT", "round", I(15));
    CK("20", "round", I(15), I(-1));
    CK("-20", "round", I(-15), I(-1));
    CK("1000", "round", I(1234), I(-3));
    CKT("2", "BIGINT", "floor", D(2.7));
    CK("-3", "floor", D(-2.1));
    CKT("3", "BIGINT", "ceil", D(2.1));
    CK("-2", "ceiling", D(-2.7));
    CK("7", "floor", I(7));
    CK("0", "floor", D(NAN));
    CK("9223372036854775807", "ceil", D(1e300));
    CK("3.0", "sqrt", I(9));
    CK("NaN", "sqrt", D(-1));
    CK("1024.0", "pow", I(2), I(10));
    CK("8.0", "power", D(2), D(3));
    CK("1.0", "ln", D(M_E));
    CK("null", "ln", D(0));
    CK("null", "log10", D(-1));
    CK("3.0", "log10", I(1000));
    CK("4.0", "log2", I(16));
    CK("1.0", "exp", I(0));
    CK("-1.0", "sign", D(-3));
    CK("0.0", "signum", I(0));
    CK("ERR", "abs", B(true));
    CK("ERR", "sqrt", TS("2024-01-01"));
    CK("3", "greatest", I(1), I(3), I(2));
    CK("1", "least", I(1), I(3), I(2));
    CK("3.5", "greatest", I(1), D(3.5));
    CK("2", "greatest", NUL(SP_T_BIGINT), I(2));
    CK("null", "greatest", NUL(SP_T_BIGINT), NUL(SP_T_BIGINT));
    CK("b", "greatest", S("a"), S("b"));
    CK("2024-01-02 00:00:00", "greatest", TS("2024-01-01"), TS("2024-01-02"));
    CK("ERR", "greatest", S("a"), I(1));
    teardown();
}

TEST(datetime_functions)
{
    setup();
    CKT("2024-01-31 10:00:00", "TIMESTAMP", "to_timestamp",
        S("2024-01-31 10:00:00"));
    CK("null", "to_timestamp", S("garbage"));
    CK("2024-01-31 10:00:00", "to_timestamp", S("31/01/2024 10:00"),
       S("dd/MM/yyyy HH:mm"));
    CK("2024-01-31 10:00:00.123", "to_timestamp", S("20240131 100000.123"),
       S("yyyyMMdd HHmmss.SSS"));
    CK("2024-01-31 10:00:00.1", "to_timestamp", S("2024-01-31 10:00:00.1"),
       S("yyyy-MM-dd HH:mm:ss.SSS"));
    CK("2024-01-31 22:05:00", "to_timestamp", S("Jan 31 2024 10:05 PM"),
       S("MMM dd yyyy hh:mm a"));
    CK("2024-01-31 10:00:00", "to_timestamp", S("2024-01-31T10:00:00Z"),
       S("yyyy-MM-dd'T'HH:mm:ssX"));
    CK("2024-01-31 09:00:00", "to_timestamp", S("2024-01-31 10:00 +01:00"),
       S("yyyy-MM-dd HH:mm XXX"));
    CK("null", "to_timestamp", S("2024-1-31"), S("yyyy-MM-dd"));
    CK("null", "to_timestamp", S("2024-02-30"), S("yyyy-MM-dd"));
    CK("null", "to_timestamp", S("2024-01-31 extra"), S("yyyy-MM-dd"));
    CKC("ERR: bad datetime pattern", "to_timestamp", S("x"), S("yyyy-QQ"));
    CK("2024-01-31 00:00:00", "to_date", S("2024-01-31 10:00:00"));
    CK("2024-01-31 00:00:00", "to_date", S("31.01.2024"), S("dd.MM.yyyy"));
    CK("2024-01-31 00:00:00", "to_date", TS("2024-01-31 10:00:00"));
    CK("1970-01-01 00:00:01.5", "timestamp_seconds", D(1.5));
    CKT("2023-11-14 22:13:20", "TIMESTAMP", "timestamp_seconds", I(1700000000));
    CK("1969-12-31 23:59:59", "timestamp_seconds", I(-1));
    CK("null", "timestamp_seconds", I(INT64_MAX));
    CK("1970-01-01 00:00:01.5", "timestamp_millis", I(1500));
    CK("1970-01-01 00:00:00.000001", "timestamp_micros", I(1));
    CKT("1700000000", "BIGINT", "unix_timestamp", TS("2023-11-14 22:13:20"));
    CK("1700000000", "unix_timestamp", S("2023-11-14 22:13:20"));
    CK("1700000000", "unix_timestamp", S("2023/11/14 22:13:20"),
       S("yyyy/MM/dd HH:mm:ss"));
    CK("null", "unix_timestamp", S("junk"));
    CK("-1", "unix_timestamp", TS("1969-12-31 23:59:59.5"));
    CK("-1", "unix_seconds", TS("1969-12-31 23:59:59.5"));
    CK("-500", "unix_millis", TS("1969-12-31 23:59:59.5"));
    CK("1500000", "unix_micros", TS("1970-01-01 00:00:01.5"));
    CKT("2023-11-14 22:13:20", "VARCHAR", "from_unixtime", I(1700000000));
    CK("2023/11/14", "from_unixtime", I(1700000000), S("yyyy/MM/dd"));
    CK("2024-01-31T10:05:06.789", "date_format", TS("2024-01-31 10:05:06.789"),
       S("yyyy-MM-dd'T'HH:mm:ss.SSS"));
    CK("Wed, 31 Jan 24 10:05 AM", "date_format", TS("2024-01-31 10:05:06"),
       S("EEE, d MMM yy hh:mm a"));
    CK("Wednesday January 031 12 o'clock", "date_format",
       TS("2024-01-31 00:00:00"), S("EEEE MMMM DDD hh 'o''clock'"));
    CK("2024-01-31 10:05:06", "date_format", S("2024-01-31 10:05:06"),
       S("yyyy-MM-dd HH:mm:ss"));
    const char *ts = "2024-05-17 13:45:56.789123";
    CK("2024-01-01 00:00:00", "date_trunc", S("year"), TS(ts));
    CK("2024-04-01 00:00:00", "date_trunc", S("QUARTER"), TS(ts));
    CK("2024-05-01 00:00:00", "date_trunc", S("month"), TS(ts));
    CK("2024-05-13 00:00:00", "date_trunc", S("week"), TS(ts));
    CK("2024-05-17 00:00:00", "date_trunc", S("day"), TS(ts));
    CK("2024-05-17 13:00:00", "date_trunc", S("hour"), TS(ts));
    CK("2024-05-17 13:45:00", "date_trunc", S("minute"), TS(ts));
    CK("2024-05-17 13:45:56", "date_trunc", S("second"), TS(ts));
    CK("2024-05-17 13:45:56.789", "date_trunc", S("millisecond"), TS(ts));
    CK("1969-12-31 23:00:00", "date_trunc", S("hour"),
       TS("1969-12-31 23:59:59"));
    CKC("ERR: date_trunc() unit", "date_trunc", S("fortnight"), TS(ts));
    CKT("2024", "BIGINT", "year", TS(ts));
    CK("2", "quarter", TS(ts));
    CK("5", "month", TS(ts));
    CK("17", "day", TS(ts));
    CK("17", "dayofmonth", TS(ts));
    CK("6", "dayofweek", TS(ts)); /* Friday */
    CK("4", "weekday", TS(ts));
    CK("138", "dayofyear", TS(ts));
    CK("13", "hour", TS(ts));
    CK("45", "minute", TS(ts));
    CK("56", "second", TS(ts));
    CK("23", "hour", TS("1969-12-31 23:59:59"));
    CK("59", "second", TS("1969-12-31 23:59:59.5"));
    CK("1969", "year", TS("1969-12-31 23:59:59"));
    CK("null", "year", NUL(SP_T_TIMESTAMP));
    teardown();
}

TEST(filter_and_sel)
{
    setup();
    sp_err err;
    sp_err_clear(&err);
    sp_batch b = int_batch(20);
    sp_expr *x = sp_expr_col(A, 0, SP_T_BIGINT);
    const sp_func *gt = sp_func_lookup(">", 1), *lt = sp_func_lookup("<", 1);
    const sp_func *md = sp_func_lookup("%", 1), *eq = sp_func_lookup("=", 1);
    sp_expr *a1[] = {x, kint(3)}, *a2[] = {x, kint(17)};
    sp_expr *p1 = sp_expr_call(A, gt, a1, 2, &err);
    sp_expr *p2 = sp_expr_call(A, lt, a2, 2, &err);
    sp_expr *m[] = {x, kint(2)};
    sp_expr *a3[] = {sp_expr_call(A, md, m, 2, &err), kint(0)};
    sp_expr *p3 = sp_expr_call(A, eq, a3, 2, &err);
    sp_expr *pred = sp_expr_logic(
        A, SP_E_AND, sp_expr_logic(A, SP_E_AND, p1, p2, &err), p3, &err);
    ASSERT(pred);
    ASSERT_OK(sp_expr_filter(pred, &b, A, &err), &err);
    /* 4..16 even, minus NULLs at 5, 10, 15 */
    uint32_t want1[] = {4, 6, 8, 12, 14, 16};
    ASSERT_EQ_INT(b.n_sel, SP_ARRAY_LEN(want1));
    for (uint32_t k = 0; k < b.n_sel; k++) ASSERT_EQ_INT(b.sel[k], want1[k]);
    /* Filtering again narrows the existing selection. */
    sp_expr *a4[] = {x, kint(10)};
    ASSERT_OK(sp_expr_filter(sp_expr_call(A, gt, a4, 2, &err), &b, A, &err),
              &err);
    ASSERT_EQ_INT(b.n_sel, 3);
    ASSERT_EQ_INT(b.sel[0], 12);
    ASSERT_EQ_INT(b.sel[2], 16);
    /* OR, NULL-producing predicates and constants. */
    b.sel = NULL;
    sp_expr * or = sp_expr_logic(A, SP_E_OR, p1, p3, &err);
    ASSERT_OK(sp_expr_filter(or, &b, A, &err), &err);
    ASSERT_EQ_INT(b.n_sel, 15); /* 0,2 + 4..19 minus 5,10,15 */
    sp_value t = B(true), f = B(false);
    b.sel = NULL;
    ASSERT_OK(sp_expr_filter(sp_expr_const(A, &t), &b, A, &err), &err);
    ASSERT_EQ_INT(b.n_sel, 20);
    ASSERT_OK(sp_expr_filter(sp_expr_const(A, &f), &b, A, &err), &err);
    ASSERT_EQ_INT(b.n_sel, 0);
    /* LIKE filter on strings with NULL (poisoned) rows. */
    b.sel = NULL;
    const sp_func *like = sp_func_lookup("like", 4);
    sp_expr *la[] = {sp_expr_col(A, 1, SP_T_VARCHAR), kstr("s1%")};
    ASSERT_OK(sp_expr_filter(sp_expr_call(A, like, la, 2, &err), &b, A, &err),
              &err);
    ASSERT_EQ_INT(b.n_sel, 9); /* s1, s11..s19 but s10, s15 are NULL */
    sp_expr *ea[] = {sp_expr_col(A, 1, SP_T_VARCHAR), kstr("s7")};
    b.sel = NULL;
    ASSERT_OK(sp_expr_filter(sp_expr_call(A, eq, ea, 2, &err), &b, A, &err),
              &err);
    ASSERT_EQ_INT(b.n_sel, 1);
    ASSERT_EQ_INT(b.sel[0], 7);
    teardown();
}

TEST(column_passthrough_and_const)
{
    setup();
    sp_err err;
    sp_err_clear(&err);
    sp_batch b = int_batch(4);
    sp_vec out;
    ASSERT_OK(sp_expr_eval(sp_expr_col(A, 0, SP_T_BIGINT), &b, A, &out, &err),
              &err);
    ASSERT(out.d.i64 == b.cols[0].d.i64); /* no copy */
    ASSERT(sp_expr_eval(sp_expr_col(A, 5, SP_T_BIGINT), &b, A, &out, &err) ==
           SP_EINTERNAL);
    sp_err_clear(&err);
    /* Constant folding through nested calls. */
    const sp_func *plus = sp_func_lookup("+", 1), *mul = sp_func_lookup("*", 1);
    sp_expr *a1[] = {kint(2), kint(3)};
    sp_expr *a2[] = {sp_expr_call(A, plus, a1, 2, &err), kint(4)};
    sp_expr *e = sp_expr_call(A, mul, a2, 2, &err);
    ASSERT(e->kind == SP_E_CONST && e->val.v.i == 20);
    ASSERT(sp_expr_is_const(e));
    sp_value v;
    ASSERT_OK(sp_expr_eval_const(e, A, &v, &err), &err);
    ASSERT_EQ_INT(v.v.i, 20);
    /* Strict call with a NULL constant folds to NULL of the result type. */
    sp_expr *a3[] = {sp_expr_col(A, 0, SP_T_BIGINT), knull()};
    e = sp_expr_call(A, plus, a3, 2, &err);
    ASSERT(e->kind == SP_E_CONST && e->val.is_null && e->type == SP_T_BIGINT);
    /* Arity errors. */
    const sp_func *lower = sp_func_lookup("LOWER", 5);
    ASSERT(lower);
    ASSERT(!sp_expr_call(A, lower, a1, 2, &err));
    ASSERT_EQ_STR(err.msg, "function lower() takes 1 argument, got 2");
    ASSERT(!sp_func_lookup("nope", 4));
    ASSERT(sp_func_lookup("!=", 2) == sp_func_lookup("<>", 2));
    int count = 0;
    while (sp_func_at(count)) count++;
    ASSERT(count > 60);
    teardown();
}

TEST(to_string)
{
    setup();
    sp_err err;
    sp_err_clear(&err);
    sp_field fields[] = {{"x", SP_T_BIGINT}, {"s", SP_T_VARCHAR}};
    sp_schema sc = {2, fields};
    sp_expr *x = sp_expr_col(A, 0, SP_T_BIGINT);
    sp_expr *s = sp_expr_col(A, 1, SP_T_VARCHAR);
    const sp_func *plus = sp_func_lookup("+", 1),
                  *lower = sp_func_lookup("lower", 5);
    const sp_func *like = sp_func_lookup("like", 4),
                  *neg = sp_func_lookup("neg", 3);
    sp_expr *a1[] = {x, kint(1)}, *a2[] = {s}, *a3[] = {s, kstr("a'%")};
    sp_expr *a4[] = {x};
    sp_expr *parts[] = {sp_expr_call(A, plus, a1, 2, &err),
                        sp_expr_call(A, lower, a2, 1, &err),
                        sp_expr_call(A, like, a3, 2, &err),
                        sp_expr_cast(A, x, SP_T_VARCHAR, &err),
                        sp_expr_call(A, neg, a4, 1, &err)};
    const char *want[] = {"(x + 1)", "lower(s)", "(s LIKE 'a\\'%')",
                          "CAST(x AS VARCHAR)", "(- x)"};
    for (size_t i = 0; i < SP_ARRAY_LEN(parts); i++) {
        sp_buf b;
        sp_buf_init(&b);
        sp_expr_to_string(parts[i], &sc, &b);
        ASSERT_EQ_MEM(b.data, b.len, want[i]);
        sp_buf_free(&b);
    }
    sp_expr *l[] = {kint(1), knull()};
    sp_expr *in = sp_expr_in(A, x, l, 2, true, &err);
    sp_buf b;
    sp_buf_init(&b);
    sp_expr_to_string(in, NULL, &b);
    ASSERT_EQ_MEM(b.data, b.len, "(#0 NOT IN (1, NULL))");
    sp_buf_free(&b);
    teardown();
}

int main(int argc, char **argv)
{
    return test_main(argc, argv,
                     (test_case[]){TEST_CASE(arithmetic),
                                   TEST_CASE(datetime_arithmetic),
                                   TEST_CASE(comparisons),
                                   TEST_CASE(const_fast_paths),
                                   TEST_CASE(string_eq_const),
                                   TEST_CASE(three_valued_logic),
                                   TEST_CASE(in_lists),
                                   TEST_CASE(case_and_coalesce),
                                   TEST_CASE(casts),
                                   TEST_CASE(string_functions),
                                   TEST_CASE(like_patterns),
                                   TEST_CASE(regex_functions),
                                   TEST_CASE(math_functions),
                                   TEST_CASE(datetime_functions),
                                   TEST_CASE(filter_and_sel),
                                   TEST_CASE(column_passthrough_and_const),
                                   TEST_CASE(to_string),
                                   {0}});
}
