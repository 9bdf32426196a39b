/*
 * sort.c -- ORDER BY for complete-mode output: a permutation of the rows
 * in the batch's selection vector (the rows themselves do not move).
 */
#define _GNU_SOURCE
#include "exec/agg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct sort_ctx {
    const sp_agg_spec *s;
    const sp_batch *b;
} sort_ctx;

static int cmp_values(const sp_vec *v, uint32_t x, uint32_t y)
{
    switch (v->type) {
    case SP_T_BOOL:
        return (int)v->d.b[x] - (int)v->d.b[y];
    case SP_T_DOUBLE: {
        double a = v->d.f64[x], c = v->d.f64[y];
        if (isnan(a) || isnan(c)) return isnan(a) - isnan(c);
        return a < c ? -1 : a > c;
    }
    case SP_T_VARCHAR:
        return sp_str_cmp(v->d.str[x], v->d.str[y]);
    case SP_T_WINDOW: {
        int64_t a = v->d.i64[2 * x], c = v->d.i64[2 * y];
        if (a != c) return a < c ? -1 : 1;
        a = v->d.i64[2 * x + 1];
        c = v->d.i64[2 * y + 1];
        return a < c ? -1 : a > c;
    }
    case SP_T_NULL:
        return 0;
    default: {
        int64_t a = v->d.i64[x], c = v->d.i64[y];
        return a < c ? -1 : a > c;
    }
    }
}

static int cmp_rows(const void *pa, const void *pb, void *ud)
{
    const sort_ctx *c = ud;
    uint32_t x = *(const uint32_t *)pa, y = *(const uint32_t *)pb;
    for (int k = 0; k < c->s->n_order; k++) {
        const sp_vec *v = &c->b->cols[c->s->order_cols[k]];
        bool nx = sp_vec_is_null(v, x), ny = sp_vec_is_null(v, y);
        bool desc = c->s->order_desc[k];
        int r;
        if (nx || ny) {
            if (nx && ny) continue;
            /* a NULL goes first when nulls_first, whatever the direction */
            r = nx ? -1 : 1;
            if (!c->s->order_nulls_first[k]) r = -r;
            return r;
        }
        r = cmp_values(v, x, y);
        if (r) return desc ? -r : r;
    }
    return x < y ? -1 : x > y; /* stable */
}

int sp_agg_sort_output(const sp_agg_spec *s, sp_batch *b, sp_err *err)
{
    uint32_t n = sp_batch_live(b);
    uint32_t *sel = sp_arena_alloc(b->arena, (n + 1) * sizeof *sel);
    if (!sel) return sp_err_set(err, SP_ENOMEM, "out of memory");
    for (uint32_t k = 0; k < n; k++) sel[k] = sp_batch_row(b, k);
    if (s->n_order) {
        sort_ctx c = {s, b};
        qsort_r(sel, n, sizeof *sel, cmp_rows, &c);
    }
    if (s->limit >= 0 && (int64_t)n > s->limit) n = (uint32_t)s->limit;
    b->sel = sel;
    b->n_sel = n;
    return 0;
}
