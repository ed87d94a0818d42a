/* pool.c: the process pool: P workers started by a launcher, tasks dispatched in chunks through pipes or
 * shared memory, faults (crash, hang, Ctrl-C) detected, everything reaped, and what it all cost measured. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <omp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/blas.h"
#include "sys/cuda.h"
#include "launch/mpi.h"
#include "sys/placement.h"
#include "pool/pool_internal.h"
#include "core/stats.h"

/* ---- the wire format of the pipes (both ends are this same binary) ---- */

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
static size_t align16(size_t n)
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

const struct sl_workload_ops *const *sl_pool_extra_workloads;

const struct sl_workload_ops *sl_pool_workload_find(const char *name)
{
	const struct sl_workload_ops *w = sl_workload_find(name);

	if (w || !sl_pool_extra_workloads)
		return w;
	for (const struct sl_workload_ops *const *x = sl_pool_extra_workloads; *x; x++)
		if (strcmp((*x)->name, name) == 0)
			return *x;
	return NULL;
}

void sl_pool_describe_exit(int wstatus, char *buf, size_t len)
{
	if (wstatus >= 0 && WIFSIGNALED(wstatus)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(wstatus));

		if (abbrev)
			snprintf(buf, len, "SIG%s", abbrev);
		else
			snprintf(buf, len, "SIG%d", WTERMSIG(wstatus));
	} else if (wstatus >= 0 && WIFEXITED(wstatus)) {
		snprintf(buf, len, "exit%d", WEXITSTATUS(wstatus));
	} else {
		snprintf(buf, len, "unknown");
	}
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes from fd; where it does not block and nothing is there yet, on_wait(arg) is
 * called once (may be NULL) and the read waits in poll. 1 when read, 0 at end of file before the
 * first byte, -EPROTO at end of file inside, -errno on an error. */
static int read_exact(int fd, void *buf, size_t len, void (*on_wait)(void *), void *arg)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EAGAIN) {
			/* a non-blocking fd with nothing there yet: say so, then wait until there is */
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			if (on_wait)
				on_wait(arg);
			on_wait = NULL;
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return got ? -EPROTO : 0;
		got += (size_t)n;
	}
	return 1;
}

/* Take a lock of the shared region. A worker that died holding it leaves it to the next taker (the
 * run fails on that death anyway). Never fails. */
static void shared_lock(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m) == EOWNERDEAD)
		pthread_mutex_consistent(m);
}

static int futex(atomic_int *addr, int op, int val)
{
	return (int)syscall(SYS_futex, (int *)addr, op, val, NULL, NULL, 0);
}

static void usage_now(struct sl_pool_usage *u)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	u->user_s = self.ru_utime.tv_sec + self.ru_utime.tv_usec * 1e-6 + kids.ru_utime.tv_sec +
		    kids.ru_utime.tv_usec * 1e-6;
	u->sys_s = self.ru_stime.tv_sec + self.ru_stime.tv_usec * 1e-6 + kids.ru_stime.tv_sec +
		   kids.ru_stime.tv_usec * 1e-6;
	u->ctx_vol = (double)self.ru_nvcsw + (double)kids.ru_nvcsw;
	u->ctx_invol = (double)self.ru_nivcsw + (double)kids.ru_nivcsw;
	u->maxrss_kib = (double)(self.ru_maxrss > kids.ru_maxrss ? self.ru_maxrss : kids.ru_maxrss);
}

static void thread_usage_now(struct sl_pool_usage *u)
{
	struct rusage r;
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	u->cpu_s = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
	getrusage(RUSAGE_THREAD, &r);
	u->user_s = r.ru_utime.tv_sec + r.ru_utime.tv_usec * 1e-6;
	u->sys_s = r.ru_stime.tv_sec + r.ru_stime.tv_usec * 1e-6;
	u->ctx_vol = (double)r.ru_nvcsw;
	u->ctx_invol = (double)r.ru_nivcsw;
	u->maxrss_kib = 0;
}

/* ======================================================================================
 * The worker side
 * ====================================================================================== */

struct pool_wside {
	struct sl_pool_shm *shm;
	int id;
	const struct sl_workload_ops *w;
	struct sl_wctx *ctx;
	struct sl_pool_slot *slot;
	int in_fd, out_fd;
	char *obuf;
	size_t olen, ocap;
	char msg[SL_STATUS_LEN];
};

static int wside_reserve(struct pool_wside *ws, size_t more)
{
	if (ws->olen + more <= ws->ocap)
		return 0;
	size_t cap = ws->ocap ? ws->ocap : 4096;
	while (cap < ws->olen + more)
		cap *= 2;
	char *nb = realloc(ws->obuf, cap);
	if (!nb)
		return -ENOMEM;
	ws->obuf = nb;
	ws->ocap = cap;
	return 0;
}

static int wside_flush(struct pool_wside *ws)
{
	int rc;

	/* dispatch = pipe: every worker writes the one result pipe, a whole message under the lock */
	if (ws->shm->shared_pipe)
		shared_lock(&ws->shm->result_lock);
	rc = write_all(ws->out_fd, ws->obuf, ws->olen);
	if (ws->shm->shared_pipe)
		pthread_mutex_unlock(&ws->shm->result_lock);

	ws->olen = 0;
	return rc;
}

static int wside_send(struct pool_wside *ws, uint32_t type, const char *text, long count, double busy_s)
{
	struct pool_reply_msg h = { .type = type, .count = (uint32_t)count, .busy_s = busy_s, .worker = ws->id };
	size_t tlen = text ? strlen(text) + 1 : 0;

	h.len = align16(tlen);
	if (wside_reserve(ws, sizeof(h) + h.len) < 0)
		return -ENOMEM;
	memcpy(ws->obuf + ws->olen, &h, sizeof(h));
	memset(ws->obuf + ws->olen + sizeof(h), 0, h.len);
	if (tlen)
		memcpy(ws->obuf + ws->olen + sizeof(h), text, tlen);
	ws->olen += sizeof(h) + h.len;
	return wside_flush(ws);
}

/* Block until the coordinator closes the channel (or kills us). */
static void wside_wait_eof(struct pool_wside *ws)
{
	char buf[256];

	for (;;) {
		ssize_t n = read(ws->in_fd, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EINTR))
			return;
	}
}

static int pool_use_library(const struct sl_setting *s, const char *who, char *msg, size_t msglen);

static _Noreturn void wside_fail(struct pool_wside *ws, const char *what, int rc)
{
	char text[SL_STATUS_LEN + 64];

	if (ws->msg[0])
		snprintf(text, sizeof(text), "%s", ws->msg);
	else
		snprintf(text, sizeof(text), "%s: %s", what, strerror(rc < 0 ? -rc : rc));
	ws->olen = 0;
	/* the shared task pipe holds the other workers' tasks: only a channel of its own is drained */
	if (wside_send(ws, MSG_ERROR, text, 0, 0) == 0 && !ws->shm->shared_pipe)
		wside_wait_eof(ws);
	_exit(1);
}

/* Run tasks first .. first+count-1 with results (and outputs) written where the caller says. */
static int wside_run(struct pool_wside *ws, long first, long count, const char *inputs, double *results,
		     char *outputs, double *busy_s)
{
	size_t in_b = ws->shm->in_bytes, out_b = ws->shm->out_bytes;
	double t0 = sl_now();

	for (long i = 0; i < count; i++) {
		double r = 0;
		int rc = ws->w->run_task(ws->ctx, first + i, in_b ? inputs + i * in_b : NULL,
					 out_b ? outputs + i * out_b : NULL, &r, ws->msg, sizeof(ws->msg));

		if (rc != 0) {
			if (!ws->msg[0])
				snprintf(ws->msg, sizeof(ws->msg), "task %ld: %s", first + i,
					 strerror(rc < 0 ? -rc : rc));
			return rc < 0 ? rc : -rc;
		}
		memcpy(&results[i], &r, sizeof(r));
	}
	*busy_s = sl_now() - t0;
	ws->slot->end_marked = 0;
	ws->slot->busy_s += *busy_s;
	ws->slot->tasks_done += count;
	return 0;
}

/* dispatch = shm: claim chunks from the shared counter until none is left; no system call per task. */
static int wside_loop_shm(struct pool_wside *ws)
{
	struct sl_pool_shm *shm = ws->shm;
	long cs = shm->chunksize, nchunks = (shm->ntasks + cs - 1) / cs;
	double *results = (double *)((char *)shm + shm->off_results);
	char *inputs = (char *)shm + shm->off_inputs, *outputs = (char *)shm + shm->off_outputs;

	while (atomic_load_explicit(&shm->go, memory_order_acquire) == 0)
		futex(&shm->go, FUTEX_WAIT, 0);
	usage_now(&ws->slot->at_go);      /* the run's share of CPU starts now, not at ready */
	ws->slot->went = 1;
	for (;;) {
		long c = atomic_fetch_add_explicit(&shm->next_chunk, 1, memory_order_relaxed);
		long first = c * cs, count;
		double busy;
		int rc;

		if (c >= nchunks)
			break;
		count = shm->ntasks - first < cs ? shm->ntasks - first : cs;
		rc = wside_run(ws, first, count, inputs + first * shm->in_bytes, results + first,
			       outputs + first * shm->out_bytes, &busy);
		if (rc)
			return rc;
	}
	atomic_thread_fence(memory_order_release);
	return 0;
}

