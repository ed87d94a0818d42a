/* pool_internal.h: what the pool (the files of pool/) shares with the start methods in launch/; not a public interface. */
#ifndef SL_POOL_INTERNAL_H
#define SL_POOL_INTERNAL_H

#include <stdatomic.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "core/launcher.h"
#include "monitor/monitor.h"
#include "core/workload.h"
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/futex.h>

#define SL_POOL_MAX_ENV 16
#define SL_POOL_ENV_LEN 64
#define SL_POOL_SHM_MAGIC 0x73706c706f6f6c32ULL

/* CPU time and context switches of one process (self + waited-for children). */
struct sl_pool_usage {
	double user_s, sys_s;
	double cpu_s;                  /* coordinator: CLOCK_THREAD_CPUTIME_ID (exact; RUSAGE_THREAD lags a tick) */
	double ctx_vol, ctx_invol;
	double maxrss_kib;
};

/* One worker's corner of the shared region: written by the worker, read by the coordinator after the run. */
struct sl_pool_slot {
	double entry_t;                /* CLOCK_MONOTONIC seconds when the worker's own code began */
	double ready_t;                /* after the workload's setup */
	double busy_s;                 /* sum of the times of its chunks */
	long tasks_done;
	struct sl_pool_usage at_ready; /* usage when ready (since the worker began: its start-up CPU) */
	struct sl_pool_usage at_go;    /* when its first chunk came (shm: when released) and when its work */
	struct sl_pool_usage at_end;   /* ended: the run's share is the difference, the wall time's window */
	int threads;                   /* sl_threads_count_self() when its work ended; -1 unknown */
	int lib_threads;               /* struct sl_wctx.lib_threads after the last task */
	int went;                      /* 1 once at_go is taken */
	int end_marked;                /* 1 while at_end is taken after its last chunk */
	int ended;                     /* 1 once the fields above are final */
} __attribute__((aligned(64)));

/* The shared region (a memfd, so spawned and forkserver workers can map it too): a header, the slots,
 * and for dispatch = shm the results, inputs and outputs of every task. */
struct sl_pool_shm {
	uint64_t magic;
	size_t size;
	struct sl_setting setting;
	char workload[SL_NAME_LEN];
	int nworkers;
	int shm_dispatch;              /* 1: workers claim chunks from next_chunk; 0: chunks come by pipe */
	int shared_pipe;               /* dispatch = pipe (Python's Pool): one task pipe all workers read under
					* task_lock, one result pipe all write under result_lock; 0: batch or shm */
	pthread_mutex_t task_lock, result_lock;  /* process-shared, robust */
	long ntasks;
	long chunksize;
	size_t in_bytes, out_bytes;
	size_t off_slots, off_results, off_inputs, off_outputs;
	_Alignas(64) atomic_long next_chunk;
	_Alignas(64) atomic_int go;    /* futex word: 0 wait, 1 start claiming */
};

static inline struct sl_pool_slot *sl_pool_slot(struct sl_pool_shm *shm, int id)
{
	return (struct sl_pool_slot *)((char *)shm + shm->off_slots) + id;
}

/* The coordinator's view of one worker. */
struct sl_pool_worker {
	pid_t pid;                     /* 0 until started */
	int pidfd;                     /* -1 until started */
	int to_fd, from_fd;            /* the coordinator's ends of the two pipes */
	int child_in, child_out;       /* the worker's ends; the launcher hands them over, coord.c closes them */
	bool relayed;                  /* not our child: the forkserver reaps it and reports its exit */
	bool exited, gone;             /* exit status known; pidfd said it exited (relay pending) */
	int wstatus;                   /* wait status, -1 unknown */
	bool ready, done, eof, to_armed;
	double t_request;              /* when the coordinator asked for it */
	double eof_t;
	/* dispatch = batch: bytes waiting to be written, bytes read but not yet parsed */
	char *obuf;
	size_t olen, ooff, ocap;
	char *ibuf;
	size_t ilen, icap;
	int outstanding;               /* chunks sent, results not yet back */
	double ema_chunk_s;            /* smoothed time of one chunk, sets how many chunks stay in flight */
};

