/* test_report.c: the report's reading of summary.csv and meta.json, its findings (they must follow the
 * numbers: change a cell, the finding changes), and the Markdown-to-HTML conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/csv.h"
#include "analysis/findings.h"
#include "report/report.h"

static char tmpdir[64];
static char fixtures[1024];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_report.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	/* the fixtures, from the repository root (where the runner starts us) or next to the binary */
	snprintf(fixtures, sizeof(fixtures), "harness/tests/fixtures");
	if (access(fixtures, R_OK) != 0) {
		char exe[900];
		char *slash;

		snprintf(exe, sizeof(exe), "%s", sl_self_exe());
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		snprintf(fixtures, sizeof(fixtures), "%s/../../harness/tests/fixtures", exe);
	}
	return access(fixtures, R_OK);
}

static int group_teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- helpers: read a fixture's summary, change a cell, write it back ---- */

static void read_fixture(const char *name, struct sl_csv *csv)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/summary.csv", fixtures, name);
	assert_int_equal(sl_csv_read(path, csv, 0), 0);
}

/* Set column col of the row whose config is config. */
static void set_cell(struct sl_csv *csv, int config, const char *col, const char *value)
{
	int c = sl_csv_col(csv, col), cc = sl_csv_col(csv, "config");
	char id[16];

	assert_true(c >= 0);
	snprintf(id, sizeof(id), "%d", config);
	for (size_t r = 0; r < csv->nrows; r++)
		if (strcmp(csv->rows[r][cc], id) == 0) {
			assert_int_equal(sl_csv_set(csv, r, c, value), 0);
			return;
		}
	fail_msg("no config %d", config);
}

static void write_summary(const struct sl_csv *csv, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (size_t c = 0; c < csv->ncols; c++) {
		if (c)
			fputc(',', f);
		sl_csv_put(f, csv->header[c]);
	}
	fputc('\n', f);
	for (size_t r = 0; r < csv->nrows; r++) {
		for (size_t c = 0; c < csv->ncols; c++) {
			if (c)
				fputc(',', f);
			sl_csv_put(f, csv->rows[r][c]);
		}
		fputc('\n', f);
	}
	assert_int_equal(fclose(f), 0);
}

static const struct sl_machine lab_a = {
	.host = "lab-a", .cpu = "test CPU", .logical = 4, .physical = 2, .sockets = 1, .mem_gib = 15.5,
};

/* The findings and the Answer line of csv measured in metric (NULL: wall_s), written to the temporary
 * directory and read back as the report does. answer may be NULL. */
static void analyse(const struct sl_csv *csv, const struct sl_machine *m, const char *metric, struct sl_findings *f,
		    char *answer, size_t len)
{
	char path[128];
	struct sl_summary_view v;

	snprintf(path, sizeof(path), "%s/summary.csv", tmpdir);
	write_summary(csv, path);
	assert_int_equal(sl_summary_view_load(path, &v), 0);
	if (metric)
		assert_int_equal(sl_sv_set_metric(&v, metric, path), 0);
	memset(f, 0, sizeof(*f));
	sl_findings_compute(&v, m, "", f);
	if (answer)
		sl_answer(&v, m, false, answer, len);
	sl_summary_view_free(&v);
}

static void findings_of(const struct sl_csv *csv, const struct sl_machine *m, struct sl_findings *f)
{
	analyse(csv, m, NULL, f, NULL, 0);
}

/* The text of the first finding of rule containing needle, or NULL. */
static const char *find(const struct sl_findings *f, const char *rule, const char *needle)
{
	for (int i = 0; i < f->n; i++)
		if (strcmp(f->items[i].rule, rule) == 0 && strstr(f->items[i].text, needle))
			return f->items[i].text;
	return NULL;
}

static bool has_rule(const struct sl_findings *f, const char *rule)
{
	for (int i = 0; i < f->n; i++)
		if (strcmp(f->items[i].rule, rule) == 0)
			return true;
	return false;
}

static void dump(const struct sl_findings *f)
{
	for (int i = 0; i < f->n; i++)
		print_message("  [%s] %s\n", f->items[i].rule, f->items[i].text);
}

/* No finding of any rule says needle. */
#define ASSERT_NO_CLAIM(f, needle)                                                             \
	do {                                                                                   \
		for (int i_ = 0; i_ < (f)->n; i_++)                                            \
			if (strstr((f)->items[i_].text, (needle))) {                           \
				dump(f);                                                       \
				fail_msg("a finding says \"%s\"", (needle));                   \
			}                                                                      \
	} while (0)

#define ASSERT_FINDING(f, rule, needle)                                                        \
	do {                                                                                   \
		if (!find((f), (rule), (needle))) {                                            \
			dump(f);                                                               \
			fail_msg("no '%s' finding containing \"%s\"", (rule), (needle));       \
		}                                                                              \
	} while (0)

