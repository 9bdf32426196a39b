/*
 * join.c -- stream-static joins: loading a static table, hashing its join
 * keys, and probing it with each stream batch.
 *
 * The table is read whole when the query starts (files of a directory in
 * name order) with the same readers as the file source, and kept as one
 * column batch; string values are views into the file buffers, which live
 * as long as the table. Its keys are encoded with the row codec and hashed
 * into a table of chains (first row, then next[]), in table order, so a
 * stream row's matches come out in table order. Probing is read-only and
 * runs on every worker thread at once.
 */
#include "exec/codec.h"
#include "exec/exec.h"
#include "exec/htab.h"
#include "os/os.h"

#include <string.h>

struct sp_static_table {
    sp_arena *arena;
    char **bufs; /* file contents (strings are views into them) */
    size_t n_bufs;
    sp_batch rows; /* all rows, sel = NULL */
    sp_htab hash;  /* key -> int64 first row */
    int64_t *next; /* next row with the same key, -1 = end */
};

typedef struct load_ctx {
    const char *path;
    sp_err *err;
    uint64_t bad;
} load_ctx;

static int on_bad(void *ud, uint64_t line_no, const char *line, size_t len,
                  const char *why)
{
    load_ctx *c = ud;
    if (c->bad++ < 5)
        fprintf(stderr,
                "spate: warning: %s:%llu: skipped malformed record "
                "in a static table: %s\n",
                c->path, (unsigned long long)line_no, why);
    return 0;
}

/* Appends batch b's rows to the table's growing columns. */
static int append_rows(sp_static_table *t, const sp_schema *sc,
                       const sp_batch *b, uint64_t *cap)
{
    uint32_t nc = sc->n_fields;
    uint64_t need = t->rows.n_rows + b->n_rows;
    if (need > *cap) {
        uint64_t nc2 = *cap ? *cap * 2 : 1024;
        while (nc2 < need) nc2 *= 2;
        for (uint32_t c = 0; c < nc; c++) {
            sp_vec v;
            if (sp_vec_alloc(&v, sc->fields[c].type, (uint32_t)nc2, true,
                             t->arena))
                return SP_ENOMEM;
            size_t w = sp_type_width(sc->fields[c].type);
            if (t->rows.n_rows) {
                memcpy(v.d.raw, t->rows.cols[c].d.raw, t->rows.n_rows * w);
                memcpy(v.nulls, t->rows.cols[c].nulls, t->rows.n_rows);
            }
            t->rows.cols[c] = v;
        }
        *cap = nc2;
    }
    for (uint32_t c = 0; c < nc; c++) {
        size_t w = sp_type_width(sc->fields[c].type);
        const sp_vec *src = &b->cols[c];
        sp_vec *dst = &t->rows.cols[c];
        memcpy((char *)dst->d.raw + (size_t)t->rows.n_rows * w, src->d.raw,
               (size_t)b->n_rows * w);
        for (uint32_t r = 0; r < b->n_rows; r++)
            dst->nulls[t->rows.n_rows + r] = sp_vec_is_null(src, r);
    }
    t->rows.n_rows = (uint32_t)need;
    return 0;
}

