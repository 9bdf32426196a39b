/*
 * write.c -- record writers: render the live rows of a batch (honouring
 * the selection vector) as JSON lines, CSV or text, appended to an sp_buf.
 *
 * Output follows what Spark writes with its defaults:
 *   JSON  {"k":v,...} keys in schema order, NULL fields omitted; strings
 *         escaped as Jackson does (\" \\ \b \f \n \r \t, other control
 *         bytes as \u00XX, UTF-8 kept); doubles as Java prints them, with
 *         NaN/Infinity/-Infinity as strings; timestamps as ISO-8601
 *         strings; intervals as their Spark string form.
 *   CSV   ',' between fields; a field is quoted when it contains ',', '"',
 *         '\n', '\r' or a leading/trailing space, with '"' doubled inside
 *         (RFC 4180; Spark's own default escapes with '\\' instead); NULL
 *         is an empty field and the empty string is "" so the two differ
 *         on reading; timestamps in ISO-8601.
 *   TEXT  the single column's value; NULL as an empty line.
 *
 * Hot loops write straight into the buffer after one sp_buf_reserve per
 * value, and keep sp_buf's NUL terminator after the last byte.
 */
#include "io/fmtInt.h"

#include <math.h>
#include <string.h>

/* Room for any fixed-width rendering (doubles, timestamps, intervals). */
#define SCALAR_MAX 80

static char *put_i64(char *o, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *o++ = '-';
    while (n) *o++ = tmp[--n];
    return o;
}

/* Renders a non-VARCHAR, non-NULL value as text (no quotes). Returns the
 * length; buf holds >= SCALAR_MAX bytes. */
