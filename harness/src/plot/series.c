/* series.c: the shapes plots share: rows grouped into series (split into several plots when too
 * many), their data blocks and error bars, tick labels, clustered bars. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/axis.h"
#include "plot/draw.h"

/* ---- runs.csv, for error bars ---- */

/* Min and max of metric over the ok repetitions of configuration config; NAN when unknown. */
static void runs_range(const struct sl_plot_ctx *pc, const char *config, const char *metric, double *lo, double *hi)
{
	int col = sl_csv_col(&pc->runs, metric);

	*lo = *hi = NAN;
	if (col < 0 || pc->runs_config < 0)
		return;
	for (size_t r = 0; r < pc->runs.nrows; r++) {
		double x;

		if (strcmp(sl_csv_cell(&pc->runs, r, pc->runs_config), config) != 0)
			continue;
		if (pc->runs_status >= 0 && strcmp(sl_csv_cell(&pc->runs, r, pc->runs_status), "ok") != 0)
			continue;
		x = sl_csv_num(&pc->runs, r, col);
		if (isnan(x))
			continue;
		*lo = isnan(*lo) ? x : fmin(*lo, x);
		*hi = isnan(*hi) ? x : fmax(*hi, x);
	}
}

/* The x value of row r on axis col: chunk size 'auto' resolved, else the cell as a number. */
double sl_plot_xval(const struct sl_summary_view *v, size_t r, int col)
{
	return col == v->c_chunksize ? sl_sv_chunksize(v, r) : sl_sv_num(v, r, col);
}

void sl_gset_free(struct sl_gset *gs)
{
	for (int i = 0; i < gs->total; i++)
		free(gs->g[i].rows);
	free(gs->g);
	memset(gs, 0, sizeof(*gs));
}

/* Remove series i. */
void sl_gset_remove(struct sl_gset *gs, int i)
{
	free(gs->g[i].rows);
	memmove(&gs->g[i], &gs->g[i + 1], sizeof(gs->g[0]) * (size_t)(gs->total - i - 1));
	gs->total--;
	gs->n = gs->total < MAX_SERIES ? gs->total : MAX_SERIES;
}

/* The series of plot i of pl (i < 0: of all the rows, unsplit): the rows whose x and y are numbers,
 * grouped by their label, each sorted by x. Returns 0 or -ENOMEM. */
int sl_gset_build(struct sl_plot_ctx *pc, const struct sl_panels *pl, int i, struct sl_gset *gs)
{
	const struct sl_summary_view *v = &pc->v;
	size_t n = sl_sv_rows(v);
	int skip[8], k = 0;
	char label[320];

	memset(gs, 0, sizeof(*gs));
	for (; k < 6 && pl->skip[k] >= 0; k++)
		skip[k] = pl->skip[k];
	if (i >= 0 && pl->col >= 0)
		skip[k++] = pl->col;
	skip[k] = -1;
	for (size_t r = 0; r < n; r++) {
		double x = sl_plot_xval(v, r, pl->xcol), y = sl_sv_num(v, r, pl->ycol);
		struct sl_group *g = NULL;
		int at;

		if (isnan(x) || isnan(y))
			continue;
		if (i >= 0 && pl->col >= 0 && strcmp(sl_sv_text(v, r, pl->col), pl->values[i]) != 0)
			continue;
		sl_sv_label(v, r, skip, label, sizeof(label));
		for (int j = 0; j < gs->total && !g; j++)
			if (strcmp(gs->g[j].label, label) == 0)
				g = &gs->g[j];
		if (!g) {
			if (gs->total == gs->cap) {
				int cap = gs->cap ? 2 * gs->cap : MAX_SERIES;
				struct sl_group *ng = realloc(gs->g, sizeof(*ng) * (size_t)cap);

				if (!ng)
					goto out_nomem;
				gs->g = ng;
				gs->cap = cap;
			}
			g = &gs->g[gs->total];
			snprintf(g->label, sizeof(g->label), "%s", label);
			g->n = 0;
			g->rows = calloc(n, sizeof(size_t));
			if (!g->rows)
				goto out_nomem;
			gs->total++;
		}
		at = g->n++;
		while (at > 0 && sl_plot_xval(v, g->rows[at - 1], pl->xcol) > x) {
			g->rows[at] = g->rows[at - 1];
			at--;
		}
		g->rows[at] = r;
	}
	gs->n = gs->total < MAX_SERIES ? gs->total : MAX_SERIES;
	return 0;
out_nomem:
	sl_gset_free(gs);
	return -ENOMEM;
}

