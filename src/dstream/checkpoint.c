/*
 * checkpoint.c -- metadata and data checkpoints of a StreamingContext, and
 * get-or-create recovery.
 *
 *   <checkpoint>/dstream/metadata        checked file "dstream-meta": the
 *       graph fingerprint, batch interval, zero time, the last completed
 *       batch, the time of the last data checkpoint and the manifest of
 *       its RDD files
 *   <checkpoint>/dstream/rdd/<stream>/<t>  checked file "dstream-rdd": one
 *       RDD in a binary encoding (partitions, records, mapWithState times)
 *
 * A data checkpoint at t (every checkpoint interval, at batch times where
 * t - zero is a multiple of it) writes the RDD at t of every stateful
 * stream (updateStateByKey, mapWithState, reduceByKeyAndWindow with an
 * inverse) and, for the last, the parent RDDs still inside its window, so
 * the first windows after recovery subtract what leaves them. Then the
 * metadata names exactly those files (recovery reads the manifest, never a
 * directory listing) and older RDD files are removed.
 *
 * Recovery restores those RDDs and the clock: the next batch is the one
 * after the data checkpoint. Callbacks cannot be serialized, so the graph
 * is rebuilt by the program and compared with the recorded fingerprint.
 */
#include "dstream/dstreamInt.h"

#include "core/json.h"
#include "log/log.h"
#include "os/os.h"

#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Value encoding: kind byte; BOOL 1 byte; INT/DOUBLE 8 bytes; STR/BYTES
 * u32 length + bytes; TUPLE u32 arity + items. Little-endian host order
 * (checkpoints are not portable across byte orders).
 * ---------------------------------------------------------------------- */

static int enc_val(sp_buf *b, const spate_val_t *v)
{
    int rc = sp_buf_putc(b, (char)v->kind);
    switch (v->kind) {
    case SPATE_V_NULL:
        break;
    case SPATE_V_BOOL:
        if (!rc) rc = sp_buf_putc(b, (char)v->u.b);
        break;
    case SPATE_V_INT:
    case SPATE_V_DOUBLE:
        if (!rc) rc = sp_buf_append(b, &v->u.i, 8);
        break;
    case SPATE_V_STR:
    case SPATE_V_BYTES:
        if (!rc) rc = sp_buf_append(b, &v->len, 4);
        if (!rc && v->len) rc = sp_buf_append(b, v->u.s, v->len);
        break;
    case SPATE_V_TUPLE:
        if (!rc) rc = sp_buf_append(b, &v->len, 4);
        for (uint32_t i = 0; i < v->len && !rc; i++)
            rc = enc_val(b, &v->u.items[i]);
        break;
    }
    return rc;
}

typedef struct dec {
    const char *p, *end;
    sp_arena *a;
    bool bad;
} dec;

static bool take(dec *d, void *out, size_t n)
{
    if ((size_t)(d->end - d->p) < n) {
        d->bad = true;
        return false;
    }
    memcpy(out, d->p, n);
    d->p += n;
    return true;
}

static spate_val_t dec_val(dec *d, int depth)
{
    spate_val_t v = spate_null();
    uint8_t k;
    if (depth > 64 || !take(d, &k, 1)) {
        d->bad = true;
        return v;
    }
    v.kind = k;
    switch (k) {
    case SPATE_V_NULL:
        break;
    case SPATE_V_BOOL: {
        uint8_t x = 0;
        take(d, &x, 1);
        v.u.b = x != 0;
        break;
    }
    case SPATE_V_INT:
    case SPATE_V_DOUBLE:
        take(d, &v.u.i, 8);
        break;
    case SPATE_V_STR:
    case SPATE_V_BYTES: {
        if (!take(d, &v.len, 4) || (size_t)(d->end - d->p) < v.len) {
            d->bad = true;
            break;
        }
        char *s = sp_arena_alloc(d->a, v.len ? v.len : 1);
        if (!s) {
            d->bad = true;
            break;
        }
        memcpy(s, d->p, v.len);
        d->p += v.len;
        v.u.s = s;
        break;
    }
    case SPATE_V_TUPLE: {
        if (!take(d, &v.len, 4) || v.len > (size_t)(d->end - d->p)) {
            d->bad = true;
            break;
        }
        spate_val_t *it =
            sp_arena_alloc(d->a, sizeof *it * (v.len ? v.len : 1));
        if (!it) {
            d->bad = true;
            break;
        }
        for (uint32_t i = 0; i < v.len; i++) it[i] = dec_val(d, depth + 1);
        v.u.items = it;
        break;
    }
    default:
        d->bad = true;
    }
    return v;
}

