/*
 * query.c -- the micro-batch loop (see runtime.h for the protocol).
 *
 * Checkpoint layout, one directory per query (sink):
 *     <ckpt>/<query>/metadata        query id and plan fingerprint
 *     <ckpt>/<query>/offsets/<N>     WAL: every input's range, watermark, time
 *     <ckpt>/<query>/commits/<N>     batch N is done; next batch's watermark
 *     <ckpt>/<query>/sources/<i>/... input i's own log
 *     <ckpt>/<query>/state/0/<p>/... the stateful operator's partitions
 * All are checked files (src/log/log.h) written atomically.
 *
 * A query has one input per source it reads (several for a UNION ALL).
 * Each input keeps its own offsets and max event time; the query's
 * watermark combines the inputs' by the min (default) or max policy.
 */
#define _GNU_SOURCE
#include "runtime/runtime.h"

#include "core/json.h"
#include "log/log.h"
#include "os/os.h"
#include "exec/codec.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct input {
    const sp_query_input *spec;
    sp_source *src;
    char *src_dir;
    int64_t offset; /* end offset of the last committed batch */
    int64_t rerun_start, rerun_end;
    int64_t target;    /* available_now: stop at this offset */
    int64_t max_et_us; /* max event time seen, INT64_MIN = none */
} input;

typedef struct query {
    sp_query_spec *spec;
    char *dir, *offsets_dir, *commits_dir;
    char id[37], run_id[37];
    int n_in;
    input *in;
    sp_sink *sink;
    int64_t next_batch; /* id of the next batch */
    bool rerun;         /* offsets/next_batch exists without a commit */
    int64_t rerun_ts_us;
    int64_t watermark_us; /* in effect for the next batch; INT64_MIN none */
    bool done;
    int64_t last_trigger_us; /* monotonic start of the previous batch */
    uint64_t total_rows;
    double last_rate;
    sp_agg_op *agg; /* stateful operator, or NULL */
    char *state_dir;
    bool need_no_data; /* the watermark moved: run a batch without data */
} query;

static void make_uuid(char *out)
{
    uint64_t a =
        sp_hash_u64((uint64_t)sp_clock_wall_us() ^ ((uint64_t)getpid() << 20));
    uint64_t b = sp_hash_u64(a ^ (uint64_t)sp_clock_mono_us() ^
                             (uint64_t)(uintptr_t)out);
    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
             (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
             (unsigned long long)(b & 0xffffffffffffULL));
}

