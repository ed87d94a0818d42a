/* kind_sweep.c: the plot kinds of a swept axis: runtime against chunk size (Python's default
 * marked), start latency and the start-safety matrix by start method, runtime and CPUs by affinity. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/draw.h"

static const struct sl_plot_desc chunksize_kind = {
	"chunksize", "chunksize.gp", "runtime vs chunk size",
	"Median runtime by chunk size (tasks handed to a worker at once), one line per dispatch channel: pipe = "
	"the coordinator sends each chunk as a message (like Python's Pool), shm = workers claim chunks from a "
	"shared counter. Too small: per-chunk overhead; too large: too few chunks to keep every worker busy.",
};

/* Runtime vs chunk size: plot i of pl, with Python's default chunk size marked where it falls among
 * the chunk sizes measured (and the caption saying where it is otherwise). */
static int plot_chunksize_panel(struct sl_plot_ctx *pc, const struct sl_panels *pl, int i, const void *unused)
{
	struct sl_summary_view *v = &pc->v;
	int tasks_col = sl_csv_col(&v->csv, "tasks");
	struct sl_plot_desc kind = chunksize_kind;
	struct sl_gset gs;
	struct sl_vbuf b = { 0 }, marked = { 0 }, beyond = { 0 }, caption = { 0 };
	double py[16], xmin, xmax, ymin, ymax;
	int npy = 0, rc;
	char name[96];

	(void)unused;
	rc = sl_gset_build(pc, pl, i, &gs);
	if (rc || gs.n == 0)
		goto out;
	/* Python's ceil(N / (4 P)) for each process count, in order */
	for (int j = 0; j < gs.n; j++)
		for (int k = 0; k < gs.g[j].n; k++) {
			size_t r = gs.g[j].rows[k];
			double t = sl_sv_num(v, r, tasks_col), p = sl_sv_num(v, r, v->c_processes), c;
			int at = 0;

			if (isnan(t) || isnan(p) || p < 1)
				continue;
			c = ceil(t / (4 * p));
			while (at < npy && py[at] < c)
				at++;
			if ((at < npy && py[at] == c) || npy == 16)
				continue;
			memmove(&py[at + 1], &py[at], sizeof(py[0]) * (size_t)(npy - at));
			py[at] = c;
			npy++;
		}
	xmax = sl_gset_xmax(pc, &gs, v->c_chunksize, &xmin);
	for (int j = 0; j < npy; j++)
		if (py[j] >= xmin && py[j] <= xmax)
			sl_vb_printf(&marked, "%s%g", marked.n ? " " : "", py[j]);
		else
			sl_vb_printf(&beyond, "%s%g", beyond.n ? ", " : "", py[j]);
	sl_vb_printf(&caption, "%s", kind.caption);
	if (beyond.n && marked.n)
		/* several process counts: say which defaults are marked and which are not */
		sl_vb_printf(&caption, " Python's default chunk size ceil(N/4P) is marked at %s; at %s it lies outside the "
			  "chunk sizes measured (%g to %g), so %s not marked.", marked.s, beyond.s, xmin, xmax,
			  strchr(beyond.s, ',') ? "those are" : "that one is");
	else if (beyond.n)
		sl_vb_printf(&caption, " Python's default chunk size ceil(N/4P) (%s) lies outside the chunk sizes measured "
			  "(%g to %g), so it is not marked.", beyond.s, xmin, xmax);
	kind.caption = caption.s ? caption.s : "";   /* out of memory: b.oom below says so */
	sl_gset_yrange(pc, &gs, v->c_wall, &ymin, &ymax);
	sl_plot_panel_name(&kind, pl, i, name, sizeof(name));
	rc = sl_plot_write_blocks(pc, name, &gs, v->c_chunksize, v->c_wall, v->c_wall_min, v->c_wall_max, "wall_s");
	if (rc)
		goto out;
	sl_vb_var(&b, "pychunks", marked.s ? marked.s : "");
	sl_vb_printf(&b, "nseries=%d; logy=%d; width=%d; ", gs.n, ymin > 0 && ymax / ymin > 30, sl_gset_width(&gs));
	sl_plot_xtics(&b, v, v->c_chunksize, false, 1, true);
	b.oom |= marked.oom | beyond.oom | caption.oom;
	rc = sl_plot_render_panel(pc, &kind, pl, i, &gs, &b);
out:
	free(caption.s);
	free(beyond.s);
	free(marked.s);
	free(b.s);
	sl_gset_free(&gs);
	return rc;
}

