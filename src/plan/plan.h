/*
 * plan.h -- from a parsed script to runnable queries.
 *
 * sp_program_build analyzes every statement (names, types, options,
 * output-mode rules), then plans each CREATE SINK into a physical pipeline:
 *
 *     Scan (only the columns the query uses)
 *       -> Compute (computed columns of the source that are used)
 *       -> Filter (WHERE)
 *       -> Project (SELECT list)
 *       -> Sink
 *
 * and fills an sp_query_spec per sink for the runtime. Everything lives in
 * the program's arena; the plan is immutable once built.
 */
#ifndef SP_PLAN_H
#define SP_PLAN_H

#include "core/core.h"
#include "exec/agg.h"
#include "exec/exec.h"
#include "io/connector.h"
#include "runtime/runtime.h"
#include "sql/ast.h"

typedef struct sp_source_def {
    char *name;
    sp_pos pos;
    int index; /* order in the script */
    const sp_source_vtab *vt;
    sp_opts opts;        /* the connector's options, resolved */
    sp_schema declared;  /* physical columns */
    sp_schema full;      /* declared, then computed */
    sp_expr **computed;  /* full.n_fields - declared.n_fields exprs
                            over the declared columns */
    char **computed_sql; /* their text, for EXPLAIN */
    int wm_col;          /* index in `full`, -1 = no watermark */
    int64_t wm_delay_us;
    sp_format_kind format;
    sp_format_opts fopts;
    bool fail_on_error;
} sp_source_def;

/* A static table for stream-static joins (CREATE TABLE). */
typedef struct sp_table_def {
    char *name;
    sp_opts opts;
    sp_schema schema;
    const char *path;
    sp_format_kind format;
    sp_format_opts fopts;
} sp_table_def;

typedef enum sp_output_mode {
    SP_MODE_APPEND,
    SP_MODE_UPDATE,
    SP_MODE_COMPLETE
} sp_output_mode;

typedef struct sp_plan {
    char *name; /* sink name */
    sp_pos pos;
    const sp_sink_vtab *sink_vt;
    sp_opts sink_opts;
    sp_output_mode mode;
    sp_source_def *src;
    sp_schema in; /* the query's input: source columns, plus a
                     FROM ... WATERMARK derived column */
    int wm_col;   /* watermark column in `in`, -1 = none */
    int64_t wm_delay_us;
    sp_agg_spec aggspec;       /* the aggregation, when the query has one */
    sp_schema comb;            /* what expressions bind over: `in`, then the
                                  joined table's columns */
    sp_table_def *join_table;  /* the stream-static join's table, or NULL */
    struct sp_plan **branches; /* UNION ALL: one stateless plan per branch */
    int n_branches;
    sp_expr *join_extra;       /* non-key ON conditions of an inner join */
    char **key_sql, **agg_sql; /* their text, for EXPLAIN */
    sp_schema scan;            /* pruned physical columns read */
    sp_schema exec;            /* scan + used computed columns */
    char **compute_sql;        /* text of the used computed columns */
    char *filter_sql;          /* WHERE text or NULL */
    char **proj_sql;           /* SELECT item texts */
    sp_pipeline pipe;
    sp_query_spec spec;
} sp_plan;

typedef struct sp_program {
    sp_arena *arena;
    const char *file;
    sp_source_def **sources;
    int n_sources;
    sp_plan **plans;
    int n_plans;
    sp_table_def **tables;
    int n_tables;
    /* SET options */
    sp_trigger trigger;
    bool trigger_set;
    const char *checkpoint; /* SET checkpoint_location, or NULL */
    int threads;            /* SET threads, 0 = not set */
    int shuffle_partitions; /* SET shuffle_partitions (default 4) */
    bool no_data_batches;   /* SET no_data_batches (default true) */
    int snapshot_interval;  /* SET state_snapshot_interval (default 10) */
    bool wm_policy_max;     /* SET multiple_watermark_policy = 'max' */
    sp_sched_conf sched;    /* SET spate.task.*, spate.speculation.* */
} sp_program;

/* Analyzes and plans a parsed script. The program lives in `arena`.
 * Errors carry the position of the offending text. `conf` holds n_conf
 * "KEY=VALUE" settings (the CLI's --conf) applied as SETs after the
 * script's own. */
int sp_program_build(const sp_ast_script *script, const char *const *conf,
                     int n_conf, sp_arena *arena, sp_program **out,
                     sp_err *err);

/* The plan of one query as a tree, Spark's EXPLAIN layout. */
int sp_plan_explain(const sp_program *prog, const sp_plan *p, sp_buf *out);

/* "1 minute 30 seconds": an interval for people (EXPLAIN). */
void sp_interval_human(int64_t us, sp_buf *out);

/* Names of the SET keys spate knows, for help and errors. */
extern const sp_opt_def sp_set_options[];

#endif /* SP_PLAN_H */
