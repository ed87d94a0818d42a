/* test_results.c: runs.csv writer -> reader round trip, crash recovery, and summary.csv on known data. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "analysis/brief.h"
#include "results/results.h"
#include "core/stats.h"

#define assert_near(a, b, eps)                                                                        \
	do {                                                                                          \
		double a_ = (a), b_ = (b);                                                            \
		if (!(fabs(a_ - b_) <= (eps)))                                                        \
			fail_msg("%s = %.17g, expected %.17g (within %g)", #a, a_, b_, (double)(eps)); \
	} while (0)

static char *make_dir(void)
{
	char tmpl[] = "/tmp/sl-test-results-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static void remove_dir(char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void setting_init(struct sl_setting *s, int config, int processes, const char *threads)
{
	memset(s, 0, sizeof(*s));
	s->config = config;
	s->processes = processes;
	s->chunksize = 1;
	strcpy(s->chunksize_text, "1");
	strcpy(s->start_method, "fork");
	strcpy(s->threads_text, threads);
	strcpy(s->thread_api, "env");
	strcpy(s->dispatch, "pipe");
	strcpy(s->device, "cpu");
	strcpy(s->blas, "pthread");
	strcpy(s->parent_uses, "none");
	strcpy(s->workload, "gemm");
	s->nparams = 2;
	strcpy(s->params[0].name, "n");
	strcpy(s->params[0].text, "256");
	s->params[0].num = 256;
	strcpy(s->params[1].name, "tasks");
	strcpy(s->params[1].text, "16");
	s->params[1].num = 16;
}

static void test_runs_round_trip(void **state)
{
	char *dir = make_dir(), path[600];
	struct sl_setting s;
	struct sl_metrics m;
	struct sl_result r;
	FILE *f;
	size_t ncols;
	int c;

	(void)state;
	setting_init(&s, 3, 2, "unset");
	f = sl_runs_open(dir, &s);
	assert_non_null(f);
	sl_metrics_clear(&m);
	m.wall_s = 0.4151234;
	m.cores_busy = 1.98;
	m.threads_peak = 3;
	assert_int_equal(sl_runs_append(f, &s, -1, &m), 0);
	assert_int_equal(sl_runs_append(f, &s, 0, &m), 0);
	strcpy(m.status, "error:bad, \"quoted\" text");
	assert_int_equal(sl_runs_append(f, &s, 1, &m), 0);
	fclose(f);

	assert_int_equal(sl_result_load(dir, &r), 0);
	ncols = 2 + 13 + 2 + sl_metric_ncolumns + 1;
	assert_int_equal(r.runs.ncols, ncols);
	assert_int_equal(r.runs.nrows, 3);
	assert_string_equal(r.runs.header[0], "config");
	assert_string_equal(r.runs.header[1], "rep");
	{
		/* the file format: these columns in this order, whatever the axis table looks like inside */
		static const char *const axes[] = { "workload", "processes", "chunksize", "start_method", "threads",
			"thread_api", "dispatch", "device", "blas", "parent_rss_mb", "parent_uses", "affinity",
			"mem_policy" };

		for (int i = 0; i < 13; i++)
			assert_string_equal(r.runs.header[2 + i], axes[i]);
	}
	assert_string_equal(r.runs.header[15], "n");
	assert_string_equal(r.runs.header[16], "tasks");
	for (size_t i = 0; i < sl_metric_ncolumns; i++)
		assert_string_equal(r.runs.header[17 + i], sl_metric_columns[i].name);
	assert_string_equal(r.runs.header[ncols - 1], "status");
	assert_string_equal(sl_csv_cell(&r.runs, 0, 0), "3");
	assert_string_equal(sl_csv_cell(&r.runs, 0, 1), "-1");
	assert_string_equal(sl_csv_cell(&r.runs, 0, sl_csv_col(&r.runs, "processes")), "2");
	assert_string_equal(sl_csv_cell(&r.runs, 0, sl_csv_col(&r.runs, "threads")), "unset");
	assert_string_equal(sl_csv_cell(&r.runs, 0, sl_csv_col(&r.runs, "n")), "256");
	assert_near(sl_csv_num(&r.runs, 1, sl_csv_col(&r.runs, "wall_s")), 0.415123, 1e-12);
	/* a metric that does not apply is empty, never 0 */
	c = sl_csv_col(&r.runs, "gflops");
	assert_string_equal(sl_csv_cell(&r.runs, 1, c), "");
	assert_string_equal(sl_csv_cell(&r.runs, 1, sl_csv_col(&r.runs, "status")), "ok");
	assert_string_equal(sl_csv_cell(&r.runs, 2, sl_csv_col(&r.runs, "status")), "error:bad, \"quoted\" text");
	assert_null(r.meta);
	assert_int_equal(r.summary.nrows, 0);
	sl_result_free(&r);

	/* reopening appends without a second header */
	f = sl_runs_open(dir, &s);
	assert_non_null(f);
	strcpy(m.status, "ok");
	assert_int_equal(sl_runs_append(f, &s, 2, &m), 0);
	fclose(f);
	assert_int_equal(sl_result_load(dir, &r), 0);
	assert_int_equal(r.runs.nrows, 4);
	sl_result_free(&r);

	/* a crash mid-row: the partial line is dropped when the file is opened again */
	snprintf(path, sizeof(path), "%s/runs.csv", dir);
	f = fopen(path, "a");
	fputs("3,3,gemm,2,1,fo", f);
	fclose(f);
	f = sl_runs_open(dir, &s);
	assert_non_null(f);
	assert_int_equal(sl_runs_append(f, &s, 3, &m), 0);
	fclose(f);
	assert_int_equal(sl_result_load(dir, &r), 0);
	assert_int_equal(r.runs.nrows, 5);
	assert_string_equal(sl_csv_cell(&r.runs, 4, 1), "3");
	sl_result_free(&r);

	/* another experiment's columns are refused */
	s.nparams = 1;
	errno = 0;
	f = sl_runs_open(dir, &s);
	assert_null(f);
	assert_int_equal(errno, EINVAL);
	remove_dir(dir);
}

