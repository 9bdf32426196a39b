/* model_test.c -- a model-based test of windowed aggregation (issue #3):
 * random event streams (out of order, late rows, duplicates, NULL values,
 * empty batches) go through
 *
 *     SELECT window(ts, L[, S]) AS window, k, count(*), sum(v), min(v),
 *            max(v) ... GROUP BY window(ts, L[, S]), k
 *
 * in append, update and complete mode, one file per micro-batch, and the
 * console output is compared, batch by batch, with a brute-force model of
 * Spark's documented semantics computed from the input alone:
 *
 *  - batch i is file i; the watermark of batch 0 is none; after each batch
 *    wm = max(wm, max event time of every row seen so far - D), and batch
 *    i runs with the watermark computed after batch i-1;
 *  - a row at t is in every window [s, s+L) with s = 0 (mod S) and
 *    s <= t < s+L;
 *  - append/update: a (row, window) pair with window end <= the batch's
 *    watermark is dropped (complete mode drops nothing);
 *  - append: groups with end <= watermark are emitted once and removed;
 *    update: groups that got a row in the batch are emitted, then groups
 *    with end <= watermark are removed silently; complete: every group,
 *    every batch (a batch with an empty file included);
 *  - after the last file, when the watermark moved past the one the last
 *    batch ran with (append/update only), one batch without data runs.
 *
 * The fixed scenarios first check the model itself against hand-computed
 * results. MODEL_N=n runs n random scenarios per mode instead of the
 * default; MODEL_SEED=s runs only seed s (in every mode).
 */
#include "core/json.h"
#include "spate.h"
#include "test.h"

#include <stdarg.h>
#include <stdbool.h>
#include <time.h>

enum { APPEND, UPDATE, COMPLETE };
static const char *const mode_name[] = {"append", "update", "complete"};

#define MAX_FILES 8
#define MAX_ROWS  64
#define SEC       1000000LL
#define MS        1000LL

typedef struct mrow {
    char k;      /* 'a'..'d'; 0 = NULL key */
    int64_t ts;  /* microseconds since the epoch, UTC */
    bool v_null; /* v is NULL */
    int64_t v;
} mrow;

typedef struct mfile {
    int n;
    mrow rows[MAX_ROWS];
} mfile;

typedef struct scenario {
    const char *name;
    uint64_t seed;
    int mode;
    int64_t L, S, D; /* window, slide, watermark delay (microseconds) */
    bool sliding;    /* window(ts, L, S) rather than window(ts, L) */
    int threads;
    bool iso_t; /* write timestamps as 2024-01-01T10:00:00.000Z */
    int nfiles;
    mfile files[MAX_FILES];
} scenario;

/* ---- small utilities ---------------------------------------------------- */

typedef struct strlist {
    char **v;
    int n, cap;
} strlist;

static void sl_add(strlist *l, const char *fmt, ...)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, sizeof(char *) * (size_t)l->cap);
        if (!l->v) abort();
    }
    va_list ap;
    va_start(ap, fmt);
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    l->v[l->n] = strdup(buf);
    if (!l->v[l->n]) abort();
    l->n++;
}

