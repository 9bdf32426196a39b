/*
 * plan.c -- statement analysis and planning (see plan.h).
 *
 * Every error points at the text that caused it and says what to do. The
 * checks, in statement order:
 *   CREATE SOURCE  unique name; a known connector; options declared by the
 *                  connector with valid values; required options present;
 *                  columns (required for the file source, fixed for rate,
 *                  generator and socket); computed columns bind over the
 *                  physical ones; WATERMARK FOR names a TIMESTAMP column and
 *                  reads `col` or `col - INTERVAL ...`.
 *   CREATE SINK    unique name; known connector and options; the query
 *                  reads a declared source; expressions bind; the output
 *                  mode is allowed for the query's shape (Spark's rules).
 *   SET            a known key with a valid value.
 */
#include "plan/planInt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const sp_opt_def sp_set_options[] = {
    {"trigger", SP_OPT_STR, NULL, false, NULL,
     "processing_time '<interval>' | once | available_now"},
    {"checkpoint_location", SP_OPT_STR, NULL, false, NULL,
     "checkpoint directory (the --checkpoint flag overrides it)"},
    {"threads", SP_OPT_INT, NULL, false, NULL,
     "worker threads (the --threads flag overrides it)"},
    {"shuffle_partitions", SP_OPT_INT, "4", false, NULL,
     "state partitions of stateful operators (fixed for a checkpoint)"},
    {"no_data_batches", SP_OPT_BOOL, "true", false, NULL,
     "run a batch without new data when the watermark moved, so final "
     "windows are emitted and state evicted"},
    {"state_snapshot_interval", SP_OPT_INT, "10", false, NULL,
     "state store versions between snapshots"},
    {"multiple_watermark_policy", SP_OPT_ENUM, "min", false, "min|max",
     "how the watermarks of several inputs (UNION ALL) combine"},
    /* the task scheduler's (checked by sp_sched_conf_set) */
    {"spate.task.maxFailures", SP_OPT_INT, "4", false, NULL,
     "attempts of a task before its batch fails and the query stops"},
    {"spate.speculation", SP_OPT_BOOL, "false", false, NULL,
     "run a copy of a straggling task; the first to finish wins"},
    {"spate.speculation.multiplier", SP_OPT_STR, "1.5", false, NULL,
     "a straggler runs this many times longer than the median task"},
    {"spate.speculation.quantile", SP_OPT_STR, "0.75", false, NULL,
     "fraction of a stage's tasks that must finish before speculating"},
    {"spate.speculation.minTaskRuntime", SP_OPT_STR, "100ms", false, NULL,
     "a task runs at least this long before it is speculated"},
    {0}};

int sp_plan_fail_at(actx *c, sp_pos pos, int code, const char *fmt, ...)
{
    if (c->err->code) return c->err->code;
    va_list ap;
    va_start(ap, fmt);
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sp_err_set(c->err, code, "%s", msg);
    sp_err_at(c->err, c->script->file, pos.line, pos.col, pos.len);
    return code;
}

char *sp_plan_sql_text(actx *c, const sp_ast_expr *e)
{
    sp_buf b;
    sp_buf_init(&b);
    sp_ast_expr_to_sql(e, &b);
    char *s = sp_arena_strdup(c->a, b.data ? b.data : "");
    sp_buf_free(&b);
    return s;
}

/* ---- options ------------------------------------------------------------ */

/* Validates a WITH list against the common and the connector's tables and
 * resolves every declared option (given, or its default). */
static int resolve_options(actx *c, const sp_ast_stmt *st,
                           const sp_opt_def *common, const sp_opt_def *own,
                           const char *what, sp_opts *out)
{
    for (int i = 0; i < st->n_options; i++) {
        const sp_ast_option *o = &st->options[i];
        for (int j = 0; j < i; j++)
            if (strcasecmp(st->options[j].key, o->key) == 0)
                return sp_plan_fail_at(c, o->key_pos, SP_EANALYSIS,
                                       "option '%s' is given twice", o->key);
        const sp_opt_def *d = sp_opt_find(common, o->key);
        if (!d) d = sp_opt_find(own, o->key);
        if (!d) {
            sp_plan_fail_at(c, o->key_pos, SP_EANALYSIS,
                            "unknown option '%s' for %s", o->key, what);
            const char *s = sp_opt_suggest(own, o->key);
            if (!s) s = sp_opt_suggest(common, o->key);
            if (s)
                sp_err_hint(c->err, "did you mean '%s'? %s accepts: %s", s,
                            what, sp_opt_list(own, c->a));
            else
                sp_err_hint(c->err, "%s accepts: %s", what,
                            sp_opt_list(own, c->a));
            return SP_EANALYSIS;
        }
        const char *why = sp_opt_check(d, o->value);
        if (why) {
            sp_plan_fail_at(c, o->value_pos, SP_EANALYSIS,
                            "bad value '%s' for option '%s': %s", o->value,
                            d->name, why);
            if (d->type == SP_OPT_ENUM)
                sp_err_hint(c->err, "accepted values: %s", d->choices);
            else if (d->help)
                sp_err_hint(c->err, "%s: %s", d->name, d->help);
            return SP_EANALYSIS;
        }
    }
    int n = 0;
    for (const sp_opt_def *d = own; d->name; d++) n++;
    out->n = n;
    out->keys = sp_arena_alloc(c->a, (size_t)(n + 1) * sizeof(char *));
    out->values = sp_arena_alloc(c->a, (size_t)(n + 1) * sizeof(char *));
    int k = 0;
    for (const sp_opt_def *d = own; d->name; d++, k++) {
        out->keys[k] = d->name;
        out->values[k] = d->dflt;
        for (int i = 0; i < st->n_options; i++)
            if (strcasecmp(st->options[i].key, d->name) == 0)
                out->values[k] = st->options[i].value;
        if (d->required && !out->values[k]) {
            sp_plan_fail_at(c, st->name_pos, SP_EANALYSIS,
                            "%s '%s' needs the option '%s'", what, st->name,
                            d->name);
            sp_err_hint(c->err, "add %s = '...' to WITH (...): %s", d->name,
                        d->help ? d->help : "");
            return SP_EANALYSIS;
        }
    }
    return 0;
}

static const char *given_option(const sp_ast_stmt *st, const char *key,
                                const sp_ast_option **where)
{
    for (int i = 0; i < st->n_options; i++)
        if (strcasecmp(st->options[i].key, key) == 0) {
            if (where) *where = &st->options[i];
            return st->options[i].value;
        }
    return NULL;
}

/* ---- CREATE SOURCE ---------------------------------------------------- */

static sp_source_def *find_source(sp_program *p, const char *name)
{
    for (int i = 0; i < p->n_sources; i++)
        if (strcasecmp(p->sources[i]->name, name) == 0) return p->sources[i];
    return NULL;
}

static int add_source(actx *c, const sp_ast_stmt *st)
{
    sp_program *p = c->prog;
    if (find_source(p, st->name))
        return sp_plan_fail_at(c, st->name_pos, SP_EANALYSIS,
                               "source '%s' is defined twice", st->name);
    const sp_ast_option *copt = NULL;
    const char *conn = given_option(st, "connector", &copt);
    if (!conn) {
        sp_plan_fail_at(c, st->name_pos, SP_EANALYSIS,
                        "source '%s' does not say which connector to use",
                        st->name);
        sp_err_hint(c->err,
                    "add connector = '...' to WITH (...); "
                    "connectors: %s",
                    sp_source_names(c->a));
        return SP_EANALYSIS;
    }
    const sp_source_vtab *vt = sp_source_lookup(conn);
    if (!vt) {
        sp_plan_fail_at(c, copt->value_pos, SP_EANALYSIS,
                        "unknown source connector '%s'", conn);
        sp_err_hint(c->err, "source connectors: %s", sp_source_names(c->a));
        return SP_EANALYSIS;
    }
    sp_source_def *s = sp_arena_zalloc(c->a, sizeof *s);
    s->name = sp_arena_strdup(c->a, st->name);
    s->pos = st->name_pos;
    s->index = p->n_sources;
    s->vt = vt;
    s->wm_col = -1;
    s->wm_delay_us = -1;
    char what[300];
    snprintf(what, sizeof what, "the %s source", vt->name);
    int rc = resolve_options(c, st, sp_source_common_options, vt->options, what,
                             &s->opts);
    if (rc) return rc;

    /* format */
    s->format = SP_FMT_JSON;
    sp_format_opts_default(&s->fopts);
    const char *fmt = sp_opts_get(&s->opts, "format");
    if (fmt && sp_format_parse(fmt, &s->format) != 0) s->format = SP_FMT_JSON;
    if (s->format == SP_FMT_CSV) {
        s->fopts.header = sp_opts_bool(&s->opts, "header", false);
        const char *d = sp_opts_get(&s->opts, "delimiter");
        if (d && strlen(d) != 1) {
            const sp_ast_option *o = NULL;
            given_option(st, "delimiter", &o);
            return sp_plan_fail_at(
                c, o ? o->value_pos : st->name_pos, SP_EANALYSIS,
                "delimiter must be one character, got '%s'", d);
        }
        if (d) s->fopts.delimiter = d[0];
        const char *nv = sp_opts_get(&s->opts, "null_value");
        if (nv) s->fopts.null_value = nv;
    }
    const char *oe = sp_opts_get(&s->opts, "on_error");
    s->fail_on_error = oe && strcasecmp(oe, "fail") == 0;

    /* physical columns */
    int n_decl = 0, n_comp = 0;
    for (int i = 0; i < st->n_columns; i++)
        st->columns[i].computed ? n_comp++ : n_decl++;
    const sp_schema *fixed = vt->fixed_schema;
    sp_field *fields =
        sp_arena_zalloc(c->a, (size_t)(n_decl + n_comp +
                                       (fixed ? (int)fixed->n_fields : 1) + 1) *
                                  sizeof(sp_field));
    int nf = 0;
    if (n_decl == 0 && fixed) {
        for (uint32_t i = 0; i < fixed->n_fields; i++)
            fields[nf++] = fixed->fields[i];
    } else if (n_decl == 0 && s->format == SP_FMT_TEXT) {
        fields[nf].name = "value";
        fields[nf++].type = SP_T_VARCHAR;
    } else if (n_decl == 0) {
        sp_plan_fail_at(c, st->name_pos, SP_EANALYSIS,
                        "source '%s' declares no columns", st->name);
        sp_err_hint(c->err,
                    "a %s source reads by a declared schema: "
                    "CREATE SOURCE %s (id BIGINT, name VARCHAR, ...) "
                    "WITH (...)",
                    vt->name, st->name);
        return SP_EANALYSIS;
    } else {
        for (int i = 0; i < st->n_columns; i++) {
            const sp_ast_column *col = &st->columns[i];
            if (col->computed) continue;
            for (int j = 0; j < nf; j++)
                if (strcasecmp(fields[j].name, col->name) == 0)
                    return sp_plan_fail_at(c, col->pos, SP_EANALYSIS,
                                           "column '%s' is declared twice",
                                           col->name);
            if (fixed) {
                int k = sp_schema_find(fixed, col->name, strlen(col->name));
                if (k < 0 || fixed->fields[k].type != col->type) {
                    sp_plan_fail_at(c, col->pos, SP_EANALYSIS,
                                    "the %s source has no column %s %s",
                                    vt->name, col->name,
                                    sp_type_name(col->type));
                    sp_buf b;
                    sp_buf_init(&b);
                    for (uint32_t f = 0; f < fixed->n_fields; f++)
                        sp_buf_printf(&b, "%s%s %s", f ? ", " : "",
                                      fixed->fields[f].name,
                                      sp_type_name(fixed->fields[f].type));
                    sp_err_hint(c->err,
                                "its columns are (%s); or leave the "
                                "column list out",
                                b.data);
                    sp_buf_free(&b);
                    return SP_EANALYSIS;
                }
            }
            if (col->type == SP_T_NULL)
                return sp_plan_fail_at(c, col->pos, SP_EANALYSIS,
                                       "column '%s' has no type", col->name);
            fields[nf].name = sp_arena_strdup(c->a, col->name);
            fields[nf++].type = col->type;
        }
        if (s->format == SP_FMT_TEXT &&
            (nf != 1 || fields[0].type != SP_T_VARCHAR)) {
            return sp_plan_fail_at(
                c, st->columns[0].pos, SP_EANALYSIS,
                "a text source has exactly one VARCHAR column");
        }
    }
    s->declared.n_fields = (uint32_t)nf;
    s->declared.fields = fields;

    /* computed columns, bound over the physical ones */
    s->computed =
        sp_arena_zalloc(c->a, (size_t)(n_comp + 1) * sizeof(sp_expr *));
    s->computed_sql =
        sp_arena_zalloc(c->a, (size_t)(n_comp + 1) * sizeof(char *));
    sp_scope scope = {&s->declared, s->name, c->script->file, false, NULL};
    int k = 0;
    for (int i = 0; i < st->n_columns; i++) {
        const sp_ast_column *col = &st->columns[i];
        if (!col->computed) continue;
        for (int j = 0; j < nf; j++)
            if (strcasecmp(fields[j].name, col->name) == 0)
                return sp_plan_fail_at(c, col->pos, SP_EANALYSIS,
                                       "column '%s' is declared twice",
                                       col->name);
        sp_expr *e = sp_bind_expr(col->computed, &scope, c->a, c->err);
        if (!e) return c->err->code;
        s->computed[k] = e;
        s->computed_sql[k] = sp_plan_sql_text(c, col->computed);
        k++;
        fields[nf].name = sp_arena_strdup(c->a, col->name);
        fields[nf++].type = e->type;
    }
    s->full.n_fields = (uint32_t)nf;
    s->full.fields = fields;

    /* WATERMARK FOR col AS col - INTERVAL ... */
    if (st->wm_column) {
        int wc = sp_schema_find(&s->full, st->wm_column, strlen(st->wm_column));
        if (wc < 0)
            return sp_plan_fail_at(
                c, st->wm_pos, SP_EANALYSIS,
                "watermark column '%s' is not a column of '%s'", st->wm_column,
                st->name);
        if (s->full.fields[wc].type != SP_T_TIMESTAMP) {
            sp_plan_fail_at(c, st->wm_pos, SP_EANALYSIS,
                            "watermark column '%s' is %s, not TIMESTAMP",
                            st->wm_column,
                            sp_type_name(s->full.fields[wc].type));
            sp_err_hint(c->err,
                        "declare a computed TIMESTAMP column, e.g. "
                        "et AS timestamp_millis(%s), and put the "
                        "watermark on it",
                        st->wm_column);
            return SP_EANALYSIS;
        }
        const sp_ast_expr *we = st->wm_expr;
        int64_t delay = -1;
        if (we && we->kind == SP_A_IDENT && we->n_parts == 1 &&
            strcasecmp(we->parts[0], st->wm_column) == 0) {
            delay = 0;
        } else if (we && we->kind == SP_A_BINARY && we->op == SP_OP_SUB &&
                   we->args[0]->kind == SP_A_IDENT &&
                   we->args[0]->n_parts == 1 &&
                   strcasecmp(we->args[0]->parts[0], st->wm_column) == 0 &&
                   we->args[1]->kind == SP_A_LITERAL &&
                   we->args[1]->lit.type == SP_T_INTERVAL) {
            delay = we->args[1]->lit.v.i;
        }
        if (delay < 0) {
            sp_plan_fail_at(c, we ? we->pos : st->wm_pos, SP_EANALYSIS,
                            "the watermark must be the column minus a constant "
                            "delay");
            sp_err_hint(c->err,
                        "write WATERMARK FOR %s AS %s - INTERVAL "
                        "'10' SECOND",
                        st->wm_column, st->wm_column);
            return SP_EANALYSIS;
        }
        s->wm_col = wc;
        s->wm_delay_us = delay;
    }

    sp_source_def **ns =
        sp_arena_alloc(c->a, (size_t)(p->n_sources + 1) * sizeof *ns);
    if (p->n_sources) memcpy(ns, p->sources, (size_t)p->n_sources * sizeof *ns);
    ns[p->n_sources++] = s;
    p->sources = ns;
    return 0;
}