/* Chunk size swept. */
static bool chunksize_applies(const struct sl_plot_ctx *pc)
{
	return pc->v.c_chunksize >= 0 && sl_summary_view_varies(&pc->v, pc->v.c_chunksize);
}

/* Runtime vs chunk size, one line per dispatch channel (and any other varying axis). */
static int plot_chunksize(struct sl_plot_ctx *pc)
{
	struct sl_summary_view *v = &pc->v;
	int skip[] = { v->c_chunksize, v->c_series, -1 };

	return sl_plot_lines(pc, skip, v->c_chunksize, v->c_wall, plot_chunksize_panel, NULL);
}

/* Affinity swept. */
static bool affinity_applies(const struct sl_plot_ctx *pc)
{
	return pc->v.c_affinity >= 0 && sl_summary_view_varies(&pc->v, pc->v.c_affinity);
}

/* Placement: runtime and the CPUs the workers' threads ran on, by affinity (clusters), one bar per
 * combination of the other varying axes. */
static int plot_affinity(struct sl_plot_ctx *pc)
{
	struct sl_summary_view *v = &pc->v;
	int rc;

	rc = sl_plot_bars(pc, "affinity_runtime", v->c_affinity, v->c_wall, "wall_s", "runtime by affinity", "affinity",
		       "median runtime (s)",
		       "Median runtime over repetitions by where the workers were allowed to run; error bars: "
		       "min–max over repetitions. One bar per combination of the other swept axes.");
	if (rc || v->c_cpus_used < 0)
		return rc;
	return sl_plot_bars(pc, "affinity_cpus", v->c_affinity, v->c_cpus_used, "cpus_used",
			 "CPUs the workers' threads ran on, by affinity", "affinity", "distinct CPUs used",
			 "Observed placement: distinct logical CPUs the workers' threads ran on during the run phase "
			 "(median over repetitions; error bars: min–max), beside the affinity asked for.");
}

/* A start latency column, with the start method or the parent's memory swept. */
static bool start_latency_applies(const struct sl_plot_ctx *pc)
{
	const struct sl_summary_view *v = &pc->v;

	return v->c_latency >= 0 && v->c_start_method >= 0 &&
	       (sl_summary_view_varies(v, v->c_start_method) ||
		(v->c_parent_rss >= 0 && sl_summary_view_varies(v, v->c_parent_rss)));
}

/* Start-method latency bars. */
static int plot_start_latency(struct sl_plot_ctx *pc)
{
	struct sl_summary_view *v = &pc->v;

	return sl_plot_bars(pc, "start_latency", v->c_start_method, v->c_latency, "start_latency_ms",
			    "worker start latency by start method", "start method", "worker start latency (ms)",
			    "Worker requested to worker ready (median over workers, then over repetitions); "
			    "error bars: min–max over repetitions. One bar per parent situation: how much memory "
			    "the parent touched first and which library it used. A missing bar: that configuration did not "
			    "finish (see the start-safety matrix).");
}

/* The start method swept. */
static bool start_safety_applies(const struct sl_plot_ctx *pc)
{
	return pc->v.c_start_method >= 0 && sl_summary_view_varies(&pc->v, pc->v.c_start_method);
}

