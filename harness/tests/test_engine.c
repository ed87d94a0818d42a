/* test_engine.c: the one run engine (run/engine.c) and the one metrics function (monitor/metrics.c):
 * raw totals into metrics, the skip decision, and the same error behaviour for every engine: a task that
 * fails under fork, spawn, forkserver and mpi (when built), and a failing command, all end as error:...
 * with the figures that compare runs left empty, and nothing left running. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/launcher.h"
#include "launch/mpi.h"
#include "monitor/metrics.h"
#include "pool/pool.h"
#include "pool/pool_internal.h"
#include "run/engine.h"

/* ---- a workload whose task bad_task fails; 1 MFLOP a task, so a run would have gflops ---- */

static const struct sl_param_def t_params[] = {
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "8", .help = "tasks", .min = 1, .max = 1e6 },
	{ .name = "bad_task", .type = SL_PARAM_INT, .def = "-1", .help = "task that fails", .min = -1, .max = 1e6 },
	{ .name = NULL },
};

static int fail_run(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg,
		    size_t msglen)
{
	(void)in; (void)out;
	if (task == (long)sl_setting_num(w->setting, "bad_task", -1)) {
		snprintf(msg, msglen, "task %ld refused", task);
		return -EIO;
	}
	*result = (double)task;
	return 0;
}

static double fail_flops(const struct sl_setting *s)
{
	(void)s;
	return 1e6;
}

static const struct sl_workload_ops t_fail = {
	.name = "t_fail", .help = "fails at bad_task", .params = t_params, .run_task = fail_run,
	.flops_per_task = fail_flops,
};

static const struct sl_workload_ops t_unbuilt = {
	.name = "t_unbuilt", .help = "not built", .params = t_params, .run_task = fail_run,
	.unimplemented_reason = "built without it",
};

static const struct sl_workload_ops *const test_workloads[] = { &t_fail, &t_unbuilt, NULL };

static void setting(struct sl_setting *s, const char *workload, const char *method, long bad_task)
{
	memset(s, 0, sizeof(*s));
	s->processes = 2;
	s->chunksize = 1;
	snprintf(s->chunksize_text, sizeof(s->chunksize_text), "1");
	snprintf(s->start_method, sizeof(s->start_method), "%s", method);
	strcpy(s->threads_text, "unset");
	strcpy(s->thread_api, "env");
	strcpy(s->dispatch, "pipe");
	strcpy(s->device, "cpu");
	strcpy(s->blas, "pthread");
	strcpy(s->parent_uses, "none");
	s->timeout_s = 60;
	snprintf(s->workload, sizeof(s->workload), "%s", workload);
	s->nparams = 2;
	strcpy(s->params[0].name, "tasks");
	strcpy(s->params[0].text, "8");
	s->params[0].num = 8;
	strcpy(s->params[1].name, "bad_task");
	snprintf(s->params[1].text, sizeof(s->params[1].text), "%ld", bad_task);
	s->params[1].num = (double)bad_task;
}

/* Processes left behind: a child of ours or of the forkserver (which itself stays between runs). */
static int children_left(void)
{
	pid_t self = getpid(), server = sl_forkserver_pid();
	struct dirent *e;
	int count = 0;
	DIR *d = opendir("/proc");

	while (d && (e = readdir(d))) {
		char path[300], buf[512], *close;
		int ppid;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		close = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (!close || sscanf(close + 2, "%*c %d", &ppid) != 1 || atoi(buf) == server)
			continue;
		if (ppid == self || (server > 0 && ppid == server)) {
			fprintf(stderr, "left behind: %s", buf);
			count++;
		}
	}
	if (d)
		closedir(d);
	return count;
}

/* The figures a failed run must not keep, whatever ran it. */
static void assert_no_run_figures(const struct sl_metrics *m)
{
	const double v[] = { m->wall_s, m->wall_tree_s, m->cpu_user_s, m->cpu_sys_s, m->cores_busy, m->ctx_vol,
			     m->ctx_invol, m->start_latency_ms, m->pool_start_ms, m->pool_stop_ms, m->imbalance,
			     m->dispatch_us_per_task, m->gflops, m->cpu_startup_s };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (!isnan(v[i]))
			fail_msg("status '%s': figure %zu is %g, not empty", m->status, i, v[i]);
}

/* ---- tests ---- */

static void test_metrics_from_totals(void **state)
{
	struct sl_worker_totals w[2] = { { .start_ms = 2, .busy_s = 1, .rss_kib = 2048, .threads = 1, .lib_threads = 4 },
					 { .start_ms = 4, .busy_s = 3, .rss_kib = 1024, .threads = 3 } };
	struct sl_run_totals t;
	struct sl_metrics m;

	(void)state;
	sl_metrics_clear(&m);
	sl_run_totals_init(&t);
	t.wall_s = 2;
	t.user_s = 3;
	t.sys_s = 1;
	t.ntasks = 10;
	t.flops_per_task = 1e9;
	t.nworkers = 2;
	t.workers = w;
	t.coord_threads = 2;
	sl_run_metrics(&t, &m);
	assert_float_equal(m.cores_busy, 2, 1e-12);
	assert_float_equal(m.imbalance, 1.5, 1e-12);          /* max 3 / mean 2 */
	assert_float_equal(m.gflops, 5, 1e-12);               /* 10 GFLOP in 2 s */
	assert_float_equal(m.start_latency_ms, 3, 1e-12);     /* the median */
	assert_float_equal(m.rss_peak_mb, 2, 1e-12);
	assert_float_equal(m.threads_peak, 3, 0);
	assert_float_equal(m.threads_total_peak, 6, 0);       /* 1 + 3 + the coordinator's 2 */
	assert_float_equal(m.threads_lib, 4, 0);
	assert_true(isnan(m.dispatch_us_per_task));           /* only for SL_WL_DISPATCH_ONLY */
	assert_true(isnan(m.helper_procs));
	t.dispatch_only = true;
	w[1].start_ms = NAN;                                  /* one latency unknown: no median */
	w[0].threads = -1;                                    /* one count unknown: no peaks */
	sl_metrics_clear(&m);
	sl_run_metrics(&t, &m);
	assert_float_equal(m.dispatch_us_per_task, 2e5, 1e-6);
	assert_true(isnan(m.start_latency_ms));
	assert_true(isnan(m.threads_peak) && isnan(m.threads_total_peak));
}

