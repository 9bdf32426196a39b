/*
 * func_time.c -- datetime functions: to_timestamp, timestamp_seconds and
 * friends, unix_timestamp, from_unixtime, date_trunc, date_format, and
 * field extraction (year ... second). Also the Spark datetime pattern
 * engine (sp_dtfmt) they share.
 *
 * Layer: expr. Part of the catalog (sp_func_time_defs). All times are UTC:
 * spark.sql.session.timeZone is taken to be UTC, so patterns print zone
 * offsets as Z / +0000. No function here reads the clock: current_timestamp()
 * and unix_timestamp() without arguments are rejected by the binder.
 *
 * Pattern letters (Spark 3 datetime patterns): y yy yyyy, M MM MMM MMMM,
 * d dd, D (day of year), H HH, h hh (1-12), k (1-24), K (0-11), m mm,
 * s ss, S..S (fraction, up to 9), a (AM/PM), E..EEEE (day name),
 * X/x/Z (zone offset), 'quoted text', '' (a quote). Other letters are an
 * error; other characters are literals. Parsing is case-insensitive and
 * must consume the whole input; a field written with two or more letters
 * takes exactly that many digits (yyyy takes 4 or more), one letter takes
 * one or two.
 */
#include "expr/exprInt.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------------
 * Civil helpers
 * ---------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

typedef struct civil {
    int64_t y;
    unsigned mo, d;
    int hh, mi, ss;
    int64_t us;   /* microseconds within the second */
    int64_t days; /* since the epoch */
} civil;

static void split(int64_t ts, civil *c)
{
    c->days = floor_div(ts, SP_USEC_PER_DAY);
    int64_t rem = ts - c->days * SP_USEC_PER_DAY;
    sp_civil_from_days(c->days, &c->y, &c->mo, &c->d);
    int64_t secs = rem / SP_USEC_PER_SEC;
    c->us = rem % SP_USEC_PER_SEC;
    c->hh = (int)(secs / 3600);
    c->mi = (int)(secs / 60 % 60);
    c->ss = (int)(secs % 60);
}

