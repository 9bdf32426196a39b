/*
 * filestream.c -- the file directory input stream (Spark's textFileStream).
 *
 * The stream remembers the names it has seen (a sorted array). The batch
 * at T lists the directory (sorted; names starting with '.' or '_' are
 * skipped, as Hadoop's hidden-file filter does), takes the regular files
 * whose names are not remembered, and reads them as a job: a task per
 * file, each reading its file into one partition (the file's bytes in the
 * partition's arena, a record per line pointing into them). The remembered
 * set then becomes the listing, so a name that left the directory is
 * forgotten and the set never outgrows the directory.
 *
 * Spark selects files by modification time within a remember window; a
 * name set does the same job without relating file times to the batch
 * clock (which may be a manual clock in tests), and processes each file
 * exactly once while it stays.
 */
#include "dstream/dstreamInt.h"

#include "core/json.h"
#include "os/os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The files a batch read, kept (with a checkpoint directory) until a
 * checkpoint at or after that batch: a checkpoint at T must not name the
 * files of a later batch already generated (concurrent jobs). */
typedef struct dread {
    int64_t t;
    sp_names names;
    struct dread *next;
} dread;

typedef struct dfiles {
    char *dir;
    bool new_only;
    bool restored; /* seen set from a checkpoint */
    char **seen;   /* sorted, heap strings */
    size_t n_seen;
    dread *reads; /* ascending time */
} dfiles;

int sp_dfile_create(spate_dstream_t *ds, const char *dir, bool new_only)
{
    dfiles *f = sp_calloc(1, sizeof *f);
    if (!f) return SP_ENOMEM;
    ds->files = f;
    f->new_only = new_only;
    f->dir = sp_strdup(dir);
    return f->dir ? 0 : SP_ENOMEM;
}

SPATE_EXTERN spate_dstream_t *spate_ssc_text_file_stream(spate_ssc_t *ssc,
                                                         const char *dir,
                                                         int new_files_only)
{
    if (ssc->gerr.code) return NULL;
    if (!dir || !dir[0]) {
        sp_err_set(&ssc->gerr, SP_EINVAL, "textFileStream needs a directory");
        return NULL;
    }
    spate_dstream_t *ds = spate_ssc_queue_stream(ssc, 0);
    if (!ds) return NULL;
    ds->kind = DK_FILE;
    if (sp_dfile_create(ds, dir, new_files_only != 0)) {
        sp_err_set(&ssc->gerr, SP_ENOMEM, "out of memory");
        return NULL;
    }
    return ds;
}

static void seen_free(dfiles *f)
{
    for (size_t i = 0; i < f->n_seen; i++) sp_free(f->seen[i]);
    sp_free(f->seen);
    f->seen = NULL;
    f->n_seen = 0;
}

static void reads_free(dfiles *f, int64_t upto)
{
    while (f->reads && f->reads->t <= upto) {
        dread *d = f->reads;
        f->reads = d->next;
        sp_os_names_free(&d->names);
        sp_free(d);
    }
}

void sp_dfile_free(spate_dstream_t *ds)
{
    dfiles *f = ds->files;
    if (!f) return;
    reads_free(f, INT64_MAX);
    seen_free(f);
    sp_free(f->dir);
    sp_free(f);
    ds->files = NULL;
}

/* The directory's regular files, sorted, hidden names skipped. A missing
 * directory has none. */
static int list_files(dfiles *f, sp_names *out, sp_err *err)
{
    out->names = NULL;
    out->n = 0;
    if (!sp_os_is_dir(f->dir)) return 0;
    int rc = sp_os_list_dir(f->dir, true, out, err);
    if (rc) return rc;
    size_t k = 0;
    for (size_t i = 0; i < out->n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", f->dir, out->names[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            out->names[k++] = out->names[i];
        else
            sp_free(out->names[i]);
    }
    out->n = k;
    return 0;
}

/* Takes the listing's names as the remembered set. */
static void remember(dfiles *f, sp_names *names)
{
    seen_free(f);
    f->seen = names->names;
    f->n_seen = names->n;
    names->names = NULL;
    names->n = 0;
}

int sp_dfile_start(spate_dstream_t *ds, sp_err *err)
{
    dfiles *f = ds->files;
    if (!f->new_only || f->restored) return 0;
    sp_names names;
    int rc = list_files(f, &names, err);
    if (rc) return rc;
    remember(f, &names);
    return 0;
}

/* ------------------------------------------------------------------------
 * Reading: a task per file
 * ---------------------------------------------------------------------- */

typedef struct fread_job {
    dfiles *f;
    char **names; /* the new files, in name order */
} fread_job;

static void discard_part(void *o)
{
    sp_dpart_free(o);
}

/* Reads the file into p's arena; records point into it. */
static int read_lines(const char *path, dpart *p, _Atomic int *killed,
                      sp_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT
                   ? 0 /* gone since the listing */
                   : sp_err_sys(err, SP_EIO, errno, "cannot open %s", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sp_err_sys(err, SP_EIO, e, "cannot stat %s", path);
    }
    size_t size = (size_t)st.st_size, len = 0;
    sp_arena *a = sp_dpart_arena(p);
    char *buf = a ? sp_arena_alloc(a, size ? size : 1) : NULL;
    if (!buf) {
        close(fd);
        return sp_err_set(err, SP_ENOMEM, "out of memory reading %s", path);
    }
    while (len < size) {
        ssize_t got = read(fd, buf + len, size - len);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            return sp_err_sys(err, SP_EIO, e, "cannot read %s", path);
        }
        if (got == 0) break; /* truncated since fstat: take what is there */
        len += (size_t)got;
    }
    close(fd);
    size_t s = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && buf[i] != '\n') continue;
        if (i == len && s == len) break; /* no unterminated last line */
        size_t n = i - s;
        if (n && buf[s + n - 1] == '\r') n--;
        spate_val_t v = spate_str(buf + s, n);
        if (sp_dpart_push(p, &v))
            return sp_err_set(err, SP_ENOMEM, "out of memory reading %s", path);
        s = i + 1;
        if ((p->n & 4095) == 0 && atomic_load(killed)) return SP_ESTOPPED;
    }
    return 0;
}

