/*
 * lexer.h -- the SQL tokenizer (private to src/sql).
 *
 * The lexer turns script text into tokens on demand; the parser pulls them
 * one at a time through a small lookahead window. It allocates nothing: a
 * token is a span of the script (offset, length, line, column) plus, for
 * numbers, the converted value. String and quoted-identifier bodies are
 * decoded later, by sp_lex_unescape, into the caller's arena, and only when
 * the parser keeps them.
 *
 * Keywords are not token kinds: every bare word is SP_TK_WORD and the
 * parser matches keywords by case-insensitive comparison. That is what lets
 * Spark's many non-reserved words (timestamp, window, count, end ...) be
 * used as column names and aliases.
 *
 * Errors (unterminated string, stray character, bad number) produce one
 * SP_TK_ERROR token; the message is kept in the lexer and the parser
 * reports it when it reaches that token. After an error the lexer keeps
 * returning the same SP_TK_ERROR token.
 */
#ifndef SP_SQL_LEXER_H
#define SP_SQL_LEXER_H

#include "core/core.h"

#define SP_TOKEN_MAP(X)                                                        \
    X(EOF, "end of input")                                                     \
    X(ERROR, "invalid token")                                                  \
    X(WORD, "identifier")                                                      \
    X(QIDENT, "quoted identifier")                                             \
    X(STRING, "string")                                                        \
    X(INT, "integer")                                                          \
    X(FLOAT, "number")                                                         \
    X(LPAREN, "'('")                                                           \
    X(RPAREN, "')'")                                                           \
    X(LBRACKET, "'['")                                                         \
    X(RBRACKET, "']'")                                                         \
    X(COMMA, "','")                                                            \
    X(SEMI, "';'")                                                             \
    X(DOT, "'.'")                                                              \
    X(STAR, "'*'")                                                             \
    X(PLUS, "'+'")                                                             \
    X(MINUS, "'-'")                                                            \
    X(SLASH, "'/'")                                                            \
    X(PERCENT, "'%'")                                                          \
    X(CONCAT, "'||'")                                                          \
    X(EQ, "'='")                                                               \
    X(EQEQ, "'=='")                                                            \
    X(NE, "'<>'")                                                              \
    X(LT, "'<'")                                                               \
    X(LE, "'<='")                                                              \
    X(GT, "'>'")                                                               \
    X(GE, "'>='")

typedef enum sp_tok_kind {
#define SP_TK_ENUM(n, d) SP_TK_##n,
    SP_TOKEN_MAP(SP_TK_ENUM)
#undef SP_TK_ENUM
} sp_tok_kind;

typedef struct sp_tok {
    sp_tok_kind kind;
    int off;       /* byte offset of the first character */
    int len;       /* bytes, quotes included */
    int line, col; /* 1-based position of the first character */
    uint64_t u;    /* INT: magnitude (valid unless `overflow`) */
    bool overflow; /* INT: does not fit in uint64 / int64 */
    double d;      /* FLOAT: value */
} sp_tok;

typedef struct sp_lexer {
    const char *text;
    int len;
    int off;       /* next byte to read */
    int line, col; /* position of `off` */
    /* The first lexical error, reported when the parser reaches it. */
    bool failed;
    sp_tok err_tok;
    char err_msg[200];
    char err_hint[200];
} sp_lexer;

/* Starts lexing text[0..len). The text must outlive the lexer. */
void sp_lex_init(sp_lexer *lx, const char *text, int len);
/* Returns the next token, skipping white space and comments. */
sp_tok sp_lex_next(sp_lexer *lx);
/* Moves the lexer back to the start of token `t` (which it returned
 * earlier) and clears any error found after it. With sp_lex_skip_to the
 * parser consumes raw text (the value of SET) itself. */
void sp_lex_rewind(sp_lexer *lx, const sp_tok *t);
/* Advances to byte `off` (>= the current offset), keeping line/col. */
void sp_lex_skip_to(sp_lexer *lx, int off);
/* Name of a token kind for messages ("')'"). */
const char *sp_tok_kind_name(sp_tok_kind k);

/* Decodes the body of a STRING ('..' or "..") or QIDENT (`..`) token into
 * a NUL-terminated string in `a` and stores its length in *out_len.
 * Returns NULL on OOM. */
char *sp_lex_unescape(const sp_lexer *lx, const sp_tok *t, sp_arena *a,
                      size_t *out_len);

/* True for characters that may continue a bare word. */
static inline bool sp_lex_is_word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

#endif /* SP_SQL_LEXER_H */
