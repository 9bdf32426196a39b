/*
 * state_file.c -- the state store's files: <v>.delta and <v>.snapshot.
 *
 * File format (little-endian):
 *
 *   header   "SPST" u16 format (1) u8 kind (1 delta, 2 snapshot) u8 0
 *            i64 version                                       16 bytes
 *   records  u8 op (1 put, 2 remove) u32 klen u32 vlen key value
 *   trailer  u64 record count, u32 CRC-32C of every byte before it
 *
 * Writing streams through a buffer into "<name>.tmp.<pid>", then fsync,
 * rename over <name>, fsync of the directory -- the protocol of
 * sp_os_write_atomic, streamed so a snapshot never sits in memory twice.
 *
 * Reading streams too and applies records as it goes; the CRC is checked at
 * the end and any problem fails the whole load (the caller discards the
 * half-built map), so damaged data never reaches a store. Every length is
 * checked against the file's size before anything is read or allocated.
 *
 * Loading version v: the newest <s>.snapshot with s <= v (s = -1, the empty
 * map, if none), then <s+1>.delta .. <v>.delta in order; a missing delta is
 * SP_ENOTFOUND naming it. Files above v and "*.tmp.*" files are ignored.
 * Commit of v first removes a stale <v>.snapshot (left by an earlier run of
 * the same batch) so a snapshot always agrees with the deltas before it.
 */
#define _GNU_SOURCE
#include "state/stateInt.h"

#include "os/os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SF_MAGIC    "SPST"
#define SF_FORMAT   1
#define SF_DELTA    1
#define SF_SNAPSHOT 2
#define SF_PUT      1
#define SF_REMOVE   2
#define SF_HDR      16
#define SF_REC      9
#define SF_TRAILER  12
#define SF_BUF      ((size_t)1 << 20)
#define SF_PATH     4200
#define SF_TMP_MARK ".tmp."

static const char *kind_name(int kind)
{
    return kind == SF_DELTA ? "delta" : "snapshot";
}

static void file_path(char *buf, const char *dir, int64_t v, int kind)
{
    snprintf(buf, SF_PATH, "%s/%lld.%s", dir, (long long)v, kind_name(kind));
}

static int io_code(int e)
{
    return (e == ENOSPC || e == EDQUOT) ? SP_ENOSPC : SP_EIO;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* ------------------------------------------------------------------------
 * Writer
 * ---------------------------------------------------------------------- */

typedef struct sf_writer {
    int fd;                 /* the temporary file, -1 when closed */
    char path[SF_PATH];     /* final name */
    char tmp[SF_PATH + 32]; /* "<path>.tmp.<pid>" */
    unsigned char *buf;     /* SF_BUF bytes */
    size_t len;             /* bytes buffered */
    uint32_t crc;           /* over everything written so far */
    uint64_t count;         /* records */
    uint64_t bytes;         /* bytes written or buffered */
} sf_writer;

static int w_write(sf_writer *w, const void *p, size_t n, sp_err *err)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(w->fd, c, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return sp_err_sys(err, io_code(errno), errno, "cannot write %s",
                              w->path);
        }
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

static int w_flush(sf_writer *w, sp_err *err)
{
    int rc = w->len ? w_write(w, w->buf, w->len, err) : 0;
    w->len = 0;
    return rc;
}

static int w_bytes(sf_writer *w, const void *p, size_t n, sp_err *err)
{
    if (n == 0) return 0;
    w->crc = sp_crc32c(w->crc, p, n);
    w->bytes += n;
    if (w->len + n > SF_BUF) {
        if (w_flush(w, err)) return err->code;
        if (n >= SF_BUF) return w_write(w, p, n, err);
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
    return 0;
}

static void w_cancel(sf_writer *w)
{
    if (w->fd >= 0) {
        close(w->fd);
        unlink(w->tmp);
        w->fd = -1;
    }
    sp_free(w->buf);
    w->buf = NULL;
}

static int w_open(sf_writer *w, const char *dir, int64_t v, int kind,
                  sp_err *err)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    file_path(w->path, dir, v, kind);
    snprintf(w->tmp, sizeof w->tmp, "%s" SF_TMP_MARK "%d", w->path,
             (int)getpid());
    w->buf = sp_malloc(SF_BUF);
    if (!w->buf)
        return sp_err_set(err, SP_ENOMEM, "out of memory writing %s", w->path);
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int e = errno;
        sp_free(w->buf);
        w->buf = NULL;
        return sp_err_sys(err, io_code(e), e, "cannot create %s", w->tmp);
    }
    unsigned char h[SF_HDR];
    memcpy(h, SF_MAGIC, 4);
    h[4] = SF_FORMAT & 0xff;
    h[5] = SF_FORMAT >> 8;
    h[6] = (unsigned char)kind;
    h[7] = 0;
    put_u64(h + 8, (uint64_t)v);
    if (w_bytes(w, h, sizeof h, err)) {
        w_cancel(w);
        return err->code;
    }
    return 0;
}