/* dispatch = batch: read chunk messages, run them, write results back; results of a batch of short chunks
 * go out in one write, a long chunk's results go out as soon as it is done. Returns at end of file. */
static int wside_loop_pipe(struct pool_wside *ws)
{
	size_t in_b = ws->shm->in_bytes, out_b = ws->shm->out_bytes;
	size_t icap = 65536, ilen = 0;
	char *ibuf = malloc(icap);
	int rc = 0;

	if (!ibuf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		/* a read may wait (at the end, for the channel to close): what this worker used so far is
		 * its run's, up to its last result */
		if (ws->slot->went && !ws->slot->end_marked) {
			usage_now(&ws->slot->at_end);
			ws->slot->end_marked = 1;
		}
		n = read(ws->in_fd, ibuf + ilen, icap - ilen);
		size_t pos = 0;
		double last_flush = sl_now();

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		if (!ws->slot->went) {
			usage_now(&ws->slot->at_go);   /* the first chunk: this worker's run begins */
			ws->slot->went = 1;
		}
		ilen += (size_t)n;
		while (ilen - pos >= sizeof(struct pool_chunk_msg)) {
			struct pool_chunk_msg cm;
			struct pool_reply_msg h = { .type = MSG_RESULT };
			size_t need, plen;
			char *base;
			double busy;

			memcpy(&cm, ibuf + pos, sizeof(cm));
			if (cm.type != MSG_CHUNK || cm.count == 0 || cm.first < 0 ||
			    cm.first + (int64_t)cm.count > ws->shm->ntasks) {
				snprintf(ws->msg, sizeof(ws->msg), "worker got a malformed chunk message");
				rc = -EPROTO;
				goto out_free;
			}
			need = sizeof(cm) + align16(cm.count * in_b);
			if (ilen - pos < need) {
				if (need > icap) {
					char *nb = realloc(ibuf, need);

					if (!nb) {
						rc = -ENOMEM;
						goto out_free;
					}
					ibuf = nb;
					icap = need;
				}
				break;
			}
			plen = align16(cm.count * sizeof(double) + cm.count * out_b);
			if ((rc = wside_reserve(ws, sizeof(h) + plen)) < 0)
				goto out_free;
			base = ws->obuf + ws->olen;
			memset(base + sizeof(h), 0, plen);
			rc = wside_run(ws, cm.first, cm.count, ibuf + pos + sizeof(cm), (double *)(base + sizeof(h)),
				       base + sizeof(h) + cm.count * sizeof(double), &busy);
			if (rc)
				goto out_free;
			h.count = cm.count;
			h.first = cm.first;
			h.busy_s = busy;
			h.len = plen;
			memcpy(base, &h, sizeof(h));
			ws->olen += sizeof(h) + plen;
			pos += need;
			if (ws->olen >= (1u << 20) || sl_now() - last_flush >= POOL_FLUSH_S) {
				if ((rc = wside_flush(ws)) < 0)
					goto out_free;
				last_flush = sl_now();
			}
		}
		memmove(ibuf, ibuf + pos, ilen - pos);
		ilen -= pos;
		if (ws->olen && (rc = wside_flush(ws)) < 0)
			break;
	}
out_free:
	free(ibuf);
	return rc;
}

/* The task pipe is empty: what this worker used so far is its run's, up to its last result. */
static void wside_mark_end(void *arg)
{
	struct pool_wside *ws = arg;

	usage_now(&ws->slot->at_end);
	ws->slot->end_marked = 1;
}

/* dispatch = pipe, Python's Pool design: take the task lock, read one chunk message (its header, then
 * exactly its inputs), let go of the lock, run the chunk, and write its results as one message in one
 * write under the result lock. Returns at end of file (the coordinator closed the task pipe). */
static int wside_loop_shared(struct pool_wside *ws)
{
	struct sl_pool_shm *shm = ws->shm;
	size_t in_b = shm->in_bytes, out_b = shm->out_bytes, icap = 0;
	char *ibuf = NULL;
	int rc;

	for (;;) {
		struct pool_chunk_msg cm;
		struct pool_reply_msg h = { .type = MSG_RESULT, .worker = ws->id };
		size_t need = 0, plen;
		double busy;

		shared_lock(&shm->task_lock);
		rc = read_exact(ws->in_fd, &cm, sizeof(cm), ws->slot->went ? wside_mark_end : NULL, ws);
		if (rc == 1 && !ws->slot->went) {
			usage_now(&ws->slot->at_go);   /* the first chunk: this worker's run begins */
			ws->slot->went = 1;
		}
		if (rc == 1 && (cm.type != MSG_CHUNK || cm.count == 0 || cm.first < 0 ||
				cm.first + (int64_t)cm.count > shm->ntasks)) {
			snprintf(ws->msg, sizeof(ws->msg), "worker got a malformed chunk message");
			rc = -EPROTO;
		}
		if (rc == 1 && (need = align16(cm.count * in_b)) > icap) {
			char *nb = realloc(ibuf, need);

			if (nb) {
				ibuf = nb;
				icap = need;
			} else {
				rc = -ENOMEM;
			}
		}
		if (rc == 1 && need && (rc = read_exact(ws->in_fd, ibuf, need, NULL, NULL)) == 0)
			rc = -EPROTO;
		pthread_mutex_unlock(&shm->task_lock);
		if (rc <= 0)
			break;
		plen = align16(cm.count * sizeof(double) + cm.count * out_b);
		ws->olen = 0;
		if ((rc = wside_reserve(ws, sizeof(h) + plen)) < 0)
			break;
		memset(ws->obuf + sizeof(h), 0, plen);
		rc = wside_run(ws, cm.first, cm.count, ibuf, (double *)(ws->obuf + sizeof(h)),
			       ws->obuf + sizeof(h) + cm.count * sizeof(double), &busy);
		if (rc)
			break;
		h.count = cm.count;
		h.first = cm.first;
		h.busy_s = busy;
		h.len = plen;
		memcpy(ws->obuf, &h, sizeof(h));
		ws->olen = sizeof(h) + plen;
		if ((rc = wside_flush(ws)) < 0)
			break;
	}
	free(ibuf);
	return rc < 0 ? rc : 0;
}

_Noreturn void sl_pool_worker_serve(struct sl_pool_shm *shm, const struct sl_workload_ops *w, int id,
				    int in_fd, int out_fd, double entry_t)
{
	struct pool_wside ws = { .shm = shm, .id = id, .in_fd = in_fd, .out_fd = out_fd };
	struct sl_setting setting;
	struct sl_wctx ctx;
	struct sl_pool_slot *slot = sl_pool_slot(shm, id);
	int rc;

	slot->entry_t = entry_t;
	slot->threads = -1;
	ws.slot = slot;
	memcpy(&setting, &shm->setting, sizeof(setting));
	memset(&ctx, 0, sizeof(ctx));
	ctx.setting = &setting;
	ctx.worker = id;
	ws.ctx = &ctx;
	ws.w = w ? w : sl_pool_workload_find(shm->workload);
	if (!ws.w) {
		snprintf(ws.msg, sizeof(ws.msg), "workload '%s' not known in the worker", shm->workload);
		wside_fail(&ws, "lookup", ENOENT);
	}
	if (!ws.w->run_task) {
		snprintf(ws.msg, sizeof(ws.msg), "workload '%s' has no tasks", shm->workload);
		wside_fail(&ws, "lookup", ENOSYS);
	}
	/* placement (affinity, mem_policy) before any library loads: the threads it starts inherit it */
	if ((rc = sl_placement_apply_worker(&setting, id, shm->nworkers, ws.msg, sizeof(ws.msg))) != 0)
		wside_fail(&ws, "placement", rc);
	/* the start-safety matrix: can this worker still use what its coordinator used? */
	if ((rc = pool_use_library(&setting, "worker", ws.msg, sizeof(ws.msg))) != 0)
		wside_fail(&ws, "setup", rc);
	sl_threads_apply_env_inherited(&setting);
	if (ws.w->setup && (rc = ws.w->setup(&ctx, ws.msg, sizeof(ws.msg))) != 0)
		wside_fail(&ws, "setup", rc);
	slot->ready_t = sl_now();
	if (wside_send(&ws, MSG_READY, NULL, 0, 0) < 0)
		_exit(1);
	usage_now(&slot->at_ready);
	slot->at_go = slot->at_ready;      /* until its first chunk: a worker given none used nothing */
	rc = shm->shm_dispatch ? wside_loop_shm(&ws) : shm->shared_pipe ? wside_loop_shared(&ws) : wside_loop_pipe(&ws);
	if (rc)
		wside_fail(&ws, "task", rc);
	/* the run's window: first chunk to last result. A channel's end of file comes after the run's
	 * clock stopped: a worker that waited for it measured its end before waiting; one given no chunk
	 * used nothing in the window. */
	if (!slot->went)
		slot->at_end = slot->at_go;
	else if (!slot->end_marked)
		usage_now(&slot->at_end);
	slot->threads = sl_threads_count_self();
	if (shm->shm_dispatch) {
		if (wside_send(&ws, MSG_DONE, NULL, slot->tasks_done, slot->busy_s) < 0)
			_exit(1);
		wside_wait_eof(&ws);
	}
	/* the run phase's clock has stopped (the channel is closed): the checks kept out of the tasks */
	if (ws.w->after_run && (rc = ws.w->after_run(&ctx, ws.msg, sizeof(ws.msg))) != 0)
		wside_fail(&ws, "check", rc);
	slot->lib_threads = ctx.lib_threads;
	slot->ended = 1;
	if (ws.w->teardown)
		ws.w->teardown(&ctx);
	/* what the workload printed; the coordinator flushed its own buffers before starting us */
	fflush(stdout);
	fflush(stderr);
	_exit(0);
}

