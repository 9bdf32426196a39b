/*
 * stateInt.h -- internals of the state store shared by state.c (the map)
 * and state_file.c (delta and snapshot files). Not for other modules.
 *
 * Memory layout (see README.md for the figures):
 *
 *   table  open addressing with linear probing over 8-byte slots
 *          {tag, ref}. ref 0 = empty, ref 1 = tombstone (chunk 0 is never
 *          allocated, so no entry has those refs). tag = (31 hash bits << 1)
 *          | dirty bit; the home slot is (tag >> 1) & mask, so a rehash
 *          needs no entry access. Load (live + tombstones) <= 3/4.
 *   heap   entries live in blocks of at most 1 MiB, bump-allocated. A ref
 *          is (chunk index << 17) | (offset / 8): chunk i's base address is
 *          chunks[i]. An entry larger than 256 KiB gets an allocation of its
 *          own spanning ceil(size / 1 MiB) consecutive chunk indices.
 *   entry  {u32 klen | committed bit 31, u32 vlen, key, pad to 8, value,
 *          pad to 8}: the value is 8-byte aligned. Dead entries (removed or
 *          relocated) are garbage, counted and reclaimed by compaction
 *          (copy live entries into a fresh heap) when garbage exceeds half
 *          the heap.
 *   dirty  the dirty bit in the slot says "changed since the last commit";
 *          `dirty` lists the slot indices whose bit went 0 -> 1 (a slot may
 *          be listed twice if its entry was removed and another inserted
 *          there; the bit dedupes). The committed bit in the entry says
 *          "this key exists in the committed version", so removing a key
 *          that never reached a commit writes nothing. Removed committed
 *          keys are appended to `removed` as {u32 klen, key}.
 */
#ifndef SP_STATE_INT_H
#define SP_STATE_INT_H

#include "state/state.h"

#define ST_CHUNK_SHIFT 20 /* chunk stride: 1 MiB */
#define ST_CHUNK_SIZE  ((size_t)1 << ST_CHUNK_SHIFT)
#define ST_OFF_BITS    (ST_CHUNK_SHIFT - 3) /* offset bits in a ref */
#define ST_MAX_CHUNKS  ((uint32_t)1 << (32 - ST_OFF_BITS))
#define ST_BIG_ENTRY   (ST_CHUNK_SIZE / 4) /* own allocation above this */
#define ST_FIRST_BLOCK 4096                /* blocks grow 4 KiB .. 1 MiB */

#define ST_REF_EMPTY 0u
#define ST_REF_TOMB  1u
#define ST_TAG_DIRTY 1u
#define ST_COMMITTED 0x80000000u /* in st_entry.klen */
#define ST_MAX_KLEN  0x7fffffffu

typedef struct st_slot {
    uint32_t tag; /* hash bits << 1 | ST_TAG_DIRTY */
    uint32_t ref; /* entry reference, or ST_REF_EMPTY / ST_REF_TOMB */
} st_slot;

typedef struct st_entry {
    uint32_t klen; /* key length | ST_COMMITTED */
    uint32_t vlen; /* value length */
    /* key bytes, zero padding to 8, value bytes, zero padding to 8 */
} st_entry;

typedef struct st_heap {
    char **chunks;     /* chunk index -> base address (index 0 unused) */
    size_t *own;       /* chunk index -> bytes allocated at that base, 0 for
                          the tail chunks of a big entry */
    uint32_t n_chunks; /* chunk indices in use, including 0 */
    uint32_t cap_chunks;
    uint32_t cur;      /* chunk being filled, 0 = none yet */
    size_t cur_used;   /* bytes used in chunk `cur` */
    size_t cur_cap;    /* bytes in chunk `cur` */
    size_t next_block; /* size of the next small block */
    size_t bytes;      /* bytes allocated for blocks */
    size_t used;       /* bytes handed out (live + garbage) */
    size_t garbage;    /* bytes of dead entries */
} st_heap;

struct sp_state {
    char *dir;            /* store directory (heap) */
    sp_state_opts opts;   /* snapshot_interval >= 1, keep_versions >= 2 */
    int64_t version;      /* committed version held, -1 = empty */
    st_slot *slots;       /* cap slots */
    size_t cap;           /* power of two, >= 16 */
    size_t n_live;        /* entries */
    size_t n_tomb;        /* tombstone slots */
    st_heap heap;         /* entry storage */
    uint32_t *dirty;      /* slot indices made dirty since the last commit */
    size_t n_dirty;       /* used length of `dirty` */
    size_t cap_dirty;     /* allocated length of `dirty` */
    size_t n_updated;     /* live slots with the dirty bit */
    bool dirty_relisted;  /* a dirty slot was emptied since `dirty` was
                             last rebuilt: `dirty` may list a slot twice */
    sp_buf removed;       /* {u32 klen, key} of removed committed keys */
    size_t n_removed;     /* records in `removed` */
    uint64_t last_commit; /* bytes of the last delta written */
    bool oom;             /* a change could not be recorded: commit refuses
                             until abort reloads */
};

static inline size_t st_round8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}
static inline char *st_ptr(const st_heap *h, uint32_t ref)
{
    return h->chunks[ref >> ST_OFF_BITS] +
           ((size_t)(ref & ((1u << ST_OFF_BITS) - 1)) << 3);
}
static inline uint32_t st_klen(const st_entry *e)
{
    return e->klen & ~ST_COMMITTED;
}
static inline char *st_key(st_entry *e)
{
    return (char *)(e + 1);
}
static inline char *st_val(st_entry *e)
{
    return (char *)(e + 1) + st_round8(st_klen(e));
}
static inline size_t st_entry_size(size_t klen, size_t vlen)
{
    return sizeof(st_entry) + st_round8(klen) + st_round8(vlen);
}

/* ---- state.c: map operations used by loading and commit ---------------- */

/* An empty in-memory store (no files touched). NULL on OOM. */
sp_state *st_new(const char *dir, const sp_state_opts *o);
/* Frees the map (not `dir` or the struct). */
void st_clear(sp_state *st);
/* Loading: sets key to val as committed and clean. 0 or SP_ENOMEM. */
int st_load_put(sp_state *st, const void *key, size_t klen, const void *val,
                size_t vlen);
/* Loading: removes key without recording the removal. */
void st_load_remove(sp_state *st, const void *key, size_t klen);
/* Makes room for n entries without growing (a load hint). Best effort. */
void st_reserve(sp_state *st, size_t n);
/* Compacts the heap and drops tombstones when worthwhile. Best effort: on
 * OOM the store stays as it was. */
void st_tidy(sp_state *st);
/* Moves the map of `src` into `dst` (freeing dst's map) and frees src. */
void st_adopt(sp_state *dst, sp_state *src);

/* ---- state_file.c ------------------------------------------------------ */

/* Loads version `version` from st->dir into the empty map `st`. */
int st_load(sp_state *st, int64_t version, sp_err *err);
/* Writes <version>.delta from the dirty set and the removed keys. Does not
 * clear them (the caller does on success). */
int st_write_delta(sp_state *st, int64_t version, sp_err *err);
/* Writes <st->version>.snapshot from the whole map. */
int st_write_snapshot(sp_state *st, sp_err *err);
/* Snapshot if due; deletes files not needed for the newest keep_versions. */
int st_maintain_files(sp_state *st, bool may_snapshot, sp_err *err);

#endif /* SP_STATE_INT_H */
