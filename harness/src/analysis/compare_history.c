/* compare_history.c: results/history.csv: appending a run's figures, reading them back (untrusted),
 * finding where each series' level shifted, and the data files of the trend plots.
 *
 * Rows are appended in run order, so the file order is the time order. A series is one machine,
 * experiment, configuration and metric. Its verdict compares the level (median) of its last
 * segment with that of its first segment within the window, and only when a change point was
 * found: a drift of 1% per commit becomes a staircase of change points whose steps add up. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis/compare_history.h"
#include "core/csv.h"
#include "core/stats.h"

#define HISTORY_MAX_VALUE 1e12
#define HISTORY_BOOTSTRAP 2000

static const char *const history_cols[] = {
	"commit", "date", "machine", "experiment", "config", "metric", "value", "ci_lo", "ci_hi",
};
#define HISTORY_NCOLS (sizeof(history_cols) / sizeof(history_cols[0]))

/* ---- recording ---- */

static bool run_axis_varies(const struct sl_cmp_run *r, size_t a)
{
	for (size_t i = 1; i < r->nconfigs; i++)
		if (strcmp(r->configs[i].values[a], r->configs[0].values[a]) != 0)
			return true;
	return false;
}

/* "k=v k=v" of the axes that vary within the run ("all" when none): the label compare uses too. */
static void put_label(FILE *f, const struct sl_cmp_run *r, const struct sl_cmp_config *c)
{
	char *label = NULL;
	size_t len = 0, n = 0;
	FILE *m = open_memstream(&label, &len);

	if (!m)
		return;
	for (size_t a = 0; a < r->naxes; a++)
		if (run_axis_varies(r, a))
			fprintf(m, "%s%s=%s", n++ ? " " : "", r->axes[a], c->values[a]);
	if (!n)
		fputs("all", m);
	if (fclose(m) == 0)
		sl_csv_put(f, label);
	free(label);
}

static void put_row(FILE *f, const char *commit, const char *date, const struct sl_cmp_run *r,
		    const struct sl_cmp_config *c, const char *metric, double v, double lo, double hi)
{
	sl_csv_put(f, commit);
	fputc(',', f);
	sl_csv_put(f, date);
	fputc(',', f);
	sl_csv_put(f, r->fingerprint);
	fputc(',', f);
	sl_csv_put(f, r->experiment);
	fputc(',', f);
	put_label(f, r, c);
	fputc(',', f);
	sl_csv_put(f, metric);
	fputc(',', f);
	sl_csv_put_num(f, v);
	fputc(',', f);
	sl_csv_put_num(f, lo);
	fputc(',', f);
	sl_csv_put_num(f, hi);
	fputc('\n', f);
}

/* One configuration's value of a metric and its CI; false when the metric does not apply. */
static bool metric_value(const struct sl_cmp_run *r, const struct sl_cmp_config *c, const struct sl_cmp_metric *m,
			 double *v, double *lo, double *hi)
{
	size_t wall = 0, k = 0;
	double *x, *t1;
	const struct sl_cmp_config *one;
	double scale;

	if (!c->nok)
		return false;
	if (m->kind == SL_CMP_RAW) {
		x = malloc(c->nok * sizeof(*x));
		if (!x)
			return false;
		for (size_t i = 0; i < c->nok; i++)
			if (isfinite(c->m[i * sl_metric_ncolumns + (size_t)m->column]))
				x[k++] = c->m[i * sl_metric_ncolumns + (size_t)m->column];
		if (k) {
			*v = sl_stats_median(x, k);
			sl_stats_bootstrap_median_ci(x, k, HISTORY_BOOTSTRAP, 0.95, 0x415, lo, hi);
		}
		free(x);
		return k > 0;
	}
	if (c->processes <= 1 || c->one_process < 0 || !r->configs[c->one_process].nok)
		return false;
	one = &r->configs[c->one_process];
	while (wall < sl_metric_ncolumns && strcmp(sl_metric_columns[wall].name, "wall_s") != 0)
		wall++;
	x = malloc(c->nok * sizeof(*x));
	t1 = malloc(one->nok * sizeof(*t1));
	if (!x || !t1) {
		free(x);
		free(t1);
		return false;
	}
	for (size_t i = 0; i < c->nok; i++)
		x[i] = c->m[i * sl_metric_ncolumns + wall];
	for (size_t i = 0; i < one->nok; i++)
		t1[i] = one->m[i * sl_metric_ncolumns + wall];
	scale = m->kind == SL_CMP_EFFICIENCY ? (double)c->processes : 1;
	*v = sl_stats_median(t1, one->nok) / sl_stats_median(x, c->nok) / scale;
	sl_stats_bootstrap_ratio_ci(t1, one->nok, x, c->nok, HISTORY_BOOTSTRAP, 0.95, 0x415, lo, hi);
	*lo /= scale;
	*hi /= scale;
	free(x);
	free(t1);
	return isfinite(*v);
}

