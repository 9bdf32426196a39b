/*
 * network_wordcount.c -- words counted over the last 30 s, every 10 s, from
 * lines of text on a TCP socket: reduceByKeyAndWindow with an inverse
 * reduce, so each slide adds the new batches and subtracts the old ones.
 *
 *     nc -lk 9999                      # in one terminal, then type words
 *     network_wordcount 127.0.0.1 9999 # in another
 */
#include "spate.h"

#include <stdlib.h>

static int split(spate_tctx_t *cx, const spate_val_t *line, void *ud)
{
    const char *s = line->u.s, *e = s + line->len;
    while (s < e) {
        while (s < e && *s == ' ') s++;
        const char *w = s;
        while (s < e && *s != ' ') s++;
        if (s > w &&
            spate_emit(cx, spate_pair(cx, spate_str(w, (size_t)(s - w)),
                                      spate_int(1))))
            return -1;
    }
    return 0;
}

static int nonzero(const spate_val_t *kv, void *ud)
{
    return spate_value(kv)->u.i != 0; /* drop words that left the window */
}

int main(int argc, char **argv)
{
    const char *host = argc > 1 ? argv[1] : "127.0.0.1";
    int port = argc > 2 ? atoi(argv[2]) : 9999;
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 2000;
    spate_ssc_t *ssc;
    spate_error_t err;
    if (spate_ssc_create(&o, &ssc, &err)) goto fail;
    spate_dstream_t *lines =
        spate_ssc_socket_text_stream(ssc, host, port, NULL);
    spate_dstream_t *counts = spate_dstream_reduce_by_key_and_window(
        spate_dstream_flat_map(lines, split, NULL), spate_reduce_sum,
        spate_reduce_sub, nonzero, 30000, 10000, 0, NULL);
    spate_dstream_print(counts, 20);
    if (spate_ssc_start(ssc, &err)) goto fail;
    spate_ssc_await_termination(ssc, -1, &err);
    spate_ssc_destroy(ssc);
    return 0;
fail:
    spate_error_print(&err, NULL, 0, stderr);
    return 1;
}