/* ---- expression walking ------------------------------------------------ */

void sp_plan_mark_used(const sp_expr *e, bool *used)
{
    if (!e) return;
    if (e->kind == SP_E_COL) used[e->col] = true;
    for (int i = 0; i < e->n_args; i++) sp_plan_mark_used(e->args[i], used);
}

/* Copies the tree with column indexes mapped through `map`. */
sp_expr *sp_plan_remap(sp_arena *a, const sp_expr *e, const int *map)
{
    sp_expr *n = sp_arena_alloc(a, sizeof *n);
    *n = *e;
    if (e->kind == SP_E_COL) n->col = map[e->col];
    if (e->n_args) {
        n->args = sp_arena_alloc(a, (size_t)e->n_args * sizeof(sp_expr *));
        for (int i = 0; i < e->n_args; i++)
            n->args[i] = sp_plan_remap(a, e->args[i], map);
    }
    return n;
}

bool sp_plan_has_aggregate(const sp_ast_expr *e)
{
    if (!e) return false;
    if (e->kind == SP_A_CALL && e->n_parts >= 1 &&
        sp_bind_is_aggregate(e->parts[0]))
        return true;
    for (int i = 0; i < e->n_args; i++)
        if (sp_plan_has_aggregate(e->args[i])) return true;
    for (int i = 0; i < e->n_whens; i++)
        if (sp_plan_has_aggregate(e->whens[i]) ||
            sp_plan_has_aggregate(e->thens[i]))
            return true;
    return sp_plan_has_aggregate(e->operand) || sp_plan_has_aggregate(e->else_);
}

/* ---- CREATE SINK ... AS SELECT ----------------------------------------- */

int sp_plan_unsupported(actx *c, sp_pos pos, const char *what, const char *hint)
{
    sp_plan_fail_at(c, pos, SP_EUNSUPPORTED, "%s is not supported yet", what);
    if (hint) sp_err_hint(c->err, "%s", hint);
    return SP_EUNSUPPORTED;
}

/* ---- CREATE TABLE and stream-static joins ------------------------------- */

static const sp_opt_def table_options[] = {
    {"path", SP_OPT_STR, NULL, true, NULL, "a file or a directory of files"},
    {"format", SP_OPT_ENUM, "json", false, "json|jsonl|csv|text",
     "record format"},
    {"header", SP_OPT_BOOL, "false", false, NULL,
     "CSV: the first line of each file is a header"},
    {"delimiter", SP_OPT_STR, ",", false, NULL, "CSV: field separator"},
    {"null_value", SP_OPT_STR, "", false, NULL, "CSV: text that means NULL"},
    {0}};

static const sp_opt_def table_common[] = {
    {"connector", SP_OPT_ENUM, NULL, true, "file",
     "where the table is read from: file"},
    {0}};

static sp_table_def *find_table(sp_program *p, const char *name)
{
    for (int i = 0; i < p->n_tables; i++)
        if (strcasecmp(p->tables[i]->name, name) == 0) return p->tables[i];
    return NULL;
}

static int add_table(actx *c, const sp_ast_stmt *st)
{
    sp_program *p = c->prog;
    if (find_table(p, st->name) || find_source(p, st->name))
        return sp_plan_fail_at(c, st->name_pos, SP_EANALYSIS,
                               "'%s' is defined twice", st->name);
    sp_table_def *t = sp_arena_zalloc(c->a, sizeof *t);
    t->name = sp_arena_strdup(c->a, st->name);
    int rc = resolve_options(c, st, table_common, table_options, "a table",
                             &t->opts);
    if (rc) return rc;
    t->format = SP_FMT_JSON;
    sp_format_opts_default(&t->fopts);
    const char *fmt = sp_opts_get(&t->opts, "format");
    if (fmt) sp_format_parse(fmt, &t->format);
    t->fopts.header = sp_opts_bool(&t->opts, "header", false);
    const char *d = sp_opts_get(&t->opts, "delimiter");
    if (d && d[0]) t->fopts.delimiter = d[0];
    const char *nv = sp_opts_get(&t->opts, "null_value");
    if (nv) t->fopts.null_value = nv;
    t->path = sp_opts_get(&t->opts, "path");
    int n = 0;
    sp_field *f =
        sp_arena_zalloc(c->a, (size_t)(st->n_columns + 2) * sizeof *f);
    for (int i = 0; i < st->n_columns; i++) {
        const sp_ast_column *col = &st->columns[i];
        if (col->computed)
            return sp_plan_unsupported(
                c, col->pos, "a computed column in a static table", NULL);
        f[n].name = sp_arena_strdup(c->a, col->name);
        f[n++].type = col->type;
    }
    if (n == 0 && t->format == SP_FMT_TEXT) {
        f[n].name = "value";
        f[n++].type = SP_T_VARCHAR;
    }
    if (n == 0) {
        sp_plan_fail_at(c, st->name_pos, SP_EANALYSIS,
                        "table '%s' declares no columns", st->name);
        sp_err_hint(c->err,
                    "CREATE TABLE %s (id VARCHAR, name VARCHAR) WITH "
                    "(connector = 'file', path = '...', format = "
                    "'csv')",
                    st->name);
        return SP_EANALYSIS;
    }
    t->schema.n_fields = (uint32_t)n;
    t->schema.fields = f;
    sp_table_def **nt =
        sp_arena_alloc(c->a, (size_t)(p->n_tables + 1) * sizeof *nt);
    if (p->n_tables) memcpy(nt, p->tables, (size_t)p->n_tables * sizeof *nt);
    nt[p->n_tables++] = t;
    p->tables = nt;
    return 0;
}

static bool uses_range(const sp_expr *e, uint32_t lo, uint32_t hi, bool *other)
{
    if (!e) return false;
    bool in = false;
    if (e->kind == SP_E_COL) {
        if ((uint32_t)e->col >= lo && (uint32_t)e->col < hi)
            in = true;
        else
            *other = true;
    }
    for (int i = 0; i < e->n_args; i++)
        in |= uses_range(e->args[i], lo, hi, other);
    return in;
}

/* Only `a`'s side: true if e reads columns of [lo, hi) and no others. */
static bool only_side(const sp_expr *e, uint32_t lo, uint32_t hi)
{
    bool other = false;
    bool in = uses_range(e, lo, hi, &other);
    return in && !other;
}

static void conjuncts(sp_expr *e, sp_expr **out, int *n, int cap)
{
    if (e->kind == SP_E_AND && e->n_args == 2) {
        conjuncts(e->args[0], out, n, cap);
        conjuncts(e->args[1], out, n, cap);
    } else if (*n < cap) {
        out[(*n)++] = e;
    }
}

