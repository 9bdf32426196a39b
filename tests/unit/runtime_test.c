/* runtime_test.c -- the public API end to end: a socket source fed by a
 * real TCP server on 127.0.0.1, stopping a running pipeline from another
 * thread, and the trigger parser. */
#include "runtime/runtime.h"
#include "spate.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

typedef struct server {
    int listen_fd;
    int port;
    int n_lines;
} server;

static void *serve(void *arg)
{
    server *s = arg;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0) return NULL;
    char line[64];
    /* lines in uneven chunks, one split across writes, a CRLF end */
    for (int i = 0; i < s->n_lines; i++) {
        int n = snprintf(line, sizeof line, "line %d%s", i,
                         i % 7 == 0 ? "\r\n" : "\n");
        if (i % 5 == 0 && n > 3) {
            if (write(fd, line, 3) != 3) break;
            usleep(1000);
            if (write(fd, line + 3, (size_t)n - 3) != n - 3) break;
        } else if (write(fd, line, (size_t)n) != n) {
            break;
        }
    }
    /* a last line without a newline arrives at close */
    if (write(fd, "tail", 4) != 4) { /* ignore */
    }
    close(fd);
    return NULL;
}

static int listen_local(server *s)
{
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) != 0) return -1;
    socklen_t al = sizeof a;
    getsockname(s->listen_fd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    return listen(s->listen_fd, 1);
}

TEST(socket_source_receives_every_line_once)
{
    server s = {.n_lines = 500};
    ASSERT_EQ_INT(listen_local(&s), 0);
    pthread_t th;
    pthread_create(&th, NULL, serve, &s);
    char sql[512];
    int n = snprintf(sql, sizeof sql,
                     "CREATE SOURCE lines WITH (connector = 'socket', "
                     "port = %d);\n"
                     "CREATE SINK out WITH (connector = 'console', "
                     "format = 'jsonl') AS SELECT value FROM lines;\n"
                     "SET trigger = processing_time '100 milliseconds';\n",
                     s.port);
    const char *dir = test_tmpdir("socket");
    char out_path[600];
    snprintf(out_path, sizeof out_path, "%s/out.jsonl", dir);
    FILE *out = fopen(out_path, "w+");
    spate_options_t opt;
    spate_options_init(&opt);
    opt.console = out;
    opt.duration_ms = 1500;
    opt.threads = 2;
    spate_pipeline_t *p;
    spate_error_t err;
    ASSERT_OK(spate_pipeline_load(sql, (size_t)n, "sock.sql", &opt, &p, &err),
              (sp_err *)&err);
    ASSERT_OK(spate_pipeline_run(p, &err), (sp_err *)&err);
    spate_pipeline_destroy(p);
    pthread_join(th, NULL);
    close(s.listen_fd);
    fflush(out);
    rewind(out);
    char buf[256];
    int k = 0;
    bool tail = false;
    while (fgets(buf, sizeof buf, out)) {
        char want[128];
        if (strstr(buf, "\"value\":\"tail\"")) {
            tail = true;
            continue;
        }
        snprintf(want, sizeof want, "\"row\":{\"value\":\"line %d\"}}\n", k);
        if (!strstr(buf, want)) TEST_FAIL_("row %d: got %s", k, buf);
        k++;
    }
    fclose(out);
    ASSERT_EQ_INT(k, s.n_lines);
    ASSERT(tail);
}

typedef struct holder {
    int listen_fd;
    int n_lines;
    volatile int release;
} holder;

/* Sends n lines, then holds the connection open until released. */
static void *serve_and_hold(void *arg)
{
    holder *h = arg;
    int fd = accept(h->listen_fd, NULL, NULL);
    if (fd < 0) return NULL;
    char line[64];
    for (int i = 0; i < h->n_lines; i++) {
        int n = snprintf(line, sizeof line, "msg %d\n", i);
        if (write(fd, line, (size_t)n) != n) break;
    }
    while (!h->release) usleep(10000);
    close(fd);
    return NULL;
}

