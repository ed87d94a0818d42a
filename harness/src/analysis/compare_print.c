/* compare_print.c: a comparison as Markdown (the verdict line first, the table, the notes) and as JSON. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"
#include "analysis/compare_internal.h"
#include "core/stats.h"

#define SL_CMP_MARKDOWN_ALL_ROWS 60   /* a longer table keeps only the rows that are not unchanged */

/* Write s for a Markdown table cell: no line breaks, pipes escaped. */
static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

static void md_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.4g", v);
	else
		fputs("—", f);
}

void sl_cmp_markdown(const struct sl_cmp_result *res, FILE *f)
{
	static const char *const plural[SL_VERDICT_N] = {
		"unchanged", "improvements", "regressions", "changed", "inconclusive",
	};
	static const enum sl_verdict order[] = {
		SL_VERDICT_REGRESSION, SL_VERDICT_IMPROVEMENT, SL_VERDICT_CHANGED, SL_VERDICT_INCONCLUSIVE,
		SL_VERDICT_UNCHANGED,
	};
	bool first = true;

	/* the answer first: the verdict and why, and what else differs between the runs */
	fprintf(f, "Verdict: %s — ", sl_cmp_headline(res));
	md_cell(f, res->reason);
	fputc('\n', f);
	if (res->params[0]) {
		fputs("Workload parameters differ between base and current: ", f);
		md_cell(f, res->params);
		fputs(" (the verdict compares them as they are)\n", f);
	}
	/* wall time follows the neighbours too: a loaded machine is said where the verdict is read */
	if ((res->base_load > 1 || res->cur_load > 1) && isfinite(res->base_load) && isfinite(res->cur_load))
		fprintf(f, "Machine loaded: load average per CPU at the start %.2g (base) and %.2g (current); wall-time "
			"rows follow the other work too (cpu_user_s does not)\n", res->base_load, res->cur_load);
	if (res->ngeo) {
		fputs("Geometric mean over the matched configurations:", f);
		for (size_t i = 0; i < res->ngeo; i++)
			fprintf(f, "%s %s %+.1f%% (%zu)", i ? "," : "", res->geo[i].metric, res->geo[i].change_pct,
				res->geo[i].n);
		fputc('\n', f);
	}
	fputc('\n', f);
	fprintf(f, "**speedlab compare: %s** — experiment `", sl_verdict_name(res->overall));
	md_cell(f, res->experiment);
	fputs("`: ", f);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		size_t n = res->counts[order[i]];

		if (!n && order[i] != SL_VERDICT_REGRESSION)
			continue;
		fprintf(f, "%s%zu %s", first ? "" : ", ", n,
			n == 1 && order[i] <= SL_VERDICT_REGRESSION ? sl_verdict_name(order[i]) : plural[order[i]]);
		first = false;
	}
	if (!res->nrows)
		fputs(" (nothing could be compared: see the notes)", f);
	fprintf(f, " over %zu configuration%s (threshold %g%%; significant: Welch's t on logs at a false-discovery "
		   "rate of %g over the %zu tested rows, and Mann–Whitney U < %g, or non-overlapping CIs below %d "
		   "repetitions)%s\n\n", res->nlabels, res->nlabels == 1 ? "" : "s", res->threshold_pct, res->alpha,
		res->family, SL_CMP_RANK_ALPHA, SL_CMP_MWU_REPS,
		res->cross_machine ? "; different machines: dimensionless metrics only" : "");
	if (res->thresholds_from[0]) {
		fputs("per-metric thresholds calibrated from identical runs on this machine: `", f);
		md_cell(f, res->thresholds_from);
		fputs("`\n\n", f);
	}
	fputs("base: `", f);
	md_cell(f, res->base_dir);
	fputs("`", f);
	if (res->base_commit[0]) {
		fputs(" (", f);
		md_cell(f, res->base_commit);
		fputs(")", f);
	}
	fputs(" · current: `", f);
	md_cell(f, res->cur_dir);
	fputs("`", f);
	if (res->cur_commit[0]) {
		fputs(" (", f);
		md_cell(f, res->cur_commit);
		fputs(")", f);
	}
	fputs("\n\n| configuration | metric | base | current | change % [95% CI] | detectable % | p | verdict |\n"
	      "|---|---|---:|---:|---|---:|---:|---|\n", f);
	for (size_t i = 0; i < res->nrows; i++) {
		const struct sl_cmp_row *r = &res->rows[i];

		if (res->nrows > SL_CMP_MARKDOWN_ALL_ROWS && r->verdict == SL_VERDICT_UNCHANGED)
			continue;

		fputs("| ", f);
		md_cell(f, res->labels[r->match]);
		fprintf(f, " | %s | ", r->metric.name);
		if (r->metric.kind == SL_CMP_STATUS) {
			fprintf(f, "%.0f/%zu ok | %.0f/%zu ok | — | — | — | ", r->base.median, r->base.n, r->cur.median,
				r->cur.n);
		} else {
			md_num(f, r->base.median);
			fputs(" | ", f);
			md_num(f, r->cur.median);
			fputs(" | ", f);
			if (isfinite(r->change_pct)) {
				fprintf(f, "%+.1f", r->change_pct);
				if (isfinite(r->change_lo_pct) && isfinite(r->change_hi_pct))
					fprintf(f, " [%+.1f, %+.1f]", r->change_lo_pct, r->change_hi_pct);
			} else {
				fputs("—", f);
			}
			fputs(" | ", f);
			if (isfinite(r->mde_pct))
				fprintf(f, "%.3g", r->mde_pct);
			else
				fputs("—", f);
			fputs(" | ", f);
			if (isfinite(r->p))
				fprintf(f, "t %.2g", r->p);
			else
				fputs("—", f);
			if (r->ci_test && r->nmin >= SL_CMP_MIN_REPS)
				fprintf(f, " · CIs %s (n=%zu/%zu, %.4g%%/%.4g%% CIs)", r->cis_apart ? "apart" : "overlap",
					r->base.n, r->cur.n, 100 * r->base.level, 100 * r->cur.level);
			else if (isfinite(r->p_rank))
				fprintf(f, " · U %.2g", r->p_rank);
			fputs(" | ", f);
		}
		if (r->verdict == SL_VERDICT_REGRESSION)
			fprintf(f, "**%s**", sl_verdict_name(r->verdict));
		else
			fputs(sl_verdict_name(r->verdict), f);
		if (r->note[0]) {
			fputs(" (", f);
			md_cell(f, r->note);
			fputs(")", f);
		}
		fputs(" |\n", f);
	}
	fputs("\ndetectable %: the smallest change each row would have found with 80% power at p < 0.05, from its "
	      "own noise and repetitions; a row is unchanged only when that is within its threshold.\n", f);
	if (res->nrows > SL_CMP_MARKDOWN_ALL_ROWS && res->counts[SL_VERDICT_UNCHANGED])
		fprintf(f, "\n%zu unchanged rows left out of this table (--json has every row).\n",
			res->counts[SL_VERDICT_UNCHANGED]);
	if (res->nnotes) {
		fputs("\nnotes:\n", f);
		for (size_t i = 0; i < res->nnotes; i++) {
			fputs("- ", f);
			md_cell(f, res->notes[i]);
			fputc('\n', f);
		}
	}
}

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jside(const struct sl_cmp_side *s)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:I}", "median", jnum(s->median), "ci_lo", jnum(s->ci_lo), "ci_hi",
			 jnum(s->ci_hi), "ci_level", jnum(s->level), "n", (json_int_t)s->n);
}

