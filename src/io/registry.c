/*
 * registry.c -- the tables of connectors. Adding a connector is one row
 * here and one file src/io/src_<name>.c or sink_<name>.c.
 */
#include "io/ioInt.h"

#include <strings.h>

extern const sp_source_vtab sp_src_file, sp_src_rate, sp_src_generator,
    sp_src_socket, sp_src_ysb;
extern const sp_sink_vtab sp_sink_console, sp_sink_file;

static const sp_source_vtab *const sources[] = {
    &sp_src_file,   &sp_src_rate, &sp_src_generator,
    &sp_src_socket, &sp_src_ysb,  NULL};
static const sp_sink_vtab *const sinks[] = {&sp_sink_console, &sp_sink_file,
                                            NULL};

const sp_opt_def sp_source_common_options[] = {
    {"connector", SP_OPT_STR, NULL, true, NULL,
     "which source: file, rate, generator, socket, ysb"},
    {0}};

const sp_opt_def sp_sink_common_options[] = {
    {"connector", SP_OPT_STR, NULL, true, NULL, "which sink: console, file"},
    {"output_mode", SP_OPT_ENUM, "append", false, "append|update|complete",
     "which rows each batch emits"},
    {0}};

const sp_source_vtab *sp_source_lookup(const char *name)
{
    for (int i = 0; sources[i]; i++)
        if (strcasecmp(sources[i]->name, name) == 0) return sources[i];
    return NULL;
}

const sp_sink_vtab *sp_sink_lookup(const char *name)
{
    for (int i = 0; sinks[i]; i++)
        if (strcasecmp(sinks[i]->name, name) == 0) return sinks[i];
    return NULL;
}

char *sp_source_names(sp_arena *a)
{
    sp_buf b;
    sp_buf_init(&b);
    for (int i = 0; sources[i]; i++)
        sp_buf_printf(&b, "%s%s", i ? ", " : "", sources[i]->name);
    char *s = sp_arena_strdup(a, b.data);
    sp_buf_free(&b);
    return s;
}

char *sp_sink_names(sp_arena *a)
{
    sp_buf b;
    sp_buf_init(&b);
    for (int i = 0; sinks[i]; i++)
        sp_buf_printf(&b, "%s%s", i ? ", " : "", sinks[i]->name);
    char *s = sp_arena_strdup(a, b.data);
    sp_buf_free(&b);
    return s;
}

int64_t sp_src_cap(int limit, int64_t max_per_trigger)
{
    if (limit < 0) return INT64_MAX;
    if (limit > 0) return limit;
    return max_per_trigger > 0 ? max_per_trigger : INT64_MAX;
}

int64_t sp_src_batch_end(int64_t start, int64_t avail, int limit,
                         int64_t max_per_trigger)
{
    if (avail <= start) return start;
    return start + SP_MIN(sp_src_cap(limit, max_per_trigger), avail - start);
}