static void test_load_errors(void **state)
{
	char *dir = make_dir();
	struct sl_result r;

	(void)state;
	assert_int_equal(sl_result_load("/nonexistent-dir", &r), -ENOENT);
	assert_int_equal(sl_result_load(dir, &r), -ENOENT);   /* no runs.csv */
	write_text(dir, "runs.csv", "config,rep,processes,wall_s\n0,0,1,1\n");
	assert_int_equal(sl_result_load(dir, &r), -EINVAL);   /* no status column */
	write_text(dir, "runs.csv", "config,rep,processes,wall_s,status\n0,0,1,1,ok\n");
	write_text(dir, "meta.json", "{\"a\": 1,,}");
	assert_int_equal(sl_result_load(dir, &r), -EINVAL);
	write_text(dir, "meta.json", "{\"experiment\": {\"name\": \"speedup\"}, \"sysinfo\": {\"cpu\": {\"logical\": 6}}}");
	assert_int_equal(sl_result_load(dir, &r), 0);
	assert_string_equal(r.experiment, "speedup");
	assert_int_equal(sl_result_logical_cpus(r.meta), 6);
	sl_result_free(&r);
	/* the same count where sysinfo nests it otherwise (the report's fixtures), and none (never this
	 * machine's) where meta.json does not say */
	write_text(dir, "meta.json", "{\"experiment\": {\"name\": \"speedup\"}, \"sysinfo\": {\"logical\": 3}}");
	assert_int_equal(sl_result_load(dir, &r), 0);
	assert_int_equal(sl_result_logical_cpus(r.meta), 3);
	sl_result_free(&r);
	write_text(dir, "meta.json", "{\"experiment\": {\"name\": \"speedup\"}}");
	assert_int_equal(sl_result_load(dir, &r), 0);
	assert_int_equal(sl_result_logical_cpus(r.meta), 0);
	sl_result_free(&r);
	remove_dir(dir);
}

/* Append one repetition with wall time w and status st. */
static void add(FILE *f, struct sl_setting *s, int rep, double w, double busy, double threads_lib, const char *st)
{
	struct sl_metrics m;

	sl_metrics_clear(&m);
	m.wall_s = w;
	m.cores_busy = busy;
	m.threads_lib = threads_lib;
	snprintf(m.status, sizeof(m.status), "%s", st);
	assert_int_equal(sl_runs_append(f, s, rep, &m), 0);
}

static size_t find_row(const struct sl_csv *csv, const char *config)
{
	for (size_t r = 0; r < csv->nrows; r++)
		if (strcmp(csv->rows[r][0], config) == 0)
			return r;
	fail_msg("no summary row for configuration %s", config);
	return 0;
}

static double cell(const struct sl_csv *csv, size_t r, const char *col)
{
	int c = sl_csv_col(csv, col);

	if (c < 0)
		fail_msg("no column %s", col);
	return sl_csv_num(csv, r, c);
}

