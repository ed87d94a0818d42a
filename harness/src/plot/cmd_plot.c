/* cmd_plot.c: `speedlab plot DIR`: decides which plots a result directory's data supports, writes
 * their small data files to DIR/plots/ and renders each with its gnuplot script as PNG and SVG. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/cmd.h"
#include "core/opts.h"
#include "analysis/findings.h"
#include "report/report.h"
#include "results/results.h"

extern char **environ;

#define MAX_SERIES 16          /* lines per plot: more is unreadable (common.gp styles 16 apart) */
#define MAX_PANELS 8           /* plots a line plot with more series may be split into */
#define TICK_AXIS_CHARS 70     /* characters of tick labels side by side along a plot's x axis */
#define GNUPLOT_TIMEOUT_S 60.0

struct pctx {
	const char *dir;
	char out[PATH_MAX];            /* dir/plots */
	const char *scripts;
	struct sl_summary_view v;
	struct sl_machine m;
	json_t *meta;
	char experiment[128];
	char workload[SL_NAME_LEN];
	char subtitle[768];
	FILE *index;
	int made;
	bool quiet;
	struct sl_csv runs;            /* runs.csv for error bars; empty when absent */
	int runs_config, runs_status;
};

/* ---- a growing string ---- */

struct vbuf {
	char *s;
	size_t n, cap;
	bool oom;
};

static void vb_printf(struct vbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vb_printf(struct vbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		size_t room = b->cap - b->n;

		va_start(ap, fmt);
		k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? room : 0, fmt, ap);
		va_end(ap);
		if (k < 0)
			return;
		if (b->s && (size_t)k < room) {
			b->n += (size_t)k;
			return;
		}
		size_t cap = (b->cap ? b->cap : 256) * 2 + (size_t)k;
		char *ns = realloc(b->s, cap);

		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
}

/* value as a gnuplot single-quoted string: a quote doubled (the form's only escape, inside which
 * gnuplot substitutes nothing: no backquotes, no macros); tabs and newlines become spaces. */
static void vb_str(struct vbuf *b, const char *value)
{
	vb_printf(b, "'");
	for (const char *p = value; *p; p++) {
		if (*p == '\'')
			vb_printf(b, "''");
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			vb_printf(b, " ");
		else
			vb_printf(b, "%c", *p);
	}
	vb_printf(b, "'");
}

/* name='value'; (vb_str). */
static void vb_var(struct vbuf *b, const char *name, const char *value)
{
	vb_printf(b, "%s=", name);
	vb_str(b, value);
	vb_printf(b, "; ");
}

/* A tick label at a position on an axis; lower: one line below the others. */
struct tic {
	const char *label;
	double at;
	bool lower;
};

/* Tick labels for tics.gp as data, never as gnuplot code: arrays <axis>tic_l (labels, single-quoted
 * strings), <axis>tic_x (positions) and <axis>tic_low, their count <axis>tic_n and <axis>tic_lowered. */
static void vb_tics(struct vbuf *b, char axis, const struct tic *t, int n)
{
	bool lowered = false;

	if (n <= 0)
		return;
	vb_printf(b, "%ctic_n=%d; array %ctic_l[%d]; array %ctic_x[%d]; array %ctic_low[%d]; ", axis, n, axis, n,
		  axis, n, axis, n);
	for (int i = 0; i < n; i++) {
		vb_printf(b, "%ctic_l[%d]=", axis, i + 1);
		vb_str(b, t[i].label);
		vb_printf(b, "; %ctic_x[%d]=%.17g; %ctic_low[%d]=%d; ", axis, i + 1, t[i].at, axis, i + 1, t[i].lower);
		lowered |= t[i].lower;
	}
	vb_printf(b, "%ctic_lowered=%d; ", axis, lowered);
}

/* ---- gnuplot ---- */

const char *sl_plot_scripts_dir(void)
{
	static char found[PATH_MAX];
	char exe[PATH_MAX], cand[PATH_MAX + 32], *slash;
	const char *env = getenv("SPEEDLAB_PLOTS");
	const char *rel[] = { "/../plots", "/../../plots", "/../../../plots", NULL };

	if (found[0])
		return found;
	if (env && env[0]) {
		snprintf(cand, sizeof(cand), "%s/speedup.gp", env);
		if (access(cand, R_OK) != 0) {
			sl_err("SPEEDLAB_PLOTS=%s: no gnuplot scripts there (speedup.gp missing)", env);
			return NULL;
		}
		snprintf(found, sizeof(found), "%s", env);
		return found;
	}
	snprintf(exe, sizeof(exe), "%s", sl_self_exe());
	slash = strrchr(exe, '/');
	if (slash) {
		*slash = '\0';
		for (int i = 0; rel[i]; i++) {
			snprintf(cand, sizeof(cand), "%s%s/speedup.gp", exe, rel[i]);
			if (access(cand, R_OK) == 0) {
				cand[strlen(cand) - strlen("/speedup.gp")] = '\0';
				if (!realpath(cand, found))
					snprintf(found, sizeof(found), "%.*s", (int)sizeof(found) - 1, cand);
				return found;
			}
		}
	}
	if (access("plots/speedup.gp", R_OK) == 0 && realpath("plots", found))
		return found;
	found[0] = '\0';
	sl_err("cannot find the gnuplot scripts (plots/*.gp) next to %s or in ./plots; set SPEEDLAB_PLOTS",
	       sl_self_exe());
	return NULL;
}

/* Run gnuplot -e vars script with its output in log. Returns 0, or -1 with the reason in why. */
static int run_gnuplot(const char *vars, const char *script, const char *log, char *why, size_t whylen)
{
	const char *gp = getenv("SPEEDLAB_GNUPLOT");
	char *argv[] = { (char *)(gp && gp[0] ? gp : "gnuplot"), "-e", (char *)vars, (char *)script, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc, st;
	double t0 = sl_now();

	if (posix_spawn_file_actions_init(&fa)) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	/* the log is made new: a link left in its place is removed, never written through */
	unlink(log);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0666);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		snprintf(why, whylen, "cannot run %s: %s%s", argv[0], sl_strerror(rc),
			 rc == ENOENT ? " (install gnuplot-nox, or run 'make deps')" : "");
		return -1;
	}
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(why, whylen, "waitpid: %s", sl_strerror(errno));
			return -1;
		}
		if (sl_now() - t0 > GNUPLOT_TIMEOUT_S) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			snprintf(why, whylen, "gnuplot ran past %.0f s and was killed", GNUPLOT_TIMEOUT_S);
			return -1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000 * 1000 }, NULL);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st))
		snprintf(why, whylen, "gnuplot exited with %d", WEXITSTATUS(st));
	else
		snprintf(why, whylen, "gnuplot killed by signal %d", WTERMSIG(st));
	return -1;
}

static void print_log_tail(const char *log)
{
	size_t len;
	char *text = sl_read_file(log, &len);
	const char *start;
	int lines = 0;

	if (!text)
		return;
	start = text + len;
	while (start > text && lines < 8)
		if (*--start == '\n' && start + 1 < text + len)
			lines++;
	fprintf(stderr, "%s%s", start == text ? "" : "...", start);
	if (len && text[len - 1] != '\n')
		fputc('\n', stderr);
	free(text);
}

/* Render plot name with script (PNG then SVG), from the data in out/name.dat; record it in the
 * index. Returns 0 or -EIO with the reason printed. */
