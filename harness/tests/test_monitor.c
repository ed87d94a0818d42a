/* test_monitor.c: the utilisation monitor: samples.csv shape, thread and RSS peaks of watched workers. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/csv.h"
#include "monitor/monitor.h"
#include "sys/nvml.h"

static volatile int spin_stop;

static void *spin(void *arg)
{
	volatile unsigned long x = 0;

	(void)arg;
	while (!spin_stop)
		x++;
	return NULL;
}

/* A child with 2 spinning threads besides its main thread: it says "ready" on ready_fd once they
 * run, and ends them when go_fd reaches end of file. */
static pid_t start_spinner(int *ready_rd, int *go_wr)
{
	int ready[2], go[2];
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_t t[2];
		char c;

		close(ready[0]);
		close(go[1]);
		for (int i = 0; i < 2; i++)
			if (pthread_create(&t[i], NULL, spin, NULL) != 0)
				_exit(3);
		if (write(ready[1], "r", 1) != 1)
			_exit(4);
		while (read(go[0], &c, 1) > 0)
			;
		spin_stop = 1;
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	*ready_rd = ready[0];
	*go_wr = go[1];
	return pid;
}

static int count_cpu_lines(void)
{
	size_t len;
	char *text = sl_read_file("/proc/stat", &len);
	int n = 0;

	assert_non_null(text);
	for (char *p = text; p && strncmp(p, "cpu", 3) == 0; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (p[3] >= '0' && p[3] <= '9')
			n++;
	free(text);
	return n;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* numa_maps: the pages of every N<node>= token, summed per node; nothing else counts */
static void test_numa_maps(void **state)
{
	const char *text = "55d0a000 default file=/usr/bin/x mapped=2 N0=2 kernelpagesize_kB=4\n"
			   "7f00 interleave:0-1 anon=300 dirty=300 N0=150 N1=150 kernelpagesize_kB=4\n"
			   "7f10 bind:1 anon=7 N1=7 kernelpagesize_kB=4\n"
			   "7f20 default stack anon=3 N3=1 N2=2\n"
			   "7f30 default NOTANODE=5 N=4 N9x=3\n";
	double pages[4];

	(void)state;
	assert_int_equal(sl_numa_maps_pages(text, pages, 4), 4);
	assert_true(pages[0] == 152 && pages[1] == 157 && pages[2] == 2 && pages[3] == 1);
	assert_int_equal(sl_numa_maps_pages("", pages, 4), 0);
	assert_true(pages[0] == 0);
	/* a node past max is left out */
	assert_int_equal(sl_numa_maps_pages("a b N7=3 N1=2", pages, 2), 2);
	assert_true(pages[1] == 2);
}

static void test_header(void **state)
{
	const char *h = sl_monitor_samples_header();
	const char *tail = ",procs,threads_total,runnable,gpu_util_pct,gpu_mem_mb,gpu_sm_mhz";
	int cols = 0;

	(void)state;
	assert_int_equal(strncmp(h, "config,rep,t_s,cpu", 18), 0);
	assert_string_equal(h + strlen(h) - strlen(tail), tail);
	for (const char *p = h; (p = strstr(p, "_busy_pct")); p++)
		cols++;
	assert_int_equal(cols, count_cpu_lines());
	assert_non_null(strstr(h, ",cpu0_busy_pct,"));
	assert_ptr_equal(h, sl_monitor_samples_header());   /* fixed once */
}

/* Read samples written after the header into csv. */
static void read_samples(FILE *samples, struct sl_csv *csv)
{
	char *body, *text;
	long len;

	fflush(samples);
	len = ftell(samples);
	assert_true(len > 0);
	body = calloc(1, (size_t)len + 1);
	rewind(samples);
	assert_int_equal(fread(body, 1, (size_t)len, samples), (size_t)len);
	assert_true(asprintf(&text, "%s\n%s", sl_monitor_samples_header(), body) > 0);
	/* every row has the header's cells, or this fails */
	assert_int_equal(sl_csv_parse("samples.csv", text, strlen(text), csv, 0), 0);
	free(text);
	free(body);
}

static void test_spinning_child(void **state)
{
	FILE *samples = tmpfile();
	struct sl_monitor *mon;
	struct sl_metrics m;
	struct sl_csv csv;
	int ready, go, status, ncpu = count_cpu_lines(), c_procs, c_thr, c_run, c_gpu;
	int max_thr = 0, max_run = 0, busy_cells = 0;
	char c;
	pid_t pid;

	(void)state;
	assert_non_null(samples);
	pid = start_spinner(&ready, &go);
	assert_int_equal(read(ready, &c, 1), 1);
	mon = sl_monitor_start(50, samples, 7, 2);
	assert_non_null(mon);
	sl_monitor_watch(mon, pid);
	sl_monitor_watch(mon, pid);   /* twice: counted once */
	sleep_s(0.5);
	sl_metrics_clear(&m);
	/* stop while the child still runs: the last sample sees its threads whatever the scheduling */
	sl_monitor_stop(mon, &m);
	close(go);
	close(ready);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	assert_true(m.threads_peak >= 3);
	assert_true(m.threads_total_peak >= 3);
	assert_true(m.rss_peak_mb > 0 && m.rss_peak_mb < 1024 * 1024);
	assert_true(isfinite(m.monitor_cpu_pct) && m.monitor_cpu_pct >= 0);
	print_message("monitor cost at 50 Hz: %.2f%% of one core (indicative, shared machine)\n", m.monitor_cpu_pct);
	if (!sl_nvml_open() || sl_nvml_count() == 0) {
		assert_true(isnan(m.gpu_util_pct));
		assert_true(isnan(m.gpu_mem_mb));
		assert_true(isnan(m.gpu_sm_mhz));
	}
	assert_true(isnan(m.wall_s));   /* others untouched */

	read_samples(samples, &csv);
	assert_true(csv.nrows >= 2);
	c_procs = sl_csv_col(&csv, "procs");
	c_thr = sl_csv_col(&csv, "threads_total");
	c_run = sl_csv_col(&csv, "runnable");
	c_gpu = sl_csv_col(&csv, "gpu_util_pct");
	for (size_t r = 0; r < csv.nrows; r++) {
		assert_string_equal(sl_csv_cell(&csv, r, 0), "7");
		assert_string_equal(sl_csv_cell(&csv, r, 1), "2");
		assert_true(sl_csv_num(&csv, r, 2) >= 0);
		if (r > 0)
			assert_true(sl_csv_num(&csv, r, 2) >= sl_csv_num(&csv, r - 1, 2));
		for (int i = 0; i < ncpu; i++) {
			double v = sl_csv_num(&csv, r, 3 + i);

			if (!isnan(v)) {
				assert_true(v >= 0 && v <= 100);
				busy_cells++;
			}
		}
		assert_true(sl_csv_num(&csv, r, c_procs) <= 1);
		if (sl_csv_num(&csv, r, c_thr) > max_thr)
			max_thr = (int)sl_csv_num(&csv, r, c_thr);
		if (sl_csv_num(&csv, r, c_run) > max_run)
			max_run = (int)sl_csv_num(&csv, r, c_run);
		if (!sl_nvml_open() || sl_nvml_count() == 0)
			assert_string_equal(sl_csv_cell(&csv, r, c_gpu), "");
	}
	assert_true(busy_cells > 0);
	assert_true(max_thr >= 3);
	assert_true(max_run >= 1);   /* spinning threads are always in state R */
	sl_csv_free(&csv);
	fclose(samples);
}

static void test_exited_and_unknown(void **state)
{
	FILE *samples = tmpfile();
	struct sl_monitor *mon;
	struct sl_metrics m;
	struct sl_csv csv;
	pid_t gone = fork();
	int status;

	(void)state;
	if (gone == 0)
		_exit(0);
	assert_int_equal(waitpid(gone, &status, 0), gone);
	mon = sl_monitor_start(100, samples, 0, -1);
	assert_non_null(mon);
	sl_monitor_watch(mon, gone);          /* reaped: dropped quietly */
	sl_monitor_watch(mon, 0);
	sl_monitor_watch(mon, -5);
	sleep_s(0.05);
	sl_metrics_clear(&m);
	sl_monitor_stop(mon, &m);
	assert_true(isnan(m.threads_peak));  /* nothing watched: empty, never 0 */
	assert_true(isnan(m.threads_total_peak));
	assert_true(isnan(m.rss_peak_mb));
	read_samples(samples, &csv);
	assert_string_equal(sl_csv_cell(&csv, 0, sl_csv_col(&csv, "procs")), "0");
	assert_string_equal(sl_csv_cell(&csv, 0, 1), "-1");
	sl_csv_free(&csv);
	fclose(samples);
}

struct watcher {
	struct sl_monitor *mon;
	int base;
};

static void *watch_many(void *arg)
{
	struct watcher *w = arg;

	/* pids above any pid_max: never alive */
	for (int i = 0; i < 600; i++)
		sl_monitor_watch(w->mon, (pid_t)(0x7fff0000 + w->base + i));
	return NULL;
}

static void test_watch_threads_and_limit(void **state)
{
	struct sl_monitor *mon = sl_monitor_start(20, NULL, 0, 0);
	struct watcher w[4];
	pthread_t t[4];
	struct sl_metrics m;

	(void)state;
	assert_non_null(mon);
	for (int i = 0; i < 4; i++) {
		w[i].mon = mon;
		w[i].base = i * 1000;
		assert_int_equal(pthread_create(&t[i], NULL, watch_many, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	/* 2400 pids offered, the limit kept: this one is past it and dropped */
	sl_monitor_watch(mon, getpid());
	sl_metrics_clear(&m);
	sl_monitor_stop(mon, &m);
	assert_true(isnan(m.threads_peak));

	/* below the limit, the test process itself is watched: main thread + the sampler */
	mon = sl_monitor_start(20, NULL, 0, 0);
	assert_non_null(mon);
	sl_monitor_watch(mon, getpid());
	sl_metrics_clear(&m);
	sl_monitor_stop(mon, &m);
	assert_true(m.threads_peak >= 2);
	assert_true(m.rss_peak_mb > 0);
	sl_monitor_stop(NULL, &m);   /* safe */
}

static void test_rate_bounds(void **state)
{
	struct sl_metrics m;
	struct sl_monitor *mon;

	(void)state;
	/* nonsense rates fall back to sane ones instead of spinning or never sampling */
	mon = sl_monitor_start(0, NULL, 0, 0);
	assert_non_null(mon);
	sl_monitor_stop(mon, &m);
	mon = sl_monitor_start(NAN, NULL, 0, 0);
	assert_non_null(mon);
	sl_monitor_stop(mon, &m);
	mon = sl_monitor_start(1e9, NULL, 0, 0);
	assert_non_null(mon);
	sleep_s(0.02);
	sl_monitor_stop(mon, &m);
	assert_true(isfinite(m.monitor_cpu_pct));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numa_maps),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_spinning_child),
		cmocka_unit_test(test_exited_and_unknown),
		cmocka_unit_test(test_watch_threads_and_limit),
		cmocka_unit_test(test_rate_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
