/*
 * crash.c -- named crash points for crash tests (test-only).
 *
 * SPATE_CRASH_AT=<point>[:<batch>] makes the process kill itself with
 * SIGKILL (as `kill -9` would) when it reaches that point, in that batch
 * (any batch when omitted). Points, in the order a batch passes them:
 *   after_offsets    offsets/N written, nothing computed
 *   mid_sink         sink parts written, the sink not committed
 *   after_state      state version N committed, the sink not committed
 *   sink_before_state  the sink committed, state version N not committed
 *   after_sink       the sink and the state committed, commits/N not written
 *   during_snapshot  a state snapshot file written, not yet renamed
 * The state and the sink commit at the same time in a normal run, so
 * after_state and sink_before_state are two of the orders that can
 * happen: when one of them is armed for a batch (sp_crash_armed), the
 * runtime commits that batch's two in that order, one after the other.
 * Without the variable this costs one branch per point.
 */
#include "core/core.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_init;
static char g_point[64];
static int64_t g_batch = -1;

static void crash_init(void)
{
    if (g_init) return;
    const char *v = getenv("SPATE_CRASH_AT");
    g_init = v && *v ? 1 : 2;
    if (g_init == 1) {
        snprintf(g_point, sizeof g_point, "%s", v);
        char *colon = strchr(g_point, ':');
        if (colon) {
            *colon = 0;
            g_batch = strtoll(colon + 1, NULL, 10);
        }
    }
}

bool sp_crash_armed(const char *name, int64_t batch)
{
    crash_init();
    if (g_init != 1 || strcmp(g_point, name) != 0) return false;
    return g_batch < 0 || batch < 0 || batch == g_batch;
}

void sp_crash_point(const char *name, int64_t batch)
{
    if (!sp_crash_armed(name, batch)) return;
    static const char m[] = "spate: crash point reached, killing myself\n";
    if (write(2, m, sizeof m - 1) < 0) { /* nothing to do */
    }
    kill(getpid(), SIGKILL);
    _exit(137);
}