/* Check an existing file: our header, and a last line that ended. 0, 1 when empty/new, or error. */
static int check_existing(const char *path)
{
	char buf[sizeof(SL_HISTORY_HEADER)], last;   /* the header and its newline */
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	ssize_t got;

	if (fd < 0)
		return errno == ENOENT ? 1 : -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		sl_err_at(path, 0, "not a regular file");
		goto out_close;
	}
	if (st.st_size == 0) {
		err = 1;
		goto out_close;
	}
	got = pread(fd, buf, sizeof(buf), 0);
	if (got != (ssize_t)sizeof(buf) || memcmp(buf, SL_HISTORY_HEADER "\n", sizeof(buf)) != 0) {
		err = -EINVAL;
		sl_err_at(path, 1, "not a history file (the header must be %s)", SL_HISTORY_HEADER);
		goto out_close;
	}
	if (pread(fd, &last, 1, st.st_size - 1) != 1 || last != '\n') {
		err = -EINVAL;
		sl_err_at(path, 0, "the last line is incomplete (an interrupted write?): fix or remove it");
		goto out_close;
	}
out_close:
	close(fd);
	if (err < 0 && err != -EINVAL)
		sl_err_at(path, 0, "cannot read: %s", sl_strerror(-err));
	return err;
}

int sl_history_record(const char *path, const struct sl_cmp_run *run, const struct sl_cmp_options *o,
		      const char *commit, const char *date)
{
	struct sl_cmp_metric metrics[SL_CMP_MAX_METRICS];
	size_t nmetrics = 0;
	char now[40];
	char *buf = NULL;
	size_t len = 0;
	int rows = 0, fd, err;
	FILE *f;

	if (!date || !date[0]) {
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
		date = now;
	}
	if (!commit || !commit[0])
		commit = run->commit[0] ? run->commit : "unknown";
	if (o->nmetrics) {
		for (int i = 0; i < o->nmetrics && i < SL_CMP_MAX_METRICS; i++)
			metrics[nmetrics++] = o->metrics[i];
	} else {
		for (size_t i = 0; sl_cmp_default_metrics[i]; i++)
			if (sl_cmp_metric_find(sl_cmp_default_metrics[i], &metrics[nmetrics]))
				nmetrics++;
	}
	err = check_existing(path);
	if (err < 0)
		return err;
	f = open_memstream(&buf, &len);
	if (!f) {
		sl_err_at(path, 0, "out of memory");
		return -ENOMEM;
	}
	if (err == 1)
		fputs(SL_HISTORY_HEADER "\n", f);
	for (size_t i = 0; i < run->nconfigs; i++)
		for (size_t k = 0; k < nmetrics; k++) {
			double v = NAN, lo = NAN, hi = NAN;

			if (metric_value(run, &run->configs[i], &metrics[k], &v, &lo, &hi)) {
				put_row(f, commit, date, run, &run->configs[i], metrics[k].name, v, lo, hi);
				rows++;
			}
		}
	if (fclose(f) != 0) {
		free(buf);
		sl_err_at(path, 0, "out of memory");
		return -ENOMEM;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0) {
		err = -errno;
		sl_err_at(path, 0, "cannot open for appending: %s", sl_strerror(errno));
		goto out_free_buf;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			err = -errno;
			sl_err_at(path, 0, "cannot write: %s", sl_strerror(errno));
			close(fd);
			goto out_free_buf;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		err = -errno;
		sl_err_at(path, 0, "cannot write: %s", sl_strerror(errno));
		goto out_free_buf;
	}
	err = rows;
out_free_buf:
	free(buf);
	return err;
}