/* The start-safety matrix: each start method's outcome in each situation. */
static int plot_start_safety(struct sl_plot_ctx *pc)
{
	struct sl_summary_view *v = &pc->v;
	char xs[16][SL_VALUE_LEN], ys[64][320];
	int nx, ny = 0, rc = 0, skip[] = { v->c_start_method, v->c_series, -1 };
	struct sl_vbuf b = { 0 };
	char title[256];
	FILE *f;

	nx = sl_plot_distinct(v, v->c_start_method, xs, 16, false);
	for (size_t r = 0; r < sl_sv_rows(v) && ny < 64; r++) {
		char label[320];
		bool seen = false;

		sl_sv_label(v, r, skip, label, sizeof(label));
		for (int i = 0; i < ny && !seen; i++)
			seen = strcmp(ys[i], label) == 0;
		if (!seen)
			snprintf(ys[ny++], sizeof(ys[0]), "%s", label);
	}
	f = sl_plot_dat_open(pc, "start_safety", "dat");
	if (!f)
		return -EIO;
	fputs("# xi yi colour \"text\"\n", f);
	for (size_t r = 0; r < sl_sv_rows(v); r++) {
		char label[320], text[96];
		const char *st = sl_sv_text(v, r, v->c_status);
		unsigned colour;
		int xi, yi = -1;

		sl_sv_label(v, r, skip, label, sizeof(label));
		for (int i = 0; i < ny; i++)
			if (strcmp(ys[i], label) == 0)
				yi = i;
		xi = sl_plot_index_of(xs, nx, sl_sv_text(v, r, v->c_start_method));
		if (xi < 0 || yi < 0)
			continue;
		if (sl_sv_row_ok(v, r))
			colour = 0x4daf4a, st = "ok";
		else if (strncmp(st, "hang", 4) == 0)
			colour = 0xe41a1c;
		else if (strncmp(st, "crash", 5) == 0)
			colour = 0x984ea3;
		else if (strncmp(st, "skipped", 7) == 0)
			colour = 0xbdbdbd, st = "skipped";
		else if (strncmp(st, "error", 5) == 0)
			colour = 0xff7f00, st = "error";
		else
			colour = 0xff7f00;
		snprintf(text, sizeof(text), "%.24s %g/%g", st, sl_sv_num(v, r, v->c_ok), sl_sv_num(v, r, v->c_runs));
		fprintf(f, "%d %d %u ", xi, yi, colour);
		sl_plot_put_label(f, text);
		fputc('\n', f);
	}
	rc = sl_plot_dat_close(f, pc, "start_safety");
	if (rc)
		return rc;
	{
		char yv[64][SL_VALUE_LEN];

		for (int i = 0; i < ny; i++)
			snprintf(yv[i], SL_VALUE_LEN, "%.*s", SL_VALUE_LEN - 1, ys[i]);
		sl_plot_tics(&b, 'x', xs, nx);
		sl_plot_tics(&b, 'y', yv, ny);
	}
	sl_vb_printf(&b, "nx=%d; ny=%d; height=%d; ", nx, ny, 260 + 46 * ny > 1400 ? 1400 : 260 + 46 * ny);
	sl_plot_title(pc, "start safety by start method", title, sizeof(title));
	rc = b.oom ? -ENOMEM
		   : sl_plot_render(pc, "safety.gp", "start_safety", title,
			    "Each cell: the outcome of a start method (column) in one situation (row) and how many "
			    "repetitions finished ok. A hang was killed at the experiment's timeout.",
			    b.s);
	free(b.s);
	return rc;
}

const struct sl_plot_kind sl_plot_kind_chunksize = {
	.name = "chunksize", .applies = chunksize_applies, .draw = plot_chunksize,
};

const struct sl_plot_kind sl_plot_kind_start_latency = {
	.name = "start_latency", .applies = start_latency_applies, .draw = plot_start_latency,
};

const struct sl_plot_kind sl_plot_kind_start_safety = {
	.name = "start_safety", .applies = start_safety_applies, .draw = plot_start_safety,
};

const struct sl_plot_kind sl_plot_kind_affinity = {
	.name = "affinity", .applies = affinity_applies, .draw = plot_affinity,
};
