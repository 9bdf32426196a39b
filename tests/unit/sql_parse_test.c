/*
 * sql_parse_test.c -- the SQL lexer and parser (src/sql/parser.c) and
 * sp_ast_expr_to_sql (src/sql/ast.c): every statement kind, precedence,
 * literal forms, Spark's non-reserved words, comments, the watermark
 * clause, error positions and messages, and a mutation loop that feeds
 * garbage to the parser (run under ASan).
 */
#include "test.h"

#include "sql/ast.h"

static sp_arena *arena(void)
{
    static sp_arena *a;
    if (!a) a = sp_arena_create(1 << 16);
    return a;
}

static sp_ast_script *parse_ok(const char *sql)
{
    sp_err err;
    sp_err_clear(&err);
    sp_ast_script *sc = NULL;
    int rc = sp_sql_parse(sql, strlen(sql), "t.sql", arena(), &sc, &err);
    if (rc != 0) {
        sp_err_print(&err, sql, strlen(sql), stderr);
        TEST_FAIL_("parse failed: %s\n  sql: %s", err.msg, sql);
    }
    ASSERT(sc != NULL);
    return sc;
}

/* Parses and returns the single statement. */
static sp_ast_stmt *stmt1(const char *sql)
{
    sp_ast_script *sc = parse_ok(sql);
    ASSERT_EQ_INT(sc->n_stmts, 1);
    return sc->stmts[0];
}

static const char *to_sql(const sp_ast_expr *e)
{
    sp_buf b;
    sp_buf_init(&b);
    ASSERT_EQ_INT(sp_ast_expr_to_sql(e, &b), 0);
    char *s = sp_arena_strndup(arena(), b.data ? b.data : "", b.len);
    sp_buf_free(&b);
    return s;
}

/* Parses one expression and returns its SQL text. */
static const char *expr_sql(const char *text)
{
    sp_err err;
    sp_err_clear(&err);
    sp_ast_expr *e = NULL;
    int rc = sp_sql_parse_expr(text, strlen(text), arena(), &e, &err);
    if (rc != 0) TEST_FAIL_("parse of '%s' failed: %s", text, err.msg);
    return to_sql(e);
}

static sp_ast_expr *expr(const char *text)
{
    sp_err err;
    sp_err_clear(&err);
    sp_ast_expr *e = NULL;
    ASSERT_OK(sp_sql_parse_expr(text, strlen(text), arena(), &e, &err), &err);
    return e;
}

#define ASSERT_EXPR(text, want) ASSERT_EQ_STR(expr_sql(text), want)

/* The query of a single CREATE SINK/VIEW statement. */
static sp_ast_select *query1(const char *sql)
{
    sp_ast_stmt *st = stmt1(sql);
    ASSERT(st->query != NULL);
    return st->query;
}

/* Expects a syntax error at line:col whose message contains `msg` and,
 * if `hint` is non-NULL, whose hint contains it. */
static void parse_err_(const char *sql, int line, int col, const char *msg,
                       const char *hint, int src_line)
{
    sp_err err;
    sp_err_clear(&err);
    sp_ast_script *sc = NULL;
    int rc = sp_sql_parse(sql, strlen(sql), "t.sql", arena(), &sc, &err);
    if (rc != SP_ESYNTAX || err.line != line || err.col != col ||
        !strstr(err.msg, msg) || (hint && !strstr(err.hint, hint))) {
        fprintf(stderr, "  (line %d) sql: %s\n  got rc=%d at %d:%d\n", src_line,
                sql, rc, err.line, err.col);
        sp_err_print(&err, sql, strlen(sql), stderr);
        TEST_FAIL_("want error at %d:%d containing \"%s\" (hint \"%s\")", line,
                   col, msg, hint ? hint : "");
    }
    ASSERT_EQ_STR(err.file, "t.sql");
    ASSERT(err.len >= 1);
}
#define PARSE_ERR(sql, line, col, msg, hint)                                   \
    parse_err_(sql, line, col, msg, hint, __LINE__)

/* ------------------------------------------------------------------------
 * Statements
 * ---------------------------------------------------------------------- */

TEST(create_source)
{
    sp_ast_stmt *st = stmt1(
        "CREATE SOURCE clicks (ts TIMESTAMP, user_id VARCHAR, url VARCHAR,\n"
        "    n INT, price DOUBLE, ok BOOLEAN, d DECIMAL(10, 2),\n"
        "    hour_bucket AS date_trunc('hour', ts),\n"
        "    WATERMARK FOR ts AS ts - INTERVAL '10' SECOND)\n"
        "  WITH (connector = 'file', path = 'in/', format = 'json',\n"
        "        max_files_per_trigger = 1, kafka.bootstrap.servers = "
        "'h:9092',\n"
        "        'quoted.key' = true, mode = append, neg = -2.5)");
    ASSERT_EQ_INT(st->kind, SP_STMT_CREATE_SOURCE);
    ASSERT_EQ_STR(st->name, "clicks");
    ASSERT_EQ_INT(st->name_pos.line, 1);
    ASSERT_EQ_INT(st->name_pos.col, 15);
    ASSERT_EQ_INT(st->n_columns, 8);
    ASSERT_EQ_STR(st->columns[0].name, "ts");
    ASSERT_EQ_INT(st->columns[0].type, SP_T_TIMESTAMP);
    ASSERT_EQ_INT(st->columns[1].type, SP_T_VARCHAR);
    ASSERT_EQ_INT(st->columns[3].type, SP_T_BIGINT);
    ASSERT_EQ_INT(st->columns[4].type, SP_T_DOUBLE);
    ASSERT_EQ_INT(st->columns[5].type, SP_T_BOOL);
    ASSERT_EQ_INT(st->columns[6].type, SP_T_DOUBLE);
    ASSERT_EQ_STR(st->columns[7].name, "hour_bucket");
    ASSERT(st->columns[7].computed != NULL);
    ASSERT_EQ_STR(to_sql(st->columns[7].computed), "date_trunc(hour, ts)");
    ASSERT(st->columns[0].computed == NULL);
    ASSERT_EQ_STR(st->wm_column, "ts");
    ASSERT_EQ_INT(st->wm_pos.line, 4);
    ASSERT_EQ_INT(st->wm_pos.col, 5);
    ASSERT_EQ_STR(to_sql(st->wm_expr),
                  "(ts - INTERVAL '0 00:00:10' DAY TO SECOND)");
    ASSERT_EQ_INT(st->n_options, 8);
    ASSERT_EQ_STR(st->options[0].key, "connector");
    ASSERT_EQ_STR(st->options[0].value, "file");
    ASSERT_EQ_INT(st->options[0].key_pos.line, 5);
    ASSERT_EQ_INT(st->options[0].key_pos.col, 9);
    ASSERT_EQ_INT(st->options[0].value_pos.col, 21);
    ASSERT_EQ_STR(st->options[1].value, "in/");
    ASSERT_EQ_STR(st->options[3].key, "max_files_per_trigger");
    ASSERT_EQ_STR(st->options[3].value, "1");
    ASSERT_EQ_STR(st->options[4].key, "kafka.bootstrap.servers");
    ASSERT_EQ_STR(st->options[4].value, "h:9092");
    ASSERT_EQ_STR(st->options[5].key, "quoted.key");
    ASSERT_EQ_STR(st->options[5].value, "true");
    ASSERT_EQ_STR(st->options[6].value, "append");
    ASSERT_EQ_STR(st->options[7].value, "-2.5");
    ASSERT(st->query == NULL);

    /* No column list: the connector supplies the schema. */
    st = stmt1("create source rate with (connector='rate', "
               "rows_per_second=10)");
    ASSERT_EQ_INT(st->kind, SP_STMT_CREATE_SOURCE);
    ASSERT_EQ_INT(st->n_columns, 0);
    ASSERT_EQ_INT(st->n_options, 2);
    ASSERT_EQ_STR(st->options[1].value, "10");
    /* Non-reserved words and quoted identifiers as column names. */
    st = stmt1("CREATE SOURCE s (timestamp TIMESTAMP, value BIGINT, `key` "
               "STRING, `select` INT NOT NULL, start TIMESTAMP, end TIMESTAMP)"
               " WITH (connector = 'memory')");
    ASSERT_EQ_INT(st->n_columns, 6);
    ASSERT_EQ_STR(st->columns[0].name, "timestamp");
    ASSERT_EQ_STR(st->columns[1].name, "value");
    ASSERT_EQ_STR(st->columns[2].name, "key");
    ASSERT_EQ_STR(st->columns[3].name, "select");
    ASSERT_EQ_STR(st->columns[5].name, "end");
}