static const char *const k_months[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
static const char *const k_days[] = {"Monday",   "Tuesday", "Wednesday",
                                     "Thursday", "Friday",  "Saturday",
                                     "Sunday"};

/* 0 = Monday. 1970-01-01 was a Thursday. */
static int weekday(int64_t days)
{
    return (int)(((days % 7) + 7 + 3) % 7);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
    static const unsigned dim[12] = {31, 28, 31, 30, 31, 30,
                                     31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* ------------------------------------------------------------------------
 * Pattern engine
 * ---------------------------------------------------------------------- */

#define DT_MAX_TOK 48

typedef struct dt_tok {
    char letter; /* 0 = literal */
    uint8_t count;
    const char *lit;
    uint32_t lit_len;
} dt_tok;

struct sp_dtfmt {
    dt_tok tok[DT_MAX_TOK];
    int n;
};

sp_dtfmt *sp_dtfmt_compile(sp_str pat, sp_arena *a, const char **why)
{
    sp_dtfmt *f = sp_arena_zalloc(a, sizeof *f);
    char *lits = sp_arena_alloc(a, pat.len + 1);
    const char *dummy;
    if (!why) why = &dummy;
    if (!f || !lits) {
        *why = "out of memory";
        return NULL;
    }
    size_t lo = 0;
    for (uint32_t i = 0; i < pat.len;) {
        if (f->n >= DT_MAX_TOK) {
            *why = "pattern too long";
            return NULL;
        }
        dt_tok *t = &f->tok[f->n];
        char c = pat.ptr[i];
        if (isalpha((unsigned char)c)) {
            if (!strchr("yMdDHhkKmsSaEXxZ", c)) {
                *why = "unsupported pattern letter (use y M d D H h k K m s "
                       "S a E X x Z)";
                return NULL;
            }
            uint32_t j = i;
            while (j < pat.len && pat.ptr[j] == c) j++;
            if (j - i > 9) {
                *why = "too many pattern letters in a row";
                return NULL;
            }
            t->letter = c;
            t->count = (uint8_t)(j - i);
            i = j;
            f->n++;
            continue;
        }
        /* Literal: quoted text or one character. */
        t->lit = lits + lo;
        if (c == '\'') {
            if (i + 1 < pat.len && pat.ptr[i + 1] == '\'') {
                lits[lo++] = '\'';
                i += 2;
            } else {
                uint32_t j = i + 1;
                for (;;) {
                    if (j >= pat.len) {
                        *why = "unterminated quote in the pattern";
                        return NULL;
                    }
                    if (pat.ptr[j] == '\'') {
                        if (j + 1 < pat.len && pat.ptr[j + 1] == '\'') {
                            lits[lo++] = '\'';
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    lits[lo++] = pat.ptr[j++];
                }
                i = j + 1;
            }
        } else {
            lits[lo++] = c;
            i++;
        }
        t->lit_len = (uint32_t)(lits + lo - t->lit);
        f->n++;
    }
    return f;
}

static char *put_num(char *p, int64_t v, int width)
{
    char tmp[24];
    int n = 0;
    bool neg = v < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (neg) *p++ = '-';
    for (int k = n; k < width; k++) *p++ = '0';
    while (n) *p++ = tmp[--n];
    return p;
}

int sp_dtfmt_format(const sp_dtfmt *f, int64_t ts, char *buf)
{
    civil c;
    split(ts, &c);
    char *p = buf;
    char *end = buf + 120;
    for (int k = 0; k < f->n && p < end; k++) {
        const dt_tok *t = &f->tok[k];
        int n = t->count;
        switch (t->letter) {
        case 0: {
            uint32_t l = t->lit_len;
            if (p + l > end) l = (uint32_t)(end - p);
            memcpy(p, t->lit, l);
            p += l;
            break;
        }
        case 'y':
            p = n == 2 ? put_num(p, ((c.y % 100) + 100) % 100, 2)
                       : put_num(p, c.y, n);
            break;
        case 'M':
            if (n >= 3) {
                const char *nm = k_months[c.mo - 1];
                size_t l = n == 3 ? 3 : strlen(nm);
                memcpy(p, nm, l);
                p += l;
            } else {
                p = put_num(p, c.mo, n);
            }
            break;
        case 'd':
            p = put_num(p, c.d, n);
            break;
        case 'D':
            p = put_num(p, c.days - sp_days_from_civil(c.y, 1, 1) + 1, n);
            break;
        case 'H':
            p = put_num(p, c.hh, n);
            break;
        case 'h':
            p = put_num(p, c.hh % 12 == 0 ? 12 : c.hh % 12, n);
            break;
        case 'k':
            p = put_num(p, c.hh == 0 ? 24 : c.hh, n);
            break;
        case 'K':
            p = put_num(p, c.hh % 12, n);
            break;
        case 'm':
            p = put_num(p, c.mi, n);
            break;
        case 's':
            p = put_num(p, c.ss, n);
            break;
        case 'S': {
            char fr[10];
            put_num(fr, c.us, 6);
            for (int q = 0; q < n; q++) *p++ = q < 6 ? fr[q] : '0';
            break;
        }
        case 'a':
            memcpy(p, c.hh < 12 ? "AM" : "PM", 2);
            p += 2;
            break;
        case 'E': {
            const char *nm = k_days[weekday(c.days)];
            size_t l = n <= 3 ? 3 : strlen(nm);
            memcpy(p, nm, l);
            p += l;
            break;
        }
        case 'X':
            *p++ = 'Z';
            break;
        case 'x': {
            const char *z = n == 1 ? "+00" : n == 2 ? "+0000" : "+00:00";
            size_t l = strlen(z);
            memcpy(p, z, l);
            p += l;
            break;
        }
        case 'Z': {
            const char *z = n <= 3 ? "+0000" : n == 4 ? "GMT" : "Z";
            size_t l = strlen(z);
            memcpy(p, z, l);
            p += l;
            break;
        }
        }
    }
    *p = '\0';
    return (int)(p - buf);
}

static bool tok_numeric(const dt_tok *t)
{
    if (!t) return false;
    if (t->letter == 'M') return t->count < 3;
    return t->letter && strchr("ydDHhkKmsS", t->letter);
}

/* Reads between min and max digits. */
static int read_num(sp_str s, uint32_t *i, int min, int max, int64_t *out)
{
    int n = 0;
    int64_t v = 0;
    while (*i < s.len && n < max && isdigit((unsigned char)s.ptr[*i])) {
        v = v * 10 + (s.ptr[*i] - '0');
        (*i)++;
        n++;
    }
    if (n < min) return -1;
    *out = v;
    return n;
}

static int match_name(sp_str s, uint32_t *i, const char *const *names,
                      int count, bool full, int *out)
{
    for (int k = 0; k < count; k++) {
        size_t l = full ? strlen(names[k]) : 3;
        if (*i + l <= s.len && strncasecmp(s.ptr + *i, names[k], l) == 0) {
            *i += (uint32_t)l;
            *out = k;
            return 0;
        }
    }
    return -1;
}

int sp_dtfmt_parse(const sp_dtfmt *f, sp_str s, int64_t *out)
{
    int64_t y = 1970, mo = 1, d = 1, doy = -1, hh = 0, mi = 0, ss = 0, frac = 0,
            off = 0;
    int ampm = -1;
    bool h12 = false;
    uint32_t i = 0;
    for (int k = 0; k < f->n; k++) {
        const dt_tok *t = &f->tok[k];
        const dt_tok *next = k + 1 < f->n ? &f->tok[k + 1] : NULL;
        int n = t->count;
        /* Adjacent numeric fields ("yyyyMMdd") take exactly n digits. */
        bool adj = tok_numeric(next);
        int min = n >= 2 ? n : 1, max = n >= 2 ? n : 2;
        int64_t v;
        switch (t->letter) {
        case 0:
            if (i + t->lit_len > s.len ||
                strncasecmp(s.ptr + i, t->lit, t->lit_len) != 0)
                return -1;
            i += t->lit_len;
            break;
        case 'y':
            if (n == 2) {
                if (read_num(s, &i, 2, 2, &v) < 0) return -1;
                y = 2000 + v;
            } else {
                if (read_num(s, &i, n == 1 ? 1 : n, adj ? (n < 4 ? 4 : n) : 9,
                             &y) < 0)
                    return -1;
            }
            break;
        case 'M':
            if (n >= 3) {
                int m;
                if (match_name(s, &i, k_months, 12, n >= 4, &m) != 0) return -1;
                mo = m + 1;
            } else if (read_num(s, &i, min, max, &mo) < 0) {
                return -1;
            }
            break;
        case 'd':
            if (read_num(s, &i, min, max, &d) < 0) return -1;
            break;
        case 'D':
            if (read_num(s, &i, n >= 3 ? 3 : n, 3, &doy) < 0) return -1;
            break;
        case 'H':
        case 'k':
            if (read_num(s, &i, min, max, &hh) < 0) return -1;
            if (t->letter == 'k' && hh == 24) hh = 0;
            break;
        case 'h':
        case 'K':
            if (read_num(s, &i, min, max, &hh) < 0) return -1;
            h12 = true;
            if (t->letter == 'h' && (hh < 1 || hh > 12)) return -1;
            if (hh == 12) hh = 0;
            break;
        case 'm':
            if (read_num(s, &i, min, max, &mi) < 0) return -1;
            break;
        case 's':
            if (read_num(s, &i, min, max, &ss) < 0) return -1;
            break;
        case 'S': {
            /* 1..n fraction digits (Spark: the acceptable length is up to
             * the number of S letters). */
            int got = read_num(s, &i, 1, n, &v);
            if (got < 0) return -1;
            while (got < 6) {
                v *= 10;
                got++;
            }
            while (got > 6) {
                v /= 10;
                got--;
            }
            frac = v;
            break;
        }
        case 'a':
            if (i + 2 <= s.len && strncasecmp(s.ptr + i, "AM", 2) == 0)
                ampm = 0;
            else if (i + 2 <= s.len && strncasecmp(s.ptr + i, "PM", 2) == 0)
                ampm = 1;
            else
                return -1;
            i += 2;
            break;
        case 'E': {
            int wd;
            if (match_name(s, &i, k_days, 7, n >= 4, &wd) != 0) return -1;
            break;
        }
        case 'X':
        case 'x':
        case 'Z': {
            if (i < s.len && (s.ptr[i] == 'Z' || s.ptr[i] == 'z')) {
                i++;
                break;
            }
            if (t->letter == 'Z' && i + 3 <= s.len &&
                strncasecmp(s.ptr + i, "GMT", 3) == 0)
                i += 3;
            if (i >= s.len || (s.ptr[i] != '+' && s.ptr[i] != '-')) {
                if (t->letter == 'Z' && i > 0 && s.ptr[i - 1] == 'T') break;
                return -1;
            }
            int sign = s.ptr[i] == '-' ? -1 : 1;
            i++;
            int64_t oh, om = 0;
            if (read_num(s, &i, 2, 2, &oh) < 0) return -1;
            if (i < s.len && s.ptr[i] == ':') i++;
            if (i < s.len && isdigit((unsigned char)s.ptr[i]) &&
                read_num(s, &i, 2, 2, &om) < 0)
                return -1;
            if (oh > 18 || om > 59) return -1;
            off = sign * (oh * 3600 + om * 60) * SP_USEC_PER_SEC;
            break;
        }
        }
    }
    if (i != s.len) return -1;
    if (ampm == 1 && h12) hh += 12;
    if (ampm == 1 && !h12 && hh < 12) hh += 12;
    int64_t days;
    if (doy >= 0) {
        if (doy < 1 || doy > (is_leap(y) ? 366 : 365)) return -1;
        days = sp_days_from_civil(y, 1, 1) + doy - 1;
    } else {
        if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, (unsigned)mo))
            return -1;
        days = sp_days_from_civil(y, (unsigned)mo, (unsigned)d);
    }
    if (hh > 23 || mi > 59 || ss > 59) return -1;
    *out = days * SP_USEC_PER_DAY +
           (hh * 3600 + mi * 60 + ss) * SP_USEC_PER_SEC + frac - off;
    return 0;
}

/* ------------------------------------------------------------------------
 * Pattern caching in kernels
 * ---------------------------------------------------------------------- */

static bool const_arg(const sp_expr *e, int i)
{
    return e->n_args > i && e->args[i]->kind == SP_E_CONST &&
           !e->args[i]->val.is_null;
}

/* prepare: compiles a constant pattern argument `idx` into aux. */
static int prepare_fmt_at(sp_expr *e, sp_arena *a, sp_err *err, int idx)
{
    if (!const_arg(e, idx)) return 0;
    const char *why = NULL;
    e->aux = sp_dtfmt_compile(e->args[idx]->val.v.s, a, &why);
    if (!e->aux) {
        sp_err_set(err, SP_EANALYSIS, "bad datetime pattern '%.*s' in %s(): %s",
                   (int)e->args[idx]->val.v.s.len, e->args[idx]->val.v.s.ptr,
                   e->fn->name, why ? why : "?");
        sp_err_hint(err, "for example 'yyyy-MM-dd HH:mm:ss.SSS'; quote "
                         "literal letters: 'yyyy-MM-dd''T''HH:mm'");
        return SP_EANALYSIS;
    }
    e->direct_const |= 1u << idx;
    return 0;
}

static int prepare_fmt1(sp_expr *e, sp_arena *a, sp_err *err)
{
    return prepare_fmt_at(e, a, err, 1);
}

typedef struct fmt_cache {
    const sp_dtfmt *f;
    sp_str last;
    bool have;
} fmt_cache;

/* The pattern for row i: aux when constant, else compiled (cached). */
static const sp_dtfmt *fmt_get(sp_kernel_ctx *ctx, fmt_cache *c,
                               const sp_vec *args, int n_args, int idx,
                               uint32_t i, const char *deflt)
{
    if (ctx->node->aux) return ctx->node->aux;
    sp_str pat =
        idx < n_args ? args[idx].d.str[i] : sp_str_make(deflt, strlen(deflt));
    if (c->have && c->last.len == pat.len &&
        (pat.len == 0 || memcmp(c->last.ptr, pat.ptr, pat.len) == 0))
        return c->f;
    c->have = true;
    c->last = pat;
    c->f = sp_dtfmt_compile(pat, ctx->arena, NULL);
    return c->f;
}

static const char *const k_default_fmt = "yyyy-MM-dd HH:mm:ss";

/* ------------------------------------------------------------------------
 * Kernels
 * ---------------------------------------------------------------------- */

static SP_KERNEL(copy_k)
{
    const int64_t *x = args[0].d.i64;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, o[i] = x[i];);
}

/* to_timestamp(s, fmt) / unix_timestamp(s[, fmt]) / to_date(s, fmt) */
static SP_KERNEL(parse_k)
{
    const sp_str *x = args[0].d.str;
    int64_t *o = out->d.i64;
    const char *name = ctx->node->fn->name;
    bool secs = name[0] == 'u'; /* unix_timestamp */
    bool date = strcmp(name, "to_date") == 0;
    fmt_cache fc = {0};
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i)) {
            const sp_dtfmt *f =
                fmt_get(ctx, &fc, args, n_args, 1, i, k_default_fmt);
            int64_t v;
            if (!f || sp_dtfmt_parse(f, x[i], &v) != 0) {
                out->nulls[i] = 1;
                o[i] = 0;
            } else {
                if (date) v = floor_div(v, SP_USEC_PER_DAY) * SP_USEC_PER_DAY;
                o[i] = secs ? floor_div(v, SP_USEC_PER_SEC) : v;
            }
        }
    });
}

