/* contain.c: run containment. A run's commands may start anything: children that leave the
 * process group, setsid daemons, grandchildren that outlive their parents. Two nets catch them:
 *   - a cgroup v2 of the run where the machine allows one (cgroup2 mounted, writable): the
 *     coordinator moves itself into it at the start, so every process of the run is born inside;
 *     at the end the coordinator moves back out and `cgroup.kill` ends everything left;
 *   - everywhere, a mark in the environment (SPEEDLAB_RUN_TAG) that every exec'd descendant
 *     inherits: a scan of /proc/PID/environ finds them (setsid or not).
 * The keeper, a small process forked first and left outside the cgroup, watches the coordinator
 * (a pidfd) and does the same cleanup if it dies, SIGKILL included. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pool/contain.h"
#include "pool/pool_internal.h"

#define TAG_VAR "SPEEDLAB_RUN_TAG"
#define SWEEP_ROUNDS 200

static struct {
	bool on;
	char tag[64];                /* this run's token in SPEEDLAB_RUN_TAG */
	char *old_tag;               /* the variable as it was (a nested run keeps the outer token) */
	char cg[PATH_MAX];           /* the run's cgroup directory, "" when none */
	char cg_home[PATH_MAX];      /* the cgroup the coordinator came from */
	pid_t keeper;
	int keeper_fd;               /* write end: 'q' = the coordinator cleaned up itself */
} ct = { .keeper = -1, .keeper_fd = -1 };

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Fields first..first+n-1 of /proc/self/stat as numbers (1-based, as proc(5) counts them, first
 * past the state letter). false when they cannot be read. */
static bool self_stat(int first, int n, unsigned long long *out)
{
	long long f[52 - 3];
	char state;

	if (first < 4 || first + n - 1 > 52 || sl_proc_stat_read(0, &state, f, first + n - 1) < first + n - 4)
		return false;
	for (int i = 0; i < n; i++)
		out[i] = (unsigned long long)f[first - 4 + i];
	return true;
}

/* ---- the environment mark ---- */

/* Whether pid's environment (as it was exec'd) holds this run's token. */
static bool proc_tagged(pid_t pid, const char *tag)
{
	static const char var[] = TAG_VAR "=";
	char path[64], *buf = NULL;
	size_t len = 0, cap = 0;
	bool hit = false;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	for (;;) {
		ssize_t n;

		if (len + 4096 + 1 > cap) {
			char *nb;

			if (cap >= (8u << 20))
				break;
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb)
				break;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	for (size_t off = 0; buf && off < len;) {
		const char *entry = buf + off;
		size_t elen = strnlen(entry, len - off);

		if (elen > sizeof(var) - 1 && memcmp(entry, var, sizeof(var) - 1) == 0) {
			/* a list of tokens separated by ':' (nested runs) */
			const char *v = entry + sizeof(var) - 1, *end = entry + elen;
			size_t tl = strlen(tag);

			for (const char *t = v; t < end;) {
				const char *colon = memchr(t, ':', (size_t)(end - t));
				size_t l = colon ? (size_t)(colon - t) : (size_t)(end - t);

				if (l == tl && memcmp(t, tag, tl) == 0)
					hit = true;
				t += l + 1;
			}
		}
		off += elen + 1;
	}
	free(buf);
	return hit;
}

/* SIGKILL every live process carrying the token but self and keep; returns how many. */
static int kill_tagged(const char *tag, pid_t keep)
{
	pid_t self = getpid();
	struct dirent *e;
	DIR *d = opendir("/proc");
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		long pid;
		int pidfd;

		if (!sl_parse_long(e->d_name, &pid) || pid == self || pid == keep || pid <= 1)
			continue;
		/* a pidfd first: the pid cannot be reused under us between the look and the kill */
		pidfd = pidfd_open((pid_t)pid, 0);
		if (pidfd < 0)
			continue;
		if (proc_tagged((pid_t)pid, tag) && pidfd_send_signal(pidfd, SIGKILL, NULL, 0) == 0)
			n++;
		close(pidfd);
	}
	closedir(d);
	return n;
}

