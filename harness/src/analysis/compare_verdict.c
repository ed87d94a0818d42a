/* compare_verdict.c: the headline verdict of a comparison with its one-line reason (the worst row,
 * its change and CI), and the geometric-mean summary per metric. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"
#include "analysis/compare_internal.h"
#include "core/stats.h"

/* A row that decides the headline: a metric with a better direction, or a status row. */
static bool row_counts(const struct sl_cmp_row *r)
{
	return r->metric.kind == SL_CMP_STATUS || r->metric.better != 0;
}

/* "LABEL METRIC +x% [lo, hi]" of a row into buf. */
static void row_change_text(const struct sl_cmp_result *res, const struct sl_cmp_row *r, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s %s", res->labels[r->match], r->metric.name);

	if (n < 0 || (size_t)n >= len)
		return;
	if (r->metric.kind == SL_CMP_STATUS)
		snprintf(buf + n, len - (size_t)n, ": %s", r->note);
	else if (isfinite(r->change_lo_pct) && isfinite(r->change_hi_pct))
		snprintf(buf + n, len - (size_t)n, " %+.1f%% [%+.1f, %+.1f]", r->change_pct, r->change_lo_pct,
			 r->change_hi_pct);
	else
		snprintf(buf + n, len - (size_t)n, " %+.1f%%", r->change_pct);
}

/* The row of verdict v that moved furthest (a status row first), or NULL. */
static const struct sl_cmp_row *worst_row(const struct sl_cmp_result *res, enum sl_verdict v)
{
	const struct sl_cmp_row *w = NULL;

	for (size_t i = 0; i < res->nrows; i++) {
		const struct sl_cmp_row *r = &res->rows[i];

		if (r->verdict != v || !row_counts(r))
			continue;
		if (r->metric.kind == SL_CMP_STATUS)
			return r;
		if (!w || fabs(r->change_pct) > fabs(w->change_pct))
			w = r;
	}
	return w;
}

const char *sl_cmp_headline(const struct sl_cmp_result *res)
{
	return res->overall == SL_VERDICT_UNCHANGED ? "no change" : sl_verdict_name(res->overall);
}

/* The headline verdict and its one-line reason: regression > improvement > inconclusive > no
 * change, from the rows of metrics with a better direction (and failures). */
