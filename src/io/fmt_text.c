/*
 * fmt_text.c -- the text reader: every line becomes one row of the single
 * VARCHAR column `value`, a view into the input without its '\r\n' or
 * '\n'. Empty lines are rows holding "" (Spark's text source does the
 * same); a buffer ending in '\n' has no extra empty last line.
 */
#include "io/fmtInt.h"

#include <string.h>

int sp_io_text_parse(io_ctx *c, size_t *pos, uint64_t *line_no,
                     uint32_t *n_rows)
{
    const char *p = c->buf + *pos, *bend = c->bend;
    sp_str *out = c->cols[0].d.str;
    uint32_t n = 0;
    while (p < bend && n < c->cap) {
        const char *nl = memchr(p, '\n', (size_t)(bend - p));
        const char *end = nl ? nl : bend;
        const char *e = (end > p && end[-1] == '\r') ? end - 1 : end;
        out[n++] = sp_str_make(p, (size_t)(e - p));
        p = nl ? nl + 1 : bend;
    }
    *pos = (size_t)(p - c->buf);
    *line_no += n;
    *n_rows = n;
    return 0;
}