TEST(create_table_view_sink)
{
    sp_ast_stmt *st = stmt1("CREATE TABLE users (id BIGINT, name STRING) "
                            "WITH (connector = 'file', path = 'u.csv')");
    ASSERT_EQ_INT(st->kind, SP_STMT_CREATE_TABLE);
    ASSERT_EQ_STR(st->name, "users");
    ASSERT_EQ_INT(st->n_columns, 2);
    ASSERT_EQ_INT(st->n_options, 2);
    st = stmt1("CREATE TABLE t (a INT)");
    ASSERT_EQ_INT(st->kind, SP_STMT_CREATE_TABLE);
    ASSERT_EQ_INT(st->n_options, 0);

    st = stmt1("CREATE VIEW v AS SELECT a, b FROM t WHERE a > 1");
    ASSERT_EQ_INT(st->kind, SP_STMT_CREATE_VIEW);
    ASSERT_EQ_STR(st->name, "v");
    ASSERT_EQ_INT(st->query->n_items, 2);
    ASSERT_EQ_STR(st->query->from.name, "t");
    ASSERT_EQ_STR(to_sql(st->query->where), "(a > 1)");

    st = stmt1("CREATE SINK counts WITH (connector = 'console', output_mode "
               "= 'update') AS\n"
               "  SELECT window(ts, '1 minute') AS w, url, count(*) AS views\n"
               "  FROM clicks GROUP BY window(ts, '1 minute'), url");
    ASSERT_EQ_INT(st->kind, SP_STMT_CREATE_SINK);
    ASSERT_EQ_STR(st->name, "counts");
    ASSERT_EQ_INT(st->n_options, 2);
    ASSERT_EQ_STR(st->options[1].value, "update");
    sp_ast_select *q = st->query;
    ASSERT_EQ_INT(q->n_items, 3);
    ASSERT_EQ_STR(q->items[0].alias, "w");
    ASSERT_EQ_STR(to_sql(q->items[0].expr), "window(ts, 1 minute)");
    ASSERT_EQ_STR(q->items[1].alias == NULL ? "null" : "x", "null");
    ASSERT_EQ_STR(q->items[2].alias, "views");
    ASSERT(q->items[2].expr->star);
    ASSERT_EQ_STR(to_sql(q->items[2].expr), "count(1)");
    ASSERT_EQ_INT(q->n_group_by, 2);
    ASSERT_EQ_INT(q->limit, -1);
    ASSERT_EQ_INT(q->items[0].alias_pos.line, 2);
    ASSERT_EQ_INT(q->items[0].alias_pos.col, 36);
    ASSERT_EQ_INT(q->pos.line, 2);
    ASSERT_EQ_INT(q->pos.col, 3);
}

TEST(set_statement)
{
    sp_ast_script *sc = parse_ok("SET spark.sql.shuffle.partitions = 4;\n"
                                 "SET trigger = processing_time '1 second';\n"
                                 "set checkpoint_location = '/tmp/x' ;\n"
                                 "SET a=\"it's; fine\" -- trailing comment\n;"
                                 "SET b = once");
    ASSERT_EQ_INT(sc->n_stmts, 5);
    ASSERT_EQ_INT(sc->stmts[0]->kind, SP_STMT_SET);
    ASSERT_EQ_STR(sc->stmts[0]->name, "spark.sql.shuffle.partitions");
    ASSERT_EQ_STR(sc->stmts[0]->set_value, "4");
    ASSERT_EQ_INT(sc->stmts[0]->set_value_pos.line, 1);
    ASSERT_EQ_INT(sc->stmts[0]->set_value_pos.col, 36);
    ASSERT_EQ_STR(sc->stmts[1]->name, "trigger");
    ASSERT_EQ_STR(sc->stmts[1]->set_value, "processing_time '1 second'");
    ASSERT_EQ_INT(sc->stmts[1]->set_value_pos.len, 26);
    ASSERT_EQ_STR(sc->stmts[2]->set_value, "/tmp/x");
    ASSERT_EQ_STR(sc->stmts[3]->name, "a");
    ASSERT_EQ_STR(sc->stmts[3]->set_value, "it's; fine");
    ASSERT_EQ_STR(sc->stmts[4]->set_value, "once");
    ASSERT_EQ_INT(sc->stmts[4]->pos.line, 5);
}

TEST(script_separators)
{
    sp_ast_script *sc = parse_ok("");
    ASSERT_EQ_INT(sc->n_stmts, 0);
    sc = parse_ok(" ;; -- only comments\n /* x */ ;");
    ASSERT_EQ_INT(sc->n_stmts, 0);
    sc = parse_ok(";SET a = 1;;SET b = 2;\n\nCREATE VIEW v AS SELECT 1");
    ASSERT_EQ_INT(sc->n_stmts, 3);
    ASSERT_EQ_INT(sc->stmts[2]->kind, SP_STMT_CREATE_VIEW);
    ASSERT_EQ_INT(sc->stmts[2]->pos.line, 3);
    ASSERT_EQ_INT(sc->stmts[2]->pos.col, 1);
    ASSERT_EQ_STR(sc->file, "t.sql");
}

/* ------------------------------------------------------------------------
 * Expressions
 * ---------------------------------------------------------------------- */

