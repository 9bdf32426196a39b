/*
 * exec.h -- physical operators on column batches.
 *
 * A stateless pipeline runs, per input batch: computed columns (appended to
 * the scanned ones), a filter (narrowing the selection vector), and a
 * projection. It never copies a column it only passes through: an output
 * column that is an input column shares the vector, and the output batch
 * keeps the input's selection vector. The pipeline is immutable and shared
 * by all worker threads; each thread brings its own scratch arena.
 */
#ifndef SP_EXEC_H
#define SP_EXEC_H

#include "core/core.h"
#include "expr/expr.h"
#include "io/format.h"

/* A static table (CREATE TABLE) loaded in memory for stream-static joins,
 * and the hash of its join keys. */
typedef struct sp_static_table sp_static_table;

/* A stream-static equi-join: stream rows (left) probe the table's hash by
 * key; inner joins keep matches only, left joins keep unmatched stream rows
 * with NULL table columns. A NULL key never matches (SQL equality). */
typedef struct sp_join {
    bool left_outer;
    int n_keys;
    sp_expr **left_keys;  /* over the stream's scan + computed columns */
    sp_expr **right_keys; /* over the table's columns */
    sp_type *key_types;   /* the common type each pair compares in */
    /* the table to load when the query starts */
    const char *table_name;
    const char *path; /* a file or a directory of files */
    sp_format_kind format;
    sp_format_opts fopts;
    const sp_schema *table_schema;
    sp_static_table *table; /* loaded by sp_join_open */
} sp_join;

/* Loads the table and hashes its keys (the runtime calls this when the
 * query starts; the join is then read-only and shared by all threads). */
int sp_join_open(sp_join *j, sp_err *err);
void sp_join_close(sp_join *j);
/* Rows in the loaded table. */
uint64_t sp_join_table_rows(const sp_join *j);

/* A generator (explode): each input row becomes one row per element of
 * split(str, delim) or array(elems...), with the element appended as a
 * column; a row whose string is NULL produces no rows, as Spark's explode
 * of a NULL array. */
typedef struct sp_generate {
    sp_expr *str; /* split: the string, or NULL for array */
    sp_str delim; /* split: the literal delimiter (non-empty) */
    int n_elems;  /* array: the element expressions */
    sp_expr **elems;
    sp_type type; /* of the generated column */
} sp_generate;

/* Expands the live rows of `in` into *out (columns of in, then the
 * generated one). */
int sp_generate_apply(const sp_generate *g, const sp_batch *in,
                      sp_arena *scratch, sp_batch *out, sp_err *err);

typedef struct sp_pipeline {
    int n_compute;       /* computed columns appended to the scan columns */
    sp_expr **compute;   /* over the scan columns */
    sp_expr *pre_filter; /* the WHERE conjuncts on stream columns only,
                            applied before the join; NULL = none */
    sp_join *join;       /* stream-static join after compute, or NULL: the
                            columns after it are scan + computed + table */
    sp_generate *gen;    /* explode after the join, or NULL: appends one
                            column */
    sp_expr *filter;     /* over scan + computed (+ table) columns */
    int n_proj;
    sp_expr **proj; /* over scan + computed columns */
    sp_schema out_schema;
    int event_time_col; /* scan + computed column holding the event time
                           (for watermark statistics), -1 = none */
} sp_pipeline;

/* Per-run statistics of one pipeline instance (one thread). */
typedef struct sp_pipe_stats {
    uint64_t rows_in, rows_out;
    int64_t et_min, et_max; /* event time of input rows seen */
    double et_sum;
    uint64_t et_count;
} sp_pipe_stats;

void sp_pipe_stats_init(sp_pipe_stats *s);
void sp_pipe_stats_merge(sp_pipe_stats *into, const sp_pipe_stats *from);

/* Runs compute and filter only: *wide gets the scan columns plus the
 * computed ones, with the filter's selection. For operators that consume
 * the rows themselves (aggregation). */
int sp_pipeline_prepare(const sp_pipeline *p, sp_batch *in, sp_arena *scratch,
                        sp_batch *wide, sp_pipe_stats *stats, sp_err *err);

/* Runs the pipeline on `in` (whose columns are the scan columns), writing
 * the result batch to *out. Memory for computed vectors comes from
 * `scratch`, which the caller resets after consuming *out. */
int sp_pipeline_run(const sp_pipeline *p, sp_batch *in, sp_arena *scratch,
                    sp_batch *out, sp_pipe_stats *stats, sp_err *err);

#endif
