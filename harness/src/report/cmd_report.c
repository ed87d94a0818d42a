/* cmd_report.c: `speedlab report`: report.md and a self-contained index.html for one result directory
 * (or one combined report over several): machine, findings computed from the numbers, plots, tables. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cmd.h"
#include "core/opts.h"
#include "analysis/findings.h"
#include "report/report.h"
#include "results/results.h"
#include "report/seeds.h"
#include "report/tables.h"

#define MAX_DIRS 256
#define MAX_FAILED 256

/* One experiment's result directory, read. */
struct expt {
	const char *dir;
	char rel[PATH_MAX];            /* dir relative to the report's directory (for links) */
	struct sl_meta meta;           /* meta.json, typed (the one reader) */
	struct sl_summary_view v;
	struct sl_machine m;
	struct sl_findings f;
	char name[128];
	char question[512];
	char workload[SL_NAME_LEN];
	size_t nok, nskipped;
	char skip_reason[SL_STATUS_LEN];
	char plot_error[256];
	bool bad_input;          /* a result file could not be read: the report exits 2 */
	char answer[1024];             /* the Answer line's text (sl_answer) */
	char brief[512];               /* its short form, for the key-results table */
};

/* The path of dir relative to base ("." when the same, "../x" when a sibling), so the report and the
 * result directories can be moved together; dir as given when either cannot be resolved. */
static void relative_to(const char *base, const char *dir, char *out, size_t len)
{
	char rb[PATH_MAX], rd[PATH_MAX];
	size_t common = 0, n = 0;

	if (!realpath(base, rb) || !realpath(dir, rd)) {
		snprintf(out, len, "%s", dir);
		return;
	}
	/* the longest common prefix that ends at a path component */
	for (size_t i = 0;; i++) {
		bool end_b = rb[i] == '\0' || rb[i] == '/', end_d = rd[i] == '\0' || rd[i] == '/';

		if (end_b && end_d)
			common = i;
		if (rb[i] != rd[i] || rb[i] == '\0')
			break;
	}
	out[0] = '\0';
	for (const char *p = rb + common; *p; p++)
		if (*p == '/' && n + 4 < len)
			n += (size_t)snprintf(out + n, len - n, "../");
	if (rd[common] == '/')
		snprintf(out + n, len - n, "%s", rd + common + 1);
	else if (n > 0)
		out[n - 1] = '\0';   /* drop the last slash */
	else
		snprintf(out, len, ".");
}

/* Whether dir/plots/index.tsv exists and is newer than dir/summary.csv. */
static bool plots_fresh(const char *dir)
{
	char a[PATH_MAX + 32], b[PATH_MAX + 32];
	struct stat sa, sb;

	snprintf(a, sizeof(a), "%s/plots/index.tsv", dir);
	snprintf(b, sizeof(b), "%s/summary.csv", dir);
	if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
		return false;
	return sa.st_mtim.tv_sec > sb.st_mtim.tv_sec ||
	       (sa.st_mtim.tv_sec == sb.st_mtim.tv_sec && sa.st_mtim.tv_nsec >= sb.st_mtim.tv_nsec);
}

static void expt_free(struct expt *e)
{
	sl_summary_view_free(&e->v);
}

/* Read dir: summary, meta, findings; render the plots if they are missing or stale.
 * Returns 0, or -errno/-EINVAL with the reason printed. */
static int expt_load(struct expt *e, const char *dir, const char *report_dir)
{
	char path[PATH_MAX + 32], buf[256];
	struct stat st;
	int rc;

	memset(e, 0, sizeof(*e));
	e->dir = dir;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		sl_err_at(dir, 0, "%s", stat(dir, &st) != 0 ? sl_strerror(errno) : "not a directory");
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	rc = sl_summary_view_load(path, &e->v);
	if (rc)
		return rc;
	if (sl_meta_load(dir, &e->meta) != 0) {
		sl_summary_view_free(&e->v);
		return -EINVAL;
	}
	relative_to(report_dir, dir, e->rel, sizeof(e->rel));
	e->m = e->meta.m;
	{
		const char *slash = strrchr(dir, '/');

		snprintf(e->name, sizeof(e->name), "%s", e->meta.name);
		if (!e->name[0]) {
			while (slash && slash > dir && slash[1] == '\0')
				slash--;
			snprintf(e->name, sizeof(e->name), "%s", slash ? slash + 1 : dir);
		}
		snprintf(e->question, sizeof(e->question), "%s", e->meta.question);
		snprintf(e->workload, sizeof(e->workload), "%s", e->meta.workload);
		if (!e->workload[0] && e->v.c_workload >= 0 && sl_sv_rows(&e->v))
			snprintf(e->workload, sizeof(e->workload), "%s", sl_sv_text(&e->v, 0, e->v.c_workload));
	}
	for (size_t r = 0; r < sl_sv_rows(&e->v); r++) {
		const char *s = sl_sv_text(&e->v, r, e->v.c_status);

		if (sl_sv_row_ok(&e->v, r))
			e->nok++;
		else if (strncmp(s, "skipped", 7) == 0) {
			e->nskipped++;
			snprintf(e->skip_reason, sizeof(e->skip_reason), "%s", s[7] == ':' ? s + 8 : s);
		}
	}
	/* what the answer is measured in: findings and the Answer line rank by it */
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	if (e->meta.metric[0] && sl_sv_set_metric(&e->v, e->meta.metric, path) != 0)
		sl_warn("%s: the answer is given in wall_s instead", path);
	sl_findings_compute(&e->v, &e->m, e->workload, &e->f);
	sl_answer(&e->v, &e->m, false, e->answer, sizeof(e->answer));
	sl_answer(&e->v, &e->m, true, e->brief, sizeof(e->brief));
	if (!plots_fresh(dir)) {
		rc = sl_plot_dir(dir, true);
		/* gnuplot failing (-EIO) or missing is said in the report; a file that cannot be read fails it */
		e->bad_input = rc < 0 && rc != -EIO && rc != -ENOENT;
		if (rc < 0)
			snprintf(e->plot_error, sizeof(e->plot_error), "the plots could not be rendered (%s); see the "
				 "message above or run 'speedlab plot %s'", sl_strerror(-rc), dir);
	}
	(void)buf;
	return 0;
}

