/*
 * json_libs_bench.c -- spate's JSON-lines reader against the JSON parsers
 * Debian ships, on one core, doing the same job on the same bytes.
 *
 * Input: YSB events as JSON lines in memory, from fmt_bench.c's generator
 * (the same bytes for the same N: `{"user_id": "<uuid>", ...}` with ", "
 * separators, about 258 bytes a line), or any file of such lines with
 * --file (for example one written by ysb_gen: no spaces, ~245 bytes).
 * SIMDJSON_PADDING (64) zero bytes follow the buffer, as simdjson needs;
 * the others never read them.
 *
 * The job, for every parser: parse every line and put its 7 fields into
 * column arrays in batches of SP_BATCH_ROWS (4096) rows -- the 6 strings
 * as pointer + length, event_time as int64 -- counting the rows. A string
 * is a view into the input where the library hands out such a pointer,
 * else a copy into a per-batch arena (json_libs.h). Each parser is used as
 * its documentation recommends for speed:
 *
 *   spate          sp_reader_parse (src/io/format.h) into an sp_batch,
 *                  exactly as fmt_bench's "full" schema: key-order cache,
 *                  SIMD string scan, views (copies only for escapes).
 *   simdjson       On Demand, iterate_many, get_string() copied.
 *   simdjson-views the same with views (raw_json_token) as spate makes.
 *   yajl           event callbacks over the whole buffer; views where yajl
 *                  points into the input.
 *   jansson        json_loadb per line, a tree; strings copied.
 *   json-c         json_tokener_parse_ex per line, a tree; strings copied.
 *
 * The adapters' header comments give the details. A library is built in
 * only when pkg-config found it at configure time (CMakeLists.txt); the
 * "built in" line says which are.
 *
 * Before timing, one pass of every parser checksums every value of every
 * row, and the run fails unless each parser's row count and checksum equal
 * spate's. Then the passes are interleaved (spate, simdjson, ..., again)
 * so that a busy moment on a shared machine hits all parsers alike, and
 * the best of --reps passes is reported: MB/s of input, M rows/s, and the
 * throughput relative to spate's (0.25 = a quarter of spate's speed).
 * CPU time is the process's (one thread: simdjson's look-ahead thread is
 * off).
 *
 * Usage: json_libs_bench [--events N] [--file PATH] [--reps R]
 *                        [--parsers a,b,...] [--json OUT]
 *   --events N  generated events (default 200000, ~52 MB)
 *   --json OUT  also write the figures as one JSON object to OUT
 */
#include "core/core.h"
#include "io/format.h"
#include "json_libs.h"
#include "ysb_lines.h"
#include "spate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Static_assert(JL_BATCH_ROWS == SP_BATCH_ROWS, "batch sizes differ");

#define PADDING  64 /* SIMDJSON_PADDING */
#define MAX_REPS 100

const char *const jl_field_names[JL_N_FIELDS] = {
    "user_id",    "page_id",    "ad_id",      "ad_type",
    "event_type", "event_time", "ip_address",
};

/* ------------------------------------------------------------------------
 * Input: ysb_lines.h's events (as fmt_bench), or a file
 * ---------------------------------------------------------------------- */

static int read_file(sp_buf *in, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char chunk[1 << 16];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (sp_buf_append(in, chunk, n) != 0) rc = -1;
    if (ferror(f)) rc = -1;
    fclose(f);
    return rc;
}

/* ------------------------------------------------------------------------
 * The output columns and the checksum
 * ---------------------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}

/* Folds one row (strs indexed by field; strs[JL_EVENT_TIME] unused). */
static uint64_t hash_row(uint64_t h, const jl_str *strs, int64_t t)
{
    for (int f = 0; f < JL_N_FIELDS; f++) {
        if (f == JL_EVENT_TIME) {
            h = fnv(h, &t, sizeof t);
        } else {
            h = fnv(h, &strs[f].len, sizeof strs[f].len);
            h = fnv(h, strs[f].ptr, strs[f].len);
        }
    }
    return h;
}

void jl_cols_flush(jl_cols *c)
{
    if (c->verify) {
        for (uint32_t i = 0; i < c->n; i++) {
            jl_str row[JL_N_FIELDS] = {{0}};
            for (int f = 0; f < JL_N_FIELDS; f++)
                if (f != JL_EVENT_TIME) row[f] = c->str[f][i];
            c->hash = hash_row(c->hash, row, c->event_time[i]);
        }
    }
    c->rows += c->n;
    c->n = 0;
    c->arena_len = 0;
}

