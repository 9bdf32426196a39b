/*
 * format_test.c -- record formats: the JSON, CSV and text readers (type
 * conversion, NULLs, escapes, bad lines, chunking) and the writers, plus a
 * mutation fuzz loop that must never crash or read out of bounds.
 *
 * Every input is copied into a heap buffer of exactly its length (no NUL
 * after it), so ASan flags any read past `len`.
 */
#include "core/core.h"
#include "io/format.h"
#include "test.h"

#include <math.h>

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

typedef struct bad_log {
    int n;
    int stop_at; /* return non-zero on this report (1-based); 0 = never */
    uint64_t line[64];
    char why[64][320];
    char text[64][128];
} bad_log;

static int on_bad(void *ud, uint64_t line_no, const char *line, size_t line_len,
                  const char *why)
{
    bad_log *l = ud;
    if (l->n < 64) {
        l->line[l->n] = line_no;
        snprintf(l->why[l->n], sizeof l->why[0], "%s", why);
        snprintf(l->text[l->n], sizeof l->text[0], "%.*s",
                 (int)SP_MIN(line_len, 120), line);
    }
    l->n++;
    return l->stop_at && l->n >= l->stop_at;
}

/* Builds a schema from "a BIGINT, b VARCHAR" (static storage). */
static sp_schema *schema_of(const char *spec)
{
    static sp_field fields[32];
    static char names[32][64];
    static sp_schema s;
    s.n_fields = 0;
    s.fields = fields;
    const char *p = spec;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        const char *n0 = p;
        while (*p != ' ') p++;
        snprintf(names[s.n_fields], 64, "%.*s", (int)(p - n0), n0);
        while (*p == ' ') p++;
        const char *t0 = p;
        while (*p && *p != ',') p++;
        sp_type t;
        if (sp_type_parse(t0, (size_t)(p - t0), &t) != 0) {
            fprintf(stderr, "bad type in %s\n", spec);
            exit(1);
        }
        fields[s.n_fields].name = names[s.n_fields];
        fields[s.n_fields].type = t;
        s.n_fields++;
    }
    return &s;
}

static sp_reader *reader(sp_format_kind k, const char *spec,
                         const sp_format_opts *o)
{
    sp_err err;
    sp_err_clear(&err);
    sp_reader *r = sp_reader_create(k, schema_of(spec), o, &err);
    if (!r) TEST_FAIL_("reader_create: %s", err.msg);
    return r;
}

/* An exact-size copy of s (caller frees). */
static char *dup_exact(const char *s, size_t n)
{
    char *b = malloc(n ? n : 1);
    memcpy(b, s, n);
    return b;
}

typedef struct run {
    sp_arena *arena;
    sp_batch b;
    bad_log bad;
    sp_err err;
    char *buf;
    size_t len, pos;
    uint64_t line_no;
    int rc;
} run;

/* Parses all of `text` in one call (max_rows large). */
static run *parse(sp_reader *r, const char *text)
{
    run *x = calloc(1, sizeof *x);
    x->arena = sp_arena_create(4096);
    x->len = strlen(text);
    x->buf = dup_exact(text, x->len);
    x->line_no = 1;
    sp_err_clear(&x->err);
    x->rc = sp_reader_parse(r, x->buf, x->len, &x->pos, &x->line_no, true,
                            100000, &x->b, x->arena, on_bad, &x->bad, &x->err);
    return x;
}

static void run_free(run *x)
{
    sp_arena_destroy(x->arena);
    free(x->buf);
    free(x);
}

static bool isnull(const sp_batch *b, uint32_t c, uint32_t i)
{
    return sp_vec_is_null(&b->cols[c], i);
}

#define ASSERT_STR_AT(b, c, i, want)                                           \
    do {                                                                       \
        ASSERT(!isnull((b), (c), (i)));                                        \
        sp_str sv_ = (b)->cols[(c)].d.str[(i)];                                \
        ASSERT_EQ_MEM(sv_.ptr, sv_.len, (want));                               \
    } while (0)

static bool contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

#define ASSERT_CONTAINS(hay, needle)                                           \
    do {                                                                       \
        if (!contains((hay), (needle)))                                        \
            TEST_FAIL_("\"%s\" does not contain \"%s\"", (hay), (needle));     \
    } while (0)

/* ------------------------------------------------------------------------
 * Names and options
 * ---------------------------------------------------------------------- */

TEST(format_names)
{
    sp_format_kind k;
    ASSERT_EQ_INT(sp_format_parse("json", &k), 0);
    ASSERT_EQ_INT(k, SP_FMT_JSON);
    ASSERT_EQ_INT(sp_format_parse("JSONL", &k), 0);
    ASSERT_EQ_INT(k, SP_FMT_JSON);
    ASSERT_EQ_INT(sp_format_parse("csv", &k), 0);
    ASSERT_EQ_INT(k, SP_FMT_CSV);
    ASSERT_EQ_INT(sp_format_parse("text", &k), 0);
    ASSERT_EQ_INT(k, SP_FMT_TEXT);
    ASSERT_EQ_INT(sp_format_parse("parquet", &k), -1);
    sp_format_opts o;
    sp_format_opts_default(&o);
    ASSERT_EQ_INT(o.delimiter, ',');
    ASSERT_EQ_INT(o.quote, '"');
    ASSERT(!o.header);
    ASSERT_EQ_STR(o.null_value, "");

    sp_err err;
    sp_err_clear(&err);
    ASSERT(sp_reader_create(SP_FMT_TEXT, schema_of("a BIGINT"), NULL, &err) ==
           NULL);
    ASSERT_EQ_INT(err.code, SP_EINVAL);
}

/* ------------------------------------------------------------------------
 * JSON
 * ---------------------------------------------------------------------- */

TEST(json_types)
{
    sp_reader *r = reader(SP_FMT_JSON,
                          "i BIGINT, d DOUBLE, b BOOLEAN, s VARCHAR, "
                          "t TIMESTAMP, v INTERVAL",
                          NULL);
    run *x =
        parse(r, "{\"i\": 42, \"d\": 1.5, \"b\": true, \"s\": \"hi\", "
                 "\"t\": \"2024-01-01 10:00:00\", \"v\": \"10 "
                 "seconds\"}\n"
                 "{\"i\":-7,\"d\":-2,\"b\":false,\"s\":\"\",\"t\":1700000000,"
                 "\"v\":\"1 hour 30 minutes\"}\n"
                 "{\"i\":0,\"d\":6.02e23,\"t\":1.5}\n"
                 "{\"d\":-0.0001,\"t\":-1.25}\n"
                 "{\"d\":1E-3,\"t\":\"2024-01-31T10:00:00.123456Z\"}\n");
    ASSERT_OK(x->rc, &x->err);
    ASSERT_EQ_INT(x->bad.n, 0);
    sp_batch *b = &x->b;
    ASSERT_EQ_INT(b->n_rows, 5);
    ASSERT_EQ_INT(b->n_cols, 6);
    ASSERT(b->sel == NULL);
    ASSERT(b->arena == x->arena);
    ASSERT_EQ_INT(b->cols[0].d.i64[0], 42);
    ASSERT_EQ_INT(b->cols[0].d.i64[1], -7);
    ASSERT_EQ_INT(b->cols[0].d.i64[2], 0);
    ASSERT_EQ_DBL(b->cols[1].d.f64[0], 1.5);
    ASSERT_EQ_DBL(b->cols[1].d.f64[1], -2.0);
    ASSERT(b->cols[1].d.f64[2] == 6.02e23);
    ASSERT(b->cols[1].d.f64[3] == -0.0001);
    ASSERT(b->cols[1].d.f64[4] == 1e-3);
    ASSERT_EQ_INT(b->cols[2].d.b[0], 1);
    ASSERT_EQ_INT(b->cols[2].d.b[1], 0);
    ASSERT_STR_AT(b, 3, 0, "hi");
    ASSERT_STR_AT(b, 3, 1, "");
    int64_t ts;
    ASSERT_EQ_INT(sp_ts_parse("2024-01-01 10:00:00", 19, &ts), 0);
    ASSERT_EQ_INT(b->cols[4].d.i64[0], ts);
    ASSERT_EQ_INT(b->cols[4].d.i64[1], 1700000000LL * 1000000);
    ASSERT_EQ_INT(b->cols[4].d.i64[2], 1500000);
    ASSERT_EQ_INT(b->cols[4].d.i64[3], -1250000);
    ASSERT_EQ_INT(sp_ts_parse("2024-01-31T10:00:00.123456Z", 27, &ts), 0);
    ASSERT_EQ_INT(b->cols[4].d.i64[4], ts);
    ASSERT_EQ_INT(b->cols[5].d.i64[0], 10 * SP_USEC_PER_SEC);
    ASSERT_EQ_INT(b->cols[5].d.i64[1], 5400 * SP_USEC_PER_SEC);
    /* Missing fields are NULL; columns without NULLs have no null array. */
    ASSERT(isnull(b, 2, 2) && isnull(b, 3, 3) && isnull(b, 5, 4));
    ASSERT(isnull(b, 0, 3) && !isnull(b, 0, 2));
    ASSERT(b->cols[1].nulls == NULL);
    /* Unescaped strings are views into the input. */
    ASSERT(b->cols[3].d.str[0].ptr >= x->buf &&
           b->cols[3].d.str[0].ptr < x->buf + x->len);
    run_free(x);
    sp_reader_destroy(r);
}

