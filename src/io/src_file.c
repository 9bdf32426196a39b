/*
 * src_file.c -- the file source: a directory of JSON-lines, CSV or text
 * files, taken in file-name order, each file exactly once.
 *
 * Offsets are indexes into the source's file list. The list is durable:
 * when a batch takes new files, they are appended to the list and written
 * to <state_dir>/<batch_id> (a checked file) before the runtime writes the
 * offset WAL entry, so a restart rebuilds exactly the same list and a
 * recorded range [start, end) always names the same files.
 *
 * Splits: a file larger than the split size is cut into byte ranges at
 * line boundaries (a split owns the lines that start inside it), so one big
 * file still uses every core. CSV files are never cut (a quoted field may
 * hold a newline). Line numbers in error messages are exact: a split that
 * starts mid-file counts the newlines before it when it first needs to.
 */
#define _GNU_SOURCE
#include "io/ioInt.h"
#include "core/json.h"
#include "log/log.h"
#include "os/os.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const sp_opt_def file_options[] = {
    {"path", SP_OPT_STR, NULL, true, NULL, "directory to read files from"},
    {"format", SP_OPT_ENUM, "json", false, "json|jsonl|csv|text",
     "record format of the files"},
    {"max_files_per_trigger", SP_OPT_INT, NULL, false, NULL,
     "at most this many new files per micro-batch"},
    {"on_error", SP_OPT_ENUM, "skip", false, "skip|fail",
     "what a malformed record does: skip (and count) or fail the query"},
    {"header", SP_OPT_BOOL, "false", false, NULL,
     "CSV: the first line of each file is a header"},
    {"delimiter", SP_OPT_STR, ",", false, NULL, "CSV: field separator"},
    {"null_value", SP_OPT_STR, "", false, NULL, "CSV: text that means NULL"},
    {"split_size", SP_OPT_INT, "67108864", false, NULL,
     "bytes per parallel split of a large file"},
    {0}};

typedef struct file_ent {
    char *path; /* full path, heap */
    int64_t size;
} file_ent;

struct sp_source {
    char *name;
    char *dir;       /* the watched directory */
    char *state_dir; /* checkpoint dir for the file log, or NULL */
    const sp_schema *schema;
    sp_format_kind format;
    sp_format_opts fopts;
    bool fail_on_error;
    int64_t max_files; /* 0 = no limit */
    int64_t split_size;
    /* The file list: files[0..n_files) in the order taken; offsets index
     * it. Entries past the last planned end were logged but not consumed
     * yet (a crash between the file log and the offset WAL). */
    file_ent *files;
    int64_t n_files, cap_files;
    /* Discovered for available_now but not logged yet. */
    file_ent *pending;
    int64_t n_pending;
    /* Names already taken or pending (sorted array for bsearch). */
    char **seen;
    int64_t n_seen, cap_seen;
    pthread_mutex_t lock; /* guards nothing on the hot path: only the
                             warning counter below is shared by readers */
    _Atomic uint64_t n_warned;
};

