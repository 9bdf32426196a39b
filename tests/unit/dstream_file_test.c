/*
 * dstream_file_test.c -- the file directory input stream (Spark's
 * textFileStream) with a manual clock: new files become the batch's
 * records, a line each, each file once, in name order; hidden names,
 * subdirectories and files there before start are skipped.
 */
#include "spate.h"
#include "test.h"

#include <fcntl.h>
#include <sys/stat.h>

#define OKP(expr, e)                                                           \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        if (rc_) TEST_FAIL_("%s failed: %d: %s", #expr, rc_, (e)->message);    \
    } while (0)

/* Each batch as "T:p<parts>:[records in order]" (records not sorted: the
 * order is part of the contract). */
typedef struct coll {
    char buf[1 << 14];
    size_t len;
} coll;

static int collect(const spate_rdd_t *r, int64_t t, void *ud)
{
    coll *c = ud;
    c->len +=
        (size_t)snprintf(c->buf + c->len, sizeof c->buf - c->len, "%lld:p%d:[",
                         (long long)t, spate_rdd_num_partitions(r));
    for (size_t i = 0; i < spate_rdd_count(r); i++) {
        char tmp[256];
        spate_val_format(spate_rdd_get(r, i), tmp, sizeof tmp);
        c->len += (size_t)snprintf(c->buf + c->len, sizeof c->buf - c->len,
                                   "%s%s", i ? "|" : "", tmp);
    }
    c->len += (size_t)snprintf(c->buf + c->len, sizeof c->buf - c->len, "]\n");
    return 0;
}

static void put(const char *dir, const char *name, const char *body)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ASSERT(f);
    fputs(body, f);
    fclose(f);
}

/* Written under a hidden name, then renamed into place (the protocol a
 * writer should follow). */
static void put_atomic(const char *dir, const char *name, const char *body)
{
    char tmp[700], path[700];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(tmp, "w");
    ASSERT(f);
    fputs(body, f);
    fclose(f);
    ASSERT(rename(tmp, path) == 0);
}

static spate_ssc_t *mk(void)
{
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 1000;
    o.manual_clock = 1;
    o.threads = 2;
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_create(&o, &ssc, &err), &err);
    return ssc;
}

static void advance(spate_ssc_t *ssc, int64_t ms)
{
    spate_error_t err;
    OKP(spate_ssc_advance(ssc, ms, &err), &err);
}

static void start(spate_ssc_t *ssc)
{
    spate_error_t err;
    OKP(spate_ssc_start(ssc, &err), &err);
}

TEST(new_files_become_batches)
{
    const char *dir = test_tmpdir("dstream_files");
    put(dir, "old.txt", "before start\n");
    spate_ssc_t *ssc = mk();
    spate_dstream_t *in = spate_ssc_text_file_stream(ssc, dir, 1);
    ASSERT(in);
    static coll c;
    spate_dstream_foreach_rdd(in, collect, &c);
    start(ssc);
    /* Batch 1000: two files, in name order whatever the creation order;
     * a last line without '\n', CRLF, an empty line. */
    put(dir, "b.txt", "b1\r\nb2");
    put(dir, "a.txt", "a1\n\na3\n");
    put(dir, ".hidden", "skipped\n");
    put(dir, "_SUCCESS", "skipped\n");
    char sub[700];
    snprintf(sub, sizeof sub, "%s/subdir", dir);
    mkdir(sub, 0755);
    put(sub, "inner.txt", "skipped\n");
    advance(ssc, 1000);
    /* Batch 2000: one new file, named before the ones already read; a.txt
     * rewritten in place is not read again. */
    put_atomic(dir, "a0.txt", "x\ny\n");
    put(dir, "a.txt", "changed\n");
    advance(ssc, 1000);
    /* Batch 3000: nothing new: an empty batch. Batch 4000: an empty file
     * and another. */
    advance(ssc, 1000);
    put(dir, "c.txt", "");
    put_atomic(dir, "d.txt", "d1\n");
    advance(ssc, 1000);
    ASSERT_EQ_STR(c.buf, "1000:p2:[a1||a3|b1|b2]\n"
                         "2000:p1:[x|y]\n"
                         "3000:p1:[]\n"
                         "4000:p2:[d1]\n");
    spate_ssc_destroy(ssc);
}

