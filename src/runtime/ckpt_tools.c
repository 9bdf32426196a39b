/*
 * ckpt_tools.c -- `spate checkpoint inspect` and `spate checkpoint check`:
 * describe a checkpoint, and validate every file in it against what
 * recovery (src/runtime/query.c, query_recover/query_open) will read.
 *
 * Both tools first build a model of each query directory (scan_query):
 *
 *     <q>/metadata          checked file "spate-metadata"
 *     <q>/offsets/<N>       checked file "spate-offsets"
 *     <q>/commits/<N>       checked file "spate-commit"
 *     <q>/sources/<i>/<N>   checked file "spate-file-source" (file source)
 *     <q>/sources/<i>/start checked file "spate-source-start" (rate, gen.)
 *     <q>/state/<op>/<p>/<v>.delta | <v>.snapshot   binary state files
 *
 * and then print it (inspect) or judge it (check). What recovery needs,
 * mirrored from the runtime:
 *
 *   L = newest offsets id, C = newest commits id.
 *   - metadata: read when present (its id).
 *   - offsets/L: always (the ranges and the watermark); older offsets are
 *     never read.
 *   - commits/L when C >= L (the next batch's watermark); then the next
 *     batch is L + 1 and the state opens at version L. Otherwise batch L is
 *     re-run and the state opens at L - 1. Older commits are never read.
 *   - every file-source log entry (the whole list is rebuilt at start),
 *     and a rate/generator source's start file.
 *   - per state partition: the newest snapshot s <= V and the deltas
 *     s+1..V. Older files and files above V are not read.
 *
 * The tools only read: nothing in the checkpoint is created, changed or
 * deleted (sp_state_open is called only on existing directories).
 */
#define _GNU_SOURCE
#include "spate.h"

#include "core/json.h"
#include "log/log.h"
#include "os/os.h"
#include "state/state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CK_DEFAULT_LAST 5

/* ---- the model ----------------------------------------------------------
 */

typedef struct ck_range {
    const char *name;
    int64_t start, end;
} ck_range;

/* One numbered file of offsets/, commits/ or a file-source log. */
typedef struct ck_ent {
    int64_t id;
    bool read;        /* verification attempted */
    bool ok;          /* verified and parsed */
    const char *path; /* arena */
    const char *why;  /* the reader's message when !ok */
    int64_t bytes;
    /* offsets */
    int64_t ts_us, wm_us, body_id;
    int n_in;
    ck_range *in;
    /* commits */
    int64_t next_wm_us;
    /* file-source log */
    int64_t first, n_files;
    const char *first_file, *last_file;
} ck_ent;

typedef struct ck_log {
    const char *dir;
    ck_ent *e; /* ascending id */
    size_t n;
} ck_log;

typedef struct ck_source {
    int index;
    const char *dir;
    ck_log log;             /* file source entries */
    int64_t n_files;        /* files in the ok entries */
    bool log_broken;        /* an entry does not continue the list */
    const char *broken_why; /* arena */
    bool has_start;
    ck_ent start; /* rate/generator start file */
    int64_t start_us;
} ck_source;

enum { SF_DELTA = 1, SF_SNAPSHOT = 2 };

typedef struct ck_sfile {
    int64_t version;
    int kind;
    const char *path;
    int64_t bytes;
    bool ok;
    const char *why;
    uint64_t records;
} ck_sfile;

typedef struct ck_part {
    int p;
    const char *dir;
    ck_sfile *f; /* ascending by (version, kind) */
    size_t n;
    int64_t bytes;
    bool open_tried, open_ok;
    const char *open_why, *open_hint;
    uint64_t keys, memory;
} ck_part;

typedef struct ck_op {
    int id;
    const char *dir;
    ck_part *parts;
    int n;
    int64_t bytes;
} ck_op;

typedef struct ck_query {
    const char *dir, *name;
    bool meta_present, meta_ok;
    const char *meta_why, *qid, *plan, *inputs, *shape;
    int plan_parts; /* state partitions (metadata), 0 = unknown */
    ck_log offs, commits;
    ck_source *src;
    int n_src;
    ck_op *ops;
    int n_ops;
    const char **tmp;
    int n_tmp, cap_tmp;
    const char **other; /* unexpected names */
    int n_other, cap_other;
    int64_t bytes;
    int n_files;
    /* recovery */
    int64_t L, C, next_batch, V;
    bool rerun;
} ck_query;

/* ---- small helpers -------------------------------------------------------
 */

