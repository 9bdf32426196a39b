/*
 * crash.c -- named crash points for crash tests (test-only).
 *
 * SPATE_CRASH_AT=<point>[:<batch>] makes the process kill itself with
 * SIGKILL (as `kill -9` would) when it reaches that point, in that batch
 * (any batch when omitted). Points, in the order a batch passes them:
 *   after_offsets    offsets/N written, nothing computed
 *   mid_sink         sink parts written, the sink not committed
 *   after_state      state version N committed, the sink not committed
 *   after_sink       the sink committed, commits/N not written
 *   during_snapshot  a state snapshot file written, not yet renamed
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

void sp_crash_point(const char *name, int64_t batch)
{
    if (!g_init) {
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
    if (g_init != 1 || strcmp(g_point, name) != 0) return;
    if (g_batch >= 0 && batch >= 0 && batch != g_batch) return;
    static const char m[] = "spate: crash point reached, killing myself\n";
    if (write(2, m, sizeof m - 1) < 0) { /* nothing to do */
    }
    kill(getpid(), SIGKILL);
    _exit(137);
}