static int plan_join(actx *c, const sp_ast_select *q, sp_plan *pl,
                     const char *left_qual, sp_join **out, sp_schema *comb,
                     const char ***quals_out)
{
    sp_program *p = c->prog;
    if (q->n_joins > 1)
        return sp_plan_unsupported(c, q->joins[1].pos,
                                   "more than one JOIN in a query", NULL);
    const sp_ast_join *jn = &q->joins[0];
    if (jn->right.subquery || !jn->right.name)
        return sp_plan_unsupported(c, jn->pos, "a join with a subquery", NULL);
    sp_table_def *t = find_table(p, jn->right.name);
    if (!t) {
        if (find_source(p, jn->right.name))
            return sp_plan_unsupported(c, jn->right.pos, "a stream-stream join",
                                       "join a stream with a static table "
                                       "(CREATE TABLE)");
        sp_plan_fail_at(c, jn->right.pos, SP_EANALYSIS, "unknown table '%s'",
                        jn->right.name);
        sp_err_hint(c->err,
                    "declare it with CREATE TABLE %s (...) WITH "
                    "(connector = 'file', path = '...')",
                    jn->right.name);
        return SP_EANALYSIS;
    }
    if (!jn->on)
        return sp_plan_fail_at(c, jn->pos, SP_EANALYSIS,
                               "a JOIN needs an ON condition");
    const char *rq = jn->right.alias ? jn->right.alias : t->name;
    if (strcasecmp(rq, left_qual) == 0)
        return sp_plan_fail_at(c, jn->right.pos, SP_EANALYSIS,
                               "both sides of the join are called '%s'", rq);
    uint32_t nin = pl->in.n_fields, nt = t->schema.n_fields;
    sp_field *f = sp_arena_alloc(c->a, (nin + nt + 1) * sizeof *f);
    const char **qs = sp_arena_alloc(c->a, (nin + nt + 1) * sizeof *qs);
    memcpy(f, pl->in.fields, nin * sizeof *f);
    memcpy(f + nin, t->schema.fields, nt * sizeof *f);
    for (uint32_t i = 0; i < nin + nt; i++) qs[i] = i < nin ? left_qual : rq;
    comb->n_fields = nin + nt;
    comb->fields = f;
    sp_scope js = {comb, NULL, c->script->file, false, qs};
    sp_expr *on = sp_bind_expr(jn->on, &js, c->a, c->err);
    if (!on) return c->err->code;
    if (on->type != SP_T_BOOL)
        return sp_plan_fail_at(c, jn->on->pos, SP_EANALYSIS,
                               "the ON condition must be BOOLEAN, got %s",
                               sp_type_name(on->type));
    sp_expr *parts[64];
    int np = 0;
    conjuncts(on, parts, &np, 64);
    sp_join *j = sp_arena_zalloc(c->a, sizeof *j);
    j->left_outer = jn->kind == SP_JOIN_LEFT;
    j->left_keys = sp_arena_zalloc(c->a, 65 * sizeof(sp_expr *));
    j->right_keys = sp_arena_zalloc(c->a, 65 * sizeof(sp_expr *));
    j->key_types = sp_arena_zalloc(c->a, 65 * sizeof(sp_type));
    sp_expr *extra = NULL;
    for (int i = 0; i < np; i++) {
        sp_expr *e = parts[i];
        bool eq = e->kind == SP_E_CALL && e->fn &&
                  strcmp(e->fn->name, "=") == 0 && e->n_args == 2;
        if (eq && only_side(e->args[0], 0, nin) &&
            only_side(e->args[1], nin, nin + nt)) {
            j->left_keys[j->n_keys] = e->args[0];
            j->right_keys[j->n_keys] = e->args[1];
            j->key_types[j->n_keys++] = e->args[0]->type;
        } else if (eq && only_side(e->args[1], 0, nin) &&
                   only_side(e->args[0], nin, nin + nt)) {
            j->left_keys[j->n_keys] = e->args[1];
            j->right_keys[j->n_keys] = e->args[0];
            j->key_types[j->n_keys++] = e->args[1]->type;
        } else if (j->left_outer) {
            sp_plan_fail_at(c, jn->on->pos, SP_EUNSUPPORTED,
                            "a LEFT JOIN condition other than equalities "
                            "between the two sides is not supported yet");
            sp_err_hint(c->err, "keep only col = col equalities in ON and "
                                "filter in WHERE");
            return SP_EUNSUPPORTED;
        } else if (!extra) {
            extra = e;
        } else {
            sp_expr *both = sp_expr_new(c->a, SP_E_AND, SP_T_BOOL, 2);
            both->args[0] = extra;
            both->args[1] = e;
            extra = both;
        }
    }
    if (j->n_keys == 0) {
        sp_plan_fail_at(c, jn->on->pos, SP_EUNSUPPORTED,
                        "a join needs at least one equality between a "
                        "stream column and a table column");
        sp_err_hint(c->err, "e.g. ON e.ad_id = c.ad_id");
        return SP_EUNSUPPORTED;
    }
    j->table_name = t->name;
    j->path = t->path;
    j->format = t->format;
    j->fopts = t->fopts;
    j->table_schema = &t->schema;
    pl->join_extra = extra;
    pl->join_table = t;
    *out = j;
    *quals_out = qs;
    return 0;
}

/* ---- subqueries in FROM ---------------------------------------------------
 *
 * SELECT <outer> FROM (SELECT <inner> FROM s [WHERE w1]) t [WATERMARK ...]
 * [WHERE w2] [GROUP BY ...] is planned as one query over s: references to
 * the subquery's columns are replaced by the inner expressions, and the
 * WHERE clauses are combined. A column the outer WATERMARK clause names
 * becomes a derived watermark column (as in FROM s WATERMARK expr AS name)
 * so the outer grouping sees it as the event time. The inner query must be
 * stateless (no aggregation, DISTINCT, join or UNION) for now. */

typedef struct subst {
    int n;
    const char **names;
    const sp_ast_expr **exprs;
    const char *qual;
} subst;

static sp_ast_expr *substitute(actx *c, const subst *sb, const sp_ast_expr *e)
{
    if (!e) return NULL;
    if (e->kind == SP_A_IDENT &&
        (e->n_parts == 1 ||
         (e->n_parts == 2 && sb->qual && !strcasecmp(e->parts[0], sb->qual)))) {
        const char *nm = e->parts[e->n_parts - 1];
        for (int i = 0; i < sb->n; i++)
            if (!strcasecmp(sb->names[i], nm))
                return (sp_ast_expr *)sb->exprs[i];
        return (sp_ast_expr *)e;
    }
    if (e->kind == SP_A_IDENT || e->kind == SP_A_LITERAL ||
        e->kind == SP_A_STAR)
        return (sp_ast_expr *)e;
    sp_ast_expr *x = sp_arena_alloc(c->a, sizeof *x);
    *x = *e;
    if (e->n_args) {
        x->args = sp_arena_alloc(c->a, (size_t)e->n_args * sizeof(void *));
        for (int i = 0; i < e->n_args; i++)
            x->args[i] = substitute(c, sb, e->args[i]);
    }
    if (e->n_whens) {
        x->whens = sp_arena_alloc(c->a, (size_t)e->n_whens * sizeof(void *));
        x->thens = sp_arena_alloc(c->a, (size_t)e->n_whens * sizeof(void *));
        for (int i = 0; i < e->n_whens; i++) {
            x->whens[i] = substitute(c, sb, e->whens[i]);
            x->thens[i] = substitute(c, sb, e->thens[i]);
        }
    }
    x->operand = substitute(c, sb, e->operand);
    x->else_ = substitute(c, sb, e->else_);
    return x;
}

static sp_ast_expr *make_ident(actx *c, const char *name, sp_pos pos)
{
    sp_ast_expr *x = sp_arena_zalloc(c->a, sizeof *x);
    x->kind = SP_A_IDENT;
    x->pos = pos;
    x->parts = sp_arena_alloc(c->a, sizeof(char *));
    x->parts[0] = sp_arena_strdup(c->a, name);
    x->n_parts = 1;
    return x;
}

static bool is_explode(const sp_ast_expr *e)
{
    return e && e->kind == SP_A_CALL && e->n_parts == 1 &&
           strcasecmp(e->parts[0], "explode") == 0;
}

static bool contains_explode(const sp_ast_expr *e)
{
    if (!e) return false;
    if (is_explode(e)) return true;
    for (int i = 0; i < e->n_args; i++)
        if (contains_explode(e->args[i])) return true;
    return false;
}

/* Takes a generator item, explode(x) [AS name], out of the SELECT list:
 * the item becomes a reference to the generated column, which the planner
 * adds to the query's input (Spark names it `col` by default). */
static int extract_generator(actx *c, const sp_ast_select *q,
                             const sp_ast_select **out)
{
    *out = q;
    if (q->lateral) {
        /* LATERAL VIEW explode(x) t AS name: the same generator, its column
         * referenced by name from the SELECT list */
        if (!is_explode(q->lateral) || q->lateral->n_args != 1)
            return sp_plan_unsupported(c, q->lateral->pos,
                                       "a LATERAL VIEW of anything but "
                                       "explode(...)",
                                       NULL);
        for (int i = 0; i < q->n_items; i++)
            if (contains_explode(q->items[i].expr))
                return sp_plan_fail_at(c, q->items[i].expr->pos, SP_EANALYSIS,
                                       "only one generator (explode) is "
                                       "allowed per SELECT");
        sp_ast_select *f = sp_arena_alloc(c->a, sizeof *f);
        *f = *q;
        f->generator = q->lateral->args[0];
        f->generator_name = q->lateral_name;
        f->lateral = NULL;
        *out = f;
        return 0;
    }
    int found = -1;
    for (int i = 0; i < q->n_items; i++) {
        const sp_ast_expr *e = q->items[i].expr;
        if (is_explode(e)) {
            if (found >= 0)
                return sp_plan_fail_at(c, e->pos, SP_EANALYSIS,
                                       "only one generator (explode) is "
                                       "allowed per SELECT");
            found = i;
        } else if (contains_explode(e)) {
            sp_plan_fail_at(c, e->pos, SP_EANALYSIS,
                            "explode() must be a whole SELECT item, not "
                            "nested in an expression");
            sp_err_hint(c->err, "explode in a subquery and compute on its "
                                "column in the outer query");
            return SP_EANALYSIS;
        }
    }
    if (q->where && contains_explode(q->where))
        return sp_plan_fail_at(c, q->where->pos, SP_EANALYSIS,
                               "explode() is not allowed in WHERE");
    if (found < 0) return 0;
    const sp_ast_item *it = &q->items[found];
    if (it->expr->n_args != 1)
        return sp_plan_fail_at(c, it->expr->pos, SP_EANALYSIS,
                               "explode() takes one argument");
    sp_ast_select *f = sp_arena_alloc(c->a, sizeof *f);
    *f = *q;
    f->items = sp_arena_alloc(c->a, (size_t)q->n_items * sizeof *f->items);
    memcpy(f->items, q->items, (size_t)q->n_items * sizeof *f->items);
    f->generator = it->expr->args[0];
    f->generator_name = sp_arena_strdup(c->a, it->alias ? it->alias : "col");
    f->items[found].expr = make_ident(c, f->generator_name, it->expr->pos);
    f->items[found].alias = f->generator_name;
    *out = f;
    return 0;
}