static int load_file(sp_join *j, sp_static_table *t, const char *path,
                     uint64_t *cap, sp_arena *scratch, sp_err *err)
{
    char *data;
    size_t len;
    int rc = sp_os_read_file(path, &data, &len, err);
    if (rc) return rc;
    char **nb = sp_realloc(t->bufs, (t->n_bufs + 1) * sizeof *nb);
    if (!nb) {
        sp_free(data);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    t->bufs = nb;
    t->bufs[t->n_bufs++] = data;
    sp_reader *rd =
        sp_reader_create(j->format, j->table_schema, &j->fopts, err);
    if (!rd) return err->code ? err->code : SP_ENOMEM;
    load_ctx lc = {path, err, 0};
    size_t pos = 0;
    uint64_t line = 1;
    while (pos < len && !rc) {
        sp_batch b;
        rc = sp_reader_parse(rd, data, len, &pos, &line, pos == 0,
                             SP_BATCH_ROWS, &b, scratch, on_bad, &lc, err);
        if (!rc && b.n_rows)
            rc = append_rows(t, j->table_schema, &b, cap)
                     ? sp_err_set(err, SP_ENOMEM, "out of memory")
                     : 0;
        sp_arena_reset(scratch);
    }
    sp_reader_destroy(rd);
    return rc;
}

int sp_join_open(sp_join *j, sp_err *err)
{
    sp_static_table *t = sp_calloc(1, sizeof *t);
    if (!t) return sp_err_set(err, SP_ENOMEM, "out of memory");
    j->table = t;
    t->arena = sp_arena_create(1 << 16);
    sp_arena *scratch = sp_arena_create(1 << 16);
    uint32_t nc = j->table_schema->n_fields;
    t->rows.n_cols = nc;
    t->rows.cols =
        t->arena ? sp_arena_zalloc(t->arena, (nc + 1) * sizeof(sp_vec)) : NULL;
    if (!t->arena || !scratch || !t->rows.cols) {
        if (scratch) sp_arena_destroy(scratch);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    for (uint32_t c = 0; c < nc; c++)
        t->rows.cols[c].type = j->table_schema->fields[c].type;
    t->rows.arena = t->arena;
    uint64_t cap = 0;
    int rc = 0;
    if (sp_os_is_dir(j->path)) {
        sp_names names;
        rc = sp_os_list_dir(j->path, true, &names, err);
        for (size_t i = 0; i < names.n && !rc; i++) {
            char *p = sp_os_join(scratch, j->path, names.names[i]);
            char *keep = sp_strdup(p);
            sp_arena_reset(scratch);
            if (!sp_os_is_dir(keep))
                rc = load_file(j, t, keep, &cap, scratch, err);
            sp_free(keep);
        }
        if (!rc || names.names) sp_os_names_free(&names);
    } else {
        rc = load_file(j, t, j->path, &cap, scratch, err);
        if (rc == SP_ENOTFOUND)
            sp_err_hint(err,
                        "table %s: fix its path option, or create the "
                        "file",
                        j->table_name);
    }
    /* hash the keys */
    if (!rc) rc = sp_htab_init(&t->hash, 8) ? SP_ENOMEM : 0;
    uint32_t n = t->rows.n_rows;
    if (!rc && n) {
        t->next = sp_malloc((size_t)n * sizeof *t->next);
        sp_vec *kv =
            sp_arena_alloc(scratch, (size_t)(j->n_keys + 1) * sizeof *kv);
        for (int k = 0; k < j->n_keys && !rc; k++)
            rc =
                sp_expr_eval(j->right_keys[k], &t->rows, t->arena, &kv[k], err);
        sp_buf key;
        sp_buf_init(&key);
        for (int64_t r = (int64_t)n - 1; r >= 0 && !rc; r--) {
            key.len = 0;
            bool null = false;
            for (int k = 0; k < j->n_keys; k++) {
                null |= kv[k].type == SP_T_NULL ||
                        sp_vec_is_null(&kv[k], (uint32_t)r);
                sp_codec_put(&key, &kv[k], (uint32_t)r, j->key_types[k]);
            }
            t->next[r] = -1;
            if (null) continue; /* a NULL key never matches */
            const char *kd = key.data ? key.data : "";
            bool is_new;
            sp_hentry *e =
                sp_htab_upsert(&t->hash, kd, (uint32_t)key.len,
                               sp_hash_bytes(kd, key.len, 7), &is_new);
            if (!e) {
                rc = sp_err_set(err, SP_ENOMEM, "out of memory");
                break;
            }
            int64_t *head = (int64_t *)sp_hentry_val(e);
            t->next[r] = is_new ? -1 : *head;
            *head = r;
        }
        sp_buf_free(&key);
    }
    sp_arena_destroy(scratch);
    if (rc) {
        if (!err->hint[0])
            sp_err_detail(err, "while loading static table %s from %s",
                          j->table_name, j->path);
        sp_join_close(j);
    }
    return rc;
}

void sp_join_close(sp_join *j)
{
    sp_static_table *t = j->table;
    if (!t) return;
    for (size_t i = 0; i < t->n_bufs; i++) sp_free(t->bufs[i]);
    sp_free(t->bufs);
    sp_free(t->next);
    if (t->hash.slots) sp_htab_free(&t->hash);
    if (t->arena) sp_arena_destroy(t->arena);
    sp_free(t);
    j->table = NULL;
}

uint64_t sp_join_table_rows(const sp_join *j)
{
    return j->table ? j->table->rows.n_rows : 0;
}

/* Joins the live rows of `in` with the table into *out: the stream's
 * columns followed by the table's. */
int sp_join_apply(const sp_join *j, const sp_batch *in, sp_arena *scratch,
                  sp_batch *out, sp_err *err);

int sp_join_apply(const sp_join *j, const sp_batch *in, sp_arena *scratch,
                  sp_batch *out, sp_err *err)
{
    const sp_static_table *t = j->table;
    uint32_t live = sp_batch_live(in);
    sp_vec *kv = sp_arena_alloc(scratch, (size_t)(j->n_keys + 1) * sizeof *kv);
    if (!kv) return sp_err_set(err, SP_ENOMEM, "out of memory");
    for (int k = 0; k < j->n_keys; k++) {
        int rc = sp_expr_eval(j->left_keys[k], in, scratch, &kv[k], err);
        if (rc) return rc;
    }
    /* pairs (stream row, table row or -1) */
    uint32_t cap = live + 16, n = 0;
    uint32_t *lrow = sp_arena_alloc(scratch, cap * sizeof *lrow);
    int64_t *rrow = sp_arena_alloc(scratch, cap * sizeof *rrow);
    sp_buf key;
    sp_buf_init(&key);
    int rc = 0;
    for (uint32_t k = 0; k < live && !rc; k++) {
        uint32_t r = sp_batch_row(in, k);
        key.len = 0;
        bool null = false;
        for (int c = 0; c < j->n_keys; c++) {
            null |= kv[c].type == SP_T_NULL || sp_vec_is_null(&kv[c], r);
            sp_codec_put(&key, &kv[c], r, j->key_types[c]);
        }
        int64_t m = -1;
        if (!null && t->hash.n) {
            const char *kd = key.data ? key.data : "";
            sp_hentry *e = sp_htab_find(&t->hash, kd, (uint32_t)key.len,
                                        sp_hash_bytes(kd, key.len, 7));
            if (e) m = *(int64_t *)sp_hentry_val(e);
        }
        if (m < 0 && !j->left_outer) continue;
        do {
            if (n == cap) {
                uint32_t nc = cap * 2;
                uint32_t *nl = sp_arena_alloc(scratch, nc * sizeof *nl);
                int64_t *nr = sp_arena_alloc(scratch, nc * sizeof *nr);
                if (!nl || !nr) {
                    rc = sp_err_set(err, SP_ENOMEM, "out of memory");
                    break;
                }
                memcpy(nl, lrow, n * sizeof *nl);
                memcpy(nr, rrow, n * sizeof *nr);
                lrow = nl;
                rrow = nr;
                cap = nc;
            }
            lrow[n] = r;
            rrow[n] = m;
            n++;
            m = m >= 0 ? t->next[m] : -1;
        } while (m >= 0);
    }
    sp_buf_free(&key);
    if (rc) return rc;
    uint32_t nl = in->n_cols, nr = t->rows.n_cols;
    out->n_rows = n;
    out->n_cols = nl + nr;
    out->sel = NULL;
    out->n_sel = 0;
    out->arena = scratch;
    out->cols = sp_arena_alloc(scratch, (size_t)(nl + nr + 1) * sizeof(sp_vec));
    if (!out->cols) return sp_err_set(err, SP_ENOMEM, "out of memory");
    for (uint32_t c = 0; c < nl + nr; c++) {
        const sp_vec *src = c < nl ? &in->cols[c] : &t->rows.cols[c - nl];
        sp_vec *dst = &out->cols[c];
        if (sp_vec_alloc(dst, src->type, n, true, scratch))
            return sp_err_set(err, SP_ENOMEM, "out of memory");
        size_t w = sp_type_width(src->type);
        for (uint32_t i = 0; i < n; i++) {
            int64_t from = c < nl ? (int64_t)lrow[i] : rrow[i];
            if (from < 0 || src->type == SP_T_NULL ||
                sp_vec_is_null(src, (uint32_t)from)) {
                dst->nulls[i] = 1;
                continue;
            }
            memcpy((char *)dst->d.raw + i * w,
                   (const char *)src->d.raw + (size_t)from * w, w);
        }
    }
    return 0;
}
