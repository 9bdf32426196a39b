/*
 * pipeline.c -- the stateless operator chain: compute, filter, project.
 */
#include "exec/exec.h"

int sp_join_apply(const sp_join *j, const sp_batch *in, sp_arena *scratch,
                  sp_batch *out, sp_err *err);

#include <string.h>

void sp_pipe_stats_init(sp_pipe_stats *s)
{
    memset(s, 0, sizeof *s);
    s->et_min = INT64_MAX;
    s->et_max = INT64_MIN;
}

void sp_pipe_stats_merge(sp_pipe_stats *into, const sp_pipe_stats *from)
{
    into->rows_in += from->rows_in;
    into->rows_out += from->rows_out;
    into->et_min = SP_MIN(into->et_min, from->et_min);
    into->et_max = SP_MAX(into->et_max, from->et_max);
    into->et_sum += from->et_sum;
    into->et_count += from->et_count;
}

int sp_pipeline_prepare(const sp_pipeline *p, sp_batch *in, sp_arena *scratch,
                        sp_batch *wide_out, sp_pipe_stats *stats, sp_err *err)
{
    sp_batch wide = *in;
    int rc;
    if (p->n_compute > 0) {
        uint32_t nc = in->n_cols + (uint32_t)p->n_compute;
        wide.cols = sp_arena_alloc(scratch, nc * sizeof(sp_vec));
        if (!wide.cols) return sp_err_set(err, SP_ENOMEM, "out of memory");
        memcpy(wide.cols, in->cols, in->n_cols * sizeof(sp_vec));
        wide.n_cols = nc;
        for (int i = 0; i < p->n_compute; i++) {
            /* each computed column may use only the scan columns, so
             * evaluating against `in` is enough */
            rc = sp_expr_eval(p->compute[i], in, scratch,
                              &wide.cols[in->n_cols + (uint32_t)i], err);
            if (rc) return rc;
        }
    }
    uint32_t live = sp_batch_live(&wide);
    stats->rows_in += live;
    if (p->event_time_col >= 0 && live) {
        /* min, max and an exact sum (for the average) of the event times */
        const sp_vec *v = &wide.cols[p->event_time_col];
        const int64_t *x = v->d.i64;
        int64_t lo = stats->et_min, hi = stats->et_max;
        __int128 sum = 0;
        uint64_t n = 0;
        if (!wide.sel && !v->nulls) { /* dense: no branch per row */
            for (uint32_t r = 0; r < live; r++) {
                int64_t t = x[r];
                lo = t < lo ? t : lo;
                hi = t > hi ? t : hi;
                sum += t;
            }
            n = live;
        } else {
            for (uint32_t k = 0; k < live; k++) {
                uint32_t r = sp_batch_row(&wide, k);
                if (sp_vec_is_null(v, r)) continue;
                int64_t t = x[r];
                lo = t < lo ? t : lo;
                hi = t > hi ? t : hi;
                sum += t;
                n++;
            }
        }
        stats->et_min = lo;
        stats->et_max = hi;
        stats->et_sum += (double)sum;
        stats->et_count += n;
    }
    if (p->pre_filter) {
        rc = sp_expr_filter(p->pre_filter, &wide, scratch, err);
        if (rc) return rc;
    }
    if (p->join) {
        sp_batch joined;
        rc = sp_join_apply(p->join, &wide, scratch, &joined, err);
        if (rc) return rc;
        wide = joined;
    }
    if (p->gen) {
        sp_batch gen;
        rc = sp_generate_apply(p->gen, &wide, scratch, &gen, err);
        if (rc) return rc;
        wide = gen;
    }
    if (p->filter) {
        rc = sp_expr_filter(p->filter, &wide, scratch, err);
        if (rc) return rc;
    }
    *wide_out = wide;
    return 0;
}

int sp_pipeline_run(const sp_pipeline *p, sp_batch *in, sp_arena *scratch,
                    sp_batch *out, sp_pipe_stats *stats, sp_err *err)
{
    sp_batch wide;
    int rc = sp_pipeline_prepare(p, in, scratch, &wide, stats, err);
    if (rc) return rc;
    out->n_rows = wide.n_rows;
    out->sel = wide.sel;
    out->n_sel = wide.n_sel;
    out->arena = scratch;
    out->n_cols = (uint32_t)p->n_proj;
    out->cols =
        sp_arena_alloc(scratch, (size_t)(p->n_proj + 1) * sizeof(sp_vec));
    if (!out->cols) return sp_err_set(err, SP_ENOMEM, "out of memory");
    if (sp_batch_live(&wide) > 0) {
        for (int i = 0; i < p->n_proj; i++) {
            rc = sp_expr_eval(p->proj[i], &wide, scratch, &out->cols[i], err);
            if (rc) return rc;
        }
    } else {
        for (int i = 0; i < p->n_proj; i++) {
            out->cols[i].type = p->proj[i]->type;
            out->cols[i].nulls = NULL;
            out->cols[i].d.raw = NULL;
        }
    }
    stats->rows_out += sp_batch_live(out);
    return 0;
}