static int render(struct pctx *pc, const char *script, const char *name, const char *title, const char *caption,
		  const char *vars)
{
	static const char *const exts[] = { "png", "svg" };
	char path[PATH_MAX + 128], log[PATH_MAX + 128], scriptpath[PATH_MAX + 64], why[256];

	snprintf(scriptpath, sizeof(scriptpath), "%s/%s", pc->scripts, script);
	snprintf(log, sizeof(log), "%s/%s.log", pc->out, name);
	for (int i = 0; i < 2; i++) {
		struct vbuf b = { 0 };
		struct stat st;
		int rc;

		snprintf(path, sizeof(path), "%s/%s.dat", pc->out, name);
		vb_var(&b, "datafile", path);
		snprintf(path, sizeof(path), "%s/%s.%s", pc->out, name, exts[i]);
		vb_var(&b, "outfile", path);
		vb_var(&b, "title", title);
		vb_var(&b, "subtitle", pc->subtitle);
		vb_var(&b, "plotsdir", pc->scripts);
		vb_printf(&b, "logical=%d; physical=%d; %s", pc->m.logical, pc->m.physical, vars ? vars : "");
		if (b.oom) {
			free(b.s);
			sl_err("plot: out of memory");
			return -ENOMEM;
		}
		unlink(path);
		rc = run_gnuplot(b.s, scriptpath, log, why, sizeof(why));
		free(b.s);
		if (rc == 0 && (stat(path, &st) != 0 || st.st_size < 64)) {
			snprintf(why, sizeof(why), "gnuplot wrote no %s", exts[i]);
			rc = -1;
		}
		if (rc) {
			sl_err_at(scriptpath, 0, "plot '%s' (%s) failed: %s; gnuplot said (%s):", name, exts[i], why, log);
			print_log_tail(log);
			return -EIO;
		}
	}
	unlink(log);
	fprintf(pc->index, "%s\t%s\t", name, title);
	for (const char *p = caption; *p; p++)
		fputc(*p == '\t' || *p == '\n' ? ' ' : *p, pc->index);   /* one line per plot */
	fputc('\n', pc->index);
	pc->made++;
	if (!pc->quiet)
		printf("%s/%s.png\n", pc->out, name);
	return 0;
}

static FILE *dat_open(struct pctx *pc, const char *name, const char *ext)
{
	char path[PATH_MAX + 128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", pc->out, name, ext);
	f = sl_fopen_output(path, false);
	if (!f)
		sl_err_at(path, 0, "cannot write: %s", sl_strerror(errno));
	return f;
}

static int dat_close(FILE *f, struct pctx *pc, const char *name)
{
	if (ferror(f) | (fclose(f) != 0)) {
		sl_err_at(pc->out, 0, "writing %s's data failed", name);
		return -EIO;
	}
	return 0;
}

/* A label as a double-quoted gnuplot data field. */
static void put_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		fputc(*s == '"' ? '\'' : (*s == '\n' || *s == '\t') ? ' ' : *s, f);
	fputc('"', f);
}

static void put_num(FILE *f, double x)
{
	if (isnan(x))
		fputs(" NaN", f);
	else
		fprintf(f, " %.6g", x);
}

/* ---- runs.csv, for error bars ---- */

/* Min and max of metric over the ok repetitions of configuration config; NAN when unknown. */
static void runs_range(const struct pctx *pc, const char *config, const char *metric, double *lo, double *hi)
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
static double xval(const struct sl_summary_view *v, size_t r, int col)
{
	return col == v->c_chunksize ? sl_sv_chunksize(v, r) : sl_sv_num(v, r, col);
}

/* ---- series: rows grouped by the varying axes not on the plot's axes ---- */

struct group {
	char label[320];
	size_t *rows;
	int n;
};

/* The series of one plot: the first n of g are drawn; those after them, up to total, are left out. */
struct gset {
	int n, total, cap;
	struct group *g;
};

/* A line plot of ycol against xcol, one line per label without skip; with more than MAX_SERIES
 * labels, split into n plots, each showing the rows whose axis col has one of values. */
struct panels {
	const int *skip;
	int xcol, ycol;
	int col;                        /* -1: one plot */
	int n, nseries;                 /* plots; series over all of them */
	char (*values)[SL_VALUE_LEN];
};

static void gset_free(struct gset *gs)
{
	for (int i = 0; i < gs->total; i++)
		free(gs->g[i].rows);
	free(gs->g);
	memset(gs, 0, sizeof(*gs));
}

/* Remove series i. */
static void gset_remove(struct gset *gs, int i)
{
	free(gs->g[i].rows);
	memmove(&gs->g[i], &gs->g[i + 1], sizeof(gs->g[0]) * (size_t)(gs->total - i - 1));
	gs->total--;
	gs->n = gs->total < MAX_SERIES ? gs->total : MAX_SERIES;
}

/* The series of plot i of pl (i < 0: of all the rows, unsplit): the rows whose x and y are numbers,
 * grouped by their label, each sorted by x. Returns 0 or -ENOMEM. */
static int gset_build(struct pctx *pc, const struct panels *pl, int i, struct gset *gs)
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
		double x = xval(v, r, pl->xcol), y = sl_sv_num(v, r, pl->ycol);
		struct group *g = NULL;
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
				struct group *ng = realloc(gs->g, sizeof(*ng) * (size_t)cap);

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
		while (at > 0 && xval(v, g->rows[at - 1], pl->xcol) > x) {
			g->rows[at] = g->rows[at - 1];
			at--;
		}
		g->rows[at] = r;
	}
	gs->n = gs->total < MAX_SERIES ? gs->total : MAX_SERIES;
	return 0;
out_nomem:
	gset_free(gs);
	return -ENOMEM;
}

static void panels_free(struct panels *pl)
{
	free(pl->values);
	pl->values = NULL;
}

/* Plan the plots of ycol against xcol (series: the labels without skip): one, or when there are
 * more than MAX_SERIES series, one per value of the series axis that needs the fewest plots (at
 * most MAX_PANELS) of at most MAX_SERIES lines each; when no axis does, one plot that leaves series
 * out. Returns 0 or -ENOMEM. */
static int panels_plan(struct pctx *pc, const int *skip, int xcol, int ycol, struct panels *pl)
{
	const struct sl_summary_view *v = &pc->v;
	char (*vals)[SL_VALUE_LEN] = NULL;
	struct gset gs;
	int rc;

	*pl = (struct panels){ .skip = skip, .xcol = xcol, .ycol = ycol, .col = -1, .n = 1 };
	rc = gset_build(pc, pl, -1, &gs);
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
	gset_free(&gs);
	return rc;
}