static int w_rec(sf_writer *w, int op, const void *key, uint32_t klen,
                 const void *val, uint32_t vlen, sp_err *err)
{
    unsigned char h[SF_REC];
    h[0] = (unsigned char)op;
    put_u32(h + 1, klen);
    put_u32(h + 5, vlen);
    if (w_bytes(w, h, sizeof h, err) || w_bytes(w, key, klen, err) ||
        w_bytes(w, val, vlen, err))
        return err->code;
    w->count++;
    return 0;
}

/* Trailer, flush, fsync, rename, fsync of the directory. Closes w in all
 * cases. */
static int w_finish(sf_writer *w, const char *dir, sp_err *err)
{
    unsigned char t[SF_TRAILER];
    put_u64(t, w->count);
    int rc = w_bytes(w, t, 8, err);
    if (!rc) {
        put_u32(t + 8, w->crc);
        rc = w_bytes(w, t + 8, 4, err);
    }
    if (!rc) rc = w_flush(w, err);
    if (!rc && fsync(w->fd) != 0)
        rc = sp_err_sys(err, io_code(errno), errno, "cannot flush %s", w->path);
    if (rc) {
        w_cancel(w);
        return rc;
    }
    int fd = w->fd;
    w->fd = -1;
    sp_free(w->buf);
    w->buf = NULL;
    if (close(fd) != 0) {
        int e = errno;
        unlink(w->tmp);
        return sp_err_sys(err, io_code(e), e, "cannot close %s", w->path);
    }
    if (strstr(w->path, ".snapshot")) sp_crash_point("during_snapshot", -1);
    if (rename(w->tmp, w->path) != 0) {
        int e = errno;
        unlink(w->tmp);
        return sp_err_sys(err, io_code(e), e, "cannot rename %s to %s", w->tmp,
                          w->path);
    }
    return sp_os_fsync_dir(dir, err);
}

/* ------------------------------------------------------------------------
 * Reader
 * ---------------------------------------------------------------------- */

typedef struct sf_reader {
    int fd;
    const char *path;
    unsigned char *buf; /* cap bytes; valid bytes are buf[beg, end) */
    size_t cap, beg, end;
    uint64_t off;  /* file offset of buf[beg] */
    uint64_t size; /* file size */
    uint32_t crc;  /* over the bytes consumed */
} sf_reader;