static SP_KERNEL(to_date_ts_k)
{
    const int64_t *x = args[0].d.i64;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i,
            o[i] = floor_div(x[i], SP_USEC_PER_DAY) * SP_USEC_PER_DAY;);
}

static int64_t sat_mul(int64_t v, int64_t m, bool *ovf)
{
    int64_t r;
    *ovf = __builtin_mul_overflow(v, m, &r);
    return r;
}

/* timestamp_seconds/millis/micros on BIGINT: NULL on overflow (Spark
 * raises). */
static SP_KERNEL(ts_from_int_k)
{
    int64_t mul = SP_FUNC_DEF(ctx->node->fn)->op;
    const int64_t *x = args[0].d.i64;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, {
        bool ovf;
        o[i] = sat_mul(x[i], mul, &ovf);
        if (ovf) out->nulls[i] = 1;
    });
}

static SP_KERNEL(ts_from_double_k)
{
    const double *x = args[0].d.f64;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, {
        double v = x[i] * 1e6;
        if (!(v > -9.2e18 && v < 9.2e18)) {
            out->nulls[i] = 1;
            o[i] = 0;
        } else {
            o[i] = (int64_t)v;
        }
    });
}

static int resolve_ts_seconds(const sp_func *f, const sp_type *t, int n,
                              sp_type *want, sp_type *ret, sp_err *err)
{
    sp_type a = t[0];
    if (a == SP_T_NULL) a = SP_T_BIGINT;
    if (a == SP_T_VARCHAR) a = SP_T_DOUBLE;
    if (a != SP_T_BIGINT && a != SP_T_DOUBLE) {
        sp_expr_bad_arg_ = 0;
        return sp_err_set(err, SP_EANALYSIS,
                          "function %s() expects a number for argument 1, "
                          "got %s",
                          f->name, sp_type_name(t[0]));
    }
    /* Only timestamp_seconds takes fractions. */
    if (SP_FUNC_DEF(f)->op != SP_USEC_PER_SEC && a == SP_T_DOUBLE)
        a = SP_T_BIGINT;
    want[0] = a;
    *ret = SP_T_TIMESTAMP;
    return 0;
}

