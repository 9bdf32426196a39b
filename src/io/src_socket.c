/*
 * src_socket.c -- TCP text lines from host:port, one VARCHAR column
 * `value` (Spark's socket source). A receiver thread connects, reads lines
 * and appends them to an in-memory buffer; offsets count lines.
 *
 * Write-ahead log (on by default): the lines of each read are first
 * written, durably, as a checked file <state_dir>/received/<first line>
 * and only then count as received. A restart loads the log, so a batch
 * re-run after a crash gets the same lines, and lines received but not yet
 * in a batch are not lost. Files whose lines are all committed are
 * deleted. Without the log the source cannot replay: lines of a batch that
 * never committed are lost with the process.
 */
#include "io/ioInt.h"
#include "log/log.h"
#include "os/os.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const sp_opt_def socket_options[] = {
    {"host", SP_OPT_STR, "127.0.0.1", false, NULL, "host to connect to"},
    {"port", SP_OPT_INT, NULL, true, NULL, "TCP port to connect to"},
    {"max_records_per_trigger", SP_OPT_INT, NULL, false, NULL,
     "at most this many lines per micro-batch"},
    {"write_ahead_log", SP_OPT_BOOL, "true", false, NULL,
     "write received lines to the checkpoint before counting them, so a "
     "restart loses nothing"},
    {0}};

static sp_field socket_fields[] = {{"value", SP_T_VARCHAR}};
static const sp_schema socket_schema = {1, socket_fields};

struct sp_source {
    char *name;
    int fd;
    int64_t max_per_trigger;
    pthread_t thread;
    bool thread_started;
    _Atomic bool stop;
    pthread_mutex_t lock;
    /* Received complete lines: bytes in `data`, line k spans
     * [offs[k - base], offs[k - base + 1]) ... stored as (start, len). */
    char *data;
    size_t data_len, data_cap;
    int64_t base;   /* line number of the first line held */
    size_t *starts; /* start byte of each held line */
    uint32_t *lens;
    int64_t n_lines; /* lines held */
    int64_t cap_lines;
    char *wal_dir;                  /* <state_dir>/received, or NULL: no log */
    int64_t next_line;              /* number of the next line to receive */
    int64_t *wal_first, *wal_count; /* log files: first line, lines */
    size_t n_wal, cap_wal;
    char *partial; /* bytes of an incomplete last line */
    size_t partial_len, partial_cap;
    bool eof;
};

static int push_line(sp_source *s, const char *p, size_t n)
{
    if (n && p[n - 1] == '\r') n--;
    if (s->data_len + n > s->data_cap) {
        size_t cap = s->data_cap ? s->data_cap : 65536;
        while (cap < s->data_len + n) cap *= 2;
        char *d = sp_realloc(s->data, cap);
        if (!d) return SP_ENOMEM;
        s->data = d;
        s->data_cap = cap;
    }
    if (s->n_lines == s->cap_lines) {
        int64_t cap = s->cap_lines ? s->cap_lines * 2 : 1024;
        size_t *st = sp_realloc(s->starts, (size_t)cap * sizeof *st);
        if (!st) return SP_ENOMEM;
        s->starts = st;
        uint32_t *ln = sp_realloc(s->lens, (size_t)cap * sizeof *ln);
        if (!ln) return SP_ENOMEM;
        s->lens = ln;
        s->cap_lines = cap;
    }
    memcpy(s->data + s->data_len, p, n);
    s->starts[s->n_lines] = s->data_len;
    s->lens[s->n_lines] = (uint32_t)n;
    s->data_len += n;
    s->n_lines++;
    return 0;
}

