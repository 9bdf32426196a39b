/*
 * log.h -- checkpoint files: the offset write-ahead log, the commit log,
 * query metadata, and the file sink's manifest all use one checked format.
 *
 * A checked file is:
 *     <kind> v<version>\n
 *     <body: JSON, one or more lines>\n
 *     #crc32c <8 hex digits>\n
 * where the CRC covers everything before the '#'. It is written with
 * sp_os_write_atomic. A reader verifies the kind, the version and the CRC;
 * anything else is SP_ECORRUPT naming the file and what to do.
 *
 * A log is a directory of checked files named by batch id (offsets/0,
 * offsets/1, ...).
 */
#ifndef SP_LOG_H
#define SP_LOG_H

#include "core/core.h"

#define SP_LOG_VERSION 1

/* Writes a checked file durably. */
int sp_ckfile_write(const char *path, const char *kind, const char *body,
                    size_t len, sp_err *err);
/* Reads and verifies a checked file; *body is heap memory the caller frees
 * with sp_free (NUL-terminated). SP_ENOTFOUND if the file is missing,
 * SP_ECORRUPT if damaged. */
int sp_ckfile_read(const char *path, const char *kind, char **body, size_t *len,
                   sp_err *err);

/* Writes dir/<id>. */
int sp_log_write(const char *dir, int64_t id, const char *kind,
                 const char *body, size_t len, sp_err *err);
int sp_log_read(const char *dir, int64_t id, const char *kind, char **body,
                size_t *len, sp_err *err);
/* The batch ids of a log: the numeric file names in dir, ascending
 * (temporary and other files skipped). A missing directory is an empty
 * log. *ids is heap memory the caller frees with sp_free (NULL if empty). */
int sp_log_ids(const char *dir, int64_t **ids, size_t *n, sp_err *err);
/* Largest numeric file name in dir, or -1 when the log is empty or the
 * directory is missing. Temporary files are ignored. */
int sp_log_latest(const char *dir, int64_t *out, sp_err *err);
bool sp_log_exists(const char *dir, int64_t id);

#endif