TEST(existing_files_with_new_files_only_off)
{
    const char *dir = test_tmpdir("dstream_files_all");
    put(dir, "1.log", "one\n");
    put(dir, "2.log", "two\nthree\n");
    spate_ssc_t *ssc = mk();
    spate_dstream_t *in = spate_ssc_text_file_stream(ssc, dir, 0);
    static coll c;
    spate_dstream_foreach_rdd(spate_dstream_count(in), collect, &c);
    start(ssc);
    advance(ssc, 2000);
    /* A name that left the directory is forgotten: a file created again
     * under it is new. */
    char path[700];
    snprintf(path, sizeof path, "%s/1.log", dir);
    ASSERT(unlink(path) == 0);
    advance(ssc, 1000);
    put(dir, "1.log", "again\n");
    advance(ssc, 1000);
    ASSERT_EQ_STR(c.buf, "1000:p1:[3]\n2000:p1:[0]\n3000:p1:[0]\n"
                         "4000:p1:[1]\n");
    spate_ssc_destroy(ssc);
}

TEST(missing_directory_and_word_count)
{
    const char *base = test_tmpdir("dstream_files_late");
    char dir[700];
    snprintf(dir, sizeof dir, "%s/in", base);
    spate_ssc_t *ssc = mk();
    spate_dstream_t *in = spate_ssc_text_file_stream(ssc, dir, 1);
    static coll c;
    spate_dstream_foreach_rdd(spate_dstream_count_by_value(in, 1), collect, &c);
    start(ssc); /* the directory does not exist yet: no files */
    advance(ssc, 1000);
    mkdir(dir, 0755);
    put(dir, "f1", "x\ny\nx\n");
    advance(ssc, 1000);
    ASSERT_EQ_STR(c.buf, "1000:p1:[]\n2000:p1:[(x,2)|(y,1)]\n");
    spate_ssc_destroy(ssc);
}

TEST(many_files_each_once)
{
    /* 200 files over 4 batches, in a shuffled creation order: every line
     * once, and a batch's files in name order. */
    const char *dir = test_tmpdir("dstream_files_many");
    spate_ssc_t *ssc = mk();
    spate_dstream_t *in = spate_ssc_text_file_stream(ssc, dir, 1);
    static coll c;
    spate_dstream_foreach_rdd(spate_dstream_count(in), collect, &c);
    static int seen[200];
    start(ssc);
    unsigned seed = 11;
    for (int b = 0; b < 4; b++) {
        int ids[50];
        for (int i = 0; i < 50; i++) ids[i] = b * 50 + i;
        for (int i = 49; i > 0; i--) {
            seed = seed * 1103515245u + 12345u;
            int j = (int)((seed >> 16) % (unsigned)(i + 1)), t = ids[i];
            ids[i] = ids[j];
            ids[j] = t;
        }
        for (int i = 0; i < 50; i++) {
            char name[32], body[64];
            snprintf(name, sizeof name, "f%04d", ids[i]);
            snprintf(body, sizeof body, "%d\n%d\n", ids[i], ids[i]);
            put_atomic(dir, name, body);
        }
        advance(ssc, 1000);
    }
    ASSERT_EQ_STR(c.buf, "1000:p1:[100]\n2000:p1:[100]\n3000:p1:[100]\n"
                         "4000:p1:[100]\n");
    spate_ssc_destroy(ssc);

    /* Again, checking lines and order through a second context. */
    const char *dir2 = test_tmpdir("dstream_files_many2");
    ssc = mk();
    in = spate_ssc_text_file_stream(ssc, dir2, 1);
    static coll c2;
    spate_dstream_foreach_rdd(in, collect, &c2);
    start(ssc);
    for (int i = 199; i >= 0; i--) {
        char name[32], body[32];
        snprintf(name, sizeof name, "f%04d", i);
        snprintf(body, sizeof body, "%d\n", i);
        put_atomic(dir2, name, body);
    }
    advance(ssc, 1000);
    advance(ssc, 1000);
    /* "1000:p200:[0|1|...|199]\n2000:p1:[]\n" */
    const char *p = strchr(c2.buf, '[') + 1;
    for (int i = 0; i < 200; i++) {
        int v = (int)strtol(p, (char **)&p, 10);
        ASSERT(v >= 0 && v < 200);
        seen[v]++;
        ASSERT_EQ_INT(v, i);
        p++;
    }
    for (int i = 0; i < 200; i++) ASSERT_EQ_INT(seen[i], 1);
    ASSERT(strstr(c2.buf, "1000:p200:["));
    ASSERT(strstr(c2.buf, "2000:p1:[]\n"));
    spate_ssc_destroy(ssc);
}