static bool all_digits(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

static bool is_tmp(const char *name)
{
    return strstr(name, ".tmp") != NULL;
}

static int cmp_ent(const void *a, const void *b)
{
    int64_t x = ((const ck_ent *)a)->id, y = ((const ck_ent *)b)->id;
    return x < y ? -1 : x > y;
}

static int cmp_sfile(const void *a, const void *b)
{
    const ck_sfile *x = a, *y = b;
    if (x->version != y->version) return x->version < y->version ? -1 : 1;
    return x->kind - y->kind;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static void add_str(sp_arena *a, const char ***v, int *n, int *cap,
                    const char *s)
{
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        const char **nv = sp_arena_alloc(a, (size_t)nc * sizeof *nv);
        if (!nv) return;
        if (*n) memcpy(nv, *v, (size_t)*n * sizeof *nv);
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = sp_arena_strdup(a, s);
}

static const char *err_text(sp_arena *a, const sp_err *e)
{
    return sp_arena_strdup(a, e->msg[0] ? e->msg : sp_strerror(e->code));
}

static void fmt_ts(int64_t us, char *buf)
{
    if (us == INT64_MIN)
        snprintf(buf, 40, "none");
    else
        sp_ts_format_iso(us - us % 1000, buf);
}

static void fmt_bytes(int64_t b, char *buf, size_t n)
{
    if (b >= (int64_t)1 << 30)
        snprintf(buf, n, "%.1f GiB", (double)b / (1 << 30));
    else if (b >= 1 << 20)
        snprintf(buf, n, "%.1f MiB", (double)b / (1 << 20));
    else if (b >= 1 << 10)
        snprintf(buf, n, "%.1f KiB", (double)b / (1 << 10));
    else
        snprintf(buf, n, "%lld B", (long long)b);
}

static int64_t file_size(const char *path)
{
    int64_t s = sp_os_file_size(path);
    return s < 0 ? 0 : s;
}

/* Lists a numbered log directory (names that are whole numbers); other
 * names go to the query's temporary or unexpected lists. */
static int list_log(ck_query *q, sp_arena *a, const char *dir, ck_log *lg,
                    sp_err *err)
{
    memset(lg, 0, sizeof *lg);
    lg->dir = dir;
    if (!sp_os_is_dir(dir)) return 0;
    sp_names names;
    int rc = sp_os_list_dir(dir, true, &names, err);
    if (rc) return rc;
    lg->e = sp_arena_zalloc(a, (names.n + 1) * sizeof *lg->e);
    if (!lg->e) {
        sp_os_names_free(&names);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < names.n; i++) {
        const char *nm = names.names[i];
        char *p = sp_arena_printf(a, "%s/%s", dir, nm);
        if (all_digits(nm) && strlen(nm) < 19) {
            ck_ent *e = &lg->e[lg->n++];
            e->id = strtoll(nm, NULL, 10);
            e->path = p;
            e->bytes = file_size(p);
            e->body_id = -1;
            e->wm_us = e->next_wm_us = INT64_MIN;
        } else if (is_tmp(nm)) {
            add_str(a, &q->tmp, &q->n_tmp, &q->cap_tmp, p);
        } else if (strcmp(nm, "start") != 0) {
            add_str(a, &q->other, &q->n_other, &q->cap_other, p);
        }
    }
    sp_os_names_free(&names);
    qsort(lg->e, lg->n, sizeof *lg->e, cmp_ent);
    return 0;
}

static ck_ent *log_find(const ck_log *lg, int64_t id)
{
    ck_ent key = {.id = id};
    return lg->n ? bsearch(&key, lg->e, lg->n, sizeof *lg->e, cmp_ent) : NULL;
}

/* Reads and verifies a checked file, parses its JSON. Returns the root
 * object or NULL (with e->why set). */
static const sp_json *read_checked(ck_ent *e, const char *kind, sp_arena *a)
{
    e->read = true;
    sp_err err;
    sp_err_clear(&err);
    char *body;
    size_t len;
    if (sp_ckfile_read(e->path, kind, &body, &len, &err) != 0) {
        e->why = err_text(a, &err);
        return NULL;
    }
    sp_json *j = NULL;
    char *copy = sp_arena_strndup(a, body, len);
    sp_free(body);
    if (!copy || sp_json_parse(copy, len, a, &j, &err) != 0 ||
        j->kind != SP_JSON_OBJ) {
        e->why =
            sp_arena_printf(a,
                            "checkpoint file %s has a valid checksum but "
                            "its content is not a JSON object (%s)",
                            e->path, err.msg[0] ? err.msg : "not an object");
        return NULL;
    }
    return j;
}

/* offsets/<id>: the ranges of every input (as the runtime reads them) */
static void read_offsets(ck_ent *e, sp_arena *a)
{
    const sp_json *j = read_checked(e, "spate-offsets", a);
    if (!j) return;
    e->body_id = sp_json_get_int(j, "batchId", -1);
    e->ts_us = sp_json_get_int(j, "batchTimestampUs", 0);
    e->wm_us = sp_json_get_int(j, "batchWatermarkUs", INT64_MIN);
    const sp_json *arr = sp_json_get(j, "sources");
    const sp_json *one = sp_json_get(j, "source");
    int n = arr && arr->kind == SP_JSON_ARR ? (int)arr->n : one ? 1 : 0;
    const sp_json *s = arr && arr->kind == SP_JSON_ARR ? arr->child : one;
    e->in = sp_arena_zalloc(a, (size_t)(n + 1) * sizeof *e->in);
    e->n_in = n;
    for (int i = 0; i < n && s; i++, s = s->next) {
        e->in[i].name = sp_json_get_str(s, "name", "?");
        e->in[i].start = sp_json_get_int(s, "startOffset", -1);
        e->in[i].end = sp_json_get_int(s, "endOffset", -1);
        if (e->in[i].start < 0 || e->in[i].end < e->in[i].start) {
            e->why = sp_arena_printf(a,
                                     "%s: the offsets of input %d are "
                                     "missing or invalid",
                                     e->path, i);
            return;
        }
    }
    if (n == 0) {
        e->why = sp_arena_printf(a, "%s records no input ranges", e->path);
        return;
    }
    if (e->body_id != e->id) {
        e->why =
            sp_arena_printf(a,
                            "%s holds the offsets of batch %lld, not "
                            "%lld (a file was copied or renamed)",
                            e->path, (long long)e->body_id, (long long)e->id);
        return;
    }
    e->ok = true;
}

static void read_commit(ck_ent *e, sp_arena *a)
{
    const sp_json *j = read_checked(e, "spate-commit", a);
    if (!j) return;
    e->body_id = sp_json_get_int(j, "batchId", -1);
    e->next_wm_us = sp_json_get_int(j, "nextBatchWatermarkUs", INT64_MIN);
    if (e->body_id != e->id) {
        e->why =
            sp_arena_printf(a,
                            "%s holds the commit of batch %lld, not "
                            "%lld (a file was copied or renamed)",
                            e->path, (long long)e->body_id, (long long)e->id);
        return;
    }
    e->ok = true;
}

static void read_filelog(ck_ent *e, sp_arena *a)
{
    const sp_json *j = read_checked(e, "spate-file-source", a);
    if (!j) return;
    e->first = sp_json_get_int(j, "first", -1);
    const sp_json *arr = sp_json_get(j, "files");
    if (!arr || arr->kind != SP_JSON_ARR || e->first < 0) {
        e->why =
            sp_arena_printf(a, "file source log %s has no file list", e->path);
        return;
    }
    e->n_files = (int64_t)arr->n;
    for (const sp_json *f = arr->child; f; f = f->next) {
        const char *p = sp_json_get_str(f, "path", NULL);
        if (!p) {
            e->why = sp_arena_printf(a,
                                     "file source log %s: an entry has no "
                                     "path",
                                     e->path);
            return;
        }
        if (!e->first_file) e->first_file = p;
        e->last_file = p;
    }
    e->ok = true;
}

/* ---- state files ---------------------------------------------------------
 */

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Verifies one state file completely, as the store's loader would (see
 * src/state/README.md for the format), without loading it. */
static void verify_sfile(ck_sfile *f, sp_arena *a)
{
    const char *kn = f->kind == SF_DELTA ? "delta" : "snapshot";
#define SBAD(...)                                                              \
    do {                                                                       \
        f->why = sp_arena_printf(a, "state file %s is damaged: %s", f->path,   \
                                 sp_arena_printf(a, __VA_ARGS__));             \
        goto done;                                                             \
    } while (0)
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        f->why =
            sp_arena_printf(a, "cannot open %s: %s", f->path, strerror(errno));
        return;
    }
    const unsigned char *m = NULL;
    struct stat sb;
    size_t size = 0;
    if (fstat(fd, &sb) != 0) SBAD("cannot stat it: %s", strerror(errno));
    size = (size_t)sb.st_size;
    f->bytes = (int64_t)size;
    if (size == 0) SBAD("the file is empty");
    if (size < 28)
        SBAD("the file is truncated (%zu bytes, shorter than a header and "
             "trailer)",
             size);
    m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        m = NULL;
        SBAD("cannot map it: %s", strerror(errno));
    }
    if (memcmp(m, "SPST", 4) != 0)
        SBAD("it does not start with the SPST magic");
    unsigned fmt = (unsigned)m[4] | (unsigned)m[5] << 8;
    if (fmt != 1)
        SBAD("it has format version %u, this spate reads version 1", fmt);
    if (m[6] != f->kind)
        SBAD("its header says kind %u, expected %d (%s)", (unsigned)m[6],
             f->kind, kn);
    int64_t hv = (int64_t)le64(m + 8);
    if (hv != f->version)
        SBAD("it holds version %lld, not %lld", (long long)hv,
             (long long)f->version);
    size_t end = size - 12, at = 16;
    uint64_t n = 0;
    while (at < end) {
        if (end - at < 9)
            SBAD("record %llu at offset %zu is cut off (truncated file?)",
                 (unsigned long long)n, at);
        unsigned op = m[at];
        uint64_t kl = le32(m + at + 1), vl = le32(m + at + 5);
        if ((op != 1 && op != 2) ||
            (op == 2 && (f->kind == SF_SNAPSHOT || vl != 0)))
            SBAD("record %llu at offset %zu has a bad type %u",
                 (unsigned long long)n, at, op);
        if (kl > 0x7fffffffu || kl + vl > end - at - 9)
            SBAD("record %llu at offset %zu runs past the end of the records "
                 "(truncated file?)",
                 (unsigned long long)n, at);
        at += 9 + (size_t)(kl + vl);
        n++;
    }
    uint64_t count = le64(m + end);
    if (le32(m + size - 4) != sp_crc32c(0, m, size - 4))
        SBAD("the checksum does not match the content");
    if (count != n)
        SBAD("the trailer counts %llu records, found %llu",
             (unsigned long long)count, (unsigned long long)n);
    f->records = n;
    f->ok = true;
done:
    if (m) munmap((void *)m, size);
    close(fd);
#undef SBAD
}

static ck_sfile *part_find(const ck_part *p, int64_t v, int kind)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->f[i].version == v && p->f[i].kind == kind) return &p->f[i];
    return NULL;
}

/* The newest snapshot at or below v, or -1 (as the loader picks it). */
static int64_t part_snap(const ck_part *p, int64_t v)
{
    int64_t s = -1;
    for (size_t i = 0; i < p->n; i++)
        if (p->f[i].kind == SF_SNAPSHOT && p->f[i].version <= v)
            s = p->f[i].version;
    return s;
}

/* Whether version v loads from the files as verified, with snapshot s
 * (s = the loader's choice unless given). */
static bool chain_ok(const ck_part *p, int64_t v, int64_t s)
{
    if (v < 0) return true;
    if (s >= 0) {
        ck_sfile *f = part_find(p, s, SF_SNAPSHOT);
        if (!f || !f->ok) return false;
    }
    for (int64_t d = s + 1; d <= v; d++) {
        ck_sfile *f = part_find(p, d, SF_DELTA);
        if (!f || !f->ok) return false;
    }
    return true;
}

/* "4.snapshot and deltas 5..7", "2.snapshot and 3.delta", "deltas 0..3" */
static const char *chain_desc(sp_arena *a, int64_t s, int64_t v)
{
    const char *snap =
        s >= 0 ? sp_arena_printf(a, "%lld.snapshot", (long long)s) : NULL;
    const char *d = s + 1 > v ? NULL
                    : s + 1 == v
                        ? sp_arena_printf(a, "%lld.delta", (long long)v)
                        : sp_arena_printf(a, "deltas %lld..%lld",
                                          (long long)s + 1, (long long)v);
    if (snap && d) return sp_arena_printf(a, "%s and %s", snap, d);
    return snap ? snap : d ? d : "nothing (empty)";
}

