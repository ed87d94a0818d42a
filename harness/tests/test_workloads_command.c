/* test_workloads_command.c: the command workload: the axes reach the child's environment, its
 * @speedlab lines become metrics, exit codes and signals become statuses, and a timeout kills
 * the whole process group with nothing left behind. Per task too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool/pool.h"
#include "wl_testutil.h"

extern const struct sl_workload_ops sl_workload_command;
static const struct sl_workload_ops *const W = &sl_workload_command;

static void cmd_setting(struct sl_setting *s, const char *cmd)
{
	wl_setting_defaults(s, W);
	wl_set(s, "cmd", cmd);
}

/* Processes whose command line contains marker (other than this test). */
static int count_with(const char *marker)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], buf[4096];
		FILE *f;
		size_t len;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		for (size_t i = 0; i < len; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[len] = '\0';
		n += strstr(buf, marker) != NULL;
	}
	closedir(d);
	return n;
}

/* No child of ours is left unreaped. */
static void assert_no_zombie_child(void)
{
	int st;

	assert_true(waitpid(-1, &st, WNOHANG) <= 0);
}

static void run_whole(const struct sl_setting *s, struct sl_metrics *m)
{
	sl_metrics_clear(m);
	assert_int_equal(W->run_whole(s, NULL, m), 0);
}

static void test_axes_in_environment_and_metrics(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;
	char script[] = "/tmp/speedlab-test-cmd-XXXXXX", cmd[64];
	int fd;

	(void)state;
	/* A script file: a command line is at most SL_VALUE_LEN characters. */
	fd = mkstemp(script);
	assert_true(fd >= 0);
	dprintf(fd, "test \"$SPEEDLAB_START_METHOD\" = spawn && test \"$SPEEDLAB_THREADS\" = 3 &&\n"
		    " test \"$OMP_NUM_THREADS\" = 3 && test \"$OPENBLAS_NUM_THREADS\" = 3 &&\n"
		    " test \"$SPEEDLAB_DISPATCH\" = shm && test \"$SPEEDLAB_PARAM_PER\" = run &&\n"
		    " test \"$SPEEDLAB_CHUNKSIZE\" = 6 && test \"$SPEEDLAB_THREAD_API\" = env &&\n"
		    " test \"$SPEEDLAB_BLAS\" = openmp && test -z \"$SPEEDLAB_TASK\" || exit 9\n"
		    "echo not a report line; echo '@speedlab' ; echo '@speedlabx gflops=99'\n"
		    "echo \"@speedlab start_latency_ms=$SPEEDLAB_PROCESSES dispatch_us_per_task=$SPEEDLAB_CHUNKSIZE"
		    " gflops=$SPEEDLAB_PARAM_TASKS\"; printf '@speedlab threads_peak=7'\n");
	close(fd);
	snprintf(cmd, sizeof(cmd), "sh %s", script);
	cmd_setting(&s, cmd);
	s.processes = 5;
	s.chunksize = 6;
	strcpy(s.chunksize_text, "6");
	strcpy(s.start_method, "spawn");
	s.threads_kind = SL_THREADS_N;
	s.threads = 3;
	strcpy(s.threads_text, "3");
	strcpy(s.dispatch, "shm");
	strcpy(s.blas, "openmp");
	wl_set(&s, "tasks", "8");
	run_whole(&s, &m);
	unlink(script);
	assert_string_equal(m.status, "ok");
	assert_float_equal(m.start_latency_ms, 5, 0);
	assert_float_equal(m.dispatch_us_per_task, 6, 0);
	assert_float_equal(m.gflops, 8, 0);
	assert_float_equal(m.threads_peak, 7, 0);   /* the last line has no newline */
	assert_true(m.wall_s > 0);
	assert_true(m.cpu_user_s >= 0 && m.cpu_sys_s >= 0 && m.cores_busy >= 0);
	assert_true(m.rss_peak_mb > 0);
	assert_true(m.ctx_vol >= 0 && m.ctx_invol >= 0);
	assert_true(isnan(m.gpu_util_pct));
	assert_no_zombie_child();

	/* chunksize auto goes as written: the command applies the rule to its own task count */
	s.chunksize = 2;
	strcpy(s.chunksize_text, "auto");
	wl_set(&s, "cmd", "test \"$SPEEDLAB_CHUNKSIZE\" = auto || exit 9");
	run_whole(&s, &m);
	assert_string_equal(m.status, "ok");

	/* threads unset: SPEEDLAB_THREADS says so, and no limit is put in the environment */
	s.threads_kind = SL_THREADS_UNSET;
	s.threads = 0;
	wl_set(&s, "cmd", "test \"$SPEEDLAB_THREADS\" = unset && test -z \"${OMP_NUM_THREADS+x}\" || exit 9");
	unsetenv("OMP_NUM_THREADS");
	run_whole(&s, &m);
	assert_string_equal(m.status, "ok");
}

