/*
 * join.c -- stream-static joins: loading a static table, hashing its join
 * keys, and probing it with each stream batch.
 *
 * The table is read whole when the query starts (files of a directory in
 * name order) with the same readers as the file source, and kept as one
 * column batch; string values are views into the file buffers, which live
 * as long as the table. Its key columns are evaluated once and kept; the
 * distinct keys go into an open-addressing table of (hash tag, first row)
 * slots, and rows with an equal key are chained (next[]) in table order,
 * so a stream row's matches come out in table order. Probing is read-only
 * and runs on every worker thread at once.
 *
 * Keys are hashed and compared straight from the column values, by type
 * (no encoding into bytes): strings bytewise, doubles with -0.0 = 0.0 and
 * NaN = NaN (as grouping compares them), NULL never equal.
 *
 * Output: when no key occurs twice in the table (the usual dimension
 * table), a stream row has at most one match and the joined batch shares
 * the stream's column vectors untouched: the selection vector keeps the
 * matched rows (inner) or all rows (left), and only the table's columns
 * are gathered, at the stream rows' physical positions. Otherwise (pairs)
 * every column is gathered into a new dense batch.
 */
#include "exec/exec.h"
#include "os/os.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct sp_static_table {
    sp_arena *arena;
    char **bufs; /* file contents (strings are views into them) */
    size_t n_bufs;
    sp_batch rows; /* all rows, sel = NULL */
    sp_vec *keys;  /* the join keys evaluated over all rows (n_keys) */
    /* Open addressing over the distinct non-NULL keys: slot = (tag, row + 1)
     * with tag = the hash's high half, row = the key's first table row
     * (0 = an empty slot). */
    uint64_t *slots;
    uint32_t mask;   /* slots - 1 (a power of two at least twice the keys) */
    uint32_t n_keys; /* distinct keys */
    int64_t *next;   /* next row with the same key, -1 = end */
    bool unique;     /* no key occurs twice: a stream row matches <= 1 row */
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

/* ---- keys: hashing and comparing column values ---------------------- */

/* Keys hash with sp_hash_key chained over the columns (in memory only) and
 * compare with sp_equal_short (core.h). */
static inline bool is_null_at(const sp_vec *v, uint32_t r)
{
    return v->type == SP_T_NULL || sp_vec_is_null(v, r);
}

