/*
 * os.h -- platform calls: files, directories, durable writes.
 *
 * Durable write protocol (every checkpoint and manifest file): write to
 * "<path>.tmp.<pid>", fsync, rename over <path>, fsync the directory.
 * A reader therefore sees either the old file, the new one, or none --
 * never half of one. ENOSPC and EIO surface as SP_ENOSPC / SP_EIO with the
 * path in the message, and the temporary file is removed.
 */
#ifndef SP_OS_H
#define SP_OS_H

#include "core/core.h"

/* Creates a directory and its parents (mode 0755). */
int sp_os_mkdirs(const char *path, sp_err *err);
/* Writes `len` bytes to `path` durably and atomically (see above). */
int sp_os_write_atomic(const char *path, const void *data, size_t len,
                       sp_err *err);
/* Reads a whole file into a heap buffer (caller frees with sp_free); the
 * buffer gets a terminating NUL not counted in *len. SP_ENOTFOUND if
 * missing. */
int sp_os_read_file(const char *path, char **out, size_t *len, sp_err *err);
/* fsyncs a directory. */
int sp_os_fsync_dir(const char *path, sp_err *err);
/* fsyncs an open file written in place (a sink's data file); `path` names
 * it in the error: SP_ENOSPC (with the hint to free space) or SP_EIO. A
 * durable write for the test-only SPATE_FAIL_WRITE (posix.c). */
int sp_os_fsync_file(int fd, const char *path, sp_err *err);
bool sp_os_exists(const char *path);
bool sp_os_is_dir(const char *path);
/* Size of a regular file, -1 if it cannot be stat'ed. */
int64_t sp_os_file_size(const char *path);

/* A sorted list of names in a directory (no "." / ".."; names starting
 * with '.' or '_' skipped when skip_hidden). Caller frees with
 * sp_os_names_free. */
typedef struct sp_names {
    char **names;
    size_t n;
} sp_names;
int sp_os_list_dir(const char *path, bool skip_hidden, sp_names *out,
                   sp_err *err);
void sp_os_names_free(sp_names *n);
/* Removes a file tree (rm -rf). Missing path is fine. */
int sp_os_remove_tree(const char *path, sp_err *err);
/* Joins path parts with '/', into the arena. */
char *sp_os_join(sp_arena *a, const char *dir, const char *name);

#endif /* SP_OS_H */