static void test_summary(void **state)
{
	char *dir = make_dir(), path[600];
	struct sl_setting s;
	struct sl_result r;
	FILE *f;
	size_t row;
	char *first, *second;
	/* series threads=1: P = 1, 2, 4 with medians 1.0, 0.5, 0.3125 */
	const double w1[] = { 0.99, 1.02, 0.98, 1.00, 1.01 }, w2[] = { 0.50, 0.51, 0.49, 0.505, 0.495 };
	const double w4[] = { 0.3125, 0.3135, 0.3115, 0.3130, 0.3120 };

	(void)state;
	write_text(dir, "meta.json", "{\"sysinfo\": {\"cpu\": {\"logical\": 2}}}");
	setting_init(&s, 0, 1, "1");
	f = sl_runs_open(dir, &s);
	assert_non_null(f);
	/* configurations in an interleaved order, warm-ups first (rep -1: excluded) */
	for (int rep = -1; rep < 5; rep++) {
		setting_init(&s, 2, 4, "1");
		add(f, &s, rep, rep < 0 ? 100 : w4[rep], 3.9, NAN, "ok");
		setting_init(&s, 0, 1, "1");
		add(f, &s, rep, rep < 0 ? 100 : w1[rep], 1.0, NAN, "ok");
		setting_init(&s, 1, 2, "1");
		add(f, &s, rep, rep < 0 ? 100 : w2[rep], 1.95, NAN, "ok");
		/* series threads=unset: the library default is 2 threads; P=2 hangs once */
		setting_init(&s, 3, 1, "unset");
		add(f, &s, rep, rep < 0 ? 100 : 2.0, 2.0, 2, "ok");
		setting_init(&s, 4, 2, "unset");
		add(f, &s, rep, rep < 0 ? 100 : 1.6, 2.0, 2, "ok");
		/* a configuration that never works */
		setting_init(&s, 5, 4, "unset");
		add(f, &s, rep, NAN, NAN, NAN, "crash:SIGSEGV");
	}
	setting_init(&s, 4, 2, "unset");
	add(f, &s, 5, 30, 2.0, 2, "hang");
	fclose(f);

	assert_int_equal(sl_summary_write(dir), 0);
	assert_int_equal(sl_result_load(dir, &r), 0);
	assert_int_equal(r.summary.nrows, 6);

	row = find_row(&r.summary, "0");
	assert_string_equal(sl_csv_cell(&r.summary, row, sl_csv_col(&r.summary, "series")), "threads=1");
	assert_string_equal(sl_csv_cell(&r.summary, row, sl_csv_col(&r.summary, "status")), "ok");
	assert_near(cell(&r.summary, row, "runs"), 5, 0);
	assert_near(cell(&r.summary, row, "wall_s_median"), 1.0, 1e-12);
	assert_near(cell(&r.summary, row, "wall_s_min"), 0.98, 1e-12);
	assert_near(cell(&r.summary, row, "wall_s_max"), 1.02, 1e-12);
	assert_near(cell(&r.summary, row, "wall_s_mad"), 0.01, 1e-12);
	assert_near(cell(&r.summary, row, "speedup"), 1, 1e-12);
	assert_near(cell(&r.summary, row, "efficiency"), 1, 1e-12);
	assert_true(isnan(cell(&r.summary, row, "karp_flatt")));
	assert_near(cell(&r.summary, row, "oversubscribed"), 0, 0);
	assert_near(cell(&r.summary, row, "unstable"), 0, 0);
	assert_near(cell(&r.summary, row, "outliers"), 0, 0);
	assert_near(cell(&r.summary, row, "cores_busy_median"), 1.0, 1e-12);
	assert_true(isnan(cell(&r.summary, row, "gflops_median")));
	assert_true(cell(&r.summary, row, "wall_s_ci_lo") <= 1.0 && cell(&r.summary, row, "wall_s_ci_hi") >= 1.0);

	row = find_row(&r.summary, "1");
	assert_near(cell(&r.summary, row, "speedup"), 2, 1e-12);
	assert_near(cell(&r.summary, row, "efficiency"), 1, 1e-12);
	assert_near(cell(&r.summary, row, "karp_flatt"), 0, 1e-12);
	assert_true(cell(&r.summary, row, "speedup_ci_lo") <= 2 && cell(&r.summary, row, "speedup_ci_hi") >= 2);
	assert_near(cell(&r.summary, row, "oversubscribed"), 0, 0);   /* 2 x 1 <= 2 */

	row = find_row(&r.summary, "2");
	assert_near(cell(&r.summary, row, "speedup"), 3.2, 1e-9);
	assert_near(cell(&r.summary, row, "efficiency"), 0.8, 1e-9);
	assert_near(cell(&r.summary, row, "karp_flatt"), 0.0625 / 0.75, 1e-6);
	assert_near(cell(&r.summary, row, "oversubscribed"), 1, 0);   /* 4 x 1 > 2 */
	/* the Amdahl fit leaves the oversubscribed P=4 out, and (1,1) (2,2) are 2 process counts: too
	 * few for a fit (any curve goes through 2 points), so there is none */
	assert_true(isnan(cell(&r.summary, row, "amdahl_serial")));
	assert_true(isnan(cell(&r.summary, find_row(&r.summary, "0"), "amdahl_serial")));

	row = find_row(&r.summary, "4");
	assert_string_equal(sl_csv_cell(&r.summary, row, sl_csv_col(&r.summary, "series")), "threads=unset");
	assert_string_equal(sl_csv_cell(&r.summary, row, sl_csv_col(&r.summary, "status")), "hang ×1 (5 of 6 ok)");
	assert_near(cell(&r.summary, row, "runs"), 6, 0);
	assert_near(cell(&r.summary, row, "ok"), 5, 0);
	assert_near(cell(&r.summary, row, "wall_s_median"), 1.6, 1e-12);   /* the hang's 30 s is not counted */
	assert_near(cell(&r.summary, row, "speedup"), 1.25, 1e-12);
	assert_near(cell(&r.summary, row, "oversubscribed"), 1, 0);   /* 2 x 2 library threads > 2 */
	assert_true(isnan(cell(&r.summary, row, "wall_s_cv")) == false);
	assert_near(cell(&r.summary, row, "threads_lib_median"), 2, 0);
	assert_near(cell(&r.summary, find_row(&r.summary, "3"), "oversubscribed"), 0, 0);   /* 1 x 2 */

	row = find_row(&r.summary, "5");
	assert_string_equal(sl_csv_cell(&r.summary, row, sl_csv_col(&r.summary, "status")), "crash:SIGSEGV");
	assert_near(cell(&r.summary, row, "ok"), 0, 0);
	assert_true(isnan(cell(&r.summary, row, "wall_s_median")));
	assert_true(isnan(cell(&r.summary, row, "speedup")));
	assert_string_equal(sl_csv_cell(&r.summary, row, sl_csv_col(&r.summary, "outliers")), "");
	sl_result_free(&r);

	/* deterministic: the same runs give the same bytes; tables.md is written too */
	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	first = sl_read_file(path, NULL);
	assert_int_equal(sl_summary_write(dir), 0);
	second = sl_read_file(path, NULL);
	assert_string_equal(first, second);
	free(first);
	free(second);
	snprintf(path, sizeof(path), "%s/tables.md", dir);
	first = sl_read_file(path, NULL);
	assert_non_null(first);
	assert_non_null(strstr(first, "## threads=1\n"));
	assert_non_null(strstr(first, "| 4 ⚠ oversubscribed | 312 ms ± 0.50 ms | 3.20× ["));
	assert_non_null(strstr(first, "| 4 | crash:SIGSEGV | — | — | — | — |"));
	assert_non_null(strstr(first, "| 2 ⚠ oversubscribed † | 1.60 s ± 0 s | 1.25× ["));
	assert_non_null(strstr(first, "† 2 processes: hang ×1 (5 of 6 ok)"));
	assert_null(strstr(first, "Amdahl fit"));
	free(first);
	remove_dir(dir);
}

