/* test_mpi.c: the mpi start method run for real (mpirun, 2-5 ranks on this machine) with workloads
 * defined here: correct results over pipe and shm, sane metrics, a killed rank, a failing task, a
 * hang, Ctrl-C, srun under Slurm, and never a process left behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "launch/mpi.h"
#include "sys/blas.h"
#include "core/launcher.h"
#include "run/engine.h"

/* ---- workloads of the test ---- */

#define IN_DOUBLES 8

static const struct sl_param_def t_params[] = {
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "20", .help = "tasks", .min = 1, .max = 1e6 },
	{ .name = "bad_task", .type = SL_PARAM_INT, .def = "-1", .help = "task that fails", .min = -1, .max = 1e6 },
	{ .name = NULL },
};

/* The result of task t: the sum 0 + 1 + ... + t, computed the slow way. */
static int sum_run(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg,
		   size_t msglen)
{
	double s = 0;

	(void)w; (void)in; (void)out; (void)msg; (void)msglen;
	for (long i = 0; i <= task; i++)
		s += (double)i;
	*result = s;
	return 0;
}

static int sum_verify(const struct sl_setting *s, long ntasks, const double *r, const void *outputs,
		      char *msg, size_t msglen)
{
	(void)s; (void)outputs;
	for (long t = 0; t < ntasks; t++)
		if (r[t] != (double)t * (double)(t + 1) / 2) {
			snprintf(msg, msglen, "task %ld: %g", t, r[t]);
			return -EINVAL;
		}
	return 0;
}

static const struct sl_workload_ops t_sum = {
	.name = "t_sum", .help = "sums", .params = t_params, .run_task = sum_run, .verify = sum_verify,
};

/* Inputs and outputs travel: in = t, t+1, ...; out = 2 * in; result = sum of in. */
static size_t io_in_bytes(const struct sl_setting *s) { (void)s; return IN_DOUBLES * sizeof(double); }
static size_t io_out_bytes(const struct sl_setting *s) { (void)s; return IN_DOUBLES * sizeof(double); }

static void io_make_input(const struct sl_setting *s, long task, void *in)
{
	(void)s;
	for (int i = 0; i < IN_DOUBLES; i++)
		((double *)in)[i] = (double)(task + i);
}

static int io_run(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg,
		  size_t msglen)
{
	const double *x = in;
	double s = 0;

	(void)w; (void)task; (void)msg; (void)msglen;
	for (int i = 0; i < IN_DOUBLES; i++) {
		s += x[i];
		((double *)out)[i] = 2 * x[i];
	}
	*result = s;
	return 0;
}

static int io_verify(const struct sl_setting *s, long ntasks, const double *r, const void *outputs,
		     char *msg, size_t msglen)
{
	const double *o = outputs;

	(void)s;
	for (long t = 0; t < ntasks; t++) {
		if (r[t] != (double)(IN_DOUBLES * t + IN_DOUBLES * (IN_DOUBLES - 1) / 2)) {
			snprintf(msg, msglen, "task %ld: result %g", t, r[t]);
			return -EINVAL;
		}
		for (int i = 0; i < IN_DOUBLES; i++)
			if (o[t * IN_DOUBLES + i] != 2.0 * (double)(t + i)) {
				snprintf(msg, msglen, "task %ld: output %d is %g", t, i, o[t * IN_DOUBLES + i]);
				return -EINVAL;
			}
	}
	return 0;
}

static const struct sl_workload_ops t_io = {
	.name = "t_io", .help = "inputs and outputs", .params = t_params, .task_in_bytes = io_in_bytes,
	.task_out_bytes = io_out_bytes, .make_input = io_make_input, .run_task = io_run, .verify = io_verify,
};

/* Task bad_task kills its own rank. */
static int crash_run(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg,
		     size_t msglen)
{
	if (task == (long)sl_setting_num(w->setting, "bad_task", -1))
		raise(SIGKILL);
	return sum_run(w, task, in, out, result, msg, msglen);
}

