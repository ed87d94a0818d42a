/* summary_view.c: summary.csv read back and validated, its columns looked up once, and the metric an
 * experiment's answer is measured in. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "experiment/axis.h"
#include "results/summary_view.h"

/* ---- summary.csv ---- */

void sl_summary_view_free(struct sl_summary_view *v)
{
	sl_csv_free(&v->csv);
	memset(v, 0, sizeof(*v));
}

int sl_summary_view_load(const char *path, struct sl_summary_view *v)
{
	static const char *const required[] = { "config", "series", "processes", "runs", "ok", "status",
						"wall_s_median", NULL };
	struct sl_csv *c = &v->csv;
	int rc, status_col;

	memset(v, 0, sizeof(*v));
	rc = sl_csv_read(path, c, 0);
	if (rc)
		return rc;
	for (int i = 0; required[i]; i++)
		if (sl_csv_col(c, required[i]) < 0) {
			sl_err_at(path, 1, "missing column '%s' (not a speedlab summary.csv?)", required[i]);
			goto out_invalid;
		}
#define COL(field, name) v->field = sl_csv_col(c, name)
	COL(c_config, "config");
	COL(c_series, "series");
	COL(c_workload, "workload");
	COL(c_processes, "processes");
	COL(c_chunksize, "chunksize");
	COL(c_start_method, "start_method");
	COL(c_threads, "threads");
	COL(c_thread_api, "thread_api");
	COL(c_dispatch, "dispatch");
	COL(c_device, "device");
	COL(c_blas, "blas");
	COL(c_parent_rss, sl_axes_builtin[SL_AXIS_PARENT_RSS].name);
	COL(c_parent_uses, "parent_uses");
	COL(c_affinity, "affinity");
	COL(c_mem_policy, "mem_policy");
	COL(c_runs, "runs");
	COL(c_ok, "ok");
	COL(c_status, "status");
	COL(c_wall, "wall_s_median");
	COL(c_wall_min, "wall_s_min");
	COL(c_wall_max, "wall_s_max");
	COL(c_wall_ci_lo, "wall_s_ci_lo");
	COL(c_wall_ci_hi, "wall_s_ci_hi");
	COL(c_wall_cv, "wall_s_cv");
	COL(c_unstable, "unstable");
	COL(c_outliers, "outliers");
	COL(c_speedup, "speedup");
	COL(c_speedup_lo, "speedup_ci_lo");
	COL(c_speedup_hi, "speedup_ci_hi");
	COL(c_efficiency, "efficiency");
	COL(c_karp_flatt, "karp_flatt");
	COL(c_amdahl, "amdahl_serial");
	COL(c_oversubscribed, "oversubscribed");
	COL(c_cores_busy, "cores_busy_median");
	COL(c_threads_peak, "threads_peak_median");
	COL(c_threads_lib, "threads_lib_median");
	COL(c_monitor_cpu, "monitor_cpu_pct_median");
	COL(c_latency, "start_latency_ms_median");
	COL(c_dispatch_us, "dispatch_us_per_task_median");
	COL(c_gflops, "gflops_median");
	COL(c_gpu_util, "gpu_util_pct_median");
	COL(c_imbalance, "imbalance_median");
	COL(c_pool_start, "pool_start_ms_median");
	COL(c_pool_stop, "pool_stop_ms_median");
	COL(c_cpus_used, "cpus_used_median");
#undef COL
	snprintf(v->metric, sizeof(v->metric), "wall_s");
	v->c_metric = v->c_wall;
	v->metric_better = -1;
	if (v->c_runs <= v->c_series + 1) {
		sl_err_at(path, 1, "no axis columns between 'series' and 'runs'");
		goto out_invalid;
	}
	for (int col = v->c_series + 1; col < v->c_runs && v->naxes < SL_SV_MAX_AXES; col++)
		v->axes[v->naxes++] = col;
	/* Every statistic and metric (after status) and the counts are numbers or empty. */
	status_col = v->c_status;
	for (size_t r = 0; r < c->nrows; r++) {
		for (int col = 0; col < (int)c->ncols; col++) {
			const char *cell = c->rows[r][col];
			double d;

			if (!(col > status_col || col == v->c_config || col == v->c_processes || col == v->c_runs ||
			      col == v->c_ok))
				continue;
			if (!cell[0] || sl_parse_double(cell, &d))
				continue;
			sl_err_at(path, c->lines[r], "column '%s': '%s' is not a number", c->header[col], cell);
			goto out_invalid;
		}
		if (sl_csv_num(c, r, v->c_processes) < 1) {
			sl_err_at(path, c->lines[r], "column 'processes': '%s' is not a process count",
				  c->rows[r][v->c_processes]);
			goto out_invalid;
		}
	}
	for (int a = 0; a < v->naxes; a++) {
		int col = v->axes[a];

		for (size_t r = 1; r < c->nrows; r++)
			if (strcmp(c->rows[r][col], c->rows[0][col]) != 0) {
				v->varies[a] = true;
				break;
			}
	}
	return 0;

out_invalid:
	sl_summary_view_free(v);
	return -EINVAL;
}

bool sl_summary_view_varies(const struct sl_summary_view *v, int col)
{
	for (int a = 0; a < v->naxes; a++)
		if (v->axes[a] == col)
			return v->varies[a];
	return false;
}

