/* command.c: runs an external command (the user's own program, or a Python peer) with the axes in
 * its environment, once per run (measuring its whole process tree) or once per task in the pool.
 *
 * Protocol, for the command's author:
 *   - It runs as `/bin/sh -c CMD`, stdin from /dev/null; per run in a process group of its own,
 *     per task in its worker's (the pool's), so that what kills the group kills everything the
 *     command started, children it forked and then left included.
 *   - Its environment holds the axes: SPEEDLAB_PROCESSES, SPEEDLAB_CHUNKSIZE (as written: a
 *     number, or `auto`, Python's rule ceil(N/(4P)) that the command applies to its own N),
 *     SPEEDLAB_START_METHOD, SPEEDLAB_THREADS (`unset`, or the count, `auto` resolved as
 *     logical CPUs / processes), SPEEDLAB_THREAD_API, SPEEDLAB_DISPATCH,
 *     SPEEDLAB_DEVICE, SPEEDLAB_BLAS, SPEEDLAB_AFFINITY, SPEEDLAB_MEM_POLICY, SPEEDLAB_CONFIG,
 *     per run SPEEDLAB_AFFINITY_PLAN (the CPU list of each of its SPEEDLAB_PROCESSES workers,
 *     `;`-separated, "0;1"; empty for affinity none: per run the command places its own workers;
 *     per task the worker running it is already bound), and every workload parameter as
 *     SPEEDLAB_PARAM_<NAME> (upper case); per task also SPEEDLAB_TASK and SPEEDLAB_WORKER. With
 *     thread_api = env and threads set, OPENBLAS/OMP/GOTO/MKL_NUM_THREADS are set as for workers.
 *   - per = run: speedlab measures the whole tree (wall time to exit; CPU time, context switches
 *     and peak RSS from wait4, which include every descendant the command waited for). Lines on
 *     stdout of the form `@speedlab key=value [key=value ...]` report the command's own metrics,
 *     keys being runs.csv metric columns (wall_s for its measured section, dispatch_us_per_task,
 *     start_latency_ms, threads_peak, gflops, ...); a reported value replaces speedlab's. Other
 *     stdout lines are discarded; stderr passes through.
 *   - Past the experiment's timeout the whole process group is killed (status hang); death by a
 *     signal is crash:SIG..., exit 77 skipped:<its last stderr line>, any other non-zero exit
 *     error:exit N: <its last stderr line>. Anything still running in the group when the command exits is killed too.
 *   - per = task: each task runs the command once inside a pool worker (stdout goes to stderr);
 *     the run is correct when every task exits 0. A hang, a crash or Ctrl-C kills the pool's
 *     process group, commands and their descendants with the workers; what a command leaves
 *     running when it exits is killed by its worker. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/blas.h"
#include "experiment/axis.h"
#include "monitor/monitor.h"
#include "sys/placement.h"
#include "monitor/metrics.h"
#include "core/workload.h"

extern char **environ;

#define LINE_MAX_LEN 4096
#define MAX_WARNINGS 5

static bool per_task(const struct sl_setting *s)
{
	return strcmp(sl_setting_text(s, "per", "run"), "task") == 0;
}

/* ---- the environment of the command ---- */

struct env {
	char **vars;
	int n, cap;
};

/* Add or replace "NAME=value". Returns 0 or -ENOMEM. */
static int env_put(struct env *e, const char *name, const char *value)
{
	size_t nl = strlen(name);
	char *v;

	if (asprintf(&v, "%s=%s", name, value) < 0)
		return -ENOMEM;
	for (int i = 0; i < e->n; i++)
		if (strncmp(e->vars[i], name, nl) == 0 && e->vars[i][nl] == '=') {
			free(e->vars[i]);
			e->vars[i] = v;
			return 0;
		}
	if (e->n + 2 > e->cap) {
		int cap = e->cap ? 2 * e->cap : 64;
		char **vars = realloc(e->vars, (size_t)cap * sizeof(*vars));

		if (!vars) {
			free(v);
			return -ENOMEM;
		}
		e->vars = vars;
		e->cap = cap;
	}
	e->vars[e->n++] = v;
	e->vars[e->n] = NULL;
	return 0;
}

