/*
 * sink_console.c -- prints each batch to stdout.
 *
 * format = 'table' (default) reproduces Spark's console sink: a banner
 * "Batch: N" and the first num_rows rows in Dataset.show's layout (cells
 * right-aligned, strings cut to 20 characters with "..." when truncate is
 * on, "only showing top N rows" when there are more). format = 'jsonl'
 * prints every row as {"batchId":N,"row":{...}} for machines.
 *
 * The console is at-least-once: a batch re-run after a crash prints again.
 */
#include "io/connector.h"

#include <stdlib.h>
#include <string.h>

static const sp_opt_def console_options[] = {
    {"format", SP_OPT_ENUM, "table", false, "table|jsonl",
     "table (Spark's layout) or jsonl (one JSON object per row)"},
    {"num_rows", SP_OPT_INT, "20", false, NULL, "rows shown per batch"},
    {"truncate", SP_OPT_BOOL, "true", false, NULL,
     "cut strings longer than 20 characters"},
    {0}};

struct sp_sink {
    char *name;
    const sp_schema *schema;
    FILE *out;
    bool jsonl;
    int64_t num_rows;
    bool truncate;
};

typedef struct console_part {
    sp_arena *arena;
    uint64_t n_rows; /* all live rows seen */
    char **cells;    /* table: kept rows x n_cols formatted cells */
    uint64_t n_kept, cap_kept;
    sp_buf lines; /* jsonl */
} console_part;

static int console_open(const sp_sink_conf *conf, sp_sink **out, sp_err *err)
{
    sp_sink *s = sp_calloc(1, sizeof *s);
    if (!s) return sp_err_set(err, SP_ENOMEM, "out of memory");
    s->name = sp_strdup(conf->name);
    s->schema = conf->schema;
    s->out = conf->out ? conf->out : stdout;
    const char *f = sp_opts_get(conf->opts, "format");
    s->jsonl = f && strcmp(f, "jsonl") == 0;
    s->num_rows = sp_opts_int(conf->opts, "num_rows", 20);
    s->truncate = sp_opts_bool(conf->opts, "truncate", true);
    *out = s;
    return 0;
}

static int64_t console_last(sp_sink *s)
{
    return -1;
}

static int console_part_open(sp_sink *s, int64_t batch_id, int part,
                             int attempt, void **out, sp_err *err)
{
    console_part *p = sp_calloc(1, sizeof *p);
    if (!p || !(p->arena = sp_arena_create(1 << 14))) {
        sp_free(p);
        return sp_err_set(err, SP_ENOMEM, "out of memory");
    }
    sp_buf_init(&p->lines);
    *out = p;
    return 0;
}

static int console_part_write(sp_sink *s, void *part, const sp_batch *b,
                              sp_err *err)
{
    console_part *p = part;
    uint32_t live = sp_batch_live(b);
    p->n_rows += live;
    if (s->jsonl) {
        sp_buf rows;
        sp_buf_init(&rows);
        int rc = sp_write_rows(SP_FMT_JSON, s->schema, b, &rows);
        /* wrap each line: {"batchId":N,"row":<line>} -- the batch id is
         * filled in at commit, so store the bare lines here */
        if (!rc)
            rc = sp_buf_append(&p->lines, rows.data ? rows.data : "", rows.len);
        sp_buf_free(&rows);
        return rc ? sp_err_set(err, SP_ENOMEM, "out of memory") : 0;
    }
    uint32_t nc = s->schema->n_fields;
    uint64_t want = (uint64_t)s->num_rows + 1;
    sp_buf cell;
    sp_buf_init(&cell);
    for (uint32_t k = 0; k < live && p->n_kept < want; k++) {
        uint32_t r = sp_batch_row(b, k);
        if (p->n_kept == p->cap_kept) {
            uint64_t cap = p->cap_kept ? p->cap_kept * 2 : 32;
            char **nc2 =
                sp_arena_alloc(p->arena, cap * nc * sizeof(char *) + 1);
            if (!nc2) return sp_err_set(err, SP_ENOMEM, "out of memory");
            if (p->n_kept)
                memcpy(nc2, p->cells, p->n_kept * nc * sizeof(char *));
            p->cells = nc2;
            p->cap_kept = cap;
        }
        for (uint32_t c = 0; c < nc; c++) {
            sp_value v;
            sp_vec_get(&b->cols[c], r, &v);
            cell.len = 0;
            sp_value_format(&v, &cell);
            p->cells[p->n_kept * nc + c] = sp_arena_strndup(
                p->arena, cell.data ? cell.data : "", cell.len);
        }
        p->n_kept++;
    }
    sp_buf_free(&cell);
    return 0;
}

static void part_free(console_part *p)
{
    if (!p) return;
    sp_arena_destroy(p->arena);
    sp_buf_free(&p->lines);
    sp_free(p);
}

/* Display width in code points (UTF-8 continuation bytes don't count). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

/* First n code points of s, into the arena. */
static char *prefix(sp_arena *a, const char *s, size_t n)
{
    size_t i = 0, cps = 0;
    while (s[i] && cps < n) {
        i++;
        while (((unsigned char)s[i] & 0xc0) == 0x80) i++;
        cps++;
    }
    return sp_arena_strndup(a, s, i);
}

