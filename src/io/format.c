/*
 * format.c -- the record-format front end: format names, default options,
 * reader creation, and sp_reader_parse, which sets up the output batch
 * and dispatches to the JSON, CSV or text parse loop (fmt_*.c).
 *
 * Also holds the pieces the readers share: bad-line reporting and exact
 * number parsing for text that is not JSON-validated (CSV fields, JSON
 * doubles off the fast path, timestamps given as seconds).
 *
 * Batch setup invariant: every column's data array has room for `cap`
 * rows, where cap = min(max_rows, bytes left) -- a row consumes at least
 * one byte, so a huge max_rows never turns into a huge allocation. Null
 * arrays are allocated only when a NULL appears (sp_vec_ensure_nulls).
 */
#include "io/fmtInt.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Names and options
 * ---------------------------------------------------------------------- */

int sp_format_parse(const char *name, sp_format_kind *out)
{
    static const struct {
        const char *name;
        sp_format_kind kind;
    } names[] = {
        {"json", SP_FMT_JSON}, {"jsonl", SP_FMT_JSON}, {"ndjson", SP_FMT_JSON},
        {"csv", SP_FMT_CSV},   {"text", SP_FMT_TEXT},  {"txt", SP_FMT_TEXT},
    };
    if (!name) return -1;
    for (size_t i = 0; i < SP_ARRAY_LEN(names); i++) {
        if (sp_str_eq_nocase(sp_str_make(name, strlen(name)), names[i].name)) {
            *out = names[i].kind;
            return 0;
        }
    }
    return -1;
}

void sp_format_opts_default(sp_format_opts *o)
{
    o->delimiter = ',';
    o->quote = '"';
    o->header = false;
    o->null_value = "";
}

/* ------------------------------------------------------------------------
 * Reader lifecycle
 * ---------------------------------------------------------------------- */

sp_reader *sp_reader_create(sp_format_kind kind, const sp_schema *schema,
                            const sp_format_opts *opts, sp_err *err)
{
    sp_reader *r = NULL;
    if (!schema) {
        sp_err_set(err, SP_EINVAL, "reader needs a schema");
        return NULL;
    }
    if (kind == SP_FMT_TEXT &&
        (schema->n_fields != 1 || schema->fields[0].type != SP_T_VARCHAR)) {
        sp_err_set(err, SP_EINVAL,
                   "the text format produces one VARCHAR column");
        sp_err_hint(err, "declare the schema as (value VARCHAR)");
        return NULL;
    }
    r = sp_calloc(1, sizeof *r);
    if (!r) goto oom;
    r->kind = kind;
    r->n_fields = schema->n_fields;
    uint32_t n = r->n_fields ? r->n_fields : 1;
    r->types = sp_calloc(n, sizeof *r->types);
    r->names = sp_calloc(n, sizeof *r->names);
    r->name_lens = sp_calloc(n, sizeof *r->name_lens);
    r->seen = sp_calloc(n, sizeof *r->seen);
    if (!r->types || !r->names || !r->name_lens || !r->seen) goto oom;
    for (uint32_t i = 0; i < r->n_fields; i++) {
        const char *nm = schema->fields[i].name ? schema->fields[i].name : "";
        r->types[i] = schema->fields[i].type;
        r->names[i] = sp_strdup(nm);
        if (!r->names[i]) goto oom;
        r->name_lens[i] = (uint32_t)strlen(nm);
        if (r->name_lens[i] > r->max_name) r->max_name = r->name_lens[i];
    }
    sp_format_opts_default(&r->opts);
    if (opts) r->opts = *opts;
    if (!r->opts.delimiter) r->opts.delimiter = ',';
    r->null_value = sp_strdup(r->opts.null_value ? r->opts.null_value : "");
    if (!r->null_value) goto oom;
    r->null_len = strlen(r->null_value);
    r->opts.null_value = r->null_value;
    if (kind == SP_FMT_CSV && r->opts.quote &&
        r->opts.quote == r->opts.delimiter) {
        sp_err_set(err, SP_EINVAL, "CSV quote and delimiter are both '%c'",
                   r->opts.delimiter);
        sp_reader_destroy(r);
        return NULL;
    }
    if (kind == SP_FMT_JSON && sp_io_json_init(r, err) != 0) {
        sp_reader_destroy(r);
        return NULL;
    }
    return r;
oom:
    sp_reader_destroy(r);
    sp_err_set(err, SP_ENOMEM, "out of memory creating a reader");
    return NULL;
}

void sp_reader_destroy(sp_reader *r)
{
    if (!r) return;
    if (r->names)
        for (uint32_t i = 0; i < r->n_fields; i++) sp_free(r->names[i]);
    sp_free(r->names);
    sp_free(r->types);
    sp_free(r->name_lens);
    sp_free(r->seen);
    sp_free(r->null_value);
    sp_free(r->htab);
    sp_free(r->keybuf);
    sp_free(r);
}

