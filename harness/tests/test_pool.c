/* test_pool.c: the process pool under every start method and dispatch channel: correct results, crashes,
 * hangs, Ctrl-C, fork after OpenMP, and never a process left behind. */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <omp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sys/blas.h"
#include "pool/pool.h"
#include "pool/pool_internal.h"

/* ---- workloads of this test (a spawned worker is this same binary, so it finds them too) ---- */

static const struct sl_param_def t_params[] = {
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "10", .help = "tasks", .min = 1, .max = 1e9 },
	{ .name = "victim", .type = SL_PARAM_INT, .def = "-1", .help = "the task that misbehaves", .min = -1, .max = 1e9 },
	{ .name = NULL },
};

/* A small sum per task, different for every task: lost, repeated or misplaced tasks show. */
static double t_expected(long task)
{
	double s = 0;

	for (long k = 0; k <= task % 1000; k++)
		s += (double)k * 0.5;
	return s + (double)task * 1e6;
}

static int t_sum_task(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg, size_t len)
{
	(void)w; (void)in; (void)out; (void)msg; (void)len;
	*result = t_expected(task);
	return 0;
}

static int t_sum_verify(const struct sl_setting *s, long ntasks, const double *results, const void *outputs,
			char *msg, size_t len)
{
	(void)s; (void)outputs;
	for (long i = 0; i < ntasks; i++)
		if (results[i] != t_expected(i)) {
			snprintf(msg, len, "task %ld: %g, expected %g", i, results[i], t_expected(i));
			return -EINVAL;
		}
	return 0;
}

static const struct sl_workload_ops t_sum = {
	.name = "t_sum", .help = "sums", .params = t_params,
	.run_task = t_sum_task, .verify = t_sum_verify,
};

/* Inputs and outputs: 3 doubles in (24 bytes, not a multiple of 16), 2 doubles out. */
static size_t t_io_in(const struct sl_setting *s) { (void)s; return 3 * sizeof(double); }
static size_t t_io_out(const struct sl_setting *s) { (void)s; return 2 * sizeof(double); }

static void t_io_make(const struct sl_setting *s, long task, void *in)
{
	double *d = in;

	(void)s;
	d[0] = (double)task;
	d[1] = (double)task * 2;
	d[2] = 7;
}

static int t_io_task(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg, size_t len)
{
	const double *d = in;
	double *o = out;

	(void)w;
	if (d[0] != (double)task) {
		snprintf(msg, len, "task %ld got the input of task %g", task, d[0]);
		return -EINVAL;
	}
	o[0] = d[0] + d[1] + d[2];
	o[1] = -(double)task;
	*result = t_expected(task);
	return 0;
}

static int t_io_verify(const struct sl_setting *s, long ntasks, const double *results, const void *outputs,
		       char *msg, size_t len)
{
	const double *o = outputs;

	if (t_sum_verify(s, ntasks, results, outputs, msg, len))
		return -EINVAL;
	if (!o) {
		snprintf(msg, len, "no outputs");
		return -EINVAL;
	}
	for (long i = 0; i < ntasks; i++)
		if (o[2 * i] != 3.0 * (double)i + 7 || o[2 * i + 1] != -(double)i) {
			snprintf(msg, len, "task %ld: wrong output", i);
			return -EINVAL;
		}
	return 0;
}

static const struct sl_workload_ops t_io = {
	.name = "t_io", .help = "inputs and outputs", .params = t_params,
	.task_in_bytes = t_io_in, .task_out_bytes = t_io_out, .make_input = t_io_make,
	.run_task = t_io_task, .verify = t_io_verify,
};

/* Inputs and outputs far larger than a pipe's buffer: partial writes, queued output, growing buffers. */
#define BIG_IN 40000
#define BIG_OUT 25000
static size_t t_big_in(const struct sl_setting *s) { (void)s; return BIG_IN * sizeof(double); }
static size_t t_big_out(const struct sl_setting *s) { (void)s; return BIG_OUT * sizeof(double); }

static void t_big_make(const struct sl_setting *s, long task, void *in)
{
	double *d = in;

	(void)s;
	for (int k = 0; k < BIG_IN; k++)
		d[k] = (double)task + k;
}

static int t_big_task(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg, size_t len)
{
	const double *d = in;
	double *o = out;

	(void)w;
	for (int k = 0; k < BIG_IN; k++)
		if (d[k] != (double)task + k) {
			snprintf(msg, len, "task %ld: input %d is %g", task, k, d[k]);
			return -EINVAL;
		}
	for (int k = 0; k < BIG_OUT; k++)
		o[k] = 2 * d[k + BIG_IN - BIG_OUT];
	*result = t_expected(task);
	return 0;
}

