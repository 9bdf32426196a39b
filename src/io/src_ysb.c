/*
 * src_ysb.c -- the Yahoo Streaming Benchmark's ad events, generated in
 * memory: columns user_id, page_id, ad_id, ad_type, event_type (VARCHAR),
 * event_time (TIMESTAMP) and ip_address (VARCHAR), as bench/ysb_gen.c
 * writes them to JSON (there event_time is epoch milliseconds).
 *
 * Event i is a pure function of (seed, i) (the model is in ysb_model.h), so
 * a recorded offset range replays exactly and the splits of a batch
 * generate in parallel. Offsets are event numbers.
 *
 * Generation writes straight into column vectors and never formats or
 * allocates per row: every string is a view (sp_str) into a pool the source
 * builds when it opens and keeps until it closes -- the ad ids (campaigns
 * x ads_per_campaign UUIDs), the 100 user ids and 100 page ids (UUIDs), a
 * pool of SP_YSB_IPS dotted quads, and the constant ad types and event
 * types. A row costs one 64-bit hash per pair of columns (see the model),
 * a table lookup per string column, and an add for event_time. Only the
 * columns a query reads are generated.
 *
 * Availability: with `total_events`, the events form a fixed data set that
 * exists whole from the start (Trigger.Once and available_now take all of
 * it; max_records_per_trigger cuts batches). Without it the stream is
 * unbounded and arrives in real time, events_per_second events per second
 * of wall time since the query first started (that time is kept in the
 * checkpoint, as the rate source keeps it).
 */
#include "io/ioInt.h"
#include "io/ysb_model.h"

#include <stdio.h>
#include <string.h>

static const sp_opt_def ysb_options[] = {
    {"events_per_second", SP_OPT_INT, "100000", false, NULL,
     "events per second of event time (event i is at start_time + i / "
     "events_per_second s); without total_events also the arrival rate"},
    {"total_events", SP_OPT_INT, NULL, false, NULL,
     "a fixed data set of this many events, all available at once "
     "(default: unbounded, arriving in real time)"},
    {"max_records_per_trigger", SP_OPT_INT, NULL, false, NULL,
     "at most this many events per micro-batch"},
    {"seed", SP_OPT_INT, "42", false, NULL,
     "random seed (ysb_gen's SEED: its campaigns table joins every ad id)"},
    {"campaigns", SP_OPT_INT, "100", false, NULL, "number of campaigns"},
    {"ads_per_campaign", SP_OPT_INT, "10", false, NULL,
     "ads per campaign (ad ids = campaigns x ads_per_campaign)"},
    {"start_time", SP_OPT_STR, "2023-11-14 22:13:20", false, NULL,
     "event_time of event 0 (ysb_gen's default --start-ms 1700000000000)"},
    {0}};

enum { C_USER, C_PAGE, C_AD, C_AD_TYPE, C_EVENT_TYPE, C_TIME, C_IP, N_COLS };

static sp_field ysb_fields[N_COLS] = {
    {"user_id", SP_T_VARCHAR},    {"page_id", SP_T_VARCHAR},
    {"ad_id", SP_T_VARCHAR},      {"ad_type", SP_T_VARCHAR},
    {"event_type", SP_T_VARCHAR}, {"event_time", SP_T_TIMESTAMP},
    {"ip_address", SP_T_VARCHAR}};
static const sp_schema ysb_schema = {N_COLS, ysb_fields};

struct sp_source {
    char *name;
    int64_t eps;             /* events per second of event time */
    int64_t total;           /* -1 = unbounded (real time) */
    int64_t max_per_trigger; /* 0 = none */
    uint64_t seed, key;      /* key: sp_ysb_key(seed) */
    int64_t start_ms;        /* event_time of event 0 */
    int64_t first_start_us;  /* unbounded: when the query first started */
    uint32_t n_campaigns, ads_per, n_ads;
    int col[N_COLS]; /* scan position of each column, -1 = pruned */
    uint32_t n_cols;
    /* The pools: every generated string is a view into these. */
    char *text;  /* campaign, ad, user, page UUIDs; then the IPs */
    sp_str *ads; /* n_ads */
    sp_str users[SP_YSB_USERS], pages[SP_YSB_PAGES];
    sp_str *ips; /* SP_YSB_IPS, into text */
    sp_str ad_types[5], event_types[3];
};