/* ------------------------------------------------------------------------
 * Parse dispatch
 * ---------------------------------------------------------------------- */

int sp_reader_parse(sp_reader *r, const char *buf, size_t len, size_t *pos,
                    uint64_t *line_no, bool at_file_start, uint32_t max_rows,
                    sp_batch *out, sp_arena *arena, sp_bad_line_fn on_bad,
                    void *ud, sp_err *err)
{
    out->n_rows = 0;
    out->n_cols = r->n_fields;
    out->cols = NULL;
    out->sel = NULL;
    out->n_sel = 0;
    out->arena = arena;
    if (*pos > len) {
        return sp_err_set(err, SP_EINVAL, "reader position %zu past end %zu",
                          *pos, len);
    }
    size_t left = len - *pos;
    uint32_t cap = max_rows;
    if (left < cap) cap = (uint32_t)left;

    uint32_t nc = r->n_fields ? r->n_fields : 1;
    out->cols = sp_arena_zalloc(arena, nc * sizeof(sp_vec));
    if (!out->cols) goto oom;
    for (uint32_t i = 0; i < r->n_fields; i++) {
        if (sp_vec_alloc(&out->cols[i], r->types[i], cap, false, arena) != 0)
            goto oom;
    }
    if (cap == 0) return 0;
    /* A UTF-8 byte-order mark at the start of a file is not data. */
    if (at_file_start && left >= 3 &&
        memcmp(buf + *pos, "\xEF\xBB\xBF", 3) == 0)
        *pos += 3;

    io_ctx c = {r, buf, buf + len, out->cols, cap, arena, on_bad, ud, err};
    uint32_t n = 0;
    int rc;
    switch (r->kind) {
    case SP_FMT_JSON:
        rc = sp_io_json_parse(&c, pos, line_no, &n);
        break;
    case SP_FMT_CSV:
        rc = sp_io_csv_parse(&c, pos, line_no, at_file_start, &n);
        break;
    case SP_FMT_TEXT:
        rc = sp_io_text_parse(&c, pos, line_no, &n);
        break;
    default:
        return sp_err_set(err, SP_EINTERNAL, "unknown format kind %d",
                          (int)r->kind);
    }
    out->n_rows = n;
    if (rc == SP_ENOMEM) goto oom;
    return rc;
oom:
    return sp_err_set(err, SP_ENOMEM, "out of memory parsing records");
}

int sp_io_bad(io_ctx *c, uint64_t line_no, const char *line, size_t len,
              int col)
{
    if (!c->on_bad) return 0;
    if (c->on_bad(c->ud, line_no, line, len, c->r->why) == 0) return 0;
    if (c->err && c->err->code == 0) {
        sp_err_set(c->err, SP_EDATA, "malformed record at line %llu: %s",
                   (unsigned long long)line_no, c->r->why);
        c->err->line = (int)line_no;
        c->err->col = col;
        c->err->len = col > 0 ? 1 : 0;
    }
    return SP_EDATA;
}