/* ---- Markdown ---- */

static void md_machine(FILE *md, const struct expt *e)
{
	char line[512], kernel[160] = "";

	sl_machine_line(&e->m, line, sizeof(line));
	if (e->m.kernel[0])
		snprintf(kernel, sizeof(kernel), " · %s", e->m.kernel);
	fprintf(md, "**Machine:** %s%s\n", line, kernel);
}

static void md_run(FILE *md, const struct expt *e)
{
	const struct sl_meta *m = &e->meta;

	fprintf(md, "**Run:** workload `%s` · %zu configurations", e->workload[0] ? e->workload : "?",
		sl_sv_rows(&e->v));
	if (m->repeats > 0)
		fprintf(md, " × %d repetition%s", m->repeats, m->repeats == 1 ? "" : "s");
	if (m->profile[0])
		fprintf(md, " · profile %s", m->profile);
	if (m->start[0])
		fprintf(md, " · started %s", m->start);
	if (m->end[0])
		fprintf(md, " · ended %s", m->end);
	if (m->commit[0])
		fprintf(md, " · commit `%s`", m->commit);
	if (m->seed)
		fprintf(md, " · seed %lld", m->seed);
	fputc('\n', md);
	if (m->command[0])
		fprintf(md, "**Command:** `%s`\n", m->command);
}

/* Where the workers ran, when the sweep placed them (meta.json's placement, as sl_meta_load reads it). */
static void md_placement(FILE *md, const struct expt *e)
{
	if (e->meta.placement[0])
		fprintf(md, "**Placement:** %s\n", e->meta.placement);
}

static void hashes(FILE *md, int level)
{
	for (int i = 0; i < level; i++)
		fputc('#', md);
	fputc(' ', md);
}

/* A path in a Markdown link: dir's relative path joined with file. */
static void md_path(FILE *md, const struct expt *e, const char *file)
{
	if (strcmp(e->rel, ".") == 0)
		fprintf(md, "%s", file);
	else
		fprintf(md, "%s/%s", e->rel, file);
}

/* The findings as a list, folded on their own (wrap) or inside the section's one folded part. */
static void md_findings(FILE *md, const struct expt *e, bool wrap)
{
	if (e->f.n == 0)
		return;
	if (wrap)
		fprintf(md, "<details>\n<summary>Findings (%d)</summary>\n\n", e->f.n);
	for (int i = 0; i < e->f.n; i++) {
		const struct sl_finding *f = &e->f.items[i];

		fprintf(md, "- **%s:** %s\n", f->kind == SL_FINDING_ADVICE ? "Advice" :
					     f->kind == SL_FINDING_PROBLEM ? "Problem" : "Finding", f->text);
	}
	fprintf(md, wrap ? "\n</details>\n\n" : "\n");
}

/* One plot: as an image (embedded in index.html) or, folded in a combined report, as a link. */
static void md_plot(FILE *md, const struct expt *e, const struct sl_plot_entry *pl, bool image)
{
	char file[160];

	if (image) {
		snprintf(file, sizeof(file), "plots/%s.png", pl->name);
		fprintf(md, "![%s](", pl->title);
		md_path(md, e, file);
		fprintf(md, ")\n*%s*", pl->caption);
		fprintf(md, " ([SVG](");
		snprintf(file, sizeof(file), "plots/%s.svg", pl->name);
		md_path(md, e, file);
		fprintf(md, "), [data](");
		snprintf(file, sizeof(file), "plots/%s.dat", pl->name);
		md_path(md, e, file);
		fprintf(md, "))\n\n");
		return;
	}
	snprintf(file, sizeof(file), "plots/%s.svg", pl->name);
	fprintf(md, "- [%s](", pl->title);
	md_path(md, e, file);
	fprintf(md, "): %s\n", pl->caption);
}