/* Error bars of row r: from the summary's lo/hi columns, else the min/max of a runs.csv metric. */
static void row_err(struct pctx *pc, size_t r, double y, int locol, int hicol, const char *runs_metric, double *lo,
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
static int write_blocks(struct pctx *pc, const char *name, const struct gset *gs, int xcol, int ycol, int locol,
			int hicol, const char *runs_metric)
{
	FILE *f = dat_open(pc, name, "dat");

	if (!f)
		return -EIO;
	fprintf(f, "# %s: one block per series: x y lo hi\n", name);
	for (int i = 0; i < gs->n; i++) {
		const struct group *g = &gs->g[i];

		if (i)
			fputs("\n\n", f);
		/* a single series has no name of its own: call it by the workload */
		put_label(f, strcmp(g->label, "all") == 0 && pc->workload[0] ? pc->workload : g->label);
		fputs(" y lo hi\n", f);
		for (int k = 0; k < g->n; k++) {
			size_t r = g->rows[k];
			double y = sl_sv_num(&pc->v, r, ycol), lo, hi;

			row_err(pc, r, y, locol, hicol, runs_metric, &lo, &hi);
			put_num(f, xval(&pc->v, r, xcol));
			put_num(f, y);
			put_num(f, lo);
			put_num(f, hi);
			fputc('\n', f);
		}
	}
	return dat_close(f, pc, name);
}

/* Image width that leaves room for the legend outside the plot. */
static int gset_width(const struct gset *gs)
{
	size_t longest = 0;

	for (int i = 0; i < gs->n; i++)
		longest = strlen(gs->g[i].label) > longest ? strlen(gs->g[i].label) : longest;
	return longest > 28 ? (int)(960 + 7 * (longest - 28) > 1600 ? 1600 : 960 + 7 * (longest - 28)) : 960;
}

static double gset_xmax(const struct pctx *pc, const struct gset *gs, int xcol, double *xmin)
{
	double mx = -INFINITY, mn = INFINITY;

	for (int i = 0; i < gs->n; i++)
		for (int k = 0; k < gs->g[i].n; k++) {
			double x = xval(&pc->v, gs->g[i].rows[k], xcol);

			mx = fmax(mx, x);
			mn = fmin(mn, x);
		}
	if (xmin)
		*xmin = mn;
	return mx;
}

/* The smallest and largest of column ycol over the series drawn. */
static void gset_yrange(const struct pctx *pc, const struct gset *gs, int ycol, double *ymin, double *ymax)
{
	*ymin = INFINITY;
	*ymax = 0;
	for (int i = 0; i < gs->n; i++)
		for (int k = 0; k < gs->g[i].n; k++) {
			*ymin = fmin(*ymin, sl_sv_num(&pc->v, gs->g[i].rows[k], ycol));
			*ymax = fmax(*ymax, sl_sv_num(&pc->v, gs->g[i].rows[k], ycol));
		}
}

/* ---- the plot kinds ---- */

static void title_for(const struct pctx *pc, const char *what, char *buf, size_t len)
{
	snprintf(buf, len, "%.127s: %.380s", pc->experiment, what);
}

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
static void xtics_numeric(struct vbuf *b, const struct sl_summary_view *v, int col, bool bytes, double unit,
			  bool logx)
{
	struct tick {
		double x, at;             /* the value; its place along the axis, 0 to 1 */
		bool number, only_auto, lower;
		char label[64];
	} ts[16];
	int n = 0, top = -1;

	for (size_t r = 0; r < sl_sv_rows(v); r++) {
		double x = xval(v, r, col);
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
		struct tic tl[16];

		for (int i = 0; i < n; i++)
			tl[i] = (struct tic){ ts[i].label, ts[i].x, ts[i].lower };
		vb_tics(b, 'x', tl, n);
	}
}

/* What a kind of plot is called, drawn with and says about itself. */
struct plot_kind {
	const char *name, *script, *what, *caption;
};

/* The file stem of plot i of pl: numbered when the plot is split. */
static void panel_name(const struct plot_kind *kind, const struct panels *pl, int i, char *buf, size_t len)
{
	if (pl->n > 1)
		snprintf(buf, len, "%s-%d", kind->name, i + 1);
	else
		snprintf(buf, len, "%s", kind->name);
}

/* Render plot i of pl (series gs, gnuplot variables vars) as kind: a split plot's title and caption
 * say which rows it shows, and the caption names every series left out. Returns 0, -ENOMEM or
 * render's error. */
static int render_panel(struct pctx *pc, const struct plot_kind *kind, const struct panels *pl, int i,
			const struct gset *gs, const struct vbuf *vars)
{
	const char *axis = pl->col >= 0 ? pc->v.csv.header[pl->col] : "";
	char name[96], what[400], title[512];
	struct vbuf caption = { 0 };
	int rc;

	panel_name(kind, pl, i, name, sizeof(name));
	if (pl->n > 1)
		snprintf(what, sizeof(what), "%.300s (%.40s=%.40s)", kind->what, axis, pl->values[i]);
	else
		snprintf(what, sizeof(what), "%s", kind->what);
	title_for(pc, what, title, sizeof(title));
	vb_printf(&caption, "%s", kind->caption);
	if (pl->n > 1)
		vb_printf(&caption, " %d series are too many for one plot: split into %d plots by %s; this one shows %s=%s.",
			  pl->nseries, pl->n, axis, axis, pl->values[i]);
	if (gs->total > gs->n) {
		int j;

		vb_printf(&caption, " Not shown (more than %d lines): ", MAX_SERIES);
		for (j = gs->n; j < gs->total && caption.n < SL_PLOT_CAPTION_LEN - 400; j++)
			vb_printf(&caption, "%s%s", j > gs->n ? "; " : "", gs->g[j].label);
		if (j < gs->total)
			vb_printf(&caption, " and %d more", gs->total - j);
		vb_printf(&caption, ".");
		sl_warn("plot '%s' of %s: %d of %d series left out (more than %d lines; the caption names them)", name,
			pc->dir, gs->total - gs->n, gs->total, MAX_SERIES);
	}
	rc = caption.oom || vars->oom ? -ENOMEM : render(pc, kind->script, name, title, caption.s, vars->s);
	free(caption.s);
	return rc;
}

typedef int (*panel_fn)(struct pctx *pc, const struct panels *pl, int i, const void *arg);

/* Plan the line plots of ycol against xcol (series: the labels without skip) and draw each one with
 * fn(pc, plan, i, arg). Returns 0, -ENOMEM or fn's error. */
static int plot_lines(struct pctx *pc, const int *skip, int xcol, int ycol, panel_fn fn, const void *arg)
{
	struct panels pl;
	int rc = panels_plan(pc, skip, xcol, ycol, &pl);

	for (int i = 0; !rc && i < pl.n; i++)
		rc = fn(pc, &pl, i, arg);
	panels_free(&pl);
	return rc;
}

static const struct plot_kind speedup_kind = {
	"speedup", "speedup.gp", "speedup vs worker processes",
	"Speedup T(1)/T(P) against the 1-process run of the same series; error bars: order-statistic CI (its level in "
	"summary.csv's speedup_ci_level). Dotted: ideal; dashed: each series' Amdahl fit (where 3 or more process "
	"counts fit, over those only); vertical lines: the machine's physical and logical core counts.",
};
static const struct plot_kind efficiency_kind = {
	"efficiency", "efficiency.gp", "parallel efficiency vs worker processes",
	"Efficiency = speedup / processes: 1.0 means every added process pays for itself.",
};
static const struct plot_kind cores_busy_kind = {
	"cores_busy", "cores_busy.gp", "CPU cores busy vs worker processes",
	"Cores busy = CPU time of the whole process tree / wall time (median). Points above the dotted line keep "
	"more cores busy than there are processes: library threads inside the workers.",
};

/* Speedup (with each series' Amdahl fit) and efficiency vs processes: plot i of pl. */
static int plot_speedup(struct pctx *pc, const struct panels *pl, int i, const void *unused)
{
	struct sl_summary_view *v = &pc->v;
	char plain[MAX_SERIES][320], name[96], fitpath[PATH_MAX + 128];
	struct vbuf b = { 0 };
	struct gset gs;
	double xmin, xmax;
	bool logx;
	FILE *fit;
	int rc;

	(void)unused;
	rc = gset_build(pc, pl, i, &gs);
	if (rc)
		return rc;
	/* a line needs two points */
	for (int j = 0; j < gs.total; j++)
		if (gs.g[j].n < 2)
			gset_remove(&gs, j--);
	if (gs.n == 0)
		goto out;
	xmax = gset_xmax(pc, &gs, v->c_processes, &xmin);
	logx = xmax / xmin >= 32;
	for (int j = 0; j < gs.n; j++) {
		double f = sl_sv_amdahl(v, gs.g[j].rows[0], &pc->m, NULL, NULL);
		size_t l = strlen(gs.g[j].label);

		memcpy(plain[j], gs.g[j].label, sizeof(plain[j]));
		if (!isnan(f))
			snprintf(gs.g[j].label + l, sizeof(gs.g[j].label) - l, " (Amdahl f=%.3f)", f);
	}
	panel_name(&speedup_kind, pl, i, name, sizeof(name));
	rc = write_blocks(pc, name, &gs, v->c_processes, v->c_speedup, v->c_speedup_lo, v->c_speedup_hi, NULL);
	fit = rc ? NULL : dat_open(pc, name, "fit.dat");
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
	rc = dat_close(fit, pc, name);
	if (rc)
		goto out;
	snprintf(fitpath, sizeof(fitpath), "%s/%s.fit.dat", pc->out, name);
	vb_var(&b, "fitfile", fitpath);
	vb_printf(&b, "nseries=%d; xmax=%g; logx=%d; width=%d; ", gs.n, xmax, logx, gset_width(&gs));
	xtics_numeric(&b, v, v->c_processes, false, 1, logx);
	rc = render_panel(pc, &speedup_kind, pl, i, &gs, &b);
	if (rc)
		goto out;
	/* efficiency: the same series, named without their fit */
	for (int j = 0; j < gs.n; j++)
		memcpy(gs.g[j].label, plain[j], sizeof(plain[j]));
	panel_name(&efficiency_kind, pl, i, name, sizeof(name));
	rc = write_blocks(pc, name, &gs, v->c_processes, v->c_efficiency, -1, -1, NULL);
	b.n = 0;
	vb_printf(&b, "nseries=%d; xmax=%g; logx=%d; width=%d; ", gs.n, xmax, logx, gset_width(&gs));
	xtics_numeric(&b, v, v->c_processes, false, 1, logx);
	if (!rc)
		rc = render_panel(pc, &efficiency_kind, pl, i, &gs, &b);
out:
	free(b.s);
	gset_free(&gs);
	return rc;
}

/* CPU cores busy vs processes: plot i of pl. */
static int plot_cores_busy(struct pctx *pc, const struct panels *pl, int i, const void *unused)
{
	struct sl_summary_view *v = &pc->v;
	struct vbuf b = { 0 };
	struct gset gs;
	double xmin, xmax;
	char name[96];
	int rc;

	(void)unused;
	rc = gset_build(pc, pl, i, &gs);
	if (rc || gs.n == 0)
		goto out;
	xmax = gset_xmax(pc, &gs, v->c_processes, &xmin);
	panel_name(&cores_busy_kind, pl, i, name, sizeof(name));
	rc = write_blocks(pc, name, &gs, v->c_processes, v->c_cores_busy, -1, -1, "cores_busy");
	vb_printf(&b, "nseries=%d; xmax=%g; logx=%d; width=%d; ", gs.n, xmax, xmax / xmin >= 32, gset_width(&gs));
	xtics_numeric(&b, v, v->c_processes, false, 1, xmax / xmin >= 32);
	if (!rc)
		rc = render_panel(pc, &cores_busy_kind, pl, i, &gs, &b);
out:
	free(b.s);
	gset_free(&gs);
	return rc;
}

/* Speedup, efficiency and cores busy vs processes. */
static int plot_scaling(struct pctx *pc)
{
	struct sl_summary_view *v = &pc->v;
	int skip[] = { v->c_processes, v->c_series, -1 }, rc = 0;

	if (!sl_summary_view_varies(v, v->c_processes))
		return 0;
	if (v->c_speedup >= 0)
		rc = plot_lines(pc, skip, v->c_processes, v->c_speedup, plot_speedup, NULL);
	if (!rc && v->c_cores_busy >= 0)
		rc = plot_lines(pc, skip, v->c_processes, v->c_cores_busy, plot_cores_busy, NULL);
	return rc;
}

/* Distinct values of column col in first-appearance order (numeric columns sorted). */
static int distinct(const struct sl_summary_view *v, int col, char vals[][SL_VALUE_LEN], int max, bool sort_num)
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

static int index_of(char vals[][SL_VALUE_LEN], int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(vals[i], s) == 0)
			return i;
	return -1;
}

