/* pool.h: the process pool: a coordinator, P workers, chunked dispatch, faults recorded. */
#ifndef SL_POOL_H
#define SL_POOL_H

#include <signal.h>
#include "core/speedlab.h"
#include "core/workload.h"

/* Prepare every start method for this process (forkserver started before any library thread).
 * Call once, first thing in `speedlab run`. Returns 0 or -errno. */
int sl_pool_prepare_all(void);
/* Stop whatever sl_pool_prepare_all started; reaps it. Safe to call twice. Never fails. */
void sl_pool_finish_all(void);

/* Run one repetition of setting s with workload w in the pool of s's start method (one with
 * start_worker): start the workers, dispatch every task, verify, stop and reap. Fills m (status "ok",
 * "crash:SIGKILL", "hang", "error:...") through sl_run_metrics. Whether it runs at all (skipped) and
 * by which engine is the run engine's decision (run/engine.c: sl_run_one), which calls this.
 * Returns 0 when the run happened (whatever its status), -EINTR when interrupted, -errno on
 * a failure of the harness itself. Never leaves a process behind. */
int sl_pool_run(const struct sl_setting *s, const struct sl_workload_ops *w,
		const struct sl_run_opts *o, struct sl_metrics *m);

/* Entry of a worker started as a fresh image (`speedlab __worker ...`). Returns the exit code. */
int sl_worker_main(int argc, char **argv);

#endif