static void panels_free(struct sl_panels *pl)
{
	free(pl->values);
	pl->values = NULL;
}

/* Plan the plots of ycol against xcol (series: the labels without skip): one, or when there are
 * more than MAX_SERIES series, one per value of the series axis that needs the fewest plots (at
 * most MAX_PANELS) of at most MAX_SERIES lines each; when no axis does, one plot that leaves series
 * out. Returns 0 or -ENOMEM. */
static int panels_plan(struct sl_plot_ctx *pc, const int *skip, int xcol, int ycol, struct sl_panels *pl)
{
	const struct sl_summary_view *v = &pc->v;
	char (*vals)[SL_VALUE_LEN] = NULL;
	struct sl_gset gs;
	int rc;

	*pl = (struct sl_panels){ .skip = skip, .xcol = xcol, .ycol = ycol, .col = -1, .n = 1 };
	rc = sl_gset_build(pc, pl, -1, &gs);
	if (rc)
		return rc;
	pl->nseries = gs.total;
	if (gs.total <= MAX_SERIES)
		goto out_free_gset;
	vals = calloc(MAX_PANELS + 1, SL_VALUE_LEN);
	pl->values = calloc(MAX_PANELS, SL_VALUE_LEN);
	if (!vals || !pl->values) {
		panels_free(pl);
		rc = -ENOMEM;
		goto out_free_gset;
	}
	for (int a = 0; a < v->naxes; a++) {
		int col = v->axes[a], count[MAX_PANELS + 1] = { 0 }, nv = 0, most = 0, k = 0;

		while (skip[k] >= 0 && skip[k] != col)
			k++;
		if (!v->varies[a] || skip[k] >= 0)
			continue;
		/* the series' values of col (each series has one), and how many series have each */
		for (int g = 0; g < gs.total && nv <= MAX_PANELS; g++) {
			const char *val = sl_sv_text(v, gs.g[g].rows[0], col);
			int j = 0;

			while (j < nv && strcmp(vals[j], val) != 0)
				j++;
			if (j == nv)
				snprintf(vals[nv++], SL_VALUE_LEN, "%s", val);
			most = ++count[j] > most ? count[j] : most;
		}
		if (nv < 2 || nv > MAX_PANELS || most > MAX_SERIES || (pl->col >= 0 && nv >= pl->n))
			continue;
		memcpy(pl->values, vals, SL_VALUE_LEN * (size_t)nv);
		pl->col = col;
		pl->n = nv;
	}
	free(vals);
out_free_gset:
	sl_gset_free(&gs);
	return rc;
}

/* Error bars of row r: from the summary's lo/hi columns, else the min/max of a runs.csv metric. */
void sl_plot_row_err(struct sl_plot_ctx *pc, size_t r, double y, int locol, int hicol, const char *runs_metric, double *lo,
		    double *hi)
{
	*lo = locol >= 0 ? sl_sv_num(&pc->v, r, locol) : NAN;
	*hi = hicol >= 0 ? sl_sv_num(&pc->v, r, hicol) : NAN;
	if ((isnan(*lo) || isnan(*hi)) && runs_metric)
		runs_range(pc, sl_sv_text(&pc->v, r, pc->v.c_config), runs_metric, lo, hi);
	if (isnan(*lo) || isnan(*hi)) {
		*lo = y;
		*hi = y;
	}
}

