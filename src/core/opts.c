/*
 * opts.c -- option tables: validation and typed access.
 */
#include "core/opts.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int sp_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 99;
    int row[65];
    for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int prev = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cur = row[j];
            int cost = tolower((unsigned char)a[i - 1]) !=
                       tolower((unsigned char)b[j - 1]);
            int v = prev + cost;
            if (row[j] + 1 < v) v = row[j] + 1;
            if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
            row[j] = v;
            prev = cur;
        }
    }
    return row[lb];
}

static bool is_uint(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return false;
    return true;
}

const char *sp_opt_check(const sp_opt_def *d, const char *v)
{
    switch (d->type) {
    case SP_OPT_STR:
        return NULL;
    case SP_OPT_INT:
        return is_uint(v) ? NULL : "expected a whole number";
    case SP_OPT_BOOL:
        return (!strcasecmp(v, "true") || !strcasecmp(v, "false"))
                   ? NULL
                   : "expected true or false";
    case SP_OPT_INTERVAL: {
        int64_t us;
        const char *why = NULL;
        if (sp_interval_parse(v, strlen(v), &us, &why) != 0)
            return "expected an interval such as '10 seconds'";
        return NULL;
    }
    case SP_OPT_ENUM: {
        const char *c = d->choices;
        size_t n = strlen(v);
        while (c && *c) {
            const char *bar = strchr(c, '|');
            size_t cl = bar ? (size_t)(bar - c) : strlen(c);
            if (cl == n && strncasecmp(c, v, n) == 0) return NULL;
            c = bar ? bar + 1 : NULL;
        }
        return "not one of the accepted values";
    }
    }
    return NULL;
}

const sp_opt_def *sp_opt_find(const sp_opt_def *defs, const char *name)
{
    for (const sp_opt_def *d = defs; d && d->name; d++)
        if (strcasecmp(d->name, name) == 0) return d;
    return NULL;
}

const char *sp_opt_suggest(const sp_opt_def *defs, const char *name)
{
    const char *best = NULL;
    int bd = 4;
    for (const sp_opt_def *d = defs; d && d->name; d++) {
        int dist = sp_edit_distance(d->name, name);
        if (dist < bd) {
            bd = dist;
            best = d->name;
        }
    }
    return best;
}

char *sp_opt_list(const sp_opt_def *defs, sp_arena *a)
{
    sp_buf b;
    sp_buf_init(&b);
    for (const sp_opt_def *d = defs; d && d->name; d++) {
        if (d != defs) sp_buf_puts(&b, ", ");
        sp_buf_puts(&b, d->name);
    }
    char *s = sp_arena_strdup(a, b.data ? b.data : "");
    sp_buf_free(&b);
    return s;
}

const char *sp_opts_get(const sp_opts *o, const char *key)
{
    for (int i = 0; o && i < o->n; i++)
        if (strcasecmp(o->keys[i], key) == 0) return o->values[i];
    return NULL;
}

int64_t sp_opts_int(const sp_opts *o, const char *key, int64_t dflt)
{
    const char *v = sp_opts_get(o, key);
    return v && *v ? strtoll(v, NULL, 10) : dflt;
}

bool sp_opts_bool(const sp_opts *o, const char *key, bool dflt)
{
    const char *v = sp_opts_get(o, key);
    return v ? strcasecmp(v, "true") == 0 : dflt;
}

int64_t sp_opts_interval(const sp_opts *o, const char *key, int64_t dflt)
{
    const char *v = sp_opts_get(o, key);
    int64_t us;
    if (!v || sp_interval_parse(v, strlen(v), &us, NULL) != 0) return dflt;
    return us;
}
