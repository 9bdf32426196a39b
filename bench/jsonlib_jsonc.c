/*
 * jsonlib_jsonc.c -- json-c (Debian libjson-c-dev) for json_libs_bench:
 * one json_tokener, created once and reused (json_tokener.h), parses each
 * line (found with memchr, as spate's reader finds it) into a tree with
 * json_tokener_parse_ex; json_object_object_get_ex looks up the 7 keys,
 * json_object_get_string/_get_string_len and json_object_get_int64 read
 * the values, and json_object_put frees the tree.
 *
 * - Strings are copied into the batch arena: they belong to the tree.
 * - Default flags: no UTF-8 check (JSON_TOKENER_VALIDATE_UTF8 off), as
 *   spate's reader; not JSON_TOKENER_STRICT.
 */
#include "json_libs.h"

#include <json-c/json.h>

#include <stdio.h>

static struct json_tokener *tok; /* reused across lines and passes */

static int row(struct json_object *o, jl_cols *c)
{
    for (int f = 0; f < JL_N_FIELDS; f++) {
        struct json_object *v;
        if (!json_object_object_get_ex(o, jl_field_names[f], &v)) return -1;
        if (f == JL_EVENT_TIME) {
            if (!json_object_is_type(v, json_type_int)) return -1;
            jl_put_time(c, json_object_get_int64(v));
        } else {
            if (!json_object_is_type(v, json_type_string)) return -1;
            if (jl_put_copy(c, f, json_object_get_string(v),
                            (size_t)json_object_get_string_len(v)) != 0)
                return -1;
        }
    }
    jl_row_end(c);
    return 0;
}

static int parse(const char *buf, size_t len, jl_cols *out)
{
    if (!tok && !(tok = json_tokener_new())) {
        snprintf(out->err, sizeof out->err, "json_tokener_new failed");
        return -1;
    }
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        struct json_object *o = json_tokener_parse_ex(tok, p, (int)(le - p));
        if (!o) {
            enum json_tokener_error e = json_tokener_get_error(tok);
            snprintf(out->err, sizeof out->err, "json-c: %s",
                     json_tokener_error_desc(e));
            json_tokener_reset(tok);
            return -1;
        }
        int rc = json_object_is_type(o, json_type_object) ? row(o, out) : -1;
        json_object_put(o);
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
    return json_c_version();
}

const jl_parser jl_jsonc = {
    "json-c",
    "json_tokener_parse_ex per line (a tree, one tokener reused), "
    "json_object_object_get_ex per field, strings copied",
    version,
    parse,
};
