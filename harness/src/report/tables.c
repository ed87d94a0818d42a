/* tables.c: the speedup tables in Markdown, shaped like the seeds' table, from summary.csv. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/brief.h"
#include "analysis/findings.h"
#include "report/tables.h"

struct row {
	size_t r;          /* row of summary.csv */
	long processes;
};

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->processes != y->processes)
		return (x->processes > y->processes) - (x->processes < y->processes);
	return (x->r > y->r) - (x->r < y->r);
}

/* Markdown-safe copy of a cell: '|' escaped, line breaks as spaces. */
static void md_put(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
}

/* Three significant figures, without exponent for the values tables show. */
static void fmt_sig3(double v, char *buf, size_t len)
{
	double a = fabs(v);

	if (a >= 100)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.2f", v);
}

/* A spread: two significant figures. */
static void fmt_sig2(double v, char *buf, size_t len)
{
	double a = fabs(v);

	if (a == 0)
		snprintf(buf, len, "0");
	else if (a >= 10)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 1)
		snprintf(buf, len, "%.1f", v);
	else if (a >= 0.1)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.2g", v);
}

/* "415 ms ± 3 ms": the median in a unit that suits it, the MAD in the same unit. */
static void fmt_runtime(double med, double mad, char *buf, size_t len)
{
	const char *unit = "s";
	double scale = 1;
	char m[32], d[32];

	if (med < 1e-3) {
		unit = "µs";
		scale = 1e6;
	} else if (med < 1) {
		unit = "ms";
		scale = 1e3;
	}
	fmt_sig3(med * scale, m, sizeof(m));
	if (isnan(mad)) {
		snprintf(buf, len, "%s %s", m, unit);
		return;
	}
	fmt_sig2(mad * scale, d, sizeof(d));
	snprintf(buf, len, "%s %s ± %s %s", m, unit, d, unit);
}

static double num(const struct sl_csv *s, size_t r, const char *col)
{
	return sl_csv_num(s, r, sl_csv_col(s, col));
}

static void write_header(const struct sl_result *r, FILE *out, int first_axis, int last_axis, int logical,
			 bool all_single)
{
	const struct sl_csv *s = &r->summary;
	char question[512] = "";
	const char *q = sl_result_meta_str(r, "experiment.question");
	struct sl_machine m;   /* meta.json's machine, as every reader sees it */
	const char *host, *model;
	long physical, reps_min = -1, reps_max = 0;
	bool any_fixed = false;

	sl_machine_from_meta(r->meta, &m);
	host = m.host[0] ? m.host : NULL;
	model = m.cpu[0] ? m.cpu : NULL;
	physical = m.physical > 0 ? m.physical : -1;
	if (q)
		snprintf(question, sizeof(question), "%s", q);
	else
		sl_result_ini_value(r, "experiment", "question", question, sizeof(question));
	fputs(all_single ? "# Summary: " : "# Speedup: ", out);
	md_put(out, r->experiment);
	fputs("\n\n", out);
	if (question[0]) {
		fputs("- **Question:** ", out);
		md_put(out, question);
		fputc('\n', out);
	}
	fputs("- **Machine:** ", out);
	if (host || model) {
		md_put(out, host ? host : "unknown host");
		if (model) {
			fputs(" (", out);
			md_put(out, model);
			fputc(')', out);
		}
		fputs(", ", out);
	}
	if (logical > 0)
		fprintf(out, "%d logical CPUs", logical);
	else
		fputs("logical CPUs not recorded", out);
	if (physical > 0)
		fprintf(out, ", %ld physical cores", physical);
	if (!r->meta)
		fputs(" (no meta.json)", out);
	fputc('\n', out);
	/* the axes that are the same in every configuration */
	for (int c = first_axis; c <= last_axis; c++) {
		bool fixed = true;

		for (size_t i = 1; i < s->nrows && fixed; i++)
			fixed = strcmp(sl_csv_cell(s, i, c), sl_csv_cell(s, 0, c)) == 0;
		if (!fixed || s->nrows == 0)
			continue;
		fputs(any_fixed ? " " : "- **Fixed:** ", out);
		md_put(out, s->header[c]);
		fputc('=', out);
		md_put(out, sl_csv_cell(s, 0, c));
		any_fixed = true;
	}
	if (any_fixed)
		fputc('\n', out);
	for (size_t i = 0; i < s->nrows; i++) {
		long v = (long)num(s, i, "runs");

		if (v > reps_max)
			reps_max = v;
		if (reps_min < 0 || v < reps_min)
			reps_min = v;
	}
	if (reps_min >= 0 && reps_min < reps_max)
		fprintf(out, "- **Repetitions:** %ld to %ld measured per configuration (warm-ups excluded)\n\n",
			reps_min, reps_max);
	else
		fprintf(out, "- **Repetitions:** %ld measured per configuration (warm-ups excluded)\n\n", reps_max);
	if (all_single) {
		fputs("Time is the mean ± standard deviation σ of the wall time of the ok runs, with their median "
		      "and range; User and System are the mean CPU times of the process tree; cores busy = CPU "
		      "time / wall time.\n", out);
		return;
	}
	fputs("Runtime is the median ± MAD (median absolute deviation) of the ok runs. Speedup is T(1)/T(P) of "
	      "the medians against the 1-process configuration of the same series, with its confidence interval "
	      "built from the order-statistic intervals of the two medians (distribution-free; its actual "
	      "coverage in parentheses, at least the product of the two; [min, max] of 5 repetitions covers "
	      "93.75%, fewer fall short of 95%). Efficiency = speedup/P. Cores busy = process-tree CPU time / "
	      "wall time. "
	      "Karp–Flatt e = (1/S − 1/P)/(1 − 1/P).\n", out);
}

