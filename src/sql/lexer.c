/*
 * lexer.c -- the SQL tokenizer; see lexer.h for the contract.
 *
 * Lexical rules (Spark SQL's, plus the SQL-standard '' escape):
 *   - white space; `-- comment` to end of line; `/ * ... * /` block
 *     comments, which nest as in Spark.
 *   - words: [A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*; `back quoted`
 *     identifiers with `` as an escaped back quote.
 *   - strings: '...' or "..." with the quote doubled or backslash escapes
 *     (\n \t \r \b \0 \Z \\ \' \" \uXXXX; \% and \_ keep their backslash
 *     for LIKE patterns; any other \c is c).
 *   - numbers: 123, 123L (BIGINT), 1.5, 1., .5, 1e3, 1.5E-3, 1.5D (DOUBLE).
 *   - operators: ( ) [ ] , ; . * + - / % || = == <> != < <= > >=.
 *
 * Positions are 1-based lines and byte columns, as sp_err_print expects.
 */
#include "sql/lexer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const tok_names[] = {
#define SP_TK_NAME(n, d) d,
    SP_TOKEN_MAP(SP_TK_NAME)
#undef SP_TK_NAME
};

const char *sp_tok_kind_name(sp_tok_kind k)
{
    if ((unsigned)k < SP_ARRAY_LEN(tok_names)) return tok_names[k];
    return "token";
}

void sp_lex_init(sp_lexer *lx, const char *text, int len)
{
    memset(lx, 0, sizeof *lx);
    lx->text = text;
    lx->len = len;
    lx->line = 1;
    lx->col = 1;
}

void sp_lex_rewind(sp_lexer *lx, const sp_tok *t)
{
    lx->off = t->off;
    lx->line = t->line;
    lx->col = t->col;
    lx->failed = false;
}

/* Moves one byte forward, tracking line and column. */
static void bump(sp_lexer *lx)
{
    if (lx->off >= lx->len) return;
    if (lx->text[lx->off] == '\n') {
        lx->line++;
        lx->col = 1;
    } else {
        lx->col++;
    }
    lx->off++;
}

void sp_lex_skip_to(sp_lexer *lx, int off)
{
    while (lx->off < off && lx->off < lx->len) bump(lx);
}

/* Byte at off + k, or 0 past the end. */
static int at(const sp_lexer *lx, int k)
{
    int i = lx->off + k;
    return i < lx->len ? (unsigned char)lx->text[i] : 0;
}

static bool more(const sp_lexer *lx, int k)
{
    return lx->off + k < lx->len;
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Records the first lexical error and returns the ERROR token. */
static sp_tok lex_fail(sp_lexer *lx, sp_tok t, const char *msg,
                       const char *hint)
{
    t.kind = SP_TK_ERROR;
    if (t.len < 1) t.len = 1;
    lx->failed = true;
    lx->err_tok = t;
    snprintf(lx->err_msg, sizeof lx->err_msg, "%s", msg);
    snprintf(lx->err_hint, sizeof lx->err_hint, "%s", hint ? hint : "");
    return t;
}

/* Skips white space and comments. Returns false (and fills *err) on an
 * unterminated block comment. */
static bool skip_space(sp_lexer *lx, sp_tok *err)
{
    for (;;) {
        int c = at(lx, 0);
        if (!more(lx, 0)) return true;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
            c == '\v') {
            bump(lx);
        } else if (c == '-' && at(lx, 1) == '-') {
            while (more(lx, 0) && at(lx, 0) != '\n') bump(lx);
        } else if (c == '/' && at(lx, 1) == '*') {
            sp_tok open = {
                .off = lx->off, .len = 2, .line = lx->line, .col = lx->col};
            int depth = 0;
            for (;;) {
                if (!more(lx, 0)) {
                    *err = open;
                    return false;
                }
                if (at(lx, 0) == '/' && at(lx, 1) == '*') {
                    depth++;
                    bump(lx);
                    bump(lx);
                } else if (at(lx, 0) == '*' && at(lx, 1) == '/') {
                    bump(lx);
                    bump(lx);
                    if (--depth == 0) break;
                } else {
                    bump(lx);
                }
            }
        } else {
            return true;
        }
    }
}

