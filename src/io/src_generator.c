/*
 * src_generator.c -- the built-in page-view stream of the demo: rows
 * (ts, user_id, url, referrer, event_type), a pure function of the seed and
 * the row number, so a recorded range replays exactly.
 *
 * Row i happens at start + i / rows_per_second seconds, minus a jitter of
 * up to `max_delay` (events arrive out of order, as real page views do).
 * URLs and users follow a skewed distribution so counts are interesting.
 */
#include "io/ioInt.h"

#include <stdio.h>
#include <string.h>

static const sp_opt_def gen_options[] = {
    {"rows_per_second", SP_OPT_INT, "1000", false, NULL,
     "events generated per second of trigger time"},
    {"seed", SP_OPT_INT, "42", false, NULL, "random seed"},
    {"users", SP_OPT_INT, "1000", false, NULL, "distinct user ids"},
    {"max_delay", SP_OPT_INTERVAL, "2 seconds", false, NULL,
     "largest lateness of an event's time behind its arrival"},
    {"start_time", SP_OPT_STR, NULL, false, NULL,
     "timestamp of row 0 (default: when the query first started)"},
    {"total_rows", SP_OPT_INT, NULL, false, NULL,
     "stop producing after this many rows"},
    {"max_records_per_trigger", SP_OPT_INT, NULL, false, NULL,
     "at most this many rows per micro-batch"},
    {0}};

static sp_field gen_fields[] = {{"ts", SP_T_TIMESTAMP},
                                {"user_id", SP_T_VARCHAR},
                                {"url", SP_T_VARCHAR},
                                {"referrer", SP_T_VARCHAR},
                                {"event_type", SP_T_VARCHAR}};
static const sp_schema gen_schema = {5, gen_fields};

static const char *const urls[] = {
    "/",           "/home",       "/products", "/products/1",
    "/products/2", "/products/3", "/cart",     "/checkout",
    "/search",     "/about",      "/blog",     "/blog/streaming",
    "/blog/spate", "/help",       "/login",    "/signup"};
static const char *const referrers[] = {
    "direct",      "google.com", "news.ycombinator.com",
    "twitter.com", "github.com", "reddit.com"};

struct sp_source {
    char *name;
    int64_t rps, seed, users, max_delay_us, start_us, total, max_per_trigger;
    int col[5]; /* scan position of each generated column, -1 = pruned */
    uint32_t n_cols;
};

static uint64_t mix(uint64_t seed, uint64_t i, uint64_t k)
{
    return sp_hash_u64(seed * 0x9e3779b97f4a7c15ULL ^ (i * 8 + k));
}