/* Run fn with stderr going to a file; return what it printed (static buffer). */
static const char *stderr_of_load(const char *path, int *rc)
{
	static char text[4096];
	char cap[128];
	struct sl_summary_view v;
	int saved, fd;
	ssize_t n;

	snprintf(cap, sizeof(cap), "%s/stderr.txt", tmpdir);
	fflush(stderr);
	saved = dup(2);
	fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	*rc = sl_summary_view_load(path, &v);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	if (*rc == 0)
		sl_summary_view_free(&v);
	fd = open(cap, O_RDONLY);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	return text;
}

/* ---- summary.csv and meta.json ---- */

static void test_view_reads_fixture(void **state)
{
	char path[PATH_MAX];
	struct sl_summary_view v;

	(void)state;
	snprintf(path, sizeof(path), "%s/report-scaling/summary.csv", fixtures);
	assert_int_equal(sl_summary_view_load(path, &v), 0);
	assert_int_equal(sl_sv_rows(&v), 9);
	assert_true(sl_summary_view_varies(&v, v.c_processes));
	assert_true(sl_summary_view_varies(&v, v.c_threads));
	assert_false(sl_summary_view_varies(&v, v.c_start_method));
	assert_false(sl_summary_view_varies(&v, sl_csv_col(&v.csv, "n")));
	assert_true(v.c_speedup >= 0 && v.c_cores_busy >= 0 && v.c_oversubscribed >= 0);
	assert_string_equal(sl_sv_param(&v, 0, "n"), "512");
	{
		char label[128];
		int skip[] = { v.c_series, -1 };

		sl_sv_label(&v, 4, skip, label, sizeof(label));
		assert_string_equal(label, "processes=2 threads=1");
	}
	assert_true(sl_sv_row_ok(&v, 0));
	sl_summary_view_free(&v);
}

static void test_view_rejects_bad_number(void **state)
{
	struct sl_csv csv;
	char path[128];
	const char *err;
	int rc;

	(void)state;
	read_fixture("report-scaling", &csv);
	set_cell(&csv, 2, "wall_s_median", "fast");
	snprintf(path, sizeof(path), "%s/summary.csv", tmpdir);
	write_summary(&csv, path);
	sl_csv_free(&csv);
	err = stderr_of_load(path, &rc);
	assert_int_equal(rc, -EINVAL);
	/* config 2 is the fourth line (after the header) */
	assert_non_null(strstr(err, "summary.csv:4: column 'wall_s_median': 'fast' is not a number"));
}

static void test_view_rejects_foreign_csv(void **state)
{
	char path[128];
	const char *err;
	FILE *f;
	int rc;

	(void)state;
	snprintf(path, sizeof(path), "%s/summary.csv", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("config,series,workload,runs,ok,status,wall_s_median\n0,all,gemm,3,3,ok,1.0\n", f);
	fclose(f);
	err = stderr_of_load(path, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "summary.csv:1: missing column 'processes'"));
	/* a process count that is not one */
	f = fopen(path, "w");
	fputs("config,series,workload,processes,runs,ok,status,wall_s_median\n0,all,gemm,0,3,3,ok,1.0\n", f);
	fclose(f);
	err = stderr_of_load(path, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "summary.csv:2: column 'processes'"));
}

static void test_machine_from_meta(void **state)
{
	json_error_t jerr;
	json_t *meta = json_loads("{\"experiment\":{\"name\":\"x\"},\"sysinfo\":{\"hostname\":\"node7\","
				  "\"cpu\":{\"model_name\":\"Foo 9000\"},\"topology\":{\"logical\":64,\"physical\":32,"
				  "\"sockets\":2},\"mem_gib\":\"503.2\",\"gpus\":[{\"name\":\"H200\"}]}}",
				  0, &jerr);
	struct sl_machine m;
	char line[512];

	(void)state;
	assert_non_null(meta);
	sl_machine_from_meta(meta, &m);
	assert_string_equal(m.host, "node7");
	assert_string_equal(m.cpu, "Foo 9000");
	assert_int_equal(m.logical, 64);
	assert_int_equal(m.physical, 32);
	assert_int_equal(m.sockets, 2);
	assert_true(m.mem_gib > 503 && m.mem_gib < 504);
	assert_string_equal(m.gpu, "H200");
	sl_machine_line(&m, line, sizeof(line));
	assert_string_equal(line, "node7 · Foo 9000 · 64 logical / 32 physical CPUs · 503.2 GiB · H200");
	json_decref(meta);
	sl_machine_from_meta(NULL, &m);
	assert_int_equal(m.logical, 0);
	sl_machine_line(&m, line, sizeof(line));
	assert_string_equal(line, "unknown machine");
}

/* ---- findings follow the numbers ---- */