/* ---- reading ---- */

void sl_history_free(struct sl_history *h)
{
	for (size_t i = 0; i < h->nseries; i++) {
		free(h->series[i].config);
		free(h->series[i].pts);
	}
	free(h->series);
	memset(h, 0, sizeof(*h));
}

struct group {
	const char *machine, *experiment, *commit, *date;
	size_t run;
};

static bool cell_fits(const char *path, int line, const char *col, const char *v, size_t max)
{
	if (!v[0]) {
		sl_err_at(path, line, "empty %s", col);
		return false;
	}
	if (strlen(v) >= max) {
		sl_err_at(path, line, "%s longer than %zu bytes", col, max - 1);
		return false;
	}
	return true;
}

static bool cell_num(const char *path, int line, const char *col, const char *v, bool optional, double *out)
{
	if (!v[0] && optional) {
		*out = NAN;
		return true;
	}
	if (!sl_parse_double(v, out)) {
		sl_err_at(path, line, "%s: '%.40s' is not a finite number", col, v);
		return false;
	}
	if (*out < 0 || *out > HISTORY_MAX_VALUE) {
		sl_err_at(path, line, "%s: %g is out of range (0 to %g)", col, *out, HISTORY_MAX_VALUE);
		return false;
	}
	return true;
}

int sl_history_parse(struct sl_history *h, const char *name, const char *text, size_t len)
{
	struct sl_csv csv;
	struct group *groups = NULL;
	size_t ngroups = 0, cap = 0, hint = 0;
	int err;

	memset(h, 0, sizeof(*h));
	snprintf(h->path, sizeof(h->path), "%s", name);
	err = sl_csv_parse(name, text, len, &csv, 0);
	if (err < 0)
		return err;
	err = -EINVAL;
	if (csv.ncols != HISTORY_NCOLS) {
		sl_err_at(name, 1, "not a history file (the header must be %s)", SL_HISTORY_HEADER);
		goto out_free;
	}
	for (size_t c = 0; c < HISTORY_NCOLS; c++)
		if (strcmp(csv.header[c], history_cols[c]) != 0) {
			sl_err_at(name, 1, "not a history file (the header must be %s)", SL_HISTORY_HEADER);
			goto out_free;
		}
	groups = calloc(csv.nrows + 1, sizeof(*groups));
	if (!groups)
		goto out_nomem;
	for (size_t row = 0; row < csv.nrows; row++) {
		char **cell = csv.rows[row];
		int line = csv.lines[row];
		struct sl_cmp_metric metric;
		struct sl_history_series *s = NULL;
		struct sl_history_point *pt;
		struct group *g = NULL;
		double v, lo, hi;

		if (!cell_fits(name, line, "commit", cell[0], sizeof(pt->commit)) ||
		    !cell_fits(name, line, "date", cell[1], sizeof(pt->date)) ||
		    !cell_fits(name, line, "machine", cell[2], sizeof(s->machine)) ||
		    !cell_fits(name, line, "experiment", cell[3], SL_NAME_LEN) ||
		    !cell_fits(name, line, "config", cell[4], 4096) ||
		    !cell_fits(name, line, "metric", cell[5], SL_NAME_LEN))
			goto out_free;
		if (!sl_cmp_metric_find(cell[5], &metric)) {
			sl_err_at(name, line, "unknown metric '%.60s'", cell[5]);
			goto out_free;
		}
		if (!cell_num(name, line, "value", cell[6], false, &v) || !cell_num(name, line, "ci_lo", cell[7], true, &lo) ||
		    !cell_num(name, line, "ci_hi", cell[8], true, &hi))
			goto out_free;
		for (size_t i = 0; i < ngroups; i++)
			if (strcmp(groups[i].machine, cell[2]) == 0 && strcmp(groups[i].experiment, cell[3]) == 0) {
				g = &groups[i];
				break;
			}
		if (!g) {
			g = &groups[ngroups++];
			*g = (struct group){ cell[2], cell[3], cell[0], cell[1], 0 };
		} else if (strcmp(g->commit, cell[0]) != 0 || strcmp(g->date, cell[1]) != 0) {
			g->commit = cell[0];
			g->date = cell[1];
			g->run++;
		}
		/* a CI run appends its rows in the same series order every time: try the next series first */
		for (size_t k = hint + 1, tries = 0; !s && tries < 2 && h->nseries; tries++, k = hint) {
			struct sl_history_series *t = &h->series[k % h->nseries];

			if (!strcmp(t->machine, cell[2]) && !strcmp(t->experiment, cell[3]) && !strcmp(t->config, cell[4]) &&
			    !strcmp(t->metric.name, cell[5])) {
				s = t;
				hint = k % h->nseries;
			}
		}
		for (size_t i = 0; !s && i < h->nseries; i++) {
			struct sl_history_series *t = &h->series[i];

			if (!strcmp(t->machine, cell[2]) && !strcmp(t->experiment, cell[3]) && !strcmp(t->config, cell[4]) &&
			    !strcmp(t->metric.name, cell[5])) {
				s = t;
				hint = i;
			}
		}
		if (!s) {
			if (h->nseries == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct sl_history_series *n = realloc(h->series, ncap * sizeof(*n));

				if (!n)
					goto out_nomem;
				h->series = n;
				cap = ncap;
			}
			s = &h->series[h->nseries];
			memset(s, 0, sizeof(*s));
			s->config = strdup(cell[4]);
			if (!s->config)
				goto out_nomem;
			h->nseries++;
			hint = h->nseries - 1;
			snprintf(s->machine, sizeof(s->machine), "%s", cell[2]);
			snprintf(s->experiment, sizeof(s->experiment), "%s", cell[3]);
			s->metric = metric;
		}
		if (s->n && s->pts[s->n - 1].run == g->run) {
			sl_err_at(name, line, "%s of '%.60s' appears twice in one run (commit %.20s, %.40s)", cell[5], cell[4],
				  cell[0], cell[1]);
			goto out_free;
		}
		pt = realloc(s->pts, (s->n + 1) * sizeof(*pt));
		if (!pt)
			goto out_nomem;
		s->pts = pt;
		pt = &s->pts[s->n++];
		*pt = (struct sl_history_point){ v, lo, hi, g->run, line, "", "" };
		snprintf(pt->commit, sizeof(pt->commit), "%s", cell[0]);
		snprintf(pt->date, sizeof(pt->date), "%s", cell[1]);
	}
	err = 0;
	goto out_free;

out_nomem:
	sl_err_at(name, 0, "out of memory");
	err = -ENOMEM;
out_free:
	free(groups);
	sl_csv_free(&csv);
	if (err < 0)
		sl_history_free(h);
	return err;
}

