/*
 * fmt_csv.c -- the CSV reader (RFC 4180 with a configurable delimiter and
 * quote), fields mapped to the schema by position, straight into columns.
 *
 * A record is one physical line unless a quoted field contains newlines;
 * then it runs on until the closing quote, and *line_no advances by the
 * physical lines consumed. Inside quotes a doubled quote is one quote
 * character; such fields are decoded into the batch arena, all others are
 * views into the input. A quote anywhere but at the start of a field is
 * an ordinary character.
 *
 * Spark's PERMISSIVE rules, as far as a schema-driven reader keeps them:
 *   - fewer fields than columns: the missing columns are NULL;
 *   - more fields than columns: a bad line;
 *   - an empty unquoted field, or one equal to null_value: NULL; a quoted
 *     empty field is "" for VARCHAR (NULL for other types);
 *   - a field that does not parse as its column's type: a bad line naming
 *     the column;
 *   - empty lines are skipped; with header = true the first record of a
 *     file is skipped.
 * An unterminated quote makes only its first physical line bad, so one
 * stray quote does not swallow the rest of the file.
 */
#include "io/fmtInt.h"

#include <stdio.h>
#include <string.h>

enum { FIELD_OK = 0, FIELD_BAD = -1, FIELD_OOM = -2 };

static void trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t')) (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t')) (*e)--;
}

static int bad_type(io_ctx *c, uint32_t f, const char *expected, const char *s,
                    size_t n)
{
    char ex[64];
    sp_io_excerpt(ex, sizeof ex, s, n);
    snprintf(c->r->why, sizeof c->r->why,
             "column \"%.64s\" (field %u): expected %s, got \"%s\"",
             c->r->names[f], f + 1, expected, ex);
    return FIELD_BAD;
}

/* Stores field text [s, s+n) (already unquoted/decoded) into row `row` of
 * column f. */
static int put_field(io_ctx *c, uint32_t f, uint32_t row, const char *s,
                     size_t n, bool quoted)
{
    sp_reader *r = c->r;
    sp_vec *v = &c->cols[f];
    sp_type t = r->types[f];
    if ((n == 0 && (!quoted || t != SP_T_VARCHAR)) ||
        (r->null_len && n == r->null_len && memcmp(s, r->null_value, n) == 0))
        return io_set_null(c, f, row) ? FIELD_OOM : FIELD_OK;
    const char *b = s, *e = s + n;
    switch (t) {
    case SP_T_VARCHAR:
        v->d.str[row] = sp_str_make(s, n);
        break;
    case SP_T_BIGINT: {
        trim(&b, &e);
        int rc = sp_io_parse_i64(b, e, true, &v->d.i64[row]);
        if (rc == -2) {
            snprintf(r->why, sizeof r->why,
                     "column \"%.64s\" (field %u): %.*s is out of BIGINT "
                     "range",
                     r->names[f], f + 1, (int)SP_MIN(n, 40), s);
            return FIELD_BAD;
        }
        if (rc != 0) return bad_type(c, f, "BIGINT", s, n);
        break;
    }
    case SP_T_DOUBLE:
        trim(&b, &e);
        if (sp_io_parse_double(b, e, &v->d.f64[row]) != 0)
            return bad_type(c, f, "DOUBLE", s, n);
        break;
    case SP_T_BOOL:
        trim(&b, &e);
        if (sp_str_eq_nocase(sp_str_make(b, (size_t)(e - b)), "true"))
            v->d.b[row] = 1;
        else if (sp_str_eq_nocase(sp_str_make(b, (size_t)(e - b)), "false"))
            v->d.b[row] = 0;
        else
            return bad_type(c, f, "BOOLEAN", s, n);
        break;
    case SP_T_TIMESTAMP:
        if (sp_ts_parse(s, n, &v->d.i64[row]) != 0)
            return bad_type(c, f, "a timestamp", s, n);
        break;
    case SP_T_INTERVAL: {
        const char *why = NULL;
        if (sp_interval_parse(s, n, &v->d.i64[row], &why) != 0)
            return bad_type(c, f, "an interval", s, n);
        break;
    }
    default:
        return io_set_null(c, f, row) ? FIELD_OOM : FIELD_OK;
    }
    io_set_valid(v, row);
    return FIELD_OK;
}

/* Decodes a quoted field body with doubled quotes into the arena. */
static const char *undouble(io_ctx *c, const char *s, size_t n, char quote,
                            size_t *out_n)
{
    char *dst = sp_arena_alloc(c->arena, n ? n : 1);
    if (!dst) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        dst[o++] = s[i];
        if (s[i] == quote && i + 1 < n && s[i + 1] == quote) i++;
    }
    *out_n = o;
    return dst;
}

/* Content end of the physical line ending at lend (drops one '\r'). */
static inline const char *content_end(const char *from, const char *lend)
{
    return (lend > from && lend[-1] == '\r') ? lend - 1 : lend;
}