static int sf_corrupt(sp_err *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int sf_corrupt(sp_err *err, const char *path, const char *fmt, ...)
{
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    sp_err_set(err, SP_ECORRUPT, "state file %s is damaged: %s", path, why);
    sp_err_hint(err, "the file is damaged; restore it from a backup, or start "
                     "over with 'spate run --reset-checkpoint'");
    return SP_ECORRUPT;
}

/* Makes n bytes available at *p and consumes them (they count in the CRC).
 * The caller has checked that the file holds them. */
static int r_take(sf_reader *r, size_t n, const unsigned char **p, sp_err *err)
{
    if (r->end - r->beg < n) {
        size_t have = r->end - r->beg;
        if (n > r->cap) {
            size_t nc = r->cap;
            while (nc < n) nc *= 2;
            unsigned char *nb = sp_malloc(nc);
            if (!nb)
                return sp_err_set(err, SP_ENOMEM, "out of memory reading %s",
                                  r->path);
            memcpy(nb, r->buf + r->beg, have);
            sp_free(r->buf);
            r->buf = nb;
            r->cap = nc;
        } else if (have) {
            memmove(r->buf, r->buf + r->beg, have);
        }
        r->beg = 0;
        r->end = have;
        while (r->end < n) {
            ssize_t k = read(r->fd, r->buf + r->end, r->cap - r->end);
            if (k < 0) {
                if (errno == EINTR) continue;
                return sp_err_sys(err, SP_EIO, errno, "cannot read %s",
                                  r->path);
            }
            if (k == 0)
                return sf_corrupt(err, r->path,
                                  "the file ended early at offset %llu (it "
                                  "changed while being read)",
                                  (unsigned long long)(r->off + r->end));
            r->end += (size_t)k;
        }
    }
    *p = r->buf + r->beg;
    r->crc = sp_crc32c(r->crc, *p, n);
    r->beg += n;
    r->off += n;
    return 0;
}

/* Loads one file into st: puts and removes applied in order. */
static int load_file(sp_state *st, int64_t v, int kind, sp_err *err)
{
    char path[SF_PATH];
    file_path(path, st->dir, v, kind);
    sf_reader r;
    memset(&r, 0, sizeof r);
    r.path = path;
    r.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r.fd < 0) {
        if (errno == ENOENT)
            return sp_err_set(err, SP_ENOTFOUND, "state file %s is missing",
                              path);
        return sp_err_sys(err, SP_EIO, errno, "cannot open %s", path);
    }
    int rc = 0;
    struct stat sb;
    if (fstat(r.fd, &sb) != 0) {
        rc = sp_err_sys(err, SP_EIO, errno, "cannot stat %s", path);
        goto cleanup;
    }
    r.size = (uint64_t)sb.st_size;
    if (r.size < SF_HDR + SF_TRAILER) {
        rc = sf_corrupt(err, path,
                        r.size == 0 ? "the file is empty"
                                    : "the file is truncated (%llu bytes, "
                                      "shorter than a header and trailer)",
                        (unsigned long long)r.size);
        goto cleanup;
    }
    r.cap = r.size < SF_BUF ? (size_t)r.size : SF_BUF;
    r.buf = sp_malloc(r.cap);
    if (!r.buf) {
        rc = sp_err_set(err, SP_ENOMEM, "out of memory reading %s", path);
        goto cleanup;
    }
    if (kind == SF_SNAPSHOT) {
        /* Presize the map from the (not yet verified) count, bounded by
         * what the file can hold. */
        unsigned char t[8];
        if (pread(r.fd, t, 8, (off_t)(r.size - SF_TRAILER)) == 8) {
            uint64_t n = get_u64(t);
            uint64_t most = (r.size - SF_HDR - SF_TRAILER) / SF_REC;
            st_reserve(st, (size_t)(n < most ? n : most));
        }
    }
    const unsigned char *p;
    if ((rc = r_take(&r, SF_HDR, &p, err))) goto cleanup;
    if (memcmp(p, SF_MAGIC, 4) != 0) {
        rc = sf_corrupt(err, path, "it does not start with the SPST magic");
        goto cleanup;
    }
    unsigned fmt = (unsigned)p[4] | (unsigned)p[5] << 8;
    if (fmt != SF_FORMAT) {
        rc = sf_corrupt(err, path,
                        "it has format version %u, this spate reads "
                        "version %d",
                        fmt, SF_FORMAT);
        goto cleanup;
    }
    if (p[6] != kind) {
        rc = sf_corrupt(err, path, "its header says kind %u, expected %d (%s)",
                        (unsigned)p[6], kind, kind_name(kind));
        goto cleanup;
    }
    int64_t hv = (int64_t)get_u64(p + 8);
    if (hv != v) {
        rc = sf_corrupt(err, path, "it holds version %lld, not %lld",
                        (long long)hv, (long long)v);
        goto cleanup;
    }
    uint64_t body_end = r.size - SF_TRAILER, n = 0;
    while (r.off < body_end) {
        uint64_t at = r.off;
        if (body_end - at < SF_REC) {
            rc = sf_corrupt(err, path,
                            "record %llu at offset %llu is cut off "
                            "(truncated file?)",
                            (unsigned long long)n, (unsigned long long)at);
            goto cleanup;
        }
        if ((rc = r_take(&r, SF_REC, &p, err))) goto cleanup;
        unsigned op = p[0];
        uint32_t klen = get_u32(p + 1), vlen = get_u32(p + 5);
        if ((op != SF_PUT && op != SF_REMOVE) ||
            (op == SF_REMOVE && (kind == SF_SNAPSHOT || vlen != 0))) {
            rc = sf_corrupt(err, path,
                            "record %llu at offset %llu has a bad type %u",
                            (unsigned long long)n, (unsigned long long)at, op);
            goto cleanup;
        }
        if (klen > ST_MAX_KLEN ||
            (uint64_t)klen + vlen > body_end - at - SF_REC) {
            rc = sf_corrupt(err, path,
                            "record %llu at offset %llu runs past the end of "
                            "the records (truncated file?)",
                            (unsigned long long)n, (unsigned long long)at);
            goto cleanup;
        }
        if ((rc = r_take(&r, (size_t)klen + vlen, &p, err))) goto cleanup;
        if (op == SF_PUT) {
            if (st_load_put(st, p, klen, p + klen, vlen)) {
                rc = sp_err_set(err, SP_ENOMEM, "out of memory loading %s",
                                path);
                goto cleanup;
            }
        } else {
            st_load_remove(st, p, klen);
        }
        n++;
    }
    if ((rc = r_take(&r, 8, &p, err))) goto cleanup;
    uint64_t count = get_u64(p);
    uint32_t crc = r.crc;
    if ((rc = r_take(&r, 4, &p, err))) goto cleanup;
    if (get_u32(p) != crc) {
        rc = sf_corrupt(err, path, "the checksum does not match the content");
        goto cleanup;
    }
    if (count != n) {
        rc =
            sf_corrupt(err, path, "the trailer counts %llu records, found %llu",
                       (unsigned long long)count, (unsigned long long)n);
        goto cleanup;
    }
cleanup:
    sp_free(r.buf);
    close(r.fd);
    return rc;
}