enum sl_pool_phase { SL_POOL_START, SL_POOL_RUN, SL_POOL_STOP, SL_POOL_KILL };

struct sl_pool {
	const struct sl_setting *s;
	const struct sl_workload_ops *w;
	const struct sl_launcher_ops *launcher;
	struct sl_metrics *m;          /* status goes here */
	volatile sig_atomic_t *interrupted;
	int nworkers;
	struct sl_pool_worker *workers;
	int shm_fd;
	struct sl_pool_shm *shm;
	pid_t pgid;                    /* the workers' process group (the first worker's pid); 0 before */
	volatile pid_t *pgid_out;      /* where a sub-coordinator publishes pgid for its parent, or NULL */
	int nenv;
	char env[SL_POOL_MAX_ENV][SL_POOL_ENV_LEN];  /* NAME=VALUE set in each worker before it starts */
	int relay_fd;                  /* forkserver: socket where worker exits are reported, or -1 */
	int (*relay_read)(struct sl_pool *pool);     /* read what is there; 0, or -EPIPE when the server is gone */
	struct sl_monitor *mon;
	int epfd;
	enum sl_pool_phase phase;
	bool fault;                    /* m->status says what went wrong */
	long ntasks, next_task, ndone;
	int nready, ndone_workers;
	/* dispatch = pipe: the coordinator's ends of the shared pipes, the chunk message being written and
	 * the result message being read (exactly one message per read request) */
	int task_fd, result_fd;
	int shared_in, shared_out;     /* the workers' ends, closed once every worker has started */
	bool task_armed;
	char *tbuf;
	size_t tlen, toff, tcap;
	char *rbuf;
	size_t rlen, rcap;
	double *results;               /* pipe and batch dispatch: coordinator-side copies */
	char *outputs;
	char *inputs;                  /* pipe and batch dispatch: every task's input, made before the run phase */
};

/* ---- for the launchers (coordinator side) ---- */

/* Record that worker id runs as pid (pidfd open on it; relayed when not our child). Sets the pool's
 * process group from the first worker. Never fails. */
void sl_pool_worker_started(struct sl_pool *pool, int id, pid_t pid, int pidfd, bool relayed);
/* A relayed worker's exit, as the forkserver reported it; unknown pids are ignored. Never fails. */
void sl_pool_relay_exit(struct sl_pool *pool, pid_t pid, int wstatus);

/* ---- for the launchers (new worker process side) ---- */

/* Make a freshly forked process a clean worker: die with its parent (expected_parent, checked), default
 * signal handlers, nothing blocked, env applied, every descriptor but 0-2 and keep[] closed.
 * Exits the process (code 1) if the parent is already gone. */
void sl_pool_child_prepare(const char env[][SL_POOL_ENV_LEN], int nenv, const int *keep, int nkeep,
			   pid_t expected_parent);
/* Map the shared region handed over as fd. Returns NULL (errno set) when it is not one. */
struct sl_pool_shm *sl_pool_shm_map(int fd);
/* The worker's life: setup, ready, tasks (pipe or shm), report, teardown. w NULL: look the workload up by
 * the name in shm. entry_t: when the worker's code began. Never returns (exit code 0 or 1). */
_Noreturn void sl_pool_worker_serve(struct sl_pool_shm *shm, const struct sl_workload_ops *w, int id,
				    int in_fd, int out_fd, double entry_t);
/* Workloads a worker started as a fresh image can find besides the registry (tests set it). */
extern const struct sl_workload_ops *const *sl_pool_extra_workloads;
/* The registry's workload called name, else one of sl_pool_extra_workloads, else NULL. */
const struct sl_workload_ops *sl_pool_workload_find(const char *name);
/* Signal name of a wait status: "SIGKILL", "exit3", "unknown". Never fails. */
void sl_pool_describe_exit(int wstatus, char *buf, size_t len);