int sl_history_load(const char *path, struct sl_history *h)
{
	size_t len;
	char *text = sl_read_file(path, &len);
	int err;

	memset(h, 0, sizeof(*h));
	if (!text) {
		err = -errno;
		sl_err_at(path, 0, "cannot read: %s", sl_strerror(errno));
		return err;
	}
	err = sl_history_parse(h, path, text, len);
	free(text);
	return err;
}

/* ---- analysis ---- */

int sl_history_analyse(struct sl_history *h, size_t window, const struct sl_cmp_options *o,
		       const struct sl_cp_options *cpo)
{
	memset(h->counts, 0, sizeof(h->counts));
	h->window = window;
	h->threshold_pct = o->threshold_pct;
	h->alpha = cpo->alpha;
	for (size_t i = 0; i < h->nseries; i++) {
		struct sl_history_series *s = &h->series[i];
		size_t m, cp[SL_HISTORY_MAX_STEPS], bounds[SL_HISTORY_MAX_STEPS + 2];
		double *x, thr = sl_cmp_threshold(o, s->metric.name), first, last;
		int found;

		s->first = window && s->n > window ? s->n - window : 0;
		m = s->n - s->first;
		s->nsteps = 0;
		s->change_pct = 0;
		s->verdict = SL_VERDICT_UNCHANGED;
		s->analysed = m >= 2 * (size_t)(cpo->min_segment > 0 ? cpo->min_segment : 1);
		if (!s->analysed) {
			h->counts[s->verdict]++;
			continue;
		}
		x = malloc(m * sizeof(*x));
		if (!x) {
			sl_err_at(h->path, 0, "out of memory");
			return -ENOMEM;
		}
		for (size_t k = 0; k < m; k++)
			x[k] = s->pts[s->first + k].value;
		found = sl_cp_detect(x, m, cpo, cp, SL_HISTORY_MAX_STEPS);
		if (found < 0) {
			free(x);
			sl_err_at(h->path, 0, "out of memory");
			return -ENOMEM;
		}
		s->nsteps = (size_t)found;
		bounds[0] = 0;
		for (size_t k = 0; k < s->nsteps; k++) {
			bounds[k + 1] = cp[k];
			s->steps[k] = s->first + cp[k];
		}
		bounds[s->nsteps + 1] = m;
		for (size_t k = 0; k <= s->nsteps; k++)
			s->levels[k] = sl_stats_median(x + bounds[k], bounds[k + 1] - bounds[k]);
		free(x);
		first = s->levels[0];
		last = s->levels[s->nsteps];
		if (s->nsteps && first > 0) {
			s->change_pct = (last / first - 1) * 100;
			if (fabs(s->change_pct) > thr) {
				if (s->metric.better == 0)
					s->verdict = SL_VERDICT_CHANGED;
				else if ((s->metric.better < 0) == (s->change_pct > 0))
					s->verdict = SL_VERDICT_REGRESSION;
				else
					s->verdict = SL_VERDICT_IMPROVEMENT;
			}
		}
		h->counts[s->verdict]++;
	}
	if (h->counts[SL_VERDICT_REGRESSION])
		h->overall = SL_VERDICT_REGRESSION;
	else if (h->counts[SL_VERDICT_IMPROVEMENT])
		h->overall = SL_VERDICT_IMPROVEMENT;
	else if (h->counts[SL_VERDICT_CHANGED])
		h->overall = SL_VERDICT_CHANGED;
	else
		h->overall = SL_VERDICT_UNCHANGED;
	return 0;
}

