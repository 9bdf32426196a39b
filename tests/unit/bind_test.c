/*
 * bind_test.c -- the expression binder (src/sql/bind.c): SQL text parsed
 * with sp_sql_parse_expr, bound against a schema, evaluated over a small
 * batch; and the binder's errors: messages, hints and positions.
 */
#include "sql/bind.h"
#include "test.h"

static sp_arena *A;

/* Schema: a BIGINT, s VARCHAR, ts TIMESTAMP, d DOUBLE, flag BOOLEAN,
 * "window.start" TIMESTAMP. Rows (row 2 all NULL, not selected by
 * default in the selection {0, 1, 3}... see batch()). */
static sp_field k_fields[] = {
    {"a", SP_T_BIGINT},        {"s", SP_T_VARCHAR},
    {"ts", SP_T_TIMESTAMP},    {"d", SP_T_DOUBLE},
    {"flag", SP_T_BOOL},       {"window.start", SP_T_TIMESTAMP},
    {"user_id", SP_T_VARCHAR},
};
static sp_schema k_schema = {SP_ARRAY_LEN(k_fields), k_fields};

/* 4 rows; row 2 is NULL everywhere. */
static sp_batch batch(void)
{
    sp_vec *c = sp_arena_zalloc(A, sizeof(sp_vec) * k_schema.n_fields);
    for (uint32_t j = 0; j < k_schema.n_fields; j++) {
        sp_vec_alloc(&c[j], k_fields[j].type, 4, true, A);
        c[j].nulls[2] = 1;
    }
    int64_t a[] = {1, 5, 0, -3};
    const char *s[] = {"apple", "Banana", NULL, "cherry pie"};
    const char *ts[] = {"2024-01-01 10:00:00", "2024-01-01 11:30:00", NULL,
                        "2023-12-31 23:59:59"};
    double d[] = {1.5, -2.25, 0, 1e7};
    bool flag[] = {true, false, false, true};
    for (int r = 0; r < 4; r++) {
        if (r == 2) {
            c[1].d.str[r] = sp_str_make((const char *)8, 3); /* poison */
            c[6].d.str[r] = sp_str_make((const char *)8, 3);
            continue;
        }
        c[0].d.i64[r] = a[r];
        c[1].d.str[r] = sp_str_make(s[r], strlen(s[r]));
        sp_ts_parse(ts[r], strlen(ts[r]), &c[2].d.i64[r]);
        c[3].d.f64[r] = d[r];
        c[4].d.b[r] = flag[r];
        c[5].d.i64[r] = c[2].d.i64[r];
        c[6].d.str[r] = sp_str_make(s[r], 1);
    }
    return (sp_batch){
        .n_rows = 4, .n_cols = k_schema.n_fields, .cols = c, .arena = A};
}

static sp_scope scope(bool aggs)
{
    return (sp_scope){.schema = &k_schema,
                      .qualifier = "clicks",
                      .file = "q.sql",
                      .allow_aggregates = aggs};
}

static sp_expr *bind_text(const char *sql, sp_err *err, bool aggs)
{
    sp_ast_expr *ast = NULL;
    sp_err_clear(err);
    int rc = sp_sql_parse_expr(sql, strlen(sql), A, &ast, err);
    if (rc != 0) TEST_FAIL_("parse '%s': %s", sql, err->msg);
    sp_scope sc = scope(aggs);
    return sp_bind_expr(ast, &sc, A, err);
}

/* Binds and evaluates; returns "v0,v1,v2,v3" with N for NULL. */
static const char *run(const char *sql)
{
    sp_err err;
    sp_expr *e = bind_text(sql, &err, false);
    if (!e) TEST_FAIL_("bind '%s': %s (hint: %s)", sql, err.msg, err.hint);
    sp_batch b = batch();
    sp_vec v;
    if (sp_expr_eval(e, &b, A, &v, &err) != 0)
        TEST_FAIL_("eval '%s': %s", sql, err.msg);
    sp_buf out;
    sp_buf_init(&out);
    for (uint32_t r = 0; r < 4; r++) {
        sp_value x;
        sp_vec_get(&v, r, &x);
        if (r) sp_buf_putc(&out, ',');
        if (x.is_null)
            sp_buf_putc(&out, 'N');
        else
            sp_value_format(&x, &out);
    }
    char *s = sp_arena_strndup(A, out.data, out.len);
    sp_buf_free(&out);
    return s;
}

