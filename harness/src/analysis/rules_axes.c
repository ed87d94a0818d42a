/* rules_axes.c: the finding rules on the swept axes: the chunk size, and for every other
 * categorical axis which value is fastest in matched configurations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/finding_rule.h"
#include "core/stats.h"

/* A chunk size as a number and, for 'auto', how it was chosen. */
#define CS(row) sl_sv_chunksize(v, (row)), strcmp(txt(c, (row), v->c_chunksize), "auto") ? "" : " (auto)"

/* Chunk size: the cost of tiny chunks, the range near the best, Python's default, and imbalance. */
void sl_rule_chunksize(struct sl_rule_ctx *c)
{
	const struct sl_summary_view *v = c->v;
	size_t n = sl_sv_rows(v);
	bool done[4096] = { false };
	int skip[] = { v->c_chunksize, v->c_series, -1 };
	int shown = 0;

	if (v->c_chunksize < 0 || !sl_summary_view_varies(v, v->c_chunksize) || n > 4096 || !sl_sv_metric_is_time(v))
		return;
	for (size_t r = 0; r < n && shown < 6; r++) {
		size_t rows[256];
		size_t k = 0, best = 0;
		double tol = 0.02, cvs[256], cvmed;
		char label[256], name[320], t1[32], t2[32];
		struct sbuf b = { .n = 0 };
		long lo, hi;

		if (done[r])
			continue;
		for (size_t q = r; q < n && k < 256; q++) {
			double cs = sl_sv_chunksize(v, q);

			if (!sl_rule_same_context(v, r, q, skip))
				continue;
			done[q] = true;
			if (isnan(cs) || isnan(num(c, q, v->c_wall)) || !sl_sv_row_ok(v, q))
				continue;
			/* insertion sort by chunk size */
			size_t at = k++;

			while (at > 0 && sl_sv_chunksize(v, rows[at - 1]) > cs) {
				rows[at] = rows[at - 1];
				at--;
			}
			rows[at] = q;
		}
		if (k < 3)
			continue;
		for (size_t i = 0; i < k; i++) {
			if (num(c, rows[i], v->c_wall) < num(c, rows[best], v->c_wall))
				best = i;
			cvs[i] = num(c, rows[i], v->c_wall_cv);
		}
		qsort(cvs, k, sizeof(cvs[0]), sl_stats_cmp_double);
		cvmed = cvs[k / 2];
		if (!isnan(cvmed) && cvmed > 0.01)
			tol = 0.05;
		shown++;
		sl_sv_label(v, rows[0], skip, label, sizeof(label));
		sl_rule_who(c, label, name, sizeof(name));
		double tbest = num(c, rows[best], v->c_wall), tfirst = num(c, rows[0], v->c_wall);

		sl_sb_add(&b, "%s: the best chunk size is %g%s (%s)", name, CS(rows[best]),
		       sl_sv_fmt_time(tbest, t1, sizeof(t1)));
		if (best != 0 && tfirst > tbest * (1 + tol))
			sl_sb_add(&b, "; chunksize %g%s spends %.0f%% of its time on per-chunk overhead (%s, %.1f× the best)",
			       CS(rows[0]), (1 - tbest / tfirst) * 100,
			       sl_sv_fmt_time(tfirst, t2, sizeof(t2)), tfirst / tbest);
		for (lo = (long)best; lo > 0 && num(c, rows[lo - 1], v->c_wall) <= tbest * (1 + tol); lo--)
			;
		for (hi = (long)best; hi + 1 < (long)k && num(c, rows[hi + 1], v->c_wall) <= tbest * (1 + tol); hi++)
			;
		if (hi > lo) {
			if (hi == (long)k - 1)
				sl_sb_add(&b, "; chunksize ≥ %g%s is within %.0f%% of the best", CS(rows[lo]),
				       tol * 100);
			else
				sl_sb_add(&b, "; chunksizes %g%s to %g%s are within %.0f%% of the best",
				       CS(rows[lo]), CS(rows[hi]), tol * 100);
		}
		/* the largest (unless it is Python's rule, said below) */
		if (hi < (long)k - 1 && strcmp(txt(c, rows[k - 1], v->c_chunksize), "auto") != 0) {
			size_t last = rows[k - 1];
			double tl = num(c, last, v->c_wall);

			if (tl > tbest * (1 + tol)) {
				sl_sb_add(&b, "; the largest, %g%s, is %.0f%% slower", CS(last),
				       (tl / tbest - 1) * 100);
				if (v->c_imbalance >= 0 && num(c, last, v->c_imbalance) > 1.15)
					sl_sb_add(&b, " (worker imbalance %.2f: too few chunks to share out)",
					       num(c, last, v->c_imbalance));
			}
		}
		/* Python's Pool.map default: ceil(N / (4 P)) */
		{
			double tasks = sl_csv_num(&v->csv, rows[0], sl_csv_col(&v->csv, "tasks"));
			double p = num(c, rows[0], v->c_processes);

			if (!isnan(tasks) && p >= 1) {
				double py = ceil(tasks / (4 * p));
				long at = -1;

				for (size_t i = 0; i < k; i++)
					if (sl_sv_chunksize(v, rows[i]) == py)
						at = (long)i;
				if (at >= 0 && (size_t)at == best)
					sl_sb_add(&b, "; Python's default ceil(N/(4P)) = ceil(%g/%g) = %g is the best here", tasks,
					       4 * p, py);
				else if (at >= 0)
					sl_sb_add(&b, "; Python's default ceil(N/(4P)) = ceil(%g/%g) = %g is %.0f%% slower than the "
						   "best",
					       tasks, 4 * p, py, (num(c, rows[at], v->c_wall) / tbest - 1) * 100);
				else
					sl_sb_add(&b, "; Python's default here would be ceil(%g/%g) = %g (not measured)", tasks,
					       4 * p, py);
			}
		}
		sl_rule_add(c, "chunksize", tfirst > 1.5 * tbest ? SL_FINDING_ADVICE : SL_FINDING_INFO, "%s", b.s);
	}
}