static sp_kernel_fn pick_ts_seconds(const sp_func *f, const sp_type *t, int n)
{
    return t[0] == SP_T_DOUBLE ? ts_from_double_k : ts_from_int_k;
}

/* unix_seconds/millis/micros(ts): floor to the unit. */
static SP_KERNEL(ts_to_int_k)
{
    int64_t div = SP_FUNC_DEF(ctx->node->fn)->op;
    if (div == 0) div = SP_USEC_PER_SEC; /* unix_timestamp(ts) */
    const int64_t *x = args[0].d.i64;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, o[i] = floor_div(x[i], div););
}

/* to_timestamp(x): CAST(x AS TIMESTAMP); with a pattern, parse x. */
static int resolve_to_ts(const sp_func *f, const sp_type *t, int n,
                         sp_type *want, sp_type *ret, sp_err *err)
{
    const char *nm = f->name;
    bool unix_ts = nm[0] == 'u';
    *ret = unix_ts ? SP_T_BIGINT : SP_T_TIMESTAMP;
    if (n == 1 && !(unix_ts && t[0] == SP_T_VARCHAR)) {
        sp_type target = SP_T_TIMESTAMP;
        if (t[0] == SP_T_BOOL || t[0] == SP_T_INTERVAL) {
            sp_expr_bad_arg_ = 0;
            return sp_err_set(err, SP_EANALYSIS,
                              "function %s() expects a VARCHAR or TIMESTAMP "
                              "for argument 1, got %s",
                              nm, sp_type_name(t[0]));
        }
        want[0] = target;
        return 0;
    }
    if (sp_func_want(f, 0, t[0], SP_T_VARCHAR, want, err) != 0)
        return err->code;
    if (n > 1 && sp_func_want(f, 1, t[1], SP_T_VARCHAR, want, err) != 0)
        return err->code;
    return 0;
}

