/*
 * op_session.c -- session windows: merging a batch's sessions into the
 * state of a partition.
 *
 * Spark's plan (AggUtils.planStreamingAggregationForSession, without local
 * merging, its default): each split aggregates rows per (keys, the row's
 * own session [ts, ts + gap)); the exchange partitions by the keys without
 * the session; late partial groups (session end <= watermark) are dropped
 * and counted (SessionWindowStateStoreRestoreExec, in every output mode);
 * the rest are sorted by session start together with the key's stored
 * sessions and merged while the next start <= the current end
 * (MergingSessionsExec: overlapping or touching sessions merge; the end is
 * the max of the ends); the key's sessions in the state are replaced.
 *
 * Here: the group key's bytes end with the session (the planner puts it
 * last), so the other keys are a prefix. A partial entry's value starts
 * with the prefix's hash (the exchange). A stored entry is (prefix +
 * session, states). Per batch and partition:
 *
 *   1. the partials' entries of this partition, late ones dropped, are
 *      grouped by prefix (a table of the batch's prefixes, each with its
 *      list of pieces);
 *   2. one scan of the store adds every stored session whose prefix is in
 *      that table (a stored entry's prefix is its key minus the session);
 *   3. per prefix: pieces sorted by (start, stored before new, input order),
 *      swept into sessions; a session made of one stored piece alone is
 *      left untouched; any other is merged (in that order, so first/last
 *      follow event time, as Spark's sort does) into a working value,
 *      written under its (possibly new) key, and the stored pieces it
 *      absorbed under other keys are removed.
 *
 * The scan in step 2 is O(stored sessions) per batch with data, the same
 * order as the eviction scan the operator runs anyway; it needs no index
 * to keep in step with the store across restarts and re-runs.
 */
#include "exec/aggInt.h"

#include <stdlib.h>
#include <string.h>

typedef struct piece {
    int64_t start, end;
    uint8_t *val;             /* a partial's working value, or stored bytes */
    size_t vlen;              /* stored: value length */
    const unsigned char *key; /* the entry's key (prefix + session) */
    uint32_t klen;
    bool stored;
    uint32_t seq; /* order among equal starts: stored first, then input */
    struct piece *next;
} piece;

typedef struct prefix_list {
    piece *head, *tail;
    uint32_t n;
} prefix_list;

static void session_of(const unsigned char *k, uint32_t klen, int64_t *start,
                       int64_t *end)
{
    const unsigned char *w = k + klen - SP_SESSION_KEY_BYTES + 1;
    memcpy(start, w, 8);
    memcpy(end, w + 8, 8);
}

