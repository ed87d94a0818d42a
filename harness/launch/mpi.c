/* mpi.c: the mpi start method: mpirun (or srun) starts P+1 speedlab ranks; rank 0 coordinates over MPI. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/launcher.h"
#include "launch/mpi.h"

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

int sl_mpi_rank_run(int argc, char **argv, const struct sl_workload_ops *const *extra)
{
	(void)argc; (void)argv; (void)extra;
	sl_err("__mpi: built without MPI");
	return SL_EXIT_USAGE;
}

#else /* SL_HAVE_MPI */

#include <ctype.h>
#include <limits.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <mpi.h>
#include <poll.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "sys/blas.h"
#include "monitor/monitor.h"
#include "sys/placement.h"
#include "experiment/setting_io.h"

extern char **environ;

#define RESULT_MARK "@@speedlab-mpi-result "
/* After SIGTERM, mpirun gets this long to stop its ranks and clean up (it takes 2.5-3.2 s here:
 * SIGTERM to the ranks, Open MPI's odls_base_sigkill_timeout of 1 s, then its own exit). */
#define TERM_GRACE_S 5.0
#define SWEEP_GRACE_S 2.0       /* after SIGKILL, the time a dying process may take to go */

/* ------------------------------------------------------------------------------------------------
 * Text helpers shared by both sides
 * --------------------------------------------------------------------------------------------- */