/* Tick labels vals at 0, 1, ... on axis (vb_tics). */
static void tics_var(struct vbuf *b, char axis, char vals[][SL_VALUE_LEN], int n)
{
	struct tic t[64];

	for (int i = 0; i < n && i < 64; i++)
		t[i] = (struct tic){ vals[i], i, false };
	vb_tics(b, axis, t, n < 64 ? n : 64);
}

/* Runtime heatmap of processes × threads, one per combination of the other varying axes. */
static int plot_heatmap(struct pctx *pc)
{
	struct sl_summary_view *v = &pc->v;
	char xs[64][SL_VALUE_LEN], ys[64][SL_VALUE_LEN], outer[8][320];
	int nx, ny, nouter = 0, rc = 0;
	int skip[] = { v->c_processes, v->c_threads, v->c_series, -1 };

	if (v->c_threads < 0 || !sl_summary_view_varies(v, v->c_processes) || !sl_summary_view_varies(v, v->c_threads))
		return 0;
	nx = distinct(v, v->c_processes, xs, 64, true);
	ny = distinct(v, v->c_threads, ys, 64, false);
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
		struct vbuf b = { 0 };
		FILE *f;

		snprintf(name, sizeof(name), nouter > 1 ? "heatmap-%d" : "heatmap", o + 1);
		f = dat_open(pc, name, "dat");
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
			xi = index_of(xs, nx, sl_sv_text(v, r, v->c_processes));
			yi = index_of(ys, ny, sl_sv_text(v, r, v->c_threads));
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
			put_num(f, sl_sv_row_ok(v, r) ? w : NAN);
			fputc(' ', f);
			put_label(f, text);
			fprintf(f, " %d ", sl_sv_num(v, r, v->c_oversubscribed) > 0 ? 1 : 0);
			put_label(f, busytext);
			fputc('\n', f);
		}
		rc = dat_close(f, pc, name);
		if (rc)
			return rc;
		tics_var(&b, 'x', xs, nx);
		tics_var(&b, 'y', ys, ny);
		vb_printf(&b, "nx=%d; ny=%d; height=%d; width=%d; ", nx, ny, ny <= 3 ? 480 : ny <= 8 ? 600 : 800,
			  nx <= 6 ? 960 : 300 + 110 * nx > 2000 ? 2000 : 300 + 110 * nx);
		if (strcmp(outer[o], "all") == 0)
			title_for(pc, "runtime by processes × threads", title, sizeof(title));
		else {
			char what[400];

			snprintf(what, sizeof(what), "runtime by processes × threads (%.300s)", outer[o]);
			title_for(pc, what, title, sizeof(title));
		}
		rc = b.oom ? -ENOMEM
			   : render(pc, "heatmap.gp", name, title,
				    "Each cell: median runtime and cores kept busy. Outlined cells run more threads "
				    "(processes × threads) than the machine's logical CPUs.",
				    b.s);
		free(b.s);
	}
	return rc;
}

static const struct plot_kind chunksize_kind = {
	"chunksize", "chunksize.gp", "runtime vs chunk size",
	"Median runtime by chunk size (tasks handed to a worker at once), one line per dispatch channel: pipe = "
	"the coordinator sends each chunk as a message (like Python's Pool), shm = workers claim chunks from a "
	"shared counter. Too small: per-chunk overhead; too large: too few chunks to keep every worker busy.",
};

/* Runtime vs chunk size: plot i of pl, with Python's default chunk size marked where it falls among
 * the chunk sizes measured (and the caption saying where it is otherwise). */