static void test_summary_single_series(void **state)
{
	char *dir = make_dir();
	struct sl_setting s;
	struct sl_result r;
	FILE *f;

	(void)state;
	setting_init(&s, 0, 1, "1");
	f = sl_runs_open(dir, &s);
	assert_non_null(f);
	/* no 1-process configuration: no speedup, no fit; an unstable cell (CV > 5%) */
	setting_init(&s, 7, 2, "1");
	add(f, &s, 0, 1.0, NAN, NAN, "ok");
	add(f, &s, 1, 1.2, NAN, NAN, "ok");
	add(f, &s, 2, 0.8, NAN, NAN, "ok");
	setting_init(&s, 8, 3, "1");
	add(f, &s, 0, 1.0, NAN, NAN, "ok");
	fclose(f);
	assert_int_equal(sl_summary_write(dir), 0);
	assert_int_equal(sl_result_load(dir, &r), 0);
	assert_string_equal(sl_csv_cell(&r.summary, 0, sl_csv_col(&r.summary, "series")), "all");
	assert_true(isnan(cell(&r.summary, 0, "speedup")));
	assert_true(isnan(cell(&r.summary, 0, "amdahl_serial")));
	assert_near(cell(&r.summary, 0, "unstable"), 1, 0);
	assert_near(cell(&r.summary, 0, "wall_s_cv"), 0.2, 1e-9);
	/* a single run has no CV */
	assert_string_equal(sl_csv_cell(&r.summary, 1, sl_csv_col(&r.summary, "wall_s_cv")), "");
	assert_string_equal(sl_csv_cell(&r.summary, 1, sl_csv_col(&r.summary, "unstable")), "");
	sl_result_free(&r);
	remove_dir(dir);
}

