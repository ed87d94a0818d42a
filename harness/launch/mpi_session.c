/* mpi_session.c: the processes of the mpi launcher's session (it leads one of its own): find them,
 * kill them, remove what a killed mpirun leaves in TMPDIR, show them when a run hangs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launch/mpi_internal.h"

/* After SIGTERM, mpirun gets this long to stop its ranks and clean up (it takes 2.5-3.2 s here:
 * SIGTERM to the ranks, Open MPI's odls_base_sigkill_timeout of 1 s, then its own exit). */
#define TERM_GRACE_S 5.0
#define SWEEP_GRACE_S 2.0       /* after SIGKILL, the time a dying process may take to go */

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
int sl_mpi_session_members(pid_t sid, pid_t *pids, bool *ranks, int max)
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

void sl_mpi_sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Ranks the launcher did not reap are no longer our children (a job mpirun aborted may leave a
 * rank dying after mpirun exits): SIGKILL whatever is left in the session and wait, a bounded
 * time, until it is gone. Never fails. */
void sl_mpi_sweep_session(pid_t sid)
{
	double until = sl_now() + SWEEP_GRACE_S;
	pid_t members[256];
	int n;

	while ((n = sl_mpi_session_members(sid, members, NULL, 256)) > 0 && sl_now() < until) {
		for (int i = 0; i < n; i++)
			kill(members[i], SIGKILL);
		sl_mpi_sleep_s(0.005);
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
void sl_mpi_remove_session_dir(pid_t pid)
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
void sl_mpi_kill_launch(pid_t pid, int *wstatus)
{
	pid_t members[256];
	double until;
	int n;

	kill(pid, SIGTERM);
	until = sl_now() + TERM_GRACE_S;
	while (sl_now() < until) {
		if (waitpid(pid, wstatus, WNOHANG) == pid)
			return;
		sl_mpi_sleep_s(0.01);
	}
	n = sl_mpi_session_members(pid, members, NULL, 256);
	for (int i = 0; i < n; i++)
		kill(members[i], SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
		;
	sl_mpi_remove_session_dir(pid);
}

/* SPEEDLAB_MPI_DEBUG set: before a hung run is killed, print its processes, their stacks (gdb, when
 * installed) and the launcher's output so far to stderr. */
void sl_mpi_debug_hang(pid_t sid, int out_fd, int err_fd)
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
