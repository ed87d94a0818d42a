/* kind_scaling.c: the plot kinds of a process sweep: speedup (with each series' Amdahl fit),
 * efficiency and cores busy against processes; the runtime heatmap of processes × threads. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/draw.h"

static const struct sl_plot_desc speedup_kind = {
	"speedup", "speedup.gp", "speedup vs worker processes",
	"Speedup T(1)/T(P) against the 1-process run of the same series; error bars: order-statistic CI (its level in "
	"summary.csv's speedup_ci_level). Dotted: ideal; dashed: each series' Amdahl fit (where 3 or more process "
	"counts fit, over those only); vertical lines: the machine's physical and logical core counts.",
};
static const struct sl_plot_desc efficiency_kind = {
	"efficiency", "efficiency.gp", "parallel efficiency vs worker processes",
	"Efficiency = speedup / processes: 1.0 means every added process pays for itself.",
};
static const struct sl_plot_desc cores_busy_kind = {
	"cores_busy", "cores_busy.gp", "CPU cores busy vs worker processes",
	"Cores busy = CPU time of the whole process tree / wall time (median). Points above the dotted line keep "
	"more cores busy than there are processes: library threads inside the workers.",
};

/* Speedup (with each series' Amdahl fit) and efficiency vs processes: plot i of pl. */
static int plot_speedup(struct sl_plot_ctx *pc, const struct sl_panels *pl, int i, const void *unused)
{
	struct sl_summary_view *v = &pc->v;
	char plain[MAX_SERIES][320], name[96], fitpath[PATH_MAX + 128];
	struct sl_vbuf b = { 0 };
	struct sl_gset gs;
	double xmin, xmax;
	bool logx;
	FILE *fit;
	int rc;

	(void)unused;
	rc = sl_gset_build(pc, pl, i, &gs);
	if (rc)
		return rc;
	/* a line needs two points */
	for (int j = 0; j < gs.total; j++)
		if (gs.g[j].n < 2)
			sl_gset_remove(&gs, j--);
	if (gs.n == 0)
		goto out;
	xmax = sl_gset_xmax(pc, &gs, v->c_processes, &xmin);
	logx = xmax / xmin >= 32;
	for (int j = 0; j < gs.n; j++) {
		double f = sl_sv_amdahl(v, gs.g[j].rows[0], &pc->m, NULL, NULL);
		size_t l = strlen(gs.g[j].label);

		memcpy(plain[j], gs.g[j].label, sizeof(plain[j]));
		if (!isnan(f))
			snprintf(gs.g[j].label + l, sizeof(gs.g[j].label) - l, " (Amdahl f=%.3f)", f);
	}
	sl_plot_panel_name(&speedup_kind, pl, i, name, sizeof(name));
	rc = sl_plot_write_blocks(pc, name, &gs, v->c_processes, v->c_speedup, v->c_speedup_lo, v->c_speedup_hi, NULL);
	fit = rc ? NULL : sl_plot_dat_open(pc, name, "fit.dat");
	if (!fit) {
		rc = -EIO;
		goto out;
	}
	for (int j = 0; j < gs.n; j++) {
		double lo, hi, f = sl_sv_amdahl(v, gs.g[j].rows[0], &pc->m, &lo, &hi);

		if (j)
			fputs("\n\n", fit);
		if (isnan(f)) {
			fputs("1 NaN\n", fit);
			continue;
		}
		/* over the process counts it was fitted on only: never extrapolated */
		for (int k = 0; k <= 80; k++) {
			double p = logx ? lo * pow(hi / lo, k / 80.0) : lo + (hi - lo) * k / 80.0;

			fprintf(fit, "%.6g %.6g\n", p, 1 / (f + (1 - f) / p));
		}
	}
	rc = sl_plot_dat_close(fit, pc, name);
	if (rc)
		goto out;
	snprintf(fitpath, sizeof(fitpath), "%s/%s.fit.dat", pc->out, name);
	sl_vb_var(&b, "fitfile", fitpath);
	sl_vb_printf(&b, "nseries=%d; xmax=%g; logx=%d; width=%d; ", gs.n, xmax, logx, sl_gset_width(&gs));
	sl_plot_xtics(&b, v, v->c_processes, false, 1, logx);
	rc = sl_plot_render_panel(pc, &speedup_kind, pl, i, &gs, &b);
	if (rc)
		goto out;
	/* efficiency: the same series, named without their fit */
	for (int j = 0; j < gs.n; j++)
		memcpy(gs.g[j].label, plain[j], sizeof(plain[j]));
	sl_plot_panel_name(&efficiency_kind, pl, i, name, sizeof(name));
	rc = sl_plot_write_blocks(pc, name, &gs, v->c_processes, v->c_efficiency, -1, -1, NULL);
	b.n = 0;
	sl_vb_printf(&b, "nseries=%d; xmax=%g; logx=%d; width=%d; ", gs.n, xmax, logx, sl_gset_width(&gs));
	sl_plot_xtics(&b, v, v->c_processes, false, 1, logx);
	if (!rc)
		rc = sl_plot_render_panel(pc, &efficiency_kind, pl, i, &gs, &b);
out:
	free(b.s);
	sl_gset_free(&gs);
	return rc;
}