TEST(precedence)
{
    ASSERT_EXPR("a + b * c", "(a + (b * c))");
    ASSERT_EXPR("a * b + c", "((a * b) + c)");
    ASSERT_EXPR("a - b - c", "((a - b) - c)");
    ASSERT_EXPR("a / b % c", "((a / b) % c)");
    ASSERT_EXPR("(a + b) * c", "((a + b) * c)");
    ASSERT_EXPR("a OR b AND c", "(a OR (b AND c))");
    ASSERT_EXPR("a AND b OR c AND d", "((a AND b) OR (c AND d))");
    ASSERT_EXPR("NOT a AND b", "((NOT a) AND b)");
    ASSERT_EXPR("NOT a = b", "(NOT (a = b))");
    ASSERT_EXPR("NOT NOT a", "(NOT (NOT a))");
    ASSERT_EXPR("a = 1 OR b <> 2", "((a = 1) OR (NOT (b = 2)))");
    ASSERT_EXPR("a == 1 AND b != 2", "((a = 1) AND (NOT (b = 2)))");
    ASSERT_EXPR("a < b + 1", "(a < (b + 1))");
    ASSERT_EXPR("a <= b AND c >= d", "((a <= b) AND (c >= d))");
    ASSERT_EXPR("a || b + c", "concat(a, (b + c))");
    ASSERT_EXPR("a || b = c", "(concat(a, b) = c)");
    ASSERT_EXPR("a || b || c", "concat(concat(a, b), c)");
    ASSERT_EXPR("-a * b", "((- a) * b)");
    ASSERT_EXPR("- -a", "(- (- a))");
    ASSERT_EXPR("+a", "(+ a)");
    ASSERT_EXPR("-5 * 2", "(-5 * 2)");
    ASSERT_EXPR("a - -5", "(a - -5)");
    ASSERT_EXPR("-a[1]", "(- a[1])");
    ASSERT_EXPR("m['k'][0] + 1", "(m[k][0] + 1)");
    ASSERT_EXPR("a IS NULL", "(a IS NULL)");
    ASSERT_EXPR("a + 1 IS NOT NULL", "((a + 1) IS NOT NULL)");
    ASSERT_EXPR("NOT a IS NULL", "(NOT (a IS NULL))");
    ASSERT_EXPR("a IS TRUE OR b IS NOT FALSE",
                "((a IS TRUE) OR (b IS NOT FALSE))");
    ASSERT_EXPR("a IN (1, 2, 3)", "(a IN (1, 2, 3))");
    ASSERT_EXPR("a NOT IN ('x', 'y') AND b", "((NOT (a IN (x, y))) AND b)");
    ASSERT_EXPR("a BETWEEN 1 AND 2 AND b", "((a BETWEEN 1 AND 2) AND b)");
    ASSERT_EXPR("a NOT BETWEEN b + 1 AND c * 2",
                "(NOT (a BETWEEN (b + 1) AND (c * 2)))");
    ASSERT_EXPR("url LIKE '%x%'", "url LIKE %x%");
    ASSERT_EXPR("url NOT LIKE 'a' || 'b'", "(NOT url LIKE concat(a, b))");
    ASSERT_EXPR("url ILIKE 'A%'", "ilike(url, A%)");
    ASSERT_EXPR("url RLIKE '^a'", "RLIKE(url, ^a)");
    ASSERT_EXPR("url NOT REGEXP 'b'", "(NOT RLIKE(url, b))");
    ASSERT_EXPR("t.a + 1", "(a + 1)");
    ASSERT_EXPR("lower(url)", "lower(url)");
    ASSERT_EXPR("COUNT(*)", "count(1)");
    ASSERT_EXPR("count(1)", "count(1)");
    ASSERT_EXPR("count(DISTINCT user_id)", "count(DISTINCT user_id)");
    ASSERT_EXPR("f()", "f()");
    ASSERT_EXPR("CAST(x AS BIGINT)", "CAST(x AS BIGINT)");
    ASSERT_EXPR("cast(x as string)", "CAST(x AS STRING)");
    ASSERT_EXPR("TRY_CAST(x AS INT) + 1", "(TRY_CAST(x AS BIGINT) + 1)");
    ASSERT_EXPR("cast(x AS decimal(10,2))", "CAST(x AS DOUBLE)");
    ASSERT_EXPR("CASE WHEN a > 1 THEN 'big' WHEN a > 0 THEN 'small' ELSE "
                "'none' END",
                "CASE WHEN (a > 1) THEN big WHEN (a > 0) THEN small ELSE "
                "none END");
    ASSERT_EXPR("CASE a WHEN 1 THEN 'one' END",
                "CASE WHEN (a = 1) THEN one END");
    ASSERT_EXPR("CASE WHEN a THEN CASE WHEN b THEN 1 END END + 1",
                "(CASE WHEN a THEN CASE WHEN b THEN 1 END END + 1)");
    ASSERT_EXPR("t.*", "t.*");
    ASSERT_EXPR("left(s, 2)", "left(s, 2)");
    ASSERT_EXPR("current_timestamp", "current_timestamp()");
    ASSERT_EXPR("a = b = c", "((a = b) = c)");

    sp_ast_expr *e = expr("a NOT LIKE 'x'");
    ASSERT_EQ_INT(e->kind, SP_A_LIKE);
    ASSERT(e->negated);
    ASSERT_EQ_INT(e->like_kind, SP_LIKE);
    e = expr("x[1]");
    ASSERT_EQ_INT(e->kind, SP_A_SUBSCRIPT);
    e = expr("CAST(x AS TIMESTAMP)");
    ASSERT_EQ_INT(e->kind, SP_A_CAST);
    ASSERT_EQ_INT(e->cast_type, SP_T_TIMESTAMP);
    ASSERT(!e->is_try);
    e = expr("  a +  b");
    ASSERT_EQ_INT(e->pos.col, 3);
    ASSERT_EQ_INT(e->pos.len, 6);
    ASSERT_EQ_INT(e->args[1]->pos.col, 8);
}

