/* fork.c: the fork start method: fork() from the coordinator, so the worker inherits its whole state
 * (memory, and the hazards of any library threads it started). */
#include <errno.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool/pool_internal.h"

static int fork_start_worker(struct sl_pool *pool, int id)
{
	struct sl_pool_worker *wk = &pool->workers[id];
	pid_t parent = getpid(), pgid = pool->pgid, pid;
	int pidfd;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		double entry_t = sl_now();
		int keep[2] = { wk->child_in, wk->child_out };

		setpgid(0, pgid);
		sl_pool_child_prepare(pool->env, pool->nenv, keep, 2, parent);
		sl_pool_worker_serve(pool->shm, pool->w, id, wk->child_in, wk->child_out, entry_t);
	}
	/* both sides set the group, so neither order of running races */
	setpgid(pid, pgid ? pgid : pid);
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		int err = -errno;

		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return err;
	}
	sl_pool_worker_started(pool, id, pid, pidfd, false);
	return 0;
}

const struct sl_launcher_ops sl_launcher_fork = {
	.name = "fork",
	.help = "fork() from the coordinator: fastest, inherits its memory and library state",
	.unimplemented_reason = NULL,
	.start_worker = fork_start_worker,
};