/* ------------------------------------------------------------------------
 * Directory listing
 * ---------------------------------------------------------------------- */

enum { SF_NAME_OTHER, SF_NAME_DELTA, SF_NAME_SNAPSHOT, SF_NAME_TMP };

/* Classifies a file name: "<digits>.delta", "<digits>.snapshot", a
 * temporary file, or something else. */
static int parse_name(const char *nm, int64_t *v)
{
    if (strstr(nm, SF_TMP_MARK)) return SF_NAME_TMP;
    if (nm[0] < '0' || nm[0] > '9') return SF_NAME_OTHER;
    char *e;
    errno = 0;
    long long x = strtoll(nm, &e, 10);
    if (errno || x < 0) return SF_NAME_OTHER;
    *v = x;
    if (strcmp(e, ".delta") == 0) return SF_NAME_DELTA;
    if (strcmp(e, ".snapshot") == 0) return SF_NAME_SNAPSHOT;
    return SF_NAME_OTHER;
}

typedef struct sf_list {
    int64_t *snaps, *deltas; /* ascending */
    size_t n_snaps, n_deltas;
    sp_names names; /* the raw listing */
} sf_list;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void list_free(sf_list *l)
{
    sp_free(l->snaps);
    sp_free(l->deltas);
    sp_os_names_free(&l->names);
}