int sl_history_exit_code(const struct sl_history *h)
{
	return h->counts[SL_VERDICT_REGRESSION] ? SL_EXIT_FINDING : SL_EXIT_OK;
}

static void md_text(FILE *f, const char *s, size_t max)
{
	for (size_t i = 0; s[i] && i < max; i++) {
		if (s[i] == '|')
			fputs("\\|", f);
		else if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			fputc(' ', f);
		else
			fputc(s[i], f);
	}
}

void sl_history_markdown(const struct sl_history *h, FILE *f)
{
	size_t shifted = 0, analysed = 0;

	for (size_t i = 0; i < h->nseries; i++) {
		shifted += h->series[i].nsteps > 0;
		analysed += h->series[i].analysed;
	}
	fprintf(f, "**speedlab history: %s** — %zu regression%s, %zu improvement%s; %zu of %zu series with a "
		   "level shift (last %zu runs; Pettitt change points, permutation test α = %g; threshold %g%%)\n\n",
		sl_verdict_name(h->overall), h->counts[SL_VERDICT_REGRESSION],
		h->counts[SL_VERDICT_REGRESSION] == 1 ? "" : "s", h->counts[SL_VERDICT_IMPROVEMENT],
		h->counts[SL_VERDICT_IMPROVEMENT] == 1 ? "" : "s", shifted, analysed, h->window, h->alpha,
		h->threshold_pct);
	if (!shifted)
		return;
	fputs("| machine | experiment | configuration | metric | runs | change points: commit date (level before → after) "
	      "| last vs first level | verdict |\n|---|---|---|---|---:|---|---:|---|\n", f);
	for (size_t i = 0; i < h->nseries; i++) {
		const struct sl_history_series *s = &h->series[i];

		if (!s->nsteps)
			continue;
		fputs("| ", f);
		md_text(f, s->machine, 12);
		fputs(" | ", f);
		md_text(f, s->experiment, SL_NAME_LEN);
		fputs(" | ", f);
		md_text(f, s->config, 4096);
		fprintf(f, " | %s | %zu | ", s->metric.name, s->n - s->first);
		for (size_t k = 0; k < s->nsteps; k++) {
			fputs(k ? "; " : "", f);
			md_text(f, s->pts[s->steps[k]].commit, 12);
			fputs(" ", f);
			md_text(f, s->pts[s->steps[k]].date, 16);
			fprintf(f, " (%.4g → %.4g)", s->levels[k], s->levels[k + 1]);
		}
		fprintf(f, " | %+.1f%% | %s%s%s |\n", s->change_pct, s->verdict == SL_VERDICT_REGRESSION ? "**" : "",
			sl_verdict_name(s->verdict), s->verdict == SL_VERDICT_REGRESSION ? "**" : "");
	}
}

