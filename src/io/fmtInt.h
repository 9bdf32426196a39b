/*
 * fmtInt.h -- private to the record formats (format.c, fmt_json.c,
 * fmt_csv.c, fmt_text.c, write.c): the reader object, the per-call parse
 * context shared by the three readers, and small number parsers.
 *
 * Life of one sp_reader_parse call (see format.c):
 *   1. format.c allocates out->cols and one data array per column for
 *      `cap` rows in the arena (cap = min(max_rows, bytes left), since a
 *      row needs at least one byte); null arrays come later, on demand.
 *   2. The kind's parse function walks lines from *pos, writing row `n`
 *      of every column directly; a bad line leaves garbage in slot `n`
 *      that the next row overwrites (so a non-NULL write always clears
 *      nulls[n] when a null array exists).
 *   3. It reports bad lines through sp_io_bad() and advances pos and
 *      line_no line by line, so a stop leaves them at the offending line.
 */
#ifndef SP_IO_FMTINT_H
#define SP_IO_FMTINT_H

#include "io/format.h"

/* Key-order cache for JSON: slot k remembers the k-th key of the last
 * object and the field it mapped to (-1 = unknown key), so the common case
 * of every line having the same key order costs one short compare. */
#define SP_JSON_KC_SLOTS 32
#define SP_JSON_KC_WIDTH 32 /* keys longer than this are not cached */

typedef struct json_kc {
    uint32_t len;               /* key length; 0 = slot empty */
    int32_t field;              /* schema index or -1 */
    char key[SP_JSON_KC_WIDTH]; /* the key bytes (unescaped form) */
} json_kc;

struct sp_reader {
    sp_format_kind kind;
    uint32_t n_fields;
    sp_type *types;      /* n_fields declared types */
    char **names;        /* n_fields names (owned copies) */
    uint32_t *name_lens; /* n_fields name lengths */
    sp_format_opts opts; /* opts.null_value points at null_value */
    char *null_value;    /* owned copy of the CSV null text */
    size_t null_len;     /* its length */

    /* JSON key lookup: open addressing on a case-folded hash. */
    int32_t *htab;     /* slots hold field index or -1 */
    uint32_t hmask;    /* table size - 1 */
    uint32_t max_name; /* longest field name */
    json_kc kc[SP_JSON_KC_SLOTS];
    uint32_t *seen; /* n_fields: row stamp when the field was set */
    uint32_t stamp; /* current row's stamp */
    char *keybuf;   /* scratch for unescaping keys */
    size_t keybuf_cap;

    char why[320]; /* the current bad line's reason */
};

/* Everything a kind's parse loop needs, on the caller's stack. */
typedef struct io_ctx {
    sp_reader *r;
    const char *buf;  /* the whole input buffer */
    const char *bend; /* buf + len: nothing at or after it is read */
    sp_vec *cols;     /* out->cols */
    uint32_t cap;     /* rows allocated per column */
    sp_arena *arena;  /* the batch arena */
    sp_bad_line_fn on_bad;
    void *ud;
    sp_err *err;
} io_ctx;

/* Parse functions per kind: same contract as sp_reader_parse, with the
 * batch already set up (columns allocated for ctx->cap rows). They return
 * the number of rows written in *n_rows and 0, SP_EDATA or SP_ENOMEM. */
int sp_io_json_init(sp_reader *r, sp_err *err);
int sp_io_json_parse(io_ctx *c, size_t *pos, uint64_t *line_no,
                     uint32_t *n_rows);
int sp_io_csv_parse(io_ctx *c, size_t *pos, uint64_t *line_no,
                    bool at_file_start, uint32_t *n_rows);
int sp_io_text_parse(io_ctx *c, size_t *pos, uint64_t *line_no,
                     uint32_t *n_rows);

/* Reports a bad line (reason in c->r->why). Returns 0 to go on, or
 * SP_EDATA (with err set) if the callback asked to stop. */
int sp_io_bad(io_ctx *c, uint64_t line_no, const char *line, size_t len,
              int col);

/* Marks row `row` of column `f` NULL. 0 or SP_ENOMEM. */
static inline int io_set_null(io_ctx *c, uint32_t f, uint32_t row)
{
    sp_vec *v = &c->cols[f];
    if (!v->nulls && sp_vec_ensure_nulls(v, c->cap, c->arena) != 0)
        return SP_ENOMEM;
    v->nulls[row] = 1;
    return 0;
}

/* Clears a possible stale NULL mark left by an abandoned (bad) row. */
static inline void io_set_valid(sp_vec *v, uint32_t row)
{
    if (v->nulls) v->nulls[row] = 0;
}

/* ---- Number text (shared by JSON and CSV) ------------------------------ */

/* Parses exactly [s, e) as a decimal integer with optional sign ('+' only
 * when allow_plus). Returns 0, -1 if not an integer, -2 on overflow. */
int sp_io_parse_i64(const char *s, const char *e, bool allow_plus,
                    int64_t *out);
/* Parses exactly [s, e) as a double: [sign] digits [. digits] [exponent]
 * (also "1." and ".5"), or NaN, Infinity, INF with an optional sign
 * (case-insensitive). Exact: a fast path for short mantissas, strtod on a
 * NUL-terminated copy otherwise. Returns 0 or -1. */
int sp_io_parse_double(const char *s, const char *e, double *out);
/* Exact decimal seconds ("1700000000", "-1.5", "1e3") -> microseconds,
 * truncated toward zero below 1us. Returns 0 or -1 (syntax or range). */
int sp_io_parse_seconds(const char *s, const char *e, int64_t *out_us);

/* Writes a short, printable excerpt of [s, s+n) into dst (for reasons):
 * at most 40 bytes, with "..." when cut. */
void sp_io_excerpt(char *dst, size_t cap, const char *s, size_t n);

#endif /* SP_IO_FMTINT_H */