/* Binds, filters the batch, returns the selected row numbers "0,3". */
static const char *where(const char *sql)
{
    sp_err err;
    sp_expr *e = bind_text(sql, &err, false);
    if (!e) TEST_FAIL_("bind '%s': %s", sql, err.msg);
    sp_batch b = batch();
    ASSERT_OK(sp_expr_filter(e, &b, A, &err), &err);
    sp_buf out;
    sp_buf_init(&out);
    for (uint32_t k = 0; k < b.n_sel; k++)
        sp_buf_printf(&out, "%s%u", k ? "," : "", b.sel[k]);
    char *s = sp_arena_strndup(A, out.data ? out.data : "", out.len);
    sp_buf_free(&out);
    return s;
}

/* Expects a bind error; returns it. */
static sp_err bind_err(const char *sql, bool aggs)
{
    sp_err err;
    sp_expr *e = bind_text(sql, &err, aggs);
    if (e) TEST_FAIL_("'%s' bound without error", sql);
    return err;
}

#define SETUP()    A = sp_arena_create(1 << 16)
#define TEARDOWN() sp_arena_destroy(A)

TEST(columns_and_literals)
{
    SETUP();
    ASSERT_EQ_STR(run("a"), "1,5,N,-3");
    ASSERT_EQ_STR(run("A"), "1,5,N,-3");
    ASSERT_EQ_STR(run("clicks.a"), "1,5,N,-3");
    ASSERT_EQ_STR(run("CLICKS.A + 1"), "2,6,N,-2");
    ASSERT_EQ_STR(run("window.start"), run("ts"));
    ASSERT_EQ_STR(run("42"), "42,42,42,42");
    ASSERT_EQ_STR(run("'x'"), "x,x,x,x");
    ASSERT_EQ_STR(run("NULL"), "N,N,N,N");
    ASSERT_EQ_STR(run("1.5"), "1.5,1.5,1.5,1.5");
    ASSERT_EQ_STR(run("TRUE"), "true,true,true,true");
    ASSERT_EQ_STR(run("-a"), "-1,-5,N,3");
    ASSERT_EQ_STR(run("+d"), "1.5,-2.25,N,1.0E7");
    TEARDOWN();
}

TEST(operators)
{
    SETUP();
    ASSERT_EQ_STR(run("a * 2 + 1"), "3,11,N,-5");
    ASSERT_EQ_STR(run("a / 2"), "0.5,2.5,N,-1.5");
    ASSERT_EQ_STR(run("a / 0"), "N,N,N,N");
    ASSERT_EQ_STR(run("a % 2"), "1,1,N,-1");
    ASSERT_EQ_STR(run("a + d"), "2.5,2.75,N,9999997.0");
    ASSERT_EQ_STR(run("s || '!'"), "apple!,Banana!,N,cherry pie!");
    ASSERT_EQ_STR(run("a > 1"), "false,true,N,false");
    ASSERT_EQ_STR(run("a != 1"), "false,true,N,true");
    ASSERT_EQ_STR(run("a <> 1 AND flag"), "false,false,N,true");
    ASSERT_EQ_STR(run("a > 100 OR flag"), "true,false,N,true");
    ASSERT_EQ_STR(run("NOT flag"), "false,true,N,false");
    ASSERT_EQ_STR(run("ts > '2024-01-01'"), "true,true,N,false");
    ASSERT_EQ_STR(run("ts + INTERVAL '1' HOUR"),
                  "2024-01-01 11:00:00,2024-01-01 12:30:00,N,"
                  "2024-01-01 00:59:59");
    ASSERT_EQ_STR(run("ts - TIMESTAMP '2024-01-01 00:00:00'"),
                  "INTERVAL '0 10:00:00' DAY TO SECOND,"
                  "INTERVAL '0 11:30:00' DAY TO SECOND,N,"
                  "INTERVAL '-0 00:00:01' DAY TO SECOND");
    ASSERT_EQ_STR(run("a = '5'"), "false,true,N,false");
    TEARDOWN();
}