static void test_scaling_finding(void **state)
{
	struct sl_csv csv;
	struct sl_findings f;

	(void)state;
	read_fixture("report-scaling", &csv);
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "scaling", "gemm threads=1 reaches 2.39× at 4 processes (efficiency 0.60)");
	ASSERT_FINDING(&f, "scaling", "from the 2 physical cores to all 4 hardware threads adds 23% (1.95× → 2.39×)");
	ASSERT_FINDING(&f, "scaling", "gemm threads=unset gets no faster with more processes: 0.65× at 4");
	/* a better speedup in the file is a better speedup in the finding */
	set_cell(&csv, 5, "speedup", "3.5");
	set_cell(&csv, 5, "efficiency", "0.875");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "scaling", "gemm threads=1 reaches 3.50× at 4 processes (efficiency 0.88)");
	ASSERT_FINDING(&f, "scaling", "adds 79% (1.95× → 3.50×)");
	/* a machine without hardware threads: no such clause */
	{
		struct sl_machine m = lab_a;

		m.physical = 4;
		findings_of(&csv, &m, &f);
		assert_null(find(&f, "scaling", "hardware threads"));
	}
	sl_csv_free(&csv);
}

static void test_cores_busy_finding(void **state)
{
	struct sl_csv csv;
	struct sl_findings f;

	(void)state;
	read_fixture("report-scaling", &csv);
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "cores-busy", "gemm threads=unset: 1 process keeps 3.7 cores busy");
	ASSERT_FINDING(&f, "cores-busy", "at 2 processes it is 15% slower than threads=1 (4.69 s vs 4.09 s)");
	ASSERT_FINDING(&f, "cores-busy", "set OPENBLAS_NUM_THREADS=1");
	/* threads=auto asks for more cores than processes: not a finding */
	assert_null(find(&f, "cores-busy", "gemm threads=auto:"));
	set_cell(&csv, 0, "cores_busy_median", "1.9");
	set_cell(&csv, 1, "wall_s_median", "4.5");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "cores-busy", "1 process keeps 1.9 cores busy");
	ASSERT_FINDING(&f, "cores-busy", "it is 10% slower than threads=1 (4.5 s vs 4.09 s)");
	/* too few cores to show more of them busy at 2 processes: the cost of the threads still shows */
	set_cell(&csv, 1, "cores_busy_median", "2.0");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "cores-busy", "at 2 processes it is 10% slower than threads=1 (4.5 s vs 4.09 s)");
	/* the OpenMP build of OpenBLAS is limited by another variable */
	for (int c = 0; c < 9; c++)
		set_cell(&csv, c, "blas", "openmp");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "cores-busy", "set OMP_NUM_THREADS=1");
	/* no more cores busy than processes: nothing to say */
	set_cell(&csv, 0, "cores_busy_median", "1.0");
	set_cell(&csv, 1, "cores_busy_median", "2.0");
	set_cell(&csv, 2, "cores_busy_median", "3.9");
	findings_of(&csv, &lab_a, &f);
	assert_false(has_rule(&f, "cores-busy"));
	sl_csv_free(&csv);
}

/* threads=1 asked for, more run: the limit did not reach the library, and cores-busy does not
 * describe that row as limited */
static void test_limit_ignored_finding(void **state)
{
	struct sl_csv csv;
	struct sl_findings f;

	(void)state;
	read_fixture("report-scaling", &csv);
	findings_of(&csv, &lab_a, &f);
	assert_false(has_rule(&f, "limit-ignored"));
	set_cell(&csv, 3, "threads_lib_median", "4");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "limit-ignored", "threads=1 was asked for, yet the library ran 4 threads per worker");
	set_cell(&csv, 3, "threads_lib_median", "");
	set_cell(&csv, 3, "cores_busy_median", "3.8");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "limit-ignored", "yet 1 process kept 3.80 cores busy");
	assert_null(find(&f, "cores-busy", "threads=1: 1 process keeps"));
	sl_csv_free(&csv);
}

/* the sampler's cost: nothing to say below 1% of a core, a problem above */
static void test_monitor_cost_finding(void **state)
{
	struct sl_csv csv;
	struct sl_findings f;

	(void)state;
	read_fixture("report-scaling", &csv);
	set_cell(&csv, 2, "monitor_cpu_pct_median", "0.4");
	findings_of(&csv, &lab_a, &f);
	assert_false(has_rule(&f, "monitor-cost"));
	set_cell(&csv, 2, "monitor_cpu_pct_median", "2.5");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "monitor-cost", "the utilisation sampler used 2.5% of one core (");
	/* a run too short for the rate to matter: its start-up is not the sampler's rate */
	set_cell(&csv, 2, "wall_s_median", "0.001");
	findings_of(&csv, &lab_a, &f);
	assert_false(has_rule(&f, "monitor-cost"));
	sl_csv_free(&csv);
}