/* Writes the block of lines (each ended by '\n') as a log file. */
static int wal_write(sp_source *s, int64_t first, int64_t count,
                     const char *data, size_t len)
{
    if (!s->wal_dir || count == 0) return 0;
    sp_err e;
    sp_err_clear(&e);
    int rc = sp_log_write(s->wal_dir, first, "spate-received", data, len, &e);
    if (rc) {
        fprintf(stderr, "spate: error: source %s: %s\n", s->name, e.msg);
        return rc;
    }
    pthread_mutex_lock(&s->lock);
    if (s->n_wal == s->cap_wal) {
        size_t cap = s->cap_wal ? s->cap_wal * 2 : 64;
        int64_t *f = sp_realloc(s->wal_first, cap * sizeof *f);
        if (f) s->wal_first = f;
        int64_t *c = sp_realloc(s->wal_count, cap * sizeof *c);
        if (c) s->wal_count = c;
        if (f && c) s->cap_wal = cap;
    }
    if (s->n_wal < s->cap_wal) {
        s->wal_first[s->n_wal] = first;
        s->wal_count[s->n_wal++] = count;
    }
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* Pushes the lines of a block (each ended by '\n'). Lock held. */
static void push_block(sp_source *s, const char *d, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(d + i, '\n', n - i);
        size_t l = nl ? (size_t)(nl - (d + i)) : n - i;
        push_line(s, d + i, l);
        i += l + 1;
    }
}

static void *receiver(void *arg)
{
    sp_source *s = arg;
    char buf[65536];
    sp_buf block; /* complete lines of one read, each ended by '\n' */
    sp_buf_init(&block);
    bool eof = false;
    while (!atomic_load(&s->stop) && !eof) {
        struct pollfd pfd = {s->fd, POLLIN, 0};
        int pr = poll(&pfd, 1, 100);
        if (pr <= 0) continue;
        ssize_t r = read(s->fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        block.len = 0;
        int64_t count = 0;
        if (r <= 0) {
            eof = true;
            if (s->partial_len) {
                sp_buf_append(&block, s->partial, s->partial_len);
                sp_buf_putc(&block, '\n');
                count++;
                s->partial_len = 0;
            }
        }
        for (size_t i = 0; r > 0 && i < (size_t)r;) {
            char *nl = memchr(buf + i, '\n', (size_t)r - i);
            size_t n = nl ? (size_t)(nl - (buf + i)) : (size_t)r - i;
            if (!nl) {
                /* an incomplete last line waits for the next read */
                if (s->partial_len + n > s->partial_cap) {
                    size_t cap = (s->partial_len + n) * 2;
                    char *d = sp_realloc(s->partial, cap);
                    if (!d) break;
                    s->partial = d;
                    s->partial_cap = cap;
                }
                memcpy(s->partial + s->partial_len, buf + i, n);
                s->partial_len += n;
                break;
            }
            if (s->partial_len) {
                sp_buf_append(&block, s->partial, s->partial_len);
                s->partial_len = 0;
            }
            size_t l = n;
            if (l && buf[i + l - 1] == '\r') l--;
            sp_buf_append(&block, buf + i, l);
            sp_buf_putc(&block, '\n');
            count++;
            i += n + 1;
        }
        if (count == 0) continue;
        /* durable first, then received */
        if (wal_write(s, s->next_line, count, block.data, block.len) != 0) {
            eof = true; /* stop receiving: nothing more can be logged */
            continue;
        }
        pthread_mutex_lock(&s->lock);
        push_block(s, block.data, block.len);
        s->next_line += count;
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_lock(&s->lock);
    s->eof = true;
    pthread_mutex_unlock(&s->lock);
    sp_buf_free(&block);
    return NULL;
}

/* Loads the lines a previous run logged. */
static int wal_load(sp_source *s, sp_err *err)
{
    int64_t *ids;
    size_t n;
    int rc = sp_log_ids(s->wal_dir, &ids, &n, err);
    if (rc) return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        char *body;
        size_t len;
        rc =
            sp_log_read(s->wal_dir, ids[i], "spate-received", &body, &len, err);
        if (rc) break;
        if (i == 0) {
            s->base = ids[0];
        } else if (ids[i] != s->base + s->n_lines) {
            sp_free(body);
            rc = sp_err_set(err, SP_ECORRUPT,
                            "source %s: the received-data log %s has a gap "
                            "before %lld",
                            s->name, s->wal_dir, (long long)ids[i]);
            break;
        }
        int64_t before = s->n_lines;
        push_block(s, body, len);
        sp_free(body);
        int64_t count = s->n_lines - before;
        if (s->n_wal == s->cap_wal) {
            size_t cap = s->cap_wal ? s->cap_wal * 2 : 64;
            s->wal_first = sp_realloc(s->wal_first, cap * sizeof(int64_t));
            s->wal_count = sp_realloc(s->wal_count, cap * sizeof(int64_t));
            s->cap_wal = cap;
        }
        s->wal_first[s->n_wal] = ids[i];
        s->wal_count[s->n_wal++] = count;
    }
    s->next_line = s->base + s->n_lines;
    sp_free(ids);
    return rc;
}

static void socket_close(sp_source *s);

static int socket_open(const sp_source_conf *conf, sp_source **out, sp_err *err)
{
    const char *host = sp_opts_get(conf->opts, "host");
    const char *port = sp_opts_get(conf->opts, "port");
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g != 0) {
        sp_err_set(err, SP_ENET, "source %s: cannot resolve %s: %s", conf->name,
                   host, gai_strerror(g));
        return SP_ENET;
    }
    int fd = -1, e = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        e = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        sp_err_sys(err, SP_ENET, e, "source %s: cannot connect to %s:%s",
                   conf->name, host, port);
        sp_err_hint(err, "start the server first (for a test: nc -lk %s)",
                    port);
        return SP_ENET;
    }
    sp_source *s = sp_calloc(1, sizeof *s);
    if (!s) {
        close(fd);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    s->name = sp_strdup(conf->name);
    s->fd = fd;
    s->max_per_trigger = sp_opts_int(conf->opts, "max_records_per_trigger", 0);
    pthread_mutex_init(&s->lock, NULL);
    if (conf->state_dir && sp_opts_bool(conf->opts, "write_ahead_log", true)) {
        size_t n = strlen(conf->state_dir) + 16;
        s->wal_dir = sp_malloc(n);
        snprintf(s->wal_dir, n, "%s/received", conf->state_dir);
        int rc = sp_os_mkdirs(s->wal_dir, err);
        if (!rc) rc = wal_load(s, err);
        if (rc) {
            socket_close(s);
            return rc;
        }
    }
    if (pthread_create(&s->thread, NULL, receiver, s) != 0) {
        socket_close(s);
        return sp_err_set(err, SP_EINTERNAL, "cannot start receiver thread");
    }
    s->thread_started = true;
    *out = s;
    return 0;
}

