/*
 * func_str.c -- string functions and pattern matching: lower/upper,
 * length, substring, concat, trim, replace, split_part, LIKE/ILIKE,
 * RLIKE and regexp_extract/regexp_replace.
 *
 * Layer: expr. Part of the catalog (sp_func_str_defs, looked up through
 * func.c). Results that are new strings go into the kernel's scratch
 * arena; results that are a slice of the input (substring, trim,
 * split_part, lower() of already-lower text) are views of the input and
 * copy nothing.
 *
 * Strings are UTF-8. length() and substring() count code points, as
 * Spark does. lower()/upper() map ASCII and the common two-byte scripts
 * (Latin-1, Latin Extended-A, Greek, Cyrillic); other characters pass
 * unchanged (Java maps all of Unicode).
 *
 * LIKE patterns are compiled once when constant (prepare): `abc`,
 * `abc%`, `%abc` and `%abc%` become length checks plus memcmp/memmem;
 * anything else runs a greedy wildcard matcher with one backtrack point
 * (linear for patterns with a single %, O(n*m) worst case).
 *
 * Regular expressions are POSIX extended (glibc regcomp), not Java's
 * dialect: \d \D are rewritten to [0-9] / [^0-9]; \w \s \b work as GNU
 * extensions; lazy quantifiers (*?), lookaround, (?i) and named groups are
 * not supported and fail at bind time when the pattern is constant.
 */
#define _GNU_SOURCE /* memmem */
#include "expr/exprInt.h"

#include <string.h>

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

static char *salloc(sp_kernel_ctx *ctx, size_t n)
{
    char *p = sp_arena_alloc(ctx->arena, n ? n : 1);
    if (!p) ctx->oom = true;
    return p;
}

static inline bool s_eq(sp_str a, sp_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline int u8len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

int64_t sp_utf8_len(const char *p, uint32_t n)
{
    int64_t c = 0;
    for (uint32_t i = 0; i < n; i++) c += ((unsigned char)p[i] & 0xC0) != 0x80;
    return c;
}

/* Byte offset after skipping k code points from byte `from`. */
static uint32_t utf8_skip(const char *p, uint32_t n, uint32_t from, int64_t k)
{
    uint32_t i = from;
    while (k > 0 && i < n) {
        i += (uint32_t)u8len((unsigned char)p[i]);
        k--;
    }
    return i > n ? n : i;
}

static const sp_str k_empty = {"", 0};

/* Case mapping of one code point (same UTF-8 length in and out). */
static uint32_t cp_lower(uint32_t c)
{
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
    if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 &&
        c != 0x149 && c != 0x17F) {
        bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179);
        if (odd_upper ? (c & 1) : !(c & 1)) return c + 1;
        return c;
    }
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 0x20;
    if (c >= 0x410 && c <= 0x42F) return c + 0x20;
    if (c >= 0x400 && c <= 0x40F) return c + 0x50;
    return c;
}

static uint32_t cp_upper(uint32_t c)
{
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 0x20;
    if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 &&
        c != 0x149 && c != 0x17F) {
        bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179);
        if (odd_upper ? !(c & 1) : (c & 1)) return c - 1;
        return c;
    }
    if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) return c - 0x20;
    if (c >= 0x430 && c <= 0x44F) return c - 0x20;
    if (c >= 0x450 && c <= 0x45F) return c - 0x50;
    return c;
}

/* Maps s with ASCII fast path; returns a view of s when nothing changes. */
static sp_str map_case(sp_kernel_ctx *ctx, sp_str s, bool up)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    uint32_t i = 0;
    /* Find the first byte that would change. */
    for (; i < s.len; i++) {
        unsigned char c = p[i];
        if (c >= 0x80) break;
        if (up ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z')) break;
    }
    if (i == s.len) return s;
    char *o = salloc(ctx, s.len);
    if (!o) return k_empty;
    memcpy(o, s.ptr, i);
    while (i < s.len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            if (up && c >= 'a' && c <= 'z') c -= 32;
            if (!up && c >= 'A' && c <= 'Z') c += 32;
            o[i++] = (char)c;
        } else if ((c & 0xE0) == 0xC0 && i + 1 < s.len) {
            uint32_t cp = ((uint32_t)(c & 0x1F) << 6) | (p[i + 1] & 0x3F);
            uint32_t m = up ? cp_upper(cp) : cp_lower(cp);
            if (m < 0x80 || m > 0x7FF) m = cp;
            o[i] = (char)(0xC0 | (m >> 6));
            o[i + 1] = (char)(0x80 | (m & 0x3F));
            i += 2;
        } else {
            o[i] = (char)c;
            i++;
        }
    }
    return sp_str_make(o, s.len);
}

/* ------------------------------------------------------------------------
 * Simple string kernels
 * ---------------------------------------------------------------------- */

