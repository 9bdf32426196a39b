/*
 * time_test.c -- timestamps, intervals and Java-exact double formatting
 * (src/core/time.c, src/core/format.c).
 */
#include "core/core.h"
#include "test.h"

#include <float.h>
#include <math.h>

static int64_t ts(const char *s)
{
    int64_t us = 0;
    if (sp_ts_parse(s, strlen(s), &us) != 0) TEST_FAIL_("no parse: %s", s);
    return us;
}

static const char *fmt_ts(int64_t us)
{
    static char buf[64];
    sp_ts_format(us, buf);
    return buf;
}

static const char *fmt_d(double d)
{
    static char buf[64];
    int n = sp_fmt_double(d, buf);
    if ((size_t)n != strlen(buf)) TEST_FAIL_("length mismatch for %s", buf);
    return buf;
}

TEST(civil_round_trip)
{
    ASSERT_EQ_INT(sp_days_from_civil(1970, 1, 1), 0);
    ASSERT_EQ_INT(sp_days_from_civil(2000, 3, 1), 11017);
    ASSERT_EQ_INT(sp_days_from_civil(1969, 12, 31), -1);
    ASSERT_EQ_INT(sp_days_from_civil(1, 1, 1), -719162);
    for (int64_t d = -800000; d < 3000000; d += 37) {
        int64_t y;
        unsigned m, dd;
        sp_civil_from_days(d, &y, &m, &dd);
        ASSERT_EQ_INT(sp_days_from_civil(y, m, dd), d);
    }
    int64_t y;
    unsigned m, dd;
    sp_civil_from_days(sp_days_from_civil(2024, 2, 29), &y, &m, &dd);
    ASSERT_EQ_INT(y, 2024);
    ASSERT_EQ_INT(m, 2);
    ASSERT_EQ_INT(dd, 29);
    sp_civil_from_days(sp_days_from_civil(9999, 12, 31), &y, &m, &dd);
    ASSERT_EQ_INT(y, 9999);
    ASSERT_EQ_INT(m, 12);
    ASSERT_EQ_INT(dd, 31);
}

TEST(ts_parse_forms)
{
    ASSERT_EQ_INT(ts("1970-01-01"), 0);
    ASSERT_EQ_INT(ts("1970-01-01 00:00:01"), 1000000);
    ASSERT_EQ_INT(ts("2024-01-31 10:00"), ts("2024-01-31T10:00:00"));
    ASSERT_EQ_INT(ts("  2024-01-31T10:00:00.123456  "),
                  ts("2024-01-31 10:00:00") + 123456);
    ASSERT_EQ_INT(ts("2024-01-31 10:00:00.1"),
                  ts("2024-01-31 10:00:00") + 100000);
    ASSERT_EQ_INT(ts("2024-01-31 10:00:00Z"), ts("2024-01-31 10:00:00"));
    ASSERT_EQ_INT(ts("2024-01-31 10:00:00+01:00"), ts("2024-01-31 09:00:00"));
    ASSERT_EQ_INT(ts("2024-01-31T10:00:00-05:30"), ts("2024-01-31 15:30:00"));
    ASSERT_EQ_INT(ts("2024-01-31 10:00:00 UTC"), ts("2024-01-31 10:00:00"));
    ASSERT_EQ_INT(ts("2024-1-5"), ts("2024-01-05"));
    ASSERT_EQ_INT(ts("2024"), ts("2024-01-01"));
    ASSERT_EQ_INT(ts("2024-02"), ts("2024-02-01"));
    /* Nanoseconds are truncated to microseconds. */
    ASSERT_EQ_INT(ts("1970-01-01 00:00:00.123456789"), 123456);
    int64_t us;
    const char *bad[] = {"",
                         "abc",
                         "2024-13-01",
                         "2023-02-29",
                         "2024-01-01 25:00",
                         "2024-01-01 10",
                         "2024-01-01x",
                         "2024-01-01 10:00:00.",
                         "2024-01-01 10:61:00"};
    for (size_t i = 0; i < SP_ARRAY_LEN(bad); i++)
        if (sp_ts_parse(bad[i], strlen(bad[i]), &us) == 0)
            TEST_FAIL_("parsed bad timestamp '%s'", bad[i]);
    ASSERT_EQ_INT(ts("2024-02-29"),
                  sp_days_from_civil(2024, 2, 29) * SP_USEC_PER_DAY);
}

