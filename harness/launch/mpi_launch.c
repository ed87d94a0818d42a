/* mpi_launch.c: the mpi start method, launch side: mpirun (or srun) starts P+1 speedlab ranks
 * (mpi_rank.c); rank 0 coordinates over MPI. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/launcher.h"
#include "launch/mpi.h"
#include "launch/mpi_internal.h"

/*
 * How a run goes. The speedlab run process (a plain process: it never calls MPI_Init) starts
 * `mpirun -np P+1 ... speedlab __mpi --launch T0 --tag PID --setting TEXT` in a session of its
 * own (`srun` instead when SLURM_JOB_ID is set), with T0 its CLOCK_REALTIME just before the
 * launch and TEXT the setting (setting_io.c, percent-encoded). Rank 0 is the coordinator, ranks
 * 1..P the workers. Every worker runs the workload's setup and reports ready; once all are, the run
 * phase begins (as in the pool: wall_s and CPU times cover it, start-up has its own metrics):
 *   dispatch = pipe: the ready message was a worker's first request for work; each later one
 *     carries the results of its last chunk; rank 0 answers with a chunk of `chunksize` tasks (and
 *     their inputs) or with stop.
 *   dispatch = shm: workers claim chunks from a counter in an MPI window on rank 0
 *     (MPI_Fetch_and_op), read inputs and write results there with one-sided MPI_Get/MPI_Put.
 * At the end each worker sends its totals (busy time, getrusage, thread peaks); rank 0 verifies
 * the results and prints one line "@@speedlab-mpi-result key=value ..." on stdout, which
 * mpirun/srun forward from whichever node rank 0 runs on; the plain process reads it from the
 * launcher's captured output. A rank that dies makes mpirun abort the job and exit non-zero; the
 * plain process reads why from the exit status and mpirun's messages. Past the timeout it sends
 * mpirun SIGTERM (mpirun kills its ranks, remote ones too), then SIGKILLs whatever is left in the
 * session. Times across processes use CLOCK_REALTIME, exact on one node; across nodes they are as
 * good as the nodes' clock synchronisation.
 */

static bool mpi_supported(const struct sl_setting *s, char *why, size_t whylen);

const struct sl_launcher_ops sl_launcher_mpi = {
	.name = "mpi",
	.help = "MPI ranks started by mpirun (srun under Slurm); rank 0 dispatches over MPI",
#ifdef SL_HAVE_MPI
	.unimplemented_reason = NULL,
#else
	.unimplemented_reason = "built without MPI",
#endif
	.supported = mpi_supported,
	.engine_flags = SL_LAUNCH_OWN_ENGINE | SL_LAUNCH_EXTRA_RANK,
	.run = sl_mpi_run,
};

int sl_mpi_rank_main(int argc, char **argv)
{
	return sl_mpi_rank_run(argc, argv, NULL);
}

#ifndef SL_HAVE_MPI

static bool mpi_supported(const struct sl_setting *s, char *why, size_t whylen)
{
	(void)s;
	snprintf(why, whylen, "built without MPI");
	return false;
}

int sl_mpi_run(const struct sl_setting *s, const struct sl_workload_ops *w,
	       const struct sl_run_opts *o, struct sl_metrics *m)
{
	(void)s; (void)w; (void)o;
	sl_metrics_clear(m);
	snprintf(m->status, sizeof(m->status), "skipped:built without MPI");
	return 0;
}

#else /* SL_HAVE_MPI */

#include <fcntl.h>
#include <mpi.h>
#include <poll.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "sys/blas.h"
#include "monitor/monitor.h"
#include "experiment/setting_io.h"

extern char **environ;

/* ------------------------------------------------------------------------------------------------
 * The plain side: launch, wait, read back (killing: mpi_session.c; the texts: mpi_text.c)
 * --------------------------------------------------------------------------------------------- */

enum launcher_kind { LAUNCH_MPIRUN, LAUNCH_SRUN };

/* Which launcher: SPEEDLAB_MPI_LAUNCHER (a name or path: mpirun, mpiexec, srun), else srun inside a
 * Slurm job, else mpirun. */
