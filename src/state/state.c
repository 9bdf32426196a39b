/*
 * state.c -- the state store's in-memory map and its public calls.
 *
 * The map is an open-addressing hash table of 8-byte slots pointing into a
 * heap of bump-allocated blocks that hold each entry's key and value inline
 * (layout and invariants in stateInt.h and README.md). Files -- deltas,
 * snapshots, loading, cleanup -- are in state_file.c.
 *
 * Invariants:
 *   - every live slot's ref points to an entry whose key hashes to the
 *     slot's tag; live + tombstones <= 3/4 of the slots;
 *   - a slot has the dirty bit iff its entry changed since the last commit;
 *     every such slot is listed in `dirty`; n_updated counts them;
 *   - an entry has the committed bit if its key may exist in the committed
 *     version (set when loaded or written by a commit); removing such a key
 *     records it in `removed`;
 *   - entries move only on put with a larger value (relocation, the old
 *     copy becomes garbage) and in st_tidy (compaction, at commit and load
 *     only), so upsert pointers stay valid until the next change.
 */
#include "state/stateInt.h"

#include "os/os.h"

#include <string.h>

#define ST_NONE    ((size_t)-1)
#define ST_MIN_CAP 16

static const char st_nokey[1] = {0};

void sp_state_opts_default(sp_state_opts *o)
{
    o->snapshot_interval = 10;
    o->keep_versions = 100; /* Spark's minBatchesToRetain */
}

/* ------------------------------------------------------------------------
 * Heap of entry blocks
 * ---------------------------------------------------------------------- */

static int heap_chunks(st_heap *h, uint32_t n)
{
    if (h->cap_chunks == 0) {
        h->chunks = sp_calloc(16, sizeof *h->chunks);
        h->own = sp_calloc(16, sizeof *h->own);
        if (!h->chunks || !h->own) {
            sp_free(h->chunks);
            sp_free(h->own);
            h->chunks = NULL;
            h->own = NULL;
            return SP_ENOMEM;
        }
        h->cap_chunks = 16;
        h->n_chunks = 1; /* index 0 is never used: refs 0 and 1 are free */
    }
    if ((uint64_t)h->n_chunks + n > ST_MAX_CHUNKS) return SP_ENOMEM;
    if (h->n_chunks + n <= h->cap_chunks) return 0;
    uint32_t nc = h->cap_chunks;
    while (nc < h->n_chunks + n) nc *= 2;
    if (nc > ST_MAX_CHUNKS) nc = ST_MAX_CHUNKS;
    char **c = sp_realloc(h->chunks, nc * sizeof *c);
    if (!c) return SP_ENOMEM;
    h->chunks = c;
    size_t *o = sp_realloc(h->own, nc * sizeof *o);
    if (!o) return SP_ENOMEM;
    h->own = o;
    h->cap_chunks = nc;
    return 0;
}

/* Returns the ref of `size` fresh bytes (size a multiple of 8), or 0 on
 * OOM. */
static uint32_t heap_alloc(st_heap *h, size_t size)
{
    if (h->cur && size <= h->cur_cap - h->cur_used) {
        uint32_t ref = (h->cur << ST_OFF_BITS) | (uint32_t)(h->cur_used >> 3);
        h->cur_used += size;
        h->used += size;
        return ref;
    }
    if (size > ST_BIG_ENTRY) {
        size_t n = (size + ST_CHUNK_SIZE - 1) >> ST_CHUNK_SHIFT;
        if (n >= ST_MAX_CHUNKS || heap_chunks(h, (uint32_t)n)) return 0;
        char *p = sp_malloc(size);
        if (!p) return 0;
        uint32_t idx = h->n_chunks;
        for (size_t j = 0; j < n; j++) {
            h->chunks[idx + j] = p + j * ST_CHUNK_SIZE;
            h->own[idx + j] = j ? 0 : size;
        }
        h->n_chunks += (uint32_t)n;
        h->bytes += size;
        h->used += size;
        return idx << ST_OFF_BITS;
    }
    if (heap_chunks(h, 1)) return 0;
    size_t bs = h->next_block ? h->next_block : ST_FIRST_BLOCK;
    while (bs < size) bs *= 2;
    char *p = sp_malloc(bs);
    if (!p) return 0;
    uint32_t idx = h->n_chunks++;
    h->chunks[idx] = p;
    h->own[idx] = bs;
    h->cur = idx;
    h->cur_cap = bs;
    h->cur_used = size;
    h->bytes += bs;
    h->used += size;
    h->next_block = bs < ST_CHUNK_SIZE ? bs * 2 : ST_CHUNK_SIZE;
    return idx << ST_OFF_BITS;
}

