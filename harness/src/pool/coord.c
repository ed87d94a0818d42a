/* coord.c: the pool's coordinator: one repetition in this process: start the workers through the
 * launcher, run the phases (start, run, stop) in an event loop, kill and reap, and its metrics. */
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

#include "monitor/metrics.h"
#include "sys/blas.h"
#include "sys/placement.h"
#include "pool/pool_internal.h"

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

/* Whether the launcher's helper process (the forkserver) is dead or stopped: no report will come. */
static bool pool_helper_stuck(const struct sl_pool *p)
{
	return p->launcher && p->launcher->helper_stuck && p->launcher->helper_stuck();
}

/* ======================================================================================
 * The coordinator side
 * ====================================================================================== */

void sl_pool_set_status(struct sl_metrics *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->status, sizeof(m->status), fmt, ap);
	va_end(ap);
	for (char *c = m->status; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
}

void sl_pool_fail(struct sl_pool *p, const char *fmt, ...)
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
		if (p->shm->shared_pipe ? p->result_fd < 0 || sl_pool_read_shared(p) <= 0
					: wk->eof || wk->from_fd < 0 || sl_pool_read(p, i) <= 0)
			break;
	sl_pool_describe_exit(wstatus, what, sizeof(what));
	sl_pool_fail(p, "crash:%s", what);
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
			sl_pool_fail(p, "hang");
			return 1;
		}
		for (int i = 0; i < p->nworkers; i++) {
			const struct sl_pool_worker *wk = &p->workers[i];

			/* a stopped or dead forkserver will never report: no use waiting the grace out */
			if (!wk->exited && wk->relayed && (wk->eof || wk->gone) && pool_helper_stuck(p)) {
				sl_pool_fail(p, "error:the forkserver is stopped or dead (worker %d's end unknown)", i);
				return 1;
			}
			if (!wk->exited && (wk->eof || wk->gone) && now - wk->eof_t > POOL_EXIT_GRACE_S) {
				sl_pool_fail(p, wk->gone ? "error:forkserver did not report how worker %d ended"
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
			sl_pool_fail(p, "error:epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (int k = 0; k < n && !p->fault; k++) {
			int kind = (int)(ev[k].data.u64 >> 32), i = (int)(uint32_t)ev[k].data.u64;

			switch (kind) {
			case EV_FROM:
				sl_pool_read(p, i);
				break;
			case EV_RESULT:
				sl_pool_read_shared(p);
				break;
			case EV_TASK:
				sl_pool_fill_shared(p);
				break;
			case EV_TO:
				sl_pool_flush(p, i);
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
					sl_pool_fail(p, "error:the forkserver died");
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
		if (p->relay_fd < 0 || sl_now() > limit || pool_helper_stuck(p)) {
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

/* The pool's raw totals of the run (the coordinator's thread, every worker's slot) into m (metrics.c). */
static void pool_fill_metrics(struct sl_pool *p, double t_first_request, double t_all_ready, double t0,
			      double t_end, double t_stop0, double t_stop1, const struct sl_pool_usage *c0,
			      const struct sl_pool_usage *c1)
{
	struct sl_run_totals t;
	struct sl_worker_totals *wt = calloc((size_t)p->nworkers, sizeof(*wt));
	/* the coordinator's thread: its exact CPU time, split as getrusage splits it */
	double cpu = fmax(c1->cpu_s - c0->cpu_s, 0), sys = fmin(fmax(c1->sys_s - c0->sys_s, 0), cpu);
	bool helper = p->launcher && (p->launcher->engine_flags & SL_LAUNCH_HELPER_PROC);
	int self = sl_threads_count_self();

	sl_run_totals_init(&t);
	t.wall_s = t_end - t0;
	t.user_s = cpu - sys;
	t.sys_s = sys;
	t.ctx_vol = c1->ctx_vol - c0->ctx_vol;
	t.ctx_invol = c1->ctx_invol - c0->ctx_invol;
	t.startup_cpu_s = 0;
	t.pool_start_ms = (t_all_ready - t_first_request) * 1e3;
	t.pool_stop_ms = (t_stop1 - t_stop0) * 1e3;
	t.ntasks = p->ntasks;
	t.flops_per_task = p->w->flops_per_task ? p->w->flops_per_task(p->s) : 0;
	t.dispatch_only = (p->w->engine_flags & SL_WL_DISPATCH_ONLY) != 0;
	t.coord_threads = self;
	/* what runs besides the workers (seed 000's "manager process"): a helper process (one thread),
	 * and the coordinator's threads beyond its main one (the monitor), counted while they all exist */
	t.helper_procs = helper ? 1 : 0;
	t.helper_threads = (self > 0 ? self - 1 : 0) + (helper ? 1 : 0);
	for (int i = 0; i < p->nworkers; i++) {
		const struct sl_pool_slot *sl = sl_pool_slot(p->shm, i);

		t.user_s += sl->at_end.user_s - sl->at_go.user_s;
		t.sys_s += sl->at_end.sys_s - sl->at_go.sys_s;
		t.ctx_vol += sl->at_end.ctx_vol - sl->at_go.ctx_vol;
		t.ctx_invol += sl->at_end.ctx_invol - sl->at_go.ctx_invol;
		t.startup_cpu_s += sl->at_ready.user_s + sl->at_ready.sys_s;
		if (!wt)
			continue;
		wt[i].start_ms = (sl->entry_t - p->workers[i].t_request) * 1e3;
		wt[i].busy_s = sl->busy_s;
		wt[i].rss_kib = sl->at_end.maxrss_kib;
		wt[i].threads = sl->threads;
		wt[i].lib_threads = sl->lib_threads;
	}
	t.nworkers = wt ? p->nworkers : 0;
	t.workers = wt;
	sl_run_metrics(&t, p->m);
	free(wt);
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
		sl_pool_fail(p, "error:cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(up, O_CLOEXEC) < 0) {
		sl_pool_fail(p, "error:cannot create a pipe: %s", strerror(errno));
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
				sl_pool_fail(p, "error:cannot start worker %d with %s: %s", i, p->launcher->name,
					  strerror(-rc));
				return;
			}
			if (sl_pool_epoll(p, EPOLL_CTL_ADD, wk->pidfd, EPOLLIN, EV_PIDFD, i) < 0) {
				sl_pool_fail(p, "error:epoll_ctl: %s", strerror(errno));
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
			sl_pool_fail(p, "error:cannot start worker %d with %s: %s%s", i, p->launcher->name, strerror(-rc),
				  rc == -EMFILE ? " (out of file descriptors: raise 'ulimit -n')" : "");
			return;
		}
		if (sl_pool_epoll(p, EPOLL_CTL_ADD, wk->from_fd, EPOLLIN, EV_FROM, i) < 0 ||
		    sl_pool_epoll(p, EPOLL_CTL_ADD, wk->pidfd, EPOLLIN, EV_PIDFD, i) < 0) {
			sl_pool_fail(p, "error:epoll_ctl: %s", strerror(errno));
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
		if (sl_pool_epoll(p, EPOLL_CTL_ADD, p->result_fd, EPOLLIN, EV_RESULT, 0) < 0)
			sl_pool_fail(p, "error:epoll_ctl: %s", strerror(errno));
	}
	if (!p->fault)
		pool_start_workers_each(p);
	if (p->shared_in >= 0)
		close(p->shared_in);
	if (p->shared_out >= 0)
		close(p->shared_out);
	p->shared_in = p->shared_out = -1;
	if (!p->fault && p->relay_fd >= 0 && sl_pool_epoll(p, EPOLL_CTL_ADD, p->relay_fd, EPOLLIN, EV_RELAY, 0) < 0)
		sl_pool_fail(p, "error:epoll_ctl: %s", strerror(errno));
}

/* When the phases of a run began and ended, and the coordinator's thread's usage over the run phase. */
struct pool_times {
	double first_request, all_ready, t0, t_end, stop0, stop1;
	struct sl_pool_usage c0, c1;
};

/* The run's checks and what it needs before any worker starts: the workers' records, the
 * coordinator-side buffers, the shared region, the epoll set, the placement, the environment.
 * 0 (a bad setting leaves its status in m, p->nworkers 0), or -errno. */
static int pool_setup(struct sl_pool *p, bool shm_dispatch, bool shared_pipe, size_t in_b, size_t out_b)
{
	const struct sl_setting *s = p->s;
	const struct sl_workload_ops *w = p->w;
	int rc;

	if (s->processes < 1) {
		sl_pool_set_status(p->m, "error:processes must be at least 1");
		return 0;
	}
	if (strcmp(s->dispatch, "batch") != 0 && !shm_dispatch && !shared_pipe) {
		sl_pool_set_status(p->m, "error:unknown dispatch '%s'", s->dispatch);
		return 0;
	}
	if (in_b && !w->make_input) {
		sl_pool_set_status(p->m, "error:workload '%s' has inputs but no make_input", w->name);
		return 0;
	}
	p->ntasks = sl_workload_ntasks(w, s);
	if (p->ntasks < 1) {
		sl_pool_set_status(p->m, "error:no tasks to run");
		return 0;
	}
	p->workers = calloc((size_t)s->processes, sizeof(*p->workers));
	if (!p->workers)
		return -ENOMEM;
	p->nworkers = s->processes;
	pool_raise_fd_limit(p->nworkers);
	for (int i = 0; i < p->nworkers; i++) {
		struct sl_pool_worker *wk = &p->workers[i];

		wk->pidfd = wk->to_fd = wk->from_fd = wk->child_in = wk->child_out = -1;
		wk->wstatus = -1;
	}
	if (!shm_dispatch) {
		p->results = calloc((size_t)p->ntasks, sizeof(double));
		p->outputs = out_b ? calloc((size_t)p->ntasks, out_b) : NULL;
		p->inputs = in_b ? calloc((size_t)p->ntasks, in_b) : NULL;
		if (!p->results || (out_b && !p->outputs) || (in_b && !p->inputs))
			return -ENOMEM;
	}
	if ((rc = pool_shm_create(p, s, w, shm_dispatch, shared_pipe)) < 0)
		return rc;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0)
		return -errno;
	if ((s->affinity[0] && strcmp(s->affinity, "none") != 0) || s->coordinator_cpus[0] ||
	    (s->mem_policy[0] && strcmp(s->mem_policy, "default") != 0))
		sl_placement_prepare();   /* the topology, loaded once here: forked workers inherit it */
	if (strcmp(s->thread_api, "call") != 0)
		p->nenv = sl_threads_env(s, p->env, SL_POOL_MAX_ENV);
	if (p->nenv < 0)
		p->nenv = 0;
	return 0;
}

/* The start phase: ask for every worker, then wait until all are set up. The monitor's thread starts
 * only once every worker is forked: a thread running in the coordinator during fork() can leave a lock
 * it holds (the allocator's, stdio's) locked forever in the child. 0, 1 on a fault, -EINTR. */
static int pool_phase_start(struct sl_pool *p, const struct sl_run_opts *o, struct pool_times *t, double *deadline)
{
	int rc;

	fflush(stdout);
	fflush(stderr);
	p->phase = SL_POOL_START;
	t->first_request = sl_now();
	if (p->s->timeout_s > 0)
		*deadline = t->first_request + p->s->timeout_s;
	pool_start_workers(p);
	p->mon = sl_monitor_start(o ? o->sample_hz : 0, o ? o->samples : NULL, p->s->config, o ? o->rep : 0);
	for (int i = 0; p->mon && i < p->nworkers; i++)
		if (p->workers[i].pid > 0)
			sl_monitor_watch(p->mon, p->workers[i].pid);
	rc = pool_loop(p, *deadline);
	t->all_ready = sl_now();
	return rc;
}

/* The run phase: every task, dispatched in chunks; the inputs are made before the clock starts.
 * 0, 1 on a fault, -EINTR. */
static int pool_phase_run(struct sl_pool *p, struct pool_times *t, double deadline, size_t in_b)
{
	bool shm_dispatch = p->shm->shm_dispatch;
	int rc;

	if (in_b) {
		char *inputs = shm_dispatch ? (char *)p->shm + p->shm->off_inputs : p->inputs;

		for (long k = 0; k < p->ntasks; k++)
			p->w->make_input(p->s, k, inputs + (size_t)k * in_b);
	}
	p->phase = SL_POOL_RUN;
	sl_monitor_phase(p->mon, true);   /* placement is followed from here (a sample, waited for) */
	thread_usage_now(&t->c0);
	t->t0 = sl_now();
	if (shm_dispatch) {
		atomic_store_explicit(&p->shm->go, 1, memory_order_release);
		sl_pool_futex(&p->shm->go, FUTEX_WAKE, INT_MAX);
	} else if (p->shm->shared_pipe) {
		sl_pool_fill_shared(p);
	} else {
		for (int i = 0; i < p->nworkers; i++)
			sl_pool_refill(p, i);
	}
	rc = pool_loop(p, deadline);
	if (rc)
		return rc;
	t->t_end = sl_now();
	thread_usage_now(&t->c1);
	sl_monitor_phase(p->mon, false);
	if (shm_dispatch && p->ndone != p->ntasks) {
		sl_pool_fail(p, "error:workers ran %ld tasks of %ld", p->ndone, p->ntasks);
		return 1;
	}
	return 0;
}

/* The stop phase: end of file on every channel; workers tear down and exit. 0, 1 on a fault, -EINTR. */
static int pool_phase_stop(struct sl_pool *p, struct pool_times *t, double deadline)
{
	int rc;

	p->phase = SL_POOL_STOP;
	t->stop0 = sl_now();
	if (p->task_fd >= 0) {
		close(p->task_fd);         /* dispatch = pipe: every worker reads end of file */
		p->task_fd = -1;
		p->task_armed = false;
	}
	for (int i = 0; i < p->nworkers; i++) {
		close(p->workers[i].to_fd);
		p->workers[i].to_fd = -1;
		p->workers[i].to_armed = false;
	}
	rc = pool_loop(p, deadline);
	t->stop1 = sl_now();
	return rc;
}

/* After the run: the workload checks every result; then the figures it measured inside its tasks
 * (GPU time, bandwidth), after the pool's own. */
static void pool_check(struct sl_pool *p, size_t out_b)
{
	bool shm_dispatch = p->shm->shm_dispatch;
	const double *results = shm_dispatch ? (const double *)((char *)p->shm + p->shm->off_results) : p->results;
	const void *outputs = shm_dispatch ? (const void *)((char *)p->shm + p->shm->off_outputs) : p->outputs;

	if (p->w->verify) {
		char msg[SL_STATUS_LEN] = "";

		if (p->w->verify(p->s, p->ntasks, results, out_b ? outputs : NULL, msg, sizeof(msg)) != 0)
			sl_pool_fail(p, "error:%s", msg[0] ? msg : "results are wrong");
	}
	if (p->w->metrics && !p->fault)
		p->w->metrics(p->s, p->ntasks, results, out_b ? outputs : NULL, p->m);
}

/* Close and free what pool_setup and the phases left open. Never fails. */
static void pool_release(struct sl_pool *p)
{
	for (int i = 0; p->workers && i < p->nworkers; i++) {
		struct sl_pool_worker *wk = &p->workers[i];

		if (wk->to_fd >= 0)
			close(wk->to_fd);
		if (wk->from_fd >= 0)
			close(wk->from_fd);
		if (wk->pidfd >= 0)
			close(wk->pidfd);
		free(wk->obuf);
		free(wk->ibuf);
	}
	if (p->task_fd >= 0)
		close(p->task_fd);
	if (p->result_fd >= 0)
		close(p->result_fd);
	free(p->tbuf);
	free(p->rbuf);
	if (p->epfd >= 0)
		close(p->epfd);
	if (p->shm) {
		munmap(p->shm, p->shm->size);
		close(p->shm_fd);
	}
	free(p->results);
	free(p->outputs);
	free(p->inputs);
	free(p->workers);
}

/* A parent as big as a data-science process (parent_rss_mb): fork must copy its page tables.
 * MAP_FAILED when none is asked for, or (status set) when it cannot be had. */
static void *pool_ballast(struct sl_pool *p, size_t len)
{
	void *b;

	if (!len)
		return MAP_FAILED;
	b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED) {
		sl_pool_set_status(p->m, "error:cannot map parent_rss_mb=%d: %s", p->s->parent_rss_mb, strerror(errno));
		return MAP_FAILED;
	}
	madvise(b, len, MADV_NOHUGEPAGE);
	memset(b, 1, len);
	return b;
}

/* One repetition in this process (the coordinator or a throwaway sub-coordinator). */
int sl_pool_run_here(const struct sl_setting *s, const struct sl_workload_ops *w, const struct sl_run_opts *o,
		     const struct sl_launcher_ops *launcher, struct sl_metrics *m, volatile pid_t *pgid_out)
{
	struct sl_pool p = { .s = s, .w = w, .launcher = launcher, .m = m, .shm_fd = -1, .relay_fd = -1,
			     .epfd = -1, .pgid_out = pgid_out, .task_fd = -1, .result_fd = -1, .shared_in = -1,
			     .shared_out = -1 };
	bool shm_dispatch = strcmp(s->dispatch, "shm") == 0, shared_pipe = strcmp(s->dispatch, "pipe") == 0;
	size_t out_b = w->task_out_bytes ? w->task_out_bytes(s) : 0;
	size_t in_b = w->task_in_bytes ? w->task_in_bytes(s) : 0;
	struct pool_times t = { 0 };
	double deadline = 0;
	sigset_t pipe_set, old_mask;
	void *ballast = MAP_FAILED;
	size_t ballast_len = (size_t)(s->parent_rss_mb > 0 ? s->parent_rss_mb : 0) << 20;
	int rc;

	p.interrupted = o ? o->interrupted : NULL;
	/* a worker that died leaves a pipe with no reader; the write must fail, not kill the coordinator */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
	rc = pool_setup(&p, shm_dispatch, shared_pipe, in_b, out_b);
	if (rc < 0 || !p.nworkers || !p.shm || p.epfd < 0 || (ballast_len && (ballast = pool_ballast(&p, ballast_len)) == MAP_FAILED))
		goto out;
	if ((rc = pool_phase_start(&p, o, &t, &deadline)) || (rc = pool_phase_run(&p, &t, deadline, in_b)) ||
	    (rc = pool_phase_stop(&p, &t, deadline))) {
		pool_kill_reap(&p);
		if (rc == -EINTR)
			sl_pool_set_status(m, "error:interrupted");
		else
			rc = 0;
		pool_monitor_stop(&p);
		goto out;
	}
	pool_fill_metrics(&p, t.first_request, t.all_ready, t.t0, t.t_end, t.stop0, t.stop1, &t.c0, &t.c1);
	pool_monitor_stop(&p);
	pool_check(&p, out_b);
out:
	pool_release(&p);
	if (ballast != MAP_FAILED)
		munmap(ballast, ballast_len);
	{
		/* a SIGPIPE raised while blocked is pending: take it before unblocking */
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
			;
		pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	}
	if (rc < 0 && rc != -EINTR && strcmp(m->status, "ok") == 0)
		sl_pool_set_status(m, "error:%s", strerror(-rc));
	return rc;
}
