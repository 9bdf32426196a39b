/*
 * sink_file.c -- writes each batch as files under `path`, and commits it
 * through a manifest log, as Spark's file sink does with _spark_metadata.
 *
 *   path/part-<batch>-<part>-<run>.<ext>   data files (one per non-empty
 *                                          split of the batch)
 *   path/part-<batch>-<part>-<run>-a<k>.<ext>  the same, written by attempt
 *                                          k > 0 of the task (a retry or a
 *                                          speculative copy)
 *   path/_spate_log/<batch>                checked file: the data files of
 *                                          the committed batch
 *
 * Data files are made durable when their part closes: part_close, called
 * by the runtime at the end of each successful task attempt on its worker
 * thread, flushes the buffer, fsyncs the file and closes it, so the files
 * of a batch are synced in parallel and commit only fsyncs the directory
 * and writes the manifest entry, last and atomically (a part that was not
 * closed -- a caller without part_close -- is synced by commit). A reader
 * that honours the manifest (spate's file source does not read '_' names;
 * use the manifest) sees each committed batch exactly once: files of a batch
 * that crashed before its manifest entry are not listed, and a re-run of
 * the batch writes new files under a new run id instead of touching them.
 * Within a run, two attempts of one task (a retry, a speculative copy) may
 * write the same part at once: each writes its own file, the loser's is
 * removed by abort, and only the winner's is listed. Attempt 0 keeps the
 * name without a suffix, as before attempts existed.
 */
#define _GNU_SOURCE
#include "io/connector.h"
#include "log/log.h"
#include "os/os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const sp_opt_def file_sink_options[] = {
    {"path", SP_OPT_STR, NULL, true, NULL, "output directory"},
    {"format", SP_OPT_ENUM, "json", false, "json|jsonl|csv|text",
     "record format of the files"},
    {"header", SP_OPT_BOOL, "false", false, NULL,
     "CSV: write a header line in each file"},
    {0}};

struct sp_sink {
    char *name;
    char *dir;
    char *log_dir;
    const sp_schema *schema;
    sp_format_kind format;
    bool header;
    char run[17]; /* run id: distinguishes re-runs of a batch */
};

typedef struct file_part {
    char *path;  /* the file's path */
    char *rel;   /* name relative to dir */
    int fd;      /* -1 until the first flush, and again once closed */
    bool closed; /* part_close: the file (if any) is durable */
    sp_buf buf;
    uint64_t rows, bytes;
    uint64_t written_back; /* bytes whose writeback was started */
} file_part;

/* A part's file is written in 1 MiB flushes, and its writeback started
 * every WRITEBACK_AHEAD bytes (Linux sync_file_range(SYNC_FILE_RANGE_WRITE),
 * which does not wait), so the device writes a part while its task still
 * computes rows, and the fsync at part_close finds little left to write.
 * Without it that fsync waits for every page of the file, just after they
 * were written, and the worker idles. */
#define FLUSH_AT        (1u << 20)
#define WRITEBACK_AHEAD (1u << 20)

static void file_sink_close(sp_sink *s);

