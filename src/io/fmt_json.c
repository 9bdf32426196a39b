/*
 * fmt_json.c -- the JSON-lines reader: one object per line, parsed in a
 * single pass straight into the batch's column vectors.
 *
 * Per line:
 *   - memchr finds the '\n'; a trailing '\r' is dropped. Every read is
 *     bounded by the line end, except SIMD string scans, which may load up
 *     to the end of the whole buffer (never past it) and then check the
 *     hit against the line end.
 *   - Keys are matched through the key-order cache (kc): slot k holds the
 *     k-th key of the previous object, so with a stable key order each key
 *     costs one memcmp against the input, with no scan for the closing
 *     quote. On a miss the key is scanned, looked up in a case-folded
 *     open-addressing table (exact name first, then case-insensitive), and
 *     the slot is refreshed.
 *   - Values are converted by the field's declared type (see put_* below);
 *     unknown keys' values are skipped: strings by a SIMD scan, containers
 *     by bracket counting (structure inside skipped containers is not fully
 *     validated -- a deliberate speed/strictness trade).
 *   - Fields not seen become NULL; a duplicate key overwrites (last wins).
 *
 * VARCHAR values are views into the input when the JSON string has no
 * escapes; escaped strings are decoded into the batch arena (\uXXXX with
 * surrogate pairs to UTF-8; a lone surrogate becomes U+FFFD). A non-string
 * value for a VARCHAR column yields its raw JSON text, as Spark does.
 */
#include "io/fmtInt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* State for one parse call; `why`/`col` describe the current bad line. */
typedef struct jp {
    sp_reader *r;
    io_ctx *c;
    const char *line; /* start of the current line */
    const char *end;  /* end of its content ('\r' and '\n' excluded) */
    const char *bend; /* end of the buffer: the SIMD load limit */
    uint32_t row;     /* row being written */
    int col;          /* 1-based byte of the error, 0 = none */
    bool oom;
} jp;

enum { LINE_ROW = 1, LINE_BLANK = 0, LINE_BAD = -1, LINE_OOM = -2 };

/* ------------------------------------------------------------------------
 * Setup
 * ---------------------------------------------------------------------- */

static inline uint32_t fold_hash(const char *k, size_t n)
{
    uint32_t h = 2166136261u ^ (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)k[i] | 0x20;
        h *= 16777619u;
    }
    return h ^ (h >> 15);
}

int sp_io_json_init(sp_reader *r, sp_err *err)
{
    uint32_t size = 8;
    while (size < r->n_fields * 4) size <<= 1;
    r->htab = sp_malloc(size * sizeof *r->htab);
    r->keybuf_cap = (size_t)r->max_name * 6 + 16;
    r->keybuf = sp_malloc(r->keybuf_cap);
    if (!r->htab || !r->keybuf)
        return sp_err_set(err, SP_ENOMEM, "out of memory creating a reader");
    r->hmask = size - 1;
    for (uint32_t i = 0; i < size; i++) r->htab[i] = -1;
    for (uint32_t f = 0; f < r->n_fields; f++) {
        uint32_t h = fold_hash(r->names[f], r->name_lens[f]) & r->hmask;
        while (r->htab[h] >= 0) h = (h + 1) & r->hmask;
        r->htab[h] = (int32_t)f;
    }
    memset(r->kc, 0, sizeof r->kc);
    r->stamp = 0;
    return 0;
}

static int find_field(const sp_reader *r, const char *k, size_t n)
{
    int best = -1;
    uint32_t h = fold_hash(k, n) & r->hmask;
    for (;;) {
        int32_t f = r->htab[h];
        if (f < 0) return best;
        if (r->name_lens[f] == n) {
            const char *nm = r->names[f];
            if (memcmp(nm, k, n) == 0) return f;
            if (best < 0 && sp_str_eq_nocase(sp_str_make(k, n), nm)) best = f;
        }
        h = (h + 1) & r->hmask;
    }
}

/* ------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------- */

/* Records "what at byte N" and returns NULL so callers can `return
 * fail(...)`. */