/* Percent-encode every byte outside [A-Za-z0-9._-]: the result survives any launcher's argv. */
static char *pct_encode(const char *in)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(in);
	char *out = malloc(3 * n + 1), *o = out;

	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		if (isalnum(*p) || *p == '.' || *p == '_' || *p == '-') {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode in place. False on a malformed escape or an encoded NUL. */
static bool pct_decode(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (*p == '%') {
			int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);

			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return false;
			*o++ = (char)(hi * 16 + lo);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return true;
}

/* ------------------------------------------------------------------------------------------------
 * The plain side: launch, wait, kill, read back
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

/* The program the ranks run. speedlab itself links no MPI library (it would slow every spawned
 * worker by ~0.8 ms of loading), so its ranks run speedlab-mpi, built beside it; a program built
 * with the rank side (speedlab-mpi, the tests) runs itself. */
static const char *rank_exe(void)
{
#ifdef SL_MPI_LAUNCH_ONLY
	static char path[PATH_MAX];

	if (!path[0]) {
		char *slash;

		sl_strlcpy(path, sl_self_exe(), sizeof(path) - 16);
		slash = strrchr(path, '/');
		strcpy(slash ? slash + 1 : path, "speedlab-mpi");
	}
	return path;
#else
	return sl_self_exe();
#endif
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
	if (access(rank_exe(), X_OK) != 0) {
		snprintf(why, whylen, "%s not found (make builds it)", rank_exe());
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
	arg_add(a, "%s", rank_exe());
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

/* The session id and argv[1] of a process from /proc; false when it is gone. */
static bool proc_session(pid_t pid, pid_t *sid, bool *is_rank)
{
	struct sl_proc_stat st;
	char path[64], buf[1024], *p;
	int fd;

	if (!sl_proc_stat(pid, &st))
		return false;
	*sid = st.session;
	*is_rank = false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t r = read(fd, buf, sizeof(buf) - 1);

		close(fd);
		if (r > 0) {
			buf[r] = '\0';
			p = memchr(buf, '\0', (size_t)r);
			*is_rank = p && p + 1 < buf + r && strcmp(p + 1, "__mpi") == 0;
		}
	}
	return true;
}

/* The processes of session sid (the launcher's), at most max; returns how many. */
static int session_members(pid_t sid, pid_t *pids, bool *ranks, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		long pid;
		pid_t s;
		bool r;

		if (!sl_parse_long(e->d_name, &pid) || pid == getpid())
			continue;
		if (!proc_session((pid_t)pid, &s, &r) || s != sid)
			continue;
		pids[n] = (pid_t)pid;
		if (ranks)
			ranks[n] = r;
		n++;
	}
	closedir(d);
	return n;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Ranks the launcher did not reap are no longer our children (a job mpirun aborted may leave a
 * rank dying after mpirun exits): SIGKILL whatever is left in the session and wait, a bounded
 * time, until it is gone. Never fails. */
static void sweep_session(pid_t sid)
{
	double until = sl_now() + SWEEP_GRACE_S;
	pid_t members[256];
	int n;

	while ((n = session_members(sid, members, NULL, 256)) > 0 && sl_now() < until) {
		for (int i = 0; i < n; i++)
			kill(members[i], SIGKILL);
		sleep_s(0.005);
	}
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

/* An mpirun killed with SIGKILL cannot remove its session directory: remove it for it. Open MPI 4
 * keeps it in $TMPDIR (else $TEMP, $TMP, /tmp) as ompi.<node>.<uid>/pid.<mpirun's pid>. Never fails. */
static void remove_session_dir(pid_t pid)
{
	const char *vars[] = { "TMPDIR", "TEMP", "TMP" }, *tmp = "/tmp";
	char host[256] = "", top[4096], dir[4200];

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (getenv(vars[i]) && *getenv(vars[i])) {
			tmp = getenv(vars[i]);
			break;
		}
	if (gethostname(host, sizeof(host) - 1) != 0)
		return;
	if (strspn(host, "0123456789.") != strlen(host))
		host[strcspn(host, ".")] = '\0';     /* Open MPI drops the domain of a name */
	snprintf(top, sizeof(top), "%s/ompi.%s.%u", tmp, host, (unsigned)getuid());
	snprintf(dir, sizeof(dir), "%s/pid.%d", top, (int)pid);
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	rmdir(top);             /* only when no other job has its directory there */
}

/* Kill everything in the launcher's session: SIGTERM to the launcher (mpirun then stops its ranks,
 * on every node), after a grace period SIGKILL to every member, and reap the launcher. Never fails. */
static void kill_launch(pid_t pid, int *wstatus)
{
	pid_t members[256];
	double until;
	int n;

	kill(pid, SIGTERM);
	until = sl_now() + TERM_GRACE_S;
	while (sl_now() < until) {
		if (waitpid(pid, wstatus, WNOHANG) == pid)
			return;
		sleep_s(0.01);
	}
	n = session_members(pid, members, NULL, 256);
	for (int i = 0; i < n; i++)
		kill(members[i], SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
		;
	remove_session_dir(pid);
}

/* SPEEDLAB_MPI_DEBUG set: before a hung run is killed, print its processes, their stacks (gdb, when
 * installed) and the launcher's output so far to stderr. */
static void debug_hang(pid_t sid, int out_fd, int err_fd)
{
	char cmd[10000];

	snprintf(cmd, sizeof(cmd),
		 "ps -s %d -o pid,stat,wchan:30,pcpu,args >&2; command -v gdb >/dev/null && "
		 "for p in $(ps -s %d -o pid=); do gdb -batch -ex 'thread apply all bt' -p $p 2>&1 | "
		 "grep -E '^#|^Thread' >&2; done; cat /proc/%d/fd/%d /proc/%d/fd/%d >&2", (int)sid, (int)sid,
		 (int)getpid(), out_fd, (int)getpid(), err_fd);
	if (system(cmd) != 0)
		sl_warn("mpi: SPEEDLAB_MPI_DEBUG: the debug commands failed");
}

/* Name of a signal for a status: "SIGSEGV", or "SIG<n>". */
static void signal_name(int sig, char *out, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(out, len, "SIG%s", abbrev);
	else
		snprintf(out, len, "SIG%d", sig);
}

/* Copy a message into a status, keeping it one line of printable text. */
static void status_set(struct sl_metrics *m, const char *prefix, const char *text)
{
	size_t o = (size_t)snprintf(m->status, sizeof(m->status), "%s", prefix);

	for (const char *p = text; *p && o + 1 < sizeof(m->status); p++)
		m->status[o++] = isprint((unsigned char)*p) ? *p : ' ';
	if (o >= sizeof(m->status))
		o = sizeof(m->status) - 1;
	m->status[o] = '\0';
	while (o > 0 && m->status[o - 1] == ' ')
		m->status[--o] = '\0';
}

/* The last meaningful line of the launcher's output (not a ---- rule, not blank, not our result). */
static void last_line(const char *text, char *out, size_t len)
{
	const char *p = text;

	out[0] = '\0';
	while (p && *p) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *q = p;

		while (q < p + n && isspace((unsigned char)*q))
			q++;
		if (q < p + n && *q != '-' && strncmp(q, RESULT_MARK, strlen(RESULT_MARK)) != 0)
			snprintf(out, len, "%.*s", (int)(p + n - q), q);
		p = end ? end + 1 : NULL;
	}
}

/* Slurm: "srun: error: node: task 1: Segmentation fault (core dumped)": the signal that killed a
 * task, by its description, or 0. */
static int srun_signal(const char *text)
{
	for (const char *q = text; (q = strstr(q, "srun: error:")) != NULL; q++) {
		char line[512];

		snprintf(line, sizeof(line), "%.*s", (int)strcspn(q, "\n"), q);
		for (int sig = 1; sig < NSIG; sig++) {
			const char *what = sigdescr_np(sig);
			char pattern[96];

			snprintf(pattern, sizeof(pattern), ": %s", what ? what : "");
			if (what && strstr(line, pattern))
				return sig;
		}
	}
	return 0;
}

/* Why the launcher failed, from its exit status and its messages. */
static void launch_failure(int wstatus, const char *text, struct sl_metrics *m)
{
	char sig[32], line[160];
	const char *p;
	int rc, rc2;

	/* Open MPI: "mpirun noticed that process rank 1 with PID 0 on node x exited on signal 9 (Killed)."
	 * A rank's death it reported is the cause even when mpirun crashed afterwards. */
	if ((p = strstr(text, "exited on signal ")) != NULL) {
		signal_name(atoi(p + strlen("exited on signal ")), sig, sizeof(sig));
		snprintf(m->status, sizeof(m->status), "crash:%s", sig);
		return;
	}
	if (WIFSIGNALED(wstatus)) {
		signal_name(WTERMSIG(wstatus), sig, sizeof(sig));
		snprintf(m->status, sizeof(m->status), "error:launcher killed by %s", sig);
		return;
	}
	rc = WEXITSTATUS(wstatus);
	if ((rc2 = srun_signal(text)) > 0) {
		signal_name(rc2, sig, sizeof(sig));
		snprintf(m->status, sizeof(m->status), "crash:%s", sig);
		return;
	}
	if ((p = strstr(text, "MPI_ABORT was invoked on rank ")) != NULL) {
		snprintf(m->status, sizeof(m->status), "error:MPI_Abort on rank %d",
			 atoi(p + strlen("MPI_ABORT was invoked on rank ")));
		return;
	}
	if (rc > 128 && rc < 128 + 65) {
		signal_name(rc - 128, sig, sizeof(sig));
		snprintf(m->status, sizeof(m->status), "crash:%s", sig);
		return;
	}
	if ((p = strstr(text, "Exit code:")) != NULL) {
		snprintf(m->status, sizeof(m->status), "error:a rank exited with code %d",
			 atoi(p + strlen("Exit code:")));
		return;
	}
	/* Open MPI's ranks started by srun without the PMI they speak (SLURM_MPI_TYPE=pmi2 or none):
	 * each fails in MPI_Init, and srun's last words name no cause */
	if (strstr(text, "was not built with SLURM's PMI support")) {
		const char *type = getenv("SLURM_MPI_TYPE");

		snprintf(line, sizeof(line), "srun gave Open MPI no PMIx (SLURM_MPI_TYPE=%.32s; Open MPI needs pmix)",
			 type ? type : "unset");
		status_set(m, "error:", line);
		return;
	}
	last_line(text, line, sizeof(line));
	snprintf(sig, sizeof(sig), "error:launcher exit %d: ", rc);
	status_set(m, sig, line[0] ? line : "no message");
}

/* Fill m from rank 0's result line; false when there is none. *stop_t gets rank 0's stop time. */
static bool parse_result(char *text, struct sl_metrics *m, double *stop_t)
{
	char *line = NULL, *save = NULL, *tok;

	for (char *p = text; (p = strstr(p, RESULT_MARK)) != NULL; p++)
		if (p == text || p[-1] == '\n')
			line = p;
	if (!line)
		return false;
	line += strlen(RESULT_MARK);
	line[strcspn(line, "\r\n")] = '\0';
	*stop_t = NAN;
	for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		double v;

		if (!eq)
			continue;
		*eq++ = '\0';
		if (strcmp(tok, "status") == 0) {
			if (pct_decode(eq))
				status_set(m, "", eq);
			continue;
		}
		if (!*eq || !sl_parse_double(eq, &v))
			v = NAN;
		if (strcmp(tok, "stop_t") == 0) {
			*stop_t = v;
			continue;
		}
		for (size_t i = 0; i < sl_metric_ncolumns; i++)
			if (strcmp(sl_metric_columns[i].name, tok) == 0)
				*(double *)((char *)m + sl_metric_columns[i].offset) = v;
	}
	return true;
}

/* Print the tail of the launcher's output after a failed run, for whoever debugs it. */
static void show_tail(const char *text)
{
	const char *p = text + strlen(text);
	int lines = 0;

	while (p > text && lines < 6)
		if (*--p == '\n' && p[1])
			lines++;
	if (*p == '\n')
		p++;
	if (*p)
		sl_warn("mpi: the launcher's last output:\n%s", p);
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
	L->setting_enc = text ? pct_encode(text) : NULL;
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
	n = session_members(L->pid, members, ranks, 256);
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
	int n = session_members(L->pid, members, ranks, 256);

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

			signal_name(WTERMSIG(code), name, sizeof(name));
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
			kill_launch(L->pid, &L->wstatus);
			break;
		}
		if (sl_now() >= deadline) {
			end = LAUNCH_TIMED_OUT;
			if (getenv("SPEEDLAB_MPI_DEBUG"))
				debug_hang(L->pid, L->out_fd, L->err_fd);
			kill_launch(L->pid, &L->wstatus);
			break;
		}
		launch_watch_ranks(L, mon, s->processes + 1);
		if (rank_lost(L)) {
			end = LAUNCH_RANK_LOST;
			kill_launch(L->pid, &L->wstatus);
			break;
		}
		if (L->pidfd >= 0) {
			struct pollfd pfd = { .fd = L->pidfd, .events = POLLIN };
			double left = deadline - sl_now();
			int ms = left < 0.02 ? (int)(left * 1000) + 1 : 20;

			poll(&pfd, 1, ms < 1 ? 1 : ms);
		} else {
			sleep_s(0.002);
		}
	}
	L->t_reaped = sl_wall_clock();
	sweep_session(L->pid);
	return end;
}