struct sl_pool_shm *sl_pool_shm_map(int fd)
{
	struct stat st;
	struct sl_pool_shm *shm;

	if (fstat(fd, &st) < 0)
		return NULL;
	if ((size_t)st.st_size < sizeof(*shm)) {
		errno = EINVAL;
		return NULL;
	}
	shm = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (shm == MAP_FAILED)
		return NULL;
	if (shm->magic != SL_POOL_SHM_MAGIC || shm->size != (size_t)st.st_size) {
		munmap(shm, (size_t)st.st_size);
		errno = EINVAL;
		return NULL;
	}
	return shm;
}

static void close_except(const int *keep, int nkeep)
{
	int sorted[8], n = 0;
	unsigned int from = 3;

	for (int i = 0; i < nkeep && n < 8; i++)
		if (keep[i] >= 3)
			sorted[n++] = keep[i];
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
			int t = sorted[j];

			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		if ((unsigned int)sorted[i] > from)
			close_range(from, (unsigned int)sorted[i] - 1, 0);
		from = (unsigned int)sorted[i] + 1;
	}
	close_range(from, ~0U, 0);
}

void sl_pool_child_prepare(const char env[][SL_POOL_ENV_LEN], int nenv, const int *keep, int nkeep,
			   pid_t expected_parent)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != expected_parent)
		_exit(1);
	/* handlers of the coordinator (a test framework's, a run loop's) must not run in a worker */
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction old;

		if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &old) < 0)
			continue;
		if (old.sa_handler != SIG_DFL)
			sigaction(sig, &dfl, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int i = 0; i < nenv; i++) {
		char name[SL_POOL_ENV_LEN];
		const char *eq = strchr(env[i], '=');

		if (!eq || eq == env[i] || (size_t)(eq - env[i]) >= sizeof(name))
			continue;
		memcpy(name, env[i], (size_t)(eq - env[i]));
		name[eq - env[i]] = '\0';
		setenv(name, eq + 1, 1);
	}
	close_except(keep, nkeep);
}

/* `speedlab __worker --in FD --out FD --shm FD --id N --ppid PID`: a worker started as a fresh image. */
int sl_worker_main(int argc, char **argv)
{
	double entry_t = sl_now();
	long in_fd = -1, out_fd = -1, shm_fd = -1, id = -1, ppid = -1;
	struct sl_pool_shm *shm;

	for (int i = 1; i + 1 < argc; i += 2) {
		long *dst = strcmp(argv[i], "--in") == 0 ? &in_fd
			  : strcmp(argv[i], "--out") == 0 ? &out_fd
			  : strcmp(argv[i], "--shm") == 0 ? &shm_fd
			  : strcmp(argv[i], "--id") == 0 ? &id
			  : strcmp(argv[i], "--ppid") == 0 ? &ppid : NULL;

		if (!dst || !sl_parse_long(argv[i + 1], dst) || *dst < 0) {
			sl_err("__worker: bad argument '%s' (this mode is for the pool only)", argv[i]);
			return SL_EXIT_USAGE;
		}
	}
	if (in_fd < 0 || out_fd < 0 || shm_fd < 0 || id < 0 || ppid <= 0) {
		sl_err("__worker: missing --in, --out, --shm, --id or --ppid (this mode is for the pool only)");
		return SL_EXIT_USAGE;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != (pid_t)ppid)
		return 1;
	shm = sl_pool_shm_map((int)shm_fd);
	if (!shm) {
		sl_err("__worker: cannot map the pool's shared memory: %s", strerror(errno));
		return 1;
	}
	close((int)shm_fd);
	if (id >= shm->nworkers) {
		sl_err("__worker: worker id %ld out of range", id);
		return SL_EXIT_USAGE;
	}
	sl_pool_worker_serve(shm, NULL, (int)id, (int)in_fd, (int)out_fd, entry_t);
}

/* ======================================================================================
 * The coordinator side
 * ====================================================================================== */

/* Set a run's status, on one line (it is one CSV cell), truncated to fit. */
static void set_status(struct sl_metrics *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_status(struct sl_metrics *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->status, sizeof(m->status), fmt, ap);
	va_end(ap);
	for (char *c = m->status; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
}

static void pool_fail(struct sl_pool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pool_fail(struct sl_pool *p, const char *fmt, ...)
{
	va_list ap;

	if (p->fault)
		return;
	p->fault = true;
	va_start(ap, fmt);
	vsnprintf(p->m->status, sizeof(p->m->status), fmt, ap);
	va_end(ap);
	for (char *c = p->m->status; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
}

static ssize_t pool_read(struct sl_pool *p, int i);
static ssize_t pool_read_shared(struct sl_pool *p);

static void pool_note_exit(struct sl_pool *p, int i, int wstatus)
{
	struct sl_pool_worker *wk = &p->workers[i];
	bool clean = wstatus >= 0 && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
	char what[32];

	if (wk->exited)
		return;
	wk->exited = true;
	wk->wstatus = wstatus;
	if (wk->pidfd >= 0 && !wk->gone)
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, wk->pidfd, NULL);
	wk->gone = true;
	if (p->phase == SL_POOL_KILL || (p->phase == SL_POOL_STOP && clean))
		return;
	/* what it said before it ended (an error message) names the fault better than its exit */
	for (int k = 0; k < 64 && !p->fault; k++)
		if (p->shm->shared_pipe ? p->result_fd < 0 || pool_read_shared(p) <= 0
					: wk->eof || wk->from_fd < 0 || pool_read(p, i) <= 0)
			break;
	sl_pool_describe_exit(wstatus, what, sizeof(what));
	pool_fail(p, "crash:%s", what);
}

void sl_pool_worker_started(struct sl_pool *p, int id, pid_t pid, int pidfd, bool relayed)
{
	struct sl_pool_worker *wk = &p->workers[id];

	wk->pid = pid;
	wk->pidfd = pidfd;
	wk->relayed = relayed;
	if (p->pgid == 0) {
		p->pgid = pid;
		if (p->pgid_out)
			*p->pgid_out = pid;
	}
}

void sl_pool_relay_exit(struct sl_pool *p, pid_t pid, int wstatus)
{
	if (!p)
		return;
	for (int i = 0; i < p->nworkers; i++)
		if (p->workers[i].pid == pid && p->workers[i].relayed) {
			pool_note_exit(p, i, wstatus);
			return;
		}
}

enum { EV_FROM = 1, EV_TO, EV_PIDFD, EV_RELAY, EV_RESULT, EV_TASK };

static int pool_epoll(struct sl_pool *p, int op, int fd, uint32_t events, int kind, int i)
{
	struct epoll_event ev = { .events = events, .data.u64 = ((uint64_t)kind << 32) | (uint32_t)i };

	return epoll_ctl(p->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

static int pool_window(const struct sl_pool_worker *wk)
{
	double win;

	if (wk->ema_chunk_s <= 0 || wk->ema_chunk_s >= POOL_SINGLE_CHUNK_S)
		return 1;
	win = POOL_QUEUE_S / wk->ema_chunk_s;
	if (win < 2)
		return 2;
	if (win > POOL_WINDOW_MAX)
		return POOL_WINDOW_MAX;
	return (int)win;
}

static void pool_flush(struct sl_pool *p, int i)
{
	struct sl_pool_worker *wk = &p->workers[i];

	while (wk->ooff < wk->olen) {
		ssize_t n = write(wk->to_fd, wk->obuf + wk->ooff, wk->olen - wk->ooff);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (!wk->to_armed && pool_epoll(p, EPOLL_CTL_ADD, wk->to_fd, EPOLLOUT, EV_TO, i) == 0)
					wk->to_armed = true;
				return;
			}
			/* EPIPE: the worker is gone; its exit is on the way through its pidfd */
			wk->ooff = wk->olen = 0;
			break;
		}
		wk->ooff += (size_t)n;
	}
	wk->ooff = wk->olen = 0;
	if (wk->to_armed) {
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, wk->to_fd, NULL);
		wk->to_armed = false;
	}
}

/* Queue chunks for worker i up to its window, then write them in one go. */
static void pool_refill(struct sl_pool *p, int i)
{
	struct sl_pool_worker *wk = &p->workers[i];
	size_t in_b = p->shm->in_bytes;
	int win = pool_window(wk);
	bool queued = false;

	while (wk->outstanding < win && p->next_task < p->ntasks) {
		long count = p->ntasks - p->next_task < p->shm->chunksize ? p->ntasks - p->next_task : p->shm->chunksize;
		struct pool_chunk_msg cm = { .type = MSG_CHUNK, .count = (uint32_t)count, .first = p->next_task };
		size_t need = sizeof(cm) + align16((size_t)count * in_b);

		if (wk->olen + need > wk->ocap) {
			size_t cap = wk->ocap ? wk->ocap : 4096;
			char *nb;

			while (cap < wk->olen + need)
				cap *= 2;
			nb = realloc(wk->obuf, cap);
			if (!nb) {
				pool_fail(p, "error:out of memory for worker %d's chunks", i);
				return;
			}
			wk->obuf = nb;
			wk->ocap = cap;
		}
		memcpy(wk->obuf + wk->olen, &cm, sizeof(cm));
		if (in_b) {
			char *in = wk->obuf + wk->olen + sizeof(cm);

			memset(in, 0, need - sizeof(cm));
			memcpy(in, p->inputs + (size_t)p->next_task * in_b, (size_t)count * in_b);
		}
		wk->olen += need;
		wk->outstanding++;
		p->next_task += count;
		queued = true;
	}
	if (queued && !wk->to_armed)
		pool_flush(p, i);
}

/* dispatch = pipe: write chunk messages into the shared task pipe while it takes them, one message per
 * write (Python's task handler, without its thread); when the pipe is full, go on once it is writable. */
static void pool_fill_shared(struct sl_pool *p)
{
	size_t in_b = p->shm->in_bytes;

	while (p->task_fd >= 0) {
		ssize_t n;

		if (p->toff == p->tlen) {
			long count = p->ntasks - p->next_task < p->shm->chunksize ? p->ntasks - p->next_task
										   : p->shm->chunksize;
			struct pool_chunk_msg cm = { .type = MSG_CHUNK, .count = (uint32_t)count, .first = p->next_task };
			size_t need = sizeof(cm) + align16((size_t)count * in_b);

			if (p->next_task >= p->ntasks)
				break;
			if (need > p->tcap) {
				char *nb = realloc(p->tbuf, need);

				if (!nb) {
					pool_fail(p, "error:out of memory for a chunk message");
					return;
				}
				p->tbuf = nb;
				p->tcap = need;
			}
			memcpy(p->tbuf, &cm, sizeof(cm));
			memset(p->tbuf + sizeof(cm), 0, need - sizeof(cm));
			if (in_b)
				memcpy(p->tbuf + sizeof(cm), p->inputs + (size_t)p->next_task * in_b, (size_t)count * in_b);
			p->tlen = need;
			p->toff = 0;
			p->next_task += count;
		}
		n = write(p->task_fd, p->tbuf + p->toff, p->tlen - p->toff);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (!p->task_armed && pool_epoll(p, EPOLL_CTL_ADD, p->task_fd, EPOLLOUT, EV_TASK, 0) == 0)
					p->task_armed = true;
				return;
			}
			/* EPIPE: no worker is left to read; their exits say why */
			p->toff = p->tlen;
			break;
		}
		p->toff += (size_t)n;
	}
	if (p->task_armed) {
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->task_fd, NULL);
		p->task_armed = false;
	}
}