static SP_KERNEL(lower_k)
{
    const sp_str *x = args[0].d.str;
    sp_str *o = out->d.str;
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i)) o[i] = map_case(ctx, x[i], false);
    });
}

static SP_KERNEL(upper_k)
{
    const sp_str *x = args[0].d.str;
    sp_str *o = out->d.str;
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i)) o[i] = map_case(ctx, x[i], true);
    });
}

static SP_KERNEL(length_k)
{
    const sp_str *x = args[0].d.str;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i)) o[i] = sp_utf8_len(x[i].ptr, x[i].len);
    });
}

static SP_KERNEL(octet_length_k)
{
    const sp_str *x = args[0].d.str;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, o[i] = x[i].len;);
}

/* Spark's UTF8String.substringSQL(pos, len). */
static sp_str substr_sql(sp_str s, int64_t pos, int64_t len)
{
    int64_t start;
    if (pos > 0)
        start = pos - 1;
    else if (pos < 0)
        start = sp_utf8_len(s.ptr, s.len) + pos;
    else
        start = 0;
    int64_t end;
    if (__builtin_add_overflow(start, len, &end))
        end = len > 0 ? INT64_MAX : INT64_MIN;
    if (start < 0) start = 0;
    if (start >= end) return k_empty;
    uint32_t b0 = utf8_skip(s.ptr, s.len, 0, start);
    uint32_t b1 = utf8_skip(s.ptr, s.len, b0, end - start);
    return sp_str_make(s.ptr + b0, b1 - b0);
}

static SP_KERNEL(substr_k)
{
    const sp_str *x = args[0].d.str;
    const int64_t *p = args[1].d.i64;
    const int64_t *l = n_args > 2 ? args[2].d.i64 : NULL;
    sp_str *o = out->d.str;
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i))
            o[i] = substr_sql(x[i], p[i], l ? l[i] : INT64_MAX);
    });
}

static SP_KERNEL(concat_k)
{
    sp_str *o = out->d.str;
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i)) {
            size_t tot = 0;
            for (int j = 0; j < n_args; j++) tot += args[j].d.str[i].len;
            char *p = salloc(ctx, tot);
            if (p) {
                size_t at = 0;
                for (int j = 0; j < n_args; j++) {
                    sp_str s = args[j].d.str[i];
                    if (s.len) memcpy(p + at, s.ptr, s.len);
                    at += s.len;
                }
                o[i] = sp_str_make(p, tot);
            } else {
                o[i] = k_empty;
            }
        }
    });
}

/* concat_ws(sep, a, ...): NULL separator -> NULL; NULL args skipped. */
static SP_KERNEL(concat_ws_k)
{
    sp_str *o = out->d.str;
    SP_LOOP(sel, n, i, {
        if (sp_vec_is_null(&args[0], i)) {
            out->nulls[i] = 1;
        } else {
            sp_str sep = args[0].d.str[i];
            size_t tot = 0;
            int cnt = 0;
            for (int j = 1; j < n_args; j++) {
                if (sp_vec_is_null(&args[j], i)) continue;
                tot += args[j].d.str[i].len;
                cnt++;
            }
            if (cnt > 1) tot += (size_t)(cnt - 1) * sep.len;
            char *p = salloc(ctx, tot);
            if (p) {
                size_t at = 0;
                int k = 0;
                for (int j = 1; j < n_args; j++) {
                    if (sp_vec_is_null(&args[j], i)) continue;
                    sp_str s = args[j].d.str[i];
                    if (k++ && sep.len) {
                        memcpy(p + at, sep.ptr, sep.len);
                        at += sep.len;
                    }
                    if (s.len) memcpy(p + at, s.ptr, s.len);
                    at += s.len;
                }
                o[i] = sp_str_make(p, tot);
            } else {
                o[i] = k_empty;
            }
        }
    });
}

/* trim/ltrim/rtrim: Spark removes the space character (0x20) only. */
static sp_str trim_sp(sp_str s, bool left, bool right)
{
    uint32_t b = 0, e = s.len;
    if (left)
        while (b < e && s.ptr[b] == ' ') b++;
    if (right)
        while (e > b && s.ptr[e - 1] == ' ') e--;
    return sp_str_make(s.ptr + b, e - b);
}

#define TRIM_K(NAME, L, R)                                                     \
    static SP_KERNEL(NAME)                                                     \
    {                                                                          \
        const sp_str *x = args[0].d.str;                                       \
        sp_str *o = out->d.str;                                                \
        SP_LOOP(sel, n, i, {                                                   \
            if (!SP_OUT_NULL(out, i)) o[i] = trim_sp(x[i], L, R);              \
        });                                                                    \
    }
TRIM_K(trim_k, true, true)
TRIM_K(ltrim_k, true, false)
TRIM_K(rtrim_k, false, true)

