/* rules_start.c: the finding rules on starting workers: start methods that hang or crash in
 * a situation (and those that finished), and the start latency by method and parent memory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/finding_rule.h"
#include "core/stats.h"

/* Start methods that hang or crash, and the ones that finished in the same situations. */
void sl_rule_start_safety(struct sl_rule_ctx *c)
{
	const struct sl_summary_view *v = c->v;
	size_t n = sl_sv_rows(v);
	char methods[8][32];
	int nmethods = 0;

	if (v->c_start_method < 0 || !sl_summary_view_varies(v, v->c_start_method))
		return;
	for (size_t r = 0; r < n && nmethods < 8; r++) {
		bool seen = false;

		for (int i = 0; i < nmethods; i++)
			seen |= strcmp(methods[i], txt(c, r, v->c_start_method)) == 0;
		if (!seen)
			snprintf(methods[nmethods++], sizeof(methods[0]), "%s", txt(c, r, v->c_start_method));
	}
	for (int i = 0; i < nmethods; i++) {
		size_t nfail = 0, ntotal = 0, nruns = 0, klass[ST_OTHER + 1] = { 0 };
		const char *uses = NULL;
		bool same_uses = true, safe[8];
		long first_fail = -1;
		struct sbuf b = { .n = 0 };
		int nsafe = 0, worst_class = ST_HANG;

		for (int j = 0; j < nmethods; j++)
			safe[j] = j != i;
		for (size_t r = 0; r < n; r++) {
			enum status_class k;

			if (strcmp(txt(c, r, v->c_start_method), methods[i]) != 0)
				continue;
			ntotal++;
			k = sl_rule_row_class(c, r);
			if (k == ST_OK || k == ST_SKIPPED)
				continue;
			nfail++;
			klass[k]++;
			nruns += (size_t)(num(c, r, v->c_runs) - num(c, r, v->c_ok));
			if (first_fail < 0)
				first_fail = (long)r;
			if (v->c_parent_uses >= 0) {
				if (!uses)
					uses = txt(c, r, v->c_parent_uses);
				else if (strcmp(uses, txt(c, r, v->c_parent_uses)) != 0)
					same_uses = false;
			}
			/* which other start methods finished this same situation */
			for (int j = 0; j < nmethods; j++) {
				long q = sl_rule_match_row(v, r, v->c_start_method, methods[j]);

				if (j != i && (q < 0 || sl_rule_row_class(c, (size_t)q) != ST_OK))
					safe[j] = false;
			}
		}
		if (!nfail)
			continue;
		for (int k = ST_HANG; k <= ST_OTHER; k++)
			if (klass[k] > klass[worst_class])
				worst_class = k;
		sl_sb_add(&b, "%s %s", methods[i],
		       worst_class == ST_HANG ? "hangs" : worst_class == ST_CRASH ? "crashes" : "fails");
		if (uses && same_uses && strcmp(uses, "none") != 0) {
			sl_sb_add(&b, " after the parent used %s", strcmp(uses, "openmp") == 0 ? "OpenMP" : uses);
			sl_sb_add(&b, " (%zu of %zu %s configurations, %zu runs: %s)", nfail, ntotal, methods[i], nruns,
			       txt(c, (size_t)first_fail, v->c_status));
		} else {
			int skip[] = { v->c_start_method, v->c_series, -1 }, listed = 0;

			sl_sb_add(&b, " in %zu of %zu situations (%zu runs):", nfail, ntotal, nruns);
			for (size_t r = 0; r < n && listed < 6; r++) {
				char label[256];
				enum status_class k;

				if (strcmp(txt(c, r, v->c_start_method), methods[i]) != 0)
					continue;
				k = sl_rule_row_class(c, r);
				if (k == ST_OK || k == ST_SKIPPED)
					continue;
				sl_sv_label(v, r, skip, label, sizeof(label));
				sl_sb_add(&b, "%s %s", listed++ ? "," : "", label);
			}
			if ((size_t)listed < nfail)
				sl_sb_add(&b, ", …");
		}
		for (int j = 0; j < nmethods; j++)
			nsafe += safe[j];
		if (nsafe) {
			int k = 0;

			sl_sb_add(&b, "; ");
			for (int j = 0; j < nmethods; j++)
				if (safe[j])
					sl_sb_add(&b, "%s%s", k++ ? (k == nsafe ? " and " : ", ") : "", methods[j]);
			sl_sb_add(&b, " finished every run there — use ");
			k = 0;
			for (int j = 0; j < nmethods; j++)
				if (safe[j])
					sl_sb_add(&b, "%s%s", k++ ? " or " : "", methods[j]);
		}
		sl_rule_add(c, "start-safety", nsafe ? SL_FINDING_ADVICE : SL_FINDING_PROBLEM, "%s", b.s);
	}
}