TEST(json_numbers)
{
    sp_reader *r = reader(SP_FMT_JSON, "i BIGINT, d DOUBLE", NULL);
    run *x = parse(r, "{\"i\":9223372036854775807,\"d\":NaN}\n"
                      "{\"i\":-9223372036854775808,\"d\":Infinity}\n"
                      "{\"d\":-Infinity}\n"
                      "{\"d\":\"NaN\"}\n"
                      "{\"d\":\"-Infinity\"}\n"
                      "{\"d\":0.1}\n"
                      "{\"d\":123456789012345678901234567890}\n"
                      "{\"d\":2.2250738585072014e-308}\n"
                      "{\"d\":3.141592653589793238462643383279}\n"
                      "{\"d\":1e400}\n");
    ASSERT_OK(x->rc, &x->err);
    ASSERT_EQ_INT(x->bad.n, 0);
    sp_batch *b = &x->b;
    ASSERT_EQ_INT(b->n_rows, 10);
    ASSERT_EQ_INT(b->cols[0].d.i64[0], INT64_MAX);
    ASSERT_EQ_INT(b->cols[0].d.i64[1], INT64_MIN);
    ASSERT(isnan(b->cols[1].d.f64[0]));
    ASSERT(isinf(b->cols[1].d.f64[1]) && b->cols[1].d.f64[1] > 0);
    ASSERT(isinf(b->cols[1].d.f64[2]) && b->cols[1].d.f64[2] < 0);
    ASSERT(isnan(b->cols[1].d.f64[3]));
    ASSERT(isinf(b->cols[1].d.f64[4]) && b->cols[1].d.f64[4] < 0);
    ASSERT(b->cols[1].d.f64[5] == 0.1);
    ASSERT(b->cols[1].d.f64[6] == 123456789012345678901234567890.0);
    ASSERT(b->cols[1].d.f64[7] == 2.2250738585072014e-308);
    ASSERT(b->cols[1].d.f64[8] == 3.141592653589793);
    ASSERT(isinf(b->cols[1].d.f64[9]));
    run_free(x);

    /* Bad numbers and type mismatches: each a bad line with a reason. */
    x = parse(r, "{\"i\":1.5}\n"
                 "{\"i\":1e3}\n"
                 "{\"i\":9223372036854775808}\n"
                 "{\"i\":-9223372036854775809}\n"
                 "{\"i\":123456789012345678901}\n"
                 "{\"i\":\"abc\"}\n"
                 "{\"i\":{\"a\":1}}\n"
                 "{\"i\":true}\n"
                 "{\"i\":01}\n"
                 "{\"i\":-}\n"
                 "{\"i\":1.}\n"
                 "{\"d\":\"1.5\"}\n"
                 "{\"i\":NaN}\n"
                 "{\"i\":+1}\n"
                 "{\"i\":5}\n");
    ASSERT_OK(x->rc, &x->err);
    ASSERT_EQ_INT(x->b.n_rows, 1);
    ASSERT_EQ_INT(x->b.cols[0].d.i64[0], 5);
    ASSERT_EQ_INT(x->bad.n, 14);
    for (int i = 0; i < 14; i++) ASSERT_EQ_INT(x->bad.line[i], i + 1);
    ASSERT_EQ_STR(x->bad.why[0],
                  "field \"i\": expected BIGINT, got number 1.5");
    ASSERT_EQ_STR(x->bad.why[1],
                  "field \"i\": expected BIGINT, got number 1e3");
    ASSERT_CONTAINS(x->bad.why[2], "out of BIGINT range");
    ASSERT_CONTAINS(x->bad.why[3], "out of BIGINT range");
    ASSERT_CONTAINS(x->bad.why[4], "out of BIGINT range");
    ASSERT_EQ_STR(x->bad.why[5],
                  "field \"i\": expected BIGINT, got string \"abc\"");
    ASSERT_EQ_STR(x->bad.why[6],
                  "field \"i\": expected BIGINT, got object {\"a\":1}");
    ASSERT_EQ_STR(x->bad.why[7],
                  "field \"i\": expected BIGINT, got boolean true");
    ASSERT_CONTAINS(x->bad.why[8], "leading zero");
    ASSERT_CONTAINS(x->bad.why[9], "invalid number at byte 6");
    ASSERT_CONTAINS(x->bad.why[10], "invalid number at byte 6");
    ASSERT_EQ_STR(x->bad.why[11],
                  "field \"d\": expected DOUBLE, got string \"1.5\"");
    ASSERT_CONTAINS(x->bad.why[12], "expected BIGINT");
    ASSERT_CONTAINS(x->bad.why[13], "invalid number at byte 6");
    ASSERT_EQ_STR(x->bad.text[0], "{\"i\":1.5}");
    run_free(x);
    sp_reader_destroy(r);
}

TEST(json_type_mismatch)
{
    sp_reader *r = reader(SP_FMT_JSON,
                          "b BOOLEAN, t TIMESTAMP, v INTERVAL, d DOUBLE", NULL);
    run *x = parse(r, "{\"b\":\"true\"}\n"
                      "{\"b\":1}\n"
                      "{\"t\":\"not a time\"}\n"
                      "{\"t\":true}\n"
                      "{\"v\":\"10 parsecs\"}\n"
                      "{\"v\":10}\n"
                      "{\"d\":[1]}\n"
                      "{\"t\":1e400}\n"
                      "{\"b\":null,\"t\":null,\"v\":null,\"d\":null}\n");
    ASSERT_OK(x->rc, &x->err);
    ASSERT_EQ_INT(x->b.n_rows, 1);
    for (uint32_t c = 0; c < 4; c++) ASSERT(isnull(&x->b, c, 0));
    ASSERT_EQ_INT(x->bad.n, 8);
    ASSERT_EQ_STR(x->bad.why[0],
                  "field \"b\": expected BOOLEAN, got string \"true\"");
    ASSERT_EQ_STR(x->bad.why[1], "field \"b\": expected BOOLEAN, got number 1");
    ASSERT_EQ_STR(x->bad.why[2], "field \"t\": expected a timestamp, got "
                                 "string \"not a time\"");
    ASSERT_EQ_STR(x->bad.why[3],
                  "field \"t\": expected TIMESTAMP, got boolean true");
    ASSERT_CONTAINS(x->bad.why[4], "expected an interval");
    ASSERT_EQ_STR(x->bad.why[5],
                  "field \"v\": expected INTERVAL, got number 10");
    ASSERT_EQ_STR(x->bad.why[6], "field \"d\": expected DOUBLE, got array [1]");
    ASSERT_CONTAINS(x->bad.why[7], "expected TIMESTAMP");
    run_free(x);
    sp_reader_destroy(r);
}

