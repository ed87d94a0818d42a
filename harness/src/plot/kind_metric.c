/* kind_metric.c: a metric against a numeric workload parameter: the generic runtime plot, and the
 * kinds GPU workloads list in their ops (throughput, sync CPU use, copy bandwidth, shared GPU). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/draw.h"

/* A metric vs a numeric parameter: the plot's kind, the runs.csv metric of its error bars, its
 * y label. */
struct metric_plot {
	struct sl_plot_desc kind;
	const char *runs_metric, *ylabel;
};

/* A metric vs a numeric parameter: plot i of pl. */
static int plot_metric_panel(struct sl_plot_ctx *pc, const struct sl_panels *pl, int i, const void *arg)
{
	const struct metric_plot *mp = arg;
	struct sl_summary_view *v = &pc->v;
	const char *xname = v->csv.header[pl->xcol];
	bool mib = strcmp(xname, "mb") == 0 || (strlen(xname) > 3 && strcmp(xname + strlen(xname) - 3, "_mb") == 0);
	bool bytes = strstr(xname, "bytes") || strstr(xname, "size") || mib;
	char name[96], xlabel[128];
	struct sl_gset gs;
	struct sl_vbuf b = { 0 };
	double xmin, xmax, ymin, ymax;
	int rc;

	rc = sl_gset_build(pc, pl, i, &gs);
	if (rc || gs.n == 0)
		goto out;
	xmax = sl_gset_xmax(pc, &gs, pl->xcol, &xmin);
	sl_gset_yrange(pc, &gs, pl->ycol, &ymin, &ymax);
	sl_plot_panel_name(&mp->kind, pl, i, name, sizeof(name));
	rc = sl_plot_write_blocks(pc, name, &gs, pl->xcol, pl->ycol, -1, -1, mp->runs_metric);
	if (rc)
		goto out;
	sl_plot_xtics(&b, v, pl->xcol, bytes, mib ? 1 << 20 : 1, xmin > 0 && xmax / xmin >= 16);
	snprintf(xlabel, sizeof(xlabel), "%s%s%s", xname, mib ? " (MiB)" : bytes && !strstr(xname, "bytes") ? " (bytes)" : "",
		 xmin > 0 && xmax / xmin >= 16 ? ", log scale" : "");
	sl_vb_var(&b, "xlabel", xlabel);
	sl_vb_var(&b, "ylabel", mp->ylabel);
	sl_vb_printf(&b, "nseries=%d; logx=%d; logy=%d; width=%d; ", gs.n, xmin > 0 && xmax / xmin >= 16,
		  ymin > 0 && ymax / ymin > 100, sl_gset_width(&gs));
	rc = sl_plot_render_panel(pc, &mp->kind, pl, i, &gs, &b);
out:
	free(b.s);
	sl_gset_free(&gs);
	return rc;
}

/* A metric vs the numeric parameter xcol, one line per other varying axis. */
static int plot_metric(struct sl_plot_ctx *pc, const char *name, int xcol, int ycol, const char *runs_metric,
		       const char *what, const char *ylabel, const char *caption)
{
	const struct metric_plot mp = { { name, "metric.gp", what, caption }, runs_metric, ylabel };
	int skip[] = { xcol, pc->v.c_series, -1 };

	return sl_plot_lines(pc, skip, xcol, ycol, plot_metric_panel, &mp);
}

/* The summary column of a bandwidth metric, if the GPU workload reports one. */
static int bandwidth_col(const struct sl_summary_view *v)
{
	for (size_t c = 0; c < v->csv.ncols; c++) {
		const char *h = v->csv.header[c];

		if ((strstr(h, "bandwidth") || strstr(h, "gb_s") || strstr(h, "gbps")) && strstr(h, "_median"))
			return (int)c;
	}
	return -1;
}

/* ---- the kinds GPU workloads list in their ops ---- */

/* A throughput column and a numeric parameter swept (problem size). */
static bool gpu_throughput_applies(const struct sl_plot_ctx *pc)
{
	return pc->v.c_gflops >= 0 && sl_plot_numeric_param(&pc->v) >= 0;
}

static int plot_gpu_throughput(struct sl_plot_ctx *pc)
{
	struct sl_summary_view *v = &pc->v;

	return plot_metric(pc, "gpu_throughput", sl_plot_numeric_param(v), v->c_gflops, "gflops",
			   "GEMM throughput vs size", "throughput (GFLOP/s), bars: min–max",
			   "Median throughput over repetitions by problem size, one line per precision (and any "
			   "other varying setting).");
}

/* A sync mode column and the waiting process's CPU use. */
static bool gpu_sync_applies(const struct sl_plot_ctx *pc)
{
	const struct sl_summary_view *v = &pc->v;

	return sl_csv_col(&v->csv, "mode") >= 0 &&
	       (sl_csv_col(&v->csv, "host_cpu_pct_median") >= 0 || v->c_cores_busy >= 0);
}