static coll g_rc;
static int build_files(spate_ssc_t *ssc, void *ud)
{
    spate_dstream_t *in = spate_ssc_text_file_stream(ssc, ud, 1);
    return spate_dstream_foreach_rdd(in, collect, &g_rc);
}

static spate_ssc_t *recover_ctx(const char *ckpt, char *dir, int *recovered)
{
    spate_ssc_options_t o;
    spate_ssc_options_init(&o);
    o.batch_ms = 1000;
    o.manual_clock = 1;
    o.threads = 2;
    o.checkpoint = ckpt;
    o.checkpoint_interval_ms = 1000; /* every batch */
    spate_ssc_t *ssc;
    spate_error_t err;
    OKP(spate_ssc_get_or_create(&o, build_files, dir, &ssc, recovered, &err),
        &err);
    OKP(spate_ssc_start(ssc, &err), &err);
    return ssc;
}

TEST(recovery_reads_each_file_once)
{
    const char *base = test_tmpdir("dstream_files_ckpt");
    char dir[700], ckpt[700];
    snprintf(dir, sizeof dir, "%s/in", base);
    snprintf(ckpt, sizeof ckpt, "%s/ckpt", base);
    mkdir(dir, 0755);
    put(dir, "old", "o\n");
    int recovered;
    spate_ssc_t *ssc = recover_ctx(ckpt, dir, &recovered);
    ASSERT_EQ_INT(recovered, 0);
    put(dir, "a", "a\n");
    advance(ssc, 1000);
    put(dir, "b", "b\n");
    advance(ssc, 1000);
    spate_ssc_destroy(ssc); /* as if killed after the checkpoint at 2000 */
    put(dir, "c", "c\n");   /* arrived while the program was down */
    ssc = recover_ctx(ckpt, dir, &recovered);
    ASSERT_EQ_INT(recovered, 1);
    advance(ssc, 1000);
    ASSERT_EQ_STR(g_rc.buf, "1000:p1:[a]\n2000:p1:[b]\n3000:p1:[c]\n");
    spate_ssc_destroy(ssc);
}

TEST(needs_a_directory)
{
    spate_ssc_t *ssc = mk();
    ASSERT(spate_ssc_text_file_stream(ssc, "", 1) == NULL);
    spate_error_t err;
    ASSERT_EQ_INT(spate_ssc_error(ssc, &err), SPATE_EINVAL);
    ASSERT(strstr(err.message, "textFileStream needs a directory"));
    spate_ssc_destroy(ssc);
}

int main(int argc, char **argv)
{
    return test_main(
        argc, argv,
        (test_case[]){TEST_CASE(new_files_become_batches),
                      TEST_CASE(existing_files_with_new_files_only_off),
                      TEST_CASE(missing_directory_and_word_count),
                      TEST_CASE(many_files_each_once),
                      TEST_CASE(recovery_reads_each_file_once),
                      TEST_CASE(needs_a_directory),
                      {0}});
}