static const char *find_sub(const char *h, size_t hn, sp_str needle)
{
    if (needle.len == 0) return h;
    return memmem(h, hn, needle.ptr, needle.len);
}

static SP_KERNEL(replace_k)
{
    const sp_str *x = args[0].d.str, *f = args[1].d.str;
    const sp_str *r = n_args > 2 ? args[2].d.str : NULL;
    sp_str *o = out->d.str;
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i)) {
            sp_str s = x[i], from = f[i], to = r ? r[i] : k_empty;
            if (from.len == 0 || !find_sub(s.ptr, s.len, from)) {
                o[i] = s;
            } else {
                size_t cnt = 0;
                for (const char *q = s.ptr, *e = s.ptr + s.len;
                     (q = find_sub(q, (size_t)(e - q), from)) != NULL;
                     q += from.len)
                    cnt++;
                size_t tot = s.len - cnt * from.len + cnt * to.len;
                char *p = salloc(ctx, tot);
                if (!p) {
                    o[i] = k_empty;
                } else {
                    size_t at = 0;
                    const char *q = s.ptr, *e = s.ptr + s.len, *m;
                    while ((m = find_sub(q, (size_t)(e - q), from)) != NULL) {
                        memcpy(p + at, q, (size_t)(m - q));
                        at += (size_t)(m - q);
                        if (to.len) memcpy(p + at, to.ptr, to.len);
                        at += to.len;
                        q = m + from.len;
                    }
                    memcpy(p + at, q, (size_t)(e - q));
                    o[i] = sp_str_make(p, tot);
                }
            }
        }
    });
}

/* split_part(str, delim, n): Spark 3.3+. n = 0 is an error in Spark;
 * here it is NULL. An empty delimiter does not split. */
static SP_KERNEL(split_part_k)
{
    const sp_str *x = args[0].d.str, *d = args[1].d.str;
    const int64_t *k = args[2].d.i64;
    sp_str *o = out->d.str;
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i)) {
            sp_str s = x[i], dl = d[i];
            int64_t part = k[i];
            if (part == 0) {
                out->nulls[i] = 1;
            } else if (dl.len == 0) {
                o[i] = (part == 1 || part == -1) ? s : k_empty;
            } else {
                /* Count parts, then pick the wanted one. */
                int64_t parts = 1;
                for (const char *q = s.ptr, *e = s.ptr + s.len;
                     (q = find_sub(q, (size_t)(e - q), dl)) != NULL;
                     q += dl.len)
                    parts++;
                int64_t want = part > 0 ? part - 1 : parts + part;
                if (want < 0 || want >= parts) {
                    o[i] = k_empty;
                } else {
                    const char *q = s.ptr, *e = s.ptr + s.len;
                    for (int64_t c = 0; c < want; c++)
                        q = find_sub(q, (size_t)(e - q), dl) + dl.len;
                    const char *m = find_sub(q, (size_t)(e - q), dl);
                    if (!m) m = e;
                    o[i] = sp_str_make(q, (size_t)(m - q));
                }
            }
        }
    });
}

static SP_KERNEL(startswith_k)
{
    const sp_str *x = args[0].d.str, *y = args[1].d.str;
    uint8_t *o = out->d.b;
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i))
            o[i] = y[i].len <= x[i].len &&
                   (y[i].len == 0 || memcmp(x[i].ptr, y[i].ptr, y[i].len) == 0);
    });
}

static SP_KERNEL(endswith_k)
{
    const sp_str *x = args[0].d.str, *y = args[1].d.str;
    uint8_t *o = out->d.b;
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i))
            o[i] = y[i].len <= x[i].len &&
                   (y[i].len == 0 || memcmp(x[i].ptr + x[i].len - y[i].len,
                                            y[i].ptr, y[i].len) == 0);
    });
}

static SP_KERNEL(contains_k)
{
    const sp_str *x = args[0].d.str, *y = args[1].d.str;
    uint8_t *o = out->d.b;
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i))
            o[i] = find_sub(x[i].ptr, x[i].len, y[i]) != NULL;
    });
}

/* instr(str, substr): 1-based character position, 0 if absent. */
static SP_KERNEL(instr_k)
{
    const sp_str *x = args[0].d.str, *y = args[1].d.str;
    int64_t *o = out->d.i64;
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i)) {
            const char *m = find_sub(x[i].ptr, x[i].len, y[i]);
            o[i] = m ? sp_utf8_len(x[i].ptr, (uint32_t)(m - x[i].ptr)) + 1 : 0;
        }
    });
}

/* ------------------------------------------------------------------------
 * LIKE
 * ---------------------------------------------------------------------- */

enum { LK_EXACT, LK_PREFIX, LK_SUFFIX, LK_CONTAINS, LK_ALL, LK_GENERAL };
enum { TK_LIT, TK_ONE, TK_ANY };