/* The whole tree is seen: python3 with 3 extra threads (and a child) run without a shell (no shell
 * syntax in the command line: the script exits 3 if its parent is a shell), sampled into samples.csv
 * at the experiment's rate; a wall_s it reports is its own, the tree's wall in wall_tree_s. */
static void test_whole_tree_seen(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;
	char script[] = "/tmp/speedlab-test-tree-XXXXXX", cmd[64], line[4096];
	struct sl_run_opts o = { .sample_hz = 100, .rep = 1 };
	long rows = 0;
	int fd;

	(void)state;
	if (access("/usr/bin/python3", X_OK) != 0)
		skip();
	fd = mkstemp(script);
	assert_true(fd >= 0);
	dprintf(fd, "import os, subprocess, threading, time\n"
		    "if open('/proc/%%d/comm' %% os.getppid()).read().strip() in ('sh', 'dash', 'bash'):\n"
		    "    raise SystemExit(3)\n"
		    "child = subprocess.Popen(['sleep', '0.6'])\n"
		    "ts = [threading.Thread(target=time.sleep, args=(0.6,)) for _ in range(3)]\n"
		    "for t in ts: t.start()\n"
		    "for t in ts: t.join()\n"
		    "child.wait()\n"
		    "print('@speedlab wall_s=0.001')\n");
	close(fd);
	snprintf(cmd, sizeof(cmd), "python3 %s", script);
	cmd_setting(&s, cmd);
	o.samples = tmpfile();
	assert_non_null(o.samples);
	sl_metrics_clear(&m);
	assert_int_equal(W->run_whole(&s, &o, &m), 0);
	unlink(script);
	assert_string_equal(m.status, "ok");
	if (!(m.threads_peak >= 4 && m.threads_total_peak >= 5))
		fail_msg("threads_peak %g, threads_total_peak %g: expected python's 4 and the child's 1", m.threads_peak,
			 m.threads_total_peak);
	assert_float_equal(m.wall_s, 0.001, 1e-12);
	assert_true(m.wall_tree_s >= 0.5);
	assert_true(fabs(m.cores_busy - (m.cpu_user_s + m.cpu_sys_s) / m.wall_tree_s) < 1e-9);
	rewind(o.samples);
	while (fgets(line, sizeof(line), o.samples))
		rows++;
	fclose(o.samples);
	if (rows < 10)
		fail_msg("samples.csv got %ld rows in 0.6 s at 100 Hz", rows);
	assert_no_zombie_child();
}

static void test_statuses(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;

	(void)state;
	cmd_setting(&s, "exit 3");
	run_whole(&s, &m);
	assert_string_equal(m.status, "error:exit 3");
	wl_set(&s, "cmd", "kill -TERM $$");
	run_whole(&s, &m);
	assert_string_equal(m.status, "crash:SIGTERM");
	wl_set(&s, "cmd", "");
	run_whole(&s, &m);
	assert_non_null(strstr(m.status, "error:cmd is empty"));
	/* 77: the command declined to run; its last stderr line is the reason (one CSV-safe line) */
	wl_set(&s, "cmd", "echo starting >&2; echo 'numpy missing, sorry' >&2; exit 77");
	run_whole(&s, &m);
	assert_string_equal(m.status, "skipped:numpy missing  sorry");
	assert_true(isnan(m.wall_s));
	wl_set(&s, "cmd", "printf 'no newline at the end' >&2; exit 77");
	run_whole(&s, &m);
	assert_string_equal(m.status, "skipped:no newline at the end");
	wl_set(&s, "cmd", "exit 77");
	run_whole(&s, &m);
	assert_string_equal(m.status, "skipped:the command exited 77");
	wl_set(&s, "cmd", "/nonexistent/speedlab-test-program");
	run_whole(&s, &m);
	assert_non_null(strstr(m.status, "error:exit 127"));
	assert_no_zombie_child();
}

static void test_reported_metrics_win(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;

	(void)state;
	/* wall_s of the measured section replaces the process wall; unknown keys and junk are ignored */
	cmd_setting(&s, "echo '@speedlab wall_s=0.125 gflop=3 gflops=abc cores_busy'; echo '@speedlab rss_peak_mb=1.5'; "
			"echo '@speedlab threads_peak=-5 gpu_mem_mb=inf'");
	run_whole(&s, &m);
	assert_string_equal(m.status, "ok");
	assert_float_equal(m.wall_s, 0.125, 0);
	assert_float_equal(m.rss_peak_mb, 1.5, 0);
	assert_true(isnan(m.gflops));
	/* no metric is negative or infinite: such a report is not recorded */
	assert_true(isnan(m.threads_peak) || m.threads_peak >= 0);
	assert_true(isnan(m.gpu_mem_mb));
}