static void ysb_close(sp_source *s)
{
    if (!s) return;
    sp_free(s->name);
    sp_free(s->text);
    sp_free(s->ads);
    sp_free(s->ips);
    sp_free(s);
}

/* Builds the pools (ysb_model.h draws them; ysb_gen draws the same). */
static int build_pools(sp_source *s)
{
    size_t uuids =
        (size_t)s->n_campaigns + s->n_ads + SP_YSB_USERS + SP_YSB_PAGES;
    size_t ip_off = uuids * SP_YSB_UUID_LEN;
    s->text = sp_malloc(ip_off + (size_t)SP_YSB_IPS * 16);
    s->ads = sp_malloc((size_t)s->n_ads * sizeof *s->ads);
    s->ips = sp_malloc((size_t)SP_YSB_IPS * sizeof *s->ips);
    if (!s->text || !s->ads || !s->ips) return SP_ENOMEM;
    char *camp = s->text;
    char *ads = camp + (size_t)s->n_campaigns * SP_YSB_UUID_LEN;
    char *users = ads + (size_t)s->n_ads * SP_YSB_UUID_LEN;
    char *pages = users + (size_t)SP_YSB_USERS * SP_YSB_UUID_LEN;
    sp_ysb_rng r;
    sp_ysb_tables(&r, s->seed, s->n_campaigns, s->ads_per, camp, ads, users,
                  pages);
    for (uint32_t i = 0; i < s->n_ads; i++)
        s->ads[i] =
            sp_str_make(ads + (size_t)i * SP_YSB_UUID_LEN, SP_YSB_UUID_LEN);
    for (uint32_t i = 0; i < SP_YSB_USERS; i++)
        s->users[i] =
            sp_str_make(users + (size_t)i * SP_YSB_UUID_LEN, SP_YSB_UUID_LEN);
    for (uint32_t i = 0; i < SP_YSB_PAGES; i++)
        s->pages[i] =
            sp_str_make(pages + (size_t)i * SP_YSB_UUID_LEN, SP_YSB_UUID_LEN);
    for (uint32_t i = 0; i < SP_YSB_IPS; i++) {
        char *p = s->text + ip_off + (size_t)i * 16;
        int n = sp_ysb_ip(s->key, i, p);
        s->ips[i] = sp_str_make(p, (size_t)n);
    }
    for (int i = 0; i < 5; i++)
        s->ad_types[i] =
            sp_str_make(sp_ysb_ad_types[i], strlen(sp_ysb_ad_types[i]));
    for (int i = 0; i < 3; i++)
        s->event_types[i] =
            sp_str_make(sp_ysb_event_types[i], strlen(sp_ysb_event_types[i]));
    return 0;
}

static int ysb_open(const sp_source_conf *conf, sp_source **out, sp_err *err)
{
    sp_source *s = sp_calloc(1, sizeof *s);
    if (!s) return sp_err_set(err, SP_ENOMEM, "out of memory");
    int rc = 0;
    s->name = sp_strdup(conf->name);
    s->eps = sp_opts_int(conf->opts, "events_per_second", 100000);
    s->total = sp_opts_int(conf->opts, "total_events", -1);
    s->max_per_trigger = sp_opts_int(conf->opts, "max_records_per_trigger", 0);
    s->seed = (uint64_t)sp_opts_int(conf->opts, "seed", 42);
    s->key = sp_ysb_key(s->seed);
    int64_t nc = sp_opts_int(conf->opts, "campaigns", 100);
    int64_t ap = sp_opts_int(conf->opts, "ads_per_campaign", 10);
    if (s->eps <= 0 || nc <= 0 || ap <= 0 || nc * ap > (1 << 24)) {
        rc = sp_err_set(err, SP_EINVAL,
                        "source %s: events_per_second, campaigns and "
                        "ads_per_campaign must be positive",
                        conf->name);
        sp_err_hint(err, "and campaigns x ads_per_campaign at most 16777216");
        goto fail;
    }
    s->n_campaigns = (uint32_t)nc;
    s->ads_per = (uint32_t)ap;
    s->n_ads = (uint32_t)(nc * ap);
    const char *st = sp_opts_get(conf->opts, "start_time");
    int64_t st_us = 0;
    if (!st || sp_ts_parse(st, strlen(st), &st_us) != 0) {
        rc = sp_err_set(err, SP_EINVAL,
                        "source %s: start_time '%s' is not a timestamp",
                        conf->name, st ? st : "");
        sp_err_hint(err, "write it as '2023-11-14 22:13:20'");
        goto fail;
    }
    /* event times are whole milliseconds, as in the JSON events */
    s->start_ms = st_us / 1000 - (st_us % 1000 < 0);
    for (int i = 0; i < N_COLS; i++)
        s->col[i] = sp_schema_find(conf->schema, ysb_fields[i].name,
                                   strlen(ysb_fields[i].name));
    s->n_cols = conf->schema->n_fields;
    if (build_pools(s)) {
        rc = sp_err_set(err, SP_ENOMEM, "out of memory");
        goto fail;
    }
    if (s->total < 0) {
        rc = sp_src_load_start_time(conf->state_dir, sp_clock_wall_us(),
                                    &s->first_start_us, err);
        if (rc) goto fail;
    }
    *out = s;
    return 0;
fail:
    ysb_close(s);
    return rc;
}

