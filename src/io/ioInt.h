/*
 * ioInt.h -- helpers shared by the connectors of src/io (private).
 */
#ifndef SP_IO_INT_H
#define SP_IO_INT_H

#include "io/connector.h"

/* Reads <state_dir>/start, or writes now_us there the first time, so that
 * generated timestamps replay identically. state_dir NULL: now_us. */
int sp_src_load_start_time(const char *state_dir, int64_t now_us, int64_t *out,
                           sp_err *err);
/* Cuts a row range into `parts` contiguous splits (fewer when the range is
 * small). */
int sp_src_row_splits(int64_t start, int64_t end, int parts, sp_arena *a,
                      sp_split **out, int *n_out, sp_err *err);

/* The most units a batch may take: `limit` from the runtime (-1 = no
 * limit: Trigger.Once; 0 = the source's own), else the source's own
 * `max_per_trigger` (0 = none). */
int64_t sp_src_cap(int limit, int64_t max_per_trigger);
/* The end of a batch starting at `start` when `avail` units exist. */
int64_t sp_src_batch_end(int64_t start, int64_t avail, int limit,
                         int64_t max_per_trigger);

#endif
