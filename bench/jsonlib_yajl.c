/*
 * jsonlib_yajl.c -- yajl 2 (Debian libyajl-dev) for json_libs_bench: its
 * event (callback) API, which builds no tree, over the whole buffer in
 * one yajl_parse call.
 *
 * - yajl_allow_multiple_values: the buffer is a stream of top-level
 *   objects (JSON lines), so no line splitting is needed.
 * - yajl_dont_validate_strings: no UTF-8 check, which yajl's docs give as
 *   the faster setting; spate's reader does not check UTF-8 either.
 * - Strings: yajl passes "pointers into the JSON text when possible"
 *   (yajl_parse.h), that is when the string has no escapes; those become
 *   views, others (decoded in yajl's buffer) copies (jl_put_str).
 * - Keys: jl_field_index (a length switch and one memcmp). event_time
 *   comes through the yajl_integer callback (yajl's own strtoll); any
 *   other type for a known field, or a row missing a field, is an error.
 */
#include "json_libs.h"

#include <yajl/yajl_parse.h>
#include <yajl/yajl_version.h>

#include <stdio.h>

typedef struct yst {
    jl_cols *c;
    int depth;     /* 1 inside a top-level object */
    int field;     /* field of the current key, -1 = unknown */
    unsigned seen; /* bit per field seen in this row */
} yst;

static int bad(yst *s, const char *what)
{
    snprintf(s->c->err, sizeof s->c->err, "row %llu: %s",
             (unsigned long long)(s->c->rows + s->c->n + 1), what);
    return 0;
}

/* A scalar at depth 1 of a known field that is not of the right type. */
static int other(void *ud)
{
    yst *s = ud;
    return s->depth == 1 && s->field >= 0 ? bad(s, "unexpected type") : 1;
}

static int on_bool(void *ud, int v)
{
    return other(ud);
}

static int on_double(void *ud, double v)
{
    return other(ud);
}

static int on_integer(void *ud, long long v)
{
    yst *s = ud;
    if (s->depth != 1 || s->field < 0) return 1;
    if (s->field != JL_EVENT_TIME) return bad(s, "unexpected integer");
    jl_put_time(s->c, v);
    s->seen |= 1u << JL_EVENT_TIME;
    return 1;
}

static int on_string(void *ud, const unsigned char *p, size_t n)
{
    yst *s = ud;
    if (s->depth != 1 || s->field < 0) return 1;
    if (s->field == JL_EVENT_TIME) return bad(s, "unexpected string");
    if (jl_put_str(s->c, s->field, (const char *)p, n) != 0)
        return bad(s, "arena full");
    s->seen |= 1u << s->field;
    return 1;
}

static int on_start(void *ud)
{
    yst *s = ud;
    if (s->depth == 1 && s->field >= 0) return bad(s, "unexpected container");
    if (s->depth++ == 0) s->seen = 0;
    return 1;
}

static int on_map_key(void *ud, const unsigned char *k, size_t n)
{
    yst *s = ud;
    if (s->depth == 1) s->field = jl_field_index((const char *)k, n);
    return 1;
}

static int on_end(void *ud)
{
    yst *s = ud;
    if (--s->depth == 0) {
        if (s->seen != JL_ALL_FIELDS) return bad(s, "missing field");
        jl_row_end(s->c);
    }
    s->field = -1;
    return 1;
}

static int on_start_array(void *ud)
{
    yst *s = ud;
    if (s->depth == 0) return bad(s, "top-level array");
    return on_start(ud);
}

static int on_end_array(void *ud)
{
    ((yst *)ud)->depth--;
    return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = other,
    .yajl_boolean = on_bool,
    .yajl_integer = on_integer,
    .yajl_double = on_double,
    .yajl_number = NULL, /* NULL: integers and doubles parsed by yajl */
    .yajl_string = on_string,
    .yajl_start_map = on_start,
    .yajl_map_key = on_map_key,
    .yajl_end_map = on_end,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end_array,
};

static int parse(const char *buf, size_t len, jl_cols *out)
{
    yst s = {out, 0, -1, 0};
    yajl_handle h = yajl_alloc(&callbacks, NULL, &s);
    if (!h) {
        snprintf(out->err, sizeof out->err, "yajl_alloc failed");
        return -1;
    }
    yajl_config(h, yajl_allow_multiple_values, 1);
    yajl_config(h, yajl_dont_validate_strings, 1);
    yajl_status st = yajl_parse(h, (const unsigned char *)buf, len);
    if (st == yajl_status_ok) st = yajl_complete_parse(h);
    int rc = 0;
    if (st != yajl_status_ok) {
        if (st == yajl_status_error) {
            unsigned char *m =
                yajl_get_error(h, 0, (const unsigned char *)buf, len);
            snprintf(out->err, sizeof out->err, "yajl: %s", (char *)m);
            yajl_free_error(h, m);
        }
        rc = -1;
    }
    yajl_free(h);
    return rc;
}

static const char *version(char *scratch, size_t n)
{
    int v = yajl_version();
    snprintf(scratch, n, "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
    return scratch;
}

const jl_parser jl_yajl = {
    "yajl",
    "event callbacks over the whole buffer; views when yajl points into "
    "the input, else copies",
    version,
    parse,
};