TEST(json_null_missing_duplicates)
{
    sp_reader *r = reader(SP_FMT_JSON, "a BIGINT, s VARCHAR", NULL);
    run *x = parse(r, "{\"a\":null,\"s\":\"x\"}\n"
                      "{}\n"
                      "{\"s\":null}\n"
                      "{\"a\":1,\"a\":2}\n"
                      "{\"a\":1,\"a\":null}\n"
                      "{\"a\":null,\"a\":3,\"s\":\"p\",\"s\":\"q\"}\n"
                      "{ }\n");
    ASSERT_OK(x->rc, &x->err);
    ASSERT_EQ_INT(x->bad.n, 0);
    sp_batch *b = &x->b;
    ASSERT_EQ_INT(b->n_rows, 7);
    ASSERT(isnull(b, 0, 0));
    ASSERT_STR_AT(b, 1, 0, "x");
    ASSERT(isnull(b, 0, 1) && isnull(b, 1, 1));
    ASSERT(isnull(b, 0, 2) && isnull(b, 1, 2));
    ASSERT(!isnull(b, 0, 3));
    ASSERT_EQ_INT(b->cols[0].d.i64[3], 2);
    ASSERT(isnull(b, 0, 4));
    ASSERT(!isnull(b, 0, 5));
    ASSERT_EQ_INT(b->cols[0].d.i64[5], 3);
    ASSERT_STR_AT(b, 1, 5, "q");
    ASSERT(isnull(b, 0, 6) && isnull(b, 1, 6));
    run_free(x);
    sp_reader_destroy(r);
}

TEST(json_escapes)
{
    sp_reader *r = reader(SP_FMT_JSON, "s VARCHAR", NULL);
    run *x = parse(r, "{\"s\":\"a\\\"b\\\\c\\/d\\n\\t\\r\\b\\f\"}\n"
                      "{\"s\":\"caf\\u00e9 \\u00E9\"}\n"
                      "{\"s\":\"\\ud83d\\ude00!\"}\n"
                      "{\"s\":\"lone \\ud83d x\"}\n"
                      "{\"s\":\"lone \\ude00\"}\n"
                      "{\"s\":\"\\u20ac\\u0041\"}\n"
                      "{\"s\":\"raw caf\xc3\xa9\"}\n"
                      "{\"s\":\"bad \\x\"}\n"
                      "{\"s\":\"bad \\u12G4\"}\n"
                      "{\"s\":\"tab\there\"}\n"
                      "{\"\\u0073\":\"key escaped\"}\n"
                      "{\"s\":\"ends with backslash\\\\\"}\n"
                      "{\"s\":\"unterminated}\n");
    ASSERT_OK(x->rc, &x->err);
    sp_batch *b = &x->b;
    ASSERT_EQ_INT(b->n_rows, 9);
    ASSERT_STR_AT(b, 0, 0, "a\"b\\c/d\n\t\r\b\f");
    ASSERT_STR_AT(b, 0, 1, "caf\xc3\xa9 \xc3\xa9");
    ASSERT_STR_AT(b, 0, 2, "\xf0\x9f\x98\x80!");
    ASSERT_STR_AT(b, 0, 3, "lone \xef\xbf\xbd x");
    ASSERT_STR_AT(b, 0, 4, "lone \xef\xbf\xbd");
    ASSERT_STR_AT(b, 0, 5,
                  "\xe2\x82\xac"
                  "A");
    ASSERT_STR_AT(b, 0, 6, "raw caf\xc3\xa9");
    ASSERT_STR_AT(b, 0, 7, "key escaped");
    ASSERT_STR_AT(b, 0, 8, "ends with backslash\\");
    ASSERT_EQ_INT(x->bad.n, 4);
    ASSERT_EQ_INT(x->bad.line[0], 8);
    ASSERT_CONTAINS(x->bad.why[0], "invalid escape at byte 11");
    ASSERT_EQ_INT(x->bad.line[1], 9);
    ASSERT_CONTAINS(x->bad.why[1], "invalid \\u escape");
    ASSERT_EQ_INT(x->bad.line[2], 10);
    ASSERT_CONTAINS(x->bad.why[2], "control character in string at byte 10");
    ASSERT_EQ_INT(x->bad.line[3], 13);
    ASSERT_CONTAINS(x->bad.why[3], "unterminated string");
    run_free(x);
    sp_reader_destroy(r);
}

TEST(json_raw_varchar_and_skip)
{
    sp_reader *r = reader(SP_FMT_JSON, "s VARCHAR, n BIGINT", NULL);
    run *x = parse(
        r, "{\"s\":12.50,\"n\":1}\n"
           "{\"s\":true}\n"
           "{\"s\":{\"a\": [1, {\"b\": \"}]\\\"\"}]},\"n\":2}\n"
           "{\"s\":[1,2 , 3]}\n"
           "{\"x\":{\"deep\":[[[{\"q\":\"]]}\"}]]]},\"y\":[\"\\\"\",null],"
           "\"z\":\"skip \\u0041\",\"w\":-1.5e-3,\"v\":false,\"u\":null,"
           "\"n\":3}\n"
           "{\"x\":NaN,\"y\":-Infinity,\"n\":4}\n"
           "{\"x\":{\"a\":1]}\n"
           "{\"x\":[1,2}\n"
           "{\"x\":tru}\n"
           "{\"x\":\"abc}\n");
    ASSERT_OK(x->rc, &x->err);
    sp_batch *b = &x->b;
    ASSERT_EQ_INT(b->n_rows, 6);
    ASSERT_STR_AT(b, 0, 0, "12.50");
    ASSERT_STR_AT(b, 0, 1, "true");
    ASSERT_STR_AT(b, 0, 2, "{\"a\": [1, {\"b\": \"}]\\\"\"}]}");
    ASSERT_EQ_INT(b->cols[1].d.i64[2], 2);
    ASSERT_STR_AT(b, 0, 3, "[1,2 , 3]");
    ASSERT(isnull(b, 0, 4));
    ASSERT_EQ_INT(b->cols[1].d.i64[4], 3);
    ASSERT_EQ_INT(b->cols[1].d.i64[5], 4);
    ASSERT_EQ_INT(x->bad.n, 4);
    ASSERT_CONTAINS(x->bad.why[0], "mismatched bracket");
    ASSERT_CONTAINS(x->bad.why[1], "mismatched bracket");
    ASSERT_CONTAINS(x->bad.why[2], "invalid value");
    ASSERT_CONTAINS(x->bad.why[3], "unterminated string");
    run_free(x);
    sp_reader_destroy(r);
}

TEST(json_keys_order_and_case)
{
    sp_reader *r =
        reader(SP_FMT_JSON, "userId BIGINT, b BIGINT, c BIGINT", NULL);
    run *x = parse(r, "{\"userId\":1,\"b\":2,\"c\":3}\n"
                      "{\"c\":30,\"userId\":10,\"b\":20}\n"
                      "{\"userId\":100,\"x\":0,\"b\":200,\"c\":300}\n"
                      "{\"USERID\":7,\"B\":8}\n"
                      "{\"userid\":5,\"userId\":6}\n"
                      "{\"userI\":1,\"userIdd\":2,\"\":3}\n");
    ASSERT_OK(x->rc, &x->err);
    ASSERT_EQ_INT(x->bad.n, 0);
    sp_batch *b = &x->b;
    ASSERT_EQ_INT(b->n_rows, 6);
    int64_t want[6][3] = {{1, 2, 3},  {10, 20, 30}, {100, 200, 300},
                          {7, 8, -1}, {6, -1, -1},  {-1, -1, -1}};
    for (uint32_t i = 0; i < 6; i++) {
        for (uint32_t c = 0; c < 3; c++) {
            if (want[i][c] < 0) {
                ASSERT(isnull(b, c, i));
            } else {
                ASSERT(!isnull(b, c, i));
                ASSERT_EQ_INT(b->cols[c].d.i64[i], want[i][c]);
            }
        }
    }
    run_free(x);
    sp_reader_destroy(r);
}

