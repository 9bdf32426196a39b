/*
 * err.c -- error codes, the sp_err record, and printing errors for people.
 *
 * An sp_err is filled once (first failure wins) as the failure travels up;
 * the CLI prints it with sp_err_print, which shows the offending line of the
 * SQL script with a caret under the bad token, as compilers do.
 */
#include "core/core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *sp_err_name(int code)
{
    switch (code) {
#define SP_ERR_CASE(n, v, t)                                                   \
    case v:                                                                    \
        return #n;
        SP_ERR_MAP(SP_ERR_CASE)
#undef SP_ERR_CASE
    }
    return "EUNKNOWN";
}

const char *sp_strerror(int code)
{
    switch (code) {
#define SP_ERR_CASE(n, v, t)                                                   \
    case v:                                                                    \
        return t;
        SP_ERR_MAP(SP_ERR_CASE)
#undef SP_ERR_CASE
    }
    return "unknown error";
}

void sp_err_clear(sp_err *e)
{
    memset(e, 0, sizeof *e);
}

int sp_err_set(sp_err *e, int code, const char *fmt, ...)
{
    if (!e || e->code != 0) return code;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return code;
}

int sp_err_sys(sp_err *e, int code, int errnum, const char *fmt, ...)
{
    if (!e || e->code != 0) return code;
    e->code = code;
    e->sys_errno = errnum;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof e->msg)
        snprintf(e->msg + n, sizeof e->msg - (size_t)n, ": %s",
                 strerror(errnum));
    return code;
}

void sp_err_detail(sp_err *e, const char *fmt, ...)
{
    if (!e) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
}

void sp_err_hint(sp_err *e, const char *fmt, ...)
{
    if (!e) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->hint, sizeof e->hint, fmt, ap);
    va_end(ap);
}

void sp_err_at(sp_err *e, const char *file, int line, int col, int len)
{
    if (!e) return;
    snprintf(e->file, sizeof e->file, "%s", file ? file : "");
    e->line = line;
    e->col = col;
    e->len = len > 0 ? len : 1;
}

/* Finds line `line` (1-based) of text; returns its start and length. */
static const char *find_line(const char *text, size_t n, int line, size_t *len)
{
    const char *p = text, *end = text + n;
    for (int l = 1; l < line && p < end; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) return NULL;
        p = nl + 1;
    }
    if (p > end) return NULL;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    *len = (size_t)((nl ? nl : end) - p);
    if (*len && p[*len - 1] == '\r') (*len)--;
    return p;
}

void sp_err_print(const sp_err *e, const char *text, size_t text_len, FILE *out)
{
    if (e->file[0] && e->line > 0 && e->col > 0)
        fprintf(out, "%s:%d:%d: error: %s\n", e->file, e->line, e->col, e->msg);
    else if (e->file[0] && e->line > 0)
        fprintf(out, "%s:%d: error: %s\n", e->file, e->line, e->msg);
    else if (e->file[0])
        fprintf(out, "%s: error: %s\n", e->file, e->msg);
    else
        fprintf(out, "error: %s\n", e->msg);
    size_t ll = 0;
    const char *l = (text && e->line > 0 && e->col > 0)
                        ? find_line(text, text_len, e->line, &ll)
                        : NULL;
    if (l) {
        fprintf(out, "%5d | %.*s\n", e->line, (int)ll, l);
        fprintf(out, "      | ");
        /* Keep tabs so the caret lines up under the token. */
        for (int i = 1; i < e->col && (size_t)(i - 1) < ll; i++)
            fputc(l[i - 1] == '\t' ? '\t' : ' ', out);
        fputc('^', out);
        int avail = (int)ll - e->col;
        for (int i = 1; i < e->len && i <= avail; i++) fputc('~', out);
        fputc('\n', out);
    }
    if (e->detail[0]) fprintf(out, "detail: %s\n", e->detail);
    if (e->hint[0]) fprintf(out, "hint: %s\n", e->hint);
}

void sp_panic_at(const char *file, int line, const char *fmt, ...)
{
    fprintf(stderr, "spate: panic at %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}