/* Write gs as gnuplot data blocks (header line with the label, then "x y lo hi"). */
int sl_plot_write_blocks(struct sl_plot_ctx *pc, const char *name, const struct sl_gset *gs, int xcol, int ycol, int locol,
			int hicol, const char *runs_metric)
{
	FILE *f = sl_plot_dat_open(pc, name, "dat");

	if (!f)
		return -EIO;
	fprintf(f, "# %s: one block per series: x y lo hi\n", name);
	for (int i = 0; i < gs->n; i++) {
		const struct sl_group *g = &gs->g[i];

		if (i)
			fputs("\n\n", f);
		/* a single series has no name of its own: call it by the workload */
		sl_plot_put_label(f, strcmp(g->label, "all") == 0 && pc->workload[0] ? pc->workload : g->label);
		fputs(" y lo hi\n", f);
		for (int k = 0; k < g->n; k++) {
			size_t r = g->rows[k];
			double y = sl_sv_num(&pc->v, r, ycol), lo, hi;

			sl_plot_row_err(pc, r, y, locol, hicol, runs_metric, &lo, &hi);
			sl_plot_put_num(f, sl_plot_xval(&pc->v, r, xcol));
			sl_plot_put_num(f, y);
			sl_plot_put_num(f, lo);
			sl_plot_put_num(f, hi);
			fputc('\n', f);
		}
	}
	return sl_plot_dat_close(f, pc, name);
}

/* Image width that leaves room for the legend outside the plot. */
int sl_gset_width(const struct sl_gset *gs)
{
	size_t longest = 0;

	for (int i = 0; i < gs->n; i++)
		longest = strlen(gs->g[i].label) > longest ? strlen(gs->g[i].label) : longest;
	return longest > 28 ? (int)(960 + 7 * (longest - 28) > 1600 ? 1600 : 960 + 7 * (longest - 28)) : 960;
}

double sl_gset_xmax(const struct sl_plot_ctx *pc, const struct sl_gset *gs, int xcol, double *xmin)
{
	double mx = -INFINITY, mn = INFINITY;

	for (int i = 0; i < gs->n; i++)
		for (int k = 0; k < gs->g[i].n; k++) {
			double x = sl_plot_xval(&pc->v, gs->g[i].rows[k], xcol);

			mx = fmax(mx, x);
			mn = fmin(mn, x);
		}
	if (xmin)
		*xmin = mn;
	return mx;
}

/* The smallest and largest of column ycol over the series drawn. */
void sl_gset_yrange(const struct sl_plot_ctx *pc, const struct sl_gset *gs, int ycol, double *ymin, double *ymax)
{
	*ymin = INFINITY;
	*ymax = 0;
	for (int i = 0; i < gs->n; i++)
		for (int k = 0; k < gs->g[i].n; k++) {
			*ymin = fmin(*ymin, sl_sv_num(&pc->v, gs->g[i].rows[k], ycol));
			*ymax = fmax(*ymax, sl_sv_num(&pc->v, gs->g[i].rows[k], ycol));
		}
}

/* ---- tick labels and panels ---- */

static void size_label(double x, bool bytes, char *buf, size_t len)
{
	if (bytes && x >= 1 << 30)
		snprintf(buf, len, "%g GiB", x / (1 << 30));
	else if (bytes && x >= 1 << 20)
		snprintf(buf, len, "%g MiB", x / (1 << 20));
	else if (bytes && x >= 1 << 10)
		snprintf(buf, len, "%g KiB", x / (1 << 10));
	else
		snprintf(buf, len, "%g", x);
}

/* Tick labels (vb_tics) naming each distinct value of numeric column col at its position (up to 16 values; a
 * chunk size that is only ever 'auto' named so); bytes: label them as sizes, each value being unit
 * bytes. Of two labels that would run into each other (placed on a log axis when logx), one goes a
 * line lower: 'auto' if it is one of them. */