static const char *launcher_exe(enum launcher_kind *kind)
{
	const char *env = getenv("SPEEDLAB_MPI_LAUNCHER");
	const char *base;

	if (env && *env) {
		base = strrchr(env, '/');
		base = base ? base + 1 : env;
		*kind = strncmp(base, "srun", 4) == 0 ? LAUNCH_SRUN : LAUNCH_MPIRUN;
		return env;
	}
	if (getenv("SLURM_JOB_ID")) {
		*kind = LAUNCH_SRUN;
		return "srun";
	}
	*kind = LAUNCH_MPIRUN;
	return "mpirun";
}

/* The path of exe (a name searched in PATH, or a path) into out; false when it is no executable. */
static bool exe_resolve(const char *exe, char *out, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(exe, '/')) {
		snprintf(out, len, "%s", exe);
		return access(exe, X_OK) == 0;
	}
	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n > 0 && snprintf(out, len, "%.*s/%s", (int)n, path, exe) < (int)len && access(out, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

static bool exe_found(const char *exe)
{
	char buf[4096];

	return exe_resolve(exe, buf, sizeof(buf));
}

static bool mpi_supported(const struct sl_setting *s, char *why, size_t whylen)
{
	enum launcher_kind kind;
	const char *exe = launcher_exe(&kind);

	(void)s;
	if (!exe_found(exe)) {
		snprintf(why, whylen, "%s not found", exe);
		return false;
	}
	if (access(sl_mpi_rank_exe(), X_OK) != 0) {
		snprintf(why, whylen, "%s not found (make builds it)", sl_mpi_rank_exe());
		return false;
	}
	return true;
}

/* A growing argv. */
struct argv_buf {
	int n, cap;
	char **v;
	bool failed;
};

static void arg_add(struct argv_buf *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg_add(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (a->failed)
		return;
	if (a->n + 2 > a->cap) {
		int cap = a->cap ? 2 * a->cap : 32;
		char **v = realloc(a->v, (size_t)cap * sizeof(*v));

		if (!v) {
			a->failed = true;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		a->failed = true;
		va_end(ap);
		return;
	}
	va_end(ap);
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void arg_free(struct argv_buf *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* Slurm's name for an Open MPI binding word. */
static const char *srun_bind(const char *b)
{
	if (!*b || strcmp(b, "none") == 0)
		return "none";
	if (strcmp(b, "core") == 0)
		return "cores";
	if (strcmp(b, "hwthread") == 0)
		return "threads";
	if (strcmp(b, "socket") == 0)
		return "sockets";
	if (strcmp(b, "numa") == 0)
		return "ldoms";
	return b;
}

/* The launcher's command line. env holds the "NAME=VALUE" strings the ranks need (thread limits). */
static void build_argv(struct argv_buf *a, enum launcher_kind kind, const char *exe,
		       const struct sl_setting *s, char *const *env, int nenv, double t0,
		       const char *setting_enc)
{
	int np = s->processes + 1;

	arg_add(a, "%s", exe);
	if (kind == LAUNCH_SRUN) {
		arg_add(a, "--ntasks=%d", np);
		if (s->mpi_ranks_per_node > 0)
			arg_add(a, "--ntasks-per-node=%d", s->mpi_ranks_per_node);
		if (s->mpi_hosts[0]) {
			/* Slurm takes plain names: drop Open MPI's ":slots" */
			char list[sizeof(s->mpi_hosts)], *o = list;

			for (const char *p = s->mpi_hosts; *p; p++) {
				if (*p == ':') {
					while (p[1] && p[1] != ',')
						p++;
					continue;
				}
				if (*p != ' ')
					*o++ = *p;
			}
			*o = '\0';
			arg_add(a, "--nodelist=%s", list);
		}
		arg_add(a, "--cpu-bind=%s", srun_bind(s->mpi_bind));
		arg_add(a, "--kill-on-bad-exit=1");
#ifdef OMPI_MAJOR_VERSION
		/* Open MPI's ranks find each other through Slurm's PMIx plug-in (Debian's Open MPI has no
		 * other: PMI-2 and none fail in MPI_Init), which Slurm's default MpiDefault=none does not
		 * load. SLURM_MPI_TYPE, the site's or the user's choice, wins: srun reads it itself. */
		if (!getenv("SLURM_MPI_TYPE"))
			arg_add(a, "--mpi=pmix");
#endif
		/* the environment goes with the ranks by default (--export=ALL) */
	} else {
		arg_add(a, "-np");
		arg_add(a, "%d", np);
		if (geteuid() == 0)
			arg_add(a, "--allow-run-as-root");
		/* on this machine, process counts beyond the slots are a question the sweep asks, not a
		 * mistake; across named hosts more ranks than slots is one, and mpirun refuses the run */
		if (!s->mpi_hosts[0] && !s->mpi_hostfile[0])
			arg_add(a, "--oversubscribe");
		/* unbound by default, like the fork, spawn and forkserver workers */
		arg_add(a, "--bind-to");
		arg_add(a, "%s", s->mpi_bind[0] ? s->mpi_bind : "none");
		if (s->mpi_ranks_per_node > 0) {
			arg_add(a, "--map-by");
			arg_add(a, "ppr:%d:node", s->mpi_ranks_per_node);
		}
		if (s->mpi_hosts[0]) {
			arg_add(a, "--host");
			arg_add(a, "%s", s->mpi_hosts);
		}
		if (s->mpi_hostfile[0]) {
			arg_add(a, "--hostfile");
			arg_add(a, "%s", s->mpi_hostfile);
		}
		for (int i = 0; i < nenv; i++) {
			/* -x NAME exports the value the launcher's environment has (set below) */
			arg_add(a, "-x");
			arg_add(a, "%.*s", (int)strcspn(env[i], "="), env[i]);
		}
	}
	arg_add(a, "%s", sl_mpi_rank_exe());
	arg_add(a, "__mpi");
	arg_add(a, "--launch");
	arg_add(a, "%.6f", t0);
	arg_add(a, "--tag");
	arg_add(a, "%d", (int)getpid());
	arg_add(a, "--setting");
	arg_add(a, "%s", setting_enc);
}

/* environ with the NAME=VALUE strings of extra set (replacing the same names). NULL on ENOMEM. */
static char **build_envp(char *const *extra, int nextra)
{
	size_t n = 0, k = 0;
	char **envp;

	while (environ[n])
		n++;
	envp = calloc(n + (size_t)nextra + 1, sizeof(*envp));
	if (!envp)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;

		for (int j = 0; j < nextra; j++) {
			size_t len = strcspn(extra[j], "=") + 1;

			if (strncmp(environ[i], extra[j], len) == 0)
				replaced = true;
		}
		if (!replaced)
			envp[k++] = environ[i];
	}
	for (int j = 0; j < nextra; j++)
		envp[k++] = extra[j];
	envp[k] = NULL;
	return envp;
}

/* One launch of the ranks: what sl_mpi_run starts, watches and cleans up. */
struct launch {
	enum launcher_kind kind;
	const char *exe;
	int out_fd, err_fd;                       /* the launcher's output: files without a name */
	char env[16][64], *extra[17], *asan_env;  /* what the ranks' environment adds */
	int nextra;
	char **envp;
	char *setting_enc;
	struct argv_buf argv;
	pid_t pid;                                /* the launcher, leader of its own session */
	int pidfd;
	int wstatus;
	double t_launch, t_reaped;                /* CLOCK_REALTIME */
	pid_t watched[256];                       /* local ranks handed to the monitor */
	int nwatched;
	pid_t ranks[256];                         /* local ranks seen, for rank_lost() */
	int nranks;
	pid_t others[64];                         /* other members seen: mpirun under a wrapper, orted */
	int nothers;
	double t_vanished;                        /* when a seen rank was first found gone, 0 if none */
	char lost[SL_STATUS_LEN];                 /* the status of a rank the launcher did not abort on */
};

enum launch_end { LAUNCH_EXITED, LAUNCH_TIMED_OUT, LAUNCH_INTERRUPTED, LAUNCH_RANK_LOST };

/* How long mpirun may run on after one of its local ranks died before the run counts as crashed: at
 * a normal end every rank leaves MPI_Finalize together and the launcher follows within milliseconds;
 * aborting a job (SIGTERM to the other ranks) takes it 2.5-3.2 s here. */
#define RANK_LOST_GRACE_S 10.0

static void launch_free(struct launch *L)
{
	if (L->out_fd >= 0)
		close(L->out_fd);
	if (L->err_fd >= 0)
		close(L->err_fd);
	if (L->pidfd >= 0)
		close(L->pidfd);
	arg_free(&L->argv);
	free(L->envp);
	free(L->asan_env);
	free(L->setting_enc);
}

/* A file without a name in TMPDIR (or /tmp): nothing is left behind, even if speedlab is killed.
 * Returns the descriptor (close-on-exec), or -errno. */
static int anonymous_file(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	fd = open(tmp, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd >= 0 ? fd : -errno;
	/* a file system without O_TMPFILE: a named file, unlinked at once */
	snprintf(path, sizeof(path), "%s/speedlab-mpi-XXXXXX", tmp);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

/* The whole content of a file written through fd, NUL-terminated (an empty string on failure). */
static char *read_all(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t r;

	if (!buf)
		return NULL;
	while ((r = pread(fd, buf + len, cap - len - 1, (off_t)len)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)r;
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	return buf;
}

/* Everything but the launch itself: output files, the setting as text, the ranks' environment.
 * Returns 0 or -errno. */
static int launch_prepare(struct launch *L, const struct sl_setting *s)
{
	char *text;

	L->pidfd = -1;
	L->exe = launcher_exe(&L->kind);
	if ((L->out_fd = anonymous_file()) < 0)
		return L->out_fd;
	if ((L->err_fd = anonymous_file()) < 0)
		return L->err_fd;
	text = sl_setting_format(s);
	L->setting_enc = text ? sl_mpi_pct_encode(text) : NULL;
	free(text);
	if (!L->setting_enc)
		return -ENOMEM;
	L->nextra = sl_threads_env(s, L->env, 16);
	for (int i = 0; i < L->nextra; i++)
		L->extra[i] = L->env[i];
#ifdef __SANITIZE_ADDRESS__
	/* Open MPI leaks at MPI_Finalize by design; under ASan that would fail every rank. This
	 * process stays leak-checked. */
	{
		const char *ao = getenv("ASAN_OPTIONS");

		if (asprintf(&L->asan_env, "ASAN_OPTIONS=%s%sdetect_leaks=0", ao ? ao : "",
			     ao && *ao ? ":" : "") < 0) {
			L->asan_env = NULL;
			return -ENOMEM;
		}
		L->extra[L->nextra++] = L->asan_env;
	}
#endif
	L->envp = build_envp(L->extra, L->nextra);
	return L->envp ? 0 : -ENOMEM;
}

/* fd as descriptor `to`, open across exec. */
static int fd_to(int fd, int to)
{
	return fd == to ? fcntl(fd, F_SETFD, 0) : dup2(fd, to);
}

/* In the child, between fork and exec (only async-signal-safe calls): a session of its own (Ctrl-C
 * is ours to handle, and every local rank stays findable by its session), SIGTERM if speedlab dies
 * (mpirun then stops its ranks; the kernel signals once per dying thread of ours, and at the second
 * signal mpirun exits at once: its ranks die when they lose it, its session directory in TMPDIR may
 * stay), output to the files, input from /dev/null. A failure goes back to the parent as an errno
 * on the pipe. */
static void launch_child(const struct launch *L, const char *path, pid_t parent, int errfd)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGHUP, SIGQUIT };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int fd, e;

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() < 0 || prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		goto out_fail;
	if (getppid() != parent)            /* speedlab died before the line above */
		_exit(127);
	if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, 0) < 0)
		goto out_fail;
	close(fd);
	if (fd_to(L->out_fd, 1) < 0 || fd_to(L->err_fd, 2) < 0)
		goto out_fail;
	execve(path, L->argv.v, L->envp);
out_fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/* Start the launcher (launch_child). Returns 0, a positive errno when the launcher could not
 * start (not found, exec failed), or -errno when this process could not fork. */
static int launch_spawn(struct launch *L, const struct sl_setting *s)
{
	char path[4096];
	int pipefd[2], e = 0, wstatus;
	pid_t parent = getpid();
	ssize_t r;

	if (!exe_resolve(L->exe, path, sizeof(path)))
		return ENOENT;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	L->t_launch = sl_wall_clock();
	build_argv(&L->argv, L->kind, L->exe, s, L->extra, L->nextra, L->t_launch, L->setting_enc);
	if (L->argv.failed) {
		e = -ENOMEM;
		goto out_close;
	}
	L->pid = fork();
	if (L->pid < 0) {
		e = -errno;
		L->pid = 0;
		goto out_close;
	}
	if (L->pid == 0) {
		close(pipefd[0]);
		launch_child(L, path, parent, pipefd[1]);
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	/* end of file: exec succeeded; an errno: it did not, and the child is gone */
	while ((r = read(pipefd[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	if (r == (ssize_t)sizeof(e)) {
		while (waitpid(L->pid, &wstatus, 0) < 0 && errno == EINTR)
			;
		L->pid = 0;
	} else {
		e = 0;
		L->pidfd = pidfd_open(L->pid, 0);
	}
out_close:
	close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return e;
}

/* Hand the local ranks (processes of the launcher's session running `__mpi`) to the monitor. */
static void launch_watch_ranks(struct launch *L, struct sl_monitor *mon, int nranks)
{
	pid_t members[256];
	bool ranks[256];
	int n;

	if (!mon || L->nwatched >= nranks)
		return;
	n = sl_mpi_session_members(L->pid, members, ranks, 256);
	for (int i = 0; i < n; i++) {
		bool seen = false;

		for (int j = 0; j < L->nwatched && !seen; j++)
			seen = L->watched[j] == members[i];
		if (!seen && ranks[i] && L->nwatched < 256) {
			L->watched[L->nwatched++] = members[i];
			sl_monitor_watch(mon, members[i]);
		}
	}
}

/* Wait for the launcher to exit, the timeout, or Ctrl-C; in the last two cases kill everything.
 * Either way the launcher is reaped and its session swept when this returns. */
/* A local rank that died while the launcher runs on. mpirun nearly always aborts the job when a rank
 * dies; when it does not, the run would wait for its timeout and read "hang". So the coordinator
 * watches the local ranks itself: when one died (seen as a zombie, whose wait status is in
 * /proc/PID/stat's exit_code, or gone) and the launcher still runs RANK_LOST_GRACE_S later, the run
 * is a crash: L->lost says the first death seen, and it returns true. */
static bool rank_lost(struct launch *L)
{
	pid_t members[256];
	bool ranks[256];
	int n = sl_mpi_session_members(L->pid, members, ranks, 256);

	for (int i = 0; i < n; i++) {
		bool seen = false;

		for (int j = 0; j < L->nranks && !seen; j++)
			seen = L->ranks[j] == members[i];
		for (int j = 0; j < L->nothers && !seen; j++)
			seen = L->others[j] == members[i];
		if (!seen && ranks[i] && L->nranks < 256)
			L->ranks[L->nranks++] = members[i];
		else if (!seen && !ranks[i] && members[i] != L->pid && L->nothers < 64)
			L->others[L->nothers++] = members[i];
	}
	for (int j = 0; j < L->nranks; j++) {
		struct sl_proc_stat st;
		int code;

		if (!sl_proc_stat(L->ranks[j], &st)) {
			/* reaped by the launcher before its wait status could be read: the first death
			 * seen names no signal, and the SIGTERMs of an abort that follow are not its cause */
			if (L->t_vanished == 0)
				L->t_vanished = sl_now();
			if (!L->lost[0])
				snprintf(L->lost, sizeof(L->lost), "crash:rank lost");
			continue;
		}
		code = st.exit_code;
		if (st.state != 'Z' || (WIFEXITED(code) && WEXITSTATUS(code) == 0))
			continue;
		/* the first death seen; mpirun, aborting, then stops the others with SIGTERM */
		if (L->t_vanished == 0)
			L->t_vanished = sl_now();
		/* SIGTERM is what an aborting launcher sends the survivors: any other signal is the cause */
		if (WIFSIGNALED(code) && (!L->lost[0] || ((strcmp(L->lost, "crash:SIGTERM") == 0 ||
							   strcmp(L->lost, "crash:rank lost") == 0) &&
							  WTERMSIG(code) != SIGTERM))) {
			char name[32];

			sl_mpi_signal_name(WTERMSIG(code), name, sizeof(name));
			snprintf(L->lost, sizeof(L->lost), "crash:%s", name);
		} else if (!L->lost[0] && !WIFSIGNALED(code)) {
			snprintf(L->lost, sizeof(L->lost), "crash:exit%d", WEXITSTATUS(code));
		}
	}
	/* only when the launcher did not end the job itself: its own words name the rank and signal */
	if (L->t_vanished > 0 && sl_now() - L->t_vanished >= RANK_LOST_GRACE_S) {
		if (!L->lost[0])
			snprintf(L->lost, sizeof(L->lost), "crash:rank lost");
		return true;
	}
	return false;
}

static enum launch_end launch_wait(struct launch *L, const struct sl_setting *s, const struct sl_run_opts *o,
				   struct sl_monitor *mon)
{
	double deadline = s->timeout_s > 0 ? sl_now() + s->timeout_s : INFINITY;
	enum launch_end end = LAUNCH_EXITED;

	while (waitpid(L->pid, &L->wstatus, WNOHANG) != L->pid) {
		if (o && o->interrupted && *o->interrupted) {
			end = LAUNCH_INTERRUPTED;
			sl_mpi_kill_launch(L->pid, &L->wstatus);
			break;
		}
		if (sl_now() >= deadline) {
			end = LAUNCH_TIMED_OUT;
			if (getenv("SPEEDLAB_MPI_DEBUG"))
				sl_mpi_debug_hang(L->pid, L->out_fd, L->err_fd);
			sl_mpi_kill_launch(L->pid, &L->wstatus);
			break;
		}
		launch_watch_ranks(L, mon, s->processes + 1);
		if (rank_lost(L)) {
			end = LAUNCH_RANK_LOST;
			sl_mpi_kill_launch(L->pid, &L->wstatus);
			break;
		}
		if (L->pidfd >= 0) {
			struct pollfd pfd = { .fd = L->pidfd, .events = POLLIN };
			double left = deadline - sl_now();
			int ms = left < 0.02 ? (int)(left * 1000) + 1 : 20;

			poll(&pfd, 1, ms < 1 ? 1 : ms);
		} else {
			sl_mpi_sleep_s(0.002);
		}
	}
	L->t_reaped = sl_wall_clock();
	sl_mpi_sweep_session(L->pid);
	return end;
}

/* The run's status and metrics from rank 0's result line, or from how the launcher failed. */
static void launch_verdict(struct launch *L, struct sl_metrics *m)
{
	char *out = read_all(L->out_fd), *err = read_all(L->err_fd), *all = NULL;
	bool clean = WIFEXITED(L->wstatus) && WEXITSTATUS(L->wstatus) == 0;
	double stop_t = NAN;
	bool have = out && sl_mpi_parse_result(out, m, &stop_t);

	if (asprintf(&all, "%s\n%s", out ? out : "", err ? err : "") < 0)
		all = NULL;
	/* rank 0's own verdict wins unless it said ok and the job still failed afterwards */
	if (!have || (!clean && strcmp(m->status, "ok") == 0)) {
		if (clean)
			snprintf(m->status, sizeof(m->status), "error:rank 0 reported no result");
		else
			sl_mpi_launch_failure(L->wstatus, all ? all : "", m);
		/* Open MPI 4.1's mpirun can itself crash (SIGSEGV in orte_finalize) while it aborts a job
		 * after a rank died: the rank's death, when the watch saw it, is the cause. mpirun reaps
		 * its ranks at once, so the watch mostly sees a rank gone rather than its wait status. */
		if (WIFSIGNALED(L->wstatus) && !have && strncmp(m->status, "crash:", 6) != 0) {
			if (L->lost[0])
				snprintf(m->status, sizeof(m->status), "%s", L->lost);
		}
		/* the launcher's own words help whoever debugs a failed launch */
		if (strncmp(m->status, "error:", 6) == 0 && all)
			sl_mpi_show_tail(all);
	}
	if (!isnan(stop_t))
		m->pool_stop_ms = (L->t_reaped - stop_t) * 1e3;
	free(all);
	free(out);
	free(err);
}

/* The monitor saw the local ranks from outside: the timeline, the GPU (unless the workload measured
 * it itself), and thread and memory peaks where it saw more than the ranks reported (as the pool
 * merges them). */
static void monitor_merge(struct sl_monitor *mon, struct sl_metrics *m)
{
	struct sl_metrics mm;

	sl_metrics_clear(&mm);
	sl_monitor_stop(mon, &mm);
	if (isnan(m->gpu_util_pct))
		m->gpu_util_pct = mm.gpu_util_pct;
	if (isnan(m->gpu_mem_mb))
		m->gpu_mem_mb = mm.gpu_mem_mb;
	if (isnan(m->gpu_sm_mhz))
		m->gpu_sm_mhz = mm.gpu_sm_mhz;
	m->monitor_cpu_pct = mm.monitor_cpu_pct;
	if (!isnan(mm.threads_peak))
		m->threads_peak = isnan(m->threads_peak) ? mm.threads_peak : fmax(m->threads_peak, mm.threads_peak);
	if (!isnan(mm.threads_total_peak))
		m->threads_total_peak = isnan(m->threads_total_peak) ? mm.threads_total_peak :
					fmax(m->threads_total_peak, mm.threads_total_peak);
	if (!isnan(mm.rss_peak_mb))
		m->rss_peak_mb = mm.rss_peak_mb;
}

int sl_mpi_run(const struct sl_setting *s, const struct sl_workload_ops *w,
	       const struct sl_run_opts *o, struct sl_metrics *m)
{
	struct launch L = { .pidfd = -1, .out_fd = -1, .err_fd = -1 };
	struct sl_monitor *mon;
	enum launch_end end;
	int err;

	/* whether it runs at all (skipped) the run engine decided (run/engine.c: sl_run_skip); the ranks
	 * find the workload by the name in the setting */
	(void)w;
	sl_metrics_clear(m);
	if (s->processes < 1) {
		snprintf(m->status, sizeof(m->status), "error:processes must be at least 1");
		return 0;
	}
	err = launch_prepare(&L, s);
	if (err)
		goto out_free;
	if (L.kind == LAUNCH_SRUN && s->mpi_hostfile[0])
		sl_warn("mpi: hostfile '%s' ignored under Slurm (the allocation decides)", s->mpi_hostfile);

	err = launch_spawn(&L, s);
	/* after the fork, as the pool does: no lock of the monitor's thread held across it */
	mon = err == 0 ? sl_monitor_start(o ? o->sample_hz : 0, o ? o->samples : NULL, s->config,
					  o ? o->rep : 0) : NULL;
	if (err > 0) {
		snprintf(m->status, sizeof(m->status), "error:cannot start %s: %s", L.exe, strerror(err));
		err = 0;
	} else if (err == 0) {
		end = launch_wait(&L, s, o, mon);
		if (end == LAUNCH_INTERRUPTED) {
			snprintf(m->status, sizeof(m->status), "error:interrupted");
			err = -EINTR;
		} else if (end == LAUNCH_TIMED_OUT) {
			snprintf(m->status, sizeof(m->status), "hang");
		} else if (end == LAUNCH_RANK_LOST) {
			snprintf(m->status, sizeof(m->status), "%s", L.lost);
		} else {
			launch_verdict(&L, m);
		}
		/* however the launcher ended (a rank it aborted on, too), nothing of its session may stay,
		 * nor Open MPI's session directory, which a launcher that lost a rank may leave behind */
		sl_mpi_sweep_session(L.pid);
		sl_mpi_remove_session_dir(L.pid);
		/* a wrapper script as the launcher: the mpirun it started keeps its directory by its pid */
		for (int i = 0; i < L.nothers; i++)
			sl_mpi_remove_session_dir(L.others[i]);
	}
	if (mon)
		monitor_merge(mon, m);
out_free:
	launch_free(&L);
	return err;
}

#endif /* SL_HAVE_MPI */