static int flatten_subquery(actx *c, const sp_ast_select *q,
                            const sp_ast_select **out)
{
    const sp_ast_select *in = q->from.subquery;
    if (in->from.subquery) {
        const sp_ast_select *fi;
        int rc = flatten_subquery(c, in, &fi);
        if (rc) return rc;
        in = fi;
    }
    if (!in->generator) {
        int rc = extract_generator(c, in, &in);
        if (rc) return rc;
    }
    if (in->n_group_by || in->having || in->distinct || in->n_distinct_on ||
        in->n_joins || in->union_all || in->n_order_by || in->limit >= 0)
        return sp_plan_unsupported(c, in->pos,
                                   "a subquery in FROM with GROUP BY, "
                                   "DISTINCT, JOIN, UNION, ORDER BY or LIMIT",
                                   "put the stateful part in the outer query");
    for (int i = 0; i < in->n_items; i++)
        if (sp_plan_has_aggregate(in->items[i].expr))
            return sp_plan_unsupported(
                c, in->items[i].expr->pos, "an aggregate in a subquery in FROM",
                "put the aggregation in the outer query");
    if (q->from.wm_expr && in->from.wm_expr)
        return sp_plan_unsupported(c, q->from.wm_pos,
                                   "watermarks on both a subquery and its "
                                   "source",
                                   NULL);
    /* the subquery's columns: names and expressions (a star keeps the
     * source's columns as they are, so nothing to substitute for them) */
    subst sb = {0, NULL, NULL, q->from.alias};
    sb.names =
        sp_arena_zalloc(c->a, (size_t)(in->n_items + 1) * sizeof(char *));
    sb.exprs =
        sp_arena_zalloc(c->a, (size_t)(in->n_items + 1) * sizeof(void *));
    bool star = false;
    for (int i = 0; i < in->n_items; i++) {
        const sp_ast_item *it = &in->items[i];
        if (it->expr->kind == SP_A_STAR) {
            star = true;
            continue;
        }
        char *sql = sp_plan_sql_text(c, it->expr);
        sb.names[sb.n] = sp_plan_item_name(c, it, sql);
        sb.exprs[sb.n++] = it->expr;
    }
    sp_ast_select *f = sp_arena_alloc(c->a, sizeof *f);
    *f = *q;
    f->from = in->from;
    f->generator = in->generator;
    f->generator_name = in->generator_name;
    if (q->from.alias && !in->from.alias) f->from.alias = q->from.alias;
    /* the outer watermark on a subquery column */
    if (q->from.wm_expr) {
        const sp_ast_expr *we = q->from.wm_expr;
        if (q->from.wm_alias || we->kind != SP_A_IDENT)
            return sp_plan_unsupported(c, we->pos,
                                       "a watermark expression on a subquery",
                                       "name a column of the subquery: "
                                       "WATERMARK ts DELAY OF ...");
        const char *nm = we->parts[we->n_parts - 1];
        int k = -1;
        for (int i = 0; i < sb.n; i++)
            if (!strcasecmp(sb.names[i], nm)) k = i;
        f->from.wm_pos = q->from.wm_pos;
        f->from.wm_delay_us = q->from.wm_delay_us;
        if (k >= 0 &&
            !(sb.exprs[k]->kind == SP_A_IDENT &&
              !strcasecmp(sb.exprs[k]->parts[sb.exprs[k]->n_parts - 1], nm))) {
            /* a derived column: WATERMARK <inner expr> AS name */
            f->from.wm_expr = (sp_ast_expr *)sb.exprs[k];
            f->from.wm_alias = sp_arena_strdup(c->a, nm);
            sb.exprs[k] = make_ident(c, nm, we->pos);
        } else {
            f->from.wm_expr = (sp_ast_expr *)(k >= 0 ? sb.exprs[k] : we);
            f->from.wm_alias = NULL;
        }
    }
    /* outer items: keep their names, substitute their expressions */
    int cap = q->n_items + (star ? 0 : 0) + sb.n * q->n_items + 1;
    sp_ast_item *items = sp_arena_zalloc(c->a, (size_t)cap * sizeof *items);
    int n = 0;
    for (int i = 0; i < q->n_items; i++) {
        const sp_ast_item *it = &q->items[i];
        if (it->expr->kind == SP_A_STAR && !star) {
            for (int k = 0; k < sb.n; k++) {
                items[n].expr = (sp_ast_expr *)sb.exprs[k];
                items[n].alias = (char *)sb.names[k];
                items[n++].alias_pos = it->expr->pos;
            }
            continue;
        }
        items[n] = *it;
        if (!it->alias && it->expr->kind == SP_A_IDENT)
            items[n].alias = it->expr->parts[it->expr->n_parts - 1];
        else if (!it->alias && it->expr->kind != SP_A_STAR)
            items[n].alias = sp_plan_sql_text(c, it->expr);
        items[n].expr = substitute(c, &sb, it->expr);
        n++;
    }
    f->items = items;
    f->n_items = n;
    sp_ast_expr *ow = substitute(c, &sb, q->where);
    if (in->where && ow) {
        sp_ast_expr *both = sp_arena_zalloc(c->a, sizeof *both);
        both->kind = SP_A_BINARY;
        both->op = SP_OP_AND;
        both->pos = ow->pos;
        both->args = sp_arena_alloc(c->a, 2 * sizeof(void *));
        both->args[0] = in->where;
        both->args[1] = ow;
        both->n_args = 2;
        f->where = both;
    } else {
        f->where = in->where ? in->where : ow;
    }
    if (q->n_group_by) {
        f->group_by =
            sp_arena_alloc(c->a, (size_t)q->n_group_by * sizeof(void *));
        for (int i = 0; i < q->n_group_by; i++)
            f->group_by[i] = substitute(c, &sb, q->group_by[i]);
    }
    f->having = substitute(c, &sb, q->having);
    if (q->n_distinct_on) {
        f->distinct_on =
            sp_arena_alloc(c->a, (size_t)q->n_distinct_on * sizeof(void *));
        for (int i = 0; i < q->n_distinct_on; i++)
            f->distinct_on[i] = substitute(c, &sb, q->distinct_on[i]);
    }
    *out = f;
    return 0;
}

/* Binds explode(split(s, 'delim')) or explode(array(a, b, ...)) and adds
 * the generated column to the query's input. */
static int plan_generator(actx *c, const sp_ast_select *q, const char *qual,
                          sp_schema *comb, const char ***quals,
                          sp_generate **out)
{
    const sp_ast_expr *g = q->generator;
    sp_scope sc = {comb, qual, c->script->file, false, *quals};
    sp_generate *gen = sp_arena_zalloc(c->a, sizeof *gen);
    bool split = g->kind == SP_A_CALL && g->n_parts == 1 &&
                 strcasecmp(g->parts[0], "split") == 0;
    bool array = g->kind == SP_A_CALL && g->n_parts == 1 &&
                 strcasecmp(g->parts[0], "array") == 0;
    if (split) {
        if (g->n_args != 2 || g->args[1]->kind != SP_A_LITERAL ||
            g->args[1]->lit.type != SP_T_VARCHAR || !g->args[1]->lit.v.s.len) {
            sp_plan_fail_at(c, g->pos, SP_EANALYSIS,
                            "split() in explode needs a string and a "
                            "non-empty constant delimiter");
            sp_err_hint(c->err, "explode(split(line, ' '))");
            return SP_EANALYSIS;
        }
        sp_str d = g->args[1]->lit.v.s;
        for (uint32_t i = 0; i < d.len; i++)
            if (strchr("\\\\^$.|?*+()[]{}", d.ptr[i])) {
                sp_plan_fail_at(c, g->args[1]->pos, SP_EUNSUPPORTED,
                                "a regular expression as split()'s "
                                "delimiter is not supported yet");
                sp_err_hint(c->err, "use a literal delimiter such as ' ' or "
                                    "','");
                return SP_EUNSUPPORTED;
            }
        gen->str = sp_bind_expr(g->args[0], &sc, c->a, c->err);
        if (!gen->str) return c->err->code;
        if (gen->str->type != SP_T_VARCHAR) {
            gen->str = sp_expr_cast(c->a, gen->str, SP_T_VARCHAR, c->err);
            if (!gen->str) return c->err->code;
        }
        gen->delim = sp_str_make(sp_arena_strndup(c->a, d.ptr, d.len), d.len);
        gen->type = SP_T_VARCHAR;
    } else if (array) {
        if (g->n_args < 1)
            return sp_plan_fail_at(c, g->pos, SP_EANALYSIS,
                                   "array() needs at least one element");
        gen->n_elems = g->n_args;
        gen->elems =
            sp_arena_zalloc(c->a, (size_t)g->n_args * sizeof(sp_expr *));
        sp_type t = SP_T_NULL;
        for (int i = 0; i < g->n_args; i++) {
            gen->elems[i] = sp_bind_expr(g->args[i], &sc, c->a, c->err);
            if (!gen->elems[i]) return c->err->code;
            sp_type u;
            if (sp_type_common(t, gen->elems[i]->type, &u) != 0)
                return sp_plan_fail_at(c, g->args[i]->pos, SP_EANALYSIS,
                                       "array() elements of types %s and %s "
                                       "have no common type",
                                       sp_type_name(t),
                                       sp_type_name(gen->elems[i]->type));
            t = u;
        }
        if (t == SP_T_NULL) t = SP_T_VARCHAR;
        for (int i = 0; i < g->n_args; i++) {
            gen->elems[i] = sp_expr_cast(c->a, gen->elems[i], t, c->err);
            if (!gen->elems[i]) return c->err->code;
        }
        gen->type = t;
    } else {
        sp_plan_fail_at(c, g->pos, SP_EUNSUPPORTED,
                        "explode() of this expression is not supported yet");
        sp_err_hint(c->err, "explode(split(s, ' ')) or explode(array(a, b))");
        return SP_EUNSUPPORTED;
    }
    uint32_t n = comb->n_fields;
    sp_field *f = sp_arena_alloc(c->a, (n + 2) * sizeof *f);
    memcpy(f, comb->fields, n * sizeof *f);
    f[n].name = q->generator_name;
    f[n].type = gen->type;
    if (*quals) {
        const char **nq = sp_arena_alloc(c->a, (n + 2) * sizeof *nq);
        memcpy(nq, *quals, n * sizeof *nq);
        nq[n] = qual;
        *quals = nq;
    }
    comb->fields = f;
    comb->n_fields = n + 1;
    *out = gen;
    return 0;
}

static int plan_select(actx *c, const sp_ast_stmt *st, const sp_ast_select *q,
                       sp_plan *pl);
static int plan_union(actx *c, const sp_ast_stmt *st, const sp_ast_select *q,
                      sp_plan *pl);

static bool is_union(const sp_ast_select *q)
{
    return q->union_all || (q->from.subquery && q->from.subquery->union_all);
}

static int add_sink(actx *c, const sp_ast_stmt *st)
{
    sp_program *p = c->prog;
    for (int i = 0; i < p->n_plans; i++)
        if (strcasecmp(p->plans[i]->name, st->name) == 0)
            return sp_plan_fail_at(c, st->name_pos, SP_EANALYSIS,
                                   "sink '%s' is defined twice", st->name);
    const sp_ast_option *copt = NULL;
    const char *conn = given_option(st, "connector", &copt);
    if (!conn) {
        sp_plan_fail_at(c, st->name_pos, SP_EANALYSIS,
                        "sink '%s' does not say which connector to use",
                        st->name);
        sp_err_hint(c->err,
                    "add connector = '...' to WITH (...); "
                    "connectors: %s",
                    sp_sink_names(c->a));
        return SP_EANALYSIS;
    }
    const sp_sink_vtab *vt = sp_sink_lookup(conn);
    if (!vt) {
        sp_plan_fail_at(c, copt->value_pos, SP_EANALYSIS,
                        "unknown sink connector '%s'", conn);
        sp_err_hint(c->err, "sink connectors: %s", sp_sink_names(c->a));
        return SP_EANALYSIS;
    }
    sp_plan *pl = sp_arena_zalloc(c->a, sizeof *pl);
    pl->name = sp_arena_strdup(c->a, st->name);
    pl->pos = st->name_pos;
    pl->sink_vt = vt;
    char what[300];
    snprintf(what, sizeof what, "the %s sink", vt->name);
    int rc = resolve_options(c, st, sp_sink_common_options, vt->options, what,
                             &pl->sink_opts);
    if (rc) return rc;
    const char *mode = given_option(st, "output_mode", NULL);
    pl->mode = !mode || !strcasecmp(mode, "append") ? SP_MODE_APPEND
               : !strcasecmp(mode, "update")        ? SP_MODE_UPDATE
                                                    : SP_MODE_COMPLETE;

    const sp_ast_select *q = st->query;
    if (!q)
        return sp_plan_fail_at(c, st->pos, SP_EANALYSIS,
                               "sink '%s' has no query", st->name);
    int rc1 =
        is_union(q) ? plan_union(c, st, q, pl) : plan_select(c, st, q, pl);
    if (rc1) return rc1;
    sp_query_spec *qs = &pl->spec;
    qs->name = pl->name;
    qs->sink_vt = vt;
    qs->sink_conf.name = pl->name;
    qs->sink_conf.opts = &pl->sink_opts;
    qs->no_data_batches = p->no_data_batches;
    qs->snapshot_interval = p->snapshot_interval;
    qs->wm_policy_max = p->wm_policy_max;

    sp_plan **np2 =
        sp_arena_alloc(c->a, (size_t)(p->n_plans + 1) * sizeof *np2);
    if (p->n_plans) memcpy(np2, p->plans, (size_t)p->n_plans * sizeof *np2);
    np2[p->n_plans++] = pl;
    p->plans = np2;

    sp_buf fp;
    sp_buf_init(&fp);
    sp_plan_explain(p, pl, &fp);
    qs->fingerprint = sp_arena_strdup(c->a, fp.data ? fp.data : "");
    sp_buf_free(&fp);
    return 0;
}