static const struct sl_workload_ops t_crash = {
	.name = "t_crash", .help = "a rank dies", .params = t_params, .run_task = crash_run,
	.verify = sum_verify,
};

/* Task bad_task fails with a message. */
static int error_run(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg,
		     size_t msglen)
{
	if (task == (long)sl_setting_num(w->setting, "bad_task", -1)) {
		snprintf(msg, msglen, "task %ld refused", task);
		return -EIO;
	}
	return sum_run(w, task, in, out, result, msg, msglen);
}

static const struct sl_workload_ops t_error = {
	.name = "t_error", .help = "a task fails", .params = t_params, .run_task = error_run,
	.verify = sum_verify,
};

/* Task bad_task never returns. */
static int hang_run(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg,
		    size_t msglen)
{
	if (task == (long)sl_setting_num(w->setting, "bad_task", -1))
		for (;;)
			pause();
	return sum_run(w, task, in, out, result, msg, msglen);
}

static const struct sl_workload_ops t_hang = {
	.name = "t_hang", .help = "a task hangs", .params = t_params, .run_task = hang_run,
	.verify = sum_verify,
};

/* Setup fails on every worker. */
static int setup_fail(struct sl_wctx *w, char *msg, size_t msglen)
{
	(void)w;
	snprintf(msg, msglen, "no such device");
	return -ENODEV;
}

static const struct sl_workload_ops t_nosetup = {
	.name = "t_nosetup", .help = "setup fails", .params = t_params, .setup = setup_fail,
	.run_task = sum_run, .verify = sum_verify,
};

/* The thread limit a worker was started with (thread_api = env): its OPENBLAS_NUM_THREADS. */
static int env_run(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg,
		   size_t msglen)
{
	const char *v = getenv("OPENBLAS_NUM_THREADS");

	(void)w; (void)task; (void)in; (void)out; (void)msg; (void)msglen;
	*result = v ? atof(v) : -1;
	return 0;
}

static int env_verify(const struct sl_setting *s, long ntasks, const double *r, const void *outputs,
		      char *msg, size_t msglen)
{
	(void)outputs;
	for (long t = 0; t < ntasks; t++)
		if (r[t] != (double)s->threads) {
			snprintf(msg, msglen, "task %ld saw OPENBLAS_NUM_THREADS=%g, not %d", t, r[t], s->threads);
			return -EINVAL;
		}
	return 0;
}

static const struct sl_workload_ops t_env = {
	.name = "t_env", .help = "thread env", .params = t_params, .run_task = env_run, .verify = env_verify,
};

/* Named like the registry's `empty` (which it shadows in this program): the run phase of an empty
 * task is all dispatch, so dispatch_us_per_task is measured for it alone. */
static int empty_run(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg,
		     size_t msglen)
{
	(void)w; (void)in; (void)out; (void)msg; (void)msglen;
	*result = (double)task;
	return 0;
}

static int empty_verify(const struct sl_setting *s, long ntasks, const double *r, const void *outputs,
			char *msg, size_t msglen)
{
	(void)s; (void)outputs;
	for (long t = 0; t < ntasks; t++)
		if (r[t] != (double)t) {
			snprintf(msg, msglen, "task %ld: %g", t, r[t]);
			return -EINVAL;
		}
	return 0;
}

static const struct sl_workload_ops t_empty = {
	.name = "empty", .help = "nothing", .params = t_params, .run_task = empty_run, .verify = empty_verify,
	.engine_flags = SL_WL_DISPATCH_ONLY,          /* the run phase is all dispatch: dispatch_us_per_task */
};

static const struct sl_workload_ops *const test_workloads[] = {
	&t_empty, &t_env, &t_sum, &t_io, &t_crash, &t_error, &t_hang, &t_nosetup, NULL,
};

/* ---- helpers ---- */