static int socket_latest(sp_source *s, int64_t start, int64_t now_us,
                         int64_t *end, sp_err *err)
{
    pthread_mutex_lock(&s->lock);
    *end = s->base + s->n_lines;
    pthread_mutex_unlock(&s->lock);
    if (*end < start) *end = start;
    return 0;
}

static int socket_next_end(sp_source *s, int64_t batch_id, int64_t start,
                           int64_t now_us, int limit, int64_t *end, sp_err *err)
{
    int64_t avail;
    socket_latest(s, start, now_us, &avail, err);
    *end = sp_src_batch_end(start, avail, limit, s->max_per_trigger);
    return 0;
}

static int socket_plan_splits(sp_source *s, int64_t batch_id, int64_t start,
                              int64_t end, int max_splits, sp_arena *a,
                              sp_split **out, int *n_out, sp_err *err)
{
    pthread_mutex_lock(&s->lock);
    bool lost = start < s->base;
    pthread_mutex_unlock(&s->lock);
    if (lost) {
        sp_err_set(err, SP_EUNSUPPORTED,
                   "source %s: lines %lld.. are no longer held: the socket "
                   "source cannot replay after a restart",
                   s->name, (long long)start);
        sp_err_hint(err, "use a replayable source (file) where exactly-once "
                         "matters");
        return SP_EUNSUPPORTED;
    }
    return sp_src_row_splits(start, end, 1, a, out, n_out, err);
}

