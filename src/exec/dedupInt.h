/*
 * dedupInt.h -- private to src/exec: deduplication behind the stateful
 * operator entry points (op_agg.c dispatches to op_dedup.c).
 */
#ifndef SP_EXEC_DEDUP_INT_H
#define SP_EXEC_DEDUP_INT_H

#include "exec/agg.h"
#include "exec/htab.h"
#include "state/state.h"

/* A split's new rows, one buffer per state partition; each record is
 * [u64 hash][u32 key len][key][u32 row len][row (encoded out columns)]. */
typedef struct sp_dedup_rows {
    int n;
    sp_buf *bufs;
} sp_dedup_rows;

int sp_dedup_partial_init(sp_dedup_rows *d, int parts);
void sp_dedup_partial_free(sp_dedup_rows *d);
int sp_dedup_partial_add(const sp_agg_spec *s, sp_htab *seen, sp_dedup_rows *d,
                         sp_buf *key, const sp_batch *b, sp_arena *scratch,
                         sp_err *err);
int sp_dedup_partition_run(const sp_agg_spec *s, sp_state *store, int p,
                           sp_dedup_rows **parts, int n_parts,
                           int64_t watermark_us, sp_agg_emit_fn emit, void *ud,
                           sp_agg_stats *st, sp_err *err);

#endif