static sp_kernel_fn pick_to_ts(const sp_func *f, const sp_type *t, int n)
{
    if (t[0] == SP_T_TIMESTAMP) {
        if (f->name[0] == 'u') return ts_to_int_k;
        if (strcmp(f->name, "to_date") == 0) return to_date_ts_k;
        return copy_k;
    }
    return parse_k;
}

/* from_unixtime(secs[, fmt]) and date_format(ts, fmt). */
static SP_KERNEL(format_k)
{
    bool from_unix = ctx->node->fn->name[0] == 'f';
    const int64_t *x = args[0].d.i64;
    sp_str *o = out->d.str;
    fmt_cache fc = {0};
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i)) {
            const sp_dtfmt *f =
                fmt_get(ctx, &fc, args, n_args, 1, i, k_default_fmt);
            char *buf = f ? sp_arena_alloc(ctx->arena, 128) : NULL;
            if (!f) {
                out->nulls[i] = 1;
            } else if (!buf) {
                ctx->oom = true;
            } else {
                int64_t us = x[i];
                if (from_unix) {
                    bool ovf;
                    us = sat_mul(us, SP_USEC_PER_SEC, &ovf);
                    if (ovf) us = x[i] < 0 ? INT64_MIN : INT64_MAX;
                }
                int len = sp_dtfmt_format(f, us, buf);
                o[i] = sp_str_make(buf, (size_t)len);
            }
        }
    });
}