static int scan_part(ck_query *q, ck_part *pt, sp_arena *a, bool verify,
                     sp_err *err)
{
    sp_names names;
    int rc = sp_os_list_dir(pt->dir, true, &names, err);
    if (rc) return rc;
    pt->f = sp_arena_zalloc(a, (names.n + 1) * sizeof *pt->f);
    if (!pt->f) {
        sp_os_names_free(&names);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < names.n; i++) {
        const char *nm = names.names[i];
        const char *p = sp_arena_printf(a, "%s/%s", pt->dir, nm);
        char *e;
        long long v = -1;
        if (nm[0] >= '0' && nm[0] <= '9') v = strtoll(nm, &e, 10);
        if (is_tmp(nm)) {
            add_str(a, &q->tmp, &q->n_tmp, &q->cap_tmp, p);
        } else if (v >= 0 &&
                   (!strcmp(e, ".delta") || !strcmp(e, ".snapshot"))) {
            ck_sfile *f = &pt->f[pt->n++];
            f->version = v;
            f->kind = !strcmp(e, ".delta") ? SF_DELTA : SF_SNAPSHOT;
            f->path = p;
            f->bytes = file_size(p);
            pt->bytes += f->bytes;
        } else {
            add_str(a, &q->other, &q->n_other, &q->cap_other, p);
        }
    }
    sp_os_names_free(&names);
    qsort(pt->f, pt->n, sizeof *pt->f, cmp_sfile);
    if (verify)
        for (size_t i = 0; i < pt->n; i++) verify_sfile(&pt->f[i], a);
    /* open the store at the version recovery will load: the store's own
     * loader verifies every file it needs */
    if (q->V >= 0) {
        sp_state_opts so;
        sp_state_opts_default(&so);
        sp_state *st = NULL;
        sp_err e2;
        sp_err_clear(&e2);
        pt->open_tried = true;
        if (sp_state_open(pt->dir, q->V, &so, &st, &e2) == 0) {
            pt->open_ok = true;
            sp_state_metrics m;
            sp_state_get_metrics(st, &m);
            pt->keys = m.n_keys;
            pt->memory = m.memory_bytes;
            sp_state_close(st);
        } else {
            if (e2.code == SP_ENOMEM) {
                *err = e2;
                return e2.code;
            }
            pt->open_why = err_text(a, &e2);
            pt->open_hint = e2.hint[0] ? sp_arena_strdup(a, e2.hint) : NULL;
        }
    }
    return 0;
}

static int list_numeric_dirs(const char *dir, int **out, int *n_out,
                             sp_arena *a, sp_err *err)
{
    *out = NULL;
    *n_out = 0;
    if (!sp_os_is_dir(dir)) return 0;
    sp_names names;
    int rc = sp_os_list_dir(dir, true, &names, err);
    if (rc) return rc;
    int *v = sp_arena_zalloc(a, (names.n + 1) * sizeof *v);
    int n = 0;
    for (size_t i = 0; v && i < names.n; i++) {
        char *p = sp_arena_printf(a, "%s/%s", dir, names.names[i]);
        if (all_digits(names.names[i]) && strlen(names.names[i]) < 9 &&
            sp_os_is_dir(p))
            v[n++] = atoi(names.names[i]);
    }
    sp_os_names_free(&names);
    if (!v) return sp_err_set(err, SP_ENOMEM, "out of memory");
    qsort(v, (size_t)n, sizeof *v, cmp_int);
    *out = v;
    *n_out = n;
    return 0;
}

/* Counts files and bytes under dir (recursively). */
static void walk_sizes(const char *dir, int64_t *bytes, int *files)
{
    sp_names names;
    sp_err e;
    sp_err_clear(&e);
    if (sp_os_list_dir(dir, true, &names, &e) != 0) return;
    for (size_t i = 0; i < names.n; i++) {
        size_t n = strlen(dir) + strlen(names.names[i]) + 2;
        char *p = sp_malloc(n);
        if (!p) break;
        snprintf(p, n, "%s/%s", dir, names.names[i]);
        if (sp_os_is_dir(p)) {
            walk_sizes(p, bytes, files);
        } else {
            *bytes += file_size(p);
            (*files)++;
        }
        sp_free(p);
    }
    sp_os_names_free(&names);
}

/* ---- one query -----------------------------------------------------------
 */

/* Reads a query directory. verify: read every file (check); otherwise only
 * what inspect shows (the newest `last` batches, every source-log entry,
 * the state files' names and sizes, and the state opened at its version). */
static int scan_query(ck_query *q, const char *dir, sp_arena *a, bool verify,
                      int last, sp_err *err)
{
    memset(q, 0, sizeof *q);
    q->dir = sp_arena_strdup(a, dir);
    const char *slash = strrchr(dir, '/');
    q->name = sp_arena_strdup(a, slash && slash[1] ? slash + 1 : dir);
    walk_sizes(dir, &q->bytes, &q->n_files);
    sp_names top;
    if (sp_os_list_dir(dir, true, &top, err) != 0) return err->code;
    for (size_t i = 0; i < top.n; i++)
        if (is_tmp(top.names[i]))
            add_str(a, &q->tmp, &q->n_tmp, &q->cap_tmp,
                    sp_arena_printf(a, "%s/%s", dir, top.names[i]));
    sp_os_names_free(&top);

    /* metadata */
    ck_ent me = {.path = sp_arena_printf(a, "%s/metadata", dir)};
    q->meta_present = sp_os_exists(me.path);
    if (q->meta_present) {
        const sp_json *j = read_checked(&me, "spate-metadata", a);
        if (j) {
            q->meta_ok = true;
            q->qid = sp_json_get_str(j, "id", NULL);
            const char *nm = sp_json_get_str(j, "name", NULL);
            if (nm) q->name = nm;
            q->plan = sp_json_get_str(j, "plan", NULL);
            const char *sp =
                q->plan ? strstr(q->plan, "state partitions=") : NULL;
            if (sp) q->plan_parts = atoi(sp + strlen("state partitions="));
            int64_t sh = sp_json_get_int(j, "shufflePartitions", 0);
            if (sh > 0 && sh < 1 << 20) q->plan_parts = (int)sh;
            q->inputs = sp_json_get_str(j, "inputs", NULL);
            q->shape = sp_json_get_str(j, "stateShape", NULL);
        } else {
            q->meta_why = me.why;
        }
    }

    /* the logs */
    int rc =
        list_log(q, a, sp_arena_printf(a, "%s/offsets", dir), &q->offs, err);
    if (!rc)
        rc = list_log(q, a, sp_arena_printf(a, "%s/commits", dir), &q->commits,
                      err);
    if (rc) return rc;
    q->L = q->offs.n ? q->offs.e[q->offs.n - 1].id : -1;
    q->C = q->commits.n ? q->commits.e[q->commits.n - 1].id : -1;
    if (q->L < 0) {
        q->next_batch = 0;
    } else if (q->C >= q->L) {
        q->next_batch = q->L + 1;
    } else {
        q->next_batch = q->L;
        q->rerun = true;
    }
    q->V = q->next_batch - 1;
    if (last <= 0) last = CK_DEFAULT_LAST;
    for (size_t i = 0; i < q->offs.n; i++)
        if (verify || q->offs.e[i].id > q->L - last)
            read_offsets(&q->offs.e[i], a);
    for (size_t i = 0; i < q->commits.n; i++)
        if (verify || q->commits.e[i].id > q->L - last)
            read_commit(&q->commits.e[i], a);

    /* sources */
    int *ids, n_ids;
    const char *sdir = sp_arena_printf(a, "%s/sources", dir);
    rc = list_numeric_dirs(sdir, &ids, &n_ids, a, err);
    if (rc) return rc;
    q->src = sp_arena_zalloc(a, (size_t)(n_ids + 1) * sizeof *q->src);
    q->n_src = n_ids;
    for (int i = 0; i < n_ids; i++) {
        ck_source *s = &q->src[i];
        s->index = ids[i];
        s->dir = sp_arena_printf(a, "%s/%d", sdir, ids[i]);
        rc = list_log(q, a, s->dir, &s->log, err);
        if (rc) return rc;
        for (size_t k = 0; k < s->log.n; k++) {
            ck_ent *e = &s->log.e[k];
            read_filelog(e, a);
            if (!e->ok) continue;
            if (!s->log_broken && e->first != s->n_files) {
                s->log_broken = true;
                s->broken_why = sp_arena_printf(
                    a,
                    "file source log %s does not continue the list "
                    "(first=%lld, expected %lld): an entry before it is "
                    "missing or damaged",
                    e->path, (long long)e->first, (long long)s->n_files);
            }
            s->n_files += e->n_files;
        }
        s->start.path = sp_arena_printf(a, "%s/start", s->dir);
        s->has_start = sp_os_exists(s->start.path);
        if (s->has_start) {
            const sp_json *j = read_checked(&s->start, "spate-source-start", a);
            if (j) {
                s->start.ok = true;
                s->start_us = sp_json_get_int(j, "startTimeUs", 0);
            }
        }
    }

    /* state */
    const char *stdir = sp_arena_printf(a, "%s/state", dir);
    rc = list_numeric_dirs(stdir, &ids, &n_ids, a, err);
    if (rc) return rc;
    q->ops = sp_arena_zalloc(a, (size_t)(n_ids + 1) * sizeof *q->ops);
    q->n_ops = n_ids;
    for (int i = 0; i < n_ids && !rc; i++) {
        ck_op *op = &q->ops[i];
        op->id = ids[i];
        op->dir = sp_arena_printf(a, "%s/%d", stdir, ids[i]);
        int *pids, np;
        rc = list_numeric_dirs(op->dir, &pids, &np, a, err);
        if (rc) break;
        op->parts = sp_arena_zalloc(a, (size_t)(np + 1) * sizeof *op->parts);
        op->n = np;
        for (int k = 0; k < np && !rc; k++) {
            ck_part *pt = &op->parts[k];
            pt->p = pids[k];
            pt->dir = sp_arena_printf(a, "%s/%d", op->dir, pids[k]);
            rc = scan_part(q, pt, a, verify, err);
            op->bytes += pt->bytes;
        }
    }
    return rc;
}