static int t_big_verify(const struct sl_setting *s, long ntasks, const double *results, const void *outputs,
			char *msg, size_t len)
{
	const double *o = outputs;

	if (t_sum_verify(s, ntasks, results, outputs, msg, len))
		return -EINVAL;
	for (long i = 0; i < ntasks; i++)
		for (int k = 0; k < BIG_OUT; k++)
			if (o[i * BIG_OUT + k] != 2 * ((double)i + k + BIG_IN - BIG_OUT)) {
				snprintf(msg, len, "task %ld: output %d wrong", i, k);
				return -EINVAL;
			}
	return 0;
}

static const struct sl_workload_ops t_big = {
	.name = "t_big", .help = "large inputs and outputs", .params = t_params,
	.task_in_bytes = t_big_in, .task_out_bytes = t_big_out, .make_input = t_big_make,
	.run_task = t_big_task, .verify = t_big_verify,
};

static int t_kill_task(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg, size_t len)
{
	if (task == (long)sl_setting_num(w->setting, "victim", -1))
		raise(SIGKILL);
	return t_sum_task(w, task, in, out, result, msg, len);
}

static const struct sl_workload_ops t_kill = {
	.name = "t_kill", .help = "one task kills its worker", .params = t_params,
	.run_task = t_kill_task, .verify = t_sum_verify,
};

static int t_exit_task(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg, size_t len)
{
	if (task == (long)sl_setting_num(w->setting, "victim", -1))
		_exit(3);
	return t_sum_task(w, task, in, out, result, msg, len);
}

static const struct sl_workload_ops t_exit = {
	.name = "t_exit", .help = "one task exits with code 3", .params = t_params,
	.run_task = t_exit_task, .verify = t_sum_verify,
};

static int t_hang_task(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg, size_t len)
{
	if (task == (long)sl_setting_num(w->setting, "victim", -1))
		for (;;)
			pause();
	return t_sum_task(w, task, in, out, result, msg, len);
}

static const struct sl_workload_ops t_hang = {
	.name = "t_hang", .help = "one task never ends", .params = t_params,
	.run_task = t_hang_task, .verify = t_sum_verify,
};

static int t_fail_setup(struct sl_wctx *w, char *msg, size_t len)
{
	(void)w;
	snprintf(msg, len, "setup refused on purpose");
	return -EIO;
}

static const struct sl_workload_ops t_setupfail = {
	.name = "t_setupfail", .help = "setup fails", .params = t_params,
	.setup = t_fail_setup, .run_task = t_sum_task, .verify = t_sum_verify,
};

static int t_bad_verify(const struct sl_setting *s, long ntasks, const double *results, const void *outputs,
			char *msg, size_t len)
{
	(void)s; (void)ntasks; (void)results; (void)outputs;
	snprintf(msg, len, "wrong on purpose");
	return -EINVAL;
}

static const struct sl_workload_ops t_badverify = {
	.name = "t_badverify", .help = "verify fails", .params = t_params,
	.run_task = t_sum_task, .verify = t_bad_verify,
};

/* Uses OpenMP in the worker, as omp_gemm does. */
static int t_omp_task(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg, size_t len)
{
	int n = omp_get_num_procs() > 2 ? omp_get_num_procs() : 2;
	long hits = 0;

	(void)in; (void)out; (void)msg; (void)len;
#pragma omp parallel for num_threads(n) reduction(+ : hits)
	for (int i = 0; i < 1000; i++)
		hits += 1;
	w->lib_threads = omp_get_max_threads();
	*result = hits == 1000 ? t_expected(task) : -1;
	return 0;
}

static const struct sl_workload_ops t_omp = {
	.name = "t_omp", .help = "OpenMP in the task", .params = t_params,
	.run_task = t_omp_task, .verify = t_sum_verify,
};

/* Reports the OMP_NUM_THREADS its worker sees (0 when unset); verify wants the value of param "victim". */
static int t_env_task(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg, size_t len)
{
	const char *v = getenv("OMP_NUM_THREADS");

	(void)w; (void)task; (void)in; (void)out; (void)msg; (void)len;
	*result = v ? atof(v) : 0;
	return 0;
}

