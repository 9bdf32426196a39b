/*
 * fault.c -- injected task faults (test-only), the task scheduler's
 * counterpart of SPATE_CRASH_AT (src/core/crash.c).
 *
 * SPATE_TASK_FAULT=<fault>[,<fault>...], each one of
 *   fail:<batch>:<task>[:<times>]   the first <times> (default 1) attempts
 *                                   of the task fail with "injected task
 *                                   fault"
 *   failafter:<batch>:p<N>[:<times>]  the same for partition task N, after
 *                                   it merged into its state store and
 *                                   wrote its rows (partition tasks only)
 *   slow:<batch>:<task>:<ms>        attempt 0 of the task first waits <ms>
 *                                   (a straggler; it stops waiting when
 *                                   another attempt won)
 * <batch> is a batch id or '*' (every batch); <task> is a split task's
 * number (0, 1, ... in split order) or p<N> for partition task N of a
 * stateful query's second stage.
 *
 * Where they fire (query.c): a split task's failure after the attempt did
 * its work, so its sink part or partial exists and must be discarded -- the
 * case a retry must not duplicate; a partition task's `fail` before the
 * attempt touches its state store partition, `failafter` once it changed
 * the store and wrote its sink part -- the case where the store must be
 * rolled back before a retry (or, when it cannot be, the batch fails).
 * Without the variable a check costs a load and a branch per task attempt
 * (not per row).
 */
#include "runtime/runtime.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FAULTS 16

typedef enum kind { K_FAIL, K_FAIL_AFTER, K_SLOW } kind;

typedef struct fault {
    kind kind;
    int64_t batch; /* -1 = any */
    bool partition;
    int task;
    int64_t n; /* fail: attempts that fail; slow: milliseconds */
} fault;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static fault g_faults[MAX_FAULTS];
static int g_n;
static const char *g_bad; /* why the variable is malformed, or NULL */
static char g_text[256];

/* A whole non-negative number from *p to the next ':' or ','/end. */
static bool num(const char **p, int64_t *out)
{
    char *end;
    if (**p < '0' || **p > '9') return false;
    long long v = strtoll(*p, &end, 10);
    if (*end && *end != ':' && *end != ',') return false;
    *out = v;
    *p = end;
    return true;
}

static const char *parse_one(const char **p, fault *f)
{
    const char *s = *p;
    if (!strncmp(s, "fail:", 5)) {
        f->kind = K_FAIL;
        s += 5;
    } else if (!strncmp(s, "failafter:", 10)) {
        f->kind = K_FAIL_AFTER;
        s += 10;
    } else if (!strncmp(s, "slow:", 5)) {
        f->kind = K_SLOW;
        s += 5;
    } else {
        return "each fault starts with fail:, failafter: or slow:";
    }
    if (*s == '*') {
        f->batch = -1;
        s++;
    } else if (!num(&s, &f->batch)) {
        return "expected a batch id or '*' after the kind";
    }
    if (*s++ != ':') return "expected ':<task>' after the batch";
    f->partition = *s == 'p';
    if (f->partition) s++;
    int64_t t;
    if (!num(&s, &t) || t > 1 << 20) return "expected a task number or p<N>";
    f->task = (int)t;
    if (f->kind == K_FAIL_AFTER && !f->partition)
        return "failafter is for partition tasks (p<N>); a split task's "
               "fail already strikes after its work";
    f->n = 1;
    if (*s == ':') {
        s++;
        if (!num(&s, &f->n)) return "expected a number after the task";
    } else if (f->kind == K_SLOW) {
        return "slow needs a duration in ms: slow:<batch>:<task>:<ms>";
    }
    if (*s && *s != ',') return "unexpected text after a fault";
    *p = s;
    return NULL;
}

static void parse(void)
{
    const char *v = getenv("SPATE_TASK_FAULT");
    if (!v || !*v) return;
    snprintf(g_text, sizeof g_text, "%s", v);
    const char *p = v;
    while (*p && !g_bad) {
        if (g_n == MAX_FAULTS) {
            g_bad = "more than 16 faults";
            break;
        }
        g_bad = parse_one(&p, &g_faults[g_n]);
        if (g_bad) break;
        g_n++;
        if (*p == ',') p++;
    }
}

int sp_task_fault_init(sp_err *err)
{
    pthread_once(&g_once, parse);
    if (!g_bad) return 0;
    sp_err_set(err, SP_EINVAL, "bad SPATE_TASK_FAULT '%s': %s", g_text, g_bad);
    sp_err_hint(err, "SPATE_TASK_FAULT=fail:<batch>:<task>[:<times>], "
                     "failafter:<batch>:p<N>[:<times>] or "
                     "slow:<batch>:<task>:<ms>, comma-separated; <batch> may "
                     "be '*', <task> p<N> for a partition task");
    return SP_EINVAL;
}

static const fault *find(int64_t batch, bool partition, int task, kind k)
{
    for (int i = 0; i < g_n; i++) {
        const fault *f = &g_faults[i];
        if (f->kind == k && f->partition == partition && f->task == task &&
            (f->batch < 0 || f->batch == batch))
            return f;
    }
    return NULL;
}

int sp_task_fault_fail(int64_t batch, bool partition, int task, int attempt,
                       bool after, sp_err *err)
{
    if (!g_n) return 0;
    const fault *f =
        find(batch, partition, task, after ? K_FAIL_AFTER : K_FAIL);
    if (!f || attempt >= f->n) return 0;
    return sp_err_set(err, SP_EINTERNAL,
                      "injected task fault (SPATE_TASK_FAULT%s, attempt %d)",
                      after ? " failafter" : "", attempt);
}

int sp_task_fault_slow(int64_t batch, bool partition, const sp_task_attempt *a)
{
    if (!g_n || a->attempt > 0) return 0;
    const fault *f = find(batch, partition, a->task, K_SLOW);
    if (!f) return 0;
    int64_t until = sp_clock_mono_us() + f->n * 1000;
    while (sp_clock_mono_us() < until) {
        if (atomic_load(a->killed)) return SP_ESTOPPED;
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}