static void heap_free(st_heap *h)
{
    for (uint32_t i = 1; i < h->n_chunks; i++)
        if (h->own[i]) sp_free(h->chunks[i]);
    sp_free(h->chunks);
    sp_free(h->own);
    memset(h, 0, sizeof *h);
}

/* ------------------------------------------------------------------------
 * Table
 * ---------------------------------------------------------------------- */

/* The table's 31 hash bits: the top of sp_state_hash, so that a caller
 * partitioning keys by the low bits of the same hash (the exchange) still
 * spreads them over the whole table. */
static inline uint32_t st_tag_hash(uint64_t h64)
{
    return (uint32_t)(h64 >> 33);
}

uint64_t sp_state_hash(const void *key, size_t klen)
{
    return sp_hash_key(key ? key : st_nokey, klen, SP_STATE_HASH_SEED);
}

static inline uint32_t st_hash(const void *key, size_t klen)
{
    return st_tag_hash(sp_state_hash(key, klen));
}

void sp_state_prefetch(const sp_state *st, uint64_t h64)
{
    __builtin_prefetch(&st->slots[st_tag_hash(h64) & (st->cap - 1)]);
}

void sp_state_prefetch_entry(const sp_state *st, uint64_t h64)
{
    uint32_t h = st_tag_hash(h64);
    st_slot s = st->slots[h & (st->cap - 1)];
    if (s.ref > ST_REF_TOMB && (s.tag >> 1) == h)
        __builtin_prefetch(st_ptr(&st->heap, s.ref));
}

static inline st_entry *slot_entry(const sp_state *st, size_t pos)
{
    return (st_entry *)st_ptr(&st->heap, st->slots[pos].ref);
}

/* Finds key: its slot, or ST_NONE and (if ins) the slot to insert at. */
static size_t st_find(const sp_state *st, const void *key, size_t klen,
                      uint32_t h, size_t *ins)
{
    size_t mask = st->cap - 1, pos = h & mask, tomb = ST_NONE;
    for (;;) {
        const st_slot *s = &st->slots[pos];
        if (s->ref == ST_REF_EMPTY) {
            if (ins) *ins = tomb != ST_NONE ? tomb : pos;
            return ST_NONE;
        }
        if (s->ref == ST_REF_TOMB) {
            if (tomb == ST_NONE) tomb = pos;
        } else if ((s->tag >> 1) == h) {
            st_entry *e = (st_entry *)st_ptr(&st->heap, s->ref);
            if (st_klen(e) == klen && sp_equal_short(st_key(e), key, klen))
                return pos;
        }
        pos = (pos + 1) & mask;
    }
}

/* The table size for n entries: at most half full after a rehash. */
static size_t cap_for(size_t n)
{
    size_t c = ST_MIN_CAP;
    while (c / 2 < n) c *= 2;
    return c;
}

/* Rebuilds the table with `newcap` slots, dropping tombstones and
 * rebuilding the dirty list (slot indices change). */