/* ---- finding the queries -------------------------------------------------
 */

static bool is_query_dir(const char *dir, sp_arena *a)
{
    return sp_os_exists(sp_arena_printf(a, "%s/metadata", dir)) ||
           sp_os_is_dir(sp_arena_printf(a, "%s/offsets", dir)) ||
           sp_os_is_dir(sp_arena_printf(a, "%s/commits", dir));
}

/* The query directories of `dir`: itself, or its subdirectories. */
static int find_queries(const char *dir, sp_arena *a, const char ***out,
                        int *n_out, bool *root, sp_err *err)
{
    *out = NULL;
    *n_out = 0;
    *root = false;
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    const char *d = sp_arena_strndup(a, dir, dl);
    if (!sp_os_is_dir(d)) {
        sp_err_set(err, sp_os_exists(d) ? SP_EINVAL : SP_ENOTFOUND,
                   "%s is not a directory", d);
        sp_err_hint(err, "give the checkpoint directory (the --checkpoint of "
                         "'spate run'), or one query's directory in it");
        return err->code;
    }
    if (is_query_dir(d, a)) {
        const char **v = sp_arena_alloc(a, sizeof *v);
        v[0] = d;
        *out = v;
        *n_out = 1;
        return 0;
    }
    *root = true;
    sp_names names;
    int rc = sp_os_list_dir(d, true, &names, err);
    if (rc) return rc;
    const char **v = sp_arena_zalloc(a, (names.n + 1) * sizeof *v);
    int n = 0;
    for (size_t i = 0; v && i < names.n; i++) {
        const char *p = sp_arena_printf(a, "%s/%s", d, names.names[i]);
        if (sp_os_is_dir(p) && is_query_dir(p, a)) v[n++] = p;
    }
    sp_os_names_free(&names);
    if (n == 0) {
        sp_err_set(err, SP_ENOTFOUND, "%s holds no query checkpoint", d);
        sp_err_detail(err, "a query's directory holds metadata, offsets/ and "
                           "commits/; a checkpoint directory holds one such "
                           "directory per query (named after its sink)");
        sp_err_hint(err, "give the --checkpoint directory of 'spate run', or "
                         "one query's directory in it");
        return SP_ENOTFOUND;
    }
    *out = v;
    *n_out = n;
    return 0;
}

/* ---- inspect: the table --------------------------------------------------
 */

static const char *rel(const ck_query *q, const char *path)
{
    size_t n = strlen(q->dir);
    if (!strncmp(path, q->dir, n) && path[n] == '/') return path + n + 1;
    return path;
}

static void versions_str(const ck_part *pt, int kind, char *buf, size_t n)
{
    /* ranges such as "0..5" or "2,4" */
    size_t k = 0;
    buf[0] = 0;
    int64_t run_lo = -2, run_hi = -2;
    bool first = true;
    for (size_t i = 0; i <= pt->n && k < n - 24; i++) {
        bool have = i < pt->n && pt->f[i].kind == kind;
        int64_t v = have ? pt->f[i].version : -10;
        if (have && v == run_hi + 1) {
            run_hi = v;
            continue;
        }
        if (!have && i < pt->n) continue;
        if (run_lo >= 0) {
            k += (size_t)snprintf(buf + k, n - k, "%s%lld", first ? "" : ",",
                                  (long long)run_lo);
            if (run_hi > run_lo)
                k += (size_t)snprintf(buf + k, n - k,
                                      run_hi > run_lo + 1 ? "..%lld" : ",%lld",
                                      (long long)run_hi);
            first = false;
        }
        run_lo = run_hi = v;
    }
    if (!buf[0]) snprintf(buf, n, "-");
}