/* threads=1 asked for at 2 processes on 2 logical CPUs: not oversubscribed while the library keeps
 * it, oversubscribed when the worker reports it ran 2 threads anyway */
static void test_summary_oversubscribed_observed(void **state)
{
	char *dir = make_dir();
	struct sl_setting s;
	struct sl_result r;
	FILE *f;

	(void)state;
	write_text(dir, "meta.json", "{\"sysinfo\": {\"cpu\": {\"logical\": 2}}}");
	setting_init(&s, 0, 2, "1");
	f = sl_runs_open(dir, &s);
	assert_non_null(f);
	add(f, &s, 0, 1.0, 1.9, 1, "ok");
	setting_init(&s, 1, 2, "1");
	add(f, &s, 0, 1.0, 1.9, 2, "ok");
	fclose(f);
	assert_int_equal(sl_summary_write(dir), 0);
	assert_int_equal(sl_result_load(dir, &r), 0);
	assert_near(cell(&r.summary, find_row(&r.summary, "0"), "oversubscribed"), 0, 0);
	assert_near(cell(&r.summary, find_row(&r.summary, "1"), "oversubscribed"), 1, 0);
	sl_result_free(&r);
	remove_dir(dir);
}

/* device = cpu, gpu: tables.md sets each CPU configuration beside its GPU twin */
static void test_tables_cpu_vs_gpu(void **state)
{
	char *dir = make_dir(), path[600], *text;
	struct sl_setting s;
	FILE *f;

	(void)state;
	write_text(dir, "meta.json", "{\"sysinfo\": {\"cpu\": {\"logical\": 2}}}");
	setting_init(&s, 0, 1, "1");
	f = sl_runs_open(dir, &s);
	assert_non_null(f);
	for (int rep = 0; rep < 3; rep++) {
		setting_init(&s, 0, 1, "1");
		add(f, &s, rep, 2.0, 1.0, NAN, "ok");
		setting_init(&s, 1, 1, "1");
		strcpy(s.device, "gpu");
		add(f, &s, rep, 0.25, 1.0, NAN, "ok");
		setting_init(&s, 2, 1, "1");
		strcpy(s.params[0].text, "512");
		s.params[0].num = 512;
		add(f, &s, rep, 8.0, 1.0, NAN, "ok");
		setting_init(&s, 3, 1, "1");
		strcpy(s.device, "gpu");
		strcpy(s.params[0].text, "512");
		s.params[0].num = 512;
		add(f, &s, rep, NAN, NAN, NAN, "skipped:no CUDA device");
	}
	fclose(f);
	assert_int_equal(sl_summary_write(dir), 0);
	snprintf(path, sizeof(path), "%s/tables.md", dir);
	text = sl_read_file(path, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "## CPU vs GPU\n"));
	assert_non_null(strstr(text, "| n=256 | 2.00 s ± 0 s | 250 ms ± 0 ms | 8.00× | — | — |\n"));
	assert_non_null(strstr(text, "| n=512 | 8.00 s ± 0 s | skipped:no CUDA device | — | — | — |\n"));
	free(text);
	remove_dir(dir);
}