static void sl_free(strlist *l)
{
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sl_sort(strlist *l)
{
    if (l->n) qsort(l->v, (size_t)l->n, sizeof(char *), cmp_str);
}

/* "2024-01-01T10:00:00.250Z" (iso) or "2024-01-01 10:00:00.250" */
/* gcc cannot prove the calendar fields fit; they do (years 1970..2100). */
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
static void fmt_ts(int64_t us, bool iso, char *out, size_t n)
{
    time_t s = (time_t)(us / SEC);
    int64_t frac = us % SEC;
    if (frac < 0) {
        frac += SEC;
        s--;
    }
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(out, n, "%04d-%02d-%02d%c%02d:%02d:%02d.%03d%s", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, iso ? 'T' : ' ', tm.tm_hour, tm.tm_min,
             tm.tm_sec, (int)(frac / MS), iso ? "Z" : "");
}
#pragma GCC diagnostic pop

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* one canonical line per output row: sorted lists are compared as
 * multisets; the batch id comes first so a diff reads batch by batch */
static void add_row(strlist *l, int64_t batch, const char *start,
                    const char *end, const char *k, long long cnt,
                    const char *sum, const char *min, const char *max)
{
    sl_add(l, "batch %3lld  [%s, %s)  k=%-4s  count=%lld sum=%s min=%s max=%s",
           (long long)batch, start, end, k, cnt, sum, min, max);
}

/* ---- the reference model --------------------------------------------------
 */

/* what the random scenarios exercised, printed so that a generator change
 * that stops producing late rows or no-data batches shows */
static struct {
    long rows, pairs, late_pairs, out_rows, evicted, no_data, empty_files;
} stats;

typedef struct group {
    int64_t ws; /* window start */
    char k;
    int64_t cnt;
    bool has_v;
    int64_t sum, min, max;
    bool touched; /* got a row in the current batch */
    bool live;
} group;

typedef struct model {
    const scenario *sc;
    group *g;
    int ng, cap;
    strlist out;
} model;

static group *model_group(model *m, int64_t ws, char k)
{
    for (int i = 0; i < m->ng; i++)
        if (m->g[i].live && m->g[i].ws == ws && m->g[i].k == k) return &m->g[i];
    if (m->ng == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->g = realloc(m->g, sizeof(group) * (size_t)m->cap);
        if (!m->g) abort();
    }
    group *g = &m->g[m->ng++];
    memset(g, 0, sizeof *g);
    g->ws = ws;
    g->k = k;
    g->live = true;
    return g;
}

static void model_emit_group(model *m, int64_t batch, const group *g)
{
    char s[40], e[40], k[8], sum[32], mn[32], mx[32];
    fmt_ts(g->ws, true, s, sizeof s);
    fmt_ts(g->ws + m->sc->L, true, e, sizeof e);
    snprintf(k, sizeof k, "%s", g->k ? (char[]){g->k, 0} : "NULL");
    if (g->has_v) {
        snprintf(sum, sizeof sum, "%lld", (long long)g->sum);
        snprintf(mn, sizeof mn, "%lld", (long long)g->min);
        snprintf(mx, sizeof mx, "%lld", (long long)g->max);
    } else {
        strcpy(sum, "NULL");
        strcpy(mn, "NULL");
        strcpy(mx, "NULL");
    }
    add_row(&m->out, batch, s, e, k, (long long)g->cnt, sum, mn, mx);
}

static bool final_at(const model *m, const group *g, int64_t wm)
{
    return wm != INT64_MIN && g->ws + m->sc->L <= wm;
}

/* output and eviction at the end of a batch that ran with watermark wm */
static void model_finish_batch(model *m, int64_t batch, int64_t wm)
{
    for (int i = 0; i < m->ng; i++) {
        group *g = &m->g[i];
        if (!g->live) continue;
        switch (m->sc->mode) {
        case APPEND:
            if (final_at(m, g, wm)) {
                model_emit_group(m, batch, g);
                g->live = false;
                stats.evicted++;
            }
            break;
        case UPDATE:
            if (g->touched) model_emit_group(m, batch, g);
            if (final_at(m, g, wm)) {
                g->live = false;
                stats.evicted++;
            }
            break;
        case COMPLETE:
            model_emit_group(m, batch, g);
            break;
        }
        g->touched = false;
    }
}

/* the expected console rows, as canonical lines (unsorted) */
static strlist model_run(const scenario *sc)
{
    model m = {.sc = sc};
    int64_t wm = INT64_MIN, max_et = INT64_MIN, last_wm = INT64_MIN;
    for (int b = 0; b < sc->nfiles; b++) {
        const int64_t bwm = wm; /* the watermark batch b runs with */
        const mfile *f = &sc->files[b];
        stats.rows += f->n;
        stats.empty_files += f->n == 0;
        for (int r = 0; r < f->n; r++) {
            const mrow *row = &f->rows[r];
            if (row->ts > max_et) max_et = row->ts;
            int64_t last = floor_div(row->ts, sc->S) * sc->S;
            for (int64_t ws = last; ws + sc->L > row->ts; ws -= sc->S) {
                if (sc->mode != COMPLETE && bwm != INT64_MIN &&
                    ws + sc->L <= bwm) {
                    stats.late_pairs++;
                    continue; /* late for this window */
                }
                stats.pairs++;
                group *g = model_group(&m, ws, row->k);
                g->cnt++;
                g->touched = true;
                if (!row->v_null) {
                    if (!g->has_v) {
                        g->sum = 0;
                        g->min = g->max = row->v;
                    }
                    g->has_v = true;
                    g->sum += row->v;
                    if (row->v < g->min) g->min = row->v;
                    if (row->v > g->max) g->max = row->v;
                }
            }
        }
        model_finish_batch(&m, b, bwm);
        last_wm = bwm;
        if (max_et != INT64_MIN && (wm == INT64_MIN || max_et - sc->D > wm))
            wm = max_et - sc->D;
    }
    /* batches without data, while the watermark moves */
    int64_t b = sc->nfiles;
    while (sc->mode != COMPLETE && sc->nfiles > 0 && wm != INT64_MIN &&
           (last_wm == INT64_MIN || wm > last_wm)) {
        model_finish_batch(&m, b++, wm);
        last_wm = wm;
        stats.no_data++;
    }
    free(m.g);
    stats.out_rows += m.out.n;
    return m.out;
}

/* ---- running the engine -------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) TEST_FAIL_("cannot create %s", path);
    fputs(text, f);
    fclose(f);
}

static void row_json(const scenario *sc, const mrow *r, char *out, size_t n)
{
    char ts[40], k[16], v[32];
    fmt_ts(r->ts, sc->iso_t, ts, sizeof ts);
    if (r->k)
        snprintf(k, sizeof k, "\"%c\"", r->k);
    else
        strcpy(k, "null");
    if (r->v_null)
        strcpy(v, "null");
    else
        snprintf(v, sizeof v, "%lld", (long long)r->v);
    snprintf(out, n, "{\"k\":%s,\"ts\":\"%s\",\"v\":%s}\n", k, ts, v);
}

static void window_sql(const scenario *sc, char *out, size_t n)
{
    if (sc->sliding)
        snprintf(out, n, "window(ts, '%lld seconds', '%lld seconds')",
                 (long long)(sc->L / SEC), (long long)(sc->S / SEC));
    else
        snprintf(out, n, "window(ts, '%lld seconds')",
                 (long long)(sc->L / SEC));
}

static void make_sql(const scenario *sc, const char *in_dir, char *out,
                     size_t n)
{
    char w[128];
    window_sql(sc, w, sizeof w);
    snprintf(out, n,
             "CREATE SOURCE ev (k VARCHAR, ts TIMESTAMP, v BIGINT,\n"
             "    WATERMARK FOR ts AS ts - INTERVAL '%lld' SECOND)\n"
             "WITH (connector = 'file', path = '%s',\n"
             "      max_files_per_trigger = 1);\n"
             "CREATE SINK out WITH (connector = 'console', format = 'jsonl',\n"
             "                      output_mode = '%s') AS\n"
             "SELECT %s AS window, k, count(*) AS cnt, sum(v) AS sm,\n"
             "       min(v) AS mn, max(v) AS mx\n"
             "FROM ev\n"
             "GROUP BY %s, k;\n"
             "SET trigger = available_now;\n",
             (long long)(sc->D / SEC), in_dir, mode_name[sc->mode], w, w);
}

static void print_scenario(const scenario *sc, const char *sql)
{
    fprintf(stderr,
            "\n=== scenario %s: seed %llu, mode %s, L %llds, S %llds%s, "
            "D %llds, threads %d, %d files\n",
            sc->name, (unsigned long long)sc->seed, mode_name[sc->mode],
            (long long)(sc->L / SEC), (long long)(sc->S / SEC),
            sc->sliding ? "" : " (tumbling)", (long long)(sc->D / SEC),
            sc->threads, sc->nfiles);
    fprintf(stderr, "--- query\n%s", sql);
    for (int i = 0; i < sc->nfiles; i++) {
        fprintf(stderr, "--- %03d.json (batch %d, %d rows)\n", i + 1, i,
                sc->files[i].n);
        for (int r = 0; r < sc->files[i].n; r++) {
            char line[160];
            row_json(sc, &sc->files[i].rows[r], line, sizeof line);
            fprintf(stderr, "%s", line);
        }
    }
}

static const char *json_scalar(const sp_json *j, char *buf, size_t n)
{
    if (!j) return "NULL";
    if (j->kind == SP_JSON_NUM && j->is_int)
        snprintf(buf, n, "%lld", (long long)j->i);
    else if (j->kind == SP_JSON_STR)
        snprintf(buf, n, "%s", j->str);
    else
        snprintf(buf, n, "<bad kind %d>", (int)j->kind);
    return buf;
}

/* parses the console jsonl into canonical lines; a malformed line is kept
 * as "BAD ..." so that it shows up in the diff */
static strlist parse_output(FILE *f)
{
    strlist l = {0};
    rewind(f);
    char line[4096];
    sp_arena *a = sp_arena_create(1 << 14);
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (!len) continue;
        sp_json *j;
        sp_err e;
        memset(&e, 0, sizeof e);
        const sp_json *row, *w;
        if (sp_json_parse(line, len, a, &j, &e) != 0 ||
            j->kind != SP_JSON_OBJ || !(row = sp_json_get(j, "row")) ||
            row->kind != SP_JSON_OBJ || !(w = sp_json_get(row, "window")) ||
            w->kind != SP_JSON_OBJ || !sp_json_get(j, "batchId") ||
            !sp_json_get(row, "cnt")) {
            sl_add(&l, "BAD %s", line);
            continue;
        }
        /* every field is one we know, and NULLs are left out */
        size_t known = 0;
        const char *fields[] = {"window", "k", "cnt", "sm", "mn", "mx"};
        for (size_t i = 0; i < 6; i++) {
            const sp_json *x = sp_json_get(row, fields[i]);
            if (x && x->kind == SP_JSON_NULL) known += 100; /* force BAD */
            if (x) known++;
        }
        if (known != row->n) {
            sl_add(&l, "BAD (fields) %s", line);
            continue;
        }
        char b1[64], b2[64], b3[64], b4[64], b5[64], b6[64];
        add_row(&l, sp_json_get_int(j, "batchId", -1),
                json_scalar(sp_json_get(w, "start"), b1, sizeof b1),
                json_scalar(sp_json_get(w, "end"), b2, sizeof b2),
                json_scalar(sp_json_get(row, "k"), b3, sizeof b3),
                sp_json_get_int(row, "cnt", -1),
                json_scalar(sp_json_get(row, "sm"), b4, sizeof b4),
                json_scalar(sp_json_get(row, "mn"), b5, sizeof b5),
                json_scalar(sp_json_get(row, "mx"), b6, sizeof b6));
    }
    sp_arena_destroy(a);
    return l;
}