json_t *sl_history_json(const struct sl_history *h)
{
	json_t *root = json_pack("{s:s, s:s, s:I, s:f, s:f}", "history", h->path, "verdict",
				 sl_verdict_name(h->overall), "window", (json_int_t)h->window, "alpha", h->alpha,
				 "threshold_pct", h->threshold_pct);
	json_t *arr = json_array();

	if (!root || !arr)
		goto out_nomem;
	for (size_t i = 0; i < h->nseries; i++) {
		const struct sl_history_series *s = &h->series[i];
		json_t *steps = json_array(), *js;

		if (!steps)
			goto out_nomem;
		for (size_t k = 0; k < s->nsteps; k++) {
			const struct sl_history_point *p = &s->pts[s->steps[k]];
			json_t *st = json_pack("{s:I, s:s, s:s, s:f, s:f}", "index", (json_int_t)s->steps[k], "commit",
					       p->commit, "date", p->date, "before", s->levels[k], "after", s->levels[k + 1]);

			if (!st || json_array_append_new(steps, st) < 0) {
				json_decref(steps);
				goto out_nomem;
			}
		}
		js = json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:o, s:f, s:s}", "machine", s->machine, "experiment",
			       s->experiment, "config", s->config, "metric", s->metric.name, "points",
			       (json_int_t)(s->n - s->first), "analysed", s->analysed, "steps", steps, "change_pct",
			       s->change_pct, "verdict", sl_verdict_name(s->verdict));
		if (!js || json_array_append_new(arr, js) < 0)
			goto out_nomem;
	}
	if (json_object_set_new(root, "series", arr) < 0)
		goto out_nomem_root;
	return root;

out_nomem:
	json_decref(arr);
out_nomem_root:
	json_decref(root);
	return NULL;
}

/* ---- plot data ---- */

static void put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		fputc(*s == '"' || *s == '\\' || (unsigned char)*s < 0x20 ? '\'' : *s, f);
	fputc('"', f);
}

static void put_word(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s <= ' ' || *s == '"' || *s == '#' ? '_' : *s, f);
}

static void put_gp_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fputs("NaN", f);
}

