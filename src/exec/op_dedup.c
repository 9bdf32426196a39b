/*
 * op_dedup.c -- streaming deduplication (Spark's dropDuplicates), behind
 * the stateful operator entry points of agg.h (spec->dedup).
 *
 * Split stage: each live row's key is encoded; a row whose key was already
 * seen in the split is dropped at once (the first in input order wins); a
 * new one is appended, with its output columns encoded, to the buffer of
 * its state partition (hash % P).
 * Partition stage: the splits' buffers are read in split order, so the
 * first row of a key in the batch's input order is the one that reaches the
 * state first. A row whose key is in state is a duplicate; a row whose
 * event-time key is <= the watermark is late and dropped (counted); any
 * other row is emitted and its key put in state. Then, with a watermark,
 * keys whose event time is <= it are evicted.
 */
#include "exec/agg.h"

#include "exec/codec.h"
#include "exec/dedupInt.h"
#include "state/state.h"

#include <string.h>

int sp_dedup_partial_init(sp_dedup_rows *d, int parts)
{
    d->n = parts;
    d->bufs = sp_calloc((size_t)parts, sizeof *d->bufs);
    if (!d->bufs) return SP_ENOMEM;
    for (int i = 0; i < parts; i++) sp_buf_init(&d->bufs[i]);
    return 0;
}

void sp_dedup_partial_free(sp_dedup_rows *d)
{
    for (int i = 0; d->bufs && i < d->n; i++) sp_buf_free(&d->bufs[i]);
    sp_free(d->bufs);
    d->bufs = NULL;
}

int sp_dedup_partial_add(const sp_agg_spec *s, sp_htab *seen, sp_dedup_rows *d,
                         sp_buf *key, const sp_batch *b, sp_arena *scratch,
                         sp_err *err)
{
    uint32_t live = sp_batch_live(b);
    if (live == 0) return 0;
    sp_vec *kv = sp_arena_alloc(scratch, (size_t)(s->n_keys + 1) * sizeof *kv);
    sp_vec *ov = sp_arena_alloc(scratch, (size_t)(s->n_out + 1) * sizeof *ov);
    if (!kv || !ov) return sp_err_set(err, SP_ENOMEM, "out of memory");
    for (int i = 0; i < s->n_keys; i++) {
        int rc = sp_expr_eval(s->keys[i], b, scratch, &kv[i], err);
        if (rc) return rc;
    }
    for (int i = 0; i < s->n_out; i++) {
        int rc = sp_expr_eval(s->out[i], b, scratch, &ov[i], err);
        if (rc) return rc;
    }
    sp_vec etv;
    if (s->within_wm) {
        int rc = sp_expr_eval(s->et_expr, b, scratch, &etv, err);
        if (rc) return rc;
    }
    for (uint32_t k = 0; k < live; k++) {
        uint32_t r = sp_batch_row(b, k);
        key->len = 0;
        for (int c = 0; c < s->n_keys; c++)
            if (sp_codec_put(key, &kv[c], r, s->key_types[c]))
                return sp_err_set(err, SP_ENOMEM, "out of memory");
        const char *kd = key->data ? key->data : "";
        uint64_t h = sp_hash_key(kd, key->len, SP_STATE_HASH_SEED);
        bool is_new;
        if (!sp_htab_upsert(seen, kd, (uint32_t)key->len, h, &is_new))
            return sp_err_set(err, SP_ENOMEM, "out of memory");
        if (!is_new) continue; /* a duplicate inside the split */
        sp_buf *out = &d->bufs[h % (uint64_t)d->n];
        uint32_t kl = (uint32_t)key->len;
        size_t at = out->len;
        int64_t et = INT64_MIN;
        if (s->within_wm && !sp_vec_is_null(&etv, r)) et = etv.d.i64[r];
        if (sp_buf_append(out, &h, 8) || sp_buf_append(out, &kl, 4) ||
            sp_buf_append(out, kd, kl) ||
            (s->within_wm && sp_buf_append(out, &et, 8)) ||
            sp_buf_append(out, &kl, 4))
            return sp_err_set(err, SP_ENOMEM, "out of memory");
        size_t row_at = out->len;
        for (int c = 0; c < s->n_out; c++)
            if (sp_codec_put(out, &ov[c], r, s->out_schema.fields[c].type))
                return sp_err_set(err, SP_ENOMEM, "out of memory");
        uint32_t rl = (uint32_t)(out->len - row_at);
        memcpy(out->data + at + 12 + kl + (s->within_wm ? 8 : 0), &rl,
               4); /* the row's length */
    }
    return 0;
}

static int64_t et_of(const sp_agg_spec *s, const unsigned char *k)
{
    for (int i = 0; i < s->et_key; i++) k = sp_codec_skip(k, s->key_types[i]);
    if (*k++ != 0) return INT64_MIN;
    int64_t v;
    memcpy(&v, k, 8);
    return v;
}

#define CHUNK 4096