TEST(literals)
{
    sp_ast_expr *e = expr("123");
    ASSERT_EQ_INT(e->lit.type, SP_T_BIGINT);
    ASSERT_EQ_INT(e->lit.v.i, 123);
    e = expr("10L");
    ASSERT_EQ_INT(e->lit.type, SP_T_BIGINT);
    ASSERT_EQ_INT(e->lit.v.i, 10);
    e = expr("9223372036854775807");
    ASSERT_EQ_INT(e->lit.v.i, INT64_MAX);
    e = expr("-9223372036854775808");
    ASSERT_EQ_INT(e->lit.type, SP_T_BIGINT);
    ASSERT(e->lit.v.i == INT64_MIN);
    e = expr("1.5");
    ASSERT_EQ_INT(e->lit.type, SP_T_DOUBLE);
    ASSERT_EQ_DBL(e->lit.v.d, 1.5);
    e = expr("1e3");
    ASSERT_EQ_INT(e->lit.type, SP_T_DOUBLE);
    ASSERT_EQ_DBL(e->lit.v.d, 1000.0);
    e = expr(".5");
    ASSERT_EQ_DBL(e->lit.v.d, 0.5);
    e = expr("2.5E-1");
    ASSERT_EQ_DBL(e->lit.v.d, 0.25);
    e = expr("-1.5");
    ASSERT_EQ_DBL(e->lit.v.d, -1.5);
    ASSERT_EXPR("1e3", "1000.0");
    ASSERT_EXPR("1.5", "1.5");
    ASSERT_EXPR("1", "1");

    e = expr("'it''s'");
    ASSERT_EQ_INT(e->lit.type, SP_T_VARCHAR);
    ASSERT_EQ_MEM(e->lit.v.s.ptr, e->lit.v.s.len, "it's");
    e = expr("'a\\nb\\tc\\\\d\\'e'");
    ASSERT_EQ_MEM(e->lit.v.s.ptr, e->lit.v.s.len, "a\nb\tc\\d'e");
    e = expr("\"double \\\"quoted\\\"\"");
    ASSERT_EQ_INT(e->lit.type, SP_T_VARCHAR);
    ASSERT_EQ_MEM(e->lit.v.s.ptr, e->lit.v.s.len, "double \"quoted\"");
    e = expr("'a' 'b'\n 'c'");
    ASSERT_EQ_MEM(e->lit.v.s.ptr, e->lit.v.s.len, "abc");
    e = expr("'\\u00e9\\%'");
    ASSERT_EQ_MEM(e->lit.v.s.ptr, e->lit.v.s.len, "\xc3\xa9\\%");
    e = expr("''");
    ASSERT_EQ_INT(e->lit.v.s.len, 0);

    e = expr("TRUE");
    ASSERT_EQ_INT(e->lit.type, SP_T_BOOL);
    ASSERT(e->lit.v.b);
    e = expr("false");
    ASSERT(!e->lit.v.b);
    e = expr("NULL");
    ASSERT_EQ_INT(e->lit.type, SP_T_NULL);
    ASSERT_EXPR("null", "NULL");
    ASSERT_EXPR("true AND false", "(true AND false)");

    int64_t want;
    ASSERT_EQ_INT(sp_ts_parse("2024-01-01 10:30:00", 19, &want), 0);
    e = expr("TIMESTAMP '2024-01-01 10:30:00'");
    ASSERT_EQ_INT(e->kind, SP_A_LITERAL);
    ASSERT_EQ_INT(e->lit.type, SP_T_TIMESTAMP);
    ASSERT_EQ_INT(e->lit.v.i, want);
    ASSERT_EQ_INT(e->pos.len, 31);
    ASSERT_EXPR("timestamp '2024-01-01 10:30:00'",
                "TIMESTAMP '2024-01-01 10:30:00'");
    e = expr("DATE '2024-01-01'");
    ASSERT_EQ_INT(e->lit.type, SP_T_TIMESTAMP);
    ASSERT_EQ_INT(e->lit.v.i, want - (10 * 3600 + 30 * 60) * SP_USEC_PER_SEC);

    static const struct {
        const char *sql;
        int64_t us;
    } iv[] = {
        {"INTERVAL '10' SECOND", 10 * SP_USEC_PER_SEC},
        {"INTERVAL '10' SECONDS", 10 * SP_USEC_PER_SEC},
        {"INTERVAL '10 seconds'", 10 * SP_USEC_PER_SEC},
        {"INTERVAL 10 SECONDS", 10 * SP_USEC_PER_SEC},
        {"interval 10 second", 10 * SP_USEC_PER_SEC},
        {"INTERVAL '1' MINUTE", 60 * SP_USEC_PER_SEC},
        {"INTERVAL '2' HOUR", 7200 * SP_USEC_PER_SEC},
        {"INTERVAL '1 hour 30 minutes'", 5400 * SP_USEC_PER_SEC},
        {"INTERVAL 1 HOUR 30 MINUTES", 5400 * SP_USEC_PER_SEC},
        {"INTERVAL 1 DAY", SP_USEC_PER_DAY},
        {"INTERVAL 500 MILLISECONDS", 500000},
    };
    for (size_t i = 0; i < sizeof iv / sizeof iv[0]; i++) {
        e = expr(iv[i].sql);
        if (e->kind != SP_A_LITERAL || e->lit.type != SP_T_INTERVAL ||
            e->lit.v.i != iv[i].us)
            TEST_FAIL_("%s: got kind %d type %d us %lld", iv[i].sql, e->kind,
                       e->lit.type, (long long)e->lit.v.i);
    }
    ASSERT_EXPR("ts - INTERVAL 10 SECONDS + 1",
                "((ts - INTERVAL '0 00:00:10' DAY TO SECOND) + 1)");
}

TEST(non_reserved_words)
{
    sp_ast_select *q = query1(
        "CREATE SINK o WITH (connector = 'console') AS\n"
        "SELECT timestamp, value, key, date, time, first, last, year, month,"
        " day, hour, minute, second, interval, start, window FROM rate");
    ASSERT_EQ_INT(q->n_items, 16);
    ASSERT_EQ_STR(to_sql(q->items[0].expr), "timestamp");
    ASSERT_EQ_STR(to_sql(q->items[13].expr), "interval");
    ASSERT_EQ_STR(to_sql(q->items[15].expr), "window");
    ASSERT_EQ_STR(q->from.name, "rate");

    q = query1("CREATE VIEW v AS SELECT w.start, w.end, window.start, "
               "window.end, t.`from` FROM t");
    ASSERT_EQ_INT(q->n_items, 5);
    ASSERT_EQ_INT(q->items[1].expr->n_parts, 2);
    ASSERT_EQ_STR(q->items[1].expr->parts[0], "w");
    ASSERT_EQ_STR(q->items[1].expr->parts[1], "end");
    ASSERT_EQ_STR(q->items[3].expr->parts[0], "window");
    ASSERT_EQ_STR(to_sql(q->items[3].expr), "end");
    ASSERT_EQ_STR(q->items[4].expr->parts[1], "from");

    q = query1("CREATE VIEW v AS SELECT count(*) AS count, window(ts, "
               "'1 minute') AS window, a AS start, b AS end, c AS `select`,"
               " d value, e timestamp, f AS key FROM t");
    ASSERT_EQ_STR(q->items[0].alias, "count");
    ASSERT_EQ_STR(q->items[1].alias, "window");
    ASSERT_EQ_STR(q->items[2].alias, "start");
    ASSERT_EQ_STR(q->items[3].alias, "end");
    ASSERT_EQ_STR(q->items[4].alias, "select");
    ASSERT_EQ_STR(q->items[5].alias, "value");
    ASSERT_EQ_STR(q->items[6].alias, "timestamp");
    ASSERT_EQ_STR(q->items[7].alias, "key");

    /* `end` is a name where an expression starts, even inside CASE, and
     * the terminator after a complete expression. */
    q = query1("CREATE VIEW v AS SELECT end, CASE WHEN end > 1 THEN w.end "
               "ELSE window.end END AS e, CASE WHEN a THEN end END FROM t");
    ASSERT_EQ_STR(to_sql(q->items[0].expr), "end");
    ASSERT_EQ_INT(q->items[1].expr->kind, SP_A_CASE);
    ASSERT_EQ_STR(q->items[1].alias, "e");

    /* interval/timestamp/date as names when no literal follows. */
    ASSERT_EXPR("interval + 1", "(interval + 1)");
    ASSERT_EXPR("date(ts)", "date(ts)");
    ASSERT_EXPR("timestamp > date", "(timestamp > date)");
    ASSERT_EXPR("`weird name`", "weird name");
    ASSERT_EXPR("`a``b`", "a`b");
}

TEST(comments)
{
    sp_ast_script *sc =
        parse_ok("-- leading comment\n"
                 "CREATE VIEW v /* inline */ AS SELECT a, -- trailing\n"
                 "  b /* nested /* comment */ still */ FROM t; -- end\n"
                 "/* block\n at end */");
    ASSERT_EQ_INT(sc->n_stmts, 1);
    ASSERT_EQ_INT(sc->stmts[0]->pos.line, 2);
    ASSERT_EQ_INT(sc->stmts[0]->query->n_items, 2);
    ASSERT_EQ_INT(sc->stmts[0]->query->items[1].expr->pos.line, 3);
    ASSERT_EQ_INT(sc->stmts[0]->query->items[1].expr->pos.col, 3);
    ASSERT_EXPR("a - -- comment\n b", "(a - b)");
    ASSERT_EXPR("a /**/ * b", "(a * b)");
}