/* Plans one SELECT over one source into pl (pipeline, stateful operator,
 * the query spec's single input). */
static int plan_select(actx *c, const sp_ast_stmt *st, const sp_ast_select *q,
                       sp_plan *pl)
{
    sp_program *p = c->prog;
    if (q->union_all)
        return sp_plan_unsupported(c, q->union_all->pos, "UNION ALL",
                                   "run one sink per source for now");
    if (!q->from.name && !q->from.subquery)
        return sp_plan_fail_at(c, q->pos, SP_EANALYSIS,
                               "a streaming query needs FROM <source>");
    if (q->from.subquery) {
        const sp_ast_select *fq = NULL;
        int rc2 = flatten_subquery(c, q, &fq);
        if (rc2) return rc2;
        q = fq;
    }
    {
        bool inner_gen = q->generator != NULL;
        const sp_ast_select *gq = q;
        int rc2 = extract_generator(c, q, &gq);
        if (rc2) return rc2;
        if (inner_gen && gq != q)
            return sp_plan_unsupported(c, q->pos,
                                       "explode() in both a subquery and its "
                                       "outer query",
                                       NULL);
        if (gq != q) {
            sp_ast_select *g2 = sp_arena_alloc(c->a, sizeof *g2);
            *g2 = *gq;
            q = g2;
        }
    }
    bool agg = q->n_group_by > 0 || q->having != NULL;
    for (int i = 0; i < q->n_items && !agg; i++)
        agg = sp_plan_has_aggregate(q->items[i].expr);
    bool dedup = q->distinct || q->n_distinct_on;
    if (dedup && agg)
        return sp_plan_unsupported(c, q->pos,
                                   "DISTINCT on an aggregation (a second "
                                   "stateful operator)",
                                   NULL);
    bool sortable = agg && pl->mode == SP_MODE_COMPLETE;
    if (q->n_order_by && !sortable) {
        sp_plan_fail_at(c, q->order_by[0].expr->pos, SP_EANALYSIS,
                        "sorting is not supported on a streaming query "
                        "unless it is on an aggregation in complete output "
                        "mode");
        sp_err_hint(c->err, "remove ORDER BY, or aggregate and use "
                            "output_mode = 'complete' (Spark's rule)");
        return c->err->code;
    }
    if (q->limit >= 0 && !sortable) {
        sp_plan_fail_at(c, q->pos, SP_EANALYSIS,
                        "LIMIT is not supported on this streaming query");
        sp_err_hint(c->err, "LIMIT works on an aggregation in complete mode; "
                            "otherwise remove it (the console sink's "
                            "num_rows option limits what is shown)");
        return SP_EANALYSIS;
    }
    if (!agg && pl->mode == SP_MODE_COMPLETE) {
        if (dedup) {
            sp_plan_fail_at(c, st->name_pos, SP_EANALYSIS,
                            "complete output mode needs a streaming "
                            "aggregation, and deduplication is not one");
            sp_err_hint(c->err, "use output_mode = 'append' for SELECT "
                                "DISTINCT");
            return SP_EANALYSIS;
        }
        const sp_ast_option *mo = NULL;
        given_option(st, "output_mode", &mo);
        sp_plan_fail_at(c, mo ? mo->value_pos : st->name_pos, SP_EANALYSIS,
                        "complete output mode needs a streaming aggregation");
        sp_err_hint(c->err, "use output_mode = 'append' for a query without "
                            "GROUP BY");
        return SP_EANALYSIS;
    }

    sp_source_def *src = find_source(p, q->from.name);
    if (!src) {
        sp_plan_fail_at(c, q->from.pos, SP_EANALYSIS, "unknown source '%s'",
                        q->from.name);
        const char *best = NULL;
        int bd = 4;
        for (int i = 0; i < p->n_sources; i++) {
            int d = sp_edit_distance(p->sources[i]->name, q->from.name);
            if (d < bd) {
                bd = d;
                best = p->sources[i]->name;
            }
        }
        if (best)
            sp_err_hint(c->err, "did you mean '%s'?", best);
        else if (p->n_sources == 0)
            sp_err_hint(c->err,
                        "declare it first: CREATE SOURCE %s (...) WITH "
                        "(connector = '...')",
                        q->from.name);
        else
            sp_err_hint(c->err, "sources are declared with CREATE SOURCE "
                                "before the sink that reads them");
        return SP_EANALYSIS;
    }
    pl->src = src;

    /* The query's input: the source's columns, plus the column Spark's
     * FROM ... WATERMARK expr AS name clause derives. */
    uint32_t ndecl = src->declared.n_fields;
    uint32_t nfull = src->full.n_fields;
    uint32_t nin = nfull;
    sp_field *in_fields = sp_arena_zalloc(c->a, (nfull + 2) * sizeof(sp_field));
    memcpy(in_fields, src->full.fields, nfull * sizeof(sp_field));
    sp_expr **in_comp =
        sp_arena_zalloc(c->a, (nfull - ndecl + 2) * sizeof(sp_expr *));
    char **in_comp_sql =
        sp_arena_zalloc(c->a, (nfull - ndecl + 2) * sizeof(char *));
    if (nfull > ndecl) {
        memcpy(in_comp, src->computed, (nfull - ndecl) * sizeof(sp_expr *));
        memcpy(in_comp_sql, src->computed_sql,
               (nfull - ndecl) * sizeof(char *));
    }
    sp_schema in = {nin, in_fields};
    const char *qual = q->from.alias ? q->from.alias : src->name;
    pl->wm_col = src->wm_col;
    pl->wm_delay_us = src->wm_delay_us;
    if (q->from.wm_expr) {
        const sp_ast_expr *we = q->from.wm_expr;
        int wc = -1;
        if (!q->from.wm_alias && we->kind == SP_A_IDENT) {
            wc = sp_schema_find(&in, we->parts[we->n_parts - 1],
                                strlen(we->parts[we->n_parts - 1]));
            if (wc < 0)
                return sp_plan_fail_at(c, we->pos, SP_EANALYSIS,
                                       "watermark column \"%s\" does not "
                                       "exist",
                                       we->parts[we->n_parts - 1]);
        } else {
            if (!q->from.wm_alias)
                return sp_plan_fail_at(c, we->pos, SP_EANALYSIS,
                                       "a watermark on an expression needs a "
                                       "name: WATERMARK expr AS name DELAY "
                                       "OF ...");
            /* a derived column over the physical ones */
            sp_scope ds = {&src->declared, qual, c->script->file, false, NULL};
            sp_expr *e = sp_bind_expr(we, &ds, c->a, c->err);
            if (!e) return c->err->code;
            in_fields[nin].name = sp_arena_strdup(c->a, q->from.wm_alias);
            in_fields[nin].type = e->type;
            in_comp[nin - ndecl] = e;
            in_comp_sql[nin - ndecl] = sp_plan_sql_text(c, we);
            wc = (int)nin++;
            in.n_fields = nin;
        }
        if (in_fields[wc].type != SP_T_TIMESTAMP) {
            sp_plan_fail_at(c, we->pos, SP_EANALYSIS,
                            "the watermark column must be a TIMESTAMP, got %s",
                            sp_type_name(in_fields[wc].type));
            sp_err_hint(c->err, "convert it: WATERMARK timestamp_millis(ms) "
                                "AS ts DELAY OF INTERVAL 10 SECONDS");
            return SP_EANALYSIS;
        }
        pl->wm_col = wc;
        pl->wm_delay_us = q->from.wm_delay_us;
    }
    pl->in = in;

    /* A stream-static join: the table's columns follow the stream's, each
     * field knowing its relation so that e.ad_id and c.ad_id resolve. */
    sp_join *join = NULL;
    uint32_t nt = 0;
    sp_schema comb = in;
    const char **quals = NULL;
    if (q->n_joins) {
        int rc2 = plan_join(c, q, pl, qual, &join, &comb, &quals);
        if (rc2) return rc2;
        nt = comb.n_fields - nin;
    }
    /* explode: the generated column follows */
    sp_generate *gen = NULL;
    uint32_t ng = 0;
    if (q->generator) {
        int rc2 = plan_generator(c, q, qual, &comb, &quals, &gen);
        if (rc2) return rc2;
        ng = 1;
    }
    pl->comb = comb;

    /* Bind: the WHERE over the input, then either the SELECT list
     * (stateless) or the aggregation (plan_agg.c). */
    sp_scope scope = {&pl->comb, qual, c->script->file, false, quals};
    sp_expr *filter = NULL;
    if (q->where) {
        filter = sp_bind_expr(q->where, &scope, c->a, c->err);
        if (!filter) return c->err->code;
        if (filter->type != SP_T_BOOL && filter->type != SP_T_NULL) {
            sp_plan_fail_at(c, q->where->pos, SP_EANALYSIS,
                            "WHERE needs a BOOLEAN condition, got %s",
                            sp_type_name(filter->type));
            sp_err_hint(c->err, "compare the value, e.g. WHERE x > 0");
            return SP_EANALYSIS;
        }
        pl->filter_sql = sp_plan_sql_text(c, q->where);
    }
    if (join && pl->join_extra) {
        /* ON conditions that are not key equalities filter the joined
         * rows of an inner join */
        if (filter) {
            sp_expr *both = sp_expr_new(c->a, SP_E_AND, SP_T_BOOL, 2);
            both->args[0] = pl->join_extra;
            both->args[1] = filter;
            filter = both;
        } else {
            filter = pl->join_extra;
        }
    }
    int np = 0;
    sp_expr **proj = NULL;
    char **names = NULL, **psql = NULL;
    if (agg || dedup) {
        int rc2 = agg ? sp_plan_agg(c, st, q, pl, &scope)
                      : sp_plan_dedup(c, q, pl, &scope);
        if (!rc2 && sortable) rc2 = sp_plan_order(c, q, pl);
        if (rc2) return rc2;
        agg = true; /* a stateful operator, from here on */
    } else {
        int cap = q->n_items + (int)comb.n_fields * q->n_items + 1;
        proj = sp_arena_zalloc(c->a, (size_t)cap * sizeof *proj);
        names = sp_arena_zalloc(c->a, (size_t)cap * sizeof *names);
        psql = sp_arena_zalloc(c->a, (size_t)cap * sizeof *psql);
        for (int i = 0; i < q->n_items; i++) {
            const sp_ast_item *it = &q->items[i];
            if (it->expr->kind == SP_A_STAR) {
                if (it->expr->n_parts == 1 && !quals &&
                    strcasecmp(it->expr->parts[0], qual) != 0)
                    return sp_plan_fail_at(c, it->expr->pos, SP_EANALYSIS,
                                           "'%s.*' does not name the source "
                                           "in FROM",
                                           it->expr->parts[0]);
                for (uint32_t f = 0; f < comb.n_fields; f++) {
                    if (it->expr->n_parts == 1 && quals &&
                        strcasecmp(quals[f], it->expr->parts[0]) != 0)
                        continue;
                    proj[np] = sp_expr_col(c->a, (int)f, comb.fields[f].type);
                    names[np] = comb.fields[f].name;
                    psql[np] = names[np];
                    np++;
                }
                continue;
            }
            sp_expr *e = sp_bind_expr(it->expr, &scope, c->a, c->err);
            if (!e) return c->err->code;
            if (e->type == SP_T_NULL) {
                /* an untyped NULL: typed VARCHAR so writers have a type */
                sp_expr *ce = sp_expr_cast(c->a, e, SP_T_VARCHAR, c->err);
                if (!ce) return c->err->code;
                e = ce;
            }
            proj[np] = e;
            psql[np] = sp_plan_sql_text(c, it->expr);
            names[np] = sp_plan_item_name(c, it, psql[np]);
            np++;
        }
    }

    /* Prune: which input columns does the query use? */
    bool *used = sp_arena_zalloc(c->a, nin + nt + ng + 1);
    if (gen) {
        sp_plan_mark_used(gen->str, used);
        for (int i = 0; i < gen->n_elems; i++)
            sp_plan_mark_used(gen->elems[i], used);
    }
    sp_plan_mark_used(filter, used);
    for (int i = 0; i < np; i++) sp_plan_mark_used(proj[i], used);
    if (agg) {
        for (int i = 0; i < pl->aggspec.n_keys; i++)
            sp_plan_mark_used(pl->aggspec.keys[i], used);
        for (int i = 0; i < pl->aggspec.n_args; i++)
            sp_plan_mark_used(pl->aggspec.args[i], used);
        for (int i = 0; i < pl->aggspec.n_out; i++)
            sp_plan_mark_used(pl->aggspec.out[i], used);
        sp_plan_mark_used(pl->aggspec.et_expr, used);
    }
    if (pl->wm_col >= 0) used[pl->wm_col] = true;
    for (int k = 0; join && k < join->n_keys; k++)
        sp_plan_mark_used(join->left_keys[k], used);
    for (uint32_t f = ndecl; f < nin; f++)
        if (used[f]) sp_plan_mark_used(in_comp[f - ndecl], used);
    bool any = false;
    for (uint32_t f = 0; f < ndecl; f++) any |= used[f];
    if (!any) used[0] = true; /* read something to count rows */
    int *map = sp_arena_alloc(c->a, (nin + nt + ng + 1) * sizeof(int));
    int *scan_map = sp_arena_alloc(c->a, (ndecl + 1) * sizeof(int));
    uint32_t ns = 0;
    for (uint32_t f = 0; f < ndecl; f++) {
        map[f] = used[f] ? (int)ns++ : -1;
        scan_map[f] = map[f];
    }
    uint32_t nc = 0;
    for (uint32_t f = ndecl; f < nin; f++)
        map[f] = used[f] ? (int)(ns + nc++) : -1;
    /* the table's columns follow, all of them */
    int *tmap = sp_arena_alloc(c->a, (nin + nt + 1) * sizeof(int));
    for (uint32_t f = 0; f < nin + nt; f++) tmap[f] = -1;
    for (uint32_t f = 0; f < nt; f++) {
        map[nin + f] = (int)(ns + nc + f);
        tmap[nin + f] = (int)f;
    }
    if (ng) map[nin + nt] = (int)(ns + nc + nt);
    pl->scan.n_fields = ns;
    pl->scan.fields = sp_arena_alloc(c->a, (ns + 1) * sizeof(sp_field));
    pl->exec.n_fields = ns + nc;
    pl->exec.fields = sp_arena_alloc(c->a, (ns + nc + 1) * sizeof(sp_field));
    pl->compute_sql = sp_arena_zalloc(c->a, (nc + 1) * sizeof(char *));
    for (uint32_t f = 0; f < nin; f++)
        if (map[f] >= 0) {
            pl->exec.fields[map[f]] = in.fields[f];
            if (f < ndecl) pl->scan.fields[map[f]] = in.fields[f];
        }
    sp_pipeline *pipe = &pl->pipe;
    pipe->n_compute = (int)nc;
    pipe->compute = sp_arena_zalloc(c->a, (nc + 1) * sizeof(sp_expr *));
    for (uint32_t f = ndecl; f < nin; f++)
        if (map[f] >= 0) {
            int k = map[f] - (int)ns;
            pipe->compute[k] =
                sp_plan_remap(c->a, in_comp[f - ndecl], scan_map);
            pl->compute_sql[k] = in_comp_sql[f - ndecl];
        }
    if (filter && join) {
        /* conjuncts that read only the stream's columns run before the
         * join, so the join probes only rows that pass them */
        sp_expr *parts[64];
        int np2 = 0;
        conjuncts(filter, parts, &np2, 64);
        sp_expr *pre = NULL, *post = NULL;
        for (int i = 0; i < np2; i++) {
            bool other = false;
            bool stream_only =
                !uses_range(parts[i], nin, nin + nt + ng, &other);
            sp_expr **into = stream_only ? &pre : &post;
            if (!*into) {
                *into = parts[i];
            } else {
                sp_expr *both = sp_expr_new(c->a, SP_E_AND, SP_T_BOOL, 2);
                both->args[0] = *into;
                both->args[1] = parts[i];
                *into = both;
            }
        }
        pipe->pre_filter = pre ? sp_plan_remap(c->a, pre, map) : NULL;
        filter = post;
    }
    pipe->filter = filter ? sp_plan_remap(c->a, filter, map) : NULL;
    if (gen) {
        if (gen->str) gen->str = sp_plan_remap(c->a, gen->str, map);
        for (int i = 0; i < gen->n_elems; i++)
            gen->elems[i] = sp_plan_remap(c->a, gen->elems[i], map);
        pipe->gen = gen;
    }
    if (join) {
        for (int k = 0; k < join->n_keys; k++) {
            join->left_keys[k] = sp_plan_remap(c->a, join->left_keys[k], map);
            join->right_keys[k] =
                sp_plan_remap(c->a, join->right_keys[k], tmap);
        }
        pipe->join = join;
        /* exec: scan + computed + table columns, for EXPLAIN */
        sp_field *ef = sp_arena_alloc(c->a, (ns + nc + nt + 1) * sizeof *ef);
        memcpy(ef, pl->exec.fields, (ns + nc) * sizeof *ef);
        for (uint32_t f = 0; f < nt; f++)
            ef[ns + nc + f] = comb.fields[nin + f];
        pl->exec.fields = ef;
        pl->exec.n_fields = ns + nc + nt;
    }
    if (gen) {
        sp_field *ef =
            sp_arena_alloc(c->a, (pl->exec.n_fields + 2) * sizeof *ef);
        memcpy(ef, pl->exec.fields, pl->exec.n_fields * sizeof *ef);
        ef[pl->exec.n_fields] = comb.fields[nin + nt];
        pl->exec.fields = ef;
        pl->exec.n_fields++;
    }
    pipe->event_time_col = pl->wm_col >= 0 ? map[pl->wm_col] : -1;
    if (agg) {
        sp_agg_spec *as = &pl->aggspec;
        for (int i = 0; i < as->n_keys; i++)
            as->keys[i] = sp_plan_remap(c->a, as->keys[i], map);
        for (int i = 0; i < as->n_args; i++)
            as->args[i] = sp_plan_remap(c->a, as->args[i], map);
        for (int i = 0; i < as->n_out; i++)
            as->out[i] = sp_plan_remap(c->a, as->out[i], map);
        if (as->et_expr) as->et_expr = sp_plan_remap(c->a, as->et_expr, map);
        as->pre = pipe;
        pipe->n_proj = 0;
        pipe->proj = NULL;
        pipe->out_schema = as->out_schema;
    } else {
        pipe->n_proj = np;
        pipe->proj = sp_arena_alloc(c->a, (size_t)(np + 1) * sizeof(sp_expr *));
        for (int i = 0; i < np; i++)
            pipe->proj[i] = sp_plan_remap(c->a, proj[i], map);
        pipe->out_schema.n_fields = (uint32_t)np;
        pipe->out_schema.fields =
            sp_arena_alloc(c->a, (size_t)(np + 1) * sizeof(sp_field));
        for (int i = 0; i < np; i++) {
            pipe->out_schema.fields[i].name = names[i];
            pipe->out_schema.fields[i].type = proj[i]->type;
        }
        pl->proj_sql = psql;
    }

    /* The runtime's view of the query: one input. */
    sp_query_spec *qs = &pl->spec;
    sp_query_input *qi = sp_arena_zalloc(c->a, sizeof *qi);
    qi->src_vt = src->vt;
    qi->src_conf.name = src->name;
    qi->src_conf.opts = &src->opts;
    qi->src_conf.schema = &pl->scan;
    qi->src_conf.declared = &src->declared;
    qi->src_conf.format = src->format;
    qi->src_conf.format_opts = src->fopts;
    qi->src_conf.fail_on_error = src->fail_on_error;
    qi->pipe = pipe;
    qi->wm_delay_us = pl->wm_col >= 0 ? pl->wm_delay_us : -1;
    qs->n_inputs = 1;
    qs->inputs = qi;
    qs->agg = agg ? &pl->aggspec : NULL;
    qs->sink_conf.schema = agg ? &pl->aggspec.out_schema : &pipe->out_schema;
    return 0;
}