static void pad(FILE *f, size_t n)
{
    while (n--) fputc(' ', f);
}

static void print_row(sp_sink *s, char **cells, size_t *w, uint32_t nc)
{
    fputc('|', s->out);
    for (uint32_t c = 0; c < nc; c++) {
        size_t cw = width(cells[c]);
        if (s->truncate) {
            pad(s->out, w[c] - cw);
            fputs(cells[c], s->out);
        } else {
            fputs(cells[c], s->out);
            pad(s->out, w[c] - cw);
        }
        fputc('|', s->out);
    }
    fputc('\n', s->out);
}

static void print_sep(sp_sink *s, size_t *w, uint32_t nc)
{
    fputc('+', s->out);
    for (uint32_t c = 0; c < nc; c++) {
        for (size_t i = 0; i < w[c]; i++) fputc('-', s->out);
        fputc('+', s->out);
    }
    fputc('\n', s->out);
}

static int console_commit(sp_sink *s, int64_t batch_id, void **parts,
                          int n_parts, sp_err *err)
{
    if (s->jsonl) {
        char prefix_buf[64];
        int pl = snprintf(prefix_buf, sizeof prefix_buf,
                          "{\"batchId\":%lld,\"row\":", (long long)batch_id);
        for (int i = 0; i < n_parts; i++) {
            console_part *p = parts[i];
            const char *d = p->lines.data;
            size_t n = p->lines.len, off = 0;
            while (off < n) {
                const char *nl = memchr(d + off, '\n', n - off);
                size_t ll = nl ? (size_t)(nl - (d + off)) : n - off;
                fwrite(prefix_buf, 1, (size_t)pl, s->out);
                fwrite(d + off, 1, ll, s->out);
                fputs("}\n", s->out);
                off += ll + 1;
            }
            part_free(p);
        }
        fflush(s->out);
        return 0;
    }
    uint32_t nc = s->schema->n_fields;
    sp_arena *a = sp_arena_create(1 << 14);
    uint64_t want = (uint64_t)s->num_rows + 1, n = 0;
    char **rows = sp_arena_alloc(a, (want * nc + 1) * sizeof(char *));
    for (int i = 0; i < n_parts; i++) {
        console_part *p = parts[i];
        for (uint64_t r = 0; r < p->n_kept && n < want; r++, n++)
            for (uint32_t c = 0; c < nc; c++) {
                const char *v = p->cells[r * nc + c];
                if (s->truncate && width(v) > 20)
                    rows[n * nc + c] =
                        sp_arena_printf(a, "%s...", prefix(a, v, 17));
                else
                    rows[n * nc + c] = sp_arena_strdup(a, v);
            }
    }
    bool more = n > (uint64_t)s->num_rows;
    if (more) n = (uint64_t)s->num_rows;
    size_t *w = sp_arena_zalloc(a, (nc + 1) * sizeof(size_t));
    char **hdr = sp_arena_alloc(a, (nc + 1) * sizeof(char *));
    for (uint32_t c = 0; c < nc; c++) {
        hdr[c] = s->truncate && width(s->schema->fields[c].name) > 20
                     ? sp_arena_printf(a, "%s...",
                                       prefix(a, s->schema->fields[c].name, 17))
                     : s->schema->fields[c].name;
        w[c] = SP_MAX(3, width(hdr[c]));
        for (uint64_t r = 0; r < n; r++)
            w[c] = SP_MAX(w[c], width(rows[r * nc + c]));
    }
    fprintf(s->out,
            "-------------------------------------------\n"
            "Batch: %lld\n"
            "-------------------------------------------\n",
            (long long)batch_id);
    print_sep(s, w, nc);
    print_row(s, hdr, w, nc);
    print_sep(s, w, nc);
    for (uint64_t r = 0; r < n; r++) print_row(s, rows + r * nc, w, nc);
    print_sep(s, w, nc);
    if (more)
        fprintf(s->out, "only showing top %lld row%s\n", (long long)s->num_rows,
                s->num_rows == 1 ? "" : "s");
    fputc('\n', s->out);
    fflush(s->out);
    for (int i = 0; i < n_parts; i++) part_free(parts[i]);
    sp_arena_destroy(a);
    return 0;
}

static void console_abort(sp_sink *s, int64_t batch_id, void **parts,
                          int n_parts)
{
    for (int i = 0; i < n_parts; i++) part_free(parts[i]);
}

static void console_describe(sp_sink *s, sp_buf *out)
{
    sp_buf_printf(out, "ConsoleSink[format=%s, numRows=%lld, truncate=%s]",
                  s->jsonl ? "jsonl" : "table", (long long)s->num_rows,
                  s->truncate ? "true" : "false");
}

static void console_close(sp_sink *s)
{
    if (!s) return;
    sp_free(s->name);
    sp_free(s);
}

const sp_sink_vtab sp_sink_console = {
    .name = "console",
    .options = console_options,
    .open = console_open,
    .last_committed = console_last,
    .part_open = console_part_open,
    .part_write = console_part_write,
    .commit = console_commit,
    .abort = console_abort,
    .describe = console_describe,
    .close = console_close,
};
