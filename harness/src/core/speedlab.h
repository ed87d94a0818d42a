/* speedlab.h: the types every part of the harness shares (settings, metrics, errors). */
#ifndef SPEEDLAB_H
#define SPEEDLAB_H

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define SL_VERSION "0.1.0"

/* Exit codes (DESIGN.md): 0 success, 1 a finding the caller asked to fail on, 2 bad usage or input. */
#define SL_EXIT_OK 0
#define SL_EXIT_FINDING 1
#define SL_EXIT_USAGE 2

#define SL_MAX_PARAMS 24
#define SL_NAME_LEN 48
#define SL_VALUE_LEN 160
#define SL_STATUS_LEN 160
#define SL_MAX_STD_AXES 24      /* rows of the axis table (experiment/axis.c) */
#define SL_AXIS_TEXT_LEN 32     /* the text of an axis kept in sl_setting.axis_extra */
/* meta.json's schema: 1 from this version on (absent in older results, read the same way). */
#define SL_META_SCHEMA 1

/* ---- errors and messages (util.c) ---- */

/* Print "speedlab: message" to stderr. Never fails. */
void sl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* When true, sl_err_at prints nothing (listing experiments that may not parse). */
extern bool sl_quiet_errors;
/* Print "speedlab: FILE:LINE: message" (LINE omitted when line <= 0). Never fails. */
void sl_err_at(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Print "speedlab: warning: message". Never fails. */
void sl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Monotonic time in seconds. Never fails. */
double sl_now(void);
/* Wall-clock (epoch) time in seconds. Never fails. */
double sl_wall_clock(void);
/* Levenshtein distance, for "did you mean". Never fails. */
int sl_edit_distance(const char *a, const char *b);
/* Of the NULL-terminated candidates, the closest to word if it is close enough, else NULL. */
const char *sl_did_you_mean(const char *word, const char *const *candidates);
/* Copy src into dst of size bytes, truncating, always NUL-terminated; returns strlen(src). */
size_t sl_strlcpy(char *dst, const char *src, size_t size);
/* Strip leading and trailing white space in place; returns s. */
char *sl_strip(char *s);
/* Parse a whole string as a long / double; false (and *out untouched) on any junk. */
bool sl_parse_long(const char *s, long *out);
bool sl_parse_double(const char *s, double *out);
/* mkdir -p. Returns 0 or -errno. */
int sl_mkdir_p(const char *path);
/* Write a whole file through a temporary file (created new, never through a link) and rename
 * (crash-safe). A path that is a character device (or a link to one) is written in place, never
 * replaced; a FIFO, socket, directory or a link to one is refused (sl_output_check). Returns 0 or
 * -errno. */
int sl_write_file_atomic(const char *path, const char *data, size_t len);
/* The same, the new file given mode (0: the default, 0666 less the umask). */
int sl_write_file_mode(const char *path, const char *data, size_t len, mode_t mode);
/* Read a whole regular file (sl_open_regular: a FIFO or device is refused at once, SL_ENOTREG) into
 * a NUL-terminated malloc'd buffer; NULL with errno set on failure. */
char *sl_read_file(const char *path, size_t *len);

/* ---- result files are data (files.c) ---- */

/* errno of a path that is not a regular file where only one is read or replaced */
#define SL_ENOTREG EBADFD
/* strerror, with SL_ENOTREG and ELOOP (a link not followed) said plainly; err may be negative. */
const char *sl_strerror(int err);
/* Open path for reading when it is a regular file: a FIFO or device is refused without blocking
 * (-SL_ENOTREG); nofollow: a final symbolic link is refused (-ELOOP). Returns the fd or -errno. */
int sl_open_regular(const char *path, bool nofollow);
/* Like sl_read_file, but a final symbolic link is refused (ELOOP): a file inside a result directory. */
char *sl_read_file_nofollow(const char *path, size_t *len);
/* An output inside a result directory, created without following a link: truncated (a link or file
 * there is removed first, then the file is made with O_EXCL) or appended to (a link is refused).
 * Returns the stream, or NULL with errno set (SL_ENOTREG: not a regular file). */
FILE *sl_fopen_output(const char *path, bool append);
/* How a path a user names as an output may be written: SL_OUTPUT_NEW (absent or a regular file:
 * a temporary file renamed over it), SL_OUTPUT_IN_PLACE (a character device, or a link to one:
 * written in place, never replaced), or -SL_ENOTREG / -ELOOP (a FIFO, socket, directory, or a link
 * to one of them: refused). */
#define SL_OUTPUT_NEW 0
#define SL_OUTPUT_IN_PLACE 1
int sl_output_check(const char *path);
/* Claim dir for this process alone (an exclusive lock on the directory, held until the process
 * exits; forked children do not keep it). Returns 0, -EBUSY when another process holds it, or
 * -errno. */
int sl_dir_claim(const char *dir);

/* What /proc/PID/stat says of a process that the harness needs to find and judge processes. */
struct sl_proc_stat {
	char state;        /* R, S, D, Z, ... */
	pid_t ppid, pgrp, session;
	int exit_code;     /* a zombie's wait status (field 52), else 0 */
};
/* Read /proc/PID/stat; false when the process is gone or the file cannot be parsed. */
bool sl_proc_stat(pid_t pid, struct sl_proc_stat *st);
/* The one parser of a /proc/PID/stat text (or a task's, /proc/PID/task/TID/stat): the state letter
 * (field 3) into *state, and fields 4 .. last, numbered as proc(5) numbers them, into f: field k in
 * f[k - 4] (f holds last - 3 numbers; NULL with last = 3, the state only). A negative field
 * (priority, nice) reads as negative; one past long long's range wraps (rsslim's "unlimited" reads
 * -1). Returns how many fields from field 4 on were read (fewer than last - 3 when the text ends or
 * a field is not a number), -1 when the text has no "(comm) S" part. Allocates nothing (the
 * monitor's thread calls it). */
int sl_proc_stat_parse(const char *text, char *state, long long *f, int last);
/* /proc/PID/stat read and parsed as sl_proc_stat_parse does (pid 0: this process's own); -1 when it
 * cannot be read. */
int sl_proc_stat_read(pid_t pid, char *state, long long *f, int last);
/* The absolute path of the running speedlab binary (for spawn and sub-commands). */
const char *sl_self_exe(void);

/* ---- topology facts the parser and the sizing rules need (sysinfo.c) ---- */

struct sl_topology {
	int logical;      /* logical CPUs the process may use (its affinity: taskset, cgroup cpuset) */
	int physical;     /* physical cores with at least one of those CPUs */
	int sockets;
	int numa_nodes;
	double mem_gib;   /* total memory */
	int smt;          /* hardware threads per core (the most of any core) */
	int machine_logical;  /* logical CPUs of the machine, allowed or not */
	int machine_physical; /* its physical cores */
	char allowed[128];    /* the CPUs the process may use when it first asked, a list "0-3,8" */
};
/* Read once with hwloc and cached. Never fails: falls back to sysconf. */
const struct sl_topology *sl_topology(void);

/* ---- one configuration of an experiment ---- */

enum sl_threads_kind { SL_THREADS_UNSET = 0, SL_THREADS_AUTO, SL_THREADS_N };

/* One workload parameter's value, as text and (when numeric) as a number. */
struct sl_param_value {
	char name[SL_NAME_LEN];
	char text[SL_VALUE_LEN];
	double num;       /* NAN when not numeric */
};

/* A fully resolved configuration: the standard axes plus the workload's parameters.
 * The text of every axis is kept too, as written to runs.csv. The axis table (experiment/axis.c)
 * names the field of each standard axis; an axis without a field of its own is in axis_extra. */
struct sl_setting {
	int config;                    /* configuration id (canonical order), stable across --resume */
	int processes;
	int chunksize;                 /* tasks per chunk, >= 1 (the 'auto' rule is resolved) */
	char chunksize_text[16];       /* as given: a number or 'auto' */
	char start_method[16];         /* fork, spawn, forkserver, mpi */
	enum sl_threads_kind threads_kind;
	int threads;                   /* resolved threads per worker; 0 when unset */
	char threads_text[16];         /* unset, auto, or the number */
	char thread_api[8];            /* env, call */
	char dispatch[8];              /* pipe, shm */
	char device[8];                /* cpu, gpu */
	char blas[8];                  /* pthread, openmp */
	int parent_rss_mb;             /* memory the coordinator touches before starting workers */
	char parent_uses[16];          /* none, openmp, openblas, cuda: what the coordinator uses first */
	char affinity[16];             /* none, cpus:N, core, compact, spread (placement.c) */
	char mem_policy[16];           /* default, local, interleave, bind */
	char allowed_cpus[128];        /* the CPUs the sweep may use (its affinity when it began), a list "0-3,8" */
	char coordinator_cpus[128];    /* [experiment] coordinator_cpus: where the coordinator is pinned; "" none */
	double timeout_s;              /* per run; past it the run is recorded hang */
	/* [mpi] launch settings (start_method = mpi only; empty/0: mpirun's defaults, see launch/mpi_launch.c) */
	char mpi_hosts[256];           /* --host list, "a,b:4" */
	char mpi_hostfile[256];        /* --hostfile path */
	int mpi_ranks_per_node;        /* 0: not set */
	char mpi_bind[32];             /* none, core, hwthread, socket, numa; "": none */
	char workload[SL_NAME_LEN];
	char axis_extra[SL_MAX_STD_AXES][SL_AXIS_TEXT_LEN];   /* by table row: axes with no field */
	int nparams;
	struct sl_param_value params[SL_MAX_PARAMS];
};

/* Look up a workload parameter of a setting; NULL when absent. */
const struct sl_param_value *sl_setting_param(const struct sl_setting *s, const char *name);
/* Numeric value of a parameter, or def when absent or not numeric. */
double sl_setting_num(const struct sl_setting *s, const char *name, double def);
/* Text value of a parameter, or def when absent. */
const char *sl_setting_text(const struct sl_setting *s, const char *name, const char *def);

/* ---- what one repetition measured (a row of runs.csv) ---- */

/* Every metric is a double; NAN means "does not apply" and is written as an empty cell. */
struct sl_metrics {
	double wall_s;
	double cpu_user_s;
	double cpu_sys_s;
	double cores_busy;             /* process-tree CPU time / wall */
	double threads_peak;           /* largest observed thread count of any worker */
	double threads_total_peak;     /* largest observed thread count of the whole tree */
	double ctx_vol;
	double ctx_invol;
	double rss_peak_mb;
	double start_latency_ms;       /* worker requested to worker ready, median over workers */
	double dispatch_us_per_task;
	double gflops;
	double gpu_util_pct;
	double gpu_mem_mb;
	/* speedlab's own additions, after the DESIGN.md columns */
	double threads_lib;            /* the library's own count (openblas_get_num_threads / omp_get_max_threads) */
	double pool_start_ms;          /* asking for the first worker to all ready */
	double pool_stop_ms;           /* shutdown request to all reaped */
	double imbalance;              /* max / mean of per-worker busy time */
	double monitor_cpu_pct;        /* the monitor's own CPU cost, % of one core */
	/* filled by the GPU workloads' metrics callback */
	double gflops_per_proc;        /* median over workers of a worker's own GFLOP/s (device time) */
	double gbps;                   /* host-device copy bandwidth, GB/s (1e9 bytes) */
	double gpu_wait_us;            /* wall time of a GPU wait past the kernel's own time, median, us */
	double host_cpu_pct;           /* worker CPU time / wall time while it drives and waits on the GPU, % */
	double helper_procs;           /* processes the pool runs besides the workers (forkserver) */
	double helper_threads;         /* threads besides the workers': the coordinator's beyond its main one, helpers' */
	double gpu_sm_mhz;             /* SM clock (NVML), mean over the run's samples */
	double cpus_used;              /* distinct logical CPUs the workers' threads ran on in the run phase */
	double migrations;             /* moves of the workers' threads between CPUs in the run phase */
	double mem_nodes;              /* NUMA nodes holding at least 1% of the workers' pages at the run's end */
	double cpu_startup_s;          /* the workers' CPU from their start to ready (outside cpu_*_s) */
	double wall_tree_s;            /* command: the whole tree's wall time, the window of cpu_*_s and cores_busy */
	char status[SL_STATUS_LEN];    /* ok, crash:SIGNAL, hang, error:TEXT, skipped:REASON */
};

/* Set every metric to NAN and the status to "ok". Never fails. */
void sl_metrics_clear(struct sl_metrics *m);

/* The metric columns in runs.csv order, with a pointer-to-member accessor. */
struct sl_metric_column {
	const char *name;
	size_t offset;                 /* offsetof(struct sl_metrics, field) */
	int better;                    /* +1 higher is better, -1 lower is better, 0 neither */
	const char *help;
};
extern const struct sl_metric_column sl_metric_columns[];
extern const size_t sl_metric_ncolumns;
static inline double sl_metric_get(const struct sl_metrics *m, const struct sl_metric_column *c)
{
	return *(const double *)((const char *)m + c->offset);
}

/* The direction of a metric the answer can be measured in: a column of sl_metric_columns with one
 * (+1 higher is better, -1 lower), or pool_ms (pool_start_ms + wall_s + pool_stop_ms: a short-lived
 * pool started, run and stopped, -1); 0 for anything else. Never fails. */
int sl_metric_better(const char *name);

#endif