/* The run's status and metrics from rank 0's result line, or from how the launcher failed. */
static void launch_verdict(struct launch *L, struct sl_metrics *m)
{
	char *out = read_all(L->out_fd), *err = read_all(L->err_fd), *all = NULL;
	bool clean = WIFEXITED(L->wstatus) && WEXITSTATUS(L->wstatus) == 0;
	double stop_t = NAN;
	bool have = out && parse_result(out, m, &stop_t);

	if (asprintf(&all, "%s\n%s", out ? out : "", err ? err : "") < 0)
		all = NULL;
	/* rank 0's own verdict wins unless it said ok and the job still failed afterwards */
	if (!have || (!clean && strcmp(m->status, "ok") == 0)) {
		if (clean)
			snprintf(m->status, sizeof(m->status), "error:rank 0 reported no result");
		else
			launch_failure(L->wstatus, all ? all : "", m);
		/* Open MPI 4.1's mpirun can itself crash (SIGSEGV in orte_finalize) while it aborts a job
		 * after a rank died: the rank's death, when the watch saw it, is the cause. mpirun reaps
		 * its ranks at once, so the watch mostly sees a rank gone rather than its wait status. */
		if (WIFSIGNALED(L->wstatus) && !have && strncmp(m->status, "crash:", 6) != 0) {
			if (L->lost[0])
				snprintf(m->status, sizeof(m->status), "%s", L->lost);
		}
		/* the launcher's own words help whoever debugs a failed launch */
		if (strncmp(m->status, "error:", 6) == 0 && all)
			show_tail(all);
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
	char why[SL_STATUS_LEN];
	enum launch_end end;
	int err;

	sl_metrics_clear(m);
	if (w->unimplemented_reason) {
		status_set(m, "skipped:", w->unimplemented_reason);
		return 0;
	}
	if (w->run_whole)
		return w->run_whole(s, o, m);
	if ((w->supported && !w->supported(s, why, sizeof(why))) || !mpi_supported(s, why, sizeof(why))) {
		status_set(m, "skipped:", why);
		return 0;
	}
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
		sweep_session(L.pid);
		remove_session_dir(L.pid);
		/* a wrapper script as the launcher: the mpirun it started keeps its directory by its pid */
		for (int i = 0; i < L.nothers; i++)
			remove_session_dir(L.others[i]);
	}
	if (mon)
		monitor_merge(mon, m);
out_free:
	launch_free(&L);
	return err;
}

#ifndef SL_MPI_LAUNCH_ONLY
/* ------------------------------------------------------------------------------------------------
 * The rank side
 * --------------------------------------------------------------------------------------------- */

/* a worker's totals have a tag of their own: they may arrive while rank 0 still serves requests */
enum { TAG_UP = 11, TAG_DOWN = 12, TAG_FINAL = 13 };
enum { UP_READY = 1, UP_RESULT, UP_FINAL };
enum { DOWN_CHUNK = 1, DOWN_STOP };

/* CPU time and context switches of this process (getrusage). */
struct usage {
	double user_s, sys_s, nvcsw, nivcsw, maxrss_kb;
};

/* Worker to rank 0. A RESULT is followed by count doubles and count * out_bytes bytes. */
struct up_msg {
	int32_t kind;
	int32_t err;              /* 0, or the workload's negative errno */
	int64_t first, count;     /* RESULT: the chunk */
	double t;                 /* READY: when MPI_Init returned (CLOCK_REALTIME) */
	double busy_s;            /* FINAL: time inside run_task */
	struct usage run;         /* FINAL: usage during the run phase (go to last task; maxrss: peak) */
	int32_t threads_peak, lib_threads;
	int64_t tasks_done;
	char msg[128];
};

/* Rank 0 to a worker. A CHUNK is followed by count * in_bytes bytes of inputs. */
struct down_msg {
	int32_t kind;
	int32_t pad;
	int64_t first, count;
};

struct rank_ctx {
	struct sl_setting s;
	const struct sl_workload_ops *w;
	MPI_Comm comm;
	int rank, size, P;
	long ntasks;
	size_t in_b, out_b;
	long chunk;
	double t_launch;          /* the plain process's clock just before it started the launcher */
	double t_entry;           /* this rank's clock when MPI_Init returned */
	bool shm;
	/* shm: one window on rank 0: [int64 counter][results][outputs][inputs] */
	MPI_Win win;
	char *base;
	MPI_Aint off_res, off_out, off_in;
};

static void mpi_errtext(int rc, char *out, size_t len)
{
	char s[MPI_MAX_ERROR_STRING];
	int n = 0;

	if (MPI_Error_string(rc, s, &n) != MPI_SUCCESS)
		snprintf(s, sizeof(s), "code %d", rc);
	snprintf(out, len, "MPI: %.100s", s);
}

static void usage_now(struct usage *u)
{
	struct rusage ru;

	memset(u, 0, sizeof(*u));
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return;
	u->user_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6;
	u->sys_s = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
	u->nvcsw = (double)ru.ru_nvcsw;
	u->nivcsw = (double)ru.ru_nivcsw;
	u->maxrss_kb = (double)ru.ru_maxrss;
}