TEST(watermark_clause)
{
    sp_ast_select *q =
        query1("CREATE VIEW v AS SELECT * FROM clicks WATERMARK ts DELAY OF "
               "INTERVAL 10 SECONDS");
    ASSERT_EQ_INT(q->items[0].expr->kind, SP_A_STAR);
    ASSERT_EQ_STR(q->from.name, "clicks");
    ASSERT(q->from.alias == NULL);
    ASSERT(q->from.wm_expr != NULL);
    ASSERT_EQ_STR(to_sql(q->from.wm_expr), "ts");
    ASSERT(q->from.wm_alias == NULL);
    ASSERT_EQ_INT(q->from.wm_delay_us, 10 * SP_USEC_PER_SEC);
    ASSERT_EQ_INT(q->from.wm_pos.col, 39);

    q = query1("CREATE VIEW v AS SELECT ts, count(*) FROM raw AS r WATERMARK "
               "timestamp_seconds(t) AS ts DELAY OF INTERVAL '1' MINUTE "
               "GROUP BY ts");
    ASSERT_EQ_STR(q->from.alias, "r");
    ASSERT_EQ_STR(to_sql(q->from.wm_expr), "timestamp_seconds(t)");
    ASSERT_EQ_STR(q->from.wm_alias, "ts");
    ASSERT_EQ_INT(q->from.wm_delay_us, 60 * SP_USEC_PER_SEC);
    ASSERT_EQ_INT(q->n_group_by, 1);

    q = query1("CREATE VIEW v AS SELECT * FROM (SELECT a, ts FROM s) "
               "WATERMARK ts DELAY OF INTERVAL '5 seconds' sub");
    ASSERT(q->from.subquery != NULL);
    ASSERT_EQ_STR(q->from.alias, "sub");
    ASSERT_EQ_INT(q->from.wm_delay_us, 5 * SP_USEC_PER_SEC);

    /* Joins keep a watermark per side. */
    q = query1("CREATE VIEW v AS SELECT * FROM a WATERMARK ta DELAY OF "
               "INTERVAL 1 MINUTE JOIN b WATERMARK tb DELAY OF INTERVAL 2 "
               "MINUTES ON a.k = b.k");
    ASSERT_EQ_INT(q->n_joins, 1);
    ASSERT_EQ_INT(q->from.wm_delay_us, 60 * SP_USEC_PER_SEC);
    ASSERT_EQ_INT(q->joins[0].right.wm_delay_us, 120 * SP_USEC_PER_SEC);
}

TEST(select_clauses)
{
    sp_ast_select *q = query1(
        "CREATE VIEW v AS SELECT DISTINCT a FROM t ORDER BY a DESC NULLS "
        "FIRST, b, c ASC NULLS LAST LIMIT 10");
    ASSERT(q->distinct);
    ASSERT_EQ_INT(q->n_order_by, 3);
    ASSERT(q->order_by[0].desc);
    ASSERT_EQ_INT(q->order_by[0].nulls_first, 1);
    ASSERT(!q->order_by[1].desc);
    ASSERT_EQ_INT(q->order_by[1].nulls_first, -1);
    ASSERT_EQ_INT(q->order_by[2].nulls_first, 0);
    ASSERT_EQ_INT(q->limit, 10);

    q = query1("CREATE VIEW v AS SELECT DISTINCT ON (a, b) a, b, c FROM t");
    ASSERT(q->distinct);
    ASSERT_EQ_INT(q->n_distinct_on, 2);

    q = query1("CREATE VIEW v AS SELECT c.url, u.name FROM clicks c "
               "JOIN users AS u ON c.uid = u.id "
               "LEFT OUTER JOIN x ON x.id = c.id AND x.ok "
               "LEFT JOIN y y2 ON true INNER JOIN z ON 1 = 1 "
               "WHERE c.url IS NOT NULL GROUP BY c.url, u.name "
               "HAVING count(*) > 1");
    ASSERT_EQ_STR(q->from.alias, "c");
    ASSERT_EQ_INT(q->n_joins, 4);
    ASSERT_EQ_INT(q->joins[0].kind, SP_JOIN_INNER);
    ASSERT_EQ_STR(q->joins[0].right.name, "users");
    ASSERT_EQ_STR(q->joins[0].right.alias, "u");
    ASSERT_EQ_INT(q->joins[1].kind, SP_JOIN_LEFT);
    ASSERT_EQ_STR(to_sql(q->joins[1].on), "((id = id) AND ok)");
    ASSERT_EQ_INT(q->joins[2].kind, SP_JOIN_LEFT);
    ASSERT_EQ_STR(q->joins[2].right.alias, "y2");
    ASSERT_EQ_INT(q->joins[3].kind, SP_JOIN_INNER);
    ASSERT_EQ_STR(to_sql(q->having), "(count(1) > 1)");

    q = query1("CREATE VIEW v AS SELECT a FROM x UNION ALL SELECT a FROM y "
               "UNION ALL SELECT 1");
    ASSERT(q->union_all != NULL);
    ASSERT_EQ_STR(q->union_all->from.name, "y");
    ASSERT(q->union_all->union_all != NULL);
    ASSERT(q->union_all->union_all->from.name == NULL);

    q = query1("CREATE VIEW v AS SELECT s.a FROM (SELECT a FROM (SELECT 1 AS "
               "a) i) AS s");
    ASSERT(q->from.name == NULL);
    ASSERT(q->from.subquery != NULL);
    ASSERT_EQ_STR(q->from.alias, "s");
    ASSERT_EQ_STR(q->from.subquery->from.alias, "i");

    q = query1("CREATE VIEW v AS SELECT *, t.*, a FROM db.t");
    ASSERT_EQ_INT(q->n_items, 3);
    ASSERT_EQ_INT(q->items[1].expr->kind, SP_A_STAR);
    ASSERT_EQ_INT(q->items[1].expr->n_parts, 1);
    ASSERT_EQ_STR(q->from.name, "db.t");

    q = query1("CREATE VIEW v AS SELECT 1");
    ASSERT(q->from.name == NULL && q->from.subquery == NULL);
}

/* ------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------- */