/* ---- inside the pool (worker.c, dispatch.c, coord.c, pool.c) ---- */

/* the wire format of the pipes (both ends are this same binary) */
enum { MSG_CHUNK = 1, MSG_READY, MSG_RESULT, MSG_DONE, MSG_ERROR };

/* coordinator -> worker: tasks first .. first+count-1, followed by their inputs */
struct pool_chunk_msg {
	uint32_t type;
	uint32_t count;
	int64_t first;
};

/* worker -> coordinator: READY, RESULT (count doubles, then count outputs), DONE, ERROR (text) */
struct pool_reply_msg {
	uint32_t type;
	uint32_t count;
	int64_t first;
	double busy_s;
	uint64_t len;                  /* bytes that follow, a multiple of 16 */
	int32_t worker;                /* who sent it (dispatch = pipe: all share one result pipe) */
	uint32_t pad[3];
};

/* Messages are padded to 16 bytes so inputs and outputs inside them stay aligned for doubles. */
static inline size_t align16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

/* A worker keeps about this much work queued so the round trip to the coordinator is hidden. */
#define POOL_QUEUE_S 200e-6
#define POOL_WINDOW_MAX 256
/* Chunks this long gain little from queueing (the round trip is a few percent of them): one at a time
 * keeps the scheduling fully dynamic, as it is before the first chunk's time is known. */
#define POOL_SINGLE_CHUNK_S 2e-3
/* A worker flushes its results at least this often while working through a batch. */
#define POOL_FLUSH_S 50e-6
/* A worker whose channel closed must exit within this long, or the run is an error. */
#define POOL_EXIT_GRACE_S 5.0
/* A sub-coordinator gets this long past the run's timeout before its parent kills it. */
#define POOL_SUB_GRACE_S 20.0

static inline int sl_pool_futex(atomic_int *addr, int op, int val)
{
	return (int)syscall(SYS_futex, (int *)addr, op, val, NULL, NULL, 0);
}

enum { EV_FROM = 1, EV_TO, EV_PIDFD, EV_RELAY, EV_RESULT, EV_TASK };

/* Set a run's status, on one line (it is one CSV cell), truncated to fit. Never fails. */
void sl_pool_set_status(struct sl_metrics *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The run's first fault: its status (later ones are ignored); the event loop then stops. */
void sl_pool_fail(struct sl_pool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Use the library s->parent_uses names in this process (pool.c). 0, or -errno with msg set. */
int sl_pool_use_library(const struct sl_setting *s, const char *who, char *msg, size_t msglen);
/* dispatch.c: register fd with the pool's epoll as (kind, worker i). 0 or -errno. */
int sl_pool_epoll(struct sl_pool *p, int op, int fd, uint32_t events, int kind, int i);
/* dispatch.c: write what is queued for worker i; queue chunks up to its window and write them. */
void sl_pool_flush(struct sl_pool *p, int i);
void sl_pool_refill(struct sl_pool *p, int i);
/* dispatch.c, dispatch = pipe: feed the shared task pipe; read the shared result pipe. */
void sl_pool_fill_shared(struct sl_pool *p);
ssize_t sl_pool_read_shared(struct sl_pool *p);
/* dispatch.c: read what worker i sent and handle every whole message (bytes, 0 at end of file, -1). */
ssize_t sl_pool_read(struct sl_pool *p, int i);
/* coord.c: one repetition in this process (the coordinator or a sub-coordinator); pgid_out as in struct sl_pool. */
int sl_pool_run_here(const struct sl_setting *s, const struct sl_workload_ops *w, const struct sl_run_opts *o,
		     const struct sl_launcher_ops *launcher, struct sl_metrics *m, volatile pid_t *pgid_out);

#endif