static int fread_run(djob *j, int i, _Atomic int *killed, void **out,
                     sp_err *err)
{
    fread_job *x = j->ud;
    dpart *p = sp_dpart_new();
    *out = p;
    if (!p) return sp_err_set(err, SP_ENOMEM, "out of memory");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", x->f->dir, x->names[i]);
    return read_lines(path, p, killed, err);
}

int sp_dfile_gen(spate_dstream_t *ds, int64_t t, sp_err *err)
{
    dfiles *f = ds->files;
    sp_names names;
    int rc = list_files(f, &names, err);
    if (rc) return rc;
    /* New = listed and not remembered: a merge of two sorted lists. */
    char **fresh = sp_malloc(sizeof *fresh * (names.n ? names.n : 1));
    if (!fresh) {
        sp_os_names_free(&names);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    size_t n = 0, k = 0;
    for (size_t i = 0; i < names.n; i++) {
        while (k < f->n_seen && strcmp(f->seen[k], names.names[i]) < 0) k++;
        if (k < f->n_seen && strcmp(f->seen[k], names.names[i]) == 0) continue;
        fresh[n++] = names.names[i];
    }
    spate_rdd_t *r = NULL;
    if (n == 0) {
        r = sp_drdd_empty(t, 1);
        if (!r) rc = sp_err_set(err, SP_ENOMEM, "out of memory");
    } else {
        void **outs = sp_calloc(n, sizeof *outs);
        fread_job x = {f, fresh};
        djob j = {sp_dkind_name(ds->kind),
                  ds->id,
                  t,
                  (int)n,
                  fread_run,
                  discard_part,
                  &x,
                  outs};
        rc = outs ? sp_dsched_run(ds->ssc, &j, err)
                  : sp_err_set(err, SP_ENOMEM, "out of memory");
        if (!rc && !(r = sp_drdd_new(t, (int)n)))
            rc = sp_err_set(err, SP_ENOMEM, "out of memory");
        for (size_t i = 0; outs && i < n; i++) {
            if (r)
                sp_drdd_take_part(r, (int)i, outs[i]);
            else
                sp_dpart_free(outs[i]);
        }
        sp_free(outs);
    }
    if (!rc && n && ds->ssc->o.checkpoint) { /* for the next checkpoints */
        dread *d = sp_calloc(1, sizeof *d);
        if (d) d->names.names = sp_calloc(n, sizeof(char *));
        for (size_t i = 0; d && d->names.names && i < n; i++)
            if ((d->names.names[i] = sp_strdup(fresh[i]))) d->names.n++;
        if (!d || !d->names.names || d->names.n < n) {
            if (d) sp_os_names_free(&d->names);
            sp_free(d);
            rc = sp_err_set(err, SP_ENOMEM, "out of memory");
        } else {
            d->t = t;
            dread **pp = &f->reads;
            while (*pp) pp = &(*pp)->next;
            *pp = d;
        }
    }
    sp_free(fresh);
    if (!rc) remember(f, &names); /* a failed batch reads them again */
    sp_os_names_free(&names);
    if (rc) {
        sp_drdd_unref(r);
        return rc;
    }
    r->time = t;
    return sp_dstream_put(ds, r) ? sp_err_set(err, SP_ENOMEM, "out of memory")
                                 : 0;
}

/* ------------------------------------------------------------------------
 * Checkpoint: the names seen as of batch t
 * ---------------------------------------------------------------------- */

static bool read_after(const dfiles *f, int64_t t, const char *name)
{
    for (const dread *d = f->reads; d; d = d->next)
        if (d->t > t)
            for (size_t i = 0; i < d->names.n; i++)
                if (strcmp(d->names.names[i], name) == 0) return true;
    return false;
}

int sp_dfile_encode(spate_dstream_t *ds, int64_t t, sp_buf *b)
{
    dfiles *f = ds->files;
    int rc = sp_buf_putc(b, '[');
    bool first = true;
    for (size_t i = 0; i < f->n_seen && !rc; i++) {
        if (read_after(f, t, f->seen[i])) continue;
        if (!first) rc = sp_buf_putc(b, ',');
        first = false;
        if (!rc) rc = sp_buf_json_str(b, f->seen[i], strlen(f->seen[i]));
    }
    if (!rc) rc = sp_buf_putc(b, ']');
    reads_free(f, t); /* a checkpoint at t covers them */
    return rc;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int sp_dfile_restore(spate_dstream_t *ds, const sp_json *names)
{
    dfiles *f = ds->files;
    seen_free(f);
    f->restored = true;
    if (!names || names->n == 0) return 0;
    if (!(f->seen = sp_calloc(names->n, sizeof *f->seen))) return SP_ENOMEM;
    for (const sp_json *e = names->child; e; e = e->next) {
        if (e->kind != SP_JSON_STR) continue;
        if (!(f->seen[f->n_seen] = sp_strdup(e->str))) return SP_ENOMEM;
        f->n_seen++;
    }
    qsort(f->seen, f->n_seen, sizeof *f->seen, cmp_name);
    return 0;
}