/* --- date_trunc ---------------------------------------------------------- */

enum {
    TR_YEAR,
    TR_QUARTER,
    TR_MONTH,
    TR_WEEK,
    TR_DAY,
    TR_HOUR,
    TR_MINUTE,
    TR_SECOND,
    TR_MILLI,
    TR_MICRO,
    TR_BAD
};

static int trunc_unit(sp_str u)
{
    static const struct {
        const char *name;
        int unit;
    } units[] = {
        {"year", TR_YEAR},         {"yyyy", TR_YEAR},
        {"yy", TR_YEAR},           {"quarter", TR_QUARTER},
        {"month", TR_MONTH},       {"mon", TR_MONTH},
        {"mm", TR_MONTH},          {"week", TR_WEEK},
        {"day", TR_DAY},           {"dd", TR_DAY},
        {"hour", TR_HOUR},         {"minute", TR_MINUTE},
        {"second", TR_SECOND},     {"millisecond", TR_MILLI},
        {"microsecond", TR_MICRO},
    };
    for (size_t k = 0; k < SP_ARRAY_LEN(units); k++)
        if (sp_str_eq_nocase(u, units[k].name)) return units[k].unit;
    return TR_BAD;
}

static int64_t trunc_ts(int unit, int64_t ts)
{
    static const int64_t step[] = {[TR_DAY] = SP_USEC_PER_DAY,
                                   [TR_HOUR] = 3600 * SP_USEC_PER_SEC,
                                   [TR_MINUTE] = 60 * SP_USEC_PER_SEC,
                                   [TR_SECOND] = SP_USEC_PER_SEC,
                                   [TR_MILLI] = 1000,
                                   [TR_MICRO] = 1};
    if (unit >= TR_DAY) return floor_div(ts, step[unit]) * step[unit];
    int64_t days = floor_div(ts, SP_USEC_PER_DAY), y;
    unsigned m, d;
    if (unit == TR_WEEK) return (days - weekday(days)) * SP_USEC_PER_DAY;
    sp_civil_from_days(days, &y, &m, &d);
    if (unit == TR_YEAR) m = 1;
    if (unit == TR_QUARTER) m = (m - 1) / 3 * 3 + 1;
    return sp_days_from_civil(y, m, 1) * SP_USEC_PER_DAY;
}

static int prepare_trunc(sp_expr *e, sp_arena *a, sp_err *err)
{
    if (!const_arg(e, 0)) return 0;
    int u = trunc_unit(e->args[0]->val.v.s);
    if (u == TR_BAD) {
        sp_err_set(err, SP_EANALYSIS, "date_trunc() unit '%.*s' is not known",
                   (int)e->args[0]->val.v.s.len, e->args[0]->val.v.s.ptr);
        sp_err_hint(err, "use one of year, quarter, month, week, day, hour, "
                         "minute, second, millisecond, microsecond");
        sp_expr_bad_arg_ = 0;
        return SP_EANALYSIS;
    }
    int *p = sp_arena_alloc(a, sizeof(int));
    if (!p) return sp_err_set(err, SP_ENOMEM, "out of memory");
    *p = u;
    e->aux = p;
    e->direct_const = 1u;
    return 0;
}

