/*
 * posix.c -- the os.h calls for POSIX systems.
 */
#define _GNU_SOURCE
#include "os/os.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int io_code(int e)
{
    return (e == ENOSPC || e == EDQUOT) ? SP_ENOSPC : SP_EIO;
}

int sp_os_mkdirs(const char *path, sp_err *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return sp_err_set(err, SP_EINVAL, "path too long: %s", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            char c = buf[i];
            buf[i] = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return sp_err_sys(err, io_code(errno), errno,
                                  "cannot create directory %s", buf);
            buf[i] = c;
        }
    }
    if (!sp_os_is_dir(path))
        return sp_err_set(err, SP_EIO, "%s exists and is not a directory",
                          path);
    return 0;
}

int sp_os_fsync_dir(const char *path, sp_err *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return sp_err_sys(err, SP_EIO, errno, "cannot open directory %s", path);
    int rc = 0;
    if (fsync(fd) != 0 && errno != EINVAL)
        rc = sp_err_sys(err, io_code(errno), errno, "fsync of directory %s",
                        path);
    close(fd);
    return rc;
}

static int write_atomic(const char *path, const void *data, size_t len,
                        sp_err *err);

/* Test-only fault injection: SPATE_FAIL_WRITE=<n> makes the n-th durable
 * write of the process fail with ENOSPC (n = 1 is the first), as a full
 * disk would: an atomic write after its temporary file was created, or the
 * fsync of a file written in place (sp_os_fsync_file: a sink's data file).
 * Durable writes may run on several threads at once (sink parts close on
 * the workers), so the countdown is atomic and exactly one write fails. */
static pthread_once_t g_fail_once = PTHREAD_ONCE_INIT;
static _Atomic int g_countdown = -1;

static void fail_init(void)
{
    const char *v = getenv("SPATE_FAIL_WRITE");
    atomic_store(&g_countdown, v && *v ? atoi(v) : -1);
}

static bool injected_failure(void)
{
    pthread_once(&g_fail_once, fail_init);
    int c = atomic_load(&g_countdown);
    while (c > 0)
        if (atomic_compare_exchange_weak(&g_countdown, &c, c - 1))
            return c == 1;
    return false;
}

/* Adds what to do when a write failed because the disk is full. */
static int full_disk(sp_err *err, const char *path)
{
    if (err && err->code == SP_ENOSPC)
        sp_err_hint(err,
                    "free space on the file system that holds %s; "
                    "what was committed is intact: run the query again "
                    "to continue where it stopped",
                    path);
    return err ? err->code : SP_ENOSPC;
}

int sp_os_write_atomic(const char *path, const void *data, size_t len,
                       sp_err *err)
{
    int rc = write_atomic(path, data, len, err);
    return rc ? full_disk(err, path) : 0;
}

int sp_os_fsync_file(int fd, const char *path, sp_err *err)
{
    int e = injected_failure() ? ENOSPC : fsync(fd) == 0 ? 0 : errno;
    if (!e) return 0;
    sp_err_sys(err, io_code(e), e, "cannot flush %s", path);
    return full_disk(err, path);
}

static int write_atomic(const char *path, const void *data, size_t len,
                        sp_err *err)
{
    char tmp[4200], dir[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = slash == dir ? (slash[1] = 0, '/') : 0;
    else
        snprintf(dir, sizeof dir, ".");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sp_err_sys(err, io_code(errno), errno, "cannot create %s", tmp);
    const char *p = data;
    size_t left = len;
    if (injected_failure()) {
        close(fd);
        unlink(tmp);
        return sp_err_sys(err, SP_ENOSPC, ENOSPC, "cannot write %s", path);
    }
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return sp_err_sys(err, io_code(e), e, "cannot write %s", path);
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return sp_err_sys(err, io_code(e), e, "cannot flush %s", path);
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return sp_err_sys(err, io_code(e), e, "cannot close %s", path);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return sp_err_sys(err, io_code(e), e, "cannot rename %s to %s", tmp,
                          path);
    }
    return sp_os_fsync_dir(dir, err);
}

int sp_os_read_file(const char *path, char **out, size_t *len, sp_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return sp_err_set(err, SP_ENOTFOUND, "%s does not exist", path);
        return sp_err_sys(err, SP_EIO, errno, "cannot open %s", path);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sp_err_sys(err, SP_EIO, e, "cannot stat %s", path);
    }
    size_t cap = (size_t)st.st_size;
    char *buf = sp_malloc(cap + 1);
    if (!buf) {
        close(fd);
        return sp_err_set(err, SP_ENOMEM, "out of memory reading %s", path);
    }
    size_t n = 0;
    for (;;) {
        if (n == cap) {
            char *nb = sp_realloc(buf, cap * 2 + 4096 + 1);
            if (!nb) {
                sp_free(buf);
                close(fd);
                return sp_err_set(err, SP_ENOMEM, "out of memory reading %s",
                                  path);
            }
            buf = nb;
            cap = cap * 2 + 4096;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            sp_free(buf);
            close(fd);
            return sp_err_sys(err, SP_EIO, e, "cannot read %s", path);
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    *out = buf;
    *len = n;
    return 0;
}

bool sp_os_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

bool sp_os_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int64_t sp_os_file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    return (int64_t)st.st_size;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int sp_os_list_dir(const char *path, bool skip_hidden, sp_names *out,
                   sp_err *err)
{
    out->names = NULL;
    out->n = 0;
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT)
            return sp_err_set(err, SP_ENOTFOUND, "directory %s does not exist",
                              path);
        return sp_err_sys(err, SP_EIO, errno, "cannot open directory %s", path);
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *nm = e->d_name;
        if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0) continue;
        if (skip_hidden && (nm[0] == '.' || nm[0] == '_')) continue;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = sp_realloc(out->names, cap * sizeof *nn);
            if (!nn) goto oom;
            out->names = nn;
        }
        out->names[out->n] = sp_strdup(nm);
        if (!out->names[out->n]) goto oom;
        out->n++;
    }
    closedir(d);
    if (out->n) qsort(out->names, out->n, sizeof *out->names, cmp_names);
    return 0;
oom:
    closedir(d);
    sp_os_names_free(out);
    return sp_err_set(err, SP_ENOMEM, "out of memory listing %s", path);
}

void sp_os_names_free(sp_names *n)
{
    for (size_t i = 0; i < n->n; i++) sp_free(n->names[i]);
    sp_free(n->names);
    n->names = NULL;
    n->n = 0;
}

int sp_os_remove_tree(const char *path, sp_err *err)
{
    struct stat st;
    if (lstat(path, &st) != 0) return 0;
    if (S_ISDIR(st.st_mode)) {
        sp_names names;
        if (sp_os_list_dir(path, false, &names, err)) return err->code;
        for (size_t i = 0; i < names.n; i++) {
            char child[4096];
            snprintf(child, sizeof child, "%s/%s", path, names.names[i]);
            if (sp_os_remove_tree(child, err)) {
                sp_os_names_free(&names);
                return err->code;
            }
        }
        sp_os_names_free(&names);
        if (rmdir(path) != 0)
            return sp_err_sys(err, SP_EIO, errno, "cannot remove %s", path);
    } else if (unlink(path) != 0) {
        return sp_err_sys(err, SP_EIO, errno, "cannot remove %s", path);
    }
    return 0;
}

char *sp_os_join(sp_arena *a, const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    if (dl && dir[dl - 1] == '/') dl--;
    return sp_arena_printf(a, "%.*s/%s", (int)dl, dir, name);
}
