/* metrics.h: the one place where a run's raw totals become its metrics (cores_busy, imbalance, gflops,
 * start latency, thread and memory peaks), for every engine: the pool (fork, spawn, forkserver), the
 * mpi start method's rank 0, and the command workload's whole-run engine. Also the common rule for a
 * run that failed. In monitor/ so that workloads/ (below the pool) and launch/ can both call it. */
#ifndef SL_METRICS_H
#define SL_METRICS_H

#include <stdbool.h>
#include "core/speedlab.h"

/* What one worker measured of itself. */
struct sl_worker_totals {
	double start_ms;          /* asked for .. its own code began (ms); NAN unknown */
	double busy_s;            /* the sum of its tasks' times */
	double rss_kib;           /* its peak resident set, KiB; 0 or NAN unknown */
	int threads;              /* its thread count when its work ended; -1 unknown */
	int lib_threads;          /* the library's own thread count inside it; 0 unknown */
};

/* The raw totals of one run, as an engine measured them. NAN: not measured (the metric stays empty). */
struct sl_run_totals {
	double wall_s;            /* the run phase: dispatch began .. the last result came */
	double user_s, sys_s;     /* CPU time of the run phase, every process counted (coordinator too) */
	double ctx_vol, ctx_invol;
	double startup_cpu_s;     /* the workers' CPU from their start to ready */
	double pool_start_ms;     /* asked for the first worker .. all ready */
	double pool_stop_ms;      /* shutdown asked .. all reaped */
	double rss_kib;           /* peak resident set of the whole tree (one process: command), KiB; NAN */
	long ntasks;
	double flops_per_task;    /* the workload's; 0 or NAN: no gflops */
	bool dispatch_only;       /* the tasks do nothing (SL_WL_DISPATCH_ONLY): the run phase is all dispatch */
	int nworkers;             /* entries of workers (0: none known, e.g. command) */
	const struct sl_worker_totals *workers;
	int coord_threads;        /* the coordinator's own thread count, into threads_total_peak; -1 unknown */
	int helper_procs;         /* processes besides the workers (a forkserver); -1 unknown */
	int helper_threads;       /* threads besides the workers' (the monitor's, a helper's); -1 unknown */
};

/* Totals with nothing measured: every double NAN, counts -1, no workers. Never fails. */
void sl_run_totals_init(struct sl_run_totals *t);

/* Fill m's engine figures from t: wall_s, cpu_user_s, cpu_sys_s, cores_busy, ctx_*, cpu_startup_s,
 * rss_peak_mb, start_latency_ms (median, when every worker's is known), pool_start_ms, pool_stop_ms,
 * imbalance (max / mean busy time), dispatch_us_per_task, gflops, threads_lib, threads_peak and
 * threads_total_peak (when every worker's count is known), helper_procs, helper_threads. A figure whose
 * inputs were not measured stays NAN. Leaves status and the sampler's figures alone. Never fails. */
void sl_run_metrics(const struct sl_run_totals *t, struct sl_metrics *m);

/* Whether a status is a failure: crash:..., hang, error:... (not ok, not skipped:...). */
bool sl_status_failed(const char *status);

/* The common error behaviour of every engine: a run that failed (sl_status_failed) keeps its status
 * and what the sampler saw (threads, RSS, GPU, CPUs used, helpers) but none of the figures that
 * compare runs: wall_s, wall_tree_s, CPU times, context switches, cores_busy, start-up and stop
 * times, imbalance, dispatch, gflops and the workload's own (gflops_per_proc, gbps, gpu_wait_us,
 * host_cpu_pct) become NAN. A skipped run keeps its status alone. Returns whether m was a failure
 * or a skip. Never fails. */
bool sl_run_metrics_settle(struct sl_metrics *m);

#endif