static void test_settle(void **state)
{
	struct sl_metrics m;

	(void)state;
	sl_metrics_clear(&m);
	m.wall_s = 1;
	m.threads_peak = 3;
	m.gbps = 2;
	assert_false(sl_run_metrics_settle(&m));               /* ok: untouched */
	assert_float_equal(m.wall_s, 1, 0);
	strcpy(m.status, "crash:SIGKILL");
	assert_true(sl_run_metrics_settle(&m));
	assert_true(isnan(m.wall_s) && isnan(m.gbps));
	assert_float_equal(m.threads_peak, 3, 0);             /* what the sampler saw stays */
	strcpy(m.status, "skipped:no GPU");
	assert_true(sl_run_metrics_settle(&m));
	assert_true(isnan(m.threads_peak));
	assert_string_equal(m.status, "skipped:no GPU");
}

static void test_skip_decided_once(void **state)
{
	struct sl_setting s;
	struct sl_metrics m;
	char why[200];

	(void)state;
	setting(&s, "t_unbuilt", "fork", -1);
	assert_true(sl_run_skip(&t_unbuilt, &s, why, sizeof(why)));
	assert_string_equal(why, "built without it");
	assert_int_equal(sl_run_one(&s, &t_unbuilt, NULL, &m), 0);
	assert_string_equal(m.status, "skipped:built without it");
	assert_true(isnan(m.wall_s));
	setting(&s, "t_fail", "no-such-method", -1);
	assert_true(sl_run_one(&s, &t_fail, NULL, &m) == 0 && strncmp(m.status, "skipped:unknown start method", 28) == 0);
}

/* The same workload, ok and then failing at task 3, under every start method this build has. */
static void test_failed_task_same_for_every_launcher(void **state)
{
	(void)state;
	for (const struct sl_launcher_ops *const *l = sl_launchers; *l; l++) {
		struct sl_setting s;
		struct sl_metrics m;
		char why[200];

		setting(&s, "t_fail", (*l)->name, -1);
		if (sl_run_skip(&t_fail, &s, why, sizeof(why))) {
			printf("# %s: skipped (%s)\n", (*l)->name, why);
			continue;
		}
		assert_int_equal(sl_run_one(&s, &t_fail, NULL, &m), 0);
		if (strcmp(m.status, "ok") != 0)
			fail_msg("%s: a good run gave '%s'", (*l)->name, m.status);
		/* the one metrics function: gflops from the workload's flops and the run phase's wall time */
		assert_true(m.wall_s > 0);
		assert_float_equal(m.gflops, 8e6 / m.wall_s / 1e9, 1e-9 * m.gflops);
		assert_true(m.imbalance >= 1.0 - 1e-9);

		setting(&s, "t_fail", (*l)->name, 3);
		assert_int_equal(sl_run_one(&s, &t_fail, NULL, &m), 0);
		printf("# %s: %s\n", (*l)->name, m.status);
		if (strncmp(m.status, "error:", 6) != 0 || !strstr(m.status, "task 3 refused"))
			fail_msg("%s: a failing task gave '%s'", (*l)->name, m.status);
		assert_no_run_figures(&m);
		assert_int_equal(children_left(), 0);
	}
}

/* The command workload's own engine (per = run) follows the same rule. */
static void test_failed_command_same_rule(void **state)
{
	const struct sl_workload_ops *w = sl_workload_find("command");
	struct sl_setting s;
	struct sl_metrics m;

	(void)state;
	assert_non_null(w);
	setting(&s, "command", "fork", -1);
	s.nparams = 1;
	strcpy(s.params[0].name, "cmd");
	strcpy(s.params[0].text, "echo '@speedlab gflops=3' ; exit 3");
	assert_int_equal(sl_run_one(&s, w, NULL, &m), 0);
	assert_string_equal(m.status, "error:exit 3");
	assert_no_run_figures(&m);                             /* its reported gflops too */
	strcpy(s.params[0].text, "echo '@speedlab gflops=3'");
	assert_int_equal(sl_run_one(&s, w, NULL, &m), 0);
	assert_string_equal(m.status, "ok");
	assert_float_equal(m.gflops, 3, 0);
	assert_true(m.wall_s > 0);
	assert_int_equal(children_left(), 0);
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
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_from_totals),
		cmocka_unit_test(test_settle),
		cmocka_unit_test(test_skip_decided_once),
		cmocka_unit_test(test_failed_task_same_for_every_launcher),
		cmocka_unit_test(test_failed_command_same_rule),
	};

	sl_pool_extra_workloads = test_workloads;
	/* spawn starts this binary as a worker, mpirun as the ranks */
	if (argc >= 2 && strcmp(argv[1], "__worker") == 0)
		return sl_worker_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "__mpi") == 0)
		return sl_mpi_rank_run(argc - 1, argv + 1, test_workloads);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