static void env_free(struct env *e)
{
	for (int i = 0; i < e->n; i++)
		free(e->vars[i]);
	free(e->vars);
	memset(e, 0, sizeof(*e));
}

static int env_put_long(struct env *e, const char *name, long value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", value);
	return env_put(e, name, buf);
}

static int env_put_axis(void *e, const char *name, const char *value)
{
	return env_put(e, name, value);
}

/* This process's environment plus the setting's variables; task < 0 for per = run. */
static int env_build(struct env *e, const struct sl_setting *s, long task, int worker)
{
	char threads[8][64];
	int rc = 0, nthreads;

	memset(e, 0, sizeof(*e));
	for (char **v = environ; v && *v && !rc; v++) {
		char *eq = strchr(*v, '='), name[256];

		if (!eq || (size_t)(eq - *v) >= sizeof(name))
			continue;
		memcpy(name, *v, (size_t)(eq - *v));
		name[eq - *v] = '\0';
		rc = env_put(e, name, eq + 1);
	}
	/* the axes, each as its row of the axis table names it (SPEEDLAB_PROCESSES, ...) */
	rc = rc ? rc : sl_axis_env(s, env_put_axis, e);
	if (task < 0 && !rc) {
		/* per run the command is its own process manager: it places its workers by this plan */
		char plan[1024] = "", cpus[256], msg[256];
		size_t used = 0;

		for (int i = 0; i < s->processes && used + 2 < sizeof(plan); i++) {
			if (sl_placement_worker_cpus(s, i, s->processes, cpus, sizeof(cpus), msg, sizeof(msg)) != 1)
				break;
			used += (size_t)snprintf(plan + used, sizeof(plan) - used, "%s%s", i ? ";" : "", cpus);
		}
		rc = env_put(e, "SPEEDLAB_AFFINITY_PLAN", used < sizeof(plan) ? plan : "");
	}
	rc = rc ? rc : env_put_long(e, "SPEEDLAB_CONFIG", s->config);
	for (int i = 0; i < s->nparams && !rc; i++) {
		char name[SL_NAME_LEN + 32];
		size_t k = strlen("SPEEDLAB_PARAM_");

		memcpy(name, "SPEEDLAB_PARAM_", k);
		for (const char *c = s->params[i].name; *c && k < sizeof(name) - 1; c++)
			name[k++] = (*c >= 'a' && *c <= 'z') ? (char)(*c - 'a' + 'A')
				  : ((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')) ? *c : '_';
		name[k] = '\0';
		rc = env_put(e, name, s->params[i].text);
	}
	if (task >= 0) {
		rc = rc ? rc : env_put_long(e, "SPEEDLAB_TASK", task);
		rc = rc ? rc : env_put_long(e, "SPEEDLAB_WORKER", worker);
	}
	nthreads = sl_threads_env(s, threads, (int)(sizeof(threads) / sizeof(threads[0])));
	for (int i = 0; i < nthreads && !rc; i++) {
		char *eq = strchr(threads[i], '=');

		*eq = '\0';
		rc = env_put(e, threads[i], eq + 1);
	}
	if (rc)
		env_free(e);
	return rc;
}

/* ---- starting and reaping ---- */

/* A command line with none of the shell's syntax runs without a shell (like hyperfine -N): split
 * at blanks, its program looked up on the command's PATH before fork. */
#define SHELL_CHARS "|&;<>()$`\\\"'*?[]#~=%{}!\n"

struct plain_cmd {
	char path[4096];
	char *argv[64];
	char buf[SL_VALUE_LEN];
};

/* Fill pc when cmd can run without a shell; false when it needs one (shell syntax, too many
 * words, or a program not found: the shell then says so, exit 127). Never fails. */
static bool plain_command(const char *cmd, char **envp, struct plain_cmd *pc)
{
	const char *pathvar = "/usr/local/bin:/usr/bin:/bin";
	int n = 0;

	if (!cmd[0] || strpbrk(cmd, SHELL_CHARS) || strlen(cmd) >= sizeof(pc->buf))
		return false;
	snprintf(pc->buf, sizeof(pc->buf), "%s", cmd);
	for (char *save = NULL, *w = strtok_r(pc->buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n >= 63)
			return false;
		pc->argv[n++] = w;
	}
	pc->argv[n] = NULL;
	if (n == 0)
		return false;
	if (strchr(pc->argv[0], '/')) {
		snprintf(pc->path, sizeof(pc->path), "%s", pc->argv[0]);
		return access(pc->path, X_OK) == 0;
	}
	for (char **e = envp; e && *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			pathvar = *e + 5;
	for (const char *p = pathvar; *p;) {
		size_t len = strcspn(p, ":");

		snprintf(pc->path, sizeof(pc->path), "%.*s/%s", (int)(len ? len : 1), len ? p : ".", pc->argv[0]);
		if (access(pc->path, X_OK) == 0)
			return true;
		p += len + (p[len] == ':');
	}
	return false;
}

/* Say once per process that a command with shell syntax has the shell's start-up in its times. */
static void note_shell(const char *cmd)
{
	static bool said;

	if (said)
		return;
	said = true;
	sl_warn("command: '%s' has shell syntax, so it runs under /bin/sh -c: the shell's start-up (about a "
		"millisecond) is inside every time measured (a command without it runs directly)", cmd);
}

/* Fork `/bin/sh -c cmd`. stdout goes to out_fd (or to stderr when out_fd < 0), stderr to err_fd
 * (or stays when err_fd < 0). Per run (in_worker false) the child leads a new process group; in a
 * pool worker it stays in the worker's group, which the pool kills on a hang, a crash or Ctrl-C
 * (its own group would outlive that kill, its descendants orphaned), and it gets SIGKILL when the
 * worker dies. Returns the pid, or -errno. Between fork and exec the child calls only
 * async-signal-safe functions: the coordinator may have other threads. */
static pid_t spawn_command(const char *cmd, char **envp, int out_fd, int err_fd, bool in_worker,
			   const cpu_set_t *cpus)
{
	pid_t parent = getpid(), pid;
	struct plain_cmd *pc = malloc(sizeof(*pc));
	bool plain = pc && plain_command(cmd, envp, pc);

	pid = fork();
	if (pid < 0) {
		free(pc);
		return -errno;
	}
	if (pid == 0) {
		int null;

		if (!in_worker) {
			setpgid(0, 0);
		} else {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(127);
		}
		/* the coordinator is pinned (coordinator_cpus): the command gets the sweep's CPUs back */
		if (cpus && sched_setaffinity(0, sizeof(*cpus), cpus) < 0)
			_exit(127);
		null = open("/dev/null", O_RDONLY);
		if (null >= 0 && null != 0) {
			dup2(null, 0);
			close(null);
		}
		if (dup2(out_fd >= 0 ? out_fd : 2, 1) < 0)
			_exit(127);
		if (err_fd >= 0 && dup2(err_fd, 2) < 0)
			_exit(127);
		if (plain)
			execve(pc->path, pc->argv, envp);
		else
			execve("/bin/sh", (char *[]){ "sh", "-c", (char *)cmd, NULL }, envp);
		_exit(127);
	}
	free(pc);
	if (!in_worker)
		setpgid(pid, pid);   /* also here, so the group exists before anyone signals it */
	return pid;
}

/* After the leader exited (still unreaped, so its group id cannot be reused): kill what is left
 * of its group, reap the leader with its rusage, then reap the rest (they were re-parented to
 * us: we are their subreaper). Returns the leader's wait status. Never fails. */
static int reap_group(pid_t pid, struct rusage *ru)
{
	int status = 0;

	kill(-pid, SIGKILL);
	while (wait4(pid, &status, 0, ru) < 0 && errno == EINTR)
		;
	while (waitpid(-pid, NULL, 0) > 0 || errno == EINTR)
		;
	return status;
}

/* Up to max pids of this process's children, into pids; returns how many. One system call when
 * there are none (the common case), else a look through /proc. Never fails. */
static int own_children(pid_t *pids, int max)
{
	siginfo_t si;
	pid_t self = getpid();
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return 0;                /* ECHILD: no child at all */
	d = opendir("/proc");
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		struct sl_proc_stat st;
		long pid;

		if (sl_parse_long(e->d_name, &pid) && sl_proc_stat((pid_t)pid, &st) && st.ppid == self)
			pids[n++] = (pid_t)pid;
	}
	closedir(d);
	return n;
}

/* After a task's command exited (unreaped): reap it, then kill and reap whatever it left running.
 * Those are this worker's children, or become so as their parents die: the worker is their
 * subreaper, and nothing else in it starts processes. Returns the command's wait status. Never
 * fails. */
static int reap_task(pid_t pid)
{
	pid_t left[64];
	int status = 0, n;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	while ((n = own_children(left, 64)) > 0) {
		for (int i = 0; i < n; i++)
			kill(left[i], SIGKILL);
		for (int i = 0; i < n; i++)
			while (waitpid(left[i], NULL, 0) < 0 && errno == EINTR)
				;
	}
	return status;
}

/* Block until pid exits, without reaping it. Never fails (returns on ECHILD). */
static void wait_exit_keep(pid_t pid)
{
	siginfo_t si;

	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
}

static void status_text(int status, bool timed_out, const char *last_err, char *out, size_t len)
{
	if (timed_out)
		snprintf(out, len, "hang");
	else if (WIFSIGNALED(status))
		snprintf(out, len, "crash:SIG%s", sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "UNKNOWN");
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		snprintf(out, len, "skipped:%s", last_err && last_err[0] ? last_err : "the command exited 77");
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		/* the last stderr line says why, in the status that runs.csv keeps */
		snprintf(out, len, "error:exit %d%s%s%s", WEXITSTATUS(status),
			 WEXITSTATUS(status) == 127 ? " (command not found?)" : "", last_err && last_err[0] ? ": " : "",
			 last_err ? last_err : "");
	else
		snprintf(out, len, "ok");
}

/* ---- the @speedlab lines ---- */

struct report {
	struct sl_metrics got;       /* NAN: not reported */
	int warnings;
};

static const struct sl_metric_column *metric_find(const char *name)
{
	for (size_t i = 0; i < sl_metric_ncolumns; i++)
		if (strcmp(sl_metric_columns[i].name, name) == 0)
			return &sl_metric_columns[i];
	return NULL;
}

static void report_warn_key(struct report *r, const char *key)
{
	const char *names[64];
	const char *near;
	size_t k = 0;

	if (r->warnings++ >= MAX_WARNINGS)
		return;
	for (size_t i = 0; i < sl_metric_ncolumns && k < 63; i++)
		names[k++] = sl_metric_columns[i].name;
	names[k] = NULL;
	near = sl_did_you_mean(key, names);
	if (near)
		sl_warn("command: unknown metric '%s' in an @speedlab line (did you mean '%s'?)", key, near);
	else
		sl_warn("command: unknown metric '%s' in an @speedlab line", key);
}

/* One stdout line: `@speedlab key=value ...` sets metrics; anything else is ignored. */
static void report_line(struct report *r, char *line)
{
	char *save = NULL, *tok;

	if (strncmp(line, "@speedlab", 9) != 0 || (line[9] != ' ' && line[9] != '\t' && line[9] != '\0'))
		return;
	for (tok = strtok_r(line + 9, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
		char *eq = strchr(tok, '=');
		const struct sl_metric_column *c;
		double v;

		if (!eq) {
			if (r->warnings++ < MAX_WARNINGS)
				sl_warn("command: '%s' in an @speedlab line is not key=value", tok);
			continue;
		}
		*eq = '\0';
		c = metric_find(tok);
		if (!c) {
			report_warn_key(r, tok);
			continue;
		}
		/* every metric is a count, a time, a size or a rate: a negative or infinite one is refused */
		if (!sl_parse_double(eq + 1, &v) || !isfinite(v) || v < 0) {
			if (r->warnings++ < MAX_WARNINGS)
				sl_warn("command: @speedlab %s=%s is not a number of 0 or more (not recorded)", tok, eq + 1);
			continue;
		}
		*(double *)((char *)&r->got + c->offset) = v;
	}
}

/* Feed bytes of stdout; whole lines go to report_line, over-long ones are cut. */
struct liner {
	char buf[LINE_MAX_LEN];
	size_t len;
	bool overflow;
};

static void liner_feed(struct liner *l, struct report *r, const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n') {
			l->buf[l->len] = '\0';
			if (!l->overflow)
				report_line(r, l->buf);
			l->len = 0;
			l->overflow = false;
		} else if (l->len < sizeof(l->buf) - 1) {
			l->buf[l->len++] = data[i];
		} else {
			l->overflow = true;
		}
	}
}

static void liner_finish(struct liner *l, struct report *r)
{
	if (l->len && !l->overflow) {
		l->buf[l->len] = '\0';
		report_line(r, l->buf);
	}
	l->len = 0;
}

/* The command's stderr: passed on to ours as it comes, its last non-empty line kept (the reason
 * of a skip). */
struct err_tail {
	char cur[SL_STATUS_LEN - 16];
	size_t len;
	char last[SL_STATUS_LEN - 16];
};

static void err_feed(struct err_tail *e, const char *data, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(2, data + off, n - off);

		if (w <= 0 && errno != EINTR)
			break;
		off += w > 0 ? (size_t)w : 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n' || data[i] == '\r') {
			if (e->len) {
				e->cur[e->len] = '\0';
				memcpy(e->last, e->cur, e->len + 1);
			}
			e->len = 0;
		} else if (e->len < sizeof(e->cur) - 1) {
			/* keep the status one CSV-friendly line */
			e->cur[e->len++] = (data[i] == ',' || (unsigned char)data[i] < ' ') ? ' ' : data[i];
		}
	}
}