static int wal_lines(const char *dir)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd,
             "cat %s/ck/*/sources/0/received/* 2>/dev/null | grep -c '^msg '",
             dir);
    FILE *f = popen(cmd, "r");
    int n = 0;
    if (f) {
        if (fscanf(f, "%d", &n) != 1) n = 0;
        pclose(f);
    }
    return n;
}

TEST(socket_wal_survives_kill9)
{
    const char *dir = test_tmpdir("socketwal");
    char ck[600];
    snprintf(ck, sizeof ck, "%s/ck", dir);
    server s = {.n_lines = 0};
    ASSERT_EQ_INT(listen_local(&s), 0);
    holder h = {s.listen_fd, 300, 0};
    pthread_t th;
    pthread_create(&th, NULL, serve_and_hold, &h);
    char sql[600];
    int n = snprintf(sql, sizeof sql,
                     "CREATE SOURCE lines WITH (connector = 'socket', "
                     "port = %d);\n"
                     "CREATE SINK out WITH (connector = 'console', "
                     "format = 'jsonl') AS SELECT value FROM lines;\n"
                     "SET trigger = processing_time '1 hour';\n",
                     s.port);
    pid_t child = fork();
    if (child == 0) {
        /* receives and logs the lines; no batch runs before the kill */
        spate_options_t opt;
        spate_options_init(&opt);
        opt.checkpoint = ck;
        opt.console = fopen("/dev/null", "w");
        spate_pipeline_t *p;
        spate_error_t err;
        if (spate_pipeline_load(sql, (size_t)n, "w.sql", &opt, &p, &err))
            _exit(3);
        spate_pipeline_run(p, &err);
        _exit(4);
    }
    /* wait until every line is acknowledged (in the log), then kill -9 */
    for (int i = 0; i < 500 && wal_lines(dir) < 300; i++) usleep(10000);
    ASSERT_EQ_INT(wal_lines(dir), 300);
    kill(child, SIGKILL);
    int st;
    waitpid(child, &st, 0);
    ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    h.release = 1;
    pthread_join(th, NULL);

    /* restart against a server that sends nothing more */
    holder h2 = {s.listen_fd, 0, 0};
    pthread_create(&th, NULL, serve_and_hold, &h2);
    n = snprintf(sql, sizeof sql,
                 "CREATE SOURCE lines WITH (connector = 'socket', "
                 "port = %d);\n"
                 "CREATE SINK out WITH (connector = 'console', "
                 "format = 'jsonl') AS SELECT value FROM lines;\n"
                 "SET trigger = available_now;\n",
                 s.port);
    char out_path[700];
    snprintf(out_path, sizeof out_path, "%s/out.jsonl", dir);
    FILE *out = fopen(out_path, "w+");
    spate_options_t opt;
    spate_options_init(&opt);
    opt.checkpoint = ck;
    opt.console = out;
    spate_pipeline_t *p;
    spate_error_t err;
    ASSERT_OK(spate_pipeline_load(sql, (size_t)n, "w.sql", &opt, &p, &err),
              (sp_err *)&err);
    ASSERT_OK(spate_pipeline_run(p, &err), (sp_err *)&err);
    spate_pipeline_destroy(p);
    h2.release = 1;
    pthread_join(th, NULL);
    close(s.listen_fd);
    fflush(out);
    rewind(out);
    char buf[256];
    int k = 0;
    while (fgets(buf, sizeof buf, out)) {
        char want[64];
        snprintf(want, sizeof want, "\"value\":\"msg %d\"", k);
        if (!strstr(buf, want)) TEST_FAIL_("row %d: got %s", k, buf);
        k++;
    }
    fclose(out);
    ASSERT_EQ_INT(k, 300);
    /* the committed lines' log files are gone */
    ASSERT_EQ_INT(wal_lines(dir), 0);
}

static void *stop_later(void *arg)
{
    usleep(600 * 1000);
    spate_pipeline_stop(arg);
    return NULL;
}