static void setting(struct sl_setting *s, const struct sl_workload_ops *w, int processes, int chunksize,
		    const char *dispatch, long tasks, long bad_task)
{
	memset(s, 0, sizeof(*s));
	s->processes = processes;
	s->chunksize = chunksize;
	snprintf(s->chunksize_text, sizeof(s->chunksize_text), "%d", chunksize);
	strcpy(s->start_method, "mpi");
	strcpy(s->threads_text, "unset");
	strcpy(s->thread_api, "env");
	strcpy(s->dispatch, dispatch);
	strcpy(s->device, "cpu");
	strcpy(s->blas, "pthread");
	strcpy(s->parent_uses, "none");
	s->timeout_s = getenv("TEST_MPI_TIMEOUT") ? atof(getenv("TEST_MPI_TIMEOUT")) : 60;
	strcpy(s->workload, w->name);
	s->nparams = 2;
	strcpy(s->params[0].name, "tasks");
	snprintf(s->params[0].text, sizeof(s->params[0].text), "%ld", tasks);
	s->params[0].num = (double)tasks;
	strcpy(s->params[1].name, "bad_task");
	snprintf(s->params[1].text, sizeof(s->params[1].text), "%ld", bad_task);
	s->params[1].num = (double)bad_task;
}

/* Processes started for this test process: ranks and launchers carry "--tag <our pid>", and any
 * child of ours (a zombie too). */
static int leftovers(void)
{
	char tag[32], path[64], buf[8192];
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	snprintf(tag, sizeof(tag), "%d", (int)getpid());
	while ((e = readdir(d))) {
		long pid;
		char *end;
		ssize_t r;
		int fd;

		pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			r = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (r > 0) {
				char *p;
				int ppid;

				buf[r] = '\0';
				p = strrchr(buf, ')');
				if (p && sscanf(p + 1, " %*c %d", &ppid) == 1 && ppid == getpid()) {
					fprintf(stderr, "left behind: child %ld\n", pid);
					n++;
					continue;
				}
			}
		}
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = '\0';
		for (char *p = buf; p < buf + r; p += strlen(p) + 1)
			if (strcmp(p, "--tag") == 0 && p + strlen(p) + 1 < buf + r &&
			    strcmp(p + strlen(p) + 1, tag) == 0) {
				fprintf(stderr, "left behind: %ld %s\n", pid, buf);
				n++;
				break;
			}
	}
	closedir(d);
	/* the launcher's output files have no names: nothing may appear in our TMPDIR */
	d = opendir(getenv("TMPDIR"));
	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			fprintf(stderr, "left behind: %s/%s\n", getenv("TMPDIR"), e->d_name);
			n++;
		}
	closedir(d);
	return n;
}

static void run_ok(const struct sl_setting *s, const struct sl_workload_ops *w, struct sl_metrics *m)
{
	struct sl_run_opts o = { 0 };

	assert_int_equal(sl_mpi_run(s, w, &o, m), 0);
	if (getenv("TEST_MPI_VERBOSE"))
		printf("%s P=%d %s chunk=%d: wall %.4f s, start latency %.1f ms, pool start %.1f ms, "
		       "stop %.1f ms, dispatch %.2f us/task, cpu %.3f s, threads %g/%g\n", w->name, s->processes,
		       s->dispatch, s->chunksize, m->wall_s, m->start_latency_ms, m->pool_start_ms,
		       m->pool_stop_ms, m->dispatch_us_per_task, m->cpu_user_s + m->cpu_sys_s, m->threads_peak,
		       m->threads_total_peak);
	if (strcmp(m->status, "ok") != 0)
		fail_msg("status '%s'", m->status);
	assert_int_equal(leftovers(), 0);
}