/* ---- per = run ---- */

static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* Whether pid has exited (not reaped). */
static bool has_exited(pid_t pid)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT | WNOHANG) == 0 && si.si_pid == pid;
}

/* The CPUs the sweep may use (the setting's allowed list) as a mask. 0, or -EINVAL. */
static int allowed_mask(const struct sl_setting *s, cpu_set_t *set)
{
	const char *p = s->allowed_cpus;

	CPU_ZERO(set);
	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p || a < 0 || a >= CPU_SETSIZE)
			return -EINVAL;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a || b >= CPU_SETSIZE)
				return -EINVAL;
		}
		for (long c = a; c <= b; c++)
			CPU_SET((int)c, set);
		p = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -EINVAL;
	}
	return CPU_COUNT(set) > 0 ? 0 : -EINVAL;
}

/* One per-run command while it runs: its stdout (the @speedlab lines) and stderr (passed on, the last
 * line kept), its process, and how it ended. */
struct whole {
	int out_fd, err_fd;            /* our ends of its stdout and stderr pipes */
	bool open_[2];
	struct liner *lines;
	struct err_tail *errs;
	struct report rep;
	pid_t pid;
	bool timed_out, interrupted;
};

/* Read what the command wrote on stdout (i = 0) or stderr (1). Returns the read's result. */
static ssize_t whole_read(struct whole *wh, int i)
{
	char buf[4096];
	ssize_t n = read(i ? wh->err_fd : wh->out_fd, buf, sizeof(buf));

	if (n > 0 && i == 0)
		liner_feed(wh->lines, &wh->rep, buf, (size_t)n);
	else if (n > 0)
		err_feed(wh->errs, buf, (size_t)n);
	return n;
}