/* CPU cores busy vs processes: plot i of pl. */
static int plot_cores_busy(struct sl_plot_ctx *pc, const struct sl_panels *pl, int i, const void *unused)
{
	struct sl_summary_view *v = &pc->v;
	struct sl_vbuf b = { 0 };
	struct sl_gset gs;
	double xmin, xmax;
	char name[96];
	int rc;

	(void)unused;
	rc = sl_gset_build(pc, pl, i, &gs);
	if (rc || gs.n == 0)
		goto out;
	xmax = sl_gset_xmax(pc, &gs, v->c_processes, &xmin);
	sl_plot_panel_name(&cores_busy_kind, pl, i, name, sizeof(name));
	rc = sl_plot_write_blocks(pc, name, &gs, v->c_processes, v->c_cores_busy, -1, -1, "cores_busy");
	sl_vb_printf(&b, "nseries=%d; xmax=%g; logx=%d; width=%d; ", gs.n, xmax, xmax / xmin >= 32, sl_gset_width(&gs));
	sl_plot_xtics(&b, v, v->c_processes, false, 1, xmax / xmin >= 32);
	if (!rc)
		rc = sl_plot_render_panel(pc, &cores_busy_kind, pl, i, &gs, &b);
out:
	free(b.s);
	sl_gset_free(&gs);
	return rc;
}

/* Speedup, efficiency and cores busy vs processes. */
static bool scaling_applies(const struct sl_plot_ctx *pc)
{
	return sl_summary_view_varies(&pc->v, pc->v.c_processes);
}

static int plot_scaling(struct sl_plot_ctx *pc)
{
	struct sl_summary_view *v = &pc->v;
	int skip[] = { v->c_processes, v->c_series, -1 }, rc = 0;

	if (v->c_speedup >= 0)
		rc = sl_plot_lines(pc, skip, v->c_processes, v->c_speedup, plot_speedup, NULL);
	if (!rc && v->c_cores_busy >= 0)
		rc = sl_plot_lines(pc, skip, v->c_processes, v->c_cores_busy, plot_cores_busy, NULL);
	return rc;
}

/* Processes and threads both swept. */
static bool heatmap_applies(const struct sl_plot_ctx *pc)
{
	const struct sl_summary_view *v = &pc->v;

	return v->c_threads >= 0 && sl_summary_view_varies(v, v->c_processes) && sl_summary_view_varies(v, v->c_threads);
}