/* What every good run must show, whatever the machine. */
static void check_metrics(const struct sl_metrics *m, int processes)
{
	assert_true(m->wall_s > 0 && m->wall_s < 60);
	assert_true(m->start_latency_ms > 0);
	assert_true(m->pool_start_ms >= m->start_latency_ms);
	assert_true(m->pool_stop_ms >= 0);
	/* the run phase only: no MPI_Init in it; never more cores than ranks (with some slack) */
	assert_true(m->cpu_user_s >= 0 && m->cpu_sys_s >= 0);
	assert_true(m->cores_busy >= 0 && m->cores_busy < 1.5 * (processes + 1));
	assert_true(m->ctx_vol >= 0 && m->ctx_invol >= 0);
	assert_true(m->rss_peak_mb > 1 && m->rss_peak_mb < 4096);
	assert_true(isnan(m->dispatch_us_per_task));           /* measured with `empty` only */
	assert_true(m->imbalance >= 1);
	if (sl_threads_count_self() > 0) {
		/* a worker has at least its own thread (Open MPI adds progress threads) */
		assert_true(m->threads_peak >= 1);
		assert_true(m->threads_total_peak >= m->threads_peak);
	}
	assert_true(isnan(m->gflops));                         /* the test workloads declare no flops */
}

/* ---- tests ---- */

static void test_launcher_registered(void **state)
{
	const struct sl_launcher_ops *l = sl_launcher_find("mpi");
	char why[100];
	struct sl_setting s;

	(void)state;
	assert_non_null(l);
	assert_null(l->unimplemented_reason);          /* this build has MPI */
	setting(&s, &t_sum, 2, 1, "pipe", 4, -1);
	assert_true(l->supported(&s, why, sizeof(why)));
}

static void test_pipe_two_ranks(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;

	(void)state;
	setting(&s, &t_sum, 2, 3, "pipe", 40, -1);
	run_ok(&s, &t_sum, &m);
	check_metrics(&m, 2);
}

static void test_pipe_four_ranks_inputs(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;

	(void)state;
	/* 5 ranks on however few cores: --oversubscribe; chunks of 1, inputs and outputs both ways */
	setting(&s, &t_io, 4, 1, "pipe", 25, -1);
	run_ok(&s, &t_io, &m);
	check_metrics(&m, 4);
}

static void test_shm_three_ranks_inputs(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;

	(void)state;
	setting(&s, &t_io, 3, 4, "shm", 30, -1);
	run_ok(&s, &t_io, &m);
	check_metrics(&m, 3);
}

static void test_empty_dispatch(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;

	(void)state;
	/* every task is a message each way (pipe) or an atomic on rank 0's window (shm) */
	setting(&s, &t_empty, 2, 1, "pipe", 300, -1);
	run_ok(&s, &t_empty, &m);
	assert_true(m.dispatch_us_per_task > 0 && m.dispatch_us_per_task < 1e5);
	assert_true(fabs(m.dispatch_us_per_task - m.wall_s / 300 * 1e6) < 1e-6 * m.dispatch_us_per_task + 1e-3);
	setting(&s, &t_empty, 2, 1, "shm", 300, -1);
	run_ok(&s, &t_empty, &m);
	assert_true(m.dispatch_us_per_task > 0 && m.dispatch_us_per_task < 1e5);
	assert_int_equal(leftovers(), 0);
}

static void test_thread_env(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;

	(void)state;
	/* threads = 3, thread_api = env: every rank starts with the limit in its environment */
	setting(&s, &t_env, 2, 1, "pipe", 6, -1);
	s.threads_kind = SL_THREADS_N;
	s.threads = 3;
	strcpy(s.threads_text, "3");
	{
		char env[16][64];

		if (sl_threads_env(&s, env, 16) == 0)
			skip();          /* thread limits are not built into this tree yet */
	}
	run_ok(&s, &t_env, &m);
}

static void test_shm_one_rank(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;

	(void)state;
	/* one worker, a chunk larger than the run: the last chunk is cut short */
	setting(&s, &t_sum, 1, 64, "shm", 50, -1);
	run_ok(&s, &t_sum, &m);
	check_metrics(&m, 1);
}