static int fsink_open(const sp_sink_conf *conf, sp_sink **out, sp_err *err)
{
    sp_sink *s = sp_calloc(1, sizeof *s);
    if (!s) return sp_err_set(err, SP_ENOMEM, "out of memory");
    s->name = sp_strdup(conf->name);
    const char *path = sp_opts_get(conf->opts, "path");
    s->dir = sp_strdup(path);
    size_t n = strlen(path) + 16;
    s->log_dir = sp_malloc(n);
    snprintf(s->log_dir, n, "%s/_spate_log", path);
    s->schema = conf->schema;
    const char *f = sp_opts_get(conf->opts, "format");
    if (!f || sp_format_parse(f, &s->format) != 0) s->format = SP_FMT_JSON;
    s->header = sp_opts_bool(conf->opts, "header", false);
    uint64_t r =
        sp_hash_u64((uint64_t)sp_clock_wall_us() ^ ((uint64_t)getpid() << 32) ^
                    (uint64_t)sp_clock_mono_us());
    snprintf(s->run, sizeof s->run, "%016llx", (unsigned long long)r);
    int rc = sp_os_mkdirs(s->log_dir, err);
    if (rc) {
        sp_err_hint(err, "check the sink's path option and permissions");
        file_sink_close(s);
        return rc;
    }
    /* Every manifest entry must be intact: a reader that follows the
     * manifest would lose a damaged batch's rows, and a re-run would skip a
     * batch whose entry only looks present. */
    int64_t *ids;
    size_t n_ids;
    rc = sp_log_ids(s->log_dir, &ids, &n_ids, err);
    for (size_t i = 0; !rc && i < n_ids; i++) {
        char *body;
        size_t len;
        rc = sp_log_read(s->log_dir, ids[i], "spate-file-sink", &body, &len,
                         err);
        if (!rc) sp_free(body);
    }
    sp_free(ids);
    if (rc) {
        sp_err_hint(err, "the sink's manifest lists the files of each "
                         "committed batch; restore the file, or remove the "
                         "output directory and the checkpoint "
                         "(--reset-checkpoint) to write everything again");
        file_sink_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

static int64_t fsink_last(sp_sink *s)
{
    int64_t id = -1;
    sp_err e;
    sp_err_clear(&e);
    sp_log_latest(s->log_dir, &id, &e);
    return id;
}

static int fsink_part_open(sp_sink *s, int64_t batch_id, int part, int attempt,
                           void **out, sp_err *err)
{
    file_part *p = sp_calloc(1, sizeof *p);
    if (!p) return sp_err_set(err, SP_ENOMEM, "out of memory");
    static const char *ext[] = {"json", "csv", "txt"};
    p->fd = -1;
    sp_buf_init(&p->buf);
    char rel[128], att[16] = "";
    if (attempt > 0) snprintf(att, sizeof att, "-a%d", attempt);
    snprintf(rel, sizeof rel, "part-%05lld-%04d-%s%s.%s", (long long)batch_id,
             part, s->run, att, ext[s->format]);
    p->rel = sp_strdup(rel);
    size_t n = strlen(s->dir) + strlen(rel) + 2;
    p->path = sp_malloc(n);
    snprintf(p->path, n, "%s/%s", s->dir, rel);
    *out = p;
    return 0;
}

/* An I/O error of a data file; a full disk says what to do. */
static int io_error(sp_sink *s, sp_err *err, int e, const char *what,
                    const char *path)
{
    bool full = e == ENOSPC || e == EDQUOT;
    sp_err_sys(err, full ? SP_ENOSPC : SP_EIO, e, "sink %s: cannot %s %s",
               s->name, what, path);
    if (full)
        sp_err_hint(err,
                    "free space on the file system that holds %s; what was "
                    "committed is intact: run the query again to continue "
                    "where it stopped",
                    s->dir);
    return err->code;
}

static int flush_part(sp_sink *s, file_part *p, sp_err *err)
{
    if (p->fd < 0) {
        p->fd = open(p->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (p->fd < 0) return io_error(s, err, errno, "create", p->path);
    }
    size_t off = 0;
    while (off < p->buf.len) {
        ssize_t w = write(p->fd, p->buf.data + off, p->buf.len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return io_error(s, err, errno, "write", p->path);
        }
        off += (size_t)w;
    }
    p->bytes += p->buf.len;
    p->buf.len = 0;
#ifdef SYNC_FILE_RANGE_WRITE
    if (p->bytes - p->written_back >= WRITEBACK_AHEAD) {
        /* start writing back what was written, without waiting; an error
         * is the fsync's to report */
        (void)sync_file_range(p->fd, (off_t)p->written_back,
                              (off_t)(p->bytes - p->written_back),
                              SYNC_FILE_RANGE_WRITE);
        p->written_back = p->bytes;
    }
#endif
    return 0;
}

/* Makes a part's file durable and closes it: the rest of the buffer is
 * written, the file fsynced. A part without rows has no file. */
static int fsink_part_close(sp_sink *s, void *part, sp_err *err)
{
    file_part *p = part;
    if (p->closed) return 0;
    if (p->rows == 0 && p->buf.len == 0) {
        p->closed = true;
        return 0;
    }
    int rc = flush_part(s, p, err);
    if (!rc) rc = sp_os_fsync_file(p->fd, p->path, err);
    if (!rc && close(p->fd) != 0) {
        p->fd = -1;
        return io_error(s, err, errno, "close", p->path);
    }
    if (!rc) {
        p->fd = -1;
        p->closed = true;
        sp_buf_free(&p->buf);
    }
    return rc;
}

static int fsink_part_write(sp_sink *s, void *part, const sp_batch *b,
                            sp_err *err)
{
    file_part *p = part;
    uint32_t live = sp_batch_live(b);
    if (live == 0) return 0;
    SP_ASSERT(!p->closed);
    if (p->rows == 0 && p->buf.len == 0 && s->format == SP_FMT_CSV && s->header)
        sp_write_csv_header(s->schema, &p->buf);
    if (sp_write_rows(s->format, s->schema, b, &p->buf))
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    p->rows += live;
    if (p->buf.len >= FLUSH_AT) return flush_part(s, p, err);
    return 0;
}

static void part_free(file_part *p, bool unlink_file)
{
    if (!p) return;
    if (p->fd >= 0) close(p->fd);
    if (unlink_file && p->path) unlink(p->path);
    sp_buf_free(&p->buf);
    sp_free(p->path);
    sp_free(p->rel);
    sp_free(p);
}

static int fsink_commit(sp_sink *s, int64_t batch_id, void **parts, int n_parts,
                        sp_err *err)
{
    int rc = 0;
    /* Every data file is durable (closed by its task, or here), then the
     * directory holding their names, then the manifest lists them. */
    for (int i = 0; i < n_parts && !rc; i++)
        rc = fsink_part_close(s, parts[i], err);
    if (!rc) rc = sp_os_fsync_dir(s->dir, err);
    sp_buf m;
    sp_buf_init(&m);
    sp_buf_printf(&m, "{\"batchId\":%lld,\"files\":[", (long long)batch_id);
    int k = 0;
    for (int i = 0; i < n_parts && !rc; i++) {
        file_part *p = parts[i];
        if (p->rows == 0) continue;
        sp_buf_puts(&m, k++ ? ",\n{\"path\":" : "\n{\"path\":");
        sp_buf_json_str(&m, p->rel, strlen(p->rel));
        sp_buf_printf(&m, ",\"size\":%llu,\"rows\":%llu}",
                      (unsigned long long)p->bytes,
                      (unsigned long long)p->rows);
    }
    sp_buf_puts(&m, "]}\n");
    if (!rc)
        rc = sp_log_write(s->log_dir, batch_id, "spate-file-sink", m.data,
                          m.len, err);
    sp_buf_free(&m);
    for (int i = 0; i < n_parts; i++) part_free(parts[i], rc != 0);
    return rc;
}

static void fsink_abort(sp_sink *s, int64_t batch_id, void **parts, int n_parts)
{
    for (int i = 0; i < n_parts; i++) part_free(parts[i], true);
}

static void fsink_describe(sp_sink *s, sp_buf *out)
{
    static const char *fmts[] = {"json", "csv", "text"};
    sp_buf_printf(out, "FileSink[%s, format=%s]", s->dir, fmts[s->format]);
}

static void file_sink_close(sp_sink *s)
{
    if (!s) return;
    sp_free(s->name);
    sp_free(s->dir);
    sp_free(s->log_dir);
    sp_free(s);
}

const sp_sink_vtab sp_sink_file = {
    .name = "file",
    .options = file_sink_options,
    .open = fsink_open,
    .last_committed = fsink_last,
    .part_open = fsink_part_open,
    .part_write = fsink_part_write,
    .part_close = fsink_part_close,
    .commit = fsink_commit,
    .abort = fsink_abort,
    .describe = fsink_describe,
    .close = file_sink_close,
};