TEST(ts_format)
{
    ASSERT_EQ_STR(fmt_ts(0), "1970-01-01 00:00:00");
    ASSERT_EQ_STR(fmt_ts(123000), "1970-01-01 00:00:00.123");
    ASSERT_EQ_STR(fmt_ts(100000), "1970-01-01 00:00:00.1");
    ASSERT_EQ_STR(fmt_ts(123456), "1970-01-01 00:00:00.123456");
    ASSERT_EQ_STR(fmt_ts(1), "1970-01-01 00:00:00.000001");
    /* Before 1970: floor division, never negative fields. */
    ASSERT_EQ_STR(fmt_ts(-1), "1969-12-31 23:59:59.999999");
    ASSERT_EQ_STR(fmt_ts(-500000), "1969-12-31 23:59:59.5");
    ASSERT_EQ_STR(fmt_ts(-SP_USEC_PER_DAY), "1969-12-31 00:00:00");
    ASSERT_EQ_STR(fmt_ts(ts("0001-01-01 00:00:00")), "0001-01-01 00:00:00");
    ASSERT_EQ_STR(fmt_ts(ts("9999-12-31 23:59:59.999999")),
                  "9999-12-31 23:59:59.999999");
    ASSERT_EQ_STR(fmt_ts(ts("2024-02-29 12:34:56.789")),
                  "2024-02-29 12:34:56.789");
    char buf[64];
    sp_ts_format_iso(ts("2024-01-31 10:00:00"), buf);
    ASSERT_EQ_STR(buf, "2024-01-31T10:00:00.000Z");
    sp_ts_format_iso(ts("2024-01-31 10:00:00.5"), buf);
    ASSERT_EQ_STR(buf, "2024-01-31T10:00:00.500Z");
    sp_ts_format_iso(ts("2024-01-31 10:00:00.000123"), buf);
    ASSERT_EQ_STR(buf, "2024-01-31T10:00:00.000123Z");
    sp_ts_format_iso(-1000, buf);
    ASSERT_EQ_STR(buf, "1969-12-31T23:59:59.999Z");
}

TEST(ts_round_trip)
{
    char buf[64];
    for (int64_t us = -5000000000000000LL; us < 5000000000000000LL;
         us += 123456789012345LL) {
        int n = sp_ts_format(us, buf);
        int64_t back;
        ASSERT(sp_ts_parse(buf, (size_t)n, &back) == 0);
        ASSERT_EQ_INT(back, us);
        n = sp_ts_format_iso(us, buf);
        ASSERT(sp_ts_parse(buf, (size_t)n, &back) == 0);
        ASSERT_EQ_INT(back, us);
    }
}

static int64_t iv(const char *s)
{
    int64_t us = 0;
    const char *why = NULL;
    if (sp_interval_parse(s, strlen(s), &us, &why) != 0)
        TEST_FAIL_("no parse: %s (%s)", s, why ? why : "?");
    return us;
}