/* prints both sides; lines only expected are "-", only actual are "+" */
static void print_diff(const strlist *want, const strlist *got)
{
    fprintf(stderr, "--- expected (model), %d rows\n", want->n);
    for (int i = 0; i < want->n; i++) fprintf(stderr, "  %s\n", want->v[i]);
    fprintf(stderr, "--- actual (engine), %d rows\n", got->n);
    for (int i = 0; i < got->n; i++) fprintf(stderr, "  %s\n", got->v[i]);
    fprintf(stderr, "--- difference (- expected only, + actual only)\n");
    int i = 0, j = 0;
    while (i < want->n || j < got->n) {
        int c = i == want->n  ? 1
                : j == got->n ? -1
                              : strcmp(want->v[i], got->v[j]);
        if (c == 0) {
            i++;
            j++;
        } else if (c < 0) {
            fprintf(stderr, "- %s\n", want->v[i++]);
        } else {
            fprintf(stderr, "+ %s\n", got->v[j++]);
        }
    }
}

static bool lists_equal(const strlist *a, const strlist *b)
{
    if (a->n != b->n) return false;
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0) return false;
    return true;
}

static int scenario_counter;

/* runs the scenario through the engine; returns true when it matches the
 * model (and prints everything when it does not) */
static bool run_scenario(const scenario *sc, const char *tmp)
{
    char dir[600], in_dir[700], ckpt[700], path[800], sql[4096];
    snprintf(dir, sizeof dir, "%s/s%03d", tmp, scenario_counter++);
    snprintf(in_dir, sizeof in_dir, "%s/in", dir);
    snprintf(ckpt, sizeof ckpt, "%s/ckpt", dir);
    mkdir(dir, 0755);
    mkdir(in_dir, 0755);
    for (int i = 0; i < sc->nfiles; i++) {
        char *text = calloc(1, (size_t)MAX_ROWS * 160 + 1);
        if (!text) abort();
        size_t used = 0;
        for (int r = 0; r < sc->files[i].n; r++) {
            row_json(sc, &sc->files[i].rows[r], text + used, 160);
            used += strlen(text + used);
        }
        snprintf(path, sizeof path, "%s/%03d.json", in_dir, i + 1);
        write_file(path, text);
        free(text);
    }
    make_sql(sc, in_dir, sql, sizeof sql);

    FILE *console = tmpfile();
    if (!console) TEST_FAIL_("tmpfile failed");
    spate_options_t opt;
    spate_options_init(&opt);
    opt.console = console;
    opt.checkpoint = ckpt;
    opt.threads = sc->threads;
    spate_error_t err;
    spate_pipeline_t *p = NULL;
    int rc = spate_pipeline_load(sql, strlen(sql), "model.sql", &opt, &p, &err);
    if (rc == 0) rc = spate_pipeline_run(p, &err);
    if (p) spate_pipeline_destroy(p);
    if (rc != 0) {
        print_scenario(sc, sql);
        fprintf(stderr, "--- the engine failed (rc %d)\n", rc);
        spate_error_print(&err, sql, strlen(sql), stderr);
        fclose(console);
        return false;
    }
    fflush(console);
    strlist got = parse_output(console);
    fclose(console);
    strlist want = model_run(sc);
    sl_sort(&got);
    sl_sort(&want);
    bool ok = lists_equal(&want, &got);
    if (!ok) {
        print_scenario(sc, sql);
        print_diff(&want, &got);
    }
    sl_free(&got);
    sl_free(&want);
    return ok;
}