void sl_cmp_overall_verdict(struct sl_cmp_result *res)
{
	size_t counted = 0, n[SL_VERDICT_N] = { 0 }, used = 0;
	const struct sl_cmp_row *w;
	char buf[256];

	for (size_t i = 0; i < res->nrows; i++)
		if (row_counts(&res->rows[i])) {
			n[res->rows[i].verdict]++;
			counted++;
		}
	if (n[SL_VERDICT_REGRESSION])
		res->overall = SL_VERDICT_REGRESSION;
	else if (n[SL_VERDICT_IMPROVEMENT])
		res->overall = SL_VERDICT_IMPROVEMENT;
	else if (n[SL_VERDICT_INCONCLUSIVE] || counted == 0)
		res->overall = SL_VERDICT_INCONCLUSIVE;   /* nothing compared is no evidence of no change */
	else
		res->overall = SL_VERDICT_UNCHANGED;
	if (counted == 0) {
		snprintf(res->reason, sizeof(res->reason), "nothing could be compared (see the notes)");
		return;
	}
	if (res->overall == SL_VERDICT_REGRESSION || res->overall == SL_VERDICT_IMPROVEMENT) {
		w = worst_row(res, res->overall);
		row_change_text(res, w, buf, sizeof(buf));
		snprintf(res->reason, sizeof(res->reason), "%s%s (threshold %g%%); %zu of %zu rows %s",
			 res->overall == SL_VERDICT_REGRESSION ? "worst: " : "largest: ", buf, w->threshold_pct,
			 n[res->overall], counted, res->overall == SL_VERDICT_REGRESSION ? "regressed" : "improved");
		return;
	}
	if (res->overall == SL_VERDICT_INCONCLUSIVE) {
		size_t shown = 0;

		used = (size_t)snprintf(res->reason, sizeof(res->reason), "%zu of %zu rows could not tell: ",
					n[SL_VERDICT_INCONCLUSIVE], counted);
		for (size_t i = 0; i < res->nrows && used < sizeof(res->reason); i++) {
			const struct sl_cmp_row *r = &res->rows[i];

			if (r->verdict != SL_VERDICT_INCONCLUSIVE || !row_counts(r))
				continue;
			if (shown == 3) {
				snprintf(res->reason + used, sizeof(res->reason) - used, "; ...");
				break;
			}
			if (r->nmin >= SL_CMP_MIN_REPS && r->mde_pct > r->threshold_pct && r->more_reps > 0)
				used += (size_t)snprintf(res->reason + used, sizeof(res->reason) - used,
							 "%s%s %s detects %.*f%%, not %g%% (about %ld more repetitions)",
							 shown ? "; " : "", res->labels[r->match], r->metric.name,
							 r->mde_pct < 10 ? 1 : 0, r->mde_pct, r->threshold_pct, r->more_reps);
			else
				used += (size_t)snprintf(res->reason + used, sizeof(res->reason) - used, "%s%s %s: %s",
							 shown ? "; " : "", res->labels[r->match], r->metric.name, r->note);
			shown++;
		}
		return;
	}
	/* no change: the largest move, and the largest change any row could have missed */
	{
		const struct sl_cmp_row *big = NULL, *blind = NULL;

		for (size_t i = 0; i < res->nrows; i++) {
			const struct sl_cmp_row *r = &res->rows[i];

			if (!row_counts(r) || r->metric.kind == SL_CMP_STATUS || !isfinite(r->change_pct))
				continue;
			if (!big || fabs(r->change_pct) > fabs(big->change_pct))
				big = r;
			if (!blind || r->mde_pct / r->threshold_pct > blind->mde_pct / blind->threshold_pct)
				blind = r;
		}
		if (!big) {
			snprintf(res->reason, sizeof(res->reason), "no failures, nothing else measured");
			return;
		}
		row_change_text(res, big, buf, sizeof(buf));
		used = (size_t)snprintf(res->reason, sizeof(res->reason), "no row changed significantly beyond its "
					"threshold, and each could have detected it (least sensitive: %s %s, %.3g%% of %g%%); "
					"largest change: %s", res->labels[blind->match], blind->metric.name, blind->mde_pct,
					blind->threshold_pct, buf);
		w = worst_row(res, SL_VERDICT_CHANGED);
		if (w && used < sizeof(res->reason)) {
			for (size_t i = 0; i < res->nrows; i++)
				if (res->rows[i].verdict == SL_VERDICT_CHANGED)
					w = &res->rows[i];
			row_change_text(res, w, buf, sizeof(buf));
			snprintf(res->reason + used, sizeof(res->reason) - used, "; reported, not judged: %s", buf);
		}
	}
}

/* Google Benchmark's OVERALL_GEOMEAN: per metric, the geometric mean of median(cur)/median(base)
 * over the matched configurations that have both. */
void sl_cmp_geomean_summary(struct sl_cmp_result *res, const struct sl_cmp_metric *metrics, size_t nmetrics)
{
	res->ngeo = 0;
	for (size_t k = 0; k < nmetrics && res->ngeo < SL_CMP_MAX_METRICS; k++) {
		double sum = 0;
		size_t n = 0;

		for (size_t i = 0; i < res->nrows; i++) {
			const struct sl_cmp_row *r = &res->rows[i];

			if (strcmp(r->metric.name, metrics[k].name) != 0 || !(r->base.median > 0) || !(r->cur.median > 0))
				continue;
			sum += log(r->cur.median / r->base.median);
			n++;
		}
		if (!n)
			continue;
		snprintf(res->geo[res->ngeo].metric, SL_NAME_LEN, "%s", metrics[k].name);
		res->geo[res->ngeo].change_pct = expm1(sum / (double)n) * 100;
		res->geo[res->ngeo++].n = n;
	}
}