struct sp_like {
    int kind;
    bool nocase;
    char *lit; /* EXACT/PREFIX/SUFFIX/CONTAINS: the literal (unescaped) */
    uint32_t lit_len;
    uint8_t *ty; /* GENERAL: token types */
    char *ch;    /* GENERAL: literal bytes (TK_LIT) */
    uint32_t n_tok;
};

static inline char fold(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

sp_like *sp_like_compile(sp_str pat, bool nocase, sp_arena *a, const char **why)
{
    sp_like *l = sp_arena_zalloc(a, sizeof *l);
    uint8_t *ty = sp_arena_alloc(a, pat.len + 1);
    char *ch = sp_arena_alloc(a, pat.len + 1);
    if (!l || !ty || !ch) {
        if (why) *why = "out of memory";
        return NULL;
    }
    uint32_t m = 0;
    for (uint32_t i = 0; i < pat.len; i++) {
        char c = pat.ptr[i];
        if (c == '\\') {
            if (i + 1 >= pat.len) {
                if (why)
                    *why = "the pattern ends with the escape character '\\'";
                return NULL;
            }
            ty[m] = TK_LIT;
            ch[m++] = nocase ? fold(pat.ptr[++i]) : pat.ptr[++i];
        } else if (c == '%') {
            if (m > 0 && ty[m - 1] == TK_ANY) continue; /* %% = % */
            ty[m++] = TK_ANY;
        } else if (c == '_') {
            ty[m++] = TK_ONE;
        } else {
            ty[m] = TK_LIT;
            ch[m++] = nocase ? fold(c) : c;
        }
    }
    l->nocase = nocase;
    l->ty = ty;
    l->ch = ch;
    l->n_tok = m;
    /* Classify: literals with % only at the ends. */
    uint32_t b = 0, e = m;
    bool lead = b < e && ty[b] == TK_ANY, trail = e > b && ty[e - 1] == TK_ANY;
    if (lead) b++;
    if (trail && e > b) e--;
    bool simple = true;
    for (uint32_t k = b; k < e; k++)
        if (ty[k] != TK_LIT) simple = false;
    if (simple) {
        l->lit = ch + b;
        l->lit_len = e - b;
        if (m == 1 && lead)
            l->kind = LK_ALL;
        else if (lead && trail)
            l->kind = LK_CONTAINS;
        else if (lead)
            l->kind = LK_SUFFIX;
        else if (trail)
            l->kind = LK_PREFIX;
        else
            l->kind = LK_EXACT;
    } else {
        l->kind = LK_GENERAL;
    }
    return l;
}

static bool mem_eq(const char *a, const char *b, uint32_t n, bool nocase)
{
    if (!nocase) return n == 0 || memcmp(a, b, n) == 0;
    for (uint32_t i = 0; i < n; i++)
        if (fold(a[i]) != b[i]) return false;
    return true;
}

static bool like_general(const sp_like *l, sp_str s)
{
    const uint8_t *ty = l->ty;
    const char *ch = l->ch;
    uint32_t m = l->n_tok, si = 0, pi = 0, mark = 0;
    int64_t star = -1;
    const bool nc = l->nocase;
    while (si < s.len) {
        if (pi < m && ty[pi] == TK_ONE) {
            si += (uint32_t)u8len((unsigned char)s.ptr[si]);
            pi++;
        } else if (pi < m && ty[pi] == TK_LIT &&
                   (nc ? fold(s.ptr[si]) : s.ptr[si]) == ch[pi]) {
            si++;
            pi++;
        } else if (pi < m && ty[pi] == TK_ANY) {
            star = pi++;
            mark = si;
        } else if (star >= 0) {
            pi = (uint32_t)star + 1;
            mark += (uint32_t)u8len((unsigned char)s.ptr[mark]);
            si = mark;
        } else {
            return false;
        }
    }
    if (si > s.len) return false;
    while (pi < m && ty[pi] == TK_ANY) pi++;
    return pi == m;
}

bool sp_like_match(const sp_like *l, sp_str s)
{
    uint32_t n = l->lit_len;
    switch (l->kind) {
    case LK_ALL:
        return true;
    case LK_EXACT:
        return s.len == n && mem_eq(s.ptr, l->lit, n, l->nocase);
    case LK_PREFIX:
        return s.len >= n && mem_eq(s.ptr, l->lit, n, l->nocase);
    case LK_SUFFIX:
        return s.len >= n && mem_eq(s.ptr + s.len - n, l->lit, n, l->nocase);
    case LK_CONTAINS:
        if (n == 0) return true;
        if (!l->nocase) return memmem(s.ptr, s.len, l->lit, n) != NULL;
        for (uint32_t i = 0; i + n <= s.len; i++)
            if (mem_eq(s.ptr + i, l->lit, n, true)) return true;
        return false;
    default:
        return like_general(l, s);
    }
}

static bool is_const_arg(const sp_expr *e, int i)
{
    return e->n_args > i && e->args[i]->kind == SP_E_CONST &&
           !e->args[i]->val.is_null;
}

static int prepare_like(sp_expr *e, sp_arena *a, sp_err *err)
{
    if (!is_const_arg(e, 1)) return 0;
    const char *why = NULL;
    bool nocase = SP_FUNC_DEF(e->fn)->op == 1;
    e->aux = sp_like_compile(e->args[1]->val.v.s, nocase, a, &why);
    if (!e->aux)
        return sp_err_set(err, SP_EANALYSIS, "bad LIKE pattern: %s",
                          why ? why : "?");
    e->direct_const = 2u;
    return 0;
}

static SP_KERNEL(like_k)
{
    const sp_str *x = args[0].d.str;
    uint8_t *o = out->d.b;
    const sp_like *l = ctx->node->aux;
    if (l) {
        /* Hot path: constant pattern, specialised per kind. */
        if (l->kind == LK_EXACT && !l->nocase) {
            const uint32_t ln = l->lit_len;
            const char *lit = l->lit;
            SP_LOOP(sel, n, i, {
                o[i] = !SP_OUT_NULL(out, i) && x[i].len == ln &&
                       (ln == 0 || memcmp(x[i].ptr, lit, ln) == 0);
            });
            return;
        }
        if (l->kind == LK_PREFIX && !l->nocase) {
            const uint32_t ln = l->lit_len;
            const char *lit = l->lit;
            SP_LOOP(sel, n, i, {
                o[i] = !SP_OUT_NULL(out, i) && x[i].len >= ln &&
                       (ln == 0 || memcmp(x[i].ptr, lit, ln) == 0);
            });
            return;
        }
        if (l->kind == LK_SUFFIX && !l->nocase) {
            const uint32_t ln = l->lit_len;
            const char *lit = l->lit;
            SP_LOOP(sel, n, i, {
                o[i] =
                    !SP_OUT_NULL(out, i) && x[i].len >= ln &&
                    (ln == 0 || memcmp(x[i].ptr + x[i].len - ln, lit, ln) == 0);
            });
            return;
        }
        SP_LOOP(sel, n, i, {
            if (!SP_OUT_NULL(out, i)) o[i] = sp_like_match(l, x[i]);
        });
        return;
    }
    const sp_str *p = args[1].d.str;
    bool nocase = SP_FUNC_DEF(ctx->node->fn)->op == 1;
    sp_str last = {NULL, 0};
    sp_like *cur = NULL;
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i)) {
            if (!cur || !s_eq(last, p[i])) {
                last = p[i];
                cur = sp_like_compile(p[i], nocase, ctx->arena, NULL);
            }
            /* Only a trailing escape fails to compile: no match. */
            o[i] = cur ? sp_like_match(cur, x[i]) : 0;
        }
    });
}

