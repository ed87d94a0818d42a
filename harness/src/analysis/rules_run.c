/* rules_run.c: the finding rules on how the runs went and how they scale: failed and skipped
 * configurations (with what failed), speedup and scaling per series, and the stability of the measurements. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/finding_rule.h"
#include "core/stats.h"

/* Failed and skipped configurations, with what failed. */
void sl_rule_failures(struct sl_rule_ctx *c)
{
	size_t n = sl_sv_rows(c->v), nskip = 0, nbad = 0, counts[ST_OTHER + 1] = { 0 };
	struct sbuf b = { .n = 0 };
	const char *skip_reason = NULL;
	bool same_reason = true;
	int listed = 0;

	for (size_t r = 0; r < n; r++) {
		enum status_class k = sl_rule_row_class(c, r);

		counts[k]++;
		if (k == ST_SKIPPED) {
			const char *why = txt(c, r, c->v->c_status) + 7;

			why += *why == ':';
			if (!skip_reason)
				skip_reason = why;
			else if (strcmp(skip_reason, why) != 0)
				same_reason = false;
			nskip++;
		} else if (k != ST_OK) {
			nbad++;
		}
	}
	if (nskip == n && n > 0) {
		sl_rule_add(c, "skipped", SL_FINDING_PROBLEM, "every configuration (%zu) was skipped%s%s: nothing was measured",
		    n, same_reason ? ": " : "", same_reason ? skip_reason : "");
		return;
	}
	if (nskip)
		sl_rule_add(c, "skipped", SL_FINDING_INFO, "%zu of %zu configurations were skipped%s%s", nskip, n,
		    same_reason ? ": " : "", same_reason ? skip_reason : "");
	if (!nbad)
		return;
	sl_sb_add(&b, "%zu of %zu configurations did not finish every run (", nbad, n);
	{
		static const char *const names[] = { "ok", "hang", "crash", "error", "skipped", "other" };
		bool first = true;

		for (int k = ST_HANG; k <= ST_OTHER; k++)
			if (k != ST_SKIPPED && counts[k]) {
				sl_sb_add(&b, "%s%zu %s", first ? "" : ", ", counts[k], names[k]);
				first = false;
			}
	}
	sl_sb_add(&b, "):");
	for (size_t r = 0; r < n && listed < 4; r++) {
		enum status_class k = sl_rule_row_class(c, r);
		char label[256];

		if (k == ST_OK || k == ST_SKIPPED)
			continue;
		sl_sv_label(c->v, r, NULL, label, sizeof(label));
		sl_sb_add(&b, "%s %s → %s (%g of %g runs ok)", listed ? ";" : "", label, txt(c, r, c->v->c_status),
		       num(c, r, c->v->c_ok), num(c, r, c->v->c_runs));
		listed++;
	}
	if ((size_t)listed < nbad)
		sl_sb_add(&b, "; and %zu more", nbad - (size_t)listed);
	sl_rule_add(c, "failures", SL_FINDING_PROBLEM, "%s", b.s);
}

/* Speedup of each series: the best, where more processes stop helping, the Amdahl fit, and what
 * the hardware threads beyond the physical cores add. */