static int cmp_piece(const void *x, const void *y)
{
    const piece *a = *(const piece *const *)x, *b = *(const piece *const *)y;
    if (a->start != b->start) return a->start < b->start ? -1 : 1;
    if (a->stored != b->stored) return a->stored ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int add_piece(sp_htab *pt, sp_arena *a, const unsigned char *key,
                     uint32_t klen, uint64_t ph, uint8_t *val, size_t vlen,
                     bool stored, uint32_t seq)
{
    bool nw;
    sp_hentry *e =
        sp_htab_upsert(pt, key, klen - SP_SESSION_KEY_BYTES, ph, &nw);
    piece *pc = sp_arena_alloc(a, sizeof *pc);
    if (!e || !pc) return SP_ENOMEM;
    prefix_list *l = (prefix_list *)sp_hentry_val(e);
    session_of(key, klen, &pc->start, &pc->end);
    pc->val = val;
    pc->vlen = vlen;
    pc->key = key;
    pc->klen = klen;
    pc->stored = stored;
    pc->seq = seq;
    pc->next = NULL;
    if (l->tail)
        l->tail->next = pc;
    else
        l->head = pc;
    l->tail = pc;
    l->n++;
    return 0;
}

/* Merges pieces[0..n) (one session: start, end) into a working value and
 * writes it to the store; removes the absorbed stored entries. */
static int write_session(const sp_agg_spec *s, sp_state *store, piece **pcs,
                         uint32_t n, int64_t start, int64_t end, sp_buf *kb,
                         sp_buf *vb, uint8_t *work, uint8_t *tmp,
                         uint64_t *n_removed)
{
    uint64_t removed = 0;
    const piece *p0 = pcs[0];
    uint32_t plen = p0->klen - SP_SESSION_KEY_BYTES;
    kb->len = 0;
    unsigned char nb = 0;
    if (sp_buf_append(kb, p0->key, plen) || sp_buf_append(kb, &nb, 1) ||
        sp_buf_append(kb, &start, 8) || sp_buf_append(kb, &end, 8))
        return SP_ENOMEM;
    memset(work, 0, s->value_size);
    int rc = 0;
    for (uint32_t i = 0; i < n && !rc; i++) {
        if (pcs[i]->stored) {
            rc = sp_aggv_load(s->aggs, s->n_aggs, s->value_size, pcs[i]->val,
                              pcs[i]->vlen, tmp);
            if (!rc) {
                rc = sp_aggv_merge(s->aggs, s->n_aggs, work, tmp, true);
                sp_aggv_free(s->aggs, s->n_aggs, tmp);
            }
        } else {
            rc = sp_aggv_merge(s->aggs, s->n_aggs, work, pcs[i]->val, true);
        }
    }
    if (!rc) {
        memset(work, 0, SP_SESSION_RESERVED);
        size_t vl =
            sp_aggv_stored_size(s->aggs, s->n_aggs, s->value_size, work);
        vb->len = 0;
        rc = sp_buf_reserve(vb, vl);
        if (!rc) {
            sp_aggv_store(s->aggs, s->n_aggs, s->value_size, work,
                          (uint8_t *)vb->data);
            /* remove absorbed stored sessions first (their keys and values
             * are not read after this) */
            for (uint32_t i = 0; i < n; i++)
                if (pcs[i]->stored &&
                    !(pcs[i]->klen == kb->len &&
                      memcmp(pcs[i]->key, kb->data, kb->len) == 0))
                    removed +=
                        sp_state_remove(store, pcs[i]->key, pcs[i]->klen);
            rc = sp_state_put(store, kb->data, kb->len, vb->data, vl);
        }
    }
    *n_removed += removed;
    sp_aggv_free(s->aggs, s->n_aggs, work);
    return rc;
}

int sp_session_merge(const sp_agg_spec *s, sp_state *store, int p, int n_parts,
                     sp_htab **tabs, int n_tabs, int64_t watermark_us,
                     sp_agg_stats *st, sp_err *err)
{
    bool late_wm = s->et_key >= 0 && watermark_us != INT64_MIN;
    sp_htab pt; /* prefix -> prefix_list */
    if (sp_htab_init(&pt, sizeof(prefix_list)))
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    sp_arena *a = sp_arena_create(1 << 16);
    sp_buf kb, vb;
    sp_buf_init(&kb);
    sp_buf_init(&vb);
    uint8_t *work = sp_malloc(2 * (size_t)s->value_size + 16);
    piece **arr = NULL;
    int rc = a && work ? 0 : SP_ENOMEM;
    /* 1. this partition's new pieces */
    uint32_t seq = 0;
    for (int i = 0; i < n_tabs && !rc; i++) {
        sp_htab *t = tabs[i];
        for (size_t j = 0; j < t->n && !rc; j++) {
            sp_hentry *e = t->order[j];
            uint8_t *v = sp_hentry_val(e);
            uint64_t ph;
            memcpy(&ph, v, 8);
            if ((int)(ph % (uint64_t)n_parts) != p) continue;
            int64_t start, end;
            session_of(e->data, e->klen, &start, &end);
            if (late_wm && end <= watermark_us) {
                st->rows_dropped_late++;
                continue;
            }
            rc = add_piece(&pt, a, e->data, e->klen, ph, v, 0, false, seq++);
        }
    }
    /* 2. the stored sessions of those prefixes */
    if (!rc && pt.n) {
        sp_state_iter it;
        sp_state_iter_init(&it, store);
        const void *k;
        size_t kl, vl;
        void *v;
        uint32_t sseq = 0;
        while (!rc && sp_state_iter_next(&it, &k, &kl, &v, &vl)) {
            uint32_t plen = (uint32_t)kl - SP_SESSION_KEY_BYTES;
            uint64_t ph = sp_hash_key(k, plen, 0x5e55);
            if (!sp_htab_find(&pt, k, plen, ph)) continue;
            rc = add_piece(&pt, a, k, (uint32_t)kl, ph, v, vl, true, sseq++);
        }
    }
    /* 3. per prefix: sort, sweep, write */
    size_t cap = 0;
    for (size_t j = 0; j < pt.n && !rc; j++) {
        prefix_list *l = (prefix_list *)sp_hentry_val(pt.order[j]);
        if (l->n > cap) {
            cap = l->n;
            sp_free(arr);
            arr = sp_malloc(cap * sizeof *arr);
            if (!arr) {
                rc = SP_ENOMEM;
                break;
            }
        }
        uint32_t n = 0;
        for (piece *pc = l->head; pc; pc = pc->next) arr[n++] = pc;
        qsort(arr, n, sizeof *arr, cmp_piece);
        for (uint32_t i = 0; i < n && !rc;) {
            int64_t start = arr[i]->start, end = arr[i]->end;
            uint32_t j2 = i + 1;
            while (j2 < n && arr[j2]->start <= end) {
                if (arr[j2]->end > end) end = arr[j2]->end;
                j2++;
            }
            if (!(j2 - i == 1 && arr[i]->stored))
                rc = write_session(s, store, arr + i, j2 - i, start, end, &kb,
                                   &vb, work, work + s->value_size + 8,
                                   &st->rows_removed);
            i = j2;
        }
    }
    if (rc) sp_err_set(err, SP_ENOMEM, "out of memory");
    sp_free(arr);
    sp_free(work);
    sp_buf_free(&kb);
    sp_buf_free(&vb);
    if (a) sp_arena_destroy(a);
    sp_htab_free(&pt);
    return rc;
}