/* How well plot pl shows the experiment's answer: the speedup where processes are swept and the metric
 * is the run's time; else a plot named after the metric (start_latency for start_latency_ms) or after a
 * swept axis (chunksize); the generic ones (efficiency, cores busy, timelines) last. */
static int plot_score(const struct expt *e, const struct sl_plot_entry *pl)
{
	const struct sl_summary_view *v = &e->v;
	size_t n = strlen(pl->name);
	bool speedup = strncmp(pl->name, "speedup", 7) == 0;

	if (speedup && sl_sv_metric_is_time(v) && sl_summary_view_varies(v, v->c_processes))
		return 4;
	if (n && strncmp(v->metric, pl->name, n) == 0)
		return 3;
	for (int a = 0; a < v->naxes; a++) {
		const char *ax = v->csv.header[v->axes[a]];

		if (v->varies[a] && v->axes[a] != v->c_processes && strncmp(pl->name, ax, strlen(ax)) == 0)
			return 2;
	}
	if (speedup || strncmp(pl->name, "efficiency", 10) == 0 || strncmp(pl->name, "cores_busy", 10) == 0 ||
	    strncmp(pl->name, "timeline", 8) == 0)
		return 0;
	return 1;
}

/* The key plot (the one that best shows the answer) after the answer; the others folded: embedded in a
 * report of one experiment, links in a combined one (which stays small). */
static void md_plots(FILE *md, const struct expt *e, bool key, bool embed_rest)
{
	struct sl_plot_entry *pl = calloc(64, sizeof(*pl));
	int n = pl ? sl_plot_index_read(e->dir, pl, 64) : -ENOMEM, k = 0;

	for (int i = 1; i < n; i++)
		if (plot_score(e, &pl[i]) > plot_score(e, &pl[k]))
			k = i;
	if (e->plot_error[0]) {
		if (key)
			fprintf(md, "%s.\n\n", e->plot_error);
	} else if (key && n > 0) {
		md_plot(md, e, &pl[k], true);
	} else if (!key && n > 1 && embed_rest) {
		fprintf(md, "<details>\n<summary>More plots (%d)</summary>\n\n", n - 1);
		for (int i = 0; i < n; i++)
			if (i != k)
				md_plot(md, e, &pl[i], true);
		fprintf(md, "\n</details>\n\n");
	} else if (!key && n > 1) {
		/* one line of links (the captions are in each SVG's page and plots/index.tsv) */
		fprintf(md, "**Other plots:**");
		for (int i = 0, j = 0; i < n; i++) {
			char file[160];
			const char *title = pl[i].title;
			size_t nl = strlen(e->name);

			if (i == k)
				continue;
			if (strncmp(title, e->name, nl) == 0 && strncmp(title + nl, ": ", 2) == 0)
				title += nl + 2;   /* the section names the experiment */
			snprintf(file, sizeof(file), "plots/%s.svg", pl[i].name);
			fprintf(md, "%s [%s](", j++ ? " ·" : "", title);
			md_path(md, e, file);
			fputc(')', md);
		}
		fputc('\n', md);   /* the run's lines follow in the same paragraph */
	}
	free(pl);
}

static void fmt_cell(FILE *md, double x, const char *fmt)
{
	if (isnan(x))
		fputs(" |", md);
	else {
		fputc(' ', md);
		fprintf(md, fmt, x);
		fputs(" |", md);
	}
}

/* The pivot table: the metric over the swept axes, one row per value of the first (processes when
 * swept), one column per combination of the others; a list of configurations when they are too many. */
#define PIVOT_MAX_COLS 8

/* How many values column col takes. */
static int distinct_values(const struct sl_summary_view *v, int col)
{
	int k = 0;

	for (size_t r = 0; r < sl_sv_rows(v); r++) {
		bool seen = false;

		for (size_t q = 0; q < r && !seen; q++)
			seen = strcmp(sl_sv_text(v, q, col), sl_sv_text(v, r, col)) == 0;
		k += !seen;
	}
	return k;
}