TEST(desugaring)
{
    SETUP();
    ASSERT_EQ_STR(run("a BETWEEN 0 AND 5"), "true,true,N,false");
    ASSERT_EQ_STR(run("a NOT BETWEEN 0 AND 5"), "false,false,N,true");
    ASSERT_EQ_STR(run("flag IS TRUE"), "true,false,false,true");
    ASSERT_EQ_STR(run("flag IS NOT TRUE"), "false,true,true,false");
    ASSERT_EQ_STR(run("flag IS FALSE"), "false,true,false,false");
    ASSERT_EQ_STR(run("flag IS NOT FALSE"), "true,false,true,true");
    ASSERT_EQ_STR(run("a IS NULL"), "false,false,true,false");
    ASSERT_EQ_STR(run("s IS NOT NULL"), "true,true,false,true");
    ASSERT_EQ_STR(run("a IN (1, 2, 3)"), "true,false,N,false");
    ASSERT_EQ_STR(run("a NOT IN (1, 2, 3)"), "false,true,N,true");
    ASSERT_EQ_STR(run("s LIKE '%an%'"), "false,true,N,false");
    ASSERT_EQ_STR(run("s NOT LIKE 'a%'"), "false,true,N,true");
    ASSERT_EQ_STR(run("s ILIKE 'b%'"), "false,true,N,false");
    ASSERT_EQ_STR(run("s RLIKE '^[a-c]'"), "true,false,N,true");
    ASSERT_EQ_STR(run("CASE a WHEN 1 THEN 'one' WHEN 5 THEN 'five' ELSE "
                      "'many' END"),
                  "one,five,many,many");
    ASSERT_EQ_STR(run("CASE WHEN a > 2 THEN a ELSE d END"), "1.5,5.0,N,1.0E7");
    ASSERT_EQ_STR(run("CASE WHEN a > 2 THEN 'big' END"), "N,big,N,N");
    ASSERT_EQ_STR(run("if(a > 2, 'big', 'small')"), "small,big,small,small");
    ASSERT_EQ_STR(run("nullif(a, 5)"), "1,N,N,-3");
    ASSERT_EQ_STR(run("coalesce(a, 99)"), "1,5,99,-3");
    ASSERT_EQ_STR(run("ifnull(s, 'none')"), "apple,Banana,none,cherry pie");
    ASSERT_EQ_STR(run("nvl(a, 0)"), "1,5,0,-3");
    ASSERT_EQ_STR(run("nvl2(a, 'y', 'n')"), "y,y,n,y");
    ASSERT_EQ_STR(run("CAST(a AS VARCHAR)"), "1,5,N,-3");
    ASSERT_EQ_STR(run("CAST(d AS BIGINT)"), "1,-2,N,10000000");
    ASSERT_EQ_STR(run("CAST('12' AS INT) + 1"), "13,13,13,13");
    ASSERT_EQ_STR(run("lower(s)"), "apple,banana,N,cherry pie");
    ASSERT_EQ_STR(run("UPPER(substr(s, 1, 3))"), "APP,BAN,N,CHE");
    ASSERT_EQ_STR(run("date_trunc('hour', ts)"),
                  "2024-01-01 10:00:00,2024-01-01 11:00:00,N,"
                  "2023-12-31 23:00:00");
    ASSERT_EQ_STR(run("hour(ts)"), "10,11,N,23");
    TEARDOWN();
}

TEST(filters)
{
    SETUP();
    ASSERT_EQ_STR(where("a > 0"), "0,1");
    ASSERT_EQ_STR(where("a > 0 AND s LIKE 'B%'"), "1");
    ASSERT_EQ_STR(where("a > 0 OR d > 100"), "0,1,3");
    ASSERT_EQ_STR(where("s IS NULL"), "2");
    ASSERT_EQ_STR(where("NOT (a > 0)"), "3");
    ASSERT_EQ_STR(where("ts >= TIMESTAMP '2024-01-01 10:00:00' AND "
                        "ts < '2024-01-01 11:00:00'"),
                  "0");
    TEARDOWN();
}

TEST(unknown_column)
{
    SETUP();
    sp_err e = bind_err("a + usr_id", false);
    ASSERT_EQ_INT(e.code, SP_EANALYSIS);
    ASSERT_EQ_STR(e.msg, "column \"usr_id\" does not exist");
    ASSERT_EQ_STR(e.hint, "did you mean \"user_id\"?");
    ASSERT_EQ_STR(e.file, "q.sql");
    ASSERT_EQ_INT(e.line, 1);
    ASSERT_EQ_INT(e.col, 5);
    e = bind_err("lower(zzzzz)", false);
    ASSERT_EQ_STR(e.msg, "column \"zzzzz\" does not exist");
    ASSERT(strstr(e.hint, "available columns: a, s, ts, d, flag") != NULL);
    ASSERT_EQ_INT(e.col, 7);
    e = bind_err("other.a", false);
    ASSERT_EQ_STR(e.msg, "relation \"other\" is not in scope");
    ASSERT(strstr(e.hint, "clicks") != NULL);
    e = bind_err("clicks.nope", false);
    ASSERT_EQ_STR(e.msg, "column \"nope\" does not exist");
    TEARDOWN();
}