void sl_plot_xtics(struct sl_vbuf *b, const struct sl_summary_view *v, int col, bool bytes, double unit,
			  bool logx)
{
	struct tick {
		double x, at;             /* the value; its place along the axis, 0 to 1 */
		bool number, only_auto, lower;
		char label[64];
	} ts[16];
	int n = 0, top = -1;

	for (size_t r = 0; r < sl_sv_rows(v); r++) {
		double x = sl_plot_xval(v, r, col);
		bool is_auto = col == v->c_chunksize && strcmp(sl_sv_text(v, r, col), "auto") == 0;
		int i = 0;

		if (isnan(x))
			continue;
		while (i < n && ts[i].x != x)
			i++;
		if (i == 16)
			return;   /* too many: let gnuplot choose */
		if (i == n) {
			ts[n++] = (struct tick){ .x = x };
			for (; i > 0 && ts[i - 1].x > x; i--) {
				struct tick t = ts[i];

				ts[i] = ts[i - 1];
				ts[i - 1] = t;
			}
		}
		ts[i].number |= !is_auto;
	}
	for (int i = 0; i < n; i++) {
		struct tick *t = &ts[i];
		double lo = ts[0].x, hi = ts[n - 1].x;

		t->at = hi <= lo ? 0 : logx && lo > 0 ? log(t->x / lo) / log(hi / lo) : (t->x - lo) / (hi - lo);
		t->only_auto = !t->number;
		if (t->only_auto)
			snprintf(t->label, sizeof(t->label), "auto");
		else
			size_label(t->x * unit, bytes, t->label, sizeof(t->label));
		/* the axis is about TICK_AXIS_CHARS characters long; labels need a character between them */
		if (top >= 0 && (t->at - ts[top].at) * TICK_AXIS_CHARS <
					(double)(strlen(t->label) + strlen(ts[top].label)) / 2 + 1) {
			int low = ts[top].only_auto && !t->only_auto ? top : i;

			ts[low].lower = true;
			top = low == top ? i : top;
		} else {
			top = i;
		}
	}
	{
		struct sl_tic tl[16];

		for (int i = 0; i < n; i++)
			tl[i] = (struct sl_tic){ ts[i].label, ts[i].x, ts[i].lower };
		sl_vb_tics(b, 'x', tl, n);
	}
}
/* The file stem of plot i of pl: numbered when the plot is split. */
void sl_plot_panel_name(const struct sl_plot_desc *kind, const struct sl_panels *pl, int i, char *buf, size_t len)
{
	if (pl->n > 1)
		snprintf(buf, len, "%s-%d", kind->name, i + 1);
	else
		snprintf(buf, len, "%s", kind->name);
}

/* Render plot i of pl (series gs, gnuplot variables vars) as kind: a split plot's title and caption
 * say which rows it shows, and the caption names every series left out. Returns 0, -ENOMEM or
 * render's error. */
int sl_plot_render_panel(struct sl_plot_ctx *pc, const struct sl_plot_desc *kind, const struct sl_panels *pl, int i,
			const struct sl_gset *gs, const struct sl_vbuf *vars)
{
	const char *axis = pl->col >= 0 ? pc->v.csv.header[pl->col] : "";
	char name[96], what[400], title[512];
	struct sl_vbuf caption = { 0 };
	int rc;

	sl_plot_panel_name(kind, pl, i, name, sizeof(name));
	if (pl->n > 1)
		snprintf(what, sizeof(what), "%.300s (%.40s=%.40s)", kind->what, axis, pl->values[i]);
	else
		snprintf(what, sizeof(what), "%s", kind->what);
	sl_plot_title(pc, what, title, sizeof(title));
	sl_vb_printf(&caption, "%s", kind->caption);
	if (pl->n > 1)
		sl_vb_printf(&caption, " %d series are too many for one plot: split into %d plots by %s; this one shows %s=%s.",
			  pl->nseries, pl->n, axis, axis, pl->values[i]);
	if (gs->total > gs->n) {
		int j;

		sl_vb_printf(&caption, " Not shown (more than %d lines): ", MAX_SERIES);
		for (j = gs->n; j < gs->total && caption.n < SL_PLOT_CAPTION_LEN - 400; j++)
			sl_vb_printf(&caption, "%s%s", j > gs->n ? "; " : "", gs->g[j].label);
		if (j < gs->total)
			sl_vb_printf(&caption, " and %d more", gs->total - j);
		sl_vb_printf(&caption, ".");
		sl_warn("plot '%s' of %s: %d of %d series left out (more than %d lines; the caption names them)", name,
			pc->dir, gs->total - gs->n, gs->total, MAX_SERIES);
	}
	rc = caption.oom || vars->oom ? -ENOMEM : sl_plot_render(pc, kind->script, name, title, caption.s, vars->s);
	free(caption.s);
	return rc;
}