static void test_oversubscription_finding(void **state)
{
	struct sl_csv csv;
	struct sl_findings f;

	(void)state;
	read_fixture("report-scaling", &csv);
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "oversubscription", "2 configurations run more threads than the 4 logical CPUs");
	ASSERT_FINDING(&f, "oversubscription", "is 41% slower than the fastest that fits");
	set_cell(&csv, 1, "oversubscribed", "0");
	set_cell(&csv, 2, "oversubscribed", "0");
	findings_of(&csv, &lab_a, &f);
	assert_false(has_rule(&f, "oversubscription"));
	sl_csv_free(&csv);
}

static void test_chunksize_finding(void **state)
{
	struct sl_csv csv;
	struct sl_findings f;

	(void)state;
	read_fixture("report-chunks", &csv);
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "chunksize", "scalar dispatch=pipe: the best chunk size is 256");
	ASSERT_FINDING(&f, "chunksize", "chunksize 1 spends 81% of its time on per-chunk overhead");
	ASSERT_FINDING(&f, "chunksize", "chunksizes 64 to 256 are within 2% of the best");
	ASSERT_FINDING(&f, "chunksize", "Python's default ceil(N/(4P)) = ceil(4096/16) = 256 is the best here");
	ASSERT_FINDING(&f, "axis", "dispatch=shm is the fastest in all 6 matched configurations");
	/* chunk size 1 of the pipe channel twice as slow as the best instead of five times */
	set_cell(&csv, 0, "wall_s_median", "0.81");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "chunksize", "chunksize 1 spends 50% of its time on per-chunk overhead (810 ms, 2.0× the best)");
	/* other rules stay silent where their data is absent */
	assert_false(has_rule(&f, "scaling"));
	assert_false(has_rule(&f, "start-safety"));
	assert_false(has_rule(&f, "cores-busy"));
	sl_csv_free(&csv);
}

static void test_start_findings(void **state)
{
	struct sl_csv csv;
	struct sl_findings f;

	(void)state;
	read_fixture("report-start", &csv);
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "start-safety", "fork hangs after the parent used OpenMP (2 of 4 fork configurations, 6 runs");
	ASSERT_FINDING(&f, "start-safety", "spawn and forkserver finished every run there — use spawn or forkserver");
	ASSERT_FINDING(&f, "start-latency", "fork's latency grows with the parent's memory: 0.521 ms at 0 MB → 2.52 ms at 512 MB");
	ASSERT_FINDING(&f, "failures", "2 of 12 configurations did not finish every run (2 hang)");
	/* crashes instead of hangs, and spawn hanging too: only forkserver is left to advise */
	set_cell(&csv, 2, "status", "crash:SIGSEGV");
	set_cell(&csv, 3, "status", "crash:SIGSEGV");
	set_cell(&csv, 6, "status", "hang");
	set_cell(&csv, 6, "ok", "0");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "start-safety", "fork crashes after the parent used OpenMP");
	ASSERT_FINDING(&f, "start-safety", "forkserver finished every run there — use forkserver");
	ASSERT_FINDING(&f, "start-safety", "spawn hangs after the parent used OpenMP (1 of 4 spawn configurations, 3 runs");
	/* latency that does not grow with memory is not said to */
	set_cell(&csv, 1, "start_latency_ms_median", "0.6");
	findings_of(&csv, &lab_a, &f);
	assert_null(find(&f, "start-latency", "fork's latency grows"));
	sl_csv_free(&csv);
}

static void test_gpu_findings(void **state)
{
	struct sl_csv csv;
	struct sl_findings f;

	(void)state;
	read_fixture("report-gpu-sync", &csv);
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "gpu-sync", "100% of a core with spin");
	ASSERT_FINDING(&f, "gpu-sync", "3% of a core with blocking");
	ASSERT_FINDING(&f, "gpu-sync", "blocking frees the CPU but wakes up in 62.7 µs instead of 3.82 µs (spin)");
	ASSERT_FINDING(&f, "gpu-sync", "use blocking synchronisation");
	set_cell(&csv, 2, "host_cpu_pct_median", "90");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "gpu-sync", "90% of a core with blocking");
	assert_null(find(&f, "gpu-sync", "use blocking"));
	sl_csv_free(&csv);

	read_fixture("report-gpu-gemm", &csv);
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "throughput", "the highest throughput is 18130 GFLOP/s (n=8192 dtype=float, GPU busy 99%)");
	set_cell(&csv, 3, "gflops_median", "9500");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "throughput", "the highest throughput is 16415 GFLOP/s (n=4096 dtype=float");
	sl_csv_free(&csv);

	read_fixture("report-gpu-copy", &csv);
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "gpu-copy", "copies h2d: pinned reaches 24.7 GB/s (at 256 MiB), pageable 9.91 GB/s (at 16 MiB): 2.5×");
	set_cell(&csv, 8, "gbps_median", "12.35");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "gpu-copy", "copies h2d: pinned reaches 24.7 GB/s (at 256 MiB), pageable 12.3 GB/s (at 256 MiB): 2.0×");
	sl_csv_free(&csv);

	read_fixture("report-gpu-share", &csv);
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "gpu-share", "4 processes sharing the GPU reach 16124 GFLOP/s together, 1.08× of one process alone");
	ASSERT_FINDING(&f, "gpu-share", "each process gets 4031 GFLOP/s");
	sl_csv_free(&csv);

	read_fixture("report-skipped", &csv);
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "skipped", "every configuration (2) was skipped: no CUDA device");
	assert_int_equal(f.n, 1);
	sl_csv_free(&csv);
}

