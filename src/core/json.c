/*
 * json.c -- recursive-descent JSON parser into an arena DOM.
 */
#include "core/json.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *p, *end, *start;
    sp_arena *a;
    sp_err *err;
    int depth;
} jp;

static int fail(jp *j, const char *what)
{
    return sp_err_set(j->err, SP_EDATA, "invalid JSON at byte %ld: %s",
                      (long)(j->p - j->start), what);
}

static void ws(jp *j)
{
    while (j->p < j->end &&
           (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r'))
        j->p++;
}

static int put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xc0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xe0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        d[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    d[0] = (char)(0xf0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    d[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static int parse_str(jp *j, char **out)
{
    j->p++; /* opening quote */
    const char *s = j->p;
    while (j->p < j->end && *j->p != '"') {
        if (*j->p == '\\') j->p++;
        j->p++;
    }
    if (j->p >= j->end) return fail(j, "unterminated string");
    size_t n = (size_t)(j->p - s);
    char *d = sp_arena_alloc(j->a, n + 1);
    if (!d) return sp_err_set(j->err, SP_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            d[k++] = s[i];
            continue;
        }
        char c = s[++i];
        switch (c) {
        case 'n':
            d[k++] = '\n';
            break;
        case 't':
            d[k++] = '\t';
            break;
        case 'r':
            d[k++] = '\r';
            break;
        case 'b':
            d[k++] = '\b';
            break;
        case 'f':
            d[k++] = '\f';
            break;
        case 'u': {
            unsigned cp;
            if (i + 4 >= n) return fail(j, "bad \\u escape");
            if (hex4(s + i + 1, &cp)) return fail(j, "bad \\u escape");
            i += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= n && s[i + 1] == '\\' &&
                s[i + 2] == 'u') {
                unsigned lo;
                if (hex4(s + i + 3, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    i += 6;
                }
            }
            k += (size_t)put_utf8(d + k, cp);
            break;
        }
        default:
            d[k++] = c;
        }
    }
    d[k] = 0;
    j->p++; /* closing quote */
    *out = d;
    return 0;
}

static int parse_val(jp *j, sp_json **out);

static sp_json *node(jp *j, sp_json_kind k)
{
    sp_json *n = sp_arena_zalloc(j->a, sizeof *n);
    if (n) n->kind = k;
    return n;
}

static int parse_container(jp *j, sp_json *n, char close)
{
    j->p++;
    if (++j->depth > 64) return fail(j, "nesting too deep");
    sp_json **tail = &n->child;
    ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        ws(j);
        if (close == '}') {
            if (j->p >= j->end || *j->p != '"') return fail(j, "expected key");
            if (parse_str(j, &key)) return j->err->code;
            ws(j);
            if (j->p >= j->end || *j->p != ':') return fail(j, "expected ':'");
            j->p++;
        }
        sp_json *v;
        if (parse_val(j, &v)) return j->err->code;
        v->key = key;
        *tail = v;
        tail = &v->next;
        n->n++;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            j->depth--;
            return 0;
        }
        return fail(j, close == '}' ? "expected ',' or '}'"
                                    : "expected ',' or ']'");
    }
}

static int parse_val(jp *j, sp_json **out)
{
    ws(j);
    if (j->p >= j->end) return fail(j, "unexpected end");
    sp_json *n = NULL;
    char c = *j->p;
    if (c == '{' || c == '[') {
        n = node(j, c == '{' ? SP_JSON_OBJ : SP_JSON_ARR);
        if (!n) return sp_err_set(j->err, SP_ENOMEM, "out of memory");
        if (parse_container(j, n, c == '{' ? '}' : ']')) return j->err->code;
    } else if (c == '"') {
        n = node(j, SP_JSON_STR);
        if (!n) return sp_err_set(j->err, SP_ENOMEM, "out of memory");
        if (parse_str(j, &n->str)) return j->err->code;
    } else if ((size_t)(j->end - j->p) >= 4 && !memcmp(j->p, "true", 4)) {
        n = node(j, SP_JSON_BOOL);
        if (!n) return sp_err_set(j->err, SP_ENOMEM, "out of memory");
        n->b = true;
        j->p += 4;
    } else if ((size_t)(j->end - j->p) >= 5 && !memcmp(j->p, "false", 5)) {
        n = node(j, SP_JSON_BOOL);
        if (!n) return sp_err_set(j->err, SP_ENOMEM, "out of memory");
        j->p += 5;
    } else if ((size_t)(j->end - j->p) >= 4 && !memcmp(j->p, "null", 4)) {
        n = node(j, SP_JSON_NULL);
        if (!n) return sp_err_set(j->err, SP_ENOMEM, "out of memory");
        j->p += 4;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        char tmp[64];
        size_t k = 0;
        bool frac = false;
        while (j->p < j->end && k < sizeof tmp - 1 &&
               strchr("+-0123456789.eE", *j->p)) {
            if (*j->p == '.' || *j->p == 'e' || *j->p == 'E') frac = true;
            tmp[k++] = *j->p++;
        }
        tmp[k] = 0;
        n = node(j, SP_JSON_NUM);
        if (!n) return sp_err_set(j->err, SP_ENOMEM, "out of memory");
        char *e;
        n->num = strtod(tmp, &e);
        if (*e) return fail(j, "bad number");
        if (!frac) {
            n->i = strtoll(tmp, NULL, 10);
            n->is_int = true;
        } else {
            n->i = (int64_t)n->num;
        }
    } else {
        return fail(j, "unexpected character");
    }
    *out = n;
    return 0;
}

int sp_json_parse(const char *text, size_t len, sp_arena *a, sp_json **out,
                  sp_err *err)
{
    jp j = {text, text + len, text, a, err, 0};
    sp_json *v;
    if (parse_val(&j, &v)) return err->code;
    ws(&j);
    if (j.p != j.end) return fail(&j, "trailing characters");
    *out = v;
    return 0;
}

const sp_json *sp_json_get(const sp_json *obj, const char *key)
{
    if (!obj || obj->kind != SP_JSON_OBJ) return NULL;
    for (const sp_json *c = obj->child; c; c = c->next)
        if (c->key && strcmp(c->key, key) == 0) return c;
    return NULL;
}

int64_t sp_json_get_int(const sp_json *obj, const char *key, int64_t dflt)
{
    const sp_json *v = sp_json_get(obj, key);
    return v && v->kind == SP_JSON_NUM ? v->i : dflt;
}

const char *sp_json_get_str(const sp_json *obj, const char *key,
                            const char *dflt)
{
    const sp_json *v = sp_json_get(obj, key);
    return v && v->kind == SP_JSON_STR ? v->str : dflt;
}
