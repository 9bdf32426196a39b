/*
 * test.h -- the unit-test harness: assertion macros that print both
 * operands, and a runner that executes each test in a child process with a
 * timeout, so one crash or hang fails that test only.
 *
 * Usage:
 *     TEST(arena_reset) { ... ASSERT_EQ_INT(a, b); ... }
 *     int main(int argc, char **argv) {
 *         return test_main(argc, argv, (test_case[]){
 *             TEST_CASE(arena_reset), ..., {0}});
 *     }
 * `./x_test name` runs one case; no argument runs all. The last line is
 * "N passed, M failed".
 */
#ifndef SP_TEST_H
#define SP_TEST_H

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct test_case {
    const char *name;
    void (*fn)(void);
} test_case;

#define TEST(name) static void test_##name(void)
#define TEST_CASE(name)                                                        \
    {                                                                          \
#name, test_##name                                                     \
    }

#define TEST_FAIL_(...)                                                        \
    do {                                                                       \
        fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                      \
        fprintf(stderr, __VA_ARGS__);                                          \
        fprintf(stderr, "\n");                                                 \
        exit(1);                                                               \
    } while (0)

#define ASSERT(x)                                                              \
    do {                                                                       \
        if (!(x)) TEST_FAIL_("assertion failed: %s", #x);                      \
    } while (0)
#define ASSERT_EQ_INT(a, b)                                                    \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_)                                                          \
            TEST_FAIL_("%s == %s failed: %lld != %lld", #a, #b, a_, b_);       \
    } while (0)
#define ASSERT_EQ_DBL(a, b)                                                    \
    do {                                                                       \
        double a_ = (a), b_ = (b);                                             \
        if (!(a_ == b_ || (a_ - b_ < 1e-9 && b_ - a_ < 1e-9)))                 \
            TEST_FAIL_("%s == %s failed: %.17g != %.17g", #a, #b, a_, b_);     \
    } while (0)
#define ASSERT_EQ_STR(a, b)                                                    \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                 \
            TEST_FAIL_("%s == %s failed:\n    got:  \"%s\"\n    want: \"%s\"", \
                       #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");        \
    } while (0)
#define ASSERT_EQ_MEM(p, n, s)                                                 \
    do {                                                                       \
        const char *s_ = (s);                                                  \
        size_t n_ = (size_t)(n);                                               \
        if (n_ != strlen(s_) || memcmp((p), s_, n_) != 0)                      \
            TEST_FAIL_(                                                        \
                "%s == %s failed:\n    got:  \"%.*s\"\n    want: \"%s\"", #p,  \
                #s, (int)n_, (const char *)(p), s_);                           \
    } while (0)
#define ASSERT_OK(expr, errp)                                                  \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        if (rc_ != 0)                                                          \
            TEST_FAIL_("%s failed: rc=%d: %s", #expr, rc_, (errp)->msg);       \
    } while (0)

/* A fresh temporary directory for the current test (created, not removed:
 * the build tree's test-tmp is disposable). Returns a static buffer. */
static inline const char *test_tmpdir(const char *name)
{
    static char path[512];
    const char *base = getenv("SPATE_TEST_TMP");
    if (!base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(path, sizeof path, "%s/%s.%d", base, name, (int)getpid());
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) { /* ignore */
    }
    mkdir(path, 0755);
    return path;
}

static inline int test_main(int argc, char **argv, const test_case *cases)
{
    int passed = 0, failed = 0;
    for (const test_case *t = cases; t->name; t++) {
        if (argc > 1 && strcmp(argv[1], t->name) != 0) continue;
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid == 0) {
            alarm(60);
            t->fn();
            exit(0);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            printf("ok   %s\n", t->name);
            passed++;
        } else {
            if (WIFSIGNALED(st))
                printf("FAIL %s (signal %d%s)\n", t->name, WTERMSIG(st),
                       WTERMSIG(st) == SIGALRM ? ": timeout" : "");
            else
                printf("FAIL %s\n", t->name);
            failed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : (passed ? 0 : 1);
}

#endif