static void test_stability_finding(void **state)
{
	struct sl_csv csv;
	struct sl_findings f;

	(void)state;
	read_fixture("report-scaling", &csv);
	findings_of(&csv, &lab_a, &f);
	assert_false(has_rule(&f, "stability"));
	set_cell(&csv, 2, "unstable", "1");
	set_cell(&csv, 2, "wall_s_cv", "0.12");
	set_cell(&csv, 4, "outliers", "2");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "stability", "1 of 9 configurations varied by more than 5% between repetitions (CV up to 12%); 2 outlier runs");
	sl_csv_free(&csv);
}

/* ---- HTML ---- */

/* ---- claims that must be true by construction (issue 15) ---- */

/* Amdahl from 3 or more process counts only, and never an asymptote */
static void test_amdahl_needs_three_counts(void **state)
{
	struct sl_csv csv;
	struct sl_findings f;

	(void)state;
	read_fixture("report-scaling", &csv);
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "scaling", "gemm threads=1 reaches 2.39× at 4 processes");
	ASSERT_FINDING(&f, "scaling", "Amdahl fit over 1 to 4 processes: serial fraction 0.162");
	ASSERT_NO_CLAIM(&f, "unlimited");
	ASSERT_NO_CLAIM(&f, "at most");
	/* P = 2 of threads=1 hung: 1 and 4 are two counts, too few for a fit */
	set_cell(&csv, 4, "status", "hang");
	set_cell(&csv, 4, "ok", "0");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "scaling", "gemm threads=1 reaches 2.39× at 4 processes");
	assert_null(find(&f, "scaling", "gemm threads=1 reaches 2.39× at 4 processes (efficiency 0.60); Amdahl"));
	assert_null(find(&f, "scaling", "threads=1 reaches 2.39× at 4 processes (efficiency 0.60); going from the 2 "
				      "physical cores to all 4 hardware threads adds 23% (1.95× → 2.39×); against the "
				      "experiment's fastest 1-process configuration (threads=unset) it is 1.07×; Amdahl"));
	sl_csv_free(&csv);
}

/* a waiting workload with more processes than CPUs is not oversubscribed */
static void test_oversubscribed_by_busy_threads(void **state)
{
	struct sl_csv csv;
	struct sl_findings f;
	char path[128];
	struct sl_summary_view v;

	(void)state;
	read_fixture("report-scaling", &csv);
	set_cell(&csv, 1, "cores_busy_median", "0.05");
	set_cell(&csv, 2, "cores_busy_median", "0.1");
	findings_of(&csv, &lab_a, &f);
	assert_false(has_rule(&f, "oversubscription"));
	snprintf(path, sizeof(path), "%s/summary.csv", tmpdir);
	assert_int_equal(sl_summary_view_load(path, &v), 0);
	assert_false(sl_sv_oversubscribed(&v, 2, &lab_a));
	assert_true(sl_sv_oversubscribed(&v, 1, NULL));   /* no machine known: the file's word */
	sl_summary_view_free(&v);
	sl_csv_free(&csv);
}

/* an oversubscribed configuration twice as fast is said to be, not "within N%" */
static void test_comparison_both_directions(void **state)
{
	struct sl_csv csv;
	struct sl_findings f;

	(void)state;
	read_fixture("report-scaling", &csv);
	set_cell(&csv, 2, "wall_s_median", "1.67");
	set_cell(&csv, 2, "wall_s_ci_lo", "1.66");
	set_cell(&csv, 2, "wall_s_ci_hi", "1.68");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "oversubscription", "is 2.00× as fast as the fastest that fits (processes=4 threads=1, 3.34 s)");
	assert_null(find(&f, "oversubscription", "within"));
	ASSERT_NO_CLAIM(&f, "slower than the fastest that fits");
	/* overlapping intervals: no direction claimed at all */
	set_cell(&csv, 2, "wall_s_median", "3.3");
	set_cell(&csv, 2, "wall_s_ci_lo", "3.2");
	set_cell(&csv, 2, "wall_s_ci_hi", "3.4");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "oversubscription", "cannot be told apart (their 95% intervals overlap)");
	assert_null(find(&f, "oversubscription", "within"));
	sl_csv_free(&csv);
}