/* The output name of a SELECT item: its alias, a column's own name, or the
 * expression's text (Spark's naming). */
char *sp_plan_item_name(actx *c, const sp_ast_item *it, const char *sql)
{
    if (it->alias) return sp_arena_strdup(c->a, it->alias);
    if (it->expr->kind == SP_A_IDENT)
        return sp_arena_strdup(c->a, it->expr->parts[it->expr->n_parts - 1]);
    /* Spark names an unaliased window column by the function */
    if (it->expr->kind == SP_A_CALL && it->expr->n_parts == 1 &&
        (!strcasecmp(it->expr->parts[0], "window") ||
         !strcasecmp(it->expr->parts[0], "session_window")))
        return sp_arena_strdup(c->a, it->expr->parts[0]);
    return sp_arena_strdup(c->a, sql);
}

/* ---- SET ----------------------------------------------------------------- */

static int do_set(actx *c, const sp_ast_stmt *st)
{
    static const struct {
        const char *spark, *ours;
    } aliases[] = {
        {"spark.sql.shuffle.partitions", "shuffle_partitions"},
        {"spark.sql.streaming.noDataMicroBatches.enabled", "no_data_batches"},
        {"spark.sql.streaming.stateStore.minDeltasForSnapshot",
         "state_snapshot_interval"},
        {"spark.sql.streaming.checkpointLocation", "checkpoint_location"},
        {"spark.sql.streaming.multipleWatermarkPolicy",
         "multiple_watermark_policy"},
        {"spark.task.maxFailures", "spate.task.maxFailures"},
        {"spark.speculation", "spate.speculation"},
        {"spark.speculation.multiplier", "spate.speculation.multiplier"},
        {"spark.speculation.quantile", "spate.speculation.quantile"},
        {"spark.speculation.minTaskRuntime",
         "spate.speculation.minTaskRuntime"},
    };
    const char *key = st->name;
    for (size_t i = 0; i < SP_ARRAY_LEN(aliases); i++)
        if (strcasecmp(aliases[i].spark, key) == 0) key = aliases[i].ours;
    const sp_opt_def *d = sp_opt_find(sp_set_options, key);
    if (!d) {
        sp_plan_fail_at(c, st->name_pos, SP_EANALYSIS, "unknown setting '%s'",
                        st->name);
        const char *s = sp_opt_suggest(sp_set_options, st->name);
        if (s)
            sp_err_hint(c->err, "did you mean '%s'?", s);
        else
            sp_err_hint(c->err, "settings: %s",
                        sp_opt_list(sp_set_options, c->a));
        return SP_EANALYSIS;
    }
    const char *v = st->set_value ? st->set_value : "";
    if (strcasecmp(d->name, "trigger") == 0) {
        const char *why = NULL;
        if (sp_trigger_parse(v, &c->prog->trigger, &why) != 0) {
            sp_plan_fail_at(c, st->set_value_pos, SP_EANALYSIS,
                            "bad trigger '%s': %s", v, why);
            sp_err_hint(c->err, "SET trigger = processing_time '1 second' | "
                                "once | available_now");
            return SP_EANALYSIS;
        }
        c->prog->trigger_set = true;
    } else if (strcasecmp(d->name, "checkpoint_location") == 0) {
        c->prog->checkpoint = sp_arena_strdup(c->a, v);
    } else if (strcasecmp(d->name, "shuffle_partitions") == 0 ||
               strcasecmp(d->name, "state_snapshot_interval") == 0) {
        if (sp_opt_check(d, v) || atoi(v) < 1 || atoi(v) > 4096)
            return sp_plan_fail_at(c, st->set_value_pos, SP_EANALYSIS,
                                   "bad value '%s' for %s: expected a whole "
                                   "number from 1 to 4096",
                                   v, d->name);
        if (d->name[1] == 'h')
            c->prog->shuffle_partitions = atoi(v);
        else
            c->prog->snapshot_interval = atoi(v);
    } else if (strcasecmp(d->name, "multiple_watermark_policy") == 0) {
        if (sp_opt_check(d, v))
            return sp_plan_fail_at(c, st->set_value_pos, SP_EANALYSIS,
                                   "bad value '%s' for "
                                   "multiple_watermark_policy: expected min "
                                   "or max",
                                   v);
        c->prog->wm_policy_max = strcasecmp(v, "max") == 0;
    } else if (strcasecmp(d->name, "no_data_batches") == 0) {
        if (sp_opt_check(d, v))
            return sp_plan_fail_at(c, st->set_value_pos, SP_EANALYSIS,
                                   "bad value '%s' for no_data_batches: "
                                   "expected true or false",
                                   v);
        c->prog->no_data_batches = strcasecmp(v, "true") == 0;
    } else if (strcasecmp(d->name, "threads") == 0) {
        const char *why = sp_opt_check(d, v);
        if (why || atoi(v) < 1)
            return sp_plan_fail_at(
                c, st->set_value_pos, SP_EANALYSIS,
                "bad value '%s' for threads: expected a whole "
                "number >= 1",
                v);
        c->prog->threads = atoi(v);
    } else {
        const char *why = "";
        if (sp_sched_conf_set(&c->prog->sched, d->name, v, &why) < 0)
            return sp_plan_fail_at(c, st->set_value_pos, SP_EANALYSIS,
                                   "bad value '%s' for %s: %s", v, d->name,
                                   why);
    }
    return 0;
}