static int emit_rows(const sp_agg_spec *s, const unsigned char **rows,
                     uint32_t n, sp_arena *a, sp_agg_emit_fn emit, void *ud,
                     sp_err *err)
{
    uint32_t nc = s->out_schema.n_fields;
    sp_batch b = {.n_rows = n, .n_cols = nc, .arena = a};
    b.cols = sp_arena_zalloc(a, (nc + 1) * sizeof(sp_vec));
    if (!b.cols) return sp_err_set(err, SP_ENOMEM, "out of memory");
    for (uint32_t c = 0; c < nc; c++)
        if (sp_vec_alloc(&b.cols[c], s->out_schema.fields[c].type, n, true, a))
            return sp_err_set(err, SP_ENOMEM, "out of memory");
    for (uint32_t r = 0; r < n; r++) {
        const unsigned char *p = rows[r];
        for (uint32_t c = 0; c < nc; c++)
            sp_codec_get(&p, s->out_schema.fields[c].type, &b.cols[c], r);
    }
    int rc = emit(ud, &b, err);
    sp_arena_reset(a);
    return rc;
}

int sp_dedup_partition_run(const sp_agg_spec *s, sp_state *store, int p,
                           sp_dedup_rows **parts, int n_parts,
                           int64_t watermark_us, sp_agg_emit_fn emit, void *ud,
                           sp_agg_stats *st, sp_err *err)
{
    bool use_wm = (s->et_key >= 0 || s->within_wm) && watermark_us != INT64_MIN;
    sp_arena *a = sp_arena_create(1 << 16);
    const unsigned char **rows = sp_malloc(CHUNK * sizeof *rows);
    int rc = (!a || !rows) ? sp_err_set(err, SP_ENOMEM, "out of memory") : 0;
    uint32_t n = 0;
    for (int i = 0; i < n_parts && !rc; i++) {
        const sp_buf *bf = &parts[i]->bufs[p];
        size_t off = 0;
        while (off < bf->len && !rc) {
            const unsigned char *q = (const unsigned char *)bf->data + off + 8;
            uint32_t kl, rl;
            memcpy(&kl, q, 4);
            const unsigned char *key = q + 4;
            int64_t et = INT64_MIN;
            size_t ew = s->within_wm ? 8 : 0;
            if (ew) memcpy(&et, key + kl, 8);
            memcpy(&rl, key + kl + ew, 4);
            const unsigned char *row = key + kl + ew + 4;
            off += 8 + 4 + kl + ew + 4 + rl;
            int64_t t = s->within_wm ? et : use_wm ? et_of(s, key) : 0;
            if (use_wm && t != INT64_MIN && t <= watermark_us) {
                st->rows_dropped_late++;
                continue;
            }
            const void *v;
            size_t vl;
            if (sp_state_get(store, key, kl, &v, &vl)) continue;
            /* within the watermark: the key expires at its first row's
             * event time plus the delay (in ms, as Spark); else kept */
            int64_t expires = !s->within_wm || et == INT64_MIN
                                  ? INT64_MAX
                                  : (et / 1000 + s->wm_delay_us / 1000) * 1000;
            if (sp_state_put(store, key, kl, &expires, 8)) {
                rc = sp_err_set(err, SP_ENOMEM,
                                "out of memory in the state "
                                "store");
                break;
            }
            st->rows_updated++;
            rows[n++] = row;
            if (n == CHUNK) {
                st->rows_out += n;
                rc = emit_rows(s, rows, n, a, emit, ud, err);
                n = 0;
            }
        }
    }
    if (!rc && n) {
        st->rows_out += n;
        rc = emit_rows(s, rows, n, a, emit, ud, err);
    }
    if (!rc && use_wm) {
        /* evict keys the watermark has passed */
        sp_buf evict;
        sp_buf_init(&evict);
        sp_state_iter it;
        sp_state_iter_init(&it, store);
        const void *k;
        size_t kl, vl;
        void *v;
        while (sp_state_iter_next(&it, &k, &kl, &v, &vl)) {
            int64_t t;
            if (s->within_wm) {
                memcpy(&t, v, 8);
            } else {
                t = et_of(s, k);
            }
            if (t <= watermark_us) {
                uint32_t l32 = (uint32_t)kl;
                if (sp_buf_append(&evict, &l32, 4) ||
                    sp_buf_append(&evict, k, kl)) {
                    rc = sp_err_set(err, SP_ENOMEM, "out of memory");
                    break;
                }
            }
        }
        for (size_t off = 0; !rc && off < evict.len;) {
            uint32_t l32;
            memcpy(&l32, evict.data + off, 4);
            sp_state_remove(store, evict.data + off + 4, l32);
            st->rows_removed++;
            off += 4 + l32;
        }
        sp_buf_free(&evict);
    }
    sp_state_metrics m;
    sp_state_get_metrics(store, &m);
    st->rows_total += m.n_keys;
    st->memory_bytes += m.memory_bytes;
    sp_free(rows);
    if (a) sp_arena_destroy(a);
    return rc;
}
