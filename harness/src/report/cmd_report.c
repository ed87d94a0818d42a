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
#include "report/pivot.h"
#include "report/seeds.h"

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
	struct sl_plot_entry key;      /* the plot that best shows the answer; key.name "" when none */
	bool key_caption_shared;       /* its caption is also another section's: said once, in the glossary */
	bool run_in_header;            /* its profile and commit are every section's: said once, at the top */
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

static int plot_score(const struct expt *e, const struct sl_plot_entry *pl);

/* e->key: the plot of dir/plots/index.tsv that best shows the answer (the first of the best). */
static void expt_key_plot(struct expt *e)
{
	struct sl_plot_entry *pl = calloc(64, sizeof(*pl));
	int n = pl ? sl_plot_index_read(e->dir, pl, 64) : -ENOMEM, k = 0;

	for (int i = 1; i < n; i++)
		if (plot_score(e, &pl[i]) > plot_score(e, &pl[k]))
			k = i;
	if (n > 0)
		e->key = pl[k];
	free(pl);
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
	expt_key_plot(e);
	return 0;
}

/* ---- Markdown ---- */

/* The machine line; item: as an item of the section's folded list. */
static void md_machine(FILE *md, const struct expt *e, bool item)
{
	char line[512], kernel[160] = "";

	sl_machine_line(&e->m, line, sizeof(line));
	if (e->m.kernel[0])
		snprintf(kernel, sizeof(kernel), " · %s", e->m.kernel);
	fprintf(md, "%s**Machine:** %s%s\n", item ? "- " : "", line, kernel);
}


