/*
 * fmt_bench.c -- micro benchmark of the JSON-lines reader on Yahoo
 * Streaming Benchmark (YSB) style events.
 *
 * Generates N events in memory, e.g.
 *   {"user_id": "<uuid>", "page_id": "<uuid>", "ad_id": "<uuid>",
 *    "ad_type": "banner", "event_type": "view",
 *    "event_time": 1700000000123, "ip_address": "10.1.2.3"}
 * then parses the whole buffer repeatedly in SP_BATCH_ROWS batches (the
 * arena reset per batch, as a source does) with
 *   full:   all 7 columns (event_time BIGINT, the rest VARCHAR)
 *   subset: event_type, ad_id, event_time (the other keys skipped)
 * and prints the best pass's MB/s and rows/s for each. Also times the JSON
 * writer on the parsed full batches.
 *
 * Usage: fmt_bench [N]   (default 20000 events; one core)
 */
#include "core/core.h"
#include "io/format.h"
#include "ysb_lines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bad_line(void *ud, uint64_t line_no, const char *line,
                    size_t line_len, const char *why)
{
    fprintf(stderr, "bad line %llu: %s\n", (unsigned long long)line_no, why);
    (*(int *)ud)++;
    return 0;
}

/* Parses buf once; returns rows parsed. */
static uint64_t parse_all(sp_reader *r, const char *buf, size_t len,
                          sp_arena *arena, int *n_bad)
{
    size_t pos = 0;
    uint64_t line_no = 1, rows = 0;
    sp_err err;
    sp_err_clear(&err);
    while (pos < len) {
        sp_batch b;
        sp_arena_reset(arena);
        if (sp_reader_parse(r, buf, len, &pos, &line_no, pos == 0,
                            SP_BATCH_ROWS, &b, arena, bad_line, n_bad,
                            &err) != 0) {
            fprintf(stderr, "parse failed: %s\n", err.msg);
            exit(1);
        }
        rows += b.n_rows;
    }
    return rows;
}

static void run(const char *label, sp_field *fields, uint32_t n_fields,
                const char *buf, size_t len, uint64_t n)
{
    sp_schema schema = {n_fields, fields};
    sp_err err;
    sp_err_clear(&err);
    sp_reader *r = sp_reader_create(SP_FMT_JSON, &schema, NULL, &err);
    sp_arena *arena = sp_arena_create(1 << 20);
    if (!r || !arena) {
        fprintf(stderr, "setup failed: %s\n", err.msg);
        exit(1);
    }
    int n_bad = 0;
    double best = 1e30, total = 0;
    int passes = 0;
    while (passes < 3 || (total < 0.25 && passes < 1000)) {
        double t0 = now_s();
        uint64_t rows = parse_all(r, buf, len, arena, &n_bad);
        double dt = now_s() - t0;
        if (rows != n || n_bad) {
            fprintf(stderr, "%s: parsed %llu rows of %llu, %d bad\n", label,
                    (unsigned long long)rows, (unsigned long long)n, n_bad);
            exit(1);
        }
        if (dt < best) best = dt;
        total += dt;
        passes++;
    }
    printf("json read %-7s %8.1f MB/s %10.0f rows/s  (%d passes, best "
           "%.4f s)\n",
           label, (double)len / best / 1e6, (double)n / best, passes, best);
    sp_arena_destroy(arena);
    sp_reader_destroy(r);
}

static void run_write(sp_field *fields, uint32_t n_fields, const char *buf,
                      size_t len, uint64_t n)
{
    sp_schema schema = {n_fields, fields};
    sp_err err;
    sp_err_clear(&err);
    sp_reader *r = sp_reader_create(SP_FMT_JSON, &schema, NULL, &err);
    sp_arena *arena = sp_arena_create(1 << 20);
    sp_buf out;
    sp_buf_init(&out);
    int n_bad = 0;
    /* Time parse+write, minus parse alone. */
    double best_pw = 1e30, best_p = 1e30;
    for (int i = 0; i < 3; i++) {
        double t0 = now_s();
        parse_all(r, buf, len, arena, &n_bad);
        double t1 = now_s();
        size_t pos = 0;
        uint64_t line_no = 1;
        size_t bytes = 0;
        while (pos < len) {
            sp_batch b;
            sp_arena_reset(arena);
            sp_reader_parse(r, buf, len, &pos, &line_no, false, SP_BATCH_ROWS,
                            &b, arena, bad_line, &n_bad, &err);
            out.len = 0;
            if (sp_write_rows(SP_FMT_JSON, &schema, &b, &out) != 0) exit(1);
            bytes += out.len;
        }
        double t2 = now_s();
        if (t1 - t0 < best_p) best_p = t1 - t0;
        if (t2 - t1 < best_pw) best_pw = t2 - t1;
        (void)bytes;
    }
    double w = best_pw - best_p;
    if (w <= 0) w = 1e-9;
    printf("json write full    %8.1f MB/s %10.0f rows/s  (input-size MB; "
           "parse time subtracted)\n",
           (double)len / w / 1e6, (double)n / w);
    sp_buf_free(&out);
    sp_arena_destroy(arena);
    sp_reader_destroy(r);
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000;
    if (n == 0) n = 1;
    sp_buf in;
    sp_buf_init(&in);
    if (ysbl_generate(&in, n) != 0) return 1;
    printf("%llu events, %zu bytes, %.1f bytes/line\n", (unsigned long long)n,
           in.len, (double)in.len / (double)n);

    sp_field full[] = {
        {"user_id", SP_T_VARCHAR},    {"page_id", SP_T_VARCHAR},
        {"ad_id", SP_T_VARCHAR},      {"ad_type", SP_T_VARCHAR},
        {"event_type", SP_T_VARCHAR}, {"event_time", SP_T_BIGINT},
        {"ip_address", SP_T_VARCHAR},
    };
    sp_field subset[] = {
        {"event_type", SP_T_VARCHAR},
        {"ad_id", SP_T_VARCHAR},
        {"event_time", SP_T_BIGINT},
    };
    run("full", full, SP_ARRAY_LEN(full), in.data, in.len, n);
    run("subset", subset, SP_ARRAY_LEN(subset), in.data, in.len, n);
    run_write(full, SP_ARRAY_LEN(full), in.data, in.len, n);
    sp_buf_free(&in);
    return 0;
}