static SP_KERNEL(date_trunc_k)
{
    const int64_t *x = args[1].d.i64;
    int64_t *o = out->d.i64;
    const int *cu = ctx->node->aux;
    if (cu) {
        int u = *cu;
        if (u == TR_HOUR) {
            const int64_t h = 3600 * SP_USEC_PER_SEC;
            SP_LOOP(sel, n, i, o[i] = floor_div(x[i], h) * h;);
        } else {
            SP_LOOP(sel, n, i, o[i] = trunc_ts(u, x[i]););
        }
        return;
    }
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i)) {
            int u = trunc_unit(args[0].d.str[i]);
            if (u == TR_BAD)
                out->nulls[i] = 1;
            else
                o[i] = trunc_ts(u, x[i]);
        }
    });
}

/* --- extraction ---------------------------------------------------------- */

enum {
    EX_YEAR,
    EX_QUARTER,
    EX_MONTH,
    EX_DAY,
    EX_DOW,
    EX_DOY,
    EX_HOUR,
    EX_MINUTE,
    EX_SECOND,
    EX_WEEKDAY
};

static SP_KERNEL(extract_k)
{
    int what = SP_FUNC_DEF(ctx->node->fn)->op;
    const int64_t *x = args[0].d.i64;
    int64_t *o = out->d.i64;
    switch (what) {
    case EX_HOUR:
        SP_LOOP(sel, n, i, o[i] = floor_div(x[i], 3600 * SP_USEC_PER_SEC) % 24;
                if (o[i] < 0) o[i] += 24;);
        return;
    case EX_MINUTE:
        SP_LOOP(sel, n, i, o[i] = floor_div(x[i], 60 * SP_USEC_PER_SEC) % 60;
                if (o[i] < 0) o[i] += 60;);
        return;
    case EX_SECOND:
        SP_LOOP(sel, n, i, o[i] = floor_div(x[i], SP_USEC_PER_SEC) % 60;
                if (o[i] < 0) o[i] += 60;);
        return;
    default:
        break;
    }
    SP_LOOP(sel, n, i, {
        int64_t days = floor_div(x[i], SP_USEC_PER_DAY), y;
        unsigned m, d;
        sp_civil_from_days(days, &y, &m, &d);
        switch (what) {
        case EX_YEAR:
            o[i] = y;
            break;
        case EX_QUARTER:
            o[i] = (m - 1) / 3 + 1;
            break;
        case EX_MONTH:
            o[i] = m;
            break;
        case EX_DAY:
            o[i] = d;
            break;
        case EX_DOW: /* 1 = Sunday ... 7 = Saturday */
            o[i] = (weekday(days) + 1) % 7 + 1;
            break;
        case EX_WEEKDAY: /* 0 = Monday ... 6 = Sunday */
            o[i] = weekday(days);
            break;
        default: /* EX_DOY */
            o[i] = days - sp_days_from_civil(y, 1, 1) + 1;
        }
    });
}

/* ------------------------------------------------------------------------
 * Catalog rows
 * ---------------------------------------------------------------------- */

#define T(x) SP_T_##x
#define SIG(nm, mn, mx, mnull, s0, s1, rt, kn, pr, hp, o)                      \
    {                                                                          \
        {.name = nm,                                                           \
         .min_args = mn,                                                       \
         .max_args = mx,                                                       \
         .strict = true,                                                       \
         .resolve = sp_func_resolve_sig,                                       \
         .kernel = sp_func_pick_sig,                                           \
         .prepare = pr,                                                        \
         .help = hp,                                                           \
         .may_null = mnull},                                                   \
            .sig = {s0, s1, s1, s1}, .ret = rt, .k = kn, .op = o               \
    }
#define TOTS(nm, mn, mx, hp)                                                   \
    {                                                                          \
        {.name = nm,                                                           \
         .min_args = mn,                                                       \
         .max_args = mx,                                                       \
         .strict = true,                                                       \
         .resolve = resolve_to_ts,                                             \
         .kernel = pick_to_ts,                                                 \
         .prepare = prepare_fmt1,                                              \
         .help = hp,                                                           \
         .may_null = true},                                                    \
            .sig = {                                                           \
                0                                                              \
            }                                                                  \
    }
#define FROMNUM(nm, mul, hp)                                                   \
    {                                                                          \
        {.name = nm,                                                           \
         .min_args = 1,                                                        \
         .max_args = 1,                                                        \
         .strict = true,                                                       \
         .resolve = resolve_ts_seconds,                                        \
         .kernel = pick_ts_seconds,                                            \
         .help = hp,                                                           \
         .may_null = true},                                                    \
            .sig = {0}, .op = mul                                              \
    }
#define EXTRACT(nm, what, hp)                                                  \
    SIG(nm, 1, 1, false, T(TIMESTAMP), 0, T(BIGINT), extract_k, NULL, hp, what)