/* ------------------------------------------------------------------------
 * RDD files
 * ---------------------------------------------------------------------- */

static int write_rdd(const char *dir, const spate_rdd_t *r, sp_err *err)
{
    sp_buf b;
    sp_buf_init(&b);
    uint32_t np = (uint32_t)r->n_parts;
    int rc = sp_buf_append(&b, &np, 4);
    for (int p = 0; p < r->n_parts && !rc; p++) {
        const dpart *d = &r->parts[p];
        uint8_t has_tm = d->tm != NULL;
        rc = sp_buf_append(&b, &d->n, 4);
        if (!rc) rc = sp_buf_append(&b, &has_tm, 1);
        for (uint32_t i = 0; i < d->n && !rc; i++)
            rc = enc_val(&b, &d->recs[i]);
        if (!rc && has_tm) rc = sp_buf_append(&b, d->tm, 8 * (size_t)d->n);
    }
    if (rc) {
        sp_buf_free(&b);
        return sp_err_set(err, SP_ENOMEM, "out of memory writing a checkpoint");
    }
    rc = sp_os_mkdirs(dir, err);
    char path[4096];
    snprintf(path, sizeof path, "%s/%lld", dir, (long long)r->time);
    if (!rc) rc = sp_ckfile_write(path, "dstream-rdd", b.data, b.len, err);
    sp_buf_free(&b);
    return rc;
}

static int read_rdd(const char *path, int64_t t, spate_rdd_t **out, sp_err *err)
{
    char *body;
    size_t len;
    int rc = sp_ckfile_read(path, "dstream-rdd", &body, &len, err);
    if (rc) return rc;
    dec d = {body, body + len, NULL, false};
    uint32_t np = 0;
    spate_rdd_t *r = NULL;
    if (take(&d, &np, 4) && np < 1u << 20) r = sp_drdd_new(t, (int)np);
    for (uint32_t p = 0; r && p < np && !d.bad; p++) {
        dpart *dp = &r->parts[p];
        uint32_t n = 0;
        uint8_t has_tm = 0;
        if (!take(&d, &n, 4) || !take(&d, &has_tm, 1)) break;
        d.a = sp_dpart_arena(dp);
        if (!d.a) {
            d.bad = true;
            break;
        }
        for (uint32_t i = 0; i < n && !d.bad; i++) {
            spate_val_t v = dec_val(&d, 0);
            if (!d.bad && sp_dpart_push(dp, &v)) d.bad = true;
        }
        if (has_tm && !d.bad) {
            dp->tm = sp_malloc(8 * (size_t)(n ? n : 1));
            if (!dp->tm || !take(&d, dp->tm, 8 * (size_t)n)) d.bad = true;
        }
    }
    sp_free(body);
    if (!r || d.bad) {
        sp_drdd_unref(r);
        sp_err_set(err, SP_ECORRUPT, "checkpoint file %s does not decode",
                   path);
        sp_err_hint(err, "the checkpoint was written by another build or "
                         "changed; start with a new checkpoint directory");
        return SP_ECORRUPT;
    }
    *out = r;
    return 0;
}

/* ------------------------------------------------------------------------
 * Metadata
 * ---------------------------------------------------------------------- */

static void fingerprint(spate_ssc_t *ssc, sp_buf *b)
{
    sp_buf_printf(b, "batch=%lld", (long long)ssc->o.batch_ms);
    for (int s = 0; s < ssc->n_streams; s++) {
        spate_dstream_t *ds = ssc->streams[s];
        sp_buf_printf(b, ";%d:%s:%lld:%lld:%d", ds->id, sp_dkind_name(ds->kind),
                      (long long)ds->slide, (long long)ds->window, ds->n_parts);
        for (int p = 0; p < ds->n_parents; p++)
            sp_buf_printf(b, ":p%d", ds->parent[p]->id);
    }
}

static bool stateful(const spate_dstream_t *ds)
{
    return ds->kind == DK_STATE || ds->kind == DK_MWS || ds->kind == DK_REDWIN;
}

static char *ckpath(sp_arena *a, spate_ssc_t *ssc, const char *rest)
{
    return sp_arena_printf(a, "%s/dstream%s%s", ssc->o.checkpoint,
                           rest[0] ? "/" : "", rest);
}

/* Writes the RDD files of a data checkpoint at t; appends the manifest
 * entries "[id,t]" to m. */