/* b - a, except the peak resident set, which is b's. */
static struct usage usage_delta(const struct usage *a, const struct usage *b)
{
	struct usage d = {
		.user_s = b->user_s - a->user_s, .sys_s = b->sys_s - a->sys_s,
		.nvcsw = b->nvcsw - a->nvcsw, .nivcsw = b->nivcsw - a->nivcsw, .maxrss_kb = b->maxrss_kb,
	};

	return d;
}

static void threads_sample(int32_t *peak)
{
	int n = sl_threads_count_self();

	if (n > *peak)
		*peak = n;
}

/* Wait for a message from any worker without spinning a core (rank 0 shares the machine with the
 * workers): spin briefly, then sleep in growing steps up to 200 us between probes. */
static int wait_up(const struct rank_ctx *c, int tag, MPI_Status *st)
{
	double idle_since = sl_now();
	long ns = 0;

	for (;;) {
		int flag = 0, rc = MPI_Iprobe(MPI_ANY_SOURCE, tag, c->comm, &flag, st);

		if (rc != MPI_SUCCESS)
			return rc;
		if (flag)
			return MPI_SUCCESS;
		if (sl_now() - idle_since < 50e-6)
			continue;
		ns = ns ? ns * 2 : 5000;
		if (ns > 200000)
			ns = 200000;
		{
			struct timespec ts = { 0, ns };

			nanosleep(&ts, NULL);
		}
	}
}

/* Receive a message of unknown size (after a probe) into *buf. */
static int recv_sized(MPI_Comm comm, MPI_Status *st, char **buf, size_t *cap, int *len)
{
	int rc = MPI_Get_count(st, MPI_BYTE, len);

	if (rc != MPI_SUCCESS)
		return rc;
	if ((size_t)*len > *cap) {
		char *nb = realloc(*buf, (size_t)*len);

		if (!nb)
			return MPI_ERR_NO_MEM;
		*buf = nb;
		*cap = (size_t)*len;
	}
	return MPI_Recv(*buf, *len, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, comm, MPI_STATUS_IGNORE);
}

/* Run tasks [first, first+count) into res (and out); sets u->err/msg on the first failure and fills
 * the remaining results with NaN. */
static void run_chunk(struct rank_ctx *c, struct sl_wctx *wc, int64_t first, int64_t count,
		      const char *in, double *res, char *out, struct up_msg *u)
{
	for (int64_t i = 0; i < count; i++) {
		double t = sl_now();
		int rc;

		res[i] = NAN;
		if (u->err)
			continue;
		rc = c->w->run_task(wc, (long)(first + i), c->in_b ? in + (size_t)i * c->in_b : NULL,
				    c->out_b ? out + (size_t)i * c->out_b : NULL, &res[i], u->msg,
				    sizeof(u->msg));
		u->busy_s += sl_now() - t;
		if (rc) {
			u->err = rc;
			if (!u->msg[0])
				snprintf(u->msg, sizeof(u->msg), "task %ld: %s", (long)(first + i), strerror(-rc));
		} else {
			u->tasks_done++;
		}
	}
}

/* shm: claim chunks from rank 0's counter until none is left; inputs in, results out, one-sided. */
static int worker_loop_shm(struct rank_ctx *c, struct sl_wctx *wc, char *up, struct up_msg *fin)
{
	int64_t one = c->chunk, first;
	double *res = (double *)(up + sizeof(struct up_msg));
	char *out = up + sizeof(struct up_msg) + (size_t)c->chunk * sizeof(double);
	char *in = c->in_b ? malloc((size_t)c->chunk * c->in_b) : NULL;
	int rc;

	if (c->in_b && !in) {
		fin->err = -ENOMEM;
		snprintf(fin->msg, sizeof(fin->msg), "out of memory");
		return MPI_SUCCESS;
	}
	rc = MPI_Win_lock_all(MPI_MODE_NOCHECK, c->win);
	while (rc == MPI_SUCCESS) {
		int64_t count;

		rc = MPI_Fetch_and_op(&one, &first, MPI_INT64_T, 0, 0, MPI_SUM, c->win);
		if (rc == MPI_SUCCESS)
			rc = MPI_Win_flush(0, c->win);
		if (rc != MPI_SUCCESS || first >= c->ntasks)
			break;
		count = c->ntasks - first < c->chunk ? c->ntasks - first : c->chunk;
		if (c->in_b) {
			rc = MPI_Get(in, (int)((size_t)count * c->in_b), MPI_BYTE, 0,
				     c->off_in + (MPI_Aint)((size_t)first * c->in_b), (int)((size_t)count * c->in_b),
				     MPI_BYTE, c->win);
			if (rc == MPI_SUCCESS)
				rc = MPI_Win_flush(0, c->win);
			if (rc != MPI_SUCCESS)
				break;
		}
		run_chunk(c, wc, first, count, in, res, out, fin);
		rc = MPI_Put(res, (int)count, MPI_DOUBLE, 0, c->off_res + (MPI_Aint)(first * 8), (int)count,
			     MPI_DOUBLE, c->win);
		if (rc == MPI_SUCCESS && c->out_b)
			rc = MPI_Put(out, (int)((size_t)count * c->out_b), MPI_BYTE, 0,
				     c->off_out + (MPI_Aint)((size_t)first * c->out_b),
				     (int)((size_t)count * c->out_b), MPI_BYTE, c->win);
		if (rc == MPI_SUCCESS)
			rc = MPI_Win_flush(0, c->win);
		threads_sample(&fin->threads_peak);
		if (fin->err) {
			/* stop everyone: push the counter past the end */
			int64_t end = c->ntasks, old;

			MPI_Fetch_and_op(&end, &old, MPI_INT64_T, 0, 0, MPI_REPLACE, c->win);
			MPI_Win_flush(0, c->win);
			break;
		}
	}
	if (rc == MPI_SUCCESS)
		rc = MPI_Win_unlock_all(c->win);
	else
		MPI_Win_unlock_all(c->win);
	free(in);
	return rc;
}

/* pipe: the ready message asks for the first chunk, every result for the next; stop ends it.
 * The run phase begins when the first answer arrives (rank 0 answers once every worker is ready). */
static int worker_loop_pipe(struct rank_ctx *c, struct sl_wctx *wc, char *up, const struct up_msg *ready,
			    struct up_msg *fin, struct usage *at_go)
{
	struct up_msg *u = (struct up_msg *)up;
	char *down = NULL;
	size_t dcap = 0;
	int len = sizeof(*ready), rc;
	bool first = true;