static int socket_read(sp_source *s, const sp_split *sp, sp_emit_fn emit,
                       void *ud, sp_read_stats *stats, sp_err *err)
{
    sp_arena *a = sp_arena_create(1 << 16);
    if (!a) return sp_err_set(err, SP_ENOMEM, "out of memory");
    int rc = 0;
    for (int64_t l = sp->start; l < sp->end && !rc;) {
        uint32_t n = (uint32_t)SP_MIN((int64_t)SP_BATCH_ROWS, sp->end - l);
        sp_batch b = {.n_rows = n, .n_cols = 1, .arena = a};
        b.cols = sp_arena_zalloc(a, sizeof(sp_vec));
        sp_vec_alloc(&b.cols[0], SP_T_VARCHAR, n, false, a);
        pthread_mutex_lock(&s->lock);
        for (uint32_t i = 0; i < n; i++) {
            int64_t k = l + i - s->base;
            uint32_t len = s->lens[k];
            char *p = sp_arena_alloc(a, len ? len : 1);
            memcpy(p, s->data + s->starts[k], len);
            b.cols[0].d.str[i] = sp_str_make(p, len);
            stats->bytes += len + 1;
        }
        pthread_mutex_unlock(&s->lock);
        stats->rows += n;
        rc = emit(ud, &b, err);
        l += n;
        sp_arena_reset(a);
    }
    sp_arena_destroy(a);
    return rc;
}

/* Forgets committed lines. */
static void socket_commit(sp_source *s, int64_t batch_id, int64_t end)
{
    pthread_mutex_lock(&s->lock);
    int64_t drop = end - s->base;
    if (drop > 0 && drop <= s->n_lines) {
        size_t from = drop < s->n_lines ? s->starts[drop] : s->data_len;
        memmove(s->data, s->data + from, s->data_len - from);
        s->data_len -= from;
        for (int64_t k = drop; k < s->n_lines; k++) {
            s->starts[k - drop] = s->starts[k] - from;
            s->lens[k - drop] = s->lens[k];
        }
        s->n_lines -= drop;
        s->base = end;
    }
    /* log files whose lines are all committed are not needed again */
    size_t keep = 0;
    for (size_t i = 0; i < s->n_wal; i++) {
        if (s->wal_first[i] + s->wal_count[i] <= end) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%lld", s->wal_dir,
                     (long long)s->wal_first[i]);
            unlink(path);
        } else {
            s->wal_first[keep] = s->wal_first[i];
            s->wal_count[keep++] = s->wal_count[i];
        }
    }
    s->n_wal = keep;
    pthread_mutex_unlock(&s->lock);
}

static void socket_describe(sp_source *s, sp_buf *out)
{
    sp_buf_printf(out, "TextSocketSource[%s]", s->name);
}

static void socket_close(sp_source *s)
{
    if (!s) return;
    atomic_store(&s->stop, true);
    if (s->thread_started) pthread_join(s->thread, NULL);
    if (s->fd >= 0) close(s->fd);
    pthread_mutex_destroy(&s->lock);
    sp_free(s->data);
    sp_free(s->starts);
    sp_free(s->lens);
    sp_free(s->partial);
    sp_free(s->wal_dir);
    sp_free(s->wal_first);
    sp_free(s->wal_count);
    sp_free(s->name);
    sp_free(s);
}

/* Lines received and not in a batch yet. */
static int64_t socket_backlog(sp_source *s, int64_t end, int64_t now_us)
{
    pthread_mutex_lock(&s->lock);
    int64_t have = s->base + s->n_lines;
    pthread_mutex_unlock(&s->lock);
    return have > end ? have - end : 0;
}

const sp_source_vtab sp_src_socket = {
    .name = "socket",
    .options = socket_options,
    .fixed_schema = &socket_schema,
    .replayable = true, /* from its write-ahead log */
    .open = socket_open,
    .next_end = socket_next_end,
    .latest = socket_latest,
    .plan_splits = socket_plan_splits,
    .read = socket_read,
    .commit = socket_commit,
    .backlog = socket_backlog,
    .describe = socket_describe,
    .close = socket_close,
};
