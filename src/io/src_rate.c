/*
 * src_rate.c -- Spark's rate source: rows (timestamp, value) at a fixed
 * rate. Row v has value v and timestamp start + v / rows_per_second
 * seconds, so any recorded range can be produced again exactly (the start
 * time is kept in the checkpoint). The number of rows available at trigger
 * time t is floor((t - start) * rows_per_second).
 */
#include "io/ioInt.h"
#include "core/json.h"
#include "log/log.h"
#include "os/os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const sp_opt_def rate_options[] = {
    {"rows_per_second", SP_OPT_INT, "1", false, NULL,
     "rows generated per second"},
    {"num_partitions", SP_OPT_INT, "0", false, NULL,
     "splits per batch (0 = one per worker thread)"},
    {"max_records_per_trigger", SP_OPT_INT, NULL, false, NULL,
     "at most this many rows per micro-batch"},
    {0}};

static sp_field rate_fields[] = {{"timestamp", SP_T_TIMESTAMP},
                                 {"value", SP_T_BIGINT}};
static const sp_schema rate_schema = {2, rate_fields};

struct sp_source {
    char *name;
    int64_t rps;
    int64_t start_us;
    int64_t max_per_trigger;
    int parts;
    int ts_col, val_col; /* positions in the scan schema, -1 = pruned */
    uint32_t n_cols;
};

/* The start time is durable so that replays give the same timestamps. */
int sp_src_load_start_time(const char *state_dir, int64_t now_us, int64_t *out,
                           sp_err *err)
{
    *out = now_us;
    if (!state_dir) return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/start", state_dir);
    char *body;
    size_t len;
    int rc = sp_ckfile_read(path, "spate-source-start", &body, &len, err);
    if (rc == SP_ENOTFOUND) {
        sp_err_clear(err);
        char tmp[64];
        int n = snprintf(tmp, sizeof tmp, "{\"startTimeUs\":%lld}\n",
                         (long long)now_us);
        return sp_ckfile_write(path, "spate-source-start", tmp, (size_t)n, err);
    }
    if (rc) return rc;
    char *p = strchr(body, ':');
    if (!p) {
        sp_free(body);
        return sp_err_set(err, SP_ECORRUPT, "%s: no start time", path);
    }
    *out = strtoll(p + 1, NULL, 10);
    sp_free(body);
    return 0;
}