bool sl_sv_row_ok(const struct sl_summary_view *v, size_t r)
{
	double runs = sl_sv_num(v, r, v->c_runs), ok = sl_sv_num(v, r, v->c_ok);

	return runs > 0 && ok == runs && !isnan(sl_sv_num(v, r, v->c_wall));
}

bool sl_sv_in_list(const int *list, int col)
{
	for (int i = 0; list && list[i] >= 0; i++)
		if (list[i] == col)
			return true;
	return false;
}

void sl_sv_label(const struct sl_summary_view *v, size_t r, const int *skip, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int a = 0; a < v->naxes; a++) {
		int col = v->axes[a], k;

		if (!v->varies[a] || sl_sv_in_list(skip, col))
			continue;
		k = snprintf(buf + n, len - n, "%s%s=%s", n ? " " : "", v->csv.header[col], sl_sv_text(v, r, col));
		if (k < 0 || (size_t)k >= len - n)
			break;
		n += (size_t)k;
	}
	if (!buf[0])
		snprintf(buf, len, "all");
}

double sl_sv_chunksize(const struct sl_summary_view *v, size_t r)
{
	double tasks, p;

	if (v->c_chunksize < 0)
		return NAN;
	if (strcmp(sl_sv_text(v, r, v->c_chunksize), "auto") != 0)
		return sl_sv_num(v, r, v->c_chunksize);
	tasks = sl_csv_num(&v->csv, r, sl_csv_col(&v->csv, "tasks"));
	p = sl_sv_num(v, r, v->c_processes);
	if (isnan(tasks) || isnan(p) || p < 1)
		return NAN;
	return ceil(tasks / (4 * p));
}

const char *sl_sv_param(const struct sl_summary_view *v, size_t r, const char *name)
{
	return sl_sv_text(v, r, sl_csv_col(&v->csv, name));
}

const char *sl_sv_fmt_time(double s, char *buf, size_t len)
{
	if (s < 1e-3)
		snprintf(buf, len, "%.3g µs", s * 1e6);
	else if (s < 1)
		snprintf(buf, len, "%.3g ms", s * 1e3);
	else
		snprintf(buf, len, "%.3g s", s);
	return buf;
}

/* Decimals that keep about three significant digits of a throughput without an exponent. */
#define PREC(x) ((x) >= 100 ? 0 : (x) >= 10 ? 1 : 2)

/* ---- the metric ---- */

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n >= k && strcmp(s + n - k, tail) == 0;
}

int sl_sv_set_metric(struct sl_summary_view *v, const char *name, const char *path)
{
	char col[64];

	if (!name || !name[0])
		name = "wall_s";
	v->metric_better = sl_metric_better(name);
	if (v->metric_better == 0) {
		sl_err_at(path ? path : "", 0, "metric '%s': not a metric with a direction", name);
		v->metric_better = -1;
		return -EINVAL;
	}
	snprintf(v->metric, sizeof(v->metric), "%s", name);
	snprintf(col, sizeof(col), "%s_median", name);
	v->c_metric = strcmp(name, "wall_s") == 0 ? v->c_wall : strcmp(name, "pool_ms") == 0 ? -1 :
		      sl_csv_col(&v->csv, col);
	return 0;
}

bool sl_sv_metric_is_time(const struct sl_summary_view *v)
{
	return strcmp(v->metric, "wall_s") == 0;
}

double sl_sv_metric(const struct sl_summary_view *v, size_t r)
{
	if (strcmp(v->metric, "pool_ms") == 0)
		return sl_sv_num(v, r, v->c_pool_start) + 1e3 * sl_sv_num(v, r, v->c_wall) + sl_sv_num(v, r, v->c_pool_stop);
	return v->c_metric < 0 ? NAN : sl_sv_num(v, r, v->c_metric);
}

void sl_sv_metric_fmt(const struct sl_summary_view *v, double x, char *buf, size_t len)
{
	const char *m = v->metric;

	if (isnan(x))
		snprintf(buf, len, "—");
	else if (ends_with(m, "_us_per_task")) {
		sl_sv_fmt_time(x * 1e-6, buf, len);
		snprintf(buf + strlen(buf), len - strlen(buf), " per task");
	} else if (ends_with(m, "_us"))
		sl_sv_fmt_time(x * 1e-6, buf, len);
	else if (ends_with(m, "_ms"))
		sl_sv_fmt_time(x * 1e-3, buf, len);
	else if (ends_with(m, "_s"))
		sl_sv_fmt_time(x, buf, len);
	else if (strncmp(m, "gflops", 6) == 0)
		snprintf(buf, len, "%.*f GFLOP/s", PREC(x), x);
	else if (strcmp(m, "gbps") == 0)
		snprintf(buf, len, "%.3g GB/s", x);
	else if (ends_with(m, "_pct"))
		snprintf(buf, len, "%.0f%%", x);
	else
		snprintf(buf, len, "%.3g %s", x, m);
}

bool sl_sv_metric_better(const struct sl_summary_view *v, double a, double b)
{
	if (isnan(a))
		return false;
	if (isnan(b))
		return true;
	return v->metric_better > 0 ? a > b : a < b;
}
