/*
 * log.c -- checked files and numbered logs (see log.h for the format).
 */
#include "log/log.h"

#include "os/os.h"

#include <stdlib.h>
#include <string.h>

int sp_ckfile_write(const char *path, const char *kind, const char *body,
                    size_t len, sp_err *err)
{
    sp_buf b;
    sp_buf_init(&b);
    int rc = sp_buf_printf(&b, "%s v%d\n", kind, SP_LOG_VERSION);
    if (!rc) rc = sp_buf_append(&b, body, len);
    if (!rc && (len == 0 || body[len - 1] != '\n')) rc = sp_buf_putc(&b, '\n');
    if (!rc) {
        uint32_t crc = sp_crc32c(0, b.data, b.len);
        rc = sp_buf_printf(&b, "#crc32c %08x\n", crc);
    }
    if (rc) {
        sp_buf_free(&b);
        return sp_err_set(err, SP_ENOMEM, "out of memory writing %s", path);
    }
    rc = sp_os_write_atomic(path, b.data, b.len, err);
    sp_buf_free(&b);
    return rc;
}

static int corrupt(sp_err *err, const char *path, const char *why)
{
    sp_err_set(err, SP_ECORRUPT, "checkpoint file %s is damaged: %s", path,
               why);
    sp_err_hint(err, "the file was torn by a crash or changed by hand; run "
                     "'spate checkpoint check' on the checkpoint directory, or "
                     "start over with 'spate run --reset-checkpoint'");
    return SP_ECORRUPT;
}

int sp_ckfile_read(const char *path, const char *kind, char **body, size_t *len,
                   sp_err *err)
{
    char *data;
    size_t n;
    int rc = sp_os_read_file(path, &data, &n, err);
    if (rc) return rc;
    char hdr[128];
    int hl = snprintf(hdr, sizeof hdr, "%s v", kind);
    if (n < (size_t)hl || memcmp(data, hdr, (size_t)hl) != 0) {
        sp_free(data);
        return corrupt(err, path,
                       n == 0 ? "the file is empty"
                              : "it does not start with the "
                                "expected header");
    }
    long ver = strtol(data + hl, NULL, 10);
    if (ver < 1 || ver > SP_LOG_VERSION) {
        sp_free(data);
        sp_err_set(err, SP_ECORRUPT,
                   "checkpoint file %s has format version %ld, this spate "
                   "reads up to %d",
                   path, ver, SP_LOG_VERSION);
        sp_err_hint(err, "run the query with the spate version that wrote "
                         "the checkpoint, or start over with "
                         "--reset-checkpoint");
        return SP_ECORRUPT;
    }
    /* Trailer: the last line "#crc32c xxxxxxxx\n", 17 bytes. */
    const char *tl = "#crc32c ";
    if (n < 17 || data[n - 1] != '\n' || memcmp(data + n - 17, tl, 8) != 0) {
        sp_free(data);
        return corrupt(err, path,
                       "the checksum line is missing (truncated "
                       "file)");
    }
    /* Compare the text exactly (lower-case hex as written), so that no
     * change to the trailer passes either. */
    char want[9];
    snprintf(want, sizeof want, "%08x", sp_crc32c(0, data, n - 17));
    if (memcmp(want, data + n - 9, 8) != 0) {
        sp_free(data);
        return corrupt(err, path, "the checksum does not match the content");
    }
    const char *nl = memchr(data, '\n', n);
    size_t off = (size_t)(nl - data) + 1;
    if (!nl || (size_t)(nl - data) + 1 > n - 17) {
        sp_free(data);
        return corrupt(err, path, "the header line is missing");
    }
    size_t blen = n - 17 - off;
    memmove(data, data + off, blen);
    data[blen] = 0;
    *body = data;
    *len = blen;
    return 0;
}

int sp_log_write(const char *dir, int64_t id, const char *kind,
                 const char *body, size_t len, sp_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%lld", dir, (long long)id);
    return sp_ckfile_write(path, kind, body, len, err);
}

int sp_log_read(const char *dir, int64_t id, const char *kind, char **body,
                size_t *len, sp_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%lld", dir, (long long)id);
    return sp_ckfile_read(path, kind, body, len, err);
}

bool sp_log_exists(const char *dir, int64_t id)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%lld", dir, (long long)id);
    return sp_os_exists(path);
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int sp_log_ids(const char *dir, int64_t **ids, size_t *n, sp_err *err)
{
    *ids = NULL;
    *n = 0;
    if (!sp_os_is_dir(dir)) return 0;
    sp_names names;
    int rc = sp_os_list_dir(dir, true, &names, err);
    if (rc) return rc;
    int64_t *v = names.n ? sp_malloc(names.n * sizeof *v) : NULL;
    if (names.n && !v) {
        sp_os_names_free(&names);
        return sp_err_set(err, SP_ENOMEM, "out of memory listing %s", dir);
    }
    size_t k = 0;
    for (size_t i = 0; i < names.n; i++) {
        const char *nm = names.names[i];
        char *e;
        if (nm[0] < '0' || nm[0] > '9') continue;
        long long x = strtoll(nm, &e, 10);
        if (!*e) v[k++] = x; /* temporary files have a suffix */
    }
    sp_os_names_free(&names);
    if (k > 1) qsort(v, k, sizeof *v, cmp_id);
    *ids = v;
    *n = k;
    return 0;
}

int sp_log_latest(const char *dir, int64_t *out, sp_err *err)
{
    int64_t *ids;
    size_t n;
    int rc = sp_log_ids(dir, &ids, &n, err);
    *out = !rc && n ? ids[n - 1] : -1;
    sp_free(ids);
    return rc;
}