static const char *fail(jp *j, const char *p, const char *what)
{
    j->col = (int)(p - j->line) + 1;
    snprintf(j->r->why, sizeof j->r->why, "%s at byte %d", what, j->col);
    return NULL;
}

static const char *kind_of(char ch)
{
    switch (ch) {
    case '"':
        return "string";
    case '{':
        return "object";
    case '[':
        return "array";
    case 't':
    case 'f':
        return "boolean";
    default:
        return "number";
    }
}

/* "field \"x\": expected BIGINT, got string \"abc\"" -- `tok` is the raw
 * JSON text of the value. */
static const char *fail_type(jp *j, uint32_t f, const char *expected,
                             const char *tok, size_t tok_len)
{
    char ex[64];
    sp_io_excerpt(ex, sizeof ex, tok, tok_len);
    j->col = (int)(tok - j->line) + 1;
    snprintf(j->r->why, sizeof j->r->why,
             "field \"%.64s\": expected %s, got %s %s", j->r->names[f],
             expected, kind_of(tok[0]), ex);
    return NULL;
}

/* ------------------------------------------------------------------------
 * Scanning
 * ---------------------------------------------------------------------- */

/* First byte at or after p that is '"', '\\' or a control byte; loads stop
 * at bend. Returns bend if none. */
static inline const char *scan_str(const char *p, const char *bend)
{
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"');
    const __m128i bs = _mm_set1_epi8('\\');
    const __m128i c1f = _mm_set1_epi8(0x1f);
    while (bend - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs)),
            _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask) return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (p < bend) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\' || ch < 0x20) return p;
        p++;
    }
    return bend;
}

static inline const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
    return p;
}

/* p is just past the opening quote; returns the pointer past the closing
 * quote, or NULL (reason set). Escapes are stepped over, not checked. */
static const char *skip_string_slow(jp *j, const char *p);
static inline const char *skip_string(jp *j, const char *p)
{
    const char *q = scan_str(p, j->bend);
    if (q < j->end && *q == '"') return q + 1;
    return skip_string_slow(j, p);
}

static const char *skip_string_slow(jp *j, const char *p)
{
    for (;;) {
        const char *q = scan_str(p, j->bend);
        if (q >= j->end) return fail(j, q, "unterminated string");
        if (*q == '"') return q + 1;
        if (*q == '\\') {
            if (q + 1 >= j->end) return fail(j, q, "unterminated string");
            p = q + 2;
            continue;
        }
        return fail(j, q, "control character in string");
    }
}

/* Number grammar (RFC 8259). Fills the integer part when it has no
 * fraction or exponent and fits 19 digits. */
typedef struct numtok {
    uint64_t mag; /* |integer| when is_int && !big */
    bool neg;
    bool is_int; /* no fraction, no exponent */
    bool big;    /* more than 19 integer digits */
} numtok;

static const char *scan_special(jp *j, const char *p, double *out);

/* SWAR digit parsing (little-endian; the technique of simdjson's
 * parse_eight_digits_unrolled). */
static inline bool eight_digits(uint64_t w)
{
    return ((w & 0xf0f0f0f0f0f0f0f0ULL) |
            (((w + 0x0606060606060606ULL) & 0xf0f0f0f0f0f0f0f0ULL) >> 4)) ==
           0x3333333333333333ULL;
}

static inline uint64_t parse_eight(uint64_t w)
{
    const uint64_t mask = 0x000000ff000000ffULL;
    const uint64_t mul1 = 0x000f424000000064ULL; /* 100 + (1000000 << 32) */
    const uint64_t mul2 = 0x0000271000000001ULL; /* 1 + (10000 << 32) */
    w -= 0x3030303030303030ULL;
    w = (w * 10) + (w >> 8);
    w = (((w & mask) * mul1) + (((w >> 16) & mask) * mul2)) >> 32;
    return w;
}

