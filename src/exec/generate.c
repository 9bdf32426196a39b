/*
 * generate.c -- explode: one output row per element, the input row's
 * columns repeated (gathered by parent row), the element appended.
 */
#include "exec/exec.h"

#include <string.h>

int sp_generate_apply(const sp_generate *g, const sp_batch *in,
                      sp_arena *scratch, sp_batch *out, sp_err *err)
{
    uint32_t live = sp_batch_live(in);
    sp_vec sv;
    sp_vec *ev = NULL;
    int rc = 0;
    if (g->str) {
        rc = sp_expr_eval(g->str, in, scratch, &sv, err);
    } else {
        ev = sp_arena_alloc(scratch, (size_t)(g->n_elems + 1) * sizeof *ev);
        if (!ev) return sp_err_set(err, SP_ENOMEM, "out of memory");
        for (int i = 0; i < g->n_elems && !rc; i++)
            rc = sp_expr_eval(g->elems[i], in, scratch, &ev[i], err);
    }
    if (rc) return rc;
    /* count the output rows */
    uint32_t n = 0;
    for (uint32_t k = 0; k < live; k++) {
        uint32_t r = sp_batch_row(in, k);
        if (!g->str) {
            n += (uint32_t)g->n_elems;
            continue;
        }
        if (sv.type == SP_T_NULL || sp_vec_is_null(&sv, r)) continue;
        sp_str s = sv.d.str[r];
        n++;
        for (uint32_t i = 0; i + g->delim.len <= s.len;) {
            if (memcmp(s.ptr + i, g->delim.ptr, g->delim.len) == 0) {
                n++;
                i += g->delim.len;
            } else {
                i++;
            }
        }
    }
    uint32_t *parent = sp_arena_alloc(scratch, (n + 1) * sizeof *parent);
    sp_vec gv;
    if (!parent || sp_vec_alloc(&gv, g->type, n, true, scratch))
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    uint32_t o = 0;
    size_t w = sp_type_width(g->type);
    for (uint32_t k = 0; k < live; k++) {
        uint32_t r = sp_batch_row(in, k);
        if (!g->str) {
            for (int i = 0; i < g->n_elems; i++, o++) {
                parent[o] = r;
                const sp_vec *e = &ev[i];
                if (e->type == SP_T_NULL || sp_vec_is_null(e, r)) {
                    gv.nulls[o] = 1;
                    continue;
                }
                memcpy((char *)gv.d.raw + o * w, (const char *)e->d.raw + r * w,
                       w);
            }
            continue;
        }
        if (sv.type == SP_T_NULL || sp_vec_is_null(&sv, r)) continue;
        sp_str s = sv.d.str[r];
        uint32_t from = 0;
        for (uint32_t i = 0; i + g->delim.len <= s.len;) {
            if (memcmp(s.ptr + i, g->delim.ptr, g->delim.len) == 0) {
                parent[o] = r;
                gv.d.str[o++] = sp_str_make(s.ptr + from, i - from);
                i += g->delim.len;
                from = i;
            } else {
                i++;
            }
        }
        parent[o] = r;
        gv.d.str[o++] = sp_str_make(s.ptr + from, s.len - from);
    }
    out->n_rows = n;
    out->n_cols = in->n_cols + 1;
    out->sel = NULL;
    out->n_sel = 0;
    out->arena = scratch;
    out->cols = sp_arena_alloc(scratch, (out->n_cols + 1) * sizeof(sp_vec));
    if (!out->cols) return sp_err_set(err, SP_ENOMEM, "out of memory");
    for (uint32_t c = 0; c < in->n_cols; c++) {
        const sp_vec *src = &in->cols[c];
        sp_vec *dst = &out->cols[c];
        if (sp_vec_alloc(dst, src->type, n, src->nulls != NULL, scratch))
            return sp_err_set(err, SP_ENOMEM, "out of memory");
        size_t cw = sp_type_width(src->type);
        if (src->type == SP_T_NULL || !src->d.raw) continue;
        for (uint32_t i = 0; i < n; i++) {
            memcpy((char *)dst->d.raw + i * cw,
                   (const char *)src->d.raw + (size_t)parent[i] * cw, cw);
            if (src->nulls) dst->nulls[i] = src->nulls[parent[i]];
        }
    }
    out->cols[in->n_cols] = gv;
    return 0;
}