/* ---- random scenarios -----------------------------------------------------
 */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* uniform in [lo, hi] */
static int64_t rng_range(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next() % (uint64_t)(hi - lo + 1));
}

static bool rng_chance(int percent)
{
    return rng_range(0, 99) < percent;
}

static const int64_t T0 = 1704103200LL * SEC; /* 2024-01-01 10:00:00 UTC */

static void random_scenario(scenario *sc, uint64_t seed, int mode)
{
    memset(sc, 0, sizeof *sc);
    rng_state = seed * 0x2545f4914f6cdd1dULL + (uint64_t)mode;
    sc->name = "random";
    sc->seed = seed;
    sc->mode = mode;
    sc->L = rng_range(1, 10) * SEC;
    sc->sliding = rng_chance(50);
    sc->S = sc->sliding ? rng_range(1, sc->L / SEC) * SEC : sc->L;
    sc->D = rng_range(0, 12) * SEC;
    sc->threads = (int)rng_range(1, 2);
    sc->iso_t = rng_chance(50);
    sc->nfiles = (int)rng_range(1, 6);

    int64_t clock = T0 + rng_range(0, 3600) * SEC;
    int64_t jitter = rng_range(0, 3 * sc->L / MS) * MS;
    mrow seen[MAX_FILES * MAX_ROWS];
    int nseen = 0;
    for (int f = 0; f < sc->nfiles; f++) {
        mfile *file = &sc->files[f];
        file->n = rng_chance(12) ? 0 : (int)rng_range(1, 30);
        for (int r = 0; r < file->n; r++) {
            mrow *row = &file->rows[r];
            if (nseen && rng_chance(10)) {
                /* a duplicate, of this batch or an earlier one */
                *row = seen[rng_range(0, nseen - 1)];
                seen[nseen++] = *row;
                continue;
            }
            row->k = rng_chance(5) ? 0 : (char)('a' + rng_range(0, 3));
            if (rng_chance(12)) /* far behind: late for most windows */
                row->ts = clock - sc->D - rng_range(0, 3 * sc->L / MS) * MS;
            else
                row->ts = clock + rng_range(-jitter / MS, jitter / MS) * MS;
            if (rng_chance(10)) /* exactly on a second, often a boundary */
                row->ts = floor_div(row->ts, SEC) * SEC;
            else if (rng_chance(20)) /* when it is the maximum, the
                                        watermark is some window's end */
                row->ts = floor_div(row->ts - sc->L - sc->D, sc->S) * sc->S +
                          sc->L + sc->D;
            row->v_null = rng_chance(15);
            row->v = row->v_null ? 0 : rng_range(-50, 100);
            seen[nseen++] = *row;
        }
        clock += rng_range(0, 2 * sc->L / MS) * MS;
    }
}