static void pool_handle_msg(struct sl_pool *p, int i, const struct pool_reply_msg *h, const char *payload);

/* dispatch = pipe: read the shared result pipe one message at a time, each read asking for exactly
 * the rest of the current message (its header, then its payload). Returns the bytes read, 0 when
 * nothing was there or at end of file, -1 on a fault. */
static ssize_t pool_read_shared(struct sl_pool *p)
{
	ssize_t total = 0;

	while (!p->fault && p->result_fd >= 0) {
		struct pool_reply_msg h;
		size_t want = sizeof(h);
		ssize_t n;

		if (p->rlen >= sizeof(h)) {
			memcpy(&h, p->rbuf, sizeof(h));
			if (h.len > ((size_t)1 << 40) || h.worker < 0 || h.worker >= p->nworkers) {
				pool_fail(p, "error:a worker sent a malformed message");
				return -1;
			}
			want = sizeof(h) + h.len;
			if (p->rlen == want) {
				pool_handle_msg(p, h.worker, &h, p->rbuf + sizeof(h));
				p->rlen = 0;
				continue;
			}
		}
		if (want > p->rcap) {
			char *nb = realloc(p->rbuf, want);

			if (!nb) {
				pool_fail(p, "error:out of memory for the workers' results");
				return -1;
			}
			p->rbuf = nb;
			p->rcap = want;
		}
		n = read(p->result_fd, p->rbuf + p->rlen, want - p->rlen);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			/* every worker closed the result pipe: they are exiting (their pidfds say how) */
			epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->result_fd, NULL);
			close(p->result_fd);
			p->result_fd = -1;
			break;
		}
		p->rlen += (size_t)n;
		total += n;
	}
	return p->fault ? -1 : total;
}

static void pool_handle_msg(struct sl_pool *p, int i, const struct pool_reply_msg *h, const char *payload)
{
	struct sl_pool_worker *wk = &p->workers[i];
	size_t out_b = p->shm->out_bytes;

	switch (h->type) {
	case MSG_READY:
		if (!wk->ready) {
			wk->ready = true;
			p->nready++;
		}
		return;
	case MSG_RESULT:
		if (p->shm->shm_dispatch || h->first < 0 || h->count == 0 || h->first + (int64_t)h->count > p->ntasks ||
		    h->len < h->count * (sizeof(double) + out_b) || (!p->shm->shared_pipe && wk->outstanding <= 0)) {
			pool_fail(p, "error:worker %d sent a malformed result", i);
			return;
		}
		memcpy(p->results + h->first, payload, h->count * sizeof(double));
		if (out_b)
			memcpy(p->outputs + h->first * out_b, payload + h->count * sizeof(double), h->count * out_b);
		wk->outstanding--;
		p->ndone += h->count;
		{
			/* never 0, so a measured chunk is told apart from one not measured yet */
			double b = (h->busy_s > 0 ? h->busy_s : 0) + 1e-9;

			wk->ema_chunk_s = wk->ema_chunk_s <= 0 ? b : 0.75 * wk->ema_chunk_s + 0.25 * b;
		}
		return;
	case MSG_DONE:
		if (!wk->done) {
			wk->done = true;
			p->ndone_workers++;
			p->ndone += h->count;
		}
		return;
	case MSG_ERROR:
		pool_fail(p, "error:%.*s", (int)(h->len ? strnlen(payload, h->len) : 0), payload);
		return;
	default:
		pool_fail(p, "error:worker %d sent an unknown message", i);
	}
}

/* Read what worker i sent and handle every whole message. Returns the bytes read, 0 at end of file
 * or when nothing was there, -1 on a fault. */
static ssize_t pool_read(struct sl_pool *p, int i)
{
	struct sl_pool_worker *wk = &p->workers[i];
	size_t pos = 0;
	ssize_t n;

	if (wk->icap - wk->ilen < 16384) {
		size_t cap = wk->icap ? wk->icap * 2 : 65536;
		char *nb = realloc(wk->ibuf, cap);

		if (!nb) {
			pool_fail(p, "error:out of memory for worker %d's results", i);
			return -1;
		}
		wk->ibuf = nb;
		wk->icap = cap;
	}
	n = read(wk->from_fd, wk->ibuf + wk->ilen, wk->icap - wk->ilen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		/* the worker closed its channel: it is exiting (its pidfd will say how) */
		wk->eof = true;
		wk->eof_t = sl_now();
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, wk->from_fd, NULL);
		return 0;
	}
	wk->ilen += (size_t)n;
	while (!p->fault && wk->ilen - pos >= sizeof(struct pool_reply_msg)) {
		struct pool_reply_msg h;
		size_t total;

		memcpy(&h, wk->ibuf + pos, sizeof(h));
		if (h.len > ((size_t)1 << 40)) {
			pool_fail(p, "error:worker %d sent a malformed message", i);
			return -1;
		}
		total = sizeof(h) + h.len;
		if (wk->ilen - pos < total) {
			if (total > wk->icap) {
				char *nb;

				memmove(wk->ibuf, wk->ibuf + pos, wk->ilen - pos);
				wk->ilen -= pos;
				pos = 0;
				nb = realloc(wk->ibuf, total + 16384);
				if (!nb) {
					pool_fail(p, "error:out of memory for worker %d's results", i);
					return -1;
				}
				wk->ibuf = nb;
				wk->icap = total + 16384;
			}
			break;
		}
		pool_handle_msg(p, i, &h, wk->ibuf + pos + sizeof(h));
		pos += total;
	}
	memmove(wk->ibuf, wk->ibuf + pos, wk->ilen - pos);
	wk->ilen -= pos;
	if (p->phase == SL_POOL_RUN && !p->shm->shm_dispatch && !p->fault)
		pool_refill(p, i);
	return n;
}