/* ---- the seen set ------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool seen_has(sp_source *s, const char *path)
{
    return s->n_seen && bsearch(&path, s->seen, (size_t)s->n_seen,
                                sizeof(char *), cmp_str) != NULL;
}

static int seen_add(sp_source *s, const char *path)
{
    if (s->n_seen == s->cap_seen) {
        int64_t cap = s->cap_seen ? s->cap_seen * 2 : 256;
        char **n = sp_realloc(s->seen, (size_t)cap * sizeof *n);
        if (!n) return SP_ENOMEM;
        s->seen = n;
        s->cap_seen = cap;
    }
    /* insert in order */
    int64_t lo = 0, hi = s->n_seen;
    while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if (strcmp(s->seen[mid], path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(s->seen + lo + 1, s->seen + lo,
            (size_t)(s->n_seen - lo) * sizeof(char *));
    s->seen[lo] = sp_strdup(path);
    if (!s->seen[lo]) return SP_ENOMEM;
    s->n_seen++;
    return 0;
}

static int files_push(sp_source *s, const char *path, int64_t size)
{
    if (s->n_files == s->cap_files) {
        int64_t cap = s->cap_files ? s->cap_files * 2 : 256;
        file_ent *n = sp_realloc(s->files, (size_t)cap * sizeof *n);
        if (!n) return SP_ENOMEM;
        s->files = n;
        s->cap_files = cap;
    }
    s->files[s->n_files].path = sp_strdup(path);
    if (!s->files[s->n_files].path) return SP_ENOMEM;
    s->files[s->n_files].size = size;
    s->n_files++;
    return 0;
}

/* ---- the durable file log ---------------------------------------------- */

#define FILE_LOG_KIND "spate-file-source"

static int log_load(sp_source *s, sp_err *err)
{
    if (!s->state_dir) return 0;
    int64_t *ids;
    size_t n_ids;
    int rc = sp_log_ids(s->state_dir, &ids, &n_ids, err);
    if (rc) return rc;
    sp_arena *a = sp_arena_create(0);
    for (size_t i = 0; i < n_ids && rc == 0; i++) {
        char *body;
        size_t len;
        rc = sp_log_read(s->state_dir, ids[i], FILE_LOG_KIND, &body, &len, err);
        if (rc) break;
        sp_json *j;
        rc = sp_json_parse(body, len, a, &j, err);
        if (rc == 0) {
            int64_t first = sp_json_get_int(j, "first", -1);
            const sp_json *arr = sp_json_get(j, "files");
            if (first != s->n_files || !arr || arr->kind != SP_JSON_ARR) {
                sp_err_set(err, SP_ECORRUPT,
                           "file source log %s/%lld does not continue the "
                           "list (first=%lld, expected %lld)",
                           s->state_dir, (long long)ids[i], (long long)first,
                           (long long)s->n_files);
                sp_err_hint(err, "a log file is missing or was changed by "
                                 "hand; restore it or start over with "
                                 "--reset-checkpoint");
                rc = SP_ECORRUPT;
            }
            for (const sp_json *f = arr ? arr->child : NULL; f && !rc;
                 f = f->next) {
                const char *p = sp_json_get_str(f, "path", NULL);
                if (!p) {
                    rc = sp_err_set(err, SP_ECORRUPT,
                                    "file source log %s/%lld: entry "
                                    "without a path",
                                    s->state_dir, (long long)ids[i]);
                    break;
                }
                rc = files_push(s, p, sp_json_get_int(f, "size", 0));
                if (!rc) rc = seen_add(s, p);
            }
        } else {
            sp_err_set(err, SP_ECORRUPT, "file source log %s/%lld is damaged",
                       s->state_dir, (long long)ids[i]);
            rc = SP_ECORRUPT;
        }
        sp_free(body);
        sp_arena_reset(a);
    }
    sp_arena_destroy(a);
    sp_free(ids);
    return rc;
}

static int log_append(sp_source *s, int64_t batch_id, int64_t first, int64_t n,
                      sp_err *err)
{
    if (!s->state_dir || n == 0) return 0;
    sp_buf b;
    sp_buf_init(&b);
    sp_buf_printf(&b, "{\"batchId\":%lld,\"first\":%lld,\"files\":[",
                  (long long)batch_id, (long long)first);
    for (int64_t i = 0; i < n; i++) {
        file_ent *f = &s->files[first + i];
        sp_buf_puts(&b, i ? ",\n{\"path\":" : "\n{\"path\":");
        sp_buf_json_str(&b, f->path, strlen(f->path));
        sp_buf_printf(&b, ",\"size\":%lld}", (long long)f->size);
    }
    sp_buf_puts(&b, "]}\n");
    int rc =
        sp_log_write(s->state_dir, batch_id, FILE_LOG_KIND, b.data, b.len, err);
    sp_buf_free(&b);
    return rc;
}

/* A directory a file sink writes has a manifest (_spate_log): only the
 * files it lists belong to committed batches. Returns the listed names
 * (sorted, caller frees) in *committed, or n = -1 when there is no
 * manifest. */
static int sink_manifest(sp_source *s, sp_names *committed, sp_err *err)
{
    committed->names = NULL;
    committed->n = 0;
    size_t dl = strlen(s->dir) + 16;
    char *log = sp_malloc(dl);
    snprintf(log, dl, "%s/_spate_log", s->dir);
    if (!sp_os_is_dir(log)) {
        sp_free(log);
        committed->n = (size_t)-1;
        return 0;
    }
    int64_t *ids;
    size_t n_ids;
    int rc = sp_log_ids(log, &ids, &n_ids, err);
    sp_arena *a = sp_arena_create(0);
    size_t cap = 0;
    for (size_t i = 0; !rc && i < n_ids; i++) {
        char *body;
        size_t len;
        rc = sp_log_read(log, ids[i], "spate-file-sink", &body, &len, err);
        if (rc) break;
        sp_json *j;
        if (sp_json_parse(body, len, a, &j, err) == 0) {
            const sp_json *fs = sp_json_get(j, "files");
            for (const sp_json *f = fs ? fs->child : NULL; f; f = f->next) {
                const char *p = sp_json_get_str(f, "path", NULL);
                if (!p) continue;
                if (committed->n == cap) {
                    cap = cap ? cap * 2 : 64;
                    committed->names =
                        sp_realloc(committed->names, cap * sizeof(char *));
                }
                committed->names[committed->n++] = sp_strdup(p);
            }
        }
        sp_free(body);
        sp_arena_reset(a);
    }
    sp_arena_destroy(a);
    sp_free(ids);
    sp_free(log);
    if (committed->n > 1)
        qsort(committed->names, committed->n, sizeof(char *), cmp_str);
    return rc;
}

/* Lists the directory and returns the new files (not seen), sorted. */
static int discover(sp_source *s, file_ent **out, int64_t *n_out, sp_err *err)
{
    *out = NULL;
    *n_out = 0;
    sp_names committed;
    int mrc = sink_manifest(s, &committed, err);
    if (mrc) return mrc;
    sp_names names;
    int rc = sp_os_list_dir(s->dir, true, &names, err);
    file_ent *fs = rc ? NULL : sp_calloc(names.n + 1, sizeof *fs);
    if (!rc && !fs) {
        sp_os_names_free(&names);
        rc = sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    if (rc) {
        if (committed.n != (size_t)-1) sp_os_names_free(&committed);
        if (rc == SP_ENOTFOUND)
            sp_err_hint(err, "create the directory, or fix the source's path "
                             "option");
        return rc;
    }
    int64_t k = 0;
    for (size_t i = 0; i < names.n; i++) {
        size_t dl = strlen(s->dir);
        char *p = sp_malloc(dl + strlen(names.names[i]) + 2);
        if (!p) break;
        sprintf(p, "%s%s%s", s->dir, (dl && s->dir[dl - 1] == '/') ? "" : "/",
                names.names[i]);
        int64_t size = sp_os_file_size(p);
        const char *nm = names.names[i];
        bool uncommitted =
            committed.n != (size_t)-1 &&
            !(committed.n && bsearch(&nm, committed.names, committed.n,
                                     sizeof(char *), cmp_str));
        if (size < 0 || sp_os_is_dir(p) || seen_has(s, p) ||
            strstr(names.names[i], ".tmp") || uncommitted) {
            sp_free(p);
            continue;
        }
        fs[k].path = p;
        fs[k].size = size;
        k++;
    }
    sp_os_names_free(&names);
    if (committed.n != (size_t)-1) sp_os_names_free(&committed);
    *out = fs;
    *n_out = k;
    return 0;
}

static void ents_free(file_ent *fs, int64_t n)
{
    for (int64_t i = 0; i < n; i++) sp_free(fs[i].path);
    sp_free(fs);
}

/* ---- vtab -------------------------------------------------------------- */

static void file_close(sp_source *s);

static int file_open(const sp_source_conf *conf, sp_source **out, sp_err *err)
{
    sp_source *s = sp_calloc(1, sizeof *s);
    if (!s) return sp_err_set(err, SP_ENOMEM, "out of memory");
    s->name = sp_strdup(conf->name);
    const char *path = sp_opts_get(conf->opts, "path");
    s->dir = sp_strdup(path ? path : ".");
    s->state_dir = conf->state_dir ? sp_strdup(conf->state_dir) : NULL;
    s->schema = conf->schema;
    s->format = conf->format;
    s->fopts = conf->format_opts;
    s->fail_on_error = conf->fail_on_error;
    s->max_files = sp_opts_int(conf->opts, "max_files_per_trigger", 0);
    s->split_size = sp_opts_int(conf->opts, "split_size", 64 << 20);
    if (s->split_size < 4096) s->split_size = 4096;
    pthread_mutex_init(&s->lock, NULL);
    int rc = log_load(s, err);
    if (rc) {
        file_close(s);
        return rc;
    }
    if (!sp_os_is_dir(s->dir)) {
        sp_err_set(err, SP_ENOTFOUND, "source %s: directory %s does not exist",
                   s->name, s->dir);
        sp_err_hint(err, "create it (mkdir -p %s) or fix the path option",
                    s->dir);
        file_close(s);
        return SP_ENOTFOUND;
    }
    *out = s;
    return 0;
}

static int file_next_end(sp_source *s, int64_t batch_id, int64_t start,
                         int64_t now_us, int limit, int64_t *end, sp_err *err)
{
    int64_t cap = sp_src_cap(limit, s->max_files);
    /* Files logged but not consumed (after a crash) come first. */
    if (s->n_files > start) {
        *end = start + SP_MIN(cap, s->n_files - start);
        return 0;
    }
    file_ent *fs = s->pending;
    int64_t n = s->n_pending;
    bool from_pending = n > 0;
    if (!from_pending) {
        int rc = discover(s, &fs, &n, err);
        if (rc) return rc;
    }
    int64_t take = SP_MIN(cap, n);
    int64_t first = s->n_files;
    int rc = 0;
    for (int64_t i = 0; i < take && !rc; i++) {
        rc = files_push(s, fs[i].path, fs[i].size);
        if (!rc && !from_pending) rc = seen_add(s, fs[i].path);
    }
    if (from_pending) {
        for (int64_t i = 0; i < take; i++) sp_free(fs[i].path);
        memmove(fs, fs + take, (size_t)(n - take) * sizeof *fs);
        s->n_pending -= take;
    } else {
        ents_free(fs, n);
    }
    if (!rc) rc = log_append(s, batch_id, first, take, err);
    if (rc) return rc;
    *end = start + take;
    return 0;
}

static int file_latest(sp_source *s, int64_t start, int64_t now_us,
                       int64_t *end, sp_err *err)
{
    file_ent *fs;
    int64_t n;
    int rc = discover(s, &fs, &n, err);
    if (rc) return rc;
    file_ent *np =
        sp_realloc(s->pending, (size_t)(s->n_pending + n + 1) * sizeof *np);
    if (!np) {
        ents_free(fs, n);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    s->pending = np;
    for (int64_t i = 0; i < n; i++) {
        s->pending[s->n_pending++] = fs[i];
        if (seen_add(s, fs[i].path)) {
            sp_free(fs);
            return sp_err_set(err, SP_ENOMEM, "out of memory");
        }
    }
    sp_free(fs);
    *end = s->n_files + s->n_pending;
    if (*end < start) *end = start;
    return 0;
}

static int file_plan_splits(sp_source *s, int64_t batch_id, int64_t start,
                            int64_t end, int max_splits, sp_arena *a,
                            sp_split **out, int *n_out, sp_err *err)
{
    if (end > s->n_files)
        return sp_err_set(err, SP_ECORRUPT,
                          "source %s: offset %lld is past the %lld files in "
                          "its log",
                          s->name, (long long)end, (long long)s->n_files);
    int64_t total = 0;
    for (int64_t i = start; i < end; i++) total += s->files[i].size;
    int64_t target = total / (max_splits > 0 ? max_splits : 1);
    if (target < (1 << 20)) target = 1 << 20;
    if (target > s->split_size) target = s->split_size;
    bool can_cut = s->format != SP_FMT_CSV;
    int cap = 16, n = 0;
    sp_split *v = sp_arena_alloc(a, (size_t)cap * sizeof *v);
    for (int64_t i = start; i < end; i++) {
        int64_t size = s->files[i].size;
        int64_t off = 0;
        while (off < size) {
            int64_t len = can_cut ? SP_MIN(target, size - off) : size;
            /* avoid a tiny tail split */
            if (can_cut && size - off - len < target / 4) len = size - off;
            if (n == cap) {
                sp_split *nv = sp_arena_alloc(a, (size_t)cap * 2 * sizeof *nv);
                if (!nv) return sp_err_set(err, SP_ENOMEM, "out of memory");
                memcpy(nv, v, (size_t)n * sizeof *nv);
                v = nv;
                cap *= 2;
            }
            v[n].index = n;
            v[n].path = s->files[i].path;
            v[n].start = off;
            v[n].end = off + len;
            v[n].first_line = off == 0 ? 1 : 0;
            n++;
            off += len;
        }
    }
    *out = v;
    *n_out = n;
    return 0;
}

/* ---- reading ----------------------------------------------------------- */

typedef struct read_ctx {
    sp_source *s;
    const sp_split *sp;
    int fd;
    int64_t line_base; /* absolute line number of the split's first line,
                          0 = not computed yet */
    int64_t begin;     /* byte where the split's first line starts */
    sp_err *err;
    sp_read_stats *stats;
} read_ctx;

/* Counts newlines before byte `upto` to number lines of a mid-file split. */
static int64_t count_lines_before(int fd, int64_t upto)
{
    char buf[1 << 16];
    int64_t lines = 1, pos = 0;
    while (pos < upto) {
        ssize_t r = pread(fd, buf,
                          (size_t)SP_MIN((int64_t)sizeof buf, upto - pos), pos);
        if (r <= 0) break;
        for (ssize_t i = 0; i < r; i++) lines += buf[i] == '\n';
        pos += r;
    }
    return lines;
}

#define MAX_WARNINGS 20

static int on_bad_line(void *ud, uint64_t line_no, const char *line,
                       size_t line_len, const char *why)
{
    read_ctx *c = ud;
    c->stats->bad_rows++;
    if (c->line_base == 0) c->line_base = count_lines_before(c->fd, c->begin);
    uint64_t abs_line = (uint64_t)c->line_base + line_no - 1;
    if (c->s->fail_on_error) {
        sp_err_set(c->err, SP_EDATA, "malformed record in source %s: %s",
                   c->s->name, why);
        sp_err_at(c->err, c->sp->path, (int)abs_line, 0, 0);
        sp_err_detail(c->err, "the line is: %.*s", (int)SP_MIN(line_len, 200),
                      line);
        sp_err_hint(c->err, "fix the record, or set on_error = 'skip' on the "
                            "source to skip and count malformed records");
        return 1;
    }
    uint64_t k = atomic_fetch_add(&c->s->n_warned, 1);
    if (k < MAX_WARNINGS)
        fprintf(stderr,
                "spate: warning: %s:%llu: skipped malformed record: "
                "%s\n",
                c->sp->path, (unsigned long long)abs_line, why);
    else if (k == MAX_WARNINGS)
        fprintf(stderr, "spate: warning: more malformed records are skipped "
                        "silently; numMalformedRows in the progress record "
                        "counts them\n");
    return 0;
}

#define NOT_MAPPED 1

/* Reads a split through a memory map of the file: the page cache is parsed
 * in place (string values are views into it) with no copy into a buffer.
 * Returns NOT_MAPPED when the file cannot be mapped; the caller then reads
 * it with pread. Input files must not be truncated while a batch reads
 * them (a file source's contract: files are moved in complete). */
static int read_mapped(sp_source *s, const sp_split *sp, int fd,
                       sp_emit_fn emit, void *ud, sp_read_stats *stats,
                       sp_err *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0 || sp->start >= st.st_size)
        return NOT_MAPPED;
    int64_t page = sysconf(_SC_PAGESIZE);
    /* from the byte before the split: it says whether a line starts at
     * the split's first byte */
    int64_t first = sp->start > 0 ? sp->start - 1 : 0;
    int64_t map_off = first - first % page;
    size_t map_len = (size_t)(st.st_size - map_off);
    char *map = mmap(NULL, map_len, PROT_READ, MAP_PRIVATE, fd, map_off);
    if (map == MAP_FAILED) return NOT_MAPPED;
    const char *base = map - map_off; /* base[i] = byte i of the file */
    int64_t size = st.st_size;
    int64_t split_end = SP_MIN(sp->end, size);
    madvise(map, map_len, MADV_SEQUENTIAL);
    /* The split owns the lines that start inside it. */
    int64_t pos = sp->start;
    if (pos > 0 && base[pos - 1] != '\n') {
        const char *nl = memchr(base + pos, '\n', (size_t)(size - pos));
        pos = nl ? nl - base + 1 : size;
    }
    int64_t stop = size;
    if (split_end < size) {
        const char *nl =
            memchr(base + split_end - 1, '\n', (size_t)(size - split_end + 1));
        stop = nl ? nl - base + 1 : size;
    }
    int rc = 0;
    if (pos >= stop && !(pos == 0 && stop == 0)) goto done;
    sp_reader *rd = sp_reader_create(s->format, s->schema, &s->fopts, err);
    sp_arena *arena = sp_arena_create(1 << 20);
    if (!rd || !arena) {
        rc =
            err->code ? err->code : sp_err_set(err, SP_ENOMEM, "out of memory");
    } else {
        read_ctx ctx = {s, sp, fd, sp->start == 0 ? 1 : 0, pos, err, stats};
        const char *buf = base + pos;
        size_t len = (size_t)(stop - pos), p = 0;
        uint64_t line_no = 1;
        stats->bytes += len;
        while (p < len && !rc) {
            sp_batch b;
            rc = sp_reader_parse(rd, buf, len, &p, &line_no, pos == 0 && p == 0,
                                 SP_BATCH_ROWS, &b, arena, on_bad_line, &ctx,
                                 err);
            if (!rc && b.n_rows > 0) {
                stats->rows += b.n_rows;
                rc = emit(ud, &b, err);
            }
            sp_arena_reset(arena);
        }
    }
    if (rd) sp_reader_destroy(rd);
    if (arena) sp_arena_destroy(arena);
done:
    munmap(map, map_len);
    return rc;
}

static int file_read(sp_source *s, const sp_split *sp, sp_emit_fn emit,
                     void *ud, sp_read_stats *stats, sp_err *err)
{
    int fd = open(sp->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sp_err_sys(err, errno == ENOENT ? SP_ENOTFOUND : SP_EIO, errno,
                   "source %s: cannot open %s", s->name, sp->path);
        if (errno == ENOENT)
            sp_err_hint(err, "files must stay in the source directory until "
                             "the batch that reads them has committed");
        return err->code;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    int rc = read_mapped(s, sp, fd, emit, ud, stats, err);
    if (rc != NOT_MAPPED) {
        close(fd);
        return rc;
    }
    rc = 0;
    size_t cap = 8u << 20;
    char *buf = NULL;
    sp_reader *rd = sp_reader_create(s->format, s->schema, &s->fopts, err);
    sp_arena *arena = sp_arena_create(1 << 20);
    if (!rd || !arena) {
        rc =
            err->code ? err->code : sp_err_set(err, SP_ENOMEM, "out of memory");
        goto done;
    }
    /* A quoted CSV field may hold a newline, so a CSV file (never split)
     * is read whole rather than cut at a newline inside a field. */
    if (s->format == SP_FMT_CSV) {
        int64_t fs = sp_os_file_size(sp->path);
        if (fs + 1 > (int64_t)cap) cap = (size_t)fs + 1;
    }
    buf = sp_malloc(cap);
    if (!buf) {
        rc = sp_err_set(err, SP_ENOMEM, "out of memory");
        goto done;
    }
    /* Where the split's first line starts. */
    int64_t pos = sp->start;
    if (pos > 0) {
        char c;
        if (pread(fd, &c, 1, pos - 1) == 1 && c != '\n') {
            /* skip the rest of the line that began in the previous split */
            for (;;) {
                ssize_t r = pread(fd, buf, SP_MIN(cap, 65536), pos);
                if (r <= 0) {
                    pos = INT64_MAX;
                    break;
                }
                char *nl = memchr(buf, '\n', (size_t)r);
                if (nl) {
                    pos += nl - buf + 1;
                    break;
                }
                pos += r;
            }
        }
    }
    read_ctx rc_ctx = {s, sp, fd, sp->first_line == 1 ? 1 : 0, pos, err, stats};
    if (pos >= sp->end && pos != sp->start) goto done; /* no line starts here */
    uint64_t line_no = 1; /* relative to the split's first line */
    size_t have = 0;
    int64_t base = pos; /* file offset of buf[0] */
    bool first_chunk = sp->start == 0;
    for (;;) {
        ssize_t r = 0;
        if (have < cap) {
            r = pread(fd, buf + have, cap - have, base + (int64_t)have);
            if (r < 0) {
                if (errno == EINTR) continue;
                rc = sp_err_sys(err, SP_EIO, errno, "source %s: cannot read %s",
                                s->name, sp->path);
                goto done;
            }
        }
        have += (size_t)r;
        stats->bytes += (uint64_t)r;
        bool eof = r == 0 && have < cap;
        /* cut: end of the last complete line in the buffer */
        size_t cut = have;
        if (!eof && s->format == SP_FMT_CSV) {
            cut = 0; /* parse a CSV file only once it is all in memory */
        } else if (!eof) {
            char *nl = memrchr(buf, '\n', have);
            cut = nl ? (size_t)(nl - buf) + 1 : 0;
        }
        /* lines starting at or after the split end belong to the next
         * split */
        bool last = eof;
        if (base + (int64_t)have >= sp->end) {
            int64_t rel = sp->end - 1 - base; /* last byte of the split */
            if (rel < 0) {
                cut = 0;
                last = true;
            } else {
                char *nl = memchr(buf + rel, '\n', have - (size_t)rel);
                if (nl) {
                    size_t c2 = (size_t)(nl - buf) + 1;
                    if (c2 <= cut || eof) {
                        cut = SP_MIN(cut, c2);
                        last = true;
                    }
                }
            }
        }
        if (cut == 0 && !last) {
            /* a line longer than the buffer: grow */
            if (have == cap) {
                char *nb = sp_realloc(buf, cap * 2);
                if (!nb) {
                    rc = sp_err_set(err, SP_ENOMEM, "out of memory");
                    goto done;
                }
                buf = nb;
                cap *= 2;
            }
            continue;
        }
        size_t p = 0;
        while (p < cut) {
            sp_batch b;
            rc = sp_reader_parse(rd, buf, cut, &p, &line_no,
                                 first_chunk && p == 0, SP_BATCH_ROWS, &b,
                                 arena, on_bad_line, &rc_ctx, err);
            if (rc) goto done;
            if (b.n_rows > 0) {
                stats->rows += b.n_rows;
                rc = emit(ud, &b, err);
                if (rc) goto done;
            }
            sp_arena_reset(arena);
        }
        first_chunk = false;
        if (last) break;
        memmove(buf, buf + cut, have - cut);
        have -= cut;
        base += (int64_t)cut;
    }
done:
    sp_free(buf);
    if (rd) sp_reader_destroy(rd);
    if (arena) sp_arena_destroy(arena);
    close(fd);
    return rc;
}

static void file_describe(sp_source *s, sp_buf *out)
{
    static const char *fmts[] = {"json", "csv", "text"};
    sp_buf_printf(out, "FileStreamSource[%s, format=%s]", s->dir,
                  fmts[s->format]);
}

static void file_close(sp_source *s)
{
    if (!s) return;
    for (int64_t i = 0; i < s->n_files; i++) sp_free(s->files[i].path);
    sp_free(s->files);
    ents_free(s->pending, s->n_pending);
    for (int64_t i = 0; i < s->n_seen; i++) sp_free(s->seen[i]);
    sp_free(s->seen);
    sp_free(s->name);
    sp_free(s->dir);
    sp_free(s->state_dir);
    pthread_mutex_destroy(&s->lock);
    sp_free(s);
}

/* Files not in a batch yet: logged or found but not taken, plus new ones in
 * the directory (listing it; no side effects). */
static int64_t file_backlog(sp_source *s, int64_t end, int64_t now_us)
{
    int64_t n = (s->n_files > end ? s->n_files - end : 0) + s->n_pending;
    file_ent *fs;
    int64_t k;
    sp_err e;
    sp_err_clear(&e);
    if (discover(s, &fs, &k, &e) == 0) {
        n += k;
        ents_free(fs, k);
    }
    return n;
}

const sp_source_vtab sp_src_file = {
    .name = "file",
    .options = file_options,
    .fixed_schema = NULL,
    .replayable = true,
    .open = file_open,
    .next_end = file_next_end,
    .latest = file_latest,
    .plan_splits = file_plan_splits,
    .read = file_read,
    .commit = NULL,
    .backlog = file_backlog,
    .describe = file_describe,
    .close = file_close,
};