/* Plan the line plots of ycol against xcol (series: the labels without skip) and draw each one with
 * fn(pc, plan, i, arg). Returns 0, -ENOMEM or fn's error. */
int sl_plot_lines(struct sl_plot_ctx *pc, const int *skip, int xcol, int ycol, sl_panel_fn fn, const void *arg)
{
	struct sl_panels pl;
	int rc = panels_plan(pc, skip, xcol, ycol, &pl);

	for (int i = 0; !rc && i < pl.n; i++)
		rc = fn(pc, &pl, i, arg);
	panels_free(&pl);
	return rc;
}
/* Distinct values of column col in first-appearance order (numeric columns sorted). */
int sl_plot_distinct(const struct sl_summary_view *v, int col, char vals[][SL_VALUE_LEN], int max, bool sort_num)
{
	int n = 0;

	for (size_t r = 0; r < sl_sv_rows(v); r++) {
		bool seen = false;

		for (int i = 0; i < n && !seen; i++)
			seen = strcmp(vals[i], sl_sv_text(v, r, col)) == 0;
		if (!seen && n < max)
			snprintf(vals[n++], SL_VALUE_LEN, "%s", sl_sv_text(v, r, col));
	}
	if (sort_num) {
		for (int i = 1; i < n; i++)
			for (int j = i; j > 0 && atof(vals[j - 1]) > atof(vals[j]); j--) {
				char t[SL_VALUE_LEN];

				memcpy(t, vals[j], SL_VALUE_LEN);
				memcpy(vals[j], vals[j - 1], SL_VALUE_LEN);
				memcpy(vals[j - 1], t, SL_VALUE_LEN);
			}
	}
	return n;
}

int sl_plot_index_of(char vals[][SL_VALUE_LEN], int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(vals[i], s) == 0)
			return i;
	return -1;
}

/* Tick labels vals at 0, 1, ... on axis (vb_tics). */
void sl_plot_tics(struct sl_vbuf *b, char axis, char vals[][SL_VALUE_LEN], int n)
{
	struct sl_tic t[64];

	for (int i = 0; i < n && i < 64; i++)
		t[i] = (struct sl_tic){ vals[i], i, false };
	sl_vb_tics(b, axis, t, n < 64 ? n : 64);
}

/* Clustered bars with min-max error bars: value column ycol (runs metric for the bars), clusters by
 * ccol, one bar per label of the other varying axes. */