/* Serve the command's output until it exits; past the deadline (or on a signal: Ctrl-C in the
 * coordinator) its whole group is killed. */
static void whole_wait(struct whole *wh, int pidfd, double deadline)
{
	for (;;) {
		struct pollfd p[3] = { { .fd = wh->open_[0] ? wh->out_fd : -1, .events = POLLIN },
				       { .fd = wh->open_[1] ? wh->err_fd : -1, .events = POLLIN },
				       { .fd = pidfd, .events = POLLIN } };
		double left_ms = (deadline - sl_now()) * 1000.0;
		/* at most a second per poll (the loop comes back); 0 past the deadline: look, then kill */
		int wait_ms = isinf(deadline) || wh->timed_out ? -1 : left_ms > 1000 ? 1000 : left_ms < 0 ? 0 : (int)left_ms + 1;
		int ready;

		if (pidfd < 0 && (wait_ms < 0 || wait_ms > 10))
			wait_ms = 10;        /* no pidfd (old kernel): look for the exit every 10 ms */
		ready = poll(p, 3, wait_ms);
		if (ready < 0 && errno == EINTR) {
			/* A handled signal (Ctrl-C in the coordinator): stop the command. */
			wh->interrupted = true;
			kill(-wh->pid, SIGKILL);
			continue;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!p[i].revents)
				continue;
			n = whole_read(wh, i);
			if (n == 0 || (n < 0 && errno != EINTR))
				wh->open_[i] = false;
		}
		if (pidfd >= 0 ? (p[2].revents != 0) : has_exited(wh->pid))
			break;
		if (!wh->timed_out && sl_now() >= deadline) {
			wh->timed_out = true;
			kill(-wh->pid, SIGKILL);
		}
	}
}