static inline __attribute__((always_inline)) const char *
scan_number(jp *j, const char *p, numtok *nt)
{
    const char *end = j->end, *s = p;
    nt->neg = false;
    nt->is_int = true;
    nt->big = false;
    if (*p == '-') {
        nt->neg = true;
        p++;
    }
    if (p >= end) return fail(j, s, "invalid number");
    uint64_t acc = 0;
    if (*p == '0') {
        p++;
        if (p < end && (unsigned)(*p - '0') < 10)
            return fail(j, s, "invalid number (leading zero)");
    } else if ((unsigned)(*p - '0') < 10) {
        const char *ds = p;
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (!eight_digits(w)) break;
            acc = acc * 100000000 + parse_eight(w);
            p += 8;
        }
        while (p < end && (unsigned)(*p - '0') < 10) {
            acc = acc * 10 + (uint64_t)(*p - '0');
            p++;
        }
        if (p - ds > 19) nt->big = true;
    } else {
        return fail(j, s, "invalid number");
    }
    nt->mag = acc;
    if (p < end && *p == '.') {
        nt->is_int = false;
        p++;
        if (p >= end || (unsigned)(*p - '0') >= 10)
            return fail(j, s, "invalid number");
        while (p < end && (unsigned)(*p - '0') < 10) p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        nt->is_int = false;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || (unsigned)(*p - '0') >= 10)
            return fail(j, s, "invalid number");
        while (p < end && (unsigned)(*p - '0') < 10) p++;
    }
    return p;
}

/* Non-numeric numbers (Jackson's ALLOW_NON_NUMERIC_NUMBERS, on in Spark):
 * NaN, Infinity, +Infinity, -Infinity, INF, +INF, -INF. */
static const char *scan_special(jp *j, const char *p, double *out)
{
    const char *s = p, *end = j->end;
    bool neg = false, sign = false;
    if (*p == '-' || *p == '+') {
        neg = *p == '-';
        sign = true;
        p++;
    }
    size_t left = (size_t)(end - p);
    if (!sign && left >= 3 && memcmp(p, "NaN", 3) == 0) {
        *out = NAN;
        return p + 3;
    }
    if (left >= 8 && memcmp(p, "Infinity", 8) == 0) {
        *out = neg ? -INFINITY : INFINITY;
        return p + 8;
    }
    if (left >= 3 && memcmp(p, "INF", 3) == 0) {
        *out = neg ? -INFINITY : INFINITY;
        return p + 3;
    }
    return fail(j, s, "invalid value");
}

static inline bool is_special_start(const char *p, const char *end)
{
    if (*p == 'N' || *p == 'I') return true;
    return (*p == '-' || *p == '+') && p + 1 < end && (p[1] == 'I');
}

static const char *skip_nested(jp *j, const char *p)
{
    /* Bit i of `stack` is 1 when level i is an object. */
    uint64_t stack = 0;
    int depth = 0;
    const char *end = j->end;
    while (p < end) {
        char ch = *p;
        switch (ch) {
        case '"':
            p = skip_string(j, p + 1);
            if (!p) return NULL;
            continue;
        case '{':
        case '[':
            if (depth >= 64) return fail(j, p, "nesting too deep");
            stack = (stack << 1) | (ch == '{');
            depth++;
            break;
        case '}':
        case ']':
            if (depth == 0 || (int)(stack & 1) != (ch == '}'))
                return fail(j, p, "mismatched bracket");
            stack >>= 1;
            if (--depth == 0) return p + 1;
            break;
        default:
            break;
        }
        p++;
    }
    return fail(j, p, "unterminated object or array");
}

static inline const char *skip_literal(jp *j, const char *p, const char *lit,
                                       size_t n)
{
    if ((size_t)(j->end - p) < n || memcmp(p, lit, n) != 0)
        return fail(j, p, "invalid value");
    return p + n;
}