static void test_summary_bad_rows(void **state)
{
	char *dir = make_dir();
	char *text;
	size_t len;

	(void)state;
	write_text(dir, "runs.csv", "config,rep,workload,processes,wall_s,status\n0,0,x,1,1,ok\nzero,0,x,1,1,ok\n");
	assert_int_equal(sl_summary_text(dir, &text, &len), -EINVAL);
	write_text(dir, "runs.csv", "config,rep,workload,processes,wall_s,status\n0,0,x,1,1,ok\n0,1,x,2,1,ok\n");
	assert_int_equal(sl_summary_text(dir, &text, &len), -EINVAL);
	/* a minimal file written by hand works */
	write_text(dir, "runs.csv", "config,rep,workload,processes,threads,wall_s,status\n"
				    "0,0,x,1,1,1,ok\n1,0,x,2,1,0.5,ok\n2,0,x,4,1,0.3125,ok\n2,1,x,4,1,,crash:SIGBUS\n");
	write_text(dir, "meta.json", "{\"sysinfo\": {\"cpu\": {\"logical\": 8}}}");
	assert_int_equal(sl_summary_text(dir, &text, &len), 0);
	assert_non_null(strstr(text, "\n1,all,x,2,1,1,1,ok,0.5,"));
	/* Amdahl over (1,1) (2,2) (4,3.2): f = 0.75*0.0625 / (0.25 + 0.5625) = 0.0576923 */
	assert_non_null(strstr(text, ",0.0576923,0,"));
	assert_non_null(strstr(text, "\n2,all,x,4,1,2,1,crash:SIGBUS ×1 (1 of 2 ok),0.3125,"));
	free(text);
	remove_dir(dir);
}

/* One configuration in hyperfine's shape: warm-ups, failed runs and other configurations left out. */
static void test_brief(void **state)
{
	static const char text[] = "config,rep,wall_s,cpu_user_s,cpu_sys_s,cores_busy,status\n"
				   "0,-1,9.0,9,9,9,ok\n"             /* a warm-up */
				   "0,1,0.010,0.006,0.002,0.8,ok\n"
				   "0,2,0.012,0.008,0.002,0.8,ok\n"
				   "0,3,0.014,0.010,0.002,0.8,ok\n"
				   "0,4,5.0,5,5,5,hang\n"            /* not ok */
				   "1,1,7.0,7,7,7,ok\n";             /* another configuration */
	struct sl_csv csv;
	struct sl_brief b;
	char buf[64], *md = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(sl_csv_parse("runs.csv", text, strlen(text), &csv, 0), 0);
	assert_int_equal(sl_brief_of(&csv, 0, &b), 3);
	assert_near(b.mean, 0.012, 1e-12);
	assert_near(b.sd, 0.002, 1e-12);
	assert_near(b.median, 0.012, 1e-12);
	assert_near(b.min, 0.010, 1e-12);
	assert_near(b.max, 0.014, 1e-12);
	assert_near(b.user, 0.008, 1e-12);
	assert_near(b.sys, 0.002, 1e-12);
	assert_near(b.busy, 0.8, 1e-12);
	f = open_memstream(&md, &len);
	sl_brief_markdown(f, &b);
	fclose(f);
	assert_string_equal(md, "| Time (mean ± σ) | Median | Range (min … max) | User | System | Cores busy | Runs |\n"
				"|---|---|---|---|---|---|---|\n"
				"| 12.0 ms ± 2.0 ms | 12.0 ms | 10.0 ms … 14.0 ms | 8.0 ms | 2.0 ms | 0.80 | 3 |\n");
	free(md);
	assert_int_equal(sl_brief_of(&csv, 7, &b), 0);
	assert_true(isnan(b.mean));
	sl_csv_free(&csv);

	sl_brief_time(0.000123, 0.000123, buf, sizeof(buf));
	assert_string_equal(buf, "123 µs");
	sl_brief_time(2.5, 2.5, buf, sizeof(buf));
	assert_string_equal(buf, "2.50 s");
	sl_brief_time(NAN, 1, buf, sizeof(buf));
	assert_string_equal(buf, "—");
	/* the fixed cost shows when it is more than a tenth of the run */
	assert_true(sl_brief_too_short(0.005, 0.001));
	assert_false(sl_brief_too_short(0.020, 0.001));
	assert_false(sl_brief_too_short(0.005, NAN));
	/* starting /bin/sh costs something (how much depends on the machine and its load) */
	{
		double c = sl_brief_shell_cost(3);

		assert_true(c > 0 && isfinite(c));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_round_trip),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_summary_single_series),
		cmocka_unit_test(test_summary_oversubscribed_observed),
		cmocka_unit_test(test_tables_cpu_vs_gpu),
		cmocka_unit_test(test_summary_bad_rows),
		cmocka_unit_test(test_brief),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
