/*
 * format.h -- record formats: schema-driven readers that parse bytes
 * straight into column vectors, and writers that render batches as text.
 *
 * Readers (JSON lines, CSV, text) work on a buffer holding whole lines.
 * They never allocate per row: fixed-width values go into vectors
 * allocated once per batch in the batch arena, and VARCHAR values are
 * views into the input buffer (when the text needs no unescaping) or into
 * the batch arena (when it does). So the input buffer must outlive the
 * batches parsed from it.
 *
 * A malformed line is reported through the `on_bad` callback with its line
 * number and a reason, and skipped; if the callback returns non-zero the
 * parse stops with SP_EDATA (the source's on_error = 'fail').
 */
#ifndef SP_IO_FORMAT_H
#define SP_IO_FORMAT_H

#include "core/core.h"

typedef enum sp_format_kind {
    SP_FMT_JSON, /* JSON lines: one object per line */
    SP_FMT_CSV,
    SP_FMT_TEXT /* one VARCHAR column `value` per line */
} sp_format_kind;

/* Parses "json", "jsonl", "csv", "text"; -1 if unknown. */
int sp_format_parse(const char *name, sp_format_kind *out);

typedef struct sp_format_opts {
    /* CSV */
    char delimiter;         /* default ',' */
    char quote;             /* default '"' */
    bool header;            /* first line of each file is a header (skipped);
                               default false, as Spark */
    const char *null_value; /* text that means NULL; default "" */
} sp_format_opts;

void sp_format_opts_default(sp_format_opts *o);

/* Called for each malformed line: `line_no` is 1-based within the buffer's
 * file (the caller passes the first line's number), `why` says what is
 * wrong ("expected ',' or '}' at byte 17", "field \"ts\": expected a
 * timestamp, got true"). Return 0 to skip the line, non-zero to stop. */
typedef int (*sp_bad_line_fn)(void *ud, uint64_t line_no, const char *line,
                              size_t line_len, const char *why);

typedef struct sp_reader sp_reader;

/* Creates a reader producing batches of `schema` (the declared columns of
 * a source; for TEXT the schema must be one VARCHAR column). Caller owns. */
sp_reader *sp_reader_create(sp_format_kind kind, const sp_schema *schema,
                            const sp_format_opts *opts, sp_err *err);
void sp_reader_destroy(sp_reader *r);

/* Parses lines from buf[*pos .. len) into `out`, at most `max_rows` rows,
 * stopping early at the end of the buffer. A final line without '\n' is
 * parsed as a line (the caller only passes complete data). Advances *pos
 * past the consumed lines and *line_no by the lines consumed (including
 * skipped ones; *line_no is the number of the next line to parse).
 * `out` gets n_cols = schema fields, n_rows = rows parsed, sel = NULL,
 * and its vectors are allocated in `arena` (which is also out->arena).
 * `at_file_start`: *pos is at the start of a file (CSV header skipping).
 * Returns 0 (out->n_rows may be 0 when only bad/blank lines were seen),
 * or SP_EDATA if on_bad asked to stop (err names the line), SP_ENOMEM. */
int sp_reader_parse(sp_reader *r, const char *buf, size_t len, size_t *pos,
                    uint64_t *line_no, bool at_file_start, uint32_t max_rows,
                    sp_batch *out, sp_arena *arena, sp_bad_line_fn on_bad,
                    void *ud, sp_err *err);

/* ---- Writers ----------------------------------------------------------- */

/* Appends the live rows of `b` to `out`, one line each:
 * JSON: {"name":value,...}\n with NULL fields omitted (Spark's default),
 * timestamps as ISO-8601 strings, doubles as Java prints them.
 * CSV: fields separated by ',', quoted when needed, NULL as empty.
 * TEXT: the single column's value. */
int sp_write_rows(sp_format_kind kind, const sp_schema *schema,
                  const sp_batch *b, sp_buf *out);
/* Appends a CSV header line. */
int sp_write_csv_header(const sp_schema *schema, sp_buf *out);

#endif /* SP_IO_FORMAT_H */