static int env_int(const char *name, int dflt)
{
    const char *s = getenv(name);
    return s && *s ? atoi(s) : dflt;
}

static void random_mode(int mode, const char *tag)
{
    const char *tmp = test_tmpdir(tag);
    char base[600];
    snprintf(base, sizeof base, "%s", tmp);
    int n = env_int("MODEL_N", 14);
    int only = env_int("MODEL_SEED", 0);
    int failed = 0, ran = 0;
    static scenario sc;
    for (int i = 0; i < n; i++) {
        uint64_t seed = only ? (uint64_t)only : (uint64_t)(1 + i);
        random_scenario(&sc, seed, mode);
        if (!run_scenario(&sc, base)) failed++;
        ran++;
        if (only) break;
    }
    printf("  %s: %d scenarios, %ld rows (%ld empty files), %ld (row, "
           "window) pairs kept, %ld late, %ld groups evicted, %ld no-data "
           "batches, %ld output rows\n",
           mode_name[mode], ran, stats.rows, stats.empty_files, stats.pairs,
           stats.late_pairs, stats.evicted, stats.no_data, stats.out_rows);
    if (failed)
        TEST_FAIL_("%d of %d %s scenarios differ from the model", failed, ran,
                   mode_name[mode]);
}

TEST(random_append)
{
    random_mode(APPEND, "model_append");
}
TEST(random_update)
{
    random_mode(UPDATE, "model_update");
}
TEST(random_complete)
{
    random_mode(COMPLETE, "model_complete");
}

/* ---- fixed, hand-checked scenarios ----------------------------------------
 */

