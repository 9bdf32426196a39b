/*
 * jsonlib_simdjson.cc -- simdjson (Debian libsimdjson-dev) for
 * json_libs_bench, through its On Demand API, two ways:
 *
 *   simdjson        the documented way: get_string() unescapes each string
 *                   into the parser's buffer, which the next document
 *                   overwrites, so it is copied into the batch arena.
 *   simdjson-views  as spate's reader does: a string without a backslash
 *                   is a view into the input (raw_json_token() minus the
 *                   quotes); only one with escapes goes through
 *                   get_string() and is copied. Faster, not in the docs'
 *                   examples; given so that it does the same work as
 *                   spate.
 *
 * Both use one ondemand::parser, reused across passes (simdjson's
 * doc/performance.md: "make a parser once and reuse it"), and iterate_many, the
 * API for concatenated documents such as JSON lines, with its default 1 MB
 * batch: stage 1 indexes a whole batch at a time, then each document is walked
 * on demand. `threaded = false`: the Debian build enables a look-ahead
 * thread for stage 1, which would use a second core; this benchmark is
 * one core per parser. The keys are looked up with operator[]
 * (find_field_unordered) in the order they appear, On Demand's fast case
 * that still accepts any order. event_time is get_int64().
 *
 * simdjson validates the whole input (UTF-8 included) in stage 1, which
 * spate's reader does not. Stage 1 runs the kernel picked at run time
 * (the library's runtime dispatch); the On Demand code is compiled into
 * this file for the kernel the compiler flags allow (the "builtin"
 * implementation); version() reports both.
 */
#include "json_libs.h"

#include <simdjson.h>

#include <cstdio>
#include <cstring>
#include <string_view>

using namespace simdjson;

static constexpr std::string_view keys[JL_N_FIELDS] = {
    "user_id",    "page_id",    "ad_id",      "ad_type",
    "event_type", "event_time", "ip_address",
};

static ondemand::parser &the_parser()
{
    static ondemand::parser p;
#ifdef SIMDJSON_THREADS_ENABLED
    p.threaded = false;
#endif
    return p;
}

static int fail(jl_cols *c, error_code e)
{
    std::snprintf(c->err, sizeof c->err, "row %llu: simdjson: %s",
                  (unsigned long long)(c->rows + c->n + 1), error_message(e));
    return -1;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

template <bool VIEWS>
static int put_string(ondemand::object &obj, int f, jl_cols *c)
{
    ondemand::value v;
    if (auto e = obj[keys[f]].get(v)) return fail(c, e);
    if (VIEWS) {
        /* The token is the string with its quotes, then any spaces. */
        std::string_view raw = v.raw_json_token();
        size_t n = raw.size();
        while (n > 0 && is_space(raw[n - 1])) n--;
        if (n >= 2 && raw[0] == '"' && raw[n - 1] == '"' &&
            !std::memchr(raw.data() + 1, '\\', n - 2)) {
            jl_put_view(c, f, raw.data() + 1, n - 2);
            return 0;
        }
    }
    std::string_view s;
    if (auto e = v.get_string().get(s)) return fail(c, e);
    return jl_put_copy(c, f, s.data(), s.size());
}

template <bool VIEWS>
static int parse(const char *buf, size_t len, jl_cols *out)
{
    ondemand::document_stream docs;
    if (auto e = the_parser()
                     .iterate_many((const uint8_t *)buf, len,
                                   ondemand::DEFAULT_BATCH_SIZE)
                     .get(docs))
        return fail(out, e);
    for (auto it = docs.begin(); it != docs.end(); ++it) {
        ondemand::document_reference doc;
        if (auto e = (*it).get(doc)) return fail(out, e);
        ondemand::object obj;
        if (auto e = doc.get_object().get(obj)) return fail(out, e);
        for (int f = 0; f < JL_N_FIELDS; f++) {
            if (f == JL_EVENT_TIME) {
                int64_t t;
                if (auto e = obj[keys[f]].get_int64().get(t))
                    return fail(out, e);
                jl_put_time(out, t);
            } else if (put_string<VIEWS>(obj, f, out) != 0) {
                return -1;
            }
        }
        jl_row_end(out);
    }
    if (docs.truncated_bytes() != 0) {
        std::snprintf(out->err, sizeof out->err, "%zu bytes truncated",
                      docs.truncated_bytes());
        return -1;
    }
    return 0;
}

static const char *version(char *scratch, size_t n)
{
    std::snprintf(scratch, n, "%s (stage 1: %s, On Demand: %s)",
                  SIMDJSON_STRINGIFY(SIMDJSON_VERSION),
                  get_active_implementation()->name().c_str(),
                  SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION));
    return scratch;
}

extern "C" const jl_parser jl_simdjson = {
    "simdjson",
    "On Demand, iterate_many, obj[key] in order, get_string() copied",
    version,
    parse<false>,
};

extern "C" const jl_parser jl_simdjson_views = {
    "simdjson-views",
    "as simdjson, but strings without escapes are views "
    "(raw_json_token())",
    version,
    parse<true>,
};
