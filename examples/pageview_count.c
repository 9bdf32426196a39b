/*
 * pageview_count.c -- the running page-view count per URL: map each view
 * to (url, 1) and keep a running sum per URL with updateStateByKey.
 * Generated page views arrive through a queue stream; the manual clock
 * makes a run of 5 one-second batches instant and repeatable.
 */
#include "spate.h"

#include <string.h>

static int to_pair(spate_tctx_t *cx, const spate_val_t *url, spate_val_t *out,
                   void *ud)
{
    *out = spate_pair(cx, *url, spate_int(1));
    return 0;
}

/* state' = state + sum(new views); called for every URL every batch. */
static int add(spate_tctx_t *cx, const spate_val_t *url,
               const spate_val_t *views, size_t n, const spate_val_t *state,
               spate_val_t *next, void *ud)
{
    int64_t sum = state ? state->u.i : 0;
    for (size_t i = 0; i < n; i++) sum += views[i].u.i;
    *next = spate_int(sum);
    return 1;
}

int main(void)
{
    static const char *urls[] = {"/", "/about", "/blog", "/blog/1", "/cart"};
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 1000;
    o.manual_clock = 1;
    spate_ssc_t *ssc;
    spate_error_t err;
    if (spate_ssc_create(&o, &ssc, &err)) goto fail;
    spate_dstream_t *views = spate_ssc_queue_stream(ssc, 1);
    spate_dstream_t *totals = spate_dstream_update_state_by_key(
        spate_dstream_map(views, to_pair, NULL), add, 0, NULL);
    spate_dstream_print(totals, 10);
    if (spate_ssc_start(ssc, &err)) goto fail;
    unsigned seed = 1;
    for (int batch = 0; batch < 5; batch++) {
        spate_val_t v[50];
        for (int i = 0; i < 50; i++) {
            seed = seed * 1103515245u + 12345u;
            const char *u = urls[(seed >> 16) % 5];
            v[i] = spate_str(u, strlen(u));
        }
        spate_queue_push(views, v, 50, 2);
        if (spate_ssc_advance(ssc, 1000, &err)) goto fail;
    }
    spate_ssc_destroy(ssc);
    return 0;
fail:
    spate_error_print(&err, NULL, 0, stderr);
    return 1;
}