/* figures that failed the run-window checks, and threads nobody saw, say nothing */
static void test_untrusted_and_threadless(void **state)
{
	struct sl_csv csv;
	struct sl_findings f;
	char answer[1024];

	(void)state;
	read_fixture("report-scaling", &csv);
	set_cell(&csv, 0, "cores_busy_median", "4.5");    /* > 4 CPUs × 1.05: counted outside the run */
	analyse(&csv, &lab_a, NULL, &f, answer, sizeof(answer));
	ASSERT_NO_CLAIM(&f, "4.5 cores");
	/* the fastest trusted 1-process run is threads=auto's, not the untrusted threads=unset one */
	assert_non_null(strstr(answer, "(the fastest 1-process configuration, threads=auto)"));
	/* a workload without threads (the empty workload's short runs): no library-thread claim */
	sl_csv_free(&csv);
	read_fixture("report-scaling", &csv);
	for (int c = 0; c < 9; c++) {
		set_cell(&csv, c, "threads_peak_median", "1");
		set_cell(&csv, c, "threads_lib_median", "");
	}
	set_cell(&csv, 0, "cores_busy_median", "2.5");
	findings_of(&csv, &lab_a, &f);
	assert_false(has_rule(&f, "cores-busy"));
	ASSERT_NO_CLAIM(&f, "library starts its own threads");
	sl_csv_free(&csv);
}

/* noise is a problem only where it could change the answer */
static void test_noise_problem_only_if_it_matters(void **state)
{
	struct sl_csv csv;
	struct sl_findings f;

	(void)state;
	read_fixture("report-scaling", &csv);
	/* threads=unset at 4 processes (5.49 s) is unstable, far from the best (3.34 s) */
	set_cell(&csv, 2, "unstable", "1");
	set_cell(&csv, 2, "wall_s_cv", "0.2");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "stability", "not enough to change which configuration is the best");
	for (int i = 0; i < f.n; i++)
		assert_false(f.items[i].kind == SL_FINDING_PROBLEM && strcmp(f.items[i].rule, "stability") == 0);
	/* its interval reaching the best's: now it could */
	set_cell(&csv, 2, "wall_s_ci_lo", "3.0");
	findings_of(&csv, &lab_a, &f);
	ASSERT_FINDING(&f, "stability", "the noise could change the answer");
	sl_csv_free(&csv);
}

/* the Answer line, and the metric it is measured in */
static void test_answer_and_metric(void **state)
{
	struct sl_csv csv;
	struct sl_findings f;
	char answer[1024], path[128];
	struct sl_summary_view v;

	(void)state;
	read_fixture("report-scaling", &csv);
	analyse(&csv, &lab_a, NULL, &f, answer, sizeof(answer));
	assert_string_equal(answer, "1.07× at 4 processes, threads=1 (efficiency 0.27): 3.34 s against 3.56 s with one "
				    "process (the fastest 1-process configuration, threads=unset)");
	/* speedup also against the experiment's fastest 1-process configuration */
	ASSERT_FINDING(&f, "scaling", "against the experiment's fastest 1-process configuration (threads=unset) it is 1.07×");
	sl_csv_free(&csv);
	/* start methods: ranked by start latency, compared at one parent size */
	read_fixture("report-start", &csv);
	analyse(&csv, &lab_a, "start_latency_ms", &f, answer, sizeof(answer));
	assert_non_null(strstr(answer, "best worker start latency 521 µs at start_method=fork parent_rss_mb=0 "
				       "parent_uses=none; worst 4.93 ms at start_method=spawn parent_rss_mb=512"));
	assert_non_null(strstr(answer, "2 of 12 configurations did not finish: start_method=fork parent_rss_mb=0 "
				       "parent_uses=openmp (hang)"));
	ASSERT_FINDING(&f, "start-latency", "with a 0 MB parent (median over its configurations): fork 0.521 ms, spawn "
					    "4.73 ms, forkserver 1.29 ms");
	ASSERT_FINDING(&f, "axis", "start_method=forkserver is the best in 3 of 4 matched configurations");
	ASSERT_NO_CLAIM(&f, "fastest");
	/* the same data by runtime: another ranking */
	analyse(&csv, &lab_a, NULL, &f, answer, sizeof(answer));
	assert_non_null(strstr(answer, "best runtime 11 ms at start_method=fork parent_rss_mb=0"));
	/* a metric without a direction is refused */
	snprintf(path, sizeof(path), "%s/summary.csv", tmpdir);
	assert_int_equal(sl_summary_view_load(path, &v), 0);
	sl_quiet_errors = true;
	assert_int_equal(sl_sv_set_metric(&v, "cores_busy", path), -EINVAL);
	assert_int_equal(sl_sv_set_metric(&v, "no_such", path), -EINVAL);
	sl_quiet_errors = false;
	assert_string_equal(v.metric, "wall_s");
	sl_summary_view_free(&v);
	sl_csv_free(&csv);
}

