/*
 * opts.h -- declared options of connectors and of SET.
 *
 * Every connector declares its options in one static table (name, type,
 * default, whether required, help). The analyzer validates the WITH list
 * against the table (unknown key, bad value, missing required key are
 * errors that point at the text); the connector then reads typed values
 * from a resolved sp_opts in which every declared option has a value
 * (given or default).
 */
#ifndef SP_CORE_OPTS_H
#define SP_CORE_OPTS_H

#include "core/core.h"

typedef enum sp_opt_type {
    SP_OPT_STR,
    SP_OPT_INT,      /* non-negative integer */
    SP_OPT_BOOL,     /* true/false */
    SP_OPT_INTERVAL, /* '1 second' */
    SP_OPT_ENUM      /* one of `choices`, "a|b|c" */
} sp_opt_type;

typedef struct sp_opt_def {
    const char *name;
    sp_opt_type type;
    const char *dflt; /* NULL: no default (required or optional-absent) */
    bool required;
    const char *choices; /* ENUM */
    const char *help;
} sp_opt_def;

typedef struct sp_opts {
    int n;
    const char **keys;   /* declared names */
    const char **values; /* NULL when absent and no default */
} sp_opts;

/* Validates one value against its definition; NULL if fine, else a reason
 * ("expected a whole number"). */
const char *sp_opt_check(const sp_opt_def *d, const char *value);
/* Finds a definition by name (case-insensitive); NULL if unknown. */
const sp_opt_def *sp_opt_find(const sp_opt_def *defs, const char *name);
/* Closest declared name to `name` for "did you mean", or NULL. */
const char *sp_opt_suggest(const sp_opt_def *defs, const char *name);
/* Comma-separated list of names, into the arena. */
char *sp_opt_list(const sp_opt_def *defs, sp_arena *a);

const char *sp_opts_get(const sp_opts *o, const char *key);
int64_t sp_opts_int(const sp_opts *o, const char *key, int64_t dflt);
bool sp_opts_bool(const sp_opts *o, const char *key, bool dflt);
int64_t sp_opts_interval(const sp_opts *o, const char *key, int64_t dflt);

/* Levenshtein distance, for suggestions. */
int sp_edit_distance(const char *a, const char *b);

#endif