static int gen_open(const sp_source_conf *conf, sp_source **out, sp_err *err)
{
    sp_source *s = sp_calloc(1, sizeof *s);
    if (!s) return sp_err_set(err, SP_ENOMEM, "out of memory");
    s->name = sp_strdup(conf->name);
    s->rps = sp_opts_int(conf->opts, "rows_per_second", 1000);
    if (s->rps <= 0) s->rps = 1;
    s->seed = sp_opts_int(conf->opts, "seed", 42);
    s->users = sp_opts_int(conf->opts, "users", 1000);
    if (s->users <= 0) s->users = 1;
    s->max_delay_us =
        sp_opts_interval(conf->opts, "max_delay", 2 * SP_USEC_PER_SEC);
    s->total = sp_opts_int(conf->opts, "total_rows", -1);
    s->max_per_trigger = sp_opts_int(conf->opts, "max_records_per_trigger", 0);
    for (int i = 0; i < 5; i++)
        s->col[i] = sp_schema_find(conf->schema, gen_fields[i].name,
                                   strlen(gen_fields[i].name));
    s->n_cols = conf->schema->n_fields;
    const char *st = sp_opts_get(conf->opts, "start_time");
    int rc = 0;
    if (st) {
        if (sp_ts_parse(st, strlen(st), &s->start_us) != 0) {
            rc = sp_err_set(err, SP_EINVAL,
                            "source %s: start_time '%s' is not a timestamp",
                            conf->name, st);
            sp_err_hint(err, "write it as '2024-01-01 00:00:00'");
        }
    } else {
        rc = sp_src_load_start_time(conf->state_dir, sp_clock_wall_us(),
                                    &s->start_us, err);
    }
    if (rc) {
        sp_free(s->name);
        sp_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static int64_t avail_at(sp_source *s, int64_t now_us)
{
    int64_t el = now_us - s->start_us;
    int64_t n =
        el <= 0 ? 0 : (int64_t)((__int128)el * s->rps / SP_USEC_PER_SEC);
    if (s->total >= 0 && n > s->total) n = s->total;
    return n;
}

static int gen_next_end(sp_source *s, int64_t batch_id, int64_t start,
                        int64_t now_us, int limit, int64_t *end, sp_err *err)
{
    /* With a fixed start_time in the past, everything up to now exists. */
    int64_t avail = avail_at(s, now_us);
    *end = sp_src_batch_end(start, avail, limit, s->max_per_trigger);
    return 0;
}

static int gen_latest(sp_source *s, int64_t start, int64_t now_us, int64_t *end,
                      sp_err *err)
{
    int64_t avail = avail_at(s, now_us);
    *end = avail < start ? start : avail;
    return 0;
}

static int gen_plan_splits(sp_source *s, int64_t batch_id, int64_t start,
                           int64_t end, int max_splits, sp_arena *a,
                           sp_split **out, int *n_out, sp_err *err)
{
    return sp_src_row_splits(start, end, max_splits, a, out, n_out, err);
}

static int gen_read(sp_source *s, const sp_split *sp, sp_emit_fn emit, void *ud,
                    sp_read_stats *stats, sp_err *err)
{
    sp_arena *a = sp_arena_create(1 << 18);
    if (!a) return sp_err_set(err, SP_ENOMEM, "out of memory");
    int rc = 0;
    for (int64_t r = sp->start; r < sp->end && !rc;) {
        uint32_t n = (uint32_t)SP_MIN((int64_t)SP_BATCH_ROWS, sp->end - r);
        sp_batch b = {.n_rows = n, .n_cols = s->n_cols, .arena = a};
        b.cols = sp_arena_zalloc(a, s->n_cols * sizeof(sp_vec));
        for (int c = 0; c < 5; c++)
            if (s->col[c] >= 0)
                sp_vec_alloc(&b.cols[s->col[c]], gen_fields[c].type, n, false,
                             a);
        for (uint32_t i = 0; i < n; i++) {
            uint64_t row = (uint64_t)(r + i);
            if (s->col[0] >= 0) {
                int64_t t = s->start_us +
                            (int64_t)((__int128)row * SP_USEC_PER_SEC / s->rps);
                if (s->max_delay_us > 0)
                    t -= (int64_t)(mix(s->seed, row, 0) %
                                   (uint64_t)s->max_delay_us);
                /* whole milliseconds, like most event clocks */
                t -= t % 1000;
                b.cols[s->col[0]].d.i64[i] = t;
            }
            if (s->col[1] >= 0) {
                /* skewed: square of a uniform picks low ids more often */
                uint64_t u = mix(s->seed, row, 1) % 1000;
                uint64_t id = (u * u / 1000) * (uint64_t)s->users / 1000;
                char *p =
                    sp_arena_printf(a, "user_%llu", (unsigned long long)id);
                b.cols[s->col[1]].d.str[i] = sp_str_make(p, strlen(p));
            }
            if (s->col[2] >= 0) {
                uint64_t u = mix(s->seed, row, 2) % 256;
                size_t k = (size_t)(u * u / 4096); /* 0..15, skewed low */
                b.cols[s->col[2]].d.str[i] =
                    sp_str_make(urls[k], strlen(urls[k]));
            }
            if (s->col[3] >= 0) {
                size_t k = mix(s->seed, row, 3) % SP_ARRAY_LEN(referrers);
                b.cols[s->col[3]].d.str[i] =
                    sp_str_make(referrers[k], strlen(referrers[k]));
            }
            if (s->col[4] >= 0) {
                uint64_t u = mix(s->seed, row, 4) % 100;
                b.cols[s->col[4]].d.str[i] = u < 85   ? SP_STR_LIT("view")
                                             : u < 97 ? SP_STR_LIT("click")
                                                      : SP_STR_LIT("purchase");
            }
        }
        stats->rows += n;
        rc = emit(ud, &b, err);
        r += n;
        sp_arena_reset(a);
    }
    sp_arena_destroy(a);
    return rc;
}

static void gen_describe(sp_source *s, sp_buf *out)
{
    sp_buf_printf(out, "PageViewGenerator[rowsPerSecond=%lld, seed=%lld]",
                  (long long)s->rps, (long long)s->seed);
}

static void gen_close(sp_source *s)
{
    if (!s) return;
    sp_free(s->name);
    sp_free(s);
}

/* Rows that exist by now and are not in a batch yet. */
static int64_t gen_backlog(sp_source *s, int64_t end, int64_t now_us)
{
    int64_t avail = avail_at(s, now_us);
    return avail > end ? avail - end : 0;
}

const sp_source_vtab sp_src_generator = {
    .name = "generator",
    .options = gen_options,
    .fixed_schema = &gen_schema,
    .replayable = true,
    .open = gen_open,
    .next_end = gen_next_end,
    .latest = gen_latest,
    .plan_splits = gen_plan_splits,
    .read = gen_read,
    .backlog = gen_backlog,
    .describe = gen_describe,
    .close = gen_close,
};