TEST(json_bad_lines)
{
    sp_reader *r = reader(SP_FMT_JSON, "a BIGINT", NULL);
    run *x = parse(r, "{\"a\":1}\n"                    /* 1 */
                      "[1,2]\n"                        /* 2 */
                      "\n"                             /* 3 blank */
                      "   \t \n"                       /* 4 blank */
                      "{\"a\":2} x\n"                  /* 5 */
                      "{\"a\" 3}\n"                    /* 6 */
                      "{\"a\":3,}\n"                   /* 7 */
                      "{a:3}\n"                        /* 8 */
                      "{\"a\":4\n"                     /* 9 */
                      "\"str\"\n"                      /* 10 */
                      "{\"a\":5}{\"a\":6}\n"           /* 11 */
                      "  {\"a\" : 7 , \"b\" : 8 }  \n" /* 12 */
                      "{\"a\":\n"                      /* 13 */
                      "{\"a\":8}");                    /* 14, no newline */
    ASSERT_OK(x->rc, &x->err);
    sp_batch *b = &x->b;
    ASSERT_EQ_INT(b->n_rows, 3);
    ASSERT_EQ_INT(b->cols[0].d.i64[0], 1);
    ASSERT_EQ_INT(b->cols[0].d.i64[1], 7);
    ASSERT_EQ_INT(b->cols[0].d.i64[2], 8);
    ASSERT_EQ_INT(x->line_no, 15);
    ASSERT_EQ_INT(x->pos, x->len);
    ASSERT_EQ_INT(x->bad.n, 9);
    uint64_t lines[] = {2, 5, 6, 7, 8, 9, 10, 11, 13};
    for (int i = 0; i < 9; i++) ASSERT_EQ_INT(x->bad.line[i], lines[i]);
    ASSERT_EQ_STR(x->bad.why[0], "expected '{' (a JSON object) at byte 1");
    ASSERT_EQ_STR(x->bad.why[1], "unexpected text after the object at byte 9");
    ASSERT_EQ_STR(x->bad.why[2], "expected ':' at byte 6");
    ASSERT_EQ_STR(x->bad.why[3], "expected '\"' (a key) at byte 8");
    ASSERT_EQ_STR(x->bad.why[4], "expected '\"' (a key) at byte 2");
    ASSERT_EQ_STR(x->bad.why[5], "expected ',' or '}' at byte 7");
    ASSERT_CONTAINS(x->bad.why[6], "expected '{'");
    ASSERT_CONTAINS(x->bad.why[7], "unexpected text after the object");
    ASSERT_EQ_STR(x->bad.why[8], "expected a value at byte 6");
    ASSERT_EQ_STR(x->bad.text[1], "{\"a\":2} x");
    run_free(x);
    sp_reader_destroy(r);
}

TEST(json_crlf_and_final_line)
{
    sp_reader *r = reader(SP_FMT_JSON, "s VARCHAR, a BIGINT", NULL);
    run *x = parse(r, "{\"s\":\"x\",\"a\":1}\r\n"
                      "\r\n"
                      "{\"s\":\"y\"}\r\n"
                      "{\"s\":\"bad\r\n"
                      "{\"a\":3}\r");
    ASSERT_OK(x->rc, &x->err);
    ASSERT_EQ_INT(x->b.n_rows, 3);
    ASSERT_STR_AT(&x->b, 0, 0, "x");
    ASSERT_STR_AT(&x->b, 0, 1, "y");
    ASSERT_EQ_INT(x->b.cols[1].d.i64[2], 3);
    ASSERT_EQ_INT(x->bad.n, 1);
    ASSERT_EQ_INT(x->bad.line[0], 4);
    ASSERT_EQ_STR(x->bad.text[0], "{\"s\":\"bad");
    ASSERT_EQ_INT(x->line_no, 6);
    run_free(x);
    /* Final line without newline, ending exactly at the buffer end. */
    x = parse(r, "{\"a\":12345}");
    ASSERT_EQ_INT(x->b.n_rows, 1);
    ASSERT_EQ_INT(x->b.cols[1].d.i64[0], 12345);
    ASSERT_EQ_INT(x->line_no, 2);
    run_free(x);
    x = parse(r, "{\"s\":\"abc\"}");
    ASSERT_EQ_INT(x->b.n_rows, 1);
    ASSERT_STR_AT(&x->b, 0, 0, "abc");
    run_free(x);
    x = parse(r, "\xEF\xBB\xBF{\"a\":1}\n");
    ASSERT_EQ_INT(x->bad.n, 0);
    ASSERT_EQ_INT(x->b.n_rows, 1);
    run_free(x);
    x = parse(r, "");
    ASSERT_OK(x->rc, &x->err);
    ASSERT_EQ_INT(x->b.n_rows, 0);
    ASSERT_EQ_INT(x->line_no, 1);
    run_free(x);
    sp_reader_destroy(r);
}

TEST(json_stop_on_bad)
{
    sp_reader *r = reader(SP_FMT_JSON, "a BIGINT", NULL);
    const char *text = "{\"a\":1}\n{\"a\":2}\n\n{\"a\":x}\n{\"a\":4}\n";
    size_t len = strlen(text);
    char *buf = dup_exact(text, len);
    sp_arena *ar = sp_arena_create(4096);
    bad_log bad = {0};
    bad.stop_at = 1;
    sp_err err;
    sp_err_clear(&err);
    size_t pos = 0;
    uint64_t line_no = 1;
    sp_batch b;
    int rc = sp_reader_parse(r, buf, len, &pos, &line_no, true, 100, &b, ar,
                             on_bad, &bad, &err);
    ASSERT_EQ_INT(rc, SP_EDATA);
    ASSERT_EQ_INT(err.code, SP_EDATA);
    ASSERT_CONTAINS(err.msg, "line 4");
    ASSERT_EQ_INT(err.line, 4);
    ASSERT_EQ_INT(err.col, 6);
    ASSERT_EQ_INT(bad.n, 1);
    ASSERT_EQ_INT(b.n_rows, 2);
    ASSERT_EQ_INT(line_no, 4);
    ASSERT_EQ_INT(pos, 17);
    /* Without a callback bad lines are skipped silently. */
    pos = 0;
    line_no = 1;
    sp_err_clear(&err);
    rc = sp_reader_parse(r, buf, len, &pos, &line_no, true, 100, &b, ar, NULL,
                         NULL, &err);
    ASSERT_EQ_INT(rc, 0);
    ASSERT_EQ_INT(b.n_rows, 3);
    ASSERT_EQ_INT(line_no, 6);
    sp_arena_destroy(ar);
    free(buf);
    sp_reader_destroy(r);
}

