/*
 * state.h -- the versioned state store of stateful operators.
 *
 * One store per (stateful operator, state partition), in its own directory
 * of the checkpoint (ckpt/<query>/state/<op>/<part>/). It is a hash map of
 * byte-string keys to byte-string values, kept in memory, versioned by
 * batch id:
 *
 *   - open(version v) loads exactly the state committed as version v: the
 *     newest snapshot at or below v, then the deltas after it, in order;
 *     version -1 is the empty store (a query's first batch);
 *   - the operator reads and changes entries during a batch;
 *   - commit(v + 1) writes <v+1>.delta (the puts and removes since the last
 *     commit) durably and atomically; abort() discards the batch's changes
 *     (the store reloads the last committed version).
 *   - maintenance folds the state into <v>.snapshot every
 *     `snapshot_interval` versions and deletes files no longer needed to
 *     load the newest `keep_versions` versions (at least 2).
 *
 * Files are checked: a header with a format version, records with lengths,
 * and a CRC-32C; a torn or damaged file is an SP_ECORRUPT error naming the
 * file, never silently read.
 *
 * Hot path: operators update fixed-size values in place through the pointer
 * sp_state_upsert returns (no per-row allocation, no copy); the store
 * remembers which entries changed so commit writes only those.
 */
#ifndef SP_STATE_H
#define SP_STATE_H

#include "core/core.h"

typedef struct sp_state sp_state;

typedef struct sp_state_opts {
    int snapshot_interval; /* versions between snapshots (default 10) */
    int keep_versions;     /* loadable versions kept on disk (>= 2) */
} sp_state_opts;

void sp_state_opts_default(sp_state_opts *o);

/* Opens the store in `dir` (created if missing) at committed `version`
 * (-1 = empty). SP_ECORRUPT if a needed file is damaged, SP_ENOTFOUND if
 * the version cannot be assembled from the files present. */
int sp_state_open(const char *dir, int64_t version, const sp_state_opts *o,
                  sp_state **out, sp_err *err);
void sp_state_close(sp_state *st);

/* The committed version the store holds (-1 = empty). */
int64_t sp_state_version(const sp_state *st);

/* Looks a key up. Returns true and sets *val and *vlen (borrowed until the
 * entry changes) if present. */
bool sp_state_get(sp_state *st, const void *key, size_t klen, const void **val,
                  size_t *vlen);

/* The hash the store uses for a key: sp_hash_key(key, klen,
 * SP_STATE_HASH_SEED). A caller that already has it (the aggregation
 * hashes its keys the same way) passes it to the *_h calls. */
#define SP_STATE_HASH_SEED 0x5eed
uint64_t sp_state_hash(const void *key, size_t klen);

/* Hints that the key with this hash will be looked up soon: the first
 * loads its table slot into the cache, the second (once the slot is
 * there) its entry. No effect on the contents. */
void sp_state_prefetch(const sp_state *st, uint64_t hash);
void sp_state_prefetch_entry(const sp_state *st, uint64_t hash);

/* Finds or inserts `key`. A new entry gets a zeroed value of `vlen` bytes
 * and *is_new = true. Returns a pointer to the value bytes (of the entry's
 * current length, which for an existing entry is its stored length), which
 * the caller may modify in place until the next call that changes the
 * store; the entry is marked changed. NULL on OOM.
 *
 * The pointer is 8-byte aligned. In this implementation it stays valid
 * longer than promised above: until this entry is removed or put with a
 * longer value, or the store is committed, aborted or closed -- inserting
 * other keys never moves entries, so an operator may upsert a whole batch
 * of keys first and update the values afterwards. is_new may be NULL. */
void *sp_state_upsert(sp_state *st, const void *key, size_t klen, size_t vlen,
                      bool *is_new);
/* The same with the key's sp_state_hash already computed. */
void *sp_state_upsert_h(sp_state *st, const void *key, size_t klen,
                        uint64_t hash, size_t vlen, bool *is_new);

/* Sets key to a copy of val (replacing any value). */
int sp_state_put(sp_state *st, const void *key, size_t klen, const void *val,
                 size_t vlen);

/* Removes key; returns true if it was present. */
bool sp_state_remove(sp_state *st, const void *key, size_t klen);

/* Iterates over all entries, in no particular order. Removing the entry
 * just returned is allowed; other changes during iteration are not.
 * (Here: removing any entry, upserting existing keys and putting values
 * no longer than the old ones are also safe; inserting a new key may
 * rehash and then entries may be skipped or seen twice.) key and val are
 * borrowed like sp_state_upsert's pointer; changing bytes through val is
 * not tracked unless sp_state_iter_mark is called. Usage:
 *     sp_state_iter it;
 *     sp_state_iter_init(&it, st);
 *     while (sp_state_iter_next(&it, &k, &kl, &v, &vl))
 *         if (expired(v)) sp_state_remove(st, k, kl);  */
typedef struct sp_state_iter {
    sp_state *st;
    size_t pos;   /* next slot (a scan), or one past the last returned */
    size_t i;     /* next index into the dirty list */
    bool changed; /* only entries changed since the last commit */
    bool scan;    /* changed: scan the slots instead of the dirty list */
} sp_state_iter;
void sp_state_iter_init(sp_state_iter *it, sp_state *st);
/* Iterates over the entries changed (upserted, put or marked) since the
 * last commit, each once, in about the order they first changed; the
 * cost is proportional to the changes, not to the store. Same rules as
 * sp_state_iter_init otherwise. */
void sp_state_iter_changed_init(sp_state_iter *it, sp_state *st);
bool sp_state_iter_next(sp_state_iter *it, const void **key, size_t *klen,
                        void **val, size_t *vlen);
/* Marks the entry sp_state_iter_next just returned as changed, so that
 * changes made in place through its `val` are committed. Returns false on
 * OOM (or if there is no such entry). Without it, in-place changes through
 * an iterator's `val` are NOT tracked: commit would not write them and
 * abort would not undo them. */
bool sp_state_iter_mark(sp_state_iter *it);

/* Writes the changes since the last commit as version `version` (must be
 * sp_state_version() + 1) durably. */
int sp_state_commit(sp_state *st, int64_t version, sp_err *err);
/* Drops uncommitted changes: the store again holds its committed version
 * (reloaded from the files when anything changed). On failure the store
 * keeps its uncommitted changes and should be closed. */
int sp_state_abort(sp_state *st, sp_err *err);
/* Writes a snapshot if due and deletes unneeded files; safe to call after
 * any commit (the runtime calls it off the batch's critical path).
 * Not thread-safe: it reads the in-memory map, so it must not run
 * concurrently with any other call on the same store; call it between a
 * commit and the next change. With uncommitted changes it skips the
 * snapshot (and still deletes files). */
int sp_state_maintain(sp_state *st, sp_err *err);

typedef struct sp_state_metrics {
    uint64_t n_keys;            /* entries held */
    uint64_t n_updated;         /* entries put/upserted since the last commit */
    uint64_t n_removed;         /* entries removed since the last commit */
    uint64_t memory_bytes;      /* bytes held by the map, keys and values */
    uint64_t last_commit_bytes; /* size of the last delta written */
} sp_state_metrics;
void sp_state_get_metrics(const sp_state *st, sp_state_metrics *m);

#endif /* SP_STATE_H */
