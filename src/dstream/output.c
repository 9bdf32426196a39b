/*
 * output.c -- output operations: print(n), foreachRDD, saveAsTextFiles.
 *
 * print and foreachRDD run on the driver (the batch thread), as in Spark.
 * saveAsTextFiles writes one part file per partition as a task on the pool
 * (each written atomically, so a retried or speculative task rewrites the
 * same bytes), then _SUCCESS.
 */
#include "dstream/dstreamInt.h"

#include "os/os.h"

#include <string.h>

static int fmt_rec(sp_buf *b, const spate_val_t *v)
{
    char tmp[256];
    size_t n = spate_val_format(v, tmp, sizeof tmp);
    if (n < sizeof tmp) return sp_buf_append(b, tmp, n);
    if (sp_buf_reserve(b, n + 1)) return SP_ENOMEM;
    spate_val_format(v, b->data + b->len, n + 1);
    b->len += n;
    return 0;
}

static int do_print(spate_ssc_t *ssc, doutput *o, spate_rdd_t *r)
{
    sp_buf b;
    sp_buf_init(&b);
    int rc = sp_buf_printf(&b,
                           "-------------------------------------------\n"
                           "Time: %lld ms\n"
                           "-------------------------------------------\n",
                           (long long)r->time);
    size_t shown = 0, total = spate_rdd_count(r);
    for (int p = 0; p < r->n_parts && !rc && shown < (size_t)o->n; p++)
        for (uint32_t i = 0; i < r->parts[p].n && shown < (size_t)o->n; i++) {
            rc = fmt_rec(&b, &r->parts[p].recs[i]);
            if (!rc) rc = sp_buf_putc(&b, '\n');
            shown++;
        }
    if (!rc && total > (size_t)o->n) rc = sp_buf_puts(&b, "...\n");
    if (!rc) rc = sp_buf_putc(&b, '\n');
    if (!rc) {
        fwrite(b.data, 1, b.len, ssc->out);
        fflush(ssc->out);
    }
    sp_buf_free(&b);
    return rc;
}

typedef struct save_ud {
    spate_rdd_t *r;
    const char *dir;
} save_ud;

static void discard_none(void *p)
{
    SP_UNUSED(p);
}

static int save_run(djob *j, int i, _Atomic int *killed, void **out,
                    sp_err *err)
{
    save_ud *s = j->ud;
    *out = NULL;
    const dpart *p = &s->r->parts[i];
    sp_buf b;
    sp_buf_init(&b);
    int rc = 0;
    for (uint32_t k = 0; k < p->n && !rc; k++) {
        rc = fmt_rec(&b, &p->recs[k]);
        if (!rc) rc = sp_buf_putc(&b, '\n');
    }
    if (rc) {
        sp_buf_free(&b);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/part-%05d", s->dir, i);
    rc = sp_os_write_atomic(path, b.data ? b.data : "", b.len, err);
    sp_buf_free(&b);
    return rc;
}

static int do_save(spate_ssc_t *ssc, doutput *o, spate_rdd_t *r, sp_err *err)
{
    char dir[4096];
    int n = snprintf(dir, sizeof dir, "%s%s%lld", o->prefix,
                     o->prefix[0] ? "-" : "", (long long)r->time);
    if (o->suffix[0])
        snprintf(dir + n, sizeof dir - (size_t)n, ".%s", o->suffix);
    int rc = sp_os_mkdirs(dir, err);
    if (rc) return rc;
    save_ud s = {r, dir};
    void **outs =
        sp_calloc((size_t)(r->n_parts ? r->n_parts : 1), sizeof *outs);
    if (!outs) return sp_err_set(err, SP_ENOMEM, "out of memory");
    djob j = {"saveAsTextFiles", o->ds->id,    r->time, r->n_parts,
              save_run,          discard_none, &s,      outs};
    rc = sp_dsched_run(ssc, &j, err);
    sp_free(outs);
    if (rc) return rc;
    char path[4200];
    snprintf(path, sizeof path, "%s/_SUCCESS", dir);
    return sp_os_write_atomic(path, "", 0, err);
}

int sp_doutput_run(spate_ssc_t *ssc, doutput *o, spate_rdd_t *r, sp_err *err)
{
    switch (o->kind) {
    case DOUT_PRINT:
        if (do_print(ssc, o, r))
            return sp_err_set(err, SP_ENOMEM, "out of memory printing");
        return 0;
    case DOUT_FOREACH: {
        int rc = o->fn(r, r->time, o->ud);
        if (rc < 0)
            return sp_err_set(err, rc > -100 ? rc : SP_EINTERNAL,
                              "foreachRDD callback failed (%d) at %lld ms", rc,
                              (long long)r->time);
        return 0;
    }
    case DOUT_SAVE:
        return do_save(ssc, o, r, err);
    }
    return 0;
}