/* ---- the cgroup ---- */

/* The cgroup2 directory this process is in ("" and false when there is none to use). */
static bool cgroup_own_dir(char *dir, size_t len)
{
	char line[PATH_MAX + 256], mnt[PATH_MAX] = "", root[PATH_MAX] = "", cgpath[PATH_MAX] = "";
	FILE *f = fopen("/proc/self/cgroup", "re");

	dir[0] = '\0';
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(cgpath, sizeof(cgpath), "%s", line + 3);
		}
	fclose(f);
	if (!cgpath[0])
		return false;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char r[PATH_MAX], m[PATH_MAX], *dash = strstr(line, " - ");
		char type[64];

		if (!dash || sscanf(dash + 3, "%63s", type) != 1 || strcmp(type, "cgroup2") != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %4095s %4095s", r, m) == 2) {
			snprintf(root, sizeof(root), "%s", r);
			snprintf(mnt, sizeof(mnt), "%s", m);
			break;
		}
	}
	fclose(f);
	if (!mnt[0])
		return false;
	if (strcmp(root, "/") != 0 && strncmp(cgpath, root, strlen(root)) == 0)
		memmove(cgpath, cgpath + strlen(root), strlen(cgpath + strlen(root)) + 1);
	if (snprintf(dir, len, "%s%s", mnt, strcmp(cgpath, "/") == 0 ? "" : cgpath) >= (int)len)
		return false;
	return true;
}

static int write_text(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Make the run's cgroup (not entered yet). 0 or -errno (then there is none). */
static int cgroup_make(void)
{
	char kill_path[PATH_MAX + 16];

	/* SPEEDLAB_CONTAIN_NO_CGROUP=1: the mark alone (what a machine without cgroup2 gets; tests) */
	if (getenv("SPEEDLAB_CONTAIN_NO_CGROUP") || !cgroup_own_dir(ct.cg_home, sizeof(ct.cg_home)))
		return -ENOENT;
	if (snprintf(ct.cg, sizeof(ct.cg), "%s/speedlab-run-%d", ct.cg_home, (int)getpid()) >= (int)sizeof(ct.cg))
		goto out_none;
	if (mkdir(ct.cg, 0755) < 0 && errno != EEXIST)
		goto out_none;
	/* cgroup.kill (Linux 5.14) is what makes the end certain; without it, no cgroup */
	snprintf(kill_path, sizeof(kill_path), "%s/cgroup.kill", ct.cg);
	if (access(kill_path, W_OK) < 0) {
		rmdir(ct.cg);
		goto out_none;
	}
	return 0;

out_none:
	ct.cg[0] = '\0';
	return -EPERM;
}

/* Move this process into the run's cgroup: every process it starts from now on is born there. */
static void cgroup_move_in(void)
{
	char mine[32];

	snprintf(mine, sizeof(mine), "%d", (int)getpid());
	if (ct.cg[0] && write_text(ct.cg, "cgroup.procs", mine) < 0) {
		rmdir(ct.cg);
		ct.cg[0] = '\0';
	}
}

/* Kill the whole cgroup (the coordinator is out of it, or dead), wait until it is empty, remove it. */
static void cgroup_destroy(const char *dir)
{
	if (!dir[0])
		return;
	for (int i = 0; i < SWEEP_ROUNDS; i++) {
		write_text(dir, "cgroup.kill", "1");
		if (rmdir(dir) == 0 || errno == ENOENT)
			return;
		sleep_ms(5);
	}
}

/* ---- reaping what came to us ---- */

/* The pid of a start method's helper process (the forkserver), -1 when none runs. */
static pid_t helper_pid(void)
{
	for (const struct sl_launcher_ops *const *l = sl_launchers; *l; l++)
		if (((*l)->engine_flags & SL_LAUNCH_HELPER_PROC) && (*l)->helper_pid) {
			pid_t pid = (*l)->helper_pid();

			if (pid > 0)
				return pid;
		}
	return -1;
}

/* Reap the zombies among this process's children (orphans that came to us as subreaper), except
 * the forkserver and the keeper, whose ends their own code waits for. One system call when there
 * is none (the common case), else a look through /proc. Never fails. */
static void reap_strays(void)
{
	pid_t self = getpid(), fs = helper_pid();
	struct dirent *e;
	siginfo_t si;
	DIR *d;

	for (;;) {
		si.si_pid = 0;
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			return;
		if (si.si_pid == fs || si.si_pid == ct.keeper)
			break;                 /* not ours to reap: look for the others one by one */
		waitpid(si.si_pid, NULL, WNOHANG);
	}
	d = opendir("/proc");
	if (!d)
		return;
	while ((e = readdir(d))) {
		struct sl_proc_stat st;
		long pid;

		if (sl_parse_long(e->d_name, &pid) && pid != fs && pid != ct.keeper && sl_proc_stat((pid_t)pid, &st) &&
		    st.ppid == self && st.state == 'Z')
			waitpid((pid_t)pid, NULL, WNOHANG);
	}
	closedir(d);
}

/* SIGKILL this process's children but the forkserver and the keeper; returns how many. The
 * coordinator is the run's subreaper: whatever a command leaves running, setsid or not, ends up its
 * child once the parent that started it is gone, so one read of its children list finds it. */
static int kill_children(pid_t fs)
{
	char path[64];
	long pid;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid != fs && pid != ct.keeper && kill((pid_t)pid, SIGKILL) == 0)
			n++;
	fclose(f);
	return n;
}