/* Skips any JSON value starting at p (not whitespace). */
static const char *skip_value(jp *j, const char *p)
{
    numtok nt;
    double d;
    switch (*p) {
    case '"':
        return skip_string(j, p + 1);
    case '{':
    case '[':
        return skip_nested(j, p);
    case 't':
        return skip_literal(j, p, "true", 4);
    case 'f':
        return skip_literal(j, p, "false", 5);
    case 'n':
        return skip_literal(j, p, "null", 4);
    default:
        if (is_special_start(p, j->end)) return scan_special(j, p, &d);
        return scan_number(j, p, &nt);
    }
}

/* ------------------------------------------------------------------------
 * Strings
 * ---------------------------------------------------------------------- */

static inline int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        int d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F')
            d = ch - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static char *put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xc0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (char)(0xf0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

/* Decodes the JSON string body [s, e) (escapes valid or not) into dst,
 * which has room for e - s bytes (decoding never grows). Returns the
 * decoded length, or -1 with the reason set. */
static long unescape(jp *j, const char *s, const char *e, char *dst)
{
    char *o = dst;
    while (s < e) {
        const char *b = memchr(s, '\\', (size_t)(e - s));
        if (!b) b = e;
        memcpy(o, s, (size_t)(b - s));
        o += b - s;
        s = b;
        if (s >= e) break;
        if (s + 1 >= e) return fail(j, s, "invalid escape"), -1;
        char ch = s[1];
        s += 2;
        switch (ch) {
        case '"':
        case '\\':
        case '/':
            *o++ = ch;
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            int u = e - s >= 4 ? hex4(s) : -1;
            if (u < 0) return fail(j, s - 2, "invalid \\u escape"), -1;
            s += 4;
            uint32_t cp = (uint32_t)u;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                int lo = -1;
                if (e - s >= 6 && s[0] == '\\' && s[1] == 'u') lo = hex4(s + 2);
                if (lo >= 0xdc00 && lo <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) +
                         ((uint32_t)lo - 0xdc00);
                    s += 6;
                } else {
                    cp = 0xfffd;
                }
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                cp = 0xfffd;
            }
            o = put_utf8(o, cp);
            break;
        }
        default:
            return fail(j, s - 2, "invalid escape"), -1;
        }
    }
    return o - dst;
}

/* Parses a JSON string whose opening quote is at p. Sets *out to its
 * decoded text (a view into the input, or arena memory when escaped) and
 * returns the pointer past the closing quote, or NULL. */
static inline const char *read_string(jp *j, const char *p, sp_str *out)
{
    const char *s = p + 1;
    const char *q = scan_str(s, j->bend);
    if (q < j->end && *q == '"') {
        out->ptr = s;
        out->len = (uint32_t)(q - s);
        return q + 1;
    }
    if (q >= j->end || *q != '\\') {
        return fail(j, q,
                    q >= j->end ? "unterminated string"
                                : "control character in string");
    }
    const char *after = skip_string(j, q);
    if (!after) return NULL;
    const char *e = after - 1;
    char *dst = sp_arena_alloc(j->c->arena, (size_t)(e - s));
    if (!dst) {
        j->oom = true;
        return NULL;
    }
    long n = unescape(j, s, e, dst);
    if (n < 0) return NULL;
    out->ptr = dst;
    out->len = (uint32_t)n;
    return after;
}

/* ------------------------------------------------------------------------
 * Values into columns
 * ---------------------------------------------------------------------- */

static bool special_string(sp_str s, double *out)
{
    const char *p = s.ptr, *e = s.ptr + s.len;
    bool neg = false;
    if (p < e && (*p == '-' || *p == '+')) neg = *p++ == '-';
    size_t n = (size_t)(e - p);
    if (n == 3 && memcmp(p, "NaN", 3) == 0 && p == s.ptr) {
        *out = NAN;
        return true;
    }
    if ((n == 8 && memcmp(p, "Infinity", 8) == 0) ||
        (n == 3 && memcmp(p, "INF", 3) == 0)) {
        *out = neg ? -INFINITY : INFINITY;
        return true;
    }
    return false;
}

/* Parses the value at p into row j->row of field f. Returns the pointer
 * past the value, or NULL (reason set; j->oom on allocation failure). */