static int list_files(const char *dir, sf_list *l, sp_err *err)
{
    memset(l, 0, sizeof *l);
    int rc = sp_os_list_dir(dir, true, &l->names, err);
    if (rc) return rc;
    size_t n = l->names.n ? l->names.n : 1;
    l->snaps = sp_malloc(n * sizeof *l->snaps);
    l->deltas = sp_malloc(n * sizeof *l->deltas);
    if (!l->snaps || !l->deltas) {
        list_free(l);
        return sp_err_set(err, SP_ENOMEM, "out of memory listing %s", dir);
    }
    for (size_t i = 0; i < l->names.n; i++) {
        int64_t v = 0;
        switch (parse_name(l->names.names[i], &v)) {
        case SF_NAME_DELTA:
            l->deltas[l->n_deltas++] = v;
            break;
        case SF_NAME_SNAPSHOT:
            l->snaps[l->n_snaps++] = v;
            break;
        default:
            break;
        }
    }
    qsort(l->snaps, l->n_snaps, sizeof *l->snaps, cmp_i64);
    qsort(l->deltas, l->n_deltas, sizeof *l->deltas, cmp_i64);
    return 0;
}

static bool has(const int64_t *a, size_t n, int64_t v)
{
    return bsearch(&v, a, n, sizeof *a, cmp_i64) != NULL;
}

/* The newest snapshot at or below v, or -1. */
static int64_t newest_snap(const sf_list *l, int64_t v)
{
    int64_t s = -1;
    for (size_t i = 0; i < l->n_snaps && l->snaps[i] <= v; i++) s = l->snaps[i];
    return s;
}

/* ------------------------------------------------------------------------
 * Load, commit, maintain
 * ---------------------------------------------------------------------- */

int st_load(sp_state *st, int64_t version, sp_err *err)
{
    sf_list l;
    int rc = list_files(st->dir, &l, err);
    if (rc) return rc;
    int64_t s = newest_snap(&l, version);
    for (int64_t d = s + 1; d <= version; d++) {
        if (has(l.deltas, l.n_deltas, d)) continue;
        char path[SF_PATH];
        file_path(path, st->dir, d, SF_DELTA);
        sp_err_set(err, SP_ENOTFOUND,
                   "cannot load version %lld of the state in %s: %s is "
                   "missing",
                   (long long)version, st->dir, path);
        if (l.n_deltas || l.n_snaps)
            sp_err_detail(err,
                          "loading version %lld needs the newest snapshot at "
                          "or below it and every delta after that; present: "
                          "%zu snapshot(s) (newest at or below: %lld), deltas "
                          "%lld..%lld",
                          (long long)version, l.n_snaps, (long long)s,
                          l.n_deltas ? (long long)l.deltas[0] : -1LL,
                          l.n_deltas ? (long long)l.deltas[l.n_deltas - 1]
                                     : -1LL);
        else
            sp_err_detail(err, "the directory holds no state files");
        sp_err_hint(err, "maintenance keeps only the newest keep_versions "
                         "versions loadable; if files were removed by hand, "
                         "restore them or start over with 'spate run "
                         "--reset-checkpoint'");
        list_free(&l);
        return SP_ENOTFOUND;
    }
    list_free(&l);
    if (s >= 0 && (rc = load_file(st, s, SF_SNAPSHOT, err))) return rc;
    for (int64_t d = s + 1; d <= version; d++)
        if ((rc = load_file(st, d, SF_DELTA, err))) return rc;
    return 0;
}