int sp_io_csv_parse(io_ctx *c, size_t *pos, uint64_t *line_no,
                    bool at_file_start, uint32_t *n_rows)
{
    sp_reader *r = c->r;
    const char *p = c->buf + *pos, *bend = c->bend;
    const char delim = r->opts.delimiter, quote = r->opts.quote;
    bool skip_header = at_file_start && r->opts.header;
    uint64_t ln = *line_no;
    uint32_t n = 0;
    int rc = 0;

    while (p < bend && n < c->cap) {
        const char *rec = p;
        const char *lend = memchr(p, '\n', (size_t)(bend - p));
        if (!lend) lend = bend;
        const char *l1end = lend; /* end of the record's first line */
        const char *cend = content_end(p, lend);
        uint64_t lines = 1;
        if (cend == p) { /* empty line */
            p = lend < bend ? lend + 1 : bend;
            ln++;
            continue;
        }
        /* Walk every field to find the record's end even after an error;
         * only a broken quote stops the walk. The first error wins. */
        uint32_t fi = 0;
        int fr = FIELD_OK, col = 0;
        bool store = !skip_header, broken = false;
        for (;;) {
            const char *fs, *fe, *val;
            size_t vlen = 0;
            bool quoted = false, more = false;
            if (quote && p < cend && *p == quote) {
                quoted = true;
                const char *s = p + 1, *q;
                bool doubled = false;
                for (;;) {
                    q = memchr(s, quote, (size_t)(bend - s));
                    if (!q || q + 1 >= bend || q[1] != quote) break;
                    doubled = true;
                    s = q + 2;
                }
                if (!q) {
                    if (fr == FIELD_OK) {
                        col = (int)(p - rec) + 1;
                        snprintf(r->why, sizeof r->why,
                                 "unterminated quoted field at byte %d", col);
                        fr = FIELD_BAD;
                    }
                    /* Resume after the first physical line. */
                    lend = l1end;
                    lines = 1;
                    broken = true;
                    break;
                }
                /* The record may now span more physical lines. */
                while (lend < q) {
                    lines++;
                    const char *nl =
                        memchr(lend + 1, '\n', (size_t)(bend - (lend + 1)));
                    lend = nl ? nl : bend;
                }
                cend = content_end(q + 1, lend);
                fs = p + 1;
                fe = q;
                p = q + 1;
                if (p < cend && *p == delim) {
                    p++;
                    more = true;
                } else if (p != cend) {
                    if (fr == FIELD_OK) {
                        col = (int)(p - rec) + 1;
                        snprintf(r->why, sizeof r->why,
                                 "expected '%c' or end of line after "
                                 "closing quote at byte %d",
                                 delim, col);
                        fr = FIELD_BAD;
                    }
                    broken = true;
                    break;
                }
                val = fs;
                vlen = (size_t)(fe - fs);
                if (doubled && store && fr == FIELD_OK && fi < r->n_fields) {
                    val = undouble(c, fs, vlen, quote, &vlen);
                    if (!val) {
                        fr = FIELD_OOM;
                        break;
                    }
                }
            } else {
                fs = p;
                fe = memchr(p, delim, (size_t)(cend - p));
                if (fe) {
                    p = fe + 1;
                    more = true;
                } else {
                    fe = cend;
                    p = cend;
                }
                val = fs;
                vlen = (size_t)(fe - fs);
            }
            if (fi >= r->n_fields) {
                if (fr == FIELD_OK) {
                    col = (int)(fs - rec) + 1 - quoted;
                    snprintf(r->why, sizeof r->why,
                             "too many fields: expected %u, found more at "
                             "byte %d",
                             r->n_fields, col);
                    fr = FIELD_BAD;
                }
            } else if (store && fr == FIELD_OK) {
                fr = put_field(c, fi, n, val, vlen, quoted);
                if (fr == FIELD_OOM) break;
                if (fr == FIELD_BAD) col = (int)(fs - rec) + 1 - quoted;
            }
            fi++;
            if (!more) break;
        }
        if (fr == FIELD_OK && store) {
            for (uint32_t f = fi; f < r->n_fields; f++) {
                if (io_set_null(c, f, n) != 0) {
                    fr = FIELD_OOM;
                    break;
                }
            }
        }
        if (fr == FIELD_OOM) {
            p = rec;
            rc = SP_ENOMEM;
            break;
        }
        if (fr == FIELD_BAD && !skip_header) {
            /* The reported text: the first physical line, or the whole
             * record when it spans lines and is not broken. */
            const char *shown = content_end(rec, broken ? l1end : lend);
            rc = sp_io_bad(c, ln, rec, (size_t)(shown - rec), col);
            if (rc != 0) {
                p = rec;
                break;
            }
        } else if (fr == FIELD_OK && store) {
            n++;
        }
        skip_header = false;
        p = lend < bend ? lend + 1 : bend;
        ln += lines;
    }
    *pos = (size_t)(p - c->buf);
    *line_no = ln;
    *n_rows = n;
    return rc;
}