static void cols_init(jl_cols *c, const char *buf, size_t len, size_t longest)
{
    memset(c, 0, sizeof *c);
    for (int f = 0; f < JL_N_FIELDS; f++)
        if (f != JL_EVENT_TIME)
            c->str[f] = calloc(JL_BATCH_ROWS, sizeof *c->str[f]);
    c->event_time = calloc(JL_BATCH_ROWS, sizeof *c->event_time);
    c->arena_cap = (size_t)JL_BATCH_ROWS * (longest + 1);
    c->arena = malloc(c->arena_cap);
    c->buf = buf;
    c->buf_len = len;
    bool ok = c->event_time && c->arena;
    for (int f = 0; f < JL_N_FIELDS; f++)
        if (f != JL_EVENT_TIME && !c->str[f]) ok = false;
    if (!ok) {
        fprintf(stderr, "json_libs_bench: out of memory\n");
        exit(1);
    }
}

static void cols_free(jl_cols *c)
{
    for (int f = 0; f < JL_N_FIELDS; f++) free(c->str[f]);
    free(c->event_time);
    free(c->arena);
}

static void cols_reset(jl_cols *c, int verify)
{
    c->n = 0;
    c->arena_len = 0;
    c->rows = 0;
    c->hash = 0xcbf29ce484222325ULL;
    c->verify = verify;
    c->err[0] = '\0';
}

/* ------------------------------------------------------------------------
 * spate's reader, through format.h as fmt_bench uses it
 * ---------------------------------------------------------------------- */

static sp_reader *spate_reader;
static sp_arena *spate_arena;

static int spate_bad_line(void *ud, uint64_t line_no, const char *line,
                          size_t line_len, const char *why)
{
    jl_cols *c = ud;
    snprintf(c->err, sizeof c->err, "line %llu: %s",
             (unsigned long long)line_no, why);
    return 1; /* stop */
}

static int spate_parse(const char *buf, size_t len, jl_cols *out)
{
    size_t pos = 0;
    uint64_t line_no = 1;
    sp_err err;
    sp_err_clear(&err);
    while (pos < len) {
        sp_batch b;
        sp_arena_reset(spate_arena);
        if (sp_reader_parse(spate_reader, buf, len, &pos, &line_no, pos == 0,
                            SP_BATCH_ROWS, &b, spate_arena, spate_bad_line, out,
                            &err) != 0) {
            if (!out->err[0])
                snprintf(out->err, sizeof out->err, "%.150s", err.msg);
            return -1;
        }
        for (int f = 0; f < JL_N_FIELDS; f++) {
            if (b.cols[f].nulls) {
                snprintf(out->err, sizeof out->err, "a NULL in %s",
                         jl_field_names[f]);
                return -1;
            }
        }
        if (out->verify) {
            for (uint32_t i = 0; i < b.n_rows; i++) {
                jl_str row[JL_N_FIELDS] = {{0}};
                for (int f = 0; f < JL_N_FIELDS; f++) {
                    if (f == JL_EVENT_TIME) continue;
                    row[f].ptr = b.cols[f].d.str[i].ptr;
                    row[f].len = b.cols[f].d.str[i].len;
                }
                out->hash =
                    hash_row(out->hash, row, b.cols[JL_EVENT_TIME].d.i64[i]);
            }
        }
        out->rows += b.n_rows;
    }
    return 0;
}

static const char *spate_version_of(char *scratch, size_t n)
{
    snprintf(scratch, n, "%s", spate_version());
    return scratch;
}

static const jl_parser jl_spate = {
    "spate",
    "sp_reader_parse into an sp_batch (as fmt_bench full); views",
    spate_version_of,
    spate_parse,
};

/* Every parser built in; spate first (the reference). */
static const jl_parser *const all_parsers[] = {
    &jl_spate,
#ifdef JL_HAVE_SIMDJSON
    &jl_simdjson, &jl_simdjson_views,
#endif
#ifdef JL_HAVE_YAJL
    &jl_yajl,
#endif
#ifdef JL_HAVE_JANSSON
    &jl_jansson,
#endif
#ifdef JL_HAVE_JSONC
    &jl_jsonc,
#endif
};