TEST(json_chunking)
{
    sp_reader *r = reader(SP_FMT_JSON, "a BIGINT", NULL);
    const char *text = "{\"a\":1}\n\n{\"a\":2}\n{bad}\n{\"a\":3}\n{\"a\":4}\n"
                       "\n{\"a\":5}";
    size_t len = strlen(text);
    char *buf = dup_exact(text, len);
    bad_log bad = {0};
    sp_err err;
    sp_err_clear(&err);
    size_t pos = 0;
    uint64_t line_no = 1;
    int64_t got[16];
    int n_got = 0, calls = 0;
    uint64_t lines_after[8];
    while (pos < len) {
        sp_arena *ar = sp_arena_create(4096);
        sp_batch b;
        ASSERT_OK(sp_reader_parse(r, buf, len, &pos, &line_no, pos == 0, 2, &b,
                                  ar, on_bad, &bad, &err),
                  &err);
        ASSERT(b.n_rows <= 2);
        for (uint32_t i = 0; i < b.n_rows; i++)
            got[n_got++] = b.cols[0].d.i64[i];
        lines_after[calls++] = line_no;
        sp_arena_destroy(ar);
        ASSERT(calls < 8);
    }
    ASSERT_EQ_INT(n_got, 5);
    for (int i = 0; i < 5; i++) ASSERT_EQ_INT(got[i], i + 1);
    ASSERT_EQ_INT(calls, 3);
    ASSERT_EQ_INT(lines_after[0], 4); /* rows 1,2 from lines 1..3 */
    ASSERT_EQ_INT(lines_after[1], 7); /* bad line 4, rows on 5,6 */
    ASSERT_EQ_INT(lines_after[2], 9);
    ASSERT_EQ_INT(bad.n, 1);
    ASSERT_EQ_INT(bad.line[0], 4);
    /* max_rows = 0 consumes nothing. */
    pos = 0;
    line_no = 1;
    sp_arena *ar = sp_arena_create(4096);
    sp_batch b;
    ASSERT_OK(sp_reader_parse(r, buf, len, &pos, &line_no, true, 0, &b, ar,
                              on_bad, &bad, &err),
              &err);
    ASSERT_EQ_INT(b.n_rows, 0);
    ASSERT_EQ_INT(pos, 0);
    sp_arena_destroy(ar);
    free(buf);
    sp_reader_destroy(r);
}

/* Nulls left behind by an abandoned (bad) row must not leak into the row
 * that reuses its slot. */
TEST(json_bad_row_slot_reuse)
{
    sp_reader *r = reader(SP_FMT_JSON, "a BIGINT, s VARCHAR", NULL);
    run *x = parse(r, "{\"a\":null,\"s\":null,\"x\":[}\n"
                      "{\"a\":1,\"s\":\"v\"}\n");
    ASSERT_EQ_INT(x->b.n_rows, 1);
    ASSERT(!isnull(&x->b, 0, 0));
    ASSERT(!isnull(&x->b, 1, 0));
    ASSERT_EQ_INT(x->b.cols[0].d.i64[0], 1);
    run_free(x);
    sp_reader_destroy(r);
}

/* ------------------------------------------------------------------------
 * CSV
 * ---------------------------------------------------------------------- */

TEST(csv_basic)
{
    sp_reader *r = reader(SP_FMT_CSV,
                          "i BIGINT, d DOUBLE, b BOOLEAN, s VARCHAR, "
                          "t TIMESTAMP",
                          NULL);
    run *x = parse(r, "1,1.5,true,hello,2024-01-01 10:00:00\n"
                      "-2, 2e3 ,FALSE,\"a,b\",\n"
                      ",,,,\n"
                      "3,,,\"\",\n"
                      "4,,,\"say \"\"hi\"\"\"\n"
                      "5\n"
                      "\n"
                      "6,NaN,,x\"y,\r\n"
                      "7,-Infinity,, sp ");
    ASSERT_OK(x->rc, &x->err);
    ASSERT_EQ_INT(x->bad.n, 0);
    sp_batch *b = &x->b;
    ASSERT_EQ_INT(b->n_rows, 8);
    ASSERT_EQ_INT(b->cols[0].d.i64[0], 1);
    ASSERT_EQ_DBL(b->cols[1].d.f64[0], 1.5);
    ASSERT_EQ_INT(b->cols[2].d.b[0], 1);
    ASSERT_STR_AT(b, 3, 0, "hello");
    int64_t ts;
    sp_ts_parse("2024-01-01 10:00:00", 19, &ts);
    ASSERT_EQ_INT(b->cols[4].d.i64[0], ts);
    ASSERT_EQ_INT(b->cols[0].d.i64[1], -2);
    ASSERT_EQ_DBL(b->cols[1].d.f64[1], 2000.0);
    ASSERT_EQ_INT(b->cols[2].d.b[1], 0);
    ASSERT_STR_AT(b, 3, 1, "a,b");
    ASSERT(isnull(b, 4, 1));
    for (uint32_t c = 0; c < 5; c++) ASSERT(isnull(b, c, 2));
    ASSERT_STR_AT(b, 3, 3, ""); /* quoted empty = "" */
    ASSERT_STR_AT(b, 3, 4, "say \"hi\"");
    ASSERT(isnull(b, 4, 4)); /* too few fields -> NULL */
    ASSERT_EQ_INT(b->cols[0].d.i64[5], 5);
    ASSERT(isnull(b, 1, 5) && isnull(b, 3, 5));
    ASSERT_EQ_INT(b->cols[0].d.i64[6], 6);
    ASSERT(isnan(b->cols[1].d.f64[6]));
    ASSERT_STR_AT(b, 3, 6, "x\"y");
    ASSERT(isnull(b, 4, 6));
    ASSERT(isinf(b->cols[1].d.f64[7]));
    ASSERT_STR_AT(b, 3, 7, " sp ");
    ASSERT_EQ_INT(x->line_no, 10);
    run_free(x);
    sp_reader_destroy(r);
}

TEST(csv_options_header)
{
    sp_format_opts o;
    sp_format_opts_default(&o);
    o.delimiter = ';';
    o.quote = '\'';
    o.header = true;
    o.null_value = "NA";
    sp_reader *r = reader(SP_FMT_CSV, "a BIGINT, s VARCHAR", &o);
    run *x = parse(r, "\na;s\n1;'x;y'\nNA;NA\n2;'it''s'\n3;\n");
    ASSERT_OK(x->rc, &x->err);
    ASSERT_EQ_INT(x->bad.n, 0);
    sp_batch *b = &x->b;
    ASSERT_EQ_INT(b->n_rows, 4);
    ASSERT_EQ_INT(b->cols[0].d.i64[0], 1);
    ASSERT_STR_AT(b, 1, 0, "x;y");
    ASSERT(isnull(b, 0, 1) && isnull(b, 1, 1));
    ASSERT_STR_AT(b, 1, 2, "it's");
    ASSERT(isnull(b, 1, 3));
    run_free(x);
    /* Header skipping only at the start of a file. */
    const char *text = "5;a\n6;b\n";
    char *buf = dup_exact(text, strlen(text));
    sp_arena *ar = sp_arena_create(4096);
    sp_err err;
    sp_err_clear(&err);
    size_t pos = 0;
    uint64_t line_no = 1;
    sp_batch bb;
    ASSERT_OK(sp_reader_parse(r, buf, strlen(text), &pos, &line_no, false, 10,
                              &bb, ar, NULL, NULL, &err),
              &err);
    ASSERT_EQ_INT(bb.n_rows, 2);
    sp_arena_destroy(ar);
    free(buf);
    sp_reader_destroy(r);
}

TEST(csv_multiline_and_bad)
{
    sp_reader *r = reader(SP_FMT_CSV, "a BIGINT, s VARCHAR", NULL);
    run *x = parse(r, "1,\"line1\nline2\r\nline3\"\n" /* lines 1-3 */
                      "x,bad int\n"                   /* 4 */
                      "2,ok\n"                        /* 5 */
                      "3,a,extra\n"                   /* 6 */
                      "4,\"q\"junk\n"                 /* 7 */
                      "zz,\"multi\nline\"\n"          /* 8-9 */
                      "5,\"open\n"                    /* 10: unterminated */
                      "6,after\n"                     /* 11 */
                      "99999999999999999999,x\n"      /* 12 */
                      "7,\"\"\"\"\n");                /* 13 */
    ASSERT_OK(x->rc, &x->err);
    sp_batch *b = &x->b;
    ASSERT_EQ_INT(b->n_rows, 4);
    ASSERT_EQ_INT(b->cols[0].d.i64[0], 1);
    ASSERT_STR_AT(b, 1, 0, "line1\nline2\r\nline3");
    ASSERT_EQ_INT(b->cols[0].d.i64[1], 2);
    ASSERT_EQ_INT(b->cols[0].d.i64[2], 6);
    ASSERT_STR_AT(b, 1, 2, "after");
    ASSERT_EQ_INT(b->cols[0].d.i64[3], 7);
    ASSERT_STR_AT(b, 1, 3, "\"");
    ASSERT_EQ_INT(x->bad.n, 6);
    uint64_t lines[] = {4, 6, 7, 8, 10, 12};
    for (int i = 0; i < 6; i++) ASSERT_EQ_INT(x->bad.line[i], lines[i]);
    ASSERT_EQ_STR(x->bad.why[0],
                  "column \"a\" (field 1): expected BIGINT, got \"x\"");
    ASSERT_CONTAINS(x->bad.why[1], "too many fields: expected 2");
    ASSERT_CONTAINS(x->bad.why[2], "after closing quote at byte 6");
    ASSERT_EQ_STR(x->bad.text[3], "zz,\"multi\nline\"");
    ASSERT_CONTAINS(x->bad.why[4], "unterminated quoted field at byte 3");
    ASSERT_EQ_STR(x->bad.text[4], "5,\"open");
    ASSERT_CONTAINS(x->bad.why[5], "out of BIGINT range");
    ASSERT_EQ_INT(x->line_no, 14);
    run_free(x);
    sp_reader_destroy(r);
}