/* Kill everything of the run but this process, the keeper and (between runs) the forkserver, until
 * none is left. Between runs: this process's children (a cheap look); at the end also every process
 * carrying the mark (a look at every process on the machine). Returns how many were killed. */
static int sweep(bool final)
{
	pid_t fs = final ? -1 : helper_pid();
	int total = 0;

	for (int round = 0; round < SWEEP_ROUNDS; round++) {
		int n = kill_children(fs);

		if (final)
			n += kill_tagged(ct.tag, ct.keeper);
		reap_strays();
		if (!n)
			break;
		total += n;
		sleep_ms(round < 10 ? 1 : 10);
	}
	reap_strays();
	return total;
}

/* ---- the keeper ---- */

/* Name the keeper in /proc/PID/cmdline too: a copy of the coordinator's command line would look like
 * the coordinator still running to whoever looks for it (pgrep -f) after it was killed. Overwrites
 * the argument strings in place (arg_start..arg_end, fields 48-49 of /proc/self/stat). */
static void keeper_retitle(const char *title)
{
	unsigned long long arg[2];

	if (!self_stat(48, 2, arg) || arg[1] <= arg[0] + strlen(title))
		return;
	memset((void *)(uintptr_t)arg[0], 0, (size_t)(arg[1] - arg[0]));
	memcpy((void *)(uintptr_t)arg[0], title, strlen(title));
}

static _Noreturn void keeper_main(int rfd, pid_t coordinator)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU };
	int pidfd, null;
	char c = 0;

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &ign, NULL);
	prctl(PR_SET_NAME, "speedlab-keep");
	keeper_retitle("speedlab-keep");
	/* hold no terminal and no pipe of the coordinator's open */
	null = open("/dev/null", O_RDWR);
	for (int fd = 0; null >= 0 && fd < 3; fd++)
		dup2(null, fd);
	if (null > 2)
		close(null);
	if (rfd > 3)
		close_range(3, (unsigned int)rfd - 1, 0);
	close_range((unsigned int)rfd + 1, ~0U, 0);
	pidfd = pidfd_open(coordinator, 0);
	if (pidfd >= 0 && getppid() == coordinator) {
		struct pollfd p[2] = { { .fd = rfd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };

		while (poll(p, 2, -1) < 0 && errno == EINTR)
			;
		if (p[0].revents && read(rfd, &c, 1) == 1 && c == 'q')
			_exit(0);
	}
	/* the coordinator is gone without cleaning up: do it for it (the cgroup first: one write
	 * ends all its members at once, forks in flight included) */
	ct.keeper = getpid();
	cgroup_destroy(ct.cg);
	sweep(true);
	_exit(0);
}