static mrow R(char k, const char *hms, int64_t v)
{
    /* hms: "HH:MM:SS[.mmm]" on 2024-01-01 */
    int h = 0, m = 0, s = 0, ms = 0;
    sscanf(hms, "%d:%d:%d.%d", &h, &m, &s, &ms);
    mrow r = {.k = k,
              .ts = 1704067200LL * SEC + (h * 3600LL + m * 60 + s) * SEC +
                    ms * MS,
              .v = v};
    return r;
}

#define NUL INT64_MIN /* a NULL v in R() */

static void fix_nulls(scenario *sc)
{
    for (int f = 0; f < sc->nfiles; f++)
        for (int r = 0; r < sc->files[f].n; r++)
            if (sc->files[f].rows[r].v == NUL) {
                sc->files[f].rows[r].v_null = true;
                sc->files[f].rows[r].v = 0;
            }
}

static void add_file(scenario *sc, int n, const mrow *rows)
{
    mfile *f = &sc->files[sc->nfiles++];
    f->n = n;
    memcpy(f->rows, rows, sizeof(mrow) * (size_t)n);
}

#define FILE_(sc, ...)                                                         \
    add_file(sc, (int)(sizeof((mrow[]){__VA_ARGS__}) / sizeof(mrow)),          \
             (mrow[]){__VA_ARGS__})

/* checks the model against hand-written lines, then the engine against the
 * model */
static void check_fixed(const scenario *sc, const char *const *want_lines,
                        const char *tag)
{
    strlist want = {0}, got = model_run(sc);
    for (const char *const *l = want_lines; *l; l++) sl_add(&want, "%s", *l);
    sl_sort(&want);
    sl_sort(&got);
    if (!lists_equal(&want, &got)) {
        fprintf(stderr, "the MODEL disagrees with the hand-checked result:\n");
        print_diff(&want, &got);
        TEST_FAIL_("model self-check %s failed", sc->name);
    }
    sl_free(&want);
    sl_free(&got);
    const char *tmp = test_tmpdir(tag);
    char base[600];
    snprintf(base, sizeof base, "%s", tmp);
    if (!run_scenario(sc, base))
        TEST_FAIL_("engine differs from the model in %s", sc->name);
}

/* the data of tests/sql/agg_append, with values:
 *   batch 0  wm none    dog 12:02 (1), owl 12:03 (2)
 *   batch 1  wm 11:53   dog 12:07 (3), cat 12:13 (NULL)
 *   batch 2  wm 12:03   dog 12:04 (5) on time, owl 12:21 (6)
 *   batch 3  wm 12:11   dog 12:05 (7) late, cat 12:30 (8)
 *   batch 4  wm 12:20   no data */
static void guide_data(scenario *sc, int mode)
{
    memset(sc, 0, sizeof *sc);
    sc->mode = mode;
    sc->L = sc->S = 600 * SEC;
    sc->D = 600 * SEC;
    sc->threads = 2;
    FILE_(sc, R('d', "12:02:00", 1), R('o', "12:03:00", 2));
    FILE_(sc, R('d', "12:07:00", 3), R('c', "12:13:00", NUL));
    FILE_(sc, R('d', "12:04:00", 5), R('o', "12:21:00", 6));
    FILE_(sc, R('d', "12:05:00", 7), R('c', "12:30:00", 8));
    fix_nulls(sc);
}

#define W00 "[2024-01-01T12:00:00.000Z, 2024-01-01T12:10:00.000Z)"
#define W10 "[2024-01-01T12:10:00.000Z, 2024-01-01T12:20:00.000Z)"
#define W20 "[2024-01-01T12:20:00.000Z, 2024-01-01T12:30:00.000Z)"
#define W30 "[2024-01-01T12:30:00.000Z, 2024-01-01T12:40:00.000Z)"

TEST(fixed_guide_append)
{
    static scenario sc;
    guide_data(&sc, APPEND);
    sc.name = "guide_append";
    const char *want[] = {
        "batch   3  " W00 "  k=d     count=3 sum=9 min=1 max=5",
        "batch   3  " W00 "  k=o     count=1 sum=2 min=2 max=2",
        "batch   4  " W10 "  k=c     count=1 sum=NULL min=NULL max=NULL", NULL};
    check_fixed(&sc, want, "model_guide_append");
}

TEST(fixed_guide_update)
{
    static scenario sc;
    guide_data(&sc, UPDATE);
    sc.name = "guide_update";
    const char *want[] = {
        "batch   0  " W00 "  k=d     count=1 sum=1 min=1 max=1",
        "batch   0  " W00 "  k=o     count=1 sum=2 min=2 max=2",
        "batch   1  " W00 "  k=d     count=2 sum=4 min=1 max=3",
        "batch   1  " W10 "  k=c     count=1 sum=NULL min=NULL max=NULL",
        "batch   2  " W00 "  k=d     count=3 sum=9 min=1 max=5",
        "batch   2  " W20 "  k=o     count=1 sum=6 min=6 max=6",
        "batch   3  " W30 "  k=c     count=1 sum=8 min=8 max=8",
        NULL};
    check_fixed(&sc, want, "model_guide_update");
}

