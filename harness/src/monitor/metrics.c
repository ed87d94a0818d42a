/* metrics.c: a run's raw totals into its metrics, and the rule for a failed run (metrics.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats.h"
#include "monitor/metrics.h"

void sl_run_totals_init(struct sl_run_totals *t)
{
	memset(t, 0, sizeof(*t));
	t->wall_s = t->user_s = t->sys_s = t->ctx_vol = t->ctx_invol = NAN;
	t->startup_cpu_s = t->pool_start_ms = t->pool_stop_ms = t->rss_kib = NAN;
	t->flops_per_task = NAN;
	t->coord_threads = t->helper_procs = t->helper_threads = -1;
}

static double count_or_nan(int n)
{
	return n >= 0 ? (double)n : NAN;
}

/* Median start latency (every worker's known), imbalance, peaks of the workers. */
static void workers_metrics(const struct sl_run_totals *t, struct sl_metrics *m)
{
	double *lat = t->nworkers > 0 ? calloc((size_t)t->nworkers, sizeof(double)) : NULL;
	double busy_max = 0, busy_sum = 0, rss = isnan(t->rss_kib) ? 0 : t->rss_kib;
	int tpeak = -1, ttotal = 0, lib = 0, nlat = 0;
	bool threads_known = t->nworkers > 0;

	for (int i = 0; i < t->nworkers; i++) {
		const struct sl_worker_totals *w = &t->workers[i];

		if (lat && !isnan(w->start_ms))
			lat[nlat++] = w->start_ms;
		if (w->rss_kib > rss)
			rss = w->rss_kib;
		busy_sum += w->busy_s;
		if (w->busy_s > busy_max)
			busy_max = w->busy_s;
		if (w->threads < 0) {
			threads_known = false;
		} else {
			ttotal += w->threads;
			if (w->threads > tpeak)
				tpeak = w->threads;
		}
		if (w->lib_threads > lib)
			lib = w->lib_threads;
	}
	m->rss_peak_mb = rss > 0 ? rss / 1024.0 : NAN;
	if (nlat > 0 && nlat == t->nworkers)
		m->start_latency_ms = sl_stats_median(lat, (size_t)nlat);
	free(lat);
	m->imbalance = busy_sum > 0 ? busy_max / (busy_sum / t->nworkers) : NAN;
	if (lib > 0)
		m->threads_lib = lib;
	if (threads_known && tpeak >= 0) {
		m->threads_peak = tpeak;
		if (t->coord_threads >= 0)
			m->threads_total_peak = ttotal + t->coord_threads;
	}
}

void sl_run_metrics(const struct sl_run_totals *t, struct sl_metrics *m)
{
	double wall = t->wall_s;

	m->wall_s = wall;
	m->cpu_user_s = t->user_s;
	m->cpu_sys_s = t->sys_s;
	m->cores_busy = wall > 0 ? (t->user_s + t->sys_s) / wall : NAN;
	m->ctx_vol = t->ctx_vol;
	m->ctx_invol = t->ctx_invol;
	m->cpu_startup_s = t->startup_cpu_s;
	m->pool_start_ms = t->pool_start_ms;
	m->pool_stop_ms = t->pool_stop_ms;
	m->helper_procs = count_or_nan(t->helper_procs);
	m->helper_threads = count_or_nan(t->helper_threads);
	workers_metrics(t, m);
	if (t->dispatch_only && t->ntasks > 0)
		m->dispatch_us_per_task = wall / (double)t->ntasks * 1e6;
	if (t->flops_per_task > 0 && t->ntasks > 0 && wall > 0)
		m->gflops = t->flops_per_task * (double)t->ntasks / wall / 1e9;
}

bool sl_status_failed(const char *status)
{
	return strncmp(status, "crash", 5) == 0 || strcmp(status, "hang") == 0 || strncmp(status, "error", 5) == 0;
}

bool sl_run_metrics_settle(struct sl_metrics *m)
{
	/* the figures that compare runs: none of them is kept from a run that failed */
	double *const gone[] = { &m->wall_s, &m->wall_tree_s, &m->cpu_user_s, &m->cpu_sys_s, &m->cores_busy,
				 &m->ctx_vol, &m->ctx_invol, &m->cpu_startup_s, &m->start_latency_ms,
				 &m->pool_start_ms, &m->pool_stop_ms, &m->imbalance, &m->dispatch_us_per_task,
				 &m->gflops, &m->gflops_per_proc, &m->gbps, &m->gpu_wait_us, &m->host_cpu_pct };

	if (strncmp(m->status, "skipped:", 8) == 0) {
		char why[SL_STATUS_LEN];

		memcpy(why, m->status, sizeof(why));
		sl_metrics_clear(m);
		memcpy(m->status, why, sizeof(why));
		return true;
	}
	if (!sl_status_failed(m->status))
		return false;
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		*gone[i] = NAN;
	return true;
}