/* The fixed cost of starting a command that the run measured (meta.json), or NAN. */
static double command_fixed_cost(const struct sl_result *r)
{
	json_t *v = sl_json_path(r->meta, "command_fixed_s");

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A warning when the shortest median run is so short that starting the command is a visible part. */
static void short_note(const struct sl_result *r, FILE *out, double median)
{
	double fixed = command_fixed_cost(r);
	char med[32], fx[32];

	if (!sl_brief_too_short(median, fixed))
		return;
	sl_brief_time(median, median, med, sizeof(med));
	sl_brief_time(fixed, fixed, fx, sizeof(fx));
	fprintf(out, "\n⚠ Short: a run takes %s, of which starting a process and waiting for it costs about %s here "
		"(%.0f%%; measured as /bin/sh -c true, an upper bound for a command run without a shell): time a "
		"longer piece of work, or report the measured section with '@speedlab wall_s=...'.\n", med, fx,
		100 * fixed / median);
}

/* A series of one configuration: its summary in hyperfine's shape instead of a speedup table with
 * nothing to compare. False when it has no ok run (the speedup table says why). */
static bool write_single(const struct sl_result *r, FILE *out, size_t row)
{
	const struct sl_csv *s = &r->summary;
	struct sl_brief b;
	long config;

	if (!sl_parse_long(sl_csv_cell(s, row, sl_csv_col(s, "config")), &config) ||
	    sl_brief_of(&r->runs, config, &b) == 0)
		return false;
	sl_brief_markdown(out, &b);
	short_note(r, out, b.median);
	return true;
}

/* Several series of one configuration each (commands side by side): how many times faster the
 * fastest ran than each other, as hyperfine says it (the ratio of the means ± its propagated σ). */
static void write_side_by_side(const struct sl_result *r, FILE *out, const char **series, size_t nseries)
{
	const struct sl_csv *s = &r->summary;
	struct sl_brief *b = calloc(nseries, sizeof(*b));
	size_t best = 0;
	int col_series = sl_csv_col(s, "series"), col_config = sl_csv_col(s, "config");

	if (!b)
		return;
	for (size_t k = 0; k < nseries; k++)
		for (size_t i = 0; i < s->nrows; i++) {
			long config;

			if (strcmp(sl_csv_cell(s, i, col_series), series[k]) == 0 &&
			    sl_parse_long(sl_csv_cell(s, i, col_config), &config))
				sl_brief_of(&r->runs, config, &b[k]);
		}
	for (size_t k = 0; k < nseries; k++)
		if (b[k].n && (!b[best].n || b[k].mean < b[best].mean))
			best = k;
	if (b[best].n) {
		fputs("\n## Side by side\n\n`", out);
		md_put(out, series[best]);
		fputs("` ran\n", out);
		for (size_t k = 0; k < nseries; k++) {
			double ratio, err;

			if (k == best || !b[k].n)
				continue;
			ratio = b[k].mean / b[best].mean;
			err = ratio * sqrt(pow(isnan(b[k].sd) ? 0 : b[k].sd / b[k].mean, 2) +
					   pow(isnan(b[best].sd) ? 0 : b[best].sd / b[best].mean, 2));
			fprintf(out, "- %.2f ± %.2f times faster than `", ratio, err);
			md_put(out, series[k]);
			fputs("`\n", out);
		}
	}
	free(b);
}

/* One series' table; returns whether it has a 1-process configuration (a speedup), or is a single
 * configuration summed up (nothing to compare). */
static bool write_series(const struct sl_result *r, FILE *out, const char *series, bool heading, int logical)
{
	const struct sl_csv *s = &r->summary;
	int col_series = sl_csv_col(s, "series");
	struct row *rows = malloc((s->nrows + 1) * sizeof(*rows));
	size_t n = 0;
	bool any_over = false, any_partial = false, have_base = false;
	double amdahl = NAN;
	char buf[128];

	if (!rows)
		return true;
	for (size_t i = 0; i < s->nrows; i++)
		if (strcmp(sl_csv_cell(s, i, col_series), series) == 0) {
			rows[n].r = i;
			rows[n].processes = (long)num(s, i, "processes");
			if (rows[n].processes == 1)
				have_base = true;
			n++;
		}
	qsort(rows, n, sizeof(*rows), cmp_row);
	fputc('\n', out);
	if (heading) {
		fputs("## ", out);
		md_put(out, series);
		fputs("\n\n", out);
	}
	if (n == 1 && write_single(r, out, rows[0].r)) {
		free(rows);
		return true;
	}
	fputs("| Processes | Runtime | Speedup vs 1 process | Efficiency | Cores busy | Karp–Flatt e |\n"
	      "|---|---|---|---|---|---|\n", out);
	for (size_t k = 0; k < n; k++) {
		size_t i = rows[k].r;
		const char *status = sl_csv_cell(s, i, sl_csv_col(s, "status"));
		double ok = num(s, i, "ok"), runs = num(s, i, "runs");
		double med = num(s, i, "wall_s_median"), sp = num(s, i, "speedup");
		double lo = num(s, i, "speedup_ci_lo"), hi = num(s, i, "speedup_ci_hi");
		double eff = num(s, i, "efficiency"), busy = num(s, i, "cores_busy_median");
		double kf = num(s, i, "karp_flatt"), cv = num(s, i, "wall_s_cv");
		/* a configuration that never ran has no utilisation to flag */
		bool over = num(s, i, "oversubscribed") == 1 && ok > 0, partial = ok > 0 && ok < runs;

		if (!isnan(num(s, i, "amdahl_serial")))
			amdahl = num(s, i, "amdahl_serial");
		fprintf(out, "| %ld%s%s | ", rows[k].processes, over ? " ⚠ oversubscribed" : "", partial ? " †" : "");
		any_over |= over;
		any_partial |= partial;
		if (!(ok > 0) || isnan(med)) {
			md_put(out, status[0] ? status : "no ok run");
			fputs(" | — | — | — | — |\n", out);
			continue;
		}
		fmt_runtime(med, num(s, i, "wall_s_mad"), buf, sizeof(buf));
		fputs(buf, out);
		{
			bool unstable = num(s, i, "unstable") == 1;
			double outl = num(s, i, "outliers");

			if (unstable && outl > 0)
				fprintf(out, " (unstable: CV %.0f%%; %.0f outlier%s)", 100 * cv, outl, outl > 1 ? "s" : "");
			else if (unstable)
				fprintf(out, " (unstable: CV %.0f%%)", 100 * cv);
			else if (outl > 0)
				fprintf(out, " (%.0f outlier%s)", outl, outl > 1 ? "s" : "");
		}
		fputs(" | ", out);
		if (isnan(sp))
			fputs("—", out);
		else if (isnan(lo) || isnan(hi))
			fprintf(out, "%.2f×", sp);
		else
			fprintf(out, "%.2f× [%.2f–%.2f]", sp, lo, hi);
		if (!isnan(sp) && !isnan(lo) && !isnan(hi) && !isnan(num(s, i, "speedup_ci_level")))
			fprintf(out, " (%.1f%% CI)", 100 * num(s, i, "speedup_ci_level"));
		fputs(" | ", out);
		if (isnan(eff))
			fputs("—", out);
		else
			fprintf(out, "%.0f%%", 100 * eff);
		fputs(" | ", out);
		if (isnan(busy))
			fputs("—", out);
		else
			fprintf(out, "%.2f", busy);
		fputs(" | ", out);
		if (isnan(kf))
			fputs("—", out);
		else
			fprintf(out, "%.3f", kf);
		fputs(" |\n", out);
	}
	fputc('\n', out);
	if (any_over)
		fprintf(out, "⚠ oversubscribed: processes × threads per process > %d logical CPUs.\n", logical);
	if (any_partial)
		for (size_t k = 0; k < n; k++) {
			size_t i = rows[k].r;
			double ok = num(s, i, "ok"), runs = num(s, i, "runs");

			if (ok > 0 && ok < runs) {
				fprintf(out, "† %ld processes: ", rows[k].processes);
				md_put(out, sl_csv_cell(s, i, sl_csv_col(s, "status")));
				fputs("; the figures use the ok runs only.\n", out);
			}
		}
	{
		double shortest = NAN;

		for (size_t k = 0; k < n; k++) {
			double med = num(s, rows[k].r, "wall_s_median");

			if (num(s, rows[k].r, "ok") > 0 && !isnan(med) && (isnan(shortest) || med < shortest))
				shortest = med;
		}
		short_note(r, out, shortest);
	}
	/* a fit needs 3 process counts (summary.csv leaves it empty otherwise): said only where there is one */
	if (!isnan(amdahl))
		fprintf(out, "Amdahl fit: serial fraction %.3f%s\n", amdahl,
			any_over ? " (oversubscribed rows left out)" : "");
	free(rows);
	return have_base;
}

/* Whether column c holds more than one value. */
static bool col_varies(const struct sl_csv *s, int c)
{
	for (size_t i = 1; i < s->nrows; i++)
		if (strcmp(sl_csv_cell(s, i, c), sl_csv_cell(s, 0, c)) != 0)
			return true;
	return false;
}

/* A runtime cell: the median ± MAD of the ok runs, else the status. */
static void put_runtime(const struct sl_csv *s, size_t i, FILE *out)
{
	char buf[128];

	if (num(s, i, "ok") > 0 && !isnan(num(s, i, "wall_s_median"))) {
		fmt_runtime(num(s, i, "wall_s_median"), num(s, i, "wall_s_mad"), buf, sizeof(buf));
		fputs(buf, out);
	} else {
		md_put(out, sl_csv_cell(s, i, sl_csv_col(s, "status")));
	}
}

static void put_gflops(const struct sl_csv *s, size_t i, FILE *out)
{
	double g = num(s, i, "gflops_median");

	if (isnan(g) || !(num(s, i, "ok") > 0))
		fputs("—", out);
	else
		fprintf(out, "%.1f", g);
}

/* With a device axis holding cpu and gpu: one table of the same task on both, each CPU configuration
 * beside the GPU one equal to it on every other axis, and the GPU's speedup T(cpu)/T(gpu). */
static void write_device_table(const struct sl_result *r, FILE *out, int first_axis, int last_axis)
{
	const struct sl_csv *s = &r->summary;
	int col_dev = sl_csv_col(s, "device");
	bool any_gpu = false, header = false;

	if (col_dev < 0)
		return;
	for (size_t i = 0; i < s->nrows; i++)
		any_gpu |= strcmp(sl_csv_cell(s, i, col_dev), "gpu") == 0;
	if (!any_gpu)
		return;
	for (size_t i = 0; i < s->nrows; i++) {
		long g = -1;
		double tc = num(s, i, "wall_s_median"), tg;
		bool first = true;

		if (strcmp(sl_csv_cell(s, i, col_dev), "cpu") != 0)
			continue;
		for (size_t q = 0; q < s->nrows && g < 0; q++) {
			bool same = strcmp(sl_csv_cell(s, q, col_dev), "gpu") == 0;

			for (int c = first_axis; c <= last_axis && same; c++)
				same = c == col_dev || strcmp(sl_csv_cell(s, q, c), sl_csv_cell(s, i, c)) == 0;
			if (same)
				g = (long)q;
		}
		if (g < 0)
			continue;
		if (!header) {
			fputs("\n## CPU vs GPU\n\nThe same task on each device, the other axes equal; GPU speedup = "
			      "T(cpu)/T(gpu) of the medians.\n\n| Configuration | CPU runtime | GPU runtime | GPU speedup "
			      "| CPU GFLOP/s | GPU GFLOP/s |\n|---|---|---|---|---|---|\n", out);
			header = true;
		}
		fputs("| ", out);
		for (int c = first_axis; c <= last_axis; c++) {
			if (c == col_dev || !col_varies(s, c))
				continue;
			fputs(first ? "" : " ", out);
			md_put(out, s->header[c]);
			fputc('=', out);
			md_put(out, sl_csv_cell(s, i, c));
			first = false;
		}
		fputs(first ? "all | " : " | ", out);
		put_runtime(s, i, out);
		fputs(" | ", out);
		put_runtime(s, (size_t)g, out);
		tg = num(s, (size_t)g, "wall_s_median");
		if (num(s, i, "ok") > 0 && num(s, (size_t)g, "ok") > 0 && tg > 0 && !isnan(tc))
			fprintf(out, " | %.2f× | ", tc / tg);
		else
			fputs(" | — | ", out);
		put_gflops(s, i, out);
		fputs(" | ", out);
		put_gflops(s, (size_t)g, out);
		fputs(" |\n", out);
	}
}

static int tables_markdown(const struct sl_result *r, FILE *out, bool header);

/* tables.md is written beside summary.csv whenever results/ writes it (sl_summary_write): registered
 * here, before main, since results/ is below the report and never calls up into it. */
__attribute__((constructor)) static void register_tables_md(void)
{
	sl_summary_add_render("tables.md", sl_tables_markdown);
}

int sl_tables_markdown(const struct sl_result *r, FILE *out)
{
	return tables_markdown(r, out, true);
}

int sl_tables_markdown_body(const struct sl_result *r, FILE *out)
{
	return tables_markdown(r, out, false);
}

static int tables_markdown(const struct sl_result *r, FILE *out, bool header)
{
	static const char *const need[] = {
		"series", "processes", "runs", "ok", "status", "wall_s_median", "wall_s_mad", "speedup",
		"speedup_ci_lo", "speedup_ci_hi", "efficiency", "karp_flatt", "amdahl_serial", "oversubscribed", NULL,
	};
	const struct sl_csv *s = &r->summary;
	int col_series = sl_csv_col(s, "series"), first_axis, last_axis;
	int logical = sl_result_logical_cpus(r->meta);
	const char **seen;
	size_t nseen = 0, nobase = 0;

	for (int i = 0; need[i]; i++)
		if (sl_csv_col(s, need[i]) < 0) {
			sl_err_at(s->path[0] ? s->path : r->dir, 1, "missing column '%s'", need[i]);
			return -EINVAL;
		}
	first_axis = col_series + 1;
	last_axis = sl_csv_col(s, "runs") - 1;
	seen = malloc((s->nrows + 1) * sizeof(*seen));
	if (!seen)
		return -ENOMEM;
	/* the series, in the order of their first configuration */
	for (size_t i = 0; i < s->nrows; i++) {
		const char *name = sl_csv_cell(s, i, col_series);
		bool done = false;

		for (size_t k = 0; k < nseen && !done; k++)
			done = strcmp(seen[k], name) == 0;
		if (!done)
			seen[nseen++] = name;
	}
	if (header)
		write_header(r, out, first_axis, last_axis, logical, s->nrows > 0 && nseen == s->nrows);
	/* one table per series */
	for (size_t k = 0; k < nseen; k++)
		nobase += !write_series(r, out, seen[k], strcmp(seen[k], "all") != 0, logical);
	if (nseen > 1 && nseen == s->nrows)
		write_side_by_side(r, out, seen, nseen);
	/* said once, not under every table */
	if (nobase)
		fprintf(out, "\n%s 1-process configuration: no speedup.\n",
			nobase == nseen ? (nseen == 1 ? "No" : "No series has a") : "Some series have no");
	write_device_table(r, out, first_axis, last_axis);
	if (s->nrows == 0)
		fputs("\nNo configuration has finished yet.\n", out);
	free(seen);
	return 0;
}