TEST(fixed_guide_complete)
{
    static scenario sc;
    guide_data(&sc, COMPLETE);
    sc.name = "guide_complete";
    const char *want[] = {
        "batch   0  " W00 "  k=d     count=1 sum=1 min=1 max=1",
        "batch   0  " W00 "  k=o     count=1 sum=2 min=2 max=2",
        "batch   1  " W00 "  k=d     count=2 sum=4 min=1 max=3",
        "batch   1  " W00 "  k=o     count=1 sum=2 min=2 max=2",
        "batch   1  " W10 "  k=c     count=1 sum=NULL min=NULL max=NULL",
        "batch   2  " W00 "  k=d     count=3 sum=9 min=1 max=5",
        "batch   2  " W00 "  k=o     count=1 sum=2 min=2 max=2",
        "batch   2  " W10 "  k=c     count=1 sum=NULL min=NULL max=NULL",
        "batch   2  " W20 "  k=o     count=1 sum=6 min=6 max=6",
        "batch   3  " W00 "  k=d     count=4 sum=16 min=1 max=7",
        "batch   3  " W00 "  k=o     count=1 sum=2 min=2 max=2",
        "batch   3  " W10 "  k=c     count=1 sum=NULL min=NULL max=NULL",
        "batch   3  " W20 "  k=o     count=1 sum=6 min=6 max=6",
        "batch   3  " W30 "  k=c     count=1 sum=8 min=8 max=8",
        NULL};
    check_fixed(&sc, want, "model_guide_complete");
}

/* the guide's sliding example (tests/sql/agg_sliding_guide), update mode,
 * 10-minute windows every 5 minutes, 10-minute watermark; dog 12:04 in
 * batch 2 (wm 11:57) is on time for both its windows */
TEST(fixed_sliding_guide)
{
    static scenario sc;
    memset(&sc, 0, sizeof sc);
    sc.name = "sliding_guide";
    sc.mode = UPDATE;
    sc.L = 600 * SEC;
    sc.S = 300 * SEC;
    sc.sliding = true;
    sc.D = 600 * SEC;
    sc.threads = 1;
    sc.iso_t = true;
    FILE_(&sc, R('d', "12:02:00", 1), R('o', "12:02:00", 2));
    FILE_(&sc, R('d', "12:07:00", 3), R('o', "12:07:00", 4));
    FILE_(&sc, R('d', "12:04:00", 5), R('c', "12:14:00", 6));
#define S55 "[2024-01-01T11:55:00.000Z, 2024-01-01T12:05:00.000Z)"
#define S05 "[2024-01-01T12:05:00.000Z, 2024-01-01T12:15:00.000Z)"
    const char *want[] = {
        "batch   0  " S55 "  k=d     count=1 sum=1 min=1 max=1",
        "batch   0  " S55 "  k=o     count=1 sum=2 min=2 max=2",
        "batch   0  " W00 "  k=d     count=1 sum=1 min=1 max=1",
        "batch   0  " W00 "  k=o     count=1 sum=2 min=2 max=2",
        "batch   1  " W00 "  k=d     count=2 sum=4 min=1 max=3",
        "batch   1  " W00 "  k=o     count=2 sum=6 min=2 max=4",
        "batch   1  " S05 "  k=d     count=1 sum=3 min=3 max=3",
        "batch   1  " S05 "  k=o     count=1 sum=4 min=4 max=4",
        "batch   2  " S55 "  k=d     count=2 sum=6 min=1 max=5",
        "batch   2  " W00 "  k=d     count=3 sum=9 min=1 max=5",
        "batch   2  " S05 "  k=c     count=1 sum=6 min=6 max=6",
        "batch   2  " W10 "  k=c     count=1 sum=6 min=6 max=6",
        NULL};
    check_fixed(&sc, want, "model_sliding_guide");
}

/* 10 s tumbling windows, 5 s delay, append, with an empty batch, a row at
 * the watermark's edge, a NULL key and the no-data batch:
 *   batch 0  wm none      a 00:00 (1), a 00:12 (2)
 *   batch 1  wm 00:07     (empty file): nothing final
 *   batch 2  wm 00:07     a 09.999 (4) on time ([0,10) ends 10 > 7),
 *                         NULL-key 00:15 (8), a 00:02 (16) on time
 *   batch 3  wm 00:10     no data: [0,10) a is final (count 3) */