int sl_plot_bars(struct sl_plot_ctx *pc, const char *name, int ccol, int ycol, const char *runs_metric,
		     const char *what, const char *xlabel, const char *ylabel, const char *caption)
{
	struct sl_summary_view *v = &pc->v;
	size_t nrows = sl_sv_rows(v);
	/* as many clusters and bars as the data has: a bar left out would be a result not shown */
	char (*clusters)[SL_VALUE_LEN] = calloc(nrows + 1, SL_VALUE_LEN), (*bars)[320] = calloc(nrows + 1, 320);
	char title[512];
	int nc, nb = 0, skip[] = { ccol, v->c_series, -1 }, rc = 0;
	struct sl_vbuf b = { 0 };
	bool any = false;
	FILE *f;

	if (!clusters || !bars) {
		rc = -ENOMEM;
		goto out_free;
	}
	nc = sl_plot_distinct(v, ccol, clusters, (int)nrows, false);
	for (size_t r = 0; r < nrows; r++) {
		char label[320];
		bool seen = false;

		if (isnan(sl_sv_num(v, r, ycol)))
			continue;
		any = true;
		sl_sv_label(v, r, skip, label, sizeof(label));
		for (int i = 0; i < nb && !seen; i++)
			seen = strcmp(bars[i], label) == 0;
		if (!seen)
			snprintf(bars[nb++], sizeof(bars[0]), "%s", label);
	}
	if (!any)
		goto out_free;
	f = sl_plot_dat_open(pc, name, "dat");
	if (!f) {
		rc = -EIO;
		goto out_free;
	}
	fputs("cluster", f);
	for (int i = 0; i < nb; i++) {
		fputc(' ', f);
		sl_plot_put_label(f, strcmp(bars[i], "all") == 0 ? ylabel : bars[i]);
		fputs(" lo hi", f);
	}
	fputc('\n', f);
	for (int c = 0; c < nc; c++) {
		sl_plot_put_label(f, clusters[c]);
		for (int i = 0; i < nb; i++) {
			double y = NAN, lo = NAN, hi = NAN;

			for (size_t r = 0; r < sl_sv_rows(v); r++) {
				char label[320];

				if (strcmp(sl_sv_text(v, r, ccol), clusters[c]) != 0)
					continue;
				sl_sv_label(v, r, skip, label, sizeof(label));
				if (strcmp(label, bars[i]) != 0)
					continue;
				y = sl_sv_num(v, r, ycol);
				if (!isnan(y))
					sl_plot_row_err(pc, r, y, -1, -1, runs_metric, &lo, &hi);
				break;
			}
			sl_plot_put_num(f, y);
			sl_plot_put_num(f, lo);
			sl_plot_put_num(f, hi);
		}
		fputc('\n', f);
	}
	rc = sl_plot_dat_close(f, pc, name);
	if (rc)
		goto out_free;
	{
		/* bars that differ by more than 30× are read on a log scale */
		double lo = INFINITY, hi = 0;
		char ylab[160];

		for (size_t r = 0; r < sl_sv_rows(v); r++) {
			double y = sl_sv_num(v, r, ycol);

			if (!isnan(y) && y > 0) {
				lo = fmin(lo, y);
				hi = fmax(hi, y);
			}
		}
		snprintf(ylab, sizeof(ylab), "%s%s", ylabel, hi / lo > 30 ? ", log scale" : "");
		sl_vb_var(&b, "xlabel", xlabel);
		sl_vb_var(&b, "ylabel", ylab);
		sl_vb_printf(&b, "logy=%d; ymin=%g; ", hi / lo > 30, lo / 2);
	}
	/* about 24 pixels a bar, with room for the legend */
	sl_vb_printf(&b, "nbars=%d; nokey=%d; width=%d; ", nb, nb == 1 && strcmp(bars[0], "all") == 0,
		  nb * nc <= 24 ? 960 : 400 + 24 * nb * nc > 2400 ? 2400 : 400 + 24 * nb * nc);
	sl_plot_title(pc, what, title, sizeof(title));
	rc = b.oom ? -ENOMEM : sl_plot_render(pc, "bars.gp", name, title, caption, b.s);
out_free:
	free(b.s);
	free(bars);
	free(clusters);
	return rc;
}

/* The first varying numeric workload parameter (an axis column that is not a standard axis of the
 * axis table, nor the workload), or -1. */
int sl_plot_numeric_param(const struct sl_summary_view *v)
{
	for (int a = 0; a < v->naxes; a++) {
		int col = v->axes[a];
		bool numeric = true;
		double d;

		if (!v->varies[a] || col == v->c_workload || sl_axis_find(v->csv.header[col]))
			continue;
		for (size_t r = 0; r < sl_sv_rows(v) && numeric; r++)
			numeric = sl_parse_double(sl_sv_text(v, r, col), &d);
		if (numeric)
			return col;
	}
	return -1;
}