static void pool_pidfd_ready(struct sl_pool *p, int i)
{
	struct sl_pool_worker *wk = &p->workers[i];
	int st;

	if (wk->relayed) {
		/* not our child: the forkserver reaps it and tells us how it ended */
		if (!wk->gone) {
			epoll_ctl(p->epfd, EPOLL_CTL_DEL, wk->pidfd, NULL);
			wk->gone = true;
			wk->eof_t = sl_now();
		}
		return;
	}
	if (waitpid(wk->pid, &st, WNOHANG) == wk->pid)
		pool_note_exit(p, i, st);
}

static bool pool_phase_complete(const struct sl_pool *p)
{
	switch (p->phase) {
	case SL_POOL_START:
		return p->nready == p->nworkers;
	case SL_POOL_RUN:
		return p->shm->shm_dispatch ? p->ndone_workers == p->nworkers : p->ndone == p->ntasks;
	default:
		for (int i = 0; i < p->nworkers; i++)
			if (p->workers[i].pid > 0 && !p->workers[i].exited)
				return false;
		return true;
	}
}

/* Serve events until the phase is complete. 0 when it is, 1 on a fault (status set), -EINTR. */
static int pool_loop(struct sl_pool *p, double deadline)
{
	struct epoll_event ev[64];

	for (;;) {
		double now;
		int ms = 50, n;

		if (p->fault)
			return 1;
		if (pool_phase_complete(p))
			return 0;
		if (p->interrupted && *p->interrupted)
			return -EINTR;
		now = sl_now();
		if (deadline > 0 && now >= deadline) {
			pool_fail(p, "hang");
			return 1;
		}
		for (int i = 0; i < p->nworkers; i++) {
			const struct sl_pool_worker *wk = &p->workers[i];

			/* a stopped or dead forkserver will never report: no use waiting the grace out */
			if (!wk->exited && wk->relayed && (wk->eof || wk->gone) && sl_forkserver_stuck()) {
				pool_fail(p, "error:the forkserver is stopped or dead (worker %d's end unknown)", i);
				return 1;
			}
			if (!wk->exited && (wk->eof || wk->gone) && now - wk->eof_t > POOL_EXIT_GRACE_S) {
				pool_fail(p, wk->gone ? "error:forkserver did not report how worker %d ended"
						      : "error:worker %d closed its channel but did not exit", i);
				return 1;
			}
		}
		if (deadline > 0 && (deadline - now) * 1000 < ms)
			ms = (int)((deadline - now) * 1000) + 1;
		n = epoll_wait(p->epfd, ev, 64, ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			pool_fail(p, "error:epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (int k = 0; k < n && !p->fault; k++) {
			int kind = (int)(ev[k].data.u64 >> 32), i = (int)(uint32_t)ev[k].data.u64;

			switch (kind) {
			case EV_FROM:
				pool_read(p, i);
				break;
			case EV_RESULT:
				pool_read_shared(p);
				break;
			case EV_TASK:
				pool_fill_shared(p);
				break;
			case EV_TO:
				pool_flush(p, i);
				break;
			case EV_PIDFD:
				pool_pidfd_ready(p, i);
				break;
			case EV_RELAY:
				if (p->relay_read && p->relay_read(p) == -EPIPE) {
					epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->relay_fd, NULL);
					for (int j = 0; j < p->nworkers; j++)
						if (p->workers[j].relayed)
							pool_note_exit(p, j, -1);
					pool_fail(p, "error:the forkserver died");
				}
				break;
			}
		}
	}
}

/* Kill every worker (and anything they started: the whole process group), then reap them all. */
static void pool_kill_reap(struct sl_pool *p)
{
	double limit = sl_now() + 10;

	p->phase = SL_POOL_KILL;
	if (p->pgid > 0 && p->pgid != getpgrp())
		killpg(p->pgid, SIGKILL);
	for (int i = 0; i < p->nworkers; i++) {
		struct sl_pool_worker *wk = &p->workers[i];

		if (wk->pid > 0 && !wk->exited && wk->pidfd >= 0)
			pidfd_send_signal(wk->pidfd, SIGKILL, NULL, 0);
	}
	for (int i = 0; i < p->nworkers; i++) {
		struct sl_pool_worker *wk = &p->workers[i];
		int st;

		if (wk->pid <= 0 || wk->exited || wk->relayed)
			continue;
		while (waitpid(wk->pid, &st, 0) < 0 && errno == EINTR)
			;
		pool_note_exit(p, i, st);
	}
	for (;;) {
		bool pending = false;

		for (int i = 0; i < p->nworkers; i++)
			if (p->workers[i].pid > 0 && !p->workers[i].exited)
				pending = true;
		if (!pending)
			break;
		if (p->relay_fd < 0 || sl_now() > limit || sl_forkserver_stuck()) {
			sl_warn("pool: the forkserver did not report every worker's end; it reaps them when it stops");
			break;
		}
		struct pollfd pfd = { .fd = p->relay_fd, .events = POLLIN };
		if (poll(&pfd, 1, 100) > 0 && p->relay_read(p) == -EPIPE)
			break;
	}
}

static int pool_shm_create(struct sl_pool *p, const struct sl_setting *s, const struct sl_workload_ops *w,
			   bool shm_dispatch, bool shared_pipe)
{
	size_t in_b = w->task_in_bytes ? w->task_in_bytes(s) : 0;
	size_t out_b = w->task_out_bytes ? w->task_out_bytes(s) : 0;
	size_t off = (sizeof(struct sl_pool_shm) + 63) & ~(size_t)63;
	struct sl_pool_shm hdr = { .magic = SL_POOL_SHM_MAGIC };
	struct sl_pool_shm *shm;

	hdr.setting = *s;
	snprintf(hdr.workload, sizeof(hdr.workload), "%s", w->name);
	hdr.nworkers = p->nworkers;
	hdr.shm_dispatch = shm_dispatch;
	hdr.shared_pipe = shared_pipe;
	hdr.ntasks = p->ntasks;
	hdr.chunksize = s->chunksize > 0 ? s->chunksize : 1;
	hdr.in_bytes = in_b;
	hdr.out_bytes = out_b;
	hdr.off_slots = off;
	off += sizeof(struct sl_pool_slot) * (size_t)p->nworkers;
	hdr.off_results = off;
	if (shm_dispatch)
		off += align16(sizeof(double) * (size_t)p->ntasks);
	hdr.off_inputs = off;
	if (shm_dispatch)
		off += align16(in_b * (size_t)p->ntasks);
	hdr.off_outputs = off;
	if (shm_dispatch)
		off += align16(out_b * (size_t)p->ntasks);
	hdr.size = (off + 4095) & ~(size_t)4095;

	p->shm_fd = memfd_create("speedlab-pool", MFD_CLOEXEC);
	if (p->shm_fd < 0)
		return -errno;
	if (ftruncate(p->shm_fd, (off_t)hdr.size) < 0)
		goto out_close;
	shm = mmap(NULL, hdr.size, PROT_READ | PROT_WRITE, MAP_SHARED, p->shm_fd, 0);
	if (shm == MAP_FAILED)
		goto out_close;
	memcpy(shm, &hdr, sizeof(hdr));
	{
		pthread_mutexattr_t ma;

		pthread_mutexattr_init(&ma);
		pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
		pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
		pthread_mutex_init(&shm->task_lock, &ma);
		pthread_mutex_init(&shm->result_lock, &ma);
		pthread_mutexattr_destroy(&ma);
	}
	atomic_init(&shm->next_chunk, 0);
	atomic_init(&shm->go, 0);
	for (int i = 0; i < p->nworkers; i++)
		sl_pool_slot(shm, i)->threads = -1;
	p->shm = shm;
	return 0;

out_close: {
		int err = -errno;

		close(p->shm_fd);
		p->shm_fd = -1;
		return err;
	}
}

