/*
 * format.c -- number and value formatting with Spark's (that is, Java's)
 * exact text forms.
 *
 * Layer: core. Writers (console, JSON, CSV sinks) and CAST(x AS STRING)
 * use these so that output matches Spark byte for byte.
 *
 * sp_fmt_double follows Java's Double.toString (JDK 19+ specification,
 * which is the shortest-digits algorithm of Raffaello Giulietti):
 *   - the shortest decimal that reads back as the same double, but at
 *     least two significant digits (so Double.MIN_VALUE is "4.9E-324", the
 *     closest two-digit value, not "5.0E-324");
 *   - plain notation when 1e-3 <= |d| < 1e7, always with a fraction
 *     ("1.0", "123.456", "0.001"), otherwise computerized scientific
 *     notation with one digit before the point ("1.0E7", "9.99E-4").
 * Older JDKs (8, 11, 17) occasionally printed a non-shortest digit string
 * (JDK-4511638); we produce the shortest, as current Java does.
 *
 * Digit generation: integers below 2^53 print exactly; other values try
 * printf's correctly rounded "%.*e" at increasing precision (binary search
 * over 2..17 digits) and keep the first that round-trips through strtod.
 */
#include "core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Writes the significant digits of |d| (d finite, non-zero) to digits
 * (no trailing zeros, at least one digit) and the decimal exponent so that
 * |d| = digits[0].digits[1..] x 10^exp10. Returns the digit count. */
static int shortest_digits(double d, char *digits, int *exp10)
{
    double a = fabs(d);
    char tmp[40];
    if (a < 9007199254740992.0 && a == floor(a)) {
        int n = snprintf(tmp, sizeof tmp, "%.0f", a);
        *exp10 = n - 1;
        while (n > 1 && tmp[n - 1] == '0') n--;
        memcpy(digits, tmp, (size_t)n);
        return n;
    }
    int lo = 2, hi = 17;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(tmp, sizeof tmp, "%.*e", mid - 1, a);
        if (strtod(tmp, NULL) == a)
            hi = mid;
        else
            lo = mid + 1;
    }
    snprintf(tmp, sizeof tmp, "%.*e", lo - 1, a);
    /* tmp = "D.DDDDe[+-]XX" (or "De[+-]XX" when lo == 1). */
    int n = 0;
    const char *p = tmp;
    for (; *p && *p != 'e'; p++)
        if (*p != '.') digits[n++] = *p;
    *exp10 = atoi(p + 1);
    while (n > 1 && digits[n - 1] == '0') n--;
    return n;
}

int sp_fmt_double(double d, char *buf)
{
    if (isnan(d)) {
        strcpy(buf, "NaN");
        return 3;
    }
    if (isinf(d)) {
        strcpy(buf, d > 0 ? "Infinity" : "-Infinity");
        return d > 0 ? 8 : 9;
    }
    char *p = buf;
    if (signbit(d)) *p++ = '-';
    if (d == 0) {
        strcpy(p, "0.0");
        return (int)(p - buf) + 3;
    }
    char dg[24];
    int e;
    int nd = shortest_digits(d, dg, &e);
    double a = fabs(d);
    if (a >= 1e-3 && a < 1e7) {
        if (e >= 0) {
            for (int k = 0; k <= e; k++) *p++ = k < nd ? dg[k] : '0';
            *p++ = '.';
            if (nd > e + 1) {
                memcpy(p, dg + e + 1, (size_t)(nd - e - 1));
                p += nd - e - 1;
            } else {
                *p++ = '0';
            }
        } else {
            *p++ = '0';
            *p++ = '.';
            for (int k = 0; k < -e - 1; k++) *p++ = '0';
            memcpy(p, dg, (size_t)nd);
            p += nd;
        }
    } else {
        *p++ = dg[0];
        *p++ = '.';
        if (nd > 1) {
            memcpy(p, dg + 1, (size_t)(nd - 1));
            p += nd - 1;
        } else {
            *p++ = '0';
        }
        p += sprintf(p, "E%d", e);
    }
    *p = '\0';
    return (int)(p - buf);
}

int sp_value_format(const sp_value *v, sp_buf *b)
{
    char tmp[64];
    int n;
    if (v->is_null || v->type == SP_T_NULL) return sp_buf_append(b, "null", 4);
    switch (v->type) {
    case SP_T_BOOL:
        return v->v.b ? sp_buf_append(b, "true", 4)
                      : sp_buf_append(b, "false", 5);
    case SP_T_BIGINT:
        n = snprintf(tmp, sizeof tmp, "%lld", (long long)v->v.i);
        return sp_buf_append(b, tmp, (size_t)n);
    case SP_T_DOUBLE:
        n = sp_fmt_double(v->v.d, tmp);
        return sp_buf_append(b, tmp, (size_t)n);
    case SP_T_VARCHAR:
        return sp_buf_append(b, v->v.s.ptr, v->v.s.len);
    case SP_T_TIMESTAMP:
        n = sp_ts_format(v->v.i, tmp);
        return sp_buf_append(b, tmp, (size_t)n);
    case SP_T_INTERVAL:
        n = sp_interval_format(v->v.i, tmp);
        return sp_buf_append(b, tmp, (size_t)n);
    case SP_T_WINDOW: {
        /* Spark shows a struct as {field, field} */
        char t2[32];
        sp_ts_format(v->v.w.start, tmp);
        sp_ts_format(v->v.w.end, t2);
        return sp_buf_printf(b, "{%s, %s}", tmp, t2);
    }
    default:
        return sp_buf_append(b, "null", 4);
    }
}
