/* engine.h: the one run engine entry: whether a configuration runs here at all (skipped), and which
 * engine runs one repetition: the workload's own (run_whole), the start method's own
 * (SL_LAUNCH_OWN_ENGINE: mpi) or the pool; then the error behaviour common to them all. */
#ifndef SL_ENGINE_H
#define SL_ENGINE_H

#include "core/workload.h"

/* Why setting s of workload w cannot run here (into why: the reason a "skipped:" status gives),
 * or false when it can: the workload or its start method not built in, not supported here (their
 * supported callbacks), or more memory than the machine has. The one skip decision. */
bool sl_run_skip(const struct sl_workload_ops *w, const struct sl_setting *s, char *why, size_t len);

/* Run one repetition of s with w. Fills m: skipped:REASON when sl_run_skip says so; otherwise the
 * workload's run_whole, else the start method's own engine, else the pool (sl_pool_run) runs it.
 * A failed run (crash, hang, error) keeps its status and the sampler's figures, not the figures that
 * compare runs (sl_run_metrics_settle); a harness failure without a status reads error:REASON.
 * Returns 0 when the run happened (whatever its status), -EINTR when interrupted, -errno on a failure
 * of the harness itself. Never leaves a process behind. */
int sl_run_one(const struct sl_setting *s, const struct sl_workload_ops *w, const struct sl_run_opts *o,
	       struct sl_metrics *m);

#endif
