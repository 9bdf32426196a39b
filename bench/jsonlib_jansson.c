/*
 * jsonlib_jansson.c -- Jansson (Debian libjansson-dev) for
 * json_libs_bench: its only parser builds a tree, so per line (found with
 * memchr, as spate's reader finds it) json_loadb builds the object,
 * json_object_get looks up the 7 keys in its hash table,
 * json_string_value/json_string_length and json_integer_value read the
 * values, and json_decref frees the tree.
 *
 * - Strings are copied into the batch arena: they belong to the tree.
 * - Jansson always checks UTF-8 (no option to turn it off).
 * - No flags: the defaults are the fast path (JSON_DECODE_ANY and the
 *   others only widen what is accepted).
 */
#include "json_libs.h"

#include <jansson.h>

#include <stdio.h>

static int row(json_t *o, jl_cols *c)
{
    for (int f = 0; f < JL_N_FIELDS; f++) {
        json_t *v = json_object_get(o, jl_field_names[f]);
        if (f == JL_EVENT_TIME) {
            if (!json_is_integer(v)) return -1;
            jl_put_time(c, json_integer_value(v));
        } else {
            if (!json_is_string(v)) return -1;
            if (jl_put_copy(c, f, json_string_value(v),
                            json_string_length(v)) != 0)
                return -1;
        }
    }
    jl_row_end(c);
    return 0;
}

static int parse(const char *buf, size_t len, jl_cols *out)
{
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        json_error_t e;
        json_t *o = json_loadb(p, (size_t)(le - p), 0, &e);
        if (!o) {
            snprintf(out->err, sizeof out->err, "jansson: %.140s", e.text);
            return -1;
        }
        int rc = json_is_object(o) ? row(o, out) : -1;
        json_decref(o);
        if (rc != 0) {
            snprintf(out->err, sizeof out->err,
                     "row %llu: a field is missing or of another type",
                     (unsigned long long)(out->rows + out->n + 1));
            return -1;
        }
        p = le + 1;
    }
    return 0;
}

static const char *version(char *scratch, size_t n)
{
    return jansson_version_str();
}

const jl_parser jl_jansson = {
    "jansson",
    "json_loadb per line (a tree), json_object_get per field, strings "
    "copied",
    version,
    parse,
};