static const char *put_value(jp *j, uint32_t f, const char *p)
{
    sp_vec *v = &j->c->cols[f];
    sp_type t = j->r->types[f];
    uint32_t row = j->row;
    const char *s = p, *q;
    sp_str str;
    numtok nt;
    double d;

    switch (*p) {
    case '"':
        q = read_string(j, p, &str);
        if (!q) return NULL;
        switch (t) {
        case SP_T_VARCHAR:
            v->d.str[row] = str;
            break;
        case SP_T_TIMESTAMP:
            if (sp_ts_parse(str.ptr, str.len, &v->d.i64[row]) != 0)
                return fail_type(j, f, "a timestamp", s, (size_t)(q - s));
            break;
        case SP_T_INTERVAL: {
            const char *why = NULL;
            if (sp_interval_parse(str.ptr, str.len, &v->d.i64[row], &why) != 0)
                return fail_type(j, f, "an interval", s, (size_t)(q - s));
            break;
        }
        case SP_T_DOUBLE:
            if (!special_string(str, &v->d.f64[row]))
                return fail_type(j, f, "DOUBLE", s, (size_t)(q - s));
            break;
        case SP_T_NULL:
            goto null;
        default:
            return fail_type(j, f, sp_type_name(t), s, (size_t)(q - s));
        }
        io_set_valid(v, row);
        return q;
    case 'n':
        q = skip_literal(j, p, "null", 4);
        if (!q) return NULL;
        p = q;
        goto null;
    case 't':
    case 'f': {
        bool b = *p == 't';
        q = b ? skip_literal(j, p, "true", 4) : skip_literal(j, p, "false", 5);
        if (!q) return NULL;
        if (t == SP_T_BOOL)
            v->d.b[row] = b;
        else if (t == SP_T_VARCHAR)
            v->d.str[row] = sp_str_make(s, q - s);
        else if (t == SP_T_NULL) {
            p = q;
            goto null;
        } else
            return fail_type(j, f, sp_type_name(t), s, (size_t)(q - s));
        io_set_valid(v, row);
        return q;
    }
    case '{':
    case '[':
        q = skip_nested(j, p);
        if (!q) return NULL;
        if (t == SP_T_VARCHAR)
            v->d.str[row] = sp_str_make(s, q - s);
        else if (t == SP_T_NULL) {
            p = q;
            goto null;
        } else
            return fail_type(j, f, sp_type_name(t), s, (size_t)(q - s));
        io_set_valid(v, row);
        return q;
    default:
        break;
    }

    /* Numbers, including NaN/Infinity. */
    if (is_special_start(p, j->end)) {
        q = scan_special(j, p, &d);
        if (!q) return NULL;
        if (t == SP_T_DOUBLE)
            v->d.f64[row] = d;
        else if (t == SP_T_VARCHAR)
            v->d.str[row] = sp_str_make(s, q - s);
        else if (t == SP_T_NULL) {
            p = q;
            goto null;
        } else
            return fail_type(j, f, sp_type_name(t), s, (size_t)(q - s));
        io_set_valid(v, row);
        return q;
    }
    q = scan_number(j, p, &nt);
    if (!q) return NULL;
    switch (t) {
    case SP_T_BIGINT:
        if (!nt.is_int) return fail_type(j, f, "BIGINT", s, (size_t)(q - s));
        if (nt.big || nt.mag > (uint64_t)INT64_MAX + nt.neg) {
            j->col = (int)(s - j->line) + 1;
            snprintf(j->r->why, sizeof j->r->why,
                     "field \"%.64s\": number %.*s out of BIGINT range",
                     j->r->names[f], (int)SP_MIN(q - s, 40), s);
            return NULL;
        }
        v->d.i64[row] = nt.neg ? (int64_t)(0 - nt.mag) : (int64_t)nt.mag;
        break;
    case SP_T_DOUBLE:
        if (nt.is_int && !nt.big && nt.mag <= (1ULL << 53)) {
            d = (double)nt.mag;
            v->d.f64[row] = nt.neg ? -d : d;
        } else if (sp_io_parse_double(s, q, &v->d.f64[row]) != 0) {
            return fail_type(j, f, "DOUBLE", s, (size_t)(q - s));
        }
        break;
    case SP_T_TIMESTAMP:
        /* Spark: a number is seconds since the epoch. */
        if (nt.is_int && !nt.big && nt.mag <= (uint64_t)INT64_MAX / 1000000) {
            int64_t us = (int64_t)nt.mag * 1000000;
            v->d.i64[row] = nt.neg ? -us : us;
        } else if (sp_io_parse_seconds(s, q, &v->d.i64[row]) != 0) {
            return fail_type(j, f, "TIMESTAMP", s, (size_t)(q - s));
        }
        break;
    case SP_T_VARCHAR:
        v->d.str[row] = sp_str_make(s, q - s);
        break;
    case SP_T_NULL:
        p = q;
        goto null;
    default:
        return fail_type(j, f, sp_type_name(t), s, (size_t)(q - s));
    }
    io_set_valid(v, row);
    return q;

null:
    if (io_set_null(j->c, f, row) != 0) {
        j->oom = true;
        return NULL;
    }
    return p;
}