static int t_env_verify(const struct sl_setting *s, long ntasks, const double *results, const void *outputs,
			char *msg, size_t len)
{
	double want = sl_setting_num(s, "victim", -1);

	(void)outputs;
	for (long i = 0; i < ntasks; i++)
		if (results[i] != want) {
			snprintf(msg, len, "worker saw OMP_NUM_THREADS=%g, expected %g", results[i], want);
			return -EINVAL;
		}
	return 0;
}

static const struct sl_workload_ops t_env = {
	.name = "t_env", .help = "reports OMP_NUM_THREADS", .params = t_params,
	.run_task = t_env_task, .verify = t_env_verify,
};

/* Spend seconds of this thread's CPU (whatever the load). */
static void burn_cpu(double seconds)
{
	struct timespec ts;
	double t0;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	t0 = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	while ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 - t0 < seconds);
}

/* Each task uses 2 ms of its thread's CPU (whatever the load), so a run's CPU is known. */
static int t_cpu_task(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg, size_t len)
{
	burn_cpu(2e-3);
	return t_sum_task(w, task, in, out, result, msg, len);
}

static const struct sl_workload_ops t_cpu = {
	.name = "t_cpu", .help = "2 ms of CPU per task", .params = t_params,
	.run_task = t_cpu_task, .verify = t_sum_verify,
};

/* t_window: the run's own CPU is its tasks' (2 ms each); around it, CPU_OUTSIDE of CPU at every edge of
 * the run's window, each far above what measuring can blur (a tick, the coordinator's own few calls):
 * the worker's setup (start-up CPU), a thread of the worker that spins after it is ready and before its
 * first chunk (as an OpenMP or OpenBLAS pool does after a setup), the coordinator making the inputs
 * right before the clock starts, and the worker's check after its last result. The steps are ordered
 * through a shared page (fork workers only), not by timing: the coordinator asks for the spin when it
 * makes task 0's input, after every worker said ready, and waits until it is done. */
#define CPU_OUTSIDE 0.06
static atomic_int *t_window_flags;     /* [0]: spin now (coordinator), [1]: spun (worker) */
static pthread_t t_window_spinner;
static bool t_window_spinning;

static void t_window_wait(atomic_int *flag)
{
	struct timespec ms = { 0, 1000000 };

	for (int i = 0; i < 30000 && !atomic_load(flag); i++)
		nanosleep(&ms, NULL);
}

static void *t_window_spin(void *arg)
{
	(void)arg;
	t_window_wait(&t_window_flags[0]);
	burn_cpu(CPU_OUTSIDE);
	atomic_store(&t_window_flags[1], 1);
	return NULL;
}

static int t_window_setup(struct sl_wctx *w, char *msg, size_t len)
{
	(void)w;
	burn_cpu(CPU_OUTSIDE);
	t_window_spinning = pthread_create(&t_window_spinner, NULL, t_window_spin, NULL) == 0;
	if (!t_window_spinning) {
		snprintf(msg, len, "cannot start the spinning thread");
		return -EAGAIN;
	}
	return 0;
}

static void t_window_make(const struct sl_setting *s, long task, void *in)
{
	t_io_make(s, task, in);
	if (task != 0)
		return;
	atomic_store(&t_window_flags[0], 1);
	t_window_wait(&t_window_flags[1]);
	burn_cpu(CPU_OUTSIDE);
}

static int t_window_after_run(struct sl_wctx *w, char *msg, size_t len)
{
	(void)w; (void)msg; (void)len;
	burn_cpu(CPU_OUTSIDE);
	return 0;
}

static void t_window_teardown(struct sl_wctx *w)
{
	(void)w;
	if (t_window_spinning)
		pthread_join(t_window_spinner, NULL);
	t_window_spinning = false;
}

static const struct sl_workload_ops t_window = {
	.name = "t_window", .help = "2 ms of CPU per task, 60 ms at every edge of the run's window", .params = t_params,
	.task_in_bytes = t_io_in, .make_input = t_window_make, .setup = t_window_setup, .run_task = t_cpu_task,
	.after_run = t_window_after_run, .teardown = t_window_teardown, .verify = t_sum_verify,
};

/* Its check after the run finds a wrong result (what gemm's check of its last product does). */
static int t_bad_after_run(struct sl_wctx *w, char *msg, size_t len)
{
	snprintf(msg, len, "worker %d: last product wrong on purpose", w->worker);
	return -EIO;
}

static const struct sl_workload_ops t_badafter = {
	.name = "t_badafter", .help = "the check after the run fails", .params = t_params,
	.run_task = t_sum_task, .after_run = t_bad_after_run, .verify = t_sum_verify,
};