static int plot_chunksize_panel(struct pctx *pc, const struct panels *pl, int i, const void *unused)
{
	struct sl_summary_view *v = &pc->v;
	int tasks_col = sl_csv_col(&v->csv, "tasks");
	struct plot_kind kind = chunksize_kind;
	struct gset gs;
	struct vbuf b = { 0 }, marked = { 0 }, beyond = { 0 }, caption = { 0 };
	double py[16], xmin, xmax, ymin, ymax;
	int npy = 0, rc;
	char name[96];

	(void)unused;
	rc = gset_build(pc, pl, i, &gs);
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
	xmax = gset_xmax(pc, &gs, v->c_chunksize, &xmin);
	for (int j = 0; j < npy; j++)
		if (py[j] >= xmin && py[j] <= xmax)
			vb_printf(&marked, "%s%g", marked.n ? " " : "", py[j]);
		else
			vb_printf(&beyond, "%s%g", beyond.n ? ", " : "", py[j]);
	vb_printf(&caption, "%s", kind.caption);
	if (beyond.n && marked.n)
		/* several process counts: say which defaults are marked and which are not */
		vb_printf(&caption, " Python's default chunk size ceil(N/4P) is marked at %s; at %s it lies outside the "
			  "chunk sizes measured (%g to %g), so %s not marked.", marked.s, beyond.s, xmin, xmax,
			  strchr(beyond.s, ',') ? "those are" : "that one is");
	else if (beyond.n)
		vb_printf(&caption, " Python's default chunk size ceil(N/4P) (%s) lies outside the chunk sizes measured "
			  "(%g to %g), so it is not marked.", beyond.s, xmin, xmax);
	kind.caption = caption.s ? caption.s : "";   /* out of memory: b.oom below says so */
	gset_yrange(pc, &gs, v->c_wall, &ymin, &ymax);
	panel_name(&kind, pl, i, name, sizeof(name));
	rc = write_blocks(pc, name, &gs, v->c_chunksize, v->c_wall, v->c_wall_min, v->c_wall_max, "wall_s");
	if (rc)
		goto out;
	vb_var(&b, "pychunks", marked.s ? marked.s : "");
	vb_printf(&b, "nseries=%d; logy=%d; width=%d; ", gs.n, ymin > 0 && ymax / ymin > 30, gset_width(&gs));
	xtics_numeric(&b, v, v->c_chunksize, false, 1, true);
	b.oom |= marked.oom | beyond.oom | caption.oom;
	rc = render_panel(pc, &kind, pl, i, &gs, &b);
out:
	free(caption.s);
	free(beyond.s);
	free(marked.s);
	free(b.s);
	gset_free(&gs);
	return rc;
}

/* Runtime vs chunk size, one line per dispatch channel (and any other varying axis). */
static int plot_chunksize(struct pctx *pc)
{
	struct sl_summary_view *v = &pc->v;
	int skip[] = { v->c_chunksize, v->c_series, -1 };

	if (v->c_chunksize < 0 || !sl_summary_view_varies(v, v->c_chunksize))
		return 0;
	return plot_lines(pc, skip, v->c_chunksize, v->c_wall, plot_chunksize_panel, NULL);
}

/* Clustered bars with min-max error bars: value column ycol (runs metric for the bars), clusters by
 * ccol, one bar per label of the other varying axes. */
static int plot_bars(struct pctx *pc, const char *name, int ccol, int ycol, const char *runs_metric,
		     const char *what, const char *xlabel, const char *ylabel, const char *caption)
{
	struct sl_summary_view *v = &pc->v;
	size_t nrows = sl_sv_rows(v);
	/* as many clusters and bars as the data has: a bar left out would be a result not shown */
	char (*clusters)[SL_VALUE_LEN] = calloc(nrows + 1, SL_VALUE_LEN), (*bars)[320] = calloc(nrows + 1, 320);
	char title[512];
	int nc, nb = 0, skip[] = { ccol, v->c_series, -1 }, rc = 0;
	struct vbuf b = { 0 };
	bool any = false;
	FILE *f;

	if (!clusters || !bars) {
		rc = -ENOMEM;
		goto out_free;
	}
	nc = distinct(v, ccol, clusters, (int)nrows, false);
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
	f = dat_open(pc, name, "dat");
	if (!f) {
		rc = -EIO;
		goto out_free;
	}
	fputs("cluster", f);
	for (int i = 0; i < nb; i++) {
		fputc(' ', f);
		put_label(f, strcmp(bars[i], "all") == 0 ? ylabel : bars[i]);
		fputs(" lo hi", f);
	}
	fputc('\n', f);
	for (int c = 0; c < nc; c++) {
		put_label(f, clusters[c]);
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
					row_err(pc, r, y, -1, -1, runs_metric, &lo, &hi);
				break;
			}
			put_num(f, y);
			put_num(f, lo);
			put_num(f, hi);
		}
		fputc('\n', f);
	}
	rc = dat_close(f, pc, name);
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
		vb_var(&b, "xlabel", xlabel);
		vb_var(&b, "ylabel", ylab);
		vb_printf(&b, "logy=%d; ymin=%g; ", hi / lo > 30, lo / 2);
	}
	/* about 24 pixels a bar, with room for the legend */
	vb_printf(&b, "nbars=%d; nokey=%d; width=%d; ", nb, nb == 1 && strcmp(bars[0], "all") == 0,
		  nb * nc <= 24 ? 960 : 400 + 24 * nb * nc > 2400 ? 2400 : 400 + 24 * nb * nc);
	title_for(pc, what, title, sizeof(title));
	rc = b.oom ? -ENOMEM : render(pc, "bars.gp", name, title, caption, b.s);
out_free:
	free(b.s);
	free(bars);
	free(clusters);
	return rc;
}

/* Placement: runtime and the CPUs the workers' threads ran on, by affinity (clusters), one bar per
 * combination of the other varying axes. */
static int plot_affinity(struct pctx *pc)
{
	struct sl_summary_view *v = &pc->v;
	int rc;

	if (v->c_affinity < 0 || !sl_summary_view_varies(v, v->c_affinity))
		return 0;
	rc = plot_bars(pc, "affinity_runtime", v->c_affinity, v->c_wall, "wall_s", "runtime by affinity", "affinity",
		       "median runtime (s)",
		       "Median runtime over repetitions by where the workers were allowed to run; error bars: "
		       "min–max over repetitions. One bar per combination of the other swept axes.");
	if (rc || v->c_cpus_used < 0)
		return rc;
	return plot_bars(pc, "affinity_cpus", v->c_affinity, v->c_cpus_used, "cpus_used",
			 "CPUs the workers' threads ran on, by affinity", "affinity", "distinct CPUs used",
			 "Observed placement: distinct logical CPUs the workers' threads ran on during the run phase "
			 "(median over repetitions; error bars: min–max), beside the affinity asked for.");
}

/* Start-method latency bars, and the start-safety matrix. */
static int plot_start(struct pctx *pc)
{
	struct sl_summary_view *v = &pc->v;
	char xs[16][SL_VALUE_LEN], ys[64][320];
	int nx, ny = 0, rc = 0, skip[] = { v->c_start_method, v->c_series, -1 };
	bool vary_sm = v->c_start_method >= 0 && sl_summary_view_varies(v, v->c_start_method);
	bool vary_rss = v->c_parent_rss_mb >= 0 && sl_summary_view_varies(v, v->c_parent_rss_mb);
	struct vbuf b = { 0 };
	char title[256];
	FILE *f;

	if (v->c_latency >= 0 && v->c_start_method >= 0 && (vary_sm || vary_rss)) {
		rc = plot_bars(pc, "start_latency", v->c_start_method, v->c_latency, "start_latency_ms",
			       "worker start latency by start method", "start method",
			       "worker start latency (ms)",
			       "Worker requested to worker ready (median over workers, then over repetitions); "
			       "error bars: min–max over repetitions. One bar per parent situation: how much memory "
			       "the parent touched first and which library it used. A missing bar: that configuration did not "
			       "finish (see the start-safety matrix).");
		if (rc)
			return rc;
	}
	if (!vary_sm)
		return 0;
	nx = distinct(v, v->c_start_method, xs, 16, false);
	for (size_t r = 0; r < sl_sv_rows(v) && ny < 64; r++) {
		char label[320];
		bool seen = false;

		sl_sv_label(v, r, skip, label, sizeof(label));
		for (int i = 0; i < ny && !seen; i++)
			seen = strcmp(ys[i], label) == 0;
		if (!seen)
			snprintf(ys[ny++], sizeof(ys[0]), "%s", label);
	}
	f = dat_open(pc, "start_safety", "dat");
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
		xi = index_of(xs, nx, sl_sv_text(v, r, v->c_start_method));
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
		put_label(f, text);
		fputc('\n', f);
	}
	rc = dat_close(f, pc, "start_safety");
	if (rc)
		return rc;
	{
		char yv[64][SL_VALUE_LEN];

		for (int i = 0; i < ny; i++)
			snprintf(yv[i], SL_VALUE_LEN, "%.*s", SL_VALUE_LEN - 1, ys[i]);
		tics_var(&b, 'x', xs, nx);
		tics_var(&b, 'y', yv, ny);
	}
	vb_printf(&b, "nx=%d; ny=%d; height=%d; ", nx, ny, 260 + 46 * ny > 1400 ? 1400 : 260 + 46 * ny);
	title_for(pc, "start safety by start method", title, sizeof(title));
	rc = b.oom ? -ENOMEM
		   : render(pc, "safety.gp", "start_safety", title,
			    "Each cell: the outcome of a start method (column) in one situation (row) and how many "
			    "repetitions finished ok. A hang was killed at the experiment's timeout.",
			    b.s);
	free(b.s);
	return rc;
}