static void pool_raise_fd_limit(int nworkers)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)nworkers * 6 + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void pool_fill_metrics(struct sl_pool *p, double t_first_request, double t_all_ready, double t0,
			      double t_end, double t_stop0, double t_stop1, const struct sl_pool_usage *c0,
			      const struct sl_pool_usage *c1)
{
	struct sl_metrics *m = p->m;
	/* the coordinator's thread: its exact CPU time, split as getrusage splits it */
	double wall = t_end - t0, cpu = fmax(c1->cpu_s - c0->cpu_s, 0), sys = fmin(fmax(c1->sys_s - c0->sys_s, 0), cpu);
	double user = cpu - sys, startup = 0;
	bool server = p->launcher && strcmp(p->launcher->name, "forkserver") == 0;

	/* what runs besides the workers (seed 000's "manager process"): the forkserver (one thread), and
	 * the coordinator's threads beyond its main one (the monitor), counted while they all exist */
	m->helper_procs = server ? 1 : 0;
	{
		int self = sl_threads_count_self();

		m->helper_threads = (self > 0 ? self - 1 : 0) + (server ? 1 : 0);
	}
	double vol = c1->ctx_vol - c0->ctx_vol, invol = c1->ctx_invol - c0->ctx_invol;
	double *lat = calloc((size_t)p->nworkers, sizeof(double));
	double busy_max = 0, busy_sum = 0, rss = 0;
	int tpeak = -1, ttotal = 0, lib = 0;
	bool threads_known = true;

	for (int i = 0; i < p->nworkers; i++) {
		const struct sl_pool_slot *sl = sl_pool_slot(p->shm, i);

		if (lat)
			lat[i] = (sl->entry_t - p->workers[i].t_request) * 1e3;
		user += sl->at_end.user_s - sl->at_go.user_s;
		sys += sl->at_end.sys_s - sl->at_go.sys_s;
		vol += sl->at_end.ctx_vol - sl->at_go.ctx_vol;
		invol += sl->at_end.ctx_invol - sl->at_go.ctx_invol;
		startup += sl->at_ready.user_s + sl->at_ready.sys_s;
		if (sl->at_end.maxrss_kib > rss)
			rss = sl->at_end.maxrss_kib;
		busy_sum += sl->busy_s;
		if (sl->busy_s > busy_max)
			busy_max = sl->busy_s;
		if (sl->threads < 0)
			threads_known = false;
		else {
			ttotal += sl->threads;
			if (sl->threads > tpeak)
				tpeak = sl->threads;
		}
		if (sl->lib_threads > lib)
			lib = sl->lib_threads;
	}
	m->wall_s = wall;
	m->cpu_user_s = user;
	m->cpu_sys_s = sys;
	m->cores_busy = wall > 0 ? (user + sys) / wall : NAN;
	m->cpu_startup_s = startup;
	m->ctx_vol = vol;
	m->ctx_invol = invol;
	m->rss_peak_mb = rss > 0 ? rss / 1024.0 : NAN;
	m->start_latency_ms = lat ? sl_stats_median(lat, (size_t)p->nworkers) : NAN;
	m->pool_start_ms = (t_all_ready - t_first_request) * 1e3;
	m->pool_stop_ms = (t_stop1 - t_stop0) * 1e3;
	m->imbalance = busy_sum > 0 ? busy_max / (busy_sum / p->nworkers) : NAN;
	if (strcmp(p->w->name, "empty") == 0 && p->ntasks > 0)
		m->dispatch_us_per_task = wall / (double)p->ntasks * 1e6;
	if (p->w->flops_per_task && wall > 0) {
		double f = p->w->flops_per_task(p->s);

		if (f > 0)
			m->gflops = f * (double)p->ntasks / wall / 1e9;
	}
	if (lib > 0)
		m->threads_lib = lib;
	if (threads_known && tpeak >= 0) {
		int self = sl_threads_count_self();

		m->threads_peak = tpeak;
		if (self >= 0)
			m->threads_total_peak = ttotal + self;
	}
	free(lat);
}

/* Give the monitor's figures to m; thread peaks are the larger of the monitor's and the workers' own. */
static void pool_monitor_stop(struct sl_pool *p)
{
	struct sl_metrics mm;

	if (!p->mon)
		return;
	sl_metrics_clear(&mm);
	sl_monitor_stop(p->mon, &mm);
	p->mon = NULL;
	if (!isnan(mm.threads_peak))
		p->m->threads_peak = fmax(p->m->threads_peak, mm.threads_peak);
	if (!isnan(mm.threads_total_peak))
		p->m->threads_total_peak = fmax(p->m->threads_total_peak, mm.threads_total_peak);
	if (!isnan(mm.rss_peak_mb))
		p->m->rss_peak_mb = mm.rss_peak_mb;
	p->m->gpu_util_pct = mm.gpu_util_pct;
	p->m->gpu_mem_mb = mm.gpu_mem_mb;
	p->m->gpu_sm_mhz = mm.gpu_sm_mhz;
	p->m->monitor_cpu_pct = mm.monitor_cpu_pct;
	p->m->cpus_used = mm.cpus_used;
	p->m->migrations = mm.migrations;
	p->m->mem_nodes = mm.mem_nodes;
}

/* Ask the launcher for every worker, one after the other (they set up in parallel). On a failure the
 * pool's status says what failed; the workers started so far are left for the caller to kill. */
/* The two pipes of a channel, close-on-exec: down (the coordinator writes down[1]) and up (it reads
 * up[0]); the coordinator's ends do not block. 0, or -1 with the pool's status set. */