TEST(fixed_edges_append)
{
    static scenario sc;
    memset(&sc, 0, sizeof sc);
    sc.name = "edges_append";
    sc.mode = APPEND;
    sc.L = sc.S = 10 * SEC;
    sc.D = 5 * SEC;
    sc.threads = 1;
    FILE_(&sc, R('a', "10:00:00", 1), R('a', "10:00:12", 2));
    sc.nfiles++; /* empty */
    FILE_(&sc, R('a', "10:00:09.999", 4), R(0, "10:00:15", 8),
          R('a', "10:00:02", 16));
    const char *want[] = {"batch   3  [2024-01-01T10:00:00.000Z, "
                          "2024-01-01T10:00:10.000Z)  k=a     count=3 sum=21 "
                          "min=1 max=16",
                          NULL};
    check_fixed(&sc, want, "model_edges_append");
}

/* a slide that does not divide the window: 5 s every 2 s; a row at 10:00:00
 * is in [-4,1), [-2,3), [0,5) and one at 10:00:04 in [0,5), [2,7), [4,9);
 * complete mode */
TEST(fixed_odd_slide_complete)
{
    static scenario sc;
    memset(&sc, 0, sizeof sc);
    sc.name = "odd_slide_complete";
    sc.mode = COMPLETE;
    sc.L = 5 * SEC;
    sc.S = 2 * SEC;
    sc.sliding = true;
    sc.D = 1 * SEC;
    sc.threads = 2;
    FILE_(&sc, R('b', "10:00:04", 1), R('b', "10:00:00", 2));
#define T(a, b) "[2024-01-01T" a ".000Z, 2024-01-01T" b ".000Z)"
    const char *want[] = {
        "batch   0  " T("09:59:56", "10:00:01") "  k=b     count=1 sum=2 "
                                                "min=2 max=2",
        "batch   0  " T("09:59:58", "10:00:03") "  k=b     count=1 sum=2 "
                                                "min=2 max=2",
        "batch   0  " T("10:00:00", "10:00:05") "  k=b     count=2 sum=3 "
                                                "min=1 max=2",
        "batch   0  " T("10:00:02", "10:00:07") "  k=b     count=1 sum=1 "
                                                "min=1 max=1",
        "batch   0  " T("10:00:04", "10:00:09") "  k=b     count=1 sum=1 "
                                                "min=1 max=1",
        NULL};
    check_fixed(&sc, want, "model_odd_slide_complete");
}

/* sliding, update: a row late for one of its windows and on time for the
 * other. 10 s every 5 s, delay 0:
 *   batch 0  wm none     x 00:20 (1)
 *   batch 1  wm 00:20    x 00:12 (2): [5,15) ends 15 <= 20, dropped;
 *                        [10,20) ends 20 <= 20, dropped; x 00:17 (4):
 *                        [10,20) dropped, [15,25) kept
 * and no batch without data follows: the watermark did not move. */
TEST(fixed_partial_late_update)
{
    static scenario sc;
    memset(&sc, 0, sizeof sc);
    sc.name = "partial_late_update";
    sc.mode = UPDATE;
    sc.L = 10 * SEC;
    sc.S = 5 * SEC;
    sc.sliding = true;
    sc.D = 0;
    sc.threads = 1;
    FILE_(&sc, R('x', "10:00:20", 1));
    FILE_(&sc, R('x', "10:00:12", 2), R('x', "10:00:17", 4));
    const char *want[] = {
        "batch   0  " T("10:00:15", "10:00:25") "  k=x     count=1 sum=1 "
                                                "min=1 max=1",
        "batch   0  " T("10:00:20", "10:00:30") "  k=x     count=1 sum=1 "
                                                "min=1 max=1",
        "batch   1  " T("10:00:15", "10:00:25") "  k=x     count=2 sum=5 "
                                                "min=1 max=4",
        NULL};
    check_fixed(&sc, want, "model_partial_late_update");
}

int main(int argc, char **argv)
{
    return test_main(argc, argv,
                     (test_case[]){TEST_CASE(fixed_guide_append),
                                   TEST_CASE(fixed_guide_update),
                                   TEST_CASE(fixed_guide_complete),
                                   TEST_CASE(fixed_sliding_guide),
                                   TEST_CASE(fixed_edges_append),
                                   TEST_CASE(fixed_odd_slide_complete),
                                   TEST_CASE(fixed_partial_late_update),
                                   TEST_CASE(random_append),
                                   TEST_CASE(random_update),
                                   TEST_CASE(random_complete),
                                   {0}});
}
