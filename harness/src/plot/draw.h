/* draw.h: what plot/'s files share: the plot kinds' registry (each kind says when it applies to a
 * result and how it is drawn), the context of one result directory being plotted, and the helpers
 * that write gnuplot data and variables and render a plot. Internal to plot/. */
#ifndef SL_PLOT_DRAW_H
#define SL_PLOT_DRAW_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "analysis/findings.h"
#include "core/csv.h"
#include "plot/plot.h"

#define MAX_SERIES 16          /* lines per plot: more is unreadable (common.gp styles 16 apart) */
#define MAX_PANELS 8           /* plots a line plot with more series may be split into */
#define TICK_AXIS_CHARS 70     /* characters of tick labels side by side along a plot's x axis */

/* One result directory being plotted. */
struct sl_plot_ctx {
	const char *dir;
	char out[PATH_MAX];            /* dir/plots */
	const char *scripts;
	struct sl_summary_view v;
	struct sl_meta meta;           /* meta.json, typed (sl_meta_load) */
	struct sl_machine m;           /* meta.m: the machine the result came from (never this one) */
	char experiment[128];
	char workload[SL_NAME_LEN];
	char subtitle[768];
	FILE *index;
	int made;                      /* plots rendered so far */
	bool claimed;                  /* a kind marked SL_PLOT_CLAIMS applied */
	bool quiet;
	struct sl_csv runs;            /* runs.csv for error bars; empty when absent */
	int runs_config, runs_status;
};

/* ---- the registry ---- */

/* A kind of plot: when it applies to a result (by the columns, axes and metric present, never by a
 * workload's name) and how it is drawn (any number of plots, each recorded in the index). */
struct sl_plot_kind {
	const char *name;              /* what a workload's ops.plots lists */
	unsigned flags;                /* SL_PLOT_* */
	bool (*applies)(const struct sl_plot_ctx *pc);
	/* Returns 0 (also when the data leaves nothing to draw), -ENOMEM, -EIO or -EINVAL with the reason
	 * printed. */
	int (*draw)(struct sl_plot_ctx *pc);
};

/* Drawn only for a result whose workload lists the kind in its ops' plots. */
#define SL_PLOT_WORKLOAD 0x1u
/* Where it applies, it is the result's main plot: the generic runtime plot (SL_PLOT_FALLBACK) is not
 * drawn. */
#define SL_PLOT_CLAIMS 0x2u
/* Only when no kind before it drew a plot or claimed the result. */
#define SL_PLOT_FALLBACK 0x4u

/* Every kind, in the order they are tried and their plots listed (cmd_plot.c), NULL-terminated. */
extern const struct sl_plot_kind *const sl_plot_kinds[];

/* The kinds, each defined in the file that draws it (kind_*.c). */
extern const struct sl_plot_kind sl_plot_kind_scaling, sl_plot_kind_heatmap;              /* kind_scaling.c */
extern const struct sl_plot_kind sl_plot_kind_chunksize, sl_plot_kind_start_latency, sl_plot_kind_start_safety,
	sl_plot_kind_affinity;                                                           /* kind_sweep.c */
extern const struct sl_plot_kind sl_plot_kind_gpu_throughput, sl_plot_kind_gpu_sync, sl_plot_kind_gpu_copy,
	sl_plot_kind_gpu_share, sl_plot_kind_runtime;                                    /* kind_metric.c */
extern const struct sl_plot_kind sl_plot_kind_timeline;                                  /* kind_timeline.c */

/* ---- gnuplot variables and rendering (gnuplot.c) ---- */

/* A growing string; oom once an allocation failed (the text is then incomplete). */
struct sl_vbuf {
	char *s;
	size_t n, cap;
	bool oom;
};