const sp_func_def sp_func_time_defs[] = {
    TOTS("to_timestamp", 1, 2,
         "to_timestamp(s[, fmt]) -> TIMESTAMP: s parsed (by the pattern "
         "fmt, e.g. 'yyyy-MM-dd HH:mm:ss'); NULL if it does not parse"),
    TOTS("to_date", 1, 2,
         "to_date(s[, fmt]) -> TIMESTAMP at midnight of the parsed day"),
    TOTS("unix_timestamp", 1, 2,
         "unix_timestamp(ts | s[, fmt]) -> BIGINT seconds since the epoch "
         "(s parsed with fmt, default 'yyyy-MM-dd HH:mm:ss')"),
    FROMNUM("timestamp_seconds", SP_USEC_PER_SEC,
            "timestamp_seconds(x) -> TIMESTAMP: x seconds (BIGINT or "
            "DOUBLE) after the epoch"),
    FROMNUM("timestamp_millis", 1000,
            "timestamp_millis(x) -> TIMESTAMP: x milliseconds after the "
            "epoch"),
    FROMNUM("timestamp_micros", 1,
            "timestamp_micros(x) -> TIMESTAMP: x microseconds after the "
            "epoch"),
    SIG("unix_seconds", 1, 1, false, T(TIMESTAMP), 0, T(BIGINT), ts_to_int_k,
        NULL, "unix_seconds(ts) -> BIGINT: whole seconds since the epoch",
        SP_USEC_PER_SEC),
    SIG("unix_millis", 1, 1, false, T(TIMESTAMP), 0, T(BIGINT), ts_to_int_k,
        NULL, "unix_millis(ts) -> BIGINT: milliseconds since the epoch", 1000),
    SIG("unix_micros", 1, 1, false, T(TIMESTAMP), 0, T(BIGINT), ts_to_int_k,
        NULL, "unix_micros(ts) -> BIGINT: microseconds since the epoch", 1),
    SIG("from_unixtime", 1, 2, true, T(BIGINT), T(VARCHAR), T(VARCHAR),
        format_k, prepare_fmt1,
        "from_unixtime(secs[, fmt]) -> VARCHAR: secs formatted (default "
        "'yyyy-MM-dd HH:mm:ss')",
        0),
    SIG("date_format", 2, 2, true, T(TIMESTAMP), T(VARCHAR), T(VARCHAR),
        format_k, prepare_fmt1,
        "date_format(ts, fmt) -> VARCHAR: ts formatted by the pattern fmt", 0),
    {{.name = "date_trunc",
      .min_args = 2,
      .max_args = 2,
      .strict = true,
      .resolve = sp_func_resolve_sig,
      .kernel = sp_func_pick_sig,
      .prepare = prepare_trunc,
      .help = "date_trunc(unit, ts) -> TIMESTAMP: ts truncated to year, "
              "quarter, month, week, day, hour, minute, second, "
              "millisecond or microsecond",
      .may_null = true},
     .sig = {T(VARCHAR), T(TIMESTAMP)},
     .ret = T(TIMESTAMP),
     .k = date_trunc_k},
    EXTRACT("year", EX_YEAR, "year(ts) -> BIGINT"),
    EXTRACT("quarter", EX_QUARTER, "quarter(ts) -> BIGINT: 1 to 4"),
    EXTRACT("month", EX_MONTH, "month(ts) -> BIGINT: 1 to 12"),
    EXTRACT("day", EX_DAY, "day(ts) -> BIGINT: day of the month"),
    EXTRACT("dayofmonth", EX_DAY, "dayofmonth(ts) -> BIGINT: 1 to 31"),
    EXTRACT("dayofweek", EX_DOW,
            "dayofweek(ts) -> BIGINT: 1 = Sunday ... 7 = Saturday"),
    EXTRACT("weekday", EX_WEEKDAY,
            "weekday(ts) -> BIGINT: 0 = Monday ... 6 = Sunday"),
    EXTRACT("dayofyear", EX_DOY, "dayofyear(ts) -> BIGINT: 1 to 366"),
    EXTRACT("hour", EX_HOUR, "hour(ts) -> BIGINT: 0 to 23"),
    EXTRACT("minute", EX_MINUTE, "minute(ts) -> BIGINT: 0 to 59"),
    EXTRACT("second", EX_SECOND, "second(ts) -> BIGINT: 0 to 59"),
};
const int sp_func_time_count = (int)SP_ARRAY_LEN(sp_func_time_defs);