static void inspect_table(const ck_query *q, int last, FILE *out)
{
    char b1[48], b2[48];
    fmt_bytes(q->bytes, b1, sizeof b1);
    fprintf(out, "query %s\n", q->name);
    fprintf(out, "  directory    %s (%d files, %s)\n", q->dir, q->n_files, b1);
    if (q->meta_ok) {
        fprintf(out, "  id           %s\n", q->qid ? q->qid : "(none)");
        if (q->inputs) fprintf(out, "  inputs       %s\n", q->inputs);
        if (q->shape && strcmp(q->shape, "stateless"))
            fprintf(out, "  state shape  %s, %d partitions\n", q->shape,
                    q->plan_parts);
        else if (q->shape)
            fprintf(out, "  state shape  stateless\n");
    } else if (q->meta_present)
        fprintf(out, "  id           unknown: metadata is damaged\n");
    else
        fprintf(out, "  id           unknown: no metadata\n");
    if (q->L < 0) {
        fprintf(out, "  batches      none yet; a start runs batch 0\n");
    } else {
        fprintf(out,
                "  batches      %zu offsets (%lld..%lld), %zu commits; newest "
                "batch %lld is %s\n",
                q->offs.n, (long long)q->offs.e[0].id, (long long)q->L,
                q->commits.n, (long long)q->L,
                q->rerun ? "NOT committed" : "committed");
        if (q->rerun)
            fprintf(out,
                    "  recovery     re-runs batch %lld with its recorded "
                    "offsets, from state version %lld\n",
                    (long long)q->L, (long long)q->V);
        else
            fprintf(out, "  recovery     continues with batch %lld\n",
                    (long long)q->next_batch);
    }
    const ck_ent *lc =
        q->rerun || q->L < 0 ? NULL : log_find(&q->commits, q->L);
    if (lc && lc->ok) {
        fmt_ts(lc->next_wm_us, b1);
        fprintf(out, "  watermark    %s (next batch's, from commits/%lld)\n",
                b1, (long long)q->L);
    } else if (q->L >= 0) {
        const ck_ent *lo = log_find(&q->offs, q->L);
        if (lo && lo->ok) {
            fmt_ts(lo->wm_us, b1);
            fprintf(out,
                    "  watermark    %s (batch %lld's, from offsets/%lld)\n", b1,
                    (long long)q->L, (long long)q->L);
        }
    }
    if (q->L >= 0) {
        fprintf(out, "\n  recent batches (newest %d)\n", last);
        fprintf(out, "    %-7s %-9s %-26s %-26s %s\n", "batch", "committed",
                "watermark", "next watermark", "input offsets [start, end)");
        for (size_t i = q->offs.n > (size_t)last ? q->offs.n - (size_t)last : 0;
             i < q->offs.n; i++) {
            const ck_ent *o = &q->offs.e[i];
            const ck_ent *c = log_find(&q->commits, o->id);
            fmt_ts(o->ok ? o->wm_us : INT64_MIN, b1);
            if (c && c->ok)
                fmt_ts(c->next_wm_us, b2);
            else
                snprintf(b2, sizeof b2, "-");
            fprintf(out, "    %-7lld %-9s %-26s %-26s ", (long long)o->id,
                    c ? (c->ok || !c->read ? "yes" : "damaged") : "no",
                    o->ok ? b1 : "damaged", b2);
            for (int k = 0; o->ok && k < o->n_in; k++)
                fprintf(out, "%s%s [%lld, %lld)", k ? ", " : "", o->in[k].name,
                        (long long)o->in[k].start, (long long)o->in[k].end);
            if (!o->ok) fputs("(damaged)", out);
            fputc('\n', out);
        }
    }
    for (int i = 0; i < q->n_src; i++) {
        const ck_source *s = &q->src[i];
        if (s->log.n) {
            int64_t bytes = 0;
            for (size_t k = 0; k < s->log.n; k++) bytes += s->log.e[k].bytes;
            fmt_bytes(bytes, b1, sizeof b1);
            fprintf(out,
                    "\n  source %d: file source log, %lld files taken in %zu "
                    "batches (%s)\n",
                    s->index, (long long)s->n_files, s->log.n, b1);
            fprintf(out, "    %-7s %-6s %s\n", "batch", "files", "taken");
            for (size_t k = s->log.n > (size_t)last ? s->log.n - (size_t)last
                                                    : 0;
                 k < s->log.n; k++) {
                const ck_ent *e = &s->log.e[k];
                if (!e->ok) {
                    fprintf(out, "    %-7lld damaged\n", (long long)e->id);
                    continue;
                }
                fprintf(out, "    %-7lld %-6lld %s%s%s\n", (long long)e->id,
                        (long long)e->n_files,
                        e->first_file ? e->first_file : "",
                        e->n_files > 1 ? " .. " : "",
                        e->n_files > 1 ? e->last_file : "");
            }
        } else if (s->has_start) {
            if (s->start.ok) {
                fmt_ts(s->start_us, b1);
                fprintf(out, "\n  source %d: start time %s (rate/generator)\n",
                        s->index, b1);
            } else {
                fprintf(out, "\n  source %d: start file damaged\n", s->index);
            }
        } else {
            fprintf(out, "\n  source %d: no log (nothing to replay)\n",
                    s->index);
        }
    }
    for (int i = 0; i < q->n_ops; i++) {
        const ck_op *op = &q->ops[i];
        fmt_bytes(op->bytes, b1, sizeof b1);
        fprintf(out, "\n  state operator %d: %d partitions, %s", op->id, op->n,
                b1);
        if (q->V >= 0)
            fprintf(out, ", recovery loads version %lld\n", (long long)q->V);
        else
            fprintf(out, ", nothing committed yet\n");
        fprintf(out, "    %-9s %-12s %-12s %-10s %-8s %s\n", "partition",
                "deltas", "snapshots", "bytes", "keys", "loads from");
        for (int k = 0; k < op->n; k++) {
            const ck_part *pt = &op->parts[k];
            char dv[96], sv[96], keys[32], from[128];
            versions_str(pt, SF_DELTA, dv, sizeof dv);
            versions_str(pt, SF_SNAPSHOT, sv, sizeof sv);
            snprintf(b1, sizeof b1, "%lld", (long long)pt->bytes);
            if (pt->open_ok)
                snprintf(keys, sizeof keys, "%llu",
                         (unsigned long long)pt->keys);
            else
                snprintf(keys, sizeof keys, pt->open_tried ? "ERROR" : "-");
            int64_t s = part_snap(pt, q->V);
            if (q->V < 0)
                snprintf(from, sizeof from, "-");
            else if (s < 0)
                snprintf(from, sizeof from, "deltas 0..%lld", (long long)q->V);
            else if (s == q->V)
                snprintf(from, sizeof from, "%lld.snapshot", (long long)s);
            else if (s + 1 == q->V)
                snprintf(from, sizeof from, "%lld.snapshot + %lld.delta",
                         (long long)s, (long long)q->V);
            else
                snprintf(from, sizeof from, "%lld.snapshot + deltas %lld..%lld",
                         (long long)s, (long long)s + 1, (long long)q->V);
            fprintf(out, "    %-9d %-12s %-12s %-10s %-8s %s\n", pt->p, dv, sv,
                    b1, keys, from);
            if (pt->open_tried && !pt->open_ok)
                fprintf(out, "      cannot load: %s\n", pt->open_why);
        }
    }
    if (q->n_tmp)
        fprintf(out, "\n  %d temporary file(s) left by a crash (harmless)\n",
                q->n_tmp);
    fputc('\n', out);
}

/* ---- inspect: JSON -------------------------------------------------------
 */

static void jstr(sp_buf *b, const char *s)
{
    if (!s)
        sp_buf_puts(b, "null");
    else
        sp_buf_json_str(b, s, strlen(s));
}

static void jts(sp_buf *b, const char *key, int64_t us)
{
    char t[48];
    if (us == INT64_MIN) {
        sp_buf_printf(b, "\"%sMs\":null,\"%s\":null", key, key);
        return;
    }
    fmt_ts(us, t);
    sp_buf_printf(b, "\"%sMs\":%lld,\"%s\":\"%s\"", key, (long long)(us / 1000),
                  key, t);
}

static void jversions(sp_buf *b, const ck_part *pt, int kind)
{
    sp_buf_putc(b, '[');
    int k = 0;
    for (size_t i = 0; i < pt->n; i++)
        if (pt->f[i].kind == kind)
            sp_buf_printf(b, "%s%lld", k++ ? "," : "",
                          (long long)pt->f[i].version);
    sp_buf_putc(b, ']');
}