TEST(interval_parse)
{
    const int64_t S = SP_USEC_PER_SEC;
    ASSERT_EQ_INT(iv("10 seconds"), 10 * S);
    ASSERT_EQ_INT(iv("1 second"), S);
    ASSERT_EQ_INT(iv("1 minute"), 60 * S);
    ASSERT_EQ_INT(iv("1 hour 30 minutes"), 5400 * S);
    ASSERT_EQ_INT(iv("500 ms"), 500000);
    ASSERT_EQ_INT(iv("500ms"), 500000);
    ASSERT_EQ_INT(iv("2 days"), 2 * SP_USEC_PER_DAY);
    ASSERT_EQ_INT(iv("1 week"), 7 * SP_USEC_PER_DAY);
    ASSERT_EQ_INT(iv("1 month"), 31 * SP_USEC_PER_DAY);
    ASSERT_EQ_INT(iv("1 year"), 12 * 31 * SP_USEC_PER_DAY);
    ASSERT_EQ_INT(iv("1.5 seconds"), 1500000);
    ASSERT_EQ_INT(iv("interval 10 seconds"), 10 * S);
    ASSERT_EQ_INT(iv("INTERVAL 10 SECONDS"), 10 * S);
    ASSERT_EQ_INT(iv("3 us"), 3);
    ASSERT_EQ_INT(iv("7 MINS"), 420 * S);
    ASSERT_EQ_INT(iv("-5 seconds"), -5 * S);
    ASSERT_EQ_INT(iv("1 day -1 hour"), 23 * 3600 * S);
    ASSERT_EQ_INT(iv("INTERVAL '0 00:00:10' DAY TO SECOND"), 10 * S);
    ASSERT_EQ_INT(iv("INTERVAL '-1 02:00:00.5' DAY TO SECOND"),
                  -(SP_USEC_PER_DAY + 7200 * S + 500000));
    ASSERT_EQ_INT(iv("'10' second"), 10 * S);
    int64_t us;
    const char *why = NULL;
    ASSERT(sp_interval_parse("10", 2, &us, &why) != 0);
    ASSERT(why != NULL);
    ASSERT(sp_interval_parse("", 0, &us, NULL) != 0);
    ASSERT(sp_interval_parse("10 fortnights", 13, &us, &why) != 0);
    ASSERT(strstr(why, "unit") != NULL);
    ASSERT(sp_interval_parse("seconds", 7, &us, NULL) != 0);
    ASSERT(sp_interval_parse("99999999999999999999 seconds", 28, &us, NULL) !=
           0);
}

TEST(interval_format)
{
    char buf[80];
    sp_interval_format(10 * SP_USEC_PER_SEC, buf);
    ASSERT_EQ_STR(buf, "INTERVAL '0 00:00:10' DAY TO SECOND");
    sp_interval_format(0, buf);
    ASSERT_EQ_STR(buf, "INTERVAL '0 00:00:00' DAY TO SECOND");
    sp_interval_format(iv("1 day 2 hours 3 minutes 4.5 seconds"), buf);
    ASSERT_EQ_STR(buf, "INTERVAL '1 02:03:04.5' DAY TO SECOND");
    sp_interval_format(-iv("1 day 1 us"), buf);
    ASSERT_EQ_STR(buf, "INTERVAL '-1 00:00:00.000001' DAY TO SECOND");
    sp_interval_format(INT64_MIN, buf);
    ASSERT_EQ_STR(buf, "INTERVAL '-106751991 04:00:54.775808' DAY TO SECOND");
    /* Round trip through the parser. */
    int64_t vals[] = {1, -1, 999999, 86400000000LL * 400 + 17, -123456789};
    for (size_t i = 0; i < SP_ARRAY_LEN(vals); i++) {
        int n = sp_interval_format(vals[i], buf);
        int64_t back;
        ASSERT(sp_interval_parse(buf, (size_t)n, &back, NULL) == 0);
        ASSERT_EQ_INT(back, vals[i]);
    }
}