/* ------------------------------------------------------------------------
 * Regular expressions
 * ---------------------------------------------------------------------- */

int sp_regex_compile(regex_t *re, sp_str pat, int flags, char *why,
                     size_t why_len)
{
    /* Rewrite Java's \d and \D, which POSIX lacks. */
    size_t cap = (size_t)pat.len * 6 + 1;
    char stackbuf[512];
    char *buf = cap <= sizeof stackbuf ? stackbuf : sp_malloc(cap);
    if (!buf) {
        if (why) snprintf(why, why_len, "out of memory");
        return -1;
    }
    size_t o = 0;
    bool in_br = false;
    for (uint32_t i = 0; i < pat.len; i++) {
        char c = pat.ptr[i];
        if (c == '\\' && i + 1 < pat.len &&
            (pat.ptr[i + 1] == 'd' || pat.ptr[i + 1] == 'D')) {
            bool neg = pat.ptr[i + 1] == 'D';
            const char *rep = in_br ? "0-9" : neg ? "[^0-9]" : "[0-9]";
            size_t rl = strlen(rep);
            memcpy(buf + o, rep, rl);
            o += rl;
            i++;
            continue;
        }
        if (c == '\\' && i + 1 < pat.len) {
            buf[o++] = c;
            buf[o++] = pat.ptr[++i];
            continue;
        }
        if (c == '[' && !in_br) {
            in_br = true;
            buf[o++] = c;
            /* A leading ] or ^] is literal inside brackets. */
            if (i + 1 < pat.len && pat.ptr[i + 1] == '^')
                buf[o++] = pat.ptr[++i];
            if (i + 1 < pat.len && pat.ptr[i + 1] == ']')
                buf[o++] = pat.ptr[++i];
            continue;
        }
        if (c == ']' && in_br) in_br = false;
        buf[o++] = c;
    }
    buf[o] = '\0';
    int rc = regcomp(re, buf, REG_EXTENDED | flags);
    if (buf != stackbuf) sp_free(buf);
    if (rc != 0) {
        if (why) regerror(rc, re, why, why_len);
        regfree(re);
        return -1;
    }
    return 0;
}

