/*
 * receiver.c -- receivers (a socket text receiver), the block tracker, the
 * rate limiter and the PID backpressure estimator.
 *
 * A receiver thread connects to host:port, reads lines, and appends each
 * line to the current block (records in a heap array, bytes in the block's
 * arena: no malloc per record). Every block interval the block is cut:
 * written to the write-ahead log first when `wal` is on
 * (<checkpoint>/receivedData/<stream id>/<seq>, a checked file: the
 * durable write is the acknowledgement), then reported to the tracker (the
 * stream's list of unallocated blocks). The batch at T takes every
 * reported block, one partition per block, so the number of blocks is the
 * batch's partition count. After the batch completed its blocks leave the
 * log; after a crash, the blocks still in the log are replayed into the
 * first batch (at-least-once, as Spark's receiver WAL).
 *
 * Rate: a limiter lets records through at `rate` per second (a token
 * schedule; the thread sleeps when ahead). With backpressure, Spark's PID
 * estimator sets the rate after each batch from its size, processing delay
 * and scheduling delay (proportional 1.0, integral 0.2, derivative 0, min
 * rate 100/s), capped by max_rate.
 */
#include "dstream/dstreamInt.h"

#include "log/log.h"
#include "os/os.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * PID rate estimator (Spark's PIDRateEstimator, same formula)
 * ---------------------------------------------------------------------- */

void sp_dpid_init(dpid *p, int64_t batch_ms, double min_rate)
{
    memset(p, 0, sizeof *p);
    p->kp = 1.0;
    p->ki = 0.2;
    p->kd = 0.0;
    p->min_rate = min_rate > 0 ? min_rate : 100;
    p->batch_ms = batch_ms;
    p->first = true;
    p->latest_time = -1;
    p->latest_rate = -1;
}

double sp_dpid_compute(dpid *p, int64_t time_ms, int64_t n, int64_t proc_ms,
                       int64_t sched_ms)
{
    if (!(time_ms > p->latest_time && n > 0 && proc_ms > 0)) return 0;
    double since = (double)(time_ms - p->latest_time) / 1000.0;
    double proc_rate = (double)n / (double)proc_ms * 1000.0;
    double error = p->latest_rate - proc_rate;
    double hist = (double)sched_ms * proc_rate / (double)p->batch_ms;
    double derr = (error - p->latest_error) / since;
    double rate = p->latest_rate - p->kp * error - p->ki * hist - p->kd * derr;
    if (rate < p->min_rate) rate = p->min_rate;
    p->latest_time = time_ms;
    if (p->first) {
        p->latest_rate = proc_rate;
        p->latest_error = 0;
        p->first = false;
        return 0;
    }
    p->latest_rate = rate;
    p->latest_error = error;
    return rate;
}

/* ------------------------------------------------------------------------
 * Receiver state
 * ---------------------------------------------------------------------- */

typedef struct dblock {
    int64_t seq;
    dpart part;     /* records; payloads in part.arena */
    char *wal_path; /* heap; NULL without WAL */
    struct dblock *next;
} dblock;

/* Blocks allocated to a batch, kept until the batch completed. */
typedef struct dalloc {
    int64_t time;
    int64_t n_records;
    char **wal_paths;
    int n_paths;
    struct dalloc *next;
} dalloc;

typedef struct drecv {
    spate_dstream_t *ds;
    char *host;
    int port;
    spate_receiver_options_t o;
    char *wal_dir;
    pthread_t th;
    bool running;
    _Atomic int stop;
    pthread_mutex_t lock; /* blocks, allocs */
    dblock *head, *tail;  /* reported, not yet allocated */
    dalloc *allocs;
    int64_t seq;
    _Atomic int64_t rate_milli; /* records/s x 1000; 0 = unlimited */
    dpid pid;
    _Atomic int64_t n_records, n_blocks, n_wal, n_replayed;
    _Atomic int connected;
} drecv;

SPATE_EXTERN void spate_receiver_options_init(spate_receiver_options_t *o)
{
    memset(o, 0, sizeof *o);
    o->block_interval_ms = 200;
    o->min_rate = 100;
}