static void test_rank_killed(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;
	struct sl_run_opts o = { 0 };

	/* A killed rank is a crash, never ok or hang, and nothing is left. Which words name it depends on
	 * Open MPI 4.1's mpirun, whose abort is unreliable here: usually it reports the rank's SIGKILL,
	 * sometimes it stalls (speedlab's own watch of the ranks then reports it) or crashes itself. */
	(void)state;
	setting(&s, &t_crash, 2, 1, "pipe", 12, 5);
	assert_int_equal(sl_mpi_run(&s, &t_crash, &o, &m), 0);
	if (strncmp(m.status, "crash:", 6) != 0)
		fail_msg("a killed rank gave '%s', not crash:", m.status);
	assert_int_equal(leftovers(), 0);

	setting(&s, &t_crash, 2, 2, "shm", 12, 7);
	assert_int_equal(sl_mpi_run(&s, &t_crash, &o, &m), 0);
	if (strncmp(m.status, "crash:", 6) != 0)
		fail_msg("a killed rank gave '%s', not crash:", m.status);
	assert_int_equal(leftovers(), 0);
}

static void test_task_error(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;
	struct sl_run_opts o = { 0 };

	(void)state;
	setting(&s, &t_error, 2, 2, "pipe", 12, 3);
	assert_int_equal(sl_mpi_run(&s, &t_error, &o, &m), 0);
	assert_string_equal(m.status, "error:task 3 refused");
	assert_true(isnan(m.wall_s));                  /* a failed run has no wall time to compare */
	assert_int_equal(leftovers(), 0);

	setting(&s, &t_error, 2, 2, "shm", 12, 9);
	assert_int_equal(sl_mpi_run(&s, &t_error, &o, &m), 0);
	assert_string_equal(m.status, "error:task 9 refused");
	assert_int_equal(leftovers(), 0);

	setting(&s, &t_nosetup, 2, 2, "pipe", 12, -1);
	assert_int_equal(sl_mpi_run(&s, &t_nosetup, &o, &m), 0);
	assert_string_equal(m.status, "error:no such device");
	assert_int_equal(leftovers(), 0);
}

static void test_hang_killed(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;
	struct sl_run_opts o = { 0 };

	(void)state;
	setting(&s, &t_hang, 2, 1, "pipe", 12, 4);
	s.timeout_s = 2;
	assert_int_equal(sl_mpi_run(&s, &t_hang, &o, &m), 0);
	assert_string_equal(m.status, "hang");
	assert_int_equal(leftovers(), 0);
}

static volatile sig_atomic_t interrupted;

static void *interrupt_later(void *arg)
{
	(void)arg;
	sleep(1);
	interrupted = 1;
	return NULL;
}

static void test_interrupted(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;
	struct sl_run_opts o = { .interrupted = &interrupted };
	pthread_t th;

	(void)state;
	setting(&s, &t_hang, 3, 1, "shm", 12, 0);
	interrupted = 0;
	assert_int_equal(pthread_create(&th, NULL, interrupt_later, NULL), 0);
	assert_int_equal(sl_mpi_run(&s, &t_hang, &o, &m), -EINTR);
	pthread_join(th, NULL);
	assert_int_equal(leftovers(), 0);
}

