/* reaper.c: runs one test as a child subreaper, so every process the test leaves behind is
 * reparented here instead of to init: it is reaped, and if any is still alive after a grace period
 * it is named, killed, and the test fails (exit 98). Usage: reaper CMD [ARG]... */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GRACE_MS 3000

/* Pids whose parent is this process (the leftovers), into out; returns how many. */
static int children(pid_t self, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char path[64], buf[512], *rp;
		FILE *f;
		long ppid;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')) && sscanf(rp + 2, "%*c %ld", &ppid) == 1 &&
		    ppid == self)
			out[n++] = atoi(de->d_name);
		fclose(f);
	}
	closedir(d);
	return n;
}

static void describe(pid_t pid)
{
	char path[64], cmd[256] = "";
	FILE *f;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "r");
	if (f) {
		len = fread(cmd, 1, sizeof(cmd) - 1, f);
		fclose(f);
		for (size_t i = 0; i < len; i++)
			if (!cmd[i])
				cmd[i] = ' ';
		cmd[len] = '\0';
	}
	fprintf(stderr, "reaper: left behind: pid %d: %s\n", (int)pid, cmd[0] ? cmd : "(zombie)");
}

int main(int argc, char **argv)
{
	pid_t self = getpid(), test;
	int status = 0, leftovers = 0;
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	if (argc < 2) {
		fprintf(stderr, "usage: reaper CMD [ARG]...\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("reaper: PR_SET_CHILD_SUBREAPER");
		return 2;
	}
	test = fork();
	if (test < 0) {
		perror("reaper: fork");
		return 2;
	}
	if (test == 0) {
		execvp(argv[1], argv + 1);
		perror("reaper: exec");
		_exit(127);
	}
	while (waitpid(test, &status, 0) < 0 && errno == EINTR)
		;
	/* orphans of the test may take a moment to notice and exit: reap them as they go */
	for (int waited = 0;; waited += 20) {
		pid_t left[256];
		int n;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		n = children(self, left, 256);
		if (n == 0)
			break;
		if (waited >= GRACE_MS) {
			for (int i = 0; i < n; i++) {
				describe(left[i]);
				kill(left[i], SIGKILL);
			}
			leftovers = n;
			while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
				;
			break;
		}
		nanosleep(&tick, NULL);
	}
	if (leftovers)
		return 98;
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "reaper: test killed by signal %d\n", WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}