void sl_rule_scaling(struct sl_rule_ctx *c)
{
	const struct sl_summary_view *v = c->v;
	size_t n = sl_sv_rows(v);
	int nseries = 0, shown = 0, nflat = 0;
	long flat[8];
	bool done[4096] = { false };

	if (v->c_speedup < 0 || !sl_summary_view_varies(v, v->c_processes) || n > 4096 ||
	    !sl_sv_metric_is_time(v))
		return;
	for (size_t r = 0; r < n; r++) {
		const char *series = txt(c, r, v->c_series);
		long best = -1, pmax_row = -1, at_phys = -1, at_log = -1;
		double f = NAN, fit_lo = NAN, fit_hi = NAN;
		char name[320];
		struct sbuf b = { .n = 0 };

		if (done[r])
			continue;
		for (size_t q = r; q < n; q++) {
			double s, p;

			if (strcmp(txt(c, q, v->c_series), series) != 0)
				continue;
			done[q] = true;
			s = num(c, q, v->c_speedup);
			p = num(c, q, v->c_processes);
			if (isnan(s) || !sl_sv_row_trusted(v, q, c->m))
				continue;
			if (best < 0 || s > num(c, best, v->c_speedup))
				best = (long)q;
			if (pmax_row < 0 || p > num(c, pmax_row, v->c_processes))
				pmax_row = (long)q;
			if (c->m->physical > 0 && p == c->m->physical)
				at_phys = (long)q;
			if (c->m->logical > 0 && p == c->m->logical)
				at_log = (long)q;
			if (isnan(f))
				f = sl_sv_amdahl(v, q, c->m, &fit_lo, &fit_hi);
		}
		if (best < 0 || num(c, pmax_row, v->c_processes) <= 1)
			continue;
		nseries++;
		if (shown >= 8)
			continue;
		sl_rule_who(c, series, name, sizeof(name));
		if (num(c, best, v->c_processes) <= 1) {
			/* said once for all such series, below */
			if (nflat < 8)
				flat[nflat] = pmax_row;
			nflat++;
			nseries--;
			continue;
		}
		shown++;
		{
			sl_sb_add(&b, "%s reaches %.2f× at %g processes (efficiency %.2f)", name, num(c, best, v->c_speedup),
			       num(c, best, v->c_processes), num(c, best, v->c_efficiency));
			if (pmax_row != best && num(c, pmax_row, v->c_speedup) < 0.95 * num(c, best, v->c_speedup))
				sl_sb_add(&b, "; more processes make it slower again: %.2f× at %g",
				       num(c, pmax_row, v->c_speedup), num(c, pmax_row, v->c_processes));
		}
		if (num(c, best, v->c_processes) > 1 && at_phys >= 0 && at_log >= 0 &&
		    c->m->logical > c->m->physical) {
			double gain = num(c, at_log, v->c_speedup) / num(c, at_phys, v->c_speedup) - 1;

			sl_sb_add(&b, "; going from the %d physical cores to all %d hardware threads %s %.0f%% (%.2f× → %.2f×)",
			       c->m->physical, c->m->logical, gain >= 0 ? "adds" : "loses", fabs(gain) * 100,
			       num(c, at_phys, v->c_speedup), num(c, at_log, v->c_speedup));
		}
		/* against the fastest 1-process configuration of the whole experiment, where that is not
		 * this series' own */
		{
			long one = sl_sv_best_one_process(v, c->m);
			double tb = num(c, best, v->c_wall);

			if (one >= 0 && tb > 0 && strcmp(txt(c, (size_t)one, v->c_series), series) != 0) {
				double abs_s = num(c, one, v->c_wall) / tb;

				if (fabs(abs_s / num(c, best, v->c_speedup) - 1) > 0.05)
					sl_sb_add(&b, "; against the experiment's fastest 1-process configuration (%s) it is "
						   "%.2f×", txt(c, (size_t)one, v->c_series), abs_s);
			}
		}
		if (!isnan(f) && num(c, best, v->c_processes) > 1) {
			if (f > 1e-4)
				sl_sb_add(&b, "; Amdahl fit over %g to %g processes: serial fraction %.3f", fit_lo, fit_hi, f);
			else
				sl_sb_add(&b, "; Amdahl fit over %g to %g processes: no measurable serial fraction", fit_lo,
				       fit_hi);
		}
		sl_rule_add(c, "scaling", SL_FINDING_INFO, "%s", b.s);
	}
	if (nseries > shown)
		sl_rule_add(c, "scaling", SL_FINDING_INFO, "(%d more series scale similarly; see the tables)", nseries - shown);
	if (nflat) {
		struct sbuf b = { .n = 0 };
		char name[320];

		if (nflat == 1) {
			sl_rule_who(c, txt(c, (size_t)flat[0], v->c_series), name, sizeof(name));
			sl_sb_add(&b, "%s gets no faster with more processes: %.2f× at %g processes", name,
			       num(c, flat[0], v->c_speedup), num(c, flat[0], v->c_processes));
		} else {
			sl_sb_add(&b, "%d series get no faster with more processes (speedup at the most processes):", nflat);
			for (int i = 0; i < nflat && i < 8; i++) {
				sl_rule_who(c, txt(c, (size_t)flat[i], v->c_series), name, sizeof(name));
				sl_sb_add(&b, "%s %s %.2f× at %g", i ? "," : "", name, num(c, flat[i], v->c_speedup),
				       num(c, flat[i], v->c_processes));
			}
			if (nflat > 8)
				sl_sb_add(&b, ", …");
		}
		sl_rule_add(c, "scaling", SL_FINDING_INFO, "%s", b.s);
	}
}