json_t *sl_cmp_json(const struct sl_cmp_result *res)
{
	json_t *root, *rows, *notes, *counts;

	root = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:f, s:I, s:f, s:s, s:I}", "experiment",
			 res->experiment, "base", res->base_dir, "current", res->cur_dir, "base_commit", res->base_commit,
			 "current_commit", res->cur_commit, "base_fingerprint", res->base_fingerprint,
			 "current_fingerprint", res->cur_fingerprint, "cross_machine", res->cross_machine, "fdr_q",
			 res->alpha, "tested_rows", (json_int_t)res->family, "threshold_pct", res->threshold_pct, "verdict", sl_verdict_name(res->overall),
			 "configurations", (json_int_t)res->nlabels);
	rows = json_array();
	notes = json_array();
	counts = json_object();
	if (!root || !rows || !notes || !counts)
		goto out_nomem;
	if ((json_object_set_new(root, "headline", json_string(sl_cmp_headline(res))) < 0 ||
		     json_object_set_new(root, "reason", json_string(res->reason)) < 0 ||
		     json_object_set_new(root, "parameters_changed", json_string(res->params)) < 0))
		goto out_nomem;
	{
		json_t *geo = json_object();

		for (size_t i = 0; geo && i < res->ngeo; i++)
			json_object_set_new(geo, res->geo[i].metric, jnum(res->geo[i].change_pct));
		if (!geo || json_object_set_new(root, "geomean_change_pct", geo) < 0)
			goto out_nomem;
	}
	for (int v = 0; v < SL_VERDICT_N; v++)
		if (json_object_set_new(counts, sl_verdict_name(v), json_integer((json_int_t)res->counts[v])) < 0)
			goto out_nomem;
	for (size_t i = 0; i < res->nnotes; i++)
		if (json_array_append_new(notes, json_string(res->notes[i])) < 0)
			goto out_nomem;
	for (size_t i = 0; i < res->nrows; i++) {
		const struct sl_cmp_row *r = &res->rows[i];
		const char *better = r->metric.better > 0 ? "higher" : r->metric.better < 0 ? "lower" : "none";
		json_t *row = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:s, s:b, s:f, s:s, s:s}",
					"config", res->labels[r->match], "metric", r->metric.name, "better", better,
					"base", jside(&r->base), "current", jside(&r->cur), "change_pct",
					jnum(r->change_pct), "change_ci_lo_pct", jnum(r->change_lo_pct),
					"change_ci_hi_pct", jnum(r->change_hi_pct), "p_welch", jnum(r->p),
					"p_mann_whitney", jnum(r->p_rank), "cis_apart", r->cis_apart, "test",
					r->metric.kind == SL_CMP_STATUS ? "status" :
					r->ci_test ? "welch-t+ci-overlap" : "welch-t+mann-whitney",
					"significant", r->significant, "threshold_pct", r->threshold_pct, "verdict",
					sl_verdict_name(r->verdict), "note", r->note);

		if (row && (json_object_set_new(row, "mde_pct", jnum(r->mde_pct)) < 0 ||
			    json_object_set_new(row, "more_repetitions", json_integer(r->more_reps)) < 0 ||
			    json_object_set_new(row, "p_cut", jnum(r->p_cut)) < 0)) {
			json_decref(row);
			goto out_nomem;
		}
		if (!row || json_array_append_new(rows, row) < 0)
			goto out_nomem;
	}
	if (json_object_set_new(root, "counts", counts) < 0) {
		counts = NULL;
		goto out_nomem;
	}
	counts = NULL;
	if (json_object_set_new(root, "notes", notes) < 0) {
		notes = NULL;
		goto out_nomem;
	}
	notes = NULL;
	if (json_object_set_new(root, "comparisons", rows) < 0) {
		rows = NULL;
		goto out_nomem;
	}
	return root;

out_nomem:
	json_decref(counts);
	json_decref(notes);
	json_decref(rows);
	json_decref(root);
	return NULL;
}