	*u = *ready;
	for (;;) {
		MPI_Status st;
		struct down_msg *d;

		rc = MPI_Send(up, len, MPI_BYTE, 0, TAG_UP, c->comm);
		if (rc == MPI_SUCCESS)
			rc = MPI_Probe(0, TAG_DOWN, c->comm, &st);
		if (rc == MPI_SUCCESS)
			rc = recv_sized(c->comm, &st, &down, &dcap, &len);
		if (rc != MPI_SUCCESS)
			break;
		if (first) {
			usage_now(at_go);
			first = false;
		}
		d = (struct down_msg *)down;
		if (d->kind != DOWN_CHUNK)
			break;
		memset(u, 0, sizeof(*u));
		u->kind = UP_RESULT;
		u->first = d->first;
		u->count = d->count;
		run_chunk(c, wc, d->first, d->count, down + sizeof(*d), (double *)(up + sizeof(*u)),
			  up + sizeof(*u) + (size_t)d->count * sizeof(double), u);
		fin->busy_s += u->busy_s;
		fin->tasks_done += u->tasks_done;
		threads_sample(&fin->threads_peak);
		len = (int)(sizeof(*u) + (size_t)d->count * (sizeof(double) + c->out_b));
	}
	free(down);
	return rc;
}

/* A worker rank: set up, report ready, run chunks until stopped, report its totals. */
static int worker_main(struct rank_ctx *c)
{
	struct sl_wctx wc = { .setting = &c->s, .worker = c->rank - 1 };
	struct up_msg ready = { .kind = UP_READY, .t = c->t_entry }, fin = { .kind = UP_FINAL };
	size_t cap = sizeof(struct up_msg) + (size_t)c->chunk * (sizeof(double) + c->out_b);
	char *up = calloc(1, cap);
	struct usage at_go, at_end;
	bool set_up;
	int rc;

	if (!up) {
		sl_err("__mpi: rank %d: out of memory", c->rank);
		MPI_Abort(c->comm, 3);
		return 3;
	}
	/* the affinity axis, as in a pool worker: after mpirun's own binding ([mpi] bind), which it replaces */
	ready.err = sl_placement_apply_worker(&c->s, c->rank - 1, c->s.processes, ready.msg, sizeof(ready.msg));
	if (!ready.err && c->w->setup) {
		ready.err = c->w->setup(&wc, ready.msg, sizeof(ready.msg));
		if (ready.err && !ready.msg[0])
			snprintf(ready.msg, sizeof(ready.msg), "setup: %s", strerror(-ready.err));
	}
	set_up = ready.err == 0;
	threads_sample(&fin.threads_peak);
	usage_now(&at_go);
	if (c->shm) {
		/* ready, then everyone starts together (rank 0 stopped the counter if a setup failed) */
		rc = MPI_Send(&ready, sizeof(ready), MPI_BYTE, 0, TAG_UP, c->comm);
		if (rc == MPI_SUCCESS)
			rc = MPI_Barrier(c->comm);
		usage_now(&at_go);
		if (rc == MPI_SUCCESS && set_up)
			rc = worker_loop_shm(c, &wc, up, &fin);
	} else {
		rc = worker_loop_pipe(c, &wc, up, &ready, &fin, &at_go);
	}
	usage_now(&at_end);
	threads_sample(&fin.threads_peak);
	fin.run = usage_delta(&at_go, &at_end);
	/* the checks kept out of the timed tasks (gemm: the last product in full), after this worker's run */
	if (set_up && rc == MPI_SUCCESS && !fin.err && c->w->after_run) {
		fin.err = c->w->after_run(&wc, fin.msg, sizeof(fin.msg));
		if (fin.err && !fin.msg[0])
			snprintf(fin.msg, sizeof(fin.msg), "check: %s", strerror(-fin.err));
	}
	fin.lib_threads = wc.lib_threads;
	if (set_up && c->w->teardown)
		c->w->teardown(&wc);
	if (rc != MPI_SUCCESS && !fin.err) {
		fin.err = -EIO;
		mpi_errtext(rc, fin.msg, sizeof(fin.msg));
	}
	rc = MPI_Send(&fin, sizeof(fin), MPI_BYTE, 0, TAG_FINAL, c->comm);
	free(up);
	return rc == MPI_SUCCESS ? 0 : 3;
}

/* Rank 0's record of the run. Times are CLOCK_REALTIME seconds. */
struct coord {
	double *ready_t;          /* per worker: when its MPI_Init returned */
	struct up_msg *fin;       /* per worker: its totals */
	double *results;
	char *outputs;
	char status[SL_STATUS_LEN];
	double t_all_ready;       /* the last ready message arrived */
	double t_go, t_end;       /* the run phase: dispatch begins .. the last result is in */
	struct usage self;        /* rank 0's own usage during the run phase */
};