static int st_rehash(sp_state *st, size_t newcap)
{
    if (newcap > ((size_t)1 << 31)) return SP_ENOMEM;
    st_slot *ns = sp_calloc(newcap, sizeof *ns);
    if (!ns) return SP_ENOMEM;
    size_t dcap = st->n_updated ? st->n_updated + st->n_updated / 2 : 0;
    uint32_t *nd = NULL;
    if (dcap) {
        nd = sp_malloc(dcap * sizeof *nd);
        if (!nd) {
            sp_free(ns);
            return SP_ENOMEM;
        }
    }
    size_t mask = newcap - 1, nn = 0;
    for (size_t i = 0; i < st->cap; i++) {
        st_slot s = st->slots[i];
        if (s.ref <= ST_REF_TOMB) continue;
        size_t pos = (s.tag >> 1) & mask;
        while (ns[pos].ref != ST_REF_EMPTY) pos = (pos + 1) & mask;
        ns[pos] = s;
        if (s.tag & ST_TAG_DIRTY) nd[nn++] = (uint32_t)pos;
    }
    SP_ASSERT(nn == st->n_updated);
    sp_free(st->slots);
    sp_free(st->dirty);
    st->slots = ns;
    st->cap = newcap;
    st->n_tomb = 0;
    st->dirty = nd;
    st->n_dirty = nn;
    st->dirty_relisted = false;
    st->cap_dirty = dcap;
    return 0;
}

/* Room for one more dirty slot index. */
static int st_dirty_room(sp_state *st)
{
    if (st->n_dirty < st->cap_dirty) return 0;
    size_t nc = st->cap_dirty ? st->cap_dirty * 2 : 64;
    uint32_t *d = sp_realloc(st->dirty, nc * sizeof *d);
    if (!d) return SP_ENOMEM;
    st->dirty = d;
    st->cap_dirty = nc;
    return 0;
}

/* Marks the entry at pos changed. */
static int st_mark(sp_state *st, size_t pos)
{
    st_slot *s = &st->slots[pos];
    if (s->tag & ST_TAG_DIRTY) return 0;
    if (st_dirty_room(st)) return SP_ENOMEM;
    st->dirty[st->n_dirty++] = (uint32_t)pos;
    s->tag |= ST_TAG_DIRTY;
    st->n_updated++;
    return 0;
}

/* Finds the slot for a new key (growing the table if needed). *pos gets
 * the slot; ST_NONE on OOM. */
static size_t st_insert_slot(sp_state *st, const void *key, size_t klen,
                             uint32_t h, size_t ins)
{
    if (st->slots[ins].ref == ST_REF_TOMB) return ins;
    if ((st->n_live + st->n_tomb + 1) * 4 <= st->cap * 3) return ins;
    if (st_rehash(st, cap_for(st->n_live + 1))) return ST_NONE;
    size_t pos = st_find(st, key, klen, h, &ins);
    SP_ASSERT(pos == ST_NONE);
    return ins;
}

/* Creates an entry for a new key at slot `pos` (from st_insert_slot);
 * the value is copied from val, or zeroed when val is NULL. Returns the
 * entry or NULL on OOM (the table unchanged). */
static st_entry *st_new_entry(sp_state *st, size_t pos, uint32_t h,
                              const void *key, size_t klen, const void *val,
                              size_t vlen, bool dirty, bool committed)
{
    if (dirty && st_dirty_room(st)) return NULL;
    size_t size = st_entry_size(klen, vlen);
    uint32_t ref = heap_alloc(&st->heap, size);
    if (!ref) return NULL;
    st_entry *e = (st_entry *)st_ptr(&st->heap, ref);
    e->klen = (uint32_t)klen | (committed ? ST_COMMITTED : 0);
    e->vlen = (uint32_t)vlen;
    char *k = st_key(e);
    size_t kr = st_round8(klen);
    if (klen) memcpy(k, key, klen);
    memset(k + klen, 0, kr - klen);
    char *v = k + kr;
    if (val && vlen) {
        memcpy(v, val, vlen);
        memset(v + vlen, 0, st_round8(vlen) - vlen);
    } else {
        memset(v, 0, st_round8(vlen));
    }
    st_slot *s = &st->slots[pos];
    if (s->ref == ST_REF_TOMB) st->n_tomb--;
    s->tag = h << 1;
    s->ref = ref;
    st->n_live++;
    if (dirty) {
        st->dirty[st->n_dirty++] = (uint32_t)pos;
        s->tag |= ST_TAG_DIRTY;
        st->n_updated++;
    }
    return e;
}