void sl_rule_stability(struct sl_rule_ctx *c)
{
	const struct sl_summary_view *v = c->v;
	size_t nun = 0, nrows = 0;
	double outl = 0, maxcv = 0;

	if (v->c_unstable < 0)
		return;
	for (size_t r = 0; r < sl_sv_rows(v); r++) {
		if (isnan(num(c, r, v->c_wall)))
			continue;
		nrows++;
		if (num(c, r, v->c_unstable) > 0) {
			nun++;
			if (num(c, r, v->c_wall_cv) > maxcv)
				maxcv = num(c, r, v->c_wall_cv);
		}
		if (v->c_outliers >= 0 && num(c, r, v->c_outliers) > 0)
			outl += num(c, r, v->c_outliers);
	}
	if (!nun && outl == 0)
		return;
	if (nun) {
		struct sbuf b = { .n = 0 };
		long best = -1, doubt = -1;

		sl_sb_add(&b, "%zu of %zu configurations varied by more than 5%% between repetitions (CV up to %.0f%%)", nun,
		       nrows, maxcv * 100);
		if (outl > 0)
			sl_sb_add(&b, "; %.0f outlier run%s", outl, outl == 1 ? "" : "s");
		/* a problem only where the noise could change the answer: an unstable configuration whose
		 * interval overlaps the best one's */
		for (size_t r = 0; r < sl_sv_rows(v); r++)
			if (sl_sv_row_trusted(v, r, c->m) && (best < 0 || num(c, r, v->c_wall) < num(c, best, v->c_wall)))
				best = (long)r;
		for (size_t r = 0; best >= 0 && doubt < 0 && r < sl_sv_rows(v); r++) {
			if ((long)r == best || !sl_sv_row_trusted(v, r, c->m) || !sl_rule_ci_overlap(c, r, (size_t)best))
				continue;
			if (num(c, r, v->c_unstable) > 0 || num(c, best, v->c_unstable) > 0)
				doubt = (long)r;
		}
		if (doubt >= 0 && sl_sv_metric_is_time(v)) {
			char l1[256], l2[256];
			int skip[] = { v->c_series, -1 };

			sl_sv_label(v, (size_t)best, skip, l1, sizeof(l1));
			sl_sv_label(v, (size_t)doubt, skip, l2, sizeof(l2));
			sl_rule_add(c, "stability", SL_FINDING_PROBLEM,
			    "%s, and the noise could change the answer: the fastest (%s) and %s overlap in their 95%% "
			    "intervals; rerun on a quieter machine or with more repeats", b.s, l1, l2);
		} else {
			sl_rule_add(c, "stability", SL_FINDING_INFO, "%s; not enough to change which configuration is the best", b.s);
		}
	}
	else
		sl_rule_add(c, "stability", SL_FINDING_INFO, "%.0f outlier run%s (modified z > 3.5) among stable configurations",
		    outl, outl == 1 ? "" : "s");
}
