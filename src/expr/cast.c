/*
 * cast.c -- CAST between all spate types with Spark's non-ANSI rules: a
 * value that does not convert becomes NULL, never an error.
 *
 * Layer: expr. Used by SP_E_CAST nodes (explicit CAST and the implicit
 * casts the binder inserts) and by functions that parse strings.
 *
 * The rules (Spark 3.x, spark.sql.ansi.enabled=false):
 *   VARCHAR -> BIGINT   trim whitespace/control chars, optional sign,
 *                       digits, optional '.' + digits (truncated: '1.9' ->
 *                       1); anything else or overflow -> NULL
 *   VARCHAR -> DOUBLE   Java Double.parseDouble (decimal only, optional
 *                       trailing d/f) plus inf/infinity/nan words
 *   VARCHAR -> BOOLEAN  t/true/y/yes/1 and f/false/n/no/0, any case
 *   VARCHAR -> TIMESTAMP / INTERVAL   sp_ts_parse / sp_interval_parse
 *   BIGINT  -> TIMESTAMP   seconds since the epoch (saturating)
 *   DOUBLE  -> TIMESTAMP   seconds with fraction; NaN/Infinity -> NULL
 *   TIMESTAMP -> BIGINT    whole seconds, floor; -> DOUBLE seconds
 *   INTERVAL <-> BIGINT/DOUBLE   seconds (Spark 3.3+ for DAY TO SECOND)
 *   DOUBLE  -> BIGINT   truncation toward zero, saturating, NaN -> 0
 *   anything -> VARCHAR    sp_value_format (Java double text, Spark
 *                          timestamp text)
 * BOOLEAN <-> TIMESTAMP/INTERVAL and TIMESTAMP <-> INTERVAL are rejected
 * at bind time.
 */
#include "expr/exprInt.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool sp_cast_allowed(sp_type from, sp_type to)
{
    if (from == to || from == SP_T_NULL) return true;
    if (from == SP_T_VARCHAR || to == SP_T_VARCHAR) return true;
    if (to == SP_T_NULL) return false;
    bool ft = from == SP_T_TIMESTAMP || from == SP_T_INTERVAL;
    bool tt = to == SP_T_TIMESTAMP || to == SP_T_INTERVAL;
    if (ft && tt) return false;
    if ((from == SP_T_BOOL && tt) || (ft && to == SP_T_BOOL)) return false;
    return true;
}

bool sp_cast_may_null(sp_type from, sp_type to)
{
    if (from == to) return false;
    if (from == SP_T_VARCHAR) return true;
    return from == SP_T_DOUBLE && (to == SP_T_TIMESTAMP || to == SP_T_INTERVAL);
}

/* ------------------------------------------------------------------------
 * Scalar parses
 * ---------------------------------------------------------------------- */

static void trim(sp_str *s)
{
    const unsigned char *p = (const unsigned char *)s->ptr;
    uint32_t b = 0, e = s->len;
    while (b < e && p[b] <= ' ') b++;
    while (e > b && p[e - 1] <= ' ') e--;
    s->ptr += b;
    s->len = e - b;
}

int sp_cast_str_i64(sp_str s, int64_t *out)
{
    trim(&s);
    const char *p = s.ptr;
    uint32_t n = s.len, i = 0;
    if (n == 0) return -1;
    bool neg = false;
    if (p[0] == '-' || p[0] == '+') {
        neg = p[0] == '-';
        i++;
        if (n == 1) return -1;
    }
    /* Accumulate negatively so INT64_MIN parses. */
    int64_t v = 0;
    for (; i < n; i++) {
        char ch = p[i];
        if (ch == '.') {
            i++;
            break;
        }
        if (ch < '0' || ch > '9') return -1;
        if (v < (INT64_MIN + (ch - '0')) / 10) return -1;
        v = v * 10 - (ch - '0');
    }
    for (; i < n; i++)
        if (p[i] < '0' || p[i] > '9') return -1;
    if (!neg) {
        if (v == INT64_MIN) return -1;
        v = -v;
    }
    *out = v;
    return 0;
}

