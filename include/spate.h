/*
 * spate.h -- the public C API of libspate, a stream-processing engine with
 * the semantics of Spark Structured Streaming.
 *
 * A pipeline is a SQL script (CREATE SOURCE, CREATE SINK ... AS SELECT,
 * SET). Load it, optionally explain it, run it:
 *
 *     spate_error_t err;
 *     spate_pipeline_t *p;
 *     spate_options_t opt;
 *     spate_options_init(&opt);
 *     opt.checkpoint = "/var/lib/spate/clicks";
 *     if (spate_pipeline_load(sql, strlen(sql), "clicks.sql", &opt, &p,
 *                             &err) != 0) {
 *         spate_error_print(&err, sql, strlen(sql), stderr);
 *         return 1;
 *     }
 *     int rc = spate_pipeline_run(p, &err);   // until the trigger ends it
 *     spate_pipeline_destroy(p);
 *
 * Every function returns 0 or a negative SPATE_E* code; on failure the
 * spate_error_t says what went wrong, where, and what to do.
 */
#ifndef SPATE_H
#define SPATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SPATE_BUILDING)
#define SPATE_EXTERN __attribute__((visibility("default")))
#else
#define SPATE_EXTERN
#endif

#define SPATE_VERSION_MAJOR 0
#define SPATE_VERSION_MINOR 1
#define SPATE_VERSION_PATCH 0

/* Error codes (the same values as the library's internal table). */
#define SPATE_OK           0
#define SPATE_EINVAL       (-1)
#define SPATE_ENOMEM       (-2)
#define SPATE_EIO          (-3)
#define SPATE_ESYNTAX      (-4)
#define SPATE_EANALYSIS    (-5)
#define SPATE_ENOTFOUND    (-6)
#define SPATE_EDATA        (-7)
#define SPATE_ECORRUPT     (-8)
#define SPATE_ENOSPC       (-9)
#define SPATE_EUNSUPPORTED (-10)
#define SPATE_ESTOPPED     (-11)
#define SPATE_ENET         (-12)
#define SPATE_EINTERNAL    (-13)

/* An error: the code, a message, facts (detail), advice (hint), and the
 * position in the script or data file it refers to. */
typedef struct spate_error {
    int code;
    int sys_errno;
    int line, col, len; /* 1-based position in `file`; 0 = unknown */
    char file[256];
    char message[512];
    char detail[512];
    char hint[512];
} spate_error_t;

SPATE_EXTERN const char *spate_version(void);
SPATE_EXTERN const char *spate_strerror(int code);
SPATE_EXTERN const char *spate_err_name(int code);
/* Prints the error as "file:line:col: error: ...", the offending line of
 * `text` with a caret, then detail and hint. `text` may be NULL. */
SPATE_EXTERN void spate_error_print(const spate_error_t *err, const char *text,
                                    size_t text_len, FILE *out);

typedef enum spate_trigger {
    SPATE_TRIGGER_DEFAULT = 0, /* the script's SET trigger, else as fast as
                                  possible */
    SPATE_TRIGGER_PROCESSING_TIME,
    SPATE_TRIGGER_ONCE,
    SPATE_TRIGGER_AVAILABLE_NOW
} spate_trigger_t;

typedef struct spate_options {
    const char *checkpoint;      /* checkpoint directory; NULL: the script's
                                    SET checkpoint_location, else a temporary
                                    one removed at the end */
    int threads;                 /* worker threads; 0: the script's SET threads,
                                    else one per core */
    FILE *progress;              /* one JSON progress record per batch */
    int status_line;             /* non-zero: live status on stderr */
    int64_t duration_ms;         /* stop after this long; 0 = no limit */
    spate_trigger_t trigger;     /* overrides the script's trigger */
    int64_t trigger_interval_ms; /* for SPATE_TRIGGER_PROCESSING_TIME */
    FILE *console;               /* where console sinks print; NULL = stdout */
    int reset_checkpoint;        /* non-zero: delete the queries' checkpoint
                                    directories first and start over */
    const char *const *conf;     /* "KEY=VALUE" settings applied as SET
                                    statements after the script's own (the
                                    CLI's --conf), e.g.
                                    "spate.task.maxFailures=8"; read and
                                    checked by spate_pipeline_load only */
    int n_conf;                  /* entries in conf */
    void *data;                  /* user slot */
} spate_options_t;

SPATE_EXTERN void spate_options_init(spate_options_t *opt);

typedef struct spate_pipeline spate_pipeline_t;

/* Parses, analyzes and plans a script. The text is copied. On failure
 * *out is untouched. */
SPATE_EXTERN int spate_pipeline_load(const char *sql, size_t len,
                                     const char *filename,
                                     const spate_options_t *opt,
                                     spate_pipeline_t **out /* OUT */,
                                     spate_error_t *err);
/* Writes the physical plan of every query as a tree. */
SPATE_EXTERN int spate_pipeline_explain(spate_pipeline_t *p, FILE *out);
/* Runs until the trigger ends (once, available_now), the duration passes,
 * spate_pipeline_stop is called, or an error. */
SPATE_EXTERN int spate_pipeline_run(spate_pipeline_t *p, spate_error_t *err);
/* Asks a running pipeline to stop after the batch in flight. Safe to call
 * from a signal handler or another thread. */
SPATE_EXTERN void spate_pipeline_stop(spate_pipeline_t *p);
SPATE_EXTERN void spate_pipeline_destroy(spate_pipeline_t *p);

#include "spate/dstream.h"

/* ---- checkpoint tools ----------------------------------------------------
 * `dir` is a checkpoint directory (the --checkpoint of `spate run`, one
 * subdirectory per query) or one query's directory in it. Both calls only
 * read; see docs/checkpoint.md for the layout and what they print. */

/* Describes each query's checkpoint: id and name, the batches (the newest
 * `last_batches`, <= 0 for 5, with every input's offsets and the batch and
 * next-batch watermarks), the source logs, the state stores (versions,
 * files, sizes, keys at the version recovery loads) and the total size.
 * json != 0: one JSON document instead of a table. */
SPATE_EXTERN int spate_checkpoint_inspect(const char *dir, int json,
                                          int last_batches, FILE *out,
                                          spate_error_t *err);
/* Validates every file of the checkpoint (checksums, formats, versions,
 * continuity of the logs, loadability of every state partition at the
 * version recovery needs) and prints each problem with the file, whether
 * recovery needs it, and what to do, then a summary line. *problems is set
 * to the number of problems that make recovery fail (0: a restart will
 * succeed). Returns non-zero only when the check could not run (no such
 * directory, not a checkpoint, out of memory). */
SPATE_EXTERN int spate_checkpoint_check(const char *dir, FILE *out,
                                        int *problems /* OUT */,
                                        spate_error_t *err);

#ifdef __cplusplus
}
#endif
#endif /* SPATE_H */
