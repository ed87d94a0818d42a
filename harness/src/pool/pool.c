/* pool.c: the process pool's entry: one repetition (in this process, or in a throwaway sub-coordinator
 * when the coordinator uses a library first: parent_uses), and the start methods' preparation. */
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
#include "pool/pool.h"
#include "pool/pool_internal.h"

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
int sl_pool_use_library(const struct sl_setting *s, const char *who, char *msg, size_t msglen)
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
	int rc = sl_pool_use_library(s, "coordinator", msg, sizeof(msg));

	if (rc == -ENOSYS)
		sl_pool_set_status(m, "skipped:built without CUDA");
	else if (rc == -ENODEV)
		sl_pool_set_status(m, "skipped:no CUDA device");
	else if (rc < 0)
		sl_pool_set_status(m, "error:%s", msg[0] ? msg : strerror(-rc));
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
		res->rc = sl_pool_run_here(s, w, &so, launcher, &res->m, &res->pgid);
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
		sl_pool_set_status(m, "error:interrupted");
	} else if (killed) {
		sl_pool_set_status(m, "hang");
	} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || res->rc == -ECHILD) {
		char what[32];

		sl_pool_describe_exit(st, what, sizeof(what));
		sl_pool_set_status(m, "error:coordinator using %s ended (%s)", s->parent_uses, what);
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
	const struct sl_launcher_ops *launcher = sl_launcher_find(s->start_method);

	/* whether it runs at all (skipped), and by which engine, the run engine decided (run/engine.c) */
	sl_metrics_clear(m);
	if (!launcher) {
		sl_pool_set_status(m, "error:unknown start method '%s'", s->start_method);
		return 0;
	}
	if (!launcher->start_worker) {
		sl_pool_set_status(m, "error:start method '%s' starts no pool workers", launcher->name);
		return 0;
	}
	if (s->parent_uses[0] && strcmp(s->parent_uses, "none") != 0) {
		/* the sub-coordinator must find the helper process running: it cannot start one itself */
		if ((launcher->engine_flags & SL_LAUNCH_HELPER_PROC) && launcher->helper_ensure) {
			int rc = launcher->helper_ensure();

			if (rc < 0) {
				sl_pool_set_status(m, "error:cannot start the %s: %s", launcher->name, strerror(-rc));
				return 0;
			}
		}
		return pool_run_isolated(s, w, o, launcher, m);
	}
	return sl_pool_run_here(s, w, o, launcher, m, NULL);
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