static int rate_open(const sp_source_conf *conf, sp_source **out, sp_err *err)
{
    sp_source *s = sp_calloc(1, sizeof *s);
    if (!s) return sp_err_set(err, SP_ENOMEM, "out of memory");
    s->name = sp_strdup(conf->name);
    s->rps = sp_opts_int(conf->opts, "rows_per_second", 1);
    if (s->rps <= 0) s->rps = 1;
    s->max_per_trigger = sp_opts_int(conf->opts, "max_records_per_trigger", 0);
    s->parts = (int)sp_opts_int(conf->opts, "num_partitions", 0);
    s->ts_col = sp_schema_find(conf->schema, "timestamp", 9);
    s->val_col = sp_schema_find(conf->schema, "value", 5);
    s->n_cols = conf->schema->n_fields;
    int rc = sp_src_load_start_time(conf->state_dir, sp_clock_wall_us(),
                                    &s->start_us, err);
    if (rc) {
        sp_free(s->name);
        sp_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static int64_t rows_at(sp_source *s, int64_t now_us)
{
    int64_t el = now_us - s->start_us;
    if (el <= 0) return 0;
    /* el * rps / 1e6 without overflow for sane rates */
    return (int64_t)((__int128)el * s->rps / SP_USEC_PER_SEC);
}

static int rate_next_end(sp_source *s, int64_t batch_id, int64_t start,
                         int64_t now_us, int limit, int64_t *end, sp_err *err)
{
    int64_t avail = rows_at(s, now_us);
    *end = sp_src_batch_end(start, avail, limit, s->max_per_trigger);
    return 0;
}

static int rate_latest(sp_source *s, int64_t start, int64_t now_us,
                       int64_t *end, sp_err *err)
{
    int64_t avail = rows_at(s, now_us);
    *end = avail < start ? start : avail;
    return 0;
}

int sp_src_row_splits(int64_t start, int64_t end, int parts, sp_arena *a,
                      sp_split **out, int *n_out, sp_err *err)
{
    int64_t n = end - start;
    if (n <= 0) {
        *out = NULL;
        *n_out = 0;
        return 0;
    }
    if (parts < 1) parts = 1;
    /* no split smaller than a batch unless needed */
    if (n / parts < SP_BATCH_ROWS) parts = (int)SP_MAX(1, n / SP_BATCH_ROWS);
    sp_split *v = sp_arena_zalloc(a, (size_t)parts * sizeof *v);
    if (!v) return sp_err_set(err, SP_ENOMEM, "out of memory");
    for (int i = 0; i < parts; i++) {
        v[i].index = i;
        v[i].start = start + n * i / parts;
        v[i].end = start + n * (i + 1) / parts;
    }
    *out = v;
    *n_out = parts;
    return 0;
}

static int rate_plan_splits(sp_source *s, int64_t batch_id, int64_t start,
                            int64_t end, int max_splits, sp_arena *a,
                            sp_split **out, int *n_out, sp_err *err)
{
    return sp_src_row_splits(start, end, s->parts > 0 ? s->parts : max_splits,
                             a, out, n_out, err);
}

static int rate_read(sp_source *s, const sp_split *sp, sp_emit_fn emit,
                     void *ud, sp_read_stats *stats, sp_err *err)
{
    sp_arena *a = sp_arena_create(1 << 16);
    if (!a) return sp_err_set(err, SP_ENOMEM, "out of memory");
    int rc = 0;
    for (int64_t v = sp->start; v < sp->end && !rc;) {
        uint32_t n = (uint32_t)SP_MIN((int64_t)SP_BATCH_ROWS, sp->end - v);
        sp_batch b = {.n_rows = n, .n_cols = s->n_cols, .arena = a};
        b.cols = sp_arena_zalloc(a, s->n_cols * sizeof(sp_vec));
        if (s->ts_col >= 0) {
            sp_vec *c = &b.cols[s->ts_col];
            sp_vec_alloc(c, SP_T_TIMESTAMP, n, false, a);
            for (uint32_t i = 0; i < n; i++)
                c->d.i64[i] = s->start_us + (int64_t)((__int128)(v + i) *
                                                      SP_USEC_PER_SEC / s->rps);
        }
        if (s->val_col >= 0) {
            sp_vec *c = &b.cols[s->val_col];
            sp_vec_alloc(c, SP_T_BIGINT, n, false, a);
            for (uint32_t i = 0; i < n; i++) c->d.i64[i] = v + i;
        }
        stats->rows += n;
        rc = emit(ud, &b, err);
        v += n;
        sp_arena_reset(a);
    }
    sp_arena_destroy(a);
    return rc;
}

static void rate_describe(sp_source *s, sp_buf *out)
{
    sp_buf_printf(out, "RateStreamV2[rowsPerSecond=%lld, numPartitions=%d]",
                  (long long)s->rps, s->parts);
}

static void rate_close(sp_source *s)
{
    if (!s) return;
    sp_free(s->name);
    sp_free(s);
}

/* Rows that exist by now and are not in a batch yet. */
static int64_t rate_backlog(sp_source *s, int64_t end, int64_t now_us)
{
    int64_t avail = rows_at(s, now_us);
    return avail > end ? avail - end : 0;
}

const sp_source_vtab sp_src_rate = {
    .name = "rate",
    .options = rate_options,
    .fixed_schema = &rate_schema,
    .replayable = true,
    .open = rate_open,
    .next_end = rate_next_end,
    .latest = rate_latest,
    .plan_splits = rate_plan_splits,
    .read = rate_read,
    .backlog = rate_backlog,
    .describe = rate_describe,
    .close = rate_close,
};
