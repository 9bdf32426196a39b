/*
 * connector.h -- the source and sink interfaces, and the connector
 * registry (one static table row per connector).
 *
 * Sources deal in offsets: an integer range [start, end) in a unit of the
 * source's own (file index in the source's file log, row index of the rate
 * and generator sources, line index of the socket source). The runtime
 * asks for the next end offset, records [start, end) in the offset WAL,
 * then asks the source to split the range into independent splits, and
 * reads every split on a worker thread. Reading a recorded range again
 * yields the same rows (for replayable sources), which is what recovery
 * relies on.
 *
 * Sinks receive a batch as parts: one part per split, opened, written and
 * closed on the worker thread that ran the split, then committed together
 * (in split order) on the runtime thread. A sink is idempotent per batch
 * id: committing batch N again replaces, never duplicates.
 *
 * A part is written by one attempt of a task: when a task is retried or
 * speculated (src/runtime/sched.c) several attempts may open the same part
 * number, even at the same time. Each passes its attempt number; the sink
 * keeps them apart (the file sink names attempt k > 0's file apart), and
 * only the winning attempt's part reaches commit: the others are aborted.
 */
#ifndef SP_IO_CONNECTOR_H
#define SP_IO_CONNECTOR_H

#include "core/core.h"
#include "core/opts.h"
#include "io/format.h"

/* ---- Sources ----------------------------------------------------------- */

typedef struct sp_source sp_source;

/* What the runtime tells a source when it opens it. */
typedef struct sp_source_conf {
    const char *name;          /* source name from CREATE SOURCE */
    const sp_opts *opts;       /* validated, defaults filled */
    const sp_schema *schema;   /* columns the scan produces (pruned) */
    const sp_schema *declared; /* all declared physical columns */
    const char *state_dir;     /* checkpoint dir for the source's own log,
                                  e.g. ckpt/sources/0 (exists) */
    sp_format_kind format;     /* file source */
    sp_format_opts format_opts;
    bool fail_on_error; /* on_error = 'fail' */
    uint64_t seed;      /* generator */
} sp_source_conf;

typedef struct sp_split {
    int index;           /* split number within the batch */
    const char *path;    /* file: the file */
    int64_t start, end;  /* file: byte range; others: row range */
    uint64_t first_line; /* file: line number at `start` if known (1 at 0) */
} sp_split;

/* Per-split read statistics, summed into the progress record. */
typedef struct sp_read_stats {
    uint64_t rows;     /* rows produced */
    uint64_t bad_rows; /* malformed lines skipped */
    uint64_t bytes;    /* input bytes read */
} sp_read_stats;

/* Called by read() for each batch of rows; returns 0 or an error code to
 * stop reading. The batch and its memory are valid only during the call. */
typedef int (*sp_emit_fn)(void *ud, sp_batch *b, sp_err *err);