int sp_drecv_create(spate_dstream_t *ds, const char *host, int port,
                    const spate_receiver_options_t *o)
{
    drecv *r = sp_calloc(1, sizeof *r);
    if (!r) return SP_ENOMEM;
    r->ds = ds;
    r->host = sp_strdup(host ? host : "127.0.0.1");
    r->port = port;
    if (o)
        r->o = *o;
    else
        spate_receiver_options_init(&r->o);
    if (r->o.block_interval_ms <= 0) r->o.block_interval_ms = 200;
    if (r->o.min_rate <= 0) r->o.min_rate = 100;
    double rate = r->o.max_rate;
    if (r->o.backpressure && r->o.initial_rate > 0)
        rate = r->o.max_rate > 0 ? SP_MIN(r->o.max_rate, r->o.initial_rate)
                                 : r->o.initial_rate;
    atomic_store(&r->rate_milli, (int64_t)(rate * 1000));
    sp_dpid_init(&r->pid, ds->ssc->o.batch_ms, r->o.min_rate);
    pthread_mutex_init(&r->lock, NULL);
    ds->recv = r;
    return r->host ? 0 : SP_ENOMEM;
}

SPATE_EXTERN spate_dstream_t *
spate_ssc_socket_text_stream(spate_ssc_t *ssc, const char *host, int port,
                             const spate_receiver_options_t *o)
{
    if (ssc->gerr.code) return NULL;
    if (o && o->wal && !ssc->o.checkpoint) {
        sp_err_set(&ssc->gerr, SP_EINVAL,
                   "the receiver write-ahead log needs a checkpoint "
                   "directory");
        sp_err_hint(&ssc->gerr, "set spate_ssc_options_t.checkpoint");
        return NULL;
    }
    spate_dstream_t *ds = spate_ssc_queue_stream(ssc, 0);
    if (!ds) return NULL;
    ds->kind = DK_SOCKET;
    if (sp_drecv_create(ds, host, port, o)) {
        sp_err_set(&ssc->gerr, SP_ENOMEM, "out of memory");
        return NULL;
    }
    return ds;
}

SPATE_EXTERN int spate_receiver_stats(const spate_dstream_t *ds,
                                      spate_receiver_stats_t *out)
{
    if (!ds || !ds->recv) return SPATE_EINVAL;
    drecv *r = ds->recv;
    out->records = atomic_load(&r->n_records);
    out->blocks = atomic_load(&r->n_blocks);
    out->wal_blocks = atomic_load(&r->n_wal);
    out->replayed = atomic_load(&r->n_replayed);
    out->rate_limit = (double)atomic_load(&r->rate_milli) / 1000.0;
    out->connected = atomic_load(&r->connected);
    return 0;
}

static void block_free(dblock *b)
{
    if (!b) return;
    sp_dpart_clear(&b->part);
    sp_free(b->wal_path);
    sp_free(b);
}

static void report(drecv *r, dblock *b)
{
    pthread_mutex_lock(&r->lock);
    if (r->tail)
        r->tail->next = b;
    else
        r->head = b;
    r->tail = b;
    pthread_mutex_unlock(&r->lock);
    atomic_fetch_add(&r->n_blocks, 1);
}