TEST(errors)
{
    /* Misspelled keywords. */
    PARSE_ERR("CREATE VIEW v AS SELECT a FORM t", 1, 27,
              "syntax error at \"FORM\": expected FROM", "did you mean FROM");
    PARSE_ERR("CREATE VIEW v AS SELECT a FROM t WHRE a > 1", 1, 34,
              "expected WHERE", "did you mean WHERE");
    PARSE_ERR("CREATE SOURSE s WITH (a = 1)", 1, 8,
              "expected SOURCE, SINK, TABLE or VIEW after CREATE",
              "did you mean CREATE SOURCE");
    PARSE_ERR("CRATE VIEW v AS SELECT 1", 1, 1, "expected CREATE or SET",
              "did you mean CREATE");
    PARSE_ERR("CREATE VIEW v AS SELECT a FROM t GRUP BY a", 1, 34, "expected",
              "did you mean GROUP");
    /* Unclosed parenthesis: the hint names where it opened. */
    PARSE_ERR("CREATE VIEW v AS\nSELECT lower(a FROM t", 2, 16,
              "expected ',' or ')' in the arguments of lower",
              "the '(' at 2:13 is not closed");
    PARSE_ERR("CREATE VIEW v AS SELECT (a + 1 FROM t", 1, 32, "expected ')'",
              "the '(' at 1:25 is not closed");
    PARSE_ERR("CREATE SOURCE s (a INT, b INT WITH (x = 1)", 1, 31,
              "expected ',' or ')' in the column list",
              "the '(' at 1:17 is not closed");
    /* Unterminated string names where it started. */
    PARSE_ERR("CREATE VIEW v AS\n  SELECT 'abc FROM t", 2, 10,
              "unterminated string literal", "starting at 2:10");
    PARSE_ERR("SET a = 'oops", 1, 9, "unterminated string literal",
              "starting at 1:9");
    PARSE_ERR("CREATE VIEW v AS SELECT a /* never closed", 1, 27,
              "unterminated comment", "opened at 1:27");
    /* CREATE SINK without WITH. */
    PARSE_ERR("CREATE SINK out AS SELECT * FROM t", 1, 17,
              "expected WITH (...) after CREATE SINK out",
              "CREATE SINK out WITH (connector = 'console') AS SELECT");
    PARSE_ERR("CREATE SINK out WITH (connector = 'console') SELECT 1", 1, 46,
              "expected AS SELECT", NULL);
    PARSE_ERR("CREATE SOURCE s (a INT)", 1, 24, "expected WITH (...)",
              "a source needs options");
    /* Trailing commas. */
    PARSE_ERR("CREATE SOURCE s (a INT, b INT,) WITH (c = 'd')", 1, 31,
              "expected a column definition",
              "remove the trailing comma at 1:30");
    PARSE_ERR("CREATE VIEW v AS SELECT a, b, FROM t", 1, 31,
              "expected an expression", "remove the trailing comma at 1:29");
    PARSE_ERR("CREATE VIEW v AS SELECT f(a, ) FROM t", 1, 30,
              "expected an expression", "remove the trailing comma at 1:28");
    PARSE_ERR("CREATE SINK s WITH (a = 'b',) AS SELECT 1", 1, 29,
              "expected an option name", "remove the trailing comma");
    /* Missing ';' between statements. */
    PARSE_ERR("SET a = 1\nCREATE VIEW v AS SELECT 1", 2, 1,
              "expected ';' after the statement ending at 1:9", NULL);
    PARSE_ERR("CREATE VIEW v AS SELECT a FROM t\nCREATE VIEW w AS SELECT 1", 2,
              1, "expected ';' after the statement ending at 1:32",
              "separate statements with ';'");
    PARSE_ERR("CREATE TABLE t (a INT) CREATE TABLE u (b INT)", 1, 24,
              "expected ';' after the statement ending at 1:22", NULL);
    /* Bad literals. */
    PARSE_ERR("CREATE VIEW v AS SELECT TIMESTAMP '2024-13-45 99:00' FROM t", 1,
              35, "invalid TIMESTAMP literal", "TIMESTAMP '2024-01-31");
    PARSE_ERR("CREATE VIEW v AS SELECT INTERVAL '10 parsecs'", 1, 34,
              "invalid interval literal", "INTERVAL '10' SECOND");
    PARSE_ERR("CREATE VIEW v AS SELECT INTERVAL 10 FROM t", 1, 37,
              "expected a unit", "INTERVAL 10 SECONDS");
    PARSE_ERR("CREATE VIEW v AS SELECT 99999999999999999999", 1, 25,
              "integer literal 99999999999999999999 is out of range", NULL);
    PARSE_ERR("CREATE VIEW v AS SELECT 12abc", 1, 25, "malformed number", NULL);
    /* Misc. */
    PARSE_ERR("CREATE VIEW v AS SELECT a FROM t UNION SELECT b FROM u", 1, 34,
              "only UNION ALL is supported", "UNION ALL");
    PARSE_ERR("CREATE VIEW v AS SELECT a FROM t RIGHT JOIN u ON t.a = u.a", 1,
              34, "RIGHT JOIN is not supported", "LEFT JOIN");
    PARSE_ERR("CREATE VIEW v AS SELECT a FROM t, u", 1, 33,
              "comma joins are not supported", NULL);
    PARSE_ERR("CREATE VIEW v AS SELECT CASE WHEN a THEN 1 FROM t", 1, 44,
              "expected END to close CASE", "the CASE at 1:25");
    PARSE_ERR("CREATE VIEW v AS SELECT a FROM t WHERE", 1, 39,
              "syntax error at end of input: expected an expression", NULL);
    PARSE_ERR("SELECT 1", 1, 1, "a query must be the body of CREATE SINK",
              NULL);
    PARSE_ERR("CREATE VIEW v AS SELECT a FROM select", 1, 32,
              "expected a source name", "reserved word");
    PARSE_ERR("CREATE VIEW v AS SELECT a ! b", 1, 27,
              "unexpected character '!'", NULL);
    PARSE_ERR("CREATE VIEW v AS SELECT a IS 5", 1, 30,
              "expected NULL, TRUE or FALSE after IS", NULL);
    PARSE_ERR("CREATE VIEW v AS SELECT CAST(a AS DATE)", 1, 35,
              "unknown type \"DATE\"", NULL);
    PARSE_ERR("CREATE VIEW v AS SELECT * FROM t WATERMARK ts DELAY 10", 1, 53,
              "expected OF", "WATERMARK ts DELAY OF INTERVAL");
    PARSE_ERR("CREATE SINK s WITH (a = 1, a = 2) AS SELECT 1", 1, 28,
              "option a is given twice", "first is at 1:21");
    PARSE_ERR("CREATE VIEW v AS SELECT a AS FROM t", 1, 30,
              "expected an alias after AS", "reserved word");
    PARSE_ERR("SET = 1", 1, 5, "expected a setting name after SET", NULL);
    PARSE_ERR("\n\n   SET x 1", 3, 10, "expected '=' after SET x", NULL);
    PARSE_ERR("CREATE VIEW v AS SELECT a FROM t x y", 1, 36,
              "expected WHERE, GROUP BY", NULL);
    PARSE_ERR("CREATE VIEW v AS SELECT (1))", 1, 28, "unmatched ')'", NULL);
    PARSE_ERR("CREATE VIEW v AS SELECT a b c FROM t", 1, 29,
              "expected ',' or FROM after the select list", NULL);

    /* The printed form names file, line and column. */
    sp_err err;
    sp_err_clear(&err);
    sp_ast_script *sc = NULL;
    const char *sql = "CREATE VIEW v AS\n  SELECT a FORM t";
    ASSERT_EQ_INT(sp_sql_parse(sql, strlen(sql), "q.sql", arena(), &sc, &err),
                  SP_ESYNTAX);
    ASSERT_EQ_INT(err.len, 4);
    char buf[2048] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    sp_err_print(&err, sql, strlen(sql), f);
    fclose(f);
    ASSERT(strstr(buf, "q.sql:2:12: error: syntax error at \"FORM\"") != NULL);
    ASSERT(strstr(buf, "^~~~") != NULL);

    /* sp_sql_parse_expr reports trailing garbage. */
    sp_err_clear(&err);
    sp_ast_expr *e = NULL;
    ASSERT_EQ_INT(sp_sql_parse_expr("a b", 3, arena(), &e, &err), SP_ESYNTAX);
    ASSERT_EQ_INT(err.col, 3);
}