/* Per-CPU busy % over time for chosen configurations, from samples.csv (streamed: it can be big). */
static int plot_timeline_one(struct pctx *pc, const char *config, const char *label, int index)
{
	char path[PATH_MAX + 64], name[32], title[512], *line = NULL;
	size_t cap = 0;
	FILE *in, *f = NULL;
	int ncpu = 0, cpu0 = -1, lineno = 0, rc = 0, rep_wanted = INT_MIN;
	double dt = 0, tmax = 0, tprev = NAN, tmin = NAN;
	long nsamples = 0;
	ssize_t len;

	snprintf(path, sizeof(path), "%s/samples.csv", pc->dir);
	{
		int fd = sl_open_regular(path, true);

		if (fd == -ENOENT)
			return 0;
		in = fd < 0 ? NULL : fdopen(fd, "r");
		if (!in) {
			sl_err_at(path, 0, "cannot read: %s", sl_strerror(fd < 0 ? fd : errno));
			if (fd >= 0)
				close(fd);
			return -EINVAL;
		}
	}
	/* the header: config,rep,t_s,cpu0_busy_pct,... */
	if ((len = getline(&line, &cap, in)) > 0) {
		char *save = NULL, *tok;
		int col = 0;

		lineno = 1;
		for (tok = strtok_r(line, ",\r\n", &save); tok; tok = strtok_r(NULL, ",\r\n", &save), col++) {
			if (strncmp(tok, "cpu", 3) == 0 && strstr(tok, "_busy_pct")) {
				if (cpu0 < 0)
					cpu0 = col;
				ncpu++;
			}
		}
	}
	if (cpu0 < 3 || ncpu == 0)
		goto out;
	snprintf(name, sizeof(name), "timeline-%d", index);
	f = dat_open(pc, name, "dat");
	if (!f) {
		rc = -EIO;
		goto out;
	}
	/* each sample is how busy a CPU was since the one before (the first: since the run started), so
	 * its strip spans that interval exactly: no blank start, no gaps where the sampler was late */
	fprintf(f, "# t_mid_s cpu busy_pct half_width_s (config %s)\n", config);
	while ((len = getline(&line, &cap, in)) > 0) {
		char *cells[1024], *save = NULL, *tok;
		int n = 0;
		long rep;
		double t;
		bool complete = line[len - 1] == '\n';

		lineno++;
		for (tok = strtok_r(line, ",\r\n", &save); tok && n < 1024; tok = strtok_r(NULL, ",\r\n", &save))
			cells[n++] = tok;
		if (n < 3 || strcmp(cells[0], config) != 0)
			continue;
		if (!sl_parse_long(cells[1], &rep) || !sl_parse_double(cells[2], &t)) {
			if (!complete)
				break;   /* a final line cut short by a crash */
			sl_err_at(path, lineno, "malformed sample (config,rep,t_s expected)");
			rc = -EINVAL;
			goto out;
		}
		if (rep < 0)
			continue;   /* warm-up */
		if (rep_wanted == INT_MIN)
			rep_wanted = (int)rep;
		if (rep != rep_wanted)
			continue;
		{
			double lo = isnan(tprev) || t < tprev ? 0 : tprev;

			if (isnan(tmin))
				tmin = t;
			tprev = t;
			tmax = fmax(tmax, t);
			nsamples++;
			for (int c = 0; c < ncpu && cpu0 + c < n; c++) {
				double busy;

				if (!sl_parse_double(cells[cpu0 + c], &busy))
					continue;
				/* wider than half the interval: neighbours overlap (the later drawn on top), no seam */
				fprintf(f, "%.6g %d %.4g %.6g\n", (lo + t) / 2, c, busy, (t - lo) * 0.6);
			}
		}
	}
	rc = dat_close(f, pc, name);
	f = NULL;
	if (rc || nsamples < 2)
		goto out;
	/* the mean sampling interval: strips as wide as the samples are apart, without gaps */
	dt = (tprev - tmin) / (double)(nsamples - 1);
	{
		char vars[128], what[400];

		snprintf(vars, sizeof(vars), "ncpu=%d; dt=%g; tmax=%g; height=%d; ", ncpu, dt > 0 ? dt : 0.1, tmax,
			 ncpu <= 8 ? 420 : ncpu <= 32 ? 560 : 760);
		snprintf(what, sizeof(what), "CPU busy over time, %.330s (repetition %d)", label, rep_wanted);
		title_for(pc, what, title, sizeof(title));
		rc = render(pc, "timeline.gp", name, title,
			    "Each row is one logical CPU of the machine, each column one sample: how busy that CPU was "
			    "(all processes, not only the run's).",
			    vars);
	}
out:
	if (f)
		fclose(f);
	free(line);
	fclose(in);
	return rc;
}

static int plot_timeline(struct pctx *pc)
{
	struct sl_summary_view *v = &pc->v;
	long pick[2] = { -1, -1 };
	int rc = 0, skip_none[] = { v->c_series, -1 };

	if (sl_sv_rows(v) == 0)
		return 0;
	if (sl_summary_view_varies(v, v->c_processes)) {
		/* the main series: the one with most rows; its 1-process and largest configurations */
		size_t best_n = 0;
		const char *main_series = NULL;

		for (size_t r = 0; r < sl_sv_rows(v); r++) {
			size_t n = 0;

			for (size_t q = 0; q < sl_sv_rows(v); q++)
				n += strcmp(sl_sv_text(v, q, v->c_series), sl_sv_text(v, r, v->c_series)) == 0 &&
				     sl_sv_row_ok(v, q);
			if (n > best_n) {
				best_n = n;
				main_series = sl_sv_text(v, r, v->c_series);
			}
		}
		for (size_t r = 0; main_series && r < sl_sv_rows(v); r++) {
			if (strcmp(sl_sv_text(v, r, v->c_series), main_series) != 0 || !sl_sv_row_ok(v, r))
				continue;
			if (pick[0] < 0 || sl_sv_num(v, r, v->c_processes) < sl_sv_num(v, pick[0], v->c_processes))
				pick[0] = (long)r;
			if (pick[1] < 0 || sl_sv_num(v, r, v->c_processes) > sl_sv_num(v, pick[1], v->c_processes))
				pick[1] = (long)r;
		}
	} else {
		for (size_t r = 0; r < sl_sv_rows(v); r++)
			if (sl_sv_row_ok(v, r)) {
				if (pick[0] < 0)
					pick[0] = (long)r;
				pick[1] = (long)r;
			}
		/* a sweep of placements: beside the first, a confined one (cpus:N first), so the per-CPU
		 * picture shows where confined workers ran */
		if (v->c_affinity >= 0 && sl_summary_view_varies(v, v->c_affinity)) {
			long confined = -1;

			for (size_t r = 0; r < sl_sv_rows(v); r++) {
				const char *a = sl_sv_text(v, r, v->c_affinity);

				if (!sl_sv_row_ok(v, r) || (long)r == pick[0] || strcmp(a, "none") == 0)
					continue;
				if (confined < 0 || (strncmp(a, "cpus:", 5) == 0 &&
						     strncmp(sl_sv_text(v, (size_t)confined, v->c_affinity), "cpus:", 5) != 0))
					confined = (long)r;
			}
			if (confined >= 0)
				pick[1] = confined;
		}
	}
	for (int i = 0; i < 2 && !rc; i++) {
		char label[320], full[400];

		if (pick[i] < 0 || (i == 1 && pick[1] == pick[0]))
			continue;
		sl_sv_label(v, (size_t)pick[i], skip_none, label, sizeof(label));
		if (!sl_summary_view_varies(v, v->c_processes)) {
			snprintf(full, sizeof(full), "%s", label);
		} else {
			int skip_p[] = { v->c_processes, v->c_series, -1 };

			sl_sv_label(v, (size_t)pick[i], skip_p, label, sizeof(label));
			snprintf(full, sizeof(full), "%g process%s%s%s", sl_sv_num(v, pick[i], v->c_processes),
				 sl_sv_num(v, pick[i], v->c_processes) == 1 ? "" : "es",
				 strcmp(label, "all") ? ", " : "", strcmp(label, "all") ? label : "");
		}
		rc = plot_timeline_one(pc, sl_sv_text(v, (size_t)pick[i], v->c_config), full, i + 1);
	}
	return rc;
}