static int pool_pipes(struct sl_pool *p, int down[2], int up[2])
{
	if (pipe2(down, O_CLOEXEC) < 0) {
		pool_fail(p, "error:cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(up, O_CLOEXEC) < 0) {
		pool_fail(p, "error:cannot create a pipe: %s", strerror(errno));
		close(down[0]);
		close(down[1]);
		return -1;
	}
	fcntl(down[1], F_SETFL, O_NONBLOCK);
	fcntl(up[0], F_SETFL, O_NONBLOCK);
	return 0;
}

static void pool_start_workers_each(struct sl_pool *p)
{
	for (int i = 0; i < p->nworkers; i++) {
		struct sl_pool_worker *wk = &p->workers[i];
		int to[2], from[2], rc;

		if (p->shm->shared_pipe) {
			/* dispatch = pipe: every worker gets the same two pipes */
			wk->child_in = p->shared_in;
			wk->child_out = p->shared_out;
			wk->t_request = sl_now();
			rc = p->launcher->start_worker(p, i);
			wk->child_in = wk->child_out = -1;
			if (rc < 0) {
				pool_fail(p, "error:cannot start worker %d with %s: %s", i, p->launcher->name,
					  strerror(-rc));
				return;
			}
			if (pool_epoll(p, EPOLL_CTL_ADD, wk->pidfd, EPOLLIN, EV_PIDFD, i) < 0) {
				pool_fail(p, "error:epoll_ctl: %s", strerror(errno));
				return;
			}
			if (p->interrupted && *p->interrupted)
				return;
			continue;
		}
		if (pool_pipes(p, to, from) < 0)
			return;
		wk->child_in = to[0];
		wk->to_fd = to[1];
		wk->from_fd = from[0];
		wk->child_out = from[1];
		wk->t_request = sl_now();
		rc = p->launcher->start_worker(p, i);
		close(wk->child_in);
		close(wk->child_out);
		wk->child_in = wk->child_out = -1;
		if (rc < 0) {
			pool_fail(p, "error:cannot start worker %d with %s: %s%s", i, p->launcher->name, strerror(-rc),
				  rc == -EMFILE ? " (out of file descriptors: raise 'ulimit -n')" : "");
			return;
		}
		if (pool_epoll(p, EPOLL_CTL_ADD, wk->from_fd, EPOLLIN, EV_FROM, i) < 0 ||
		    pool_epoll(p, EPOLL_CTL_ADD, wk->pidfd, EPOLLIN, EV_PIDFD, i) < 0) {
			pool_fail(p, "error:epoll_ctl: %s", strerror(errno));
			return;
		}
		if (p->interrupted && *p->interrupted)
			return;
	}
}

/* Start every worker; dispatch = pipe first makes the one task pipe and the one result pipe they share
 * (the coordinator keeps the task pipe's write end and the result pipe's read end only). */
static void pool_start_workers(struct sl_pool *p)
{
	if (p->shm->shared_pipe) {
		int task[2], result[2];

		if (pool_pipes(p, task, result) < 0)
			return;
		p->shared_in = task[0];
		/* the workers' reads do not block: one that finds the pipe empty marks the end of its work
		 * before it waits in poll (its run's CPU ends at its last result) */
		fcntl(task[0], F_SETFL, O_NONBLOCK);
		p->task_fd = task[1];
		p->result_fd = result[0];
		p->shared_out = result[1];
		if (pool_epoll(p, EPOLL_CTL_ADD, p->result_fd, EPOLLIN, EV_RESULT, 0) < 0)
			pool_fail(p, "error:epoll_ctl: %s", strerror(errno));
	}
	if (!p->fault)
		pool_start_workers_each(p);
	if (p->shared_in >= 0)
		close(p->shared_in);
	if (p->shared_out >= 0)
		close(p->shared_out);
	p->shared_in = p->shared_out = -1;
	if (!p->fault && p->relay_fd >= 0 && pool_epoll(p, EPOLL_CTL_ADD, p->relay_fd, EPOLLIN, EV_RELAY, 0) < 0)
		pool_fail(p, "error:epoll_ctl: %s", strerror(errno));
}

/* One repetition in this process (the coordinator or a throwaway sub-coordinator). */
static int pool_run_here(const struct sl_setting *s, const struct sl_workload_ops *w, const struct sl_run_opts *o,
			 const struct sl_launcher_ops *launcher, struct sl_metrics *m, volatile pid_t *pgid_out)
{
	struct sl_pool p = { .s = s, .w = w, .launcher = launcher, .m = m, .shm_fd = -1, .relay_fd = -1,
			     .epfd = -1, .pgid_out = pgid_out, .task_fd = -1, .result_fd = -1, .shared_in = -1,
			     .shared_out = -1 };
	bool shm_dispatch = strcmp(s->dispatch, "shm") == 0, shared_pipe = strcmp(s->dispatch, "pipe") == 0;
	size_t out_b = w->task_out_bytes ? w->task_out_bytes(s) : 0;
	size_t in_b = w->task_in_bytes ? w->task_in_bytes(s) : 0;
	struct sl_pool_usage c0 = { 0 }, c1 = { 0 };
	double t_first_request = 0, t_all_ready = 0, t0 = 0, t_end = 0, t_stop0 = 0, t_stop1 = 0, deadline = 0;
	sigset_t pipe_set, old_mask;
	void *ballast = MAP_FAILED;
	size_t ballast_len = (size_t)(s->parent_rss_mb > 0 ? s->parent_rss_mb : 0) << 20;
	int rc = 0;

	if (s->processes < 1) {
		set_status(m, "error:processes must be at least 1");
		return 0;
	}
	if (strcmp(s->dispatch, "batch") != 0 && !shm_dispatch && !shared_pipe) {
		set_status(m, "error:unknown dispatch '%s'", s->dispatch);
		return 0;
	}
	if (in_b && !w->make_input) {
		set_status(m, "error:workload '%s' has inputs but no make_input", w->name);
		return 0;
	}
	p.nworkers = s->processes;
	p.ntasks = sl_workload_ntasks(w, s);
	if (p.ntasks < 1) {
		set_status(m, "error:no tasks to run");
		return 0;
	}
	p.interrupted = o ? o->interrupted : NULL;
	pool_raise_fd_limit(p.nworkers);
	/* a worker that died leaves a pipe with no reader; the write must fail, not kill the coordinator */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);

	p.workers = calloc((size_t)p.nworkers, sizeof(*p.workers));
	if (!p.workers) {
		rc = -ENOMEM;
		goto out_mask;
	}
	for (int i = 0; i < p.nworkers; i++) {
		struct sl_pool_worker *wk = &p.workers[i];

		wk->pidfd = wk->to_fd = wk->from_fd = wk->child_in = wk->child_out = -1;
		wk->wstatus = -1;
	}
	if (!shm_dispatch) {
		p.results = calloc((size_t)p.ntasks, sizeof(double));
		p.outputs = out_b ? calloc((size_t)p.ntasks, out_b) : NULL;
		p.inputs = in_b ? calloc((size_t)p.ntasks, in_b) : NULL;
		if (!p.results || (out_b && !p.outputs) || (in_b && !p.inputs)) {
			rc = -ENOMEM;
			goto out_free;
		}
	}
	if ((rc = pool_shm_create(&p, s, w, shm_dispatch, shared_pipe)) < 0)
		goto out_free;
	p.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p.epfd < 0) {
		rc = -errno;
		goto out_shm;
	}
	if ((s->affinity[0] && strcmp(s->affinity, "none") != 0) || s->coordinator_cpus[0] ||
	    (s->mem_policy[0] && strcmp(s->mem_policy, "default") != 0))
		sl_placement_prepare();   /* the topology, loaded once here: forked workers inherit it */
	if (strcmp(s->thread_api, "call") != 0)
		p.nenv = sl_threads_env(s, p.env, SL_POOL_MAX_ENV);
	if (p.nenv < 0)
		p.nenv = 0;
	if (ballast_len) {
		/* a parent as big as a data-science process: fork must copy its page tables */
		ballast = mmap(NULL, ballast_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ballast == MAP_FAILED) {
			set_status(m, "error:cannot map parent_rss_mb=%d: %s", s->parent_rss_mb,
				 strerror(errno));
			goto out_epoll;
		}
		madvise(ballast, ballast_len, MADV_NOHUGEPAGE);
		memset(ballast, 1, ballast_len);
	}
	/* start: ask for every worker, then wait until all are set up. The monitor's thread starts only
	 * once every worker is forked: a thread running in the coordinator during fork() can leave a lock
	 * it holds (the allocator's, stdio's) locked forever in the child. */
	fflush(stdout);
	fflush(stderr);
	p.phase = SL_POOL_START;
	t_first_request = sl_now();
	if (s->timeout_s > 0)
		deadline = t_first_request + s->timeout_s;
	pool_start_workers(&p);
	p.mon = sl_monitor_start(o ? o->sample_hz : 0, o ? o->samples : NULL, s->config, o ? o->rep : 0);
	for (int i = 0; p.mon && i < p.nworkers; i++)
		if (p.workers[i].pid > 0)
			sl_monitor_watch(p.mon, p.workers[i].pid);
	rc = pool_loop(&p, deadline);
	if (rc)
		goto out_kill;
	t_all_ready = sl_now();

	/* run: every task, dispatched in chunks; the inputs are made before the clock starts */
	if (in_b) {
		char *inputs = shm_dispatch ? (char *)p.shm + p.shm->off_inputs : p.inputs;

		for (long t = 0; t < p.ntasks; t++)
			w->make_input(s, t, inputs + (size_t)t * in_b);
	}
	p.phase = SL_POOL_RUN;
	sl_monitor_phase(p.mon, true);   /* placement is followed from here (a sample, waited for) */
	thread_usage_now(&c0);
	t0 = sl_now();
	if (shm_dispatch) {
		atomic_store_explicit(&p.shm->go, 1, memory_order_release);
		futex(&p.shm->go, FUTEX_WAKE, INT_MAX);
	} else if (shared_pipe) {
		pool_fill_shared(&p);
	} else {
		for (int i = 0; i < p.nworkers; i++)
			pool_refill(&p, i);
	}
	rc = pool_loop(&p, deadline);
	if (rc)
		goto out_kill;
	t_end = sl_now();
	thread_usage_now(&c1);
	sl_monitor_phase(p.mon, false);
	if (shm_dispatch && p.ndone != p.ntasks) {
		pool_fail(&p, "error:workers ran %ld tasks of %ld", p.ndone, p.ntasks);
		goto out_kill;
	}

	/* stop: end of file on every channel; workers tear down and exit */
	p.phase = SL_POOL_STOP;
	t_stop0 = sl_now();
	if (p.task_fd >= 0) {
		close(p.task_fd);         /* dispatch = pipe: every worker reads end of file */
		p.task_fd = -1;
		p.task_armed = false;
	}
	for (int i = 0; i < p.nworkers; i++) {
		close(p.workers[i].to_fd);
		p.workers[i].to_fd = -1;
		p.workers[i].to_armed = false;
	}
	rc = pool_loop(&p, deadline);
	if (rc)
		goto out_kill;
	t_stop1 = sl_now();
	pool_fill_metrics(&p, t_first_request, t_all_ready, t0, t_end, t_stop0, t_stop1, &c0, &c1);
	pool_monitor_stop(&p);
	if (w->verify) {
		char msg[SL_STATUS_LEN] = "";
		const double *results = shm_dispatch ? (const double *)((char *)p.shm + p.shm->off_results) : p.results;
		const void *outputs = shm_dispatch ? (const void *)((char *)p.shm + p.shm->off_outputs) : p.outputs;

		if (w->verify(s, p.ntasks, results, out_b ? outputs : NULL, msg, sizeof(msg)) != 0)
			pool_fail(&p, "error:%s", msg[0] ? msg : "results are wrong");
	}
	/* figures the workload measured inside its tasks (GPU time, bandwidth), after the pool's own */
	if (w->metrics && !p.fault) {
		const double *results = shm_dispatch ? (const double *)((char *)p.shm + p.shm->off_results) : p.results;
		const void *outputs = shm_dispatch ? (const void *)((char *)p.shm + p.shm->off_outputs) : p.outputs;

		w->metrics(s, p.ntasks, results, out_b ? outputs : NULL, m);
	}
	goto out_close;

out_kill:
	pool_kill_reap(&p);
	if (rc == -EINTR)
		set_status(m, "error:interrupted");
	else
		rc = 0;
	pool_monitor_stop(&p);
out_close:
	for (int i = 0; i < p.nworkers; i++) {
		struct sl_pool_worker *wk = &p.workers[i];

		if (wk->to_fd >= 0)
			close(wk->to_fd);
		if (wk->from_fd >= 0)
			close(wk->from_fd);
		if (wk->pidfd >= 0)
			close(wk->pidfd);
		free(wk->obuf);
		free(wk->ibuf);
	}
	if (p.task_fd >= 0)
		close(p.task_fd);
	if (p.result_fd >= 0)
		close(p.result_fd);
	free(p.tbuf);
	free(p.rbuf);
	if (ballast != MAP_FAILED)
		munmap(ballast, ballast_len);
out_epoll:
	close(p.epfd);
out_shm:
	munmap(p.shm, p.shm->size);
	close(p.shm_fd);
out_free:
	free(p.results);
	free(p.outputs);
	free(p.inputs);
	free(p.workers);