TEST(stop_from_another_thread)
{
    const char *sql =
        "CREATE SOURCE r WITH (connector = 'rate', rows_per_second = 100);\n"
        "CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS "
        "SELECT value FROM r;\n";
    FILE *out = tmpfile();
    spate_options_t opt;
    spate_options_init(&opt);
    opt.console = out;
    spate_pipeline_t *p;
    spate_error_t err;
    ASSERT_OK(spate_pipeline_load(sql, strlen(sql), "r.sql", &opt, &p, &err),
              (sp_err *)&err);
    pthread_t th;
    pthread_create(&th, NULL, stop_later, p);
    int64_t t0 = sp_clock_mono_us();
    ASSERT_OK(spate_pipeline_run(p, &err), (sp_err *)&err);
    int64_t took = sp_clock_mono_us() - t0;
    pthread_join(th, NULL);
    spate_pipeline_destroy(p);
    ASSERT(took < 5 * SP_USEC_PER_SEC);
    ASSERT(ftell(out) > 0); /* some rows were written before the stop */
    fclose(out);
}

TEST(load_error_has_position)
{
    const char *sql = "CREATE SOURCE s (a BIGINT) WITH (connector = 'file', "
                      "path = 'x');\nCREATE SINK k WITH (connector = 'nope') "
                      "AS SELECT a FROM s;";
    spate_pipeline_t *p = NULL;
    spate_error_t err;
    ASSERT_EQ_INT(
        spate_pipeline_load(sql, strlen(sql), "e.sql", NULL, &p, &err),
        SPATE_EANALYSIS);
    ASSERT(p == NULL);
    ASSERT_EQ_INT(err.line, 2);
    ASSERT_EQ_INT(err.col, 33);
    ASSERT_EQ_STR(err.message, "unknown sink connector 'nope'");
    ASSERT(strstr(err.hint, "console"));
}

TEST(trigger_parse)
{
    sp_trigger t;
    const char *why;
    ASSERT_EQ_INT(sp_trigger_parse("once", &t, &why), 0);
    ASSERT_EQ_INT(t.kind, SP_TRIGGER_ONCE);
    ASSERT_EQ_INT(sp_trigger_parse(" AvailableNow ", &t, &why), 0);
    ASSERT_EQ_INT(t.kind, SP_TRIGGER_AVAILABLE_NOW);
    ASSERT_EQ_INT(sp_trigger_parse("processing_time '1.5 seconds'", &t, &why),
                  0);
    ASSERT_EQ_INT(t.interval_us, 1500000);
    ASSERT_EQ_INT(sp_trigger_parse("processing_time 5", &t, &why), -1);
    ASSERT_EQ_INT(sp_trigger_parse("continuous '1 second'", &t, &why), -1);
    ASSERT(strstr(why, "continuous"));
    ASSERT_EQ_INT(sp_trigger_parse("once please", &t, &why), -1);
}

static void count_task(void *ud, int i)
{
    _Atomic int *hits = ud;
    atomic_fetch_add(&hits[i], 1);
}

TEST(pool_runs_each_task_once)
{
    sp_pool *p = sp_pool_create(4);
    static _Atomic int hits[1000];
    for (int round = 0; round < 50; round++) {
        int n = 1 + round * 19 % 1000;
        memset(hits, 0, sizeof hits);
        sp_pool_run(p, n, count_task, hits);
        for (int i = 0; i < n; i++) ASSERT_EQ_INT(hits[i], 1);
        for (int i = n; i < 1000; i++) ASSERT_EQ_INT(hits[i], 0);
    }
    sp_pool_destroy(p);
}

int main(int argc, char **argv)
{
    return test_main(
        argc, argv,
        (test_case[]){TEST_CASE(socket_source_receives_every_line_once),
                      TEST_CASE(socket_wal_survives_kill9),
                      TEST_CASE(stop_from_another_thread),
                      TEST_CASE(load_error_has_position),
                      TEST_CASE(trigger_parse),
                      TEST_CASE(pool_runs_each_task_once),
                      {0}});
}