static void inspect_json(const ck_query *q, int last, sp_buf *b)
{
    sp_buf_puts(b, "{\"name\":");
    jstr(b, q->name);
    sp_buf_puts(b, ",\"directory\":");
    jstr(b, q->dir);
    sp_buf_puts(b, ",\"id\":");
    jstr(b, q->meta_ok ? q->qid : NULL);
    sp_buf_puts(b, ",\"inputs\":");
    jstr(b, q->meta_ok ? q->inputs : NULL);
    sp_buf_puts(b, ",\"stateShape\":");
    jstr(b, q->meta_ok ? q->shape : NULL);
    sp_buf_printf(b, ",\"shufflePartitions\":%d", q->plan_parts);
    sp_buf_printf(b, ",\"metadata\":\"%s\"",
                  q->meta_ok        ? "ok"
                  : q->meta_present ? "damaged"
                                    : "missing");
    sp_buf_printf(b, ",\"files\":%d,\"bytes\":%lld", q->n_files,
                  (long long)q->bytes);
    sp_buf_printf(b,
                  ",\"batches\":{\"offsets\":%zu,\"commits\":%zu,"
                  "\"first\":%lld,\"latest\":%lld,\"latestCommitted\":%lld,"
                  "\"latestIsCommitted\":%s}",
                  q->offs.n, q->commits.n,
                  (long long)(q->offs.n ? q->offs.e[0].id : -1),
                  (long long)q->L, (long long)q->C,
                  q->L >= 0 && !q->rerun ? "true" : "false");
    sp_buf_printf(b,
                  ",\"recovery\":{\"nextBatch\":%lld,\"rerun\":%s,"
                  "\"stateVersion\":%lld}",
                  (long long)q->next_batch, q->rerun ? "true" : "false",
                  (long long)q->V);
    const ck_ent *lc =
        q->rerun || q->L < 0 ? NULL : log_find(&q->commits, q->L);
    const ck_ent *lo = q->L >= 0 ? log_find(&q->offs, q->L) : NULL;
    sp_buf_putc(b, ',');
    jts(b, "nextBatchWatermark",
        lc && lc->ok   ? lc->next_wm_us
        : lo && lo->ok ? lo->wm_us
                       : INT64_MIN);
    sp_buf_puts(b, ",\"recentBatches\":[");
    size_t from = q->offs.n > (size_t)last ? q->offs.n - (size_t)last : 0;
    for (size_t i = from; i < q->offs.n; i++) {
        const ck_ent *o = &q->offs.e[i];
        const ck_ent *c = log_find(&q->commits, o->id);
        sp_buf_printf(b, "%s{\"batchId\":%lld,\"committed\":%s,\"ok\":%s",
                      i > from ? "," : "", (long long)o->id,
                      c ? "true" : "false",
                      o->ok && (!c || c->ok || !c->read) ? "true" : "false");
        if (o->ok) {
            sp_buf_putc(b, ',');
            jts(b, "timestamp", o->ts_us);
            sp_buf_putc(b, ',');
            jts(b, "watermark", o->wm_us);
        }
        if (c && c->ok) {
            sp_buf_putc(b, ',');
            jts(b, "nextBatchWatermark", c->next_wm_us);
        }
        sp_buf_puts(b, ",\"sources\":[");
        for (int k = 0; o->ok && k < o->n_in; k++) {
            sp_buf_puts(b, k ? ",{\"name\":" : "{\"name\":");
            jstr(b, o->in[k].name);
            sp_buf_printf(b, ",\"startOffset\":%lld,\"endOffset\":%lld}",
                          (long long)o->in[k].start, (long long)o->in[k].end);
        }
        sp_buf_puts(b, "]}");
    }
    sp_buf_puts(b, "],\"sources\":[");
    for (int i = 0; i < q->n_src; i++) {
        const ck_source *s = &q->src[i];
        sp_buf_printf(b, "%s{\"index\":%d", i ? "," : "", s->index);
        if (s->log.n) {
            int64_t bytes = 0;
            for (size_t k = 0; k < s->log.n; k++) bytes += s->log.e[k].bytes;
            sp_buf_printf(b,
                          ",\"kind\":\"file\",\"logEntries\":%zu,"
                          "\"files\":%lld,\"bytes\":%lld,\"batches\":[",
                          s->log.n, (long long)s->n_files, (long long)bytes);
            size_t f0 = s->log.n > (size_t)last ? s->log.n - (size_t)last : 0;
            for (size_t k = f0; k < s->log.n; k++) {
                const ck_ent *e = &s->log.e[k];
                sp_buf_printf(b, "%s{\"batchId\":%lld,\"ok\":%s",
                              k > f0 ? "," : "", (long long)e->id,
                              e->ok ? "true" : "false");
                if (e->ok) {
                    sp_buf_printf(b, ",\"first\":%lld,\"files\":%lld",
                                  (long long)e->first, (long long)e->n_files);
                    sp_buf_puts(b, ",\"firstFile\":");
                    jstr(b, e->first_file);
                    sp_buf_puts(b, ",\"lastFile\":");
                    jstr(b, e->last_file);
                }
                sp_buf_putc(b, '}');
            }
            sp_buf_putc(b, ']');
        } else if (s->has_start) {
            sp_buf_printf(b, ",\"kind\":\"start\",\"ok\":%s",
                          s->start.ok ? "true" : "false");
            if (s->start.ok) {
                sp_buf_putc(b, ',');
                jts(b, "startTime", s->start_us);
            }
        } else {
            sp_buf_puts(b, ",\"kind\":\"none\"");
        }
        sp_buf_putc(b, '}');
    }
    int64_t state_bytes = 0;
    for (int i = 0; i < q->n_ops; i++) state_bytes += q->ops[i].bytes;
    sp_buf_printf(
        b, "],\"state\":{\"bytes\":%lld,\"version\":%lld,\"operators\":[",
        (long long)state_bytes, (long long)q->V);
    for (int i = 0; i < q->n_ops; i++) {
        const ck_op *op = &q->ops[i];
        sp_buf_printf(b,
                      "%s{\"id\":%d,\"partitions\":%d,\"bytes\":%lld,"
                      "\"stores\":[",
                      i ? "," : "", op->id, op->n, (long long)op->bytes);
        for (int k = 0; k < op->n; k++) {
            const ck_part *pt = &op->parts[k];
            sp_buf_printf(b, "%s{\"partition\":%d,\"deltas\":", k ? "," : "",
                          pt->p);
            jversions(b, pt, SF_DELTA);
            sp_buf_puts(b, ",\"snapshots\":");
            jversions(b, pt, SF_SNAPSHOT);
            sp_buf_printf(b, ",\"bytes\":%lld,\"loadsFromSnapshot\":%lld",
                          (long long)pt->bytes,
                          (long long)(q->V >= 0 ? part_snap(pt, q->V) : -1));
            if (pt->open_ok)
                sp_buf_printf(b,
                              ",\"loadable\":true,\"keys\":%llu,"
                              "\"memoryBytes\":%llu",
                              (unsigned long long)pt->keys,
                              (unsigned long long)pt->memory);
            else if (pt->open_tried) {
                sp_buf_puts(b, ",\"loadable\":false,\"error\":");
                jstr(b, pt->open_why);
            }
            sp_buf_puts(b, ",\"files\":[");
            for (size_t f = 0; f < pt->n; f++)
                sp_buf_printf(b,
                              "%s{\"version\":%lld,\"kind\":\"%s\","
                              "\"bytes\":%lld}",
                              f ? "," : "", (long long)pt->f[f].version,
                              pt->f[f].kind == SF_DELTA ? "delta" : "snapshot",
                              (long long)pt->f[f].bytes);
            sp_buf_puts(b, "]}");
        }
        sp_buf_puts(b, "]}");
    }
    sp_buf_printf(b, "]},\"tempFiles\":%d}", q->n_tmp);
}

/* ---- check ---------------------------------------------------------------
 */

typedef struct ck_report {
    FILE *out;
    sp_arena *a;
    int errors, warnings, tmp, files;
    /* the problems of the current section, printed with its line */
    struct prob {
        int sev; /* 2 error, 1 warning, 0 note */
        const char *file, *msg, *why, *todo;
    } * p;
    int n, cap;
} ck_report;

static void prob(ck_report *r, int sev, const char *file, const char *msg,
                 const char *why, const char *todo)
{
    if (r->n == r->cap) {
        int nc = r->cap ? r->cap * 2 : 16;
        struct prob *np = sp_arena_alloc(r->a, (size_t)nc * sizeof *np);
        if (!np) return;
        if (r->n) memcpy(np, r->p, (size_t)r->n * sizeof *np);
        r->p = np;
        r->cap = nc;
    }
    r->p[r->n++] = (struct prob){sev, file, msg, why, todo};
    if (sev == 2) r->errors++;
    if (sev == 1) r->warnings++;
}