void sp_io_excerpt(char *dst, size_t cap, const char *s, size_t n)
{
    size_t lim = 40, o = 0;
    if (cap == 0) return;
    for (size_t i = 0; i < n && i < lim && o + 1 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        dst[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    if (n > lim) {
        for (int k = 0; k < 3 && o + 1 < cap; k++) dst[o++] = '.';
    }
    dst[o] = '\0';
}

/* ------------------------------------------------------------------------
 * Numbers
 * ---------------------------------------------------------------------- */

int sp_io_parse_i64(const char *s, const char *e, bool allow_plus, int64_t *out)
{
    bool neg = false;
    if (s < e && (*s == '-' || (allow_plus && *s == '+'))) {
        neg = *s == '-';
        s++;
    }
    if (s >= e) return -1;
    uint64_t acc = 0;
    const char *ds = s;
    while (s < e && (unsigned)(*s - '0') < 10) {
        unsigned dgt = (unsigned)(*s - '0');
        if (acc > (UINT64_MAX - dgt) / 10) return -2;
        acc = acc * 10 + dgt;
        s++;
    }
    if (s != e || s == ds) return -1;
    if (neg) {
        if (acc > (uint64_t)INT64_MAX + 1) return -2;
        *out = (int64_t)(0 - acc);
    } else {
        if (acc > (uint64_t)INT64_MAX) return -2;
        *out = (int64_t)acc;
    }
    return 0;
}

static bool eq_nocase(const char *s, const char *e, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(e - s) != n) return false;
    for (size_t i = 0; i < n; i++) {
        char a = s[i];
        if (a >= 'A' && a <= 'Z') a = (char)(a + 32);
        if (a != lit[i]) return false;
    }
    return true;
}

int sp_io_parse_double(const char *s, const char *e, double *out)
{
    static const double pow10[] = {
        1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *p = s;
    bool neg = false;
    if (p < e && (*p == '-' || *p == '+')) {
        neg = *p == '-';
        p++;
    }
    if (p >= e) return -1;
    if (*p != '.' && (unsigned)(*p - '0') >= 10) {
        if (eq_nocase(p, e, "nan") && p == s) {
            *out = NAN;
            return 0;
        }
        if (eq_nocase(p, e, "infinity") || eq_nocase(p, e, "inf")) {
            *out = neg ? -INFINITY : INFINITY;
            return 0;
        }
        return -1;
    }
    /* Grammar check and the fast path in one walk. */
    uint64_t m = 0;
    int n_sig = 0, exp10 = 0, n_dig = 0;
    bool exact = true;
    for (; p < e && (unsigned)(*p - '0') < 10; p++, n_dig++) {
        if (m == 0 && *p == '0') continue;
        if (n_sig < 19)
            m = m * 10 + (uint64_t)(*p - '0');
        else
            exact = false, exp10++;
        n_sig++;
    }
    if (p < e && *p == '.') {
        for (p++; p < e && (unsigned)(*p - '0') < 10; p++, n_dig++) {
            if (m == 0 && *p == '0') {
                exp10--;
                continue;
            }
            if (n_sig < 19) {
                m = m * 10 + (uint64_t)(*p - '0');
                exp10--;
            } else {
                exact = false;
            }
            n_sig++;
        }
    }
    if (n_dig == 0) return -1;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = false;
        if (p < e && (*p == '-' || *p == '+')) eneg = *p++ == '-';
        if (p >= e) return -1;
        int ev = 0;
        for (; p < e && (unsigned)(*p - '0') < 10; p++) {
            if (ev < 100000) ev = ev * 10 + (*p - '0');
        }
        exp10 += eneg ? -ev : ev;
    }
    if (p != e) return -1;
    if (exact && m <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        double d = (double)m;
        d = exp10 >= 0 ? d * pow10[exp10] : d / pow10[-exp10];
        *out = neg ? -d : d;
        return 0;
    }
    /* Slow path: strtod needs a NUL-terminated copy. */
    char small[128];
    size_t n = (size_t)(e - s);
    char *tmp = n < sizeof small ? small : sp_malloc(n + 1);
    if (!tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *endp = NULL;
    errno = 0;
    double d = strtod(tmp, &endp);
    bool ok = endp == tmp + n;
    if (tmp != small) sp_free(tmp);
    if (!ok) return -1;
    *out = d;
    return 0;
}

int sp_io_parse_seconds(const char *s, const char *e, int64_t *out_us)
{
    /* value = digits * 10^exp10, kept as a digit string so the conversion
     * to microseconds is exact. */
    char dig[40];
    int n_dig = 0, exp10 = 0, n_seen = 0;
    bool neg = false;
    const char *p = s;
    if (p < e && (*p == '-' || *p == '+')) neg = *p++ == '-';
    for (; p < e && (unsigned)(*p - '0') < 10; p++, n_seen++) {
        if (n_dig == 0 && *p == '0') continue;
        if (n_dig >= (int)sizeof dig) return -1;
        dig[n_dig++] = *p;
    }
    if (p < e && *p == '.') {
        for (p++; p < e && (unsigned)(*p - '0') < 10; p++, n_seen++) {
            if (n_dig == 0 && *p == '0') {
                exp10--;
                continue;
            }
            if (n_dig < (int)sizeof dig) {
                dig[n_dig++] = *p;
                exp10--;
            } /* digits past 40 are far below a microsecond */
        }
    }
    if (n_seen == 0) return -1;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = false;
        if (p < e && (*p == '-' || *p == '+')) eneg = *p++ == '-';
        if (p >= e) return -1;
        int ev = 0;
        for (; p < e && (unsigned)(*p - '0') < 10; p++) {
            if (ev < 100000) ev = ev * 10 + (*p - '0');
        }
        exp10 += eneg ? -ev : ev;
    }
    if (p != e) return -1;
    int k = exp10 + 6; /* us = digits * 10^k */
    int use = n_dig;
    if (k < 0) {
        use = n_dig + k;
        if (use < 0) use = 0;
        k = 0;
    }
    uint64_t acc = 0;
    for (int i = 0; i < use; i++) {
        unsigned dgt = (unsigned)(dig[i] - '0');
        if (acc > (UINT64_MAX - dgt) / 10) return -1;
        acc = acc * 10 + dgt;
    }
    for (; k > 0 && acc; k--) {
        if (acc > UINT64_MAX / 10) return -1;
        acc *= 10;
    }
    if (acc > (uint64_t)INT64_MAX) return -1;
    *out_us = neg ? -(int64_t)acc : (int64_t)acc;
    return 0;
}
