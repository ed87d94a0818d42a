/* launcher.h: the plug-in interface of the start methods (fork, spawn, forkserver, mpi), and the registry. */
#ifndef SL_LAUNCHER_H
#define SL_LAUNCHER_H

#include "core/speedlab.h"
#include <sys/types.h>
#include "core/workload.h"

struct sl_pool;      /* the pool's state (pool/pool_internal.h) */

/* A start method. It plugs in with this struct, listed in core/registry.c; the core never names it.
 * A pool launcher gives start_worker (the pool, pool/coord.c, asks it for each worker); one that runs
 * a repetition its own way sets SL_LAUNCH_OWN_ENGINE and gives run (the run engine, run/engine.c,
 * calls it instead of the pool). Either way the engine decides skips first (unimplemented_reason,
 * supported) and applies the common rule for a failed run after. */
struct sl_launcher_ops {
	const char *name;
	const char *help;                         /* one line for `speedlab list` */
	/* Non-NULL when this build cannot use it (e.g. "built without MPI"): runs are skipped. */
	const char *unimplemented_reason;
	/* Runtime check in the coordinator: false with a reason skips the run. */
	bool (*supported)(const struct sl_setting *s, char *why, size_t whylen);
	/* Once per `speedlab run`, before any library thread exists (the forkserver starts here). 0 or -errno. */
	int (*prepare)(void);
	/* Once per `speedlab run`, at the end (and on Ctrl-C): stop what prepare started. */
	void (*finish)(void);
	/* Start worker `id` of the pool; on success the pool knows its pid. 0 or -errno. */
	int (*start_worker)(struct sl_pool *pool, int id);

	/* ---- the run engine's view (issue 13: one run engine): SL_LAUNCH_* flags and their callbacks ---- */
	unsigned engine_flags;
	/* SL_LAUNCH_OWN_ENGINE: runs a whole repetition itself instead of the pool (same contract as
	 * sl_pool_run: 0 when the run happened, status in m; -EINTR; -errno). The engine has already
	 * checked that the run is not skipped and turns a failure into the common error behaviour. */
	int (*run)(const struct sl_setting *s, const struct sl_workload_ops *w, const struct sl_run_opts *o,
		   struct sl_metrics *m);
	/* SL_LAUNCH_HELPER_PROC: start the helper process now if it is not running (the pool calls it
	 * before forking a throwaway sub-coordinator, which must find it running). 0 or -errno. */
	int (*helper_ensure)(void);
	/* SL_LAUNCH_HELPER_PROC: whether the helper is dead or stopped (no report of a worker's end will
	 * come), and its pid (-1 when not running; the run's sweeps spare it). */
	bool (*helper_stuck)(void);
	pid_t (*helper_pid)(void);
};

/* Bits of sl_launcher_ops.engine_flags. */
#define SL_LAUNCH_HELPER_PROC 0x1u   /* a helper process starts the workers (forkserver): counted in helper_procs */
#define SL_LAUNCH_OWN_ENGINE  0x2u   /* runs its own engine (mpi: mpirun and rank 0), through .run */
#define SL_LAUNCH_EXTRA_RANK  0x4u   /* its processes are job tasks (srun/mpirun): processes + 1, rank 0 coordinates */

/* How many times the forkserver was found dead or stopped and started again (recorded in meta.json). */
int sl_forkserver_restarts(void);
/* The forkserver's pid, or -1 when it is not running (tests check it leaves nothing behind). */
pid_t sl_forkserver_pid(void);

/* All start methods, NULL-terminated (registry.c). */
extern const struct sl_launcher_ops *const sl_launchers[];
/* The start method called name, or NULL. */
const struct sl_launcher_ops *sl_launcher_find(const char *name);

#endif