/* The first varying numeric workload parameter (after the standard axes), or -1. */
static int numeric_param(const struct sl_summary_view *v)
{
	int last_axis = v->c_mem_policy > v->c_affinity ? v->c_mem_policy : v->c_affinity;
	int first_param;

	if (v->c_parent_uses > last_axis)
		last_axis = v->c_parent_uses;
	first_param = last_axis >= 0 ? last_axis + 1 : v->c_series + 1;

	for (int a = 0; a < v->naxes; a++) {
		int col = v->axes[a];
		bool numeric = true;
		double d;

		if (col < first_param || !v->varies[a])
			continue;
		for (size_t r = 0; r < sl_sv_rows(v) && numeric; r++)
			numeric = sl_parse_double(sl_sv_text(v, r, col), &d);
		if (numeric)
			return col;
	}
	return -1;
}

/* A metric vs a numeric parameter: the plot's kind, the runs.csv metric of its error bars, its
 * y label. */
struct metric_plot {
	struct plot_kind kind;
	const char *runs_metric, *ylabel;
};

/* A metric vs a numeric parameter: plot i of pl. */
static int plot_metric_panel(struct pctx *pc, const struct panels *pl, int i, const void *arg)
{
	const struct metric_plot *mp = arg;
	struct sl_summary_view *v = &pc->v;
	const char *xname = v->csv.header[pl->xcol];
	bool mib = strcmp(xname, "mb") == 0 || (strlen(xname) > 3 && strcmp(xname + strlen(xname) - 3, "_mb") == 0);
	bool bytes = strstr(xname, "bytes") || strstr(xname, "size") || mib;
	char name[96], xlabel[128];
	struct gset gs;
	struct vbuf b = { 0 };
	double xmin, xmax, ymin, ymax;
	int rc;

	rc = gset_build(pc, pl, i, &gs);
	if (rc || gs.n == 0)
		goto out;
	xmax = gset_xmax(pc, &gs, pl->xcol, &xmin);
	gset_yrange(pc, &gs, pl->ycol, &ymin, &ymax);
	panel_name(&mp->kind, pl, i, name, sizeof(name));
	rc = write_blocks(pc, name, &gs, pl->xcol, pl->ycol, -1, -1, mp->runs_metric);
	if (rc)
		goto out;
	xtics_numeric(&b, v, pl->xcol, bytes, mib ? 1 << 20 : 1, xmin > 0 && xmax / xmin >= 16);
	snprintf(xlabel, sizeof(xlabel), "%s%s%s", xname, mib ? " (MiB)" : bytes && !strstr(xname, "bytes") ? " (bytes)" : "",
		 xmin > 0 && xmax / xmin >= 16 ? ", log scale" : "");
	vb_var(&b, "xlabel", xlabel);
	vb_var(&b, "ylabel", mp->ylabel);
	vb_printf(&b, "nseries=%d; logx=%d; logy=%d; width=%d; ", gs.n, xmin > 0 && xmax / xmin >= 16,
		  ymin > 0 && ymax / ymin > 100, gset_width(&gs));
	rc = render_panel(pc, &mp->kind, pl, i, &gs, &b);
out:
	free(b.s);
	gset_free(&gs);
	return rc;
}

