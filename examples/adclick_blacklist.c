/*
 * adclick_blacklist.c -- drop clicks of blacklisted users before counting
 * clicks per ad. transform gives the callback each whole batch, so it can
 * join the batch with a table the program keeps (here a sorted array; in
 * a real program a table reloaded now and then).
 */
#include "spate.h"

#include <stdlib.h>
#include <string.h>

static const char *blacklist[] = {"bot-7", "mallory"}; /* sorted */

static int cmp(const void *k, const void *e)
{
    const spate_val_t *user = k;
    const char *b = *(const char *const *)e;
    size_t n = strlen(b);
    int c = memcmp(user->u.s, b, user->len < n ? user->len : n);
    return c ? c : (int)user->len - (int)n;
}

/* A click is (user, ad): keep it unless the user is blacklisted; emit
 * (ad, 1). */
static int drop_blacklisted(spate_tctx_t *cx, const spate_rdd_t *clicks,
                            void *ud)
{
    for (size_t i = 0; i < spate_rdd_count(clicks); i++) {
        const spate_val_t *c = spate_rdd_get(clicks, i);
        if (bsearch(spate_key(c), blacklist, 2, sizeof *blacklist, cmp))
            continue;
        if (spate_emit(cx, spate_pair(cx, *spate_value(c), spate_int(1))))
            return -1;
    }
    return 0;
}

int main(void)
{
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 1000;
    o.manual_clock = 1;
    spate_ssc_t *ssc;
    spate_error_t err;
    if (spate_ssc_create(&o, &ssc, &err)) goto fail;
    spate_dstream_t *clicks = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_print(
        spate_dstream_reduce_by_key(
            spate_dstream_transform(clicks, drop_blacklisted, NULL),
            spate_reduce_sum, 0, NULL),
        10);
    if (spate_ssc_start(ssc, &err)) goto fail;
    const char *in[][2] = {{"alice", "ad-1"}, {"mallory", "ad-1"},
                           {"bob", "ad-2"},   {"bot-7", "ad-2"},
                           {"alice", "ad-2"}, {"carol", "ad-1"}};
    spate_val_t kv[6][2], v[6];
    for (int i = 0; i < 6; i++) {
        kv[i][0] = spate_str(in[i][0], strlen(in[i][0]));
        kv[i][1] = spate_str(in[i][1], strlen(in[i][1]));
        v[i] = spate_tuple_of(kv[i], 2);
    }
    spate_queue_push(clicks, v, 6, 2);
    if (spate_ssc_advance(ssc, 1000, &err)) goto fail;
    spate_ssc_destroy(ssc);
    return 0;
fail:
    spate_error_print(&err, NULL, 0, stderr);
    return 1;
}