/* Worker start latency by start method, and how it grows with the parent's memory. */
void sl_rule_start_latency(struct sl_rule_ctx *c)
{
	const struct sl_summary_view *v = c->v;
	char methods[8][32];
	double lat[8], at_mb = NAN;
	int nm = 0, fastest = -1, slowest = -1;
	struct sbuf b = { .n = 0 };

	if (v->c_latency < 0 || v->c_start_method < 0)
		return;
	/* only where starting workers is what the experiment varies */
	if (!sl_summary_view_varies(v, v->c_start_method) &&
	    !(v->c_parent_rss >= 0 && sl_summary_view_varies(v, v->c_parent_rss)))
		return;
	/* like with like: where the parent's size varies, the methods are compared at its smallest */
	if (v->c_parent_rss >= 0 && sl_summary_view_varies(v, v->c_parent_rss))
		for (size_t r = 0; r < sl_sv_rows(v); r++)
			if (!isnan(num(c, r, v->c_parent_rss)) && (isnan(at_mb) || num(c, r, v->c_parent_rss) < at_mb))
				at_mb = num(c, r, v->c_parent_rss);
	for (size_t r = 0; r < sl_sv_rows(v) && nm < 8; r++) {
		bool seen = false;

		for (int i = 0; i < nm; i++)
			seen |= strcmp(methods[i], txt(c, r, v->c_start_method)) == 0;
		if (seen)
			continue;
		snprintf(methods[nm], sizeof(methods[0]), "%s", txt(c, r, v->c_start_method));
		lat[nm] = sl_rule_median_where(c, v->c_latency, v->c_start_method, methods[nm], v->c_parent_rss, at_mb);
		if (!isnan(lat[nm])) {
			if (fastest < 0 || lat[nm] < lat[fastest])
				fastest = nm;
			if (slowest < 0 || lat[nm] > lat[slowest])
				slowest = nm;
		}
		nm++;
	}
	if (fastest < 0)
		return;
	if (isnan(at_mb))
		sl_sb_add(&b, "worker start latency (median over configurations):");
	else
		sl_sb_add(&b, "worker start latency with a %g MB parent (median over its configurations):", at_mb);
	for (int i = 0, k = 0; i < nm; i++)
		if (!isnan(lat[i]))
			sl_sb_add(&b, "%s %s %.3g ms", k++ ? "," : "", methods[i], lat[i]);
	if (slowest != fastest && lat[fastest] > 0)
		sl_sb_add(&b, " (%s takes %.1f× as long as %s)", methods[slowest], lat[slowest] / lat[fastest],
		       methods[fastest]);
	/* growth with the parent's memory, per start method, at the smallest and largest size */
	if (v->c_parent_rss >= 0 && sl_summary_view_varies(v, v->c_parent_rss)) {
		double lo_mb = INFINITY, hi_mb = -INFINITY;
		int skip[] = { v->c_parent_rss, v->c_series, -1 };

		for (size_t r = 0; r < sl_sv_rows(v); r++) {
			double mb = num(c, r, v->c_parent_rss);

			if (!isnan(mb)) {
				lo_mb = fmin(lo_mb, mb);
				hi_mb = fmax(hi_mb, mb);
			}
		}
		for (int i = 0; i < nm; i++) {
			double lo[512], hi[512];
			size_t k = 0;

			for (size_t r = 0; r < sl_sv_rows(v) && k < 512; r++) {
				if (strcmp(txt(c, r, v->c_start_method), methods[i]) != 0 ||
				    num(c, r, v->c_parent_rss) != lo_mb || isnan(num(c, r, v->c_latency)))
					continue;
				for (size_t q = 0; q < sl_sv_rows(v); q++)
					if (num(c, q, v->c_parent_rss) == hi_mb && !isnan(num(c, q, v->c_latency)) &&
					    sl_rule_same_context(v, r, q, skip)) {
						lo[k] = num(c, r, v->c_latency);
						hi[k++] = num(c, q, v->c_latency);
						break;
					}
			}
			if (k) {
				double ml, mh;

				qsort(lo, k, sizeof(lo[0]), sl_stats_cmp_double);
				qsort(hi, k, sizeof(hi[0]), sl_stats_cmp_double);
				ml = lo[k / 2];
				mh = hi[k / 2];
				if (ml > 0 && mh > 1.5 * ml)
					sl_sb_add(&b, "; %s's latency grows with the parent's memory: %.3g ms at %g MB → %.3g ms at %g MB",
					       methods[i], ml, lo_mb, mh, hi_mb);
			}
		}
	}
	sl_rule_add(c, "start-latency", SL_FINDING_INFO, "%s", b.s);
}