/* Writes the block to the log: its lines, '\n'-separated. */
static int wal_write(drecv *r, dblock *b, sp_err *err)
{
    sp_buf buf;
    sp_buf_init(&buf);
    int rc = 0;
    for (uint32_t i = 0; i < b->part.n && !rc; i++) {
        rc = sp_buf_append(&buf, b->part.recs[i].u.s, b->part.recs[i].len);
        if (!rc) rc = sp_buf_putc(&buf, '\n');
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%012lld", r->wal_dir, (long long)b->seq);
    if (!rc) rc = sp_ckfile_write(path, "block", buf.data, buf.len, err);
    sp_buf_free(&buf);
    if (!rc && !(b->wal_path = sp_strdup(path))) rc = SP_ENOMEM;
    if (!rc) atomic_fetch_add(&r->n_wal, 1);
    return rc;
}

/* Cuts the current block: log, then report. */
static void cut(drecv *r, dblock **cur)
{
    dblock *b = *cur;
    if (!b || b->part.n == 0) return;
    *cur = NULL;
    b->seq = r->seq++;
    if (r->wal_dir) {
        sp_err e;
        sp_err_clear(&e);
        if (wal_write(r, b, &e)) {
            fprintf(stderr, "spate: receiver write-ahead log: %s\n", e.msg);
            block_free(b); /* not acknowledged: dropped */
            return;
        }
    }
    report(r, b);
}

static int add_line(dblock **cur, const char *s, size_t n)
{
    if (n && s[n - 1] == '\r') n--;
    if (!*cur && !(*cur = sp_calloc(1, sizeof **cur))) return SP_ENOMEM;
    sp_arena *a = sp_dpart_arena(&(*cur)->part);
    char *p = a ? sp_arena_alloc(a, n ? n : 1) : NULL;
    if (!p) return SP_ENOMEM;
    memcpy(p, s, n);
    spate_val_t v = spate_str(p, n);
    return sp_dpart_push(&(*cur)->part, &v);
}

static void sleep_us(int64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static int connect_to(drecv *r)
{
    char port[16];
    snprintf(port, sizeof port, "%d", r->port);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(r->host, port, &hints, &res) != 0) return -1;
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static void *recv_main(void *arg)
{
    drecv *r = arg;
    int64_t bi = r->o.block_interval_ms * 1000;
    int fd = -1;
    while (!atomic_load(&r->stop) && (fd = connect_to(r)) < 0) sleep_us(50000);
    if (fd < 0) return NULL;
    atomic_store(&r->connected, 1);
    char *buf = sp_malloc(65536);
    size_t have = 0;
    dblock *cur = NULL;
    int64_t next_cut = sp_clock_mono_us() + bi;
    int64_t next_free = 0; /* rate limiter: when the next record may pass */
    bool eof = false;
    while (buf && !atomic_load(&r->stop)) {
        int64_t now = sp_clock_mono_us();
        if (now >= next_cut) {
            cut(r, &cur);
            next_cut += bi;
            if (next_cut <= now) next_cut = now + bi;
        }
        if (eof) {
            sleep_us(SP_MIN(next_cut - now, 20000));
            continue;
        }
        struct pollfd pfd = {fd, POLLIN, 0};
        int wait_ms = (int)((next_cut - now + 999) / 1000);
        if (wait_ms > 50) wait_ms = 50; /* notice stop */
        if (poll(&pfd, 1, wait_ms) <= 0) continue;
        ssize_t got = read(fd, buf + have, 65536 - have);
        if (got <= 0) {
            if (got < 0 && errno == EINTR) continue;
            eof = true;
            if (have) add_line(&cur, buf, have);
            have = 0;
            continue;
        }
        have += (size_t)got;
        size_t start = 0;
        for (size_t i = 0; i < have; i++) {
            if (buf[i] != '\n') continue;
            int64_t rm = atomic_load(&r->rate_milli);
            if (rm > 0) {
                int64_t t = sp_clock_mono_us();
                if (next_free < t - 100000) next_free = t - 100000;
                while (next_free > t + 1000 && !atomic_load(&r->stop)) {
                    /* Cut on time even while throttled. */
                    if (t >= next_cut) {
                        cut(r, &cur);
                        next_cut += bi;
                    }
                    sleep_us(SP_MIN(next_free - t,
                                    next_cut - t > 0 ? next_cut - t : 1000));
                    t = sp_clock_mono_us();
                }
                next_free += (int64_t)(1e9 / (double)rm);
            }
            if (add_line(&cur, buf + start, i - start) == 0)
                atomic_fetch_add(&r->n_records, 1);
            start = i + 1;
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        if (have == 65536) { /* a line longer than the buffer */
            add_line(&cur, buf, have);
            have = 0;
        }
    }
    cut(r, &cur); /* what was received before stop */
    block_free(cur);
    sp_free(buf);
    close(fd);
    atomic_store(&r->connected, 0);
    return NULL;
}

/* Loads the blocks left in the log by an earlier run. */
static int wal_replay(drecv *r, sp_err *err)
{
    sp_names names;
    int rc = sp_os_list_dir(r->wal_dir, true, &names, err);
    if (rc) return rc;
    for (size_t i = 0; i < names.n && !rc; i++) {
        char *end;
        long long seq = strtoll(names.names[i], &end, 10);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", r->wal_dir, names.names[i]);
        if (*end) { /* a write cut short by a crash: never acknowledged */
            unlink(path);
            continue;
        }
        char *body;
        size_t len;
        rc = sp_ckfile_read(path, "block", &body, &len, err);
        if (rc) break;
        dblock *b = NULL;
        size_t s = 0;
        for (size_t k = 0; k < len && !rc; k++)
            if (body[k] == '\n') {
                rc = add_line(&b, body + s, k - s);
                s = k + 1;
            }
        sp_free(body);
        if (!b) continue;
        b->seq = seq;
        if (r->seq <= seq) r->seq = seq + 1;
        if (!(b->wal_path = sp_strdup(path))) rc = SP_ENOMEM;
        report(r, b);
        atomic_fetch_add(&r->n_replayed, 1);
    }
    sp_os_names_free(&names);
    return rc;
}

int sp_drecv_start(spate_dstream_t *ds, sp_err *err)
{
    drecv *r = ds->recv;
    spate_ssc_t *ssc = ds->ssc;
    if (r->o.wal) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/receivedData/%d", ssc->o.checkpoint,
                 ds->id);
        if (!(r->wal_dir = sp_strdup(dir)))
            return sp_err_set(err, SP_ENOMEM, "out of memory");
        int rc = sp_os_mkdirs(dir, err);
        if (!rc) rc = wal_replay(r, err);
        if (rc) return rc;
    }
    if (pthread_create(&r->th, NULL, recv_main, r) != 0)
        return sp_err_sys(err, SP_EINTERNAL, errno,
                          "cannot start the receiver thread");
    r->running = true;
    return 0;
}

void sp_drecv_stop(spate_dstream_t *ds)
{
    drecv *r = ds->recv;
    if (!r || !r->running) return;
    atomic_store(&r->stop, 1);
    pthread_join(r->th, NULL);
    r->running = false;
}

void sp_drecv_free(spate_dstream_t *ds)
{
    drecv *r = ds->recv;
    if (!r) return;
    sp_drecv_stop(ds);
    for (dblock *b = r->head; b;) {
        dblock *n = b->next;
        block_free(b);
        b = n;
    }
    for (dalloc *a = r->allocs; a;) {
        dalloc *n = a->next;
        for (int i = 0; i < a->n_paths; i++) sp_free(a->wal_paths[i]);
        sp_free(a->wal_paths);
        sp_free(a);
        a = n;
    }
    pthread_mutex_destroy(&r->lock);
    sp_free(r->host);
    sp_free(r->wal_dir);
    sp_free(r);
    ds->recv = NULL;
}

int sp_drecv_gen(spate_dstream_t *ds, int64_t t, sp_err *err)
{
    drecv *r = ds->recv;
    pthread_mutex_lock(&r->lock);
    dblock *all = r->head;
    r->head = r->tail = NULL;
    pthread_mutex_unlock(&r->lock);
    int n = 0;
    for (dblock *b = all; b; b = b->next) n++;
    spate_rdd_t *rdd = sp_drdd_new(t, n ? n : 1);
    dalloc *a = sp_calloc(1, sizeof *a);
    if (a) a->wal_paths = sp_calloc((size_t)(n ? n : 1), sizeof(char *));
    if (!rdd || !a || !a->wal_paths) {
        /* Put the blocks back for the next batch. */
        pthread_mutex_lock(&r->lock);
        dblock *last = all;
        while (last && last->next) last = last->next;
        if (last) {
            last->next = r->head;
            r->head = all;
            if (!r->tail) r->tail = last;
        }
        pthread_mutex_unlock(&r->lock);
        sp_drdd_unref(rdd);
        if (a) sp_free(a->wal_paths);
        sp_free(a);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    if (!n) rdd->n_parts = 1;
    a->time = t;
    int k = 0;
    for (dblock *b = all; b;) {
        dblock *nx = b->next;
        a->n_records += b->part.n;
        rdd->parts[k++] = b->part;
        if (b->wal_path) a->wal_paths[a->n_paths++] = b->wal_path;
        sp_free(b);
        b = nx;
    }
    pthread_mutex_lock(&r->lock);
    a->next = r->allocs;
    r->allocs = a;
    pthread_mutex_unlock(&r->lock);
    if (sp_dstream_put(ds, rdd)) return sp_err_set(err, SP_ENOMEM, "oom");
    return 0;
}

void sp_drecv_batch_done(spate_dstream_t *ds, int64_t t, int64_t start_ms,
                         int64_t end_ms)
{
    drecv *r = ds->recv;
    pthread_mutex_lock(&r->lock);
    dalloc **pp = &r->allocs, *a = NULL;
    while (*pp) {
        if ((*pp)->time == t) {
            a = *pp;
            *pp = a->next;
            break;
        }
        pp = &(*pp)->next;
    }
    pthread_mutex_unlock(&r->lock);
    if (!a) return;
    for (int i = 0; i < a->n_paths; i++) {
        unlink(a->wal_paths[i]);
        sp_free(a->wal_paths[i]);
    }
    if (r->o.backpressure) {
        double rate =
            sp_dpid_compute(&r->pid, end_ms, a->n_records, end_ms - start_ms,
                            start_ms - t > 0 ? start_ms - t : 0);
        if (rate > 0) {
            if (r->o.max_rate > 0 && rate > r->o.max_rate) rate = r->o.max_rate;
            atomic_store(&r->rate_milli, (int64_t)(rate * 1000));
        }
    }
    sp_free(a->wal_paths);
    sp_free(a);
}
