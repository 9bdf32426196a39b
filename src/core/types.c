/*
 * types.c -- type names, strings, vectors and schemas.
 */
#include "core/core.h"

#include <string.h>
#include <strings.h>

static const char *const type_names[] = {
#define SP_TYPE_NAME(n, s) s,
    SP_TYPE_MAP(SP_TYPE_NAME)
#undef SP_TYPE_NAME
};

const char *sp_type_name(sp_type t)
{
    return (unsigned)t < SP_T__COUNT ? type_names[t] : "?";
}

static const struct {
    const char *name;
    sp_type type;
} type_aliases[] = {
    {"boolean", SP_T_BOOL},
    {"bool", SP_T_BOOL},
    {"bigint", SP_T_BIGINT},
    {"int", SP_T_BIGINT},
    {"integer", SP_T_BIGINT},
    {"long", SP_T_BIGINT},
    {"smallint", SP_T_BIGINT},
    {"tinyint", SP_T_BIGINT},
    {"short", SP_T_BIGINT},
    {"byte", SP_T_BIGINT},
    {"int64", SP_T_BIGINT},
    {"double", SP_T_DOUBLE},
    {"float", SP_T_DOUBLE},
    {"real", SP_T_DOUBLE},
    {"decimal", SP_T_DOUBLE},
    {"numeric", SP_T_DOUBLE},
    {"float64", SP_T_DOUBLE},
    {"varchar", SP_T_VARCHAR},
    {"string", SP_T_VARCHAR},
    {"text", SP_T_VARCHAR},
    {"char", SP_T_VARCHAR},
    {"timestamp", SP_T_TIMESTAMP},
    {"timestamp_ltz", SP_T_TIMESTAMP},
    {"timestamp_ntz", SP_T_TIMESTAMP},
    {"interval", SP_T_INTERVAL},
};

int sp_type_parse(const char *name, size_t len, sp_type *out)
{
    for (size_t i = 0; i < SP_ARRAY_LEN(type_aliases); i++) {
        if (strlen(type_aliases[i].name) == len &&
            strncasecmp(type_aliases[i].name, name, len) == 0) {
            *out = type_aliases[i].type;
            return 0;
        }
    }
    return -1;
}

size_t sp_type_width(sp_type t)
{
    switch (t) {
    case SP_T_BOOL:
    case SP_T_NULL:
        return 1;
    case SP_T_VARCHAR:
        return sizeof(sp_str);
    case SP_T_WINDOW:
        return 16;
    default:
        return 8;
    }
}

/* ---- Strings ---------------------------------------------------------- */

bool sp_str_eq(sp_str a, sp_str b)
{
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

bool sp_str_eq_nocase(sp_str a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && strncasecmp(a.ptr, b, n) == 0;
}

int sp_str_cmp(sp_str a, sp_str b)
{
    uint32_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c) return c;
    return a.len < b.len ? -1 : a.len > b.len ? 1 : 0;
}

/* ---- Vectors ---------------------------------------------------------- */

int sp_vec_alloc(sp_vec *v, sp_type t, uint32_t n, bool with_nulls, sp_arena *a)
{
    v->type = t;
    v->nulls = NULL;
    size_t cap = n ? n : 1;
    v->d.raw = sp_arena_alloc(a, cap * sp_type_width(t));
    if (!v->d.raw) return SP_ENOMEM;
    if (with_nulls) {
        v->nulls = sp_arena_zalloc(a, cap);
        if (!v->nulls) return SP_ENOMEM;
    }
    return 0;
}

int sp_vec_ensure_nulls(sp_vec *v, uint32_t n, sp_arena *a)
{
    if (v->nulls) return 0;
    v->nulls = sp_arena_zalloc(a, n ? n : 1);
    return v->nulls ? 0 : SP_ENOMEM;
}

void sp_vec_get(const sp_vec *v, uint32_t i, sp_value *out)
{
    out->type = v->type;
    out->is_null = v->type == SP_T_NULL || sp_vec_is_null(v, i);
    if (out->is_null) return;
    switch (v->type) {
    case SP_T_BOOL:
        out->v.b = v->d.b[i] != 0;
        break;
    case SP_T_DOUBLE:
        out->v.d = v->d.f64[i];
        break;
    case SP_T_VARCHAR:
        out->v.s = v->d.str[i];
        break;
    case SP_T_NULL:
        break;
    case SP_T_WINDOW:
        out->v.w.start = v->d.i64[2 * i];
        out->v.w.end = v->d.i64[2 * i + 1];
        break;
    default:
        out->v.i = v->d.i64[i];
    }
}

/* ---- Schemas ---------------------------------------------------------- */

int sp_schema_find(const sp_schema *s, const char *name, size_t len)
{
    for (uint32_t i = 0; i < s->n_fields; i++) {
        const char *f = s->fields[i].name;
        if (strlen(f) == len && strncasecmp(f, name, len) == 0) return (int)i;
    }
    return -1;
}
