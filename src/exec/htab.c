/*
 * htab.c -- see htab.h.
 */
#include "exec/htab.h"

#include <string.h>

int sp_htab_init(sp_htab *t, uint32_t vlen)
{
    memset(t, 0, sizeof *t);
    t->arena = sp_arena_create(1 << 16);
    t->cap = 256;
    t->slots = sp_calloc(t->cap, sizeof *t->slots);
    t->vlen = vlen;
    if (!t->arena || !t->slots) {
        sp_htab_free(t);
        return SP_ENOMEM;
    }
    return 0;
}

void sp_htab_free(sp_htab *t)
{
    if (t->arena) sp_arena_destroy(t->arena);
    sp_free(t->slots);
    sp_free(t->order);
    memset(t, 0, sizeof *t);
}

static int grow(sp_htab *t)
{
    size_t cap = t->cap * 2;
    sp_hslot *s = sp_calloc(cap, sizeof *s);
    if (!s) return SP_ENOMEM;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].e) continue;
        size_t j = t->slots[i].hash & (cap - 1);
        while (s[j].e) j = (j + 1) & (cap - 1);
        s[j] = t->slots[i];
    }
    sp_free(t->slots);
    t->slots = s;
    t->cap = cap;
    return 0;
}

sp_hentry *sp_htab_upsert(sp_htab *t, const void *key, uint32_t klen,
                          uint64_t hash, bool *is_new)
{
    size_t mask = t->cap - 1, j = hash & mask;
    for (;;) {
        sp_hslot *sl = &t->slots[j];
        if (!sl->e) break;
        if (sl->hash == hash && sl->e->klen == klen &&
            sp_equal_short(sl->e->data, key, klen)) {
            *is_new = false;
            return sl->e;
        }
        j = (j + 1) & mask;
    }
    size_t koff = (klen + 7) & ~7u;
    sp_hentry *e = sp_arena_alloc(t->arena, sizeof *e + koff + t->vlen);
    if (!e) return NULL;
    e->hash = hash;
    e->klen = klen;
    sp_copy_short(e->data, key, klen);
    memset(e->data + koff, 0, t->vlen);
    t->slots[j].hash = hash;
    t->slots[j].e = e;
    if (t->n == t->order_cap) {
        size_t cap = t->order_cap ? t->order_cap * 2 : 256;
        sp_hentry **o = sp_realloc(t->order, cap * sizeof *o);
        if (!o) return NULL;
        t->order = o;
        t->order_cap = cap;
    }
    t->order[t->n++] = e;
    *is_new = true;
    if (t->n * 4 >= t->cap * 3 && grow(t) != 0) return NULL;
    return e;
}

sp_hentry *sp_htab_find(const sp_htab *t, const void *key, uint32_t klen,
                        uint64_t hash)
{
    size_t mask = t->cap - 1, j = hash & mask;
    for (;;) {
        const sp_hslot *sl = &t->slots[j];
        if (!sl->e) return NULL;
        if (sl->hash == hash && sl->e->klen == klen &&
            sp_equal_short(sl->e->data, key, klen))
            return sl->e;
        j = (j + 1) & mask;
    }
}
