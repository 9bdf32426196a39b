/*
 * htab.h -- a hash table of byte keys to fixed-size byte values in an
 * arena, for per-split partial aggregation. Open addressing over entry
 * pointers with stored hashes; entries never move; no deletes (the table
 * lives for one batch).
 */
#ifndef SP_EXEC_HTAB_H
#define SP_EXEC_HTAB_H

#include "core/core.h"

typedef struct sp_hentry {
    uint64_t hash;
    uint32_t klen;
    uint32_t pad;
    /* key bytes, then the value at an 8-byte aligned offset */
    unsigned char data[];
} sp_hentry;

/* A slot keeps the entry's hash beside its pointer, so a probe reads the
 * entry only when the hash matches (one cache miss instead of two). */
typedef struct sp_hslot {
    uint64_t hash;
    sp_hentry *e; /* NULL = empty */
} sp_hslot;

typedef struct sp_htab {
    sp_arena *arena;
    sp_hslot *slots;
    size_t cap, n;
    uint32_t vlen;
    /* insertion order, for deterministic iteration */
    sp_hentry **order;
    size_t order_cap;
} sp_htab;

static inline unsigned char *sp_hentry_val(const sp_hentry *e)
{
    return (unsigned char *)e->data + ((e->klen + 7) & ~7u);
}

/* Hints for a lookup of `hash` coming soon: the slot first; a few keys
 * later (the slot is cached by then) the entry it points at. Batched
 * callers issue these some rows ahead, so that the cache misses of many
 * probes overlap instead of following one another. */
static inline void sp_htab_prefetch(const sp_htab *t, uint64_t hash)
{
    __builtin_prefetch(&t->slots[hash & (t->cap - 1)]);
}
static inline void sp_htab_prefetch_entry(const sp_htab *t, uint64_t hash)
{
    const sp_hslot *s = &t->slots[hash & (t->cap - 1)];
    if (s->e && s->hash == hash) __builtin_prefetch(s->e);
}

int sp_htab_init(sp_htab *t, uint32_t vlen);
void sp_htab_free(sp_htab *t);
/* Finds or inserts; a new entry's value is zeroed and *is_new set. NULL on
 * OOM. */
sp_hentry *sp_htab_upsert(sp_htab *t, const void *key, uint32_t klen,
                          uint64_t hash, bool *is_new);

/* Looks a key up without inserting; NULL if absent. Safe from several
 * threads at once when nothing inserts. */
sp_hentry *sp_htab_find(const sp_htab *t, const void *key, uint32_t klen,
                        uint64_t hash);
#endif