/* Scans a number starting at the current offset into t. */
static sp_tok lex_number(sp_lexer *lx, sp_tok t)
{
    bool is_float = false;
    int start = lx->off;
    while (is_digit(at(lx, 0))) bump(lx);
    if (at(lx, 0) == '.') {
        is_float = true;
        bump(lx);
        while (is_digit(at(lx, 0))) bump(lx);
    }
    if ((at(lx, 0) == 'e' || at(lx, 0) == 'E') &&
        (is_digit(at(lx, 1)) ||
         ((at(lx, 1) == '+' || at(lx, 1) == '-') && is_digit(at(lx, 2))))) {
        is_float = true;
        bump(lx);
        if (at(lx, 0) == '+' || at(lx, 0) == '-') bump(lx);
        while (is_digit(at(lx, 0))) bump(lx);
    }
    int end = lx->off; /* digits end; a suffix may follow */
    int c = at(lx, 0);
    if (!is_float &&
        (c == 'L' || c == 'l' || c == 'S' || c == 's' || c == 'Y' ||
         c == 'y') &&
        !sp_lex_is_word_char((unsigned char)at(lx, 1))) {
        bump(lx);
    } else if ((c == 'D' || c == 'd') &&
               !sp_lex_is_word_char((unsigned char)at(lx, 1))) {
        is_float = true;
        bump(lx);
    }
    t.len = lx->off - t.off;
    if (sp_lex_is_word_char((unsigned char)at(lx, 0))) {
        while (sp_lex_is_word_char((unsigned char)at(lx, 0))) bump(lx);
        t.len = lx->off - t.off;
        return lex_fail(lx, t, "malformed number",
                        "identifiers cannot start with a digit; quote them "
                        "with back quotes: `1st`");
    }
    if (!is_float) {
        t.kind = SP_TK_INT;
        uint64_t v = 0;
        for (int i = start; i < end; i++) {
            unsigned dgt = (unsigned)(lx->text[i] - '0');
            if (v > (UINT64_MAX - dgt) / 10) {
                t.overflow = true;
                break;
            }
            v = v * 10 + dgt;
        }
        t.u = v;
        return t;
    }
    char buf[128];
    int n = end - start;
    if (n >= (int)sizeof buf)
        return lex_fail(lx, t, "numeric literal is too long", NULL);
    memcpy(buf, lx->text + start, (size_t)n);
    buf[n] = 0;
    t.kind = SP_TK_FLOAT;
    t.d = strtod(buf, NULL);
    if (isinf(t.d))
        return lex_fail(lx, t, "numeric literal is out of range", NULL);
    return t;
}

/* Scans a quoted token ('..', "..", `..`) into t. */
static sp_tok lex_quoted(sp_lexer *lx, sp_tok t, int q)
{
    bump(lx); /* opening quote */
    for (;;) {
        if (!more(lx, 0)) {
            char hint[120];
            snprintf(
                hint, sizeof hint, "the %s starting at %d:%d has no closing %c",
                q == '`' ? "quoted identifier" : "string", t.line, t.col, q);
            t.len = 1;
            return lex_fail(lx, t,
                            q == '`' ? "unterminated quoted identifier"
                                     : "unterminated string literal",
                            hint);
        }
        int c = at(lx, 0);
        if (c == '\\' && q != '`' && more(lx, 1)) {
            bump(lx);
            bump(lx);
        } else if (c == q) {
            bump(lx);
            if (at(lx, 0) == q && more(lx, 0)) {
                bump(lx); /* doubled quote */
            } else {
                break;
            }
        } else {
            bump(lx);
        }
    }
    t.len = lx->off - t.off;
    if (q == '`') {
        if (t.len == 2)
            return lex_fail(lx, t, "zero-length quoted identifier", NULL);
        t.kind = SP_TK_QIDENT;
    } else {
        t.kind = SP_TK_STRING;
    }
    return t;
}

