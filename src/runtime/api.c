/*
 * api.c -- the public API (include/spate.h) over the internal layers:
 * parse (src/sql) -> analyze and plan (src/plan) -> run (src/runtime).
 */
#include "spate.h"

#include "plan/plan.h"
#include "sql/ast.h"

#include <string.h>
#include <unistd.h>

_Static_assert(sizeof(spate_error_t) == sizeof(sp_err),
               "spate_error_t mirrors sp_err");
_Static_assert(SPATE_EINTERNAL == SP_EINTERNAL, "error codes agree");

struct spate_pipeline {
    sp_arena *arena;
    char *text;
    size_t text_len;
    sp_program *prog;
    spate_options_t opt;
    volatile int stop;
};

SPATE_EXTERN const char *spate_version(void)
{
#ifdef SPATE_VERSION_STRING
    return SPATE_VERSION_STRING;
#else
    return "0.1.0";
#endif
}

SPATE_EXTERN const char *spate_strerror(int code)
{
    return sp_strerror(code);
}

SPATE_EXTERN const char *spate_err_name(int code)
{
    return sp_err_name(code);
}

SPATE_EXTERN void spate_error_print(const spate_error_t *err, const char *text,
                                    size_t text_len, FILE *out)
{
    sp_err_print((const sp_err *)err, text, text_len, out);
}

SPATE_EXTERN void spate_options_init(spate_options_t *opt)
{
    memset(opt, 0, sizeof *opt);
}

SPATE_EXTERN int spate_pipeline_load(const char *sql, size_t len,
                                     const char *filename,
                                     const spate_options_t *opt,
                                     spate_pipeline_t **out,
                                     spate_error_t *perr)
{
    sp_err *err = (sp_err *)perr;
    sp_err_clear(err);
    spate_pipeline_t *p = sp_calloc(1, sizeof *p);
    if (!p) return sp_err_set(err, SP_ENOMEM, "out of memory");
    if (opt) p->opt = *opt;
    p->arena = sp_arena_create(1 << 16);
    p->text = sp_malloc(len + 1);
    if (!p->arena || !p->text) {
        spate_pipeline_destroy(p);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    memcpy(p->text, sql, len);
    p->text[len] = 0;
    p->text_len = len;
    const char *file = sp_arena_strdup(p->arena, filename ? filename : "<sql>");
    sp_ast_script *script;
    int rc = sp_sql_parse(p->text, len, file, p->arena, &script, err);
    if (!rc)
        rc = sp_program_build(script, p->opt.conf, p->opt.n_conf, p->arena,
                              &p->prog, err);
    if (rc) {
        spate_pipeline_destroy(p);
        return rc;
    }
    *out = p;
    return 0;
}

SPATE_EXTERN int spate_pipeline_explain(spate_pipeline_t *p, FILE *out)
{
    sp_buf b;
    sp_buf_init(&b);
    for (int i = 0; i < p->prog->n_plans; i++) {
        sp_buf_printf(&b, "== Physical Plan: %s ==\n", p->prog->plans[i]->name);
        sp_plan_explain(p->prog, p->prog->plans[i], &b);
        if (i + 1 < p->prog->n_plans) sp_buf_putc(&b, '\n');
    }
    const sp_trigger *t = &p->prog->trigger;
    sp_buf_printf(&b, "\nTrigger: %s",
                  t->kind == SP_TRIGGER_ONCE            ? "once"
                  : t->kind == SP_TRIGGER_AVAILABLE_NOW ? "available_now"
                                                        : "processing_time");
    if (t->kind == SP_TRIGGER_PROCESSING_TIME && t->interval_us) {
        sp_buf_putc(&b, ' ');
        sp_interval_human(t->interval_us, &b);
    } else if (t->kind == SP_TRIGGER_PROCESSING_TIME) {
        sp_buf_puts(&b, " (as fast as possible)");
    }
    sp_buf_putc(&b, '\n');
    fwrite(b.data, 1, b.len, out);
    sp_buf_free(&b);
    return 0;
}

SPATE_EXTERN int spate_pipeline_run(spate_pipeline_t *p, spate_error_t *perr)
{
    sp_err *err = (sp_err *)perr;
    sp_err_clear(err);
    sp_program *prog = p->prog;
    sp_run_opts o;
    memset(&o, 0, sizeof o);
    o.trigger = prog->trigger;
    switch (p->opt.trigger) {
    case SPATE_TRIGGER_DEFAULT:
        break;
    case SPATE_TRIGGER_PROCESSING_TIME:
        o.trigger.kind = SP_TRIGGER_PROCESSING_TIME;
        o.trigger.interval_us = p->opt.trigger_interval_ms * 1000;
        break;
    case SPATE_TRIGGER_ONCE:
        o.trigger.kind = SP_TRIGGER_ONCE;
        break;
    case SPATE_TRIGGER_AVAILABLE_NOW:
        o.trigger.kind = SP_TRIGGER_AVAILABLE_NOW;
        break;
    }
    o.checkpoint = p->opt.checkpoint ? p->opt.checkpoint : prog->checkpoint;
    o.threads = p->opt.threads > 0  ? p->opt.threads
                : prog->threads > 0 ? prog->threads
                                    : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (o.threads < 1) o.threads = 1;
    o.progress = p->opt.progress;
    o.status_line = p->opt.status_line != 0;
    o.duration_us = p->opt.duration_ms * 1000;
    o.stop = &p->stop;
    o.reset_checkpoint = p->opt.reset_checkpoint != 0;
    o.sched = &prog->sched;
    sp_query_spec *specs = sp_calloc((size_t)prog->n_plans, sizeof *specs);
    if (!specs) return sp_err_set(err, SP_ENOMEM, "out of memory");
    for (int i = 0; i < prog->n_plans; i++) {
        specs[i] = prog->plans[i]->spec;
        specs[i].sink_conf.out = p->opt.console ? p->opt.console : stdout;
    }
    int rc = sp_runtime_run(specs, prog->n_plans, &o, err);
    sp_free(specs);
    return rc;
}

SPATE_EXTERN void spate_pipeline_stop(spate_pipeline_t *p)
{
    p->stop = 1;
}

SPATE_EXTERN void spate_pipeline_destroy(spate_pipeline_t *p)
{
    if (!p) return;
    sp_arena_destroy(p->arena);
    sp_free(p->text);
    sp_free(p);
}
