/* log_test.c -- checked files: round trip, and every damage detected. */
#include "core/json.h"
#include "core/opts.h"
#include "log/log.h"
#include "os/os.h"
#include "test.h"

#include <fcntl.h>

static void write_raw(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ASSERT(f);
    ASSERT_EQ_INT(fwrite(data, 1, n, f), n);
    fclose(f);
}

TEST(ckfile_round_trip)
{
    const char *dir = test_tmpdir("ck");
    char path[600];
    snprintf(path, sizeof path, "%s/f", dir);
    sp_err e;
    sp_err_clear(&e);
    const char *body = "{\"a\":1}\n";
    ASSERT_OK(sp_ckfile_write(path, "spate-x", body, strlen(body), &e), &e);
    char *got;
    size_t n;
    ASSERT_OK(sp_ckfile_read(path, "spate-x", &got, &n, &e), &e);
    ASSERT_EQ_STR(got, body);
    sp_free(got);
    /* a body without a final newline gets one */
    ASSERT_OK(sp_ckfile_write(path, "spate-x", "{}", 2, &e), &e);
    ASSERT_OK(sp_ckfile_read(path, "spate-x", &got, &n, &e), &e);
    ASSERT_EQ_STR(got, "{}\n");
    sp_free(got);
    /* the wrong kind is damage */
    ASSERT_EQ_INT(sp_ckfile_read(path, "spate-y", &got, &n, &e), SP_ECORRUPT);
    /* missing is not damage */
    sp_err_clear(&e);
    snprintf(path, sizeof path, "%s/none", dir);
    ASSERT_EQ_INT(sp_ckfile_read(path, "spate-x", &got, &n, &e), SP_ENOTFOUND);
}

TEST(ckfile_every_flip_and_cut_detected)
{
    const char *dir = test_tmpdir("ckflip");
    char path[600];
    snprintf(path, sizeof path, "%s/f", dir);
    sp_err e;
    sp_err_clear(&e);
    const char *body = "{\"batchId\":7,\"source\":{\"startOffset\":3}}\n";
    ASSERT_OK(sp_ckfile_write(path, "spate-offsets", body, strlen(body), &e),
              &e);
    char *orig;
    size_t n;
    ASSERT_OK(sp_os_read_file(path, &orig, &n, &e), &e);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            char *copy = malloc(n);
            memcpy(copy, orig, n);
            copy[i] ^= (char)(1 << bit);
            write_raw(path, copy, n);
            free(copy);
            char *got = NULL;
            size_t gl;
            sp_err_clear(&e);
            int rc = sp_ckfile_read(path, "spate-offsets", &got, &gl, &e);
            if (rc == 0) {
                /* only a flip that keeps the text equal could pass: none */
                TEST_FAIL_("flip of bit %d at byte %zu not detected", bit, i);
            }
            ASSERT_EQ_INT(rc, SP_ECORRUPT);
            ASSERT(strstr(e.msg, path));
        }
    }
    for (size_t cut = 0; cut < n; cut++) {
        write_raw(path, orig, cut);
        char *got;
        size_t gl;
        sp_err_clear(&e);
        ASSERT_EQ_INT(sp_ckfile_read(path, "spate-offsets", &got, &gl, &e),
                      SP_ECORRUPT);
        ASSERT(e.hint[0]);
    }
    sp_free(orig);
}

TEST(ckfile_newer_version_refused)
{
    const char *dir = test_tmpdir("ckver");
    char path[600];
    snprintf(path, sizeof path, "%s/f", dir);
    char data[128];
    int n = snprintf(data, sizeof data, "spate-x v9\n{}\n");
    uint32_t crc = sp_crc32c(0, data, (size_t)n);
    n += snprintf(data + n, sizeof data - (size_t)n, "#crc32c %08x\n", crc);
    write_raw(path, data, (size_t)n);
    sp_err e;
    sp_err_clear(&e);
    char *got;
    size_t gl;
    ASSERT_EQ_INT(sp_ckfile_read(path, "spate-x", &got, &gl, &e), SP_ECORRUPT);
    ASSERT(strstr(e.msg, "version 9"));
}

TEST(log_latest_ignores_temp_files)
{
    const char *dir = test_tmpdir("loglatest");
    sp_err e;
    sp_err_clear(&e);
    int64_t id;
    ASSERT_OK(sp_log_latest(dir, &id, &e), &e);
    ASSERT_EQ_INT(id, -1);
    for (int i = 0; i < 12; i++)
        ASSERT_OK(sp_log_write(dir, i, "k", "{}", 2, &e), &e);
    char path[600];
    snprintf(path, sizeof path, "%s/12.tmp.99", dir);
    write_raw(path, "x", 1);
    ASSERT_OK(sp_log_latest(dir, &id, &e), &e);
    ASSERT_EQ_INT(id, 11);
    ASSERT(sp_log_exists(dir, 3));
    ASSERT(!sp_log_exists(dir, 12));
    /* a missing directory is an empty log */
    snprintf(path, sizeof path, "%s/nope", dir);
    ASSERT_OK(sp_log_latest(path, &id, &e), &e);
    ASSERT_EQ_INT(id, -1);
}