static void coord_fail(struct coord *k, const char *prefix, const char *msg)
{
	if (strcmp(k->status, "ok") == 0)
		snprintf(k->status, sizeof(k->status), "%s%.150s", prefix, msg);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Every worker's ready message (setup done, or failed). */
static int coord_gather_ready(struct rank_ctx *c, struct coord *k)
{
	for (int got = 0; got < c->P; got++) {
		MPI_Status st;
		struct up_msg u;
		int rc = wait_up(c, TAG_UP, &st);

		if (rc == MPI_SUCCESS)
			rc = MPI_Recv(&u, sizeof(u), MPI_BYTE, st.MPI_SOURCE, TAG_UP, c->comm, MPI_STATUS_IGNORE);
		if (rc != MPI_SUCCESS)
			return rc;
		if (u.kind != UP_READY)
			coord_fail(k, "error:", "a worker spoke before it was ready");
		else
			k->ready_t[st.MPI_SOURCE - 1] = u.t;
		if (u.err)
			coord_fail(k, "error:", u.msg);
	}
	k->t_all_ready = sl_wall_clock();
	return MPI_SUCCESS;
}

/* Every worker's totals, sent after its last task. */
static int coord_gather_final(struct rank_ctx *c, struct coord *k)
{
	for (int i = 0; i < c->P; i++) {
		MPI_Status st;
		struct up_msg *f;
		int rc = wait_up(c, TAG_FINAL, &st);

		if (rc != MPI_SUCCESS)
			return rc;
		f = &k->fin[st.MPI_SOURCE - 1];
		rc = MPI_Recv(f, sizeof(*f), MPI_BYTE, st.MPI_SOURCE, TAG_FINAL, c->comm, MPI_STATUS_IGNORE);
		if (rc != MPI_SUCCESS)
			return rc;
		if (f->err)
			coord_fail(k, "error:", f->msg);
	}
	return MPI_SUCCESS;
}

/* Fill a chunk message for the next tasks, or a stop; returns its length. */
static int coord_next(struct rank_ctx *c, struct coord *k, char *send, int64_t *next)
{
	struct down_msg *d = (struct down_msg *)send;

	memset(d, 0, sizeof(*d));
	if (strcmp(k->status, "ok") != 0 || *next >= c->ntasks) {
		d->kind = DOWN_STOP;
		return sizeof(*d);
	}
	d->kind = DOWN_CHUNK;
	d->first = *next;
	d->count = c->ntasks - *next < c->chunk ? c->ntasks - *next : c->chunk;
	for (int64_t i = 0; i < d->count && c->in_b; i++)
		c->w->make_input(&c->s, (long)(*next + i), send + sizeof(*d) + (size_t)i * c->in_b);
	*next += d->count;
	return (int)(sizeof(*d) + (size_t)d->count * c->in_b);
}

/* Rank 0, dispatch = pipe: once every worker is ready, answer each request with a chunk or stop. */
static int coord_pipe(struct rank_ctx *c, struct coord *k)
{
	size_t cap = 0, scap = sizeof(struct down_msg) + (size_t)c->chunk * c->in_b;
	char *buf = NULL, *send = malloc(scap);
	int64_t next = 0, done = 0;
	int stopped = 0, rc;
	struct usage u0, u1;

	if (!send)
		return MPI_ERR_NO_MEM;
	rc = coord_gather_ready(c, k);
	usage_now(&u0);
	k->t_go = sl_wall_clock();
	/* the ready messages were the first requests */
	for (int i = 1; i <= c->P && rc == MPI_SUCCESS; i++) {
		int slen = coord_next(c, k, send, &next);

		if (((struct down_msg *)send)->kind == DOWN_STOP)
			stopped++;
		rc = MPI_Send(send, slen, MPI_BYTE, i, TAG_DOWN, c->comm);
	}
	while (rc == MPI_SUCCESS && stopped < c->P) {
		MPI_Status st;
		struct up_msg *u;
		int len, slen;

		rc = wait_up(c, TAG_UP, &st);
		if (rc == MPI_SUCCESS)
			rc = recv_sized(c->comm, &st, &buf, &cap, &len);
		if (rc != MPI_SUCCESS)
			break;
		u = (struct up_msg *)buf;
		if (u->kind == UP_RESULT && u->first >= 0 && u->count >= 0 && u->first + u->count <= c->ntasks) {
			memcpy(k->results + u->first, buf + sizeof(*u), (size_t)u->count * sizeof(double));
			if (c->out_b)
				memcpy(k->outputs + (size_t)u->first * c->out_b,
				       buf + sizeof(*u) + (size_t)u->count * sizeof(double),
				       (size_t)u->count * c->out_b);
			done += u->count;
			if (done == c->ntasks)
				k->t_end = sl_wall_clock();
		} else {
			coord_fail(k, "error:", "bad message from a worker");
		}
		if (u->err)
			coord_fail(k, "error:", u->msg);
		slen = coord_next(c, k, send, &next);
		if (((struct down_msg *)send)->kind == DOWN_STOP)
			stopped++;
		rc = MPI_Send(send, slen, MPI_BYTE, st.MPI_SOURCE, TAG_DOWN, c->comm);
	}
	usage_now(&u1);
	k->self = usage_delta(&u0, &u1);
	if (rc == MPI_SUCCESS)
		rc = coord_gather_final(c, k);
	free(buf);
	free(send);
	return rc;
}

/* Rank 0, dispatch = shm: once every worker is ready, release them together; they help themselves. */
static int coord_shm(struct rank_ctx *c, struct coord *k)
{
	struct usage u0, u1;
	int rc = MPI_Win_lock_all(MPI_MODE_NOCHECK, c->win);

	if (rc == MPI_SUCCESS)
		rc = coord_gather_ready(c, k);
	if (rc == MPI_SUCCESS && strcmp(k->status, "ok") != 0) {
		/* a worker could not set up: nobody runs anything */
		int64_t end = c->ntasks, old;

		rc = MPI_Fetch_and_op(&end, &old, MPI_INT64_T, 0, 0, MPI_REPLACE, c->win);
		if (rc == MPI_SUCCESS)
			rc = MPI_Win_flush(0, c->win);
	}
	if (rc == MPI_SUCCESS)
		rc = MPI_Barrier(c->comm);
	usage_now(&u0);
	k->t_go = sl_wall_clock();
	if (rc == MPI_SUCCESS)
		rc = coord_gather_final(c, k);
	k->t_end = sl_wall_clock();
	usage_now(&u1);
	k->self = usage_delta(&u0, &u1);
	if (rc == MPI_SUCCESS) {
		/* every worker flushed its puts before its totals: make them visible here */
		rc = MPI_Win_sync(c->win);
		memcpy(k->results, c->base + c->off_res, (size_t)c->ntasks * sizeof(double));
		if (c->out_b)
			memcpy(k->outputs, c->base + c->off_out, (size_t)c->ntasks * c->out_b);
		MPI_Win_unlock_all(c->win);
	}
	return rc;
}

/* Print rank 0's result line: status, the time shutdown began, and every metric it measured. */
static void coord_report(double t_stop, const char *status, const struct sl_metrics *m)
{
	char *line = NULL, *enc = pct_encode(status);
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);

	if (!f || !enc) {
		/* a bare line still tells the plain side what happened */
		printf(RESULT_MARK "status=error%%3Aout%%20of%%20memory\n");
		fflush(stdout);
		if (f)
			fclose(f);
		free(line);
		free(enc);
		return;
	}
	fprintf(f, RESULT_MARK "status=%s stop_t=%.6f", enc, t_stop);
	for (size_t i = 0; i < sl_metric_ncolumns; i++) {
		double v = sl_metric_get(m, &sl_metric_columns[i]);

		fprintf(f, " %s=", sl_metric_columns[i].name);
		if (!isnan(v))
			fprintf(f, "%.9g", v);
	}
	fputc('\n', f);
	fclose(f);
	fflush(stdout);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(1, line + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(line);
	free(enc);
}

/* The metrics of the run, defined as the pool defines them (pool.c): times, CPU and context
 * switches cover the run phase (all workers ready .. last result), start-up is in start_latency_ms
 * (launch .. each worker's MPI_Init done, median) and pool_start_ms (launch .. all set up). */
static void coord_metrics(struct rank_ctx *c, struct coord *k, struct sl_metrics *m)
{
	double *lat = calloc((size_t)c->P, sizeof(double));
	double busy_sum = 0, busy_max = 0, rss_max = NAN, thr_max = NAN, thr_sum = 0, lib_max = NAN;
	int32_t self_threads = 0;
	int nlat = 0;

	threads_sample(&self_threads);
	m->cpu_user_s = k->self.user_s;
	m->cpu_sys_s = k->self.sys_s;
	m->ctx_vol = k->self.nvcsw;
	m->ctx_invol = k->self.nivcsw;
	if (self_threads > 0)
		thr_sum = self_threads;
	for (int i = 0; i < c->P; i++) {
		const struct up_msg *f = &k->fin[i];

		if (lat && !isnan(k->ready_t[i]))
			lat[nlat++] = (k->ready_t[i] - c->t_launch) * 1e3;
		if (f->kind != UP_FINAL)
			continue;
		m->cpu_user_s += f->run.user_s;
		m->cpu_sys_s += f->run.sys_s;
		m->ctx_vol += f->run.nvcsw;
		m->ctx_invol += f->run.nivcsw;
		busy_sum += f->busy_s;
		if (f->busy_s > busy_max)
			busy_max = f->busy_s;
		if (!(f->run.maxrss_kb / 1024 <= rss_max))
			rss_max = f->run.maxrss_kb / 1024;
		if (f->threads_peak > 0) {
			if (!(f->threads_peak <= thr_max))
				thr_max = f->threads_peak;
			thr_sum += f->threads_peak;
		}
		if (f->lib_threads > 0 && !(f->lib_threads <= lib_max))
			lib_max = f->lib_threads;
	}
	if (nlat == c->P && lat) {
		qsort(lat, (size_t)nlat, sizeof(double), cmp_double);
		m->start_latency_ms = nlat % 2 ? lat[nlat / 2] : (lat[nlat / 2 - 1] + lat[nlat / 2]) / 2;
	}
	free(lat);
	if (!isnan(k->t_all_ready))
		m->pool_start_ms = (k->t_all_ready - c->t_launch) * 1e3;
	m->rss_peak_mb = rss_max;
	m->threads_peak = thr_max;
	m->threads_total_peak = thr_sum > 0 ? thr_sum : NAN;
	m->threads_lib = lib_max;
	if (strcmp(k->status, "ok") != 0 || isnan(k->t_end)) {
		/* a failed run has no run phase to compare */
		m->cpu_user_s = m->cpu_sys_s = m->ctx_vol = m->ctx_invol = NAN;
		return;
	}
	m->wall_s = k->t_end - k->t_go;
	if (m->wall_s > 0)
		m->cores_busy = (m->cpu_user_s + m->cpu_sys_s) / m->wall_s;
	if (busy_sum > 0)
		m->imbalance = busy_max / (busy_sum / c->P);
	/* with tasks that do nothing, the run phase is all dispatch */
	if (strcmp(c->w->name, "empty") == 0)
		m->dispatch_us_per_task = m->wall_s / (double)c->ntasks * 1e6;
	if (c->w->flops_per_task && m->wall_s > 0) {
		double fl = c->w->flops_per_task(&c->s);

		if (fl > 0)
			m->gflops = fl * (double)c->ntasks / m->wall_s / 1e9;
	}
}

/* Rank 0: run the whole repetition and print its result line. */
static int coord_main(struct rank_ctx *c)
{
	struct coord k = { .t_all_ready = NAN, .t_go = NAN, .t_end = NAN };
	struct sl_metrics m;
	int rc = MPI_SUCCESS;

	strcpy(k.status, "ok");
	sl_metrics_clear(&m);
	k.ready_t = malloc((size_t)c->P * sizeof(double));
	k.fin = calloc((size_t)c->P, sizeof(struct up_msg));
	k.results = malloc((size_t)c->ntasks * sizeof(double));
	k.outputs = c->out_b ? malloc((size_t)c->ntasks * c->out_b) : NULL;
	if (!k.ready_t || !k.fin || !k.results || (c->out_b && !k.outputs)) {
		coord_fail(&k, "error:", "rank 0: out of memory");
		rc = MPI_ERR_NO_MEM;
		goto out_report;
	}
	for (int i = 0; i < c->P; i++)
		k.ready_t[i] = NAN;
	for (long i = 0; i < c->ntasks; i++)
		k.results[i] = NAN;
	rc = c->shm ? coord_shm(c, &k) : coord_pipe(c, &k);
	if (rc != MPI_SUCCESS) {
		char t[160];

		mpi_errtext(rc, t, sizeof(t));
		coord_fail(&k, "error:", t);
	}
	if (strcmp(k.status, "ok") == 0 && c->w->verify) {
		char msg[SL_STATUS_LEN] = "";

		if (c->w->verify(&c->s, c->ntasks, k.results, k.outputs, msg, sizeof(msg)) != 0)
			coord_fail(&k, "error:", msg[0] ? msg : "results failed the check");
	}
	coord_metrics(c, &k, &m);
	/* figures the workload measured inside its tasks (GPU time, bandwidth), after our own */
	if (strcmp(k.status, "ok") == 0 && c->w->metrics)
		c->w->metrics(&c->s, c->ntasks, k.results, k.outputs, &m);

out_report:
	/* shutdown begins now: pool_stop_ms runs from here to the launcher reaped */
	coord_report(sl_wall_clock(), k.status, &m);
	free(k.ready_t);
	free(k.fin);
	free(k.results);
	free(k.outputs);
	return rc;
}

/* Read this rank's arguments: --launch T0 --tag PID --setting TEXT. */
static int rank_args(int argc, char **argv, struct rank_ctx *c, char *msg, size_t msglen)
{
	char *text = NULL;
	int err;

	c->t_launch = NAN;
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc) {
			snprintf(msg, msglen, "option '%s' needs a value", argv[i]);
			return -EINVAL;
		}
		if (strcmp(argv[i], "--launch") == 0) {
			if (!sl_parse_double(argv[++i], &c->t_launch)) {
				snprintf(msg, msglen, "bad --launch '%s'", argv[i]);
				return -EINVAL;
			}
		} else if (strcmp(argv[i], "--tag") == 0) {
			i++;    /* only there so tests and users can tell whose ranks these are */
		} else if (strcmp(argv[i], "--setting") == 0) {
			text = argv[++i];
		} else {
			snprintf(msg, msglen, "unknown option '%s'", argv[i]);
			return -EINVAL;
		}
	}
	if (!text || isnan(c->t_launch)) {
		snprintf(msg, msglen, "usage: speedlab __mpi --launch T0 --tag PID --setting TEXT");
		return -EINVAL;
	}
	text = strdup(text);
	if (!text || !pct_decode(text)) {
		free(text);
		snprintf(msg, msglen, "bad --setting encoding");
		return -EINVAL;
	}
	err = sl_setting_read(&c->s, text, msg, msglen);
	free(text);
	return err;
}