/* A metric value for a table cell: the unit without "per task" (the column names the metric). */
static void pivot_value(const struct sl_summary_view *v, size_t r, char *buf, size_t len)
{
	char *tail;

	sl_sv_metric_fmt(v, sl_sv_metric(v, r), buf, len);
	tail = strstr(buf, " per task");
	if (tail)
		*tail = '\0';
}
static void md_pivot(FILE *md, const struct expt *e)
{
	const struct sl_summary_view *v = &e->v;
	size_t n = sl_sv_rows(v);
	int rowax = -1, skip_row[3] = { -1, v->c_series, -1 }, nrv = 0, ncv = 0;
	char (*rv)[64] = calloc(n + 1, 64), (*cv)[256] = calloc(n + 1, 256);
	bool speed = sl_sv_metric_is_time(v) && v->c_speedup >= 0 && sl_summary_view_varies(v, v->c_processes);
	long one = sl_sv_best_one_process(v, &e->m);

	if (!rv || !cv || n == 0)
		goto out;
	if (speed)
		rowax = v->c_processes;
	for (int a = 0, most = 0; a < v->naxes && !speed; a++) {
		int k = distinct_values(v, v->axes[a]);

		if (v->varies[a] && k > most) {
			most = k;
			rowax = v->axes[a];
		}
	}
	skip_row[0] = rowax;
	for (size_t r = 0; r < n; r++) {
		char label[256];
		bool seen = false;

		for (int i = 0; i < nrv && !seen; i++)
			seen = rowax >= 0 && strcmp(rv[i], sl_sv_text(v, r, rowax)) == 0;
		if (!seen)
			snprintf(rv[nrv++], 64, "%s", rowax >= 0 ? sl_sv_text(v, r, rowax) : "all");
		sl_sv_label(v, r, skip_row, label, sizeof(label));
		seen = false;
		for (int i = 0; i < ncv && !seen; i++)
			seen = strcmp(cv[i], label) == 0;
		if (!seen)
			snprintf(cv[ncv++], 256, "%s", label);
	}
	fprintf(md, "| %s |", rowax >= 0 ? v->csv.header[rowax] : "configuration");
	if (ncv > PIVOT_MAX_COLS) {
		/* too many columns to read: the configurations in a list, the best first is in the Answer */
		int skip[] = { rowax, v->c_series, -1 };

		fprintf(md, " configuration | %s |\n|---|---|---|\n", v->metric);
		for (size_t r = 0; r < n; r++) {
			char label[256], x[64];

			sl_sv_label(v, r, skip, label, sizeof(label));
			pivot_value(v, r, x, sizeof(x));
			fprintf(md, "| %s | %s | %s |\n", rowax >= 0 ? sl_sv_text(v, r, rowax) : "", label,
				sl_sv_row_ok(v, r) ? x : sl_sv_text(v, r, v->c_status));
		}
		fputc('\n', md);
		goto out;
	}
	for (int j = 0; j < ncv; j++)
		fprintf(md, " %s |", strcmp(cv[j], "all") == 0 ? v->metric : cv[j]);
	fputs("\n|---|", md);
	for (int j = 0; j < ncv; j++)
		fputs("---|", md);
	fputc('\n', md);
	for (int i = 0; i < nrv; i++) {
		fprintf(md, "| %s |", rv[i]);
		for (int j = 0; j < ncv; j++) {
			long hit = -1;

			for (size_t r = 0; r < n && hit < 0; r++) {
				char label[256];

				sl_sv_label(v, r, skip_row, label, sizeof(label));
				if ((rowax < 0 || strcmp(sl_sv_text(v, r, rowax), rv[i]) == 0) && strcmp(label, cv[j]) == 0)
					hit = (long)r;
			}
			if (hit < 0) {
				fputs(" |", md);
			} else if (!sl_sv_row_ok(v, (size_t)hit)) {
				fprintf(md, " %s |", sl_sv_text(v, (size_t)hit, v->c_status));
			} else {
				char x[64];

				pivot_value(v, (size_t)hit, x, sizeof(x));
				fprintf(md, " %s", x);
				/* the speedup against the experiment's fastest 1-process configuration, as the
				 * Answer: every cell on one scale, not each series on its own */
				if (speed && one >= 0 && sl_sv_num(v, (size_t)hit, v->c_wall) > 0)
					fprintf(md, " (%.2f×)", sl_sv_num(v, (size_t)one, v->c_wall) /
								 sl_sv_num(v, (size_t)hit, v->c_wall));
				if (sl_sv_oversubscribed(v, (size_t)hit, &e->m))
					fputs(" ⚠", md);
				if (!sl_sv_row_trusted(v, (size_t)hit, &e->m))
					fputs(" ✗", md);
				fputs(" |", md);
			}
		}
		fputc('\n', md);
	}
	fputc('\n', md);
out:
	free(rv);
	free(cv);
}

/* The full tables, folded: the speedup tables from the result files (without their header, which the
 * report says once), else a table from summary.csv. */
