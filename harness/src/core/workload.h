/* workload.h: the plug-in interface every workload implements, and the registry. */
#ifndef SL_WORKLOAD_H
#define SL_WORKLOAD_H

#include <signal.h>
#include <stdio.h>
#include "core/speedlab.h"

/* How one repetition runs, whichever engine runs it (the pool, a launcher's own, a workload's run_whole). */
struct sl_run_opts {
	double sample_hz;                 /* monitor rate; 0 disables sampling */
	FILE *samples;                    /* samples.csv, or NULL */
	int rep;                          /* repetition number (negative for warm-up) */
	volatile sig_atomic_t *interrupted; /* set by the SIGINT handler: stop, kill, reap, return -EINTR */
};

enum sl_param_type { SL_PARAM_INT, SL_PARAM_DOUBLE, SL_PARAM_STRING };

/* One parameter a workload declares: drives parsing, `speedlab list` and validation. */
struct sl_param_def {
	const char *name;
	enum sl_param_type type;
	const char *def;          /* default, as text */
	const char *help;
	const char *choices;      /* for strings: "a|b|c", or NULL for free text */
	double min, max;          /* for numbers: the accepted range (inclusive) */
	bool shell;               /* free text run by /bin/sh: its quotes must be closed */
};

/* What a workload sees inside a worker process. */
struct sl_wctx {
	const struct sl_setting *setting;
	int worker;               /* 0 .. processes-1 */
	void *state;              /* the workload's own, set by setup */
	/* the library thread counts the worker observed (filled by the workload when it uses a library) */
	int lib_threads;          /* openblas_get_num_threads / omp_get_max_threads; 0 unknown */
};

/* A workload. Every callback but run_task may be NULL.
 * Tasks are numbered 0..ntasks-1 and must be deterministic given (setting, task):
 * run_task writes a checksum into *result, which the coordinator hands to verify.
 * run_task is the timed region: it holds the work and no check; checks go to setup (a warm-up
 * task), after_run and verify, all outside the clock. */
