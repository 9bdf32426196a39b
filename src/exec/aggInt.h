/*
 * aggInt.h -- private to src/exec: the session-window merge behind the
 * stateful operator (op_agg.c calls op_session.c).
 */
#ifndef SP_EXEC_AGG_INT_H
#define SP_EXEC_AGG_INT_H

#include "exec/agg.h"
#include "exec/htab.h"
#include "state/state.h"

/* Merges the sessions of partition p from the split tables `tabs` (in
 * split order) into the store: late pieces dropped and counted, the rest
 * merged with the stored sessions of their keys. Output and eviction are
 * the caller's. */
int sp_session_merge(const sp_agg_spec *s, sp_state *store, int p, int n_parts,
                     sp_htab **tabs, int n_tabs, int64_t watermark_us,
                     sp_agg_stats *st, sp_err *err);

#endif