static const struct sl_workload_ops *const test_workloads[] = {
	&t_sum, &t_io, &t_big, &t_kill, &t_exit, &t_hang, &t_setupfail, &t_badverify, &t_omp, &t_env,
	&t_badafter, &t_window, &t_cpu, NULL,
};

/* ---- helpers ---- */

static void set_param(struct sl_setting *s, const char *name, double value)
{
	struct sl_param_value *p = &s->params[s->nparams++];

	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->text, sizeof(p->text), "%g", value);
	p->num = value;
}

static void make_setting(struct sl_setting *s, const char *workload, const char *method, const char *dispatch,
			 int processes, int chunksize, long tasks)
{
	memset(s, 0, sizeof(*s));
	s->processes = processes;
	s->chunksize = chunksize;
	snprintf(s->chunksize_text, sizeof(s->chunksize_text), "%d", chunksize);
	snprintf(s->start_method, sizeof(s->start_method), "%s", method);
	s->threads_kind = SL_THREADS_UNSET;
	snprintf(s->threads_text, sizeof(s->threads_text), "unset");
	snprintf(s->thread_api, sizeof(s->thread_api), "env");
	snprintf(s->dispatch, sizeof(s->dispatch), "%s", dispatch);
	snprintf(s->device, sizeof(s->device), "cpu");
	snprintf(s->blas, sizeof(s->blas), "pthread");
	snprintf(s->parent_uses, sizeof(s->parent_uses), "none");
	s->timeout_s = 60;
	snprintf(s->workload, sizeof(s->workload), "%s", workload);
	set_param(s, "tasks", (double)tasks);
}

/* Processes this test left behind: its children and the forkserver's (zombies included), and any process
 * of its session with its name (an orphan keeps both), other than itself and the forkserver. */
static int leftovers(void)
{
	pid_t self = getpid(), server = sl_forkserver_pid(), sid = getsid(0);
	char mycomm[64] = "";
	int count = 0;
	DIR *d;
	struct dirent *e;
	FILE *f = fopen("/proc/self/comm", "r");

	if (f) {
		if (fgets(mycomm, sizeof(mycomm), f))
			mycomm[strcspn(mycomm, "\n")] = '\0';
		fclose(f);
	}
	d = opendir("/proc");
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], buf[1024], comm[64], state;
		int pid, ppid, pgrp, session;
		char *open, *close;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f)) {
			fclose(f);
			continue;
		}
		fclose(f);
		open = strchr(buf, '(');
		close = strrchr(buf, ')');
		if (!open || !close || close - open - 1 >= (long)sizeof(comm))
			continue;
		pid = atoi(buf);
		memcpy(comm, open + 1, (size_t)(close - open - 1));
		comm[close - open - 1] = '\0';
		if (sscanf(close + 2, "%c %d %d %d", &state, &ppid, &pgrp, &session) != 4)
			continue;
		if (pid == self || pid == server)
			continue;
		if (ppid == self || (server > 0 && ppid == server) ||
		    (session == sid && strcmp(comm, mycomm) == 0)) {
			fprintf(stderr, "left behind: pid %d (%s) state %c ppid %d\n", pid, comm, state, ppid);
			count++;
		}
	}
	closedir(d);
	return count;
}

static struct sl_run_opts opts(volatile sig_atomic_t *flag)
{
	struct sl_run_opts o = { .sample_hz = 0, .samples = NULL, .rep = 0, .interrupted = flag };

	return o;
}

static const char *const methods[] = { "fork", "spawn", "forkserver" };
static const char *const dispatches[] = { "pipe", "batch", "shm" };

static void run_expect(const struct sl_setting *s, const struct sl_workload_ops *w, const char *status)
{
	volatile sig_atomic_t flag = 0;
	struct sl_run_opts o = opts(&flag);
	struct sl_metrics m;
	int rc = sl_pool_run(s, w, &o, &m);

	if (rc != 0 || strcmp(m.status, status) != 0)
		fprintf(stderr, "%s/%s P=%d chunk=%d %s: rc %d status '%s', expected '%s'\n", s->start_method,
			s->dispatch, s->processes, s->chunksize, w->name, rc, m.status, status);
	assert_int_equal(rc, 0);
	assert_string_equal(m.status, status);
	if (strcmp(status, "ok") == 0) {
		assert_true(m.wall_s > 0);
		assert_true(m.start_latency_ms > 0);
		assert_true(m.pool_start_ms >= m.start_latency_ms * 0.999 || s->processes > 1);
		assert_true(m.pool_stop_ms >= 0);
		assert_true(m.cpu_user_s >= 0 && m.cpu_sys_s >= 0);
		assert_true(m.cores_busy >= 0);
		assert_true(m.imbalance >= 1.0 - 1e-9);
		assert_true(isnan(m.dispatch_us_per_task));  /* only the empty workload has it */
	}
	assert_int_equal(leftovers(), 0);
}