static int write_data(spate_ssc_t *ssc, int64_t t, sp_arena *a, sp_buf *m,
                      sp_err *err)
{
    int rc = 0, n = 0;
    for (int s = 0; s < ssc->n_streams && !rc; s++) {
        spate_dstream_t *ds = ssc->streams[s];
        if (!stateful(ds)) continue;
        for (int k = 0; k < 2 && !rc; k++) {
            /* k = 0: the stream at t; k = 1: a windowed reduce's parent
             * RDDs inside (t - window, t]. */
            spate_dstream_t *w = k ? ds->parent[0] : ds;
            if (k && ds->kind != DK_REDWIN) break;
            char *dir = ckpath(a, ssc, sp_arena_printf(a, "rdd/%d", w->id));
            for (int i = 0; i < w->n_rdds && !rc; i++) {
                spate_rdd_t *r = w->rdds[i];
                bool want =
                    k ? r->time > t - ds->window && r->time <= t : r->time == t;
                if (!want) continue;
                rc = write_rdd(dir, r, err);
                sp_buf_printf(m, "%s[%d,%lld]", n++ ? "," : "", w->id,
                              (long long)r->time);
            }
        }
    }
    return rc;
}

/* Removes RDD files not named in the manifest body. */
static void clean_rdds(spate_ssc_t *ssc, sp_arena *a, const char *manifest)
{
    sp_names ids;
    sp_err e;
    sp_err_clear(&e);
    char *root = ckpath(a, ssc, "rdd");
    if (sp_os_list_dir(root, true, &ids, &e)) return;
    for (size_t i = 0; i < ids.n; i++) {
        char *dir = sp_os_join(a, root, ids.names[i]);
        sp_names ts;
        if (sp_os_list_dir(dir, true, &ts, &e)) continue;
        for (size_t k = 0; k < ts.n; k++) {
            char key[128];
            snprintf(key, sizeof key, "[%s,%s]", ids.names[i], ts.names[k]);
            if (!strstr(manifest, key)) unlink(sp_os_join(a, dir, ts.names[k]));
        }
        sp_os_names_free(&ts);
    }
    sp_os_names_free(&ids);
}

int sp_dckpt_after_batch(spate_ssc_t *ssc, int64_t t, sp_err *err)
{
    if (!ssc->o.checkpoint) return 0;
    if ((t - ssc->zero) % ssc->ckpt_interval != 0) return 0;
    sp_arena *a = sp_arena_create(4096);
    if (!a) return sp_err_set(err, SP_ENOMEM, "out of memory");
    sp_buf m, body;
    sp_buf_init(&m);
    sp_buf_init(&body);
    int rc = write_data(ssc, t, a, &m, err);
    if (!rc) {
        sp_buf fp;
        sp_buf_init(&fp);
        fingerprint(ssc, &fp);
        sp_buf_puts(&body, "{\"graph\":");
        sp_buf_json_str(&body, fp.data ? fp.data : "", fp.len);
        sp_buf_printf(&body,
                      ",\"batch_ms\":%lld,\"zero\":%lld,\"time\":%lld,"
                      "\"rdds\":[%s],\"files\":[",
                      (long long)ssc->o.batch_ms, (long long)ssc->zero,
                      (long long)t, m.data ? m.data : "");
        /* File streams: the names read as of t, [[id,[names]],...]. */
        for (int s = 0, k = 0; s < ssc->n_streams && !rc; s++) {
            spate_dstream_t *ds = ssc->streams[s];
            if (ds->kind != DK_FILE) continue;
            sp_buf_printf(&body, "%s[%d,", k++ ? "," : "", ds->id);
            rc = sp_dfile_encode(ds, t, &body);
            if (!rc) rc = sp_buf_putc(&body, ']');
        }
        if (!rc) rc = sp_buf_puts(&body, "]}\n");
        if (rc) rc = sp_err_set(err, SP_ENOMEM, "out of memory");
        sp_buf_free(&fp);
        char *dir = ckpath(a, ssc, "");
        rc = sp_os_mkdirs(dir, err);
        if (!rc)
            rc = sp_ckfile_write(sp_os_join(a, dir, "metadata"), "dstream-meta",
                                 body.data, body.len, err);
        if (!rc) clean_rdds(ssc, a, body.data);
    }
    sp_buf_free(&m);
    sp_buf_free(&body);
    sp_arena_destroy(a);
    return rc;
}

/* Restores the clock and the RDDs of the metadata; 0 with *found = false
 * when there is none. */