/* Per-call cache of the compiled pattern (constant or last seen). */
typedef struct re_cache {
    regex_t re;
    bool have, ok;
    sp_str last;
} re_cache;

static regex_t *re_get(re_cache *c, sp_str pat)
{
    if (c->have && s_eq(c->last, pat)) return c->ok ? &c->re : NULL;
    if (c->have && c->ok) regfree(&c->re);
    c->have = true;
    c->last = pat;
    c->ok = sp_regex_compile(&c->re, pat, 0, NULL, 0) == 0;
    return c->ok ? &c->re : NULL;
}

static void re_done(re_cache *c)
{
    if (c->have && c->ok) regfree(&c->re);
}

/* regexec over a view: REG_STARTEND bounds the match to [0, len). */
static bool re_exec(regex_t *re, sp_str s, uint32_t from, size_t nm,
                    regmatch_t *m, int eflags)
{
    regmatch_t local[1];
    if (nm == 0) {
        m = local;
        nm = 1;
    }
    m[0].rm_so = from;
    m[0].rm_eo = s.len;
    const char *p = s.len ? s.ptr : "";
    return regexec(re, p, nm, m, REG_STARTEND | eflags) == 0;
}

static int prepare_regex(sp_expr *e, sp_arena *a, sp_err *err)
{
    if (!is_const_arg(e, 1)) return 0;
    regex_t re;
    char why[256];
    if (sp_regex_compile(&re, e->args[1]->val.v.s, 0, why, sizeof why) != 0) {
        sp_err_set(err, SP_EANALYSIS, "bad regular expression '%.*s': %s",
                   (int)e->args[1]->val.v.s.len, e->args[1]->val.v.s.ptr, why);
        sp_err_hint(err, "patterns are POSIX extended regular expressions: "
                         "no lazy quantifiers, lookaround or (?i)");
        return SP_EANALYSIS;
    }
    size_t groups = re.re_nsub;
    regfree(&re);
    if (strcmp(e->fn->name, "regexp_extract") == 0 && is_const_arg(e, 2) &&
        (e->args[2]->val.v.i < 0 || (size_t)e->args[2]->val.v.i > groups)) {
        return sp_err_set(err, SP_EANALYSIS,
                          "regexp_extract() group index %lld is out of range: "
                          "the pattern has %zu group%s",
                          (long long)e->args[2]->val.v.i, groups,
                          groups == 1 ? "" : "s");
    }
    return 0;
}

static SP_KERNEL(rlike_k)
{
    const sp_str *x = args[0].d.str, *p = args[1].d.str;
    uint8_t *o = out->d.b;
    re_cache rc = {0};
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i)) {
            regex_t *re = re_get(&rc, p[i]);
            if (!re)
                out->nulls[i] = 1;
            else
                o[i] = re_exec(re, x[i], 0, 0, NULL, 0);
        }
    });
    re_done(&rc);
}

/* regexp_extract(str, regex[, idx = 1]): '' when nothing matches or the
 * group did not take part; NULL for a bad group index (Spark raises). */
static SP_KERNEL(regexp_extract_k)
{
    const sp_str *x = args[0].d.str, *p = args[1].d.str;
    const int64_t *g = n_args > 2 ? args[2].d.i64 : NULL;
    sp_str *o = out->d.str;
    re_cache rc = {0};
    regmatch_t m[10];
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i)) {
            regex_t *re = re_get(&rc, p[i]);
            int64_t gi = g ? g[i] : 1;
            if (!re || gi < 0 || (size_t)gi > re->re_nsub || gi > 9) {
                out->nulls[i] = 1;
            } else if (!re_exec(re, x[i], 0, 10, m, 0) || m[gi].rm_so < 0) {
                o[i] = k_empty;
            } else {
                o[i] = sp_str_make(x[i].ptr + m[gi].rm_so,
                                   (size_t)(m[gi].rm_eo - m[gi].rm_so));
            }
        }
    });
    re_done(&rc);
}

/* Appends to a growing arena buffer. */
typedef struct sbuild {
    sp_kernel_ctx *ctx;
    char *p;
    size_t len, cap;
} sbuild;