TEST(depth_limits)
{
    /* Deep nesting gives an error, not a stack overflow. */
    size_t n = 100000;
    char *s = malloc(2 * n + 64);
    ASSERT(s != NULL);
    strcpy(s, "CREATE VIEW v AS SELECT ");
    size_t k = strlen(s);
    for (size_t i = 0; i < n; i++) s[k++] = '(';
    s[k++] = '1';
    for (size_t i = 0; i < n; i++) s[k++] = ')';
    s[k] = 0;
    sp_err err;
    sp_err_clear(&err);
    sp_ast_script *sc = NULL;
    ASSERT_EQ_INT(sp_sql_parse(s, k, "t.sql", arena(), &sc, &err), SP_ESYNTAX);
    ASSERT(strstr(err.msg, "nested too deeply") != NULL);

    static const char *const unit[] = {
        "-", "NOT ", "f(", "CASE WHEN ", "a IN (", "(SELECT a FROM "};
    for (size_t u = 0; u < sizeof unit / sizeof unit[0]; u++) {
        size_t ul = strlen(unit[u]);
        k = 0;
        memcpy(s, "SET a = 1;CREATE VIEW v AS SELECT ", 34);
        k = 34;
        for (size_t i = 0; i < 5000; i++) {
            memcpy(s + k, unit[u], ul);
            k += ul;
        }
        s[k++] = 'x';
        s[k] = 0;
        sp_err_clear(&err);
        ASSERT_EQ_INT(sp_sql_parse(s, k, "t.sql", arena(), &sc, &err),
                      SP_ESYNTAX);
    }

    /* Long left-associative chains are bounded too. */
    k = 0;
    k += (size_t)sprintf(s, "a");
    for (int i = 0; i < 20000; i++) k += (size_t)sprintf(s + k, "+a");
    sp_err_clear(&err);
    sp_ast_expr *e = NULL;
    ASSERT_EQ_INT(sp_sql_parse_expr(s, k, arena(), &e, &err), SP_ESYNTAX);
    ASSERT(strstr(err.msg, "too long") != NULL);

    /* ...but ordinary sizes are fine: 150 levels, 500-term chains. */
    k = 0;
    for (int i = 0; i < 150; i++) s[k++] = '(';
    s[k++] = '1';
    for (int i = 0; i < 150; i++) s[k++] = ')';
    for (int i = 0; i < 500; i++) k += (size_t)sprintf(s + k, " AND b%d", i);
    sp_err_clear(&err);
    ASSERT_OK(sp_sql_parse_expr(s, k, arena(), &e, &err), &err);
    free(s);
}

/* ------------------------------------------------------------------------
 * Robustness
 * ---------------------------------------------------------------------- */

/* SP_PARSE_FUZZ_ITERS and SP_PARSE_FUZZ_SEED lengthen or vary the random
 * loops for a longer local run. */
