/* pivot.c: an experiment's numbers as Markdown tables: the pivot of its metric over the swept axes
 * (each section's one table) and the full tables, folded. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/pivot.h"
#include "report/tables.h"
#include "results/results.h"

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
void sl_md_pivot(FILE *md, const struct sl_summary_view *v, const struct sl_machine *m)
{
	size_t n = sl_sv_rows(v);
	int rowax = -1, skip_row[3] = { -1, v->c_series, -1 }, nrv = 0, ncv = 0;
	char (*rv)[64] = calloc(n + 1, 64), (*cv)[256] = calloc(n + 1, 256);
	bool speed = sl_sv_metric_is_time(v) && v->c_speedup >= 0 && sl_summary_view_varies(v, v->c_processes);
	long one = sl_sv_best_one_process(v, m);

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
				if (sl_sv_oversubscribed(v, (size_t)hit, m))
					fputs(" ⚠", md);
				if (!sl_sv_row_trusted(v, (size_t)hit, m))
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
void sl_md_full_tables(FILE *md, const struct sl_summary_view *sv, const char *dir)
{
	int skip[] = { sv->c_series, -1 };
	struct sl_result r;
	char *text = NULL;
	size_t len = 0;
	FILE *t;

	fprintf(md, "<details>\n<summary>Full tables</summary>\n\n");
	sl_quiet_errors = true;
	/* the speedup tables where processes are swept over a few series; else one row per configuration */
	if (sl_summary_view_varies(sv, sv->c_processes) && distinct_values(sv, sv->c_series) <= 4 &&
	    sl_result_load(dir, &r) == 0) {
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
		    "|---|---|---|---|---|---|---|\n", sv->metric);
	for (size_t r = 0; r < sl_sv_rows(sv); r++) {
		char label[320];
		const struct sl_summary_view *v = sv;
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