/* Under Slurm the ranks are started by srun: a stand-in srun records its arguments and runs mpirun. */
static void test_srun(void **state)
{
	char dir[] = "/tmp/speedlab-test-srun-XXXXXX", path[256], args[256], *text, *old_path;
	struct sl_setting s;
	struct sl_metrics m;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/srun", dir);
	snprintf(args, sizeof(args), "%s/args", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n"
		   "printf '%%s\\n' \"$@\" > '%s'\n"
		   "n=1\n"
		   "for a; do case $a in --ntasks=*) n=${a#--ntasks=};; --*) ;; *) break;; esac; shift; done\n"
		   "exec mpirun -np \"$n\" --oversubscribe --allow-run-as-root --bind-to none \"$@\"\n", args);
	fclose(f);
	chmod(path, 0755);
	old_path = strdup(getenv("PATH"));
	{
		char np[4096];

		snprintf(np, sizeof(np), "%s:%s", dir, old_path);
		setenv("PATH", np, 1);
	}
	setenv("SLURM_JOB_ID", "4242", 1);
	setting(&s, &t_sum, 2, 2, "pipe", 10, -1);
	s.mpi_ranks_per_node = 3;
	strcpy(s.mpi_bind, "core");
	strcpy(s.mpi_hosts, "vm:3");
	run_ok(&s, &t_sum, &m);
	unsetenv("SLURM_JOB_ID");
	setenv("PATH", old_path, 1);
	free(old_path);
	text = sl_read_file(args, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "--ntasks=3\n"));
	assert_non_null(strstr(text, "--ntasks-per-node=3\n"));
	assert_non_null(strstr(text, "--cpu-bind=cores\n"));
	assert_non_null(strstr(text, "--nodelist=vm\n"));
	assert_non_null(strstr(text, "--kill-on-bad-exit=1\n"));
	/* Open MPI's ranks need Slurm's PMIx plug-in, whatever the cluster's MpiDefault */
	assert_non_null(strstr(text, "--mpi=pmix\n"));
	assert_non_null(strstr(text, "\n__mpi\n"));
	free(text);
	unlink(args);
	unlink(path);
	rmdir(dir);
}

/* A rank srun started counts the ranks on its node from Slurm's per-node task list; one mpirun
 * started (OMPI_COMM_WORLD_SIZE set) or a list it cannot read counts none. */
static void test_srun_local_tasks(void **state)
{
#ifdef SL_HAVE_MPI
	static const struct { const char *list, *node; long want; } cases[] = {
		{ "4", "0", 4 }, { "2(x3),1", "0", 2 }, { "2(x3),1", "2", 2 }, { "2(x3),1", "3", 1 },
		{ "2(x3),1", "4", 0 }, { "3,5", "1", 5 }, { "2(x", "0", 0 }, { "", "0", 0 }, { "4", "x", 0 },
	};

	(void)state;
	unsetenv("OMPI_COMM_WORLD_SIZE");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setenv("SLURM_STEP_TASKS_PER_NODE", cases[i].list, 1);
		setenv("SLURM_NODEID", cases[i].node, 1);
		assert_int_equal(sl_mpi_srun_local_tasks(), cases[i].want);
	}
	setenv("SLURM_STEP_TASKS_PER_NODE", "4", 1);
	setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
	assert_int_equal(sl_mpi_srun_local_tasks(), 0);
	unsetenv("OMPI_COMM_WORLD_SIZE");
	unsetenv("SLURM_NODEID");
	assert_int_equal(sl_mpi_srun_local_tasks(), 0);
	unsetenv("SLURM_STEP_TASKS_PER_NODE");
#else
	(void)state;
#endif
}

/* A stand-in launcher: a shell script dir/name (dir from mkdtemp) that speedlab runs instead of
 * mpirun or srun. write_script() rewrites it; launcher_done() removes it and what sits beside it. */
struct fake_launcher {
	char dir[64], path[128];
};

static void write_script(const struct fake_launcher *l, const char *body)
{
	FILE *f = fopen(l->path, "w");

	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(l->path, 0755), 0);
}

static void launcher_start(struct fake_launcher *l, const char *name, const char *body)
{
	snprintf(l->dir, sizeof(l->dir), "/tmp/speedlab-test-%s-XXXXXX", name);
	assert_non_null(mkdtemp(l->dir));
	snprintf(l->path, sizeof(l->path), "%s/%s", l->dir, name);
	write_script(l, body);
	setenv("SPEEDLAB_MPI_LAUNCHER", l->path, 1);
}

static void launcher_done(struct fake_launcher *l)
{
	char cmd[160];

	unsetenv("SPEEDLAB_MPI_LAUNCHER");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", l->dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(leftovers(), 0);
}