TEST(csv_chunking_multiline)
{
    sp_reader *r = reader(SP_FMT_CSV, "s VARCHAR", NULL);
    const char *text = "\"a\nb\"\n\"c\nd\ne\"\nf\n";
    size_t len = strlen(text);
    char *buf = dup_exact(text, len);
    sp_err err;
    sp_err_clear(&err);
    size_t pos = 0;
    uint64_t line_no = 1;
    sp_arena *ar = sp_arena_create(4096);
    sp_batch b;
    ASSERT_OK(sp_reader_parse(r, buf, len, &pos, &line_no, true, 1, &b, ar,
                              NULL, NULL, &err),
              &err);
    ASSERT_EQ_INT(b.n_rows, 1);
    ASSERT_STR_AT(&b, 0, 0, "a\nb");
    ASSERT_EQ_INT(line_no, 3);
    ASSERT_OK(sp_reader_parse(r, buf, len, &pos, &line_no, false, 1, &b, ar,
                              NULL, NULL, &err),
              &err);
    ASSERT_STR_AT(&b, 0, 0, "c\nd\ne");
    ASSERT_EQ_INT(line_no, 6);
    ASSERT_OK(sp_reader_parse(r, buf, len, &pos, &line_no, false, 1, &b, ar,
                              NULL, NULL, &err),
              &err);
    ASSERT_STR_AT(&b, 0, 0, "f");
    ASSERT_EQ_INT(line_no, 7);
    ASSERT_EQ_INT(pos, len);
    sp_arena_destroy(ar);
    free(buf);
    sp_reader_destroy(r);
}

/* ------------------------------------------------------------------------
 * Text
 * ---------------------------------------------------------------------- */

TEST(text_lines)
{
    sp_reader *r = reader(SP_FMT_TEXT, "value VARCHAR", NULL);
    run *x = parse(r, "hello\n\nwith cr\r\n  spaces  \nlast");
    ASSERT_OK(x->rc, &x->err);
    sp_batch *b = &x->b;
    ASSERT_EQ_INT(b->n_rows, 5);
    ASSERT_STR_AT(b, 0, 0, "hello");
    ASSERT_STR_AT(b, 0, 1, "");
    ASSERT_STR_AT(b, 0, 2, "with cr");
    ASSERT_STR_AT(b, 0, 3, "  spaces  ");
    ASSERT_STR_AT(b, 0, 4, "last");
    ASSERT_EQ_INT(x->line_no, 6);
    run_free(x);
    x = parse(r, "a\n\n");
    ASSERT_EQ_INT(x->b.n_rows, 2);
    ASSERT_STR_AT(&x->b, 0, 1, "");
    run_free(x);
    sp_reader_destroy(r);
}

/* ------------------------------------------------------------------------
 * Writers
 * ---------------------------------------------------------------------- */

/* A batch of 4 rows over (s VARCHAR, i BIGINT, d DOUBLE, b BOOLEAN,
 * t TIMESTAMP, v INTERVAL). */
static sp_batch *writer_batch(sp_arena *a, sp_schema **schema)
{
    *schema = schema_of("s VARCHAR, i BIGINT, d DOUBLE, b BOOLEAN, "
                        "t TIMESTAMP, v INTERVAL");
    sp_batch *b = sp_arena_zalloc(a, sizeof *b);
    b->n_rows = 4;
    b->n_cols = 6;
    b->arena = a;
    b->cols = sp_arena_zalloc(a, 6 * sizeof(sp_vec));
    for (uint32_t c = 0; c < 6; c++)
        sp_vec_alloc(&b->cols[c], (*schema)->fields[c].type, 4, true, a);
    sp_vec *v = b->cols;
    v[0].d.str[0] = SP_STR_LIT("plain");
    v[0].d.str[1] = SP_STR_LIT("q\"b\\n\n\x01\x1f caf\xc3\xa9, x");
    v[0].d.str[2] = SP_STR_LIT("");
    v[0].nulls[3] = 1;
    v[1].d.i64[0] = 42;
    v[1].d.i64[1] = INT64_MIN;
    v[1].d.i64[2] = 0;
    v[1].nulls[3] = 1;
    v[2].d.f64[0] = 1.0;
    v[2].d.f64[1] = NAN;
    v[2].d.f64[2] = 1e7;
    v[2].d.f64[3] = -INFINITY;
    v[3].d.b[0] = 1;
    v[3].d.b[1] = 0;
    v[3].nulls[2] = 1;
    v[3].nulls[3] = 1;
    sp_ts_parse("2024-01-01 10:00:00", 19, &v[4].d.i64[0]);
    v[4].d.i64[1] = v[4].d.i64[0] + 1;
    v[4].nulls[2] = 1;
    v[4].nulls[3] = 1;
    v[5].d.i64[0] = 10 * SP_USEC_PER_SEC;
    v[5].nulls[1] = v[5].nulls[2] = v[5].nulls[3] = 1;
    return b;
}

TEST(write_json)
{
    sp_arena *a = sp_arena_create(4096);
    sp_schema *schema;
    sp_batch *b = writer_batch(a, &schema);
    sp_buf out;
    sp_buf_init(&out);
    ASSERT_EQ_INT(sp_write_rows(SP_FMT_JSON, schema, b, &out), 0);
    char iv[64];
    sp_interval_format(10 * SP_USEC_PER_SEC, iv);
    char want[1024];
    snprintf(want, sizeof want,
             "{\"s\":\"plain\",\"i\":42,\"d\":1.0,\"b\":true,"
             "\"t\":\"2024-01-01T10:00:00.000Z\",\"v\":\"%s\"}\n"
             "{\"s\":\"q\\\"b\\\\n\\n\\u0001\\u001F caf\xc3\xa9, x\","
             "\"i\":-9223372036854775808,\"d\":\"NaN\",\"b\":false,"
             "\"t\":\"2024-01-01T10:00:00.000001Z\"}\n"
             "{\"s\":\"\",\"i\":0,\"d\":1.0E7}\n"
             "{\"d\":\"-Infinity\"}\n",
             iv);
    ASSERT_EQ_MEM(out.data, out.len, want);
    ASSERT_EQ_INT(out.data[out.len], 0);

    /* Selection vector: rows 3 then 0. */
    uint32_t sel[] = {3, 0};
    b->sel = sel;
    b->n_sel = 2;
    out.len = 0;
    ASSERT_EQ_INT(sp_write_rows(SP_FMT_JSON, schema, b, &out), 0);
    ASSERT(out.len > 0 && strncmp(out.data,
                                  "{\"d\":\"-Infinity\"}\n{\"s\":"
                                  "\"plain\"",
                                  25) == 0);
    /* Round trip: the JSON we write reads back. */
    b->sel = NULL;
    out.len = 0;
    sp_write_rows(SP_FMT_JSON, schema, b, &out);
    sp_err err;
    sp_err_clear(&err);
    sp_reader *r = sp_reader_create(SP_FMT_JSON, schema, NULL, &err);
    size_t pos = 0;
    uint64_t ln = 1;
    sp_batch rb;
    bad_log bad = {0};
    ASSERT_OK(sp_reader_parse(r, out.data, out.len, &pos, &ln, true, 10, &rb, a,
                              on_bad, &bad, &err),
              &err);
    ASSERT_EQ_INT(bad.n, 0);
    ASSERT_EQ_INT(rb.n_rows, 4);
    ASSERT_STR_AT(&rb, 0, 1, "q\"b\\n\n\x01\x1f caf\xc3\xa9, x");
    ASSERT_EQ_INT(rb.cols[1].d.i64[1], INT64_MIN);
    ASSERT(isnan(rb.cols[2].d.f64[1]));
    ASSERT_EQ_INT(rb.cols[4].d.i64[1], b->cols[4].d.i64[1]);
    ASSERT_EQ_INT(rb.cols[5].d.i64[0], 10 * SP_USEC_PER_SEC);
    ASSERT(isnull(&rb, 0, 3) && isnull(&rb, 3, 2));
    sp_reader_destroy(r);
    sp_buf_free(&out);
    sp_arena_destroy(a);
}