/* ---- tests ---- */

static void test_correct_every_method_and_channel(void **state)
{
	int big = sl_topology()->logical + 1;
	int ps[3] = { 1, 2, big };
	struct sl_setting s;

	(void)state;
	for (size_t mi = 0; mi < 3; mi++)
		for (size_t di = 0; di < 3; di++)
			for (int pi = 0; pi < 3; pi++) {
				/* chunk sizes that do and do not divide the task count */
				make_setting(&s, "t_sum", methods[mi], dispatches[di], ps[pi], pi == 1 ? 3 : 1, 200);
				run_expect(&s, &t_sum, "ok");
				make_setting(&s, "t_io", methods[mi], dispatches[di], ps[pi], pi == 2 ? 7 : 2, 101);
				run_expect(&s, &t_io, "ok");
			}
}

static void test_many_tasks_and_large_chunks(void **state)
{
	struct sl_setting s;

	(void)state;
	for (size_t di = 0; di < 3; di++) {
		make_setting(&s, "t_sum", "fork", dispatches[di], 2, 1, 20000);
		run_expect(&s, &t_sum, "ok");
		make_setting(&s, "t_io", "fork", dispatches[di], 2, 4096, 20000);
		run_expect(&s, &t_io, "ok");
		/* messages many times a pipe's buffer, both ways */
		for (size_t mi = 0; mi < 3; mi++) {
			make_setting(&s, "t_big", methods[mi], dispatches[di], 2, 3, 20);
			run_expect(&s, &t_big, "ok");
		}
		/* more processes than tasks: some workers get nothing */
		make_setting(&s, "t_sum", "fork", dispatches[di], 5, 1, 3);
		run_expect(&s, &t_sum, "ok");
	}
}

static void test_empty_workload_measures_dispatch(void **state)
{
	const struct sl_workload_ops *w = sl_workload_find("empty");
	struct sl_setting s;

	(void)state;
	assert_non_null(w);
	for (size_t mi = 0; mi < 3; mi++)
		for (size_t di = 0; di < 3; di++) {
			volatile sig_atomic_t flag = 0;
			struct sl_run_opts o = opts(&flag);
			struct sl_metrics m;

			make_setting(&s, "empty", methods[mi], dispatches[di], 2, 1, 5000);
			assert_int_equal(sl_pool_run(&s, w, &o, &m), 0);
			assert_string_equal(m.status, "ok");
			assert_true(m.dispatch_us_per_task > 0);
			assert_true(fabs(m.dispatch_us_per_task - m.wall_s / 5000 * 1e6) < 1e-6);
			assert_int_equal(leftovers(), 0);
		}
}

static void test_worker_killed_mid_task(void **state)
{
	struct sl_setting s;

	(void)state;
	for (size_t mi = 0; mi < 3; mi++)
		for (size_t di = 0; di < 3; di++) {
			make_setting(&s, "t_kill", methods[mi], dispatches[di], 3, 1, 400);
			set_param(&s, "victim", 150);
			run_expect(&s, &t_kill, "crash:SIGKILL");
		}
}

static void test_worker_exits_mid_task(void **state)
{
	struct sl_setting s;

	(void)state;
	for (size_t mi = 0; mi < 3; mi++) {
		make_setting(&s, "t_exit", methods[mi], "pipe", 2, 1, 100);
		set_param(&s, "victim", 50);
		run_expect(&s, &t_exit, "crash:exit3");
	}
}

static void test_hung_worker_times_out(void **state)
{
	struct sl_setting s;

	(void)state;
	for (size_t mi = 0; mi < 3; mi++) {
		make_setting(&s, "t_hang", methods[mi], dispatches[mi % 3], 2, 1, 50);
		set_param(&s, "victim", 10);
		s.timeout_s = 1;
		run_expect(&s, &t_hang, "hang");
	}
}

static volatile sig_atomic_t alarm_flag;

static void on_alarm(int sig)
{
	(void)sig;
	alarm_flag = 1;
}