static void md_tables(FILE *md, const struct expt *e)
{
	int skip[] = { e->v.c_series, -1 };
	struct sl_result r;
	char *text = NULL;
	size_t len = 0;
	FILE *t;

	fprintf(md, "<details>\n<summary>Full tables</summary>\n\n");
	sl_quiet_errors = true;
	/* the speedup tables where processes are swept over a few series; else one row per configuration */
	if (sl_summary_view_varies(&e->v, e->v.c_processes) && distinct_values(&e->v, e->v.c_series) <= 4 &&
	    sl_result_load(e->dir, &r) == 0) {
		t = open_memstream(&text, &len);
		if (t && sl_tables_markdown_body(&r, t) == 0) {
			fclose(t);
			t = NULL;
			/* the tables' own headings sit below the section's */
			for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
				nl = strchr(line, '\n');
				if (nl)
					*nl = '\0';
				fprintf(md, "%s%s\n", line[0] == '#' ? "###" : "", line);
			}
		}
		if (t)
			fclose(t);
		sl_result_free(&r);
	}
	sl_quiet_errors = false;
	if (text && len) {
		free(text);
		fprintf(md, "\n</details>\n\n");
		return;
	}
	free(text);
	fprintf(md, "| Configuration | Runtime (median, min–max) | %s | Speedup | Efficiency | Cores busy | Status |\n"
		    "|---|---|---|---|---|---|---|\n", e->v.metric);
	for (size_t r = 0; r < sl_sv_rows(&e->v); r++) {
		char label[320];
		const struct sl_summary_view *v = &e->v;
		double w = sl_sv_num(v, r, v->c_wall);

		sl_sv_label(v, r, skip, label, sizeof(label));
		if (sl_summary_view_varies(v, v->c_processes) || strcmp(label, "all") == 0) {
			/* the label leaves processes out when it is the series; name it */
			int skip2[] = { v->c_series, -1 };

			sl_sv_label(v, r, skip2, label, sizeof(label));
		}
		fprintf(md, "| %s |", label);
		if (isnan(w))
			fputs(" |", md);
		else
			fprintf(md, " %.4g s (%.4g–%.4g) |", w, sl_sv_num(v, r, v->c_wall_min), sl_sv_num(v, r, v->c_wall_max));
		{
			char x[64];

			pivot_value(v, r, x, sizeof(x));
			fprintf(md, " %s |", sl_sv_row_ok(v, r) ? x : "");
		}
		fmt_cell(md, sl_sv_num(v, r, v->c_speedup), "%.2f×");
		fmt_cell(md, sl_sv_num(v, r, v->c_efficiency), "%.2f");
		fmt_cell(md, sl_sv_num(v, r, v->c_cores_busy), "%.2f");
		fprintf(md, " %s |\n", sl_sv_text(v, r, v->c_status));
	}
	fprintf(md, "\n</details>\n\n");
}

static void md_unfinished(FILE *md, const struct expt *e, int level)
{
	const struct sl_summary_view *v = &e->v;
	int skip[] = { v->c_series, -1 }, n = 0;

	for (size_t r = 0; r < sl_sv_rows(v); r++) {
		char label[320];

		if (sl_sv_row_ok(v, r))
			continue;
		if (n++ == 0) {
			hashes(md, level);
			fprintf(md, "Configurations that did not finish\n\n| Configuration | Status | Runs ok |\n|---|---|---|\n");
		}
		sl_sv_label(v, r, skip, label, sizeof(label));
		fprintf(md, "| %s | %s | %g of %g |\n", label, sl_sv_text(v, r, v->c_status), sl_sv_num(v, r, v->c_ok),
			sl_sv_num(v, r, v->c_runs));
	}
	if (n)
		fputc('\n', md);
}

static void md_files(FILE *md, const struct expt *e)
{
	static const char *const files[] = { "experiment.ini", "meta.json", "runs.csv", "samples.csv", "summary.csv",
					     "tables.md", NULL };
	int k = 0;

	fprintf(md, "**Files:** ");
	for (int i = 0; files[i]; i++) {
		char path[PATH_MAX + 32];

		snprintf(path, sizeof(path), "%s/%s", e->dir, files[i]);
		if (access(path, R_OK) != 0)
			continue;
		fprintf(md, "%s[%s](", k++ ? " · " : "", files[i]);
		md_path(md, e, files[i]);
		fputc(')', md);
	}
	fprintf(md, "\n\n");
}

/* One experiment: its heading at level; the answer, the key plot and the pivot table first, the rest
 * folded. */
