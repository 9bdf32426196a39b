/*
 * dstream_recv_test.c -- receivers over a real TCP socket on 127.0.0.1:
 * blocks per batch follow the block interval, the rate limit holds, the
 * write-ahead log survives kill -9, and the PID estimator converges.
 *
 * Timing assertions use generous bounds (the machine may be loaded); the
 * sender paces itself with absolute deadlines, never with plain sleeps
 * whose drift would accumulate.
 */
#include "spate.h"
#include "test.h"

#include "dstream/dstreamInt.h"
#include "log/log.h"
#include "os/os.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#define OKP(expr, e)                                                           \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        if (rc_) TEST_FAIL_("%s failed: %d: %s", #expr, rc_, (e)->message);    \
    } while (0)

static int listen_any(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ASSERT(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    ASSERT(listen(fd, 4) == 0);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int64_t mono_ms(void)
{
    return sp_clock_mono_us() / 1000;
}

/* ---- PID estimator ----------------------------------------------------- */

TEST(pid_converges_to_processing_rate)
{
    /* A pipeline that processes 2000 records/s, batches of 1 s, input
     * arriving at whatever rate the estimator allows (from 10000/s). */
    dpid p;
    sp_dpid_init(&p, 1000, 100);
    double rate = 10000, sched = 0;
    int64_t t = 1000;
    printf("  batch  rate(rec/s)\n");
    for (int b = 0; b < 30; b++, t += 1000) {
        int64_t n = (int64_t)rate;
        double proc = (double)n / 2000.0 * 1000.0; /* ms */
        double r = sp_dpid_compute(&p, t + (int64_t)(sched + proc), n,
                                   (int64_t)proc, (int64_t)sched);
        sched = sched + proc - 1000 > 0 ? sched + proc - 1000 : 0;
        if (r > 0) rate = r;
        printf("  %5d  %8.0f\n", b, rate);
    }
    ASSERT(rate > 1800 && rate < 2200);
}

TEST(pid_spark_defaults)
{
    dpid p;
    sp_dpid_init(&p, 1000, 100);
    ASSERT_EQ_DBL(p.kp, 1.0);
    ASSERT_EQ_DBL(p.ki, 0.2);
    ASSERT_EQ_DBL(p.kd, 0.0);
    ASSERT_EQ_DBL(p.min_rate, 100);
    /* No estimate without elements or delay, and none on the first run. */
    ASSERT_EQ_DBL(sp_dpid_compute(&p, 1000, 0, 10, 0), 0);
    ASSERT_EQ_DBL(sp_dpid_compute(&p, 1000, 1000, 500, 0), 0);
    /* A stalled pipeline never goes below min rate. */
    ASSERT_EQ_DBL(sp_dpid_compute(&p, 2000, 10, 10000, 50000), 100);
}

/* ---- blocks per batch -------------------------------------------------- */

typedef struct sender {
    int lfd;
    int64_t every_ms; /* a line every ms (0 = flood) */
    int n_lines;
    int sent;
    int fd;
} sender;

static void *send_main(void *arg)
{
    sender *s = arg;
    s->fd = accept(s->lfd, NULL, NULL);
    int64_t t0 = mono_ms();
    char line[64];
    for (int i = 0; i < s->n_lines; i++) {
        if (s->every_ms) {
            int64_t due = t0 + i * s->every_ms, now = mono_ms();
            if (due > now) sleep_ms(due - now);
        }
        int n = snprintf(line, sizeof line, "line %d\n", i);
        if (send(s->fd, line, (size_t)n, MSG_NOSIGNAL) != n) break;
        s->sent++;
    }
    return NULL;
}

typedef struct batches {
    pthread_mutex_t lock;
    int n;
    int parts[64];
    int64_t count[64];
} batches;

static int on_batch(const spate_rdd_t *r, int64_t t, void *ud)
{
    batches *b = ud;
    pthread_mutex_lock(&b->lock);
    if (b->n < 64) {
        b->parts[b->n] = spate_rdd_num_partitions(r);
        b->count[b->n] = (int64_t)spate_rdd_count(r);
        b->n++;
    }
    pthread_mutex_unlock(&b->lock);
    return 0;
}

TEST(socket_blocks_follow_block_interval)
{
    int port;
    int lfd = listen_any(&port);
    sender s = {lfd, 4, 900, 0, -1}; /* 3.6 s of lines */
    pthread_t th;
    pthread_create(&th, NULL, send_main, &s);

    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 1000;
    o.threads = 2;
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    spate_receiver_options_t ro;
    spate_receiver_options_init(&ro);
    ASSERT_EQ_INT(ro.block_interval_ms, 200);
    spate_dstream_t *in =
        spate_ssc_socket_text_stream(ssc, "127.0.0.1", port, &ro);
    static batches b = {PTHREAD_MUTEX_INITIALIZER, 0, {0}, {0}};
    spate_dstream_foreach_rdd(in, on_batch, &b);
    OKP(spate_ssc_start(ssc, &err), &err);
    pthread_join(th, NULL);
    sleep_ms(300);
    spate_ssc_stop(ssc, 1); /* graceful: everything received is processed */
    ASSERT_EQ_INT(spate_ssc_await_termination(ssc, -1, &err), 0);
    int64_t total = 0;
    int full = 0;
    for (int i = 0; i < b.n; i++) {
        printf("  batch %d: %d blocks, %lld records\n", i, b.parts[i],
               (long long)b.count[i]);
        total += b.count[i];
        /* A batch during steady sending: 1 s / 200 ms = 5 blocks. */
        if (b.count[i] >= 200) {
            full++;
            ASSERT(b.parts[i] >= 4 && b.parts[i] <= 6);
        }
    }
    ASSERT(full >= 2);
    ASSERT_EQ_INT(total, s.sent);
    ASSERT_EQ_INT(total, 900);
    close(s.fd);
    close(lfd);
    spate_ssc_destroy(ssc);
}

static int nop_batch(const spate_rdd_t *r, int64_t t, void *ud)
{
    return 0;
}

TEST(socket_rate_limit)
{
    int port;
    int lfd = listen_any(&port);
    sender s = {lfd, 0, 20000, 0, -1}; /* flood */
    pthread_t th;
    pthread_create(&th, NULL, send_main, &s);
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 1000;
    o.manual_clock = 1;
    o.threads = 1;
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    spate_receiver_options_t ro;
    spate_receiver_options_init(&ro);
    ro.max_rate = 1000;
    spate_dstream_t *in =
        spate_ssc_socket_text_stream(ssc, "127.0.0.1", port, &ro);
    spate_dstream_foreach_rdd(in, nop_batch, NULL);
    OKP(spate_ssc_start(ssc, &err), &err);
    spate_receiver_stats_t st;
    int64_t deadline = mono_ms() + 5000;
    do {
        spate_receiver_stats(in, &st);
        sleep_ms(5);
    } while (st.records == 0 && mono_ms() < deadline);
    sleep_ms(200);
    spate_receiver_stats(in, &st);
    int64_t r0 = st.records, t0 = mono_ms();
    sleep_ms(1000);
    spate_receiver_stats(in, &st);
    double rate = (double)(st.records - r0) * 1000.0 / (double)(mono_ms() - t0);
    printf("  received %.0f records/s with a limit of 1000/s\n", rate);
    ASSERT(rate > 700 && rate < 1300);
    ASSERT_EQ_DBL(st.rate_limit, 1000);
    spate_ssc_destroy(ssc);
    pthread_join(th, NULL); /* the receiver closed: the sender stops */
    close(s.fd);
    close(lfd);
}

/* ---- several receivers unioned ----------------------------------------- */

typedef struct tagged {
    int lfd, fd;
    char tag;
    int n_lines; /* "<tag> <i>" for i < n_lines, 30 lines every 20 ms */
} tagged;

static void *tagged_main(void *arg)
{
    tagged *s = arg;
    s->fd = accept(s->lfd, NULL, NULL);
    int64_t t0 = mono_ms();
    char buf[1024];
    for (int i = 0; i < s->n_lines;) {
        size_t n = 0;
        for (int k = 0; k < 30 && i < s->n_lines; k++, i++)
            n +=
                (size_t)snprintf(buf + n, sizeof buf - n, "%c %d\n", s->tag, i);
        if (send(s->fd, buf, n, MSG_NOSIGNAL) != (ssize_t)n) break;
        int64_t due = t0 + (i / 30) * 20, now = mono_ms();
        if (due > now) sleep_ms(due - now);
    }
    return NULL;
}

#define UNION_LINES 1500
typedef struct union_seen {
    int count[2][UNION_LINES]; /* driver thread only */
    int bad;
    int n_batches, both, parts_ok;
} union_seen;

static int union_batch(const spate_rdd_t *r, int64_t t, void *ud)
{
    union_seen *u = ud;
    size_t n = spate_rdd_count(r);
    bool has[2] = {false, false};
    for (size_t i = 0; i < n; i++) {
        const spate_val_t *v = spate_rdd_get(r, i);
        int which = v->len > 2 && v->u.s[0] == 'b';
        int k = v->len > 2 ? atoi(v->u.s + 2) : -1;
        if (v->len < 3 || (v->u.s[0] != 'a' && v->u.s[0] != 'b') || k < 0 ||
            k >= UNION_LINES) {
            u->bad++;
            continue;
        }
        u->count[which][k]++;
        has[which] = true;
    }
    if (n) u->n_batches++;
    if (has[0] && has[1]) u->both++;
    return 0;
}

TEST(two_receivers_unioned)
{
    int pa, pb;
    tagged a = {listen_any(&pa), -1, 'a', UNION_LINES};
    tagged b = {listen_any(&pb), -1, 'b', UNION_LINES};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, tagged_main, &a);
    pthread_create(&tb, NULL, tagged_main, &b);

    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 250;
    o.threads = 2;
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    spate_receiver_options_t ro;
    spate_receiver_options_init(&ro);
    ro.block_interval_ms = 50;
    spate_dstream_t *ia =
        spate_ssc_socket_text_stream(ssc, "127.0.0.1", pa, &ro);
    spate_dstream_t *ib =
        spate_ssc_socket_text_stream(ssc, "127.0.0.1", pb, &ro);
    static union_seen u;
    spate_dstream_foreach_rdd(spate_dstream_union(ia, ib), union_batch, &u);
    OKP(spate_ssc_start(ssc, &err), &err);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    /* Everything sent has been read by the receivers... */
    spate_receiver_stats_t sa, sb;
    int64_t deadline = mono_ms() + 5000;
    do {
        sleep_ms(10);
        spate_receiver_stats(ia, &sa);
        spate_receiver_stats(ib, &sb);
    } while ((sa.records < UNION_LINES || sb.records < UNION_LINES) &&
             mono_ms() < deadline);
    ASSERT_EQ_INT(sa.records, UNION_LINES);
    ASSERT_EQ_INT(sb.records, UNION_LINES);
    /* ...and a graceful stop processes all of it: every line once. */
    spate_ssc_stop(ssc, 1);
    ASSERT_EQ_INT(spate_ssc_await_termination(ssc, -1, &err), 0);
    printf("  %d non-empty batches, %d with lines of both receivers\n",
           u.n_batches, u.both);
    ASSERT_EQ_INT(u.bad, 0);
    for (int w = 0; w < 2; w++)
        for (int k = 0; k < UNION_LINES; k++)
            if (u.count[w][k] != 1)
                TEST_FAIL_("line %c %d seen %d times", "ab"[w], k,
                           u.count[w][k]);
    ASSERT(u.n_batches >= 3); /* ~1 s of sending, 250 ms batches */
    ASSERT(u.both >= 2);
    close(a.fd);
    close(b.fd);
    close(a.lfd);
    close(b.lfd);
    spate_ssc_destroy(ssc);
}

/* ---- backpressure over a live socket ----------------------------------- */

typedef struct flood {
    int lfd, fd;
    _Atomic int stop;
} flood;

static void *flood_main(void *arg)
{
    flood *f = arg;
    f->fd = accept(f->lfd, NULL, NULL);
    static char buf[64 * 16];
    for (int i = 0; i < 64; i++) memcpy(buf + i * 16, "record 01234567\n", 16);
    /* Lines as fast as the receiver takes them. */
    while (!atomic_load(&f->stop))
        if (send(f->fd, buf, sizeof buf, MSG_NOSIGNAL) < 0) break;
    return NULL;
}

/* The slow stage: processing costs 1 s per PROC_RATE records (a sleep to
 * an absolute deadline, so it is accurate), at most 3 s per batch. */
#define PROC_RATE 2000.0
static int slow_stage(spate_tctx_t *cx, const spate_rdd_t *in, void *ud)
{
    size_t n = spate_rdd_count(in);
    int64_t us = (int64_t)((double)n * 1e6 / PROC_RATE);
    if (us > 3000000) us = 3000000;
    int64_t end = sp_clock_mono_us() + us;
    for (int64_t now; (now = sp_clock_mono_us()) < end;) {
        int64_t left = end - now;
        struct timespec ts = {(time_t)(left / 1000000),
                              (long)(left % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    return spate_emit(cx, spate_int((int64_t)n));
}

#define BP_MAX 256
typedef struct bp_series {
    const spate_dstream_t *in;
    int64_t t0;
    int n;
    int64_t at[BP_MAX], batch[BP_MAX], records[BP_MAX];
    double rate[BP_MAX];
} bp_series;

static int bp_batch(const spate_rdd_t *r, int64_t t, void *ud)
{
    bp_series *s = ud;
    spate_receiver_stats_t st;
    spate_receiver_stats(s->in, &st);
    if (s->n < BP_MAX) {
        s->at[s->n] = mono_ms() - s->t0;
        s->batch[s->n] = t;
        s->records[s->n] = spate_rdd_count(r) ? spate_rdd_get(r, 0)->u.i : 0;
        s->rate[s->n] = st.rate_limit; /* after the batch before this one */
        s->n++;
    }
    return 0;
}

TEST(backpressure_converges_on_live_socket)
{
    int port;
    flood f = {listen_any(&port), -1, 0};
    pthread_t th;
    pthread_create(&th, NULL, flood_main, &f);
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 100;
    o.threads = 2;
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    spate_receiver_options_t ro;
    spate_receiver_options_init(&ro);
    ro.block_interval_ms = 25;
    ro.backpressure = 1;
    /* Twice what the pipeline can take. The estimator's first rate comes
     * after the second batch completes, and the data received meanwhile
     * at the initial rate is a backlog to drain first (as in Spark). */
    ro.initial_rate = 2 * PROC_RATE;
    spate_dstream_t *in =
        spate_ssc_socket_text_stream(ssc, "127.0.0.1", port, &ro);
    static bp_series s;
    s.in = in;
    spate_dstream_foreach_rdd(spate_dstream_transform(in, slow_stage, NULL),
                              bp_batch, &s);
    s.t0 = mono_ms();
    OKP(spate_ssc_start(ssc, &err), &err);
    sleep_ms(5000);
    spate_ssc_stop(ssc, 0);
    atomic_store(&f.stop, 1);
    printf("  processing rate %.0f records/s, initial rate %.0f records/s, "
           "100 ms batches (empty catch-up batches not shown)\n"
           "  at(ms)  batch  records  rate limit in force (records/s)\n",
           PROC_RATE, ro.initial_rate);
    double lowest = ro.initial_rate;
    for (int i = 0; i < s.n; i++) {
        if (s.rate[i] < lowest) lowest = s.rate[i];
        if (s.records[i] || i == s.n - 1)
            printf("  %6lld  %5d  %7lld  %8.0f\n", (long long)s.at[i], i,
                   (long long)s.records[i], s.rate[i]);
    }
    ASSERT(s.n >= 20);
    /* Started at the initial rate, came down from it, and ends within 2x
     * of the processing rate: the mean over the batches of the last
     * second. */
    ASSERT_EQ_DBL(s.rate[0], ro.initial_rate);
    ASSERT(lowest < ro.initial_rate / 2);
    double tail = 0;
    int k = 0;
    for (int i = s.n - 1; i >= 0 && s.at[i] > s.at[s.n - 1] - 1000; i--, k++)
        tail += s.rate[i];
    tail /= k;
    printf("  last second (%d batches): mean rate limit %.0f records/s\n", k,
           tail);
    ASSERT(tail > PROC_RATE / 2 && tail < PROC_RATE * 2);
    spate_ssc_destroy(ssc);
    close(f.fd);
    pthread_join(th, NULL);
    close(f.lfd);
}

/* ---- write-ahead log and kill -9 --------------------------------------- */

static int64_t wal_lines(const char *dir)
{
    sp_names names;
    sp_err e;
    sp_err_clear(&e);
    if (sp_os_list_dir(dir, true, &names, &e)) return 0;
    int64_t n = 0;
    for (size_t i = 0; i < names.n; i++) {
        if (strchr(names.names[i], '.')) continue; /* not yet renamed */
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names.names[i]);
        char *body;
        size_t len;
        if (sp_ckfile_read(path, "block", &body, &len, &e)) continue;
        for (size_t k = 0; k < len; k++) n += body[k] == '\n';
        sp_free(body);
    }
    sp_os_names_free(&names);
    return n;
}

static int64_t g_seen;
static int count_batch(const spate_rdd_t *r, int64_t t, void *ud)
{
    g_seen += (int64_t)spate_rdd_count(r);
    return 0;
}

static spate_ssc_t *wal_ctx(const char *ckpt, int port, spate_dstream_t **in)
{
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 1000;
    o.manual_clock = 1; /* no batch runs unless advanced */
    o.threads = 1;
    o.checkpoint = ckpt;
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    spate_receiver_options_t ro;
    spate_receiver_options_init(&ro);
    ro.wal = 1;
    ro.block_interval_ms = 50;
    *in = spate_ssc_socket_text_stream(ssc, "127.0.0.1", port, &ro);
    spate_dstream_foreach_rdd(*in, count_batch, NULL);
    OKP(spate_ssc_start(ssc, &err), &err);
    return ssc;
}

TEST(wal_survives_kill9)
{
    const char *tmp = test_tmpdir("dstream_wal");
    char ckpt[600], wal[700];
    snprintf(ckpt, sizeof ckpt, "%s/ckpt", tmp);
    snprintf(wal, sizeof wal, "%s/receivedData/1", ckpt);
    int port;
    int lfd = listen_any(&port);
    pid_t pid = fork();
    if (pid == 0) {
        spate_dstream_t *in;
        wal_ctx(ckpt, port, &in);
        for (;;) sleep_ms(1000); /* receive until killed */
    }
    int fd = accept(lfd, NULL, NULL);
    ASSERT(fd >= 0);
    for (int i = 0; i < 100; i++) {
        char line[32];
        int n = snprintf(line, sizeof line, "event %d\n", i);
        ASSERT(write(fd, line, (size_t)n) == n);
    }
    /* Wait until all 100 lines are acknowledged (in the log). */
    int64_t deadline = mono_ms() + 5000;
    while (wal_lines(wal) < 100 && mono_ms() < deadline) sleep_ms(10);
    ASSERT_EQ_INT(wal_lines(wal), 100);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(fd);

    /* Restart: the logged blocks are replayed into the first batch. */
    spate_dstream_t *in;
    spate_ssc_t *ssc = wal_ctx(ckpt, port, &in);
    spate_receiver_stats_t st;
    spate_receiver_stats(in, &st);
    ASSERT(st.replayed >= 1);
    spate_error_t err;
    OKP(spate_ssc_advance(ssc, 1000, &err), &err);
    ASSERT_EQ_INT(g_seen, 100);
    /* The batch completed: its blocks left the log. */
    ASSERT_EQ_INT(wal_lines(wal), 0);
    spate_ssc_destroy(ssc);
    close(lfd);
}

TEST(wal_needs_checkpoint)
{
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    spate_receiver_options_t ro;
    spate_receiver_options_init(&ro);
    ro.wal = 1;
    ASSERT(spate_ssc_socket_text_stream(ssc, "127.0.0.1", 1, &ro) == NULL);
    ASSERT_EQ_INT(spate_ssc_error(ssc, &err), SPATE_EINVAL);
    ASSERT(strstr(err.message, "needs a checkpoint directory"));
    spate_ssc_destroy(ssc);
}

int main(int argc, char **argv)
{
    return test_main(
        argc, argv,
        (test_case[]){TEST_CASE(pid_converges_to_processing_rate),
                      TEST_CASE(pid_spark_defaults),
                      TEST_CASE(socket_blocks_follow_block_interval),
                      TEST_CASE(socket_rate_limit),
                      TEST_CASE(two_receivers_unioned),
                      TEST_CASE(backpressure_converges_on_live_socket),
                      TEST_CASE(wal_survives_kill9),
                      TEST_CASE(wal_needs_checkpoint),
                      {0}});
}