/* ------------------------------------------------------------------------
 * Timing
 * ---------------------------------------------------------------------- */

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct result {
    const jl_parser *p;
    char version[128];
    double wall[MAX_REPS]; /* seconds per timed pass */
    double cpu[MAX_REPS];
    double best_wall, best_cpu;
    uint64_t hash;
} result;

/* One pass; exits on an error or a wrong row count. */
static void pass(result *r, jl_cols *c, const char *buf, size_t len, uint64_t n,
                 int verify, double *wall, double *cpu)
{
    cols_reset(c, verify);
    double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    double t0 = clock_s(CLOCK_MONOTONIC);
    int rc = r->p->parse(buf, len, c);
    if (rc == 0) jl_cols_flush(c);
    double t1 = clock_s(CLOCK_MONOTONIC);
    double c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (rc != 0) {
        fprintf(stderr, "json_libs_bench: %s failed: %s\n", r->p->name, c->err);
        exit(1);
    }
    if (c->rows != n) {
        fprintf(stderr, "json_libs_bench: %s parsed %llu rows of %llu\n",
                r->p->name, (unsigned long long)c->rows, (unsigned long long)n);
        exit(1);
    }
    *wall = t1 - t0;
    *cpu = c1 - c0;
}

static int wanted(const char *list, const char *name)
{
    if (!list) return 1;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == n && memcmp(p, name, n) == 0) return 1;
        p += k + (e ? 1 : 0);
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: json_libs_bench [--events N] [--file PATH] "
                    "[--reps R] [--parsers a,b,...] [--json OUT]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    uint64_t n_events = 200000;
    int reps = 5;
    const char *file = NULL, *only = NULL, *json_out = NULL;
    if ((argc - 1) % 2 != 0) usage(); /* options all take a value */
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (strcmp(a, "--events") == 0)
            n_events = strtoull(v, NULL, 10);
        else if (strcmp(a, "--file") == 0)
            file = v;
        else if (strcmp(a, "--reps") == 0)
            reps = atoi(v);
        else if (strcmp(a, "--parsers") == 0)
            only = v;
        else if (strcmp(a, "--json") == 0)
            json_out = v;
        else
            usage();
    }
    if (n_events == 0 || reps < 1 || reps > MAX_REPS) usage();

    /* The input, then the padding (not part of len). */
    sp_buf in;
    sp_buf_init(&in);
    if (file ? read_file(&in, file) != 0 : ysbl_generate(&in, n_events) != 0) {
        fprintf(stderr, "json_libs_bench: cannot %s %s\n",
                file ? "read" : "generate", file ? file : "the input");
        return 1;
    }
    size_t len = in.len;
    if (sp_buf_reserve(&in, PADDING) != 0) return 1;
    memset(in.data + len, 0, PADDING);
    const char *buf = in.data;

    /* Lines and the longest one (the copy arena's bound). */
    uint64_t n = 0;
    size_t longest = 0;
    for (const char *p = buf, *end = buf + len; p < end; n++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if ((size_t)(le - p) > longest) longest = (size_t)(le - p);
        p = le + 1;
    }
    if (n == 0) {
        fprintf(stderr, "json_libs_bench: the input has no lines\n");
        return 1;
    }

    sp_field fields[JL_N_FIELDS];
    for (int f = 0; f < JL_N_FIELDS; f++) {
        fields[f].name = (char *)jl_field_names[f];
        fields[f].type = f == JL_EVENT_TIME ? SP_T_BIGINT : SP_T_VARCHAR;
    }
    sp_schema schema = {JL_N_FIELDS, fields};
    sp_err err;
    sp_err_clear(&err);
    spate_reader = sp_reader_create(SP_FMT_JSON, &schema, NULL, &err);
    spate_arena = sp_arena_create(1 << 20);
    if (!spate_reader || !spate_arena) {
        fprintf(stderr, "json_libs_bench: %s\n", err.msg);
        return 1;
    }

    result res[SP_ARRAY_LEN(all_parsers)];
    int n_res = 0;
    for (size_t i = 0; i < SP_ARRAY_LEN(all_parsers); i++) {
        if (i > 0 && !wanted(only, all_parsers[i]->name)) continue;
        memset(&res[n_res], 0, sizeof res[n_res]);
        res[n_res].p = all_parsers[i];
        const char *v = res[n_res].p->version(res[n_res].version,
                                              sizeof res[n_res].version);
        if (v != res[n_res].version)
            snprintf(res[n_res].version, sizeof res[n_res].version, "%s", v);
        res[n_res].best_wall = res[n_res].best_cpu = 1e300;
        n_res++;
    }

    printf("json_libs_bench: %llu lines, %.1f MB (%s, %.1f bytes/line), one "
           "thread, best of %d\n",
           (unsigned long long)n, (double)len / 1e6,
           file ? file : "generated as fmt_bench", (double)len / (double)n,
           reps);
    printf("built in:");
    for (size_t i = 0; i < SP_ARRAY_LEN(all_parsers); i++)
        printf(" %s", all_parsers[i]->name);
    printf("\n");

    jl_cols cols;
    cols_init(&cols, buf, len, longest);

    /* Check pass: every parser yields spate's rows, value for value. */
    for (int i = 0; i < n_res; i++) {
        double w, c;
        pass(&res[i], &cols, buf, len, n, 1, &w, &c);
        res[i].hash = cols.hash;
        if (res[i].hash != res[0].hash) {
            fprintf(stderr,
                    "json_libs_bench: %s's values differ from spate's "
                    "(checksum %016llx, spate %016llx)\n",
                    res[i].p->name, (unsigned long long)res[i].hash,
                    (unsigned long long)res[0].hash);
            return 1;
        }
    }

    for (int rep = 0; rep < reps; rep++) {
        for (int i = 0; i < n_res; i++) {
            result *r = &res[i];
            pass(r, &cols, buf, len, n, 0, &r->wall[rep], &r->cpu[rep]);
            if (r->wall[rep] < r->best_wall) r->best_wall = r->wall[rep];
            if (r->cpu[rep] < r->best_cpu) r->best_cpu = r->cpu[rep];
        }
    }

    printf("\n%-15s %8s %8s %9s %8s %8s  %s\n", "parser", "MB/s", "Mrows/s",
           "vs_spate", "best_s", "cpu_s", "version");
    for (int i = 0; i < n_res; i++) {
        result *r = &res[i];
        printf("%-15s %8.0f %8.2f %9.3f %8.4f %8.4f  %s\n", r->p->name,
               (double)len / r->best_wall / 1e6, (double)n / r->best_wall / 1e6,
               res[0].best_wall / r->best_wall, r->best_wall, r->best_cpu,
               r->version);
    }
    printf("(vs_spate: this parser's throughput / spate's; all values "
           "checked equal to spate's, checksum %016llx)\n",
           (unsigned long long)res[0].hash);

    if (json_out) {
        FILE *f = fopen(json_out, "w");
        if (!f) {
            fprintf(stderr, "json_libs_bench: cannot write %s\n", json_out);
            return 1;
        }
        fprintf(f,
                "{\"input\":{\"source\":\"%s\",\"lines\":%llu,\"bytes\":%zu},"
                "\"reps\":%d,\"checksum\":\"%016llx\",\"parsers\":[",
                file ? "file" : "generated", (unsigned long long)n, len, reps,
                (unsigned long long)res[0].hash);
        for (int i = 0; i < n_res; i++) {
            result *r = &res[i];
            fprintf(f,
                    "%s{\"name\":\"%s\",\"version\":\"%s\",\"how\":\"%s\","
                    "\"mb_per_s\":%.1f,\"mrows_per_s\":%.3f,"
                    "\"vs_spate\":%.4f,\"best_s\":%.6f,\"best_cpu_s\":%.6f,"
                    "\"wall_s\":[",
                    i ? "," : "", r->p->name, r->version, r->p->how,
                    (double)len / r->best_wall / 1e6,
                    (double)n / r->best_wall / 1e6,
                    res[0].best_wall / r->best_wall, r->best_wall, r->best_cpu);
            for (int k = 0; k < reps; k++)
                fprintf(f, "%s%.6f", k ? "," : "", r->wall[k]);
            fprintf(f, "],\"cpu_s\":[");
            for (int k = 0; k < reps; k++)
                fprintf(f, "%s%.6f", k ? "," : "", r->cpu[k]);
            fprintf(f, "]}");
        }
        fprintf(f, "]}\n");
        fclose(f);
    }
    cols_free(&cols);
    sp_arena_destroy(spate_arena);
    sp_reader_destroy(spate_reader);
    sp_buf_free(&in);
    return 0;
}