/* -0.0 as 0.0 and one NaN, so that equal doubles hash alike. */
static inline uint64_t dbl_bits(double d)
{
    if (d == 0) d = 0;
    if (d != d) return 0x7ff8000000000000ULL;
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

/* Hash of row r's keys (none NULL). */
static uint64_t keys_hash(const sp_join *j, const sp_vec *kv, uint32_t r)
{
    uint64_t h = 0;
    for (int k = 0; k < j->n_keys; k++) {
        const sp_vec *v = &kv[k];
        switch (j->key_types[k]) {
        case SP_T_VARCHAR:
            h = sp_hash_key(v->d.str[r].ptr, v->d.str[r].len, h);
            break;
        case SP_T_BOOL:
            h = sp_fold_mul(h ^ v->d.b[r] ^ SP_HK1, SP_HK2);
            break;
        case SP_T_DOUBLE:
            h = sp_fold_mul(h ^ dbl_bits(v->d.f64[r]) ^ SP_HK1, SP_HK2);
            break;
        case SP_T_WINDOW:
            h = sp_fold_mul(h ^ (uint64_t)v->d.i64[2 * r] ^ SP_HK1,
                            (uint64_t)v->d.i64[2 * r + 1] ^ SP_HK2);
            break;
        default:
            h = sp_fold_mul(h ^ (uint64_t)v->d.i64[r] ^ SP_HK1, SP_HK2);
        }
    }
    return h;
}

/* Do row ra of a's keys and row rb of b's keys match (none NULL)? */
static bool keys_eq(const sp_join *j, const sp_vec *a, uint32_t ra,
                    const sp_vec *b, uint32_t rb)
{
    for (int k = 0; k < j->n_keys; k++) {
        const sp_vec *x = &a[k], *y = &b[k];
        bool eq;
        switch (j->key_types[k]) {
        case SP_T_VARCHAR: {
            sp_str s = x->d.str[ra], t = y->d.str[rb];
            eq = s.len == t.len && sp_equal_short(s.ptr, t.ptr, s.len);
            break;
        }
        case SP_T_BOOL:
            eq = x->d.b[ra] == y->d.b[rb];
            break;
        case SP_T_DOUBLE:
            eq = dbl_bits(x->d.f64[ra]) == dbl_bits(y->d.f64[rb]);
            break;
        case SP_T_WINDOW:
            eq = x->d.i64[2 * ra] == y->d.i64[2 * rb] &&
                 x->d.i64[2 * ra + 1] == y->d.i64[2 * rb + 1];
            break;
        default:
            eq = x->d.i64[ra] == y->d.i64[rb];
        }
        if (!eq) return false;
    }
    return true;
}

static bool keys_null(const sp_join *j, const sp_vec *kv, uint32_t r)
{
    for (int k = 0; k < j->n_keys; k++)
        if (is_null_at(&kv[k], r)) return true;
    return false;
}

/* The slot holding the key of row r of kv (hash h), or the empty slot
 * where it would go. */
static inline uint64_t *find_slot(const sp_join *j, const sp_static_table *t,
                                  const sp_vec *kv, uint32_t r, uint64_t h)
{
    uint32_t tag = (uint32_t)(h >> 32), i = (uint32_t)h & t->mask;
    for (;;) {
        uint64_t *sl = &t->slots[i];
        if (!*sl) return sl;
        if ((uint32_t)(*sl >> 32) == tag &&
            keys_eq(j, kv, r, t->keys, (uint32_t)*sl - 1))
            return sl;
        i = (i + 1) & t->mask;
    }
}

/* Evaluates the table's keys and builds the slots and chains. */
static int build_hash(sp_join *j, sp_static_table *t, sp_err *err)
{
    uint32_t n = t->rows.n_rows;
    uint32_t cap = 16;
    while (cap < 2 * (uint64_t)n) cap *= 2;
    t->mask = cap - 1;
    t->slots = sp_calloc(cap, sizeof *t->slots);
    t->keys =
        sp_arena_zalloc(t->arena, (size_t)(j->n_keys + 1) * sizeof *t->keys);
    t->next = sp_malloc(((size_t)n + 1) * sizeof *t->next);
    if (!t->slots || !t->keys || !t->next)
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    t->unique = true;
    if (!n) return 0;
    /* The loader gives every column a null array; drop those without a
     * NULL, so that gathering them takes the plain copy loop. */
    for (uint32_t c = 0; c < t->rows.n_cols; c++) {
        sp_vec *v = &t->rows.cols[c];
        if (v->nulls && !memchr(v->nulls, 1, n)) v->nulls = NULL;
    }
    for (int k = 0; k < j->n_keys; k++) {
        int rc = sp_expr_eval(j->right_keys[k], &t->rows, t->arena, &t->keys[k],
                              err);
        if (rc) return rc;
    }
    /* backwards, so each chain ends up in table order */
    for (int64_t r = (int64_t)n - 1; r >= 0; r--) {
        uint32_t ur = (uint32_t)r;
        t->next[r] = -1;
        if (keys_null(j, t->keys, ur)) continue; /* never matches */
        uint64_t h = keys_hash(j, t->keys, ur);
        uint64_t *sl = find_slot(j, t, t->keys, ur, h);
        if (*sl) {
            t->next[r] = (int64_t)(uint32_t)*sl - 1;
            t->unique = false;
        } else {
            t->n_keys++;
        }
        *sl = (h >> 32) << 32 | (uint64_t)(ur + 1);
    }
    return 0;
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
    if (!rc) rc = build_hash(j, t, err);
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
    sp_free(t->slots);
    if (t->arena) sp_arena_destroy(t->arena);
    sp_free(t);
    j->table = NULL;
}

uint64_t sp_join_table_rows(const sp_join *j)
{
    return j->table ? j->table->rows.n_rows : 0;
}

/* ---- probing ------------------------------------------------------------ */

/* Copies row `from` of src to row `to` of dst (same type; not NULL). */
static inline void copy_value(sp_vec *dst, uint32_t to, const sp_vec *src,
                              uint32_t from)
{
    switch (src->type) {
    case SP_T_BOOL:
        dst->d.b[to] = src->d.b[from];
        break;
    case SP_T_VARCHAR:
        dst->d.str[to] = src->d.str[from];
        break;
    case SP_T_WINDOW:
        dst->d.i64[2 * to] = src->d.i64[2 * from];
        dst->d.i64[2 * to + 1] = src->d.i64[2 * from + 1];
        break;
    case SP_T_NULL:
        break;
    default: /* 8 bytes: BIGINT, DOUBLE, TIMESTAMP, INTERVAL */
        dst->d.i64[to] = src->d.i64[from];
    }
}

/* Gathers table column src into dst for n output rows: output row to[i]
 * (physical) gets table row from[i], or NULL when from[i] < 0. dst has
 * n_rows slots. */
static int gather(sp_vec *dst, const sp_vec *src, uint32_t n_rows,
                  const uint32_t *to, const int64_t *from, uint32_t n,
                  bool any_unmatched, sp_arena *a)
{
    bool nulls = any_unmatched || src->nulls || src->type == SP_T_NULL;
    if (sp_vec_alloc(dst, src->type, n_rows, nulls, a)) return SP_ENOMEM;
    if (src->type == SP_T_NULL) {
        for (uint32_t i = 0; i < n; i++) dst->nulls[to ? to[i] : i] = 1;
        return 0;
    }
    if (!nulls) { /* every row matched and has a value: plain copies */
#define GATHER_LOOP(T, F)                                                      \
    do {                                                                       \
        T *o = dst->d.F;                                                       \
        const T *s = src->d.F;                                                 \
        if (to)                                                                \
            for (uint32_t i = 0; i < n; i++) o[to[i]] = s[from[i]];            \
        else                                                                   \
            for (uint32_t i = 0; i < n; i++) o[i] = s[from[i]];                \
    } while (0)
        switch (src->type) {
        case SP_T_VARCHAR:
            GATHER_LOOP(sp_str, str);
            return 0;
        case SP_T_BOOL:
            GATHER_LOOP(uint8_t, b);
            return 0;
        case SP_T_WINDOW:
            break; /* two words per row: the generic loop below */
        default:
            GATHER_LOOP(int64_t, i64);
            return 0;
        }
#undef GATHER_LOOP
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = to ? to[i] : i;
        if (from[i] < 0 || sp_vec_is_null(src, (uint32_t)from[i])) {
            dst->nulls[r] = 1;
            continue;
        }
        copy_value(dst, r, src, (uint32_t)from[i]);
    }
    return 0;
}

/* match[k] = the first table row matching live row k of `in`, or -1. */
static void probe(const sp_join *j, const sp_batch *in, const sp_vec *kv,
                  int64_t *match)
{
    const sp_static_table *t = j->table;
    uint32_t live = sp_batch_live(in);
    if (t->n_keys == 0) {
        for (uint32_t k = 0; k < live; k++) match[k] = -1;
        return;
    }
    if (j->n_keys == 1 && j->key_types[0] == SP_T_VARCHAR &&
        kv[0].type == SP_T_VARCHAR) {
        /* one string key: the YSB shape, without the per-type dispatch */
        const sp_str *ks = kv[0].d.str, *ts = t->keys[0].d.str;
        const uint8_t *nl = kv[0].nulls;
        const uint64_t *slots = t->slots;
        const uint32_t mask = t->mask;
        for (uint32_t k = 0; k < live; k++) {
            uint32_t r = sp_batch_row(in, k);
            match[k] = -1;
            if (nl && nl[r]) continue;
            sp_str s = ks[r];
            uint64_t h = sp_hash_key(s.ptr, s.len, 0);
            uint32_t tag = (uint32_t)(h >> 32), i = (uint32_t)h & mask;
            for (;;) {
                uint64_t sl = slots[i];
                if (!sl) break;
                if ((uint32_t)(sl >> 32) == tag) {
                    sp_str x = ts[(uint32_t)sl - 1];
                    if (x.len == s.len && sp_equal_short(x.ptr, s.ptr, s.len)) {
                        match[k] = (int64_t)(uint32_t)sl - 1;
                        break;
                    }
                }
                i = (i + 1) & mask;
            }
        }
        return;
    }
    for (uint32_t k = 0; k < live; k++) {
        uint32_t r = sp_batch_row(in, k);
        match[k] = -1;
        if (keys_null(j, kv, r)) continue;
        uint64_t *sl = find_slot(j, t, kv, r, keys_hash(j, kv, r));
        if (*sl) match[k] = (int64_t)(uint32_t)*sl - 1;
    }
}

/* Table column c, when some key k is that column itself (not an
 * expression of it) and of a type whose equal values are identical (not
 * DOUBLE: -0.0 = 0.0): in an inner join every output row's value in
 * column c equals its stream key k, so the stream key vector can stand in
 * for the column. Returns k, or -1. */
static int key_alias(const sp_join *j, uint32_t c, const sp_vec *kv)
{
    for (int k = 0; k < j->n_keys; k++) {
        const sp_expr *rk = j->right_keys[k];
        sp_type t = j->key_types[k];
        if (rk->kind != SP_E_COL || rk->col != (int)c || rk->type != t ||
            kv[k].type != t)
            continue;
        if (t == SP_T_VARCHAR || t == SP_T_BIGINT || t == SP_T_TIMESTAMP ||
            t == SP_T_INTERVAL || t == SP_T_BOOL)
            return k;
    }
    return -1;
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
    uint32_t nl = in->n_cols, nr = t->rows.n_cols;
    sp_vec *kv = sp_arena_alloc(scratch, (size_t)(j->n_keys + 1) * sizeof *kv);
    int64_t *match =
        sp_arena_alloc(scratch, ((size_t)live + 1) * sizeof *match);
    out->cols = sp_arena_alloc(scratch, (size_t)(nl + nr + 1) * sizeof(sp_vec));
    if (!kv || !match || !out->cols)
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    for (int k = 0; k < j->n_keys; k++) {
        int rc = sp_expr_eval(j->left_keys[k], in, scratch, &kv[k], err);
        if (rc) return rc;
    }
    probe(j, in, kv, match);
    out->n_cols = nl + nr;
    out->arena = scratch;

    if (t->unique) {
        /* At most one match per row: share the stream's vectors, select
         * the joined rows, gather the table's columns in place. */
        uint32_t *rows = sp_arena_alloc(scratch, ((size_t)live + 1) * 4);
        if (!rows) return sp_err_set(err, SP_ENOMEM, "out of memory");
        uint32_t n = 0;
        bool unmatched = false;
        for (uint32_t k = 0; k < live; k++) {
            rows[n] = sp_batch_row(in, k);
            if (match[k] >= 0 || j->left_outer) {
                unmatched |= match[k] < 0;
                match[n++] = match[k];
            }
        }
        memcpy(out->cols, in->cols, nl * sizeof(sp_vec));
        out->n_rows = in->n_rows;
        if (j->left_outer) {
            out->sel = in->sel;
            out->n_sel = in->n_sel;
        } else {
            out->sel = rows;
            out->n_sel = n;
        }
        for (uint32_t c = 0; c < nr; c++) {
            int k = j->left_outer ? -1 : key_alias(j, c, kv);
            if (k >= 0) { /* a joined row's table key is its stream key */
                out->cols[nl + c] = kv[k];
                continue;
            }
            if (gather(&out->cols[nl + c], &t->rows.cols[c], in->n_rows, rows,
                       match, n, unmatched, scratch))
                return sp_err_set(err, SP_ENOMEM, "out of memory");
        }
        return 0;
    }

    /* Pairs (stream row, table row or -1), then every column gathered. */
    uint32_t cap = live + 16, n = 0;
    uint32_t *lrow = sp_arena_alloc(scratch, cap * sizeof *lrow);
    int64_t *rrow = sp_arena_alloc(scratch, cap * sizeof *rrow);
    if (!lrow || !rrow) return sp_err_set(err, SP_ENOMEM, "out of memory");
    bool unmatched = false;
    for (uint32_t k = 0; k < live; k++) {
        int64_t m = match[k];
        if (m < 0 && !j->left_outer) continue;
        unmatched |= m < 0;
        do {
            if (n == cap) {
                uint32_t nc = cap * 2;
                uint32_t *l2 = sp_arena_alloc(scratch, nc * sizeof *l2);
                int64_t *r2 = sp_arena_alloc(scratch, nc * sizeof *r2);
                if (!l2 || !r2)
                    return sp_err_set(err, SP_ENOMEM, "out of memory");
                memcpy(l2, lrow, n * sizeof *l2);
                memcpy(r2, rrow, n * sizeof *r2);
                lrow = l2;
                rrow = r2;
                cap = nc;
            }
            lrow[n] = sp_batch_row(in, k);
            rrow[n] = m;
            n++;
            m = m >= 0 ? t->next[m] : -1;
        } while (m >= 0);
    }
    out->n_rows = n;
    out->sel = NULL;
    out->n_sel = 0;
    int64_t *lfrom = sp_arena_alloc(scratch, ((size_t)n + 1) * sizeof *lfrom);
    if (!lfrom) return sp_err_set(err, SP_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) lfrom[i] = lrow[i];
    for (uint32_t c = 0; c < nl + nr; c++) {
        bool left = c < nl;
        if (gather(&out->cols[c], left ? &in->cols[c] : &t->rows.cols[c - nl],
                   n, NULL, left ? lfrom : rrow, n, !left && unmatched,
                   scratch))
            return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    return 0;
}