static int recover(spate_ssc_t *ssc, bool *found, sp_err *err)
{
    *found = false;
    sp_arena *a = sp_arena_create(4096);
    if (!a) return sp_err_set(err, SP_ENOMEM, "out of memory");
    char *path = ckpath(a, ssc, "metadata");
    char *body = NULL;
    size_t len;
    int rc = sp_ckfile_read(path, "dstream-meta", &body, &len, err);
    if (rc == SP_ENOTFOUND) {
        sp_err_clear(err);
        sp_arena_destroy(a);
        return 0;
    }
    sp_json *j = NULL;
    if (!rc) rc = sp_json_parse(body, len, a, &j, err);
    if (!rc) {
        sp_buf fp;
        sp_buf_init(&fp);
        fingerprint(ssc, &fp);
        const char *was = sp_json_get_str(j, "graph", "");
        if (strcmp(was, fp.data ? fp.data : "") != 0) {
            rc = sp_err_set(err, SP_EINVAL,
                            "the DStream graph differs from the one in the "
                            "checkpoint %s",
                            ssc->o.checkpoint);
            sp_err_detail(err, "checkpoint: %s; now: %s", was,
                          fp.data ? fp.data : "");
            sp_err_hint(err, "recover with the same program, or use a new "
                             "checkpoint directory");
        }
        sp_buf_free(&fp);
    }
    if (!rc) {
        ssc->rec_zero = sp_json_get_int(j, "zero", 0);
        int64_t t = sp_json_get_int(j, "time", 0);
        ssc->rec_next = t + ssc->o.batch_ms;
        ssc->zero = ssc->rec_zero; /* for valid-time checks */
        const sp_json *rd = sp_json_get(j, "rdds");
        for (const sp_json *e = rd ? rd->child : NULL; e && !rc; e = e->next) {
            if (e->kind != SP_JSON_ARR || e->n != 2) continue;
            int id = (int)e->child->i;
            int64_t rt = e->child->next->i;
            if (id < 1 || id > ssc->n_streams) {
                rc = sp_err_set(err, SP_ECORRUPT, "bad stream id in %s", path);
                break;
            }
            char *f = ckpath(
                a, ssc, sp_arena_printf(a, "rdd/%d/%lld", id, (long long)rt));
            spate_rdd_t *r;
            rc = read_rdd(f, rt, &r, err);
            if (!rc && sp_dstream_put(ssc->streams[id - 1], r))
                rc = sp_err_set(err, SP_ENOMEM, "out of memory");
        }
        const sp_json *fs = sp_json_get(j, "files");
        for (const sp_json *e = fs ? fs->child : NULL; e && !rc; e = e->next) {
            if (e->kind != SP_JSON_ARR || e->n != 2) continue;
            int id = (int)e->child->i;
            if (id < 1 || id > ssc->n_streams ||
                ssc->streams[id - 1]->kind != DK_FILE) {
                rc = sp_err_set(err, SP_ECORRUPT, "bad stream id in %s", path);
                break;
            }
            if (sp_dfile_restore(ssc->streams[id - 1], e->child->next))
                rc = sp_err_set(err, SP_ENOMEM, "out of memory");
        }
        *found = !rc;
    }
    sp_free(body);
    sp_arena_destroy(a);
    return rc;
}

SPATE_EXTERN int spate_ssc_get_or_create(const spate_ssc_options_t *o,
                                         spate_create_fn create, void *ud,
                                         spate_ssc_t **out, int *recovered,
                                         spate_error_t *perr)
{
    sp_err err;
    sp_err_clear(&err);
    if (!o || !o->checkpoint || !create) {
        sp_err_set(&err, SP_EINVAL,
                   "get-or-create needs a checkpoint directory and a create "
                   "function");
        if (perr) memcpy(perr, &err, sizeof *perr);
        return SP_EINVAL;
    }
    spate_ssc_t *ssc;
    int rc = spate_ssc_create(o, &ssc, perr);
    if (rc) return rc;
    rc = create(ssc, ud);
    if (!rc && ssc->gerr.code) rc = ssc->gerr.code;
    if (rc) {
        if (ssc->gerr.code)
            err = ssc->gerr;
        else
            sp_err_set(&err, rc, "the create function failed (%d)", rc);
        goto fail;
    }
    bool found;
    rc = recover(ssc, &found, &err);
    if (rc) goto fail;
    ssc->recovered = found;
    if (recovered) *recovered = found;
    *out = ssc;
    return 0;
fail:
    if (perr) memcpy(perr, &err, sizeof *perr);
    spate_ssc_destroy(ssc);
    return rc;
}