TEST(double_java_format)
{
    ASSERT_EQ_STR(fmt_d(0.1), "0.1");
    ASSERT_EQ_STR(fmt_d(1.0), "1.0");
    ASSERT_EQ_STR(fmt_d(0.5), "0.5");
    ASSERT_EQ_STR(fmt_d(123.456), "123.456");
    ASSERT_EQ_STR(fmt_d(100.0), "100.0");
    ASSERT_EQ_STR(fmt_d(1.0E7), "1.0E7");
    ASSERT_EQ_STR(fmt_d(9999999.0), "9999999.0");
    ASSERT_EQ_STR(fmt_d(12345678.9), "1.23456789E7");
    ASSERT_EQ_STR(fmt_d(1.0E-3), "0.001");
    ASSERT_EQ_STR(fmt_d(9.99E-4), "9.99E-4");
    ASSERT_EQ_STR(fmt_d(1.234E-5), "1.234E-5");
    ASSERT_EQ_STR(fmt_d(1.5E-4), "1.5E-4");
    ASSERT_EQ_STR(fmt_d(1.7976931348623157E308), "1.7976931348623157E308");
    ASSERT_EQ_STR(fmt_d(4.9E-324), "4.9E-324");
    ASSERT_EQ_STR(fmt_d(DBL_MIN), "2.2250738585072014E-308");
    ASSERT_EQ_STR(fmt_d(-0.0), "-0.0");
    ASSERT_EQ_STR(fmt_d(0.0), "0.0");
    ASSERT_EQ_STR(fmt_d(NAN), "NaN");
    ASSERT_EQ_STR(fmt_d(INFINITY), "Infinity");
    ASSERT_EQ_STR(fmt_d(-INFINITY), "-Infinity");
    ASSERT_EQ_STR(fmt_d(-2.5), "-2.5");
    ASSERT_EQ_STR(fmt_d(0.1 + 0.2), "0.30000000000000004");
    ASSERT_EQ_STR(fmt_d(1.0 / 3), "0.3333333333333333");
    ASSERT_EQ_STR(fmt_d(2.0 / 3), "0.6666666666666666");
    ASSERT_EQ_STR(fmt_d(1e21), "1.0E21");
    ASSERT_EQ_STR(fmt_d(1e22), "1.0E22");
    ASSERT_EQ_STR(fmt_d(1e23), "1.0E23");
    ASSERT_EQ_STR(fmt_d(9007199254740993.0), "9.007199254740992E15");
    ASSERT_EQ_STR(fmt_d(123456789012.0), "1.23456789012E11");
    ASSERT_EQ_STR(fmt_d(-1234567.0), "-1234567.0");
    ASSERT_EQ_STR(fmt_d(0.00123), "0.00123");
    ASSERT_EQ_STR(fmt_d(3.14159), "3.14159");
    /* Every output reads back as the same double. */
    double x = 1.0;
    for (int i = 0; i < 2000; i++) {
        x = x * 1.37 + 1e-9 * i;
        if (x > 1e300) x = 1e-300 * i;
        const char *s = fmt_d(x);
        ASSERT(strtod(s, NULL) == x);
    }
}

TEST(value_format)
{
    sp_buf b;
    sp_buf_init(&b);
    sp_value v = {.type = SP_T_BOOL, .v.b = true};
    sp_value_format(&v, &b);
    v.v.b = false;
    sp_buf_putc(&b, ',');
    sp_value_format(&v, &b);
    sp_buf_putc(&b, ',');
    v = (sp_value){.type = SP_T_BIGINT, .v.i = -42};
    sp_value_format(&v, &b);
    sp_buf_putc(&b, ',');
    v = (sp_value){.type = SP_T_DOUBLE, .v.d = 1e7};
    sp_value_format(&v, &b);
    sp_buf_putc(&b, ',');
    v = (sp_value){.type = SP_T_VARCHAR, .v.s = SP_STR_LIT("hi")};
    sp_value_format(&v, &b);
    sp_buf_putc(&b, ',');
    v = (sp_value){.type = SP_T_TIMESTAMP, .v.i = 1500000};
    sp_value_format(&v, &b);
    sp_buf_putc(&b, ',');
    v = (sp_value){.type = SP_T_INTERVAL, .v.i = 60000000};
    sp_value_format(&v, &b);
    sp_buf_putc(&b, ',');
    v = (sp_value){.type = SP_T_BIGINT, .is_null = true};
    sp_value_format(&v, &b);
    ASSERT_EQ_MEM(b.data, b.len,
                  "true,false,-42,1.0E7,hi,1970-01-01 00:00:01.5,"
                  "INTERVAL '0 00:01:00' DAY TO SECOND,null");
    sp_buf_free(&b);
}

int main(int argc, char **argv)
{
    return test_main(argc, argv,
                     (test_case[]){TEST_CASE(civil_round_trip),
                                   TEST_CASE(ts_parse_forms),
                                   TEST_CASE(ts_format),
                                   TEST_CASE(ts_round_trip),
                                   TEST_CASE(interval_parse),
                                   TEST_CASE(interval_format),
                                   TEST_CASE(double_java_format),
                                   TEST_CASE(value_format),
                                   {0}});
}
