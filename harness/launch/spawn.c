/* spawn.c: the spawn start method: posix_spawn of speedlab itself in worker mode (a fresh process image),
 * its channel handed over as inherited descriptors. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool/pool_internal.h"

extern char **environ;

/* environ with the pool's NAME=VALUE strings replacing any of the same name; NULL when out of memory */
static char **spawn_envp(const struct sl_pool *pool)
{
	size_t n = 0, k = 0;
	char **envp;

	while (environ[n])
		n++;
	envp = malloc(sizeof(char *) * (n + (size_t)pool->nenv + 1));
	if (!envp)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;

		for (int j = 0; j < pool->nenv && !replaced; j++) {
			const char *eq = strchr(pool->env[j], '=');
			size_t len = eq ? (size_t)(eq - pool->env[j]) + 1 : 0;

			replaced = len && strncmp(environ[i], pool->env[j], len) == 0;
		}
		if (!replaced)
			envp[k++] = environ[i];
	}
	for (int j = 0; j < pool->nenv; j++)
		envp[k++] = (char *)pool->env[j];
	envp[k] = NULL;
	return envp;
}

static int spawn_start_worker(struct sl_pool *pool, int id)
{
	struct sl_pool_worker *wk = &pool->workers[id];
	char a_in[16], a_out[16], a_shm[16], a_id[16], a_ppid[16];
	char *argv[] = { (char *)sl_self_exe(), "__worker", "--in", a_in, "--out", a_out, "--shm", a_shm,
			 "--id", a_id, "--ppid", a_ppid, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	char **envp;
	pid_t pid;
	int rc, pidfd;

	snprintf(a_in, sizeof(a_in), "%d", wk->child_in);
	snprintf(a_out, sizeof(a_out), "%d", wk->child_out);
	snprintf(a_shm, sizeof(a_shm), "%d", pool->shm_fd);
	snprintf(a_id, sizeof(a_id), "%d", id);
	snprintf(a_ppid, sizeof(a_ppid), "%d", (int)getpid());
	envp = spawn_envp(pool);
	if (!envp)
		return -ENOMEM;
	rc = posix_spawn_file_actions_init(&fa);
	if (rc)
		goto out_env;
	/* dup2 onto itself clears close-on-exec: exactly these three survive the exec */
	if ((rc = posix_spawn_file_actions_adddup2(&fa, wk->child_in, wk->child_in)) ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, wk->child_out, wk->child_out)) ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, pool->shm_fd, pool->shm_fd)))
		goto out_actions;
	if ((rc = posix_spawnattr_init(&attr)))
		goto out_actions;
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	sigemptyset(&none);
	if ((rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
						  POSIX_SPAWN_SETSIGMASK)) ||
	    (rc = posix_spawnattr_setpgroup(&attr, pool->pgid)) ||
	    (rc = posix_spawnattr_setsigdefault(&attr, &all)) ||
	    (rc = posix_spawnattr_setsigmask(&attr, &none)))
		goto out_attr;
	rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp);
	if (rc)
		goto out_attr;
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		rc = errno;
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto out_attr;
	}
	sl_pool_worker_started(pool, id, pid, pidfd, false);
out_attr:
	posix_spawnattr_destroy(&attr);
out_actions:
	posix_spawn_file_actions_destroy(&fa);
out_env:
	free(envp);
	return -rc;
}

const struct sl_launcher_ops sl_launcher_spawn = {
	.name = "spawn",
	.help = "posix_spawn of speedlab in worker mode: a fresh process image, nothing inherited",
	.unimplemented_reason = NULL,
	.start_worker = spawn_start_worker,
};