TEST(atomic_write_replaces_whole)
{
    const char *dir = test_tmpdir("atomic");
    char path[600];
    snprintf(path, sizeof path, "%s/a/b/c", dir);
    sp_err e;
    sp_err_clear(&e);
    char parent[600];
    snprintf(parent, sizeof parent, "%s/a/b", dir);
    ASSERT_OK(sp_os_mkdirs(parent, &e), &e);
    ASSERT_OK(sp_os_write_atomic(path, "first", 5, &e), &e);
    ASSERT_OK(sp_os_write_atomic(path, "2nd", 3, &e), &e);
    char *d;
    size_t n;
    ASSERT_OK(sp_os_read_file(path, &d, &n, &e), &e);
    ASSERT_EQ_MEM(d, n, "2nd");
    sp_free(d);
    sp_names names;
    ASSERT_OK(sp_os_list_dir(parent, false, &names, &e), &e);
    ASSERT_EQ_INT(names.n, 1); /* no temporary file left */
    sp_os_names_free(&names);
    /* writing into a missing directory fails with the path named */
    snprintf(path, sizeof path, "%s/missing/x", dir);
    ASSERT_EQ_INT(sp_os_write_atomic(path, "x", 1, &e), SP_EIO);
    ASSERT(strstr(e.msg, "missing"));
}

TEST(json_dom)
{
    sp_arena *a = sp_arena_create(0);
    sp_err e;
    sp_err_clear(&e);
    const char *t = "{\"a\":1,\"b\":\"x\\u00e9\\n\",\"c\":[1,2.5,true,null],"
                    "\"big\":9007199254740993}";
    sp_json *j;
    ASSERT_OK(sp_json_parse(t, strlen(t), a, &j, &e), &e);
    ASSERT_EQ_INT(sp_json_get_int(j, "a", -1), 1);
    ASSERT_EQ_STR(sp_json_get_str(j, "b", NULL), "x\xc3\xa9\n");
    ASSERT_EQ_INT(sp_json_get(j, "c")->n, 4);
    ASSERT_EQ_INT(sp_json_get_int(j, "big", 0), 9007199254740993LL);
    ASSERT_EQ_INT(sp_json_get_int(j, "zz", -7), -7);
    const char *bad[] = {"{",     "{\"a\" 1}",   "[1,]x",
                         "\"abc", "{\"a\":1} x", "{\"a\":\"\\u12\"}"};
    for (size_t i = 0; i < SP_ARRAY_LEN(bad); i++) {
        sp_err_clear(&e);
        ASSERT_EQ_INT(sp_json_parse(bad[i], strlen(bad[i]), a, &j, &e),
                      SP_EDATA);
    }
    sp_arena_destroy(a);
}

TEST(options_check_and_suggest)
{
    static const sp_opt_def defs[] = {
        {"path", SP_OPT_STR, NULL, true, NULL, "dir"},
        {"max_files_per_trigger", SP_OPT_INT, NULL, false, NULL, ""},
        {"on_error", SP_OPT_ENUM, "skip", false, "skip|fail", ""},
        {"flag", SP_OPT_BOOL, "false", false, NULL, ""},
        {"every", SP_OPT_INTERVAL, NULL, false, NULL, ""},
        {0}};
    ASSERT(sp_opt_find(defs, "PATH"));
    ASSERT(!sp_opt_find(defs, "paths"));
    ASSERT_EQ_STR(sp_opt_suggest(defs, "max_file_per_trigger"),
                  "max_files_per_trigger");
    ASSERT(sp_opt_suggest(defs, "completely_else") == NULL);
    ASSERT(sp_opt_check(&defs[1], "12") == NULL);
    ASSERT(sp_opt_check(&defs[1], "-1") != NULL);
    ASSERT(sp_opt_check(&defs[1], "many") != NULL);
    ASSERT(sp_opt_check(&defs[2], "FAIL") == NULL);
    ASSERT(sp_opt_check(&defs[2], "ignore") != NULL);
    ASSERT(sp_opt_check(&defs[3], "true") == NULL);
    ASSERT(sp_opt_check(&defs[3], "yes") != NULL);
    ASSERT(sp_opt_check(&defs[4], "10 seconds") == NULL);
    ASSERT(sp_opt_check(&defs[4], "soon") != NULL);
    ASSERT_EQ_INT(sp_edit_distance("kitten", "sitting"), 3);
}

int main(int argc, char **argv)
{
    return test_main(
        argc, argv,
        (test_case[]){TEST_CASE(ckfile_round_trip),
                      TEST_CASE(ckfile_every_flip_and_cut_detected),
                      TEST_CASE(ckfile_newer_version_refused),
                      TEST_CASE(log_latest_ignores_temp_files),
                      TEST_CASE(atomic_write_replaces_whole),
                      TEST_CASE(json_dom),
                      TEST_CASE(options_check_and_suggest),
                      {0}});
}