/* Replaces the value of the entry at pos (relocating it if it grows).
 * 0 or SP_ENOMEM (entry unchanged). `val` may point into the store. */
static int st_set_value(sp_state *st, size_t pos, const void *val, size_t vlen)
{
    st_entry *e = slot_entry(st, pos);
    size_t klen = st_klen(e);
    size_t old = st_entry_size(klen, e->vlen), size = st_entry_size(klen, vlen);
    if (size <= old) {
        char *v = st_val(e);
        if (vlen) memmove(v, val, vlen);
        memset(v + vlen, 0, st_round8(vlen) - vlen);
        e->vlen = (uint32_t)vlen;
        st->heap.garbage += old - size;
        return 0;
    }
    uint32_t ref = heap_alloc(&st->heap, size);
    if (!ref) return SP_ENOMEM;
    st_entry *ne = (st_entry *)st_ptr(&st->heap, ref);
    memcpy(ne, e, sizeof *e + st_round8(klen));
    ne->vlen = (uint32_t)vlen;
    char *v = st_val(ne);
    memcpy(v, val, vlen); /* the old copy stays intact until now */
    memset(v + vlen, 0, st_round8(vlen) - vlen);
    st->slots[pos].ref = ref;
    st->heap.garbage += old;
    return 0;
}

/* Empties slot pos. A slot followed by an empty one becomes empty too (no
 * probe sequence can pass through it); otherwise a tombstone. */
static void st_kill(sp_state *st, size_t pos)
{
    st_entry *e = slot_entry(st, pos);
    st->heap.garbage += st_entry_size(st_klen(e), e->vlen);
    st_slot *s = &st->slots[pos];
    if (s->tag & ST_TAG_DIRTY) {
        st->n_updated--;
        st->dirty_relisted = true; /* pos stays listed; may be again */
    }
    s->tag = 0;
    if (st->slots[(pos + 1) & (st->cap - 1)].ref == ST_REF_EMPTY) {
        s->ref = ST_REF_EMPTY;
    } else {
        s->ref = ST_REF_TOMB;
        st->n_tomb++;
    }
    st->n_live--;
}

/* Copies every live entry into a fresh heap, freeing the garbage. */
static int st_compact(sp_state *st)
{
    st_heap nh;
    memset(&nh, 0, sizeof nh);
    size_t live = st->heap.used - st->heap.garbage;
    nh.next_block = ST_FIRST_BLOCK;
    while (nh.next_block < live && nh.next_block < ST_CHUNK_SIZE)
        nh.next_block *= 2;
    uint32_t *refs = sp_malloc((st->n_live ? st->n_live : 1) * sizeof *refs);
    if (!refs) return SP_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < st->cap; i++) {
        if (st->slots[i].ref <= ST_REF_TOMB) continue;
        st_entry *e = slot_entry(st, i);
        size_t size = st_entry_size(st_klen(e), e->vlen);
        uint32_t r = heap_alloc(&nh, size);
        if (!r) {
            heap_free(&nh);
            sp_free(refs);
            return SP_ENOMEM;
        }
        memcpy(st_ptr(&nh, r), e, size);
        refs[k++] = r;
    }
    k = 0;
    for (size_t i = 0; i < st->cap; i++)
        if (st->slots[i].ref > ST_REF_TOMB) st->slots[i].ref = refs[k++];
    sp_free(refs);
    heap_free(&st->heap);
    st->heap = nh;
    return 0;
}

/* ------------------------------------------------------------------------
 * Internal calls for state_file.c
 * ---------------------------------------------------------------------- */