/* Runtime heatmap of processes × threads, one per combination of the other varying axes. */
static int plot_heatmap(struct sl_plot_ctx *pc)
{
	struct sl_summary_view *v = &pc->v;
	char xs[64][SL_VALUE_LEN], ys[64][SL_VALUE_LEN], outer[8][320];
	int nx, ny, nouter = 0, rc = 0;
	int skip[] = { v->c_processes, v->c_threads, v->c_series, -1 };

	nx = sl_plot_distinct(v, v->c_processes, xs, 64, true);
	ny = sl_plot_distinct(v, v->c_threads, ys, 64, false);
	for (size_t r = 0; r < sl_sv_rows(v) && nouter < 8; r++) {
		char label[320];
		bool seen = false;

		sl_sv_label(v, r, skip, label, sizeof(label));
		for (int i = 0; i < nouter && !seen; i++)
			seen = strcmp(outer[i], label) == 0;
		if (!seen)
			snprintf(outer[nouter++], sizeof(outer[0]), "%s", label);
	}
	for (int o = 0; o < nouter && !rc; o++) {
		char name[32], title[512], label[320];
		struct sl_vbuf b = { 0 };
		FILE *f;

		snprintf(name, sizeof(name), nouter > 1 ? "heatmap-%d" : "heatmap", o + 1);
		f = sl_plot_dat_open(pc, name, "dat");
		if (!f)
			return -EIO;
		fprintf(f, "# xi yi runtime_s \"runtime\" oversubscribed \"cores busy\"\n");
		for (size_t r = 0; r < sl_sv_rows(v); r++) {
			int xi, yi;
			double w = sl_sv_num(v, r, v->c_wall), busy = sl_sv_num(v, r, v->c_cores_busy);
			char text[96], busytext[48] = "";

			sl_sv_label(v, r, skip, label, sizeof(label));
			if (strcmp(label, outer[o]) != 0)
				continue;
			xi = sl_plot_index_of(xs, nx, sl_sv_text(v, r, v->c_processes));
			yi = sl_plot_index_of(ys, ny, sl_sv_text(v, r, v->c_threads));
			if (xi < 0 || yi < 0)
				continue;
			if (isnan(w) || !sl_sv_row_ok(v, r)) {
				snprintf(text, sizeof(text), "%.24s", sl_sv_text(v, r, v->c_status));
			} else {
				snprintf(text, sizeof(text), "%.3g s", w);
				if (!isnan(busy))
					snprintf(busytext, sizeof(busytext), "%.1f cores", busy);
			}
			fprintf(f, "%d %d", xi, yi);
			sl_plot_put_num(f, sl_sv_row_ok(v, r) ? w : NAN);
			fputc(' ', f);
			sl_plot_put_label(f, text);
			fprintf(f, " %d ", sl_sv_num(v, r, v->c_oversubscribed) > 0 ? 1 : 0);
			sl_plot_put_label(f, busytext);
			fputc('\n', f);
		}
		rc = sl_plot_dat_close(f, pc, name);
		if (rc)
			return rc;
		sl_plot_tics(&b, 'x', xs, nx);
		sl_plot_tics(&b, 'y', ys, ny);
		sl_vb_printf(&b, "nx=%d; ny=%d; height=%d; width=%d; ", nx, ny, ny <= 3 ? 480 : ny <= 8 ? 600 : 800,
			  nx <= 6 ? 960 : 300 + 110 * nx > 2000 ? 2000 : 300 + 110 * nx);
		if (strcmp(outer[o], "all") == 0)
			sl_plot_title(pc, "runtime by processes × threads", title, sizeof(title));
		else {
			char what[400];

			snprintf(what, sizeof(what), "runtime by processes × threads (%.300s)", outer[o]);
			sl_plot_title(pc, what, title, sizeof(title));
		}
		rc = b.oom ? -ENOMEM
			   : sl_plot_render(pc, "heatmap.gp", name, title,
				    "Each cell: median runtime and cores kept busy. Outlined cells run more threads "
				    "(processes × threads) than the machine's logical CPUs.",
				    b.s);
		free(b.s);
	}
	return rc;
}

const struct sl_plot_kind sl_plot_kind_scaling = {
	.name = "scaling", .applies = scaling_applies, .draw = plot_scaling,
};

const struct sl_plot_kind sl_plot_kind_heatmap = {
	.name = "heatmap", .applies = heatmap_applies, .draw = plot_heatmap,
};