/* The machine that ran experiment last (by line in the file). */
static const char *latest_machine(const struct sl_history *h, const char *experiment)
{
	const char *m = NULL;
	int best = 0;

	for (size_t i = 0; i < h->nseries; i++) {
		const struct sl_history_series *s = &h->series[i];

		if (strcmp(s->experiment, experiment) != 0 || !s->n)
			continue;
		if (!m || s->pts[s->n - 1].line > best) {
			m = s->machine;
			best = s->pts[s->n - 1].line;
		}
	}
	return m;
}

static int write_pair(const struct sl_history *h, const char *dir, const char *experiment, const char *machine,
		      const char *metric)
{
	char stem[SL_NAME_LEN * 2 + 2], exp_safe[SL_NAME_LEN], path[1200];
	FILE *dat, *steps;
	int err = 0;

	sl_cmp_path_component(experiment, exp_safe, sizeof(exp_safe));
	snprintf(stem, sizeof(stem), "%s.%s", exp_safe, metric);
	snprintf(path, sizeof(path), "%s/%s.dat", dir, stem);
	dat = sl_fopen_output(path, false);
	if (!dat) {
		err = -errno;
		sl_err_at(path, 0, "cannot write: %s", sl_strerror(errno));
		return err;
	}
	snprintf(path, sizeof(path), "%s/%s.steps", dir, stem);
	steps = sl_fopen_output(path, false);
	if (!steps) {
		err = -errno;
		sl_err_at(path, 0, "cannot write: %s", sl_strerror(errno));
		fclose(dat);
		return err;
	}
	fputs("# run value ci_lo ci_hi commit\n", dat);
	fputs("# run level_after\n", steps);
	for (size_t i = 0; i < h->nseries; i++) {
		const struct sl_history_series *s = &h->series[i];

		if (strcmp(s->experiment, experiment) || strcmp(s->machine, machine) || strcmp(s->metric.name, metric))
			continue;
		put_quoted(dat, s->config);
		fputc('\n', dat);
		for (size_t k = s->first; k < s->n; k++) {
			const struct sl_history_point *p = &s->pts[k];

			fprintf(dat, "%zu ", p->run);
			put_gp_num(dat, p->value);
			fputc(' ', dat);
			put_gp_num(dat, p->ci_lo);
			fputc(' ', dat);
			put_gp_num(dat, p->ci_hi);
			fputc(' ', dat);
			put_word(dat, p->commit);
			fputc('\n', dat);
		}
		fputs("\n\n", dat);
		for (size_t k = 0; k < s->nsteps; k++) {
			fprintf(steps, "%zu ", s->pts[s->steps[k]].run);
			put_gp_num(steps, s->pts[s->steps[k]].value);
			fputc('\n', steps);
		}
	}
	if (ferror(dat) | ferror(steps))
		err = -EIO;
	if (fclose(dat) != 0)
		err = -EIO;
	if (fclose(steps) != 0)
		err = -EIO;
	if (err)
		sl_err_at(dir, 0, "cannot write the plot data of %s", stem);
	return err;
}

int sl_history_plot_data(const struct sl_history *h, const char *dir)
{
	int files = 0, err = sl_mkdir_p(dir);

	if (err < 0) {
		sl_err_at(dir, 0, "cannot create: %s", sl_strerror(-err));
		return err;
	}
	for (size_t i = 0; i < h->nseries; i++) {
		const struct sl_history_series *s = &h->series[i];
		const char *machine = latest_machine(h, s->experiment);
		bool seen = false;

		if (!machine || strcmp(machine, s->machine) != 0)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(h->series[j].experiment, s->experiment) && !strcmp(h->series[j].machine, s->machine) &&
			       !strcmp(h->series[j].metric.name, s->metric.name);
		if (seen)
			continue;
		err = write_pair(h, dir, s->experiment, s->machine, s->metric.name);
		if (err < 0)
			return err;
		files++;
	}
	return files;
}