static void sb_put(sbuild *b, const char *s, size_t n)
{
    if (!n) return;
    if (b->len + n > b->cap) {
        size_t nc = (b->cap ? b->cap * 2 : 64);
        while (nc < b->len + n) nc *= 2;
        char *np = salloc(b->ctx, nc);
        if (!np) return;
        if (b->len) memcpy(np, b->p, b->len);
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* regexp_replace(str, regex, rep): Java replacement syntax: $n is group n,
 * \x is x literally. */
static SP_KERNEL(regexp_replace_k)
{
    const sp_str *x = args[0].d.str, *p = args[1].d.str, *r = args[2].d.str;
    sp_str *o = out->d.str;
    re_cache rc = {0};
    regmatch_t m[10];
    SP_LOOP(sel, n, i, {
        if (!SP_OUT_NULL(out, i)) {
            regex_t *re = re_get(&rc, p[i]);
            sp_str s = x[i], rep = r[i];
            if (!re) {
                out->nulls[i] = 1;
            } else if (!re_exec(re, s, 0, 10, m, 0)) {
                o[i] = s;
            } else {
                sbuild b = {.ctx = ctx};
                uint32_t at = 0;
                for (;;) {
                    sb_put(&b, s.ptr + at, (size_t)m[0].rm_so - at);
                    for (uint32_t k = 0; k < rep.len; k++) {
                        char c = rep.ptr[k];
                        if (c == '\\' && k + 1 < rep.len) {
                            sb_put(&b, rep.ptr + ++k, 1);
                        } else if (c == '$' && k + 1 < rep.len &&
                                   rep.ptr[k + 1] >= '0' &&
                                   rep.ptr[k + 1] <= '9') {
                            int gi = rep.ptr[++k] - '0';
                            if ((size_t)gi <= re->re_nsub && m[gi].rm_so >= 0)
                                sb_put(&b, s.ptr + m[gi].rm_so,
                                       (size_t)(m[gi].rm_eo - m[gi].rm_so));
                        } else {
                            sb_put(&b, &c, 1);
                        }
                    }
                    at = (uint32_t)m[0].rm_eo;
                    if (m[0].rm_eo == m[0].rm_so) {
                        /* Empty match: copy one character and move on. */
                        if (at >= s.len) break;
                        uint32_t cl = (uint32_t)u8len((unsigned char)s.ptr[at]);
                        if (at + cl > s.len) cl = s.len - at;
                        sb_put(&b, s.ptr + at, cl);
                        at += cl;
                    }
                    if (at > s.len ||
                        !re_exec(re, s, at, 10, m, at > 0 ? REG_NOTBOL : 0))
                        break;
                }
                if (at < s.len) sb_put(&b, s.ptr + at, s.len - at);
                o[i] = b.len ? sp_str_make(b.p, b.len) : k_empty;
            }
        }
    });
    re_done(&rc);
}

/* ------------------------------------------------------------------------
 * Catalog rows
 * ---------------------------------------------------------------------- */

#define T(x) SP_T_##x
#define ROW(nm, mn, mx, st, mnull, s0, s1, s2, rt, kn, pr, hp, o)              \
    {                                                                          \
        {.name = nm,                                                           \
         .min_args = mn,                                                       \
         .max_args = mx,                                                       \
         .strict = st,                                                         \
         .resolve = sp_func_resolve_sig,                                       \
         .kernel = sp_func_pick_sig,                                           \
         .prepare = pr,                                                        \
         .help = hp,                                                           \
         .may_null = mnull},                                                   \
            .sig = {s0, s1, s2, s2}, .ret = rt, .k = kn, .op = o               \
    }

const sp_func_def sp_func_str_defs[] = {
    ROW("lower", 1, 1, true, false, T(VARCHAR), 0, 0, T(VARCHAR), lower_k, NULL,
        "lower(s): s in lower case", 0),
    ROW("lcase", 1, 1, true, false, T(VARCHAR), 0, 0, T(VARCHAR), lower_k, NULL,
        "lcase(s): same as lower(s)", 0),
    ROW("upper", 1, 1, true, false, T(VARCHAR), 0, 0, T(VARCHAR), upper_k, NULL,
        "upper(s): s in upper case", 0),
    ROW("ucase", 1, 1, true, false, T(VARCHAR), 0, 0, T(VARCHAR), upper_k, NULL,
        "ucase(s): same as upper(s)", 0),
    ROW("length", 1, 1, true, false, T(VARCHAR), 0, 0, T(BIGINT), length_k,
        NULL, "length(s) -> BIGINT: number of characters (UTF-8 aware)", 0),
    ROW("char_length", 1, 1, true, false, T(VARCHAR), 0, 0, T(BIGINT), length_k,
        NULL, "char_length(s): same as length(s)", 0),
    ROW("character_length", 1, 1, true, false, T(VARCHAR), 0, 0, T(BIGINT),
        length_k, NULL, "character_length(s): same as length(s)", 0),
    ROW("octet_length", 1, 1, true, false, T(VARCHAR), 0, 0, T(BIGINT),
        octet_length_k, NULL, "octet_length(s) -> BIGINT: number of bytes", 0),
    ROW("substring", 2, 3, true, false, T(VARCHAR), T(BIGINT), T(BIGINT),
        T(VARCHAR), substr_k, NULL,
        "substring(s, pos[, len]): characters from pos (1-based; negative "
        "counts from the end)",
        0),
    ROW("substr", 2, 3, true, false, T(VARCHAR), T(BIGINT), T(BIGINT),
        T(VARCHAR), substr_k, NULL, "substr(s, pos[, len]): same as substring",
        0),
    ROW("concat", 1, -1, true, false, T(VARCHAR), 0, 0, T(VARCHAR), concat_k,
        NULL, "concat(a, b, ...): the strings joined; NULL if any is NULL", 0),
    ROW("||", 2, 2, true, false, T(VARCHAR), T(VARCHAR), 0, T(VARCHAR),
        concat_k, NULL, "a || b: concat(a, b)", 0),
    ROW("concat_ws", 1, -1, false, false, T(VARCHAR), T(VARCHAR), 0, T(VARCHAR),
        concat_ws_k, NULL,
        "concat_ws(sep, a, ...): the non-NULL strings joined by sep", 0),
    ROW("trim", 1, 1, true, false, T(VARCHAR), 0, 0, T(VARCHAR), trim_k, NULL,
        "trim(s): s without leading and trailing spaces", 0),
    ROW("ltrim", 1, 1, true, false, T(VARCHAR), 0, 0, T(VARCHAR), ltrim_k, NULL,
        "ltrim(s): s without leading spaces", 0),
    ROW("rtrim", 1, 1, true, false, T(VARCHAR), 0, 0, T(VARCHAR), rtrim_k, NULL,
        "rtrim(s): s without trailing spaces", 0),
    ROW("replace", 2, 3, true, false, T(VARCHAR), T(VARCHAR), T(VARCHAR),
        T(VARCHAR), replace_k, NULL,
        "replace(s, search[, rep]): every search replaced by rep (default "
        "'')",
        0),
    ROW("split_part", 3, 3, true, true, T(VARCHAR), T(VARCHAR), T(BIGINT),
        T(VARCHAR), split_part_k, NULL,
        "split_part(s, delim, n): the n-th part (negative counts from the "
        "end; '' if out of range)",
        0),
    ROW("startswith", 2, 2, true, false, T(VARCHAR), T(VARCHAR), 0, T(BOOL),
        startswith_k, NULL, "startswith(s, prefix) -> BOOLEAN", 0),
    ROW("endswith", 2, 2, true, false, T(VARCHAR), T(VARCHAR), 0, T(BOOL),
        endswith_k, NULL, "endswith(s, suffix) -> BOOLEAN", 0),
    ROW("contains", 2, 2, true, false, T(VARCHAR), T(VARCHAR), 0, T(BOOL),
        contains_k, NULL, "contains(s, sub) -> BOOLEAN", 0),
    ROW("instr", 2, 2, true, false, T(VARCHAR), T(VARCHAR), 0, T(BIGINT),
        instr_k, NULL,
        "instr(s, sub) -> BIGINT: 1-based position of sub in s, 0 if absent",
        0),
    ROW("like", 2, 2, true, false, T(VARCHAR), T(VARCHAR), 0, T(BOOL), like_k,
        prepare_like,
        "s LIKE pattern: % any string, _ one character, \\ "
        "escapes",
        0),
    ROW("ilike", 2, 2, true, false, T(VARCHAR), T(VARCHAR), 0, T(BOOL), like_k,
        prepare_like, "s ILIKE pattern: LIKE ignoring (ASCII) case", 1),
    ROW("rlike", 2, 2, true, true, T(VARCHAR), T(VARCHAR), 0, T(BOOL), rlike_k,
        prepare_regex,
        "s RLIKE regex: true if the POSIX extended regex matches somewhere", 0),
    ROW("regexp_like", 2, 2, true, true, T(VARCHAR), T(VARCHAR), 0, T(BOOL),
        rlike_k, prepare_regex, "regexp_like(s, regex): same as s RLIKE regex",
        0),
    ROW("regexp_extract", 2, 3, true, true, T(VARCHAR), T(VARCHAR), T(BIGINT),
        T(VARCHAR), regexp_extract_k, prepare_regex,
        "regexp_extract(s, regex[, idx = 1]): group idx of the first match, "
        "'' if none",
        0),
    ROW("regexp_replace", 3, 3, true, true, T(VARCHAR), T(VARCHAR), T(VARCHAR),
        T(VARCHAR), regexp_replace_k, prepare_regex,
        "regexp_replace(s, regex, rep): every match replaced ($1 = group 1)",
        0),
};
const int sp_func_str_count = (int)SP_ARRAY_LEN(sp_func_str_defs);