/* How Slurm reports a task killed by a signal, and a launcher that prints nothing useful. */
static void test_srun_failures(void **state)
{
	struct fake_launcher l;
	struct sl_setting s;
	struct sl_metrics m;
	struct sl_run_opts o = { 0 };

	(void)state;
	launcher_start(&l, "srun", "echo 'srun: error: node7: task 2: Segmentation fault (core dumped)' >&2\n"
				   "echo 'srun: Terminating StepId=1.0' >&2\n"
				   "exit 1\n");
	setting(&s, &t_sum, 2, 1, "pipe", 4, -1);
	assert_int_equal(sl_mpi_run(&s, &t_sum, &o, &m), 0);
	assert_string_equal(m.status, "crash:SIGSEGV");

	write_script(&l, "echo 'srun: error: Unable to allocate resources: Invalid partition' >&2\nexit 1\n");
	assert_int_equal(sl_mpi_run(&s, &t_sum, &o, &m), 0);
	assert_string_equal(m.status, "error:launcher exit 1: srun: error: Unable to allocate resources: Invalid partition");
	launcher_done(&l);
}

/* Open MPI 4.1's mpirun sometimes crashes itself (SIGSEGV in orte_finalize) while it aborts a job
 * after a rank died, having printed nothing about the rank. A stand-in mpirun does that on purpose:
 * the rank's death, seen by speedlab's own watch, is the cause; a launcher that crashes with every
 * rank alive is the launcher's error. */
static void test_launcher_crashes(void **state)
{
	struct fake_launcher l;
	struct sl_setting s;
	struct sl_metrics m;
	struct sl_run_opts o = { 0 };

	(void)state;
	launcher_start(&l, "mpirun", "mpirun \"$@\" >/dev/null 2>&1\nkill -SEGV $$\n");
	setting(&s, &t_crash, 2, 1, "pipe", 12, 5);
	assert_int_equal(sl_mpi_run(&s, &t_crash, &o, &m), 0);
	if (strncmp(m.status, "crash:", 6) != 0)
		fail_msg("a killed rank under a crashing launcher gave '%s', not crash:", m.status);
	assert_int_equal(leftovers(), 0);

	write_script(&l, "kill -SEGV $$\n");
	assert_int_equal(sl_mpi_run(&s, &t_sum, &o, &m), 0);
	assert_string_equal(m.status, "error:launcher killed by SIGSEGV");
	launcher_done(&l);
}

/* --oversubscribe on this machine only: with named hosts more ranks than slots is mpirun's to refuse */
static void test_oversubscribe_local_only(void **state)
{
	struct fake_launcher l;
	char body[300], *text;
	struct sl_setting s;
	struct sl_metrics m;
	struct sl_run_opts o = { 0 };

	(void)state;
	launcher_start(&l, "mpirun", "exit 1\n");
	snprintf(body, sizeof(body), "printf '%%s\\n' \"$@\" > '%s/args'\nexit 1\n", l.dir);
	write_script(&l, body);
	setting(&s, &t_sum, 2, 1, "pipe", 4, -1);
	assert_int_equal(sl_mpi_run(&s, &t_sum, &o, &m), 0);
	snprintf(body, sizeof(body), "%s/args", l.dir);
	text = sl_read_file(body, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "--oversubscribe\n"));
	free(text);
	strcpy(s.mpi_hosts, "node1:2,node2:2");
	assert_int_equal(sl_mpi_run(&s, &t_sum, &o, &m), 0);
	text = sl_read_file(body, NULL);
	assert_non_null(text);
	assert_null(strstr(text, "--oversubscribe"));
	assert_non_null(strstr(text, "--host\nnode1:2,node2:2\n"));
	free(text);
	launcher_done(&l);
}