sp_tok sp_lex_next(sp_lexer *lx)
{
    if (lx->failed) return lx->err_tok;
    sp_tok t;
    memset(&t, 0, sizeof t);
    sp_tok open;
    if (!skip_space(lx, &open)) {
        char hint[120];
        snprintf(hint, sizeof hint,
                 "the comment opened at %d:%d is never closed with */",
                 open.line, open.col);
        return lex_fail(lx, open, "unterminated comment", hint);
    }
    t.off = lx->off;
    t.line = lx->line;
    t.col = lx->col;
    t.len = 1;
    if (!more(lx, 0)) {
        t.kind = SP_TK_EOF;
        t.len = 1;
        return t;
    }
    int c = at(lx, 0);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
        c >= 0x80) {
        while (more(lx, 0) && sp_lex_is_word_char((unsigned char)at(lx, 0)))
            bump(lx);
        t.kind = SP_TK_WORD;
        t.len = lx->off - t.off;
        return t;
    }
    if (is_digit(c) || (c == '.' && is_digit(at(lx, 1))))
        return lex_number(lx, t);
    if (c == '\'' || c == '"' || c == '`') return lex_quoted(lx, t, c);

    int c1 = at(lx, 1);
    int n = 1;
    switch (c) {
    case '(':
        t.kind = SP_TK_LPAREN;
        break;
    case ')':
        t.kind = SP_TK_RPAREN;
        break;
    case '[':
        t.kind = SP_TK_LBRACKET;
        break;
    case ']':
        t.kind = SP_TK_RBRACKET;
        break;
    case ',':
        t.kind = SP_TK_COMMA;
        break;
    case ';':
        t.kind = SP_TK_SEMI;
        break;
    case '.':
        t.kind = SP_TK_DOT;
        break;
    case '*':
        t.kind = SP_TK_STAR;
        break;
    case '+':
        t.kind = SP_TK_PLUS;
        break;
    case '-':
        t.kind = SP_TK_MINUS;
        break;
    case '/':
        t.kind = SP_TK_SLASH;
        break;
    case '%':
        t.kind = SP_TK_PERCENT;
        break;
    case '|':
        if (c1 != '|') {
            bump(lx);
            return lex_fail(lx, t, "unexpected character '|'",
                            "use || to concatenate strings");
        }
        t.kind = SP_TK_CONCAT;
        n = 2;
        break;
    case '=':
        t.kind = c1 == '=' ? SP_TK_EQEQ : SP_TK_EQ;
        n = c1 == '=' ? 2 : 1;
        break;
    case '<':
        if (c1 == '=') {
            t.kind = SP_TK_LE;
            n = 2;
        } else if (c1 == '>') {
            t.kind = SP_TK_NE;
            n = 2;
        } else {
            t.kind = SP_TK_LT;
        }
        break;
    case '>':
        t.kind = c1 == '=' ? SP_TK_GE : SP_TK_GT;
        n = c1 == '=' ? 2 : 1;
        break;
    case '!':
        if (c1 != '=') {
            bump(lx);
            return lex_fail(lx, t, "unexpected character '!'",
                            "write NOT for negation and != or <> for "
                            "inequality");
        }
        t.kind = SP_TK_NE;
        n = 2;
        break;
    default: {
        char msg[64];
        if (c > 0x20 && c < 0x7f)
            snprintf(msg, sizeof msg, "unexpected character '%c'", c);
        else
            snprintf(msg, sizeof msg, "unexpected character 0x%02x", c);
        bump(lx);
        return lex_fail(lx, t, msg, NULL);
    }
    }
    for (int i = 0; i < n; i++) bump(lx);
    t.len = n;
    return t;
}

/* Appends code point cp as UTF-8. */
static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xc0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (char)(0xe0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *sp_lex_unescape(const sp_lexer *lx, const sp_tok *t, sp_arena *a,
                      size_t *out_len)
{
    const char *s = lx->text + t->off + 1;
    int n = t->len - 2;
    if (n < 0) n = 0;
    char q = lx->text[t->off];
    /* Decoding never grows the text (\uXXXX is 6 bytes for <= 3). */
    char *out = sp_arena_alloc(a, (size_t)n + 1);
    if (!out) return NULL;
    char *o = out;
    for (int i = 0; i < n; i++) {
        char c = s[i];
        if (c == q && i + 1 < n && s[i + 1] == q) {
            *o++ = q;
            i++;
        } else if (c == '\\' && q != '`' && i + 1 < n) {
            char e = s[++i];
            switch (e) {
            case 'n':
                *o++ = '\n';
                break;
            case 't':
                *o++ = '\t';
                break;
            case 'r':
                *o++ = '\r';
                break;
            case 'b':
                *o++ = '\b';
                break;
            case '0':
                *o++ = '\0';
                break;
            case 'Z':
                *o++ = 0x1a;
                break;
            case '%':
            case '_':
                *o++ = '\\';
                *o++ = e;
                break;
            case 'u':
                if (i + 4 < n && hexval(s[i + 1]) >= 0 &&
                    hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0 &&
                    hexval(s[i + 4]) >= 0) {
                    unsigned cp = 0;
                    for (int k = 1; k <= 4; k++)
                        cp = cp * 16 + (unsigned)hexval(s[i + k]);
                    o = put_utf8(o, cp);
                    i += 4;
                } else {
                    *o++ = 'u';
                }
                break;
            default:
                *o++ = e;
                break;
            }
        } else {
            *o++ = c;
        }
    }
    *o = 0;
    if (out_len) *out_len = (size_t)(o - out);
    return out;
}