typedef struct sp_source_vtab {
    const char *name;          /* connector name */
    const sp_opt_def *options; /* terminated by {0} */
    /* Columns the source always has (rate: timestamp, value); NULL when
     * the user declares them (file). A declared column list for a
     * fixed-schema source must match these names and types. */
    const sp_schema *fixed_schema;
    bool replayable; /* can read a recorded range again */
    int (*open)(const sp_source_conf *conf, sp_source **out, sp_err *err);
    /* Where the next batch may end, given it starts at `start`.
     * `now_us` is the batch's trigger time (rate sources derive rows from
     * it). `limit` caps the batch (0 = the source's own rate limit applies;
     * -1 = no limit, take everything available: Trigger.Once). Sets *end
     * (== start when there is nothing new). */
    int (*next_end)(sp_source *s, int64_t batch_id, int64_t start,
                    int64_t now_us, int limit, int64_t *end, sp_err *err);
    /* Everything available right now (for available_now): sets *end. */
    int (*latest)(sp_source *s, int64_t start, int64_t now_us, int64_t *end,
                  sp_err *err);
    /* Splits [start, end) into at most max_splits (>= 1) splits allocated
     * in `a`. Zero splits is allowed (an empty range). */
    int (*plan_splits)(sp_source *s, int64_t batch_id, int64_t start,
                       int64_t end, int max_splits, sp_arena *a, sp_split **out,
                       int *n_out, sp_err *err);
    /* Reads one split, emitting batches of the conf's schema. Runs on a
     * worker thread; several splits of one source may run at once. */
    int (*read)(sp_source *s, const sp_split *sp, sp_emit_fn emit, void *ud,
                sp_read_stats *stats, sp_err *err);
    /* Batch `batch_id` [start, end) is committed: the source may forget
     * data before `end` (socket buffers). Optional. */
    void (*commit)(sp_source *s, int64_t batch_id, int64_t end);
    /* Units available beyond `end` and not yet taken (for the status
     * line's lag); no side effects. Optional (NULL: unknown). */
    int64_t (*backlog)(sp_source *s, int64_t end, int64_t now_us);
    /* Text for progress "description" and EXPLAIN. */
    void (*describe)(sp_source *s, sp_buf *out);
    void (*close)(sp_source *s);
} sp_source_vtab;

/* ---- Sinks ------------------------------------------------------------- */

typedef struct sp_sink sp_sink;

typedef struct sp_sink_conf {
    const char *name; /* sink (query) name */
    const sp_opts *opts;
    const sp_schema *schema; /* columns the query produces */
    FILE *out;               /* console: where to print (stdout) */
} sp_sink_conf;

typedef struct sp_sink_vtab {
    const char *name;
    const sp_opt_def *options;
    int (*open)(const sp_sink_conf *conf, sp_sink **out, sp_err *err);
    /* The last batch id this sink has durably committed, -1 if none or
     * unknown (console). */
    int64_t (*last_committed)(sp_sink *s);
    /* Part lifecycle, on a worker thread. `attempt` is the attempt of the
     * task writing the part (0 first; see above). */
    int (*part_open)(sp_sink *s, int64_t batch_id, int part, int attempt,
                     void **out, sp_err *err);
    int (*part_write)(sp_sink *s, void *part, const sp_batch *b, sp_err *err);
    /* Ends a part whose task attempt succeeded, on the worker thread that
     * wrote it: whatever the part wrote becomes durable (the file sink
     * flushes and fsyncs its file), so that commit only has to publish,
     * and the parts of a batch get there in parallel. Nothing is written
     * to a part after it; commit or abort follows (a losing attempt's
     * closed part is still aborted). An error fails the attempt (it is
     * then aborted, and the task may run again). Optional: NULL, or a part
     * not closed, and commit does the same. */
    int (*part_close)(sp_sink *s, void *part, sp_err *err);
    /* Commits a batch from its parts (in split order) and frees them. */
    int (*commit)(sp_sink *s, int64_t batch_id, void **parts, int n_parts,
                  sp_err *err);
    /* Frees the parts of a failed batch, or of a failed or losing task
     * attempt, and removes anything they wrote. May run on a worker thread
     * while other parts of the batch are written. */
    void (*abort)(sp_sink *s, int64_t batch_id, void **parts, int n_parts);
    void (*describe)(sp_sink *s, sp_buf *out);
    void (*close)(sp_sink *s);
} sp_sink_vtab;

/* ---- Registry ---------------------------------------------------------- */

const sp_source_vtab *sp_source_lookup(const char *name);
const sp_sink_vtab *sp_sink_lookup(const char *name);
/* Names of all connectors, comma-separated, into the arena. */
char *sp_source_names(sp_arena *a);
char *sp_sink_names(sp_arena *a);

/* Options common to all sources, checked by the analyzer in addition to
 * the connector's own: connector, format, on_error, ... */
extern const sp_opt_def sp_source_common_options[];
extern const sp_opt_def sp_sink_common_options[];

#endif /* SP_IO_CONNECTOR_H */