static void section(ck_report *r, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void section(ck_report *r, const char *what, const char *fmt, ...)
{
    int e = 0, w = 0;
    for (int i = 0; i < r->n; i++) {
        e += r->p[i].sev == 2;
        w += r->p[i].sev == 1;
    }
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(r->out, "  %-8s %-10s %s\n",
            e   ? "ERROR"
            : w ? "WARNING"
                : "ok",
            what, line);
    static const char *sev[] = {"note", "warning", "error"};
    for (int i = 0; i < r->n; i++) {
        const struct prob *p = &r->p[i];
        fprintf(r->out, "    %s: %s\n", sev[p->sev], p->file);
        if (p->msg) fprintf(r->out, "      %s\n", p->msg);
        if (p->why) fprintf(r->out, "      %s\n", p->why);
        if (p->todo) fprintf(r->out, "      what to do: %s\n", p->todo);
    }
    r->n = 0;
}

static const char *reset_todo =
    "restore it from a backup of the checkpoint; otherwise start the query "
    "over with 'spate run --reset-checkpoint' (and a new sink directory, or "
    "the sink will hold the old output too)";

/* Can recovery be rewound by one batch (delete commits/L: batch L is then
 * re-run from its offsets and state L - 1, the crash-recovery path)? */
static bool can_rewind(const ck_query *q)
{
    if (q->L < 0 || q->rerun) return false;
    const ck_ent *o = log_find(&q->offs, q->L);
    if (!o || !o->ok) return false;
    for (int i = 0; i < q->n_src; i++)
        if (q->src[i].log_broken) return false;
    for (int i = 0; i < q->n_ops; i++)
        for (int k = 0; k < q->ops[i].n; k++)
            if (!chain_ok(&q->ops[i].parts[k], q->L - 1,
                          part_snap(&q->ops[i].parts[k], q->L - 1)))
                return false;
    return true;
}

static const char *rewind_todo(ck_report *r, const ck_query *q)
{
    return sp_arena_printf(
        r->a,
        "delete %s/commits/%lld: spate then re-runs batch %lld from its "
        "recorded offsets and state version %lld (the path of a crash "
        "before the commit), which rewrites this file; the sink does not "
        "write the batch twice (a console sink prints it again). Or %s",
        q->dir, (long long)q->L, (long long)q->L, (long long)q->L - 1,
        "restore the file from a backup");
}

static void check_logs(ck_report *r, ck_query *q)
{
    sp_arena *a = r->a;
    /* metadata */
    r->files += q->meta_present;
    const char *mp = sp_arena_printf(a, "%s/metadata", q->dir);
    if (q->meta_present && !q->meta_ok) {
        prob(r, 2, mp, q->meta_why,
             "needed: recovery reads the query id, its inputs, the shape of "
             "its state and its state partitions from it",
             "restore it from a backup; or delete it: spate then writes a new "
             "one from the query as it is now (a new id, and the query is no "
             "longer compared with the checkpoint: do this only with the "
             "unchanged query and the same shuffle_partitions)");
    } else if (!q->meta_present && q->L >= 0) {
        prob(r, 1, mp, "metadata is missing",
             "a start writes a new one: the query gets a new id", NULL);
    } else if (q->meta_ok && !q->qid) {
        prob(r, 1, mp, "metadata has no query id",
             "progress records will show an empty id", NULL);
    }
    section(r, "metadata", "%s",
            q->meta_ok
                ? sp_arena_printf(a, "query id %s", q->qid ? q->qid : "(none)")
            : q->meta_present ? "damaged"
                              : "missing");

    /* offsets */
    r->files += (int)q->offs.n;
    for (size_t i = 0; i < q->offs.n; i++) {
        ck_ent *e = &q->offs.e[i];
        if (e->ok) continue;
        if (e->id == q->L) {
            const ck_ent *c = log_find(&q->commits, e->id);
            const char *todo =
                c ? reset_todo
                  : sp_arena_printf(
                        a,
                        "restore it from a backup; or, since batch %lld "
                        "never committed, delete it: spate then plans batch "
                        "%lld again (a file source takes the same files from "
                        "its log; a rate or generator source may take a "
                        "different range); otherwise %s",
                        (long long)e->id, (long long)e->id,
                        "start over with 'spate run --reset-checkpoint'");
            prob(r, 2, e->path, e->why,
                 "needed: recovery reads the newest offsets file to know "
                 "the ranges of the last batch and its watermark",
                 todo);
        } else {
            prob(r, 1, e->path, e->why,
                 sp_arena_printf(a,
                                 "not needed: recovery reads only the newest "
                                 "offsets file (offsets/%lld); the record of "
                                 "batch %lld is lost",
                                 (long long)q->L, (long long)e->id),
                 "nothing for recovery; restore it from a backup to keep the "
                 "history complete");
        }
    }
    /* a gap: offsets whose earlier batches have no commit */
    for (size_t i = 0; i < q->offs.n; i++) {
        ck_ent *e = &q->offs.e[i];
        if (e->id >= q->L || log_find(&q->commits, e->id)) continue;
        prob(r, 1,
             sp_arena_printf(a, "%s/commits/%lld", q->dir, (long long)e->id),
             sp_arena_printf(a,
                             "batch %lld has offsets but no commit, yet "
                             "batch %lld was started after it (a gap in "
                             "the commit log)",
                             (long long)e->id, (long long)e->id + 1),
             "not needed: recovery reads only the newest batch's files; "
             "but a commit log with a hole means files were removed by hand "
             "or lost",
             "restore it from a backup if you have one");
    }
    /* ranges: each batch starts where the one before ended */
    for (size_t i = 1; i < q->offs.n; i++) {
        ck_ent *p = &q->offs.e[i - 1], *e = &q->offs.e[i];
        if (!p->ok || !e->ok || p->id + 1 != e->id || p->n_in != e->n_in)
            continue;
        for (int k = 0; k < e->n_in; k++)
            if (e->in[k].start != p->in[k].end) {
                prob(r, 1, e->path,
                     sp_arena_printf(a,
                                     "input %d starts at %lld, but batch "
                                     "%lld ended at %lld",
                                     k, (long long)e->in[k].start,
                                     (long long)p->id, (long long)p->in[k].end),
                     "offsets files were edited or mixed from two "
                     "checkpoints",
                     NULL);
                break;
            }
    }
    section(r, "offsets", "%zu file(s)%s", q->offs.n,
            q->offs.n
                ? sp_arena_printf(a, ", batches %lld..%lld",
                                  (long long)q->offs.e[0].id, (long long)q->L)
                : "");

    /* commits */
    r->files += (int)q->commits.n;
    for (size_t i = 0; i < q->commits.n; i++) {
        ck_ent *e = &q->commits.e[i];
        if (e->id > q->L) {
            prob(r, 2, e->path,
                 sp_arena_printf(a,
                                 "commits/%lld has no offsets/%lld: a commit "
                                 "without its write-ahead offsets",
                                 (long long)e->id, (long long)e->id),
                 sp_arena_printf(
                     a,
                     "recovery would plan batch %lld again without its "
                     "recorded range, and the sink, which already has it, "
                     "would skip it: right only if the new plan takes the "
                     "same range (a file source takes the same files from "
                     "its log if max_files_per_trigger is unchanged; a rate "
                     "or generator source loses or repeats rows)",
                     (long long)e->id),
                 sp_arena_printf(a,
                                 "restore offsets/%lld from a backup; if it "
                                 "cannot be restored, %s",
                                 (long long)e->id,
                                 "start over with 'spate run "
                                 "--reset-checkpoint'"));
            continue;
        }
        if (e->ok) continue;
        if (e->id == q->L) {
            prob(r, 2, e->path, e->why,
                 "needed: recovery reads the newest commit for the next "
                 "batch's watermark",
                 can_rewind(q) ? rewind_todo(r, q) : reset_todo);
        } else {
            prob(r, 1, e->path, e->why,
                 sp_arena_printf(a,
                                 "not needed: recovery reads only the commit "
                                 "of the newest batch (commits/%lld)",
                                 (long long)q->L),
                 "nothing for recovery; restore it from a backup to keep the "
                 "history complete");
        }
    }
    section(r, "commits", "%zu file(s)%s", q->commits.n,
            q->L < 0            ? ""
            : q->rerun          ? sp_arena_printf(a,
                                                  "; batch %lld is not "
                                                           "committed: a restart "
                                                           "re-runs it",
                                                  (long long)q->L)
            : q->commits.n == 0 ? ""
                                : sp_arena_printf(a,
                                                  "; a restart continues "
                                                  "with batch %lld",
                                                  (long long)q->next_batch));
}

static void check_sources(ck_report *r, ck_query *q)
{
    sp_arena *a = r->a;
    const ck_ent *lo = q->L >= 0 ? log_find(&q->offs, q->L) : NULL;
    for (int i = 0; i < q->n_src; i++) {
        ck_source *s = &q->src[i];
        const char *what = sp_arena_printf(a, "sources/%d", s->index);
        r->files += (int)s->log.n + s->has_start;
        for (size_t k = 0; k < s->log.n; k++) {
            ck_ent *e = &s->log.e[k];
            if (e->ok) continue;
            prob(r, 2, e->path, e->why,
                 "needed: the file source rebuilds its list of files taken "
                 "from every entry of its log at start",
                 reset_todo);
        }
        if (s->log_broken) {
            bool damaged = false;
            for (size_t k = 0; k < s->log.n; k++) damaged |= !s->log.e[k].ok;
            if (!damaged)
                prob(r, 2, s->dir, s->broken_why,
                     "needed: the file source's list must be whole",
                     reset_todo);
        }
        if (s->log.n && !s->log_broken && lo && lo->ok && s->index < lo->n_in) {
            bool damaged = false;
            for (size_t k = 0; k < s->log.n; k++) damaged |= !s->log.e[k].ok;
            if (!damaged && lo->in[s->index].end > s->n_files)
                prob(r, 2, s->dir,
                     sp_arena_printf(a,
                                     "the file source log lists %lld files, "
                                     "but batch %lld's offsets end at %lld",
                                     (long long)s->n_files, (long long)q->L,
                                     (long long)lo->in[s->index].end),
                     "needed: the newest entries of the log are missing",
                     reset_todo);
        }
        if (s->has_start && !s->start.ok)
            prob(r, 2, s->start.path, s->start.why,
                 "needed: a rate or generator source derives its rows from "
                 "the start time, so a replay gives the same rows",
                 reset_todo);
        if (s->log.n)
            section(r, what, "file source log: %zu entries, %lld files",
                    s->log.n, (long long)s->n_files);
        else
            section(r, what, "%s",
                    s->has_start ? "start time" : "no log (nothing to replay)");
    }
}

static void check_state(ck_report *r, ck_query *q)
{
    sp_arena *a = r->a;
    if (q->plan_parts > 0 && q->V >= 0) {
        /* the plan of a stateful query names its partition count */
        const ck_op *op = q->n_ops ? &q->ops[0] : NULL;
        for (int p = 0; p < q->plan_parts; p++) {
            bool have = false;
            for (int k = 0; op && k < op->n; k++) have |= op->parts[k].p == p;
            if (!have)
                prob(r, 2, sp_arena_printf(a, "%s/state/0/%d", q->dir, p),
                     sp_arena_printf(a,
                                     "the state of partition %d is missing "
                                     "(the plan has %d partitions)",
                                     p, q->plan_parts),
                     sp_arena_printf(a,
                                     "needed: recovery loads version %lld of "
                                     "every partition",
                                     (long long)q->V),
                     reset_todo);
        }
        if (r->n) section(r, "state", "partitions missing");
    }
    for (int i = 0; i < q->n_ops; i++) {
        ck_op *op = &q->ops[i];
        int n_files = 0;
        for (int k = 0; k < op->n; k++) {
            ck_part *pt = &op->parts[k];
            n_files += (int)pt->n;
            int64_t s = part_snap(pt, q->V);
            bool open_named = false;
            for (size_t f = 0; f < pt->n; f++) {
                ck_sfile *sf = &pt->f[f];
                if (sf->ok) continue;
                bool in_chain =
                    q->V >= 0 && sf->version <= q->V &&
                    ((sf->kind == SF_SNAPSHOT && sf->version == s) ||
                     (sf->kind == SF_DELTA && sf->version > s));
                if (!in_chain) {
                    const char *why =
                        sf->version > q->V
                            ? sp_arena_printf(
                                  a,
                                  "not needed: recovery loads version %lld; "
                                  "files above it are never read, and the "
                                  "re-run of batch %lld overwrites them",
                                  (long long)q->V, (long long)q->V + 1)
                            : sp_arena_printf(
                                  a,
                                  "not needed: recovery loads version %lld "
                                  "from %s, not from this file",
                                  (long long)q->V, chain_desc(a, s, q->V));
                    prob(r, 1, sf->path, sf->why, why,
                         sf->version > q->V
                             ? "nothing for recovery; you may delete it"
                             : "nothing for recovery; you may delete it "
                               "(state maintenance removes old files "
                               "later)");
                    continue;
                }
                if (pt->open_why && strstr(pt->open_why, sf->path))
                    open_named = true;
                const char *todo;
                if (sf->version == q->V && can_rewind(q)) {
                    todo = rewind_todo(r, q);
                } else if (sf->kind == SF_SNAPSHOT) {
                    int64_t s2 = part_snap(pt, sf->version - 1);
                    todo = chain_ok(pt, q->V, s2) &&
                                   (s2 < 0 || part_find(pt, s2, SF_SNAPSHOT))
                               ? sp_arena_printf(
                                     a,
                                     "delete it: version %lld can then be "
                                     "loaded from %s, which are present and "
                                     "intact",
                                     (long long)q->V, chain_desc(a, s2, q->V))
                               : reset_todo;
                } else {
                    todo = reset_todo;
                }
                prob(r, 2, sf->path, sf->why,
                     sp_arena_printf(a,
                                     "needed: recovery loads state version "
                                     "%lld of this partition from %s",
                                     (long long)q->V, chain_desc(a, s, q->V)),
                     todo);
            }
            if (pt->open_tried && !pt->open_ok && !open_named) {
                /* the store's loader found what the file check did not
                 * (a missing delta, or a damaged file already reported) */
                bool reported = false;
                for (size_t f = 0; f < pt->n; f++)
                    if (!pt->f[f].ok && strstr(pt->open_why, pt->f[f].path))
                        reported = true;
                if (!reported)
                    prob(r, 2, pt->dir, pt->open_why,
                         sp_arena_printf(a,
                                         "needed: recovery opens this "
                                         "partition at version %lld",
                                         (long long)q->V),
                         pt->open_hint ? pt->open_hint : reset_todo);
            }
        }
        r->files += n_files;
        section(r, sp_arena_printf(a, "state/%d", op->id),
                "%d partition(s), %d file(s)%s", op->n, n_files,
                q->V >= 0 ? sp_arena_printf(a,
                                            "; every partition loads "
                                            "version %lld",
                                            (long long)q->V)
                          : "");
    }
}

static void check_query(ck_report *r, ck_query *q)
{
    fprintf(r->out, "query %s (%s)\n", q->name, q->dir);
    check_logs(r, q);
    check_sources(r, q);
    check_state(r, q);
    if (q->n_tmp) {
        sp_buf b;
        sp_buf_init(&b);
        for (int i = 0; i < q->n_tmp && i < 5; i++)
            sp_buf_printf(&b, "%s%s", i ? ", " : "", rel(q, q->tmp[i]));
        if (q->n_tmp > 5) sp_buf_printf(&b, ", ... (%d more)", q->n_tmp - 5);
        fprintf(r->out,
                "  %-8s %-10s %d temporary file(s) left by a crash mid-write "
                "(harmless: never read, state maintenance removes its own; "
                "you may delete them): %s\n",
                "note", "temp", q->n_tmp, b.data ? b.data : "");
        sp_buf_free(&b);
        r->tmp += q->n_tmp;
    }
    if (q->n_other) {
        for (int i = 0; i < q->n_other && i < 5; i++)
            fprintf(r->out,
                    "  %-8s %-10s unexpected file, ignored by spate: %s\n",
                    "note", "other", q->other[i]);
        if (q->n_other > 5)
            fprintf(r->out, "  %-8s %-10s ... and %d more\n", "note", "other",
                    q->n_other - 5);
    }
}

/* ---- the public calls ----------------------------------------------------
 */

SPATE_EXTERN int spate_checkpoint_inspect(const char *dir, int json,
                                          int last_batches, FILE *out,
                                          spate_error_t *perr)
{
    sp_err *err = (sp_err *)perr;
    sp_err_clear(err);
    if (!dir || !out) return sp_err_set(err, SP_EINVAL, "no directory given");
    if (last_batches <= 0) last_batches = CK_DEFAULT_LAST;
    sp_arena *a = sp_arena_create(1 << 16);
    if (!a) return sp_err_set(err, SP_ENOMEM, "out of memory");
    const char **qs;
    int nq;
    bool root;
    int rc = find_queries(dir, a, &qs, &nq, &root, err);
    sp_buf b;
    sp_buf_init(&b);
    if (!rc && json) {
        sp_buf_puts(&b, "{\"checkpoint\":");
        jstr(&b, dir);
        sp_buf_puts(&b, ",\"queries\":[");
    }
    for (int i = 0; i < nq && !rc; i++) {
        ck_query q;
        rc = scan_query(&q, qs[i], a, false, last_batches, err);
        if (rc) break;
        if (json) {
            if (i) sp_buf_putc(&b, ',');
            inspect_json(&q, last_batches, &b);
        } else {
            inspect_table(&q, last_batches, out);
        }
    }
    if (!rc && json) {
        if (sp_buf_puts(&b, "]}\n"))
            rc = sp_err_set(err, SP_ENOMEM, "out of memory");
        else
            fwrite(b.data, 1, b.len, out);
    }
    sp_buf_free(&b);
    sp_arena_destroy(a);
    return rc;
}

SPATE_EXTERN int spate_checkpoint_check(const char *dir, FILE *out,
                                        int *problems, spate_error_t *perr)
{
    sp_err *err = (sp_err *)perr;
    sp_err_clear(err);
    if (problems) *problems = 0;
    if (!dir || !out) return sp_err_set(err, SP_EINVAL, "no directory given");
    sp_arena *a = sp_arena_create(1 << 16);
    if (!a) return sp_err_set(err, SP_ENOMEM, "out of memory");
    const char **qs;
    int nq;
    bool root;
    int rc = find_queries(dir, a, &qs, &nq, &root, err);
    ck_report r;
    memset(&r, 0, sizeof r);
    r.out = out;
    r.a = a;
    if (!rc)
        fprintf(out, "checking %s (%d quer%s)\n\n", dir, nq,
                nq == 1 ? "y" : "ies");
    for (int i = 0; i < nq && !rc; i++) {
        ck_query q;
        rc = scan_query(&q, qs[i], a, true, 0, err);
        if (rc) break;
        check_query(&r, &q);
        fputc('\n', out);
    }
    if (!rc) {
        fprintf(out,
                "summary: %d file(s) checked in %d quer%s: %d error(s), %d "
                "warning(s), %d temporary file(s) -- %s\n",
                r.files, nq, nq == 1 ? "y" : "ies", r.errors, r.warnings, r.tmp,
                r.errors ? "recovery will FAIL until the errors are fixed"
                         : "recovery will succeed");
        if (problems) *problems = r.errors;
    }
    sp_arena_destroy(a);
    return rc;
}