/* ------------------------------------------------------------------------
 * Lines
 * ---------------------------------------------------------------------- */

/* Does the input at s hold the cached key followed by its closing quote?
 * The caller checked that len + 1 bytes are inside the line. */
static inline bool key_eq(const char *s, const json_kc *kc, const char *bend)
{
    uint32_t n = kc->len + 1; /* with the quote */
#if defined(__SSE2__)
    if (n <= 16 && bend - s >= 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)s);
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)kc->key);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, b));
        unsigned want = (1u << n) - 1;
        return (m & want) == want;
    }
    if (n <= 32 && bend - s >= 32) {
        __m128i a0 = _mm_loadu_si128((const __m128i *)(const void *)s);
        __m128i a1 = _mm_loadu_si128((const __m128i *)(const void *)(s + 16));
        __m128i b0 = _mm_loadu_si128((const __m128i *)(const void *)kc->key);
        __m128i b1 =
            _mm_loadu_si128((const __m128i *)(const void *)(kc->key + 16));
        uint32_t m =
            (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(a0, b0)) |
            ((uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(a1, b1)) << 16);
        uint32_t want = n == 32 ? 0xffffffffu : (1u << n) - 1;
        return (m & want) == want;
    }
#endif
    (void)bend;
    return memcmp(s, kc->key, n) == 0;
}

/* Reads the key whose opening quote is at p (j->end bounds it). Sets *f to
 * the field (-1 = unknown) and returns the pointer past the closing quote,
 * or NULL. `k` is the key's ordinal in the object. */
static inline const char *read_key(jp *j, const char *p, uint32_t k, int *f)
{
    sp_reader *r = j->r;
    const char *s = p + 1;
    json_kc *kc = k < SP_JSON_KC_SLOTS ? &r->kc[k] : NULL;
    if (kc && kc->len && (size_t)(j->end - s) > kc->len &&
        key_eq(s, kc, j->bend)) {
        *f = kc->field;
        return s + kc->len + 1;
    }
    const char *q = scan_str(s, j->bend);
    const char *key = s;
    size_t klen;
    const char *after;
    bool cacheable = true;
    if (q < j->end && *q == '"') {
        klen = (size_t)(q - s);
        after = q + 1;
    } else if (q < j->end && *q == '\\') {
        after = skip_string(j, q);
        if (!after) return NULL;
        cacheable = false;
        size_t raw = (size_t)(after - 1 - s);
        if (raw > r->keybuf_cap) {
            *f = -1; /* decodes to more than any field name */
            return after;
        }
        long n = unescape(j, s, after - 1, r->keybuf);
        if (n < 0) return NULL;
        key = r->keybuf;
        klen = (size_t)n;
    } else {
        return fail(j, q,
                    q >= j->end ? "unterminated string"
                                : "control character in string");
    }
    *f = klen <= r->max_name ? find_field(r, key, klen) : -1;
    if (kc) {
        if (cacheable && klen > 0 && klen < SP_JSON_KC_WIDTH) {
            kc->len = (uint32_t)klen;
            kc->field = *f;
            memset(kc->key, 0, sizeof kc->key);
            memcpy(kc->key, key, klen);
            kc->key[klen] = '"';
        } else {
            kc->len = 0;
        }
    }
    return after;
}