static void test_interrupted_run_stops_clean(void **state)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct sl_setting s;

	(void)state;
	sigaction(SIGALRM, &sa, &old);
	for (size_t mi = 0; mi < 3; mi++) {
		struct sl_run_opts o = opts(&alarm_flag);
		struct itimerval it = { .it_value = { 0, 300000 } };
		struct sl_metrics m;

		make_setting(&s, "t_hang", methods[mi], dispatches[(mi + 1) % 3], 3, 1, 50);
		set_param(&s, "victim", 5);
		alarm_flag = 0;
		setitimer(ITIMER_REAL, &it, NULL);
		assert_int_equal(sl_pool_run(&s, &t_hang, &o, &m), -EINTR);
		assert_int_equal(leftovers(), 0);
	}
	sigaction(SIGALRM, &old, NULL);
}

static void test_setup_and_verify_errors(void **state)
{
	struct sl_setting s;

	(void)state;
	for (size_t mi = 0; mi < 3; mi++) {
		make_setting(&s, "t_setupfail", methods[mi], "shm", 2, 1, 10);
		run_expect(&s, &t_setupfail, "error:setup refused on purpose");
		make_setting(&s, "t_badverify", methods[mi], "pipe", 2, 1, 10);
		run_expect(&s, &t_badverify, "error:wrong on purpose");
		/* the workers' checks kept out of the clock still fail the run, on every channel */
		for (size_t di = 0; di < 3; di++) {
			volatile sig_atomic_t flag = 0;
			struct sl_run_opts o = opts(&flag);
			struct sl_metrics m;

			make_setting(&s, "t_badafter", methods[mi], dispatches[di], 2, 1, 10);
			assert_int_equal(sl_pool_run(&s, &t_badafter, &o, &m), 0);
			if (!strstr(m.status, "last product wrong on purpose"))
				fail_msg("%s/%s: status '%s'", methods[mi], dispatches[di], m.status);
			assert_int_equal(leftovers(), 0);
		}
	}
}

/* CPU is counted over the wall time's window: the coordinator's exactly, each worker's from its first
 * chunk to its last result; the workers' start-up CPU in a column of its own. t_window spends 60 ms of
 * CPU at each edge of the window and 8 ms inside it: a window that takes in any edge is 60 ms over,
 * whatever the load and the clock's ticks. */
static void test_cpu_within_the_run_window(void **state)
{
	double limit = sl_topology()->logical * 1.05, inside = 4 * 2e-3;
	struct sl_setting s;

	(void)state;
	t_window_flags = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(t_window_flags != MAP_FAILED);
	for (size_t di = 0; di < 3; di++) {
		volatile sig_atomic_t flag = 0;
		struct sl_run_opts o = opts(&flag);
		struct sl_metrics m;
		double cpu;

		atomic_store(&t_window_flags[0], 0);
		atomic_store(&t_window_flags[1], 0);
		make_setting(&s, "t_window", "fork", dispatches[di], 1, 1, 4);
		assert_int_equal(sl_pool_run(&s, &t_window, &o, &m), 0);
		assert_string_equal(m.status, "ok");
		assert_true(atomic_load(&t_window_flags[1]));     /* the worker's thread did spin */
		cpu = m.cpu_user_s + m.cpu_sys_s;
		if (!(cpu >= inside * 0.95 && cpu < inside + CPU_OUTSIDE / 2))
			fail_msg("%s: the run's CPU %.1f ms; its tasks used %.1f ms, 60 ms more at each edge of its window",
				 dispatches[di], cpu * 1e3, inside * 1e3);
		if (!(m.cores_busy <= limit))
			fail_msg("%s: cores_busy %.2f over %.2f logical CPUs (cpu %g s in %g s)", dispatches[di],
				 m.cores_busy, limit / 1.05, cpu, m.wall_s);
		if (!(m.cpu_startup_s >= CPU_OUTSIDE * 0.9 && m.cpu_startup_s < 10))
			fail_msg("%s: start-up CPU %.1f ms, the setup alone used 60 ms", dispatches[di], m.cpu_startup_s * 1e3);
		assert_int_equal(leftovers(), 0);
	}
	munmap(t_window_flags, 4096);
	t_window_flags = NULL;
	/* and the workers' CPU in the window is all there: 8 tasks of 2 ms CPU each */
	for (size_t di = 0; di < 3; di++) {
		volatile sig_atomic_t flag = 0;
		struct sl_run_opts o = opts(&flag);
		struct sl_metrics m;

		make_setting(&s, "t_cpu", "fork", dispatches[di], 2, 1, 8);
		assert_int_equal(sl_pool_run(&s, &t_cpu, &o, &m), 0);
		assert_string_equal(m.status, "ok");
		if (!(m.cpu_user_s + m.cpu_sys_s >= 8 * 2e-3 * 0.95))
			fail_msg("%s: the run's CPU %g s, its tasks used 0.016 s", dispatches[di], m.cpu_user_s + m.cpu_sys_s);
	}
}