/* Whether every non-empty value of column col is a number. */
static bool numeric_column(const struct sl_summary_view *v, int col)
{
	double d;

	for (size_t r = 0; r < sl_sv_rows(v); r++)
		if (sl_sv_text(v, r, col)[0] && !sl_parse_double(sl_sv_text(v, r, col), &d))
			return false;
	return true;
}

/* For each categorical axis: which value is fastest in matched configurations, and how much slower
 * the others are at worst. */
void sl_rule_axis_effect(struct sl_rule_ctx *c)
{
	const struct sl_summary_view *v = c->v;

	for (int a = 0; a < v->naxes; a++) {
		int col = v->axes[a];
		const char *name = v->csv.header[col];
		char vals[16][SL_VALUE_LEN];
		int nv = 0, wins[16] = { 0 }, ctxs = 0;
		double worst[16] = { 0 };
		long worst_at[16];
		bool done[4096] = { false };
		int skip[] = { col, v->c_series, -1 };
		struct sbuf b = { .n = 0 };
		int champion = 0;
		const char *best_w = sl_sv_metric_is_time(v) ? "fastest" : "best";
		const char *worse_w = sl_sv_metric_is_time(v) ? "slower" : "worse";

		if (!v->varies[a] || col == v->c_processes || col == v->c_chunksize || col == v->c_workload ||
		    numeric_column(v, col) || sl_sv_rows(v) > 4096)
			continue;
		for (size_t r = 0; r < sl_sv_rows(v) && nv < 16; r++) {
			bool seen = false;

			for (int i = 0; i < nv; i++)
				seen |= strcmp(vals[i], sl_sv_text(v, r, col)) == 0;
			if (!seen)
				snprintf(vals[nv++], sizeof(vals[0]), "%s", sl_sv_text(v, r, col));
		}
		for (int i = 0; i < nv; i++)
			worst_at[i] = -1;
		/* each context: the rows that differ only in this axis */
		for (size_t r = 0; r < sl_sv_rows(v); r++) {
			double t[16];
			long row[16];
			int have = 0, best = -1;

			if (done[r])
				continue;
			for (int i = 0; i < nv; i++) {
				t[i] = NAN;
				row[i] = -1;
			}
			for (size_t q = r; q < sl_sv_rows(v); q++) {
				if (!sl_rule_same_context(v, r, q, skip))
					continue;
				done[q] = true;
				for (int i = 0; i < nv; i++)
					if (strcmp(vals[i], sl_sv_text(v, q, col)) == 0 && sl_sv_row_trusted(v, q, c->m)) {
						/* as a cost: the higher-is-better metrics inverted */
						double x = sl_sv_metric(v, q);

						t[i] = v->metric_better > 0 ? 1 / x : x;
						row[i] = (long)q;
					}
			}
			for (int i = 0; i < nv; i++)
				if (!isnan(t[i])) {
					have++;
					if (best < 0 || t[i] < t[best])
						best = i;
				}
			if (have < 2)
				continue;
			ctxs++;
			wins[best]++;
			for (int i = 0; i < nv; i++)
				if (!isnan(t[i]) && t[i] / t[best] > worst[i]) {
					worst[i] = t[i] / t[best];
					worst_at[i] = row[i];
				}
		}
		if (!ctxs)
			continue;
		for (int i = 1; i < nv; i++)
			if (wins[i] > wins[champion])
				champion = i;
		{
			bool all_close = true;

			for (int i = 0; i < nv; i++)
				if (worst_at[i] >= 0 && worst[i] >= 1.05)
					all_close = false;
			if (all_close) {
				sl_rule_add(c, "axis", SL_FINDING_INFO,
				    "%s makes less than 5%% difference to the %s (%d matched configuration%s)", name, sl_rule_metric_noun(v), ctxs,
				    ctxs == 1 ? "" : "s");
				continue;
			}
		}
		if (wins[champion] == ctxs)
			sl_sb_add(&b, "%s=%s is the %s in %s %d matched configuration%s", name, vals[champion], best_w,
			       ctxs == 1 ? "the" : "all", ctxs, ctxs == 1 ? "" : "s");
		else if (2 * wins[champion] > ctxs)
			sl_sb_add(&b, "%s=%s is the %s in %d of %d matched configurations", name, vals[champion], best_w,
			       wins[champion], ctxs);
		else
			sl_sb_add(&b, "no %s value is the %s everywhere (%s=%s wins %d of %d matched configurations)", name, best_w,
			       name, vals[champion], wins[champion], ctxs);
		for (int i = 0; i < nv; i++) {
			char where[256];
			int skip2[] = { col, v->c_series, -1 };

			if (worst_at[i] < 0 || worst[i] < 1.0005)
				continue;
			if (worst[i] < 1.05) {
				sl_sb_add(&b, "; %s=%s is within 5%% of the best everywhere", name, vals[i]);
				continue;
			}
			sl_sv_label(v, (size_t)worst_at[i], skip2, where, sizeof(where));
			if (i == champion)
				sl_sb_add(&b, "; where %s=%s loses, it is up to %.2f× %s than the best", name, vals[i],
				       worst[i], worse_w);
			else
				sl_sb_add(&b, "; %s=%s is up to %.2f× %s than the best", name, vals[i], worst[i], worse_w);
			if (strcmp(where, "all") != 0)
				sl_sb_add(&b, " (at %s)", where);
		}
		sl_rule_add(c, "axis", SL_FINDING_INFO, "%s", b.s);
	}
}
