/* summary_view.h: summary.csv of a result directory read back and validated, with the columns that
 * plot, report and findings use looked up once, and the metric an experiment's answer is measured in. */
#ifndef SL_SUMMARY_VIEW_H
#define SL_SUMMARY_VIEW_H

#include <stdbool.h>

#include "core/csv.h"
#include "core/speedlab.h"

#define SL_SV_MAX_AXES 64

/* summary.csv read back, validated, with the columns plot and report use looked up once.
 * A column index is -1 when the file lacks that column. */
struct sl_summary_view {
	struct sl_csv csv;
	int naxes;                        /* axis columns, between series and runs */
	int axes[SL_SV_MAX_AXES];
	bool varies[SL_SV_MAX_AXES];      /* more than one distinct value */
	int c_config, c_series, c_workload, c_processes, c_chunksize, c_start_method, c_threads,
	    c_thread_api, c_dispatch, c_device, c_blas, c_parent_rss, c_parent_uses,
	    c_affinity, c_mem_policy;
	int c_runs, c_ok, c_status;
	int c_wall, c_wall_min, c_wall_max, c_wall_ci_lo, c_wall_ci_hi, c_wall_cv, c_unstable, c_outliers;
	int c_speedup, c_speedup_lo, c_speedup_hi, c_efficiency, c_karp_flatt, c_amdahl, c_oversubscribed;
	int c_monitor_cpu;
	int c_cores_busy, c_threads_peak, c_threads_lib, c_latency, c_dispatch_us, c_gflops, c_gpu_util, c_imbalance;
	int c_pool_start, c_pool_stop;
	/* what the experiment's answer is measured in ([experiment] metric; wall_s unless set) */
	char metric[48];
	int c_metric;                     /* its median column; -1 for pool_ms (a sum) or when absent */
	int metric_better;                /* +1 higher is better, -1 lower */
	int c_cpus_used;
};

/* Read path as summary.csv: the header must name config, series, processes, runs, ok, status and
 * wall_s_median; every cell of a numeric column must be empty or a number. Returns 0, or
 * -errno/-EINVAL with the reason printed as "speedlab: FILE:LINE: message". */
int sl_summary_view_load(const char *path, struct sl_summary_view *v);
/* Free everything. Safe on a zeroed struct. */
void sl_summary_view_free(struct sl_summary_view *v);
/* Whether column col is an axis that takes more than one value. Never fails. */
bool sl_summary_view_varies(const struct sl_summary_view *v, int col);
/* Number of rows. */
static inline size_t sl_sv_rows(const struct sl_summary_view *v) { return v->csv.nrows; }
/* Cell as text ("" for a missing column) and as a number (NAN when empty or missing). */
static inline const char *sl_sv_text(const struct sl_summary_view *v, size_t r, int c)
{
	return sl_csv_cell(&v->csv, r, c);
}
static inline double sl_sv_num(const struct sl_summary_view *v, size_t r, int c)
{
	return sl_csv_num(&v->csv, r, c);
}
/* Whether row r's runs all finished ok. Never fails. */
bool sl_sv_row_ok(const struct sl_summary_view *v, size_t r);
/* "k=v k=v" of the varying axes of row r except those in skip (-1 terminated), or "all"; cut short
 * to fit len. Never fails. */
void sl_sv_label(const struct sl_summary_view *v, size_t r, const int *skip, char *buf, size_t len);
/* Row r's chunk size as a number: 'auto' resolved by Python's rule ceil(tasks / (4 processes)) (what
 * speedlab's auto means); NAN when neither a number nor resolvable. */
double sl_sv_chunksize(const struct sl_summary_view *v, size_t r);
/* The workload parameter value of row r called name ("" when absent). Never fails. */
const char *sl_sv_param(const struct sl_summary_view *v, size_t r, const char *name);

/* Whether col is in list (-1 terminated; NULL: empty). Never fails. */
bool sl_sv_in_list(const int *list, int col);
/* Seconds with a unit that keeps three significant digits readable ("52.1 ms", "3.2 µs"); returns buf. */
const char *sl_sv_fmt_time(double s, char *buf, size_t len);

/* Set the metric the answer is measured in (NULL or "": wall_s). Returns 0, or -EINVAL (printed
 * with path) when name is not a metric with a direction. */
int sl_sv_set_metric(struct sl_summary_view *v, const char *name, const char *path);
/* Whether the metric is the run's time (wall_s): speedup, efficiency and Amdahl apply only then. */
bool sl_sv_metric_is_time(const struct sl_summary_view *v);
/* Row r's metric (NAN when absent), and a value of it with its unit ("52.1 ms", "1.20 µs per task",
 * "412 GFLOP/s"). Never fail. */
double sl_sv_metric(const struct sl_summary_view *v, size_t r);
void sl_sv_metric_fmt(const struct sl_summary_view *v, double x, char *buf, size_t len);
/* Whether a is better than b in the metric's direction (NAN is never better). */
bool sl_sv_metric_better(const struct sl_summary_view *v, double a, double b);

#endif