static const struct sl_workload_ops *find_workload(const char *name,
						   const struct sl_workload_ops *const *extra)
{
	for (; extra && *extra; extra++)
		if (strcmp((*extra)->name, name) == 0)
			return *extra;
	return sl_workload_find(name);
}

/* Everything every rank must agree on before the run; msg says what is wrong. */
static int rank_prepare(struct rank_ctx *c, const struct sl_workload_ops *const *extra, char *msg,
			size_t msglen)
{
	c->w = find_workload(c->s.workload, extra);
	if (!c->w || !c->w->run_task) {
		snprintf(msg, msglen, "unknown workload '%s'", c->s.workload);
		return -EINVAL;
	}
	if (c->w->unimplemented_reason) {
		snprintf(msg, msglen, "workload %s: %s", c->w->name, c->w->unimplemented_reason);
		return -EINVAL;
	}
	if (c->P != c->s.processes) {
		snprintf(msg, msglen, "the launcher started %d ranks, expected %d", c->size,
			 c->s.processes + 1);
		return -EINVAL;
	}
	c->ntasks = sl_workload_ntasks(c->w, &c->s);
	c->in_b = c->w->task_in_bytes ? c->w->task_in_bytes(&c->s) : 0;
	c->out_b = c->w->task_out_bytes ? c->w->task_out_bytes(&c->s) : 0;
	if (c->in_b && !c->w->make_input) {
		snprintf(msg, msglen, "workload %s has inputs but no make_input", c->w->name);
		return -EINVAL;
	}
	c->chunk = c->s.chunksize > 0 ? c->s.chunksize : 1;
	if (c->ntasks < 1) {
		snprintf(msg, msglen, "no tasks");
		return -EINVAL;
	}
	if ((size_t)c->chunk * (c->in_b > c->out_b ? c->in_b : c->out_b) > (size_t)1 << 30) {
		snprintf(msg, msglen, "a chunk moves more than 1 GiB: use a smaller chunksize");
		return -EINVAL;
	}
	c->shm = strcmp(c->s.dispatch, "shm") == 0;
	return 0;
}