TEST(function_errors)
{
    SETUP();
    sp_err e = bind_err("lowr(s)", false);
    ASSERT_EQ_STR(e.msg, "function lowr() does not exist");
    ASSERT_EQ_STR(e.hint, "did you mean lower()?");
    ASSERT_EQ_INT(e.col, 1);
    e = bind_err("a + substring(s, flag)", false);
    ASSERT_EQ_STR(e.msg, "function substring() expects BIGINT for argument "
                         "2, got BOOLEAN");
    ASSERT_EQ_INT(e.col, 18); /* the offending argument */
    ASSERT_EQ_INT(e.len, 4);
    e = bind_err("sqrt(ts)", false);
    ASSERT(strstr(e.msg, "sqrt()") && strstr(e.msg, "TIMESTAMP"));
    e = bind_err("lower(s, s)", false);
    ASSERT_EQ_STR(e.msg, "function lower() takes 1 argument, got 2");
    e = bind_err("a + ts", false);
    ASSERT_EQ_STR(e.msg, "operator + cannot be applied to BIGINT and "
                         "TIMESTAMP");
    e = bind_err("a = ts", false);
    ASSERT_EQ_STR(e.msg, "cannot compare BIGINT with TIMESTAMP");
    e = bind_err("a AND flag", false);
    ASSERT(strstr(e.msg, "AND expects BOOLEAN") != NULL);
    e = bind_err("CAST(flag AS TIMESTAMP)", false);
    ASSERT_EQ_STR(e.msg, "cannot cast BOOLEAN to TIMESTAMP");
    e = bind_err("s LIKE 'a\\\\'", false);
    ASSERT(strstr(e.msg, "LIKE") != NULL);
    e = bind_err("regexp_extract(s, '(a', 1)", false);
    ASSERT(strstr(e.msg, "bad regular expression") != NULL);
    e = bind_err("date_trunc('fortnight', ts)", false);
    ASSERT(strstr(e.msg, "fortnight") != NULL);
    ASSERT(strstr(e.hint, "week") != NULL);
    e = bind_err("CASE WHEN a > 1 THEN 'x' ELSE flag END", false);
    ASSERT(strstr(e.msg, "incompatible") != NULL);
    TEARDOWN();
}

TEST(aggregates_windows_clock)
{
    SETUP();
    sp_err e = bind_err("count(*)", false);
    ASSERT_EQ_INT(e.code, SP_EANALYSIS);
    ASSERT_EQ_STR(e.msg, "aggregate function count() needs a GROUP BY query");
    ASSERT(e.hint[0] != '\0');
    e = bind_err("a + SUM(a)", false);
    ASSERT_EQ_STR(e.msg, "aggregate function sum() needs a GROUP BY query");
    ASSERT_EQ_INT(e.col, 5);
    e = bind_err("max(a)", true);
    ASSERT_EQ_INT(e.code, SP_EUNSUPPORTED);
    e = bind_err("window(ts, '1 minute')", true);
    ASSERT_EQ_INT(e.code, SP_EUNSUPPORTED);
    ASSERT(strstr(e.msg, "window()") != NULL);
    e = bind_err("session_window(ts, '5 minutes')", false);
    ASSERT_EQ_INT(e.code, SP_EUNSUPPORTED);
    e = bind_err("current_timestamp()", false);
    ASSERT(strstr(e.msg, "wall clock") != NULL);
    e = bind_err("unix_timestamp()", false);
    ASSERT(strstr(e.msg, "wall clock") != NULL);
    e = bind_err("lower(DISTINCT s)", false);
    ASSERT(strstr(e.msg, "DISTINCT") != NULL);
    ASSERT(sp_bind_is_aggregate("COUNT"));
    ASSERT(sp_bind_is_aggregate("approx_count_distinct"));
    ASSERT(!sp_bind_is_aggregate("lower"));
    TEARDOWN();
}

int main(int argc, char **argv)
{
    return test_main(argc, argv,
                     (test_case[]){TEST_CASE(columns_and_literals),
                                   TEST_CASE(operators),
                                   TEST_CASE(desugaring),
                                   TEST_CASE(filters),
                                   TEST_CASE(unknown_column),
                                   TEST_CASE(function_errors),
                                   TEST_CASE(aggregates_windows_clock),
                                   {0}});
}