/* A metric vs the numeric parameter xcol, one line per other varying axis. */
static int plot_metric(struct pctx *pc, const char *name, int xcol, int ycol, const char *runs_metric,
		       const char *what, const char *ylabel, const char *caption)
{
	const struct metric_plot mp = { { name, "metric.gp", what, caption }, runs_metric, ylabel };
	int skip[] = { xcol, pc->v.c_series, -1 };

	return plot_lines(pc, skip, xcol, ycol, plot_metric_panel, &mp);
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

static int plot_gpu(struct pctx *pc, bool *made)
{
	struct sl_summary_view *v = &pc->v;
	int xcol = numeric_param(v), rc = 0;
	int mode = sl_csv_col(&v->csv, "mode");
	int host_cpu = sl_csv_col(&v->csv, "host_cpu_pct_median");

	if (strcmp(pc->workload, "gpu_gemm") == 0 && xcol >= 0 && v->c_gflops >= 0) {
		*made = true;
		rc = plot_metric(pc, "gpu_throughput", xcol, v->c_gflops, "gflops", "GEMM throughput vs size",
				 "throughput (GFLOP/s), bars: min–max",
				 "Median throughput over repetitions by problem size, one line per precision (and any "
				 "other varying setting).");
	} else if (strcmp(pc->workload, "gpu_sync") == 0 && mode >= 0 && (host_cpu >= 0 || v->c_cores_busy >= 0)) {
		*made = true;
		if (host_cpu >= 0)
			rc = plot_bars(pc, "gpu_sync", mode, host_cpu, "host_cpu_pct",
				       "CPU use while waiting for the GPU, by sync mode", "synchronisation mode",
				       "CPU use of the waiting process (% of one core)",
				       "CPU time of the process that drives and waits on the GPU, divided by the time it "
				       "waited: 100% means a whole core spins while the GPU works. Error bars: min–max over "
				       "repetitions.");
		else
			rc = plot_bars(pc, "gpu_sync", mode, v->c_cores_busy, "cores_busy",
				       "CPU cores busy while waiting for the GPU, by sync mode", "synchronisation mode",
				       "CPU cores busy (CPU time / wall)",
				       "CPU time of the waiting process divided by wall time: 1.0 means a whole core "
				       "spins while the GPU works. Error bars: min–max over repetitions.");
	} else if (strcmp(pc->workload, "gpu_copy") == 0 && xcol >= 0) {
		int bw = bandwidth_col(v);

		*made = true;
		if (bw >= 0)
			rc = plot_metric(pc, "gpu_copy", xcol, bw, strcmp(v->csv.header[bw], "gbps_median") ? NULL : "gbps",
					 "copy bandwidth vs size, pinned vs pageable",
					 strcmp(v->csv.header[bw], "gbps_median") ? v->csv.header[bw]
										     : "bandwidth (GB/s), bars: min–max",
					 "Median copy bandwidth by transfer size, one line per host memory kind "
					 "(pinned or pageable) and direction.");
		else
			rc = plot_metric(pc, "gpu_copy", xcol, v->c_wall, "wall_s",
					 "copy time vs size, pinned vs pageable", "median runtime (s), bars: min–max",
					 "Median runtime of the copies by transfer size, one line per host memory kind "
					 "(pinned or pageable) and direction: the gap between the lines is what pinning "
					 "buys.");
	} else if (strcmp(pc->workload, "gpu_share") == 0 && v->c_gflops >= 0 &&
		   sl_summary_view_varies(v, v->c_processes)) {
		/* not *made: the scaling plots apply too */
		rc = plot_metric(pc, "gpu_share", v->c_processes, v->c_gflops, "gflops",
				 "aggregate GEMM throughput of processes sharing one GPU",
				 "aggregate throughput (GFLOP/s), bars: min–max",
				 "The GEMM throughput of all processes together. Flat: the processes take turns on the "
				 "GPU (time-slicing) and each one gets 1/P of it.");
	}
	return rc;
}

/* ---- the whole directory ---- */

static void load_identity(struct pctx *pc)
{
	const json_t *exp = pc->meta ? json_object_get(pc->meta, "experiment") : NULL;
	const json_t *name = exp ? json_object_get(exp, "name") : NULL;
	const json_t *wl = exp ? json_object_get(exp, "workload") : NULL;
	const json_t *prof = exp ? json_object_get(exp, "profile") : NULL;
	char machine[512];
	const char *slash;

	if (name && json_is_string(name))
		snprintf(pc->experiment, sizeof(pc->experiment), "%s", json_string_value(name));
	else {
		slash = strrchr(pc->dir, '/');
		snprintf(pc->experiment, sizeof(pc->experiment), "%s", slash && slash[1] ? slash + 1 : pc->dir);
	}
	if (wl && json_is_string(wl))
		snprintf(pc->workload, sizeof(pc->workload), "%s", json_string_value(wl));
	else if (pc->v.c_workload >= 0 && sl_sv_rows(&pc->v) > 0)
		snprintf(pc->workload, sizeof(pc->workload), "%s", sl_sv_text(&pc->v, 0, pc->v.c_workload));
	sl_machine_line(&pc->m, machine, sizeof(machine));
	snprintf(pc->subtitle, sizeof(pc->subtitle), "%s · workload %s%s%s", machine,
		 pc->workload[0] ? pc->workload : "?", prof && json_is_string(prof) && json_string_value(prof)[0] ? " · profile " : "",
		 prof && json_is_string(prof) ? json_string_value(prof) : "");
}

int sl_plot_dir(const char *dir, bool quiet)
{
	struct pctx pc = { .dir = dir, .quiet = quiet, .runs_config = -1, .runs_status = -1 };
	char path[PATH_MAX + 64];
	struct stat st;
	bool gpu_made = false;
	int rc;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		sl_err_at(dir, 0, "%s", stat(dir, &st) != 0 ? sl_strerror(errno) : "not a directory");
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	rc = sl_summary_view_load(path, &pc.v);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	if (access(path, F_OK) == 0) {
		json_error_t jerr;

		pc.meta = sl_json_load(path, &jerr);
		if (!pc.meta) {
			sl_err_at(path, jerr.line, "%s", jerr.text);
			rc = -EINVAL;
			goto out_free_view;
		}
	}
	sl_machine_from_meta(pc.meta, &pc.m);
	load_identity(&pc);
	snprintf(path, sizeof(path), "%s/runs.csv", dir);
	if (access(path, F_OK) == 0) {
		rc = sl_csv_read(path, &pc.runs, 0);
		if (rc)
			goto out_free_meta;
		pc.runs_config = sl_csv_col(&pc.runs, "config");
		pc.runs_status = sl_csv_col(&pc.runs, "status");
	}
	pc.scripts = sl_plot_scripts_dir();
	if (!pc.scripts) {
		rc = -ENOENT;
		goto out_free_runs;
	}
	snprintf(pc.out, sizeof(pc.out), "%s/plots", dir);
	rc = sl_mkdir_p(pc.out);
	if (!rc && lstat(pc.out, &st) == 0 && !S_ISDIR(st.st_mode))
		rc = S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;   /* plots are written only inside DIR */
	if (rc) {
		sl_err_at(pc.out, 0, "cannot create: %s", sl_strerror(-rc));
		goto out_free_runs;
	}
	snprintf(path, sizeof(path), "%s/index.tsv.tmp", pc.out);
	pc.index = sl_fopen_output(path, false);
	if (!pc.index) {
		rc = -errno;
		sl_err_at(path, 0, "cannot write: %s", sl_strerror(errno));
		goto out_free_runs;
	}
	rc = plot_scaling(&pc);
	if (!rc)
		rc = plot_heatmap(&pc);
	if (!rc)
		rc = plot_chunksize(&pc);
	if (!rc)
		rc = plot_start(&pc);
	if (!rc)
		rc = plot_affinity(&pc);
	if (!rc)
		rc = plot_gpu(&pc, &gpu_made);
	if (!rc && pc.made == 0 && !gpu_made) {
		int xcol = numeric_param(&pc.v);

		if (xcol >= 0)
			rc = plot_metric(&pc, "runtime", xcol, pc.v.c_wall, "wall_s", "runtime vs parameter",
					 "median runtime (s), bars: min–max",
					 "Median runtime over repetitions by the swept parameter.");
	}
	if (!rc)
		rc = plot_timeline(&pc);
	if (fclose(pc.index) != 0 && !rc)
		rc = -EIO;
	if (!rc) {
		char final[PATH_MAX + 64];

		snprintf(final, sizeof(final), "%s/index.tsv", pc.out);
		if (rename(path, final) != 0)
			rc = -errno;
	} else {
		unlink(path);
	}
	if (!rc)
		rc = pc.made;
out_free_runs:
	sl_csv_free(&pc.runs);
out_free_meta:
	json_decref(pc.meta);
out_free_view:
	sl_summary_view_free(&pc.v);
	return rc;
}

int sl_plot_index_read(const char *dir, struct sl_plot_entry *entries, int max)
{
	char path[PATH_MAX + 64], *text, *line, *save = NULL;
	int n = 0;

	snprintf(path, sizeof(path), "%s/plots/index.tsv", dir);
	text = sl_read_file_nofollow(path, NULL);
	if (!text)
		return -errno;
	for (line = strtok_r(text, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save)) {
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;

		if (!t1 || !t2)
			continue;
		*t1 = *t2 = '\0';
		snprintf(entries[n].name, sizeof(entries[n].name), "%s", line);
		snprintf(entries[n].title, sizeof(entries[n].title), "%s", t1 + 1);
		snprintf(entries[n].caption, sizeof(entries[n].caption), "%s", t2 + 1);
		n++;
	}
	free(text);
	return n;
}

int sl_cmd_plot(int argc, char **argv)
{
	static const struct option longopts[] = { { "quiet", no_argument, NULL, 'q' }, { NULL, 0, NULL, 0 } };
	bool quiet = false;
	int ndirs = 0, failed = 0, c;
	char **dirs = calloc((size_t)argc, sizeof(*dirs));
	struct sl_opts o;

	if (!dirs) {
		sl_err("plot: out of memory");
		return SL_EXIT_USAGE;
	}
	/* every option first: --quiet anywhere applies to every directory */
	sl_opts_init(&o, "plot", argc, argv, "q", longopts);
	while ((c = sl_opts_next(&o)) != SL_OPT_END) {
		if (c == 'q') {
			quiet = true;
		} else if (c == SL_OPT_ARG) {
			dirs[ndirs++] = o.arg;
		} else {
			free(dirs);
			return SL_EXIT_USAGE;
		}
	}
	for (int i = 0; i < ndirs; i++) {
		int rc = sl_plot_dir(dirs[i], quiet);

		if (rc < 0)
			failed++;
		else if (rc == 0 && !quiet)
			printf("%s: no plot applies to this data\n", dirs[i]);
	}
	free(dirs);
	if (!ndirs) {
		sl_err("plot: which result directory? (usage: speedlab plot [--quiet] DIR...)");
		return SL_EXIT_USAGE;
	}
	return failed ? SL_EXIT_USAGE : SL_EXIT_OK;
}