/* The leader is gone; what it wrote is in the pipes: read it all. Stragglers are killed in reap_group. */
static int whole_collect(struct whole *wh, struct rusage *ru)
{
	int status;

	wait_exit_keep(wh->pid);
	status = reap_group(wh->pid, ru);
	for (int i = 0; i < 2; i++) {
		fcntl(i ? wh->err_fd : wh->out_fd, F_SETFL, O_NONBLOCK);
		while (whole_read(wh, i) > 0)
			;
	}
	liner_finish(wh->lines, &wh->rep);
	if (wh->errs->len) {
		wh->errs->cur[wh->errs->len] = '\0';
		memcpy(wh->errs->last, wh->errs->cur, wh->errs->len + 1);
	}
	return status;
}

/* The tree's figures into m (metrics.c): its wall time, and CPU time and context switches from wait4. */
static void whole_metrics(double wall_s, const struct rusage *ru, struct sl_metrics *m)
{
	struct sl_run_totals t;

	sl_run_totals_init(&t);
	t.wall_s = wall_s;
	t.user_s = (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec * 1e-6;
	t.sys_s = (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec * 1e-6;
	t.ctx_vol = (double)ru->ru_nvcsw;
	t.ctx_invol = (double)ru->ru_nivcsw;
	sl_run_metrics(&t, m);
}

/* After the sampler's figures: a run that failed or declined (exit 77) keeps only what the common
 * rule keeps (metrics.h); one that ran gets its peak RSS, wall_tree_s, and its own reported figures. */
static void whole_settle(const struct rusage *ru, const struct report *rep, struct sl_metrics *m)
{
	if (sl_run_metrics_settle(m))
		return;
	m->rss_peak_mb = (double)ru->ru_maxrss / 1024.0;   /* KiB; the largest of the tree */
	/* the window of the CPU columns and cores_busy; a wall_s the program reports is its own */
	m->wall_tree_s = m->wall_s;
	/* The command's own figures win (e.g. wall_s of its measured section). */
	for (size_t i = 0; i < sl_metric_ncolumns; i++) {
		double v = sl_metric_get(&rep->got, &sl_metric_columns[i]);

		if (!isnan(v))
			*(double *)((char *)m + sl_metric_columns[i].offset) = v;
	}
}

/* Start the command (its stdout and stderr into the pipes out and err, whose write ends it takes over),
 * watch it under the sampler, and measure it. Returns 0 or -EINTR, -errno when it could not start. */
static int whole_run(struct whole *wh, const struct sl_setting *s, const struct sl_run_opts *o, char **envp,
		     int out[2], int err[2], struct sl_metrics *m)
{
	const char *cmd = sl_setting_text(s, "cmd", "");
	cpu_set_t cpus;
	const cpu_set_t *pin = NULL;
	struct sl_monitor *mon;
	struct rusage ru = { 0 };
	struct plain_cmd pc;
	double t0, t_end;
	int pidfd, status, rc = 0;

	/* the whole tree (every descendant's threads and memory), at the experiment's rate, into samples.csv */
	mon = sl_monitor_start(o ? o->sample_hz : 0, o ? o->samples : NULL, s->config, o ? o->rep : 0);
	if (!plain_command(cmd, envp, &pc))
		note_shell(cmd);
	t0 = sl_now();
	if (s->coordinator_cpus[0] && allowed_mask(s, &cpus) == 0)
		pin = &cpus;
	wh->pid = spawn_command(cmd, envp, out[1], err[1], false, pin);
	close(out[1]);
	close(err[1]);
	if (wh->pid < 0) {
		rc = wh->pid;
		goto out_stop;
	}
	if (mon) {
		sl_monitor_watch_tree(mon, wh->pid);
		sl_monitor_phase(mon, true);
	}
	pidfd = pidfd_of(wh->pid);
	whole_wait(wh, pidfd, s->timeout_s > 0 ? t0 + s->timeout_s : INFINITY);
	t_end = sl_now();
	sl_monitor_phase(mon, false);
	if (pidfd >= 0)
		close(pidfd);
	status = whole_collect(wh, &ru);
	whole_metrics(t_end - t0, &ru, m);
	status_text(status, wh->timed_out, wh->errs->last, m->status, sizeof(m->status));
	if (wh->interrupted)
		rc = -EINTR;
out_stop:
	if (mon)
		sl_monitor_stop(mon, m);
	if (rc == 0)
		whole_settle(&ru, &wh->rep, m);
	return rc;
}

static int command_run_whole(const struct sl_setting *s, const struct sl_run_opts *o, struct sl_metrics *m)
{
	struct whole wh = { .open_ = { true, true } };
	struct env env;
	int out[2], err[2], rc, was_subreaper = 0;

	if (per_task(s))
		return SL_RUN_WHOLE_USE_POOL;
	if (!sl_setting_text(s, "cmd", "")[0]) {
		snprintf(m->status, sizeof(m->status), "error:cmd is empty (set cmd in [workload])");
		return 0;
	}
	for (size_t i = 0; i < sl_metric_ncolumns; i++)
		*(double *)((char *)&wh.rep.got + sl_metric_columns[i].offset) = NAN;
	wh.lines = calloc(1, sizeof(*wh.lines));
	wh.errs = calloc(1, sizeof(*wh.errs));
	if (!wh.lines || !wh.errs) {
		rc = -ENOMEM;
		goto out_free_lines;
	}
	rc = env_build(&env, s, -1, 0);
	if (rc)
		goto out_free_lines;
	if (pipe2(out, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out_free_env;
	}
	if (pipe2(err, O_CLOEXEC) < 0) {
		rc = -errno;
		close(out[0]);
		close(out[1]);
		goto out_free_env;
	}
	wh.out_fd = out[0];
	wh.err_fd = err[0];
	/* Descendants the command orphans come to us, so we can kill and reap them (and stay ours
	 * after it when the run has made us its subreaper: contain.c) */
	prctl(PR_GET_CHILD_SUBREAPER, &was_subreaper);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	rc = whole_run(&wh, s, o, env.vars, out, err, m);
	prctl(PR_SET_CHILD_SUBREAPER, was_subreaper);
	close(err[0]);
	close(out[0]);
out_free_env:
	env_free(&env);
out_free_lines:
	free(wh.errs);
	free(wh.lines);
	if (rc < 0 && rc != -EINTR)
		snprintf(m->status, sizeof(m->status), "error:%s", strerror(-rc));
	return rc;
}

/* ---- per = task ---- */

static int command_setup(struct sl_wctx *w, char *msg, size_t msglen)
{
	if (!sl_setting_text(w->setting, "cmd", "")[0]) {
		snprintf(msg, msglen, "cmd is empty (set cmd in [workload])");
		return -EINVAL;
	}
	/* What a task's command orphans comes to this worker, which kills and reaps it. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return 0;
}

/* The result of a task: the exit code, or minus the signal that killed the command. */
static int command_run_task(struct sl_wctx *w, long task, const void *in, void *out, double *result,
			    char *msg, size_t msglen)
{
	struct env env;
	int rc, status;
	pid_t pid;

	(void)in;
	(void)out;
	rc = env_build(&env, w->setting, task, w->worker);
	if (rc) {
		snprintf(msg, msglen, "out of memory for the environment");
		return rc;
	}
	pid = spawn_command(sl_setting_text(w->setting, "cmd", ""), env.vars, -1, -1, true, NULL);
	env_free(&env);
	if (pid < 0) {
		snprintf(msg, msglen, "fork: %s", strerror((int)-pid));
		return (int)pid;
	}
	status = reap_task(pid);
	*result = WIFSIGNALED(status) ? -(double)WTERMSIG(status) : (double)WEXITSTATUS(status);
	return 0;
}

static int command_verify(const struct sl_setting *s, long ntasks, const double *results,
			  const void *outputs, char *msg, size_t msglen)
{
	(void)s;
	(void)outputs;
	for (long t = 0; t < ntasks; t++) {
		if (results[t] == 0)
			continue;
		if (results[t] < 0) {
			const char *sig = sigabbrev_np((int)-results[t]);

			snprintf(msg, msglen, "task %ld: the command was killed by SIG%s", t, sig ? sig : "UNKNOWN");
		} else {
			snprintf(msg, msglen, "task %ld: the command exited with status %.0f", t, results[t]);
		}
		return -EINVAL;
	}
	return 0;
}

static const struct sl_param_def command_params[] = {
	{ .name = "cmd", .type = SL_PARAM_STRING, .def = "", .shell = true,
	  .help = "shell command line to run (/bin/sh -c); it sees the axes as SPEEDLAB_PROCESSES, "
		  "SPEEDLAB_CHUNKSIZE, SPEEDLAB_START_METHOD, SPEEDLAB_THREADS, SPEEDLAB_DISPATCH, ... and "
		  "each parameter as SPEEDLAB_PARAM_<NAME>; stdout lines '@speedlab key=value' report its "
		  "own metrics (runs.csv column names, e.g. wall_s, dispatch_us_per_task, threads_peak); "
		  "exit 77 means skipped (the last stderr line says why); quote the value if it holds a comma (else it is a list)" },
	{ .name = "per", .type = SL_PARAM_STRING, .def = "run",
	  .help = "run: the command is the whole run (its process tree is measured, it does its own "
		  "parallelism); task: each task runs it once inside a pool worker (SPEEDLAB_TASK set)",
	  .choices = "run|task" },
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "1",
	  .help = "per=task: commands run per run; per=run: only passed on as SPEEDLAB_PARAM_TASKS",
	  .min = 1, .max = 1e7 },
	{ .name = NULL },
};

const struct sl_workload_ops sl_workload_command = {
	.name = "command",
	.help = "runs an external command with the axes in SPEEDLAB_* variables, per run (measures its "
		"whole process tree, reads '@speedlab key=value' lines) or per task; how the Python peers run "
		"(timed: the command from start to exit, a shell's start-up included only with shell syntax; "
		"a wall_s it reports replaces wall_s, the tree's in wall_tree_s)",
	.params = command_params,
	.setup = command_setup,
	.run_task = command_run_task,
	.verify = command_verify,
	.run_whole = command_run_whole,
	.engine_flags = SL_WL_SHELL_COMMAND,
};