static void md_experiment(FILE *md, const struct expt *e, int level, bool single, const char *top_machine)
{
	hashes(md, level);
	fprintf(md, "%s%s\n\n", single ? "speedlab report: " : "", e->name);
	if (e->question[0])
		fprintf(md, "> %s\n\n", e->question);
	if (single) {
		md_machine(md, e);
		md_placement(md, e);
		fputc('\n', md);
	}
	fprintf(md, "**Answer:** %s\n\n", e->answer);
	md_plots(md, e, true, single);
	md_pivot(md, e);
	if (single) {
		/* one experiment: every part folded on its own, plots embedded, the full tables */
		md_unfinished(md, e, level + 1);
		md_findings(md, e, true);
		md_plots(md, e, false, true);
		md_tables(md, e);
		fprintf(md, "<details>\n<summary>Run and files</summary>\n\n");
		md_run(md, e);
		fputc('\n', md);
		md_files(md, e);
		fprintf(md, "</details>\n\n");
		return;
	}
	/* in a combined report one folded part per experiment: the pivot shows the statuses, tables.md
	 * (linked) the full tables */
	fprintf(md, "<details>\n<summary>Details: %d finding%s, plots, run and files</summary>\n\n", e->f.n,
		e->f.n == 1 ? "" : "s");
	md_findings(md, e, false);
	md_plots(md, e, false, false);
	{
		char line[512];

		/* the report's header names the machine; a section says it only where it differs */
		sl_machine_line(&e->m, line, sizeof(line));
		if (!top_machine || strcmp(line, top_machine) != 0)
			md_machine(md, e);
	}
	md_run(md, e);
	md_placement(md, e);
	md_files(md, e);
	fprintf(md, "</details>\n\n");
}

/* The definitions, once, at the end. */
static void md_glossary(FILE *md, int level)
{
	hashes(md, level);
	fprintf(md, "Glossary\n\n"
		    "- **Runtime:** the median of the ok runs' wall time, ± its MAD (median absolute deviation); "
		    "95%% intervals are bootstrap intervals of the median.\n"
		    "- **Answer:** the experiment's question answered in its metric (`[experiment] metric`, wall time "
		    "unless set), from the configurations whose figures passed the checks.\n"
		    "- **Speedup:** T(1)/T(P) of the medians, against the 1-process configuration of the same series "
		    "in the tables and plots; the Answer and the pivot tables compare with the fastest 1-process "
		    "configuration of the experiment, so that every figure is on one scale. Efficiency = speedup / P. Karp–Flatt e = (1/S − 1/P)/(1 − 1/P).\n"
		    "- **Amdahl fit:** the serial fraction fitted on at least 3 process counts that are not "
		    "oversubscribed; it describes the measured range only.\n"
		    "- **Cores busy:** CPU time of the process tree / wall time of the run phase.\n"
		    "- **⚠ oversubscribed:** the workers keep more threads busy than the machine has logical CPUs "
		    "(a waiting workload is not).\n"
		    "- **✗:** figures that failed the run-window checks (more cores busy than the machine has): "
		    "no finding uses them.\n"
		    "- **Unstable:** a configuration whose runs varied by more than 5%% (coefficient of variation).\n\n");
}

/* ---- writing ---- */

static const char *const css =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1a1a1a;background:#fafafa}"
	"main{max-width:1080px;margin:0 auto;padding:.6em 2em 4em;background:#fff}"
	"h1{font-size:1.5em;border-bottom:2px solid #0072B2;padding-bottom:.2em;margin:.4em 0}"
	"h2{font-size:1.3em;margin:1em 0 .4em;border-bottom:1px solid #ddd}h3{font-size:1.12em;margin-top:1.6em}"
	"h4{font-size:1em;margin-bottom:.3em}"
	"blockquote{margin:0;padding:.2em .8em;border-left:4px solid #0072B2;background:#f1f6fb;font-style:italic}"
	"code{background:#f3f3f3;padding:0 .25em;border-radius:3px;font-size:.92em}"
	"pre{background:#f3f3f3;padding:.8em;overflow-x:auto}"
	"div.table{overflow-x:auto}table{border-collapse:collapse;margin:.5em 0;font-size:.88em}"
	"th,td{border:1px solid #ddd;padding:.15em .5em;text-align:left}th{background:#f3f6f9}"
	"tbody tr:nth-child(even){background:#fbfbfb}"
	"figure{margin:.5em 0}figure img{width:100%;max-width:640px;height:auto;border:1px solid #eee}"
	"h2#key-results+div.table table{font-size:.82em;line-height:1.25}h2#key-results+div.table td{padding:0 .45em}"
	"td:first-child{white-space:nowrap}"
	"details{margin:.4em 0}summary{cursor:pointer;color:#0072B2}p{margin:.4em 0}"
	"li{margin:.35em 0}p.missing{color:#a00}";