static void test_launcher_missing(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;
	struct sl_run_opts o = { 0 };

	(void)state;
	setenv("SPEEDLAB_MPI_LAUNCHER", "/nonexistent/mpirun", 1);
	setting(&s, &t_sum, 2, 1, "pipe", 4, -1);
	/* the run engine's one skip decision asks the start method (its supported callback) */
	assert_int_equal(sl_run_one(&s, &t_sum, &o, &m), 0);
	unsetenv("SPEEDLAB_MPI_LAUNCHER");
	assert_string_equal(m.status, "skipped:/nonexistent/mpirun not found");
}

static void test_bad_rank_args(void **state)
{
	char cmd[4096], out[4096];
	size_t n;
	FILE *p;

	(void)state;
	/* ranks started with arguments they do not understand: rank 0 says so in its result line */
	snprintf(cmd, sizeof(cmd), "ASAN_OPTIONS=detect_leaks=0 mpirun -np 2 --oversubscribe %s %s __mpi --bogus 1 2>&1",
		 geteuid() == 0 ? "--allow-run-as-root" : "", sl_self_exe());
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
	if (!strstr(out, "@@speedlab-mpi-result status=error%3Aunknown%20option%20%27--bogus%27 "))
		fail_msg("output: %s", out);
}

/* A build without MPI still has the start method, which says why it cannot run. */
static void __attribute__((unused)) test_built_without_mpi(void **state)
{
	const struct sl_launcher_ops *l = sl_launcher_find("mpi");
	struct sl_setting s;
	struct sl_metrics m;
	struct sl_run_opts o = { 0 };

	(void)state;
	assert_non_null(l);
	assert_string_equal(l->unimplemented_reason, "built without MPI");
	setting(&s, &t_sum, 2, 1, "pipe", 4, -1);
	assert_int_equal(sl_mpi_run(&s, &t_sum, &o, &m), 0);
	assert_string_equal(m.status, "skipped:built without MPI");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_launcher_registered),
		cmocka_unit_test(test_pipe_two_ranks),
		cmocka_unit_test(test_pipe_four_ranks_inputs),
		cmocka_unit_test(test_shm_three_ranks_inputs),
		cmocka_unit_test(test_shm_one_rank),
		cmocka_unit_test(test_empty_dispatch),
		cmocka_unit_test(test_thread_env),
		cmocka_unit_test(test_rank_killed),
		cmocka_unit_test(test_task_error),
		cmocka_unit_test(test_hang_killed),
		cmocka_unit_test(test_interrupted),
		cmocka_unit_test(test_srun),
		cmocka_unit_test(test_srun_failures),
		cmocka_unit_test(test_srun_local_tasks),
		cmocka_unit_test(test_launcher_crashes),
		cmocka_unit_test(test_oversubscribe_local_only),
		cmocka_unit_test(test_launcher_missing),
		cmocka_unit_test(test_bad_rank_args),
	};

#ifndef SL_HAVE_MPI
	{
		const struct CMUnitTest without[] = { cmocka_unit_test(test_built_without_mpi) };

		(void)tests;
		(void)argc;
		(void)argv;
		return cmocka_run_group_tests(without, NULL, NULL);
	}
#endif
	/* mpirun starts this program as the ranks: they run the workloads above */
	if (argc > 1 && strcmp(argv[1], "__mpi") == 0)
		return sl_mpi_rank_run(argc - 1, argv + 1, test_workloads);
	if (access("/usr/bin/mpirun", X_OK) != 0 && system("command -v mpirun >/dev/null 2>&1") != 0) {
		printf("mpirun not found\n");
		return 77;
	}
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	{
		/* a TMPDIR of our own, to see that runs leave nothing in it */
		char tmp[] = "/tmp/speedlab-test-mpi-XXXXXX";
		int rc;

		if (!mkdtemp(tmp)) {
			perror("mkdtemp");
			return 1;
		}
		setenv("TMPDIR", tmp, 1);
		rc = cmocka_run_group_tests(tests, NULL, NULL);
		if (rmdir(tmp) != 0)
			fprintf(stderr, "%s: not empty\n", tmp);
		return rc;
	}
}
