/* cmd_report.c: `speedlab report`: report.md and a self-contained index.html for one result directory
 * (or one combined report over several): machine, findings computed from the numbers, plots, tables. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "findings.h"
#include "report.h"
#include "seeds.h"

#define MAX_DIRS 256
#define MAX_FAILED 256

/* One experiment's result directory, read. */
struct expt {
	const char *dir;
	char rel[PATH_MAX];            /* dir relative to the report's directory (for links) */
	json_t *meta;
	struct sl_summary_view v;
	struct sl_machine m;
	struct sl_findings f;
	char name[128];
	char question[512];
	char workload[SL_NAME_LEN];
	size_t nok, nskipped;
	char skip_reason[SL_STATUS_LEN];
	char plot_error[256];
};

/* ---- meta.json lookups, tolerant of the nesting ---- */

/* The first string (or number, printed) found at one of the dotted paths; "" when none. */
static const char *meta_text(const json_t *meta, const char *const *paths, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = 0; meta && paths[i]; i++) {
		char path[128], *save = NULL, *key;
		const json_t *v = meta;

		snprintf(path, sizeof(path), "%s", paths[i]);
		for (key = strtok_r(path, ".", &save); key && v; key = strtok_r(NULL, ".", &save))
			v = json_is_object(v) ? json_object_get(v, key) : NULL;
		if (!v)
			continue;
		if (json_is_string(v))
			snprintf(buf, len, "%s", json_string_value(v));
		else if (json_is_integer(v))
			snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		else if (json_is_real(v))
			snprintf(buf, len, "%g", json_real_value(v));
		else if (json_is_array(v)) {
			size_t n = 0, idx;
			const json_t *a;

			json_array_foreach(v, idx, a) {
				if (json_is_string(a) && n < len)
					n += (size_t)snprintf(buf + n, len - n, "%s%s", idx ? " " : "", json_string_value(a));
			}
		}
		if (buf[0])
			return buf;
	}
	return buf;
}

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
	json_decref(e->meta);
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
		sl_err_at(dir, 0, "%s", stat(dir, &st) != 0 ? strerror(errno) : "not a directory");
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	rc = sl_summary_view_load(path, &e->v);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	if (access(path, F_OK) == 0) {
		json_error_t jerr;

		e->meta = json_load_file(path, 0, &jerr);
		if (!e->meta) {
			sl_err_at(path, jerr.line, "%s", jerr.text);
			sl_summary_view_free(&e->v);
			return -EINVAL;
		}
	}
	relative_to(report_dir, dir, e->rel, sizeof(e->rel));
	sl_machine_from_meta(e->meta, &e->m);
	{
		static const char *const name[] = { "experiment.name", "name", NULL };
		static const char *const question[] = { "experiment.question", "question", NULL };
		static const char *const workload[] = { "experiment.workload", "workload", NULL };
		const char *slash = strrchr(dir, '/');

		meta_text(e->meta, name, e->name, sizeof(e->name));
		if (!e->name[0]) {
			while (slash && slash > dir && slash[1] == '\0')
				slash--;
			snprintf(e->name, sizeof(e->name), "%s", slash ? slash + 1 : dir);
		}
		meta_text(e->meta, question, e->question, sizeof(e->question));
		meta_text(e->meta, workload, e->workload, sizeof(e->workload));
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
	sl_findings_compute(&e->v, &e->m, e->workload, &e->f);
	if (!plots_fresh(dir)) {
		rc = sl_plot_dir(dir, true);
		if (rc < 0)
			snprintf(e->plot_error, sizeof(e->plot_error), "the plots could not be rendered (%s); see the "
				 "message above or run 'speedlab plot %s'", strerror(-rc), dir);
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
	static const char *const profile[] = { "experiment.profile", "profile", NULL };
	static const char *const repeats[] = { "experiment.repeats", "repeats", NULL };
	static const char *const start[] = { "start_time", "started", "start", "run.start_time", NULL };
	static const char *const end[] = { "end_time", "ended", "end", "run.end_time", NULL };
	static const char *const commit[] = { "git_commit", "commit", "git.commit", "build.git_commit", NULL };
	static const char *const seed[] = { "seed", "experiment.seed", "run.seed", NULL };
	static const char *const cmdline[] = { "command_line", "command", "argv", "run.command_line", NULL };
	char b1[128], b2[64], b3[64], b4[64], b5[64], b6[64], b7[1024];

	fprintf(md, "**Run:** workload `%s` · %zu configurations", e->workload[0] ? e->workload : "?",
		sl_sv_rows(&e->v));
	if (meta_text(e->meta, repeats, b1, sizeof(b1))[0])
		fprintf(md, " × %s repetition%s", b1, strcmp(b1, "1") ? "s" : "");
	if (meta_text(e->meta, profile, b2, sizeof(b2))[0])
		fprintf(md, " · profile %s", b2);
	if (meta_text(e->meta, start, b3, sizeof(b3))[0])
		fprintf(md, " · started %s", b3);
	if (meta_text(e->meta, end, b4, sizeof(b4))[0])
		fprintf(md, " · ended %s", b4);
	if (meta_text(e->meta, commit, b5, sizeof(b5))[0])
		fprintf(md, " · commit `%s`", b5);
	if (meta_text(e->meta, seed, b6, sizeof(b6))[0])
		fprintf(md, " · seed %s", b6);
	fputc('\n', md);
	if (meta_text(e->meta, cmdline, b7, sizeof(b7))[0])
		fprintf(md, "**Command:** `%s`\n", b7);
}

/* Where the workers ran, when the sweep placed them (affinity, mem_policy, coordinator_cpus): the
 * allowed CPUs, SMT, the NUMA nodes (one: mem_policy cannot move memory anywhere), the coordinator. */
static void md_placement(FILE *md, const struct expt *e)
{
	const json_t *p = json_object_get(e->meta, "placement"), *plans = json_object_get(p, "plans"), *q;
	const char *coord = json_string_value(json_object_get(p, "coordinator_cpus"));
	bool placed = coord && strcmp(coord, "not pinned") != 0, mem = false;
	long long numa = json_integer_value(json_object_get(p, "numa_nodes"));
	size_t i;

	json_array_foreach(plans, i, q) {
		const char *a = json_string_value(json_object_get(q, "affinity"));
		const char *m = json_string_value(json_object_get(q, "mem_policy"));

		placed |= a && strcmp(a, "none") != 0;
		mem |= m && strcmp(m, "default") != 0;
	}
	if (!placed && !mem)
		return;
	fprintf(md, "**Placement:** allowed CPUs %s · %lld hardware thread(s) per core · %lld NUMA node%s%s · "
		    "coordinator %s%s\n", json_string_value(json_object_get(p, "allowed_cpus")) ?
		    json_string_value(json_object_get(p, "allowed_cpus")) : "?",
		    json_integer_value(json_object_get(p, "smt")), numa, numa == 1 ? "" : "s",
		    numa == 1 && mem ? " (one node: mem_policy was applied and recorded, but memory has nowhere else to go)" : "",
		    placed && coord && strcmp(coord, "not pinned") != 0 ? "pinned to CPUs " : "", coord ? coord : "not pinned");
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

static void md_findings(FILE *md, const struct expt *e, int level)
{
	hashes(md, level);
	fprintf(md, "Findings\n\n");
	if (e->f.n == 0) {
		fprintf(md, "No rule found anything to point out in this data.\n\n");
		return;
	}
	for (int i = 0; i < e->f.n; i++) {
		const struct sl_finding *f = &e->f.items[i];

		fprintf(md, "- **%s:** %s\n", f->kind == SL_FINDING_ADVICE ? "Advice" :
					     f->kind == SL_FINDING_PROBLEM ? "Problem" : "Finding", f->text);
	}
	fputc('\n', md);
}

static void md_plots(FILE *md, const struct expt *e, int level)
{
	struct sl_plot_entry *pl = calloc(64, sizeof(*pl));
	int n = pl ? sl_plot_index_read(e->dir, pl, 64) : -ENOMEM;

	if (e->plot_error[0]) {
		hashes(md, level);
		fprintf(md, "Plots\n\n%s.\n\n", e->plot_error);
	} else if (n > 0) {
		hashes(md, level);
		fprintf(md, "Plots\n\n");
		for (int i = 0; i < n; i++) {
			char file[128];
			const char *title = pl[i].title;
			size_t nl = strlen(e->name);

			/* the section already names the experiment */
			if (strncmp(title, e->name, nl) == 0 && strncmp(title + nl, ": ", 2) == 0)
				title += nl + 2;
			hashes(md, level + 1);
			fprintf(md, "%c%s\n\n", title[0] >= 'a' && title[0] <= 'z' ? title[0] - 'a' + 'A' : title[0],
				title + 1);
			snprintf(file, sizeof(file), "plots/%s.png", pl[i].name);
			fprintf(md, "![%s](", pl[i].title);
			md_path(md, e, file);
			fprintf(md, ")\n\n*%s*", pl[i].caption);
			fprintf(md, " ([SVG](");
			snprintf(file, sizeof(file), "plots/%s.svg", pl[i].name);
			md_path(md, e, file);
			fprintf(md, "), [data](");
			snprintf(file, sizeof(file), "plots/%s.dat", pl[i].name);
			md_path(md, e, file);
			fprintf(md, "))\n\n");
		}
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

/* tables.md with its headings moved under this section's level; else a table from summary.csv. */
static void md_tables(FILE *md, const struct expt *e, int level)
{
	char path[PATH_MAX + 32], *text;
	int skip[] = { e->v.c_series, -1 };

	hashes(md, level);
	fprintf(md, "Tables\n\n");
	snprintf(path, sizeof(path), "%s/tables.md", e->dir);
	text = sl_read_file(path, NULL);
	if (text) {
		bool first_heading = true;

		for (char *line = text, *nl; *line; line = nl ? nl + 1 : line + strlen(line)) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (line[0] == '#') {
				int lv = 0;

				while (line[lv] == '#')
					lv++;
				/* tables.md's title repeats the experiment's name: drop it */
				if (first_heading && lv == 1) {
					first_heading = false;
					continue;
				}
				first_heading = false;
				hashes(md, level + lv - 1 > 6 ? 6 : level + lv - 1);
				fprintf(md, "%s\n", line + lv + (line[lv] == ' '));
			} else if ((!e->question[0] || strcmp(line, e->question) != 0) &&
				   strncmp(line, "- **Question:**", 15) != 0 && strncmp(line, "- **Machine:**", 14) != 0) {
				/* the section's header already gives the question and the machine */
				fprintf(md, "%s\n", line);
			}
			if (!nl)
				break;
		}
		fputc('\n', md);
		free(text);
		return;
	}
	fprintf(md, "| Configuration | Runtime (median, min–max) | Speedup | Efficiency | Cores busy | Status |\n"
		    "|---|---|---|---|---|---|\n");
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
		fmt_cell(md, sl_sv_num(v, r, v->c_speedup), "%.2f×");
		fmt_cell(md, sl_sv_num(v, r, v->c_efficiency), "%.2f");
		fmt_cell(md, sl_sv_num(v, r, v->c_cores_busy), "%.2f");
		fprintf(md, " %s |\n", sl_sv_text(v, r, v->c_status));
	}
	fputc('\n', md);
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

static void md_files(FILE *md, const struct expt *e, int level)
{
	static const char *const files[] = { "experiment.ini", "meta.json", "runs.csv", "samples.csv", "summary.csv",
					     "tables.md", NULL };
	int k = 0;

	hashes(md, level);
	fprintf(md, "Files\n\n");
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

/* One experiment: its heading at level, the rest below it. */
static void md_experiment(FILE *md, const struct expt *e, int level, bool single)
{
	hashes(md, level);
	fprintf(md, "%s%s\n\n", single ? "speedlab report: " : "", e->name);
	if (e->question[0])
		fprintf(md, "> %s\n\n", e->question);
	md_machine(md, e);
	md_run(md, e);
	md_placement(md, e);
	fputc('\n', md);
	md_findings(md, e, level + 1);
	md_plots(md, e, level + 1);
	md_tables(md, e, level + 1);
	md_unfinished(md, e, level + 1);
	md_files(md, e, level + 1);
}

/* ---- writing ---- */

static const char *const css =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1a1a1a;background:#fafafa}"
	"main{max-width:1080px;margin:0 auto;padding:1.5em 2em 4em;background:#fff}"
	"h1{font-size:1.7em;border-bottom:2px solid #0072B2;padding-bottom:.2em}"
	"h2{font-size:1.35em;margin-top:2em;border-bottom:1px solid #ddd}h3{font-size:1.12em;margin-top:1.6em}"
	"h4{font-size:1em;margin-bottom:.3em}"
	"blockquote{margin:0;padding:.4em 1em;border-left:4px solid #0072B2;background:#f1f6fb;font-style:italic}"
	"code{background:#f3f3f3;padding:0 .25em;border-radius:3px;font-size:.92em}"
	"pre{background:#f3f3f3;padding:.8em;overflow-x:auto}"
	"div.table{overflow-x:auto}table{border-collapse:collapse;margin:.6em 0;font-size:.92em}"
	"th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left}th{background:#f3f6f9}"
	"tbody tr:nth-child(even){background:#fbfbfb}"
	"figure{margin:.5em 0}figure img{width:100%;max-width:1000px;height:auto;border:1px solid #eee}"
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
		sl_err_at(path, 0, "cannot write: %s", strerror(-rc));
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
		sl_err_at(path, 0, "cannot write: %s", strerror(-rc));
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
	md_experiment(f, e, 1, true);
	fclose(f);
	snprintf(title, sizeof(title), "speedlab report: %s", e->name);
	rc = write_outputs(dir, title, md, mdlen);
	if (!rc)
		printf("%s/index.html\n", dir);
out:
	free(md);
	expt_free(e);
	free(e);
	return rc ? SL_EXIT_USAGE : SL_EXIT_OK;
}

static int report_combined(const char *outdir, char **dirs, int ndirs, char **failed, int nfailed)
{
	struct expt *ex = calloc((size_t)ndirs, sizeof(*ex));
	bool *ok = calloc((size_t)ndirs, sizeof(bool));
	char *md = NULL, title[256], host[160] = "";
	size_t mdlen = 0;
	int rc = 0, bad = 0, nmeasured = 0, first_ok = -1, nmissing = 0;
	FILE *f;

	if (!ex || !ok) {
		free(ex);
		free(ok);
		sl_err("report: out of memory");
		return SL_EXIT_USAGE;
	}
	rc = sl_mkdir_p(outdir);
	if (rc) {
		sl_err_at(outdir, 0, "cannot create: %s", strerror(-rc));
		goto out;
	}
	for (int i = 0; i < ndirs; i++) {
		ok[i] = expt_load(&ex[i], dirs[i], outdir) == 0;
		if (!ok[i]) {
			bad++;
			continue;
		}
		if (first_ok < 0)
			first_ok = i;
		if (ex[i].nok > 0)
			nmeasured++;
		else
			nmissing++;
	}
	if (first_ok >= 0)
		snprintf(host, sizeof(host), "%s", ex[first_ok].m.host);
	f = open_memstream(&md, &mdlen);
	if (!f) {
		rc = -ENOMEM;
		goto out;
	}
	fprintf(f, "# speedlab report%s%s\n\n", host[0] ? ": " : "", host);
	if (first_ok >= 0)
		md_machine(f, &ex[first_ok]);
	fprintf(f, "**Experiments:** %d with results, %d without (failed, skipped or unreadable)\n\n", nmeasured,
		nfailed + bad + nmissing);
	/* the overview */
	if (nmeasured) {
		fprintf(f, "## Overview\n\n| Experiment | Question | Configurations ok | Findings |\n|---|---|---|---|\n");
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
			fprintf(f, "| [%s](#%s) | %s | %zu of %zu | %d |\n", ex[i].name, slug ? slug : "", ex[i].question,
				ex[i].nok, sl_sv_rows(&ex[i].v), ex[i].f.n);
			free(slug);
		}
		fputc('\n', f);
	}
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
	for (int i = 0; i < ndirs; i++)
		if (ok[i] && ex[i].nok > 0)
			md_experiment(f, &ex[i], 2, false);
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
	return rc || bad ? SL_EXIT_USAGE : SL_EXIT_OK;
}

int sl_cmd_report(int argc, char **argv)
{
	const char *out = NULL;
	char *dirs[MAX_DIRS], *failed[MAX_FAILED];
	int ndirs = 0, nfailed = 0, rc = SL_EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 || strcmp(argv[i], "--failed") == 0) {
			if (i + 1 >= argc) {
				sl_err("report: %s needs a value", argv[i]);
				return SL_EXIT_USAGE;
			}
			if (argv[i][2] == 'o')
				out = argv[++i];
			else if (nfailed < MAX_FAILED)
				failed[nfailed++] = argv[++i];
		} else if (argv[i][0] == '-') {
			sl_err("report: unknown option '%s' (usage: speedlab report [--out DIR] [--failed NAME:REASON]... "
			       "DIR...)",
			       argv[i]);
			return SL_EXIT_USAGE;
		} else if (ndirs < MAX_DIRS) {
			dirs[ndirs++] = argv[i];
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