/* One --conf KEY=VALUE: a SET after the script's own (so it wins), whose
 * errors name the flag instead of a line of the script. */
static int do_conf(actx *c, const char *kv)
{
    sp_ast_script flag = *c->script;
    flag.file = "--conf";
    actx fc = *c;
    fc.script = &flag;
    const char *eq = strchr(kv, '=');
    size_t kl = eq ? (size_t)(eq - kv) : 0;
    while (kl && kv[kl - 1] == ' ') kl--;
    if (!eq || !kl) {
        sp_err_set(c->err, SP_EINVAL, "--conf '%s': expected KEY=VALUE", kv);
        sp_err_hint(c->err, "e.g. --conf spate.task.maxFailures=8");
        return SP_EINVAL;
    }
    const char *v = eq + 1;
    while (*v == ' ') v++;
    sp_ast_stmt st;
    memset(&st, 0, sizeof st);
    st.kind = SP_STMT_SET;
    st.name = sp_arena_strndup(c->a, kv, kl);
    st.set_value = sp_arena_strdup(c->a, v);
    if (!st.name || !st.set_value)
        return sp_err_set(c->err, SP_ENOMEM, "out of memory");
    return do_set(&fc, &st);
}

int sp_program_build(const sp_ast_script *script, const char *const *conf,
                     int n_conf, sp_arena *arena, sp_program **out, sp_err *err)
{
    sp_program *p = sp_arena_zalloc(arena, sizeof *p);
    p->arena = arena;
    p->file = script->file;
    p->trigger.kind = SP_TRIGGER_PROCESSING_TIME;
    p->shuffle_partitions = 4;
    p->no_data_batches = true;
    p->snapshot_interval = 10;
    sp_sched_conf_init(&p->sched);
    actx c = {script, arena, err, p};
    int rc = 0;
    /* SET applies to the whole script, wherever it stands */
    for (int i = 0; i < script->n_stmts && !rc; i++)
        if (script->stmts[i]->kind == SP_STMT_SET)
            rc = do_set(&c, script->stmts[i]);
    for (int i = 0; i < n_conf && !rc; i++) rc = do_conf(&c, conf[i]);
    for (int i = 0; i < script->n_stmts && !rc; i++) {
        const sp_ast_stmt *st = script->stmts[i];
        switch (st->kind) {
        case SP_STMT_CREATE_SOURCE:
            rc = add_source(&c, st);
            break;
        case SP_STMT_CREATE_SINK:
            rc = add_sink(&c, st);
            break;
        case SP_STMT_SET:
            break;
        case SP_STMT_CREATE_TABLE:
            rc = add_table(&c, st);
            break;
        case SP_STMT_CREATE_VIEW:
            rc = sp_plan_unsupported(
                &c, st->pos, "CREATE VIEW",
                "put the query in the CREATE SINK statement");
            break;
        }
    }
    if (!rc && p->n_plans == 0) {
        sp_err_set(err, SP_EANALYSIS,
                   "%s defines no sink, so nothing would run", script->file);
        sp_err_hint(err, "add CREATE SINK name WITH (connector = 'console') "
                         "AS SELECT ... FROM <source>");
        rc = SP_EANALYSIS;
    }
    if (rc) return rc;
    *out = p;
    return 0;
}

/* ---- EXPLAIN ------------------------------------------------------------- */

static void indent(sp_buf *b, int depth)
{
    for (int i = 1; i < depth; i++) sp_buf_puts(b, "   ");
    if (depth) sp_buf_puts(b, "+- ");
}

void sp_interval_human(int64_t us, sp_buf *out)
{
    static const struct {
        int64_t us;
        const char *name;
    } units[] = {{SP_USEC_PER_DAY, "day"},
                 {3600 * SP_USEC_PER_SEC, "hour"},
                 {60 * SP_USEC_PER_SEC, "minute"},
                 {SP_USEC_PER_SEC, "second"},
                 {1000, "millisecond"},
                 {1, "microsecond"}};
    if (us == 0) {
        sp_buf_puts(out, "0 seconds");
        return;
    }
    if (us < 0) {
        sp_buf_putc(out, '-');
        us = -us;
    }
    bool first = true;
    for (size_t i = 0; i < SP_ARRAY_LEN(units); i++) {
        int64_t n = us / units[i].us;
        if (!n) continue;
        us -= n * units[i].us;
        sp_buf_printf(out, "%s%lld %s%s", first ? "" : " ", (long long)n,
                      units[i].name, n == 1 ? "" : "s");
        first = false;
    }
}

static void explain_source_tail(const sp_plan *p, sp_buf *out, int d)
{
    if (p->pipe.filter) {
        indent(out, d++);
        sp_buf_puts(out, "Filter ");
        sp_expr_to_string(p->pipe.filter, &p->exec, out);
        sp_buf_puts(out, "\n");
    }
    if (p->pipe.gen) {
        const sp_generate *g = p->pipe.gen;
        indent(out, d++);
        sp_buf_puts(out, "Generate explode(");
        if (g->str) {
            sp_buf_puts(out, "split(");
            sp_expr_to_string(g->str, &p->exec, out);
            sp_buf_puts(out, ", '");
            sp_buf_append(out, g->delim.ptr, g->delim.len);
            sp_buf_puts(out, "')");
        } else {
            sp_buf_puts(out, "array(");
            for (int i = 0; i < g->n_elems; i++) {
                sp_buf_puts(out, i ? ", " : "");
                sp_expr_to_string(g->elems[i], &p->exec, out);
            }
            sp_buf_puts(out, ")");
        }
        sp_buf_printf(out, ") AS %s\n",
                      p->exec.fields[p->exec.n_fields - 1].name);
    }
    if (p->pipe.join) {
        const sp_join *j = p->pipe.join;
        indent(out, d++);
        sp_buf_printf(out, "BroadcastHashJoin %s [",
                      j->left_outer ? "LeftOuter" : "Inner");
        for (int k = 0; k < j->n_keys; k++) {
            sp_buf_puts(out, k ? ", " : "");
            sp_expr_to_string(j->left_keys[k], &p->exec, out);
            sp_buf_puts(out, " = ");
            sp_expr_to_string(j->right_keys[k], j->table_schema, out);
        }
        sp_buf_printf(out, "] with table %s [%s] (", j->table_name, j->path);
        for (uint32_t f = 0; f < j->table_schema->n_fields; f++)
            sp_buf_printf(out, "%s%s %s", f ? ", " : "",
                          j->table_schema->fields[f].name,
                          sp_type_name(j->table_schema->fields[f].type));
        sp_buf_puts(out, ")\n");
    }
    if (p->pipe.pre_filter) {
        indent(out, d++);
        sp_buf_puts(out, "Filter ");
        sp_expr_to_string(p->pipe.pre_filter, &p->exec, out);
        sp_buf_puts(out, "\n");
    }
    if (p->pipe.n_compute) {
        indent(out, d++);
        sp_buf_puts(out, "Compute [");
        for (int i = 0; i < p->pipe.n_compute; i++)
            sp_buf_printf(out, "%s%s AS %s", i ? ", " : "",
                          p->exec.fields[p->scan.n_fields + (uint32_t)i].name,
                          p->compute_sql[i]);
        sp_buf_puts(out, "]\n");
    }
    indent(out, d);
    sp_buf_printf(out, "Scan %s [%s", p->src->name, p->src->vt->name);
    for (int i = 0; i < p->src->opts.n; i++) {
        const char *k = p->src->opts.keys[i], *v = p->src->opts.values[i];
        if (v) sp_buf_printf(out, ", %s=%s", k, v);
    }
    sp_buf_puts(out, "] (");
    for (uint32_t f = 0; f < p->scan.n_fields; f++)
        sp_buf_printf(out, "%s%s %s", f ? ", " : "", p->scan.fields[f].name,
                      sp_type_name(p->scan.fields[f].type));
    sp_buf_puts(out, ")");
    if (p->wm_col >= 0) {
        sp_buf_printf(out, " watermark %s - ", p->in.fields[p->wm_col].name);
        sp_interval_human(p->wm_delay_us, out);
    }
    sp_buf_puts(out, "\n");
}

static void explain_project(const sp_plan *p, sp_buf *out, int d)
{
    indent(out, d);
    sp_buf_puts(out, "Project [");
    for (int i = 0; i < p->pipe.n_proj; i++) {
        const char *nm = p->pipe.out_schema.fields[i].name;
        sp_buf_printf(out, "%s", i ? ", " : "");
        sp_expr_to_string(p->pipe.proj[i], &p->exec, out);
        if (strcmp(nm, p->proj_sql[i]) != 0) sp_buf_printf(out, " AS %s", nm);
    }
    sp_buf_puts(out, "]\n");
    explain_source_tail(p, out, d + 1);
}

/* What feeds a stateful operator (or the sink): the source, or a union of
 * branches. */
static void explain_inputs(const sp_plan *p, sp_buf *out, int d)
{
    if (!p->n_branches) {
        explain_source_tail(p, out, d);
        return;
    }
    indent(out, d);
    sp_buf_printf(out, "Union [%d inputs]\n", p->n_branches);
    for (int i = 0; i < p->n_branches; i++)
        explain_project(p->branches[i], out, d + 1);
}