void sl_vb_printf(struct sl_vbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* name='value'; as gnuplot reads it, the value quoted so that gnuplot substitutes nothing in it. */
void sl_vb_var(struct sl_vbuf *b, const char *name, const char *value);

/* A tick label at a position on an axis; lower: one line below the others. */
struct sl_tic {
	const char *label;
	double at;
	bool lower;
};

/* Tick labels for tics.gp as data, never as gnuplot code (arrays <axis>tic_l, _x, _low). */
void sl_vb_tics(struct sl_vbuf *b, char axis, const struct sl_tic *t, int n);

/* Render plot name with script (PNG then SVG), from the data in out/name.dat; record it in the
 * index. Returns 0, -ENOMEM, or -EIO with the reason printed. */
int sl_plot_render(struct sl_plot_ctx *pc, const char *script, const char *name, const char *title,
		   const char *caption, const char *vars);
/* out/name.ext opened for writing (a link in its place is not followed); NULL with the reason printed. */
FILE *sl_plot_dat_open(struct sl_plot_ctx *pc, const char *name, const char *ext);
/* Close f. Returns 0, or -EIO with the reason printed. */
int sl_plot_dat_close(FILE *f, struct sl_plot_ctx *pc, const char *name);
/* A label as a double-quoted gnuplot data field; a number (NaN when missing). Never fail. */
void sl_plot_put_label(FILE *f, const char *s);
void sl_plot_put_num(FILE *f, double x);
/* "<experiment>: what". Never fails. */
void sl_plot_title(const struct sl_plot_ctx *pc, const char *what, char *buf, size_t len);

/* ---- series and shared plot shapes (series.c) ---- */

struct sl_group {
	char label[320];
	size_t *rows;
	int n;
};

/* The series of one plot: the first n of g are drawn; those after them, up to total, are left out. */
struct sl_gset {
	int n, total, cap;
	struct sl_group *g;
};

/* A line plot of ycol against xcol, one line per label without skip; with more than MAX_SERIES
 * labels, split into n plots, each showing the rows whose axis col has one of values. */
struct sl_panels {
	const int *skip;
	int xcol, ycol;
	int col;                        /* -1: one plot */
	int n, nseries;                 /* plots; series over all of them */
	char (*values)[SL_VALUE_LEN];
};

/* What a plot is called, drawn with and says about itself. */
struct sl_plot_desc {
	const char *name, *script, *what, *caption;
};

/* The x value of row r on axis col: chunk size 'auto' resolved, else the cell as a number. */
double sl_plot_xval(const struct sl_summary_view *v, size_t r, int col);
/* The series of plot i of pl (i < 0: all rows). Returns 0 or -ENOMEM. */
int sl_gset_build(struct sl_plot_ctx *pc, const struct sl_panels *pl, int i, struct sl_gset *gs);
void sl_gset_free(struct sl_gset *gs);
/* Remove series i. Never fails. */
void sl_gset_remove(struct sl_gset *gs, int i);
/* Image width that leaves room for the legend; x range and y range over the series drawn. */
int sl_gset_width(const struct sl_gset *gs);
double sl_gset_xmax(const struct sl_plot_ctx *pc, const struct sl_gset *gs, int xcol, double *xmin);
void sl_gset_yrange(const struct sl_plot_ctx *pc, const struct sl_gset *gs, int ycol, double *ymin, double *ymax);
/* Error bars of row r: the summary's lo/hi columns, else the min/max of a runs.csv metric, else y. */
void sl_plot_row_err(struct sl_plot_ctx *pc, size_t r, double y, int locol, int hicol, const char *runs_metric,
		     double *lo, double *hi);
/* gs as gnuplot data blocks in out/name.dat. Returns 0 or -EIO with the reason printed. */
int sl_plot_write_blocks(struct sl_plot_ctx *pc, const char *name, const struct sl_gset *gs, int xcol, int ycol,
			 int locol, int hicol, const char *runs_metric);
/* Tick labels naming each value of numeric column col (sizes when bytes). Never fails. */
void sl_plot_xtics(struct sl_vbuf *b, const struct sl_summary_view *v, int col, bool bytes, double unit, bool logx);
/* The file stem of plot i of pl: numbered when the plot is split. */
void sl_plot_panel_name(const struct sl_plot_desc *kind, const struct sl_panels *pl, int i, char *buf, size_t len);
/* Render plot i of pl as kind, its caption naming the series left out. Returns 0 or an error. */
int sl_plot_render_panel(struct sl_plot_ctx *pc, const struct sl_plot_desc *kind, const struct sl_panels *pl, int i,
			 const struct sl_gset *gs, const struct sl_vbuf *vars);

typedef int (*sl_panel_fn)(struct sl_plot_ctx *pc, const struct sl_panels *pl, int i, const void *arg);
/* Plan the line plots of ycol against xcol (series: the labels without skip) and draw each with fn.
 * Returns 0, -ENOMEM or fn's error. */
int sl_plot_lines(struct sl_plot_ctx *pc, const int *skip, int xcol, int ycol, sl_panel_fn fn, const void *arg);

/* Distinct values of column col (numeric ones sorted when sort_num); the index of s among them. */
int sl_plot_distinct(const struct sl_summary_view *v, int col, char vals[][SL_VALUE_LEN], int max, bool sort_num);
int sl_plot_index_of(char vals[][SL_VALUE_LEN], int n, const char *s);
/* Tick labels vals at 0, 1, ... on axis. Never fails. */
void sl_plot_tics(struct sl_vbuf *b, char axis, char vals[][SL_VALUE_LEN], int n);
/* Clustered bars of ycol by ccol with min-max error bars. Returns 0 or an error. */
int sl_plot_bars(struct sl_plot_ctx *pc, const char *name, int ccol, int ycol, const char *runs_metric,
		 const char *what, const char *xlabel, const char *ylabel, const char *caption);
/* The first varying numeric workload parameter (after the standard axes), or -1. */
int sl_plot_numeric_param(const struct sl_summary_view *v);

#endif