/* The start-safety matrix's key cell, from a real run: a coordinator that used OpenMP, then its workers
 * use OpenMP. libgomp's pool does not survive fork: the fork worker hangs; spawn and forkserver are fine. */
static void test_fork_after_openmp_hangs(void **state)
{
	struct sl_setting s;

	(void)state;
	for (size_t mi = 0; mi < 3; mi++) {
		make_setting(&s, "t_omp", methods[mi], "pipe", 2, 1, 4);
		snprintf(s.parent_uses, sizeof(s.parent_uses), "openmp");
		s.timeout_s = 2;
		run_expect(&s, &t_omp, mi == 0 ? "hang" : "ok");
	}
	/* the sub-coordinator's metrics come back to the caller */
	{
		volatile sig_atomic_t flag = 0;
		struct sl_run_opts o = opts(&flag);
		struct sl_metrics m;

		make_setting(&s, "t_omp", "spawn", "shm", 2, 1, 4);
		snprintf(s.parent_uses, sizeof(s.parent_uses), "openmp");
		assert_int_equal(sl_pool_run(&s, &t_omp, &o, &m), 0);
		assert_string_equal(m.status, "ok");
		assert_true(m.threads_lib >= 1 && m.wall_s > 0 && m.start_latency_ms > 0);
	}
	/* and a clean coordinator's fork workers can use OpenMP */
	make_setting(&s, "t_omp", "fork", "shm", 2, 1, 4);
	run_expect(&s, &t_omp, "ok");
}

static void test_parent_rss_and_bad_settings(void **state)
{
	struct sl_setting s;

	(void)state;
	make_setting(&s, "t_sum", "fork", "shm", 2, 1, 100);
	s.parent_rss_mb = 16;
	run_expect(&s, &t_sum, "ok");
	make_setting(&s, "t_sum", "fork", "carrier", 2, 1, 100);
	run_expect(&s, &t_sum, "error:unknown dispatch 'carrier'");
	make_setting(&s, "t_sum", "fork", "pipe", 2, 1, 100);
	snprintf(s.parent_uses, sizeof(s.parent_uses), "perl");
	run_expect(&s, &t_sum, "error:unknown parent_uses 'perl'");
	make_setting(&s, "t_sum", "fork", "pipe", 2, 1, 100);
	snprintf(s.parent_uses, sizeof(s.parent_uses), "cuda");
	{
		volatile sig_atomic_t flag = 0;
		struct sl_run_opts o = opts(&flag);
		struct sl_metrics m;

		assert_int_equal(sl_pool_run(&s, &t_sum, &o, &m), 0);
		/* skipped without CUDA or a device; with one, fork after CUDA init is the question */
		assert_true(strncmp(m.status, "skipped:", 8) == 0 || strcmp(m.status, "ok") == 0 ||
			    strncmp(m.status, "error:", 6) == 0 || strncmp(m.status, "crash:", 6) == 0);
		assert_int_equal(leftovers(), 0);
	}
}

static void test_forkserver_start_finish_leaves_nothing(void **state)
{
	struct sl_setting s;
	pid_t server;

	(void)state;
	sl_pool_finish_all();
	assert_int_equal(sl_forkserver_pid(), -1);
	assert_int_equal(sl_pool_prepare_all(), 0);
	server = sl_forkserver_pid();
	assert_true(server > 0);
	assert_int_equal(kill(server, 0), 0);
	make_setting(&s, "t_sum", "forkserver", "shm", 2, 1, 100);
	run_expect(&s, &t_sum, "ok");
	sl_pool_finish_all();
	sl_pool_finish_all();           /* safe twice */
	assert_int_equal(sl_forkserver_pid(), -1);
	assert_int_equal(kill(server, 0), -1);     /* reaped: no zombie keeps the pid */
	assert_int_equal(leftovers(), 0);
	/* a forkserver run without prepare starts the server on demand */
	make_setting(&s, "t_sum", "forkserver", "pipe", 2, 1, 100);
	run_expect(&s, &t_sum, "ok");
	assert_true(sl_forkserver_pid() > 0);
	sl_pool_finish_all();
	assert_int_equal(leftovers(), 0);
	assert_int_equal(sl_pool_prepare_all(), 0);
}