sp_state *st_new(const char *dir, const sp_state_opts *o)
{
    sp_state *st = sp_calloc(1, sizeof *st);
    if (!st) return NULL;
    st->dir = sp_strdup(dir);
    st->slots = sp_calloc(ST_MIN_CAP, sizeof *st->slots);
    if (!st->dir || !st->slots) {
        sp_free(st->dir);
        sp_free(st->slots);
        sp_free(st);
        return NULL;
    }
    st->cap = ST_MIN_CAP;
    if (o)
        st->opts = *o;
    else
        sp_state_opts_default(&st->opts);
    if (st->opts.snapshot_interval < 1) st->opts.snapshot_interval = 1;
    if (st->opts.keep_versions < 2) st->opts.keep_versions = 2;
    st->version = -1;
    sp_buf_init(&st->removed);
    return st;
}

void st_clear(sp_state *st)
{
    sp_free(st->slots);
    st->slots = NULL;
    st->cap = 0;
    heap_free(&st->heap);
    sp_free(st->dirty);
    st->dirty = NULL;
    st->n_dirty = st->cap_dirty = 0;
    sp_buf_free(&st->removed);
    st->n_live = st->n_tomb = st->n_updated = st->n_removed = 0;
    st->oom = false;
}

void st_adopt(sp_state *dst, sp_state *src)
{
    st_clear(dst);
    dst->slots = src->slots;
    dst->cap = src->cap;
    dst->n_live = src->n_live;
    dst->n_tomb = src->n_tomb;
    dst->heap = src->heap;
    dst->dirty = src->dirty;
    dst->n_dirty = src->n_dirty;
    dst->cap_dirty = src->cap_dirty;
    dst->n_updated = src->n_updated;
    dst->removed = src->removed;
    dst->n_removed = src->n_removed;
    dst->oom = src->oom;
    sp_free(src->dir);
    sp_free(src);
}

int st_load_put(sp_state *st, const void *key, size_t klen, const void *val,
                size_t vlen)
{
    uint32_t h = st_hash(key, klen);
    size_t ins;
    size_t pos = st_find(st, key, klen, h, &ins);
    if (pos != ST_NONE) return st_set_value(st, pos, val, vlen);
    pos = st_insert_slot(st, key, klen, h, ins);
    if (pos == ST_NONE) return SP_ENOMEM;
    return st_new_entry(st, pos, h, key, klen, val, vlen, false, true)
               ? 0
               : SP_ENOMEM;
}

void st_load_remove(sp_state *st, const void *key, size_t klen)
{
    size_t pos = st_find(st, key, klen, st_hash(key, klen), NULL);
    if (pos != ST_NONE) st_kill(st, pos);
}

void st_reserve(sp_state *st, size_t n)
{
    if (st->n_live + n > st->cap / 2) {
        if (st_rehash(st, cap_for(st->n_live + n))) return;
    }
    if (n > 4096) st->heap.next_block = ST_CHUNK_SIZE;
}

void st_tidy(sp_state *st)
{
    size_t want = cap_for(st->n_live);
    if (st->n_tomb * 4 > st->cap || (want * 4 < st->cap && st->cap > 64))
        (void)st_rehash(st, want);
    st_heap *h = &st->heap;
    if (h->garbage >= 65536 && h->garbage * 2 > h->used) (void)st_compact(st);
}

/* ------------------------------------------------------------------------
 * Public calls
 * ---------------------------------------------------------------------- */

int sp_state_open(const char *dir, int64_t version, const sp_state_opts *o,
                  sp_state **out, sp_err *err)
{
    *out = NULL;
    if (version < -1)
        return sp_err_set(err, SP_EINVAL,
                          "cannot open the state in %s at version %lld: "
                          "versions start at -1 (empty)",
                          dir, (long long)version);
    if (sp_os_mkdirs(dir, err)) return err->code;
    sp_state *st = st_new(dir, o);
    if (!st)
        return sp_err_set(err, SP_ENOMEM,
                          "out of memory opening the state "
                          "in %s",
                          dir);
    if (version >= 0) {
        int rc = st_load(st, version, err);
        if (rc) {
            sp_state_close(st);
            return rc;
        }
        st->version = version;
        st_tidy(st);
    }
    *out = st;
    return 0;
}