int st_write_delta(sp_state *st, int64_t version, sp_err *err)
{
    char snap[SF_PATH];
    file_path(snap, st->dir, version, SF_SNAPSHOT);
    if (unlink(snap) == 0) {
        /* A snapshot of an earlier run of this batch: it must not outlive
         * the delta that replaces its history. */
        if (sp_os_fsync_dir(st->dir, err)) return err->code;
    } else if (errno != ENOENT) {
        return sp_err_sys(err, SP_EIO, errno, "cannot remove stale %s", snap);
    }
    sf_writer w;
    if (w_open(&w, st->dir, version, SF_DELTA, err)) return err->code;
    int rc = 0;
    const char *rp = st->removed.data;
    const char *rend = rp ? rp + st->removed.len : rp;
    while (rp < rend) {
        uint32_t kl;
        memcpy(&kl, rp, sizeof kl);
        rp += sizeof kl;
        if ((rc = w_rec(&w, SF_REMOVE, rp, kl, NULL, 0, err))) break;
        rp += kl;
    }
    /* Puts: clear each dirty bit as it is written (dedupes the list); on
     * failure every listed live slot is dirty again (each was before). */
    for (size_t i = 0; !rc && i < st->n_dirty; i++) {
        /* the slots are all over the table, and after a rehash (which
         * lists them in slot order) so are their entries: fetch slots 16
         * ahead, and entries 8 ahead (their slots have arrived) */
        if (i + 16 < st->n_dirty)
            __builtin_prefetch(&st->slots[st->dirty[i + 16]]);
        if (i + 8 < st->n_dirty) {
            const st_slot *ps = &st->slots[st->dirty[i + 8]];
            if (ps->ref > ST_REF_TOMB)
                __builtin_prefetch(st_ptr(&st->heap, ps->ref));
        }
        st_slot *s = &st->slots[st->dirty[i]];
        if (s->ref <= ST_REF_TOMB || !(s->tag & ST_TAG_DIRTY)) continue;
        st_entry *e = (st_entry *)st_ptr(&st->heap, s->ref);
        rc = w_rec(&w, SF_PUT, st_key(e), st_klen(e), st_val(e), e->vlen, err);
        s->tag &= ~ST_TAG_DIRTY;
        e->klen |= ST_COMMITTED;
    }
    uint64_t bytes = w.bytes + SF_TRAILER;
    if (rc)
        w_cancel(&w);
    else
        rc = w_finish(&w, st->dir, err);
    if (rc) {
        for (size_t i = 0; i < st->n_dirty; i++) {
            st_slot *s = &st->slots[st->dirty[i]];
            if (s->ref > ST_REF_TOMB) s->tag |= ST_TAG_DIRTY;
        }
        return rc;
    }
    st->last_commit = bytes;
    return 0;
}

int st_write_snapshot(sp_state *st, sp_err *err)
{
    sf_writer w;
    if (w_open(&w, st->dir, st->version, SF_SNAPSHOT, err)) return err->code;
    for (size_t i = 0; i < st->cap; i++) {
        st_slot *s = &st->slots[i];
        if (s->ref <= ST_REF_TOMB) continue;
        st_entry *e = (st_entry *)st_ptr(&st->heap, s->ref);
        if (w_rec(&w, SF_PUT, st_key(e), st_klen(e), st_val(e), e->vlen, err)) {
            w_cancel(&w);
            return err->code;
        }
    }
    return w_finish(&w, st->dir, err);
}

static int remove_file(const char *dir, const char *name, sp_err *err)
{
    char path[SF_PATH];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (unlink(path) != 0 && errno != ENOENT)
        return sp_err_sys(err, SP_EIO, errno, "cannot remove %s", path);
    return 0;
}

int st_maintain_files(sp_state *st, bool may_snapshot, sp_err *err)
{
    int64_t v = st->version;
    if (v < 0) return 0;
    sf_list l;
    int rc = list_files(st->dir, &l, err);
    if (rc) return rc;
    bool have_snap = has(l.snaps, l.n_snaps, v);
    if (may_snapshot && v > 0 && v % st->opts.snapshot_interval == 0 &&
        !have_snap) {
        if ((rc = st_write_snapshot(st, err))) goto cleanup;
        have_snap = true;
    }
    /* Versions lo..v must stay loadable: keep the newest snapshot at or
     * below lo and every delta after it. */
    int64_t lo = v - st->opts.keep_versions + 1;
    int64_t s = newest_snap(&l, lo);
    for (size_t i = 0; i < l.names.n; i++) {
        const char *nm = l.names.names[i];
        int64_t x = -1;
        int kind = parse_name(nm, &x);
        bool drop = (kind == SF_NAME_TMP) ||
                    (s >= 0 && kind == SF_NAME_SNAPSHOT && x < s) ||
                    (s >= 0 && kind == SF_NAME_DELTA && x <= s);
        if (drop && (rc = remove_file(st->dir, nm, err))) goto cleanup;
    }
cleanup:
    list_free(&l);
    return rc;
}