TEST(write_csv_text)
{
    sp_arena *a = sp_arena_create(4096);
    sp_schema *schema;
    sp_batch *b = writer_batch(a, &schema);
    sp_buf out;
    sp_buf_init(&out);
    ASSERT_EQ_INT(sp_write_csv_header(schema, &out), 0);
    ASSERT_EQ_INT(sp_write_rows(SP_FMT_CSV, schema, b, &out), 0);
    char iv[64];
    sp_interval_format(10 * SP_USEC_PER_SEC, iv);
    char want[1024];
    snprintf(want, sizeof want,
             "s,i,d,b,t,v\n"
             "plain,42,1.0,true,2024-01-01T10:00:00.000Z,%s\n"
             "\"q\"\"b\\n\n\x01\x1f caf\xc3\xa9, x\",-9223372036854775808,"
             "NaN,false,2024-01-01T10:00:00.000001Z,\n"
             "\"\",0,1.0E7,,,\n"
             ",,-Infinity,,,\n",
             iv);
    ASSERT_EQ_MEM(out.data, out.len, want);
    out.len = 0;
    sp_schema *s2 = schema_of("a VARCHAR, b VARCHAR");
    sp_batch b2 = *b;
    b2.n_cols = 2;
    sp_vec cols[2] = {b->cols[0], b->cols[0]};
    cols[1].d.str = sp_arena_zalloc(a, 4 * sizeof(sp_str));
    cols[1].nulls = NULL;
    cols[1].d.str[0] = SP_STR_LIT(" lead");
    cols[1].d.str[1] = SP_STR_LIT("trail ");
    cols[1].d.str[2] = SP_STR_LIT("cr\rx");
    cols[1].d.str[3] = SP_STR_LIT("ok");
    b2.cols = cols;
    ASSERT_EQ_INT(sp_write_rows(SP_FMT_CSV, s2, &b2, &out), 0);
    ASSERT_EQ_MEM(out.data, out.len,
                  "plain,\" lead\"\n"
                  "\"q\"\"b\\n\n\x01\x1f caf\xc3\xa9, x\",\"trail \"\n"
                  "\"\",\"cr\rx\"\n"
                  ",ok\n");
    /* The CSV we write reads back. */
    sp_err err;
    sp_err_clear(&err);
    sp_reader *r = sp_reader_create(SP_FMT_CSV, s2, NULL, &err);
    size_t pos = 0;
    uint64_t ln = 1;
    sp_batch rb;
    ASSERT_OK(sp_reader_parse(r, out.data, out.len, &pos, &ln, true, 10, &rb, a,
                              NULL, NULL, &err),
              &err);
    ASSERT_EQ_INT(rb.n_rows, 4);
    ASSERT_STR_AT(&rb, 0, 1, "q\"b\\n\n\x01\x1f caf\xc3\xa9, x");
    ASSERT_STR_AT(&rb, 0, 2, "");
    ASSERT(isnull(&rb, 0, 3));
    ASSERT_STR_AT(&rb, 1, 2, "cr\rx");
    sp_reader_destroy(r);

    /* Text: the value, NULL as an empty line; selection honoured. */
    out.len = 0;
    sp_schema *s3 = schema_of("value VARCHAR");
    sp_batch b3 = *b;
    b3.n_cols = 1;
    uint32_t sel[] = {3, 2, 0};
    b3.sel = sel;
    b3.n_sel = 3;
    ASSERT_EQ_INT(sp_write_rows(SP_FMT_TEXT, s3, &b3, &out), 0);
    ASSERT_EQ_MEM(out.data, out.len, "\n\nplain\n");
    sp_buf_free(&out);
    sp_arena_destroy(a);
}

/* ------------------------------------------------------------------------
 * Fuzz
 * ---------------------------------------------------------------------- */

static uint64_t fz = 88172645463325252ULL;
static uint64_t fz_next(void)
{
    fz ^= fz << 13;
    fz ^= fz >> 7;
    fz ^= fz << 17;
    return fz;
}

/* Random batches written by sp_write_rows read back identically (JSON and
 * CSV), across strings with quotes, escapes, control bytes and UTF-8. */
TEST(roundtrip_random)
{
    static const char *const pieces[] = {"a",
                                         "Z",
                                         " ",
                                         ",",
                                         "\"",
                                         "\\",
                                         "\n",
                                         "\r",
                                         "\t",
                                         "\x01",
                                         "\x1f",
                                         "\xc3\xa9",
                                         "\xe2\x82\xac",
                                         "\xf0\x9f\x98\x80",
                                         "{",
                                         "]",
                                         "u00",
                                         "/"};
    sp_schema *schema = schema_of("s VARCHAR, i BIGINT, d DOUBLE, "
                                  "b BOOLEAN, t TIMESTAMP, v INTERVAL");
    const uint32_t n = 300;
    for (int kind = 0; kind < 2; kind++) {
        sp_format_kind k = kind == 0 ? SP_FMT_JSON : SP_FMT_CSV;
        sp_arena *a = sp_arena_create(1 << 16);
        sp_batch b = {n, 6, NULL, NULL, 0, a};
        b.cols = sp_arena_zalloc(a, 6 * sizeof(sp_vec));
        for (uint32_t c = 0; c < 6; c++)
            sp_vec_alloc(&b.cols[c], schema->fields[c].type, n, true, a);
        for (uint32_t i = 0; i < n; i++) {
            for (uint32_t c = 0; c < 6; c++)
                b.cols[c].nulls[i] = fz_next() % 7 == 0;
            char *str = sp_arena_alloc(a, 64);
            size_t len = 0;
            int parts = (int)(fz_next() % 8);
            for (int q = 0; q < parts; q++) {
                const char *pc = pieces[fz_next() % SP_ARRAY_LEN(pieces)];
                memcpy(str + len, pc, strlen(pc));
                len += strlen(pc);
            }
            b.cols[0].d.str[i] = sp_str_make(str, len);
            b.cols[1].d.i64[i] = (int64_t)fz_next() >> (fz_next() % 64);
            uint64_t bits = fz_next();
            double d;
            memcpy(&d, &bits, 8);
            if (isnan(d) || fz_next() % 3 == 0)
                d = (double)(int64_t)(fz_next() % 2000000) / 1000.0;
            b.cols[2].d.f64[i] = d;
            b.cols[3].d.b[i] = fz_next() & 1;
            b.cols[4].d.i64[i] =
                (int64_t)(fz_next() % (300LL * 365 * SP_USEC_PER_DAY)) -
                100LL * 365 * SP_USEC_PER_DAY;
            b.cols[5].d.i64[i] = (int64_t)(fz_next() % (40 * SP_USEC_PER_DAY));
        }
        sp_buf out;
        sp_buf_init(&out);
        ASSERT_EQ_INT(sp_write_rows(k, schema, &b, &out), 0);
        sp_err err;
        sp_err_clear(&err);
        sp_reader *r = sp_reader_create(k, schema, NULL, &err);
        char *buf = dup_exact(out.data, out.len);
        size_t pos = 0;
        uint64_t ln = 1;
        sp_batch rb;
        bad_log bad = {0};
        ASSERT_OK(sp_reader_parse(r, buf, out.len, &pos, &ln, true, n, &rb, a,
                                  on_bad, &bad, &err),
                  &err);
        if (bad.n)
            TEST_FAIL_("kind %d line %llu: %s", kind,
                       (unsigned long long)bad.line[0], bad.why[0]);
        ASSERT_EQ_INT(rb.n_rows, n);
        ASSERT_EQ_INT(pos, out.len);
        for (uint32_t i = 0; i < n; i++) {
            for (uint32_t c = 0; c < 6; c++) {
                bool wn = sp_vec_is_null(&b.cols[c], i);
                if (wn != isnull(&rb, c, i))
                    TEST_FAIL_("kind %d row %u col %u: null mismatch", kind, i,
                               c);
                if (wn) continue;
                sp_value x, y;
                sp_vec_get(&b.cols[c], i, &x);
                sp_vec_get(&rb.cols[c], i, &y);
                bool eq;
                switch (x.type) {
                case SP_T_VARCHAR:
                    eq = sp_str_eq(x.v.s, y.v.s);
                    break;
                case SP_T_DOUBLE:
                    eq = x.v.d == y.v.d || (isnan(x.v.d) && isnan(y.v.d));
                    break;
                case SP_T_BOOL:
                    eq = x.v.b == y.v.b;
                    break;
                default:
                    eq = x.v.i == y.v.i;
                }
                if (!eq)
                    TEST_FAIL_("kind %d row %u col %u differs", kind, i, c);
            }
        }
        free(buf);
        sp_reader_destroy(r);
        sp_buf_free(&out);
        sp_arena_destroy(a);
    }
}

