/*
 * json.h -- a small JSON DOM for metadata (checkpoint files, options).
 * Not for data: record parsing is schema-driven in src/io/fmt_json.c.
 * All nodes live in the arena given to sp_json_parse.
 */
#ifndef SP_CORE_JSON_H
#define SP_CORE_JSON_H

#include "core/core.h"

typedef enum {
    SP_JSON_NULL,
    SP_JSON_BOOL,
    SP_JSON_NUM,
    SP_JSON_STR,
    SP_JSON_ARR,
    SP_JSON_OBJ
} sp_json_kind;

typedef struct sp_json sp_json;
struct sp_json {
    sp_json_kind kind;
    bool b;
    double num;
    int64_t i; /* exact value when the number is an integer */
    bool is_int;
    char *str;      /* STR: unescaped, NUL-terminated */
    char *key;      /* member name when inside an object */
    sp_json *child; /* ARR/OBJ: first element */
    sp_json *next;  /* next sibling */
    size_t n;       /* ARR/OBJ: number of children */
};

/* Parses text; on error returns SP_EDATA with the byte offset in msg. */
int sp_json_parse(const char *text, size_t len, sp_arena *a, sp_json **out,
                  sp_err *err);
const sp_json *sp_json_get(const sp_json *obj, const char *key);
/* Typed getters with defaults when missing or of another kind. */
int64_t sp_json_get_int(const sp_json *obj, const char *key, int64_t dflt);
const char *sp_json_get_str(const sp_json *obj, const char *key,
                            const char *dflt);

#endif