/* meta.json, typed: the fields every reader uses, wrong types and a newer schema refused with the file */
static void test_meta_typed(void **state)
{
	char dir[128], path[160], err[4096];
	struct sl_meta m;
	FILE *f;
	int saved, fd;
	ssize_t n;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/meta", tmpdir);
	mkdir(dir, 0700);
	assert_int_equal(sl_meta_load(dir, &m), 0);   /* no meta.json: nothing known, no error */
	assert_string_equal(m.name, "");
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"schema_version\": 1, \"experiment\": {\"name\": \"s6-start\", \"question\": \"q?\", \"workload\": "
	      "\"empty\", \"metric\": \"pool_ms\", \"profile\": \"quick\", \"repeats\": 3}, \"command_line\": "
	      "[\"speedlab\", \"run\", \"x.ini\"], \"seed\": 7, \"sysinfo\": {\"cpu\": {\"logical\": 2, "
	      "\"physical\": 2}}}", f);
	fclose(f);
	assert_int_equal(sl_meta_load(dir, &m), 0);
	assert_int_equal(m.schema, 1);
	assert_string_equal(m.name, "s6-start");
	assert_string_equal(m.metric, "pool_ms");
	assert_int_equal(m.repeats, 3);
	assert_int_equal(m.seed, 7);
	assert_string_equal(m.command, "speedlab run x.ini");
	assert_int_equal(m.m.logical, 2);
	/* a name that is not text, and a schema from the future: errors naming the file */
	for (int k = 0; k < 2; k++) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(k ? "{\"schema_version\": 99}" : "{\"experiment\": {\"name\": 5}}", f);
		fclose(f);
		snprintf(err, sizeof(err), "%s/err.txt", tmpdir);
		fflush(stderr);
		saved = dup(2);
		fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		close(fd);
		assert_int_equal(sl_meta_load(dir, &m), -EINVAL);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		fd = open(err, O_RDONLY);
		n = read(fd, err, sizeof(err) - 1);
		close(fd);
		err[n > 0 ? n : 0] = '\0';
		assert_non_null(strstr(err, path));
		assert_non_null(strstr(err, k ? "schema_version 99 is newer" : "a field has the wrong type"));
	}
	remove(path);
	rmdir(dir);
}

static void test_md_to_html(void **state)
{
	const char *md = "# A b\n\n> why?\n\n- **Advice:** use `x<y`\n- two\n\n| P | T |\n|---|---|\n| 1 | 2 s |\n\n"
			 "text & more\nsecond line\n\n![plot](plots/none.png)\n\n```\n[sweep]\n```\n"
			 "![key](plots/k.png) *how to read it* ([SVG](plots/k.svg))\n\n"
			 "<details><summary>Details: 1 finding</summary>\n\n- one\n</details>\n";
	char *html = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&html, &len);

	(void)state;
	assert_non_null(f);
	sl_md_to_html(f, md, tmpdir);
	fclose(f);
	assert_non_null(strstr(html, "<h1 id=\"a-b\">A b</h1>"));
	assert_non_null(strstr(html, "<blockquote>why?</blockquote>"));
	assert_non_null(strstr(html, "<li><strong>Advice:</strong> use <code>x&lt;y</code></li>"));
	assert_non_null(strstr(html, "<th>P</th><th>T</th>"));
	assert_non_null(strstr(html, "<tr><td>1</td><td>2 s</td></tr>"));
	assert_null(strstr(html, "---"));
	assert_non_null(strstr(html, "<p>text &amp; more<br>\nsecond line</p>"));
	assert_non_null(strstr(html, "plot missing: plots/none.png"));
	assert_non_null(strstr(html, "<pre><code>[sweep]\n</code></pre>"));
	/* text after an image on its line is its caption; a fold's two tags may share a line */
	assert_non_null(strstr(html, "<figcaption><em>how to read it</em> (<a href=\"plots/k.svg\">SVG</a>)</figcaption>"));
	assert_non_null(strstr(html, "<details>\n<summary>Details: 1 finding</summary>\n<ul>\n<li>one</li>\n</ul>\n</details>"));
	free(html);
}

/* The table under "## Key results" is marked (its answers' full text in their titles); one of more than
 * SL_REPORT_KEY_ONE_COLUMN rows also as "many" (two columns on a wide screen); no other table is. */