static int scalar_text(const sp_vec *v, uint32_t i, char *buf)
{
    switch (v->type) {
    case SP_T_BOOL:
        if (v->d.b[i]) {
            memcpy(buf, "true", 4);
            return 4;
        }
        memcpy(buf, "false", 5);
        return 5;
    case SP_T_BIGINT:
        return (int)(put_i64(buf, v->d.i64[i]) - buf);
    case SP_T_DOUBLE:
        return sp_fmt_double(v->d.f64[i], buf);
    case SP_T_TIMESTAMP:
        return sp_ts_format_iso(v->d.i64[i], buf);
    case SP_T_INTERVAL:
        return sp_interval_format(v->d.i64[i], buf);
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------------
 * JSON
 * ---------------------------------------------------------------------- */

static int put_json_str(sp_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    if (sp_buf_reserve(b, n * 6 + 2)) return SP_ENOMEM;
    char *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\') {
            *o++ = (char)ch;
            continue;
        }
        *o++ = '\\';
        switch (ch) {
        case '"':
        case '\\':
            *o++ = (char)ch;
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[ch >> 4];
            *o++ = hex[ch & 15];
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    return 0;
}

static int write_json(const sp_schema *schema, const sp_batch *b, sp_buf *out)
{
    /* The `"name":` prefixes, escaped once per call. */
    sp_buf keys;
    size_t small_off[33];
    size_t *off = small_off;
    int rc = 0;
    sp_buf_init(&keys);
    if (schema->n_fields + 1 > SP_ARRAY_LEN(small_off)) {
        off = sp_malloc((schema->n_fields + 1) * sizeof *off);
        if (!off) return SP_ENOMEM;
    }
    for (uint32_t f = 0; f < schema->n_fields; f++) {
        const char *nm = schema->fields[f].name;
        off[f] = keys.len;
        if ((rc = put_json_str(&keys, nm, strlen(nm))) != 0) goto cleanup;
        if ((rc = sp_buf_putc(&keys, ':')) != 0) goto cleanup;
    }
    off[schema->n_fields] = keys.len;

    uint32_t live = sp_batch_live(b);
    for (uint32_t k = 0; k < live; k++) {
        uint32_t i = sp_batch_row(b, k);
        bool first = true;
        if ((rc = sp_buf_putc(out, '{')) != 0) goto cleanup;
        for (uint32_t f = 0; f < schema->n_fields && f < b->n_cols; f++) {
            const sp_vec *v = &b->cols[f];
            if (v->type == SP_T_NULL || sp_vec_is_null(v, i)) continue;
            size_t klen = off[f + 1] - off[f];
            if ((rc = sp_buf_reserve(out, klen + 1 + SCALAR_MAX + 2)) != 0)
                goto cleanup;
            char *o = out->data + out->len;
            if (!first) *o++ = ',';
            first = false;
            memcpy(o, keys.data + off[f], klen);
            o += klen;
            out->len = (size_t)(o - out->data);
            if (v->type == SP_T_VARCHAR) {
                sp_str s = v->d.str[i];
                if ((rc = put_json_str(out, s.ptr, s.len)) != 0) goto cleanup;
                continue;
            }
            if (v->type == SP_T_WINDOW) {
                /* a struct: {"start":"...","end":"..."} as Spark writes */
                char ts0[48], ts1[48];
                sp_ts_format_iso(v->d.i64[2 * i], ts0);
                sp_ts_format_iso(v->d.i64[2 * i + 1], ts1);
                if ((rc =
                         sp_buf_printf(out, "{\"start\":\"%s\",\"end\":\"%s\"}",
                                       ts0, ts1)) != 0)
                    goto cleanup;
                continue;
            }
            bool quoted = v->type == SP_T_TIMESTAMP ||
                          v->type == SP_T_INTERVAL ||
                          (v->type == SP_T_DOUBLE && !isfinite(v->d.f64[i]));
            if (quoted) *o++ = '"';
            o += scalar_text(v, i, o);
            if (quoted) *o++ = '"';
            out->len = (size_t)(o - out->data);
        }
        if ((rc = sp_buf_putc(out, '}')) != 0) goto cleanup;
        if ((rc = sp_buf_putc(out, '\n')) != 0) goto cleanup;
    }
cleanup:
    if (off != small_off) sp_free(off);
    sp_buf_free(&keys);
    return rc;
}

/* ------------------------------------------------------------------------
 * CSV
 * ---------------------------------------------------------------------- */

static int put_csv_str(sp_buf *b, const char *s, size_t n)
{
    bool need = n == 0 || s[0] == ' ' || s[n - 1] == ' ';
    for (size_t i = 0; i < n && !need; i++) {
        char ch = s[i];
        need = ch == ',' || ch == '"' || ch == '\n' || ch == '\r';
    }
    if (!need) return sp_buf_append(b, s, n);
    if (sp_buf_reserve(b, n * 2 + 2)) return SP_ENOMEM;
    char *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') *o++ = '"';
        *o++ = s[i];
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    return 0;
}

static int write_csv(const sp_schema *schema, const sp_batch *b, sp_buf *out)
{
    uint32_t live = sp_batch_live(b);
    uint32_t nf = SP_MIN(schema->n_fields, b->n_cols);
    for (uint32_t k = 0; k < live; k++) {
        uint32_t i = sp_batch_row(b, k);
        for (uint32_t f = 0; f < nf; f++) {
            const sp_vec *v = &b->cols[f];
            if (sp_buf_reserve(out, SCALAR_MAX + 1)) return SP_ENOMEM;
            if (f > 0) out->data[out->len++] = ',';
            if (v->type == SP_T_NULL || sp_vec_is_null(v, i)) continue;
            if (v->type == SP_T_VARCHAR) {
                if (put_csv_str(out, v->d.str[i].ptr, v->d.str[i].len))
                    return SP_ENOMEM;
            } else if (v->type == SP_T_WINDOW) {
                sp_value val;
                sp_vec_get(v, i, &val);
                sp_buf t;
                sp_buf_init(&t);
                int rc = sp_value_format(&val, &t);
                if (!rc) rc = put_csv_str(out, t.data, t.len);
                sp_buf_free(&t);
                if (rc) return SP_ENOMEM;
            } else {
                out->len += (size_t)scalar_text(v, i, out->data + out->len);
            }
        }
        if (sp_buf_putc(out, '\n')) return SP_ENOMEM;
    }
    return 0;
}

int sp_write_csv_header(const sp_schema *schema, sp_buf *out)
{
    for (uint32_t f = 0; f < schema->n_fields; f++) {
        const char *nm = schema->fields[f].name;
        if (f > 0 && sp_buf_putc(out, ',')) return SP_ENOMEM;
        if (put_csv_str(out, nm, strlen(nm))) return SP_ENOMEM;
    }
    return sp_buf_putc(out, '\n');
}

/* ------------------------------------------------------------------------
 * Text and dispatch
 * ---------------------------------------------------------------------- */

static int write_text(const sp_batch *b, sp_buf *out)
{
    uint32_t live = sp_batch_live(b);
    const sp_vec *v = &b->cols[0];
    for (uint32_t k = 0; k < live; k++) {
        uint32_t i = sp_batch_row(b, k);
        if (v->type != SP_T_NULL && !sp_vec_is_null(v, i)) {
            if (v->type == SP_T_VARCHAR) {
                if (sp_buf_append(out, v->d.str[i].ptr, v->d.str[i].len))
                    return SP_ENOMEM;
            } else {
                sp_value val;
                sp_vec_get(v, i, &val);
                if (sp_value_format(&val, out)) return SP_ENOMEM;
            }
        }
        if (sp_buf_putc(out, '\n')) return SP_ENOMEM;
    }
    return 0;
}

int sp_write_rows(sp_format_kind kind, const sp_schema *schema,
                  const sp_batch *b, sp_buf *out)
{
    int rc;
    switch (kind) {
    case SP_FMT_JSON:
        rc = write_json(schema, b, out);
        break;
    case SP_FMT_CSV:
        rc = write_csv(schema, b, out);
        break;
    case SP_FMT_TEXT:
        if (b->n_cols != 1) return SP_EINVAL;
        rc = write_text(b, out);
        break;
    default:
        return SP_EINVAL;
    }
    if (out->data && out->len < out->cap) out->data[out->len] = '\0';
    return rc;
}