static int keeper_start(void)
{
	pid_t self = getpid(), pid;
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(p[0]);
		close(p[1]);
		return err;
	}
	if (pid == 0) {
		close(p[1]);
		keeper_main(p[0], self);
	}
	close(p[0]);
	ct.keeper = pid;
	ct.keeper_fd = p[1];
	return 0;
}

static void keeper_stop(void)
{
	int pidfd;

	if (ct.keeper <= 0)
		return;
	pidfd = pidfd_open(ct.keeper, 0);
	if (write(ct.keeper_fd, "q", 1) != 1 || pidfd < 0 ||
	    poll(&(struct pollfd){ .fd = pidfd, .events = POLLIN }, 1, 2000) <= 0)
		kill(ct.keeper, SIGKILL);
	if (pidfd >= 0)
		close(pidfd);
	close(ct.keeper_fd);
	while (waitpid(ct.keeper, NULL, 0) < 0 && errno == EINTR)
		;
	ct.keeper = -1;
	ct.keeper_fd = -1;
}

/* ---- the interface ---- */

int sl_contain_begin(void)
{
	const char *old = getenv(TAG_VAR);
	unsigned long long start;
	char *value;
	int rc;

	if (ct.on)
		return 0;
	/* field 22, the start time: with the pid, unique on this boot */
	if (!self_stat(22, 1, &start))
		start = 0;
	snprintf(ct.tag, sizeof(ct.tag), "r%d.%llu", (int)getpid(), start);
	free(ct.old_tag);
	ct.old_tag = old ? strdup(old) : NULL;
	if (asprintf(&value, "%s%s%s", old && old[0] ? old : "", old && old[0] ? ":" : "", ct.tag) < 0)
		return -ENOMEM;
	setenv(TAG_VAR, value, 1);
	free(value);
	cgroup_make();
	/* the keeper first, outside the cgroup (cgroup.kill must not reach it) */
	rc = keeper_start();
	if (rc < 0)
		sl_warn("cannot start the keeper (%s): a SIGKILL of speedlab may leave the commands it ran", strerror(-rc));
	cgroup_move_in();
	/* orphans of the run come to us, not to init: see kill_children */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ct.on = true;
	return 0;
}

int sl_contain_sweep(void)
{
	return ct.on ? sweep(false) : 0;
}

void sl_contain_end(void)
{
	if (!ct.on)
		return;
	if (ct.cg[0]) {
		char mine[32];

		snprintf(mine, sizeof(mine), "%d", (int)getpid());
		/* out of it first, or cgroup.kill would end us too (if we cannot leave, the mark and
		 * our children below are the net, and the empty cgroup stays) */
		if (write_text(ct.cg_home, "cgroup.procs", mine) == 0)
			cgroup_destroy(ct.cg);
	}
	sweep(true);
	keeper_stop();
	if (ct.old_tag)
		setenv(TAG_VAR, ct.old_tag, 1);
	else
		unsetenv(TAG_VAR);
	free(ct.old_tag);
	ct.old_tag = NULL;
	ct.cg[0] = '\0';
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	ct.on = false;
}

long sl_oom_kills(void)
{
	char line[128];
	long n = -1;
	FILE *f = fopen("/proc/vmstat", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "oom_kill ", 9) == 0) {
			n = strtol(line + 9, NULL, 10);
			break;
		}
	fclose(f);
	return n;
}

void sl_oom_note(char *status, size_t len, long oom_before)
{
	long now;

	if (strcmp(status, "crash:SIGKILL") != 0 || oom_before < 0 || (now = sl_oom_kills()) <= oom_before)
		return;
	snprintf(status + strlen(status), len - strlen(status),
		 " (likely OOM: the kernel's OOM killer ended %ld process(es) during this run)", now - oom_before);
}