static void test_md_key_table(void **state)
{
	char *md = NULL, *html = NULL;
	size_t mlen = 0, len = 0;
	FILE *f;

	(void)state;
	for (int rows = SL_REPORT_KEY_ONE_COLUMN; rows <= SL_REPORT_KEY_ONE_COLUMN + 1; rows++) {
		f = open_memstream(&md, &mlen);
		fputs("## " SL_REPORT_KEY_HEADING "\n\n| Experiment | Answer |\n|---|---|\n", f);
		fputs("| [a](#a) | 2× at `2` processes (1 s vs 2 s) \\| more |\n", f);
		for (int i = 1; i < rows; i++)
			fprintf(f, "| [b%d](#b%d) | runtime %d s |\n", i, i, i);
		fputs("\n## Key results of another kind\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n"
		      "## " SL_REPORT_KEY_HEADING "\n\ntext\n\n| x | y |\n|---|---|\n| 3 | 4 |\n", f);
		fclose(f);
		f = open_memstream(&html, &len);
		sl_md_to_html(f, md, tmpdir);
		fclose(f);
		assert_non_null(strstr(html, rows > SL_REPORT_KEY_ONE_COLUMN ? "<div class=\"table key many\"><table>"
									     : "<div class=\"table key\"><table>"));
		assert_non_null(strstr(html, "<tr><td><a href=\"#a\">a</a></td><td title=\"2× at 2 processes (1 s vs 2 s) "
					     "| more\">2× at <code>2</code> processes"));
		/* one key table: the others are plain */
		assert_null(strstr(strstr(html, "class=\"table key") + 1, "class=\"table key"));
		assert_non_null(strstr(html, "<tr><td>1</td><td>2</td></tr>"));
		assert_non_null(strstr(html, "<tr><td>3</td><td>4</td></tr>"));
		free(md);
		free(html);
		md = html = NULL;
	}
}

static void test_md_embeds_images(void **state)
{
	char path[128];
	char *html = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/img.png", tmpdir);
	f = fopen(path, "w");
	fputs("PNG!", f);
	fclose(f);
	f = open_memstream(&html, &len);
	sl_md_to_html(f, "![a](img.png)\n", tmpdir);
	fclose(f);
	/* "PNG!" in base64 */
	assert_non_null(strstr(html, "src=\"data:image/png;base64,UE5HIQ==\""));
	free(html);
	/* the SVG twin wins */
	snprintf(path, sizeof(path), "%s/img.svg", tmpdir);
	f = fopen(path, "w");
	fputs("<svg/>", f);
	fclose(f);
	html = NULL;
	f = open_memstream(&html, &len);
	sl_md_to_html(f, "![a](img.png)\n", tmpdir);
	fclose(f);
	assert_non_null(strstr(html, "src=\"data:image/svg+xml;base64,PHN2Zy8+\""));
	free(html);
}

static void test_plot_index(void **state)
{
	char path[128];
	struct sl_plot_entry e[4];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/plots", tmpdir);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/plots/index.tsv", tmpdir);
	f = fopen(path, "w");
	fputs("speedup\tx: speedup\thow to read it\nbroken line\nheatmap\tx: heat\tcells\n", f);
	fclose(f);
	assert_int_equal(sl_plot_index_read(tmpdir, e, 4), 2);
	assert_string_equal(e[0].name, "speedup");
	assert_string_equal(e[0].caption, "how to read it");
	assert_string_equal(e[1].title, "x: heat");
	assert_int_equal(sl_plot_index_read("/nonexistent", e, 4), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_view_reads_fixture),
		cmocka_unit_test(test_view_rejects_bad_number),
		cmocka_unit_test(test_view_rejects_foreign_csv),
		cmocka_unit_test(test_machine_from_meta),
		cmocka_unit_test(test_scaling_finding),
		cmocka_unit_test(test_cores_busy_finding),
		cmocka_unit_test(test_limit_ignored_finding),
		cmocka_unit_test(test_monitor_cost_finding),
		cmocka_unit_test(test_oversubscription_finding),
		cmocka_unit_test(test_chunksize_finding),
		cmocka_unit_test(test_start_findings),
		cmocka_unit_test(test_gpu_findings),
		cmocka_unit_test(test_stability_finding),
		cmocka_unit_test(test_amdahl_needs_three_counts),
		cmocka_unit_test(test_oversubscribed_by_busy_threads),
		cmocka_unit_test(test_comparison_both_directions),
		cmocka_unit_test(test_untrusted_and_threadless),
		cmocka_unit_test(test_noise_problem_only_if_it_matters),
		cmocka_unit_test(test_answer_and_metric),
		cmocka_unit_test(test_meta_typed),
		cmocka_unit_test(test_md_to_html),
		cmocka_unit_test(test_md_key_table),
		cmocka_unit_test(test_md_embeds_images),
		cmocka_unit_test(test_plot_index),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