struct sl_workload_ops {
	const char *name;
	const char *help;                        /* one line for `speedlab list` */
	const struct sl_param_def *params;       /* terminated by {.name = NULL} */
	/* Non-NULL when this build cannot run it (e.g. "built without CUDA"): runs are skipped with this reason. */
	const char *unimplemented_reason;
	/* The `device` axis values it understands: SL_DEVICE_GPU when device = gpu runs it on a GPU
	 * (CPU is always accepted). An experiment asking for a device its workload lacks is refused. */
	unsigned devices;
	/* The dispatch channels and start methods it can run under, as words ("pipe|batch"); NULL: every
	 * one. An experiment sweeping another is refused when it is read, at the axis's line. */
	const char *dispatches;
	const char *start_methods;
	/* Runtime check in the coordinator: false with a reason (e.g. "no CUDA device") skips the run. */
	bool (*supported)(const struct sl_setting *s, char *why, size_t whylen);
	/* Number of tasks in one run. NULL: the integer parameter "tasks". */
	long (*ntasks)(const struct sl_setting *s);
	/* Bytes of input each task receives and of output it returns (transfer-style workloads); NULL: 0. */
	size_t (*task_in_bytes)(const struct sl_setting *s);
	size_t (*task_out_bytes)(const struct sl_setting *s);
	/* Coordinator side: fill the input of a task (only when task_in_bytes > 0). */
	void (*make_input)(const struct sl_setting *s, long task, void *in);
	/* Worker side, once per run before the first task. Returns 0 or -errno; msg gets a reason. */
	int (*setup)(struct sl_wctx *w, char *msg, size_t msglen);
	/* Worker side: one task. Returns 0, or -errno with msg set. */
	int (*run_task)(struct sl_wctx *w, long task, const void *in, void *out, double *result,
			char *msg, size_t msglen);
	/* Worker side, after the run phase's clock stopped (the coordinator closed the channel), before
	 * teardown: the checks kept out of the timed tasks (gemm: its last product in full). Returns 0,
	 * or -errno with msg set: the run's status is then that error. NULL: none. */
	int (*after_run)(struct sl_wctx *w, char *msg, size_t msglen);
	/* Worker side, after the last task. */
	void (*teardown)(struct sl_wctx *w);
	/* Floating-point operations of one task, for gflops; NULL or 0: no gflops column. */
	double (*flops_per_task)(const struct sl_setting *s);
	/* Coordinator side, after a run: check every task's result (and output, if any).
	 * Returns 0 when correct, else -EINVAL with msg saying what was wrong. */
	int (*verify)(const struct sl_setting *s, long ntasks, const double *results,
		      const void *outputs, char *msg, size_t msglen);
	/* Replaces the pool entirely for this run (the `command` workload, per run): the coordinator calls
	 * it and it fills the metrics itself. NULL for ordinary workloads. Returns 0 when the run
	 * happened (whatever its status, in m->status), SL_RUN_WHOLE_USE_POOL when this setting goes
	 * through the pool after all (command with per = task), -EINTR when a signal (Ctrl-C)
	 * interrupted it (the command is killed and reaped first), -errno on a harness failure. */
	int (*run_whole)(const struct sl_setting *s, const struct sl_run_opts *o, struct sl_metrics *m);
	/* Coordinator side, after verify: metrics the workload measured itself inside its tasks (GPU time
	 * from CUDA events, host-device bandwidth, wake-up latency), from every task's result and output
	 * (outputs: ntasks x task_out_bytes, in task order). It may overwrite what the pool measured
	 * (gflops from device time). NULL: none. Never fails. */
	void (*metrics)(const struct sl_setting *s, long ntasks, const double *results,
			const void *outputs, struct sl_metrics *m);
	/* The environment variable that limits the threads of the library its tasks run in (an OpenMP
	 * kernel: "OMP_NUM_THREADS"), which findings name when the workers ran more threads than asked.
	 * NULL: OpenBLAS's (OPENBLAS_NUM_THREADS, or OMP_NUM_THREADS under blas = openmp). */
	const char *threads_env;
	/* Host memory one worker needs (its buffers), for the up-front check that skips a configuration
	 * the machine cannot hold ("skipped:needs N GiB"). NULL or 0: not known. */
	double (*mem_bytes_per_worker)(const struct sl_setting *s);
	/* Plot kinds of its own (plot/'s registry names, e.g. "gpu_sync") drawn for its results beside
	 * the generic ones; NULL-terminated; NULL: none. */
	const char *const *plots;

	/* ---- the run engine's view (issue 13: one run engine): SL_WL_* flags ---- */
	unsigned engine_flags;
};

/* Bits of sl_workload_ops.engine_flags. */
#define SL_WL_DISPATCH_ONLY  0x1u   /* its tasks do nothing: the run phase is all dispatch (dispatch_us_per_task) */
#define SL_WL_SHELL_COMMAND  0x2u   /* it starts a shell command: meta.json records the shell's fixed cost */

/* Bits of sl_workload_ops.devices. */
#define SL_DEVICE_GPU 0x2u
/* It runs on a GPU whatever the device axis says (the gpu_* workloads): `speedlab list` asks its
 * runtime check with device = gpu. */
#define SL_DEVICE_GPU_ONLY 0x4u

/* run_whole's answer "not for this setting: run it through the pool". */
#define SL_RUN_WHOLE_USE_POOL 1

/* All workloads, NULL-terminated, in the order `speedlab list` shows them (registry.c); a test may
 * point it at a list of its own (test_axis_table adds a throwaway workload). */
extern const struct sl_workload_ops *const *sl_workloads;
/* The workload called name, or NULL. */
const struct sl_workload_ops *sl_workload_find(const char *name);
/* Tasks in one run of s with workload w. */
long sl_workload_ntasks(const struct sl_workload_ops *w, const struct sl_setting *s);

#endif