/* shm: rank 0 exposes the counter, results, outputs and inputs (all inputs made up front). */
static int window_create(struct rank_ctx *c)
{
	MPI_Aint size = 0;
	int rc;

	c->off_res = 8;
	c->off_out = c->off_res + (MPI_Aint)c->ntasks * 8;
	c->off_in = c->off_out + (MPI_Aint)((size_t)c->ntasks * c->out_b);
	if (c->rank == 0)
		size = c->off_in + (MPI_Aint)((size_t)c->ntasks * c->in_b);
	rc = MPI_Win_allocate(size, 1, MPI_INFO_NULL, c->comm, &c->base, &c->win);
	if (rc != MPI_SUCCESS)
		return rc;
	if (c->rank == 0) {
		memset(c->base, 0, (size_t)c->off_in);
		for (long t = 0; t < c->ntasks && c->in_b; t++)
			c->w->make_input(&c->s, t, c->base + c->off_in + (size_t)t * c->in_b);
	}
	/* nobody claims a chunk before the counter and the inputs are there */
	return MPI_Barrier(c->comm);
}

long sl_mpi_srun_local_tasks(void)
{
	const char *list = getenv("SLURM_STEP_TASKS_PER_NODE"), *id = getenv("SLURM_NODEID");
	long node, n, times;
	char *end;

	if (!list || !id || getenv("OMPI_COMM_WORLD_SIZE") || !sl_parse_long(id, &node) || node < 0)
		return 0;
	for (const char *p = list; *p;) {
		n = strtol(p, &end, 10);
		if (end == p || n < 0)
			return 0;
		times = 1;
		if (strncmp(end, "(x", 2) == 0) {
			times = strtol(end + 2, &end, 10);
			if (*end++ != ')' || times < 1)
				return 0;
		}
		if (node < times)
			return n;
		node -= times;
		if (*end != ',')
			return 0;
		p = end + 1;
	}
	return 0;
}

int sl_mpi_rank_run(int argc, char **argv, const struct sl_workload_ops *const *extra)
{
	struct rank_ctx *c = calloc(1, sizeof(*c));
	char msg[SL_STATUS_LEN] = "";
	int err, rc, ret = 0, provided;

	if (!c) {
		sl_err("__mpi: out of memory");
		return 3;
	}
	err = rank_args(argc, argv, c, msg, sizeof(msg));
	/* More ranks than CPUs on a node: waiting ranks must yield the CPU, or their busy polling starves
	 * the others (MPI_Win_allocate took 1.4 s instead of 1 ms for 4 ranks on 2 CPUs). mpirun decides
	 * that from its slots (--oversubscribe); srun's ranks learn only Slurm's CPU count, so each rank
	 * decides from the node's CPUs, unless the user set it. */
	if (sl_mpi_srun_local_tasks() > sysconf(_SC_NPROCESSORS_ONLN))
		setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
	rc = MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
	if (rc != MPI_SUCCESS) {
		sl_err("__mpi: MPI_Init failed");
		free(c);
		return 3;
	}
	c->t_entry = sl_wall_clock();
	c->comm = MPI_COMM_WORLD;
	MPI_Comm_set_errhandler(c->comm, MPI_ERRORS_RETURN);
	MPI_Comm_rank(c->comm, &c->rank);
	MPI_Comm_size(c->comm, &c->size);
	c->P = c->size - 1;
	if (!err)
		err = rank_prepare(c, extra, msg, sizeof(msg));
	if (!err && c->shm && (rc = window_create(c)) != MPI_SUCCESS) {
		mpi_errtext(rc, msg, sizeof(msg));
		err = -EIO;
	}
	if (err) {
		/* every rank sees the same arguments, so every rank stops here; rank 0 says why */
		if (c->rank == 0) {
			char status[SL_STATUS_LEN];
			struct sl_metrics m;

			sl_metrics_clear(&m);
			snprintf(status, sizeof(status), "error:%.150s", msg);
			coord_report(sl_wall_clock(), status, &m);
		}
		goto out_finalize;
	}
	if (c->rank == 0)
		rc = coord_main(c);
	else
		ret = worker_main(c);
	if (c->shm)
		MPI_Win_free(&c->win);
	if (c->rank == 0 && rc != MPI_SUCCESS) {
		/* a worker is gone or unreachable: do not wait for it in MPI_Finalize */
		MPI_Abort(c->comm, 3);
	}
out_finalize:
	MPI_Finalize();
	free(c);
	return ret;
}

#else /* SL_MPI_LAUNCH_ONLY: speedlab itself; its ranks run build/speedlab-mpi */

int sl_mpi_rank_run(int argc, char **argv, const struct sl_workload_ops *const *extra)
{
	(void)argc; (void)argv; (void)extra;
	sl_err("__mpi: this speedlab launches ranks only; they run speedlab-mpi");
	return SL_EXIT_USAGE;
}

#endif /* SL_MPI_LAUNCH_ONLY */
#endif /* SL_HAVE_MPI */
