/*
 * json_libs.h -- the interface between json_libs_bench.c (the harness)
 * and its per-library adapters (jsonlib_yajl.c, jsonlib_jansson.c,
 * jsonlib_jsonc.c, jsonlib_simdjson.cc).
 *
 * Every adapter does the same job on the same buffer of YSB JSON lines:
 * parse each line and put its 7 fields into column arrays -- six strings
 * as pointer + length, event_time as int64 -- in batches of JL_BATCH_ROWS
 * rows, as spate's reader fills an sp_batch. A string is a view into the
 * input when the library hands out such a pointer, else a copy into the
 * batch's arena (jl_put_copy); the arena and the columns are reused per
 * batch (jl_cols_flush), as spate resets its batch arena.
 *
 * Plain C with C linkage and no spate headers, so the C++ adapter can
 * include it.
 */
#ifndef SP_BENCH_JSON_LIBS_H
#define SP_BENCH_JSON_LIBS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Rows per batch: SP_BATCH_ROWS (json_libs_bench.c checks they agree). */
#define JL_BATCH_ROWS 4096

/* The fields, in the order the generator writes them. */
enum {
    JL_USER_ID,
    JL_PAGE_ID,
    JL_AD_ID,
    JL_AD_TYPE,
    JL_EVENT_TYPE,
    JL_EVENT_TIME, /* int64; the others are strings */
    JL_IP_ADDRESS,
    JL_N_FIELDS
};
#define JL_ALL_FIELDS ((1u << JL_N_FIELDS) - 1)

extern const char *const jl_field_names[JL_N_FIELDS];

typedef struct jl_str {
    const char *ptr;
    uint32_t len;
} jl_str;

/* One batch of output columns, owned by the harness. */
typedef struct jl_cols {
    uint32_t n;               /* rows in the current batch */
    jl_str *str[JL_N_FIELDS]; /* string columns (NULL for event_time) */
    int64_t *event_time;      /* the int64 column */
    char *arena;              /* copies of strings, reset per batch */
    size_t arena_len;         /* bytes used */
    size_t arena_cap;         /* JL_BATCH_ROWS x the longest line */
    uint64_t rows;            /* rows of the batches flushed so far */
    uint64_t hash;            /* checksum of every value (verify only) */
    int verify;               /* fold the values into `hash` at flush */
    const char *buf;          /* the input: [buf, buf + buf_len) */
    size_t buf_len;
    char err[160]; /* an adapter's error message */
} jl_cols;

/* Ends the current batch: counts its rows, checksums them when verifying,
 * and empties the columns and the arena. Defined in json_libs_bench.c. */
void jl_cols_flush(jl_cols *c);

/* Field number of a key, or -1: what an adapter without its own key lookup
 * uses (a length switch, then one memcmp). */
static inline int jl_field_index(const char *k, size_t n)
{
    int f;
    switch (n) {
    case 5:
        f = JL_AD_ID;
        break;
    case 7:
        f = k[0] == 'u' ? JL_USER_ID : k[0] == 'p' ? JL_PAGE_ID : JL_AD_TYPE;
        break;
    case 10:
        f = k[0] == 'i'   ? JL_IP_ADDRESS
            : k[7] == 'y' ? JL_EVENT_TYPE
                          : JL_EVENT_TIME;
        break;
    default:
        return -1;
    }
    return memcmp(k, jl_field_names[f], n) == 0 ? f : -1;
}

/* Stores a view (the bytes must live as long as the input). */
static inline void jl_put_view(jl_cols *c, int f, const char *p, size_t n)
{
    c->str[f][c->n].ptr = p;
    c->str[f][c->n].len = (uint32_t)n;
}

/* Stores a copy in the batch arena; 0, or -1 if the arena is full (cannot
 * happen for input lines no longer than the harness measured). */
static inline int jl_put_copy(jl_cols *c, int f, const char *p, size_t n)
{
    if (n > c->arena_cap - c->arena_len) return -1;
    char *d = c->arena + c->arena_len;
    memcpy(d, p, n);
    c->arena_len += n;
    jl_put_view(c, f, d, n);
    return 0;
}

/* A view when p points into the input, else a copy. */
static inline int jl_put_str(jl_cols *c, int f, const char *p, size_t n)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)c->buf;
    if (off <= c->buf_len && n <= c->buf_len - off) {
        jl_put_view(c, f, p, n);
        return 0;
    }
    return jl_put_copy(c, f, p, n);
}

static inline void jl_put_time(jl_cols *c, int64_t v)
{
    c->event_time[c->n] = v;
}

/* Ends a row; flushes a full batch. */
static inline void jl_row_end(jl_cols *c)
{
    if (++c->n == JL_BATCH_ROWS) jl_cols_flush(c);
}

/* One parser. `parse` parses buf[0, len) (whole lines; SIMDJSON_PADDING
 * readable bytes follow it) into `out`, calling jl_row_end per line, and
 * returns 0, or -1 with a message in out->err. The harness flushes the
 * last partial batch. */
typedef struct jl_parser {
    const char *name;
    const char *how; /* one line: what it does */
    /* The library's version: a constant string or `scratch`. */
    const char *(*version)(char *scratch, size_t n);
    int (*parse)(const char *buf, size_t len, jl_cols *out);
} jl_parser;

extern const jl_parser jl_yajl;
extern const jl_parser jl_jansson;
extern const jl_parser jl_jsonc;
extern const jl_parser jl_simdjson;
extern const jl_parser jl_simdjson_views;

#ifdef __cplusplus
}
#endif

#endif /* SP_BENCH_JSON_LIBS_H */