int sp_cast_str_f64(sp_str s, double *out)
{
    trim(&s);
    if (s.len == 0 || s.len > 400) return -1;
    char buf[408];
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = '\0';
    const char *w = buf;
    int sign = 1;
    if (*w == '+' || *w == '-') {
        sign = *w == '-' ? -1 : 1;
        w++;
    }
    if (strcasecmp(w, "inf") == 0 || strcasecmp(w, "infinity") == 0) {
        *out = sign * INFINITY;
        return 0;
    }
    if (strcasecmp(w, "nan") == 0) {
        *out = NAN;
        return 0;
    }
    /* Java's grammar: digits, '.', exponent; optional d/f suffix. */
    size_t len = s.len;
    if (len > 1 && strchr("dDfF", buf[len - 1])) buf[--len] = '\0';
    bool digit = false;
    for (size_t k = 0; k < len; k++) {
        char ch = buf[k];
        if (isdigit((unsigned char)ch))
            digit = true;
        else if (!strchr("+-.eE", ch))
            return -1;
    }
    if (!digit) return -1;
    char *end;
    double d = strtod(buf, &end);
    if (*end != '\0') return -1;
    *out = d;
    return 0;
}

int sp_cast_str_bool(sp_str s, bool *out)
{
    trim(&s);
    static const char *const yes[] = {"t", "true", "y", "yes", "1"};
    static const char *const no[] = {"f", "false", "n", "no", "0"};
    for (size_t k = 0; k < SP_ARRAY_LEN(yes); k++) {
        if (sp_str_eq_nocase(s, yes[k])) {
            *out = true;
            return 0;
        }
        if (sp_str_eq_nocase(s, no[k])) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* ------------------------------------------------------------------------
 * Vector casts
 * ---------------------------------------------------------------------- */

static int64_t sat_mul(int64_t v, int64_t m)
{
    int64_t r;
    if (__builtin_mul_overflow(v, m, &r))
        return (v < 0) ? INT64_MIN : INT64_MAX;
    return r;
}

static int64_t d2l(double v)
{
    if (v != v) return 0;
    if (v >= 9223372036854775807.0) return INT64_MAX;
    if (v <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* Row i is skipped when its output is already NULL. */
#define LIVE(i) (!(out->nulls && out->nulls[i]))

static int to_varchar(const sp_vec *in, const uint32_t *sel, uint32_t n,
                      sp_vec *out, sp_arena *a)
{
    sp_type t = in->type;
    size_t w = t == SP_T_INTERVAL ? 64 : t == SP_T_BOOL ? 5 : 32;
    char *buf = sp_arena_alloc(a, w * (n ? n : 1));
    if (!buf) return SP_ENOMEM;
    sp_str *o = out->d.str;
    uint32_t k = 0;
    SP_LOOP(sel, n, i, {
        char *p = buf + w * k++;
        int len = 0;
        if (LIVE(i)) {
            switch (t) {
            case SP_T_BOOL:
                if (in->d.b[i]) {
                    memcpy(p, "true", 4);
                    len = 4;
                } else {
                    memcpy(p, "false", 5);
                    len = 5;
                }
                break;
            case SP_T_BIGINT: {
                /* Digits backwards, then move. */
                char tmp[24];
                int m = 0;
                int64_t v = in->d.i64[i];
                uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
                do {
                    tmp[m++] = (char)('0' + u % 10);
                    u /= 10;
                } while (u);
                if (v < 0) p[len++] = '-';
                while (m) p[len++] = tmp[--m];
                break;
            }
            case SP_T_DOUBLE:
                len = sp_fmt_double(in->d.f64[i], p);
                break;
            case SP_T_TIMESTAMP:
                len = sp_ts_format(in->d.i64[i], p);
                break;
            case SP_T_INTERVAL:
                len = sp_interval_format(in->d.i64[i], p);
                break;
            default:
                break;
            }
        }
        o[i] = sp_str_make(p, (size_t)len);
    });
    return 0;
}

int sp_cast_vec(const sp_vec *in, sp_type to, const uint32_t *sel, uint32_t n,
                sp_vec *out, sp_arena *a)
{
    sp_type from = in->type;
    if (from == to) {
        size_t w = sp_type_width(to);
        SP_LOOP(sel, n, i,
                memcpy((char *)out->d.raw + i * w,
                       (const char *)in->d.raw + i * w, w););
        return 0;
    }
    if (to == SP_T_VARCHAR) return to_varchar(in, sel, n, out, a);
    uint8_t *on = out->nulls;
    if (from == SP_T_VARCHAR) {
        const sp_str *s = in->d.str;
        switch (to) {
        case SP_T_BOOL:
            SP_LOOP(sel, n, i, {
                bool b = false;
                if (!on[i] && sp_cast_str_bool(s[i], &b) != 0) on[i] = 1;
                out->d.b[i] = b;
            });
            break;
        case SP_T_BIGINT:
            SP_LOOP(sel, n, i, {
                int64_t v = 0;
                if (!on[i] && sp_cast_str_i64(s[i], &v) != 0) on[i] = 1;
                out->d.i64[i] = v;
            });
            break;
        case SP_T_DOUBLE:
            SP_LOOP(sel, n, i, {
                double v = 0;
                if (!on[i] && sp_cast_str_f64(s[i], &v) != 0) on[i] = 1;
                out->d.f64[i] = v;
            });
            break;
        case SP_T_TIMESTAMP:
            SP_LOOP(sel, n, i, {
                int64_t v = 0;
                if (!on[i] && sp_ts_parse(s[i].ptr, s[i].len, &v) != 0)
                    on[i] = 1;
                out->d.i64[i] = v;
            });
            break;
        case SP_T_INTERVAL:
            SP_LOOP(sel, n, i, {
                int64_t v = 0;
                if (!on[i] &&
                    sp_interval_parse(s[i].ptr, s[i].len, &v, NULL) != 0)
                    on[i] = 1;
                out->d.i64[i] = v;
            });
            break;
        default:
            break;
        }
        return 0;
    }
    switch (from) {
    case SP_T_BOOL:
        if (to == SP_T_BIGINT)
            SP_LOOP(sel, n, i, out->d.i64[i] = in->d.b[i];);
        else if (to == SP_T_DOUBLE)
            SP_LOOP(sel, n, i, out->d.f64[i] = in->d.b[i];);
        break;
    case SP_T_BIGINT:
        if (to == SP_T_BOOL)
            SP_LOOP(sel, n, i, out->d.b[i] = in->d.i64[i] != 0;);
        else if (to == SP_T_DOUBLE)
            SP_LOOP(sel, n, i, out->d.f64[i] = (double)in->d.i64[i];);
        else /* TIMESTAMP, INTERVAL: seconds */
            SP_LOOP(sel, n, i,
                    out->d.i64[i] = sat_mul(in->d.i64[i], SP_USEC_PER_SEC););
        break;
    case SP_T_DOUBLE:
        if (to == SP_T_BOOL)
            SP_LOOP(sel, n, i, out->d.b[i] = in->d.f64[i] != 0;);
        else if (to == SP_T_BIGINT)
            SP_LOOP(sel, n, i, out->d.i64[i] = d2l(in->d.f64[i]););
        else
            SP_LOOP(sel, n, i, {
                double d = in->d.f64[i];
                if (!isfinite(d)) {
                    on[i] = 1;
                    out->d.i64[i] = 0;
                } else {
                    out->d.i64[i] =
                        d2l(to == SP_T_INTERVAL ? round(d * 1e6) : d * 1e6);
                }
            });
        break;
    case SP_T_TIMESTAMP:
        if (to == SP_T_BIGINT)
            SP_LOOP(sel, n, i,
                    out->d.i64[i] = floor_div(in->d.i64[i], SP_USEC_PER_SEC););
        else if (to == SP_T_DOUBLE)
            SP_LOOP(sel, n, i, out->d.f64[i] = (double)in->d.i64[i] / 1e6;);
        break;
    case SP_T_INTERVAL:
        if (to == SP_T_BIGINT)
            SP_LOOP(sel, n, i, out->d.i64[i] = in->d.i64[i] / SP_USEC_PER_SEC;);
        else if (to == SP_T_DOUBLE)
            SP_LOOP(sel, n, i, out->d.f64[i] = (double)in->d.i64[i] / 1e6;);
        break;
    default:
        break;
    }
    return 0;
}