void sp_state_close(sp_state *st)
{
    if (!st) return;
    st_clear(st);
    sp_free(st->dir);
    sp_free(st);
}

int64_t sp_state_version(const sp_state *st)
{
    return st->version;
}

bool sp_state_get(sp_state *st, const void *key, size_t klen, const void **val,
                  size_t *vlen)
{
    size_t pos = st_find(st, key, klen, st_hash(key, klen), NULL);
    if (pos == ST_NONE) return false;
    st_entry *e = slot_entry(st, pos);
    *val = st_val(e);
    *vlen = e->vlen;
    return true;
}

void *sp_state_upsert(sp_state *st, const void *key, size_t klen, size_t vlen,
                      bool *is_new)
{
    return sp_state_upsert_h(st, key, klen, sp_state_hash(key, klen), vlen,
                             is_new);
}

void *sp_state_upsert_h(sp_state *st, const void *key, size_t klen,
                        uint64_t hash, size_t vlen, bool *is_new)
{
    if (klen > ST_MAX_KLEN || vlen > UINT32_MAX) return NULL;
    uint32_t h = st_tag_hash(hash);
    size_t ins;
    size_t pos = st_find(st, key, klen, h, &ins);
    if (pos != ST_NONE) {
        if (st_mark(st, pos)) return NULL;
        if (is_new) *is_new = false;
        return st_val(slot_entry(st, pos));
    }
    pos = st_insert_slot(st, key, klen, h, ins);
    if (pos == ST_NONE) return NULL;
    st_entry *e = st_new_entry(st, pos, h, key, klen, NULL, vlen, true, false);
    if (!e) return NULL;
    if (is_new) *is_new = true;
    return st_val(e);
}

int sp_state_put(sp_state *st, const void *key, size_t klen, const void *val,
                 size_t vlen)
{
    if (klen > ST_MAX_KLEN || vlen > UINT32_MAX) return SP_EINVAL;
    uint32_t h = st_hash(key, klen);
    size_t ins;
    size_t pos = st_find(st, key, klen, h, &ins);
    if (pos != ST_NONE) {
        if (st_mark(st, pos)) return SP_ENOMEM;
        return st_set_value(st, pos, val, vlen);
    }
    pos = st_insert_slot(st, key, klen, h, ins);
    if (pos == ST_NONE) return SP_ENOMEM;
    return st_new_entry(st, pos, h, key, klen, val, vlen, true, false)
               ? 0
               : SP_ENOMEM;
}

bool sp_state_remove(sp_state *st, const void *key, size_t klen)
{
    size_t pos = st_find(st, key, klen, st_hash(key, klen), NULL);
    if (pos == ST_NONE) return false;
    st_entry *e = slot_entry(st, pos);
    if (e->klen & ST_COMMITTED) {
        uint32_t kl = st_klen(e);
        /* A failure here is sticky: commit refuses, abort clears it. */
        if (sp_buf_append(&st->removed, &kl, sizeof kl) ||
            sp_buf_append(&st->removed, st_key(e), kl))
            st->oom = true;
        else
            st->n_removed++;
    }
    st_kill(st, pos);
    return true;
}

void sp_state_iter_init(sp_state_iter *it, sp_state *st)
{
    it->st = st;
    it->pos = 0;
    it->i = 0;
    it->changed = false;
    it->scan = false;
}

void sp_state_iter_changed_init(sp_state_iter *it, sp_state *st)
{
    sp_state_iter_init(it, st);
    /* The dirty list names each changed slot once unless a dirty entry was
     * removed since the last commit (its slot may be listed again); then a
     * scan of the slots' dirty bits is the exact answer. */
    it->changed = true;
    it->scan = st->dirty_relisted;
}

