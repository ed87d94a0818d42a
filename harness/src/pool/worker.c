/* worker.c: the worker side of the pool: a worker's life (setup, ready, tasks by pipe or shared memory,
 * report, teardown), the fresh-image entry `speedlab __worker`, and what a new worker process does first. */
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
#include "sys/placement.h"
#include "pool/pool.h"
#include "pool/pool_internal.h"

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
		sl_pool_futex(&shm->go, FUTEX_WAIT, 0);
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
	if ((rc = sl_pool_use_library(&setting, "worker", ws.msg, sizeof(ws.msg))) != 0)
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