static int fuzz_iters(void)
{
    const char *s = getenv("SP_PARSE_FUZZ_ITERS");
    return s && atoi(s) > 0 ? atoi(s) : 20000;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    static bool seeded;
    if (!seeded) {
        const char *s = getenv("SP_PARSE_FUZZ_SEED");
        if (s && strtoull(s, NULL, 10)) rng_state = strtoull(s, NULL, 10);
        seeded = true;
    }
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void walk_expr(const sp_ast_expr *e, sp_buf *b)
{
    if (e) ASSERT_EQ_INT(sp_ast_expr_to_sql(e, b), 0);
}

static void walk_select(const sp_ast_select *q, sp_buf *b)
{
    for (; q; q = q->union_all) {
        for (int i = 0; i < q->n_items; i++) walk_expr(q->items[i].expr, b);
        if (q->from.subquery) walk_select(q->from.subquery, b);
        walk_expr(q->from.wm_expr, b);
        for (int i = 0; i < q->n_joins; i++) {
            walk_expr(q->joins[i].on, b);
            if (q->joins[i].right.subquery)
                walk_select(q->joins[i].right.subquery, b);
        }
        walk_expr(q->where, b);
        walk_expr(q->having, b);
        for (int i = 0; i < q->n_group_by; i++) walk_expr(q->group_by[i], b);
        for (int i = 0; i < q->n_order_by; i++)
            walk_expr(q->order_by[i].expr, b);
        for (int i = 0; i < q->n_distinct_on; i++)
            walk_expr(q->distinct_on[i], b);
    }
}

static const char *const seeds[] = {
    "CREATE SOURCE clicks (ts TIMESTAMP, user_id VARCHAR, url VARCHAR, "
    "c AS lower(url), WATERMARK FOR ts AS ts - INTERVAL '10' SECOND) WITH "
    "(connector = 'file', path = 'in/', format = 'json', n = 1);",
    "CREATE SINK counts WITH (connector = 'console', output_mode = 'update') "
    "AS SELECT window(ts, '1 minute') AS w, url, count(*) AS views FROM "
    "clicks GROUP BY window(ts, '1 minute'), url;",
    "SET trigger = processing_time '1 second'; SET a.b = 'x';",
    "CREATE VIEW v AS SELECT DISTINCT a.x, CASE WHEN b IS NULL THEN 'n' ELSE "
    "b || 'c' END AS e, CAST(c AS BIGINT) + -1 * 2 % 3 FROM (SELECT * FROM "
    "s WATERMARK ts DELAY OF INTERVAL 10 SECONDS) a LEFT JOIN t ON a.k = t.k "
    "WHERE a.y NOT IN (1, 2.5, 'x') AND z BETWEEN 1 AND 10 OR q LIKE '%x' "
    "HAVING count(DISTINCT u) > 0 ORDER BY 1 DESC NULLS LAST LIMIT 5 UNION "
    "ALL SELECT w.start, w.end FROM s2 /* c */ -- d\n;",
    "CREATE TABLE t (`a b` INT, value DOUBLE) WITH ('k' = TRUE); SELECT "
    "TIMESTAMP '2024-01-01 00:00:00', DATE '2024-01-02', INTERVAL 1 HOUR 30 "
    "MINUTES, m['k'][0], \"dq\\n\", 1e3, .5, 10L",
};

static const char *const fragments[] = {
    "(",           ")",      "'",     "\"",
    "`",           "/*",     "*/",    "--",
    ";",           ",",      ".",     "*",
    "-",           "[",      "]",     "||",
    "\\",          "\n",     " END ", " CASE",
    " SELECT ",    " FROM ", " AS ",  "INTERVAL ",
    "\0",          "\xff",   "1e",    "9999999999999999999999",
    " WATERMARK ", "NOT ",   "=",     "<>",
    " IN (",       " AND "};

TEST(mutation_fuzz)
{
    sp_arena *a = sp_arena_create(1 << 16);
    ASSERT(a != NULL);
    char buf[4096];
    int ok = 0, bad = 0;
    for (int iter = 0, iters = fuzz_iters(); iter < iters; iter++) {
        const char *seed = seeds[rnd() % (sizeof seeds / sizeof seeds[0])];
        size_t n = strlen(seed);
        memcpy(buf, seed, n);
        int muts = 1 + (int)(rnd() % 4);
        for (int m = 0; m < muts; m++) {
            size_t pos = n ? rnd() % (n + 1) : 0;
            switch (rnd() % 5) {
            case 0: /* delete a range */
                if (n) {
                    size_t len = 1 + rnd() % 8;
                    if (pos + len > n) len = n - pos;
                    memmove(buf + pos, buf + pos + len, n - pos - len);
                    n -= len;
                }
                break;
            case 1: { /* insert a fragment */
                size_t fi = rnd() % (sizeof fragments / sizeof fragments[0]);
                const char *f = fragments[fi];
                size_t fl = fi == 24 ? 1 : strlen(f);
                if (n + fl < sizeof buf) {
                    memmove(buf + pos + fl, buf + pos, n - pos);
                    memcpy(buf + pos, f, fl);
                    n += fl;
                }
                break;
            }
            case 2: /* replace a byte */
                if (pos < n) buf[pos] = (char)(rnd() & 0xff);
                break;
            case 3: /* truncate */
                n = pos;
                break;
            default: { /* duplicate a range */
                size_t len = rnd() % 32;
                if (pos + len > n) len = n - pos;
                if (n + len < sizeof buf) {
                    memmove(buf + pos + len, buf + pos, n - pos);
                    n += len;
                }
                break;
            }
            }
        }
        /* Not NUL-terminated on purpose: the parser must honour len. */
        char *text = malloc(n ? n : 1);
        memcpy(text, buf, n);
        sp_err err;
        sp_err_clear(&err);
        sp_ast_script *sc = NULL;
        int rc = sp_sql_parse(text, n, "f.sql", a, &sc, &err);
        if (rc == 0) {
            ok++;
            sp_buf b;
            sp_buf_init(&b);
            for (int i = 0; i < sc->n_stmts; i++) {
                sp_ast_stmt *st = sc->stmts[i];
                if (st->query) walk_select(st->query, &b);
                walk_expr(st->wm_expr, &b);
                for (int c = 0; c < st->n_columns; c++)
                    walk_expr(st->columns[c].computed, &b);
            }
            sp_buf_free(&b);
        } else {
            bad++;
            ASSERT_EQ_INT(rc, SP_ESYNTAX);
            ASSERT(err.line >= 1 && err.col >= 1 && err.len >= 1);
            ASSERT(err.msg[0] != 0);
        }
        free(text);
        sp_arena_reset(a);
    }
    printf("  mutation_fuzz: %d parsed, %d rejected\n", ok, bad);
    ASSERT(ok > 100 && bad > 100);
    sp_arena_destroy(a);
}

/* Random sequences of SQL tokens reach deeper into the grammar than byte
 * mutations of a few seeds do. */
TEST(token_soup)
{
    static const char *const vocab[] = {"CREATE",
                                        "SOURCE",
                                        "SINK",
                                        "TABLE",
                                        "VIEW",
                                        "SET",
                                        "WITH",
                                        "AS",
                                        "SELECT",
                                        "DISTINCT",
                                        "ON",
                                        "FROM",
                                        "WHERE",
                                        "GROUP",
                                        "BY",
                                        "HAVING",
                                        "ORDER",
                                        "LIMIT",
                                        "UNION",
                                        "ALL",
                                        "JOIN",
                                        "LEFT",
                                        "OUTER",
                                        "INNER",
                                        "WATERMARK",
                                        "FOR",
                                        "DELAY",
                                        "OF",
                                        "INTERVAL",
                                        "TIMESTAMP",
                                        "DATE",
                                        "CASE",
                                        "WHEN",
                                        "THEN",
                                        "ELSE",
                                        "END",
                                        "CAST",
                                        "TRY_CAST",
                                        "NOT",
                                        "AND",
                                        "OR",
                                        "IS",
                                        "NULL",
                                        "TRUE",
                                        "FALSE",
                                        "IN",
                                        "BETWEEN",
                                        "LIKE",
                                        "RLIKE",
                                        "ASC",
                                        "DESC",
                                        "NULLS",
                                        "FIRST",
                                        "LAST",
                                        "SECOND",
                                        "SECONDS",
                                        "HOUR",
                                        "BIGINT",
                                        "STRING",
                                        "a",
                                        "t",
                                        "w",
                                        "count",
                                        "window",
                                        "start",
                                        "(",
                                        ")",
                                        "[",
                                        "]",
                                        ",",
                                        ";",
                                        ".",
                                        "*",
                                        "+",
                                        "-",
                                        "/",
                                        "%",
                                        "||",
                                        "=",
                                        "==",
                                        "<>",
                                        "!=",
                                        "<",
                                        "<=",
                                        ">",
                                        ">=",
                                        "1",
                                        "2.5",
                                        "1e3",
                                        "'10 seconds'",
                                        "'2024-01-01'",
                                        "'x'",
                                        "\"dq\"",
                                        "`q`",
                                        "10L"};
    sp_arena *a = sp_arena_create(1 << 16);
    ASSERT(a != NULL);
    char buf[2048];
    int ok = 0;
    for (int iter = 0, iters = fuzz_iters(); iter < iters; iter++) {
        size_t n = 0;
        int ntok = 1 + (int)(rnd() % 40);
        for (int i = 0; i < ntok; i++) {
            const char *w = vocab[rnd() % (sizeof vocab / sizeof vocab[0])];
            size_t wl = strlen(w);
            if (n + wl + 2 >= sizeof buf) break;
            memcpy(buf + n, w, wl);
            n += wl;
            buf[n++] = ' ';
        }
        sp_err err;
        sp_err_clear(&err);
        sp_ast_script *sc = NULL;
        int rc = sp_sql_parse(buf, n, "f.sql", a, &sc, &err);
        if (rc == 0) {
            ok++;
        } else {
            ASSERT_EQ_INT(rc, SP_ESYNTAX);
            ASSERT(err.line >= 1 && err.col >= 1);
        }
        sp_ast_expr *e = NULL;
        sp_err_clear(&err);
        if (sp_sql_parse_expr(buf, n, a, &e, &err) == 0) {
            sp_buf b;
            sp_buf_init(&b);
            walk_expr(e, &b);
            sp_buf_free(&b);
        }
        sp_arena_reset(a);
    }
    printf("  token_soup: %d scripts parsed\n", ok);
    sp_arena_destroy(a);
}

int main(int argc, char **argv)
{
    return test_main(argc, argv,
                     (test_case[]){TEST_CASE(create_source),
                                   TEST_CASE(create_table_view_sink),
                                   TEST_CASE(set_statement),
                                   TEST_CASE(script_separators),
                                   TEST_CASE(precedence),
                                   TEST_CASE(literals),
                                   TEST_CASE(non_reserved_words),
                                   TEST_CASE(comments),
                                   TEST_CASE(watermark_clause),
                                   TEST_CASE(select_clauses),
                                   TEST_CASE(errors),
                                   TEST_CASE(depth_limits),
                                   TEST_CASE(mutation_fuzz),
                                   TEST_CASE(token_soup),
                                   {0}});
}