static int plot_gpu_sync(struct sl_plot_ctx *pc)
{
	struct sl_summary_view *v = &pc->v;
	int mode = sl_csv_col(&v->csv, "mode");
	int host_cpu = sl_csv_col(&v->csv, "host_cpu_pct_median");

	if (host_cpu >= 0)
		return sl_plot_bars(pc, "gpu_sync", mode, host_cpu, "host_cpu_pct",
				    "CPU use while waiting for the GPU, by sync mode", "synchronisation mode",
				    "CPU use of the waiting process (% of one core)",
				    "CPU time of the process that drives and waits on the GPU, divided by the time it "
				    "waited: 100% means a whole core spins while the GPU works. Error bars: min–max over "
				    "repetitions.");
	return sl_plot_bars(pc, "gpu_sync", mode, v->c_cores_busy, "cores_busy",
			    "CPU cores busy while waiting for the GPU, by sync mode", "synchronisation mode",
			    "CPU cores busy (CPU time / wall)",
			    "CPU time of the waiting process divided by wall time: 1.0 means a whole core "
			    "spins while the GPU works. Error bars: min–max over repetitions.");
}

/* A numeric parameter swept (transfer size). */
static bool param_applies(const struct sl_plot_ctx *pc)
{
	return sl_plot_numeric_param(&pc->v) >= 0;
}

static int plot_gpu_copy(struct sl_plot_ctx *pc)
{
	struct sl_summary_view *v = &pc->v;
	int xcol = sl_plot_numeric_param(v), bw = bandwidth_col(v);

	if (bw >= 0)
		return plot_metric(pc, "gpu_copy", xcol, bw, strcmp(v->csv.header[bw], "gbps_median") ? NULL : "gbps",
				   "copy bandwidth vs size, pinned vs pageable",
				   strcmp(v->csv.header[bw], "gbps_median") ? v->csv.header[bw]
									       : "bandwidth (GB/s), bars: min–max",
				   "Median copy bandwidth by transfer size, one line per host memory kind "
				   "(pinned or pageable) and direction.");
	return plot_metric(pc, "gpu_copy", xcol, v->c_wall, "wall_s", "copy time vs size, pinned vs pageable",
			   "median runtime (s), bars: min–max",
			   "Median runtime of the copies by transfer size, one line per host memory kind "
			   "(pinned or pageable) and direction: the gap between the lines is what pinning "
			   "buys.");
}

/* A throughput column and processes swept (beside the scaling plots: it claims nothing). */
static bool gpu_share_applies(const struct sl_plot_ctx *pc)
{
	return pc->v.c_gflops >= 0 && sl_summary_view_varies(&pc->v, pc->v.c_processes);
}

static int plot_gpu_share(struct sl_plot_ctx *pc)
{
	return plot_metric(pc, "gpu_share", pc->v.c_processes, pc->v.c_gflops, "gflops",
			   "aggregate GEMM throughput of processes sharing one GPU",
			   "aggregate throughput (GFLOP/s), bars: min–max",
			   "The GEMM throughput of all processes together. Flat: the processes take turns on the "
			   "GPU (time-slicing) and each one gets 1/P of it.");
}

/* ---- the generic one ---- */

/* Runtime vs the first numeric parameter swept, where no other kind drew or claimed the result. */
static int plot_runtime(struct sl_plot_ctx *pc)
{
	return plot_metric(pc, "runtime", sl_plot_numeric_param(&pc->v), pc->v.c_wall, "wall_s",
			   "runtime vs parameter", "median runtime (s), bars: min–max",
			   "Median runtime over repetitions by the swept parameter.");
}

const struct sl_plot_kind sl_plot_kind_gpu_throughput = {
	.name = "gpu_throughput", .flags = SL_PLOT_WORKLOAD | SL_PLOT_CLAIMS,
	.applies = gpu_throughput_applies, .draw = plot_gpu_throughput,
};

const struct sl_plot_kind sl_plot_kind_gpu_sync = {
	.name = "gpu_sync", .flags = SL_PLOT_WORKLOAD | SL_PLOT_CLAIMS,
	.applies = gpu_sync_applies, .draw = plot_gpu_sync,
};

const struct sl_plot_kind sl_plot_kind_gpu_copy = {
	.name = "gpu_copy", .flags = SL_PLOT_WORKLOAD | SL_PLOT_CLAIMS,
	.applies = param_applies, .draw = plot_gpu_copy,
};

const struct sl_plot_kind sl_plot_kind_gpu_share = {
	.name = "gpu_share", .flags = SL_PLOT_WORKLOAD,
	.applies = gpu_share_applies, .draw = plot_gpu_share,
};

const struct sl_plot_kind sl_plot_kind_runtime = {
	.name = "runtime", .flags = SL_PLOT_FALLBACK, .applies = param_applies, .draw = plot_runtime,
};