/* Events that exist at trigger time now_us. */
static int64_t avail_at(sp_source *s, int64_t now_us)
{
    if (s->total >= 0) return s->total;
    int64_t el = now_us - s->first_start_us;
    return el <= 0 ? 0 : (int64_t)((__int128)el * s->eps / SP_USEC_PER_SEC);
}

static int ysb_next_end(sp_source *s, int64_t batch_id, int64_t start,
                        int64_t now_us, int limit, int64_t *end, sp_err *err)
{
    *end =
        sp_src_batch_end(start, avail_at(s, now_us), limit, s->max_per_trigger);
    return 0;
}

static int ysb_latest(sp_source *s, int64_t start, int64_t now_us, int64_t *end,
                      sp_err *err)
{
    int64_t avail = avail_at(s, now_us);
    *end = avail < start ? start : avail;
    return 0;
}

static int64_t ysb_backlog(sp_source *s, int64_t end, int64_t now_us)
{
    int64_t avail = avail_at(s, now_us);
    return avail > end ? avail - end : 0;
}

static int ysb_plan_splits(sp_source *s, int64_t batch_id, int64_t start,
                           int64_t end, int max_splits, sp_arena *a,
                           sp_split **out, int *n_out, sp_err *err)
{
    return sp_src_row_splits(start, end, max_splits, a, out, n_out, err);
}

/* ---- generation --------------------------------------------------------- */

/* Fills rows [0, n) of the batch with events first, first + 1, ... ms
 * and rem carry event_time from batch to batch:
 * first * 1000 = (ms - start_ms) * eps + rem. */