/* Parses one line [p, j->end) into row j->row. */
static int parse_line(jp *j, const char *p)
{
    sp_reader *r = j->r;
    const char *end = j->end;
    j->col = 0;
    p = skip_ws(p, end);
    if (p >= end) return LINE_BLANK;
    if (*p != '{') {
        fail(j, p, "expected '{' (a JSON object)");
        return LINE_BAD;
    }
    if (++r->stamp == 0) {
        memset(r->seen, 0, r->n_fields * sizeof *r->seen);
        r->stamp = 1;
    }
    uint32_t stamp = r->stamp, n_seen = 0, k = 0;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
        goto close;
    }
    for (;;) {
        if (p >= end || *p != '"') {
            fail(j, p, "expected '\"' (a key)");
            return LINE_BAD;
        }
        int f;
        p = read_key(j, p, k++, &f);
        if (!p) return LINE_BAD;
        if (p < end && *p == ':') {
            p++;
        } else {
            p = skip_ws(p, end);
            if (p >= end || *p != ':') {
                fail(j, p, "expected ':'");
                return LINE_BAD;
            }
            p++;
        }
        if (p < end && *p == ' ') p++;
        p = skip_ws(p, end);
        if (p >= end) {
            fail(j, p, "expected a value");
            return LINE_BAD;
        }
        if (f >= 0) {
            if (r->seen[f] != stamp) {
                r->seen[f] = stamp;
                n_seen++;
            }
            p = put_value(j, (uint32_t)f, p);
        } else {
            p = skip_value(j, p);
        }
        if (!p) return j->oom ? LINE_OOM : LINE_BAD;
        if (p < end && *p == ',') {
            p++;
        } else {
            p = skip_ws(p, end);
            if (p < end && *p == ',') {
                p++;
            } else if (p < end && *p == '}') {
                p++;
                break;
            } else {
                fail(j, p, "expected ',' or '}'");
                return LINE_BAD;
            }
        }
        if (p < end && *p == ' ') p++;
        p = skip_ws(p, end);
    }
close:
    p = skip_ws(p, end);
    if (p < end) {
        fail(j, p, "unexpected text after the object");
        return LINE_BAD;
    }
    if (n_seen < r->n_fields) {
        for (uint32_t f = 0; f < r->n_fields; f++) {
            if (r->seen[f] != stamp && io_set_null(j->c, f, j->row) != 0)
                return LINE_OOM;
        }
    }
    return LINE_ROW;
}

int sp_io_json_parse(io_ctx *c, size_t *pos, uint64_t *line_no,
                     uint32_t *n_rows)
{
    jp j = {c->r, c, NULL, NULL, c->bend, 0, 0, false};
    const char *p = c->buf + *pos, *bend = c->bend;
    uint64_t ln = *line_no;
    uint32_t n = 0;
    int rc = 0;
    while (p < bend && n < c->cap) {
        const char *nl = memchr(p, '\n', (size_t)(bend - p));
        const char *end = nl ? nl : bend;
        const char *next = nl ? nl + 1 : bend;
        if (end > p && end[-1] == '\r') end--;
        j.line = p;
        j.end = end;
        j.row = n;
        int lr = parse_line(&j, p);
        if (lr == LINE_ROW) {
            n++;
        } else if (lr == LINE_OOM) {
            rc = SP_ENOMEM;
            break;
        } else if (lr == LINE_BAD) {
            rc = sp_io_bad(c, ln, p, (size_t)(end - p), j.col);
            if (rc != 0) break;
        }
        p = next;
        ln++;
    }
    *pos = (size_t)(p - c->buf);
    *line_no = ln;
    *n_rows = n;
    return rc;
}