static void test_cpu_time_includes_descendants(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;

	(void)state;
	/* The work happens in a grandchild (the outer shell cannot exec it: `true` follows). */
	cmd_setting(&s, "sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'; true");
	run_whole(&s, &m);
	assert_string_equal(m.status, "ok");
	/* a loop of 200000 shell steps costs far more than 10 ms of CPU on any machine */
	assert_true(m.cpu_user_s + m.cpu_sys_s > 0.01);
}

static void test_timeout_kills_whole_group(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;

	(void)state;
	cmd_setting(&s, "sleep 29.123 & sh -c 'sleep 29.123'; wait");
	s.timeout_s = 0.3;
	run_whole(&s, &m);
	assert_string_equal(m.status, "hang");
	assert_int_equal(count_with("29.123"), 0);
	assert_no_zombie_child();
}

static void test_leftovers_killed_after_exit(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;

	(void)state;
	/* The command exits at once but leaves a sleeper (holding stdout) in its group. */
	cmd_setting(&s, "sleep 28.321 & echo '@speedlab gflops=1'");
	run_whole(&s, &m);
	assert_string_equal(m.status, "ok");
	assert_float_equal(m.gflops, 1, 0);
	assert_int_equal(count_with("28.321"), 0);
	assert_no_zombie_child();
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void test_signal_interrupts(void **state)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	struct sl_setting s;
	struct sl_metrics m;

	(void)state;
	sigaction(SIGALRM, &sa, &old);
	cmd_setting(&s, "sleep 27.456");
	sl_metrics_clear(&m);
	setitimer(ITIMER_REAL, &it, NULL);
	assert_int_equal(W->run_whole(&s, NULL, &m), -EINTR);
	sigaction(SIGALRM, &old, NULL);
	assert_int_equal(count_with("27.456"), 0);
	assert_no_zombie_child();
}

static void test_per_task(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;
	struct wl_run r;

	(void)state;
	cmd_setting(&s, "test \"$SPEEDLAB_TASK\" -ge 0 && test \"$SPEEDLAB_TASK\" -lt 4 && test \"$SPEEDLAB_WORKER\" = 0"
			" && test \"$SPEEDLAB_PARAM_PER\" = task");
	wl_set(&s, "per", "task");
	wl_set(&s, "tasks", "4");
	sl_metrics_clear(&m);
	assert_int_equal(W->run_whole(&s, NULL, &m), SL_RUN_WHOLE_USE_POOL);
	wl_run(W, &s, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(wl_verify(W, &s, &r), 0);
	wl_run_free(&r);

	wl_set(&s, "cmd", "exit $SPEEDLAB_TASK");
	wl_run(W, &s, &r);
	assert_int_equal(r.rc, 0);
	assert_float_equal(r.results[3], 3, 0);
	assert_int_equal(wl_verify(W, &s, &r), -EINVAL);
	assert_non_null(strstr(r.msg, "task 1: the command exited with status 1"));
	wl_run_free(&r);

	wl_set(&s, "cmd", "kill -KILL $$");
	wl_run(W, &s, &r);
	assert_float_equal(r.results[0], -SIGKILL, 0);
	assert_int_equal(wl_verify(W, &s, &r), -EINVAL);
	assert_non_null(strstr(r.msg, "SIGKILL"));
	wl_run_free(&r);

	/* what a task leaves running is killed when it exits */
	wl_set(&s, "cmd", "sleep 26.789 &");
	wl_set(&s, "tasks", "2");
	wl_run(W, &s, &r);
	assert_int_equal(wl_verify(W, &s, &r), 0);
	assert_int_equal(count_with("26.789"), 0);
	wl_run_free(&r);
	/* ... also what it forked and left (a subshell's child, re-parented to the worker) */
	wl_set(&s, "cmd", "(sleep 26.788 &)");
	wl_run(W, &s, &r);
	assert_int_equal(wl_verify(W, &s, &r), 0);
	assert_int_equal(count_with("26.788"), 0);
	wl_run_free(&r);

	wl_set(&s, "cmd", "");
	wl_run(W, &s, &r);
	assert_int_equal(r.rc, -EINVAL);
	wl_run_free(&r);
	assert_no_zombie_child();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_axes_in_environment_and_metrics),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_whole_tree_seen),
		cmocka_unit_test(test_reported_metrics_win),
		cmocka_unit_test(test_cpu_time_includes_descendants),
		cmocka_unit_test(test_timeout_kills_whole_group),
		cmocka_unit_test(test_leftovers_killed_after_exit),
		cmocka_unit_test(test_signal_interrupts),
		cmocka_unit_test(test_per_task),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