static void fuzz_kind(sp_format_kind kind, const char *spec,
                      const char *const *seeds, size_t n_seeds, int iters)
{
    sp_reader *r = reader(kind, spec, NULL);
    static const char alphabet[] = "{}[]\":,\\ \n\r\t0123456789-+.eEtrufalsn"
                                   "NaIiy\x01\x80\xff\xc3";
    char tmp[1024];
    for (int it = 0; it < iters; it++) {
        /* Concatenate a few seeds, then mutate bytes. */
        size_t len = 0;
        int parts = 1 + (int)(fz_next() % 3);
        for (int k = 0; k < parts; k++) {
            const char *s = seeds[fz_next() % n_seeds];
            size_t n = strlen(s);
            if (len + n + 1 >= sizeof tmp) break;
            memcpy(tmp + len, s, n);
            len += n;
            if (fz_next() % 4) tmp[len++] = '\n';
        }
        int muts = (int)(fz_next() % 6);
        for (int m = 0; m < muts && len > 0; m++) {
            size_t at = fz_next() % len;
            switch (fz_next() % 4) {
            case 0:
                tmp[at] = alphabet[fz_next() % (sizeof alphabet - 1)];
                break;
            case 1:
                tmp[at] = (char)fz_next();
                break;
            case 2: /* delete */
                memmove(tmp + at, tmp + at + 1, len - at - 1);
                len--;
                break;
            default: /* truncate */
                len = at;
                break;
            }
        }
        char *buf = dup_exact(tmp, len);
        sp_arena *ar = sp_arena_create(1024);
        size_t pos = 0;
        uint64_t ln = 1;
        uint32_t max_rows = 1 + (uint32_t)(fz_next() % 4);
        int guard = 0;
        while (pos < len && guard++ < 2000) {
            sp_batch b;
            sp_err err;
            sp_err_clear(&err);
            bad_log bad = {0};
            size_t before = pos;
            int rc = sp_reader_parse(r, buf, len, &pos, &ln, before == 0,
                                     max_rows, &b, ar, on_bad, &bad, &err);
            ASSERT_EQ_INT(rc, 0);
            ASSERT(pos > before && pos <= len);
            ASSERT(b.n_rows <= max_rows);
            /* Touch every value so ASan sees bad views. */
            for (uint32_t c = 0; c < b.n_cols; c++) {
                for (uint32_t i = 0; i < b.n_rows; i++) {
                    if (sp_vec_is_null(&b.cols[c], i)) continue;
                    if (b.cols[c].type == SP_T_VARCHAR) {
                        sp_str s = b.cols[c].d.str[i];
                        volatile unsigned sum = 0;
                        for (uint32_t k = 0; k < s.len; k++)
                            sum += (unsigned char)s.ptr[k];
                        (void)sum;
                    }
                }
            }
        }
        ASSERT_EQ_INT(pos, len);
        sp_arena_destroy(ar);
        free(buf);
    }
    sp_reader_destroy(r);
}

TEST(json_fuzz)
{
    static const char *const seeds[] = {
        ("{\"user_id\": \"3f1a2b4c-1111-2222-3333-444455556666\", "
         "\"event_type\": \"view\", \"event_time\": 1700000000123, "
         "\"ip_address\": \"10.0.0.1\"}"),
        ("{\"event_type\":\"cl\\u00e9ck\\ud83d\\ude00\",\"d\":-1.5e-3,"
         "\"b\":true,\"t\":\"2024-01-01T00:00:00Z\",\"v\":\"10 seconds\"}"),
        "{\"x\":{\"a\":[1,{\"b\":\"}]\\\"\"}]},\"s\":[1,2],\"n\":null}",
        "{\"t\":1.5,\"d\":NaN,\"s\":\"esc\\\\\\\"\",\"event_time\":-0}",
        "  {}  ",
        "",
        "[1]",
    };
    fuzz_kind(SP_FMT_JSON,
              "user_id VARCHAR, event_type VARCHAR, event_time BIGINT, "
              "d DOUBLE, b BOOLEAN, t TIMESTAMP, v INTERVAL, s VARCHAR",
              seeds, SP_ARRAY_LEN(seeds), 200000);
}

TEST(csv_text_fuzz)
{
    static const char *const seeds[] = {
        "1,\"a,b\",2.5,true,2024-01-01 10:00:00",
        "\"multi\nline\",\"x\"\"y\",,",
        "-5,,NaN,FALSE,",
        "\"unterminated,1",
        "a,b,c,d,e,f,g",
    };
    fuzz_kind(SP_FMT_CSV,
              "a BIGINT, s VARCHAR, d DOUBLE, b BOOLEAN, "
              "t TIMESTAMP",
              seeds, SP_ARRAY_LEN(seeds), 100000);
    fuzz_kind(SP_FMT_TEXT, "value VARCHAR", seeds, SP_ARRAY_LEN(seeds), 5000);
}

int main(int argc, char **argv)
{
    return test_main(argc, argv,
                     (test_case[]){TEST_CASE(format_names),
                                   TEST_CASE(json_types),
                                   TEST_CASE(json_numbers),
                                   TEST_CASE(json_type_mismatch),
                                   TEST_CASE(json_null_missing_duplicates),
                                   TEST_CASE(json_escapes),
                                   TEST_CASE(json_raw_varchar_and_skip),
                                   TEST_CASE(json_keys_order_and_case),
                                   TEST_CASE(json_bad_lines),
                                   TEST_CASE(json_crlf_and_final_line),
                                   TEST_CASE(json_stop_on_bad),
                                   TEST_CASE(json_chunking),
                                   TEST_CASE(json_bad_row_slot_reuse),
                                   TEST_CASE(csv_basic),
                                   TEST_CASE(csv_options_header),
                                   TEST_CASE(csv_multiline_and_bad),
                                   TEST_CASE(csv_chunking_multiline),
                                   TEST_CASE(text_lines),
                                   TEST_CASE(write_json),
                                   TEST_CASE(write_csv_text),
                                   TEST_CASE(roundtrip_random),
                                   TEST_CASE(json_fuzz),
                                   TEST_CASE(csv_text_fuzz),
                                   {0}});
}