static void gen_rows(const sp_source *s, sp_batch *b, uint64_t first,
                     uint32_t n, int64_t *ms, int64_t *rem)
{
    const uint64_t key = s->key;
    const int *col = s->col;
    /* One pass per word, one specialised loop per set of columns needed
     * from it (no test per row). */
#define WORD_LOOP(W, BODY)                                                     \
    for (uint32_t i = 0; i < n; i++) {                                         \
        const uint64_t w = sp_ysb_word(key, first + i, W);                     \
        BODY                                                                   \
    }
#define PAIR(W, A, B, A_SET, B_SET)                                            \
    do {                                                                       \
        if (col[A] >= 0 && col[B] >= 0) {                                      \
            sp_str *oa = b->cols[col[A]].d.str, *ob = b->cols[col[B]].d.str;   \
            WORD_LOOP(W, oa[i] = A_SET; ob[i] = B_SET;)                        \
        } else if (col[A] >= 0) {                                              \
            sp_str *oa = b->cols[col[A]].d.str;                                \
            WORD_LOOP(W, oa[i] = A_SET;)                                       \
        } else if (col[B] >= 0) {                                              \
            sp_str *ob = b->cols[col[B]].d.str;                                \
            WORD_LOOP(W, ob[i] = B_SET;)                                       \
        }                                                                      \
    } while (0)
    const sp_str *ads = s->ads, *ets = s->event_types;
    const uint32_t n_ads = s->n_ads;
    PAIR(0, C_AD, C_EVENT_TYPE, ads[sp_ysb_hi(w, n_ads)], ets[sp_ysb_lo(w, 3)]);
    PAIR(1, C_USER, C_PAGE, s->users[sp_ysb_hi(w, SP_YSB_USERS)],
         s->pages[sp_ysb_lo(w, SP_YSB_PAGES)]);
    PAIR(2, C_AD_TYPE, C_IP, s->ad_types[sp_ysb_hi(w, 5)],
         s->ips[sp_ysb_ip_index(w)]);
#undef PAIR
#undef WORD_LOOP
    if (col[C_TIME] >= 0) {
        /* ms = start + floor(i * 1000 / eps), stepped without a division
         * per row: each event adds 1000 = q * eps + r to i * 1000. */
        int64_t *o = b->cols[col[C_TIME]].d.i64;
        const int64_t eps = s->eps, q = 1000 / eps, r = 1000 % eps;
        int64_t m = *ms, re = *rem;
        if (q == 0) {
            /* eps > 1000: runs of events in the same millisecond; the
             * run from here holds ceil((eps - re) / r) events */
            for (uint32_t i = 0; i < n;) {
                int64_t k = (eps - re + r - 1) / r;
                uint32_t e = (int64_t)(n - i) < k ? n : i + (uint32_t)k;
                const int64_t us = m * 1000;
                for (uint32_t j = i; j < e; j++) o[j] = us;
                re += (int64_t)(e - i) * r;
                if (re >= eps) {
                    re -= eps;
                    m++;
                }
                i = e;
            }
        } else {
            for (uint32_t i = 0; i < n; i++) {
                o[i] = m * 1000;
                m += q;
                re += r;
                if (re >= eps) {
                    re -= eps;
                    m++;
                }
            }
        }
        *ms = m;
        *rem = re;
    }
}

static int ysb_read(sp_source *s, const sp_split *sp, sp_emit_fn emit, void *ud,
                    sp_read_stats *stats, sp_err *err)
{
    /* One set of vectors for the whole split: a batch is valid only
     * during its emit call, so the next batch may overwrite it. */
    sp_arena *a = sp_arena_create(1 << 16);
    if (!a) return sp_err_set(err, SP_ENOMEM, "out of memory");
    int rc = 0;
    sp_vec *cols = sp_arena_zalloc(a, (s->n_cols + 1) * sizeof(sp_vec));
    if (!cols) rc = SP_ENOMEM;
    for (int c = 0; c < N_COLS && !rc; c++)
        if (s->col[c] >= 0)
            rc = sp_vec_alloc(&cols[s->col[c]], ysb_fields[c].type,
                              SP_BATCH_ROWS, false, a);
    if (rc) {
        sp_arena_destroy(a);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    uint64_t first = (uint64_t)sp->start;
    uint64_t eps = (uint64_t)s->eps;
    int64_t ms = (int64_t)sp_ysb_time_ms((uint64_t)s->start_ms, eps, first);
    int64_t rem = (int64_t)((first % eps) * 1000 % eps);
    for (int64_t r = sp->start; r < sp->end && !rc;) {
        uint32_t n = (uint32_t)SP_MIN((int64_t)SP_BATCH_ROWS, sp->end - r);
        sp_batch b = {
            .n_rows = n, .n_cols = s->n_cols, .cols = cols, .arena = a};
        gen_rows(s, &b, (uint64_t)r, n, &ms, &rem);
        stats->rows += n;
        rc = emit(ud, &b, err);
        r += n;
    }
    sp_arena_destroy(a);
    return rc;
}

static void ysb_describe(sp_source *s, sp_buf *out)
{
    sp_buf_printf(out,
                  "YSB[seed=%llu, eventsPerSecond=%lld, campaigns=%u, "
                  "adsPerCampaign=%u, totalEvents=%lld]",
                  (unsigned long long)s->seed, (long long)s->eps,
                  s->n_campaigns, s->ads_per, (long long)s->total);
}

const sp_source_vtab sp_src_ysb = {
    .name = "ysb",
    .options = ysb_options,
    .fixed_schema = &ysb_schema,
    .replayable = true,
    .open = ysb_open,
    .next_end = ysb_next_end,
    .latest = ysb_latest,
    .plan_splits = ysb_plan_splits,
    .read = ysb_read,
    .backlog = ysb_backlog,
    .describe = ysb_describe,
    .close = ysb_close,
};