out_mask: {
		/* a SIGPIPE raised while blocked is pending: take it before unblocking */
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
			;
		pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	}
	if (rc < 0 && rc != -EINTR && strcmp(m->status, "ok") == 0)
		set_status(m, "error:%s", strerror(-rc));
	return rc;
}

/* ---- parent_uses: the coordinator uses a library first, in a throwaway sub-coordinator ---- */

struct pool_sub_result {
	int rc;
	volatile pid_t pgid;
	struct sl_metrics m;
};

static volatile sig_atomic_t sub_interrupted;

static void sub_on_signal(int sig)
{
	(void)sig;
	sub_interrupted = 1;
}

/* Use the library parent_uses names in this process: the coordinator before it starts workers
 * (who = "coordinator"), and each worker again before its workload (who = "worker"), so every cell
 * of the start-safety matrix asks whether a worker can still use what its coordinator used. An
 * OpenMP parallel region; a GEMM big enough for OpenBLAS (build s->blas) to start its threads; CUDA
 * initialised with a kernel run on device 0. Returns 0, or -errno with msg set ("built without
 * CUDA" with -ENOSYS, "no CUDA device" with -ENODEV). "none" or empty: nothing, 0. */
static int pool_use_library(const struct sl_setting *s, const char *who, char *msg, size_t msglen)
{
	if (!s->parent_uses[0] || strcmp(s->parent_uses, "none") == 0)
		return 0;
	if (strcmp(s->parent_uses, "openmp") == 0) {
		volatile double sink = 0;
		int n = omp_get_num_procs() > 2 ? omp_get_num_procs() : 2;
		double sum = 0;

		/* one parallel region is enough to leave libgomp's thread pool behind */
#pragma omp parallel for num_threads(n) reduction(+ : sum)
		for (int i = 0; i < 1 << 20; i++)
			sum += 1.0 / (1.0 + i);
		sink = sum;
		(void)sink;
		(void)n;        /* a build without OpenMP pragmas (the fuzz build) does not use it */
		return 0;
	}
	if (strcmp(s->parent_uses, "openblas") == 0) {
		const struct sl_blas *b = sl_blas_load(s->blas, msg, msglen);
		int n = 256;
		double *a, *c;

		if (!b)
			return -EIO;
		a = malloc(sizeof(double) * (size_t)n * n * 2);
		if (!a) {
			snprintf(msg, msglen, "out of memory");
			return -ENOMEM;
		}
		c = a + (size_t)n * n;
		for (int i = 0; i < n * n; i++)
			a[i] = 1.0 / (1 + i % 7);
		b->dgemm(SL_CBLAS_ROW_MAJOR, SL_CBLAS_NO_TRANS, SL_CBLAS_NO_TRANS, n, n, n, 1.0, a, n, a, n, 0.0, c, n);
		free(a);
		return 0;
	}
	if (strcmp(s->parent_uses, "cuda") == 0)
		return sl_cuda_use(who, msg, msglen);
	snprintf(msg, msglen, "unknown parent_uses '%s'", s->parent_uses);
	return -EINVAL;
}

/* What the coordinator does with the library before it starts workers. 0, or a status in m. */
static int pool_parent_use(const struct sl_setting *s, struct sl_metrics *m)
{
	char msg[SL_STATUS_LEN] = "";
	int rc = pool_use_library(s, "coordinator", msg, sizeof(msg));

	if (rc == -ENOSYS)
		set_status(m, "skipped:built without CUDA");
	else if (rc == -ENODEV)
		set_status(m, "skipped:no CUDA device");
	else if (rc < 0)
		set_status(m, "error:%s", msg[0] ? msg : strerror(-rc));
	return rc < 0 ? -1 : 0;
}

static _Noreturn void pool_sub_main(const struct sl_setting *s, const struct sl_workload_ops *w,
				    const struct sl_run_opts *o, const struct sl_launcher_ops *launcher,
				    struct pool_sub_result *res, pid_t parent)
{
	struct sigaction sa = { .sa_handler = sub_on_signal };
	struct sl_run_opts so = { 0 };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (o)
		so = *o;
	so.interrupted = &sub_interrupted;
	sl_metrics_clear(&res->m);
	if (pool_parent_use(s, &res->m) == 0)
		res->rc = pool_run_here(s, w, &so, launcher, &res->m, &res->pgid);
	else
		res->rc = 0;
	if (o && o->samples)
		fflush(o->samples);
	_exit(0);
}

/* Run the repetition in a fresh sub-coordinator forked from this clean one, so whatever the library
 * leaves behind (threads, driver state) dies with it and later configurations start clean. */
static int pool_run_isolated(const struct sl_setting *s, const struct sl_workload_ops *w, const struct sl_run_opts *o,
			     const struct sl_launcher_ops *launcher, struct sl_metrics *m)
{
	struct pool_sub_result *res;
	double deadline = s->timeout_s > 0 ? sl_now() + s->timeout_s + POOL_SUB_GRACE_S : 0, term_t = 0;
	pid_t self = getpid(), pid;
	int pidfd, st = -1, rc = 0;
	bool killed = false;

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return -errno;
	res->rc = -ECHILD;
	if (o && o->samples)
		fflush(o->samples);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out_unmap;
	}
	if (pid == 0)
		pool_sub_main(s, w, o, launcher, res, self);
	pidfd = pidfd_open(pid, 0);
	for (;;) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
		double now = sl_now();

		if (pidfd < 0 || poll(&pfd, 1, 50) > 0)
			break;
		if (o && o->interrupted && *o->interrupted && !term_t) {
			kill(pid, SIGTERM);
			term_t = now;
		}
		if ((term_t && now - term_t > 5) || (deadline && now > deadline)) {
			/* the sub-coordinator itself is stuck: kill it and its workers */
			kill(pid, SIGKILL);
			if (res->pgid > 0)
				killpg(res->pgid, SIGKILL);
			killed = true;
			break;
		}
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (res->pgid > 0 && (killed || !WIFEXITED(st)))
		killpg(res->pgid, SIGKILL);
	if (pidfd >= 0)
		close(pidfd);
	if (o && o->interrupted && *o->interrupted) {
		rc = -EINTR;
		set_status(m, "error:interrupted");
	} else if (killed) {
		set_status(m, "hang");
	} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || res->rc == -ECHILD) {
		char what[32];

		sl_pool_describe_exit(st, what, sizeof(what));
		set_status(m, "error:coordinator using %s ended (%s)", s->parent_uses, what);
	} else {
		*m = res->m;
		rc = res->rc;
	}
out_unmap:
	munmap(res, sizeof(*res));
	return rc;
}

int sl_pool_run(const struct sl_setting *s, const struct sl_workload_ops *w, const struct sl_run_opts *o,
		struct sl_metrics *m)
{
	const struct sl_launcher_ops *launcher;
	char why[SL_STATUS_LEN] = "";

	sl_metrics_clear(m);
	if (strcmp(s->start_method, "mpi") == 0)
		return sl_mpi_run(s, w, o, m);
	if (w->run_whole) {
		int rc = w->run_whole(s, o, m);

		if (rc != SL_RUN_WHOLE_USE_POOL)
			return rc;
		sl_metrics_clear(m);           /* command per = task: through the pool after all */
	}
	if (w->unimplemented_reason) {
		set_status(m, "skipped:%s", w->unimplemented_reason);
		return 0;
	}
	if (w->supported && !w->supported(s, why, sizeof(why))) {
		set_status(m, "skipped:%s", why[0] ? why : "not supported here");
		return 0;
	}
	launcher = sl_launcher_find(s->start_method);
	if (!launcher) {
		set_status(m, "error:unknown start method '%s'", s->start_method);
		return 0;
	}
	if (launcher->unimplemented_reason || !launcher->start_worker) {
		set_status(m, "skipped:%s",
			 launcher->unimplemented_reason ? launcher->unimplemented_reason : "start method not built");
		return 0;
	}
	if (launcher->supported && !launcher->supported(s, why, sizeof(why))) {
		set_status(m, "skipped:%s", why[0] ? why : "not supported here");
		return 0;
	}
	if (s->parent_uses[0] && strcmp(s->parent_uses, "none") != 0) {
		if (strcmp(launcher->name, "forkserver") == 0) {
			int rc = sl_forkserver_ensure();

			if (rc < 0) {
				set_status(m, "error:cannot start the forkserver: %s", strerror(-rc));
				return 0;
			}
		}
		return pool_run_isolated(s, w, o, launcher, m);
	}
	return pool_run_here(s, w, o, launcher, m, NULL);
}

int sl_pool_prepare_all(void)
{
	for (const struct sl_launcher_ops *const *l = sl_launchers; *l; l++) {
		if ((*l)->unimplemented_reason || !(*l)->prepare)
			continue;
		int rc = (*l)->prepare();

		if (rc < 0) {
			sl_err("cannot prepare start method %s: %s", (*l)->name, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void sl_pool_finish_all(void)
{
	for (const struct sl_launcher_ops *const *l = sl_launchers; *l; l++)
		if (!(*l)->unimplemented_reason && (*l)->finish)
			(*l)->finish();
}
