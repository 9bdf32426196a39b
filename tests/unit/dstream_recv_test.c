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
        if (write(s->fd, line, (size_t)n) != n) break;
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
    close(s.fd);
    pthread_join(th, NULL);
    close(lfd);
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
                      TEST_CASE(wal_survives_kill9),
                      TEST_CASE(wal_needs_checkpoint),
                      {0}});
}