int sp_plan_explain(const sp_program *prog, const sp_plan *p, sp_buf *out)
{
    int d = 1;
    sp_buf_printf(out, "Sink %s [%s, output_mode=%s]", p->name,
                  p->sink_vt->name,
                  p->mode == SP_MODE_APPEND   ? "append"
                  : p->mode == SP_MODE_UPDATE ? "update"
                                              : "complete");
    for (int i = 0; i < p->sink_opts.n; i++) {
        const char *k = p->sink_opts.keys[i], *v = p->sink_opts.values[i];
        if (v) sp_buf_printf(out, " %s=%s", k, v);
    }
    sp_buf_puts(out, "\n");
    const sp_agg_spec *as = p->spec.agg;
    if (!as && p->n_branches) {
        explain_inputs(p, out, d);
        return 0;
    }
    if (!as) {
        indent(out, d++);
        sp_buf_puts(out, "Project [");
        for (int i = 0; i < p->pipe.n_proj; i++) {
            const char *nm = p->pipe.out_schema.fields[i].name;
            sp_buf_printf(out, "%s", i ? ", " : "");
            sp_expr_to_string(p->pipe.proj[i], &p->exec, out);
            if (strcmp(nm, p->proj_sql[i]) != 0)
                sp_buf_printf(out, " AS %s", nm);
        }
        sp_buf_puts(out, "]\n");
        explain_source_tail(p, out, d);
        return 0;
    }
    if (as->dedup) {
        indent(out, d++);
        sp_buf_puts(out, "Deduplicate [keys: ");
        for (int k = 0; k < as->n_keys; k++)
            sp_buf_printf(out, "%s%s", k ? ", " : "", p->key_sql[k]);
        sp_buf_printf(out, "] output [");
        for (int i = 0; i < as->n_out; i++)
            sp_buf_printf(out, "%s%s", i ? ", " : "",
                          as->out_schema.fields[i].name);
        sp_buf_printf(out, "] state partitions=%d", as->partitions);
        if (as->et_key >= 0)
            sp_buf_printf(out, ", event time=%s", p->key_sql[as->et_key]);
        if (as->within_wm) {
            sp_buf_puts(out, ", within watermark (keys kept for ");
            sp_interval_human(as->wm_delay_us, out);
            sp_buf_puts(out, ")");
        }
        sp_buf_puts(out, "\n");
        indent(out, d++);
        sp_buf_printf(out, "Exchange hashpartitioning(keys, %d)\n",
                      as->partitions);
        explain_inputs(p, out, d);
        return 0;
    }
    indent(out, d++);
    sp_buf_puts(out, "Project [");
    for (int i = 0; i < as->n_proj; i++)
        sp_buf_printf(out, "%s%s", i ? ", " : "",
                      as->out_schema.fields[i].name);
    sp_buf_puts(out, "]\n");
    if (as->having) {
        indent(out, d++);
        sp_buf_puts(out, "Filter (HAVING) ");
        sp_expr_to_string(as->having, &as->agg_schema, out);
        sp_buf_puts(out, "\n");
    }
    indent(out, d++);
    sp_buf_puts(out, "StatefulAggregate [keys: ");
    for (int k = 0; k < as->n_keys; k++)
        sp_buf_printf(out, "%s%s", k ? ", " : "", p->key_sql[k]);
    sp_buf_puts(out, "] [functions: ");
    for (int i = 0; i < as->n_aggs; i++)
        sp_buf_printf(out, "%s%s", i ? ", " : "", p->agg_sql[i]);
    sp_buf_printf(out, "] state partitions=%d", as->partitions);
    if (as->et_key >= 0)
        sp_buf_printf(out, ", event time=%s%s", p->key_sql[as->et_key],
                      as->et_key == as->window_key ? ".end" : "");
    sp_buf_puts(out, "\n");
    indent(out, d++);
    sp_buf_printf(out, "Exchange hashpartitioning(keys, %d)\n", as->partitions);
    indent(out, d++);
    sp_buf_puts(out, "PartialAggregate");
    if (as->window_key >= 0 && as->window.session) {
        if (as->window.gap_arg >= 0) {
            sp_buf_puts(out, " [session gap per row]");
        } else {
            sp_buf_puts(out, " [session gap ");
            sp_interval_human(as->window.gap_us, out);
            sp_buf_puts(out, "]");
        }
    } else if (as->window_key >= 0) {
        sp_buf_puts(out, " [window length ");
        sp_interval_human(as->window.length_us, out);
        sp_buf_puts(out, ", slide ");
        sp_interval_human(as->window.slide_us, out);
        if (as->window.offset_us) {
            sp_buf_puts(out, ", start ");
            sp_interval_human(as->window.offset_us, out);
        }
        sp_buf_puts(out, "]");
    }
    sp_buf_puts(out, "\n");
    explain_inputs(p, out, d);
    return 0;
}

/* ---- UNION ALL
 * ---------------------------------------------------------------
 *
 * SELECT ... FROM a UNION ALL SELECT ... FROM b [UNION ALL ...], or an
 * outer query over such a union in FROM. Each branch becomes an input of
 * the query with its own source, offsets and watermark, planned as a
 * stateless SELECT whose projection yields the union's columns (named by
 * the first branch, typed by the common type of each column). An outer
 * stateless query is pushed into every branch; an outer aggregation or
 * DISTINCT reads the union's columns (agg_over_output), its WHERE and
 * WATERMARK clause pushed into the branches. The query's watermark combines
 * the inputs' (SET multiple_watermark_policy = 'min' | 'max'). */

static bool select_is_stateful(const sp_ast_select *q)
{
    if (q->n_group_by || q->having || q->distinct || q->n_distinct_on)
        return true;
    for (int i = 0; i < q->n_items; i++)
        if (sp_plan_has_aggregate(q->items[i].expr)) return true;
    return false;
}

static int plan_union(actx *c, const sp_ast_stmt *st, const sp_ast_select *q,
                      sp_plan *pl)
{
    const sp_ast_select *outer = q->union_all ? NULL : q;
    const sp_ast_select *first = outer ? q->from.subquery : q;
    bool stateful = outer && select_is_stateful(outer);
    if (outer && (outer->n_order_by || outer->limit >= 0 || outer->n_joins))
        return sp_plan_unsupported(
            c, outer->pos, "ORDER BY, LIMIT or JOIN over a UNION ALL", NULL);
    if (!stateful && pl->mode == SP_MODE_COMPLETE) {
        sp_plan_fail_at(c, st->name_pos, SP_EANALYSIS,
                        "complete output mode needs a streaming aggregation");
        sp_err_hint(c->err, "use output_mode = 'append' for a UNION ALL "
                            "without GROUP BY");
        return SP_EANALYSIS;
    }
    int nb = 0;
    for (const sp_ast_select *b = first; b; b = b->union_all) nb++;
    const sp_ast_select **br = sp_arena_alloc(c->a, (size_t)nb * sizeof *br);
    nb = 0;
    for (const sp_ast_select *b = first; b; b = b->union_all) br[nb++] = b;
    /* the union's column names: the first branch's */
    int ncol = first->n_items;
    char **names = sp_arena_zalloc(c->a, (size_t)(ncol + 1) * sizeof(char *));
    for (int k = 0; k < ncol; k++) {
        if (first->items[k].expr->kind == SP_A_STAR)
            return sp_plan_unsupported(c, first->items[k].expr->pos,
                                       "SELECT * in a UNION ALL branch",
                                       "list the columns of each branch");
        names[k] = sp_plan_item_name(c, &first->items[k],
                                     sp_plan_sql_text(c, first->items[k].expr));
    }
    sp_plan **bp = sp_arena_zalloc(c->a, (size_t)nb * sizeof *bp);
    for (int i = 0; i < nb; i++) {
        const sp_ast_select *b = br[i];
        if (b->n_items != ncol)
            return sp_plan_fail_at(c, b->pos, SP_EANALYSIS,
                                   "UNION ALL branches have %d and %d "
                                   "columns",
                                   ncol, b->n_items);
        if (select_is_stateful(b))
            return sp_plan_unsupported(c, b->pos,
                                       "an aggregation or DISTINCT inside a "
                                       "UNION ALL branch",
                                       "aggregate over the union instead");
        /* the branch with the union's names */
        sp_ast_select *bn = sp_arena_alloc(c->a, sizeof *bn);
        *bn = *b;
        bn->union_all = NULL;
        bn->items = sp_arena_alloc(c->a, (size_t)ncol * sizeof *bn->items);
        for (int k = 0; k < ncol; k++) {
            if (b->items[k].expr->kind == SP_A_STAR)
                return sp_plan_unsupported(c, b->items[k].expr->pos,
                                           "SELECT * in a UNION ALL branch",
                                           "list the columns of each branch");
            bn->items[k] = b->items[k];
            bn->items[k].alias = names[k];
        }
        const sp_ast_select *bq = bn;
        if (outer) {
            /* the outer query (or, when stateful, its WHERE and WATERMARK
             * with the union's columns) over this branch */
            sp_ast_select *o = sp_arena_alloc(c->a, sizeof *o);
            *o = *outer;
            o->from.subquery = bn;
            o->from.name = NULL;
            if (stateful) {
                o->n_group_by = 0;
                o->group_by = NULL;
                o->having = NULL;
                o->distinct = false;
                o->n_distinct_on = 0;
                o->items =
                    sp_arena_alloc(c->a, (size_t)ncol * sizeof *o->items);
                o->n_items = ncol;
                for (int k = 0; k < ncol; k++) {
                    memset(&o->items[k], 0, sizeof o->items[k]);
                    o->items[k].expr = make_ident(c, names[k], b->pos);
                    o->items[k].alias = names[k];
                }
            }
            int rc = flatten_subquery(c, o, &bq);
            if (rc) return rc;
        }
        bp[i] = sp_arena_zalloc(c->a, sizeof *bp[i]);
        bp[i]->name = pl->name;
        bp[i]->mode = SP_MODE_APPEND;
        bp[i]->sink_vt = pl->sink_vt;
        bp[i]->sink_opts = pl->sink_opts;
        int rc = plan_select(c, st, bq, bp[i]);
        if (rc) return rc;
    }
    /* the union's columns and types */
    int nout = (int)bp[0]->pipe.out_schema.n_fields;
    for (int i = 1; i < nb; i++)
        if ((int)bp[i]->pipe.out_schema.n_fields != nout)
            return sp_plan_fail_at(c, br[i]->pos, SP_EANALYSIS,
                                   "UNION ALL branches have %d and %d "
                                   "columns",
                                   nout, (int)bp[i]->pipe.out_schema.n_fields);
    sp_field *uf = sp_arena_zalloc(c->a, (size_t)(nout + 1) * sizeof *uf);
    for (int k = 0; k < nout; k++) {
        uf[k] = bp[0]->pipe.out_schema.fields[k];
        for (int i = 1; i < nb; i++) {
            sp_type t;
            sp_type u = bp[i]->pipe.out_schema.fields[k].type;
            if (sp_type_common(uf[k].type, u, &t) != 0)
                return sp_plan_fail_at(c, br[i]->pos, SP_EANALYSIS,
                                       "UNION ALL column %d (%s) is %s in one "
                                       "branch and %s in another",
                                       k + 1, uf[k].name,
                                       sp_type_name(uf[k].type),
                                       sp_type_name(u));
            uf[k].type = t;
        }
        if (uf[k].type == SP_T_NULL) uf[k].type = SP_T_VARCHAR;
    }
    sp_query_input *inputs = sp_arena_zalloc(c->a, (size_t)nb * sizeof *inputs);
    int wm_k = -2; /* the union column that is every branch's event time */
    for (int i = 0; i < nb; i++) {
        sp_pipeline *pp = &bp[i]->pipe;
        for (int k = 0; k < nout; k++) {
            if (pp->proj[k]->type != uf[k].type) {
                pp->proj[k] =
                    sp_expr_cast(c->a, pp->proj[k], uf[k].type, c->err);
                if (!pp->proj[k]) return c->err->code;
            }
            pp->out_schema.fields[k].type = uf[k].type;
        }
        if (pp->event_time_col >= 0) {
            int k_i = -1;
            for (int k = 0; k < nout; k++)
                if (pp->proj[k]->kind == SP_E_COL &&
                    pp->proj[k]->col == pp->event_time_col)
                    k_i = k;
            wm_k = wm_k == -2 ? k_i : (wm_k == k_i ? wm_k : -1);
        }
        inputs[i] = bp[i]->spec.inputs[0];
    }
    sp_query_spec *qs = &pl->spec;
    qs->n_inputs = nb;
    qs->inputs = inputs;
    pl->src = bp[0]->src;
    pl->branches = bp;
    pl->n_branches = nb;
    pl->in.n_fields = (uint32_t)nout;
    pl->in.fields = uf;
    pl->comb = pl->in;
    pl->wm_col = wm_k >= 0 ? wm_k : -1;
    pl->wm_delay_us = -1;
    if (!stateful) {
        pl->pipe.out_schema = pl->in;
        qs->sink_conf.schema = &pl->in;
        return 0;
    }
    sp_scope scope = {&pl->in, outer->from.alias, c->script->file, false, NULL};
    int rc = (outer->n_group_by || outer->having ||
              !(outer->distinct || outer->n_distinct_on))
                 ? sp_plan_agg(c, st, outer, pl, &scope)
                 : sp_plan_dedup(c, outer, pl, &scope);
    if (rc) return rc;
    qs->agg = &pl->aggspec;
    qs->agg_over_output = true;
    qs->sink_conf.schema = &pl->aggspec.out_schema;
    return 0;
}