static char *path2(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = sp_malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* ---- the watermark ------------------------------------------------------- */

/* Spark keeps event time and the watermark in milliseconds: an input's
 * watermark is its max event time truncated to ms (Java's long division)
 * minus its delay in ms; inputs combine by min (all must have one) or max;
 * the result never moves back. */
static int64_t combined_watermark(const query *q)
{
    int64_t w = INT64_MIN;
    bool any = false;
    for (int i = 0; i < q->n_in; i++) {
        const input *in = &q->in[i];
        if (in->spec->wm_delay_us < 0) continue;
        if (in->max_et_us == INT64_MIN) {
            if (!q->spec->wm_policy_max) return q->watermark_us;
            continue;
        }
        int64_t wi =
            (in->max_et_us / 1000 - in->spec->wm_delay_us / 1000) * 1000;
        if (!any)
            w = wi;
        else
            w = q->spec->wm_policy_max ? SP_MAX(w, wi) : SP_MIN(w, wi);
        any = true;
    }
    if (!any) return q->watermark_us;
    if (q->watermark_us != INT64_MIN && w < q->watermark_us)
        return q->watermark_us;
    return w;
}

static bool no_data_due(const query *q, int64_t batch_wm)
{
    const sp_agg_spec *as = q->spec->agg;
    return as && q->spec->no_data_batches && as->mode != 2 &&
           (as->et_key >= 0 || as->within_wm) && q->watermark_us != INT64_MIN &&
           (batch_wm == INT64_MIN || q->watermark_us > batch_wm);
}

/* ---- opening and recovery ------------------------------------------------ */

/* What a checkpoint's state depends on: the inputs (by source name, in
 * order) and the stateful operator's shape (keys, window, aggregates,
 * dedup). A filter or projection may change between runs; these may not. */
static void query_shape(const query *q, sp_buf *inputs, sp_buf *sig)
{
    for (int i = 0; i < q->n_in; i++)
        sp_buf_printf(inputs, "%s%s", i ? "," : "",
                      q->spec->inputs[i].src_conf.name);
    if (!inputs->data) sp_buf_puts(inputs, "");
    const sp_agg_spec *as = q->spec->agg;
    if (!as) {
        sp_buf_puts(sig, "stateless");
        return;
    }
    sp_buf_printf(sig, "%s keys=", as->dedup ? "dedup" : "aggregate");
    for (int k = 0; k < as->n_keys; k++)
        sp_buf_printf(sig, "%s%s", k ? "," : "",
                      sp_type_name(as->key_types[k]));
    if (as->window_key >= 0)
        sp_buf_printf(sig, " window=%d:%lld/%lld/%lld", as->window_key,
                      (long long)as->window.length_us,
                      (long long)as->window.slide_us,
                      (long long)as->window.offset_us);
    if (as->within_wm) sp_buf_puts(sig, " within-watermark");
    sp_buf_puts(sig, " aggs=");
    for (int i = 0; i < as->n_aggs; i++)
        sp_buf_printf(sig, "%s%d:%s", i ? "," : "", (int)as->aggs[i].kind,
                      sp_type_name(as->aggs[i].arg_type));
}

static int shape_changed(sp_err *err, const char *what, const char *was,
                         const char *now)
{
    sp_err_set(err, SP_EINVAL,
               "the query changed in a way its checkpoint cannot follow: its "
               "%s",
               what);
    sp_err_detail(err, "the checkpoint has %s; the query now has %s", was, now);
    sp_err_hint(err, "restore the query as it was, use a new --checkpoint "
                     "directory, or start over with --reset-checkpoint");
    return SP_EINVAL;
}

static int write_metadata(query *q, sp_err *err)
{
    char *path = path2(q->dir, "metadata");
    int rc = 0;
    sp_buf inputs, sig;
    sp_buf_init(&inputs);
    sp_buf_init(&sig);
    query_shape(q, &inputs, &sig);
    if (sp_os_exists(path)) {
        char *body;
        size_t len;
        rc = sp_ckfile_read(path, "spate-metadata", &body, &len, err);
        if (!rc) {
            sp_arena *a = sp_arena_create(0);
            sp_json *j;
            if (sp_json_parse(body, len, a, &j, err) == 0) {
                const char *id = sp_json_get_str(j, "id", NULL);
                if (id) snprintf(q->id, sizeof q->id, "%s", id);
                const char *was_in = sp_json_get_str(j, "inputs", NULL);
                const char *was_sig = sp_json_get_str(j, "stateShape", NULL);
                if (was_in && strcmp(was_in, inputs.data) != 0)
                    rc = shape_changed(err, "inputs (FROM) changed", was_in,
                                       inputs.data);
                else if (was_sig && strcmp(was_sig, sig.data) != 0)
                    rc = shape_changed(err,
                                       "stateful operator (GROUP BY keys, "
                                       "window, aggregates or DISTINCT) "
                                       "changed",
                                       was_sig, sig.data);
                /* a key's partition is its hash modulo the partitions: a
                 * checkpoint whose state was partitioned by another hash
                 * cannot be continued (no "keyHash": version 1) */
                int64_t kh = sp_json_get_int(j, "keyHash", 1);
                if (!rc && q->spec->agg && kh != SP_KEY_HASH_VERSION) {
                    rc = sp_err_set(err, SP_EINVAL,
                                    "the checkpoint's state was partitioned "
                                    "by key hash version %lld; this spate "
                                    "uses version %d",
                                    (long long)kh, SP_KEY_HASH_VERSION);
                    sp_err_detail(err,
                                  "version 1 is spate's hash before "
                                  "2026-11-22; its state partitions cannot "
                                  "be read by this version");
                    sp_err_hint(err, "finish the query with the spate that "
                                     "wrote the checkpoint, or start over with "
                                     "--reset-checkpoint or a new --checkpoint "
                                     "directory");
                }
                /* the state partitions are fixed for the checkpoint's life
                 * (Spark keeps spark.sql.shuffle.partitions from it too) */
                int64_t parts = sp_json_get_int(j, "shufflePartitions", 0);
                if (!rc && parts > 0 && q->spec->agg &&
                    parts != q->spec->agg->partitions)
                    ((sp_agg_spec *)q->spec->agg)->partitions = (int)parts;
            } else {
                rc = err->code;
            }
            sp_arena_destroy(a);
            sp_free(body);
        }
        if (rc && !err->file[0]) sp_err_at(err, path, 0, 0, 0);
    } else {
        make_uuid(q->id);
        sp_buf b;
        sp_buf_init(&b);
        sp_buf_printf(&b, "{\"id\":\"%s\",\"name\":", q->id);
        sp_buf_json_str(&b, q->spec->name, strlen(q->spec->name));
        sp_buf_puts(&b, ",\"inputs\":");
        sp_buf_json_str(&b, inputs.data, inputs.len);
        sp_buf_puts(&b, ",\"stateShape\":");
        sp_buf_json_str(&b, sig.data, sig.len);
        sp_buf_printf(&b, ",\"shufflePartitions\":%d,\"keyHash\":%d",
                      q->spec->agg ? q->spec->agg->partitions : 0,
                      SP_KEY_HASH_VERSION);
        sp_buf_puts(&b, ",\"plan\":");
        const char *fp = q->spec->fingerprint ? q->spec->fingerprint : "";
        sp_buf_json_str(&b, fp, strlen(fp));
        sp_buf_puts(&b, "}\n");
        rc = sp_ckfile_write(path, "spate-metadata", b.data, b.len, err);
        sp_buf_free(&b);
    }
    sp_buf_free(&inputs);
    sp_buf_free(&sig);
    sp_free(path);
    return rc;
}

/* Reads offsets/<id>: every input's range (into rerun_start/end), the
 * batch time and watermark. */
static int read_offsets(query *q, int64_t id, int64_t *ts_us, int64_t *wm_us,
                        sp_err *err)
{
    char *body;
    size_t len;
    int rc = sp_log_read(q->offsets_dir, id, "spate-offsets", &body, &len, err);
    if (rc) return rc;
    sp_arena *a = sp_arena_create(0);
    sp_json *j;
    rc = sp_json_parse(body, len, a, &j, err);
    if (!rc) {
        *ts_us = sp_json_get_int(j, "batchTimestampUs", 0);
        *wm_us = sp_json_get_int(j, "batchWatermarkUs", INT64_MIN);
        const sp_json *arr = sp_json_get(j, "sources");
        const sp_json *one = sp_json_get(j, "source");
        int n = arr && arr->kind == SP_JSON_ARR ? (int)arr->n : one ? 1 : 0;
        if (n != q->n_in) {
            rc = sp_err_set(err, SP_ECORRUPT,
                            "%s/%lld records %d input(s), the query has %d",
                            q->offsets_dir, (long long)id, n, q->n_in);
            sp_err_hint(err, "the query's FROM changed since the checkpoint "
                             "was written; restore the query or use a new "
                             "checkpoint directory");
        }
        const sp_json *e = arr && arr->kind == SP_JSON_ARR ? arr->child : one;
        for (int i = 0; !rc && i < n; i++, e = e ? e->next : NULL) {
            input *in = &q->in[i];
            in->rerun_start = sp_json_get_int(e, "startOffset", -1);
            in->rerun_end = sp_json_get_int(e, "endOffset", -1);
            if (in->rerun_start < 0 || in->rerun_end < in->rerun_start)
                rc = sp_err_set(err, SP_ECORRUPT,
                                "%s/%lld: the offsets of input %d are missing",
                                q->offsets_dir, (long long)id, i);
        }
    } else {
        sp_err_clear(err);
        rc = sp_err_set(err, SP_ECORRUPT, "%s/%lld: unreadable offsets",
                        q->offsets_dir, (long long)id);
    }
    sp_arena_destroy(a);
    sp_free(body);
    return rc;
}

static int query_recover(query *q, sp_err *err)
{
    int64_t last_off, last_commit;
    int rc = sp_log_latest(q->offsets_dir, &last_off, err);
    if (!rc) rc = sp_log_latest(q->commits_dir, &last_commit, err);
    if (rc) return rc;
    q->watermark_us = INT64_MIN;
    if (last_commit > last_off) {
        /* a commit is written after its offsets: offsets missing under a
         * commit means the write-ahead log lost a file */
        sp_err_set(err, SP_ECORRUPT,
                   "%s/%lld exists but %s/%lld does not: the offset log is "
                   "missing entries",
                   q->commits_dir, (long long)last_commit, q->offsets_dir,
                   (long long)last_commit);
        sp_err_hint(err, "restore the offsets file, or start over with "
                         "--reset-checkpoint; 'spate checkpoint check' shows "
                         "the state of every file");
        return SP_ECORRUPT;
    }
    if (last_off < 0) return 0;
    int64_t ts = 0, wm = INT64_MIN;
    rc = read_offsets(q, last_off, &ts, &wm, err);
    if (rc) return rc;
    q->watermark_us = wm;
    if (last_commit >= last_off) {
        q->next_batch = last_off + 1;
        for (int i = 0; i < q->n_in; i++) q->in[i].offset = q->in[i].rerun_end;
        /* the watermark for the next batch was recorded at commit */
        char *body;
        size_t len;
        if (sp_log_read(q->commits_dir, last_off, "spate-commit", &body, &len,
                        err) == 0) {
            sp_arena *a = sp_arena_create(0);
            sp_json *j;
            if (sp_json_parse(body, len, a, &j, err) == 0)
                q->watermark_us =
                    sp_json_get_int(j, "nextBatchWatermarkUs", q->watermark_us);
            sp_arena_destroy(a);
            sp_free(body);
            /* the last batch moved the watermark: its no-data batch is due */
            q->need_no_data = no_data_due(q, wm);
        }
        if (err->code) return err->code;
    } else {
        q->next_batch = last_off;
        for (int i = 0; i < q->n_in; i++)
            q->in[i].offset = q->in[i].rerun_start;
        q->rerun = true;
        q->rerun_ts_us = ts;
    }
    return 0;
}

static int query_open(query *q, sp_query_spec *spec, const char *root,
                      sp_err *err)
{
    memset(q, 0, sizeof *q);
    q->spec = spec;
    q->dir = path2(root, spec->name);
    q->offsets_dir = path2(q->dir, "offsets");
    q->commits_dir = path2(q->dir, "commits");
    q->n_in = spec->n_inputs;
    q->in = sp_calloc((size_t)q->n_in + 1, sizeof *q->in);
    if (!q->in) return sp_err_set(err, SP_ENOMEM, "out of memory");
    make_uuid(q->run_id);
    int rc = sp_os_mkdirs(q->offsets_dir, err);
    if (!rc) rc = sp_os_mkdirs(q->commits_dir, err);
    for (int i = 0; i < q->n_in && !rc; i++) {
        q->in[i].spec = &spec->inputs[i];
        q->in[i].max_et_us = INT64_MIN;
        char sub[32];
        snprintf(sub, sizeof sub, "sources/%d", i);
        q->in[i].src_dir = path2(q->dir, sub);
        rc = sp_os_mkdirs(q->in[i].src_dir, err);
    }
    if (!rc) rc = write_metadata(q, err);
    if (!rc) rc = query_recover(q, err);
    for (int i = 0; i < q->n_in && !rc; i++) {
        sp_query_input *qi = &spec->inputs[i];
        if (qi->pipe->join) rc = sp_join_open(qi->pipe->join, err);
        if (rc) break;
        qi->src_conf.state_dir = q->in[i].src_dir;
        rc = qi->src_vt->open(&qi->src_conf, &q->in[i].src, err);
    }
    if (rc) return rc;
    if (!spec->sink_conf.out) spec->sink_conf.out = stdout;
    rc = spec->sink_vt->open(&spec->sink_conf, &q->sink, err);
    if (rc) return rc;
    /* A new checkpoint writing into a sink that already holds committed
     * batches would skip its first batches as "already written" (Spark's
     * file sink does); refuse instead of losing them. */
    int64_t had = spec->sink_vt->last_committed(q->sink);
    if (q->next_batch == 0 && !q->rerun && had >= 0) {
        sp_err_set(err, SP_EINVAL,
                   "sink %s already holds committed batches 0..%lld from "
                   "another run, and this query's checkpoint is new",
                   spec->name, (long long)had);
        sp_err_detail(err,
                      "its batch ids would collide: batches 0..%lld "
                      "would be skipped as already written",
                      (long long)had);
        sp_err_hint(err, "write to a new output path, remove the old output, "
                         "or run with the checkpoint that wrote it");
        return SP_EINVAL;
    }
    if (!spec->agg) return 0;
    /* the state as of the last committed batch (a re-run batch N starts
     * from version N - 1 too) */
    q->state_dir = path2(q->dir, "state/0");
    rc = sp_os_mkdirs(q->state_dir, err);
    if (!rc)
        rc = sp_agg_op_open(spec->agg, q->state_dir, q->next_batch - 1,
                            spec->snapshot_interval, &q->agg, err);
    return rc;
}

static void query_close(query *q)
{
    if (q->agg) sp_agg_op_close(q->agg);
    for (int i = 0; q->in && i < q->n_in; i++) {
        if (q->in[i].spec && q->in[i].spec->pipe->join)
            sp_join_close(q->in[i].spec->pipe->join);
        if (q->in[i].src) q->in[i].spec->src_vt->close(q->in[i].src);
        sp_free(q->in[i].src_dir);
    }
    if (q->sink) q->spec->sink_vt->close(q->sink);
    sp_free(q->in);
    sp_free(q->state_dir);
    sp_free(q->dir);
    sp_free(q->offsets_dir);
    sp_free(q->commits_dir);
}

/* ---- one batch: the split stage ------------------------------------------
 *
 * A batch's splits run as one job on the task scheduler (sched.c). An
 * attempt of a split task writes only into its own split_out: a sink part
 * opened for its attempt (stateless), or a partial table (stateful), and
 * its read and pipeline counters. The scheduler keeps the first attempt to
 * finish and discards the others (a sink part is aborted, which removes
 * its file), so a retried or speculated split is never written twice and
 * its rows are never counted twice. A split's input is a recorded range of
 * a replayable source: any attempt reads the same rows.
 */

typedef struct task {
    int input; /* which input the split belongs to */
    const sp_split *split;
} task;

/* What one attempt of a split task produced. */
typedef struct split_out {
    void *part;              /* stateless: the sink part of this split */
    sp_agg_partial *partial; /* stateful: the split's partial groups */
    sp_read_stats rstats;
    sp_pipe_stats pstats;
} split_out;

typedef struct batch_job {
    query *q;
    int64_t batch_id;
    task *tasks;
    int max_failures; /* for error details */
} batch_job;

/* One attempt while it reads. */
typedef struct split_run {
    batch_job *j;
    task *t;
    split_out *o;
    sp_arena *scratch;
    _Atomic int *killed;
} split_run;

static int emit_batch(void *ud, sp_batch *b, sp_err *err)
{
    split_run *r = ud;
    split_out *o = r->o;
    query *q = r->j->q;
    /* another attempt of this split finished first, or the batch failed:
     * stop reading (one relaxed load per batch of rows) */
    if (atomic_load_explicit(r->killed, memory_order_relaxed))
        return SP_ESTOPPED;
    const sp_pipeline *pipe = q->in[r->t->input].spec->pipe;
    int rc;
    if (o->partial && !q->spec->agg_over_output) {
        sp_batch wide;
        rc = sp_pipeline_prepare(pipe, b, r->scratch, &wide, &o->pstats, err);
        if (!rc) rc = sp_agg_partial_add(o->partial, &wide, r->scratch, err);
    } else {
        sp_batch out;
        rc = sp_pipeline_run(pipe, b, r->scratch, &out, &o->pstats, err);
        if (!rc && o->partial)
            rc = sp_agg_partial_add(o->partial, &out, r->scratch, err);
        else if (!rc && sp_batch_live(&out) > 0)
            rc = q->spec->sink_vt->part_write(q->sink, o->part, &out, err);
    }
    sp_arena_reset(r->scratch);
    return rc;
}

/* An error that any attempt would meet again: bad input data (on_error =
 * 'fail'), a damaged file, something unsupported. Not worth a retry, and
 * reported as it is. I/O, memory and network errors, and injected faults,
 * may pass. */
static bool recurs(int rc)
{
    return rc == SP_EDATA || rc == SP_ECORRUPT || rc == SP_EUNSUPPORTED ||
           rc == SP_EANALYSIS || rc == SP_EINVAL;
}

/* The end of a successful attempt's sink part, on its worker: the sink
 * makes it durable (the file sink fsyncs its file), so that the batch's
 * commit only publishes the parts. Skipped when another attempt already
 * won (the part will be aborted). */
static int close_part(query *q, const sp_task_attempt *a, void *part,
                      sp_err *err)
{
    if (!q->spec->sink_vt->part_close) return 0;
    if (atomic_load(a->killed)) return SP_ESTOPPED;
    return q->spec->sink_vt->part_close(q->sink, part, err);
}

static int run_split(void *ud, sp_task_attempt *a, sp_err *err)
{
    batch_job *j = ud;
    task *t = &j->tasks[a->task];
    query *q = j->q;
    split_out *o = sp_calloc(1, sizeof *o);
    if (!o) return sp_err_set(err, SP_ENOMEM, "out of memory");
    a->out = o; /* the scheduler's from here, even on failure */
    sp_pipe_stats_init(&o->pstats);
    int rc = sp_task_fault_slow(j->batch_id, false, a);
    if (rc) return rc;
    split_run r = {j, t, o, sp_arena_create(1 << 20), a->killed};
    if (!r.scratch) return sp_err_set(err, SP_ENOMEM, "out of memory");
    if (q->agg) {
        o->partial = sp_agg_partial_create(q->spec->agg);
        if (!o->partial) rc = sp_err_set(err, SP_ENOMEM, "out of memory");
    } else {
        rc = q->spec->sink_vt->part_open(q->sink, j->batch_id, a->task,
                                         a->attempt, &o->part, err);
    }
    input *in = &q->in[t->input];
    if (!rc)
        rc = in->spec->src_vt->read(in->src, t->split, emit_batch, &r,
                                    &o->rstats, err);
    sp_arena_destroy(r.scratch);
    if (!rc && o->part) rc = close_part(q, a, o->part, err);
    a->no_retry = recurs(rc);
    /* an injected failure after the work: the output exists and must go */
    if (!rc)
        rc = sp_task_fault_fail(j->batch_id, false, a->task, a->attempt, false,
                                err);
    return rc;
}

static void discard_split(void *ud, void *out)
{
    batch_job *j = ud;
    split_out *o = out;
    query *q = j->q;
    if (o->part) q->spec->sink_vt->abort(q->sink, j->batch_id, &o->part, 1);
    if (o->partial) sp_agg_partial_destroy(o->partial);
    sp_free(o);
}

static void describe_split(void *ud, int i, sp_buf *b)
{
    batch_job *j = ud;
    const task *t = &j->tasks[i];
    const char *src = j->q->in[t->input].spec->src_conf.name;
    if (t->split->path)
        sp_buf_printf(b, "the task reads %s (bytes %lld to %lld) of source %s",
                      t->split->path, (long long)t->split->start,
                      (long long)t->split->end, src);
    else
        sp_buf_printf(b, "the task reads rows %lld to %lld of source %s",
                      (long long)t->split->start, (long long)t->split->end,
                      src);
    sp_buf_printf(b, "; spate.task.maxFailures is %d", j->max_failures);
}

static void iso_time(int64_t us, char *buf)
{
    sp_ts_format_iso(us - us % 1000, buf);
}

typedef struct in_result {
    int64_t start, end;
    uint64_t rows, bad_rows, bytes;
} in_result;

typedef struct batch_result {
    uint64_t rows_in, rows_out;
    sp_pipe_stats ps;
    sp_agg_stats agg;
    in_result *in;
    sp_sched_stats tasks; /* both stages' task attempts */
    int64_t d_latest, d_wal, d_add, d_commit, d_total; /* microseconds */
} batch_result;

static void write_progress(query *q, FILE *f, int64_t batch_id, int64_t ts_us,
                           int64_t wm_us, const batch_result *r,
                           int64_t since_last_us)
{
    sp_buf b;
    sp_buf_init(&b);
    char t[48];
    iso_time(ts_us, t);
    double secs = r->d_total / 1e6;
    double in_rate =
        since_last_us > 0 ? (double)r->rows_in / (since_last_us / 1e6) : 0.0;
    double proc_rate = secs > 0 ? (double)r->rows_in / secs : 0.0;
    char in_s[32], proc_s[32];
    sp_fmt_double(in_rate, in_s);
    sp_fmt_double(proc_rate, proc_s);
    sp_buf_printf(&b, "{\"id\":\"%s\",\"runId\":\"%s\",\"name\":", q->id,
                  q->run_id);
    sp_buf_json_str(&b, q->spec->name, strlen(q->spec->name));
    sp_buf_printf(&b,
                  ",\"timestamp\":\"%s\",\"batchId\":%lld,"
                  "\"batchDuration\":%lld,\"numInputRows\":%llu,"
                  "\"inputRowsPerSecond\":%s,\"processedRowsPerSecond\":%s,",
                  t, (long long)batch_id, (long long)(r->d_total / 1000),
                  (unsigned long long)r->rows_in, in_s, proc_s);
    sp_buf_printf(&b,
                  "\"durationMs\":{\"addBatch\":%lld,\"commitOffsets\":%lld,"
                  "\"latestOffset\":%lld,\"triggerExecution\":%lld,"
                  "\"walCommit\":%lld},",
                  (long long)(r->d_add / 1000), (long long)(r->d_commit / 1000),
                  (long long)(r->d_latest / 1000),
                  (long long)(r->d_total / 1000), (long long)(r->d_wal / 1000));
    sp_buf_printf(&b,
                  "\"tasks\":{\"total\":%lld,\"attempts\":%lld,"
                  "\"failed\":%lld,\"retries\":%lld,\"speculative\":%lld,"
                  "\"speculativeWins\":%lld},",
                  (long long)r->tasks.tasks, (long long)r->tasks.attempts,
                  (long long)r->tasks.failures, (long long)r->tasks.retries,
                  (long long)r->tasks.speculative,
                  (long long)r->tasks.spec_wins);
    sp_buf_puts(&b, "\"eventTime\":{");
    if (r->ps.et_count > 0) {
        char a1[48], a2[48], a3[48];
        iso_time((int64_t)(r->ps.et_sum / (double)r->ps.et_count), a1);
        iso_time(r->ps.et_max, a2);
        iso_time(r->ps.et_min, a3);
        sp_buf_printf(&b, "\"avg\":\"%s\",\"max\":\"%s\",\"min\":\"%s\"", a1,
                      a2, a3);
    }
    bool has_wm = false;
    for (int i = 0; i < q->n_in; i++) has_wm |= q->in[i].spec->wm_delay_us >= 0;
    if (has_wm) {
        char w[48];
        iso_time(wm_us == INT64_MIN ? 0 : wm_us, w);
        sp_buf_printf(&b, "%s\"watermark\":\"%s\"", r->ps.et_count ? "," : "",
                      w);
    }
    sp_buf_puts(&b, "},\"stateOperators\":[");
    if (q->agg)
        sp_buf_printf(&b,
                      "{\"operatorName\":\"%s\","
                      "\"numRowsTotal\":%llu,\"numRowsUpdated\":%llu,"
                      "\"numRowsRemoved\":%llu,\"memoryUsedBytes\":%llu,"
                      "\"numRowsDroppedByWatermark\":%llu,"
                      "\"numShufflePartitions\":%d,"
                      "\"numStateStoreInstances\":%d}",
                      q->spec->agg->dedup ? "dedupe" : "stateStoreSave",
                      (unsigned long long)r->agg.rows_total,
                      (unsigned long long)r->agg.rows_updated,
                      (unsigned long long)r->agg.rows_removed,
                      (unsigned long long)r->agg.memory_bytes,
                      (unsigned long long)r->agg.rows_dropped_late,
                      q->spec->agg->partitions, q->spec->agg->partitions);
    sp_buf_puts(&b, "],\"sources\":[");
    sp_buf d;
    sp_buf_init(&d);
    for (int i = 0; i < q->n_in; i++) {
        const in_result *ir = &r->in[i];
        d.len = 0;
        q->in[i].spec->src_vt->describe(q->in[i].src, &d);
        sp_buf_puts(&b, i ? ",{\"description\":" : "{\"description\":");
        sp_buf_json_str(&b, d.data ? d.data : "", d.len);
        double irate =
            since_last_us > 0 ? (double)ir->rows / (since_last_us / 1e6) : 0.0;
        double prate = secs > 0 ? (double)ir->rows / secs : 0.0;
        char is[32], ps[32];
        sp_fmt_double(irate, is);
        sp_fmt_double(prate, ps);
        sp_buf_printf(
            &b,
            ",\"startOffset\":%lld,\"endOffset\":%lld,"
            "\"latestOffset\":%lld,\"numInputRows\":%llu,"
            "\"numMalformedRows\":%llu,\"numInputBytes\":%llu,"
            "\"inputRowsPerSecond\":%s,\"processedRowsPerSecond\":%s}",
            (long long)ir->start, (long long)ir->end, (long long)ir->end,
            (unsigned long long)ir->rows, (unsigned long long)ir->bad_rows,
            (unsigned long long)ir->bytes, is, ps);
    }
    d.len = 0;
    q->spec->sink_vt->describe(q->sink, &d);
    sp_buf_puts(&b, "],\"sink\":{\"description\":");
    sp_buf_json_str(&b, d.data ? d.data : "", d.len);
    sp_buf_printf(&b, ",\"numOutputRows\":%llu}}\n",
                  (unsigned long long)r->rows_out);
    fwrite(b.data, 1, b.len, f);
    fflush(f);
    sp_buf_free(&d);
    sp_buf_free(&b);
}

/* ---- one batch: the partition stage ----------------------------------------
 *
 * A stateful query's second stage: one task per state partition merges the
 * winning partials' groups of that partition into its state store (in
 * place) and emits rows by output mode into a sink part of its attempt (or,
 * for ORDER BY / LIMIT, into a buffer of its attempt).
 *
 * Retries and speculation: an attempt changes its partition's store in
 * place, so two attempts at once would corrupt it: partition tasks are
 * never speculated (no_speculation). A failed attempt is undone and run
 * again when its input is intact:
 *
 *   - fixed-size aggregates and deduplication only read the partials (the
 *     task's lineage), and the store can drop the attempt's changes by
 *     reloading its committed version (sp_agg_partition_reset): the failed
 *     attempt resets its partition before it returns, so the retry starts
 *     from version N - 1 with the same partials; its sink part is aborted
 *     by discard and the retry writes a fresh one;
 *   - variable-size aggregates and session windows move states out of the
 *     partials, which then no longer hold the input: such an attempt is
 *     retried only when it failed before the merge (opening its sink part,
 *     an injected fault); a failure in the merge is fatal to the batch,
 *     which stops the query with the store uncommitted -- the checkpoint
 *     still holds version N - 1, and a restart runs batch N again from its
 *     recorded offsets (as after any failure the retries cannot cure).
 */

/* What one attempt of a partition task produced. */
typedef struct part_out {
    void *part;     /* the sink part, or NULL when collecting */
    sp_buf collect; /* ORDER BY / LIMIT: the partition's rows, encoded */
    uint64_t collected;
    sp_agg_stats st;
} part_out;

typedef struct part_job {
    query *q;
    int64_t batch_id;
    sp_agg_partial **partials;
    int n_partials;
    int64_t watermark_us;
    bool collect;   /* ORDER BY / LIMIT: gather rows, sort, then write */
    bool retryable; /* a failed attempt can be undone (see above) */
} part_job;

typedef struct part_emit {
    query *q;
    void *part;
    sp_buf *collect; /* ORDER BY / LIMIT: rows gathered here, encoded */
    uint64_t n;
} part_emit;

static int emit_partition(void *ud, const sp_batch *b, sp_err *err)
{
    part_emit *pe = ud;
    if (!pe->collect)
        return pe->q->spec->sink_vt->part_write(pe->q->sink, pe->part, b, err);
    const sp_schema *os = &pe->q->spec->agg->out_schema;
    uint32_t live = sp_batch_live(b);
    for (uint32_t k = 0; k < live; k++) {
        uint32_t r = sp_batch_row(b, k);
        for (uint32_t c = 0; c < os->n_fields; c++)
            if (sp_codec_put(pe->collect, &b->cols[c], r, os->fields[c].type))
                return sp_err_set(err, SP_ENOMEM, "out of memory");
        pe->n++;
    }
    return 0;
}

static int run_partition(void *ud, sp_task_attempt *a, sp_err *err)
{
    part_job *j = ud;
    query *q = j->q;
    int p = a->task;
    part_out *o = sp_calloc(1, sizeof *o);
    if (!o) return sp_err_set(err, SP_ENOMEM, "out of memory");
    sp_buf_init(&o->collect);
    a->out = o;
    /* up to the merge nothing shared has changed */
    int rc = sp_task_fault_slow(j->batch_id, true, a);
    if (!rc)
        rc = sp_task_fault_fail(j->batch_id, true, p, a->attempt, false, err);
    if (!rc && !j->collect)
        rc = q->spec->sink_vt->part_open(q->sink, j->batch_id, p, a->attempt,
                                         &o->part, err);
    bool merged = false;
    if (!rc) {
        part_emit pe = {q, o->part, j->collect ? &o->collect : NULL, 0};
        merged = true;
        rc = sp_agg_partition_run(q->agg, p, j->partials, j->n_partials,
                                  j->watermark_us, emit_partition, &pe, &o->st,
                                  err);
        o->collected = pe.n;
        if (!rc && o->part) rc = close_part(q, a, o->part, err);
        /* an injected failure once the store changed */
        if (!rc)
            rc =
                sp_task_fault_fail(j->batch_id, true, p, a->attempt, true, err);
    }
    if (!rc || !merged) return rc;
    if (recurs(rc)) {
        a->no_retry = true; /* the batch fails: no need to undo */
        return rc;
    }
    if (!j->retryable) {
        a->fatal = true; /* the store and the partials may have changed */
        if (!err->hint[0])
            sp_err_hint(err, "a partition task of this query (variable-size "
                             "aggregates or session windows) consumes its "
                             "input as it merges, so it is not run again "
                             "within the batch; the query stops with the "
                             "state of the last committed batch, and a new "
                             "run with the same checkpoint re-runs this "
                             "batch");
        return rc;
    }
    /* Undo the attempt before the scheduler may start the next one: the
     * partition's store goes back to version N - 1 (the sink part is
     * aborted by discard_partition). */
    sp_err re;
    sp_err_clear(&re);
    if (sp_agg_partition_reset(q->agg, p, &re)) {
        a->fatal = true;
        sp_err_detail(err, "rolling state partition %d back failed: %s", p,
                      re.msg);
        if (!err->hint[0])
            sp_err_hint(err, "the query stops with the state of the last "
                             "committed batch; a new run with the same "
                             "checkpoint re-runs this batch");
    }
    return rc;
}

static void discard_partition(void *ud, void *out)
{
    part_job *j = ud;
    part_out *o = out;
    if (o->part)
        j->q->spec->sink_vt->abort(j->q->sink, j->batch_id, &o->part, 1);
    sp_buf_free(&o->collect);
    sp_free(o);
}

static void describe_partition(void *ud, int p, sp_buf *b)
{
    sp_buf_printf(b,
                  "the task merges the batch's groups of state partition %d "
                  "into its state store and writes that partition's rows",
                  p);
}

/* ORDER BY / LIMIT in complete mode: the partitions' rows, decoded into
 * one batch, sorted, written as the batch's single sink part. */
static int sorted_output(query *q, int64_t batch_id, part_out **outs,
                         int n_parts, void **part, sp_err *err)
{
    const sp_agg_spec *as = q->spec->agg;
    const sp_schema *os = &as->out_schema;
    uint64_t total = 0;
    for (int p = 0; p < n_parts; p++) total += outs[p]->collected;
    if (total > UINT32_MAX)
        return sp_err_set(err, SP_EUNSUPPORTED,
                          "ORDER BY over more than 4G result rows");
    sp_arena *a = sp_arena_create(1 << 16);
    sp_batch b = {
        .n_rows = (uint32_t)total, .n_cols = os->n_fields, .arena = a};
    int rc = 0;
    b.cols = a ? sp_arena_zalloc(a, (os->n_fields + 1) * sizeof(sp_vec)) : NULL;
    for (uint32_t c = 0; b.cols && c < os->n_fields && !rc; c++)
        rc = sp_vec_alloc(&b.cols[c], os->fields[c].type, b.n_rows, true, a);
    if (!b.cols || rc) rc = sp_err_set(err, SP_ENOMEM, "out of memory");
    uint32_t r = 0;
    for (int p = 0; p < n_parts && !rc; p++) {
        const unsigned char *x = (const unsigned char *)outs[p]->collect.data;
        for (uint64_t k = 0; k < outs[p]->collected; k++, r++)
            for (uint32_t c = 0; c < os->n_fields; c++)
                sp_codec_get(&x, os->fields[c].type, &b.cols[c], r);
    }
    if (!rc) rc = sp_agg_sort_output(as, &b, err);
    if (!rc)
        rc = q->spec->sink_vt->part_open(q->sink, batch_id, 0, 0, part, err);
    if (!rc && sp_batch_live(&b))
        rc = q->spec->sink_vt->part_write(q->sink, *part, &b, err);
    if (!rc && q->spec->sink_vt->part_close)
        rc = q->spec->sink_vt->part_close(q->sink, *part, err);
    if (a) sp_arena_destroy(a);
    return rc;
}

static int write_wal(query *q, int64_t batch_id, int64_t ts_us, int64_t wm,
                     const int64_t *start, const int64_t *end, sp_err *err)
{
    sp_buf b;
    sp_buf_init(&b);
    sp_buf_printf(&b,
                  "{\"batchId\":%lld,\"batchTimestampMs\":%lld,"
                  "\"batchTimestampUs\":%lld,\"batchWatermarkMs\":%lld,"
                  "\"batchWatermarkUs\":%lld,\"sources\":[",
                  (long long)batch_id, (long long)(ts_us / 1000),
                  (long long)ts_us,
                  (long long)(wm == INT64_MIN ? 0 : wm / 1000), (long long)wm);
    for (int i = 0; i < q->n_in; i++) {
        const char *sn = q->in[i].spec->src_conf.name;
        sp_buf_puts(&b, i ? ",{\"name\":" : "{\"name\":");
        sp_buf_json_str(&b, sn, strlen(sn));
        sp_buf_printf(&b, ",\"startOffset\":%lld,\"endOffset\":%lld}",
                      (long long)start[i], (long long)end[i]);
    }
    sp_buf_puts(&b, "]}\n");
    int rc = sp_log_write(q->offsets_dir, batch_id, "spate-offsets", b.data,
                          b.len, err);
    sp_buf_free(&b);
    return rc;
}

static int run_batch(query *q, sp_pool *pool, const sp_run_opts *o,
                     int64_t batch_id, const int64_t *start, const int64_t *end,
                     int64_t ts_us, bool wal, int64_t t0, sp_err *err)
{
    batch_result r;
    memset(&r, 0, sizeof r);
    sp_pipe_stats_init(&r.ps);
    r.in = sp_calloc((size_t)q->n_in + 1, sizeof *r.in);
    if (!r.in) return sp_err_set(err, SP_ENOMEM, "out of memory");
    int64_t wm_now = q->watermark_us;
    r.d_latest = sp_clock_mono_us() - t0;

    /* 2. the write-ahead offset log */
    int64_t t1 = sp_clock_mono_us();
    int rc = wal ? write_wal(q, batch_id, ts_us, wm_now, start, end, err) : 0;
    r.d_wal = sp_clock_mono_us() - t1;
    if (!rc) sp_crash_point("after_offsets", batch_id);

    /* 3. read, compute, write parts -- unless the sink already has it (a
     * stateful query still computes, for its state) */
    int64_t t2 = sp_clock_mono_us();
    bool have = q->spec->sink_vt->last_committed(q->sink) >= batch_id;
    sp_arena *a = sp_arena_create(0);
    int n = 0;
    task *tasks = NULL;
    bool state_pending = false;    /* the state's commit runs (3c to 4b) */
    bool state_after_sink = false; /* sink_before_state is armed */
    for (int i = 0; i < q->n_in && !rc && (!have || q->agg); i++) {
        r.in[i].start = start[i];
        r.in[i].end = end[i];
        sp_split *splits = NULL;
        int ns = 0;
        rc = q->in[i].spec->src_vt->plan_splits(
            q->in[i].src, batch_id, start[i], end[i],
            /* one partial table per thread for a stateful query: fewer
             * tables to merge; more splits balance a stateless one */
            q->agg ? o->threads : o->threads * 2, a, &splits, &ns, err);
        if (rc || !ns) continue;
        task *nt = sp_realloc(tasks, (size_t)(n + ns) * sizeof *nt);
        if (!nt) {
            rc = sp_err_set(err, SP_ENOMEM, "out of memory");
            break;
        }
        tasks = nt;
        memset(tasks + n, 0, (size_t)ns * sizeof *tasks);
        for (int k = 0; k < ns; k++) {
            tasks[n + k].input = i;
            tasks[n + k].split = &splits[k];
        }
        n += ns;
    }
    const sp_sched_conf *sc = o->sched;
    char job_name[300];
    snprintf(job_name, sizeof job_name, "batch %lld of query %s",
             (long long)batch_id, q->spec->name);
    int n_parts = q->agg ? q->spec->agg->partitions : n;
    void **parts = sp_calloc((size_t)n_parts + 1, sizeof(void *));
    sp_agg_partial **partials = sp_calloc((size_t)n + 1, sizeof *partials);
    if (!rc && (!parts || !partials))
        rc = sp_err_set(err, SP_ENOMEM, "out of memory");
    if (!rc && n) {
        batch_job job = {q, batch_id, tasks, sc->max_task_failures};
        void **outs = sp_calloc((size_t)n, sizeof *outs);
        sp_sched_job sj = {.name = job_name,
                           .n_tasks = n,
                           .run = run_split,
                           .discard = discard_split,
                           .describe = describe_split,
                           .ud = &job,
                           .outs = outs};
        rc = outs ? sp_sched_run(pool, o->threads, sc, &sj, &r.tasks, err)
                  : sp_err_set(err, SP_ENOMEM, "out of memory");
        /* the winners: their parts and partials move on, their counters
         * add up (a failed job left no outputs) */
        for (int i = 0; !rc && i < n; i++) {
            split_out *so = outs[i];
            task *t = &tasks[i];
            in_result *ir = &r.in[t->input];
            ir->rows += so->rstats.rows;
            ir->bad_rows += so->rstats.bad_rows;
            ir->bytes += so->rstats.bytes;
            r.rows_in += so->rstats.rows;
            sp_pipe_stats_merge(&r.ps, &so->pstats);
            /* each input's own event time, for its watermark */
            input *in = &q->in[t->input];
            if (so->pstats.et_count > 0)
                in->max_et_us = SP_MAX(in->max_et_us, so->pstats.et_max);
            if (!q->agg) parts[i] = so->part;
            partials[i] = so->partial;
            sp_free(so);
        }
        sp_free(outs);
    }
    if (q->agg) {
        /* 3b. the stateful stage: one task per state partition merges the
         * splits' partial groups into its state store and emits by mode;
         * then the state commits as version batch_id */
        bool sorted = q->spec->agg->n_order > 0 || q->spec->agg->limit >= 0;
        part_job pj = {.q = q,
                       .batch_id = batch_id,
                       .partials = partials,
                       .n_partials = n,
                       .watermark_us = wm_now,
                       .collect = sorted,
                       .retryable = sp_agg_partition_retryable(q->agg)};
        part_out **pouts = sp_calloc((size_t)n_parts + 1, sizeof *pouts);
        if (!rc && !pouts) rc = sp_err_set(err, SP_ENOMEM, "out of memory");
        /* the previous batch's state maintenance ran during the reading */
        if (!rc) rc = sp_agg_op_quiesce(q->agg, err);
        if (!rc) {
            char pname[340];
            snprintf(pname, sizeof pname, "%s (state partitions)", job_name);
            sp_sched_job sj = {.name = pname,
                               .n_tasks = n_parts,
                               .no_speculation = true, /* see above */
                               .run = run_partition,
                               .discard = discard_partition,
                               .describe = describe_partition,
                               .ud = &pj,
                               .outs = (void **)pouts};
            rc = sp_sched_run(pool, o->threads, sc, &sj, &r.tasks, err);
            for (int p = 0; !rc && p < n_parts; p++) {
                const sp_agg_stats *st = &pouts[p]->st;
                r.agg.rows_dropped_late += st->rows_dropped_late;
                r.agg.rows_updated += st->rows_updated;
                r.agg.rows_removed += st->rows_removed;
                r.agg.rows_total += st->rows_total;
                r.agg.memory_bytes += st->memory_bytes;
                r.agg.rows_out += st->rows_out;
                parts[p] = pouts[p]->part;
            }
        }
        if (sorted) {
            if (!rc)
                rc = sorted_output(q, batch_id, pouts, n_parts, &parts[0], err);
            if (!rc && q->spec->agg->limit >= 0 &&
                r.agg.rows_out > (uint64_t)q->spec->agg->limit)
                r.agg.rows_out = (uint64_t)q->spec->agg->limit;
            n_parts = 1;
        }
        for (int p = 0; pouts && p < q->spec->agg->partitions; p++) {
            if (!pouts[p]) continue;
            sp_buf_free(&pouts[p]->collect);
            sp_free(pouts[p]);
        }
        sp_free(pouts);
        r.ps.rows_out = r.agg.rows_out;
        if (!rc) sp_crash_point("mid_sink", batch_id);
        /* 3c. the state commits version batch_id on its own threads while
         * the sink commits below; both are joined before commits/N. Either
         * may become durable first: a crash between leaves a batch that
         * recovery re-runs from version N - 1, the sink skipping it if it
         * has it (`have`). A test that arms after_state or
         * sink_before_state gets that order, one after the other. */
        sp_agg_op_set_threads(q->agg, o->threads);
        if (!rc && sp_crash_armed("after_state", batch_id)) {
            rc = sp_agg_op_commit(q->agg, batch_id, err);
            if (!rc) sp_crash_point("after_state", batch_id);
        } else if (!rc && !sp_crash_armed("sink_before_state", batch_id)) {
            rc = sp_agg_op_commit_start(q->agg, batch_id, err);
            state_pending = !rc;
        } else if (!rc) {
            state_after_sink = true;
        }
        for (int i = 0; i < n; i++)
            if (partials[i]) sp_agg_partial_destroy(partials[i]);
        n = n_parts;
        /* a batch the sink already committed is computed (for the state)
         * but not written again */
        if (!rc && have) {
            q->spec->sink_vt->abort(q->sink, batch_id, parts, n);
            memset(parts, 0, (size_t)n * sizeof *parts);
        } else {
            have = false;
        }
    }
    r.rows_out = r.ps.rows_out;
    if (!rc && !q->agg) sp_crash_point("mid_sink", batch_id);
    /* 4. commit the sink */
    if (!rc && !have) {
        int np = 0;
        for (int i = 0; i < n; i++) np += parts[i] != NULL;
        if (np == n)
            rc = q->spec->sink_vt->commit(q->sink, batch_id, parts, n, err);
        else
            rc = sp_err_set(err, SP_EINTERNAL, "a sink part was not opened");
    } else if (rc) {
        void **live = parts;
        int nl = 0;
        for (int i = 0; i < n; i++)
            if (parts[i]) live[nl++] = parts[i];
        q->spec->sink_vt->abort(q->sink, batch_id, live, nl);
    }
    /* 4b. the state's commit, started in 3c: joined whatever the sink did
     * (a failed sink leaves the state committed, as after_state would) */
    if (state_after_sink && !rc) {
        sp_crash_point("sink_before_state", batch_id);
        rc = sp_agg_op_commit(q->agg, batch_id, err);
    }
    if (state_pending) {
        sp_err se;
        sp_err_clear(&se);
        int src = sp_agg_op_commit_finish(q->agg, rc ? &se : err);
        if (!rc) rc = src;
    }
    sp_free(partials); /* destroyed after the partition stage */
    sp_free(parts);
    sp_free(tasks);
    sp_arena_destroy(a);
    r.d_add = sp_clock_mono_us() - t2;
    if (rc && !err->hint[0] && strstr(err->msg, job_name))
        sp_err_hint(err,
                    "batch %lld was not committed: a new run with the "
                    "same checkpoint runs it again",
                    (long long)batch_id);

    if (!rc) sp_crash_point("after_sink", batch_id);
    /* 5. the commit log; the watermark for the next batch */
    int64_t t3 = sp_clock_mono_us();
    if (!rc) {
        q->watermark_us = combined_watermark(q);
        q->need_no_data = no_data_due(q, wm_now);
        char cb[160];
        int cl = snprintf(cb, sizeof cb,
                          "{\"batchId\":%lld,\"nextBatchWatermarkMs\":%lld,"
                          "\"nextBatchWatermarkUs\":%lld}\n",
                          (long long)batch_id,
                          (long long)(q->watermark_us == INT64_MIN
                                          ? 0
                                          : q->watermark_us / 1000),
                          (long long)q->watermark_us);
        rc = sp_log_write(q->commits_dir, batch_id, "spate-commit", cb,
                          (size_t)cl, err);
    }
    if (!rc)
        for (int i = 0; i < q->n_in; i++)
            if (q->in[i].spec->src_vt->commit)
                q->in[i].spec->src_vt->commit(q->in[i].src, batch_id, end[i]);
    r.d_commit = sp_clock_mono_us() - t3;
    r.d_total = sp_clock_mono_us() - t0;
    if (!rc) {
        int64_t since = q->last_trigger_us ? t0 - q->last_trigger_us : 0;
        q->last_trigger_us = t0;
        q->total_rows += r.rows_in;
        q->last_rate =
            r.d_total > 0 ? (double)r.rows_in / (r.d_total / 1e6) : 0;
        if (o->progress)
            write_progress(q, o->progress, batch_id, ts_us, wm_now, &r, since);
        q->next_batch = batch_id + 1;
        for (int i = 0; i < q->n_in; i++) q->in[i].offset = end[i];
    }
    sp_free(r.in);
    return rc;
}

/* ---- the loop
 * ---------------------------------------------------------------- */

static bool stopping(const sp_run_opts *o, int64_t t_start)
{
    if (o->stop && *o->stop) return true;
    return o->duration_us > 0 && sp_clock_mono_us() - t_start >= o->duration_us;
}

/* Sleeps up to `us`, waking early when asked to stop. */
static void nap(const sp_run_opts *o, int64_t us, int64_t t_start)
{
    while (us > 0 && !stopping(o, t_start)) {
        int64_t step = SP_MIN(us, 10000);
        struct timespec ts = {0, (long)(step * 1000)};
        nanosleep(&ts, NULL);
        us -= step;
    }
}

static void fmt_rate(double r, char *buf, size_t n)
{
    if (r >= 1e6)
        snprintf(buf, n, "%.2fM", r / 1e6);
    else if (r >= 1e3)
        snprintf(buf, n, "%.1fK", r / 1e3);
    else
        snprintf(buf, n, "%.0f", r);
}

static void status_line(query *qs, int nq, int64_t now_us)
{
    char line[512];
    size_t k = 0;
    for (int i = 0; i < nq && k < sizeof line - 100; i++) {
        query *q = &qs[i];
        char rate[32];
        fmt_rate(q->last_rate, rate, sizeof rate);
        int64_t lag = 0;
        bool known = true;
        for (int j = 0; j < q->n_in; j++) {
            const sp_source_vtab *vt = q->in[j].spec->src_vt;
            if (!vt->backlog) {
                known = false;
                continue;
            }
            lag += vt->backlog(q->in[j].src, q->in[j].offset, now_us);
        }
        k += (size_t)snprintf(line + k, sizeof line - k,
                              "%s[%s] batch %lld | %s rows/s | %llu rows",
                              i ? "  " : "", q->spec->name,
                              (long long)q->next_batch - 1, rate,
                              (unsigned long long)q->total_rows);
        if (known)
            k += (size_t)snprintf(line + k, sizeof line - k, " | lag %lld",
                                  (long long)lag);
    }
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
}

/* One trigger of one query: runs a batch if any input has new data, or a
 * re-run, or a due no-data batch. Sets *worked. */
static int step(query *q, sp_pool *pool, const sp_run_opts *o, bool *worked,
                sp_err *err)
{
    int n = q->n_in;
    int64_t *start = sp_calloc((size_t)n + 1, sizeof *start);
    int64_t *end = sp_calloc((size_t)n + 1, sizeof *end);
    if (!start || !end) {
        sp_free(start);
        sp_free(end);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    int rc = 0;
    int64_t t0 = sp_clock_mono_us();
    if (q->rerun) {
        q->rerun = false;
        for (int i = 0; i < n; i++) {
            start[i] = q->in[i].rerun_start;
            end[i] = q->in[i].rerun_end;
        }
        rc = run_batch(q, pool, o, q->next_batch, start, end, q->rerun_ts_us,
                       false, t0, err);
        *worked = true;
        goto done;
    }
    int64_t now = sp_clock_wall_us();
    sp_trigger_kind tk = o->trigger.kind;
    int limit = tk == SP_TRIGGER_ONCE ? -1 : 0;
    bool any = false, reached = true;
    for (int i = 0; i < n && !rc; i++) {
        input *in = &q->in[i];
        start[i] = in->offset;
        rc = in->spec->src_vt->next_end(in->src, q->next_batch, in->offset, now,
                                        limit, &end[i], err);
        if (rc) break;
        if (tk == SP_TRIGGER_AVAILABLE_NOW && end[i] > in->target &&
            in->target >= in->offset)
            end[i] = in->target;
        any |= end[i] > start[i];
        reached &= end[i] >= in->target;
    }
    if (rc) goto done;
    if (any || (q->need_no_data && tk != SP_TRIGGER_ONCE)) {
        rc = run_batch(q, pool, o, q->next_batch, start, end, now, true, t0,
                       err);
        *worked = true;
    }
    if (tk == SP_TRIGGER_ONCE ||
        (tk == SP_TRIGGER_AVAILABLE_NOW && reached && !q->need_no_data))
        q->done = true;
done:
    sp_free(start);
    sp_free(end);
    return rc;
}

int sp_runtime_run(sp_query_spec *specs, int nq, const sp_run_opts *opts,
                   sp_err *err)
{
    sp_run_opts oo = *opts;
    sp_sched_conf dflt;
    if (!oo.sched) {
        sp_sched_conf_init(&dflt);
        oo.sched = &dflt;
    }
    const sp_run_opts *o = &oo;
    int rc = sp_task_fault_init(err);
    if (rc) return rc;
    char tmp_root[64] = {0};
    const char *root = o->checkpoint;
    if (!root) {
        snprintf(tmp_root, sizeof tmp_root, "/tmp/spate-ckpt-XXXXXX");
        if (!mkdtemp(tmp_root))
            return sp_err_sys(err, SP_EIO, errno,
                              "cannot create a temporary checkpoint");
        root = tmp_root;
    }
    query *qs = sp_calloc((size_t)nq, sizeof *qs);
    sp_pool *pool = sp_pool_create(o->threads);
    if (!qs || !pool) {
        rc = sp_err_set(err, SP_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; o->reset_checkpoint && o->checkpoint && i < nq && !rc;
         i++) {
        char *d = path2(root, specs[i].name);
        if (sp_os_exists(d)) {
            rc = sp_os_remove_tree(d, err);
            if (!rc)
                fprintf(stderr, "spate: --reset-checkpoint: removed %s\n", d);
        }
        sp_free(d);
    }
    for (int i = 0; i < nq && !rc; i++) {
        rc = query_open(&qs[i], &specs[i], root, err);
        if (rc && !err->hint[0] && o->checkpoint)
            sp_err_detail(err, "while opening query %s in checkpoint %s",
                          specs[i].name, root);
    }
    if (rc) goto done;

    int64_t t_start = sp_clock_mono_us();
    sp_trigger tr = o->trigger;
    if (tr.kind == SP_TRIGGER_AVAILABLE_NOW)
        for (int i = 0; i < nq && !rc; i++)
            for (int k = 0; k < qs[i].n_in && !rc; k++) {
                input *in = &qs[i].in[k];
                int64_t from = qs[i].rerun ? in->rerun_end : in->offset;
                rc = in->spec->src_vt->latest(in->src, from, sp_clock_wall_us(),
                                              &in->target, err);
            }
    int64_t next_status = 0;
    int64_t last_trigger = t_start;
    while (!rc && !stopping(o, t_start)) {
        bool worked = false;
        for (int i = 0; i < nq && !rc && !stopping(o, t_start); i++)
            if (!qs[i].done) rc = step(&qs[i], pool, o, &worked, err);
        if (rc) break;
        if (o->status_line && sp_clock_mono_us() >= next_status) {
            status_line(qs, nq, sp_clock_wall_us());
            next_status = sp_clock_mono_us() + 200000;
        }
        bool finished = true;
        for (int i = 0; i < nq; i++) finished &= qs[i].done;
        if (finished) break;
        if (tr.kind == SP_TRIGGER_PROCESSING_TIME && tr.interval_us > 0) {
            /* Triggers fall on multiples of the interval; a batch that ran
             * longer than the interval is followed at once (Spark's
             * ProcessingTimeExecutor). */
            last_trigger += tr.interval_us;
            int64_t now = sp_clock_mono_us();
            if (now >= last_trigger)
                last_trigger = now;
            else
                nap(o, last_trigger - now, t_start);
        } else if (!worked) {
            nap(o, o->poll_us > 0 ? o->poll_us : 100000, t_start);
        }
    }
    if (o->status_line) {
        status_line(qs, nq, sp_clock_wall_us());
        fputc('\n', stderr);
    }
done:
    for (int i = 0; qs && i < nq; i++) query_close(&qs[i]);
    sp_free(qs);
    sp_pool_destroy(pool);
    if (tmp_root[0]) {
        sp_err e2;
        sp_err_clear(&e2);
        sp_os_remove_tree(tmp_root, &e2);
    }
    return rc;
}