/* Where the workers ran, when the sweep placed them (meta.json's placement, as sl_meta_load reads it). */
static void md_placement(FILE *md, const struct expt *e, bool item)
{
	if (e->meta.placement[0])
		fprintf(md, "%s**Placement:** %s\n", item ? "- " : "", e->meta.placement);
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

/* The result files as links: on a line of their own, or (inline) at the end of the Run line. */
static void md_files(FILE *md, const struct expt *e, bool inline_)
{
	static const char *const files[] = { "experiment.ini", "meta.json", "runs.csv", "samples.csv", "summary.csv",
					     "tables.md", NULL };
	int k = 0;

	fprintf(md, inline_ ? " · files: " : "**Files:** ");
	for (int i = 0; files[i]; i++) {
		char path[PATH_MAX + 32];

		snprintf(path, sizeof(path), "%s/%s", e->dir, files[i]);
		if (access(path, R_OK) != 0)
			continue;
		fprintf(md, "%s[%s](", k++ ? " · " : "", files[i]);
		md_path(md, e, files[i]);
		fputc(')', md);
	}
	if (!inline_)
		fputc('\n', md);
}

/* The Run line: workload, counts, profile, times, commit, seed, command; the files too when files. */
static void md_run(FILE *md, const struct expt *e, bool files, bool item)
{
	const struct sl_meta *m = &e->meta;

	fprintf(md, "%s**Run:** workload `%s` · %zu configurations", item ? "- " : "", e->workload[0] ? e->workload : "?",
		sl_sv_rows(&e->v));
	if (m->repeats > 0)
		fprintf(md, " × %d repetition%s", m->repeats, m->repeats == 1 ? "" : "s");
	if (m->profile[0] && !e->run_in_header)
		fprintf(md, " · profile %s", m->profile);
	if (m->start[0])
		fprintf(md, " · started %s", m->start);
	if (m->end[0])
		fprintf(md, " · ended %s", m->end);
	if (m->commit[0] && !e->run_in_header)
		fprintf(md, " · commit `%s`", m->commit);
	if (m->seed)
		fprintf(md, " · seed %lld", m->seed);
	if (m->command[0])
		fprintf(md, " · command `%s`", m->command);
	if (files)
		md_files(md, e, true);
	fputc('\n', md);
}

/* The findings as a list, folded on their own (wrap: one item each) or inside the section's one folded
 * part (one item per rule: a rule's findings about several series joined). */
static void md_findings(FILE *md, const struct expt *e, bool wrap)
{
	if (e->f.n == 0)
		return;
	if (wrap)
		fprintf(md, "<details>\n<summary>Findings (%d)</summary>\n\n", e->f.n);
	for (int i = 0; i < e->f.n; i++) {
		const struct sl_finding *f = &e->f.items[i], *prev = i ? &e->f.items[i - 1] : NULL;

		if (!wrap && prev && prev->kind == f->kind && strcmp(prev->rule, f->rule) == 0) {
			fprintf(md, "; %s", f->text);
			continue;
		}
		fprintf(md, "%s- **%s:** %s", i ? "\n" : "", f->kind == SL_FINDING_ADVICE ? "Advice" :
						  f->kind == SL_FINDING_PROBLEM ? "Problem" : "Finding", f->text);
	}
	/* unfolded: the section's other items (plots, run) follow in the same list */
	fprintf(md, wrap ? "\n\n</details>\n\n" : "\n");
}

/* One plot: as an image line with its caption (embedded in index.html; caption false: the caption is
 * in the glossary), or, folded in a combined report, as a link. */
static void md_plot(FILE *md, const struct expt *e, const struct sl_plot_entry *pl, bool image, bool caption)
{
	char file[160];

	if (image) {
		snprintf(file, sizeof(file), "plots/%s.png", pl->name);
		fprintf(md, "![%s](", pl->title);
		md_path(md, e, file);
		fprintf(md, ")");
		if (caption)
			fprintf(md, " *%s*", pl->caption);
		fprintf(md, " ([SVG](");
		snprintf(file, sizeof(file), "plots/%s.svg", pl->name);
		md_path(md, e, file);
		fprintf(md, "), [data](");
		snprintf(file, sizeof(file), "plots/%s.dat", pl->name);
		md_path(md, e, file);
		fprintf(md, ")%s)\n\n", caption ? "" : "; how to read it: [glossary](#glossary)");
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
	int n = pl ? sl_plot_index_read(e->dir, pl, 64) : -ENOMEM, k = -1;

	for (int i = 0; i < n && k < 0; i++)
		if (strcmp(pl[i].name, e->key.name) == 0)
			k = i;
	if (e->plot_error[0]) {
		if (key)
			fprintf(md, "%s.\n\n", e->plot_error);
	} else if (key && e->key.name[0]) {
		md_plot(md, e, &e->key, true, !e->key_caption_shared);
	} else if (!key && n > 1 && embed_rest) {
		fprintf(md, "<details>\n<summary>More plots (%d)</summary>\n\n", n - 1);
		for (int i = 0; i < n; i++)
			if (i != k)
				md_plot(md, e, &pl[i], true, true);
		fprintf(md, "\n</details>\n\n");
	} else if (!key && n > 1) {
		/* one line of links (the captions are in each SVG's page and plots/index.tsv) */
		fprintf(md, "- **Other plots:**");   /* an item of the folded list */
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
		fputc('\n', md);
	}
	free(pl);
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


/* One experiment: its heading at level; the answer, the key plot and the pivot table first, the rest
 * folded. */
static void md_experiment(FILE *md, const struct expt *e, int level, bool single, const char *top_machine)
{
	hashes(md, level);
	/* the question right under the heading (a heading needs no blank line after it) */
	fprintf(md, "%s%s\n%s", single ? "speedlab report: " : "", e->name, e->question[0] ? "" : "\n");
	if (e->question[0])
		fprintf(md, "> %s\n\n", e->question);
	if (single) {
		md_machine(md, e, false);
		md_placement(md, e, false);
		fputc('\n', md);
	}
	fprintf(md, "**Answer:** %s\n\n", e->answer);
	md_plots(md, e, true, single);
	sl_md_pivot(md, &e->v, &e->m);
	if (single) {
		/* one experiment: every part folded on its own, plots embedded, the full tables */
		md_unfinished(md, e, level + 1);
		md_findings(md, e, true);
		md_plots(md, e, false, true);
		sl_md_full_tables(md, &e->v, e->dir);
		fprintf(md, "<details>\n<summary>Run and files</summary>\n\n");
		md_run(md, e, false, false);
		fputc('\n', md);
		md_files(md, e, false);
		fprintf(md, "\n</details>\n\n");
		return;
	}
	/* in a combined report one folded part per experiment: the pivot shows the statuses, tables.md
	 * (linked) the full tables */
	fprintf(md, "<details><summary>Details: %d finding%s, plots, run and files</summary>\n\n", e->f.n,
		e->f.n == 1 ? "" : "s");
	md_findings(md, e, false);
	md_plots(md, e, false, false);
	{
		char line[512];

		/* the report's header names the machine; a section says it only where it differs */
		sl_machine_line(&e->m, line, sizeof(line));
		if (!top_machine || strcmp(line, top_machine) != 0)
			md_machine(md, e, true);
	}
	md_run(md, e, true, true);
	md_placement(md, e, true);
	/* an HTML block may follow a list directly (CommonMark) */
	fprintf(md, "</details>\n\n");
}

/* The captions of the key plots that more than one section shares, once each: how to read that plot.
 * Marks each such section's key_caption_shared. */
static void md_plot_captions(FILE *md, struct expt *ex, const bool *shown, int n)
{
	for (int i = 0; i < n; i++) {
		const char *what;
		bool first = true;

		bool said = false;

		for (int j = 0; j < i && !said; j++)
			said = shown[j] && ex[j].key.name[0] && strcmp(ex[i].key.caption, ex[j].key.caption) == 0;
		if (!shown[i] || !ex[i].key.name[0] || said)
			continue;
		for (int j = i + 1; j < n; j++)
			if (shown[j] && strcmp(ex[i].key.caption, ex[j].key.caption) == 0) {
				ex[i].key_caption_shared = ex[j].key_caption_shared = true;
				if (first && md) {
					what = strstr(ex[i].key.title, ": ");
					fprintf(md, "- **Plot: %s:** %s\n", what ? what + 2 : ex[i].key.title,
						ex[i].key.caption);
				}
				first = false;
			}
	}
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
		    "- **Unstable:** a configuration whose runs varied by more than 5%% (coefficient of variation).\n");
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
	"figcaption{font-size:.88em;color:#444;max-width:640px}"
	/* the key-results table: small print; a long one, on a screen wide enough, in two columns of
	 * one-line rows (an answer cut to its column shows in full in its title and its section), so
	 * that the first experiment's answer and plot are on the first screen too */
	"div.key table{font-size:.82em;line-height:1.25}div.key td{padding:0 .45em}"
	"@media (min-width:60em){div.many{overflow:visible}div.many table{display:block;border:0;margin:.3em 0}"
	"div.many thead{display:none}"
	"div.many tbody{display:block;columns:2;column-gap:1.6em;column-rule:1px solid #e4e4e4}"
	"div.many tr{display:flex;break-inside:avoid;border-bottom:1px solid #eee}div.many td{border:0}"
	"div.many td:first-child{flex:0 0 11.5em;overflow:hidden;text-overflow:ellipsis}"
	"div.many td+td{flex:1;min-width:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}}"
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
	fputc('\n', f);
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

/* The profile and commit, once, where every section shown shares them (marks each run_in_header). */
static void md_common_run(FILE *md, struct expt *ex, const bool *shown, int n)
{
	const struct sl_meta *first = NULL;

	for (int i = 0; i < n; i++) {
		if (!shown[i])
			continue;
		if (!first)
			first = &ex[i].meta;
		if (!ex[i].meta.profile[0] || !ex[i].meta.commit[0] || strcmp(ex[i].meta.profile, first->profile) != 0 ||
		    strcmp(ex[i].meta.commit, first->commit) != 0)
			return;
	}
	if (!first)
		return;
	fprintf(md, "**Runs:** profile %s · commit `%s` (every experiment below)\n", first->profile, first->commit);
	for (int i = 0; i < n; i++)
		ex[i].run_in_header = shown[i];
}

/* The experiments that failed or were skipped (NAME:REASON each), one line per reason: the names that
 * share it joined. */
static void md_failed(FILE *f, char **failed, int nfailed)
{
	for (int i = 0; i < nfailed; i++) {
		const char *colon = strchr(failed[i], ':'), *why = colon ? colon + 1 : "failed";
		bool said = false;

		for (int j = 0; j < i && !said; j++) {
			const char *c = strchr(failed[j], ':');

			said = strcmp(c ? c + 1 : "failed", why) == 0;
		}
		if (said)
			continue;
		fprintf(f, "- **%.*s", colon ? (int)(colon - failed[i]) : (int)strlen(failed[i]), failed[i]);
		for (int j = i + 1; j < nfailed; j++) {
			const char *c = strchr(failed[j], ':');

			if (strcmp(c ? c + 1 : "failed", why) == 0)
				fprintf(f, ", %.*s", c ? (int)(c - failed[j]) : (int)strlen(failed[j]), failed[j]);
		}
		fprintf(f, ":** %s\n", why);
	}
}

/* The overview: one row per experiment shown, its answer in brief, linked to its section; then how many
 * more failed or were skipped (nmore). */
static void md_key_results(FILE *f, const struct expt *ex, const bool *shown, int n, int nmore)
{
	fprintf(f, "## " SL_REPORT_KEY_HEADING "\n\n| Experiment | Answer |\n|---|---|\n");
	for (int i = 0; i < n; i++) {
		char *slug = NULL;
		size_t sl = 0;
		FILE *s;

		if (!shown[i])
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
	if (nmore)
		fprintf(f, "| [%d more](#failed-or-skipped-experiments) | failed, skipped or unreadable: listed "
			   "below |\n", nmore);
	fputc('\n', f);
}

static int report_combined(const char *outdir, char **dirs, int ndirs, char **failed, int nfailed)
{
	struct expt *ex = calloc((size_t)ndirs, sizeof(*ex));
	bool *ok = calloc((size_t)ndirs + 1, sizeof(bool)), *shown = calloc((size_t)ndirs + 1, sizeof(bool));
	char *md = NULL, title[256], host[160] = "", top_machine[512] = "";
	size_t mdlen = 0;
	int rc = 0, bad = 0, nmeasured = 0, first_ok = -1, nmissing = 0;
	bool bad_input = false;
	FILE *f;

	if (!ex || !ok || !shown) {
		free(ex);
		free(ok);
		free(shown);
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
		md_machine(f, &ex[first_ok], false);
	for (int i = 0; i < ndirs; i++)
		shown[i] = ok[i] && ex[i].nok > 0;
	md_plot_captions(NULL, ex, shown, ndirs);   /* which captions the glossary says once */
	md_common_run(f, ex, shown, ndirs);
	/* the count only where some are missing and no key-results table ends with their count */
	if (nfailed + bad + nmissing && !nmeasured)
		fprintf(f, "**Experiments:** %d with results, %d without (failed, skipped or unreadable)\n", nmeasured,
			nfailed + bad + nmissing);
	fputc('\n', f);
	if (nmeasured)
		md_key_results(f, ex, shown, ndirs, nfailed + bad + nmissing);
	for (int i = 0; i < ndirs; i++)
		if (shown[i])
			md_experiment(f, &ex[i], 2, false, top_machine);
	if (nfailed || bad || nmissing) {
		fprintf(f, "## Failed or skipped experiments\n\n");
		md_failed(f, failed, nfailed);
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
	md_plot_captions(f, ex, shown, ndirs);
	fputc('\n', f);
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
	free(shown);
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