static int write_outputs(const char *outdir, const char *title, const char *md, size_t mdlen)
{
	char path[PATH_MAX + 32];
	char *html = NULL;
	size_t hlen = 0;
	FILE *h;
	int rc;

	snprintf(path, sizeof(path), "%s/report.md", outdir);
	rc = sl_write_file_atomic(path, md, mdlen);
	if (rc) {
		sl_err_at(path, 0, "cannot write: %s", sl_strerror(-rc));
		return rc;
	}
	h = open_memstream(&html, &hlen);
	if (!h) {
		sl_err("report: out of memory");
		return -ENOMEM;
	}
	fprintf(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	sl_html_escape(h, title, strlen(title));
	fprintf(h, "</title>\n<style>%s</style>\n</head>\n<body><main>\n", css);
	sl_md_to_html(h, md, outdir);
	fprintf(h, "<hr><p><small>Written by speedlab %s from the result files only; report.md holds the same "
		   "text.</small></p>\n</main></body>\n</html>\n", SL_VERSION);
	if (fclose(h) != 0) {
		free(html);
		sl_err("report: out of memory");
		return -ENOMEM;
	}
	snprintf(path, sizeof(path), "%s/index.html", outdir);
	rc = sl_write_file_atomic(path, html, hlen);
	free(html);
	if (rc) {
		sl_err_at(path, 0, "cannot write: %s", sl_strerror(-rc));
		return rc;
	}
	return 0;
}

static int report_single(const char *dir)
{
	struct expt *e = calloc(1, sizeof(*e));
	char *md = NULL, title[256];
	size_t mdlen = 0;
	FILE *f;
	bool bad;
	int rc;

	if (!e)
		return SL_EXIT_USAGE;
	rc = expt_load(e, dir, dir);
	if (rc) {
		free(e);
		return SL_EXIT_USAGE;
	}
	f = open_memstream(&md, &mdlen);
	if (!f) {
		rc = -ENOMEM;
		goto out;
	}
	md_experiment(f, e, 1, true, NULL);
	md_glossary(f, 2);
	fclose(f);
	snprintf(title, sizeof(title), "speedlab report: %s", e->name);
	rc = write_outputs(dir, title, md, mdlen);
	if (!rc)
		printf("%s/index.html\n", dir);
out:
	bad = e->bad_input;
	free(md);
	expt_free(e);
	free(e);
	return rc || bad ? SL_EXIT_USAGE : SL_EXIT_OK;
}

static int report_combined(const char *outdir, char **dirs, int ndirs, char **failed, int nfailed)
{
	struct expt *ex = calloc((size_t)ndirs, sizeof(*ex));
	bool *ok = calloc((size_t)ndirs, sizeof(bool));
	char *md = NULL, title[256], host[160] = "", top_machine[512] = "";
	size_t mdlen = 0;
	int rc = 0, bad = 0, nmeasured = 0, first_ok = -1, nmissing = 0;
	bool bad_input = false;
	FILE *f;

	if (!ex || !ok) {
		free(ex);
		free(ok);
		sl_err("report: out of memory");
		return SL_EXIT_USAGE;
	}
	rc = sl_mkdir_p(outdir);
	if (rc) {
		sl_err_at(outdir, 0, "cannot create: %s", sl_strerror(-rc));
		goto out;
	}
	for (int i = 0; i < ndirs; i++) {
		ok[i] = expt_load(&ex[i], dirs[i], outdir) == 0;
		if (!ok[i]) {
			bad++;
			continue;
		}
		bad_input |= ex[i].bad_input;   /* reported, and the exit status says so */
		if (first_ok < 0)
			first_ok = i;
		if (ex[i].nok > 0)
			nmeasured++;
		else
			nmissing++;
	}
	if (first_ok >= 0) {
		snprintf(host, sizeof(host), "%s", ex[first_ok].m.host);
		sl_machine_line(&ex[first_ok].m, top_machine, sizeof(top_machine));
	}
	f = open_memstream(&md, &mdlen);
	if (!f) {
		rc = -ENOMEM;
		goto out;
	}
	fprintf(f, "# speedlab report%s%s\n\n", host[0] ? ": " : "", host);
	if (first_ok >= 0)
		md_machine(f, &ex[first_ok]);
	/* the count only where some are missing: the key results list the rest */
	if (nfailed + bad + nmissing)
		fprintf(f, "**Experiments:** %d with results, %d without (failed, skipped or unreadable)\n", nmeasured,
			nfailed + bad + nmissing);
	fputc('\n', f);
	/* the overview */
	if (nmeasured) {
		fprintf(f, "## Key results\n\n| Experiment | Answer |\n|---|---|\n");
		for (int i = 0; i < ndirs; i++) {
			char *slug = NULL;
			size_t sl = 0;
			FILE *s;

			if (!ok[i] || ex[i].nok == 0)
				continue;
			s = open_memstream(&slug, &sl);
			if (s) {
				sl_html_slug(s, ex[i].name, strlen(ex[i].name));
				fclose(s);
			}
			fprintf(f, "| [%s](#%s) | ", ex[i].name, slug ? slug : "");
			/* a cell: no bar may end it early */
			for (const char *c = ex[i].brief; *c; c++)
				fputs(*c == '|' ? "\\|" : (char[2]){ *c, 0 }, f);
			fputs(" |\n", f);
			free(slug);
		}
		if (nfailed || bad || nmissing)
			fprintf(f, "| [%d more](#failed-or-skipped-experiments) | failed, skipped or unreadable: listed "
				   "below |\n", nfailed + bad + nmissing);
		fputc('\n', f);
	}
	for (int i = 0; i < ndirs; i++)
		if (ok[i] && ex[i].nok > 0)
			md_experiment(f, &ex[i], 2, false, top_machine);
	if (nfailed || bad || nmissing) {
		fprintf(f, "## Failed or skipped experiments\n\n");
		for (int i = 0; i < nfailed; i++) {
			const char *colon = strchr(failed[i], ':');

			if (colon)
				fprintf(f, "- **%.*s:** %s\n", (int)(colon - failed[i]), failed[i], colon + 1);
			else
				fprintf(f, "- **%s:** failed\n", failed[i]);
		}
		for (int i = 0; i < ndirs; i++) {
			if (!ok[i])
				fprintf(f, "- **%s:** its results could not be read (see the error printed by speedlab "
					   "report)\n", dirs[i]);
			else if (ex[i].nok == 0 && ex[i].nskipped == sl_sv_rows(&ex[i].v) && ex[i].nskipped)
				fprintf(f, "- **%s:** skipped: %s\n", ex[i].name, ex[i].skip_reason);
			else if (ex[i].nok == 0)
				fprintf(f, "- **%s:** no configuration finished (%zu configurations; see its "
					   "[results](%s/summary.csv))\n", ex[i].name, sl_sv_rows(&ex[i].v), ex[i].rel);
		}
		fputc('\n', f);
	}
	/* the seeds' claims against the numbers, also as seeds.md on its own */
	{
		char *sm = NULL;
		size_t sml = 0;
		FILE *sf = open_memstream(&sm, &sml);

		if (sf && sl_seeds_write(sf, (const char *const *)dirs, ndirs, 2) > 0) {
			char path[PATH_MAX + 16];

			fclose(sf);
			sf = NULL;
			fputs(sm, f);
			snprintf(path, sizeof(path), "%s/seeds.md", outdir);
			{
				char *doc = NULL;
				size_t dl = 0;
				FILE *d = open_memstream(&doc, &dl);

				if (d) {
					fprintf(d, "# The seeds' claims, measured%s%s\n\n", host[0] ? " on " : "", host);
					fputs(strstr(sm, "\n\n") ? strstr(sm, "\n\n") + 2 : sm, d);
					fclose(d);
					if (sl_write_file_atomic(path, doc, dl) < 0)
						sl_warn("%s: cannot write", path);
				}
				free(doc);
			}
		}
		if (sf)
			fclose(sf);
		free(sm);
	}
	md_glossary(f, 2);
	fclose(f);
	snprintf(title, sizeof(title), "speedlab report%s%s", host[0] ? ": " : "", host);
	rc = write_outputs(outdir, title, md, mdlen);
	if (!rc)
		printf("%s/index.html\n", outdir);
out:
	for (int i = 0; i < ndirs; i++)
		if (ok[i])
			expt_free(&ex[i]);
	free(ex);
	free(ok);
	free(md);
	return rc || bad || bad_input ? SL_EXIT_USAGE : SL_EXIT_OK;
}

int sl_cmd_report(int argc, char **argv)
{
	enum { O_OUT = 256, O_FAILED };
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, O_OUT },
		{ "failed", required_argument, NULL, O_FAILED },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	char *dirs[MAX_DIRS], *failed[MAX_FAILED];
	int ndirs = 0, nfailed = 0, rc = SL_EXIT_OK, c;
	struct sl_opts o;

	sl_opts_init(&o, "report", argc, argv, "", longopts);
	while ((c = sl_opts_next(&o)) != SL_OPT_END) {
		if (c == O_OUT) {
			out = o.arg;
		} else if (c == O_FAILED) {
			if (nfailed < MAX_FAILED)
				failed[nfailed++] = o.arg;
		} else if (c != SL_OPT_ARG) {
			return SL_EXIT_USAGE;
		} else if (ndirs < MAX_DIRS) {
			dirs[ndirs++] = o.arg;
		} else {
			sl_err("report: at most %d result directories", MAX_DIRS);
			return SL_EXIT_USAGE;
		}
	}
	if (ndirs == 0 && !(out && nfailed)) {
		sl_err("report: which result directory? (usage: speedlab report [--out DIR] [--failed NAME:REASON]... "
		       "DIR...)");
		return SL_EXIT_USAGE;
	}
	if (out)
		return report_combined(out, dirs, ndirs, failed, nfailed);
	if (nfailed) {
		sl_err("report: --failed goes with --out (a combined report)");
		return SL_EXIT_USAGE;
	}
	for (int i = 0; i < ndirs; i++)
		if (report_single(dirs[i]) != SL_EXIT_OK)
			rc = SL_EXIT_USAGE;
	return rc;
}