/* The next slot to visit, or false at the end. */
static bool iter_step(sp_state_iter *it, size_t *out)
{
    sp_state *st = it->st;
    if (!it->changed || it->scan) {
        while (it->pos < st->cap) {
            size_t pos = it->pos++;
            const st_slot *s = &st->slots[pos];
            if (s->ref <= ST_REF_TOMB) continue;
            if (it->changed && !(s->tag & ST_TAG_DIRTY)) continue;
            *out = pos;
            return true;
        }
        return false;
    }
    while (it->i < st->n_dirty) {
        size_t pos = st->dirty[it->i++];
        const st_slot *s = &st->slots[pos];
        if (s->ref <= ST_REF_TOMB || !(s->tag & ST_TAG_DIRTY)) continue;
        it->pos = pos + 1;
        *out = pos;
        return true;
    }
    return false;
}

bool sp_state_iter_next(sp_state_iter *it, const void **key, size_t *klen,
                        void **val, size_t *vlen)
{
    sp_state *st = it->st;
    size_t pos;
    while (iter_step(it, &pos)) {
        st_entry *e = slot_entry(st, pos);
        *key = st_key(e);
        *klen = st_klen(e);
        *val = st_val(e);
        *vlen = e->vlen;
        return true;
    }
    return false;
}

bool sp_state_iter_mark(sp_state_iter *it)
{
    sp_state *st = it->st;
    if (it->pos == 0) return false;
    size_t pos = it->pos - 1;
    if (pos >= st->cap || st->slots[pos].ref <= ST_REF_TOMB) return false;
    return st_mark(st, pos) == 0;
}

int sp_state_commit(sp_state *st, int64_t version, sp_err *err)
{
    if (version != st->version + 1)
        return sp_err_set(err, SP_EINVAL,
                          "cannot commit version %lld of the state in %s: it "
                          "holds version %lld, so the next is %lld",
                          (long long)version, st->dir, (long long)st->version,
                          (long long)st->version + 1);
    if (st->oom)
        return sp_err_set(err, SP_ENOMEM,
                          "cannot commit version %lld of the state in %s: a "
                          "change was lost for lack of memory",
                          (long long)version, st->dir);
    int rc = st_write_delta(st, version, err);
    if (rc) return rc;
    /* st_write_delta cleared the dirty bits and set the committed bits. */
    st->n_dirty = 0;
    st->n_updated = 0;
    st->dirty_relisted = false;
    if (st->cap_dirty > 65536) {
        sp_free(st->dirty);
        st->dirty = NULL;
        st->cap_dirty = 0;
    }
    if (st->removed.cap > ((size_t)1 << 20))
        sp_buf_free(&st->removed);
    else
        st->removed.len = 0;
    st->n_removed = 0;
    st->version = version;
    st_tidy(st);
    return 0;
}

int sp_state_abort(sp_state *st, sp_err *err)
{
    if (!st->oom && st->n_updated == 0 && st->n_removed == 0) return 0;
    sp_state *fresh = st_new(st->dir, &st->opts);
    if (!fresh)
        return sp_err_set(err, SP_ENOMEM,
                          "out of memory reloading the state in %s", st->dir);
    if (st->version >= 0) {
        int rc = st_load(fresh, st->version, err);
        if (rc) {
            sp_state_close(fresh);
            return rc;
        }
        st_tidy(fresh);
    }
    st_adopt(st, fresh);
    return 0;
}

int sp_state_maintain(sp_state *st, sp_err *err)
{
    bool clean = !st->oom && st->n_updated == 0 && st->n_removed == 0;
    return st_maintain_files(st, clean, err);
}

void sp_state_get_metrics(const sp_state *st, sp_state_metrics *m)
{
    m->n_keys = st->n_live;
    m->n_updated = st->n_updated;
    m->n_removed = st->n_removed;
    m->memory_bytes = sizeof *st + st->cap * sizeof(st_slot) + st->heap.bytes +
                      st->heap.cap_chunks * (sizeof(char *) + sizeof(size_t)) +
                      st->cap_dirty * sizeof(uint32_t) + st->removed.cap;
    m->last_commit_bytes = st->last_commit;
}