static void test_threads_env_reaches_workers(void **state)
{
	char env[SL_POOL_MAX_ENV][SL_POOL_ENV_LEN];
	struct sl_setting s;
	bool omp_env = false;
	int n;

	(void)state;
	make_setting(&s, "t_env", "fork", "pipe", 2, 1, 4);
	s.threads_kind = SL_THREADS_N;
	s.threads = 1;
	snprintf(s.threads_text, sizeof(s.threads_text), "1");
	n = sl_threads_env(&s, env, SL_POOL_MAX_ENV);
	for (int i = 0; i < n; i++)
		omp_env |= strcmp(env[i], "OMP_NUM_THREADS=1") == 0;
	/* until threads.c names OMP_NUM_THREADS the worker must see it unset */
	set_param(&s, "victim", omp_env ? 1 : 0);
	/* thread_api=env: each start method puts the variables into the worker, never into the coordinator */
	for (size_t mi = 0; mi < 3; mi++) {
		volatile sig_atomic_t flag = 0;
		struct sl_run_opts o = opts(&flag);
		struct sl_metrics m;

		snprintf(s.start_method, sizeof(s.start_method), "%s", methods[mi]);
		snprintf(s.workload, sizeof(s.workload), "t_env");
		assert_int_equal(sl_pool_run(&s, &t_env, &o, &m), 0);
		assert_string_equal(m.status, "ok");
		assert_null(getenv("OMP_NUM_THREADS"));
		assert_int_equal(leftovers(), 0);
		/* libgomp reads OMP_NUM_THREADS once, when it is loaded: a fresh image (spawn) obeys it, and
		 * fork and forkserver workers are given the count it would have read */
		snprintf(s.workload, sizeof(s.workload), "t_omp");
		assert_int_equal(sl_pool_run(&s, &t_omp, &o, &m), 0);
		assert_string_equal(m.status, "ok");
		assert_true(m.threads_lib == (omp_env ? 1 : omp_get_max_threads()));
		assert_int_equal(leftovers(), 0);
	}
	/* unless the coordinator used the library first (parent_uses): the seeds' trap, where the
	 * variable set in a forked worker comes too late. parent_uses = openblas with the pthread build
	 * leaves the coordinator's OpenMP count in a forked worker, and spawn still obeys. */
	if (omp_env && omp_get_max_threads() > 1) {
		for (size_t mi = 0; mi < 2; mi++) {
			volatile sig_atomic_t flag = 0;
			struct sl_run_opts o = opts(&flag);
			struct sl_metrics m;

			snprintf(s.start_method, sizeof(s.start_method), "%s", mi ? "spawn" : "fork");
			snprintf(s.workload, sizeof(s.workload), "t_omp");
			snprintf(s.parent_uses, sizeof(s.parent_uses), "openblas");
			snprintf(s.blas, sizeof(s.blas), "pthread");
			assert_int_equal(sl_pool_run(&s, &t_omp, &o, &m), 0);
			assert_string_equal(m.status, "ok");
			assert_true(m.threads_lib == (mi ? 1 : omp_get_max_threads()));
			assert_int_equal(leftovers(), 0);
		}
		s.parent_uses[0] = '\0';
	}
}

static int group_setup(void **state)
{
	(void)state;
	return sl_pool_prepare_all();
}

static int group_teardown(void **state)
{
	(void)state;
	sl_pool_finish_all();
	return leftovers() ? -1 : 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_correct_every_method_and_channel),
		cmocka_unit_test(test_many_tasks_and_large_chunks),
		cmocka_unit_test(test_empty_workload_measures_dispatch),
		cmocka_unit_test(test_worker_killed_mid_task),
		cmocka_unit_test(test_worker_exits_mid_task),
		cmocka_unit_test(test_hung_worker_times_out),
		cmocka_unit_test(test_interrupted_run_stops_clean),
		cmocka_unit_test(test_setup_and_verify_errors),
		cmocka_unit_test(test_cpu_within_the_run_window),
		cmocka_unit_test(test_fork_after_openmp_hangs),
		cmocka_unit_test(test_parent_rss_and_bad_settings),
		cmocka_unit_test(test_forkserver_start_finish_leaves_nothing),
		cmocka_unit_test(test_threads_env_reaches_workers),
	};

	sl_pool_extra_workloads = test_workloads;
	/* spawn starts this binary as a worker */
	if (argc >= 2 && strcmp(argv[1], "__worker") == 0)
		return sl_worker_main(argc - 1, argv + 1);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
